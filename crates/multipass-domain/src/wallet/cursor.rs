//! The history cursor: the (created_at, id) of the last row of a page, opaque to clients.

use crate::identity::ValidationError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl HistoryCursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "v1|{}|{}",
            self.created_at.timestamp_micros(),
            self.id.hyphenated()
        ))
    }

    pub fn decode(raw: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                "cursor",
                "The page cursor is not one this service gave out. Start again from the first page.",
            )
        };
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.split('|');
        let (Some("v1"), Some(micros), Some(id), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let micros: i64 = micros.parse().map_err(|_| invalid())?;
        let created_at = DateTime::from_timestamp_micros(micros).ok_or_else(invalid)?;
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        Ok(Self { created_at, id })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[test]
    fn round_trips_to_the_microsecond() {
        let cursor = HistoryCursor {
            created_at: DateTime::from_timestamp_micros(1_790_000_000_123_456).unwrap(),
            id: Uuid::from_u128(42),
        };
        assert_eq!(HistoryCursor::decode(&cursor.encode()).unwrap(), cursor);
    }

    #[rstest]
    #[case::not_base64("***")]
    #[case::empty("")]
    #[case::wrong_version(&URL_SAFE_NO_PAD.encode("v2|1|00000000-0000-0000-0000-000000000000"))]
    #[case::bad_time(&URL_SAFE_NO_PAD.encode("v1|x|00000000-0000-0000-0000-000000000000"))]
    #[case::bad_id(&URL_SAFE_NO_PAD.encode("v1|1|nope"))]
    #[case::extra(&URL_SAFE_NO_PAD.encode("v1|1|00000000-0000-0000-0000-000000000000|x"))]
    fn garbage_is_a_clear_error(#[case] raw: &str) {
        assert_eq!(HistoryCursor::decode(raw).unwrap_err().field, "cursor");
    }
}
