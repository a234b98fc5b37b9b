//! The table rendering: the verdict first, then one row per result and the summary line, then
//! each context's sources and the settings that matter. Everything fits `Style::width`.

use std::fmt::Write as _;
use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};

use crate::output::Style;
use crate::output::verdict::write_lines;
use crate::output::wrap::wrap;
use crate::report::{ContextConfig, EndpointList, ProxyView, Report, SourceStatus};
use crate::route::Route;
use crate::status::Status;

/// Writes the verdict, the results table, the summary line, the contexts' sources and the
/// settings.
pub(crate) fn render(report: &Report, style: Style, out: &mut impl Write) -> io::Result<()> {
    super::verdict::render_verdict(&report.verdict, style, out)?;
    writeln!(out)?;
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
    write_lines(out, wrap(&report.summary_line(), style.width, "", "  "))?;
    writeln!(out)?;
    render_contexts(&report.contexts, style, out)?;
    super::verdict::render_settings(report.settings.as_ref(), &report.verdict, style, out)
}

/// Writes each context's sources, what is configured but disabled, and its warnings: `✓` a source
/// that is used, `·` one that is not set (or not usable), `–` one that does not apply here.
fn render_contexts(
    contexts: &[ContextConfig],
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    let line = |mark: &str, text: &str| wrap(text, style.width, &format!("  {mark} "), "    ");
    for context in contexts {
        writeln!(out, "context {}:", context.name)?;
        for source in &context.sources {
            let mark = match source.status {
                SourceStatus::Used => "✓",
                SourceStatus::NotSet => "·",
                SourceStatus::NotApplicable => "–",
            };
            write_lines(
                out,
                line(mark, &format!("{}: {}", source.name, source.detail)),
            )?;
        }
        for disabled in &context.disabled {
            write_lines(out, line("⊘", disabled))?;
        }
        for warning in &context.warnings {
            write_lines(out, line("!", warning))?;
        }
    }
    Ok(())
}

/// Writes what `dapreflight proxy` shows: the contexts, then the route per endpoint and context.
pub(crate) fn render_proxy(view: &ProxyView, style: Style, out: &mut impl Write) -> io::Result<()> {
    render_contexts(&view.contexts, style, out)?;
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

/// A table that fits `style.width`. The width is always given: left to itself, comfy-table asks
/// the terminal, and a terminal that reports 0 columns squeezes every column to one character.
fn new_table(style: Style) -> Table {
    let mut table = Table::new();
    table
        .load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(style.width);
    table
}
