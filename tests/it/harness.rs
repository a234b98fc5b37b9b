//! Runs `check` through the library against the in-process peers, the way the binary would.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use dapreflight::DeviceStore;
use dapreflight::ProbeResult;
use dapreflight::ProxyAddr;
use dapreflight::Report;
use dapreflight::Style;
use dapreflight::{Authenticate, Credentials, Pin};
use dapreflight::{CatalogChoice, CheckConfig, DeviceFiles, HopVia, Limits, ProbeAs};
use dapreflight::{ContextChoice, ProxyOverride, ProxySources};
use tempfile::TempDir;

use crate::support::{Ca, RegExport};

/// A `check` run being set up: endpoints, route, trust and limits.
pub struct Check {
    dir: TempDir,
    entries: Vec<String>,
    proxy: ProxyOverride,
    anchors: Vec<PathBuf>,
    device: Vec<rustls::pki_types::CertificateDer<'static>>,
    pins: Vec<Pin>,
    dns_servers: Option<Vec<SocketAddr>>,
    credentials: Option<Credentials>,
    authenticator: Option<Arc<dyn Authenticate>>,
    timeout: Duration,
    deadline: Option<Duration>,
    device_files: DeviceFiles,
    contexts: ContextChoice,
    utc_report: Option<PathBuf>,
    probe_as: ProbeAs,
    hop: HopVia,
}

impl Check {
    /// A direct check of nothing yet, with a 2 s stage deadline.
    pub fn new() -> Self {
        Self {
            dir: TempDir::new().expect("temporary directory"),
            entries: Vec::new(),
            proxy: ProxyOverride::Direct,
            anchors: Vec::new(),
            device: Vec::new(),
            pins: Vec::new(),
            dns_servers: None,
            credentials: None,
            authenticator: None,
            timeout: Duration::from_secs(2),
            deadline: None,
            device_files: DeviceFiles::default(),
            contexts: ContextChoice::Both,
            utc_report: None,
            probe_as: ProbeAs::Current,
            hop: HopVia::Native,
        }
    }

    /// Weighs DiagTrack's upload summary from this fixture (`testdata/utc/`), as
    /// `--from-utc-report` does.
    pub fn utc_report(mut self, fixture: &str) -> Self {
        self.utc_report = Some(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("testdata/utc")
                .join(fixture),
        );
        self
    }

    /// Reads the device's proxy configuration and settings from this `.reg` export; no flag
    /// overrides it (call `via` afterwards to override).
    pub fn device_export(mut self, export: &RegExport) -> Self {
        let path = self
            .dir
            .path()
            .join(format!("export{}.reg", self.device_files.registry.len()));
        std::fs::write(&path, export.to_bytes()).expect("write the registry export");
        self.device_files.registry.push(path);
        self.proxy = ProxyOverride::None;
        self
    }

    /// Probes only this Windows context.
    pub fn context(mut self, contexts: ContextChoice) -> Self {
        self.contexts = contexts;
        self
    }

    /// Adds an endpoint entry, as YAML flow mapping fields (`url: ..., trust: ...`).
    pub fn endpoint(mut self, fields: &str) -> Self {
        self.entries.push(format!("  - {{{fields}}}"));
        self
    }

    /// Adds `https://{host}:{port}{path}` with the name pinned to 127.0.0.1.
    pub fn https(self, host: &str, addr: SocketAddr, path: &str) -> Self {
        self.pinned(host, addr)
            .endpoint(&format!("url: \"https://{host}:{}{path}\"", addr.port()))
    }

    /// Pins `host:port` of `addr` to 127.0.0.1, as `--resolve` does.
    pub fn pinned(mut self, host: &str, addr: SocketAddr) -> Self {
        self.pins.push(Pin {
            host: host.to_owned(),
            port: addr.port(),
            addresses: vec![addr.ip()],
        });
        self
    }

    /// Routes every probe through this proxy, as `--proxy` does.
    pub fn via(mut self, proxy: SocketAddr) -> Self {
        self.proxy = ProxyOverride::Proxy(
            ProxyAddr::parse(&format!("http://{proxy}")).expect("proxy address"),
        );
        self
    }

    /// Routes every probe through the proxy named `proxy` (`host:port`), as `--proxy` does.
    pub fn via_named(mut self, proxy: &str) -> Self {
        self.proxy = ProxyOverride::Proxy(
            ProxyAddr::parse(&format!("http://{proxy}")).expect("proxy address"),
        );
        self
    }

    /// Accepts chains ending in `ca` for every endpoint, as `--trust-anchor` does.
    pub fn trust(mut self, ca: &Ca) -> Self {
        self.anchors.push(ca.write_pem(self.dir.path()));
        self
    }

    /// Puts `ca` in the device's own trust store (and nothing else is in it).
    pub fn device_trusts(mut self, ca: &Ca) -> Self {
        self.device.push(ca.cert_der());
        self
    }

    /// Answers the proxy's 407s with this authenticator instead of one built from credentials.
    pub fn authenticator(mut self, authenticator: Arc<dyn Authenticate>) -> Self {
        self.authenticator = Some(authenticator);
        self
    }

    /// Proxy credentials, as from `DAPREFLIGHT_PROXY_USER` / `_PASSWORD`.
    pub fn credentials(mut self, user: &str, password: &str) -> Self {
        self.credentials = Some(Credentials::new(user.to_owned(), password.to_owned()));
        self
    }

    /// Asks this DNS server instead of the system's.
    pub fn dns_server(mut self, server: SocketAddr) -> Self {
        self.dns_servers = Some(vec![server]);
        self
    }

    /// Sets the whole run's deadline (`--deadline`).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Probes as `probe_as`, each hop a child process of the built binary (the portable hop).
    pub fn probe_as_child(mut self, probe_as: ProbeAs) -> Self {
        self.probe_as = probe_as;
        self.hop = HopVia::ChildProcess {
            exe: env!("CARGO_BIN_EXE_dapreflight").into(),
        };
        self
    }

    /// Sets each stage's deadline.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Writes the endpoint file and returns the config `check` would run with.
    pub fn config(&self) -> CheckConfig {
        let file = self.dir.path().join("endpoints.yaml");
        std::fs::write(&file, format!("endpoints:\n{}\n", self.entries.join("\n")))
            .expect("write endpoint file");
        CheckConfig {
            catalog: CatalogChoice {
                file: Some(file),
                profile: "all".to_owned(),
            },
            proxy_sources: ProxySources {
                flag: self.proxy.clone(),
                env: dapreflight::EnvSource::default(),
                contexts: self.contexts,
                timeout: self.timeout,
                ..ProxySources::default()
            },
            device_files: self.device_files.clone(),
            limits: Limits {
                deadline: self.deadline,
                stage_timeout: self.timeout,
                concurrency: 8,
            },
            pins: self.pins.clone(),
            dns_servers: self.dns_servers.clone(),
            trust_anchor_files: self.anchors.clone(),
            utc_report: self.utc_report.clone(),
            credentials: self.credentials.clone(),
            ask_credentials: false,
            authenticator: self.authenticator.clone(),
            device_store: DeviceStore::Certificates(self.device.clone()),
            style: Style::default(),
            output: None,
            progress: false,
            quiet: false,
            probe_as: self.probe_as,
            hop: self.hop.clone(),
        }
    }

    /// Runs the check and returns its report, after checking that every reason of its verdict
    /// is true of its results.
    pub async fn run(self) -> Report {
        // Boxed: a check's future is large, and every test that awaits it would carry it inline.
        let report = Box::pin(dapreflight::build_report(&self.config()))
            .await
            .expect("check runs");
        crate::verdict::assert_true_of_the_results("end to end", &report.verdict, &report.results);
        report
    }

    /// Runs a check of exactly one endpoint and returns its one result.
    pub async fn run_one(self) -> ProbeResult {
        let report = self.run().await;
        assert_eq!(report.results.len(), 1, "{report:#?}");
        report.results.into_iter().next().expect("one result")
    }
}
