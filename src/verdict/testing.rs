//! Test builders for the verdict's unit tests: probe results and device settings in a line each.

use crate::assess::ProbeResult;
use crate::catalog::TrustRule;
use crate::probe::tls::TlsEvidence;
use crate::probe::{AuthAttempt, Challenge, ProbeFailure, ProxyEvidence, Timings};
use crate::route::{Context, ProxyAddr, Route, RouteChoice};
use crate::settings::{self, DeviceSettings, Setting, Source};
use crate::status::{Answer, Stage, Status};
use crate::trust::{Interception, TrustAssessment};
use crate::windows::keys;
use crate::windows::registry::{Origin, RegistrySnapshot, ValueData};

pub(super) const V10C: &str = "v10c.events.data.microsoft.com";
pub(super) const SETTINGS: &str = "settings-win.data.microsoft.com";
pub(super) const WATCAB: &str = "ceuswatcab01.blob.core.windows.net";
pub(super) const VORTEX: &str = "v10.vortex-win.data.microsoft.com";
pub(super) const PROXY: &str = "proxy.corp.example:8080";

/// A probe result under construction: `probe(host)` answers cleanly, direct, in the system
/// context; each method changes one thing.
pub(super) struct Probe(ProbeResult);

/// A clean, direct, system-context result for `https://{host}`.
pub(super) fn probe(host: &str) -> Probe {
    Probe(ProbeResult {
        endpoint: format!("https://{host}"),
        host: host.to_owned(),
        url: Some(format!("https://{host}/")),
        context: Context::System,
        route: RouteChoice {
            route: Route::Direct,
            source: "system settings".to_owned(),
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
    })
}

impl Probe {
    pub(super) fn build(self) -> ProbeResult {
        self.0
    }

    /// In `context`, its route chosen by "`context` settings".
    pub(super) fn in_context(mut self, context: Context) -> Self {
        self.0.context = context;
        self.0.route.source = format!("{context} settings");
        self
    }

    pub(super) fn user(self) -> Self {
        self.in_context(Context::User)
    }

    /// Through `proxy` (host:port).
    pub(super) fn via(mut self, proxy: &str) -> Self {
        self.0.route.route = Route::Proxy {
            proxy: ProxyAddr::parse(proxy).expect("valid proxy"),
        };
        self
    }

    pub(super) fn source(mut self, source: &str) -> Self {
        self.0.route.source = source.to_owned();
        self
    }

    /// Stopped at `stage` with `status`, `failure` and `detail`.
    fn failed(mut self, status: Status, stage: Stage, failure: Option<ProbeFailure>) -> Self {
        self.0.detail = format!("{status} at {stage}");
        self.0.status = status;
        self.0.stage = Some(stage);
        self.0.http_status = None;
        self.0.failure = failure;
        self
    }

    /// A 407 offering `schemes`.
    pub(super) fn auth(self, schemes: &[&str]) -> Self {
        let mut probe = self.failed(
            Status::ProxyAuthRequired,
            Stage::Proxy,
            Some(ProbeFailure::ProxyAuthRequired {
                schemes: schemes.iter().map(|s| (*s).to_owned()).collect(),
            }),
        );
        probe.0.proxy = Some(proxy_evidence(407, schemes));
        probe
    }

    /// Through, but only with the Basic credentials dapreflight supplied.
    pub(super) fn with_accepted_basic(mut self) -> Self {
        let mut evidence = proxy_evidence(200, &["Basic"]);
        evidence.auth = Some(AuthAttempt {
            scheme: "Basic".to_owned(),
            presenting: crate::auth::Presenting::Explicit {
                account: "alice".to_owned(),
            },
            authenticated: crate::auth::Authenticated::default(),
            rounds: 1,
            outcome: crate::probe::AuthOutcome::Accepted,
            status: Some(200),
            notes: Vec::new(),
        });
        self.0.proxy = Some(evidence);
        self
    }

    /// Probed as `identity` (what `--as` made the probing process).
    pub(super) fn probed_as(mut self, identity: crate::probe::Identity) -> Self {
        self.0.probed_as = Some(identity);
        self
    }

    /// Through the proxy after a Negotiate handshake with the current logon: `outcome` says how
    /// it ended (accepted: through; rejected: 407 again; denied: 403 after authenticating).
    pub(super) fn logon_handshake(self, account: &str, outcome: crate::probe::AuthOutcome) -> Self {
        use crate::probe::AuthOutcome;
        let mut probe = match &outcome {
            AuthOutcome::Accepted => self,
            AuthOutcome::Rejected => self.failed(
                Status::ProxyAuthRejected,
                Stage::Proxy,
                Some(ProbeFailure::ProxyAuthRejected {
                    scheme: "Negotiate".to_owned(),
                    status: 407,
                    account: Some(account.to_owned()),
                }),
            ),
            AuthOutcome::Denied => self.failed(
                Status::ProxyDenied,
                Stage::Proxy,
                Some(ProbeFailure::ProxyDenied {
                    status: 403,
                    reason: "HTTP/1.1 403 Forbidden".to_owned(),
                }),
            ),
            AuthOutcome::Failed { reason } => self.failed(
                Status::ProxyAuthFailed,
                Stage::Proxy,
                Some(ProbeFailure::ProxyAuthFailed {
                    scheme: "Negotiate".to_owned(),
                    reason: reason.clone(),
                }),
            ),
        };
        let status = match outcome {
            AuthOutcome::Accepted => 200,
            AuthOutcome::Denied => 403,
            _ => 407,
        };
        let mut evidence = proxy_evidence(status, &["Negotiate", "NTLM"]);
        evidence.auth = Some(AuthAttempt {
            scheme: "Negotiate".to_owned(),
            presenting: crate::auth::Presenting::CurrentLogon,
            authenticated: crate::auth::Authenticated {
                account: Some(account.to_owned()),
                package: Some("Kerberos".to_owned()),
            },
            rounds: 1,
            outcome,
            status: Some(status),
            notes: Vec::new(),
        });
        probe.0.route = RouteChoice {
            route: Route::Proxy {
                proxy: ProxyAddr::parse(PROXY).expect("valid proxy"),
            },
            source: probe.0.route.source.clone(),
            pac: None,
        };
        probe.0.proxy = Some(evidence);
        probe
    }

    /// The handshake presented explicit credentials (the account it names), not a logon.
    pub(super) fn explicit(mut self) -> Self {
        if let Some(auth) = self.0.proxy.as_mut().and_then(|p| p.auth.as_mut()) {
            let account = auth.authenticated.account.clone().unwrap_or_default();
            auth.presenting = crate::auth::Presenting::Explicit { account };
        }
        self
    }

    /// Re-signed by an inspection CA, judged under `rule`; `product` when recognised.
    pub(super) fn intercepted(self, rule: TrustRule, product: Option<&str>) -> Self {
        let host = self.0.host.clone();
        let mut probe = self.failed(Status::TlsIntercepted, Stage::Tls, None);
        probe.0.tls = Some(TlsEvidence {
            server_name: host,
            version: "TLSv1.2".to_owned(),
            cipher_suite: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384".to_owned(),
            chain: Vec::new(),
            trust: TrustAssessment {
                rule,
                verdict: Interception::Detected {
                    issuer: "Corp Inspection CA".to_owned(),
                    anchor: "Corp Root".to_owned(),
                    product: product.map(str::to_owned),
                },
            },
        });
        probe
    }

    /// Intercepted with no chain recorded, so the host decides whether it was pinned.
    pub(super) fn intercepted_unrecorded(self) -> Self {
        self.failed(Status::TlsIntercepted, Stage::Tls, None)
    }

    /// The name does not resolve: the proxy's when the route goes through one (the proxy
    /// resolves the endpoint's name itself), else the endpoint's.
    pub(super) fn dns_failed(self) -> Self {
        let (name, of) = match &self.0.route.route {
            Route::Proxy { proxy } => (proxy.host.clone(), crate::probe::DnsOf::Proxy),
            _ => (self.0.host.clone(), crate::probe::DnsOf::Endpoint),
        };
        self.failed(
            Status::DnsFailed,
            Stage::Dns,
            Some(ProbeFailure::DnsFailed {
                name,
                of,
                cause: crate::probe::DnsCause::NxDomain,
                reason: "no such name".to_owned(),
            }),
        )
    }

    pub(super) fn connect_failed(self) -> Self {
        let to = format!("{}:443", self.0.host);
        self.failed(
            Status::ConnectFailed,
            Stage::Connect,
            Some(ProbeFailure::ConnectFailed {
                to,
                cause: crate::probe::ConnectCause::Refused,
                reason: "connection refused".to_owned(),
            }),
        )
    }

    pub(super) fn timeout(self, stage: Stage) -> Self {
        self.failed(
            Status::Timeout,
            stage,
            Some(ProbeFailure::Timeout {
                stage,
                after_ms: 5000,
            }),
        )
    }

    /// Refused by the proxy with `status`.
    pub(super) fn denied(self, status: u16) -> Self {
        let mut probe = self.failed(
            Status::ProxyDenied,
            Stage::Proxy,
            Some(ProbeFailure::ProxyDenied {
                status,
                reason: format!("HTTP {status}"),
            }),
        );
        probe.0.proxy = Some(proxy_evidence(status, &[]));
        probe
    }

    /// Failed with `status` at `stage`, with no failure recorded.
    pub(super) fn status(self, status: Status, stage: Stage) -> Self {
        self.failed(status, stage, None)
    }

    pub(super) fn not_probed(mut self) -> Self {
        self.0.status = Status::NotProbed;
        self.0.stage = None;
        self.0.http_status = None;
        self.0.detail = "wildcard entry: cannot be probed".to_owned();
        self
    }
}

fn proxy_evidence(status: u16, schemes: &[&str]) -> ProxyEvidence {
    ProxyEvidence {
        address: ProxyAddr::parse(PROXY).expect("valid proxy"),
        request: "CONNECT host:443".to_owned(),
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
    }
}

/// Every host of `hosts` probed the same way.
pub(super) fn each(hosts: &[&str], make: impl Fn(Probe) -> Probe) -> Vec<ProbeResult> {
    hosts.iter().map(|host| make(probe(host)).build()).collect()
}

/// A Windows 11 Enterprise device set up for Desktop Analytics with a user signed in; `edit`
/// changes its registry first.
pub(super) fn device(edit: impl FnOnce(&mut RegistrySnapshot)) -> DeviceSettings {
    let mut registry = RegistrySnapshot::new();
    let values = [
        (keys::CURRENT_VERSION_KEY, "CurrentBuild", string("22631")),
        (
            keys::CURRENT_VERSION_KEY,
            "ProductName",
            string("Windows 10 Enterprise"),
        ),
        (keys::POLICY_KEY, "AllowTelemetry", ValueData::Dword(1)),
        (
            keys::POLICY_KEY,
            "AllowDeviceNameInTelemetry",
            ValueData::Dword(1),
        ),
        (
            keys::LOCAL_KEY,
            "CommercialId",
            string("4a1e5c2b-7d3f-4e8a-9b6c-0d2f1e3a5b7c"),
        ),
        (keys::DIAGTRACK_KEY, "Start", ValueData::Dword(2)),
    ];
    for (path, name, data) in values {
        registry.set(path, name, data, origin());
    }
    // Defender's keys were looked for and are absent (no Defender), not missing from the input.
    registry.mark_looked_up(keys::ATP_STATUS_KEY);
    registry.mark_looked_up(keys::SENSE_KEY);
    edit(&mut registry);
    let mut settings = settings::read_settings(&registry);
    settings.console_user = signed_in(Answer::Yes);
    settings
}

/// Sets a DWORD value.
pub(super) fn dword(path: &str, name: &str, value: u32) -> impl FnOnce(&mut RegistrySnapshot) {
    move |registry| registry.set(path, name, ValueData::Dword(value), origin())
}

/// Sets a string value.
pub(super) fn text(path: &str, name: &str, value: &str) -> impl FnOnce(&mut RegistrySnapshot) {
    move |registry| registry.set(path, name, string(value), origin())
}

/// Defender for Endpoint onboarded, with the `DisableEnterpriseAuthProxy` = 1 it needs.
pub(super) fn defender(registry: &mut RegistrySnapshot) {
    registry.set(
        keys::ATP_STATUS_KEY,
        "OnboardingState",
        ValueData::Dword(1),
        origin(),
    );
    registry.set(keys::SENSE_KEY, "Start", ValueData::Dword(2), origin());
    dword(keys::POLICY_KEY, "DisableEnterpriseAuthProxy", 1)(registry);
}

/// Whether a user is signed in, as a live run tells.
pub(super) fn signed_in(answer: Answer) -> Setting<Answer> {
    Setting {
        name: "signed-in user",
        value: Some(answer),
        source: Source::Live {
            what: "test".to_owned(),
        },
        meaning: String::new(),
    }
}

fn string(value: &str) -> ValueData {
    ValueData::String(value.to_owned())
}

fn origin() -> Origin {
    Origin {
        source: "device.reg".to_owned(),
        line: Some(1),
    }
}
