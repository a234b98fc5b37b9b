//! Known versus unknown in device exports: what the input does not hold is "not in the input",
//! never "not set"; the device is the one the export names, never the analyst's machine; a
//! context missing from the input is not taken to use a proxy; a PAC that cannot be fetched is a
//! failure, not "not set".

use std::path::PathBuf;
use std::time::Duration;

use dapreflight::wire;
use dapreflight::{Context, DeviceFiles, DeviceSource, ProxySources, SourceStatus};

fn testdata(name: &str) -> PathBuf {
    PathBuf::from("testdata").join(name)
}

/// Reads the exports as `check --from-reg/--from-netsh` would, and builds the contexts.
async fn read(registry: &[&str], netsh: &[&str]) -> (dapreflight::DeviceInput, Vec<ContextView>) {
    let files = DeviceFiles {
        registry: registry.iter().map(|name| testdata(name)).collect(),
        netsh: netsh.iter().map(|name| testdata(name)).collect(),
    };
    let sources = ProxySources {
        timeout: Duration::from_secs(2),
        ..ProxySources::default()
    };
    let device = dapreflight::read_device(&sources, &files).expect("the exports read");
    let contexts = dapreflight::discover_contexts(&device.sources)
        .await
        .expect("contexts");
    let views = contexts
        .iter()
        .map(|context| ContextView {
            name: context.name,
            sources: context
                .sources
                .iter()
                .map(|s| (s.name.clone(), s.status, s.detail.clone()))
                .collect(),
            warnings: context.warnings.clone(),
        })
        .collect();
    (device, views)
}

struct ContextView {
    name: Context,
    sources: Vec<(String, SourceStatus, String)>,
    warnings: Vec<String>,
}

impl ContextView {
    fn source(&self, prefix: &str) -> (SourceStatus, &str) {
        self.sources
            .iter()
            .find(|(name, _, _)| name.starts_with(prefix))
            .map_or_else(
                || panic!("no source '{prefix}' in {:?}", self.sources),
                |(_, status, detail)| (*status, detail.as_str()),
            )
    }
}

fn context(views: &[ContextView], name: Context) -> &ContextView {
    views.iter().find(|v| v.name == name).expect("the context")
}

fn warns_about_the_users_proxy(views: &[ContextView]) -> bool {
    views
        .iter()
        .flat_map(|v| &v.warnings)
        .any(|w| w.contains("the user's Internet Options have a proxy"))
}

#[tokio::test]
async fn a_netsh_capture_alone_says_the_policy_is_not_in_the_input_and_the_device_is_unknown() {
    let (device, views) = read(&[], &["netsh/show-proxy-direct.txt"]).await;
    let system = context(&views, Context::System);
    assert_eq!(
        system.source("TelemetryProxyServer policy"),
        (
            SourceStatus::NotInInput,
            r"not in the input: no HKLM\SOFTWARE\Policies\Microsoft\Windows\DataCollection key exported"
        )
    );
    assert_eq!(system.source("WinHTTP proxy").0, SourceStatus::Used);
    let user = context(&views, Context::User);
    assert_eq!(
        user.source("the user's WinINET").0,
        SourceStatus::NotInInput
    );
    assert!(!warns_about_the_users_proxy(&views));
    let about = device.report_device();
    assert_eq!(about.source, DeviceSource::Unknown);
    assert_eq!((about.name, about.os), (None, None));
    assert!(!about.ran_on.is_device);
    assert!(device.settings().is_none());
}

#[tokio::test]
async fn an_hklm_only_export_names_its_device_and_leaves_the_user_unknown() {
    let (device, views) = read(&["registry/hklm-only.synthetic.reg"], &[]).await;
    let about = device.report_device();
    assert_eq!(about.source, DeviceSource::Export);
    assert_eq!(about.name.as_deref(), Some("PC-0117"));
    assert_eq!(about.domain.as_deref(), Some("corp.example"));
    assert_eq!(about.os.as_deref(), Some("Windows 10 Enterprise 22H2"));
    assert_eq!(about.build.as_deref(), Some("19045.4291"));
    assert!(!about.ran_on.is_device);
    let json = serde_json::to_value(wire::Device::from(&about)).expect("serializes");
    assert_eq!(json["source"], "export");
    assert_eq!(json["ran_on"]["is_device"], false);

    let system = context(&views, Context::System);
    assert_eq!(system.source("WinHTTP proxy").0, SourceStatus::Used);
    assert_eq!(
        system.source("TelemetryProxyServer policy").0,
        SourceStatus::NotInInput
    );
    let user = context(&views, Context::User);
    assert_eq!(
        user.source("the user's WinINET").0,
        SourceStatus::NotInInput
    );
    assert!(!warns_about_the_users_proxy(&views));
    let settings = device.settings().expect("a registry export has settings");
    assert!(settings.telemetry_proxy_server.not_in_input());
    assert_eq!(settings.os.build, Some(19045));
}

#[tokio::test]
async fn an_hku_only_export_with_a_user_proxy_does_not_claim_the_system_has_none() {
    let (device, views) = read(&["registry/hku-only.synthetic.reg"], &[]).await;
    assert!(
        !warns_about_the_users_proxy(&views),
        "the system context is not in the input"
    );
    let user = context(&views, Context::User);
    assert_eq!(user.source("the user's WinINET").0, SourceStatus::Used);
    let system = context(&views, Context::System);
    for name in [
        "WinHTTP proxy",
        "TelemetryProxyServer policy",
        "LocalSystem's WinINET",
    ] {
        assert_eq!(system.source(name).0, SourceStatus::NotInInput, "{name}");
    }
    assert_eq!(device.report_device().source, DeviceSource::Unknown);
}

#[tokio::test]
async fn a_pac_in_the_export_that_cannot_be_fetched_is_a_failure_with_its_reason() {
    let (_, views) = read(&["registry/hkcu-pac-unreachable.synthetic.reg"], &[]).await;
    let user = context(&views, Context::User);
    let (status, detail) = user.source("the user's WinINET (Internet Options): PAC");
    assert_eq!(status, SourceStatus::Failed, "{detail}");
    assert!(detail.starts_with("cannot be used: "), "{detail}");
    assert!(detail.contains("127.0.0.1:9"), "{detail}");
    assert!(
        !user
            .sources
            .iter()
            .any(|(_, status, detail)| *status == SourceStatus::NotSet
                && detail.contains("proxy.pac")),
        "{:?}",
        user.sources
    );
}
