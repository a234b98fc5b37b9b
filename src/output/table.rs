//! The table rendering: each context's sources, one row per result, then the summary line.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};

use crate::endpoints::Endpoint;
use crate::output::Style;
use crate::report::{Report, Status};

/// Writes the contexts, the results table and the summary line.
pub fn render(report: &Report, style: Style, out: &mut impl Write) -> io::Result<()> {
    for context in &report.contexts {
        let sources: Vec<String> = context
            .sources
            .iter()
            .map(|s| format!("{}: {}", s.name, s.detail))
            .collect();
        writeln!(out, "context {}: {}", context.name, sources.join("; "))?;
    }
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
            Cell::new(&result.context),
            Cell::new(result.route.route.to_string()),
            status,
            Cell::new(&result.detail),
            Cell::new(format!("{} ms", result.timings_ms.total)),
        ]);
    }
    writeln!(out, "{table}")?;
    writeln!(out, "{}", report.summary_line())
}

/// Writes the endpoint list: URL, profiles, trust rule, probe path, purpose.
pub fn render_endpoints(
    endpoints: &[Endpoint],
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
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
