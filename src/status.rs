//! The stable vocabulary of a probe's outcome: its status and the stage it stopped at. The one
//! place their names are spelled.

use std::fmt;

/// The stable status vocabulary (DESIGN.md, "Probe statuses").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    Ok,
    DnsFailed,
    ConnectFailed,
    Timeout,
    ProxyAuthRequired,
    ProxyAuthRejected,
    /// The handshake could not go on (a challenge dapreflight cannot answer, a connection closed
    /// between NTLM messages).
    ProxyAuthFailed,
    ProxyDenied,
    ProxyError,
    TlsIntercepted,
    TlsUntrusted,
    TlsFailed,
    HttpUnexpected,
    NotProbed,
}

impl Status {
    /// Every status, in order.
    pub const ALL: [Status; 14] = [
        Status::Ok,
        Status::DnsFailed,
        Status::ConnectFailed,
        Status::Timeout,
        Status::ProxyAuthRequired,
        Status::ProxyAuthRejected,
        Status::ProxyAuthFailed,
        Status::ProxyDenied,
        Status::ProxyError,
        Status::TlsIntercepted,
        Status::TlsUntrusted,
        Status::TlsFailed,
        Status::HttpUnexpected,
        Status::NotProbed,
    ];

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
            Status::ProxyAuthFailed => "proxy_auth_failed",
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Stage {
    Dns,
    Connect,
    Proxy,
    Tls,
    Http,
}

impl Stage {
    /// Every stage, in order.
    pub const ALL: [Stage; 5] = [
        Stage::Dns,
        Stage::Connect,
        Stage::Proxy,
        Stage::Tls,
        Stage::Http,
    ];

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    Yes,
    No,
    NotKnown,
}

impl Answer {
    /// Every answer.
    pub const ALL: [Answer; 3] = [Answer::Yes, Answer::No, Answer::NotKnown];

    /// The answer's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::NotKnown => "not_known",
        }
    }
}
