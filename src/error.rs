//! `Error`: why dapreflight itself could not run (exit code 2).
//!
//! A probe that fails is not an error: it is recorded in the report as a status.

use std::io;
use std::path::PathBuf;

/// Why dapreflight could not do its job.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The endpoint file named with `--endpoints` could not be read.
    #[error("cannot read endpoint file {}", .path.display())]
    EndpointFile { path: PathBuf, source: io::Error },
    /// An endpoint list is not valid; `message` names the line, column and what was expected.
    #[error("{origin}: {message}")]
    EndpointList { origin: String, message: String },
    /// `--profile` names a profile the catalog does not have.
    #[error("unknown profile '{name}'; the catalog has: {known}")]
    UnknownProfile { name: String, known: String },
    /// A `--trust-anchor` file could not be read.
    #[error("cannot read trust anchor file {}", .path.display())]
    TrustAnchorFile { path: PathBuf, source: io::Error },
    /// A `--trust-anchor` file holds no usable certificate.
    #[error("trust anchor file {}: {message}", .path.display())]
    TrustAnchor { path: PathBuf, message: String },
    /// A command-line value is not valid.
    #[error("{flag}: {message}")]
    Argument { flag: String, message: String },
    /// A proxy setting from the environment is not valid.
    #[error("environment variable {variable}: {message}")]
    Environment { variable: String, message: String },
    /// The report file named with `--output` could not be written.
    #[error("cannot write the report to {}", .path.display())]
    OutputFile { path: PathBuf, source: io::Error },
    /// A device export named with `--from-reg` or `--from-netsh` could not be read or is not
    /// valid.
    #[error(transparent)]
    Device(#[from] crate::windows::DeviceError),
    /// The report could not be written.
    #[error("cannot write the report")]
    Output(#[source] io::Error),
    /// A PAC file could not be loaded, compiled or evaluated (`dapreflight pac`).
    #[error(transparent)]
    Pac(#[from] crate::proxy::pac::PacError),
}
