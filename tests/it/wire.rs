//! Every JSON dapreflight writes reads back into its wire type and writes out to the same bytes,
//! so a later `summarize` can consume reports that `check --format json` wrote.

use std::path::PathBuf;

use dapreflight::Report;
use dapreflight::wire;
use dapreflight::{Format, Style};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::binary::{dapreflight, dapreflight_async, origin_args};
use crate::support::{Ca, TlsServer};

/// Parses `json` as `T` and asserts that writing it again gives exactly `json`.
pub fn assert_reads_back<T: Serialize + DeserializeOwned>(json: &str) -> T {
    let value: T = serde_json::from_str(json)
        .unwrap_or_else(|err| panic!("reads back into the wire type: {err}\n{json}"));
    let again = serde_json::to_string_pretty(&value).expect("serializes") + "\n";
    assert_eq!(again, json, "the same bytes after a round trip");
    value
}

/// What `check --format json` writes for `report`.
pub fn json(report: &Report) -> String {
    let style = Style {
        format: Format::Json,
        ..Style::default()
    };
    let mut out = Vec::new();
    dapreflight::render(report, style, &mut out).expect("rendering to memory");
    String::from_utf8(out).expect("UTF-8")
}

#[tokio::test]
async fn the_report_file_check_writes_reads_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let file = dir.path().join("report.json");
    let mut args = origin_args(dir.path(), &ca, &origin);
    args.extend([
        "--format".into(),
        "json".into(),
        "--output".into(),
        file.display().to_string(),
    ]);
    let out = dapreflight_async(args, vec![]).await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let written = std::fs::read_to_string(&file).expect("the report file");
    let report: wire::Report = assert_reads_back(&written);
    assert_eq!(report.schema_version, 2);
    assert_eq!(report.results.len(), 1);
}

#[test]
fn the_endpoint_list_reads_back() {
    let out = dapreflight(&["endpoints", "--profile", "all", "--format", "json"], &[]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let list: wire::EndpointList = assert_reads_back(&String::from_utf8_lossy(&out.stdout));
    assert!(!list.endpoints.is_empty());
}

#[test]
fn the_pac_report_reads_back() {
    let pac = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/pac/results.pac")
        .display()
        .to_string();
    let out = dapreflight(
        &["pac", "--format", "json", &pac, "http://socks.example/"],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report: wire::PacReport = assert_reads_back(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(report.results.len(), 1);
}

#[test]
fn the_verdicts_findings_and_remedies_stay_out_of_the_json() {
    let verdict = dapreflight::decide(&[], None);
    assert!(
        !verdict.findings.is_empty(),
        "a verdict with no results still says why"
    );
    let json = serde_json::to_value(wire::Verdict::from(&verdict)).expect("serializable");
    let keys: Vec<&String> = json.as_object().expect("an object").keys().collect();
    assert_eq!(keys, ["approach", "fixes", "headline", "ready", "reasons"]); // a Value sorts its keys
}
