//! Single sign-on for application modules.
//!
//! A user who consented to a module's scopes asks for a token; the module gets a JWT signed
//! with EdDSA (Ed25519), valid for ten minutes, whose `scope` claim holds only consented
//! scopes. Only a SHA3-256 hash of the token is stored, as an `sso` row of
//! `multipass_sessions` with the module as `audience`.
//!
//! # The signing key
//!
//! The private half lives only in the API's vault: the seed under `sso-signing-key:<kid>`,
//! and the kid in use under `sso-signing-key:current`. A Multipass server's vault is the
//! sealed one (`crate::sealed_vault`): sealed with the deployment's key in the shared
//! database, so every instance signs with the one key set. A standalone desktop's vault is
//! its OS keyring. The public half is in `sso_signing_keys`, and the JWKS
//! ([`MultipassApi::sso_jwks`]) publishes every key not retired, or retired less than one
//! token lifetime ago.
//!
//! The key is made on the first token (or when the vault's key is not published in the
//! store). Rotating ([`MultipassApi::rotate_sso_key`]) publishes a new key and retires the
//! old one in one transaction, points the vault at the new key and deletes the old private
//! half; the old public half stays published until its last token has expired.

use crate::MultipassApi;
use crate::apps::views::{KeyRotatedView, SsoTokenView, VerifiedSsoTokenView, rfc3339};
use crate::apps::{module_not_found, refused};
use crate::error::{ApiError, ErrorCode};
use crate::vault::off_the_runtime;
use multipass_domain::apps::sso::JwkSet;
use multipass_domain::apps::{
    ModuleName, Scope, ScopeSet, SsoClaims, SsoPublicKey, SsoSigningKey, SsoTokenError, jwks,
    sso_token_hash, sso_token_lifetime, verify_sso_token,
};
use multipass_domain::{Role, SessionId, SessionToken};
use multipass_store::{NewSsoKey, NewSsoSession, SecurityEventType, SsoSessionOpened};
use tokio::sync::Mutex;

const CURRENT_KEY: &str = "sso-signing-key:current";

fn key_entry(kid: &str) -> String {
    format!("sso-signing-key:{kid}")
}

/// One key change at a time in this process, so two first tokens do not make two keys.
static KEY_LOCK: Mutex<()> = Mutex::const_new(());

fn token_refused(err: &SsoTokenError) -> ApiError {
    let code = match err {
        SsoTokenError::Expired => ErrorCode::Expired,
        SsoTokenError::WrongAudience | SsoTokenError::MissingScope(_) => ErrorCode::Forbidden,
        _ => ErrorCode::Unauthenticated,
    };
    let message = match err {
        SsoTokenError::Expired => "The SSO token has expired; ask for a new one.".to_owned(),
        SsoTokenError::MissingScope(scope) => {
            format!("The SSO token does not grant the scope {scope}.")
        }
        SsoTokenError::WrongAudience => "The SSO token was issued to another module.".to_owned(),
        _ => "The SSO token is not valid.".to_owned(),
    };
    ApiError::new(code, message)
}

impl MultipassApi {
    /// A token for `module` carrying `scopes` (all consented scopes when `None`).
    pub async fn issue_sso_token(
        &self,
        token: &SessionToken,
        module: &str,
        scopes: Option<Vec<String>>,
    ) -> Result<SsoTokenView, ApiError> {
        let caller = self.caller(token).await?;
        let name = ModuleName::parse(module)?;
        let requested = scopes
            .map(|scopes| ScopeSet::parse("scopes", &scopes))
            .transpose()?;
        let (record, state) = self
            .store
            .app_state(caller.identity_id, &name)
            .await
            .map_err(|e| module_not_found(e, &name))?;
        let granted = state
            .token_scopes(
                requested.as_ref(),
                record.is_enabled,
                &record.required_scope_set()?,
            )
            .map_err(|why| refused(&name, why))?;

        let key = self.current_signing_key().await?;
        let now = self.clock.now();
        let jti = uuid::Uuid::new_v4();
        let claims = SsoClaims::new(
            caller.identity_id.as_uuid(),
            name.as_str(),
            &granted,
            now,
            jti,
        );
        let expires_at = claims.expires_at().ok_or_else(|| {
            ApiError::internal("An SSO token expiry is out of range", &claims.exp)
        })?;
        let jwt = key
            .sign(&claims)
            .map_err(|e| ApiError::internal("The SSO token could not be signed", &e))?;
        let session = NewSsoSession {
            id: SessionId::from_uuid(jti),
            identity_id: caller.identity_id,
            token_hash: sso_token_hash(&jwt),
            scopes: granted.clone(),
            created_at: now,
            expires_at,
        };
        match self.store.open_sso_session(&name, session).await? {
            SsoSessionOpened::Opened => {}
            SsoSessionOpened::Refused(why) => return Err(refused(&name, why)),
        }
        let detail = serde_json::json!({
            "module": name.as_str(),
            "scopes": granted.to_strings(),
            "kid": key.kid(),
            "jti": claims.jti,
            "expiresAt": rfc3339(expires_at),
        });
        self.audit(
            Some(caller.identity_id),
            None,
            SecurityEventType::SsoTokenIssued,
            detail,
        )
        .await?;
        Ok(SsoTokenView {
            token: jwt,
            token_type: "Bearer".to_owned(),
            audience: name.as_str().to_owned(),
            scopes: granted.to_strings(),
            expires_at: rfc3339(expires_at),
            kid: key.kid().to_owned(),
        })
    }

    /// The public keys modules verify tokens with (RFC 7517 JWKS of RFC 8037 OKP keys).
    /// Public by nature, so no session is needed.
    pub async fn sso_jwks(&self) -> Result<JwkSet, ApiError> {
        let cutoff = self.clock.now() - sso_token_lifetime();
        let keys = self.store.published_sso_keys(cutoff).await?;
        let keys = keys
            .iter()
            .map(|k| SsoPublicKey::parse(&k.kid, &k.public_key))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ApiError::internal("A published SSO key is invalid", &e))?;
        Ok(jwks(&keys))
    }

    /// Online verification: everything [`verify_sso_token`] checks offline, plus that the
    /// token's session was not revoked (consent withdrawn, module uninstalled or disabled).
    pub async fn verify_sso_token(
        &self,
        token: &str,
        audience: &str,
        required_scope: Option<&str>,
    ) -> Result<VerifiedSsoTokenView, ApiError> {
        let audience = ModuleName::parse(audience)?;
        let required = required_scope.map(Scope::parse).transpose()?;
        let keys = self.sso_jwks().await?;
        let now = self.clock.now();
        let verified = verify_sso_token(token, &keys, audience.as_str(), required.as_ref(), now)
            .map_err(|e| token_refused(&e))?;
        let session = self
            .store
            .active_sso_session(&sso_token_hash(token), now)
            .await?;
        if session.is_none_or(|s| s.audience != audience.as_str()) {
            return Err(ApiError::new(
                ErrorCode::Unauthenticated,
                "The SSO token was revoked: consent was withdrawn or the module was disabled.",
            ));
        }
        let expires_at = verified
            .claims
            .expires_at()
            .map(rfc3339)
            .unwrap_or_default();
        Ok(VerifiedSsoTokenView {
            subject: verified.subject.to_string(),
            audience: verified.claims.aud,
            scopes: verified.scopes.to_strings(),
            expires_at,
            kid: verified.kid,
        })
    }

    /// Makes a new signing key current for this desktop and retires its previous one.
    pub async fn rotate_sso_key(&self, token: &SessionToken) -> Result<KeyRotatedView, ApiError> {
        let caller = self.caller(token).await?;
        caller.require(Role::Admin)?;
        let _guard = KEY_LOCK.lock().await;
        let old = off_the_runtime(&self.vault, |v| v.get(CURRENT_KEY)).await?;
        let old = old.and_then(|kid| String::from_utf8(kid.to_vec()).ok());
        let new = self.publish_new_key(old.as_deref()).await?;
        let detail = serde_json::json!({ "kid": new.kid(), "retiredKid": old });
        self.audit(
            Some(caller.identity_id),
            None,
            SecurityEventType::SsoKeyRotated,
            detail,
        )
        .await?;
        Ok(KeyRotatedView {
            kid: new.kid().to_owned(),
            retired_kid: old,
        })
    }

    /// This desktop's signing key, made and published when the keyring has none or the
    /// store does not publish it (another database, or retired).
    async fn current_signing_key(&self) -> Result<SsoSigningKey, ApiError> {
        let _guard = KEY_LOCK.lock().await;
        let (kid, seed) = off_the_runtime(&self.vault, |v| {
            let Some(kid) = v.get(CURRENT_KEY)? else {
                return Ok((None, None));
            };
            let kid = String::from_utf8(kid.to_vec()).unwrap_or_default();
            let seed = v.get(&key_entry(&kid))?;
            Ok((Some(kid), seed))
        })
        .await?;
        if let (Some(kid), Some(seed)) = (&kid, &seed)
            && let Ok(key) = SsoSigningKey::from_seed(seed)
            && key.kid() == kid
            && self
                .store
                .sso_key(kid)
                .await?
                .is_some_and(|k| k.retired_at.is_none())
        {
            return Ok(key);
        }
        // Retiring the unusable key keeps a published key without a private half from
        // staying in the JWKS for ever.
        self.publish_new_key(kid.as_deref()).await
    }

    /// Keyring first, then the store: a key is never published without its private half.
    async fn publish_new_key(&self, retire: Option<&str>) -> Result<SsoSigningKey, ApiError> {
        let key = SsoSigningKey::generate(&mut rand::rng());
        let kid = key.kid().to_owned();
        let seed = key.seed();
        let entry = key_entry(&kid);
        off_the_runtime(&self.vault, move |v| v.put(&entry, seed.as_slice())).await?;
        let public = key.public_key();
        self.store
            .add_sso_key(
                NewSsoKey {
                    kid: kid.clone(),
                    public_key: public.x().to_owned(),
                    created_at: self.clock.now(),
                },
                retire,
            )
            .await?;
        let old = retire.map(key_entry);
        off_the_runtime(&self.vault, move |v| {
            v.put(CURRENT_KEY, kid.as_bytes())?;
            match old {
                Some(old) => v.delete(&old),
                None => Ok(()),
            }
        })
        .await?;
        Ok(key)
    }
}
