//! Typed identifiers, so an identity id cannot be passed where a session id is expected.

use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS)]
        #[serde(transparent)]
        #[ts(type = "string")]
        pub struct $name(Uuid);

        impl $name {
            pub fn new_random() -> Self {
                Self(Uuid::new_v4())
            }

            pub const fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }

            pub const fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

uuid_id!(
    /// Primary key of `identity_profiles`.
    IdentityId
);
uuid_id!(
    /// Primary key of `multipass_credentials`.
    CredentialId
);
uuid_id!(
    /// Primary key of `multipass_sessions`.
    SessionId
);
uuid_id!(
    /// Primary key of `market_orders`.
    OrderId
);
uuid_id!(
    /// Primary key of `wallet_accounts`: whose funds an order locks, and the party that
    /// self-trade prevention keeps from trading with itself.
    WalletId
);
uuid_id!(
    /// Primary key of `asset_definitions`: one order book and one lock per asset.
    AssetId
);
uuid_id!(
    /// Primary key of `kyc_verifications`.
    KycVerificationId
);
uuid_id!(
    /// Primary key of `attestations`.
    AttestationId
);
uuid_id!(
    /// Primary key of `hardware_passes`.
    PassId
);
uuid_id!(
    /// Primary key of `hardware_challenges`.
    ChallengeId
);
