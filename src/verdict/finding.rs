//! The verdict's model: findings (why) and remedies (what to do), as data with stable codes.
//! The text a person reads is rendered from these in `text.rs`; nothing here is prose.

use crate::assess::ProbeResult;
use crate::probe::ProbeFailure;
use crate::route::{Context, Route};
use crate::status::{Stage, Status};
use crate::trust::Interception;

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

/// The stable name of a finding: one per distinct reason the verdict gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    /// A context other than `system` and `user` stood in for the system context.
    ContextAssumedSystem,
    /// Endpoints this Windows version does not use were left out.
    EndpointsNotUsed,
    /// A wildcard endpoint cannot be probed; its pattern has to be allowed.
    EndpointUnprobeable,
    /// No endpoint was probed at all.
    NothingProbed,
    /// Every endpoint answered cleanly in the system context: the bypass approach.
    SystemClean,
    /// Some endpoints were not probed in the system context.
    SystemNotProbed,
    /// An endpoint answers through one system-context route but not another.
    SystemMixedRoutes,
    /// The system context's proxy demands Windows Integrated Authentication.
    SystemProxyAuthIntegrated,
    /// The system context's proxy demands authentication Windows does not send (Basic, Digest).
    SystemProxyAuthOther,
    /// SSL inspection of endpoints whose chain must end in Microsoft's root.
    SystemTlsIntercepted,
    /// SSL inspection of storage endpoints judged against public roots.
    SystemTlsInterceptedPublic,
    /// An endpoint is blocked at a hop (in the system context, or in both).
    SystemBlocked,
    /// Every system blocker offers Windows Integrated Authentication: the device approach.
    DeviceApproachFits,
    /// Only the user context gets through: the user approach.
    UserApproachFits,
    /// Only the user context gets through, but the device rules the user approach out.
    UserApproachRuledOut,
    /// Beside the user approach, the device approach would also work.
    UserAlsoDeviceApproach,
    /// The user context does not get through either.
    UserBlocked,
    /// `DisableEnterpriseAuthProxy` is 1, so the user's proxy is never used.
    UserAuthProxyDisabled,
    /// `DisableEnterpriseAuthProxy` is absent on Windows 7, which disables the user's proxy.
    UserAuthProxyUnsetWindows7,
    /// `DisableEnterpriseAuthProxy` could not be read.
    UserAuthProxyNotKnown,
    /// Whether a user is signed in could not be told.
    UserSignedInNotKnown,
    /// Whether Defender for Endpoint is on the device could not be told.
    UserDefenderNotKnown,
    /// No device settings were read.
    SettingsNotRead,
    /// `AllowTelemetry` is 0 on an edition that treats 0 as Required.
    SettingsDiagnosticOffLenient,
    /// `AllowTelemetry` is 0: no diagnostic data is sent.
    SettingsDiagnosticOff,
    /// The `DiagTrack` service is disabled or stopped.
    SettingsDiagTrackOff,
    /// The Commercial ID of the policy differs from Configuration Manager's.
    SettingsCommercialIdConflict,
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
}

impl Code {
    /// Every code, in the order the verdict can give them.
    pub const ALL: [Code; 34] = [
        Code::ContextAssumedSystem,
        Code::EndpointsNotUsed,
        Code::EndpointUnprobeable,
        Code::NothingProbed,
        Code::SystemClean,
        Code::SystemNotProbed,
        Code::SystemMixedRoutes,
        Code::SystemProxyAuthIntegrated,
        Code::SystemProxyAuthOther,
        Code::SystemTlsIntercepted,
        Code::SystemTlsInterceptedPublic,
        Code::SystemBlocked,
        Code::DeviceApproachFits,
        Code::UserApproachFits,
        Code::UserApproachRuledOut,
        Code::UserAlsoDeviceApproach,
        Code::UserBlocked,
        Code::UserAuthProxyDisabled,
        Code::UserAuthProxyUnsetWindows7,
        Code::UserAuthProxyNotKnown,
        Code::UserSignedInNotKnown,
        Code::UserDefenderNotKnown,
        Code::SettingsNotRead,
        Code::SettingsDiagnosticOffLenient,
        Code::SettingsDiagnosticOff,
        Code::SettingsDiagTrackOff,
        Code::SettingsCommercialIdConflict,
        Code::SettingsCommercialIdMissing,
        Code::SettingsDeviceNameHidden,
        Code::SettingsLimitedFallsBack,
        Code::SettingsTelemetryProxy,
        Code::SettingsTelemetryProxyNeedsAuthProxyDisabled,
        Code::SettingsProxyPerMachine,
        Code::SettingsAuthProxyDisabled,
    ];

    /// The code's stable dotted name, e.g. `system.proxy_auth.integrated`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Code::ContextAssumedSystem => "context.assumed_system",
            Code::EndpointsNotUsed => "endpoint.not_used",
            Code::EndpointUnprobeable => "endpoint.unprobeable",
            Code::NothingProbed => "network.nothing_probed",
            Code::SystemClean => "system.clean",
            Code::SystemNotProbed => "system.not_probed",
            Code::SystemMixedRoutes => "system.mixed_routes",
            Code::SystemProxyAuthIntegrated => "system.proxy_auth.integrated",
            Code::SystemProxyAuthOther => "system.proxy_auth.other",
            Code::SystemTlsIntercepted => "system.tls.intercepted",
            Code::SystemTlsInterceptedPublic => "system.tls.intercepted_public",
            Code::SystemBlocked => "system.blocked",
            Code::DeviceApproachFits => "approach.device",
            Code::UserApproachFits => "approach.user",
            Code::UserApproachRuledOut => "approach.user.ruled_out",
            Code::UserAlsoDeviceApproach => "approach.user.device_also_fits",
            Code::UserBlocked => "user.blocked",
            Code::UserAuthProxyDisabled => "user.auth_proxy.disabled",
            Code::UserAuthProxyUnsetWindows7 => "user.auth_proxy.unset_windows7",
            Code::UserAuthProxyNotKnown => "user.auth_proxy.not_known",
            Code::UserSignedInNotKnown => "user.signed_in.not_known",
            Code::UserDefenderNotKnown => "user.defender.not_known",
            Code::SettingsNotRead => "settings.not_read",
            Code::SettingsDiagnosticOffLenient => "settings.diagnostic_level.off_lenient",
            Code::SettingsDiagnosticOff => "settings.diagnostic_level.off",
            Code::SettingsDiagTrackOff => "settings.diagtrack.off",
            Code::SettingsCommercialIdConflict => "settings.commercial_id.conflict",
            Code::SettingsCommercialIdMissing => "settings.commercial_id.missing",
            Code::SettingsDeviceNameHidden => "settings.device_name.hidden",
            Code::SettingsLimitedFallsBack => "settings.limited_enhanced.falls_back",
            Code::SettingsTelemetryProxy => "settings.telemetry_proxy.set",
            Code::SettingsTelemetryProxyNeedsAuthProxyDisabled => {
                "settings.telemetry_proxy.needs_auth_proxy_disabled"
            }
            Code::SettingsProxyPerMachine => "settings.proxy.per_machine",
            Code::SettingsAuthProxyDisabled => "settings.auth_proxy.disabled",
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
    /// The authentication schemes the proxy offered, when it asked for any.
    pub schemes: Vec<String>,
    /// Who re-signed the chain, when SSL inspection was detected.
    pub inspector: Option<Inspector>,
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

/// One thing to do, as data: what kind, and the hosts it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remedy {
    pub kind: FixKind,
    pub hosts: Vec<String>,
}

/// The kinds of fix the verdict proposes, with what their text needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixKind {
    /// Stop asking for authentication for the hosts (the bypass approach), on these proxies.
    DropProxyAuth { proxies: Vec<String> },
    /// Let computer accounts through with Windows Integrated Authentication (device approach).
    AllowComputerAccounts { proxies: Vec<String> },
    /// Exclude the hosts from SSL inspection.
    ExcludeFromInspection { by: Option<Inspector> },
    /// Make the host names resolve.
    ResolveNames,
    /// Allow the hosts through the firewall and the proxy.
    AllowThrough,
    /// Give WinHTTP the proxy the user context got through.
    ShareUserProxy { proxy: String },
    /// Set `DisableEnterpriseAuthProxy` to 0.
    EnableAuthProxy,
    /// Raise the diagnostic-data level to at least Required.
    RaiseDiagnosticLevel,
    /// Enable and start `DiagTrack`.
    StartDiagTrack,
    /// Correct or remove the Commercial ID policy.
    FixCommercialId,
}

impl Hop {
    /// The hop a probe result describes.
    #[must_use]
    pub fn of(result: &ProbeResult) -> Self {
        let inspector = match result.tls.as_ref().map(|tls| &tls.trust.verdict) {
            Some(Interception::Detected {
                product: Some(product),
                ..
            }) => Some(Inspector::Product(product.clone())),
            Some(Interception::Detected { issuer, .. }) => Some(Inspector::Issuer(issuer.clone())),
            _ => None,
        };
        Self {
            host: result.host.clone(),
            route: result.route.route.clone(),
            source: result.route.source.clone(),
            status: result.status,
            stage: result.stage,
            detail: result.detail.clone(),
            schemes: offered_schemes(result),
            inspector,
        }
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
