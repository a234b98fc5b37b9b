//! The server side of NTLM for `FakeProxy`: CHALLENGE messages, and the check of an
//! AUTHENTICATE message's NTLMv2 proof (and MIC) against a known password. Written from MS-NLMP
//! (§2.2.1, §3.2.5.1.2, §3.3.2), apart from dapreflight's client code, so each checks the other.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, KeyInit, Mac};
use md4::{Digest, Md4};
use md5::Md5;

/// How `ProxyBehavior::Ntlm` behaves: whom it accepts and how it answers.
#[derive(Clone, Debug)]
pub struct NtlmProxy {
    pub(crate) domain: String,
    pub(crate) user: String,
    pub(crate) password: String,
    pub(crate) schemes: Vec<String>,
    pub(crate) close_after_first_407: bool,
    pub(crate) minimal_challenge: bool,
    pub(crate) deny_after_auth: bool,
}

impl NtlmProxy {
    /// A proxy that accepts `domain\user` (or `user@…`, or `user` with the domain left to the
    /// challenge) with `password`, offering `Negotiate` and `NTLM`, keeping connections alive, and
    /// sending a full challenge (`MsvAvNbDomainName`, `MsvAvNbComputerName`, `MsvAvTimestamp`).
    pub fn new(domain: &str, user: &str, password: &str) -> NtlmProxy {
        NtlmProxy {
            domain: domain.to_owned(),
            user: user.to_owned(),
            password: password.to_owned(),
            schemes: vec!["Negotiate".to_owned(), "NTLM".to_owned()],
            close_after_first_407: false,
            minimal_challenge: false,
            deny_after_auth: false,
        }
    }

    /// Offers these schemes in the first 407, one `Proxy-Authenticate` line each.
    pub fn offering(mut self, schemes: &[&str]) -> NtlmProxy {
        self.schemes = schemes.iter().map(|s| (*s).to_owned()).collect();
        self
    }

    /// Closes the connection after each 407 that carries no challenge (as Squid's old NTLM
    /// notes describe), so the client must send its NEGOTIATE on a new connection.
    pub fn close_after_first_407(mut self) -> NtlmProxy {
        self.close_after_first_407 = true;
        self
    }

    /// Sends the 49-byte challenge Squid's `ntlm_fake_auth` sends: no TargetInfo, a target-name
    /// offset of `0xAAAAAAAE`. The proof is still checked.
    pub fn minimal_challenge(mut self) -> NtlmProxy {
        self.minimal_challenge = true;
        self
    }

    /// Answers 403 after a correct AUTHENTICATE: authenticated, but not allowed.
    pub fn deny_after_auth(mut self) -> NtlmProxy {
        self.deny_after_auth = true;
        self
    }
}

/// A CHALLENGE message this peer sent, kept to check the AUTHENTICATE that answers it.
#[derive(Clone, Debug)]
pub(crate) struct Pending {
    pub(crate) negotiate: Vec<u8>,
    pub(crate) challenge: Vec<u8>,
    pub(crate) server_challenge: [u8; 8],
}

const SIGNATURE: &[u8] = b"NTLMSSP\0";

/// The NTLM message type of `token` (1, 2, 3), if it is NTLMSSP at all.
pub(crate) fn message_type(token: &[u8]) -> Option<u32> {
    if token.len() < 12 || &token[..8] != SIGNATURE {
        return None;
    }
    Some(u32::from_le_bytes(token[8..12].try_into().ok()?))
}

/// A fresh CHALLENGE for `negotiate`, full or in `ntlm_fake_auth`'s minimal shape.
pub(crate) fn challenge(options: &NtlmProxy, negotiate: &[u8]) -> Pending {
    let server_challenge = fresh_challenge();
    let challenge = if options.minimal_challenge {
        minimal_message(server_challenge)
    } else {
        full_message(&options.domain, server_challenge, filetime_now())
    };
    Pending {
        negotiate: negotiate.to_vec(),
        challenge,
        server_challenge,
    }
}

fn full_message(domain: &str, server_challenge: [u8; 8], timestamp: u64) -> Vec<u8> {
    // Unicode, request target, NTLM, always sign, target type domain, extended session
    // security, target info, 128, 56.
    let flags: u32 = 0x0000_0001
        | 0x0000_0004
        | 0x0000_0200
        | 0x0000_8000
        | 0x0001_0000
        | 0x0008_0000
        | 0x0080_0000
        | 0x2000_0000
        | 0x8000_0000;
    let name = unicode(domain);
    let mut info = Vec::new();
    for (id, value) in [
        (2u16, unicode(domain)),
        (1, unicode("FAKEPROXY")),
        (7, timestamp.to_le_bytes().to_vec()),
        (0, Vec::new()),
    ] {
        info.extend_from_slice(&id.to_le_bytes());
        info.extend_from_slice(&u16::try_from(value.len()).expect("short").to_le_bytes());
        info.extend_from_slice(&value);
    }
    let header = 56u32;
    let name_len = u16::try_from(name.len()).expect("short");
    let info_len = u16::try_from(info.len()).expect("short");
    let mut message = SIGNATURE.to_vec();
    message.extend_from_slice(&2u32.to_le_bytes());
    message.extend_from_slice(&name_len.to_le_bytes());
    message.extend_from_slice(&name_len.to_le_bytes());
    message.extend_from_slice(&header.to_le_bytes());
    message.extend_from_slice(&flags.to_le_bytes());
    message.extend_from_slice(&server_challenge);
    message.extend_from_slice(&[0; 8]);
    message.extend_from_slice(&info_len.to_le_bytes());
    message.extend_from_slice(&info_len.to_le_bytes());
    message.extend_from_slice(&(header + u32::from(name_len)).to_le_bytes());
    message.extend_from_slice(&[0; 8]);
    message.extend_from_slice(&name);
    message.extend_from_slice(&info);
    message
}

fn minimal_message(server_challenge: [u8; 8]) -> Vec<u8> {
    let mut message = SIGNATURE.to_vec();
    message.extend_from_slice(&2u32.to_le_bytes());
    message.extend_from_slice(&[9, 0, 9, 0, 0xae, 0xaa, 0xaa, 0xaa]);
    message.extend_from_slice(&0x0008_8205u32.to_le_bytes());
    message.extend_from_slice(&server_challenge);
    message.extend_from_slice(&[0; 8]);
    message.extend_from_slice(b"WORKGROUP");
    message
}

/// Checks an AUTHENTICATE message against `pending` and the known password; `Ok` holds the
/// name as sent (`DOMAIN\user`, or the user alone when the domain is empty).
pub(crate) fn verify(
    options: &NtlmProxy,
    pending: &Pending,
    authenticate: &[u8],
) -> Result<String, String> {
    if message_type(authenticate) != Some(3) {
        return Err("not an AUTHENTICATE message".to_owned());
    }
    let field = |at: usize| -> Result<&[u8], String> {
        let len = usize::from(u16::from_le_bytes([
            *authenticate.get(at).ok_or("short header")?,
            *authenticate.get(at + 1).ok_or("short header")?,
        ]));
        let bytes: [u8; 4] = authenticate
            .get(at + 4..at + 8)
            .ok_or("short header")?
            .try_into()
            .map_err(|_| "short header")?;
        let offset = usize::try_from(u32::from_le_bytes(bytes)).map_err(|_| "offset")?;
        authenticate
            .get(offset..offset + len)
            .ok_or_else(|| format!("buffer at {at} lies outside the message"))
    };
    let nt = field(20)?;
    let domain = text(field(28)?);
    let user = text(field(36)?);
    if nt.len() <= 24 {
        return Err(format!("an NTLMv1 or LM response ({} bytes)", nt.len()));
    }
    let user_matches = user.eq_ignore_ascii_case(&options.user)
        || user
            .split_once('@')
            .is_some_and(|(name, _)| name.eq_ignore_ascii_case(&options.user));
    let domain_matches = domain.is_empty() || domain.eq_ignore_ascii_case(&options.domain);
    if !user_matches || !domain_matches {
        return Err(format!("unknown account {domain}\\{user}"));
    }
    // ResponseKeyNT = NTOWFv2 = HMAC_MD5(MD4(UNICODE(password)), UNICODE(UPPER(user) || domain)).
    let nt_hash = Md4::digest(unicode(&options.password));
    let mut identity = unicode(&user.to_uppercase());
    identity.extend(unicode(&domain));
    let key = hmac(&nt_hash, &[&identity]);
    let (proof, blob) = nt.split_at(16);
    if hmac(&key, &[&pending.server_challenge, blob]) != proof {
        return Err("the NTLMv2 proof does not match the password".to_owned());
    }
    if blob_says_mic(blob) {
        let base = hmac(&key, &[proof]);
        let mic = authenticate.get(72..88).ok_or("no room for a MIC")?;
        let mut zeroed = authenticate.to_vec();
        zeroed[72..88].fill(0);
        if hmac(&base, &[&pending.negotiate, &pending.challenge, &zeroed]) != mic {
            return Err("the MIC does not match".to_owned());
        }
    }
    Ok(if domain.is_empty() {
        user
    } else {
        format!("{domain}\\{user}")
    })
}

/// Whether the blob's AV pairs (after its 28-byte header) carry `MsvAvFlags` with the MIC bit.
fn blob_says_mic(blob: &[u8]) -> bool {
    let mut at = 28;
    for _ in 0..256 {
        let Some(head) = blob.get(at..at + 4) else {
            return false;
        };
        let id = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let Some(value) = blob.get(at + 4..at + 4 + len) else {
            return false;
        };
        match id {
            0 => return false,
            6 if len >= 4 => {
                return u32::from_le_bytes([value[0], value[1], value[2], value[3]]) & 2 != 0;
            }
            _ => at += 4 + len,
        }
    }
    false
}

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 16] {
    let mut mac = <Hmac<Md5> as KeyInit>::new_from_slice(key).expect("HMAC takes any key");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

fn unicode(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn text(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
        .collect();
    String::from_utf16_lossy(&units)
}

/// Eight bytes that differ on every call (a test peer needs no cryptographic randomness).
fn fresh_challenge() -> [u8; 8] {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    hasher.finish().to_le_bytes()
}

fn filetime_now() -> u64 {
    let since_unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    116_444_736_000_000_000 + u64::try_from(since_unix.as_nanos() / 100).unwrap_or(0)
}
