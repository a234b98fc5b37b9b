//! The verdict, scenario by scenario, from hand-built probe results and device settings.

use dapreflight::Answer;
use dapreflight::ProbeResult;
use dapreflight::Stage;
use dapreflight::Status;
use dapreflight::TlsEvidence;
use dapreflight::TrustRule;
use dapreflight::keys;
use dapreflight::wire;
use dapreflight::{Approach, Ref, Verdict};
use dapreflight::{Challenge, ProbeFailure, ProxyEvidence, Timings};
use dapreflight::{Context, ProxyAddr, Route, RouteChoice};
use dapreflight::{DeviceSettings, Setting, Source};
use dapreflight::{Interception, TrustAssessment};
use dapreflight::{Origin, RegistrySnapshot, ValueData};

const V10C: &str = "https://v10c.events.data.microsoft.com";
const SETTINGS: &str = "https://settings-win.data.microsoft.com";
const WATCAB: &str = "https://ceuswatcab01.blob.core.windows.net";
const VORTEX: &str = "https://v10.vortex-win.data.microsoft.com";
const ENDPOINTS: [&str; 3] = [V10C, SETTINGS, WATCAB];
const PROXY: &str = "proxy.corp.example:8080";

/// How one probe went.
#[derive(Clone, Copy)]
enum Outcome {
    Ok,
    /// 407 offering these schemes.
    Auth(&'static [&'static str]),
    /// Re-signed by an inspection CA.
    Intercepted,
    ConnectFailed,
    DnsFailed,
    Timeout(Stage),
    Denied(u16),
    NotProbed,
}

#[expect(clippy::too_many_lines, reason = "one arm per outcome")]
fn result(endpoint: &str, context: &str, route: Option<&str>, outcome: Outcome) -> ProbeResult {
    let route = match route {
        Some(proxy) => Route::Proxy {
            proxy: ProxyAddr::parse(proxy).expect("valid proxy"),
        },
        None => Route::Direct,
    };
    let host = endpoint.trim_start_matches("https://").to_owned();
    let rule = if host.ends_with(".blob.core.windows.net") {
        TrustRule::MicrosoftPublicRoots
    } else {
        TrustRule::MicrosoftApplicationRoot
    };
    let proxy_evidence = |status: u16, schemes: &[&str]| {
        Some(ProxyEvidence {
            address: ProxyAddr::parse(PROXY).expect("valid proxy"),
            request: format!("CONNECT {host}:443"),
            status: Some(status),
            status_line: None,
            headers: Vec::new(),
            challenges: schemes
                .iter()
                .map(|s| Challenge {
                    scheme: (*s).to_owned(),
                    params: Vec::new(),
                })
                .collect(),
            auth: None,
        })
    };
    let mut r = ProbeResult {
        endpoint: endpoint.to_owned(),
        host: host.clone(),
        url: Some(format!("{endpoint}/")),
        context: match context {
            "user" => Context::User,
            "explicit" => Context::Explicit,
            _ => Context::System,
        },
        route: RouteChoice {
            route,
            source: format!("{context} settings"),
            pac: None,
        },
        status: Status::Ok,
        stage: Some(Stage::Http),
        detail: "HTTP 404 Not Found".to_owned(),
        timings_ms: Timings::default(),
        http_status: Some(404),
        dns: None,
        connect: None,
        proxy: None,
        tls: None,
        http: None,
        failure: None,
    };
    match outcome {
        Outcome::Ok => {}
        Outcome::Auth(schemes) => {
            r.status = Status::ProxyAuthRequired;
            r.stage = Some(Stage::Proxy);
            r.detail = format!("proxy {PROXY} demands authentication (407)");
            r.http_status = None;
            r.proxy = proxy_evidence(407, schemes);
            r.failure = Some(ProbeFailure::ProxyAuthRequired {
                schemes: schemes.iter().map(|s| (*s).to_owned()).collect(),
            });
        }
        Outcome::Intercepted => {
            r.status = Status::TlsIntercepted;
            r.stage = Some(Stage::Tls);
            r.detail = String::from("SSL inspection by Zscaler");
            r.tls = Some(TlsEvidence {
                server_name: host.clone(),
                version: "TLSv1.2".to_owned(),
                cipher_suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".to_owned(),
                chain: Vec::new(),
                trust: TrustAssessment {
                    rule,
                    verdict: Interception::Detected {
                        issuer: "Zscaler Intermediate Root CA".to_owned(),
                        anchor: "Zscaler Root CA".to_owned(),
                        product: Some("Zscaler".to_owned()),
                    },
                },
            });
        }
        Outcome::ConnectFailed => {
            r.status = Status::ConnectFailed;
            r.stage = Some(Stage::Connect);
            r.detail = format!("cannot connect to {host}:443: connection refused");
            r.failure = Some(ProbeFailure::ConnectFailed {
                to: format!("{host}:443"),
                reason: "connection refused".to_owned(),
            });
        }
        Outcome::DnsFailed => {
            r.status = Status::DnsFailed;
            r.stage = Some(Stage::Dns);
            r.detail = format!("cannot resolve {host}: no such name");
            r.failure = Some(ProbeFailure::DnsFailed {
                name: host.clone(),
                reason: "no such name".to_owned(),
            });
        }
        Outcome::Timeout(stage) => {
            r.status = Status::Timeout;
            r.stage = Some(stage);
            r.detail = String::from("no answer within 5000 ms");
            r.failure = Some(ProbeFailure::Timeout {
                stage,
                after_ms: 5000,
            });
        }
        Outcome::Denied(status) => {
            r.status = Status::ProxyDenied;
            r.stage = Some(Stage::Proxy);
            r.detail = format!("proxy {PROXY} refused: {status}");
            r.proxy = proxy_evidence(status, &[]);
            r.failure = Some(ProbeFailure::ProxyDenied {
                status,
                reason: format!("HTTP {status}"),
            });
        }
        Outcome::NotProbed => {
            r.status = Status::NotProbed;
            r.stage = None;
            r.detail = String::from("wildcard entry: cannot be probed");
            r.http_status = None;
        }
    }
    r
}

/// Every catalog endpoint in `context`, all with the same outcome.
fn all(context: &str, route: Option<&str>, outcome: &Outcome) -> Vec<ProbeResult> {
    ENDPOINTS
        .iter()
        .map(|e| result(e, context, route, *outcome))
        .collect()
}

fn origin() -> Origin {
    Origin {
        source: "device.reg".to_owned(),
        line: Some(1),
    }
}

/// A Windows 11 device set up for Desktop Analytics, a user signed in; `edit` changes it.
fn device(edit: impl FnOnce(&mut RegistrySnapshot)) -> DeviceSettings {
    let mut registry = RegistrySnapshot::new();
    let set = |r: &mut RegistrySnapshot, path: &str, name: &str, data: ValueData| {
        r.set(path, name, data, origin());
    };
    set(
        &mut registry,
        keys::CURRENT_VERSION_KEY,
        "CurrentBuild",
        ValueData::String("22631".into()),
    );
    set(
        &mut registry,
        keys::CURRENT_VERSION_KEY,
        "ProductName",
        ValueData::String("Windows 10 Enterprise".into()),
    );
    set(
        &mut registry,
        keys::POLICY_KEY,
        "AllowTelemetry",
        ValueData::Dword(1),
    );
    set(
        &mut registry,
        keys::POLICY_KEY,
        "AllowDeviceNameInTelemetry",
        ValueData::Dword(1),
    );
    set(
        &mut registry,
        keys::LOCAL_KEY,
        "CommercialId",
        ValueData::String("4a1e5c2b-7d3f-4e8a-9b6c-0d2f1e3a5b7c".into()),
    );
    set(
        &mut registry,
        keys::DIAGTRACK_KEY,
        "Start",
        ValueData::Dword(2),
    );
    edit(&mut registry);
    let mut settings = dapreflight::read_settings(&registry);
    settings.console_user = signed_in(Answer::Yes);
    settings
}

fn signed_in(answer: Answer) -> Setting<Answer> {
    Setting {
        name: "signed-in user",
        value: Some(answer),
        source: Source::Live {
            what: "test".to_owned(),
        },
        meaning: String::new(),
    }
}

fn dword(path: &'static str, name: &'static str, value: u32) -> impl FnOnce(&mut RegistrySnapshot) {
    move |r| r.set(path, name, ValueData::Dword(value), origin())
}

fn defender(r: &mut RegistrySnapshot) {
    r.set(
        keys::ATP_STATUS_KEY,
        "OnboardingState",
        ValueData::Dword(1),
        origin(),
    );
    r.set(keys::SENSE_KEY, "Start", ValueData::Dword(2), origin());
    r.set(
        keys::POLICY_KEY,
        "DisableEnterpriseAuthProxy",
        ValueData::Dword(1),
        origin(),
    );
}

/// Everything shown (`--verbose`), wide enough that no reason wraps.
fn wide() -> dapreflight::Style {
    dapreflight::Style {
        width: 1000,
        verbose: true,
        ..dapreflight::Style::default()
    }
}

fn text(verdict: &Verdict) -> String {
    let mut out = Vec::new();
    dapreflight::render_verdict(verdict, None, wide(), &mut out).expect("rendering to memory");
    String::from_utf8(out).expect("UTF-8")
}

struct Scenario {
    name: &'static str,
    results: Vec<ProbeResult>,
    settings: Option<DeviceSettings>,
    approach: Approach,
    ready: bool,
    /// Text the rendered verdict must contain.
    says: &'static [&'static str],
}

#[expect(clippy::too_many_lines, reason = "the scenario table")]
fn scenarios() -> Vec<Scenario> {
    let negotiate: &[&str] = &["Negotiate", "NTLM"];
    let basic: &[&str] = &["Basic"];
    let user_ok = || all("user", Some(PROXY), &Outcome::Ok);
    let sys_direct_fails = || all("system", None, &Outcome::ConnectFailed);
    let mut one_blocked = all("system", Some(PROXY), &Outcome::Ok);
    one_blocked[1] = result(SETTINGS, "system", Some(PROXY), Outcome::ConnectFailed);
    let mut one_blocked_user = all("user", Some(PROXY), &Outcome::Ok);
    one_blocked_user[1] = result(SETTINGS, "user", Some(PROXY), Outcome::ConnectFailed);
    one_blocked.extend(one_blocked_user);
    let headless = {
        let mut s = device(|_| {});
        s.console_user = signed_in(Answer::No);
        s
    };
    vec![
        Scenario {
            name: "clean system context",
            results: [all("system", None, &Outcome::Ok), user_ok()].concat(),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: true,
            says: &["READY — bypass", "recommended bypass approach"],
        },
        Scenario {
            name: "device auth with Negotiate",
            results: [
                all("system", Some(PROXY), &Outcome::Auth(negotiate)),
                all("user", Some(PROXY), &Outcome::Auth(negotiate)),
            ]
            .concat(),
            settings: Some(device(|_| {})),
            approach: Approach::Device,
            ready: false,
            says: &[
                "NOT READY — approach: device",
                "computer accounts",
                "status code 407",
                "do not require authentication",
            ],
        },
        Scenario {
            name: "Basic-only authentication",
            results: [
                all("system", Some(PROXY), &Outcome::Auth(basic)),
                all("user", Some(PROXY), &Outcome::Auth(basic)),
            ]
            .concat(),
            settings: Some(device(|_| {})),
            approach: Approach::None,
            ready: false,
            says: &[
                "only Basic",
                "does not send Basic",
                "v10c.events.data.microsoft.com",
            ],
        },
        Scenario {
            name: "user only, DisableEnterpriseAuthProxy 0",
            results: [sys_direct_fails(), user_ok()].concat(),
            settings: Some(device(dword(
                keys::POLICY_KEY,
                "DisableEnterpriseAuthProxy",
                0,
            ))),
            approach: Approach::User,
            ready: true,
            says: &[
                "READY — user",
                "Only the signed-in user's context gets through",
                "netsh winhttp set proxy proxy-server=\"proxy.corp.example:8080\"",
            ],
        },
        Scenario {
            name: "user only, DisableEnterpriseAuthProxy 1",
            results: [sys_direct_fails(), user_ok()].concat(),
            settings: Some(device(dword(
                keys::POLICY_KEY,
                "DisableEnterpriseAuthProxy",
                1,
            ))),
            approach: Approach::User,
            ready: false,
            says: &[
                "as Defender for Endpoint and CIS L2",
                "Check user proxy (code 30)",
                r#"reg add "HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection" /v DisableEnterpriseAuthProxy /t REG_DWORD /d 0 /f"#,
                "Configure Authenticated Proxy usage for the Connected User Experience",
            ],
        },
        Scenario {
            name: "user only, DisableEnterpriseAuthProxy absent",
            results: [sys_direct_fails(), user_ok()].concat(),
            settings: Some(device(|_| {})),
            approach: Approach::User,
            ready: true,
            says: &["READY — user"],
        },
        Scenario {
            name: "user only with Defender for Endpoint onboarded",
            results: [sys_direct_fails(), user_ok()].concat(),
            settings: Some(device(defender)),
            approach: Approach::None,
            ready: false,
            says: &[
                "Defender for Endpoint is on this device",
                "needs DisableEnterpriseAuthProxy = 1",
            ],
        },
        Scenario {
            name: "CIS L2 hardening with a clean system context",
            results: all("system", None, &Outcome::Ok),
            settings: Some(device(dword(
                keys::POLICY_KEY,
                "DisableEnterpriseAuthProxy",
                1,
            ))),
            approach: Approach::Bypass,
            ready: true,
            says: &["set to 1 (as Defender for Endpoint and CIS L2 require)"],
        },
        Scenario {
            name: "headless device with only the user context",
            results: [sys_direct_fails(), user_ok()].concat(),
            settings: Some(headless),
            approach: Approach::None,
            ready: false,
            says: &["headless"],
        },
        Scenario {
            name: "interception of pinned endpoints",
            results: [
                all("system", Some(PROXY), &Outcome::Intercepted),
                all("user", Some(PROXY), &Outcome::Intercepted),
            ]
            .concat(),
            settings: Some(device(|_| {})),
            approach: Approach::None,
            ready: false,
            says: &[
                "certificate pinning",
                "lower confidence",
                "Exclude these hosts from SSL inspection on Zscaler",
                "Windows diagnostic endpoint connectivity (code 12)",
            ],
        },
        Scenario {
            name: "one endpoint blocked in both contexts",
            results: one_blocked,
            settings: Some(device(|_| {})),
            approach: Approach::None,
            ready: false,
            says: &[
                "settings-win.data.microsoft.com is blocked in both contexts at connect",
                "allow them through the firewall and the proxy",
            ],
        },
        Scenario {
            name: "DNS failure",
            results: all("system", None, &Outcome::DnsFailed),
            settings: Some(device(|_| {})),
            approach: Approach::None,
            ready: false,
            says: &["at DNS", "nslookup v10c.events.data.microsoft.com"],
        },
        Scenario {
            name: "proxy denial and timeout name their hop",
            results: vec![
                result(V10C, "system", Some(PROXY), Outcome::Denied(451)),
                result(
                    SETTINGS,
                    "system",
                    Some(PROXY),
                    Outcome::Timeout(Stage::Tls),
                ),
                result(WATCAB, "system", Some(PROXY), Outcome::Ok),
            ],
            settings: Some(device(|_| {})),
            approach: Approach::None,
            ready: false,
            says: &[
                "a denial by proxy proxy.corp.example:8080",
                "status code 451 (Unavailable for legal reasons)",
                "a timeout at the tls stage",
            ],
        },
        Scenario {
            name: "per-machine proxy policy",
            results: all("system", Some(PROXY), &Outcome::Ok),
            settings: Some(device(dword(
                keys::INTERNET_POLICY_KEY,
                "ProxySettingsPerUser",
                0,
            ))),
            approach: Approach::Bypass,
            ready: true,
            says: &["per-machine proxy policy", "known documentation error"],
        },
        Scenario {
            name: "explicit context run without settings",
            results: all("explicit", Some(PROXY), &Outcome::Ok),
            settings: None,
            approach: Approach::Bypass,
            ready: true,
            says: &[
                "'explicit' context was taken as the system context",
                "No device settings were read",
            ],
        },
        Scenario {
            name: "diagnostic data off on a clean network",
            results: all("system", None, &Outcome::Ok),
            settings: Some(device(dword(keys::POLICY_KEY, "AllowTelemetry", 0))),
            approach: Approach::Bypass,
            ready: false,
            says: &[
                "NOT READY — approach: bypass",
                "AllowTelemetry is 0",
                "/v AllowTelemetry /t REG_DWORD /d 1 /f",
            ],
        },
        Scenario {
            name: "DiagTrack disabled on a clean network",
            results: all("system", None, &Outcome::Ok),
            settings: Some(device(dword(keys::DIAGTRACK_KEY, "Start", 4))),
            approach: Approach::Bypass,
            ready: false,
            says: &[
                "DiagTrack service configuration (code 50)",
                "sc.exe config DiagTrack start= auto",
            ],
        },
        Scenario {
            name: "wildcard entries never make it not ready",
            results: [
                all("system", None, &Outcome::Ok),
                vec![result(
                    "https://*.manage.microsoft.com",
                    "system",
                    None,
                    Outcome::NotProbed,
                )],
            ]
            .concat(),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: true,
            says: &["allow the pattern *.manage.microsoft.com"],
        },
        Scenario {
            name: "endpoints this Windows does not use are not counted",
            results: [
                all("system", None, &Outcome::Ok),
                vec![result(VORTEX, "system", None, Outcome::ConnectFailed)],
            ]
            .concat(),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: true,
            says: &["Not counted", "v10.vortex-win.data.microsoft.com"],
        },
    ]
}

#[test]
fn each_scenario_gets_its_approach_readiness_and_reasons() {
    for scenario in scenarios() {
        let verdict = dapreflight::decide(&scenario.results, scenario.settings.as_ref());
        let rendered = text(&verdict);
        assert_eq!(
            verdict.approach, scenario.approach,
            "{}: approach\n{rendered}",
            scenario.name
        );
        assert_eq!(
            verdict.ready, scenario.ready,
            "{}: ready\n{rendered}",
            scenario.name
        );
        for needle in scenario.says {
            let flat = rendered.replace('\n', " ");
            let needle = needle.trim_end();
            assert!(
                flat.contains(needle) || rendered.contains(needle),
                "{}: expected {needle:?} in\n{rendered}",
                scenario.name
            );
        }
    }
}

#[test]
fn reasons_point_at_the_results_that_led_there() {
    let results = all("system", Some(PROXY), &Outcome::Auth(&["Negotiate"]));
    let verdict = dapreflight::decide(&results, Some(&device(|_| {})));
    let refs: Vec<&Ref> = verdict.reasons.iter().flat_map(|r| &r.refs).collect();
    assert!(refs.contains(&&Ref::Result {
        endpoint: V10C.to_owned(),
        context: Context::System,
    }));
}

#[test]
fn verdict_serializes_with_the_documented_spelling() {
    let results = all("system", None, &Outcome::Ok);
    let verdict = dapreflight::decide(&results, Some(&device(|_| {})));
    let json = serde_json::to_value(wire::Verdict::from(&verdict)).expect("serializable");
    assert_eq!(json["approach"], "bypass");
    assert_eq!(json["ready"], true);
    assert!(json["reasons"][0]["text"].is_string());
    assert!(json["fixes"].is_array());
    let settings =
        serde_json::to_value(wire::DeviceSettings::from(&device(|_| {}))).expect("serializable");
    assert_eq!(settings["allow_telemetry_policy"]["value"], 1);
    assert_eq!(
        settings["allow_telemetry_policy"]["source"]["kind"],
        "registry"
    );
    assert_eq!(
        settings["disable_enterprise_auth_proxy"]["source"]["kind"],
        "not_found"
    );
    assert_eq!(settings["console_user"]["value"], "yes");
    assert_eq!(settings["os"]["family"], "windows11");
}

#[test]
fn the_settings_block_lists_name_value_source_and_meaning() {
    let settings = device(|_| {});
    let verdict = dapreflight::decide(&all("system", None, &Outcome::Ok), Some(&settings));
    let mut out = Vec::new();
    dapreflight::render_verdict(&verdict, Some(&settings), wide(), &mut out)
        .expect("rendering to memory");
    let rendered = String::from_utf8(out).expect("UTF-8");
    assert!(rendered.starts_with("READY — bypass\n"), "{rendered}");
    assert!(rendered.contains("AllowTelemetry: 1"), "{rendered}");
    assert!(rendered.contains("device.reg:1"), "{rendered}");
    assert!(
        rendered.contains("sends diagnostic data to v10c.events.data.microsoft.com"),
        "{rendered}"
    );
}
