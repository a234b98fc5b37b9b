//! PAC evaluation throughput: dapreflight's evaluator against pacparser's `pactester`, on the same
//! PAC (`testdata/pac/corporate.pac`) and the same 1,200 URLs, both measured in this run.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::cast_precision_loss)]

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dapreflight::TableResolver;
use dapreflight::{PacEnvironment, PacLimits, PacScript};

const URLS: usize = 1200;

fn main() {
    let root = env!("CARGO_MANIFEST_DIR");
    let pac_path = format!("{root}/testdata/pac/corporate.pac");
    let source = std::fs::read_to_string(&pac_path).unwrap();
    let base: Vec<String> = std::fs::read_to_string(format!("{root}/testdata/pac/urls.txt"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    let urls: Vec<String> = (0..URLS)
        .map(|i| {
            let url = &base[i % base.len()];
            format!("{}{}q={i}", url, if url.contains('?') { '&' } else { '?' })
        })
        .collect();

    let script = PacScript::compile(&source, "corporate.pac", &PacLimits::default()).unwrap();
    let env = PacEnvironment {
        client_ip: Some("10.20.30.40".parse().unwrap()),
        ..PacEnvironment::with_resolver(Arc::new(TableResolver::default()))
    };
    let started = Instant::now();
    for url in &urls {
        let host = url
            .split('/')
            .nth(2)
            .and_then(|a| a.split(':').next())
            .unwrap();
        script.evaluate(url, host, &env).unwrap();
    }
    let ours = URLS as f64 / started.elapsed().as_secs_f64();
    println!("dapreflight: {ours:.0} URLs/s ({URLS} URLs, compile once, evaluate each)");

    let list = std::env::temp_dir().join(format!("pac-bench-{}.txt", std::process::id()));
    std::fs::write(&list, urls.join("\n") + "\n").unwrap();
    let started = Instant::now();
    let child = Command::new("pactester")
        .args([
            "-p",
            &pac_path,
            "-f",
            &list.display().to_string(),
            "-c",
            "10.20.30.40",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(mut child) = child else {
        println!("pactester: NOT RUN (missing; install libpacparser1)");
        return;
    };
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(120) {
            child.kill().unwrap();
            panic!("pactester ran past 120 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let theirs = URLS as f64 / started.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(&list);
    println!("pactester:   {theirs:.0} URLs/s (one `pactester -f` run, process start included)");
    println!("ratio:       {:.2}x pactester's rate", ours / theirs);
}
