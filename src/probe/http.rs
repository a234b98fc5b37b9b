//! The HTTP/1.1 request for the probe path, with hyper, over the connection the earlier stages
//! opened (TLS or plain). Only the response head is read.

use std::time::Duration;

use http_body_util::Empty;
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::probe::tunnel::clean;
use crate::probe::{Header, HttpEvidence, ProbeFailure, within};
use crate::status::Stage;
use crate::url::Target;

/// Response headers worth keeping from the service.
const HEADERS_OF_INTEREST: &[&str] = &["server", "location", "via", "content-type"];

/// Sends `GET <path>` to `target` and returns the status it answered with.
pub async fn get<S>(
    stream: S,
    target: &Target,
    deadline: Duration,
) -> Result<HttpEvidence, ProbeFailure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    within(Stage::Http, deadline, exchange(stream, target)).await?
}

async fn exchange<S>(stream: S, target: &Target) -> Result<HttpEvidence, ProbeFailure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let failed = |what: &str, err: hyper::Error| ProbeFailure::HttpFailed {
        reason: format!("{what}: {}", describe(&err)),
    };
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| failed("cannot start HTTP", err))?;
    // The connection task ends when `sender` is dropped or the peer closes.
    let driver = tokio::spawn(connection);
    let request = hyper::Request::get(target.path.as_str())
        .header(hyper::header::HOST, target.authority())
        .header(
            hyper::header::USER_AGENT,
            format!("dapreflight/{}", env!("CARGO_PKG_VERSION")),
        )
        .header(hyper::header::ACCEPT, "*/*")
        .header(hyper::header::CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|err| ProbeFailure::HttpFailed {
            reason: format!("cannot build the request for '{}': {err}", target.path),
        })?;
    let response = sender.send_request(request).await;
    driver.abort();
    let response = response.map_err(|err| failed("no HTTP answer", err))?;
    let reason = response
        .extensions()
        .get::<hyper::ext::ReasonPhrase>()
        .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned())
        .or_else(|| response.status().canonical_reason().map(str::to_owned))
        .unwrap_or_default();
    let headers = response
        .headers()
        .iter()
        .filter(|(name, _)| HEADERS_OF_INTEREST.contains(&name.as_str()))
        .map(|(name, value)| Header {
            name: name.as_str().to_owned(),
            value: clean(value.as_bytes()),
        })
        .collect();
    Ok(HttpEvidence {
        request: format!("GET {}", target.path),
        status: response.status().as_u16(),
        reason,
        headers,
    })
}

fn describe(err: &hyper::Error) -> String {
    if err.is_incomplete_message() {
        "the connection closed before a complete answer".to_owned()
    } else if err.is_parse() {
        format!("the answer is not valid HTTP ({err})")
    } else {
        err.to_string()
    }
}
