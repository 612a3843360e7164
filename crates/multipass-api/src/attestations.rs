//! Attestations: admins issue and revoke them; their holder, desk staff and admins read them;
//! anyone signed in can verify one, which recomputes its digest from the stored claim.

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use crate::identity::{future_time, parse_id, time_text};
use multipass_domain::attestation::{
    AnchorState, AttestationState, Claim, StoredAttestation, proof_hash_of, verify,
};
use multipass_domain::kyc::{Reason, short_text};
use multipass_domain::{AttestationId, Role, SessionToken};
use multipass_store::identity::{AttestationRecord, AttestationRevocation, NewAttestation};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttestationView {
    pub id: String,
    pub identity_id: String,
    pub attestation_type: String,
    pub issuer: String,
    /// The canonical JSON text the proof hash was computed over.
    pub claim: String,
    /// SHA3-256 of `claim`, hex.
    pub proof_hash: String,
    pub issued_at: String,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    pub revocation_reason: Option<String>,
    /// `not_anchored` until chain anchoring exists.
    #[ts(type = "\"not_anchored\" | \"anchored\"")]
    pub anchor: AnchorState,
    pub chain_anchor_tx: Option<String>,
}

impl From<AttestationRecord> for AttestationView {
    fn from(a: AttestationRecord) -> Self {
        Self {
            id: a.id.to_string(),
            identity_id: a.identity_id.to_string(),
            attestation_type: a.attestation_type,
            issuer: a.issuer,
            claim: a.claim,
            proof_hash: a.proof_hash,
            issued_at: time_text(a.issued_at),
            expires_at: a.expires_at.map(time_text),
            revoked_at: a.revoked_at.map(time_text),
            revocation_reason: a.revocation_reason,
            anchor: AnchorState::of(a.chain_anchor_tx.as_deref()),
            chain_anchor_tx: a.chain_anchor_tx,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AttestRequest {
    /// Whom the attestation is about.
    pub username: String,
    /// 1 to 100 characters, e.g. `over_18` or `employee`.
    pub attestation_type: String,
    /// Who vouches for the claim, 1 to 200 characters.
    pub issuer: String,
    /// A JSON object; see `multipass_domain::attestation` for its canonical form.
    #[ts(type = "Record<string, unknown>")]
    pub claim: serde_json::Value,
    /// RFC 3339.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AttestationCheck {
    pub attestation_id: String,
    #[ts(type = "\"valid\" | \"tampered\" | \"revoked\" | \"expired\"")]
    pub state: AttestationState,
    pub valid: bool,
    pub proof_hash: String,
    /// The digest of the claim as stored now.
    pub recomputed_hash: String,
    #[ts(type = "\"not_anchored\" | \"anchored\"")]
    pub anchor: AnchorState,
    pub message: String,
}

fn check_message(state: AttestationState) -> &'static str {
    match state {
        AttestationState::Valid => {
            "Valid: the claim matches its proof hash, and it is neither revoked nor expired."
        }
        AttestationState::Tampered => {
            "Invalid: the stored claim no longer matches its proof hash; it was altered."
        }
        AttestationState::Revoked => "Invalid: this attestation was revoked.",
        AttestationState::Expired => "Invalid: this attestation has expired.",
    }
}

impl MultipassApi {
    #[tracing::instrument(skip_all)]
    pub async fn attest(
        &self,
        token: &SessionToken,
        request: AttestRequest,
    ) -> Result<AttestationView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let subject = self
            .target_identity(&caller, Some(&request.username))
            .await?;
        let now = self.clock.now();
        let record = self
            .store
            .create_attestation(NewAttestation {
                id: AttestationId::new_random(),
                identity_id: subject,
                attestation_type: short_text("attestationType", &request.attestation_type, 100)?,
                issuer: short_text("issuer", &request.issuer, 200)?,
                claim: Claim::parse(&request.claim)?,
                issued_at: now,
                expires_at: future_time("expiresAt", request.expires_at.as_deref(), now)?,
            })
            .await?;
        tracing::info!(identity = %subject, attestation = %record.id, "attestation issued");
        Ok(record.into())
    }

    /// The attestations about a person: one's own, or anyone's for desk staff and admins.
    #[tracing::instrument(skip_all)]
    pub async fn attestations(
        &self,
        token: &SessionToken,
        username: Option<&str>,
    ) -> Result<Vec<AttestationView>, ApiError> {
        let caller = self.caller(token).await?;
        let target = self.target_identity(&caller, username).await?;
        caller.require_self_or(target, Role::Desk)?;
        let records = self.store.attestations(target).await?;
        Ok(records.into_iter().map(AttestationView::from).collect())
    }

    #[tracing::instrument(skip_all)]
    pub async fn verify_attestation(
        &self,
        token: &SessionToken,
        attestation_id: &str,
    ) -> Result<AttestationCheck, ApiError> {
        self.caller(token).await?;
        let id = AttestationId::from_uuid(parse_id("attestationId", attestation_id)?);
        let record = self.store.attestation(id).await?;
        let state = verify(
            StoredAttestation {
                claim: &record.claim,
                proof_hash: &record.proof_hash,
                revoked_at: record.revoked_at,
                expires_at: record.expires_at,
            },
            self.clock.now(),
        );
        Ok(AttestationCheck {
            attestation_id: record.id.to_string(),
            state,
            valid: state == AttestationState::Valid,
            recomputed_hash: proof_hash_of(&record.claim),
            proof_hash: record.proof_hash,
            anchor: AnchorState::of(record.chain_anchor_tx.as_deref()),
            message: check_message(state).to_owned(),
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn revoke_attestation(
        &self,
        token: &SessionToken,
        attestation_id: &str,
        reason: &str,
    ) -> Result<AttestationView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let id = AttestationId::from_uuid(parse_id("attestationId", attestation_id)?);
        let reason = Reason::parse("reason", reason)?;
        match self
            .store
            .revoke_attestation(id, reason, self.clock.now())
            .await?
        {
            AttestationRevocation::Revoked(record) => {
                tracing::info!(attestation = %record.id, "attestation revoked");
                Ok(record.into())
            }
            AttestationRevocation::AlreadyRevoked(_) => Err(ApiError::new(
                ErrorCode::InvalidState,
                "This attestation was already revoked.",
            )),
        }
    }
}
