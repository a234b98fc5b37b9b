//! `.reg` exports written by tests, as `reg export` writes them (UTF-16LE with a BOM, CRLF).

use std::fmt::Write as _;

/// One value to export.
pub enum RegValue {
    Dword(u32),
    String(String),
    Binary(Vec<u8>),
}

/// Keys and values to write as a `Windows Registry Editor Version 5.00` file.
#[derive(Default)]
pub struct RegExport {
    keys: Vec<(String, Vec<(String, RegValue)>)>,
}

/// The machine's Connections key, where `WinHttpSettings` lives.
pub use dapreflight::keys::MACHINE_CONNECTIONS;
/// The diagnostic-data policy key.
pub use dapreflight::keys::POLICY_KEY as DATA_COLLECTION;
/// LocalSystem's Internet Settings key.
pub use dapreflight::keys::SYSTEM_INTERNET_SETTINGS as SYSTEM_IS;
/// The user's Internet Settings key.
pub use dapreflight::keys::USER_INTERNET_SETTINGS as USER_IS;

impl RegExport {
    /// An empty export.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a value under `key`.
    pub fn value(mut self, key: &str, name: &str, value: RegValue) -> Self {
        match self.keys.iter_mut().find(|(k, _)| k == key) {
            Some((_, values)) => values.push((name.to_owned(), value)),
            None => self
                .keys
                .push((key.to_owned(), vec![(name.to_owned(), value)])),
        }
        self
    }

    /// `netsh winhttp set proxy PROXY BYPASS` as the registry holds it (header 0x18, flags 3).
    pub fn winhttp_proxy(self, proxy: &str, bypass: &str) -> Self {
        let blob = blob(&[0x18, 0, 3], &[proxy, bypass], false);
        self.value(
            MACHINE_CONNECTIONS,
            "WinHttpSettings",
            RegValue::Binary(blob),
        )
    }

    /// A WinINET `DefaultConnectionSettings` under `internet_settings` (e.g. [`USER_IS`]).
    pub fn wininet(
        self,
        internet_settings: &str,
        flags: u32,
        proxy: &str,
        bypass: &str,
        pac: &str,
    ) -> Self {
        let blob = blob(&[0x46, 1, flags], &[proxy, bypass, pac], true);
        self.value(
            &format!(r"{internet_settings}\Connections"),
            "DefaultConnectionSettings",
            RegValue::Binary(blob),
        )
    }

    /// The file's bytes: UTF-16LE with a byte-order mark and CRLF line ends.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut text = String::from("Windows Registry Editor Version 5.00\r\n");
        for (key, values) in &self.keys {
            let _ = write!(text, "\r\n[{}]\r\n", full_root(key));
            for (name, value) in values {
                let data = match value {
                    RegValue::Dword(n) => format!("dword:{n:08x}"),
                    RegValue::String(s) => {
                        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
                    }
                    RegValue::Binary(bytes) => {
                        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                        format!("hex:{}", hex.join(","))
                    }
                };
                let _ = write!(text, "\"{name}\"={data}\r\n");
            }
        }
        let mut bytes = vec![0xff, 0xfe];
        for unit in text.encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        bytes
    }
}

/// `key` with its root spelled out, as `reg export` writes it (`HKLM\…` → `HKEY_LOCAL_MACHINE\…`).
fn full_root(key: &str) -> String {
    let (root, rest) = key.split_once('\\').unwrap_or((key, ""));
    let root = match root {
        "HKLM" => "HKEY_LOCAL_MACHINE",
        "HKCU" => "HKEY_CURRENT_USER",
        "HKU" => "HKEY_USERS",
        other => other,
    };
    format!("{root}\\{rest}")
}

/// Three header words, then length-prefixed strings, then (WinINET) the 32-byte empty trailer.
fn blob(header: &[u32], strings: &[&str], trailer: bool) -> Vec<u8> {
    let mut bytes: Vec<u8> = header.iter().flat_map(|w| w.to_le_bytes()).collect();
    for s in strings {
        let len = u32::try_from(s.len()).expect("short test strings");
        bytes.extend_from_slice(&len.to_le_bytes());
        bytes.extend_from_slice(s.as_bytes());
    }
    if trailer {
        bytes.extend_from_slice(&[0; 32]);
    }
    bytes
}
