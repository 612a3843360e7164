// Generated from crates/multipass-api (dto.rs, error.rs) by `make bindings`. Do not edit by hand:
// the test `bindings_file_is_current` fails when this file and the Rust types disagree.

export type ErrorCode = "invalid_input" | "invalid_credentials" | "conflict" | "not_found" | "unauthenticated" | "unavailable" | "schema_too_new" | "config" | "forbidden" | "insufficient_funds" | "idempotency_mismatch" | "invalid_state" | "expired" | "already_used" | "second_factor_required" | "timeout" | "limit_exceeded" | "keyring_unavailable" | "internal";

export type ApiError = { code: ErrorCode, message: string, 
/**
 * For `invalid_input` and `conflict`: the form field to correct.
 */
field: string | null, };

export type StoreBackend = "sqlite" | "postgres";

export type StatusView = { backend: StoreBackend, schemaVersion: number, healthy: boolean, 
/**
 * File path, or `host:port/database as user` (never a password).
 */
location: string, };

export type IdentityView = { id: string, fullName: string, email: string, username: string, kycLevel: number, verificationStatus: string, 
/**
 * RFC 3339, UTC.
 */
createdAt: string, };

export type SignUpRequest = { fullName: string, email: string, username: string, password: string, };

export type SignInRequest = { username: string, password: string, };

export type SignedIn = { identity: IdentityView, 
/**
 * RFC 3339, UTC.
 */
expiresAt: string, };

export type SecondFactor = { "kind": "totp", "code": string } | { "kind": "backupCode", "code": string };
