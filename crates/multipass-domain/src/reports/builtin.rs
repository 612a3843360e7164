//! The definitions every store has from the start. Each works on the caller's own data
//! through the implicit `:caller_identity_id`. Dates compare differently on the two backends
//! (PostgreSQL `timestamptz` against `date`, SQLite fixed-width text against `YYYY-MM-DD`),
//! so each has a variant per backend; both return the same columns.

use super::ReportFormat;
use super::template::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuiltinReport {
    pub name: &'static str,
    pub description: &'static str,
    pub parameters: &'static [&'static str],
    pub default_format: ReportFormat,
    pub row_limit: u32,
    postgres: &'static str,
    sqlite: &'static str,
}

impl BuiltinReport {
    pub fn sql(&self, dialect: Dialect) -> &'static str {
        match dialect {
            Dialect::Postgres => self.postgres,
            Dialect::Sqlite => self.sqlite,
        }
    }
}

pub const TRANSACTION_SUMMARY: BuiltinReport = BuiltinReport {
    name: "TransactionSummary",
    description: "Your completed wallet transactions from one date to another (inclusive), totalled per asset, direction and type.",
    parameters: &["from:date", "to:date"],
    default_format: ReportFormat::Csv,
    row_limit: 10_000,
    postgres: "SELECT t.asset_type, t.direction, t.tx_type, COUNT(*) AS transactions, \
               SUM(t.amount)::bigint AS amount, SUM(t.fee)::bigint AS fees \
               FROM wallet_transactions t JOIN wallet_accounts w ON w.id = t.wallet_id \
               WHERE w.identity_id = :caller_identity_id AND t.status = 'completed' \
               AND t.created_at >= :from::date AND t.created_at < :to::date + 1 \
               GROUP BY t.asset_type, t.direction, t.tx_type \
               ORDER BY t.asset_type, t.direction, t.tx_type",
    sqlite: "SELECT t.asset_type, t.direction, t.tx_type, COUNT(*) AS transactions, \
             SUM(t.amount) AS amount, SUM(t.fee) AS fees \
             FROM wallet_transactions t JOIN wallet_accounts w ON w.id = t.wallet_id \
             WHERE w.identity_id = :caller_identity_id AND t.status = 'completed' \
             AND t.created_at >= :from AND t.created_at < date(:to, '+1 day') \
             GROUP BY t.asset_type, t.direction, t.tx_type \
             ORDER BY t.asset_type, t.direction, t.tx_type",
};

const BALANCE_SHEET_SQL: &str = "SELECT w.name AS wallet, w.status, b.asset_type, b.total, b.locked, b.unlocked \
     FROM wallet_balances b JOIN wallet_accounts w ON w.id = b.wallet_id \
     WHERE w.identity_id = :caller_identity_id ORDER BY w.name, b.asset_type";

pub const BALANCE_SHEET: BuiltinReport = BuiltinReport {
    name: "BalanceSheet",
    description: "What each of your wallets holds now, per asset: total, locked in open orders, and free.",
    parameters: &[],
    default_format: ReportFormat::Pdf,
    row_limit: 10_000,
    postgres: BALANCE_SHEET_SQL,
    sqlite: BALANCE_SHEET_SQL,
};

pub const AUDIT_LOG: BuiltinReport = BuiltinReport {
    name: "AuditLog",
    description: "The security events of your account from one date to another (inclusive), newest first.",
    parameters: &["from:date", "to:date"],
    default_format: ReportFormat::Csv,
    row_limit: 100_000,
    postgres: "SELECT created_at, event_type, actor_id, detail FROM security_events \
               WHERE identity_id = :caller_identity_id \
               AND created_at >= :from::date AND created_at < :to::date + 1 \
               ORDER BY created_at DESC, id DESC",
    sqlite: "SELECT created_at, event_type, actor_id, detail FROM security_events \
             WHERE identity_id = :caller_identity_id \
             AND created_at >= :from AND created_at < date(:to, '+1 day') \
             ORDER BY created_at DESC, id DESC",
};

pub const ALL: [BuiltinReport; 3] = [TRANSACTION_SUMMARY, BALANCE_SHEET, AUDIT_LOG];

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::reports::{ParamDecl, Template};

    #[test]
    fn every_builtin_parses_on_both_backends_and_is_scoped_to_the_caller() {
        for report in ALL {
            let decls = ParamDecl::parse_all(report.parameters).unwrap();
            for dialect in [Dialect::Postgres, Dialect::Sqlite] {
                let template = Template::parse(report.sql(dialect), &decls)
                    .unwrap_or_else(|e| panic!("{} {dialect:?}: {e}", report.name));
                assert!(template.uses_caller_identity(), "{}", report.name);
            }
        }
    }
}
