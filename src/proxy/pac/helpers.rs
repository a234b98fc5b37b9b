//! The PAC helper functions, in Rust, with Windows' semantics; the engine only marshals arguments.
//!
//! Name lookups are not here: the engine answers them through the `NameResolver` and passes the
//! addresses in, so everything below is pure and table-tested.

use std::net::{IpAddr, Ipv4Addr};

/// `isPlainHostName`: true when the host has no dot.
pub(super) fn is_plain_host_name(host: &str) -> bool {
    !host.contains('.')
}

/// `dnsDomainIs`: a plain, case-sensitive suffix compare with no dot-boundary check
/// (`dnsDomainIs("evilcorp.example", "corp.example")` is true, as in every engine).
pub(super) fn dns_domain_is(host: &str, domain: &str) -> bool {
    host.ends_with(domain)
}

/// `localHostOrDomainIs`: the host equals `hostdom`, or is its first label (`www` matches
/// `www.corp.example`).
pub(super) fn local_host_or_domain_is(host: &str, hostdom: &str) -> bool {
    host == hostdom
        || hostdom
            .strip_prefix(host)
            .is_some_and(|rest| rest.starts_with('.'))
}

/// `dnsDomainLevels`: the number of dots.
pub(super) fn dns_domain_levels(host: &str) -> usize {
    host.matches('.').count()
}

/// `shExpMatch`: a shell glob over the whole string; `*` is any run, `?` one character, and
/// everything else is literal (no regular expression is built, so no pattern can be catastrophic).
pub(super) fn sh_exp_match(text: &str, glob: &str) -> bool {
    // Bytes when both are ASCII (host names and URLs nearly always are): no copy at all.
    if text.is_ascii() && glob.is_ascii() {
        glob_match(text.as_bytes(), glob.as_bytes(), b'*', b'?')
    } else {
        let text: Vec<char> = text.chars().collect();
        let glob: Vec<char> = glob.chars().collect();
        glob_match(&text, &glob, '*', '?')
    }
}

/// Whole-string glob match with backtracking to the last `star` only (linear in practice).
fn glob_match<T: PartialEq + Copy>(text: &[T], glob: &[T], star_sym: T, any: T) -> bool {
    let (mut t, mut g) = (0, 0);
    // Where the last `*` was, and the text position it currently absorbs up to.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match glob.get(g) {
            Some(&c) if c == star_sym => {
                star = Some((g, t));
                g += 1;
            }
            Some(&c) if c == any || c == text[t] => {
                t += 1;
                g += 1;
            }
            _ => match star {
                Some((star_g, star_t)) => {
                    g = star_g + 1;
                    t = star_t + 1;
                    star = Some((star_g, star_t + 1));
                }
                None => return false,
            },
        }
    }
    glob[g..].iter().all(|&c| c == star_sym)
}

/// `convert_addr`: a dotted quad as the signed 32-bit integer JavaScript's bit operators give;
/// each part is taken `& 0xff` and a part that is not a number counts as 0 (as in the Netscape
/// library every engine copies).
pub(super) fn convert_addr(text: &str) -> i32 {
    let mut parts = text.split('.');
    let mut value: u32 = 0;
    for _ in 0..4 {
        let part = parts
            .next()
            .and_then(|p| p.trim().parse::<u64>().ok())
            .unwrap_or(0);
        value = (value << 8) | u32::try_from(part & 0xff).unwrap_or(0);
    }
    i32::from_ne_bytes(value.to_ne_bytes())
}

/// A dotted-quad IPv4 literal (what `isInNet` takes without a lookup), or `None`.
pub(super) fn ipv4_literal(text: &str) -> Option<Ipv4Addr> {
    text.parse::<Ipv4Addr>().ok()
}

/// `isInNet` once the host is an address: `(ip & mask) == (pattern & mask)`, any mask bits
/// (non-contiguous masks work bit by bit); false on a malformed pattern or mask, as Chromium.
pub(super) fn is_in_net(ip: Ipv4Addr, pattern: &str, mask: &str) -> bool {
    let (Some(pattern), Some(mask)) = (ipv4_literal(pattern), ipv4_literal(mask)) else {
        return false;
    };
    let mask = u32::from(mask);
    u32::from(ip) & mask == u32::from(pattern) & mask
}

/// Parses an `isInNetEx` prefix, `198.95.0.0/16` or `3ffe:8311:ffff::/48`.
pub(super) fn parse_prefix(prefix: &str) -> Option<(IpAddr, u32)> {
    let (addr, length) = prefix.trim().split_once('/')?;
    let addr: IpAddr = addr.parse().ok()?;
    let length: u32 = length.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (length <= max).then_some((addr, length))
}

/// `isInNetEx` once the host's addresses are known: any address of the prefix's family inside it.
pub(super) fn is_in_net_ex(addrs: &[IpAddr], prefix: &str) -> bool {
    let Some((network, length)) = parse_prefix(prefix) else {
        return false;
    };
    addrs.iter().any(|addr| match (addr, network) {
        (IpAddr::V4(addr), IpAddr::V4(network)) => {
            let mask = u32::MAX.checked_shl(32 - length).unwrap_or(0);
            u32::from(*addr) & mask == u32::from(network) & mask
        }
        (IpAddr::V6(addr), IpAddr::V6(network)) => {
            let mask = u128::MAX.checked_shl(128 - length).unwrap_or(0);
            u128::from(*addr) & mask == u128::from(network) & mask
        }
        _ => false,
    })
}

/// `sortIpAddressList`: IPv6 before IPv4, each ascending; `None` (JavaScript `false`) when any
/// element is not an address.
pub(super) fn sort_ip_address_list(list: &str) -> Option<String> {
    let mut addrs = list
        .split(';')
        .map(|part| part.trim().parse::<IpAddr>().ok())
        .collect::<Option<Vec<_>>>()?;
    addrs.sort_by_key(|addr| match addr {
        IpAddr::V6(v6) => (0, u128::from(*v6)),
        IpAddr::V4(v4) => (1, u128::from(u32::from(*v4))),
    });
    Some(join_addrs(&addrs))
}

/// Addresses as the `...Ex` helpers return them: `;`-separated, IPv6 first, order otherwise kept.
pub(super) fn join_addrs(addrs: &[IpAddr]) -> String {
    let v6 = addrs.iter().filter(|a| a.is_ipv6());
    let v4 = addrs.iter().filter(|a| a.is_ipv4());
    v6.chain(v4)
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

/// A moment broken down as the date helpers read it, local or UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Calendar {
    pub year: i64,
    /// 0 = January.
    pub month: i64,
    pub day: i64,
    /// 0 = Sunday.
    pub weekday: i64,
    pub hour: i64,
    pub minute: i64,
    pub second: i64,
}

impl Calendar {
    /// `unix` seconds shifted by `offset_minutes` (east of UTC positive).
    pub(super) fn at(unix: i64, offset_minutes: i32) -> Self {
        let local = crate::time::utc(unix.saturating_add(i64::from(offset_minutes) * 60));
        Calendar {
            year: i64::from(local.year()),
            month: i64::from(u8::from(local.month())) - 1,
            day: i64::from(local.day()),
            weekday: i64::from(local.weekday().number_days_from_sunday()),
            hour: i64::from(local.hour()),
            minute: i64::from(local.minute()),
            second: i64::from(local.second()),
        }
    }
}

const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];

/// Drops a trailing `"GMT"` (only the last argument, exactly upper case) and picks the clock.
fn split_gmt<'a>(
    args: &'a [String],
    local: &'a Calendar,
    utc: &'a Calendar,
) -> (&'a [String], &'a Calendar) {
    match args.split_last() {
        Some((last, rest)) if last == "GMT" => (rest, utc),
        _ => (args, local),
    }
}

/// `low <= value <= high`, wrapping around when `low > high` (`"FRI", "MON"`).
fn within_wrapping(value: i64, low: i64, high: i64) -> bool {
    if low <= high {
        low <= value && value <= high
    } else {
        value >= low || value <= high
    }
}

/// `weekdayRange(wd1[, wd2][, "GMT"])`: inclusive, and `("FRI", "MON")` wraps over the weekend
/// (Netscape's spec, Chromium, Firefox; pacparser does not wrap).
pub(super) fn weekday_range(args: &[String], local: &Calendar, utc: &Calendar) -> bool {
    let (args, now) = split_gmt(args, local, utc);
    let day = |name: &String| WEEKDAYS.iter().position(|d| d == name);
    let days: Option<Vec<usize>> = args.iter().map(day).collect();
    match days.as_deref() {
        Some([one]) => now.weekday == to_i64(*one),
        Some([first, last]) => within_wrapping(now.weekday, to_i64(*first), to_i64(*last)),
        _ => false,
    }
}

fn to_i64(value: usize) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum DatePart {
    Day(i64),
    Month(i64),
    Year(i64),
}

/// A `dateRange` argument: a month name, or a number (below 32 a day, else a year).
fn date_part(arg: &str) -> Option<DatePart> {
    if let Some(month) = MONTHS.iter().position(|m| *m == arg) {
        return Some(DatePart::Month(to_i64(month)));
    }
    let number = js_int(arg)?;
    Some(if number < 32 {
        DatePart::Day(number)
    } else {
        DatePart::Year(number)
    })
}

/// An integer argument as `parseInt` reads a decimal one (a number arrives as its string form).
fn js_int(arg: &str) -> Option<i64> {
    let trimmed = arg.trim();
    let end = trimmed
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || (i == 0 && (c == '-' || c == '+'))))
        .map_or(trimmed.len(), |(i, _)| i);
    trimmed[..end].parse().ok()
}

/// `dateRange(...)` in every form of Netscape's spec, inclusive at both ends; day and month
/// ranges wrap over the year's end (`("DEC", "JAN")`), ranges with years do not.
pub(super) fn date_range(args: &[String], local: &Calendar, utc: &Calendar) -> bool {
    use DatePart::{Day, Month, Year};
    let (args, now) = split_gmt(args, local, utc);
    let Some(parts) = args
        .iter()
        .map(|a| date_part(a))
        .collect::<Option<Vec<_>>>()
    else {
        return false;
    };
    let month_day = |m: i64, d: i64| m * 32 + d;
    match parts.as_slice() {
        [Day(d)] => now.day == *d,
        [Month(m)] => now.month == *m,
        [Year(y)] => now.year == *y,
        [Day(a), Day(b)] => within_wrapping(now.day, *a, *b),
        [Month(a), Month(b)] => within_wrapping(now.month, *a, *b),
        [Year(a), Year(b)] => (*a..=*b).contains(&now.year),
        [Day(d1), Month(m1), Day(d2), Month(m2)] => within_wrapping(
            month_day(now.month, now.day),
            month_day(*m1, *d1),
            month_day(*m2, *d2),
        ),
        [Month(m1), Year(y1), Month(m2), Year(y2)] => {
            (y1 * 12 + m1..=y2 * 12 + m2).contains(&(now.year * 12 + now.month))
        }
        [Day(d1), Month(m1), Year(y1), Day(d2), Month(m2), Year(y2)] => {
            let key = |y: i64, m: i64, d: i64| (y * 12 + m) * 32 + d;
            (key(*y1, *m1, *d1)..=key(*y2, *m2, *d2)).contains(&key(now.year, now.month, now.day))
        }
        _ => false,
    }
}

/// `timeRange(...)`: `(hour)`, `(h1, h2)`, `(h1, m1, h2, m2)`, `(h1, m1, s1, h2, m2, s2)`.
///
/// The end is exclusive, as Netscape's spec (which Microsoft's documentation reproduces) reads:
/// `timeRange(12, 13)` is "noon to 1 pm", so 13:30 is outside. pacparser and Mozilla's library
/// make the end hour inclusive (13:59 inside): an intended difference. Ranges wrap over midnight.
pub(super) fn time_range(args: &[String], local: &Calendar, utc: &Calendar) -> bool {
    let (args, now) = split_gmt(args, local, utc);
    let Some(numbers) = args.iter().map(|a| js_int(a)).collect::<Option<Vec<_>>>() else {
        return false;
    };
    let seconds = |h: i64, m: i64, s: i64| h * 3600 + m * 60 + s;
    let current = seconds(now.hour, now.minute, now.second);
    let (start, end) = match numbers.as_slice() {
        [hour] => return now.hour == *hour,
        [h1, h2] if h1 == h2 => return now.hour == *h1,
        [h1, h2] => (seconds(*h1, 0, 0), seconds(*h2, 0, 0)),
        [h1, m1, h2, m2] => (seconds(*h1, *m1, 0), seconds(*h2, *m2, 0)),
        [h1, m1, s1, h2, m2, s2] => (seconds(*h1, *m1, *s1), seconds(*h2, *m2, *s2)),
        _ => return false,
    };
    if start <= end {
        start <= current && current < end
    } else {
        current >= start || current < end
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_host_names_have_no_dot() {
        let cases = [("intranet", true), ("www.corp.example", false), ("", true)];
        for (host, expected) in cases {
            assert_eq!(is_plain_host_name(host), expected, "{host}");
        }
    }

    #[test]
    fn dns_domain_is_compares_suffixes_without_a_dot_boundary() {
        let cases = [
            ("www.corp.example", ".corp.example", true),
            ("www.corp.example", "corp.example", true),
            ("evilcorp.example", "corp.example", true),
            ("corp.example", ".corp.example", false),
            ("WWW.CORP.EXAMPLE", ".corp.example", false),
            ("a", "", true),
        ];
        for (host, domain, expected) in cases {
            assert_eq!(dns_domain_is(host, domain), expected, "{host} {domain}");
        }
    }

    #[test]
    fn local_host_or_domain_is_matches_the_name_or_its_first_label() {
        let cases = [
            ("www.corp.example", "www.corp.example", true),
            ("www", "www.corp.example", true),
            ("www.other.example", "www.corp.example", false),
            ("ww", "www.corp.example", false),
            ("www.corp", "www.corp.example", true),
        ];
        for (host, hostdom, expected) in cases {
            assert_eq!(local_host_or_domain_is(host, hostdom), expected, "{host}");
        }
    }

    #[test]
    fn dns_domain_levels_count_dots() {
        for (host, levels) in [("www", 0), ("www.corp.example", 2), ("a.b.", 2)] {
            assert_eq!(dns_domain_levels(host), levels, "{host}");
        }
    }

    #[test]
    fn sh_exp_match_is_a_whole_string_glob() {
        let cases = [
            ("http://www.corp.example/x", "*.corp.example/*", true),
            ("http://www.corp.example/x", "*.corp.example", false),
            ("www.corp.example", "www.corp.example", true),
            ("wwwxcorp.example", "www.corp.example", false), // `.` is literal
            ("abc", "a?c", true),
            ("ac", "a?c", false),
            ("abc", "*", true),
            ("", "*", true),
            ("", "", true),
            ("a", "", false),
            ("aXbXc", "a*b*c", true),
            ("aXbXd", "a*b*c", false),
            ("a+b", "a+b", true), // no regex: `+` is literal
            ("[x]", "[x]", true), // brackets too
            ("x", "[x]", false),  // (Firefox would match a class; Windows does not)
            ("ab", "a**b", true),
            ("mississippi", "*sip*", true),
        ];
        for (text, glob, expected) in cases {
            assert_eq!(sh_exp_match(text, glob), expected, "{text} ~ {glob}");
        }
        let long = format!("{}b", "a".repeat(10_000));
        assert!(!sh_exp_match(&long, "*a*a*a*a*a*c"));
    }

    #[test]
    fn convert_addr_gives_javascripts_signed_integer() {
        let cases = [
            ("10.0.0.1", 167_772_161),
            ("192.168.1.1", -1_062_731_519),
            ("255.255.255.255", -1),
            ("10.0.0", 167_772_160),
            ("256.0.0.1", 1),
        ];
        for (text, expected) in cases {
            assert_eq!(convert_addr(text), expected, "{text}");
        }
    }

    #[test]
    fn is_in_net_masks_bit_by_bit() {
        let cases = [
            ("10.1.2.3", "10.0.0.0", "255.0.0.0", true),
            ("11.1.2.3", "10.0.0.0", "255.0.0.0", false),
            ("192.168.1.77", "192.168.1.0", "255.255.255.0", true),
            ("192.168.2.77", "192.168.1.0", "255.255.255.0", false),
            ("172.16.5.4", "172.16.0.0", "255.240.0.0", true), // /12
            ("172.32.5.4", "172.16.0.0", "255.240.0.0", false),
            ("10.9.9.9", "10.1.2.3", "0.0.0.0", true), // mask 0: everything
            ("10.1.2.3", "10.1.2.3", "255.255.255.255", true), // host mask
            ("10.1.2.4", "10.1.2.3", "255.255.255.255", false),
            ("10.7.1.3", "10.0.1.0", "255.0.255.0", true), // non-contiguous mask
            ("10.7.2.3", "10.0.1.0", "255.0.255.0", false),
            ("10.1.2.3", "10.0.0", "255.0.0.0", false), // malformed pattern
            ("10.1.2.3", "10.0.0.0", "255.0.0", false), // malformed mask
        ];
        for (ip, pattern, mask, expected) in cases {
            let ip = ipv4_literal(ip).expect("test address");
            assert_eq!(
                is_in_net(ip, pattern, mask),
                expected,
                "{ip} {pattern} {mask}"
            );
        }
    }

    #[test]
    fn is_in_net_ex_takes_cidr_prefixes_of_either_family() {
        let v4: IpAddr = "198.95.249.79".parse().expect("ip");
        let v6: IpAddr = "3ffe:8311:ffff:1::5".parse().expect("ip");
        let cases = [
            (v4, "198.95.0.0/16", true),
            (v4, "198.96.0.0/16", false),
            (v4, "0.0.0.0/0", true),
            (v4, "198.95.249.79/32", true),
            (v4, "198.95.0.0/33", false),
            (v4, "198.95.0.0", false),
            (v4, "3ffe::/16", false), // family mismatch
            (v6, "3ffe:8311:ffff::/48", true),
            (v6, "3ffe:8311:fffe::/48", false),
            (v6, "3ffe:8311:ffff::/129", false),
            (v6, "198.95.0.0/16", false),
        ];
        for (addr, prefix, expected) in cases {
            assert_eq!(is_in_net_ex(&[addr], prefix), expected, "{addr} {prefix}");
        }
    }

    #[test]
    fn sort_ip_address_list_puts_ipv6_first_and_rejects_garbage() {
        let cases = [
            (
                "10.0.0.2;2001:db8::2;10.0.0.1;2001:db8::1",
                Some("2001:db8::1;2001:db8::2;10.0.0.1;10.0.0.2"),
            ),
            ("10.0.0.10;10.0.0.9", Some("10.0.0.9;10.0.0.10")),
            ("10.0.0.1;nonsense", None),
            ("", None),
        ];
        for (list, expected) in cases {
            assert_eq!(sort_ip_address_list(list).as_deref(), expected, "{list}");
        }
    }

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    // Wednesday 2025-06-18 14:30:15 UTC; local time is UTC+2 (16:30:15).
    const NOW: i64 = 1_750_257_015;

    fn clocks() -> (Calendar, Calendar) {
        (Calendar::at(NOW, 120), Calendar::at(NOW, 0))
    }

    #[test]
    fn calendars_break_down_local_and_utc_time() {
        let (local, utc) = clocks();
        let expected_utc = Calendar {
            year: 2025,
            month: 5,
            day: 18,
            weekday: 3,
            hour: 14,
            minute: 30,
            second: 15,
        };
        assert_eq!(utc, expected_utc);
        assert_eq!((local.hour, local.weekday), (16, 3));
        let new_year = Calendar::at(1_735_689_599, 60); // 2024-12-31 23:59:59 UTC
        assert_eq!((new_year.year, new_year.month, new_year.day), (2025, 0, 1));
    }

    #[test]
    fn weekday_range_reads_every_argument_form() {
        let (local, utc) = clocks();
        let cases: [(&[&str], bool); 10] = [
            (&["WED"], true),
            (&["THU"], false),
            (&["MON", "FRI"], true),
            (&["THU", "SAT"], false),
            (&["FRI", "WED"], true), // wraps over the weekend
            (&["FRI", "TUE"], false),
            (&["WED", "GMT"], true),
            (&["wed"], false), // names are upper case
            (&["GMT", "WED"], false),
            (&[], false),
        ];
        for (list, expected) in cases {
            assert_eq!(
                weekday_range(&args(list), &local, &utc),
                expected,
                "{list:?}"
            );
        }
    }

    #[test]
    fn date_range_reads_every_argument_form() {
        let (local, utc) = clocks();
        let cases: [(&[&str], bool); 16] = [
            (&["18"], true),
            (&["19"], false),
            (&["JUN"], true),
            (&["2025"], true),
            (&["2024"], false),
            (&["1", "20"], true),
            (&["20", "17"], false),
            (&["MAY", "JUL"], true),
            (&["NOV", "FEB"], false),
            (&["NOV", "JUN"], true), // wraps over the year's end
            (&["2020", "2030"], true),
            (&["1", "JUN", "18", "JUN"], true),
            (&["19", "JUN", "1", "JUL"], false),
            (&["MAY", "2025", "JUL", "2025"], true),
            (&["1", "JAN", "2025", "17", "JUN", "2025"], false),
            (&["18", "GMT"], true),
        ];
        for (list, expected) in cases {
            assert_eq!(date_range(&args(list), &local, &utc), expected, "{list:?}");
        }
        assert!(!date_range(&args(&["XYZ"]), &local, &utc));
    }

    #[test]
    fn time_range_reads_every_argument_form_with_an_exclusive_end() {
        let (local, utc) = clocks(); // local 16:30:15, UTC 14:30:15
        let cases: [(&[&str], bool); 14] = [
            (&["16"], true),
            (&["14", "GMT"], true),
            (&["9", "17"], true),
            (&["12", "16"], false), // end hour exclusive (pacparser: true)
            (&["16", "17"], true),
            (&["16", "16"], true),
            (&["22", "17"], true), // wraps over midnight
            (&["14", "15", "GMT"], true),
            (&["16", "0", "16", "30"], false),
            (&["16", "30", "16", "31"], true),
            (&["16", "30", "0", "16", "30", "15"], false),
            (&["16", "30", "15", "16", "30", "16"], true),
            (&["1", "2", "3"], false),
            (&[], false),
        ];
        for (list, expected) in cases {
            assert_eq!(time_range(&args(list), &local, &utc), expected, "{list:?}");
        }
    }
}
