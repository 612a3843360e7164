//! The wallet service: accounts with ML-DSA-65 public keys, balances, deposits, signed and
//! idempotent transfers with a fee, and the history of each wallet. The private keys are
//! never here: they are made and used where the wallet's owner is (`crate::signer`).
//!
//! Only a wallet's owner, or an administrator, sees or moves its funds; deposits and
//! freezing are for administrators.

mod export;
mod history;
mod parties;
mod signatures;
mod transfer;
mod views;

pub(crate) use parties::{Parties, Party};
pub(crate) use signatures::check_signed;
pub(crate) use transfer::fee_policy_for;

pub use export::{CsvExportView, EXPORT_HEADER, ExportRequest, ExportView, MAX_SENT_CSV_BYTES};
pub use views::{
    BalanceView, CreateWalletRequest, DepositRequest, FeeScheduleView, HistoryPage, HistoryRequest,
    RegisterWalletRequest, SignedTransferRequest, TransactionView, TransferRequest, TransferView,
    VerificationView, WalletView,
};

use crate::MultipassApi;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::ids::WalletId;
use multipass_domain::wallet::{
    Amount, AssetType, KEY_ALGORITHM, Labels, WalletName, WalletStatus, address_of,
    check_public_key,
};
use multipass_domain::{IdentityId, Role, SessionToken, ValidationError};
use multipass_store::{NewDeposit, NewWallet, SecurityEventType, StoreError, WalletRecord};
use uuid::Uuid;

pub(crate) fn parse_uuid(raw: &str, field: &'static str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw.trim())
        .map_err(|_| ValidationError::new(field, "This is not a valid id.").into())
}

pub(crate) fn parse_asset(raw: Option<&str>) -> Result<AssetType, ApiError> {
    Ok(raw
        .map(AssetType::parse)
        .transpose()?
        .unwrap_or_else(AssetType::native))
}

/// `not_found` on `field`.
pub(crate) fn no_such_wallet(field: &'static str) -> ApiError {
    ApiError::new(ErrorCode::NotFound, "There is no wallet with this id.").with_field(field)
}

/// Refuses anyone but the wallet's owner or an administrator.
pub(crate) fn may_use(caller: &Caller, wallet: &WalletRecord) -> Result<(), ApiError> {
    may_use_owned_by(caller, wallet.identity_id)
}

/// [`may_use`] for a wallet known only by its owner.
pub(crate) fn may_use_owned_by(caller: &Caller, owner: IdentityId) -> Result<(), ApiError> {
    caller.require_self_or(owner, Role::Admin).map_err(|_| {
        ApiError::new(
            ErrorCode::Forbidden,
            "Only the wallet's owner or an administrator can do this.",
        )
    })
}

impl MultipassApi {
    /// The wallet, if the caller owns it or is an administrator; `field` names the input.
    pub(crate) async fn visible_wallet(
        &self,
        caller: &Caller,
        raw_id: &str,
        field: &'static str,
    ) -> Result<WalletRecord, ApiError> {
        let id = WalletId::from_uuid(parse_uuid(raw_id, field)?);
        let wallet = self.store.wallet(id).await.map_err(|e| match e {
            StoreError::NotFound => no_such_wallet(field),
            other => other.into(),
        })?;
        may_use(caller, &wallet)?;
        Ok(wallet)
    }

    /// Records a wallet whose ML-DSA-65 key pair was made where its owner is: the public key
    /// and its address go to the database, the seed stayed in the owner's keyring. The
    /// owner's first wallet is the default.
    #[tracing::instrument(skip_all)]
    pub async fn create_wallet(
        &self,
        token: &SessionToken,
        request: RegisterWalletRequest,
    ) -> Result<WalletView, ApiError> {
        let caller = self.caller(token).await?;
        let name = WalletName::parse(&request.wallet.name)?;
        let labels = Labels::parse(&request.wallet.labels)?;
        let id = WalletId::from_uuid(parse_uuid(&request.wallet_id, "walletId")?);
        let public_key = request.public_key.trim().to_ascii_lowercase();
        check_public_key(&public_key).map_err(|_| {
            ValidationError::new("publicKey", "This is not an ML-DSA-65 public key in hex.")
        })?;
        let address = address_of(&hex::decode(&public_key).unwrap_or_default());
        let created = self
            .store
            .create_wallet(NewWallet {
                id,
                identity_id: caller.identity_id,
                name,
                labels,
                key_algorithm: KEY_ALGORITHM,
                public_key,
                address: address.clone(),
                created_at: self.clock.now(),
            })
            .await?;
        self.audit(
            Some(caller.identity_id),
            Some(caller.identity_id),
            SecurityEventType::WalletKeyCreated,
            serde_json::json!({
                "walletId": id.to_string(),
                "algorithm": KEY_ALGORITHM,
                "address": address,
            }),
        )
        .await?;
        Ok(created.into())
    }

    /// One wallet as a signature check needs it, from memory after the first look-up;
    /// `None` when there is no such wallet.
    pub(crate) async fn party(&self, id: WalletId) -> Result<Option<Party>, ApiError> {
        if let Some(party) = self.parties.get(&id) {
            return Ok(Some(party));
        }
        match self.store.wallet(id).await {
            Ok(wallet) => {
                let party = Party::from(&wallet);
                self.parties.insert(id, party.clone());
                Ok(Some(party))
            }
            Err(StoreError::NotFound) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// The caller's wallets, or (administrators only) those of `owner`.
    #[tracing::instrument(skip_all)]
    pub async fn list_wallets(
        &self,
        token: &SessionToken,
        owner: Option<&str>,
    ) -> Result<Vec<WalletView>, ApiError> {
        let caller = self.caller(token).await?;
        let owner = match owner {
            Some(raw) => IdentityId::from_uuid(parse_uuid(raw, "ownerId")?),
            None => caller.identity_id,
        };
        caller.require_self_or(owner, Role::Admin)?;
        let wallets = self.store.wallets_of(owner).await?;
        Ok(wallets.into_iter().map(WalletView::from).collect())
    }

    #[tracing::instrument(skip_all)]
    pub async fn wallet(
        &self,
        token: &SessionToken,
        wallet_id: &str,
    ) -> Result<WalletView, ApiError> {
        let caller = self.caller(token).await?;
        Ok(self
            .visible_wallet(&caller, wallet_id, "walletId")
            .await?
            .into())
    }

    #[tracing::instrument(skip_all)]
    pub async fn balances(
        &self,
        token: &SessionToken,
        wallet_id: &str,
    ) -> Result<Vec<BalanceView>, ApiError> {
        let caller = self.caller(token).await?;
        let wallet = self.visible_wallet(&caller, wallet_id, "walletId").await?;
        let balances = self.store.balances(wallet.id).await?;
        Ok(balances.into_iter().map(BalanceView::from).collect())
    }

    /// Freezes, thaws or closes a wallet. Freezing and thawing are for administrators; an
    /// owner may close their own wallet. Closing is final, and the wallet stays on record.
    #[tracing::instrument(skip_all)]
    pub async fn set_wallet_status(
        &self,
        token: &SessionToken,
        wallet_id: &str,
        status: &str,
    ) -> Result<WalletView, ApiError> {
        let caller = self.caller(token).await?;
        let next = WalletStatus::parse(status)?;
        let wallet = self.visible_wallet(&caller, wallet_id, "walletId").await?;
        if next != WalletStatus::Closed {
            caller.require(Role::Admin)?;
        }
        if !wallet.status.may_become(next) {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                format!("A {} wallet cannot become {next}.", wallet.status),
            ));
        }
        let updated = self
            .store
            .set_wallet_status(wallet.id, next, self.clock.now())
            .await?;
        Ok(updated.into())
    }

    /// Makes a wallet its owner's default (the one shown first and offered first), the
    /// previous default an ordinary wallet again. The owner, or an administrator; not a
    /// closed wallet.
    #[tracing::instrument(skip_all)]
    pub async fn set_default_wallet(
        &self,
        token: &SessionToken,
        wallet_id: &str,
    ) -> Result<WalletView, ApiError> {
        let caller = self.caller(token).await?;
        let wallet = self.visible_wallet(&caller, wallet_id, "walletId").await?;
        if wallet.status == WalletStatus::Closed {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "A closed wallet cannot be the default.",
            )
            .with_field("walletId"));
        }
        let updated = self
            .store
            .set_default_wallet(wallet.id, self.clock.now())
            .await?;
        Ok(updated.into())
    }

    /// Adds funds to a wallet (administrators only): one credit of type `deposit`.
    #[tracing::instrument(skip_all)]
    pub async fn deposit(
        &self,
        token: &SessionToken,
        request: DepositRequest,
    ) -> Result<TransactionView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let wallet = self
            .visible_wallet(&caller, &request.wallet_id, "walletId")
            .await?;
        let asset = parse_asset(request.asset.as_deref())?;
        let amount = Amount::parse(request.amount)?;
        let memo = request
            .memo
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty());
        if memo.is_some_and(|m| m.chars().count() > 500) {
            return Err(
                ValidationError::new("memo", "A memo can be at most 500 characters.").into(),
            );
        }
        let row = self
            .store
            .deposit(NewDeposit {
                transfer_id: Uuid::new_v4(),
                wallet_id: wallet.id,
                asset,
                amount,
                metadata: serde_json::json!({
                    "depositedBy": caller.identity_id.to_string(),
                    "memo": memo,
                }),
                created_at: self.clock.now(),
            })
            .await?;
        Ok(row.into())
    }
}
