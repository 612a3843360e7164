//! Wallet scenarios run against both stores. Each takes a freshly migrated store and a way
//! to run raw SQL on it (to promote an admin, tamper with rows, or look for secrets).

#![allow(dead_code)]

mod export;
pub use export::*;

use crate::common::{ManualClock, TestApi, api, sign_up};
use async_trait::async_trait;
use chrono::Duration;
use futures::StreamExt;
use multipass_api::ErrorCode;
use multipass_api::vault::{KeyringVault, SecretVault};
use multipass_api::wallet::{
    CreateWalletRequest, DepositRequest, HistoryRequest, TransferRequest, TransferView, WalletView,
};
use multipass_domain::SessionToken;
use multipass_domain::wallet::{TREASURY_WALLET_ID, WalletKeyPair, address_of};
use multipass_store::Store;
use rand::{Rng, SeedableRng};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use uuid::Uuid;

/// Raw SQL on the store under test; the statements used are valid on both backends.
#[async_trait]
pub trait RawSql: Send + Sync {
    /// Runs a statement; `Err` carries the database's message.
    async fn exec(&self, sql: &str) -> Result<u64, String>;
    async fn count(&self, sql: &str) -> i64;
    /// Everything the database holds, as text, for looking for secrets.
    async fn everything(&self) -> String;
}

pub struct World {
    pub api: TestApi,
    pub clock: Arc<ManualClock>,
    pub vault: Arc<KeyringVault>,
    pub admin: SessionToken,
}

pub async fn world(store: Arc<dyn Store>, sql: &dyn RawSql) -> World {
    world_over(&[store], sql).await
}

/// A world whose calls alternate between servers, one per store handle (each its own
/// API instance with its own pool and caches), when given more than one.
pub async fn world_over(stores: &[Arc<dyn Store>], sql: &dyn RawSql) -> World {
    let clock = ManualClock::new();
    let vault = Arc::new(KeyringVault::new(format!(
        "multipass-test-{}",
        Uuid::new_v4()
    )));
    let instances: Vec<TestApi> = stores
        .iter()
        .map(|store| {
            api(store.clone(), clock.clone(), Default::default()).with_vault(vault.clone())
        })
        .collect();
    let api = TestApi::round_robin(instances);
    let admin = sign_up(&api, "root").await.token;
    sql.exec("UPDATE identity_profiles SET role = 'admin' WHERE email = 'root@example.com'")
        .await
        .unwrap();
    World {
        api,
        clock,
        vault,
        admin,
    }
}

impl World {
    pub async fn wallet(&self, owner: &SessionToken, name: &str) -> WalletView {
        self.api
            .create_wallet(
                owner,
                CreateWalletRequest {
                    name: name.into(),
                    labels: vec![],
                },
            )
            .await
            .unwrap()
    }

    pub async fn deposit(&self, wallet: &WalletView, amount: i64) {
        self.api
            .deposit(
                &self.admin,
                DepositRequest {
                    wallet_id: wallet.id.clone(),
                    asset: None,
                    amount,
                    memo: Some("test funds".into()),
                },
            )
            .await
            .unwrap();
    }

    pub async fn balance(&self, wallet_id: &str) -> i64 {
        self.api
            .balances(&self.admin, wallet_id)
            .await
            .unwrap()
            .iter()
            .find(|b| b.asset == "MPC")
            .map_or(0, |b| {
                assert_eq!(b.unlocked, b.total - b.locked);
                b.total
            })
    }

    pub async fn send(
        &self,
        token: &SessionToken,
        from: &str,
        to: &str,
        amount: i64,
        key: &str,
    ) -> Result<TransferView, multipass_api::ApiError> {
        self.api
            .transfer(
                token,
                TransferRequest {
                    from_wallet_id: from.into(),
                    to_wallet_id: to.into(),
                    asset: None,
                    amount,
                    idempotency_key: key.into(),
                },
            )
            .await
    }
}

/// A wallet gets an ML-DSA-65 key pair: seed in the keyring, public key and its address in
/// the database, the seed in no database column; the first wallet is the default.
pub async fn wallets_have_keyring_keys_and_one_default(store: Arc<dyn Store>, sql: &dyn RawSql) {
    let w = world(store, sql).await;
    let ada = sign_up(&w.api, "ada").await.token;
    let first = w
        .api
        .create_wallet(
            &ada,
            CreateWalletRequest {
                name: "  Everyday ".into(),
                labels: vec!["ops".into(), "ops".into(), "travel".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(first.name, "Everyday");
    assert_eq!(first.labels, ["ops", "travel"]);
    assert_eq!((first.status.as_str(), first.is_default), ("active", true));
    assert_eq!(first.key_algorithm, "ML-DSA-65");
    let second = w.wallet(&ada, "Savings").await;
    assert!(!second.is_default);

    let seed = w
        .vault
        .get(&format!("wallet:{}", first.id))
        .unwrap()
        .unwrap();
    assert_eq!(seed.len(), 32);
    let pair = WalletKeyPair::from_stored_seed(&seed).unwrap();
    assert_eq!(
        first.public_key.as_deref(),
        Some(pair.public_key_hex().as_str())
    );
    assert_eq!(first.addresses, [address_of(&pair.public_key())]);
    let everything = sql.everything().await;
    assert!(
        everything.contains(&pair.public_key_hex()),
        "the dump is searchable"
    );
    assert!(
        !everything.contains(&hex::encode(seed.as_slice())),
        "the secret seed must not be in the database"
    );

    let listed = w.api.list_wallets(&ada, None).await.unwrap();
    assert_eq!(listed, [first.clone(), second]);
    assert_eq!(w.api.wallet(&ada, &first.id).await.unwrap(), first);

    let err = w
        .api
        .create_wallet(&ada, CreateWalletRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("name"))
    );
    let err = w.api.wallet(&ada, "not-a-uuid").await.unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("walletId"))
    );
    let err = w
        .api
        .wallet(&ada, &Uuid::new_v4().to_string())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let events = sql
        .count("SELECT count(*) FROM security_events WHERE event_type = 'wallet_key_created'")
        .await;
    assert_eq!(events, 2);
}

/// The owner (or an admin) moves the default to another wallet; there is always exactly
/// one, also when several changes of one owner's default race; a closed wallet, or someone
/// else's, cannot become it.
pub async fn the_default_wallet_moves_and_stays_one(store: Arc<dyn Store>, sql: &dyn RawSql) {
    let w = world(store, sql).await;
    let ada = sign_up(&w.api, "ada").await.token;
    let bob = sign_up(&w.api, "bob").await.token;
    let first = w.wallet(&ada, "Everyday").await;
    let second = w.wallet(&ada, "Savings").await;
    let third = w.wallet(&ada, "Travel").await;
    let bobs = w.wallet(&bob, "Bob's").await;

    let moved = w.api.set_default_wallet(&ada, &second.id).await.unwrap();
    assert!(moved.is_default);
    let listed = w.api.list_wallets(&ada, None).await.unwrap();
    let defaults: Vec<_> = listed.iter().filter(|w| w.is_default).collect();
    assert_eq!(defaults.len(), 1);
    assert_eq!(listed[0].id, second.id, "the default is listed first");
    // Setting the default again changes nothing.
    assert!(
        w.api
            .set_default_wallet(&ada, &second.id)
            .await
            .unwrap()
            .is_default
    );

    let err = w.api.set_default_wallet(&bob, &first.id).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(
        w.api
            .set_default_wallet(&w.admin, &first.id)
            .await
            .unwrap()
            .is_default
    );
    assert!(
        w.api.wallet(&bob, &bobs.id).await.unwrap().is_default,
        "bob's is his own"
    );

    w.api
        .set_wallet_status(&ada, &third.id, "closed")
        .await
        .unwrap();
    let err = w.api.set_default_wallet(&ada, &third.id).await.unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidState, Some("walletId"))
    );
    let err = w
        .api
        .set_default_wallet(&ada, &Uuid::new_v4().to_string())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);

    let racing: Vec<_> = (0..16)
        .map(|i| {
            let api = w.api.clone();
            let token = ada.clone();
            let target = if i % 2 == 0 { &first.id } else { &second.id }.clone();
            tokio::spawn(async move { api.set_default_wallet(&token, &target).await })
        })
        .collect();
    for task in futures::future::join_all(racing).await {
        task.unwrap().unwrap();
    }
    let defaults = sql
        .count(&format!(
            "SELECT count(*) FROM wallet_accounts WHERE is_default AND identity_id = \
             (SELECT identity_id FROM wallet_accounts WHERE id = '{}')",
            first.id
        ))
        .await;
    assert_eq!(defaults, 1);
}

/// The authority writes only what the sending wallet's key signed: a request signed by
/// another key, changed after signing, unsigned, or carrying another fee than the current
/// one is refused and moves nothing; a wallet is registered only with a real public key.
pub async fn only_what_the_wallet_key_signed_is_written(store: Arc<dyn Store>, sql: &dyn RawSql) {
    use multipass_api::Operations;
    use multipass_api::wallet::{RegisterWalletRequest, SignedTransferRequest};
    use multipass_domain::ids::WalletId;
    use multipass_domain::wallet::TransferMessage;
    let w = world(store, sql).await;
    let ada = sign_up(&w.api, "ada").await.token;
    let bob = sign_up(&w.api, "bob").await.token;
    let a = w.wallet(&ada, "Main").await;
    let b = w.wallet(&bob, "Main").await;
    let c = w.wallet(&bob, "Second").await;
    w.deposit(&a, 10_000).await;
    let ops: &dyn Operations = &*w.api;
    let request = |amount: i64, key: &str| TransferRequest {
        from_wallet_id: a.id.clone(),
        to_wallet_id: b.id.clone(),
        asset: None,
        amount,
        idempotency_key: key.into(),
    };
    let signed = w
        .api
        .keys()
        .sign_transfer(ops, &ada, request(1_000, "forged"))
        .await
        .unwrap();
    assert_eq!(signed.fee, 1, "the current fee is signed");
    // What a stranger holding another ML-DSA key would send.
    let stranger = WalletKeyPair::from_seed([42; 32]);
    let strangers_signature = stranger
        .sign(&TransferMessage {
            transfer_id: signed.transfer_id.parse().unwrap(),
            from: WalletId::from_uuid(a.id.parse().unwrap()),
            to: WalletId::from_uuid(b.id.parse().unwrap()),
            asset: "MPC".into(),
            amount: 1_000,
            fee: 1,
            idempotency_key: "forged".into(),
        })
        .unwrap();
    // The stranger's signature, and a wallet the signed request did not name.
    let spare = [strangers_signature, c.id.clone()];
    type Forge = fn(&mut SignedTransferRequest, &[String; 2]);
    let forgeries: [(&str, Forge, ErrorCode, Option<&str>); 7] = [
        (
            "another key",
            |s, spare| s.signature.clone_from(&spare[0]),
            ErrorCode::Forbidden,
            None,
        ),
        (
            "another amount, same fee",
            |s, _| s.transfer.amount = 500,
            ErrorCode::Forbidden,
            None,
        ),
        (
            "another receiver",
            |s, spare| s.transfer.to_wallet_id.clone_from(&spare[1]),
            ErrorCode::Forbidden,
            None,
        ),
        (
            "another transfer id",
            |s, _| s.transfer_id = uuid::Uuid::new_v4().to_string(),
            ErrorCode::Forbidden,
            None,
        ),
        (
            "no signature",
            |s, _| s.signature.clear(),
            ErrorCode::InvalidInput,
            Some("signature"),
        ),
        (
            "garbage",
            |s, _| s.signature = "00ff".into(),
            ErrorCode::InvalidInput,
            Some("signature"),
        ),
        ("no fee", |s, _| s.fee = 0, ErrorCode::Conflict, Some("fee")),
    ];
    for (what, forge, code, field) in forgeries {
        let mut forged = signed.clone();
        forge(&mut forged, &spare);
        let err = ops.transfer(&ada, forged).await.unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (code, field),
            "{what}: {err:?}"
        );
    }
    // A wallet's own key cannot sign for another wallet of someone else either.
    let mut bobs_sends = signed.clone();
    bobs_sends.transfer.from_wallet_id = b.id.clone();
    bobs_sends.transfer.to_wallet_id = a.id.clone();
    let err = ops.transfer(&ada, bobs_sends).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "{err:?}");
    assert_eq!(
        (
            w.balance(&a.id).await,
            w.balance(&b.id).await,
            w.balance(&c.id).await
        ),
        (10_000, 0, 0)
    );
    assert_eq!(
        sql.count("SELECT count(*) FROM wallet_transactions").await,
        1,
        "only the deposit is on record"
    );

    // The request as signed goes through, once, and its stored signature verifies.
    let sent = ops.transfer(&ada, signed.clone()).await.unwrap();
    assert_eq!(sent.transfer_id, signed.transfer_id);
    let again = ops.transfer(&ada, signed).await.unwrap();
    assert!(again.replayed);
    assert_eq!(
        (w.balance(&a.id).await, w.balance(&b.id).await),
        (8_999, 1_000)
    );
    assert!(
        w.api
            .verify_transfer(&ada, &sent.transfer_id)
            .await
            .unwrap()
            .valid
    );

    // Registering a wallet: the public key must be an ML-DSA-65 key, the id an id.
    let register = |wallet_id: String, public_key: String| RegisterWalletRequest {
        wallet: CreateWalletRequest {
            name: "Registered".into(),
            labels: vec![],
        },
        wallet_id,
        public_key,
    };
    let fresh = uuid::Uuid::new_v4().to_string();
    for (request, field) in [
        (register(fresh.clone(), "abcd".into()), "publicKey"),
        (register(fresh.clone(), "zz".repeat(1952)), "publicKey"),
        (
            register("not-an-id".into(), stranger.public_key_hex()),
            "walletId",
        ),
    ] {
        let err = ops.create_wallet(&ada, request).await.unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field))
        );
    }
    let err = ops
        .create_wallet(&ada, register(a.id.clone(), stranger.public_key_hex()))
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Conflict, "a taken wallet id: {err:?}");
    let made = ops
        .create_wallet(
            &ada,
            register(fresh.clone(), stranger.public_key_hex().to_uppercase()),
        )
        .await
        .unwrap();
    assert_eq!(made.id, fresh);
    assert_eq!(made.public_key, Some(stranger.public_key_hex()));
    assert_eq!(made.addresses, [stranger.address()]);
}

/// Deposits, a signed transfer with its fee, verification, tampering, permissions and the
/// frozen/closed states.
pub async fn transfers_are_signed_charged_and_guarded(store: Arc<dyn Store>, sql: &dyn RawSql) {
    let w = world(store, sql).await;
    let ada = sign_up(&w.api, "ada").await.token;
    let bob = sign_up(&w.api, "bob").await.token;
    let eve = sign_up(&w.api, "eve").await.token;
    let a = w.wallet(&ada, "Ada main").await;
    let b = w.wallet(&bob, "Bob main").await;

    let err = w
        .api
        .deposit(
            &ada,
            DepositRequest {
                wallet_id: a.id.clone(),
                asset: None,
                amount: 5,
                memo: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    w.deposit(&a, 10_000).await;
    assert_eq!(w.balance(&a.id).await, 10_000);

    let sent = w
        .send(&ada, &a.id, &b.id, 1_000, "pay-bob-1")
        .await
        .unwrap();
    assert!(!sent.replayed);
    assert_eq!((sent.amount, sent.fee), (1_000, 1));
    let legs: Vec<_> = sent
        .legs
        .iter()
        .map(|l| {
            (
                l.wallet_id.as_str(),
                l.direction.as_str(),
                l.tx_type.as_str(),
                l.amount,
                l.balance_after,
            )
        })
        .collect();
    let treasury = TREASURY_WALLET_ID.to_string();
    assert_eq!(
        legs,
        [
            (a.id.as_str(), "debit", "transfer", 1_000, Some(8_999)),
            (b.id.as_str(), "credit", "transfer", 1_000, Some(1_000)),
            (treasury.as_str(), "credit", "fee", 1, Some(1)),
        ]
    );
    assert!(sent.legs.iter().all(|l| l.transfer_id == sent.transfer_id));
    assert_eq!(
        (
            w.balance(&a.id).await,
            w.balance(&b.id).await,
            w.balance(&treasury).await
        ),
        (8_999, 1_000, 1)
    );
    let notified = sql
        .count("SELECT count(*) FROM notifications WHERE kind = 'transfer_received'")
        .await;
    assert_eq!(notified, 1);

    // Both parties and admins may verify; outsiders may not.
    for who in [&ada, &bob, &w.admin] {
        let check = w.api.verify_transfer(who, &sent.transfer_id).await.unwrap();
        assert!(check.valid, "{check:?}");
    }
    assert_eq!(
        w.api
            .verify_transfer(&eve, &sent.transfer_id)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );

    // Outsiders neither see nor move the funds.
    assert_eq!(
        w.api.balances(&eve, &a.id).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        w.api.wallet(&eve, &a.id).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        w.send(&eve, &a.id, &b.id, 1, "steal")
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        w.api
            .history(
                &eve,
                HistoryRequest {
                    wallet_id: a.id.clone(),
                    ..Default::default()
                }
            )
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    assert_eq!(
        w.api
            .list_wallets(&eve, Some(&a.owner_id))
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );

    // Too much is a clean refusal that changes nothing.
    let err = w
        .send(&ada, &a.id, &b.id, 8_999, "too-much")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InsufficientFunds);
    assert_eq!(w.balance(&a.id).await, 8_999);
    let err = w.send(&ada, &a.id, &a.id, 1, "self").await.unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("toWalletId"))
    );
    let nowhere = uuid::Uuid::new_v4().to_string();
    for (from, to, field) in [
        (&a.id, &nowhere, "toWalletId"),
        (&nowhere, &b.id, "fromWalletId"),
    ] {
        let err = w.send(&ada, from, to, 1, "nowhere").await.unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::NotFound, Some(field))
        );
    }
    assert_eq!(w.balance(&a.id).await, 8_999);
    let err = w.send(&ada, &a.id, &b.id, 0, "zero").await.unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::InvalidInput, Some("amount"))
    );

    // Frozen wallets neither send nor receive; only admins freeze; closing is final.
    assert_eq!(
        w.api
            .set_wallet_status(&bob, &b.id, "frozen")
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
    w.api
        .set_wallet_status(&w.admin, &b.id, "frozen")
        .await
        .unwrap();
    assert_eq!(
        w.send(&ada, &a.id, &b.id, 10, "to-frozen")
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState
    );
    assert_eq!(
        w.send(&bob, &b.id, &a.id, 10, "from-frozen")
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState
    );
    w.api
        .set_wallet_status(&w.admin, &b.id, "active")
        .await
        .unwrap();
    w.send(&bob, &b.id, &a.id, 10, "thawed").await.unwrap();
    let closed = w
        .api
        .set_wallet_status(&bob, &b.id, "closed")
        .await
        .unwrap();
    assert_eq!(closed.status, "closed");
    assert_eq!(
        w.send(&ada, &a.id, &b.id, 10, "to-closed")
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState
    );
    assert_eq!(
        w.api
            .set_wallet_status(&w.admin, &b.id, "active")
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState
    );
    assert_eq!(
        w.api.wallet(&bob, &b.id).await.unwrap().status,
        "closed",
        "kept, not deleted"
    );

    // Tampering with the stored amount breaks the signature.
    let tampered = sql
        .exec(&format!(
            "UPDATE wallet_transactions SET amount = amount + 1 \
             WHERE transfer_id = '{}' AND direction = 'debit'",
            sent.transfer_id
        ))
        .await
        .unwrap();
    assert_eq!(tampered, 1);
    let check = w
        .api
        .verify_transfer(&ada, &sent.transfer_id)
        .await
        .unwrap();
    assert!(!check.valid);
    assert!(check.problem.unwrap().contains("does not verify"));
}

/// One key sent many times at once moves the money once; the same key for another amount is
/// `idempotency_mismatch`.
pub async fn one_key_sent_in_parallel_moves_money_once(
    store: Arc<dyn Store>,
    sql: &dyn RawSql,
    copies: usize,
) {
    let w = Arc::new(world(store, sql).await);
    let ada = sign_up(&w.api, "ada").await.token;
    let bob = sign_up(&w.api, "bob").await.token;
    let a = w.wallet(&ada, "Ada").await;
    let b = w.wallet(&bob, "Bob").await;
    w.deposit(&a, 100_000).await;

    let tasks: Vec<_> = (0..copies)
        .map(|_| {
            let (w, ada, from, to) = (w.clone(), ada.clone(), a.id.clone(), b.id.clone());
            tokio::spawn(async move { w.send(&ada, &from, &to, 2_500, "invoice-77").await })
        })
        .collect();
    let results: Vec<TransferView> = futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap().unwrap())
        .collect();
    let first: Vec<_> = results.iter().filter(|r| !r.replayed).collect();
    assert_eq!(first.len(), 1, "exactly one request applied the transfer");
    assert!(
        results
            .iter()
            .all(|r| r.transfer_id == first[0].transfer_id && r.legs == first[0].legs)
    );
    let rows = sql
        .count("SELECT count(*) FROM wallet_transactions WHERE tx_type <> 'deposit'")
        .await;
    assert_eq!(rows, 3, "two legs and the fee");
    assert_eq!(w.balance(&a.id).await, 100_000 - 2_500 - 3);
    assert_eq!(w.balance(&b.id).await, 2_500);

    let err = w
        .send(&ada, &a.id, &b.id, 2_600, "invoice-77")
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::IdempotencyMismatch, Some("idempotencyKey"))
    );
    let again = w
        .send(&ada, &a.id, &b.id, 2_500, "invoice-77")
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(w.balance(&a.id).await, 100_000 - 2_500 - 3);
}

/// A request sent again gets its first answer even when, by then, the same transfer would be
/// refused: the sender spent the rest, or the receiving wallet was frozen. A new key is
/// refused for those reasons, and another amount under the old key is still a mismatch.
pub async fn a_repeated_request_keeps_its_first_answer(store: Arc<dyn Store>, sql: &dyn RawSql) {
    let w = world(store, sql).await;
    let ada = sign_up(&w.api, "ada").await.token;
    let bob = sign_up(&w.api, "bob").await.token;
    let a = w.wallet(&ada, "Ada").await;
    let b = w.wallet(&bob, "Bob").await;
    w.deposit(&a, 10_010).await;
    // Ada pays Bob's rent.
    let rent = async |amount: i64, key: &str| w.send(&ada, &a.id, &b.id, amount, key).await;
    let first = rent(10_000, "rent-june").await.unwrap();
    assert!(!first.replayed);
    assert_eq!(w.balance(&a.id).await, 0);

    let again = rent(10_000, "rent-june").await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.transfer_id, first.transfer_id);
    let broke = rent(10_000, "rent-july").await.unwrap_err();
    assert_eq!(broke.code, ErrorCode::InsufficientFunds);
    let other = rent(9_000, "rent-june").await.unwrap_err();
    assert_eq!(other.code, ErrorCode::IdempotencyMismatch);

    w.deposit(&a, 50_000).await;
    w.api
        .set_wallet_status(&w.admin, &b.id, "frozen")
        .await
        .unwrap();
    let again = rent(10_000, "rent-june").await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.transfer_id, first.transfer_id);
    let frozen = rent(10_000, "rent-july").await.unwrap_err();
    assert_eq!(frozen.code, ErrorCode::InvalidState);
    assert_eq!(w.balance(&a.id).await, 50_000);
    assert_eq!(w.balance(&b.id).await, 10_000);

    // A payment to the treasury carries its fee on the treasury's own row; sent again, it
    // writes nothing either.
    let treasury = TREASURY_WALLET_ID.to_string();
    let before = w.balance(&treasury).await;
    let paid = w.send(&ada, &a.id, &treasury, 1_000, "dues").await.unwrap();
    let again = w.send(&ada, &a.id, &treasury, 1_000, "dues").await.unwrap();
    assert!(!paid.replayed && again.replayed);
    assert_eq!(again.transfer_id, paid.transfer_id);
    assert_eq!(w.balance(&a.id).await, 50_000 - 1_000 - paid.fee);
    assert_eq!(w.balance(&treasury).await, before + 1_000 + paid.fee);
}

/// The API keeps who owns the wallets it sent between; a wallet given to someone else
/// outside the app must stop answering to its old owner, and its new owner gets the notice.
pub async fn a_wallet_given_away_elsewhere_is_looked_up_again(
    store: Arc<dyn Store>,
    sql: &dyn RawSql,
) {
    let w = world(store, sql).await;
    let ada = sign_up(&w.api, "ada").await.token;
    let bob = sign_up(&w.api, "bob").await.token;
    let cara = sign_up(&w.api, "cara").await.token;
    sign_up(&w.api, "dave").await;
    let a = w.wallet(&ada, "Ada").await;
    let b = w.wallet(&bob, "Bob").await;
    w.deposit(&a, 100_000).await;
    w.send(&ada, &a.id, &b.id, 1_000, "first").await.unwrap();
    let give = async |wallet: &str, to: &str| {
        sql.exec(&format!(
            "UPDATE wallet_accounts SET is_default = FALSE, identity_id = \
             (SELECT id FROM identity_profiles WHERE email = '{to}@example.com') WHERE id = '{wallet}'"
        ))
        .await
        .unwrap();
    };

    give(&a.id, "cara").await;
    let before = w.balance(&a.id).await;
    let err = w
        .send(&ada, &a.id, &b.id, 1_000, "second")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert_eq!(w.balance(&a.id).await, before);
    w.send(&cara, &a.id, &b.id, 1_000, "third").await.unwrap();

    give(&b.id, "dave").await;
    w.send(&cara, &a.id, &b.id, 1_000, "fourth").await.unwrap();
    let notices = |who: &str| {
        format!(
            "SELECT COUNT(*) FROM notifications WHERE kind = 'transfer_received' AND identity_id = \
             (SELECT id FROM identity_profiles WHERE email = '{who}@example.com')"
        )
    };
    assert_eq!(sql.count(&notices("dave")).await, 1);
    assert_eq!(sql.count(&notices("bob")).await, 2);
}

/// Many transfers at once among `wallets` wallets: the total is conserved, nothing goes
/// negative, each failure is a clean `insufficient_funds`, and every balance equals its
/// ledger.
pub async fn concurrent_transfers_conserve_the_total(
    store: Arc<dyn Store>,
    sql: &dyn RawSql,
    wallets: usize,
    transfers: usize,
    parallel: usize,
) {
    concurrent_transfers_over(&[store], sql, wallets, transfers, parallel).await;
}

/// As above, the transfers spread over one API instance per store handle.
pub async fn concurrent_transfers_over(
    stores: &[Arc<dyn Store>],
    sql: &dyn RawSql,
    wallets: usize,
    transfers: usize,
    parallel: usize,
) {
    const START: i64 = 1_000;
    let w = Arc::new(world_over(stores, sql).await);
    let ada = sign_up(&w.api, "ada").await.token;
    let mut ids = Vec::new();
    for i in 0..wallets {
        let wallet = w.wallet(&ada, &format!("W{i}")).await;
        w.deposit(&wallet, START).await;
        ids.push(wallet.id);
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let plan: Vec<(usize, usize, i64)> = (0..transfers)
        .map(|_| {
            let from = rng.random_range(0..wallets);
            let to = (from + rng.random_range(1..wallets)) % wallets;
            (from, to, rng.random_range(1..=400))
        })
        .collect();
    let ids = Arc::new(ids);
    let outcomes: Vec<_> = futures::stream::iter(plan.into_iter().enumerate())
        .map(|(n, (from, to, amount))| {
            let (w, ada, ids) = (w.clone(), ada.clone(), ids.clone());
            async move {
                tokio::spawn(async move {
                    w.send(&ada, &ids[from], &ids[to], amount, &format!("t{n}"))
                        .await
                })
                .await
                .unwrap()
            }
        })
        .buffer_unordered(parallel)
        .collect()
        .await;
    let mut fees = 0;
    let mut succeeded = 0;
    for outcome in &outcomes {
        match outcome {
            Ok(view) => {
                succeeded += 1;
                fees += view.fee;
            }
            Err(err) => assert_eq!(err.code, ErrorCode::InsufficientFunds, "{err:?}"),
        }
    }
    assert!(
        succeeded > transfers / 4,
        "only {succeeded} of {transfers} went through"
    );
    let treasury = w.balance(&TREASURY_WALLET_ID.to_string()).await;
    assert_eq!(treasury, fees);
    let mut total = treasury;
    for id in ids.iter() {
        let balance = w.balance(id).await;
        assert!(balance >= 0);
        // The ledger replays to the balance.
        let mut ledger = 0;
        let mut cursor = None;
        loop {
            let page = w
                .api
                .history(
                    &ada,
                    HistoryRequest {
                        wallet_id: id.clone(),
                        cursor: cursor.clone(),
                        limit: Some(200),
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            for row in &page.items {
                assert!(row.balance_after.unwrap() >= 0);
                ledger += match row.direction.as_str() {
                    "credit" => row.amount,
                    _ => -(row.amount + row.fee),
                };
            }
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(ledger, balance, "wallet {id}");
        total += balance;
    }
    assert_eq!(
        total,
        START * i64::try_from(wallets).unwrap(),
        "the sum is conserved"
    );
    let negative = sql
        .count(
            "SELECT count(*) FROM wallet_balances WHERE total < 0 OR locked < 0 OR locked > total",
        )
        .await;
    assert_eq!(negative, 0);
}

/// Writes that would break a balance's invariants are refused by the schema itself.
pub async fn constraints_refuse_broken_balances(store: Arc<dyn Store>, sql: &dyn RawSql) {
    let w = world(store, sql).await;
    let ada = sign_up(&w.api, "ada").await.token;
    let a = w.wallet(&ada, "Ada").await;
    w.deposit(&a, 100).await;
    let row = |set: &str| {
        format!(
            "UPDATE wallet_balances SET {set} WHERE wallet_id = '{}' AND asset_type = 'MPC'",
            a.id
        )
    };
    for set in [
        "total = -1",
        "total = total - 101",
        "locked = 101",
        "locked = -1",
    ] {
        let refused = sql.exec(&row(set)).await;
        assert!(refused.is_err(), "{set} was accepted");
    }
    assert!(
        sql.exec(&row("unlocked = 5")).await.is_err(),
        "unlocked is derived, never written"
    );
    assert_eq!(sql.exec(&row("locked = 40")).await, Ok(1));
    let balances = w.api.balances(&ada, &a.id).await.unwrap();
    assert_eq!(
        (balances[0].total, balances[0].locked, balances[0].unlocked),
        (100, 40, 60)
    );
    // Locked funds cannot be sent.
    let b = w.wallet(&ada, "Other").await;
    assert_eq!(
        w.send(&ada, &a.id, &b.id, 60, "locked")
            .await
            .unwrap_err()
            .code,
        ErrorCode::InsufficientFunds
    );
    w.send(&ada, &a.id, &b.id, 59, "unlocked").await.unwrap();
    let bad_leg = format!(
        "INSERT INTO wallet_transactions (id, wallet_id, transfer_id, direction, tx_type, asset_type, amount, balance_after) \
         VALUES ('{}', '{}', '{}', 'debit', 'transfer', 'MPC', 5, -1)",
        Uuid::new_v4(),
        a.id,
        Uuid::new_v4()
    );
    assert!(sql.exec(&bad_leg).await.is_err());

    // Credits past the largest BIGINT are refused cleanly, as deposits and as transfers.
    let full = w.wallet(&ada, "Full").await;
    w.deposit(&full, i64::MAX - 10).await;
    let err = w
        .api
        .deposit(
            &w.admin,
            DepositRequest {
                wallet_id: full.id.clone(),
                asset: None,
                amount: 11,
                memo: None,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::LimitExceeded);
    let before = w.balance(&b.id).await;
    let err = w
        .send(&ada, &b.id, &full.id, 20, "overflow")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::LimitExceeded);
    assert_eq!(w.balance(&b.id).await, before, "nothing moved");
    assert_eq!(w.balance(&full.id).await, i64::MAX - 10);
}

/// Every row exactly once across pages, newest first, and each filter does what it says.
pub async fn history_pages_and_filters(store: Arc<dyn Store>, sql: &dyn RawSql) {
    let w = world(store, sql).await;
    let ada = sign_up(&w.api, "ada").await.token;
    let a = w.wallet(&ada, "Ada").await;
    let b = w.wallet(&ada, "Other").await;
    let start = multipass_api::Clock::now(w.clock.as_ref());
    for i in 0..12 {
        w.deposit(&a, 1_000).await;
        // Several rows share a timestamp: the id breaks the tie.
        w.send(&ada, &a.id, &b.id, 10 + i, &format!("h{i}"))
            .await
            .unwrap();
        w.send(&ada, &b.id, &a.id, 1, &format!("back{i}"))
            .await
            .unwrap();
        w.clock.advance(Duration::minutes(1));
    }
    w.api
        .deposit(
            &w.admin,
            DepositRequest {
                wallet_id: a.id.clone(),
                asset: Some("usd".into()),
                amount: 70,
                memo: None,
            },
        )
        .await
        .unwrap();

    let page = |cursor: Option<String>, limit: u32| HistoryRequest {
        wallet_id: a.id.clone(),
        cursor,
        limit: Some(limit),
        ..Default::default()
    };
    let everything = w.api.history(&ada, page(None, 200)).await.unwrap();
    assert_eq!(everything.items.len(), 12 * 3 + 1);
    assert!(everything.next_cursor.is_none());
    let mut seen = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let got = w.api.history(&ada, page(cursor, 5)).await.unwrap();
        assert!(got.items.len() <= 5);
        seen.extend(got.items.iter().map(|t| t.id.clone()));
        pages += 1;
        cursor = got.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(pages, 8);
    let all: Vec<_> = everything.items.iter().map(|t| t.id.clone()).collect();
    assert_eq!(seen, all, "same rows, same order, none twice");
    assert_eq!(seen.iter().collect::<BTreeSet<_>>().len(), seen.len());
    let times: Vec<_> = everything
        .items
        .iter()
        .map(|t| t.created_at.clone())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(times, sorted, "newest first");

    let filtered = |f: fn(&mut HistoryRequest)| {
        let mut request = page(None, 200);
        f(&mut request);
        let api = w.api.clone();
        let ada = ada.clone();
        async move { api.history(&ada, request).await }
    };
    let debits = filtered(|r| r.direction = Some("debit".into()))
        .await
        .unwrap();
    assert_eq!(debits.items.len(), 12);
    assert!(
        debits
            .items
            .iter()
            .all(|t| t.direction == "debit" && t.tx_type == "transfer")
    );
    let usd = filtered(|r| r.asset = Some("USD".into())).await.unwrap();
    assert_eq!(usd.items.iter().map(|t| t.amount).collect::<Vec<_>>(), [70]);
    assert_eq!(
        filtered(|r| r.status = Some("failed".into()))
            .await
            .unwrap()
            .items
            .len(),
        0
    );
    assert_eq!(
        filtered(|r| r.status = Some("completed".into()))
            .await
            .unwrap()
            .items
            .len(),
        37
    );

    let from = (start + Duration::minutes(3)).to_rfc3339();
    let until = (start + Duration::minutes(5)).to_rfc3339();
    let mut window = page(None, 200);
    window.since = Some(from);
    window.until = Some(until);
    let window = w.api.history(&ada, window).await.unwrap();
    assert_eq!(window.items.len(), 6, "minutes 3 and 4, three rows each");
    let mut by_kind = BTreeMap::new();
    for t in &window.items {
        *by_kind
            .entry((t.direction.clone(), t.tx_type.clone()))
            .or_insert(0) += 1;
    }
    assert_eq!(by_kind.len(), 3, "deposit, transfer out, transfer back");

    for (spoil, field) in [
        (
            (|r: &mut HistoryRequest| r.cursor = Some("garbage".into())) as fn(&mut HistoryRequest),
            "cursor",
        ),
        (|r| r.limit = Some(0), "limit"),
        (|r| r.limit = Some(201), "limit"),
        (|r| r.direction = Some("sideways".into()), "direction"),
        (|r| r.since = Some("yesterday".into()), "since"),
        (|r| r.asset = Some("no-such".into()), "asset"),
    ] {
        let err = filtered(spoil).await.unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field))
        );
    }
}
