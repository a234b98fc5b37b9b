//! Both Windows contexts from a device's registry export, probed through the routes each would
//! take, and the approach the verdict picks when it is the honest outcome.

use dapreflight::ContextChoice;

use dapreflight::Approach;
use dapreflight::ProbeResult;
use dapreflight::Report;
use dapreflight::SourceStatus;
use dapreflight::Status;
use dapreflight::{Context, Route};

use crate::harness::Check;
use crate::support::{
    Ca, DATA_COLLECTION, FakeProxy, HttpServer, ProxyBehavior, RegExport, RegValue, SYSTEM_IS,
    TlsServer, USER_IS, closed_port,
};

/// WinINET flags: direct (0x1) plus manual proxy (0x2), or plus configuration script (0x4).
const MANUAL: u32 = 0x3;
const SCRIPT: u32 = 0x5;
const DIRECT: u32 = 0x1;

async fn origin() -> (Ca, TlsServer) {
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    (ca, origin)
}

/// A check of the one test origin, through whatever `export` configures.
fn check(ca: &Ca, origin: &TlsServer, export: &RegExport) -> Check {
    Check::new()
        .https("origin.test", origin.addr(), "/health/keepalive")
        .trust(ca)
        .device_export(export)
}

fn in_context<'a>(report: &'a Report, context: &str) -> Vec<&'a ProbeResult> {
    report
        .results
        .iter()
        .filter(|r| r.context.as_str() == context)
        .collect()
}

fn proxy_route(proxy: &FakeProxy) -> Route {
    Route::Proxy {
        proxy: dapreflight::ProxyAddr::parse(&proxy.url()).expect("proxy address"),
    }
}

#[tokio::test]
async fn the_system_context_takes_the_winhttp_proxy_and_the_user_context_its_wininet_proxy() {
    let (ca, origin) = origin().await;
    let system_proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let user_proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["Negotiate".into(), "NTLM".into()],
        accept: None,
    })
    .await;
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
    let report = check(&ca, &origin, &export).run().await;
    let system = in_context(&report, "system");
    let via_winhttp = system
        .iter()
        .find(|r| r.route.route == proxy_route(&system_proxy))
        .expect("a result through the WinHTTP proxy");
    assert_eq!(via_winhttp.status, Status::Ok, "{via_winhttp:#?}");
    assert!(
        via_winhttp.route.source.contains("WinHTTP"),
        "{}",
        via_winhttp.route.source
    );
    let user = in_context(&report, "user");
    assert_eq!(user.len(), 1, "{user:#?}");
    assert_eq!(user[0].status, Status::ProxyAuthRequired);
    assert_eq!(user[0].route.route, proxy_route(&user_proxy));
    // The system context gets through with no authentication: bypass is the approach.
    assert_eq!(
        report.verdict.approach,
        Approach::Bypass,
        "{:#?}",
        report.verdict
    );
}

#[tokio::test]
async fn identical_routes_are_probed_once_and_reported_for_each_context() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let shared = proxy.addr().to_string();
    let export = RegExport::new()
        .winhttp_proxy(&shared, "")
        .wininet(USER_IS, MANUAL, &shared, "", "");
    let report = check(&ca, &origin, &export).run().await;
    let through: Vec<_> = report
        .results
        .iter()
        .filter(|r| r.route.route == proxy_route(&proxy))
        .collect();
    assert_eq!(through.len(), 2, "one result per context: {through:#?}");
    assert_eq!(proxy.requests().len(), 1, "but one probe");
    assert_eq!(origin.requests().len(), 1);
}

#[tokio::test]
async fn a_bypass_list_entry_sends_the_endpoint_direct_and_says_which_entry() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let export = RegExport::new().winhttp_proxy(&proxy.addr().to_string(), "<local>;*.test");
    let report = check(&ca, &origin, &export)
        .context(ContextChoice::System)
        .run()
        .await;
    assert!(report.results.iter().all(|r| r.context == Context::System));
    let result = &report.results[0];
    assert_eq!(result.route.route, Route::Direct, "{result:#?}");
    assert!(
        result.route.source.contains("*.test"),
        "{}",
        result.route.source
    );
    assert_eq!(result.status, Status::Ok);
    assert!(proxy.requests().is_empty());
}

#[tokio::test]
async fn windows_integrated_authentication_in_the_system_context_is_the_device_approach() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["Negotiate".into(), "NTLM".into()],
        accept: None,
    })
    .await;
    let export = RegExport::new()
        .winhttp_proxy(&proxy.addr().to_string(), "")
        .wininet(USER_IS, MANUAL, &proxy.addr().to_string(), "", "");
    let report = check(&ca, &origin, &export).run().await;
    assert!(
        report
            .results
            .iter()
            .all(|r| r.status == Status::ProxyAuthRequired)
    );
    assert_eq!(
        report.verdict.approach,
        Approach::Device,
        "{:#?}",
        report.verdict
    );
    assert!(!report.verdict.ready);
}

#[tokio::test]
async fn basic_only_authentication_leaves_only_bypass() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::RequireAuth {
        challenges: vec!["Basic realm=\"corp\"".into()],
        accept: None,
    })
    .await;
    let export = RegExport::new()
        .winhttp_proxy(&proxy.addr().to_string(), "")
        .wininet(USER_IS, MANUAL, &proxy.addr().to_string(), "", "");
    let report = check(&ca, &origin, &export).run().await;
    assert_eq!(
        report.verdict.approach,
        Approach::Bypass,
        "{:#?}",
        report.verdict
    );
    assert!(!report.verdict.ready);
    assert_eq!(report.verdict.fixes[0].kind, "drop_proxy_auth");
    assert_eq!(report.verdict.fixes.len(), 1, "{:#?}", report.verdict.fixes);
}

#[tokio::test]
async fn a_context_missing_from_the_export_is_reported_not_guessed() {
    let (ca, origin) = origin().await;
    let export = RegExport::new().winhttp_proxy("", "");
    let report = check(&ca, &origin, &export).run().await;
    let user = in_context(&report, "user");
    assert_eq!(user.len(), 1);
    assert_eq!(user[0].status, Status::NotProbed, "{:#?}", user[0]);
    assert!(
        user[0].detail.contains("not in the input"),
        "{}",
        user[0].detail
    );
}

#[tokio::test]
async fn only_the_users_proxy_getting_through_is_offered_to_winhttp_before_the_user_approach() {
    let (ca, origin) = origin().await;
    let user_proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    // The system context's WinHTTP proxy is a port where nothing listens.
    let export = RegExport::new()
        .winhttp_proxy(&closed_port().to_string(), "")
        .wininet(USER_IS, MANUAL, &user_proxy.addr().to_string(), "", "")
        .value(
            DATA_COLLECTION,
            "DisableEnterpriseAuthProxy",
            RegValue::Dword(1),
        );
    let report = check(&ca, &origin, &export).run().await;
    assert!(
        in_context(&report, "system")
            .iter()
            .all(|r| r.status == Status::ConnectFailed)
    );
    assert_eq!(in_context(&report, "user")[0].status, Status::Ok);
    // The user's proxy needs no credentials: WinHTTP can use it too (bypass), which needs no
    // signed-in user; the user approach is the alternative, and needs the auth proxy on.
    assert_eq!(
        report.verdict.approach,
        Approach::Bypass,
        "{:#?}",
        report.verdict
    );
    assert!(!report.verdict.ready);
    let fixes = &report.verdict.fixes;
    assert_eq!(fixes[0].kind, "share_user_route", "{fixes:#?}");
    let user_proxy = user_proxy.addr().to_string();
    assert!(
        fixes[0].commands[0].contains(&format!("proxy-server=\"{user_proxy}\"")),
        "{fixes:#?}"
    );
    let enable = fixes
        .iter()
        .find(|f| f.kind == "enable_auth_proxy")
        .expect("the user approach's fix is offered");
    assert!(enable.alternative);
    assert!(
        enable.commands[0].contains("DisableEnterpriseAuthProxy"),
        "{fixes:#?}"
    );
}

#[tokio::test]
async fn interception_in_the_system_context_is_excluded_by_name() {
    let (ca, origin) = origin().await;
    let inspection = Ca::generate("Corp Inspection CA");
    let proxy = FakeProxy::start(ProxyBehavior::Intercept(inspection.clone())).await;
    let export = RegExport::new().winhttp_proxy(&proxy.addr().to_string(), "");
    let report = check(&ca, &origin, &export)
        .device_trusts(&inspection)
        .context(ContextChoice::System)
        .run()
        .await;
    assert_eq!(report.results[0].status, Status::TlsIntercepted);
    assert_eq!(
        report.verdict.approach,
        Approach::Bypass,
        "{:#?}",
        report.verdict
    );
    let fix = &report.verdict.fixes[0];
    assert_eq!(fix.kind, "exclude_from_inspection");
    assert!(fix.title.contains("Corp Inspection CA"), "{}", fix.title);
}

#[tokio::test]
async fn the_users_pac_decides_the_route_and_winnet_fails_over_to_its_second_entry() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let pac = format!(
        "function FindProxyForURL(url, host) {{\n  if (dnsDomainIs(host, \".test\"))\n    \
         return \"PROXY {}; DIRECT\";\n  return \"DIRECT\";\n}}\n",
        proxy.addr()
    );
    let pac_server = HttpServer::serving(&pac).await;
    let export = RegExport::new().winhttp_proxy("", "").wininet(
        USER_IS,
        SCRIPT,
        "",
        "",
        &pac_server.url("/proxy.pac"),
    );
    let report = check(&ca, &origin, &export)
        .context(ContextChoice::User)
        .run()
        .await;
    assert_eq!(report.results.len(), 2, "{:#?}", report.results);
    let first = &report.results[0];
    assert_eq!(first.route.route, proxy_route(&proxy), "{first:#?}");
    assert_eq!(first.status, Status::Ok);
    let note = first.route.pac.as_ref().expect("the PAC decision is shown");
    assert_eq!(note.line, Some(3), "{note:#?}");
    assert_eq!(note.failover, Some(1));
    assert!(note.result.starts_with("PROXY "), "{note:#?}");
    assert_eq!(report.results[1].route.route, Route::Direct);
    assert_eq!(
        report.results[1]
            .route
            .pac
            .as_ref()
            .and_then(|p| p.failover),
        Some(2)
    );
    assert_eq!(pac_server.requests().len(), 1, "the PAC is fetched once");
}

#[tokio::test]
async fn a_pac_that_cannot_be_fetched_falls_back_to_the_manual_proxy_and_says_why() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let unreachable = format!("http://{}/proxy.pac", closed_port());
    let export = RegExport::new().wininet(
        USER_IS,
        SCRIPT | MANUAL,
        &proxy.addr().to_string(),
        "",
        &unreachable,
    );
    let report = check(&ca, &origin, &export)
        .context(ContextChoice::User)
        .run()
        .await;
    assert_eq!(report.results[0].route.route, proxy_route(&proxy));
    let user = report
        .contexts
        .iter()
        .find(|c| c.name == Context::User)
        .expect("user context");
    // A PAC that cannot be fetched is a failure with its reason, never "not set".
    let failed = user
        .sources
        .iter()
        .find(|s| s.status == SourceStatus::Failed)
        .expect("the unreachable PAC is reported as failed");
    assert!(failed.detail.starts_with("cannot be used: "), "{failed:?}");
    assert!(failed.detail.contains("proxy.pac"), "{failed:?}");
    assert!(
        !user
            .sources
            .iter()
            .any(|s| s.status == SourceStatus::NotSet && s.detail.contains("proxy.pac")),
        "{:#?}",
        user.sources
    );
}

#[test]
fn proxy_shows_both_contexts_from_exports_and_warns_when_only_the_user_has_a_proxy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let export = RegExport::new().winhttp_proxy("", "").wininet(
        USER_IS,
        MANUAL,
        "127.0.0.1:3128",
        "<local>",
        "",
    );
    let reg = dir.path().join("device.reg");
    std::fs::write(&reg, export.to_bytes()).expect("export");
    let out = crate::binary::dapreflight(
        &[
            "proxy",
            "--from-reg",
            &reg.display().to_string(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = view["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["system", "user"]);
    let warnings = view["contexts"][0]["warnings"].to_string();
    assert!(
        warnings.contains("works in the browser, not for the service"),
        "{warnings}"
    );
    let routes = view["routes"].as_array().expect("routes");
    assert!(
        routes
            .iter()
            .any(|r| r["context"] == "user" && r["route"]["proxy"] == "127.0.0.1:3128")
    );
    assert!(
        routes
            .iter()
            .any(|r| r["context"] == "system" && r["route"]["kind"] == "direct")
    );
}

#[test]
fn an_advproxy_capture_becomes_a_system_source() {
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = dir.path().join("advproxy.txt");
    std::fs::write(
        &capture,
        "\r\nCurrent WinHTTP advanced proxy settings:\r\n\r\n{\r\n    \"Proxy\":  \"127.0.0.1:8081\",\r\n    \
         \"ProxyBypass\":  \"<local>\",\r\n    \"AutoconfigUrl\":  \"\",\r\n    \"AutoDetect\":  false\r\n}\r\n",
    )
    .expect("capture");
    let out = crate::binary::dapreflight(
        &[
            "proxy",
            "--from-netsh",
            &capture.display().to_string(),
            "--context",
            "system",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let view: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let routes = view["routes"].as_array().expect("routes");
    assert!(
        routes
            .iter()
            .any(|r| r["route"]["proxy"] == "127.0.0.1:8081"
                && r["route"]["source"]
                    .as_str()
                    .is_some_and(|s| s.contains("advproxy"))),
        "{routes:#?}"
    );
}

#[test]
fn a_truncated_blob_in_an_export_is_exit_2_naming_the_file_line_and_value() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A WinHttpSettings value whose proxy length runs past the end.
    let export = RegExport::new().value(
        crate::support::MACHINE_CONNECTIONS,
        "WinHttpSettings",
        RegValue::Binary(vec![
            0x18, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0x40, 0, 0, 0, b'a', b':', b'8', b'0', 0, 0, 0,
            0,
        ]),
    );
    let reg = dir.path().join("broken.reg");
    std::fs::write(&reg, export.to_bytes()).expect("export");
    for command in ["proxy", "check"] {
        let out =
            crate::binary::dapreflight(&[command, "--from-reg", &reg.display().to_string()], &[]);
        assert_eq!(out.status.code(), Some(2), "{command}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("broken.reg:4"), "{err}");
        assert!(
            err.contains("WinHttpSettings") && err.contains("offset"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn a_users_hive_exported_under_hkey_users_is_the_user_context() {
    let (ca, origin) = origin().await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let hive = r"HKEY_USERS\S-1-5-21-1004336348-1177238915-682003330-1001\Software\Microsoft\Windows\CurrentVersion\Internet Settings";
    let export = RegExport::new().wininet(hive, MANUAL, &proxy.addr().to_string(), "", "");
    let report = check(&ca, &origin, &export)
        .context(ContextChoice::User)
        .run()
        .await;
    assert_eq!(
        report.results[0].route.route,
        proxy_route(&proxy),
        "{:#?}",
        report.results
    );
    assert_eq!(report.results[0].status, Status::Ok);
}
