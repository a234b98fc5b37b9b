//! The authenticator for credentials given to this run (`DAPREFLIGHT_PROXY_USER`/`_PASSWORD` or
//! the prompt): `NTLMv2` under `NTLM` or `Negotiate`, else Basic. Portable, and the tested path on
//! every OS; SSPI with the current logon is another authenticator.

use base64::Engine as _;

use super::ntlm::NtlmHandshake;
use super::{
    AuthError, Authenticate, Authenticated, Credentials, Handshake, Presenting, Scheme, Scrubber,
    Step,
};

/// Proves explicit credentials to a proxy: prefers `NTLM`, then `Negotiate` (raw NTLMSSP tokens
/// under that word, which Windows also sends when no Kerberos ticket is possible), then `Basic`.
#[derive(Clone, Debug)]
pub struct Explicit {
    credentials: Credentials,
}

impl Explicit {
    /// An authenticator presenting `credentials`.
    #[must_use]
    pub fn new(credentials: Credentials) -> Self {
        Self { credentials }
    }
}

impl Authenticate for Explicit {
    fn choose(&self, offered: &[&str]) -> Option<Scheme> {
        // `offered` may hold bare scheme words, whole challenges (`Basic realm="x"`) or a whole
        // header value (`Negotiate, NTLM`): the first word of each comma-separated piece that
        // names a scheme counts (an auth-param such as `realm="a"` never does).
        let offered: Vec<Scheme> = offered
            .iter()
            .flat_map(|value| value.split(','))
            .filter_map(|piece| {
                let word = piece.split_whitespace().next().unwrap_or_default();
                Scheme::from_word(word)
            })
            .collect();
        [Scheme::Ntlm, Scheme::Negotiate, Scheme::Basic]
            .into_iter()
            .find(|scheme| offered.contains(scheme))
    }

    fn begin(&self, scheme: Scheme, _proxy_host: &str) -> Result<Box<dyn Handshake>, AuthError> {
        Ok(match scheme {
            Scheme::Ntlm | Scheme::Negotiate => {
                Box::new(NtlmHandshake::new(scheme, self.credentials.clone()))
            }
            Scheme::Basic => Box::new(BasicHandshake {
                credentials: self.credentials.clone(),
                sent: false,
            }),
        })
    }

    fn presenting(&self) -> Presenting {
        Presenting::Explicit {
            account: self.credentials.account().to_owned(),
        }
    }

    fn scrubber(&self) -> Scrubber {
        // The NTLM messages carry no password (only HMACs over it), so the Basic encodings and
        // the plain password are all there is to scrub.
        self.credentials.scrubber()
    }
}

/// Basic as a handshake of one step: the base64 of `user:password`.
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
        let pair = format!("{}:{}", self.credentials.user, self.credentials.password);
        Ok(Step::Send(
            base64::engine::general_purpose::STANDARD
                .encode(pair)
                .into_bytes(),
        ))
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

    fn explicit() -> Explicit {
        Explicit::new(Credentials::new(
            "CORP\\alice".to_owned(),
            "s3cret".to_owned(),
        ))
    }

    #[test]
    fn ntlm_is_preferred_then_negotiate_then_basic() {
        let cases: [(&[&str], Option<Scheme>); 8] = [
            (&["Negotiate, NTLM"], Some(Scheme::Ntlm)),
            (&["Basic realm=\"NTLM, x\""], Some(Scheme::Basic)),
            (
                &["Negotiate", "NTLM", "Basic realm=\"x\""],
                Some(Scheme::Ntlm),
            ),
            (&["basic realm=\"x\"", "negotiate"], Some(Scheme::Negotiate)),
            (&["Basic realm=\"x\""], Some(Scheme::Basic)),
            (&["NTLM TlRMTVNTUAACAAAA"], Some(Scheme::Ntlm)),
            (&["Digest realm=\"x\"", "Bearer"], None),
            (&[], None),
        ];
        for (offered, expected) in cases {
            assert_eq!(explicit().choose(offered), expected, "{offered:?}");
        }
    }

    #[test]
    fn basic_is_one_step_of_base64_then_done() {
        let mut handshake = explicit()
            .begin(Scheme::Basic, "proxy.test")
            .expect("basic");
        assert_eq!(
            handshake.step(None),
            Ok(Step::Send(b"Q09SUFxhbGljZTpzM2NyZXQ=".to_vec()))
        );
        assert_eq!(handshake.step(None), Ok(Step::Done));
        assert_eq!(handshake.authenticated().package.as_deref(), Some("Basic"));
    }

    #[test]
    fn explicit_presents_the_account_and_scrubs_the_password() {
        let explicit = explicit();
        assert_eq!(
            explicit.presenting(),
            Presenting::Explicit {
                account: "CORP\\alice".to_owned()
            }
        );
        let scrubbed = explicit.scrubber().bytes(b"pw=s3cret").into_owned();
        assert!(!String::from_utf8_lossy(&scrubbed).contains("s3cret"));
        let handshake = explicit.begin(Scheme::Ntlm, "proxy.test").expect("ntlm");
        assert_eq!(handshake.authenticated().package.as_deref(), Some("NTLMv2"));
    }
}
