//! The reading side of notifications: each user lists, counts and marks their own.

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, SecondsFormat, Utc};
use multipass_domain::SessionToken;
use multipass_store::{NotificationCursor, NotificationQuery, NotificationRecord};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

pub const DEFAULT_PAGE_SIZE: u32 = 50;
pub const MAX_PAGE_SIZE: u32 = 200;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    pub id: Uuid,
    /// One of the `notifications.kind` values, e.g. `report_ready`.
    pub kind: String,
    pub title: String,
    pub body: String,
    pub is_read: bool,
    pub read_at: Option<DateTime<Utc>>,
    #[ts(type = "Record<string, unknown>")]
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

impl From<NotificationRecord> for NotificationView {
    fn from(r: NotificationRecord) -> Self {
        Self {
            id: r.id,
            kind: r.kind,
            title: r.title,
            body: r.body,
            is_read: r.read_at.is_some(),
            read_at: r.read_at,
            metadata: r.metadata,
            created_at: r.created_at,
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct NotificationListRequest {
    pub unread_only: bool,
    /// `nextCursor` of the previous page; absent for the newest.
    pub cursor: Option<String>,
    /// 1 to 200; 50 when absent.
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NotificationPage {
    pub notifications: Vec<NotificationView>,
    /// Pass back as `cursor` for the next (older) page; `null` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct NotificationCount {
    pub count: u64,
}

/// A cursor is the last row's time and id, `<RFC 3339>_<uuid>`: opaque to callers, but
/// plain text so that it survives any transport.
fn encode_cursor(record: &NotificationRecord) -> String {
    format!(
        "{}_{}",
        record
            .created_at
            .to_rfc3339_opts(SecondsFormat::Nanos, true),
        record.id
    )
}

fn decode_cursor(text: &str) -> Result<NotificationCursor, ApiError> {
    let invalid = || {
        ApiError::new(
            ErrorCode::InvalidInput,
            "That page cursor is not one this list gave out; start again from the first page.",
        )
        .with_field("cursor")
    };
    let (time, id) = text.trim().rsplit_once('_').ok_or_else(invalid)?;
    Ok(NotificationCursor {
        created_at: DateTime::parse_from_rfc3339(time)
            .map_err(|_| invalid())?
            .with_timezone(&Utc),
        id: Uuid::try_parse(id).map_err(|_| invalid())?,
    })
}

fn page_size(limit: Option<u32>) -> Result<u32, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if (1..=MAX_PAGE_SIZE).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("A page holds 1 to {MAX_PAGE_SIZE} notifications."),
        )
        .with_field("limit")),
    }
}

impl MultipassApi {
    /// The caller's notifications, newest first, a page at a time.
    pub async fn notifications(
        &self,
        token: &SessionToken,
        request: NotificationListRequest,
    ) -> Result<NotificationPage, ApiError> {
        let caller = self.caller(token).await?;
        let limit = page_size(request.limit)?;
        let before = request.cursor.as_deref().map(decode_cursor).transpose()?;
        // One row more than the page tells whether another page follows.
        let mut records = self
            .store
            .notifications(NotificationQuery {
                identity_id: caller.identity_id,
                unread_only: request.unread_only,
                before,
                limit: limit + 1,
            })
            .await?;
        let more = records.len() > limit as usize;
        records.truncate(limit as usize);
        let next_cursor = if more {
            records.last().map(encode_cursor)
        } else {
            None
        };
        Ok(NotificationPage {
            notifications: records.into_iter().map(Into::into).collect(),
            next_cursor,
        })
    }

    /// Marks one of the caller's notifications read; someone else's is `not_found`.
    pub async fn mark_notification_read(
        &self,
        token: &SessionToken,
        id: Uuid,
    ) -> Result<(), ApiError> {
        let caller = self.caller(token).await?;
        self.store
            .mark_notification_read(caller.identity_id, id, self.clock.now())
            .await
            .map_err(|e| match e {
                multipass_store::StoreError::NotFound => {
                    ApiError::new(ErrorCode::NotFound, "You have no such notification.")
                        .with_field("id")
                }
                other => other.into(),
            })
    }

    /// Marks all of the caller's notifications read; answers how many were unread.
    pub async fn mark_all_notifications_read(
        &self,
        token: &SessionToken,
    ) -> Result<NotificationCount, ApiError> {
        let caller = self.caller(token).await?;
        let count = self
            .store
            .mark_all_notifications_read(caller.identity_id, self.clock.now())
            .await?;
        Ok(NotificationCount { count })
    }

    pub async fn unread_notification_count(
        &self,
        token: &SessionToken,
    ) -> Result<NotificationCount, ApiError> {
        let caller = self.caller(token).await?;
        let count = self
            .store
            .unread_notification_count(caller.identity_id)
            .await?;
        Ok(NotificationCount { count })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[test]
    fn cursors_round_trip() {
        let record = NotificationRecord {
            id: Uuid::new_v4(),
            kind: "system".into(),
            title: "t".into(),
            body: String::new(),
            read_at: None,
            metadata: serde_json::json!({}),
            created_at: Utc::now(),
        };
        let cursor = decode_cursor(&encode_cursor(&record)).unwrap();
        assert_eq!(
            (cursor.created_at, cursor.id),
            (record.created_at, record.id)
        );
    }

    #[rstest]
    #[case("")]
    #[case("yesterday_123")]
    #[case("2026-01-01T00:00:00Z_not-a-uuid")]
    fn bad_cursors_name_the_field(#[case] text: &str) {
        assert_eq!(
            decode_cursor(text).unwrap_err().field.as_deref(),
            Some("cursor")
        );
    }

    #[rstest]
    #[case(Some(0), false)]
    #[case(Some(1), true)]
    #[case(Some(200), true)]
    #[case(Some(201), false)]
    #[case(None, true)]
    fn page_sizes(#[case] limit: Option<u32>, #[case] ok: bool) {
        assert_eq!(page_size(limit).is_ok(), ok);
    }
}
