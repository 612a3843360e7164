// Generated from crates/multipass-api (dto.rs, error.rs and the service views) by `make bindings`. Do not edit by hand:
// the test `bindings_file_is_current` fails when this file and the Rust types disagree.

export type ErrorCode = "invalid_input" | "invalid_credentials" | "conflict" | "not_found" | "unauthenticated" | "unavailable" | "schema_too_new" | "config" | "forbidden" | "insufficient_funds" | "idempotency_mismatch" | "invalid_state" | "expired" | "already_used" | "second_factor_required" | "timeout" | "limit_exceeded" | "keyring_unavailable" | "cancelled" | "internal";

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
 * `user`, `desk` or `admin`: which screens the window offers (the API checks again).
 */
role: string, 
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

export type CreateWalletRequest = { name: string, labels: Array<string>, };

export type WalletView = { id: string, ownerId: string, name: string, 
/**
 * `active`, `frozen` or `closed`.
 */
status: string, keyAlgorithm: string, 
/**
 * Hex of the ML-DSA-65 public key (none for the fee treasury, which never signs).
 */
publicKey: string | null, 
/**
 * Hex SHA3-256 of the public key.
 */
addresses: Array<string>, labels: Array<string>, isDefault: boolean, createdAt: string, };

export type BalanceView = { asset: string, total: number, locked: number, 
/**
 * total - locked: what can be sent.
 */
unlocked: number, };

export type TransferRequest = { fromWalletId: string, toWalletId: string, 
/**
 * Defaults to the native currency, MPC.
 */
asset: string | null, amount: number, 
/**
 * Chosen by the client, one per intended transfer: sending the same request again
 * with it returns the first result instead of paying twice.
 */
idempotencyKey: string, };

export type TransactionView = { id: string, walletId: string, counterpartyWalletId: string | null, transferId: string, 
/**
 * `credit` or `debit`.
 */
direction: string, 
/**
 * `transfer`, `fee`, `deposit`, ...
 */
txType: string, asset: string, amount: number, fee: number, status: string, balanceAfter: number | null, 
/**
 * Hex ML-DSA-65 signature, on a transfer's debit leg.
 */
signature: string | null, createdAt: string, };

export type TransferView = { transferId: string, 
/**
 * True when this idempotency key had already been used for this same request: nothing
 * moved now, and this is the first result again.
 */
replayed: boolean, amount: number, fee: number, 
/**
 * Debit, credit, then the fee credit to the treasury when there is a fee.
 */
legs: Array<TransactionView>, };

export type HistoryRequest = { walletId: string, asset: string | null, 
/**
 * `credit` or `debit`.
 */
direction: string | null, 
/**
 * `pending`, `completed`, `failed` or `reversed`.
 */
status: string | null, 
/**
 * RFC 3339; rows at or after it.
 */
since: string | null, 
/**
 * RFC 3339; rows before it.
 */
until: string | null, 
/**
 * The `nextCursor` of the previous page.
 */
cursor: string | null, 
/**
 * 1 to 200; 50 when absent.
 */
limit: number | null, };

export type HistoryPage = { items: Array<TransactionView>, 
/**
 * Pass back as `cursor` for the next page; absent on the last page.
 */
nextCursor: string | null, };

export type NotificationView = { id: string, 
/**
 * One of the `notifications.kind` values, e.g. `report_ready`.
 */
kind: string, title: string, body: string, isRead: boolean, readAt: string | null, metadata: Record<string, unknown>, createdAt: string, };

export type NotificationListRequest = { unreadOnly: boolean, 
/**
 * `nextCursor` of the previous page; absent for the newest.
 */
cursor: string | null, 
/**
 * 1 to 200; 50 when absent.
 */
limit: number | null, };

export type NotificationPage = { notifications: Array<NotificationView>, 
/**
 * Pass back as `cursor` for the next (older) page; `null` on the last page.
 */
nextCursor: string | null, };

export type NotificationCount = { count: number, };

export type SessionView = { id: string, 
/**
 * `desktop`, `cli` or `sso`.
 */
kind: string, authMethod: string, audience: string | null, scopes: Array<string>, deviceInfo: Record<string, unknown>, 
/**
 * RFC 3339, UTC.
 */
createdAt: string, lastSeenAt: string, expiresAt: string, 
/**
 * The session this request came with.
 */
current: boolean, };

export type SecondFactorStatus = { totpEnabled: boolean, 
/**
 * Enrolment started but not yet confirmed with a code.
 */
totpPending: boolean, require2fa: boolean, backupCodesLeft: number, };

export type TotpEnrolment = { 
/**
 * Base32, for typing into an app by hand.
 */
secret: string, otpauthUri: string, 
/**
 * The URI as an SVG QR code.
 */
qrSvg: string, };

export type BackupCodesView = { codes: Array<string>, };

export type AccountProof = { "kind": "totp", "value": string } | { "kind": "password", "value": string };

export type ChangePasswordRequest = { currentPassword: string, newPassword: string, };

export type PassView = { id: string, identityId: string, enrolledBy: string | null, deviceType: string, label: string, credentialId: string, publicKey: string, 
/**
 * COSE algorithm: -7 (ES256) or -8 (EdDSA).
 */
algorithm: number, aaguid: string | null, signCount: number, capabilities: Array<string>, status: string, statusReason: string | null, expiresAt: string | null, lastUsedAt: string | null, revokedAt: string | null, createdAt: string, };

export type ChallengeView = { id: string, passId: string, purpose: string, 
/**
 * Hex; sign exactly these bytes.
 */
challenge: string, expiresAt: string, usedAt: string | null, };

export type DeviceRef = { "kind": "hid", path: string, } | { "kind": "software" };

export type PassInfoView = { aaguid: string, versions: Array<string>, vendorName: string | null, firmwareVersion: number | null, 
/**
 * None: no PIN support; false: supported but not set.
 */
pinSet: boolean | null, algorithms: Array<number>, };

export type ConnectedPass = { device: DeviceRef, 
/**
 * fido2_usb or software_pass.
 */
deviceType: string, 
/**
 * The software pass is for tests and demos only.
 */
testDevice: boolean, 
/**
 * Four hex digits.
 */
vendorId: string | null, productId: string | null, manufacturer: string | null, product: string | null, info: PassInfoView | null, 
/**
 * Why getInfo failed, when it did.
 */
problem: string | null, };

export type HidDeviceView = { path: string, vendorId: string, productId: string, usagePage: string, usage: string, manufacturer: string | null, product: string | null, 
/**
 * Usage page 0xF1D0, usage 0x01.
 */
isFidoPass: boolean, canOpen: boolean, problem: string | null, };

export type PassDiagnostics = { os: string, devices: Array<HidDeviceView>, softwarePass: string | null, rpId: string, };

export type Progress = "touch_needed" | "processing";

export type DeskEnrolmentRequest = { 
/**
 * Whose pass it becomes.
 */
username: string, device: DeviceRef, 
/**
 * Empty: the pass's own product name.
 */
label: string, 
/**
 * The pass's PIN, when it has one.
 */
pin: string | null, 
/**
 * RFC 3339; from then on the pass no longer signs in. None: it does not expire.
 */
expiresAt: string | null, };

export type DeskEnrolment = { pass: PassView, 
/**
 * The `enrolment_test` challenge the new pass answered.
 */
testChallenge: ChallengeView, };

export type PassSignInRequest = { username: string, device: DeviceRef, pin: string | null, };
