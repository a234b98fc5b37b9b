//! Reads registry keys of this device into a [`RegistrySnapshot`]; Windows only.
//!
//! A thin reader: it copies each value with its type and leaves every decision to portable code
//! ([`value_data`] converts the raw bytes, on every OS).

use std::io;

use winreg::RegKey;
use winreg::enums::{
    HKEY_CLASSES_ROOT, HKEY_CURRENT_CONFIG, HKEY_CURRENT_USER, HKEY_LOCAL_MACHINE, HKEY_USERS,
    KEY_READ, KEY_WOW64_64KEY,
};

use crate::windows::registry::{Origin, RegistrySnapshot, canonical_path, value_data};

/// Reads the values of each key in `paths` (not their subkeys) into a snapshot.
///
/// Paths take a root in full or abbreviated (`HKLM\SOFTWARE\…`). A missing key is simply absent
/// from the snapshot; anything else that stops a key or value from being read (access denied, a
/// name that is not UTF-16, a value type winreg does not know) is returned as a problem line.
#[must_use]
pub(crate) fn read_keys(paths: &[&str]) -> (RegistrySnapshot, Vec<String>) {
    let mut snapshot = RegistrySnapshot::new();
    let mut problems = Vec::new();
    for path in paths {
        let key = match open(path) {
            Ok(Some(key)) => key,
            Ok(None) => {
                // Looked up and absent: on the live system that means "not set".
                snapshot.mark_looked_up(path);
                continue;
            }
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        snapshot.ensure_key(path, &Origin::live());
        snapshot.mark_looked_up(path);
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

/// Opens `path` for reading in the 64-bit view; `Ok(None)` when it does not exist.
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
    fn missing_keys_are_absent_and_not_problems() {
        let (snapshot, problems) = read_keys(&["HKLM\\SOFTWARE\\dapreflight-no-such-key"]);
        assert_eq!(snapshot.keys().count(), 0);
        assert!(snapshot.holds("HKLM\\SOFTWARE\\dapreflight-no-such-key"));
        assert!(problems.is_empty(), "{problems:?}");
    }
}
