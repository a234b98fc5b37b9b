//! `dapreflight pac`: load a PAC, evaluate it for each URL, render the answers.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use crate::command::write_stdout;
use crate::config::PacConfig;
use crate::error::Error;
use crate::input::{self, InputKind};
use crate::output;
use crate::proxy::pac::{
    PacEnvironment, PacError, PacLimits, PacScript, check_url, decide_url, source,
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
    // The engine blocks: keep it off the async runtime's thread.
    let (function, decisions) = tokio::task::spawn_blocking(move || {
        let script = PacScript::compile(&pac.text, &pac.origin, &limits)?;
        let decisions: Vec<(String, Result<crate::proxy::pac::PacDecision, PacError>)> = urls
            .into_iter()
            .map(|url| {
                let decision = decide_url(&script, &url, &env);
                (url, decision)
            })
            .collect();
        Ok::<_, PacError>((script.entry_point(), decisions))
    })
    .await
    .map_err(|err| PacError::Engine {
        message: format!("the PAC thread failed: {err}"),
    })??;
    let mut first_error = None;
    let results = decisions
        .into_iter()
        .map(|(url, decision)| match decision {
            Ok(decision) => PacUrlOutcome::Decided(Box::new(decision)),
            Err(err) => {
                let error = err.to_string();
                first_error.get_or_insert(err);
                PacUrlOutcome::Failed { url, error }
            }
        })
        .collect();
    let report = PacReport {
        pac: origin,
        function,
        results,
        single,
    };
    // A reader that went away keeps exit 0 only when every URL was evaluated.
    let outcome = first_error.is_none().then_some(Outcome::Clear);
    write_stdout(out, outcome, |out| {
        output::pac::render(&report, config.style, out)
    })?;
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
