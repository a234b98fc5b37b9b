//! The TLS handshake: completes whatever chain the server presents, captures it, then judges it.
//!
//! Trust never fails the handshake here; the captured chain is judged afterwards by
//! `interception::assess`, so an intercepted or untrusted chain is evidence, not an error.

use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::catalog::TrustRule;
use crate::probe::{ProbeFailure, within};
use crate::status::Stage;
use crate::trust::{self, CertificateInfo, TrustAssessment, TrustStores};

/// What the TLS handshake showed.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TlsEvidence {
    /// The name sent in SNI and checked against the certificate.
    pub server_name: String,
    pub version: String,
    pub cipher_suite: String,
    /// The chain as presented, leaf first.
    pub chain: Vec<CertificateInfo>,
    pub trust: TrustAssessment,
}

/// Runs the handshake for `host` within `deadline` and judges the chain under `rule`.
pub(crate) async fn handshake<S>(
    stream: S,
    host: &str,
    rule: TrustRule,
    stores: &TrustStores,
    deadline: Duration,
) -> Result<(TlsStream<S>, TlsEvidence), ProbeFailure>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let server_name =
        ServerName::try_from(host.to_owned()).map_err(|_| ProbeFailure::TlsFailed {
            reason: format!("'{host}' cannot be sent as a TLS server name"),
        })?;
    let recorder = Arc::new(danger::RecordOnlyVerifier::new());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| ProbeFailure::TlsFailed {
            reason: format!("cannot set up TLS: {err}"),
        })?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&recorder) as _)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let connector = TlsConnector::from(Arc::new(config));
    let stream = within(Stage::Tls, deadline, connector.connect(server_name, stream))
        .await?
        .map_err(|err| ProbeFailure::TlsFailed {
            reason: describe(&err),
        })?;
    let chain = recorder.chain();
    let (_, connection) = stream.get_ref();
    let version = connection
        .protocol_version()
        .and_then(|v| v.as_str())
        .unwrap_or("unknown")
        .replace('_', ".")
        .replace("TLSv1.", "TLS 1.")
        .replace("TLSv1", "TLS 1");
    let cipher_suite = connection
        .negotiated_cipher_suite()
        .and_then(|suite| suite.suite().as_str())
        .unwrap_or("unknown")
        .to_owned();
    let evidence = TlsEvidence {
        server_name: host.to_owned(),
        version,
        cipher_suite,
        chain: trust::describe(&chain),
        trust: trust::assess(&chain, host, rule, stores),
    };
    Ok((stream, evidence))
}

/// A handshake error in words an admin reads, classified at the source.
fn describe(err: &std::io::Error) -> String {
    let Some(tls) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return match err.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                "the peer closed the connection during the handshake".to_owned()
            }
            std::io::ErrorKind::ConnectionReset => {
                "the connection was reset during the handshake".to_owned()
            }
            _ => format!("handshake failed: {err}"),
        };
    };
    match tls {
        rustls::Error::AlertReceived(alert) => {
            format!("the server refused the handshake with the alert '{alert:?}'")
        }
        rustls::Error::InvalidMessage(_) | rustls::Error::InappropriateMessage { .. } => {
            format!("the peer does not speak TLS as expected ({tls})")
        }
        rustls::Error::PeerIncompatible(_) => {
            format!("no TLS version or cipher in common with the server ({tls})")
        }
        other => format!("handshake failed: {other}"),
    }
}

/// Verification that records instead of judging. Named `danger` so every use shows it.
pub(crate) mod danger {
    use std::sync::{Arc, Mutex};

    use rustls::DigitallySignedStruct;
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};

    /// Accepts any chain so the handshake completes, and keeps it for later judgement.
    ///
    /// Handshake signatures are still verified: the server must hold the key of the leaf it
    /// presented, so the captured chain is what the peer really is.
    #[derive(Debug)]
    pub(crate) struct RecordOnlyVerifier {
        provider: Arc<CryptoProvider>,
        chain: Mutex<Vec<CertificateDer<'static>>>,
    }

    impl RecordOnlyVerifier {
        /// A fresh verifier with nothing recorded.
        #[must_use]
        pub(crate) fn new() -> Self {
            Self {
                provider: Arc::new(rustls::crypto::ring::default_provider()),
                chain: Mutex::new(Vec::new()),
            }
        }

        /// The chain the server presented, leaf first.
        #[must_use]
        pub(crate) fn chain(&self) -> Vec<CertificateDer<'static>> {
            self.chain
                .lock()
                .map(|chain| chain.clone())
                .unwrap_or_default()
        }
    }

    impl Default for RecordOnlyVerifier {
        fn default() -> Self {
            Self::new()
        }
    }

    impl ServerCertVerifier for RecordOnlyVerifier {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            if let Ok(mut chain) = self.chain.lock() {
                chain.clear();
                chain.push(end_entity.clone().into_owned());
                chain.extend(intermediates.iter().map(|c| c.clone().into_owned()));
            }
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    }
}
