//! Throwaway certificate authorities: fresh keys on every run, so nothing in a test expires.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A self-signed root that issues leaves for test servers and intercepting proxies.
#[derive(Clone)]
pub struct Ca {
    inner: Arc<CaInner>,
}

struct CaInner {
    common_name: String,
    params: CertificateParams,
    key: KeyPair,
    cert: CertificateDer<'static>,
}

/// A server certificate chain and its key, ready for a rustls `ServerConfig`.
pub struct Leaf {
    /// Leaf first, then any intermediates; the root is not included.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
    /// The subject alternative names the leaf was issued for, in the order given.
    pub names: Vec<String>,
}

impl Ca {
    /// Generates a new self-signed CA with a fresh key pair.
    pub fn generate(common_name: &str) -> Ca {
        let key = KeyPair::generate().expect("ring generates ECDSA P-256 keys");
        let params = ca_params(common_name);
        let cert = params
            .self_signed(&key)
            .expect("CA parameters are valid")
            .der()
            .clone();
        Ca {
            inner: Arc::new(CaInner {
                common_name: common_name.to_owned(),
                params,
                key,
                cert,
            }),
        }
    }

    /// The CA's subject common name, which is also the issuer name of everything it signs.
    pub fn common_name(&self) -> &str {
        &self.inner.common_name
    }

    /// The CA certificate in DER, e.g. for a `RootCertStore`.
    pub fn cert_der(&self) -> CertificateDer<'static> {
        self.inner.cert.clone()
    }

    /// The CA certificate in PEM.
    pub fn pem(&self) -> String {
        let b64 =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &self.inner.cert);
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        pem
    }

    /// Writes the CA certificate as PEM into `dir` (for `--trust-anchor` or `SSL_CERT_FILE`).
    pub fn write_pem(&self, dir: &Path) -> PathBuf {
        let slug: String = self
            .common_name()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let path = dir.join(format!("{slug}.pem"));
        std::fs::write(&path, self.pem()).expect("the test's directory is writable");
        path
    }

    /// Issues a leaf for `names` (DNS names; IP literals become IP SANs), valid now.
    pub fn issue(&self, names: &[&str]) -> Leaf {
        self.issue_with(names, |_| {})
    }

    /// Issues a leaf for `names` whose validity ended in the past.
    pub fn issue_expired(&self, names: &[&str]) -> Leaf {
        self.issue_with(names, |params| {
            params.not_before = date_time_ymd(2020, 1, 1);
            params.not_after = date_time_ymd(2021, 1, 1);
        })
    }

    /// Issues a leaf signed by a fresh intermediate CA (itself signed by this CA).
    ///
    /// The chain is `[leaf, intermediate]`.
    pub fn issue_via_intermediate(&self, intermediate_cn: &str, names: &[&str]) -> Leaf {
        let inter_key = KeyPair::generate().expect("ring generates ECDSA P-256 keys");
        let mut inter_params = ca_params(intermediate_cn);
        inter_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        inter_params.use_authority_key_identifier_extension = true;
        let inter_cert = inter_params
            .signed_by(&inter_key, &self.issuer())
            .expect("intermediate parameters are valid")
            .der()
            .clone();
        let inter_issuer = Issuer::from_params(&inter_params, &inter_key);
        let (leaf_cert, key) = leaf(names, &inter_issuer, |_| {});
        Leaf {
            chain: vec![leaf_cert, inter_cert],
            key,
            names: names.iter().map(|&n| n.to_owned()).collect(),
        }
    }

    fn issue_with(&self, names: &[&str], adjust: impl FnOnce(&mut CertificateParams)) -> Leaf {
        let (cert, key) = leaf(names, &self.issuer(), adjust);
        Leaf {
            chain: vec![cert],
            key,
            names: names.iter().map(|&n| n.to_owned()).collect(),
        }
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.inner.params, &self.inner.key)
    }
}

impl fmt::Debug for Ca {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ca")
            .field("common_name", &self.inner.common_name)
            .finish_non_exhaustive()
    }
}

impl Clone for Leaf {
    fn clone(&self) -> Leaf {
        Leaf {
            chain: self.chain.clone(),
            key: self.key.clone_key(),
            names: self.names.clone(),
        }
    }
}

impl fmt::Debug for Leaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Leaf")
            .field("names", &self.names)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

fn ca_params(common_name: &str) -> CertificateParams {
    let mut params = CertificateParams::default();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params
        .distinguished_name
        .push(DnType::OrganizationName, "dapreflight tests");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params
}

fn leaf(
    names: &[&str],
    issuer: &Issuer<'_, &KeyPair>,
    adjust: impl FnOnce(&mut CertificateParams),
) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let owned: Vec<String> = names.iter().map(|&n| n.to_owned()).collect();
    let mut params = CertificateParams::new(owned).expect("test names are valid SANs");
    if let Some(first) = names.first() {
        params.distinguished_name.push(DnType::CommonName, *first);
    }
    params.is_ca = IsCa::NoCa;
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.use_authority_key_identifier_extension = true;
    adjust(&mut params);
    let key = KeyPair::generate().expect("ring generates ECDSA P-256 keys");
    let cert = params
        .signed_by(&key, issuer)
        .expect("leaf parameters are valid")
        .der()
        .clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (cert, key)
}
