//! Proxy configuration: which contexts exist, where their settings came from, and the route each
//! would take to a given URL.
//!
//! This module decides routes; it never opens a connection (that is `probe`).

pub mod bypass;
pub mod env;
pub mod netsh;
pub mod pac;
pub mod proxylist;
pub mod resolve;
pub mod winhttp;
pub mod wininet;
pub mod wpad;

use std::fmt;

use serde::Serialize;

use crate::endpoints::{Scheme, Target};
use crate::error::Error;

pub use env::EnvSource;

/// How a probe reaches its target: straight to it, or through an HTTP proxy.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Route {
    Direct,
    Proxy { proxy: ProxyAddr },
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

/// One context's proxy configuration: the rules that pick a route per URL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ContextConfig {
    /// `explicit` (command-line flags) or `environment`; `system` and `user` come with the
    /// Windows readers.
    pub name: String,
    pub sources: Vec<SourceReport>,
    #[serde(skip)]
    rules: Rules,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Rules {
    Fixed(RouteChoice),
    Env(EnvSource),
}

/// Builds each context's configuration from the sources.
#[must_use]
pub fn discover(sources: &ProxySources) -> Vec<ContextConfig> {
    let explicit = |route: Route, flag: &str| ContextConfig {
        name: "explicit".to_owned(),
        sources: vec![SourceReport {
            name: flag.to_owned(),
            status: SourceStatus::Used,
            detail: route.to_string(),
        }],
        rules: Rules::Fixed(RouteChoice {
            route,
            source: flag.to_owned(),
        }),
    };
    match &sources.flag {
        ProxyOverride::Direct => vec![explicit(Route::Direct, "--direct")],
        ProxyOverride::Proxy(addr) => vec![explicit(
            Route::Proxy {
                proxy: addr.clone(),
            },
            "--proxy",
        )],
        ProxyOverride::None => vec![ContextConfig {
            name: "environment".to_owned(),
            sources: sources.env.reports(),
            rules: Rules::Env(sources.env.clone()),
        }],
    }
}

impl ContextConfig {
    /// The route this context takes to `target`, and the setting that chose it.
    #[must_use]
    pub fn route_for(&self, target: &Target) -> RouteChoice {
        match &self.rules {
            Rules::Fixed(choice) => choice.clone(),
            Rules::Env(env) => env.route_for(target),
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
