//! Portable `NTLMv2` with explicit credentials (MS-NLMP): the handshake that answers `NTLM`, and
//! `Negotiate` with raw NTLMSSP tokens. `NTLMv2` only: never LM, never `NTLMv1`. Not SSPI, which
//! lives in `windows/live/` and uses the current logon instead of a password.

pub(crate) mod crypto;
pub(crate) mod message;

use std::time::{SystemTime, UNIX_EPOCH};

use ring::rand::{SecureRandom as _, SystemRandom};

use super::{AuthError, Authenticated, Credentials, Handshake, Scheme, Step};
use message::{Challenge, flags};

/// The package name reported for what this module sends.
pub(crate) const PACKAGE: &str = "NTLMv2";

/// An account as the user gave it, split the way Windows sends it in the AUTHENTICATE message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Account {
    pub(crate) user: String,
    /// `None`: no domain given; the challenge's domain is used.
    pub(crate) domain: Option<String>,
}

impl Account {
    /// `DOMAIN\user` → user and domain; `user@domain` (a UPN) → the whole UPN as the user and
    /// an empty domain, as Windows sends a UPN logon (the domain controller resolves the suffix;
    /// MS-NLMP §2.2.1.3 allows an empty `DomainName`, and the "name variations" in Eric Glass's
    /// NTLM notes, davenport.sourceforge.net/ntlm.html, record the same); bare `user` → the
    /// domain the challenge names.
    pub(crate) fn parse(account: &str) -> Account {
        if let Some((domain, user)) = account.split_once('\\') {
            Account {
                user: user.to_owned(),
                domain: Some(domain.to_owned()),
            }
        } else if account.contains('@') {
            Account {
                user: account.to_owned(),
                domain: Some(String::new()),
            }
        } else {
            Account {
                user: account.to_owned(),
                domain: None,
            }
        }
    }
}

/// One `NTLMv2` handshake: NEGOTIATE out, CHALLENGE in, AUTHENTICATE out.
pub(crate) struct NtlmHandshake {
    scheme: Scheme,
    credentials: Credentials,
    state: State,
    /// The account as sent (`DOMAIN\user` once the domain is known).
    sent_as: String,
    notes: Vec<String>,
}

enum State {
    Start,
    /// The NEGOTIATE message went out; kept for the MIC.
    Negotiated(Vec<u8>),
    Answered,
}

impl NtlmHandshake {
    /// A handshake under `scheme` (`NTLM`, or `Negotiate` carrying raw NTLMSSP).
    pub(crate) fn new(scheme: Scheme, credentials: Credentials) -> NtlmHandshake {
        NtlmHandshake {
            scheme,
            sent_as: credentials.account().to_owned(),
            credentials,
            state: State::Start,
            notes: Vec::new(),
        }
    }
}

impl Handshake for NtlmHandshake {
    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, AuthError> {
        match (&self.state, challenge) {
            (State::Start, None) => {
                let negotiate = message::negotiate();
                self.state = State::Negotiated(negotiate.clone());
                Ok(Step::Send(negotiate))
            }
            (State::Start, Some(_)) => {
                Err(self
                    .malformed("a challenge arrived before dapreflight sent its negotiate message"))
            }
            (State::Negotiated(_), None) => {
                Err(self.malformed("the proxy answered the negotiate message without a challenge"))
            }
            (State::Negotiated(negotiate), Some(challenge_bytes)) => {
                let client_challenge = random_challenge(self.scheme)?;
                let answer = respond(
                    &Account::parse(self.credentials.account()),
                    &self.credentials.password,
                    negotiate,
                    challenge_bytes,
                    client_challenge,
                    filetime_now(),
                )
                .map_err(|err| err.into_auth_error(self.scheme))?;
                self.state = State::Answered;
                self.sent_as = answer.sent_as;
                self.notes = answer.notes;
                Ok(Step::Send(answer.message))
            }
            (State::Answered, _) => Ok(Step::Done),
        }
    }

    fn authenticated(&self) -> Authenticated {
        Authenticated {
            account: Some(self.sent_as.clone()),
            package: Some(PACKAGE.to_owned()),
        }
    }

    fn notes(&self) -> Vec<String> {
        self.notes.clone()
    }
}

impl NtlmHandshake {
    fn malformed(&self, reason: &str) -> AuthError {
        AuthError::Malformed {
            scheme: self.scheme,
            reason: reason.to_owned(),
        }
    }
}

/// The AUTHENTICATE message for one challenge, and what to report about it.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) message: Vec<u8>,
    /// `DOMAIN\user` as sent (or the UPN, or the bare user when no domain was known).
    pub(crate) sent_as: String,
    pub(crate) notes: Vec<String>,
}

/// Why no AUTHENTICATE message could be built.
#[derive(Debug)]
pub(crate) enum RespondError {
    Malformed(message::ChallengeError),
    /// The challenge offers LM alone.
    LmOnly,
}

impl RespondError {
    fn into_auth_error(self, scheme: Scheme) -> AuthError {
        match self {
            Self::Malformed(err) => AuthError::Malformed {
                scheme,
                reason: err.to_string(),
            },
            Self::LmOnly => AuthError::Unsupported {
                scheme,
                what: "LM or NTLMv1 (its flags offer neither NTLM nor extended session security)"
                    .to_owned(),
            },
        }
    }
}

/// Builds the `NTLMv2` AUTHENTICATE message (MS-NLMP §3.1.5.1.2, §3.3.2) for `challenge_bytes`;
/// pure, so tests fix the client challenge and the clock.
///
/// `NTLMv2` is a choice of the client (Windows' `LmCompatibilityLevel`), not a flag the server
/// grants, so almost every challenge can be answered with it. The one challenge that cannot is
/// one offering LM alone: MS-NLMP §2.2.2.5 says a CHALLENGE "MUST" set
/// `NTLMSSP_NEGOTIATE_NTLM`, and one that sets neither it nor extended session security is a
/// server that speaks LM only; dapreflight refuses it rather than fall back.
pub(crate) fn respond(
    account: &Account,
    password: &str,
    negotiate: &[u8],
    challenge_bytes: &[u8],
    client_challenge: [u8; 8],
    now: u64,
) -> Result<Answer, RespondError> {
    let challenge = Challenge::parse(challenge_bytes).map_err(RespondError::Malformed)?;
    if challenge.flags & (flags::NTLM | flags::EXTENDED_SESSIONSECURITY) == 0 {
        return Err(RespondError::LmOnly);
    }
    let mut notes = Vec::new();
    let domain = if let Some(domain) = &account.domain {
        domain.clone()
    } else {
        let named = challenge
            .target_info
            .as_ref()
            .and_then(message::TargetInfo::nb_domain_name)
            .or_else(|| challenge.target_name.clone())
            .unwrap_or_default();
        if !named.is_empty() {
            notes.push(format!(
                "no domain was given with the account; used the one the proxy's challenge names: {named}"
            ));
        }
        named
    };
    let timestamp = challenge
        .target_info
        .as_ref()
        .and_then(message::TargetInfo::timestamp);
    if challenge.target_info.is_none() {
        notes.push(
            "the proxy's NTLM challenge carried no TargetInfo; NTLMv2 was computed without it"
                .to_owned(),
        );
    }
    // With the server's timestamp the client adds a MIC and zeroes the LMv2 response
    // (MS-NLMP §3.1.5.1.2).
    let mic = timestamp.is_some();
    let target_info = challenge
        .target_info
        .clone()
        .unwrap_or_default()
        .encode(mic);
    let key = crypto::ntowfv2(password, &account.user, &domain);
    let responses = crypto::responses(
        &key,
        &crypto::Inputs {
            server_challenge: challenge.server_challenge,
            client_challenge,
            timestamp: timestamp.unwrap_or(now),
            target_info: &target_info,
            lm_zeroed: mic,
        },
    );
    let flags = (challenge.flags & message::NEGOTIATE_FLAGS & !flags::OEM) | flags::UNICODE;
    let mut message = message::Authenticate {
        flags,
        lm_response: &responses.lm,
        nt_response: &responses.nt,
        domain: &domain,
        user: &account.user,
        // Empty: the workstation name is optional (MS-NLMP §2.2.1.3), and a probe's report
        // should not depend on it.
        workstation: "",
    }
    .encode();
    if mic {
        // No key exchange: the exported session key is the session base key (MS-NLMP §3.4.5.1).
        let code = crypto::hmac_md5(
            &responses.session_base_key,
            &[negotiate, challenge_bytes, &message],
        );
        message[message::MIC_OFFSET..message::MIC_OFFSET + 16].copy_from_slice(&code);
    }
    let sent_as = if domain.is_empty() {
        account.user.clone()
    } else {
        format!("{domain}\\{}", account.user)
    };
    Ok(Answer {
        message,
        sent_as,
        notes,
    })
}

/// Eight random bytes for the client challenge.
fn random_challenge(scheme: Scheme) -> Result<[u8; 8], AuthError> {
    let mut bytes = [0; 8];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AuthError::Failed {
            scheme,
            reason: "the system's random number generator failed".to_owned(),
        })?;
    Ok(bytes)
}

/// Now as a Windows `FILETIME`: 100-nanosecond intervals since 1601-01-01 UTC.
fn filetime_now() -> u64 {
    const UNIX_EPOCH_AS_FILETIME: u64 = 116_444_736_000_000_000;
    let since_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let ticks = u64::try_from(since_unix.as_nanos() / 100).unwrap_or(u64::MAX);
    UNIX_EPOCH_AS_FILETIME.saturating_add(ticks)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    use super::*;

    fn fixture(text: &str) -> Vec<u8> {
        let b64: String = text.lines().filter(|line| !line.starts_with('#')).collect();
        base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .expect("the fixture is base64")
    }

    fn full() -> Vec<u8> {
        fixture(include_str!(
            "../../../testdata/ntlm/full_type2.synthetic.b64"
        ))
    }

    fn squid() -> Vec<u8> {
        fixture(include_str!(
            "../../../testdata/ntlm/squid_fake_auth_type2.synthetic.b64"
        ))
    }

    #[test]
    fn accounts_split_as_windows_sends_them() {
        let cases = [
            ("CORP\\alice", "alice", Some("CORP")),
            ("alice@corp.example", "alice@corp.example", Some("")),
            ("alice", "alice", None),
            ("CORP\\alice@x", "alice@x", Some("CORP")),
        ];
        for (given, user, domain) in cases {
            let account = Account::parse(given);
            assert_eq!(account.user, user, "{given}");
            assert_eq!(account.domain.as_deref(), domain, "{given}");
        }
    }

    #[test]
    fn a_bare_user_takes_the_domain_the_challenge_names() {
        let account = Account::parse("alice");
        let answer =
            respond(&account, "pw", &message::negotiate(), &full(), [7; 8], 0).expect("answerable");
        assert_eq!(answer.sent_as, "CORP\\alice");
        assert!(answer.notes[0].contains("CORP"), "{:?}", answer.notes);
    }

    #[test]
    fn the_minimal_squid_challenge_is_answered_without_target_info_and_says_so() {
        let answer = respond(
            &Account::parse("alice"),
            "pw",
            &message::negotiate(),
            &squid(),
            [7; 8],
            1,
        )
        .expect("answerable");
        assert_eq!(
            answer.sent_as, "alice",
            "no domain anywhere in that challenge"
        );
        assert_eq!(answer.notes.len(), 1);
        assert!(answer.notes[0].contains("no TargetInfo"));
        assert_eq!(&answer.message[..12], b"NTLMSSP\0\x03\0\0\0");
        // No timestamp from the server: no MIC, and a real LMv2 response.
        assert_eq!(
            &answer.message[message::MIC_OFFSET..message::MIC_OFFSET + 16],
            &[0; 16]
        );
    }

    #[test]
    fn a_full_challenge_gets_a_mic_and_zero_lmv2() {
        let negotiate = message::negotiate();
        let challenge = full();
        let answer = respond(
            &Account::parse("CORP\\alice"),
            "pw",
            &negotiate,
            &challenge,
            [7; 8],
            1,
        )
        .expect("answerable");
        let m = &answer.message;
        let field = |at: usize| {
            let len = usize::from(u16::from_le_bytes([m[at], m[at + 1]]));
            let offset = u32::from_le_bytes([m[at + 4], m[at + 5], m[at + 6], m[at + 7]]);
            let offset = usize::try_from(offset).expect("small");
            &m[offset..offset + len]
        };
        assert_eq!(field(12), &[0; 24]);
        // Recompute the MIC over the three messages with the MIC zeroed.
        let proof = &field(20)[..16];
        let key = crypto::ntowfv2("pw", "alice", "CORP");
        let base = crypto::hmac_md5(&key, &[proof]);
        let mut zeroed = m.clone();
        zeroed[message::MIC_OFFSET..message::MIC_OFFSET + 16].fill(0);
        let mic = crypto::hmac_md5(&base, &[&negotiate, &challenge, &zeroed]);
        assert_eq!(&m[message::MIC_OFFSET..message::MIC_OFFSET + 16], &mic);
    }

    #[test]
    fn a_challenge_offering_lm_alone_is_refused_in_an_admins_words() {
        let mut challenge = squid();
        challenge[20..24].copy_from_slice(&0x0000_0085u32.to_le_bytes()); // Unicode, target, LM key
        let err = respond(
            &Account::parse("alice"),
            "pw",
            &message::negotiate(),
            &challenge,
            [7; 8],
            1,
        )
        .expect_err("LM only");
        let text = err.into_auth_error(Scheme::Ntlm).to_string();
        assert!(text.contains("LM or NTLMv1"), "{text}");
    }

    #[test]
    fn the_handshake_sends_negotiate_then_authenticate_then_is_done() {
        let credentials = Credentials::new("CORP\\alice".to_owned(), "pw".to_owned());
        let mut handshake = NtlmHandshake::new(Scheme::Negotiate, credentials);
        let Ok(Step::Send(first)) = handshake.step(None) else {
            panic!("a negotiate message first");
        };
        assert_eq!(&first[8..12], &[1, 0, 0, 0]);
        let Ok(Step::Send(third)) = handshake.step(Some(&full())) else {
            panic!("an authenticate message");
        };
        assert_eq!(&third[8..12], &[3, 0, 0, 0]);
        assert_eq!(handshake.step(Some(&full())), Ok(Step::Done));
        assert_eq!(
            handshake.authenticated(),
            Authenticated {
                account: Some("CORP\\alice".to_owned()),
                package: Some("NTLMv2".to_owned()),
            }
        );
        assert!(handshake.notes().is_empty());
    }

    #[test]
    fn a_garbage_challenge_is_a_malformed_error_naming_the_scheme() {
        let credentials = Credentials::new("alice".to_owned(), "pw".to_owned());
        let mut handshake = NtlmHandshake::new(Scheme::Ntlm, credentials);
        handshake.step(None).expect("negotiate");
        let err = handshake.step(Some(b"not ntlm")).expect_err("garbage");
        assert!(
            matches!(
                err,
                AuthError::Malformed {
                    scheme: Scheme::Ntlm,
                    ..
                }
            ),
            "{err}"
        );
    }
}
