//! Floor: proving an identity to a proxy. One interface, a handshake step by step (the proxy's
//! challenge in, the next `Proxy-Authorization` token out), with the implementations behind it:
//! Basic and portable NTLMv2 with explicit credentials (here), and SSPI with the current logon
//! (`windows/live/`, which implements [`Authenticate`]). The probe drives a handshake on one
//! connection and never knows which implementation it holds; the command layer picks one.

mod explicit;
pub(crate) mod ntlm;
pub(crate) mod scrub;

pub use explicit::Explicit;

pub use scrub::Scrubber;

use std::fmt;

/// An authentication scheme dapreflight can answer, as named in `Proxy-Authenticate`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// RFC 4559. With explicit credentials the token is raw NTLMSSP (what Windows sends when no
    /// Kerberos ticket is possible); with SSPI it is whatever the `Negotiate` package produces.
    Negotiate,
    /// MS-NLMP over HTTP: three messages on one connection.
    Ntlm,
    /// RFC 7617: one token, `user:password`.
    Basic,
}

impl Scheme {
    /// The scheme word as sent in `Proxy-Authorization`.
    #[must_use]
    pub fn word(self) -> &'static str {
        match self {
            Self::Negotiate => "Negotiate",
            Self::Ntlm => "NTLM",
            Self::Basic => "Basic",
        }
    }

    /// The scheme a `Proxy-Authenticate` challenge names, if dapreflight knows it.
    #[must_use]
    pub fn from_word(word: &str) -> Option<Self> {
        [Self::Negotiate, Self::Ntlm, Self::Basic]
            .into_iter()
            .find(|scheme| scheme.word().eq_ignore_ascii_case(word))
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.word())
    }
}

/// What one step of a handshake produced.
#[derive(Clone, PartialEq, Eq)]
pub enum Step {
    /// Send this token (raw bytes; the probe base64-encodes it after the scheme word, except for
    /// Basic, whose token is already the base64 text as bytes), then read the proxy's answer.
    Send(Vec<u8>),
    /// The handshake has nothing more to send.
    Done,
}

impl fmt::Debug for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Send(token) => write!(f, "Send(<{} bytes>)", token.len()),
            Self::Done => f.write_str("Done"),
        }
    }
}

/// Whose identity an authenticator presents.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Presenting {
    /// Credentials given to this run (`DAPREFLIGHT_PROXY_USER`/`_PASSWORD` or the prompt): the
    /// account as given, `DOMAIN\user` or `user@domain`.
    Explicit { account: String },
    /// The logon of the process that probes (SSPI without explicit credentials): the computer
    /// account when that process is SYSTEM, the user when it runs as the user.
    CurrentLogon,
}

/// Who authenticated, and with what, as far as the handshake can tell. Never a secret.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Authenticated {
    /// The account name, e.g. `CORP\WS01$` (from SSPI's `SECPKG_ATTR_NAMES`) or the explicit
    /// account.
    pub account: Option<String>,
    /// The package or protocol used, e.g. `NTLMv2`, `Kerberos`, `NTLM` (SSPI's
    /// `SECPKG_ATTR_PACKAGE_INFO`), `Basic`.
    pub package: Option<String>,
}

/// Why a handshake could not go on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// The proxy's challenge token could not be read (e.g. a truncated NTLM type-2 message).
    #[error("the proxy's {scheme} challenge is malformed: {reason}")]
    Malformed { scheme: Scheme, reason: String },
    /// The proxy asks for something dapreflight will not do (e.g. LM or NTLMv1 only).
    #[error("the proxy's {scheme} challenge asks for {what}, which dapreflight does not send")]
    Unsupported { scheme: Scheme, what: String },
    /// The platform's security package refused (SSPI's status, in words).
    #[error("{scheme} failed: {reason}")]
    Failed { scheme: Scheme, reason: String },
}

/// One handshake on one connection: call [`step`](Handshake::step) with `None` first, then with
/// each challenge token the proxy sends back (decoded from base64), until it says `Done` or the
/// proxy stops asking.
pub trait Handshake: Send {
    /// The next token to send.
    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, AuthError>;
    /// Who this handshake presents itself as, and with what, so far.
    fn authenticated(&self) -> Authenticated;
    /// Extra facts worth reporting (e.g. "the challenge carried no TargetInfo").
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
}

/// A source of handshakes: one per connection, shared by all the probes of a context.
pub trait Authenticate: Send + Sync + fmt::Debug {
    /// The scheme to answer among those a proxy offers (`offered` as sent, any case), in this
    /// authenticator's preference; `None` when it can answer none of them.
    fn choose(&self, offered: &[&str]) -> Option<Scheme>;
    /// A new handshake for `scheme` with the proxy at `proxy_host` (SSPI's target is
    /// `HTTP/<proxy_host>`).
    fn begin(&self, scheme: Scheme, proxy_host: &str) -> Result<Box<dyn Handshake>, AuthError>;
    /// Whose identity this authenticator presents.
    fn presenting(&self) -> Presenting;
    /// What removes the secrets it holds from anything a peer sends back.
    fn scrubber(&self) -> Scrubber;
}

/// Proxy credentials, from `DAPREFLIGHT_PROXY_USER` / `DAPREFLIGHT_PROXY_PASSWORD` or a prompt.
///
/// Neither `Debug` nor anything else prints them.
#[derive(Clone)]
pub struct Credentials {
    user: String,
    password: String,
}

impl Credentials {
    /// Credentials from the environment variables, when both are set and the user is not empty.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Option<Self> {
        let mut user = None;
        let mut password = None;
        for (key, value) in vars {
            match key.as_str() {
                "DAPREFLIGHT_PROXY_USER" => user = Some(value),
                "DAPREFLIGHT_PROXY_PASSWORD" => password = Some(value),
                _ => {}
            }
        }
        match (user, password) {
            (Some(user), Some(password)) if !user.is_empty() => Some(Self { user, password }),
            _ => None,
        }
    }

    /// Credentials given directly (tests, and the prompt).
    #[must_use]
    pub fn new(user: String, password: String) -> Self {
        Self { user, password }
    }

    /// The account as given (`DOMAIN\user`, `user@domain` or `user`). Not a secret.
    #[must_use]
    pub fn account(&self) -> &str {
        &self.user
    }

    /// What scrubs these credentials, in every encoding, from what a peer sends back.
    pub(crate) fn scrubber(&self) -> Scrubber {
        Scrubber::new(&self.user, &self.password)
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show_in_debug_output() {
        let credentials = Credentials::from_vars([
            ("DAPREFLIGHT_PROXY_USER".to_owned(), "alice".to_owned()),
            ("DAPREFLIGHT_PROXY_PASSWORD".to_owned(), "s3cret".to_owned()),
        ])
        .expect("both set");
        let shown = format!("{credentials:?}");
        assert!(
            !shown.contains("alice") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(
            Credentials::from_vars([("DAPREFLIGHT_PROXY_USER".to_owned(), "a".to_owned())])
                .is_none()
        );
    }

    #[test]
    fn scheme_words_round_trip_in_any_case() {
        for scheme in [Scheme::Negotiate, Scheme::Ntlm, Scheme::Basic] {
            assert_eq!(
                Scheme::from_word(&scheme.word().to_lowercase()),
                Some(scheme)
            );
        }
        assert_eq!(Scheme::from_word("Digest"), None);
    }
}
