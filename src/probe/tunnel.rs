//! Talking to an HTTP proxy: `CONNECT host:443` for https, an absolute-form request for http,
//! with the proxy's answer (status line, headers, authentication challenges) kept as evidence.
//!
//! The exchange is written by hand so that whatever the proxy sends, garbage included, is
//! recorded as it came. A 407 offering Basic is retried once with the credentials from the
//! environment; the credentials never enter the evidence.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::auth::Credentials;
use crate::auth::scrub::Scrubber;
use crate::net::tcp;
use crate::probe::{AuthAttempt, Header, HttpEvidence, ProbeFailure, ProxyEvidence, within};
use crate::route::ProxyAddr;
use crate::status::Stage;
use crate::url::Target;

/// The largest response head read from a proxy.
const MAX_HEAD: usize = 32 * 1024;
/// The largest response body read to keep a connection for the retry.
const MAX_DRAIN: usize = 64 * 1024;
/// Response headers worth showing an admin.
const HEADERS_OF_INTEREST: &[&str] = &[
    "proxy-authenticate",
    "proxy-agent",
    "proxy-status",
    "via",
    "server",
    "x-squid-error",
    "x-cache",
    "location",
    "retry-after",
    "connection",
    "proxy-connection",
];

/// One authentication challenge from a `Proxy-Authenticate` header (RFC 9110 §11).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Challenge {
    /// The scheme as sent (`Negotiate`, `NTLM`, `Basic`, `Digest`, ...).
    pub scheme: String,
    /// Its parameters (`realm`, ...), in order; a token68 is not kept. A JSON object.
    pub params: Vec<(String, String)>,
}

/// A CONNECT exchange: what the proxy said, and the tunnel if it opened one.
pub(crate) struct TunnelOutcome {
    pub evidence: ProxyEvidence,
    pub stream: Result<TcpStream, ProbeFailure>,
}

/// A plain-http request through a proxy: what it said and, if it relayed one, the answer.
pub(crate) struct ForwardOutcome {
    pub evidence: ProxyEvidence,
    pub http: Option<HttpEvidence>,
    pub result: Result<(), ProbeFailure>,
}

/// Opens a tunnel with `CONNECT`, retrying once with Basic credentials after a 407 that offers it.
pub(crate) async fn connect(
    stream: TcpStream,
    proxy: &ProxyAddr,
    target: &Target,
    addresses: &[SocketAddr],
    credentials: Option<&Credentials>,
    deadline: Duration,
) -> TunnelOutcome {
    let authority = connect_authority(target);
    let request_line = format!("CONNECT {authority}");
    let head = |auth: Option<&str>| request_head(&format!("CONNECT {authority}"), &authority, auth);
    let mut exchange = Exchange::new(proxy, request_line, addresses, deadline);
    let answer = match exchange.run(stream, head, credentials).await {
        Ok(answer) => answer,
        Err(failure) => {
            return TunnelOutcome {
                evidence: exchange.evidence,
                stream: Err(failure),
            };
        }
    };
    let stream = match answer.status {
        200..=299 if !answer.leftover => Ok(answer.stream),
        200..=299 => Err(ProbeFailure::ProxyError {
            status: Some(answer.status),
            reason: "the proxy sent data after accepting the CONNECT, before the TLS handshake"
                .to_owned(),
        }),
        status => Err(exchange.refusal(status)),
    };
    TunnelOutcome {
        evidence: exchange.evidence,
        stream,
    }
}

/// Sends an absolute-form `GET` for a plain-http target through the proxy.
pub(crate) async fn forward(
    stream: TcpStream,
    proxy: &ProxyAddr,
    target: &Target,
    addresses: &[SocketAddr],
    credentials: Option<&Credentials>,
    deadline: Duration,
) -> ForwardOutcome {
    let url = target.to_string();
    let request_line = format!("GET {url}");
    let host = target.authority();
    let head = |auth: Option<&str>| request_head(&format!("GET {url}"), &host, auth);
    let mut exchange = Exchange::new(proxy, request_line.clone(), addresses, deadline);
    let answer = match exchange.run(stream, head, credentials).await {
        Ok(answer) => answer,
        Err(failure) => {
            return ForwardOutcome {
                evidence: exchange.evidence,
                http: None,
                result: Err(failure),
            };
        }
    };
    if answer.status == 407 {
        let failure = exchange.refusal(407);
        return ForwardOutcome {
            evidence: exchange.evidence,
            http: None,
            result: Err(failure),
        };
    }
    let http = HttpEvidence {
        request: request_line,
        status: answer.status,
        reason: answer.reason,
        headers: exchange.evidence.headers.clone(),
    };
    ForwardOutcome {
        evidence: exchange.evidence,
        http: Some(http),
        result: Ok(()),
    }
}

/// The authority for `CONNECT`: always with the port (RFC 9110 §9.3.6).
fn connect_authority(target: &Target) -> String {
    let host = if target.host.contains(':') {
        format!("[{}]", target.host)
    } else {
        target.host.clone()
    };
    format!("{host}:{}", target.port)
}

/// A request head to the proxy: `line` (method and target), `Host`, and the credentials if any.
fn request_head(line: &str, host: &str, auth: Option<&str>) -> String {
    let mut head = format!(
        "{line} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: {}\r\nAccept: */*\r\n\
         Proxy-Connection: Keep-Alive\r\n",
        crate::net::http::USER_AGENT
    );
    if let Some(auth) = auth {
        let _ = write!(head, "Proxy-Authorization: {auth}\r\n");
    }
    head.push_str("\r\n");
    head
}

/// One request to the proxy, with at most one retry carrying credentials.
struct Exchange<'a> {
    evidence: ProxyEvidence,
    addresses: &'a [SocketAddr],
    deadline: Duration,
    /// Removes the held credentials from whatever the proxy answers, before it is recorded.
    scrubber: Scrubber,
}

/// The proxy's final answer, with the connection it came on.
struct Answer {
    status: u16,
    reason: String,
    stream: TcpStream,
    /// Bytes followed the response head (wrong for a CONNECT, which must wait for the client).
    leftover: bool,
}

/// A parsed response head.
pub(crate) struct ResponseHead {
    status: u16,
    reason: String,
    status_line: String,
    headers: Vec<Header>,
    content_length: Option<usize>,
    keep_alive: bool,
    leftover: Vec<u8>,
}

impl<'a> Exchange<'a> {
    fn new(
        proxy: &ProxyAddr,
        request: String,
        addresses: &'a [SocketAddr],
        deadline: Duration,
    ) -> Self {
        Self {
            evidence: ProxyEvidence {
                address: proxy.clone(),
                request,
                status: None,
                status_line: None,
                headers: Vec::new(),
                challenges: Vec::new(),
                auth: None,
            },
            addresses,
            deadline,
            scrubber: Scrubber::default(),
        }
    }

    async fn run(
        &mut self,
        mut stream: TcpStream,
        head: impl Fn(Option<&str>) -> String,
        credentials: Option<&Credentials>,
    ) -> Result<Answer, ProbeFailure> {
        self.scrubber = credentials.map(Credentials::scrubber).unwrap_or_default();
        let first = self.send(&mut stream, &head(None)).await?;
        self.record(&first);
        let basic_offered = self
            .evidence
            .challenges
            .iter()
            .any(|c| c.scheme.eq_ignore_ascii_case("basic"));
        let (Some(credentials), 407, true) = (credentials, first.status, basic_offered) else {
            return Ok(answer(first, stream));
        };
        // Retry on the same connection when the proxy kept it open and the body was drained;
        // otherwise on a fresh one.
        let reusable = first.keep_alive && self.drain(&mut stream, &first).await;
        if !reusable {
            let (fresh, _) = tcp::connect(self.addresses, self.deadline)
                .await
                .map_err(ProbeFailure::from)?;
            stream = fresh;
        }
        let retry = self
            .send(&mut stream, &head(Some(&credentials.basic())))
            .await?;
        self.evidence.auth = Some(AuthAttempt {
            scheme: "Basic".to_owned(),
            accepted: retry.status != 407,
            status: Some(retry.status),
        });
        self.record(&retry);
        Ok(answer(retry, stream))
    }

    /// Writes `request` and reads the response head, within the stage's deadline.
    async fn send(
        &mut self,
        stream: &mut TcpStream,
        request: &str,
    ) -> Result<ResponseHead, ProbeFailure> {
        within(Stage::Proxy, self.deadline, async {
            stream
                .write_all(request.as_bytes())
                .await
                .map_err(|err| closed(&err))?;
            read_head(stream, &self.scrubber).await
        })
        .await?
    }

    /// Reads the rest of a small response body so the connection can carry the retry.
    async fn drain(&self, stream: &mut TcpStream, head: &ResponseHead) -> bool {
        let Some(length) = head.content_length.filter(|len| *len <= MAX_DRAIN) else {
            return false;
        };
        let mut left = length.saturating_sub(head.leftover.len());
        let mut buf = [0u8; 4096];
        let drained = tokio::time::timeout(self.deadline, async {
            while left > 0 {
                match stream.read(&mut buf).await {
                    Ok(0) | Err(_) => return false,
                    Ok(n) => left = left.saturating_sub(n),
                }
            }
            true
        })
        .await;
        drained.unwrap_or(false)
    }

    fn record(&mut self, head: &ResponseHead) {
        self.evidence.status = Some(head.status);
        self.evidence.status_line = Some(head.status_line.clone());
        self.evidence.headers.clone_from(&head.headers);
        let challenges: Vec<Challenge> = head
            .headers
            .iter()
            .filter(|h| h.name.eq_ignore_ascii_case("proxy-authenticate"))
            .flat_map(|h| parse_challenges(&h.value))
            .collect();
        if head.status == 407 || !challenges.is_empty() {
            self.evidence.challenges = challenges;
        }
    }

    /// The failure for a non-2xx answer from the proxy.
    fn refusal(&self, status: u16) -> ProbeFailure {
        let reason = self
            .evidence
            .status_line
            .clone()
            .unwrap_or_else(|| status.to_string());
        match status {
            407 => match &self.evidence.auth {
                Some(attempt) if !attempt.accepted => ProbeFailure::ProxyAuthRejected {
                    scheme: attempt.scheme.clone(),
                    status,
                },
                _ => ProbeFailure::ProxyAuthRequired {
                    schemes: self
                        .evidence
                        .challenges
                        .iter()
                        .map(|c| c.scheme.clone())
                        .collect(),
                },
            },
            400..=499 | 511 => ProbeFailure::ProxyDenied { status, reason },
            _ => ProbeFailure::ProxyError {
                status: Some(status),
                reason,
            },
        }
    }
}

fn answer(head: ResponseHead, stream: TcpStream) -> Answer {
    Answer {
        status: head.status,
        reason: head.reason,
        stream,
        leftover: !head.leftover.is_empty(),
    }
}

fn closed(err: &std::io::Error) -> ProbeFailure {
    ProbeFailure::ProxyError {
        status: None,
        reason: format!("the proxy closed the connection: {err}"),
    }
}

/// Reads one HTTP/1.x response head, at most [`MAX_HEAD`] bytes.
///
/// Everything kept from it passes through `scrubber` first, whole, before it is shortened.
async fn read_head(
    stream: &mut TcpStream,
    scrubber: &Scrubber,
) -> Result<ResponseHead, ProbeFailure> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = stream.read(&mut chunk).await.map_err(|err| closed(&err))?;
        if n == 0 {
            return Err(ProbeFailure::ProxyError {
                status: None,
                reason: if buf.is_empty() {
                    "the proxy closed the connection without answering".to_owned()
                } else {
                    format!(
                        "the proxy closed the connection in the middle of its answer: {}",
                        excerpt(&scrubber.bytes(&buf))
                    )
                },
            });
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head) = parse_head(&buf, scrubber)? {
            return Ok(head);
        }
    }
}

/// Parses the response head at the start of `buf`: `None` while it is incomplete and shorter
/// than [`MAX_HEAD`], a failure when it is not HTTP or too long.
pub(crate) fn parse_head(
    buf: &[u8],
    scrubber: &Scrubber,
) -> Result<Option<ResponseHead>, ProbeFailure> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => Ok(Some(head_from(&response, buf, len, scrubber))),
        Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => Ok(None),
        Ok(httparse::Status::Partial) => Err(ProbeFailure::ProxyError {
            status: None,
            reason: format!("the proxy's answer head is larger than {MAX_HEAD} bytes"),
        }),
        Err(err) => Err(ProbeFailure::ProxyError {
            status: None,
            reason: format!(
                "the proxy's answer is not HTTP ({err}): {}",
                excerpt(&scrubber.bytes(buf))
            ),
        }),
    }
}

fn head_from(
    response: &httparse::Response<'_, '_>,
    buf: &[u8],
    len: usize,
    scrubber: &Scrubber,
) -> ResponseHead {
    let status = response.code.unwrap_or_default();
    let reason = scrubber.text(response.reason.unwrap_or_default());
    let version = if response.version == Some(0) {
        "1.0"
    } else {
        "1.1"
    };
    let mut headers = Vec::new();
    let mut content_length = None;
    let mut close = response.version == Some(0);
    for header in response.headers.iter() {
        let value = clean(&scrubber.bytes(header.value));
        let name = header.name.to_ascii_lowercase();
        if name == "content-length" {
            content_length = value.trim().parse().ok();
        }
        if name == "connection" || name == "proxy-connection" {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                close = true;
            } else if value.contains("keep-alive") {
                close = false;
            }
        }
        if HEADERS_OF_INTEREST.contains(&name.as_str()) {
            headers.push(Header {
                name: header.name.to_owned(),
                value,
            });
        }
    }
    ResponseHead {
        status,
        status_line: format!("HTTP/{version} {status} {reason}")
            .trim_end()
            .to_owned(),
        reason,
        headers,
        content_length,
        keep_alive: !close,
        leftover: buf[len..].to_vec(),
    }
}

/// A header value made printable and short.
pub(crate) fn clean(value: &[u8]) -> String {
    let text: String = String::from_utf8_lossy(value)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if text.chars().count() > 200 {
        let cut: String = text.chars().take(200).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// The first bytes of something that is not HTTP, escaped for a one-line report.
fn excerpt(bytes: &[u8]) -> String {
    let shown: String = bytes
        .iter()
        .take(48)
        .flat_map(|b| std::ascii::escape_default(*b))
        .map(char::from)
        .collect();
    if bytes.len() > 48 {
        format!("\"{shown}…\"")
    } else {
        format!("\"{shown}\"")
    }
}

/// Parses one `Proxy-Authenticate` value, which may hold several challenges (RFC 9110 §11.6.1).
///
/// `NTLM, Basic realm="a, b"` is two challenges; a comma inside a quoted string separates
/// nothing, and `name=value` items after a challenge are its parameters.
#[must_use]
pub(crate) fn parse_challenges(value: &str) -> Vec<Challenge> {
    let mut challenges: Vec<Challenge> = Vec::new();
    for item in split_list(value) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        if let Some((name, param_value)) = auth_param(item) {
            if let Some(last) = challenges.last_mut() {
                last.params.push((name, param_value));
            }
            continue;
        }
        let (scheme, rest) = match item.split_once([' ', '\t']) {
            Some((scheme, rest)) => (scheme, rest.trim()),
            None => (item, ""),
        };
        if !is_token(scheme) {
            continue;
        }
        let mut challenge = Challenge {
            scheme: scheme.to_owned(),
            params: Vec::new(),
        };
        if !rest.is_empty()
            && !is_token68(rest)
            && let Some(param) = auth_param(rest)
        {
            challenge.params.push(param);
        }
        challenges.push(challenge);
    }
    challenges
}

/// Splits a header list on commas outside quoted strings.
fn split_list(value: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        if escaped {
            current.push(c);
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => {
                current.push(c);
                escaped = true;
            }
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    items.push(current);
    items
}

/// `name = value` or `name = "quoted"`, unquoted; `None` if `item` is not an auth-param.
fn auth_param(item: &str) -> Option<(String, String)> {
    let (name, value) = item.split_once('=')?;
    let name = name.trim();
    if !is_token(name) {
        return None;
    }
    let value = value.trim();
    let value = if let Some(inner) = value.strip_prefix('"') {
        let inner = inner.strip_suffix('"')?;
        let mut out = String::new();
        let mut chars = inner.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                out.extend(chars.next());
            } else {
                out.push(c);
            }
        }
        out
    } else if is_token(value) {
        value.to_owned()
    } else {
        return None;
    };
    Some((name.to_ascii_lowercase(), value))
}

fn is_token(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c))
}

fn is_token68(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    !body.is_empty()
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~+/".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schemes(value: &str) -> Vec<String> {
        parse_challenges(value)
            .into_iter()
            .map(|c| c.scheme)
            .collect()
    }

    #[test]
    fn challenges_parse_per_rfc_9110() {
        let cases: [(&str, &[&str]); 8] = [
            ("Negotiate", &["Negotiate"]),
            ("NTLM, Basic realm=\"corp\"", &["NTLM", "Basic"]),
            ("Basic realm=\"a, b\", charset=\"UTF-8\"", &["Basic"]),
            (
                "Digest realm=\"x\", qop=\"auth\", nonce=\"abc\", Basic realm=\"y\"",
                &["Digest", "Basic"],
            ),
            ("Negotiate YIIBhgYGKwYBBQUCoIIBejCCAXag==", &["Negotiate"]),
            ("  ,  Kerberos ,", &["Kerberos"]),
            (
                "Bearer error=\"invalid\\\"quote\", NTLM",
                &["Bearer", "NTLM"],
            ),
            ("", &[]),
        ];
        for (value, expected) in cases {
            assert_eq!(schemes(value), expected, "{value}");
        }
    }

    #[test]
    fn challenge_parameters_are_kept_unquoted() {
        let parsed = parse_challenges("Basic realm=\"Corp \\\"HQ\\\", West\", charset=UTF-8");
        assert_eq!(parsed.len(), 1);
        assert_eq!(
            parsed[0].params,
            vec![
                ("realm".to_owned(), "Corp \"HQ\", West".to_owned()),
                ("charset".to_owned(), "UTF-8".to_owned())
            ]
        );
    }

    #[test]
    fn a_secret_at_the_cut_of_a_long_header_is_scrubbed_before_the_cut() {
        let credentials = Credentials::new("alice".to_owned(), "s3cret-pw".to_owned());
        let basic = credentials.basic();
        let token = basic.trim_start_matches("Basic ");
        let raw = format!(
            "HTTP/1.1 407 {basic}\r\nVia: {}{basic}\r\nServer: x\r\n\r\n",
            "v".repeat(190)
        );
        let mut headers = [httparse::EMPTY_HEADER; 8];
        let mut response = httparse::Response::new(&mut headers);
        let Ok(httparse::Status::Complete(len)) = response.parse(raw.as_bytes()) else {
            panic!("the head parses");
        };
        let head = head_from(&response, raw.as_bytes(), len, &credentials.scrubber());
        assert_eq!(head.status_line, "HTTP/1.1 407 [redacted]");
        let via = &head.headers[0].value;
        assert!(via.ends_with("[redacted]"), "{via}");
        assert!(!via.contains(&token[..4]), "{via}");
    }

    #[test]
    fn garbage_is_shown_escaped_and_short() {
        let shown = excerpt(b"\x16\x03\x01garbage\r\n");
        assert_eq!(shown, "\"\\x16\\x03\\x01garbage\\r\\n\"");
    }
}
