//! Rules for when only the signed-in user's context gets through: the user approach, unless the
//! device rules it out, and what it still needs from the settings.

use crate::route::Context;
use crate::settings::DeviceSettings;
use crate::status::Answer;

use super::finding::{Code, Evidence, Fact, FixKind, Health, Remedy, bare, remedy, setting_ref};
use super::{Finding, Ref};

/// What the user approach needs, when only the user's context gets through: whether it holds
/// now, the findings behind that, and the remedies that would make it hold.
pub(super) struct User {
    pub(super) ready: bool,
    pub(super) findings: Vec<Finding>,
    /// Alternatives to the verdict's approach: what the user approach would need.
    pub(super) remedies: Vec<Remedy>,
}

/// Only the user context gets through: the user approach holds when nothing rules it out, the
/// authenticated proxy is allowed, and a user is known to be signed in.
pub(super) fn judge(settings: Option<&DeviceSettings>) -> User {
    if let Some(ruled_out) = ruled_out(settings) {
        return User {
            ready: false,
            findings: vec![ruled_out],
            remedies: Vec::new(),
        };
    }
    let (auth_proxy, remedies) = auth_proxy(settings);
    let signed_in = signed_in_not_known(settings);
    let ready = auth_proxy.is_none() && signed_in.is_none();
    let lead = Finding {
        contexts: vec![Context::User],
        evidence: Evidence {
            refs: user_refs(),
            ..Evidence::default()
        },
        ..bare(if ready {
            Code::UserApproachFits
        } else {
            Code::UserRouteWorks
        })
    };
    let findings = std::iter::once(lead)
        .chain(auth_proxy)
        .chain(signed_in)
        .chain(defender_not_known(settings))
        .collect();
    User {
        ready,
        findings,
        remedies: remedies
            .into_iter()
            .map(|r| Remedy {
                alternative: true,
                ..r
            })
            .collect(),
    }
}

/// Rule: Defender for Endpoint or a headless device rules the user approach out.
fn ruled_out(settings: Option<&DeviceSettings>) -> Option<Finding> {
    let mut facts = Vec::new();
    if settings.map_or(Answer::NotKnown, DeviceSettings::defender_present) == Answer::Yes {
        facts.push(Fact::DefenderPresent);
    }
    if settings.map_or(Answer::NotKnown, DeviceSettings::console_user) == Answer::No {
        facts.push(Fact::NoUserSignedIn);
    }
    (!facts.is_empty()).then(|| Finding {
        code: Code::UserApproachRuledOut,
        contexts: vec![Context::User],
        hops: Vec::new(),
        hosts: Vec::new(),
        evidence: Evidence {
            refs: user_refs(),
            facts,
            health: None,
        },
    })
}

/// Rule: the user approach needs `DisableEnterpriseAuthProxy` = 0 (or absent); a finding when it
/// is not, with the remedy when it is set.
fn auth_proxy(settings: Option<&DeviceSettings>) -> (Option<Finding>, Vec<Remedy>) {
    let disabled = settings.map_or(Answer::NotKnown, DeviceSettings::auth_proxy_disabled);
    let (code, health, remedies) = match disabled {
        Answer::No => return (None, Vec::new()),
        Answer::Yes => {
            let by_policy = settings.is_some_and(DeviceSettings::auth_proxy_disabled_by_policy);
            let code = if by_policy {
                Code::UserAuthProxyDisabled
            } else {
                Code::UserAuthProxyUnsetWindows7
            };
            let remedy = remedy(FixKind::EnableAuthProxy, Vec::new());
            (code, Some(Health::CheckUserProxy), vec![remedy])
        }
        Answer::NotKnown => (Code::UserAuthProxyNotKnown, None, Vec::new()),
    };
    let finding = Finding {
        evidence: Evidence {
            refs: vec![setting_ref("DisableEnterpriseAuthProxy")],
            facts: Vec::new(),
            health,
        },
        ..bare(code)
    };
    (Some(finding), remedies)
}

/// Rule: whether a user is signed in is not known (the user approach sends only while one is).
fn signed_in_not_known(settings: Option<&DeviceSettings>) -> Option<Finding> {
    let user = settings.map_or(Answer::NotKnown, DeviceSettings::console_user);
    (user == Answer::NotKnown).then(|| Finding {
        evidence: Evidence {
            refs: vec![setting_ref("signed-in user")],
            ..Evidence::default()
        },
        ..bare(Code::UserSignedInNotKnown)
    })
}

/// Rule: whether Defender for Endpoint is on the device is not known (it would rule the user
/// approach out).
fn defender_not_known(settings: Option<&DeviceSettings>) -> Option<Finding> {
    let defender = settings.map_or(Answer::NotKnown, DeviceSettings::defender_present);
    (defender == Answer::NotKnown).then(|| Finding {
        evidence: Evidence {
            refs: vec![setting_ref("OnboardingState")],
            ..Evidence::default()
        },
        ..bare(Code::UserDefenderNotKnown)
    })
}

/// The settings the user approach depends on.
fn user_refs() -> Vec<Ref> {
    vec![
        setting_ref("DisableEnterpriseAuthProxy"),
        setting_ref("OnboardingState"),
        setting_ref("signed-in user"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::testing::{defender, device, dword, signed_in};
    use crate::windows::keys;

    fn codes(findings: &[Finding]) -> Vec<Code> {
        findings.iter().map(|f| f.code).collect()
    }

    fn with_user(answer: Answer) -> DeviceSettings {
        let mut settings = device(|_| {});
        settings.console_user = signed_in(answer);
        settings
    }

    #[test]
    fn defender_or_a_headless_device_rules_the_user_approach_out() {
        let headless_defender = {
            let mut settings = device(defender);
            settings.console_user = signed_in(Answer::No);
            settings
        };
        let cases = [
            (device(defender), vec![Fact::DefenderPresent]),
            (with_user(Answer::No), vec![Fact::NoUserSignedIn]),
            (
                headless_defender,
                vec![Fact::DefenderPresent, Fact::NoUserSignedIn],
            ),
        ];
        for (settings, facts) in cases {
            let user = judge(Some(&settings));
            assert!(!user.ready);
            assert_eq!(codes(&user.findings), [Code::UserApproachRuledOut]);
            assert_eq!(user.findings[0].evidence.facts, facts);
        }
    }

    #[test]
    fn the_user_approach_needs_the_authenticated_proxy_and_a_signed_in_user() {
        let cases: [(&str, DeviceSettings, &[Code], bool, usize); 5] = [
            (
                "absent: fine",
                with_user(Answer::Yes),
                &[Code::UserApproachFits],
                true,
                0,
            ),
            (
                "0: fine",
                {
                    let mut settings =
                        device(dword(keys::POLICY_KEY, "DisableEnterpriseAuthProxy", 0));
                    settings.console_user = signed_in(Answer::Yes);
                    settings
                },
                &[Code::UserApproachFits],
                true,
                0,
            ),
            (
                "1: disabled",
                device(dword(keys::POLICY_KEY, "DisableEnterpriseAuthProxy", 1)),
                &[Code::UserRouteWorks, Code::UserAuthProxyDisabled],
                false,
                1,
            ),
            (
                "Windows 7 without the value",
                device(|r| {
                    r.set(
                        keys::CURRENT_VERSION_KEY,
                        "CurrentBuild",
                        crate::windows::registry::ValueData::String("7601".to_owned()),
                        crate::windows::registry::Origin {
                            source: "device.reg".to_owned(),
                            line: None,
                        },
                    );
                }),
                &[Code::UserRouteWorks, Code::UserAuthProxyUnsetWindows7],
                false,
                1,
            ),
            (
                "signed-in user not known",
                with_user(Answer::NotKnown),
                &[Code::UserRouteWorks, Code::UserSignedInNotKnown],
                false,
                0,
            ),
        ];
        for (name, settings, expected, ready, remedies) in cases {
            let user = judge(Some(&settings));
            assert_eq!(codes(&user.findings), expected, "{name}");
            assert_eq!(user.ready, ready, "{name}");
            assert_eq!(user.remedies.len(), remedies, "{name}");
            assert!(user.remedies.iter().all(|r| r.alternative), "{name}");
        }
    }

    #[test]
    fn without_settings_everything_the_user_approach_needs_is_not_known() {
        let user = judge(None);
        assert!(!user.ready);
        assert_eq!(
            codes(&user.findings),
            [
                Code::UserRouteWorks,
                Code::UserAuthProxyNotKnown,
                Code::UserSignedInNotKnown,
                Code::UserDefenderNotKnown,
            ]
        );
    }
}
