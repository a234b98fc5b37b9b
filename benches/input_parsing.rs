//! Parsing time of large and hostile inputs at doubling sizes: a `.reg` value wrapped over many
//! continuation lines, an export of many keys, and an endpoint list nested deep. Each size
//! doubles the last, so a ratio near 2 is linear growth and near 4 is quadratic.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::cast_precision_loss)]

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use dapreflight::{DeviceFiles, ProxySources, load_catalog, read_device};

fn main() {
    let dir = std::env::temp_dir().join(format!("input-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    run(
        &dir,
        "reg value over N continuation lines",
        &[10_000, 20_000, 40_000],
        |dir, n| {
            let path = dir.join(format!("continuations-{n}.reg"));
            std::fs::write(&path, continuations(n)).unwrap();
            Box::new(move || read_export(&path))
        },
    );
    run(
        &dir,
        "reg export of N keys",
        &[10_000, 20_000, 40_000],
        |dir, n| {
            let path = dir.join(format!("keys-{n}.reg"));
            std::fs::write(&path, keys(n)).unwrap();
            Box::new(move || read_export(&path))
        },
    );
    run(
        &dir,
        "endpoint YAML nested N deep",
        &[25_000, 50_000, 100_000],
        |dir, n| {
            let path = dir.join(format!("deep-{n}.yaml"));
            let yaml = format!("endpoints: {}{}\n", "[".repeat(n), "]".repeat(n));
            std::fs::write(&path, yaml).unwrap();
            Box::new(move || {
                load_catalog(Some(&path)).expect_err("nested past the limit");
            })
        },
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Times `make(n)`'s job at each size (best of three, or one run when it takes over a second)
/// and prints the time and the ratio to the size before.
fn run(dir: &Path, what: &str, sizes: &[usize], make: impl Fn(&Path, usize) -> Box<dyn Fn()>) {
    println!("{what}:");
    let mut previous: Option<Duration> = None;
    for &n in sizes {
        let job = make(dir, n);
        let time = || {
            let started = Instant::now();
            job();
            started.elapsed()
        };
        let first = time();
        let best = if first > Duration::from_secs(1) {
            first
        } else {
            (0..2).map(|_| time()).fold(first, Duration::min)
        };
        let ratio = previous.map_or_else(String::new, |before| {
            format!(
                "  ({:.2}x the size before)",
                best.as_secs_f64() / before.as_secs_f64()
            )
        });
        println!(
            "  N = {n:>7}: {:>9.2} ms{ratio}",
            best.as_secs_f64() * 1000.0
        );
        previous = Some(best);
    }
}

fn read_export(path: &Path) {
    let files = DeviceFiles {
        registry: vec![path.to_owned()],
        netsh: Vec::new(),
    };
    read_device(&ProxySources::default(), &files).unwrap();
}

/// One `hex:` value wrapped over `lines` lines, as regedit wraps binary data.
fn continuations(lines: usize) -> String {
    let mut text =
        String::from("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_CURRENT_USER\\X]\r\n");
    text.push_str("\"Blob\"=hex:00,\\\r\n");
    for _ in 1..lines {
        text.push_str("  01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,13,14,15,16,\\\r\n");
    }
    text.push_str("  ff\r\n");
    text
}

/// `count` keys with one value each.
fn keys(count: usize) -> String {
    let mut text = String::from("Windows Registry Editor Version 5.00\r\n\r\n");
    for index in 0..count {
        write!(
            text,
            "[HKEY_CURRENT_USER\\Software\\K{}\\S{index}]\r\n\"v\"=dword:{index:08x}\r\n\r\n",
            index % 100
        )
        .unwrap();
    }
    text
}
