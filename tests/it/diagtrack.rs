//! DiagTrack's own upload summary (`--from-utc-report`) beside the probes: what it corroborates,
//! where it disagrees, the states that show nothing, and malformed files refused with exit 2.

use dapreflight::{Code, Format, Report, Severity, Style};

use crate::binary::{dapreflight, origin_args};
use crate::harness::Check;
use crate::support::{Ca, FakeProxy, ProxyBehavior, TlsServer};

async fn origin() -> (Ca, TlsServer) {
    let ca = Ca::generate("DiagTrack Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    (ca, origin)
}

fn check(ca: &Ca, origin: &TlsServer) -> Check {
    Check::new()
        .https("origin.test", origin.addr(), "/")
        .trust(ca)
}

fn fixture(name: &str) -> String {
    format!("{}/testdata/utc/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The DiagTrack reason's code, severity and text; exactly one is expected.
fn diagtrack_reason(report: &Report) -> (Code, Severity, String) {
    let reasons: Vec<_> = report
        .verdict
        .reasons
        .iter()
        .filter(|r| r.code.as_str().starts_with("diagtrack."))
        .collect();
    assert_eq!(reasons.len(), 1, "{:#?}", report.verdict.reasons);
    (
        reasons[0].code,
        reasons[0].severity,
        reasons[0].text.clone(),
    )
}

fn json(report: &Report) -> serde_json::Value {
    let mut out = Vec::new();
    dapreflight::render(
        report,
        Style {
            format: Format::Json,
            ..Style::default()
        },
        &mut out,
    )
    .expect("render");
    serde_json::from_slice(&out).expect("json")
}

#[tokio::test]
async fn a_407_in_diagtracks_summary_corroborates_the_proxy_authentication_the_probes_meet() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["Negotiate".to_owned(), "NTLM".to_owned()],
        accept: None,
    })
    .await;
    let report = check(&ca, &origin)
        .via(proxy.addr())
        .utc_report("all-dropped-407.synthetic.xml")
        .run()
        .await;
    assert!(!report.verdict.ready);
    let (code, severity, text) = diagtrack_reason(&report);
    assert_eq!((code, severity), (Code::DiagTrackAgrees, Severity::Caveat));
    assert!(text.contains("dropped all diagnostic data"), "{text}");
    assert!(
        text.contains("its last HTTP error was 407, the proxy authentication the probes meet"),
        "{text}"
    );
    assert!(
        text.contains("2025-11-08T08:00:00Z (134070624000000000)"),
        "{text}"
    );
    let value = json(&report);
    let diagtrack = &value["diagtrack"];
    assert_eq!(diagtrack["state"], "all_dropped");
    assert_eq!(diagtrack["summary"]["last_http_error_code"], 407);
    assert_eq!(diagtrack["summary"]["ending"]["raw"], "134070624000000000");
    assert_eq!(
        diagtrack["summary"]["ending"]["as_filetime"],
        "2025-11-08T08:00:00Z"
    );
}

#[tokio::test]
async fn dropped_data_while_every_probe_passes_is_a_disagreement_that_leaves_the_verdict_ready() {
    let (ca, origin) = origin().await;
    let report = check(&ca, &origin)
        .utc_report("some-dropped-certificate.synthetic.xml")
        .run()
        .await;
    assert!(report.verdict.ready, "the probes decide readiness");
    let (code, severity, text) = diagtrack_reason(&report);
    assert_eq!((code, severity), (Code::DiagTrackDiffers, Severity::Caveat));
    assert!(text.contains("though every probe gets through"), "{text}");
    assert!(
        text.contains(
            "certificate-validation failures (0x800B0109), but the probes found no SSL inspection"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn all_sent_while_the_probes_fail_says_diagtracks_route_differs() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["NTLM".to_owned()],
        accept: None,
    })
    .await;
    let report = check(&ca, &origin)
        .via(proxy.addr())
        .utc_report("all-sent.synthetic.xml")
        .run()
        .await;
    let (code, _, text) = diagtrack_reason(&report);
    assert_eq!(code, Code::DiagTrackDiffers);
    assert!(
        text.contains("sent all data without a proxy")
            && text.contains("reached Microsoft directly"),
        "{text}"
    );
}

#[tokio::test]
async fn nothing_to_upload_and_no_summary_are_never_counted_as_success() {
    let (ca, origin) = origin().await;
    for (fixture, expected, words) in [
        (
            "nothing-to-upload.synthetic.xml",
            Code::DiagTrackNothingToUpload,
            "shows nothing about the route",
        ),
        (
            "no-summary.synthetic.xml",
            Code::DiagTrackNoReport,
            "no upload summary yet",
        ),
    ] {
        let report = check(&ca, &origin).utc_report(fixture).run().await;
        let (code, severity, text) = diagtrack_reason(&report);
        assert_eq!((code, severity), (expected, Severity::Caveat), "{fixture}");
        assert!(text.contains(words), "{fixture}: {text}");
    }
}

#[tokio::test]
async fn the_table_shows_each_element_with_its_meaning_and_raw_timestamps() {
    let (ca, origin) = origin().await;
    let report = check(&ca, &origin)
        .utc_report("unknown-element.synthetic.xml")
        .run()
        .await;
    let mut out = Vec::new();
    let wide = Style {
        width: 200,
        ..Style::default()
    };
    dapreflight::render(&report, wide, &mut out).expect("render");
    let text = String::from_utf8(out).expect("utf-8");
    for line in [
        "DiagTrack's own upload summary (",
        "  Uploads: all sent",
        "  Period: 2025-11-07T08:00:00Z (134069760000000000) to 2025-11-08T08:00:00Z \
         (134070624000000000)",
        "  DataUploaded: 2 (all data sent)",
        "  ConnectionsSuccessful: 2 (all connections succeeded)",
        "  ProxyDetected: no",
        "  Elements the schema does not have: UploadRetryCount",
    ] {
        assert!(text.contains(line), "{line:?} missing from:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_or_oversized_summary_is_exit_2_naming_the_file_and_line() {
    let (ca, origin) = origin().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.xml");
    std::fs::write(
        &big,
        format!(
            "<ConnectionReport>{}</ConnectionReport>",
            "<!-- pad -->".repeat(100_000)
        ),
    )
    .expect("write");
    let cases = [
        (
            fixture("malformed-not-a-number.synthetic.xml"),
            "malformed-not-a-number.synthetic.xml:10: expected an unsignedInt in <DataUploaded>, \
             found \"zero\"",
        ),
        (
            fixture("malformed-missing-ending.synthetic.xml"),
            "malformed-missing-ending.synthetic.xml:12: <ConnectionSummary> has no \
             <ConnectionSummaryEndingTimestamp>",
        ),
        (big.display().to_string(), "larger than"),
    ];
    for (path, message) in cases {
        let mut args = origin_args(dir.path(), &ca, &origin);
        args.extend(["--from-utc-report".to_owned(), path.clone()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = tokio::task::block_in_place(|| dapreflight(&args, &[]));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{path}: {stderr}");
        assert!(stderr.contains(message), "{path}: {stderr}");
        assert!(out.stdout.is_empty(), "nothing rendered for a bad input");
    }
}
