//! One HTTP/1.1 `GET` (hyper) over a stream the caller opened: a deadline, a body size cap and
//! the one User-Agent. Used by the probe's request, WPAD's fetches and PAC loading.
//!
//! It never goes through a proxy and never follows a redirect: callers hand it the connection.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::StatusCode;
use hyper::body::Bytes;
use hyper::header::{self, HeaderMap};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::net::millis;

/// The User-Agent of every request dapreflight sends.
pub(crate) const USER_AGENT: &str = concat!("dapreflight/", env!("CARGO_PKG_VERSION"));

/// What to ask for: the `Host` header value and the origin-form target.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request<'a> {
    /// `host`, `host:port` or `[v6]:port`, as the `Host` header carries it.
    pub authority: &'a str,
    /// Path and query, starting with `/`.
    pub path: &'a str,
    /// Read the body of a 200 answer, up to this many bytes; `None` reads the head only.
    pub max_body: Option<usize>,
}

/// The answer: its head and, for a 200 answer when asked, its body.
#[derive(Debug)]
pub(crate) struct Response {
    pub status: StatusCode,
    /// The reason phrase as the server sent it, if it sent one.
    pub reason: Option<String>,
    pub headers: HeaderMap,
    pub body: Body,
}

/// What became of the body.
#[derive(Debug)]
pub(crate) enum Body {
    /// Not read: only the head was asked for, or the answer is not a 200.
    NotRead,
    /// Read to its end, within the cap.
    Complete(Vec<u8>),
    /// Larger than the cap; `read` bytes had arrived (0 when `Content-Length` said so at once).
    TooLarge { read: u64 },
    /// The connection broke off after `read` bytes.
    BrokeOff { read: u64, error: hyper::Error },
}

/// Why no answer came back.
#[derive(Debug)]
pub(crate) enum HttpError {
    /// The HTTP handshake over the stream failed.
    Start(hyper::Error),
    /// The request could not be built (a path or authority hyper refuses).
    Request(hyper::http::Error),
    /// The request was sent but no complete answer head came back.
    NoAnswer(hyper::Error),
    /// No answer (head and body) within the deadline.
    Timeout { after_ms: u64 },
}

/// Sends `GET` for `request` over `stream` and reads the answer within `deadline`.
pub(crate) async fn get<S>(
    stream: S,
    request: &Request<'_>,
    deadline: Duration,
) -> Result<Response, HttpError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    tokio::time::timeout(deadline, exchange(stream, request))
        .await
        .map_err(|_| HttpError::Timeout {
            after_ms: millis(deadline),
        })?
}

async fn exchange<S>(stream: S, request: &Request<'_>) -> Result<Response, HttpError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(HttpError::Start)?;
    // The connection task ends when the peer closes; it is aborted once the answer is read.
    let driver = tokio::spawn(connection);
    let result = async {
        let head = hyper::Request::get(request.path)
            .header(header::HOST, request.authority)
            .header(header::USER_AGENT, USER_AGENT)
            .header(header::ACCEPT, "*/*")
            .header(header::CONNECTION, "close")
            .body(Empty::<Bytes>::new())
            .map_err(HttpError::Request)?;
        let response = sender
            .send_request(head)
            .await
            .map_err(HttpError::NoAnswer)?;
        let reason = response
            .extensions()
            .get::<hyper::ext::ReasonPhrase>()
            .map(|r| String::from_utf8_lossy(r.as_bytes()).into_owned());
        let status = response.status();
        let headers = response.headers().clone();
        let body = match request.max_body {
            Some(max) if status == StatusCode::OK => read_body(response, max).await,
            _ => Body::NotRead,
        };
        Ok(Response {
            status,
            reason,
            headers,
            body,
        })
    }
    .await;
    driver.abort();
    result
}

/// Reads the body up to `max` bytes; a declared length past the cap stops before reading.
async fn read_body(response: hyper::Response<hyper::body::Incoming>, max: usize) -> Body {
    let declared = response
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|length| length > len_u64(max)) {
        return Body::TooLarge { read: 0 };
    }
    let mut body = response.into_body();
    let mut bytes = Vec::new();
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => {
                return Body::BrokeOff {
                    read: len_u64(bytes.len()),
                    error,
                };
            }
        };
        if let Ok(data) = frame.into_data() {
            if bytes.len().saturating_add(data.len()) > max {
                return Body::TooLarge { read: len_u64(max) };
            }
            bytes.extend_from_slice(&data);
        }
    }
    Body::Complete(bytes)
}

/// A hyper error in words an admin reads.
#[must_use]
pub(crate) fn describe(err: &hyper::Error) -> String {
    if err.is_incomplete_message() {
        "the connection closed before a complete answer".to_owned()
    } else if err.is_parse() {
        format!("the answer is not valid HTTP ({err})")
    } else {
        err.to_string()
    }
}

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

    use super::*;

    /// Reads one request head from `server`, answers `answer`, and returns the head.
    async fn serve(mut server: DuplexStream, answer: &'static [u8]) -> String {
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if server.read(&mut byte).await.expect("read") == 0 {
                break;
            }
            head.push(byte[0]);
        }
        server.write_all(answer).await.expect("write");
        server.shutdown().await.expect("shutdown");
        String::from_utf8_lossy(&head).into_owned()
    }

    async fn fetch(answer: &'static [u8], max_body: Option<usize>) -> (String, Response) {
        let (client, server) = tokio::io::duplex(64 * 1024);
        let server = tokio::spawn(serve(server, answer));
        let request = Request {
            authority: "pac.corp.example:8080",
            path: "/proxy.pac",
            max_body,
        };
        let response = get(client, &request, Duration::from_secs(5))
            .await
            .expect("an answer");
        (server.await.expect("server"), response)
    }

    #[tokio::test]
    async fn the_request_carries_host_and_the_one_user_agent() {
        let (head, response) = fetch(b"HTTP/1.1 204 Nothing Here\r\n\r\n", None).await;
        assert!(head.starts_with("GET /proxy.pac HTTP/1.1\r\n"), "{head}");
        assert!(head.contains("host: pac.corp.example:8080\r\n"), "{head}");
        assert!(
            head.contains(&format!("user-agent: {USER_AGENT}\r\n")),
            "{head}"
        );
        assert_eq!(response.status, StatusCode::NO_CONTENT);
        assert_eq!(response.reason.as_deref(), Some("Nothing Here"));
        assert!(matches!(response.body, Body::NotRead));
    }

    #[tokio::test]
    async fn a_200_body_is_read_up_to_the_cap() {
        let answer = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
        let (_, response) = fetch(answer, Some(5)).await;
        assert!(matches!(&response.body, Body::Complete(bytes) if bytes == b"hello"));
        let (_, response) = fetch(answer, Some(4)).await;
        assert!(matches!(response.body, Body::TooLarge { read: 0 }));
        let unsized_answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello";
        let (_, response) = fetch(unsized_answer, Some(4)).await;
        assert!(matches!(response.body, Body::TooLarge { read: 4 }));
    }

    #[tokio::test]
    async fn an_endless_chunked_body_stops_at_the_cap_while_reading() {
        let (client, mut server) = tokio::io::duplex(64 * 1024);
        // Offers up to 64 MiB in 64 KiB chunks; stops as soon as the client has gone.
        let server = tokio::spawn(async move {
            let mut head = [0u8; 1024];
            let _ = server.read(&mut head).await;
            let start = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
            if server.write_all(start).await.is_err() {
                return 0u64;
            }
            let mut chunk = b"10000\r\n".to_vec();
            chunk.extend(std::iter::repeat_n(b'x', 0x10000));
            chunk.extend_from_slice(b"\r\n");
            let mut sent = 0u64;
            for _ in 0..1024 {
                if server.write_all(&chunk).await.is_err() {
                    break;
                }
                sent += 0x10000;
            }
            sent
        });
        let request = Request {
            authority: "pac.corp.example",
            path: "/proxy.pac",
            max_body: Some(1024 * 1024),
        };
        let response = get(client, &request, Duration::from_secs(10))
            .await
            .expect("an answer");
        assert!(
            matches!(response.body, Body::TooLarge { read } if read == 1024 * 1024),
            "{:?}",
            response.body
        );
        let sent = server.await.expect("server");
        assert!(sent < 4 * 1024 * 1024, "the server sent {sent} bytes");
    }
}
