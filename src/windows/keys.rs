//! Every registry key dapreflight reads, spelled once: the live readers read them, `--help` and
//! the README turn [`KEYS`] into `reg export` advice, and the tests' export writer uses them.

use crate::windows::registry::canonical_path;

/// `HKLM\…\Internet Settings`: the per-machine WinINET values (under `ProxySettingsPerUser = 0`).
pub const MACHINE_INTERNET_SETTINGS: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings";
/// `HKLM\…\Internet Settings\Connections`: `WinHttpSettings`, and the per-machine WinINET values.
pub const MACHINE_CONNECTIONS: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";
/// The 32-bit view of the same key, which 32-bit processes read; it can differ.
pub const MACHINE_CONNECTIONS_WOW64: &str = r"HKEY_LOCAL_MACHINE\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";
/// WinHTTP switches such as `DisableWpad`.
pub const WINHTTP_SWITCHES: &str =
    r"HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\WinHttp";
/// The Internet Settings policy key holding `ProxySettingsPerUser` (0 = per-machine WinINET).
pub const INTERNET_POLICY_KEY: &str =
    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings";
/// The group-policy key for diagnostic data (`AllowTelemetry`, `TelemetryProxyServer`,
/// `DisableEnterpriseAuthProxy`, ...); its values win over `LOCAL_KEY`'s.
pub const POLICY_KEY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection";
/// The key Configuration Manager (and the old deployment scripts) write.
pub const LOCAL_KEY: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\DataCollection";
/// Where the OS version lives.
pub const CURRENT_VERSION_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
/// Both computer-name keys (exported once, as the parent of the two below).
pub const COMPUTER_NAMES_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\ComputerName";
/// The computer's name as last set (`ComputerName`); it takes effect at the next restart.
pub const COMPUTER_NAME_KEY: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ComputerName";
/// The computer's name in force since the last restart (`ComputerName`).
pub const ACTIVE_COMPUTER_NAME_KEY: &str =
    r"HKLM\SYSTEM\CurrentControlSet\Control\ComputerName\ActiveComputerName";
/// TCP/IP's `Hostname` and `Domain` (the DNS name and primary DNS suffix).
pub const TCPIP_PARAMETERS_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters";
/// The `DiagTrack` service ("Connected User Experiences and Telemetry").
pub const DIAGTRACK_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\DiagTrack";
/// The Defender for Endpoint sensor service.
pub const SENSE_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\Sense";
/// Defender for Endpoint's onboarding status.
pub const ATP_STATUS_KEY: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows Advanced Threat Protection\Status";
/// Defender's attack surface reduction rules set by Group Policy: one value per rule, named by the
/// rule's GUID, 0 off, 1 block, 2 audit, 6 warn (Microsoft, "Enable attack surface reduction
/// rules", Group Policy; docs/endpoints.md §8.1).
pub const ASR_RULES_KEY: &str =
    r"HKLM\SOFTWARE\Policies\Microsoft\Windows Defender\Windows Defender Exploit Guard\ASR\Rules";
/// Where Windows keeps the Defender policies an MDM (Intune) delivered; `AttackSurfaceReductionRules`
/// holds the CSP's `GUID=value|GUID=value` string. Microsoft documents the CSP, not this key.
pub const DEFENDER_POLICY_MANAGER_KEY: &str =
    r"HKLM\SOFTWARE\Microsoft\PolicyManager\current\device\Defender";
/// The Local Security Authority's settings: `UseMachineId` is "Network security: Allow Local
/// System to use computer identity for NTLM".
pub const LSA_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Control\Lsa";
/// The GUID of the ASR rule "Block process creations originating from `PSExec` and WMI commands".
pub const ASR_PSEXEC_WMI_RULE: &str = "d1e49aac-8f56-4280-b9ba-993a6d77406c";
/// The signed-in user's Internet Options.
pub const USER_INTERNET_SETTINGS: &str =
    r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Internet Settings";
/// The signed-in user's `DefaultConnectionSettings`.
pub const USER_CONNECTIONS: &str =
    r"HKEY_CURRENT_USER\Software\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";
/// LocalSystem's Internet Options (`HKU\.DEFAULT`).
pub const SYSTEM_INTERNET_SETTINGS: &str =
    r"HKEY_USERS\.DEFAULT\Software\Microsoft\Windows\CurrentVersion\Internet Settings";
/// LocalSystem's `DefaultConnectionSettings`.
pub const SYSTEM_CONNECTIONS: &str =
    r"HKEY_USERS\.DEFAULT\Software\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";
/// LocalSystem's own hive (`HKU\.DEFAULT` is `HKU\S-1-5-18`; exports carry either name).
pub const SYSTEM_HIVES: [&str; 2] = [r"HKEY_USERS\.DEFAULT", r"HKEY_USERS\S-1-5-18"];
/// Internet Settings below a user hive (`HKU\<SID>\…`).
pub const INTERNET_SETTINGS: &str = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings";

/// The keys dapreflight reads: what the live reader reads (each key's values, not its subkeys)
/// and what the `reg export` advice covers.
pub const KEYS: &[&str] = &[
    MACHINE_INTERNET_SETTINGS,
    MACHINE_CONNECTIONS,
    MACHINE_CONNECTIONS_WOW64,
    WINHTTP_SWITCHES,
    INTERNET_POLICY_KEY,
    POLICY_KEY,
    LOCAL_KEY,
    CURRENT_VERSION_KEY,
    DIAGTRACK_KEY,
    SENSE_KEY,
    ATP_STATUS_KEY,
    COMPUTER_NAMES_KEY,
    COMPUTER_NAME_KEY,
    ACTIVE_COMPUTER_NAME_KEY,
    TCPIP_PARAMETERS_KEY,
    USER_INTERNET_SETTINGS,
    USER_CONNECTIONS,
    SYSTEM_INTERNET_SETTINGS,
    SYSTEM_CONNECTIONS,
    ASR_RULES_KEY,
    DEFENDER_POLICY_MANAGER_KEY,
    LSA_KEY,
];

/// The values the live settings reader reads, by key; DWORDs and strings are told apart by how
/// they read.
pub const SETTINGS_VALUES: [(&str, &[&str]); 10] = [
    (
        POLICY_KEY,
        &[
            "AllowTelemetry",
            "LimitEnhancedDiagnosticDataWindowsAnalytics",
            "CommercialId",
            "AllowDeviceNameInTelemetry",
            "DisableEnterpriseAuthProxy",
            "TelemetryProxyServer",
            "TelemetryProxyServer_PolicyManager",
        ],
    ),
    (LOCAL_KEY, &["AllowTelemetry", "CommercialId"]),
    (INTERNET_POLICY_KEY, &["ProxySettingsPerUser"]),
    (
        CURRENT_VERSION_KEY,
        &[
            "CurrentBuild",
            "UBR",
            "DisplayVersion",
            "ReleaseId",
            "ProductName",
        ],
    ),
    (DIAGTRACK_KEY, &["Start"]),
    (SENSE_KEY, &["Start"]),
    (ATP_STATUS_KEY, &["OnboardingState"]),
    (ASR_RULES_KEY, &[ASR_PSEXEC_WMI_RULE]),
    (
        DEFENDER_POLICY_MANAGER_KEY,
        &["AttackSurfaceReductionRules"],
    ),
    (LSA_KEY, &["UseMachineId"]),
];

/// The `reg export` commands that cover every key in [`KEYS`]: one per key that is not below
/// another (`reg export` takes the subkeys too), into numbered files.
#[must_use]
pub fn export_commands() -> Vec<String> {
    export_roots()
        .iter()
        .enumerate()
        .map(|(index, key)| {
            format!(
                "reg export \"{}\" dapreflight-{}.reg",
                abbreviated(key),
                index + 1
            )
        })
        .collect()
}

/// The keys of [`KEYS`] that no other key of it contains, in list order.
fn export_roots() -> Vec<&'static str> {
    KEYS.iter()
        .copied()
        .filter(|key| !KEYS.iter().any(|other| contains(other, key)))
        .collect()
}

/// Whether `outer` is an ancestor of `inner` (not the same key).
fn contains(outer: &str, inner: &str) -> bool {
    canonical_path(inner).starts_with(&format!("{}\\", canonical_path(outer)))
}

/// `path` with its root abbreviated as `reg` prints it (`HKLM\…`).
pub(crate) fn abbreviated(path: &str) -> String {
    let (root, rest) = path.split_once('\\').unwrap_or((path, ""));
    let root = match root {
        "HKEY_LOCAL_MACHINE" => "HKLM",
        "HKEY_CURRENT_USER" => "HKCU",
        "HKEY_USERS" => "HKU",
        other => other,
    };
    format!(r"{root}\{rest}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_export_advice_covers_every_key_read() {
        let roots = export_roots();
        for key in KEYS {
            assert!(
                roots.contains(key) || roots.iter().any(|root| contains(root, key)),
                "{key} is not exported"
            );
        }
        for (key, _) in SETTINGS_VALUES {
            assert!(KEYS.contains(&key), "{key} is read live but not in KEYS");
        }
        let commands = export_commands();
        assert_eq!(commands.len(), roots.len());
        assert_eq!(
            commands[0],
            r#"reg export "HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings" dapreflight-1.reg"#
        );
    }

    #[test]
    fn the_readme_lists_exactly_the_export_commands() {
        let readme = include_str!("../../README.md");
        let listed: Vec<&str> = readme
            .lines()
            .map(str::trim)
            .filter(|line| line.starts_with("reg export "))
            .collect();
        assert_eq!(listed, export_commands(), "README.md's `reg export` advice");
    }
}
