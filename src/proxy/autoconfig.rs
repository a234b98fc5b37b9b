//! Turning automatic proxy configuration into routes: loading PAC scripts (from a file, a URL or
//! WPAD), and asking them, per endpoint, which route WinHTTP and WinINET would take.

use std::collections::HashMap;
use std::sync::Arc;

use crate::proxy::pac::{self, PacEnvironment, PacLimits, PacScript};
use crate::proxy::proxylist::ProxyApi;
use crate::proxy::resolve::SystemResolver;
use crate::proxy::wpad::{self, StepOutcome, WpadOptions, WpadReport};
use crate::proxy::{
    AutoConfig, DiscoveryError, LoadedPac, ProxySources, RouteRule, SourceReport, SourceStatus,
};
use crate::route::{Route, RouteChoice};
use crate::url::Target;

/// Loads each PAC once per run and runs WPAD at most once.
pub(crate) struct Loader<'a> {
    sources: &'a ProxySources,
    scripts: HashMap<String, Result<Arc<LoadedPac>, String>>,
    wpad: Option<WpadReport>,
}

impl<'a> Loader<'a> {
    pub(crate) fn new(sources: &'a ProxySources) -> Self {
        Self {
            sources,
            scripts: HashMap::new(),
            wpad: None,
        }
    }

    /// `--pac`: a PAC the user named must load, or the run cannot go on.
    pub(crate) async fn forced_pac(&mut self, location: &str) -> Result<RouteRule, DiscoveryError> {
        let pac = self
            .load(location)
            .await
            .map_err(|message| DiscoveryError::Pac { message })?;
        Ok(RouteRule::Pac {
            pac,
            api: ProxyApi::WinHttp,
            source: format!("--pac {location}"),
        })
    }

    /// `--wpad`: discover now; the steps become sources of the context, and its warnings the
    /// context's warnings.
    pub(crate) async fn forced_wpad(&mut self) -> (RouteRule, Vec<SourceReport>, Vec<String>) {
        let report = self.discover_wpad(true).await;
        let steps = wpad_sources(&report);
        let rule = match &report.pac {
            Some(found) => match self.compile(&found.url, &found.source) {
                Ok(pac) => RouteRule::Pac {
                    pac,
                    api: ProxyApi::WinHttp,
                    source: format!("WPAD {}", found.url),
                },
                Err(reason) => RouteRule::Unavailable {
                    source: format!("WPAD {}", found.url),
                    reason,
                },
            },
            None => RouteRule::Fixed {
                route: Route::Direct,
                source: "WPAD found no PAC: direct".to_owned(),
            },
        };
        (rule, steps, report.warnings)
    }

    /// Resolves the automatic configuration in `rule`; what happened is added to `notes`.
    pub(crate) async fn resolve(&mut self, rule: RouteRule, notes: &mut Notes<'_>) -> RouteRule {
        match rule {
            RouteRule::Auto {
                config,
                api,
                source,
            } => match self.auto(&config, notes).await {
                Ok(Some(pac)) => RouteRule::Pac { pac, api, source },
                Ok(None) => RouteRule::Unavailable {
                    reason: "auto-detect found no PAC (WinINET then tries the next setting)"
                        .to_owned(),
                    source,
                },
                Err(reason) => {
                    // A script that is configured but cannot be fetched or compiled is a failure
                    // to report as such, never as "not set".
                    if matches!(config, AutoConfig::Url(_)) {
                        notes.sources.push(SourceReport {
                            name: source.clone(),
                            status: SourceStatus::Failed,
                            detail: format!("cannot be used: {reason}"),
                        });
                    }
                    RouteRule::Unavailable { source, reason }
                }
            },
            RouteRule::FirstOf { rules, source } => {
                // WinINET uses the first setting that yields a configuration.
                let mut rules = rules.into_iter();
                while let Some(rule) = rules.next() {
                    let reported = matches!(
                        rule,
                        RouteRule::Auto {
                            config: AutoConfig::Url(_),
                            ..
                        }
                    );
                    let resolved = Box::pin(self.resolve(rule, notes)).await;
                    if !matches!(resolved, RouteRule::Unavailable { .. }) {
                        // The settings after the one that applies are never reached: not used.
                        for skipped in rules {
                            not_reached(&skipped, &resolved, notes.sources);
                        }
                        return resolved;
                    }
                    if reported {
                        continue;
                    }
                    if let RouteRule::Unavailable { source, reason } = &resolved {
                        notes.sources.push(SourceReport {
                            name: source.clone(),
                            status: SourceStatus::NotSet,
                            detail: format!("skipped: {reason}"),
                        });
                    }
                }
                RouteRule::Fixed {
                    route: Route::Direct,
                    source: format!("{source}: nothing applied, direct"),
                }
            }
            other => other,
        }
    }

    async fn auto(
        &mut self,
        config: &AutoConfig,
        notes: &mut Notes<'_>,
    ) -> Result<Option<Arc<LoadedPac>>, String> {
        match config {
            AutoConfig::Url(url) => self.load(url).await.map(Some),
            AutoConfig::Wpad => {
                if !self.sources.live_network {
                    return Err(
                        "auto-detect (WPAD) runs only on the device itself, or with --wpad"
                            .to_owned(),
                    );
                }
                let report = self.discover_wpad(true).await;
                notes.sources.extend(wpad_sources(&report));
                notes.warnings.extend(report.warnings.iter().cloned());
                match &report.pac {
                    Some(found) => self.compile(&found.url, &found.source).map(Some),
                    None => Ok(None),
                }
            }
        }
    }

    async fn load(&mut self, location: &str) -> Result<Arc<LoadedPac>, String> {
        if let Some(found) = self.scripts.get(location) {
            return found.clone();
        }
        let loaded = match pac::source::load(location, self.sources.timeout).await {
            Ok(source) => self.compile(location, &source.text),
            Err(err) => Err(err.to_string()),
        };
        self.scripts.insert(location.to_owned(), loaded.clone());
        loaded
    }

    fn compile(&self, origin: &str, text: &str) -> Result<Arc<LoadedPac>, String> {
        let limits = PacLimits {
            timeout: self.sources.timeout,
            ..PacLimits::default()
        };
        let script = PacScript::compile(text, origin, &limits).map_err(|err| err.to_string())?;
        let mut env = PacEnvironment::with_resolver(Arc::new(SystemResolver));
        env.eval_timeout = self.sources.timeout;
        env.dns_timeout = self.sources.timeout.min(std::time::Duration::from_secs(2));
        Ok(Arc::new(LoadedPac {
            script,
            text: text.to_owned(),
            env,
        }))
    }

    async fn discover_wpad(&mut self, auto_detect_on: bool) -> WpadReport {
        if let Some(report) = &self.wpad {
            return report.clone();
        }
        let options = WpadOptions {
            domain: self.sources.wpad_domain.clone(),
            resolver: Arc::new(SystemResolver),
            timeout: self.sources.timeout,
            max_size: wpad::DEFAULT_MAX_SIZE,
            port: 80,
            auto_detect_on,
            query_os: true,
        };
        let report = wpad::discover(&options).await;
        self.wpad = Some(report.clone());
        report
    }
}

/// Marks the source recorded for `skipped` (a static proxy, or direct, after automatic
/// configuration in WinINET's order) as not used, because `applied` comes first.
fn not_reached(skipped: &RouteRule, applied: &RouteRule, sources: &mut [SourceReport]) {
    let (RouteRule::List { source: label, .. } | RouteRule::Fixed { source: label, .. }) = skipped
    else {
        return;
    };
    let winner = match applied {
        RouteRule::Pac { source, .. }
        | RouteRule::List { source, .. }
        | RouteRule::Fixed { source, .. }
        | RouteRule::Auto { source, .. }
        | RouteRule::FirstOf { source, .. }
        | RouteRule::Unavailable { source, .. } => source.as_str(),
        RouteRule::Env(_) => "the environment",
    };
    for report in sources.iter_mut().filter(|report| {
        report.status == SourceStatus::Used && label.starts_with(report.name.as_str())
    }) {
        report.status = SourceStatus::NotSet;
        report.detail = format!("{} (not used: {winner} applies first)", report.detail);
    }
}

/// Where resolving a context's automatic configuration reports what happened.
pub(crate) struct Notes<'a> {
    pub(crate) sources: &'a mut Vec<SourceReport>,
    pub(crate) warnings: &'a mut Vec<String>,
}

/// The WPAD steps as sources of the context that used them: used only when the step found
/// something; a step that found nothing or failed is not set, one that cannot run here does not
/// apply.
fn wpad_sources(report: &WpadReport) -> Vec<SourceReport> {
    report
        .steps
        .iter()
        .map(|step| SourceReport {
            name: format!("WPAD: {}", step.what),
            status: match step.outcome {
                StepOutcome::Found { .. } => SourceStatus::Used,
                StepOutcome::NotApplicable { .. } | StepOutcome::Skipped { .. } => {
                    SourceStatus::NotApplicable
                }
                StepOutcome::NotFound { .. }
                | StepOutcome::Failed { .. }
                | StepOutcome::TimedOut { .. }
                | StepOutcome::TooLarge { .. } => SourceStatus::NotSet,
            },
            detail: step.outcome.to_string(),
        })
        .collect()
}

/// The routes a PAC gives for `target`: WinHTTP's first entry, or WinINET's failover order.
pub(crate) fn pac_routes(
    pac: &LoadedPac,
    api: ProxyApi,
    source: &str,
    target: &Target,
) -> Vec<RouteChoice> {
    let decision = match pac::decide(&pac.script, target, &pac.env) {
        Ok(decision) => decision,
        Err(err) => {
            return vec![RouteChoice {
                route: Route::Unprobeable {
                    reason: format!("the PAC failed: {err}"),
                },
                source: source.to_owned(),
                pac: None,
            }];
        }
    };
    let note = |failover: Option<usize>| crate::route::PacNote {
        script: pac.script.origin().to_owned(),
        result: decision.raw.clone(),
        line: deciding_line(&pac.text, &decision.raw),
        failover,
        notes: decision.notes.clone(),
    };
    let unprobeable = |reason: String| Route::Unprobeable { reason };
    match api {
        ProxyApi::WinHttp => vec![RouteChoice {
            route: decision.winhttp_route().unwrap_or_else(unprobeable),
            source: format!("{source} (WinHTTP uses the first entry)"),
            pac: Some(note(None)),
        }],
        ProxyApi::WinInet => {
            let routes = decision.wininet_routes();
            let count = routes.len();
            if count == 0 {
                return vec![RouteChoice {
                    route: Route::Direct,
                    source: format!("{source}: no usable entry, direct"),
                    pac: Some(note(None)),
                }];
            }
            routes
                .into_iter()
                .enumerate()
                .map(|(index, route)| RouteChoice {
                    route: route.unwrap_or_else(unprobeable),
                    source: if count == 1 {
                        source.to_owned()
                    } else {
                        format!("{source} (WinINET failover {} of {count})", index + 1)
                    },
                    pac: Some(note(Some(index + 1))),
                })
                .collect()
        }
    }
}

/// The one line of `text` that holds `result` as a string literal, if exactly one does.
fn deciding_line(text: &str, result: &str) -> Option<usize> {
    let result = result.trim();
    if result.is_empty() {
        return None;
    }
    let quoted = [format!("\"{result}\""), format!("'{result}'")];
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, line)| quoted.iter().any(|q| line.contains(q.as_str())))
        .map(|(index, _)| index + 1);
    match (lines.next(), lines.next()) {
        (Some(line), None) => Some(line),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::bypass::BypassList;
    use crate::proxy::proxylist::ProxyList;

    #[tokio::test]
    async fn a_manual_proxy_after_a_script_that_applies_is_not_marked_used() {
        let dir = tempfile::tempdir().expect("tempdir");
        let pac = dir.path().join("direct.pac");
        std::fs::write(
            &pac,
            "function FindProxyForURL(url, host) { return 'DIRECT'; }\n",
        )
        .expect("write the PAC");
        let pac = pac.display().to_string();
        let sources = ProxySources {
            timeout: std::time::Duration::from_secs(2),
            ..ProxySources::default()
        };
        let mut loader = Loader::new(&sources);
        let mut reports = vec![
            SourceReport {
                name: "WinINET: automatic configuration script".to_owned(),
                status: SourceStatus::Used,
                detail: pac.clone(),
            },
            SourceReport {
                name: "WinINET: manual proxy".to_owned(),
                status: SourceStatus::Used,
                detail: "proxy.corp.example:8080 (device.reg:9)".to_owned(),
            },
        ];
        let mut warnings = Vec::new();
        let rule = RouteRule::FirstOf {
            rules: vec![
                RouteRule::Auto {
                    config: AutoConfig::Url(pac.clone()),
                    api: ProxyApi::WinInet,
                    source: format!("WinINET: PAC {pac}"),
                },
                RouteRule::List {
                    list: ProxyList::parse("proxy.corp.example:8080").expect("a proxy list"),
                    bypass: BypassList::parse(""),
                    api: ProxyApi::WinInet,
                    source: "WinINET: manual proxy".to_owned(),
                },
            ],
            source: "WinINET".to_owned(),
        };
        let mut notes = Notes {
            sources: &mut reports,
            warnings: &mut warnings,
        };
        let resolved = loader.resolve(rule, &mut notes).await;
        assert!(matches!(resolved, RouteRule::Pac { .. }), "{resolved:?}");
        assert_eq!(reports[0].status, SourceStatus::Used);
        assert_eq!(reports[1].status, SourceStatus::NotSet, "{reports:?}");
        assert!(
            reports[1].detail.contains("not used: WinINET: PAC"),
            "{reports:?}"
        );
    }

    #[test]
    fn the_deciding_line_is_the_only_one_returning_that_string() {
        let pac = "function FindProxyForURL(url, host) {\n  if (isPlainHostName(host)) return \"DIRECT\";\n  if (shExpMatch(host, '*.microsoft.com')) return 'PROXY a:8080; DIRECT';\n  return \"DIRECT\";\n}\n";
        assert_eq!(deciding_line(pac, "PROXY a:8080; DIRECT"), Some(3));
        assert_eq!(
            deciding_line(pac, "DIRECT"),
            None,
            "two lines return DIRECT"
        );
        assert_eq!(deciding_line(pac, "PROXY b:1"), None);
    }
}
