//! The two Windows contexts, from a device's registry (read live, or exported with `reg export`)
//! and its `netsh winhttp show proxy` text: which proxy sources each context has, what they say,
//! what is configured but disabled, and the route rules they give.
//!
//! Pure: reads a [`RegistrySnapshot`]; the live reader and the file parsers fill it.

use crate::proxy::bypass::BypassList;
use crate::proxy::proxylist::{ProxyApi, ProxyList};
use crate::proxy::{AutoConfig, RouteRule, SourceReport, SourceStatus};
use crate::proxy::{ContextSources, WindowsContexts};
use crate::route::{ProxyAddr, Route};
use crate::windows::connections::{LAN, names as connection_names};
use crate::windows::keys::{
    INTERNET_POLICY_KEY, INTERNET_SETTINGS, MACHINE_CONNECTIONS, MACHINE_CONNECTIONS_WOW64,
    MACHINE_INTERNET_SETTINGS, POLICY_KEY, SYSTEM_HIVES, USER_INTERNET_SETTINGS, WINHTTP_SWITCHES,
    abbreviated,
};
use crate::windows::netsh::{AdvProxy, NetshProxy};
use crate::windows::registry::{Origin, RegistrySnapshot};
use crate::windows::winhttp::{self, WinHttpSettings};
use crate::windows::wininet::{self, ConnectionSettings, InternetSettingsValues};

/// Reads both contexts from a registry snapshot and, optionally, a `netsh winhttp show proxy`
/// capture (`netsh_origin` names its file).
#[must_use]
///
/// `connection` names the VPN/dial-up connection whose settings the user context uses (`None`:
/// `DefaultConnectionSettings`, the LAN); the caller has checked that the name is present.
pub(crate) fn contexts(
    registry: &RegistrySnapshot,
    netsh: Option<(&NetshProxy, &str)>,
    connection: Option<&str>,
) -> WindowsContexts {
    let mut found = WindowsContexts {
        system: system_context(registry, netsh),
        user: user_context(registry, connection),
        warnings: Vec::new(),
    };
    // Only what the input holds counts: a context missing from it is not known, neither "uses a
    // proxy" nor "has none" (an HKLM-only or HKU-only export, a netsh capture alone).
    let system_has_proxy = found.system.rules.iter().any(RouteRule::uses_proxy);
    let system_known = netsh.is_some() || registry.holds(MACHINE_CONNECTIONS);
    let user_has_proxy = found.user.rules.iter().any(RouteRule::configures_proxy);
    if user_has_proxy && system_known && !system_has_proxy {
        found.warnings.push(
            "the user's Internet Options have a proxy or automatic configuration, but the system \
             context (where the diagnostic-data service runs) has none: the classic \"works in the \
             browser, not for the service\". Configure the system context (netsh winhttp set \
             proxy, WPAD, or per-machine WinINET) or allow the endpoints direct"
                .to_owned(),
        );
    }
    found
}

fn system_context(
    registry: &RegistrySnapshot,
    netsh: Option<(&NetshProxy, &str)>,
) -> ContextSources {
    let mut context = ContextSources::default();
    winhttp_source(registry, netsh, &mut context);
    telemetry_proxy_source(registry, &mut context);
    system_wininet_source(registry, &mut context);
    let anything_read = context
        .sources
        .iter()
        .any(|source| source.status != SourceStatus::NotInInput);
    if context.rules.is_empty() && anything_read {
        context.rules.push(RouteRule::Fixed {
            route: Route::Direct,
            source: "no system proxy configured (direct, or a transparent proxy)".to_owned(),
        });
    } else if context.rules.is_empty() {
        // None of the system context's settings is in the input: don't guess a route for it.
        context.rules.push(RouteRule::Unavailable {
            source: "the system context".to_owned(),
            reason: "the system context's settings are not in the input (no WinHTTP, policy or \
                     LocalSystem keys exported, and no netsh capture)"
                .to_owned(),
        });
    }
    context
}

/// Adds `netsh winhttp show advproxy` settings (the advanced WinHTTP store) to the system context.
pub(crate) fn add_advproxy(context: &mut ContextSources, advanced: &AdvProxy, origin: &str) {
    let name = "WinHTTP advanced proxy (netsh winhttp set advproxy)";
    context.warnings.extend(
        advanced
            .warnings
            .iter()
            .map(|w| format!("{name} ({origin}): {w}")),
    );
    let mut chain = Vec::new();
    if advanced.auto_detect == Some(true) {
        chain.push(RouteRule::Auto {
            config: AutoConfig::Wpad,
            api: ProxyApi::WinHttp,
            source: format!("{name}: auto-detect (WPAD)"),
        });
    }
    if let Some(url) = advanced
        .autoconfig_url
        .as_deref()
        .filter(|url| !url.is_empty() && advanced.autoconfig_is_enabled != Some(false))
    {
        chain.push(RouteRule::Auto {
            config: AutoConfig::Url(url.to_owned()),
            api: ProxyApi::WinHttp,
            source: format!("{name}: PAC {url}"),
        });
    }
    let proxy = advanced
        .proxy
        .as_deref()
        .filter(|_| advanced.proxy_is_enabled != Some(false));
    if proxy.is_some() || !chain.is_empty() {
        chain.extend(static_rule(
            context,
            name,
            origin,
            proxy,
            advanced.proxy_bypass.as_deref(),
            ProxyApi::WinHttp,
        ));
        push_chain(context, name, chain);
    } else {
        context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::NotSet,
            detail: format!("no proxy, script or auto-detect set ({origin})"),
        });
    }
}

/// WinHTTP's own auto-detect (WPAD) for services running as LocalSystem, which the diagnostic-data
/// client tries (docs/endpoints.md §3.1): run on the device itself, off it only with `--wpad`.
pub(crate) fn add_system_wpad(
    context: &mut ContextSources,
    registry: &RegistrySnapshot,
    live: bool,
) {
    let name = "WinHTTP auto-detect (WPAD) as LocalSystem";
    if registry.dword(WINHTTP_SWITCHES, "DisableWpad") == Some(1) {
        context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::NotSet,
            detail: "off: DisableWpad = 1".to_owned(),
        });
        return;
    }
    if live {
        context.rules.push(RouteRule::Auto {
            config: AutoConfig::Wpad,
            api: ProxyApi::WinHttp,
            source: name.to_owned(),
        });
    } else {
        context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::NotApplicable,
            detail: "not tried off the device (run on its network with --wpad)".to_owned(),
        });
    }
}

/// `WinHttpSettings` (what `netsh winhttp set proxy` writes), compared with a netsh capture.
fn winhttp_source(
    registry: &RegistrySnapshot,
    netsh: Option<(&NetshProxy, &str)>,
    context: &mut ContextSources,
) {
    let name = "WinHTTP proxy (netsh winhttp)";
    let from_registry = registry.value(MACHINE_CONNECTIONS, "WinHttpSettings");
    let decoded = from_registry.map(|value| {
        let origin = value.origin.to_string();
        let parsed = match &value.data {
            crate::windows::registry::ValueData::Binary(bytes) => winhttp::parse_settings(bytes)
                .map_err(|err| format!("{origin}: WinHttpSettings: {err}")),
            other => Err(format!(
                "{origin}: WinHttpSettings is not REG_BINARY ({})",
                type_name(other)
            )),
        };
        (parsed, origin)
    });
    if let (Some(main), Some(wow)) = (
        registry.binary(MACHINE_CONNECTIONS, "WinHttpSettings"),
        registry.binary(MACHINE_CONNECTIONS_WOW64, "WinHttpSettings"),
    ) && main != wow
    {
        context.warnings.push(
            "WinHttpSettings differs between the 64-bit and the 32-bit (WOW6432Node) registry \
             views: 32-bit programs see another WinHTTP proxy"
                .to_owned(),
        );
    }
    match (decoded, netsh) {
        (Some((Ok(settings), origin)), netsh) => {
            if let Some((capture, netsh_origin)) = netsh {
                compare_netsh(&settings, capture, netsh_origin, context);
            }
            context.warnings.extend(
                settings
                    .warnings
                    .iter()
                    .map(|w| format!("WinHttpSettings ({origin}): {w}")),
            );
            push_static(
                context,
                name,
                &origin,
                settings
                    .proxy_in_use()
                    .then_some(settings.proxy.as_deref())
                    .flatten(),
                settings.bypass.as_deref(),
                ProxyApi::WinHttp,
            );
        }
        (Some((Err(problem), _)), _) => context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::Failed,
            detail: format!("unreadable: {problem}"),
        }),
        (None, Some((capture, origin))) => push_static(
            context,
            name,
            origin,
            if capture.direct {
                None
            } else {
                capture.proxy.as_deref()
            },
            capture.bypass.as_deref(),
            ProxyApi::WinHttp,
        ),
        (None, None) if registry.holds(MACHINE_CONNECTIONS) => context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::NotSet,
            detail: "not set: no WinHttpSettings value (never set: direct access)".to_owned(),
        }),
        (None, None) => context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::NotInInput,
            detail: format!(
                "not in the input: no {} key exported and no netsh capture",
                abbreviated(MACHINE_CONNECTIONS)
            ),
        }),
    }
}

fn compare_netsh(
    settings: &WinHttpSettings,
    capture: &NetshProxy,
    origin: &str,
    context: &mut ContextSources,
) {
    let registry_proxy = settings
        .proxy_in_use()
        .then(|| settings.proxy.clone())
        .flatten();
    let netsh_proxy = if capture.direct {
        None
    } else {
        capture.proxy.clone()
    };
    if registry_proxy != netsh_proxy {
        context.warnings.push(format!(
            "{origin} shows WinHTTP proxy {} but the registry's WinHttpSettings says {}: the two \
             captures are from different moments or devices",
            netsh_proxy.as_deref().unwrap_or("direct"),
            registry_proxy.as_deref().unwrap_or("direct"),
        ));
    }
}

/// A static proxy list with its bypass list, as a source and a route rule.
fn push_static(
    context: &mut ContextSources,
    name: &str,
    origin: &str,
    proxy: Option<&str>,
    bypass: Option<&str>,
    api: ProxyApi,
) {
    if let Some(rule) = static_rule(context, name, origin, proxy, bypass, api) {
        context.rules.push(rule);
    }
}

/// The rule for a static proxy list (direct when there is none); the source is recorded.
fn static_rule(
    context: &mut ContextSources,
    name: &str,
    origin: &str,
    proxy: Option<&str>,
    bypass: Option<&str>,
    api: ProxyApi,
) -> Option<RouteRule> {
    let Some(proxy) = proxy.filter(|p| !p.trim().is_empty()) else {
        context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::Used,
            detail: format!("direct access ({origin})"),
        });
        return Some(RouteRule::Fixed {
            route: Route::Direct,
            source: format!("{name}: direct access"),
        });
    };
    match ProxyList::parse(proxy) {
        Ok(list) => {
            let bypass_text = bypass.unwrap_or_default();
            context.sources.push(SourceReport {
                name: name.to_owned(),
                status: SourceStatus::Used,
                detail: if bypass_text.is_empty() {
                    format!("{proxy} ({origin})")
                } else {
                    format!("{proxy}, bypass {bypass_text} ({origin})")
                },
            });
            Some(RouteRule::List {
                list,
                bypass: BypassList::parse(bypass_text),
                api,
                source: name.to_owned(),
            })
        }
        Err(problem) => {
            context.sources.push(SourceReport {
                name: name.to_owned(),
                status: SourceStatus::Failed,
                detail: format!("unusable proxy list '{proxy}' ({origin}): {problem}"),
            });
            None
        }
    }
}

/// The `TelemetryProxyServer` policy: the diagnostic-data service's own proxy.
fn telemetry_proxy_source(registry: &RegistrySnapshot, context: &mut ContextSources) {
    let name = "TelemetryProxyServer policy";
    let found = ["TelemetryProxyServer", "TelemetryProxyServer_PolicyManager"]
        .iter()
        .find_map(|value| registry.value(POLICY_KEY, value).map(|v| (value, v)));
    let Some((value_name, value)) = found else {
        context.sources.push(if registry.holds(POLICY_KEY) {
            SourceReport {
                name: name.to_owned(),
                status: SourceStatus::NotSet,
                detail: "not set".to_owned(),
            }
        } else {
            SourceReport {
                name: name.to_owned(),
                status: SourceStatus::NotInInput,
                detail: format!(
                    "not in the input: no {} key exported",
                    abbreviated(POLICY_KEY)
                ),
            }
        });
        return;
    };
    let text = registry
        .string(POLICY_KEY, value_name)
        .unwrap_or_default()
        .trim();
    match ProxyAddr::parse(text) {
        Ok(proxy) if !text.is_empty() => {
            context.sources.push(SourceReport {
                name: name.to_owned(),
                status: SourceStatus::Used,
                detail: format!("{proxy} ({value_name}, {})", value.origin),
            });
            context.rules.push(RouteRule::Fixed {
                route: Route::Proxy { proxy },
                source: name.to_owned(),
            });
        }
        _ => context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::Failed,
            detail: format!("unusable value '{text}' ({value_name}, {})", value.origin),
        }),
    }
}

/// LocalSystem's WinINET settings: the per-machine ones under `ProxySettingsPerUser = 0`,
/// otherwise `HKU\.DEFAULT`'s.
fn system_wininet_source(registry: &RegistrySnapshot, context: &mut ContextSources) {
    let per_user = registry.dword(INTERNET_POLICY_KEY, "ProxySettingsPerUser");
    let (name, connections, values) = if per_user == Some(0) {
        context.sources.push(SourceReport {
            name: "ProxySettingsPerUser policy".to_owned(),
            status: SourceStatus::Used,
            detail: "0: WinINET proxy settings are per-machine (HKLM), for every user and for \
                     LocalSystem (the Desktop Analytics page's \"= 1\" is a documentation error: \
                     per-machine is 0)"
                .to_owned(),
        });
        (
            "per-machine WinINET (ProxySettingsPerUser = 0)",
            MACHINE_CONNECTIONS.to_owned(),
            MACHINE_INTERNET_SETTINGS.to_owned(),
        )
    } else {
        if let Some(value) = per_user {
            context.sources.push(SourceReport {
                name: "ProxySettingsPerUser policy".to_owned(),
                status: SourceStatus::NotSet,
                detail: format!("{value}: per-user WinINET settings (the default)"),
            });
        }
        let hive = system_hive(registry);
        (
            "LocalSystem's WinINET (HKU\\.DEFAULT)",
            format!(r"{hive}\{INTERNET_SETTINGS}\Connections"),
            format!(r"{hive}\{INTERNET_SETTINGS}"),
        )
    };
    wininet_source(registry, name, &connections, &values, LAN, context);
}

/// LocalSystem's hive as the input names it (`HKU\.DEFAULT` or `HKU\S-1-5-18`).
fn system_hive(registry: &RegistrySnapshot) -> &'static str {
    SYSTEM_HIVES
        .iter()
        .find(|hive| {
            registry
                .key(&format!(r"{hive}\{INTERNET_SETTINGS}\Connections"))
                .is_some()
        })
        .unwrap_or(&SYSTEM_HIVES[0])
}

/// The `Connections` key LocalSystem's WinINET settings come from.
pub(crate) fn system_connections_key(registry: &RegistrySnapshot) -> String {
    if registry.dword(INTERNET_POLICY_KEY, "ProxySettingsPerUser") == Some(0) {
        return MACHINE_CONNECTIONS.to_owned();
    }
    format!(r"{}\{INTERNET_SETTINGS}\Connections", system_hive(registry))
}

/// The `Connections` key the user's WinINET settings come from (HKLM's under
/// `ProxySettingsPerUser = 0`).
pub(crate) fn user_connections_key(registry: &RegistrySnapshot) -> String {
    if registry.dword(INTERNET_POLICY_KEY, "ProxySettingsPerUser") == Some(0) {
        return MACHINE_CONNECTIONS.to_owned();
    }
    let values = user_internet_settings(registry, &mut ContextSources::default());
    format!(r"{values}\Connections")
}

/// The signed-in user's WinINET settings (HKCU), from `connection`'s value when one is named.
fn user_context(registry: &RegistrySnapshot, connection: Option<&str>) -> ContextSources {
    let mut context = ContextSources::default();
    let per_user = registry.dword(INTERNET_POLICY_KEY, "ProxySettingsPerUser");
    let (base, connections, values) = if per_user == Some(0) {
        (
            "per-machine WinINET (ProxySettingsPerUser = 0)",
            MACHINE_CONNECTIONS.to_owned(),
            MACHINE_INTERNET_SETTINGS.to_owned(),
        )
    } else {
        let values = user_internet_settings(registry, &mut context);
        (
            "the user's WinINET (Internet Options)",
            format!(r"{values}\Connections"),
            values,
        )
    };
    let vpn = connection.filter(|name| !name.eq_ignore_ascii_case(LAN));
    let name = match vpn {
        Some(vpn) => format!("{base}, connection '{vpn}'"),
        None => base.to_owned(),
    };
    connection_choice(registry, &connections, vpn, &mut context);
    wininet_source(
        registry,
        &name,
        &connections,
        &values,
        vpn.unwrap_or(LAN),
        &mut context,
    );
    if context.rules.is_empty()
        && let Some(vpn) = vpn
    {
        context.rules.push(RouteRule::Unavailable {
            source: name.clone(),
            reason: format!("the settings of connection '{vpn}' could not be read"),
        });
    }
    if context.rules.is_empty() {
        let known = registry.holds(&values) || registry.holds(&connections);
        context.rules.push(if known {
            RouteRule::Fixed {
                route: Route::Direct,
                source: format!("{name}: direct"),
            }
        } else {
            // Nothing of the user's settings was read: don't guess a route for them.
            RouteRule::Unavailable {
                source: name.clone(),
                reason: format!(
                    "the user's settings are not in the input (no {} key exported)",
                    abbreviated(&values)
                ),
            }
        });
    }
    context
}

/// Says which connection's settings the user context uses, when VPN or dial-up connections are
/// present or one was chosen.
fn connection_choice(
    registry: &RegistrySnapshot,
    connections: &str,
    vpn: Option<&str>,
    context: &mut ContextSources,
) {
    let others: Vec<String> = connection_names(registry, connections)
        .into_iter()
        .filter(|name| !name.eq_ignore_ascii_case(LAN))
        .collect();
    let name = "the user's connection (--connection)";
    if let Some(vpn) = vpn {
        context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::Used,
            detail: format!(
                "'{vpn}' (a VPN or dial-up connection) instead of DefaultConnectionSettings (the \
                 LAN): WinINET uses it while that connection is up, and a VPN's only when the VPN \
                 is force-tunnel (split-tunnel VPNs use the LAN's settings)"
            ),
        });
    } else if !others.is_empty() {
        context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::NotSet,
            detail: format!(
                "DefaultConnectionSettings (the LAN); VPN or dial-up connections present: {} \
                 (choose one with --connection NAME)",
                others.join(", ")
            ),
        });
    }
}

/// Where the user's Internet Settings are: `HKCU`, or, in an export made by an administrator for
/// the signed-in user, that user's hive under `HKEY_USERS\S-1-5-21-…`.
fn user_internet_settings(registry: &RegistrySnapshot, context: &mut ContextSources) -> String {
    if registry.key(USER_INTERNET_SETTINGS).is_some()
        || registry
            .key(&format!(r"{USER_INTERNET_SETTINGS}\Connections"))
            .is_some()
    {
        return USER_INTERNET_SETTINGS.to_owned();
    }
    let users: Vec<String> = registry
        .subkeys("HKEY_USERS")
        .into_iter()
        .filter(|sid| sid.starts_with("S-1-5-21-") && !sid.ends_with("_CLASSES"))
        .filter(|sid| {
            let values = format!(r"HKEY_USERS\{sid}\{INTERNET_SETTINGS}");
            registry.key(&values).is_some()
                || registry.key(&format!(r"{values}\Connections")).is_some()
        })
        .collect();
    let Some(first) = users.first() else {
        return USER_INTERNET_SETTINGS.to_owned();
    };
    if users.len() > 1 {
        context.warnings.push(format!(
            "the export holds several users' Internet Settings ({}); the user context reads {first}",
            users.join(", ")
        ));
    }
    format!(r"HKEY_USERS\{first}\{INTERNET_SETTINGS}")
}

/// One WinINET configuration: the `DefaultConnectionSettings` blob (the source of truth), compared
/// with the legacy `ProxyEnable`/`ProxyServer` values; WinINET's order is auto-detect, then the
/// automatic configuration script, then the manual proxy (`EricLaw`, "Understanding Web Proxy
/// Configuration").
fn wininet_source(
    registry: &RegistrySnapshot,
    name: &str,
    connections: &str,
    values_key: &str,
    value_name: &str,
    context: &mut ContextSources,
) {
    let api = ProxyApi::WinInet;
    // The legacy values mirror the LAN's settings only.
    let lan = value_name.eq_ignore_ascii_case(LAN);
    let legacy = if lan {
        legacy_values(registry, values_key)
    } else {
        InternetSettingsValues::default()
    };
    let settings = connection_settings(registry, name, connections, value_name, context);
    let Some((settings, origin)) = settings else {
        if !lan {
            return;
        }
        if let Some(missing) = not_in_input(registry, name, values_key, connections, &legacy) {
            context.sources.push(missing);
            return;
        }
        legacy_only(name, &legacy, api, context);
        return;
    };
    context.warnings.extend(
        settings
            .warnings
            .iter()
            .map(|w| format!("{name} {value_name} ({origin}): {w}")),
    );
    if lan {
        context.warnings.extend(
            wininet::compare(&legacy, &settings)
                .into_iter()
                .map(|w| format!("{name}: {w}")),
        );
    }
    for (what, stored) in [
        ("proxy", &settings.proxy),
        ("bypass list", &settings.bypass),
        ("automatic configuration script", &settings.auto_config_url),
    ] {
        if stored.is_disabled_but_kept() {
            context.disabled.push(format!(
                "{name}: {what} '{}' is configured but switched off ({origin})",
                stored.text.as_deref().unwrap_or_default()
            ));
        }
    }
    if let crate::windows::wininet::Trailer::Discovery(discovery) = &settings.trailer
        && let Some(url) = &discovery.last_detect_url
    {
        context.sources.push(SourceReport {
            name: format!("{name}: last WPAD result"),
            status: SourceStatus::NotSet,
            detail: format!(
                "auto-detect last led to {url}{} (recorded by WinINET)",
                discovery
                    .last_detect_time
                    .as_ref()
                    .map(|t| format!(" at {t}"))
                    .unwrap_or_default()
            ),
        });
    }
    let mut chain = Vec::new();
    if settings.auto_detect {
        context.sources.push(SourceReport {
            name: format!("{name}: automatically detect settings"),
            status: SourceStatus::Used,
            detail: format!("on: WPAD is tried first ({origin})"),
        });
        chain.push(RouteRule::Auto {
            config: AutoConfig::Wpad,
            api,
            source: format!("{name}: auto-detect (WPAD)"),
        });
    }
    if let Some(url) = settings.auto_config_url.active() {
        context.sources.push(SourceReport {
            name: format!("{name}: automatic configuration script"),
            status: SourceStatus::Used,
            detail: format!("{url} ({origin})"),
        });
        chain.push(RouteRule::Auto {
            config: AutoConfig::Url(url.to_owned()),
            api,
            source: format!("{name}: PAC {url}"),
        });
    }
    // The manual proxy (or direct) is WinINET's last resort after automatic configuration.
    chain.extend(static_rule(
        context,
        &format!("{name}: manual proxy"),
        &origin.to_string(),
        settings.proxy.active(),
        settings.bypass.text.as_deref(),
        api,
    ));
    push_chain(context, name, chain);
}

/// The legacy `ProxyEnable`/`ProxyServer`/`ProxyOverride`/`AutoConfigURL` values of `values_key`.
fn legacy_values(registry: &RegistrySnapshot, values_key: &str) -> InternetSettingsValues {
    InternetSettingsValues {
        proxy_enable: registry.dword(values_key, "ProxyEnable"),
        proxy_server: registry
            .string(values_key, "ProxyServer")
            .map(str::to_owned),
        proxy_override: registry
            .string(values_key, "ProxyOverride")
            .map(str::to_owned),
        auto_config_url: registry
            .string(values_key, "AutoConfigURL")
            .map(str::to_owned),
    }
}

/// The source for a WinINET configuration none of whose keys is in the input, if so.
fn not_in_input(
    registry: &RegistrySnapshot,
    name: &str,
    values_key: &str,
    connections: &str,
    legacy: &InternetSettingsValues,
) -> Option<SourceReport> {
    let missing = legacy == &InternetSettingsValues::default()
        && !registry.holds(values_key)
        && !registry.holds(connections);
    missing.then(|| SourceReport {
        name: name.to_owned(),
        status: SourceStatus::NotInInput,
        detail: format!(
            "not in the input: no {} key exported",
            abbreviated(values_key)
        ),
    })
}

/// One WinINET configuration as a rule: its first applicable setting wins.
fn push_chain(context: &mut ContextSources, name: &str, mut chain: Vec<RouteRule>) {
    match chain.len() {
        0 => {}
        1 => context.rules.extend(chain.pop()),
        _ => context.rules.push(RouteRule::FirstOf {
            rules: chain,
            source: name.to_owned(),
        }),
    }
}

/// The decoded `value_name` (`DefaultConnectionSettings`, or a VPN/dial-up connection's value)
/// under `connections`; `None` when absent or unreadable (an unreadable value is reported as a
/// source).
fn connection_settings(
    registry: &RegistrySnapshot,
    name: &str,
    connections: &str,
    value_name: &str,
    context: &mut ContextSources,
) -> Option<(ConnectionSettings, Origin)> {
    let value = registry.value(connections, value_name)?;
    let problem = match &value.data {
        crate::windows::registry::ValueData::Binary(bytes) => {
            match wininet::parse_connection_settings(bytes) {
                Ok(settings) => return Some((settings, value.origin.clone())),
                Err(err) => format!("unreadable {value_name} ({}): {err}", value.origin),
            }
        }
        other => format!(
            "{value_name} is not REG_BINARY ({}, {})",
            type_name(other),
            value.origin
        ),
    };
    context.sources.push(SourceReport {
        name: name.to_owned(),
        status: SourceStatus::Failed,
        detail: problem,
    });
    None
}

/// No blob: fall back to the legacy values, saying so.
fn legacy_only(
    name: &str,
    legacy: &InternetSettingsValues,
    api: ProxyApi,
    context: &mut ContextSources,
) {
    if legacy == &InternetSettingsValues::default() {
        context.sources.push(SourceReport {
            name: name.to_owned(),
            status: SourceStatus::NotSet,
            detail: "not set: the key holds no proxy values".to_owned(),
        });
        return;
    }
    context.warnings.push(format!(
        "{name}: the input has no DefaultConnectionSettings, where WinINET keeps its settings, so \
         the ProxyEnable/ProxyServer values were read instead; WinINET only copies its settings \
         there, so they may be out of date"
    ));
    let mut chain = Vec::new();
    if let Some(url) = &legacy.auto_config_url {
        chain.push(RouteRule::Auto {
            config: AutoConfig::Url(url.clone()),
            api,
            source: format!("{name}: PAC {url}"),
        });
    }
    let manual = legacy
        .proxy_server
        .as_deref()
        .filter(|_| legacy.proxy_enable == Some(1));
    if legacy.proxy_enable != Some(1)
        && let Some(server) = &legacy.proxy_server
    {
        context.disabled.push(format!(
            "{name}: ProxyServer '{server}' is configured but ProxyEnable is not 1"
        ));
    }
    chain.extend(static_rule(
        context,
        &format!("{name}: manual proxy"),
        "from ProxyEnable/ProxyServer, not DefaultConnectionSettings",
        manual,
        legacy.proxy_override.as_deref(),
        api,
    ));
    push_chain(context, name, chain);
}

fn type_name(data: &crate::windows::registry::ValueData) -> &'static str {
    use crate::windows::registry::ValueData;
    match data {
        ValueData::String(_) => "REG_SZ",
        ValueData::ExpandString(_) => "REG_EXPAND_SZ",
        ValueData::MultiString(_) => "REG_MULTI_SZ",
        ValueData::Dword(_) => "REG_DWORD",
        ValueData::Qword(_) => "REG_QWORD",
        ValueData::Binary(_) => "REG_BINARY",
        ValueData::Other { .. } => "another type",
    }
}
