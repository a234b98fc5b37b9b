//! Renderings of the one `Report` model: a table for people, JSON for machines.
//!
//! Renderers compute nothing: a value a rendering needs is a `Report` method, so JSON has it too.

pub(crate) mod diagtrack;
pub(crate) mod json;
pub(crate) mod pac;
pub(crate) mod table;
pub(crate) mod verdict;
pub(crate) mod wrap;

use std::io::{self, Write};

use crate::report::{EndpointList, ProxyView, Report, wire};

/// The output formats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// The width when neither `COLUMNS` nor the terminal gives one.
pub(crate) const DEFAULT_WIDTH: u16 = 80;

/// The narrowest width a rendering is laid out for; a smaller `COLUMNS` is not honoured.
pub(crate) const MIN_WIDTH: u16 = 20;

/// How to render: the format, whether colour is wanted (a terminal, `NO_COLOR` unset), the width
/// every line is laid out for ([`width`]), and whether to show everything (`--verbose`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Style {
    pub format: Format,
    pub color: bool,
    /// Columns: tables fit it and prose wraps to it (commands to paste are never wrapped).
    pub width: u16,
    /// Show what the first screen leaves out: every host, every setting, each reason's health code.
    pub verbose: bool,
}

impl Default for Style {
    fn default() -> Self {
        Self {
            format: Format::default(),
            color: false,
            width: DEFAULT_WIDTH,
            verbose: false,
        }
    }
}

/// The one rule for the width of every output: `COLUMNS` when it is set and a valid number (also
/// when stdout is a terminal), else the terminal's columns when stdout is a terminal that reports a
/// non-zero size, else 80. `terminal_columns` is `None` when stdout is not a terminal.
#[must_use]
pub fn width(columns: Option<&str>, terminal_columns: Option<u16>) -> u16 {
    columns
        .and_then(|value| value.trim().parse::<u16>().ok())
        .filter(|columns| *columns >= MIN_WIDTH)
        .or(terminal_columns.filter(|columns| *columns > 0))
        .unwrap_or(DEFAULT_WIDTH)
}

/// The columns of the terminal this process runs in, as it reports them (0 when it reports no
/// size); `None` when there is none to ask.
#[must_use]
pub fn terminal_columns() -> Option<u16> {
    crossterm::terminal::size().ok().map(|(columns, _)| columns)
}

/// Writes `report` to `out` in the chosen format.
pub fn render(report: &Report, style: Style, out: &mut impl Write) -> io::Result<()> {
    match style.format {
        Format::Table => table::render(report, style, out),
        Format::Json => json::render(&wire::Report::from(report), out),
    }
}

/// Writes what `dapreflight proxy` shows.
pub fn render_proxy(view: &ProxyView, style: Style, out: &mut impl Write) -> io::Result<()> {
    match style.format {
        Format::Table => table::render_proxy(view, style, out),
        Format::Json => json::render_proxy(&wire::ProxyView::from(view), out),
    }
}

/// Writes an endpoint list (the `endpoints` command) to `out`.
pub(crate) fn render_endpoints(
    list: &EndpointList,
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    match style.format {
        Format::Table => table::render_endpoints(list, style, out),
        Format::Json => json::render_endpoints(&wire::EndpointList::from(list), out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_width_comes_from_columns_then_the_terminal_then_eighty() {
        let cases = [
            (Some("60"), Some(132), 60),
            (Some(" 100 "), None, 100),
            (Some("abc"), Some(132), 132),
            (Some("0"), Some(132), 132),
            (Some("5"), None, 80),
            (Some(""), None, 80),
            (None, Some(132), 132),
            (None, Some(0), 80),
            (None, None, 80),
            (Some("70000"), None, 80),
        ];
        for (columns, terminal, expected) in cases {
            assert_eq!(
                width(columns, terminal),
                expected,
                "COLUMNS={columns:?}, terminal {terminal:?}"
            );
        }
    }
}
