//! The JSON report matches the schema that ships with it and reads back into its wire type,
//! whatever the probes found, and the shipped schema is the one the wire types generate.

use std::path::Path;
use std::time::Duration;

use dapreflight::wire;

use crate::harness::Check;
use crate::support::{Ca, FakeProxy, ProxyBehavior, TlsServer, closed_port};

const SCHEMA: &str = include_str!("../../schema/report.schema.json");

#[test]
fn the_shipped_schema_is_the_one_the_wire_types_generate() {
    let generated =
        serde_json::to_string_pretty(&wire::report_schema()).expect("the schema serializes") + "\n";
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/report.schema.json");
        std::fs::write(&path, &generated).expect("write the schema");
        return;
    }
    assert!(
        SCHEMA == generated,
        "schema/report.schema.json is not what the wire types generate; regenerate it with \
         `UPDATE_SCHEMA=1 cargo test schema` and review the diff"
    );
}

#[tokio::test]
async fn reports_of_every_kind_validate_against_the_shipped_schema() {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let inspection = Ca::generate("Zscaler Root CA");
    let behaviors = [
        ProxyBehavior::Tunnel,
        ProxyBehavior::RequireAuth {
            challenges: vec!["NTLM, Basic realm=\"x\"".into()],
            accept: Some(("u".into(), "p".into())),
        },
        ProxyBehavior::Intercept(inspection.clone()),
        ProxyBehavior::Garbage,
        ProxyBehavior::Refuse(403),
        ProxyBehavior::Stall,
    ];
    let mut statuses = Vec::new();
    for behavior in behaviors {
        let proxy = FakeProxy::start(behavior).await;
        let report = Check::new()
            .endpoint(&format!("url: \"https://origin.test:{}/\"", origin.port()))
            .endpoint("url: \"http://adl.test:9/\"")
            .endpoint("url: \"https://*.wild.test\"")
            .endpoint("url: \"https://nowhere.invalid/\"")
            .trust(&ca)
            .device_trusts(&inspection)
            .via(proxy.addr())
            .timeout(Duration::from_millis(300))
            .run()
            .await;
        statuses.extend(report.results.iter().map(|r| r.status));
        // What `check --format json` wrote reads back into the wire report, byte for byte.
        let read: wire::Report = crate::wire::assert_reads_back(&crate::wire::json(&report));
        assert_eq!(read, wire::Report::from(&report));
        let json = serde_json::to_value(wire::Report::from(&report)).expect("serializes");
        let errors: Vec<String> = validator
            .iter_errors(&json)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{errors:#?}\n{json:#}");
    }
    let direct = Check::new()
        .https("origin.test", closed_port(), "/")
        .endpoint("url: \"https://nowhere.invalid/\"")
        .run()
        .await;
    let json = serde_json::to_value(wire::Report::from(&direct)).expect("serializes");
    assert!(validator.is_valid(&json), "{json:#}");
    statuses.sort();
    statuses.dedup();
    assert!(
        statuses.len() >= 7,
        "the scenarios cover many statuses: {statuses:?}"
    );
}

#[tokio::test]
async fn a_report_from_a_device_export_with_contexts_settings_and_a_pac_validates_and_reads_back() {
    use crate::support::{DATA_COLLECTION, HttpServer, RegExport, RegValue, USER_IS};
    let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let ca = Ca::generate("Origin Test Root");
    let origin = TlsServer::start(&ca, &["origin.test"]).await;
    let proxy = FakeProxy::start(ProxyBehavior::Tunnel).await;
    let pac = format!(
        "function FindProxyForURL(url, host) {{ return \"PROXY {}; SOCKS 127.0.0.1:1080; DIRECT\"; }}",
        proxy.addr()
    );
    let pac_server = HttpServer::serving(&pac).await;
    let export = RegExport::new()
        .winhttp_proxy(&proxy.addr().to_string(), "<local>")
        .wininet(USER_IS, 0x5, "", "", &pac_server.url("/proxy.pac"))
        .value(DATA_COLLECTION, "AllowTelemetry", RegValue::Dword(1))
        .value(
            DATA_COLLECTION,
            "DisableEnterpriseAuthProxy",
            RegValue::Dword(0),
        );
    let report = Check::new()
        .https("origin.test", origin.addr(), "/")
        .trust(&ca)
        .device_export(&export)
        .run()
        .await;
    let read: wire::Report = crate::wire::assert_reads_back(&crate::wire::json(&report));
    assert!(read.settings.is_some());
    assert!(read.results.iter().any(|r| r.route.pac.is_some()));
    let json = serde_json::to_value(wire::Report::from(&report)).expect("serializes");
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}\n{json:#}");
    let kinds: Vec<&str> = json["results"]
        .as_array()
        .expect("results")
        .iter()
        .filter_map(|r| r["route"]["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"unprobeable"), "the SOCKS entry: {kinds:?}");
    assert!(json["settings"].is_object() && json["verdict"]["approach"].is_string());
    assert!(
        json["results"]
            .as_array()
            .expect("results")
            .iter()
            .any(|r| r["route"]["pac"].is_object())
    );
}
