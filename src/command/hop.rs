//! The hop: a context's probes run as another identity (SYSTEM, the console user) in another
//! process of this same executable, and their evidence comes back.
//!
//! The parent stays the orchestrator: it reads the device, plans, assesses and renders. What
//! crosses is a private, versioned protocol between two copies of the same binary: a [`Request`]
//! (the jobs and the probe settings that matter) in, a [`Response`] (the evidence per job and who
//! ran it) out, both JSON, with the version and a random nonce checked on the way back. Only the
//! launch differs: [`InProcess`], [`ChildProcess`] (portable, what the tests drive), the service
//! and the user token (Windows, over `windows::live`).

use std::fmt::Write as _;
use std::fs;
use std::future::Future;
use std::io::{self, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin as Pinned;
use std::sync::Arc;
use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};
use rustls::pki_types::CertificateDer;
use serde::{Deserialize, Serialize};

use crate::config::{CheckConfig, ProbeJobsConfig};
use crate::probe::{
    self, Evidence, How, Identity, Job, Pin, ProbeSettings, ProbedAs, Resolver, RunDeadline,
};
use crate::trust::{DeviceStore, TrustStores};

/// The protocol's version: a parent and a child that disagree refuse each other.
const PROTOCOL: u32 = 1;
/// The largest request or response read back (a full catalog's evidence is far below).
const MESSAGE_CAP: u64 = 64 * 1024 * 1024;
/// How often a launcher looks whether its child ended.
const POLL: Duration = Duration::from_millis(20);
/// What "no user is signed in" reads as, for the user context's results.
pub(crate) const NO_CONSOLE_USER: &str = "not probed: no user is signed in";

/// Why a hop did not bring evidence back.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HopError {
    /// The request or response file could not be written or read.
    #[error("cannot pass the probe jobs through {}", .path.display())]
    Channel { path: PathBuf, source: io::Error },
    /// The child process could not be started.
    #[error("cannot start {}", .exe.display())]
    Spawn { exe: PathBuf, source: io::Error },
    /// The child ended without a response.
    #[error("the probing process ended with {status} without an answer{}", tail(.stderr))]
    Failed { status: String, stderr: String },
    /// The hop outlasted the run's deadline.
    #[error("no answer within the run's deadline ({} s)", .after.as_secs_f64())]
    Timeout { after: Duration },
    /// The response is not this protocol, this version or this request's answer.
    #[error("the probing process answered something else: {0}")]
    Mismatch(String),
    /// The message is not the protocol's JSON.
    #[error("the hop's message is not valid")]
    Json(#[source] serde_json::Error),
    /// Nobody is signed in at the console: there is no user to probe as.
    #[error("no user is signed in")]
    #[cfg_attr(not(windows), allow(dead_code))]
    NoConsoleUser,
    /// Windows refused a step of the hop (the service, the token, the directory).
    #[error("{0}")]
    #[cfg_attr(not(windows), allow(dead_code))]
    Windows(String),
    /// This build cannot make that hop (not Windows).
    #[error("{0} is only possible on Windows")]
    #[cfg_attr(windows, allow(dead_code))]
    Unsupported(&'static str),
}

fn tail(stderr: &str) -> String {
    let last = stderr.trim().lines().last().unwrap_or_default();
    if last.is_empty() {
        String::new()
    } else {
        format!(": {last}")
    }
}

/// What the far side runs: the jobs as `identity`, and the console user's jobs from there.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Request {
    pub protocol: u32,
    pub version: String,
    pub nonce: String,
    /// The identity the jobs are meant to run as (what the report calls it).
    pub identity: Identity,
    pub settings: Settings,
    pub jobs: Vec<Job>,
    /// Jobs to run as the signed-in console user, started from the far side (only SYSTEM may).
    pub console_user: Option<Nested>,
}

/// The console user's part of a request.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Nested {
    pub jobs: Vec<Job>,
    pub via: Via,
}

/// How the far side reaches the console user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Via {
    /// `WTSQueryUserToken` + `CreateProcessAsUserW` (Windows, as SYSTEM).
    UserToken,
    /// Another child of the same account (the portable path the tests drive).
    ChildProcess,
}

/// The probe settings that matter on the far side. Credentials never cross: see `check`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Settings {
    pub stage_timeout_ms: u64,
    pub concurrency: usize,
    pub pins: Vec<Pin>,
    pub dns_servers: Option<Vec<SocketAddr>>,
    /// The whole run's deadline, as given.
    pub deadline_ms: u64,
    /// What was left of it when the request was written.
    pub remaining_ms: u64,
    /// `--trust-anchor` roots, DER.
    pub anchors: Vec<Vec<u8>>,
    /// The device's store: `None` for the system's own (as the far side's account sees it).
    pub device_store: Option<Vec<Vec<u8>>>,
}

/// What came back: the evidence in the jobs' order and who ran them.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct Response {
    pub protocol: u32,
    pub version: String,
    pub nonce: String,
    /// Who ran the jobs; `how` is set by the side that launched it.
    pub ran: ProbedAs,
    pub evidence: Vec<Evidence>,
    pub console_user: Option<UserOutcome>,
    /// What the launch wants a person to know (stale services it removed); set by the launcher.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// The console user's part of a response.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum UserOutcome {
    Probed(Box<Response>),
    /// Why the console user's jobs did not run (nobody signed in, the hop failed).
    NotProbed {
        reason: String,
    },
}

impl Settings {
    /// The settings of `config`'s run, with `anchors` loaded and `deadline` running.
    pub(crate) fn new(
        config: &CheckConfig,
        anchors: &[CertificateDer<'static>],
        deadline: RunDeadline,
    ) -> Self {
        Self {
            stage_timeout_ms: crate::net::millis(config.limits.stage_timeout),
            concurrency: config.limits.concurrency,
            pins: config.pins.clone(),
            dns_servers: config.dns_servers.clone(),
            deadline_ms: crate::net::millis(deadline.length),
            remaining_ms: remaining_ms(deadline),
            anchors: anchors.iter().map(|der| der.to_vec()).collect(),
            device_store: match &config.device_store {
                DeviceStore::System => None,
                DeviceStore::Certificates(certs) => {
                    Some(certs.iter().map(|der| der.to_vec()).collect())
                }
            },
        }
    }

    /// The run's deadline on this side: what was left when the request was written.
    fn deadline(&self) -> RunDeadline {
        RunDeadline {
            at: tokio::time::Instant::now() + Duration::from_millis(self.remaining_ms),
            length: Duration::from_millis(self.deadline_ms),
        }
    }

    fn probe_settings(&self) -> ProbeSettings {
        let stage_timeout = Duration::from_millis(self.stage_timeout_ms);
        let certs = |list: &[Vec<u8>]| {
            list.iter()
                .map(|der| CertificateDer::from(der.clone()))
                .collect::<Vec<_>>()
        };
        let device = match &self.device_store {
            None => DeviceStore::System,
            Some(list) => DeviceStore::Certificates(certs(list)),
        };
        ProbeSettings {
            stage_timeout,
            concurrency: self.concurrency,
            resolver: Resolver::new(self.pins.clone(), self.dns_servers.clone(), stage_timeout),
            // The far side presents its own logon (SYSTEM's computer account, or the console
            // user) through SSPI on Windows; explicit credentials never cross the hop.
            auth: crate::windows::live::current_logon(),
            trust: Arc::new(TrustStores::new(certs(&self.anchors), device)),
            run_deadline: Some(self.deadline()),
        }
    }
}

fn remaining_ms(deadline: RunDeadline) -> u64 {
    crate::net::millis(
        deadline
            .at
            .saturating_duration_since(tokio::time::Instant::now()),
    )
}

impl Request {
    /// A request to run `jobs` as `identity`, and `console_user`'s jobs from there.
    pub(crate) fn new(
        identity: Identity,
        settings: Settings,
        jobs: Vec<Job>,
        console_user: Option<Nested>,
    ) -> Self {
        Self {
            protocol: PROTOCOL,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            nonce: nonce(),
            identity,
            settings,
            jobs,
            console_user,
        }
    }

    /// Refuses a request from another protocol or another build.
    fn check(&self) -> Result<(), HopError> {
        if self.protocol != PROTOCOL || self.version != env!("CARGO_PKG_VERSION") {
            return Err(HopError::Mismatch(format!(
                "a request of protocol {} from version {}, this is protocol {PROTOCOL} of {}",
                self.protocol,
                self.version,
                env!("CARGO_PKG_VERSION")
            )));
        }
        Ok(())
    }

    /// Refuses a response that does not answer this request.
    fn accept(&self, mut response: Response, how: How) -> Result<Response, HopError> {
        if response.protocol != PROTOCOL || response.version != self.version {
            return Err(HopError::Mismatch(format!(
                "protocol {} of version {}",
                response.protocol, response.version
            )));
        }
        if response.nonce != self.nonce {
            return Err(HopError::Mismatch(
                "the answer to another request".to_owned(),
            ));
        }
        if response.evidence.len() != self.jobs.len() {
            return Err(HopError::Mismatch(format!(
                "{} results for {} jobs",
                response.evidence.len(),
                self.jobs.len()
            )));
        }
        response.ran.how = how;
        Ok(response)
    }
}

/// A fresh random token: the nonce of a request, the tail of a service or directory name.
pub(crate) fn nonce() -> String {
    let mut bytes = [0u8; 12];
    // The system's generator failing is not recoverable; the clock keeps names distinct then.
    if SystemRandom::new().fill(&mut bytes).is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        bytes[..8].copy_from_slice(&now.as_nanos().to_le_bytes()[..8]);
        bytes[8..].copy_from_slice(&std::process::id().to_le_bytes());
    }
    bytes.iter().fold(String::new(), |mut text, byte| {
        let _ = write!(text, "{byte:02x}");
        text
    })
}

/// The boxed future a launcher returns.
pub(crate) type Launched<'a> =
    Pinned<Box<dyn Future<Output = Result<Response, HopError>> + Send + 'a>>;

/// Starts a request's far side somewhere and brings its response back.
pub(crate) trait Launcher: Send + Sync {
    /// How the far side comes to run (what the report says).
    fn how(&self) -> How;
    /// Runs `request` and returns the far side's response as it wrote it.
    fn launch<'a>(&'a self, request: &'a Request) -> Launched<'a>;
}

/// Runs `request` through `launcher` and checks the answer.
///
/// Each launcher keeps to the run's deadline itself (and stops what it started when it ends):
/// the future is not cut short here, because a service still registered when the process
/// exits would outlive the run.
pub(crate) async fn hop(launcher: &dyn Launcher, request: &Request) -> Result<Response, HopError> {
    let answer = launcher.launch(request).await?;
    request.accept(answer, launcher.how())
}

/// Runs the far side in this process: it already is the identity asked for.
pub(crate) struct InProcess;

impl Launcher for InProcess {
    fn how(&self) -> How {
        How::InProcess
    }

    fn launch<'a>(&'a self, request: &'a Request) -> Launched<'a> {
        Box::pin(async move { Ok(serve(request.clone()).await) })
    }
}

/// Runs the far side as a child process of the same account: this executable with
/// `__probe-jobs`. Changes no identity: it is the portable hop the tests drive.
pub(crate) struct ChildProcess {
    pub exe: PathBuf,
}

impl Launcher for ChildProcess {
    fn how(&self) -> How {
        How::ChildProcess
    }

    fn launch<'a>(&'a self, request: &'a Request) -> Launched<'a> {
        let exe = self.exe.clone();
        let deadline = Duration::from_millis(request.settings.remaining_ms);
        let message = serde_json::to_vec(request);
        Box::pin(async move {
            let message = message.map_err(HopError::Json)?;
            let joined =
                tokio::task::spawn_blocking(move || run_child(&exe, &message, deadline)).await;
            let bytes = joined.map_err(|err| HopError::Failed {
                status: "a panic".to_owned(),
                stderr: err.to_string(),
            })??;
            serde_json::from_slice(&bytes).map_err(HopError::Json)
        })
    }
}

/// Writes the request into a fresh private directory, runs `exe __probe-jobs` on it, waits at
/// most `deadline`, and reads the response.
fn run_child(exe: &Path, request: &[u8], deadline: Duration) -> Result<Vec<u8>, HopError> {
    let dir = PrivateDir::create()?;
    let request_path = dir.path.join("request.json");
    let response_path = dir.path.join("response.json");
    let stderr_path = dir.path.join("stderr.txt");
    let channel = |path: &Path| {
        let path = path.to_owned();
        move |source| HopError::Channel { path, source }
    };
    fs::write(&request_path, request).map_err(channel(&request_path))?;
    let stderr = fs::File::create(&stderr_path).map_err(channel(&stderr_path))?;
    let mut child = std::process::Command::new(exe)
        .arg("__probe-jobs")
        .arg("--request")
        .arg(&request_path)
        .arg("--response")
        .arg(&response_path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()
        .map_err(|source| HopError::Spawn {
            exe: exe.to_owned(),
            source,
        })?;
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(channel(exe))? {
            break status;
        }
        if started.elapsed() >= deadline {
            // Stop the child we started, by its own handle, and reap it.
            let _ = child.kill();
            let _ = child.wait();
            return Err(HopError::Timeout { after: deadline });
        }
        std::thread::sleep(POLL);
    };
    match read_capped(&response_path) {
        Ok(bytes) if status.success() => Ok(bytes),
        _ => Err(HopError::Failed {
            status: status.to_string(),
            stderr: fs::read_to_string(&stderr_path).unwrap_or_default(),
        }),
    }
}

/// A directory only this account can open, removed on drop.
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn create() -> Result<Self, HopError> {
        let path = std::env::temp_dir().join(format!("dapreflight-hop-{}", nonce()));
        #[cfg(unix)]
        let builder = {
            let mut builder = fs::DirBuilder::new();
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder
        };
        #[cfg(not(unix))]
        let builder = fs::DirBuilder::new();
        builder.create(&path).map_err(|source| HopError::Channel {
            path: path.clone(),
            source,
        })?;
        Ok(Self { path })
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Reads a hop message, refusing one past [`MESSAGE_CAP`].
fn read_capped(path: &Path) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    fs::File::open(path)?
        .take(MESSAGE_CAP + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MESSAGE_CAP {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {MESSAGE_CAP} bytes"),
        ));
    }
    Ok(bytes)
}

/// The far side of a hop: runs the request's jobs here, and the console user's from here.
pub(crate) async fn serve(request: Request) -> Response {
    let settings = request.settings.probe_settings();
    let user = async {
        match &request.console_user {
            None => None,
            Some(nested) => Some(console_user(nested, &request.settings).await),
        }
    };
    let (evidence, console_user) =
        tokio::join!(probe::run_all(&request.jobs, &settings, None), user);
    Response {
        protocol: PROTOCOL,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        nonce: request.nonce,
        ran: ProbedAs {
            account: account(),
            identity: request.identity,
            how: How::InProcess,
        },
        evidence,
        console_user,
        notes: Vec::new(),
    }
}

/// Runs the console user's jobs from this side, relaying their response.
async fn console_user(nested: &Nested, settings: &Settings) -> UserOutcome {
    let mut settings = settings.clone();
    settings.remaining_ms = remaining_ms(settings.deadline());
    let request = Request::new(Identity::User, settings, nested.jobs.clone(), None);
    let launcher: Box<dyn Launcher> = match nested.via {
        Via::UserToken => Box::new(UserToken),
        Via::ChildProcess => match std::env::current_exe() {
            Ok(exe) => Box::new(ChildProcess { exe }),
            Err(err) => {
                return UserOutcome::NotProbed {
                    reason: format!("not probed as the console user: {err}"),
                };
            }
        },
    };
    match hop(launcher.as_ref(), &request).await {
        Ok(response) => UserOutcome::Probed(Box::new(response)),
        Err(HopError::NoConsoleUser) => UserOutcome::NotProbed {
            reason: NO_CONSOLE_USER.to_owned(),
        },
        Err(err) => UserOutcome::NotProbed {
            reason: format!("not probed as the console user: {}", chain(&err)),
        },
    }
}

pub(crate) use crate::cause::chain;

/// `dapreflight __probe-jobs`: reads the request, runs it, writes the response.
pub(crate) async fn run_request(config: &ProbeJobsConfig) -> Result<(), HopError> {
    let bytes = read_capped(&config.request).map_err(|source| HopError::Channel {
        path: config.request.clone(),
        source,
    })?;
    let request: Request = serde_json::from_slice(&bytes).map_err(HopError::Json)?;
    request.check()?;
    let response = serve(request).await;
    let bytes = serde_json::to_vec(&response).map_err(HopError::Json)?;
    write_response(&config.response, &bytes)
}

/// Writes the response whole: to a temporary name, then renamed, so a reader never sees half.
fn write_response(path: &Path, bytes: &[u8]) -> Result<(), HopError> {
    let fail = |source| HopError::Channel {
        path: path.to_owned(),
        source,
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    fs::write(&temporary, bytes).map_err(fail)?;
    fs::rename(&temporary, path).map_err(fail)
}

/// The account this process runs as, as Windows names it, or the user name elsewhere.
pub(crate) fn account() -> String {
    #[cfg(windows)]
    {
        crate::windows::live::token::account()
    }
    #[cfg(not(windows))]
    {
        std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .unwrap_or_else(|_| "unknown".to_owned())
    }
}

/// Runs the far side in a temporary service as LocalSystem (Windows, elevated).
pub(crate) struct Service;

impl Launcher for Service {
    fn how(&self) -> How {
        How::Service
    }

    fn launch<'a>(&'a self, request: &'a Request) -> Launched<'a> {
        let deadline = Duration::from_millis(request.settings.remaining_ms);
        let message = serde_json::to_vec(request);
        Box::pin(async move {
            let message = message.map_err(HopError::Json)?;
            let joined = tokio::task::spawn_blocking(move || service_hop(&message, deadline)).await;
            let (bytes, notes) = joined.map_err(|err| HopError::Failed {
                status: "a panic".to_owned(),
                stderr: err.to_string(),
            })??;
            let mut response: Response = serde_json::from_slice(&bytes).map_err(HopError::Json)?;
            response.notes.extend(notes);
            Ok(response)
        })
    }
}

#[cfg(windows)]
fn service_hop(request: &[u8], deadline: Duration) -> Result<(Vec<u8>, Vec<String>), HopError> {
    crate::windows::live::service::hop(request, deadline)
        .map_err(|err| HopError::Windows(chain(&err)))
}

#[cfg(not(windows))]
fn service_hop(_request: &[u8], _deadline: Duration) -> Result<(Vec<u8>, Vec<String>), HopError> {
    Err(HopError::Unsupported("a hop through a service"))
}

/// Runs the far side as the signed-in console user, with their token (Windows, as SYSTEM).
pub(crate) struct UserToken;

impl Launcher for UserToken {
    fn how(&self) -> How {
        How::UserToken
    }

    fn launch<'a>(&'a self, request: &'a Request) -> Launched<'a> {
        let deadline = Duration::from_millis(request.settings.remaining_ms);
        let message = serde_json::to_vec(request);
        Box::pin(async move {
            let message = message.map_err(HopError::Json)?;
            let joined =
                tokio::task::spawn_blocking(move || user_token_hop(&message, deadline)).await;
            let bytes = joined.map_err(|err| HopError::Failed {
                status: "a panic".to_owned(),
                stderr: err.to_string(),
            })??;
            serde_json::from_slice(&bytes).map_err(HopError::Json)
        })
    }
}

#[cfg(windows)]
fn user_token_hop(request: &[u8], deadline: Duration) -> Result<Vec<u8>, HopError> {
    use crate::windows::live::token::TokenError;
    crate::windows::live::token::run_as_console_user(request, deadline).map_err(|err| match err {
        TokenError::NoConsoleUser => HopError::NoConsoleUser,
        err => HopError::Windows(chain(&err)),
    })
}

#[cfg(not(windows))]
fn user_token_hop(_request: &[u8], _deadline: Duration) -> Result<Vec<u8>, HopError> {
    Err(HopError::Unsupported("a hop to the console user"))
}

/// What this process is: elevated, already SYSTEM.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Facts {
    /// The token is elevated (Windows); `None` off Windows.
    pub elevated: Option<bool>,
    /// The token's user is LocalSystem (S-1-5-18).
    pub is_system: bool,
}

impl Facts {
    /// This process's facts.
    #[cfg(windows)]
    pub(crate) fn of_this_process() -> Self {
        Self {
            elevated: crate::windows::live::token::is_elevated().ok(),
            is_system: crate::windows::live::token::is_system().unwrap_or(false),
        }
    }

    /// This process's facts: off Windows there is no identity to change.
    #[cfg(not(windows))]
    pub(crate) fn of_this_process() -> Self {
        Self::default()
    }
}

/// `dapreflight __probe-jobs`: the far side, in a plain process or under the service dispatcher.
pub(crate) async fn run(config: &ProbeJobsConfig) -> Result<(), crate::error::Error> {
    if config.service {
        return run_as_service(config);
    }
    run_request(config)
        .await
        .map_err(|err| crate::error::Error::Hop(Box::new(err)))
}

#[cfg(windows)]
fn run_as_service(config: &ProbeJobsConfig) -> Result<(), crate::error::Error> {
    let config = config.clone();
    // The dispatcher calls back on its own thread, outside this runtime: that thread gets its own.
    crate::windows::live::service::dispatch(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|err| err.to_string())?;
        runtime
            .block_on(run_request(&config))
            .map_err(|err| chain(&err))
    })
    .map_err(|err| crate::error::Error::Hop(Box::new(err)))
}

#[cfg(not(windows))]
fn run_as_service(_config: &ProbeJobsConfig) -> Result<(), crate::error::Error> {
    Err(crate::error::Error::Hop(Box::new(HopError::Unsupported(
        "running as a service",
    ))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request() -> Request {
        let settings = Settings {
            stage_timeout_ms: 1000,
            concurrency: 1,
            pins: Vec::new(),
            dns_servers: None,
            deadline_ms: 1000,
            remaining_ms: 1000,
            anchors: Vec::new(),
            device_store: Some(Vec::new()),
        };
        Request::new(Identity::System, settings, Vec::new(), None)
    }

    fn answer(request: &Request) -> Response {
        Response {
            protocol: PROTOCOL,
            version: request.version.clone(),
            nonce: request.nonce.clone(),
            ran: ProbedAs {
                account: "someone".to_owned(),
                identity: Identity::System,
                how: How::InProcess,
            },
            evidence: Vec::new(),
            console_user: None,
            notes: Vec::new(),
        }
    }

    #[test]
    fn a_response_is_accepted_only_for_its_own_request_and_version() {
        let request = request();
        let accepted = request
            .accept(answer(&request), How::Service)
            .expect("its own answer");
        assert_eq!(accepted.ran.how, How::Service, "the launcher says how");
        let other_nonce = Response {
            nonce: nonce(),
            ..answer(&request)
        };
        assert!(matches!(
            request.accept(other_nonce, How::Service),
            Err(HopError::Mismatch(_))
        ));
        let other_version = Response {
            version: "0.0.0-other".to_owned(),
            ..answer(&request)
        };
        assert!(matches!(
            request.accept(other_version, How::Service),
            Err(HopError::Mismatch(_))
        ));
        let extra = Response {
            evidence: vec![Evidence::default()],
            ..answer(&request)
        };
        assert!(matches!(
            request.accept(extra, How::Service),
            Err(HopError::Mismatch(_))
        ));
    }

    #[test]
    fn nonces_are_fresh_each_time() {
        let (a, b) = (nonce(), nonce());
        assert_eq!(a.len(), 24);
        assert_ne!(a, b);
    }

    #[test]
    fn a_request_and_its_jobs_survive_the_trip_through_json() {
        let catalog = crate::catalog::load(None).expect("the built-in catalog");
        let endpoints = catalog.select("all").expect("the profile");
        let jobs: Vec<Job> = endpoints
            .iter()
            .map(|endpoint| Job {
                endpoint: endpoint.clone(),
                target: endpoint.probe_target(),
                route: crate::route::Route::Direct,
            })
            .collect();
        let mut sent = request();
        sent.jobs.clone_from(&jobs);
        let text = serde_json::to_string(&sent).expect("serialize");
        let back: Request = serde_json::from_str(&text).expect("deserialize");
        assert_eq!(back.jobs.len(), jobs.len());
        for (back, job) in back.jobs.iter().zip(&jobs) {
            assert_eq!(back.endpoint, job.endpoint);
            assert_eq!(back.target, job.target);
            assert_eq!(back.route, job.route);
        }
    }

    #[tokio::test]
    async fn in_process_serves_the_request_and_relays_nothing_when_no_user_is_asked_for() {
        let request = request();
        let response = hop(&InProcess, &request).await.expect("in process");
        assert_eq!(response.ran.how, How::InProcess);
        assert!(response.evidence.is_empty() && response.console_user.is_none());
    }
}
