//! The network floor under `probe` and `proxy`: TCP connect with a deadline, and one direct HTTP
//! GET with a deadline, a size cap and the one User-Agent.

pub(crate) mod http;
pub(crate) mod tcp;

use std::time::Duration;

/// Whole milliseconds, saturating.
#[must_use]
pub(crate) fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
