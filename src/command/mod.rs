//! The commands, each the story of one mode: `check`, `proxy`, `pac` and `endpoints`.

pub(crate) mod check;
pub(crate) mod endpoints;
pub(crate) mod hop;
pub(crate) mod pac;
pub(crate) mod progress;
pub(crate) mod proxy;

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::config::{Config, DeviceFiles};
use crate::error::Error;
use crate::proxy::{ProxyOverride, ProxySources};
use crate::report::{self, Outcome};
use crate::settings::{self, DeviceSettings};
use crate::windows::{self, WindowsSource};

/// Runs the command `config` describes, writing its output to `out`.
pub async fn run(config: &Config, out: &mut impl Write) -> Result<Outcome, Error> {
    match config {
        Config::Check(config) => check::run(config, out).await,
        Config::Endpoints(config) => endpoints::run(config, out).map(|()| Outcome::Clear),
        Config::Pac(config) => pac::run(config, out).await.map(|()| Outcome::Clear),
        Config::Proxy(config) => proxy::run(config, out).await.map(|()| Outcome::Clear),
        Config::ProbeJobs(config) => hop::run(config).await.map(|()| Outcome::Clear),
        // Each command flushes `out` itself, so a failed flush is its error, not lost at exit.
    }
}

/// The device under test: its Windows configuration (from exports, or read live on Windows) and
/// the proxy sources that `check` and `proxy` route by.
#[derive(Clone, Debug)]
pub struct Device {
    /// Flags and environment, with the Windows contexts filled in.
    pub sources: ProxySources,
    /// The Windows configuration, when there is one to read.
    pub windows: Option<WindowsSource>,
    /// Read live from this machine's registry (not from exports).
    pub live: bool,
}

/// Reads the device: `--from-reg`/`--from-netsh` exports when given, else, on Windows and with no
/// flag overriding it, the live registry.
pub fn read_device(sources: &ProxySources, files: &DeviceFiles) -> Result<Device, Error> {
    let mut sources = sources.clone();
    let (windows, live) = if !files.registry.is_empty() || !files.netsh.is_empty() {
        let windows = windows::read_files(&files.registry, &files.netsh)?;
        (Some(windows), false)
    } else if sources.flag == ProxyOverride::None && sources.pac.is_none() && !sources.wpad {
        let windows = windows::live::read();
        let live = windows.is_some();
        (windows, live)
    } else {
        (None, false)
    };
    if live {
        // On the device itself, auto-detect (WPAD) is what Windows would do: run it.
        sources.live_network = true;
    }
    // `--connection`: the registry's own spelling of a name it holds, or exit 2 with the names.
    let connection = match (&sources.connection, &windows) {
        (None, _) => None,
        (Some(wanted), Some(windows)) => Some(windows.connection(wanted)?),
        (Some(wanted), None) => {
            return Err(windows::DeviceError::ConnectionWithoutSettings {
                name: wanted.clone(),
            }
            .into());
        }
    };
    sources.connection.clone_from(&connection);
    sources.windows = windows
        .as_ref()
        .map(|windows| windows.contexts(sources.live_network, connection.as_deref()));
    Ok(Device {
        sources,
        windows,
        live,
    })
}

impl Device {
    /// What device a report about this input is about: the device the exports name (or unknown),
    /// or this machine on a live run.
    #[must_use]
    pub fn report_device(&self) -> report::Device {
        match &self.windows {
            Some(windows) if !self.live => report::Device::from_export(windows.identity()),
            Some(windows) => report::Device::live(windows.identity()),
            None => report::Device::this_machine(),
        }
    }

    /// The diagnostic-data settings: from the `--from-reg` exports, else (on Windows) read live,
    /// whatever flag overrides the routes.
    #[must_use]
    pub fn settings(&self) -> Option<DeviceSettings> {
        match &self.windows {
            Some(windows) if !self.live && !windows.registry_origin.is_empty() => {
                Some(settings::read_settings(&windows.registry))
            }
            _ => live_settings(),
        }
    }
}

#[cfg(windows)]
#[allow(clippy::unnecessary_wraps)] // the same signature as the non-Windows version
fn live_settings() -> Option<DeviceSettings> {
    let facts = windows::live::settings::read();
    let mut settings = settings::read_settings(&facts.registry);
    settings::with_live(
        &mut settings,
        facts.diagtrack_running,
        facts.sense_running,
        facts.console_user,
    );
    Some(settings)
}

#[cfg(not(windows))]
fn live_settings() -> Option<DeviceSettings> {
    None
}

/// Writes `render` to `out` and flushes it, so a failed write or flush is an error, which keeps
/// `outcome` (the verdict, when known) for a reader that went away.
pub(crate) fn write_stdout<W: Write>(
    out: &mut W,
    outcome: Option<Outcome>,
    render: impl FnOnce(&mut W) -> io::Result<()>,
) -> Result<(), Error> {
    render(out)
        .and_then(|()| out.flush())
        .map_err(|source| Error::Output { outcome, source })
}

/// Writes a file whole or not at all: a monitoring agent never reads half a report.
pub(crate) fn write_file(
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<fs::File>) -> io::Result<()>,
) -> Result<(), Error> {
    let fail = |source| Error::OutputFile {
        path: path.to_owned(),
        source,
    };
    // A device or a pipe (`/dev/stdout`, `/dev/full`, a FIFO) is written in place: renaming a
    // temporary file over it would replace the device itself when run as root.
    if fs::metadata(path).is_ok_and(|found| !found.is_file()) {
        let file = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(fail)?;
        let mut file = io::BufWriter::new(file);
        return write(&mut file).and_then(|()| file.flush()).map_err(fail);
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = std::path::PathBuf::from(temporary);
    let result = fs::File::create(&temporary).and_then(|file| {
        let mut file = io::BufWriter::new(file);
        write(&mut file)?;
        file.flush()?;
        file.get_ref().sync_all()
    });
    if let Err(err) = result.and_then(|()| fs::rename(&temporary, path)) {
        let _ = fs::remove_file(&temporary);
        return Err(fail(err));
    }
    Ok(())
}
