//! Removes the proxy credentials dapreflight holds from whatever it records from a peer.
//!
//! A hostile or careless proxy may copy `Proxy-Authorization` (or the password it decoded) into
//! its answer; nothing it sends may carry the credentials into the report. Not a secret store:
//! the credentials themselves live in [`Credentials`](super::Credentials).

use std::borrow::Cow;

use base64::Engine as _;

/// What a scrubbed secret is replaced with.
pub(crate) const REDACTED: &str = "[redacted]";

/// Every encoding of the held credentials a peer could send back, longest first.
#[derive(Clone, Default)]
pub struct Scrubber {
    /// Lower-cased (ASCII) needles; matching ignores ASCII case.
    needles: Vec<Vec<u8>>,
}

impl Scrubber {
    /// A scrubber for `user` and `password`: the `Basic <token>` value, the token (standard and
    /// URL-safe alphabets, with and without padding), `user:password` and the password, the last
    /// two also percent-encoded.
    pub(crate) fn new(user: &str, password: &str) -> Self {
        let pair = format!("{user}:{password}");
        let mut needles = Vec::new();
        for engine in [
            &base64::engine::general_purpose::STANDARD,
            &base64::engine::general_purpose::URL_SAFE,
        ] {
            let token = engine.encode(&pair);
            needles.push(format!("Basic {token}"));
            needles.push(token.trim_end_matches('=').to_owned());
            needles.push(token);
        }
        let mut plain = vec![pair];
        if !password.is_empty() {
            plain.push(password.to_owned());
        }
        for text in plain {
            // Percent-encoded as RFC 3986 asks (unreserved kept), and as encoders that escape
            // everything but letters and digits do; `%2f` and `%2F` match alike.
            needles.push(percent_encode(&text, b"-._~"));
            needles.push(percent_encode(&text, b""));
            needles.push(text);
        }
        let mut needles: Vec<Vec<u8>> = needles
            .into_iter()
            .filter(|needle| !needle.is_empty())
            .map(|needle| needle.to_ascii_lowercase().into_bytes())
            .collect();
        // At one position the longest needle wins, so `Basic <token>` goes whole.
        needles.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        needles.dedup();
        Self { needles }
    }

    /// True when there is nothing to scrub.
    pub(crate) fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// `bytes` with every held secret replaced by [`REDACTED`].
    pub(crate) fn bytes<'a>(&self, bytes: &'a [u8]) -> Cow<'a, [u8]> {
        if self.is_empty() {
            return Cow::Borrowed(bytes);
        }
        let mut out: Option<Vec<u8>> = None;
        let mut copied = 0;
        let mut at = 0;
        while at < bytes.len() {
            let found = self.needles.iter().find(|needle| {
                bytes
                    .get(at..at + needle.len())
                    .is_some_and(|window| window.eq_ignore_ascii_case(needle))
            });
            match found {
                Some(needle) => {
                    let out = out.get_or_insert_with(|| Vec::with_capacity(bytes.len()));
                    out.extend_from_slice(&bytes[copied..at]);
                    out.extend_from_slice(REDACTED.as_bytes());
                    at += needle.len();
                    copied = at;
                }
                None => at += 1,
            }
        }
        match out {
            Some(mut out) => {
                out.extend_from_slice(&bytes[copied..]);
                Cow::Owned(out)
            }
            None => Cow::Borrowed(bytes),
        }
    }

    /// `text` with every held secret replaced by [`REDACTED`].
    pub(crate) fn text(&self, text: &str) -> String {
        match self.bytes(text.as_bytes()) {
            Cow::Borrowed(_) => text.to_owned(),
            // A needle is whole UTF-8 and so is `REDACTED`, so cutting at a match keeps UTF-8;
            // the lossy path never loses anything here.
            Cow::Owned(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// Scrubs each of `texts` where it lies.
    pub(crate) fn all<'t>(&self, texts: impl IntoIterator<Item = &'t mut String>) {
        for text in texts {
            self.in_place(text);
        }
    }

    /// Scrubs `text` where it lies.
    pub(crate) fn in_place(&self, text: &mut String) {
        if !self.is_empty() {
            *text = self.text(text);
        }
    }
}

/// `text` with everything but ASCII letters, digits and `keep` percent-encoded.
fn percent_encode(text: &str, keep: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || keep.contains(&byte) {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_encoding_of_the_credentials_is_redacted() {
        let scrubber = Scrubber::new("alice", "s3cr:t/Pw");
        let token = base64::engine::general_purpose::STANDARD.encode("alice:s3cr:t/Pw");
        let cases = [
            (format!("Basic {token}"), REDACTED.to_owned()),
            (format!("basic {token}"), REDACTED.to_owned()),
            (
                format!("realm=\"{token}\""),
                format!("realm=\"{REDACTED}\""),
            ),
            (token.trim_end_matches('=').to_owned(), REDACTED.to_owned()),
            (
                "user alice:s3cr:t/Pw".to_owned(),
                format!("user {REDACTED}"),
            ),
            ("ALICE:S3CR:T/PW!".to_owned(), format!("{REDACTED}!")),
            ("pw=s3cr%3At%2FPw".to_owned(), format!("pw={REDACTED}")),
            ("pw=s3cr%3at%2fpw".to_owned(), format!("pw={REDACTED}")),
            ("x s3cr:t/Pw y".to_owned(), format!("x {REDACTED} y")),
            ("alice is fine".to_owned(), "alice is fine".to_owned()),
        ];
        for (text, expected) in cases {
            assert_eq!(scrubber.text(&text), expected, "{text}");
        }
    }

    #[test]
    fn non_ascii_text_around_a_secret_stays_whole() {
        let scrubber = Scrubber::new("bob", "hunter2");
        assert_eq!(
            scrubber.text("Grüße hunter2 ✓"),
            format!("Grüße {REDACTED} ✓")
        );
    }

    #[test]
    fn no_credentials_scrub_nothing() {
        let scrubber = Scrubber::default();
        assert!(matches!(scrubber.bytes(b"anything"), Cow::Borrowed(_)));
    }
}
