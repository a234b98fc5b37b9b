//! The probe against real third-party proxies: Squid (Basic; NTLM + Basic; NTLM and Negotiate
//! through its fake NTLM helper, kept alive or not, allowing, re-challenging or denying) and
//! tinyproxy.

use std::net::Ipv4Addr;

use dapreflight::Status;
use dapreflight::{AuthOutcome, ProbeFailure, ProbeResult};

use crate::harness::Check;
use crate::support::{
    Ca, HttpServer, NtlmHelper, SquidAccess, SquidAuth, SquidNtlm, ThirdPartyProxy, TlsServer,
    available, closed_port,
};

const SQUID: &str = "/usr/sbin/squid";
const TINYPROXY: &str = "/usr/bin/tinyproxy";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_basic_auth_is_required_accepted_and_rejected_as_squid_says() {
    if !available("squid", SQUID) {
        return;
    }
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let squid = tokio::task::spawn_blocking(|| {
        ThirdPartyProxy::squid(
            &SquidAuth::Basic {
                user: "alice".into(),
                password: "Sq-pa55".into(),
            },
            &[("origin.test", Ipv4Addr::LOCALHOST)],
        )
    })
    .await
    .expect("start squid");
    let check = || {
        Check::new()
            .endpoint(&format!("url: \"https://origin.test:{}/\"", origin.port()))
            .trust(&ca)
            .via(squid.addr())
    };
    let none = check().run_one().await;
    assert_eq!(none.status, Status::ProxyAuthRequired, "{none:#?}");
    assert_eq!(
        none.failure,
        Some(ProbeFailure::ProxyAuthRequired {
            schemes: vec!["Basic".into()]
        })
    );
    let good = check().credentials("alice", "Sq-pa55").run_one().await;
    assert_eq!(good.status, Status::Ok, "{good:#?}");
    assert!(
        good.proxy
            .and_then(|p| p.auth)
            .is_some_and(|a| a.accepted())
    );
    let bad = check().credentials("alice", "wrong").run_one().await;
    assert_eq!(bad.status, Status::ProxyAuthRejected, "{bad:#?}");
    drop(tokio::task::spawn_blocking(move || drop(squid)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_offering_ntlm_and_basic_lists_both() {
    if !available("squid", SQUID) {
        return;
    }
    let squid = tokio::task::spawn_blocking(|| {
        ThirdPartyProxy::squid(
            &SquidAuth::NtlmAndBasic {
                user: "alice".into(),
                password: "Sq-pa55".into(),
            },
            &[],
        )
    })
    .await
    .expect("start squid");
    let result = Check::new()
        .endpoint("url: \"https://v10c.events.data.microsoft.com/\"")
        .via(squid.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::ProxyAuthRequired, "{result:#?}");
    assert_eq!(
        result.failure,
        Some(ProbeFailure::ProxyAuthRequired {
            schemes: vec!["NTLM".into(), "Basic".into()]
        })
    );
    drop(tokio::task::spawn_blocking(move || drop(squid)).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tinyproxy_tunnels_https_forwards_plain_http_and_reports_its_own_failures() {
    if !available("tinyproxy", TINYPROXY) {
        return;
    }
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["127.0.0.1"]).await;
    let plain = HttpServer::start(404).await;
    let proxy = tokio::task::spawn_blocking(ThirdPartyProxy::tinyproxy)
        .await
        .expect("start tinyproxy");
    let report = Check::new()
        .endpoint(&format!("url: \"https://127.0.0.1:{}/\"", origin.port()))
        .endpoint(&format!("url: \"http://127.0.0.1:{}/\"", plain.port()))
        .endpoint(&format!(
            "url: \"http://127.0.0.1:{}/\"",
            closed_port().port()
        ))
        .trust(&ca)
        .via(proxy.addr())
        .run()
        .await;
    let statuses: Vec<Status> = report.results.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [Status::Ok, Status::Ok, Status::ProxyError],
        "{:#?}",
        report.results
    );
    assert_eq!(report.results[1].http_status, Some(404));
    assert_eq!(plain.requests().len(), 1);
    drop(tokio::task::spawn_blocking(move || drop(proxy)).await);
}

/// Probes the origin through Squid set up as `setup`, answering with dapreflight's NTLMv2 as
/// `CORP\alice` (Squid's fake helper reads the user and checks no proof).
async fn through_squid_ntlm(setup: SquidNtlm) -> ProbeResult {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let squid = tokio::task::spawn_blocking(move || {
        ThirdPartyProxy::squid_ntlm(&setup, &[("origin.test", Ipv4Addr::LOCALHOST)])
    })
    .await
    .expect("start squid");
    let result = Check::new()
        .endpoint(&format!("url: \"https://origin.test:{}/\"", origin.port()))
        .trust(&ca)
        .via(squid.addr())
        .credentials("CORP\\alice", "unchecked-by-the-fake-helper")
        .run_one()
        .await;
    drop(tokio::task::spawn_blocking(move || drop(squid)).await);
    result
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_ntlm_and_negotiate_carrying_ntlmssp_complete_in_two_rounds() {
    if !available("squid", SQUID) {
        return;
    }
    for negotiate in [false, true] {
        let result = through_squid_ntlm(SquidNtlm {
            negotiate,
            keep_alive: true,
            access: SquidAccess::Allow,
            helper: NtlmHelper::Fake,
        })
        .await;
        assert_eq!(
            result.status,
            Status::Ok,
            "negotiate {negotiate}: {result:#?}"
        );
        let auth = result.proxy.and_then(|p| p.auth).expect("a handshake");
        assert_eq!(auth.outcome, AuthOutcome::Accepted);
        assert_eq!(auth.rounds, 2, "type 1, then type 3");
        assert_eq!(auth.scheme, if negotiate { "Negotiate" } else { "NTLM" });
        assert_eq!(auth.authenticated.account.as_deref(), Some("CORP\\alice"));
        // ntlm_fake_auth's challenge is the minimal one strict parsers reject.
        assert!(
            auth.notes.iter().any(|note| note.contains("no TargetInfo")),
            "{:?}",
            auth.notes
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_closing_after_its_first_407_is_asked_again_on_a_new_connection() {
    if !available("squid", SQUID) {
        return;
    }
    let result = through_squid_ntlm(SquidNtlm {
        negotiate: false,
        keep_alive: false,
        access: SquidAccess::Allow,
        helper: NtlmHelper::Fake,
    })
    .await;
    assert_eq!(result.status, Status::Ok, "{result:#?}");
    let auth = result.proxy.and_then(|p| p.auth).expect("a handshake");
    assert_eq!(auth.rounds, 2);
    assert!(
        auth.notes
            .iter()
            .any(|note| note.contains("closed the connection after its first 407")),
        "{:?}",
        auth.notes
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_rechallenging_a_known_user_is_rejected_and_denying_one_is_denied() {
    if !available("squid", SQUID) {
        return;
    }
    let rechallenged = through_squid_ntlm(SquidNtlm {
        negotiate: false,
        keep_alive: true,
        access: SquidAccess::Rechallenge,
        helper: NtlmHelper::Fake,
    })
    .await;
    assert_eq!(
        rechallenged.status,
        Status::ProxyAuthRejected,
        "{rechallenged:#?}"
    );
    assert!(matches!(
        &rechallenged.failure,
        Some(ProbeFailure::ProxyAuthRejected { scheme, status: 407, account: Some(account) })
            if scheme == "NTLM" && account == "CORP\\alice"
    ));
    let denied = through_squid_ntlm(SquidNtlm {
        negotiate: false,
        keep_alive: true,
        access: SquidAccess::Deny,
        helper: NtlmHelper::Fake,
    })
    .await;
    assert_eq!(denied.status, Status::ProxyDenied, "{denied:#?}");
    let auth = denied.proxy.and_then(|p| p.auth).expect("a handshake");
    assert_eq!(auth.outcome, AuthOutcome::Denied);
    assert_eq!(auth.status, Some(403));
}

/// Probes the origin through Squid whose NTLM helper verifies the NTLMv2 proof of `CORP\alice`
/// (password `Sq-Ntlm-7`), answering with dapreflight's own NTLMv2 and the explicit credentials
/// `account`/`password`. Returns the result and what the helper logged.
async fn through_verifying_squid(
    negotiate: bool,
    keep_alive: bool,
    mode: &'static str,
    account: &str,
    password: &str,
) -> (ProbeResult, String) {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let setup = SquidNtlm {
        negotiate,
        keep_alive,
        access: SquidAccess::Allow,
        helper: NtlmHelper::Verifying {
            domain: "CORP".to_owned(),
            user: "alice".to_owned(),
            password: "Sq-Ntlm-7".to_owned(),
            mode,
        },
    };
    let squid = tokio::task::spawn_blocking(move || {
        ThirdPartyProxy::squid_ntlm(&setup, &[("origin.test", Ipv4Addr::LOCALHOST)])
    })
    .await
    .expect("start squid");
    let result = Check::new()
        .endpoint(&format!("url: \"https://origin.test:{}/\"", origin.port()))
        .trust(&ca)
        .via(squid.addr())
        .credentials(account, password)
        .run_one()
        .await;
    let log = squid.helper_log();
    drop(tokio::task::spawn_blocking(move || drop(squid)).await);
    (result, log)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_verifying_ntlmv2_accepts_the_right_password_as_ntlm_and_as_negotiate() {
    if !available("squid", SQUID) {
        return;
    }
    for negotiate in [false, true] {
        let (result, log) =
            through_verifying_squid(negotiate, true, "verify", "CORP\\alice", "Sq-Ntlm-7").await;
        assert_eq!(
            result.status,
            Status::Ok,
            "negotiate {negotiate}: {result:#?}\n{log}"
        );
        let auth = result.proxy.and_then(|p| p.auth).expect("a handshake");
        assert_eq!(auth.outcome, AuthOutcome::Accepted);
        assert_eq!(auth.rounds, 2);
        assert_eq!(auth.authenticated.package.as_deref(), Some("NTLMv2"));
        assert_eq!(auth.account(), Some("CORP\\alice"));
        // Squid's helper checked the proof: it is the proof, not the user name, that passed.
        assert!(log.contains("KK -> AF CORP\\alice"), "{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_verifying_ntlmv2_rejects_a_wrong_password_and_it_never_shows() {
    if !available("squid", SQUID) {
        return;
    }
    let (result, log) =
        through_verifying_squid(false, true, "verify", "CORP\\alice", "Wr0ng-Secret").await;
    assert_eq!(result.status, Status::ProxyAuthRejected, "{result:#?}");
    assert!(
        log.contains("KK -> NA CORP\\alice: the NTLMv2 proof does not match the password"),
        "{log}"
    );
    let shown = format!("{result:?}");
    assert!(!shown.contains("Wr0ng-Secret"), "{shown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_closing_after_its_first_407_still_verifies_on_the_new_connection() {
    if !available("squid", SQUID) {
        return;
    }
    let (result, log) =
        through_verifying_squid(false, false, "verify", "CORP\\alice", "Sq-Ntlm-7").await;
    assert_eq!(result.status, Status::Ok, "{result:#?}\n{log}");
    assert!(log.contains("KK -> AF CORP\\alice"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squid_offering_only_lm_is_refused_in_words_and_an_endless_challenge_is_bounded() {
    if !available("squid", SQUID) {
        return;
    }
    let (lm, _) = through_verifying_squid(false, true, "v1-only", "CORP\\alice", "Sq-Ntlm-7").await;
    assert_eq!(lm.status, Status::ProxyAuthFailed, "{lm:#?}");
    assert!(
        matches!(&lm.failure, Some(ProbeFailure::ProxyAuthFailed { reason, .. })
            if reason.contains("LM or NTLMv1")),
        "{:?}",
        lm.failure
    );
    let (endless, log) =
        through_verifying_squid(false, true, "loop", "CORP\\alice", "Sq-Ntlm-7").await;
    assert_eq!(endless.status, Status::ProxyAuthRejected, "{endless:#?}");
    let auth = endless.proxy.and_then(|p| p.auth).expect("a handshake");
    assert!(auth.rounds <= 3, "{auth:?}");
    assert!(log.lines().count() <= 4, "bounded: {log}");
}
