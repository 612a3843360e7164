//! Challenges answered by a pass: what the pass signs, and the checks of its answer
//! (single use, signature, rpId hash, user presence, signature count).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use multipass_domain::ChallengeId;
use multipass_domain::pass::{Challenge, ChallengePurpose};
use multipass_pass::{Assertion, GetAssertionRequest, PublicKey, SignCount};
use multipass_store::passes::{ChallengeRecord, NewChallenge, PassRecord, SignCountUpdate};
use sha2::{Digest as _, Sha256};

use super::{CeremonyControl, DeviceRef};
use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use crate::passes::{ChallengeView, consumed};

/// The client data a pass signs over (by its SHA-256): the purpose, the relying party and
/// the challenges of this attempt, as one fixed text.
pub(crate) struct ClientData(String);

impl ClientData {
    pub(crate) fn enrolment(rp_id: &str, nonce: [u8; 32]) -> Self {
        Self(format!("multipass.create|{rp_id}|{}", hex::encode(nonce)))
    }

    pub(crate) fn challenges<'a>(
        purpose: ChallengePurpose,
        rp_id: &str,
        challenges: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let joined: Vec<&str> = challenges.into_iter().collect();
        Self(format!(
            "multipass.get|{}|{rp_id}|{}",
            purpose.as_str(),
            joined.join(",")
        ))
    }

    pub(crate) fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.0.as_bytes()).into()
    }
}

/// A stored credential id back to bytes; ids the registry accepted always decode.
pub(crate) fn decode_credential(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text).ok()
}

fn refused(message: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidCredentials, message)
}

impl MultipassApi {
    pub(crate) async fn new_challenge(
        &self,
        pass: &PassRecord,
        purpose: ChallengePurpose,
    ) -> Result<ChallengeRecord, ApiError> {
        let now = self.clock.now();
        Ok(self
            .store
            .create_challenge(NewChallenge {
                id: ChallengeId::new_random(),
                pass_id: pass.id,
                purpose,
                challenge: Challenge::from_random(rand::random()),
                created_at: now,
                expires_at: now + self.rules().await?.passes.challenge_ttl,
            })
            .await?)
    }

    /// Issues one challenge for `pass`, has the pass at `device` answer it and checks the
    /// answer.
    pub(crate) async fn answer_one_challenge(
        &self,
        pass: &PassRecord,
        purpose: ChallengePurpose,
        device: &DeviceRef,
        pin: Option<&str>,
        control: &CeremonyControl,
    ) -> Result<ChallengeView, ApiError> {
        let challenge = self.new_challenge(pass, purpose).await?;
        let rp_id = self.policies.ceremony.rp_id.clone();
        let request = GetAssertionRequest {
            client_data_hash: ClientData::challenges(
                purpose,
                &rp_id,
                [challenge.challenge.as_str()],
            )
            .hash(),
            rp_id,
            allow_list: decode_credential(&pass.credential_id).into_iter().collect(),
        };
        let assertion = self
            .pass_reader()
            .get_assertion(device, &request, pin, control)
            .await?;
        self.check_answer(pass, &challenge.challenge, purpose, &request, &assertion)
            .await
            .map(ChallengeView::from)
    }

    /// Uses up `challenge` (once only, unexpired, issued for `purpose`, `pass`'s and its
    /// holder's), verifies the assertion with the stored key and records the new signature
    /// count. A count that did not advance is refused, audited and reported to the holder.
    pub(crate) async fn check_answer(
        &self,
        pass: &PassRecord,
        challenge: &str,
        purpose: ChallengePurpose,
        request: &GetAssertionRequest,
        assertion: &Assertion,
    ) -> Result<ChallengeRecord, ApiError> {
        let now = self.clock.now();
        let text = Challenge::parse(challenge)?;
        let used = consumed(
            self.store
                .consume_challenge(&text, pass.id, pass.identity_id, now)
                .await?,
        )?;
        if used.purpose != purpose.as_str() {
            return Err(refused("This challenge was issued for something else."));
        }
        if decode_credential(&pass.credential_id).as_deref() != Some(&assertion.credential_id[..]) {
            return Err(refused(
                "The pass answered with a credential of another pass.",
            ));
        }
        let key = decode_credential(&pass.public_key)
            .and_then(|bytes| PublicKey::from_cose_bytes(&bytes).ok())
            .ok_or_else(|| {
                ApiError::internal("The stored public key of a pass is unreadable", &pass.id)
            })?;
        let stored = u32::try_from(pass.sign_count).unwrap_or(u32::MAX);
        let verified = assertion
            .verify(&key, request, stored)
            .map_err(super::errors::pass_error)?;
        let presented = match verified.sign_count {
            SignCount::NotKept => 0,
            SignCount::Advanced { count } => count,
            SignCount::PossiblyCloned { received, .. } => received,
        };
        match self.store.record_pass_use(pass.id, presented, now).await? {
            SignCountUpdate::Recorded => Ok(used),
            SignCountUpdate::PassNotActive => Err(refused("This pass is no longer active.")),
            SignCountUpdate::Regressed { stored } => {
                Err(self.refuse_clone(pass, stored, presented).await?)
            }
        }
    }
}
