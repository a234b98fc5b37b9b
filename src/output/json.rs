//! The JSON rendering: a wire type of `report::wire`, one object, pretty-printed.

use std::io::{self, Write};

use serde::Serialize;

use crate::report::wire;

/// Writes the check report (`schema_version` first) and a final newline.
pub(crate) fn render(report: &wire::Report, out: &mut impl Write) -> io::Result<()> {
    write(report, out)
}

/// Writes what `dapreflight proxy` shows.
pub(crate) fn render_proxy(view: &wire::ProxyView, out: &mut impl Write) -> io::Result<()> {
    write(view, out)
}

/// Writes the endpoint list as `{"endpoints": [...]}`.
pub(crate) fn render_endpoints(list: &wire::EndpointList, out: &mut impl Write) -> io::Result<()> {
    write(list, out)
}

/// Writes what `dapreflight pac` found.
pub(crate) fn render_pac(report: &wire::PacReport, out: &mut impl Write) -> io::Result<()> {
    write(report, out)
}

/// One pretty-printed object and a final newline; only wire types reach it.
fn write(value: &impl Serialize, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}
