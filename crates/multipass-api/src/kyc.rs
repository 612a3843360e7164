//! KYC verifications: submitting a document's digest, admin review, and the expiry sweep.
//!
//! The document never leaves the user's machine: it is streamed through SHA3-256 here and
//! only the hex digest is stored.

use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use crate::identity::{ProfileView, future_time, parse_id, time_text};
use multipass_domain::kyc::{KycStatus, Reason, VerificationType, short_text};
use multipass_domain::{KycVerificationId, Role, SessionToken};
use multipass_store::identity::{KycDecision, KycRecord, KycReviewOutcome, NewKycVerification};
use multipass_store::{NotificationKind, SecurityEventType};
use serde::{Deserialize, Serialize};
use sha3::{Digest, Sha3_256};
use std::io::Read;
use std::path::{Path, PathBuf};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KycView {
    pub id: String,
    pub identity_id: String,
    pub verification_type: String,
    /// SHA3-256 of the document, hex.
    pub document_hash: String,
    pub provider: String,
    pub status: String,
    /// The level this verification stands for (see `VerificationType::proves_level`).
    pub kyc_level: i16,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<String>,
    pub rejection_reason: Option<String>,
    pub expires_at: Option<String>,
    pub created_at: String,
}

impl From<KycRecord> for KycView {
    fn from(k: KycRecord) -> Self {
        Self {
            id: k.id.to_string(),
            identity_id: k.identity_id.to_string(),
            verification_type: k.verification_type,
            document_hash: k.document_hash,
            provider: k.provider,
            status: k.status,
            kyc_level: k.kyc_level,
            reviewed_by: k.reviewed_by.map(|id| id.to_string()),
            reviewed_at: k.reviewed_at.map(time_text),
            rejection_reason: k.rejection_reason,
            expires_at: k.expires_at.map(time_text),
            created_at: time_text(k.created_at),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KycSubmitRequest {
    /// Whose verification: a username (desk staff and admins), or the caller's own.
    pub username: Option<String>,
    /// government_id, proof_of_address, selfie or biometric.
    pub verification_type: String,
    /// The document on this machine; it is read and hashed, never uploaded or stored.
    pub document_path: String,
    /// Who checked the document (e.g. the KYC vendor), 1 to 200 characters.
    pub provider: String,
    /// RFC 3339; when the verification lapses, if ever.
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct KycSubmitted {
    pub verification: KycView,
    pub profile: ProfileView,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KycReviewDecision {
    Approve,
    Reject,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KycReviewRequest {
    pub verification_id: String,
    pub decision: KycReviewDecision,
    /// Required when rejecting; shown to the person.
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KycListRequest {
    /// Whose verifications (desk staff and admins), or the caller's own.
    pub username: Option<String>,
    /// Only this status (pending, approved, rejected, expired).
    pub status: Option<String>,
    /// Everyone's (admins): with `status: "pending"`, the review queue.
    #[serde(default)]
    pub all: bool,
}

/// Where the document comes from: a file on this machine or bytes already in memory.
#[derive(Debug, Clone)]
pub enum KycDocument {
    Path(PathBuf),
    Bytes(Vec<u8>),
}

/// Streams `path` through SHA3-256 without holding the whole file.
fn digest_file(path: &Path) -> Result<String, ApiError> {
    let unreadable = |e: std::io::Error| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "it does not exist".to_owned(),
            std::io::ErrorKind::PermissionDenied => "permission was denied".to_owned(),
            _ => e.to_string(),
        };
        ApiError::new(
            ErrorCode::InvalidInput,
            format!("The document {} cannot be read: {why}.", path.display()),
        )
        .with_field("documentPath")
    };
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    if file.metadata().map_err(unreadable)?.is_dir() {
        return Err(ApiError::new(
            ErrorCode::InvalidInput,
            format!("{} is a folder; choose the document file.", path.display()),
        )
        .with_field("documentPath"));
    }
    let mut hasher = Sha3_256::new();
    let mut buffer = vec![0_u8; 64 * 1024];
    let mut total = 0_u64;
    loop {
        let read = file.read(&mut buffer).map_err(unreadable)?;
        if read == 0 {
            break;
        }
        total += read as u64;
        hasher.update(&buffer[..read]);
    }
    if total == 0 {
        return Err(empty_document());
    }
    Ok(hex::encode(hasher.finalize()))
}

fn empty_document() -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, "The document is empty.").with_field("documentPath")
}

async fn digest(document: KycDocument) -> Result<String, ApiError> {
    match document {
        KycDocument::Bytes(bytes) if bytes.is_empty() => Err(empty_document()),
        KycDocument::Bytes(bytes) => Ok(hex::encode(Sha3_256::digest(&bytes))),
        KycDocument::Path(path) => tokio::task::spawn_blocking(move || digest_file(&path))
            .await
            .map_err(|e| ApiError::internal("Hashing the document failed", &e))?,
    }
}

impl MultipassApi {
    /// Submits a verification of the document at `request.document_path`.
    pub async fn submit_kyc(
        &self,
        token: &SessionToken,
        request: KycSubmitRequest,
    ) -> Result<KycSubmitted, ApiError> {
        let document = KycDocument::Path(PathBuf::from(&request.document_path));
        self.submit_kyc_document(token, request, document).await
    }

    /// Submits a verification; `document` replaces `request.document_path`.
    #[tracing::instrument(skip_all)]
    pub async fn submit_kyc_document(
        &self,
        token: &SessionToken,
        request: KycSubmitRequest,
        document: KycDocument,
    ) -> Result<KycSubmitted, ApiError> {
        let caller = self.caller(token).await?;
        let target = self
            .target_identity(&caller, request.username.as_deref())
            .await?;
        caller.require_self_or(target, Role::Desk)?;
        let now = self.clock.now();
        let verification_type = VerificationType::parse(&request.verification_type)?;
        let provider = short_text("provider", &request.provider, 200)?;
        let expires_at = future_time("expiresAt", request.expires_at.as_deref(), now)?;
        let document_hash = digest(document).await?;
        let (verification, profile) = self
            .store
            .submit_kyc(
                NewKycVerification {
                    id: KycVerificationId::new_random(),
                    identity_id: target,
                    verification_type,
                    document_hash,
                    provider,
                    expires_at,
                    created_at: now,
                },
                now,
            )
            .await?;
        tracing::info!(identity = %target, verification = %verification.id, "KYC verification submitted");
        Ok(KycSubmitted {
            verification: verification.into(),
            profile: profile.into(),
        })
    }

    #[tracing::instrument(skip_all)]
    pub async fn kyc_verifications(
        &self,
        token: &SessionToken,
        request: KycListRequest,
    ) -> Result<Vec<KycView>, ApiError> {
        let caller = self.caller(token).await?;
        let status = request
            .status
            .as_deref()
            .map(KycStatus::parse)
            .transpose()?
            .map(KycStatus::as_str);
        let identity = if request.all {
            caller.require(Role::Admin)?;
            None
        } else {
            let target = self
                .target_identity(&caller, request.username.as_deref())
                .await?;
            caller.require_self_or(target, Role::Desk)?;
            Some(target)
        };
        let records = self.store.kyc_verifications(identity, status).await?;
        Ok(records.into_iter().map(KycView::from).collect())
    }

    /// An admin's decision on a pending verification. Nobody reviews their own.
    #[tracing::instrument(skip_all)]
    pub async fn review_kyc(
        &self,
        token: &SessionToken,
        request: KycReviewRequest,
    ) -> Result<KycSubmitted, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let id =
            KycVerificationId::from_uuid(parse_id("verificationId", &request.verification_id)?);
        let decision = match request.decision {
            KycReviewDecision::Approve => KycDecision::Approve,
            KycReviewDecision::Reject => KycDecision::Reject(Reason::parse(
                "reason",
                request.reason.as_deref().unwrap_or_default(),
            )?),
        };
        let existing = self.store.kyc_verification(id).await?;
        if existing.identity_id == caller.identity_id {
            return Err(ApiError::new(
                ErrorCode::Forbidden,
                "You cannot review your own verification; another admin has to.",
            ));
        }
        let outcome = self
            .store
            .review_kyc(id, decision, caller.identity_id, self.clock.now())
            .await?;
        let (verification, profile) = match outcome {
            KycReviewOutcome::Reviewed {
                verification,
                profile,
            } => (verification, *profile),
            KycReviewOutcome::NotPending(current) => {
                return Err(ApiError::new(
                    ErrorCode::InvalidState,
                    format!(
                        "This verification is already {}; only a pending one can be reviewed.",
                        current.status
                    ),
                ));
            }
        };
        self.audit(
            Some(verification.identity_id),
            Some(caller.identity_id),
            SecurityEventType::KycReviewed,
            serde_json::json!({
                "verificationId": verification.id,
                "verificationType": verification.verification_type,
                "decision": verification.status,
                "kycLevel": profile.kyc_level,
            }),
        )
        .await?;
        self.notify_kyc(&verification, profile.kyc_level).await;
        Ok(KycSubmitted {
            verification: verification.into(),
            profile: profile.into(),
        })
    }

    /// Expires every verification past its expiry (admins; also safe to run from a timer:
    /// running it again changes nothing).
    #[tracing::instrument(skip_all)]
    pub async fn expire_due_kyc(&self, token: &SessionToken) -> Result<Vec<KycView>, ApiError> {
        self.caller(token).await?.require(Role::Admin)?;
        let expired = self.store.expire_due_kyc(self.clock.now()).await?;
        for item in &expired {
            self.notify_kyc(&item.verification, item.profile.kyc_level)
                .await;
        }
        Ok(expired
            .into_iter()
            .map(|item| KycView::from(item.verification))
            .collect())
    }

    async fn notify_kyc(&self, verification: &KycRecord, level: i16) {
        let kind = verification.verification_type.replace('_', " ");
        let (title, body) = match verification.status.as_str() {
            "approved" => (
                format!("Your {kind} verification was approved"),
                format!("Your KYC level is now {level}."),
            ),
            "rejected" => (
                format!("Your {kind} verification was rejected"),
                format!(
                    "Reason: {}. Your KYC level is {level}.",
                    verification
                        .rejection_reason
                        .as_deref()
                        .unwrap_or("none given")
                ),
            ),
            _ => (
                format!("Your {kind} verification expired"),
                format!("Your KYC level is now {level}. Submit a new verification to restore it."),
            ),
        };
        self.notify(
            verification.identity_id,
            NotificationKind::KycDecision,
            title,
            body,
            serde_json::json!({
                "verificationId": verification.id,
                "status": verification.status,
                "kycLevel": level,
            }),
        )
        .await;
    }
}
