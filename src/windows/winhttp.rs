//! The static `WinHTTP` proxy: the `WinHttpSettings` registry value that `netsh winhttp set proxy`
//! writes, decoded from its bytes with the shared [`bytes`](crate::windows::bytes) reader.
//!
//! Pure parsing, for every OS; reading the registry is someone else's job.

use crate::windows::bytes::{BlobError, Reader, non_empty};

/// The decoded `WinHttpSettings` value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct WinHttpSettings {
    /// First field: 0x18 (Windows' default value, Wine) or 0x28 (proxyconf: netsh).
    pub header: u32,
    /// Second field: 0 in every sample, and Wine ignores the value unless it is 0.
    pub unknown: u32,
    /// Access type: 1 direct; 2 or 3 named proxy. Only bit 0x2 decides (see `proxy_in_use`).
    pub flags: u32,
    /// The proxy list (docs/formats.md §3.2 grammar), `None` when empty.
    pub proxy: Option<String>,
    /// The bypass list, `None` when empty.
    pub bypass: Option<String>,
    /// Oddities a reader should see: unknown header, flag/string mismatch, trailing bytes, non-ASCII.
    pub warnings: Vec<String>,
}

/// Size of the smallest possible value: header, unknown, flags and the two string lengths.
const MIN_LEN: usize = 20;
/// Bit 0x2 of the flags: `PROXY_TYPE_PROXY` (Wine `dlls/winhttp/session.c`).
const PROXY_TYPE_PROXY: u32 = 0x2;
/// Bit 0x1 of the flags: `PROXY_TYPE_DIRECT`.
const PROXY_TYPE_DIRECT: u32 = 0x1;

/// Decodes the `WinHttpSettings` value (`HKLM\…\Internet Settings\Connections`).
///
/// Accepts headers 0x18 and 0x28 alike; any other header is decoded anyway, with a warning, when
/// the string lengths fit the value exactly. Oddities that do not stop the decode become warnings.
pub(crate) fn parse_settings(blob: &[u8]) -> Result<WinHttpSettings, BlobError> {
    if blob.len() < MIN_LEN {
        return Err(BlobError::TooShort {
            len: blob.len(),
            header: MIN_LEN,
        });
    }
    let mut reader = Reader::new(blob);
    let header = reader.u32("header")?;
    let unknown = reader.u32("unknown field")?;
    let flags = reader.u32("flags")?;
    let known = matches!(header, 0x18 | 0x28);
    let strings = reader
        .string("proxy string")
        .and_then(|proxy| Ok((proxy, reader.string("bypass list")?)));
    let ((proxy, proxy_bytes), (bypass, bypass_bytes)) = match strings {
        Ok(strings) => strings,
        Err(cause) if !known => {
            return Err(BlobError::UnknownVersion {
                field: "header",
                value: header,
                cause: Box::new(cause),
            });
        }
        Err(err) => return Err(err),
    };
    let trailing = reader.rest().len();
    if !known && trailing > 0 {
        return Err(BlobError::UnknownVersion {
            field: "header",
            value: header,
            cause: Box::new(BlobError::LeftOver {
                count: trailing,
                field: "bypass list",
                offset: reader.offset(),
            }),
        });
    }

    let mut warnings = Vec::new();
    if !known {
        // Wine accepts only 0x18 and proxyconf reports 0x28 for netsh (docs/formats.md §1.3); never
        // reject a value silently as Wine does.
        warnings.push(format!(
            "unknown header 0x{header:02x} (expected 0x18 or 0x28), decoded anyway"
        ));
    }
    if unknown != 0 {
        warnings.push(format!(
            "second field is 0x{unknown:x}, not 0 as in every known value \
             (Wine's WinHTTP ignores such a value)"
        ));
    }
    if flags & !(PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY) != 0 {
        warnings.push(format!(
            "flags 0x{flags:x} have bits beyond direct (0x1) and proxy (0x2), which mean \
             nothing in this value"
        ));
    }
    // A proxy is in use iff bit 0x2 is set and the string is non-empty: the one rule every
    // reader agrees on (docs/formats.md §1.4; Wine tests only `flags & PROXY_TYPE_PROXY`).
    match (flags & PROXY_TYPE_PROXY != 0, proxy.is_empty()) {
        (true, true) => warnings.push(format!(
            "flags 0x{flags:x} say a proxy is in use, but the proxy string is empty: \
             WinHTTP goes direct"
        )),
        (false, false) => warnings.push(format!(
            "a proxy string '{proxy}' is stored, but flags 0x{flags:x} say direct: \
             WinHTTP ignores it"
        )),
        _ => {}
    }
    if trailing > 0 {
        warnings.push(format!(
            "{trailing} trailing bytes after the bypass list at offset {}, ignored \
             (Windows writes none)",
            reader.offset()
        ));
    }
    for (name, bytes) in [("proxy string", proxy_bytes), ("bypass list", bypass_bytes)] {
        if !bytes.is_ascii() {
            // WinHttpSetDefaultProxyConfiguration refuses non-ASCII strings (Wine session.c).
            warnings.push(format!(
                "the {name} has non-ASCII bytes, decoded as Latin-1 (Windows refuses to write them)"
            ));
        }
    }
    Ok(WinHttpSettings {
        header,
        unknown,
        flags,
        proxy: non_empty(proxy),
        bypass: non_empty(bypass),
        warnings,
    })
}

impl WinHttpSettings {
    /// Whether `WinHTTP` uses the stored proxy: bit 0x2 of the flags and a non-empty proxy string.
    #[must_use]
    pub(crate) fn proxy_in_use(&self) -> bool {
        self.flags & PROXY_TYPE_PROXY != 0 && self.proxy.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::bytes::parse_hex;

    const DIRECT_V18: &str = include_str!("../../testdata/winhttp/winhttpsettings-direct-v18.hex");
    const DIRECT_V28: &str = include_str!("../../testdata/winhttp/winhttpsettings-direct-v28.hex");
    const PROXY_V28: &str = include_str!("../../testdata/winhttp/winhttpsettings-proxy-v28.hex");
    const PERPROTO_V28: &str =
        include_str!("../../testdata/winhttp/winhttpsettings-perproto-v28.synthetic.hex");
    const PERPROTO_WINE: &str =
        include_str!("../../testdata/winhttp/winhttpsettings-perproto-v18-wine.synthetic.hex");
    const PERPROTO_FLAGS3: &str =
        include_str!("../../testdata/winhttp/winhttpsettings-perproto-v18-flags3.synthetic.hex");
    const TRUNCATED: &str =
        include_str!("../../testdata/winhttp/winhttpsettings-truncated.synthetic.hex");
    const FLAGS_MISMATCH: &str =
        include_str!("../../testdata/winhttp/winhttpsettings-flags-mismatch.synthetic.hex");
    const UNKNOWN_HEADER: &str =
        include_str!("../../testdata/winhttp/winhttpsettings-header-30.synthetic.hex");

    const ALL: [&str; 9] = [
        DIRECT_V18,
        DIRECT_V28,
        PROXY_V28,
        PERPROTO_V28,
        PERPROTO_WINE,
        PERPROTO_FLAGS3,
        TRUNCATED,
        FLAGS_MISMATCH,
        UNKNOWN_HEADER,
    ];

    fn decode(text: &str) -> Result<WinHttpSettings, BlobError> {
        parse_settings(&parse_hex(text).expect("fixture is valid hex"))
    }

    #[test]
    fn fixtures_decode_to_their_documented_values() {
        let per_proto = (Some("http=a:80;https=b:443"), Some("<local>;*.corp"));
        let cases = [
            ("direct-v18", DIRECT_V18, 0x18, 1, (None, None), false),
            ("direct-v28", DIRECT_V28, 0x28, 1, (None, None), false),
            (
                "proxy-v28",
                PROXY_V28,
                0x28,
                3,
                (Some("a:42"), Some("*.42")),
                true,
            ),
            ("perproto-v28", PERPROTO_V28, 0x28, 3, per_proto, true),
            ("perproto-wine", PERPROTO_WINE, 0x18, 2, per_proto, true),
            ("perproto-flags3", PERPROTO_FLAGS3, 0x18, 3, per_proto, true),
        ];
        for (name, text, header, flags, (proxy, bypass), in_use) in cases {
            let settings = decode(text).expect(name);
            assert_eq!(settings.header, header, "{name}");
            assert_eq!(settings.unknown, 0, "{name}");
            assert_eq!(settings.flags, flags, "{name}");
            assert_eq!(settings.proxy.as_deref(), proxy, "{name}");
            assert_eq!(settings.bypass.as_deref(), bypass, "{name}");
            assert_eq!(settings.proxy_in_use(), in_use, "{name}");
            assert_eq!(settings.warnings, Vec::<String>::new(), "{name}");
        }
    }

    #[test]
    fn odd_values_decode_with_warnings() {
        let mismatch = decode(FLAGS_MISMATCH).expect("decodes");
        assert!(!mismatch.proxy_in_use());
        assert_eq!(mismatch.proxy.as_deref(), Some("a:42"));
        assert!(
            mismatch.warnings[0].contains("WinHTTP ignores it"),
            "{mismatch:?}"
        );

        let unknown = decode(UNKNOWN_HEADER).expect("decodes");
        assert_eq!(unknown.header, 0x30);
        assert_eq!(unknown.proxy.as_deref(), Some("a:42"));
        assert!(
            unknown.warnings[0].contains("unknown header 0x30"),
            "{unknown:?}"
        );

        let cases: [(&[u8], &str); 4] = [
            (
                b"\x18\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0\0\0\0\0",
                "proxy string is empty",
            ),
            (
                b"\x18\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0",
                "2 trailing bytes after the bypass list at offset 20",
            ),
            (
                b"\x18\0\0\0\x05\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0",
                "second field is 0x5",
            ),
            (
                b"\x18\0\0\0\0\0\0\0\x02\0\0\0\x03\0\0\0p\xe9:\0\0\0\0",
                "non-ASCII bytes, decoded as Latin-1",
            ),
        ];
        for (blob, warning) in cases {
            let settings = parse_settings(blob).expect(warning);
            assert!(
                settings.warnings.iter().any(|w| w.contains(warning)),
                "{warning}: {:?}",
                settings.warnings
            );
        }
        let latin1 = parse_settings(cases[3].0).expect("decodes");
        assert_eq!(latin1.proxy.as_deref(), Some("p\u{e9}:"));
    }

    #[test]
    fn broken_values_name_the_offset_and_what_was_expected() {
        let mut long_proxy = b"\x28\0\0\0\0\0\0\0\x03\0\0\0\x2c\x01\0\0".to_vec();
        long_proxy.resize(40, b'a');
        let cases: [(&[u8], &str); 6] = [
            (
                &[0x18; 12],
                "value is 12 bytes, shorter than the 20-byte header",
            ),
            (
                &long_proxy,
                "proxy string length 300 at offset 12 runs past the end (value is 40 bytes)",
            ),
            (
                b"\x18\0\0\0\0\0\0\0\x02\0\0\0\x01\0\0\0a\x09\0\0\0",
                "bypass list length 9 at offset 17 runs past the end (value is 21 bytes)",
            ),
            (
                b"\x99\0\0\0\0\0\0\0\x02\0\0\0\x09\0\0\0\0\0\0\0",
                "unknown header 0x99",
            ),
            (
                b"\x18\0\0\0\0\0\0\0\x02\0\0\0\x01\0\0\0abcd",
                "bypass list length at offset 17 runs past the end (value is 20 bytes)",
            ),
            (
                b"\x99\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0",
                "unknown header 0x99",
            ),
        ];
        for (blob, expected) in cases {
            let err = parse_settings(blob).expect_err(expected);
            assert_eq!(err.to_string(), expected);
        }
        let err = decode(TRUNCATED).expect_err("truncated");
        assert_eq!(
            err.to_string(),
            "bypass list length 14 at offset 37 runs past the end (value is 45 bytes)"
        );
    }

    #[test]
    fn no_prefix_of_a_fixture_nor_random_bytes_panics() {
        for text in ALL {
            let blob = parse_hex(text).expect("fixture is valid hex");
            for end in 0..=blob.len() {
                let _ = parse_settings(&blob[..end]);
            }
        }
        for blob in crate::windows::bytes::pseudo_random_blobs(0x2545_f491_4f6c_dd1d, 200, 8) {
            let _ = parse_settings(&blob);
        }
    }
}
