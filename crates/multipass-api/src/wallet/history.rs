//! A wallet's history, newest first, in pages joined by an opaque keyset cursor.

use super::{HistoryPage, HistoryRequest, TransactionView, parse_asset};
use crate::MultipassApi;
use crate::error::ApiError;
use chrono::{DateTime, Utc};
use multipass_domain::wallet::{Direction, HistoryCursor, TxStatus};
use multipass_domain::{SessionToken, ValidationError};
use multipass_store::HistoryQuery;

pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_PAGE: u32 = 200;

pub(super) fn parse_time(
    raw: Option<&str>,
    field: &'static str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    raw.map(|raw| {
        DateTime::parse_from_rfc3339(raw.trim())
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                ValidationError::new(field, "Give a date and time like 2026-12-01T09:00:00Z.")
                    .into()
            })
    })
    .transpose()
}

impl MultipassApi {
    #[tracing::instrument(skip_all)]
    pub async fn history(
        &self,
        token: &SessionToken,
        request: HistoryRequest,
    ) -> Result<HistoryPage, ApiError> {
        let caller = self.caller(token).await?;
        let limit = request.limit.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return Err(ValidationError::new(
                "limit",
                format!("A page holds 1 to {MAX_PAGE} rows."),
            )
            .into());
        }
        let query = HistoryQuery {
            wallet_id: self
                .visible_wallet(&caller, &request.wallet_id, "walletId")
                .await?
                .id,
            asset: request
                .asset
                .as_deref()
                .map(|a| parse_asset(Some(a)))
                .transpose()?,
            direction: request
                .direction
                .as_deref()
                .map(Direction::parse)
                .transpose()?,
            status: request.status.as_deref().map(TxStatus::parse).transpose()?,
            since: parse_time(request.since.as_deref(), "since")?,
            until: parse_time(request.until.as_deref(), "until")?,
            after: request
                .cursor
                .as_deref()
                .map(HistoryCursor::decode)
                .transpose()?,
            // One more than asked tells whether another page follows.
            limit: limit + 1,
        };
        let mut rows = self.store.history(query).await?;
        let more = rows.len() > limit as usize;
        rows.truncate(limit as usize);
        let next_cursor = rows.last().filter(|_| more).map(|last| {
            HistoryCursor {
                created_at: last.created_at,
                id: last.id,
            }
            .encode()
        });
        Ok(HistoryPage {
            items: rows.into_iter().map(TransactionView::from).collect(),
            next_cursor,
        })
    }
}
