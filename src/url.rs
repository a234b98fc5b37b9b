//! The URL of an endpoint: scheme, host, port and path, as dapreflight probes it.

use std::fmt;

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
