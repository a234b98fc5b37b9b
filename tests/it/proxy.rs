//! Probes through an HTTP proxy: tunnels, refusals, garbage, stalls and plain http.

use std::time::{Duration, Instant};

use dapreflight::ProbeFailure;

use dapreflight::Stage;
use dapreflight::Status;

use crate::harness::Check;
use crate::support::{Ca, FakeProxy, HttpServer, ProxyBehavior, TlsServer, closed_port};

#[tokio::test]
async fn an_open_proxy_tunnels_to_the_origin_and_its_answer_is_recorded() {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start_with(ca.issue(&["origin.test"]), 404).await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let result = Check::new()
        .endpoint(&format!(
            "url: \"https://origin.test:{}/health/keepalive\"",
            origin.addr().port()
        ))
        .trust(&ca)
        .via(proxy.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::Ok, "{result:#?}");
    let evidence = result.proxy.as_ref().expect("proxy evidence");
    assert_eq!(evidence.status, Some(200));
    assert_eq!(
        evidence.request,
        format!("CONNECT origin.test:{}", origin.addr().port())
    );
    assert!(result.timings_ms.proxy.is_some());
    // The proxy resolved the name: the probe did not look up origin.test itself.
    assert_eq!(
        result.dns.as_ref().map(|d| d.name.as_str()),
        Some("127.0.0.1")
    );
    assert_eq!(proxy.requests()[0].method, "CONNECT");
    assert_eq!(origin.requests().len(), 1);
}

#[tokio::test]
async fn a_proxy_answering_403_is_proxy_denied() {
    let proxy = FakeProxy::start(ProxyBehavior::Refuse(403)).await;
    let result = Check::new()
        .endpoint("url: \"https://origin.test/\"")
        .via(proxy.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::ProxyDenied, "{result:#?}");
    assert!(result.detail.contains("403"), "{}", result.detail);
    assert_eq!(result.stage, Some(Stage::Proxy));
}

#[tokio::test]
async fn a_proxy_answering_502_is_proxy_error() {
    let proxy = FakeProxy::start(ProxyBehavior::Refuse(502)).await;
    let result = Check::new()
        .endpoint("url: \"https://origin.test/\"")
        .via(proxy.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::ProxyError, "{result:#?}");
    assert!(matches!(
        result.failure,
        Some(ProbeFailure::ProxyError {
            status: Some(502),
            ..
        })
    ));
}

#[tokio::test]
async fn a_proxy_answering_garbage_is_proxy_error_showing_what_came() {
    let proxy = FakeProxy::start(ProxyBehavior::Garbage).await;
    let result = Check::new()
        .endpoint("url: \"https://origin.test/\"")
        .via(proxy.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::ProxyError, "{result:#?}");
    assert!(result.detail.contains("not HTTP"), "{}", result.detail);
    assert!(result.detail.contains("garbage"), "{}", result.detail);
}

#[tokio::test]
async fn a_proxy_that_never_answers_times_out_at_the_proxy_stage_within_the_deadline() {
    let proxy = FakeProxy::start(ProxyBehavior::Stall).await;
    let started = Instant::now();
    let result = Check::new()
        .endpoint("url: \"https://origin.test/\"")
        .via(proxy.addr())
        .timeout(Duration::from_millis(400))
        .run_one()
        .await;
    let elapsed = started.elapsed();
    assert_eq!(result.status, Status::Timeout, "{result:#?}");
    assert_eq!(
        result.failure,
        Some(ProbeFailure::Timeout {
            stage: Stage::Proxy,
            after_ms: 400
        })
    );
    assert!(elapsed >= Duration::from_millis(400), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test]
async fn a_proxy_port_with_nothing_listening_is_connect_failed() {
    let closed = closed_port();
    let result = Check::new()
        .endpoint("url: \"https://origin.test/\"")
        .via(closed)
        .run_one()
        .await;
    assert_eq!(result.status, Status::ConnectFailed, "{result:#?}");
    assert_eq!(result.route.route.to_string(), format!("proxy {closed}"));
    assert!(
        result.detail.contains(&closed.to_string()),
        "{}",
        result.detail
    );
    assert!(result.proxy.is_none(), "the proxy was never reached");
}

#[tokio::test]
async fn plain_http_through_a_proxy_is_sent_in_absolute_form() {
    let origin = HttpServer::start(404).await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let url = format!("http://adl.test:{}/", origin.addr().port());
    let result = Check::new()
        .endpoint(&format!("url: \"{url}\""))
        .via(proxy.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::Ok, "{result:#?}");
    assert_eq!(result.http_status, Some(404));
    let seen = proxy.requests();
    assert_eq!(seen[0].method, "GET");
    assert_eq!(seen[0].target, url);
    assert!(result.tls.is_none());
}

#[tokio::test]
async fn plain_http_refused_by_the_proxy_is_proxy_denied() {
    let proxy = FakeProxy::start(ProxyBehavior::Refuse(403)).await;
    let result = Check::new()
        .endpoint("url: \"http://adl.test/\"")
        .via(proxy.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::ProxyDenied, "{result:#?}");
}

#[tokio::test]
async fn plain_http_failing_inside_the_proxy_is_proxy_error() {
    // tinyproxy answers "500 Unable to connect" when it cannot reach the origin.
    let proxy = FakeProxy::start(ProxyBehavior::Refuse(500)).await;
    let result = Check::new()
        .endpoint("url: \"http://adl.test/\"")
        .via(proxy.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::ProxyError, "{result:#?}");
    assert!(result.detail.contains("500"), "{}", result.detail);
}
