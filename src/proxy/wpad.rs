//! WPAD discovery as `WinHTTP` does it: DHCP option 252 (Windows only), then the DNS walk
//! `http://wpad.<suffix>/wpad.dat`, each PAC fetched directly, under a deadline and a size cap.
//!
//! This module finds and fetches the PAC text and says what was dangerous on the way; it never
//! evaluates the script (that is the PAC evaluator's job).

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::net::http::{self, HttpError, Request};
use crate::net::millis;
use crate::net::tcp::{self, ConnectError};
use crate::proxy::resolve::NameResolver;
use crate::route::split_host_port;
use crate::url::{Scheme, Target};

/// The media type a PAC should be served with (Netscape's PAC specification).
pub(crate) const PAC_CONTENT_TYPE: &str = "application/x-ns-proxy-autoconfig";

/// The size cap `WinHTTP`'s documentation gave for a PAC script, and the default here.
pub(crate) const DEFAULT_MAX_SIZE: usize = 1024 * 1024;

/// What WPAD discovery may do, and where it may look.
#[derive(Clone)]
pub struct WpadOptions {
    /// `--wpad-domain`: the DNS suffix to walk instead of the one the OS reports.
    pub domain: Option<String>,
    /// Answers the `wpad.<suffix>` lookups (and the host of a DHCP-provided URL).
    pub resolver: Arc<dyn NameResolver>,
    /// The deadline for each step on its own (a lookup, a fetch, a `WinHTTP` call).
    pub timeout: Duration,
    /// The largest PAC body read; a larger one is an outcome ([`StepOutcome::TooLarge`]).
    pub max_size: usize,
    /// The port of `http://wpad.<suffix>/wpad.dat`: 80, except in tests.
    pub port: u16,
    /// Whether auto-detect is on in a context that uses WPAD; finding no PAC is then a warning.
    pub auto_detect_on: bool,
    /// Whether to ask the OS (DHCP option 252, `WinHTTP`'s own detection, the primary DNS suffix
    /// or `/etc/resolv.conf`). Tests turn it off so that nothing leaves the machine.
    pub query_os: bool,
}

/// Every step WPAD discovery tried, the PAC it found, and what looked dangerous.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WpadReport {
    pub steps: Vec<WpadStep>,
    /// The PAC found, if any: the first 200 answer whose body mentions `FindProxyForURL`.
    pub pac: Option<FoundPac>,
    /// The DNS suffix the walk started from, and where it came from.
    pub domain: Option<DnsSuffix>,
    /// The `wpad.<suffix>` names of the walk, in the order they are tried.
    pub candidates: Vec<String>,
    pub warnings: Vec<String>,
}

/// One thing discovery tried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WpadStep {
    /// e.g. `DHCP option 252`, `DNS wpad.corp.example`, `GET http://wpad.corp.example/wpad.dat`.
    pub what: String,
    pub outcome: StepOutcome,
    pub elapsed_ms: u64,
    /// The addresses a DNS step found.
    pub addresses: Vec<IpAddr>,
    /// What the server answered, for a fetch that got an answer.
    pub response: Option<PacResponse>,
}

/// How a step ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepOutcome {
    /// The step found what it looked for: an address, a URL, a PAC.
    Found { detail: String },
    /// The step completed and there was nothing: no DHCP option, no such name, a 404, no PAC.
    NotFound { reason: String },
    /// The step could not complete: connection refused, not HTTP, closed early.
    Failed { reason: String },
    /// No answer within the step's deadline.
    TimedOut { after_ms: u64 },
    /// The body was larger than the size cap; nothing past the cap was read.
    TooLarge { limit_bytes: u64 },
    /// The step cannot exist on this OS or with these inputs.
    NotApplicable { reason: String },
    /// The step was not needed, or not allowed in this run.
    Skipped { reason: String },
}

/// The head of a `wpad.dat` answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacResponse {
    /// The address the connection went to.
    pub served_by: SocketAddr,
    pub status: u16,
    pub content_type: Option<String>,
    /// The `Location` of a redirect, which is reported and never followed.
    pub location: Option<String>,
    /// How many body bytes were read (at most the cap).
    pub body_bytes: u64,
}

/// A PAC script WPAD led to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FoundPac {
    /// The URL it was fetched from, e.g. `http://wpad.corp.example/wpad.dat`.
    pub url: String,
    /// The script's text (invalid UTF-8 replaced), for the PAC evaluator.
    pub source: String,
    pub served_by: SocketAddr,
    /// What led to it: `DHCP option 252` or `DNS wpad.corp.example`.
    pub found_by: String,
}

/// The DNS suffix the walk starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsSuffix {
    /// Lower case, without a final dot.
    pub name: String,
    /// `--wpad-domain`, `primary DNS suffix`, `/etc/resolv.conf search` or `/etc/resolv.conf
    /// domain`.
    pub source: String,
}

/// The `wpad.<suffix>` names to try for a DNS suffix, and what is dangerous about them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Walk {
    /// Longest first, never above the registrable domain.
    pub candidates: Vec<String>,
    pub warnings: Vec<String>,
}

impl WpadOptions {
    /// Options with the defaults: the OS's suffix, port 80, a 5 s deadline per step, a 1 MiB cap.
    #[must_use]
    pub fn new(resolver: Arc<dyn NameResolver>) -> Self {
        Self {
            domain: None,
            resolver,
            timeout: Duration::from_secs(5),
            max_size: DEFAULT_MAX_SIZE,
            port: 80,
            auto_detect_on: false,
            query_os: true,
        }
    }
}

impl fmt::Debug for WpadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WpadOptions")
            .field("domain", &self.domain)
            .field("timeout", &self.timeout)
            .field("max_size", &self.max_size)
            .field("port", &self.port)
            .field("auto_detect_on", &self.auto_detect_on)
            .field("query_os", &self.query_os)
            .finish_non_exhaustive()
    }
}

/// The step's text in the report's sources: the outcome in words, then its detail, e.g.
/// `not found: HTTP 404 Not Found: only a 200 answer gives a PAC` or `timed out: 5000`.
impl fmt::Display for StepOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepOutcome::Found { detail } => write!(f, "found: {detail}"),
            StepOutcome::NotFound { reason } => write!(f, "not found: {reason}"),
            StepOutcome::Failed { reason } => write!(f, "failed: {reason}"),
            StepOutcome::TimedOut { after_ms } => write!(f, "timed out: {after_ms}"),
            StepOutcome::TooLarge { limit_bytes } => write!(f, "too large: {limit_bytes}"),
            StepOutcome::NotApplicable { reason } => write!(f, "not applicable: {reason}"),
            StepOutcome::Skipped { reason } => write!(f, "skipped: {reason}"),
        }
    }
}

/// Runs WPAD discovery: DHCP option 252, the DNS suffix, then each `wpad.<suffix>` in turn.
///
/// Every network step has `options.timeout`, so the whole run takes at most that times the
/// number of steps. Nothing here fails: each problem is a step's outcome or a warning.
pub async fn discover(options: &WpadOptions) -> WpadReport {
    let mut report = WpadReport::default();

    // WinHTTP asks DHCP first and, given a DHCP URL, never looks at DNS (docs/formats.md §7.1).
    if let Some(url) = dhcp_step(options, &mut report).await {
        fetch_url(&url, DHCP_STEP, options, &mut report).await;
    }

    report.domain = suffix_step(options, &mut report);
    if let Some(suffix) = &report.domain {
        let walk = walk(&suffix.name);
        report.candidates = walk.candidates;
        report.warnings.extend(walk.warnings);
    }

    let candidates = report.candidates.clone();
    for (index, candidate) in candidates.iter().enumerate() {
        if let Some(pac) = &report.pac {
            report.steps.push(WpadStep::new(
                format!("DNS {candidate}"),
                StepOutcome::Skipped {
                    reason: format!("{} already gave a PAC", pac.found_by),
                },
                Duration::ZERO,
            ));
            continue;
        }
        if index > 0 && index + 1 == candidates.len() {
            warn_walk_reached_top(candidate, &mut report);
        }
        let url = wpad_url(candidate, options.port);
        fetch_url(&url, &format!("DNS {candidate}"), options, &mut report).await;
    }

    winhttp_dns_step(options, &mut report).await;
    final_warnings(options, &mut report);
    report
}

/// The `wpad.<suffix>` names `WinHTTP` would try for `domain`, stopping at the registrable domain.
///
/// A name under a public suffix (`wpad.co.uk`, `wpad.com`) is never a candidate; the walk says
/// which one it refused. A single-label suffix has no registrable domain and gets only
/// `wpad.<suffix>`, with a warning.
#[must_use]
pub(crate) fn walk(domain: &str) -> Walk {
    let Some(name) = normalize_domain(domain) else {
        return Walk {
            candidates: Vec::new(),
            warnings: vec![format!(
                "'{domain}' is not a DNS domain name: no WPAD name was tried"
            )],
        };
    };
    let Some(registrable) = psl::domain_str(&name).map(str::to_owned) else {
        return walk_without_registrable_domain(&name);
    };
    let mut candidates = Vec::new();
    let mut rest = name.as_str();
    loop {
        candidates.push(format!("wpad.{rest}"));
        if rest == registrable {
            break;
        }
        match rest.split_once('.') {
            Some((_, parent)) if parent.len() >= registrable.len() => rest = parent,
            _ => break,
        }
    }
    let mut warnings = Vec::new();
    if let Some((_, suffix)) = registrable.split_once('.') {
        warnings.push(format!(
            "the DNS walk stops at wpad.{registrable}: the next name, wpad.{suffix}, would sit \
             directly under the public suffix '{suffix}', where anyone who registers it could \
             hand every device a PAC (the WPAD name-collision attack, US-CERT TA16-144A); \
             dapreflight never queries it{}",
            if suffix.contains('.') {
                ", but clients that devolve to two labels (Windows before 7 without KB971888) do"
            } else {
                ""
            }
        ));
    }
    Walk {
        candidates,
        warnings,
    }
}

fn walk_without_registrable_domain(name: &str) -> Walk {
    let known = psl::suffix(name.as_bytes()).is_some_and(|suffix| suffix.is_known());
    if known || name.contains('.') {
        return Walk {
            candidates: Vec::new(),
            warnings: vec![format!(
                "the DNS suffix '{name}' is itself a public suffix: wpad.{name} is never tried, \
                 because whoever registers that name would hand every device a PAC (the WPAD \
                 name-collision attack, US-CERT TA16-144A)"
            )],
        };
    }
    Walk {
        candidates: vec![format!("wpad.{name}")],
        warnings: vec![format!(
            "the DNS suffix '{name}' is a single label with no registrable domain: wpad.{name} \
             is the only name tried, its queries can leak to public DNS, and if '{name}' ever \
             becomes a public top-level domain its owner could answer them (US-CERT TA16-144A)"
        )],
    }
}

/// Lower-cases a domain, drops a final dot, and checks its labels; `None` if it is not a name.
fn normalize_domain(domain: &str) -> Option<String> {
    let name = domain.trim().trim_end_matches('.').to_lowercase();
    let valid_label = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && label
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_'))
    };
    (name.len() <= 253 && name.split('.').all(valid_label)).then_some(name)
}

/// The primary DNS suffix as `/etc/resolv.conf` gives it: the first `search` domain, or the
/// `domain` line, whichever comes last (as resolv.conf(5) says the last one wins).
///
/// The file is read by `resolv-conf`, the parser hickory-resolver uses, but not through
/// hickory's `parse_resolv_conf`: that one forgets which directive chose the suffix (the report
/// names it), refuses a file without `nameserver`, and falls back to the host name.
#[must_use]
#[cfg(any(not(windows), test))] // Windows asks the system for its suffix instead
pub(crate) fn parse_resolv_conf(text: &str) -> Option<DnsSuffix> {
    // Lines it cannot parse are skipped, as the C resolver skips them; they say nothing here.
    let (config, _errors) = resolv_conf::Config::parse_with_errors(text.as_bytes());
    // `search .` means "no search list".
    let chosen = config
        .get_last_search_or_domain()
        .find(|name| !name.trim_end_matches('.').is_empty())?;
    // resolv-conf keeps to itself which directive came last, but the name it yields is borrowed
    // from that directive's own field, so its address tells them apart.
    let directive = if config
        .get_domain()
        .is_some_and(|domain| std::ptr::eq(domain, chosen))
    {
        "domain"
    } else {
        "search"
    };
    Some(DnsSuffix {
        name: chosen.trim_end_matches('.').to_lowercase(),
        source: format!("/etc/resolv.conf {directive}"),
    })
}

impl WpadStep {
    fn new(what: String, outcome: StepOutcome, elapsed: Duration) -> Self {
        Self {
            what,
            outcome,
            elapsed_ms: millis(elapsed),
            addresses: Vec::new(),
            response: None,
        }
    }
}

const DHCP_STEP: &str = "DHCP option 252";

/// Step 1: the PAC URL from DHCP option 252, through `WinHTTP`.
async fn dhcp_step(options: &WpadOptions, report: &mut WpadReport) -> Option<Target> {
    let started = Instant::now();
    let (outcome, url) = match os_detect(options, DetectBy::Dhcp).await {
        Ok(Some(text)) => match parse_pac_url(&text) {
            Ok(url) => (StepOutcome::Found { detail: text }, Some(url)),
            // The reason quotes the URL itself.
            Err(reason) => (StepOutcome::Failed { reason }, None),
        },
        Ok(None) => (
            StepOutcome::NotFound {
                reason: "no DHCP server sent option 252".to_owned(),
            },
            None,
        ),
        Err(outcome) => (outcome, None),
    };
    report.steps.push(WpadStep::new(
        DHCP_STEP.to_owned(),
        outcome,
        started.elapsed(),
    ));
    url
}

/// Step 4 (after the walk): what `WinHTTP`'s own DNS detection finds, to compare with the walk.
async fn winhttp_dns_step(options: &WpadOptions, report: &mut WpadReport) {
    const WHAT: &str = "WinHTTP DNS detection";
    let started = Instant::now();
    let outcome = match os_detect(options, DetectBy::Dns).await {
        Ok(Some(url)) => {
            let ours = report.pac.as_ref().map(|pac| pac.url.as_str());
            if ours.is_some_and(|ours| ours != url) {
                report.warnings.push(format!(
                    "WinHTTP's own DNS detection found {url}, but dapreflight's walk found {}: \
                     the device's DNS suffix or devolution settings differ from the walk's",
                    ours.unwrap_or_default()
                ));
            }
            StepOutcome::Found { detail: url }
        }
        Ok(None) => StepOutcome::NotFound {
            reason: "WinHTTP found no wpad name".to_owned(),
        },
        Err(outcome) => outcome,
    };
    report
        .steps
        .push(WpadStep::new(WHAT.to_owned(), outcome, started.elapsed()));
}

#[derive(Clone, Copy, Debug)]
enum DetectBy {
    Dhcp,
    Dns,
}

/// Asks `WinHTTP` for the auto-config URL on a blocking thread, within the deadline.
#[cfg(windows)]
async fn os_detect(options: &WpadOptions, by: DetectBy) -> Result<Option<String>, StepOutcome> {
    if !options.query_os {
        return Err(StepOutcome::Skipped {
            reason: "the OS was not asked in this run".to_owned(),
        });
    }
    let task = tokio::task::spawn_blocking(move || os::detect(by));
    // WinHTTP's detection cannot be cancelled: past the deadline it finishes on its own thread.
    match tokio::time::timeout(options.timeout, task).await {
        Err(_) => Err(StepOutcome::TimedOut {
            after_ms: millis(options.timeout),
        }),
        Ok(Err(err)) => Err(StepOutcome::Failed {
            reason: format!("the WinHTTP call did not complete: {err}"),
        }),
        Ok(Ok(result)) => result.map_err(|reason| StepOutcome::Failed { reason }),
    }
}

/// Off Windows there is no `WinHTTP` to ask.
#[cfg(not(windows))]
#[expect(
    clippy::unused_async,
    reason = "the same signature as the Windows version"
)]
async fn os_detect(_options: &WpadOptions, _by: DetectBy) -> Result<Option<String>, StepOutcome> {
    Err(StepOutcome::NotApplicable {
        reason: "WinHTTP's auto-detection exists only on Windows".to_owned(),
    })
}

/// Step 2: the DNS suffix to walk, from `--wpad-domain` or the OS.
fn suffix_step(options: &WpadOptions, report: &mut WpadReport) -> Option<DnsSuffix> {
    const WHAT: &str = "DNS suffix";
    let started = Instant::now();
    let (outcome, suffix) = if let Some(domain) = &options.domain {
        let suffix = DnsSuffix {
            name: domain.trim().trim_end_matches('.').to_lowercase(),
            source: "--wpad-domain".to_owned(),
        };
        (found_suffix(&suffix), Some(suffix))
    } else if !options.query_os {
        (
            StepOutcome::Skipped {
                reason: "no --wpad-domain, and the OS was not asked in this run".to_owned(),
            },
            None,
        )
    } else {
        match os_suffix() {
            Ok(Some(suffix)) => (found_suffix(&suffix), Some(suffix)),
            Ok(None) => (
                StepOutcome::NotFound {
                    reason: format!("{OS_SUFFIX_SOURCE} names no DNS suffix"),
                },
                None,
            ),
            Err(reason) => (StepOutcome::Failed { reason }, None),
        }
    };
    report
        .steps
        .push(WpadStep::new(WHAT.to_owned(), outcome, started.elapsed()));
    suffix
}

fn found_suffix(suffix: &DnsSuffix) -> StepOutcome {
    StepOutcome::Found {
        detail: format!("{} (from {})", suffix.name, suffix.source),
    }
}

#[cfg(windows)]
const OS_SUFFIX_SOURCE: &str = "the primary DNS suffix";

#[cfg(not(windows))]
const OS_SUFFIX_SOURCE: &str = "/etc/resolv.conf";

/// Reads the primary DNS suffix, which is what Windows devolves (docs/formats.md §7.2).
#[cfg(windows)]
fn os_suffix() -> Result<Option<DnsSuffix>, String> {
    Ok(os::primary_dns_suffix()?.map(|name| DnsSuffix {
        name: name.to_lowercase(),
        source: "primary DNS suffix".to_owned(),
    }))
}

/// Reads `/etc/resolv.conf`; a missing file means no suffix.
#[cfg(not(windows))]
fn os_suffix() -> Result<Option<DnsSuffix>, String> {
    match std::fs::read_to_string("/etc/resolv.conf") {
        Ok(text) => Ok(parse_resolv_conf(&text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(format!("cannot read /etc/resolv.conf: {err}")),
    }
}

/// `http://<host>:<port>/wpad.dat`, the URL of one candidate of the DNS walk.
fn wpad_url(host: &str, port: u16) -> Target {
    Target {
        scheme: Scheme::Http,
        host: host.to_owned(),
        port,
        path: "/wpad.dat".to_owned(),
    }
}

/// Parses an absolute `http://` or `https://` URL, as DHCP option 252 carries it.
fn parse_pac_url(text: &str) -> Result<Target, String> {
    // DHCP servers often send the string with its terminating NUL.
    Target::parse(text.trim().trim_end_matches('\0'))
}

/// Resolves the URL's host, then fetches it directly; records both steps and any PAC found.
async fn fetch_url(url: &Target, found_by: &str, options: &WpadOptions, report: &mut WpadReport) {
    let Some(addresses) = resolve_step(&url.host, options, report).await else {
        return;
    };
    let what = format!("GET {url}");
    if url.scheme != Scheme::Http {
        report.steps.push(WpadStep::new(
            what,
            StepOutcome::Skipped {
                reason: "dapreflight fetches PAC files over http only; WinHTTP would fetch this \
                         one over TLS"
                    .to_owned(),
            },
            Duration::ZERO,
        ));
        return;
    }
    let started = Instant::now();
    let fetched = match tokio::time::timeout(options.timeout, fetch(url, &addresses, options)).await
    {
        Ok(fetched) => fetched,
        Err(_) => Fetched::outcome(StepOutcome::TimedOut {
            after_ms: millis(options.timeout),
        }),
    };
    let mut step = WpadStep::new(what, fetched.outcome, started.elapsed());
    if let Some(response) = &fetched.response {
        judge_response(url, response, fetched.pac.is_some(), report);
    }
    if let (Some(source), Some(response)) = (fetched.pac, &fetched.response) {
        report.pac = Some(FoundPac {
            url: url.to_string(),
            source,
            served_by: response.served_by,
            found_by: found_by.to_owned(),
        });
    }
    step.response = fetched.response;
    report.steps.push(step);
}

/// Resolves `host` through the resolver on a blocking thread, within the deadline.
async fn resolve_step(
    host: &str,
    options: &WpadOptions,
    report: &mut WpadReport,
) -> Option<Vec<IpAddr>> {
    let started = Instant::now();
    let resolver = Arc::clone(&options.resolver);
    let name = host.to_owned();
    let timeout = options.timeout;
    let task = tokio::task::spawn_blocking(move || resolver.lookup(&name, timeout));
    let (outcome, addresses) = match tokio::time::timeout(timeout, task).await {
        Err(_) => (
            StepOutcome::TimedOut {
                after_ms: millis(timeout),
            },
            None,
        ),
        Ok(Err(err)) => (
            StepOutcome::Failed {
                reason: format!("the lookup did not complete: {err}"),
            },
            None,
        ),
        Ok(Ok(Err(reason))) => (StepOutcome::NotFound { reason }, None),
        Ok(Ok(Ok(addresses))) if addresses.is_empty() => (
            StepOutcome::NotFound {
                reason: format!("{host} has no address"),
            },
            None,
        ),
        Ok(Ok(Ok(addresses))) => (
            StepOutcome::Found {
                detail: join(&addresses),
            },
            Some(addresses),
        ),
    };
    let mut step = WpadStep::new(format!("DNS {host}"), outcome, started.elapsed());
    step.addresses
        .clone_from(addresses.as_ref().unwrap_or(&Vec::new()));
    report.steps.push(step);
    addresses
}

/// What one fetch produced.
struct Fetched {
    outcome: StepOutcome,
    response: Option<PacResponse>,
    /// The body, when it is a PAC.
    pac: Option<String>,
}

impl Fetched {
    fn outcome(outcome: StepOutcome) -> Self {
        Self {
            outcome,
            response: None,
            pac: None,
        }
    }
}

/// `GET` the URL from the first address that accepts, never through a proxy.
async fn fetch(url: &Target, addresses: &[IpAddr], options: &WpadOptions) -> Fetched {
    let sockets: Vec<SocketAddr> = addresses
        .iter()
        .map(|ip| SocketAddr::new(*ip, url.port))
        .collect();
    let (stream, connected) = match tcp::connect(&sockets, options.timeout).await {
        Ok(connected) => connected,
        Err(ConnectError::Timeout { after_ms }) => {
            return Fetched::outcome(StepOutcome::TimedOut { after_ms });
        }
        Err(ConnectError::Failed { to, reason, .. }) => {
            // With one address the reason does not name it; with several, it names each.
            let reason = if sockets.len() == 1 {
                format!("{to}: {reason}")
            } else {
                reason
            };
            return Fetched::outcome(StepOutcome::Failed { reason });
        }
    };
    let served_by = connected.peer;
    let failed = |what: &str, err: &hyper::Error| {
        Fetched::outcome(StepOutcome::Failed {
            reason: format!("{what}: {}", http::describe(err)),
        })
    };
    let authority = url.authority();
    let request = Request {
        authority: &authority,
        path: &url.path,
        max_body: Some(options.max_size),
    };
    let response = match http::get(stream, &request, options.timeout).await {
        Ok(response) => response,
        Err(HttpError::Start(err)) => return failed("cannot start HTTP", &err),
        Err(HttpError::NoAnswer(err)) => return failed("no HTTP answer", &err),
        Err(HttpError::Request(err)) => {
            return Fetched::outcome(StepOutcome::Failed {
                reason: format!("cannot build the request for {url}: {err}"),
            });
        }
        Err(HttpError::Timeout { after_ms }) => {
            return Fetched::outcome(StepOutcome::TimedOut { after_ms });
        }
    };
    judge_answer(response, served_by, options.max_size)
}

/// Turns an answer into the step's outcome: only a 200 whose body mentions `FindProxyForURL`
/// gives a PAC.
fn judge_answer(response: http::Response, served_by: SocketAddr, max_size: usize) -> Fetched {
    let header = |name: hyper::header::HeaderName| {
        response
            .headers
            .get(name)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned())
    };
    let status = response.status;
    let mut head = PacResponse {
        served_by,
        status: status.as_u16(),
        content_type: header(hyper::header::CONTENT_TYPE),
        location: header(hyper::header::LOCATION),
        body_bytes: 0,
    };
    let limit_bytes = u64::try_from(max_size).unwrap_or(u64::MAX);
    let with_head = |outcome: StepOutcome, head: PacResponse| Fetched {
        outcome,
        response: Some(head),
        pac: None,
    };
    let status_text = format!(
        "HTTP {}{}",
        status.as_u16(),
        status
            .canonical_reason()
            .map(|r| format!(" {r}"))
            .unwrap_or_default()
    );
    if status.is_redirection() {
        let reason = match &head.location {
            Some(location) => format!("{status_text} to {location}; redirects are not followed"),
            None => format!("{status_text} without a Location"),
        };
        return with_head(StepOutcome::NotFound { reason }, head);
    }
    if status != hyper::StatusCode::OK {
        // WinHTTP uses only a 200 answer (docs/formats.md §7.1).
        return with_head(
            StepOutcome::NotFound {
                reason: format!("{status_text}: only a 200 answer gives a PAC"),
            },
            head,
        );
    }
    let bytes = match response.body {
        http::Body::Complete(bytes) => bytes,
        http::Body::TooLarge { read } => {
            head.body_bytes = read;
            return with_head(StepOutcome::TooLarge { limit_bytes }, head);
        }
        http::Body::BrokeOff { read, error } => {
            head.body_bytes = read;
            let reason = format!("the body broke off: {}", http::describe(&error));
            return with_head(StepOutcome::Failed { reason }, head);
        }
        http::Body::NotRead => Vec::new(),
    };
    head.body_bytes = len_u64(&bytes);
    let source = String::from_utf8_lossy(&bytes).into_owned();
    if !source.contains("FindProxyForURL") {
        return with_head(
            StepOutcome::NotFound {
                reason: format!(
                    "{status_text}, but the {}-byte body is not a PAC (no FindProxyForURL)",
                    bytes.len()
                ),
            },
            head,
        );
    }
    Fetched {
        outcome: StepOutcome::Found {
            detail: format!("a {}-byte PAC", bytes.len()),
        },
        response: Some(head),
        pac: Some(source),
    }
}

/// Warnings about one answer: a redirect elsewhere, a non-PAC body, an odd media type, a public
/// address.
fn judge_response(url: &Target, response: &PacResponse, is_pac: bool, report: &mut WpadReport) {
    if let Some(location) = &response.location
        && (300..400).contains(&response.status)
    {
        match redirect_host(location) {
            Some(host) if host != url.host => report.warnings.push(format!(
                "{url} redirects to {location}, on another host ({host}): WinHTTP uses only a \
                 200 answer, but a client that follows redirects would take its proxy settings \
                 from there"
            )),
            _ => {}
        }
    }
    if response.status == 200 && !is_pac {
        report.warnings.push(format!(
            "{url} answers 200 with a body that is not a PAC (no FindProxyForURL): a WPAD \
             server is there but serves something else, so clients that use WPAD get no proxy \
             settings from it"
        ));
    }
    if is_pac {
        let media_type = response
            .content_type
            .as_deref()
            .and_then(|value| value.split(';').next())
            .map(|value| value.trim().to_ascii_lowercase());
        if media_type.as_deref() != Some(PAC_CONTENT_TYPE) {
            report.warnings.push(format!(
                "{url} serves its PAC as {}, not {PAC_CONTENT_TYPE}: dapreflight accepted it, \
                 but some clients refuse a PAC served with another type",
                media_type.map_or_else(|| "no Content-Type".to_owned(), |t| format!("'{t}'"))
            ));
        }
        if !is_internal(response.served_by.ip()) {
            report.warnings.push(format!(
                "the PAC at {url} comes from {}, a public address: a device's proxy settings \
                 should come from inside the organisation; check who runs that server",
                response.served_by.ip()
            ));
        }
    }
}

/// The host a redirect points to, or `None` for a relative one.
fn redirect_host(location: &str) -> Option<String> {
    let (_, rest) = location.trim().split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let authority = authority.rsplit('@').next().unwrap_or_default();
    split_host_port(authority).ok().map(|(host, _)| host)
}

/// Warns that the walk climbed to the top of the organisation's domain.
fn warn_walk_reached_top(candidate: &str, report: &mut WpadReport) {
    let domain = candidate.trim_start_matches("wpad.");
    let start = report
        .domain
        .as_ref()
        .map_or_else(String::new, |suffix| suffix.name.clone());
    report.warnings.push(format!(
        "the DNS walk climbed from {start} to {candidate}, the registrable domain's own name: \
         whoever can add that name to {domain}'s DNS sets the proxy for every device under it"
    ));
}

/// Warnings about the run as a whole: no PAC while auto-detect is on, a PAC from elsewhere.
fn final_warnings(options: &WpadOptions, report: &mut WpadReport) {
    if let Some(pac) = &report.pac {
        let host = parse_pac_url(&pac.url)
            .map(|url| url.host)
            .unwrap_or_default();
        let organisation = report.domain.as_ref().map(|suffix| {
            psl::domain_str(&suffix.name)
                .unwrap_or(&suffix.name)
                .to_owned()
        });
        if let Some(organisation) = organisation
            && host != organisation
            && !host.ends_with(&format!(".{organisation}"))
        {
            report.warnings.push(format!(
                "the PAC comes from {host}, outside the device's domain {organisation} \
                 (found by {}): check that this server belongs to the organisation",
                pac.found_by
            ));
        }
        return;
    }
    if !options.auto_detect_on {
        return;
    }
    let any_record = report.steps.iter().any(|step| {
        !step.addresses.is_empty()
            || (step.what == DHCP_STEP && matches!(step.outcome, StepOutcome::Found { .. }))
    });
    if any_record {
        report.warnings.push(
            "auto-detect is on, but no WPAD server answered with a PAC: clients wait for \
             detection on every network change, then go direct"
                .to_owned(),
        );
    } else {
        let tried = if report.candidates.is_empty() {
            "no wpad name could be tried".to_owned()
        } else {
            format!("none of {} resolves", report.candidates.join(", "))
        };
        report.warnings.push(format!(
            "auto-detect is on, but there is no WPAD record ({tried}, and DHCP gave no option \
             252): clients wait for detection, then go direct, and anyone who can answer for \
             'wpad' on the network (LLMNR, NetBIOS, a rogue DNS entry) can hand them a PAC; \
             turn auto-detect off where WPAD is not wanted"
        ));
    }
}

/// Whether an address belongs to a private, loopback or link-local range (RFC 1918, RFC 6598,
/// RFC 4193), i.e. one a PAC server inside an organisation would have.
fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6
                    .to_ipv4_mapped()
                    .is_some_and(|v4| is_internal(IpAddr::V4(v4)))
        }
    }
}

fn join(addresses: &[IpAddr]) -> String {
    addresses
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn len_u64(bytes: &[u8]) -> u64 {
    u64::try_from(bytes.len()).unwrap_or(u64::MAX)
}

/// `WinHTTP`'s auto-detection and the primary DNS suffix, through `windows-sys`.
#[cfg(windows)]
mod os {
    use windows_sys::Win32::Foundation::{GetLastError, GlobalFree};
    use windows_sys::Win32::Networking::WinHttp::{
        ERROR_WINHTTP_AUTODETECTION_FAILED, WINHTTP_AUTO_DETECT_TYPE_DHCP,
        WINHTTP_AUTO_DETECT_TYPE_DNS_A, WinHttpDetectAutoProxyConfigUrl,
    };
    use windows_sys::Win32::System::SystemInformation::{
        ComputerNameDnsDomain, GetComputerNameExW,
    };

    use super::DetectBy;

    /// The URL `WinHTTP` detects by DHCP option 252 or by DNS; `None` when detection finds none.
    #[expect(unsafe_code, reason = "WinHTTP has no safe binding")]
    pub(super) fn detect(by: DetectBy) -> Result<Option<String>, String> {
        let flags = match by {
            DetectBy::Dhcp => WINHTTP_AUTO_DETECT_TYPE_DHCP,
            DetectBy::Dns => WINHTTP_AUTO_DETECT_TYPE_DNS_A,
        };
        let mut url: windows_sys::core::PWSTR = std::ptr::null_mut();
        // SAFETY: `url` is a valid out-pointer for the duration of the call.
        let ok = unsafe { WinHttpDetectAutoProxyConfigUrl(flags, &raw mut url) };
        if ok == 0 {
            // SAFETY: no preconditions; reads this thread's last error.
            let err = unsafe { GetLastError() };
            return if err == ERROR_WINHTTP_AUTODETECTION_FAILED {
                Ok(None)
            } else {
                Err(format!(
                    "WinHttpDetectAutoProxyConfigUrl failed with error {err}"
                ))
            };
        }
        if url.is_null() {
            return Ok(None);
        }
        // SAFETY: on success WinHTTP stores a NUL-terminated UTF-16 string it allocated with
        // GlobalAlloc; it is read up to its NUL, then freed once with GlobalFree, as documented.
        let text = unsafe {
            let mut len = 0;
            while *url.add(len) != 0 {
                len += 1;
            }
            let text = String::from_utf16_lossy(std::slice::from_raw_parts(url, len));
            GlobalFree(url.cast());
            text
        };
        Ok(Some(text))
    }

    /// The primary DNS suffix (`GetComputerNameExW(ComputerNameDnsDomain)`); `None` if unset.
    #[expect(unsafe_code, reason = "no safe binding for GetComputerNameExW")]
    pub(super) fn primary_dns_suffix() -> Result<Option<String>, String> {
        // A DNS name has at most 255 characters; one more for the NUL.
        let mut buffer = [0u16; 256];
        let mut size = u32::try_from(buffer.len()).unwrap_or(u32::MAX);
        // SAFETY: `buffer` holds `size` UTF-16 units and outlives the call.
        let ok = unsafe {
            GetComputerNameExW(ComputerNameDnsDomain, buffer.as_mut_ptr(), &raw mut size)
        };
        if ok == 0 {
            // SAFETY: no preconditions; reads this thread's last error.
            let err = unsafe { GetLastError() };
            return Err(format!("GetComputerNameExW failed with error {err}"));
        }
        let len = usize::try_from(size).unwrap_or(0).min(buffer.len());
        let name = String::from_utf16_lossy(&buffer[..len]);
        Ok(Some(name).filter(|name| !name.is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_walk_stops_at_the_registrable_domain_and_names_what_it_refused() {
        let cases: [(&str, &[&str], &[&str]); 7] = [
            (
                "a.b.corp.example",
                &[
                    "wpad.a.b.corp.example",
                    "wpad.b.corp.example",
                    "wpad.corp.example",
                ],
                &["wpad.example"],
            ),
            (
                "corp.co.uk",
                &["wpad.corp.co.uk"],
                &["wpad.co.uk", "two labels"],
            ),
            (
                "eu.corp.com",
                &["wpad.eu.corp.com", "wpad.corp.com"],
                &["wpad.com"],
            ),
            ("example", &["wpad.example"], &["single label"]),
            ("co.uk", &[], &["itself a public suffix"]),
            ("com", &[], &["itself a public suffix"]),
            ("a..b", &[], &["not a DNS domain name"]),
        ];
        for (domain, candidates, warned) in cases {
            let walk = walk(domain);
            assert_eq!(walk.candidates, candidates, "{domain}");
            let text = walk.warnings.join("\n");
            for word in warned {
                assert!(text.contains(word), "{domain}: {word} in {text}");
            }
            assert!(
                !walk
                    .candidates
                    .iter()
                    .any(|c| c == "wpad.co.uk" || c == "wpad.com"),
                "{domain}"
            );
        }
    }

    #[test]
    fn the_walk_lower_cases_and_drops_the_final_dot_including_idn_names() {
        let cases: [(&str, &[&str]); 3] = [
            (
                "A.Corp.EXAMPLE.",
                &["wpad.a.corp.example", "wpad.corp.example"],
            ),
            ("Bücher.Example", &["wpad.bücher.example"]),
            ("xn--bcher-kva.example", &["wpad.xn--bcher-kva.example"]),
        ];
        for (domain, candidates) in cases {
            assert_eq!(walk(domain).candidates, candidates, "{domain}");
        }
    }

    #[test]
    fn resolv_conf_gives_the_first_search_domain_or_the_domain_line_whichever_is_last() {
        let cases = [
            (
                "# generated\nnameserver 10.0.0.1\nsearch Corp.Example lab.corp.example other.test\n",
                Some(("corp.example", "/etc/resolv.conf search")),
            ),
            (
                "domain lab.corp.example\noptions ndots:1\n",
                Some(("lab.corp.example", "/etc/resolv.conf domain")),
            ),
            (
                "search old.example\ndomain new.example.\n",
                Some(("new.example", "/etc/resolv.conf domain")),
            ),
            (
                "# search commented.example\n; domain also.example\nnameserver ::1\n",
                None,
            ),
            ("search .\n", None),
            (
                "search  corp.example # trailing comment\n",
                Some(("corp.example", "/etc/resolv.conf search")),
            ),
            ("", None),
            // The last directive wins even when both name the same domain.
            (
                "domain corp.example\nsearch corp.example\n",
                Some(("corp.example", "/etc/resolv.conf search")),
            ),
            (
                "search corp.example\ndomain corp.example\n",
                Some(("corp.example", "/etc/resolv.conf domain")),
            ),
            ("domain corp.example\nsearch .\n", None),
            // Lines it does not know are skipped, and no `nameserver` is needed.
            (
                "frobnicate 1\noptions bogus\nsearch . lab.example\n",
                Some(("lab.example", "/etc/resolv.conf search")),
            ),
        ];
        for (text, expected) in cases {
            let found = parse_resolv_conf(text);
            let found = found.as_ref().map(|s| (s.name.as_str(), s.source.as_str()));
            assert_eq!(found, expected, "{text:?}");
        }
    }

    #[test]
    fn step_outcomes_read_as_their_kind_then_their_detail() {
        let cases = [
            (
                StepOutcome::Found {
                    detail: "10.0.0.5".to_owned(),
                },
                "found: 10.0.0.5",
            ),
            (
                StepOutcome::NotFound {
                    reason: "HTTP 404 Not Found: only a 200 answer gives a PAC".to_owned(),
                },
                "not found: HTTP 404 Not Found: only a 200 answer gives a PAC",
            ),
            (
                StepOutcome::Failed {
                    reason: "connection refused".to_owned(),
                },
                "failed: connection refused",
            ),
            (StepOutcome::TimedOut { after_ms: 5000 }, "timed out: 5000"),
            (
                StepOutcome::TooLarge {
                    limit_bytes: 1_048_576,
                },
                "too large: 1048576",
            ),
            (
                StepOutcome::NotApplicable {
                    reason: "WinHTTP's auto-detection exists only on Windows".to_owned(),
                },
                "not applicable: WinHTTP's auto-detection exists only on Windows",
            ),
            (
                StepOutcome::Skipped {
                    reason: "the OS was not asked in this run".to_owned(),
                },
                "skipped: the OS was not asked in this run",
            ),
        ];
        for (outcome, text) in cases {
            assert_eq!(outcome.to_string(), text, "{outcome:?}");
        }
    }

    #[test]
    fn dhcp_urls_parse_into_host_port_and_path() {
        let cases = [
            (
                "http://wpad.corp.example/wpad.dat",
                "wpad.corp.example",
                80,
                "/wpad.dat",
            ),
            (
                "HTTP://PAC.corp.example:8080/p.pac?x=1\0",
                "pac.corp.example",
                8080,
                "/p.pac?x=1",
            ),
            ("https://pac.corp.example", "pac.corp.example", 443, "/"),
            ("http://[fd00::1]:81/wpad.dat", "fd00::1", 81, "/wpad.dat"),
        ];
        for (text, host, port, path) in cases {
            let url = parse_pac_url(text).expect(text);
            assert_eq!(
                (url.host.as_str(), url.port, url.path.as_str()),
                (host, port, path)
            );
        }
        for bad in [
            "file:///c:/wpad.dat",
            "wpad.dat",
            "http://user:pw@host/",
            "http:///x",
        ] {
            assert!(parse_pac_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_print_their_port_only_when_it_is_not_the_default() {
        assert_eq!(
            wpad_url("wpad.corp.example", 80).to_string(),
            "http://wpad.corp.example/wpad.dat"
        );
        assert_eq!(
            wpad_url("wpad.corp.example", 8080).to_string(),
            "http://wpad.corp.example:8080/wpad.dat"
        );
    }

    #[test]
    fn internal_addresses_are_private_loopback_link_local_or_ula() {
        let cases = [
            ("10.1.2.3", true),
            ("172.16.0.1", true),
            ("192.168.1.1", true),
            ("100.64.0.1", true),
            ("127.0.0.1", true),
            ("169.254.1.1", true),
            ("fd00::1", true),
            ("fe80::1", true),
            ("::ffff:10.0.0.1", true),
            ("203.0.113.7", false),
            ("8.8.8.8", false),
            ("2001:db8::1", false),
        ];
        for (ip, internal) in cases {
            let ip: IpAddr = ip.parse().expect("ip");
            assert_eq!(is_internal(ip), internal, "{ip}");
        }
    }

    #[test]
    fn redirect_hosts_are_read_from_absolute_locations_only() {
        let cases = [
            ("http://evil.example/wpad.dat", Some("evil.example")),
            ("https://User@Other.Example:8443/x", Some("other.example")),
            ("/elsewhere.dat", None),
        ];
        for (location, host) in cases {
            assert_eq!(redirect_host(location).as_deref(), host, "{location}");
        }
    }
}
