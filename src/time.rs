//! Calendar conversions for the report and the PAC date helpers, on the `time` crate.

use time::OffsetDateTime;

/// Seconds since the Unix epoch as RFC 3339 UTC, e.g. `2036-03-22T22:13:04Z`.
///
/// Seconds beyond the calendar's range (year ±999999) are clamped to its ends.
#[must_use]
pub(crate) fn rfc3339(secs: i64) -> String {
    let at = utc(secs);
    // Written out rather than with `time`'s `Rfc3339`, which refuses years past 9999, and a
    // FILETIME read from a corrupt blob reaches year 60056.
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

/// Seconds since the Unix epoch as a UTC date and time, clamped to the calendar's range.
pub(crate) fn utc(secs: i64) -> OffsetDateTime {
    let first = OffsetDateTime::new_utc(time::Date::MIN, time::Time::MIDNIGHT);
    let last = OffsetDateTime::new_utc(time::Date::MAX, time::Time::MAX);
    let secs = secs.clamp(first.unix_timestamp(), last.unix_timestamp());
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(first)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_format_as_rfc_3339_utc() {
        let cases = [
            (0, "1970-01-01T00:00:00Z"),
            (2_089_836_784, "2036-03-22T22:13:04Z"),
            (951_782_400, "2000-02-29T00:00:00Z"),
            (-1, "1969-12-31T23:59:59Z"),
            (1_833_029_933_770, "60056-05-28T05:36:10Z"),
        ];
        for (secs, expected) in cases {
            assert_eq!(rfc3339(secs), expected, "{secs}");
        }
    }
}
