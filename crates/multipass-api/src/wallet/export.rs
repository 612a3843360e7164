//! A wallet's whole history as CSV (RFC 4180), streamed from the store to a writer: rows
//! pass through one at a time, so a million rows cost no more memory than ten.

use super::history::parse_time;
use super::parse_asset;
use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::SessionToken;
use multipass_domain::wallet::{Direction, TxStatus};
use multipass_store::{ExportQuery, ExportRow};
use serde::{Deserialize, Serialize};
use std::fmt::Write as _;
use ts_rs::TS;

/// The header row; the columns of `wallet_transactions` under their own names.
pub const EXPORT_HEADER: [&str; 11] = [
    "id",
    "created_at",
    "transfer_id",
    "counterparty_wallet_id",
    "direction",
    "tx_type",
    "asset_type",
    "amount",
    "fee",
    "status",
    "balance_after",
];

/// Which rows to export; without filters, all of the wallet's rows.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    pub wallet_id: String,
    #[serde(default)]
    pub asset: Option<String>,
    /// `credit` or `debit`.
    #[serde(default)]
    pub direction: Option<String>,
    /// `pending`, `completed`, `failed` or `reversed`.
    #[serde(default)]
    pub status: Option<String>,
    /// RFC 3339; rows at or after it.
    #[serde(default)]
    pub since: Option<String>,
    /// RFC 3339; rows before it.
    #[serde(default)]
    pub until: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportView {
    /// Data rows written, the header not counted.
    #[ts(type = "number")]
    pub rows: u64,
}

/// Writes one row; `scratch` is reused so that numbers and ids cost no allocation each.
fn write_row<W: std::io::Write>(
    out: &mut csv::Writer<W>,
    scratch: &mut String,
    row: &ExportRow,
) -> csv::Result<()> {
    let mut uuid = uuid::Uuid::encode_buffer();
    out.write_field(row.id.hyphenated().encode_lower(&mut uuid))?;
    out.write_field(
        row.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )?;
    out.write_field(row.transfer_id.hyphenated().encode_lower(&mut uuid))?;
    match row.counterparty_wallet_id {
        Some(id) => out.write_field(id.hyphenated().encode_lower(&mut uuid))?,
        None => out.write_field("")?,
    }
    out.write_field(&row.direction)?;
    out.write_field(&row.tx_type)?;
    out.write_field(&row.asset_type)?;
    for number in [row.amount, row.fee] {
        scratch.clear();
        let _ = write!(scratch, "{number}");
        out.write_field(scratch.as_str())?;
    }
    out.write_field(&row.status)?;
    scratch.clear();
    if let Some(balance) = row.balance_after {
        let _ = write!(scratch, "{balance}");
    }
    out.write_field(scratch.as_str())?;
    out.write_record(None::<&[u8]>)
}

/// The most a CSV export sent whole through a server may hold. A desktop on its own store
/// streams any size to its file; through a server, a larger history is exported in parts
/// (narrower dates).
pub const MAX_SENT_CSV_BYTES: usize = 32 << 20;

/// A CSV export sent whole, for the desktop to write to its own file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct CsvExportView {
    pub csv: String,
    /// Data rows, the header not counted.
    #[ts(type = "number")]
    pub rows: u64,
}

/// A writer that refuses to grow past its cap, remembering that it did.
struct CappedBuffer {
    bytes: Vec<u8>,
    cap: usize,
    exceeded: bool,
}

impl std::io::Write for CappedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len() + buf.len() > self.cap {
            self.exceeded = true;
            return Err(std::io::Error::other(
                "the export is larger than may be sent",
            ));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn write_failed(error: &dyn std::fmt::Display) -> ApiError {
    tracing::warn!(%error, "the export could not be written");
    ApiError::new(
        ErrorCode::Internal,
        "The export file could not be written. Check that the disk has room and the file \
         can be written, then try again.",
    )
}

impl MultipassApi {
    /// Writes the rows of one of the caller's own wallets as CSV to `writer`, oldest first,
    /// with a header row. Only the owner may export: the file leaves the application.
    #[tracing::instrument(skip_all)]
    pub async fn export_wallet_transactions_csv<W: std::io::Write + Send>(
        &self,
        token: &SessionToken,
        request: ExportRequest,
        writer: W,
    ) -> Result<ExportView, ApiError> {
        let caller = self.caller(token).await?;
        let wallet = self
            .visible_wallet(&caller, &request.wallet_id, "walletId")
            .await?;
        if wallet.identity_id != caller.identity_id {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "Only the wallet's owner can export its transactions.",
            ));
        }
        let query = ExportQuery {
            wallet_id: wallet.id,
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
        };
        let mut out = csv::WriterBuilder::new()
            .buffer_capacity(1 << 16)
            .from_writer(writer);
        out.write_record(EXPORT_HEADER)
            .map_err(|e| write_failed(&e))?;
        let mut failure: Option<csv::Error> = None;
        let mut scratch = String::new();
        let rows = self
            .store
            .export_transactions(
                query,
                &mut |row| match write_row(&mut out, &mut scratch, &row) {
                    Ok(()) => true,
                    Err(e) => {
                        failure = Some(e);
                        false
                    }
                },
            )
            .await?;
        if let Some(e) = failure {
            return Err(write_failed(&e));
        }
        out.flush().map_err(|e| write_failed(&e))?;
        Ok(ExportView { rows })
    }

    /// The same CSV, whole, for a desktop that reaches this API through a server and
    /// writes the file itself; up to [`MAX_SENT_CSV_BYTES`].
    #[tracing::instrument(skip_all)]
    pub async fn wallet_transactions_csv(
        &self,
        token: &SessionToken,
        request: ExportRequest,
    ) -> Result<CsvExportView, ApiError> {
        self.wallet_transactions_csv_capped(token, request, MAX_SENT_CSV_BYTES)
            .await
    }

    pub(crate) async fn wallet_transactions_csv_capped(
        &self,
        token: &SessionToken,
        request: ExportRequest,
        cap: usize,
    ) -> Result<CsvExportView, ApiError> {
        let mut buffer = CappedBuffer {
            bytes: Vec::new(),
            cap,
            exceeded: false,
        };
        let written = self
            .export_wallet_transactions_csv(token, request, &mut buffer)
            .await;
        if buffer.exceeded {
            return Err(ApiError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "This history is larger than {} MiB, the most an export through the \
                     server may hold. Export it in parts with narrower dates (since, until).",
                    cap >> 20
                ),
            ));
        }
        let rows = written?.rows;
        let csv = String::from_utf8(buffer.bytes)
            .map_err(|e| ApiError::internal("The export is not UTF-8", &e))?;
        Ok(CsvExportView { csv, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::CappedBuffer;
    use std::io::Write as _;

    #[test]
    fn the_capped_buffer_refuses_to_grow_past_its_cap_and_says_so() {
        let mut buffer = CappedBuffer {
            bytes: Vec::new(),
            cap: 8,
            exceeded: false,
        };
        buffer.write_all(b"12345678").unwrap();
        assert!(!buffer.exceeded);
        assert!(buffer.write_all(b"9").is_err());
        assert!(buffer.exceeded);
        assert_eq!(buffer.bytes, b"12345678");
    }
}
