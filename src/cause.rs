//! Floor: an error and everything that caused it, on one line, as every message shows it.

use std::error::Error;
use std::fmt::Write as _;

/// `err`'s message, then each of its sources after ": ".
#[must_use]
pub fn chain(err: &dyn Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let _ = write!(text, ": {cause}");
        source = cause.source();
    }
    text
}
