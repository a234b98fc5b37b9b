//! Rules over the device settings: whether they let diagnostic data flow whatever the network
//! allows, and what they imply for the proxy approaches.

use crate::settings::{DeviceSettings, OsFamily};
use crate::status::Answer;

use super::Approach;
use super::Finding;
use super::finding::bare;
use super::finding::{Code, Evidence, Fact, FixKind, Health, Remedy, remedy, setting_ref};

/// What the settings say: the findings in order, the remedies, and whether data can flow.
pub(super) struct Device {
    pub(super) findings: Vec<Finding>,
    pub(super) remedies: Vec<Remedy>,
    pub(super) ready: bool,
}

/// Judges the settings, or notes that none were read (which does not hold readiness back).
pub(super) fn judge(settings: Option<&DeviceSettings>, approach: Approach) -> Device {
    let Some(settings) = settings else {
        return Device {
            findings: vec![bare(Code::SettingsNotRead)],
            remedies: Vec::new(),
            ready: true,
        };
    };
    let blocking = [
        diagnostic_level(settings),
        diagtrack(settings),
        commercial_id(settings),
    ];
    let ready = blocking.iter().all(|(_, remedy)| remedy.is_none());
    let mut findings = Vec::new();
    let mut remedies = Vec::new();
    for (finding, remedy) in blocking {
        findings.extend(finding);
        remedies.extend(remedy);
    }
    findings.extend(device_name(settings));
    findings.extend(limited_falls_back(settings));
    findings.extend(telemetry_proxy(settings));
    findings.extend(per_machine_proxy(settings));
    findings.extend(auth_proxy_disabled(settings, approach));
    findings.extend(anonymous_ntlm(settings, approach));
    findings.extend(asr_blocks_psexec(settings));
    Device {
        findings,
        remedies,
        ready,
    }
}

/// Rule: `AllowTelemetry` = 0 stops diagnostic data, except on Pro and Home, which treat it as
/// Required. A remedy comes with it exactly when it holds readiness back.
fn diagnostic_level(settings: &DeviceSettings) -> (Option<Finding>, Option<Remedy>) {
    let level = &settings.diagnostic_level;
    if level.value != Some(0) {
        return (None, None);
    }
    let product = settings.os.product_name.as_deref().unwrap_or_default();
    let lenient = ["Pro", "Home"]
        .iter()
        .any(|edition| product.contains(edition))
        && !["Enterprise", "Education", "Server"]
            .iter()
            .any(|edition| product.contains(edition));
    let (code, fact, remedy) = if lenient {
        let fact = Fact::Product(settings.os.product_name.clone());
        (Code::SettingsDiagnosticOffLenient, fact, None)
    } else {
        let remedy = remedy(FixKind::RaiseDiagnosticLevel, Vec::new());
        let fact = Fact::LevelSetBy(level.set_by);
        (Code::SettingsDiagnosticOff, fact, Some(remedy))
    };
    let finding = Finding {
        evidence: Evidence {
            refs: vec![setting_ref("AllowTelemetry")],
            facts: vec![fact],
            health: Some(Health::DiagnosticOptIn),
        },
        ..bare(code)
    };
    (Some(finding), remedy)
}

/// Rule: a disabled or stopped `DiagTrack` sends nothing.
fn diagtrack(settings: &DeviceSettings) -> (Option<Finding>, Option<Remedy>) {
    if settings.diagtrack_off() != Answer::Yes {
        return (None, None);
    }
    let finding = Finding {
        evidence: Evidence {
            refs: vec![
                setting_ref("DiagTrack start"),
                setting_ref("DiagTrack running"),
            ],
            facts: Vec::new(),
            health: Some(Health::DiagTrackConfiguration),
        },
        ..bare(Code::SettingsDiagTrackOff)
    };
    let remedy = remedy(FixKind::StartDiagTrack, Vec::new());
    (Some(finding), Some(remedy))
}

/// Rule: a Commercial ID policy that differs from Configuration Manager's enrolls the device
/// elsewhere; none at all is normal before Configuration Manager targets the device.
fn commercial_id(settings: &DeviceSettings) -> (Option<Finding>, Option<Remedy>) {
    let (code, wrong) = if settings.commercial_id_conflict() {
        (Code::SettingsCommercialIdConflict, true)
    } else if settings.commercial_id_policy.value.is_none()
        && settings.commercial_id_local.value.is_none()
    {
        (Code::SettingsCommercialIdMissing, false)
    } else {
        return (None, None);
    };
    let finding = Finding {
        evidence: Evidence {
            refs: vec![setting_ref("CommercialId")],
            facts: Vec::new(),
            health: Some(Health::CommercialId { wrong }),
        },
        ..bare(code)
    };
    let remedy = wrong.then(|| remedy(FixKind::FixCommercialId, Vec::new()));
    (Some(finding), remedy)
}

/// Rule: without `AllowDeviceNameInTelemetry` = 1 the device shows as "Unknown".
fn device_name(settings: &DeviceSettings) -> Option<Finding> {
    (settings.allow_device_name.value != Some(1)).then(|| Finding {
        evidence: Evidence {
            refs: vec![setting_ref("AllowDeviceNameInTelemetry")],
            facts: Vec::new(),
            health: Some(Health::DeviceName),
        },
        ..bare(Code::SettingsDeviceNameHidden)
    })
}

/// Rule: Optional (limited) on Windows 10 1709 or earlier, 8.1 or 7 falls back to Required.
fn limited_falls_back(settings: &DeviceSettings) -> Option<Finding> {
    let falls_back = settings.limit_enhanced_diagnostic_data.value == Some(1)
        && settings.diagnostic_level.value == Some(2)
        && matches!(
            settings.os.family,
            OsFamily::Windows7 | OsFamily::Windows81 | OsFamily::Windows10Before1803
        );
    falls_back.then(|| Finding {
        evidence: Evidence {
            refs: vec![setting_ref("LimitEnhancedDiagnosticDataWindowsAnalytics")],
            ..Evidence::default()
        },
        ..bare(Code::SettingsLimitedFallsBack)
    })
}

/// Rule: `TelemetryProxyServer` sends diagnostic data to its proxy, and needs
/// `DisableEnterpriseAuthProxy` = 1.
fn telemetry_proxy(settings: &DeviceSettings) -> Option<Finding> {
    let proxy = settings.telemetry_proxy()?;
    let needs = settings.auth_proxy_disabled() != Answer::Yes;
    let (code, health) = if needs {
        (
            Code::SettingsTelemetryProxyNeedsAuthProxyDisabled,
            Some(Health::TelemetryProxyScript),
        )
    } else {
        (Code::SettingsTelemetryProxy, None)
    };
    Some(Finding {
        evidence: Evidence {
            refs: vec![setting_ref("TelemetryProxyServer")],
            facts: vec![Fact::TelemetryProxy(proxy.to_owned())],
            health,
        },
        ..bare(code)
    })
}

/// Rule: a per-machine proxy policy makes the system context use the HKLM WinINET settings.
fn per_machine_proxy(settings: &DeviceSettings) -> Option<Finding> {
    (settings.proxy_settings_per_user.value == Some(0)).then(|| Finding {
        evidence: Evidence {
            refs: vec![setting_ref("ProxySettingsPerUser")],
            ..Evidence::default()
        },
        ..bare(Code::SettingsProxyPerMachine)
    })
}

/// Rule: outside the user approach, `DisableEnterpriseAuthProxy` = 1 without Defender is worth
/// a note (it keeps the service in the system context).
fn auth_proxy_disabled(settings: &DeviceSettings, approach: Approach) -> Option<Finding> {
    let applies = approach != Approach::User
        && settings.auth_proxy_disabled_by_policy()
        && settings.defender_present() != Answer::Yes;
    applies.then(|| Finding {
        evidence: Evidence {
            refs: vec![setting_ref("DisableEnterpriseAuthProxy")],
            ..Evidence::default()
        },
        ..bare(Code::SettingsAuthProxyDisabled)
    })
}

/// Rule: with `UseMachineId` = 0, LocalSystem's Negotiate falls back to anonymous NTLM, so under
/// the device approach an NTLM proxy never sees the computer account (only Kerberos does).
fn anonymous_ntlm(settings: &DeviceSettings, approach: Approach) -> Option<Finding> {
    (approach == Approach::Device && settings.local_system_ntlm_anonymous() == Answer::Yes).then(
        || Finding {
            evidence: Evidence {
                refs: vec![setting_ref("UseMachineId")],
                ..Evidence::default()
            },
            ..bare(Code::SettingsLocalSystemNtlmAnonymous)
        },
    )
}

/// Rule: Defender's ASR rule against PsExec and WMI process creation is on (block or warn):
/// why Microsoft's own analyzers, which run through PsExec, fail on this device.
fn asr_blocks_psexec(settings: &DeviceSettings) -> Option<Finding> {
    (settings.psexec_wmi_blocked() == Answer::Yes).then(|| Finding {
        evidence: Evidence {
            refs: vec![setting_ref("ASR PsExec and WMI rule")],
            ..Evidence::default()
        },
        ..bare(Code::SettingsAsrBlocksPsexec)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::testing::{defender, device, dword, text};
    use crate::windows::keys;
    use crate::windows::registry::RegistrySnapshot;

    type Edit = Box<dyn FnOnce(&mut RegistrySnapshot)>;

    fn codes(findings: &[Finding]) -> Vec<Code> {
        findings.iter().map(|f| f.code).collect()
    }

    type Case = (&'static str, Edit, Vec<Code>, bool, usize);

    fn check(cases: Vec<Case>) {
        for (name, edit, expected, ready, remedies) in cases {
            let settings = device(edit);
            let judged = judge(Some(&settings), Approach::Bypass);
            assert_eq!(codes(&judged.findings), expected, "{name}");
            assert_eq!(judged.ready, ready, "{name}");
            assert_eq!(judged.remedies.len(), remedies, "{name}");
        }
    }

    #[test]
    fn settings_that_stop_diagnostic_data_hold_readiness_back_with_a_fix() {
        let pro: Edit = Box::new(|r| {
            dword(keys::POLICY_KEY, "AllowTelemetry", 0)(r);
            text(keys::CURRENT_VERSION_KEY, "ProductName", "Windows 10 Pro")(r);
        });
        check(vec![
            ("set up", Box::new(|_| {}), vec![], true, 0),
            (
                "diagnostic data off",
                Box::new(dword(keys::POLICY_KEY, "AllowTelemetry", 0)),
                vec![Code::SettingsDiagnosticOff],
                false,
                1,
            ),
            (
                "off on Pro",
                pro,
                vec![Code::SettingsDiagnosticOffLenient],
                true,
                0,
            ),
            (
                "DiagTrack disabled",
                Box::new(dword(keys::DIAGTRACK_KEY, "Start", 4)),
                vec![Code::SettingsDiagTrackOff],
                false,
                1,
            ),
            (
                "Commercial IDs differ",
                Box::new(text(keys::POLICY_KEY, "CommercialId", "other")),
                vec![Code::SettingsCommercialIdConflict],
                false,
                1,
            ),
        ]);
    }

    #[test]
    fn anonymous_ntlm_for_local_system_is_a_caveat_only_under_the_device_approach() {
        let anonymous = device(dword(keys::LSA_KEY, "UseMachineId", 0));
        let device_codes = codes(&judge(Some(&anonymous), Approach::Device).findings);
        assert!(device_codes.contains(&Code::SettingsLocalSystemNtlmAnonymous));
        let bypass_codes = codes(&judge(Some(&anonymous), Approach::Bypass).findings);
        assert!(!bypass_codes.contains(&Code::SettingsLocalSystemNtlmAnonymous));
        // Not configured means the computer identity (Windows 7 and later): nothing to say.
        let unset = device(|_| {});
        let unset_codes = codes(&judge(Some(&unset), Approach::Device).findings);
        assert!(!unset_codes.contains(&Code::SettingsLocalSystemNtlmAnonymous));
    }

    #[test]
    fn the_asr_rule_against_psexec_is_noted_when_it_blocks_or_warns() {
        for (value, noted) in [("1", true), ("6", true), ("2", false), ("0", false)] {
            let settings = device(text(keys::ASR_RULES_KEY, keys::ASR_PSEXEC_WMI_RULE, value));
            let found = codes(&judge(Some(&settings), Approach::Bypass).findings);
            assert_eq!(
                found.contains(&Code::SettingsAsrBlocksPsexec),
                noted,
                "rule value {value}"
            );
        }
    }

    #[test]
    fn settings_worth_knowing_are_noted_without_holding_readiness_back() {
        let windows7_limited: Edit = Box::new(|r| {
            text(keys::CURRENT_VERSION_KEY, "CurrentBuild", "7601")(r);
            dword(keys::POLICY_KEY, "AllowTelemetry", 2)(r);
            dword(
                keys::POLICY_KEY,
                "LimitEnhancedDiagnosticDataWindowsAnalytics",
                1,
            )(r);
            dword(keys::POLICY_KEY, "DisableEnterpriseAuthProxy", 0)(r);
        });
        let proxy_with_switch: Edit = Box::new(|r| {
            text(keys::POLICY_KEY, "TelemetryProxyServer", "tp.example:80")(r);
            dword(keys::POLICY_KEY, "DisableEnterpriseAuthProxy", 1)(r);
        });
        check(vec![
            (
                "no Commercial ID",
                Box::new(|r| r.delete_value(keys::LOCAL_KEY, "CommercialId")),
                vec![Code::SettingsCommercialIdMissing],
                true,
                0,
            ),
            (
                "device name hidden",
                Box::new(dword(keys::POLICY_KEY, "AllowDeviceNameInTelemetry", 0)),
                vec![Code::SettingsDeviceNameHidden],
                true,
                0,
            ),
            (
                "limited on Windows 7",
                windows7_limited,
                vec![Code::SettingsLimitedFallsBack],
                true,
                0,
            ),
            (
                "telemetry proxy without the switch",
                Box::new(text(
                    keys::POLICY_KEY,
                    "TelemetryProxyServer",
                    "tp.example:80",
                )),
                vec![Code::SettingsTelemetryProxyNeedsAuthProxyDisabled],
                true,
                0,
            ),
            (
                "telemetry proxy with the switch",
                proxy_with_switch,
                vec![
                    Code::SettingsTelemetryProxy,
                    Code::SettingsAuthProxyDisabled,
                ],
                true,
                0,
            ),
            (
                "per-machine proxy",
                Box::new(dword(keys::INTERNET_POLICY_KEY, "ProxySettingsPerUser", 0)),
                vec![Code::SettingsProxyPerMachine],
                true,
                0,
            ),
            (
                "authenticated proxy off for Defender: no note",
                Box::new(defender),
                vec![],
                true,
                0,
            ),
        ]);
    }

    #[test]
    fn the_authenticated_proxy_note_is_left_to_the_user_approach() {
        let settings = device(dword(keys::POLICY_KEY, "DisableEnterpriseAuthProxy", 1));
        let cases = [
            (Approach::Bypass, vec![Code::SettingsAuthProxyDisabled]),
            (Approach::Device, vec![Code::SettingsAuthProxyDisabled]),
            (Approach::User, vec![]),
        ];
        for (approach, expected) in cases {
            let judged = judge(Some(&settings), approach);
            assert_eq!(codes(&judged.findings), expected, "{approach:?}");
        }
    }

    #[test]
    fn no_settings_is_noted_and_holds_nothing_back() {
        let judged = judge(None, Approach::Bypass);
        assert_eq!(codes(&judged.findings), [Code::SettingsNotRead]);
        assert!(judged.ready);
    }
}
