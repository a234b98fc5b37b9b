//! A snapshot of registry keys and values, from a device's `reg export` files or (on Windows)
//! read live, with where each value came from. Parsers of proxy and policy settings read this;
//! they never touch the registry themselves.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

/// Registry keys and their values. Paths compare case-insensitively, with any root alias.
///
/// Keys are found through an index of their canonical paths, so building a snapshot of many keys
/// (a large export) takes linear time, not a scan of every key per line. It also knows which keys
/// the input covers ([`RegistrySnapshot::holds`]), so that a value missing from a key that was
/// read ("not set") is told apart from a key that was never read ("not in the input").
#[derive(Clone, Debug, Default)]
pub struct RegistrySnapshot {
    /// Every key in the order first seen; `None` where a key was deleted.
    keys: Vec<Option<RegistryKey>>,
    /// Canonical path → position in `keys`; ordered, so a key's subtree is one range.
    index: BTreeMap<String, usize>,
    /// Canonical paths a live reader looked up, whether or not they exist.
    looked_up: std::collections::BTreeSet<String>,
}

/// One key: its canonical path and its values.
#[derive(Clone, Debug)]
pub struct RegistryKey {
    /// Canonical path, e.g. `HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Windows\DataCollection`.
    pub path: String,
    /// The values in the order first seen; `None` where a value was deleted.
    values: Vec<Option<RegistryValue>>,
    /// Lower-case value name → position in `values`.
    names: HashMap<String, usize>,
    pub origin: Origin,
}

/// One value of a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegistryValue {
    /// The value's name; empty for the key's default value.
    pub name: String,
    pub data: ValueData,
    pub origin: Origin,
}

/// The data of a value, by registry type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ValueData {
    /// `REG_SZ`.
    String(String),
    /// `REG_EXPAND_SZ`, unexpanded.
    ExpandString(String),
    /// `REG_MULTI_SZ`.
    MultiString(Vec<String>),
    /// `REG_DWORD`.
    Dword(u32),
    /// `REG_QWORD`.
    Qword(u64),
    /// `REG_BINARY`.
    Binary(Vec<u8>),
    /// Any other type, kept as its number and bytes.
    Other { kind: u32, bytes: Vec<u8> },
}

/// Where a key or value was read: a file and line, or the live registry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// A file path as given, or `registry` for the live registry.
    pub source: String,
    pub line: Option<usize>,
}

impl RegistrySnapshot {
    /// An empty snapshot.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces `name` under `path`; the key is created if needed.
    pub fn set(&mut self, path: &str, name: &str, data: ValueData, origin: Origin) {
        let key = self.key_mut(path, &origin);
        let value = RegistryValue {
            name: name.to_owned(),
            data,
            origin,
        };
        let slot = key.values.len();
        match key.names.entry(name.to_ascii_lowercase()) {
            std::collections::hash_map::Entry::Occupied(entry) => {
                key.values[*entry.get()] = Some(value);
            }
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(slot);
                key.values.push(Some(value));
            }
        }
    }

    /// Creates the key at `path` if it is not there (a key can exist with no values).
    pub fn ensure_key(&mut self, path: &str, origin: &Origin) {
        self.key_mut(path, origin);
    }

    /// Records that `path` was looked up (by a live reader): its absence means it does not exist.
    pub fn mark_looked_up(&mut self, path: &str) {
        self.looked_up.insert(canonical_path(path));
    }

    /// Whether the input covers the key at `path`: the key is in it, or a live reader looked it
    /// up, or a key above it is in it (`reg export` writes a key with every key below it, so a
    /// subkey missing from an exported key does not exist on the device).
    ///
    /// When this is false, a value under `path` is not known, rather than not set.
    #[must_use]
    pub fn holds(&self, path: &str) -> bool {
        let path = canonical_path(path);
        if self.looked_up.contains(&path) {
            return true;
        }
        // The key itself, or any key above it: one index lookup per level.
        let mut prefix = path.as_str();
        loop {
            if self.index.contains_key(prefix) {
                return true;
            }
            match prefix.rfind('\\') {
                Some(at) => prefix = &prefix[..at],
                None => return false,
            }
        }
    }

    /// Removes a value (`"name"=-` in a `.reg` file).
    pub fn delete_value(&mut self, path: &str, name: &str) {
        let path = canonical_path(path);
        let Some(key) = self
            .index
            .get(&path)
            .and_then(|&slot| self.keys[slot].as_mut())
        else {
            return;
        };
        if let Some(slot) = key.names.remove(&name.to_ascii_lowercase()) {
            key.values[slot] = None;
        }
    }

    /// Removes a key and everything below it (`[-HKEY_…]` in a `.reg` file).
    pub fn delete_key(&mut self, path: &str) {
        let path = canonical_path(path);
        let below = format!("{path}\\");
        let doomed: Vec<String> = std::iter::once(path.clone())
            .filter(|path| self.index.contains_key(path))
            .chain(
                self.index
                    .range(below.clone()..)
                    .map(|(path, _)| path)
                    .take_while(|path| path.starts_with(&below))
                    .cloned(),
            )
            .collect();
        for path in doomed {
            if let Some(slot) = self.index.remove(&path) {
                self.keys[slot] = None;
            }
        }
    }

    /// Adds everything in `other`; its values win over this snapshot's.
    pub fn merge(&mut self, other: RegistrySnapshot) {
        self.looked_up.extend(other.looked_up);
        for key in other.keys.into_iter().flatten() {
            self.ensure_key(&key.path, &key.origin);
            for value in key.values.into_iter().flatten() {
                self.set(&key.path, &value.name, value.data, value.origin);
            }
        }
    }

    /// The value `name` under `path`, if present.
    #[must_use]
    pub fn value(&self, path: &str, name: &str) -> Option<&RegistryValue> {
        self.key(path)?.value(name)
    }

    /// A `REG_DWORD` (or a `REG_QWORD` that fits) value.
    #[must_use]
    pub fn dword(&self, path: &str, name: &str) -> Option<u32> {
        match self.value(path, name)?.data {
            ValueData::Dword(n) => Some(n),
            ValueData::Qword(n) => u32::try_from(n).ok(),
            _ => None,
        }
    }

    /// A `REG_SZ` or `REG_EXPAND_SZ` value.
    #[must_use]
    pub fn string(&self, path: &str, name: &str) -> Option<&str> {
        match &self.value(path, name)?.data {
            ValueData::String(s) | ValueData::ExpandString(s) => Some(s),
            _ => None,
        }
    }

    /// A `REG_BINARY` value.
    #[must_use]
    pub fn binary(&self, path: &str, name: &str) -> Option<&[u8]> {
        match &self.value(path, name)?.data {
            ValueData::Binary(bytes) => Some(bytes),
            _ => None,
        }
    }

    /// The key at `path`, if the snapshot has it.
    #[must_use]
    pub fn key(&self, path: &str) -> Option<&RegistryKey> {
        let slot = *self.index.get(&canonical_path(path))?;
        self.keys[slot].as_ref()
    }

    /// The names of the direct subkeys of `path` (e.g. the SIDs under `HKEY_USERS`).
    #[must_use]
    pub fn subkeys(&self, path: &str) -> Vec<String> {
        let below = format!("{}\\", canonical_path(path));
        let mut names: Vec<String> = self
            .index
            .range(below.clone()..)
            .map(|(path, _)| path)
            .take_while(|path| path.starts_with(&below))
            .filter_map(|path| path.strip_prefix(&below))
            .map(|rest| rest.split('\\').next().unwrap_or(rest).to_owned())
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every key, in the order first seen.
    pub fn keys(&self) -> impl Iterator<Item = &RegistryKey> {
        self.keys.iter().flatten()
    }

    /// Whether the snapshot holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty() && self.looked_up.is_empty()
    }

    fn key_mut(&mut self, path: &str, origin: &Origin) -> &mut RegistryKey {
        let path = canonical_path(path);
        let next = self.keys.len();
        let slot = *self.index.entry(path.clone()).or_insert(next);
        if slot == next {
            self.keys.push(Some(RegistryKey {
                path,
                values: Vec::new(),
                names: HashMap::new(),
                origin: origin.clone(),
            }));
        }
        self.keys[slot]
            .as_mut()
            .expect("the index points only at keys that are there")
    }
}

// Two snapshots are equal when they hold the same keys and values in the same order, whatever
// was deleted on the way.
impl PartialEq for RegistrySnapshot {
    fn eq(&self, other: &Self) -> bool {
        self.keys().eq(other.keys())
    }
}

impl Eq for RegistrySnapshot {}

impl RegistryKey {
    /// The key's values, in the order first seen.
    pub fn values(&self) -> impl Iterator<Item = &RegistryValue> {
        self.values.iter().flatten()
    }

    /// The value `name` (compared case-insensitively), if the key has it.
    #[must_use]
    pub fn value(&self, name: &str) -> Option<&RegistryValue> {
        let slot = *self.names.get(&name.to_ascii_lowercase())?;
        self.values[slot].as_ref()
    }
}

impl PartialEq for RegistryKey {
    fn eq(&self, other: &Self) -> bool {
        self.path == other.path && self.origin == other.origin && self.values().eq(other.values())
    }
}

impl Eq for RegistryKey {}

/// A path with its root spelled out (`HKLM` → `HKEY_LOCAL_MACHINE`), upper case, no trailing `\`.
///
/// Registry paths are case-insensitive, so comparing canonical forms compares keys.
#[must_use]
pub(crate) fn canonical_path(path: &str) -> String {
    let path = path.trim().trim_matches('\\');
    let (root, rest) = path.split_once('\\').unwrap_or((path, ""));
    let root = match root.to_ascii_uppercase().as_str() {
        "HKLM" | "HKEY_LOCAL_MACHINE" => "HKEY_LOCAL_MACHINE",
        "HKCU" | "HKEY_CURRENT_USER" => "HKEY_CURRENT_USER",
        "HKU" | "HKEY_USERS" => "HKEY_USERS",
        "HKCR" | "HKEY_CLASSES_ROOT" => "HKEY_CLASSES_ROOT",
        "HKCC" | "HKEY_CURRENT_CONFIG" => "HKEY_CURRENT_CONFIG",
        _ => return path.to_ascii_uppercase(),
    };
    if rest.is_empty() {
        root.to_owned()
    } else {
        format!("{root}\\{}", rest.trim_matches('\\').to_ascii_uppercase())
    }
}

/// `REG_SZ`, `REG_EXPAND_SZ`, `REG_BINARY`, `REG_DWORD`, `REG_MULTI_SZ` and `REG_QWORD`.
#[cfg(any(windows, test))]
const REG_SZ: u32 = 1;
#[cfg(any(windows, test))]
const REG_EXPAND_SZ: u32 = 2;
#[cfg(any(windows, test))]
const REG_BINARY: u32 = 3;
#[cfg(any(windows, test))]
const REG_DWORD: u32 = 4;
#[cfg(any(windows, test))]
const REG_MULTI_SZ: u32 = 7;
#[cfg(any(windows, test))]
const REG_QWORD: u32 = 11;

/// Converts a value as the registry returns it (type number and raw bytes) to [`ValueData`].
///
/// Strings are UTF-16LE and lose their terminating NULs; data of the wrong size for its type,
/// and any type other than the six common ones, are kept as [`ValueData::Other`].
#[must_use]
#[cfg(any(windows, test))] // the live reader (Windows) and the tests call it
pub(crate) fn value_data(kind: u32, bytes: Vec<u8>) -> ValueData {
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

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}", self.source),
            None => f.write_str(&self.source),
        }
    }
}

impl Origin {
    /// The live registry of this device.
    #[must_use]
    pub fn live() -> Self {
        Self {
            source: "registry".to_owned(),
            line: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_compare_with_any_root_alias_and_case() {
        let cases = [
            (
                "HKLM\\Software\\Policies",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\POLICIES",
            ),
            ("hkey_current_user\\X\\", "HKEY_CURRENT_USER\\X"),
            ("HKU\\.DEFAULT\\Software", "HKEY_USERS\\.DEFAULT\\SOFTWARE"),
            ("HKEY_USERS", "HKEY_USERS"),
        ];
        for (path, canonical) in cases {
            assert_eq!(canonical_path(path), canonical, "{path}");
        }
    }

    #[test]
    fn values_are_found_set_merged_and_deleted() {
        let origin = Origin {
            source: "a.reg".into(),
            line: Some(3),
        };
        let mut snapshot = RegistrySnapshot::new();
        snapshot.set(
            "HKLM\\Software\\X",
            "ProxyEnable",
            ValueData::Dword(1),
            origin.clone(),
        );
        snapshot.set(
            "HKU\\S-1-5-18\\Software",
            "A",
            ValueData::String("a".into()),
            origin.clone(),
        );
        assert_eq!(
            snapshot.dword("HKEY_LOCAL_MACHINE\\SOFTWARE\\x", "proxyenable"),
            Some(1)
        );
        assert_eq!(snapshot.subkeys("HKU"), vec!["S-1-5-18".to_owned()]);
        let mut other = RegistrySnapshot::new();
        other.set(
            "HKLM\\Software\\X",
            "ProxyEnable",
            ValueData::Dword(0),
            origin.clone(),
        );
        snapshot.merge(other);
        assert_eq!(snapshot.dword("HKLM\\Software\\X", "ProxyEnable"), Some(0));
        snapshot.delete_value("HKLM\\Software\\X", "PROXYENABLE");
        assert!(snapshot.value("HKLM\\Software\\X", "ProxyEnable").is_none());
        snapshot.delete_key("HKU");
        assert!(snapshot.key("HKU\\S-1-5-18\\Software").is_none());
    }

    #[test]
    fn a_key_is_held_when_exported_below_an_exported_key_or_looked_up_live() {
        let origin = Origin {
            source: "a.reg".into(),
            line: Some(1),
        };
        let mut snapshot = RegistrySnapshot::new();
        snapshot.ensure_key(r"HKLM\SOFTWARE\Policies\Microsoft\Windows", &origin);
        let cases = [
            (r"HKLM\SOFTWARE\Policies\Microsoft\Windows", true),
            (
                r"HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection",
                true,
            ),
            (r"HKLM\SOFTWARE\Policies\Microsoft\WindowsX", false),
            (r"HKLM\SOFTWARE\Policies", false),
            (r"HKCU\Software", false),
        ];
        for (path, held) in cases {
            assert_eq!(snapshot.holds(path), held, "{path}");
        }
        let mut live = RegistrySnapshot::new();
        live.mark_looked_up(r"HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection");
        assert!(
            live.holds(r"HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Windows\DataCollection")
        );
        assert!(!live.holds(r"HKLM\SOFTWARE\Microsoft"));
        snapshot.merge(live);
        assert!(snapshot.holds(r"HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection"));
    }

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
}
