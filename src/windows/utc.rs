//! DiagTrack's own summary of its recent uploads: the `UtcConnectionReport` of the
//! `Win32CompatibilityAppraiser` CSP (WMI `root\cimv2\mdm\dmmap`,
//! `MDM_Win32CompatibilityAppraiser_UniversalTelemetryClient01`), an XML document
//! (`ConnectionReport/ConnectionSummary`) that only SYSTEM can read (docs/formats.md).
//!
//! The schema is Microsoft's CSP page; no real sample is public, so the parser takes the
//! documented elements, keeps the names of any it does not know, and refuses what is not that
//! document with the line and what was expected. The XML it reads is the small subset such a
//! document uses (elements, text, attributes ignored, comments, CDATA, the five entities and
//! character references); a DTD is refused, so nothing expands. Linear in the input.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::input::{self, InputError, InputKind};

/// The most nested elements read; the document has three levels.
const MAX_DEPTH: usize = 16;
/// The most unknown element names kept.
const MAX_UNKNOWN: usize = 32;

/// The report as read: the summary when there is one, and what else it held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UtcReport {
    /// `None` when the document (or the WMI property) is empty or has no `ConnectionSummary`:
    /// DiagTrack has not summarised a period yet.
    pub summary: Option<ConnectionSummary>,
    /// Elements the documented schema does not have, by name, in order (at most 32).
    pub unknown: Vec<String>,
}

/// `ConnectionSummary`: the most recent summary period of the diagnostic-data client.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionSummary {
    /// `ConnectionSummaryStartingTimestamp` (required by the schema).
    pub starting: Option<Timestamp>,
    /// `ConnectionSummaryEndingTimestamp` (required by the schema).
    pub ending: Option<Timestamp>,
    /// `TimestampOfLastSuccessfulUpload`: the end of the latest period with a successful upload.
    pub last_successful_upload: Option<Timestamp>,
    /// `LastHttpErrorCode`: the HTTP status of the last failed connection.
    pub last_http_error: Option<u32>,
    /// `ProxyDetected`: a connection in the period went through a proxy.
    pub proxy_detected: Option<bool>,
    /// `ConnectionsSuccessful`.
    pub connections: Option<Connections>,
    /// `DataUploaded`.
    pub uploaded: Option<Uploaded>,
    /// `AnyCertificateValidationFailures`.
    pub certificate_failures: Option<bool>,
    /// `LastCertificateValidationFailureCode`.
    pub last_certificate_failure: Option<u32>,
}

/// A timestamp as the report gives it. The unit is not documented; dapreflight assumes a
/// FILETIME (100-nanosecond intervals since 1601-01-01 UTC), the schema's `unsignedLong` and
/// Windows' usual clock, and shows the raw value beside any date it derives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timestamp {
    pub raw: u64,
}

/// `ConnectionsSuccessful`: 0 all failed, 1 some failed, 2 all succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connections {
    AllFailed,
    SomeFailed,
    AllSucceeded,
    /// A value the schema does not define.
    Other(u32),
}

/// `DataUploaded`: 0 all dropped, 1 some dropped, 2 all sent, 3 nothing to upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Uploaded {
    AllDropped,
    SomeDropped,
    AllSent,
    NothingToUpload,
    /// A value the schema does not define.
    Other(u32),
}

/// What the report says about uploads, in the four states an admin acts on (and the rest).
///
/// Unlike Microsoft's configuration script, a missing summary is not a pass and "nothing to
/// upload" is not a success: neither shows that data can leave.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadState {
    /// No summary yet: DiagTrack has not completed a period (or never ran).
    NoReport,
    /// The period had nothing to upload: it proves nothing about the route.
    NothingToUpload,
    /// Everything was sent.
    AllSent,
    /// Some data was dropped.
    SomeDropped,
    /// All data was dropped.
    AllDropped,
    /// The summary has no `DataUploaded`, or a value the schema does not define.
    Unknown,
}

/// A document that is not a `UtcConnectionReport`, with where and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {problem}")]
pub struct UtcError {
    pub line: usize,
    pub problem: String,
}

/// A `--from-utc-report` file that could not be read or is not a report.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum UtcFileError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{}:{}: {}", .path.display(), .error.line, .error.problem)]
    Parse { path: PathBuf, error: UtcError },
}

/// Reads a `UtcConnectionReport` saved to a file (UTF-8, or UTF-16LE with its byte-order mark as
/// Windows PowerShell's `>` writes it), within the input cap.
pub fn read(path: &Path) -> Result<UtcReport, UtcFileError> {
    let lines = input::read_lines(path, InputKind::UtcReport)?;
    let text: String = lines.iter().fold(String::new(), |mut text, (_, line)| {
        text.push_str(line);
        text.push('\n');
        text
    });
    parse(&text).map_err(|error| UtcFileError::Parse {
        path: path.to_owned(),
        error,
    })
}

impl Timestamp {
    /// 100-nanosecond intervals from 1601-01-01 to 1970-01-01.
    const UNIX_EPOCH: u64 = 116_444_736_000_000_000;

    /// Seconds since the Unix epoch, when the raw value read as a FILETIME falls between 2015
    /// (Windows 10) and 2100; `None` otherwise, so an implausible unit is never shown as a date.
    #[must_use]
    pub fn unix_seconds(self) -> Option<i64> {
        let secs = i64::try_from(self.raw.checked_sub(Self::UNIX_EPOCH)? / 10_000_000).ok()?;
        (1_420_070_400..4_102_444_800)
            .contains(&secs)
            .then_some(secs)
    }
}

impl fmt::Display for Timestamp {
    /// `2025-11-07T00:00:00Z (134069760000000000)`, or the raw value alone.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unix_seconds() {
            Some(secs) => write!(f, "{} ({})", crate::time::rfc3339(secs), self.raw),
            None => write!(f, "{} (not a plausible FILETIME)", self.raw),
        }
    }
}

impl Connections {
    fn of(value: u32) -> Self {
        match value {
            0 => Self::AllFailed,
            1 => Self::SomeFailed,
            2 => Self::AllSucceeded,
            other => Self::Other(other),
        }
    }

    /// The value as the report holds it.
    #[must_use]
    pub fn raw(self) -> u32 {
        match self {
            Self::AllFailed => 0,
            Self::SomeFailed => 1,
            Self::AllSucceeded => 2,
            Self::Other(value) => value,
        }
    }
}

impl Uploaded {
    fn of(value: u32) -> Self {
        match value {
            0 => Self::AllDropped,
            1 => Self::SomeDropped,
            2 => Self::AllSent,
            3 => Self::NothingToUpload,
            other => Self::Other(other),
        }
    }

    /// The value as the report holds it.
    #[must_use]
    pub fn raw(self) -> u32 {
        match self {
            Self::AllDropped => 0,
            Self::SomeDropped => 1,
            Self::AllSent => 2,
            Self::NothingToUpload => 3,
            Self::Other(value) => value,
        }
    }
}

impl UtcReport {
    /// The upload state the report shows.
    #[must_use]
    pub fn state(&self) -> UploadState {
        let Some(summary) = &self.summary else {
            return UploadState::NoReport;
        };
        match summary.uploaded {
            Some(Uploaded::AllDropped) => UploadState::AllDropped,
            Some(Uploaded::SomeDropped) => UploadState::SomeDropped,
            Some(Uploaded::AllSent) => UploadState::AllSent,
            Some(Uploaded::NothingToUpload) => UploadState::NothingToUpload,
            Some(Uploaded::Other(_)) | None => UploadState::Unknown,
        }
    }
}

impl UploadState {
    /// The state's name in the report.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoReport => "no_report",
            Self::NothingToUpload => "nothing_to_upload",
            Self::AllSent => "all_sent",
            Self::SomeDropped => "some_dropped",
            Self::AllDropped => "all_dropped",
            Self::Unknown => "unknown",
        }
    }
}

/// Reads a `UtcConnectionReport` document. Empty text (an empty WMI property) is "no report
/// yet"; anything else must be a `ConnectionReport`.
pub fn parse(text: &str) -> Result<UtcReport, UtcError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut report = UtcReport {
        summary: None,
        unknown: Vec::new(),
    };
    if text.trim().is_empty() {
        return Ok(report);
    }
    let mut reader = Reader::new(text);
    let mut path: Vec<String> = Vec::new();
    let mut text_of: Option<(String, usize)> = None;
    let mut root_seen = false;
    while let Some(token) = reader.next()? {
        let line = reader.line;
        match token {
            Token::Open { name, empty } => {
                if path.is_empty() {
                    if root_seen {
                        return Err(reader.error("a second root element after the report"));
                    }
                    if name != "ConnectionReport" {
                        return Err(UtcError {
                            line,
                            problem: format!(
                                "expected the root element <ConnectionReport>, found <{name}>"
                            ),
                        });
                    }
                    root_seen = true;
                } else if path.len() == 1 && name == "ConnectionSummary" {
                    if report.summary.is_some() {
                        return Err(UtcError {
                            line,
                            problem: "a second <ConnectionSummary>".to_owned(),
                        });
                    }
                    report.summary = Some(ConnectionSummary::default());
                } else if !(path.len() == 2 && is_field(&name))
                    && report.unknown.len() < MAX_UNKNOWN
                {
                    report.unknown.push(name.clone());
                }
                if empty {
                    if path.len() == 2 && path[1] == "ConnectionSummary" {
                        field(&mut report, &name, "", line)?;
                    }
                    continue;
                }
                if path.len() >= MAX_DEPTH {
                    return Err(reader.error("elements nested deeper than 16 levels"));
                }
                path.push(name);
                text_of = Some((String::new(), line));
            }
            Token::Text(chunk) => {
                if let Some((text, _)) = &mut text_of {
                    text.push_str(&chunk);
                } else if !chunk.trim().is_empty() {
                    return Err(reader.error("text outside the report's elements"));
                }
            }
            Token::Close(name) => {
                let Some(open) = path.pop() else {
                    return Err(reader.error(&format!("</{name}> closes nothing")));
                };
                if open != name {
                    return Err(reader.error(&format!("expected </{open}>, found </{name}>")));
                }
                if let Some((text, at)) = text_of.take()
                    && path.len() == 2
                    && path[1] == "ConnectionSummary"
                {
                    field(&mut report, &name, text.trim(), at)?;
                }
                if path.len() == 1 && name == "ConnectionSummary" {
                    required(report.summary.as_ref(), line)?;
                }
            }
        }
    }
    if let Some(open) = path.last() {
        return Err(reader.error(&format!("the document ends inside <{open}>")));
    }
    if !root_seen {
        return Err(reader.error("expected the root element <ConnectionReport>"));
    }
    Ok(report)
}

/// Refuses a summary without the two timestamps the schema requires.
fn required(summary: Option<&ConnectionSummary>, line: usize) -> Result<(), UtcError> {
    let Some(summary) = summary else {
        return Ok(());
    };
    for (name, value) in [
        ("ConnectionSummaryStartingTimestamp", summary.starting),
        ("ConnectionSummaryEndingTimestamp", summary.ending),
    ] {
        if value.is_none() {
            return Err(UtcError {
                line,
                problem: format!("<ConnectionSummary> has no <{name}>, which the schema requires"),
            });
        }
    }
    Ok(())
}

const FIELDS: [&str; 9] = [
    "ConnectionSummaryStartingTimestamp",
    "ConnectionSummaryEndingTimestamp",
    "TimestampOfLastSuccessfulUpload",
    "LastHttpErrorCode",
    "ProxyDetected",
    "ConnectionsSuccessful",
    "DataUploaded",
    "AnyCertificateValidationFailures",
    "LastCertificateValidationFailureCode",
];

fn is_field(name: &str) -> bool {
    FIELDS.contains(&name)
}

/// Stores one summary element's value.
fn field(report: &mut UtcReport, name: &str, value: &str, line: usize) -> Result<(), UtcError> {
    let Some(summary) = &mut report.summary else {
        return Ok(());
    };
    let number = |kind: &str| -> Result<u64, UtcError> {
        value.parse::<u64>().map_err(|_| UtcError {
            line,
            problem: format!("expected {kind} in <{name}>, found {}", shown(value)),
        })
    };
    let small = |value: u64| -> Result<u32, UtcError> {
        u32::try_from(value).map_err(|_| UtcError {
            line,
            problem: format!("expected an unsignedInt in <{name}>, found {value}"),
        })
    };
    let boolean = || -> Result<bool, UtcError> {
        match value {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(UtcError {
                line,
                problem: format!("expected true or false in <{name}>, found {}", shown(value)),
            }),
        }
    };
    match name {
        "ConnectionSummaryStartingTimestamp" => {
            summary.starting = Some(Timestamp {
                raw: number("an unsignedLong")?,
            });
        }
        "ConnectionSummaryEndingTimestamp" => {
            summary.ending = Some(Timestamp {
                raw: number("an unsignedLong")?,
            });
        }
        "TimestampOfLastSuccessfulUpload" => {
            summary.last_successful_upload = Some(Timestamp {
                raw: number("an unsignedLong")?,
            });
        }
        "LastHttpErrorCode" => summary.last_http_error = Some(small(number("an unsignedInt")?)?),
        "ProxyDetected" => summary.proxy_detected = Some(boolean()?),
        "ConnectionsSuccessful" => {
            summary.connections = Some(Connections::of(small(number("an unsignedInt")?)?));
        }
        "DataUploaded" => {
            summary.uploaded = Some(Uploaded::of(small(number("an unsignedInt")?)?));
        }
        "AnyCertificateValidationFailures" => summary.certificate_failures = Some(boolean()?),
        "LastCertificateValidationFailureCode" => {
            summary.last_certificate_failure = Some(small(number("an unsignedInt")?)?);
        }
        _ => {}
    }
    Ok(())
}

/// A value quoted in an error: at most 40 characters, quoted.
fn shown(value: &str) -> String {
    if value.is_empty() {
        return "nothing".to_owned();
    }
    let cut: String = value.chars().take(40).collect();
    if cut.len() < value.len() {
        format!("\"{cut}…\"")
    } else {
        format!("\"{cut}\"")
    }
}

/// One piece of the document.
enum Token {
    /// `<name ...>` or `<name .../>` (`empty`), the namespace prefix dropped.
    Open {
        name: String,
        empty: bool,
    },
    Close(String),
    Text(String),
}

/// A forward-only reader of the XML subset above, counting lines as it goes.
struct Reader<'a> {
    rest: &'a str,
    line: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            rest: text,
            line: 1,
        }
    }

    fn error(&self, problem: &str) -> UtcError {
        UtcError {
            line: self.line,
            problem: problem.to_owned(),
        }
    }

    /// Moves past `len` bytes, counting the lines they hold.
    fn advance(&mut self, len: usize) -> &'a str {
        let (taken, rest) = self.rest.split_at(len);
        self.line += taken.bytes().filter(|&b| b == b'\n').count();
        self.rest = rest;
        taken
    }

    /// Moves past everything up to and including `end`, or fails naming what was open.
    fn skip_past(&mut self, end: &str, what: &str) -> Result<&'a str, UtcError> {
        match self.rest.find(end) {
            Some(at) => {
                let inner = self.advance(at);
                self.advance(end.len());
                Ok(inner)
            }
            None => Err(self.error(&format!("{what} is never closed"))),
        }
    }

    fn next(&mut self) -> Result<Option<Token>, UtcError> {
        loop {
            if self.rest.is_empty() {
                return Ok(None);
            }
            if !self.rest.starts_with('<') {
                let len = self.rest.find('<').unwrap_or(self.rest.len());
                let raw = self.advance(len);
                return Ok(Some(Token::Text(self.unescape(raw)?)));
            }
            if self.rest.starts_with("<?") {
                self.skip_past("?>", "a processing instruction")?;
                continue;
            }
            if self.rest.starts_with("<!--") {
                self.skip_past("-->", "a comment")?;
                continue;
            }
            if self.rest.starts_with("<![CDATA[") {
                self.advance("<![CDATA[".len());
                let inner = self.skip_past("]]>", "a CDATA section")?;
                return Ok(Some(Token::Text(inner.to_owned())));
            }
            if self.rest.starts_with("<!") {
                return Err(self.error("a document type declaration, which a report never has"));
            }
            let Some(end) = self.rest.find('>') else {
                return Err(self.error("a tag is never closed"));
            };
            let tag = &self.advance(end + 1)[1..end];
            if let Some(name) = tag.strip_prefix('/') {
                return self.checked(Token::Close(local(name.trim()).to_owned()));
            }
            let empty = tag.ends_with('/');
            let tag = tag.trim_end_matches('/');
            let name = tag.split_ascii_whitespace().next().unwrap_or_default();
            return self.checked(Token::Open {
                name: local(name).to_owned(),
                empty,
            });
        }
    }

    /// Refuses a tag without a name.
    fn checked(&self, token: Token) -> Result<Option<Token>, UtcError> {
        match &token {
            Token::Open { name, .. } | Token::Close(name) if name.is_empty() => {
                Err(self.error("a tag without a name"))
            }
            _ => Ok(Some(token)),
        }
    }

    /// Text with its entity and character references replaced.
    fn unescape(&self, raw: &str) -> Result<String, UtcError> {
        let mut out = String::with_capacity(raw.len());
        let mut rest = raw;
        while let Some(at) = rest.find('&') {
            out.push_str(&rest[..at]);
            let after = &rest[at + 1..];
            let Some(end) = after.find(';').filter(|&end| end <= 12) else {
                return Err(self.error("an '&' that starts no reference"));
            };
            let name = &after[..end];
            let c = match name {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => name
                    .strip_prefix("#x")
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| name.strip_prefix('#').map(str::parse))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            let Some(c) = c else {
                return Err(self.error(&format!("an unknown reference &{name};")));
            };
            out.push(c);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// An element's name without its namespace prefix.
fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n\
        <ConnectionReport xmlns=\"urn:example\">\n\
        <!-- synthetic -->\n\
        <ConnectionSummary>\n\
        <ConnectionSummaryStartingTimestamp>134069760000000000</ConnectionSummaryStartingTimestamp>\n\
        <ConnectionSummaryEndingTimestamp>134070624000000000</ConnectionSummaryEndingTimestamp>\n\
        <TimestampOfLastSuccessfulUpload>134061120000000000</TimestampOfLastSuccessfulUpload>\n\
        <LastHttpErrorCode>407</LastHttpErrorCode>\n\
        <ProxyDetected>true</ProxyDetected>\n\
        <ConnectionsSuccessful>0</ConnectionsSuccessful>\n\
        <DataUploaded>0</DataUploaded>\n\
        <AnyCertificateValidationFailures>false</AnyCertificateValidationFailures>\n\
        <LastCertificateValidationFailureCode>0</LastCertificateValidationFailureCode>\n\
        </ConnectionSummary>\n\
        </ConnectionReport>\n";

    fn error(text: &str) -> UtcError {
        parse(text).expect_err(text)
    }

    #[test]
    fn every_documented_field_is_read_with_its_meaning() {
        let report = parse(FULL).expect("parses");
        let summary = report.summary.clone().expect("a summary");
        assert_eq!(summary.last_http_error, Some(407));
        assert_eq!(summary.proxy_detected, Some(true));
        assert_eq!(summary.connections, Some(Connections::AllFailed));
        assert_eq!(summary.uploaded, Some(Uploaded::AllDropped));
        assert_eq!(summary.certificate_failures, Some(false));
        assert_eq!(summary.last_certificate_failure, Some(0));
        assert_eq!(report.state(), UploadState::AllDropped);
        assert!(report.unknown.is_empty(), "{:?}", report.unknown);
        let starting = summary.starting.expect("required");
        assert_eq!(
            starting.to_string(),
            "2025-11-07T08:00:00Z (134069760000000000)"
        );
    }

    #[test]
    fn the_four_states_are_told_apart_and_a_missing_summary_is_no_report() {
        let with = |uploaded: &str| {
            FULL.replace(
                "<DataUploaded>0</DataUploaded>",
                &format!("<DataUploaded>{uploaded}</DataUploaded>"),
            )
        };
        let states = [
            ("0", UploadState::AllDropped),
            ("1", UploadState::SomeDropped),
            ("2", UploadState::AllSent),
            ("3", UploadState::NothingToUpload),
            ("9", UploadState::Unknown),
        ];
        for (value, state) in states {
            assert_eq!(parse(&with(value)).expect(value).state(), state, "{value}");
        }
        for empty in [
            "",
            "  \r\n",
            "<ConnectionReport/>",
            "<ConnectionReport></ConnectionReport>",
        ] {
            assert_eq!(
                parse(empty).expect(empty).state(),
                UploadState::NoReport,
                "{empty:?}"
            );
        }
        let no_upload_field = FULL.replace("<DataUploaded>0</DataUploaded>", "");
        assert_eq!(
            parse(&no_upload_field).expect("parses").state(),
            UploadState::Unknown
        );
    }

    #[test]
    fn unknown_elements_are_kept_by_name_and_do_not_fail_the_report() {
        let text = FULL.replace(
            "<ProxyDetected>",
            "<NewCounter>5</NewCounter><Nested><Deeper>x</Deeper></Nested><ProxyDetected>",
        );
        let report = parse(&text).expect("parses");
        assert_eq!(report.unknown, ["NewCounter", "Nested", "Deeper"]);
        assert_eq!(report.state(), UploadState::AllDropped);
    }

    #[test]
    fn bad_values_and_structure_are_refused_with_the_line_and_what_was_expected() {
        let cases = [
            (
                FULL.replace(">407<", ">abc<"),
                8,
                "expected an unsignedInt in <LastHttpErrorCode>, found \"abc\"",
            ),
            (
                FULL.replace(">true<", ">yes<"),
                9,
                "expected true or false in <ProxyDetected>, found \"yes\"",
            ),
            (
                FULL.replace(">407<", ">99999999999<"),
                8,
                "expected an unsignedInt in <LastHttpErrorCode>, found 99999999999",
            ),
            (
                FULL.replace(
                    "<ConnectionSummaryStartingTimestamp>134069760000000000</ConnectionSummaryStartingTimestamp>\n",
                    "",
                ),
                13,
                "<ConnectionSummary> has no <ConnectionSummaryStartingTimestamp>, which the schema requires",
            ),
            (
                "<UtcReport/>".to_owned(),
                1,
                "expected the root element <ConnectionReport>, found <UtcReport>",
            ),
            (
                FULL.replace("</ConnectionSummary>", "</Summary>"),
                14,
                "expected </ConnectionSummary>, found </Summary>",
            ),
            (
                FULL.replace("</ConnectionReport>\n", ""),
                15,
                "the document ends inside <ConnectionReport>",
            ),
            (
                "<!DOCTYPE r [<!ENTITY a \"aaaa\">]><ConnectionReport/>".to_owned(),
                1,
                "a document type declaration, which a report never has",
            ),
            (
                FULL.replace(">407<", ">&bogus;<"),
                8,
                "an unknown reference &bogus;",
            ),
            ("hello".to_owned(), 1, "text outside the report's elements"),
        ];
        for (text, line, problem) in cases {
            let err = error(&text);
            assert_eq!((err.line, err.problem.as_str()), (line, problem), "{text}");
        }
    }

    #[test]
    fn references_cdata_prefixes_and_a_byte_order_mark_are_read() {
        let text = "\u{feff}<u:ConnectionReport xmlns:u=\"x\"><u:ConnectionSummary>\
            <u:ConnectionSummaryStartingTimestamp><![CDATA[1]]></u:ConnectionSummaryStartingTimestamp>\
            <u:ConnectionSummaryEndingTimestamp>&#50;</u:ConnectionSummaryEndingTimestamp>\
            <u:LastHttpErrorCode>&#x34;07</u:LastHttpErrorCode>\
            <u:ProxyDetected/>\
            </u:ConnectionSummary></u:ConnectionReport>";
        let err = error(text);
        assert_eq!(
            err.problem,
            "expected true or false in <ProxyDetected>, found nothing"
        );
        let text = text.replace("<u:ProxyDetected/>", "");
        let summary = parse(&text).expect("parses").summary.expect("summary");
        assert_eq!(summary.starting, Some(Timestamp { raw: 1 }));
        assert_eq!(summary.ending, Some(Timestamp { raw: 2 }));
        assert_eq!(summary.last_http_error, Some(407));
        assert_eq!(
            Timestamp { raw: 1 }.to_string(),
            "1 (not a plausible FILETIME)"
        );
    }

    #[test]
    fn every_fixture_reads_to_its_state_and_the_malformed_ones_name_file_and_line() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/utc");
        let states = [
            ("all-dropped-407", UploadState::AllDropped),
            ("all-dropped-407-utf16", UploadState::AllDropped),
            ("all-sent", UploadState::AllSent),
            ("some-dropped-certificate", UploadState::SomeDropped),
            ("nothing-to-upload", UploadState::NothingToUpload),
            ("no-summary", UploadState::NoReport),
            ("unknown-element", UploadState::AllSent),
        ];
        for (name, state) in states {
            let path = dir.join(format!("{name}.synthetic.xml"));
            assert_eq!(read(&path).expect(name).state(), state, "{name}");
        }
        let cases = [
            (
                "malformed-not-a-number",
                ":10: expected an unsignedInt in <DataUploaded>, found \"zero\"",
            ),
            (
                "malformed-missing-ending",
                ":12: <ConnectionSummary> has no <ConnectionSummaryEndingTimestamp>, which the \
                 schema requires",
            ),
        ];
        for (name, message) in cases {
            let path = dir.join(format!("{name}.synthetic.xml"));
            let err = read(&path).expect_err(name).to_string();
            assert!(err.ends_with(message), "{err}");
            assert!(err.starts_with(&path.display().to_string()), "{err}");
        }
    }

    #[test]
    fn a_file_over_the_cap_is_refused_before_parsing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.xml");
        let padding = "<!-- padding -->\n".repeat(70_000);
        std::fs::write(
            &path,
            format!("<ConnectionReport>{padding}</ConnectionReport>"),
        )
        .expect("write");
        let err = read(&path).expect_err("over the cap");
        assert!(
            matches!(err, UtcFileError::Input(InputError::TooLarge { .. })),
            "{err}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_and_long_input_parses_in_one_pass() {
        let deep = format!(
            "<ConnectionReport>{}{}</ConnectionReport>",
            "<a>".repeat(20),
            "</a>".repeat(20)
        );
        assert_eq!(
            error(&deep).problem,
            "elements nested deeper than 16 levels"
        );
        // A megabyte of comments and unknown elements: linear, and at most 32 names kept.
        let noise = "<!-- x --><Extra>1</Extra>\n".repeat(40_000);
        let text = FULL.replace("<ProxyDetected>", &format!("{noise}<ProxyDetected>"));
        let report = parse(&text).expect("parses");
        assert_eq!(report.unknown.len(), MAX_UNKNOWN);
    }
}
