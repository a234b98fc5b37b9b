//! The command line: clap `Args`, and `Args::into_config()` which validates them into a `Config`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};

use crate::catalog::DEFAULT_PROFILE;
use crate::config::{
    CatalogChoice, CheckConfig, Config, DeviceFiles, EndpointsConfig, HopVia, Limits, PacConfig,
    ProbeAs, ProbeJobsConfig, ProxyConfig,
};
use crate::error::Error;
use crate::output::{self, Format, Style};
use crate::probe::{Credentials, dns};
use crate::proxy::{ContextChoice, EnvSource, ProxyOverride, ProxySources};
use crate::route::ProxyAddr;
use crate::trust::DeviceStore;

/// `proxy --help`'s examples, with the `reg export` commands built from the keys dapreflight reads.
fn proxy_examples() -> String {
    let mut text = String::from(
        "\
Examples:
  dapreflight proxy
  dapreflight proxy --from-reg hklm.reg --from-reg hkcu.reg --from-netsh winhttp.txt
  dapreflight proxy --pac http://pac.corp.example/proxy.pac --format json

To collect a device's configuration for analysis elsewhere, run on it (as an administrator),
then pass every file with --from-reg and the netsh capture with --from-netsh:
",
    );
    for command in crate::windows::keys::export_commands() {
        text.push_str("  ");
        text.push_str(&command);
        text.push('\n');
    }
    text.push_str("  netsh winhttp show proxy > winhttp.txt");
    text
}

const CHECK_EXAMPLES: &str = "\
Examples:
  dapreflight check
  dapreflight check --context system
  dapreflight check --as system        (Windows, elevated: probe as SYSTEM, as the device does)
  dapreflight check --from-reg device.reg --from-netsh winhttp.txt
  dapreflight check --proxy http://proxy.corp.example:8080
  dapreflight check --profile all --format json --output report.json
  dapreflight check --endpoints my-endpoints.yaml --trust-anchor corp-root.pem
  dapreflight check --resolve v10c.events.data.microsoft.com:443:203.0.113.7
  dapreflight check --from-reg device.reg --from-utc-report utc.xml
  dapreflight check --proxy http://proxy.corp.example:8080 --ask-credentials

DiagTrack's own upload summary (--from-utc-report) is what this prints on the device, as SYSTEM
(e.g. from `psexec -s`, an Intune remediation or a Configuration Manager script):
  (Get-CimInstance -Namespace root\\cimv2\\mdm\\dmmap -ClassName `
    MDM_Win32CompatibilityAppraiser_UniversalTelemetryClient01).UtcConnectionReport > utc.xml

Proxy credentials are read from DAPREFLIGHT_PROXY_USER and DAPREFLIGHT_PROXY_PASSWORD in the
environment (or asked for with --ask-credentials), never from the command line. Exit codes:
0 ready (the verdict), 1 not ready, 2 could not run.";

/// Can this device reach the Microsoft diagnostic-data endpoints? If not, why?
#[derive(Debug, Parser)]
#[command(name = "dapreflight", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Probe every endpoint through the route this device would use, and report what happened.
    #[command(after_help = CHECK_EXAMPLES)]
    Check(CheckArgs),
    /// List the endpoint catalog (e.g. `dapreflight endpoints --profile all --format json`).
    Endpoints(EndpointsArgs),
    /// Show each context's proxy configuration, where it came from, and the route every endpoint
    /// takes (e.g. `dapreflight proxy --from-reg device.reg --from-netsh winhttp.txt`).
    #[command(after_help = proxy_examples())]
    Proxy(ProxyArgs),
    /// Evaluate a PAC file for URLs as Windows would, like pacparser's pactester
    /// (e.g. `dapreflight pac proxy.pac https://v10c.events.data.microsoft.com/`).
    Pac(PacArgs),
    /// Internal: run a hop's probe jobs and write the evidence (started by `check --as`).
    #[command(name = "__probe-jobs", hide = true)]
    ProbeJobs(ProbeJobsArgs),
}

#[derive(Debug, clap::Args)]
struct ProbeJobsArgs {
    /// The request: the jobs and the probe settings, as JSON.
    #[arg(long, value_name = "FILE")]
    request: PathBuf,
    /// Where to write the response: the evidence per job and who ran it.
    #[arg(long, value_name = "FILE")]
    response: PathBuf,
    /// Started by the service control manager.
    #[arg(long)]
    service: bool,
}

#[derive(Debug, clap::Args)]
struct PacArgs {
    /// The PAC file (at most 1 MiB): a path or an http(s) URL (fetched directly, never through a
    /// proxy).
    #[arg(value_name = "PAC")]
    pac: String,
    /// URLs to evaluate the PAC for.
    #[arg(value_name = "URL")]
    urls: Vec<String>,
    /// Read more URLs from FILE, one a line (blank lines and `#` comments skipped; at most
    /// 100,000 lines and 16 MiB).
    #[arg(short = 'f', long = "url-file", value_name = "FILE")]
    url_file: Option<PathBuf>,
    /// What `myIpAddress()` returns (e.g. `--client-ip 10.1.2.3`); default: this machine's
    /// address on its default route.
    #[arg(long, value_name = "ADDR")]
    client_ip: Option<String>,
    /// Answer lookups for HOST with ADDR (repeatable; e.g. `--dns proxy.corp=10.0.0.8`); when
    /// given, no other name resolves.
    #[arg(long, value_name = "HOST=ADDR")]
    dns: Vec<String>,
    /// Deadline in seconds for fetching the PAC and for each evaluation (e.g. `--timeout 2`).
    #[arg(long, value_name = "SECS", default_value = "5")]
    timeout: f64,
    /// Output format (e.g. `--format json`).
    #[arg(long, value_enum, default_value = "table")]
    format: FormatArg,
}

#[derive(Debug, clap::Args)]
struct CatalogArgs {
    /// Endpoint profile to use, or `all` (e.g. `--profile wufb-reports`); `endpoints` lists them.
    /// The default is Microsoft's current Windows diagnostic data Endpoints table; also
    /// `processor-config`, `wufb-reports`, `wufb-reports-eu`, `update-compliance`,
    /// `desktop-analytics` (retired 2022-11-30) and `service-connection-point`.
    #[arg(long, value_name = "PROFILE", default_value = DEFAULT_PROFILE)]
    profile: String,
    /// Replace the built-in catalog with this YAML file (e.g. `--endpoints endpoints.yaml`);
    /// entries need only `url` (at most 1 MiB and 1,000 entries).
    #[arg(long, value_name = "FILE")]
    endpoints: Option<PathBuf>,
}

/// Where the proxy configuration comes from: flags, a device's exports, PAC, WPAD.
#[derive(Debug, clap::Args)]
struct SourceArgs {
    /// Use this HTTP proxy for everything (e.g. `--proxy http://proxy.corp:8080`); overrides
    /// every other source. No credentials in the URL: use `DAPREFLIGHT_PROXY_USER`/`_PASSWORD`.
    #[arg(long, value_name = "URL", conflicts_with_all = ["direct", "pac", "wpad"])]
    proxy: Option<String>,
    /// Use no proxy at all, whatever the device or the environment says.
    #[arg(long, conflicts_with_all = ["pac", "wpad"])]
    direct: bool,
    /// Route every endpoint by this PAC file or URL (at most 1 MiB; e.g.
    /// `--pac http://wpad.corp/proxy.pac`).
    #[arg(long, value_name = "FILE|URL", conflicts_with = "wpad")]
    pac: Option<String>,
    /// Find a PAC by WPAD discovery (DHCP on Windows, then DNS `wpad.<domain>`) and route by it.
    #[arg(long)]
    wpad: bool,
    /// The DNS suffix WPAD walks from, instead of this machine's (e.g. `--wpad-domain corp.example`).
    #[arg(long, value_name = "DOMAIN")]
    wpad_domain: Option<String>,
    /// Read a device's registry export (`reg export`, .reg; repeatable, later files win; at most
    /// 16 MiB each) instead of this machine's configuration (e.g. `--from-reg internet-settings.reg`).
    #[arg(long, value_name = "FILE")]
    from_reg: Vec<PathBuf>,
    /// Read a device's `netsh winhttp show proxy` or `show advproxy` output (repeatable, at most
    /// 1 MiB each; e.g. `--from-netsh winhttp.txt`).
    #[arg(long, value_name = "FILE")]
    from_netsh: Vec<PathBuf>,
    /// Which Windows context to use: the diagnostic-data service's (`system`), the signed-in
    /// user's (`user`), or `both` (e.g. `--context system`).
    #[arg(long, value_enum, default_value = "both")]
    context: ContextArg,
    /// Route the user context by this VPN or dial-up connection's WinINET settings instead of the
    /// LAN's (`DefaultConnectionSettings`); `dapreflight proxy` lists the names (e.g.
    /// `--connection "Contoso VPN"`).
    #[arg(long, value_name = "NAME")]
    connection: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum ContextArg {
    System,
    User,
    Both,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    #[command(flatten)]
    catalog: CatalogArgs,
    #[command(flatten)]
    sources: SourceArgs,
    /// Connect to ADDR for HOST:PORT without DNS, as curl's --resolve (repeatable; e.g.
    /// `--resolve v10c.events.data.microsoft.com:443:203.0.113.7`).
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    resolve: Vec<String>,
    /// Ask this DNS server instead of the system's (repeatable; e.g. `--dns-server 10.0.0.53`
    /// or `--dns-server 127.0.0.1:5353`).
    #[arg(long, value_name = "ADDR[:PORT]")]
    dns_server: Vec<String>,
    /// Also accept chains ending in the roots in this PEM file, for every endpoint (repeatable, at
    /// most 1 MiB each; e.g. `--trust-anchor corp-root.pem`).
    #[arg(long, value_name = "FILE")]
    trust_anchor: Vec<PathBuf>,
    /// Deadline for each probe stage (DNS, connect, proxy, TLS, HTTP) in seconds (e.g.
    /// `--timeout 3`).
    #[arg(long, value_name = "SECS", default_value = "10")]
    timeout: f64,
    /// How many probes run at once (e.g. `--concurrency 8`).
    #[arg(long, value_name = "N", default_value = "32")]
    concurrency: usize,
    /// Deadline in seconds for the whole run (e.g. `--deadline 60`); probes still running then
    /// are reported as timed out. Default: `--timeout` × 13 + 5 (135 s).
    #[arg(long, value_name = "SECS")]
    deadline: Option<f64>,
    /// Weigh DiagTrack's own upload summary from this file: the XML that, as SYSTEM,
    /// `(Get-CimInstance -Namespace root\cimv2\mdm\dmmap -ClassName
    /// MDM_Win32CompatibilityAppraiser_UniversalTelemetryClient01).UtcConnectionReport` prints
    /// (at most 1 MiB; e.g. `--from-utc-report utc.xml`).
    #[arg(long, value_name = "FILE")]
    from_utc_report: Option<PathBuf>,
    /// When a proxy may ask for credentials and `DAPREFLIGHT_PROXY_USER`/`_PASSWORD` are unset,
    /// prompt for them on the terminal (the password without echo) before probing (e.g.
    /// `--proxy http://proxy.corp:8080 --ask-credentials`).
    #[arg(long)]
    ask_credentials: bool,
    /// Which identity probes the contexts (Windows, elevated): the system context as SYSTEM
    /// (`system`), the user context as the signed-in console user (`user`), both (`both`), or
    /// every context as whoever runs dapreflight (`current`). Default: `both` when elevated,
    /// else `current`; off Windows only `current` exists (e.g. `--as system`).
    #[arg(long = "as", value_enum, value_name = "IDENTITY")]
    probe_as: Option<AsArg>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum AsArg {
    System,
    User,
    Both,
    Current,
}

#[derive(Debug, clap::Args)]
struct ProxyArgs {
    #[command(flatten)]
    catalog: CatalogArgs,
    #[command(flatten)]
    sources: SourceArgs,
    /// Deadline in seconds for fetching a PAC, each WPAD step and each PAC evaluation (e.g.
    /// `--timeout 3`).
    #[arg(long, value_name = "SECS", default_value = "10")]
    timeout: f64,
    /// Deadline in seconds for the whole discovery (e.g. `--deadline 20`). Default:
    /// `--timeout` × 3 + 5 (35 s).
    #[arg(long, value_name = "SECS")]
    deadline: Option<f64>,
    /// Output format (e.g. `--format json`).
    #[arg(long, value_enum, default_value = "table")]
    format: FormatArg,
}

#[derive(Debug, clap::Args)]
struct EndpointsArgs {
    #[command(flatten)]
    catalog: CatalogArgs,
    /// Output format (e.g. `--format json`).
    #[arg(long, value_enum, default_value = "table")]
    format: FormatArg,
}

#[derive(Debug, clap::Args)]
struct OutputArgs {
    /// Output format (e.g. `--format json`).
    #[arg(long, value_enum, default_value = "table")]
    format: FormatArg,
    /// Write the report to this file instead of stdout (e.g. `--output report.json`).
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Show everything: every host under a fix, every device setting, each reason's health code
    /// (e.g. `--verbose`).
    #[arg(short, long)]
    verbose: bool,
    /// No progress line and no note on stderr; errors are still reported (e.g. `--quiet`).
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum FormatArg {
    Table,
    Json,
}

/// What the process knows about the streams it writes to; `main` reads it, tests choose it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Terminal {
    /// Stdout wants colour: a terminal, and `NO_COLOR` unset.
    pub color: bool,
    /// The columns stdout's terminal reports (`None` when stdout is not a terminal; may be 0).
    pub columns: Option<u16>,
    /// Stderr is a terminal, so a progress line can be redrawn in place.
    pub stderr_is_terminal: bool,
}

impl Args {
    /// Validates the arguments; `vars` is the process environment and `terminal` what stdout and
    /// stderr are.
    pub fn into_config(
        self,
        vars: impl IntoIterator<Item = (String, String)>,
        terminal: Terminal,
    ) -> Result<Config, Error> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let columns = vars
            .iter()
            .find(|(key, _)| key == "COLUMNS")
            .map(|(_, value)| value.as_str());
        let style = Style {
            format: Format::Table,
            color: terminal.color,
            width: output::width(columns, terminal.columns),
            verbose: false,
        };
        match self.command {
            Command::Endpoints(args) => Ok(Config::Endpoints(EndpointsConfig {
                catalog: args.catalog.into_choice(),
                style: Style {
                    format: args.format.into(),
                    ..style
                },
            })),
            Command::Check(args) => args
                .into_config(vars, style, terminal)
                .map(|config| Config::Check(Box::new(config))),
            Command::Pac(args) => args.into_config(style).map(Config::Pac),
            Command::Proxy(args) => args
                .into_config(&vars, style)
                .map(|config| Config::Proxy(Box::new(config))),
            Command::ProbeJobs(args) => Ok(Config::ProbeJobs(ProbeJobsConfig {
                request: args.request,
                response: args.response,
                service: args.service,
            })),
        }
    }
}

impl CatalogArgs {
    fn into_choice(self) -> CatalogChoice {
        CatalogChoice {
            file: self.endpoints,
            profile: self.profile,
        }
    }
}

impl CheckArgs {
    fn into_config(
        self,
        vars: Vec<(String, String)>,
        style: Style,
        terminal: Terminal,
    ) -> Result<CheckConfig, Error> {
        let timeout = parse_timeout(self.timeout)?;
        let (proxy_sources, device_files) = self.sources.into_sources(&vars, timeout)?;
        if !(1..=1024).contains(&self.concurrency) {
            return Err(argument(
                "--concurrency",
                &format!(
                    "{} is out of range: expected a whole number from 1 to 1024",
                    self.concurrency
                ),
            ));
        }
        let pins = self
            .resolve
            .iter()
            .map(|text| dns::parse_pin(text).map_err(|message| argument("--resolve", &message)))
            .collect::<Result<Vec<_>, _>>()?;
        let dns_servers = self
            .dns_server
            .iter()
            .map(|text| parse_dns_server(text))
            .collect::<Result<Vec<_>, _>>()?;
        let to_file = self.output.output.is_some();
        let probe_as = probe_as(self.probe_as, cfg!(windows))?;
        Ok(CheckConfig {
            catalog: self.catalog.into_choice(),
            proxy_sources,
            device_files,
            limits: Limits {
                stage_timeout: timeout,
                concurrency: self.concurrency,
                deadline: self.deadline.map(parse_deadline).transpose()?,
            },
            pins,
            dns_servers: (!dns_servers.is_empty()).then_some(dns_servers),
            trust_anchor_files: self.trust_anchor,
            utc_report: self.from_utc_report,
            credentials: Credentials::from_vars(vars),
            ask_credentials: self.ask_credentials,
            authenticator: None,
            device_store: DeviceStore::System,
            style: Style {
                format: self.output.format.into(),
                color: style.color && !to_file,
                verbose: self.output.verbose,
                ..style
            },
            output: self.output.output,
            progress: terminal.stderr_is_terminal && !self.output.quiet,
            quiet: self.output.quiet,
            probe_as,
            hop: HopVia::Native,
        })
    }
}

/// `--as`, checked against what this OS can do: only Windows can change identity.
fn probe_as(arg: Option<AsArg>, windows: bool) -> Result<ProbeAs, Error> {
    let chosen = match arg {
        None => ProbeAs::Default,
        Some(AsArg::System) => ProbeAs::System,
        Some(AsArg::User) => ProbeAs::User,
        Some(AsArg::Both) => ProbeAs::Both,
        Some(AsArg::Current) => ProbeAs::Current,
    };
    match chosen {
        ProbeAs::Default if !windows => Ok(ProbeAs::Current),
        ProbeAs::System | ProbeAs::User | ProbeAs::Both if !windows => Err(argument(
            "--as",
            "only `current` exists off Windows: SYSTEM and the signed-in console user are \
             Windows identities (run dapreflight on the device, elevated, to probe as them)",
        )),
        chosen => Ok(chosen),
    }
}

impl PacArgs {
    fn into_config(self, style: Style) -> Result<PacConfig, Error> {
        parse_timeout(self.timeout)?;
        if self.urls.is_empty() && self.url_file.is_none() {
            return Err(argument("URL", "give at least one URL, or -f FILE"));
        }
        let client_ip = self
            .client_ip
            .map(|text| {
                text.parse::<std::net::IpAddr>()
                    .map_err(|_| argument("--client-ip", &format!("'{text}' is not an IP address")))
            })
            .transpose()?;
        let dns = self
            .dns
            .iter()
            .map(|entry| {
                let bad = || argument("--dns", &format!("'{entry}': expected HOST=ADDR"));
                let (host, addr) = entry.split_once('=').ok_or_else(bad)?;
                let addr = addr.trim().parse::<std::net::IpAddr>().map_err(|_| bad())?;
                if host.trim().is_empty() {
                    return Err(bad());
                }
                Ok((host.trim().to_owned(), addr))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PacConfig {
            source: self.pac,
            urls: self.urls,
            url_file: self.url_file,
            client_ip,
            dns,
            timeout: Duration::from_secs_f64(self.timeout),
            style: Style {
                format: self.format.into(),
                ..style
            },
        })
    }
}

impl SourceArgs {
    fn into_sources(
        self,
        vars: &[(String, String)],
        timeout: Duration,
    ) -> Result<(ProxySources, DeviceFiles), Error> {
        let flag = match (&self.proxy, self.direct) {
            (Some(url), _) => ProxyOverride::Proxy(
                ProxyAddr::parse(url).map_err(|err| argument("--proxy", &err.to_string()))?,
            ),
            (None, true) => ProxyOverride::Direct,
            (None, false) => ProxyOverride::None,
        };
        let contexts = match self.context {
            ContextArg::System => ContextChoice::System,
            ContextArg::User => ContextChoice::User,
            ContextArg::Both => ContextChoice::Both,
        };
        let sources = ProxySources {
            flag,
            env: EnvSource::from_vars(vars.iter().cloned()),
            windows: None,
            contexts,
            pac: self.pac,
            wpad: self.wpad,
            wpad_domain: self.wpad_domain,
            live_network: self.wpad,
            timeout,
            connection: self.connection,
        };
        let files = DeviceFiles {
            registry: self.from_reg,
            netsh: self.from_netsh,
        };
        Ok((sources, files))
    }
}

impl ProxyArgs {
    fn into_config(self, vars: &[(String, String)], style: Style) -> Result<ProxyConfig, Error> {
        let timeout = parse_timeout(self.timeout)?;
        let (proxy_sources, device_files) = self.sources.into_sources(vars, timeout)?;
        let deadline = match self.deadline {
            Some(seconds) => parse_deadline(seconds)?,
            None => Limits::default_discovery_deadline(timeout),
        };
        Ok(ProxyConfig {
            catalog: self.catalog.into_choice(),
            proxy_sources,
            device_files,
            deadline,
            style: Style {
                format: self.format.into(),
                ..style
            },
        })
    }
}

/// `--timeout`: seconds above 0 (at least a millisecond) and at most 600.
fn parse_timeout(seconds: f64) -> Result<Duration, Error> {
    if seconds.is_finite() && (0.001..=600.0).contains(&seconds) {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(argument(
            "--timeout",
            &format!(
                "{seconds} is out of range: expected seconds from 0.001 to 600 (e.g. 0.5 or 10)"
            ),
        ))
    }
}

/// The longest `--deadline`: a day.
const MAX_DEADLINE_SECS: f64 = 86_400.0;

fn parse_deadline(seconds: f64) -> Result<Duration, Error> {
    if seconds.is_finite() && seconds > 0.0 && seconds <= MAX_DEADLINE_SECS {
        Ok(Duration::from_secs_f64(seconds))
    } else {
        Err(argument(
            "--deadline",
            &format!(
                "{seconds} is out of range: expected seconds greater than 0 and at most 86400"
            ),
        ))
    }
}

fn parse_dns_server(text: &str) -> Result<SocketAddr, Error> {
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<std::net::IpAddr>()
        .map(|ip| SocketAddr::new(ip, 53))
        .map_err(|_| {
            argument(
                "--dns-server",
                &format!("'{text}' is not an IP address or IP:PORT"),
            )
        })
}

fn argument(flag: &str, message: &str) -> Error {
    Error::Argument {
        flag: flag.to_owned(),
        message: message.to_owned(),
    }
}

impl From<FormatArg> for Format {
    fn from(arg: FormatArg) -> Self {
        match arg {
            FormatArg::Table => Format::Table,
            FormatArg::Json => Format::Json,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_takes_every_identity_on_windows_and_only_current_elsewhere() {
        let cases = [
            (None, true, Some(ProbeAs::Default)),
            (None, false, Some(ProbeAs::Current)),
            (Some(AsArg::Current), false, Some(ProbeAs::Current)),
            (Some(AsArg::System), true, Some(ProbeAs::System)),
            (Some(AsArg::User), true, Some(ProbeAs::User)),
            (Some(AsArg::Both), true, Some(ProbeAs::Both)),
            (Some(AsArg::System), false, None),
            (Some(AsArg::User), false, None),
            (Some(AsArg::Both), false, None),
        ];
        for (arg, windows, expected) in cases {
            let chosen = probe_as(arg, windows);
            match (chosen, expected) {
                (Ok(chosen), Some(expected)) => assert_eq!(chosen, expected, "{arg:?} {windows}"),
                (Err(Error::Argument { flag, message }), None) => {
                    assert_eq!(flag, "--as");
                    assert!(message.contains("off Windows"), "{message}");
                }
                (chosen, expected) => {
                    panic!("{arg:?} on windows={windows}: {chosen:?} vs {expected:?}")
                }
            }
        }
    }
}
