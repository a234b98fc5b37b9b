//! The verdict, scenario by scenario, from hand-built probe results and device settings.

use dapreflight::Answer;
use dapreflight::ProbeResult;
use dapreflight::Stage;
use dapreflight::Status;
use dapreflight::TlsEvidence;
use dapreflight::TrustRule;
use dapreflight::keys;
use dapreflight::wire;
use dapreflight::{Approach, Code, Ref, Verdict};
use dapreflight::{Challenge, ProbeFailure, ProxyEvidence, Timings};
use dapreflight::{ConnectCause, DnsCause, DnsOf};
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
    /// The proxy could not fetch it (502, 504, ...).
    ProxyError(u16),
    /// Through, but only with credentials this run supplied.
    OkWithCredentials,
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
        probed_as: None,
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
                cause: ConnectCause::Refused,
                reason: "connection refused".to_owned(),
            });
        }
        Outcome::DnsFailed => {
            r.status = Status::DnsFailed;
            r.stage = Some(Stage::Dns);
            // Through a proxy only the proxy's name is looked up.
            let name = match &r.route.route {
                Route::Proxy { proxy } => proxy.host.clone(),
                _ => host.clone(),
            };
            r.detail = format!("cannot resolve {name}: no such name");
            r.failure = Some(ProbeFailure::DnsFailed {
                of: if matches!(r.route.route, Route::Proxy { .. }) {
                    DnsOf::Proxy
                } else {
                    DnsOf::Endpoint
                },
                name,
                cause: DnsCause::NxDomain,
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
        Outcome::ProxyError(status) => {
            r.status = Status::ProxyError;
            r.stage = Some(Stage::Proxy);
            r.detail = format!("proxy {PROXY} failed: HTTP {status} Bad Gateway");
            r.proxy = proxy_evidence(status, &[]);
            r.failure = Some(ProbeFailure::ProxyError {
                status: Some(status),
                reason: format!("HTTP {status} Bad Gateway"),
            });
        }
        Outcome::OkWithCredentials => {
            r.proxy = proxy_evidence(200, &["Basic"]);
            if let Some(proxy) = r.proxy.as_mut() {
                proxy.auth = Some(dapreflight::AuthAttempt {
                    scheme: "Basic".to_owned(),
                    presenting: dapreflight::Presenting::Explicit {
                        account: "alice".to_owned(),
                    },
                    authenticated: dapreflight::Authenticated::default(),
                    rounds: 1,
                    outcome: dapreflight::AuthOutcome::Accepted,
                    status: Some(200),
                    notes: Vec::new(),
                });
            }
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
    /// The reasons' codes, in order, each with the contexts it names.
    reasons: &'static [(&'static str, &'static [&'static str])],
    /// The fixes' kinds, in order; a leading "or " marks an alternative.
    fixes: &'static [&'static str],
    /// Text the rendered verdict must contain: commands, names, figures.
    says: &'static [&'static str],
}

/// Sets the setting that chose each result's route.
fn from_source(mut results: Vec<ProbeResult>, source: &str) -> Vec<ProbeResult> {
    for r in &mut results {
        source.clone_into(&mut r.route.source);
    }
    results
}

const SYS: &[&str] = &["system"];
const USR: &[&str] = &["user"];
const BOTH: &[&str] = &["system", "user"];
const NONE: &[&str] = &[];

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
    let not_known = {
        let mut s = device(|_| {});
        s.console_user = signed_in(Answer::NotKnown);
        s
    };
    let dead_winhttp = from_source(
        all("system", Some("127.0.0.1:18439"), &Outcome::ConnectFailed),
        "WinHTTP proxy (netsh winhttp)",
    );
    let telemetry_proxy = [
        all("system", None, &Outcome::Ok),
        from_source(
            all("system", Some(PROXY), &Outcome::Auth(negotiate)),
            "TelemetryProxyServer policy",
        ),
    ]
    .concat();
    vec![
        Scenario {
            name: "clean system context",
            results: [all("system", None, &Outcome::Ok), user_ok()].concat(),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: true,
            reasons: &[("system.clean", SYS)],
            fixes: &[],
            says: &["READY: bypass (the system context reaches 3 endpoints"],
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
            reasons: &[("system.proxy_auth.integrated", SYS), ("user.blocked", USR)],
            fixes: &["allow_computer_accounts", "or drop_proxy_auth"],
            says: &[
                "NOT READY: device proxy authentication: let computer accounts through proxy \
                 proxy.corp.example:8080 for 3 hosts",
                "407: NTLM, Negotiate",
                "status code 407",
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
            approach: Approach::Bypass,
            ready: false,
            reasons: &[("system.proxy_auth.other", SYS), ("user.blocked", USR)],
            fixes: &["drop_proxy_auth"],
            says: &[
                "NOT READY: bypass: exempt 3 hosts from authentication on proxy",
                "407: Basic",
                "never sends",
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
            reasons: &[
                ("approach.user", USR),
                ("network.connect_failed", SYS),
                ("user.defender.not_known", NONE),
            ],
            fixes: &["or share_user_route", "or open_firewall"],
            says: &[
                "READY: user proxy authentication",
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
            approach: Approach::Bypass,
            ready: false,
            reasons: &[
                ("network.connect_failed", SYS),
                ("user.route_works", USR),
                ("user.auth_proxy.disabled", NONE),
                ("user.defender.not_known", NONE),
            ],
            fixes: &[
                "share_user_route",
                "or open_firewall",
                "or enable_auth_proxy",
            ],
            says: &[
                "NOT READY: bypass: give WinHTTP the user's proxy proxy.corp.example:8080",
                "netsh winhttp import proxy source=ie",
                "Check user proxy (code 30)",
                r#"reg add "HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection" /v DisableEnterpriseAuthProxy /t REG_DWORD /d 0 /f"#,
                "Configure Authenticated Proxy usage for the Connected User Experience",
            ],
        },
        Scenario {
            name: "user only, signed-in user not known (an export)",
            results: [sys_direct_fails(), user_ok()].concat(),
            settings: Some(not_known),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[
                ("network.connect_failed", SYS),
                ("user.route_works", USR),
                ("user.signed_in.not_known", NONE),
                ("user.defender.not_known", NONE),
            ],
            fixes: &["share_user_route", "or open_firewall"],
            says: &["the input does not say whether one is"],
        },
        Scenario {
            name: "user only with Defender for Endpoint onboarded",
            results: [sys_direct_fails(), user_ok()].concat(),
            settings: Some(device(defender)),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[
                ("network.connect_failed", SYS),
                ("approach.user.ruled_out", USR),
            ],
            fixes: &["share_user_route", "or open_firewall"],
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
            reasons: &[
                ("system.clean", SYS),
                ("settings.auth_proxy.disabled", NONE),
            ],
            fixes: &[],
            says: &["set to 1 (as Defender for Endpoint and CIS L2 require)"],
        },
        Scenario {
            name: "headless device with only the user context",
            results: [sys_direct_fails(), user_ok()].concat(),
            settings: Some(headless),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[
                ("network.connect_failed", SYS),
                ("approach.user.ruled_out", USR),
            ],
            fixes: &["share_user_route", "or open_firewall"],
            says: &["no user is signed in"],
        },
        Scenario {
            name: "interception of pinned endpoints in both contexts",
            results: [
                all("system", Some(PROXY), &Outcome::Intercepted),
                all("user", Some(PROXY), &Outcome::Intercepted),
            ]
            .concat(),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[("system.tls.intercepted", BOTH)],
            fixes: &["exclude_from_inspection"],
            says: &[
                "NOT READY: bypass: exclude 3 hosts from SSL inspection on Zscaler",
                "certificate pinning",
                "Windows diagnostic endpoint connectivity (code 12)",
            ],
        },
        Scenario {
            name: "system context intercepted, user context asked to authenticate",
            results: [
                all("system", Some(PROXY), &Outcome::Intercepted),
                all(
                    "user",
                    Some("user.corp.example:3128"),
                    &Outcome::Auth(negotiate),
                ),
            ]
            .concat(),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[("system.tls.intercepted", SYS), ("user.blocked", USR)],
            fixes: &["exclude_from_inspection"],
            says: &["proxy_auth_required via proxy user.corp.example:3128 for 3 hosts"],
        },
        Scenario {
            name: "one endpoint blocked in both contexts at the same proxy",
            results: one_blocked,
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[("proxy.unreachable", BOTH)],
            fixes: &["fix_dead_proxy"],
            says: &["cannot be reached (connection refused): settings-win"],
        },
        Scenario {
            name: "a dead WinHTTP proxy while the user's proxy fails differently",
            results: [
                dead_winhttp.clone(),
                all(
                    "user",
                    Some("user.corp.example:3128"),
                    &Outcome::ProxyError(502),
                ),
            ]
            .concat(),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[("proxy.unreachable", SYS), ("user.blocked", USR)],
            fixes: &["fix_dead_proxy"],
            says: &[
                "Proxy 127.0.0.1:18439, from WinHTTP's proxy (netsh winhttp), cannot be reached \
                 (connection refused): v10c.events.data.microsoft.com,",
                "netsh winhttp show proxy",
                "proxy_error via proxy user.corp.example:3128 for 3 hosts",
            ],
        },
        Scenario {
            name: "a dead WinHTTP proxy while the user's proxy works",
            results: [dead_winhttp, user_ok()].concat(),
            settings: Some(not_known_user()),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[
                ("proxy.unreachable", SYS),
                ("user.route_works", USR),
                ("user.signed_in.not_known", NONE),
                ("user.defender.not_known", NONE),
            ],
            fixes: &["share_user_route", "or fix_dead_proxy"],
            says: &[
                r#"netsh winhttp set proxy proxy-server="proxy.corp.example:8080" bypass-list="<local>""#,
                "netsh winhttp import proxy source=ie",
            ],
        },
        Scenario {
            name: "the user gets through only with this run's credentials",
            results: [
                all("system", Some(PROXY), &Outcome::Auth(basic)),
                all("user", Some(PROXY), &Outcome::OkWithCredentials),
            ]
            .concat(),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[("system.proxy_auth.other", SYS), ("user.blocked", USR)],
            fixes: &["drop_proxy_auth"],
            says: &["through only with this run's credentials via proxy"],
        },
        Scenario {
            name: "TelemetryProxyServer at an authenticating proxy beside a clean direct route",
            results: telemetry_proxy,
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: true,
            reasons: &[("system.clean", SYS), ("system.mixed_routes", SYS)],
            fixes: &[],
            says: &["through at least one of the routes it may take"],
        },
        Scenario {
            name: "the proxy's own name does not resolve",
            results: from_source(
                all(
                    "system",
                    Some("proxy.corp.invalid:8080"),
                    &Outcome::DnsFailed,
                ),
                "WinHTTP proxy (netsh winhttp)",
            ),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[("proxy.unresolved", SYS)],
            fixes: &["fix_proxy_name"],
            says: &["nslookup proxy.corp.invalid", "netsh winhttp show proxy"],
        },
        Scenario {
            name: "DNS failure",
            results: all("system", None, &Outcome::DnsFailed),
            settings: Some(device(|_| {})),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[("dns.unresolved", SYS)],
            fixes: &["resolve_names"],
            says: &[
                "NOT READY: bypass: make 3 endpoint names resolve",
                "nslookup v10c.events.data.microsoft.com",
            ],
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
            approach: Approach::Bypass,
            ready: false,
            reasons: &[("proxy.denied", SYS), ("network.timeout", SYS)],
            fixes: &["allow_on_proxy", "check_path"],
            says: &[
                "refuses the request (HTTP 451)",
                "status code 451 (Unavailable for legal reasons)",
                "No answer at the tls stage",
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
            reasons: &[("system.clean", SYS), ("settings.proxy.per_machine", NONE)],
            fixes: &[],
            says: &["per-machine proxy policy", "known documentation error"],
        },
        Scenario {
            name: "explicit context run without settings",
            results: all("explicit", Some(PROXY), &Outcome::Ok),
            settings: None,
            approach: Approach::Bypass,
            ready: true,
            reasons: &[
                ("system.clean", SYS),
                ("context.assumed_system", &["explicit"]),
                ("settings.not_read", NONE),
            ],
            fixes: &[],
            says: &[
                "The route given on the command line stands in for the system context",
                "No device settings were read",
            ],
        },
        Scenario {
            name: "diagnostic data off on a clean network",
            results: all("system", None, &Outcome::Ok),
            settings: Some(device(dword(keys::POLICY_KEY, "AllowTelemetry", 0))),
            approach: Approach::Bypass,
            ready: false,
            reasons: &[
                ("settings.diagnostic_level.off", NONE),
                ("system.clean", SYS),
            ],
            fixes: &["raise_diagnostic_level"],
            says: &[
                "NOT READY: bypass: turn diagnostic data on",
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
            reasons: &[("settings.diagtrack.off", NONE), ("system.clean", SYS)],
            fixes: &["start_diagtrack"],
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
            reasons: &[("endpoint.unprobeable", SYS), ("system.clean", SYS)],
            fixes: &[],
            says: &["*.manage.microsoft.com is a pattern"],
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
            reasons: &[("system.clean", SYS), ("endpoint.not_used", NONE)],
            fixes: &[],
            says: &["Not counted", "v10.vortex-win.data.microsoft.com"],
        },
    ]
}

/// A device whose signed-in user is not known, as in an export.
fn not_known_user() -> DeviceSettings {
    let mut s = device(|_| {});
    s.console_user = signed_in(Answer::NotKnown);
    s
}

/// Every reason is true of the results it cites: a cause names a context only when, for each
/// of its hosts, that context stopped where one of the cause's hops says, through that hop's
/// route, with no clean route beside it; "the system context is clean" only when every one of
/// its hosts has a clean system result; the user's context is "stuck" only where it is.
pub(crate) fn assert_true_of_the_results(name: &str, verdict: &Verdict, results: &[ProbeResult]) {
    let in_context = |host: &str, context: Context| -> Vec<&ProbeResult> {
        results
            .iter()
            .filter(|r| r.host == host)
            .filter(|r| match context {
                Context::User => r.context == Context::User,
                _ => r.context != Context::User,
            })
            .filter(|r| r.status != Status::NotProbed)
            .collect()
    };
    let clean = |r: &ProbeResult| {
        r.status == Status::Ok && r.proxy.as_ref().and_then(|p| p.auth.as_ref()).is_none()
    };
    for finding in &verdict.findings {
        let code = finding.code.as_str();
        if finding.code.is_cause() {
            assert!(
                !finding.contexts.is_empty(),
                "{name}: {code} names no context"
            );
            for context in &finding.contexts {
                for host in &finding.hosts {
                    let seen = in_context(host, *context);
                    assert!(
                        !seen.is_empty(),
                        "{name}: {code}: {host} has no {context} result"
                    );
                    // The results the cause quotes, and every route of their endpoints:
                    // none may be clean (several endpoints can share a host).
                    let quoted: Vec<&&ProbeResult> = seen
                        .iter()
                        .filter(|r| {
                            finding.hops.iter().any(|h| {
                                h.host == *host && h.route == r.route.route && h.status == r.status
                            })
                        })
                        .collect();
                    assert!(
                        !quoted.is_empty(),
                        "{name}: {code}: no {context} result of {host} matches its hops"
                    );
                    for stopped in quoted {
                        assert!(
                            !seen
                                .iter()
                                .any(|r| r.endpoint == stopped.endpoint && clean(r)),
                            "{name}: {code} says {} is stopped in {context}, but a route is clean",
                            stopped.endpoint
                        );
                    }
                }
            }
        }
        if finding.code == Code::SystemClean {
            for host in &finding.hosts {
                assert!(
                    in_context(host, Context::System).iter().any(|r| clean(r)),
                    "{name}: {host} is called clean without a clean system result"
                );
            }
        }
        if finding.code == Code::UserBlocked {
            for hop in &finding.hops {
                assert!(
                    !in_context(&hop.host, Context::User)
                        .iter()
                        .any(|r| clean(r)),
                    "{name}: {} is called stuck in the user's context, but it got through",
                    hop.host
                );
            }
        }
    }
    // The headline and the fixes agree: the first fix is a step, never an alternative, and
    // the headline names the verdict's approach.
    if let Some(first) = verdict.fixes.first() {
        assert!(
            verdict.ready || !first.alternative,
            "{name}: the first fix is an alternative"
        );
    }
    let headline = verdict.headline();
    let words = match verdict.approach {
        Approach::Bypass => "bypass",
        Approach::Device => "device proxy authentication",
        Approach::User => "user proxy authentication",
        Approach::None => "no",
    };
    assert!(headline.contains(words), "{name}: {headline}");
    assert_eq!(
        headline.starts_with("READY"),
        verdict.ready,
        "{name}: {headline}"
    );
}

#[test]
fn each_scenario_gets_its_approach_readiness_reasons_and_fixes() {
    let mut failed = Vec::new();
    for scenario in scenarios() {
        let name = scenario.name;
        if let Err(panic) = std::panic::catch_unwind(|| check_scenario(&scenario)) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| format!("{name}: failed"));
            failed.push(message);
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}

fn check_scenario(scenario: &Scenario) {
    {
        let name = scenario.name;
        let verdict = dapreflight::decide(&scenario.results, scenario.settings.as_ref());
        let rendered = text(&verdict);
        assert_eq!(
            verdict.approach, scenario.approach,
            "{name}: approach\n{rendered}"
        );
        assert_eq!(verdict.ready, scenario.ready, "{name}: ready\n{rendered}");
        let reasons: Vec<(&str, Vec<&str>)> = verdict
            .reasons
            .iter()
            .map(|r| {
                (
                    r.code.as_str(),
                    r.contexts.iter().map(|c| c.as_str()).collect(),
                )
            })
            .collect();
        let expected: Vec<(&str, Vec<&str>)> = scenario
            .reasons
            .iter()
            .map(|(code, contexts)| (*code, contexts.to_vec()))
            .collect();
        assert_eq!(reasons, expected, "{name}: reasons\n{rendered}");
        let fixes: Vec<String> = verdict
            .fixes
            .iter()
            .map(|f| {
                if f.alternative {
                    format!("or {}", f.kind)
                } else {
                    f.kind.to_owned()
                }
            })
            .collect();
        assert_eq!(fixes, scenario.fixes, "{name}: fixes\n{rendered}");
        for needle in scenario.says {
            let flat = rendered.replace('\n', " ");
            assert!(
                flat.contains(needle) || rendered.contains(needle),
                "{name}: expected {needle:?} in\n{rendered}"
            );
        }
        assert_true_of_the_results(name, &verdict, &scenario.results);
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
    assert!(rendered.starts_with("READY: bypass"), "{rendered}");
    assert!(rendered.contains("AllowTelemetry: 1"), "{rendered}");
    assert!(rendered.contains("device.reg:1"), "{rendered}");
    assert!(
        rendered.contains("sends diagnostic data to v10c.events.data.microsoft.com"),
        "{rendered}"
    );
}
