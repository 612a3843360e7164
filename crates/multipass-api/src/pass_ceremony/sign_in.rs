//! Sign-in with a pass.
//!
//! `hardware_challenges` rows hang from one pass, while the person may hold several and the
//! app learns which one answered only from the answer. So one challenge is issued per active
//! pass of the identity, the pass signs over all of them at once (see [`ClientData`]), and
//! the challenge of the pass that answered is consumed atomically; the others are consumed
//! after it so that none of them stays open.

use multipass_domain::pass::{ChallengePurpose, PassStatus};
use multipass_domain::{IdentityId, Username};
use multipass_pass::{Assertion, GetAssertionRequest};
use multipass_store::passes::{ChallengeRecord, PassRecord};
use multipass_store::{
    AuthMethod, CredentialRecord, NotificationKind, SecurityEventType, SessionKind,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::challenge::{ClientData, decode_credential};
use super::{CeremonyControl, DeviceRef};
use crate::error::{ApiError, ErrorCode};
use crate::{MultipassApi, SignInOutcome};

#[derive(Clone, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PassSignInRequest {
    pub username: String,
    pub device: DeviceRef,
    #[serde(default)]
    pub pin: Option<String>,
}

impl std::fmt::Debug for PassSignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PassSignInRequest")
            .field("username", &self.username)
            .field("device", &self.device)
            .field("pin", &self.pin.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

/// A sign-in attempt between issuing its challenges and checking the pass's answer. It
/// stays inside the app; only the assertion request goes to the pass.
#[derive(Debug, Clone)]
pub struct SignInChallenge {
    pub identity_id: IdentityId,
    credential: CredentialRecord,
    /// Each active pass with its challenge, in the order the client data lists them.
    pub challenges: Vec<(PassRecord, ChallengeRecord)>,
    pub request: GetAssertionRequest,
}

impl SignInChallenge {
    /// The same attempt presented as `other`'s (to show that a challenge is bound to the
    /// identity it was issued to).
    pub fn presented_as(mut self, other: &SignInChallenge) -> Self {
        self.identity_id = other.identity_id;
        self.credential = other.credential.clone();
        self
    }
}

impl MultipassApi {
    /// Signs `request.username` in with the pass at `request.device`.
    #[tracing::instrument(skip_all)]
    pub async fn sign_in_with_pass(
        &self,
        request: PassSignInRequest,
        kind: SessionKind,
        control: &CeremonyControl,
    ) -> Result<SignInOutcome, ApiError> {
        let attempt = self.begin_pass_sign_in(&request.username).await?;
        let assertion = self
            .run_assertion(
                &request.device,
                &attempt.request,
                request.pin.as_deref(),
                control,
            )
            .await?;
        self.finish_pass_sign_in(&attempt, &assertion, kind).await
    }

    /// Refuses unknown, locked and deactivated accounts as a password sign-in does, and
    /// issues one challenge per active pass.
    #[tracing::instrument(skip_all)]
    pub async fn begin_pass_sign_in(&self, username: &str) -> Result<SignInChallenge, ApiError> {
        let record = match Username::parse(username) {
            Ok(name) => self.store.credentials_by_username(&name).await?,
            Err(_) => None,
        };
        let Some(credential) = record else {
            return self.pass_sign_in_failed(None, "unknown_username").await;
        };
        let now = self.clock.now();
        let identity = credential.identity_id;
        if self.policies.lockout.is_locked(credential.locked_at, now) {
            return self
                .pass_sign_in_failed(Some(identity), "account_locked")
                .await;
        }
        if !credential.identity_active {
            return self
                .pass_sign_in_failed(Some(identity), "deactivated")
                .await;
        }
        let passes: Vec<PassRecord> = self
            .store
            .passes(identity)
            .await?
            .into_iter()
            .filter(|p| {
                p.status == PassStatus::Active.as_str() && p.expires_at.is_none_or(|at| at > now)
            })
            .collect();
        if passes.is_empty() {
            return self
                .pass_sign_in_failed(Some(identity), "no_active_pass")
                .await;
        }
        let mut challenges = Vec::with_capacity(passes.len());
        for pass in passes {
            let challenge = self.new_challenge(&pass, ChallengePurpose::SignIn).await?;
            challenges.push((pass, challenge));
        }
        let rp_id = self.policies.ceremony.rp_id.clone();
        let client_data = ClientData::challenges(
            ChallengePurpose::SignIn,
            &rp_id,
            challenges.iter().map(|(_, c)| c.challenge.as_str()),
        );
        let request = GetAssertionRequest {
            rp_id,
            client_data_hash: client_data.hash(),
            allow_list: challenges
                .iter()
                .filter_map(|(p, _)| decode_credential(&p.credential_id))
                .collect(),
        };
        Ok(SignInChallenge {
            identity_id: identity,
            credential,
            challenges,
            request,
        })
    }

    /// Checks the pass's answer to `attempt` and opens a session.
    #[tracing::instrument(skip_all)]
    pub async fn finish_pass_sign_in(
        &self,
        attempt: &SignInChallenge,
        assertion: &Assertion,
        kind: SessionKind,
    ) -> Result<SignInOutcome, ApiError> {
        let identity = attempt.identity_id;
        let Some((pass, challenge)) = attempt.challenges.iter().find(|(p, _)| {
            decode_credential(&p.credential_id).as_deref() == Some(&assertion.credential_id[..])
        }) else {
            return self
                .pass_sign_in_failed(Some(identity), "unknown_credential")
                .await;
        };
        if pass.identity_id != identity {
            return self
                .pass_sign_in_failed(Some(identity), "foreign_challenge")
                .await;
        }
        let checked = self
            .check_answer(pass, challenge, &attempt.request, assertion)
            .await;
        for (other, sibling) in &attempt.challenges {
            if sibling.id != challenge.id
                && let Ok(text) = multipass_domain::pass::Challenge::parse(&sibling.challenge)
            {
                self.store
                    .consume_challenge(&text, other.id, other.identity_id, self.clock.now())
                    .await?;
            }
        }
        if let Err(e) = checked {
            let reason = match e.code {
                ErrorCode::Expired => "challenge_expired",
                ErrorCode::AlreadyUsed => "challenge_used",
                ErrorCode::InvalidState => "sign_count_regressed",
                _ => "bad_assertion",
            };
            self.audit(
                Some(identity),
                None,
                SecurityEventType::SignInFailed,
                serde_json::json!({ "reason": reason, "auth_method": "hardware_pass", "passId": pass.id }),
            )
            .await?;
            return Err(e);
        }
        let method = AuthMethod::HardwarePass;
        let now = self.clock.now();
        let outcome = match self
            .start_session(attempt.credential.id, identity, kind, method, now)
            .await
        {
            Err(e) if e.code == ErrorCode::InvalidCredentials => {
                return self
                    .pass_sign_in_failed(Some(identity), "account_locked")
                    .await;
            }
            other => other?,
        };
        self.audit(
            Some(identity),
            None,
            SecurityEventType::SignIn,
            serde_json::json!({
                "session_kind": kind.as_str(),
                "auth_method": method.as_str(),
                "passId": pass.id,
            }),
        )
        .await?;
        self.notify(
            identity,
            NotificationKind::NewSignIn,
            "New sign-in to your account",
            format!(
                "Signed in with the pass {:?} ({}). If this was not you, report the pass lost.",
                pass.label,
                kind.as_str()
            ),
            serde_json::json!({ "session_kind": kind.as_str(), "passId": pass.id }),
        )
        .await;
        Ok(outcome)
    }

    async fn pass_sign_in_failed<T>(
        &self,
        identity: Option<IdentityId>,
        reason: &str,
    ) -> Result<T, ApiError> {
        tracing::info!(?identity, reason, "pass sign-in refused");
        self.audit(
            identity,
            None,
            SecurityEventType::SignInFailed,
            serde_json::json!({ "reason": reason, "auth_method": "hardware_pass" }),
        )
        .await?;
        Err(ApiError::new(
            ErrorCode::InvalidCredentials,
            crate::error::SIGN_IN_FAILED,
        ))
    }
}
