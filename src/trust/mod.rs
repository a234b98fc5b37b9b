//! Pure: a captured certificate chain → whether the connection was intercepted.
//!
//! Applies the endpoint's trust rule (which roots a genuine chain ends in), then the device's own
//! trust store (where an enterprise inspection CA shows up). Opens no connection.

mod vendors;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ring::digest;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, ServerName, TrustAnchor, UnixTime};
use rustls::{CertificateError, RootCertStore};
use x509_parser::asn1_rs::Tag;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::catalog::TrustRule;
use crate::input::{self, InputError, InputKind};

pub(crate) use vendors::identify_product;

/// The roots each trust rule accepts, plus the device's own store.
///
/// Verifiers are built on first use and kept, so one `TrustStores` shared through an `Arc` serves
/// every probe.
#[derive(Debug)]
pub(crate) struct TrustStores {
    extra: Vec<CertificateDer<'static>>,
    device: DeviceStore,
    /// One per rule that has roots, in [`RULES_WITH_ROOTS`] order.
    rules: [OnceLock<Option<Verifier>>; 4],
    device_verifier: OnceLock<DeviceVerifier>,
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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TrustAssessment {
    pub rule: TrustRule,
    pub verdict: Interception,
}

/// The interception verdict for one chain.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CertificateInfo {
    pub subject: String,
    pub issuer: String,
    /// Lower-case hex, without the DER sign byte.
    pub serial: String,
    /// RFC 3339, UTC.
    pub not_before: String,
    pub not_after: String,
    /// Hex SHA-256 of the DER `SubjectPublicKeyInfo`.
    pub spki_sha256: String,
    pub is_ca: bool,
    /// The first DNS names of the SAN extension, at most 32 (`NAMES_KEPT`).
    pub dns_names: Vec<String>,
    /// How many more names the certificate has: counted, not kept, so that a peer serving a
    /// certificate of thousands of names to every endpoint cannot grow the report without bound.
    pub dns_names_omitted: usize,
}

/// How many SAN names a certificate's description keeps.
pub(crate) const NAMES_KEPT: usize = 32;

/// How many characters of a subject or issuer name a description keeps.
const NAME_CHARS_KEPT: usize = 512;

/// The pinned roots shipped with the tool: (rule, file name, PEM text).
///
/// `roots/README.md` says where each came from; `docs/endpoints.md` §6.3 lists their fingerprints.
const PINNED: &[(TrustRule, &str, &str)] = &[
    (
        TrustRule::MicrosoftApplicationRoot,
        "microsoft-root-ca-2011.pem",
        include_str!("../../roots/microsoft-root-ca-2011.pem"),
    ),
    (
        TrustRule::MicrosoftPublicRoots,
        "digicert-global-root-g2.pem",
        include_str!("../../roots/digicert-global-root-g2.pem"),
    ),
    (
        TrustRule::MicrosoftPublicRoots,
        "digicert-global-root-g3.pem",
        include_str!("../../roots/digicert-global-root-g3.pem"),
    ),
    (
        TrustRule::MicrosoftPublicRoots,
        "digicert-global-root-ca.pem",
        include_str!("../../roots/digicert-global-root-ca.pem"),
    ),
    (
        TrustRule::MicrosoftPublicRoots,
        "microsoft-rsa-root-certificate-authority-2017.pem",
        include_str!("../../roots/microsoft-rsa-root-certificate-authority-2017.pem"),
    ),
    (
        TrustRule::MicrosoftPublicRoots,
        "microsoft-ecc-root-certificate-authority-2017.pem",
        include_str!("../../roots/microsoft-ecc-root-certificate-authority-2017.pem"),
    ),
    // Expired 2025-05-12: kept only so old chains are recognised (their intermediates have
    // expired too, so such a chain is judged untrusted with the expiry as the reason).
    (
        TrustRule::MicrosoftPublicRoots,
        "baltimore-cybertrust-root.pem",
        include_str!("../../roots/baltimore-cybertrust-root.pem"),
    ),
];

/// The rules that have roots, in the order `TrustStores::rules` keeps their verifiers.
const RULES_WITH_ROOTS: [TrustRule; 4] = [
    TrustRule::MicrosoftApplicationRoot,
    TrustRule::MicrosoftPublicRoots,
    TrustRule::MicrosoftUnconfirmed,
    TrustRule::PublicRoots,
];

impl TrustStores {
    /// The built-in pinned roots, plus `extra` anchors every rule accepts, plus the device store.
    #[must_use]
    pub(crate) fn new(extra: Vec<CertificateDer<'static>>, device: DeviceStore) -> Self {
        Self {
            extra,
            device,
            rules: [
                OnceLock::new(),
                OnceLock::new(),
                OnceLock::new(),
                OnceLock::new(),
            ],
            device_verifier: OnceLock::new(),
        }
    }

    /// The verifier for `rule`'s roots plus `extra`; `None` for a rule without roots.
    fn rule_verifier(&self, rule: TrustRule) -> Option<&Verifier> {
        let index = RULES_WITH_ROOTS.iter().position(|r| *r == rule)?;
        self.rules[index]
            .get_or_init(|| {
                let mut roots = RootCertStore::empty();
                if rule == TrustRule::PublicRoots {
                    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
                } else {
                    roots.add_parsable_certificates(pinned_certificates(rule));
                }
                roots.add_parsable_certificates(self.extra.iter().cloned());
                Verifier::new(roots)
            })
            .as_ref()
    }

    /// The verifier for the device's store plus `extra`, or why the store could not be read.
    fn device_verifier(&self) -> &DeviceVerifier {
        self.device_verifier.get_or_init(|| {
            let (certs, note) = match &self.device {
                DeviceStore::Certificates(certs) => (certs.as_slice(), None),
                DeviceStore::System => match system_store() {
                    SystemStore::Unavailable(why) => {
                        return DeviceVerifier::Unavailable(why.clone());
                    }
                    SystemStore::Loaded { certs, problems } => (certs.as_slice(), problems.clone()),
                },
            };
            let mut roots = RootCertStore::empty();
            roots.add_parsable_certificates(certs.iter().cloned());
            roots.add_parsable_certificates(self.extra.iter().cloned());
            match Verifier::new(roots) {
                Some(verifier) => DeviceVerifier::Ready { verifier, note },
                None => DeviceVerifier::Empty,
            }
        })
    }
}

/// Judges `chain` (leaf first, as presented) for `host` under `rule`.
#[must_use]
pub(crate) fn assess(
    chain: &[CertificateDer<'static>],
    host: &str,
    rule: TrustRule,
    stores: &TrustStores,
) -> TrustAssessment {
    assess_at(chain, host, rule, stores, UnixTime::now())
}

/// Like [`assess`], with the validity of every certificate judged at `now`.
#[must_use]
pub(crate) fn assess_at(
    chain: &[CertificateDer<'static>],
    host: &str,
    rule: TrustRule,
    stores: &TrustStores,
    now: UnixTime,
) -> TrustAssessment {
    TrustAssessment {
        rule,
        verdict: judge(chain, host, rule, stores, now),
    }
}

/// Subject, issuer, validity and SPKI hash of each certificate, in presented order.
#[must_use]
pub(crate) fn describe(chain: &[CertificateDer<'_>]) -> Vec<CertificateInfo> {
    chain.iter().map(|der| describe_one(der)).collect()
}

/// The pinned roots of each rule that ships its own, described; `PublicRoots` (Mozilla's set,
/// from webpki-roots) and `None` are not listed.
#[must_use]
#[cfg(test)]
pub(crate) fn pinned_roots() -> Vec<(TrustRule, Vec<CertificateInfo>)> {
    [
        TrustRule::MicrosoftApplicationRoot,
        TrustRule::MicrosoftPublicRoots,
    ]
    .into_iter()
    .map(|rule| (rule, describe(&pinned_certificates(rule))))
    .collect()
}

/// Why a `--trust-anchor` file gave no anchors.
#[derive(Debug, thiserror::Error)]
pub enum AnchorError {
    /// The file could not be read, or is past its cap.
    #[error(transparent)]
    File(#[from] InputError),
    /// The file holds no usable certificate.
    #[error("trust anchor file {}: {message}", .path.display())]
    Invalid { path: PathBuf, message: String },
}

/// Reads a PEM file of trust anchors named with `--trust-anchor`.
pub(crate) fn load_anchor_file(path: &Path) -> Result<Vec<CertificateDer<'static>>, AnchorError> {
    let bytes = input::read(path, InputKind::Certificate)?;
    let invalid = |message: String| AnchorError::Invalid {
        path: path.to_owned(),
        message,
    };
    let mut anchors = Vec::new();
    for (index, item) in CertificateDer::pem_slice_iter(&bytes).enumerate() {
        let number = index + 1;
        let der =
            item.map_err(|err| invalid(format!("certificate {number}: {}", pem_error(&err))))?;
        if let Err(err) = X509Certificate::from_der(&der) {
            return Err(invalid(format!(
                "certificate {number} is not a valid X.509 certificate: {err}"
            )));
        }
        if let Err(err) = RootCertStore::empty().add(der.clone()) {
            return Err(invalid(format!(
                "certificate {number} cannot be used as a trust anchor: {err}"
            )));
        }
        anchors.push(der);
    }
    if anchors.is_empty() {
        return Err(invalid(
            "no PEM certificate (-----BEGIN CERTIFICATE-----) in the file".to_owned(),
        ));
    }
    Ok(anchors)
}

/// A webpki verifier over one set of roots, and those roots, to name the one a chain ends in.
#[derive(Debug)]
struct Verifier {
    verifier: Arc<WebPkiServerVerifier>,
    anchors: Vec<TrustAnchor<'static>>,
}

/// The device's store, ready to verify against, or why not.
#[derive(Debug)]
enum DeviceVerifier {
    /// `note` says what part of the system store could not be read, if any.
    Ready {
        verifier: Verifier,
        note: Option<String>,
    },
    /// The store holds no certificate (and there are no extra anchors).
    Empty,
    Unavailable(String),
}

/// The operating system's trust store, read once per process.
#[derive(Debug)]
enum SystemStore {
    Loaded {
        certs: Vec<CertificateDer<'static>>,
        problems: Option<String>,
    },
    Unavailable(String),
}

/// What a verifier said about a chain.
enum Outcome {
    Trusted {
        anchor: String,
    },
    WrongName,
    Failed(CertificateError),
    /// Not a certificate error (should not happen with webpki); the message.
    Other(String),
}

/// The verdict; see [`assess`].
fn judge(
    chain: &[CertificateDer<'static>],
    host: &str,
    rule: TrustRule,
    stores: &TrustStores,
    now: UnixTime,
) -> Interception {
    let inconclusive = |reason: String| Interception::Inconclusive { reason };
    if rule == TrustRule::None {
        return inconclusive("plain http: there is no certificate chain to judge".to_owned());
    }
    let Some((leaf, intermediates)) = chain.split_first() else {
        return inconclusive("the server presented no certificate".to_owned());
    };
    let Ok(server_name) = ServerName::try_from(host) else {
        return inconclusive(format!("'{host}' is not a valid server name"));
    };
    let parsed: Vec<Option<Facts>> = chain.iter().map(|der| Facts::parse(der)).collect();
    let issuer = parsed.first().and_then(Option::as_ref).map_or_else(
        || "unreadable certificate".to_owned(),
        |leaf| leaf.issuer_name.clone(),
    );
    let product = identify_product(
        parsed
            .iter()
            .flatten()
            .flat_map(|facts| facts.names.iter().map(String::as_str)),
    )
    .map(str::to_owned);
    let wrong_name = || Interception::WrongName {
        host: host.to_owned(),
        names: parsed
            .first()
            .and_then(Option::as_ref)
            .map(|leaf| leaf.san.clone())
            .unwrap_or_default(),
    };
    let verify =
        |verifier: &Verifier| verifier.verify(leaf, intermediates, &server_name, now, &parsed);

    // (a) The roots a genuine chain ends in.
    let rule_failure = match stores.rule_verifier(rule).map(verify) {
        Some(Outcome::Trusted { anchor }) => return Interception::NotDetected { anchor },
        Some(Outcome::WrongName) => return wrong_name(),
        Some(Outcome::Failed(err)) => Some(Failure::Certificate(err)),
        Some(Outcome::Other(message)) => Some(Failure::Other(message)),
        None => None,
    };

    // (b) The device's own store: an inspection CA installed on it.
    let mut note = None;
    let device_failure = match stores.device_verifier() {
        DeviceVerifier::Ready { verifier, note: n } => {
            note.clone_from(n);
            match verify(verifier) {
                Outcome::Trusted { anchor } => {
                    return Interception::Detected {
                        issuer,
                        anchor,
                        product,
                    };
                }
                Outcome::WrongName => return wrong_name(),
                Outcome::Failed(err) => Some(Failure::Certificate(err)),
                Outcome::Other(message) => Some(Failure::Other(message)),
            }
        }
        DeviceVerifier::Empty => None,
        DeviceVerifier::Unavailable(why) => {
            note = Some(format!(
                "device store unavailable: {why}; whether this device trusts the chain is unknown"
            ));
            None
        }
    };

    // (c) Neither: say why, preferring a specific failure over "unknown issuer".
    let failure = match (rule_failure, device_failure) {
        (Some(rule), Some(device)) if rule.is_unknown_issuer() => device,
        (Some(rule), _) => rule,
        (None, Some(device)) => device,
        (None, None) => Failure::Certificate(CertificateError::UnknownIssuer),
    };
    let mut reason = failure.describe(&parsed);
    if let Some(note) = note {
        let _ = write!(reason, " ({note})");
    }
    Interception::Untrusted {
        issuer,
        product,
        reason,
    }
}

/// Why a chain was not accepted.
enum Failure {
    Certificate(CertificateError),
    Other(String),
}

impl Failure {
    fn is_unknown_issuer(&self) -> bool {
        matches!(self, Self::Certificate(CertificateError::UnknownIssuer))
    }

    /// A plain sentence for the report.
    fn describe(&self, parsed: &[Option<Facts>]) -> String {
        let err = match self {
            Self::Certificate(err) => err,
            Self::Other(message) => return message.clone(),
        };
        let leaf = parsed.first().and_then(Option::as_ref);
        #[allow(deprecated)] // `UnsupportedSignatureAlgorithm` is still produced by rustls 0.23
        match err {
            CertificateError::UnknownIssuer => match (leaf, parsed.len()) {
                (Some(leaf), 1) if leaf.self_issued => format!(
                    "the server presented a self-signed certificate ('{}') that no trusted store holds",
                    leaf.subject_name
                ),
                _ => {
                    let last_issuer = parsed
                        .last()
                        .and_then(Option::as_ref)
                        .map_or("an unreadable certificate", |last| {
                            last.issuer_name.as_str()
                        });
                    format!(
                        "the chain does not lead to a trusted root: it ends at '{last_issuer}', \
                         which no trusted store holds (unknown issuer)"
                    )
                }
            },
            CertificateError::ExpiredContext { time, not_after } => {
                let at = timestamp(not_after.as_secs());
                match culprit(parsed, |facts| facts.not_after < secs(*time)) {
                    Some(name) => format!("the certificate '{name}' expired at {at}"),
                    None => format!("a certificate in the chain expired at {at}"),
                }
            }
            CertificateError::Expired => "a certificate in the chain has expired".to_owned(),
            CertificateError::NotValidYetContext { time, not_before } => {
                let at = timestamp(not_before.as_secs());
                match culprit(parsed, |facts| facts.not_before > secs(*time)) {
                    Some(name) => format!("the certificate '{name}' is not valid until {at}"),
                    None => format!("a certificate in the chain is not valid until {at}"),
                }
            }
            CertificateError::NotValidYet => {
                "a certificate in the chain is not valid yet".to_owned()
            }
            CertificateError::BadSignature => {
                "a signature in the chain does not verify (bad signature)".to_owned()
            }
            CertificateError::BadEncoding => {
                "a certificate in the chain is malformed (bad encoding)".to_owned()
            }
            CertificateError::UnsupportedSignatureAlgorithm
            | CertificateError::UnsupportedSignatureAlgorithmContext { .. }
            | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
                "the chain uses a signature algorithm webpki does not support".to_owned()
            }
            CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
                "the server's certificate is not valid for TLS server authentication \
                 (extended key usage)"
                    .to_owned()
            }
            CertificateError::UnhandledCriticalExtension => {
                "a certificate in the chain has an unsupported critical extension".to_owned()
            }
            CertificateError::Revoked => "a certificate in the chain is revoked".to_owned(),
            other => format!("the chain is not valid: {other}"),
        }
    }
}

/// The readable name of the first certificate (leaf first) for which `test` holds.
fn culprit(parsed: &[Option<Facts>], test: impl Fn(&Facts) -> bool) -> Option<String> {
    parsed
        .iter()
        .flatten()
        .find(|facts| test(facts))
        .map(|facts| facts.subject_name.clone())
}

fn secs(time: UnixTime) -> i64 {
    i64::try_from(time.as_secs()).unwrap_or(i64::MAX)
}

impl Verifier {
    /// `None` when `roots` is empty (webpki needs at least one anchor).
    fn new(roots: RootCertStore) -> Option<Self> {
        let anchors = roots.roots.clone();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .ok()
            .map(|verifier| Self { verifier, anchors })
    }

    fn verify(
        &self,
        leaf: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        now: UnixTime,
        parsed: &[Option<Facts>],
    ) -> Outcome {
        match self
            .verifier
            .verify_server_cert(leaf, intermediates, server_name, &[], now)
        {
            Ok(_) => Outcome::Trusted {
                anchor: self.anchor_name(parsed),
            },
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Outcome::WrongName,
            Err(rustls::Error::InvalidCertificate(err)) => Outcome::Failed(err),
            Err(other) => Outcome::Other(format!("the chain is not valid: {other}")),
        }
    }

    /// The readable name of the anchor the chain ends in.
    ///
    /// Follows issuer names from the leaf through the presented certificates until one is
    /// issued by a trust anchor, as path building does; webpki does not say which anchor it used.
    fn anchor_name(&self, parsed: &[Option<Facts>]) -> String {
        let mut current = parsed.first().and_then(Option::as_ref);
        for _ in 0..=parsed.len() {
            let Some(cert) = current else { break };
            if let Some(anchor) = self
                .anchors
                .iter()
                .find(|anchor| anchor.subject.as_ref() == cert.issuer_inner.as_slice())
            {
                return anchor_subject_name(anchor);
            }
            current = parsed
                .iter()
                .flatten()
                .find(|next| next.subject_inner == cert.issuer_inner && !next.self_issued);
        }
        parsed.last().and_then(Option::as_ref).map_or_else(
            || "unknown root".to_owned(),
            |last| last.issuer_name.clone(),
        )
    }
}

/// The readable name of a trust anchor (its subject holds the Name without its SEQUENCE header).
fn anchor_subject_name(anchor: &TrustAnchor<'_>) -> String {
    let der = der_sequence(anchor.subject.as_ref());
    match X509Name::from_der(&der) {
        Ok((_, name)) => readable_name(&name),
        Err(_) => "unreadable root name".to_owned(),
    }
}

/// What `judge` needs of one certificate, parsed once.
#[derive(Debug)]
struct Facts {
    /// Subject and issuer Names without their SEQUENCE header, as webpki compares them.
    subject_inner: Vec<u8>,
    issuer_inner: Vec<u8>,
    subject_name: String,
    issuer_name: String,
    /// CN, O and OU values of subject and issuer, for product identification.
    names: Vec<String>,
    /// DNS and IP subject alternative names.
    san: Vec<String>,
    not_before: i64,
    not_after: i64,
    self_issued: bool,
}

impl Facts {
    fn parse(der: &[u8]) -> Option<Self> {
        let (_, cert) = X509Certificate::from_der(der).ok()?;
        let subject = cert.subject();
        let issuer = cert.issuer();
        let names = [subject, issuer]
            .into_iter()
            .flat_map(|name| {
                name.iter_common_name()
                    .chain(name.iter_organization())
                    .chain(name.iter_organizational_unit())
            })
            .map(attribute_text)
            .collect();
        let subject_name = if subject.iter_common_name().next().is_none() {
            // A leaf with an empty subject is named by its first SAN.
            san_names(&cert, true)
                .into_iter()
                .next()
                .unwrap_or_else(|| readable_name(subject))
        } else {
            readable_name(subject)
        };
        Some(Self {
            subject_inner: der_contents(subject.as_raw())?.to_vec(),
            issuer_inner: der_contents(issuer.as_raw())?.to_vec(),
            subject_name,
            issuer_name: readable_name(issuer),
            names,
            san: san_names(&cert, true),
            not_before: cert.validity().not_before.timestamp(),
            not_after: cert.validity().not_after.timestamp(),
            self_issued: subject.as_raw() == issuer.as_raw(),
        })
    }
}

fn describe_one(der: &[u8]) -> CertificateInfo {
    match X509Certificate::from_der(der) {
        Ok((_, cert)) => {
            let mut dns_names = san_names(&cert, false);
            let dns_names_omitted = dns_names.len().saturating_sub(NAMES_KEPT);
            dns_names.truncate(NAMES_KEPT);
            CertificateInfo {
                subject: kept(distinguished_name(cert.subject())),
                issuer: kept(distinguished_name(cert.issuer())),
                serial: serial_hex(cert.raw_serial()),
                not_before: timestamp(cert.validity().not_before.timestamp()),
                not_after: timestamp(cert.validity().not_after.timestamp()),
                spki_sha256: hex(digest::digest(&digest::SHA256, cert.public_key().raw).as_ref()),
                is_ca: cert.is_ca(),
                dns_names,
                dns_names_omitted,
            }
        }
        Err(err) => CertificateInfo {
            subject: format!("unparseable certificate ({} bytes): {err}", der.len()),
            issuer: String::new(),
            serial: String::new(),
            not_before: String::new(),
            not_after: String::new(),
            spki_sha256: String::new(),
            is_ca: false,
            dns_names: Vec::new(),
            dns_names_omitted: 0,
        },
    }
}

/// A name cut to [`NAME_CHARS_KEPT`] characters, marked where it was cut.
fn kept(name: String) -> String {
    match name.char_indices().nth(NAME_CHARS_KEPT) {
        Some((at, _)) => format!("{}…", &name[..at]),
        None => name,
    }
}

/// The certificate's DNS names (and IP addresses when `with_ips`) from its SAN extension.
fn san_names(cert: &X509Certificate<'_>, with_ips: bool) -> Vec<String> {
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return Vec::new();
    };
    san.value
        .general_names
        .iter()
        .filter_map(|name| match name {
            GeneralName::DNSName(dns) => Some((*dns).to_owned()),
            GeneralName::IPAddress(bytes) if with_ips => ip_text(bytes),
            _ => None,
        })
        .collect()
}

fn ip_text(bytes: &[u8]) -> Option<String> {
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Some(std::net::Ipv4Addr::from(v4).to_string());
    }
    <[u8; 16]>::try_from(bytes)
        .ok()
        .map(|v6| std::net::Ipv6Addr::from(v6).to_string())
}

/// The CN of `name`, or the whole name when it has none.
fn readable_name(name: &X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .map_or_else(|| distinguished_name(name), attribute_text)
}

/// `CN=..., O=..., C=...`: RFC 4514 order (most specific first) and escaping.
fn distinguished_name(name: &X509Name<'_>) -> String {
    let rdns: Vec<String> = name
        .iter_rdn()
        .map(|rdn| {
            rdn.iter()
                .map(|attr| {
                    let oid = attr.attr_type().to_id_string();
                    let key = match oid.as_str() {
                        "2.5.4.3" => "CN",
                        "2.5.4.6" => "C",
                        "2.5.4.7" => "L",
                        "2.5.4.8" => "ST",
                        "2.5.4.9" => "STREET",
                        "2.5.4.10" => "O",
                        "2.5.4.11" => "OU",
                        "2.5.4.5" => "serialNumber",
                        "0.9.2342.19200300.100.1.25" => "DC",
                        "0.9.2342.19200300.100.1.1" => "UID",
                        "1.2.840.113549.1.9.1" => "emailAddress",
                        _ => oid.as_str(),
                    };
                    format!("{key}={}", escape(&attribute_text(attr)))
                })
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    rdns.into_iter().rev().collect::<Vec<_>>().join(", ")
}

/// An attribute's value as text, whatever string type it was encoded with.
fn attribute_text(attr: &x509_parser::x509::AttributeTypeAndValue<'_>) -> String {
    if let Ok(text) = attr.as_str() {
        return text.to_owned();
    }
    let bytes = attr.as_slice();
    match attr.attr_value().tag() {
        Tag::BmpString => {
            let units: Vec<u16> = bytes
                .chunks_exact(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            String::from_utf16_lossy(&units)
        }
        Tag::UniversalString => bytes
            .chunks_exact(4)
            .map(|quad| {
                char::from_u32(u32::from_be_bytes([quad[0], quad[1], quad[2], quad[3]]))
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
        // T61String and friends: in practice Latin-1 or ASCII.
        _ => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

/// RFC 4514 escaping of an attribute value.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The contents of a DER TLV (what follows its tag and length), if well formed.
fn der_contents(tlv: &[u8]) -> Option<&[u8]> {
    let (&first, rest) = tlv.get(1..)?.split_first()?;
    let (len, body) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 {
            return None;
        }
        let len = rest
            .get(..count)?
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, rest.get(count..)?)
    };
    body.get(..len)
}

/// `contents` wrapped in a DER SEQUENCE header.
fn der_sequence(contents: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30];
    let len = contents.len();
    if len < 0x80 {
        out.push(u8::try_from(len).unwrap_or(0));
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | u8::try_from(bytes.len() - skip).unwrap_or(0));
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(contents);
    out
}

/// The DER certificates of `rule`'s pinned roots.
fn pinned_certificates(rule: TrustRule) -> Vec<CertificateDer<'static>> {
    static PARSED: OnceLock<Vec<(TrustRule, CertificateDer<'static>)>> = OnceLock::new();
    PARSED
        .get_or_init(|| {
            PINNED
                .iter()
                .flat_map(|(rule, _, pem)| {
                    CertificateDer::pem_slice_iter(pem.as_bytes())
                        .flatten()
                        .map(|der| (*rule, der))
                })
                .collect()
        })
        .iter()
        // A host whose chain is not yet known may end in any of Microsoft's roots.
        .filter(|(r, _)| *r == rule || rule == TrustRule::MicrosoftUnconfirmed)
        .map(|(_, der)| der.clone())
        .collect()
}

/// The operating system's store, loaded on first use.
fn system_store() -> &'static SystemStore {
    static STORE: OnceLock<SystemStore> = OnceLock::new();
    STORE.get_or_init(|| {
        let loaded = rustls_native_certs::load_native_certs();
        let problems = (!loaded.errors.is_empty()).then(|| {
            loaded
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        });
        if loaded.certs.is_empty() {
            SystemStore::Unavailable(
                problems.unwrap_or_else(|| "the system store holds no certificate".to_owned()),
            )
        } else {
            SystemStore::Loaded {
                certs: loaded.certs,
                problems: problems.map(|p| format!("device store partly unreadable: {p}")),
            }
        }
    })
}

fn pem_error(err: &pem::Error) -> String {
    match err {
        pem::Error::MissingSectionEnd { .. } => "the PEM block has no END line".to_owned(),
        pem::Error::IllegalSectionStart { .. } => "the PEM BEGIN line is malformed".to_owned(),
        pem::Error::Base64Decode(why) => format!("the PEM block is not valid base64: {why}"),
        other => format!("the PEM block cannot be read: {other}"),
    }
}

/// The serial number as lower-case hex, without DER's leading sign byte.
fn serial_hex(raw: &[u8]) -> String {
    let skip = raw
        .iter()
        .take_while(|&&b| b == 0)
        .count()
        .min(raw.len().saturating_sub(1));
    hex(&raw[skip..])
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

/// Seconds since the Unix epoch as RFC 3339 UTC (`2036-03-22T22:13:04Z`).
fn timestamp(secs: impl TryInto<i64>) -> String {
    crate::time::rfc3339(secs.try_into().unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use rcgen::{
        BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
        Issuer, KeyPair, date_time_ymd,
    };

    use super::*;

    /// A test CA: its certificate and what signs with it.
    struct Ca {
        cert: Certificate,
        issuer: Issuer<'static, KeyPair>,
    }

    impl Ca {
        fn root(name: &str) -> Self {
            let key = KeyPair::generate().unwrap();
            let params = ca_params(name);
            let cert = params.self_signed(&key).unwrap();
            Self {
                cert,
                issuer: Issuer::new(params, key),
            }
        }

        fn intermediate(&self, name: &str) -> Self {
            let key = KeyPair::generate().unwrap();
            let params = ca_params(name);
            let cert = params.signed_by(&key, &self.issuer).unwrap();
            Self {
                cert,
                issuer: Issuer::new(params, key),
            }
        }

        fn der(&self) -> CertificateDer<'static> {
            self.cert.der().clone()
        }

        fn leaf(&self, host: &str) -> CertificateDer<'static> {
            self.leaf_with(host, |_| {})
        }

        fn leaf_with(
            &self,
            host: &str,
            adjust: impl FnOnce(&mut CertificateParams),
        ) -> CertificateDer<'static> {
            let key = KeyPair::generate().unwrap();
            let mut params = CertificateParams::new(vec![host.to_owned()]).unwrap();
            params.distinguished_name.push(DnType::CommonName, host);
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
            adjust(&mut params);
            params.signed_by(&key, &self.issuer).unwrap().der().clone()
        }
    }

    fn ca_params(name: &str) -> CertificateParams {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        params
    }

    fn device(certs: &[CertificateDer<'static>]) -> DeviceStore {
        DeviceStore::Certificates(certs.to_vec())
    }

    fn verdict(
        chain: &[CertificateDer<'static>],
        host: &str,
        stores: &TrustStores,
    ) -> Interception {
        assess(chain, host, TrustRule::MicrosoftApplicationRoot, stores).verdict
    }

    #[test]
    fn chain_to_an_extra_anchor_is_not_intercepted() {
        let root = Ca::root("Test Root");
        let stores = TrustStores::new(vec![root.der()], device(&[]));
        for rule in RULES_WITH_ROOTS {
            let assessment = assess(&[root.leaf("origin.test")], "origin.test", rule, &stores);
            let expected = Interception::NotDetected {
                anchor: "Test Root".into(),
            };
            assert_eq!(assessment.verdict, expected, "{rule:?}");
            assert_eq!(assessment.rule, rule);
        }
    }

    #[test]
    fn chain_only_the_device_trusts_is_interception() {
        let cases = [
            ("Corp Inspection CA", None),
            ("Zscaler Root CA", Some("Zscaler")),
            ("DO_NOT_TRUST_FiddlerRoot", Some("Fiddler")),
        ];
        for (name, product) in cases {
            let inspection = Ca::root(name);
            let stores = TrustStores::new(Vec::new(), device(&[inspection.der()]));
            let expected = Interception::Detected {
                issuer: name.into(),
                anchor: name.into(),
                product: product.map(str::to_owned),
            };
            assert_eq!(
                verdict(&[inspection.leaf("origin.test")], "origin.test", &stores),
                expected,
                "{name}"
            );
        }
    }

    #[test]
    fn intermediates_are_followed_to_the_anchor() {
        let root = Ca::root("Zscaler Root CA");
        let intermediate = root.intermediate("Zscaler Intermediate Root CA (zscalerthree.net)");
        let chain = [intermediate.leaf("origin.test"), intermediate.der()];
        let stores = TrustStores::new(Vec::new(), device(&[root.der()]));
        let expected = Interception::Detected {
            issuer: "Zscaler Intermediate Root CA (zscalerthree.net)".into(),
            anchor: "Zscaler Root CA".into(),
            product: Some("Zscaler".into()),
        };
        assert_eq!(verdict(&chain, "origin.test", &stores), expected);

        // The same chain with the root sent along, and trusted by the rule's extra anchors.
        let chain = [
            intermediate.leaf("origin.test"),
            intermediate.der(),
            root.der(),
        ];
        let stores = TrustStores::new(vec![root.der()], device(&[]));
        let expected = Interception::NotDetected {
            anchor: "Zscaler Root CA".into(),
        };
        assert_eq!(verdict(&chain, "origin.test", &stores), expected);

        // Without the intermediate the chain cannot be built.
        let stores = TrustStores::new(Vec::new(), device(&[root.der()]));
        let got = verdict(&[intermediate.leaf("origin.test")], "origin.test", &stores);
        assert!(matches!(got, Interception::Untrusted { .. }), "{got:?}");
    }

    #[test]
    fn chain_nobody_trusts_is_untrusted_and_still_names_the_product() {
        let cases = [
            ("Corp Inspection CA", None),
            ("Sophos SSL CA_C320ABPCBJ8BQ6B", Some("Sophos")),
        ];
        for (name, product) in cases {
            let unknown = Ca::root(name);
            let stores = TrustStores::new(vec![Ca::root("Other").der()], device(&[]));
            let Interception::Untrusted {
                issuer,
                product: got,
                reason,
            } = verdict(&[unknown.leaf("origin.test")], "origin.test", &stores)
            else {
                panic!("{name}: not untrusted");
            };
            assert_eq!(issuer, name);
            assert_eq!(got.as_deref(), product);
            assert!(reason.contains("unknown issuer"), "{reason}");
        }
    }

    #[test]
    fn self_signed_leaf_is_untrusted_and_says_so() {
        let key = KeyPair::generate().unwrap();
        let params = CertificateParams::new(vec!["origin.test".to_owned()]).unwrap();
        let leaf = params.self_signed(&key).unwrap().der().clone();
        let stores = TrustStores::new(Vec::new(), device(&[]));
        let got = verdict(&[leaf], "origin.test", &stores);
        let Interception::Untrusted { reason, .. } = got else {
            panic!("{got:?}");
        };
        assert!(reason.contains("self-signed"), "{reason}");
    }

    #[test]
    fn trusted_chain_for_another_name_is_wrong_name() {
        let root = Ca::root("Test Root");
        let chain = [root.leaf("other.test")];
        for stores in [
            TrustStores::new(vec![root.der()], device(&[])),
            TrustStores::new(Vec::new(), device(&[root.der()])),
        ] {
            let expected = Interception::WrongName {
                host: "origin.test".into(),
                names: vec!["other.test".into()],
            };
            assert_eq!(verdict(&chain, "origin.test", &stores), expected);
        }
    }

    #[test]
    fn ip_literal_hosts_are_checked_against_ip_names() {
        let root = Ca::root("Test Root");
        let stores = TrustStores::new(vec![root.der()], device(&[]));
        let chain = [root.leaf("127.0.0.1")];
        let got = verdict(&chain, "127.0.0.1", &stores);
        assert_eq!(
            got,
            Interception::NotDetected {
                anchor: "Test Root".into()
            }
        );
        let Interception::WrongName { names, .. } = verdict(&chain, "10.0.0.1", &stores) else {
            panic!("not a name mismatch");
        };
        assert_eq!(names, ["127.0.0.1"]);
    }

    #[test]
    fn expired_leaf_is_untrusted_with_its_expiry() {
        let root = Ca::root("Test Root");
        let leaf = root.leaf_with("origin.test", |params| {
            params.not_before = date_time_ymd(1999, 1, 1);
            params.not_after = date_time_ymd(2000, 1, 1);
        });
        for stores in [
            TrustStores::new(vec![root.der()], device(&[])),
            TrustStores::new(Vec::new(), device(&[root.der()])),
        ] {
            let got = verdict(std::slice::from_ref(&leaf), "origin.test", &stores);
            let Interception::Untrusted { reason, issuer, .. } = got else {
                panic!("{got:?}");
            };
            assert_eq!(issuer, "Test Root");
            assert!(
                reason.contains("expired at 2000-01-01T00:00:00Z"),
                "{reason}"
            );
            assert!(reason.contains("origin.test"), "{reason}");
        }
    }

    #[test]
    fn validity_is_judged_at_the_given_time() {
        let root = Ca::root("Test Root");
        let leaf = root.leaf_with("origin.test", |params| {
            params.not_before = date_time_ymd(2030, 1, 1);
        });
        let stores = TrustStores::new(vec![root.der()], device(&[]));
        let rule = TrustRule::MicrosoftApplicationRoot;
        let early = assess_at(
            std::slice::from_ref(&leaf),
            "origin.test",
            rule,
            &stores,
            UnixTime::now(),
        );
        let Interception::Untrusted { reason, .. } = early.verdict else {
            panic!("{early:?}");
        };
        assert!(
            reason.contains("not valid until 2030-01-01T00:00:00Z"),
            "{reason}"
        );
        let later = UnixTime::since_unix_epoch(std::time::Duration::from_secs(1_950_000_000));
        let late = assess_at(&[leaf], "origin.test", rule, &stores, later);
        assert!(matches!(late.verdict, Interception::NotDetected { .. }));
    }

    #[test]
    fn no_chain_plain_http_or_bad_host_is_inconclusive() {
        let root = Ca::root("Test Root");
        let stores = TrustStores::new(vec![root.der()], device(&[]));
        let leaf = root.leaf("origin.test");
        let cases: [(&[CertificateDer<'static>], &str, TrustRule); 3] = [
            (&[], "origin.test", TrustRule::MicrosoftApplicationRoot),
            (std::slice::from_ref(&leaf), "origin.test", TrustRule::None),
            (
                std::slice::from_ref(&leaf),
                "not a host",
                TrustRule::PublicRoots,
            ),
        ];
        for (chain, host, rule) in cases {
            let got = assess(chain, host, rule, &stores).verdict;
            assert!(
                matches!(got, Interception::Inconclusive { .. }),
                "{host} {rule:?}: {got:?}"
            );
        }
    }

    #[test]
    fn private_chain_fails_the_pinned_roots_when_no_store_trusts_it() {
        let root = Ca::root("Test Root");
        let stores = TrustStores::new(Vec::new(), device(&[]));
        let got = verdict(&[root.leaf("origin.test")], "origin.test", &stores);
        assert!(matches!(got, Interception::Untrusted { .. }));
    }

    #[test]
    fn an_unconfirmed_host_accepts_every_microsoft_root_and_nothing_else() {
        let union = pinned_certificates(TrustRule::MicrosoftUnconfirmed);
        let app = pinned_certificates(TrustRule::MicrosoftApplicationRoot);
        let public = pinned_certificates(TrustRule::MicrosoftPublicRoots);
        assert_eq!(union.len(), app.len() + public.len());
        assert!(app.iter().chain(&public).all(|der| union.contains(der)));
        assert!(!TrustRule::MicrosoftUnconfirmed.confirmed());
        assert!(TrustRule::MicrosoftApplicationRoot.confirmed());
        // A private chain is still untrusted under it, and the assessment keeps the rule.
        let root = Ca::root("Test Root");
        let stores = TrustStores::new(Vec::new(), device(&[]));
        let got = assess(
            &[root.leaf("origin.test")],
            "origin.test",
            TrustRule::MicrosoftUnconfirmed,
            &stores,
        );
        assert_eq!(got.rule, TrustRule::MicrosoftUnconfirmed);
        assert!(
            matches!(got.verdict, Interception::Untrusted { .. }),
            "{got:?}"
        );
    }

    #[test]
    fn stores_are_shareable_between_threads() {
        fn shareable<T: Send + Sync>() {}
        shareable::<TrustStores>();
    }

    #[test]
    fn compiled_in_roots_parse_and_match_the_pins() {
        let roots = pinned_roots();
        let count = |rule| {
            roots
                .iter()
                .find(|(r, _)| *r == rule)
                .map_or(0, |(_, v)| v.len())
        };
        assert_eq!(count(TrustRule::MicrosoftApplicationRoot), 1);
        assert_eq!(count(TrustRule::MicrosoftPublicRoots), 6);
        // SPKI SHA-256 values from docs/endpoints.md §6.3.
        let pins = [
            (
                "Microsoft Root Certificate Authority 2011",
                "02376d0908ac23041cc7d666d9daf192554f7fc36317aa9cb800908616b28af8",
            ),
            (
                "Microsoft RSA Root Certificate Authority 2017",
                "b2f7298b52bf2c3cac4ddfe72de4d682ac58957595982f2b62301af597c699c5",
            ),
            (
                "Microsoft ECC Root Certificate Authority 2017",
                "35f53ce1264611e03340fe37e1ec7d4cc986c5613dca70fd04aa44545f2daf28",
            ),
            (
                "DigiCert Global Root G2",
                "8bb593a93be1d0e8a822bb887c547890c3e706aad2dab76254f97fb36b82fc26",
            ),
            (
                "DigiCert Global Root G3",
                "b94c198300cec5c057ad0727b70bbe91816992256439a7b32f4598119dda9c97",
            ),
            (
                "DigiCert Global Root CA",
                "aff988906dde12955d9bebbf928fdcc31cce328d5b9384f21c8941ca26e20391",
            ),
            (
                "Baltimore CyberTrust Root",
                "63d9af9b47b1064d49a10e7b7fd566dbc8caa399459bfc2829c571ad8c6ef34a",
            ),
        ];
        let all: Vec<&CertificateInfo> = roots.iter().flat_map(|(_, infos)| infos).collect();
        for (name, spki) in pins {
            let info = all
                .iter()
                .find(|info| info.subject.starts_with(&format!("CN={name},")))
                .unwrap_or_else(|| panic!("{name} is not pinned"));
            assert_eq!(info.spki_sha256, spki, "{name}");
            assert!(info.is_ca, "{name}");
            assert_eq!(info.subject, info.issuer, "{name}");
        }
        // Every rule's verifier builds.
        let stores = TrustStores::new(Vec::new(), device(&[]));
        for rule in RULES_WITH_ROOTS {
            assert!(stores.rule_verifier(rule).is_some(), "{rule:?}");
        }
    }

    #[test]
    fn describe_reads_the_microsoft_application_root() {
        let pem = include_str!("../../roots/microsoft-root-ca-2011.pem");
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        let [info] = describe(&[der]).try_into().unwrap();
        let expected = CertificateInfo {
            subject: "CN=Microsoft Root Certificate Authority 2011, O=Microsoft Corporation, \
                      L=Redmond, ST=Washington, C=US"
                .into(),
            issuer: "CN=Microsoft Root Certificate Authority 2011, O=Microsoft Corporation, \
                     L=Redmond, ST=Washington, C=US"
                .into(),
            serial: "3f8bc8b5fc9fb29643b569d66c42e144".into(),
            not_before: "2011-03-22T22:05:28Z".into(),
            not_after: "2036-03-22T22:13:04Z".into(),
            spki_sha256: "02376d0908ac23041cc7d666d9daf192554f7fc36317aa9cb800908616b28af8".into(),
            is_ca: true,
            dns_names: Vec::new(),
            dns_names_omitted: 0,
        };
        assert_eq!(info, expected);
    }

    #[test]
    fn a_certificate_of_a_thousand_names_is_described_by_its_first_names_and_a_count() {
        let root = Ca::root("Test Root");
        let names: Vec<String> = (0..1000).map(|i| format!("h{i}.example")).collect();
        let leaf = root.leaf_with("h0.example", |params| {
            params.subject_alt_names = names
                .iter()
                .map(|n| rcgen::SanType::DnsName(n.clone().try_into().unwrap()))
                .collect();
            params
                .distinguished_name
                .push(DnType::OrganizationName, "o".repeat(2000));
        });
        let [info] = describe(&[leaf]).try_into().unwrap();
        assert_eq!(info.dns_names, names[..NAMES_KEPT]);
        assert_eq!(info.dns_names_omitted, 1000 - NAMES_KEPT);
        assert_eq!(info.subject.chars().count(), NAME_CHARS_KEPT + 1);
        assert!(info.subject.ends_with('…'));
    }

    #[test]
    fn describe_reads_a_test_leaf_and_survives_garbage() {
        let root = Ca::root("Test Root");
        let garbage = CertificateDer::from(vec![0x30, 0x03, 0x01, 0x02]);
        let infos = describe(&[
            root.leaf("origin.test"),
            garbage,
            CertificateDer::from(vec![]),
        ]);
        assert_eq!(infos.len(), 3);
        assert_eq!(infos[0].subject, "CN=origin.test");
        assert_eq!(infos[0].issuer, "CN=Test Root");
        assert_eq!(infos[0].dns_names, ["origin.test"]);
        assert!(!infos[0].is_ca);
        assert_eq!(infos[0].spki_sha256.len(), 64);
        assert!(infos[1].subject.starts_with("unparseable certificate"));
        assert!(infos[2].subject.starts_with("unparseable certificate"));
    }

    #[test]
    fn names_are_escaped_and_times_formatted() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (2_089_836_784, "2036-03-22T22:13:04Z"),
            (-1, "1969-12-31T23:59:59Z"),
        ];
        for (secs, expected) in cases {
            assert_eq!(timestamp(secs), expected);
        }
        assert_eq!(escape("Acme, Inc."), "Acme\\, Inc.");
        assert_eq!(escape(" a+b "), "\\ a\\+b\\ ");
        assert_eq!(serial_hex(&[0x00, 0x83, 0x01]), "8301");
        assert_eq!(serial_hex(&[0x00]), "00");
        let long = vec![7u8; 300];
        assert_eq!(der_contents(&der_sequence(&long)), Some(long.as_slice()));
        assert_eq!(der_contents(&der_sequence(b"ab")), Some(&b"ab"[..]));
        assert_eq!(der_contents(&[0x30, 0x05, 0x01]), None);
    }

    #[test]
    fn anchor_files_load_or_say_what_is_wrong() {
        let root = Ca::root("Test Root");
        let other = Ca::root("Other Root");
        let two = format!("{}{}", root.cert.pem(), other.cert.pem());
        let not_x509 = "-----BEGIN CERTIFICATE-----\nMAMBAgM=\n-----END CERTIFICATE-----\n";
        let bad_base64 = format!(
            "{}-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
            root.cert.pem()
        );
        let cases: [(&str, Result<usize, &str>); 5] = [
            (&two, Ok(2)),
            ("", Err("no PEM certificate")),
            ("just some text\n", Err("no PEM certificate")),
            (
                not_x509,
                Err("certificate 1 is not a valid X.509 certificate"),
            ),
            (
                &bad_base64,
                Err("certificate 2: the PEM block is not valid base64"),
            ),
        ];
        for (text, expected) in cases {
            let mut file = tempfile::NamedTempFile::new().unwrap();
            file.write_all(text.as_bytes()).unwrap();
            match (load_anchor_file(file.path()), expected) {
                (Ok(certs), Ok(count)) => assert_eq!(certs.len(), count),
                (Err(err @ AnchorError::Invalid { .. }), Err(message)) => {
                    assert!(err.to_string().contains(message), "{err}");
                }
                (got, want) => panic!("{text:?}: got {got:?}, want {want:?}"),
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let missing = load_anchor_file(&dir.path().join("missing.pem"));
        assert!(matches!(missing, Err(AnchorError::File(_))), "{missing:?}");
    }

    #[test]
    fn loaded_anchors_are_accepted_by_every_rule() {
        let root = Ca::root("Test Root");
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(root.cert.pem().as_bytes()).unwrap();
        let extra = load_anchor_file(file.path()).unwrap();
        let stores = TrustStores::new(extra, device(&[]));
        for rule in RULES_WITH_ROOTS {
            let got = assess(&[root.leaf("origin.test")], "origin.test", rule, &stores).verdict;
            assert!(matches!(got, Interception::NotDetected { .. }), "{rule:?}");
        }
    }
}
