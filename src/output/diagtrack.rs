//! DiagTrack's own upload summary, element by element with what each value means.

use std::io::{self, Write};

use crate::report::{Connections, DiagTrack, UploadState, Uploaded};

use super::Style;
use super::verdict::write_lines;
use super::wrap::wrap;

/// Writes the summary's block: where it came from, then each element present, its value and
/// meaning. Nothing when there is no summary to show.
pub(crate) fn render(
    diagtrack: Option<&DiagTrack>,
    style: Style,
    out: &mut impl Write,
) -> io::Result<()> {
    let Some(diagtrack) = diagtrack else {
        return Ok(());
    };
    writeln!(out)?;
    let heading = format!("DiagTrack's own upload summary ({}):", diagtrack.source);
    write_lines(out, wrap(&heading, style.width, "", "  "))?;
    let report = match &diagtrack.report {
        Ok(report) => report,
        Err(why) => return write_lines(out, wrap(why, style.width, "  ", "  ")),
    };
    for (name, value) in rows(report) {
        let line = format!("{name}: {value}");
        write_lines(out, wrap(&line, style.width, "  ", "      "))?;
    }
    Ok(())
}

/// The lines of the block, as (element, value with its meaning).
fn rows(report: &crate::report::UtcReport) -> Vec<(&'static str, String)> {
    let state = match report.state() {
        UploadState::NoReport => "no report yet (no ConnectionSummary)",
        UploadState::NothingToUpload => "nothing to upload: shows nothing about the route",
        UploadState::AllSent => "all sent",
        UploadState::SomeDropped => "some dropped",
        UploadState::AllDropped => "all dropped",
        UploadState::Unknown => "not stated",
    };
    let mut rows = vec![("Uploads", state.to_owned())];
    let Some(summary) = &report.summary else {
        return rows;
    };
    let yes_no = |value: bool| if value { "yes" } else { "no" };
    if let (Some(start), Some(end)) = (summary.starting, summary.ending) {
        rows.push(("Period", format!("{start} to {end}")));
    }
    if let Some(at) = summary.last_successful_upload {
        rows.push(("Last successful upload (period end)", at.to_string()));
    }
    if let Some(uploaded) = summary.uploaded {
        let meaning = match uploaded {
            Uploaded::AllDropped => "all data dropped",
            Uploaded::SomeDropped => "some data dropped, some sent",
            Uploaded::AllSent => "all data sent",
            Uploaded::NothingToUpload => "no data to upload",
            Uploaded::Other(_) => "a value the schema does not define",
        };
        rows.push(("DataUploaded", format!("{} ({meaning})", uploaded.raw())));
    }
    if let Some(connections) = summary.connections {
        let meaning = match connections {
            Connections::AllFailed => "all connections failed",
            Connections::SomeFailed => "some connections failed",
            Connections::AllSucceeded => "all connections succeeded",
            Connections::Other(_) => "a value the schema does not define",
        };
        rows.push((
            "ConnectionsSuccessful",
            format!("{} ({meaning})", connections.raw()),
        ));
    }
    if let Some(code) = summary.last_http_error {
        let meaning = match code {
            0 => " (none)",
            407 => " (proxy authentication required)",
            403 => " (forbidden)",
            502 => " (bad gateway)",
            _ => "",
        };
        rows.push(("LastHttpErrorCode", format!("{code}{meaning}")));
    }
    if let Some(proxy) = summary.proxy_detected {
        rows.push(("ProxyDetected", yes_no(proxy).to_owned()));
    }
    if let Some(failures) = summary.certificate_failures {
        rows.push((
            "AnyCertificateValidationFailures",
            yes_no(failures).to_owned(),
        ));
    }
    if let Some(code) = summary.last_certificate_failure.filter(|&c| c != 0) {
        rows.push((
            "LastCertificateValidationFailureCode",
            format!("0x{code:08X}"),
        ));
    }
    if !report.unknown.is_empty() {
        rows.push((
            "Elements the schema does not have",
            report.unknown.join(", "),
        ));
    }
    rows
}
