//! How a probe reaches its target (direct, through an HTTP proxy, or not at all), the context
//! whose settings chose it, and where the choice came from.

use std::fmt;

/// How a probe reaches its target: straight to it, through an HTTP proxy, or a way dapreflight
/// cannot probe (a SOCKS or HTTPS proxy, a PAC that failed), which is reported, not probed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
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

    /// The context the report names `name`.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

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
