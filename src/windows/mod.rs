//! The device's Windows configuration: its registry (read live, or from `reg export` files), its
//! `netsh winhttp` captures, and the system and user proxy contexts they describe.
//!
//! Everything here parses bytes and text on every OS; only `live/` touches Windows itself.

pub mod bytes;
pub mod contexts;
pub mod keys;
pub mod live;
pub mod netsh;
pub mod regfile;
pub mod registry;
pub mod winhttp;
pub mod wininet;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::proxy::WindowsContexts;
use crate::windows::registry::{RegistrySnapshot, ValueData};

/// A device's Windows proxy configuration, as read.
#[derive(Clone, Debug, Default)]
pub struct WindowsSource {
    pub registry: RegistrySnapshot,
    /// Where the registry came from: `registry` (live) or the export files.
    pub registry_origin: String,
    pub netsh: Option<(netsh::NetshProxy, String)>,
    /// `netsh winhttp show advproxy` output (Windows 11 / Server 2022's second WinHTTP store).
    pub advproxy: Option<(netsh::AdvProxy, String)>,
    /// What could not be read (access denied, ...).
    pub problems: Vec<String>,
}

/// Why a device's exports could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A device export named with `--from-reg` or `--from-netsh` could not be read.
    #[error("cannot read {}", .path.display())]
    File { path: PathBuf, source: io::Error },
    /// A device export is not valid; `message` names the file, the line or offset, and what was
    /// expected.
    #[error("{message}")]
    Export { message: String },
}

/// Reads `--from-reg` exports (merged in order) and `--from-netsh` captures.
pub fn read_files(registry: &[PathBuf], netsh: &[PathBuf]) -> Result<WindowsSource, DeviceError> {
    let read = |path: &Path| {
        fs::read(path).map_err(|source| DeviceError::File {
            path: path.to_owned(),
            source,
        })
    };
    let mut source = WindowsSource {
        registry_origin: registry
            .iter()
            .map(|path| path.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        ..WindowsSource::default()
    };
    for path in registry {
        let origin = path.display().to_string();
        let bytes = read(path)?;
        if netsh::looks_like_netsh(&bytes) {
            return Err(DeviceError::Export {
                message: format!(
                    "{origin}: this is netsh output, not a registry export: pass it with --from-netsh"
                ),
            });
        }
        let snapshot = regfile::parse(&bytes, &origin).map_err(|err| DeviceError::Export {
            message: err.to_string(),
        })?;
        source.registry.merge(snapshot);
    }
    for path in netsh {
        let origin = path.display().to_string();
        let bytes = read(path)?;
        let invalid = |err: netsh::NetshError| DeviceError::Export {
            message: err.to_string(),
        };
        match netsh::parse_show_proxy(&bytes, &origin) {
            Ok(capture) => source.netsh = Some((capture, origin)),
            Err(err) if matches!(err.problem, netsh::NetshProblem::AdvProxyGiven) => {
                let text = netsh::decode_capture(&bytes, &origin).map_err(invalid)?;
                let advanced = netsh::parse_show_advproxy(&text.text, &origin).map_err(invalid)?;
                source.advproxy = Some((advanced, origin));
            }
            Err(err) => return Err(invalid(err)),
        }
    }
    check_export_blobs(&source.registry)?;
    Ok(source)
}

/// A named export whose proxy blobs do not decode cannot be analysed: say where.
fn check_export_blobs(registry: &RegistrySnapshot) -> Result<(), DeviceError> {
    for key in registry.keys() {
        for value in &key.values {
            let ValueData::Binary(bytes) = &value.data else {
                continue;
            };
            let problem = if value.name.eq_ignore_ascii_case("WinHttpSettings") {
                winhttp::parse_settings(bytes).err()
            } else if key.path.ends_with(r"\INTERNET SETTINGS\CONNECTIONS")
                && (value.name.eq_ignore_ascii_case("DefaultConnectionSettings")
                    || value.name.eq_ignore_ascii_case("SavedLegacySettings"))
            {
                wininet::parse_connection_settings(bytes).err()
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(DeviceError::Export {
                    message: format!("{}: value '{}': {problem}", value.origin, value.name),
                });
            }
        }
    }
    Ok(())
}

impl WindowsSource {
    /// The system and user contexts this configuration describes, before automatic
    /// configuration is loaded. `live_network`: WinHTTP's own auto-detect may run here.
    #[must_use]
    pub fn contexts(&self, live_network: bool) -> WindowsContexts {
        let netsh = self
            .netsh
            .as_ref()
            .map(|(capture, origin)| (capture, origin.as_str()));
        let mut found = contexts::contexts(&self.registry, netsh);
        if let Some((advanced, origin)) = &self.advproxy {
            contexts::add_advproxy(&mut found.system, advanced, origin);
        }
        contexts::add_system_wpad(&mut found.system, &self.registry, live_network);
        found.warnings.extend(self.problems.iter().cloned());
        found
    }
}
