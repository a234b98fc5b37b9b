//! The `NTLMv2` computations of MS-NLMP §3.3.2, on `RustCrypto`'s MD4, MD5 and HMAC. Nothing here
//! knows the message layout; `message.rs` does.

use hmac::{Hmac, KeyInit, Mac};
use md4::{Digest as _, Md4};
use md5::Md5;

/// A 16-byte key or proof (NT hash, `NTOWFv2`, `NTProofStr`, session base key, MIC).
pub(crate) type Key = [u8; 16];

/// The `NTLMv2` response for one challenge: what the AUTHENTICATE message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Responses {
    /// `NTProofStr || temp`: the `NtChallengeResponse`.
    pub(crate) nt: Vec<u8>,
    /// The `LMv2` response, or 24 zero bytes when the challenge carried `MsvAvTimestamp`.
    pub(crate) lm: Vec<u8>,
    /// `HMAC_MD5(ResponseKeyNT, NTProofStr)`: with no key exchange, also the key the MIC uses.
    pub(crate) session_base_key: Key,
}

/// What one `NTLMv2` computation takes besides the secret.
pub(crate) struct Inputs<'a> {
    pub(crate) server_challenge: [u8; 8],
    pub(crate) client_challenge: [u8; 8],
    /// 100-nanosecond intervals since 1601-01-01 UTC (a Windows `FILETIME`).
    pub(crate) timestamp: u64,
    /// The AV pairs as the client sends them back, ending with `MsvAvEOL`.
    pub(crate) target_info: &'a [u8],
    /// True when the challenge's `TargetInfo` had `MsvAvTimestamp`: then the `LMv2` response is
    /// zeros (MS-NLMP §3.1.5.1.2).
    pub(crate) lm_zeroed: bool,
}

/// `NTOWFv2(Passwd, User, UserDom)` = `HMAC_MD5(MD4(UNICODE(Passwd)), UNICODE(Uppercase(User) ||
/// UserDom))` (MS-NLMP §3.3.2). The domain keeps its case.
pub(crate) fn ntowfv2(password: &str, user: &str, domain: &str) -> Key {
    let nt_hash: Key = Md4::digest(utf16le(password)).into();
    let mut identity = utf16le(&uppercase(user));
    identity.extend(utf16le(domain));
    hmac_md5(&nt_hash, &[&identity])
}

/// The `NTLMv2` responses of MS-NLMP §3.3.2 for `response_key` (= `NTOWFv2`).
pub(crate) fn responses(response_key: &Key, inputs: &Inputs<'_>) -> Responses {
    // temp = Responserversion || HiResponserversion || Z(6) || Time || ClientChallenge || Z(4)
    //        || ServerName || Z(4)
    let mut temp = Vec::with_capacity(28 + inputs.target_info.len() + 4);
    temp.extend_from_slice(&[1, 1, 0, 0, 0, 0, 0, 0]);
    temp.extend_from_slice(&inputs.timestamp.to_le_bytes());
    temp.extend_from_slice(&inputs.client_challenge);
    temp.extend_from_slice(&[0; 4]);
    temp.extend_from_slice(inputs.target_info);
    temp.extend_from_slice(&[0; 4]);
    let proof = hmac_md5(response_key, &[&inputs.server_challenge, &temp]);
    let mut nt = proof.to_vec();
    nt.extend_from_slice(&temp);
    let lm = if inputs.lm_zeroed {
        vec![0; 24]
    } else {
        let mut lm = hmac_md5(
            response_key,
            &[&inputs.server_challenge, &inputs.client_challenge],
        )
        .to_vec();
        lm.extend_from_slice(&inputs.client_challenge);
        lm
    };
    Responses {
        nt,
        lm,
        session_base_key: hmac_md5(response_key, &[&proof]),
    }
}

/// `HMAC_MD5(Key, ConcatenationOf(parts))`.
pub(crate) fn hmac_md5(key: &[u8], parts: &[&[u8]]) -> Key {
    let mut mac =
        <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

/// UTF-16LE bytes of `text`, as NTLM's `UNICODE()`.
pub(crate) fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// Upper case one character at a time, as Windows' `RtlUpcaseUnicodeString` does: a character
/// whose upper case is several characters (`ß`) stays as it is.
fn uppercase(text: &str) -> String {
    text.chars()
        .map(|c| {
            let mut upper = c.to_uppercase();
            match (upper.next(), upper.next()) {
                (Some(single), None) => single,
                _ => c,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> String {
        use std::fmt::Write as _;
        bytes.iter().fold(String::new(), |mut out, b| {
            write!(out, "{b:02x}").expect("writing to a String never fails");
            out
        })
    }

    /// MS-NLMP §4.2.4.1.3's server `TargetInfo`: `MsvAvNbDomainName` "Domain",
    /// `MsvAvNbComputerName` "Server", `MsvAvEOL`.
    fn spec_target_info() -> Vec<u8> {
        let mut info = vec![0x02, 0x00, 0x0c, 0x00];
        info.extend(utf16le("Domain"));
        info.extend([0x01, 0x00, 0x0c, 0x00]);
        info.extend(utf16le("Server"));
        info.extend([0x00, 0x00, 0x00, 0x00]);
        info
    }

    #[test]
    fn ntowfv2_matches_the_ms_nlmp_test_vector() {
        let key = ntowfv2("Password", "User", "Domain");
        assert_eq!(hex(&key), "0c868a403bfd7a93a3001ef22ef02e3f");
    }

    #[test]
    fn ntlmv2_responses_match_the_ms_nlmp_test_vectors() {
        let key = ntowfv2("Password", "User", "Domain");
        let target_info = spec_target_info();
        let inputs = Inputs {
            server_challenge: [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef],
            client_challenge: [0xaa; 8],
            timestamp: 0,
            target_info: &target_info,
            lm_zeroed: false,
        };
        let responses = responses(&key, &inputs);
        // §4.2.4.2.2: the NTProofStr opens the NTLMv2 response.
        assert_eq!(hex(&responses.nt[..16]), "68cd0ab851e51c96aabc927bebef6a1c");
        // §4.2.4.2.1: LMv2 = HMAC || client challenge.
        assert_eq!(
            hex(&responses.lm),
            "86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa"
        );
        // §4.2.4.1.2: the session base key.
        assert_eq!(
            hex(&responses.session_base_key),
            "8de40ccadbc14a82f15cb0ad0de95ca3"
        );
        // The blob after the proof: header, time, client challenge, TargetInfo, four zeros.
        assert_eq!(responses.nt.len(), 16 + 28 + target_info.len() + 4);
        assert_eq!(&responses.nt[16..24], &[1, 1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(&responses.nt[32..40], &[0xaa; 8]);
    }

    #[test]
    fn lmv2_is_zeros_when_the_challenge_had_a_timestamp() {
        let key = ntowfv2("Password", "User", "Domain");
        let inputs = Inputs {
            server_challenge: [1; 8],
            client_challenge: [2; 8],
            timestamp: 42,
            target_info: &[0, 0, 0, 0],
            lm_zeroed: true,
        };
        assert_eq!(responses(&key, &inputs).lm, vec![0; 24]);
    }

    #[test]
    fn user_names_are_upper_cased_per_character_and_domains_kept() {
        assert_eq!(uppercase("alice.ßmith"), "ALICE.ßMITH");
        assert_ne!(
            ntowfv2("pw", "alice", "corp"),
            ntowfv2("pw", "alice", "CORP"),
            "the domain is not upper-cased"
        );
        assert_eq!(
            ntowfv2("pw", "alice", "CORP"),
            ntowfv2("pw", "ALICE", "CORP")
        );
    }
}
