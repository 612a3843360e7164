//! Application modules and single sign-on.
//!
//! - [`module`]: a module's fields (name, display name, category, API base URL, version).
//! - [`scopes`]: the scope grammar (`resource:action[:qualifier]`), see there.
//! - [`consent`]: a user's install and consent state and how it may change. Consent is to a
//!   non-empty **subset** of the module's `required_scopes`; an SSO token carries the
//!   consented scopes (or a narrower set the module asks for) that the module still requests.
//! - [`sso`]: SSO tokens (EdDSA JWTs, 10 minutes), the JWKS, and the offline verifier.
//!
//! # Where the signing keys live and how they rotate
//!
//! Each desktop (or CLI) signs with its own Ed25519 key. The private half is kept only in
//! that machine's OS keyring; the public half is written to `sso_signing_keys`, and the JWKS
//! publishes every key that is not retired, or was retired less than a token lifetime ago.
//! Several desktops sharing one PostgreSQL therefore each have a current key, all of them
//! published, and a module verifies any desktop's token with the one JWKS. Rotating makes a
//! new key current for this desktop and retires its previous one, in one transaction; the
//! old private key is then deleted from the keyring, but the public half stays in the JWKS
//! for one token lifetime so the tokens it signed keep verifying until they expire. A
//! desktop whose keyring key is missing, or is not published in the store it is connected
//! to, makes a fresh key on its next token.

pub mod consent;
pub mod module;
pub mod scopes;
pub mod sso;

pub use consent::{AppAction, AppChange, AppChangeRefused, AppEventKind, AppState, Transition};
pub use module::{ApiBaseUrl, Description, DisplayName, ModuleCategory, ModuleName, ModuleVersion};
pub use scopes::{Scope, ScopeSet};
pub use sso::{
    SsoClaims, SsoKeyError, SsoPublicKey, SsoSigningKey, SsoTokenError, VerifiedSsoToken, jwks,
    sso_token_hash, sso_token_lifetime, verify_sso_token,
};
