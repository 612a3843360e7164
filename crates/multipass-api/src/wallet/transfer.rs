//! Transfers between wallets and checking their signatures.

use super::parties::Party;
use super::signatures::check_signed;
use super::{
    FeeScheduleView, SignedTransferRequest, TransferView, VerificationView, may_use_owned_by,
    no_such_wallet, parse_asset, parse_uuid,
};
use crate::MultipassApi;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorCode};
use multipass_domain::ids::WalletId;
use multipass_domain::wallet::{
    Amount, AssetType, Direction, FeePolicy, IdempotencyKey, TREASURY_WALLET_ID, TransferMessage,
    request_hash, verify_signature,
};
use multipass_domain::{Role, SessionToken, ValidationError};
use multipass_store::{
    Conflict, NewTransfer, NotificationKind, StoreError, TransactionRecord, TransferOutcome, TxType,
};
use uuid::Uuid;

/// `1234` MPC minor units read as `12.34 MPC`; other assets as whole units.
fn display_amount(amount: i64, asset: &str) -> String {
    use multipass_domain::money::{NATIVE_ASSET, NATIVE_MINOR_UNITS};
    if asset == NATIVE_ASSET {
        format!(
            "{}.{:02} {asset}",
            amount / NATIVE_MINOR_UNITS,
            amount % NATIVE_MINOR_UNITS
        )
    } else {
        format!("{amount} {asset}")
    }
}

fn view(outcome: TransferOutcome) -> Result<TransferView, ApiError> {
    let (legs, replayed) = match outcome {
        TransferOutcome::Created(legs) => (legs, false),
        TransferOutcome::Replayed(legs) => (legs, true),
    };
    let debit = legs
        .iter()
        .find(|l| l.direction == Direction::Debit)
        .ok_or_else(|| ApiError::internal("A stored transfer has no debit", &"missing leg"))?;
    Ok(TransferView {
        transfer_id: debit.transfer_id.to_string(),
        replayed,
        amount: debit.amount,
        fee: debit.fee,
        legs: legs.into_iter().map(Into::into).collect(),
    })
}

/// The message the sender signed, rebuilt from the stored debit leg.
fn signed_message(debit: &TransactionRecord) -> Option<TransferMessage> {
    Some(TransferMessage {
        transfer_id: debit.transfer_id,
        from: debit.wallet_id,
        to: debit.counterparty_wallet_id?,
        asset: debit.asset_type.clone(),
        amount: debit.amount,
        fee: debit.fee,
        idempotency_key: debit.idempotency_key.clone()?,
    })
}

/// Whether the credit legs say the same as the signed debit.
fn legs_agree(debit: &TransactionRecord, legs: &[TransactionRecord]) -> bool {
    let credit = legs
        .iter()
        .find(|l| l.direction == Direction::Credit && l.tx_type == TxType::Transfer.as_str());
    let fee = legs
        .iter()
        .find(|l| l.direction == Direction::Credit && l.tx_type == TxType::Fee.as_str());
    let credit_ok = credit.is_some_and(|c| {
        Some(c.wallet_id) == debit.counterparty_wallet_id
            && c.amount == debit.amount
            && c.asset_type == debit.asset_type
    });
    let fee_ok = match fee {
        None => debit.fee == 0,
        Some(f) => f.amount == debit.fee && f.wallet_id == TREASURY_WALLET_ID,
    };
    credit_ok && fee_ok
}

/// Both parties, once the sender is known to be the caller's (or the caller an
/// administrator); a missing sender is reported before a missing receiver.
fn checked_parties(
    caller: &Caller,
    parties: Result<(Option<Party>, Option<Party>), ApiError>,
) -> Result<(Party, Party), ApiError> {
    let (from, to) = parties?;
    let from = from.ok_or_else(|| no_such_wallet("fromWalletId"))?;
    may_use_owned_by(caller, from.owner)?;
    let to = to.ok_or_else(|| no_such_wallet("toWalletId"))?;
    Ok((from, to))
}

/// A transfer request that passed every check needing no database.
struct Parsed {
    transfer_id: Uuid,
    key: IdempotencyKey,
    amount: Amount,
    asset: AssetType,
    from_id: WalletId,
    to_id: WalletId,
    fee: i64,
}

/// The fee rule for transfers out of `from`: the treasury sends for free.
pub(crate) fn fee_policy_for(from: WalletId, schedule: FeePolicy) -> FeePolicy {
    if from == TREASURY_WALLET_ID {
        FeePolicy::free()
    } else {
        schedule
    }
}

impl MultipassApi {
    fn parse_transfer(&self, signed: &SignedTransferRequest) -> Result<Parsed, ApiError> {
        let request = &signed.transfer;
        let key = IdempotencyKey::parse(&request.idempotency_key)?;
        let amount = Amount::parse(request.amount)?;
        let asset = parse_asset(request.asset.as_deref())?;
        let from_id = WalletId::from_uuid(parse_uuid(&request.from_wallet_id, "fromWalletId")?);
        let to_id = WalletId::from_uuid(parse_uuid(&request.to_wallet_id, "toWalletId")?);
        let transfer_id = parse_uuid(&signed.transfer_id, "transferId")?;
        if to_id == from_id {
            return Err(ValidationError::new(
                "toWalletId",
                "A wallet cannot send to itself. Choose another receiving wallet.",
            )
            .into());
        }
        let fee_policy = fee_policy_for(from_id, self.policies.fee);
        if fee_policy.total_debit(amount.get()).is_none() {
            return Err(multipass_store::StoreError::Conflict(
                multipass_store::Conflict::InsufficientFunds,
            )
            .into());
        }
        let fee = fee_policy.fee_for(amount.get());
        if signed.fee != fee {
            // The sender agreed to another fee (the schedule changed since they looked):
            // they must see the real one before their money moves.
            return Err(ApiError::new(
                ErrorCode::Conflict,
                format!(
                    "The fee for this transfer is {}, not the {} it was signed with. Review \
                     the transfer and send it again.",
                    display_amount(fee, asset.as_str()),
                    display_amount(signed.fee, asset.as_str()),
                ),
            )
            .with_field("fee"));
        }
        Ok(Parsed {
            transfer_id,
            fee,
            key,
            amount,
            asset,
            from_id,
            to_id,
        })
    }

    /// How transfer fees are computed here, for the sender to sign the right fee and show
    /// it before sending.
    #[tracing::instrument(skip_all)]
    pub async fn fee_schedule(&self, token: &SessionToken) -> Result<FeeScheduleView, ApiError> {
        self.caller(token).await?;
        Ok(FeeScheduleView {
            basis_points: self.policies.fee.basis_points(),
            minimum: self.policies.fee.minimum(),
        })
    }

    /// Moves `amount` from one wallet to another, plus the fee to the treasury, once the
    /// sender's ML-DSA-65 signature of it verifies against the sending wallet's public key.
    /// The same idempotency key with the same request returns the first result again; with
    /// a different request it is `idempotency_mismatch`.
    #[tracing::instrument(skip_all)]
    pub async fn transfer(
        &self,
        token: &SessionToken,
        request: SignedTransferRequest,
    ) -> Result<TransferView, ApiError> {
        let Parsed {
            transfer_id,
            key,
            amount,
            asset,
            from_id,
            to_id,
            fee,
        } = match self.parse_transfer(&request) {
            Ok(parsed) => parsed,
            Err(invalid) => {
                // An unknown session is refused before anything about the request.
                self.caller(token).await?;
                return Err(invalid);
            }
        };
        let message = TransferMessage {
            transfer_id,
            from: from_id,
            to: to_id,
            asset: asset.as_str().to_owned(),
            amount: amount.get(),
            fee,
            idempotency_key: key.as_str().to_owned(),
        };
        let known = self.parties.get(&from_id).zip(self.parties.get(&to_id));
        let was_known = known.is_some();
        let parties = async {
            match known {
                Some((from, to)) => Ok((Some(from), Some(to))),
                None => self.look_up_parties(from_id, to_id).await,
            }
        };
        let (caller, parties) = tokio::join!(self.caller(token), parties);
        let caller = caller?;
        let (from, to) = checked_parties(&caller, parties)?;
        // A refusal of the session or the parties wins over a signature problem.
        check_signed(
            from.public_key.as_deref(),
            &message,
            &request.signature,
            "transfer",
        )?;
        let signature = request.signature.trim().to_owned();
        let record = |from: &Party, to: &Party| {
            let shown = display_amount(amount.get(), asset.as_str());
            NewTransfer {
                transfer_id,
                from: from.id,
                to: to.id,
                from_owner: from.owner,
                to_owner: to.owner,
                request_hash: request_hash(
                    from.id,
                    to.id,
                    asset.as_str(),
                    amount.get(),
                    key.as_str(),
                ),
                asset: asset.clone(),
                amount,
                fee,
                idempotency_key: key.clone(),
                signature: signature.clone(),
                created_at: self.clock.now(),
                // Written with the transfer, in its transaction where the backend allows: a
                // second commit only for the notice cost as much as the rest of the transfer
                // on PostgreSQL.
                notice: Some(self.notice(
                    to.owner,
                    NotificationKind::TransferReceived,
                    format!("You received {shown}"),
                    format!(
                        "{shown} arrived in your wallet \u{201c}{}\u{201d}.",
                        to.name
                    ),
                    serde_json::json!({
                        "transferId": transfer_id.to_string(),
                        "walletId": to.id.to_string(),
                        "fromWalletId": from.id.to_string(),
                    }),
                )),
            }
        };
        let outcome = match self.store.transfer(record(&from, &to)).await {
            Err(StoreError::Conflict(Conflict::PartiesChanged)) if was_known => {
                // A wallet changed hands outside the app since it was looked up: look both
                // up afresh and decide again, once; what the store says then is the answer.
                self.parties.remove(&from_id);
                self.parties.remove(&to_id);
                let fresh = self.look_up_parties(from_id, to_id).await;
                let (from, to) = checked_parties(&caller, fresh)?;
                self.store.transfer(record(&from, &to)).await?
            }
            outcome => outcome?,
        };
        view(outcome)
    }

    /// Both wallets of a transfer from the store, kept for the next transfer between them.
    async fn look_up_parties(
        &self,
        from: WalletId,
        to: WalletId,
    ) -> Result<(Option<Party>, Option<Party>), ApiError> {
        let (from, to) = self.store.wallet_pair(from, to).await?;
        let (from, to) = (from.as_ref().map(Party::from), to.as_ref().map(Party::from));
        for party in [&from, &to].into_iter().flatten() {
            self.parties.insert(party.id, party.clone());
        }
        Ok((from, to))
    }

    /// Checks a stored transfer's ML-DSA-65 signature against its sender's public key, and
    /// that its credit legs match what was signed. Either party's owner, or an administrator.
    #[tracing::instrument(skip_all)]
    pub async fn verify_transfer(
        &self,
        token: &SessionToken,
        transfer_id: &str,
    ) -> Result<VerificationView, ApiError> {
        let caller = self.caller(token).await?;
        let id = parse_uuid(transfer_id, "transferId")?;
        let legs = self.store.transfer_legs(id).await?;
        let not_found = || {
            ApiError::new(ErrorCode::NotFound, "There is no transfer with this id.")
                .with_field("transferId")
        };
        let Some(debit) = legs.iter().find(|l| l.direction == Direction::Debit) else {
            return Err(if legs.is_empty() {
                not_found()
            } else {
                ApiError::new(
                    ErrorCode::InvalidState,
                    "This is a deposit, which carries no signature.",
                )
            });
        };
        let sender = self.store.wallet(debit.wallet_id).await?;
        let mut owners = vec![sender.identity_id];
        if let Some(to) = debit.counterparty_wallet_id {
            owners.push(self.store.wallet(to).await?.identity_id);
        }
        if !owners.contains(&caller.identity_id) {
            caller.require(Role::Admin)?;
        }
        let problem = match (
            signed_message(debit),
            debit.signature.as_deref(),
            sender.public_key.as_deref(),
        ) {
            (Some(message), Some(signature), Some(public_key)) => {
                match verify_signature(public_key, &message, signature) {
                    Err(e) => Some(format!("The signature does not verify: {e}.")),
                    Ok(()) if !legs_agree(debit, &legs) => Some(
                        "The signature verifies, but the credit legs do not match what was signed."
                            .to_owned(),
                    ),
                    Ok(()) => None,
                }
            }
            _ => Some(
                "The transfer has no signature, sender key or idempotency key on record."
                    .to_owned(),
            ),
        };
        Ok(VerificationView {
            transfer_id: id.to_string(),
            valid: problem.is_none(),
            problem,
            signer_wallet_id: sender.id.to_string(),
            signer_public_key: sender.public_key,
        })
    }
}
