//! Module registry and SSO scenarios, run against both stores. Each takes a freshly migrated
//! store and a [`Backend`] for the few checks that need raw SQL.

#![allow(dead_code)]

use crate::common::{ManualClock, TestApi, api, sign_up};
use chrono::Duration;
use multipass_api::ErrorCode;
use multipass_api::app_views::{RegisterModuleRequest, UpdateModuleRequest};
use multipass_api::vault::{KeyringVault, SecretVault};
use multipass_domain::apps::sso::JwkSet;
use multipass_domain::apps::{Scope, SsoTokenError, sso_token_hash, verify_sso_token};
use multipass_domain::{IdentityId, LockoutPolicy, SessionToken};
use multipass_store::Store;
use std::sync::Arc;

/// What a scenario needs beyond the store interface.
#[async_trait::async_trait]
pub trait Backend: Send + Sync {
    async fn make_admin(&self, username: &str);
    /// Whether `needle` occurs in any column of any row of any table.
    async fn text_anywhere(&self, needle: &str) -> bool;
    /// (token_hash, kind, auth_method, audience, scopes) of the identity's `sso` sessions.
    async fn sso_rows(
        &self,
        identity: IdentityId,
    ) -> Vec<(String, String, String, String, Vec<String>)>;
}

pub struct World {
    pub api: TestApi,
    pub clock: Arc<ManualClock>,
    pub vault: Arc<KeyringVault>,
    pub admin: SessionToken,
    pub user: SessionToken,
    pub user_id: IdentityId,
}

pub async fn world(store: Arc<dyn Store>, backend: &dyn Backend) -> World {
    let clock = ManualClock::new();
    let vault = Arc::new(KeyringVault::new(format!(
        "multipass-apps-test-{}",
        uuid::Uuid::new_v4()
    )));
    let api = api(store, clock.clone(), LockoutPolicy::default()).with_vault(vault.clone());
    let admin = sign_up(&api, "ada").await.token;
    backend.make_admin("ada").await;
    let user = sign_up(&api, "bob").await;
    let user_id =
        IdentityId::from_uuid(uuid::Uuid::parse_str(&user.signed_in.identity.id).unwrap());
    World {
        api,
        clock,
        vault,
        admin,
        user: user.token,
        user_id,
    }
}

pub fn payroll() -> RegisterModuleRequest {
    RegisterModuleRequest {
        name: "payroll".into(),
        display_name: "Payroll".into(),
        description: Some("Monthly payroll export".into()),
        category: "finance".into(),
        api_base_url: "http://127.0.0.1:8080".into(),
        required_scopes: vec!["wallet:read".into(), "market:write:orders".into()],
        version: Some("1.2.0".into()),
    }
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

pub async fn registry_is_admin_only_validated_and_editable(
    store: Arc<dyn Store>,
    backend: &dyn Backend,
) {
    let w = world(store, backend).await;
    let err = w.api.register_module(&w.user, payroll()).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);

    let module = w.api.register_module(&w.admin, payroll()).await.unwrap();
    assert_eq!(module.name, "payroll");
    assert_eq!(module.api_base_url, "http://127.0.0.1:8080/");
    assert_eq!(
        module.required_scopes,
        strings(&["wallet:read", "market:write:orders"])
    );
    assert_eq!(module.version, "1.2.0");
    assert!(module.enabled);

    let err = w
        .api
        .register_module(&w.admin, payroll())
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Conflict, Some("name"))
    );

    type Spoil = fn(&mut RegisterModuleRequest);
    let cases: [(Spoil, &str); 9] = [
        (|r| r.name = "Payroll".into(), "name"),
        (|r| r.display_name = " ".into(), "displayName"),
        (|r| r.category = "games".into(), "category"),
        (
            |r| r.api_base_url = "http://example.com".into(),
            "apiBaseUrl",
        ),
        (
            |r| r.api_base_url = "javascript:alert(1)".into(),
            "apiBaseUrl",
        ),
        (
            |r| r.api_base_url = "https://user:pw@example.com".into(),
            "apiBaseUrl",
        ),
        (
            |r| r.required_scopes = strings(&["wallet:steal"]),
            "requiredScopes",
        ),
        (
            |r| r.required_scopes = strings(&["wallet:read", "wallet:read"]),
            "requiredScopes",
        ),
        (|r| r.version = Some("1.2".into()), "version"),
    ];
    for (spoil, field) in cases {
        let mut request = payroll();
        request.name = "other".into();
        spoil(&mut request);
        let err = w.api.register_module(&w.admin, request).await.unwrap_err();
        assert_eq!(
            (err.code, err.field.as_deref()),
            (ErrorCode::InvalidInput, Some(field))
        );
    }
    let mut local = payroll();
    local.name = "local-tool".into();
    local.api_base_url = "http://localhost".into();
    w.api.register_module(&w.admin, local).await.unwrap();

    let update = UpdateModuleRequest {
        display_name: Some("Payroll and expenses".into()),
        version: Some("1.3.0".into()),
        ..UpdateModuleRequest::default()
    };
    let err = w
        .api
        .update_module(&w.user, "payroll", update.clone())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    let updated = w
        .api
        .update_module(&w.admin, "payroll", update.clone())
        .await
        .unwrap();
    assert_eq!(
        (updated.display_name.as_str(), updated.version.as_str()),
        ("Payroll and expenses", "1.3.0")
    );
    assert_eq!(updated.category, "finance", "fields not given are kept");
    let err = w
        .api
        .update_module(&w.admin, "nothing-here", update)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::NotFound);
    let err = w
        .api
        .update_module(&w.admin, "payroll", UpdateModuleRequest::default())
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::InvalidInput);

    let err = w
        .api
        .set_module_enabled(&w.user, "payroll", false)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(
        !w.api
            .set_module_enabled(&w.admin, "payroll", false)
            .await
            .unwrap()
            .enabled
    );
    let visible: Vec<String> = w
        .api
        .list_modules(&w.user, false)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.module.name)
        .collect();
    assert_eq!(visible, strings(&["local-tool"]));
    assert_eq!(
        w.api.list_modules(&w.user, true).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    assert_eq!(w.api.list_modules(&w.admin, true).await.unwrap().len(), 2);
    let err = w.api.install_module(&w.user, "payroll").await.unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::InvalidState,
        "a disabled module cannot be installed"
    );
    assert!(
        w.api
            .set_module_enabled(&w.admin, "payroll", true)
            .await
            .unwrap()
            .enabled
    );
    w.api.install_module(&w.user, "payroll").await.unwrap();
}

pub async fn install_consent_revoke_uninstall_and_events(
    store: Arc<dyn Store>,
    backend: &dyn Backend,
) {
    let w = world(store.clone(), backend).await;
    w.api.register_module(&w.admin, payroll()).await.unwrap();

    let err = w
        .api
        .authorize_module(&w.user, "payroll", None)
        .await
        .unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::InvalidState,
        "consent needs an install first"
    );
    let installed = w.api.install_module(&w.user, "payroll").await.unwrap();
    assert!(installed.installed && installed.changed);
    let again = w.api.install_module(&w.user, "payroll").await.unwrap();
    assert!(again.installed && !again.changed);

    let err = w
        .api
        .authorize_module(
            &w.user,
            "payroll",
            Some(strings(&["wallet:read", "wallet:write"])),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Forbidden, Some("scopes"))
    );
    assert!(err.message.contains("wallet:write"), "{}", err.message);
    let consented = w
        .api
        .authorize_module(&w.user, "payroll", Some(strings(&["wallet:read"])))
        .await
        .unwrap();
    assert_eq!(consented.consented_scopes, strings(&["wallet:read"]));
    w.clock.advance(Duration::seconds(1));
    let all = w
        .api
        .authorize_module(&w.user, "payroll", None)
        .await
        .unwrap();
    assert_eq!(
        all.consented_scopes,
        strings(&["wallet:read", "market:write:orders"])
    );

    let mine = w.api.list_modules(&w.user, false).await.unwrap();
    assert!(mine[0].installed);
    assert_eq!(mine[0].consented_scopes.len(), 2);

    let revoked = w.api.revoke_module(&w.user, "payroll").await.unwrap();
    assert!(revoked.installed && revoked.consented_scopes.is_empty() && revoked.changed);
    assert!(
        !w.api
            .revoke_module(&w.user, "payroll")
            .await
            .unwrap()
            .changed
    );
    let gone = w.api.uninstall_module(&w.user, "payroll").await.unwrap();
    assert!(!gone.installed && gone.changed);
    assert!(
        !w.api
            .uninstall_module(&w.user, "payroll")
            .await
            .unwrap()
            .changed
    );
    let err = w
        .api
        .record_app_action(&w.user, "payroll", "report.exported", None)
        .await
        .unwrap_err();
    assert_eq!(
        err.code,
        ErrorCode::InvalidState,
        "no actions in an uninstalled module"
    );
    // Reinstalling starts without consent.
    let back = w.api.install_module(&w.user, "payroll").await.unwrap();
    assert!(back.installed && back.consented_scopes.is_empty());
    let err = w
        .api
        .record_app_action(&w.user, "payroll", "Bad Name", None)
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("action"));
    w.api
        .record_app_action(&w.user, "payroll", "report.exported", Some("March"))
        .await
        .unwrap();

    // Newest first, in pages.
    let expected = [
        "action",
        "installed",
        "uninstalled",
        "revoked",
        "authorized",
        "authorized",
        "installed",
    ];
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let page = w
            .api
            .app_events(&w.user, Some("payroll"), cursor.as_deref(), Some(4))
            .await
            .unwrap();
        seen.extend(page.events.iter().map(|e| e.event_type.clone()));
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(seen, strings(&expected));
    let first = w.api.app_events(&w.user, None, None, None).await.unwrap();
    assert_eq!(
        (
            first.events[0].action.as_deref(),
            first.events[0].detail.as_deref()
        ),
        (Some("report.exported"), Some("March"))
    );
    assert_eq!(
        first.events[4].scopes,
        strings(&["wallet:read", "market:write:orders"])
    );
    assert_eq!(first.events[5].scopes, strings(&["wallet:read"]));
    assert!(
        w.api
            .app_events(&w.admin, None, None, None)
            .await
            .unwrap()
            .events
            .is_empty(),
        "events are per user"
    );
    let err = w
        .api
        .app_events(&w.user, None, Some("garbage"), None)
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("cursor"));
    let err = w
        .api
        .app_events(&w.user, None, None, Some(0))
        .await
        .unwrap_err();
    assert_eq!(err.field.as_deref(), Some("limit"));

    let audit: Vec<String> = store
        .security_events(Some(w.user_id), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(audit.iter().filter(|t| *t == "scopes_granted").count(), 2);
    assert_eq!(audit.iter().filter(|t| *t == "scopes_revoked").count(), 1);
}

pub async fn concurrent_installs_write_one_event(store: Arc<dyn Store>, backend: &dyn Backend) {
    let w = world(store, backend).await;
    w.api.register_module(&w.admin, payroll()).await.unwrap();
    const DESKTOPS: usize = 24;
    // Everyone starts together, so the reads and writes overlap as much as they can.
    let start = Arc::new(tokio::sync::Barrier::new(DESKTOPS));
    let tasks: Vec<_> = (0..DESKTOPS)
        .map(|_| {
            let api = w.api.clone();
            let token = w.user.clone();
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                api.install_module(&token, "payroll").await
            })
        })
        .collect();
    let mut changed = 0;
    for result in futures::future::join_all(tasks).await {
        if result.unwrap().unwrap().changed {
            changed += 1;
        }
    }
    assert_eq!(changed, 1);
    let events = w
        .api
        .app_events(&w.user, Some("payroll"), None, Some(100))
        .await
        .unwrap()
        .events;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "installed");
}

/// The JWKS as a module gets it: JSON, parsed back.
async fn published(api: &TestApi) -> JwkSet {
    let json = serde_json::to_string(&api.sso_jwks().await.unwrap()).unwrap();
    serde_json::from_str(&json).unwrap()
}

fn kid_of(jwks: &JwkSet) -> Vec<String> {
    jwks.keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect()
}

async fn consented_user(store: Arc<dyn Store>, backend: &dyn Backend) -> World {
    let w = world(store, backend).await;
    w.api.register_module(&w.admin, payroll()).await.unwrap();
    let mut reports = payroll();
    reports.name = "reports".into();
    w.api.register_module(&w.admin, reports).await.unwrap();
    w.api.install_module(&w.user, "payroll").await.unwrap();
    w
}

pub async fn consent_then_token(store: Arc<dyn Store>, backend: &dyn Backend) {
    let w = consented_user(store.clone(), backend).await;
    let err = w
        .api
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden, "no token before consent");
    w.api
        .authorize_module(&w.user, "payroll", Some(strings(&["wallet:read"])))
        .await
        .unwrap();
    let err = w
        .api
        .issue_sso_token(&w.user, "payroll", Some(strings(&["market:write:orders"])))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code, err.field.as_deref()),
        (ErrorCode::Forbidden, Some("scopes"))
    );

    let issued = w
        .api
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    assert_eq!(issued.scopes, strings(&["wallet:read"]));
    assert_eq!(issued.audience, "payroll");
    let jwks = published(&w.api).await;
    assert_eq!(kid_of(&jwks), vec![issued.kid.clone()]);
    let jwk = serde_json::to_value(&jwks).unwrap()["keys"][0].clone();
    assert_eq!(
        (
            jwk["kty"].as_str(),
            jwk["crv"].as_str(),
            jwk["alg"].as_str(),
            jwk["use"].as_str()
        ),
        (Some("OKP"), Some("Ed25519"), Some("EdDSA"), Some("sig"))
    );

    let now = w.clock_now();
    let read = Scope::parse("wallet:read").unwrap();
    let verified = verify_sso_token(&issued.token, &jwks, "payroll", Some(&read), now).unwrap();
    assert_eq!(verified.claims.sub, w.user_id.to_string());
    assert_eq!(
        verified.claims.scope, "wallet:read",
        "only the consented scopes"
    );
    assert_eq!(verified.claims.exp - verified.claims.iat, 600);
    assert_eq!(verified.kid, issued.kid, "the header names the key");

    let write = Scope::parse("market:write:orders").unwrap();
    assert_eq!(
        verify_sso_token(&issued.token, &jwks, "payroll", Some(&write), now).unwrap_err(),
        SsoTokenError::MissingScope("market:write:orders".into())
    );
    assert_eq!(
        verify_sso_token(&issued.token, &jwks, "reports", None, now).unwrap_err(),
        SsoTokenError::WrongAudience
    );
    assert_eq!(
        verify_sso_token(
            &issued.token,
            &jwks,
            "payroll",
            None,
            now + Duration::minutes(11)
        )
        .unwrap_err(),
        SsoTokenError::Expired
    );
    let mut tampered: Vec<char> = issued.token.chars().collect();
    let at = tampered.len() - 3;
    tampered[at] = if tampered[at] == 'x' { 'y' } else { 'x' };
    let tampered: String = tampered.into_iter().collect();
    assert_eq!(
        verify_sso_token(&tampered, &jwks, "payroll", None, now).unwrap_err(),
        SsoTokenError::BadSignature
    );

    // Only the hash is stored, in an sso session row.
    assert!(
        !backend.text_anywhere(&issued.token).await,
        "the token text is stored somewhere"
    );
    let signature = issued.token.rsplit('.').next().unwrap();
    assert!(!backend.text_anywhere(signature).await);
    assert!(
        backend
            .text_anywhere(sso_token_hash(&issued.token).as_str())
            .await,
        "the search finds what is stored"
    );
    let rows = backend.sso_rows(w.user_id).await;
    assert_eq!(
        rows,
        vec![(
            sso_token_hash(&issued.token).as_str().to_owned(),
            "sso".into(),
            "sso_consent".into(),
            "payroll".into(),
            strings(&["wallet:read"])
        )]
    );
    // The JWT is no session token for the API.
    let as_session = SessionToken::from_presented(issued.token.clone());
    assert_eq!(
        w.api.local().caller(&as_session).await.unwrap_err().code,
        ErrorCode::Unauthenticated
    );

    let audit = store.security_events(Some(w.user_id), 100).await.unwrap();
    let issued_event = audit
        .iter()
        .find(|e| e.event_type == "sso_token_issued")
        .unwrap();
    assert_eq!(issued_event.detail["module"], "payroll");
    assert!(!issued_event.detail.to_string().contains(&issued.token));

    // Online verification follows consent; offline verification cannot, until expiry.
    let online = w
        .api
        .verify_sso_token(&issued.token, "payroll", Some("wallet:read"))
        .await
        .unwrap();
    assert_eq!(online.subject, w.user_id.to_string());
    let revoked = w.api.revoke_module(&w.user, "payroll").await.unwrap();
    assert_eq!(revoked.revoked_tokens, 1);
    let err = w
        .api
        .verify_sso_token(&issued.token, "payroll", None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Unauthenticated);
    assert!(verify_sso_token(&issued.token, &jwks, "payroll", None, now).is_ok());
    assert_eq!(
        w.api
            .issue_sso_token(&w.user, "payroll", None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Forbidden
    );
}

pub async fn disabling_stops_tokens(store: Arc<dyn Store>, backend: &dyn Backend) {
    let w = consented_user(store, backend).await;
    w.api
        .authorize_module(&w.user, "payroll", None)
        .await
        .unwrap();
    let issued = w
        .api
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    assert_eq!(issued.scopes.len(), 2);
    w.api
        .set_module_enabled(&w.admin, "payroll", false)
        .await
        .unwrap();
    assert_eq!(
        w.api
            .issue_sso_token(&w.user, "payroll", None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState
    );
    assert_eq!(
        w.api
            .verify_sso_token(&issued.token, "payroll", None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::Unauthenticated
    );
    assert_eq!(
        w.api
            .authorize_module(&w.user, "payroll", None)
            .await
            .unwrap_err()
            .code,
        ErrorCode::InvalidState
    );
    // Withdrawing is always possible.
    assert!(
        !w.api
            .uninstall_module(&w.user, "payroll")
            .await
            .unwrap()
            .installed
    );
}

pub async fn rotation_keeps_old_tokens_verifiable(store: Arc<dyn Store>, backend: &dyn Backend) {
    let w = consented_user(store.clone(), backend).await;
    w.api
        .authorize_module(&w.user, "payroll", None)
        .await
        .unwrap();
    let first = w
        .api
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    let again = w
        .api
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    assert_eq!(again.kid, first.kid, "the key is reused until rotated");

    assert_eq!(
        w.api.rotate_sso_key(&w.user).await.unwrap_err().code,
        ErrorCode::Forbidden
    );
    let rotated = w.api.rotate_sso_key(&w.admin).await.unwrap();
    assert_eq!(rotated.retired_kid.as_deref(), Some(first.kid.as_str()));
    assert_ne!(rotated.kid, first.kid);
    assert!(
        w.vault
            .get(&format!("sso-signing-key:{}", first.kid))
            .unwrap()
            .is_none(),
        "the old private key is deleted"
    );
    assert!(
        w.vault
            .get(&format!("sso-signing-key:{}", rotated.kid))
            .unwrap()
            .is_some()
    );

    let second = w
        .api
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    assert_eq!(second.kid, rotated.kid);
    let jwks = published(&w.api).await;
    assert_eq!(kid_of(&jwks).len(), 2);
    let now = w.clock_now();
    assert!(
        verify_sso_token(&first.token, &jwks, "payroll", None, now).is_ok(),
        "old tokens still verify"
    );
    assert!(verify_sso_token(&second.token, &jwks, "payroll", None, now).is_ok());
    assert!(
        w.api
            .verify_sso_token(&first.token, "payroll", None)
            .await
            .is_ok()
    );

    let audit = store
        .security_events(Some(backend_admin_id(&w).await), 100)
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.event_type == "sso_key_rotated"));

    // Once every token it signed has expired, the retired key leaves the JWKS.
    w.clock.advance(Duration::minutes(11));
    assert_eq!(kid_of(&published(&w.api).await), vec![rotated.kid.clone()]);
}

async fn backend_admin_id(w: &World) -> IdentityId {
    let view = w.api.identity_for(&w.admin).await.unwrap();
    IdentityId::from_uuid(uuid::Uuid::parse_str(&view.id).unwrap())
}

impl World {
    fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        multipass_api::Clock::now(self.clock.as_ref())
    }
}

/// Two desktops on one database: each signs with the key in its own keyring, and the one
/// JWKS verifies both desktops' tokens.
pub async fn desktops_sharing_a_store_publish_every_key(
    store: Arc<dyn Store>,
    backend: &dyn Backend,
) {
    let w = consented_user(store.clone(), backend).await;
    w.api
        .authorize_module(&w.user, "payroll", None)
        .await
        .unwrap();
    let other_vault = Arc::new(KeyringVault::new(format!(
        "multipass-apps-test-{}",
        uuid::Uuid::new_v4()
    )));
    let other_desktop =
        api(store, w.clock.clone(), LockoutPolicy::default()).with_vault(other_vault);
    let here = w
        .api
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    let there = other_desktop
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    assert_ne!(here.kid, there.kid, "each keyring holds its own key");
    let jwks = published(&other_desktop).await;
    let mut kids = kid_of(&jwks);
    kids.sort();
    let mut expected = vec![here.kid.clone(), there.kid.clone()];
    expected.sort();
    assert_eq!(kids, expected);
    let now = w.clock_now();
    for token in [&here.token, &there.token] {
        assert!(verify_sso_token(token, &jwks, "payroll", None, now).is_ok());
    }
}

/// Server instances over one database with the same sealing key: one key set, whichever
/// instance signs or rotates, kept in the database only sealed; an instance with another
/// key cannot use it and says so, instead of making a key of its own.
pub async fn server_instances_share_one_sealed_key_set(
    store: Arc<dyn Store>,
    backend: &dyn Backend,
) {
    use multipass_api::sealed_vault::{SealedVault, SealingKey};
    const KEY: &str = "5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1ed5ea1";
    let secrets = store
        .clone()
        .server_secrets()
        .expect("the shared database keeps sealed secrets");
    let sealed = |key: &str| {
        Arc::new(SealedVault::new(
            Arc::new(SealingKey::from_hex(key).unwrap()),
            secrets.clone(),
        ))
    };
    let w = consented_user(store.clone(), backend).await;
    w.api
        .authorize_module(&w.user, "payroll", None)
        .await
        .unwrap();
    let instance = |key: &str| {
        api(store.clone(), w.clock.clone(), LockoutPolicy::default()).with_vault(sealed(key))
    };
    let (first, second) = (instance(KEY), instance(KEY));
    let a = first
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    let b = second
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    assert_eq!(a.kid, b.kid, "one key set for every instance");
    assert_eq!(kid_of(&published(&second).await), vec![a.kid.clone()]);
    second
        .verify_sso_token(&a.token, "payroll", None)
        .await
        .unwrap();

    // A rotation on one instance is the key of all; the old key stays published.
    let rotated = second.rotate_sso_key(&w.admin).await.unwrap();
    let c = first
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap();
    assert_eq!(c.kid, rotated.kid);
    let jwks = published(&first).await;
    for token in [&a.token, &c.token] {
        assert!(verify_sso_token(token, &jwks, "payroll", None, w.clock_now()).is_ok());
    }

    // The database holds the private half only sealed.
    let vault = sealed(KEY);
    let name = format!("sso-signing-key:{}", rotated.kid);
    let seed = tokio::task::spawn_blocking(move || vault.get(&name))
        .await
        .unwrap()
        .unwrap()
        .expect("the current key's seed");
    assert_eq!(seed.len(), 32);
    use base64::Engine as _;
    for form in [
        hex::encode(seed.as_slice()),
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed.as_slice()),
        base64::engine::general_purpose::STANDARD.encode(seed.as_slice()),
    ] {
        assert!(
            !backend.text_anywhere(&form).await,
            "the seed is stored in the clear"
        );
    }

    // Another deployment's key opens nothing and makes nothing.
    let stranger = instance(&KEY.replace('5', "6"));
    let err = stranger
        .issue_sso_token(&w.user, "payroll", None)
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::Internal, "{err:?}");
    assert!(
        err.message.contains("MULTIPASS_SECRETS_KEY_FILE"),
        "{}",
        err.message
    );
    assert_eq!(
        kid_of(&published(&first).await).len(),
        2,
        "no key was added"
    );
}
