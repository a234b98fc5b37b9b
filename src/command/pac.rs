//! `dapreflight pac`: load a PAC, evaluate it for each URL, render the answers.

use std::io::{self, Write};
use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;

use crate::config::PacConfig;
use crate::error::Error;
use crate::input::{self, InputKind};
use crate::output::{self, Format};
use crate::proxy::pac::{
    Decided, PacEnvironment, PacError, PacLimits, PacScript, check_url, decide_urls, source,
};
use crate::proxy::resolve::{NameResolver, SystemResolver, TableResolver};
use crate::report::Outcome;
use crate::report::pac::{PacReport, PacUrlOutcome};

/// Runs the `pac` command; any URL that could not be evaluated makes it an error (exit 2), after
/// the others are rendered.
pub(crate) async fn run(config: &PacConfig, out: &mut impl Write) -> Result<(), Error> {
    let mut urls = config.urls.clone();
    if let Some(path) = &config.url_file {
        urls.extend(read_url_list(path)?);
    }
    let pac = source::load(&config.source, config.timeout).await?;
    let limits = PacLimits {
        timeout: config.timeout,
        ..PacLimits::default()
    };
    let resolver: Arc<dyn NameResolver> = if config.dns.is_empty() {
        Arc::new(SystemResolver)
    } else {
        Arc::new(TableResolver::new(
            config.dns.iter().map(|(host, ip)| (host.as_str(), *ip)),
        ))
    };
    let env = PacEnvironment {
        client_ip: config.client_ip,
        eval_timeout: config.timeout,
        dns_timeout: config.timeout.min(std::time::Duration::from_secs(2)),
        ..PacEnvironment::with_resolver(resolver)
    };
    let single = urls.len() == 1 && config.url_file.is_none();
    let origin = pac.origin.clone();
    // The engine blocks: keep it off the async runtime's thread. Decisions come back a chunk of
    // URLs at a time and are written as they come (one wake-up of this thread per chunk).
    let (chunks, mut decided) = tokio::sync::mpsc::unbounded_channel::<Vec<Decided>>();
    let evaluation = tokio::task::spawn_blocking(move || {
        let script = PacScript::compile(&pac.text, &pac.origin, &limits)?;
        // Stop evaluating once nobody reads the answers (a write failed, `| head` went away).
        decide_urls(&script, urls, &env, |chunk| match chunks.send(chunk) {
            Ok(()) => ControlFlow::Continue(()),
            Err(_) => ControlFlow::Break(()),
        });
        Ok::<_, PacError>(script.entry_point())
    });
    let streaming = config.style.format == Format::Table;
    let mut out = io::BufWriter::new(out);
    // A reader that went away keeps exit 0 only while every URL so far was evaluated.
    let failed = |first_error: &Option<PacError>| {
        let outcome = first_error.is_none().then_some(Outcome::Clear);
        move |source| Error::Output { outcome, source }
    };
    let mut first_error = None;
    let mut results = Vec::new();
    while let Some(chunk) = decided.recv().await {
        for (url, decision) in chunk {
            let outcome = match decision {
                Ok(decision) => PacUrlOutcome::Decided(Box::new(decision)),
                Err(err) => {
                    let error = err.to_string();
                    first_error.get_or_insert(err);
                    PacUrlOutcome::Failed { url, error }
                }
            };
            if streaming {
                output::pac::render_line(&outcome, single, config.style, &mut out)
                    .map_err(failed(&first_error))?;
            } else {
                results.push(outcome);
            }
        }
    }
    let function = evaluation.await.map_err(|err| PacError::Engine {
        message: format!("the PAC thread failed: {err}"),
    })??;
    if !streaming {
        let report = PacReport {
            pac: origin,
            function,
            results,
            single,
        };
        output::pac::render(&report, config.style, &mut out).map_err(failed(&first_error))?;
    }
    out.flush().map_err(failed(&first_error))?;
    match first_error {
        Some(err) => Err(err.into()),
        None => Ok(()),
    }
}

/// Reads `pac --url-file`: one URL a line, `#` comments and blank lines skipped. A line that is
/// not a URL is the list's error, named by file and line, not the PAC's.
fn read_url_list(path: &Path) -> Result<Vec<String>, PacError> {
    let lines = input::read_lines(path, InputKind::UrlList)?;
    let mut urls = Vec::with_capacity(lines.len());
    for (number, line) in lines {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        check_url(line).map_err(|message| PacError::UrlList {
            origin: path.display().to_string(),
            line: number,
            message,
        })?;
        urls.push(line.to_owned());
    }
    Ok(urls)
}
