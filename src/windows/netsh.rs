//! Parsers for captured `netsh winhttp show proxy` and `show advproxy` output, in any language
//! and in the encodings `cmd`, Windows PowerShell and PowerShell 7 write.
//!
//! The output is read by its shape, not its English labels. Prefer `WinHttpSettings` from the
//! registry where it is available: this text is evidence pasted by a user.

use oem_cp::code_table::{DECODING_TABLE_CP437, DECODING_TABLE_CP850, DECODING_TABLE_CP866};
use serde_json::{Map, Value};

/// The English line `show proxy` prints for direct access.
const ENGLISH_DIRECT: &str = "Direct access (no proxy server).";
/// The English labels of the two `show proxy` settings.
const ENGLISH_PROXY_LABEL: &str = "Proxy Server(s)";
const ENGLISH_BYPASS_LABEL: &str = "Bypass List";

/// The settings in a `netsh winhttp show proxy` capture.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NetshProxy {
    /// The capture says direct access (no proxy server).
    pub direct: bool,
    /// The proxy list as printed, e.g. `proxy:8080` or `http=a:80;https=b:443`.
    pub proxy: Option<String>,
    /// The bypass list as printed; `None` when it is empty (`(none)`).
    pub bypass: Option<String>,
    /// How the bytes were decoded, e.g. `UTF-16LE with BOM` or `OEM code page 866`.
    pub encoding: String,
    /// What the reader had to guess, e.g. labels read by position because they are not English.
    pub warnings: Vec<String>,
}

/// The settings in a `netsh winhttp show advproxy` capture (Windows 11, Server 2022 and later).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AdvProxy {
    pub proxy: Option<String>,
    pub proxy_bypass: Option<String>,
    /// `AutoconfigUrl` (or `AutoConfigUrl`).
    pub autoconfig_url: Option<String>,
    pub auto_detect: Option<bool>,
    pub proxy_is_enabled: Option<bool>,
    pub autoconfig_is_enabled: Option<bool>,
    pub per_user_proxy_settings: Option<bool>,
    pub connection_name: Option<String>,
    /// Keys this parser does not know, and known keys whose value had an unexpected type.
    pub other: Map<String, Value>,
    pub warnings: Vec<String>,
}

/// A capture's text and how its bytes were decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Capture {
    pub text: String,
    /// e.g. `UTF-8`, `UTF-16LE without BOM`, `OEM code page 866`.
    pub encoding: String,
    pub warnings: Vec<String>,
}

/// A `netsh` capture that could not be read: the file, the line, and what was expected there.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {}{problem}", at_line(*.line))]
pub struct NetshError {
    /// The file as named by the caller.
    pub origin: String,
    /// The 1-based line, or `None` when the problem is the whole file.
    pub line: Option<usize>,
    pub problem: NetshProblem,
}

/// What was wrong in a `netsh` capture.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetshProblem {
    /// Nothing but whitespace.
    #[error("the file is empty")]
    Empty,
    /// Bytes that decode to control characters under every encoding tried.
    #[error(
        "the capture is in an unrecognised encoding (tried UTF-16, UTF-8 and OEM code pages 850, \
         437 and 866): {detail}"
    )]
    UnrecognisedEncoding { detail: String },
    /// No line ending in `:` before the settings.
    #[error(
        "expected a title line ending in ':' (e.g. 'Current WinHTTP proxy settings:'), \
         found {found}"
    )]
    MissingTitle { found: String },
    /// A title with nothing after it (but a prompt or the end of a code block, perhaps).
    #[error("expected the settings after the title, found {found}")]
    MissingSettings { found: String },
    /// A settings line without the `label : value` shape.
    #[error("expected 'label : value' for the {what}, found {found}")]
    ExpectedLabelValue { what: &'static str, found: String },
    /// A `label :` line with nothing after the colon.
    #[error("expected a value after ':' for the {what}, found nothing")]
    EmptyValue { what: &'static str },
    /// `show advproxy` output given to the `show proxy` parser.
    #[error("expected 'netsh winhttp show proxy' output, found JSON ('show advproxy' output?)")]
    AdvProxyGiven,
    /// No `{` line in `show advproxy` output.
    #[error("expected a JSON object after the title, found {found}")]
    MissingJson { found: String },
    /// JSON that `serde_json` rejected.
    #[error("column {column}: invalid JSON: {message}")]
    Json { column: usize, message: String },
    /// JSON that is not an object.
    #[error("expected a JSON object, found {found}")]
    NotObject { found: String },
}

/// Parses captured `netsh winhttp show proxy` output; `origin` names it in errors.
///
/// The capture may be UTF-16LE (with or without BOM), UTF-8, or an OEM code page; the encoding
/// used is in [`NetshProxy::encoding`].
pub(crate) fn parse_show_proxy(bytes: &[u8], origin: &str) -> Result<NetshProxy, NetshError> {
    let capture = decode_capture(bytes, origin)?;
    let fail = |line: usize, problem| NetshError {
        origin: origin.to_owned(),
        line: Some(line),
        problem,
    };
    let lines: Vec<(usize, &str)> = capture
        .text
        .lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .collect();
    let mut warnings = capture.warnings;
    // Prompts, code fences and transcript rules frame a pasted capture: they are not part of it.
    let content = |line: &str| !line.is_empty() && !is_frame(line);
    let Some(&(first_number, first)) = lines
        .iter()
        .find(|(_, line)| content(line))
        .or_else(|| lines.iter().find(|(_, line)| !line.is_empty()))
    else {
        return Err(NetshError {
            origin: origin.to_owned(),
            line: None,
            problem: NetshProblem::Empty,
        });
    };
    // The title names WinHTTP in every language seen; a line such as "Here is the output:" does
    // not. Without such a line, the first line shaped like a title is the title.
    let titles = || {
        lines
            .iter()
            .filter(|(_, line)| content(line) && is_title(line))
    };
    let Some(&(title_number, _)) = titles()
        .find(|(_, line)| line.to_ascii_lowercase().contains("winhttp"))
        .or_else(|| titles().next())
    else {
        return Err(fail(
            first_number,
            NetshProblem::MissingTitle {
                found: quote(first),
            },
        ));
    };
    if title_number != first_number {
        warnings.push(format!(
            "ignored the lines before the title (lines {first_number} to {})",
            title_number - 1
        ));
    }
    // The settings are the block of lines after the title, up to a blank line, a prompt or the
    // end of a code block.
    let after_title = &lines[title_number..];
    let Some(start) = after_title.iter().position(|(_, line)| !line.is_empty()) else {
        let found = "the end of the text".to_owned();
        return Err(fail(
            title_number + 1,
            NetshProblem::MissingSettings { found },
        ));
    };
    let (first_setting, first_line) = after_title[start];
    if is_frame(first_line) {
        let found = quote(first_line);
        return Err(fail(first_setting, NetshProblem::MissingSettings { found }));
    }
    let (settings, rest) = settings_block(&after_title[start..]);
    if let Some(&(number, _)) = rest.iter().find(|(_, line)| content(line)) {
        warnings.push(format!(
            "ignored the lines after the settings, from line {number}"
        ));
    }
    let mut proxy =
        read_settings(&settings, &mut warnings).map_err(|(line, problem)| fail(line, problem))?;
    proxy.encoding = capture.encoding;
    proxy.warnings = warnings;
    Ok(proxy)
}

/// Reads the block of lines after the title: one line for direct access, or two `label : value`
/// lines (proxy server(s), bypass list) taken by position. Errors carry their line.
fn read_settings(
    settings: &[(usize, &str)],
    warnings: &mut Vec<String>,
) -> Result<NetshProxy, (usize, NetshProblem)> {
    let mut settings_read = NetshProxy::default();
    match settings {
        [(number, line)] if line.starts_with('{') => {
            return Err((*number, NetshProblem::AdvProxyGiven));
        }
        [(number, line)] => {
            if label_value(line).is_some() {
                return Err((
                    number + 1,
                    NetshProblem::ExpectedLabelValue {
                        what: "bypass list",
                        found: "the end of the settings".to_owned(),
                    },
                ));
            }
            if !line.eq_ignore_ascii_case(ENGLISH_DIRECT) {
                warnings.push(format!(
                    "read {} as direct access: it is the only line after the title and has no \
                     'label : value'",
                    quote(line)
                ));
            }
            settings_read.direct = true;
        }
        [
            (proxy_number, proxy_line),
            (bypass_number, bypass_line),
            extra @ ..,
        ] => {
            if proxy_line.starts_with('{') {
                return Err((*proxy_number, NetshProblem::AdvProxyGiven));
            }
            let what = "proxy server(s)";
            let (proxy_label, proxy_value) = label_value(proxy_line).ok_or_else(|| {
                let found = quote(proxy_line);
                (
                    *proxy_number,
                    NetshProblem::ExpectedLabelValue { what, found },
                )
            })?;
            if proxy_value.is_empty() {
                return Err((*proxy_number, NetshProblem::EmptyValue { what }));
            }
            let what = "bypass list";
            let (bypass_label, bypass_value) = label_value(bypass_line).ok_or_else(|| {
                let found = quote(bypass_line);
                (
                    *bypass_number,
                    NetshProblem::ExpectedLabelValue { what, found },
                )
            })?;
            if !proxy_label.eq_ignore_ascii_case(ENGLISH_PROXY_LABEL)
                || !bypass_label.eq_ignore_ascii_case(ENGLISH_BYPASS_LABEL)
            {
                warnings.push(format!(
                    "the labels are not English ({}, {}): read the proxy server(s) and the bypass \
                     list by position",
                    quote(proxy_label),
                    quote(bypass_label)
                ));
            }
            // `(none)`, or its translation, in the bypass position means an empty list.
            let empty = bypass_value.is_empty()
                || (bypass_value.starts_with('(') && bypass_value.ends_with(')'));
            if empty && !bypass_value.is_empty() && bypass_value != "(none)" {
                warnings.push(format!(
                    "read {} as an empty bypass list",
                    quote(bypass_value)
                ));
            }
            if let Some((number, _)) = extra.first() {
                warnings.push(format!(
                    "ignored the lines after the bypass list, from line {number}"
                ));
            }
            settings_read.proxy = Some(proxy_value.to_owned());
            settings_read.bypass = (!empty).then(|| bypass_value.to_owned());
        }
        [] => {
            let found = "the end of the text".to_owned();
            return Err((1, NetshProblem::MissingSettings { found }));
        }
    }
    Ok(settings_read)
}

/// Parses captured `netsh winhttp show advproxy` output: header lines, then a JSON object.
///
/// Keys are matched case-insensitively; unknown keys are kept in [`AdvProxy::other`]. For a
/// capture held as bytes, decode it first with [`decode_capture`].
pub(crate) fn parse_show_advproxy(text: &str, origin: &str) -> Result<AdvProxy, NetshError> {
    let fail = |line: usize, problem| NetshError {
        origin: origin.to_owned(),
        line: Some(line),
        problem,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(NetshError {
            origin: origin.to_owned(),
            line: None,
            problem: NetshProblem::Empty,
        });
    }
    let mut offset = 0;
    let mut json_start = None;
    for (index, line) in text.split_inclusive('\n').enumerate() {
        if line.trim_start().starts_with('{') {
            json_start = Some((index + 1, offset));
            break;
        }
        offset += line.len();
    }
    let Some((json_line, offset)) = json_start else {
        let found = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .find(|line| !is_title(line))
            .map_or_else(|| "the end of the text".to_owned(), quote);
        let line = text.lines().count();
        return Err(fail(line, NetshProblem::MissingJson { found }));
    };
    let json = &text[offset..];
    let mut stream = serde_json::Deserializer::from_str(json).into_iter::<Value>();
    let value = match stream.next() {
        Some(Ok(value)) => value,
        Some(Err(err)) => {
            let message = err.to_string();
            let suffix = format!(" at line {} column {}", err.line(), err.column());
            let message = message.strip_suffix(&suffix).unwrap_or(&message).to_owned();
            let line = json_line + err.line().saturating_sub(1);
            return Err(fail(
                line,
                NetshProblem::Json {
                    column: err.column(),
                    message,
                },
            ));
        }
        None => {
            let found = "the end of the text".to_owned();
            return Err(fail(json_line, NetshProblem::MissingJson { found }));
        }
    };
    let mut settings = AdvProxy::default();
    if !json[stream.byte_offset()..].trim().is_empty() {
        settings
            .warnings
            .push("ignored the text after the JSON object".to_owned());
    }
    let Value::Object(map) = value else {
        let found = quote(&value.to_string());
        return Err(fail(json_line, NetshProblem::NotObject { found }));
    };
    for (key, value) in map {
        settings.take(key, value);
    }
    Ok(settings)
}

/// Whether `bytes` look like a `netsh winhttp show proxy` or `show advproxy` capture (and not,
/// say, a `.reg` export): one of the first lines (prompts and code fences aside) is a title that
/// names `WinHTTP`.
#[must_use]
pub(crate) fn looks_like_netsh(bytes: &[u8]) -> bool {
    /// How far into a paste the title may be (after a sentence or two of prose).
    const LINES: usize = 20;
    decode_capture(bytes, "").is_ok_and(|capture| {
        capture
            .text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !is_frame(line))
            .take(LINES)
            .any(|line| is_title(line) && line.to_ascii_lowercase().contains("winhttp"))
    })
}

/// Decodes a capture: by its byte-order mark, as UTF-16LE when every second byte is mostly zero,
/// as UTF-8 when it is valid UTF-8, else in the OEM code page (850, 437 or 866) under which its
/// letters read as words of one script.
pub(crate) fn decode_capture(bytes: &[u8], origin: &str) -> Result<Capture, NetshError> {
    let fail = |line, problem| NetshError {
        origin: origin.to_owned(),
        line,
        problem,
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(fail(None, NetshProblem::Empty));
    }
    let mut warnings = Vec::new();
    let (text, encoding) = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        (
            utf16(rest, u16::from_le_bytes, &mut warnings),
            "UTF-16LE with BOM",
        )
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        (
            utf16(rest, u16::from_be_bytes, &mut warnings),
            "UTF-16BE with BOM",
        )
    } else if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        (String::from_utf8_lossy(rest).into_owned(), "UTF-8 with BOM")
    } else if looks_like_utf16le(bytes) {
        (
            utf16(bytes, u16::from_le_bytes, &mut warnings),
            "UTF-16LE without BOM",
        )
    } else if let Ok(text) = std::str::from_utf8(bytes) {
        (text.to_owned(), "UTF-8")
    } else {
        let (text, encoding, score) = oem(bytes);
        if score < 0 {
            warnings.push(format!(
                "the non-ASCII text does not read well in any of OEM code pages 850, 437 and \
                 866; decoded as {encoding}, and the values (ASCII) were read by position"
            ));
        }
        (text, encoding)
    };
    if let Some((number, line)) = text
        .lines()
        .enumerate()
        .find(|(_, line)| line.chars().any(unexpected_control))
    {
        let c = line
            .chars()
            .find(|&c| unexpected_control(c))
            .map_or(0, u32::from);
        return Err(fail(
            Some(number + 1),
            NetshProblem::UnrecognisedEncoding {
                detail: format!("decoded as {encoding}, it holds control character U+{c:04X}"),
            },
        ));
    }
    Ok(Capture {
        text: text.strip_prefix('\u{feff}').unwrap_or(&text).to_owned(),
        encoding: encoding.to_owned(),
        warnings,
    })
}

/// A control character no capture holds: tabs do, and so do stray carriage returns (CR CR LF line
/// ends, as output re-saved through PowerShell often has).
fn unexpected_control(c: char) -> bool {
    c.is_control() && c != '\t' && c != '\r'
}

impl AdvProxy {
    /// Stores one JSON key, matched case-insensitively, or keeps it in `other`.
    fn take(&mut self, key: String, value: Value) {
        let lower = key.to_ascii_lowercase();
        let slot = match lower.as_str() {
            "proxy" => Slot::Text(&mut self.proxy),
            "proxybypass" => Slot::Text(&mut self.proxy_bypass),
            "autoconfigurl" => Slot::Text(&mut self.autoconfig_url),
            "connectionname" => Slot::Text(&mut self.connection_name),
            "autodetect" => Slot::Flag(&mut self.auto_detect),
            "proxyisenabled" => Slot::Flag(&mut self.proxy_is_enabled),
            "autoconfigisenabled" => Slot::Flag(&mut self.autoconfig_is_enabled),
            "peruserproxysettings" => Slot::Flag(&mut self.per_user_proxy_settings),
            _ => {
                self.other.insert(key, value);
                return;
            }
        };
        let stored = match (slot, &value) {
            (Slot::Text(_) | Slot::Flag(_), Value::Null) => true,
            (Slot::Text(slot), Value::String(text)) => {
                *slot = Some(text.clone());
                true
            }
            (Slot::Flag(slot), Value::Bool(flag)) => {
                *slot = Some(*flag);
                true
            }
            // Some tools write flags as 0/1.
            (Slot::Flag(slot), Value::Number(number)) if number.as_u64().is_some() => {
                *slot = Some(number.as_u64() != Some(0));
                true
            }
            _ => false,
        };
        if !stored {
            self.warnings.push(format!(
                "kept '{key}' as it is: its value {value} is not of the expected type"
            ));
            self.other.insert(key, value);
        }
    }
}

/// Where a known `show advproxy` key goes.
enum Slot<'a> {
    Text(&'a mut Option<String>),
    Flag(&'a mut Option<bool>),
}

/// A line of a capture: its 1-based number and its trimmed text.
type Line<'a> = (usize, &'a str);

/// Splits the lines from the first setting on into the settings and what follows them.
///
/// The settings end at a blank line, a prompt or a code fence. A capture printed double-spaced (a
/// blank line after every line, as some PowerShell wrappers print it) keeps its second
/// `label : value` line.
fn settings_block<'a, 'b>(lines: &'b [Line<'a>]) -> (Vec<Line<'a>>, &'b [Line<'a>]) {
    let mut settings: Vec<Line<'_>> = Vec::new();
    let mut index = 0;
    while let Some(&(number, line)) = lines.get(index) {
        if is_frame(line) {
            break;
        }
        if line.is_empty() {
            let next = lines[index..]
                .iter()
                .position(|(_, line)| !line.is_empty())
                .map(|offset| index + offset);
            let double_spaced = matches!(settings.as_slice(), [(_, only)] if label_value(only).is_some())
                && next.is_some_and(|next| {
                    let line = lines[next].1;
                    !is_frame(line) && label_value(line).is_some()
                });
            match next {
                Some(next) if double_spaced => {
                    index = next;
                    continue;
                }
                _ => break,
            }
        }
        settings.push((number, line));
        index += 1;
    }
    (settings, &lines[index..])
}

/// Whether a (trimmed) line frames a pasted capture rather than belonging to it: a `cmd` or
/// PowerShell prompt (`C:\>`, `PS C:\Users\me> netsh winhttp show proxy`), a Markdown code fence
/// (```` ``` ````, ```` ```text ````, `~~~`) or a PowerShell transcript's rule of asterisks.
fn is_frame(line: &str) -> bool {
    let line = line.trim();
    if line.starts_with("```") || line.starts_with("~~~") {
        return true;
    }
    if line.len() >= 10 && line.bytes().all(|b| b == b'*') {
        return true;
    }
    let bytes = line.as_bytes();
    let cmd_prompt = bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && bytes[2] == b'\\'
        && line.contains('>');
    let powershell_prompt = line
        .strip_prefix("PS")
        .is_some_and(|rest| rest.starts_with('>') || (rest.starts_with(' ') && rest.contains('>')));
    cmd_prompt || powershell_prompt
}

/// Whether a line is a title: text ending in a colon (ASCII or full-width), nothing after it.
fn is_title(line: &str) -> bool {
    let line = line.trim();
    line.len() > 1 && (line.ends_with(':') || line.ends_with('：'))
}

/// Splits `label : value` at the first colon (ASCII or full-width); the label must not be empty.
fn label_value(line: &str) -> Option<(&str, &str)> {
    let (index, colon) = line.char_indices().find(|(_, c)| *c == ':' || *c == '：')?;
    let label = line[..index].trim();
    let value = line[index + colon.len_utf8()..].trim();
    (!label.is_empty()).then_some((label, value))
}

/// Whether bytes without a byte-order mark are UTF-16LE: many zero high bytes, no zero low bytes.
fn looks_like_utf16le(bytes: &[u8]) -> bool {
    if bytes.len() < 4 || !bytes.len().is_multiple_of(2) {
        return false;
    }
    let pairs = bytes.len() / 2;
    let zero_high = bytes.iter().skip(1).step_by(2).filter(|&&b| b == 0).count();
    let zero_low = bytes.iter().step_by(2).filter(|&&b| b == 0).count();
    zero_high * 4 >= pairs && zero_low * 4 < zero_high
}

/// Decodes UTF-16 units, replacing unpaired surrogates and warning about an odd last byte.
fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16, warnings: &mut Vec<String>) -> String {
    let chunks = bytes.chunks_exact(2);
    if !chunks.remainder().is_empty() {
        warnings.push("ignored the odd last byte of the UTF-16 text".to_owned());
    }
    let units = chunks.map(|pair| unit([pair[0], pair[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

/// Decodes in the OEM code page whose reading scores best; ties go to the earlier page.
fn oem(bytes: &[u8]) -> (String, &'static str, i64) {
    let pages = [
        (&DECODING_TABLE_CP850, "OEM code page 850"),
        (&DECODING_TABLE_CP437, "OEM code page 437"),
        (&DECODING_TABLE_CP866, "OEM code page 866"),
    ];
    let mut best: Option<(String, &'static str, i64)> = None;
    for (table, name) in pages {
        let text = oem_cp::decode_string_complete_table(bytes, table);
        let score = script_score(&text);
        if best.as_ref().is_none_or(|(_, _, top)| score > *top) {
            best = Some((text, name, score));
        }
    }
    best.unwrap_or_else(|| (String::new(), "OEM code page 850", 0))
}

/// How much a text reads like words: letters score, symbols and words that mix scripts cost.
///
/// Decoded in the wrong code page, Cyrillic turns into accented Latin mixed with Greek and
/// box-drawing symbols, and Latin accents turn into Cyrillic letters inside Latin words.
fn script_score(text: &str) -> i64 {
    let mut score = 0;
    for word in text.split(|c: char| c.is_whitespace() || c.is_ascii_punctuation()) {
        let mut scripts = [false; 4];
        for c in word.chars() {
            if c.is_ascii() {
                if c.is_ascii_alphabetic() {
                    scripts[0] = true;
                }
                continue;
            }
            if c.is_alphabetic() {
                score += 1;
                scripts[script(c)] = true;
            } else {
                score -= 3;
            }
        }
        let count = scripts.iter().filter(|&&seen| seen).count();
        if count > 1 {
            score -= 4 * i64::try_from(word.chars().count()).unwrap_or(i64::MAX / 8);
        }
    }
    score
}

/// A coarse script class: 0 Latin, 1 Cyrillic, 2 Greek, 3 anything else.
fn script(c: char) -> usize {
    match u32::from(c) {
        0x00C0..=0x024F => 0,
        0x0400..=0x04FF => 1,
        0x0370..=0x03FF => 2,
        _ => 3,
    }
}

/// Quotes text for a message, shortened to 60 characters.
fn quote(text: &str) -> String {
    const LIMIT: usize = 60;
    if text.chars().count() > LIMIT {
        let short: String = text.chars().take(LIMIT).collect();
        format!("'{short}…'")
    } else {
        format!("'{text}'")
    }
}

/// `line N: ` or nothing.
fn at_line(line: Option<usize>) -> String {
    line.map(|line| format!("line {line}: "))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($name:literal) => {
            include_bytes!(concat!("../../testdata/netsh/", $name)).as_slice()
        };
    }

    const SHOW_PROXY: [&[u8]; 11] = [
        fixture!("show-proxy-direct.txt"),
        fixture!("show-proxy-direct.utf16le.txt"),
        fixture!("show-proxy-named-no-bypass.txt"),
        fixture!("show-proxy-per-protocol-bypass.txt"),
        fixture!("show-proxy-ru.txt"),
        fixture!("show-proxy-ru.cp866.txt"),
        fixture!("show-proxy-ru.utf16le-no-bom.txt"),
        fixture!("show-proxy-fr.synthetic.cp850.txt"),
        fixture!("show-proxy-de.synthetic.txt"),
        fixture!("show-proxy-broken-bypass.synthetic.txt"),
        fixture!("show-advproxy-all-keys.synthetic.txt"),
    ];

    /// Captures as users paste them: after a prompt, inside a Markdown fence, from PowerShell.
    const PASTES: [&[u8]; 5] = [
        fixture!("show-proxy-cmd-transcript.synthetic.txt"),
        fixture!("show-proxy-ps-transcript.synthetic.txt"),
        fixture!("show-proxy-markdown-fence.synthetic.md"),
        fixture!("show-proxy-markdown-fence-no-blank.synthetic.md"),
        fixture!("show-proxy-powershell-wrapped.synthetic.txt"),
    ];

    #[test]
    fn pasted_captures_are_read_through_prompts_fences_and_powershell_spacing() {
        let corp = Some("proxy.corp.example:8080");
        let cases = [
            (PASTES[0], true, None, None, vec![]),
            (
                PASTES[1],
                false,
                corp,
                Some("<local>;*.corp.example"),
                vec![],
            ),
            (
                PASTES[2],
                true,
                None,
                None,
                vec![
                    "ignored the lines before the title (lines 1 to 3)",
                    "ignored the lines after the settings, from line 9",
                ],
            ),
            (
                PASTES[3],
                false,
                Some("http=proxy.corp.example:8080;https=proxy.corp.example:8443"),
                None,
                vec![],
            ),
            (PASTES[4], false, corp, Some("<local>"), vec![]),
        ];
        for (index, (bytes, direct, proxy, bypass, warnings)) in cases.into_iter().enumerate() {
            let parsed = parse_show_proxy(bytes, "paste.txt").expect("fixture parses");
            assert_eq!(parsed.direct, direct, "case {index}");
            assert_eq!(parsed.proxy.as_deref(), proxy, "case {index}");
            assert_eq!(parsed.bypass.as_deref(), bypass, "case {index}");
            assert_eq!(parsed.warnings, warnings, "case {index}");
        }
        // CR CR LF line ends, as text re-saved through PowerShell often has.
        let doubled = b"Current WinHTTP proxy settings:\r\r\n\r\r\n    Direct access (no proxy server).\r\r\n";
        let parsed = parse_show_proxy(doubled, "paste.txt").expect("parses");
        assert!(parsed.direct && parsed.warnings.is_empty(), "{parsed:?}");
    }

    #[test]
    fn broken_pastes_blame_the_line_that_is_wrong() {
        let cases: [(&[u8], &str); 4] = [
            (
                b"```\nCurrent WinHTTP proxy settings:\n```\n",
                "paste.txt: line 3: expected the settings after the title, found '```'",
            ),
            (
                b"```text\nCurrent WinHTTP proxy settings:\n\n    Proxy Server(s) :  p:1\n    Bypass List     (none)\n```\n",
                "paste.txt: line 5: expected 'label : value' for the bypass list, found 'Bypass \
                 List     (none)'",
            ),
            (
                b"C:\\>netsh winhttp show proxy\r\n\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Proxy Server(s)  proxy\r\n    Bypass List     :  (none)\r\nC:\\>\r\n",
                "paste.txt: line 5: expected 'label : value' for the proxy server(s), found \
                 'Proxy Server(s)  proxy'",
            ),
            (
                b"PS C:\\> netsh winhttp show proxy\r\nPS C:\\>\r\n",
                "paste.txt: line 1: expected a title line ending in ':' (e.g. 'Current WinHTTP \
                 proxy settings:'), found 'PS C:\\> netsh winhttp show proxy'",
            ),
        ];
        for (bytes, message) in cases {
            let err = parse_show_proxy(bytes, "paste.txt").expect_err(message);
            assert_eq!(err.to_string(), message);
        }
    }

    #[test]
    fn show_proxy_captures_are_read_by_shape_in_any_encoding() {
        let ru_bypass = Some("localhost;127.*;<local>");
        let ru_proxy = Some("http=127.0.0.1:7038;https=127.0.0.1:7038");
        let cases = [
            (SHOW_PROXY[0], true, None, None, "UTF-8", 0),
            (SHOW_PROXY[1], true, None, None, "UTF-16LE with BOM", 0),
            (
                SHOW_PROXY[2],
                false,
                Some("testProxy:8999"),
                None,
                "UTF-8",
                0,
            ),
            (
                SHOW_PROXY[3],
                false,
                Some("http=127.0.0.1:7897;https=127.0.0.1:7897"),
                Some("localhost;127.*"),
                "UTF-8",
                0,
            ),
            (SHOW_PROXY[4], false, ru_proxy, ru_bypass, "UTF-8", 1),
            (
                SHOW_PROXY[5],
                false,
                ru_proxy,
                ru_bypass,
                "OEM code page 866",
                1,
            ),
            (
                SHOW_PROXY[6],
                false,
                ru_proxy,
                ru_bypass,
                "UTF-16LE without BOM",
                1,
            ),
            (SHOW_PROXY[7], true, None, None, "OEM code page 850", 1),
            (
                SHOW_PROXY[8],
                false,
                Some("proxy.corp.example:8080"),
                None,
                "UTF-8",
                2,
            ),
        ];
        for (index, (bytes, direct, proxy, bypass, encoding, warnings)) in
            cases.into_iter().enumerate()
        {
            let parsed = parse_show_proxy(bytes, "show-proxy.txt").expect("fixture parses");
            assert_eq!(parsed.direct, direct, "case {index}");
            assert_eq!(parsed.proxy.as_deref(), proxy, "case {index}");
            assert_eq!(parsed.bypass.as_deref(), bypass, "case {index}");
            assert_eq!(parsed.encoding, encoding, "case {index}");
            assert_eq!(
                parsed.warnings.len(),
                warnings,
                "case {index}: {:?}",
                parsed.warnings
            );
        }
    }

    #[test]
    fn labels_that_are_not_english_are_named_in_a_warning() {
        let parsed = parse_show_proxy(SHOW_PROXY[5], "ru.txt").expect("fixture parses");
        assert_eq!(
            parsed.warnings,
            vec![
                "the labels are not English ('Сервер(ы) прокси', 'Список исключений'): read the \
                 proxy server(s) and the bypass list by position"
                    .to_owned()
            ]
        );
        let parsed = parse_show_proxy(SHOW_PROXY[7], "fr.txt").expect("fixture parses");
        assert!(
            parsed.warnings[0]
                .starts_with("read 'Accès direct (pas de serveur proxy).' as direct access"),
            "{:?}",
            parsed.warnings
        );
    }

    #[test]
    fn broken_captures_name_the_file_the_line_and_what_was_expected() {
        let cases: [(&[u8], &str); 7] = [
            (
                SHOW_PROXY[9],
                "show-proxy.txt: line 5: expected 'label : value' for the bypass list, found \
                 'Bypass List     (none)'",
            ),
            (
                b"\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Proxy Server(s) :  p:1\r\n",
                "show-proxy.txt: line 5: expected 'label : value' for the bypass list, found the \
                 end of the settings",
            ),
            (
                b"Current WinHTTP proxy settings:\r\n  Proxy Server(s) :  \r\n  Bypass List : x\r\n"
                    .as_slice(),
                "show-proxy.txt: line 2: expected a value after ':' for the proxy server(s), \
                 found nothing",
            ),
            (
                b"Current WinHTTP proxy settings:\r\n\r\n",
                "show-proxy.txt: line 2: expected the settings after the title, found the end of \
                 the text",
            ),
            (
                b"Proxy Server(s) p\r\n",
                "show-proxy.txt: line 1: expected a title line ending in ':' (e.g. 'Current \
                 WinHTTP proxy settings:'), found 'Proxy Server(s) p'",
            ),
            (b" \r\n\r\n", "show-proxy.txt: the file is empty"),
            (
                b"Current WinHTTP proxy settings:\r\n\x01\x02\xff\r\n",
                "show-proxy.txt: line 2: the capture is in an unrecognised encoding (tried \
                 UTF-16, UTF-8 and OEM code pages 850, 437 and 866): decoded as OEM code page \
                 850, it holds control character U+0001",
            ),
        ];
        for (bytes, message) in cases {
            let err = parse_show_proxy(bytes, "show-proxy.txt").expect_err(message);
            assert_eq!(err.to_string(), message);
        }
        let advproxy = fixture!("show-advproxy-empty.txt");
        let err = parse_show_proxy(advproxy, "a.txt").expect_err("advproxy");
        assert_eq!(
            err.to_string(),
            "a.txt: line 4: expected 'netsh winhttp show proxy' output, found JSON ('show \
             advproxy' output?)"
        );
    }

    #[test]
    fn show_advproxy_keys_are_read_case_insensitively_and_unknown_keys_kept() {
        let text = |bytes: &[u8]| String::from_utf8(bytes.to_vec()).expect("UTF-8 fixture");
        let empty = parse_show_advproxy(&text(fixture!("show-advproxy-empty.txt")), "a.txt")
            .expect("fixture parses");
        assert_eq!(empty, AdvProxy::default());
        let proxy = parse_show_advproxy(
            &text(fixture!("show-advproxy-proxy.reconstructed.txt")),
            "a.txt",
        )
        .expect("fixture parses");
        assert_eq!(proxy.proxy.as_deref(), Some("localhost:8080"));
        assert_eq!(proxy.proxy_bypass.as_deref(), Some("*"));
        let all = parse_show_advproxy(&text(SHOW_PROXY[10]), "a.txt").expect("fixture parses");
        let expected = AdvProxy {
            proxy: Some("proxy.corp.example:8080".into()),
            proxy_bypass: Some("<local>;*.corp.example".into()),
            autoconfig_url: Some("http://pac.corp.example/proxy.pac".into()),
            auto_detect: Some(true),
            proxy_is_enabled: Some(true),
            autoconfig_is_enabled: Some(false),
            per_user_proxy_settings: Some(false),
            connection_name: Some(String::new()),
            other: [("FutureSetting".to_owned(), serde_json::json!([1, 2]))]
                .into_iter()
                .collect(),
            warnings: Vec::new(),
        };
        assert_eq!(all, expected);
        let odd =
            parse_show_advproxy("{\"AutoDetect\": \"yes\"}\n} trailing", "a.txt").expect("parses");
        assert_eq!(odd.auto_detect, None);
        assert_eq!(odd.other.get("AutoDetect"), Some(&serde_json::json!("yes")));
        assert_eq!(odd.warnings.len(), 2, "{:?}", odd.warnings);
    }

    #[test]
    fn broken_advproxy_captures_name_the_line_and_column() {
        let broken = String::from_utf8(fixture!("show-advproxy-broken.synthetic.txt").to_vec())
            .expect("UTF-8 fixture");
        let cases = [
            (
                broken.as_str(),
                "a.txt: line 6: column 21: invalid JSON: key must be a string",
            ),
            (
                "\nCurrent WinHTTP advanced proxy settings:\n\n",
                "a.txt: line 3: expected a JSON object after the title, found the end of the text",
            ),
            (
                "Current WinHTTP advanced proxy settings:\nProxy: x\n",
                "a.txt: line 2: expected a JSON object after the title, found 'Proxy: x'",
            ),
            ("", "a.txt: the file is empty"),
        ];
        for (text, message) in cases {
            let err = parse_show_advproxy(text, "a.txt").expect_err(message);
            assert!(err.to_string().starts_with(message), "{err}");
        }
    }

    #[test]
    fn netsh_captures_are_told_from_reg_files() {
        for bytes in SHOW_PROXY.into_iter().chain(PASTES) {
            assert!(looks_like_netsh(bytes));
        }
        let reg = include_bytes!("../../testdata/registry/internet-settings.synthetic.reg");
        assert!(!looks_like_netsh(reg));
        assert!(!looks_like_netsh(
            b"Windows Registry Editor Version 5.00\r\n"
        ));
        assert!(!looks_like_netsh(b""));
    }

    #[test]
    fn no_prefix_of_any_capture_and_no_random_input_panics() {
        for fixture in SHOW_PROXY.into_iter().chain(PASTES) {
            for end in 0..=fixture.len() {
                let _ = parse_show_proxy(&fixture[..end], "f.txt");
                let _ = looks_like_netsh(&fixture[..end]);
                if let Ok(text) = std::str::from_utf8(&fixture[..end]) {
                    let _ = parse_show_advproxy(text, "f.txt");
                }
            }
        }
        // A fixed xorshift sequence: the same "random" bytes on every run.
        let mut state: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = "Current:  (none){}\"[],\r\n\tПрокси：é\u{0}".as_bytes();
        for _ in 0..2000 {
            let len = usize::try_from(next() % 120).unwrap_or(0);
            let picked: Vec<u8> = (0..len)
                .map(|_| alphabet[usize::try_from(next()).unwrap_or(0) % alphabet.len()])
                .collect();
            let raw: Vec<u8> = (0..len).map(|_| next().to_le_bytes()[0]).collect();
            for bytes in [&picked, &raw] {
                let _ = parse_show_proxy(bytes, "f.txt");
                let _ = parse_show_advproxy(&String::from_utf8_lossy(bytes), "f.txt");
            }
        }
    }
}
