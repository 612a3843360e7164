//! Sign-in with a pass, in three steps that may run in two places: the authority issues
//! the challenges ([`MultipassApi::begin_pass_sign_in`]), the pass answers where it is
//! plugged in ([`PassReader::get_assertion`](super::PassReader::get_assertion)), and the
//! authority checks the answer and opens a session
//! ([`MultipassApi::finish_pass_sign_in`]).
//!
//! `hardware_challenges` rows hang from one pass, while the person may hold several and the
//! app learns which one answered only from the answer. So one challenge is issued per active
//! pass of the identity, the pass signs over all of them at once (see [`ClientData`]), and
//! the challenge of the pass that answered is consumed atomically; the others are consumed
//! after it so that none of them stays open.

use multipass_domain::pass::{Challenge, ChallengePurpose, PassStatus};
use multipass_domain::{IdentityId, PassId, Username};
use multipass_pass::GetAssertionRequest;
use multipass_store::passes::PassRecord;
use multipass_store::{AuthMethod, NotificationKind, SecurityEventType, SessionKind};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::challenge::{ClientData, decode_credential};
use super::{CeremonyControl, DeviceRef, PassAssertion, PassReader};
use crate::error::{ApiError, ErrorCode};
use crate::operations::Operations;
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

/// One challenge of a pass sign-in, and the pass it was issued for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IssuedChallenge {
    pub pass_id: String,
    pub challenge: String,
}

/// A sign-in attempt between issuing its challenges and checking the pass's answer: the
/// authority hands it to the computer where the pass is and gets it back with the answer.
/// Nothing in it is taken on trust: the person, the pass and the challenge are found again
/// in the store, and what the pass must have signed is rebuilt from them.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignInChallenge {
    pub username: String,
    /// Each active pass's challenge, in the order the client data lists them.
    pub challenges: Vec<IssuedChallenge>,
    /// What the pass is asked to sign.
    #[serde(with = "super::wire::assertion_request")]
    pub request: GetAssertionRequest,
}

impl SignInChallenge {
    /// The same attempt presented as `other`'s (to show that a challenge is bound to the
    /// identity it was issued to).
    pub fn presented_as(mut self, other: &SignInChallenge) -> Self {
        self.username.clone_from(&other.username);
        self
    }
}

/// Signs `request.username` in with the pass at `request.device` of this computer, the
/// authority being `api` (in this process or a server).
pub async fn sign_in_with_pass(
    api: &dyn Operations,
    passes: &PassReader,
    request: PassSignInRequest,
    kind: SessionKind,
    control: &CeremonyControl,
) -> Result<SignInOutcome, ApiError> {
    let attempt = api.begin_pass_sign_in(&request.username).await?;
    let assertion = passes
        .get_assertion(
            &request.device,
            &attempt.request,
            request.pin.as_deref(),
            control,
        )
        .await?;
    api.finish_pass_sign_in(&attempt, &PassAssertion(assertion), kind)
        .await
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
        sign_in_with_pass(self, &self.pass_reader(), request, kind, control).await
    }

    /// Refuses unknown, locked and deactivated accounts as a password sign-in does, and
    /// issues one challenge per active pass.
    #[tracing::instrument(skip_all)]
    pub async fn begin_pass_sign_in(&self, username: &str) -> Result<SignInChallenge, ApiError> {
        // The limits on failed sign-ins hold for passes too: a name or an address at its
        // limit gets no challenges (which are rows written for anyone who asks).
        let keys = Self::throttle_keys(username);
        self.refuse_if_throttled(&keys).await?;
        let outcome = self.issue_pass_challenges(username).await;
        self.count_if_refused(&keys, &outcome).await?;
        outcome
    }

    async fn issue_pass_challenges(&self, username: &str) -> Result<SignInChallenge, ApiError> {
        let (record, username) = match Username::parse(username) {
            Ok(name) => (
                self.store.credentials_by_username(&name).await?,
                name.as_str().to_owned(),
            ),
            Err(_) => (None, String::new()),
        };
        let Some(credential) = record else {
            return self.pass_sign_in_failed(None, "unknown_username").await;
        };
        let now = self.clock.now();
        let identity = credential.identity_id;
        if self
            .rules()
            .await?
            .lockout
            .is_locked(credential.locked_at, now)
        {
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
            username,
            challenges: challenges
                .into_iter()
                .map(|(pass, challenge)| IssuedChallenge {
                    pass_id: pass.id.to_string(),
                    challenge: challenge.challenge,
                })
                .collect(),
            request,
        })
    }

    /// Checks the pass's answer to `attempt` and opens a session. The person, the pass that
    /// answered and its challenge are looked up again, and what the pass signed is rebuilt
    /// from the relying party and the attempt's challenges: an attempt changed on the way
    /// no longer matches the pass's signature.
    #[tracing::instrument(skip_all)]
    pub async fn finish_pass_sign_in(
        &self,
        attempt: &SignInChallenge,
        assertion: &PassAssertion,
        kind: SessionKind,
    ) -> Result<SignInOutcome, ApiError> {
        let keys = Self::throttle_keys(&attempt.username);
        self.refuse_if_throttled(&keys).await?;
        let outcome = self.check_pass_answer(attempt, assertion, kind).await;
        self.count_if_refused(&keys, &outcome).await?;
        outcome
    }

    async fn check_pass_answer(
        &self,
        attempt: &SignInChallenge,
        assertion: &PassAssertion,
        kind: SessionKind,
    ) -> Result<SignInOutcome, ApiError> {
        let assertion = &assertion.0;
        let record = match Username::parse(&attempt.username) {
            Ok(name) => self.store.credentials_by_username(&name).await?,
            Err(_) => None,
        };
        let Some(credential) = record else {
            return self.pass_sign_in_failed(None, "unknown_username").await;
        };
        let identity = credential.identity_id;
        let passes = self.store.passes(identity).await?;
        let Some(pass) = passes.iter().find(|p| {
            decode_credential(&p.credential_id).as_deref() == Some(&assertion.credential_id[..])
        }) else {
            return self
                .pass_sign_in_failed(Some(identity), "unknown_credential")
                .await;
        };
        let pass_id = pass.id.to_string();
        let Some(issued) = attempt.challenges.iter().find(|c| c.pass_id == pass_id) else {
            return self
                .pass_sign_in_failed(Some(identity), "foreign_challenge")
                .await;
        };
        let rp_id = self.policies.ceremony.rp_id.clone();
        let request = GetAssertionRequest {
            client_data_hash: ClientData::challenges(
                ChallengePurpose::SignIn,
                &rp_id,
                attempt.challenges.iter().map(|c| c.challenge.as_str()),
            )
            .hash(),
            rp_id,
            allow_list: passes
                .iter()
                .filter_map(|p| decode_credential(&p.credential_id))
                .collect(),
        };
        let checked = self
            .check_answer(
                pass,
                &issued.challenge,
                ChallengePurpose::SignIn,
                &request,
                assertion,
            )
            .await;
        for sibling in &attempt.challenges {
            if sibling.challenge != issued.challenge
                && let Ok(text) = Challenge::parse(&sibling.challenge)
                && let Ok(id) = sibling.pass_id.parse::<uuid::Uuid>()
            {
                self.store
                    .consume_challenge(&text, PassId::from_uuid(id), identity, self.clock.now())
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
            .start_session(credential.id, identity, kind, method, now)
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
