//! Inputs of the wallet service, parsed into types that the schema's CHECK constraints
//! always accept.

use crate::identity::ValidationError;
use std::fmt;

/// A wallet's display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletName(String);

impl WalletName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(ValidationError::new("name", "Give the wallet a name."));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "name",
                format!(
                    "A wallet name can be at most {} characters.",
                    Self::MAX_CHARS
                ),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "name",
                "A wallet name cannot contain control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A wallet's labels: each trimmed, 1 to 40 characters without control characters, at most
/// 20, duplicates dropped (first occurrence kept, order otherwise preserved).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Labels(Vec<String>);

impl Labels {
    pub const MAX_LABELS: usize = 20;
    pub const MAX_CHARS: usize = 40;

    pub fn parse<S: AsRef<str>>(raw: &[S]) -> Result<Self, ValidationError> {
        let mut labels: Vec<String> = Vec::new();
        for label in raw {
            let label = label.as_ref().trim();
            if label.is_empty()
                || label.chars().count() > Self::MAX_CHARS
                || label.chars().any(char::is_control)
            {
                return Err(ValidationError::new(
                    "labels",
                    format!(
                        "Each label needs 1 to {} characters and no control characters.",
                        Self::MAX_CHARS
                    ),
                ));
            }
            if !labels.iter().any(|l| l == label) {
                labels.push(label.to_owned());
            }
        }
        if labels.len() > Self::MAX_LABELS {
            return Err(ValidationError::new(
                "labels",
                format!("A wallet can have at most {} labels.", Self::MAX_LABELS),
            ));
        }
        Ok(Self(labels))
    }

    pub fn as_slice(&self) -> &[String] {
        &self.0
    }

    pub fn into_vec(self) -> Vec<String> {
        self.0
    }
}

/// An asset code as stored in `wallet_balances.asset_type`: 1 to 12 of `A-Z0-9`. Lower case
/// input is upper-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AssetType(String);

impl AssetType {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty()
            || code.len() > 12
            || !code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(ValidationError::new(
                "asset",
                "An asset code is 1 to 12 letters or digits, like MPC.",
            ));
        }
        Ok(Self(code))
    }

    /// The enterprise's own currency.
    pub fn native() -> Self {
        Self(crate::money::NATIVE_ASSET.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AssetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A strictly positive amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Amount(i64);

impl Amount {
    pub fn parse(raw: i64) -> Result<Self, ValidationError> {
        if raw <= 0 {
            return Err(ValidationError::new(
                "amount",
                "The amount must be a positive whole number of minor units.",
            ));
        }
        Ok(Self(raw))
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

/// The client's name for one transfer request, so a retried request is not paid twice:
/// 1 to 200 characters, no control characters (the canonical form separates fields by
/// newlines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.is_empty()
            || raw.chars().count() > Self::MAX_CHARS
            || raw.chars().any(char::is_control)
        {
            return Err(ValidationError::new(
                "idempotencyKey",
                format!(
                    "An idempotency key needs 1 to {} characters and no control characters.",
                    Self::MAX_CHARS
                ),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(raw: &str) -> Result<Self, ValidationError> {
                match raw.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok(Self::$variant),)+
                    _ => Err(ValidationError::new(
                        $field,
                        concat!("Use one of: ", $($text, " "),+),
                    )),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// `wallet_accounts.status`. A closed wallet stays in the database, read-only.
    WalletStatus, "status" {
        Active => "active",
        Frozen => "frozen",
        Closed => "closed",
    }
);

impl WalletStatus {
    /// Whether a wallet in this status may move from `self` to `next`: frozen wallets thaw,
    /// but closing is final.
    pub fn may_become(self, next: Self) -> bool {
        !matches!(self, Self::Closed) && self != next
    }
}

text_enum!(
    /// `wallet_transactions.direction`, seen from the wallet the row belongs to.
    Direction, "direction" {
        Credit => "credit",
        Debit => "debit",
    }
);

text_enum!(
    /// `wallet_transactions.status`.
    TxStatus, "status" {
        Pending => "pending",
        Completed => "completed",
        Failed => "failed",
        Reversed => "reversed",
    }
);

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::plain("Savings", Some("Savings"))]
    #[case::trimmed("  Travel  ", Some("Travel"))]
    #[case::empty("   ", None)]
    #[case::control("a\u{7}b", None)]
    #[case::too_long(&"x".repeat(101), None)]
    fn wallet_names(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            WalletName::parse(raw).ok().as_ref().map(WalletName::as_str),
            expected
        );
    }

    #[rstest]
    #[case::native("MPC", Some("MPC"))]
    #[case::lower("usd1", Some("USD1"))]
    #[case::empty("", None)]
    #[case::too_long("ABCDEFGHIJKLM", None)]
    #[case::dash("US-D", None)]
    #[case::unicode("ÄPC", None)]
    fn asset_codes(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            AssetType::parse(raw).ok().as_ref().map(AssetType::as_str),
            expected
        );
    }

    #[rstest]
    #[case::positive(1, true)]
    #[case::max(i64::MAX, true)]
    #[case::zero(0, false)]
    #[case::negative(-5, false)]
    #[case::min(i64::MIN, false)]
    fn amounts(#[case] raw: i64, #[case] ok: bool) {
        assert_eq!(Amount::parse(raw).is_ok(), ok);
    }

    #[rstest]
    #[case::plain("order-42", true)]
    #[case::empty("", false)]
    #[case::newline("a\nb", false)]
    #[case::longest(&"k".repeat(200), true)]
    #[case::too_long(&"k".repeat(201), false)]
    fn idempotency_keys(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(IdempotencyKey::parse(raw).is_ok(), ok);
    }

    #[test]
    fn a_name_of_100_multibyte_characters_fits() {
        let longest = "é".repeat(100);
        assert_eq!(WalletName::parse(&longest).unwrap().as_str(), longest);
    }

    #[test]
    fn labels_are_trimmed_deduplicated_and_bounded() {
        let labels = Labels::parse(&[" ops ", "travel", "ops"]).unwrap();
        assert_eq!(labels.as_slice(), ["ops", "travel"]);
        assert!(Labels::parse(&[""]).is_err());
        let many: Vec<String> = (0..21).map(|i| format!("l{i}")).collect();
        assert_eq!(Labels::parse(&many).unwrap_err().field, "labels");
    }

    #[rstest]
    #[case::freeze(WalletStatus::Active, WalletStatus::Frozen, true)]
    #[case::thaw(WalletStatus::Frozen, WalletStatus::Active, true)]
    #[case::close(WalletStatus::Frozen, WalletStatus::Closed, true)]
    #[case::reopen(WalletStatus::Closed, WalletStatus::Active, false)]
    #[case::same(WalletStatus::Active, WalletStatus::Active, false)]
    fn status_changes(#[case] from: WalletStatus, #[case] to: WalletStatus, #[case] ok: bool) {
        assert_eq!(from.may_become(to), ok);
    }

    #[test]
    fn text_enums_round_trip_and_refuse_others() {
        for d in [Direction::Credit, Direction::Debit] {
            assert_eq!(Direction::parse(d.as_str()).unwrap(), d);
        }
        assert_eq!(TxStatus::parse("Completed").unwrap(), TxStatus::Completed);
        assert_eq!(WalletStatus::parse("gone").unwrap_err().field, "status");
    }
}
