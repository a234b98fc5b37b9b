//! The one bounded reader for every file a user names: a size cap per kind of input, enforced
//! while reading (`Read::take`), so `/dev/zero`, a FIFO or a huge file stops at the cap.
//!
//! It reads bytes, text and lines; what they mean is each parser's business.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

const MIB: u64 = 1024 * 1024;

/// What a file holds: it sets the file's cap and how errors name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputKind {
    /// A `reg export` file (`--from-reg`).
    RegistryExport,
    /// `netsh winhttp show proxy` or `show advproxy` output (`--from-netsh`).
    NetshCapture,
    /// An endpoint list (`--endpoints`).
    EndpointList,
    /// A PAC file (`pac FILE`, `check --pac FILE`).
    Pac,
    /// A PEM file of trust anchors (`--trust-anchor`).
    Certificate,
    /// A list of URLs, one a line (`pac --url-file`).
    UrlList,
    /// DiagTrack's `UtcConnectionReport` (`--from-utc-report`).
    UtcReport,
}

impl InputKind {
    /// The most lines a URL list may have.
    pub const MAX_LINES: usize = 100_000;

    /// The most bytes a file of this kind may have.
    #[must_use]
    pub const fn max_bytes(self) -> u64 {
        match self {
            InputKind::RegistryExport | InputKind::UrlList => 16 * MIB,
            // `netsh winhttp set proxy` takes its lists on one command line (at most 32,767
            // characters), so its output is kilobytes; a megabyte is generous. A built endpoint
            // costs kilobytes: 1 MiB (and at most 1,000 entries) keeps a list within the 100 MB
            // memory bound; the built-in list is 10 KB.
            // The document has nine short elements: a kilobyte. A megabyte is generous.
            InputKind::NetshCapture
            | InputKind::UtcReport
            | InputKind::Pac
            | InputKind::Certificate
            | InputKind::EndpointList => MIB,
        }
    }

    /// The file, as errors name it: `the registry export`.
    #[must_use]
    pub const fn noun(self) -> &'static str {
        match self {
            InputKind::RegistryExport => "the registry export",
            InputKind::NetshCapture => "the netsh capture",
            InputKind::EndpointList => "the endpoint file",
            InputKind::Pac => "the PAC file",
            InputKind::Certificate => "the trust anchor file",
            InputKind::UrlList => "the URL list",
            InputKind::UtcReport => "the UtcConnectionReport",
        }
    }

    /// The files that share the cap, as errors name them: `exports`.
    const fn class(self) -> &'static str {
        match self {
            InputKind::RegistryExport => "exports",
            InputKind::NetshCapture => "netsh captures",
            InputKind::EndpointList => "endpoint lists",
            InputKind::Pac => "PAC files",
            InputKind::Certificate => "certificate files",
            InputKind::UrlList => "URL lists",
            InputKind::UtcReport => "UtcConnectionReports",
        }
    }
}

/// Why a file a user named could not be read.
#[derive(Clone, Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened or read.
    #[error("cannot read {} {}", .kind.noun(), .path.display())]
    Unreadable {
        kind: InputKind,
        path: PathBuf,
        source: Arc<io::Error>,
    },
    /// The path names a directory.
    #[error("{} {} is a directory, not a file", .kind.noun(), .path.display())]
    Directory { kind: InputKind, path: PathBuf },
    /// The file holds more bytes than its kind's cap.
    #[error(
        "{} {} is larger than {}, the limit for {}",
        .kind.noun(), .path.display(), Size(.kind.max_bytes()), .kind.class()
    )]
    TooLarge { kind: InputKind, path: PathBuf },
    /// The file holds more lines than its kind's cap.
    #[error(
        "{} {} has more than {} lines, the limit for {}",
        .kind.noun(), .path.display(), Count(InputKind::MAX_LINES), .kind.class()
    )]
    TooManyLines { kind: InputKind, path: PathBuf },
    /// The file is not UTF-8 text.
    #[error(
        "{} {} is not UTF-8 text (line {line} holds bytes that are not)",
        .kind.noun(), .path.display()
    )]
    NotText {
        kind: InputKind,
        path: PathBuf,
        line: usize,
    },
}

// Errors compare by what they say: the I/O error inside has no equality of its own.
impl PartialEq for InputError {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for InputError {}

/// Reads the whole file at `path`, at most `kind`'s cap.
pub(crate) fn read(path: &Path, kind: InputKind) -> Result<Vec<u8>, InputError> {
    let (file, known_len) = open(path, kind)?;
    let cap = kind.max_bytes();
    // A regular file's length is known: allocate once. Devices and FIFOs grow up to the cap.
    let mut bytes = Vec::with_capacity(usize::try_from(known_len.unwrap_or(0)).unwrap_or(0));
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|err| unreadable(path, kind, err))?;
    if len_u64(bytes.len()) > cap {
        return Err(InputError::TooLarge {
            kind,
            path: path.to_owned(),
        });
    }
    Ok(bytes)
}

/// Reads the file at `path` as UTF-8 text, at most `kind`'s cap.
pub(crate) fn read_text(path: &Path, kind: InputKind) -> Result<String, InputError> {
    let bytes = read(path, kind)?;
    String::from_utf8(bytes).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        InputError::NotText {
            kind,
            path: path.to_owned(),
            line: valid.split(|&b| b == b'\n').count(),
        }
    })
}

/// Reads the file at `path` line by line (without line ends), numbered from 1, within `kind`'s
/// byte cap and [`InputKind::MAX_LINES`].
///
/// UTF-8 is read a line at a time (a byte-order mark is dropped); UTF-16LE with its byte-order
/// mark, as Windows PowerShell's `>` writes, is read whole within the cap, then split.
pub(crate) fn read_lines(path: &Path, kind: InputKind) -> Result<Vec<(usize, String)>, InputError> {
    let (file, _) = open(path, kind)?;
    let cap = kind.max_bytes();
    let mut reader = BufReader::new(file.take(cap + 1));
    let head = reader
        .fill_buf()
        .map_err(|err| unreadable(path, kind, err))?;
    if head.starts_with(&[0xFF, 0xFE]) {
        return read_utf16_lines(reader, path, kind);
    }
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        reader.consume(3);
    }
    let mut lines = Vec::new();
    let mut total: u64 = 0;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|err| unreadable(path, kind, err))?;
        if read == 0 {
            break;
        }
        total += len_u64(read);
        if total > cap {
            return Err(InputError::TooLarge {
                kind,
                path: path.to_owned(),
            });
        }
        if lines.len() == InputKind::MAX_LINES {
            return Err(InputError::TooManyLines {
                kind,
                path: path.to_owned(),
            });
        }
        let number = lines.len() + 1;
        let text = std::str::from_utf8(&line).map_err(|_| InputError::NotText {
            kind,
            path: path.to_owned(),
            line: number,
        })?;
        let text = text.strip_suffix('\n').unwrap_or(text);
        let text = text.strip_suffix('\r').unwrap_or(text);
        lines.push((number, text.to_owned()));
    }
    Ok(lines)
}

/// [`read_lines`] for UTF-16LE text whose byte-order mark is next in `reader`.
fn read_utf16_lines(
    mut reader: impl Read,
    path: &Path,
    kind: InputKind,
) -> Result<Vec<(usize, String)>, InputError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|err| unreadable(path, kind, err))?;
    if len_u64(bytes.len()) > kind.max_bytes() {
        return Err(InputError::TooLarge {
            kind,
            path: path.to_owned(),
        });
    }
    let units = bytes[2..]
        .chunks_exact(2)
        .map(|pair| u16::from_le_bytes([pair[0], pair[1]]));
    let text: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if index == InputKind::MAX_LINES {
            return Err(InputError::TooManyLines {
                kind,
                path: path.to_owned(),
            });
        }
        lines.push((index + 1, line.to_owned()));
    }
    Ok(lines)
}

/// Opens `path` for reading: a directory is refused, and a regular file past the cap is refused
/// without reading it. Returns the file and, for a regular file, its length.
fn open(path: &Path, kind: InputKind) -> Result<(File, Option<u64>), InputError> {
    let metadata = fs::metadata(path).map_err(|err| unreadable(path, kind, err))?;
    if metadata.is_dir() {
        return Err(InputError::Directory {
            kind,
            path: path.to_owned(),
        });
    }
    let known_len = metadata.is_file().then_some(metadata.len());
    if known_len.is_some_and(|len| len > kind.max_bytes()) {
        return Err(InputError::TooLarge {
            kind,
            path: path.to_owned(),
        });
    }
    let file = File::open(path).map_err(|err| unreadable(path, kind, err))?;
    Ok((file, known_len))
}

fn unreadable(path: &Path, kind: InputKind, err: io::Error) -> InputError {
    InputError::Unreadable {
        kind,
        path: path.to_owned(),
        source: Arc::new(err),
    }
}

fn len_u64(len: usize) -> u64 {
    u64::try_from(len).unwrap_or(u64::MAX)
}

/// A byte count in MiB, as the caps are set: `16 MiB`.
struct Size(u64);

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_multiple_of(MIB) {
            write!(f, "{} MiB", self.0 / MIB)
        } else {
            write!(f, "{} bytes", self.0)
        }
    }
}

/// A count with thousands separators: `100,000`.
struct Count(usize);

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.0.to_string();
        let mut grouped = String::new();
        for (index, digit) in digits.chars().enumerate() {
            if index > 0 && (digits.len() - index).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(digit);
        }
        f.write_str(&grouped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_within_its_cap_is_read_whole() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("a.pac");
        let text = "function FindProxyForURL(u, h) { return \"DIRECT\"; }\n";
        fs::write(&path, text).expect("write");
        assert_eq!(read(&path, InputKind::Pac).expect("read"), text.as_bytes());
        assert_eq!(read_text(&path, InputKind::Pac).expect("read"), text);
    }

    #[test]
    fn a_regular_file_past_its_cap_is_refused_naming_the_path_the_cap_and_the_kind() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let cases = [
            (
                InputKind::RegistryExport,
                "x.reg",
                "is larger than 16 MiB, the limit for exports",
            ),
            (
                InputKind::Pac,
                "x.pac",
                "is larger than 1 MiB, the limit for PAC files",
            ),
            (
                InputKind::Certificate,
                "x.pem",
                "is larger than 1 MiB, the limit for certificate files",
            ),
        ];
        for (kind, name, expected) in cases {
            let path = dir.path().join(name);
            // A sparse file: its length is past the cap, its pages cost nothing.
            let file = File::create(&path).expect("create");
            file.set_len(kind.max_bytes() + 1).expect("set length");
            let err = read(&path, kind).expect_err(name);
            assert_eq!(
                err.to_string(),
                format!("{} {} {expected}", kind.noun(), path.display())
            );
            // Exactly at the cap is allowed.
            file.set_len(kind.max_bytes()).expect("set length");
            let bytes = read(&path, kind).expect(name);
            assert_eq!(len_u64(bytes.len()), kind.max_bytes());
        }
    }

    #[cfg(unix)]
    #[test]
    fn an_endless_device_stops_at_the_cap() {
        for kind in [InputKind::Pac, InputKind::RegistryExport] {
            let err = read(Path::new("/dev/zero"), kind).expect_err("/dev/zero is endless");
            assert!(matches!(err, InputError::TooLarge { .. }), "{err}");
        }
        let err = read_lines(Path::new("/dev/zero"), InputKind::UrlList).expect_err("endless");
        assert!(matches!(err, InputError::TooLarge { .. }), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_read_within_the_cap_and_no_further() {
        use std::io::Write as _;

        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("pipe.pac");
        let status = std::process::Command::new("mkfifo")
            .arg(&path)
            .status()
            .expect("run mkfifo");
        assert!(status.success(), "mkfifo failed");
        let writer_path = path.clone();
        // The writer offers twice the cap; the reader closes at the cap, so the writer's
        // next write fails (broken pipe) and it ends.
        let writer = std::thread::spawn(move || {
            let mut fifo = fs::OpenOptions::new()
                .write(true)
                .open(writer_path)
                .expect("open the FIFO for writing");
            let chunk = vec![b'/'; 64 * 1024];
            let mut written = 0u64;
            while written < 2 * InputKind::Pac.max_bytes() {
                if fifo.write_all(&chunk).is_err() {
                    break;
                }
                written += len_u64(chunk.len());
            }
        });
        let err = read(&path, InputKind::Pac).expect_err("the FIFO holds more than the cap");
        assert!(matches!(err, InputError::TooLarge { .. }), "{err}");
        writer.join().expect("writer thread");
    }

    #[test]
    fn a_directory_is_refused() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let err = read(dir.path(), InputKind::EndpointList).expect_err("a directory");
        assert_eq!(
            err.to_string(),
            format!(
                "the endpoint file {} is a directory, not a file",
                dir.path().display()
            )
        );
        assert!(read_lines(dir.path(), InputKind::UrlList).is_err());
    }

    #[test]
    fn a_missing_file_names_the_kind_and_keeps_the_cause() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("missing.pem");
        let err = read(&path, InputKind::Certificate).expect_err("missing");
        assert_eq!(
            err.to_string(),
            format!("cannot read the trust anchor file {}", path.display())
        );
        let source = std::error::Error::source(&err).expect("the I/O error is the source");
        assert!(source.to_string().contains("No such file"), "{source}");
    }

    #[test]
    fn lines_are_numbered_and_capped_in_count() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("urls.txt");
        fs::write(&path, "http://a/\r\n\n# c\nhttp://b/").expect("write");
        let lines = read_lines(&path, InputKind::UrlList).expect("read");
        let expected: Vec<(usize, String)> =
            [(1, "http://a/"), (2, ""), (3, "# c"), (4, "http://b/")]
                .into_iter()
                .map(|(n, t)| (n, t.to_owned()))
                .collect();
        assert_eq!(lines, expected);
        fs::write(&path, "\n".repeat(InputKind::MAX_LINES)).expect("write");
        assert_eq!(
            read_lines(&path, InputKind::UrlList).map(|l| l.len()),
            Ok(InputKind::MAX_LINES)
        );
        fs::write(&path, "\n".repeat(InputKind::MAX_LINES + 1)).expect("write");
        let err = read_lines(&path, InputKind::UrlList).expect_err("too many lines");
        assert_eq!(
            err.to_string(),
            format!(
                "the URL list {} has more than 100,000 lines, the limit for URL lists",
                path.display()
            )
        );
    }

    #[test]
    fn url_lists_in_utf16_or_with_a_utf8_byte_order_mark_are_read() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("urls.txt");
        let text = "http://a/\r\nhttp://b/\r\n";
        let expected = vec![(1, "http://a/".to_owned()), (2, "http://b/".to_owned())];
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut utf8 = vec![0xEF, 0xBB, 0xBF];
        utf8.extend_from_slice(text.as_bytes());
        for bytes in [utf16, utf8] {
            fs::write(&path, &bytes).expect("write");
            assert_eq!(read_lines(&path, InputKind::UrlList), Ok(expected.clone()));
        }
    }

    #[test]
    fn text_that_is_not_utf8_names_its_line() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("e.yaml");
        fs::write(&path, b"endpoints:\n  - url: \xff\n").expect("write");
        let err = read_text(&path, InputKind::EndpointList).expect_err("not UTF-8");
        assert_eq!(
            err.to_string(),
            format!(
                "the endpoint file {} is not UTF-8 text (line 2 holds bytes that are not)",
                path.display()
            )
        );
        let err = read_lines(&path, InputKind::UrlList).expect_err("not UTF-8");
        assert!(matches!(err, InputError::NotText { line: 2, .. }), "{err}");
    }
}
