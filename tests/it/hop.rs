//! `check --as`: contexts probed in another process of the same binary (the portable hop, a
//! child process, standing in for the service and the user token Windows uses), their evidence
//! brought back, and the report saying who probed each context and how.

use dapreflight::{Context, Error, How, Identity, ProbeAs, Report, Route, Status};

use crate::binary::dapreflight;
use crate::harness::Check;
use crate::support::{Ca, FakeProxy, ProxyBehavior, RegExport, SYSTEM_IS, TlsServer, USER_IS};

/// WinINET flags: direct (0x1), or direct plus a manual proxy (0x3).
const DIRECT: u32 = 0x1;
const MANUAL: u32 = 0x3;

/// An origin, a proxy for each context (WinHTTP for the system context, WinINET for the user's),
/// and the device export that configures them.
struct Device {
    ca: Ca,
    origin: TlsServer,
    system_proxy: FakeProxy,
    user_proxy: FakeProxy,
    export: RegExport,
}

async fn device() -> Device {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let system_proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let user_proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let export = RegExport::new()
        .winhttp_proxy(&system_proxy.addr().to_string(), "<local>")
        .wininet(SYSTEM_IS, DIRECT, "", "", "")
        .wininet(
            USER_IS,
            MANUAL,
            &user_proxy.addr().to_string(),
            "<local>",
            "",
        );
    Device {
        ca,
        origin,
        system_proxy,
        user_proxy,
        export,
    }
}

impl Device {
    fn check(&self) -> Check {
        Check::new()
            .https("origin.test", self.origin.addr(), "/health/keepalive")
            .trust(&self.ca)
            .device_export(&self.export)
    }
}

fn via(proxy: &FakeProxy) -> Route {
    Route::Proxy {
        proxy: dapreflight::ProxyAddr::parse(&proxy.url()).expect("proxy address"),
    }
}

fn contexts(report: &Report) -> Vec<Context> {
    report.contexts.iter().map(|c| c.name).collect()
}

#[tokio::test]
async fn both_contexts_probed_in_child_processes_come_back_with_their_evidence_and_who_ran_them() {
    let device = device().await;
    let report = device.check().probe_as_child(ProbeAs::Both).run().await;
    assert_eq!(contexts(&report), [Context::System, Context::User]);
    let system: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.context == Context::System)
        .collect();
    let through_winhttp = system
        .iter()
        .find(|r| r.route.route == via(&device.system_proxy))
        .expect("the system context's result through the WinHTTP proxy");
    assert_eq!(through_winhttp.status, Status::Ok, "{through_winhttp:#?}");
    assert!(through_winhttp.tls.is_some() && through_winhttp.http.is_some());
    let user = report
        .results
        .iter()
        .find(|r| r.context == Context::User)
        .expect("the user context's result");
    assert_eq!(user.route.route, via(&device.user_proxy));
    assert_eq!(user.status, Status::Ok, "{user:#?}");
    // The evidence is what the peers saw: each proxy tunnelled for the child that used it.
    assert!(device.system_proxy.connections() >= 1);
    assert!(device.user_proxy.connections() >= 1);
    let system_ran = report
        .probing
        .of(Context::System)
        .expect("who probed system");
    assert_eq!(
        (system_ran.identity, system_ran.how),
        (Identity::System, How::ChildProcess)
    );
    let user_ran = report.probing.of(Context::User).expect("who probed user");
    assert_eq!(
        (user_ran.identity, user_ran.how),
        (Identity::User, How::ChildProcess)
    );
    assert!(!user_ran.account.is_empty());
}

#[tokio::test]
async fn as_system_probes_only_the_system_context() {
    let device = device().await;
    let report = device.check().probe_as_child(ProbeAs::System).run().await;
    assert_eq!(contexts(&report), [Context::System]);
    assert!(report.results.iter().all(|r| r.context == Context::System));
    assert_eq!(device.user_proxy.connections(), 0);
    assert!(report.probing.of(Context::User).is_none());
}

#[tokio::test]
async fn as_user_with_only_the_system_context_selected_is_an_argument_error() {
    let device = device().await;
    let check = device
        .check()
        .context(dapreflight::ContextChoice::System)
        .probe_as_child(ProbeAs::User);
    let config = check.config();
    let err = dapreflight::build_report(&config)
        .await
        .expect_err("nothing to probe");
    match err {
        Error::Argument { flag, message } => {
            assert_eq!(flag, "--as");
            assert!(message.contains("selects no context"), "{message}");
        }
        other => panic!("expected an argument error, got {other:?}"),
    }
}

#[tokio::test]
async fn current_probes_every_context_in_process_and_says_so() {
    let device = device().await;
    let report = device.check().run().await;
    for context in [Context::System, Context::User] {
        let ran = report.probing.of(context).expect("who probed it");
        assert_eq!((ran.identity, ran.how), (Identity::Current, How::InProcess));
    }
}

#[tokio::test]
async fn a_hop_that_cannot_start_leaves_its_contexts_not_probed_with_the_reason() {
    let device = device().await;
    // The check owns the endpoint file its config names: it lives until the end of the test.
    let check = device.check().probe_as_child(ProbeAs::Both);
    let mut config = check.config();
    config.hop = dapreflight::HopVia::ChildProcess {
        exe: "/nonexistent/dapreflight".into(),
    };
    let report = dapreflight::build_report(&config)
        .await
        .expect("a failed hop is reported, not an error");
    assert!(!report.results.is_empty());
    for result in &report.results {
        assert_eq!(result.status, Status::NotProbed, "{result:#?}");
        assert!(
            result.detail.starts_with("not probed as"),
            "{}",
            result.detail
        );
        assert!(result.detail.contains("cannot start"), "{}", result.detail);
    }
    assert!(
        report
            .probing
            .notes
            .iter()
            .any(|n| n.contains("hop to SYSTEM failed")),
        "{:?}",
        report.probing.notes
    );
    assert_eq!(device.system_proxy.connections(), 0);
}

#[tokio::test]
async fn the_json_and_the_table_say_who_probed_each_context() {
    let device = device().await;
    let report = device.check().probe_as_child(ProbeAs::Both).run().await;
    let wire = dapreflight::wire::Report::from(&report);
    let json = serde_json::to_value(&wire).expect("json");
    for context in json["contexts"].as_array().expect("contexts") {
        let probed_as = &context["probed_as"];
        assert_eq!(probed_as["how"], "child process", "{context}");
        assert_eq!(probed_as["identity"], context["name"], "{context}");
    }
    let mut table = Vec::new();
    dapreflight::render(&report, dapreflight::Style::default(), &mut table).expect("render");
    let table = String::from_utf8(table).expect("utf-8");
    assert!(table.contains("(system, child process)"), "{table}");
    assert!(table.contains("(user, child process)"), "{table}");
}

#[test]
fn off_windows_as_system_is_exit_2_saying_why() {
    if cfg!(windows) {
        return;
    }
    let output = dapreflight(&["check", "--as", "system", "--direct"], &[]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--as") && stderr.contains("only `current` exists off Windows"),
        "{stderr}"
    );
}

#[test]
fn the_internal_subcommand_is_not_in_help_and_refuses_a_request_of_another_version() {
    let help = dapreflight(&["--help"], &[]);
    assert!(!String::from_utf8_lossy(&help.stdout).contains("__probe-jobs"));
    let dir = tempfile::tempdir().expect("temporary directory");
    let request = dir.path().join("request.json");
    let response = dir.path().join("response.json");
    std::fs::write(
        &request,
        r#"{"protocol":1,"version":"0.0.0-other","nonce":"n","identity":"system",
            "settings":{"stage_timeout_ms":1000,"concurrency":1,"pins":[],"dns_servers":null,
            "deadline_ms":1000,"remaining_ms":1000,"anchors":[],"device_store":[]},
            "jobs":[],"console_user":null}"#,
    )
    .expect("write request");
    let output = dapreflight(
        &[
            "__probe-jobs",
            "--request",
            request.to_str().expect("utf-8 path"),
            "--response",
            response.to_str().expect("utf-8 path"),
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("0.0.0-other"), "{stderr}");
    assert!(!response.exists());
}
