//! Timestamps are stored as fixed-width RFC 3339 UTC text (`2026-11-25T03:50:40.123Z`),
//! the same shape as the schema's `strftime('%Y-%m-%dT%H:%M:%fZ','now')` defaults, so that
//! comparing them as text in SQL orders them correctly. sqlx's own chrono encoding varies
//! its precision, which would break that ordering.

use chrono::{DateTime, SecondsFormat, Utc};

pub(crate) fn to_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn from_text(text: &str) -> Result<DateTime<Utc>, sqlx::Error> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| sqlx::Error::Decode(format!("timestamp {text:?}: {e}").into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_is_fixed_width_and_round_trips_to_the_millisecond() {
        let at = DateTime::parse_from_rfc3339("2026-11-25T03:50:40.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let text = to_text(at);
        assert_eq!(text, "2026-11-25T03:50:40.123Z");
        assert_eq!(
            from_text(&text).unwrap().timestamp_millis(),
            at.timestamp_millis()
        );
        let whole = DateTime::parse_from_rfc3339("2026-11-25T03:50:40Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(to_text(whole), "2026-11-25T03:50:40.000Z");
    }
}
