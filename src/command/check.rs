//! `dapreflight check`: probes every endpoint along the routes this device would take, assesses
//! what each probe saw, decides the verdict and renders the report.

use std::io::{self, Write};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::assess;
use crate::auth::{self, Authenticate};
use crate::catalog;
use crate::catalog::Endpoint;
use crate::command::hop;
use crate::command::progress::{self, Progress};
use crate::command::{read_device, write_file, write_stdout};
use crate::config::{CheckConfig, HopVia, ProbeAs};
use crate::error::Error;
use crate::output;
use crate::plan;
use crate::probe::{self, How, Identity, ProbeSettings, ProbedAs, Resolver, RunDeadline};
use crate::prompt;
use crate::proxy::{self, ContextConfig};
use crate::report::{CatalogInfo, DeviceSource, DiagTrack, Outcome, Probing, Report};
use crate::route::Context;
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
    let anchors_der = anchors.clone();
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
    let identities = identities(
        config,
        &contexts.iter().map(|c| c.name).collect::<Vec<_>>(),
        device.live,
        cfg!(windows),
        hop::Facts::of_this_process(),
    )?;
    let (contexts, plan, evidence, probing) = match identities {
        Identities::Current { notes } => {
            let plan = plan::plan(&endpoints, &contexts); // one probe per distinct (target, route)
            let evidence = probe_here(config, &plan, &probe_settings).await;
            let account = hop::account();
            let probing = Probing {
                elevated: hop::Facts::of_this_process().elevated,
                contexts: contexts
                    .iter()
                    .map(|context| {
                        let probed_as = ProbedAs {
                            account: account.clone(),
                            identity: Identity::Current,
                            how: How::InProcess,
                        };
                        (context.name, probed_as)
                    })
                    .collect(),
                notes,
            };
            (contexts, plan, evidence, probing)
        }
        Identities::Hop {
            system,
            user,
            notes,
        } => {
            let keep =
                |name| (name == Context::System && system) || (name == Context::User && user);
            let contexts: Vec<_> = contexts.into_iter().filter(|c| keep(c.name)).collect();
            let settings = hop::Settings::new(config, &anchors_der, deadline);
            let (plan, evidence, mut probing) =
                probe_as(config, &endpoints, &contexts, settings).await;
            probing.notes.splice(0..0, notes);
            (contexts, plan, evidence, probing)
        }
    };
    let catalog = CatalogInfo {
        origin: catalog.origin,
        profile: config.catalog.profile.clone(),
    };
    let results = assessed(&contexts, &plan, evidence, &probing);
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
    .with_diagtrack(diagtrack)
    .probed(probing))
}

/// Assesses the evidence, each result marked with who ran its probe: what an authentication
/// result proves depends on it.
fn assessed(
    contexts: &[ContextConfig],
    plan: &plan::Plan,
    evidence: Vec<probe::Evidence>,
    probing: &Probing,
) -> Vec<assess::ProbeResult> {
    let mut results = assess::all(contexts, plan, evidence);
    for result in &mut results {
        result.probed_as = probing.of(result.context).map(|p| p.identity);
    }
    results
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

/// Runs the plan in this process, with the progress line when `config` asks for it.
async fn probe_here(
    config: &CheckConfig,
    plan: &plan::Plan,
    settings: &ProbeSettings,
) -> Vec<probe::Evidence> {
    // Probes run concurrently, bounded by `concurrency`: a check costs about one slow probe.
    let jobs = plan.jobs();
    if config.progress {
        let (sink, events) = tokio::sync::mpsc::unbounded_channel();
        let display = progress::show(
            Progress::new(&jobs),
            events,
            config.style.width,
            io::stderr(),
        );
        let (evidence, ()) = tokio::join!(probe::run_all(&jobs, settings, Some(sink)), display);
        evidence
    } else {
        probe::run_all(&jobs, settings, None).await
    }
}

/// Which identity probes which context, decided from `--as`, the contexts and this process.
#[derive(Debug, PartialEq, Eq)]
enum Identities {
    /// Every context here, as whoever runs dapreflight.
    Current { notes: Vec<String> },
    /// The system context as SYSTEM and/or the user context as the console user.
    Hop {
        system: bool,
        user: bool,
        notes: Vec<String>,
    },
}

/// Resolves `--as` against the contexts this run has and what this process is: `live` when the
/// device is this machine read live, `windows` when this build can change identity.
fn identities(
    config: &CheckConfig,
    contexts: &[Context],
    live: bool,
    windows: bool,
    facts: hop::Facts,
) -> Result<Identities, Error> {
    let has = |name| contexts.contains(&name);
    let (has_system, has_user) = (has(Context::System), has(Context::User));
    let native = config.hop == HopVia::Native;
    let can_hop = !native || facts.is_system || facts.elevated == Some(true);
    let credentials_note = config.credentials.as_ref().map(|credentials| {
        format!(
            "the credentials of {} (DAPREFLIGHT_PROXY_USER) were used only in this process: \
             a context probed as SYSTEM or as the console user presents that account's own logon",
            credentials.account()
        )
    });
    let (system, user) = match config.probe_as {
        ProbeAs::Current => return Ok(Identities::Current { notes: Vec::new() }),
        ProbeAs::Default => {
            // Another device's exports, or a run off Windows: nobody here to be but oneself.
            if !(has_system || has_user) || !live || !native || !windows {
                return Ok(Identities::Current { notes: Vec::new() });
            }
            if config.credentials.is_some() {
                // Explicit credentials answer for that account, whoever runs the probe.
                return Ok(Identities::Current {
                    notes: vec![format!(
                        "probed as {} with the credentials of DAPREFLIGHT_PROXY_USER: this proves \
                         what the proxy does for that account, not what it does for the device \
                         (rerun without the credentials, elevated, to probe as SYSTEM)",
                        hop::account()
                    )],
                });
            }
            if !can_hop {
                return Ok(Identities::Current {
                    notes: vec![format!(
                        "not elevated: every context was probed as {}, so proxy authentication \
                         results prove nothing about the device approach (SYSTEM); rerun from an \
                         elevated prompt (Run as administrator) to probe the system context as \
                         SYSTEM and the user context as the signed-in user",
                        hop::account()
                    )],
                });
            }
            (has_system, has_user)
        }
        ProbeAs::System => (true, false),
        ProbeAs::User => (false, true),
        ProbeAs::Both => (has_system, has_user),
    };
    let missing = |which: &str| {
        Err(Error::Argument {
            flag: "--as".to_owned(),
            message: format!(
                "{which} selects no context of this run (--context, or --proxy/--direct/--pac/\
                 --wpad replace the device's contexts): use --as current, or select the context"
            ),
        })
    };
    match config.probe_as {
        ProbeAs::System if !has_system => return missing("--as system"),
        ProbeAs::User if !has_user => return missing("--as user"),
        ProbeAs::Both if !(has_system || has_user) => return missing("--as both"),
        _ => {}
    }
    if native && !windows {
        return Err(Error::Argument {
            flag: "--as".to_owned(),
            message: "only `current` exists off Windows".to_owned(),
        });
    }
    if !can_hop {
        return Err(Error::Argument {
            flag: "--as".to_owned(),
            message: "probing as SYSTEM or as the signed-in user needs an elevated prompt \
                      (Run as administrator): dapreflight creates a temporary service for it"
                .to_owned(),
        });
    }
    Ok(Identities::Hop {
        system,
        user,
        notes: credentials_note.into_iter().collect(),
    })
}

/// Probes the system context as SYSTEM and the user context as the console user: one hop
/// (a service, or in-process when already SYSTEM) whose far side also starts the user's process.
async fn probe_as(
    config: &CheckConfig,
    endpoints: &[Endpoint],
    contexts: &[ContextConfig],
    settings: hop::Settings,
) -> (plan::Plan, Vec<probe::Evidence>, Probing) {
    let facts = hop::Facts::of_this_process();
    let part = |name| {
        let context: Vec<_> = contexts
            .iter()
            .filter(|c| c.name == name)
            .cloned()
            .collect();
        (!context.is_empty()).then(|| plan::plan(endpoints, &context))
    };
    let (system, user) = (part(Context::System), part(Context::User));
    if config.progress {
        // The hop draws no progress line: say what the wait is for.
        let whom = match (system.is_some(), user.is_some()) {
            (true, true) => {
                "the system context as SYSTEM and the user context as the signed-in user"
            }
            (true, false) => "the system context as SYSTEM",
            _ => "the user context as the signed-in user",
        };
        let _ = writeln!(io::stderr(), "probing {whom}…");
    }
    let (launcher, via): (Box<dyn hop::Launcher>, hop::Via) = match &config.hop {
        HopVia::ChildProcess { exe } => (
            Box::new(hop::ChildProcess { exe: exe.clone() }),
            hop::Via::ChildProcess,
        ),
        HopVia::Native if facts.is_system => (Box::new(hop::InProcess), hop::Via::UserToken),
        HopVia::Native => (Box::new(hop::Service), hop::Via::UserToken),
    };
    let system_jobs = system.as_ref().map(plan::Plan::jobs).unwrap_or_default();
    let user_jobs = user.as_ref().map(plan::Plan::jobs);
    let request = hop::Request::new(
        Identity::System,
        settings,
        system_jobs.clone(),
        user_jobs.clone().map(|jobs| hop::Nested { jobs, via }),
    );
    let mut probing = Probing {
        elevated: facts.elevated,
        ..Probing::default()
    };
    let not_probed = |jobs: &[probe::Job], reason: &str| {
        jobs.iter()
            .map(|_| probe::Evidence {
                not_probed: Some(reason.to_owned()),
                ..probe::Evidence::default()
            })
            .collect::<Vec<_>>()
    };
    let user_jobs = user_jobs.unwrap_or_default();
    let (system_evidence, user_evidence) = match hop::hop(launcher.as_ref(), &request).await {
        Ok(response) => {
            probing.notes.extend(response.notes.iter().cloned());
            if system.is_some() {
                probing
                    .contexts
                    .push((Context::System, response.ran.clone()));
            }
            let user_evidence = match response.console_user {
                Some(hop::UserOutcome::Probed(answer))
                    if answer.evidence.len() == user_jobs.len() =>
                {
                    probing.contexts.push((Context::User, answer.ran.clone()));
                    answer.evidence
                }
                Some(hop::UserOutcome::NotProbed { reason }) => not_probed(&user_jobs, &reason),
                _ => not_probed(&user_jobs, "not probed as the console user: no answer"),
            };
            (response.evidence, user_evidence)
        }
        Err(err) => {
            let why = hop::chain(&err);
            probing
                .notes
                .push(format!("the hop to SYSTEM failed: {why}"));
            (
                not_probed(&system_jobs, &format!("not probed as SYSTEM: {why}")),
                not_probed(
                    &user_jobs,
                    &format!("not probed as the console user (reached through SYSTEM): {why}"),
                ),
            )
        }
    };
    let mut probes = Vec::new();
    probes.extend(system.map(|plan| plan.probes).unwrap_or_default());
    probes.extend(user.map(|plan| plan.probes).unwrap_or_default());
    let evidence = system_evidence.into_iter().chain(user_evidence).collect();
    (plan::Plan { probes }, evidence, probing)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;
    use crate::cli::{Args, Terminal};
    use crate::config::Config;

    fn config(probe_as: ProbeAs, credentials: bool) -> CheckConfig {
        let mut vars = Vec::new();
        if credentials {
            vars.push((
                "DAPREFLIGHT_PROXY_USER".to_owned(),
                "CORP\\alice".to_owned(),
            ));
            vars.push(("DAPREFLIGHT_PROXY_PASSWORD".to_owned(), "s3cret".to_owned()));
        }
        let args = Args::try_parse_from(["dapreflight", "check"]).expect("valid arguments");
        let Ok(Config::Check(mut config)) = args.into_config(vars, Terminal::default()) else {
            panic!("a check configuration");
        };
        config.probe_as = probe_as;
        *config
    }

    const BOTH: [Context; 2] = [Context::System, Context::User];
    const ELEVATED: hop::Facts = hop::Facts {
        elevated: Some(true),
        is_system: false,
    };
    const NOT_ELEVATED: hop::Facts = hop::Facts {
        elevated: Some(false),
        is_system: false,
    };

    fn hop(system: bool, user: bool) -> Identities {
        Identities::Hop {
            system,
            user,
            notes: Vec::new(),
        }
    }

    #[test]
    fn the_default_is_both_when_elevated_on_a_live_windows_device_and_current_otherwise() {
        let default = config(ProbeAs::Default, false);
        let resolve = |contexts: &[Context], live, windows, facts| {
            identities(&default, contexts, live, windows, facts).expect("resolves")
        };
        assert_eq!(resolve(&BOTH, true, true, ELEVATED), hop(true, true));
        let system = hop::Facts {
            elevated: Some(true),
            is_system: true,
        };
        assert_eq!(
            resolve(&[Context::System], true, true, system),
            hop(true, false)
        );
        let quiet = Identities::Current { notes: Vec::new() };
        assert_eq!(
            resolve(&BOTH, false, true, ELEVATED),
            quiet,
            "another device's exports"
        );
        assert_eq!(resolve(&BOTH, true, false, ELEVATED), quiet, "off Windows");
        assert_eq!(resolve(&[Context::Explicit], true, true, ELEVATED), quiet);
        let Identities::Current { notes } = resolve(&BOTH, true, true, NOT_ELEVATED) else {
            panic!("not elevated probes here");
        };
        assert!(
            notes.len() == 1
                && notes[0].contains("not elevated")
                && notes[0].contains("prove nothing about the device approach")
                && notes[0].contains("Run as administrator"),
            "{notes:?}"
        );
    }

    #[test]
    fn explicit_credentials_keep_the_default_here_and_are_named_when_a_hop_leaves_them() {
        let default = config(ProbeAs::Default, true);
        let Ok(Identities::Current { notes }) = identities(&default, &BOTH, true, true, ELEVATED)
        else {
            panic!("credentials probe here");
        };
        assert!(
            notes[0].contains("not what it does for the device"),
            "{notes:?}"
        );
        let system = config(ProbeAs::System, true);
        let Ok(Identities::Hop { notes, .. }) = identities(&system, &BOTH, true, true, ELEVATED)
        else {
            panic!("an explicit --as system hops");
        };
        assert!(
            notes[0].contains("CORP\\alice") && notes[0].contains("used only in this process"),
            "{notes:?}"
        );
        assert!(!notes.iter().any(|note| note.contains("s3cret")));
    }

    #[test]
    fn an_identity_that_selects_no_context_or_cannot_hop_is_an_argument_error() {
        let cases = [
            (
                ProbeAs::System,
                &[Context::User][..],
                ELEVATED,
                true,
                "selects no context",
            ),
            (
                ProbeAs::User,
                &[Context::System][..],
                ELEVATED,
                true,
                "selects no context",
            ),
            (
                ProbeAs::Both,
                &[Context::Explicit][..],
                ELEVATED,
                true,
                "selects no context",
            ),
            (
                ProbeAs::Both,
                &BOTH[..],
                NOT_ELEVATED,
                true,
                "needs an elevated prompt",
            ),
            (
                ProbeAs::System,
                &BOTH[..],
                ELEVATED,
                false,
                "only `current` exists off Windows",
            ),
        ];
        for (probe_as, contexts, facts, windows, expected) in cases {
            let result = identities(&config(probe_as, false), contexts, true, windows, facts);
            match result {
                Err(Error::Argument { flag, message }) => {
                    assert_eq!(flag, "--as");
                    assert!(message.contains(expected), "{probe_as:?}: {message}");
                }
                other => panic!("{probe_as:?} {contexts:?}: {other:?}"),
            }
        }
        assert_eq!(
            identities(
                &config(ProbeAs::Both, false),
                &[Context::User],
                true,
                true,
                ELEVATED
            )
            .expect("the user context alone"),
            hop(false, true)
        );
    }
}
