//! Does a whole check cost about one slow probe, not the sum?
//!
//! Runs `check` over 30 endpoints through a local proxy that delays each CONNECT by a fixed
//! latency, and prints the slowest single probe, the sum of all probes and the wall time of the
//! whole check, as ratios. Target: wall ≤ 1.3 × the slowest probe. `cargo bench` runs it.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use dapreflight::DeviceStore;
use dapreflight::ProxyAddr;
use dapreflight::Style;
use dapreflight::{CatalogChoice, CheckConfig, Limits};
use dapreflight::{EnvSource, ProxyOverride, ProxySources};

use dapreflight_testkit::{Ca, FakeProxy, ProxyBehavior, TlsServer};

const ENDPOINTS: usize = 30;
const LATENCY: Duration = Duration::from_millis(100);
const RUNS: usize = 5;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::generate("Bench Root");
    let names: Vec<String> = (0..ENDPOINTS).map(|i| format!("e{i:02}.test")).collect();
    let name_refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let origin = TlsServer::start(&ca, &name_refs).await;
    let proxy = FakeProxy::start(ProxyBehavior::Delay(LATENCY)).await;
    let list = names.iter().fold(String::new(), |mut list, name| {
        let _ = writeln!(list, "  - url: https://{name}:{}/", origin.port());
        list
    });
    let file = dir.path().join("endpoints.yaml");
    std::fs::write(&file, format!("endpoints:\n{list}")).expect("endpoint file");
    let anchor = ca.write_pem(dir.path());

    println!(
        "check over {ENDPOINTS} endpoints through a proxy adding {} ms per CONNECT, {RUNS} runs each",
        LATENCY.as_millis()
    );
    for concurrency in [32, 1] {
        let config = CheckConfig {
            catalog: CatalogChoice {
                file: Some(file.clone()),
                profile: "all".to_owned(),
            },
            proxy_sources: ProxySources {
                flag: ProxyOverride::Proxy(ProxyAddr::parse(&proxy.url()).expect("proxy address")),
                env: EnvSource::default(),
                ..ProxySources::default()
            },
            device_files: dapreflight::DeviceFiles::default(),
            limits: Limits {
                stage_timeout: Duration::from_secs(10),
                concurrency,
                deadline: None,
            },
            pins: Vec::new(),
            dns_servers: None,
            trust_anchor_files: vec![anchor.clone()],
            utc_report: None,
            credentials: None,
            ask_credentials: false,
            authenticator: None,
            device_store: DeviceStore::Certificates(Vec::new()),
            style: Style::default(),
            output: None,
            progress: false,
            quiet: false,
            probe_as: dapreflight::ProbeAs::Current,
            hop: dapreflight::HopVia::Native,
        };
        let mut samples = Vec::new();
        for _ in 0..RUNS {
            let started = Instant::now();
            let report = dapreflight::build_report(&config)
                .await
                .expect("check runs");
            let wall = started.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(report.summary.ok, ENDPOINTS, "every probe must succeed");
            let totals: Vec<u64> = report.results.iter().map(|r| r.timings_ms.total).collect();
            let slowest = totals.iter().copied().max().unwrap_or(1).max(1);
            let sum: u64 = totals.iter().sum();
            #[allow(clippy::cast_precision_loss)]
            samples.push((wall, slowest as f64, sum as f64));
        }
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (wall, slowest, sum) = samples[RUNS / 2];
        println!(
            "concurrency {concurrency:>2}: slowest probe {slowest:.0} ms, sum of probes {sum:.0} ms, \
             whole check {wall:.0} ms (median run) -> wall/slowest = {:.2}, sum/wall = {:.1}",
            wall / slowest,
            sum / wall
        );
    }
    println!("target: wall/slowest <= 1.30 at the default concurrency");
}
