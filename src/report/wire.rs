//! The JSON contract: the serde types of every JSON dapreflight writes (the check report, the
//! `proxy` view, the `endpoints` list, the `pac` report), built `From` the internal types.
//!
//! These types alone define `schema/report.schema.json`; internal types never derive `Serialize`.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use crate::assess;
use crate::catalog::{self, StatusPattern, TrustRule};
use crate::probe::{self, ConnectCause, DnsCause, DnsOf, How, Identity, tls::TlsEvidence};
use crate::proxy::pac::{self as pac_eval, PacEntry as InternalPacEntry};
use crate::proxy::{self as proxy_config, SourceStatus};
use crate::report::{self, DeviceSource, pac};
use crate::route::{self, Context};
use crate::settings::{self, OsFamily};
use crate::status::{Answer, Stage, Status};
use crate::trust::{self, Interception as InternalInterception};
use crate::verdict::{self, Approach, Code, Severity};
use crate::windows::connections::{
    ContextConnections as ContextConnectionsInternal, FORCE_TUNNEL_NOTE,
};
use crate::windows::utc;

/// Everything one `check` found, as `check --format json` writes it. Renaming or removing a field
/// bumps `schema_version`; new fields may appear without a bump.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(
    title = "dapreflight check report",
    extend("$id" = "https://dapreflight.invalid/schema/report-v1.json")
)]
pub struct Report {
    /// The contract's version; bumped (with a CHANGELOG line) when a field is renamed or removed.
    #[schemars(extend("const" = 2))]
    pub schema_version: u32,
    pub tool_version: String,
    /// When the check started, RFC 3339 UTC.
    #[schemars(regex(pattern = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$"))]
    pub generated_at: String,
    pub device: Device,
    pub catalog: CatalogInfo,
    pub contexts: Vec<ContextConfig>,
    /// One per endpoint × context × route, in catalog order, then context order.
    pub results: Vec<ProbeResult>,
    pub summary: Summary,
    /// Which proxy approach fits this device, why, and the fixes.
    pub verdict: Verdict,
    /// The diagnostic-data settings enrollment needs, when they could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<DeviceSettings>,
    /// DiagTrack's own upload summary (`UtcConnectionReport`), when one was given or looked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagtrack: Option<DiagTrack>,
}

/// DiagTrack's own upload summary, as read, or why it was not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiagTrack {
    /// The file given, or the device's WMI.
    pub source: String,
    /// What the summary says about uploads: `no_report`, `nothing_to_upload`, `all_sent`,
    /// `some_dropped`, `all_dropped` or `unknown`; absent when it was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// Why it was not read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_read: Option<String>,
    /// `ConnectionSummary`, element by element, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<UtcSummary>,
    /// Elements the documented schema does not have, by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown_elements: Vec<String>,
}

/// `ConnectionSummary`: each element as the document gives it (absent when it does not).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UtcSummary {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub starting: Option<UtcTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ending: Option<UtcTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_upload: Option<UtcTimestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_http_error_code: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_detected: Option<bool>,
    /// `ConnectionsSuccessful`: 0 all failed, 1 some failed, 2 all succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connections_successful: Option<u32>,
    /// `DataUploaded`: 0 all dropped, 1 some dropped, 2 all sent, 3 nothing to upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_uploaded: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub any_certificate_validation_failures: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_certificate_validation_failure_code: Option<u32>,
}

/// A summary timestamp: the raw value (a string: it exceeds what a JSON number holds exactly),
/// and the date it gives read as a FILETIME, when that date is plausible (the unit is not
/// documented; dapreflight assumes FILETIME).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct UtcTimestamp {
    pub raw: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_filetime: Option<String>,
}

/// The JSON Schema of [`Report`], as `schema/report.schema.json` holds it.
#[must_use]
pub fn report_schema() -> Schema {
    schemars::schema_for!(Report)
}

/// What device the report is about (each part absent when not known), where that came from,
/// and the machine the probes ran from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Device {
    /// The device's computer name.
    pub name: Option<String>,
    /// Its DNS domain.
    pub domain: Option<String>,
    /// Its operating system, e.g. `Windows 10 Enterprise 22H2`.
    pub os: Option<String>,
    /// Its Windows build, e.g. `19045.4291`.
    pub build: Option<String>,
    /// `live` (this machine), `export` (the device's exports) or `unknown` (the exports say
    /// nothing about the device).
    pub source: Word<DeviceSource>,
    pub ran_on: RanOn,
}

/// The machine the probes ran from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RanOn {
    pub name: Option<String>,
    /// `windows`, `linux`, `macos`, ...
    pub os: String,
    /// True only on a live run: the probes ran on the device itself.
    pub is_device: bool,
    /// Whether dapreflight ran elevated (Windows); absent off Windows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub elevated: Option<bool>,
    /// What the identities the contexts were probed as mean for this report (not elevated,
    /// explicit credentials, stale services removed, a hop that failed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Which endpoint list was probed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CatalogInfo {
    /// `built-in` or the `--endpoints` file.
    pub origin: String,
    pub profile: String,
}

/// One context's proxy configuration and where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContextConfig {
    pub name: Word<Context>,
    pub sources: Vec<SourceReport>,
    /// Settings present but switched off ("configured but disabled").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Who the context's probes ran as, and how (a `check` only; absent when nobody probed it,
    /// e.g. no user is signed in).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probed_as: Option<ProbedAs>,
}

/// The account a context's probes ran as, and how dapreflight came to run as it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProbedAs {
    /// As Windows names it (`NT AUTHORITY\SYSTEM`, `CORP\alice`), or the user name elsewhere.
    pub account: String,
    /// `system` (LocalSystem, what the device presents), `user` (the signed-in console user) or
    /// `current` (whoever ran dapreflight: proves nothing about either approach).
    pub identity: Word<Identity>,
    /// `in-process`, `service` (a temporary LocalSystem service), `user token` (started with
    /// the console user's token) or `child process` (the portable hop; changes no identity).
    pub how: Word<How>,
}

impl From<&probe::ProbedAs> for ProbedAs {
    fn from(probed_as: &probe::ProbedAs) -> Self {
        Self {
            account: probed_as.account.clone(),
            identity: Word(probed_as.identity),
            how: Word(probed_as.how),
        }
    }
}

/// How one source of proxy settings fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SourceReport {
    pub name: String,
    pub status: Word<SourceStatus>,
    pub detail: String,
}

/// One endpoint in one context: the route it took, what happened, and the evidence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProbeResult {
    /// The endpoint's URL as catalogued.
    pub endpoint: String,
    /// The URL actually requested (probe host and path), when it was probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    pub context: Word<Context>,
    pub route: RouteChoice,
    pub status: Word<Status>,
    /// The stage where the probe stopped, or the last one it completed.
    pub stage: Option<Word<Stage>>,
    /// One line for a person.
    pub detail: String,
    pub timings_ms: Timings,
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<DnsEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<ConnectEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsReport>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<ProbeFailure>,
}

/// A route together with where it came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RouteChoice {
    #[serde(flatten)]
    pub route: Route,
    /// The setting that chose this route, e.g. `--proxy`, `HTTPS_PROXY`, `NO_PROXY entry '.corp'`.
    pub source: String,
    /// The PAC decision behind the route, when a PAC chose it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pac: Option<PacNote>,
}

/// How a probe reaches its target.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Route {
    Direct,
    /// Through an HTTP proxy, `host:port` (`[v6]:port`).
    Proxy {
        proxy: String,
    },
    Unprobeable {
        reason: String,
    },
}

/// The PAC decision behind a route.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PacNote {
    pub script: String,
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<usize>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Milliseconds spent in each stage; absent stages were not reached (or not needed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Timings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<u64>,
    pub total: u64,
}

/// Which name was resolved, to what, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DnsEvidence {
    pub name: String,
    pub addresses: Vec<IpAddr>,
    /// `resolver`, `--resolve`, or `literal` (the name was an address).
    pub source: String,
}

/// The TCP connection that was opened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectEvidence {
    pub peer: SocketAddr,
    /// Addresses tried before `peer` that failed, with why.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed: Vec<String>,
}

/// What the proxy answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProxyEvidence {
    /// The proxy, `host:port` (`[v6]:port`).
    pub address: String,
    pub request: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_line: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub challenges: Vec<Challenge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthAttempt>,
}

/// One response header, as received.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Header {
    pub name: String,
    pub value: String,
}

/// One authentication challenge from a `Proxy-Authenticate` header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Challenge {
    pub scheme: String,
    /// Its parameters (`realm`, ...) as an object, in the order sent; a repeated name keeps its
    /// last value.
    #[serde(default, skip_serializing_if = "Vec::is_empty", with = "params")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub params: Vec<(String, String)>,
}

/// The handshake after a 407: who was presented, how far it went, how it ended. Never a
/// password or a token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AuthAttempt {
    /// The scheme answered: `NTLM`, `Negotiate`, `Basic`.
    pub scheme: String,
    /// Whether the proxy knew the account: `outcome` is `accepted` or `denied`.
    pub accepted: bool,
    /// The proxy's last status.
    pub status: Option<u16>,
    /// Explicit credentials (with the account as given), or the current logon. Absent only in
    /// reports from before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub presenting: Option<Presenting>,
    /// The account that authenticated, as far as the handshake knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// The package or protocol: `NTLMv2`, `Kerberos`, `NTLM`, `Basic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    /// Requests sent with `Proxy-Authorization` on the connection that gave the last answer.
    #[serde(default)]
    pub rounds: u8,
    /// Absent only in reports from before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<AuthOutcome>,
    /// Why the handshake failed, when `outcome` is `failed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Handshake facts: no TargetInfo in the challenge, a new connection after a close, ...
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Whose identity a handshake presented.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Presenting {
    /// Credentials given to the run (environment or prompt).
    Explicit { account: String },
    /// The logon of the probing process (SSPI): the computer account as SYSTEM, else the user.
    CurrentLogon,
}

/// How a handshake ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthOutcome {
    /// Through after the handshake.
    Accepted,
    /// 407 again after the last token.
    Rejected,
    /// Authenticated, then refused (403, ...): the account is known but not allowed.
    Denied,
    /// The handshake could not go on (`reason` says why).
    Failed,
}

/// What the TLS handshake showed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TlsReport {
    pub server_name: String,
    pub version: String,
    pub cipher_suite: String,
    /// The chain as presented, leaf first.
    pub chain: Vec<CertificateInfo>,
    pub trust: TrustAssessment,
}

/// What the report shows of one certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    pub not_before: String,
    pub not_after: String,
    /// Hex SHA-256 of the DER `SubjectPublicKeyInfo`.
    #[schemars(regex(pattern = r"^([0-9a-f]{64})?$"))]
    pub spki_sha256: String,
    pub is_ca: bool,
    /// The first 32 DNS names of the SAN extension.
    pub dns_names: Vec<String>,
    /// How many more names the certificate has (counted, not kept).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub dns_names_omitted: usize,
}

/// Reports written before `confirmed` existed judged only known chains.
fn confirmed_default() -> bool {
    true
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The trust rule and what the presented chain says about interception under it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TrustAssessment {
    pub rule: Word<TrustRule>,
    /// `false` when the endpoint's genuine chain is not yet known (rule `microsoft-unconfirmed`):
    /// the chain was accepted against any of Microsoft's roots, and the result is never high
    /// confidence.
    #[serde(default = "confirmed_default")]
    pub confirmed: bool,
    #[serde(flatten)]
    pub verdict: Interception,
}

/// The interception verdict for one chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Interception {
    NotDetected {
        anchor: String,
    },
    Detected {
        issuer: String,
        anchor: String,
        product: Option<String>,
    },
    Untrusted {
        issuer: String,
        product: Option<String>,
        reason: String,
    },
    WrongName {
        host: String,
        names: Vec<String>,
    },
    Inconclusive {
        reason: String,
    },
}

/// The HTTP exchange with the service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HttpEvidence {
    pub request: String,
    pub status: u16,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
}

/// Where and why a probe stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ProbeFailure {
    /// `of`: whose name (`endpoint`, or `proxy` on the way); `cause`: why, classified;
    /// `reason`: the resolver's own words.
    DnsFailed {
        name: String,
        of: Word<DnsOf>,
        cause: Word<DnsCause>,
        reason: String,
    },
    /// `to`: the addresses tried; `cause`: why, classified; `reason`: in words.
    ConnectFailed {
        to: String,
        cause: Word<ConnectCause>,
        reason: String,
    },
    Timeout {
        stage: Word<Stage>,
        after_ms: u64,
    },
    DeadlineReached {
        stage: Word<Stage>,
        deadline_ms: u64,
    },
    ProxyAuthRequired {
        schemes: Vec<String>,
    },
    /// 407 again after the handshake's last token; `account`: who was presented, when known.
    ProxyAuthRejected {
        scheme: String,
        status: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        account: Option<String>,
    },
    /// The handshake could not go on: `reason` says why.
    ProxyAuthFailed {
        scheme: String,
        reason: String,
    },
    ProxyDenied {
        status: u16,
        reason: String,
    },
    ProxyError {
        status: Option<u16>,
        reason: String,
    },
    TlsFailed {
        reason: String,
    },
    HttpFailed {
        reason: String,
    },
}

/// Counts over all results.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub results: usize,
    pub ok: usize,
    /// Results that are neither `ok` nor `not_probed`.
    pub findings: usize,
    pub not_probed: usize,
    /// Results per status, for the statuses that occurred, in the statuses' order.
    pub by_status: BTreeMap<Word<Status>, usize>,
    /// Wall time of the whole check.
    pub duration_ms: u64,
}

/// Which approach fits, whether the device is ready, why, and what to do.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Verdict {
    /// The verdict in one line, as the table's first line states it.
    pub headline: String,
    /// The approach the first fix implements (or that holds, when ready).
    pub approach: Word<Approach>,
    pub ready: bool,
    /// One per cause: blockers first, then caveats, then notes.
    pub reasons: Vec<Reason>,
    /// The first implements the approach; `alternative` ones are another way to the same end.
    pub fixes: Vec<Fix>,
}

/// One reason for the verdict: one cause, the contexts and hosts it is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reason {
    /// The cause's stable code, e.g. `system.proxy_auth.integrated` (docs/formats.md).
    pub code: Word<Code>,
    pub severity: Word<Severity>,
    pub text: String,
    /// The contexts it is about; empty when it is about the device.
    pub contexts: Vec<Word<Context>>,
    /// The endpoint hosts it is about.
    pub hosts: Vec<String>,
    pub refs: Vec<Ref>,
    /// The Configuration Manager Connection Health property (or script code) it matches.
    pub health: Option<String>,
}

/// What a reason points at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Ref {
    Result {
        endpoint: String,
        context: Word<Context>,
    },
    Setting {
        name: String,
    },
}

/// One thing to do, with the commands to paste and the hosts it concerns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Fix {
    /// The fix's stable name, e.g. `drop_proxy_auth`.
    pub kind: String,
    /// Another way to the same end as the fix before it ("Or: ...").
    pub alternative: bool,
    pub title: String,
    /// Lines to paste, one command each.
    pub commands: Vec<String>,
    pub hosts: Vec<String>,
}

/// The device settings enrollment depends on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeviceSettings {
    pub os: OsInfo,
    pub allow_telemetry_policy: Setting<u32>,
    pub allow_telemetry_local: Setting<u32>,
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
    pub diagtrack_running: Setting<Word<Answer>>,
    pub defender_onboarding_state: Setting<u32>,
    pub defender_sense_service: Setting<StartMode>,
    pub defender_sense_running: Setting<Word<Answer>>,
    pub console_user: Setting<Word<Answer>>,
    /// Defender's ASR rule "Block process creations originating from `PSExec` and WMI commands"
    /// (`d1e49aac-…`): 0 off, 1 block, 2 audit, 6 warn.
    pub asr_psexec_wmi: Setting<u32>,
    /// `HKLM\SYSTEM\CurrentControlSet\Control\Lsa\UseMachineId` ("Allow Local System to use
    /// computer identity for NTLM"): 0 makes LocalSystem's NTLM fallback anonymous.
    pub use_machine_id: Setting<u32>,
}

/// One setting: its value, where it came from, and what it means for enrollment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Setting<T> {
    pub name: String,
    pub value: Option<T>,
    pub source: Source,
    pub meaning: String,
}

/// Where a setting's value came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    Registry {
        path: String,
        name: String,
        origin: Origin,
    },
    Live {
        what: String,
    },
    NotFound {
        path: String,
        name: String,
    },
    /// The input does not hold the key (it was not exported): not known, not "not set".
    NotInInput {
        path: String,
        name: String,
    },
    NotKnown {
        reason: String,
    },
}

/// Where a registry value was read: a file and line, or the live registry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Origin {
    pub source: String,
    pub line: Option<usize>,
}

/// The diagnostic-data level that applies, and which key set it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiagnosticLevel {
    pub value: Option<u32>,
    /// `policy`, `local`, `none`, or `unknown` (neither key is in the input).
    pub set_by: String,
    pub name: Option<String>,
    pub old_name: Option<String>,
    pub features: String,
}

/// The Windows version, and what follows from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct OsInfo {
    pub product_name: Option<String>,
    pub display_version: Option<String>,
    pub build: Option<u32>,
    pub ubr: Option<u32>,
    pub family: Word<OsFamily>,
    pub source: Source,
    pub diagnostic_endpoint: Option<String>,
    pub meaning: String,
}

/// A service's start mode: its name, or `{"other": n}` for a `Start` value without one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartMode(pub settings::StartMode);

/// What `dapreflight proxy` shows: each context's configuration and the route every endpoint
/// takes in it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ProxyView {
    pub schema_version: u32,
    pub tool_version: String,
    pub generated_at: String,
    pub device: Device,
    pub contexts: Vec<ContextConfig>,
    pub routes: Vec<RouteRow>,
    /// Each context's WinINET connections: the LAN's and each VPN or dial-up connection's.
    pub connections: Vec<ContextConnections>,
    /// Microsoft's note on VPN proxy settings (force tunnel only), when a VPN is listed.
    pub vpn_note: Option<String>,
}

/// The WinINET connections under one context's `Connections` key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ContextConnections {
    pub context: Word<Context>,
    /// The key read, e.g. `HKCU\…\Internet Settings\Connections`.
    pub key: String,
    pub connections: Vec<WinInetConnection>,
}

/// One connection's proxy settings: only what its flags switch on (`null` when off).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct WinInetConnection {
    /// `DefaultConnectionSettings` (the LAN), or the VPN or dial-up connection's name.
    pub name: String,
    /// A VPN or dial-up connection (not the LAN).
    pub vpn: bool,
    /// This context's routes come from this connection.
    pub in_use: bool,
    /// Where the value was read: `file:line`, or `registry`.
    pub origin: String,
    pub auto_detect: Option<bool>,
    pub auto_config_url: Option<String>,
    pub proxy: Option<String>,
    pub bypass: Option<String>,
    /// Why the value could not be decoded; the settings are then all `null`.
    pub problem: Option<String>,
}

/// The route one context takes to one endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RouteRow {
    pub endpoint: String,
    pub context: Word<Context>,
    pub route: RouteChoice,
}

/// What `dapreflight endpoints --format json` writes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointList {
    pub endpoints: Vec<Endpoint>,
}

/// One catalogued endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Endpoint {
    pub url: String,
    pub purpose: String,
    pub source: String,
    pub profiles: Vec<String>,
    pub group: Option<String>,
    pub os_versions: Option<String>,
    pub probe_path: String,
    pub reachable: Vec<ReachableStatus>,
    pub trust: Word<TrustRule>,
    pub wildcard: bool,
    pub probe_host: Option<String>,
}

/// One entry of an endpoint's reachable statuses: a code, or a class such as `"4xx"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ReachableStatus {
    Code(u16),
    Class(String),
}

/// What `dapreflight pac --format json` writes: the script and one answer per URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PacReport {
    pub pac: String,
    /// `FindProxyForURL` or `FindProxyForURLEx`.
    pub function: String,
    pub results: Vec<PacUrlOutcome>,
}

/// One URL's answer, or what stopped it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PacUrlOutcome {
    Decided(Box<PacDecision>),
    Failed { url: String, error: String },
}

/// What a PAC decides for one URL, as Windows' two HTTP stacks would act on it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PacDecision {
    pub url: String,
    pub host: String,
    pub function: String,
    pub raw: String,
    pub entries: Vec<PacEntry>,
    pub invalid: Vec<String>,
    pub winhttp: PacEntry,
    pub wininet_order: Vec<PacEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stripped_form: Option<FormDifference>,
    pub notes: Vec<String>,
    pub lookups: Vec<PacLookup>,
    pub alerts: Vec<String>,
}

/// One element of a PAC result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PacEntry {
    Direct,
    Proxy { addr: String },
    Https { addr: String },
    Socks { version: Option<u8>, addr: String },
}

/// The stripped (Chromium) form's answer, when it differs from the Windows form's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct FormDifference {
    pub url: String,
    pub raw: Option<String>,
    pub entries: Vec<PacEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One name lookup a PAC helper made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PacLookup {
    pub host: String,
    pub addrs: Vec<IpAddr>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// An internal enum written in the report as its name, which its own module spells.
pub trait Vocabulary: Copy + 'static {
    /// The type's name in the schema.
    const TYPE: &'static str;
    /// Every value, in order.
    const ALL: &'static [Self];
    /// The value's name in the report.
    fn name(self) -> &'static str;
    /// The value named `name`: the one of `ALL` whose `name` it is.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|value| value.name() == name)
    }
}

macro_rules! vocabulary {
    ($($ty:ident => $as_str:ident;)*) => {$(
        impl Vocabulary for $ty {
            const TYPE: &'static str = stringify!($ty);
            const ALL: &'static [Self] = &$ty::ALL;
            fn name(self) -> &'static str {
                self.$as_str()
            }
        }
    )*};
}

vocabulary! {
    Status => as_str;
    Stage => as_str;
    Answer => as_str;
    Context => as_str;
    Approach => as_str;
    Code => as_str;
    Severity => as_str;
    SourceStatus => as_str;
    OsFamily => as_str;
    DnsCause => as_str;
    DnsOf => as_str;
    ConnectCause => as_str;
    DeviceSource => as_str;
    Identity => as_str;
    How => as_str;
    TrustRule => name;
}

/// A value of the shared vocabulary as the report writes it: its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Word<T>(pub T);

impl<T: Vocabulary> Serialize for Word<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.0.name())
    }
}

impl<'de, T: Vocabulary> Deserialize<'de> for Word<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = Cow::<str>::deserialize(deserializer)?;
        T::from_name(&name).map(Word).ok_or_else(|| {
            let known: Vec<&str> = T::ALL.iter().map(|v| v.name()).collect();
            de::Error::custom(format!(
                "unknown {} `{name}`, expected one of {}",
                T::TYPE,
                known.join(", ")
            ))
        })
    }
}

impl<T: Vocabulary> JsonSchema for Word<T> {
    fn schema_name() -> Cow<'static, str> {
        T::TYPE.into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = T::ALL.iter().map(|v| v.name()).collect();
        json_schema!({ "type": "string", "enum": names })
    }
}

impl Serialize for StartMode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match (self.0.as_str(), self.0) {
            (Some(name), _) => serializer.serialize_str(name),
            (None, settings::StartMode::Other(n)) => {
                let mut map = serializer.serialize_map(Some(1))?;
                map.serialize_entry("other", &n)?;
                map.end()
            }
            (None, mode) => Err(serde::ser::Error::custom(format!(
                "start mode {mode:?} has no name"
            ))),
        }
    }
}

impl<'de> Deserialize<'de> for StartMode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written<'a> {
            Name(Cow<'a, str>),
            Other { other: u32 },
        }
        match Written::deserialize(deserializer)? {
            Written::Name(name) => settings::StartMode::from_name(&name)
                .map(StartMode)
                .ok_or_else(|| de::Error::custom(format!("unknown start mode `{name}`"))),
            Written::Other { other } => Ok(StartMode(settings::StartMode::Other(other))),
        }
    }
}

impl JsonSchema for StartMode {
    fn schema_name() -> Cow<'static, str> {
        "StartMode".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<&str> = settings::StartMode::NAMED
            .iter()
            .filter_map(|mode| mode.as_str())
            .collect();
        json_schema!({
            "oneOf": [
                { "type": "string", "enum": names },
                {
                    "type": "object",
                    "properties": { "other": { "type": "integer", "minimum": 0 } },
                    "required": ["other"],
                    "additionalProperties": false
                }
            ]
        })
    }
}

/// A challenge's parameters as a JSON object, in order.
mod params {
    use super::{Deserializer, MapAccess, SerializeMap, Serializer, Visitor};

    pub(super) fn serialize<S: Serializer>(
        params: &[(String, String)],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(params.len()))?;
        for (name, value) in params {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<(String, String)>, D::Error> {
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Vec<(String, String)>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object of string parameters")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry()? {
                    pairs.push(pair);
                }
                Ok(pairs)
            }
        }
        deserializer.deserialize_map(Pairs)
    }
}

impl From<&report::Report> for Report {
    fn from(report: &report::Report) -> Self {
        Self {
            schema_version: report.schema_version,
            tool_version: report.tool_version.to_owned(),
            generated_at: report.generated_at.clone(),
            device: Device {
                ran_on: RanOn {
                    elevated: report.probing.elevated,
                    notes: report.probing.notes.clone(),
                    ..Device::from(&report.device).ran_on
                },
                ..Device::from(&report.device)
            },
            catalog: CatalogInfo {
                origin: report.catalog.origin.clone(),
                profile: report.catalog.profile.clone(),
            },
            contexts: report
                .contexts
                .iter()
                .map(|context| ContextConfig {
                    probed_as: report.probing.of(context.name).map(ProbedAs::from),
                    ..ContextConfig::from(context)
                })
                .collect(),
            results: report.results.iter().map(ProbeResult::from).collect(),
            summary: Summary::from(&report.summary),
            verdict: Verdict::from(&report.verdict),
            settings: report.settings.as_ref().map(DeviceSettings::from),
            diagtrack: report.diagtrack.as_ref().map(DiagTrack::from),
        }
    }
}

impl From<&report::DiagTrack> for DiagTrack {
    fn from(diagtrack: &report::DiagTrack) -> Self {
        let stamp = |t: Option<utc::Timestamp>| {
            t.map(|t| UtcTimestamp {
                raw: t.raw.to_string(),
                as_filetime: t.unix_seconds().map(crate::time::rfc3339),
            })
        };
        match &diagtrack.report {
            Err(why) => Self {
                source: diagtrack.source.clone(),
                state: None,
                not_read: Some(why.clone()),
                summary: None,
                unknown_elements: Vec::new(),
            },
            Ok(report) => Self {
                source: diagtrack.source.clone(),
                state: Some(report.state().as_str().to_owned()),
                not_read: None,
                summary: report.summary.as_ref().map(|s| UtcSummary {
                    starting: stamp(s.starting),
                    ending: stamp(s.ending),
                    last_successful_upload: stamp(s.last_successful_upload),
                    last_http_error_code: s.last_http_error,
                    proxy_detected: s.proxy_detected,
                    connections_successful: s.connections.map(utc::Connections::raw),
                    data_uploaded: s.uploaded.map(utc::Uploaded::raw),
                    any_certificate_validation_failures: s.certificate_failures,
                    last_certificate_validation_failure_code: s.last_certificate_failure,
                }),
                unknown_elements: report.unknown.clone(),
            },
        }
    }
}

impl From<&report::Device> for Device {
    fn from(device: &report::Device) -> Self {
        Self {
            name: device.name.clone(),
            domain: device.domain.clone(),
            os: device.os.clone(),
            build: device.build.clone(),
            source: Word(device.source),
            ran_on: RanOn {
                name: device.ran_on.name.clone(),
                os: device.ran_on.os.to_owned(),
                is_device: device.ran_on.is_device,
                elevated: None,
                notes: Vec::new(),
            },
        }
    }
}

impl From<&proxy_config::ContextConfig> for ContextConfig {
    fn from(context: &proxy_config::ContextConfig) -> Self {
        Self {
            name: Word(context.name),
            sources: context
                .sources
                .iter()
                .map(|source| SourceReport {
                    name: source.name.clone(),
                    status: Word(source.status),
                    detail: source.detail.clone(),
                })
                .collect(),
            disabled: context.disabled.clone(),
            warnings: context.warnings.clone(),
            probed_as: None,
        }
    }
}

impl From<&assess::ProbeResult> for ProbeResult {
    fn from(result: &assess::ProbeResult) -> Self {
        Self {
            endpoint: result.endpoint.clone(),
            url: result.url.clone(),
            context: Word(result.context),
            route: RouteChoice::from(&result.route),
            status: Word(result.status),
            stage: result.stage.map(Word),
            detail: result.detail.clone(),
            timings_ms: Timings::from(&result.timings_ms),
            http_status: result.http_status,
            dns: result.dns.as_ref().map(|dns| DnsEvidence {
                name: dns.name.clone(),
                addresses: dns.addresses.clone(),
                source: dns.source.clone(),
            }),
            connect: result.connect.as_ref().map(|connect| ConnectEvidence {
                peer: connect.peer,
                failed: connect.failed.clone(),
            }),
            proxy: result.proxy.as_ref().map(ProxyEvidence::from),
            tls: result.tls.as_ref().map(TlsReport::from),
            http: result.http.as_ref().map(|http| HttpEvidence {
                request: http.request.clone(),
                status: http.status,
                reason: http.reason.clone(),
                headers: http.headers.iter().map(Header::from).collect(),
            }),
            failure: result.failure.as_ref().map(ProbeFailure::from),
        }
    }
}

impl From<&route::RouteChoice> for RouteChoice {
    fn from(choice: &route::RouteChoice) -> Self {
        Self {
            route: Route::from(&choice.route),
            source: choice.source.clone(),
            pac: choice.pac.as_ref().map(|note| PacNote {
                script: note.script.clone(),
                result: note.result.clone(),
                line: note.line,
                failover: note.failover,
                notes: note.notes.clone(),
            }),
        }
    }
}

impl From<&route::Route> for Route {
    fn from(route: &route::Route) -> Self {
        match route {
            route::Route::Direct => Route::Direct,
            route::Route::Proxy { proxy } => Route::Proxy {
                proxy: proxy.to_string(),
            },
            route::Route::Unprobeable { reason } => Route::Unprobeable {
                reason: reason.clone(),
            },
        }
    }
}

impl From<&probe::Timings> for Timings {
    fn from(t: &probe::Timings) -> Self {
        Self {
            dns: t.dns,
            connect: t.connect,
            proxy: t.proxy,
            tls: t.tls,
            http: t.http,
            total: t.total,
        }
    }
}

impl From<&probe::Header> for Header {
    fn from(header: &probe::Header) -> Self {
        Self {
            name: header.name.clone(),
            value: header.value.clone(),
        }
    }
}

impl From<&probe::ProxyEvidence> for ProxyEvidence {
    fn from(proxy: &probe::ProxyEvidence) -> Self {
        Self {
            address: proxy.address.to_string(),
            request: proxy.request.clone(),
            status: proxy.status,
            status_line: proxy.status_line.clone(),
            headers: proxy.headers.iter().map(Header::from).collect(),
            challenges: proxy.challenges.iter().map(Challenge::from).collect(),
            auth: proxy.auth.as_ref().map(AuthAttempt::from),
        }
    }
}

impl From<&probe::AuthAttempt> for AuthAttempt {
    fn from(auth: &probe::AuthAttempt) -> Self {
        Self {
            scheme: auth.scheme.clone(),
            accepted: auth.accepted(),
            status: auth.status,
            presenting: Some(match &auth.presenting {
                crate::auth::Presenting::Explicit { account } => Presenting::Explicit {
                    account: account.clone(),
                },
                crate::auth::Presenting::CurrentLogon => Presenting::CurrentLogon,
            }),
            account: auth.authenticated.account.clone(),
            package: auth.authenticated.package.clone(),
            rounds: auth.rounds,
            outcome: Some(match &auth.outcome {
                probe::AuthOutcome::Accepted => AuthOutcome::Accepted,
                probe::AuthOutcome::Rejected => AuthOutcome::Rejected,
                probe::AuthOutcome::Denied => AuthOutcome::Denied,
                probe::AuthOutcome::Failed { .. } => AuthOutcome::Failed,
            }),
            reason: match &auth.outcome {
                probe::AuthOutcome::Failed { reason } => Some(reason.clone()),
                _ => None,
            },
            notes: auth.notes.clone(),
        }
    }
}

impl From<&probe::Challenge> for Challenge {
    fn from(challenge: &probe::Challenge) -> Self {
        let params = &challenge.params;
        // A JSON object holds a name once: a repeated parameter keeps its last value, in the
        // place of that last occurrence.
        let last = |i: usize, name: &str| !params[i + 1..].iter().any(|(later, _)| later == name);
        Self {
            scheme: challenge.scheme.clone(),
            params: params
                .iter()
                .enumerate()
                .filter(|(i, (name, _))| last(*i, name))
                .map(|(_, pair)| pair.clone())
                .collect(),
        }
    }
}

impl From<&TlsEvidence> for TlsReport {
    fn from(tls: &TlsEvidence) -> Self {
        Self {
            server_name: tls.server_name.clone(),
            version: tls.version.clone(),
            cipher_suite: tls.cipher_suite.clone(),
            chain: tls.chain.iter().map(CertificateInfo::from).collect(),
            trust: TrustAssessment::from(&tls.trust),
        }
    }
}

impl From<&trust::CertificateInfo> for CertificateInfo {
    fn from(cert: &trust::CertificateInfo) -> Self {
        Self {
            subject: cert.subject.clone(),
            issuer: cert.issuer.clone(),
            serial: cert.serial.clone(),
            not_before: cert.not_before.clone(),
            not_after: cert.not_after.clone(),
            spki_sha256: cert.spki_sha256.clone(),
            is_ca: cert.is_ca,
            dns_names: cert.dns_names.clone(),
            dns_names_omitted: cert.dns_names_omitted,
        }
    }
}

impl From<&trust::TrustAssessment> for TrustAssessment {
    fn from(assessment: &trust::TrustAssessment) -> Self {
        Self {
            rule: Word(assessment.rule),
            confirmed: assessment.rule.confirmed(),
            verdict: Interception::from(&assessment.verdict),
        }
    }
}

impl From<&InternalInterception> for Interception {
    fn from(verdict: &InternalInterception) -> Self {
        match verdict.clone() {
            InternalInterception::NotDetected { anchor } => Interception::NotDetected { anchor },
            InternalInterception::Detected {
                issuer,
                anchor,
                product,
            } => Interception::Detected {
                issuer,
                anchor,
                product,
            },
            InternalInterception::Untrusted {
                issuer,
                product,
                reason,
            } => Interception::Untrusted {
                issuer,
                product,
                reason,
            },
            InternalInterception::WrongName { host, names } => {
                Interception::WrongName { host, names }
            }
            InternalInterception::Inconclusive { reason } => Interception::Inconclusive { reason },
        }
    }
}

impl From<&probe::ProbeFailure> for ProbeFailure {
    fn from(failure: &probe::ProbeFailure) -> Self {
        use probe::ProbeFailure as F;
        match failure.clone() {
            F::DnsFailed {
                name,
                of,
                cause,
                reason,
            } => ProbeFailure::DnsFailed {
                name,
                of: Word(of),
                cause: Word(cause),
                reason,
            },
            F::ConnectFailed { to, cause, reason } => ProbeFailure::ConnectFailed {
                to,
                cause: Word(cause),
                reason,
            },
            F::Timeout { stage, after_ms } => ProbeFailure::Timeout {
                stage: Word(stage),
                after_ms,
            },
            F::DeadlineReached { stage, deadline_ms } => ProbeFailure::DeadlineReached {
                stage: Word(stage),
                deadline_ms,
            },
            F::ProxyAuthRequired { schemes } => ProbeFailure::ProxyAuthRequired { schemes },
            F::ProxyAuthRejected {
                scheme,
                status,
                account,
            } => ProbeFailure::ProxyAuthRejected {
                scheme,
                status,
                account,
            },
            F::ProxyAuthFailed { scheme, reason } => {
                ProbeFailure::ProxyAuthFailed { scheme, reason }
            }
            F::ProxyDenied { status, reason } => ProbeFailure::ProxyDenied { status, reason },
            F::ProxyError { status, reason } => ProbeFailure::ProxyError { status, reason },
            F::TlsFailed { reason } => ProbeFailure::TlsFailed { reason },
            F::HttpFailed { reason } => ProbeFailure::HttpFailed { reason },
        }
    }
}

impl From<&report::Summary> for Summary {
    fn from(summary: &report::Summary) -> Self {
        Self {
            results: summary.results,
            ok: summary.ok,
            findings: summary.findings,
            not_probed: summary.not_probed,
            by_status: summary
                .by_status
                .iter()
                .map(|(status, n)| (Word(*status), *n))
                .collect(),
            duration_ms: summary.duration_ms,
        }
    }
}

impl From<&verdict::Verdict> for Verdict {
    fn from(verdict: &verdict::Verdict) -> Self {
        Self {
            headline: verdict.headline(),
            approach: Word(verdict.approach),
            ready: verdict.ready,
            reasons: verdict
                .reasons
                .iter()
                .map(|reason| Reason {
                    code: Word(reason.code),
                    severity: Word(reason.severity),
                    text: reason.text.clone(),
                    contexts: reason.contexts.iter().map(|c| Word(*c)).collect(),
                    hosts: reason.hosts.clone(),
                    refs: reason
                        .refs
                        .iter()
                        .map(|r| match r {
                            verdict::Ref::Result { endpoint, context } => Ref::Result {
                                endpoint: endpoint.clone(),
                                context: Word(*context),
                            },
                            verdict::Ref::Setting { name } => Ref::Setting { name: name.clone() },
                        })
                        .collect(),
                    health: reason.health.clone(),
                })
                .collect(),
            fixes: verdict
                .fixes
                .iter()
                .map(|fix| Fix {
                    kind: fix.kind.to_owned(),
                    alternative: fix.alternative,
                    title: fix.title.clone(),
                    commands: fix.commands.clone(),
                    hosts: fix.hosts.clone(),
                })
                .collect(),
        }
    }
}

impl From<&settings::DeviceSettings> for DeviceSettings {
    fn from(s: &settings::DeviceSettings) -> Self {
        let answer = |setting: &settings::Setting<Answer>| setting.map_value(|a| Word(*a));
        let mode =
            |setting: &settings::Setting<settings::StartMode>| setting.map_value(|m| StartMode(*m));
        let same = |setting: &settings::Setting<u32>| setting.map_value(|v| *v);
        let text = |setting: &settings::Setting<String>| setting.map_value(Clone::clone);
        Self {
            os: OsInfo::from(&s.os),
            allow_telemetry_policy: same(&s.allow_telemetry_policy),
            allow_telemetry_local: same(&s.allow_telemetry_local),
            diagnostic_level: DiagnosticLevel {
                value: s.diagnostic_level.value,
                set_by: s.diagnostic_level.set_by.to_owned(),
                name: s.diagnostic_level.name.map(str::to_owned),
                old_name: s.diagnostic_level.old_name.map(str::to_owned),
                features: s.diagnostic_level.features.clone(),
            },
            limit_enhanced_diagnostic_data: same(&s.limit_enhanced_diagnostic_data),
            commercial_id_policy: text(&s.commercial_id_policy),
            commercial_id_local: text(&s.commercial_id_local),
            allow_device_name: same(&s.allow_device_name),
            disable_enterprise_auth_proxy: same(&s.disable_enterprise_auth_proxy),
            telemetry_proxy_server: text(&s.telemetry_proxy_server),
            telemetry_proxy_server_policy_manager: text(&s.telemetry_proxy_server_policy_manager),
            proxy_settings_per_user: same(&s.proxy_settings_per_user),
            diagtrack_start: mode(&s.diagtrack_start),
            diagtrack_running: answer(&s.diagtrack_running),
            defender_onboarding_state: same(&s.defender_onboarding_state),
            defender_sense_service: mode(&s.defender_sense_service),
            defender_sense_running: answer(&s.defender_sense_running),
            console_user: answer(&s.console_user),
            asr_psexec_wmi: same(&s.asr_psexec_wmi),
            use_machine_id: same(&s.use_machine_id),
        }
    }
}

/// Builds a wire setting from an internal one, converting its value.
trait MapValue<T> {
    fn map_value<U>(&self, f: impl Fn(&T) -> U) -> Setting<U>;
}

impl<T> MapValue<T> for settings::Setting<T> {
    fn map_value<U>(&self, f: impl Fn(&T) -> U) -> Setting<U> {
        Setting {
            name: self.name.to_owned(),
            value: self.value.as_ref().map(f),
            source: Source::from(&self.source),
            meaning: self.meaning.clone(),
        }
    }
}

impl From<&settings::Source> for Source {
    fn from(source: &settings::Source) -> Self {
        match source.clone() {
            settings::Source::Registry { path, name, origin } => Source::Registry {
                path,
                name,
                origin: Origin {
                    source: origin.source,
                    line: origin.line,
                },
            },
            settings::Source::Live { what } => Source::Live { what },
            settings::Source::NotFound { path, name } => Source::NotFound { path, name },
            settings::Source::NotInInput { path, name } => Source::NotInInput { path, name },
            settings::Source::NotKnown { reason } => Source::NotKnown { reason },
        }
    }
}

impl From<&settings::OsInfo> for OsInfo {
    fn from(os: &settings::OsInfo) -> Self {
        Self {
            product_name: os.product_name.clone(),
            display_version: os.display_version.clone(),
            build: os.build,
            ubr: os.ubr,
            family: Word(os.family),
            source: Source::from(&os.source),
            diagnostic_endpoint: os.diagnostic_endpoint.clone(),
            meaning: os.meaning.clone(),
        }
    }
}

impl From<&report::ProxyView> for ProxyView {
    fn from(view: &report::ProxyView) -> Self {
        Self {
            schema_version: view.schema_version,
            tool_version: view.tool_version.to_owned(),
            generated_at: view.generated_at.clone(),
            device: Device::from(&view.device),
            contexts: view.contexts.iter().map(ContextConfig::from).collect(),
            routes: view
                .routes
                .iter()
                .map(|row| RouteRow {
                    endpoint: row.endpoint.clone(),
                    context: Word(row.context),
                    route: RouteChoice::from(&row.route),
                })
                .collect(),
            connections: view
                .connections
                .iter()
                .map(ContextConnections::from)
                .collect(),
            vpn_note: view
                .connections
                .iter()
                .any(ContextConnectionsInternal::has_vpn)
                .then(|| FORCE_TUNNEL_NOTE.to_owned()),
        }
    }
}

impl From<&ContextConnectionsInternal> for ContextConnections {
    fn from(listing: &ContextConnectionsInternal) -> Self {
        Self {
            context: Word(listing.context),
            key: listing.key.clone(),
            connections: listing
                .connections
                .iter()
                .map(|entry| {
                    let (settings, problem) = match &entry.settings {
                        Ok(settings) => (Some(settings), None),
                        Err(problem) => (None, Some(problem.clone())),
                    };
                    WinInetConnection {
                        name: entry.name.clone(),
                        vpn: entry.is_vpn(),
                        in_use: entry.in_use,
                        origin: entry.origin.clone(),
                        auto_detect: settings.map(|s| s.auto_detect),
                        auto_config_url: settings.and_then(|s| s.auto_config_url.clone()),
                        proxy: settings.and_then(|s| s.proxy.clone()),
                        bypass: settings.and_then(|s| s.bypass.clone()),
                        problem,
                    }
                })
                .collect(),
        }
    }
}

impl From<&report::EndpointList> for EndpointList {
    fn from(list: &report::EndpointList) -> Self {
        Self {
            endpoints: list.endpoints.iter().map(Endpoint::from).collect(),
        }
    }
}

impl From<&catalog::Endpoint> for Endpoint {
    fn from(endpoint: &catalog::Endpoint) -> Self {
        Self {
            url: endpoint.url.clone(),
            purpose: endpoint.purpose.clone(),
            source: endpoint.source.clone(),
            profiles: endpoint.profiles.clone(),
            group: endpoint.group.clone(),
            os_versions: endpoint.os_versions.clone(),
            probe_path: endpoint.probe_path.clone(),
            reachable: endpoint
                .reachable
                .0
                .iter()
                .map(|pattern| match *pattern {
                    StatusPattern::Code(code) => ReachableStatus::Code(code),
                    StatusPattern::Class(class) => ReachableStatus::Class(format!("{class}xx")),
                })
                .collect(),
            trust: Word(endpoint.trust),
            wildcard: endpoint.wildcard,
            probe_host: endpoint.probe_host.clone(),
        }
    }
}

impl From<&pac::PacReport> for PacReport {
    fn from(report: &pac::PacReport) -> Self {
        Self {
            pac: report.pac.clone(),
            function: report.function.name().to_owned(),
            results: report
                .results
                .iter()
                .map(|outcome| match outcome {
                    pac::PacUrlOutcome::Decided(decision) => {
                        PacUrlOutcome::Decided(Box::new(PacDecision::from(decision.as_ref())))
                    }
                    pac::PacUrlOutcome::Failed { url, error } => PacUrlOutcome::Failed {
                        url: url.clone(),
                        error: error.clone(),
                    },
                })
                .collect(),
        }
    }
}

impl From<&pac_eval::PacDecision> for PacDecision {
    fn from(decision: &pac_eval::PacDecision) -> Self {
        let entries = |list: &[InternalPacEntry]| list.iter().map(PacEntry::from).collect();
        Self {
            url: decision.url.clone(),
            host: decision.host.clone(),
            function: decision.function.name().to_owned(),
            raw: decision.raw.clone(),
            entries: entries(&decision.entries),
            invalid: decision.invalid.clone(),
            winhttp: PacEntry::from(&decision.winhttp),
            wininet_order: entries(&decision.wininet_order),
            stripped_form: decision.stripped_form.as_ref().map(|form| FormDifference {
                url: form.url.clone(),
                raw: form.raw.clone(),
                entries: entries(&form.entries),
                error: form.error.clone(),
            }),
            notes: decision.notes.clone(),
            lookups: decision
                .lookups
                .iter()
                .map(|lookup| PacLookup {
                    host: lookup.host.clone(),
                    addrs: lookup.addrs.clone(),
                    error: lookup.error.clone(),
                })
                .collect(),
            alerts: decision.alerts.clone(),
        }
    }
}

impl From<&InternalPacEntry> for PacEntry {
    fn from(entry: &InternalPacEntry) -> Self {
        match entry {
            InternalPacEntry::Direct => PacEntry::Direct,
            InternalPacEntry::Proxy { addr } => PacEntry::Proxy {
                addr: addr.to_string(),
            },
            InternalPacEntry::Https { addr } => PacEntry::Https {
                addr: addr.to_string(),
            },
            InternalPacEntry::Socks { version, addr } => PacEntry::Socks {
                version: *version,
                addr: addr.to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_serialize_in_snake_case() {
        let registry = crate::windows::regfile::parse(
            include_bytes!("../../testdata/settings/win10-22h2-off.reg"),
            "win10-22h2-off.reg",
        )
        .expect("the settings fixture parses");
        let settings = DeviceSettings::from(&settings::read_settings(&registry));
        let json = serde_json::to_value(&settings).expect("serializable");
        assert_eq!(json["diagnostic_level"]["set_by"], "policy");
        assert_eq!(json["diagtrack_start"]["value"], "disabled");
        assert_eq!(json["os"]["family"], "windows10_from1809");
        assert_eq!(json["diagtrack_running"]["source"]["kind"], "not_known");
        let back: DeviceSettings = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, settings);
    }

    #[test]
    fn the_psexec_rule_and_use_machine_id_are_in_the_json_settings() {
        let registry = crate::windows::regfile::parse(
            include_bytes!("../../testdata/registry/device-hardening.synthetic.reg"),
            "device-hardening.synthetic.reg",
        )
        .expect("the fixture parses");
        let settings = DeviceSettings::from(&settings::read_settings(&registry));
        let json = serde_json::to_value(&settings).expect("serializable");
        assert_eq!(json["asr_psexec_wmi"]["value"], 1);
        assert_eq!(json["asr_psexec_wmi"]["source"]["kind"], "registry");
        assert_eq!(json["use_machine_id"]["value"], 0);
        assert_eq!(json["use_machine_id"]["source"]["name"], "UseMachineId");
        // An export without the keys says so, rather than "not set".
        assert_eq!(
            json["disable_enterprise_auth_proxy"]["source"]["kind"],
            "not_in_input"
        );
        let back: DeviceSettings = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, settings);
    }

    #[test]
    fn trust_verdict_serializes_with_its_tag() {
        let assessment = TrustAssessment::from(&trust::TrustAssessment {
            rule: TrustRule::MicrosoftApplicationRoot,
            verdict: InternalInterception::Detected {
                issuer: "Zscaler Intermediate Root CA".into(),
                anchor: "Zscaler Root CA".into(),
                product: Some("Zscaler".into()),
            },
        });
        let json = serde_json::to_value(&assessment).expect("serializable");
        assert_eq!(json["verdict"], "detected");
        assert_eq!(json["rule"], "microsoft-application-root");
        assert_eq!(json["product"], "Zscaler");
        let back: TrustAssessment = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, assessment);
    }

    #[test]
    fn every_word_reads_back_from_its_name() {
        fn round_trip<T: Vocabulary + PartialEq + std::fmt::Debug>() {
            for value in T::ALL {
                let json = serde_json::to_string(&Word(*value)).expect("serializable");
                let back: Word<T> = serde_json::from_str(&json).expect("reads back");
                assert_eq!(back.0, *value, "{json}");
            }
            let unknown = serde_json::from_str::<Word<T>>("\"no_such_name\"");
            assert!(unknown.is_err(), "{}", T::TYPE);
        }
        round_trip::<Status>();
        round_trip::<Stage>();
        round_trip::<Answer>();
        round_trip::<Context>();
        round_trip::<Approach>();
        round_trip::<SourceStatus>();
        round_trip::<OsFamily>();
        round_trip::<DnsCause>();
        round_trip::<DnsOf>();
        round_trip::<ConnectCause>();
        round_trip::<DeviceSource>();
        round_trip::<TrustRule>();
    }

    #[test]
    fn start_modes_read_back_named_and_numbered() {
        let cases = [
            (settings::StartMode::Disabled, "\"disabled\""),
            (settings::StartMode::Other(7), "{\"other\":7}"),
        ];
        for (mode, json) in cases {
            assert_eq!(serde_json::to_string(&StartMode(mode)).expect("ser"), json);
            let back: StartMode = serde_json::from_str(json).expect("reads back");
            assert_eq!(back.0, mode);
        }
    }

    #[test]
    fn challenge_parameters_keep_their_order_and_the_last_repeat() {
        let challenge = Challenge::from(&probe::Challenge {
            scheme: "Basic".into(),
            params: vec![
                ("realm".into(), "a".into()),
                ("charset".into(), "UTF-8".into()),
                ("realm".into(), "b".into()),
            ],
        });
        let json = serde_json::to_string(&challenge).expect("serializable");
        assert_eq!(
            json,
            r#"{"scheme":"Basic","params":{"charset":"UTF-8","realm":"b"}}"#
        );
        let back: Challenge = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, challenge);
    }
}
