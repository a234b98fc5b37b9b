//! `WinINET` proxy settings: the `DefaultConnectionSettings` / `SavedLegacySettings` values of a
//! user's (or the machine's) `Internet Settings\Connections` key, decoded from their bytes, and
//! their comparison with the legacy `ProxyEnable`/`ProxyServer` values.
//!
//! Pure parsing, for every OS; which hive and value to read is the caller's choice.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::windows::bytes::{BlobError, Reader, non_empty};

/// The decoded `DefaultConnectionSettings` (or `SavedLegacySettings`, or per-VPN) value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ConnectionSettings {
    /// 0x3C (IE6 layout) or 0x46 (IE7 and later, still used by Windows 10 and 11).
    pub version: u32,
    /// Bumped by the Internet Options UI on every change; any value is valid.
    pub counter: u32,
    /// The raw `PROXY_TYPE_*` bits; `direct`, the `enabled` fields and `auto_detect` decode them.
    pub flags: u32,
    /// Bit 0x1, `PROXY_TYPE_DIRECT`: the UI always sets it.
    pub direct: bool,
    /// The manual proxy list, enabled by bit 0x2 ("Use a proxy server for your LAN").
    pub proxy: StoredString,
    /// The bypass list; it applies to the manual proxy only, so it is enabled with bit 0x2.
    pub bypass: StoredString,
    /// The PAC URL, enabled by bit 0x4 ("Use automatic configuration script").
    pub auto_config_url: StoredString,
    /// Bit 0x8, `PROXY_TYPE_AUTO_DETECT` ("Automatically detect settings", WPAD).
    pub auto_detect: bool,
    /// What follows the three strings: `WinINET`'s auto-discovery state.
    pub trailer: Trailer,
    /// Oddities a reader should see: unknown version, enabled-but-empty settings, opaque trailer.
    pub warnings: Vec<String>,
}

/// A string the value stores, and whether its flag turns it on.
///
/// Windows keeps the strings when their flag is cleared, so a stored string that is not enabled
/// is "configured but disabled", never active.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct StoredString {
    /// The stored text, `None` when empty.
    pub text: Option<String>,
    /// Whether the flag bit that enables it is set.
    pub enabled: bool,
}

/// The bytes after the three strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Trailer {
    /// Decoded byte-exactly (docs/formats.md §2.4).
    Discovery(AutoDiscovery),
    /// Did not fit the known layout: kept as it is, with a warning in `warnings`.
    Opaque(Vec<u8>),
}

/// `WinINET`'s auto-discovery state: where WPAD last led, when (docs/formats.md §2.4, inferred).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AutoDiscovery {
    /// `AUTO_PROXY_FLAG_*` bits (`INTERNET_PER_CONN_AUTODISCOVERY_FLAGS`); see `flag_names`.
    pub flags: u32,
    /// The PAC URL auto-detection last found (`INTERNET_PER_CONN_AUTOCONFIG_LAST_DETECT_URL`).
    pub last_detect_url: Option<String>,
    /// The raw FILETIME of the last detection: 100 ns ticks since 1601-01-01 UTC; 0 = never.
    pub last_detect_filetime: u64,
    /// `last_detect_filetime` as RFC 3339 UTC, `None` when it is 0.
    pub last_detect_time: Option<String>,
    /// IPv4 addresses of the network at detection time.
    pub ipv4_addresses: Vec<String>,
    /// Two fields that are 0 in every sample (secondary URL length and reload delay, perhaps).
    pub reserved: [u32; 2],
    /// The network-identity addresses (0x46 layout only; `None` in the 0x3C layout), as IP
    /// strings with `%scope` for scoped IPv6 addresses.
    pub network_addresses: Option<Vec<String>>,
}

/// The legacy `Internet Settings` values, which mirror the connection settings but do not drive
/// `WinINET` (docs/formats.md §3.1). Plain data: the caller fills it from the registry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct InternetSettingsValues {
    /// `ProxyEnable` (DWORD).
    pub proxy_enable: Option<u32>,
    /// `ProxyServer` (SZ).
    pub proxy_server: Option<String>,
    /// `ProxyOverride` (SZ).
    pub proxy_override: Option<String>,
    /// `AutoConfigURL` (SZ).
    pub auto_config_url: Option<String>,
}

const VERSION_IE6: u32 = 0x3C;
const VERSION_IE7: u32 = 0x46;
/// The header before the strings: version, counter, flags.
const HEADER_LEN: usize = 12;
/// `PROXY_TYPE_*` bits (wininet.h; Wine `dlls/winhttp/session.c`).
const PROXY_TYPE_DIRECT: u32 = 0x1;
const PROXY_TYPE_PROXY: u32 = 0x2;
const PROXY_TYPE_AUTO_PROXY_URL: u32 = 0x4;
const PROXY_TYPE_AUTO_DETECT: u32 = 0x8;
/// Size of one network-identity entry: `WinHTTP`'s `NETWORKING_KEY_BUFSIZE`.
const ADDRESS_ENTRY_LEN: usize = 128;
/// Seconds from 1601-01-01 (FILETIME's epoch) to 1970-01-01.
const FILETIME_UNIX_EPOCH_SECS: i64 = 11_644_473_600;

/// `AUTO_PROXY_FLAG_*` names by bit (wininet.h).
#[cfg(test)]
const DISCOVERY_FLAGS: [(u32, &str); 7] = [
    (0x1, "USER_SET"),
    (0x2, "ALWAYS_DETECT"),
    (0x4, "DETECTION_RUN"),
    (0x8, "MIGRATED"),
    (0x10, "DONT_CACHE_PROXY_RESULT"),
    (0x20, "CACHE_INIT_RUN"),
    (0x40, "DETECTION_SUSPECT"),
];

/// Decodes a `DefaultConnectionSettings`-shaped value (also `SavedLegacySettings` and the
/// per-connection values of VPN and dial-up entries).
///
/// Versions 0x3C and 0x46 are expected; another version is decoded anyway, with a warning, if
/// its strings fit. The trailer never fails the decode: if it does not fit the layout it is kept
/// as opaque bytes, with a warning.
pub(crate) fn parse_connection_settings(blob: &[u8]) -> Result<ConnectionSettings, BlobError> {
    if blob.len() < HEADER_LEN {
        return Err(BlobError::TooShort {
            len: blob.len(),
            header: HEADER_LEN,
        });
    }
    let mut reader = Reader::new(blob);
    let version = reader.u32("version")?;
    let counter = reader.u32("counter")?;
    let flags = reader.u32("flags")?;
    let known = matches!(version, VERSION_IE6 | VERSION_IE7);
    let mut warnings = Vec::new();
    let mut read = |field: &'static str| match reader.string(field) {
        Ok((text, bytes)) => {
            if !bytes.is_ascii() {
                warnings.push(format!(
                    "the {field} has non-ASCII bytes, decoded as Latin-1 (Windows stores it in \
                     the ANSI code page, which may differ)"
                ));
            }
            Ok(text)
        }
        Err(cause) if !known => Err(BlobError::UnknownVersion {
            field: "version",
            value: version,
            cause: Box::new(cause),
        }),
        Err(err) => Err(err),
    };
    let proxy = read("proxy server")?;
    let bypass = read("bypass list")?;
    let auto_config_url = read("auto-config URL")?;

    if !known {
        warnings.push(format!(
            "unknown version 0x{version:02x} (expected 0x3c or 0x46), decoded anyway"
        ));
    }
    if flags & !0xF != 0 {
        warnings.push(format!(
            "flags 0x{flags:x} have bits beyond direct, proxy, auto-config URL and auto-detect \
             (0xf)"
        ));
    }
    if flags & PROXY_TYPE_PROXY != 0 && proxy.is_empty() {
        warnings
            .push("the proxy flag (0x2) is set but the proxy server string is empty".to_owned());
    }
    if flags & PROXY_TYPE_AUTO_PROXY_URL != 0 && auto_config_url.is_empty() {
        warnings.push("the auto-config URL flag (0x4) is set but the URL is empty".to_owned());
    }

    let trailer = trailer(blob, reader.offset(), version, &mut warnings);
    let stored = |text: String, bit: u32| StoredString {
        text: non_empty(text),
        enabled: flags & bit != 0,
    };
    Ok(ConnectionSettings {
        version,
        counter,
        flags,
        direct: flags & PROXY_TYPE_DIRECT != 0,
        proxy: stored(proxy, PROXY_TYPE_PROXY),
        bypass: stored(bypass, PROXY_TYPE_PROXY),
        auto_config_url: stored(auto_config_url, PROXY_TYPE_AUTO_PROXY_URL),
        auto_detect: flags & PROXY_TYPE_AUTO_DETECT != 0,
        trailer,
        warnings,
    })
}

/// Lists where the legacy values disagree with the connection settings, which `WinINET` follows
/// (docs/formats.md §3.1: the legacy values are kept in sync but are not the source of truth).
#[must_use]
pub(crate) fn compare(values: &InternetSettingsValues, blob: &ConnectionSettings) -> Vec<String> {
    let mut disagreements = Vec::new();
    if let Some(enable) = values.proxy_enable {
        let on = enable != 0;
        if on != blob.proxy.enabled {
            disagreements.push(format!(
                "ProxyEnable={enable} but the connection settings' proxy flag (0x2) is {}; \
                 WinINET follows the connection settings",
                if blob.proxy.enabled { "on" } else { "off" }
            ));
        }
    }
    let mirrors = [
        (
            "ProxyServer",
            &values.proxy_server,
            &blob.proxy.text,
            "proxy server",
        ),
        (
            "ProxyOverride",
            &values.proxy_override,
            &blob.bypass.text,
            "bypass list",
        ),
    ];
    for (name, legacy, stored, what) in mirrors {
        let legacy = legacy.as_deref().map(str::trim).filter(|s| !s.is_empty());
        // A bypass list can hold hundreds of entries: name the difference, not both lists.
        let list = |text: &str| {
            if name == "ProxyOverride" {
                shorten_list(text)
            } else {
                text.to_owned()
            }
        };
        match (legacy, stored.as_deref()) {
            (Some(legacy), Some(stored)) if legacy != stored && name == "ProxyOverride" => {
                disagreements.push(bypass_difference(legacy, stored));
            }
            (Some(legacy), Some(stored)) if legacy != stored => disagreements.push(format!(
                "{name}='{legacy}' but the connection settings store the {what} '{stored}'"
            )),
            (Some(legacy), None) => disagreements.push(format!(
                "{name}='{}' but the connection settings store no {what}",
                list(legacy)
            )),
            (None, Some(stored)) => disagreements.push(format!(
                "{name} is not set but the connection settings store the {what} '{}'",
                list(stored)
            )),
            _ => {}
        }
    }
    // Clearing "Use automatic configuration script" removes AutoConfigURL but leaves the string
    // in the blob (docs/formats.md §3.1, unverified), so compare with the enabled URL only.
    let legacy = values
        .auto_config_url
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    match (legacy, blob.auto_config_url.active()) {
        (Some(legacy), Some(active)) if legacy != active => disagreements.push(format!(
            "AutoConfigURL='{legacy}' but the connection settings use the auto-config URL \
             '{active}'"
        )),
        (Some(legacy), None) => disagreements.push(format!(
            "AutoConfigURL='{legacy}' but the connection settings' auto-config flag (0x4) is off \
             or their URL is empty"
        )),
        (None, Some(active)) => disagreements.push(format!(
            "AutoConfigURL is not set but the connection settings use the auto-config URL \
             '{active}'"
        )),
        _ => {}
    }
    disagreements
}

/// The most entries a message names from one list before it says "and N more".
const SHOWN_ENTRIES: usize = 5;

/// How `ProxyOverride` and the stored bypass list differ: the entries only one of them has (as
/// WinINET compares them, case-insensitively), at most [`SHOWN_ENTRIES`] of each.
fn bypass_difference(legacy: &str, stored: &str) -> String {
    let legacy_entries = bypass_entries(legacy);
    let stored_entries = bypass_entries(stored);
    let only = |these: &[&str], others: &[&str]| -> Vec<String> {
        let others: std::collections::HashSet<String> =
            others.iter().map(|e| e.to_ascii_lowercase()).collect();
        let mut seen = std::collections::HashSet::new();
        these
            .iter()
            .filter(|e| !others.contains(&e.to_ascii_lowercase()))
            .filter(|e| seen.insert(e.to_ascii_lowercase()))
            .map(|e| (*e).to_owned())
            .collect()
    };
    let only_legacy = only(&legacy_entries, &stored_entries);
    let only_stored = only(&stored_entries, &legacy_entries);
    if only_legacy.is_empty() && only_stored.is_empty() {
        return "ProxyOverride holds the entries of the connection settings' bypass list in \
                another order or spelling; WinINET follows the connection settings"
            .to_owned();
    }
    let mut sides = Vec::new();
    if !only_legacy.is_empty() {
        sides.push(format!("only ProxyOverride has {}", some_of(&only_legacy)));
    }
    if !only_stored.is_empty() {
        sides.push(format!(
            "only the connection settings have {}",
            some_of(&only_stored)
        ));
    }
    format!(
        "ProxyOverride and the connection settings' bypass list differ ({} and {} entries): {}; \
         WinINET follows the connection settings",
        legacy_entries.len(),
        stored_entries.len(),
        sides.join("; ")
    )
}

/// A bypass list's entries, as WinINET splits them.
fn bypass_entries(text: &str) -> Vec<&str> {
    text.split(|c: char| c == ';' || c == ',' || c.is_whitespace())
        .filter(|entry| !entry.is_empty())
        .collect()
}

/// A bypass list for a message: whole when short, else its first entries and how many more.
fn shorten_list(text: &str) -> String {
    let entries = bypass_entries(text);
    if entries.len() <= SHOWN_ENTRIES {
        return text.to_owned();
    }
    format!(
        "{};… ({} entries)",
        entries[..SHOWN_ENTRIES].join(";"),
        entries.len()
    )
}

/// `a, b, c, d, e and 3 more`.
fn some_of(entries: &[String]) -> String {
    let shown = entries
        .iter()
        .take(SHOWN_ENTRIES)
        .map(|entry| format!("'{entry}'"))
        .collect::<Vec<_>>()
        .join(", ");
    match entries.len().saturating_sub(SHOWN_ENTRIES) {
        0 => shown,
        more => format!("{shown} and {more} more"),
    }
}

impl StoredString {
    /// The text, if it is stored and its flag enables it.
    #[must_use]
    pub(crate) fn active(&self) -> Option<&str> {
        self.text.as_deref().filter(|_| self.enabled)
    }

    /// Whether a string is stored while its flag is off ("configured but disabled").
    #[must_use]
    pub(crate) fn is_disabled_but_kept(&self) -> bool {
        self.text.is_some() && !self.enabled
    }
}

impl AutoDiscovery {
    /// The names of the set `AUTO_PROXY_FLAG_*` bits, e.g. `["DETECTION_RUN"]`; unknown bits as hex.
    #[must_use]
    #[cfg(test)]
    pub(crate) fn flag_names(&self) -> Vec<String> {
        let mut names: Vec<String> = DISCOVERY_FLAGS
            .iter()
            .filter(|(bit, _)| self.flags & bit != 0)
            .map(|(_, name)| (*name).to_owned())
            .collect();
        let known = DISCOVERY_FLAGS.iter().fold(0, |all, (bit, _)| all | bit);
        if self.flags & !known != 0 {
            names.push(format!("0x{:x}", self.flags & !known));
        }
        names
    }
}

/// Decodes the trailer at `offset`, or keeps it opaque with a warning.
fn trailer(blob: &[u8], offset: usize, version: u32, warnings: &mut Vec<String>) -> Trailer {
    let rest = blob.get(offset..).unwrap_or_default();
    if rest.is_empty() {
        warnings.push(format!(
            "the value ends after the auto-config URL at offset {offset}, without the \
             auto-discovery state Windows writes"
        ));
        return Trailer::Opaque(Vec::new());
    }
    // 0x46 values carry the network-identity entries, 0x3C values end after the reserved
    // fields (docs/formats.md §2.4); for an unknown version try the newer layout first.
    let layouts: &[bool] = match version {
        VERSION_IE7 => &[true],
        VERSION_IE6 => &[false],
        _ => &[true, false],
    };
    let mut first_error = None;
    for &with_entries in layouts {
        match discovery(blob, offset, with_entries) {
            Ok((discovery, notes)) => {
                warnings.extend(notes);
                return Trailer::Discovery(discovery);
            }
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    let why = first_error.map(|err| err.to_string()).unwrap_or_default();
    warnings.push(format!(
        "the {}-byte auto-discovery state at offset {offset} does not fit its known layout \
         ({why}); kept undecoded",
        rest.len()
    ));
    Trailer::Opaque(rest.to_vec())
}

/// Decodes the auto-discovery state, which must end exactly at the end of the value.
fn discovery(
    blob: &[u8],
    offset: usize,
    with_entries: bool,
) -> Result<(AutoDiscovery, Vec<String>), BlobError> {
    let mut reader = Reader::at(blob, offset);
    let mut notes = Vec::new();
    let flags = reader.u32("auto-discovery flags")?;
    let (url, url_bytes) = reader.string("last detected PAC URL")?;
    if !url_bytes.is_ascii() {
        notes.push("the last detected PAC URL has non-ASCII bytes, decoded as Latin-1".to_owned());
    }
    let filetime = reader.u64("last detect time")?;
    let ipv4_count = reader.u32("IPv4 address count")?;
    let ipv4_bytes = usize::try_from(ipv4_count)
        .ok()
        .and_then(|count| count.checked_mul(4))
        .unwrap_or(usize::MAX);
    let ipv4_addresses = reader
        .bytes(ipv4_bytes, "IPv4 addresses")?
        .chunks_exact(4)
        .map(|octets| Ipv4Addr::new(octets[0], octets[1], octets[2], octets[3]).to_string())
        .collect();
    let reserved = [
        reader.u32("first reserved field")?,
        reader.u32("second reserved field")?,
    ];
    let network_addresses = if with_entries {
        let count = reader.u32("address entry count")?;
        let size = usize::try_from(count)
            .ok()
            .and_then(|count| count.checked_mul(ADDRESS_ENTRY_LEN))
            .unwrap_or(usize::MAX);
        let entries = reader.bytes(size, "address entries")?;
        Some(
            entries
                .chunks_exact(ADDRESS_ENTRY_LEN)
                .map(|entry| address(entry, &mut notes))
                .collect(),
        )
    } else {
        None
    };
    let left = reader.rest().len();
    if left > 0 {
        return Err(BlobError::LeftOver {
            count: left,
            field: if with_entries {
                "address entries"
            } else {
                "reserved fields"
            },
            offset: reader.offset(),
        });
    }
    Ok((
        AutoDiscovery {
            flags,
            last_detect_url: non_empty(url),
            last_detect_filetime: filetime,
            last_detect_time: filetime_to_rfc3339(filetime),
            ipv4_addresses,
            reserved,
            network_addresses,
        },
        notes,
    ))
}

/// Decodes one 128-byte SOCKADDR_STORAGE-like entry to an IP string.
fn address(entry: &[u8], notes: &mut Vec<String>) -> String {
    let byte = |index: usize| entry.get(index).copied().unwrap_or_default();
    let family = u16::from_le_bytes([byte(0), byte(1)]);
    match family {
        // AF_INET: family, port, 4-byte address.
        2 => Ipv4Addr::new(byte(4), byte(5), byte(6), byte(7)).to_string(),
        // AF_INET6 (23): family, port, flow info, 16-byte address, scope id.
        23 => {
            let mut octets = [0; 16];
            for (index, octet) in octets.iter_mut().enumerate() {
                *octet = byte(8 + index);
            }
            let scope = u32::from_le_bytes([byte(24), byte(25), byte(26), byte(27)]);
            let addr = Ipv6Addr::from(octets);
            if scope == 0 {
                addr.to_string()
            } else {
                format!("{addr}%{scope}")
            }
        }
        other => {
            notes.push(format!(
                "an address entry has the unknown family 0x{other:x}"
            ));
            format!("(address family 0x{other:x})")
        }
    }
}

/// A FILETIME as RFC 3339 UTC; `None` for 0, which means "never".
fn filetime_to_rfc3339(filetime: u64) -> Option<String> {
    if filetime == 0 {
        return None;
    }
    let secs = i64::try_from(filetime / 10_000_000).ok()? - FILETIME_UNIX_EPOCH_SECS;
    Some(crate::time::rfc3339(secs))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::windows::bytes::parse_hex;

    const V3C_AUTODETECT: &str = include_str!("../../testdata/wininet/dcs-v3c-autodetect.hex");
    const V3C_WPAD: &str = include_str!("../../testdata/wininet/dcs-v3c-wpad-lkg.hex");
    const ALL_FLAGS: &str = include_str!("../../testdata/wininet/dcs-v46-all-flags.hex");
    const DIRECT_CTR0A: &str = include_str!("../../testdata/wininet/dcs-v46-direct-ctr0a.hex");
    const DIRECT: &str = include_str!("../../testdata/wininet/dcs-v46-direct.hex");
    const HKU_DEFAULT: &str = include_str!("../../testdata/wininet/dcs-v46-hku-default.hex");
    const KEPT_DISABLED: &str =
        include_str!("../../testdata/wininet/dcs-v46-strings-kept-but-disabled.hex");
    const PROXY_LOCAL: &str =
        include_str!("../../testdata/wininet/savedlegacy-v46-proxy-local.hex");
    const WPAD_LKG: &str = include_str!("../../testdata/wininet/savedlegacy-v46-wpad-lkg.hex");
    const TRUNCATED: &str = include_str!("../../testdata/wininet/dcs-v46-truncated.synthetic.hex");
    const BAD_TRAILER: &str =
        include_str!("../../testdata/wininet/dcs-v46-bad-trailer.synthetic.hex");

    const ALL: [&str; 11] = [
        V3C_AUTODETECT,
        V3C_WPAD,
        ALL_FLAGS,
        DIRECT_CTR0A,
        DIRECT,
        HKU_DEFAULT,
        KEPT_DISABLED,
        PROXY_LOCAL,
        WPAD_LKG,
        TRUNCATED,
        BAD_TRAILER,
    ];

    fn decode(text: &str) -> Result<ConnectionSettings, BlobError> {
        parse_connection_settings(&parse_hex(text).expect("fixture is valid hex"))
    }

    fn discovery_of(settings: &ConnectionSettings) -> &AutoDiscovery {
        match &settings.trailer {
            Trailer::Discovery(discovery) => discovery,
            Trailer::Opaque(bytes) => panic!("opaque trailer {bytes:?}: {:?}", settings.warnings),
        }
    }

    #[test]
    fn fixtures_decode_to_their_documented_values() {
        // (name, text, version, counter, flags, proxy, bypass, auto-config URL, discovery flags)
        let cases = [
            (
                "v3c-autodetect",
                V3C_AUTODETECT,
                0x3C,
                0x3A,
                9,
                None,
                None,
                None,
                0,
            ),
            ("v3c-wpad", V3C_WPAD, 0x3C, 0x1F, 5, None, None, None, 1),
            (
                "all-flags",
                ALL_FLAGS,
                0x46,
                0x40,
                0x0F,
                Some("google.com:42"),
                Some("Lol;<local>"),
                Some("http://google.fr/"),
                0,
            ),
            (
                "direct-ctr0a",
                DIRECT_CTR0A,
                0x46,
                0x0A,
                1,
                None,
                None,
                None,
                0,
            ),
            ("direct", DIRECT, 0x46, 0x3A, 1, None, None, None, 0),
            ("hku-default", HKU_DEFAULT, 0x46, 9, 1, None, None, None, 1),
            (
                "kept-disabled",
                KEPT_DISABLED,
                0x46,
                0x44,
                1,
                Some("google.com:42"),
                Some("Lol;<local>"),
                Some("http://google.fr/"),
                0,
            ),
            (
                "proxy-local",
                PROXY_LOCAL,
                0x46,
                0x51,
                0x0B,
                Some("127.0.0.1:80"),
                Some("<local>"),
                None,
                0,
            ),
            ("wpad-lkg", WPAD_LKG, 0x46, 7, 9, None, None, None, 4),
        ];
        for (name, text, version, counter, flags, proxy, bypass, pac, discovery_flags) in cases {
            let settings = decode(text).expect(name);
            assert_eq!(
                (settings.version, settings.counter, settings.flags),
                (version, counter, flags),
                "{name}"
            );
            assert_eq!(settings.proxy.text.as_deref(), proxy, "{name}");
            assert_eq!(settings.bypass.text.as_deref(), bypass, "{name}");
            assert_eq!(settings.auto_config_url.text.as_deref(), pac, "{name}");
            assert_eq!(discovery_of(&settings).flags, discovery_flags, "{name}");
            // The IE6 sample has the PAC flag on with an empty URL: the one oddity among them.
            let expected: &[&str] = if name == "v3c-wpad" {
                &["the auto-config URL flag (0x4) is set but the URL is empty"]
            } else {
                &[]
            };
            assert_eq!(settings.warnings, expected, "{name}");
        }
    }

    #[test]
    fn all_flags_value_enables_every_setting() {
        let settings = decode(ALL_FLAGS).expect("decodes");
        assert!(settings.direct && settings.auto_detect);
        assert_eq!(settings.proxy.active(), Some("google.com:42"));
        assert_eq!(settings.bypass.active(), Some("Lol;<local>"));
        assert_eq!(settings.auto_config_url.active(), Some("http://google.fr/"));
        let discovery = discovery_of(&settings);
        assert_eq!(discovery.last_detect_url, None);
        assert_eq!(discovery.last_detect_time, None);
        assert_eq!(discovery.network_addresses, Some(Vec::new()));
    }

    #[test]
    fn strings_kept_while_their_flags_are_off_are_disabled_not_active() {
        let settings = decode(KEPT_DISABLED).expect("decodes");
        assert!(settings.direct && !settings.auto_detect);
        for stored in [&settings.proxy, &settings.bypass, &settings.auto_config_url] {
            assert!(stored.is_disabled_but_kept(), "{stored:?}");
            assert_eq!(stored.active(), None, "{stored:?}");
        }
    }

    #[test]
    fn wpad_trailer_says_where_and_when_wpad_led() {
        let settings = decode(WPAD_LKG).expect("decodes");
        assert!(settings.auto_detect && !settings.proxy.enabled);
        let discovery = discovery_of(&settings);
        assert_eq!(discovery.flag_names(), ["DETECTION_RUN"]);
        assert_eq!(
            discovery.last_detect_url.as_deref(),
            Some("http://wpad.domain/wpad.dat")
        );
        assert_eq!(
            discovery.last_detect_time.as_deref(),
            Some("2011-04-11T04:55:58Z")
        );
        assert_eq!(discovery.ipv4_addresses, Vec::<String>::new());
        assert_eq!(discovery.reserved, [0, 0]);
        let expected = [
            "fe80::d104:cd64:e45d:3365%11",
            "fe80::5efe:c0a8:165%12",
            "fe80::c18:55b:3f57:fe9a%13",
            "192.168.1.101",
            "2001:0:4137:9e76:c18:55b:3f57:fe9a",
        ];
        assert_eq!(
            discovery.network_addresses,
            Some(expected.map(str::to_owned).to_vec())
        );

        let ie6 = decode(V3C_WPAD).expect("decodes");
        let discovery = discovery_of(&ie6);
        assert_eq!(discovery.flag_names(), ["USER_SET"]);
        assert_eq!(
            discovery.last_detect_url.as_deref(),
            Some("http://144.131.222.167/wpad.dat")
        );
        let time = discovery.last_detect_time.as_deref().expect("a time");
        assert!(time.starts_with("2005-07-15T"), "{time}");
        assert_eq!(discovery.ipv4_addresses, ["141.168.78.158"]);
        assert_eq!(discovery.network_addresses, None);
    }

    #[test]
    fn a_trailer_that_does_not_fit_is_kept_opaque_with_a_warning() {
        let settings = decode(BAD_TRAILER).expect("the strings still decode");
        assert_eq!(settings.proxy.active(), Some("a:42"));
        assert_eq!(settings.trailer, Trailer::Opaque(vec![0; 36]));
        assert_eq!(
            settings.warnings,
            [
                "the 36-byte auto-discovery state at offset 28 does not fit its known layout \
                 (4 bytes left over after the address entries at offset 60); kept undecoded"
            ]
        );

        let mut unknown = parse_hex(ALL_FLAGS).expect("valid hex");
        unknown[0] = 0x50;
        let settings = parse_connection_settings(&unknown).expect("decodes anyway");
        assert_eq!(settings.proxy.active(), Some("google.com:42"));
        assert!(matches!(settings.trailer, Trailer::Discovery(_)));
        assert_eq!(
            settings.warnings,
            ["unknown version 0x50 (expected 0x3c or 0x46), decoded anyway"]
        );

        let no_trailer = b"\x46\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
        let settings = parse_connection_settings(no_trailer).expect("decodes");
        assert_eq!(settings.trailer, Trailer::Opaque(Vec::new()));
        assert!(settings.warnings[0].contains("without the auto-discovery state"));
    }

    #[test]
    fn enabled_but_empty_settings_are_warned_about() {
        let blob = b"\x46\0\0\0\0\0\0\0\x07\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
        let mut blob = blob.to_vec();
        blob.resize(blob.len() + 32, 0);
        let settings = parse_connection_settings(&blob).expect("decodes");
        assert_eq!(
            settings.warnings,
            [
                "the proxy flag (0x2) is set but the proxy server string is empty",
                "the auto-config URL flag (0x4) is set but the URL is empty",
            ]
        );
    }

    #[test]
    fn broken_values_name_the_offset_and_what_was_expected() {
        let mut long_proxy = b"\x46\0\0\0\0\0\0\0\x03\0\0\0\x2c\x01\0\0".to_vec();
        long_proxy.resize(40, b'a');
        let cases: [(&[u8], &str); 3] = [
            (
                b"\x46\0\0\0\0\0",
                "value is 6 bytes, shorter than the 12-byte header",
            ),
            (
                &long_proxy,
                "proxy server length 300 at offset 12 runs past the end (value is 40 bytes)",
            ),
            (
                b"\x46\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0\0\0",
                "bypass list length at offset 16 runs past the end (value is 18 bytes)",
            ),
        ];
        for (blob, expected) in cases {
            let err = parse_connection_settings(blob).expect_err(expected);
            assert_eq!(err.to_string(), expected);
        }
        let mut unknown = long_proxy.clone();
        unknown[0] = 0x99;
        let err = parse_connection_settings(&unknown).expect_err("undecodable");
        assert_eq!(err.to_string(), "unknown version 0x99");
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert_eq!(
            cause.as_deref(),
            Some("proxy server length 300 at offset 12 runs past the end (value is 40 bytes)")
        );
        let err = decode(TRUNCATED).expect_err("truncated");
        assert_eq!(
            err.to_string(),
            "auto-config URL length 17 at offset 44 runs past the end (value is 54 bytes)"
        );
    }

    #[test]
    fn legacy_values_that_disagree_with_the_blob_are_listed() {
        let all_flags = decode(ALL_FLAGS).expect("decodes");
        let kept = decode(KEPT_DISABLED).expect("decodes");
        let in_sync = InternetSettingsValues {
            proxy_enable: Some(1),
            proxy_server: Some("google.com:42".to_owned()),
            proxy_override: Some("Lol;<local>".to_owned()),
            auto_config_url: Some("http://google.fr/".to_owned()),
        };
        assert_eq!(compare(&in_sync, &all_flags), Vec::<String>::new());
        // Clearing the PAC checkbox removes AutoConfigURL and keeps the blob's string: agreement.
        let cleared = InternetSettingsValues {
            proxy_enable: Some(0),
            auto_config_url: None,
            ..in_sync.clone()
        };
        assert_eq!(compare(&cleared, &kept), Vec::<String>::new());
        assert_eq!(
            compare(&in_sync, &kept),
            [
                "ProxyEnable=1 but the connection settings' proxy flag (0x2) is off; WinINET \
                 follows the connection settings",
                "AutoConfigURL='http://google.fr/' but the connection settings' auto-config \
                 flag (0x4) is off or their URL is empty",
            ]
        );
        let other = InternetSettingsValues {
            proxy_enable: None,
            proxy_server: Some("other:3128".to_owned()),
            proxy_override: None,
            auto_config_url: Some("http://pac/".to_owned()),
        };
        assert_eq!(
            compare(&other, &all_flags),
            [
                "ProxyServer='other:3128' but the connection settings store the proxy server \
                 'google.com:42'",
                "ProxyOverride is not set but the connection settings store the bypass list \
                 'Lol;<local>'",
                "AutoConfigURL='http://pac/' but the connection settings use the auto-config \
                 URL 'http://google.fr/'",
            ]
        );
    }

    #[test]
    fn long_bypass_lists_that_differ_are_reported_by_their_difference() {
        let mut settings = decode(ALL_FLAGS).expect("decodes");
        let shared: Vec<String> = (0..200)
            .map(|n| format!("host{n:03}.corp.example"))
            .collect();
        let mut legacy = shared.clone();
        legacy.extend((0..8).map(|n| format!("old{n}.example")));
        let mut stored = shared.clone();
        stored.push("new.example".to_owned());
        settings.bypass.text = Some(stored.join(";"));
        let values = InternetSettingsValues {
            proxy_enable: Some(1),
            proxy_server: Some("google.com:42".to_owned()),
            proxy_override: Some(legacy.join(";")),
            auto_config_url: Some("http://google.fr/".to_owned()),
        };
        let messages = compare(&values, &settings);
        assert_eq!(
            messages,
            [
                "ProxyOverride and the connection settings' bypass list differ (208 and 201 \
              entries): only ProxyOverride has 'old0.example', 'old1.example', 'old2.example', \
              'old3.example', 'old4.example' and 3 more; only the connection settings have \
              'new.example'; WinINET follows the connection settings"
            ]
        );
        assert!(messages[0].len() < 400, "{}", messages[0]);
        let reordered = InternetSettingsValues {
            proxy_override: Some(stored.iter().rev().cloned().collect::<Vec<_>>().join(";")),
            ..values.clone()
        };
        assert_eq!(
            compare(&reordered, &settings),
            [
                "ProxyOverride holds the entries of the connection settings' bypass list in another \
              order or spelling; WinINET follows the connection settings"
            ]
        );
        let unset = InternetSettingsValues {
            proxy_override: None,
            ..values
        };
        assert_eq!(
            compare(&unset, &settings),
            [
                "ProxyOverride is not set but the connection settings store the bypass list \
              'host000.corp.example;host001.corp.example;host002.corp.example;\
              host003.corp.example;host004.corp.example;… (201 entries)'"
            ]
        );
    }

    #[test]
    fn no_prefix_of_a_fixture_nor_random_bytes_panics() {
        for text in ALL {
            let blob = parse_hex(text).expect("fixture is valid hex");
            for end in 0..=blob.len() {
                let _ = parse_connection_settings(&blob[..end]);
            }
        }
        for blob in crate::windows::bytes::pseudo_random_blobs(0x9e37_79b9_7f4a_7c15, 300, 4) {
            let _ = parse_connection_settings(&blob);
        }
    }
}
