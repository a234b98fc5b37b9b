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

use crate::config::{CheckConfig, Config, EndpointsConfig};
use crate::error::Error;
use crate::interception::TrustStores;
use crate::probe::{ProbeSettings, Resolver};
use crate::report::{CatalogInfo, Outcome, Report};

/// Runs the command `config` describes, writing its output to `out`.
pub async fn run(config: &Config, out: &mut impl Write) -> Result<Outcome, Error> {
    match config {
        Config::Check(config) => check(config, out).await,
        Config::Endpoints(config) => list_endpoints(config, out).map(|()| Outcome::Clear),
    }
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
    let contexts = proxy::discover(&config.proxy_sources);
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
