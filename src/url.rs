//! The URL of an endpoint: scheme, host, port and path, as dapreflight probes it.

use std::fmt;
use std::net::Ipv6Addr;

/// Scheme, host, port and path of an endpoint URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
            return Err(format!(
                "'{}' is not a valid endpoint URL: it must not contain a user name or password \
                 (user-info before `@`)",
                redact(raw)
            ));
        }
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            _ => return Err(invalid("the scheme must be http or https")),
        };
        let (host, port) = split_host_port(authority).map_err(|reason| invalid(&reason))?;
        let port = match port {
            None => match scheme {
                Scheme::Https => 443,
                Scheme::Http => 80,
            },
            Some(text) => match text.parse::<u16>() {
                Ok(port) if port > 0 && text.bytes().all(|b| b.is_ascii_digit()) => port,
                _ => return Err(invalid("the port must be a number from 1 to 65535")),
            },
        };
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
        let path = if tail.is_empty() {
            "/".to_owned()
        } else if tail.starts_with('?') {
            format!("/{tail}")
        } else {
            tail.to_owned()
        };
        Ok(Target {
            scheme,
            host,
            port,
            path,
        })
    }
}

/// Splits an authority into a checked, lower-case host and the port text, if any.
fn split_host_port(authority: &str) -> Result<(String, Option<&str>), String> {
    if let Some(bracketed) = authority.strip_prefix('[') {
        let Some((literal, after)) = bracketed.split_once(']') else {
            return Err("an IPv6 literal needs its closing `]`".to_owned());
        };
        let address: Ipv6Addr = literal
            .parse()
            .map_err(|_| format!("'{literal}' is not an IPv6 address"))?;
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or("expected `:port` after the IPv6 literal")?,
            ),
        };
        return Ok((address.to_string(), port));
    }
    let (host, port) = match authority.split_once(':') {
        Some((_, after)) if after.contains(':') => {
            return Err("an IPv6 literal must be in brackets, e.g. https://[2001:db8::1]/".into());
        }
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    };
    let host = host.to_ascii_lowercase();
    match host.strip_prefix('*') {
        Some(rest) => {
            let name = rest.strip_prefix('.').unwrap_or(rest);
            check_host_name(name).map_err(|reason| {
                format!("the wildcard '{host}' must be `*` before a host name: {reason}")
            })?;
        }
        None => check_host_name(&host)?,
    }
    Ok((host, port))
}

/// Checks a concrete host name (or IPv4 address): dot-separated labels of letters, digits, `-`
/// and `_`.
pub(crate) fn check_host_name(host: &str) -> Result<(), String> {
    if host.is_empty() {
        return Err("the host is missing".to_owned());
    }
    if host.contains('*') {
        return Err(
            "`*` is allowed only at the start of the host, as a wildcard prefix (`*.example.com`)"
                .to_owned(),
        );
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
        let cases = [
            (
                "https://Example.COM",
                Scheme::Https,
                "example.com",
                443,
                "/",
            ),
            (
                "http://example.com:8080/a?b=c",
                Scheme::Http,
                "example.com",
                8080,
                "/a?b=c",
            ),
            (
                "https://example.com?x=1",
                Scheme::Https,
                "example.com",
                443,
                "/?x=1",
            ),
            (
                "https://[::1]:8443/health",
                Scheme::Https,
                "::1",
                8443,
                "/health",
            ),
            (
                "https://[2001:DB8::1]",
                Scheme::Https,
                "2001:db8::1",
                443,
                "/",
            ),
            ("https://10.0.0.1", Scheme::Https, "10.0.0.1", 443, "/"),
            (
                "https://*.example.com",
                Scheme::Https,
                "*.example.com",
                443,
                "/",
            ),
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
}
