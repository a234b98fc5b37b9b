//! The verdict: which proxy approach fits this device (bypass, device or user proxy
//! authentication, or none yet), whether it is ready, why, and the exact fixes.
//!
//! Pure: it reads probe results and device settings, and never probes or reads anything itself.
//! Rules (`network`, `user`, `device`) return findings and remedies as data (`finding`); `text`
//! renders them into the reasons and fixes a person reads.

mod device;
mod diagtrack;
mod finding;
mod network;
mod text;
mod user;

#[cfg(test)]
mod testing;

use crate::assess::ProbeResult;
use crate::route::{Context, Route};
use crate::settings::DeviceSettings;
use crate::status::Status;
use crate::windows::utc::UtcReport;

pub use finding::{Code, Finding, Remedy, Severity};

/// Which approach fits, whether the device is ready, why, and what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The approach the first fix implements (or that holds, when ready).
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
    /// The verdict in one line: readiness, the approach and the first fix, as every one-line
    /// output states it (the table's first line, the stderr note after `--output`, the Intune
    /// line).
    #[must_use]
    pub fn headline(&self) -> String {
        text::headline(self.approach, self.ready, &self.findings, &self.remedies)
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

/// One reason for the verdict: one cause, the contexts and hosts it is about, and the sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reason {
    pub code: Code,
    pub severity: Severity,
    pub text: String,
    /// The contexts it is about; empty when it is about the device.
    pub contexts: Vec<Context>,
    /// The endpoint hosts it is about.
    pub hosts: Vec<String>,
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
    /// The fix's stable name, e.g. `drop_proxy_auth`.
    pub kind: &'static str,
    /// "Or": another way to the same end as the fix before it.
    pub alternative: bool,
    pub title: String,
    pub commands: Vec<String>,
    pub hosts: Vec<String>,
}

/// What the verdict weighs beside the probe results.
#[derive(Clone, Copy, Debug, Default)]
pub struct Inputs<'a> {
    /// The device settings, when they could be read.
    pub settings: Option<&'a DeviceSettings>,
    /// DiagTrack's own upload summary, when it was read.
    pub diagtrack: Option<&'a UtcReport>,
}

/// Decides the approach from the probe results and, when they could be read, the settings.
///
/// Contexts other than `user` (`system`, and `explicit` or `environment` runs) count as the
/// system context, which the diagnostic-data service uses by default.
#[must_use]
pub fn decide(results: &[ProbeResult], settings: Option<&DeviceSettings>) -> Verdict {
    decide_with(
        results,
        Inputs {
            settings,
            ..Inputs::default()
        },
    )
}

/// [`decide`], weighing Windows' own evidence too.
#[must_use]
pub fn decide_with(results: &[ProbeResult], inputs: Inputs<'_>) -> Verdict {
    let settings = inputs.settings;
    let (endpoints, left_out) = network::counted(network::group(results), settings);
    let network = network::judge(&endpoints, settings);
    let device = device::judge(settings, network.approach);
    let mut findings: Vec<Finding> = network
        .findings
        .into_iter()
        .chain(network::assumed_contexts(results))
        .chain(network::account_only(results))
        .chain(left_out)
        .chain(device.findings)
        .collect();
    // The user approach's reason already says DisableEnterpriseAuthProxy is 1: one reason per
    // cause.
    if findings
        .iter()
        .any(|f| f.code == Code::UserAuthProxyDisabled)
    {
        findings.retain(|f| f.code != Code::SettingsAuthProxyDisabled);
    }
    let ready = network.ready && device.ready;
    if let Some(report) = inputs.diagtrack {
        findings.push(diagtrack::judge(report, &found(&findings, results, ready)));
    }
    // What blocks enrollment first, then what the verdict rests on, then notes; within each,
    // in the order a connection meets the causes (the codes' order).
    findings.sort_by_key(|f| (severity(f, ready), !leads(f.code), f.code));
    let remedies: Vec<Remedy> = network
        .remedies
        .into_iter()
        .chain(device.remedies)
        .collect();
    Verdict {
        approach: network.approach,
        ready,
        reasons: findings.iter().map(|f| text::reason(f, ready)).collect(),
        fixes: remedies.iter().map(|r| text::fix(r, ready)).collect(),
        findings,
        remedies,
    }
}

/// What the verdict found that DiagTrack's summary can speak to.
fn found(findings: &[Finding], results: &[ProbeResult], ready: bool) -> diagtrack::Found {
    let has = |codes: &[Code]| findings.iter().any(|f| codes.contains(&f.code));
    let system: Vec<&ProbeResult> = results
        .iter()
        .filter(|r| r.context != Context::User && r.status != Status::NotProbed)
        .collect();
    let proxied = system
        .iter()
        .filter(|r| matches!(r.route.route, Route::Proxy { .. }))
        .count();
    diagtrack::Found {
        ready,
        proxy_auth: has(&[Code::SystemProxyAuthIntegrated, Code::SystemProxyAuthOther]),
        interception: has(&[Code::SystemTlsIntercepted, Code::SystemTlsInterceptedPublic]),
        via_proxy: match proxied {
            0 if system.is_empty() => None,
            0 => Some(false),
            n if n == system.len() => Some(true),
            _ => None,
        },
    }
}

/// Whether a finding states the approach, which leads the reasons of its severity.
fn leads(code: Code) -> bool {
    matches!(
        code,
        Code::SystemClean
            | Code::SystemProxyAuthProven
            | Code::UserProxyAuthProven
            | Code::UserApproachFits
            | Code::UserRouteWorks
    )
}

/// How much a finding weighs in this verdict: what stops a connection blocks nothing when the
/// device is ready another way (the user approach), so it is a caveat there.
fn severity(finding: &Finding, ready: bool) -> Severity {
    match finding.code.severity() {
        Severity::Blocker if ready && finding.code.is_cause() => Severity::Caveat,
        severity => severity,
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{
        PROXY, SETTINGS, V10C, VORTEX, WATCAB, defender, device, dword, each, probe, signed_in,
    };
    use super::*;
    use crate::catalog::TrustRule;
    use crate::status::Answer;
    use crate::windows::keys;

    const HOSTS: [&str; 3] = [V10C, SETTINGS, WATCAB];

    fn codes(verdict: &Verdict) -> Vec<Code> {
        verdict.findings.iter().map(|f| f.code).collect()
    }

    #[test]
    fn authentication_proves_an_approach_only_as_the_identity_the_context_uses() {
        use crate::probe::{AuthOutcome, Identity};
        const WS01: &str = "CORP\\WS01$";
        let as_system = |outcome: AuthOutcome| {
            each(&HOSTS, move |p| {
                p.probed_as(Identity::System)
                    .logon_handshake(WS01, outcome.clone())
            })
        };
        // Proven: the computer account got through as SYSTEM.
        let verdict = decide(&as_system(AuthOutcome::Accepted), Some(&device(|_| {})));
        assert!(verdict.ready);
        assert_eq!(verdict.approach, Approach::Device);
        assert_eq!(codes(&verdict)[0], Code::SystemProxyAuthProven);
        assert_eq!(
            verdict.headline(),
            "READY: device proxy authentication (the computer account CORP\\WS01$ \
             authenticated (Kerberos) for 3 endpoints)"
        );
        assert_eq!(verdict.fixes[0].kind, "drop_proxy_auth");
        assert!(
            verdict.fixes[0].alternative,
            "bypass stays recommended, optional"
        );
        // Rejected as SYSTEM: the proxy does not take the computer account.
        let verdict = decide(&as_system(AuthOutcome::Rejected), Some(&device(|_| {})));
        assert!(!verdict.ready);
        assert_eq!(verdict.approach, Approach::Device);
        assert!(codes(&verdict).contains(&Code::ProxyAuthLogonRejected));
        assert!(
            verdict.reasons[0]
                .text
                .contains("rejected the computer account CORP\\WS01$"),
            "{}",
            verdict.reasons[0].text
        );
        assert!(
            verdict.fixes[0]
                .title
                .contains("this device is CORP\\WS01$")
        );
        // Denied as SYSTEM: authenticated, refused.
        let verdict = decide(&as_system(AuthOutcome::Denied), Some(&device(|_| {})));
        assert!(codes(&verdict).contains(&Code::ProxyAuthLogonDenied));
        assert!(
            verdict.fixes[0]
                .title
                .contains("allow the computer account CORP\\WS01$"),
            "{}",
            verdict.fixes[0].title
        );
        // The same handshake by whoever ran dapreflight proves only that account.
        let current = each(&HOSTS, |p| {
            p.probed_as(Identity::Current)
                .logon_handshake("CORP\\admin", AuthOutcome::Accepted)
        });
        let verdict = decide(&current, Some(&device(|_| {})));
        assert!(!verdict.ready);
        assert_eq!(verdict.approach, Approach::Device);
        assert!(codes(&verdict).contains(&Code::SystemProxyAuthIntegrated));
        let only = verdict
            .reasons
            .iter()
            .find(|r| r.code == Code::AuthAccountOnly)
            .expect("what the account proves");
        assert!(
            only.text
                .contains("accepted CORP\\admin (the logon dapreflight ran as)")
        );
        // Explicit credentials accepted, even in a run as SYSTEM, prove the account only.
        let explicit = each(&HOSTS, |p| {
            p.probed_as(Identity::System)
                .logon_handshake("CORP\\alice", AuthOutcome::Accepted)
                .explicit()
        });
        let verdict = decide(&explicit, Some(&device(|_| {})));
        assert!(!verdict.ready);
        assert!(codes(&verdict).contains(&Code::AuthAccountOnly));
    }

    #[test]
    fn the_users_own_logon_getting_through_is_the_user_approach_never_a_route_for_winhttp() {
        use crate::probe::{AuthOutcome, Identity};
        let results = [
            each(&HOSTS, |p| {
                p.probed_as(Identity::System)
                    .logon_handshake("CORP\\WS01$", AuthOutcome::Rejected)
            }),
            each(&HOSTS, |p| {
                p.user()
                    .probed_as(Identity::User)
                    .logon_handshake("CORP\\alice", AuthOutcome::Accepted)
            }),
        ]
        .concat();
        let verdict = decide(&results, Some(&device(|_| {})));
        assert!(verdict.ready, "{:#?}", verdict.reasons);
        assert_eq!(verdict.approach, Approach::User);
        assert!(codes(&verdict).contains(&Code::UserProxyAuthProven));
        assert!(
            verdict.fixes.iter().all(|f| f.kind != "share_user_route"),
            "a route that needs the user's logon is not WinHTTP's: {:#?}",
            verdict.fixes
        );
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
                Approach::Bypass,
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
    fn blockers_lead_then_caveats_then_notes() {
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
        assert_eq!(verdict.approach, Approach::Device);
        assert_eq!(
            codes(&verdict),
            [
                Code::SystemProxyAuthIntegrated,
                Code::EndpointUnprobeable,
                Code::ContextAssumedSystem,
                Code::SettingsDeviceNameHidden,
            ]
        );
        assert!(verdict.headline().starts_with(
            "NOT READY: device proxy authentication: let computer accounts through proxy"
        ));
    }

    #[test]
    fn a_user_approach_ruled_out_leaves_the_users_route_for_winhttp() {
        let results = [
            each(&HOSTS, |p| p.via(PROXY).auth(&["NTLM"])),
            each(&HOSTS, |p| p.user().via("user.corp.example:3128")),
        ]
        .concat();
        let verdict = decide(&results, Some(&device(defender)));
        assert_eq!(verdict.approach, Approach::Bypass);
        assert!(!verdict.ready);
        assert_eq!(
            codes(&verdict)[..2],
            [Code::SystemProxyAuthIntegrated, Code::UserApproachRuledOut]
        );
        assert_eq!(verdict.fixes[0].kind, "share_user_route");
        assert!(verdict.fixes[1..].iter().all(|f| f.alternative));
    }

    #[test]
    fn the_headline_names_the_approach_of_the_first_fix() {
        let cases = [
            (
                each(&HOSTS, |p| p),
                "READY: bypass (the system context reaches 3 endpoints",
            ),
            (
                each(&HOSTS, |p| p.via(PROXY).auth(&["Basic"])),
                "NOT READY: bypass: exempt 3 hosts from authentication on proxy",
            ),
            (
                each(&HOSTS, |p| {
                    p.intercepted(TrustRule::MicrosoftApplicationRoot, Some("Zscaler"))
                }),
                "NOT READY: bypass: exclude 3 hosts from SSL inspection on Zscaler",
            ),
            (
                each(&HOSTS, super::testing::Probe::dns_failed),
                "NOT READY: bypass: make 3 endpoint names resolve",
            ),
            (Vec::new(), "NOT READY: no endpoint was probed"),
        ];
        for (results, expected) in cases {
            let verdict = decide(&results, Some(&device(|_| {})));
            assert!(
                verdict.headline().starts_with(expected),
                "{} does not start with {expected}",
                verdict.headline()
            );
        }
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
            assert_eq!(text::reason(finding, verdict.ready), *reason);
        }
        for (remedy, fix) in verdict.remedies.iter().zip(&verdict.fixes) {
            assert_eq!(text::fix(remedy, verdict.ready), *fix);
        }
    }
}
