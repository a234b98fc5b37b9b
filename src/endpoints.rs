//! The endpoint catalog: which URLs to probe, why, and how to judge what they answer.
//!
//! The built-in list is `endpoints.yaml`, compiled in; `--endpoints FILE` replaces it.

use std::fmt;
use std::path::Path;

use serde::Serialize;

use crate::error::Error;

/// The built-in catalog, as shipped.
pub const BUILTIN_YAML: &str = include_str!("../endpoints.yaml");

/// The profile `check` uses when none is named: the client endpoints of Desktop Analytics.
pub const DEFAULT_PROFILE: &str = "desktop-analytics";

/// A parsed endpoint list.
#[derive(Clone, Debug, Serialize)]
pub struct Catalog {
    /// Where the list came from: `built-in` or the file's path.
    pub origin: String,
    pub endpoints: Vec<Endpoint>,
}

/// One URL a device must reach, with what is needed to judge the answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Endpoint {
    /// The documented URL, as written in the catalog (scheme included).
    pub url: String,
    /// The parsed form of `url`; for a wildcard entry its host keeps the `*`.
    #[serde(skip)]
    pub target: Target,
    pub purpose: String,
    pub source: String,
    pub profiles: Vec<String>,
    /// The documentation group, e.g. `client`, `diagnostic`, `server`.
    pub group: Option<String>,
    pub os_versions: Option<String>,
    /// The path requested once the connection is up, e.g. `/health/keepalive`.
    pub probe_path: String,
    /// HTTP statuses that mean the real service answered.
    pub reachable: StatusSet,
    pub trust: TrustRule,
    /// The host contains `*`: it cannot be probed as written.
    pub wildcard: bool,
    /// A concrete host probed in place of a wildcard one, when the catalog names one.
    pub probe_host: Option<String>,
}

/// Scheme, host, port and path of an endpoint URL.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub scheme: Scheme,
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
    /// Path and query, starting with `/`.
    pub path: String,
}

/// The URL schemes dapreflight probes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    Http,
    Https,
}

/// Which roots a genuine certificate chain for an endpoint ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustRule {
    /// Microsoft Root Certificate Authority 2011, which the Windows telemetry client requires.
    MicrosoftApplicationRoot,
    /// The public roots Microsoft's services use (DigiCert Global Root G2/G3/CA, Microsoft RSA/ECC
    /// Root 2017, Baltimore for old chains): lower confidence.
    MicrosoftPublicRoots,
    /// Any root in Mozilla's public set (webpki-roots): the default for a user's own https entries.
    PublicRoots,
    /// Plain HTTP: there is no chain to judge.
    None,
}

/// A set of HTTP statuses, as single codes and whole classes (`4xx`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct StatusSet(pub Vec<StatusPattern>);

/// One entry of a [`StatusSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusPattern {
    Code(u16),
    /// Every status whose first digit is this one (`4` for `4xx`).
    Class(u8),
}

impl Catalog {
    /// The endpoints in `profile`, or every endpoint for `all`.
    pub fn select(&self, profile: &str) -> Result<Vec<Endpoint>, Error> {
        let _ = profile;
        Ok(self.endpoints.clone())
    }

    /// Every profile named in the catalog, sorted.
    #[must_use]
    pub fn profiles(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Loads the catalog from `path`, or the built-in one when `path` is `None`.
pub fn load(path: Option<&Path>) -> Result<Catalog, Error> {
    let _ = path;
    parse(BUILTIN_YAML, "built-in")
}

/// Parses a catalog; `origin` names it in errors (a path, or `built-in`).
pub fn parse(yaml: &str, origin: &str) -> Result<Catalog, Error> {
    let _ = yaml;
    Ok(Catalog {
        origin: origin.to_owned(),
        endpoints: Vec::new(),
    })
}

impl Target {
    /// Host and port as written in a CONNECT request or `Host` header (`[::1]:443`).
    #[must_use]
    pub fn authority(&self) -> String {
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        match (self.scheme, self.port) {
            (Scheme::Https, 443) | (Scheme::Http, 80) => host,
            _ => format!("{host}:{}", self.port),
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = match self.scheme {
            Scheme::Http => "http",
            Scheme::Https => "https",
        };
        write!(f, "{scheme}://{}{}", self.authority(), self.path)
    }
}

impl StatusSet {
    /// Whether `status` is in the set.
    #[must_use]
    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|pattern| match *pattern {
            StatusPattern::Code(code) => code == status,
            StatusPattern::Class(class) => status / 100 == u16::from(class),
        })
    }
}

impl Serialize for StatusPattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            StatusPattern::Code(code) => serializer.serialize_u16(code),
            StatusPattern::Class(class) => serializer.serialize_str(&format!("{class}xx")),
        }
    }
}
