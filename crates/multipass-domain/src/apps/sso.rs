//! SSO tokens: short-lived EdDSA (Ed25519) JWTs that a module verifies offline against the
//! published JWKS.

use super::scopes::{Scope, ScopeSet};
use crate::session::TokenHash;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::pkcs8::EncodePrivateKey;
use ed25519_dalek::{SigningKey, VerifyingKey};
use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, Jwk, KeyAlgorithm,
    OctetKeyPairParameters, OctetKeyPairType, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::CryptoRng;
use serde::{Deserialize, Serialize};
use sha3::{Digest, Sha3_256};
use std::fmt;
use zeroize::Zeroizing;

pub use jsonwebtoken::jwk::JwkSet;

/// What `multipass_sessions.token_hash` holds for an SSO token: SHA3-256 over a fixed
/// prefix and the token. The prefix keeps it from ever equalling the hash of a desktop or
/// CLI session token, so a module holding a JWT cannot present it as a session token.
pub fn sso_token_hash(token: &str) -> TokenHash {
    let mut bytes = Vec::with_capacity(SSO_HASH_PREFIX.len() + token.len());
    bytes.extend_from_slice(SSO_HASH_PREFIX);
    bytes.extend_from_slice(token.as_bytes());
    TokenHash::of(&bytes)
}

const SSO_HASH_PREFIX: &[u8] = b"multipass-sso-token\0";

/// The `iss` of every token.
pub const SSO_ISSUER: &str = "multipass";

/// How far a verifier's clock may run behind the issuer's before a fresh token's `iat` looks
/// like the future. Expiry gets no leeway: a token is dead at `exp`.
pub const ISSUED_AT_LEEWAY_SECONDS: i64 = 60;

/// How long a token lives; also how long a retired key stays published.
pub fn sso_token_lifetime() -> Duration {
    Duration::minutes(10)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoKeyError {
    #[error("a signing key seed is 32 bytes, not {0}")]
    SeedLength(usize),
    #[error("a public key is 32 bytes of base64url without padding")]
    PublicKeyEncoding,
    #[error("the public key is not a valid Ed25519 point")]
    PublicKeyPoint,
    #[error("the key id must be 8 to 64 characters of A-Z, a-z, 0-9, _ or -")]
    Kid,
    #[error("the signing key could not be encoded: {0}")]
    Encoding(String),
}

/// A private signing key with its key id. `Debug` shows the kid only.
pub struct SsoSigningKey {
    kid: String,
    key: SigningKey,
}

impl fmt::Debug for SsoSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SsoSigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SsoSigningKey {
    pub fn generate(rng: &mut impl CryptoRng) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_key(SigningKey::from_bytes(&seed))
    }

    /// The key kept in the keyring as its 32-byte seed.
    pub fn from_seed(seed: &[u8]) -> Result<Self, SsoKeyError> {
        let seed: &[u8; 32] = seed
            .try_into()
            .map_err(|_| SsoKeyError::SeedLength(seed.len()))?;
        Ok(Self::from_key(SigningKey::from_bytes(seed)))
    }

    fn from_key(key: SigningKey) -> Self {
        let kid = kid_for(&key.verifying_key());
        Self { kid, key }
    }

    pub fn seed(&self) -> Zeroizing<[u8; 32]> {
        Zeroizing::new(self.key.to_bytes())
    }

    /// Derived from the public key, so the same key always has the same id on every desktop.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_key(&self) -> SsoPublicKey {
        SsoPublicKey {
            kid: self.kid.clone(),
            x: URL_SAFE_NO_PAD.encode(self.key.verifying_key().as_bytes()),
        }
    }

    /// Signs `claims` with `kid` in the header.
    pub fn sign(&self, claims: &SsoClaims) -> Result<String, SsoKeyError> {
        let der = self
            .key
            .to_pkcs8_der()
            .map_err(|e| SsoKeyError::Encoding(e.to_string()))?;
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(der.as_bytes()))
            .map_err(|e| SsoKeyError::Encoding(e.to_string()))
    }
}

fn kid_for(key: &VerifyingKey) -> String {
    let digest = Sha3_256::digest(key.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

/// A published verification key: its kid and the raw public key, base64url without padding
/// (the JWK `x`, and `sso_signing_keys.public_key`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoPublicKey {
    kid: String,
    x: String,
}

impl SsoPublicKey {
    /// Checks a stored key: a valid kid and 32 bytes that are an Ed25519 point.
    pub fn parse(kid: &str, x: &str) -> Result<Self, SsoKeyError> {
        let kid_ok = (8..=64).contains(&kid.len())
            && kid
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
        if !kid_ok {
            return Err(SsoKeyError::Kid);
        }
        decode_point(x)?;
        Ok(Self {
            kid: kid.to_owned(),
            x: x.to_owned(),
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn x(&self) -> &str {
        &self.x
    }

    /// The RFC 7517 / RFC 8037 form: `{"kty":"OKP","crv":"Ed25519","x":..,"kid":..,"use":"sig","alg":"EdDSA"}`.
    pub fn to_jwk(&self) -> Jwk {
        Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::EdDSA),
                key_id: Some(self.kid.clone()),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::OctetKeyPair(OctetKeyPairParameters {
                key_type: OctetKeyPairType::OctetKeyPair,
                curve: EllipticCurve::Ed25519,
                x: self.x.clone(),
            }),
        }
    }
}

fn decode_point(x: &str) -> Result<VerifyingKey, SsoKeyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(x)
        .map_err(|_| SsoKeyError::PublicKeyEncoding)?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|_| SsoKeyError::PublicKeyEncoding)?;
    VerifyingKey::from_bytes(&bytes).map_err(|_| SsoKeyError::PublicKeyPoint)
}

/// The JWKS of `keys`.
pub fn jwks(keys: &[SsoPublicKey]) -> JwkSet {
    JwkSet {
        keys: keys.iter().map(SsoPublicKey::to_jwk).collect(),
    }
}

/// The token's claims. `scope` is the space-separated scope list (RFC 8693 §4.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SsoClaims {
    pub iss: String,
    /// The identity id.
    pub sub: String,
    /// The module name.
    pub aud: String,
    pub scope: String,
    pub iat: i64,
    pub exp: i64,
    /// The token's own id, unique per token.
    pub jti: String,
}

impl SsoClaims {
    pub fn new(
        subject: uuid::Uuid,
        audience: &str,
        scopes: &ScopeSet,
        issued_at: DateTime<Utc>,
        jti: uuid::Uuid,
    ) -> Self {
        Self {
            iss: SSO_ISSUER.to_owned(),
            sub: subject.hyphenated().to_string(),
            aud: audience.to_owned(),
            scope: scopes.to_spaced(),
            iat: issued_at.timestamp(),
            exp: (issued_at + sso_token_lifetime()).timestamp(),
            jti: jti.hyphenated().to_string(),
        }
    }

    pub fn expires_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp(self.exp, 0)
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SsoTokenError {
    #[error("the token is not a well-formed Multipass SSO token")]
    Malformed,
    #[error("the token is signed with a key that is not published")]
    UnknownKey,
    #[error("the token's signature is not valid")]
    BadSignature,
    #[error("the token was not issued by Multipass")]
    WrongIssuer,
    #[error("the token was issued to another module")]
    WrongAudience,
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued in the future")]
    NotYetValid,
    #[error("the token lacks the scope {0}")]
    MissingScope(String),
}

/// A token that passed [`verify_sso_token`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedSsoToken {
    pub claims: SsoClaims,
    pub subject: uuid::Uuid,
    pub scopes: ScopeSet,
    pub kid: String,
}

/// What a module runs on every request, offline: the signature against the key of the
/// header's `kid` in `keys`, the issuer, that the token is for `audience`, not expired at
/// `now`, not issued in the future, no longer-lived than [`sso_token_lifetime`], and that it
/// carries `required_scope` when one is given.
pub fn verify_sso_token(
    token: &str,
    keys: &JwkSet,
    audience: &str,
    required_scope: Option<&Scope>,
    now: DateTime<Utc>,
) -> Result<VerifiedSsoToken, SsoTokenError> {
    let header = jsonwebtoken::decode_header(token).map_err(|_| SsoTokenError::Malformed)?;
    if header.alg != Algorithm::EdDSA {
        return Err(SsoTokenError::Malformed);
    }
    let kid = header.kid.ok_or(SsoTokenError::Malformed)?;
    let jwk = keys.find(&kid).ok_or(SsoTokenError::UnknownKey)?;
    let x = match &jwk.algorithm {
        AlgorithmParameters::OctetKeyPair(okp) if okp.curve == EllipticCurve::Ed25519 => &okp.x,
        _ => return Err(SsoTokenError::UnknownKey),
    };
    // Checked here because the JWT library indexes the key bytes without a length check.
    decode_point(x).map_err(|_| SsoTokenError::UnknownKey)?;
    let key = DecodingKey::from_ed_components(x).map_err(|_| SsoTokenError::UnknownKey)?;

    // Time and audience are checked below against the `now` passed in, not the system clock.
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    let claims = jsonwebtoken::decode::<SsoClaims>(token, &key, &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => SsoTokenError::BadSignature,
            _ => SsoTokenError::Malformed,
        })?
        .claims;

    if claims.iss != SSO_ISSUER {
        return Err(SsoTokenError::WrongIssuer);
    }
    if claims.aud != audience {
        return Err(SsoTokenError::WrongAudience);
    }
    let now = now.timestamp();
    if now >= claims.exp {
        return Err(SsoTokenError::Expired);
    }
    if claims.iat > now + ISSUED_AT_LEEWAY_SECONDS {
        return Err(SsoTokenError::NotYetValid);
    }
    if claims.exp - claims.iat > sso_token_lifetime().num_seconds() || claims.exp <= claims.iat {
        return Err(SsoTokenError::Malformed);
    }
    let subject = uuid::Uuid::parse_str(&claims.sub).map_err(|_| SsoTokenError::Malformed)?;
    let scopes =
        ScopeSet::parse_spaced("scope", &claims.scope).map_err(|_| SsoTokenError::Malformed)?;
    if let Some(required) = required_scope
        && !scopes.contains(required)
    {
        return Err(SsoTokenError::MissingScope(required.to_string()));
    }
    Ok(VerifiedSsoToken {
        claims,
        subject,
        scopes,
        kid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn fixed_now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    struct Issued {
        key: SsoSigningKey,
        token: String,
        keys: JwkSet,
    }

    fn issue(scopes: &str) -> Issued {
        let key = SsoSigningKey::generate(&mut rand::rng());
        let claims = SsoClaims::new(
            uuid::Uuid::new_v4(),
            "payroll",
            &ScopeSet::parse_spaced("scope", scopes).unwrap(),
            fixed_now(),
            uuid::Uuid::new_v4(),
        );
        let token = key.sign(&claims).unwrap();
        let keys = jwks(&[key.public_key()]);
        Issued { key, token, keys }
    }

    fn scope(raw: &str) -> Scope {
        Scope::parse(raw).unwrap()
    }

    #[test]
    fn a_fresh_token_verifies_and_carries_its_claims() {
        let issued = issue("wallet:read market:write");
        let verified = verify_sso_token(
            &issued.token,
            &issued.keys,
            "payroll",
            Some(&scope("wallet:read")),
            fixed_now() + Duration::minutes(9),
        )
        .unwrap();
        assert_eq!(verified.kid, issued.key.kid());
        assert_eq!(verified.claims.iss, SSO_ISSUER);
        assert_eq!(verified.claims.exp - verified.claims.iat, 600);
        assert_eq!(verified.scopes.to_spaced(), "wallet:read market:write");
    }

    fn flip_signature_char(token: &str) -> String {
        let mut chars: Vec<char> = token.chars().collect();
        let last = chars.len() - 2;
        chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect()
    }

    fn replace_payload(token: &str, edit: impl Fn(&mut serde_json::Value)) -> String {
        let parts: Vec<&str> = token.split('.').collect();
        let mut payload: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        edit(&mut payload);
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
        format!("{}.{payload}.{}", parts[0], parts[2])
    }

    #[rstest]
    #[case::other_audience("reports", None, 0, SsoTokenError::WrongAudience)]
    #[case::at_expiry("payroll", None, 10, SsoTokenError::Expired)]
    #[case::after_expiry("payroll", None, 60, SsoTokenError::Expired)]
    #[case::before_issue("payroll", None, -5, SsoTokenError::NotYetValid)]
    #[case::missing_scope("payroll", Some("wallet:write"), 0, SsoTokenError::MissingScope("wallet:write".into()))]
    fn refusals(
        #[case] audience: &str,
        #[case] required: Option<&str>,
        #[case] minutes_later: i64,
        #[case] expected: SsoTokenError,
    ) {
        let issued = issue("wallet:read");
        let required = required.map(scope);
        let err = verify_sso_token(
            &issued.token,
            &issued.keys,
            audience,
            required.as_ref(),
            fixed_now() + Duration::minutes(minutes_later),
        )
        .unwrap_err();
        assert_eq!(err, expected);
    }

    #[rstest]
    #[case::signature(|t: &str| flip_signature_char(t), SsoTokenError::BadSignature)]
    #[case::scope_widened(|t: &str| replace_payload(t, |p| p["scope"] = "wallet:read wallet:admin".into()), SsoTokenError::BadSignature)]
    #[case::expiry_extended(|t: &str| replace_payload(t, |p| p["exp"] = (p["exp"].as_i64().unwrap() + 3600).into()), SsoTokenError::BadSignature)]
    #[case::garbage(|_: &str| "not.a.jwt".to_owned(), SsoTokenError::Malformed)]
    #[case::empty(|_: &str| String::new(), SsoTokenError::Malformed)]
    #[case::alg_none(|t: &str| {
        let parts: Vec<&str> = t.split('.').collect();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"x"}"#);
        format!("{header}.{}.", parts[1])
    }, SsoTokenError::Malformed)]
    fn tampering_is_refused(#[case] spoil: fn(&str) -> String, #[case] expected: SsoTokenError) {
        let issued = issue("wallet:read");
        let spoiled = spoil(&issued.token);
        assert_ne!(spoiled, issued.token);
        let err =
            verify_sso_token(&spoiled, &issued.keys, "payroll", None, fixed_now()).unwrap_err();
        assert_eq!(err, expected);
    }

    #[test]
    fn a_key_not_in_the_set_is_unknown_and_a_short_key_does_not_panic() {
        let issued = issue("wallet:read");
        let other = jwks(&[SsoSigningKey::generate(&mut rand::rng()).public_key()]);
        assert_eq!(
            verify_sso_token(&issued.token, &other, "payroll", None, fixed_now()).unwrap_err(),
            SsoTokenError::UnknownKey
        );
        let mut short = issued.keys.clone();
        if let AlgorithmParameters::OctetKeyPair(okp) = &mut short.keys[0].algorithm {
            okp.x = "AAAA".into();
        }
        assert_eq!(
            verify_sso_token(&issued.token, &short, "payroll", None, fixed_now()).unwrap_err(),
            SsoTokenError::UnknownKey
        );
    }

    #[test]
    fn the_stored_hash_is_not_the_plain_token_hash() {
        let issued = issue("wallet:read");
        let hash = sso_token_hash(&issued.token);
        assert_eq!(hash, sso_token_hash(&issued.token));
        assert_ne!(hash, TokenHash::of(issued.token.as_bytes()));
        assert_eq!(hash.as_str().len(), 64);
    }

    #[test]
    fn keys_round_trip_through_their_seed_and_publish_as_okp_jwks() {
        let key = SsoSigningKey::generate(&mut rand::rng());
        let again = SsoSigningKey::from_seed(key.seed().as_slice()).unwrap();
        assert_eq!(again.kid(), key.kid());
        assert_eq!(again.public_key(), key.public_key());
        assert_eq!(
            SsoSigningKey::from_seed(&[0; 31]).unwrap_err(),
            SsoKeyError::SeedLength(31)
        );
        assert!(!format!("{key:?}").contains(&hex::encode(key.seed().as_slice())));
        let public = key.public_key();
        assert_eq!(
            SsoPublicKey::parse(public.kid(), public.x()).unwrap(),
            public
        );
        assert_eq!(public.x().len(), 43);
        assert_eq!(
            SsoPublicKey::parse("short", public.x()).unwrap_err(),
            SsoKeyError::Kid
        );
        assert_eq!(
            SsoPublicKey::parse(public.kid(), "AAAA").unwrap_err(),
            SsoKeyError::PublicKeyEncoding
        );
        let json = serde_json::to_value(jwks(std::slice::from_ref(&public))).unwrap();
        let jwk = &json["keys"][0];
        assert_eq!(jwk["kty"], "OKP");
        assert_eq!(jwk["crv"], "Ed25519");
        assert_eq!(jwk["alg"], "EdDSA");
        assert_eq!(jwk["use"], "sig");
        assert_eq!(jwk["kid"], public.kid());
        assert_eq!(jwk["x"], public.x());
    }
}
