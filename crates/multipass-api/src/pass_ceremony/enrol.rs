//! Desk enrolment: a desk member picks an identity, the pass makes a credential for it, the
//! registry stores it, and one test challenge proves at once that the pass answers for it.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use multipass_domain::pass::{ChallengePurpose, PassEvent as StatusEvent};
use multipass_domain::{Role, SessionToken};
use multipass_pass::cose::{ALG_EDDSA, ALG_ES256};
use multipass_pass::{Info, MakeCredentialRequest};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::challenge::{ClientData, decode_credential};
use super::{CeremonyControl, DeviceRef};
use crate::MultipassApi;
use crate::error::ApiError;
use crate::passes::{ChallengeView, EnrollPassRequest, PassView};

#[derive(Clone, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeskEnrolmentRequest {
    /// Whose pass it becomes.
    pub username: String,
    pub device: DeviceRef,
    /// Empty: the pass's own product name.
    #[serde(default)]
    pub label: String,
    /// The pass's PIN, when it has one.
    #[serde(default)]
    pub pin: Option<String>,
}

impl std::fmt::Debug for DeskEnrolmentRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskEnrolmentRequest")
            .field("username", &self.username)
            .field("device", &self.device)
            .field("pin", &self.pin.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeskEnrolment {
    pub pass: PassView,
    /// The `enrolment_test` challenge the new pass answered.
    pub test_challenge: ChallengeView,
}

/// What the registry records the pass can do, from getInfo.
fn capabilities(info: &Info) -> Vec<String> {
    let mut names = Vec::new();
    if info.client_pin().is_some() {
        names.push("pin".to_owned());
    }
    for option in ["rk", "uv", "up"] {
        if info.options.get(option).copied() == Some(true) {
            names.push(option.to_owned());
        }
    }
    names.extend(
        info.extensions
            .iter()
            .filter(|e| e.as_str() == "hmac-secret" || e.as_str() == "credProtect")
            .map(|e| e.to_ascii_lowercase()),
    );
    names
}

impl MultipassApi {
    /// Enrols the pass at `request.device` for `request.username` (desk staff and admins,
    /// or the person themselves), then runs one test challenge. A pass that fails the test
    /// is revoked again, so no unproven credential stays active.
    #[tracing::instrument(skip_all)]
    pub async fn enrol_pass_at_desk(
        &self,
        token: &SessionToken,
        request: DeskEnrolmentRequest,
        control: &CeremonyControl,
    ) -> Result<DeskEnrolment, ApiError> {
        let caller = self.caller(token).await?;
        let holder = self
            .target_identity(&caller, Some(&request.username))
            .await?;
        caller.require_self_or(holder, Role::Desk)?;
        let exclude = self
            .store
            .passes(holder)
            .await?
            .iter()
            .filter_map(|p| decode_credential(&p.credential_id))
            .collect();
        let rp_id = self.policies.ceremony.rp_id.clone();
        let client_data = ClientData::enrolment(&rp_id, rand::random());
        let mut make = MakeCredentialRequest::new(
            client_data.hash(),
            &rp_id,
            holder.as_uuid().as_bytes(),
            request.username.trim(),
        );
        make.rp_name = Some("Multipass".to_owned());
        make.algorithms = vec![ALG_ES256, ALG_EDDSA];
        make.exclude = exclude;
        let device = request.device.clone();
        let pin = request.pin.clone();
        let (info, registration) = self
            .on_pass(control, move |source, interaction| {
                let info = source.info(&device)?;
                let registration =
                    source.make_credential(&device, &make, pin.as_deref(), interaction)?;
                Ok((info, registration))
            })
            .await?;
        let label = match request.label.trim() {
            "" => info
                .vendor_name
                .clone()
                .unwrap_or_else(|| "Hardware pass".to_owned()),
            label => label.to_owned(),
        };
        let public_key = registration
            .public_key
            .to_cose_bytes()
            .map_err(|e| ApiError::internal("Encoding the pass's public key failed", &e))?;
        let pass = self
            .enroll_pass(
                token,
                EnrollPassRequest {
                    username: Some(request.username.clone()),
                    device_type: request.device.device_type().to_owned(),
                    label,
                    credential_id: URL_SAFE_NO_PAD.encode(&registration.credential_id),
                    public_key: URL_SAFE_NO_PAD.encode(public_key),
                    algorithm: i32::try_from(registration.public_key.algorithm()).unwrap_or(0),
                    aaguid: Some(uuid::Uuid::from_bytes(registration.aaguid).to_string()),
                    sign_count: registration.sign_count,
                    capabilities: capabilities(&info),
                    expires_at: None,
                },
            )
            .await
            .map_err(|e| match e.field.as_deref() {
                Some("credentialId") => {
                    ApiError::new(e.code, super::errors::ALREADY_ENROLLED).with_field("device")
                }
                _ => e,
            })?;
        let record = self.store.pass(crate_pass_id(&pass)?).await?;
        match self
            .answer_one_challenge(
                &record,
                ChallengePurpose::EnrolmentTest,
                &request.device,
                request.pin.as_deref(),
                control,
            )
            .await
        {
            Ok(test_challenge) => Ok(DeskEnrolment {
                pass: self.store.pass(record.id).await?.into(),
                test_challenge,
            }),
            Err(e) => {
                let reason = multipass_domain::kyc::Reason::parse(
                    "reason",
                    "The enrolment test challenge failed",
                )?;
                self.store
                    .change_pass_status(
                        record.id,
                        StatusEvent::Revoke,
                        Some(reason),
                        self.clock.now(),
                    )
                    .await?;
                self.audit(
                    Some(holder),
                    Some(caller.identity_id),
                    multipass_store::SecurityEventType::PassRevoked,
                    serde_json::json!({ "passId": record.id, "reason": "enrolment_test_failed" }),
                )
                .await?;
                Err(e)
            }
        }
    }
}

fn crate_pass_id(pass: &PassView) -> Result<multipass_domain::PassId, ApiError> {
    crate::identity::parse_id("passId", &pass.id).map(multipass_domain::PassId::from_uuid)
}
