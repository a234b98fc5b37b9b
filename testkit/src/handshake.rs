//! `HandshakeProxy`: a scripted multi-round authenticating proxy, and `ScriptedAuth`, the
//! authenticator that speaks its script, so the probe's handshake loop is tested without any
//! NTLM cryptography.
//!
//! The script, on one connection: a request without credentials → 407 offering the scheme; a
//! request with the token `one` → 407 with the challenge `two`; a request with `three` → 200 (a
//! CONNECT is then tunnelled to the loopback origin, an absolute-form request answered by the
//! proxy itself). Tokens travel base64-encoded after the scheme word, as NTLM's do. Each
//! [`Script`] variant departs from it the way a real proxy might.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use dapreflight::{
    AuthError, AuthScheme, Authenticate, Authenticated, Handshake, Presenting, Scrubber, Step,
};
use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use super::origin::bind;
use super::proxy::SeenProxyRequest;
use super::{Background, MAX_ACCEPTS, is_loopback_host, read_head, spawn_connection};

/// The first token the client sends, the proxy's challenge, and the client's answer to it.
pub const FIRST: &[u8] = b"one";
pub const CHALLENGE: &[u8] = b"two";
pub const ANSWER: &[u8] = b"three";

/// How the proxy departs from the script.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Script {
    /// As written: one connection, 200 after `three`.
    Complete,
    /// Says `Connection: close` with the first 407 and closes; the next connection goes straight
    /// to the handshake.
    CloseAfterFirst,
    /// Closes after the first 407 without saying so (it claims keep-alive).
    SilentCloseAfterFirst,
    /// Answers `one` with the challenge, then closes the connection.
    CloseMidHandshake,
    /// Answers every token with another 407 and the challenge, forever.
    Loop,
    /// Answers `three` with 403: the account is known but not allowed.
    DenyAfterLast,
    /// Every 407 carries a 3,500-byte body by `Content-Length`.
    LargeBody,
    /// Every 407 carries its body in chunks.
    Chunked,
    /// Sends a bare scheme word where the challenge should be.
    BareChallenge,
    /// Sends the challenge `bad`, which [`ScriptedAuth`] cannot answer.
    BadChallenge,
}

/// A proxy on 127.0.0.1 that authenticates by its script on every connection.
pub struct HandshakeProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    _task: Background,
}

struct Shared {
    scheme: String,
    script: Script,
    connections: AtomicUsize,
    requests: Mutex<Vec<SeenProxyRequest>>,
}

impl HandshakeProxy {
    /// Starts a proxy offering `scheme` (`NTLM`, `Negotiate`) that follows `script`.
    pub async fn start(scheme: &str, script: Script) -> HandshakeProxy {
        let listener = bind().await;
        let addr = listener
            .local_addr()
            .expect("a bound socket has an address");
        let shared = Arc::new(Shared {
            scheme: scheme.to_owned(),
            script,
            connections: AtomicUsize::new(0),
            requests: Mutex::default(),
        });
        let task_shared = Arc::clone(&shared);
        let task = Background::spawn(async move {
            let mut connections = JoinSet::new();
            for _ in 0..MAX_ACCEPTS {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                let index = task_shared.connections.fetch_add(1, Ordering::Relaxed);
                spawn_connection(
                    &mut connections,
                    serve(tcp, index, Arc::clone(&task_shared)),
                );
            }
        });
        HandshakeProxy {
            addr,
            shared,
            _task: task,
        }
    }

    /// The listening address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// How many TCP connections clients opened.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::Relaxed)
    }

    /// Every request head clients sent, oldest first.
    pub fn requests(&self) -> Vec<SeenProxyRequest> {
        self.shared
            .requests
            .lock()
            .expect("no peer task panics holding the lock")
            .clone()
    }
}

/// At most this many requests per connection: the loop script must end somewhere.
const MAX_REQUESTS: usize = 50;

/// Serves connection number `index` (from 0) by the script.
async fn serve(tcp: TcpStream, index: usize, shared: Arc<Shared>) {
    let mut conn = BufReader::new(tcp);
    let script = shared.script;
    for request_index in 0..MAX_REQUESTS {
        let Some(head) = read_head(&mut conn).await else {
            return;
        };
        let Some((method, target, authorization)) = parse(&head) else {
            return;
        };
        shared
            .requests
            .lock()
            .expect("no peer task panics holding the lock")
            .push(SeenProxyRequest {
                method: method.clone(),
                target: target.clone(),
                proxy_authorization: authorization.clone(),
            });
        let token = authorization.as_deref().and_then(|value| {
            let (word, token) = value.trim().split_once(' ')?;
            if !word.eq_ignore_ascii_case(&shared.scheme) {
                return None;
            }
            BASE64.decode(token.trim()).ok()
        });
        let offer = shared.scheme.clone();
        let challenge = format!("{} {}", shared.scheme, BASE64.encode(CHALLENGE));
        match token.as_deref() {
            None => {
                let close = matches!(script, Script::CloseAfterFirst);
                respond(&mut conn, 407, &offer, script, close).await;
                if close
                    || (script == Script::SilentCloseAfterFirst && index == 0 && request_index == 0)
                {
                    let _ = conn.shutdown().await;
                    return;
                }
            }
            Some(FIRST) => {
                let word = match script {
                    Script::BareChallenge => offer.clone(),
                    Script::BadChallenge => format!("{} {}", shared.scheme, BASE64.encode(b"bad")),
                    _ => challenge.clone(),
                };
                respond(&mut conn, 407, &word, script, false).await;
                if script == Script::CloseMidHandshake {
                    let _ = conn.shutdown().await;
                    return;
                }
            }
            Some(_) if script == Script::Loop => {
                respond(&mut conn, 407, &challenge, script, false).await;
            }
            Some(ANSWER) if script == Script::DenyAfterLast => {
                respond(&mut conn, 403, "", script, true).await;
                return;
            }
            Some(ANSWER) => return through(conn, &method, &target).await,
            Some(_) => respond(&mut conn, 407, &offer, script, false).await,
        }
    }
}

/// The method, target and `Proxy-Authorization` of a request head.
fn parse(head: &[u8]) -> Option<(String, String, Option<String>)> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut request = httparse::Request::new(&mut headers);
    if !matches!(request.parse(head), Ok(httparse::Status::Complete(_))) {
        return None;
    }
    let authorization = request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("proxy-authorization"))
        .map(|h| String::from_utf8_lossy(h.value).into_owned());
    Some((
        request.method?.to_owned(),
        request.path?.to_owned(),
        authorization,
    ))
}

/// Writes a response; a 407 names `authenticate` in `Proxy-Authenticate` and carries a body
/// shaped by the script.
async fn respond(
    conn: &mut BufReader<TcpStream>,
    status: u16,
    authenticate: &str,
    script: Script,
    close: bool,
) {
    let reason = match status {
        407 => "Proxy Authentication Required",
        403 => "Forbidden",
        _ => "Unknown",
    };
    let mut out = format!("HTTP/1.1 {status} {reason}\r\nProxy-Agent: handshake-proxy\r\n");
    if !authenticate.is_empty() {
        let _ = write!(out, "Proxy-Authenticate: {authenticate}\r\n");
    }
    let connection = if close { "close" } else { "keep-alive" };
    let _ = write!(
        out,
        "Connection: {connection}\r\nProxy-Connection: {connection}\r\n"
    );
    let body = match script {
        Script::LargeBody | Script::Chunked => {
            let mut body = "<html><body>407: ".to_owned();
            while body.len() < 3_500 - "</body></html>\n".len() {
                body.push('x');
            }
            body.push_str("</body></html>\n");
            body
        }
        _ => format!("<html><body>{status}</body></html>\n"),
    };
    if script == Script::Chunked {
        out.push_str("Transfer-Encoding: chunked\r\n\r\n");
        for piece in body.as_bytes().chunks(1000) {
            let _ = write!(out, "{:x};piece\r\n", piece.len());
            out.push_str(&String::from_utf8_lossy(piece));
            out.push_str("\r\n");
        }
        out.push_str("0\r\nX-Trailer: end\r\n\r\n");
    } else {
        let _ = write!(out, "Content-Length: {}\r\n\r\n{body}", body.len());
    }
    let _ = conn.write_all(out.as_bytes()).await;
    let _ = conn.flush().await;
    if close {
        let _ = conn.shutdown().await;
    }
}

/// After the handshake: a CONNECT is tunnelled to the loopback origin on the same port; any
/// other request is answered here.
async fn through(mut conn: BufReader<TcpStream>, method: &str, target: &str) {
    if !method.eq_ignore_ascii_case("CONNECT") {
        let body = "through the handshake proxy\n";
        let out = format!(
            "HTTP/1.1 200 OK\r\nVia: 1.1 handshake-proxy\r\nContent-Length: {}\r\n\
             Connection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = conn.write_all(out.as_bytes()).await;
        let _ = conn.shutdown().await;
        return;
    }
    let Some((host, port)) = target.rsplit_once(':') else {
        return;
    };
    let Ok(port) = port.parse::<u16>() else {
        return;
    };
    if !is_loopback_host(host) {
        let _ = conn
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    }
    let Ok(mut upstream) = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await else {
        let _ = conn
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    if conn
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .await
        .is_err()
    {
        return;
    }
    // Bytes the client sent after the CONNECT head are already in the reader's buffer.
    let buffered = conn.buffer().to_vec();
    if !buffered.is_empty() && upstream.write_all(&buffered).await.is_err() {
        return;
    }
    let mut tcp = conn.into_inner();
    let _ = tokio::io::copy_bidirectional(&mut tcp, &mut upstream).await;
}

/// The authenticator that speaks [`HandshakeProxy`]'s script: `one` first, `three` to the
/// challenge `two`, and `again` to anything else (so a looping proxy meets a client that keeps
/// answering, and only the client's round limit ends it).
#[derive(Clone, Debug)]
pub struct ScriptedAuth {
    /// The scheme it answers (`NTLM`, `Negotiate`).
    pub scheme: AuthScheme,
    /// The account it says it presents.
    pub account: String,
}

impl ScriptedAuth {
    /// An authenticator answering `scheme` as `account`.
    pub fn new(scheme: AuthScheme, account: &str) -> ScriptedAuth {
        ScriptedAuth {
            scheme,
            account: account.to_owned(),
        }
    }
}

impl Authenticate for ScriptedAuth {
    fn choose(&self, offered: &[&str]) -> Option<AuthScheme> {
        offered
            .iter()
            .any(|word| AuthScheme::from_word(word) == Some(self.scheme))
            .then_some(self.scheme)
    }

    fn begin(
        &self,
        scheme: AuthScheme,
        _proxy_host: &str,
    ) -> Result<Box<dyn Handshake>, AuthError> {
        Ok(Box::new(ScriptedHandshake {
            scheme,
            account: self.account.clone(),
            steps: 0,
        }))
    }

    fn presenting(&self) -> Presenting {
        Presenting::Explicit {
            account: self.account.clone(),
        }
    }

    fn scrubber(&self) -> Scrubber {
        Scrubber::default()
    }
}

struct ScriptedHandshake {
    scheme: AuthScheme,
    account: String,
    steps: usize,
}

impl Handshake for ScriptedHandshake {
    fn step(&mut self, challenge: Option<&[u8]>) -> Result<Step, AuthError> {
        self.steps += 1;
        Ok(Step::Send(match challenge {
            None => FIRST.to_vec(),
            Some(CHALLENGE) => ANSWER.to_vec(),
            Some(b"bad") => {
                return Err(AuthError::Malformed {
                    scheme: self.scheme,
                    reason: "the scripted challenge says bad".to_owned(),
                });
            }
            Some(_) => b"again".to_vec(),
        }))
    }

    fn authenticated(&self) -> Authenticated {
        Authenticated {
            account: Some(self.account.clone()),
            package: Some("Scripted".to_owned()),
        }
    }

    fn notes(&self) -> Vec<String> {
        vec![format!("the scripted handshake took {} steps", self.steps)]
    }
}
