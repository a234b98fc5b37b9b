//! `FakeProxy`: an HTTP/1.1 forward proxy whose behaviour each test picks.
//!
//! It maps every upstream it is asked for to 127.0.0.1 (same port) when the host is `*.test`,
//! `localhost` or a loopback IP, and answers 502 for anything else, so it never leaves the
//! machine.

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_rustls::LazyConfigAcceptor;

use super::ntlm::{self, NtlmProxy, Pending};
use super::origin::{SeenRequest, bind, seen};
use super::{Background, Ca, MAX_ACCEPTS, is_loopback_host, read_head, spawn_connection};

/// What the proxy does with each request; one variant per situation a test recreates.
#[derive(Clone, Debug)]
pub enum ProxyBehavior {
    /// CONNECT → `200 Connection established` and relay; `GET http://…` → forward and relay.
    Tunnel,
    /// `407` with one `Proxy-Authenticate` header per challenge until the request carries
    /// `Proxy-Authorization: Basic base64(user:pass)` matching `accept`; then like `Tunnel`.
    RequireAuth {
        challenges: Vec<String>,
        accept: Option<(String, String)>,
    },
    /// Answers every request with this status and closes.
    Refuse(u16),
    /// CONNECT → 200, then terminates TLS with a leaf this CA issues for the client's SNI and
    /// answers `200` with `X-Intercepted: 1` itself; never contacts the origin.
    Intercept(Ca),
    /// Accepts and reads, never answers; holds the socket until the proxy is dropped.
    Stall,
    /// Answers any request with bytes that are not HTTP, then closes.
    Garbage,
    /// Answers CONNECT with 200, then closes at once.
    CloseAfterConnect,
    /// Like `Tunnel`, but waits this long before answering CONNECT or forwarding a request.
    Delay(Duration),
    /// Hostile: `407` offering Basic until a request carries `Proxy-Authorization`, then answers
    /// that request with this status and copies the credentials, in every encoding (the whole
    /// value, its token, the decoded `user:password`, the password, upper-cased and
    /// percent-encoded), into its status line, its headers and its body.
    ReflectAuth(u16),
    /// Windows Integrated Authentication by NTLM, verified: `407` offering the configured
    /// schemes; a NEGOTIATE (type 1) under `NTLM` or `Negotiate` → `407` with a CHALLENGE on
    /// the same connection; an AUTHENTICATE (type 3) whose NTLMv2 proof matches the known
    /// password → like `Tunnel` (or `403` when so configured), else `407` again.
    Ntlm(NtlmProxy),
}

/// One request head the proxy received from a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenProxyRequest {
    pub method: String,
    /// The request target: `host:port` for CONNECT, the absolute URL otherwise.
    pub target: String,
    pub proxy_authorization: Option<String>,
}

/// An HTTP proxy on 127.0.0.1 with one fixed `ProxyBehavior`.
pub struct FakeProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _task: Background,
}

/// The bytes `ProxyBehavior::Garbage` answers with: a TLS record header, then text.
pub const GARBAGE: &[u8] = b"\x16\x03\x01garbage, not HTTP\r\n\r\n";

const MAX_REQUESTS_PER_CONNECTION: usize = 100;
const MAX_BODY: usize = 1024 * 1024;

struct Shared {
    behavior: ProxyBehavior,
    connections: AtomicUsize,
    requests: Mutex<Vec<SeenProxyRequest>>,
    intercepted: Mutex<Vec<SeenRequest>>,
    /// Interception server configs, one per SNI name, so each name keeps one leaf.
    configs: Mutex<HashMap<String, Arc<rustls::ServerConfig>>>,
    /// `Ntlm`: the names that authenticated, and why each refused AUTHENTICATE was refused.
    ntlm_users: Mutex<Vec<String>>,
    ntlm_rejections: Mutex<Vec<String>>,
}

impl FakeProxy {
    /// Starts a proxy on 127.0.0.1:0 that behaves as `behavior` on every connection.
    pub async fn start(behavior: ProxyBehavior) -> FakeProxy {
        let listener = bind().await;
        let addr = listener
            .local_addr()
            .expect("a bound socket has an address");
        let shared = Arc::new(Shared {
            behavior,
            connections: AtomicUsize::new(0),
            requests: Mutex::default(),
            intercepted: Mutex::default(),
            configs: Mutex::default(),
            ntlm_users: Mutex::default(),
            ntlm_rejections: Mutex::default(),
        });
        let task_shared = Arc::clone(&shared);
        let task = Background::spawn(async move {
            let mut connections = JoinSet::new();
            for _ in 0..MAX_ACCEPTS {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                task_shared.connections.fetch_add(1, Ordering::Relaxed);
                spawn_connection(&mut connections, handle(tcp, Arc::clone(&task_shared)));
            }
        });
        FakeProxy {
            addr,
            shared,
            _task: task,
        }
    }

    /// The listening address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many TCP connections clients opened to the proxy.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Every request head clients sent to the proxy itself, oldest first.
    pub fn requests(&self) -> Vec<SeenProxyRequest> {
        lock(&self.shared.requests).clone()
    }

    /// `Ntlm`: the accounts whose NTLMv2 proof matched, as sent (`DOMAIN\\user`, or the user
    /// alone when the domain was empty), oldest first.
    pub fn authenticated_users(&self) -> Vec<String> {
        lock(&self.shared.ntlm_users).clone()
    }

    /// `Ntlm`: why each refused AUTHENTICATE message was refused, oldest first.
    pub fn ntlm_rejections(&self) -> Vec<String> {
        lock(&self.shared.ntlm_rejections).clone()
    }

    /// Requests `Intercept` answered inside intercepted TLS (or for plain `http://` URLs).
    pub fn intercepted(&self) -> Vec<SeenRequest> {
        lock(&self.shared.intercepted).clone()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().expect("no peer task panics holding the lock")
}

/// A parsed request head (and its body, when it declared a `Content-Length`).
struct ProxyRequest {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl ProxyRequest {
    fn parse(head: &[u8]) -> Option<ProxyRequest> {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        if !matches!(req.parse(head), Ok(httparse::Status::Complete(_))) {
            return None;
        }
        Some(ProxyRequest {
            method: req.method?.to_owned(),
            target: req.path?.to_owned(),
            headers: req
                .headers
                .iter()
                .map(|h| {
                    (
                        h.name.to_owned(),
                        String::from_utf8_lossy(h.value).into_owned(),
                    )
                })
                .collect(),
            body: Vec::new(),
        })
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn content_length(&self) -> usize {
        self.header("content-length")
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    }

    fn wants_close(&self) -> bool {
        ["connection", "proxy-connection"].iter().any(|name| {
            self.header(name)
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("close"))
        })
    }

    fn is_connect(&self) -> bool {
        self.method.eq_ignore_ascii_case("CONNECT")
    }

    fn seen(&self) -> SeenProxyRequest {
        SeenProxyRequest {
            method: self.method.clone(),
            target: self.target.clone(),
            proxy_authorization: self.header("proxy-authorization").map(str::to_owned),
        }
    }
}

type Conn = BufReader<TcpStream>;

/// Serves one client connection; returns when it should close.
async fn handle(tcp: TcpStream, shared: Arc<Shared>) {
    let mut conn = BufReader::new(tcp);
    // `Ntlm`: the challenge sent on this connection, which the AUTHENTICATE must answer.
    let mut pending: Option<Pending> = None;
    for _ in 0..MAX_REQUESTS_PER_CONNECTION {
        let Some(head) = read_head(&mut conn).await else {
            return;
        };
        let parsed = ProxyRequest::parse(&head);
        if let Some(request) = &parsed {
            lock(&shared.requests).push(request.seen());
        }
        match (&shared.behavior, parsed) {
            (ProxyBehavior::Stall, _) => return stall(conn).await,
            (ProxyBehavior::Garbage, _) => {
                let _ = conn.write_all(GARBAGE).await;
                let _ = conn.shutdown().await;
                return;
            }
            (_, None) => {
                let body = "<html><body>fakeproxy: malformed request</body></html>\n";
                return respond(&mut conn, 400, &[], body, false).await;
            }
            (behavior, Some(mut request)) => {
                if !read_body(&mut conn, &mut request).await {
                    return;
                }
                match behavior {
                    ProxyBehavior::Tunnel => return forward(conn, &request, None).await,
                    ProxyBehavior::Delay(latency) => {
                        return forward(conn, &request, Some(*latency)).await;
                    }
                    ProxyBehavior::RequireAuth { challenges, accept } => {
                        if authorized(&request, accept.as_ref()) {
                            return forward(conn, &request, None).await;
                        }
                        let keep_alive = !request.wants_close();
                        let headers: Vec<(&str, &str)> = challenges
                            .iter()
                            .map(|c| ("Proxy-Authenticate", c.as_str()))
                            .collect();
                        let body = "<html><body>407 Proxy Authentication Required</body></html>\n";
                        respond(&mut conn, 407, &headers, body, keep_alive).await;
                        if !keep_alive {
                            return;
                        }
                    }
                    ProxyBehavior::ReflectAuth(status) => {
                        let keep_alive = !request.wants_close();
                        let Some(value) = request.header("proxy-authorization") else {
                            let challenge = [("Proxy-Authenticate", "Basic realm=\"corp\"")];
                            let body = "<html><body>407</body></html>\n";
                            respond(&mut conn, 407, &challenge, body, keep_alive).await;
                            if keep_alive {
                                continue;
                            }
                            return;
                        };
                        return reflect(&mut conn, *status, value).await;
                    }
                    ProxyBehavior::Ntlm(options) => {
                        match ntlm_answer(&mut conn, &request, options, &mut pending, &shared).await
                        {
                            NtlmNext::Continue => {}
                            NtlmNext::Close => return,
                            NtlmNext::Tunnel => return forward(conn, &request, None).await,
                        }
                    }
                    ProxyBehavior::Refuse(status) => {
                        let body =
                            format!("<html><body>{status}: refused by fakeproxy</body></html>\n");
                        return respond(&mut conn, *status, &[], &body, false).await;
                    }
                    ProxyBehavior::Intercept(ca) => {
                        return intercept(conn, &request, ca, &shared).await;
                    }
                    ProxyBehavior::CloseAfterConnect => {
                        if request.is_connect() {
                            let _ = conn.write_all(CONNECTED).await;
                        }
                        let _ = conn.shutdown().await;
                        return;
                    }
                    ProxyBehavior::Stall | ProxyBehavior::Garbage => unreachable!("matched above"),
                }
            }
        }
    }
}

/// What `ntlm_answer` leaves the connection to do.
enum NtlmNext {
    Continue,
    Close,
    Tunnel,
}

/// One request to the `Ntlm` proxy: offer, challenge, or check the proof.
async fn ntlm_answer(
    conn: &mut Conn,
    request: &ProxyRequest,
    options: &NtlmProxy,
    pending: &mut Option<Pending>,
    shared: &Shared,
) -> NtlmNext {
    let keep_alive = !request.wants_close();
    let token = request
        .header("proxy-authorization")
        .and_then(|value| value.trim().split_once(' '))
        .filter(|(scheme, _)| {
            scheme.eq_ignore_ascii_case("NTLM") || scheme.eq_ignore_ascii_case("Negotiate")
        })
        .and_then(|(scheme, token)| Some((scheme, BASE64.decode(token.trim()).ok()?)));
    let kind = token
        .as_ref()
        .and_then(|(_, bytes)| ntlm::message_type(bytes));
    match (token, kind) {
        (Some((scheme, negotiate)), Some(1)) => {
            let next = ntlm::challenge(options, &negotiate);
            let challenge = format!("{scheme} {}", BASE64.encode(&next.challenge));
            *pending = Some(next);
            respond(
                conn,
                407,
                &[("Proxy-Authenticate", &challenge)],
                &ntlm_body(),
                keep_alive,
            )
            .await;
            if keep_alive {
                NtlmNext::Continue
            } else {
                NtlmNext::Close
            }
        }
        (Some((_, authenticate)), Some(3)) => {
            let checked = match pending.take() {
                Some(challenge) => ntlm::verify(options, &challenge, &authenticate),
                None => Err("an AUTHENTICATE message with no challenge on this connection".into()),
            };
            match checked {
                Ok(name) => {
                    lock(&shared.ntlm_users).push(name);
                    if options.deny_after_auth {
                        let body =
                            "<html><body>403: authenticated, but not allowed</body></html>\n";
                        respond(conn, 403, &[], body, false).await;
                        NtlmNext::Close
                    } else {
                        NtlmNext::Tunnel
                    }
                }
                Err(reason) => {
                    lock(&shared.ntlm_rejections).push(reason);
                    ntlm_offer(conn, options, keep_alive).await
                }
            }
        }
        _ => ntlm_offer(conn, options, keep_alive).await,
    }
}

/// The `407` that offers the configured schemes and carries no challenge.
async fn ntlm_offer(conn: &mut Conn, options: &NtlmProxy, keep_alive: bool) -> NtlmNext {
    let keep_alive = keep_alive && !options.close_after_first_407;
    let headers: Vec<(&str, &str)> = options
        .schemes
        .iter()
        .map(|scheme| ("Proxy-Authenticate", scheme.as_str()))
        .collect();
    respond(conn, 407, &headers, &ntlm_body(), keep_alive).await;
    if keep_alive {
        NtlmNext::Continue
    } else {
        NtlmNext::Close
    }
}

/// A 407 body of Squid's order of size (it sent 3 KB), so a client must read it to reuse the
/// connection.
fn ntlm_body() -> String {
    let mut body = String::from("<html><body><h1>407 Proxy Authentication Required</h1>\n");
    for _ in 0..24 {
        body.push_str("<p>fakeproxy: this proxy verifies NTLMv2 against a known password.</p>\n");
    }
    body.push_str("</body></html>\n");
    body
}

/// Answers `status` with `authorization` (a `Proxy-Authorization` value) copied everywhere.
async fn reflect(conn: &mut Conn, status: u16, authorization: &str) {
    let token = authorization
        .trim()
        .split_once(' ')
        .map_or(authorization, |(_, token)| token.trim());
    let pair = BASE64
        .decode(token)
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default();
    let password = pair.split_once(':').map_or("", |(_, password)| password);
    let percent: String = pair
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let everything = format!(
        "{authorization} | {token} | {pair} | {password} | {} | {percent}",
        pair.to_uppercase()
    );
    let mut out = format!("HTTP/1.1 {status} Denied for {pair} ({authorization})\r\n");
    for (name, value) in [
        (
            "Proxy-Authenticate",
            format!("Basic realm=\"{authorization}\""),
        ),
        (
            "Proxy-Authenticate",
            format!("Basic realm=\"{token}\", charset=\"{pair}\""),
        ),
        ("Via", format!("1.1 {token}")),
        ("Server", pair.clone()),
        ("X-Squid-Error", format!("ERR_ACCESS_DENIED {password}")),
        ("Proxy-Status", format!("fakeproxy; details=\"{percent}\"")),
        (
            "Location",
            format!("http://proxy.test/denied?who={percent}"),
        ),
        // Long enough that a cut at 200 characters would fall inside the token if it came
        // before the scrubbing.
        ("X-Cache", format!("{}{authorization}", "x".repeat(190))),
    ] {
        write!(out, "{name}: {value}\r\n").expect("writing to a String never fails");
    }
    let body = format!("<html><body>{everything}</body></html>\n");
    write!(
        out,
        "Content-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("writing to a String never fails");
    let _ = conn.write_all(out.as_bytes()).await;
    let _ = conn.shutdown().await;
}

const CONNECTED: &[u8] = b"HTTP/1.1 200 Connection established\r\nProxy-Agent: fakeproxy\r\n\r\n";

/// Reads the declared body into `request`; false when the client went away or it is too big.
async fn read_body(conn: &mut Conn, request: &mut ProxyRequest) -> bool {
    let len = request.content_length();
    if len > MAX_BODY {
        return false;
    }
    request.body = vec![0; len];
    conn.read_exact(&mut request.body).await.is_ok()
}

/// Keeps reading (bounded) and never answers; the proxy's `Drop` ends the task.
async fn stall(mut conn: Conn) {
    let mut sink = [0u8; 4096];
    for _ in 0..100_000 {
        match conn.read(&mut sink).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
    std::future::pending::<()>().await;
}

fn authorized(request: &ProxyRequest, accept: Option<&(String, String)>) -> bool {
    let Some((user, pass)) = accept else {
        return false;
    };
    let Some((scheme, token)) = request
        .header("proxy-authorization")
        .and_then(|v| v.trim().split_once(' '))
    else {
        return false;
    };
    scheme.eq_ignore_ascii_case("basic")
        && BASE64
            .decode(token.trim())
            .is_ok_and(|decoded| decoded == format!("{user}:{pass}").as_bytes())
}

/// Answers a CONNECT whose target is not `host:port` with 400.
async fn bad_target(conn: &mut Conn) {
    respond(conn, 400, &[], "fakeproxy: bad CONNECT target\n", false).await;
}

/// Tunnels a CONNECT or forwards an absolute-form `http://` request, then ends the connection.
async fn forward(mut conn: Conn, request: &ProxyRequest, latency: Option<Duration>) {
    if request.is_connect() {
        let Some((host, port)) = split_authority(&request.target) else {
            return bad_target(&mut conn).await;
        };
        if let Some(latency) = latency {
            tokio::time::sleep(latency).await;
        }
        let Some(mut upstream) = connect_upstream(&mut conn, host, port).await else {
            return;
        };
        if conn.write_all(CONNECTED).await.is_err() {
            return;
        }
        let _ = tokio::io::copy_bidirectional(&mut conn, &mut upstream).await;
        return;
    }
    let Some((authority, path)) = split_http_url(&request.target) else {
        let body = "fakeproxy: expected CONNECT or an absolute http:// URL\n";
        return respond(&mut conn, 400, &[], body, false).await;
    };
    let (host, port) = split_authority(authority).unwrap_or((authority, 80));
    if let Some(latency) = latency {
        tokio::time::sleep(latency).await;
    }
    let Some(mut upstream) = connect_upstream(&mut conn, host, port).await else {
        return;
    };
    let mut out = format!("{} {} HTTP/1.1\r\n", request.method, origin_form(path));
    for (name, value) in &request.headers {
        let hop_by_hop = [
            "proxy-authorization",
            "proxy-connection",
            "connection",
            "keep-alive",
        ];
        if !hop_by_hop.iter().any(|h| name.eq_ignore_ascii_case(h)) {
            write!(out, "{name}: {value}\r\n").expect("writing to a String never fails");
        }
    }
    if request.header("host").is_none() {
        write!(out, "Host: {authority}\r\n").expect("writing to a String never fails");
    }
    out.push_str("Via: 1.1 fakeproxy\r\nConnection: close\r\n\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&request.body);
    if upstream.write_all(&bytes).await.is_err() {
        return respond(&mut conn, 502, &[], "fakeproxy: upstream closed\n", false).await;
    }
    // The upstream was told `Connection: close`, so its response ends at EOF.
    let _ = tokio::io::copy(&mut upstream, &mut conn).await;
    let _ = conn.shutdown().await;
}

/// Connects to the loopback stand-in for `host:port`, or answers 502 and returns `None`.
async fn connect_upstream(conn: &mut Conn, host: &str, port: u16) -> Option<TcpStream> {
    if !is_loopback_host(host) {
        let body = format!("fakeproxy: {host} is outside loopback; not connecting\n");
        respond(conn, 502, &[], &body, false).await;
        return None;
    }
    if let Ok(upstream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await {
        Some(upstream)
    } else {
        let body = format!("fakeproxy: cannot connect to 127.0.0.1:{port} for {host}\n");
        respond(conn, 502, &[], &body, false).await;
        None
    }
}

/// Terminates the client's TLS itself and answers inside it, as an inspecting proxy does.
async fn intercept(mut conn: Conn, request: &ProxyRequest, ca: &Ca, shared: &Arc<Shared>) {
    if !request.is_connect() {
        // A plain http:// URL: answer it directly, as an inspecting proxy would.
        let mut seen_request = SeenRequest {
            method: request.method.clone(),
            path: request.target.clone(),
            host: request.header("host").map(str::to_owned),
            sni: None,
        };
        if let Some((_, path)) = split_http_url(&request.target) {
            seen_request.path = origin_form(path);
        }
        lock(&shared.intercepted).push(seen_request);
        let headers = [("X-Intercepted", "1")];
        return respond(
            &mut conn,
            200,
            &headers,
            "intercepted by fakeproxy\n",
            false,
        )
        .await;
    }
    let Some((host, _)) = split_authority(&request.target) else {
        return bad_target(&mut conn).await;
    };
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    if conn.write_all(CONNECTED).await.is_err() {
        return;
    }
    let acceptor = LazyConfigAcceptor::new(rustls::server::Acceptor::default(), conn);
    let Ok(start) = acceptor.await else { return };
    let name = start
        .client_hello()
        .server_name()
        .map_or(host, str::to_owned);
    let config = interception_config(shared, ca, &name);
    let Ok(tls) = start.into_stream(config).await else {
        return;
    };
    serve_intercepted(tls, name, Arc::clone(shared)).await;
}

fn interception_config(shared: &Shared, ca: &Ca, name: &str) -> Arc<rustls::ServerConfig> {
    let mut configs = lock(&shared.configs);
    let config = configs.entry(name.to_ascii_lowercase()).or_insert_with(|| {
        let leaf = ca.issue(&[name]);
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(leaf.chain, leaf.key)
        .expect("the leaf key matches its certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Arc::new(config)
    });
    Arc::clone(config)
}

async fn serve_intercepted(
    io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    sni: String,
    shared: Arc<Shared>,
) {
    let service = service_fn(move |req: Request<Incoming>| {
        lock(&shared.intercepted).push(seen(&req, Some(sni.clone())));
        let response = Response::builder()
            .status(StatusCode::OK)
            .header("Content-Type", "text/plain")
            .header("X-Intercepted", "1")
            .header("Server", "fakeproxy")
            .body(Full::new(Bytes::from_static(b"intercepted by fakeproxy\n")))
            .expect("static response parts are valid");
        async move { Ok::<_, Infallible>(response) }
    });
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .await;
}

/// Writes a complete response with a `Content-Length` body; closes unless `keep_alive`.
async fn respond(
    conn: &mut Conn,
    status: u16,
    headers: &[(&str, &str)],
    body: &str,
    keep_alive: bool,
) {
    let reason = StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        write!(out, "{name}: {value}\r\n").expect("writing to a String never fails");
    }
    let connection = if keep_alive { "keep-alive" } else { "close" };
    write!(
        out,
        "Proxy-Agent: fakeproxy\r\nContent-Type: text/html\r\nContent-Length: {}\r\n\
         Proxy-Connection: {connection}\r\nConnection: {connection}\r\n\r\n{body}",
        body.len()
    )
    .expect("writing to a String never fails");
    let _ = conn.write_all(out.as_bytes()).await;
    if !keep_alive {
        let _ = conn.shutdown().await;
    }
}

/// Splits `host:port` (or `[v6]:port`); `None` without a numeric port.
fn split_authority(authority: &str) -> Option<(&str, u16)> {
    let (host, port) = authority.rsplit_once(':')?;
    if host.is_empty() || (host.contains(':') && !host.starts_with('[')) {
        return None;
    }
    Some((host, port.parse().ok()?))
}

/// Splits `http://authority/path?query` into the authority and the origin-form target.
fn split_http_url(url: &str) -> Option<(&str, &str)> {
    let scheme_end = url.find("://")?;
    if !url[..scheme_end].eq_ignore_ascii_case("http") {
        return None;
    }
    let rest = &url[scheme_end + 3..];
    let split = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(split);
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if authority.is_empty() {
        return None;
    }
    Some((authority, path))
}

/// The origin-form target for a URL's path part: `""` → `/`, `?q` → `/?q`.
fn origin_form(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    }
}
