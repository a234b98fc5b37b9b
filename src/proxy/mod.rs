//! Proxy configuration: which contexts exist, where their settings came from, and the route each
//! would take to a given URL.
//!
//! This module decides routes; it never opens a connection (that is `probe`).

pub mod autoconfig;
pub mod bypass;
pub mod env;
pub mod netsh;
pub mod pac;
pub mod proxylist;
pub mod resolve;
pub mod windows;
pub mod winhttp;
pub mod wininet;
pub mod wpad;

use std::fmt;
use std::sync::Arc;

use serde::Serialize;

use crate::endpoints::{Scheme, Target};
use crate::error::Error;

pub use env::EnvSource;

/// How a probe reaches its target: straight to it, through an HTTP proxy, or a way dapreflight
/// cannot probe (a SOCKS or HTTPS proxy, a PAC that failed), which is reported, not probed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Route {
    Direct,
    Proxy { proxy: ProxyAddr },
    Unprobeable { reason: String },
}

/// The address of an HTTP proxy. Never holds credentials.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ProxyAddr {
    /// Host name or IP literal (IPv6 without brackets), lower case.
    pub host: String,
    pub port: u16,
}

/// A route together with where it came from, as shown in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RouteChoice {
    #[serde(flatten)]
    pub route: Route,
    /// The setting that chose this route, e.g. `--proxy`, `HTTPS_PROXY`, `NO_PROXY entry '.corp'`.
    pub source: String,
    /// The PAC decision behind the route, when a PAC chose it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pac: Option<autoconfig::PacNote>,
}

/// What the user asked for on the command line, which overrides every other source.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum ProxyOverride {
    /// No flag: use the configured sources.
    #[default]
    None,
    /// `--direct`: no proxy for anything.
    Direct,
    /// `--proxy URL`: this proxy for everything.
    Proxy(ProxyAddr),
}

/// The inputs proxy discovery reads.
#[derive(Clone, Debug, Default)]
pub struct ProxySources {
    pub flag: ProxyOverride,
    pub env: EnvSource,
    /// The device's Windows configuration: live registry, or `--from-reg`/`--from-netsh` files.
    pub windows: Option<WindowsSource>,
    /// Which Windows contexts to build.
    pub contexts: ContextChoice,
    /// `--pac FILE|URL`: route every context by this PAC.
    pub pac: Option<String>,
    /// `--wpad`: discover a PAC by WPAD and route every context by it.
    pub wpad: bool,
    /// `--wpad-domain`: the DNS suffix WPAD walks from.
    pub wpad_domain: Option<String>,
    /// Whether auto-detect (WPAD) may run on this machine: live Windows, or `--wpad`.
    pub live_network: bool,
    /// Deadline for fetching a PAC and for each WPAD step and PAC evaluation.
    pub timeout: std::time::Duration,
}

/// A device's Windows proxy configuration, as read.
#[derive(Clone, Debug, Default)]
pub struct WindowsSource {
    pub registry: crate::registry::RegistrySnapshot,
    /// Where the registry came from: `registry` (live) or the export files.
    pub registry_origin: String,
    pub netsh: Option<(netsh::NetshProxy, String)>,
    /// `netsh winhttp show advproxy` output (Windows 11 / Server 2022's second WinHTTP store).
    pub advproxy: Option<(netsh::AdvProxy, String)>,
    /// What could not be read (access denied, ...).
    pub problems: Vec<String>,
}

/// `--context`: which Windows contexts `check` probes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ContextChoice {
    System,
    User,
    #[default]
    Both,
}

/// How one source of proxy settings fared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceReport {
    /// What was read, e.g. `--proxy`, `HTTPS_PROXY`.
    pub name: String,
    pub status: SourceStatus,
    /// What it said, or why it was not used.
    pub detail: String,
}

/// Whether a source contributed to a context's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// Read and used.
    Used,
    /// Read, but empty or overridden.
    NotSet,
    /// Cannot exist on this OS or in this run.
    NotApplicable,
}

/// One context's proxy configuration: where it came from, and the rules that pick its routes.
#[derive(Clone, Debug, Serialize)]
pub struct ContextConfig {
    /// `system` and `user` (Windows), `explicit` (command-line flags) or `environment`.
    pub name: String,
    pub sources: Vec<SourceReport>,
    /// Settings present but switched off ("configured but disabled").
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub disabled: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip)]
    rules: Vec<RouteRule>,
}

/// One way a context picks a route: each configured source is its own rule.
#[derive(Clone, Debug)]
pub enum RouteRule {
    /// The same route for every URL (`--proxy`, `--direct`, `TelemetryProxyServer`).
    Fixed { route: Route, source: String },
    /// `HTTPS_PROXY`/`HTTP_PROXY`/`NO_PROXY`.
    Env(EnvSource),
    /// A static proxy list with its bypass list (netsh winhttp, a manual WinINET proxy).
    List {
        list: proxylist::ProxyList,
        bypass: bypass::BypassList,
        api: proxylist::ProxyApi,
        source: String,
    },
    /// Automatic configuration as recorded (WPAD, a PAC URL); `discover` loads it.
    Auto {
        config: AutoConfig,
        api: proxylist::ProxyApi,
        source: String,
    },
    /// A loaded PAC script.
    Pac {
        pac: Arc<LoadedPac>,
        api: proxylist::ProxyApi,
        source: String,
    },
    /// WinINET's order within one configuration: the first rule that applies is used
    /// (auto-detect, then the configuration script, then the manual proxy).
    FirstOf {
        rules: Vec<RouteRule>,
        source: String,
    },
    /// A source that could not be turned into a route, with why.
    Unavailable { source: String, reason: String },
}

/// Automatic proxy configuration as a setting names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AutoConfig {
    /// "Automatically detect settings": WPAD.
    Wpad,
    /// "Use automatic configuration script": this URL.
    Url(String),
}

/// A PAC script ready to route URLs, with its text (to find the deciding line) and environment.
pub struct LoadedPac {
    pub script: pac::PacScript,
    pub text: String,
    pub env: pac::PacEnvironment,
}

impl fmt::Debug for LoadedPac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoadedPac")
            .field("origin", &self.script.origin())
            .finish_non_exhaustive()
    }
}

/// Builds each context's configuration from the sources: flags override everything, then the
/// device's Windows configuration, then the environment.
pub async fn discover(sources: &ProxySources) -> Result<Vec<ContextConfig>, Error> {
    let explicit = |rule: RouteRule, name: &str, detail: String| ContextConfig {
        name: "explicit".to_owned(),
        sources: vec![SourceReport {
            name: name.to_owned(),
            status: SourceStatus::Used,
            detail,
        }],
        disabled: Vec::new(),
        warnings: Vec::new(),
        rules: vec![rule],
    };
    match &sources.flag {
        ProxyOverride::Direct => {
            return Ok(vec![explicit(
                RouteRule::Fixed {
                    route: Route::Direct,
                    source: "--direct".to_owned(),
                },
                "--direct",
                "direct".to_owned(),
            )]);
        }
        ProxyOverride::Proxy(addr) => {
            return Ok(vec![explicit(
                RouteRule::Fixed {
                    route: Route::Proxy {
                        proxy: addr.clone(),
                    },
                    source: "--proxy".to_owned(),
                },
                "--proxy",
                format!("proxy {addr}"),
            )]);
        }
        ProxyOverride::None => {}
    }
    let mut loader = autoconfig::Loader::new(sources);
    if let Some(location) = &sources.pac {
        let rule = loader.forced_pac(location).await?;
        return Ok(vec![explicit(rule, "--pac", location.clone())]);
    }
    if sources.wpad {
        let (rule, steps) = loader.forced_wpad().await;
        let mut context = explicit(rule, "--wpad", "WPAD discovery".to_owned());
        context.sources.extend(steps);
        return Ok(vec![context]);
    }
    let Some(windows) = &sources.windows else {
        let mut reports = sources.env.reports();
        reports.push(SourceReport {
            name: "Windows proxy settings".to_owned(),
            status: SourceStatus::NotApplicable,
            detail: format!(
                "no live registry on {}; analyse a device's exports with --from-reg/--from-netsh",
                std::env::consts::OS
            ),
        });
        return Ok(vec![ContextConfig {
            name: "environment".to_owned(),
            sources: reports,
            disabled: Vec::new(),
            warnings: Vec::new(),
            rules: vec![RouteRule::Env(sources.env.clone())],
        }]);
    };
    Ok(windows_contexts(sources, windows, &mut loader).await)
}

/// The system and user contexts of a device's Windows configuration, with automatic configuration
/// loaded.
async fn windows_contexts(
    sources: &ProxySources,
    windows: &WindowsSource,
    loader: &mut autoconfig::Loader<'_>,
) -> Vec<ContextConfig> {
    let netsh = windows
        .netsh
        .as_ref()
        .map(|(capture, origin)| (capture, origin.as_str()));
    let mut found = windows::contexts(&windows.registry, netsh);
    if let Some((advanced, origin)) = &windows.advproxy {
        windows::add_advproxy(&mut found.system, advanced, origin);
    }
    windows::add_system_wpad(&mut found.system, &windows.registry, sources.live_network);
    let mut contexts = Vec::new();
    for (name, context, wanted) in [
        (
            "system",
            found.system,
            sources.contexts != ContextChoice::User,
        ),
        (
            "user",
            found.user,
            sources.contexts != ContextChoice::System,
        ),
    ] {
        if !wanted {
            continue;
        }
        let mut config = ContextConfig {
            name: name.to_owned(),
            sources: context.sources,
            disabled: context.disabled,
            warnings: context.warnings,
            rules: Vec::new(),
        };
        for rule in context.rules {
            let system_wpad = matches!(
                &rule,
                RouteRule::Auto {
                    config: AutoConfig::Wpad,
                    api: proxylist::ProxyApi::WinHttp,
                    ..
                }
            );
            let resolved = loader.resolve(rule, &mut config.sources).await;
            // WinHTTP's own auto-detect finding nothing is no route: the steps are in the sources.
            if system_wpad && matches!(resolved, RouteRule::Unavailable { .. }) {
                continue;
            }
            config.rules.push(resolved);
        }
        config.warnings.extend(found.warnings.iter().cloned());
        config.warnings.extend(windows.problems.iter().cloned());
        contexts.push(config);
    }
    contexts
}

impl ContextConfig {
    /// The routes this context may take to `target`, each with the setting that chose it.
    #[must_use]
    pub fn routes_for(&self, target: &Target) -> Vec<RouteChoice> {
        self.rules
            .iter()
            .flat_map(|rule| rule.routes_for(target))
            .collect()
    }
}

impl RouteRule {
    /// The routes this rule gives for `target`: one, or WinINET's failover list for a PAC.
    #[must_use]
    pub fn routes_for(&self, target: &Target) -> Vec<RouteChoice> {
        let choice = |route: Route, source: String| RouteChoice {
            route,
            source,
            pac: None,
        };
        match self {
            RouteRule::Fixed { route, source } => vec![choice(route.clone(), source.clone())],
            RouteRule::Env(env) => vec![env.route_for(target)],
            RouteRule::List {
                list,
                bypass,
                api,
                source,
            } => {
                if let Some(found) = bypass.matches(&target.host) {
                    return vec![choice(
                        Route::Direct,
                        format!("{source}: bypassed ({})", found.reason),
                    )];
                }
                let selection = list.select(target.scheme, *api);
                let route = match selection.route {
                    proxylist::SelectedRoute::Direct => Route::Direct,
                    proxylist::SelectedRoute::Proxy(proxy) => Route::Proxy { proxy },
                    proxylist::SelectedRoute::Socks(proxy) => Route::Unprobeable {
                        reason: format!(
                            "SOCKS proxy {proxy}: dapreflight probes direct and HTTP-proxy routes only"
                        ),
                    },
                };
                vec![choice(route, format!("{source}: {}", selection.reason))]
            }
            RouteRule::Auto { config, source, .. } => {
                let what = match config {
                    AutoConfig::Wpad => "auto-detect (WPAD)".to_owned(),
                    AutoConfig::Url(url) => format!("the configuration script {url}"),
                };
                vec![choice(
                    Route::Unprobeable {
                        reason: format!("{what} was not evaluated"),
                    },
                    source.clone(),
                )]
            }
            RouteRule::Pac { pac, api, source } => {
                autoconfig::pac_routes(pac, *api, source, target)
            }
            RouteRule::FirstOf { rules, source } => rules.first().map_or_else(
                || vec![choice(Route::Direct, format!("{source}: direct"))],
                |rule| rule.routes_for(target),
            ),
            RouteRule::Unavailable { source, reason } => vec![choice(
                Route::Unprobeable {
                    reason: reason.clone(),
                },
                source.clone(),
            )],
        }
    }

    /// Whether the rule can send traffic anywhere but direct.
    #[must_use]
    pub fn uses_proxy(&self) -> bool {
        match self {
            RouteRule::Fixed { route, .. } => !matches!(route, Route::Direct),
            RouteRule::Env(_)
            | RouteRule::List { .. }
            | RouteRule::Auto { .. }
            | RouteRule::Pac { .. }
            | RouteRule::Unavailable { .. } => true,
            RouteRule::FirstOf { rules, .. } => rules.iter().any(RouteRule::uses_proxy),
        }
    }
}

impl ProxyAddr {
    /// Parses a proxy given as `http://host:port`, `host:port` or `host` (port 8080, as curl).
    ///
    /// Credentials in the URL are refused: they would end up in shell history and process lists.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "'{scheme}://' proxies are not supported: give an HTTP proxy as http://host:port \
                     (Windows' WinHTTP and WinINET speak plain HTTP to their proxy too)"
                ));
            }
            None => text,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err("credentials in the proxy URL are not accepted; set \
                 DAPREFLIGHT_PROXY_USER and DAPREFLIGHT_PROXY_PASSWORD in the environment instead"
                .to_owned());
        }
        let (host, port) = split_host_port(authority)?;
        Ok(Self {
            host,
            port: port.unwrap_or(8080),
        })
    }
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`; the host comes back lower case, unbracketed.
pub(crate) fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("'{authority}': missing ']' after the IPv6 address"))?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(format!("'{host}' is not an IPv6 address"));
        }
        match after {
            "" => (host, None),
            _ => match after.strip_prefix(':') {
                Some(port) => (host, Some(port)),
                None => return Err(format!("'{authority}': expected ':port' after ']'")),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(format!("'{authority}': the host is missing"));
    }
    if !host.contains(':')
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
    {
        return Err(format!("'{host}' is not a valid host name"));
    }
    let port = match port {
        None => None,
        Some(port) => Some(
            port.parse::<u16>()
                .ok()
                .filter(|port| *port != 0)
                .ok_or_else(|| format!("'{port}' is not a port number (1-65535)"))?,
        ),
    };
    Ok((host.to_ascii_lowercase(), port))
}

/// Checks a proxy flag's value, naming the flag in the error.
pub fn parse_proxy_flag(text: &str) -> Result<ProxyAddr, Error> {
    ProxyAddr::parse(text).map_err(|message| Error::Argument {
        flag: "--proxy".to_owned(),
        message,
    })
}

impl fmt::Display for ProxyAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl Serialize for ProxyAddr {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Direct => f.write_str("direct"),
            Route::Proxy { proxy } => write!(f, "proxy {proxy}"),
            Route::Unprobeable { .. } => f.write_str("not probeable"),
        }
    }
}

/// Which scheme's proxy variable applies to a target, as curl reads them.
pub(crate) fn scheme_name(scheme: Scheme) -> &'static str {
    match scheme {
        Scheme::Http => "http",
        Scheme::Https => "https",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls_parse_like_curl() {
        let cases = [
            ("http://proxy.corp:3128", "proxy.corp", 3128),
            ("proxy.corp:3128", "proxy.corp", 3128),
            ("HTTP://Proxy.Corp:80/", "proxy.corp", 80),
            ("proxy.corp", "proxy.corp", 8080),
            ("http://[::1]:8080", "::1", 8080),
            ("127.0.0.1:9", "127.0.0.1", 9),
        ];
        for (text, host, port) in cases {
            let addr = ProxyAddr::parse(text).expect(text);
            assert_eq!((addr.host.as_str(), addr.port), (host, port), "{text}");
        }
    }

    #[test]
    fn proxy_urls_with_credentials_or_other_schemes_are_refused() {
        let err = ProxyAddr::parse("http://alice:s3cret@proxy:3128").unwrap_err();
        assert!(err.contains("DAPREFLIGHT_PROXY_USER"), "{err}");
        assert!(!err.contains("s3cret"), "{err}");
        for bad in [
            "socks5://p:1080",
            "https://p:443",
            "http://p:0",
            "http://p:99999",
            "http://:80",
            "http://pro xy:1",
        ] {
            assert!(ProxyAddr::parse(bad).is_err(), "{bad}");
        }
    }
}
