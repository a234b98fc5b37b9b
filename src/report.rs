//! `Report`: the data model every output renders, and the assessment of each probe's evidence
//! into one status. Knows nothing of clap, tables or sockets.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::endpoints::{Endpoint, Scheme, TrustRule};
use crate::interception::Interception;
use crate::probe::{
    ConnectEvidence, DnsEvidence, Evidence, HttpEvidence, Plan, ProbeFailure, ProxyEvidence, Stage,
    Timings, tls::TlsEvidence,
};
use crate::proxy::{ContextConfig, Route, RouteChoice};
use crate::settings::DeviceSettings;
use crate::verdict::{self, Verdict};

/// The JSON contract's version: bumped (with a CHANGELOG line) when a field is renamed or removed.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything one `check` found.
#[derive(Clone, Debug, Serialize)]
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub settings: Option<DeviceSettings>,
}

/// The machine the check ran on.
#[derive(Clone, Debug, Serialize)]
pub struct Device {
    pub name: Option<String>,
    pub os: &'static str,
}

/// Which endpoint list was probed.
#[derive(Clone, Debug, Serialize)]
pub struct CatalogInfo {
    /// `built-in` or the `--endpoints` file.
    pub origin: String,
    pub profile: String,
}

/// One endpoint in one context: the route it took, what happened, and the evidence.
#[derive(Clone, Debug, Serialize)]
pub struct ProbeResult {
    /// The endpoint's URL as catalogued.
    pub endpoint: String,
    /// The URL actually requested (probe host and path), when it was probed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub context: String,
    pub route: RouteChoice,
    pub status: Status,
    /// The stage where the probe stopped, or the last one it completed.
    pub stage: Option<Stage>,
    /// One line for a person.
    pub detail: String,
    pub timings_ms: Timings,
    pub http_status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect: Option<ConnectEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpEvidence>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<ProbeFailure>,
}

/// The stable status vocabulary (DESIGN.md, "Probe statuses").
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Ok,
    DnsFailed,
    ConnectFailed,
    Timeout,
    ProxyAuthRequired,
    ProxyAuthRejected,
    ProxyDenied,
    ProxyError,
    TlsIntercepted,
    TlsUntrusted,
    TlsFailed,
    HttpUnexpected,
    NotProbed,
}

/// What `dapreflight proxy` shows: each context's configuration and the route every endpoint
/// takes in it, without probing.
#[derive(Clone, Debug, Serialize)]
pub struct ProxyView {
    pub schema_version: u32,
    pub tool_version: &'static str,
    pub generated_at: String,
    pub device: Device,
    pub contexts: Vec<ContextConfig>,
    /// One per endpoint × context × route, in catalog order, then context order.
    pub routes: Vec<RouteRow>,
}

/// The route one context takes to one endpoint.
#[derive(Clone, Debug, Serialize)]
pub struct RouteRow {
    pub endpoint: String,
    pub context: String,
    pub route: RouteChoice,
}

impl ProxyView {
    /// Asks every context for its routes to every endpoint.
    #[must_use]
    pub fn new(endpoints: &[Endpoint], contexts: Vec<ContextConfig>) -> Self {
        let mut routes = Vec::new();
        for endpoint in endpoints {
            let probed = endpoint.probe_target();
            let target = probed.as_ref().unwrap_or(&endpoint.target);
            for context in &contexts {
                for route in context.routes_for(target) {
                    routes.push(RouteRow {
                        endpoint: endpoint.url.clone(),
                        context: context.name.clone(),
                        route,
                    });
                }
            }
        }
        Self {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            generated_at: rfc3339(SystemTime::now()),
            device: Device::current(),
            contexts,
            routes,
        }
    }
}

/// Counts over all results.
#[derive(Clone, Debug, Default, Serialize)]
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
    /// Assesses each probe's evidence and expands it to one result per context using it.
    #[must_use]
    pub fn new(
        catalog: CatalogInfo,
        contexts: Vec<ContextConfig>,
        plan: &Plan,
        evidence: Vec<Evidence>,
        settings: Option<DeviceSettings>,
        started: SystemTime,
        duration: Duration,
    ) -> Self {
        let mut results = Vec::new();
        for (planned, evidence) in plan.probes.iter().zip(evidence) {
            let (status, stage, detail) = assess(&planned.endpoint, &planned.route, &evidence);
            for (context, choice) in &planned.contexts {
                results.push(ProbeResult {
                    endpoint: planned.endpoint.url.clone(),
                    url: planned.target.as_ref().map(ToString::to_string),
                    context: context.clone(),
                    route: choice.clone(),
                    status,
                    stage,
                    detail: detail.clone(),
                    timings_ms: evidence.timings_ms,
                    http_status: evidence.http.as_ref().map(|http| http.status),
                    dns: evidence.dns.clone(),
                    connect: evidence.connect.clone(),
                    proxy: evidence.proxy.clone(),
                    tls: evidence.tls.clone(),
                    http: evidence.http.clone(),
                    failure: evidence.failure.clone(),
                });
            }
        }
        // Catalog order first, then context order, whatever order the plan grouped them in.
        let context_rank = |name: &str| contexts.iter().position(|c| c.name == name);
        let endpoint_rank = |url: &str| plan.probes.iter().position(|p| p.endpoint.url == url);
        results.sort_by_key(|r| (endpoint_rank(&r.endpoint), context_rank(&r.context)));
        let summary = Summary::of(&results, duration);
        let verdict = verdict::decide(&results, settings.as_ref());
        Self {
            schema_version: SCHEMA_VERSION,
            tool_version: env!("CARGO_PKG_VERSION"),
            generated_at: rfc3339(started),
            device: Device::current(),
            catalog,
            contexts,
            results,
            summary,
            verdict,
            settings,
        }
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

impl Status {
    /// The status's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::DnsFailed => "dns_failed",
            Status::ConnectFailed => "connect_failed",
            Status::Timeout => "timeout",
            Status::ProxyAuthRequired => "proxy_auth_required",
            Status::ProxyAuthRejected => "proxy_auth_rejected",
            Status::ProxyDenied => "proxy_denied",
            Status::ProxyError => "proxy_error",
            Status::TlsIntercepted => "tls_intercepted",
            Status::TlsUntrusted => "tls_untrusted",
            Status::TlsFailed => "tls_failed",
            Status::HttpUnexpected => "http_unexpected",
            Status::NotProbed => "not_probed",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One status, the stage it belongs to, and a line for a person, from a probe's evidence.
#[must_use]
pub fn assess(
    endpoint: &Endpoint,
    route: &Route,
    evidence: &Evidence,
) -> (Status, Option<Stage>, String) {
    if let Some(reason) = &evidence.not_probed {
        return (Status::NotProbed, None, reason.clone());
    }
    let proxy = match route {
        Route::Proxy { proxy } => format!("proxy {proxy}"),
        Route::Direct | Route::Unprobeable { .. } => "direct".to_owned(),
    };
    if let Some(failure) = &evidence.failure {
        return assess_failure(failure, &proxy, evidence);
    }
    if let Some(finding) = evidence.tls.as_ref().and_then(assess_tls) {
        return finding;
    }
    let Some(http) = &evidence.http else {
        return (
            Status::HttpUnexpected,
            Some(Stage::Http),
            "no HTTP answer was recorded".to_owned(),
        );
    };
    let answer = format!("HTTP {} {}", http.status, http.reason)
        .trim_end()
        .to_owned();
    let via_proxy = matches!(route, Route::Proxy { .. });
    let auth = evidence
        .proxy
        .as_ref()
        .and_then(|p| p.auth.as_ref())
        .filter(|a| a.accepted)
        .map(|a| format!("; the proxy accepted the {} credentials", a.scheme))
        .unwrap_or_default();
    // Through a proxy, a plain-http refusal or 5xx is the proxy's own answer as a rule (tinyproxy
    // says "500 Unable to connect", Squid "503"); marked pages (`Proxy-Agent`, `X-Squid-Error`,
    // `Proxy-Status`) prove it, others are said to be most likely the proxy's.
    if via_proxy && endpoint.target.scheme == Scheme::Http {
        let marked = http
            .headers
            .iter()
            .chain(evidence.proxy.iter().flat_map(|p| p.headers.iter()))
            .any(|h| {
                ["proxy-agent", "x-squid-error", "proxy-status"]
                    .contains(&h.name.to_ascii_lowercase().as_str())
            });
        let whose = if marked {
            ""
        } else {
            " (most likely the proxy's own answer)"
        };
        match http.status {
            403 | 451 | 511 => {
                return (
                    Status::ProxyDenied,
                    Some(Stage::Http),
                    format!("{proxy} refused the request: {answer}{whose}"),
                );
            }
            500..=599 => {
                return (
                    Status::ProxyError,
                    Some(Stage::Http),
                    format!("{proxy} could not fetch it: {answer}{whose}"),
                );
            }
            _ => {}
        }
    }
    if endpoint.reachable.contains(http.status) {
        let chain = match &evidence.tls {
            Some(tls) => match &tls.trust.verdict {
                Interception::NotDetected { anchor } => format!(", chain ends in '{anchor}'"),
                _ => String::new(),
            },
            None => ", plain http".to_owned(),
        };
        return (
            Status::Ok,
            Some(Stage::Http),
            format!("{answer}{chain}{auth}"),
        );
    }
    (
        Status::HttpUnexpected,
        Some(Stage::Http),
        format!("{answer} is not an answer this endpoint gives when reachable{auth}"),
    )
}

fn assess_failure(
    failure: &ProbeFailure,
    proxy: &str,
    evidence: &Evidence,
) -> (Status, Option<Stage>, String) {
    match failure {
        ProbeFailure::DnsFailed { name, reason } => (
            Status::DnsFailed,
            Some(Stage::Dns),
            format!("cannot resolve {name}: {reason}"),
        ),
        ProbeFailure::ConnectFailed { to, reason } => (
            Status::ConnectFailed,
            Some(Stage::Connect),
            format!("cannot connect to {to}: {reason}"),
        ),
        ProbeFailure::Timeout { stage, after_ms } => {
            let what = match stage {
                Stage::Dns => "DNS lookup".to_owned(),
                Stage::Connect => "TCP connect".to_owned(),
                Stage::Proxy => format!("answer from {proxy} to the CONNECT"),
                Stage::Tls => "TLS handshake".to_owned(),
                Stage::Http => "HTTP answer".to_owned(),
            };
            (
                Status::Timeout,
                Some(*stage),
                format!("no {what} within {after_ms} ms"),
            )
        }
        ProbeFailure::ProxyAuthRequired { schemes } => {
            let offered = if schemes.is_empty() {
                "no scheme named".to_owned()
            } else {
                schemes.join(", ")
            };
            (
                Status::ProxyAuthRequired,
                Some(Stage::Proxy),
                format!("{proxy} demands authentication (407), offering {offered}"),
            )
        }
        ProbeFailure::ProxyAuthRejected { scheme, status } => (
            Status::ProxyAuthRejected,
            Some(Stage::Proxy),
            format!(
                "{proxy} rejected the {scheme} credentials from DAPREFLIGHT_PROXY_USER ({status})"
            ),
        ),
        ProbeFailure::ProxyDenied { reason, .. } => (
            Status::ProxyDenied,
            Some(Stage::Proxy),
            format!("{proxy} refused: {reason}"),
        ),
        ProbeFailure::ProxyError { reason, .. } => (
            Status::ProxyError,
            Some(Stage::Proxy),
            format!("{proxy} failed: {reason}"),
        ),
        ProbeFailure::TlsFailed { reason } => (Status::TlsFailed, Some(Stage::Tls), reason.clone()),
        ProbeFailure::HttpFailed { reason } => {
            let after = if evidence.tls.is_some() {
                " (after a good TLS handshake)"
            } else {
                ""
            };
            (
                Status::HttpUnexpected,
                Some(Stage::Http),
                format!("{reason}{after}"),
            )
        }
    }
}

impl Device {
    fn current() -> Self {
        let name = std::env::var("COMPUTERNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty());
        Self {
            name,
            os: std::env::consts::OS,
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

/// The finding a judged chain makes, if any.
fn assess_tls(tls: &TlsEvidence) -> Option<(Status, Option<Stage>, String)> {
    match &tls.trust.verdict {
        Interception::NotDetected { .. } => None,
        Interception::Detected {
            issuer,
            anchor,
            product,
        } => {
            let by = product
                .as_ref()
                .map(|p| format!(" by {p}"))
                .unwrap_or_default();
            let root = if anchor == issuer {
                String::new()
            } else {
                format!(" under '{anchor}'")
            };
            Some((
                Status::TlsIntercepted,
                Some(Stage::Tls),
                format!(
                    "SSL inspection{by}: issued by '{issuer}'{root}, trusted only through this \
                     device's store{}",
                    confidence(tls.trust.rule)
                ),
            ))
        }
        Interception::Untrusted {
            issuer,
            product,
            reason,
        } => {
            let product = product
                .as_ref()
                .map(|p| format!(" (looks like {p})"))
                .unwrap_or_default();
            Some((
                Status::TlsUntrusted,
                Some(Stage::Tls),
                format!(
                    "untrusted chain issued by '{issuer}'{product}: {reason}{}",
                    confidence(tls.trust.rule)
                ),
            ))
        }
        Interception::WrongName { host, names } => Some((
            Status::TlsUntrusted,
            Some(Stage::Tls),
            format!(
                "certificate is not valid for {host} (it names {})",
                if names.is_empty() {
                    "no host".to_owned()
                } else {
                    names.join(", ")
                }
            ),
        )),
        Interception::Inconclusive { reason } => Some((
            Status::TlsUntrusted,
            Some(Stage::Tls),
            format!("chain could not be judged: {reason}"),
        )),
    }
}

/// A caveat for rules judged against public roots, which others can also chain to.
fn confidence(rule: TrustRule) -> &'static str {
    match rule {
        TrustRule::MicrosoftPublicRoots | TrustRule::PublicRoots => {
            " (public-root endpoint: lower confidence)"
        }
        TrustRule::MicrosoftApplicationRoot | TrustRule::None => "",
    }
}
