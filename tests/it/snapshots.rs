//! What users read, pinned: the table, the verdict text and the JSON of a few fixed scenarios.
//!
//! Each scenario builds its contexts from a device export (or a flag) through the library, plans
//! the probes as `check` would, and hands the planner's probes hand-built evidence: no network,
//! a fixed clock and fixed addresses, so every rendering is byte-for-byte the same on every run.

use std::path::PathBuf;
use std::time::{Duration, UNIX_EPOCH};

use dapreflight::DeviceFiles;
use dapreflight::DeviceSettings;
use dapreflight::Job;
use dapreflight::Scheme;
use dapreflight::Stage;
use dapreflight::TlsEvidence;
use dapreflight::{CatalogInfo, Device, DeviceSource, ProxyView, RanOn, Report, wire};
use dapreflight::{CertificateInfo, Interception, TrustAssessment};
use dapreflight::{
    Challenge, ConnectEvidence, DnsEvidence, Evidence, HttpEvidence, ProbeFailure, ProxyEvidence,
    Timings,
};
use dapreflight::{ConnectCause, DnsCause, DnsOf};
use dapreflight::{ContextChoice, ProxyOverride, ProxySources};
use dapreflight::{Endpoint, TrustRule};
use dapreflight::{Format, Style};
use dapreflight::{ProxyAddr, Route};

/// How the hand-built evidence for one planned probe goes.
#[derive(Clone, Copy)]
pub(crate) enum Outcome {
    /// Answered with this HTTP status; TLS ends in the expected root.
    Answer(u16),
    /// The proxy answered 407 with these schemes.
    Auth(&'static [&'static str]),
    /// Re-signed by a Zscaler inspection CA the device trusts.
    Intercepted,
    /// Signed by a CA nobody trusts.
    Untrusted,
    DnsFailed,
    /// No DNS server reachable: no network at all.
    NoNetwork,
    ConnectRefused,
    Timeout(Stage),
    Denied(u16),
}

/// A fixture by its path relative to the package (the tests' working directory), so the
/// origins the report prints are the same in every checkout.
pub(crate) fn testdata(name: &str) -> PathBuf {
    PathBuf::from("testdata").join(name)
}

/// The width the pinned renderings are laid out for: wide enough that table rows stay one line.
const PINNED_WIDTH: u16 = 200;

pub(crate) fn style(format: Format, width: u16) -> Style {
    Style {
        format,
        color: false,
        width,
        verbose: false,
    }
}

fn certificate(subject: &str, issuer: &str, is_ca: bool, names: &[&str]) -> CertificateInfo {
    CertificateInfo {
        subject: subject.to_owned(),
        issuer: issuer.to_owned(),
        serial: "0a1b2c3d".to_owned(),
        not_before: "2026-01-01T00:00:00Z".to_owned(),
        not_after: "2027-01-01T00:00:00Z".to_owned(),
        spki_sha256: "5f".repeat(32),
        is_ca,
        dns_names: names.iter().map(|n| (*n).to_owned()).collect(),
        dns_names_omitted: 0,
    }
}

fn tls(host: &str, rule: TrustRule, verdict: Interception, issuer: &str) -> TlsEvidence {
    TlsEvidence {
        server_name: host.to_owned(),
        version: "TLSv1.3".to_owned(),
        cipher_suite: "TLS13_AES_256_GCM_SHA384".to_owned(),
        chain: vec![
            certificate(&format!("CN={host}"), issuer, false, &[host]),
            certificate(issuer, issuer, true, &[]),
        ],
        trust: TrustAssessment { rule, verdict },
    }
}

/// The evidence `outcome` leaves for one planned probe, with fixed timings and addresses.
#[expect(clippy::too_many_lines, reason = "one arm per outcome")]
fn evidence(planned: &Job, outcome: Outcome) -> Evidence {
    let Some(target) = &planned.target else {
        return Evidence {
            not_probed: Some(format!(
                "wildcard entry {}: cannot be probed; allow the pattern",
                planned.endpoint.url
            )),
            ..Evidence::default()
        };
    };
    let host = target.host.clone();
    let rule = planned.endpoint.trust;
    let proxy = match &planned.route {
        Route::Proxy { proxy } => Some(proxy.clone()),
        _ => None,
    };
    let mut evidence = Evidence {
        timings_ms: Timings {
            dns: Some(3),
            connect: Some(11),
            proxy: proxy.as_ref().map(|_| 25),
            tls: None,
            http: None,
            total: 39,
        },
        dns: Some(DnsEvidence {
            name: proxy.as_ref().map_or(host.clone(), |p| p.host.clone()),
            addresses: vec!["192.0.2.10".parse().expect("an address")],
            source: "resolver".to_owned(),
        }),
        connect: Some(ConnectEvidence {
            peer: "192.0.2.10:443".parse().expect("an address"),
            failed: Vec::new(),
        }),
        ..Evidence::default()
    };
    let proxy_answer = |status: u16, schemes: &[&str]| {
        proxy.as_ref().map(|address| ProxyEvidence {
            address: address.clone(),
            request: format!("CONNECT {}", target.authority()),
            status: Some(status),
            status_line: Some(format!("HTTP/1.1 {status}")),
            headers: Vec::new(),
            challenges: schemes
                .iter()
                .map(|scheme| Challenge {
                    scheme: (*scheme).to_owned(),
                    params: Vec::new(),
                })
                .collect(),
            auth: None,
        })
    };
    let genuine = || {
        tls(
            &host,
            rule,
            Interception::NotDetected {
                anchor: "Microsoft Root Certificate Authority 2011".to_owned(),
            },
            "CN=Microsoft Root Certificate Authority 2011",
        )
    };
    match outcome {
        Outcome::Answer(status) => {
            evidence.proxy = proxy_answer(200, &[]);
            if target.scheme == Scheme::Https {
                evidence.tls = Some(genuine());
                evidence.timings_ms.tls = Some(20);
            }
            evidence.timings_ms.http = Some(5);
            evidence.http = Some(HttpEvidence {
                request: format!("GET {}", target.path),
                status,
                reason: if status == 404 { "Not Found" } else { "OK" }.to_owned(),
                headers: Vec::new(),
            });
        }
        Outcome::Auth(schemes) => {
            evidence.proxy = proxy_answer(407, schemes);
            evidence.failure = Some(ProbeFailure::ProxyAuthRequired {
                schemes: schemes.iter().map(|s| (*s).to_owned()).collect(),
            });
        }
        Outcome::Intercepted => {
            evidence.proxy = proxy_answer(200, &[]);
            evidence.tls = Some(tls(
                &host,
                rule,
                Interception::Detected {
                    issuer: "Zscaler Intermediate Root CA".to_owned(),
                    anchor: "Zscaler Root CA".to_owned(),
                    product: Some("Zscaler".to_owned()),
                },
                "CN=Zscaler Intermediate Root CA",
            ));
        }
        Outcome::Untrusted => {
            evidence.tls = Some(tls(
                &host,
                rule,
                Interception::Untrusted {
                    issuer: "Unknown Middlebox CA".to_owned(),
                    product: None,
                    reason: "no trusted root".to_owned(),
                },
                "CN=Unknown Middlebox CA",
            ));
        }
        Outcome::DnsFailed => {
            evidence.dns = None;
            evidence.connect = None;
            evidence.failure = Some(ProbeFailure::DnsFailed {
                name: host,
                of: DnsOf::Endpoint,
                cause: DnsCause::NxDomain,
                reason: "no such name".to_owned(),
            });
        }
        Outcome::NoNetwork => {
            evidence.dns = None;
            evidence.connect = None;
            evidence.failure = Some(ProbeFailure::DnsFailed {
                name: host,
                of: DnsOf::Endpoint,
                cause: DnsCause::NoServer,
                reason: "no connections available".to_owned(),
            });
        }
        Outcome::ConnectRefused => {
            evidence.connect = None;
            evidence.failure = Some(ProbeFailure::ConnectFailed {
                to: "192.0.2.10:443".to_owned(),
                cause: ConnectCause::Refused,
                reason: "connection refused".to_owned(),
            });
        }
        Outcome::Timeout(stage) => {
            evidence.failure = Some(ProbeFailure::Timeout {
                stage,
                after_ms: 5000,
            });
        }
        Outcome::Denied(status) => {
            evidence.proxy = proxy_answer(status, &[]);
            evidence.failure = Some(ProbeFailure::ProxyDenied {
                status,
                reason: format!("HTTP {status} Forbidden"),
            });
        }
    }
    evidence
}

/// Contexts from `sources`, probes planned as `check` plans them, evidence from `outcome`.
pub(crate) async fn report(
    sources: ProxySources,
    files: &DeviceFiles,
    // Boxed: held across an await, the settings would make every caller's future large.
    settings: Option<Box<DeviceSettings>>,
    outcome: impl Fn(&Endpoint, &Route) -> Outcome,
) -> Report {
    let catalog = dapreflight::load_catalog(None).expect("the built-in catalog");
    let endpoints = catalog.select("desktop-analytics").expect("the profile");
    let sources = dapreflight::read_device(&sources, files).expect("the device export");
    let contexts = dapreflight::discover_contexts(&sources.sources)
        .await
        .expect("the contexts");
    let plan = dapreflight::plan(&endpoints, &contexts);
    let evidence = plan
        .probes
        .iter()
        .map(|planned| {
            evidence(
                &planned.job,
                outcome(&planned.job.endpoint, &planned.job.route),
            )
        })
        .collect();
    let results = dapreflight::assess_all(&contexts, &plan, evidence);
    let verdict = dapreflight::decide(&results, settings.as_deref());
    crate::verdict::assert_true_of_the_results("snapshot", &verdict, &results);
    let mut report = Report::new(
        CatalogInfo {
            origin: catalog.origin,
            profile: "desktop-analytics".to_owned(),
        },
        contexts,
        results,
        verdict,
        settings.map(|settings| *settings),
        UNIX_EPOCH + Duration::from_secs(1_796_000_000),
        Duration::from_millis(412),
    );
    report.device = fixed_device();
    report
}

fn fixed_device() -> Device {
    Device {
        name: Some("PC-0042".to_owned()),
        domain: Some("corp.example".to_owned()),
        os: Some("Windows 11 Enterprise 23H2".to_owned()),
        build: Some("22631.3296".to_owned()),
        source: DeviceSource::Export,
        ran_on: RanOn {
            name: Some("analyst-laptop".to_owned()),
            os: "linux",
            is_device: false,
        },
    }
}

pub(crate) fn device_export(
    name: &str,
) -> (ProxySources, DeviceFiles, Option<Box<DeviceSettings>>) {
    let files = DeviceFiles {
        registry: vec![testdata(name)],
        netsh: Vec::new(),
    };
    let sources = ProxySources {
        timeout: Duration::from_secs(2),
        ..ProxySources::default()
    };
    let device = dapreflight::read_device(&sources, &files).expect("the device export");
    let settings = device.settings().map(Box::new);
    (sources, files, settings)
}

pub(crate) fn flag(flag: ProxyOverride) -> ProxySources {
    ProxySources {
        flag,
        contexts: ContextChoice::Both,
        timeout: Duration::from_secs(2),
        ..ProxySources::default()
    }
}

/// What `check --format FORMAT` prints for `report` on a terminal `width` columns wide (the first
/// screen is the first 25 lines of `rendered(report, Format::Table, 80)`).
pub fn rendered(report: &Report, format: Format, width: u16) -> String {
    let mut out = Vec::new();
    dapreflight::render(report, style(format, width), &mut out).expect("rendering to memory");
    String::from_utf8(out).expect("UTF-8")
}

fn verdict_text(report: &Report) -> String {
    let mut out = Vec::new();
    dapreflight::render_verdict(
        &report.verdict,
        report.settings.as_ref(),
        style(Format::Table, PINNED_WIDTH),
        &mut out,
    )
    .expect("rendering to memory");
    String::from_utf8(out).expect("UTF-8")
}

/// Snapshots the table, the verdict text and the JSON of one scenario.
fn pin(name: &str, report: &Report) {
    insta::assert_snapshot!(
        format!("{name}.table"),
        rendered(report, Format::Table, PINNED_WIDTH)
    );
    insta::assert_snapshot!(format!("{name}.verdict"), verdict_text(report));
    let json = rendered(report, Format::Json, PINNED_WIDTH);
    crate::wire::assert_reads_back::<wire::Report>(&json);
    insta::assert_snapshot!(format!("{name}.json"), json);
}

pub(crate) fn host(endpoint: &Endpoint) -> &str {
    &endpoint.target.host
}

#[tokio::test]
async fn direct_device_that_reaches_everything_is_ready_for_bypass() {
    let (_, _, settings) = device_export("settings/win11-enrolled.reg");
    let report = report(
        flag(ProxyOverride::Direct),
        &DeviceFiles::default(),
        settings,
        |endpoint, _| {
            if host(endpoint).starts_with("v10c") {
                Outcome::Answer(200)
            } else {
                Outcome::Answer(404)
            }
        },
    )
    .await;
    pin("bypass_ready", &report);
}

/// The snapshot device export: its system proxy asks for Negotiate/NTLM, the user's proxy gets
/// through, direct connections are refused.
pub(crate) async fn only_the_user_gets_through() -> Report {
    let (sources, files, settings) = device_export("registry/snapshot-device.synthetic.reg");
    report(sources, &files, settings, |_, route| match route {
        Route::Proxy { proxy } if proxy.host == "proxy.corp.example" => {
            Outcome::Auth(&["Negotiate", "NTLM"])
        }
        Route::Proxy { .. } => Outcome::Answer(404),
        _ => Outcome::ConnectRefused,
    })
    .await
}

#[tokio::test]
async fn device_export_with_an_authenticating_system_proxy_points_to_device_auth() {
    pin("device_auth", &only_the_user_gets_through().await);
}

/// Everything through `--proxy inspect.corp.example:3128`, which re-signs every https endpoint
/// with a Zscaler CA; plain http answers.
pub(crate) async fn through_an_inspecting_proxy() -> Report {
    let proxy = ProxyAddr::parse("inspect.corp.example:3128").expect("a proxy");
    report(
        flag(ProxyOverride::Proxy(proxy)),
        &DeviceFiles::default(),
        None,
        |endpoint, _| {
            if endpoint.url.starts_with("http://") {
                Outcome::Answer(200)
            } else {
                Outcome::Intercepted
            }
        },
    )
    .await
}

#[tokio::test]
async fn inspecting_proxy_is_named_and_nothing_fits() {
    pin("intercepted", &through_an_inspecting_proxy().await);
}

#[tokio::test]
async fn every_kind_of_failure_has_its_status_and_detail() {
    let proxy = ProxyAddr::parse("proxy.corp.example:8080").expect("a proxy");
    let outcomes = [
        Outcome::DnsFailed,
        Outcome::Timeout(Stage::Tls),
        Outcome::Untrusted,
        Outcome::Denied(403),
        Outcome::Answer(500),
        Outcome::Auth(&["Basic"]),
        Outcome::Timeout(Stage::Proxy),
        Outcome::Answer(200),
    ];
    let cycle = std::cell::Cell::new(0usize);
    let report = report(
        flag(ProxyOverride::Proxy(proxy)),
        &DeviceFiles::default(),
        None,
        |_, _| {
            let i = cycle.get();
            cycle.set(i + 1);
            outcomes[i % outcomes.len()]
        },
    )
    .await;
    assert!(cycle.get() >= outcomes.len(), "every outcome was used");
    pin("failures", &report);
}

#[tokio::test]
async fn proxy_view_of_a_device_export() {
    let (sources, files, _) = device_export("registry/snapshot-device.synthetic.reg");
    let catalog = dapreflight::load_catalog(None).expect("the built-in catalog");
    let endpoints = catalog.select("desktop-analytics").expect("the profile");
    let sources = dapreflight::read_device(&sources, &files).expect("the device export");
    let contexts = dapreflight::discover_contexts(&sources.sources)
        .await
        .expect("the contexts");
    let mut view = ProxyView::new(&endpoints, contexts);
    view.generated_at = "2026-11-29T00:00:00Z".to_owned();
    view.device = fixed_device();
    for format in [Format::Table, Format::Json] {
        let mut out = Vec::new();
        dapreflight::render_proxy(&view, style(format, PINNED_WIDTH), &mut out)
            .expect("rendering to memory");
        let text = String::from_utf8(out).expect("UTF-8");
        if format == Format::Json {
            crate::wire::assert_reads_back::<wire::ProxyView>(&text);
        }
        insta::assert_snapshot!(format!("proxy_view.{format:?}").to_lowercase(), text);
    }
}
