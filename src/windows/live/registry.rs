//! Reads registry keys of this device into a [`RegistrySnapshot`](super::RegistrySnapshot); the
//! reader is Windows only.
//!
//! A thin reader: it copies each value with its type and leaves every decision to portable code.
//! Off Windows only [`value_data`] exists; callers report the live registry as not applicable.

#[cfg(windows)]
use std::io;

#[cfg(windows)]
use winreg::RegKey;
#[cfg(windows)]
use winreg::enums::{
    HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HKEY_USERS,
    KEY_READ, KEY_WOW64_64KEY,
};

use crate::windows::registry::ValueData;
#[cfg(windows)]
use crate::windows::registry::{Origin, RegistrySnapshot, canonical_path};

/// `REG_SZ`, `REG_EXPAND_SZ`, `REG_BINARY`, `REG_DWORD`, `REG_MULTI_SZ` and `REG_QWORD`.
const REG_SZ: u32 = 1;
const REG_EXPAND_SZ: u32 = 2;
const REG_BINARY: u32 = 3;
const REG_DWORD: u32 = 4;
const REG_MULTI_SZ: u32 = 7;
const REG_QWORD: u32 = 11;

/// Reads the values of each key in `paths` (not their subkeys) into a snapshot.
///
/// Paths take a root in full or abbreviated (`HKLM\SOFTWARE\…`). A missing key is simply absent
/// from the snapshot; anything else that stops a key or value from being read (access denied, a
/// name that is not UTF-16, a value type winreg does not know) is returned as a problem line.
#[cfg(windows)]
#[must_use]
pub fn read_keys(paths: &[&str]) -> (RegistrySnapshot, Vec<String>) {
    let mut snapshot = RegistrySnapshot::new();
    let mut problems = Vec::new();
    for path in paths {
        let key = match open(path) {
            Ok(Some(key)) => key,
            Ok(None) => continue,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        snapshot.ensure_key(path, &Origin::live());
        for value in key.enum_values() {
            match value {
                Ok((name, value)) => {
                    let kind = value.vtype as u32;
                    let data = value_data(kind, value.bytes.into_owned());
                    snapshot.set(path, &name, data, Origin::live());
                }
                Err(err) => problems.push(format!("cannot read a value of {path}: {err}")),
            }
        }
    }
    (snapshot, problems)
}

/// The names of the direct subkeys of `path`, e.g. the SIDs under `HKEY_USERS`.
///
/// A missing key has no subkeys; any other failure is returned as a problem line.
#[cfg(windows)]
pub fn list_subkeys(path: &str) -> Result<Vec<String>, String> {
    let Some(key) = open(path)? else {
        return Ok(Vec::new());
    };
    key.enum_keys()
        .map(|name| name.map_err(|err| format!("cannot list the subkeys of {path}: {err}")))
        .collect()
}

/// Converts a value as the registry returns it (type number and raw bytes) to [`ValueData`].
///
/// Strings are UTF-16LE and lose their terminating NULs; data of the wrong size for its type,
/// and any type other than the six common ones, are kept as [`ValueData::Other`].
#[must_use]
pub fn value_data(kind: u32, bytes: Vec<u8>) -> ValueData {
    let text = |bytes: &[u8]| {
        let units = bytes
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    let even = bytes.len().is_multiple_of(2);
    match kind {
        REG_SZ if even => ValueData::String(text(&bytes).trim_end_matches('\0').to_owned()),
        REG_EXPAND_SZ if even => {
            ValueData::ExpandString(text(&bytes).trim_end_matches('\0').to_owned())
        }
        REG_MULTI_SZ if even => {
            let text = text(&bytes);
            let text = text.trim_end_matches('\0');
            if text.is_empty() {
                ValueData::MultiString(Vec::new())
            } else {
                ValueData::MultiString(text.split('\0').map(str::to_owned).collect())
            }
        }
        REG_BINARY => ValueData::Binary(bytes),
        REG_DWORD => match <[u8; 4]>::try_from(bytes.as_slice()) {
            Ok(array) => ValueData::Dword(u32::from_le_bytes(array)),
            Err(_) => ValueData::Other { kind, bytes },
        },
        REG_QWORD => match <[u8; 8]>::try_from(bytes.as_slice()) {
            Ok(array) => ValueData::Qword(u64::from_le_bytes(array)),
            Err(_) => ValueData::Other { kind, bytes },
        },
        _ => ValueData::Other { kind, bytes },
    }
}

/// Opens `path` for reading in the 64-bit view; `Ok(None)` when it does not exist.
#[cfg(windows)]
fn open(path: &str) -> Result<Option<RegKey>, String> {
    let canonical = canonical_path(path);
    let (root, rest) = canonical.split_once('\\').unwrap_or((&canonical, ""));
    let root = match root {
        "HKEY_LOCAL_MACHINE" => HKEY_LOCAL_MACHINE,
        "HKEY_CURRENT_USER" => HKEY_CURRENT_USER,
        "HKEY_USERS" => HKEY_USERS,
        "HKEY_CLASSES_ROOT" => HKEY_CLASSES_ROOT,
        "HKEY_CURRENT_CONFIG" => HKEY_CURRENT_CONFIG,
        _ => {
            return Err(format!(
                "cannot read {path}: unknown registry root '{root}'"
            ));
        }
    };
    // The 64-bit view is the one Windows' own services read, whatever this build's bitness.
    match RegKey::predef(root).open_subkey_with_flags(rest, KEY_READ | KEY_WOW64_64KEY) {
        Ok(key) => Ok(Some(key)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
            Err(format!("cannot read {path}: access denied"))
        }
        Err(err) => Err(format!("cannot read {path}: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_values_convert_by_type() {
        let utf16 =
            |text: &str| -> Vec<u8> { text.encode_utf16().flat_map(u16::to_le_bytes).collect() };
        let cases = [
            (
                1,
                utf16("proxy:8080\0"),
                ValueData::String("proxy:8080".into()),
            ),
            (
                2,
                utf16("%SystemRoot%\0"),
                ValueData::ExpandString("%SystemRoot%".into()),
            ),
            (
                7,
                utf16("a\0bc\0\0"),
                ValueData::MultiString(vec!["a".into(), "bc".into()]),
            ),
            (7, utf16("\0"), ValueData::MultiString(Vec::new())),
            (3, vec![1, 2], ValueData::Binary(vec![1, 2])),
            (4, vec![0x2a, 0, 0, 0], ValueData::Dword(42)),
            (11, vec![1, 0, 0, 0, 0, 0, 0, 0], ValueData::Qword(1)),
            (
                4,
                vec![1, 2],
                ValueData::Other {
                    kind: 4,
                    bytes: vec![1, 2],
                },
            ),
            (
                1,
                vec![0x61],
                ValueData::Other {
                    kind: 1,
                    bytes: vec![0x61],
                },
            ),
            (
                0,
                Vec::new(),
                ValueData::Other {
                    kind: 0,
                    bytes: Vec::new(),
                },
            ),
        ];
        for (kind, bytes, expected) in cases {
            assert_eq!(
                value_data(kind, bytes.clone()),
                expected,
                "{kind} {bytes:?}"
            );
        }
    }

    #[cfg(windows)]
    #[test]
    fn missing_keys_are_absent_and_not_problems() {
        let (snapshot, problems) = read_keys(&["HKLM\\SOFTWARE\\dapreflight-no-such-key"]);
        assert!(snapshot.is_empty());
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(
            list_subkeys("HKLM\\SOFTWARE\\dapreflight-no-such-key"),
            Ok(Vec::new())
        );
    }
}
