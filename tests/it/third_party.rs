//! The probe against real third-party proxies: Squid (Basic, and NTLM + Basic) and tinyproxy.

use std::net::Ipv4Addr;

use dapreflight::ProbeFailure;
use dapreflight::Status;

use crate::harness::Check;
use crate::support::{
    Ca, HttpServer, SquidAuth, ThirdPartyProxy, TlsServer, available, closed_port,
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
