//! The device settings enrollment depends on (diagnostic-data level, Commercial ID, the
//! authenticated-proxy switch, `DiagTrack`, Defender for Endpoint, the OS version), each with its
//! value, where it came from and what it means. Reads a [`RegistrySnapshot`]; never the registry.
//!
//! What the registry cannot hold (service running state, a signed-in user) comes from
//! [`with_live`] on Windows; elsewhere it stays "not known".

use std::fmt::{self, Write as _};

use crate::catalog::{self, WindowsBuilds};
use crate::status::Answer;
use crate::windows::keys::{
    ASR_PSEXEC_WMI_RULE, ASR_RULES_KEY, ATP_STATUS_KEY, CURRENT_VERSION_KEY,
    DEFENDER_POLICY_MANAGER_KEY, DIAGTRACK_KEY, INTERNET_POLICY_KEY, LOCAL_KEY, LSA_KEY,
    POLICY_KEY, SENSE_KEY,
};
use crate::windows::registry::{Origin, RegistrySnapshot, ValueData};

/// The policy that sets `DisableEnterpriseAuthProxy`, as Group Policy names it.
pub(crate) const AUTH_PROXY_POLICY: &str =
    "Configure Authenticated Proxy usage for the Connected User Experience and Telemetry service";

/// Everything the verdict needs to know about the device besides the network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceSettings {
    pub os: OsInfo,
    /// `AllowTelemetry` in the policy key (wins when set).
    pub allow_telemetry_policy: Setting<u32>,
    /// `AllowTelemetry` in the local (Configuration Manager) key.
    pub allow_telemetry_local: Setting<u32>,
    /// The level that applies, from whichever key wins.
    pub diagnostic_level: DiagnosticLevel,
    pub limit_enhanced_diagnostic_data: Setting<u32>,
    pub commercial_id_policy: Setting<String>,
    pub commercial_id_local: Setting<String>,
    pub allow_device_name: Setting<u32>,
    pub disable_enterprise_auth_proxy: Setting<u32>,
    pub telemetry_proxy_server: Setting<String>,
    pub telemetry_proxy_server_policy_manager: Setting<String>,
    pub proxy_settings_per_user: Setting<u32>,
    pub diagtrack_start: Setting<StartMode>,
    pub diagtrack_running: Setting<Answer>,
    pub defender_onboarding_state: Setting<u32>,
    pub defender_sense_service: Setting<StartMode>,
    pub defender_sense_running: Setting<Answer>,
    /// Whether an interactive user is signed in (the user approach needs one).
    pub console_user: Setting<Answer>,
    /// Defender's ASR rule "Block process creations originating from `PSExec` and WMI commands":
    /// 0 off, 1 block, 2 audit, 6 warn; from Group Policy, else the MDM policy store.
    pub asr_psexec_wmi: Setting<u32>,
    /// `UseMachineId`, "Network security: Allow Local System to use computer identity for NTLM":
    /// 0 makes LocalSystem's NTLM fallback anonymous.
    pub use_machine_id: Setting<u32>,
}

/// One setting: its value, where it came from, and what it means for enrollment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    /// The setting's name as a technician would search for it.
    pub name: &'static str,
    /// `None` when not found or not known; `source` says which.
    pub value: Option<T>,
    pub source: Source,
    /// What the value means for enrollment, in plain words.
    pub meaning: String,
}

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A registry value, from an export file (with its line) or the live registry.
    Registry {
        path: String,
        name: String,
        origin: Origin,
    },
    /// Asked of the running system (Service Control Manager, loaded user profiles).
    Live { what: String },
    /// The value is not in the registry that was read: Windows' default applies.
    NotFound { path: String, name: String },
    /// The input does not hold the key at all (it was not exported): the value is not known,
    /// which is not the same as not set.
    NotInInput { path: String, name: String },
    /// dapreflight could not tell (not on Windows, or the export does not cover it).
    NotKnown { reason: String },
}

/// A service's start mode (`Start` under its Services key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StartMode {
    Boot,
    System,
    Automatic,
    Manual,
    Disabled,
    Other(u32),
}

/// The diagnostic-data level that applies, and which key set it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiagnosticLevel {
    /// The `AllowTelemetry` value that applies; `None` when neither key sets it.
    pub value: Option<u32>,
    /// `policy`, `local`, `none` (Windows' default level applies), or `unknown` (neither key is
    /// in the input).
    pub set_by: &'static str,
    /// The level's current name (Diagnostic data off, Required, Enhanced, Optional).
    pub name: Option<&'static str>,
    /// The level's name before 2020 (Security, Basic, Enhanced, Full).
    pub old_name: Option<&'static str>,
    /// What Desktop Analytics gets at this level.
    pub features: String,
}

/// The Windows version, as `CurrentVersion` records it, and what follows from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OsInfo {
    pub product_name: Option<String>,
    pub display_version: Option<String>,
    pub build: Option<u32>,
    /// The update build revision (`UBR`): the cumulative update installed.
    pub ubr: Option<u32>,
    pub family: OsFamily,
    pub source: Source,
    /// The host of the diagnostic endpoint this version sends to, when the version is known.
    pub diagnostic_endpoint: Option<String>,
    pub meaning: String,
}

/// Windows generations that differ in which diagnostic endpoints they use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OsFamily {
    /// Windows 7 (build 7600/7601).
    Windows7,
    /// Windows 8 or 8.1 (builds 9200 to 9600).
    Windows81,
    /// Windows 10 up to version 1709 (build 16299).
    Windows10Before1803,
    /// Windows 10 version 1803 (build 17134); whether it has the 2018-09 update is in `ubr`.
    Windows10V1803,
    /// Windows 10 version 1809 (build 17763) or later.
    Windows10From1809,
    /// Windows 11 (build 22000 or later).
    Windows11,
    /// Not read, or a build dapreflight does not know.
    Unknown,
}

impl OsFamily {
    /// Every family.
    pub const ALL: [OsFamily; 7] = [
        OsFamily::Windows7,
        OsFamily::Windows81,
        OsFamily::Windows10Before1803,
        OsFamily::Windows10V1803,
        OsFamily::Windows10From1809,
        OsFamily::Windows11,
        OsFamily::Unknown,
    ];

    /// The family's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            OsFamily::Windows7 => "windows7",
            OsFamily::Windows81 => "windows81",
            OsFamily::Windows10Before1803 => "windows10_before1803",
            OsFamily::Windows10V1803 => "windows10_v1803",
            OsFamily::Windows10From1809 => "windows10_from1809",
            OsFamily::Windows11 => "windows11",
            OsFamily::Unknown => "unknown",
        }
    }
}

/// Whether an endpoint is used by the device's Windows version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Relevance {
    Used,
    NotUsed,
    /// The version is not known: count the endpoint.
    NotKnown,
}

/// Reads every setting from `registry`; anything only a live system knows stays "not known".
#[must_use]
#[expect(
    clippy::too_many_lines,
    reason = "one setting after another, in report order"
)]
pub fn read_settings(registry: &RegistrySnapshot) -> DeviceSettings {
    let os = read_os(registry);
    let allow_telemetry_policy = dword(registry, POLICY_KEY, "AllowTelemetry", |v| {
        telemetry_meaning(v, "policy", "wins over the local key")
    });
    let allow_telemetry_local = dword(registry, LOCAL_KEY, "AllowTelemetry", |v| {
        telemetry_meaning(
            v,
            "local (Configuration Manager)",
            "used unless the policy key sets a level",
        )
    });
    let diagnostic_level = DiagnosticLevel::from(&allow_telemetry_policy, &allow_telemetry_local);
    let limit_enhanced_diagnostic_data = dword(
        registry,
        POLICY_KEY,
        "LimitEnhancedDiagnosticDataWindowsAnalytics",
        |v| limit_meaning(v, diagnostic_level.value, &os),
    );
    let commercial_id_policy = string(registry, POLICY_KEY, "CommercialId", |v| match v {
        Some(_) => "set by group policy: wins over the ID Configuration Manager writes".to_owned(),
        None => "not set by group policy (normal: Configuration Manager writes the local key)"
            .to_owned(),
    });
    let policy_id = registry.string(POLICY_KEY, "CommercialId");
    let commercial_id_local = string(registry, LOCAL_KEY, "CommercialId", |v| {
        commercial_id_meaning(v, policy_id)
    });
    let allow_device_name = dword(
        registry,
        POLICY_KEY,
        "AllowDeviceNameInTelemetry",
        |v| match v {
            Some(1) => "1: the device name is sent, so Desktop Analytics shows it".to_owned(),
            Some(n) => format!(
                "{n}: the device name is not sent; the device appears as \"Unknown\" \
                 (Windows 10 1803 and later)"
            ),
            None => "not set: from Windows 10 1803 the device name is not sent, so the device \
                     appears as \"Unknown\""
                .to_owned(),
        },
    );
    let disable_enterprise_auth_proxy =
        dword(registry, POLICY_KEY, "DisableEnterpriseAuthProxy", |v| {
            auth_proxy_meaning(v, os.family)
        });
    let telemetry_proxy_server = string(registry, POLICY_KEY, "TelemetryProxyServer", |v| {
        telemetry_proxy_meaning(v, "Configure Connected User Experiences and Telemetry")
    });
    let telemetry_proxy_server_policy_manager = string(
        registry,
        POLICY_KEY,
        "TelemetryProxyServer_PolicyManager",
        |v| telemetry_proxy_meaning(v, "an MDM policy"),
    );
    let proxy_settings_per_user = dword(
        registry,
        INTERNET_POLICY_KEY,
        "ProxySettingsPerUser",
        |v| match v {
            Some(0) => "0: per-machine proxy (policy \"Make proxy settings per-machine (rather \
                        than per-user)\"): the system context uses the HKLM WinINET settings"
                .to_owned(),
            Some(n) => format!("{n}: per-user proxy settings (the default)"),
            None => "not set: per-user proxy settings (the default); per-machine needs 0 \
                     (the Desktop Analytics doc's \"= 1\" is a known documentation error)"
                .to_owned(),
        },
    );
    let diagtrack_start = start_mode(registry, DIAGTRACK_KEY, |mode| match mode {
        Some(StartMode::Disabled) => {
            "disabled: Windows sends no diagnostic data until the service is enabled and started"
                .to_owned()
        }
        Some(mode) => format!("{mode}: the diagnostic-data service can run"),
        None => "the service key was not read".to_owned(),
    });
    let defender_onboarding_state =
        dword(registry, ATP_STATUS_KEY, "OnboardingState", |v| match v {
            Some(1) => "1: onboarded to Microsoft Defender for Endpoint, which needs \
                        DisableEnterpriseAuthProxy = 1"
                .to_owned(),
            Some(n) => format!("{n}: not onboarded to Microsoft Defender for Endpoint"),
            None => "not found: not onboarded to Microsoft Defender for Endpoint".to_owned(),
        });
    let defender_sense_service = start_mode(registry, SENSE_KEY, |mode| match mode {
        Some(mode) => format!("{mode}: the Defender for Endpoint sensor is installed"),
        None => "not found: no Defender for Endpoint sensor".to_owned(),
    });
    let asr_psexec_wmi = asr_rule(registry, ASR_PSEXEC_WMI_RULE, "ASR PsExec and WMI rule");
    let use_machine_id = dword(registry, LSA_KEY, "UseMachineId", use_machine_id_meaning);
    let not_live = |name, what: &str| Setting {
        name,
        value: None,
        source: Source::NotKnown {
            reason: "only a live run on the device can tell".to_owned(),
        },
        meaning: format!("not known: {what}"),
    };
    DeviceSettings {
        allow_telemetry_policy,
        allow_telemetry_local,
        diagnostic_level,
        limit_enhanced_diagnostic_data,
        commercial_id_policy,
        commercial_id_local,
        allow_device_name,
        disable_enterprise_auth_proxy,
        telemetry_proxy_server,
        telemetry_proxy_server_policy_manager,
        proxy_settings_per_user,
        diagtrack_start,
        diagtrack_running: not_live(
            "DiagTrack running",
            "whether the diagnostic-data service is running",
        ),
        defender_onboarding_state,
        defender_sense_service,
        defender_sense_running: not_live(
            "Sense running",
            "whether the Defender for Endpoint sensor is running",
        ),
        console_user: not_live("signed-in user", "whether a user is signed in"),
        asr_psexec_wmi,
        use_machine_id,
        os,
    }
}

impl DeviceSettings {
    /// Whether `DiagTrack` will not use the signed-in user's authenticated proxy.
    ///
    /// Absent counts as 0, except on Windows 7, where it is enabled by default (Connection
    /// Health, "Check user proxy").
    #[must_use]
    pub fn auth_proxy_disabled(&self) -> Answer {
        if self.disable_enterprise_auth_proxy.not_in_input() {
            return Answer::NotKnown;
        }
        match self.disable_enterprise_auth_proxy.value {
            Some(0) => Answer::No,
            Some(_) => Answer::Yes,
            None if self.os.family == OsFamily::Windows7 => Answer::Yes,
            None => Answer::No,
        }
    }

    /// Whether `DisableEnterpriseAuthProxy` = 1 was set explicitly (as Defender for Endpoint and
    /// CIS L2 require; the value alone cannot say which).
    #[must_use]
    pub fn auth_proxy_disabled_by_policy(&self) -> bool {
        matches!(self.disable_enterprise_auth_proxy.value, Some(n) if n != 0)
    }

    /// Whether Defender for Endpoint is onboarded or its sensor installed.
    #[must_use]
    pub fn defender_present(&self) -> Answer {
        let onboarded = self.defender_onboarding_state.value == Some(1);
        let sensor = self.defender_sense_service.value.is_some()
            || self.defender_sense_running.value == Some(Answer::Yes);
        if onboarded || sensor {
            Answer::Yes
        } else if self.defender_onboarding_state.not_in_input()
            && self.defender_sense_service.not_in_input()
        {
            Answer::NotKnown
        } else {
            Answer::No
        }
    }

    /// Whether a user is signed in.
    #[must_use]
    pub fn console_user(&self) -> Answer {
        self.console_user.value.unwrap_or(Answer::NotKnown)
    }

    /// Whether Defender blocks processes that `PsExec`'s service or WMI start (the ASR rule in block
    /// or warn mode), as Microsoft's own analyzers are started; dapreflight's own service is not.
    #[must_use]
    pub fn psexec_wmi_blocked(&self) -> Answer {
        match self.asr_psexec_wmi.value {
            Some(1 | 6) => Answer::Yes,
            None if self.asr_psexec_wmi.not_in_input() => Answer::NotKnown,
            // Off, audit, or not set.
            _ => Answer::No,
        }
    }

    /// Whether LocalSystem authenticates anonymously when Negotiate falls back to NTLM
    /// (`UseMachineId` = 0), so an NTLM proxy never sees the computer account.
    #[must_use]
    pub fn local_system_ntlm_anonymous(&self) -> Answer {
        match self.use_machine_id.value {
            Some(0) => Answer::Yes,
            None if self.use_machine_id.not_in_input() => Answer::NotKnown,
            // Enabled, or not configured: the computer identity, from Windows 7 and 2008 R2.
            _ => Answer::No,
        }
    }

    /// Whether the diagnostic-data service is disabled or stopped.
    #[must_use]
    pub fn diagtrack_off(&self) -> Answer {
        match (self.diagtrack_start.value, self.diagtrack_running.value) {
            (Some(StartMode::Disabled), _) | (_, Some(Answer::No)) => Answer::Yes,
            (_, Some(Answer::Yes)) | (Some(_), _) => Answer::No,
            (None, _) => Answer::NotKnown,
        }
    }

    /// The `TelemetryProxyServer` in force (the group-policy value, else the MDM one).
    #[must_use]
    pub fn telemetry_proxy(&self) -> Option<&str> {
        self.telemetry_proxy_server
            .value
            .as_deref()
            .or(self.telemetry_proxy_server_policy_manager.value.as_deref())
    }

    /// Both Commercial IDs are set and differ (Connection Health code 53).
    #[must_use]
    pub fn commercial_id_conflict(&self) -> bool {
        match (
            &self.commercial_id_policy.value,
            &self.commercial_id_local.value,
        ) {
            (Some(policy), Some(local)) => !policy.trim().eq_ignore_ascii_case(local.trim()),
            _ => false,
        }
    }

    /// Every setting as a row of text, in a stable order, for renderings.
    #[must_use]
    pub fn rows(&self) -> Vec<SettingRow> {
        let mut rows = vec![SettingRow {
            name: "Windows version".to_owned(),
            value: self.os.describe(),
            source: self.os.source.to_string(),
            meaning: self.os.meaning.clone(),
        }];
        rows.push(self.allow_telemetry_policy.row());
        rows.push(self.allow_telemetry_local.row());
        rows.push(SettingRow {
            name: "Diagnostic data level".to_owned(),
            value: self.diagnostic_level.describe(),
            source: match self.diagnostic_level.set_by {
                "unknown" => "not in the input".to_owned(),
                set_by => format!("set by {set_by}"),
            },
            meaning: self.diagnostic_level.features.clone(),
        });
        rows.extend([
            self.limit_enhanced_diagnostic_data.row(),
            self.commercial_id_policy.row(),
            self.commercial_id_local.row(),
            self.allow_device_name.row(),
            self.disable_enterprise_auth_proxy.row(),
            self.telemetry_proxy_server.row(),
            self.telemetry_proxy_server_policy_manager.row(),
            self.proxy_settings_per_user.row(),
            self.diagtrack_start.row(),
            self.diagtrack_running.row(),
            self.defender_onboarding_state.row(),
            self.defender_sense_service.row(),
            self.defender_sense_running.row(),
            self.console_user.row(),
            self.asr_psexec_wmi.row(),
            self.use_machine_id.row(),
        ]);
        rows
    }
}

/// One setting as text: name, value, where from, meaning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingRow {
    pub name: String,
    pub value: String,
    pub source: String,
    pub meaning: String,
}

impl<T> Setting<T> {
    /// Whether the input did not hold this setting's key (not known, rather than not set).
    #[must_use]
    pub fn not_in_input(&self) -> bool {
        matches!(self.source, Source::NotInInput { .. })
    }
}

impl<T: fmt::Display> Setting<T> {
    fn row(&self) -> SettingRow {
        SettingRow {
            name: self.name.to_owned(),
            value: self
                .value
                .as_ref()
                .map_or_else(|| "-".to_owned(), ToString::to_string),
            source: self.source.to_string(),
            meaning: self.meaning.clone(),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Registry { path, name, origin } => write!(f, "{path}\\{name} ({origin})"),
            Source::Live { what } => write!(f, "live: {what}"),
            Source::NotFound { path, name } => write!(f, "not found: {path}\\{name}"),
            Source::NotInInput { path, .. } => write!(f, "not in the input: no {path} key"),
            Source::NotKnown { reason } => write!(f, "not known: {reason}"),
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Answer::Yes => "yes",
            Answer::No => "no",
            Answer::NotKnown => "not known",
        })
    }
}

impl StartMode {
    /// The modes with a name in the report; any other `Start` value is reported as its number.
    pub const NAMED: [StartMode; 5] = [
        StartMode::Boot,
        StartMode::System,
        StartMode::Automatic,
        StartMode::Manual,
        StartMode::Disabled,
    ];

    /// The mode's name in the report; `None` for [`StartMode::Other`].
    #[must_use]
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            StartMode::Boot => Some("boot"),
            StartMode::System => Some("system"),
            StartMode::Automatic => Some("automatic"),
            StartMode::Manual => Some("manual"),
            StartMode::Disabled => Some("disabled"),
            StartMode::Other(_) => None,
        }
    }

    /// The mode the report names `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::NAMED.into_iter().find(|m| m.as_str() == Some(name))
    }

    /// The mode a `Start` value stands for.
    #[must_use]
    pub fn from_start(value: u32) -> Self {
        match value {
            0 => StartMode::Boot,
            1 => StartMode::System,
            2 => StartMode::Automatic,
            3 => StartMode::Manual,
            4 => StartMode::Disabled,
            n => StartMode::Other(n),
        }
    }
}

impl fmt::Display for StartMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartMode::Boot => f.write_str("boot (0)"),
            StartMode::System => f.write_str("system (1)"),
            StartMode::Automatic => f.write_str("automatic (2)"),
            StartMode::Manual => f.write_str("manual (3)"),
            StartMode::Disabled => f.write_str("disabled (4)"),
            StartMode::Other(n) => write!(f, "start type {n}"),
        }
    }
}

impl DiagnosticLevel {
    fn from(policy: &Setting<u32>, local: &Setting<u32>) -> Self {
        let (value, set_by) = match (policy.value, local.value) {
            (Some(v), _) => (Some(v), "policy"),
            (None, Some(v)) => (Some(v), "local"),
            // Neither key in the input: the level is not known, not "Windows' default".
            (None, None) if policy.not_in_input() && local.not_in_input() => (None, "unknown"),
            (None, None) => (None, "none"),
        };
        let (name, old_name) = value.map_or((None, None), |v| {
            let (new, old) = level_names(v);
            (Some(new), Some(old))
        });
        let features = match value {
            None if set_by == "unknown" => "not in the input: neither the policy key nor the \
                                            local key was exported, so the level is not known"
                .to_owned(),
            None => "not set: Windows' default level applies (at least Required on supported \
                     editions); Configuration Manager sets it when it targets the device"
                .to_owned(),
            Some(0) => "diagnostic data off: Desktop Analytics gets nothing (Enterprise, \
                        Education and Server; other editions treat 0 as Required)"
                .to_owned(),
            Some(1) => "Required: basic Desktop Analytics works; no app usage, additional app \
                        insights, deployment status or health monitoring data"
                .to_owned(),
            Some(2) => "Enhanced: every Desktop Analytics feature (limit it with \
                        LimitEnhancedDiagnosticDataWindowsAnalytics = 1 for Optional (limited)); \
                        Windows 11 treats 2 as Required"
                .to_owned(),
            Some(3) => "Optional: every Desktop Analytics feature".to_owned(),
            Some(n) => format!("{n} is not a level Windows knows"),
        };
        Self {
            value,
            set_by,
            name,
            old_name,
            features,
        }
    }

    fn describe(&self) -> String {
        match (self.value, self.name, self.old_name) {
            (Some(v), Some(name), Some(old)) => format!("{v} ({name}; formerly {old})"),
            (Some(v), _, _) => v.to_string(),
            _ => "-".to_owned(),
        }
    }
}

/// The current and the pre-2020 names of an `AllowTelemetry` level.
fn level_names(value: u32) -> (&'static str, &'static str) {
    match value {
        0 => ("Diagnostic data off", "Security"),
        1 => ("Required", "Basic"),
        2 => ("Enhanced", "Enhanced"),
        3 => ("Optional", "Full"),
        _ => ("unknown", "unknown"),
    }
}

impl OsInfo {
    /// Whether this Windows version sends to the endpoint on `host`.
    #[must_use]
    pub fn uses(&self, host: &str) -> Relevance {
        let host = host.trim_start_matches("*.").to_ascii_lowercase();
        let Some(build) = self.build.filter(|_| self.family != OsFamily::Unknown) else {
            return Relevance::NotKnown;
        };
        // Which builds use which host is catalog data (`windows` in endpoints.yaml).
        match windows_builds(&host).map(|builds| builds.uses(build, self.ubr)) {
            None | Some(Some(true)) => Relevance::Used,
            Some(Some(false)) => Relevance::NotUsed,
            Some(None) => Relevance::NotKnown,
        }
    }

    /// Product name, display version and build, e.g. `Windows 10 Enterprise 22H2 (build 19045.4291)`.
    #[must_use]
    pub fn describe(&self) -> String {
        let mut text = self
            .product_name
            .clone()
            .unwrap_or_else(|| "Windows".to_owned());
        if let Some(display) = &self.display_version {
            text.push(' ');
            text.push_str(display);
        }
        match (self.build, self.ubr) {
            (Some(build), Some(ubr)) => {
                let _ = write!(text, " (build {build}.{ubr})");
            }
            (Some(build), None) => {
                let _ = write!(text, " (build {build})");
            }
            _ if self.product_name.is_none() => return "-".to_owned(),
            _ => {}
        }
        text
    }
}

fn read_os(registry: &RegistrySnapshot) -> OsInfo {
    let build = registry
        .string(CURRENT_VERSION_KEY, "CurrentBuild")
        .or_else(|| registry.string(CURRENT_VERSION_KEY, "CurrentBuildNumber"))
        .and_then(|b| b.trim().parse::<u32>().ok());
    let ubr = registry.dword(CURRENT_VERSION_KEY, "UBR");
    let product_name = registry
        .string(CURRENT_VERSION_KEY, "ProductName")
        .map(str::to_owned);
    let display_version = registry
        .string(CURRENT_VERSION_KEY, "DisplayVersion")
        .or_else(|| registry.string(CURRENT_VERSION_KEY, "ReleaseId"))
        .map(str::to_owned);
    let source = match registry.value(CURRENT_VERSION_KEY, "CurrentBuild") {
        Some(value) => Source::Registry {
            path: CURRENT_VERSION_KEY.to_owned(),
            name: "CurrentBuild".to_owned(),
            origin: value.origin.clone(),
        },
        None if !registry.holds(CURRENT_VERSION_KEY) => Source::NotInInput {
            path: CURRENT_VERSION_KEY.to_owned(),
            name: "CurrentBuild".to_owned(),
        },
        None => Source::NotFound {
            path: CURRENT_VERSION_KEY.to_owned(),
            name: "CurrentBuild".to_owned(),
        },
    };
    let family = build.map_or(OsFamily::Unknown, family_of);
    let mut os = OsInfo {
        product_name,
        display_version,
        build,
        ubr,
        family,
        source,
        diagnostic_endpoint: None,
        meaning: String::new(),
    };
    os.diagnostic_endpoint = diagnostic_endpoint(&os);
    os.meaning = match (&os.diagnostic_endpoint, os.family) {
        (_, OsFamily::Unknown) if build.is_some() => {
            "a build dapreflight does not know: every endpoint is counted".to_owned()
        }
        (_, OsFamily::Unknown) => {
            "version not known: every endpoint is counted, whichever Windows uses it".to_owned()
        }
        (Some(host), OsFamily::Windows10V1803) => format!(
            "sends diagnostic data to {host} (1803 {} the 2018-09 cumulative update)",
            if host.starts_with("v10c") {
                "with"
            } else {
                "without"
            }
        ),
        (Some(host), _) => format!("sends diagnostic data to {host}"),
        (None, _) => "1803 with an unknown update level: sends to v10c.events.data.microsoft.com \
                      with the 2018-09 cumulative update, else v10.events.data.microsoft.com"
            .to_owned(),
    };
    os
}

fn family_of(build: u32) -> OsFamily {
    match build {
        7600..=7601 => OsFamily::Windows7,
        9200..=9600 => OsFamily::Windows81,
        10240..=16299 => OsFamily::Windows10Before1803,
        17134 => OsFamily::Windows10V1803,
        17763..=21999 => OsFamily::Windows10From1809,
        22000.. => OsFamily::Windows11,
        _ => OsFamily::Unknown,
    }
}

/// The diagnostic endpoint this version uses: the first diagnostic entry of the built-in catalog
/// whose `windows` builds include it, if the version says.
fn diagnostic_endpoint(os: &OsInfo) -> Option<String> {
    let build = os.build.filter(|_| os.family != OsFamily::Unknown)?;
    catalog::builtin()?
        .endpoints
        .iter()
        .filter(|e| e.group.as_deref() == Some("diagnostic") && !e.wildcard)
        .find(|e| {
            e.windows
                .is_some_and(|w| w.uses(build, os.ubr) == Some(true))
        })
        .map(|e| e.target.host.clone())
}

/// The built-in catalog's Windows builds for `host`, or for the entry whose host it is below.
fn windows_builds(host: &str) -> Option<WindowsBuilds> {
    let endpoints = &catalog::builtin()?.endpoints;
    endpoints
        .iter()
        .find(|e| e.target.host == host)
        .or_else(|| {
            endpoints
                .iter()
                .find(|e| !e.wildcard && host.ends_with(&format!(".{}", e.target.host)))
        })
        .and_then(|e| e.windows)
}

fn telemetry_meaning(value: Option<u32>, key: &str, rule: &str) -> String {
    match value {
        Some(v) => {
            let (new, old) = level_names(v);
            format!("{v} = {new} (formerly {old}), from the {key} key: {rule}")
        }
        None => format!("not set in the {key} key"),
    }
}

fn limit_meaning(value: Option<u32>, level: Option<u32>, os: &OsInfo) -> String {
    let falls_back = matches!(
        os.family,
        OsFamily::Windows7 | OsFamily::Windows81 | OsFamily::Windows10Before1803
    );
    match (value, level) {
        (Some(1), Some(2)) if falls_back => "1 with Enhanced: this Windows version (Windows 10 \
             1709 or earlier, 8.1 or 7) falls back to Required"
            .to_owned(),
        (Some(1), Some(2)) => "1 with Enhanced: Optional (limited), the level Microsoft \
             recommends for Desktop Analytics"
            .to_owned(),
        (Some(1), _) => {
            "1, but only meaningful with AllowTelemetry = 2 (Enhanced): no effect".to_owned()
        }
        (Some(n), _) => format!("{n}: Enhanced is not limited"),
        (None, Some(2)) => "not set: Enhanced is sent in full".to_owned(),
        (None, _) => "not set (only meaningful with AllowTelemetry = 2)".to_owned(),
    }
}

fn commercial_id_meaning(local: Option<&str>, policy: Option<&str>) -> String {
    match (local, policy) {
        (Some(local), Some(policy)) if !local.trim().eq_ignore_ascii_case(policy.trim()) => {
            "differs from the group-policy ID, which wins: the device enrolls in the policy's \
             workspace (Connection Health code 53)"
                .to_owned()
        }
        (Some(_), Some(_)) => "set, and equal to the group-policy ID".to_owned(),
        (Some(_), None) => "set: the Desktop Analytics workspace the device enrolls in".to_owned(),
        (None, Some(_)) => "not set here; the group-policy ID applies".to_owned(),
        (None, None) => "not set: the device is not yet targeted by Configuration Manager \
                         (it writes the ID when the device is in the target collection)"
            .to_owned(),
    }
}

fn auth_proxy_meaning(value: Option<u32>, family: OsFamily) -> String {
    match value {
        Some(0) => "0: the diagnostic-data service may use the signed-in user's authenticated \
                    proxy (needed by the user approach)"
            .to_owned(),
        Some(n) => format!(
            "{n}: set to 1 (as Defender for Endpoint and CIS L2 require): the service uses only \
             the system context, never the signed-in user's proxy"
        ),
        None if family == OsFamily::Windows7 => "not set: on Windows 7 the authenticated proxy \
             is disabled by default (counts as 1)"
            .to_owned(),
        None => "not set: counts as 0, the service may use the signed-in user's proxy".to_owned(),
    }
}

/// The state of the ASR rule `guid`: the Group Policy value (`REG_SZ` or `REG_DWORD`) wins, as
/// Microsoft documents for a conflict between Group Policy and MDM; else the MDM policy store's
/// `GUID=value|GUID=value` string.
fn asr_rule(registry: &RegistrySnapshot, guid: &str, name: &'static str) -> Setting<u32> {
    let from_policy = registry.value(ASR_RULES_KEY, guid).map(|value| {
        let mode = match &value.data {
            ValueData::Dword(n) => Some(*n),
            ValueData::String(text) | ValueData::ExpandString(text) => text.trim().parse().ok(),
            _ => None,
        };
        let source = Source::Registry {
            path: ASR_RULES_KEY.to_owned(),
            name: guid.to_owned(),
            origin: value.origin.clone(),
        };
        (mode, source)
    });
    let from_mdm = || {
        let value = registry.value(DEFENDER_POLICY_MANAGER_KEY, "AttackSurfaceReductionRules")?;
        let (ValueData::String(rules) | ValueData::ExpandString(rules)) = &value.data else {
            return None;
        };
        let mode = asr_mode_in(rules, guid)?;
        let source = Source::Registry {
            path: DEFENDER_POLICY_MANAGER_KEY.to_owned(),
            name: "AttackSurfaceReductionRules".to_owned(),
            origin: value.origin.clone(),
        };
        Some((Some(mode), source))
    };
    let (value, source) = match from_policy.or_else(from_mdm) {
        Some((mode, source)) => (mode, source),
        None if !registry.holds(ASR_RULES_KEY) && !registry.holds(DEFENDER_POLICY_MANAGER_KEY) => {
            return not_in_input(ASR_RULES_KEY, name, guid);
        }
        None => (
            None,
            Source::NotFound {
                path: ASR_RULES_KEY.to_owned(),
                name: guid.to_owned(),
            },
        ),
    };
    let meaning = match value {
        Some(0) => "0 = off: the rule is disabled".to_owned(),
        Some(1) => "1 = block: Defender stops processes started by PsExec's service \
                    (psexesvc.exe) or the WMI provider host (wmiprvse.exe), which is how \
                    Microsoft's own analyzers get to run as SYSTEM; a program's own service or \
                    scheduled task is not such a parent"
            .to_owned(),
        Some(2) => "2 = audit: such process creations are logged (Defender event 1122), not \
                    blocked"
            .to_owned(),
        Some(6) => "6 = warn: such process creations are blocked, with a notice that lets the \
                    user unblock them"
            .to_owned(),
        Some(n) => {
            format!("{n} is not a mode Microsoft documents (0 off, 1 block, 2 audit, 6 warn)")
        }
        None if matches!(source, Source::Registry { .. }) => {
            "set, but not to a number: not a mode Microsoft documents".to_owned()
        }
        None => "not set by Group Policy or an MDM policy: off, unless Defender's local \
                 preferences (Set-MpPreference) turn it on; Get-MpPreference shows them"
            .to_owned(),
    };
    Setting {
        name,
        value,
        source,
        meaning,
    }
}

/// The mode a Policy CSP `AttackSurfaceReductionRules` string (`GUID=value|GUID=value`) gives the
/// rule `guid`; `None` when the string does not name it or its mode is not a number.
fn asr_mode_in(rules: &str, guid: &str) -> Option<u32> {
    rules
        .split('|')
        .filter_map(|pair| pair.split_once('='))
        .find(|(id, _)| {
            id.trim()
                .trim_matches(|c| c == '{' || c == '}')
                .eq_ignore_ascii_case(guid)
        })
        .and_then(|(_, mode)| mode.trim().parse().ok())
}

fn use_machine_id_meaning(value: Option<u32>) -> String {
    match value {
        Some(0) => "0 = disabled: LocalSystem authenticates anonymously when Negotiate falls back \
                    to NTLM, so a proxy that uses NTLM never sees the computer account (Kerberos \
                    is not affected)"
            .to_owned(),
        Some(n) => format!(
            "{n} = enabled: LocalSystem presents the computer account (DOMAIN\\HOST$) when \
             Negotiate falls back to NTLM"
        ),
        None => "not set: from Windows 7 and Server 2008 R2 LocalSystem presents the computer \
                 account when Negotiate falls back to NTLM"
            .to_owned(),
    }
}

fn telemetry_proxy_meaning(value: Option<&str>, policy: &str) -> String {
    match value {
        Some(server) => format!(
            "{server}: diagnostic data goes to this proxy (set by {policy}); it needs \
             DisableEnterpriseAuthProxy = 1, and some components ignore it"
        ),
        None => "not set".to_owned(),
    }
}

fn dword(
    registry: &RegistrySnapshot,
    path: &str,
    name: &'static str,
    meaning: impl FnOnce(Option<u32>) -> String,
) -> Setting<u32> {
    if !registry.holds(path) {
        return not_in_input(path, name, name);
    }
    let value = registry.dword(path, name);
    Setting {
        name,
        value,
        source: source(registry, path, name),
        meaning: meaning(value),
    }
}

/// A setting whose key the input does not hold: not known, never "not set".
fn not_in_input<T>(path: &str, name: &'static str, value_name: &str) -> Setting<T> {
    Setting {
        name,
        value: None,
        source: Source::NotInInput {
            path: path.to_owned(),
            name: value_name.to_owned(),
        },
        meaning: format!("not in the input: the export holds no {path} key, so not known"),
    }
}

fn string(
    registry: &RegistrySnapshot,
    path: &str,
    name: &'static str,
    meaning: impl FnOnce(Option<&str>) -> String,
) -> Setting<String> {
    if !registry.holds(path) {
        return not_in_input(path, name, name);
    }
    let value = registry
        .string(path, name)
        .map(str::trim)
        .filter(|s| !s.is_empty());
    Setting {
        name,
        value: value.map(str::to_owned),
        source: source(registry, path, name),
        meaning: meaning(value),
    }
}

fn start_mode(
    registry: &RegistrySnapshot,
    path: &str,
    meaning: impl FnOnce(Option<StartMode>) -> String,
) -> Setting<StartMode> {
    let value = registry.dword(path, "Start").map(StartMode::from_start);
    let name = if path == DIAGTRACK_KEY {
        "DiagTrack start"
    } else {
        "Sense start"
    };
    // A missing service key in an export that covers the Services key means "not installed".
    if !registry.holds(path) {
        return not_in_input(path, name, "Start");
    }
    Setting {
        name,
        value,
        source: source(registry, path, "Start"),
        meaning: meaning(value),
    }
}

fn source(registry: &RegistrySnapshot, path: &str, name: &str) -> Source {
    match registry.value(path, name) {
        Some(value) => Source::Registry {
            path: path.to_owned(),
            name: name.to_owned(),
            origin: value.origin.clone(),
        },
        None => Source::NotFound {
            path: path.to_owned(),
            name: name.to_owned(),
        },
    }
}

/// Fills what only the running system knows (whether `DiagTrack` and Sense run, whether a user is
/// signed in) from what the live readers found.
#[cfg(any(windows, test))] // the live reader (Windows) and the tests call it
pub(crate) fn with_live(
    settings: &mut DeviceSettings,
    diagtrack_running: Answer,
    sense_running: Answer,
    users: Answer,
) {
    settings.diagtrack_running = service_setting(
        "DiagTrack running",
        "DiagTrack",
        diagtrack_running,
        |state| match state {
            Answer::Yes => "running".to_owned(),
            Answer::No => "not running: Windows sends no diagnostic data until it is started \
                           (Connection Health code 50)"
                .to_owned(),
            Answer::NotKnown => "the Service Control Manager did not say".to_owned(),
        },
    );
    settings.defender_sense_running = service_setting(
        "Sense running",
        "Sense",
        sense_running,
        |state| match state {
            Answer::Yes => "the Defender for Endpoint sensor is running".to_owned(),
            Answer::No => "the Defender for Endpoint sensor is not running".to_owned(),
            Answer::NotKnown => "the Service Control Manager did not say".to_owned(),
        },
    );
    settings.console_user = Setting {
        name: "signed-in user",
        value: Some(users),
        source: Source::Live {
            what: r"loaded user profiles with a Volatile Environment (HKEY_USERS)".to_owned(),
        },
        meaning: match users {
            Answer::Yes => "a user is signed in (console or remote desktop)".to_owned(),
            Answer::No => "no user is signed in: the user approach cannot send data now".to_owned(),
            Answer::NotKnown => "HKEY_USERS could not be read".to_owned(),
        },
    };
}

#[cfg(any(windows, test))]
fn service_setting(
    name: &'static str,
    service: &str,
    state: Answer,
    meaning: impl FnOnce(Answer) -> String,
) -> Setting<Answer> {
    Setting {
        name,
        value: Some(state),
        source: Source::Live {
            what: format!("Service Control Manager, service {service}"),
        },
        meaning: meaning(state),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> ValueData {
        ValueData::String(s.to_owned())
    }

    /// Mirrors `testdata/settings/win11-enrolled.reg`.
    /// A fixture parsed by the real `.reg` parser, as `--from-reg` reads it.
    fn fixture(bytes: &[u8], name: &str) -> RegistrySnapshot {
        crate::windows::regfile::parse(bytes, name).expect("the settings fixtures parse")
    }

    fn win11_enrolled() -> RegistrySnapshot {
        fixture(
            include_bytes!("../../testdata/settings/win11-enrolled.reg"),
            "win11-enrolled.reg",
        )
    }

    /// Mirrors `testdata/settings/win10-1803-defender-proxy.reg`.
    fn win10_1803_defender_proxy() -> RegistrySnapshot {
        fixture(
            include_bytes!("../../testdata/settings/win10-1803-defender-proxy.reg"),
            "win10-1803-defender-proxy.reg",
        )
    }

    /// Mirrors `testdata/settings/win7-defaults.reg`.
    fn win7_defaults() -> RegistrySnapshot {
        fixture(
            include_bytes!("../../testdata/settings/win7-defaults.reg"),
            "win7-defaults.reg",
        )
    }

    /// Mirrors `testdata/settings/win10-22h2-off.reg`.
    fn win10_22h2_off() -> RegistrySnapshot {
        fixture(
            include_bytes!("../../testdata/settings/win10-22h2-off.reg"),
            "win10-22h2-off.reg",
        )
    }

    #[test]
    fn fixtures_are_shipped() {
        // The parser-driven versions of the tests below read these files.
        for bytes in [
            &include_bytes!("../../testdata/settings/win11-enrolled.reg")[..],
            include_bytes!("../../testdata/settings/win10-1803-defender-proxy.reg"),
            include_bytes!("../../testdata/settings/win7-defaults.reg"),
            include_bytes!("../../testdata/settings/win10-22h2-off.reg"),
        ] {
            assert_eq!(&bytes[..2], b"\xff\xfe", "UTF-16LE with a byte-order mark");
        }
    }

    #[test]
    fn an_enrolled_windows_11_uses_v10c_at_optional_limited() {
        let settings = read_settings(&win11_enrolled());
        assert_eq!(settings.os.family, OsFamily::Windows11);
        assert_eq!(
            settings.os.diagnostic_endpoint.as_deref(),
            Some("v10c.events.data.microsoft.com")
        );
        assert_eq!(settings.diagnostic_level.value, Some(2));
        assert_eq!(settings.diagnostic_level.set_by, "policy");
        assert!(
            settings
                .limit_enhanced_diagnostic_data
                .meaning
                .contains("Optional (limited)")
        );
        assert_eq!(settings.auth_proxy_disabled(), Answer::No);
        // Neither Defender key is in the export: not known, rather than "not onboarded".
        assert_eq!(settings.defender_present(), Answer::NotKnown);
        assert!(settings.defender_sense_service.not_in_input());
        assert_eq!(settings.diagtrack_off(), Answer::No);
        assert!(!settings.commercial_id_conflict());
        assert_eq!(settings.console_user(), Answer::NotKnown);
        let Source::Registry { origin, .. } = &settings.allow_telemetry_policy.source else {
            panic!("AllowTelemetry comes from the registry");
        };
        assert_eq!(origin.source, "win11-enrolled.reg");
        assert!(
            origin.line.is_some(),
            "the parser records the line: {origin:?}"
        );
    }

    #[test]
    fn defender_with_a_telemetry_proxy_on_1803_without_the_september_update() {
        let settings = read_settings(&win10_1803_defender_proxy());
        assert_eq!(settings.os.family, OsFamily::Windows10V1803);
        assert_eq!(
            settings.os.diagnostic_endpoint.as_deref(),
            Some("v10.events.data.microsoft.com")
        );
        assert_eq!(settings.defender_present(), Answer::Yes);
        assert_eq!(settings.auth_proxy_disabled(), Answer::Yes);
        assert!(settings.auth_proxy_disabled_by_policy());
        assert_eq!(settings.telemetry_proxy(), Some("proxy.corp.example:8080"));
        assert!(
            settings
                .disable_enterprise_auth_proxy
                .meaning
                .contains("as Defender for Endpoint and CIS L2 require")
        );
    }

    #[test]
    fn a_key_missing_from_the_export_is_not_in_the_input_while_a_live_read_is_not_set() {
        // An export of the OS version alone: the policy keys were not exported.
        let mut export = RegistrySnapshot::new();
        export.set(
            CURRENT_VERSION_KEY,
            "CurrentBuild",
            crate::windows::registry::ValueData::String("19045".into()),
            Origin {
                source: "os.reg".into(),
                line: Some(4),
            },
        );
        let settings = read_settings(&export);
        let proxy = &settings.telemetry_proxy_server;
        assert!(proxy.not_in_input(), "{proxy:?}");
        assert!(proxy.meaning.starts_with("not in the input"), "{proxy:?}");
        assert!(
            proxy.source.to_string().starts_with("not in the input"),
            "{}",
            proxy.source
        );
        assert_eq!(settings.diagnostic_level.set_by, "unknown");
        assert_eq!(settings.auth_proxy_disabled(), Answer::NotKnown);
        assert_eq!(settings.defender_present(), Answer::NotKnown);
        assert!(matches!(settings.os.source, Source::Registry { .. }));
        // The live reader looked the same keys up and found nothing: not set.
        let mut live = export.clone();
        for (key, _) in crate::windows::keys::SETTINGS_VALUES {
            live.mark_looked_up(key);
        }
        let settings = read_settings(&live);
        let proxy = &settings.telemetry_proxy_server;
        assert!(matches!(proxy.source, Source::NotFound { .. }), "{proxy:?}");
        assert_eq!(proxy.meaning, "not set");
        assert_eq!(settings.diagnostic_level.set_by, "none");
        assert_eq!(settings.auth_proxy_disabled(), Answer::No);
        assert_eq!(settings.defender_present(), Answer::No);
        // Nothing at all: the OS is not in the input either.
        let settings = read_settings(&RegistrySnapshot::new());
        assert!(matches!(settings.os.source, Source::NotInInput { .. }));
    }

    #[test]
    fn windows_7_counts_a_missing_auth_proxy_switch_as_disabled() {
        let settings = read_settings(&win7_defaults());
        assert_eq!(settings.os.family, OsFamily::Windows7);
        assert_eq!(settings.disable_enterprise_auth_proxy.value, None);
        assert_eq!(settings.auth_proxy_disabled(), Answer::Yes);
        assert!(!settings.auth_proxy_disabled_by_policy());
        assert_eq!(settings.diagnostic_level.value, None);
        assert!(matches!(
            settings.disable_enterprise_auth_proxy.source,
            Source::NotFound { .. }
        ));
    }

    #[test]
    fn policy_wins_and_conflicts_show() {
        let settings = read_settings(&win10_22h2_off());
        assert_eq!(settings.diagnostic_level.value, Some(0));
        assert_eq!(settings.diagnostic_level.name, Some("Diagnostic data off"));
        assert_eq!(settings.diagnostic_level.old_name, Some("Security"));
        assert!(settings.commercial_id_conflict());
        assert!(settings.commercial_id_local.meaning.contains("code 53"));
        assert_eq!(settings.diagtrack_off(), Answer::Yes);
        assert_eq!(settings.proxy_settings_per_user.value, Some(0));
        assert!(
            settings
                .proxy_settings_per_user
                .meaning
                .contains("per-machine")
        );
    }

    #[test]
    fn each_windows_version_counts_only_its_own_endpoints() {
        let os = |build: &str, ubr: u32| {
            let mut registry = RegistrySnapshot::new();
            registry.set(
                CURRENT_VERSION_KEY,
                "CurrentBuild",
                text(build),
                Origin::live(),
            );
            registry.set(
                CURRENT_VERSION_KEY,
                "UBR",
                ValueData::Dword(ubr),
                Origin::live(),
            );
            read_settings(&registry).os
        };
        let cases = [
            (
                "22631",
                1,
                "v10c.events.data.microsoft.com",
                Relevance::Used,
            ),
            (
                "19045",
                1,
                "v10.vortex-win.data.microsoft.com",
                Relevance::NotUsed,
            ),
            (
                "17134",
                285,
                "v10c.events.data.microsoft.com",
                Relevance::Used,
            ),
            (
                "17134",
                284,
                "v10c.events.data.microsoft.com",
                Relevance::NotUsed,
            ),
            (
                "17134",
                284,
                "v10.events.data.microsoft.com",
                Relevance::Used,
            ),
            (
                "16299",
                1,
                "v10.vortex-win.data.microsoft.com",
                Relevance::Used,
            ),
            (
                "16299",
                1,
                "umwatsonc.events.data.microsoft.com",
                Relevance::NotUsed,
            ),
            ("9600", 1, "vortex-win.data.microsoft.com", Relevance::Used),
            (
                "7601",
                1,
                "v10c.events.data.microsoft.com",
                Relevance::NotUsed,
            ),
            (
                "19045",
                1,
                "ceuswatcab01.blob.core.windows.net",
                Relevance::Used,
            ),
            ("19045", 1, "login.live.com", Relevance::Used),
        ];
        for (build, ubr, host, expected) in cases {
            assert_eq!(os(build, ubr).uses(host), expected, "{build}.{ubr} {host}");
        }
        let unknown = read_settings(&RegistrySnapshot::new()).os;
        assert_eq!(
            unknown.uses("v10.vortex-win.data.microsoft.com"),
            Relevance::NotKnown
        );
    }

    /// The hard-coded answers `uses` gave before the catalog held them, kept to pin the data.
    fn uses_before_the_catalog(os: &OsInfo, host: &str) -> Relevance {
        const V1803_SEPTEMBER_2018_UBR: u32 = 285;
        let host = host.trim_start_matches("*.").to_ascii_lowercase();
        let Some(build) = os.build.filter(|_| os.family != OsFamily::Unknown) else {
            return Relevance::NotKnown;
        };
        let yes = |used: bool| {
            if used {
                Relevance::Used
            } else {
                Relevance::NotUsed
            }
        };
        // The processor configuration's hosts, added with the catalog: 1809 and later.
        if host == "us-v10c.events.data.microsoft.com"
            || host == "watsonc.events.data.microsoft.com"
        {
            return yes(build >= 17763);
        }
        if host.ends_with("v10c.events.data.microsoft.com") {
            return match os.family {
                OsFamily::Windows10V1803 => match os.ubr {
                    Some(ubr) => yes(ubr >= V1803_SEPTEMBER_2018_UBR),
                    None => Relevance::NotKnown,
                },
                family => yes(matches!(
                    family,
                    OsFamily::Windows10From1809 | OsFamily::Windows11
                )),
            };
        }
        match host.as_str() {
            "v10.events.data.microsoft.com" => match (os.family, os.ubr) {
                (OsFamily::Windows10V1803, Some(ubr)) => yes(ubr < V1803_SEPTEMBER_2018_UBR),
                (OsFamily::Windows10V1803, None) => Relevance::NotKnown,
                _ => Relevance::NotUsed,
            },
            "v10.vortex-win.data.microsoft.com" => yes(os.family == OsFamily::Windows10Before1803),
            "vortex-win.data.microsoft.com" => yes(matches!(
                os.family,
                OsFamily::Windows7 | OsFamily::Windows81
            )),
            "watson.telemetry.microsoft.com" | "oca.telemetry.microsoft.com" => yes(build <= 17134),
            "umwatsonc.events.data.microsoft.com" | "kmwatsonc.events.data.microsoft.com" => {
                yes(build >= 17763)
            }
            h if h.ends_with("watcab01.blob.core.windows.net")
                || h.ends_with("watcab02.blob.core.windows.net") =>
            {
                yes(build >= 17763)
            }
            _ => Relevance::Used,
        }
    }

    #[test]
    fn catalog_build_facts_answer_as_the_hard_coded_table_did() {
        let catalog = crate::catalog::builtin().expect("the built-in catalog parses");
        let mut hosts: Vec<String> = catalog
            .endpoints
            .iter()
            .map(|e| e.target.host.clone())
            .collect();
        hosts.extend(
            [
                "probe.v10c.events.data.microsoft.com",
                "login.live.com",
                "127.0.0.1",
            ]
            .map(str::to_owned),
        );
        let builds = [
            None,
            Some(7600),
            Some(7601),
            Some(8000),
            Some(9200),
            Some(9600),
            Some(10240),
            Some(16299),
            Some(17000),
            Some(17134),
            Some(17763),
            Some(19045),
            Some(21999),
            Some(22000),
            Some(26100),
        ];
        let ubrs = [None, Some(0), Some(284), Some(285), Some(4291)];
        for build in builds {
            for ubr in ubrs {
                let mut registry = RegistrySnapshot::new();
                if let Some(build) = build {
                    registry.set(
                        CURRENT_VERSION_KEY,
                        "CurrentBuild",
                        text(&build.to_string()),
                        Origin::live(),
                    );
                }
                if let Some(ubr) = ubr {
                    registry.set(
                        CURRENT_VERSION_KEY,
                        "UBR",
                        ValueData::Dword(ubr),
                        Origin::live(),
                    );
                }
                let os = read_settings(&registry).os;
                for host in &hosts {
                    assert_eq!(
                        os.uses(host),
                        uses_before_the_catalog(&os, host),
                        "{build:?}.{ubr:?} {host}"
                    );
                }
                let expected = match os.family {
                    OsFamily::Windows7 | OsFamily::Windows81 => {
                        Some("vortex-win.data.microsoft.com")
                    }
                    OsFamily::Windows10Before1803 => Some("v10.vortex-win.data.microsoft.com"),
                    OsFamily::Windows10V1803 => match ubr {
                        Some(ubr) if ubr >= 285 => Some("v10c.events.data.microsoft.com"),
                        Some(_) => Some("v10.events.data.microsoft.com"),
                        None => None,
                    },
                    OsFamily::Windows10From1809 | OsFamily::Windows11 => {
                        Some("v10c.events.data.microsoft.com")
                    }
                    OsFamily::Unknown => None,
                };
                assert_eq!(
                    os.diagnostic_endpoint.as_deref(),
                    expected,
                    "{build:?}.{ubr:?}"
                );
            }
        }
    }

    /// `testdata/registry/device-hardening.synthetic.reg`: the ASR rule set by Group Policy (1)
    /// and by an MDM (6), and `UseMachineId` = 0.
    fn device_hardening() -> RegistrySnapshot {
        fixture(
            include_bytes!("../../testdata/registry/device-hardening.synthetic.reg"),
            "device-hardening.synthetic.reg",
        )
    }

    #[test]
    fn the_psexec_rule_and_use_machine_id_are_read_from_an_export() {
        let settings = read_settings(&device_hardening());
        // Group Policy wins over the MDM's 6, and the GUID's case does not matter.
        assert_eq!(settings.asr_psexec_wmi.value, Some(1));
        let Source::Registry { path, origin, .. } = &settings.asr_psexec_wmi.source else {
            panic!("from the registry: {:?}", settings.asr_psexec_wmi.source);
        };
        assert_eq!(path, ASR_RULES_KEY);
        assert_eq!(origin.source, "device-hardening.synthetic.reg");
        assert!(origin.line.is_some(), "{origin:?}");
        assert!(settings.asr_psexec_wmi.meaning.starts_with("1 = block"));
        assert_eq!(settings.psexec_wmi_blocked(), Answer::Yes);
        assert_eq!(settings.use_machine_id.value, Some(0));
        assert!(
            settings.use_machine_id.meaning.contains("anonymously"),
            "{}",
            settings.use_machine_id.meaning
        );
        assert_eq!(settings.local_system_ntlm_anonymous(), Answer::Yes);
        let rows = settings.rows();
        let names: Vec<&str> = rows.iter().map(|row| row.name.as_str()).collect();
        assert!(
            names.ends_with(&["ASR PsExec and WMI rule", "UseMachineId"]),
            "{names:?}"
        );
    }

    #[test]
    fn the_mdm_policy_store_gives_the_rule_when_group_policy_does_not() {
        let mut registry = device_hardening();
        registry.delete_value(ASR_RULES_KEY, ASR_PSEXEC_WMI_RULE);
        let settings = read_settings(&registry);
        assert_eq!(settings.asr_psexec_wmi.value, Some(6));
        assert!(matches!(
            &settings.asr_psexec_wmi.source,
            Source::Registry { path, name, .. }
                if path == DEFENDER_POLICY_MANAGER_KEY && name == "AttackSurfaceReductionRules"
        ));
        assert_eq!(settings.psexec_wmi_blocked(), Answer::Yes);
        // A DWORD under Group Policy reads as well as a string.
        registry.set(
            ASR_RULES_KEY,
            ASR_PSEXEC_WMI_RULE,
            ValueData::Dword(2),
            Origin::live(),
        );
        let settings = read_settings(&registry);
        assert_eq!(settings.asr_psexec_wmi.value, Some(2));
        assert_eq!(settings.psexec_wmi_blocked(), Answer::No);
    }

    #[test]
    fn csp_rule_strings_are_split_on_bars_and_equals() {
        let guid = ASR_PSEXEC_WMI_RULE;
        let cases = [
            ("d1e49aac-8f56-4280-b9ba-993a6d77406c=1", Some(1)),
            (
                "75668c1f-73b5-4cf0-bb93-3ecf5cb7cc84=2|D1E49AAC-8F56-4280-B9BA-993A6D77406C=6",
                Some(6),
            ),
            ("{d1e49aac-8f56-4280-b9ba-993a6d77406c} = 2 ", Some(2)),
            ("75668c1f-73b5-4cf0-bb93-3ecf5cb7cc84=2", None),
            ("d1e49aac-8f56-4280-b9ba-993a6d77406c=block", None),
            ("", None),
        ];
        for (rules, expected) in cases {
            assert_eq!(asr_mode_in(rules, guid), expected, "{rules}");
        }
    }

    #[test]
    fn the_two_settings_are_not_in_the_input_when_their_keys_were_not_exported() {
        let settings = read_settings(&win11_enrolled());
        assert!(settings.asr_psexec_wmi.not_in_input());
        assert!(settings.use_machine_id.not_in_input());
        assert_eq!(settings.psexec_wmi_blocked(), Answer::NotKnown);
        assert_eq!(settings.local_system_ntlm_anonymous(), Answer::NotKnown);
        assert!(
            settings
                .use_machine_id
                .source
                .to_string()
                .starts_with("not in the input"),
            "{}",
            settings.use_machine_id.source
        );
        // Looked up live and absent: not set, which means off and the computer identity.
        let mut live = RegistrySnapshot::new();
        for (key, _) in crate::windows::keys::SETTINGS_VALUES {
            live.mark_looked_up(key);
        }
        let settings = read_settings(&live);
        assert!(matches!(
            settings.asr_psexec_wmi.source,
            Source::NotFound { .. }
        ));
        assert_eq!(settings.psexec_wmi_blocked(), Answer::No);
        assert_eq!(settings.local_system_ntlm_anonymous(), Answer::No);
        assert!(
            settings.use_machine_id.meaning.contains("Windows 7"),
            "{}",
            settings.use_machine_id.meaning
        );
    }

    #[test]
    fn what_the_live_readers_found_fills_the_running_state_and_the_signed_in_user() {
        let mut settings = read_settings(&RegistrySnapshot::new());
        assert_eq!(
            settings.console_user.value, None,
            "not known off the device"
        );
        with_live(&mut settings, Answer::No, Answer::Yes, Answer::NotKnown);
        assert_eq!(settings.diagtrack_running.value, Some(Answer::No));
        assert!(
            settings
                .diagtrack_running
                .meaning
                .contains("Connection Health code 50"),
            "{}",
            settings.diagtrack_running.meaning
        );
        assert_eq!(settings.defender_sense_running.value, Some(Answer::Yes));
        assert_eq!(settings.console_user.value, Some(Answer::NotKnown));
        assert_eq!(
            settings.console_user.meaning,
            "HKEY_USERS could not be read"
        );
    }
}
