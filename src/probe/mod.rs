//! The probe: one (endpoint, route) pair, stage by stage, recorded as evidence.
//!
//! DNS → TCP → (proxy) CONNECT or absolute-form request → TLS handshake capturing the chain →
//! HTTP request. Every stage has its own deadline; a probe that stops early is data
//! ([`ProbeFailure`]), never an error. This module takes a [`Route`] and never reads proxy settings.

pub(crate) mod dns;
pub(crate) mod http;
pub(crate) mod identity;
pub(crate) mod tls;
pub(crate) mod tunnel;

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::catalog::Endpoint;

use crate::auth::scrub::Scrubber;
use crate::auth::{Authenticate, Authenticated, Presenting};
use crate::net::millis;
pub use crate::net::tcp::ConnectCause;
use crate::net::tcp::{self, ConnectError};
use crate::route::{ProxyAddr, Route};
use crate::status::Stage;
use crate::trust::{CertificateInfo, Interception, TrustStores};
use crate::url::{Scheme, Target};

pub use crate::auth::Credentials;
pub(crate) use dns::Resolver;
pub use dns::{DnsCause, DnsOf, Pin};
pub use identity::{How, Identity, ProbedAs};
pub use tunnel::Challenge;

/// How probes run: deadlines, concurrency, name pins, the authenticator and trust stores.
#[derive(Clone, Debug)]
pub(crate) struct ProbeSettings {
    /// The deadline for each stage (DNS, connect, proxy, TLS, HTTP) on its own.
    pub stage_timeout: Duration,
    /// How many probes run at once.
    pub concurrency: usize,
    pub resolver: Resolver,
    /// Answers a proxy's 407, when this run may authenticate; the command layer picks it.
    pub auth: Option<Arc<dyn Authenticate>>,
    pub trust: Arc<TrustStores>,
    /// When the whole run ends; a probe still running then stops where it is.
    pub run_deadline: Option<RunDeadline>,
}

/// The whole run's deadline: the instant it ends, and how long the run was given.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RunDeadline {
    pub at: tokio::time::Instant,
    pub length: Duration,
}

impl RunDeadline {
    /// A deadline `length` from now.
    pub(crate) fn from_now(length: Duration) -> Self {
        Self {
            at: tokio::time::Instant::now() + length,
            length,
        }
    }
}

/// What a probe saw, stage by stage. Stages it never reached are `None`.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    pub timings_ms: Timings,
    pub dns: Option<DnsEvidence>,
    pub connect: Option<ConnectEvidence>,
    pub proxy: Option<ProxyEvidence>,
    pub tls: Option<tls::TlsEvidence>,
    pub http: Option<HttpEvidence>,
    /// Where and why the probe stopped; `None` when every stage completed.
    pub failure: Option<ProbeFailure>,
    /// Why the endpoint was not probed at all (a wildcard with no concrete host).
    pub not_probed: Option<String>,
}

/// Milliseconds spent in each stage; absent stages were not reached (or not needed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    pub dns: Option<u64>,
    pub connect: Option<u64>,
    pub proxy: Option<u64>,
    pub tls: Option<u64>,
    pub http: Option<u64>,
    pub total: u64,
}

/// Which name was resolved, to what, and how.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DnsEvidence {
    pub name: String,
    pub addresses: Vec<IpAddr>,
    /// `resolver`, `--resolve`, or `literal` (the name was an address).
    pub source: String,
}

/// The TCP connection that was opened.
pub use crate::net::tcp::Connected as ConnectEvidence;

/// What the proxy answered.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProxyEvidence {
    pub address: ProxyAddr,
    /// The request line sent, e.g. `CONNECT v10c.events.data.microsoft.com:443`.
    pub request: String,
    pub status: Option<u16>,
    /// The status line as received, e.g. `HTTP/1.1 407 Proxy Authentication Required`.
    pub status_line: Option<String>,
    /// Headers of interest (`Proxy-Authenticate`, `Via`, `Server`, `Proxy-Agent`, ...).
    pub headers: Vec<Header>,
    /// Every challenge offered in `Proxy-Authenticate`, in order.
    pub challenges: Vec<Challenge>,
    /// The handshake after the 407, when one was made.
    pub auth: Option<AuthAttempt>,
}

/// One response header, as received.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// The handshake after a 407: who was presented, how far it went, and how it ended. Never holds
/// a password or a token.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuthAttempt {
    /// The scheme answered: `NTLM`, `Negotiate`, `Basic`.
    pub scheme: String,
    /// Explicit credentials, or the current logon.
    pub presenting: Presenting,
    /// The account and package, as far as the handshake knows them.
    pub authenticated: Authenticated,
    /// Requests sent with `Proxy-Authorization` on the connection that gave the last answer.
    pub rounds: u8,
    pub outcome: AuthOutcome,
    /// The proxy's last status.
    pub status: Option<u16>,
    /// Handshake facts: the challenge had no TargetInfo, the proxy closed after its first 407, ...
    pub notes: Vec<String>,
}

/// How a handshake ended.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AuthOutcome {
    /// The proxy let the request through after the handshake.
    Accepted,
    /// The proxy still answered 407 after the last token.
    Rejected,
    /// The handshake completed and the proxy refused the request (403, ...): it knows the
    /// account and does not allow it.
    Denied,
    /// The handshake could not go on (a challenge dapreflight cannot answer, a closed connection).
    Failed { reason: String },
}

impl AuthAttempt {
    /// Whether the proxy knew the account: it let the request through, or authenticated it and
    /// then refused the request.
    #[must_use]
    pub fn accepted(&self) -> bool {
        matches!(self.outcome, AuthOutcome::Accepted | AuthOutcome::Denied)
    }

    /// The account the handshake presented, as far as known.
    #[must_use]
    pub fn account(&self) -> Option<&str> {
        self.authenticated
            .account
            .as_deref()
            .or(match &self.presenting {
                Presenting::Explicit { account } => Some(account.as_str()),
                Presenting::CurrentLogon => None,
            })
    }
}

impl std::fmt::Display for AuthAttempt {
    /// One line for a person: `NTLM as CORP\alice (explicit credentials): accepted after 2 rounds`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.scheme)?;
        if let Some(package) = &self.authenticated.package
            && !package.eq_ignore_ascii_case(&self.scheme)
        {
            write!(f, " ({package})")?;
        }
        if let Some(account) = self.account() {
            write!(f, " as {account}")?;
        }
        let presenting = match self.presenting {
            Presenting::Explicit { .. } => "explicit credentials",
            Presenting::CurrentLogon => "the current logon",
        };
        let rounds = match self.rounds {
            1 => "1 round".to_owned(),
            n => format!("{n} rounds"),
        };
        let status = self.status.map(|s| format!(" ({s})")).unwrap_or_default();
        write!(f, " ({presenting}): ")?;
        match &self.outcome {
            AuthOutcome::Accepted => write!(f, "accepted after {rounds}"),
            AuthOutcome::Rejected => write!(f, "rejected after {rounds}{status}"),
            AuthOutcome::Denied => write!(f, "authenticated, then denied{status} after {rounds}"),
            AuthOutcome::Failed { reason } => write!(f, "failed after {rounds}: {reason}"),
        }
    }
}

/// The HTTP exchange with the service.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HttpEvidence {
    /// e.g. `GET /health/keepalive`, or the absolute form through a proxy.
    pub request: String,
    pub status: u16,
    pub reason: String,
    pub headers: Vec<Header>,
}

/// Where and why a probe stopped. The wire layer turns it into the report's JSON.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ProbeFailure {
    /// The name did not resolve. `of` says whose name it is (the endpoint's, or the proxy's on
    /// the way to it); `cause` classifies why; `reason` keeps the resolver's own words.
    DnsFailed {
        name: String,
        of: DnsOf,
        cause: DnsCause,
        reason: String,
    },
    /// No address accepted the connection. `to` lists the addresses, `cause` classifies why,
    /// `reason` says it in words (naming each address only when there were several).
    ConnectFailed {
        to: String,
        cause: ConnectCause,
        reason: String,
    },
    /// No answer within the stage's deadline.
    Timeout { stage: Stage, after_ms: u64 },
    /// The whole run's deadline (`--deadline`) ended the probe during `stage`.
    DeadlineReached { stage: Stage, deadline_ms: u64 },
    /// The proxy answered 407; `schemes` lists its Proxy-Authenticate offers.
    ProxyAuthRequired { schemes: Vec<String> },
    /// The proxy still answered 407 after the handshake's last token; `account` is the account
    /// presented, when known.
    ProxyAuthRejected {
        scheme: String,
        status: u16,
        account: Option<String>,
    },
    /// The handshake could not go on: a challenge dapreflight cannot answer, or a proxy that
    /// closed the connection between the messages of a connection-bound scheme.
    ProxyAuthFailed { scheme: String, reason: String },
    /// The proxy refused the request (403, 451, 511, ...).
    ProxyDenied { status: u16, reason: String },
    /// The proxy failed (502, 503, 504, 598, 599) or answered something that is not HTTP.
    ProxyError { status: Option<u16>, reason: String },
    /// The TLS handshake failed for a reason other than trust.
    TlsFailed { reason: String },
    /// The connection was up but no HTTP answer came back.
    HttpFailed { reason: String },
}

/// One probe to run: an endpoint, the concrete target, and the route to take.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Job {
    pub endpoint: Endpoint,
    /// The concrete target; `None` when the endpoint is a wildcard with no probe host.
    pub target: Option<Target>,
    pub route: Route,
}

/// What [`run_all`] tells a progress display while it runs. The probe layer never prints: the
/// command layer decides what, if anything, a person sees.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ProbeEvent {
    /// The job at this index (in the slice given to `run_all`) started its first stage.
    Started(usize),
    /// The job at this index finished, whatever it found.
    Finished(usize),
}

/// Where [`run_all`] sends its events; it never waits on the receiver, and a receiver that is
/// gone is ignored. The channel closes when `run_all` returns.
pub(crate) type ProgressSink = tokio::sync::mpsc::UnboundedSender<ProbeEvent>;

/// Runs every job, at most `settings.concurrency` at once; evidence in the jobs' order. Each job's
/// start and end go to `progress`, when given.
pub(crate) async fn run_all(
    jobs: &[Job],
    settings: &ProbeSettings,
    progress: Option<ProgressSink>,
) -> Vec<Evidence> {
    let permits = Arc::new(Semaphore::new(settings.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    for (index, planned) in jobs.iter().enumerate() {
        let planned = planned.clone();
        let settings = settings.clone();
        let permits = Arc::clone(&permits);
        let progress = progress.clone();
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring only waits.
            let _permit = permits.acquire_owned().await;
            let tell = |event| {
                if let Some(sink) = &progress {
                    // A display that stopped listening does not stop the probes.
                    let _ = sink.send(event);
                }
            };
            tell(ProbeEvent::Started(index));
            let found = probe(&planned, &settings).await;
            tell(ProbeEvent::Finished(index));
            (index, found)
        });
    }
    drop(progress);
    let mut evidence = vec![Evidence::default(); jobs.len()];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, found)) => evidence[index] = found,
            // A probe task only ends abnormally if it panicked: keep the others' results.
            Err(err) => {
                if let Ok(panic) = err.try_into_panic() {
                    std::panic::resume_unwind(panic);
                }
            }
        }
    }
    evidence
}

/// Probes one (target, route) pair.
pub(crate) async fn probe(planned: &Job, settings: &ProbeSettings) -> Evidence {
    let Some(target) = &planned.target else {
        return Evidence {
            not_probed: Some(format!(
                "wildcard entry {}: cannot be probed as written; allow the pattern",
                planned.endpoint.url
            )),
            ..Evidence::default()
        };
    };
    if let Route::Unprobeable { reason } = &planned.route {
        return Evidence {
            not_probed: Some(reason.clone()),
            ..Evidence::default()
        };
    }
    let started = Instant::now();
    let scrubber = settings
        .auth
        .as_ref()
        .map(|auth| auth.scrubber())
        .unwrap_or_default();
    let mut run = ProbeRun {
        settings,
        evidence: Evidence::default(),
        scrubber,
        stage: Stage::Dns,
    };
    let stages = run.stages(target, &planned.route, &planned.endpoint);
    let outcome = match settings.run_deadline {
        // Bound as a statement, so the stages' borrow of `run` ends before it is read.
        Some(deadline) => {
            let bounded = tokio::time::timeout_at(deadline.at, stages).await;
            bounded.unwrap_or_else(|_| {
                Err(ProbeFailure::DeadlineReached {
                    stage: run.stage,
                    deadline_ms: millis(deadline.length),
                })
            })
        }
        None => stages.await,
    };
    let mut evidence = run.evidence;
    if let Err(failure) = outcome {
        evidence.failure = Some(failure);
    }
    // The proxy and HTTP stages scrub what they read before shortening it; this pass covers the
    // rest a peer chose (certificate names, failure reasons that quote the peer).
    evidence.scrub(&run.scrubber);
    evidence.timings_ms.total = millis(started.elapsed());
    evidence
}

/// The state of one probe while its stages run.
struct ProbeRun<'a> {
    settings: &'a ProbeSettings,
    evidence: Evidence,
    /// Removes the held credentials from what peers send.
    scrubber: Scrubber,
    /// The stage running now, for a probe the run's deadline ends.
    stage: Stage,
}

impl ProbeRun<'_> {
    async fn stages(
        &mut self,
        target: &Target,
        route: &Route,
        endpoint: &Endpoint,
    ) -> Result<(), ProbeFailure> {
        let (host, port, of) = match route {
            Route::Direct => (target.host.clone(), target.port, DnsOf::Endpoint),
            Route::Proxy { proxy } => (proxy.host.clone(), proxy.port, DnsOf::Proxy),
            // `probe` reports these as not probed before any stage runs.
            Route::Unprobeable { reason } => {
                return Err(ProbeFailure::HttpFailed {
                    reason: reason.clone(),
                });
            }
        };
        let addresses = self.resolve(&host, port, of).await?;
        let stream = self.connect(&addresses).await?;
        match (route, target.scheme) {
            (Route::Direct, Scheme::Https) => {
                let tls = self.handshake(stream, target, endpoint).await?;
                self.request(tls, target).await
            }
            (Route::Direct, Scheme::Http) => self.request(stream, target).await,
            (Route::Proxy { proxy }, Scheme::Https) => {
                let stream = self.tunnel(stream, proxy, target, &addresses).await?;
                let tls = self.handshake(stream, target, endpoint).await?;
                self.request(tls, target).await
            }
            (Route::Proxy { proxy }, Scheme::Http) => {
                self.request_via_proxy(stream, proxy, target, &addresses)
                    .await
            }
            (Route::Unprobeable { .. }, _) => Ok(()),
        }
    }

    async fn resolve(
        &mut self,
        host: &str,
        port: u16,
        of: DnsOf,
    ) -> Result<Vec<SocketAddr>, ProbeFailure> {
        self.stage = Stage::Dns;
        let deadline = self.settings.stage_timeout;
        let started = Instant::now();
        let lookup = self.settings.resolver.lookup(host, port);
        let failed = |cause, reason| ProbeFailure::DnsFailed {
            name: host.to_owned(),
            of,
            cause,
            reason,
        };
        // A lookup that outlasts the stage is a DNS failure like the resolver's own timeout, so
        // that whose name it was (a proxy's, an endpoint's) is kept.
        let result = tokio::time::timeout(deadline, lookup).await.map_err(|_| {
            failed(
                DnsCause::Timeout,
                format!("no answer within {} ms", millis(deadline)),
            )
        })?;
        let elapsed = millis(started.elapsed());
        let (addresses, source) = result.map_err(|err| failed(err.cause, err.reason))?;
        if source != "literal" {
            self.evidence.timings_ms.dns = Some(elapsed);
        }
        self.evidence.dns = Some(DnsEvidence {
            name: host.to_owned(),
            addresses: addresses.iter().map(SocketAddr::ip).collect(),
            source: source.to_owned(),
        });
        Ok(addresses)
    }

    async fn connect(
        &mut self,
        addresses: &[SocketAddr],
    ) -> Result<tokio::net::TcpStream, ProbeFailure> {
        self.stage = Stage::Connect;
        let started = Instant::now();
        let connected = tcp::connect(addresses, self.settings.stage_timeout).await;
        self.evidence.timings_ms.connect = Some(millis(started.elapsed()));
        let (stream, evidence) = connected.map_err(ProbeFailure::from)?;
        self.evidence.connect = Some(evidence);
        Ok(stream)
    }

    async fn tunnel(
        &mut self,
        stream: tokio::net::TcpStream,
        proxy: &ProxyAddr,
        target: &Target,
        addresses: &[SocketAddr],
    ) -> Result<tokio::net::TcpStream, ProbeFailure> {
        self.stage = Stage::Proxy;
        let started = Instant::now();
        let outcome = tunnel::connect(
            stream,
            proxy,
            target,
            addresses,
            self.settings.auth.as_deref(),
            self.settings.stage_timeout,
        )
        .await;
        self.evidence.timings_ms.proxy = Some(millis(started.elapsed()));
        self.evidence.proxy = Some(outcome.evidence);
        outcome.stream
    }

    async fn handshake<S>(
        &mut self,
        stream: S,
        target: &Target,
        endpoint: &Endpoint,
    ) -> Result<tokio_rustls::client::TlsStream<S>, ProbeFailure>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        self.stage = Stage::Tls;
        let started = Instant::now();
        let result = tls::handshake(
            stream,
            &target.host,
            endpoint.trust,
            &self.settings.trust,
            self.settings.stage_timeout,
        )
        .await;
        self.evidence.timings_ms.tls = Some(millis(started.elapsed()));
        let (stream, evidence) = result?;
        self.evidence.tls = Some(evidence);
        Ok(stream)
    }

    async fn request<S>(&mut self, stream: S, target: &Target) -> Result<(), ProbeFailure>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        self.stage = Stage::Http;
        let started = Instant::now();
        let result = http::get(stream, target, self.settings.stage_timeout, &self.scrubber).await;
        self.evidence.timings_ms.http = Some(millis(started.elapsed()));
        self.evidence.http = Some(result?);
        Ok(())
    }

    /// Plain http through a proxy: an absolute-form request, which the proxy may answer itself.
    async fn request_via_proxy(
        &mut self,
        stream: tokio::net::TcpStream,
        proxy: &ProxyAddr,
        target: &Target,
        addresses: &[SocketAddr],
    ) -> Result<(), ProbeFailure> {
        self.stage = Stage::Proxy;
        let started = Instant::now();
        let outcome = tunnel::forward(
            stream,
            proxy,
            target,
            addresses,
            self.settings.auth.as_deref(),
            self.settings.stage_timeout,
        )
        .await;
        self.evidence.timings_ms.http = Some(millis(started.elapsed()));
        self.evidence.proxy = Some(outcome.evidence);
        self.evidence.http = outcome.http;
        outcome.result
    }
}

impl Evidence {
    /// Replaces the held credentials in every text a peer could have chosen.
    fn scrub(&mut self, scrubber: &Scrubber) {
        if scrubber.is_empty() {
            return;
        }
        if let Some(proxy) = &mut self.proxy {
            scrubber.all(&mut proxy.status_line);
            scrub_headers(&mut proxy.headers, scrubber);
            if let Some(auth) = &mut proxy.auth {
                scrubber.all(&mut auth.notes);
                if let AuthOutcome::Failed { reason } = &mut auth.outcome {
                    scrubber.in_place(reason);
                }
            }
            for challenge in &mut proxy.challenges {
                scrubber.in_place(&mut challenge.scheme);
                for (name, value) in &mut challenge.params {
                    scrubber.in_place(name);
                    scrubber.in_place(value);
                }
            }
        }
        if let Some(tls) = &mut self.tls {
            tls.chain
                .iter_mut()
                .for_each(|info| scrub_certificate(info, scrubber));
            scrub_interception(&mut tls.trust.verdict, scrubber);
        }
        if let Some(http) = &mut self.http {
            scrubber.in_place(&mut http.reason);
            scrub_headers(&mut http.headers, scrubber);
        }
        if let Some(failure) = &mut self.failure {
            match failure {
                ProbeFailure::ProxyAuthRequired { schemes } => {
                    scrubber.all(schemes);
                }
                ProbeFailure::ProxyAuthRejected { scheme: text, .. }
                | ProbeFailure::ProxyAuthFailed { reason: text, .. }
                | ProbeFailure::ProxyDenied { reason: text, .. }
                | ProbeFailure::ProxyError { reason: text, .. }
                | ProbeFailure::TlsFailed { reason: text }
                | ProbeFailure::HttpFailed { reason: text }
                | ProbeFailure::ConnectFailed { reason: text, .. }
                | ProbeFailure::DnsFailed { reason: text, .. } => scrubber.in_place(text),
                ProbeFailure::Timeout { .. } | ProbeFailure::DeadlineReached { .. } => {}
            }
        }
    }
}

fn scrub_headers(headers: &mut [Header], scrubber: &Scrubber) {
    for header in headers {
        scrubber.in_place(&mut header.value);
    }
}

fn scrub_certificate(info: &mut CertificateInfo, scrubber: &Scrubber) {
    scrubber.in_place(&mut info.subject);
    scrubber.in_place(&mut info.issuer);
    scrubber.all(&mut info.dns_names);
}

fn scrub_interception(interception: &mut Interception, scrubber: &Scrubber) {
    match interception {
        Interception::NotDetected { anchor } => scrubber.in_place(anchor),
        Interception::Detected {
            issuer,
            anchor,
            product,
        } => {
            scrubber.in_place(issuer);
            scrubber.in_place(anchor);
            scrubber.all(product);
        }
        Interception::Untrusted {
            issuer,
            product,
            reason,
        } => {
            scrubber.in_place(issuer);
            scrubber.in_place(reason);
            scrubber.all(product);
        }
        Interception::WrongName { host, names } => {
            scrubber.in_place(host);
            scrubber.all(names);
        }
        Interception::Inconclusive { reason } => scrubber.in_place(reason),
    }
}

/// Runs `future` with the stage's deadline; a missed deadline becomes `ProbeFailure::Timeout`.
pub(crate) async fn within<T>(
    stage: Stage,
    deadline: Duration,
    future: impl Future<Output = T>,
) -> Result<T, ProbeFailure> {
    tokio::time::timeout(deadline, future)
        .await
        .map_err(|_| ProbeFailure::Timeout {
            stage,
            after_ms: millis(deadline),
        })
}

impl From<ConnectError> for ProbeFailure {
    fn from(err: ConnectError) -> Self {
        match err {
            ConnectError::Timeout { after_ms } => ProbeFailure::Timeout {
                stage: Stage::Connect,
                after_ms,
            },
            ConnectError::Failed { to, cause, reason } => {
                ProbeFailure::ConnectFailed { to, cause, reason }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::dns::Resolver;
    use crate::trust::TrustStores;

    fn settings(concurrency: usize) -> ProbeSettings {
        ProbeSettings {
            stage_timeout: Duration::from_secs(1),
            concurrency,
            resolver: Resolver::new(Vec::new(), None, Duration::from_secs(1)),
            auth: None,
            trust: Arc::new(TrustStores::new(
                Vec::new(),
                crate::trust::DeviceStore::Certificates(Vec::new()),
            )),
            run_deadline: None,
        }
    }

    /// Jobs that end without touching the network: routes that cannot be probed.
    fn offline_jobs(count: usize) -> Vec<Job> {
        let catalog = crate::catalog::load(None).expect("the built-in catalog");
        let endpoint = catalog
            .select("all")
            .expect("the profile")
            .into_iter()
            .find(|endpoint| !endpoint.wildcard)
            .expect("a concrete endpoint");
        (0..count)
            .map(|index| Job {
                target: Some(endpoint.target.clone()),
                endpoint: endpoint.clone(),
                route: Route::Unprobeable {
                    reason: format!("job {index}"),
                },
            })
            .collect()
    }

    #[tokio::test]
    async fn the_progress_sink_hears_each_job_start_then_finish_once() {
        for concurrency in [1, 4] {
            let jobs = offline_jobs(7);
            let (sink, mut events) = tokio::sync::mpsc::unbounded_channel();
            let evidence = run_all(&jobs, &settings(concurrency), Some(sink)).await;
            assert_eq!(evidence.len(), 7);
            let mut heard = Vec::new();
            // The channel is closed once run_all returns: this loop ends.
            while let Some(event) = events.recv().await {
                heard.push(event);
            }
            assert_eq!(heard.len(), 14, "{heard:?}");
            for index in 0..7 {
                let started = heard.iter().position(|e| *e == ProbeEvent::Started(index));
                let finished = heard.iter().position(|e| *e == ProbeEvent::Finished(index));
                assert!(
                    matches!((started, finished), (Some(s), Some(f)) if s < f),
                    "job {index}: {heard:?}"
                );
            }
            if concurrency == 1 {
                // One at a time: every start is followed by its own finish.
                for pair in heard.chunks(2) {
                    assert!(
                        matches!(pair, [ProbeEvent::Started(a), ProbeEvent::Finished(b)] if a == b),
                        "{heard:?}"
                    );
                }
            }
        }
    }

    #[tokio::test]
    async fn probes_run_the_same_without_a_sink_or_with_a_deaf_one() {
        let jobs = offline_jobs(3);
        let (sink, events) = tokio::sync::mpsc::unbounded_channel();
        drop(events);
        let deaf = run_all(&jobs, &settings(2), Some(sink)).await;
        let none = run_all(&jobs, &settings(2), None).await;
        assert_eq!(deaf.len(), 3);
        assert_eq!(none.len(), 3);
        assert!(deaf.iter().chain(&none).all(|e| e.not_probed.is_some()));
    }
}
