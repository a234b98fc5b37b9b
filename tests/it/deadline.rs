//! The whole run's deadline (`--deadline`): nothing outlasts it, what finished is still reported,
//! and what it ended says so.

use std::time::{Duration, Instant};

use dapreflight::{ProbeFailure, Stage, Status};

use crate::binary::{dapreflight, dapreflight_async, endpoint_file};
use crate::harness::Check;
use crate::support::{Ca, FakeProxy, ProxyBehavior, TlsServer};

#[tokio::test]
async fn a_hanging_peer_is_ended_by_the_run_deadline_and_the_finished_probe_is_kept() {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    // Accepts the connection and never says a word: the TLS handshake waits for ever.
    let hanging = FakeProxy::start(ProxyBehavior::Stall).await;
    let started = Instant::now();
    let report = Check::new()
        .https("origin.test", origin.addr(), "/")
        .https("hanging.test", hanging.addr(), "/")
        .trust(&ca)
        .timeout(Duration::from_secs(60))
        .deadline(Duration::from_millis(1500))
        .run()
        .await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(10),
        "ran {elapsed:?} past a 1.5 s deadline"
    );
    assert!(elapsed >= Duration::from_millis(1400), "{elapsed:?}");
    assert_eq!(report.results.len(), 2, "{report:#?}");
    let finished = &report.results[0];
    assert_eq!(finished.status, Status::Ok, "{finished:#?}");
    let ended = &report.results[1];
    assert_eq!(ended.status, Status::Timeout, "{ended:#?}");
    assert_eq!(
        ended.failure,
        Some(ProbeFailure::DeadlineReached {
            stage: Stage::Tls,
            deadline_ms: 1500
        })
    );
    assert!(
        ended.detail.contains("run's deadline (1.5 s, --deadline)"),
        "{}",
        ended.detail
    );
    assert!(ended.connect.is_some(), "the stages before it are kept");
}

#[tokio::test]
async fn a_stalled_proxy_with_long_stage_timeouts_cannot_outlast_the_deadline() {
    let proxy = FakeProxy::start(ProxyBehavior::Stall).await;
    let started = Instant::now();
    let report = Check::new()
        .endpoint("url: \"https://one.test/\"")
        .endpoint("url: \"https://two.test/\"")
        .endpoint("url: \"http://three.test/\"")
        .via(proxy.addr())
        .credentials("alice", "pa55-w0rd")
        .timeout(Duration::from_secs(120))
        .deadline(Duration::from_secs(1))
        .run()
        .await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(10),
        "ran {elapsed:?} past a 1 s deadline"
    );
    assert_eq!(report.results.len(), 3, "{report:#?}");
    for result in &report.results {
        assert_eq!(
            result.failure,
            Some(ProbeFailure::DeadlineReached {
                stage: Stage::Proxy,
                deadline_ms: 1000
            }),
            "{result:#?}"
        );
    }
}

#[test]
fn the_default_deadline_covers_discovery_and_every_stage_of_one_probe() {
    let stage = Duration::from_secs(10);
    assert_eq!(
        dapreflight::Limits::default_deadline(stage),
        Duration::from_secs(135)
    );
    let limits = dapreflight::Limits {
        stage_timeout: Duration::from_secs(2),
        ..dapreflight::Limits::default()
    };
    assert_eq!(limits.run_deadline(), Duration::from_secs(31));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_writes_the_report_when_the_deadline_fires_and_exits_by_the_verdict() {
    let dir = tempfile::tempdir().expect("tempdir");
    let proxy = FakeProxy::start(ProxyBehavior::Stall).await;
    let endpoints = endpoint_file(dir.path(), "endpoints:\n  - url: https://origin.test/\n");
    let args: Vec<String> = [
        "check",
        "--endpoints",
        &endpoints,
        "--proxy",
        &proxy.url(),
        "--timeout",
        "300",
        "--deadline",
        "1",
        "--format",
        "json",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let started = Instant::now();
    let out = dapreflight_async(args, vec![]).await;
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let result = &json["results"][0];
    assert_eq!(result["status"], "timeout", "{result}");
    assert_eq!(result["stage"], "proxy", "{result}");
    assert_eq!(result["failure"]["kind"], "deadline_reached", "{result}");
    assert_eq!(result["failure"]["deadline_ms"], 1000, "{result}");
}

#[test]
fn a_deadline_out_of_range_is_refused_naming_the_range() {
    for value in ["0", "-3", "86401", "nan"] {
        let flag = format!("--deadline={value}");
        let out = dapreflight(&["check", &flag], &[]);
        assert_eq!(out.status.code(), Some(2), "{value}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("is out of range: expected seconds greater than 0 and at most 86400"),
            "{value}: {stderr}"
        );
    }
    let out = dapreflight(&["proxy", "--deadline", "0"], &[]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_discovery_that_hangs_is_ended_by_the_deadline_as_an_error() {
    let hanging = FakeProxy::start(ProxyBehavior::Stall).await;
    let pac = format!("{}/proxy.pac", hanging.url());
    let args: Vec<String> = [
        "proxy",
        "--pac",
        &pac,
        "--timeout",
        "300",
        "--deadline",
        "1",
    ]
    .iter()
    .map(ToString::to_string)
    .collect();
    let started = Instant::now();
    let out = dapreflight_async(args, vec![]).await;
    assert!(started.elapsed() < Duration::from_secs(15), "{out:?}");
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the run's deadline (1 s, --deadline) ended during proxy discovery"),
        "{stderr}"
    );
}
