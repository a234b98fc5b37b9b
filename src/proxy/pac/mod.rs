//! Proxy auto-config (PAC): evaluates a PAC script as Windows does, sandboxed and bounded, and
//! turns its answer into the routes `WinHTTP` and `WinINET` would take.
//!
//! The JavaScript engine stays inside `engine`; the helpers are Rust (`helpers`). This module
//! decides routes; it never connects anywhere except to fetch a PAC file (`source`).

mod engine;
mod helpers;
pub(crate) mod result;
pub(crate) mod source;
mod url;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, UdpSocket};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::Duration;

use crate::proxy::resolve::{NameResolver, SystemResolver};
use crate::route::Route;
use crate::url::Target;

pub use result::PacEntry;

/// Bounds on one PAC runtime: its compile/top-level deadline, heap and stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacLimits {
    /// Deadline for compiling and running the script's top level.
    pub timeout: Duration,
    /// The runtime's heap cap in bytes.
    pub memory_limit: usize,
    /// The runtime's stack cap in bytes.
    pub max_stack_size: usize,
}

impl Default for PacLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(5),
            memory_limit: 32 * 1024 * 1024,
            max_stack_size: 512 * 1024,
        }
    }
}

/// What one evaluation sees of the world: names, the client address, the clock, its deadline.
#[derive(Clone)]
pub struct PacEnvironment {
    /// Answers `dnsResolve`, `isResolvable`, `isInNet` on names, and the `...Ex` lookups.
    pub resolver: Arc<dyn NameResolver>,
    /// What `myIpAddress` returns; `None`: the local address of the default route.
    pub client_ip: Option<IpAddr>,
    /// Each lookup's own deadline.
    pub dns_timeout: Duration,
    /// Deadline for one call of `FindProxyForURL`, lookups included.
    pub eval_timeout: Duration,
    /// The moment the date and time helpers see; `None`: the system clock and time zone.
    pub now: Option<PacTime>,
}

/// A fixed moment for `weekdayRange`, `dateRange` and `timeRange`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacTime {
    pub unix_seconds: i64,
    /// The local time zone's offset east of UTC, in minutes.
    pub utc_offset_minutes: i32,
}

impl PacEnvironment {
    /// The system resolver, the default route's address, the system clock, 2 s lookups and a
    /// 5 s evaluation deadline.
    #[must_use]
    pub fn system() -> Self {
        Self::with_resolver(Arc::new(SystemResolver))
    }

    /// Defaults as [`PacEnvironment::system`], with `resolver` answering lookups.
    #[must_use]
    pub fn with_resolver(resolver: Arc<dyn NameResolver>) -> Self {
        Self {
            resolver,
            client_ip: None,
            dns_timeout: Duration::from_secs(2),
            eval_timeout: Duration::from_secs(5),
            now: None,
        }
    }
}

impl fmt::Debug for PacEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacEnvironment")
            .field("client_ip", &self.client_ip)
            .field("dns_timeout", &self.dns_timeout)
            .field("eval_timeout", &self.eval_timeout)
            .field("now", &self.now)
            .finish_non_exhaustive()
    }
}

/// Which function a script answers through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryPoint {
    /// `FindProxyForURL`, the Netscape entry point.
    FindProxyForUrl,
    /// `FindProxyForURLEx`, Microsoft's IPv6-aware one, which Windows prefers when defined.
    FindProxyForUrlEx,
}

impl EntryPoint {
    /// The JavaScript name, `FindProxyForURL` or `FindProxyForURLEx`.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            EntryPoint::FindProxyForUrl => "FindProxyForURL",
            EntryPoint::FindProxyForUrlEx => "FindProxyForURLEx",
        }
    }
}

/// One name lookup a helper made during an evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacLookup {
    pub host: String,
    pub addrs: Vec<IpAddr>,
    /// Why there are no addresses, when there are none.
    pub error: Option<String>,
}

/// The answer of one `FindProxyForURL[Ex]` call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacResult {
    /// The string the script returned, as is.
    pub raw: String,
    /// Its elements in failover order; empty when the script returned only blanks.
    pub entries: Vec<PacEntry>,
    /// Elements that are not understood, each with why (clients skip them).
    pub invalid: Vec<String>,
    pub function: EntryPoint,
    pub lookups: Vec<PacLookup>,
    /// What the script passed to `alert`.
    pub alerts: Vec<String>,
    /// What the entry point returned instead of a string (`undefined`, `null`, `number 42`),
    /// read as DIRECT; `raw` then holds it as JavaScript prints it.
    pub non_string: Option<String>,
}

/// What went wrong inside a PAC script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacFailure {
    /// Still running at the deadline (a loop, a catastrophic regular expression).
    Timeout { after_ms: u64 },
    /// Over the memory cap.
    OutOfMemory,
    /// Recursion past the stack cap.
    StackOverflow,
    /// An exception, a syntax error among them.
    Threw { message: String },
}

impl PacFailure {
    /// Whether the runtime should be rebuilt before its next use.
    pub(crate) fn spoils_runtime(&self) -> bool {
        matches!(
            self,
            PacFailure::Timeout { .. } | PacFailure::OutOfMemory | PacFailure::StackOverflow
        )
    }
}

impl fmt::Display for PacFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacFailure::Timeout { after_ms } => {
                write!(f, "ran past its {after_ms} ms deadline and was stopped")
            }
            PacFailure::OutOfMemory => f.write_str("ran out of memory (over the cap), stopped"),
            PacFailure::StackOverflow => f.write_str("overflowed the stack (runaway recursion)"),
            PacFailure::Threw { message } => write!(f, "threw {message}"),
        }
    }
}

/// Why a PAC could not be loaded, compiled or evaluated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PacError {
    /// The PAC could not be fetched.
    #[error("cannot load the PAC from {origin}: {message}")]
    Load { origin: String, message: String },
    /// A PAC file (or `pac --url-file`'s list) could not be read, or is past its cap.
    #[error(transparent)]
    File(#[from] crate::input::InputError),
    /// A line of `pac --url-file`'s list is not a URL.
    #[error("{origin}:{line}: {message}")]
    UrlList {
        origin: String,
        line: usize,
        message: String,
    },
    /// The script does not compile, or its top level failed.
    #[error("the PAC {origin} {failure}{}", at_line(*.line))]
    Compile {
        origin: String,
        failure: PacFailure,
        line: Option<u32>,
    },
    /// The script defines no entry point.
    #[error("the PAC {origin} defines neither FindProxyForURL nor FindProxyForURLEx")]
    NoEntryPoint { origin: String },
    /// One call of the entry point failed.
    #[error("evaluating {url}: the PAC {failure}{}", at_line(*.line))]
    Evaluate {
        url: String,
        failure: PacFailure,
        line: Option<u32>,
    },
    /// The engine itself could not run.
    #[error("PAC engine: {message}")]
    Engine { message: String },
}

fn at_line(line: Option<u32>) -> String {
    line.map(|line| format!(" (line {line})"))
        .unwrap_or_default()
}

/// A compiled PAC script in its own sandboxed runtime; `Send + Sync`, evaluations serialized.
///
/// Evaluation blocks the calling thread until the script answers or its deadline passes: from
/// async code use `tokio::task::spawn_blocking`.
pub struct PacScript {
    origin: String,
    engine: engine::Engine,
}

impl fmt::Debug for PacScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PacScript")
            .field("origin", &self.origin)
            .field("entry", &self.engine.entry)
            .finish_non_exhaustive()
    }
}

impl PacScript {
    /// Compiles `source` (named `origin` in errors), runs its top level and checks that it
    /// defines `FindProxyForURL` or `FindProxyForURLEx`.
    pub fn compile(source: &str, origin: &str, limits: &PacLimits) -> Result<Self, PacError> {
        Ok(Self {
            origin: origin.to_owned(),
            engine: engine::start(source, origin, limits)?,
        })
    }

    /// Where the script came from.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The function Windows calls: `FindProxyForURLEx` when defined, else `FindProxyForURL`.
    #[must_use]
    pub fn entry_point(&self) -> EntryPoint {
        self.engine.entry
    }

    /// Calls the entry point with `url` and `host`.
    pub fn evaluate(
        &self,
        url: &str,
        host: &str,
        env: &PacEnvironment,
    ) -> Result<PacResult, PacError> {
        self.engine
            .call(url, host, env)
            .map(|evaluated| self.result(evaluated))
    }

    /// Calls the entry point for each (url, host) in `calls`, in order, handing each answer to
    /// `each` as it comes: one round trip to the engine's thread per batch of answers, not per
    /// call. Each call keeps its own deadline.
    pub fn evaluate_many(
        &self,
        calls: Vec<(String, String)>,
        env: &PacEnvironment,
        mut each: impl FnMut(Result<PacResult, PacError>),
    ) {
        self.engine.call_many(calls, env, &mut |answer| {
            each(answer.map(|evaluated| self.result(evaluated)));
        });
    }

    /// Whether the entry point may read its `url` argument. When it cannot (its body never names
    /// the parameter, `arguments` or `eval`), only the host decides, and the full and stripped
    /// forms of an https URL get the same answer.
    #[must_use]
    pub fn reads_url(&self) -> bool {
        self.engine.reads_url
    }

    fn result(&self, evaluated: engine::Evaluated) -> PacResult {
        let (entries, invalid) = if evaluated.non_string.is_some() {
            (vec![PacEntry::Direct], Vec::new())
        } else {
            result::parse_lenient(&evaluated.raw)
        };
        PacResult {
            raw: evaluated.raw,
            entries,
            invalid,
            function: self.engine.entry,
            lookups: evaluated.lookups,
            alerts: evaluated.alerts,
            non_string: evaluated.non_string,
        }
    }
}

/// The stripped (Chromium) form's answer, when it differs from the Windows form's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormDifference {
    /// `https://host[:port]/`.
    pub url: String,
    /// The stripped form's result, or the failure it met.
    pub raw: Option<String>,
    pub entries: Vec<PacEntry>,
    pub error: Option<String>,
}

/// What a PAC decides for one URL, as Windows' two HTTP stacks would act on it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PacDecision {
    /// The URL the PAC was called with (the full URL: see [`UrlForms`]).
    pub url: String,
    pub host: String,
    pub function: EntryPoint,
    pub raw: String,
    pub entries: Vec<PacEntry>,
    pub invalid: Vec<String>,
    /// `WinHTTP` uses only the first entry (DIRECT when the PAC returned nothing).
    pub winhttp: PacEntry,
    /// `WinINET` tries these in order (`HTTPS` entries, which it does not speak, left out).
    pub wininet_order: Vec<PacEntry>,
    /// For https URLs whose stripped form routes differently (Chromium-based browsers).
    pub stripped_form: Option<FormDifference>,
    /// Plain-language remarks: empty results, unsupported entries, the stripped form.
    pub notes: Vec<String>,
    pub lookups: Vec<PacLookup>,
    pub alerts: Vec<String>,
}

impl PacDecision {
    /// The route `WinHTTP` takes, or why it cannot be probed as direct or via an HTTP proxy.
    pub fn winhttp_route(&self) -> Result<Route, String> {
        self.winhttp.to_route()
    }

    /// `WinINET`'s failover list as probe routes; entries that are not HTTP proxies are `Err`.
    #[must_use]
    pub fn wininet_routes(&self) -> Vec<Result<Route, String>> {
        self.wininet_order.iter().map(PacEntry::to_route).collect()
    }
}

/// Evaluates `script` for `target` as Windows would, and compares the stripped https form.
pub fn decide(
    script: &PacScript,
    target: &Target,
    env: &PacEnvironment,
) -> Result<PacDecision, PacError> {
    decide_url(script, &target.to_string(), env)
}

/// Whether `url` is a URL a PAC can be called with (`scheme://host/...`); the error says why not.
pub(crate) fn check_url(url: &str) -> Result<(), String> {
    url::split_url(url).map(|_| ())
}

/// [`decide`] for any URL string (`scheme://host/...`), as `dapreflight pac` takes them.
pub(crate) fn decide_url(
    script: &PacScript,
    url: &str,
    env: &PacEnvironment,
) -> Result<PacDecision, PacError> {
    let mut decision = None;
    decide_urls(script, vec![url.to_owned()], env, |decided| {
        decision = decided.into_iter().next().map(|(_, decided)| decided);
        ControlFlow::Break(())
    });
    decision.unwrap_or_else(|| {
        Err(PacError::Engine {
            message: "the PAC engine gave no answer".to_owned(),
        })
    })
}

/// URLs decided per round trip to the engine: how much output waits for a batch.
const CHUNK: usize = 512;
/// Distinct (url, host) answers kept from one chunk for the next; past it the memo starts over.
const MEMO_CAP: usize = 8192;

/// One URL as given, and its decision or what stopped it.
pub(crate) type Decided = (String, Result<PacDecision, PacError>);

/// [`decide_url`] for each of `urls`, in order, handing the decisions to `each` a chunk of URLs
/// at a time, as each chunk is decided, until `each` breaks. Each distinct (url, host) is evaluated once: a repeated URL, and the stripped
/// https form many URLs of one host share, reuse the first answer; the stripped form is not
/// evaluated at all when the script cannot read its `url` argument.
pub(crate) fn decide_urls(
    script: &PacScript,
    urls: Vec<String>,
    env: &PacEnvironment,
    mut each: impl FnMut(Vec<Decided>) -> ControlFlow<()>,
) {
    type Key = (String, String);
    let mut memo: HashMap<Key, Result<PacResult, PacError>> = HashMap::new();
    let mut urls = urls.into_iter().peekable();
    while urls.peek().is_some() {
        let chunk: Vec<(String, Result<url::PacUrl, String>)> = urls
            .by_ref()
            .take(CHUNK)
            .map(|url| {
                let split = url::split_url(&url);
                (url, split)
            })
            .collect();
        if memo.len() > MEMO_CAP {
            memo.clear();
        }
        let mut calls: Vec<Key> = Vec::new();
        let mut asked = HashSet::new();
        for split in chunk.iter().filter_map(|(_, split)| split.as_ref().ok()) {
            let stripped = (split.forms.stripped != split.forms.windows && script.reads_url())
                .then_some(&split.forms.stripped);
            for form in std::iter::once(&split.forms.windows).chain(stripped) {
                let key = (form.clone(), split.host.clone());
                if !memo.contains_key(&key) && asked.insert(key.clone()) {
                    calls.push(key);
                }
            }
        }
        let mut asked = calls.clone().into_iter();
        script.evaluate_many(calls, env, |answer| {
            if let Some(key) = asked.next() {
                memo.insert(key, answer);
            }
        });
        let mut decided = Vec::with_capacity(chunk.len());
        for (url, split) in chunk {
            let decision = split
                .map_err(|message| PacError::Evaluate {
                    url: url.clone(),
                    failure: PacFailure::Threw { message },
                    line: None,
                })
                .and_then(|split| {
                    let answer = |form: &str| {
                        memo.get(&(form.to_owned(), split.host.clone()))
                            .cloned()
                            .unwrap_or_else(|| {
                                Err(PacError::Engine {
                                    message: "the PAC engine gave no answer".to_owned(),
                                })
                            })
                    };
                    let result = answer(&split.forms.windows)?;
                    let stripped = if split.forms.stripped == split.forms.windows {
                        None
                    } else if script.reads_url() {
                        Some(answer(&split.forms.stripped))
                    } else {
                        Some(Ok(result.clone()))
                    };
                    Ok(assemble(split, result, stripped))
                });
            decided.push((url, decision));
        }
        if each(decided).is_break() {
            return;
        }
    }
}

/// A decision from the full form's answer and, for https, the stripped form's.
fn assemble(
    split: url::PacUrl,
    result: PacResult,
    stripped: Option<Result<PacResult, PacError>>,
) -> PacDecision {
    let mut notes = Vec::new();
    if let Some(found) = &result.non_string {
        notes.push(format!(
            "the PAC returned {found}; read as DIRECT, as browsers do; Windows' behaviour is \
             not documented: unconfirmed"
        ));
    } else if result.entries.is_empty() {
        notes.push("the PAC returned no proxy and no DIRECT: Windows goes DIRECT".to_owned());
    }
    for message in &result.invalid {
        notes.push(format!("ignored {message}"));
    }
    let winhttp = result.entries.first().cloned().unwrap_or(PacEntry::Direct);
    let wininet_order: Vec<PacEntry> = result
        .entries
        .iter()
        .filter(|entry| entry.wininet_understands())
        .cloned()
        .collect();
    if result.entries.len() > 1 {
        notes.push(format!(
            "WinHTTP uses only the first entry ({winhttp}); WinINET fails over in order"
        ));
    }
    if result.entries.iter().any(|e| !e.wininet_understands()) {
        notes.push(
            "HTTPS proxy entries are not documented for Windows: WinINET and WinHTTP skip them"
                .to_owned(),
        );
    }
    if let Err(reason) = winhttp.to_route() {
        notes.push(reason);
    }
    let stripped_form = stripped.and_then(|other| {
        let difference = match other {
            Ok(other) if other.entries == result.entries => None,
            Ok(other) => Some(FormDifference {
                url: split.forms.stripped.clone(),
                raw: Some(other.raw),
                entries: other.entries,
                error: None,
            }),
            Err(err) => Some(FormDifference {
                url: split.forms.stripped.clone(),
                raw: None,
                entries: Vec::new(),
                error: Some(err.to_string()),
            }),
        };
        if let Some(difference) = &difference {
            notes.push(format!(
                "Chromium-based browsers pass {} and would get {}: this PAC routes on the URL \
                 path, which Windows sees and Edge and Chrome do not",
                difference.url,
                difference
                    .raw
                    .as_deref()
                    .map_or_else(|| "an error".to_owned(), |raw| format!("\"{raw}\"")),
            ));
        }
        difference
    });
    PacDecision {
        url: split.forms.windows,
        host: split.host,
        function: result.function,
        raw: result.raw,
        entries: result.entries,
        invalid: result.invalid,
        winhttp,
        wininet_order,
        stripped_form,
        notes,
        lookups: result.lookups,
        alerts: result.alerts,
    }
}

/// This machine's addresses on its default routes (found by connecting UDP sockets, which sends
/// nothing), IPv6 first; `127.0.0.1` when there is no route.
#[must_use]
pub(crate) fn local_addresses() -> Vec<IpAddr> {
    let route = |bind: IpAddr, to: IpAddr| {
        let socket = UdpSocket::bind((bind, 0)).ok()?;
        socket.connect((to, 53)).ok()?;
        let local = socket.local_addr().ok()?.ip();
        (!local.is_unspecified()).then_some(local)
    };
    // Documentation addresses: only the routing table is consulted.
    let v6 = route(
        IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
    );
    let v4 = route(
        IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1)),
    );
    let found: Vec<IpAddr> = v6.into_iter().chain(v4).collect();
    if found.iter().any(IpAddr::is_ipv4) {
        found
    } else {
        found
            .into_iter()
            .chain([IpAddr::V4(Ipv4Addr::LOCALHOST)])
            .collect()
    }
}
