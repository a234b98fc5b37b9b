//! Proxy authentication: 407s, the schemes offered, the Basic retry with credentials from the
//! environment (which never show in any output), and the multi-round handshake loop against a
//! scripted proxy, independent of any NTLM cryptography.

use std::sync::Arc;

use dapreflight::Status;
use dapreflight::{AuthAttempt, AuthOutcome, AuthScheme, ProbeFailure};
use dapreflight::{Format, Style};

use crate::harness::Check;
use crate::support::{
    ANSWER, Ca, FIRST, FakeProxy, HandshakeProxy, ProxyBehavior, Script, ScriptedAuth, TlsServer,
};

fn basic_proxy() -> ProxyBehavior {
    ProxyBehavior::RequireAuth {
        challenges: vec!["Basic realm=\"corp\"".to_owned()],
        accept: Some(("alice".to_owned(), "pa55-w0rd".to_owned())),
    }
}

async fn origin() -> (Ca, TlsServer) {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    (ca, origin)
}

fn check(ca: &Ca, origin: &TlsServer, proxy: &FakeProxy) -> Check {
    Check::new()
        .endpoint(&format!("url: \"https://origin.test:{}/\"", origin.port()))
        .trust(ca)
        .via(proxy.addr())
}

#[tokio::test]
async fn proxy_demanding_auth_is_reported_with_its_schemes() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(basic_proxy()).await;
    let result = check(&ca, &origin, &proxy).run_one().await;
    assert_eq!(result.status, Status::ProxyAuthRequired, "{result:#?}");
    assert_eq!(
        result.failure,
        Some(ProbeFailure::ProxyAuthRequired {
            schemes: vec!["Basic".to_owned()]
        })
    );
    let evidence = result.proxy.expect("proxy evidence");
    assert_eq!(evidence.status, Some(407));
    assert_eq!(
        evidence.challenges[0].params,
        vec![("realm".to_owned(), "corp".to_owned())]
    );
    assert!(evidence.auth.is_none(), "no credentials, no retry");
    assert_eq!(origin.requests().len(), 0);
}

#[tokio::test]
async fn windows_integrated_schemes_are_all_listed_and_answered_with_ntlm_given_credentials() {
    let (ca, origin) = origin().await;
    // A proxy that asks for Negotiate and NTLM but never sends a challenge: the NTLM type 1 meets
    // a bare 407 again, which is a rejection of the account.
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["Negotiate".to_owned(), "NTLM".to_owned()],
        accept: None,
    })
    .await;
    let without = check(&ca, &origin, &proxy).run_one().await;
    assert_eq!(
        without.failure,
        Some(ProbeFailure::ProxyAuthRequired {
            schemes: vec!["Negotiate".to_owned(), "NTLM".to_owned()]
        })
    );
    assert!(
        without.detail.contains("Negotiate, NTLM"),
        "{}",
        without.detail
    );
    let result = check(&ca, &origin, &proxy)
        .credentials("alice", "pa55-w0rd")
        .run_one()
        .await;
    assert_eq!(result.status, Status::ProxyAuthRejected, "{result:#?}");
    assert!(
        matches!(
            &result.failure,
            Some(ProbeFailure::ProxyAuthRejected { scheme, account: Some(account), .. })
                if scheme == "NTLM" && account == "alice"
        ),
        "{:?}",
        result.failure
    );
    let evidence = result.proxy.expect("proxy evidence");
    let offered: Vec<&str> = evidence
        .challenges
        .iter()
        .map(|c| c.scheme.as_str())
        .collect();
    assert_eq!(
        offered,
        ["Negotiate", "NTLM"],
        "the first 407's offers are kept"
    );
    let auth = evidence.auth.expect("a handshake");
    assert_eq!(auth.scheme, "NTLM");
    assert_eq!(auth.rounds, 1);
}

#[tokio::test]
async fn several_challenges_in_one_header_are_each_reported() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec![
            "NTLM, Basic realm=\"a,b\"".to_owned(),
            "Negotiate".to_owned(),
        ],
        accept: None,
    })
    .await;
    let result = check(&ca, &origin, &proxy).run_one().await;
    assert_eq!(
        result.failure,
        Some(ProbeFailure::ProxyAuthRequired {
            schemes: vec![
                "NTLM".to_owned(),
                "Basic".to_owned(),
                "Negotiate".to_owned()
            ]
        }),
        "{result:#?}"
    );
}

#[tokio::test]
async fn good_basic_credentials_are_retried_and_accepted() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(basic_proxy()).await;
    let result = check(&ca, &origin, &proxy)
        .credentials("alice", "pa55-w0rd")
        .run_one()
        .await;
    assert_eq!(result.status, Status::Ok, "{result:#?}");
    let auth = result
        .proxy
        .as_ref()
        .and_then(|p| p.auth.clone())
        .expect("a retry");
    assert!(auth.accepted());
    assert_eq!(auth.outcome, AuthOutcome::Accepted);
    assert_eq!(auth.rounds, 1);
    assert_eq!(auth.status, Some(200));
    assert!(
        result.detail.contains("accepted the Basic credentials"),
        "{}",
        result.detail
    );
    let seen = proxy.requests();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].proxy_authorization.is_none());
    assert!(
        seen[1]
            .proxy_authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))
    );
    assert_eq!(origin.requests().len(), 1);
}

#[tokio::test]
async fn bad_basic_credentials_are_proxy_auth_rejected() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(basic_proxy()).await;
    let result = check(&ca, &origin, &proxy)
        .credentials("alice", "wrong")
        .run_one()
        .await;
    assert_eq!(result.status, Status::ProxyAuthRejected, "{result:#?}");
    assert!(
        !result
            .proxy
            .and_then(|p| p.auth)
            .expect("a retry")
            .accepted()
    );
}

#[tokio::test]
async fn credentials_never_appear_in_the_table_or_the_json() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(basic_proxy()).await;
    for password in ["pa55-w0rd", "wrong-Pa55"] {
        let report = check(&ca, &origin, &proxy)
            .credentials("alice", password)
            .run()
            .await;
        let basic = base64_of(&format!("alice:{password}"));
        for format in [Format::Table, Format::Json] {
            let mut out = Vec::new();
            dapreflight::render(
                &report,
                Style {
                    format,
                    ..Style::default()
                },
                &mut out,
            )
            .expect("render");
            let text = String::from_utf8(out).expect("utf-8");
            // The account is evidence (who was presented); the password and token never are.
            assert!(
                text.contains("alice"),
                "{format:?}: the account is named:\n{text}"
            );
            for secret in [password, basic.as_str()] {
                assert!(
                    !text.contains(secret),
                    "{secret} leaked in {format:?}:\n{text}"
                );
            }
        }
        let debug = format!("{report:?}");
        assert!(!debug.contains(password), "leaked in Debug");
    }
}

fn base64_of(text: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// A password whose pair needs base64 padding and percent-encoding, so every form differs.
const REFLECTED_PASSWORD: &str = "S3cret/Pass";

/// Every form in which a proxy could send the held credentials back.
pub fn reflected_secrets(user: &str, password: &str) -> Vec<String> {
    let pair = format!("{user}:{password}");
    let token = base64_of(&pair);
    let percent = |text: &str| -> String {
        text.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    };
    vec![
        format!("Basic {token}"),
        token.clone(),
        token.trim_end_matches('=').to_owned(),
        pair.clone(),
        pair.to_uppercase(),
        password.to_owned(),
        password.to_lowercase(),
        percent(&pair),
        percent(password),
    ]
}

#[tokio::test]
async fn credentials_a_hostile_proxy_reflects_are_scrubbed_from_every_rendering() {
    let (ca, origin) = origin().await;
    let secrets = reflected_secrets("alice", REFLECTED_PASSWORD);
    assert!(
        secrets[1].ends_with('='),
        "the token is padded: {}",
        secrets[1]
    );
    // 407: the challenges and headers; 403: the failure's reason; 200 over plain http: the HTTP
    // evidence the proxy answered itself.
    let cases = [
        (407, format!("https://origin.test:{}/", origin.port())),
        (403, format!("https://origin.test:{}/", origin.port())),
        (502, "http://origin.test:9/".to_owned()),
        (200, "http://origin.test:9/".to_owned()),
    ];
    for (status, url) in cases {
        let proxy = FakeProxy::start(ProxyBehavior::ReflectAuth(status)).await;
        let report = Check::new()
            .endpoint(&format!("url: \"{url}\""))
            .trust(&ca)
            .via(proxy.addr())
            .credentials("alice", REFLECTED_PASSWORD)
            .run()
            .await;
        let seen = proxy.requests();
        assert_eq!(seen.len(), 2, "{status}: the retry carried credentials");
        assert_eq!(
            seen[1].proxy_authorization.as_deref(),
            Some(secrets[0].as_str()),
            "{status}: the proxy got the credentials it reflects"
        );
        // The JSON carries every recorded header, status line, challenge and detail; the table
        // the verdict's sentences; Debug everything the report holds.
        let mut renderings = vec![("Debug", format!("{report:?}"))];
        for format in [Format::Table, Format::Json] {
            let mut out = Vec::new();
            let style = Style {
                format,
                ..Style::default()
            };
            dapreflight::render(&report, style, &mut out).expect("render");
            let name = if format == Format::Json {
                "json"
            } else {
                "table"
            };
            renderings.push((name, String::from_utf8(out).expect("utf-8")));
        }
        for (name, text) in &renderings {
            if *name != "table" {
                assert!(
                    text.contains("[redacted]"),
                    "{status} {name}: nothing redacted:\n{text}"
                );
            }
            for secret in &secrets {
                assert!(
                    !text.contains(secret.as_str()),
                    "{status} {name}: {secret} leaked:\n{text}"
                );
            }
        }
    }
}

/// A check of the origin through the scripted handshake proxy, answering NTLM as `CORP\alice`.
fn scripted(ca: &Ca, origin: &TlsServer, proxy: &HandshakeProxy) -> Check {
    check_via(ca, origin, proxy.addr())
        .authenticator(Arc::new(ScriptedAuth::new(AuthScheme::Ntlm, "CORP\\alice")))
}

fn check_via(ca: &Ca, origin: &TlsServer, proxy: std::net::SocketAddr) -> Check {
    Check::new()
        .endpoint(&format!("url: \"https://origin.test:{}/\"", origin.port()))
        .trust(ca)
        .via(proxy)
}

fn attempt(result: &dapreflight::ProbeResult) -> AuthAttempt {
    result
        .proxy
        .as_ref()
        .and_then(|p| p.auth.clone())
        .unwrap_or_else(|| panic!("an auth attempt: {result:#?}"))
}

/// The `Proxy-Authorization` values the proxy saw, in order (`None`: without credentials).
fn authorizations(proxy: &HandshakeProxy) -> Vec<Option<String>> {
    proxy
        .requests()
        .into_iter()
        .map(|r| r.proxy_authorization)
        .collect()
}

fn ntlm(token: &[u8]) -> String {
    format!("NTLM {}", base64_of_bytes(token))
}

fn base64_of_bytes(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test]
async fn a_multi_round_handshake_completes_on_one_kept_connection() {
    let (ca, origin) = origin().await;
    for script in [Script::Complete, Script::LargeBody, Script::Chunked] {
        let before = origin.requests().len();
        let proxy = HandshakeProxy::start("NTLM", script).await;
        let result = scripted(&ca, &origin, &proxy).run_one().await;
        assert_eq!(result.status, Status::Ok, "{script:?}: {result:#?}");
        let auth = attempt(&result);
        assert_eq!(auth.scheme, "NTLM");
        assert_eq!(auth.outcome, AuthOutcome::Accepted);
        assert_eq!(auth.rounds, 2, "{script:?}");
        assert_eq!(auth.status, Some(200));
        assert_eq!(auth.authenticated.account.as_deref(), Some("CORP\\alice"));
        assert_eq!(
            authorizations(&proxy),
            vec![None, Some(ntlm(FIRST)), Some(ntlm(ANSWER))],
            "{script:?}"
        );
        // The 407 bodies (3,500 bytes, or chunked) were read to their end: one connection.
        assert_eq!(proxy.connections(), 1, "{script:?}");
        assert_eq!(origin.requests().len(), before + 1);
        assert_eq!(
            auth.to_string(),
            "NTLM (Scripted) as CORP\\alice (explicit credentials): accepted after 2 rounds"
        );
        assert!(
            result
                .detail
                .contains("accepted the NTLM credentials of CORP\\alice"),
            "{}",
            result.detail
        );
    }
}

#[tokio::test]
async fn a_proxy_that_closes_after_its_first_407_is_asked_again_on_a_new_connection() {
    let (ca, origin) = origin().await;
    for (script, said) in [
        (Script::CloseAfterFirst, "after its first 407; "),
        (Script::SilentCloseAfterFirst, "without saying so"),
    ] {
        let proxy = HandshakeProxy::start("NTLM", script).await;
        let result = scripted(&ca, &origin, &proxy).run_one().await;
        assert_eq!(result.status, Status::Ok, "{script:?}: {result:#?}");
        let auth = attempt(&result);
        assert_eq!(auth.rounds, 2, "{script:?}");
        assert_eq!(proxy.connections(), 2, "{script:?}");
        assert!(
            auth.notes.iter().any(|note| note.contains(said)),
            "{script:?}: {:?}",
            auth.notes
        );
        // The new connection starts with the first token, never without credentials.
        let seen = authorizations(&proxy);
        assert_eq!(seen.first(), Some(&None), "{script:?}");
        assert_eq!(seen.last(), Some(&Some(ntlm(ANSWER))), "{script:?}");
        assert_eq!(seen.iter().filter(|a| a.is_none()).count(), 1, "{script:?}");
    }
}

#[tokio::test]
async fn a_proxy_that_closes_between_ntlm_messages_fails_with_words() {
    let (ca, origin) = origin().await;
    let proxy = HandshakeProxy::start("NTLM", Script::CloseMidHandshake).await;
    let result = scripted(&ca, &origin, &proxy).run_one().await;
    assert_eq!(result.status, Status::ProxyAuthFailed, "{result:#?}");
    let Some(ProbeFailure::ProxyAuthFailed { scheme, reason }) = &result.failure else {
        panic!("a handshake failure: {result:#?}");
    };
    assert_eq!(scheme, "NTLM");
    assert_eq!(
        reason,
        "the proxy closed the connection between NTLM messages: NTLM authenticates a \
         connection, so the proxy must keep it open"
    );
    assert!(result.detail.contains(reason.as_str()), "{}", result.detail);
    assert!(matches!(
        attempt(&result).outcome,
        AuthOutcome::Failed { .. }
    ));
    assert_eq!(
        proxy.connections(),
        1,
        "no second try once the handshake began"
    );
}

#[tokio::test]
async fn a_proxy_that_answers_every_token_with_407_is_rejected_after_three_rounds() {
    let (ca, origin) = origin().await;
    let proxy = HandshakeProxy::start("NTLM", Script::Loop).await;
    let result = scripted(&ca, &origin, &proxy).run_one().await;
    assert_eq!(result.status, Status::ProxyAuthRejected, "{result:#?}");
    assert_eq!(
        result.failure,
        Some(ProbeFailure::ProxyAuthRejected {
            scheme: "NTLM".to_owned(),
            status: 407,
            account: Some("CORP\\alice".to_owned()),
        })
    );
    let auth = attempt(&result);
    assert_eq!(auth.outcome, AuthOutcome::Rejected);
    assert_eq!(auth.rounds, 3);
    let requests = proxy.requests().len();
    assert!(requests <= 4, "{requests} requests");
    assert_eq!(requests, 4, "one without credentials, three with");
    assert_eq!(proxy.connections(), 1);
    assert_eq!(origin.requests().len(), 0);
}

#[tokio::test]
async fn a_403_after_the_last_token_is_denied_with_the_account_known() {
    let (ca, origin) = origin().await;
    let proxy = HandshakeProxy::start("NTLM", Script::DenyAfterLast).await;
    let result = scripted(&ca, &origin, &proxy).run_one().await;
    assert_eq!(result.status, Status::ProxyDenied, "{result:#?}");
    assert!(matches!(
        result.failure,
        Some(ProbeFailure::ProxyDenied { status: 403, .. })
    ));
    let auth = attempt(&result);
    assert_eq!(auth.outcome, AuthOutcome::Denied);
    assert!(auth.accepted(), "the proxy knew the account");
    assert_eq!(auth.status, Some(403));
    assert!(
        auth.to_string()
            .contains("authenticated, then denied (403)"),
        "{auth}"
    );
}

#[tokio::test]
async fn a_bare_scheme_word_instead_of_a_challenge_is_rejected_and_a_bad_one_fails() {
    let (ca, origin) = origin().await;
    let bare = HandshakeProxy::start("NTLM", Script::BareChallenge).await;
    let result = scripted(&ca, &origin, &bare).run_one().await;
    assert_eq!(result.status, Status::ProxyAuthRejected, "{result:#?}");
    assert_eq!(attempt(&result).rounds, 1);
    let bad = HandshakeProxy::start("NTLM", Script::BadChallenge).await;
    let result = scripted(&ca, &origin, &bad).run_one().await;
    assert_eq!(result.status, Status::ProxyAuthFailed, "{result:#?}");
    assert!(
        matches!(&result.failure, Some(ProbeFailure::ProxyAuthFailed { reason, .. })
            if reason.contains("the scripted challenge says bad")),
        "{result:#?}"
    );
}

#[tokio::test]
async fn negotiate_on_an_absolute_form_request_runs_the_same_handshake() {
    let proxy = HandshakeProxy::start("Negotiate", Script::Complete).await;
    let result = Check::new()
        .endpoint("url: \"http://origin.test:9/\"")
        .via(proxy.addr())
        .authenticator(Arc::new(ScriptedAuth::new(
            AuthScheme::Negotiate,
            "alice@corp.example",
        )))
        .run_one()
        .await;
    let auth = attempt(&result);
    assert_eq!(auth.scheme, "Negotiate");
    assert_eq!(auth.outcome, AuthOutcome::Accepted, "{result:#?}");
    assert_eq!(auth.rounds, 2);
    assert_eq!(proxy.connections(), 1);
    let seen = proxy.requests();
    assert!(
        seen.iter()
            .all(|r| r.method == "GET" && r.target.starts_with("http://"))
    );
    assert_eq!(
        seen[2].proxy_authorization.as_deref(),
        Some(format!("Negotiate {}", base64_of_bytes(ANSWER)).as_str())
    );
    assert_eq!(result.http_status, Some(200), "{result:#?}");
}

#[tokio::test]
async fn an_authenticator_offered_none_of_its_schemes_does_not_start_a_handshake() {
    let (ca, origin) = origin().await;
    let proxy = HandshakeProxy::start("Negotiate", Script::Complete).await;
    let result = scripted(&ca, &origin, &proxy).run_one().await;
    assert_eq!(result.status, Status::ProxyAuthRequired, "{result:#?}");
    assert!(result.proxy.and_then(|p| p.auth).is_none());
    assert_eq!(proxy.requests().len(), 1);
}

#[tokio::test]
async fn the_json_names_who_was_presented_the_rounds_and_why_a_handshake_failed() {
    let (ca, origin) = origin().await;
    let proxy = HandshakeProxy::start("NTLM", Script::CloseMidHandshake).await;
    let report = scripted(&ca, &origin, &proxy).run().await;
    let mut out = Vec::new();
    let style = Style {
        format: Format::Json,
        ..Style::default()
    };
    dapreflight::render(&report, style, &mut out).expect("render");
    let json: serde_json::Value = serde_json::from_slice(&out).expect("json");
    let result = &json["results"][0];
    assert_eq!(result["status"], "proxy_auth_failed", "{result}");
    assert_eq!(result["failure"]["kind"], "proxy_auth_failed", "{result}");
    assert_eq!(result["failure"]["scheme"], "NTLM");
    let auth = &result["proxy"]["auth"];
    assert_eq!(
        auth["presenting"],
        serde_json::json!({"kind": "explicit", "account": "CORP\\alice"})
    );
    assert_eq!(auth["outcome"], "failed", "{auth}");
    assert_eq!(auth["accepted"], false);
    assert_eq!(
        auth["rounds"], 2,
        "the second request met the closed connection"
    );
    assert_eq!(auth["scheme"], "NTLM");
    assert!(
        auth["reason"]
            .as_str()
            .is_some_and(|r| r.contains("between NTLM messages")),
        "{auth}"
    );
}
