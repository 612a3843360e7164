//! The hardware-pass registry: enrolling passes (for oneself, or by desk staff for someone),
//! listing, revoking, reporting lost, the expiry sweep, single-use challenges and the
//! signature counter. Talking to the device is the pass protocol's job, not this module's.

use crate::MultipassApi;
use crate::caller::Caller;
use crate::error::{ApiError, ErrorCode};
use crate::identity::{future_time, parse_id, time_text};
use multipass_domain::kyc::Reason;
use multipass_domain::pass::{
    Capabilities, Challenge, ChallengePurpose, CosePublicKey, DeviceType, PassAlgorithm,
    PassCredentialId, PassEvent, PassLabel, PassStatus,
};
use multipass_domain::{ChallengeId, PassId, Role, SessionToken};
use multipass_store::passes::{
    ChallengeConsumption, ChallengeRecord, NewChallenge, NewPass, PassRecord, PassStatusChange,
    SignCountUpdate,
};
use multipass_store::{NotificationKind, SecurityEventType};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PassView {
    pub id: String,
    pub identity_id: String,
    pub enrolled_by: Option<String>,
    pub device_type: String,
    pub label: String,
    pub credential_id: String,
    pub public_key: String,
    /// COSE algorithm: -7 (ES256) or -8 (EdDSA).
    pub algorithm: i32,
    pub aaguid: Option<String>,
    #[ts(type = "number")]
    pub sign_count: i64,
    pub capabilities: Vec<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    pub created_at: String,
}

impl From<PassRecord> for PassView {
    fn from(p: PassRecord) -> Self {
        Self {
            id: p.id.to_string(),
            identity_id: p.identity_id.to_string(),
            enrolled_by: p.enrolled_by.map(|id| id.to_string()),
            device_type: p.device_type,
            label: p.label,
            credential_id: p.credential_id,
            public_key: p.public_key,
            algorithm: p.algorithm,
            aaguid: p.aaguid.map(|id| id.to_string()),
            sign_count: p.sign_count,
            capabilities: p.capabilities,
            status: p.status,
            status_reason: p.status_reason,
            expires_at: p.expires_at.map(time_text),
            last_used_at: p.last_used_at.map(time_text),
            revoked_at: p.revoked_at.map(time_text),
            created_at: time_text(p.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnrollPassRequest {
    /// Whose pass: a username (desk staff and admins), or the caller's own.
    pub username: Option<String>,
    /// fido2_usb, fido2_nfc or software_pass.
    pub device_type: String,
    #[serde(default)]
    pub label: String,
    /// Unpadded base64url.
    pub credential_id: String,
    /// The COSE key, unpadded base64url.
    pub public_key: String,
    /// COSE algorithm id: -7 or -8.
    pub algorithm: i32,
    pub aaguid: Option<String>,
    #[serde(default)]
    pub sign_count: u32,
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// RFC 3339.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ChallengeView {
    pub id: String,
    pub pass_id: String,
    pub purpose: String,
    /// Hex; sign exactly these bytes.
    pub challenge: String,
    pub expires_at: String,
    pub used_at: Option<String>,
}

impl From<ChallengeRecord> for ChallengeView {
    fn from(c: ChallengeRecord) -> Self {
        Self {
            id: c.id.to_string(),
            pass_id: c.pass_id.to_string(),
            purpose: c.purpose,
            challenge: c.challenge,
            expires_at: time_text(c.expires_at),
            used_at: c.used_at.map(time_text),
        }
    }
}

fn pass_id(raw: &str) -> Result<PassId, ApiError> {
    parse_id("passId", raw).map(PassId::from_uuid)
}

fn not_active(pass: &PassRecord) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidState,
        format!(
            "This pass is {}; only an active pass can do that, and a pass never becomes active again.",
            pass.status
        ),
    )
}

impl MultipassApi {
    /// The pass `id`, if the caller holds it or has `override_role`.
    async fn pass_for(
        &self,
        caller: &Caller,
        id: PassId,
        override_role: Role,
    ) -> Result<PassRecord, ApiError> {
        let pass = self.store.pass(id).await?;
        caller.require_self_or(pass.identity_id, override_role)?;
        Ok(pass)
    }

    #[tracing::instrument(skip_all)]
    pub async fn enroll_pass(
        &self,
        token: &SessionToken,
        request: EnrollPassRequest,
    ) -> Result<PassView, ApiError> {
        let caller = self.caller(token).await?;
        let holder = self
            .target_identity(&caller, request.username.as_deref())
            .await?;
        caller.require_self_or(holder, Role::Desk)?;
        let now = self.clock.now();
        let aaguid = request
            .aaguid
            .as_deref()
            .filter(|a| !a.trim().is_empty())
            .map(|a| parse_id("aaguid", a))
            .transpose()?;
        let pass = NewPass {
            id: PassId::new_random(),
            identity_id: holder,
            enrolled_by: (holder != caller.identity_id).then_some(caller.identity_id),
            device_type: DeviceType::parse(&request.device_type)?,
            label: PassLabel::parse(&request.label)?,
            credential_id: PassCredentialId::parse(&request.credential_id)?,
            public_key: CosePublicKey::parse(&request.public_key)?,
            algorithm: PassAlgorithm::from_cose(i64::from(request.algorithm))?,
            aaguid,
            sign_count: request.sign_count,
            capabilities: Capabilities::parse(&request.capabilities)?,
            expires_at: future_time("expiresAt", request.expires_at.as_deref(), now)?,
            created_at: now,
        };
        let record = self.store.enroll_pass(pass).await?;
        self.audit(
            Some(holder),
            Some(caller.identity_id),
            SecurityEventType::PassEnrolled,
            serde_json::json!({ "passId": record.id, "deviceType": record.device_type }),
        )
        .await?;
        self.notify(
            holder,
            NotificationKind::PassEnrolled,
            "A hardware pass was enrolled",
            format!(
                "The {} pass {:?} can now be used to sign in. If you did not ask for this, revoke it.",
                record.device_type.replace('_', " "),
                record.label
            ),
            serde_json::json!({ "passId": record.id }),
        )
        .await;
        Ok(record.into())
    }

    /// One's own passes, or anyone's for desk staff and admins.
    #[tracing::instrument(skip_all)]
    pub async fn passes(
        &self,
        token: &SessionToken,
        username: Option<&str>,
    ) -> Result<Vec<PassView>, ApiError> {
        let caller = self.caller(token).await?;
        let holder = self.target_identity(&caller, username).await?;
        caller.require_self_or(holder, Role::Desk)?;
        let records = self.store.passes(holder).await?;
        Ok(records.into_iter().map(PassView::from).collect())
    }

    /// Revokes a pass for good (its holder, desk staff or admins).
    pub async fn revoke_pass(
        &self,
        token: &SessionToken,
        pass: &str,
        reason: Option<&str>,
    ) -> Result<PassView, ApiError> {
        self.end_pass(token, pass, PassEvent::Revoke, reason).await
    }

    /// Marks a pass lost; like revocation it is final.
    pub async fn report_pass_lost(
        &self,
        token: &SessionToken,
        pass: &str,
        reason: Option<&str>,
    ) -> Result<PassView, ApiError> {
        self.end_pass(token, pass, PassEvent::ReportLost, reason)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn end_pass(
        &self,
        token: &SessionToken,
        pass: &str,
        event: PassEvent,
        reason: Option<&str>,
    ) -> Result<PassView, ApiError> {
        let caller = self.caller(token).await?;
        let id = pass_id(pass)?;
        let reason = reason
            .filter(|r| !r.trim().is_empty())
            .map(|r| Reason::parse("reason", r))
            .transpose()?;
        self.pass_for(&caller, id, Role::Desk).await?;
        let record = match self
            .store
            .change_pass_status(id, event, reason, self.clock.now())
            .await?
        {
            PassStatusChange::Changed(record) => record,
            PassStatusChange::Refused(current) => return Err(not_active(&current)),
        };
        let (event_type, title) = match event {
            PassEvent::ReportLost => (
                SecurityEventType::PassLost,
                "A hardware pass was reported lost",
            ),
            _ => (
                SecurityEventType::PassRevoked,
                "A hardware pass was revoked",
            ),
        };
        self.audit(
            Some(record.identity_id),
            Some(caller.identity_id),
            event_type,
            serde_json::json!({ "passId": record.id, "reason": record.status_reason }),
        )
        .await?;
        self.notify(
            record.identity_id,
            NotificationKind::PassRevoked,
            title,
            format!(
                "The pass {:?} can no longer be used to sign in.",
                record.label
            ),
            serde_json::json!({ "passId": record.id, "status": record.status }),
        )
        .await;
        Ok(record.into())
    }

    /// Expires every active pass past its expiry date (admins; safe to repeat).
    #[tracing::instrument(skip_all)]
    pub async fn expire_due_passes(&self, token: &SessionToken) -> Result<Vec<PassView>, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let expired = self.store.expire_due_passes(self.clock.now()).await?;
        for record in &expired {
            self.audit(
                Some(record.identity_id),
                Some(caller.identity_id),
                SecurityEventType::PassExpired,
                serde_json::json!({ "passId": record.id }),
            )
            .await?;
        }
        Ok(expired.into_iter().map(PassView::from).collect())
    }

    /// A fresh challenge for one of the caller's active passes, valid for the configured
    /// time (two minutes by default).
    #[tracing::instrument(skip_all)]
    pub async fn issue_challenge(
        &self,
        token: &SessionToken,
        pass: &str,
        purpose: &str,
    ) -> Result<ChallengeView, ApiError> {
        let caller = self.caller(token).await?;
        let id = pass_id(pass)?;
        let purpose = ChallengePurpose::parse(purpose)?;
        let record = self.pass_for(&caller, id, Role::Desk).await?;
        if record.status != PassStatus::Active.as_str() {
            return Err(not_active(&record));
        }
        let now = self.clock.now();
        let challenge = self
            .store
            .create_challenge(NewChallenge {
                id: ChallengeId::new_random(),
                pass_id: id,
                purpose,
                challenge: Challenge::from_random(rand::random()),
                created_at: now,
                expires_at: now + self.rules().await?.passes.challenge_ttl,
            })
            .await?;
        Ok(challenge.into())
    }

    /// Uses up a challenge the caller's pass answered: once only, before it expires.
    ///
    /// Not an operation a client may call: its word that the pass answered proves nothing.
    /// Ceremonies consume their challenges themselves once the assertion verifies; this is
    /// the registry's rule for them and for tools in this process.
    #[tracing::instrument(skip_all)]
    pub async fn consume_challenge(
        &self,
        token: &SessionToken,
        pass: &str,
        challenge: &str,
    ) -> Result<ChallengeView, ApiError> {
        let caller = self.caller(token).await?;
        let id = pass_id(pass)?;
        let challenge = Challenge::parse(challenge)?;
        let outcome = self
            .store
            .consume_challenge(&challenge, id, caller.identity_id, self.clock.now())
            .await?;
        consumed(outcome).map(ChallengeView::from)
    }

    /// Records a use of the caller's pass with the signature count the device reported. A
    /// count that does not advance is refused and audited as a possible clone. Not an
    /// operation, for the reason [`Self::consume_challenge`] gives.
    #[tracing::instrument(skip_all)]
    pub async fn record_pass_use(
        &self,
        token: &SessionToken,
        pass: &str,
        sign_count: u32,
    ) -> Result<(), ApiError> {
        let caller = self.caller(token).await?;
        let id = pass_id(pass)?;
        let record = self.pass_for(&caller, id, Role::Admin).await?;
        match self
            .store
            .record_pass_use(id, sign_count, self.clock.now())
            .await?
        {
            SignCountUpdate::Recorded => Ok(()),
            SignCountUpdate::PassNotActive => Err(not_active(&record)),
            SignCountUpdate::Regressed { stored } => {
                Err(self.refuse_clone(&record, stored, sign_count).await?)
            }
        }
    }

    /// Audits and tells the holder that `pass` presented a count that did not advance,
    /// and gives the error that refuses the use.
    pub(crate) async fn refuse_clone(
        &self,
        pass: &PassRecord,
        stored: u64,
        presented: u32,
    ) -> Result<ApiError, ApiError> {
        tracing::warn!(pass = %pass.id, stored, presented, "pass signature count did not advance");
        self.audit(
            Some(pass.identity_id),
            None,
            SecurityEventType::PassCloneSuspected,
            serde_json::json!({ "passId": pass.id, "stored": stored, "presented": presented }),
        )
        .await?;
        self.notify(
            pass.identity_id,
            NotificationKind::SecurityAlert,
            "Your hardware pass may have been copied",
            format!(
                "The pass {:?} answered with a signature count that went backwards, which can mean it was cloned. \
                 The sign-in was refused; contact the desk.",
                pass.label
            ),
            serde_json::json!({ "passId": pass.id }),
        )
        .await;
        Ok(ApiError::new(
            ErrorCode::InvalidState,
            "This pass reported a signature count that did not advance, which can mean it was cloned. \
             The use was refused; contact the desk.",
        ))
    }
}

/// A challenge consumption as the API answers it.
pub(crate) fn consumed(outcome: ChallengeConsumption) -> Result<ChallengeRecord, ApiError> {
    match outcome {
        ChallengeConsumption::Consumed(record) => Ok(record),
        ChallengeConsumption::NotFound => Err(ApiError::new(
            ErrorCode::NotFound,
            "No such challenge was issued for this pass.",
        )),
        ChallengeConsumption::Expired => Err(ApiError::new(
            ErrorCode::Expired,
            "This challenge has expired; ask for a new one.",
        )),
        ChallengeConsumption::AlreadyUsed => Err(ApiError::new(
            ErrorCode::AlreadyUsed,
            "This challenge was already used; ask for a new one.",
        )),
        ChallengeConsumption::PassNotActive => Err(ApiError::new(
            ErrorCode::InvalidState,
            "This pass is no longer active.",
        )),
    }
}
