//! Assessment: a probe's evidence → one status, the stage it belongs to, and a line for a person.

use std::time::Duration;

use crate::catalog::{Endpoint, TrustRule};
use crate::plan::Plan;
use crate::probe::tls::TlsEvidence;
use crate::probe::{
    AuthOutcome, ConnectEvidence, DnsCause, DnsEvidence, DnsOf, Evidence, HttpEvidence, Identity,
    ProbeFailure, ProxyEvidence, Timings,
};
use crate::proxy::ContextConfig;
use crate::route::{Context, Route, RouteChoice};
use crate::status::{Stage, Status};
use crate::trust::Interception;
use crate::url::Scheme;

/// One endpoint in one context: the route it took, what happened, and the evidence.
#[derive(Clone, Debug)]
pub struct ProbeResult {
    /// The endpoint's URL as catalogued.
    pub endpoint: String,
    /// The endpoint's host as catalogued, lower case (a wildcard entry keeps its `*`).
    pub host: String,
    /// The URL actually requested (probe host and path), when it was probed.
    pub url: Option<String>,
    pub context: Context,
    pub route: RouteChoice,
    pub status: Status,
    /// The stage where the probe stopped, or the last one it completed.
    pub stage: Option<Stage>,
    /// One line for a person.
    pub detail: String,
    pub timings_ms: Timings,
    pub http_status: Option<u16>,
    pub dns: Option<DnsEvidence>,
    pub connect: Option<ConnectEvidence>,
    pub proxy: Option<ProxyEvidence>,
    pub tls: Option<TlsEvidence>,
    pub http: Option<HttpEvidence>,
    pub failure: Option<ProbeFailure>,
    /// Which identity ran the probe, when the command layer knows it: what an authentication
    /// result proves depends on it (the computer account only as SYSTEM).
    pub probed_as: Option<Identity>,
}

/// Assesses each probe's evidence and expands it to one result per context using it, in catalog
/// order, then context order.
#[must_use]
pub fn all(contexts: &[ContextConfig], plan: &Plan, evidence: Vec<Evidence>) -> Vec<ProbeResult> {
    let mut results = Vec::new();
    for (planned, evidence) in plan.probes.iter().zip(evidence) {
        let job = &planned.job;
        let (status, stage, detail) = assess(&job.endpoint, &job.route, &evidence);
        for (context, choice) in &planned.contexts {
            results.push(ProbeResult {
                endpoint: job.endpoint.url.clone(),
                host: job.endpoint.target.host.clone(),
                url: job.target.as_ref().map(ToString::to_string),
                context: *context,
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
                probed_as: None,
            });
        }
    }
    // Catalog order first, then context order, whatever order the plan grouped them in.
    let context_rank = |name: Context| contexts.iter().position(|c| c.name == name);
    let endpoint_rank = |url: &str| plan.probes.iter().position(|p| p.job.endpoint.url == url);
    results.sort_by_key(|r| (endpoint_rank(&r.endpoint), context_rank(r.context)));
    results
}

/// One status, the stage it belongs to, and a line for a person, from a probe's evidence.
#[must_use]
pub(crate) fn assess(
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
        return assess_failure(failure, route, &proxy, evidence);
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
        .filter(|a| a.outcome == AuthOutcome::Accepted)
        .map(|a| match a.account() {
            Some(account) => format!(
                "; the proxy accepted the {} credentials of {account}",
                a.scheme
            ),
            None => format!("; the proxy accepted the current logon with {}", a.scheme),
        })
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
                Interception::NotDetected { anchor } => {
                    let unconfirmed = if tls.trust.rule.confirmed() {
                        ""
                    } else {
                        confidence(tls.trust.rule)
                    };
                    format!(", chain ends in '{anchor}'{unconfirmed}")
                }
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

/// What a probe waits for in `stage`.
fn awaited(stage: Stage, proxy: &str) -> String {
    match stage {
        Stage::Dns => "DNS lookup".to_owned(),
        Stage::Connect => "TCP connect".to_owned(),
        Stage::Proxy => format!("answer from {proxy} to the CONNECT"),
        Stage::Tls => "TLS handshake".to_owned(),
        Stage::Http => "HTTP answer".to_owned(),
    }
}

/// Milliseconds as seconds, without a fraction when there is none (`115`, `2.5`).
fn seconds(ms: u64) -> String {
    Duration::from_millis(ms).as_secs_f64().to_string()
}

fn assess_failure(
    failure: &ProbeFailure,
    route: &Route,
    proxy: &str,
    evidence: &Evidence,
) -> (Status, Option<Stage>, String) {
    match failure {
        ProbeFailure::DnsFailed {
            name,
            of,
            cause,
            reason,
        } => {
            // The cause in words; the resolver's own text only when it has none.
            let detail = match (of, cause) {
                (DnsOf::Proxy, DnsCause::Other) => {
                    format!("the proxy's name {name} does not resolve ({reason})")
                }
                (DnsOf::Proxy, cause) => {
                    format!(
                        "the proxy's name {name} does not resolve ({})",
                        cause.short()
                    )
                }
                (DnsOf::Endpoint, DnsCause::Other) => format!("cannot resolve {name}: {reason}"),
                (DnsOf::Endpoint, cause) => format!("cannot resolve {name}: {}", cause.words()),
            };
            (Status::DnsFailed, Some(Stage::Dns), detail)
        }
        ProbeFailure::ConnectFailed { to, reason, .. } => {
            let whom = match route {
                Route::Proxy { .. } => format!("proxy {to}"),
                Route::Direct | Route::Unprobeable { .. } => to.clone(),
            };
            (
                Status::ConnectFailed,
                Some(Stage::Connect),
                format!("cannot connect to {whom}: {reason}"),
            )
        }
        ProbeFailure::Timeout { stage, after_ms } => (
            Status::Timeout,
            Some(*stage),
            format!("no {} within {after_ms} ms", awaited(*stage, proxy)),
        ),
        ProbeFailure::DeadlineReached { stage, deadline_ms } => (
            Status::Timeout,
            Some(*stage),
            format!(
                "the run's deadline ({} s, --deadline) ended the probe while it waited for the {}",
                seconds(*deadline_ms),
                awaited(*stage, proxy)
            ),
        ),
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
        ProbeFailure::ProxyAuthRejected {
            scheme,
            status,
            account,
        } => (
            Status::ProxyAuthRejected,
            Some(Stage::Proxy),
            format!(
                "{proxy} rejected {} with {scheme} ({status} after the last token)",
                account.as_deref().unwrap_or("the current logon")
            ),
        ),
        ProbeFailure::ProxyAuthFailed { scheme, reason } => (
            Status::ProxyAuthFailed,
            Some(Stage::Proxy),
            format!("{proxy}: the {scheme} handshake failed: {reason}"),
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

/// A caveat for rules judged against public roots, which others can also chain to, and for hosts
/// whose genuine chain is not yet known (never high confidence).
fn confidence(rule: TrustRule) -> &'static str {
    match rule {
        TrustRule::MicrosoftPublicRoots | TrustRule::PublicRoots => {
            " (public-root endpoint: lower confidence)"
        }
        TrustRule::MicrosoftUnconfirmed => {
            " (trust unconfirmed: this host's genuine chain is not yet known, any of Microsoft's \
             roots is accepted; not high confidence)"
        }
        TrustRule::MicrosoftApplicationRoot | TrustRule::None => "",
    }
}
