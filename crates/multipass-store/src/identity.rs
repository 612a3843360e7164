//! Storage of profiles, KYC verifications, attestations and roles.
//!
//! A profile's `verification_status` and `kyc_level` are never written from outside: every
//! method that changes a verification or the suspension recomputes them with
//! [`multipass_domain::profile::KycStanding::derive`] under the profile's row lock, in the
//! same transaction, so concurrent reviews and sweeps cannot leave them stale.

use crate::StoreError;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use multipass_domain::attestation::Claim;
use multipass_domain::kyc::{Reason, VerificationType};
use multipass_domain::profile::{Country, DateOfBirth, JsonObject, Phone};
use multipass_domain::{AttestationId, Email, FullName, IdentityId, KycVerificationId, Role};

#[derive(Debug, Clone, PartialEq)]
pub struct ProfileRecord {
    pub id: IdentityId,
    pub full_name: String,
    pub email: String,
    pub username: String,
    pub phone: Option<String>,
    pub country: Option<String>,
    pub date_of_birth: Option<NaiveDate>,
    pub verification_status: String,
    pub kyc_level: i16,
    pub role: String,
    pub is_active: bool,
    pub deactivated_at: Option<DateTime<Utc>>,
    pub metadata: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A change to a profile: `None` leaves a field as it is; for the optional fields
/// `Some(None)` clears it. Applied in one statement, so concurrent edits of different
/// fields do not undo each other.
#[derive(Debug, Clone, Default)]
pub struct ProfilePatch {
    pub full_name: Option<FullName>,
    pub email: Option<Email>,
    pub phone: Option<Option<Phone>>,
    pub country: Option<Option<Country>>,
    pub date_of_birth: Option<Option<DateOfBirth>>,
    pub metadata: Option<JsonObject>,
}

#[derive(Debug, Clone)]
pub struct NewKycVerification {
    pub id: KycVerificationId,
    pub identity_id: IdentityId,
    pub verification_type: VerificationType,
    /// SHA3-256 of the document, lower-case hex; the document itself is never stored.
    pub document_hash: String,
    pub provider: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct KycRecord {
    pub id: KycVerificationId,
    pub identity_id: IdentityId,
    pub verification_type: String,
    pub document_hash: String,
    pub provider: String,
    pub status: String,
    pub kyc_level: i16,
    pub reviewed_by: Option<IdentityId>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub rejection_reason: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum KycDecision {
    Approve,
    Reject(Reason),
}

#[derive(Debug, Clone)]
pub enum KycReviewOutcome {
    Reviewed {
        verification: KycRecord,
        profile: Box<ProfileRecord>,
    },
    /// Someone reviewed it first, or it expired: nothing was changed.
    NotPending(KycRecord),
}

/// One verification the expiry sweep moved to `expired`, and the profile afterwards.
#[derive(Debug, Clone)]
pub struct KycExpired {
    pub verification: KycRecord,
    pub profile: ProfileRecord,
}

#[derive(Debug, Clone)]
pub struct NewAttestation {
    pub id: AttestationId,
    pub identity_id: IdentityId,
    pub attestation_type: String,
    pub issuer: String,
    pub claim: Claim,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AttestationRecord {
    pub id: AttestationId,
    pub identity_id: IdentityId,
    pub attestation_type: String,
    pub issuer: String,
    /// The canonical text the proof hash was computed over, verbatim.
    pub claim: String,
    pub proof_hash: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revocation_reason: Option<String>,
    pub chain_anchor_tx: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub enum AttestationRevocation {
    Revoked(AttestationRecord),
    AlreadyRevoked(AttestationRecord),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChange {
    Changed {
        previous: Role,
    },
    Unchanged,
    /// The change would leave the store without any admin.
    LastAdmin,
}

impl RoleChange {
    /// The rule both backends apply while they hold their role lock: moving the last
    /// active admin off the admin role is refused, so the store always keeps one.
    pub fn decide(previous: Role, wanted: Role, active_admins: i64) -> Self {
        if previous == wanted {
            Self::Unchanged
        } else if previous == Role::Admin && active_admins <= 1 {
            Self::LastAdmin
        } else {
            Self::Changed { previous }
        }
    }
}

#[async_trait]
pub trait IdentityStore: Send + Sync {
    async fn profile(&self, id: IdentityId) -> Result<ProfileRecord, StoreError>;

    async fn update_profile(
        &self,
        id: IdentityId,
        patch: ProfilePatch,
    ) -> Result<ProfileRecord, StoreError>;

    /// Admin suspension: sets or lifts `suspended` and recomputes the standing.
    async fn set_suspended(
        &self,
        id: IdentityId,
        suspended: bool,
        now: DateTime<Utc>,
    ) -> Result<ProfileRecord, StoreError>;

    /// Soft deactivation (`is_active`, `deactivated_at`); deactivating also revokes the
    /// identity's open sessions.
    async fn set_active(
        &self,
        id: IdentityId,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<ProfileRecord, StoreError>;

    /// Inserts a pending verification and recomputes the profile's standing.
    async fn submit_kyc(
        &self,
        verification: NewKycVerification,
        now: DateTime<Utc>,
    ) -> Result<(KycRecord, ProfileRecord), StoreError>;

    async fn kyc_verification(&self, id: KycVerificationId) -> Result<KycRecord, StoreError>;

    /// Oldest first; `identity` narrows to one profile, `status` to one status.
    async fn kyc_verifications(
        &self,
        identity: Option<IdentityId>,
        status: Option<&str>,
    ) -> Result<Vec<KycRecord>, StoreError>;

    /// Decides a pending verification, under the profile's row lock, and recomputes the
    /// standing. A verification that is no longer pending is left alone.
    async fn review_kyc(
        &self,
        id: KycVerificationId,
        decision: KycDecision,
        reviewer: IdentityId,
        now: DateTime<Utc>,
    ) -> Result<KycReviewOutcome, StoreError>;

    /// Moves every pending or approved verification whose `expires_at` is at or before
    /// `now` to `expired` and recomputes the profiles concerned. Running it again, or twice
    /// at once, expires each verification once.
    async fn expire_due_kyc(&self, now: DateTime<Utc>) -> Result<Vec<KycExpired>, StoreError>;

    async fn create_attestation(
        &self,
        attestation: NewAttestation,
    ) -> Result<AttestationRecord, StoreError>;

    async fn attestation(&self, id: AttestationId) -> Result<AttestationRecord, StoreError>;

    /// Oldest first.
    async fn attestations(
        &self,
        identity: IdentityId,
    ) -> Result<Vec<AttestationRecord>, StoreError>;

    async fn revoke_attestation(
        &self,
        id: AttestationId,
        reason: Reason,
        now: DateTime<Utc>,
    ) -> Result<AttestationRevocation, StoreError>;

    /// Sets `target`'s role, refusing a change that would leave no admin. Serialised with
    /// every other role change.
    async fn set_role(&self, target: IdentityId, role: Role) -> Result<RoleChange, StoreError>;

    /// Makes `identity` admin if, and only if, no identity is admin yet; atomic against a
    /// concurrent bootstrap. Returns whether it did.
    async fn bootstrap_admin(&self, identity: IdentityId) -> Result<bool, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_admin_stays() {
        use Role::{Admin, Desk, User};
        let cases = [
            (User, User, 0, RoleChange::Unchanged),
            (Admin, Admin, 1, RoleChange::Unchanged),
            (User, Admin, 0, RoleChange::Changed { previous: User }),
            (Desk, User, 1, RoleChange::Changed { previous: Desk }),
            (Admin, User, 1, RoleChange::LastAdmin),
            (Admin, Desk, 0, RoleChange::LastAdmin),
            (Admin, Desk, 2, RoleChange::Changed { previous: Admin }),
        ];
        for (previous, wanted, admins, expected) in cases {
            assert_eq!(RoleChange::decide(previous, wanted, admins), expected);
        }
    }
}
