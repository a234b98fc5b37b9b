//! Proxy authentication: 407s, the schemes offered, and the Basic retry with credentials from the
//! environment, which never show in any output.

use dapreflight::ProbeFailure;
use dapreflight::Status;
use dapreflight::{Format, Style};

use crate::harness::Check;
use crate::support::{Ca, FakeProxy, ProxyBehavior, TlsServer};

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
async fn windows_integrated_schemes_are_all_listed_and_not_retried() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["Negotiate".to_owned(), "NTLM".to_owned()],
        accept: None,
    })
    .await;
    let result = check(&ca, &origin, &proxy)
        .credentials("alice", "pa55-w0rd")
        .run_one()
        .await;
    assert_eq!(result.status, Status::ProxyAuthRequired, "{result:#?}");
    assert_eq!(
        result.failure,
        Some(ProbeFailure::ProxyAuthRequired {
            schemes: vec!["Negotiate".to_owned(), "NTLM".to_owned()]
        })
    );
    assert!(
        result.detail.contains("Negotiate, NTLM"),
        "{}",
        result.detail
    );
    assert_eq!(proxy.requests().len(), 1, "Basic was not offered: no retry");
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
    assert!(auth.accepted);
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
    assert!(!result.proxy.and_then(|p| p.auth).expect("a retry").accepted);
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
            for secret in [password, "alice", basic.as_str()] {
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
