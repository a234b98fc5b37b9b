//! `dapreflight check`: probes every endpoint along the routes this device would take, assesses
//! what each probe saw, decides the verdict and renders the report.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::assess;
use crate::auth::{self, Authenticate};
use crate::catalog;
use crate::command::progress::{self, Progress};
use crate::command::{read_device, write_file, write_stdout};
use crate::config::CheckConfig;
use crate::error::Error;
use crate::output;
use crate::plan;
use crate::probe::{self, ProbeSettings, Resolver, RunDeadline};
use crate::prompt;
use crate::proxy;
use crate::report::{CatalogInfo, DeviceSource, DiagTrack, Outcome, Report};
use crate::trust::{self, TrustStores};
use crate::verdict;
use crate::windows::utc;

/// Probes every endpoint along the route each context picks, and renders the report.
pub(crate) async fn run(config: &CheckConfig, out: &mut impl Write) -> Result<Outcome, Error> {
    // Asked before anything runs, so the prompt is not drawn over by the progress line.
    let asked;
    let config = if config.ask_credentials && config.credentials.is_none() {
        let mut with = config.clone();
        with.credentials = Some(prompt::ask()?);
        asked = with;
        &asked
    } else {
        config
    };
    let report = build_report(config).await?;
    let outcome = report.outcome();
    match &config.output {
        Some(path) => {
            write_file(path, |file| output::render(&report, config.style, file))?;
            if !config.quiet {
                // A note, not output: a failure to write it is no reason to fail the check.
                let _ = writeln!(
                    io::stderr(),
                    "report written to {}: {}",
                    path.display(),
                    report.verdict.headline()
                );
            }
        }
        None => write_stdout(out, Some(outcome), |out| {
            output::render(&report, config.style, out)
        })?,
    }
    Ok(outcome)
}

/// Runs the probes and assesses them, without rendering.
///
/// The whole run keeps to `config.limits.run_deadline()`: probes still running when it ends are
/// reported as ended by it, and a discovery that outlasts it is an error.
pub async fn build_report(config: &CheckConfig) -> Result<Report, Error> {
    let deadline = RunDeadline::from_now(config.limits.run_deadline());
    let catalog = catalog::load(config.catalog.file.as_deref())?;
    let endpoints = catalog.select(&config.catalog.profile)?;
    let mut anchors = Vec::new();
    for path in &config.trust_anchor_files {
        anchors.extend(trust::load_anchor_file(path)?);
    }
    let device = read_device(&config.proxy_sources, &config.device_files)?;
    let settings = device.settings();
    let diagtrack = diagtrack(config, device.report_device().source)?;
    let discovered = tokio::time::timeout_at(deadline.at, proxy::discover(&device.sources)).await;
    let contexts = discovered.map_err(|_| Error::Deadline {
        deadline: deadline.length,
        during: "proxy discovery",
    })??;
    let plan = plan::plan(&endpoints, &contexts); // one probe per distinct (target, route)
    let probe_settings = ProbeSettings {
        stage_timeout: config.limits.stage_timeout,
        concurrency: config.limits.concurrency,
        resolver: Resolver::new(
            config.pins.clone(),
            config.dns_servers.clone(),
            config.limits.stage_timeout,
        ),
        auth: authenticator(config),
        trust: Arc::new(TrustStores::new(anchors, config.device_store.clone())),
        run_deadline: Some(deadline),
    };
    let started = SystemTime::now();
    let clock = Instant::now();
    // Probes run concurrently, bounded by `concurrency`: a check costs about one slow probe.
    let jobs = plan.jobs();
    let evidence = if config.progress {
        let (sink, events) = tokio::sync::mpsc::unbounded_channel();
        let display = progress::show(
            Progress::new(&jobs),
            events,
            config.style.width,
            io::stderr(),
        );
        let (evidence, ()) =
            tokio::join!(probe::run_all(&jobs, &probe_settings, Some(sink)), display);
        evidence
    } else {
        probe::run_all(&jobs, &probe_settings, None).await
    };
    let catalog = CatalogInfo {
        origin: catalog.origin,
        profile: config.catalog.profile.clone(),
    };
    let results = assess::all(&contexts, &plan, evidence);
    let verdict = verdict::decide_with(
        &results,
        verdict::Inputs {
            settings: settings.as_ref(),
            diagtrack: diagtrack.as_ref().and_then(|d| d.report.as_ref().ok()),
        },
    );
    Ok(Report::new(
        catalog,
        contexts,
        results,
        verdict,
        settings,
        started,
        clock.elapsed(),
    )
    .about(device.report_device())
    .with_diagtrack(diagtrack))
}

/// DiagTrack's own upload summary: the `--from-utc-report` file (a malformed one is an error),
/// else, on the device itself, why it was not read.
fn diagtrack(config: &CheckConfig, source: DeviceSource) -> Result<Option<DiagTrack>, Error> {
    if let Some(path) = &config.utc_report {
        return Ok(Some(DiagTrack {
            source: path.display().to_string(),
            report: Ok(utc::read(path)?),
        }));
    }
    // Reading it live needs SYSTEM and WMI; until dapreflight does, it says so on the device.
    Ok(
        (cfg!(windows) && source == DeviceSource::Live).then(|| DiagTrack {
            source: "WMI (root\\cimv2\\mdm\\dmmap)".to_owned(),
            report: Err(
                "not read: only SYSTEM may read it, and dapreflight does not read it live \
                     yet; as SYSTEM, save it with the command in `check --help` and pass \
                     --from-utc-report"
                    .to_owned(),
            ),
        }),
    )
}

/// What answers the proxies' 407s: the one given, else Basic with the run's credentials.
fn authenticator(config: &CheckConfig) -> Option<Arc<dyn Authenticate>> {
    if let Some(given) = &config.authenticator {
        return Some(Arc::clone(given));
    }
    // Explicit credentials always take the portable NTLMv2 (or Basic), the tested path, on
    // Windows too; without them, on Windows, SSPI presents the logon this process runs as (the
    // computer account as SYSTEM, the user as the user); elsewhere nothing answers a 407.
    match config.credentials.clone() {
        Some(credentials) => Some(Arc::new(auth::Explicit::new(credentials))),
        None => crate::windows::live::current_logon(),
    }
}
