//! Parser for `reg export` / regedit files (`Windows Registry Editor Version 5.00` and
//! `REGEDIT4`) into a [`RegistrySnapshot`], with the file and line of every value.
//!
//! It reads what the files say; it does not apply them to any registry.

use crate::windows::registry::{Origin, RegistrySnapshot, ValueData};

/// The header of a regedit 5 file, as `reg export` and regedit write it.
const HEADER_V5: &str = "Windows Registry Editor Version 5.00";
/// The header of an ANSI regedit 4 file (`regedit /a`).
const HEADER_V4: &str = "REGEDIT4";

/// A `.reg` file that could not be read: the file, the line, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {}{problem}", at_line(*.line))]
pub struct RegFileError {
    /// The file as named by the caller.
    pub origin: String,
    /// The 1-based line, or `None` when the problem is the whole file (its encoding).
    pub line: Option<usize>,
    pub problem: RegFileProblem,
}

/// What was wrong in a `.reg` file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegFileProblem {
    /// The first line is not a regedit header.
    #[error("expected '{HEADER_V5}' or '{HEADER_V4}' as the first line, found {found}")]
    MissingHeader { found: String },
    /// A UTF-16 file (it has a byte-order mark) whose length is odd.
    #[error("the file starts with a UTF-16 byte-order mark but has an odd number of bytes")]
    OddUtf16,
    /// A value line before the first `[key]` line.
    #[error("expected a '[key]' line before the first value, found {found}")]
    ValueBeforeKey { found: String },
    /// A `[key` line without its closing bracket.
    #[error("expected ']' at the end of the key line, found {found}")]
    UnclosedKey { found: String },
    /// A key whose root is not a registry hive.
    #[error(
        "expected a key under HKEY_LOCAL_MACHINE, HKEY_CURRENT_USER, HKEY_USERS, \
         HKEY_CLASSES_ROOT or HKEY_CURRENT_CONFIG, found {found}"
    )]
    UnknownRoot { found: String },
    /// A line that is none of header, key, value, comment or blank.
    #[error("expected a '[key]' line, a '\"name\"=value' line or a ';' comment, found {found}")]
    UnexpectedLine { found: String },
    /// A quoted name or string data without its closing quote.
    #[error("expected a closing '\"' in {found}")]
    UnterminatedString { found: String },
    /// Something other than `=` after a value name.
    #[error("expected '=' after the value name, found {found}")]
    MissingEquals { found: String },
    /// Text after a closing quote.
    #[error("expected the end of the line after the string, found {found}")]
    TrailingText { found: String },
    /// Data of a form regedit does not write.
    #[error("unknown value type {found}: expected \"text\", dword:, hex:, hex(N): or -")]
    UnknownType { found: String },
    /// `dword:` without 1 to 8 hex digits.
    #[error("expected 8 hex digits after 'dword:', found {found}")]
    BadDword { found: String },
    /// A `hex:` byte that is not two hex digits.
    #[error("expected a hex byte (two hex digits) in the data of {name}, found {found}")]
    BadHexByte { name: String, found: String },
    /// A value whose line ends in `\` with nothing to continue it.
    #[error("the data of {name} continues with '\\' but {after}")]
    BrokenContinuation { name: String, after: String },
    /// `hex(2)`/`hex(7)`/`hex(1)` data with an odd number of bytes.
    #[error("expected UTF-16 text (an even number of bytes) in {name}, found {len} bytes")]
    OddUtf16Data { name: String, len: usize },
    /// `hex(4)`/`hex(b)` data of the wrong size.
    #[error("expected {expected} bytes for the {kind} value {name}, found {len}")]
    WrongSize {
        name: String,
        kind: &'static str,
        expected: usize,
        len: usize,
    },
}

/// Parses a `reg export` or regedit file; `origin` names it in every [`Origin`] and error.
///
/// Accepts UTF-16LE (with a byte-order mark, as `reg export` writes it, or without), UTF-8 with
/// or without a byte-order mark and, for `REGEDIT4` files that are not UTF-8, Latin-1. Deleted
/// keys (`[-KEY]`) and values (`"name"=-`) are removed from the snapshot built so far.
pub(crate) fn parse(bytes: &[u8], origin: &str) -> Result<RegistrySnapshot, RegFileError> {
    let fail = |line: Option<usize>, problem| RegFileError {
        origin: origin.to_owned(),
        line,
        problem,
    };
    let text = decode(bytes).map_err(|problem| fail(None, problem))?;
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line));
    let mut header_seen = false;
    let mut snapshot = RegistrySnapshot::new();
    let mut current = Current::NoKey;
    while let Some((number, line)) = lines.next() {
        let at = |problem| fail(Some(number), problem);
        let trimmed = line.trim();
        if !header_seen {
            if trimmed.is_empty() {
                continue;
            }
            if trimmed != HEADER_V5 && trimmed != HEADER_V4 {
                return Err(at(RegFileProblem::MissingHeader {
                    found: quote(trimmed),
                }));
            }
            header_seen = true;
            continue;
        }
        if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
            continue;
        }
        let source = Origin {
            source: origin.to_owned(),
            line: Some(number),
        };
        if trimmed.starts_with('[') {
            current = parse_key_line(trimmed, &source, &mut snapshot).map_err(at)?;
            continue;
        }
        if !trimmed.starts_with('"') && !trimmed.starts_with('@') {
            return Err(at(RegFileProblem::UnexpectedLine {
                found: quote(trimmed),
            }));
        }
        if matches!(current, Current::NoKey) {
            return Err(at(RegFileProblem::ValueBeforeKey {
                found: quote(trimmed),
            }));
        }
        let joined = join_continuations(trimmed, number, &mut lines)
            .map_err(|(line, problem)| fail(Some(line), problem))?;
        let (name, data) = parse_value(&joined).map_err(at)?;
        match &current {
            // regedit skips the values that follow a deleted key.
            Current::NoKey | Current::Deleted => {}
            Current::Key(path) => match data {
                Some(data) => snapshot.set(path, &name, data, source),
                None => snapshot.delete_value(path, &name),
            },
        }
    }
    if !header_seen {
        return Err(fail(
            Some(1),
            RegFileProblem::MissingHeader {
                found: "an empty file".to_owned(),
            },
        ));
    }
    Ok(snapshot)
}

/// Applies a `[KEY]` or `[-KEY]` line and returns the key that values now belong to.
fn parse_key_line(
    line: &str,
    origin: &Origin,
    snapshot: &mut RegistrySnapshot,
) -> Result<Current, RegFileProblem> {
    let path = line
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .ok_or_else(|| RegFileProblem::UnclosedKey { found: quote(line) })?;
    let (deleted, path) = match path.strip_prefix('-') {
        Some(path) => (true, path),
        None => (false, path),
    };
    if !has_known_root(path) {
        return Err(RegFileProblem::UnknownRoot { found: quote(path) });
    }
    if deleted {
        snapshot.delete_key(path);
        Ok(Current::Deleted)
    } else {
        snapshot.ensure_key(path, origin);
        Ok(Current::Key(path.to_owned()))
    }
}

/// Joins a value's continuation lines: regedit wraps hex data after `,\` and indents the next
/// line. Errors carry the line they are about.
///
/// Each line is appended once, so a value wrapped over many lines joins in linear time.
fn join_continuations<'a>(
    first: &str,
    number: usize,
    lines: &mut impl Iterator<Item = (usize, &'a str)>,
) -> Result<String, (usize, RegFileProblem)> {
    let mut joined = first.to_owned();
    // Only hex data is wrapped, and the value's first line says whether it is hex.
    if !is_hex_data(first) {
        return Ok(joined);
    }
    let mut last_line = number;
    while let Some(stripped) = joined.trim_end().strip_suffix('\\') {
        let kept = stripped.trim_end().len();
        joined.truncate(kept);
        let name = || value_name_for_error(first);
        let Some((next_number, next)) = lines.next() else {
            let after = "the file ends".to_owned();
            let name = name();
            return Err((
                last_line,
                RegFileProblem::BrokenContinuation { name, after },
            ));
        };
        let next = next.trim();
        if next.is_empty() || next.starts_with('[') || next.starts_with('"') {
            let after = if next.is_empty() {
                "the next line is blank".to_owned()
            } else {
                format!("the next line is {}", quote(next))
            };
            let name = name();
            return Err((
                next_number,
                RegFileProblem::BrokenContinuation { name, after },
            ));
        }
        joined.push_str(next);
        last_line = next_number;
    }
    Ok(joined)
}

/// The key that value lines belong to.
enum Current {
    NoKey,
    Deleted,
    Key(String),
}

/// Decodes the file to text by its byte-order mark, or by its shape when it has none.
fn decode(bytes: &[u8]) -> Result<String, RegFileProblem> {
    if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        return utf16le(rest).ok_or(RegFileProblem::OddUtf16);
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return Ok(String::from_utf8_lossy(rest).into_owned());
    }
    // UTF-16LE without a mark: the header is ASCII, so every second byte is zero.
    if bytes.len() >= 4
        && bytes.len().is_multiple_of(2)
        && bytes[1] == 0
        && bytes[3] == 0
        && bytes[0] != 0
    {
        return utf16le(bytes).ok_or(RegFileProblem::OddUtf16);
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        // REGEDIT4 files are in the ANSI code page; Latin-1 keeps every byte readable.
        Err(_) => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
    }
}

/// Decodes UTF-16LE, replacing unpaired surrogates; `None` for an odd byte count.
fn utf16le(bytes: &[u8]) -> Option<String> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
    Some(
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect(),
    )
}

/// Whether a key path starts with a registry hive, spelled out or abbreviated.
fn has_known_root(path: &str) -> bool {
    let root = path.split('\\').next().unwrap_or(path).to_ascii_uppercase();
    matches!(
        root.as_str(),
        "HKEY_LOCAL_MACHINE"
            | "HKLM"
            | "HKEY_CURRENT_USER"
            | "HKCU"
            | "HKEY_USERS"
            | "HKU"
            | "HKEY_CLASSES_ROOT"
            | "HKCR"
            | "HKEY_CURRENT_CONFIG"
            | "HKCC"
    )
}

/// Whether a value line (so far) holds `hex` data, the only kind regedit wraps.
fn is_hex_data(line: &str) -> bool {
    let Ok((_, rest)) = split_name(line) else {
        return false;
    };
    let rest = rest.trim_start();
    rest.strip_prefix('=').is_some_and(|data| {
        data.trim_start()
            .get(..3)
            .is_some_and(|kind| kind.eq_ignore_ascii_case("hex"))
    })
}

/// The quoted name of a value line, for messages.
fn value_name_for_error(line: &str) -> String {
    match split_name(line) {
        Ok((name, _)) if name.is_empty() => "the default value (@)".to_owned(),
        Ok((name, _)) => quote(&name),
        Err(_) => "the value".to_owned(),
    }
}

/// Parses one (joined) value line into its name and data; `None` data means "delete".
fn parse_value(line: &str) -> Result<(String, Option<ValueData>), RegFileProblem> {
    let (name, rest) = split_name(line)?;
    let rest = rest.trim_start();
    let Some(data) = rest.strip_prefix('=') else {
        return Err(RegFileProblem::MissingEquals {
            found: quote_or_blank(rest),
        });
    };
    let data = data.trim();
    if data == "-" {
        return Ok((name, None));
    }
    if let Some(body) = data.strip_prefix('"') {
        let (text, after) = unescape(body)
            .ok_or_else(|| RegFileProblem::UnterminatedString { found: quote(data) })?;
        if !after.trim().is_empty() {
            return Err(RegFileProblem::TrailingText {
                found: quote(after.trim()),
            });
        }
        return Ok((name, Some(ValueData::String(text))));
    }
    let lower = data.to_ascii_lowercase();
    if let Some(digits) = lower.strip_prefix("dword:") {
        let digits = digits.trim();
        // regedit writes 8 digits and also accepts fewer, as hand-edited files have them.
        let valid =
            (1..=8).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_hexdigit());
        let value = u32::from_str_radix(digits, 16)
            .ok()
            .filter(|_| valid)
            .ok_or_else(|| RegFileProblem::BadDword {
                found: quote_or_blank(&data["dword:".len()..]),
            })?;
        return Ok((name, Some(ValueData::Dword(value))));
    }
    let (kind, hex) = if let Some(hex) = lower.strip_prefix("hex:") {
        (3, hex)
    } else if let Some(rest) = lower.strip_prefix("hex(") {
        let unknown = || RegFileProblem::UnknownType {
            found: quote(data.split(':').next().unwrap_or(data)),
        };
        let (number, hex) = rest.split_once("):").ok_or_else(unknown)?;
        let valid =
            (1..=8).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_hexdigit());
        let kind = u32::from_str_radix(number, 16)
            .ok()
            .filter(|_| valid)
            .ok_or_else(unknown)?;
        (kind, hex)
    } else {
        let found = data.split(':').next().unwrap_or(data);
        return Err(RegFileProblem::UnknownType {
            found: quote(found),
        });
    };
    let bytes = parse_hex(hex, &name)?;
    let data = typed(kind, bytes, &name)?;
    Ok((name, Some(data)))
}

/// Splits `"name"…` or `@…` into the unescaped name and the rest of the line.
fn split_name(line: &str) -> Result<(String, &str), RegFileProblem> {
    if let Some(rest) = line.strip_prefix('@') {
        return Ok((String::new(), rest));
    }
    let body = line.strip_prefix('"').unwrap_or(line);
    unescape(body).ok_or_else(|| RegFileProblem::UnterminatedString { found: quote(line) })
}

/// Reads a quoted string's body up to its closing quote: `\\` → `\`, `\"` → `"`, `\n`, `\r`,
/// `\0` as Wine writes them. Returns the text and what follows the quote.
fn unescape(body: &str) -> Option<(String, &str)> {
    let mut text = String::new();
    let mut chars = body.char_indices();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => return Some((text, &body[index + 1..])),
            '\\' => match chars.next()?.1 {
                'n' => text.push('\n'),
                'r' => text.push('\r'),
                '0' => text.push('\0'),
                // `\\`, `\"`, and any other escaped character stand for themselves.
                other => text.push(other),
            },
            c => text.push(c),
        }
    }
    None
}

/// Reads comma-separated hex bytes, tolerating a trailing comma and spaces.
fn parse_hex(hex: &str, name: &str) -> Result<Vec<u8>, RegFileProblem> {
    let hex = hex.trim();
    if hex.is_empty() {
        return Ok(Vec::new());
    }
    let hex = hex.strip_suffix(',').unwrap_or(hex);
    hex.split(',')
        .map(|byte| {
            let byte = byte.trim();
            let bad = || RegFileProblem::BadHexByte {
                name: display_name(name),
                found: quote_or_blank(byte),
            };
            if byte.len() != 2 || !byte.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            u8::from_str_radix(byte, 16).map_err(|_| bad())
        })
        .collect()
}

/// Converts `hex(N)` bytes to data of type N.
fn typed(kind: u32, bytes: Vec<u8>, name: &str) -> Result<ValueData, RegFileProblem> {
    let text = |bytes: &[u8]| {
        utf16le(bytes).ok_or_else(|| RegFileProblem::OddUtf16Data {
            name: display_name(name),
            len: bytes.len(),
        })
    };
    let size = |kind: &'static str, expected: usize, len: usize| RegFileProblem::WrongSize {
        name: display_name(name),
        kind,
        expected,
        len,
    };
    Ok(match kind {
        1 => ValueData::String(text(&bytes)?.trim_end_matches('\0').to_owned()),
        2 => ValueData::ExpandString(text(&bytes)?.trim_end_matches('\0').to_owned()),
        3 => ValueData::Binary(bytes),
        4 => {
            let array: [u8; 4] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| size("REG_DWORD", 4, bytes.len()))?;
            ValueData::Dword(u32::from_le_bytes(array))
        }
        7 => {
            let text = text(&bytes)?;
            let text = text.trim_end_matches('\0');
            let strings = if text.is_empty() {
                Vec::new()
            } else {
                text.split('\0').map(str::to_owned).collect()
            };
            ValueData::MultiString(strings)
        }
        0xb => {
            let array: [u8; 8] = bytes
                .as_slice()
                .try_into()
                .map_err(|_| size("REG_QWORD", 8, bytes.len()))?;
            ValueData::Qword(u64::from_le_bytes(array))
        }
        kind => ValueData::Other { kind, bytes },
    })
}

/// A value name for messages: quoted, or "the default value (@)".
fn display_name(name: &str) -> String {
    if name.is_empty() {
        "the default value (@)".to_owned()
    } else {
        quote(name)
    }
}

/// Quotes text for a message, shortened to 60 characters.
fn quote(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() > LIMIT {
        let short: String = text.chars().take(LIMIT).collect();
        format!("'{short}…'")
    } else {
        format!("'{text}'")
    }
}

/// Quotes text, or says "nothing" when it is empty.
fn quote_or_blank(text: &str) -> String {
    if text.trim().is_empty() {
        "nothing".to_owned()
    } else {
        quote(text)
    }
}

/// `line N: ` or nothing.
fn at_line(line: Option<usize>) -> String {
    line.map(|line| format!("line {line}: "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use super::*;

    const DEVICE: &[u8] = include_bytes!("../../testdata/registry/device-export.synthetic.reg");
    const INTERNET_SETTINGS: &[u8] =
        include_bytes!("../../testdata/registry/internet-settings.synthetic.reg");
    const VALUE_FORMS: &[u8] = include_bytes!("../../testdata/registry/value-forms.synthetic.reg");
    const REGEDIT4: &[u8] =
        include_bytes!("../../testdata/registry/regedit4-hand-edited.synthetic.reg");

    const IS: &str = "Software\\Microsoft\\Windows\\CurrentVersion\\Internet Settings";
    const DATA_COLLECTION: &str = "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\DataCollection";

    fn at(line: usize) -> Origin {
        Origin {
            source: "f.reg".to_owned(),
            line: Some(line),
        }
    }

    #[test]
    fn device_export_in_utf16_has_every_context_with_line_numbers() {
        let snapshot = parse(DEVICE, "f.reg").expect("fixture parses");
        let hklm = format!("HKLM\\{IS}");
        let cases = [
            (
                hklm.as_str(),
                "ActiveXCache",
                ValueData::String("C:\\Windows\\Downloaded Program Files".into()),
                4,
            ),
            (DATA_COLLECTION, "AllowTelemetry", ValueData::Dword(3), 13),
            (
                DATA_COLLECTION,
                "DisableEnterpriseAuthProxy",
                ValueData::Dword(1),
                14,
            ),
            (
                DATA_COLLECTION,
                "TelemetryProxyServer",
                ValueData::String("proxy.corp.example:8080".into()),
                15,
            ),
            (
                DATA_COLLECTION,
                "CommercialId",
                ValueData::String("11111111-2222-3333-4444-555555555555".into()),
                16,
            ),
        ];
        for (path, name, data, line) in cases {
            let value = snapshot.value(path, name).expect(name);
            assert_eq!(value.data, data, "{name}");
            assert_eq!(value.origin, at(line), "{name}");
        }
        let user = format!("HKCU\\{IS}");
        assert_eq!(snapshot.string(&user, "ProxyServer"), Some("google.com:42"));
        assert_eq!(snapshot.dword(&user, "AutoDetect"), Some(1));
        assert_eq!(
            snapshot.dword(&format!("HKU\\.DEFAULT\\{IS}"), "ProxyEnable"),
            Some(0)
        );
        let winhttp = snapshot
            .binary(&format!("HKLM\\{IS}\\Connections"), "WinHttpSettings")
            .expect("WinHttpSettings");
        assert_eq!(winhttp.len(), 28);
        assert_eq!(&winhttp[16..20], b"a:42");
        let dcs = snapshot
            .value(
                &format!("HKCU\\{IS}\\Connections"),
                "DefaultConnectionSettings",
            )
            .expect("DefaultConnectionSettings");
        assert_eq!(dcs.origin, at(26));
        let ValueData::Binary(bytes) = &dcs.data else {
            panic!("binary expected: {:?}", dcs.data);
        };
        assert_eq!(bytes.len(), 97);
        assert_eq!(&bytes[16..29], b"google.com:42");
        let system = format!("HKU\\.DEFAULT\\{IS}\\Connections");
        assert_eq!(
            snapshot
                .binary(&system, "SavedLegacySettings")
                .map(<[u8]>::len),
            Some(56)
        );
        assert_eq!(
            snapshot
                .value(&system, "SavedLegacySettings")
                .map(|v| v.origin.clone()),
            Some(at(39))
        );
        assert_eq!(snapshot.subkeys("HKU"), vec![".DEFAULT".to_owned()]);
        assert_eq!(
            snapshot
                .key(&format!("HKLM\\{IS}\\Connections"))
                .map(|k| k.origin.clone()),
            Some(at(8))
        );
    }

    #[test]
    fn reference_internet_settings_export_parses() {
        let snapshot = parse(INTERNET_SETTINGS, "f.reg").expect("fixture parses");
        let user = format!("HKCU\\{IS}");
        assert_eq!(
            snapshot.string(&user, "ProxyServer"),
            Some("http=a:80;https=b:443")
        );
        assert_eq!(snapshot.dword(&user, "SecureProtocols"), Some(0xa80));
        assert_eq!(
            snapshot
                .value(&user, "ProxyHttp1.1")
                .map(|v| v.origin.clone()),
            Some(at(14))
        );
        let connections = format!("HKCU\\{IS}\\Connections");
        let dcs = snapshot.binary(&connections, "DefaultConnectionSettings");
        assert_eq!(dcs.map(<[u8]>::len), Some(124));
        assert_eq!(
            snapshot.binary(&connections, "SavedLegacySettings"),
            dcs,
            "both values hold the same bytes"
        );
        assert_eq!(
            snapshot.dword(
                "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\CurrentVersion\\Internet Settings",
                "ProxySettingsPerUser"
            ),
            Some(1)
        );
        assert_eq!(
            snapshot.string(DATA_COLLECTION, "TelemetryProxyServer"),
            Some("proxy.corp.example:8080")
        );
    }

    #[test]
    fn every_value_form_decodes_by_type() {
        let snapshot = parse(VALUE_FORMS, "f.reg").expect("fixture parses");
        let key = "HKCU\\Software\\dapreflight-fixture";
        let cases = [
            ("", ValueData::String("default value".into()), 4),
            (
                "quote\"and\\backslash",
                ValueData::String("C:\\Temp\\\"x\"".into()),
                5,
            ),
            ("empty", ValueData::String(String::new()), 6),
            ("dword", ValueData::Dword(0xffff_ffff), 7),
            ("qword", ValueData::Qword(0x0102_0304_0506_0708), 8),
            (
                "expand",
                ValueData::ExpandString("%SystemRoot%\\system32".into()),
                9,
            ),
            (
                "multi",
                ValueData::MultiString(vec!["a".into(), "bc".into()]),
                11,
            ),
            (
                "none",
                ValueData::Other {
                    kind: 0,
                    bytes: Vec::new(),
                },
                12,
            ),
            ("emptybin", ValueData::Binary(Vec::new()), 14),
            ("bin", ValueData::Binary((0..=0x27).collect()), 15),
        ];
        for (name, data, line) in cases {
            let value = snapshot.value(key, name).expect(name);
            assert_eq!(value.data, data, "{name}");
            assert_eq!(value.origin, at(line), "{name}");
        }
        assert!(snapshot.value(key, "deleted-value").is_none());
        assert!(snapshot.key(&format!("{key}\\deleted")).is_none());
    }

    #[test]
    fn regedit4_with_comments_abbreviations_and_deletions_parses() {
        let snapshot = parse(REGEDIT4, "f.reg").expect("fixture parses");
        assert_eq!(snapshot.dword(DATA_COLLECTION, "AllowTelemetry"), Some(1));
        let wrapped = snapshot.value(DATA_COLLECTION, "Wrapped").expect("Wrapped");
        assert_eq!(wrapped.data, ValueData::Qword(42));
        assert_eq!(wrapped.origin, at(9));
        let key = "HKEY_CURRENT_USER\\Software\\dapreflight-fixture";
        assert!(snapshot.value(key, "Gone").is_none());
        assert_eq!(snapshot.dword(key, "Kept"), Some(42));
        assert!(snapshot.key(&format!("{key}\\Sub")).is_none());
        assert!(snapshot.subkeys(key).is_empty());
    }

    #[test]
    fn utf8_with_bom_and_utf16_without_bom_are_read() {
        let text = "Windows Registry Editor Version 5.00\r\n\r\n[HKLM\\X]\r\n\"a\"=\"é\"\r\n";
        let mut with_bom = vec![0xEF, 0xBB, 0xBF];
        with_bom.extend_from_slice(text.as_bytes());
        let utf16: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        for bytes in [with_bom, utf16, text.as_bytes().to_vec()] {
            let snapshot = parse(&bytes, "f.reg").expect("parses");
            assert_eq!(snapshot.string("HKLM\\X", "a"), Some("é"));
        }
    }

    #[test]
    fn broken_files_name_the_file_the_line_and_what_was_expected() {
        let cases: [(&[u8], &str); 10] = [
            (
                include_bytes!("../../testdata/registry/broken-no-header.synthetic.reg"),
                "f.reg: line 1: expected 'Windows Registry Editor Version 5.00' or 'REGEDIT4' as \
                 the first line, found '[HKEY_LOCAL_MACHINE\\SOFTWARE]'",
            ),
            (
                include_bytes!("../../testdata/registry/broken-value-before-key.synthetic.reg"),
                "f.reg: line 3: expected a '[key]' line before the first value, found \
                 '\"AllowTelemetry\"=dword:00000001'",
            ),
            (
                include_bytes!("../../testdata/registry/broken-unknown-type.synthetic.reg"),
                "f.reg: line 4: unknown value type 'hex(1z)': expected \"text\", dword:, hex:, \
                 hex(N): or -",
            ),
            (
                include_bytes!("../../testdata/registry/broken-continuation-at-end.synthetic.reg"),
                "f.reg: line 4: the data of 'Blob' continues with '\\' but the file ends",
            ),
            (
                include_bytes!("../../testdata/registry/broken-bad-hex-byte.synthetic.reg"),
                "f.reg: line 4: expected a hex byte (two hex digits) in the data of 'Blob', \
                 found '0g'",
            ),
            (
                include_bytes!("../../testdata/registry/broken-unterminated-string.synthetic.reg"),
                "f.reg: line 4: expected a closing '\"' in '\"proxy.corp.example:8080'",
            ),
            (
                include_bytes!("../../testdata/registry/broken-bad-dword.synthetic.reg"),
                "f.reg: line 4: expected 8 hex digits after 'dword:', found '000000001'",
            ),
            (
                include_bytes!("../../testdata/registry/broken-odd-utf16-data.synthetic.reg"),
                "f.reg: line 4: expected UTF-16 text (an even number of bytes) in 'Path', \
                 found 5 bytes",
            ),
            (
                include_bytes!("../../testdata/registry/broken-odd-length.synthetic.reg"),
                "f.reg: the file starts with a UTF-16 byte-order mark but has an odd number of \
                 bytes",
            ),
            (
                b"",
                "f.reg: line 1: expected 'Windows Registry Editor Version 5.00' or 'REGEDIT4' \
                 as the first line, found an empty file",
            ),
        ];
        for (bytes, message) in cases {
            let err = parse(bytes, "f.reg").expect_err(message);
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn malformed_lines_are_reported() {
        let header = "Windows Registry Editor Version 5.00\n\n[HKLM\\X]\n";
        let cases = [
            (
                "[HKLM\\Y",
                "line 4: expected ']' at the end of the key line, found '[HKLM\\Y'",
            ),
            (
                "[Foo\\Bar]",
                "line 4: expected a key under HKEY_LOCAL_MACHINE",
            ),
            (
                "garbage",
                "line 4: expected a '[key]' line, a '\"name\"=value' line",
            ),
            (
                "\"a\" \"b\"",
                "line 4: expected '=' after the value name, found '\"b\"'",
            ),
            (
                "\"a\"=\"b\" c",
                "line 4: expected the end of the line after the string, found 'c'",
            ),
            ("\"a\"=str:x", "line 4: unknown value type 'str'"),
            (
                "\"a\"=dword:",
                "line 4: expected 8 hex digits after 'dword:', found nothing",
            ),
            (
                "\"a\"=hex(4):01,02",
                "line 4: expected 4 bytes for the REG_DWORD value 'a', found 2",
            ),
            (
                "\"a\"=hex(b):01",
                "line 4: expected 8 bytes for the REG_QWORD value 'a', found 1",
            ),
            (
                "@=hex:01,\\\n\n",
                "line 5: the data of the default value (@) continues with '\\' but the next \
                 line is blank",
            ),
        ];
        for (line, expected) in cases {
            let text = format!("{header}{line}\n");
            let err = parse(text.as_bytes(), "x.reg").expect_err(line);
            let message = err.to_string();
            assert!(
                message.starts_with(&format!("x.reg: {expected}")),
                "{line}: {message}"
            );
        }
    }

    #[test]
    fn a_value_wrapped_over_40000_lines_parses_whole() {
        let lines = 40_000;
        let mut text = String::from("Windows Registry Editor Version 5.00\r\n\r\n[HKLM\\X]\r\n");
        text.push_str("\"Blob\"=hex:00,\\\r\n");
        for _ in 1..lines {
            text.push_str(
                "  01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,\\\r\n",
            );
        }
        text.push_str("  ff\r\n\"After\"=dword:00000002\r\n");
        let snapshot = parse(text.as_bytes(), "f.reg").expect("parses");
        let blob = snapshot.binary("HKLM\\X", "Blob").expect("Blob");
        assert_eq!(blob.len(), 1 + 22 * (lines - 1) + 1);
        assert_eq!(blob.last(), Some(&0xff));
        let after = snapshot.value("HKLM\\X", "After").expect("After");
        assert_eq!(after.origin, at(4 + lines + 1));
    }

    #[test]
    fn an_export_of_40000_keys_parses_with_every_key_and_deletes_subtrees() {
        let keys = 40_000;
        let mut text = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
        for index in 0..keys {
            write!(
                text,
                "[HKEY_CURRENT_USER\\Software\\K{}\\S{index}]\r\n\"v\"=dword:{index:08x}\r\n\r\n",
                index % 100
            )
            .expect("writing to a String cannot fail");
        }
        text.push_str("[-HKEY_CURRENT_USER\\Software\\K7]\r\n");
        let snapshot = parse(text.as_bytes(), "f.reg").expect("parses");
        assert_eq!(snapshot.keys().count(), keys - keys / 100);
        assert_eq!(
            snapshot.dword("HKCU\\Software\\K99\\S39999", "V"),
            Some(39_999)
        );
        assert!(snapshot.key("HKCU\\Software\\K7\\S7").is_none());
        assert_eq!(snapshot.subkeys("HKCU\\Software").len(), 99);
        assert_eq!(snapshot.subkeys("HKCU\\Software\\K1").len(), keys / 100);
    }

    #[test]
    fn no_prefix_of_any_fixture_and_no_random_input_panics() {
        let fixtures = [DEVICE, INTERNET_SETTINGS, VALUE_FORMS, REGEDIT4];
        for fixture in fixtures {
            for end in 0..=fixture.len() {
                let _ = parse(&fixture[..end], "f.reg");
            }
        }
        // A fixed xorshift sequence: the same "random" bytes on every run.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"[]\"@=\\-:,;hexdword()0123456789abcdefz \r\n\xff\xfe\x00";
        for _ in 0..2000 {
            let len = usize::try_from(next() % 200).unwrap_or(0);
            let mut bytes: Vec<u8> = b"Windows Registry Editor Version 5.00\n".to_vec();
            for _ in 0..len {
                let pick = usize::try_from(next() % alphabet.len() as u64).unwrap_or(0);
                bytes.push(alphabet[pick]);
            }
            let _ = parse(&bytes, "f.reg");
            let raw: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
            let _ = parse(&raw, "f.reg");
        }
    }
}
