//! The verdict: which proxy approach fits this device (bypass, device or user proxy
//! authentication, or none yet), whether it is ready, why, and the exact fixes.
//!
//! Pure: it reads probe results and device settings, and never probes or reads anything itself.
//! Rules (`network`, `user`, `device`) return findings and remedies as data (`finding`); `text`
//! renders them into the reasons and fixes a person reads.

mod device;
mod finding;
mod network;
mod text;
mod user;

#[cfg(test)]
mod testing;

use crate::assess::ProbeResult;
use crate::route::Context;
use crate::settings::DeviceSettings;

pub use finding::{Code, Finding, Remedy};

/// Which approach fits, whether the device is ready, why, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub approach: Approach,
    /// Diagnostic data can reach Microsoft now, as far as the probes and settings tell.
    pub ready: bool,
    pub reasons: Vec<Reason>,
    pub fixes: Vec<Fix>,
    /// What the reasons were rendered from: one finding per reason, in the same order.
    pub findings: Vec<Finding>,
    /// What the fixes were rendered from: one remedy per fix, in the same order.
    pub remedies: Vec<Remedy>,
}

impl Verdict {
    /// The verdict in one line: readiness and the approach, as every one-line output states it
    /// (the table's first line, the stderr note after `--output`, the Intune line).
    #[must_use]
    pub fn headline(&self) -> String {
        let approach = self.approach.as_str();
        if self.ready {
            format!("READY — {approach}")
        } else {
            format!("NOT READY — approach: {approach}")
        }
    }
}

/// The proxy approaches of Microsoft's "Proxy server authentication" guidance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approach {
    /// No proxy authentication and no inspection for the endpoints (recommended).
    Bypass,
    /// Device proxy authentication: the proxy lets computer accounts through.
    Device,
    /// User proxy authentication: the signed-in user's proxy and credentials.
    User,
    /// Nothing fits until something on the network changes.
    None,
}

impl Approach {
    /// Every approach.
    pub const ALL: [Approach; 4] = [
        Approach::Bypass,
        Approach::Device,
        Approach::User,
        Approach::None,
    ];

    /// The approach's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Approach::Bypass => "bypass",
            Approach::Device => "device",
            Approach::User => "user",
            Approach::None => "none",
        }
    }
}

/// One reason for the verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub text: String,
    /// The results and settings that led here.
    pub refs: Vec<Ref>,
    /// The Configuration Manager Connection Health property (and code), or the Upgrade
    /// Readiness / Update Compliance script error code, this matches.
    pub health: Option<String>,
}

/// What a reason points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ref {
    /// A probe result: the endpoint's URL and the context.
    Result { endpoint: String, context: Context },
    /// A device setting, by name.
    Setting { name: String },
}

/// One thing to do, with the commands to paste and the hosts it concerns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub commands: Vec<String>,
    pub hosts: Vec<String>,
}

/// Decides the approach from the probe results and, when they could be read, the settings.
///
/// Contexts other than `user` (`system`, and `explicit` or `environment` runs) count as the
/// system context, which the diagnostic-data service uses by default.
#[must_use]
pub fn decide(results: &[ProbeResult], settings: Option<&DeviceSettings>) -> Verdict {
    let (endpoints, left_out) = network::counted(network::group(results), settings);
    let network = network::judge(&endpoints, settings);
    let device = device::judge(settings, network.approach);
    // The approach and why open the verdict; then how the results were read, what the network
    // showed, and what the settings say.
    let findings: Vec<Finding> = network
        .lead
        .into_iter()
        .chain(network::assumed_contexts(results))
        .chain(left_out)
        .chain(network.findings)
        .chain(device.findings)
        .collect();
    let remedies: Vec<Remedy> = network
        .remedies
        .into_iter()
        .chain(device.remedies)
        .collect();
    Verdict {
        approach: network.approach,
        ready: network.ready && device.ready,
        reasons: findings.iter().map(text::reason).collect(),
        fixes: remedies.iter().map(text::fix).collect(),
        findings,
        remedies,
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{
        PROXY, SETTINGS, V10C, VORTEX, WATCAB, defender, device, dword, each, probe, signed_in,
    };
    use super::*;
    use crate::status::Answer;
    use crate::windows::keys;

    const HOSTS: [&str; 3] = [V10C, SETTINGS, WATCAB];

    fn codes(verdict: &Verdict) -> Vec<Code> {
        verdict.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn each_approach_follows_from_the_results() {
        let clean = || each(&HOSTS, |p| p);
        let user_ok = || each(&HOSTS, |p| p.user().via(PROXY));
        let negotiate = || each(&HOSTS, |p| p.via(PROXY).auth(&["Negotiate"]));
        let direct_fails = || each(&HOSTS, super::testing::Probe::connect_failed);
        let cases = [
            ("clean system context", clean(), Approach::Bypass, true),
            ("integrated auth only", negotiate(), Approach::Device, false),
            (
                "only the user context",
                [direct_fails(), user_ok()].concat(),
                Approach::User,
                true,
            ),
            (
                "nothing gets through",
                [direct_fails(), each(&HOSTS, |p| p.user().dns_failed())].concat(),
                Approach::None,
                false,
            ),
            ("nothing probed", Vec::new(), Approach::None, false),
        ];
        for (name, results, approach, ready) in cases {
            let verdict = decide(&results, Some(&device(|_| {})));
            assert_eq!(verdict.approach, approach, "{name}");
            assert_eq!(verdict.ready, ready, "{name}");
        }
    }

    #[test]
    fn settings_hold_readiness_back_whatever_the_network() {
        let cases: [(&str, Option<DeviceSettings>, bool); 5] = [
            ("set up", Some(device(|_| {})), true),
            ("not read", None, true),
            (
                "diagnostic data off",
                Some(device(dword(keys::POLICY_KEY, "AllowTelemetry", 0))),
                false,
            ),
            (
                "DiagTrack disabled",
                Some(device(dword(keys::DIAGTRACK_KEY, "Start", 4))),
                false,
            ),
            (
                "device name hidden (a note only)",
                Some(device(dword(
                    keys::POLICY_KEY,
                    "AllowDeviceNameInTelemetry",
                    0,
                ))),
                true,
            ),
        ];
        for (name, settings, ready) in cases {
            let verdict = decide(&each(&HOSTS, |p| p), settings.as_ref());
            assert_eq!(verdict.approach, Approach::Bypass, "{name}");
            assert_eq!(verdict.ready, ready, "{name}");
        }
    }

    #[test]
    fn the_approach_leads_then_contexts_then_the_network_then_the_settings() {
        let results = [
            each(&HOSTS, |p| {
                p.in_context(Context::Explicit)
                    .via(PROXY)
                    .auth(&["Negotiate"])
            }),
            vec![probe("*.manage.microsoft.com").not_probed().build()],
        ]
        .concat();
        let verdict = decide(
            &results,
            Some(&device(dword(
                keys::POLICY_KEY,
                "AllowDeviceNameInTelemetry",
                0,
            ))),
        );
        assert_eq!(
            codes(&verdict),
            [
                Code::DeviceApproachFits,
                Code::ContextAssumedSystem,
                Code::EndpointUnprobeable,
                Code::SystemProxyAuthIntegrated,
                Code::SettingsDeviceNameHidden,
            ]
        );
    }

    #[test]
    fn a_user_approach_ruled_out_leads_after_the_device_approach() {
        let results = [
            each(&HOSTS, |p| p.via(PROXY).auth(&["NTLM"])),
            each(&HOSTS, |p| p.user().via(PROXY)),
        ]
        .concat();
        let verdict = decide(&results, Some(&device(defender)));
        assert_eq!(verdict.approach, Approach::Device);
        assert_eq!(
            codes(&verdict)[..3],
            [
                Code::DeviceApproachFits,
                Code::UserApproachRuledOut,
                Code::SystemProxyAuthIntegrated,
            ]
        );
    }

    #[test]
    fn every_reason_and_fix_is_rendered_from_its_finding_and_remedy() {
        let results = [
            each(&HOSTS, |p| p.via(PROXY).auth(&["Basic"])),
            vec![probe(VORTEX).connect_failed().build()],
        ]
        .concat();
        let mut settings = device(dword(keys::POLICY_KEY, "AllowTelemetry", 0));
        settings.console_user = signed_in(Answer::NotKnown);
        let verdict = decide(&results, Some(&settings));
        assert_eq!(verdict.findings.len(), verdict.reasons.len());
        assert_eq!(verdict.remedies.len(), verdict.fixes.len());
        for (finding, reason) in verdict.findings.iter().zip(&verdict.reasons) {
            assert_eq!(text::reason(finding), *reason);
        }
        for (remedy, fix) in verdict.remedies.iter().zip(&verdict.fixes) {
            assert_eq!(text::fix(remedy), *fix);
        }
    }
}
