//! Profiles, KYC verifications, attestations and roles on PostgreSQL.
//!
//! Lock order, everywhere: the profile row (`FOR UPDATE`) first, then its verifications.
//! Role changes are additionally serialised by one transaction-scoped advisory lock, because
//! "is there another admin?" is a question about many rows.

use crate::errors::map_err;
use crate::store::PgStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use multipass_domain::kyc::{KycFact, KycStatus, Reason, VerificationType};
use multipass_domain::profile::KycStanding;
use multipass_domain::{AttestationId, IdentityId, KycVerificationId, Role};
use multipass_store::identity::{
    AttestationRecord, AttestationRevocation, KycDecision, KycExpired, KycRecord, KycReviewOutcome,
    NewAttestation, NewKycVerification, ProfilePatch, ProfileRecord, RoleChange,
};
use multipass_store::{IdentityStore, RevocationReason, StoreError};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

/// Key of the advisory lock that serialises role changes and the admin bootstrap.
const ROLE_LOCK: i64 = 0x6d70_5f72_6f6c_6573;
/// At most this many profiles per expiry sweep; the next sweep takes the rest.
const EXPIRY_BATCH: i64 = 1000;

const PROFILE_BY_ID: &str = "SELECT p.id, p.full_name, p.email, c.username, p.phone, p.country, p.date_of_birth, \
     p.verification_status, p.kyc_level, p.role, p.is_active, p.deactivated_at, p.metadata, p.created_at, \
     p.updated_at FROM identity_profiles p JOIN multipass_credentials c ON c.identity_id = p.id WHERE p.id = $1";

// Macros rather than consts so that `concat!` builds each query as one literal.
macro_rules! kyc_columns {
    () => {
        "id, identity_id, verification_type, document_hash, provider, status, kyc_level, \
         reviewed_by, reviewed_at, rejection_reason, expires_at, created_at"
    };
}

macro_rules! attestation_columns {
    () => {
        "id, identity_id, attestation_type, issuer, claim, proof_hash, issued_at, \
         expires_at, revoked_at, revocation_reason, chain_anchor_tx, created_at"
    };
}

fn profile_from_row(row: &PgRow) -> Result<ProfileRecord, sqlx::Error> {
    Ok(ProfileRecord {
        id: IdentityId::from_uuid(row.try_get("id")?),
        full_name: row.try_get("full_name")?,
        email: row.try_get("email")?,
        username: row.try_get("username")?,
        phone: row.try_get("phone")?,
        country: row.try_get("country")?,
        date_of_birth: row.try_get("date_of_birth")?,
        verification_status: row.try_get("verification_status")?,
        kyc_level: row.try_get("kyc_level")?,
        role: row.try_get("role")?,
        is_active: row.try_get("is_active")?,
        deactivated_at: row.try_get("deactivated_at")?,
        metadata: row.try_get("metadata")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

fn kyc_from_row(row: &PgRow) -> Result<KycRecord, sqlx::Error> {
    Ok(KycRecord {
        id: KycVerificationId::from_uuid(row.try_get("id")?),
        identity_id: IdentityId::from_uuid(row.try_get("identity_id")?),
        verification_type: row.try_get("verification_type")?,
        document_hash: row.try_get("document_hash")?,
        provider: row.try_get("provider")?,
        status: row.try_get("status")?,
        kyc_level: row.try_get("kyc_level")?,
        reviewed_by: row
            .try_get::<Option<Uuid>, _>("reviewed_by")?
            .map(IdentityId::from_uuid),
        reviewed_at: row.try_get("reviewed_at")?,
        rejection_reason: row.try_get("rejection_reason")?,
        expires_at: row.try_get("expires_at")?,
        created_at: row.try_get("created_at")?,
    })
}

fn attestation_from_row(row: &PgRow) -> Result<AttestationRecord, sqlx::Error> {
    Ok(AttestationRecord {
        id: AttestationId::from_uuid(row.try_get("id")?),
        identity_id: IdentityId::from_uuid(row.try_get("identity_id")?),
        attestation_type: row.try_get("attestation_type")?,
        issuer: row.try_get("issuer")?,
        claim: row.try_get("claim")?,
        proof_hash: row.try_get("proof_hash")?,
        issued_at: row.try_get("issued_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        revocation_reason: row.try_get("revocation_reason")?,
        chain_anchor_tx: row.try_get("chain_anchor_tx")?,
        created_at: row.try_get("created_at")?,
    })
}

async fn fetch_profile(conn: &mut PgConnection, id: Uuid) -> Result<ProfileRecord, StoreError> {
    let row = sqlx::query(PROFILE_BY_ID)
        .bind(id)
        .fetch_one(conn)
        .await
        .map_err(map_err)?;
    profile_from_row(&row).map_err(map_err)
}

/// Takes the profile's row lock; returns whether it is suspended.
async fn lock_profile(conn: &mut PgConnection, id: Uuid) -> Result<bool, StoreError> {
    let status: String = sqlx::query_scalar(
        "SELECT verification_status FROM identity_profiles WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_one(conn)
    .await
    .map_err(map_err)?;
    Ok(status == "suspended")
}

fn corrupt(what: &str) -> impl Fn(multipass_domain::ValidationError) -> StoreError + '_ {
    move |e| StoreError::Corrupt(format!("{what}: {e}"))
}

/// Recomputes status and level from the verifications, under the lock the caller holds.
async fn restand(
    conn: &mut PgConnection,
    id: Uuid,
    suspended: bool,
    now: DateTime<Utc>,
) -> Result<ProfileRecord, StoreError> {
    let rows = sqlx::query(
        "SELECT verification_type, status, expires_at FROM kyc_verifications WHERE identity_id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await
    .map_err(map_err)?;
    let facts = rows
        .iter()
        .map(|row| {
            let kind: String = row.try_get("verification_type").map_err(map_err)?;
            let status: String = row.try_get("status").map_err(map_err)?;
            Ok(KycFact {
                kind: VerificationType::parse(&kind).map_err(corrupt("verification type"))?,
                status: KycStatus::parse(&status).map_err(corrupt("verification status"))?,
                expires_at: row.try_get("expires_at").map_err(map_err)?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let standing = KycStanding::derive(suspended, &facts, now);
    sqlx::query(
        "UPDATE identity_profiles SET verification_status = $2, kyc_level = $3 WHERE id = $1",
    )
    .bind(id)
    .bind(standing.status.as_str())
    .bind(i16::from(standing.level.value()))
    .execute(&mut *conn)
    .await
    .map_err(map_err)?;
    fetch_profile(conn, id).await
}

async fn fetch_kyc(conn: &mut PgConnection, id: Uuid) -> Result<KycRecord, StoreError> {
    let row = sqlx::query(concat!(
        "SELECT ",
        kyc_columns!(),
        " FROM kyc_verifications WHERE id = $1"
    ))
    .bind(id)
    .fetch_one(conn)
    .await
    .map_err(map_err)?;
    kyc_from_row(&row).map_err(map_err)
}

fn expirable() -> Vec<&'static str> {
    KycStatus::EXPIRABLE.iter().map(|s| s.as_str()).collect()
}

#[async_trait]
impl IdentityStore for PgStore {
    #[tracing::instrument(skip_all)]
    async fn profile(&self, id: IdentityId) -> Result<ProfileRecord, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        fetch_profile(&mut conn, id.as_uuid()).await
    }

    #[tracing::instrument(skip_all)]
    async fn update_profile(
        &self,
        id: IdentityId,
        patch: ProfilePatch,
    ) -> Result<ProfileRecord, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let done = sqlx::query(
            "UPDATE identity_profiles SET \
               full_name = COALESCE($2, full_name), \
               email = COALESCE($3, email), \
               phone = CASE WHEN $4 THEN $5 ELSE phone END, \
               country = CASE WHEN $6 THEN $7 ELSE country END, \
               date_of_birth = CASE WHEN $8 THEN $9::date ELSE date_of_birth END, \
               metadata = COALESCE($10, metadata) \
             WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(patch.full_name.as_ref().map(|n| n.as_str()))
        .bind(patch.email.as_ref().map(|e| e.as_str()))
        .bind(patch.phone.is_some())
        .bind(patch.phone.flatten().map(|p| p.as_str().to_owned()))
        .bind(patch.country.is_some())
        .bind(patch.country.flatten().map(|c| c.as_str().to_owned()))
        .bind(patch.date_of_birth.is_some())
        .bind(patch.date_of_birth.flatten().map(|d| d.date()))
        .bind(patch.metadata.as_ref().map(|m| m.as_value()))
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let profile = fetch_profile(&mut tx, id.as_uuid()).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(profile)
    }

    #[tracing::instrument(skip_all)]
    async fn set_suspended(
        &self,
        id: IdentityId,
        suspended: bool,
        now: DateTime<Utc>,
    ) -> Result<ProfileRecord, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        lock_profile(&mut tx, id.as_uuid()).await?;
        let profile = restand(&mut tx, id.as_uuid(), suspended, now).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(profile)
    }

    #[tracing::instrument(skip_all)]
    async fn set_active(
        &self,
        id: IdentityId,
        active: bool,
        now: DateTime<Utc>,
    ) -> Result<ProfileRecord, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let done = sqlx::query(
            "UPDATE identity_profiles SET is_active = $2, \
               deactivated_at = CASE WHEN $2 THEN NULL ELSE COALESCE(deactivated_at, $3) END \
             WHERE id = $1",
        )
        .bind(id.as_uuid())
        .bind(active)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if !active {
            sqlx::query(
                "UPDATE multipass_sessions SET revoked_at = $2, revocation_reason = $3 \
                 WHERE identity_id = $1 AND revoked_at IS NULL",
            )
            .bind(id.as_uuid())
            .bind(now)
            .bind(RevocationReason::AdminRevoked.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        }
        let profile = fetch_profile(&mut tx, id.as_uuid()).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(profile)
    }

    #[tracing::instrument(skip_all)]
    async fn submit_kyc(
        &self,
        verification: NewKycVerification,
        now: DateTime<Utc>,
    ) -> Result<(KycRecord, ProfileRecord), StoreError> {
        let identity = verification.identity_id.as_uuid();
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let suspended = lock_profile(&mut tx, identity).await?;
        let row = sqlx::query(concat!("INSERT INTO kyc_verifications (id, identity_id, verification_type, document_hash, provider, \
             kyc_level, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ", kyc_columns!()))
        .bind(verification.id.as_uuid())
        .bind(identity)
        .bind(verification.verification_type.as_str())
        .bind(&verification.document_hash)
        .bind(&verification.provider)
        .bind(i16::from(verification.verification_type.proves_level().value()))
        .bind(verification.expires_at)
        .bind(verification.created_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let record = kyc_from_row(&row).map_err(map_err)?;
        let profile = restand(&mut tx, identity, suspended, now).await?;
        tx.commit().await.map_err(map_err)?;
        Ok((record, profile))
    }

    #[tracing::instrument(skip_all)]
    async fn kyc_verification(&self, id: KycVerificationId) -> Result<KycRecord, StoreError> {
        let mut conn = self.pool.acquire().await.map_err(map_err)?;
        fetch_kyc(&mut conn, id.as_uuid()).await
    }

    #[tracing::instrument(skip_all)]
    async fn kyc_verifications(
        &self,
        identity: Option<IdentityId>,
        status: Option<&str>,
    ) -> Result<Vec<KycRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            kyc_columns!(),
            " FROM kyc_verifications \
             WHERE ($1::uuid IS NULL OR identity_id = $1) AND ($2::text IS NULL OR status = $2) \
             ORDER BY created_at, id"
        ))
        .bind(identity.map(|id| id.as_uuid()))
        .bind(status)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(kyc_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn review_kyc(
        &self,
        id: KycVerificationId,
        decision: KycDecision,
        reviewer: IdentityId,
        now: DateTime<Utc>,
    ) -> Result<KycReviewOutcome, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        let identity: Uuid =
            sqlx::query_scalar("SELECT identity_id FROM kyc_verifications WHERE id = $1")
                .bind(id.as_uuid())
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
        let suspended = lock_profile(&mut tx, identity).await?;
        let (approve, reason) = match &decision {
            KycDecision::Approve => (true, None),
            KycDecision::Reject(reason) => (false, Some(reason.as_str())),
        };
        let Ok(new_status) = KycStatus::Pending.review(approve) else {
            return Err(StoreError::Unexpected(
                "a pending verification must be reviewable".into(),
            ));
        };
        let row = sqlx::query(concat!("UPDATE kyc_verifications SET status = $2, reviewed_by = $3, reviewed_at = $4, rejection_reason = $5 \
             WHERE id = $1 AND status = 'pending' RETURNING ", kyc_columns!()))
        .bind(id.as_uuid())
        .bind(new_status.as_str())
        .bind(reviewer.as_uuid())
        .bind(now)
        .bind(reason)
        .fetch_optional(&mut *tx)
        .await
        .map_err(map_err)?;
        let Some(row) = row else {
            let current = fetch_kyc(&mut tx, id.as_uuid()).await?;
            return Ok(KycReviewOutcome::NotPending(current));
        };
        let verification = kyc_from_row(&row).map_err(map_err)?;
        let profile = restand(&mut tx, identity, suspended, now).await?;
        tx.commit().await.map_err(map_err)?;
        Ok(KycReviewOutcome::Reviewed {
            verification,
            profile: Box::new(profile),
        })
    }

    #[tracing::instrument(skip_all)]
    async fn expire_due_kyc(&self, now: DateTime<Utc>) -> Result<Vec<KycExpired>, StoreError> {
        let identities: Vec<Uuid> = sqlx::query_scalar(
            "SELECT DISTINCT identity_id FROM kyc_verifications \
             WHERE status = ANY($1) AND expires_at <= $2 ORDER BY identity_id LIMIT $3",
        )
        .bind(expirable())
        .bind(now)
        .bind(EXPIRY_BATCH)
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        let mut expired = Vec::new();
        // One transaction per profile, profile lock first, so the sweep never holds a
        // verification's lock while waiting for a profile that a review holds.
        for identity in identities {
            let mut tx = self.pool.begin().await.map_err(map_err)?;
            let suspended = lock_profile(&mut tx, identity).await?;
            let rows = sqlx::query(concat!(
                "UPDATE kyc_verifications SET status = 'expired' \
                 WHERE identity_id = $1 AND status = ANY($2) AND expires_at <= $3 RETURNING ",
                kyc_columns!()
            ))
            .bind(identity)
            .bind(expirable())
            .bind(now)
            .fetch_all(&mut *tx)
            .await
            .map_err(map_err)?;
            if rows.is_empty() {
                // A concurrent sweep got here first.
                continue;
            }
            let profile = restand(&mut tx, identity, suspended, now).await?;
            tx.commit().await.map_err(map_err)?;
            for row in &rows {
                expired.push(KycExpired {
                    verification: kyc_from_row(row).map_err(map_err)?,
                    profile: profile.clone(),
                });
            }
        }
        Ok(expired)
    }

    #[tracing::instrument(skip_all)]
    async fn create_attestation(
        &self,
        attestation: NewAttestation,
    ) -> Result<AttestationRecord, StoreError> {
        let row = sqlx::query(concat!("INSERT INTO attestations (id, identity_id, attestation_type, issuer, claim, proof_hash, issued_at, \
             expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $7) RETURNING ", attestation_columns!()))
        .bind(attestation.id.as_uuid())
        .bind(attestation.identity_id.as_uuid())
        .bind(&attestation.attestation_type)
        .bind(&attestation.issuer)
        .bind(attestation.claim.canonical())
        .bind(attestation.claim.proof_hash())
        .bind(attestation.issued_at)
        .bind(attestation.expires_at)
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        attestation_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn attestation(&self, id: AttestationId) -> Result<AttestationRecord, StoreError> {
        let row = sqlx::query(concat!(
            "SELECT ",
            attestation_columns!(),
            " FROM attestations WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_one(&self.pool)
        .await
        .map_err(map_err)?;
        attestation_from_row(&row).map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn attestations(
        &self,
        identity: IdentityId,
    ) -> Result<Vec<AttestationRecord>, StoreError> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            attestation_columns!(),
            " FROM attestations WHERE identity_id = $1 ORDER BY created_at, id"
        ))
        .bind(identity.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(map_err)?;
        rows.iter()
            .map(attestation_from_row)
            .collect::<Result<_, _>>()
            .map_err(map_err)
    }

    #[tracing::instrument(skip_all)]
    async fn revoke_attestation(
        &self,
        id: AttestationId,
        reason: Reason,
        now: DateTime<Utc>,
    ) -> Result<AttestationRevocation, StoreError> {
        let row = sqlx::query(concat!(
            "UPDATE attestations SET revoked_at = $2, revocation_reason = $3 \
             WHERE id = $1 AND revoked_at IS NULL RETURNING ",
            attestation_columns!()
        ))
        .bind(id.as_uuid())
        .bind(now)
        .bind(reason.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(map_err)?;
        match row {
            Some(row) => Ok(AttestationRevocation::Revoked(
                attestation_from_row(&row).map_err(map_err)?,
            )),
            None => Ok(AttestationRevocation::AlreadyRevoked(
                self.attestation(id).await?,
            )),
        }
    }

    #[tracing::instrument(skip_all)]
    async fn set_role(&self, target: IdentityId, role: Role) -> Result<RoleChange, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ROLE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let current: String =
            sqlx::query_scalar("SELECT role FROM identity_profiles WHERE id = $1 FOR UPDATE")
                .bind(target.as_uuid())
                .fetch_one(&mut *tx)
                .await
                .map_err(map_err)?;
        let previous = Role::parse(&current).map_err(corrupt("role"))?;
        let admins: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM identity_profiles WHERE role = 'admin' AND is_active",
        )
        .fetch_one(&mut *tx)
        .await
        .map_err(map_err)?;
        let change = RoleChange::decide(previous, role, admins);
        if !matches!(change, RoleChange::Changed { .. }) {
            return Ok(change);
        }
        sqlx::query("UPDATE identity_profiles SET role = $2 WHERE id = $1")
            .bind(target.as_uuid())
            .bind(role.as_str())
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(change)
    }

    #[tracing::instrument(skip_all)]
    async fn bootstrap_admin(&self, identity: IdentityId) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await.map_err(map_err)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ROLE_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(map_err)?;
        let done = sqlx::query(
            "UPDATE identity_profiles SET role = 'admin' \
             WHERE id = $1 AND NOT EXISTS (SELECT 1 FROM identity_profiles WHERE role = 'admin')",
        )
        .bind(identity.as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
        tx.commit().await.map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }
}
