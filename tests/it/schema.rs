//! The JSON report matches the schema that ships with it, whatever the probes found.

use std::time::Duration;

use crate::harness::Check;
use crate::support::{Ca, FakeProxy, ProxyBehavior, TlsServer, closed_port};

const SCHEMA: &str = include_str!("../../schema/report.schema.json");

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
        let json = serde_json::to_value(&report).expect("serializes");
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
    let json = serde_json::to_value(&direct).expect("serializes");
    assert!(validator.is_valid(&json), "{json:#}");
    statuses.sort();
    statuses.dedup();
    assert!(
        statuses.len() >= 7,
        "the scenarios cover many statuses: {statuses:?}"
    );
}
