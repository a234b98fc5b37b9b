//! Direct probes: the happy path and each way a direct connection fails.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use dapreflight::Interception;
use dapreflight::ProbeFailure;
use dapreflight::Stage;
use dapreflight::Status;

use crate::harness::Check;
use crate::support::{Ca, DnsServer, HttpServer, TlsServer, closed_port};

#[tokio::test]
async fn origin_chaining_to_a_trust_anchor_is_ok_with_its_chain_and_timings() {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start_with(ca.issue(&["origin.test"]), 404).await;
    let result = Check::new()
        .https("origin.test", origin.addr(), "/health/keepalive")
        .trust(&ca)
        .run_one()
        .await;
    assert_eq!(result.status, Status::Ok, "{result:#?}");
    assert_eq!(result.http_status, Some(404));
    let tls = result.tls.as_ref().expect("tls evidence");
    assert_eq!(tls.server_name, "origin.test");
    assert_eq!(
        tls.chain.len(),
        1,
        "the leaf only: the origin does not send its root"
    );
    assert!(
        tls.chain[0].issuer.contains("Origin Test Root"),
        "{:?}",
        tls.chain
    );
    assert_eq!(tls.chain[0].spki_sha256.len(), 64);
    assert!(
        matches!(&tls.trust.verdict, Interception::NotDetected { anchor } if anchor.contains("Origin Test Root"))
    );
    assert!(result.timings_ms.connect.is_some() && result.timings_ms.tls.is_some());
    assert!(result.timings_ms.http.is_some());
    assert_eq!(
        result.dns.as_ref().map(|d| d.source.as_str()),
        Some("--resolve")
    );
    let seen = origin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, "/health/keepalive");
    assert_eq!(
        seen[0].host.as_deref(),
        Some(format!("origin.test:{}", origin.addr().port()).as_str())
    );
}

#[tokio::test]
async fn an_answer_outside_the_reachable_set_is_http_unexpected() {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start_with(ca.issue(&["origin.test"]), 503).await;
    let result = Check::new()
        .https("origin.test", origin.addr(), "/")
        .trust(&ca)
        .run_one()
        .await;
    assert_eq!(result.status, Status::HttpUnexpected, "{result:#?}");
    assert_eq!(result.http_status, Some(503));
    assert!(result.detail.contains("503"), "{}", result.detail);
}

#[tokio::test]
async fn a_valid_chain_for_another_name_is_not_ok() {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start_with(ca.issue(&["other.test"]), 404).await;
    let result = Check::new()
        .https("origin.test", origin.addr(), "/")
        .trust(&ca)
        .run_one()
        .await;
    assert_eq!(result.status, Status::TlsUntrusted, "{result:#?}");
    assert!(result.detail.contains("other.test"), "{}", result.detail);
    let tls = result.tls.expect("tls evidence");
    assert!(
        matches!(tls.trust.verdict, Interception::WrongName { .. }),
        "{:?}",
        tls.trust
    );
}

#[tokio::test]
async fn an_expired_certificate_is_untrusted_and_says_so() {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start_with(ca.issue_expired(&["origin.test"]), 404).await;
    let result = Check::new()
        .https("origin.test", origin.addr(), "/")
        .trust(&ca)
        .run_one()
        .await;
    assert_eq!(result.status, Status::TlsUntrusted, "{result:#?}");
    assert!(
        result.detail.to_lowercase().contains("expired"),
        "{}",
        result.detail
    );
}

#[tokio::test]
async fn a_chain_from_an_unknown_root_is_untrusted() {
    let ca = Ca::generate("Nobody Knows Me Root");
    let origin = TlsServer::start_with(ca.issue(&["origin.test"]), 404).await;
    let result = Check::new()
        .https("origin.test", origin.addr(), "/")
        .run_one()
        .await;
    assert_eq!(result.status, Status::TlsUntrusted, "{result:#?}");
    assert!(
        result.detail.contains("Nobody Knows Me Root"),
        "{}",
        result.detail
    );
}

#[tokio::test]
async fn a_refused_port_is_connect_failed() {
    let port = closed_port();
    let result = Check::new().https("origin.test", port, "/").run_one().await;
    assert_eq!(result.status, Status::ConnectFailed, "{result:#?}");
    assert_eq!(result.stage, Some(Stage::Connect));
    assert!(result.detail.contains("refused"), "{}", result.detail);
}

#[tokio::test]
async fn a_name_under_invalid_is_dns_failed_without_a_query() {
    let dns = DnsServer::start(&[]).await;
    let result = Check::new()
        .endpoint("url: \"https://v10c.nowhere.invalid/\"")
        .dns_server(dns.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::DnsFailed, "{result:#?}");
    assert!(matches!(
        result.failure,
        Some(ProbeFailure::DnsFailed { .. })
    ));
    assert_eq!(dns.queries(), 0);
}

#[tokio::test]
async fn names_are_resolved_through_the_dns_server_and_nxdomain_is_dns_failed() {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start_with(ca.issue(&["origin.test"]), 404).await;
    let dns = DnsServer::start(&[("origin.test", Ipv4Addr::LOCALHOST)]).await;
    let port = origin.addr().port();
    let report = Check::new()
        .endpoint(&format!("url: \"https://origin.test:{port}/\""))
        .endpoint(&format!("url: \"https://missing.test:{port}/\""))
        .dns_server(dns.addr())
        .trust(&ca)
        .run()
        .await;
    let ok = &report.results[0];
    assert_eq!(ok.status, Status::Ok, "{ok:#?}");
    assert_eq!(ok.dns.as_ref().map(|d| d.source.as_str()), Some("resolver"));
    let missing = &report.results[1];
    assert_eq!(missing.status, Status::DnsFailed, "{missing:#?}");
    assert!(missing.detail.contains("NXDOMAIN"), "{}", missing.detail);
    assert!(dns.queries() >= 2);
}

#[tokio::test]
async fn a_peer_that_never_answers_the_handshake_times_out_at_the_tls_stage() {
    // A proxy that stalls is also a TCP listener that never speaks: connect to it directly.
    let stall = crate::support::FakeProxy::start(crate::support::ProxyBehavior::Stall).await;
    let started = Instant::now();
    let result = Check::new()
        .https("origin.test", stall.addr(), "/")
        .timeout(Duration::from_millis(300))
        .run_one()
        .await;
    assert_eq!(result.status, Status::Timeout, "{result:#?}");
    assert_eq!(result.stage, Some(Stage::Tls));
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn plain_http_endpoints_are_probed_without_tls() {
    let origin = HttpServer::start(404).await;
    let result = Check::new()
        .pinned("adl.test", origin.addr())
        .endpoint(&format!(
            "url: \"http://adl.test:{}/\"",
            origin.addr().port()
        ))
        .run_one()
        .await;
    assert_eq!(result.status, Status::Ok, "{result:#?}");
    assert!(result.tls.is_none());
    assert!(result.detail.contains("plain http"), "{}", result.detail);
}

#[tokio::test]
async fn a_wildcard_entry_without_a_probe_host_is_not_probed() {
    let report = Check::new()
        .endpoint("url: \"https://*.manage.test\"")
        .run()
        .await;
    let result = &report.results[0];
    assert_eq!(result.status, Status::NotProbed, "{result:#?}");
    assert!(
        result.detail.contains("allow the pattern"),
        "{}",
        result.detail
    );
    assert_eq!(report.summary.findings, 0);
}

#[tokio::test]
async fn the_blob_wildcard_is_probed_through_the_wer_cab_host_microsoft_names() {
    let ca = Ca::generate("Origin Test Root");
    let host = "ceuswatcab01.blob.core.windows.net";
    let origin = TlsServer::start_with(ca.issue(&[host]), 404).await;
    let port = origin.addr().port();
    // The built-in entry gives the pattern its probe host and trust rule.
    let result = Check::new()
        .pinned(host, origin.addr())
        .endpoint(&format!("url: \"https://*.blob.core.windows.net:{port}\""))
        .trust(&ca)
        .run_one()
        .await;
    assert_eq!(result.status, Status::Ok, "{result:#?}");
    let tls = result.tls.as_ref().expect("tls evidence");
    assert_eq!(tls.server_name, host);
    assert_eq!(tls.trust.rule, dapreflight::TrustRule::MicrosoftPublicRoots);
    let seen = origin.requests();
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].host.as_deref(),
        Some(format!("{host}:{port}").as_str())
    );
}

#[tokio::test]
async fn a_host_whose_chain_is_unconfirmed_is_ok_but_marked_unconfirmed_not_high_confidence() {
    let ca = Ca::generate("Origin Test Root");
    let host = "us-v10c.events.data.microsoft.com";
    let origin = TlsServer::start_with(ca.issue(&[host]), 404).await;
    let port = origin.addr().port();
    let result = Check::new()
        .pinned(host, origin.addr())
        .endpoint(&format!("url: \"https://{host}:{port}\""))
        .trust(&ca)
        .run_one()
        .await;
    assert_eq!(result.status, Status::Ok, "{result:#?}");
    assert!(
        result.detail.contains("trust unconfirmed")
            && result.detail.contains("not high confidence"),
        "{}",
        result.detail
    );
    let tls = result.tls.as_ref().expect("tls evidence");
    assert_eq!(tls.trust.rule, dapreflight::TrustRule::MicrosoftUnconfirmed);
    assert!(matches!(
        tls.trust.verdict,
        Interception::NotDetected { .. }
    ));
    let wire = dapreflight::wire::TrustAssessment::from(&tls.trust);
    assert!(!wire.confirmed);
    let json = serde_json::to_value(&wire).expect("json");
    assert_eq!(json["confirmed"], false, "{json}");
    assert_eq!(json["rule"], "microsoft-unconfirmed", "{json}");
    assert_eq!(origin.requests()[0].path, "/health/keepalive");
    // A known host through the same root stays confirmed and carries no caveat.
    let known = "v10c.events.data.microsoft.com";
    let origin = TlsServer::start_with(ca.issue(&[known]), 404).await;
    let result = Check::new()
        .pinned(known, origin.addr())
        .endpoint(&format!(
            "url: \"https://{known}:{}\"",
            origin.addr().port()
        ))
        .trust(&ca)
        .run_one()
        .await;
    assert_eq!(result.status, Status::Ok, "{result:#?}");
    assert!(!result.detail.contains("unconfirmed"), "{}", result.detail);
    let wire = dapreflight::wire::TrustAssessment::from(&result.tls.as_ref().expect("tls").trust);
    assert!(wire.confirmed);
}
