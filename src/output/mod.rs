//! Renderings of the one `Report` model: a table for people, JSON for machines.
//!
//! Renderers compute nothing: a value a rendering needs is a `Report` method, so JSON has it too.

pub(crate) mod json;
pub(crate) mod pac;
pub(crate) mod table;
pub(crate) mod verdict;

use std::io::{self, Write};

use crate::report::{EndpointList, ProxyView, Report, wire};

/// The output formats.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    #[default]
    Table,
    Json,
}

/// How to render: the format, whether colour is wanted (a terminal, `NO_COLOR` unset), and the
/// table width when it is not a terminal's (`COLUMNS`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Style {
    pub format: Format,
    pub color: bool,
    pub width: Option<u16>,
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
