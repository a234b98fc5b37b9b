//! What `dapreflight pac` found: the script and one answer per URL.

use serde::Serialize;

use crate::proxy::pac::{EntryPoint, PacDecision};

/// What `dapreflight pac` found: the script and one answer per URL.
#[derive(Debug, Serialize)]
pub struct PacReport {
    /// The PAC file or URL.
    pub pac: String,
    /// The function Windows calls in it.
    pub function: EntryPoint,
    pub results: Vec<PacUrlOutcome>,
    /// Whether a single URL was asked for on the command line (rendered alone, like pactester).
    #[serde(skip)]
    pub single: bool,
}

/// One URL's answer, or what stopped it.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum PacUrlOutcome {
    Decided(Box<PacDecision>),
    Failed { url: String, error: String },
}
