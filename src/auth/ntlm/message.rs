//! The three NTLM messages of MS-NLMP §2.2.1: NEGOTIATE (type 1) built, CHALLENGE (type 2) read
//! leniently, AUTHENTICATE (type 3) built. Layout only; the `NTLMv2` arithmetic is `crypto.rs`.

use super::crypto::utf16le;

/// Every NTLM message opens with these eight bytes.
pub(crate) const SIGNATURE: &[u8; 8] = b"NTLMSSP\0";

/// The `NegotiateFlags` bits dapreflight sends or reads (MS-NLMP §2.2.2.5).
pub(crate) mod flags {
    pub(crate) const UNICODE: u32 = 0x0000_0001;
    pub(crate) const OEM: u32 = 0x0000_0002;
    pub(crate) const REQUEST_TARGET: u32 = 0x0000_0004;
    pub(crate) const NTLM: u32 = 0x0000_0200;
    pub(crate) const ALWAYS_SIGN: u32 = 0x0000_8000;
    pub(crate) const EXTENDED_SESSIONSECURITY: u32 = 0x0008_0000;
    pub(crate) const NEGOTIATE_128: u32 = 0x2000_0000;
    pub(crate) const NEGOTIATE_56: u32 = 0x8000_0000;
}

/// The flags of the NEGOTIATE message: Unicode (OEM as the fallback the spec pairs with it), the
/// target's name, NTLM, always-sign, extended session security, 128- and 56-bit. No key exchange,
/// signing or sealing: an HTTP proxy authenticates the connection and protects nothing after.
pub(crate) const NEGOTIATE_FLAGS: u32 = flags::UNICODE
    | flags::OEM
    | flags::REQUEST_TARGET
    | flags::NTLM
    | flags::ALWAYS_SIGN
    | flags::EXTENDED_SESSIONSECURITY
    | flags::NEGOTIATE_128
    | flags::NEGOTIATE_56;

/// AV pair ids (MS-NLMP §2.2.2.1).
pub(crate) mod av {
    pub(crate) const EOL: u16 = 0;
    pub(crate) const NB_DOMAIN_NAME: u16 = 2;
    pub(crate) const FLAGS: u16 = 6;
    pub(crate) const TIMESTAMP: u16 = 7;
}

/// `MsvAvFlags` bit: the AUTHENTICATE message carries a MIC.
const AV_FLAG_MIC: u32 = 0x0000_0002;

/// The most AV pairs read from a challenge; a real one has about ten. Past this the list is cut.
pub(crate) const MAX_AV_PAIRS: usize = 64;

/// Where the MIC sits in the AUTHENTICATE message dapreflight builds (after the flags and the
/// 8-byte `Version`).
pub(crate) const MIC_OFFSET: usize = 72;
/// The AUTHENTICATE header: the fixed fields, `Version` and the MIC; the payload follows.
const AUTHENTICATE_HEADER: usize = MIC_OFFSET + 16;

/// The NEGOTIATE message: no domain, no workstation, no version (32 bytes).
pub(crate) fn negotiate() -> Vec<u8> {
    let mut message = Vec::with_capacity(32);
    message.extend_from_slice(SIGNATURE);
    message.extend_from_slice(&1u32.to_le_bytes());
    message.extend_from_slice(&NEGOTIATE_FLAGS.to_le_bytes());
    // DomainNameFields and WorkstationFields: empty, pointing at the end of the message.
    for _ in 0..2 {
        message.extend_from_slice(&[0, 0, 0, 0]);
        message.extend_from_slice(&32u32.to_le_bytes());
    }
    message
}

/// Why a CHALLENGE message could not be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ChallengeError {
    /// Shorter than the 32 bytes that hold the flags and the server challenge.
    #[error(
        "the NTLM challenge is {len} bytes, shorter than the 32 that hold the server challenge"
    )]
    TooShort { len: usize },
    /// Not an NTLMSSP message.
    #[error("the token does not start with the NTLMSSP signature")]
    Signature,
    /// An NTLMSSP message of another type.
    #[error("expected an NTLM challenge (type 2), got message type {0}")]
    MessageType(u32),
}

/// A CHALLENGE message as far as it could be read. Only the signature, the type, the flags and
/// the server challenge are required; the rest is taken when it lies inside the message.
#[derive(Clone, Debug, PartialEq, Eq)]
#[expect(
    clippy::struct_field_names,
    reason = "MS-NLMP names it ServerChallenge"
)]
pub(crate) struct Challenge {
    pub(crate) flags: u32,
    pub(crate) server_challenge: [u8; 8],
    /// `TargetName`, when its buffer lies inside the message (UTF-16LE, or OEM read as Latin-1).
    pub(crate) target_name: Option<String>,
    /// `TargetInfo`, when the header is long enough to hold its fields and the buffer lies
    /// inside the message.
    pub(crate) target_info: Option<TargetInfo>,
}

impl Challenge {
    /// Reads a CHALLENGE message leniently: garbage offsets (Squid's `ntlm_fake_auth` sends a
    /// target-name offset of `0xAAAAAAAE`) leave that field out instead of failing the parse.
    pub(crate) fn parse(message: &[u8]) -> Result<Challenge, ChallengeError> {
        if message.len() < 32 {
            if message.len() >= 8 && &message[..8] != SIGNATURE {
                return Err(ChallengeError::Signature);
            }
            return Err(ChallengeError::TooShort { len: message.len() });
        }
        if &message[..8] != SIGNATURE {
            return Err(ChallengeError::Signature);
        }
        let message_type = u32_at(message, 8).unwrap_or_default();
        if message_type != 2 {
            return Err(ChallengeError::MessageType(message_type));
        }
        let flags = u32_at(message, 20).unwrap_or_default();
        let mut server_challenge = [0; 8];
        server_challenge.copy_from_slice(&message[24..32]);
        let unicode = flags & flags::UNICODE != 0;
        let target_name = buffer(message, 12)
            .filter(|bytes| !bytes.is_empty())
            .map(|bytes| decode_text(bytes, unicode));
        // TargetInfoFields sit at 40..48: only a header of 48 bytes or more has them.
        let target_info = if message.len() >= 48 {
            buffer(message, 40)
                .filter(|bytes| !bytes.is_empty())
                .map(TargetInfo::parse)
        } else {
            None
        };
        Ok(Challenge {
            flags,
            server_challenge,
            target_name,
            target_info,
        })
    }
}

/// One AV pair: an id and its raw value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AvPair {
    pub(crate) id: u16,
    pub(crate) value: Vec<u8>,
}

/// The AV pairs of a challenge's `TargetInfo`, without the closing `MsvAvEOL`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TargetInfo {
    pub(crate) pairs: Vec<AvPair>,
}

impl TargetInfo {
    /// Walks the pairs; stops at `MsvAvEOL`, at a pair that runs past the end, or after
    /// [`MAX_AV_PAIRS`].
    pub(crate) fn parse(bytes: &[u8]) -> TargetInfo {
        let mut pairs = Vec::new();
        let mut at = 0;
        while pairs.len() < MAX_AV_PAIRS {
            let (Some(id), Some(len)) = (u16_at(bytes, at), u16_at(bytes, at + 2)) else {
                break;
            };
            if id == av::EOL {
                break;
            }
            let start = at + 4;
            let Some(value) = bytes.get(start..start + usize::from(len)) else {
                break;
            };
            pairs.push(AvPair {
                id,
                value: value.to_vec(),
            });
            at = start + usize::from(len);
        }
        TargetInfo { pairs }
    }

    /// The value of the first pair with `id`.
    pub(crate) fn get(&self, id: u16) -> Option<&[u8]> {
        self.pairs
            .iter()
            .find(|pair| pair.id == id)
            .map(|pair| pair.value.as_slice())
    }

    /// `MsvAvNbDomainName`, decoded.
    pub(crate) fn nb_domain_name(&self) -> Option<String> {
        self.get(av::NB_DOMAIN_NAME)
            .filter(|bytes| !bytes.is_empty())
            .map(|bytes| decode_text(bytes, true))
    }

    /// `MsvAvTimestamp`, a `FILETIME`, when present and 8 bytes long.
    pub(crate) fn timestamp(&self) -> Option<u64> {
        let bytes: [u8; 8] = self.get(av::TIMESTAMP)?.try_into().ok()?;
        Some(u64::from_le_bytes(bytes))
    }

    /// The pairs as the client returns them inside its `NTLMv2` blob, closed by `MsvAvEOL`; with
    /// `mic`, `MsvAvFlags` gains the bit that says the message carries a MIC (MS-NLMP
    /// §3.1.5.1.2).
    pub(crate) fn encode(&self, mic: bool) -> Vec<u8> {
        let mut pairs = self.pairs.clone();
        if mic {
            match pairs.iter_mut().find(|pair| pair.id == av::FLAGS) {
                Some(pair) => {
                    let old = pair
                        .value
                        .get(..4)
                        .and_then(|b| b.try_into().ok())
                        .map_or(0, u32::from_le_bytes);
                    pair.value = (old | AV_FLAG_MIC).to_le_bytes().to_vec();
                }
                None => pairs.push(AvPair {
                    id: av::FLAGS,
                    value: AV_FLAG_MIC.to_le_bytes().to_vec(),
                }),
            }
        }
        let mut out = Vec::new();
        for pair in &pairs {
            push_av(&mut out, pair.id, &pair.value);
        }
        push_av(&mut out, av::EOL, &[]);
        out
    }
}

/// Appends one AV pair. A value over 65535 bytes cannot come from a parsed challenge (its length
/// is a `u16`), so the cut never bites.
fn push_av(out: &mut Vec<u8>, id: u16, value: &[u8]) {
    let len = u16::try_from(value.len()).unwrap_or(u16::MAX);
    out.extend_from_slice(&id.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&value[..usize::from(len)]);
}

/// The fields of an AUTHENTICATE message.
pub(crate) struct Authenticate<'a> {
    pub(crate) flags: u32,
    pub(crate) lm_response: &'a [u8],
    pub(crate) nt_response: &'a [u8],
    pub(crate) domain: &'a str,
    pub(crate) user: &'a str,
    pub(crate) workstation: &'a str,
}

impl Authenticate<'_> {
    /// The message, Unicode strings, an empty session key, a zero `Version` and a zero MIC at
    /// [`MIC_OFFSET`] for the caller to fill.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let domain = utf16le(self.domain);
        let user = utf16le(self.user);
        let workstation = utf16le(self.workstation);
        // In MS-NLMP's field order: LM, NT, domain, user, workstation, session key; the payload
        // holds them in the order Windows writes them.
        let payload: [&[u8]; 5] = [
            &domain,
            &user,
            &workstation,
            self.lm_response,
            self.nt_response,
        ];
        let mut offsets = [0usize; 5];
        let mut at = AUTHENTICATE_HEADER;
        for (offset, bytes) in offsets.iter_mut().zip(payload) {
            *offset = at;
            at += bytes.len();
        }
        let [domain_at, user_at, workstation_at, lm_at, nt_at] = offsets;
        let mut message = Vec::with_capacity(at);
        message.extend_from_slice(SIGNATURE);
        message.extend_from_slice(&3u32.to_le_bytes());
        push_fields(&mut message, self.lm_response.len(), lm_at);
        push_fields(&mut message, self.nt_response.len(), nt_at);
        push_fields(&mut message, domain.len(), domain_at);
        push_fields(&mut message, user.len(), user_at);
        push_fields(&mut message, workstation.len(), workstation_at);
        push_fields(&mut message, 0, at);
        message.extend_from_slice(&self.flags.to_le_bytes());
        message.resize(AUTHENTICATE_HEADER, 0);
        for bytes in payload {
            message.extend_from_slice(bytes);
        }
        message
    }
}

/// Appends a security buffer's fields: length, maximum length, offset. Lengths come from
/// dapreflight's own strings and responses, far below 64 KiB; a larger one is cut to `u16::MAX`.
fn push_fields(message: &mut Vec<u8>, len: usize, offset: usize) {
    let len = u16::try_from(len).unwrap_or(u16::MAX);
    let offset = u32::try_from(offset).unwrap_or(u32::MAX);
    message.extend_from_slice(&len.to_le_bytes());
    message.extend_from_slice(&len.to_le_bytes());
    message.extend_from_slice(&offset.to_le_bytes());
}

/// The bytes a security buffer at `fields` points to, when they lie inside `message`.
fn buffer(message: &[u8], fields: usize) -> Option<&[u8]> {
    let len = usize::from(u16_at(message, fields)?);
    let offset = usize::try_from(u32_at(message, fields + 4)?).ok()?;
    message.get(offset..offset.checked_add(len)?)
}

fn u16_at(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(bytes.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// UTF-16LE text (lossy), or OEM text read as Latin-1 when the challenge is not Unicode.
fn decode_text(bytes: &[u8], unicode: bool) -> String {
    if unicode {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        bytes.iter().copied().map(char::from).collect()
    }
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

    #[test]
    fn squid_fake_auth_minimal_challenge_is_read_without_its_garbage_offsets() {
        let message = fixture(include_str!(
            "../../../testdata/ntlm/squid_fake_auth_type2.synthetic.b64"
        ));
        assert_eq!(message.len(), 49);
        let challenge = Challenge::parse(&message).expect("the challenge itself is there");
        assert_eq!(challenge.flags, 0x0008_8205);
        assert_eq!(challenge.target_name, None, "offset 0xAAAAAAAE is outside");
        assert_eq!(challenge.target_info, None, "bytes 40..48 point outside");
    }

    #[test]
    fn full_challenge_yields_its_target_name_and_av_pairs() {
        let message = fixture(include_str!(
            "../../../testdata/ntlm/full_type2.synthetic.b64"
        ));
        let challenge = Challenge::parse(&message).expect("valid");
        assert_eq!(challenge.target_name.as_deref(), Some("CORP"));
        let info = challenge.target_info.expect("TargetInfo");
        assert_eq!(info.nb_domain_name().as_deref(), Some("CORP"));
        assert!(info.timestamp().is_some());
        assert_eq!(info.get(1), Some(utf16le("PROXY1").as_slice()));
    }

    #[test]
    fn truncated_wrong_and_foreign_messages_are_refused_with_reasons() {
        let full = fixture(include_str!(
            "../../../testdata/ntlm/full_type2.synthetic.b64"
        ));
        let foreign = [b"NTLMSSQ\0".as_slice(), &[2; 40]].concat();
        let cases: [(&[u8], ChallengeError); 5] = [
            (&[], ChallengeError::TooShort { len: 0 }),
            (&full[..31], ChallengeError::TooShort { len: 31 }),
            (b"NTLMSSQ\0", ChallengeError::Signature),
            (&foreign, ChallengeError::Signature),
            (&negotiate(), ChallengeError::MessageType(1)),
        ];
        for (message, expected) in cases {
            assert_eq!(Challenge::parse(message), Err(expected), "{message:02x?}");
        }
        // Cut inside TargetInfo: the challenge still reads, without the info.
        let cut = Challenge::parse(&full[..60]).expect("header intact");
        assert_eq!(cut.target_info, None);
        assert_eq!(
            cut.server_challenge,
            Challenge::parse(&full).expect("ok").server_challenge
        );
    }

    #[test]
    fn av_walk_stops_at_the_cap_and_at_the_end_of_the_buffer() {
        let mut huge = Vec::new();
        for _ in 0..10_000 {
            push_av(&mut huge, 9, b"x");
        }
        assert_eq!(TargetInfo::parse(&huge).pairs.len(), MAX_AV_PAIRS);
        // A pair claiming more bytes than remain ends the walk, keeping what came before.
        let mut short = Vec::new();
        push_av(&mut short, av::NB_DOMAIN_NAME, &utf16le("D"));
        short.extend_from_slice(&[1, 0, 0xff, 0xff, 0x41]);
        assert_eq!(TargetInfo::parse(&short).pairs.len(), 1);
        assert_eq!(TargetInfo::parse(&[7]).pairs, vec![]);
    }

    #[test]
    fn target_info_is_returned_with_the_mic_flag_and_a_closing_eol() {
        let mut bytes = Vec::new();
        push_av(&mut bytes, av::NB_DOMAIN_NAME, &utf16le("D"));
        push_av(&mut bytes, av::FLAGS, &1u32.to_le_bytes());
        push_av(&mut bytes, av::EOL, &[]);
        let info = TargetInfo::parse(&bytes);
        assert_eq!(info.encode(false), bytes);
        let with_mic = TargetInfo::parse(&info.encode(true));
        assert_eq!(with_mic.get(av::FLAGS), Some(&3u32.to_le_bytes()[..]));
        let bare = TargetInfo::default().encode(true);
        assert_eq!(bare, [6, 0, 4, 0, 2, 0, 0, 0, 0, 0, 0, 0]);
    }

    #[test]
    fn authenticate_buffers_point_at_their_strings() {
        let message = Authenticate {
            flags: flags::UNICODE,
            lm_response: &[0xaa; 24],
            nt_response: &[0xbb; 40],
            domain: "CORP",
            user: "alice",
            workstation: "",
        }
        .encode();
        assert_eq!(&message[..8], SIGNATURE);
        assert_eq!(buffer(&message, 28), Some(utf16le("CORP").as_slice()));
        assert_eq!(buffer(&message, 36), Some(utf16le("alice").as_slice()));
        assert_eq!(buffer(&message, 44), Some(&[][..]));
        assert_eq!(buffer(&message, 12), Some(&[0xaa; 24][..]));
        assert_eq!(buffer(&message, 20), Some(&[0xbb; 40][..]));
        assert_eq!(u32_at(&message, 60), Some(flags::UNICODE));
        assert_eq!(&message[MIC_OFFSET..MIC_OFFSET + 16], &[0; 16]);
    }
}
