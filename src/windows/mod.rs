//! The device's Windows configuration: its registry (read live, or from `reg export` files), its
//! `netsh winhttp` captures, and the system and user proxy contexts they describe.
//!
//! Everything here parses bytes and text on every OS; only `live/` touches Windows itself.

pub(crate) mod bytes;
pub(crate) mod connections;
pub(crate) mod contexts;
pub(crate) mod identity;
pub mod keys;
pub(crate) mod live;
pub(crate) mod netsh;
pub(crate) mod regfile;
pub(crate) mod registry;
pub(crate) mod service;
// What SSPI's answers mean; used by the Windows reader in live/ and by the tests.
#[cfg(any(windows, test))]
pub(crate) mod sspi;
pub(crate) mod utc;
pub(crate) mod winhttp;
pub(crate) mod wininet;

use std::path::PathBuf;

use crate::input::{self, InputError, InputKind};
use crate::proxy::WindowsContexts;
use crate::route::Context;
use crate::windows::bytes::BlobError;
use crate::windows::connections::ContextConnections;
pub use crate::windows::identity::DeviceIdentity;
use crate::windows::registry::{Origin, RegistrySnapshot, ValueData};

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
///
/// Each parser's own error is kept, typed; main prints the chain, so the messages read as one line.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// A device export named with `--from-reg` or `--from-netsh` could not be read, or is past
    /// its cap.
    #[error(transparent)]
    File(#[from] InputError),
    /// A file named with `--from-reg` holds `netsh` output.
    #[error(
        "{}: this is netsh output, not a registry export: pass it with --from-netsh",
        .path.display()
    )]
    NetshGivenAsRegistry { path: PathBuf },
    /// A `--from-reg` file is not a registry export; the error names the file and line.
    #[error(transparent)]
    RegFile(#[from] regfile::RegFileError),
    /// A `--from-netsh` file is not `netsh winhttp show proxy` (or `show advproxy`) output.
    #[error(transparent)]
    Netsh(#[from] netsh::NetshError),
    /// `--connection` names no connection of the user's settings.
    #[error(
        "--connection '{name}': no such connection under {key}; present: {}",
        if .present.is_empty() { "none".to_owned() } else { .present.join(", ") }
    )]
    UnknownConnection {
        name: String,
        key: String,
        present: Vec<String>,
    },
    /// `--connection` was given, but no Windows proxy settings were read.
    #[error(
        "--connection '{name}': no Windows proxy settings were read (give --from-reg, or run on \
         Windows without --proxy, --direct, --pac or --wpad)"
    )]
    ConnectionWithoutSettings { name: String },
    /// A proxy value in a registry export does not decode.
    #[error("{origin}: value '{name}'")]
    Blob {
        origin: Origin,
        name: String,
        source: BlobError,
    },
}

/// Reads `--from-reg` exports (merged in order) and `--from-netsh` captures.
pub(crate) fn read_files(
    registry: &[PathBuf],
    netsh: &[PathBuf],
) -> Result<WindowsSource, DeviceError> {
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
        let bytes = input::read(path, InputKind::RegistryExport)?;
        if netsh::looks_like_netsh(&bytes) {
            return Err(DeviceError::NetshGivenAsRegistry { path: path.clone() });
        }
        let snapshot = regfile::parse(&bytes, &origin)?;
        source.registry.merge(snapshot);
    }
    for path in netsh {
        let origin = path.display().to_string();
        let bytes = input::read(path, InputKind::NetshCapture)?;
        match netsh::parse_show_proxy(&bytes, &origin) {
            Ok(capture) => source.netsh = Some((capture, origin)),
            Err(err) if matches!(err.problem, netsh::NetshProblem::AdvProxyGiven) => {
                let text = netsh::decode_capture(&bytes, &origin)?;
                let advanced = netsh::parse_show_advproxy(&text.text, &origin)?;
                source.advproxy = Some((advanced, origin));
            }
            Err(err) => return Err(err.into()),
        }
    }
    check_export_blobs(&source.registry)?;
    Ok(source)
}

/// A named export whose proxy blobs do not decode cannot be analysed: say where.
fn check_export_blobs(registry: &RegistrySnapshot) -> Result<(), DeviceError> {
    for key in registry.keys() {
        for value in key.values() {
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
            if let Some(source) = problem {
                return Err(DeviceError::Blob {
                    origin: value.origin.clone(),
                    name: value.name.clone(),
                    source,
                });
            }
        }
    }
    Ok(())
}

impl WindowsSource {
    /// Which device this configuration describes, as its registry says.
    #[must_use]
    pub fn identity(&self) -> DeviceIdentity {
        identity::identity(&self.registry)
    }

    /// The system and user contexts this configuration describes, before automatic
    /// configuration is loaded. `live_network`: WinHTTP's own auto-detect may run here.
    /// `connection`: the user context's connection, checked with [`Self::connection`].
    #[must_use]
    pub fn contexts(&self, live_network: bool, connection: Option<&str>) -> WindowsContexts {
        let netsh = self
            .netsh
            .as_ref()
            .map(|(capture, origin)| (capture, origin.as_str()));
        let mut found = contexts::contexts(&self.registry, netsh, connection);
        if let Some((advanced, origin)) = &self.advproxy {
            contexts::add_advproxy(&mut found.system, advanced, origin);
        }
        contexts::add_system_wpad(&mut found.system, &self.registry, live_network);
        found.warnings.extend(self.problems.iter().cloned());
        found
    }
}

impl WindowsSource {
    /// The user context's connection named `wanted`, spelled as the registry spells it; an
    /// unknown name is an error listing the names present.
    pub fn connection(&self, wanted: &str) -> Result<String, DeviceError> {
        let key = contexts::user_connections_key(&self.registry);
        connections::find(&self.registry, &key, wanted).ok_or_else(|| {
            DeviceError::UnknownConnection {
                name: wanted.to_owned(),
                key: keys::abbreviated(&key),
                present: connections::names(&self.registry, &key),
            }
        })
    }

    /// Every connection of the user's and LocalSystem's settings that the input holds, with the
    /// one each context uses marked (`selected`: the user's; LocalSystem always uses the LAN's).
    #[must_use]
    pub fn connections(&self, selected: Option<&str>) -> Vec<ContextConnections> {
        let user = contexts::user_connections_key(&self.registry);
        let system = contexts::system_connections_key(&self.registry);
        [
            (Context::System, system, connections::LAN),
            (Context::User, user, selected.unwrap_or(connections::LAN)),
        ]
        .into_iter()
        .filter(|(_, key, _)| self.registry.key(key).is_some())
        .map(|(context, key, selected)| connections::list(&self.registry, context, &key, selected))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::path::Path;

    use super::*;

    /// The error as `main` prints it: the message, then each source after ": ".
    fn chain(err: &DeviceError) -> String {
        crate::cause::chain(err)
    }

    #[test]
    fn unusable_exports_are_named_with_the_parsers_own_errors() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let file = |name: &str, bytes: &[u8]| {
            let path = dir.path().join(name);
            fs::write(&path, bytes).expect("writable temporary directory");
            path
        };
        let netsh_text = file(
            "winhttp.txt",
            include_bytes!("../../testdata/netsh/show-proxy-direct.txt"),
        );
        let not_reg = file("x.reg", b"hello\r\n");
        let not_netsh = file("y.txt", b"");
        // A WinHttpSettings value shorter than its header.
        let blob = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\\
                    Microsoft\\Windows\\CurrentVersion\\Internet Settings\\Connections]\r\n\
                    \"WinHttpSettings\"=hex:30,00,00,00,01\r\n";
        let bad_blob = file("z.reg", blob.as_bytes());
        let name = |path: &Path| path.display().to_string();
        let cases = [
            (
                read_files(std::slice::from_ref(&netsh_text), &[]),
                format!(
                    "{}: this is netsh output, not a registry export: pass it with --from-netsh",
                    name(&netsh_text)
                ),
            ),
            (
                read_files(std::slice::from_ref(&not_reg), &[]),
                regfile::parse(b"hello\r\n", &name(&not_reg))
                    .expect_err("not a registry export")
                    .to_string(),
            ),
            (
                read_files(&[], std::slice::from_ref(&not_netsh)),
                format!("{}: the file is empty", name(&not_netsh)),
            ),
            (
                read_files(std::slice::from_ref(&bad_blob), &[]),
                format!(
                    "{}:4: value 'WinHttpSettings': value is 5 bytes, shorter than the 20-byte \
                     header",
                    name(&bad_blob)
                ),
            ),
        ];
        for (result, expected) in cases {
            let err = result.expect_err(&expected);
            assert_eq!(chain(&err), expected);
        }
        let missing = dir.path().join("missing.reg");
        let err = read_files(std::slice::from_ref(&missing), &[]).expect_err("missing file");
        assert!(
            chain(&err).starts_with(&format!(
                "cannot read the registry export {}: ",
                name(&missing)
            )),
            "{}",
            chain(&err)
        );
        assert!(matches!(err, DeviceError::File(_)));
    }
}
