//! `Report`: the data model every output renders, and the assessment of each probe's evidence
//! into one status. Knows nothing of clap, tables or sockets.

pub(crate) mod pac;
pub mod wire;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::assess::ProbeResult;
use crate::plan::{self};
use crate::route::{Context, RouteChoice};
use crate::status::Status;
use crate::windows::DeviceIdentity;
use crate::windows::connections::ContextConnections;
pub(crate) use crate::windows::utc::{Connections, UploadState, Uploaded, UtcReport};

// The parts a report holds, re-exported so that renderers read them through `report` alone.
pub(crate) use crate::catalog::Endpoint;
pub(crate) use crate::probe::ProbedAs;
pub(crate) use crate::proxy::{ContextConfig, SourceStatus};
pub(crate) use crate::settings::DeviceSettings;
pub(crate) use crate::verdict::{Fix, Reason, Ref, Severity, Verdict};

/// The JSON contract's version: bumped (with a CHANGELOG line) when a field is renamed or removed.
pub(crate) const SCHEMA_VERSION: u32 = 2;

/// Everything one `check` found.
#[derive(Clone, Debug)]
pub struct Report {
    pub schema_version: u32,
    pub tool_version: &'static str,
    /// When the check started, RFC 3339 UTC.
    pub generated_at: String,
    pub device: Device,
    pub catalog: CatalogInfo,
    pub contexts: Vec<ContextConfig>,
    /// One per endpoint × context × route, in catalog order, then context order.
    pub results: Vec<ProbeResult>,
    pub summary: Summary,
    /// Which proxy approach fits this device, why, and the fixes.
    pub verdict: Verdict,
    /// The diagnostic-data settings enrollment needs, when they could be read.
    pub settings: Option<DeviceSettings>,
    /// DiagTrack's own upload summary, when one was given or looked for.
    pub diagtrack: Option<DiagTrack>,
    /// Which identity probed each context, and whether the run was elevated.
    pub probing: Probing,
}

/// DiagTrack's own upload summary (`UtcConnectionReport`), as read, or why it was not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiagTrack {
    /// Where it came from: the file given, or the device's WMI.
    pub source: String,
    /// The summary, or why it could not be read (e.g. only SYSTEM may).
    pub report: Result<UtcReport, String>,
}

/// Who probed each context and how, whether dapreflight ran elevated, and what that means.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probing {
    /// The token was elevated (Windows); `None` off Windows, or for a hand-built report.
    pub elevated: Option<bool>,
    /// Per context: the account its probes ran as, and how. A context missing here was not
    /// probed as anyone (e.g. no user is signed in).
    pub contexts: Vec<(Context, ProbedAs)>,
    /// What a person should know about the identities (not elevated, credentials, cleanup).
    pub notes: Vec<String>,
}

impl Probing {
    /// Who probed `context`, when anyone did.
    #[must_use]
    pub fn of(&self, context: Context) -> Option<&ProbedAs> {
        self.contexts
            .iter()
            .find(|(name, _)| *name == context)
            .map(|(_, probed_as)| probed_as)
    }

    /// One line for a person: who probed `context`, and how.
    #[must_use]
    pub fn line(&self, context: Context) -> Option<String> {
        self.of(context).map(|probed_as| {
            format!(
                "probed as {} ({}, {})",
                probed_as.account, probed_as.identity, probed_as.how
            )
        })
    }

    /// One line for a person: whether the run was elevated, when that is known.
    #[must_use]
    pub fn elevation_line(&self) -> Option<&'static str> {
        self.elevated.map(|elevated| {
            if elevated {
                "dapreflight ran elevated"
            } else {
                "dapreflight ran without elevation"
            }
        })
    }
}

/// What device the report is about, where that came from, and where the probes ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    /// The device's computer name.
    pub name: Option<String>,
    /// Its DNS domain (primary DNS suffix).
    pub domain: Option<String>,
    /// Its operating system, e.g. `Windows 10 Enterprise 22H2` (or `linux` for this machine).
    pub os: Option<String>,
    /// Its Windows build, e.g. `19045.4291`.
    pub build: Option<String>,
    /// Where the above came from.
    pub source: DeviceSource,
    /// The machine the probes ran from.
    pub ran_on: RanOn,
}

/// Where a report's device came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceSource {
    /// This machine, read live: the report is about the machine it ran on.
    Live,
    /// The device's exports (`--from-reg`).
    Export,
    /// The exports say nothing about the device (a netsh capture alone, no identity keys).
    Unknown,
}

/// The machine the probes ran from, and whether it is the device the report is about.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RanOn {
    pub name: Option<String>,
    /// `std::env::consts::OS`: `windows`, `linux`, `macos`, ...
    pub os: &'static str,
    /// True only on a live run: the probes ran on the device itself.
    pub is_device: bool,
}

/// Which endpoint list was probed.
#[derive(Clone, Debug)]
pub struct CatalogInfo {
    /// `built-in` or the `--endpoints` file.
    pub origin: String,
    pub profile: String,
}

/// What `dapreflight proxy` shows: each context's configuration and the route every endpoint
/// takes in it, without probing.
#[derive(Clone, Debug)]
pub struct ProxyView {
    pub schema_version: u32,
    pub tool_version: &'static str,
    pub generated_at: String,
    pub device: Device,
    pub contexts: Vec<ContextConfig>,
    /// One per endpoint × context × route, in catalog order, then context order.
    pub routes: Vec<RouteRow>,
    /// Each context's WinINET connections (the LAN's, each VPN's and dial-up's), the one in use
    /// marked; empty without a Windows configuration.
    pub connections: Vec<ContextConnections>,
}

/// The route one context takes to one endpoint.
#[derive(Clone, Debug)]
pub struct RouteRow {
    pub endpoint: String,
    pub context: Context,
    pub route: RouteChoice,
}

impl ProxyView {
    /// The view of `device` (by default, this machine read live).
    #[must_use]
    pub fn about(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// The view listing each context's WinINET connections.
    #[must_use]
    pub fn with_connections(mut self, connections: Vec<ContextConnections>) -> Self {
        self.connections = connections;
        self
    }

    /// Asks every context for its routes to every endpoint.
    #[must_use]
    pub fn new(endpoints: &[Endpoint], contexts: Vec<ContextConfig>) -> Self {
        let routes = plan::routes(endpoints, &contexts)
            .into_iter()
            .map(|routed| RouteRow {
                endpoint: routed.endpoint.url.clone(),
                context: routed.context,
                route: routed.choice,
            })
            .collect();
        Self {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            generated_at: rfc3339(SystemTime::now()),
            device: Device::this_machine(),
            contexts,
            routes,
            connections: Vec::new(),
        }
    }
}

/// What `dapreflight endpoints` lists: the catalog's endpoints for one profile.
#[derive(Clone, Debug)]
pub struct EndpointList {
    pub endpoints: Vec<Endpoint>,
}

/// Counts over all results.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub results: usize,
    pub ok: usize,
    /// Results that are neither `ok` nor `not_probed`.
    pub findings: usize,
    pub not_probed: usize,
    /// Results per status, for the statuses that occurred.
    pub by_status: BTreeMap<Status, usize>,
    /// Wall time of the whole check.
    pub duration_ms: u64,
}

/// What the process should tell its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every probed endpoint is reachable: exit code 0.
    Clear,
    /// At least one finding: exit code 1.
    Findings,
}

impl Report {
    /// The report about `device` (by default, this machine read live).
    #[must_use]
    pub fn about(mut self, device: Device) -> Self {
        self.device = device;
        self
    }

    /// Assesses each probe's evidence and expands it to one result per context using it.
    #[must_use]
    pub fn new(
        catalog: CatalogInfo,
        contexts: Vec<ContextConfig>,
        results: Vec<ProbeResult>,
        verdict: Verdict,
        settings: Option<DeviceSettings>,
        started: SystemTime,
        duration: Duration,
    ) -> Self {
        let summary = Summary::of(&results, duration);
        Self {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            generated_at: rfc3339(started),
            device: Device::this_machine(),
            catalog,
            contexts,
            results,
            summary,
            verdict,
            settings,
            diagtrack: None,
            probing: Probing::default(),
        }
    }

    /// With DiagTrack's own upload summary (or why it was not read).
    #[must_use]
    pub fn with_diagtrack(mut self, diagtrack: Option<DiagTrack>) -> Self {
        self.diagtrack = diagtrack;
        self
    }

    /// The report with who probed each context.
    #[must_use]
    pub fn probed(mut self, probing: Probing) -> Self {
        self.probing = probing;
        self
    }

    /// Clear only when the verdict says the device is ready.
    #[must_use]
    pub fn outcome(&self) -> Outcome {
        if self.verdict.ready {
            Outcome::Clear
        } else {
            Outcome::Findings
        }
    }

    /// The one-line summary under the table.
    #[must_use]
    pub fn summary_line(&self) -> String {
        let s = &self.summary;
        let contexts = self.contexts.len();
        let mut line = format!(
            "{} result{} in {} context{}: {} ok",
            s.results,
            plural(s.results),
            contexts,
            plural(contexts),
            s.ok
        );
        if s.findings > 0 {
            let findings: Vec<String> = s
                .by_status
                .iter()
                .filter(|(status, _)| !matches!(status, Status::Ok | Status::NotProbed))
                .map(|(status, n)| format!("{n} {status}"))
                .collect();
            let _ = write!(
                line,
                ", {} finding{} ({})",
                s.findings,
                plural(s.findings),
                findings.join(", ")
            );
        }
        if s.not_probed > 0 {
            let _ = write!(line, ", {} not probed", s.not_probed);
        }
        if s.duration_ms < 1000 {
            let _ = write!(line, "; took {} ms", s.duration_ms);
        } else {
            #[allow(clippy::cast_precision_loss)] // milliseconds of a run fit an f64 exactly
            let seconds = s.duration_ms as f64 / 1000.0;
            let _ = write!(line, "; took {seconds:.1} s");
        }
        line
    }
}

impl Summary {
    fn of(results: &[ProbeResult], duration: Duration) -> Self {
        let mut summary = Summary {
            results: results.len(),
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            ..Summary::default()
        };
        for result in results {
            *summary.by_status.entry(result.status).or_default() += 1;
            match result.status {
                Status::Ok => summary.ok += 1,
                Status::NotProbed => summary.not_probed += 1,
                _ => summary.findings += 1,
            }
        }
        summary
    }
}

impl Outcome {
    /// The process exit code: 0 clear, 1 findings.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            Outcome::Clear => 0,
            Outcome::Findings => 1,
        }
    }
}

impl Device {
    /// This machine, read live: the report is about the machine it runs on.
    #[must_use]
    pub fn this_machine() -> Self {
        let ran_on = RanOn::this_machine(true);
        Self {
            name: ran_on.name.clone(),
            domain: None,
            os: Some(ran_on.os.to_owned()),
            build: None,
            source: DeviceSource::Live,
            ran_on,
        }
    }

    /// This machine read live, as its own registry describes it (on Windows).
    #[must_use]
    pub fn live(identity: DeviceIdentity) -> Self {
        let machine = Self::this_machine();
        Self {
            name: identity.name.or(machine.name),
            domain: identity.domain,
            os: identity.os.or(machine.os),
            build: identity.build,
            ..machine
        }
    }

    /// The device the exports describe; `unknown` when they hold nothing about it. The probes
    /// ran elsewhere, so this machine is never taken for the device.
    #[must_use]
    pub fn from_export(identity: DeviceIdentity) -> Self {
        let source = if identity.is_empty() {
            DeviceSource::Unknown
        } else {
            DeviceSource::Export
        };
        Self {
            name: identity.name,
            domain: identity.domain,
            os: identity.os,
            build: identity.build,
            source,
            ran_on: RanOn::this_machine(false),
        }
    }
}

impl DeviceSource {
    /// Every source, in order.
    pub const ALL: [DeviceSource; 3] = [
        DeviceSource::Live,
        DeviceSource::Export,
        DeviceSource::Unknown,
    ];

    /// The source's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceSource::Live => "live",
            DeviceSource::Export => "export",
            DeviceSource::Unknown => "unknown",
        }
    }
}

impl RanOn {
    /// This machine's name and OS.
    fn this_machine(is_device: bool) -> Self {
        let name = std::env::var("COMPUTERNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty());
        Self {
            name,
            os: std::env::consts::OS,
            is_device,
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// `time` as RFC 3339 UTC, to the second.
fn rfc3339(time: SystemTime) -> String {
    let secs = time
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    crate::time::rfc3339(secs)
}
