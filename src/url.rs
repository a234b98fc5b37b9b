//! The URL of an endpoint (scheme, host, port and path, as dapreflight probes it) and the one
//! rule for a host that every part of dapreflight applies, both on the `url` crate.

use std::fmt;

use url::{Host, ParseError, Url};

/// Scheme, host, port and path of an endpoint URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Target {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    /// The port, defaulted from the scheme when the URL has none.
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// The URL schemes dapreflight probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Scheme {
    /// Plain HTTP (port 80 by default).
    Http,
    /// HTTP over TLS (port 443 by default).
    Https,
}

impl Scheme {
    /// The scheme as written in a URL (`http`, `https`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

impl Target {
    /// Host and port as written in a CONNECT request or `Host` header (`[::1]:443`).
    #[must_use]
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match (self.scheme, self.port) {
            (Scheme::Https, 443) | (Scheme::Http, 80) => host,
            _ => format!("{host}:{}", self.port),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}{}", self.authority(), self.path)
    }
}

impl Target {
    /// Parses an endpoint URL as the catalog accepts it (http or https, a host name, IP literal
    /// or `*` wildcard prefix, an ASCII path); the error is the whole message, with any
    /// user-info masked.
    ///
    /// `Url` parses; the text is looked at first only to refuse what `Url` would quietly repair
    /// (a missing `//`, an empty user-info, an empty port, spaces, a Unicode or percent-encoded
    /// host) and to word the errors in the catalog's terms.
    pub fn parse(raw: &str) -> Result<Target, String> {
        let invalid =
            |reason: &str| format!("'{}' is not a valid endpoint URL: {reason}", redact(raw));
        let Some((scheme, rest)) = raw.split_once("://") else {
            return Err(invalid("expected scheme://host, e.g. https://example.com"));
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        if authority.contains('@') {
            // Never echo the credentials: the message may end up in a shared report.
            return Err(invalid(
                "it must not contain a user name or password (user-info before `@`)",
            ));
        }
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => return Err(invalid("the scheme must be http or https")),
        };
        let (host_text, port_text) =
            split_authority(authority).map_err(|reason| invalid(&reason))?;
        check_endpoint_host(host_text).map_err(|reason| invalid(&reason))?;
        if port_text == Some("") {
            return Err(invalid(PORT_RULE));
        }
        if tail.contains('#') {
            return Err(invalid(
                "a fragment (`#...`) is never sent to the server: remove it",
            ));
        }
        if !tail.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(invalid(
                "the path must be ASCII without spaces or control characters (percent-encode them)",
            ));
        }
        let url = Url::parse(raw).map_err(|err| match err {
            ParseError::InvalidPort => invalid(PORT_RULE),
            err => invalid(&host_error(err, host_text)),
        })?;
        let host = match url.host() {
            Some(host) => host_string(&host),
            None => return Err(invalid("the host is missing")),
        };
        // `Url` takes port 0, which nothing can connect to.
        let port = match url.port_or_known_default() {
            Some(0) | None => return Err(invalid(PORT_RULE)),
            Some(port) => port,
        };
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        Ok(Target {
            scheme,
            host,
            port,
            path,
        })
    }
}

/// What a port must be, as the endpoint URL errors say it.
const PORT_RULE: &str = "the port must be a number from 1 to 65535";

/// Checks an endpoint URL's host text beyond [`parse_host`]'s rule: an optional `*` wildcard
/// prefix, and no final dot (TLS's SNI and the `Host` header carry a name without it).
fn check_endpoint_host(host: &str) -> Result<(), String> {
    if host.starts_with('[') {
        // An IPv6 literal: `Url` checks it.
        return Ok(());
    }
    let host = host.to_ascii_lowercase();
    match host.strip_prefix('*') {
        Some(rest) => {
            let name = rest.strip_prefix('.').unwrap_or(rest);
            check_host_name(name).map_err(|reason| {
                format!("the wildcard '{host}' must be `*` before a host name: {reason}")
            })
        }
        None if host.contains('*') => Err(
            "`*` is allowed only at the start of the host, as a wildcard prefix (`*.example.com`)"
                .to_owned(),
        ),
        None => check_host_name(&host),
    }
}

/// Splits an authority (`host`, `host:port`, `[v6]`, `[v6]:port`) into its host text, IPv6
/// still in brackets, and its port text, if any.
///
/// The one raw authority splitter: proxy lists and PAC results write `host:port`, which is not a
/// URL, and `Url` would drop an explicit port equal to the scheme's default, which a proxy
/// address must keep.
pub(crate) fn split_authority(authority: &str) -> Result<(&str, Option<&str>), String> {
    if authority.starts_with('[') {
        let Some(end) = authority.find(']') else {
            return Err("an IPv6 literal needs its closing `]`".to_owned());
        };
        let (literal, after) = authority.split_at(end + 1);
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("expected `:port` after the IPv6 literal")?,
            ),
        };
        return Ok((literal, port));
    }
    match authority.split_once(':') {
        // `a:b:c` could be an IPv6 address with or without a port: refuse to guess.
        Some((_, after)) if after.contains(':') => Err(
            "an IPv6 literal must be in brackets, e.g. https://[2001:db8::1]/ or [2001:db8::1]:8080"
                .to_owned(),
        ),
        Some((host, port)) => Ok((host, Some(port))),
        None => Ok((authority, None)),
    }
}

/// Parses a host by the rule every part of dapreflight applies: a DNS name (labels of letters,
/// digits, `-` and `_`, with an optional final dot), an IPv4 address or a bracketed IPv6 address.
///
/// It comes back as `url::Host` leaves it: lower case, an IPv4 address in dotted decimal (`127.1`
/// is `127.0.0.1`), an IPv6 address without brackets. A Unicode or percent-encoded name, which
/// `Url` would convert, is refused: a user should see the name that goes on the wire.
pub(crate) fn parse_host(text: &str) -> Result<String, String> {
    if !text.starts_with('[') {
        // A fully-qualified name's final dot stands for DNS's root, not an empty label.
        check_host_name(text.strip_suffix('.').unwrap_or(text))?;
    }
    Host::parse(text)
        .map(|host| host_string(&host))
        .map_err(|err| host_error(err, text))
}

/// The host as `Target` and `ProxyAddr` hold it: IPv6 without brackets.
fn host_string<S: AsRef<str>>(host: &Host<S>) -> String {
    match host {
        Host::Domain(name) => name.as_ref().to_owned(),
        Host::Ipv4(address) => address.to_string(),
        // `Ipv6Addr`'s own form, which writes a v4-mapped address as `::ffff:1.2.3.4`.
        Host::Ipv6(address) => address.to_string(),
    }
}

/// Words a `url` error about the host `text` (as written, IPv6 in brackets).
fn host_error(err: ParseError, text: &str) -> String {
    match err {
        ParseError::EmptyHost => "the host is missing".to_owned(),
        ParseError::InvalidIpv6Address => {
            let literal = text.trim_start_matches('[').trim_end_matches(']');
            format!("'{literal}' is not an IPv6 address")
        }
        ParseError::InvalidIpv4Address => {
            format!("'{text}' ends in a number but is not an IPv4 address")
        }
        ParseError::IdnaError => {
            format!("'{text}' has an xn-- label that is not a valid internationalized name")
        }
        err => format!("'{text}' is not a valid host: {err}"),
    }
}

/// Checks a concrete host name (or IPv4 address): dot-separated labels of letters, digits, `-`
/// and `_`.
pub(crate) fn check_host_name(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is missing".to_owned());
    }
    if host.len() > 253 {
        return Err("the host is longer than 253 characters".to_owned());
    }
    for label in host.split('.') {
        if label.is_empty() {
            return Err(format!(
                "'{host}' has an empty label (two dots, or a leading or trailing dot)"
            ));
        }
        if label.len() > 63 {
            return Err(format!("'{host}' has a label longer than 63 characters"));
        }
        if let Some(bad) = label
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '-' || *c == '_'))
        {
            return Err(format!(
                "'{host}' contains '{bad}': expected letters, digits, `-` and `.` \
                 (write an internationalized name in its xn-- form)"
            ));
        }
    }
    Ok(())
}

/// The URL with any user-info replaced by `***`, safe to show.
fn redact(raw: &str) -> String {
    let start = raw.find("://").map_or(0, |i| i + 3);
    let authority_end = raw[start..]
        .find(['/', '?', '#'])
        .map_or(raw.len(), |i| start + i);
    match raw[start..authority_end].rfind('@') {
        Some(at) => format!("{}***@{}", &raw[..start], &raw[start + at + 1..]),
        None => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_into_targets() {
        use Scheme::{Http, Https};
        // (url, scheme, host, port, path)
        #[rustfmt::skip] // one case a line, columns aligned
        let cases = [
            ("https://Example.COM",               Https, "example.com",   443,  "/"),
            ("http://example.com:8080/a?b=c",     Http,  "example.com",   8080, "/a?b=c"),
            ("https://example.com?x=1",           Https, "example.com",   443,  "/?x=1"),
            ("https://[::1]:8443/health",         Https, "::1",           8443, "/health"),
            ("https://[2001:DB8::1]",             Https, "2001:db8::1",   443,  "/"),
            ("https://10.0.0.1",                  Https, "10.0.0.1",      443,  "/"),
            ("https://*.example.com",             Https, "*.example.com", 443,  "/"),
            ("https://*v10c.example.com/x",       Https, "*v10c.example.com", 443, "/x"),
            ("HTTP://a.example:80/",              Http,  "a.example",     80,   "/"),
            ("https://a.example:443",             Https, "a.example",     443,  "/"),
            ("https://a.example:0080",            Https, "a.example",     80,   "/"),
            ("https://a.example/x?",              Https, "a.example",     443,  "/x?"),
            ("https://a_b.example/%41%2F",        Https, "a_b.example",   443,  "/%41%2F"),
            ("https://xn--bcher-kva.example",     Https, "xn--bcher-kva.example", 443, "/"),
            ("https://[::ffff:10.0.0.1]",         Https, "::ffff:10.0.0.1", 443, "/"),
            // What `Url` normalises, kept on purpose (as curl and browsers send them):
            // dot segments are resolved, also percent-encoded ones,
            ("https://a.example/x/../y/./z",      Https, "a.example",     443,  "/y/z"),
            ("https://a.example/x/%2e%2E/y",      Https, "a.example",     443,  "/y"),
            ("https://a.example/..",              Https, "a.example",     443,  "/"),
            // characters an HTTP request line must not carry raw are percent-encoded,
            ("https://a.example/{x}<\"`>",        Https, "a.example",     443,  "/%7Bx%7D%3C%22%60%3E"),
            ("https://a.example/?q='x'<\">",      Https, "a.example",     443,  "/?q=%27x%27%3C%22%3E"),
            // a backslash in the path is a slash,
            ("https://a.example/x\\y",            Https, "a.example",     443,  "/x/y"),
            // and an IPv4 address in a short, hex or octal form is written in dotted decimal.
            ("http://127.1:8080/",                Http,  "127.0.0.1",     8080, "/"),
            ("http://0x7f.0.0.1/",                Http,  "127.0.0.1",     80,   "/"),
            ("http://010.0.0.1/",                 Http,  "8.0.0.1",       80,   "/"),
        ];
        for (url, scheme, host, port, path) in cases {
            let target = Target::parse(url).expect(url);
            assert_eq!(
                target,
                Target {
                    scheme,
                    host: host.into(),
                    port,
                    path: path.into()
                },
                "{url}"
            );
        }
        let target = Target::parse("https://[::1]:8443/x").expect("ipv6");
        assert_eq!(target.to_string(), "https://[::1]:8443/x");
    }

    #[test]
    fn urls_are_refused_with_the_reason() {
        // (url, a phrase of the error)
        #[rustfmt::skip] // one case a line
        let cases = [
            ("a.example",                   "expected scheme://host"),
            ("https:a.example",             "expected scheme://host"),
            ("ftp://a.example",             "the scheme must be http or https"),
            (" https://a.example",          "the scheme must be http or https"),
            ("https://u:hunter2@a.example", "'https://***@a.example' is not a valid endpoint URL"),
            ("https://@a.example",          "must not contain a user name or password"),
            ("https://a.example:",          "the port must be a number from 1 to 65535"),
            ("https://a.example:0",         "the port must be a number from 1 to 65535"),
            ("https://a.example:65536",     "the port must be a number from 1 to 65535"),
            ("https://a.example:+1",        "the port must be a number from 1 to 65535"),
            ("https://a.example:x",         "the port must be a number from 1 to 65535"),
            ("https://a.example#x",         "a fragment (`#...`) is never sent"),
            ("https://a.example/#",         "a fragment (`#...`) is never sent"),
            ("https://a.example/a b",       "the path must be ASCII without spaces"),
            ("https://a.example/\tb",       "the path must be ASCII without spaces"),
            ("https://a.example/é",         "the path must be ASCII without spaces"),
            ("https:///x",                  "the host is missing"),
            ("https://:443/",               "the host is missing"),
            ("https://a.*.example",         "`*` is allowed only at the start"),
            ("https://*",                   "the wildcard '*' must be `*` before a host name"),
            ("https://*.",                  "the wildcard '*.' must be `*` before a host name"),
            ("https://é.example",           "contains 'é': expected letters, digits"),
            ("https://ex%61mple.com",       "contains '%'"),
            ("https://a.example\\x",        "contains '\\'"),
            ("https://a..example",          "has an empty label"),
            ("https://a.example.",          "has an empty label"),
            ("https://xn--zz.example",      "has an xn-- label that is not a valid"),
            ("https://1.2.3.999",           "'1.2.3.999' ends in a number but is not an IPv4"),
            ("https://a.1",                 "'a.1' ends in a number but is not an IPv4"),
            ("https://::1/",                "an IPv6 literal must be in brackets"),
            ("https://[::1",                "an IPv6 literal needs its closing `]`"),
            ("https://[::1]x",              "expected `:port` after the IPv6 literal"),
            ("https://[a.example]",         "'a.example' is not an IPv6 address"),
            ("https://[fe80::1%25eth0]",    "'fe80::1%25eth0' is not an IPv6 address"),
        ];
        for (url, phrase) in cases {
            let err = Target::parse(url).expect_err(url);
            assert!(err.contains(phrase), "{url}: {err}");
            assert!(!err.contains("hunter2"), "{url}: {err}");
        }
    }

    #[test]
    fn hosts_follow_one_rule() {
        // (host text, the host, or the phrase of the error)
        #[rustfmt::skip] // one case a line
        let cases = [
            ("Proxy.Corp",        Ok("proxy.corp")),
            ("proxy.corp.",       Ok("proxy.corp.")),
            ("_gc.corp",          Ok("_gc.corp")),
            ("10.0.0.1",          Ok("10.0.0.1")),
            ("127.1",             Ok("127.0.0.1")),
            ("[::1]",             Ok("::1")),
            ("[2001:DB8::1]",     Ok("2001:db8::1")),
            ("",                  Err("the host is missing")),
            (".",                 Err("the host is missing")),
            ("a..b",              Err("has an empty label")),
            ("pro xy",            Err("contains ' '")),
            ("*.corp",            Err("contains '*'")),
            ("bücher.example",    Err("contains 'ü'")),
            ("xn--zz",            Err("has an xn-- label that is not a valid")),
            ("1.2.3.256",         Err("ends in a number but is not an IPv4 address")),
            ("[1.2.3.4]",         Err("'1.2.3.4' is not an IPv6 address")),
            ("::1",               Err("contains ':'")),
        ];
        for (text, expected) in cases {
            match (parse_host(text), expected) {
                (Ok(host), Ok(want)) => assert_eq!(host, want, "{text}"),
                (Err(err), Err(phrase)) => assert!(err.contains(phrase), "{text}: {err}"),
                (got, want) => panic!("{text}: got {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn authorities_split_into_host_and_port_text() {
        // (authority, host text, port text) or the phrase of the error
        let cases = [
            ("a", Ok(("a", None))),
            ("a:80", Ok(("a", Some("80")))),
            ("a:", Ok(("a", Some("")))),
            ("[::1]", Ok(("[::1]", None))),
            ("[::1]:80", Ok(("[::1]", Some("80")))),
            ("[::1", Err("needs its closing `]`")),
            ("[::1]80", Err("expected `:port` after the IPv6 literal")),
            ("fe80::1:8080", Err("an IPv6 literal must be in brackets")),
        ];
        for (authority, expected) in cases {
            match (split_authority(authority), expected) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{authority}"),
                (Err(err), Err(phrase)) => assert!(err.contains(phrase), "{authority}: {err}"),
                (got, want) => panic!("{authority}: got {got:?}, expected {want:?}"),
            }
        }
    }
}
