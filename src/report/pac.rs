//! What `dapreflight pac` found: the script and one answer per URL.

use crate::proxy::pac::{EntryPoint, PacDecision};

/// What `dapreflight pac` found: the script and one answer per URL.
#[derive(Debug)]
pub struct PacReport {
    /// The PAC file or URL.
    pub pac: String,
    /// The function Windows calls in it.
    pub function: EntryPoint,
    pub results: Vec<PacUrlOutcome>,
    /// Whether a single URL was asked for on the command line (rendered alone, like pactester).
    pub single: bool,
}

/// One URL's answer, or what stopped it.
#[derive(Debug)]
pub enum PacUrlOutcome {
    Decided(Box<PacDecision>),
    Failed { url: String, error: String },
}
