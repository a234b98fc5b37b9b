//! Proxy settings from the environment (`HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY`), read as curl
//! reads them. The source for runs off Windows.

use std::net::IpAddr;

use crate::proxy::{SourceReport, SourceStatus};
use crate::route::{ProxyAddr, Route, RouteChoice};
use crate::url::{Scheme, Target};

/// The proxy variables found in an environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvSource {
    https: Option<Setting>,
    http: Option<Setting>,
    no_proxy: Option<(String, Vec<NoProxyEntry>)>,
    /// Variables that were set but could not be used, with the reason.
    problems: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Setting {
    variable: String,
    proxy: ProxyAddr,
    /// The value carried user-info, which is ignored (credentials come from
    /// `DAPREFLIGHT_PROXY_USER` / `DAPREFLIGHT_PROXY_PASSWORD`).
    had_credentials: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum NoProxyEntry {
    All,
    /// A host name: matches itself and every name below it.
    Domain(String),
    Ip(IpAddr),
    Network {
        addr: IpAddr,
        prefix: u8,
    },
}

impl EnvSource {
    /// Reads the proxy variables out of `vars` (pass `std::env::vars()`).
    ///
    /// Lower-case names win over upper case, as in curl; `ALL_PROXY` fills in for a scheme
    /// without its own variable; `HTTP_PROXY` in upper case is honoured too (curl skips it only
    /// for CGI safety, which does not apply here).
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let lookup = |name: &str| -> Option<(String, String)> {
            let lower = name.to_ascii_lowercase();
            let upper = name.to_ascii_uppercase();
            [lower, upper].into_iter().find_map(|key| {
                vars.iter()
                    .find(|(k, v)| *k == key && !v.trim().is_empty())
                    .map(|(k, v)| (k.clone(), v.clone()))
            })
        };
        let mut source = EnvSource::default();
        let setting = |name: &str, problems: &mut Vec<(String, String)>| {
            let (variable, value) = lookup(name).or_else(|| lookup("all_proxy"))?;
            let (value, had_credentials) = strip_credentials(&value);
            match ProxyAddr::parse(&value) {
                Ok(proxy) => Some(Setting {
                    variable,
                    proxy,
                    had_credentials,
                }),
                Err(err) => {
                    problems.push((variable, err.to_string()));
                    None
                }
            }
        };
        let mut problems = Vec::new();
        source.https = setting("https_proxy", &mut problems);
        source.http = setting("http_proxy", &mut problems);
        source.problems = problems;
        source.no_proxy =
            lookup("no_proxy").map(|(variable, value)| (variable, parse_no_proxy(&value)));
        source
    }

    /// The route for `target`: its scheme's proxy unless `NO_PROXY` matches the host.
    #[must_use]
    pub fn route_for(&self, target: &Target) -> RouteChoice {
        let setting = match target.scheme {
            Scheme::Https => &self.https,
            Scheme::Http => &self.http,
        };
        let Some(setting) = setting else {
            return RouteChoice {
                route: Route::Direct,
                source: format!(
                    "no {}_PROXY variable set",
                    target.scheme.as_str().to_ascii_uppercase()
                ),
                pac: None,
            };
        };
        if let Some((variable, entries)) = &self.no_proxy
            && let Some(entry) = entries.iter().find(|entry| entry.matches(&target.host))
        {
            return RouteChoice {
                route: Route::Direct,
                source: format!("{variable} entry '{}'", entry.text()),
                pac: None,
            };
        }
        RouteChoice {
            route: Route::Proxy {
                proxy: setting.proxy.clone(),
            },
            source: setting.variable.clone(),
            pac: None,
        }
    }

    /// What each variable contributed, for the report.
    #[must_use]
    pub fn reports(&self) -> Vec<SourceReport> {
        let mut reports = Vec::new();
        for (name, setting) in [("HTTPS_PROXY", &self.https), ("HTTP_PROXY", &self.http)] {
            reports.push(match setting {
                Some(setting) => SourceReport {
                    name: setting.variable.clone(),
                    status: SourceStatus::Used,
                    detail: if setting.had_credentials {
                        format!(
                            "{} (credentials in the variable are ignored; set \
                             DAPREFLIGHT_PROXY_USER and DAPREFLIGHT_PROXY_PASSWORD)",
                            setting.proxy
                        )
                    } else {
                        setting.proxy.to_string()
                    },
                },
                None => SourceReport {
                    name: name.to_owned(),
                    status: SourceStatus::NotSet,
                    detail: "not set: direct".to_owned(),
                },
            });
        }
        for (variable, message) in &self.problems {
            reports.push(SourceReport {
                name: variable.clone(),
                status: SourceStatus::NotSet,
                detail: format!("ignored: {message}"),
            });
        }
        if let Some((variable, entries)) = &self.no_proxy {
            let list: Vec<String> = entries.iter().map(NoProxyEntry::text).collect();
            reports.push(SourceReport {
                name: variable.clone(),
                status: SourceStatus::Used,
                detail: list.join(","),
            });
        }
        reports
    }
}

/// Removes `user:password@` from a proxy URL; the second value says whether there was any.
fn strip_credentials(value: &str) -> (String, bool) {
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), value),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..end].rfind('@') {
        Some(at) => (format!("{scheme}{}", &rest[at + 1..]), true),
        None => (value.to_owned(), false),
    }
}

fn parse_no_proxy(value: &str) -> Vec<NoProxyEntry> {
    value
        .split([',', ' '])
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| {
            if entry == "*" {
                return Some(NoProxyEntry::All);
            }
            if let Some((addr, prefix)) = entry.split_once('/') {
                let addr: IpAddr = addr.parse().ok()?;
                let max = if addr.is_ipv4() { 32 } else { 128 };
                let prefix: u8 = prefix.parse().ok().filter(|p| *p <= max)?;
                return Some(NoProxyEntry::Network { addr, prefix });
            }
            let bare = entry.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = bare.parse::<IpAddr>() {
                return Some(NoProxyEntry::Ip(ip));
            }
            // curl ignores a port in a NO_PROXY entry only for IPv6; drop `:port` for names.
            let host = entry.rsplit_once(':').map_or(entry, |(host, _)| host);
            let host = host.trim_start_matches("*.").trim_start_matches('.');
            Some(NoProxyEntry::Domain(host.to_ascii_lowercase()))
        })
        .collect()
}

impl NoProxyEntry {
    fn matches(&self, host: &str) -> bool {
        let host = host.to_ascii_lowercase();
        match self {
            NoProxyEntry::All => true,
            NoProxyEntry::Domain(domain) => {
                host == *domain
                    || host
                        .strip_suffix(domain.as_str())
                        .is_some_and(|prefix| prefix.ends_with('.'))
            }
            NoProxyEntry::Ip(ip) => host.parse::<IpAddr>().is_ok_and(|h| h == *ip),
            NoProxyEntry::Network { addr, prefix } => host
                .parse::<IpAddr>()
                .is_ok_and(|h| in_network(h, *addr, *prefix)),
        }
    }

    fn text(&self) -> String {
        match self {
            NoProxyEntry::All => "*".to_owned(),
            NoProxyEntry::Domain(domain) => domain.clone(),
            NoProxyEntry::Ip(ip) => ip.to_string(),
            NoProxyEntry::Network { addr, prefix } => format!("{addr}/{prefix}"),
        }
    }
}

fn in_network(host: IpAddr, network: IpAddr, prefix: u8) -> bool {
    match (host, network) {
        (IpAddr::V4(h), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(h) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(h), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(h) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(url: &str) -> Target {
        let (scheme, rest) = url.split_once("://").expect("scheme");
        Target {
            scheme: if scheme == "https" {
                Scheme::Https
            } else {
                Scheme::Http
            },
            host: rest.to_owned(),
            port: 443,
            path: "/".to_owned(),
        }
    }

    fn env(pairs: &[(&str, &str)]) -> EnvSource {
        EnvSource::from_vars(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    #[test]
    fn each_scheme_uses_its_own_variable_and_lower_case_wins() {
        let source = env(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
            ("HTTP_PROXY", "plain:3"),
        ]);
        let https = source.route_for(&target("https://v10c.events.data.microsoft.com"));
        assert_eq!(https.route.to_string(), "proxy lower:2");
        assert_eq!(https.source, "https_proxy");
        let http = source.route_for(&target("http://adl.windows.com"));
        assert_eq!(http.route.to_string(), "proxy plain:3");
    }

    #[test]
    fn all_proxy_fills_in_and_nothing_set_means_direct() {
        let source = env(&[("ALL_PROXY", "http://all:8")]);
        let choice = source.route_for(&target("http://adl.windows.com"));
        assert_eq!(choice.route.to_string(), "proxy all:8");
        let none = env(&[]);
        let choice = none.route_for(&target("https://login.live.com"));
        assert_eq!(choice.route, Route::Direct);
        assert_eq!(choice.source, "no HTTPS_PROXY variable set");
    }

    #[test]
    fn no_proxy_entries_match_like_curl() {
        let cases = [
            ("*", "anything.example", true),
            ("microsoft.com", "v10c.events.data.microsoft.com", true),
            (".microsoft.com", "v10c.events.data.microsoft.com", true),
            ("*.microsoft.com", "microsoft.com", true),
            ("microsoft.com", "notmicrosoft.com", false),
            ("127.0.0.0/8", "127.1.2.3", true),
            ("10.0.0.0/8", "127.1.2.3", false),
            ("::1", "::1", true),
            ("login.live.com:443", "login.live.com", true),
        ];
        for (entry, host, expected) in cases {
            let source = env(&[("HTTPS_PROXY", "p:1"), ("NO_PROXY", entry)]);
            let route = source.route_for(&target(&format!("https://{host}"))).route;
            assert_eq!(route == Route::Direct, expected, "{entry} vs {host}");
        }
    }

    #[test]
    fn credentials_in_a_variable_are_dropped_and_never_reported() {
        let source = env(&[("HTTPS_PROXY", "http://alice:s3cret@proxy:3128")]);
        let choice = source.route_for(&target("https://login.live.com"));
        assert_eq!(choice.route.to_string(), "proxy proxy:3128");
        let text = format!("{:?}", source.reports());
        assert!(
            !text.contains("s3cret") && !text.contains("alice"),
            "{text}"
        );
        assert!(text.contains("DAPREFLIGHT_PROXY_USER"), "{text}");
    }

    #[test]
    fn an_unusable_variable_is_reported_not_silently_dropped() {
        let source = env(&[("HTTPS_PROXY", "socks5://p:1080")]);
        assert_eq!(
            source.route_for(&target("https://login.live.com")).route,
            Route::Direct
        );
        let text = format!("{:?}", source.reports());
        assert!(
            text.contains("ignored") && text.contains("socks5"),
            "{text}"
        );
    }
}
