//! The CSV export of a wallet's transactions: every row once, oldest first, in RFC 4180
//! with a header; filters apply; only the owner may export; a failing writer is reported.

use super::{RawSql, world};
use crate::common::sign_up;
use chrono::Duration;
use multipass_api::ErrorCode;
use multipass_api::wallet::{EXPORT_HEADER, ExportRequest, HistoryRequest};
use multipass_store::Store;
use std::sync::Arc;

/// A writer that fails once `room` bytes are used, like a full disk.
struct Full {
    room: usize,
}

impl std::io::Write for Full {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() > self.room {
            return Err(std::io::Error::other("no space left on device"));
        }
        self.room -= buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub async fn wallet_history_exports_as_csv(store: Arc<dyn Store>, sql: &dyn RawSql) {
    let w = world(store, sql).await;
    let ada = sign_up(&w.api, "ada").await.token;
    let bob = sign_up(&w.api, "bob").await.token;
    let a = w.wallet(&ada, "Ada").await;
    let b = w.wallet(&bob, "Bob").await;
    for i in 0..5 {
        w.deposit(&a, 1_000).await;
        // Rows of one instant are ordered by their random ids; a second apart, the deposit
        // is reliably the older row.
        w.clock.advance(Duration::seconds(1));
        w.send(&ada, &a.id, &b.id, 10 + i, &format!("e{i}"))
            .await
            .unwrap();
        w.clock.advance(Duration::minutes(1));
    }
    let request = |wallet: &str| ExportRequest {
        wallet_id: wallet.to_owned(),
        ..Default::default()
    };

    let mut bytes = Vec::new();
    let view = w
        .api
        .local()
        .export_wallet_transactions_csv(&ada, request(&a.id), &mut bytes)
        .await
        .unwrap();
    assert_eq!(view.rows, 10);
    // Whole, as a desktop gets it through a server, it is the same file.
    let sent = w
        .api
        .wallet_transactions_csv(&ada, request(&a.id))
        .await
        .unwrap();
    assert_eq!((sent.csv.as_bytes(), sent.rows), (bytes.as_slice(), 10));
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        EXPORT_HEADER
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 10);

    // The same rows as the paged history, oldest first instead of newest first.
    let history = w
        .api
        .history(
            &ada,
            HistoryRequest {
                wallet_id: a.id.clone(),
                limit: Some(200),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut ids: Vec<&str> = history.items.iter().map(|t| t.id.as_str()).collect();
    ids.reverse();
    assert_eq!(rows.iter().map(|r| &r[0]).collect::<Vec<_>>(), ids);
    for (row, item) in rows.iter().zip(history.items.iter().rev()) {
        assert_eq!(&row[2], item.transfer_id);
        assert_eq!(&row[4], item.direction);
        assert_eq!(&row[5], item.tx_type);
        assert_eq!(&row[6], item.asset);
        assert_eq!(row[7].parse::<i64>().unwrap(), item.amount);
        assert_eq!(row[8].parse::<i64>().unwrap(), item.fee);
        assert_eq!(&row[9], item.status);
        let balance = item
            .balance_after
            .map(|b| b.to_string())
            .unwrap_or_default();
        assert_eq!(&row[10], balance);
    }
    let first = &rows[0];
    assert_eq!(&first[4], "credit");
    assert_eq!(&first[5], "deposit");
    assert_eq!(&first[3], "", "a deposit has no counterparty");
    assert!(
        first[1].ends_with('Z') && first[1].contains('T'),
        "{}",
        &first[1]
    );
    let debit = &rows[1];
    assert_eq!(
        (&debit[4], &debit[5], &debit[3]),
        ("debit", "transfer", b.id.as_str())
    );

    // Filters narrow the rows.
    let mut bytes = Vec::new();
    let debits = w
        .api
        .local()
        .export_wallet_transactions_csv(
            &ada,
            ExportRequest {
                direction: Some("debit".into()),
                ..request(&a.id)
            },
            &mut bytes,
        )
        .await
        .unwrap();
    assert_eq!(debits.rows, 5);
    let text = String::from_utf8(bytes).unwrap();
    assert_eq!(text.lines().count(), 6, "a header and five rows");
    assert!(text.lines().skip(1).all(|l| l.contains(",debit,transfer,")));
    let none = w
        .api
        .local()
        .export_wallet_transactions_csv(
            &ada,
            ExportRequest {
                asset: Some("USD".into()),
                ..request(&a.id)
            },
            Vec::new(),
        )
        .await
        .unwrap();
    assert_eq!(none.rows, 0);

    // Bad input is refused by field before anything is written.
    let err = w
        .api
        .local()
        .export_wallet_transactions_csv(
            &ada,
            ExportRequest {
                since: Some("yesterday".into()),
                ..request(&a.id)
            },
            Vec::new(),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("since"))
    );
    let err = w
        .api
        .local()
        .export_wallet_transactions_csv(&ada, request("not-an-id"), Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("walletId"));

    // Only the owner: neither another user nor an administrator.
    for token in [&bob, &w.admin] {
        let err = w
            .api
            .local()
            .export_wallet_transactions_csv(token, request(&a.id), Vec::new())
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::Forbidden);
    }

    // A writer that runs out of room mid-way is an error, not a short file passed as whole.
    let err = w
        .api
        .local()
        .export_wallet_transactions_csv(&ada, request(&a.id), Full { room: 200 })
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal);
    assert!(
        err.message.contains("could not be written"),
        "{}",
        err.message
    );
}
