//! The rules of Multipass that need no I/O: parsing inputs into domain types, password and
//! token hashing, and the lockout and session policies. Everything here is deterministic
//! given its inputs (randomness is passed in), so the storage and application layers can
//! rely on it and tests can check it with tables of cases.

pub mod apps;
pub mod attestation;
pub mod backup_codes;
pub mod identity;
pub mod ids;
pub mod kyc;
pub mod lockout;
pub mod market;
pub mod money;
pub mod pass;
pub mod password;
pub mod policy;
pub mod profile;
pub mod role;
pub mod secret;
pub mod session;
pub mod throttle;
pub mod totp;
pub mod wallet;

pub use backup_codes::BackupCode;
pub use identity::{Email, FullName, Username, ValidationError};
pub use ids::{AttestationId, ChallengeId, KycVerificationId, PassId};
pub use ids::{CredentialId, IdentityId, SessionId};
pub use lockout::LockoutPolicy;
pub use password::{Password, PasswordHash, PasswordHasher, PasswordPolicy};
pub use role::Role;
pub use secret::Secret;
pub use session::{SessionPolicy, SessionToken, TokenHash};
pub use totp::{TotpError, TotpSecret, TotpSetupError};
pub mod reports;
