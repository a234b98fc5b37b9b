//! The table rendering: the verdict first, then one row per result and the summary line, then
//! each context's sources and the settings that matter. Everything fits `Style::width`.

use std::fmt::Write as _;
use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{Cell, Color, ContentArrangement, Table};
use unicode_width::UnicodeWidthStr;

use crate::output::Style;
use crate::output::verdict::write_lines;
use crate::output::wrap::wrap;
use crate::report::{ContextConfig, EndpointList, Probing, ProxyView, Report, SourceStatus};
use crate::route::Route;
use crate::status::Status;
use crate::windows::connections::{ConnectionSummary, ContextConnections, FORCE_TUNNEL_NOTE};

/// Below this width a results table that does not fit on one line per row is stacked instead: a
/// table squeezed under it wraps each detail over many lines.
const STACK_BELOW: u16 = 120;

/// Writes the verdict, the results table, the summary line, the contexts' sources and the
/// settings.
pub(crate) fn render(report: &Report, style: Style, out: &mut impl Write) -> io::Result<()> {
    super::verdict::render_verdict(&report.verdict, style, out)?;
    writeln!(out)?;
    let rows: Vec<[String; 6]> = report
        .results
        .iter()
        .map(|result| {
            [
                result.endpoint.clone(),
                result.context.to_string(),
                result.route.route.to_string(),
                result.status.as_str().to_owned(),
                result.detail.clone(),
                format!("{} ms", result.timings_ms.total),
            ]
        })
        .collect();
    let statuses: Vec<Status> = report.results.iter().map(|r| r.status).collect();
    // Who authenticated to the proxy, and how it ended: a line of its own under the detail.
    let auth: Vec<Option<String>> = report
        .results
        .iter()
        .map(|r| {
            r.proxy
                .as_ref()
                .and_then(|p| p.auth.as_ref())
                .map(ToString::to_string)
        })
        .collect();
    let widest: Vec<[String; 6]> = rows
        .iter()
        .zip(&auth)
        .map(|(row, auth)| {
            let mut row = row.clone();
            if let Some(auth) = auth.as_ref().filter(|a| a.width() > row[4].width()) {
                row[4].clone_from(auth);
            }
            row
        })
        .collect();
    if style.width < STACK_BELOW
        && natural_width(&RESULT_HEADER, &widest) > usize::from(style.width)
    {
        render_stacked(&rows, &statuses, &auth, style, out)?;
    } else {
        let mut table = new_table(style);
        table.set_header(RESULT_HEADER);
        for ((row, status), auth) in rows.into_iter().zip(&statuses).zip(auth) {
            let [endpoint, context, route, status_text, detail, time] = row;
            let detail = match auth {
                Some(auth) => format!("{detail}\n{auth}"),
                None => detail,
            };
            let status_cell = Cell::new(status_text);
            let status_cell = if style.color {
                status_cell.fg(match status {
                    Status::Ok => Color::Green,
                    Status::NotProbed => Color::DarkGrey,
                    _ => Color::Red,
                })
            } else {
                status_cell
            };
            table.add_row([
                Cell::new(endpoint),
                Cell::new(context),
                Cell::new(route),
                status_cell,
                Cell::new(detail),
                Cell::new(time),
            ]);
        }
        writeln!(out, "{table}")?;
    }
    write_lines(out, wrap(&report.summary_line(), style.width, "", "  "))?;
    writeln!(out)?;
    render_contexts(&report.contexts, Some(&report.probing), style, out)?;
    super::verdict::render_settings(report.settings.as_ref(), &report.verdict, style, out)?;
    super::diagtrack::render(report.diagtrack.as_ref(), style, out)
}

const RESULT_HEADER: [&str; 6] = ["Endpoint", "Context", "Route", "Status", "Detail", "Time"];

/// The results for a narrow terminal, the table's columns in the same order: a line with the
/// status, endpoint, context, route and time, then the detail under it, both wrapped to the width.
fn render_stacked(
    rows: &[[String; 6]],
    statuses: &[Status],
    auth: &[Option<String>],
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    let status_width = rows.iter().map(|row| row[3].width()).max().unwrap_or(0);
    let header = "Results: status, endpoint (context, route, time), then the detail";
    write_lines(out, wrap(header, style.width, "", "  "))?;
    for ((row, status), auth) in rows.iter().zip(statuses).zip(auth) {
        let [endpoint, context, route, status_text, detail, time] = row;
        let padding = " ".repeat(status_width.saturating_sub(status_text.width()));
        let head = format!("{endpoint} ({context}, {route}, {time})");
        let mut lines = wrap(
            &head,
            style.width,
            &format!("{status_text}{padding}  "),
            "    ",
        );
        if style.color {
            let code = match status {
                Status::Ok => "32",
                Status::NotProbed => "90",
                _ => "31",
            };
            // Colour the status alone: the wrapping above measured it without the escape codes.
            lines[0] = format!(
                "\x1b[{code}m{status_text}\x1b[39m{}",
                &lines[0][status_text.len()..]
            );
        }
        write_lines(out, lines)?;
        write_lines(out, wrap(detail, style.width, "    ", "    "))?;
        if let Some(auth) = auth {
            write_lines(out, wrap(auth, style.width, "    ", "    "))?;
        }
    }
    Ok(())
}

/// The width a table needs to show every row on one line: each column's widest cell, plus the
/// borders and a space either side of each cell.
fn natural_width<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> usize {
    let content: usize = (0..N)
        .map(|column| {
            rows.iter()
                .map(|row| row[column].width())
                .chain([header[column].width()])
                .max()
                .unwrap_or(0)
        })
        .sum();
    content + 3 * N + 1
}

/// Writes each context's sources, what is configured but disabled, and its warnings: `✓` a source
/// that is used, `·` one that is not set (or not usable), `–` one that does not apply here.
fn render_contexts(
    contexts: &[ContextConfig],
    probing: Option<&Probing>,
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    let line = |mark: &str, text: &str| wrap(text, style.width, &format!("  {mark} "), "    ");
    for context in contexts {
        writeln!(out, "context {}:", context.name)?;
        if let Some(probed) = probing.and_then(|probing| probing.line(context.name)) {
            write_lines(out, line("→", &probed))?;
        }
        for source in &context.sources {
            let mark = match source.status {
                SourceStatus::Used => "✓",
                SourceStatus::NotSet => "·",
                SourceStatus::NotApplicable => "–",
                SourceStatus::NotInInput => "?",
                SourceStatus::Failed => "✗",
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
    if let Some(probing) = probing {
        if let Some(elevation) = probing.elevation_line() {
            write_lines(out, wrap(elevation, style.width, "", "  "))?;
        }
        for note in &probing.notes {
            write_lines(out, wrap(&format!("note: {note}"), style.width, "", "  "))?;
        }
    }
    Ok(())
}

/// Writes what `dapreflight proxy` shows: the contexts, then the route per endpoint and context.
pub(crate) fn render_proxy(view: &ProxyView, style: Style, out: &mut impl Write) -> io::Result<()> {
    render_contexts(&view.contexts, None, style, out)?;
    render_connections(&view.connections, style, out)?;
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

/// Writes each context's WinINET connections, `▸` the one in use, and Microsoft's force-tunnel
/// note once when a VPN or dial-up connection is listed.
fn render_connections(
    listings: &[ContextConnections],
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    let line = |mark: &str, text: &str| wrap(text, style.width, &format!("  {mark} "), "    ");
    for listing in listings {
        let heading = format!(
            "connections of context {} ({}):",
            listing.context, listing.key
        );
        write_lines(out, wrap(&heading, style.width, "", "  "))?;
        for entry in &listing.connections {
            let what = if entry.is_vpn() {
                "VPN or dial-up"
            } else {
                "the LAN"
            };
            let settings = match &entry.settings {
                Ok(settings) => connection_settings(settings),
                Err(problem) => problem.clone(),
            };
            let in_use = if entry.in_use { ", in use" } else { "" };
            write_lines(
                out,
                line(
                    if entry.in_use { "▸" } else { " " },
                    &format!(
                        "{} ({what}{in_use}): {settings} ({})",
                        entry.name, entry.origin
                    ),
                ),
            )?;
        }
    }
    if listings.iter().any(ContextConnections::has_vpn) {
        write_lines(
            out,
            wrap(&format!("note: {FORCE_TUNNEL_NOTE}"), style.width, "", "  "),
        )?;
    }
    Ok(())
}

/// One connection's settings in words: what its flags switch on, in WinINET's order.
fn connection_settings(settings: &ConnectionSummary) -> String {
    let mut parts = Vec::new();
    if settings.auto_detect {
        parts.push("auto-detect (WPAD)".to_owned());
    }
    if let Some(url) = &settings.auto_config_url {
        parts.push(format!("PAC {url}"));
    }
    match (&settings.proxy, &settings.bypass) {
        (Some(proxy), Some(bypass)) => parts.push(format!("proxy {proxy}, bypass {bypass}")),
        (Some(proxy), None) => parts.push(format!("proxy {proxy}")),
        (None, _) => {}
    }
    if parts.is_empty() {
        "direct".to_owned()
    } else {
        parts.join(", then ")
    }
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
