//! Proxy configuration: which contexts exist, where their settings came from, and the route each
//! would take to a given URL.
//!
//! This module decides routes; it never opens a connection (that is `probe`).

pub(crate) mod autoconfig;
pub(crate) mod bypass;
pub(crate) mod env;
pub(crate) mod pac;
pub(crate) mod proxylist;
pub(crate) mod resolve;
pub(crate) mod wpad;

use std::fmt;
use std::sync::Arc;

use crate::route::{Context, ProxyAddr, Route, RouteChoice};
use crate::url::Target;

pub use env::EnvSource;

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
    /// The device's Windows contexts (from its live registry, or `--from-reg`/`--from-netsh`
    /// files), before automatic configuration is loaded.
    pub windows: Option<WindowsContexts>,
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
    /// `--connection`: the VPN/dial-up connection whose WinINET settings the user context uses
    /// (`None`: `DefaultConnectionSettings`, the LAN).
    pub connection: Option<String>,
}

/// What the device's exports or registry say about one context.
#[derive(Clone, Debug, Default)]
pub struct ContextSources {
    pub sources: Vec<SourceReport>,
    pub rules: Vec<RouteRule>,
    /// Settings present but switched off ("configured but disabled").
    pub disabled: Vec<String>,
    pub warnings: Vec<String>,
}

/// The system and user contexts of one device, plus warnings that span both.
#[derive(Clone, Debug, Default)]
pub struct WindowsContexts {
    pub system: ContextSources,
    pub user: ContextSources,
    pub warnings: Vec<String>,
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceReport {
    /// What was read, e.g. `--proxy`, `HTTPS_PROXY`.
    pub name: String,
    pub status: SourceStatus,
    /// What it said, or why it was not used.
    pub detail: String,
}

/// Whether a source contributed to a context's configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceStatus {
    /// Read and used.
    Used,
    /// Read, but empty or overridden.
    NotSet,
    /// Cannot exist on this OS or in this run.
    NotApplicable,
    /// The input does not hold it at all (e.g. a key that was not exported): not known, which is
    /// not the same as "not set".
    NotInInput,
    /// Configured, but it could not be used: a PAC that cannot be fetched or compiled, a value
    /// that does not decode, a proxy list that does not parse.
    Failed,
}

impl SourceStatus {
    /// Every source status.
    pub const ALL: [SourceStatus; 5] = [
        SourceStatus::Used,
        SourceStatus::NotSet,
        SourceStatus::NotApplicable,
        SourceStatus::NotInInput,
        SourceStatus::Failed,
    ];

    /// The status's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Used => "used",
            SourceStatus::NotSet => "not_set",
            SourceStatus::NotApplicable => "not_applicable",
            SourceStatus::NotInInput => "not_in_input",
            SourceStatus::Failed => "failed",
        }
    }
}

/// One context's proxy configuration: where it came from, and the rules that pick its routes.
#[derive(Clone, Debug)]
pub struct ContextConfig {
    pub name: Context,
    pub sources: Vec<SourceReport>,
    /// Settings present but switched off ("configured but disabled").
    pub disabled: Vec<String>,
    pub warnings: Vec<String>,
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

/// Why proxy discovery could not build the contexts.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DiscoveryError {
    /// The PAC named with `--pac` could not be loaded or compiled.
    #[error("--pac: {message}")]
    Pac { message: String },
}

/// Builds each context's configuration from the sources: flags override everything, then the
/// device's Windows configuration, then the environment.
pub async fn discover(sources: &ProxySources) -> Result<Vec<ContextConfig>, DiscoveryError> {
    let explicit = |rule: RouteRule, name: &str, detail: String| ContextConfig {
        name: Context::Explicit,
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
        let (rule, steps, warnings) = loader.forced_wpad().await;
        let mut context = explicit(rule, "--wpad", "WPAD discovery".to_owned());
        context.sources.extend(steps);
        context.warnings.extend(warnings);
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
            name: Context::Environment,
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
    found: &WindowsContexts,
    loader: &mut autoconfig::Loader<'_>,
) -> Vec<ContextConfig> {
    let found = found.clone();
    let mut contexts = Vec::new();
    for (name, context, wanted) in [
        (
            Context::System,
            found.system,
            sources.contexts != ContextChoice::User,
        ),
        (
            Context::User,
            found.user,
            sources.contexts != ContextChoice::System,
        ),
    ] {
        if !wanted {
            continue;
        }
        let mut config = ContextConfig {
            name,
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
            let mut notes = autoconfig::Notes {
                sources: &mut config.sources,
                warnings: &mut config.warnings,
            };
            let resolved = loader.resolve(rule, &mut notes).await;
            // WinHTTP's own auto-detect finding nothing is no route: the steps are in the sources.
            if system_wpad && matches!(resolved, RouteRule::Unavailable { .. }) {
                continue;
            }
            config.rules.push(resolved);
        }
        // Warnings about the device as a whole are told once, with the first context shown
        // (before, every context repeated them and the table printed each twice).
        if contexts.is_empty() {
            config.warnings.extend(found.warnings.iter().cloned());
        }
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

    /// Whether the rule is known to configure a proxy or automatic configuration: like
    /// [`RouteRule::uses_proxy`], but a configuration that was not read counts as not known.
    #[must_use]
    pub fn configures_proxy(&self) -> bool {
        match self {
            RouteRule::Unavailable { .. } => false,
            RouteRule::FirstOf { rules, .. } => rules.iter().any(RouteRule::configures_proxy),
            other => other.uses_proxy(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_warning_about_the_whole_device_is_told_once_not_per_context() {
        let direct = || ContextSources {
            rules: vec![RouteRule::Fixed {
                route: Route::Direct,
                source: "test".to_owned(),
            }],
            ..ContextSources::default()
        };
        for (choice, contexts) in [
            (ContextChoice::Both, 2),
            (ContextChoice::User, 1),
            (ContextChoice::System, 1),
        ] {
            let sources = ProxySources {
                windows: Some(WindowsContexts {
                    system: direct(),
                    user: direct(),
                    warnings: vec!["works in the browser, not for the service".to_owned()],
                }),
                contexts: choice,
                ..ProxySources::default()
            };
            let found = discover(&sources).await.expect("the contexts");
            assert_eq!(found.len(), contexts, "{choice:?}");
            let told: usize = found.iter().map(|context| context.warnings.len()).sum();
            assert_eq!(told, 1, "{choice:?}: {found:?}");
        }
    }

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
        let err = err.to_string();
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
