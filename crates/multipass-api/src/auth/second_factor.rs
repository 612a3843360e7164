//! TOTP enrolment and removal, backup codes, `require_2fa`, and the second-factor step of
//! sign-in.
//!
//! The TOTP secret is kept in `multipass_credentials.totp_secret`, sealed on a server (see
//! `totp_at_rest`): whoever checks codes must reach it, so it cannot live in one machine's
//! keyring. Backup codes are kept only as Argon2id hashes.

use super::views::{
    AccountProof, BackupCodesView, SecondFactor, SecondFactorStatus, TotpEnrolment,
};
use crate::MultipassApi;
use crate::error::{ApiError, ErrorCode};
use chrono::{DateTime, Utc};
use multipass_domain::backup_codes::{self, BackupCode};
use multipass_domain::totp::{self, TotpError, TotpSecret};
use multipass_domain::{IdentityId, Password, Role, SessionToken};
use multipass_store::{
    AuthMethod, CredentialRecord, NotificationKind, SecondFactors, SecurityEventType,
};

/// The issuer authenticator apps show next to the account name.
const TOTP_ISSUER: &str = "Multipass";

fn wrong_code(field: &str) -> ApiError {
    ApiError::new(
        ErrorCode::InvalidCredentials,
        "That code is not correct, or it was already used. Enter the current code from your authenticator app, or an unused backup code.",
    )
    .with_field(field)
}

fn malformed_code(err: TotpError, field: &str) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, err.to_string()).with_field(field)
}

impl MultipassApi {
    /// Decides the sign-in's `auth_method` once the password was right, asking for and
    /// checking the second factor the account needs.
    pub(super) async fn check_second_factor(
        &self,
        record: &CredentialRecord,
        factor: Option<SecondFactor>,
        now: DateTime<Utc>,
    ) -> Result<AuthMethod, ApiError> {
        let factors = self.store.second_factors(record.id).await?;
        if !(factors.totp_enabled || factors.require_2fa) {
            return Ok(AuthMethod::Password);
        }
        match factor {
            None => Err(ApiError::new(
                ErrorCode::SecondFactorRequired,
                "Enter the 6-digit code from your authenticator app, or one of your backup codes.",
            )),
            Some(SecondFactor::Totp(code)) => {
                let field = "totpCode";
                if !factors.totp_enabled {
                    self.count_failure(record, "totp_not_enabled").await?;
                    return Err(wrong_code(field));
                }
                match self
                    .consume_totp(record, &factors, code.trim(), now)
                    .await?
                {
                    Ok(()) => Ok(AuthMethod::PasswordTotp),
                    Err(TotpError::Malformed) => Err(malformed_code(TotpError::Malformed, field)),
                    Err(rejected) => {
                        self.totp_rejected(record, rejected).await?;
                        Err(wrong_code(field))
                    }
                }
            }
            Some(SecondFactor::BackupCode(code)) => {
                let code = BackupCode::parse(&code)?;
                let hashes = factors.backup_code_hashes;
                let matched = self
                    .with_hasher("Checking the backup code failed", move |_| {
                        backup_codes::find_match(&code, &hashes).map(|at| hashes[at].clone())
                    })
                    .await?;
                let remaining = match matched {
                    Some(hash) => {
                        self.store
                            .consume_backup_code(record.id, &hash, now)
                            .await?
                    }
                    None => None,
                };
                let Some(remaining) = remaining else {
                    self.count_failure(record, "wrong_backup_code").await?;
                    return Err(wrong_code("backupCode"));
                };
                self.audit(
                    Some(record.identity_id),
                    None,
                    SecurityEventType::BackupCodeUsed,
                    serde_json::json!({ "remaining": remaining }),
                )
                .await?;
                Ok(AuthMethod::PasswordBackupCode)
            }
        }
    }

    /// Checks `code` against the stored secret and, if right, records its step with one
    /// conditional update; a concurrent use of the same code loses there and is `Reused`.
    async fn consume_totp(
        &self,
        record: &CredentialRecord,
        factors: &SecondFactors,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<(), TotpError>, ApiError> {
        let Some(stored) = &factors.totp_secret else {
            return Ok(Err(TotpError::Incorrect));
        };
        let secret = self.totp_from_rest(record.id, stored)?;
        let step = match totp::verify(&secret, code, now, factors.totp_last_step) {
            Ok(step) => step,
            Err(err) => return Ok(Err(err)),
        };
        let enable = !factors.totp_enabled;
        if self
            .store
            .accept_totp_step(record.id, stored, step, enable, now)
            .await?
        {
            Ok(Ok(()))
        } else {
            Ok(Err(TotpError::Reused))
        }
    }

    /// Checks a fresh proof that the account holder is at the keyboard: a current TOTP code
    /// (consumed, so it cannot be replayed) or the password. A wrong proof counts as a failed
    /// sign-in, so a stolen session is no way to guess either. Answers which proof it was,
    /// for the audit trail.
    async fn prove_account(
        &self,
        record: &CredentialRecord,
        factors: &SecondFactors,
        proof: AccountProof,
    ) -> Result<&'static str, ApiError> {
        match proof {
            AccountProof::Totp(code) => {
                match self
                    .consume_totp(record, factors, code.trim(), self.clock.now())
                    .await?
                {
                    Ok(()) => Ok("totp"),
                    Err(TotpError::Malformed) => Err(malformed_code(TotpError::Malformed, "code")),
                    Err(rejected) => {
                        self.totp_rejected(record, rejected).await?;
                        Err(wrong_code("code"))
                    }
                }
            }
            AccountProof::Password(password) => {
                let password = Password::for_sign_in(password)?;
                if self
                    .verify_password(password, Some(record.password_hash.clone()))
                    .await?
                {
                    return Ok("password");
                }
                self.count_failure(record, "wrong_password").await?;
                Err(ApiError::new(
                    ErrorCode::InvalidCredentials,
                    "That password is not correct.",
                )
                .with_field("password"))
            }
        }
    }

    async fn totp_rejected(
        &self,
        record: &CredentialRecord,
        rejected: TotpError,
    ) -> Result<(), ApiError> {
        let reason = match rejected {
            TotpError::Reused => "totp_reused",
            TotpError::Incorrect | TotpError::Malformed => "totp_incorrect",
        };
        self.audit(
            Some(record.identity_id),
            None,
            SecurityEventType::TotpRejected,
            serde_json::json!({ "reason": reason }),
        )
        .await?;
        self.count_failure(record, reason).await
    }

    async fn own_credentials(
        &self,
        token: &SessionToken,
    ) -> Result<(IdentityId, CredentialRecord), ApiError> {
        let caller = self.caller(token).await?;
        let record = self.store.credentials_of(caller.identity_id).await?;
        Ok((caller.identity_id, record))
    }

    /// Which second factors the caller's account has.
    #[tracing::instrument(skip_all)]
    pub async fn second_factor_status(
        &self,
        token: &SessionToken,
    ) -> Result<SecondFactorStatus, ApiError> {
        let (_, record) = self.own_credentials(token).await?;
        Ok((&self.store.second_factors(record.id).await?).into())
    }

    /// Starts TOTP enrolment: a new secret, stored but not enabled until
    /// [`MultipassApi::totp_confirm`] sees a first valid code. Starting again replaces an
    /// unconfirmed secret.
    #[tracing::instrument(skip_all)]
    pub async fn totp_enrol(&self, token: &SessionToken) -> Result<TotpEnrolment, ApiError> {
        let (identity, record) = self.own_credentials(token).await?;
        let username = self.store.identity(identity).await?.username;
        let secret = TotpSecret::generate(&mut rand::rng());
        let base32 = secret.to_base32();
        let at_rest = self.totp_at_rest(record.id, base32.clone())?;
        if !self
            .store
            .stage_totp_secret(record.id, &at_rest, self.clock.now())
            .await?
        {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "An authenticator app is already set up. Turn it off first to set up another.",
            ));
        }
        let setup_failed = |e: &dyn std::fmt::Display| {
            ApiError::internal("The authenticator set-up could not be prepared", e)
        };
        let uri =
            totp::otpauth_uri(&secret, TOTP_ISSUER, &username).map_err(|e| setup_failed(&e))?;
        let qr_svg = totp::qr_svg(&uri).map_err(|e| setup_failed(&e))?;
        Ok(TotpEnrolment {
            secret: base32.expose().to_owned(),
            otpauth_uri: uri.expose().to_owned(),
            qr_svg,
        })
    }

    /// Enables TOTP once the user proves their app produces the right codes.
    #[tracing::instrument(skip_all)]
    pub async fn totp_confirm(
        &self,
        token: &SessionToken,
        code: &str,
    ) -> Result<SecondFactorStatus, ApiError> {
        let (identity, record) = self.own_credentials(token).await?;
        let factors = self.store.second_factors(record.id).await?;
        if factors.totp_enabled || factors.totp_secret.is_none() {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "There is no authenticator set-up waiting for confirmation. Start the set-up first.",
            ));
        }
        match self
            .consume_totp(&record, &factors, code.trim(), self.clock.now())
            .await?
        {
            Ok(()) => {}
            Err(TotpError::Reused) => {
                return Err(
                    ApiError::new(ErrorCode::AlreadyUsed, TotpError::Reused.to_string())
                        .with_field("code"),
                );
            }
            Err(err) => return Err(malformed_code(err, "code")),
        }
        self.audit(
            Some(identity),
            None,
            SecurityEventType::TotpEnabled,
            serde_json::json!({}),
        )
        .await?;
        self.second_factor_status(token).await
    }

    /// Turns TOTP off (or abandons an unconfirmed set-up), given a current code or the
    /// password ([`Self::prove_account`]).
    #[tracing::instrument(skip_all)]
    pub async fn totp_disable(
        &self,
        token: &SessionToken,
        proof: AccountProof,
    ) -> Result<SecondFactorStatus, ApiError> {
        let (identity, record) = self.own_credentials(token).await?;
        let factors = self.store.second_factors(record.id).await?;
        if factors.totp_secret.is_none() {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "No authenticator app is set up.",
            ));
        }
        if factors.require_2fa {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "Two-step sign-in is required for this account, so the authenticator app cannot be turned off. Turn the requirement off first.",
            ));
        }
        let proved_by = self.prove_account(&record, &factors, proof).await?;
        if !self.store.disable_totp(record.id, self.clock.now()).await? {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "The authenticator app could not be turned off: the account changed meanwhile. Try again.",
            ));
        }
        self.audit(
            Some(identity),
            None,
            SecurityEventType::TotpDisabled,
            serde_json::json!({ "proved_by": proved_by }),
        )
        .await?;
        self.notify(
            identity,
            NotificationKind::SecurityAlert,
            "Two-step sign-in was turned off",
            "The authenticator app was removed from your account. If this was not you, change your password at once.",
            serde_json::json!({ "proved_by": proved_by }),
        )
        .await;
        self.second_factor_status(token).await
    }

    /// Issues a new set of ten backup codes, replacing every earlier one, given a current
    /// code or the password ([`Self::prove_account`]): the codes sign in without the second
    /// factor, so a session alone (one left open, or stolen) must not be enough to obtain
    /// them. The codes are shown once; only their Argon2id hashes are stored.
    #[tracing::instrument(skip_all)]
    pub async fn regenerate_backup_codes(
        &self,
        token: &SessionToken,
        proof: AccountProof,
    ) -> Result<BackupCodesView, ApiError> {
        const CONTEXT: &str = "Making backup codes failed";
        let (identity, record) = self.own_credentials(token).await?;
        let factors = self.store.second_factors(record.id).await?;
        if matches!(proof, AccountProof::Totp(_)) && !factors.totp_enabled {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "No authenticator app is turned on for this account. Confirm with your password instead.",
            ));
        }
        let proved_by = self.prove_account(&record, &factors, proof).await?;
        let codes = backup_codes::generate_set(&mut rand::rng());
        let to_hash = codes.clone();
        let hashes = self
            .with_hasher(CONTEXT, move |hasher| {
                let mut rng = rand::rng();
                to_hash
                    .iter()
                    .map(|code| {
                        code.hash_with(hasher, &mut rng)
                            .map(|hash| hash.as_str().to_owned())
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .await?
            .map_err(|e| ApiError::internal(CONTEXT, &e))?;
        self.store
            .replace_backup_codes(record.id, &hashes, self.clock.now())
            .await?;
        self.audit(
            Some(identity),
            None,
            SecurityEventType::BackupCodesGenerated,
            serde_json::json!({ "count": hashes.len(), "proved_by": proved_by }),
        )
        .await?;
        Ok(BackupCodesView {
            codes: codes
                .iter()
                .map(|code| code.grouped().expose().to_owned())
                .collect(),
        })
    }

    /// Sets whether `identity` (the caller when `None`) must sign in with a second factor.
    /// Users set their own; admins anyone's. Turning it on needs TOTP enabled, so nobody is
    /// held to a requirement they cannot meet.
    #[tracing::instrument(skip_all)]
    pub async fn set_require_2fa(
        &self,
        token: &SessionToken,
        identity: Option<IdentityId>,
        required: bool,
    ) -> Result<SecondFactorStatus, ApiError> {
        let caller = self.caller(token).await?;
        let target = identity.unwrap_or(caller.identity_id);
        caller.require_self_or(target, Role::Admin)?;
        let record = self.store.credentials_of(target).await?;
        if !self
            .store
            .set_require_2fa(record.id, required, self.clock.now())
            .await?
        {
            return Err(ApiError::new(
                ErrorCode::InvalidState,
                "Two-step sign-in can only be required once an authenticator app is set up for the account.",
            ));
        }
        let actor = (target != caller.identity_id).then_some(caller.identity_id);
        self.audit(
            Some(target),
            actor,
            SecurityEventType::SecondFactorRequiredChanged,
            serde_json::json!({ "required": required }),
        )
        .await?;
        Ok((&self.store.second_factors(record.id).await?).into())
    }
}
