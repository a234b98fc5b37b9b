//! Basic (RFC 7617) behind the [`Authenticate`] interface: one token, `user:password` in base64,
//! and nothing more to say after it. Small on purpose: the explicit-credentials authenticator
//! that also speaks NTLM and Negotiate can take its place without the probe noticing.

use super::{AuthError, Authenticate, Authenticated, Credentials, Handshake, Presenting, Scheme};
use super::{Scrubber, Step};

/// Answers Basic challenges, and only those, with explicit credentials.
#[derive(Clone, Debug)]
pub struct Basic {
    credentials: Credentials,
}

impl Basic {
    /// An authenticator presenting `credentials` with Basic.
    #[must_use]
    pub fn new(credentials: Credentials) -> Self {
        Self { credentials }
    }
}

impl Authenticate for Basic {
    fn choose(&self, offered: &[&str]) -> Option<Scheme> {
        offered
            .iter()
            .any(|word| Scheme::from_word(word) == Some(Scheme::Basic))
            .then_some(Scheme::Basic)
    }

    fn begin(&self, scheme: Scheme, _proxy_host: &str) -> Result<Box<dyn Handshake>, AuthError> {
        if scheme != Scheme::Basic {
            return Err(AuthError::Unsupported {
                scheme,
                what: "a scheme other than Basic".to_owned(),
            });
        }
        Ok(Box::new(BasicHandshake {
            credentials: self.credentials.clone(),
            sent: false,
        }))
    }

    fn presenting(&self) -> Presenting {
        Presenting::Explicit {
            account: self.credentials.account().to_owned(),
        }
    }

    fn scrubber(&self) -> Scrubber {
        self.credentials.scrubber()
    }
}

/// One Basic exchange: the token once, then done whatever the proxy says.
struct BasicHandshake {
    credentials: Credentials,
    sent: bool,
}

impl Handshake for BasicHandshake {
    fn step(&mut self, _challenge: Option<&[u8]>) -> Result<Step, AuthError> {
        if self.sent {
            return Ok(Step::Done);
        }
        self.sent = true;
        let value = self.credentials.basic();
        let token = value.strip_prefix("Basic ").unwrap_or(&value);
        Ok(Step::Send(token.as_bytes().to_vec()))
    }

    fn authenticated(&self) -> Authenticated {
        Authenticated {
            account: Some(self.credentials.account().to_owned()),
            package: Some("Basic".to_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic() -> Basic {
        Basic::new(Credentials::new("alice".to_owned(), "s3cret".to_owned()))
    }

    #[test]
    fn basic_is_chosen_only_when_offered_in_any_case() {
        assert_eq!(basic().choose(&["NTLM", "basic"]), Some(Scheme::Basic));
        assert_eq!(basic().choose(&["Negotiate", "NTLM"]), None);
        assert!(basic().begin(Scheme::Ntlm, "proxy.test").is_err());
    }

    #[test]
    fn the_basic_handshake_sends_its_token_once_then_is_done() {
        let mut handshake = basic().begin(Scheme::Basic, "proxy.test").expect("basic");
        let Ok(Step::Send(token)) = handshake.step(None) else {
            panic!("a token first");
        };
        assert_eq!(token, b"YWxpY2U6czNjcmV0");
        assert_eq!(handshake.step(Some(b"anything")), Ok(Step::Done));
        assert_eq!(handshake.authenticated().account.as_deref(), Some("alice"));
        assert_eq!(
            basic().presenting(),
            Presenting::Explicit {
                account: "alice".to_owned()
            }
        );
    }
}
