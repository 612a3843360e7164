//! How the market's refusals read to people.

use crate::error::{ApiError, ErrorCode};
use multipass_domain::market::Side;
use multipass_store::{MarketError, MarketRefusal};

impl From<MarketError> for ApiError {
    fn from(err: MarketError) -> Self {
        match err {
            MarketError::Store(err) => err.into(),
            MarketError::Refused(refusal) => refusal.into(),
        }
    }
}

impl From<MarketRefusal> for ApiError {
    fn from(refusal: MarketRefusal) -> Self {
        use MarketRefusal as R;
        match refusal {
            R::AssetNotFound => ApiError::new(ErrorCode::NotFound, "There is no asset with that symbol.")
                .with_field("symbol"),
            R::WalletNotFound => {
                ApiError::new(ErrorCode::NotFound, "There is no such wallet.").with_field("walletId")
            }
            R::OrderNotFound => {
                ApiError::new(ErrorCode::NotFound, "There is no such order.").with_field("orderId")
            }
            R::NotOwner => ApiError::new(
                ErrorCode::Forbidden,
                "Only the owner of the wallet can place or cancel its orders.",
            ),
            R::WalletNotActive(status) => ApiError::new(
                ErrorCode::InvalidState,
                format!("The wallet is {status}; only an active wallet can trade or receive assets."),
            )
            .with_field("walletId"),
            R::AssetNotTradable { status } => ApiError::new(
                ErrorCode::InvalidState,
                format!("This asset cannot be traded now (it is {status}, or not tradable)."),
            )
            .with_field("symbol"),
            R::AssetNotActive(status) => ApiError::new(
                ErrorCode::InvalidState,
                format!("The asset is {status}; only an active asset can be issued."),
            )
            .with_field("symbol"),
            R::SupplyExceeded {
                total,
                circulating,
                requested,
            } => ApiError::new(
                ErrorCode::LimitExceeded,
                format!(
                    "Issuing {requested} would exceed the total supply: {circulating} of {total} are already issued."
                ),
            )
            .with_field("quantity"),
            R::InsufficientFunds {
                side,
                needed,
                available,
            } => ApiError::new(
                ErrorCode::InsufficientFunds,
                match side {
                    Side::Buy => format!(
                        "This order needs {needed} minor units of the quote currency available; the wallet has {available}."
                    ),
                    Side::Sell => format!(
                        "This order sells {needed} units; the wallet has {available} available."
                    ),
                },
            )
            .with_field("quantity"),
            R::TooLarge => ApiError::new(
                ErrorCode::InvalidInput,
                "The price times the quantity is too large.",
            )
            .with_field("quantity"),
            R::OrderNotResting(status) => ApiError::new(
                ErrorCode::InvalidState,
                format!("The order is {status} and can no longer be cancelled."),
            ),
            R::InvalidTransition { from, to } => ApiError::new(
                ErrorCode::InvalidState,
                format!("An asset that is {from} cannot become {to}."),
            )
            .with_field("status"),
        }
    }
}
