//! Peak memory of whole `dapreflight` processes: a `check` of 1,000 endpoints against loopback
//! peers, and `pac` over the largest generated PAC (benches/pac/generate.py) for 20,000 URLs.
//!
//! Each run is the release binary in its own process, measured by `/usr/bin/time -f %M` (peak
//! RSS); the peers (a DNS server answering every name with 127.0.0.1, one TLS origin) live in this
//! process, so they are not counted. Targets: under 64 MB for the check, under 100 MB for the
//! rest. `cargo bench --bench memory` runs it.

#![allow(clippy::unwrap_used, clippy::print_stdout)]

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use dapreflight_testkit::{Ca, DnsServer, TlsServer};

const ENDPOINTS: usize = 1000;
const CHECK_TARGET_KB: u64 = 64 * 1024;
const OTHER_TARGET_KB: u64 = 100 * 1024;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let check_kb = runtime.block_on(check(dir.path(), false));
    // A hostile peer: one certificate of 1,000 names served to every endpoint.
    let hostile_kb = runtime.block_on(check(dir.path(), true));
    let pac_kb = pac(dir.path());
    println!(
        "peak RSS, check of {ENDPOINTS} endpoints: {:.1} MB (target < {} MB)",
        kb_to_mb(check_kb),
        CHECK_TARGET_KB / 1024
    );
    println!(
        "peak RSS, check of {ENDPOINTS} endpoints, each served a certificate of {ENDPOINTS} \
         names: {:.1} MB (target < {} MB)",
        kb_to_mb(hostile_kb),
        OTHER_TARGET_KB / 1024
    );
    println!(
        "peak RSS, pac lookup-table.pac (657 KB) for 20,000 URLs: {:.1} MB (target < {} MB)",
        kb_to_mb(pac_kb),
        OTHER_TARGET_KB / 1024
    );
}

/// A check of [`ENDPOINTS`] endpoints; with `many_names`, the origin's certificate carries every
/// endpoint's name (a hostile peer: 30 KB of names in each of the results).
async fn check(dir: &Path, many_names: bool) -> u64 {
    let names: Vec<String> = (0..ENDPOINTS)
        .map(|i| format!("e{i:04}.bench.test"))
        .collect();
    let table: Vec<(&str, Ipv4Addr)> = names
        .iter()
        .map(|name| (name.as_str(), Ipv4Addr::LOCALHOST))
        .collect();
    let dns = DnsServer::start(&table).await;
    let ca = Ca::generate("Memory Bench Root");
    // One wildcard name, so each probe records a certificate of real size; or every name.
    let cert_names: Vec<&str> = if many_names {
        names.iter().map(String::as_str).collect()
    } else {
        vec!["*.bench.test"]
    };
    let origin = TlsServer::start(&ca, &cert_names).await;
    let list = names.iter().fold(String::new(), |mut list, name| {
        let _ = writeln!(list, "  - url: https://{name}:{}/", origin.port());
        list
    });
    let endpoints = dir.join("endpoints.yaml");
    std::fs::write(&endpoints, format!("endpoints:\n{list}")).expect("endpoint file");
    let anchor = ca.write_pem(dir);
    let args = [
        "check".to_owned(),
        "--endpoints".to_owned(),
        endpoints.display().to_string(),
        "--profile".to_owned(),
        "all".to_owned(),
        "--direct".to_owned(),
        "--dns-server".to_owned(),
        dns.addr().to_string(),
        "--trust-anchor".to_owned(),
        anchor.display().to_string(),
        "--format".to_owned(),
        "json".to_owned(),
    ];
    // The peers answer from this runtime while the child runs.
    let (kb, stdout) = tokio::task::spawn_blocking(move || peak_rss(&args))
        .await
        .expect("measured");
    let report: serde_json::Value = serde_json::from_str(&stdout).expect("a JSON report");
    let results = report["results"].as_array().map_or(0, Vec::len);
    assert_eq!(results, ENDPOINTS, "one result per endpoint");
    let ok = report["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|result| result["status"] == "ok")
        .count();
    assert_eq!(ok, ENDPOINTS, "every probe must succeed");
    kb
}

fn pac(dir: &Path) -> u64 {
    let root = env!("CARGO_MANIFEST_DIR");
    let generated = Command::new("python3")
        .arg(format!("{root}/benches/pac/generate.py"))
        .arg(dir)
        .status()
        .expect("python3 runs benches/pac/generate.py");
    assert!(generated.success(), "generate.py failed");
    let args = [
        "pac".to_owned(),
        dir.join("lookup-table.pac").display().to_string(),
        "-f".to_owned(),
        dir.join("urls-20000.txt").display().to_string(),
        "--client-ip".to_owned(),
        "10.20.30.40".to_owned(),
        "--dns".to_owned(),
        "pac-bench.invalid=127.0.0.1".to_owned(),
    ];
    let (kb, stdout) = peak_rss(&args);
    assert_eq!(stdout.lines().filter(|l| l.contains(" : ")).count(), 20_000);
    kb
}

/// Runs the binary with `args` under `/usr/bin/time`; its peak RSS in KB and its stdout.
fn peak_rss(args: &[String]) -> (u64, String) {
    let started = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(env!("CARGO_BIN_EXE_dapreflight"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("/usr/bin/time runs (Debian package `time`)");
    assert!(
        started.elapsed() < Duration::from_secs(300),
        "a run took {:?}",
        started.elapsed()
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let kb = stderr
        .lines()
        .last()
        .and_then(|line| line.trim().parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in: {stderr}"));
    (kb, String::from_utf8_lossy(&out.stdout).into_owned())
}

#[allow(clippy::cast_precision_loss)]
fn kb_to_mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}
