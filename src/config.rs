//! The validated `Config` a run works from. No clap types: `cli` builds it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::auth::Authenticate;
use crate::output::Style;
use crate::probe::{Credentials, Pin};
use crate::proxy::ProxySources;
use crate::trust::DeviceStore;

/// What to do, with everything it needs.
#[derive(Clone, Debug)]
pub enum Config {
    /// `dapreflight check`: probe the endpoints and report.
    Check(Box<CheckConfig>),
    /// `dapreflight endpoints`: list the catalog.
    Endpoints(EndpointsConfig),
    /// `dapreflight pac`: evaluate a PAC file for URLs.
    Pac(PacConfig),
    /// `dapreflight proxy`: show each context's configuration and routes.
    Proxy(Box<ProxyConfig>),
    /// `dapreflight __probe-jobs`: the far side of a hop (internal).
    ProbeJobs(ProbeJobsConfig),
}

/// Settings for `proxy`.
#[derive(Clone, Debug)]
pub struct ProxyConfig {
    pub catalog: CatalogChoice,
    pub proxy_sources: ProxySources,
    pub device_files: DeviceFiles,
    pub style: Style,
    /// `--deadline`, or [`Limits::default_discovery_deadline`]: bounds discovery.
    pub deadline: Duration,
}

/// A device's exported configuration, named on the command line.
#[derive(Clone, Debug, Default)]
pub struct DeviceFiles {
    /// `--from-reg`: `reg export` files, merged in order (later files win).
    pub registry: Vec<PathBuf>,
    /// `--from-netsh`: `netsh winhttp show proxy` and/or `show advproxy` output.
    pub netsh: Vec<PathBuf>,
}

/// Settings for `pac`.
#[derive(Clone, Debug)]
pub struct PacConfig {
    /// The PAC: a file path or an `http://`/`https://` URL.
    pub source: String,
    /// URLs from the command line.
    pub urls: Vec<String>,
    /// `-f FILE`: more URLs, one a line (blank lines and `#` comments skipped).
    pub url_file: Option<PathBuf>,
    /// `--client-ip`: what `myIpAddress` returns.
    pub client_ip: Option<std::net::IpAddr>,
    /// `--dns HOST=ADDR`: when any is given, lookups answer only from this table.
    pub dns: Vec<(String, std::net::IpAddr)>,
    /// `--timeout`: bounds the fetch and each evaluation.
    pub timeout: Duration,
    pub style: Style,
}

/// Settings for `check`.
#[derive(Clone, Debug)]
pub struct CheckConfig {
    pub catalog: CatalogChoice,
    pub proxy_sources: ProxySources,
    /// `--from-reg` / `--from-netsh`: analyse these instead of this machine's configuration.
    pub device_files: DeviceFiles,
    pub limits: Limits,
    /// `--resolve` pins.
    pub pins: Vec<Pin>,
    /// `--dns-server`: replaces the system's DNS servers.
    pub dns_servers: Option<Vec<SocketAddr>>,
    /// `--trust-anchor` files: roots every trust rule accepts.
    pub trust_anchor_files: Vec<PathBuf>,
    /// `--from-utc-report`: DiagTrack's own upload summary, saved from the device.
    pub utc_report: Option<PathBuf>,
    /// From `DAPREFLIGHT_PROXY_USER` / `DAPREFLIGHT_PROXY_PASSWORD` (or the prompt); never from
    /// the command line.
    pub credentials: Option<Credentials>,
    /// `--ask-credentials`: without `credentials`, prompt for them on the terminal before probing.
    pub ask_credentials: bool,
    /// Answers the proxies' 407s instead of one built from `credentials` (tests, and the
    /// authenticators the command layer picks).
    pub authenticator: Option<Arc<dyn Authenticate>>,
    /// The device's own trust store, where an inspection CA shows up.
    pub device_store: DeviceStore,
    pub style: Style,
    /// `--output`: write the report here instead of stdout.
    pub output: Option<PathBuf>,
    /// Draw a progress line on stderr while probes run (stderr is a terminal, no `--quiet`).
    pub progress: bool,
    /// `--quiet`: no note on stderr after writing `--output`.
    pub quiet: bool,
    /// `--as`: which identity probes each context.
    pub probe_as: ProbeAs,
    /// How a context probed as another identity gets there.
    pub hop: HopVia,
}

/// `check --as`: the identity each selected context is probed as.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProbeAs {
    /// Not given: `both` on Windows when elevated, else `current`.
    #[default]
    Default,
    /// The system context as SYSTEM (the device approach).
    System,
    /// The user context as the signed-in console user (the user approach).
    User,
    /// The system context as SYSTEM and the user context as the console user.
    Both,
    /// Every selected context in this process, as whoever runs it.
    Current,
}

/// How a context probed as another identity is reached.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum HopVia {
    /// Windows: a temporary service for SYSTEM, the console user's token for the user.
    #[default]
    Native,
    /// This executable as a plain child process of the same account, for both hops: the
    /// portable path the tests drive (it changes no identity, and the report says so).
    ChildProcess { exe: PathBuf },
}

/// `dapreflight __probe-jobs`: runs a hop request and writes its response (hidden, internal).
#[derive(Clone, Debug)]
pub struct ProbeJobsConfig {
    pub request: PathBuf,
    pub response: PathBuf,
    /// Started by the service control manager: run under its dispatcher.
    pub service: bool,
}

/// Settings for `endpoints`.
#[derive(Clone, Debug)]
pub struct EndpointsConfig {
    pub catalog: CatalogChoice,
    pub style: Style,
}

/// Which endpoint list, and which profile of it.
#[derive(Clone, Debug)]
pub struct CatalogChoice {
    /// `--endpoints FILE`, replacing the built-in catalog.
    pub file: Option<PathBuf>,
    /// `--profile`, or `all`.
    pub profile: String,
}

/// Deadlines and concurrency.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Each stage's own deadline.
    pub stage_timeout: Duration,
    /// How many probes run at once.
    pub concurrency: usize,
    /// `--deadline`: the whole run's; `None` takes [`Limits::default_deadline`].
    pub deadline: Option<Duration>,
}

/// Stage deadlines discovery may spend before the first probe: fetching a PAC, and WPAD's DHCP
/// step and first candidate.
const DISCOVERY_STAGES: u32 = 3;
/// Stage deadlines one probe may spend: DNS, connect, CONNECT, draining its 407, a new connection,
/// the handshake's three rounds (each draining its 407 within its own), TLS, HTTP.
const PROBE_STAGES: u32 = 10;
/// Room for what no stage deadline covers: reading files, planning, PAC evaluation, rendering.
const DEADLINE_MARGIN: Duration = Duration::from_secs(5);

impl Limits {
    /// The whole run's deadline: `--deadline`, or [`Limits::default_deadline`].
    #[must_use]
    pub fn run_deadline(&self) -> Duration {
        self.deadline
            .unwrap_or_else(|| Self::default_deadline(self.stage_timeout))
    }

    /// `stage × (3 discovery stages + 10 probe stages) + 5 s`: one PAC fetch and two WPAD steps,
    /// then one probe that uses every stage, the whole handshake included (135 s for the default
    /// 10 s stages). Probes run concurrently, so a check costs about one slow probe; probes
    /// still queued behind `--concurrency` when it ends are reported as ended by it.
    #[must_use]
    pub fn default_deadline(stage_timeout: Duration) -> Duration {
        stage_timeout * (DISCOVERY_STAGES + PROBE_STAGES) + DEADLINE_MARGIN
    }

    /// The deadline `proxy` keeps when none is given: discovery's stages plus the margin.
    #[must_use]
    pub fn default_discovery_deadline(stage_timeout: Duration) -> Duration {
        stage_timeout * DISCOVERY_STAGES + DEADLINE_MARGIN
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            stage_timeout: Duration::from_secs(10),
            concurrency: 32,
            deadline: None,
        }
    }
}
