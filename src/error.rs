//! `Error`: why dapreflight itself could not run (exit code 2).
//!
//! A probe that fails is not an error: it is recorded in the report as a status.

use std::io;
use std::path::PathBuf;

use crate::report::Outcome;

/// Why dapreflight could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The endpoint catalog could not be loaded, or `--profile` is not in it.
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    /// A `--trust-anchor` file could not be read or holds no usable certificate.
    #[error(transparent)]
    Anchor(#[from] crate::trust::AnchorError),
    /// Proxy discovery could not build the contexts (a `--pac` that does not load).
    #[error(transparent)]
    Discovery(#[from] crate::proxy::DiscoveryError),
    /// A command-line value is not valid.
    #[error("{flag}: {message}")]
    Argument { flag: String, message: String },
    /// The report file named with `--output` could not be written.
    #[error("cannot write the report to {}", .path.display())]
    OutputFile { path: PathBuf, source: io::Error },
    /// A device export named with `--from-reg` or `--from-netsh` could not be read or is not
    /// valid.
    #[error(transparent)]
    Device(#[from] crate::windows::DeviceError),
    /// Standard output could not be written or flushed. `outcome` is the verdict when it was
    /// known before the write failed, so a reader that went away (`| head`) does not lose it.
    #[error("cannot write to standard output")]
    Output {
        outcome: Option<Outcome>,
        source: io::Error,
    },
    /// The run's `--deadline` ended before there was anything to report.
    #[error(
        "the run's deadline ({} s, --deadline) ended during {during}, before anything could be reported",
        .deadline.as_secs_f64()
    )]
    Deadline {
        deadline: std::time::Duration,
        during: &'static str,
    },
    /// A `--from-utc-report` file could not be read or is not a `UtcConnectionReport`.
    #[error(transparent)]
    UtcReport(#[from] crate::windows::utc::UtcFileError),
    /// `--ask-credentials` could not ask (no terminal) or was cancelled.
    #[error(transparent)]
    Prompt(#[from] crate::prompt::PromptError),
    /// The far side of a hop (`__probe-jobs`) could not run its request.
    #[error("cannot run the probe jobs")]
    Hop(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// A PAC file could not be loaded, compiled or evaluated (`dapreflight pac`).
    #[error(transparent)]
    Pac(#[from] crate::proxy::pac::PacError),
}
