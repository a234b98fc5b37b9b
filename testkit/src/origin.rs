//! Origin servers: an HTTPS one with a chosen chain, and a plain HTTP one.
//!
//! Both answer every request with one fixed status (404 by default, like the real diagnostic
//! endpoints answer `GET /`) and record what they saw.

use std::convert::Infallible;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use super::{Background, Ca, Leaf, MAX_ACCEPTS, spawn_connection};

/// One request an origin (or an intercepting proxy) answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenRequest {
    pub method: String,
    /// Path and query, as sent in the request line.
    pub path: String,
    pub host: Option<String>,
    /// The TLS server name the client sent; `None` for plain HTTP or no SNI.
    pub sni: Option<String>,
}

/// An HTTPS/1.1 origin on 127.0.0.1 presenting a given chain.
pub struct TlsServer {
    addr: SocketAddr,
    names: Vec<String>,
    log: Arc<Log>,
    _task: Background,
}

/// A plain HTTP/1.1 origin on 127.0.0.1.
pub struct HttpServer {
    addr: SocketAddr,
    log: Arc<Log>,
    _task: Background,
}

#[derive(Default)]
struct Log {
    connections: AtomicUsize,
    requests: Mutex<Vec<SeenRequest>>,
}

impl TlsServer {
    /// Starts an origin with a leaf for `names` issued by `ca`, answering 404.
    pub async fn start(ca: &Ca, names: &[&str]) -> TlsServer {
        TlsServer::start_with(ca.issue(names), 404).await
    }

    /// Starts an origin presenting `leaf`, answering every request with `status`.
    pub async fn start_with(leaf: Leaf, status: u16) -> TlsServer {
        let status = StatusCode::from_u16(status).expect("tests pass a valid status code");
        let names = leaf.names.clone();
        let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .with_no_client_auth()
        .with_single_cert(leaf.chain, leaf.key)
        .expect("the leaf key matches its certificate");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let acceptor = TlsAcceptor::from(Arc::new(config));
        let listener = bind().await;
        let addr = listener
            .local_addr()
            .expect("a bound socket has an address");
        let log = Arc::new(Log::default());
        let task_log = Arc::clone(&log);
        let task = Background::spawn(async move {
            let mut connections = JoinSet::new();
            for _ in 0..MAX_ACCEPTS {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                task_log.connections.fetch_add(1, Ordering::Relaxed);
                let acceptor = acceptor.clone();
                let log = Arc::clone(&task_log);
                spawn_connection(&mut connections, async move {
                    let Ok(tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let sni = tls.get_ref().1.server_name().map(str::to_owned);
                    serve(tls, status, sni, None, log).await;
                });
            }
        });
        TlsServer {
            addr,
            names,
            log,
            _task: task,
        }
    }

    /// The listening address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://NAME:PORT{path}`, with the first name the leaf was issued for.
    pub fn url(&self, path: &str) -> String {
        let host = self.names.first().map_or("127.0.0.1", String::as_str);
        self.url_for(host, path)
    }

    /// `https://HOST:PORT{path}`, for a host name other than the leaf's first.
    pub fn url_for(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.port())
    }

    /// How many TCP connections the server accepted.
    pub fn connections(&self) -> usize {
        self.log.connections.load(Ordering::Relaxed)
    }

    /// The requests answered so far, oldest first.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.log.requests()
    }
}

impl HttpServer {
    /// Starts a plain HTTP origin answering every request with `status`.
    pub async fn start(status: u16) -> HttpServer {
        Self::start_serving(status, None).await
    }

    /// Starts a plain HTTP server answering every request with 200 and `body` (e.g. a PAC file).
    pub async fn serving(body: &str) -> HttpServer {
        Self::start_serving(200, Some(Arc::from(body))).await
    }

    async fn start_serving(status: u16, body: Option<Arc<str>>) -> HttpServer {
        let status = StatusCode::from_u16(status).expect("tests pass a valid status code");
        let listener = bind().await;
        let addr = listener
            .local_addr()
            .expect("a bound socket has an address");
        let log = Arc::new(Log::default());
        let task_log = Arc::clone(&log);
        let task = Background::spawn(async move {
            let mut connections = JoinSet::new();
            for _ in 0..MAX_ACCEPTS {
                let Ok((tcp, _)) = listener.accept().await else {
                    continue;
                };
                task_log.connections.fetch_add(1, Ordering::Relaxed);
                let log = Arc::clone(&task_log);
                let body = body.clone();
                spawn_connection(&mut connections, serve(tcp, status, None, body, log));
            }
        });
        HttpServer {
            addr,
            log,
            _task: task,
        }
    }

    /// The listening address (always 127.0.0.1).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The listening port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        self.url_for("127.0.0.1", path)
    }

    /// `http://HOST:PORT{path}`, e.g. `adl.test` when going through a `FakeProxy`.
    pub fn url_for(&self, host: &str, path: &str) -> String {
        format!("http://{host}:{}{path}", self.port())
    }

    /// How many TCP connections the server accepted.
    pub fn connections(&self) -> usize {
        self.log.connections.load(Ordering::Relaxed)
    }

    /// The requests answered so far, oldest first.
    pub fn requests(&self) -> Vec<SeenRequest> {
        self.log.requests()
    }
}

impl Log {
    fn requests(&self) -> Vec<SeenRequest> {
        self.requests
            .lock()
            .expect("no peer task panics holding the lock")
            .clone()
    }
}

pub(super) async fn bind() -> TcpListener {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("loopback can bind port 0")
}

/// Serves HTTP/1.1 on `io`, answering each request with `status` and `body` (or a short text).
async fn serve(
    io: impl AsyncRead + AsyncWrite + Unpin + Send + 'static,
    status: StatusCode,
    sni: Option<String>,
    body: Option<Arc<str>>,
    log: Arc<Log>,
) {
    let service = service_fn(move |req: Request<Incoming>| {
        log.requests
            .lock()
            .expect("no peer task panics holding the lock")
            .push(seen(&req, sni.clone()));
        let body = body.as_deref().map_or_else(
            || format!("{} from the dapreflight test origin\n", status.as_u16()),
            str::to_owned,
        );
        let response = Response::builder()
            .status(status)
            .header("Content-Type", "text/plain")
            .header("Server", "fakeorigin")
            .body(Full::new(Bytes::from(body)))
            .expect("static response parts are valid");
        async move { Ok::<_, Infallible>(response) }
    });
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(io), service)
        .await;
}

pub(super) fn seen<B>(req: &Request<B>, sni: Option<String>) -> SeenRequest {
    SeenRequest {
        method: req.method().as_str().to_owned(),
        path: req
            .uri()
            .path_and_query()
            .map_or_else(|| req.uri().to_string(), ToString::to_string),
        host: req
            .headers()
            .get(hyper::header::HOST)
            .and_then(|h| h.to_str().ok())
            .map(str::to_owned),
        sni,
    }
}
