//! Stored times (RFC 3339, UTC) as the pages write them:
//! "2026-11-27T08:01:02.5Z" → "2026-11-27 08:01 UTC" (or "… 08:01:02 UTC").
//! Text that is not such a time is shown as it is.

/// A stored time as views carry it: RFC 3339.
#[cfg(feature = "ssr")]
pub fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// To the minute.
pub fn utc_minutes(rfc3339: &str) -> String {
    utc(rfc3339, 16)
}

/// To the second.
pub fn utc_seconds(rfc3339: &str) -> String {
    utc(rfc3339, 19)
}

fn utc(rfc3339: &str, end: usize) -> String {
    let looks_right = rfc3339.as_bytes().get(10) == Some(&b'T');
    match (looks_right, rfc3339.get(..10), rfc3339.get(11..end)) {
        (true, Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_times_read_as_utc_text() {
        let at = "2026-11-27T08:01:02.123456Z";
        assert_eq!(utc_minutes(at), "2026-11-27 08:01 UTC");
        assert_eq!(utc_seconds(at), "2026-11-27 08:01:02 UTC");
        assert_eq!(utc_minutes("yesterday"), "yesterday");
        assert_eq!(utc_seconds(""), "");
    }
}
