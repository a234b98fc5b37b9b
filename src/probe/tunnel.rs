//! Talking to an HTTP proxy: `CONNECT host:443` for https, an absolute-form request for http,
//! with the proxy's answer (status line, headers, authentication challenges) kept as evidence.
//!
//! The exchange is written by hand so that whatever the proxy sends, garbage included, is
//! recorded as it came. A 407 starts a handshake with the authenticator the probe was given
//! (RFC 4559, MS-NLMP, RFC 7617): each token goes out in `Proxy-Authorization`, each 407 in
//! between is read to its end and its challenge handed back, all on one connection, because NTLM
//! authenticates the connection, not the request. Neither tokens nor credentials enter the
//! evidence.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::auth::scrub::Scrubber;
use crate::auth::{Authenticate, Authenticated, Scheme, Step};
use crate::net::tcp;
use crate::probe::{
    AuthAttempt, AuthOutcome, Header, HttpEvidence, ProbeFailure, ProxyEvidence, within,
};
use crate::route::ProxyAddr;
use crate::status::Stage;
use crate::url::Target;

/// The largest response head read from a proxy.
const MAX_HEAD: usize = 32 * 1024;
/// The largest 407 body read (by length or in chunks) to keep a connection for the handshake.
const MAX_DRAIN: usize = 64 * 1024;
/// At most this many requests carry `Proxy-Authorization` on one connection: NTLM needs two, a
/// proxy that wants more is looping.
pub(crate) const MAX_ROUNDS: u8 = 3;
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

/// Opens a tunnel with `CONNECT`, authenticating with `auth` when the proxy answers 407.
pub(crate) async fn connect(
    stream: TcpStream,
    proxy: &ProxyAddr,
    target: &Target,
    addresses: &[SocketAddr],
    auth: Option<&dyn Authenticate>,
    deadline: Duration,
) -> TunnelOutcome {
    let authority = connect_authority(target);
    let request_line = format!("CONNECT {authority}");
    let head = |auth: Option<&str>| request_head(&format!("CONNECT {authority}"), &authority, auth);
    let mut exchange = Exchange::new(proxy, request_line, addresses, deadline);
    let answer = match exchange.run(stream, head, auth).await {
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

/// Sends an absolute-form `GET` for a plain-http target through the proxy, authenticating with
/// `auth` when the proxy answers 407.
pub(crate) async fn forward(
    stream: TcpStream,
    proxy: &ProxyAddr,
    target: &Target,
    addresses: &[SocketAddr],
    auth: Option<&dyn Authenticate>,
    deadline: Duration,
) -> ForwardOutcome {
    let url = target.to_string();
    let request_line = format!("GET {url}");
    let host = target.authority();
    let head = |auth: Option<&str>| request_head(&format!("GET {url}"), &host, auth);
    let mut exchange = Exchange::new(proxy, request_line.clone(), addresses, deadline);
    let answer = match exchange.run(stream, head, auth).await {
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

/// The `Proxy-Authorization` value for a token: base64 after the scheme word, except for Basic,
/// whose token is already its base64 text.
fn authorization(scheme: Scheme, token: &[u8]) -> String {
    match scheme {
        Scheme::Basic => format!("Basic {}", String::from_utf8_lossy(token)),
        Scheme::Negotiate | Scheme::Ntlm => format!(
            "{} {}",
            scheme.word(),
            base64::engine::general_purpose::STANDARD.encode(token)
        ),
    }
}

/// One request to the proxy, and the handshake that follows a 407.
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
    /// `Transfer-Encoding: chunked`.
    chunked: bool,
    keep_alive: bool,
    /// Each `Proxy-Authenticate` challenge's scheme and token68, as sent (a bare scheme word has
    /// none). Handed to the handshake only; never recorded.
    tokens: Vec<(String, Option<String>)>,
    leftover: Vec<u8>,
}

impl ResponseHead {
    /// The challenge token for `scheme`: `None` when the proxy did not name the scheme again or
    /// named it bare (both mean the handshake cannot go on).
    fn token_for(&self, scheme: Scheme) -> Option<&str> {
        self.tokens
            .iter()
            .filter(|(word, _)| Scheme::from_word(word) == Some(scheme))
            .find_map(|(_, token)| token.as_deref())
    }
}

/// How reading an answer ended without one.
enum NoAnswer {
    /// The proxy closed (or reset) the connection before sending a byte.
    Closed(ProbeFailure),
    /// Anything else: a deadline, half an answer, something that is not HTTP.
    Failed(ProbeFailure),
}

impl NoAnswer {
    fn into_failure(self) -> ProbeFailure {
        match self {
            Self::Closed(failure) | Self::Failed(failure) => failure,
        }
    }
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

    /// Sends the request without credentials, and on a 407 whose schemes `auth` can answer,
    /// runs the handshake; returns the proxy's last answer.
    async fn run(
        &mut self,
        mut stream: TcpStream,
        head: impl Fn(Option<&str>) -> String,
        auth: Option<&dyn Authenticate>,
    ) -> Result<Answer, ProbeFailure> {
        self.scrubber = auth.map(Authenticate::scrubber).unwrap_or_default();
        let first = self
            .send(&mut stream, &head(None))
            .await
            .map_err(NoAnswer::into_failure)?;
        self.record(&first, true);
        let Some(auth) = auth.filter(|_| first.status == 407) else {
            return Ok(answer(first, stream));
        };
        let offered: Vec<&str> = self
            .evidence
            .challenges
            .iter()
            .map(|c| c.scheme.as_str())
            .collect();
        let Some(scheme) = auth.choose(&offered) else {
            return Ok(answer(first, stream));
        };
        let mut attempt = AuthAttempt {
            scheme: scheme.word().to_owned(),
            presenting: auth.presenting(),
            authenticated: Authenticated::default(),
            rounds: 0,
            outcome: AuthOutcome::Rejected,
            status: Some(first.status),
            notes: Vec::new(),
        };
        let result = self
            .handshake(&mut stream, &head, auth, scheme, first, &mut attempt)
            .await;
        if let Err(failure) = &result
            && !matches!(attempt.outcome, AuthOutcome::Failed { .. })
        {
            attempt.outcome = AuthOutcome::Failed {
                reason: describe(failure),
            };
        }
        self.evidence.auth = Some(attempt);
        let last = result?;
        Ok(answer(last, stream))
    }

    /// The handshake after the first 407 (`first`): on the same connection when the proxy keeps
    /// it, else once on a new one; at most [`MAX_ROUNDS`] tokens per connection. Returns the
    /// proxy's last answer and leaves the outcome in `attempt`.
    async fn handshake(
        &mut self,
        stream: &mut TcpStream,
        head: &impl Fn(Option<&str>) -> String,
        auth: &dyn Authenticate,
        scheme: Scheme,
        first: ResponseHead,
        attempt: &mut AuthAttempt,
    ) -> Result<ResponseHead, ProbeFailure> {
        let mut reconnected = false;
        if !(first.keep_alive && self.drain(stream, &first).await) {
            *stream = self.reconnect().await?;
            reconnected = true;
            attempt.notes.push(if first.keep_alive {
                "the body of the proxy's first 407 could not be read to its end; dapreflight \
                 started again on a new connection"
                    .to_owned()
            } else {
                "the proxy closed the connection after its first 407; dapreflight started \
                 again on a new one"
                    .to_owned()
            });
        }
        let mut last = first;
        let proxy_host = self.evidence.address.host.clone();
        // One pass per connection: the first, and at most one more after a silent close.
        for _ in 0..2 {
            let mut handshake = auth
                .begin(scheme, &proxy_host)
                .map_err(|err| failed(attempt, scheme, err.to_string()))?;
            attempt.rounds = 0;
            // The handshake's own notes follow the probe's; each answer replaces them.
            let own_notes = attempt.notes.len();
            let mut challenge: Option<Vec<u8>> = None;
            loop {
                let token = match handshake.step(challenge.as_deref()) {
                    Ok(Step::Send(token)) => token,
                    Ok(Step::Done) if attempt.rounds == 0 => {
                        return Err(failed(
                            attempt,
                            scheme,
                            "the authenticator had nothing to send".to_owned(),
                        ));
                    }
                    // Nothing more to say, and the proxy still asks: rejected.
                    Ok(Step::Done) => return Ok(last),
                    Err(err) => return Err(failed(attempt, scheme, err.to_string())),
                };
                if attempt.rounds >= MAX_ROUNDS {
                    attempt.notes.push(format!(
                        "the proxy still asked after {MAX_ROUNDS} rounds; dapreflight stopped"
                    ));
                    return Ok(last);
                }
                attempt.rounds += 1;
                let request = head(Some(&authorization(scheme, &token)));
                let reply = match self.send(stream, &request).await {
                    Ok(reply) => reply,
                    // The proxy closed after its unauthenticated 407 without saying so: start
                    // again on a new connection, once.
                    Err(NoAnswer::Closed(_)) if challenge.is_none() && !reconnected => {
                        *stream = self.reconnect().await?;
                        reconnected = true;
                        attempt.notes.push(
                            "the proxy closed the connection after its first 407 without \
                             saying so; dapreflight started again on a new one"
                                .to_owned(),
                        );
                        break;
                    }
                    Err(NoAnswer::Closed(_)) => {
                        return Err(failed(attempt, scheme, closed_between(scheme)));
                    }
                    Err(NoAnswer::Failed(failure)) => return Err(failure),
                };
                self.record(&reply, false);
                attempt.status = Some(reply.status);
                attempt.authenticated = handshake.authenticated();
                attempt.notes.truncate(own_notes);
                attempt.notes.extend(handshake.notes());
                if reply.status != 407 {
                    attempt.outcome = match reply.status {
                        400..=499 => AuthOutcome::Denied,
                        _ => AuthOutcome::Accepted,
                    };
                    return Ok(reply);
                }
                let Some(encoded) = reply.token_for(scheme) else {
                    // A bare scheme word, or no offer for it: start over, i.e. rejected.
                    return Ok(reply);
                };
                let decoded = base64::engine::general_purpose::STANDARD
                    .decode(encoded.trim())
                    .map_err(|_| {
                        failed(
                            attempt,
                            scheme,
                            format!("the proxy's {scheme} challenge is not base64"),
                        )
                    })?;
                if !(reply.keep_alive && self.drain(stream, &reply).await) {
                    return Err(failed(attempt, scheme, closed_between(scheme)));
                }
                challenge = Some(decoded);
                last = reply;
            }
        }
        Err(failed(attempt, scheme, closed_between(scheme)))
    }

    /// A new connection to the proxy, within the stage's deadline.
    async fn reconnect(&self) -> Result<TcpStream, ProbeFailure> {
        let (fresh, _) = tcp::connect(self.addresses, self.deadline)
            .await
            .map_err(ProbeFailure::from)?;
        Ok(fresh)
    }

    /// Writes `request` and reads the response head, within the stage's deadline.
    async fn send(
        &mut self,
        stream: &mut TcpStream,
        request: &str,
    ) -> Result<ResponseHead, NoAnswer> {
        let exchanged = within(Stage::Proxy, self.deadline, async {
            if let Err(err) = stream.write_all(request.as_bytes()).await {
                return Err(NoAnswer::Closed(closed(&err)));
            }
            read_head(stream, &self.scrubber).await
        })
        .await;
        exchanged.map_err(NoAnswer::Failed)?
    }

    /// Reads the rest of a 407's body (by length or in chunks, at most [`MAX_DRAIN`] bytes)
    /// so the connection can carry the next request; false when that is not possible.
    async fn drain(&self, stream: &mut TcpStream, head: &ResponseHead) -> bool {
        tokio::time::timeout(self.deadline, drain_body(stream, head))
            .await
            .unwrap_or(false)
    }

    /// Keeps what the proxy said; `offers`: the challenges are the schemes the proxy offers
    /// (its first answer), not a step of a handshake.
    fn record(&mut self, head: &ResponseHead, offers: bool) {
        self.evidence.status = Some(head.status);
        self.evidence.status_line = Some(head.status_line.clone());
        self.evidence.headers.clone_from(&head.headers);
        if !offers {
            return;
        }
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
                Some(attempt) if attempt.outcome == AuthOutcome::Rejected => {
                    ProbeFailure::ProxyAuthRejected {
                        scheme: attempt.scheme.clone(),
                        status,
                        account: attempt.account().map(str::to_owned),
                    }
                }
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

/// Marks `attempt` failed for `reason` and returns the probe's failure.
fn failed(attempt: &mut AuthAttempt, scheme: Scheme, reason: String) -> ProbeFailure {
    attempt.outcome = AuthOutcome::Failed {
        reason: reason.clone(),
    };
    ProbeFailure::ProxyAuthFailed {
        scheme: scheme.word().to_owned(),
        reason,
    }
}

/// Why a handshake ends when the proxy closes between its messages.
fn closed_between(scheme: Scheme) -> String {
    match scheme {
        Scheme::Basic => {
            "the proxy closed the connection before answering the Basic credentials".to_owned()
        }
        Scheme::Ntlm | Scheme::Negotiate => format!(
            "the proxy closed the connection between {scheme} messages: {scheme} authenticates \
             a connection, so the proxy must keep it open"
        ),
    }
}

/// A failure in words, for an attempt that ended with it.
fn describe(failure: &ProbeFailure) -> String {
    match failure {
        ProbeFailure::Timeout { after_ms, .. } => {
            format!("the proxy did not answer within {after_ms} ms")
        }
        ProbeFailure::ProxyError { reason, .. }
        | ProbeFailure::ProxyAuthFailed { reason, .. }
        | ProbeFailure::ConnectFailed { reason, .. } => reason.clone(),
        other => format!("{other:?}"),
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

/// Reads the body that follows `head` to its end, when it is small enough: by `Content-Length`,
/// or chunk by chunk. False when it cannot be delimited, is too large, or the peer went away.
async fn drain_body(stream: &mut (impl AsyncRead + Unpin), head: &ResponseHead) -> bool {
    if head.chunked {
        return drain_chunked(stream, head.leftover.clone()).await;
    }
    let Some(length) = head.content_length.filter(|len| *len <= MAX_DRAIN) else {
        return false;
    };
    let mut left = length.saturating_sub(head.leftover.len());
    let mut buf = [0u8; 4096];
    while left > 0 {
        let want = left.min(buf.len());
        match stream.read(&mut buf[..want]).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
    true
}

/// Reads a chunked body (RFC 9112 §7.1) to its last chunk and trailers, `buf` holding what
/// already came; at most [`MAX_DRAIN`] bytes plus the chunk lines. It reads in blocks, which is
/// safe because dapreflight never pipelines: the proxy sends nothing more until it is asked.
async fn drain_chunked(stream: &mut (impl AsyncRead + Unpin), mut buf: Vec<u8>) -> bool {
    let limit = MAX_DRAIN + 4096;
    let mut pos = 0;
    let mut last_chunk = false;
    // Each pass consumes a chunk (or a trailer line); each needs at least three bytes, so the
    // limit bounds the passes.
    for _ in 0..=limit {
        let Some(line_end) = line_at(stream, &mut buf, pos, limit).await else {
            return false;
        };
        let line = &buf[pos..line_end];
        pos = line_end + 2;
        if last_chunk {
            // A trailer line; the empty one ends the body.
            if line.is_empty() {
                return true;
            }
            continue;
        }
        let size = std::str::from_utf8(line)
            .ok()
            .and_then(|text| text.split(';').next())
            .and_then(|text| usize::from_str_radix(text.trim(), 16).ok());
        let Some(size) = size.filter(|size| *size <= MAX_DRAIN) else {
            return false;
        };
        if size == 0 {
            last_chunk = true;
            continue;
        }
        let end = pos + size + 2;
        while buf.len() < end {
            if !fill(stream, &mut buf, limit).await {
                return false;
            }
        }
        if &buf[end - 2..end] != b"\r\n" {
            return false;
        }
        pos = end;
    }
    false
}

/// The end of the CRLF-terminated line at `pos`, reading more as needed (up to `limit` bytes).
async fn line_at(
    stream: &mut (impl AsyncRead + Unpin),
    buf: &mut Vec<u8>,
    pos: usize,
    limit: usize,
) -> Option<usize> {
    loop {
        if let Some(found) = buf
            .get(pos..)
            .and_then(|rest| rest.windows(2).position(|w| w == b"\r\n"))
        {
            return Some(pos + found);
        }
        if !fill(stream, buf, limit).await {
            return None;
        }
    }
}

/// Appends what the stream has to `buf`; false at EOF, on an error, or past `limit` bytes.
async fn fill(stream: &mut (impl AsyncRead + Unpin), buf: &mut Vec<u8>, limit: usize) -> bool {
    if buf.len() > limit {
        return false;
    }
    let mut chunk = [0u8; 4096];
    match stream.read(&mut chunk).await {
        Ok(0) | Err(_) => false,
        Ok(n) => {
            buf.extend_from_slice(&chunk[..n]);
            true
        }
    }
}

/// Reads one HTTP/1.x response head, at most [`MAX_HEAD`] bytes.
///
/// Everything kept from it passes through `scrubber` first, whole, before it is shortened.
async fn read_head(stream: &mut TcpStream, scrubber: &Scrubber) -> Result<ResponseHead, NoAnswer> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    loop {
        let n = match stream.read(&mut chunk).await {
            Ok(n) => n,
            Err(err) if buf.is_empty() => return Err(NoAnswer::Closed(closed(&err))),
            Err(err) => return Err(NoAnswer::Failed(closed(&err))),
        };
        if n == 0 {
            if buf.is_empty() {
                return Err(NoAnswer::Closed(ProbeFailure::ProxyError {
                    status: None,
                    reason: "the proxy closed the connection without answering".to_owned(),
                }));
            }
            return Err(NoAnswer::Failed(ProbeFailure::ProxyError {
                status: None,
                reason: format!(
                    "the proxy closed the connection in the middle of its answer: {}",
                    excerpt(&scrubber.bytes(&buf))
                ),
            }));
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(head) = parse_head(&buf, scrubber).map_err(NoAnswer::Failed)? {
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
    let mut chunked = false;
    let mut tokens = Vec::new();
    let mut close = response.version == Some(0);
    for header in response.headers.iter() {
        let value = clean(&scrubber.bytes(header.value));
        let name = header.name.to_ascii_lowercase();
        if name == "content-length" {
            content_length = value.trim().parse().ok();
        }
        if name == "transfer-encoding" && value.to_ascii_lowercase().contains("chunked") {
            chunked = true;
        }
        if name == "proxy-authenticate" {
            tokens.extend(challenge_tokens(&String::from_utf8_lossy(header.value)));
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
        chunked,
        keep_alive: !close,
        tokens,
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

/// Each challenge's scheme and token68 in one `Proxy-Authenticate` value, as sent: `NTLM
/// TlRMTVNTUAACAAAA...` gives the token, a bare `NTLM` none.
fn challenge_tokens(value: &str) -> Vec<(String, Option<String>)> {
    split_list(value)
        .iter()
        .map(|item| item.trim())
        .filter(|item| !item.is_empty() && auth_param(item).is_none())
        .filter_map(|item| {
            let (scheme, rest) = match item.split_once([' ', '\t']) {
                Some((scheme, rest)) => (scheme, rest.trim()),
                None => (item, ""),
            };
            is_token(scheme).then(|| {
                let token = is_token68(rest).then(|| rest.to_owned());
                (scheme.to_owned(), token)
            })
        })
        .collect()
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
    use crate::auth::Credentials;

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
        let token = base64::engine::general_purpose::STANDARD.encode("alice:s3cret-pw");
        let basic = format!("Basic {token}");
        let token = token.as_str();
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

    fn head(raw: &str) -> ResponseHead {
        parse_head(raw.as_bytes(), &Scrubber::default())
            .expect("HTTP")
            .expect("a whole head")
    }

    #[test]
    fn the_challenge_token_is_read_for_the_scheme_sent_and_a_bare_word_has_none() {
        let answer = head(
            "HTTP/1.1 407 x\r\nProxy-Authenticate: Negotiate\r\n\
             Proxy-Authenticate: NTLM TlRMTVNTUAACAAAA\r\n\
             Proxy-Authenticate: Basic realm=\"corp\"\r\n\r\n",
        );
        assert_eq!(answer.token_for(Scheme::Ntlm), Some("TlRMTVNTUAACAAAA"));
        assert_eq!(answer.token_for(Scheme::Negotiate), None);
        assert_eq!(answer.token_for(Scheme::Basic), None);
        let padded = head("HTTP/1.1 407 x\r\nProxy-Authenticate: negotiate YII=, Basic\r\n\r\n");
        assert_eq!(padded.token_for(Scheme::Negotiate), Some("YII="));
    }

    #[test]
    fn a_long_challenge_token_reaches_the_handshake_whole() {
        let token = "A".repeat(600);
        let answer = head(&format!(
            "HTTP/1.1 407 x\r\nProxy-Authenticate: NTLM {token}\r\n\r\n"
        ));
        assert_eq!(answer.token_for(Scheme::Ntlm), Some(token.as_str()));
        assert!(
            answer.headers[0].value.len() < 300,
            "the recorded value is short"
        );
    }

    #[tokio::test]
    async fn chunked_and_sized_bodies_are_drained_to_their_end_and_no_further() {
        let chunked = head("HTTP/1.1 407 x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel");
        let mut rest: &[u8] = b"lo\r\nA;ext=1\r\n0123456789\r\n0\r\nX-T: y\r\n\r\n";
        assert!(drain_body(&mut rest, &chunked).await);
        let sized = head("HTTP/1.1 407 x\r\nContent-Length: 10\r\n\r\n1234");
        let mut rest: &[u8] = b"567890NEXT";
        assert!(drain_body(&mut rest, &sized).await);
        assert_eq!(rest, b"NEXT", "nothing past a sized body is read");
        // Cut short, malformed, too large, or undelimited: the connection cannot be kept.
        let mut cut: &[u8] = b"lo\r\n";
        assert!(!drain_body(&mut cut, &chunked).await);
        let bad = head("HTTP/1.1 407 x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n");
        assert!(!drain_body(&mut &b""[..], &bad).await);
        let huge = head("HTTP/1.1 407 x\r\nContent-Length: 10000000\r\n\r\n");
        assert!(!drain_body(&mut &b""[..], &huge).await);
        let open = head("HTTP/1.1 407 x\r\n\r\n");
        assert!(!drain_body(&mut &b""[..], &open).await);
        let endless = format!("{:x}\r\n", MAX_DRAIN + 1);
        let endless = head(&format!(
            "HTTP/1.1 407 x\r\nTransfer-Encoding: chunked\r\n\r\n{endless}"
        ));
        assert!(!drain_body(&mut &b""[..], &endless).await);
    }

    #[test]
    fn garbage_is_shown_escaped_and_short() {
        let shown = excerpt(b"\x16\x03\x01garbage\r\n");
        assert_eq!(shown, "\"\\x16\\x03\\x01garbage\\r\\n\"");
    }
}
