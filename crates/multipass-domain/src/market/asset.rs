//! What an asset definition is made of: its ticker symbol, display name, kind and lifecycle.

use crate::identity::ValidationError;
use crate::money::NATIVE_ASSET;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A ticker symbol: 1 to 12 upper-case letters or digits (`asset_definitions.symbol`).
/// Lower-case input is accepted and upper-cased, so `acme` and `ACME` name one asset.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Symbol(String);

impl Symbol {
    pub const MAX_CHARS: usize = 12;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let symbol = raw.trim().to_ascii_uppercase();
        if symbol.is_empty() || symbol.len() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "symbol",
                format!(
                    "A symbol has 1 to {} letters or digits, e.g. ACME.",
                    Self::MAX_CHARS
                ),
            ));
        }
        if !symbol
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(ValidationError::new(
                "symbol",
                "A symbol may contain only the letters A-Z and the digits 0-9.",
            ));
        }
        Ok(Self(symbol))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the quote currency itself, which is held in wallet balances and so
    /// cannot also be an asset traded against itself.
    pub fn is_native(&self) -> bool {
        self.0 == NATIVE_ASSET
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An asset's display name, 1 to 100 characters after trimming.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct AssetName(String);

impl AssetName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "name",
                format!("An asset name has 1 to {} characters.", Self::MAX_CHARS),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "name",
                "An asset name cannot contain control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident, $field:literal, $what:literal { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// The stored value.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            pub fn parse(raw: &str) -> Result<Self, ValidationError> {
                let wanted = raw.trim().to_ascii_lowercase().replace('-', "_");
                Self::ALL
                    .iter()
                    .copied()
                    .find(|value| value.as_str() == wanted)
                    .ok_or_else(|| {
                        let known: Vec<_> = Self::ALL.iter().map(|v| v.as_str()).collect();
                        ValidationError::new(
                            $field,
                            format!(concat!("Unknown ", $what, " {:?}; use one of: {}."), raw.trim(), known.join(", ")),
                        )
                    })
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
    /// The fixed set of `asset_definitions.asset_type` values.
    AssetType, "assetType", "asset type" {
        Native => "native",
        UtilityToken => "utility_token",
        EquityToken => "equity_token",
        CarbonCredit => "carbon_credit",
        Nft => "nft",
        SubscriptionPass => "subscription_pass",
    }
);

text_enum!(
    /// `asset_definitions.status`. Assets are never deleted: retiring one is final.
    AssetStatus, "status", "asset status" {
        Active => "active",
        Halted => "halted",
        Retired => "retired",
    }
);

impl AssetStatus {
    /// Whether an administrator may move an asset from `self` to `to`: halting stops
    /// trading and issuing until it is resumed; retiring ends the asset for good.
    pub fn may_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Active, Self::Halted)
                | (Self::Halted, Self::Active)
                | (Self::Active | Self::Halted, Self::Retired)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::upper("ACME", Some("ACME"))]
    #[case::lower_is_upper_cased(" acme1 ", Some("ACME1"))]
    #[case::one_char("X", Some("X"))]
    #[case::twelve("ABCDEFGHIJ12", Some("ABCDEFGHIJ12"))]
    #[case::thirteen("ABCDEFGHIJ123", None)]
    #[case::empty("  ", None)]
    #[case::dash("AC-ME", None)]
    #[case::non_ascii("ÄCME", None)]
    fn symbols(#[case] raw: &str, #[case] expected: Option<&str>) {
        let parsed = Symbol::parse(raw);
        assert_eq!(parsed.as_ref().ok().map(Symbol::as_str), expected);
        if let Err(err) = parsed {
            assert_eq!(err.field, "symbol");
        }
    }

    #[rstest]
    #[case::plain("Acme shares", true)]
    #[case::blank("   ", false)]
    #[case::too_long(&"x".repeat(101), false)]
    #[case::control("Acme\u{7}", false)]
    fn names(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(AssetName::parse(raw).is_ok(), ok);
    }

    #[rstest]
    #[case::stored("carbon_credit", Some(AssetType::CarbonCredit))]
    #[case::dashed("Equity-Token", Some(AssetType::EquityToken))]
    #[case::unknown("bond", None)]
    fn asset_types(#[case] raw: &str, #[case] expected: Option<AssetType>) {
        assert_eq!(AssetType::parse(raw).ok(), expected);
    }

    #[rstest]
    #[case::halt(AssetStatus::Active, AssetStatus::Halted, true)]
    #[case::resume(AssetStatus::Halted, AssetStatus::Active, true)]
    #[case::retire_active(AssetStatus::Active, AssetStatus::Retired, true)]
    #[case::retire_halted(AssetStatus::Halted, AssetStatus::Retired, true)]
    #[case::retired_is_final(AssetStatus::Retired, AssetStatus::Active, false)]
    #[case::no_op(AssetStatus::Active, AssetStatus::Active, false)]
    fn status_transitions(#[case] from: AssetStatus, #[case] to: AssetStatus, #[case] ok: bool) {
        assert_eq!(from.may_become(to), ok);
    }
}
