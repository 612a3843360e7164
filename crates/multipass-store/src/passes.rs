//! Storage of the hardware-pass registry and its challenges.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::kyc::Reason;
use multipass_domain::pass::{
    Capabilities, Challenge, ChallengePurpose, CosePublicKey, DeviceType, PassAlgorithm,
    PassCredentialId, PassEvent, PassLabel,
};
use multipass_domain::{ChallengeId, IdentityId, PassId};

#[derive(Debug, Clone)]
pub struct NewPass {
    pub id: PassId,
    pub identity_id: IdentityId,
    /// Who enrolled it, when not the holder (desk staff).
    pub enrolled_by: Option<IdentityId>,
    pub device_type: DeviceType,
    pub label: PassLabel,
    pub credential_id: PassCredentialId,
    pub public_key: CosePublicKey,
    pub algorithm: PassAlgorithm,
    pub aaguid: Option<uuid::Uuid>,
    pub sign_count: u32,
    pub capabilities: Capabilities,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PassRecord {
    pub id: PassId,
    pub identity_id: IdentityId,
    pub enrolled_by: Option<IdentityId>,
    pub device_type: String,
    pub label: String,
    pub credential_id: String,
    pub public_key: String,
    pub algorithm: i32,
    pub aaguid: Option<uuid::Uuid>,
    pub sign_count: i64,
    pub capabilities: Vec<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum PassStatusChange {
    Changed(PassRecord),
    /// The pass was no longer active (see [`multipass_domain::pass::PassStatus`]); nothing
    /// was changed.
    Refused(PassRecord),
}

#[derive(Debug, Clone)]
pub struct NewChallenge {
    pub id: ChallengeId,
    pub pass_id: PassId,
    pub purpose: ChallengePurpose,
    pub challenge: Challenge,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ChallengeRecord {
    pub id: ChallengeId,
    pub pass_id: PassId,
    pub purpose: String,
    pub challenge: String,
    pub expires_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// Why a challenge could not be consumed, when it exists and belongs to the caller's pass.
#[derive(Debug, Clone, PartialEq)]
pub enum ChallengeConsumption {
    Consumed(ChallengeRecord),
    /// Unknown, or issued for another pass or to another identity.
    NotFound,
    Expired,
    AlreadyUsed,
    /// The pass is no longer active.
    PassNotActive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignCountUpdate {
    /// Stored, with `last_used_at`.
    Recorded,
    /// The presented count did not go past the stored one; nothing was changed.
    Regressed {
        stored: u64,
    },
    PassNotActive,
}

#[async_trait]
pub trait PassStore: Send + Sync {
    /// A credential id already enrolled (by anyone) is `Conflict::PassCredentialTaken`.
    async fn enroll_pass(&self, pass: NewPass) -> Result<PassRecord, StoreError>;

    async fn pass(&self, id: PassId) -> Result<PassRecord, StoreError>;

    /// Oldest first.
    async fn passes(&self, identity: IdentityId) -> Result<Vec<PassRecord>, StoreError>;

    /// Every active pass of every identity, oldest first: a desk checks a new pass against
    /// them, since a pass cannot list the credentials it answers for.
    async fn active_passes(&self) -> Result<Vec<PassRecord>, StoreError>;

    /// Applies `event` to an active pass in one conditional update.
    async fn change_pass_status(
        &self,
        id: PassId,
        event: PassEvent,
        reason: Option<Reason>,
        now: DateTime<Utc>,
    ) -> Result<PassStatusChange, StoreError>;

    /// Expires every active pass whose `expires_at` is at or before `now`, each once.
    async fn expire_due_passes(&self, now: DateTime<Utc>) -> Result<Vec<PassRecord>, StoreError>;

    async fn create_challenge(
        &self,
        challenge: NewChallenge,
    ) -> Result<ChallengeRecord, StoreError>;

    /// Marks the challenge used if it is `pass`'s, `pass` is `holder`'s and active, and the
    /// challenge is unused and unexpired at `now`: one conditional update, so of any number
    /// of concurrent attempts exactly one succeeds.
    async fn consume_challenge(
        &self,
        challenge: &Challenge,
        pass: PassId,
        holder: IdentityId,
        now: DateTime<Utc>,
    ) -> Result<ChallengeConsumption, StoreError>;

    /// Stores a new signature count and `last_used_at`, only when the count advances (or
    /// stays 0 on a device without a counter), atomically.
    async fn record_pass_use(
        &self,
        pass: PassId,
        sign_count: u32,
        now: DateTime<Utc>,
    ) -> Result<SignCountUpdate, StoreError>;
}
