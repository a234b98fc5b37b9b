//! Renderings of `dapreflight pac`: pactester-style lines for people, JSON for machines.

use std::io::{self, Write};

use crate::output::verdict::write_lines;
use crate::output::wrap::wrap;
use crate::output::{Format, Style};
use crate::report::pac::{PacReport, PacUrlOutcome};
use crate::report::wire;

/// Writes `report` to `out` in the chosen format.
pub(crate) fn render(report: &PacReport, style: Style, out: &mut impl Write) -> io::Result<()> {
    match style.format {
        Format::Table => render_lines(report, style, out),
        Format::Json => super::json::render_pac(&wire::PacReport::from(report), out),
    }
}

/// As pactester: the result alone for one URL, else `URL : RESULT` per URL, whole (scripts read
/// them); notes indented below, wrapped to the width.
fn render_lines(report: &PacReport, style: Style, out: &mut impl Write) -> io::Result<()> {
    for outcome in &report.results {
        render_line(outcome, report.single, style, out)?;
    }
    Ok(())
}

/// One URL's lines of [`render`]'s table format, for rendering answers as they come; `single`:
/// the result alone, as for one URL on the command line.
pub(crate) fn render_line(
    outcome: &PacUrlOutcome,
    single: bool,
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    match outcome {
        PacUrlOutcome::Decided(decision) => {
            if single {
                writeln!(out, "{}", decision.raw)?;
            } else {
                writeln!(out, "{} : {}", decision.url, decision.raw)?;
            }
            for note in &decision.notes {
                write_lines(out, wrap(note, style.width, "  note: ", "        "))?;
            }
        }
        PacUrlOutcome::Failed { url, error } => {
            writeln!(out, "{url} : ERROR: {error}")?;
        }
    }
    Ok(())
}
