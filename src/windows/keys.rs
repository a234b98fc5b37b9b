//! The registry keys dapreflight reads, each named once.

/// The group-policy key for diagnostic data; its values win over `LOCAL_KEY`'s.
pub const POLICY_KEY: &str = r"HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection";
/// The key Configuration Manager (and the old deployment scripts) write.
pub const LOCAL_KEY: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Policies\DataCollection";
/// The Internet Settings policy key holding `ProxySettingsPerUser`.
pub const INTERNET_POLICY_KEY: &str =
    r"HKLM\SOFTWARE\Policies\Microsoft\Windows\CurrentVersion\Internet Settings";
/// Where the OS version lives.
pub const CURRENT_VERSION_KEY: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
/// The `DiagTrack` service ("Connected User Experiences and Telemetry").
pub const DIAGTRACK_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\DiagTrack";
/// The Defender for Endpoint sensor service.
pub const SENSE_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\Sense";
/// Defender for Endpoint's onboarding status.
pub const ATP_STATUS_KEY: &str =
    r"HKLM\SOFTWARE\Microsoft\Windows Advanced Threat Protection\Status";
