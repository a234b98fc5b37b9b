//! The verdict's model: findings (why) and remedies (what to do), as data with stable codes.
//! The text a person reads is rendered from these in `text.rs`; nothing here is prose.

use crate::assess::ProbeResult;
use crate::auth::Presenting;
use crate::net::tcp::ConnectCause;
use crate::probe::{Identity, ProbeFailure};
use crate::route::{Context, Route};
use crate::status::{Stage, Status};
use crate::trust::Interception;
use crate::windows::utc::UploadState;

use super::Ref;

/// One reason for the verdict, as data: what was found, in which contexts, where, for which
/// hosts, and what it rests on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub code: Code,
    /// The contexts it concerns; empty when it is about the device, not a context.
    pub contexts: Vec<Context>,
    /// Where it happened: the probes (route, status, stage) it quotes.
    pub hops: Vec<Hop>,
    /// The endpoint hosts it concerns, in catalog order.
    pub hosts: Vec<String>,
    pub evidence: Evidence,
}

/// The stable name of a finding: one per distinct cause the verdict gives. The names are the
/// report's contract (docs/formats.md): fleets count causes by them, so a name never changes
/// meaning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Code {
    // What stops a connection, in the order a connection meets it (the order reasons are given).
    /// The proxy's own name does not resolve.
    ProxyUnresolved,
    /// No DNS server answers at all: no network, or DNS blocked.
    NoDnsServer,
    /// Endpoint names do not resolve where the context looks them up (direct routes).
    NamesUnresolved,
    /// The proxy cannot be reached: refused, unreachable or silent at connect.
    ProxyUnreachable,
    /// A direct connection is refused or the network is unreachable.
    ConnectFailed,
    /// A direct connection gets no answer: something drops it (a firewall).
    ConnectFiltered,
    /// The system context's proxy demands Windows Integrated Authentication.
    SystemProxyAuthIntegrated,
    /// The system context's proxy demands authentication Windows does not send (Basic, Digest).
    SystemProxyAuthOther,
    /// The proxy answered 407 again to the identity that matters (the computer account as
    /// SYSTEM, the signed-in user as the user), authenticating with its own logon.
    ProxyAuthLogonRejected,
    /// That identity authenticated, and the proxy refused the request (403, ...).
    ProxyAuthLogonDenied,
    /// The proxy refuses the request (403, 451, ...).
    ProxyDenied,
    /// The proxy fails to reach the host or answers something that is not HTTP (502, 504, ...).
    ProxyError,
    /// A later stage (the proxy's answer, TLS, HTTP) did not answer in time.
    Timeout,
    /// SSL inspection of endpoints whose chain must end in Microsoft's root.
    SystemTlsIntercepted,
    /// SSL inspection of storage endpoints judged against public roots.
    SystemTlsInterceptedPublic,
    /// The TLS handshake failed for a reason other than the certificate.
    TlsFailed,
    /// The endpoint answered something it does not answer when it is reachable.
    HttpUnexpected,
    // The approaches and what they rest on.
    /// Every endpoint answered cleanly in the system context: the bypass approach.
    SystemClean,
    /// The computer account, probed as SYSTEM, authenticated and got through: device proxy
    /// authentication, proven.
    SystemProxyAuthProven,
    /// The signed-in user, probed as that user, authenticated and got through.
    UserProxyAuthProven,
    /// A proxy accepted an account that is not the one the context uses (explicit credentials,
    /// or the logon of whoever ran dapreflight): it proves that account, not the device.
    AuthAccountOnly,
    /// Only the user context gets through, and the user approach's conditions hold.
    UserApproachFits,
    /// The user's route gets through without credentials: WinHTTP can take it too.
    UserRouteWorks,
    /// Only the user context gets through, but the device rules the user approach out.
    UserApproachRuledOut,
    /// The user context does not get through either.
    UserBlocked,
    /// `DisableEnterpriseAuthProxy` is 1, so the user's proxy is never used.
    UserAuthProxyDisabled,
    /// `DisableEnterpriseAuthProxy` is absent on Windows 7, which disables the user's proxy.
    UserAuthProxyUnsetWindows7,
    /// `DisableEnterpriseAuthProxy` is not in the input.
    UserAuthProxyNotKnown,
    /// Whether a user is signed in could not be told.
    UserSignedInNotKnown,
    /// Whether Defender for Endpoint is on the device could not be told.
    UserDefenderNotKnown,
    // How the results were read.
    /// No endpoint was probed at all.
    NothingProbed,
    /// Some endpoints were not probed in the system context.
    SystemNotProbed,
    /// A context other than `system` and `user` stood in for the system context.
    ContextAssumedSystem,
    /// No device settings were read.
    SettingsNotRead,
    /// A wildcard endpoint cannot be probed; its pattern has to be allowed.
    EndpointUnprobeable,
    /// An endpoint answers through one system-context route but not another.
    SystemMixedRoutes,
    /// Endpoints this Windows version does not use were left out.
    EndpointsNotUsed,
    // Windows' own word: DiagTrack's summary of its uploads beside the probes.
    /// DiagTrack's summary agrees with the verdict (and what it corroborates).
    DiagTrackAgrees,
    /// DiagTrack's summary disagrees with the probes: which way, and why.
    DiagTrackDiffers,
    /// DiagTrack has no summary yet (or none that says what was uploaded).
    DiagTrackNoReport,
    /// DiagTrack's last period had nothing to upload: it shows nothing about the route.
    DiagTrackNothingToUpload,
    // The device settings.
    /// `AllowTelemetry` is 0: no diagnostic data is sent.
    SettingsDiagnosticOff,
    /// The `DiagTrack` service is disabled or stopped.
    SettingsDiagTrackOff,
    /// The Commercial ID of the policy differs from Configuration Manager's.
    SettingsCommercialIdConflict,
    /// `AllowTelemetry` is 0 on an edition that treats 0 as Required.
    SettingsDiagnosticOffLenient,
    /// No Commercial ID is set yet.
    SettingsCommercialIdMissing,
    /// `AllowDeviceNameInTelemetry` is not 1.
    SettingsDeviceNameHidden,
    /// Optional (limited) is configured on a Windows version that falls back to Required.
    SettingsLimitedFallsBack,
    /// `TelemetryProxyServer` is set, and `DisableEnterpriseAuthProxy` is 1 as it needs.
    SettingsTelemetryProxy,
    /// `TelemetryProxyServer` is set, but `DisableEnterpriseAuthProxy` is not 1.
    SettingsTelemetryProxyNeedsAuthProxyDisabled,
    /// A per-machine proxy policy is set (`ProxySettingsPerUser` = 0).
    SettingsProxyPerMachine,
    /// `DisableEnterpriseAuthProxy` is 1 outside the user approach.
    SettingsAuthProxyDisabled,
    /// `UseMachineId` is 0: LocalSystem's NTLM is anonymous, under the device approach.
    SettingsLocalSystemNtlmAnonymous,
    /// Defender's ASR rule blocks processes that PsExec and WMI start.
    SettingsAsrBlocksPsexec,
}

/// How much a finding weighs: what blocks enrollment, what the verdict assumes or could not
/// see, and what is only worth knowing. Reasons are given in this order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Stops diagnostic data (or the chosen approach) now.
    Blocker,
    /// What the verdict rests on or could not see: read it before acting.
    Caveat,
    /// Worth knowing; shown with `--verbose`.
    Note,
}

impl Severity {
    /// Every severity, most severe first.
    pub const ALL: [Severity; 3] = [Severity::Blocker, Severity::Caveat, Severity::Note];

    /// The severity's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Blocker => "blocker",
            Severity::Caveat => "caveat",
            Severity::Note => "note",
        }
    }
}

impl Code {
    /// Every code, in the order the verdict gives them within a severity.
    pub const ALL: [Code; 54] = [
        Code::ProxyUnresolved,
        Code::NoDnsServer,
        Code::NamesUnresolved,
        Code::ProxyUnreachable,
        Code::ConnectFailed,
        Code::ConnectFiltered,
        Code::SystemProxyAuthIntegrated,
        Code::SystemProxyAuthOther,
        Code::ProxyAuthLogonRejected,
        Code::ProxyAuthLogonDenied,
        Code::ProxyDenied,
        Code::ProxyError,
        Code::Timeout,
        Code::SystemTlsIntercepted,
        Code::SystemTlsInterceptedPublic,
        Code::TlsFailed,
        Code::HttpUnexpected,
        Code::SystemClean,
        Code::SystemProxyAuthProven,
        Code::UserProxyAuthProven,
        Code::AuthAccountOnly,
        Code::UserApproachFits,
        Code::UserRouteWorks,
        Code::UserApproachRuledOut,
        Code::UserBlocked,
        Code::UserAuthProxyDisabled,
        Code::UserAuthProxyUnsetWindows7,
        Code::UserAuthProxyNotKnown,
        Code::UserSignedInNotKnown,
        Code::UserDefenderNotKnown,
        Code::NothingProbed,
        Code::SystemNotProbed,
        Code::ContextAssumedSystem,
        Code::SettingsNotRead,
        Code::EndpointUnprobeable,
        Code::SystemMixedRoutes,
        Code::EndpointsNotUsed,
        Code::DiagTrackAgrees,
        Code::DiagTrackDiffers,
        Code::DiagTrackNoReport,
        Code::DiagTrackNothingToUpload,
        Code::SettingsDiagnosticOff,
        Code::SettingsDiagTrackOff,
        Code::SettingsCommercialIdConflict,
        Code::SettingsDiagnosticOffLenient,
        Code::SettingsCommercialIdMissing,
        Code::SettingsDeviceNameHidden,
        Code::SettingsLimitedFallsBack,
        Code::SettingsTelemetryProxy,
        Code::SettingsTelemetryProxyNeedsAuthProxyDisabled,
        Code::SettingsProxyPerMachine,
        Code::SettingsAuthProxyDisabled,
        Code::SettingsLocalSystemNtlmAnonymous,
        Code::SettingsAsrBlocksPsexec,
    ];

    /// The code's stable dotted name, e.g. `system.proxy_auth.integrated`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ProxyUnresolved => "proxy.unresolved",
            Code::NoDnsServer => "dns.no_server",
            Code::NamesUnresolved => "dns.unresolved",
            Code::ProxyUnreachable => "proxy.unreachable",
            Code::ConnectFailed => "network.connect_failed",
            Code::ConnectFiltered => "network.connect_filtered",
            Code::SystemProxyAuthIntegrated => "system.proxy_auth.integrated",
            Code::SystemProxyAuthOther => "system.proxy_auth.other",
            Code::ProxyAuthLogonRejected => "proxy_auth.logon_rejected",
            Code::ProxyAuthLogonDenied => "proxy_auth.logon_denied",
            Code::ProxyDenied => "proxy.denied",
            Code::ProxyError => "proxy.error",
            Code::Timeout => "network.timeout",
            Code::SystemTlsIntercepted => "system.tls.intercepted",
            Code::SystemTlsInterceptedPublic => "system.tls.intercepted_public",
            Code::TlsFailed => "tls.failed",
            Code::HttpUnexpected => "http.unexpected",
            Code::SystemClean => "system.clean",
            Code::SystemProxyAuthProven => "system.proxy_auth.proven",
            Code::UserProxyAuthProven => "user.proxy_auth.proven",
            Code::AuthAccountOnly => "auth.account_only",
            Code::UserApproachFits => "approach.user",
            Code::UserRouteWorks => "user.route_works",
            Code::UserApproachRuledOut => "approach.user.ruled_out",
            Code::UserBlocked => "user.blocked",
            Code::UserAuthProxyDisabled => "user.auth_proxy.disabled",
            Code::UserAuthProxyUnsetWindows7 => "user.auth_proxy.unset_windows7",
            Code::UserAuthProxyNotKnown => "user.auth_proxy.not_known",
            Code::UserSignedInNotKnown => "user.signed_in.not_known",
            Code::UserDefenderNotKnown => "user.defender.not_known",
            Code::NothingProbed => "network.nothing_probed",
            Code::SystemNotProbed => "system.not_probed",
            Code::ContextAssumedSystem => "context.assumed_system",
            Code::SettingsNotRead => "settings.not_read",
            Code::EndpointUnprobeable => "endpoint.unprobeable",
            Code::SystemMixedRoutes => "system.mixed_routes",
            Code::EndpointsNotUsed => "endpoint.not_used",
            Code::DiagTrackAgrees => "diagtrack.agrees",
            Code::DiagTrackDiffers => "diagtrack.differs",
            Code::DiagTrackNoReport => "diagtrack.no_report",
            Code::DiagTrackNothingToUpload => "diagtrack.nothing_to_upload",
            Code::SettingsDiagnosticOff => "settings.diagnostic_level.off",
            Code::SettingsDiagTrackOff => "settings.diagtrack.off",
            Code::SettingsCommercialIdConflict => "settings.commercial_id.conflict",
            Code::SettingsDiagnosticOffLenient => "settings.diagnostic_level.off_lenient",
            Code::SettingsCommercialIdMissing => "settings.commercial_id.missing",
            Code::SettingsDeviceNameHidden => "settings.device_name.hidden",
            Code::SettingsLimitedFallsBack => "settings.limited_enhanced.falls_back",
            Code::SettingsTelemetryProxy => "settings.telemetry_proxy.set",
            Code::SettingsTelemetryProxyNeedsAuthProxyDisabled => {
                "settings.telemetry_proxy.needs_auth_proxy_disabled"
            }
            Code::SettingsProxyPerMachine => "settings.proxy.per_machine",
            Code::SettingsAuthProxyDisabled => "settings.auth_proxy.disabled",
            Code::SettingsLocalSystemNtlmAnonymous => "settings.use_machine_id.off",
            Code::SettingsAsrBlocksPsexec => "settings.asr_psexec_wmi.block",
        }
    }

    /// Whether the code names what stops a connection (as opposed to an approach, a setting
    /// or how the results were read).
    #[must_use]
    pub fn is_cause(self) -> bool {
        self <= Code::HttpUnexpected
    }

    /// How much a finding of this code weighs.
    #[must_use]
    pub fn severity(self) -> Severity {
        match self {
            Code::ProxyUnresolved
            | Code::NoDnsServer
            | Code::NamesUnresolved
            | Code::ProxyUnreachable
            | Code::ConnectFailed
            | Code::ConnectFiltered
            | Code::SystemProxyAuthIntegrated
            | Code::SystemProxyAuthOther
            | Code::ProxyAuthLogonRejected
            | Code::ProxyAuthLogonDenied
            | Code::ProxyDenied
            | Code::ProxyError
            | Code::Timeout
            | Code::SystemTlsIntercepted
            | Code::SystemTlsInterceptedPublic
            | Code::TlsFailed
            | Code::HttpUnexpected
            | Code::NothingProbed
            | Code::SystemNotProbed
            | Code::EndpointUnprobeable
            | Code::SettingsDiagnosticOff
            | Code::SettingsDiagTrackOff
            | Code::SettingsCommercialIdConflict => Severity::Blocker,
            Code::SystemClean
            | Code::SystemProxyAuthProven
            | Code::UserProxyAuthProven
            | Code::AuthAccountOnly
            | Code::UserApproachFits
            | Code::UserRouteWorks
            | Code::UserApproachRuledOut
            | Code::UserAuthProxyDisabled
            | Code::UserAuthProxyUnsetWindows7
            | Code::UserAuthProxyNotKnown
            | Code::UserSignedInNotKnown
            | Code::ContextAssumedSystem
            | Code::SettingsNotRead
            | Code::SystemMixedRoutes
            | Code::DiagTrackAgrees
            | Code::DiagTrackDiffers
            | Code::DiagTrackNoReport
            | Code::DiagTrackNothingToUpload
            | Code::SettingsTelemetryProxyNeedsAuthProxyDisabled
            | Code::SettingsLocalSystemNtlmAnonymous => Severity::Caveat,
            Code::UserBlocked
            | Code::UserDefenderNotKnown
            | Code::EndpointsNotUsed
            | Code::SettingsDiagnosticOffLenient
            | Code::SettingsCommercialIdMissing
            | Code::SettingsDeviceNameHidden
            | Code::SettingsLimitedFallsBack
            | Code::SettingsTelemetryProxy
            | Code::SettingsProxyPerMachine
            | Code::SettingsAuthProxyDisabled
            | Code::SettingsAsrBlocksPsexec => Severity::Note,
        }
    }
}

/// One probe a finding quotes: the endpoint's host, the route taken and where it stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    pub host: String,
    pub route: Route,
    /// The setting that chose the route.
    pub source: String,
    pub status: Status,
    pub stage: Option<Stage>,
    /// The assessment's line for a person.
    pub detail: String,
    /// Why it stopped, in a few words, without the address the rest of the sentence names.
    pub why: String,
    /// The authentication schemes the proxy offered, when it asked for any.
    pub schemes: Vec<String>,
    /// Who re-signed the chain, when SSL inspection was detected.
    pub inspector: Option<Inspector>,
    /// After a handshake: the account presented and the package used, as far as known.
    pub account: Option<String>,
    pub package: Option<String>,
    /// Which identity ran the probe, when known.
    pub identity: Option<Identity>,
    /// The handshake presented explicit credentials (not a logon).
    pub explicit: bool,
}

/// Who SSL inspection points at: the product when it is recognised, else the issuing CA.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inspector {
    Product(String),
    Issuer(String),
}

/// What a finding rests on: the results and settings it cites, the values it quotes, and the
/// Connection Health property it matches.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Evidence {
    pub refs: Vec<Ref>,
    pub facts: Vec<Fact>,
    pub health: Option<Health>,
}

/// A device fact a finding quotes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fact {
    /// The Windows product name, when it was read.
    Product(Option<String>),
    /// The key (`policy`, `local`) that set the diagnostic-data level.
    LevelSetBy(&'static str),
    /// The proxy `TelemetryProxyServer` names.
    TelemetryProxy(String),
    /// Microsoft Defender for Endpoint is on the device.
    DefenderPresent,
    /// No user is signed in.
    NoUserSignedIn,
    /// Some routes of the system context fail, though every endpoint has one that works.
    SomeRoutesFail,
    /// What DiagTrack's own upload summary says, and how it compares with the probes.
    Utc(UtcFacts),
}

/// DiagTrack's summary, as a finding quotes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UtcFacts {
    pub state: UploadState,
    /// The end of the summary period, as shown (a date and the raw value).
    pub period_end: Option<String>,
    /// `LastHttpErrorCode`, when not 0.
    pub last_http_error: Option<u32>,
    pub proxy_detected: Option<bool>,
    /// `LastCertificateValidationFailureCode`, when `AnyCertificateValidationFailures` is true.
    pub certificate_failure: Option<u32>,
    /// The last HTTP error is 407 and the probes meet proxy authentication too.
    pub corroborates_auth: bool,
    /// DiagTrack saw certificate failures and the probes found SSL inspection.
    pub corroborates_interception: bool,
    /// Where it disagrees with the probes.
    pub mismatches: Vec<Mismatch>,
}

/// How DiagTrack's summary and the probes disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mismatch {
    /// All sent without a proxy, while the system context's proxied routes fail.
    SentDirect,
    /// All sent through a proxy, while the system context's direct routes fail.
    SentViaUnseenProxy,
    /// All sent, while the probes fail.
    SentWhileProbesFail,
    /// Data dropped, while every probe gets through.
    DroppedWhileProbesPass,
    /// DiagTrack's last error is 407, but no probe met proxy authentication.
    AuthNotSeenByProbes,
    /// DiagTrack saw certificate failures, but the probes found no inspection.
    CertificateFailuresNotSeenByProbes,
}

/// The Configuration Manager Connection Health property (or script error code) a finding
/// matches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Health {
    /// Connectivity status: 407 from the proxy.
    ProxyAuthRequired,
    /// Windows diagnostic endpoint connectivity (code 12), with the status code seen, if any.
    DiagnosticEndpoint { status: Option<u16> },
    /// Endpoint connectivity checks, with the status code seen, if any.
    EndpointConnectivity { status: Option<u16> },
    /// Check user proxy (code 30).
    CheckUserProxy,
    /// Windows diagnostic data opt-in.
    DiagnosticOptIn,
    /// `DiagTrack` service configuration (code 50).
    DiagTrackConfiguration,
    /// Commercial ID configuration (code 53 when it is wrong).
    CommercialId { wrong: bool },
    /// Check device name in diagnostic data.
    DeviceName,
    /// Upgrade Readiness script code 46.
    TelemetryProxyScript,
}

/// One thing to do, as data: what kind, the hosts it concerns, and whether it is an alternative
/// to the fix before it rather than a step of the verdict's approach.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remedy {
    pub kind: FixKind,
    pub hosts: Vec<String>,
    /// "Or": another way to the same end, not a step to take as well.
    pub alternative: bool,
}

/// The kinds of fix the verdict proposes, with what their text needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixKind {
    /// Stop asking for authentication for the hosts (the bypass approach), on these proxies.
    DropProxyAuth { proxies: Vec<String> },
    /// Let computer accounts through with Windows Integrated Authentication (device approach).
    AllowComputerAccounts {
        proxies: Vec<String>,
        /// The computer account that authenticated as SYSTEM, when it was tried.
        account: Option<String>,
        /// It authenticated and the proxy refused the request: allow it, rather than let it
        /// authenticate.
        denied: bool,
    },
    /// Exclude the hosts from SSL inspection, on the product (or CA) that inspects them.
    ExcludeFromInspection { by: Option<Inspector> },
    /// Make the endpoint names resolve on the device's DNS.
    ResolveNames,
    /// Find why no DNS server answers: the network connection, the DNS servers.
    CheckNetwork,
    /// Correct the proxy setting that names a proxy whose name does not resolve.
    FixProxyName { proxy: String, setting: Setting },
    /// Correct (or start) a proxy that cannot be reached.
    FixDeadProxy { proxy: String, setting: Setting },
    /// Allow direct connections to the hosts through the firewall, on port 443 (and 80).
    OpenFirewall,
    /// Allow the hosts on the proxy, which refuses them.
    AllowOnProxy { proxies: Vec<String> },
    /// The proxy fails on its way to the hosts: check its own DNS and upstream.
    CheckProxyUpstream { proxies: Vec<String> },
    /// Find what slows or cuts the connection at a later stage.
    CheckPath,
    /// Give the system context the route that works in the user's context.
    ShareUserRoute { route: Route, setting: Setting },
    /// Set `DisableEnterpriseAuthProxy` to 0.
    EnableAuthProxy,
    /// Raise the diagnostic-data level to at least Required.
    RaiseDiagnosticLevel,
    /// Enable and start `DiagTrack`.
    StartDiagTrack,
    /// Correct or remove the Commercial ID policy.
    FixCommercialId,
}

/// Which setting chose a route: what a fix of that route changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Setting {
    /// WinHTTP's own proxy (`netsh winhttp`).
    WinHttp,
    /// The `TelemetryProxyServer` policy.
    TelemetryProxy,
    /// Automatic configuration: WPAD or a PAC script.
    AutoConfig,
    /// WinINET (Internet Options), the user's or LocalSystem's.
    WinInet,
    /// A flag or the environment of this run.
    ThisRun,
}

impl Setting {
    /// The setting a route's source names.
    #[must_use]
    pub fn of_source(source: &str) -> Self {
        let lower = source.to_ascii_lowercase();
        if lower.contains("telemetryproxyserver") {
            Setting::TelemetryProxy
        } else if lower.contains("wpad") || lower.contains("pac") || lower.contains("auto") {
            Setting::AutoConfig
        } else if lower.contains("winhttp") {
            Setting::WinHttp
        } else if lower.contains("wininet") || lower.contains("internet options") {
            Setting::WinInet
        } else {
            Setting::ThisRun
        }
    }
}

impl Hop {
    /// The hop a probe result describes.
    #[must_use]
    pub fn of(result: &ProbeResult) -> Self {
        let auth = result.proxy.as_ref().and_then(|p| p.auth.as_ref());
        let inspector = match result.tls.as_ref().map(|tls| &tls.trust.verdict) {
            Some(
                Interception::Detected {
                    product: Some(product),
                    ..
                }
                | Interception::Untrusted {
                    product: Some(product),
                    ..
                },
            ) => Some(Inspector::Product(product.clone())),
            Some(
                Interception::Detected { issuer, .. } | Interception::Untrusted { issuer, .. },
            ) => Some(Inspector::Issuer(issuer.clone())),
            _ => None,
        };
        Self {
            host: result.host.clone(),
            route: result.route.route.clone(),
            source: result.route.source.clone(),
            status: result.status,
            stage: result.stage,
            detail: result.detail.clone(),
            why: why(result),
            schemes: offered_schemes(result),
            inspector,
            account: auth.and_then(|a| a.account().map(str::to_owned)),
            package: auth.and_then(|a| a.authenticated.package.clone()),
            identity: result.probed_as,
            explicit: auth.is_some_and(|a| matches!(a.presenting, Presenting::Explicit { .. })),
        }
    }
}

/// Why a probe stopped, in a few words: the failure's own reason, else the assessment's line.
fn why(result: &ProbeResult) -> String {
    match &result.failure {
        Some(ProbeFailure::DnsFailed { cause, .. }) => cause.short().to_owned(),
        Some(ProbeFailure::ConnectFailed { cause, reason, .. }) => match cause {
            ConnectCause::Refused => "connection refused".to_owned(),
            ConnectCause::HostUnreachable => "host unreachable".to_owned(),
            ConnectCause::NetworkUnreachable => "network unreachable".to_owned(),
            ConnectCause::Reset => "connection reset".to_owned(),
            ConnectCause::Other => reason.clone(),
        },
        Some(ProbeFailure::Timeout { after_ms, .. }) => format!("no answer within {after_ms} ms"),
        Some(
            ProbeFailure::ProxyDenied { reason, .. }
            | ProbeFailure::ProxyError { reason, .. }
            | ProbeFailure::TlsFailed { reason }
            | ProbeFailure::HttpFailed { reason },
        ) => reason.clone(),
        _ => result.detail.clone(),
    }
}

/// The schemes a 407 offered: from the failure when it names them, else the proxy's challenges.
pub(super) fn offered_schemes(result: &ProbeResult) -> Vec<String> {
    match &result.failure {
        Some(ProbeFailure::ProxyAuthRequired { schemes }) if !schemes.is_empty() => schemes.clone(),
        _ => result
            .proxy
            .iter()
            .flat_map(|p| p.challenges.iter().map(|c| c.scheme.clone()))
            .collect(),
    }
}

/// Whether `schemes` include Windows Integrated Authentication (Negotiate, NTLM, Kerberos), the
/// only schemes the diagnostic-data service answers a 407 with.
#[must_use]
pub(super) fn offers_integrated(schemes: &[String]) -> bool {
    schemes
        .iter()
        .any(|s| ["negotiate", "ntlm", "kerberos"].contains(&s.to_ascii_lowercase().as_str()))
}

/// A citation of a probe result.
pub(super) fn result_ref(result: &ProbeResult) -> Ref {
    Ref::Result {
        endpoint: result.endpoint.clone(),
        context: result.context,
    }
}

/// A citation of a device setting.
pub(super) fn setting_ref(name: &str) -> Ref {
    Ref::Setting {
        name: name.to_owned(),
    }
}

/// A remedy that is a step of the verdict (not an alternative).
pub(super) fn remedy(kind: FixKind, hosts: Vec<String>) -> Remedy {
    Remedy {
        kind,
        hosts,
        alternative: false,
    }
}

/// A finding with nothing but its code.
pub(super) fn bare(code: Code) -> Finding {
    Finding {
        code,
        contexts: Vec::new(),
        hops: Vec::new(),
        hosts: Vec::new(),
        evidence: Evidence::default(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_has_its_own_dotted_lower_case_name() {
        let names: HashSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len(), "names repeat");
        for name in names {
            assert!(name.contains('.'), "{name}");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._".contains(c)),
                "{name}"
            );
        }
    }

    #[test]
    fn the_readme_lists_every_code_with_its_weight() {
        let readme = include_str!("../../README.md");
        let listed: Vec<(&str, &str)> = readme
            .lines()
            .filter_map(|line| {
                let mut cells = line.strip_prefix("| `")?.split(" | ");
                let code = cells.next()?.strip_suffix('`')?;
                Some((code, cells.next()?))
            })
            .collect();
        let expected: Vec<(&str, &str)> = Code::ALL
            .iter()
            .map(|c| (c.as_str(), c.severity().as_str()))
            .collect();
        assert_eq!(listed, expected, "README.md's table of finding codes");
    }

    #[test]
    fn the_names_the_issue_promised_are_stable() {
        let cases = [
            (
                Code::SystemProxyAuthIntegrated,
                "system.proxy_auth.integrated",
            ),
            (Code::SystemTlsIntercepted, "system.tls.intercepted"),
            (
                Code::SettingsAuthProxyDisabled,
                "settings.auth_proxy.disabled",
            ),
        ];
        for (code, name) in cases {
            assert_eq!(code.as_str(), name);
        }
    }

    #[test]
    fn integrated_authentication_is_negotiate_ntlm_or_kerberos_in_any_case() {
        let cases: [(&[&str], bool); 6] = [
            (&["Negotiate"], true),
            (&["Basic", "NTLM"], true),
            (&["kerberos"], true),
            (&["Basic"], false),
            (&["Digest", "Basic"], false),
            (&[], false),
        ];
        for (schemes, expected) in cases {
            let schemes: Vec<String> = schemes.iter().map(|s| (*s).to_owned()).collect();
            assert_eq!(offers_integrated(&schemes), expected, "{schemes:?}");
        }
    }
}
