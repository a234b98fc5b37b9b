//! The stable vocabulary of a probe's outcome: its status and the stage it stopped at. The one
//! place their names are spelled.

use std::fmt;

use serde::Serialize;

/// The stable status vocabulary (DESIGN.md, "Probe statuses").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    DnsFailed,
    ConnectFailed,
    Timeout,
    ProxyAuthRequired,
    ProxyAuthRejected,
    ProxyDenied,
    ProxyError,
    TlsIntercepted,
    TlsUntrusted,
    TlsFailed,
    HttpUnexpected,
    NotProbed,
}

impl Status {
    /// The status's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::DnsFailed => "dns_failed",
            Status::ConnectFailed => "connect_failed",
            Status::Timeout => "timeout",
            Status::ProxyAuthRequired => "proxy_auth_required",
            Status::ProxyAuthRejected => "proxy_auth_rejected",
            Status::ProxyDenied => "proxy_denied",
            Status::ProxyError => "proxy_error",
            Status::TlsIntercepted => "tls_intercepted",
            Status::TlsUntrusted => "tls_untrusted",
            Status::TlsFailed => "tls_failed",
            Status::HttpUnexpected => "http_unexpected",
            Status::NotProbed => "not_probed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The stages of a probe, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Dns,
    Connect,
    Proxy,
    Tls,
    Http,
}

impl Stage {
    /// The stage's name as it appears in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Dns => "dns",
            Stage::Connect => "connect",
            Stage::Proxy => "proxy",
            Stage::Tls => "tls",
            Stage::Http => "http",
        }
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A yes/no fact that may not be knowable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer {
    Yes,
    No,
    NotKnown,
}
