//! The JSON rendering: the `Report` as serialized, one object, pretty-printed.

use std::io::{self, Write};

use serde::Serialize;

use crate::catalog::Endpoint;
use crate::report::Report;

/// Writes the report object (`schema_version` first) and a final newline.
pub fn render(report: &Report, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    writeln!(out)
}

/// Writes the endpoint list as `{"endpoints": [...]}`.
pub fn render_endpoints(endpoints: &[Endpoint], out: &mut impl Write) -> io::Result<()> {
    #[derive(Serialize)]
    struct List<'a> {
        endpoints: &'a [Endpoint],
    }
    serde_json::to_writer_pretty(&mut *out, &List { endpoints })?;
    writeln!(out)
}

/// Writes any serializable view as one pretty-printed object and a final newline.
pub fn render_value(value: &impl Serialize, out: &mut impl Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}
