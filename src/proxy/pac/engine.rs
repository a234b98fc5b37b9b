//! The one place that knows the JavaScript engine (`QuickJS` through rquickjs): a sandboxed runtime
//! per PAC script on its own thread, with the helpers bound to their Rust implementations.
//!
//! The runtime has no file, network, timer or module access: only the ECMAScript built-ins and
//! the PAC helpers exist. Every run has a wall-clock deadline (an interrupt handler), a memory cap
//! and a stack limit, and a run that hit one of them is followed by a fresh runtime.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use rquickjs::context::EvalOptions;
use rquickjs::function::Rest;
use rquickjs::function::{Opt, This};
use rquickjs::{
    CString, CatchResultExt, CaughtError, Coerced, Context, Ctx, FromJs, Function, IntoJs, Runtime,
    Value,
};

use super::helpers::{self, Calendar};
use super::{EntryPoint, PacEnvironment, PacError, PacFailure, PacLimits, PacLookup};
use crate::proxy::resolve::NameResolver;

/// The file name `QuickJS` gives the script in stack traces, where the line number is read.
const FILENAME: &str = "pacscript";
/// Lookups one evaluation may make; more and the rest fail (a PAC looping over `dnsResolve`).
const MAX_LOOKUPS: usize = 64;
/// How long past its deadline a silent worker is given before it is abandoned.
const GRACE: Duration = Duration::from_secs(2);
/// The Microsoft helpers Windows offers only to `FindProxyForURLEx`.
const EX_HELPERS: [&str; 6] = [
    "isResolvableEx",
    "dnsResolveEx",
    "myIpAddressEx",
    "isInNetEx",
    "sortIpAddressList",
    "getClientVersion",
];

/// Answers the engine thread collects before it hands them over, at most: one round trip
/// between threads per batch instead of per URL.
const BATCH: usize = 256;
/// How long the engine thread holds finished answers before handing them over anyway, so a
/// slow PAC still streams its answers.
const HOLD: Duration = Duration::from_millis(20);

/// What one evaluation produced.
pub(super) struct Evaluated {
    pub raw: String,
    /// What the entry point returned instead of a string (`undefined`, `null`, `number 42`).
    pub non_string: Option<String>,
    pub lookups: Vec<PacLookup>,
    pub alerts: Vec<String>,
}

/// A compiled PAC on its own thread. Evaluations are serialized; the handle is `Send + Sync`.
pub(super) struct Engine {
    jobs: Mutex<Option<mpsc::Sender<Job>>>,
    pub entry: EntryPoint,
    /// Whether the entry point may read its `url` argument (false: only `host` decides).
    pub reads_url: bool,
}

/// Calls of the entry point, each a (url, host) pair, answered in order and in batches.
struct Job {
    calls: Vec<(String, String)>,
    env: PacEnvironment,
    reply: mpsc::Sender<Vec<Result<Evaluated, PacError>>>,
}

/// Compiles `source` on a new engine thread: runs its top level and finds its entry point.
pub(super) fn start(source: &str, origin: &str, limits: &PacLimits) -> Result<Engine, PacError> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
    let (source, owned_origin, limits_copy) = (source.to_owned(), origin.to_owned(), *limits);
    std::thread::Builder::new()
        .name("dapreflight-pac".to_owned())
        // QuickJS checks its own stack limit against the real stack: leave room above it.
        .stack_size(limits.max_stack_size + 4 * 1024 * 1024)
        .spawn(move || {
            let mut instance = match Instance::new(&source, &owned_origin, &limits_copy) {
                Ok(instance) => instance,
                Err(err) => {
                    let _ = ready_tx.send(Err(err));
                    return;
                }
            };
            let _ = ready_tx.send(Ok((instance.entry, instance.reads_url)));
            while let Ok(job) = jobs_rx.recv() {
                let mut batch = Vec::new();
                let mut held_since = Instant::now();
                for (url, host) in &job.calls {
                    let result = instance.evaluate(url, host, &job.env);
                    let spoiled = matches!(&result, Err(PacError::Evaluate { failure, .. })
                        if failure.spoils_runtime());
                    batch.push(result);
                    if spoiled {
                        // A runtime interrupted or out of memory mid-call may hold half-built
                        // state.
                        if let Ok(fresh) = Instance::new(&source, &owned_origin, &limits_copy) {
                            instance = fresh;
                        } else {
                            let _ = job.reply.send(batch);
                            return;
                        }
                    }
                    if batch.len() >= BATCH || held_since.elapsed() >= HOLD {
                        if job.reply.send(std::mem::take(&mut batch)).is_err() {
                            break; // the caller gave up on this job
                        }
                        held_since = Instant::now();
                    }
                }
                if !batch.is_empty() {
                    let _ = job.reply.send(batch);
                }
                instance.collect_garbage();
            }
        })
        .map_err(|err| PacError::Engine {
            message: format!("cannot start the PAC thread: {err}"),
        })?;
    match ready_rx.recv_timeout(limits.timeout + GRACE) {
        Ok(Ok((entry, reads_url))) => Ok(Engine {
            jobs: Mutex::new(Some(jobs_tx)),
            entry,
            reads_url,
        }),
        Ok(Err(err)) => Err(err),
        Err(_) => Err(PacError::Compile {
            origin: origin.to_owned(),
            failure: PacFailure::Timeout {
                after_ms: millis(limits.timeout),
            },
            line: None,
        }),
    }
}

impl Engine {
    /// Calls the entry point with `url` and `host` and waits for the answer.
    pub(super) fn call(
        &self,
        url: &str,
        host: &str,
        env: &PacEnvironment,
    ) -> Result<Evaluated, PacError> {
        let mut answer = None;
        self.call_many(
            vec![(url.to_owned(), host.to_owned())],
            env,
            &mut |result| {
                answer = Some(result);
            },
        );
        answer.unwrap_or_else(|| Err(stopped()))
    }

    /// Calls the entry point for each (url, host) in `calls`, in order, handing each answer to
    /// `each` as the engine thread delivers it (in batches: one round trip between threads per
    /// batch, not per call). Every call gets exactly one answer.
    pub(super) fn call_many(
        &self,
        calls: Vec<(String, String)>,
        env: &PacEnvironment,
        each: &mut dyn FnMut(Result<Evaluated, PacError>),
    ) {
        let mut remaining = calls.iter().map(|(url, _)| url.clone()).collect::<Vec<_>>();
        remaining.reverse(); // popped from the end, in call order
        let Ok(mut jobs) = self.jobs.lock() else {
            for _ in remaining {
                each(Err(stopped()));
            }
            return;
        };
        let (reply, answers) = mpsc::channel();
        let job = Job {
            calls,
            env: env.clone(),
            reply,
        };
        let sent = jobs.as_ref().is_some_and(|sender| sender.send(job).is_ok());
        while sent && !remaining.is_empty() {
            // Each batch is handed over within HOLD of its first answer, and each answer comes
            // within the evaluation deadline (the interrupt handler ends a run at it).
            match answers.recv_timeout(env.eval_timeout + HOLD + GRACE) {
                Ok(batch) => {
                    for result in batch {
                        remaining.pop();
                        each(result);
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    // The interrupt handler should have stopped it; never wait on it again.
                    *jobs = None;
                    if let Some(url) = remaining.pop() {
                        each(Err(PacError::Evaluate {
                            url,
                            failure: PacFailure::Timeout {
                                after_ms: millis(env.eval_timeout),
                            },
                            line: None,
                        }));
                    }
                    break;
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        for _ in remaining {
            each(Err(stopped()));
        }
    }
}

fn stopped() -> PacError {
    PacError::Engine {
        message: "the PAC engine stopped after an earlier failure".to_owned(),
    }
}

/// Per-evaluation state the helpers read: the environment, the clock, the lookup cache.
struct Session {
    resolver: Arc<dyn NameResolver>,
    client_ip: Option<IpAddr>,
    dns_timeout: Duration,
    deadline: Instant,
    now: Option<(Calendar, Calendar)>,
    fixed_now: Option<super::PacTime>,
    local_offset_minutes: i32,
    cache: HashMap<String, Vec<IpAddr>>,
    lookups: Vec<PacLookup>,
    alerts: Vec<String>,
    local_addrs: Option<Vec<IpAddr>>,
}

type Shared = Rc<RefCell<Option<Session>>>;

struct Instance {
    // Field order is drop order: the context goes before its runtime.
    context: Context,
    runtime: Runtime,
    deadline: Rc<Cell<Instant>>,
    session: Shared,
    entry: EntryPoint,
    reads_url: bool,
    local_offset_minutes: i32,
    /// Evaluations since the last full garbage collection.
    since_gc: u32,
}

/// Evaluations between two full garbage collections. `QuickJS` frees most garbage at once by
/// reference counting and collects cycles itself past a threshold; this keeps cyclic garbage
/// from one URL from piling up over a long URL list without paying a full collection per URL
/// (which walks the whole heap: a large PAC's tables every time).
const GC_EVERY: u32 = 64;

impl Instance {
    fn new(source: &str, origin: &str, limits: &PacLimits) -> Result<Self, PacError> {
        let engine_error = |err: rquickjs::Error| PacError::Engine {
            message: err.to_string(),
        };
        let runtime = Runtime::new().map_err(engine_error)?;
        runtime.set_memory_limit(limits.memory_limit);
        runtime.set_max_stack_size(limits.max_stack_size);
        let deadline = Rc::new(Cell::new(Instant::now() + limits.timeout));
        let watched = Rc::clone(&deadline);
        runtime.set_interrupt_handler(Some(Box::new(move || Instant::now() >= watched.get())));
        let context = Context::full(&runtime).map_err(engine_error)?;
        let session: Shared = Rc::new(RefCell::new(None));
        let compile_error = |failure, line| PacError::Compile {
            origin: origin.to_owned(),
            failure,
            line,
        };
        let (entry, reads_url, local_offset_minutes) = context.with(|ctx| {
            // Kept before the script runs: the script may replace the one it can reach.
            let to_source: Option<Function<'_>> = ctx.eval("Function.prototype.toString").ok();
            install(&ctx, &session).map_err(|err| {
                compile_error(
                    PacFailure::Threw {
                        message: format!("cannot define the PAC helpers: {err}"),
                    },
                    None,
                )
            })?;
            let mut options = EvalOptions::default();
            options.strict = false; // PAC files are sloppy-mode scripts
            options.filename = Some(FILENAME.to_owned());
            let ran: Result<Value<'_>, _> = ctx.eval_with_options(source, options).catch(&ctx);
            if let Err(caught) = ran {
                let (failure, line) = classify(&caught, deadline.get(), limits.timeout);
                return Err(compile_error(failure, line));
            }
            let globals = ctx.globals();
            let is_function = |name: &str| {
                globals
                    .get::<_, Value<'_>>(name)
                    .is_ok_and(|value| value.is_function())
            };
            // Windows calls FindProxyForURLEx when it is defined, and offers the Ex helpers
            // only to it.
            let entry = if is_function("FindProxyForURLEx") {
                EntryPoint::FindProxyForUrlEx
            } else if is_function("FindProxyForURL") {
                for name in EX_HELPERS {
                    let _ = globals.remove(name);
                }
                EntryPoint::FindProxyForUrl
            } else {
                return Err(PacError::NoEntryPoint {
                    origin: origin.to_owned(),
                });
            };
            let reads_url = globals
                .get::<_, Function<'_>>(entry.name())
                .ok()
                .zip(to_source)
                .and_then(|(function, to_source)| {
                    to_source.call::<_, String>((This(function),)).ok()
                })
                .is_none_or(|text| may_read_first_argument(&text));
            let offset: i32 = ctx
                .eval::<f64, _>("-(new Date()).getTimezoneOffset()")
                .ok()
                .and_then(|minutes| format!("{minutes:.0}").parse().ok())
                .unwrap_or(0);
            Ok((entry, reads_url, offset))
        })?;
        Ok(Self {
            context,
            runtime,
            deadline,
            session,
            entry,
            reads_url,
            local_offset_minutes,
            since_gc: 0,
        })
    }

    /// A full garbage collection, and the count since the last one reset.
    fn collect_garbage(&mut self) {
        self.runtime.run_gc();
        self.since_gc = 0;
    }

    fn evaluate(
        &mut self,
        url: &str,
        host: &str,
        env: &PacEnvironment,
    ) -> Result<Evaluated, PacError> {
        let deadline = Instant::now() + env.eval_timeout;
        self.deadline.set(deadline);
        *self.session.borrow_mut() = Some(Session {
            resolver: Arc::clone(&env.resolver),
            client_ip: env.client_ip,
            dns_timeout: env.dns_timeout,
            deadline,
            now: None,
            fixed_now: env.now,
            local_offset_minutes: self.local_offset_minutes,
            cache: HashMap::new(),
            lookups: Vec::new(),
            alerts: Vec::new(),
            local_addrs: None,
        });
        let name = self.entry.name();
        let outcome = self.context.with(|ctx| {
            let function: Function<'_> = match ctx.globals().get(name) {
                Ok(function) => function,
                Err(_) => {
                    return Err((
                        PacFailure::Threw {
                            message: format!("{name} is no longer a function"),
                        },
                        None,
                    ));
                }
            };
            match function.call::<_, Value<'_>>((url, host)).catch(&ctx) {
                Ok(value) => match value.as_string() {
                    Some(text) => text.to_string().map(|raw| (raw, None)).map_err(|err| {
                        (
                            PacFailure::Threw {
                                message: err.to_string(),
                            },
                            None,
                        )
                    }),
                    // Read as DIRECT by the caller, with a note (docs/formats.md §8.2).
                    None => Ok((as_text(&value), Some(describe(&value)))),
                },
                Err(caught) => Err(classify(&caught, deadline, env.eval_timeout)),
            }
        });
        let session = self.session.borrow_mut().take();
        let (lookups, alerts) = session.map(|s| (s.lookups, s.alerts)).unwrap_or_default();
        self.since_gc += 1;
        if self.since_gc >= GC_EVERY {
            self.collect_garbage();
        }
        outcome
            .map(|(raw, non_string)| Evaluated {
                raw,
                non_string,
                lookups,
                alerts,
            })
            .map_err(|(failure, line)| PacError::Evaluate {
                url: url.to_owned(),
                failure,
                line,
            })
    }
}

/// Sorts a caught exception into what went wrong, with the script line when `QuickJS` gives one.
fn classify(
    caught: &CaughtError<'_>,
    deadline: Instant,
    timeout: Duration,
) -> (PacFailure, Option<u32>) {
    let (message, stack) = match caught {
        CaughtError::Exception(exception) => {
            let name: Option<String> = exception
                .get::<_, Option<Coerced<String>>>("name")
                .ok()
                .flatten()
                .map(|n| n.0);
            let message = exception.message().unwrap_or_default();
            let message = match name {
                Some(name) if !name.is_empty() => format!("{name}: {message}"),
                _ => message,
            };
            (message, exception.stack().unwrap_or_default())
        }
        CaughtError::Value(value) => (format!("uncaught {}", describe(value)), String::new()),
        CaughtError::Error(rquickjs::Error::Allocation) => {
            ("out of memory".to_owned(), String::new())
        }
        CaughtError::Error(err) => (err.to_string(), String::new()),
    };
    let line = line_of(&stack).or_else(|| line_of(&message));
    let lower = message.to_ascii_lowercase();
    let failure = if Instant::now() >= deadline || lower.contains("interrupted") {
        PacFailure::Timeout {
            after_ms: millis(timeout),
        }
    } else if lower.contains("out of memory") {
        PacFailure::OutOfMemory
    } else if lower.contains("stack overflow") || lower.contains("call stack size") {
        PacFailure::StackOverflow
    } else {
        PacFailure::Threw { message }
    };
    (failure, line)
}

/// The first `pacscript:LINE` in a stack trace.
fn line_of(stack: &str) -> Option<u32> {
    let marker = format!("{FILENAME}:");
    let start = stack.find(&marker)? + marker.len();
    let digits: String = stack[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// A value for an error message, without running any of the script's code.
fn describe(value: &Value<'_>) -> String {
    if value.is_undefined() {
        "undefined".to_owned()
    } else if value.is_null() {
        "null".to_owned()
    } else if let Some(text) = value.as_string() {
        format!("string '{}'", text.to_string().unwrap_or_default())
    } else if let Some(flag) = value.as_bool() {
        format!("boolean {flag}")
    } else if let Some(number) = value.as_number() {
        format!("number {number}")
    } else if value.is_function() {
        "a function".to_owned()
    } else if value.is_array() {
        "an array".to_owned()
    } else {
        format!("a value of type {}", value.type_name())
    }
}

/// A non-string result as JavaScript's `String()` would print a primitive (`undefined`, `null`,
/// `42`, `true`), and as [`describe`] words anything else, without running the script's code.
fn as_text(value: &Value<'_>) -> String {
    if let Some(flag) = value.as_bool() {
        flag.to_string()
    } else if let Some(number) = value.as_number() {
        number.to_string()
    } else {
        describe(value)
    }
}

/// Whether a function, given as its source text, may read its first argument: it names that
/// parameter (or `arguments`, or `eval`) anywhere in its body. Conservative: anything it cannot
/// read plainly (destructuring, defaults, escapes, native code) counts as a read.
fn may_read_first_argument(text: &str) -> bool {
    let text = text.trim_start();
    // `function name(a, b) {...}` or `(a, b) => ...`; an arrow without parentheses or a method
    // is not worth reading.
    if !(text.starts_with("function") || text.starts_with('(')) {
        return true;
    }
    let Some(open) = text.find('(') else {
        return true;
    };
    let Some(close) = text[open..].find(')').map(|at| open + at) else {
        return true;
    };
    let params = &text[open + 1..close];
    let body = &text[close + 1..];
    if params.contains(['=', '{', '[', '.', '/']) || text.contains("\\u") {
        return true;
    }
    if body.contains("[native code]") {
        return true;
    }
    let first = params.split(',').next().unwrap_or_default().trim();
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    let mentions =
        |name: &str| !name.is_empty() && body.split(|c: char| !is_word(c)).any(|word| word == name);
    mentions(first) || mentions("arguments") || mentions("eval")
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What a helper hands back to the script when it is not a plain string or boolean.
enum Answer {
    Text(String),
    False,
}

impl<'js> IntoJs<'js> for Answer {
    fn into_js(self, ctx: &Ctx<'js>) -> rquickjs::Result<Value<'js>> {
        match self {
            Answer::Text(text) => text.into_js(ctx),
            Answer::False => Ok(Value::new_bool(ctx.clone(), false)),
        }
    }
}

type Args = Rest<Coerced<String>>;

/// One positional string argument of a helper; missing reads as `undefined`, as in JavaScript.
type Arg<'js> = Opt<Text<'js>>;

/// A helper's argument as JavaScript's `String()` gives it, borrowed from the engine's own copy
/// when it already is a string (the common case: no allocation).
struct Text<'js>(CString<'js>);

impl<'js> FromJs<'js> for Text<'js> {
    fn from_js(ctx: &Ctx<'js>, value: Value<'js>) -> rquickjs::Result<Self> {
        let string = match value.as_string() {
            Some(string) => string.clone(),
            None => Coerced::<rquickjs::String<'js>>::from_js(ctx, value)?.0,
        };
        string.to_cstring().map(Text)
    }
}

fn text<'a>(arg: &'a Arg<'_>) -> &'a str {
    arg.0.as_ref().map_or("undefined", |text| text.0.as_str())
}

fn arg(args: &Args, index: usize) -> &str {
    args.0
        .get(index)
        .map_or("undefined", |value| value.0.as_str())
}

fn strings(args: Args) -> Vec<String> {
    args.0.into_iter().map(|value| value.0).collect()
}

/// Defines the PAC helpers as globals. Each is a thin shim over `helpers` or the session.
#[allow(clippy::too_many_lines)] // one short definition per helper, in the spec's order
fn install<'js>(ctx: &Ctx<'js>, session: &Shared) -> rquickjs::Result<()> {
    let globals = ctx.globals();
    macro_rules! define {
        ($name:literal, $function:expr) => {
            globals.set(
                $name,
                Function::new(ctx.clone(), $function)?.with_name($name)?,
            )?;
        };
    }
    // The string helpers are called thousands of times per URL by list-style PACs: they borrow
    // their arguments from the engine (`Text`) instead of copying them into Rust strings.
    define!("isPlainHostName", |host: Arg<'js>| {
        helpers::is_plain_host_name(text(&host))
    });
    define!("dnsDomainIs", |host: Arg<'js>, domain: Arg<'js>| {
        helpers::dns_domain_is(text(&host), text(&domain))
    });
    define!(
        "localHostOrDomainIs",
        |host: Arg<'js>, hostdom: Arg<'js>| {
            helpers::local_host_or_domain_is(text(&host), text(&hostdom))
        }
    );
    define!("dnsDomainLevels", |host: Arg<'js>| {
        u32::try_from(helpers::dns_domain_levels(text(&host))).unwrap_or(u32::MAX)
    });
    define!("shExpMatch", |subject: Arg<'js>, glob: Arg<'js>| {
        helpers::sh_exp_match(text(&subject), text(&glob))
    });
    define!("convert_addr", |address: Arg<'js>| helpers::convert_addr(
        text(&address)
    ));
    define!("alert", {
        let session = Rc::clone(session);
        move |args: Args| {
            if let Some(s) = session.borrow_mut().as_mut()
                && s.alerts.len() < 100
            {
                s.alerts.push(arg(&args, 0).chars().take(1000).collect());
            }
        }
    });
    define!("dnsResolve", {
        let session = Rc::clone(session);
        // Windows (IE8 lineage, per Chromium's proxy_resolver_v8.cc) returns false on failure,
        // where Chromium and pacparser return null.
        move |args: Args| match with_session(&session, |s| first_v4(&s.lookup(arg(&args, 0)))) {
            Some(Some(ip)) => Answer::Text(ip.to_string()),
            _ => Answer::False,
        }
    });
    define!("isResolvable", {
        let session = Rc::clone(session);
        move |args: Args| {
            with_session(&session, |s| first_v4(&s.lookup(arg(&args, 0))))
                .flatten()
                .is_some()
        }
    });
    define!("isInNet", {
        let session = Rc::clone(session);
        move |host: Arg<'js>, pattern: Arg<'js>, mask: Arg<'js>| {
            let host = text(&host);
            // An IPv4 literal is used as is; anything else is a DNS query, as in every engine.
            let ip = helpers::ipv4_literal(host)
                .or_else(|| with_session(&session, |s| first_v4(&s.lookup(host))).flatten());
            ip.is_some_and(|ip| helpers::is_in_net(ip, text(&pattern), text(&mask)))
        }
    });
    define!("myIpAddress", {
        let session = Rc::clone(session);
        move || {
            with_session(&session, |s| {
                s.client_ip
                    .or_else(|| first_v4(&s.local_addresses()).map(IpAddr::V4))
            })
            .flatten()
            .map_or_else(|| "127.0.0.1".to_owned(), |ip| ip.to_string())
        }
    });
    define!("weekdayRange", {
        let session = Rc::clone(session);
        move |args: Args| {
            with_session(&session, |s| {
                let (local, utc) = s.calendars();
                helpers::weekday_range(&strings(args), &local, &utc)
            })
            .unwrap_or(false)
        }
    });
    define!("dateRange", {
        let session = Rc::clone(session);
        move |args: Args| {
            with_session(&session, |s| {
                let (local, utc) = s.calendars();
                helpers::date_range(&strings(args), &local, &utc)
            })
            .unwrap_or(false)
        }
    });
    define!("timeRange", {
        let session = Rc::clone(session);
        move |args: Args| {
            with_session(&session, |s| {
                let (local, utc) = s.calendars();
                helpers::time_range(&strings(args), &local, &utc)
            })
            .unwrap_or(false)
        }
    });
    // Microsoft's IPv6-aware helpers (removed again unless the script has FindProxyForURLEx).
    define!("isResolvableEx", {
        let session = Rc::clone(session);
        move |args: Args| {
            with_session(&session, |s| !s.lookup(arg(&args, 0)).is_empty()).unwrap_or(false)
        }
    });
    define!("dnsResolveEx", {
        let session = Rc::clone(session);
        move |args: Args| {
            with_session(&session, |s| helpers::join_addrs(&s.lookup(arg(&args, 0))))
                .unwrap_or_default()
        }
    });
    define!("isInNetEx", {
        let session = Rc::clone(session);
        move |args: Args| {
            let host = arg(&args, 0);
            let addrs = match host.parse::<IpAddr>() {
                Ok(ip) => vec![ip],
                Err(_) => with_session(&session, |s| s.lookup(host)).unwrap_or_default(),
            };
            helpers::is_in_net_ex(&addrs, arg(&args, 1))
        }
    });
    define!("myIpAddressEx", {
        let session = Rc::clone(session);
        move || {
            with_session(&session, |s| match s.client_ip {
                Some(ip) => ip.to_string(),
                None => helpers::join_addrs(&s.local_addresses()),
            })
            .unwrap_or_default()
        }
    });
    define!("sortIpAddressList", |args: Args| {
        helpers::sort_ip_address_list(arg(&args, 0)).map_or(Answer::False, Answer::Text)
    });
    define!("getClientVersion", || "1.0");
    Ok(())
}

fn with_session<T>(session: &Shared, f: impl FnOnce(&mut Session) -> T) -> Option<T> {
    session.borrow_mut().as_mut().map(f)
}

fn first_v4(addrs: &[IpAddr]) -> Option<std::net::Ipv4Addr> {
    addrs.iter().find_map(|addr| match addr {
        IpAddr::V4(v4) => Some(*v4),
        IpAddr::V6(_) => None,
    })
}

impl Session {
    /// The host's addresses through the resolver, cached, within the lookup and run deadlines.
    fn lookup(&mut self, host: &str) -> Vec<IpAddr> {
        if let Ok(ip) = host.parse::<IpAddr>() {
            return vec![ip];
        }
        if let Some(addrs) = self.cache.get(host) {
            return addrs.clone();
        }
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let (addrs, error) = if remaining.is_zero() {
            (
                Vec::new(),
                Some("not looked up: the evaluation deadline has passed".to_owned()),
            )
        } else if self.lookups.len() >= MAX_LOOKUPS {
            (
                Vec::new(),
                Some(format!("not looked up: more than {MAX_LOOKUPS} lookups")),
            )
        } else {
            match self.resolver.lookup(host, self.dns_timeout.min(remaining)) {
                Ok(addrs) => (addrs, None),
                Err(message) => (Vec::new(), Some(message)),
            }
        };
        self.lookups.push(PacLookup {
            host: host.to_owned(),
            addrs: addrs.clone(),
            error,
        });
        self.cache.insert(host.to_owned(), addrs.clone());
        addrs
    }

    fn local_addresses(&mut self) -> Vec<IpAddr> {
        self.local_addrs
            .get_or_insert_with(super::local_addresses)
            .clone()
    }

    /// (local, UTC) calendars for the date helpers, fixed for the whole evaluation.
    fn calendars(&mut self) -> (Calendar, Calendar) {
        let (fixed, offset) = (self.fixed_now, self.local_offset_minutes);
        *self.now.get_or_insert_with(|| {
            let (unix, offset) = fixed.map_or_else(
                || {
                    let unix = SystemTime::now()
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
                    (unix, offset)
                },
                |time| (time.unix_seconds, time.utc_offset_minutes),
            );
            (Calendar::at(unix, offset), Calendar::at(unix, 0))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::resolve::TableResolver;

    #[test]
    fn a_function_reads_its_first_argument_when_its_body_names_it() {
        let cases = [
            (
                "function FindProxyForURL(url, host) { return host; }",
                false,
            ),
            ("function FindProxyForURL(url, host) { return url; }", true),
            (
                "function FindProxyForURL(u, h) { return shExpMatch(u, '*'); }",
                true,
            ),
            (
                "function FindProxyForURL(url, host) { return 'url'; }",
                true,
            ), // conservative
            (
                "function FindProxyForURL(url, host) { return urls; }",
                false,
            ),
            (
                "function FindProxyForURL(url, host) { return arguments[0]; }",
                true,
            ),
            (
                "function FindProxyForURL(url, host) { return eval('ur' + 'l'); }",
                true,
            ),
            (
                "function FindProxyForURL(url = 1, host) { return host; }",
                true,
            ),
            (
                "function FindProxyForURL({ length }, host) { return host; }",
                true,
            ),
            (
                "function FindProxyForURL(url, host) { return \\u0075rl; }",
                true,
            ),
            ("function () { [native code] }", true),
            ("function FindProxyForURL() { return 'DIRECT'; }", false),
            ("(url, host) => host", false),
            ("url => url", true),
            ("FindProxyForURL(url, host) { return host; }", true), // a method
        ];
        for (text, expected) in cases {
            assert_eq!(may_read_first_argument(text), expected, "{text}");
        }
    }

    #[test]
    fn a_pac_cannot_read_the_url_through_the_function_object() {
        // `FindProxyForURL.arguments` and `.caller` are poison pills in QuickJS, so a function
        // whose body never names the URL cannot pass it on that way.
        let source = "function peek() {\n  try { return String(FindProxyForURL.arguments[0]); }\n  \
                      catch (e) { return 'hidden'; }\n}\n\
                      function FindProxyForURL(url, host) { return 'PROXY ' + peek() + ':1'; }\n";
        let engine = start(source, "peek.pac", &PacLimits::default()).expect("compiles");
        assert!(!engine.reads_url);
        let env = PacEnvironment::with_resolver(Arc::new(TableResolver::default()));
        let answer = engine.call("http://a/secret", "a", &env).expect("answers");
        assert_eq!(answer.raw, "PROXY hidden:1");
    }

    #[test]
    fn many_calls_come_back_in_order_each_with_its_own_answer() {
        let source = "function FindProxyForURL(url, host) { return 'PROXY ' + host + ':1'; }";
        let engine = start(source, "echo.pac", &PacLimits::default()).expect("compiles");
        let env = PacEnvironment::with_resolver(Arc::new(TableResolver::default()));
        let calls: Vec<(String, String)> = (0..1000)
            .map(|i| (format!("http://h{i}/"), format!("h{i}")))
            .collect();
        let mut answers = Vec::new();
        engine.call_many(calls, &env, &mut |answer| {
            answers.push(answer.expect("answers").raw);
        });
        assert_eq!(answers.len(), 1000);
        for (i, raw) in answers.iter().enumerate() {
            assert_eq!(raw, &format!("PROXY h{i}:1"));
        }
    }
}
