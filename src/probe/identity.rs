//! Who ran a context's probes, and how they came to run as that account: the answer to "which
//! identity did the proxy see", which the report shows per context.

use std::fmt;

/// The account one context's probes ran as, and how dapreflight got there.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProbedAs {
    /// The account as Windows names it (`NT AUTHORITY\SYSTEM`, `CORP\alice`), or the user name
    /// off Windows.
    pub account: String,
    pub identity: Identity,
    pub how: How,
}

/// Which identity a context was probed as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Identity {
    /// LocalSystem: what the diagnostic-data service is, so what the proxy sees of the device.
    System,
    /// The signed-in console user.
    User,
    /// Whoever ran dapreflight (`--as current`): proves nothing about either approach.
    Current,
}

/// How the probes came to run as that identity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum How {
    /// In dapreflight's own process: it already was that identity.
    InProcess,
    /// In a temporary service running as LocalSystem.
    Service,
    /// In a process started with the console user's token (from the SYSTEM side).
    UserToken,
    /// In a child process of the same account (the portable hop the tests drive).
    ChildProcess,
}

impl Identity {
    /// Every identity, in order.
    pub const ALL: [Identity; 3] = [Identity::System, Identity::User, Identity::Current];

    /// The identity's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Identity::System => "system",
            Identity::User => "user",
            Identity::Current => "current",
        }
    }
}

impl How {
    /// Every way, in order.
    pub const ALL: [How; 4] = [
        How::InProcess,
        How::Service,
        How::UserToken,
        How::ChildProcess,
    ];

    /// The way's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            How::InProcess => "in-process",
            How::Service => "service",
            How::UserToken => "user token",
            How::ChildProcess => "child process",
        }
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for How {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
