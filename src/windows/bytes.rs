//! The little-endian byte reader the registry blob decoders share (`WinHttpSettings`,
//! `DefaultConnectionSettings`), the hex text their fixtures and `reg query` print, and the
//! errors both give. What the fields mean is the decoders' business.

/// Why a registry value's bytes (or their hex text) could not be decoded.
///
/// Offsets count bytes from the start of the value; the caller adds the file and value name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BlobError {
    /// The value ends before its fixed header does.
    #[error("value is {len} bytes, shorter than the {header}-byte header")]
    TooShort { len: usize, header: usize },
    /// A number field does not fit in what is left of the value.
    #[error("{field} at offset {offset} runs past the end (value is {len} bytes)")]
    FieldPastEnd {
        field: &'static str,
        offset: usize,
        len: usize,
    },
    /// The length field of a string does not fit in what is left of the value.
    #[error("{field} length at offset {offset} runs past the end (value is {len} bytes)")]
    LengthPastEnd {
        field: &'static str,
        offset: usize,
        len: usize,
    },
    /// A length-prefixed string is longer than what is left of the value; `offset` is where its
    /// length field starts.
    #[error("{field} length {length} at offset {offset} runs past the end (value is {len} bytes)")]
    StringPastEnd {
        field: &'static str,
        length: u32,
        offset: usize,
        len: usize,
    },
    /// The first field holds a version nobody documents, and the known layout does not fit.
    #[error("unknown {field} 0x{value:02x}")]
    UnknownVersion {
        /// `header` (`WinHttpSettings`) or `version` (`WinINET`).
        field: &'static str,
        value: u32,
        /// Why the known layout did not fit.
        #[source]
        cause: Box<BlobError>,
    },
    /// Bytes are left after the last field of a layout that must fit exactly.
    #[error("{count} bytes left over after the {field} at offset {offset}")]
    LeftOver {
        count: usize,
        field: &'static str,
        offset: usize,
    },
    /// Hex text holds something that is not a byte.
    #[error("line {line}: '{token}' is not a hex byte")]
    HexByte { line: usize, token: String },
}

/// Reads hex text into bytes: the fixtures' form, `reg query` output or a `.reg` `hex:` value.
///
/// Bytes are separated by whitespace or commas; a run of an even number of hex digits
/// (`46000000`) is read as consecutive bytes. `#` starts a comment, a leading `hex:` is skipped
/// and a `\` line continuation is ignored.
#[cfg(test)]
pub(crate) fn parse_hex(text: &str) -> Result<Vec<u8>, BlobError> {
    let mut bytes = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        let line = line.strip_prefix("hex:").unwrap_or(line);
        for token in line.split(|c: char| c.is_whitespace() || c == ',' || c == '\\') {
            if token.is_empty() {
                continue;
            }
            let bad = || BlobError::HexByte {
                line: index + 1,
                token: token.to_owned(),
            };
            if token.len() % 2 != 0 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad());
            }
            for pair in token.as_bytes().chunks(2) {
                let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
                bytes.push(u8::from_str_radix(pair, 16).map_err(|_| bad())?);
            }
        }
    }
    Ok(bytes)
}

/// Reads little-endian fields off a value, naming the field and offset when one does not fit.
pub(crate) struct Reader<'a> {
    blob: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `blob`.
    pub(crate) fn new(blob: &'a [u8]) -> Self {
        Self { blob, pos: 0 }
    }

    /// A reader at `pos` of `blob`, so that errors give offsets in the whole value.
    pub(crate) fn at(blob: &'a [u8], pos: usize) -> Self {
        Self { blob, pos }
    }

    /// Where the next field starts.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    /// What has not been read yet.
    pub(crate) fn rest(&self) -> &'a [u8] {
        self.blob.get(self.pos..).unwrap_or_default()
    }

    /// Takes `count` bytes, or names `field` when they run past the end.
    pub(crate) fn bytes(
        &mut self,
        count: usize,
        field: &'static str,
    ) -> Result<&'a [u8], BlobError> {
        let end = self
            .pos
            .checked_add(count)
            .filter(|end| *end <= self.blob.len());
        match end.and_then(|end| self.blob.get(self.pos..end)) {
            Some(bytes) => {
                self.pos += count;
                Ok(bytes)
            }
            None => Err(BlobError::FieldPastEnd {
                field,
                offset: self.pos,
                len: self.blob.len(),
            }),
        }
    }

    /// Takes a little-endian `u32`.
    pub(crate) fn u32(&mut self, field: &'static str) -> Result<u32, BlobError> {
        let bytes = self.bytes(4, field)?;
        let mut word = [0; 4];
        word.copy_from_slice(bytes);
        Ok(u32::from_le_bytes(word))
    }

    /// Takes a little-endian `u64`.
    pub(crate) fn u64(&mut self, field: &'static str) -> Result<u64, BlobError> {
        let bytes = self.bytes(8, field)?;
        let mut word = [0; 8];
        word.copy_from_slice(bytes);
        Ok(u64::from_le_bytes(word))
    }

    /// Takes a `u32` length and that many bytes, decoded as Latin-1 (a superset of ASCII, so
    /// nothing is lost); returns the text and the raw bytes.
    pub(crate) fn string(&mut self, field: &'static str) -> Result<(String, &'a [u8]), BlobError> {
        let offset = self.pos;
        let length = self.u32(field).map_err(|_| BlobError::LengthPastEnd {
            field,
            offset,
            len: self.blob.len(),
        })?;
        let bytes = usize::try_from(length)
            .ok()
            .and_then(|count| self.bytes(count, field).ok())
            .ok_or(BlobError::StringPastEnd {
                field,
                length,
                offset,
                len: self.blob.len(),
            })?;
        Ok((latin1(bytes), bytes))
    }
}

/// Decodes bytes as Latin-1: every byte is the code point of the same value.
pub(crate) fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// `None` for an empty string.
pub(crate) fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// Blobs of every length below `count`, from a xorshift generator seeded with `seed`; every other
/// one holds only bytes below `small`, so that length fields fit and later fields get read.
#[cfg(test)]
pub(crate) fn pseudo_random_blobs(seed: u64, count: usize, small: u8) -> Vec<Vec<u8>> {
    let mut state = seed;
    (0..count)
        .map(|len| {
            (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let byte = state.to_le_bytes()[0];
                    if len % 2 == 0 { byte % small } else { byte }
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_text_reads_in_every_form_windows_prints() {
        let cases: [(&str, &[u8]); 6] = [
            ("18 00 2a", &[0x18, 0, 0x2a]),
            ("hex:18,00,\\\n  2a,FF", &[0x18, 0, 0x2a, 0xff]),
            ("# comment\n46000000 0a", &[0x46, 0, 0, 0, 0x0a]),
            ("  hex:0d,0a  # trailing comment", &[0x0d, 0x0a]),
            ("", &[]),
            ("\r\n01\r\n", &[1]),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_hex(text).expect(text), expected, "{text:?}");
        }
        let errors = [
            ("00\n01\n02 zz 03", "line 3: 'zz' is not a hex byte"),
            ("abc", "line 1: 'abc' is not a hex byte"),
            ("0x18", "line 1: '0x18' is not a hex byte"),
            ("é1", "line 1: 'é1' is not a hex byte"),
        ];
        for (text, expected) in errors {
            let err = parse_hex(text).expect_err(text);
            assert_eq!(err.to_string(), expected);
        }
    }
}
