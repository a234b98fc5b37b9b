//! dapreflight: can this Windows device reach the Microsoft diagnostic-data endpoints, and if not,
//! exactly why?
//!
//! The program's story is [`check`]: endpoints and proxy sources → plan → probe → assess → render.

pub mod cli;
pub mod config;
pub mod endpoints;
pub mod error;
pub mod interception;
pub mod output;
pub mod probe;
pub mod proxy;
pub mod registry;
pub mod report;
pub mod settings;
pub mod time;
pub mod verdict;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::config::{CheckConfig, Config, DeviceFiles, EndpointsConfig, ProxyConfig};
use crate::error::Error;
use crate::interception::TrustStores;
use crate::probe::{ProbeSettings, Resolver};
use crate::proxy::{ProxySources, WindowsSource};
use crate::report::{CatalogInfo, Outcome, ProxyView, Report};

/// Runs the command `config` describes, writing its output to `out`.
pub async fn run(config: &Config, out: &mut impl Write) -> Result<Outcome, Error> {
    match config {
        Config::Check(config) => check(config, out).await,
        Config::Endpoints(config) => list_endpoints(config, out).map(|()| Outcome::Clear),
        Config::Pac(config) => proxy::pac::run_command(config, out)
            .await
            .map(|()| Outcome::Clear),
        Config::Proxy(config) => show_proxy(config, out).await.map(|()| Outcome::Clear),
    }
}

/// Shows each context's proxy configuration and the route every endpoint takes in it.
pub async fn show_proxy(config: &ProxyConfig, out: &mut impl Write) -> Result<(), Error> {
    let catalog = endpoints::load(config.catalog.file.as_deref())?;
    let endpoints = catalog.select(&config.catalog.profile)?;
    let sources = gather_sources(&config.proxy_sources, &config.device_files)?;
    let contexts = proxy::discover(&sources).await?;
    let view = ProxyView::new(&endpoints, contexts);
    output::render_proxy(&view, config.style, out).map_err(Error::Output)
}

/// The sources `check` and `proxy` read: the flags and the environment, plus the device's Windows
/// configuration from its exports or, on Windows, from the live registry.
pub fn gather_sources(sources: &ProxySources, files: &DeviceFiles) -> Result<ProxySources, Error> {
    let mut sources = sources.clone();
    if !files.registry.is_empty() || !files.netsh.is_empty() {
        sources.windows = Some(read_device_files(files)?);
    } else if let Some(live) = live_windows(&sources) {
        sources.windows = Some(live);
        // On the device itself, auto-detect (WPAD) is what Windows would do: run it.
        sources.live_network = true;
    }
    Ok(sources)
}

/// The diagnostic-data settings: from the `--from-reg` exports, else (on Windows) read live.
fn device_settings(
    sources: &ProxySources,
    files: &DeviceFiles,
) -> Option<settings::DeviceSettings> {
    if !files.registry.is_empty() {
        return sources
            .windows
            .as_ref()
            .map(|windows| settings::read_settings(&windows.registry));
    }
    live_settings()
}

#[cfg(windows)]
#[allow(clippy::unnecessary_wraps)] // the same signature as the non-Windows version
fn live_settings() -> Option<settings::DeviceSettings> {
    Some(settings::live::read())
}

#[cfg(not(windows))]
fn live_settings() -> Option<settings::DeviceSettings> {
    None
}

/// Reads `--from-reg` exports (merged in order) and a `--from-netsh` capture.
fn read_device_files(files: &DeviceFiles) -> Result<WindowsSource, Error> {
    let read = |path: &Path| {
        fs::read(path).map_err(|source| Error::DeviceFile {
            path: path.to_owned(),
            source,
        })
    };
    let mut source = WindowsSource {
        registry_origin: files
            .registry
            .iter()
            .map(|path| path.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        ..WindowsSource::default()
    };
    for path in &files.registry {
        let origin = path.display().to_string();
        let bytes = read(path)?;
        if proxy::netsh::looks_like_netsh(&bytes) {
            return Err(Error::DeviceExport {
                message: format!(
                    "{origin}: this is netsh output, not a registry export: pass it with --from-netsh"
                ),
            });
        }
        let snapshot =
            registry::regfile::parse(&bytes, &origin).map_err(|err| Error::DeviceExport {
                message: err.to_string(),
            })?;
        source.registry.merge(snapshot);
    }
    for path in &files.netsh {
        let origin = path.display().to_string();
        let bytes = read(path)?;
        let invalid = |err: proxy::netsh::NetshError| Error::DeviceExport {
            message: err.to_string(),
        };
        match proxy::netsh::parse_show_proxy(&bytes, &origin) {
            Ok(capture) => source.netsh = Some((capture, origin)),
            Err(err) if matches!(err.problem, proxy::netsh::NetshProblem::AdvProxyGiven) => {
                let text = proxy::netsh::decode_capture(&bytes, &origin).map_err(invalid)?;
                let advanced =
                    proxy::netsh::parse_show_advproxy(&text.text, &origin).map_err(invalid)?;
                source.advproxy = Some((advanced, origin));
            }
            Err(err) => return Err(invalid(err)),
        }
    }
    check_export_blobs(&source.registry)?;
    Ok(source)
}

/// A named export whose proxy blobs do not decode cannot be analysed: say where, exit 2.
fn check_export_blobs(registry: &registry::RegistrySnapshot) -> Result<(), Error> {
    for key in registry.keys() {
        for value in &key.values {
            let registry::ValueData::Binary(bytes) = &value.data else {
                continue;
            };
            let problem = if value.name.eq_ignore_ascii_case("WinHttpSettings") {
                proxy::winhttp::parse_settings(bytes).err()
            } else if key.path.ends_with(r"\INTERNET SETTINGS\CONNECTIONS")
                && (value.name.eq_ignore_ascii_case("DefaultConnectionSettings")
                    || value.name.eq_ignore_ascii_case("SavedLegacySettings"))
            {
                proxy::wininet::parse_connection_settings(bytes).err()
            } else {
                None
            };
            if let Some(problem) = problem {
                return Err(Error::DeviceExport {
                    message: format!("{}: value '{}': {problem}", value.origin, value.name),
                });
            }
        }
    }
    Ok(())
}

/// This machine's Windows proxy configuration, read live, unless a flag overrides it.
#[cfg(windows)]
fn live_windows(sources: &ProxySources) -> Option<WindowsSource> {
    if sources.flag != proxy::ProxyOverride::None || sources.pac.is_some() || sources.wpad {
        return None;
    }
    let (registry, problems) = registry::live::read_keys(proxy::windows::KEYS);
    Some(WindowsSource {
        registry,
        registry_origin: "registry".to_owned(),
        netsh: None,
        advproxy: None,
        problems,
    })
}

/// Off Windows there is no live registry: the environment is the source.
#[cfg(not(windows))]
fn live_windows(_sources: &ProxySources) -> Option<WindowsSource> {
    None
}

/// Probes every endpoint along the route each context picks, and renders the report.
pub async fn check(config: &CheckConfig, out: &mut impl Write) -> Result<Outcome, Error> {
    let report = build_report(config).await?;
    match &config.output {
        Some(path) => write_file(path, |file| output::render(&report, config.style, file))?,
        None => output::render(&report, config.style, out).map_err(Error::Output)?,
    }
    Ok(report.outcome())
}

/// Runs the probes and assesses them, without rendering.
pub async fn build_report(config: &CheckConfig) -> Result<Report, Error> {
    let catalog = endpoints::load(config.catalog.file.as_deref())?;
    let endpoints = catalog.select(&config.catalog.profile)?;
    let mut anchors = Vec::new();
    for path in &config.trust_anchor_files {
        anchors.extend(interception::load_anchor_file(path)?);
    }
    let sources = gather_sources(&config.proxy_sources, &config.device_files)?;
    let device_settings = device_settings(&sources, &config.device_files);
    let contexts = proxy::discover(&sources).await?;
    let plan = probe::plan(&endpoints, &contexts); // one probe per distinct (target, route)
    let settings = ProbeSettings {
        stage_timeout: config.limits.stage_timeout,
        concurrency: config.limits.concurrency,
        resolver: Resolver::new(
            config.pins.clone(),
            config.dns_servers.clone(),
            config.limits.stage_timeout,
        ),
        credentials: config.credentials.clone(),
        trust: Arc::new(TrustStores::new(anchors, config.device_store.clone())),
    };
    let started = SystemTime::now();
    let clock = Instant::now();
    // Probes run concurrently, bounded by `concurrency`: a check costs about one slow probe.
    let evidence = probe::run_all(&plan, &settings).await;
    let catalog = CatalogInfo {
        origin: catalog.origin,
        profile: config.catalog.profile.clone(),
    };
    Ok(Report::new(
        catalog,
        contexts,
        &plan,
        evidence,
        device_settings,
        started,
        clock.elapsed(),
    ))
}

/// Lists the catalog's endpoints for the chosen profile.
pub fn list_endpoints(config: &EndpointsConfig, out: &mut impl Write) -> Result<(), Error> {
    let catalog = endpoints::load(config.catalog.file.as_deref())?;
    let endpoints = catalog.select(&config.catalog.profile)?;
    output::render_endpoints(&endpoints, config.style, out).map_err(Error::Output)
}

/// Writes a file whole or not at all: a monitoring agent never reads half a report.
fn write_file(
    path: &Path,
    write: impl FnOnce(&mut fs::File) -> std::io::Result<()>,
) -> Result<(), Error> {
    let fail = |source| Error::OutputFile {
        path: path.to_owned(),
        source,
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(format!(".{}.tmp", std::process::id()));
    let temporary = std::path::PathBuf::from(temporary);
    let result = fs::File::create(&temporary).and_then(|mut file| {
        write(&mut file)?;
        file.sync_all()
    });
    if let Err(err) = result.and_then(|()| fs::rename(&temporary, path)) {
        let _ = fs::remove_file(&temporary);
        return Err(fail(err));
    }
    Ok(())
}
