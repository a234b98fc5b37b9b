//! dapreflight: can this Windows device reach the Microsoft diagnostic-data endpoints, and if not,
//! exactly why?
//!
//! The program's story is `command::check`: catalog and device → plan → probe → assess → verdict
//! → report → render. `ARCHITECTURE.md` draws the floors. The modules are private; what the binary,
//! the tests and the benches use is re-exported below, so code can move inside without breaking
//! them.

mod assess;
mod auth;
mod catalog;
mod cause;
mod cli;
mod command;
mod config;
mod error;
mod input;
mod net;
mod output;
mod plan;
mod probe;
mod prompt;
mod proxy;
mod report;
mod route;
mod settings;
mod status;
mod time;
mod trust;
mod url;
mod verdict;
mod windows;

/// Entry points for the fuzz targets (`fuzz/`); not an API, only built with `--features fuzzing`.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

// The program: arguments, configuration, the commands and their errors.
pub use cause::chain as error_chain;
pub use cli::{Args, Terminal};
pub use command::check::build_report;
pub use command::{Device as DeviceInput, read_device, run};
pub use config::{CatalogChoice, CheckConfig, Config, DeviceFiles, HopVia, Limits, ProbeAs};
pub use error::Error;

// The words every layer shares.
pub use route::{Context, PacNote, ProxyAddr, Route, RouteChoice};
pub use status::{Answer, Stage, Status};
pub use url::{Scheme, Target};

// The catalog, the device and its proxy contexts.
pub use catalog::{Endpoint, TrustRule, load as load_catalog};
pub use proxy::pac::{
    EntryPoint, PacEntry, PacEnvironment, PacError, PacFailure, PacLimits, PacScript, PacTime,
    decide as decide_pac,
};
pub use proxy::resolve::TableResolver;
pub use proxy::wpad::{StepOutcome, WpadOptions, WpadReport, discover as discover_wpad};
pub use proxy::{
    ContextChoice, EnvSource, ProxyOverride, ProxySources, SourceStatus,
    discover as discover_contexts,
};
pub use settings::{DeviceSettings, Setting, Source, read_settings};
pub use windows::DeviceIdentity;
pub use windows::keys;
pub use windows::registry::{Origin, RegistrySnapshot, ValueData};
pub use windows::utc::{
    ConnectionSummary, Connections, Timestamp as UtcTimestamp, UploadState, Uploaded, UtcError,
    UtcFileError, UtcReport, parse as parse_utc_report, read as read_utc_report,
};

// Proving an identity to a proxy: the interface the probe drives, and its implementations.
pub use auth::{
    AuthError, Authenticate, Authenticated, Explicit, Handshake, Presenting, Scheme as AuthScheme,
    Scrubber, Step,
};

// The pipeline: plan, probe, assess, verdict.
pub use assess::{ProbeResult, all as assess_all};
pub use plan::plan;
pub use probe::tls::TlsEvidence;
pub use probe::{
    AuthAttempt, AuthOutcome, Challenge, ConnectCause, ConnectEvidence, Credentials, DnsCause,
    DnsEvidence, DnsOf, Evidence, How, HttpEvidence, Identity, Job, Pin, ProbeFailure, ProbedAs,
    ProxyEvidence, Timings,
};
pub use trust::{CertificateInfo, DeviceStore, Interception, TrustAssessment};
pub use verdict::{
    Approach, Code, Finding, Inputs as VerdictInputs, Ref, Remedy, Severity, Verdict, decide,
    decide_with,
};

// The report, its JSON contract and its renderings.
pub use output::verdict::render as render_verdict;
pub use output::{Format, Style, render, render_proxy, terminal_columns, width};
pub use report::{
    CatalogInfo, Device, DeviceSource, DiagTrack, Outcome, Probing, ProxyView, RanOn, Report, wire,
};
