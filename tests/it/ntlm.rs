//! NTLMv2 with explicit credentials against the testkit's verifying NTLM proxy, the handshake
//! driven by hand over one TCP connection (type 1 → 407 with type 2 → type 3 → 200), as the
//! probe's loop will drive it: proves dapreflight's `Explicit` and the peer agree on MS-NLMP.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use dapreflight::{AuthScheme, Authenticate, Authenticated, Credentials, Explicit, Step};
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::support::{FakeProxy, HttpServer, NtlmProxy, ProxyBehavior, read_head};

const PASSWORD: &str = "c0rrect-h0rse";

/// What a hand-driven handshake ended with.
struct Outcome {
    status: u16,
    scheme: AuthScheme,
    authenticated: Authenticated,
    notes: Vec<String>,
    /// The connection, still open after a 200 (the tunnel).
    conn: BufReader<TcpStream>,
}

/// One response: status, headers, and the body (read whole, by `Content-Length`).
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
}

impl Response {
    fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn closes(&self) -> bool {
        self.all("connection")
            .iter()
            .any(|v| v.eq_ignore_ascii_case("close"))
    }
}

async fn read_response(conn: &mut BufReader<TcpStream>) -> Response {
    let head = read_head(conn).await.expect("a response head");
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut headers);
    parsed.parse(&head).expect("a valid head");
    let response = Response {
        status: parsed.code.expect("a status"),
        headers: parsed
            .headers
            .iter()
            .map(|h| {
                (
                    h.name.to_owned(),
                    String::from_utf8_lossy(h.value).into_owned(),
                )
            })
            .collect(),
    };
    if response.status != 200 {
        let len: usize = response
            .all("content-length")
            .first()
            .map_or(0, |v| v.trim().parse().expect("a number"));
        let mut body = vec![0; len];
        conn.read_exact(&mut body).await.expect("the whole body");
    }
    response
}

async fn send_connect(conn: &mut BufReader<TcpStream>, target: &str, authorization: Option<&str>) {
    let authorization = authorization
        .map(|value| format!("Proxy-Authorization: {value}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "CONNECT {target} HTTP/1.1\r\nHost: {target}\r\nProxy-Connection: keep-alive\r\n\
         {authorization}\r\n"
    );
    conn.get_mut()
        .write_all(request.as_bytes())
        .await
        .expect("the proxy reads");
}

async fn connect(proxy: SocketAddr) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(proxy).await.expect("the proxy listens"))
}

/// CONNECT without credentials, then the handshake the authenticator chooses, at most three
/// rounds; a new connection when the proxy closes after its first 407.
async fn handshake(proxy: SocketAddr, target: &str, auth: &dyn Authenticate) -> Outcome {
    let mut conn = connect(proxy).await;
    send_connect(&mut conn, target, None).await;
    let first = read_response(&mut conn).await;
    assert_eq!(first.status, 407, "the proxy asks first");
    let offered = first.all("proxy-authenticate");
    let scheme = auth.choose(&offered).expect("a scheme dapreflight answers");
    if first.closes() {
        conn = connect(proxy).await;
    }
    let mut handshake = auth.begin(scheme, "127.0.0.1").expect("a handshake");
    let mut challenge: Option<Vec<u8>> = None;
    for _ in 0..3 {
        let Step::Send(token) = handshake.step(challenge.as_deref()).expect("a step") else {
            break;
        };
        let value = format!("{} {}", scheme.word(), BASE64.encode(&token));
        send_connect(&mut conn, target, Some(&value)).await;
        let response = read_response(&mut conn).await;
        challenge = response.all("proxy-authenticate").iter().find_map(|v| {
            let (word, token) = v.split_once(' ')?;
            word.eq_ignore_ascii_case(scheme.word())
                .then(|| BASE64.decode(token.trim()).ok())?
        });
        if response.status != 407 || challenge.is_none() {
            return Outcome {
                status: response.status,
                scheme,
                authenticated: handshake.authenticated(),
                notes: handshake.notes(),
                conn,
            };
        }
    }
    panic!("the handshake did not end within three rounds");
}

/// The handshake as `account` with the right password, which must end in 200.
async fn through(proxy: &FakeProxy, origin: &HttpServer, account: &str) -> Outcome {
    let outcome = handshake(proxy.addr(), &target(origin), &explicit(account, PASSWORD)).await;
    assert_eq!(
        outcome.status,
        200,
        "rejections: {:?}",
        proxy.ntlm_rejections()
    );
    outcome
}

fn explicit(account: &str, password: &str) -> Explicit {
    Explicit::new(Credentials::new(account.to_owned(), password.to_owned()))
}

fn target(origin: &HttpServer) -> String {
    format!("origin.test:{}", origin.port())
}

#[tokio::test]
async fn the_right_password_authenticates_by_ntlmv2_and_tunnels_on_one_connection() {
    let origin = HttpServer::serving("through the tunnel\n").await;
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(NtlmProxy::new(
        "CORP", "alice", PASSWORD,
    )))
    .await;
    let mut outcome = through(&proxy, &origin, "CORP\\alice").await;
    assert_eq!(
        outcome.scheme,
        AuthScheme::Ntlm,
        "NTLM is preferred over Negotiate"
    );
    assert_eq!(
        outcome.authenticated,
        Authenticated {
            account: Some("CORP\\alice".to_owned()),
            package: Some("NTLMv2".to_owned()),
        }
    );
    assert!(outcome.notes.is_empty(), "{:?}", outcome.notes);
    assert_eq!(proxy.authenticated_users(), vec!["CORP\\alice".to_owned()]);
    assert_eq!(
        proxy.connections(),
        1,
        "type 1 and type 3 on the connection that was challenged"
    );
    // The tunnel works: a request through it reaches the origin.
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        target(&origin)
    );
    outcome
        .conn
        .get_mut()
        .write_all(request.as_bytes())
        .await
        .expect("write");
    let mut answer = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        outcome.conn.read_to_string(&mut answer),
    )
    .await
    .expect("the origin answers in time")
    .expect("read");
    assert!(answer.contains("through the tunnel"), "{answer}");
    // No token carried the password, in any form.
    for seen in proxy.requests() {
        let value = seen.proxy_authorization.unwrap_or_default();
        let decoded = value
            .split_once(' ')
            .and_then(|(_, t)| BASE64.decode(t).ok())
            .unwrap_or_default();
        assert!(!value.contains(PASSWORD));
        let utf16: Vec<u8> = PASSWORD.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert!(!decoded.windows(utf16.len()).any(|w| w == utf16.as_slice()));
        assert!(
            !decoded
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes())
        );
    }
}

#[tokio::test]
async fn a_wrong_password_draws_another_407_and_authenticates_no_one() {
    let origin = HttpServer::serving("never\n").await;
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(NtlmProxy::new(
        "CORP", "alice", PASSWORD,
    )))
    .await;
    let outcome = handshake(
        proxy.addr(),
        &target(&origin),
        &explicit("CORP\\alice", "wrong"),
    )
    .await;
    assert_eq!(outcome.status, 407);
    assert!(proxy.authenticated_users().is_empty());
    let rejections = proxy.ntlm_rejections();
    assert_eq!(rejections.len(), 1, "{rejections:?}");
    assert!(
        rejections[0].contains("proof does not match"),
        "{rejections:?}"
    );
    assert!(origin.requests().is_empty());
}

#[tokio::test]
async fn negotiate_carrying_raw_ntlmssp_is_verified_like_ntlm() {
    let origin = HttpServer::serving("ok\n").await;
    let options = NtlmProxy::new("CORP", "alice", PASSWORD).offering(&["Negotiate"]);
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(options)).await;
    let outcome = handshake(
        proxy.addr(),
        &target(&origin),
        &explicit("CORP\\alice", PASSWORD),
    )
    .await;
    assert_eq!(outcome.scheme, AuthScheme::Negotiate);
    assert_eq!(
        outcome.status,
        200,
        "rejections: {:?}",
        proxy.ntlm_rejections()
    );
    let words: Vec<String> = proxy
        .requests()
        .iter()
        .filter_map(|r| r.proxy_authorization.clone())
        .collect();
    assert_eq!(words.len(), 2);
    assert!(
        words.iter().all(|w| w.starts_with("Negotiate TlRMTVNTUA")),
        "{words:?}"
    );
}

#[tokio::test]
async fn the_minimal_fake_auth_challenge_still_gets_a_verified_answer() {
    let origin = HttpServer::serving("ok\n").await;
    let options = NtlmProxy::new("CORP", "alice", PASSWORD).minimal_challenge();
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(options)).await;
    let outcome = through(&proxy, &origin, "alice").await;
    assert_eq!(
        proxy.authenticated_users(),
        vec!["alice".to_owned()],
        "no domain to take"
    );
    assert!(
        outcome.notes.iter().any(|n| n.contains("no TargetInfo")),
        "{:?}",
        outcome.notes
    );
}

#[tokio::test]
async fn a_bare_user_takes_the_domain_from_the_full_challenge() {
    let origin = HttpServer::serving("ok\n").await;
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(NtlmProxy::new(
        "CORP", "alice", PASSWORD,
    )))
    .await;
    let outcome = through(&proxy, &origin, "alice").await;
    assert_eq!(proxy.authenticated_users(), vec!["CORP\\alice".to_owned()]);
    assert_eq!(
        outcome.authenticated.account.as_deref(),
        Some("CORP\\alice")
    );
}

#[tokio::test]
async fn a_upn_account_is_sent_whole_with_an_empty_domain() {
    let origin = HttpServer::serving("ok\n").await;
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(NtlmProxy::new(
        "CORP", "alice", PASSWORD,
    )))
    .await;
    through(&proxy, &origin, "alice@corp.test").await;
    assert_eq!(
        proxy.authenticated_users(),
        vec!["alice@corp.test".to_owned()]
    );
}

#[tokio::test]
async fn authenticated_but_denied_is_a_403_after_the_handshake() {
    let origin = HttpServer::serving("never\n").await;
    let options = NtlmProxy::new("CORP", "alice", PASSWORD).deny_after_auth();
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(options)).await;
    let outcome = handshake(
        proxy.addr(),
        &target(&origin),
        &explicit("CORP\\alice", PASSWORD),
    )
    .await;
    assert_eq!(outcome.status, 403);
    assert_eq!(proxy.authenticated_users(), vec!["CORP\\alice".to_owned()]);
    assert!(origin.requests().is_empty());
}

#[tokio::test]
async fn a_proxy_closing_after_its_first_407_is_answered_on_a_new_connection() {
    let origin = HttpServer::serving("ok\n").await;
    let options = NtlmProxy::new("CORP", "alice", PASSWORD).close_after_first_407();
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(options)).await;
    through(&proxy, &origin, "CORP\\alice").await;
    assert_eq!(proxy.connections(), 2);
}

#[tokio::test]
async fn an_authenticate_message_on_a_connection_never_challenged_is_refused() {
    let origin = HttpServer::serving("never\n").await;
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(NtlmProxy::new(
        "CORP", "alice", PASSWORD,
    )))
    .await;
    // A full handshake first, to get a genuine type 3...
    let auth = explicit("CORP\\alice", "wrong");
    let _ = handshake(proxy.addr(), &target(&origin), &auth).await;
    let type3 = proxy
        .requests()
        .iter()
        .filter_map(|r| r.proxy_authorization.clone())
        .next_back()
        .expect("a type 3 was sent");
    // ...replayed on a fresh connection, where no challenge was issued.
    let mut conn = connect(proxy.addr()).await;
    send_connect(&mut conn, &target(&origin), Some(&type3)).await;
    assert_eq!(read_response(&mut conn).await.status, 407);
    assert!(
        proxy
            .ntlm_rejections()
            .iter()
            .any(|r| r.contains("no challenge on this connection")),
        "{:?}",
        proxy.ntlm_rejections()
    );
}

#[tokio::test]
async fn a_type_3_whose_mic_was_altered_is_refused() {
    let origin = HttpServer::serving("never\n").await;
    let proxy = FakeProxy::start(ProxyBehavior::Ntlm(NtlmProxy::new(
        "CORP", "alice", PASSWORD,
    )))
    .await;
    let target = target(&origin);
    let mut handshake = explicit("CORP\\alice", PASSWORD)
        .begin(AuthScheme::Ntlm, "127.0.0.1")
        .expect("a handshake");
    let mut conn = connect(proxy.addr()).await;
    let Ok(Step::Send(type1)) = handshake.step(None) else {
        panic!("a negotiate message");
    };
    send_connect(
        &mut conn,
        &target,
        Some(&format!("NTLM {}", BASE64.encode(&type1))),
    )
    .await;
    let response = read_response(&mut conn).await;
    let challenge = response.all("proxy-authenticate")[0]
        .strip_prefix("NTLM ")
        .map(|t| BASE64.decode(t).expect("base64"))
        .expect("an NTLM challenge");
    let Ok(Step::Send(mut type3)) = handshake.step(Some(&challenge)) else {
        panic!("an authenticate message");
    };
    // The full challenge carries a timestamp, so the message carries a MIC at bytes 72..88.
    assert_ne!(&type3[72..88], &[0; 16]);
    type3[80] ^= 0x01;
    send_connect(
        &mut conn,
        &target,
        Some(&format!("NTLM {}", BASE64.encode(&type3))),
    )
    .await;
    assert_eq!(read_response(&mut conn).await.status, 407);
    assert_eq!(
        proxy.ntlm_rejections(),
        vec!["the MIC does not match".to_owned()]
    );
}
