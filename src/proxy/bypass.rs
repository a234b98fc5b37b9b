//! Proxy bypass lists (`ProxyOverride`, `netsh winhttp` `bypass-list`) and whether a host
//! skips the manual proxy, as `WinINET` and `WinHTTP` decide it.
//!
//! A bypass list applies to the manual proxy only, never to a PAC or WPAD result: the caller
//! decides when to consult it.

use std::net::IpAddr;

/// A parsed bypass list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BypassList {
    /// The entries in their written order, lower case, `<-loopback>` left out.
    entries: Vec<String>,
    /// Whether loopback hosts bypass the proxy without an entry (until `<-loopback>`).
    implicit_loopback: bool,
}

/// Why a host bypasses the proxy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BypassMatch {
    /// The entry that matched, as stored (lower case); `None` for the implicit loopback rule.
    pub entry: Option<String>,
    /// The rule in words, for the report.
    pub reason: String,
}

impl BypassList {
    /// Parses a bypass list: entries separated by `;`, `,` or whitespace, empty ones ignored.
    ///
    /// `(none)`, which `netsh winhttp show proxy` prints for an empty list, is an empty list.
    #[must_use]
    pub fn parse(text: &str) -> Self {
        let mut list = Self {
            entries: Vec::new(),
            implicit_loopback: true,
        };
        for entry in text.split(|c: char| c == ';' || c == ',' || c.is_whitespace()) {
            let entry = entry.to_ascii_lowercase();
            match entry.as_str() {
                "" | "(none)" => {}
                // IE9 and later: `<-loopback>` removes the implicit loopback bypass (EricLaw,
                // IEInternals; docs/formats.md §3.3).
                "<-loopback>" => list.implicit_loopback = false,
                _ => list.entries.push(entry),
            }
        }
        list
    }

    /// The entries in their written order, lower case, without `<-loopback>`.
    #[must_use]
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    /// Whether loopback hosts bypass the proxy implicitly (no `<-loopback>` in the list).
    #[must_use]
    pub fn implicit_loopback(&self) -> bool {
        self.implicit_loopback
    }

    /// Whether `host` (a name or IP literal, IPv6 with or without brackets) bypasses the proxy,
    /// and which rule says so; the first matching entry wins.
    #[must_use]
    pub fn matches(&self, host: &str) -> Option<BypassMatch> {
        let host = unbracket(host.trim()).to_ascii_lowercase();
        if self.implicit_loopback && is_loopback(&host) {
            // WinINET and WinHTTP never proxy localhost or loopback IPs (docs/formats.md §3.3).
            return Some(BypassMatch {
                entry: None,
                reason: format!(
                    "'{host}' is a loopback host, which WinINET and WinHTTP never send to a proxy \
                     (unless the list has <-loopback>)"
                ),
            });
        }
        self.entries.iter().find_map(|entry| {
            let reason = if entry == "<local>" {
                // `<local>` bypasses any host name without a period, as WinINET and WinHTTP do.
                // IP literals are not host names: IPv4 ones have periods (Chromium's naive dot
                // check agrees) and IPv6 ones are left out (no source: docs/formats.md §3.3).
                (!host.contains('.') && host.parse::<IpAddr>().is_err()).then(|| {
                    format!("'{host}' has no period, and <local> bypasses plain host names")
                })?
            } else {
                // `*` matches any run of characters, case-insensitively, against the whole host;
                // IP patterns such as `10.*` are string wildcards too (docs/formats.md §3.3).
                wildcard_match(unbracket(entry).as_bytes(), host.as_bytes())
                    .then(|| format!("'{host}' matches the bypass entry '{entry}'"))?
            };
            Some(BypassMatch {
                entry: Some(entry.clone()),
                reason,
            })
        })
    }
}

/// `localhost`, 127.0.0.0/8 and `::1`.
fn is_loopback(host: &str) -> bool {
    host == "localhost" || host.parse::<IpAddr>().is_ok_and(|addr| addr.is_loopback())
}

/// `[::1]` → `::1`; anything else unchanged.
fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(host)
}

/// Whether `pattern`, where `*` matches any run of bytes, matches all of `text`.
fn wildcard_match(pattern: &[u8], text: &[u8]) -> bool {
    let (mut p, mut t) = (0, 0);
    // After a `*`: where the pattern resumes, and where in the text that `*` stopped.
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p + 1, t));
                p += 1;
            }
            Some(&c) if c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((resume, stopped)) => {
                    // Let the last `*` swallow one more byte and try again.
                    star = Some((resume, stopped + 1));
                    p = resume;
                    t = stopped + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bypass_entries_match_like_windows() {
        // (list, host, the entry that matches: None = proxied, "(loopback)" = the implicit rule)
        #[rustfmt::skip] // one case a line, columns aligned
        let cases = [
            // `<local>`: plain host names only (WinINET "Bypass proxy server for local addresses").
            ("<local>",                    "intranet",                      Some("<local>")),
            ("<local>",                    "intranet.corp.example",         None),
            ("<local>",                    "10.1.2.3",                      None),
            ("<local>",                    "fe80::1",                       None),
            ("<LOCAL>",                    "Intranet",                      Some("<local>")),
            // `*` anywhere, case-insensitive, against the whole host.
            ("*.corp.example",             "wiki.corp.example",             Some("*.corp.example")),
            ("*.corp",                     "a.corp",                        Some("*.corp")),
            ("*.corp",                     "a.b.corp",                      Some("*.corp")),
            ("*.corp",                     "corp",                          None),
            ("*.corp",                     "a.corp.example",                None),
            ("ms*",                        "msn.com",                       Some("ms*")),
            ("ms*",                        "login.msn.com",                 None),
            ("*int*",                      "wiki.intranet.example",         Some("*int*")),
            ("*.Microsoft.COM",            "v10.events.data.microsoft.com", Some("*.microsoft.com")),
            ("a*b*c",                      "aXbYbZc",                       Some("a*b*c")),
            ("a*b*c",                      "aXbYcZ",                        None),
            ("watson.microsoft.com",       "watson.microsoft.com",          Some("watson.microsoft.com")),
            ("watson.microsoft.com",       "x.watson.microsoft.com",        None),
            // IP patterns are string wildcards, not networks.
            ("10.*",                       "10.1.2.3",                      Some("10.*")),
            ("10.*",                       "110.1.2.3",                     None),
            ("192.168.1.*",                "192.168.1.7",                   Some("192.168.1.*")),
            ("10.0.0.0/8",                 "10.1.2.3",                      None),
            ("[fe80::1]",                  "[FE80::1]",                     Some("[fe80::1]")),
            // Implicit loopback bypass, and `<-loopback>` removing it.
            ("",                           "localhost",                     Some("(loopback)")),
            ("",                           "127.0.0.1",                     Some("(loopback)")),
            ("",                           "127.8.9.10",                    Some("(loopback)")),
            ("",                           "::1",                           Some("(loopback)")),
            ("",                           "[::1]",                         Some("(loopback)")),
            ("",                           "localhost.corp",                None),
            ("<-loopback>",                "localhost",                     None),
            ("<-loopback>;<local>",        "localhost",                     Some("<local>")),
            ("<-loopback>",                "127.0.0.1",                     None),
            // Separators, empty entries and netsh's `(none)`.
            ("a.corp; *.b.corp,,c.corp\t", "x.b.corp",                      Some("*.b.corp")),
            ("a.corp,c.corp",              "c.corp",                        Some("c.corp")),
            ("(none)",                     "intranet",                      None),
            ("",                           "events.data.microsoft.com",     None),
        ];
        for (list, host, expected) in cases {
            let matched = BypassList::parse(list).matches(host);
            let entry = matched
                .as_ref()
                .map(|m| m.entry.as_deref().unwrap_or("(loopback)"));
            assert_eq!(entry, expected, "{list:?} vs {host}: {matched:?}");
        }
    }

    #[test]
    fn matches_say_why_in_words() {
        let list = BypassList::parse("<local>;*.corp");
        let reason = |host: &str| list.matches(host).map(|m| m.reason).unwrap_or_default();
        assert_eq!(
            reason("intranet"),
            "'intranet' has no period, and <local> bypasses plain host names"
        );
        assert_eq!(
            reason("A.Corp"),
            "'a.corp' matches the bypass entry '*.corp'"
        );
        assert!(reason("127.0.0.1").contains("never send to a proxy"));
    }

    #[test]
    fn parsing_keeps_entries_and_reads_the_special_ones() {
        let list = BypassList::parse("(none)");
        assert!(list.entries().is_empty() && list.implicit_loopback());
        let list = BypassList::parse(" <-loopback> ; <local>,*.Corp ");
        assert_eq!(list.entries(), ["<local>", "*.corp"]);
        assert!(!list.implicit_loopback());
    }

    #[test]
    fn wildcards_do_not_blow_up_on_many_stars() {
        let pattern = "*a".repeat(40);
        let host = "a".repeat(39) + "b";
        assert!(BypassList::parse(&pattern).matches(&host).is_none());
    }
}
