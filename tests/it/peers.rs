//! Self-tests for `support`: each peer behaves as the integration tests assume.
//!
//! Only tokio, rustls and httparse here, never dapreflight code, so a failure points at the peer.

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpStream, UdpSocket};
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::support::{
    self, Ca, DnsServer, FakeProxy, HttpServer, ProxyBehavior, SeenProxyRequest, SeenRequest,
    TlsServer, closed_port,
};

#[tokio::test]
async fn tls_origin_answers_404_with_a_chain_its_ca_validates() {
    let ca = Ca::generate("Origin Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let tcp = TcpStream::connect(origin.addr()).await.unwrap();
    let mut tls = tls_connect(tcp, &ca, "origin.test").await.unwrap();
    assert_eq!(tls.get_ref().1.peer_certificates().unwrap().len(), 1);
    let head = get(&mut tls, "origin.test").await;
    assert_eq!(status(&head), 404);
    let expected = SeenRequest {
        method: "GET".into(),
        path: "/".into(),
        host: Some("origin.test".into()),
        sni: Some("origin.test".into()),
    };
    assert_eq!(origin.requests(), vec![expected]);
    assert_eq!(origin.connections(), 1);
    assert!(
        origin
            .url("/x")
            .ends_with(&format!("origin.test:{}/x", origin.port()))
    );
}

#[tokio::test]
async fn tls_origin_sends_the_intermediate_after_the_leaf() {
    let ca = Ca::generate("Origin Root");
    let leaf = ca.issue_via_intermediate("Origin Intermediate", &["origin.test"]);
    assert_eq!(leaf.chain.len(), 2);
    let origin = TlsServer::start_with(leaf, 200).await;
    let tcp = TcpStream::connect(origin.addr()).await.unwrap();
    let mut tls = tls_connect(tcp, &ca, "origin.test").await.unwrap();
    assert_eq!(tls.get_ref().1.peer_certificates().unwrap().len(), 2);
    assert_eq!(status(&get(&mut tls, "origin.test").await), 200);
}

#[tokio::test]
async fn expired_leaf_fails_verification() {
    let ca = Ca::generate("Origin Root");
    let origin = TlsServer::start_with(ca.issue_expired(&["origin.test"]), 404).await;
    let tcp = TcpStream::connect(origin.addr()).await.unwrap();
    let err = tls_connect(tcp, &ca, "origin.test").await.unwrap_err();
    assert!(err.to_string().to_lowercase().contains("expired"), "{err}");
}

#[tokio::test]
async fn ca_writes_a_pem_file_holding_its_certificate() {
    let ca = Ca::generate("Corp Inspection CA");
    let dir = tempfile::tempdir().unwrap();
    let path = ca.write_pem(dir.path());
    let pem = std::fs::read_to_string(&path).unwrap();
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    assert_eq!(BASE64.decode(b64).unwrap(), ca.cert_der().as_ref());
    assert_ne!(Ca::generate("Corp Inspection CA").cert_der(), ca.cert_der());
}

#[tokio::test]
async fn plain_http_origin_answers_with_its_status() {
    let origin = HttpServer::start(200).await;
    let mut tcp = TcpStream::connect(origin.addr()).await.unwrap();
    assert_eq!(status(&get(&mut tcp, "adl.test").await), 200);
    assert_eq!(origin.requests()[0].host.as_deref(), Some("adl.test"));
}

#[tokio::test]
async fn tunnel_relays_connect_to_the_origin() {
    let ca = Ca::generate("Origin Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let target = format!("origin.test:{}", origin.port());
    let (head, conn) = connect_via(&proxy, &target, None).await;
    assert_eq!(status(&head), 200);
    let mut tls = tls_connect(conn, &ca, "origin.test").await.unwrap();
    assert_eq!(status(&get(&mut tls, "origin.test").await), 404);
    let expected = SeenProxyRequest {
        method: "CONNECT".into(),
        target,
        proxy_authorization: None,
    };
    assert_eq!(proxy.requests(), vec![expected]);
    assert_eq!(origin.requests().len(), 1);
}

#[tokio::test]
async fn tunnel_forwards_absolute_form_requests_in_origin_form() {
    let origin = HttpServer::start(200).await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let url = origin.url_for("adl.test", "/msdownload/update?x=1");
    let mut tcp = TcpStream::connect(proxy.addr()).await.unwrap();
    let request = format!(
        "GET {url} HTTP/1.1\r\nHost: adl.test:{}\r\n\r\n",
        origin.port()
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let head = support::read_head(&mut BufReader::new(tcp)).await.unwrap();
    assert_eq!(status(&head), 200);
    let seen = &origin.requests()[0];
    assert_eq!(seen.path, "/msdownload/update?x=1");
    assert_eq!(seen.host, Some(format!("adl.test:{}", origin.port())));
    assert_eq!(proxy.requests()[0].target, url);
}

#[tokio::test]
async fn proxy_requiring_auth_offers_every_challenge() {
    let challenges = ["Negotiate", "NTLM", "Basic realm=\"corp\""];
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: challenges.iter().map(|&c| c.to_owned()).collect(),
        accept: None,
    })
    .await;
    let (head, _conn) = connect_via(&proxy, "origin.test:443", None).await;
    assert_eq!(status(&head), 407);
    assert_eq!(header_values(&head, "proxy-authenticate"), challenges);
    assert!(header_values(&head, "content-length").len() == 1);
}

#[tokio::test]
async fn proxy_requiring_auth_accepts_good_basic_credentials_on_the_same_connection() {
    let ca = Ca::generate("Origin Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["NTLM, Basic realm=\"a,b\"".into()],
        accept: Some(("alice".into(), "s3cret".into())),
    })
    .await;
    let target = format!("origin.test:{}", origin.port());
    let (head, mut conn) = connect_via(&proxy, &target, None).await;
    assert_eq!(status(&head), 407);
    assert_eq!(
        header_values(&head, "proxy-authenticate"),
        ["NTLM, Basic realm=\"a,b\""]
    );
    let credentials = format!("Basic {}", BASE64.encode("alice:s3cret"));
    let head = send_connect(&mut conn, &target, Some(&credentials)).await;
    assert_eq!(status(&head), 200);
    let mut tls = tls_connect(conn, &ca, "origin.test").await.unwrap();
    assert_eq!(status(&get(&mut tls, "origin.test").await), 404);
    assert_eq!(proxy.connections(), 1);
    assert_eq!(proxy.requests()[1].proxy_authorization, Some(credentials));
}

#[tokio::test]
async fn proxy_requiring_auth_rejects_wrong_credentials() {
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["Basic realm=\"corp\"".into()],
        accept: Some(("alice".into(), "s3cret".into())),
    })
    .await;
    let wrong = format!("Basic {}", BASE64.encode("alice:guess"));
    let (head, _conn) = connect_via(&proxy, "origin.test:443", Some(&wrong)).await;
    assert_eq!(status(&head), 407);
}

#[tokio::test]
async fn intercepting_proxy_presents_a_chain_from_its_own_ca_for_the_sni() {
    let origin_ca = Ca::generate("Origin Root");
    let inspection_ca = Ca::generate("Corp Inspection CA");
    let proxy = FakeProxy::start(ProxyBehavior::Intercept(inspection_ca.clone())).await;

    // Nothing listens for this name: the proxy must answer without contacting an origin.
    let (head, conn) = connect_via(&proxy, "v10.events.data.microsoft.com:443", None).await;
    assert_eq!(status(&head), 200);
    let mut tls = tls_connect(conn, &inspection_ca, "v10.events.data.microsoft.com")
        .await
        .unwrap();
    let head = get(&mut tls, "v10.events.data.microsoft.com").await;
    assert_eq!(status(&head), 200);
    assert_eq!(header_values(&head, "x-intercepted"), ["1"]);
    let seen = &proxy.intercepted()[0];
    assert_eq!(seen.sni.as_deref(), Some("v10.events.data.microsoft.com"));

    let (_, conn) = connect_via(&proxy, "origin.test:443", None).await;
    let err = tls_connect(conn, &origin_ca, "origin.test")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("UnknownIssuer"), "{err}");
}

#[tokio::test]
async fn stalling_proxy_never_answers() {
    let proxy = FakeProxy::start(ProxyBehavior::Stall).await;
    let mut tcp = TcpStream::connect(proxy.addr()).await.unwrap();
    tcp.write_all(b"CONNECT origin.test:443 HTTP/1.1\r\nHost: origin.test:443\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_millis(300), tcp.read(&mut buf)).await;
    assert!(read.is_err(), "the proxy answered: {read:?}");
    assert_eq!(proxy.requests()[0].method, "CONNECT");
}

#[tokio::test]
async fn garbage_proxy_answers_with_bytes_that_are_not_http() {
    let proxy = FakeProxy::start(ProxyBehavior::Garbage).await;
    let mut tcp = TcpStream::connect(proxy.addr()).await.unwrap();
    tcp.write_all(b"CONNECT origin.test:443 HTTP/1.1\r\n\r\n")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.unwrap();
    assert_eq!(answer, support::GARBAGE);
    let mut headers = [httparse::EMPTY_HEADER; 8];
    assert!(
        httparse::Response::new(&mut headers)
            .parse(&answer)
            .is_err()
    );
}

#[tokio::test]
async fn refusing_proxy_answers_403_as_itself() {
    let proxy = FakeProxy::start(ProxyBehavior::Refuse(403)).await;
    let (head, _) = connect_via(&proxy, "origin.test:443", None).await;
    assert!(head.starts_with(b"HTTP/1.1 403 Forbidden\r\n"));
    assert_eq!(header_values(&head, "proxy-agent"), ["fakeproxy"]);
}

#[tokio::test]
async fn proxy_closing_after_connect_hangs_up_after_its_200() {
    let proxy = FakeProxy::start(ProxyBehavior::CloseAfterConnect).await;
    let (head, mut conn) = connect_via(&proxy, "origin.test:443", None).await;
    assert_eq!(status(&head), 200);
    assert_eq!(conn.read(&mut [0u8; 16]).await.unwrap(), 0);
}

#[tokio::test]
async fn delaying_proxy_costs_its_latency_and_then_tunnels() {
    let ca = Ca::generate("Origin Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let latency = Duration::from_millis(100);
    let proxy = FakeProxy::start(ProxyBehavior::Delay(latency)).await;
    let started = Instant::now();
    let target = format!("origin.test:{}", origin.port());
    let (head, conn) = connect_via(&proxy, &target, None).await;
    assert!(started.elapsed() >= latency);
    assert_eq!(status(&head), 200);
    let mut tls = tls_connect(conn, &ca, "origin.test").await.unwrap();
    assert_eq!(status(&get(&mut tls, "origin.test").await), 404);
}

#[tokio::test]
async fn proxy_answers_502_for_a_target_outside_loopback() {
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let (head, _) = connect_via(&proxy, "example.com:443", None).await;
    assert_eq!(status(&head), 502);

    let mut tcp = TcpStream::connect(proxy.addr()).await.unwrap();
    tcp.write_all(b"GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n")
        .await
        .unwrap();
    let head = support::read_head(&mut BufReader::new(tcp)).await.unwrap();
    assert_eq!(status(&head), 502);
}

#[tokio::test]
async fn dns_server_answers_known_names_and_nxdomain_for_others() {
    let dns = DnsServer::start(&[("origin.test.", Ipv4Addr::new(127, 0, 0, 7))]).await;
    let socket = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    socket.connect(dns.addr()).await.unwrap();

    let reply = ask(&socket, "ORIGIN.test", 1).await;
    assert_eq!(rcode(&reply), 0);
    assert_eq!(answer_count(&reply), 1);
    assert_eq!(reply[reply.len() - 4..], [127, 0, 0, 7]);

    let reply = ask(&socket, "origin.test", 28).await;
    assert_eq!((rcode(&reply), answer_count(&reply)), (0, 0));

    let reply = ask(&socket, "unknown.test", 1).await;
    assert_eq!((rcode(&reply), answer_count(&reply)), (3, 0));
    assert_eq!(dns.queries(), 3);
}

#[tokio::test]
async fn closed_port_refuses_connections() {
    let err = TcpStream::connect(closed_port()).await.unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused);
}

#[tokio::test]
async fn dropped_proxy_stops_listening() {
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let addr = proxy.addr();
    drop(proxy);
    // The aborted accept loop drops its listener the next time the runtime polls it.
    let mut refused = false;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "{addr} still accepts connections");
}

async fn tls_connect<S: AsyncRead + AsyncWrite + Unpin>(
    io: S,
    ca: &Ca,
    name: &str,
) -> std::io::Result<TlsStream<S>> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert_der()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = ServerName::try_from(name.to_owned()).unwrap();
    TlsConnector::from(Arc::new(config)).connect(name, io).await
}

/// Sends `GET /` and returns the response head.
async fn get(io: &mut (impl AsyncRead + AsyncWrite + Unpin), host: &str) -> Vec<u8> {
    let request = format!("GET / HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    io.write_all(request.as_bytes()).await.unwrap();
    support::read_head(&mut BufReader::new(io)).await.unwrap()
}

/// Opens a connection to `proxy` and sends CONNECT; returns the answer's head and the stream.
async fn connect_via(
    proxy: &FakeProxy,
    target: &str,
    authorization: Option<&str>,
) -> (Vec<u8>, BufReader<TcpStream>) {
    let mut conn = BufReader::new(TcpStream::connect(proxy.addr()).await.unwrap());
    let head = send_connect(&mut conn, target, authorization).await;
    (head, conn)
}

/// Sends CONNECT on `conn` and reads the head and any `Content-Length` body of the answer.
async fn send_connect(
    conn: &mut BufReader<TcpStream>,
    target: &str,
    authorization: Option<&str>,
) -> Vec<u8> {
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(value) = authorization {
        write!(request, "Proxy-Authorization: {value}\r\n").unwrap();
    }
    request.push_str("\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    let head = support::read_head(conn).await.unwrap();
    if let Some(len) = header_values(&head, "content-length").first() {
        let mut body = vec![0; len.parse().unwrap()];
        conn.read_exact(&mut body).await.unwrap();
    }
    head
}

fn status(head: &[u8]) -> u16 {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    response.parse(head).unwrap();
    response.code.unwrap()
}

fn header_values(head: &[u8], name: &str) -> Vec<String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    response.parse(head).unwrap();
    response
        .headers
        .iter()
        .filter(|h| h.name.eq_ignore_ascii_case(name))
        .map(|h| String::from_utf8(h.value.to_vec()).unwrap())
        .collect()
}

async fn ask(socket: &UdpSocket, name: &str, qtype: u16) -> Vec<u8> {
    let mut query = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        query.push(u8::try_from(label.len()).unwrap());
        query.extend_from_slice(label.as_bytes());
    }
    query.push(0);
    query.extend_from_slice(&qtype.to_be_bytes());
    query.extend_from_slice(&1u16.to_be_bytes());
    socket.send(&query).await.unwrap();
    let mut buf = [0u8; 512];
    let len = socket.recv(&mut buf).await.unwrap();
    assert_eq!(buf[..2], [0x12, 0x34]);
    buf[..len].to_vec()
}

fn rcode(reply: &[u8]) -> u8 {
    reply[3] & 0x0f
}

fn answer_count(reply: &[u8]) -> u16 {
    u16::from_be_bytes([reply[6], reply[7]])
}
