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
use crate::error::{ApiError, ErrorCode};
use crate::passes::{ChallengeView, EnrollPassRequest, PassView};
use multipass_store::passes::PassRecord;

#[derive(Clone, Serialize, Deserialize, TS)]
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
    /// RFC 3339; from then on the pass no longer signs in. None: it does not expire.
    #[serde(default)]
    pub expires_at: Option<String>,
}

impl std::fmt::Debug for DeskEnrolmentRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskEnrolmentRequest")
            .field("username", &self.username)
            .field("device", &self.device)
            .field("pin", &self.pin.as_ref().map(|_| "[redacted]"))
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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
        // Checked now so that a bad date does not waste a touch.
        crate::identity::future_time("expiresAt", request.expires_at.as_deref(), self.clock.now())?;
        // The holder's own active credentials go in the exclude list (the pass refuses to
        // make another); everyone else's are asked about silently before anything is made.
        let (own, others): (Vec<PassRecord>, Vec<PassRecord>) = self
            .store
            .active_passes()
            .await?
            .into_iter()
            .partition(|p| p.identity_id == holder);
        let exclude = own
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
        let probe_rp_id = rp_id.clone();
        let made = self
            .pass_reader()
            .run(control, move |source, interaction| {
                let info = source.info(&device)?;
                let candidates = same_model(&others, &info);
                if let Some(id) =
                    source.recognised_credential(&device, &probe_rp_id, &candidates, interaction)?
                {
                    return Ok(Made::AlreadyHeld(id, others));
                }
                let registration =
                    source.make_credential(&device, &make, pin.as_deref(), interaction)?;
                Ok(Made::Registered(Box::new((info, registration))))
            })
            .await?;
        let (info, registration) = match made {
            Made::Registered(made) => *made,
            Made::AlreadyHeld(id, others) => {
                return Err(self.held_by_someone_else(&caller, &id, &others).await);
            }
        };
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
                    expires_at: request.expires_at.clone(),
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

enum Made {
    Registered(Box<(Info, multipass_pass::Registration)>),
    /// The pass answers for this credential of another person's active pass.
    AlreadyHeld(Vec<u8>, Vec<PassRecord>),
}

/// The credentials worth asking the pass about: those made on the same model (same AAGUID),
/// and those whose model is unknown. Passes of another model cannot hold them.
fn same_model(passes: &[PassRecord], info: &Info) -> Vec<Vec<u8>> {
    let aaguid = uuid::Uuid::from_bytes(info.aaguid);
    passes
        .iter()
        .filter(|p| p.aaguid.is_none_or(|a| a == aaguid))
        .filter_map(|p| decode_credential(&p.credential_id))
        .collect()
}

impl MultipassApi {
    /// Desk staff learn whose pass it is, so they can sort it out; a person enrolling their
    /// own pass does not learn who else holds it.
    async fn held_by_someone_else(
        &self,
        caller: &crate::Caller,
        credential: &[u8],
        others: &[PassRecord],
    ) -> ApiError {
        let encoded = URL_SAFE_NO_PAD.encode(credential);
        let owner = others.iter().find(|p| p.credential_id == encoded);
        let name = match owner {
            Some(pass) if caller.role.allows(Role::Desk) => self
                .store
                .identity(pass.identity_id)
                .await
                .ok()
                .map(|identity| identity.username),
            _ => None,
        };
        let message = match name {
            Some(name) => format!(
                "This pass is already enrolled for another person ({name}). Revoke that enrolment first, or use another pass."
            ),
            None => "This pass is already enrolled for another person. Use another pass, or ask desk staff to revoke the other enrolment.".to_owned(),
        };
        ApiError::new(ErrorCode::Conflict, message).with_field("device")
    }
}

fn crate_pass_id(pass: &PassView) -> Result<multipass_domain::PassId, ApiError> {
    crate::identity::parse_id("passId", &pass.id).map(multipass_domain::PassId::from_uuid)
}
