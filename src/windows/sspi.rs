//! What Windows' own authentication (SSPI) answers mean, on every OS: the scheme the current
//! logon answers, the package and target name it asks SSPI for, its status codes in words, and
//! what a token looks like. The calls themselves are in `live/sspi.rs`, Windows only.

use crate::auth::Scheme;

/// `SEC_E_OK`: the context is complete.
pub(crate) const SEC_E_OK: i32 = 0;
/// `SEC_I_CONTINUE_NEEDED`: send the token and call again with the proxy's answer.
pub(crate) const SEC_I_CONTINUE_NEEDED: i32 = 0x0009_0312;
/// `SEC_I_COMPLETE_NEEDED`: call `CompleteAuthToken`, then the context is complete.
pub(crate) const SEC_I_COMPLETE_NEEDED: i32 = 0x0009_0313;
/// `SEC_I_COMPLETE_AND_CONTINUE`: call `CompleteAuthToken`, then as `SEC_I_CONTINUE_NEEDED`.
pub(crate) const SEC_I_COMPLETE_AND_CONTINUE: i32 = 0x0009_0314;

/// The schemes the current logon answers, in this order: Negotiate (Kerberos when the proxy has
/// an `HTTP/` service name, else NTLM inside it), then NTLM. Never Basic: the current logon has no
/// password to send.
#[must_use]
pub(crate) fn choose(offered: &[&str]) -> Option<Scheme> {
    let offers: Vec<Option<Scheme>> = offered
        .iter()
        .map(|offer| Scheme::from_word(offer.split_whitespace().next().unwrap_or("")))
        .collect();
    [Scheme::Negotiate, Scheme::Ntlm]
        .into_iter()
        .find(|scheme| offers.contains(&Some(*scheme)))
}

/// The SSPI security package for `scheme`; `None` for Basic, which SSPI does not answer.
#[must_use]
pub(crate) fn package(scheme: Scheme) -> Option<&'static str> {
    match scheme {
        Scheme::Negotiate => Some("Negotiate"),
        Scheme::Ntlm => Some("NTLM"),
        Scheme::Basic => None,
    }
}

/// The service principal name SSPI authenticates to: `HTTP/<proxy host>` (RFC 4559 §4), which
/// is how Kerberos finds the proxy's key. An address in brackets loses them; a trailing dot goes.
#[must_use]
pub(crate) fn target_name(proxy_host: &str) -> String {
    let host = proxy_host.trim_start_matches('[').trim_end_matches(']');
    format!("HTTP/{}", host.trim_end_matches('.'))
}

/// What a call to `InitializeSecurityContext` asks for next, from its status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Progress {
    /// Send the token (if any); the context is complete.
    Done,
    /// Send the token and wait for the proxy's challenge.
    Continue,
    /// Call `CompleteAuthToken` first; then `then`.
    Complete { then: Next },
    /// SSPI refused: the status, in words.
    Failed(i32),
}

/// What follows `CompleteAuthToken`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Next {
    Done,
    Continue,
}

/// Reads an `InitializeSecurityContext` status.
#[must_use]
pub(crate) fn progress(status: i32) -> Progress {
    match status {
        SEC_E_OK => Progress::Done,
        SEC_I_CONTINUE_NEEDED => Progress::Continue,
        SEC_I_COMPLETE_NEEDED => Progress::Complete { then: Next::Done },
        SEC_I_COMPLETE_AND_CONTINUE => Progress::Complete {
            then: Next::Continue,
        },
        other => Progress::Failed(other),
    }
}

/// What one step hands the probe, from what SSPI said and the token it wrote: a token to send,
/// `None` when there is nothing more to send, or why the step cannot go on.
pub(crate) fn outcome(next: Next, token: Vec<u8>) -> Result<Option<Vec<u8>>, String> {
    match (next, token.is_empty()) {
        // A complete context may still have a last token for the proxy (NTLM's type 3).
        (_, false) => Ok(Some(token)),
        (Next::Done, true) => Ok(None),
        (Next::Continue, true) => Err("SSPI asked to continue but wrote no token".to_owned()),
    }
}

/// An SSPI status in words: the constant's name and its hex value, and for the common ones
/// what it means here; an unknown status as its hex value.
#[must_use]
pub(crate) fn status_words(status: i32) -> String {
    #[expect(clippy::cast_sign_loss, reason = "an HRESULT is shown as its 32 bits")]
    let bits = status as u32;
    let known = KNOWN.iter().find(|(code, _, _)| *code == bits);
    match known {
        Some((_, name, "")) => format!("{name} (0x{bits:08X})"),
        Some((_, name, meaning)) => format!("{name} (0x{bits:08X}): {meaning}"),
        None => format!("status 0x{bits:08X}"),
    }
}

/// Statuses worth naming: code, constant, meaning for this use (empty: the name says it).
const KNOWN: &[(u32, &str, &str)] = &[
    (0x0000_0000, "SEC_E_OK", ""),
    (0x0009_0312, "SEC_I_CONTINUE_NEEDED", ""),
    (0x0009_0313, "SEC_I_COMPLETE_NEEDED", ""),
    (0x0009_0314, "SEC_I_COMPLETE_AND_CONTINUE", ""),
    (
        0x0009_0320,
        "SEC_I_INCOMPLETE_CREDENTIALS",
        "the proxy asked for credentials this logon does not hold",
    ),
    (0x8009_0300, "SEC_E_INSUFFICIENT_MEMORY", "out of memory"),
    (
        0x8009_0301,
        "SEC_E_INVALID_HANDLE",
        "a handle SSPI does not know",
    ),
    (
        0x8009_0302,
        "SEC_E_UNSUPPORTED_FUNCTION",
        "the security package does not support this call",
    ),
    (
        0x8009_0303,
        "SEC_E_TARGET_UNKNOWN",
        "no account has the proxy's service name (HTTP/<proxy>) registered",
    ),
    (
        0x8009_0304,
        "SEC_E_INTERNAL_ERROR",
        "the Local Security Authority could not be reached or failed",
    ),
    (
        0x8009_0305,
        "SEC_E_SECPKG_NOT_FOUND",
        "the security package is not installed",
    ),
    (
        0x8009_0306,
        "SEC_E_NOT_OWNER",
        "this process does not own the credentials",
    ),
    (
        0x8009_0308,
        "SEC_E_INVALID_TOKEN",
        "the proxy's token is not valid",
    ),
    (
        0x8009_030B,
        "SEC_E_NO_IMPERSONATION",
        "the context cannot be impersonated",
    ),
    (
        0x8009_030C,
        "SEC_E_LOGON_DENIED",
        "the logon was denied: the account or its credentials were refused",
    ),
    (
        0x8009_030D,
        "SEC_E_UNKNOWN_CREDENTIALS",
        "the credentials are not recognised",
    ),
    (
        0x8009_030E,
        "SEC_E_NO_CREDENTIALS",
        "this logon has no credentials the security package can use (e.g. a local or \
         anonymous logon asked for Kerberos)",
    ),
    (
        0x8009_030F,
        "SEC_E_MESSAGE_ALTERED",
        "the message was altered on the way",
    ),
    (
        0x8009_0311,
        "SEC_E_NO_AUTHENTICATING_AUTHORITY",
        "no domain controller could be reached",
    ),
    (
        0x8009_0316,
        "SEC_E_BAD_PKGID",
        "the security package does not exist",
    ),
    (
        0x8009_0317,
        "SEC_E_CONTEXT_EXPIRED",
        "the context has expired",
    ),
    (
        0x8009_0318,
        "SEC_E_INCOMPLETE_MESSAGE",
        "the proxy's token is truncated",
    ),
    (
        0x8009_0322,
        "SEC_E_WRONG_PRINCIPAL",
        "the proxy's service name belongs to another account",
    ),
    (
        0x8009_0324,
        "SEC_E_TIME_SKEW",
        "this computer's clock differs too much from the domain controller's",
    ),
    (
        0x8009_0331,
        "SEC_E_ALGORITHM_MISMATCH",
        "client and server share no algorithm",
    ),
    (
        0x8009_0342,
        "SEC_E_KDC_UNKNOWN_ETYPE",
        "the domain controller does not support the encryption type",
    ),
    (
        0x8009_0350,
        "SEC_E_DOWNGRADE_DETECTED",
        "a downgrade of the negotiation was detected",
    ),
    (
        0x8009_035F,
        "SEC_E_POLICY_NLTM_ONLY",
        "policy allows NTLM only, so Kerberos could not be used",
    ),
];

/// What a token is, from its first bytes: enough to say what went on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// A raw NTLMSSP message (`NTLMSSP\0`) of this type: 1 negotiate, 2 challenge, 3 authenticate.
    Ntlm(u32),
    /// A SPNEGO token: an initial one (`0x60`, GSS-API framing, Kerberos or NTLM inside) or a
    /// response (`0xa1`).
    Spnego,
    /// Anything else.
    Other,
}

/// What `token` is.
#[must_use]
pub(crate) fn token_kind(token: &[u8]) -> TokenKind {
    const NTLM_SIGNATURE: &[u8] = b"NTLMSSP\0";
    if let Some(rest) = token.strip_prefix(NTLM_SIGNATURE) {
        return match rest.get(..4) {
            Some(kind) => TokenKind::Ntlm(u32::from_le_bytes([kind[0], kind[1], kind[2], kind[3]])),
            None => TokenKind::Other,
        };
    }
    match token.first() {
        Some(0x60 | 0xa1) => TokenKind::Spnego,
        _ => TokenKind::Other,
    }
}

/// A note on the first token a scheme sent, worth reporting: whether Negotiate went out as raw
/// NTLM (no Kerberos was possible) or as SPNEGO.
#[must_use]
pub(crate) fn first_token_note(scheme: Scheme, token: &[u8]) -> Option<String> {
    match (scheme, token_kind(token)) {
        (Scheme::Negotiate, TokenKind::Ntlm(_)) => Some(
            "Negotiate sent a raw NTLM token: no Kerberos ticket for the proxy's service name"
                .to_owned(),
        ),
        (Scheme::Negotiate, TokenKind::Spnego) => {
            Some("Negotiate sent a SPNEGO token (Kerberos, or NTLM inside SPNEGO)".to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_logon_prefers_negotiate_then_ntlm_and_never_answers_basic() {
        let cases: [(&[&str], Option<Scheme>); 6] = [
            (
                &["Negotiate", "NTLM", "Basic realm=\"corp\""],
                Some(Scheme::Negotiate),
            ),
            (&["NTLM", "negotiate"], Some(Scheme::Negotiate)),
            (&["Basic realm=\"corp\"", "NTLM"], Some(Scheme::Ntlm)),
            (&["NTLM TlRMTVNTUAACAAAA"], Some(Scheme::Ntlm)),
            (&["Basic realm=\"corp\""], None),
            (&["Digest realm=\"x\"", "Bearer"], None),
        ];
        for (offered, expected) in cases {
            assert_eq!(choose(offered), expected, "{offered:?}");
        }
        assert_eq!(package(Scheme::Negotiate), Some("Negotiate"));
        assert_eq!(package(Scheme::Ntlm), Some("NTLM"));
        assert_eq!(package(Scheme::Basic), None);
    }

    #[test]
    fn the_target_is_the_proxy_host_as_an_http_service_name() {
        let cases = [
            ("proxy.corp.example", "HTTP/proxy.corp.example"),
            ("proxy.corp.example.", "HTTP/proxy.corp.example"),
            ("[::1]", "HTTP/::1"),
            ("10.0.0.8", "HTTP/10.0.0.8"),
        ];
        for (host, expected) in cases {
            assert_eq!(target_name(host), expected);
        }
    }

    #[test]
    fn statuses_lead_to_the_next_move() {
        assert_eq!(progress(SEC_E_OK), Progress::Done);
        assert_eq!(progress(SEC_I_CONTINUE_NEEDED), Progress::Continue);
        assert_eq!(
            progress(SEC_I_COMPLETE_NEEDED),
            Progress::Complete { then: Next::Done }
        );
        assert_eq!(
            progress(SEC_I_COMPLETE_AND_CONTINUE),
            Progress::Complete {
                then: Next::Continue
            }
        );
        #[expect(clippy::cast_possible_wrap, reason = "an HRESULT's bits")]
        let denied = 0x8009_030C_u32 as i32;
        assert_eq!(progress(denied), Progress::Failed(denied));
    }

    #[test]
    fn a_complete_context_sends_its_last_token_and_a_continuing_one_must_have_one() {
        assert_eq!(
            outcome(Next::Done, b"type3".to_vec()),
            Ok(Some(b"type3".to_vec()))
        );
        assert_eq!(outcome(Next::Done, Vec::new()), Ok(None));
        assert_eq!(
            outcome(Next::Continue, b"type1".to_vec()),
            Ok(Some(b"type1".to_vec()))
        );
        assert!(outcome(Next::Continue, Vec::new()).is_err());
    }

    #[test]
    fn statuses_read_as_their_names_and_what_they_mean() {
        #[expect(clippy::cast_possible_wrap, reason = "HRESULTs' bits")]
        let cases = [
            (
                0x8009_030C_u32 as i32,
                "SEC_E_LOGON_DENIED (0x8009030C): the logon was denied",
            ),
            (
                0x8009_030E_u32 as i32,
                "SEC_E_NO_CREDENTIALS (0x8009030E): this logon has",
            ),
            (
                0x8009_0303_u32 as i32,
                "SEC_E_TARGET_UNKNOWN (0x80090303): no account",
            ),
            (
                0x8009_0304_u32 as i32,
                "SEC_E_INTERNAL_ERROR (0x80090304): the Local",
            ),
            (
                0x8009_0308_u32 as i32,
                "SEC_E_INVALID_TOKEN (0x80090308): the proxy's token",
            ),
            (0x0009_0312, "SEC_I_CONTINUE_NEEDED (0x00090312)"),
            (0x8009_1234_u32 as i32, "status 0x80091234"),
        ];
        for (status, expected) in cases {
            let words = status_words(status);
            assert!(words.starts_with(expected), "{words}");
        }
        assert_eq!(status_words(SEC_E_OK), "SEC_E_OK (0x00000000)");
    }

    #[test]
    fn tokens_are_told_apart_by_their_first_bytes() {
        let mut type1 = b"NTLMSSP\0".to_vec();
        type1.extend(1_u32.to_le_bytes());
        type1.extend([0x07, 0x82, 0x08, 0xa2]);
        assert_eq!(token_kind(&type1), TokenKind::Ntlm(1));
        assert_eq!(token_kind(b"NTLMSSP\0\x03\0\0\0"), TokenKind::Ntlm(3));
        assert_eq!(token_kind(b"NTLMSSP\0\x01"), TokenKind::Other);
        assert_eq!(token_kind(&[0x60, 0x82, 0x01, 0x00]), TokenKind::Spnego);
        assert_eq!(token_kind(&[0xa1, 0x0b]), TokenKind::Spnego);
        assert_eq!(token_kind(b""), TokenKind::Other);
        assert!(
            first_token_note(Scheme::Negotiate, &type1)
                .is_some_and(|note| note.contains("raw NTLM"))
        );
        assert_eq!(first_token_note(Scheme::Ntlm, &type1), None);
    }
}
