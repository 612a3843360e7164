//! The application API of Multipass: the only entry point the desktop shell and the CLI use.
//!
//! It picks and opens the store from [`Settings`], runs each use case against the
//! [`multipass_store::Store`] interface with the rules from `multipass-domain`, and answers
//! with transport types ([`dto`]) or an [`ApiError`] carrying a closed [`ErrorCode`].

mod apps;
pub mod attestations;
mod auth;
mod caller;
pub mod clock;
pub mod config;
pub mod dto;
mod error;
mod events;
pub mod identity;
pub mod kyc;
pub mod market;
mod notifications;
mod open;
pub mod operations;
pub mod pass_ceremony;
pub mod passes;
pub mod policy;
mod process_cache;
pub mod reports;
pub mod request_source;
pub mod roles;
pub mod sealed_vault;
pub mod signer;
mod sso;
pub mod vault;
pub mod wallet;

pub use apps::views as app_views;
pub use auth::SignInOutcome;
pub use auth::views as auth_views;
pub use caller::Caller;
pub use clock::{Clock, SystemClock};
pub use config::{ConfigError, DatabaseSettings, Settings};
pub use error::{ApiError, ErrorCode};
pub use multipass_store::{OpenMode, SessionKind};
pub use notifications::{
    NotificationCount, NotificationListRequest, NotificationPage, NotificationView,
};
pub use open::{application_open_mode, open_store, require_current_schema};
pub use operations::{Operations, Remote};

/// The newest schema versions this build knows, per backend.
pub mod schema {
    pub const LATEST_POSTGRES: i64 = multipass_store_postgres::LATEST_SCHEMA_VERSION;
    pub const LATEST_SQLITE: i64 = multipass_store_sqlite::LATEST_SCHEMA_VERSION;
}

use multipass_domain::{LockoutPolicy, PasswordHasher, PasswordPolicy, SessionPolicy};
use multipass_store::Store;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Rules the use cases apply; all come from [`Settings`] or their defaults. On a shared
/// database the security rules among them (lockout, session, passes, reports, throttle)
/// come from the database instead ([`MultipassApi::with_database_authority`]).
#[derive(Debug, Clone, Default)]
pub struct Policies {
    pub password: PasswordPolicy,
    pub lockout: LockoutPolicy,
    pub session: SessionPolicy,
    pub hasher: PasswordHasher,
    pub reports: reports::ReportPolicy,
    pub fee: multipass_domain::wallet::FeePolicy,
    pub passes: multipass_domain::pass::PassPolicy,
    pub ceremony: pass_ceremony::CeremonyPolicy,
    /// How many password checks may wait for a hashing slot; more are refused with
    /// `rate_limited` instead of queueing without bound.
    pub hashing_waiting_room: HashingWaitingRoom,
    /// Failed sign-ins allowed per username and per source address.
    pub throttle: multipass_domain::throttle::SignInThrottle,
}

impl Policies {
    /// The security rules these policies set, for an API that is its own authority.
    pub fn rules(&self) -> multipass_domain::policy::PolicyRules {
        multipass_domain::policy::PolicyRules {
            lockout: self.lockout,
            session: self.session,
            passes: self.passes,
            report_timeout: self.reports.timeout,
            throttle: self.throttle,
        }
    }
}

/// The bound of the queue before password hashing (see [`Policies`]).
#[derive(Debug, Clone, Copy)]
pub struct HashingWaitingRoom(pub usize);

impl Default for HashingWaitingRoom {
    fn default() -> Self {
        Self(256)
    }
}

#[derive(Debug, Clone)]
pub struct MultipassApi {
    store: Arc<dyn Store>,
    policies: Policies,
    clock: Arc<dyn Clock>,
    /// Where private keys live: the OS keyring, or (a server) sealed in the database.
    vault: Arc<dyn vault::SecretVault>,
    /// The deployment's sealing key, on a server: TOTP secrets are stored sealed with it.
    sealing: Option<Arc<sealed_vault::SealingKey>>,
    /// Argon2id needs 19 MiB and tens of milliseconds per hash; a burst of sign-ins must
    /// queue here rather than allocate without bound.
    hashing_slots: Arc<Semaphore>,
    /// Places in the queue before `hashing_slots`; a call that finds none is refused.
    hashing_queue: Arc<Semaphore>,
    /// Where passes come from; `None`: USB and the configured software pass.
    pass_source: Option<Arc<dyn pass_ceremony::PassSource>>,
    /// The asset id of each symbol this process has placed orders in.
    asset_ids: market::AssetIds,
    /// The owner and name of each wallet this process has sent from or to.
    parties: wallet::Parties,
    /// Where completed reports are copied for offline reading; only while the store is
    /// the shared PostgreSQL (the embedded store is local already).
    report_cache: Option<Arc<dyn multipass_store::ReportCache>>,
    /// The shared database's policy and clock, when they are the authority
    /// ([`MultipassApi::with_database_authority`]); otherwise `policies` and `clock` are.
    shared_authority: Option<Arc<policy::SharedAuthority>>,
}

impl MultipassApi {
    /// Opens the store that `settings` select (migrating it) and builds the API over it.
    pub async fn open(settings: &Settings) -> Result<Self, ApiError> {
        let store = open_store(
            &settings.database,
            open::application_open_mode(&settings.database),
        )
        .await?;
        if matches!(settings.database, DatabaseSettings::Postgres { .. }) {
            open::require_current_schema(store.as_ref()).await?;
        }
        reports::install_builtins(store.as_ref()).await?;
        let sealed = sealed_vault::sealed_secrets_for(settings, store.clone())?;
        let mut api = Self::new(store, settings.policies(), Arc::new(SystemClock))
            .with_database_authority()
            .await?;
        if let Some(sealed) = sealed {
            api = api.with_sealed_secrets(sealed);
        }
        Ok(match reports::open_cache_for(settings).await {
            Some(cache) => api.with_report_cache(cache),
            None => api,
        })
    }

    pub fn new(store: Arc<dyn Store>, policies: Policies, clock: Arc<dyn Clock>) -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let waiting_room = policies.hashing_waiting_room.0;
        Self {
            store,
            policies,
            clock,
            vault: Arc::new(vault::KeyringVault::default()),
            sealing: None,
            hashing_slots: Arc::new(Semaphore::new(cores.max(2))),
            hashing_queue: Arc::new(Semaphore::new(cores.max(2) + waiting_room)),
            pass_source: None,
            asset_ids: market::AssetIds::default(),
            parties: wallet::Parties::default(),
            report_cache: None,
            shared_authority: None,
        }
    }

    /// Copies the completed reports the caller runs or opens into `cache`.
    pub fn with_report_cache(mut self, cache: Arc<dyn multipass_store::ReportCache>) -> Self {
        self.report_cache = Some(cache);
        self
    }

    /// Keeps secrets in `vault` instead of the default OS keyring entry (tests give each
    /// run its own keyring service name).
    pub fn with_vault(mut self, vault: Arc<dyn vault::SecretVault>) -> Self {
        self.vault = vault;
        self
    }

    /// Keeps the server's secrets sealed with the deployment's key: private keys in the
    /// shared database instead of a keyring, and TOTP secrets sealed in their column.
    pub fn with_sealed_secrets(mut self, sealed: sealed_vault::SealedSecrets) -> Self {
        self.vault = Arc::new(sealed_vault::SealedVault::new(
            sealed.key.clone(),
            sealed.store,
        ));
        self.sealing = Some(sealed.key);
        self
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The keyring this API keeps its secrets in; a desktop running the API in process
    /// signs with its wallet keys from the same one.
    pub fn vault(&self) -> &Arc<dyn vault::SecretVault> {
        &self.vault
    }

    pub async fn status(&self) -> Result<dto::StatusView, ApiError> {
        let status = self.store.status().await?;
        Ok(status.into())
    }
}
