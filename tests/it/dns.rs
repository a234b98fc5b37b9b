//! DNS failures in words: each cause the resolver can meet, produced on loopback, classified where
//! the resolver raised it, and the proxy's own name told apart from the endpoint's.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use dapreflight::{DnsCause, DnsOf, ProbeFailure, ProbeResult, Status};

use crate::harness::Check;
use crate::support::{DnsServer, RCODE_NOERROR, RCODE_REFUSED, RCODE_SERVFAIL, closed_udp_port};

/// Probes `https://missing.test/` asking only `server`, with a short stage deadline.
async fn probe_endpoint(server: SocketAddr) -> ProbeResult {
    Check::new()
        .endpoint("url: \"https://missing.test/\"")
        .dns_server(server)
        .timeout(Duration::from_millis(700))
        .run_one()
        .await
}

fn cause_and_owner(result: &ProbeResult) -> (DnsCause, DnsOf, String) {
    match &result.failure {
        Some(ProbeFailure::DnsFailed {
            cause, of, reason, ..
        }) => (*cause, *of, reason.clone()),
        other => panic!("expected a DNS failure, got {other:?}"),
    }
}

#[tokio::test]
async fn each_dns_answer_is_classified_and_said_in_words() {
    let nxdomain = DnsServer::start(&[]).await;
    let servfail = DnsServer::answering(RCODE_SERVFAIL).await;
    let refused = DnsServer::answering(RCODE_REFUSED).await;
    let empty = DnsServer::answering(RCODE_NOERROR).await;
    let cases = [
        (
            nxdomain.addr(),
            DnsCause::NxDomain,
            "the name does not exist (NXDOMAIN)",
        ),
        (servfail.addr(), DnsCause::ServerFailed, "(SERVFAIL)"),
        (refused.addr(), DnsCause::Refused, "(REFUSED)"),
        (empty.addr(), DnsCause::NoRecords, "no A or AAAA record"),
    ];
    for (server, expected, words) in cases {
        let result = probe_endpoint(server).await;
        assert_eq!(result.status, Status::DnsFailed, "{result:#?}");
        let (cause, of, reason) = cause_and_owner(&result);
        assert_eq!((cause, of), (expected, DnsOf::Endpoint), "{result:#?}");
        assert_eq!(
            result.detail,
            format!("cannot resolve missing.test: {}", expected.words())
        );
        assert!(result.detail.contains(words), "{}", result.detail);
        // The resolver's own text stays in the evidence, not in the line people read.
        assert!(!reason.is_empty());
    }
}

#[tokio::test]
async fn a_closed_dns_port_is_said_in_words_not_in_the_libraries_words() {
    // The resolver ignores the ICMP port-unreachable on loopback and waits: a timeout.
    let result = probe_endpoint(closed_udp_port()).await;
    let (cause, _, reason) = cause_and_owner(&result);
    assert!(
        matches!(cause, DnsCause::NoServer | DnsCause::Timeout),
        "{cause:?}: {reason}"
    );
    assert!(
        !result.detail.contains("no connections available"),
        "{}",
        result.detail
    );
    assert!(
        result.detail.contains("no DNS server answered"),
        "{}",
        result.detail
    );
}

#[tokio::test]
async fn a_silent_dns_server_is_a_dns_timeout_within_the_stage_deadline() {
    let silent = DnsServer::silent().await;
    let started = Instant::now();
    let result = probe_endpoint(silent.addr()).await;
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(result.status, Status::DnsFailed, "{result:#?}");
    let (cause, of, _) = cause_and_owner(&result);
    assert_eq!((cause, of), (DnsCause::Timeout, DnsOf::Endpoint));
    assert!(silent.queries() >= 1, "the query reached the server");
}

#[tokio::test]
async fn a_proxy_whose_own_name_does_not_resolve_is_a_failure_about_the_proxy() {
    let dns = DnsServer::start(&[]).await;
    let result = Check::new()
        .endpoint("url: \"https://v10c.events.test/\"")
        .via_named("proxy.corp.test:3128")
        .dns_server(dns.addr())
        .run_one()
        .await;
    assert_eq!(result.status, Status::DnsFailed, "{result:#?}");
    let Some(ProbeFailure::DnsFailed {
        name, of, cause, ..
    }) = &result.failure
    else {
        panic!("{result:#?}");
    };
    assert_eq!(
        (name.as_str(), *of, *cause),
        ("proxy.corp.test", DnsOf::Proxy, DnsCause::NxDomain)
    );
    assert_eq!(
        result.detail,
        "the proxy's name proxy.corp.test does not resolve (NXDOMAIN)"
    );
}
