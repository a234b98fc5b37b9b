//! How a probe reaches its target (direct, through an HTTP proxy, or not at all), the context
//! whose settings chose it, and where the choice came from.

use std::fmt;

use crate::url;

/// How a probe reaches its target: straight to it, through an HTTP proxy, or a way dapreflight
/// cannot probe (a SOCKS or HTTPS proxy, a PAC that failed), which is reported, not probed.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum Route {
    Direct,
    Proxy { proxy: ProxyAddr },
    Unprobeable { reason: String },
}

/// The address of an HTTP proxy. Never holds credentials.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct ProxyAddr {
    /// Host name or IP literal (IPv6 without brackets), lower case.
    pub host: String,
    pub port: u16,
}

/// Why a proxy address was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProxyAddrError {
    /// A scheme other than `http://`.
    #[error(
        "'{scheme}://' proxies are not supported: give an HTTP proxy as http://host:port \
         (Windows' WinHTTP and WinINET speak plain HTTP to their proxy too)"
    )]
    Scheme { scheme: String },
    /// User-info in the URL.
    #[error(
        "credentials in the proxy URL are not accepted; set \
         DAPREFLIGHT_PROXY_USER and DAPREFLIGHT_PROXY_PASSWORD in the environment instead"
    )]
    Credentials,
    /// The host or port is not valid; the text says which and why.
    #[error("{0}")]
    Address(String),
}

/// A route together with where it came from, as shown in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RouteChoice {
    pub route: Route,
    /// The setting that chose this route, e.g. `--proxy`, `HTTPS_PROXY`, `NO_PROXY entry '.corp'`.
    pub source: String,
    /// The PAC decision behind the route, when a PAC chose it.
    pub pac: Option<PacNote>,
}

/// What the report shows of the PAC decision behind a route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacNote {
    /// The PAC's file path or URL.
    pub script: String,
    /// What `FindProxyForURL` returned.
    pub result: String,
    /// The line of the script that returns this result, when one line does.
    pub line: Option<usize>,
    /// This route's place in WinINET's failover order (1-based), for WinINET.
    pub failover: Option<usize>,
    /// Remarks: the stripped https form routes differently, an entry WinINET skips, ...
    pub notes: Vec<String>,
}

impl ProxyAddr {
    /// Parses a proxy given as `http://host:port`, `host:port` or `host` (port 8080, as curl).
    ///
    /// Credentials in the URL are refused: they would end up in shell history and process lists.
    /// Not parsed as a `Url`, which would drop an explicit `:80` as http's default: a proxy
    /// without a port gets 8080, so the two must stay apart.
    pub fn parse(text: &str) -> Result<Self, ProxyAddrError> {
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(ProxyAddrError::Scheme {
                    scheme: scheme.to_owned(),
                });
            }
            None => text,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if authority.contains('@') {
            return Err(ProxyAddrError::Credentials);
        }
        let (host, port) = split_host_port(authority).map_err(ProxyAddrError::Address)?;
        Ok(Self {
            host,
            port: port.unwrap_or(8080),
        })
    }
}

/// Splits `host`, `host:port`, `[v6]` or `[v6]:port`, as proxy lists and PAC results write a
/// proxy; the host follows the crate's one host rule (`url::parse_host`) and comes back
/// lower case, IPv6 unbracketed.
pub(crate) fn split_host_port(authority: &str) -> Result<(String, Option<u16>), String> {
    let (host, port) = url::split_authority(authority)?;
    if host.is_empty() {
        return Err(format!("'{authority}': the host is missing"));
    }
    let host = url::parse_host(host)?;
    let port = match port {
        None => None,
        Some(port) => Some(parse_port(port)?),
    };
    Ok((host, port))
}

/// Parses a port: decimal digits only, 1 to 65535.
fn parse_port(text: &str) -> Result<u16, String> {
    text.parse::<u16>()
        .ok()
        .filter(|port| *port != 0 && text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("'{text}' is not a port number (1-65535)"))
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

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Route::Direct => f.write_str("direct"),
            Route::Proxy { proxy } => write!(f, "proxy {proxy}"),
            Route::Unprobeable { .. } => f.write_str("not probeable"),
        }
    }
}

/// Whose settings a route follows: Windows' system context (the diagnostic-data service, as
/// LocalSystem) or the signed-in user's, or, off the device, the command line or the environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Context {
    /// WinHTTP, WPAD and policies as LocalSystem: what `DiagTrack` uses.
    System,
    /// The signed-in user's WinINET settings.
    User,
    /// `--proxy`, `--direct`, `--pac` or `--wpad`.
    Explicit,
    /// `HTTPS_PROXY`/`NO_PROXY` (a run off Windows).
    Environment,
}

impl Context {
    /// Every context, in order.
    pub const ALL: [Context; 4] = [
        Context::System,
        Context::User,
        Context::Explicit,
        Context::Environment,
    ];

    /// The context's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Context::System => "system",
            Context::User => "user",
            Context::Explicit => "explicit",
            Context::Environment => "environment",
        }
    }

    /// Whether the diagnostic-data service would use this context: every context but the user's
    /// (`explicit` and `environment` runs stand in for the system context).
    #[must_use]
    pub fn is_system(self) -> bool {
        self != Context::User
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_port_texts_split_by_the_one_host_rule() {
        // (text, host and port, or a phrase of the error)
        #[rustfmt::skip] // one case a line
        let cases = [
            ("proxy",              Ok(("proxy", None))),
            ("Proxy.Corp:3128",    Ok(("proxy.corp", Some(3128)))),
            ("proxy.corp.:80",     Ok(("proxy.corp.", Some(80)))),
            ("p_1:8080",           Ok(("p_1", Some(8080)))),
            ("[2001:DB8::1]:8080", Ok(("2001:db8::1", Some(8080)))),
            ("[::1]",              Ok(("::1", None))),
            ("10.0.0.1:0080",      Ok(("10.0.0.1", Some(80)))),
            ("127.1:3128",         Ok(("127.0.0.1", Some(3128)))),
            (":80",                Err("':80': the host is missing")),
            ("",                   Err("the host is missing")),
            ("p:0",                Err("'0' is not a port number (1-65535)")),
            ("p:99999",            Err("'99999' is not a port number")),
            ("p:+80",              Err("'+80' is not a port number")),
            ("p:",                 Err("'' is not a port number")),
            ("pro xy:1",           Err("contains ' '")),
            ("a..b:1",             Err("has an empty label")),
            ("1.2.3.999:1",        Err("ends in a number but is not an IPv4 address")),
            ("[::1:80",            Err("an IPv6 literal needs its closing `]`")),
            ("[::1]80",            Err("expected `:port` after the IPv6 literal")),
            ("[proxy]:80",         Err("'proxy' is not an IPv6 address")),
            ("fe80::1:8080",       Err("an IPv6 literal must be in brackets")),
            ("::1",                Err("an IPv6 literal must be in brackets")),
        ];
        for (text, expected) in cases {
            let got = split_host_port(text);
            match (got, expected) {
                (Ok((host, port)), Ok((want_host, want_port))) => {
                    assert_eq!((host.as_str(), port), (want_host, want_port), "{text}");
                }
                (Err(err), Err(phrase)) => assert!(err.contains(phrase), "{text}: {err}"),
                (got, want) => panic!("{text}: got {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn proxy_addresses_keep_an_explicit_default_port() {
        // (text, host, port)
        let cases = [
            ("http://proxy:80", "proxy", 80),
            ("proxy:80", "proxy", 80),
            ("proxy", "proxy", 8080),
            ("http://proxy/", "proxy", 8080),
            ("  http://[::1]:3128  ", "::1", 3128),
        ];
        for (text, host, port) in cases {
            let addr = ProxyAddr::parse(text).expect(text);
            assert_eq!((addr.host.as_str(), addr.port), (host, port), "{text}");
        }
        let cases = [
            ("http://a:b@proxy:1", ProxyAddrError::Credentials),
            ("http://@proxy:1", ProxyAddrError::Credentials),
            (
                "HTTPS://proxy",
                ProxyAddrError::Scheme {
                    scheme: "HTTPS".to_owned(),
                },
            ),
        ];
        for (text, expected) in cases {
            assert_eq!(ProxyAddr::parse(text), Err(expected), "{text}");
        }
    }
}
