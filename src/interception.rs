//! Pure: a captured certificate chain → whether the connection was intercepted.
//!
//! Applies the endpoint's trust rule (which roots a genuine chain ends in), then the device's own
//! trust store (where an enterprise inspection CA shows up). Opens no connection.

use std::path::Path;

use rustls::pki_types::CertificateDer;
use serde::Serialize;

use crate::endpoints::TrustRule;
use crate::error::Error;

/// The roots each trust rule accepts, plus the device's own store.
#[derive(Debug)]
pub struct TrustStores {
    extra: Vec<CertificateDer<'static>>,
    device: DeviceStore,
}

/// Where the device's own trust store comes from.
#[derive(Clone, Debug)]
pub enum DeviceStore {
    /// The operating system's store (on Linux, `SSL_CERT_FILE` / `SSL_CERT_DIR` are honoured).
    System,
    /// Exactly these certificates (tests, and analysis of another device's store).
    Certificates(Vec<CertificateDer<'static>>),
}

/// What the presented chain says about interception, under the endpoint's trust rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TrustAssessment {
    pub rule: TrustRule,
    #[serde(flatten)]
    pub verdict: Interception,
}

/// The interception verdict for one chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Interception {
    /// The chain ends in a root the rule expects: not intercepted.
    NotDetected { anchor: String },
    /// The chain misses the expected roots but the device trusts it: an inspection CA.
    Detected {
        issuer: String,
        anchor: String,
        product: Option<String>,
    },
    /// Neither the expected roots nor the device's store accept the chain.
    Untrusted {
        issuer: String,
        product: Option<String>,
        reason: String,
    },
    /// The chain is trusted but not valid for the host that was asked for.
    WrongName { host: String, names: Vec<String> },
    /// No verdict possible (e.g. no certificate was presented).
    Inconclusive { reason: String },
}

/// What the report shows of one certificate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    pub serial: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// Hex SHA-256 of the DER SubjectPublicKeyInfo.
    pub spki_sha256: String,
    pub is_ca: bool,
    pub dns_names: Vec<String>,
}

impl TrustStores {
    /// The built-in pinned roots, plus `extra` anchors every rule accepts, plus the device store.
    #[must_use]
    pub fn new(extra: Vec<CertificateDer<'static>>, device: DeviceStore) -> Self {
        Self { extra, device }
    }
}

/// Judges `chain` (leaf first, as presented) for `host` under `rule`.
#[must_use]
pub fn assess(
    chain: &[CertificateDer<'static>],
    host: &str,
    rule: TrustRule,
    stores: &TrustStores,
) -> TrustAssessment {
    let _ = (chain, host, stores);
    TrustAssessment {
        rule,
        verdict: Interception::Inconclusive {
            reason: "not implemented".to_owned(),
        },
    }
}

/// Subject, issuer, validity and SPKI hash of each certificate, in presented order.
#[must_use]
pub fn describe(chain: &[CertificateDer<'_>]) -> Vec<CertificateInfo> {
    let _ = chain;
    Vec::new()
}

/// Reads a PEM file of trust anchors named with `--trust-anchor`.
pub fn load_anchor_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, Error> {
    let _ = path;
    Ok(Vec::new())
}
