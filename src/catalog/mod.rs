//! The endpoint catalog: which URLs to probe, why, and how to judge what they answer.
//!
//! The built-in list is `endpoints.yaml`, compiled in; `--endpoints FILE` replaces it. An entry of
//! a user's file needs only `url`: the rest comes from the built-in entry for the same host, or
//! from generic defaults.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::path::Path;
use std::sync::LazyLock;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::input::{self, InputError, InputKind};
use crate::url::{self, Scheme, Target};

/// Why a catalog could not be loaded or a profile selected.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The endpoint file named with `--endpoints` could not be read, or is past its cap.
    #[error(transparent)]
    File(#[from] InputError),
    /// An endpoint list is not valid; `message` names the line, column and what was expected.
    #[error("{origin}: {message}")]
    List { origin: String, message: String },
    /// `--profile` names a profile the catalog does not have.
    #[error("unknown profile '{name}'; the catalog has: {known}")]
    UnknownProfile { name: String, known: String },
}

/// The most endpoints a list may hold.
pub(crate) const MAX_ENDPOINTS: usize = 1_000;

/// The built-in catalog, as shipped.
pub(crate) const BUILTIN_YAML: &str = include_str!("../../endpoints.yaml");

/// The origin of the built-in catalog, as errors and reports name it.
pub(crate) const BUILTIN_ORIGIN: &str = "built-in";

/// The profile `check` uses when none is named: the Endpoints table of Microsoft's current
/// "Configure Windows diagnostic data in your organization" page. Desktop Analytics, the old
/// default, was retired on 2022-11-30; its profile stays selectable.
pub(crate) const DEFAULT_PROFILE: &str = "windows-diagnostic-data";

/// The pseudo-profile that selects every entry.
pub(crate) const ALL_PROFILES: &str = "all";

/// The purpose of a user's entry for a host the built-in catalog does not know.
pub(crate) const USER_PURPOSE: &str = "user-supplied endpoint";

/// A parsed endpoint list.
#[derive(Clone, Debug)]
pub struct Catalog {
    /// Where the list came from: `built-in` or the file's path.
    pub origin: String,
    /// The entries, in file order.
    pub endpoints: Vec<Endpoint>,
}

/// One URL a device must reach, with what is needed to judge the answer.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Endpoint {
    /// The documented URL, as written in the catalog (scheme included).
    pub url: String,
    /// The parsed form of `url`; for a wildcard entry its host keeps the `*`.
    pub target: Target,
    /// What the endpoint is for, from the documentation.
    pub purpose: String,
    /// The document (repository, path, commit) the entry comes from, or the user's file.
    pub source: String,
    /// The product profiles that need the endpoint; empty for a user's entry that names none.
    pub profiles: Vec<String>,
    /// The documentation group, e.g. `client`, `diagnostic`, `server`.
    pub group: Option<String>,
    /// The Windows versions that use the endpoint, where the documentation says.
    pub os_versions: Option<String>,
    /// The Windows builds that use the endpoint, for the verdict; `None`: every build.
    pub windows: Option<WindowsBuilds>,
    /// The path requested once the connection is up, e.g. `/health/keepalive`.
    pub probe_path: String,
    /// HTTP statuses that mean the real service answered.
    pub reachable: StatusSet,
    /// Which roots a genuine certificate chain ends in.
    pub trust: TrustRule,
    /// The host contains `*`: it cannot be probed as written.
    pub wildcard: bool,
    /// A concrete host probed in place of a wildcard one, when the catalog names one.
    pub probe_host: Option<String>,
}

/// Which roots a genuine certificate chain for an endpoint ends in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrustRule {
    /// Microsoft Root Certificate Authority 2011, which the Windows telemetry client requires.
    MicrosoftApplicationRoot,
    /// The public roots Microsoft's services use (`DigiCert Global Root G2`, `G3` and `CA`,
    /// Microsoft RSA and ECC Root 2017, Baltimore for old chains): lower confidence.
    MicrosoftPublicRoots,
    /// Any of Microsoft's roots (the application root and the public roots above), for a host
    /// whose chain has not yet been observed: a chain ending there is accepted, but the result is
    /// marked unconfirmed and never high confidence.
    MicrosoftUnconfirmed,
    /// Any root in Mozilla's public set (webpki-roots): the default for a user's own https entries.
    PublicRoots,
    /// Plain HTTP: there is no chain to judge.
    None,
}

/// A set of HTTP statuses, as single codes and whole classes (`4xx`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatusSet(pub Vec<StatusPattern>);

/// One entry of a [`StatusSet`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusPattern {
    /// Exactly this status (100 to 599).
    Code(u16),
    /// Every status whose first digit is this one (`4` for `4xx`).
    Class(u8),
}

impl Catalog {
    /// The endpoints in `profile`, in file order, or every endpoint for `all`.
    ///
    /// An entry that names no profile (a user's entry, usually) is in every profile, and a
    /// catalog whose entries name no profile at all is returned whole whatever the profile: a
    /// user's plain list of URLs is probed as written.
    pub fn select(&self, profile: &str) -> Result<Vec<Endpoint>, CatalogError> {
        let known = self.profiles();
        if profile == ALL_PROFILES || known.is_empty() {
            return Ok(self.endpoints.clone());
        }
        if !known.iter().any(|name| name == profile) {
            let mut names = known;
            names.push(ALL_PROFILES.to_owned());
            return Err(CatalogError::UnknownProfile {
                name: profile.to_owned(),
                known: names.join(", "),
            });
        }
        Ok(self
            .endpoints
            .iter()
            .filter(|endpoint| {
                endpoint.profiles.is_empty() || endpoint.profiles.iter().any(|p| p == profile)
            })
            .cloned()
            .collect())
    }

    /// Every profile named in the catalog, sorted, each once (`all` is not included).
    #[must_use]
    pub fn profiles(&self) -> Vec<String> {
        let names: BTreeSet<&String> = self
            .endpoints
            .iter()
            .flat_map(|endpoint| &endpoint.profiles)
            .collect();
        names.into_iter().cloned().collect()
    }
}

impl Endpoint {
    /// The concrete URL to probe: the entry's target with its probe path, and for a wildcard
    /// entry its probe host; `None` for a wildcard entry without one (allow the pattern).
    #[must_use]
    pub fn probe_target(&self) -> Option<Target> {
        let host = match (&self.probe_host, self.wildcard) {
            (Some(host), _) => host.clone(),
            (None, false) => self.target.host.clone(),
            (None, true) => return None,
        };
        Some(Target {
            scheme: self.target.scheme,
            host,
            port: self.target.port,
            path: self.probe_path.clone(),
        })
    }
}

/// The Windows builds that use an endpoint: inclusive bounds, each a build with an optional update
/// build revision (UBR), e.g. `{from_build: 17134, from_ubr: 285}` for 17134.285 and later.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WindowsBuilds {
    pub from_build: Option<u32>,
    pub from_ubr: Option<u32>,
    pub until_build: Option<u32>,
    pub until_ubr: Option<u32>,
}

impl WindowsBuilds {
    /// Whether build `build` at revision `ubr` uses the endpoint; `None` when only the revision,
    /// not known, could tell.
    #[must_use]
    pub fn uses(&self, build: u32, ubr: Option<u32>) -> Option<bool> {
        let from = self.from_build.map_or(Some(true), |bound| {
            if build == bound {
                self.from_ubr
                    .map_or(Some(true), |first| ubr.map(|ubr| ubr >= first))
            } else {
                Some(build > bound)
            }
        });
        let until = self.until_build.map_or(Some(true), |bound| {
            if build == bound {
                self.until_ubr
                    .map_or(Some(true), |last| ubr.map(|ubr| ubr <= last))
            } else {
                Some(build < bound)
            }
        });
        match (from, until) {
            (Some(false), _) | (_, Some(false)) => Some(false),
            (Some(true), Some(true)) => Some(true),
            _ => None,
        }
    }

    /// The bounds, if they make sense: at least one build, a UBR only beside its build, and the
    /// first build not after the last.
    fn check(self) -> Result<Self, String> {
        if self.from_build.is_none() && self.until_build.is_none() {
            return Err("expected `from_build`, `until_build` or both".to_owned());
        }
        if self.from_ubr.is_some() && self.from_build.is_none() {
            return Err("`from_ubr` needs `from_build`".to_owned());
        }
        if self.until_ubr.is_some() && self.until_build.is_none() {
            return Err("`until_ubr` needs `until_build`".to_owned());
        }
        if let (Some(from), Some(until)) = (self.from_build, self.until_build) {
            let first = (from, self.from_ubr.unwrap_or(0));
            let last = (until, self.until_ubr.unwrap_or(u32::MAX));
            if first > last {
                return Err(format!(
                    "`from_build` {from} comes after `until_build` {until}: no build would use it"
                ));
            }
        }
        Ok(self)
    }
}

/// The built-in catalog, parsed once; `None` only if it does not parse (a unit test checks that
/// it does).
pub(crate) fn builtin() -> Option<&'static Catalog> {
    static BUILTIN: LazyLock<Option<Catalog>> =
        LazyLock::new(|| parse(BUILTIN_YAML, BUILTIN_ORIGIN).ok());
    BUILTIN.as_ref()
}

/// Loads the catalog from `path`, or the built-in one when `path` is `None`.
pub fn load(path: Option<&Path>) -> Result<Catalog, CatalogError> {
    let Some(path) = path else {
        // Parsed once per process (the settings read it too); a failure is parsed again only
        // to say why.
        return builtin()
            .cloned()
            .map_or_else(|| parse(BUILTIN_YAML, BUILTIN_ORIGIN), Ok);
    };
    let text = input::read_text(path, InputKind::EndpointList)?;
    parse(&text, &path.display().to_string())
}

/// Parses a catalog; `origin` names it in errors (a path, or `built-in`).
///
/// Unless `origin` is `built-in`, an entry whose host is a built-in entry's host inherits that
/// entry's fields (all but `profiles`); fields the entry sets win.
pub(crate) fn parse(yaml: &str, origin: &str) -> Result<Catalog, CatalogError> {
    // The YAML library reads a file of comments as an empty mapping; say what it really is.
    let blank = |line: &str| line.trim().is_empty() || line.trim_start().starts_with('#');
    if yaml.lines().all(blank) {
        return Err(list_error(origin, 1, 1, EMPTY_FILE));
    }
    // The YAML library's recursion takes seconds to refuse a deeply nested file: refuse it first.
    if let Some((line, column)) = too_deep(yaml, MAX_NESTING) {
        let reason =
            format!("nested more than {MAX_NESTING} levels deep, the limit for endpoint lists");
        return Err(list_error(origin, line, column, &reason));
    }
    let raw: RawFile = yaml_serde::from_str(yaml).map_err(|err| yaml_error(&err, yaml, origin))?;
    // Each endpoint costs a few kilobytes once built and probed: bound the count, so a list within
    // its byte cap stays within the memory bound (docs: README "Input files are bounded").
    if raw.endpoints.0.len() > MAX_ENDPOINTS {
        let path = [Segment::Key("endpoints"), Segment::Index(MAX_ENDPOINTS)];
        let reason = format!(
            "more than {MAX_ENDPOINTS} endpoints, the limit for endpoint lists ({} listed)",
            raw.endpoints.0.len()
        );
        return Err(located(yaml, origin, &path, &reason));
    }
    let builtin = if origin == BUILTIN_ORIGIN {
        None
    } else {
        Some(parse(BUILTIN_YAML, BUILTIN_ORIGIN)?)
    };
    let base = builtin.as_ref().map(|catalog| catalog.endpoints.as_slice());
    let mut endpoints = Vec::with_capacity(raw.endpoints.0.len());
    let mut seen: HashMap<Target, usize> = HashMap::new();
    for (index, entry) in raw.endpoints.0.into_iter().enumerate() {
        let endpoint = build(entry, origin, base).map_err(|invalid| {
            let mut path = vec![Segment::Key("endpoints"), Segment::Index(index)];
            path.extend(invalid.path);
            located(yaml, origin, &path, &invalid.message)
        })?;
        if let Some(&first) = seen.get(&endpoint.target) {
            let at = locate(yaml, &[Segment::Key("endpoints"), Segment::Index(first)])
                .map_or_else(String::new, |(line, _)| format!(" at line {line}"));
            let message = format!(
                "'{}' duplicates the entry{at}: list a URL once, with all its profiles",
                endpoint.url
            );
            let path = [
                Segment::Key("endpoints"),
                Segment::Index(index),
                Segment::Key("url"),
            ];
            return Err(located(yaml, origin, &path, &message));
        }
        seen.insert(endpoint.target.clone(), index);
        endpoints.push(endpoint);
    }
    Ok(Catalog {
        origin: origin.to_owned(),
        endpoints,
    })
}

/// The deepest nesting an endpoint list may have; the catalog's own entries need five levels.
const MAX_NESTING: usize = 16;

/// Where `yaml` first nests deeper than `limit` (1-based line and column), by a cheap scan of its
/// indentation, `- ` markers and flow brackets; `None` when it stays within the limit.
///
/// An estimate that errs on the deep side (every indentation step counts as a level), made in one
/// pass before the YAML parser sees the text. Quoted text, comments and block scalars (`|`, `>`)
/// are skipped.
fn too_deep(yaml: &str, limit: usize) -> Option<(usize, usize)> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<char> = None;
    let mut block_scalar: Option<usize> = None;
    for (index, line) in yaml.lines().enumerate() {
        let body = line.trim_start_matches(' ');
        let indent = line.len() - body.len();
        if quote.is_none() && flow == 0 {
            if body.trim().is_empty() || body.starts_with('#') {
                continue;
            }
            if let Some(opener) = block_scalar {
                if indent > opener {
                    continue;
                }
                block_scalar = None;
            }
            while indents.last().is_some_and(|&open| open >= indent) {
                indents.pop();
            }
            indents.push(indent);
        }
        let mut block = indents.len();
        let mut leading = true;
        let mut previous = ' ';
        let mut chars = body.chars().enumerate().peekable();
        let mut code_end = body.len();
        while let Some((offset, c)) = chars.next() {
            let column = indent + offset + 1;
            match quote {
                Some('"') if c == '\\' => {
                    chars.next();
                }
                Some(open) if c == open => quote = None,
                Some(_) => {}
                None => match c {
                    '#' if previous.is_whitespace() => {
                        code_end = body
                            .char_indices()
                            .nth(offset)
                            .map_or(body.len(), |(at, _)| at);
                        break;
                    }
                    '"' | '\'' if matches!(previous, ' ' | '[' | '{' | ',' | ':') => {
                        quote = Some(c);
                    }
                    '[' | '{' => flow += 1,
                    ']' | '}' => flow = flow.saturating_sub(1),
                    '-' if leading
                        && flow == 0
                        && chars.peek().is_none_or(|(_, next)| *next == ' ') =>
                    {
                        block += 1;
                    }
                    _ => {}
                },
            }
            if block + flow > limit {
                return Some((index + 1, column));
            }
            if !c.is_whitespace() {
                leading &= c == '-';
            }
            previous = c;
        }
        // `key: |`, `- >-`: the lines indented below are text, whatever they hold.
        let code = body[..code_end].trim_end();
        let indicator = code.trim_end_matches(|c: char| c == '-' || c == '+' || c.is_ascii_digit());
        if quote.is_none() && flow == 0 && (indicator.ends_with('|') || indicator.ends_with('>')) {
            block_scalar = Some(indent);
        }
    }
    None
}

const EMPTY_FILE: &str = "the file is empty: expected a mapping with an `endpoints` list";

/// The file as written: `endpoints:` and a list of entries.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "a mapping with an `endpoints` list, e.g. `endpoints: [{url: https://host}]`"
)]
struct RawFile {
    endpoints: RawEntries,
}

/// The entries; never empty.
struct RawEntries(Vec<RawEntry>);

/// One entry as written; only `url` is required.
#[derive(Deserialize)]
#[serde(
    deny_unknown_fields,
    expecting = "an entry mapping with a `url` key, e.g. `- url: https://host`"
)]
struct RawEntry {
    url: RawUrl,
    purpose: Option<String>,
    source: Option<String>,
    profiles: Option<Vec<String>>,
    group: Option<String>,
    os_versions: Option<String>,
    windows: Option<WindowsBuilds>,
    probe_path: Option<String>,
    probe_host: Option<String>,
    reachable: Option<StatusSet>,
    trust: Option<TrustRule>,
    /// Derived from the host; accepted so that a dumped catalog reads back, and checked.
    wildcard: Option<bool>,
}

/// A URL as written and parsed; parsing it in `Deserialize` puts its line and column in errors.
struct RawUrl {
    written: String,
    target: Target,
}

/// A problem found after deserializing, with where in the entry it is.
struct Invalid {
    path: Vec<Segment>,
    message: String,
}

impl Invalid {
    fn at(path: &[Segment], message: String) -> Self {
        Invalid {
            path: path.to_vec(),
            message,
        }
    }
}

/// One step of a path into the document, for [`locate`].
#[derive(Clone, Copy, Debug)]
enum Segment {
    Key(&'static str),
    Index(usize),
}

/// Turns a written entry into an [`Endpoint`], filling what it leaves out.
fn build(raw: RawEntry, origin: &str, base: Option<&[Endpoint]>) -> Result<Endpoint, Invalid> {
    let target = raw.url.target;
    let wildcard = target.host.starts_with('*');
    if let Some(written) = raw.wildcard
        && written != wildcard
    {
        let has = if wildcard { "has" } else { "has no" };
        let message = format!(
            "`wildcard: {written}` contradicts the host '{}', which {has} `*`: \
             remove the field, it is derived from the host",
            target.host
        );
        return Err(Invalid::at(&[Segment::Key("wildcard")], message));
    }
    let inherited = base.and_then(|entries| entries.iter().find(|e| e.target.host == target.host));
    let same_scheme = inherited.filter(|e| e.target.scheme == target.scheme);

    let trust = match raw.trust {
        Some(rule) => check_trust(rule, target.scheme)
            .map_err(|m| Invalid::at(&[Segment::Key("trust")], m))?,
        None => same_scheme.map_or(default_trust(target.scheme), |e| e.trust),
    };
    let probe_path = match raw.probe_path {
        Some(path) => {
            check_probe_path(&path).map_err(|m| Invalid::at(&[Segment::Key("probe_path")], m))?;
            path
        }
        None if target.path != "/" => target.path.clone(),
        None => inherited.map_or_else(|| "/".to_owned(), |e| e.probe_path.clone()),
    };
    let probe_host = match raw.probe_host {
        Some(host) => Some(
            check_probe_host(&host, &target.host)
                .map_err(|m| Invalid::at(&[Segment::Key("probe_host")], m))?,
        ),
        None => inherited.and_then(|e| e.probe_host.clone()),
    };
    let profiles = raw.profiles.unwrap_or_default();
    for (index, name) in profiles.iter().enumerate() {
        check_profile(name)
            .map_err(|m| Invalid::at(&[Segment::Key("profiles"), Segment::Index(index)], m))?;
    }
    let text = |field: Option<String>, from: fn(&Endpoint) -> &Option<String>| {
        field.or_else(|| inherited.and_then(|e| from(e).clone()))
    };
    Ok(Endpoint {
        url: raw.url.written,
        purpose: raw
            .purpose
            .or_else(|| inherited.map(|e| e.purpose.clone()))
            .unwrap_or_else(|| USER_PURPOSE.to_owned()),
        source: raw
            .source
            .or_else(|| inherited.map(|e| e.source.clone()))
            .unwrap_or_else(|| origin.to_owned()),
        profiles,
        group: text(raw.group, |e| &e.group),
        os_versions: text(raw.os_versions, |e| &e.os_versions),
        windows: match raw.windows {
            Some(builds) => Some(
                builds
                    .check()
                    .map_err(|m| Invalid::at(&[Segment::Key("windows")], m))?,
            ),
            None => inherited.and_then(|e| e.windows),
        },
        probe_path,
        reachable: raw
            .reachable
            .or_else(|| inherited.map(|e| e.reachable.clone()))
            .unwrap_or_else(StatusSet::reachable_default),
        trust,
        wildcard,
        probe_host,
        target,
    })
}

/// The trust rule an entry gets when neither it nor a built-in entry names one.
fn default_trust(scheme: Scheme) -> TrustRule {
    match scheme {
        Scheme::Https => TrustRule::PublicRoots,
        Scheme::Http => TrustRule::None,
    }
}

fn check_trust(rule: TrustRule, scheme: Scheme) -> Result<TrustRule, String> {
    match (scheme, rule) {
        (Scheme::Https, TrustRule::None) => Err(
            "`trust: none` is only for http URLs: an https entry must name the roots its chain \
             ends in (microsoft-application-root, microsoft-public-roots, microsoft-unconfirmed or \
             public-roots)"
                .to_owned(),
        ),
        (Scheme::Http, TrustRule::None) | (Scheme::Https, _) => Ok(rule),
        (Scheme::Http, _) => Err(format!(
            "`trust: {}` needs an https URL: plain http has no certificate, use `trust: none`",
            rule.name()
        )),
    }
}

fn check_probe_path(path: &str) -> Result<(), String> {
    if !path.starts_with('/') {
        return Err(format!(
            "probe_path '{path}' must start with `/`, e.g. `/health/keepalive`"
        ));
    }
    if !path.bytes().all(|b| b.is_ascii_graphic()) || path.contains('#') {
        return Err(format!(
            "probe_path '{path}' must be ASCII without spaces, control characters or `#` \
             (percent-encode them)"
        ));
    }
    Ok(())
}

/// Checks a wildcard entry's probe host and returns it in lower case.
fn check_probe_host(probe_host: &str, pattern: &str) -> Result<String, String> {
    let Some(suffix) = pattern.strip_prefix('*') else {
        return Err(format!(
            "probe_host is only for wildcard URLs: '{pattern}' is probed as written"
        ));
    };
    let host = probe_host.to_ascii_lowercase();
    url::check_host_name(&host)
        .map_err(|reason| format!("probe_host '{probe_host}' is not a host name: {reason}"))?;
    // `*` stands for any prefix: `*v10c.events...` covers v10c and eu-v10c, `*.x` needs a label.
    if !host.ends_with(suffix) {
        return Err(format!(
            "probe_host '{probe_host}' is not covered by the pattern '{pattern}'"
        ));
    }
    Ok(host)
}

fn check_profile(name: &str) -> Result<(), String> {
    if name == ALL_PROFILES {
        return Err("the profile name `all` is reserved: it selects every entry".to_owned());
    }
    let valid = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "'{name}' is not a profile name: expected lower-case letters, digits and `-`"
        ))
    }
}

/// An error at the node `path` names, or at the start of the file if it cannot be found.
fn located(yaml: &str, origin: &str, path: &[Segment], message: &str) -> CatalogError {
    let (line, column) = locate(yaml, path).unwrap_or((1, 1));
    list_error(origin, line, column, message)
}

fn list_error(origin: &str, line: usize, column: usize, reason: &str) -> CatalogError {
    CatalogError::List {
        origin: origin.to_owned(),
        message: format!("line {line}, column {column}: {reason}"),
    }
}

/// Rewrites a YAML or deserialization error as `line L, column C: reason`.
fn yaml_error(err: &yaml_serde::Error, yaml: &str, origin: &str) -> CatalogError {
    let location = err.location();
    let (line, column) = location
        .as_ref()
        .map_or((1, 1), |at| (at.line(), at.column()));
    let text = err.to_string();
    // The library says where at the end and which node at the start; the location comes first
    // in our message, so drop both.
    let text = text.replacen(&format!(" at line {line} column {column}"), "", 1);
    let text = match text.split_once(": ") {
        Some((path, rest)) if is_node_path(path) => rest.to_owned(),
        _ => text,
    };
    // libyaml counts columns in characters, from 1.
    let at_tab = yaml
        .lines()
        .nth(line.saturating_sub(1))
        .and_then(|text| text.chars().nth(column.saturating_sub(1)))
        == Some('\t');
    let reason = if at_tab {
        "a tab character is not allowed here: YAML indents with spaces".to_owned()
    } else if location.is_none() && text.starts_with("EOF while parsing") {
        EMPTY_FILE.to_owned()
    } else if text == "missing field `endpoints`" {
        format!("{text}: expected `endpoints:` followed by a list of entries")
    } else if text == "missing field `url`" {
        format!("{text}: every entry needs one, e.g. `- url: https://host`")
    } else {
        text
    };
    list_error(origin, line, column, &reason)
}

/// Whether `text` is a node path as the YAML library writes it (`endpoints[3].url`).
fn is_node_path(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '[' | ']' | '?'))
}

/// The line and column of the node at `path`.
///
/// The deserializer attaches the position of the node being read to any error raised there, so
/// this walks the document and fails on purpose at the node.
fn locate(yaml: &str, path: &[Segment]) -> Option<(usize, usize)> {
    let deserializer = yaml_serde::Deserializer::from_str(yaml);
    let err = Locate(path).deserialize(deserializer).err()?;
    err.location().map(|at| (at.line(), at.column()))
}

struct Locate<'a>(&'a [Segment]);

/// Fails at whatever node it is asked to read.
struct Here;

impl<'de> DeserializeSeed<'de> for Locate<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        if self.0.is_empty() {
            deserializer.deserialize_any(Here)
        } else {
            deserializer.deserialize_any(self)
        }
    }
}

impl<'de> Visitor<'de> for Locate<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping or a list on the path")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let Some((Segment::Key(wanted), rest)) = self.0.split_first() else {
            return Err(de::Error::custom("not on the path"));
        };
        while let Some(key) = map.next_key::<String>()? {
            if key == *wanted {
                return map.next_value_seed(Locate(rest));
            }
            map.next_value::<IgnoredAny>()?;
        }
        Err(de::Error::custom("not found"))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let Some((Segment::Index(wanted), rest)) = self.0.split_first() else {
            return Err(de::Error::custom("not on the path"));
        };
        for _ in 0..*wanted {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(de::Error::custom("not found"));
            }
        }
        seq.next_element_seed(Locate(rest))?;
        Err(de::Error::custom("not found"))
    }
}

impl Visitor<'_> for Here {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("nothing: this is the node being located")
    }
}

impl<'de> Deserialize<'de> for RawEntries {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = RawEntries;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of entries, each `- url: https://host`")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawEntries, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = seq.next_element()? {
                    entries.push(entry);
                }
                if entries.is_empty() {
                    return Err(de::Error::custom(
                        "the endpoint list is empty: expected at least one entry",
                    ));
                }
                Ok(RawEntries(entries))
            }
        }
        deserializer.deserialize_seq(Entries)
    }
}

impl<'de> Deserialize<'de> for RawUrl {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The check runs inside the visitor: an error raised there gets the scalar's position.
        struct Url;
        impl Visitor<'_> for Url {
            type Value = RawUrl;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an http or https URL, e.g. https://host")
            }

            fn visit_str<E: de::Error>(self, written: &str) -> Result<RawUrl, E> {
                let target = Target::parse(written).map_err(E::custom)?;
                Ok(RawUrl {
                    written: written.to_owned(),
                    target,
                })
            }
        }
        deserializer.deserialize_str(Url)
    }
}

impl<'de> Deserialize<'de> for StatusSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Statuses;
        impl<'de> Visitor<'de> for Statuses {
            type Value = StatusSet;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of statuses such as [2xx, 3xx, 4xx]")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StatusSet, A::Error> {
                let mut patterns = Vec::new();
                while let Some(pattern) = seq.next_element()? {
                    patterns.push(pattern);
                }
                if patterns.is_empty() {
                    return Err(de::Error::custom(
                        "the `reachable` list is empty: expected statuses such as [2xx, 3xx, 4xx]",
                    ));
                }
                Ok(StatusSet(patterns))
            }
        }
        deserializer.deserialize_seq(Statuses)
    }
}

/// Written as the catalog writes it (`404`, `4xx`), so that it reads back the same.
impl serde::Serialize for StatusPattern {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            StatusPattern::Code(code) => serializer.serialize_u16(*code),
            StatusPattern::Class(class) => serializer.collect_str(&format_args!("{class}xx")),
        }
    }
}

impl<'de> Deserialize<'de> for StatusPattern {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Pattern;
        impl Visitor<'_> for Pattern {
            type Value = StatusPattern;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an HTTP status such as 404 or a class such as 4xx")
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<StatusPattern, E> {
                StatusPattern::parse(&value.to_string()).map_err(E::custom)
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<StatusPattern, E> {
                StatusPattern::parse(&value.to_string()).map_err(E::custom)
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<StatusPattern, E> {
                StatusPattern::parse(value).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(Pattern)
    }
}

impl StatusPattern {
    /// Parses `404` or `4xx`; the error says what was expected.
    fn parse(text: &str) -> Result<Self, String> {
        let invalid = || {
            format!(
                "'{text}' is not an HTTP status: expected a code from 100 to 599 \
                 or a class from 1xx to 5xx"
            )
        };
        let bytes = text.as_bytes();
        match bytes {
            [digit @ b'1'..=b'5', x, y]
                if x.eq_ignore_ascii_case(&b'x') && y.eq_ignore_ascii_case(&b'x') =>
            {
                Ok(StatusPattern::Class(digit - b'0'))
            }
            _ => match text.parse::<u16>() {
                Ok(code) if (100..=599).contains(&code) && bytes.len() == 3 => {
                    Ok(StatusPattern::Code(code))
                }
                _ => Err(invalid()),
            },
        }
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

    /// `[2xx, 3xx, 4xx]`: any answer from the service itself, even a 400 or 404, proves the path
    /// to it works.
    #[must_use]
    pub fn reachable_default() -> Self {
        StatusSet(vec![
            StatusPattern::Class(2),
            StatusPattern::Class(3),
            StatusPattern::Class(4),
        ])
    }
}

impl TrustRule {
    /// Every rule.
    pub const ALL: [TrustRule; 5] = [
        TrustRule::MicrosoftApplicationRoot,
        TrustRule::MicrosoftPublicRoots,
        TrustRule::MicrosoftUnconfirmed,
        TrustRule::PublicRoots,
        TrustRule::None,
    ];

    /// The rule's name as written in the catalog (`microsoft-application-root`).
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            TrustRule::MicrosoftApplicationRoot => "microsoft-application-root",
            TrustRule::MicrosoftPublicRoots => "microsoft-public-roots",
            TrustRule::MicrosoftUnconfirmed => "microsoft-unconfirmed",
            TrustRule::PublicRoots => "public-roots",
            TrustRule::None => "none",
        }
    }

    /// Whether a chain judged under this rule is known for the host: `false` only for
    /// `microsoft-unconfirmed`, whose results the report marks unconfirmed.
    #[must_use]
    pub fn confirmed(self) -> bool {
        self != TrustRule::MicrosoftUnconfirmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Catalog {
        parse(BUILTIN_YAML, BUILTIN_ORIGIN).expect("the built-in list parses")
    }

    fn entry<'a>(catalog: &'a [Endpoint], url: &str) -> &'a Endpoint {
        catalog
            .iter()
            .find(|e| e.url == url)
            .unwrap_or_else(|| panic!("{url} is listed"))
    }

    fn message(err: &CatalogError) -> String {
        err.to_string()
    }

    #[test]
    fn builtin_list_parses_and_every_entry_is_documented() {
        let catalog = builtin();
        assert_eq!(catalog.origin, "built-in");
        assert!(!catalog.endpoints.is_empty());
        for e in &catalog.endpoints {
            assert!(!e.purpose.is_empty(), "{} has a purpose", e.url);
            assert!(
                e.source.starts_with("MicrosoftDocs/"),
                "{} has a source",
                e.url
            );
            assert!(!e.profiles.is_empty(), "{} is in a profile", e.url);
            assert!(e.group.is_some(), "{} has a group", e.url);
            assert!(
                !e.reachable.0.is_empty(),
                "{} has reachable statuses",
                e.url
            );
        }
    }

    #[test]
    fn windows_builds_bound_by_build_and_revision() {
        let builds =
            |from: Option<(u32, Option<u32>)>, until: Option<(u32, Option<u32>)>| WindowsBuilds {
                from_build: from.map(|(b, _)| b),
                from_ubr: from.and_then(|(_, u)| u),
                until_build: until.map(|(b, _)| b),
                until_ubr: until.and_then(|(_, u)| u),
            };
        let v10c = builds(Some((17134, Some(285))), None);
        let v10 = builds(Some((17134, None)), Some((17134, Some(284))));
        let watson = builds(None, Some((17134, None)));
        let cases = [
            (v10c, 17134, Some(285), Some(true)),
            (v10c, 17134, Some(284), Some(false)),
            (v10c, 17134, None, None),
            (v10c, 17763, None, Some(true)),
            (v10c, 16299, Some(9999), Some(false)),
            (v10, 17134, Some(284), Some(true)),
            (v10, 17134, Some(285), Some(false)),
            (v10, 17134, None, None),
            (v10, 17763, Some(1), Some(false)),
            (watson, 17134, None, Some(true)),
            (watson, 17763, None, Some(false)),
        ];
        for (range, build, ubr, expected) in cases {
            assert_eq!(
                range.uses(build, ubr),
                expected,
                "{range:?} {build}.{ubr:?}"
            );
        }
        let errors = [
            (
                builds(None, None),
                "expected `from_build`, `until_build` or both",
            ),
            (
                WindowsBuilds {
                    from_ubr: Some(1),
                    until_build: Some(2),
                    ..WindowsBuilds::default()
                },
                "`from_ubr` needs `from_build`",
            ),
            (
                builds(Some((17763, None)), Some((17134, None))),
                "`from_build` 17763 comes after `until_build` 17134: no build would use it",
            ),
        ];
        for (range, expected) in errors {
            assert_eq!(range.check().expect_err(expected), expected);
        }
        let yaml =
            "endpoints:\n  - url: https://a.example\n    windows: {from_build: 1, since: 2}\n";
        assert!(message(&parse(yaml, "a.yaml").expect_err("unknown field")).contains("since"));
    }

    #[test]
    fn builtin_profiles_have_the_documented_entry_counts() {
        let catalog = builtin();
        let cases = [
            ("windows-diagnostic-data", 18),
            ("processor-config", 4),
            ("desktop-analytics", 18),
            ("service-connection-point", 4),
            ("update-compliance", 7),
            ("wufb-reports", 16),
            ("wufb-reports-eu", 14),
            ("all", 31),
        ];
        for (profile, count) in cases {
            let selected = catalog.select(profile).expect("known profile");
            assert_eq!(selected.len(), count, "{profile}");
        }
        let names: Vec<&str> = cases[..7].iter().map(|(name, _)| *name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(catalog.profiles(), sorted);
    }

    /// The hosts `profile` selects, sorted.
    fn hosts(profile: &str) -> Vec<String> {
        let mut hosts: Vec<String> = builtin()
            .select(profile)
            .expect("known profile")
            .into_iter()
            .map(|e| e.target.host)
            .collect();
        hosts.sort_unstable();
        hosts
    }

    fn sorted(hosts: &[&str]) -> Vec<String> {
        let mut hosts: Vec<String> = hosts.iter().map(|h| (*h).to_owned()).collect();
        hosts.sort_unstable();
        hosts
    }

    #[test]
    fn the_default_profile_is_windows_diagnostic_data() {
        assert_eq!(DEFAULT_PROFILE, "windows-diagnostic-data");
        assert!(
            builtin()
                .profiles()
                .iter()
                .any(|p| p == "desktop-analytics")
        );
    }

    /// The Endpoints table of "Configure Windows diagnostic data in your organization"
    /// (windows-itpro-docs windows/privacy/configure-windows-diagnostic-data-in-your-organization.md
    /// @7af7e3df854af6770aff6738d0252614e33d410a), row by row.
    #[test]
    fn windows_diagnostic_data_is_exactly_the_documented_endpoints_table() {
        let table = [
            // Connected User Experiences and Telemetry
            "v10.events.data.microsoft.com",
            "v10c.events.data.microsoft.com",
            "v10.vortex-win.data.microsoft.com",
            // Windows Error Reporting
            "watson.telemetry.microsoft.com",
            "umwatsonc.events.data.microsoft.com",
            "*-umwatsonc.events.data.microsoft.com",
            "ceuswatcab01.blob.core.windows.net",
            "ceuswatcab02.blob.core.windows.net",
            "eaus2watcab01.blob.core.windows.net",
            "eaus2watcab02.blob.core.windows.net",
            "weus2watcab01.blob.core.windows.net",
            "weus2watcab02.blob.core.windows.net",
            // Authentication
            "login.live.com",
            // Online Crash Analysis
            "oca.telemetry.microsoft.com",
            "oca.microsoft.com",
            "kmwatsonc.events.data.microsoft.com",
            "*-kmwatsonc.events.data.microsoft.com",
            // Settings
            "settings-win.data.microsoft.com",
        ];
        assert_eq!(hosts("windows-diagnostic-data"), sorted(&table));
    }

    /// "Enable Windows diagnostic data processor configuration", same page: the US hosts.
    #[test]
    fn processor_config_is_exactly_the_documented_list() {
        let list = [
            "us-v10c.events.data.microsoft.com",
            "watsonc.events.data.microsoft.com",
            "settings-win.data.microsoft.com",
            "*.blob.core.windows.net",
        ];
        assert_eq!(hosts("processor-config"), sorted(&list));
    }

    /// The `WUfB` reports include (`wufb-reports-endpoints.md@2ef11878`) plus the processor
    /// configuration its devices are enrolled in; the EU profile swaps in the EU hosts.
    #[test]
    fn wufb_reports_profiles_are_the_include_plus_the_processor_configuration() {
        let include = [
            "*v10c.events.data.microsoft.com",
            "umwatsonc.events.data.microsoft.com",
            "v10.vortex-win.data.microsoft.com",
            "settings-win.data.microsoft.com",
            "adl.windows.com",
            "oca.telemetry.microsoft.com",
            "login.live.com",
            "ceuswatcab01.blob.core.windows.net",
            "ceuswatcab02.blob.core.windows.net",
            "eaus2watcab01.blob.core.windows.net",
            "eaus2watcab02.blob.core.windows.net",
            "weus2watcab01.blob.core.windows.net",
            "weus2watcab02.blob.core.windows.net",
        ];
        let mut us: Vec<&str> = include.to_vec();
        us.extend([
            "us-v10c.events.data.microsoft.com",
            "watsonc.events.data.microsoft.com",
            "*.blob.core.windows.net",
        ]);
        assert_eq!(hosts("wufb-reports"), sorted(&us));
        let mut eu: Vec<&str> = include
            .iter()
            .copied()
            .filter(|h| {
                !matches!(
                    *h,
                    "*v10c.events.data.microsoft.com" | "umwatsonc.events.data.microsoft.com"
                )
            })
            .collect();
        eu.extend([
            "eu-v10c.events.data.microsoft.com",
            "eu-watsonc.events.data.microsoft.com",
            "*.blob.core.windows.net",
        ]);
        assert_eq!(hosts("wufb-reports-eu"), sorted(&eu));
    }

    #[test]
    fn new_hosts_are_unconfirmed_and_the_eu_and_us_v10c_use_the_keepalive_path() {
        let catalog = builtin();
        let e = |host: &str| {
            catalog
                .endpoints
                .iter()
                .find(|e| e.target.host == host)
                .unwrap_or_else(|| panic!("{host} is listed"))
        };
        for host in [
            "us-v10c.events.data.microsoft.com",
            "watsonc.events.data.microsoft.com",
            "oca.microsoft.com",
            "*-umwatsonc.events.data.microsoft.com",
            "*-kmwatsonc.events.data.microsoft.com",
        ] {
            assert_eq!(e(host).trust, TrustRule::MicrosoftUnconfirmed, "{host}");
            assert!(!e(host).trust.confirmed(), "{host}");
        }
        for host in [
            "v10c.events.data.microsoft.com",
            "eu-v10c.events.data.microsoft.com",
            "us-v10c.events.data.microsoft.com",
        ] {
            assert_eq!(e(host).probe_path, "/health/keepalive", "{host}");
        }
        let blob = e("*.blob.core.windows.net");
        assert_eq!(blob.trust, TrustRule::MicrosoftPublicRoots);
        assert_eq!(
            blob.probe_target().map(|t| t.host),
            Some("ceuswatcab01.blob.core.windows.net".to_owned())
        );
        for host in [
            "*-umwatsonc.events.data.microsoft.com",
            "*-kmwatsonc.events.data.microsoft.com",
        ] {
            assert!(
                e(host).wildcard && e(host).probe_target().is_none(),
                "{host}"
            );
        }
        let builds = e("us-v10c.events.data.microsoft.com")
            .windows
            .expect("builds");
        assert_eq!(builds.uses(17763, None), Some(true));
        assert_eq!(builds.uses(17134, Some(285)), Some(false));
    }

    #[test]
    fn desktop_analytics_profile_has_the_client_endpoints() {
        let selected = builtin().select("desktop-analytics").expect("profile");
        let cases = [
            (
                "https://v10c.events.data.microsoft.com",
                Scheme::Https,
                "/health/keepalive",
                TrustRule::MicrosoftApplicationRoot,
            ),
            (
                "https://vortex-win.data.microsoft.com",
                Scheme::Https,
                "/health/keepalive",
                TrustRule::MicrosoftApplicationRoot,
            ),
            ("http://adl.windows.com", Scheme::Http, "/", TrustRule::None),
            (
                "https://ceuswatcab01.blob.core.windows.net",
                Scheme::Https,
                "/",
                TrustRule::MicrosoftPublicRoots,
            ),
            (
                "https://login.live.com",
                Scheme::Https,
                "/",
                TrustRule::MicrosoftPublicRoots,
            ),
            (
                "https://v20.events.data.microsoft.com",
                Scheme::Https,
                "/",
                TrustRule::MicrosoftApplicationRoot,
            ),
        ];
        for (url, scheme, probe_path, trust) in cases {
            let e = entry(&selected, url);
            assert_eq!(e.target.scheme, scheme, "{url}");
            assert_eq!(e.probe_path, probe_path, "{url}");
            assert_eq!(e.trust, trust, "{url}");
            assert!(
                e.reachable.contains(404) && !e.reachable.contains(502),
                "{url}"
            );
        }
        assert_eq!(entry(&selected, "http://adl.windows.com").target.port, 80);
        assert!(
            selected
                .iter()
                .all(|e| e.group.as_deref() != Some("server"))
        );
    }

    #[test]
    fn eu_profile_uses_the_eu_hosts_instead_of_v10c_and_umwatsonc() {
        let hosts: Vec<String> = builtin()
            .select("wufb-reports-eu")
            .expect("eu profile")
            .into_iter()
            .map(|e| e.target.host)
            .collect();
        let cases = [
            ("eu-v10c.events.data.microsoft.com", true),
            ("eu-watsonc.events.data.microsoft.com", true),
            ("v10.vortex-win.data.microsoft.com", true),
            ("v10c.events.data.microsoft.com", false),
            ("*v10c.events.data.microsoft.com", false),
            ("umwatsonc.events.data.microsoft.com", false),
        ];
        for (host, expected) in cases {
            assert_eq!(hosts.iter().any(|h| h == host), expected, "{host}");
        }
    }

    #[test]
    fn wildcards_are_detected_and_probed_through_their_probe_host() {
        let catalog = builtin();
        let cases = [
            ("https://*.manage.microsoft.com", true, None),
            (
                "https://*v10c.events.data.microsoft.com",
                true,
                Some("https://v10c.events.data.microsoft.com/health/keepalive"),
            ),
            ("https://aka.ms", false, Some("https://aka.ms/")),
        ];
        for (url, wildcard, probe) in cases {
            let e = entry(&catalog.endpoints, url);
            assert_eq!(e.wildcard, wildcard, "{url}");
            assert_eq!(
                e.probe_target().map(|t| t.to_string()).as_deref(),
                probe,
                "{url}"
            );
        }
    }

    #[test]
    fn user_entries_inherit_from_the_builtin_host_or_get_generic_defaults() {
        let yaml = r"
endpoints:
  - url: https://v10c.events.data.microsoft.com
  - url: https://proxy-test.example.com:8443/check
  - url: http://plain.example.com
  - url: https://login.live.com
    purpose: mine
    reachable: [200]
  - url: https://adl.windows.com
";
        let catalog = parse(yaml, "mine.yaml").expect("valid user file");
        let v10c = entry(&catalog.endpoints, "https://v10c.events.data.microsoft.com");
        assert_eq!(v10c.probe_path, "/health/keepalive");
        assert_eq!(v10c.trust, TrustRule::MicrosoftApplicationRoot);
        assert!(
            v10c.source
                .contains("internet-endpoints-desktop-analytics.md")
        );
        assert!(v10c.profiles.is_empty(), "profiles are not inherited");

        let custom = entry(
            &catalog.endpoints,
            "https://proxy-test.example.com:8443/check",
        );
        assert_eq!(custom.purpose, USER_PURPOSE);
        assert_eq!(custom.source, "mine.yaml");
        assert_eq!(custom.probe_path, "/check");
        assert_eq!(custom.trust, TrustRule::PublicRoots);
        assert_eq!(custom.reachable, StatusSet::reachable_default());
        assert_eq!(custom.target.port, 8443);

        let plain = entry(&catalog.endpoints, "http://plain.example.com");
        assert_eq!(
            (plain.trust, plain.probe_path.as_str()),
            (TrustRule::None, "/")
        );

        let login = entry(&catalog.endpoints, "https://login.live.com");
        assert_eq!(login.purpose, "mine");
        assert_eq!(login.reachable, StatusSet(vec![StatusPattern::Code(200)]));
        assert_eq!(login.trust, TrustRule::MicrosoftPublicRoots);

        // The built-in adl entry is plain http: its `trust: none` cannot carry over to https.
        let adl = entry(&catalog.endpoints, "https://adl.windows.com");
        assert_eq!(adl.trust, TrustRule::PublicRoots);
        assert!(adl.purpose.contains("compatibility data"));

        // A list of bare URLs names no profile: every profile selects all of it.
        for profile in ["all", DEFAULT_PROFILE, "anything"] {
            assert_eq!(
                catalog.select(profile).expect("no filter").len(),
                5,
                "{profile}"
            );
        }
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let err = builtin().select("desktop-analytic").expect_err("unknown");
        let text = message(&err);
        assert!(matches!(err, CatalogError::UnknownProfile { .. }));
        assert!(text.contains("desktop-analytic'"), "{text}");
        assert!(
            text.contains("desktop-analytics, processor-config, service-connection-point"),
            "{text}"
        );
        assert!(text.ends_with(", all"), "{text}");
    }

    /// Parses each file and returns the rows whose error does not start with
    /// `mine.yaml: line L, column C:` and contain the reason.
    fn mismatches(cases: &[(&str, usize, usize, &str)], prefix: &str) -> Vec<String> {
        let mut wrong = Vec::new();
        for &(body, line, column, reason) in cases {
            let yaml = format!("{prefix}{body}");
            let text = match parse(&yaml, "mine.yaml") {
                Ok(_) => "parsed".to_owned(),
                Err(err) => message(&err),
            };
            let at = format!("mine.yaml: line {line}, column {column}: ");
            if !text.starts_with(&at) || !text.contains(reason) || text.contains("hunter2") {
                wrong.push(format!("{yaml:?}\n  got: {text}"));
            }
        }
        wrong
    }

    #[test]
    fn invalid_entries_are_reported_with_line_column_and_reason() {
        // Each body follows "endpoints:\n", so the entry starts on line 2.
        #[rustfmt::skip] // one row per case reads as a table
        let cases = [
            ("  - url: https://a.example\n    colour: red\n", 3, 5, "unknown field `colour`"),
            ("  - url: ftp://x\n", 2, 10,
             "'ftp://x' is not a valid endpoint URL: the scheme must be http or https"),
            ("  - url: https://user:hunter2@a.example/\n", 2, 10,
             "'https://***@a.example/' is not a valid endpoint URL: it must not contain a user"),
            ("  - url: https://a.example:0\n", 2, 10, "the port must be a number from 1 to 65535"),
            ("  - url: https://a.example:65536\n", 2, 10, "the port must be a number from 1"),
            ("  - url: https://a.example:x\n", 2, 10, "the port must be a number from 1"),
            ("  - url: https://a.*.example\n", 2, 10, "`*` is allowed only at the start"),
            ("  - url: https://*\n", 2, 10, "the wildcard '*' must be `*` before a host name"),
            ("  - url: https://::1/\n", 2, 10, "an IPv6 literal must be in brackets"),
            ("  - url: https://[::1\n", 2, 10, "an IPv6 literal needs its closing `]`"),
            ("  - url: https:///x\n", 2, 10, "the host is missing"),
            ("  - url: a.example\n", 2, 10, "expected scheme://host"),
            ("  - url: me:hunter2@a.example\n", 2, 10, "'***@a.example' is not a valid endpoint"),
            ("  - url: https://é.example\n", 2, 10, "contains 'é': expected letters, digits"),
            ("  - url: https://a.example/a b\n", 2, 10, "the path must be ASCII without spaces"),
            ("  - url: [https://a.example]\n", 2, 10, "expected an http or https URL"),
            ("  - purpose: x\n", 2, 5, "missing field `url`: every entry needs one"),
            ("  - url: https://a.example\n    url: https://b.example\n", 2, 5,
             "duplicate field `url`"),
            ("  - url: https://a.example\n  - url: https://A.example/\n", 3, 10,
             "'https://A.example/' duplicates the entry at line 2"),
            ("  - url: https://a.example\n    reachable: [2xx, 600]\n", 3, 22,
             "'600' is not an HTTP status: expected a code from 100 to 599 or a class"),
            ("  - url: https://a.example\n    reachable: [6xx]\n", 3, 17,
             "'6xx' is not an HTTP status"),
            ("  - url: https://a.example\n    reachable: []\n", 3, 16,
             "the `reachable` list is empty"),
            ("  - url: https://a.example\n    trust: none\n", 3, 12,
             "`trust: none` is only for http URLs"),
            ("  - url: http://a.example\n    trust: public-roots\n", 3, 12,
             "`trust: public-roots` needs an https URL"),
            ("  - url: https://a.example\n    trust: pinned\n", 3, 12,
             "unknown variant `pinned`"),
            ("  - url: https://a.example\n    probe_host: b.example\n", 3, 17,
             "probe_host is only for wildcard URLs"),
            ("  - url: https://*.a.example\n    probe_host: b.example\n", 3, 17,
             "probe_host 'b.example' is not covered by the pattern '*.a.example'"),
            ("  - url: https://a.example\n    probe_path: health\n", 3, 17,
             "probe_path 'health' must start with `/`"),
            ("  - url: https://a.example\n    profiles: [ok, Bad Name]\n", 3, 20,
             "'Bad Name' is not a profile name"),
            ("  - url: https://a.example\n    profiles: [all]\n", 3, 16,
             "the profile name `all` is reserved"),
            ("  - url: https://a.example\n    wildcard: true\n", 3, 15,
             "`wildcard: true` contradicts the host"),
            ("  - url: https://a.example\n   purpose: x\n", 3, 4, "did not find expected"),
            ("\t- url: https://a.example\n", 2, 1, "a tab character is not allowed here"),
            ("  - https://a.example\n", 2, 5, "expected an entry mapping with a `url` key"),
        ];
        let wrong = mismatches(&cases, "endpoints:\n");
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn invalid_files_are_reported_with_line_column_and_reason() {
        #[rustfmt::skip] // one row per case reads as a table
        let cases = [
            ("endpoints: https://a.example\n", 1, 12, "expected a list of entries"),
            ("- url: https://a.example\n", 1, 1, "expected a mapping with an `endpoints` list"),
            ("endpoints: []\n", 1, 12, "the endpoint list is empty"),
            ("endpoints:\n", 1, 11, "the endpoint list is empty"),
            ("urls: []\n", 1, 1, "unknown field `urls`"),
            ("version: 1\n", 1, 1, "unknown field `version`"),
            ("{}\n", 1, 1, "missing field `endpoints`: expected `endpoints:` followed by"),
            ("# nothing yet\n", 1, 1, "the file is empty"),
            ("", 1, 1, "the file is empty"),
            ("endpoints: [\n", 2, 1, "did not find expected node content"),
        ];
        let wrong = mismatches(&cases, "");
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn garbage_never_panics() {
        let cases = [
            "endpoints: [[[",
            "endpoints: {a: b}",
            "endpoints:\n  - url: [1, 2]\n",
            "endpoints:\n  - url: ~\n",
            "endpoints:\n  - url: 42\n",
            "endpoints:\n  - *x\n",
            "---\nendpoints: []\n---\n",
            "\u{feff}endpoints: 1",
            "endpoints:\n  - &a {url: https://a.example}\n  - *a\n",
            "endpoints:\n  - url: !tag https://a.example\n",
            "endpoints:\n  - url: https://a.example\n    reachable: 4xx\n",
            "endpoints:\n  - url: https://a.example\n    reachable: [-1, 1e3, 4.5]\n",
            "endpoints:\n  - url: \"https://a.example/\\u0000\"\n",
            "endpoints:\n  - url: https://[::1\n",
            "endpoints:\n  - url: https://[zz]/\n",
            "endpoints:\n  - url: https://[::1]x\n",
            ":\n",
            "- - -",
            "{",
            "\"",
            "endpoints:\n  - url: https://é.example\n",
        ];
        for yaml in cases {
            if let Err(err) = parse(yaml, "mine.yaml") {
                let text = message(&err);
                assert!(text.starts_with("mine.yaml: line "), "{yaml:?}: {text}");
            }
        }
    }

    #[test]
    fn load_reads_a_file_and_names_it_in_errors() {
        let dir = tempfile::tempdir().expect("temp dir");
        let good = dir.path().join("good.yaml");
        std::fs::write(&good, "endpoints:\n  - url: https://a.example\n").expect("write");
        let catalog = load(Some(&good)).expect("loads");
        assert_eq!(catalog.origin, good.display().to_string());
        assert_eq!(catalog.endpoints[0].source, good.display().to_string());

        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "endpoints:\n  - url: ftp://x\n").expect("write");
        let text = message(&load(Some(&bad)).expect_err("bad scheme"));
        assert!(
            text.starts_with(&format!("{}: line 2, column 10:", bad.display())),
            "{text}"
        );

        let missing = dir.path().join("missing.yaml");
        assert!(matches!(load(Some(&missing)), Err(CatalogError::File(_))));
        assert_eq!(load(None).expect("built-in").origin, BUILTIN_ORIGIN);
    }

    #[test]
    fn nesting_past_the_limit_is_refused_before_parsing_naming_the_line_and_column() {
        let limit =
            format!("nested more than {MAX_NESTING} levels deep, the limit for endpoint lists");
        let flow = format!(
            "endpoints: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let dashes = format!(
            "endpoints:\n  - url: https://a.example\n  {}x\n",
            "- ".repeat(40)
        );
        let indented: String = std::iter::once("endpoints:\n".to_owned())
            .chain((1..40).map(|depth| format!("{}-\n", " ".repeat(depth))))
            .collect();
        let cases = [
            (flow.as_str(), "line 1, column 27"),
            (dashes.as_str(), "line 3, column 31"),
            (indented.as_str(), "line 16, column 16"),
        ];
        for (yaml, at) in cases {
            let text = message(&parse(yaml, "deep.yaml").expect_err("too deep"));
            assert_eq!(text, format!("deep.yaml: {at}: {limit}"));
        }
    }

    #[test]
    fn nesting_within_the_limit_quoted_brackets_and_block_text_are_not_counted() {
        assert_eq!(too_deep(BUILTIN_YAML, MAX_NESTING), None);
        let shallow = [
            "endpoints: [{url: https://a.example, profiles: [a, b]}]\n",
            "endpoints:\n  - url: 'https://a.example/[[[[[[[[[[[[[[[[[[[[[[['\n",
            "endpoints:\n  - url: \"https://a.example/{{{{{{{{{{{{{{{{{{{{{{{{\\\"\"\n",
            "endpoints: # [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n  - url: https://a.example\n",
            "note: |\n  [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n    - - - - - - - - - - - - - - - - - -\nendpoints: []\n",
        ];
        for yaml in shallow {
            assert_eq!(too_deep(yaml, MAX_NESTING), None, "{yaml}");
        }
    }

    #[test]
    fn status_sets_match_codes_and_classes() {
        let set = StatusSet(vec![StatusPattern::Class(2), StatusPattern::Code(404)]);
        let cases = [
            (200, true),
            (204, true),
            (404, true),
            (403, false),
            (500, false),
        ];
        for (status, expected) in cases {
            assert_eq!(set.contains(status), expected, "{status}");
        }
    }

    #[test]
    fn a_list_of_more_endpoints_than_the_limit_is_refused_at_the_first_one_too_many() {
        let yaml: String = std::iter::once("endpoints:\n".to_owned())
            .chain((0..=MAX_ENDPOINTS).map(|i| format!("  - url: https://h{i}.example\n")))
            .collect();
        let err = parse(&yaml, "big.yaml").expect_err("too many endpoints");
        let message = err.to_string();
        assert!(message.contains("more than 1000 endpoints"), "{message}");
        assert!(message.starts_with("big.yaml: line 1002,"), "{message}");
    }
}
