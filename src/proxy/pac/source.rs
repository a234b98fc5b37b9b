//! Loading a PAC script from a file or an `http://`/`https://` URL, with a deadline and a size cap.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use super::PacError;
use crate::input::{self, InputKind};
use crate::net::http::{self, Body, HttpError, Request};
use crate::url::{Scheme, Target};

/// The largest PAC accepted, as Windows' and Chromium's 1 MB limit: the same cap as a PAC file.
#[allow(clippy::cast_possible_truncation)] // 1 MiB fits every usize
pub(crate) const MAX_PAC_BYTES: usize = InputKind::Pac.max_bytes() as usize;

/// A PAC script's text and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PacSource {
    /// The file path or URL, as given.
    pub origin: String,
    pub text: String,
}

/// Reads the PAC at `location`: a file path, or an http(s) URL fetched directly (never through a
/// proxy, as Windows fetches PAC files) within `timeout`.
pub(crate) async fn load(location: &str, timeout: Duration) -> Result<PacSource, PacError> {
    let fail = |message: String| PacError::Load {
        origin: location.to_owned(),
        message,
    };
    let lower = location.to_ascii_lowercase();
    let bytes = if lower.starts_with("http://") || lower.starts_with("https://") {
        tokio::time::timeout(timeout, fetch(location, timeout))
            .await
            .map_err(|_| {
                fail(format!(
                    "no complete answer within {} ms",
                    timeout.as_millis()
                ))
            })?
            .map_err(fail)?
    } else {
        // A local file the user named: a short blocking read, within the PAC cap.
        input::read(Path::new(location), InputKind::Pac)?
    };
    Ok(PacSource {
        origin: location.to_owned(),
        text: decode(&bytes),
    })
}

/// UTF-8 when it is valid, else ISO-8859-1 (Chromium's default charset for PAC files).
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => bytes.iter().map(|b| char::from(*b)).collect(),
    }
}

async fn fetch(url: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    // The catalog's URL rules: http or https, no user-info, no fragment.
    let target = Target::parse(url)?;
    let authority = target.authority();
    let authority = authority.as_str();
    let Target {
        scheme,
        host,
        port,
        path,
    } = target;
    let https = scheme == Scheme::Https;
    let stream = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|err| format!("cannot connect to {authority}: {err}"))?;
    if https {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| format!("cannot set up TLS: {err}"))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|_| format!("'{host}' cannot be sent as a TLS server name"))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, stream)
            .await
            .map_err(|err| format!("TLS with {authority} failed: {err}"))?;
        get(stream, authority, &path, timeout).await
    } else {
        get(stream, authority, &path, timeout).await
    }
}

/// `GET` over the opened stream; the deadline is the caller's, around the whole load.
async fn get<S>(
    stream: S,
    authority: &str,
    path: &str,
    timeout: Duration,
) -> Result<Vec<u8>, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let request = Request {
        authority,
        path,
        max_body: Some(MAX_PAC_BYTES),
    };
    let response = http::get(stream, &request, timeout)
        .await
        .map_err(|err| match err {
            HttpError::Start(err) => format!("cannot start HTTP: {err}"),
            HttpError::Request(err) => format!("cannot build the request for '{path}': {err}"),
            HttpError::NoAnswer(err) => format!("no HTTP answer: {err}"),
            HttpError::Timeout { after_ms } => format!("no complete answer within {after_ms} ms"),
        })?;
    // Windows and Chromium accept a PAC only from a 200 answer.
    if response.status != hyper::StatusCode::OK {
        return Err(format!("the server answered {}", response.status));
    }
    let cannot_read = |why: &dyn std::fmt::Display| {
        format!("cannot read the PAC (at most {MAX_PAC_BYTES} bytes): {why}")
    };
    match response.body {
        Body::Complete(bytes) => Ok(bytes),
        Body::TooLarge { .. } => Err(cannot_read(&"length limit exceeded")),
        Body::BrokeOff { error, .. } => Err(cannot_read(&error)),
        Body::NotRead => Err(cannot_read(&"the body was not read")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pac_bytes_decode_as_utf8_or_latin1() {
        assert_eq!(decode(b"\xef\xbb\xbfvar a"), "var a");
        assert_eq!(decode("caf\u{e9}".as_bytes()), "caf\u{e9}");
        assert_eq!(decode(b"caf\xe9"), "caf\u{e9}");
    }
}
