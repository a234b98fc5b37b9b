//! The table rendering: each context's sources, one row per result, then the summary line.

use std::fmt::Write as _;
use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};

use crate::output::Style;
use crate::report::{ContextConfig, EndpointList, ProxyView, Report, SourceStatus};
use crate::route::Route;
use crate::status::Status;

/// Writes the contexts, the results table and the summary line.
pub(crate) fn render(report: &Report, style: Style, out: &mut impl Write) -> io::Result<()> {
    super::verdict::render_verdict(&report.verdict, out)?;
    writeln!(out)?;
    render_contexts(&report.contexts, out)?;
    let mut table = new_table(style);
    table.set_header(["Endpoint", "Context", "Route", "Status", "Detail", "Time"]);
    for result in &report.results {
        let status = Cell::new(result.status.as_str());
        let status = if style.color {
            status.fg(match result.status {
                Status::Ok => Color::Green,
                Status::NotProbed => Color::DarkGrey,
                _ => Color::Red,
            })
        } else {
            status
        };
        table.add_row([
            Cell::new(&result.endpoint),
            Cell::new(result.context),
            Cell::new(result.route.route.to_string()),
            status,
            Cell::new(&result.detail),
            Cell::new(format!("{} ms", result.timings_ms.total)),
        ]);
    }
    writeln!(out, "{table}")?;
    writeln!(out, "{}", report.summary_line())?;
    writeln!(out)?;
    super::verdict::render_settings(report.settings.as_ref(), out)
}

/// Writes each context's sources, what is configured but disabled, and its warnings.
fn render_contexts(contexts: &[ContextConfig], out: &mut impl Write) -> io::Result<()> {
    for context in contexts {
        writeln!(out, "context {}:", context.name)?;
        for source in &context.sources {
            let mark = match source.status {
                SourceStatus::Used => "✓",
                SourceStatus::NotSet => "·",
                SourceStatus::NotApplicable => "–",
                SourceStatus::NotInInput => "?",
                SourceStatus::Failed => "✗",
            };
            writeln!(out, "  {mark} {}: {}", source.name, source.detail)?;
        }
        for disabled in &context.disabled {
            writeln!(out, "  ⊘ {disabled}")?;
        }
        for warning in &context.warnings {
            writeln!(out, "  ! {warning}")?;
        }
    }
    Ok(())
}

/// Writes what `dapreflight proxy` shows: the contexts, then the route per endpoint and context.
pub(crate) fn render_proxy(view: &ProxyView, style: Style, out: &mut impl Write) -> io::Result<()> {
    render_contexts(&view.contexts, out)?;
    let mut table = new_table(style);
    table.set_header(["Endpoint", "Context", "Route", "Chosen by"]);
    for row in &view.routes {
        let route = match &row.route.route {
            Route::Unprobeable { reason } => format!("not probeable: {reason}"),
            other => other.to_string(),
        };
        let mut chosen = row.route.source.clone();
        if let Some(pac) = &row.route.pac {
            let line = pac.line.map(|l| format!(" line {l}")).unwrap_or_default();
            let _ = write!(chosen, "; PAC{line} returned \"{}\"", pac.result);
        }
        table.add_row([row.endpoint.clone(), row.context.to_string(), route, chosen]);
    }
    writeln!(out, "{table}")
}

/// Writes the endpoint list: URL, profiles, trust rule, probe path, purpose.
pub(crate) fn render_endpoints(
    list: &EndpointList,
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    let endpoints = &list.endpoints;
    let mut table = new_table(style);
    table.set_header(["Endpoint", "Profiles", "Trust", "Probe path", "Purpose"]);
    for endpoint in endpoints {
        let url = if endpoint.wildcard {
            format!("{} (wildcard)", endpoint.url)
        } else {
            endpoint.url.clone()
        };
        table.add_row([
            url,
            endpoint.profiles.join(", "),
            endpoint.trust.name().to_owned(),
            endpoint.probe_path.clone(),
            endpoint.purpose.clone(),
        ]);
    }
    writeln!(out, "{table}")?;
    writeln!(
        out,
        "{} endpoint{}",
        endpoints.len(),
        if endpoints.len() == 1 { "" } else { "s" }
    )
}

/// A table that fits the terminal, or `style.width` when one is given; unwrapped otherwise.
fn new_table(style: Style) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(width) = style.width {
        table.set_width(width);
    }
    table
}
