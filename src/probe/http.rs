//! The HTTP/1.1 request for the probe path over the connection the earlier stages opened (TLS or
//! plain), through the network floor's one GET. Only the response head is read.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::auth::scrub::Scrubber;
use crate::net::http::{self, HttpError, Request};
use crate::probe::tunnel::clean;
use crate::probe::{Header, HttpEvidence, ProbeFailure};
use crate::status::Stage;
use crate::url::Target;

/// Response headers worth keeping from the service.
const HEADERS_OF_INTEREST: &[&str] = &["server", "location", "via", "content-type"];

/// Sends `GET <path>` to `target` and returns the status it answered with.
///
/// What is kept of the answer passes through `scrubber` before it is shortened.
pub(crate) async fn get<S>(
    stream: S,
    target: &Target,
    deadline: Duration,
    scrubber: &Scrubber,
) -> Result<HttpEvidence, ProbeFailure>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let authority = target.authority();
    let request = Request {
        authority: &authority,
        path: &target.path,
        max_body: None,
    };
    let failed = |what: &str, err: &hyper::Error| ProbeFailure::HttpFailed {
        reason: format!("{what}: {}", http::describe(err)),
    };
    let response = http::get(stream, &request, deadline)
        .await
        .map_err(|err| match err {
            HttpError::Start(err) => failed("cannot start HTTP", &err),
            HttpError::NoAnswer(err) => failed("no HTTP answer", &err),
            HttpError::Request(err) => ProbeFailure::HttpFailed {
                reason: format!("cannot build the request for '{}': {err}", target.path),
            },
            HttpError::Timeout { after_ms } => ProbeFailure::Timeout {
                stage: Stage::Http,
                after_ms,
            },
        })?;
    let reason = response
        .reason
        .or_else(|| response.status.canonical_reason().map(str::to_owned))
        .unwrap_or_default();
    let reason = scrubber.text(&reason);
    let headers = response
        .headers
        .iter()
        .filter(|(name, _)| HEADERS_OF_INTEREST.contains(&name.as_str()))
        .map(|(name, value)| Header {
            name: name.as_str().to_owned(),
            value: clean(&scrubber.bytes(value.as_bytes())),
        })
        .collect();
    Ok(HttpEvidence {
        request: format!("GET {}", target.path),
        status: response.status.as_u16(),
        reason,
        headers,
    })
}
