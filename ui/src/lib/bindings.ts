// Generated from crates/multipass-api (dto.rs, error.rs, the service views and the operation list) by `make bindings`. Do not edit by hand:
// the test `bindings_file_is_current` fails when this file and the Rust types disagree.

export type ErrorCode = "invalid_input" | "invalid_credentials" | "conflict" | "not_found" | "unauthenticated" | "unavailable" | "schema_too_new" | "config" | "forbidden" | "insufficient_funds" | "idempotency_mismatch" | "invalid_state" | "expired" | "already_used" | "second_factor_required" | "timeout" | "limit_exceeded" | "keyring_unavailable" | "cancelled" | "certificate_untrusted" | "rate_limited" | "internal";

export type ApiError = { code: ErrorCode, message: string, 
/**
 * For `invalid_input` and `conflict`: the form field to correct.
 */
field: string | null, 
/**
 * For `rate_limited`: how many seconds to wait before trying again.
 */
retry_after_seconds?: number, };

export type StoreBackend = "sqlite" | "postgres" | "server";

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

export type AppChangeView = { module: string, installed: boolean, consentedScopes: Array<string>, 
/**
 * False when it was already so (installing twice, revoking nothing).
 */
changed: boolean, 
/**
 * Open SSO tokens for this module that stopped being valid online.
 */
revokedTokens: number, };

export type AppEventPage = { events: Array<AppEventView>, nextCursor: string | null, };

export type AppEventView = { id: string, module: string, 
/**
 * installed, authorized, revoked, uninstalled or action.
 */
eventType: string, 
/**
 * For `authorized`: the consented scopes.
 */
scopes: Array<string>, action: string | null, detail: string | null, createdAt: string, };

export type AssetView = { id: string, symbol: string, name: string, assetType: string, totalSupply: number, circulatingSupply: number, status: string, isTradable: boolean, createdAt: string, };

export type AttestRequest = { 
/**
 * Whom the attestation is about.
 */
username: string, 
/**
 * 1 to 100 characters, e.g. `over_18` or `employee`.
 */
attestationType: string, 
/**
 * Who vouches for the claim, 1 to 200 characters.
 */
issuer: string, 
/**
 * A JSON object; see `multipass_domain::attestation` for its canonical form.
 */
claim: Record<string, unknown>, 
/**
 * RFC 3339.
 */
expiresAt: string | null, };

export type AttestationCheck = { attestationId: string, state: "valid" | "tampered" | "revoked" | "expired", valid: boolean, proofHash: string, 
/**
 * The digest of the claim as stored now.
 */
recomputedHash: string, anchor: "not_anchored" | "anchored", message: string, };

export type AttestationView = { id: string, identityId: string, attestationType: string, issuer: string, 
/**
 * The canonical JSON text the proof hash was computed over.
 */
claim: string, 
/**
 * SHA3-256 of `claim`, hex.
 */
proofHash: string, issuedAt: string, expiresAt: string | null, revokedAt: string | null, revocationReason: string | null, 
/**
 * `not_anchored` until chain anchoring exists.
 */
anchor: "not_anchored" | "anchored", chainAnchorTx: string | null, };

export type BookLevelView = { price: number, 
/**
 * Sum of the level's remaining quantities, as a string: it may exceed 2^53.
 */
quantity: string, orders: number, };

export type CreateAssetRequest = { symbol: string, name: string, 
/**
 * One of native, utility_token, equity_token, carbon_credit, nft, subscription_pass.
 */
assetType: string, totalSupply: number, };

export type CsvExportView = { csv: string, 
/**
 * Data rows, the header not counted.
 */
rows: number, };

export type DepositRequest = { walletId: string, 
/**
 * Defaults to the native currency, MPC.
 */
asset: string | null, amount: number, 
/**
 * Why the funds were added, kept with the deposit.
 */
memo: string | null, };

export type EnrollPassRequest = { 
/**
 * Whose pass: a username (desk staff and admins), or the caller's own.
 */
username: string | null, 
/**
 * fido2_usb, fido2_nfc or software_pass.
 */
deviceType: string, label: string, 
/**
 * Unpadded base64url.
 */
credentialId: string, 
/**
 * The COSE key, unpadded base64url.
 */
publicKey: string, 
/**
 * COSE algorithm id: -7 or -8.
 */
algorithm: number, aaguid: string | null, signCount: number, capabilities: Array<string>, 
/**
 * RFC 3339.
 */
expiresAt: string | null, };

export type ExportRequest = { walletId: string, asset: string | null, 
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
until: string | null, };

export type FeeScheduleView = { basisPoints: number, minimum: number, };

export type GeneratedReportView = { id: string, definitionId: string, definitionName: string, identityId: string, parameters: Record<string, unknown>, format: string, 
/**
 * pending, running, completed or failed.
 */
status: string, 
/**
 * SHA3-256 of the result, hex.
 */
resultHash: string | null, rowCount: number | null, errorMessage: string | null, generatedAt: string | null, createdAt: string, };

export type IdentityId = string;

export type IssueRequest = { symbol: string, walletId: string, quantity: number, };

export type KeyRotatedView = { 
/**
 * The key this desktop now signs with.
 */
kid: string, 
/**
 * The key it signed with before, now retired but still published until its tokens expire.
 */
retiredKid: string | null, };

export type KycListRequest = { 
/**
 * Whose verifications (desk staff and admins), or the caller's own.
 */
username: string | null, 
/**
 * Only this status (pending, approved, rejected, expired).
 */
status: string | null, 
/**
 * Everyone's (admins): with `status: "pending"`, the review queue.
 */
all: boolean, };

export type KycReviewDecision = "approve" | "reject";

export type KycReviewRequest = { verificationId: string, decision: KycReviewDecision, 
/**
 * Required when rejecting; shown to the person.
 */
reason: string | null, };

export type KycSubmitRequest = { 
/**
 * Whose verification: a username (desk staff and admins), or the caller's own.
 */
username: string | null, 
/**
 * government_id, proof_of_address, selfie or biometric.
 */
verificationType: string, 
/**
 * The document on this machine; it is read and hashed, never uploaded or stored.
 */
documentPath: string, 
/**
 * Who checked the document (e.g. the KYC vendor), 1 to 200 characters.
 */
provider: string, 
/**
 * RFC 3339; when the verification lapses, if ever.
 */
expiresAt: string | null, };

export type KycSubmitted = { verification: KycView, profile: ProfileView, };

export type KycView = { id: string, identityId: string, verificationType: string, 
/**
 * SHA3-256 of the document, hex.
 */
documentHash: string, provider: string, status: string, 
/**
 * The level this verification stands for (see `VerificationType::proves_level`).
 */
kycLevel: number, reviewedBy: string | null, reviewedAt: string | null, rejectionReason: string | null, expiresAt: string | null, createdAt: string, };

export type ModuleView = { id: string, name: string, displayName: string, description: string, category: string, apiBaseUrl: string, requiredScopes: Array<string>, version: string, enabled: boolean, createdAt: string, updatedAt: string, };

export type MyModuleView = { module: ModuleView, installed: boolean, 
/**
 * Empty when there is no consent in force.
 */
consentedScopes: Array<string>, };

export type NewReportDefinitionRequest = { name: string, description: string, 
/**
 * One SELECT with `:name` placeholders; `:caller_identity_id` is the runner's identity.
 */
sqlTemplate: string, 
/**
 * `name:type` with type date, uuid, text or integer.
 */
parameters: Array<string>, 
/**
 * json, csv or pdf; json when absent.
 */
defaultFormat: string | null, 
/**
 * 1 to 1,000,000; 10,000 when absent.
 */
rowLimit: number | null, };

export type OpenedReport = { report: GeneratedReportView, 
/**
 * The file, base64 on the wire.
 */
bytes: string, };

export type OrderBookView = { symbol: string, 
/**
 * Highest price first.
 */
bids: Array<BookLevelView>, 
/**
 * Lowest price first.
 */
asks: Array<BookLevelView>, };

export type OrderView = { id: string, sequence: number, assetId: string, walletId: string, side: string, price: number, quantity: number, filledQuantity: number, 
/**
 * What the order still holds: quote minor units for a buy, asset units for a sell.
 */
lockedAmount: number, status: string, cancelReason: string | null, createdAt: string, updatedAt: string, };

export type PlaceOrderRequest = { walletId: string, symbol: string, 
/**
 * `buy` or `sell`.
 */
side: string, 
/**
 * Limit price in minor units of the quote currency per asset unit.
 */
price: number, quantity: number, };

export type PlacedOrderView = { order: OrderView, 
/**
 * In execution order: best price first, then earliest order.
 */
fills: Array<TradeView>, };

export type PositionView = { walletId: string, assetId: string, symbol: string, quantity: number, costBasis: number, averageCost: number, realizedPnl: number, lastTradeAt: string | null, };

export type ProfileView = { id: string, fullName: string, email: string, username: string, phone: string | null, country: string | null, 
/**
 * `YYYY-MM-DD`.
 */
dateOfBirth: string | null, verificationStatus: string, kycLevel: number, role: string, isActive: boolean, deactivatedAt: string | null, metadata: Record<string, unknown>, createdAt: string, updatedAt: string, };

export type RegisterModuleRequest = { name: string, displayName: string, description: string | null, category: string, apiBaseUrl: string, requiredScopes: Array<string>, 
/**
 * Defaults to 1.0.0.
 */
version: string | null, };

export type RegisterWalletRequest = { wallet: CreateWalletRequest, 
/**
 * Chosen where the key was made, so the keyring entry is named before the wallet exists.
 */
walletId: string, 
/**
 * Hex of the encoded ML-DSA-65 public key.
 */
publicKey: string, };

export type ReportDefinitionChanges = { description: string | null, sqlTemplate: string | null, parameters: Array<string> | null, defaultFormat: string | null, rowLimit: number | null, };

export type ReportDefinitionView = { id: string, name: string, description: string, sqlTemplate: string, 
/**
 * `name:type` declarations; `caller_identity_id` is implicit and never listed.
 */
parameters: Array<string>, defaultFormat: string, rowLimit: number, isBuiltin: boolean, isActive: boolean, createdAt: string, updatedAt: string, };

export type RoleGrantView = { identityId: string, username: string, previousRole: string, role: string, 
/**
 * False when the identity already had the role.
 */
changed: boolean, };

export type RunReportRequest = { 
/**
 * The definition's name or id.
 */
definition: string, 
/**
 * Values by parameter name, as text (dates as YYYY-MM-DD).
 */
parameters: { [key in string]: string }, 
/**
 * json, csv or pdf; the definition's default when absent.
 */
format: string | null, };

export type SecurityEventView = { id: string, identityId: string | null, 
/**
 * Who caused it, when that was someone else (e.g. the admin who unlocked the account).
 */
actorId: string | null, eventType: string, detail: Record<string, unknown>, 
/**
 * RFC 3339, UTC.
 */
createdAt: string, };

export type SecurityPolicy = { 
/**
 * Consecutive failed sign-ins that lock an account.
 */
maxFailedSignIns: number, 
/**
 * How long a lock lasts; 0 keeps it until an admin unlocks the account.
 */
lockoutMinutes: number, 
/**
 * A session's hard limit from sign-in.
 */
sessionHours: number, 
/**
 * A session unused this long ends; 0 turns this off.
 */
sessionIdleMinutes: number, 
/**
 * How long a pass challenge may be answered.
 */
passChallengeSeconds: number, 
/**
 * A report query running longer is cancelled.
 */
reportTimeoutSeconds: number, 
/**
 * Failed sign-ins allowed per username within one window.
 */
signInFailuresPerUsername: number, 
/**
 * Failed sign-ins allowed per source address within one window.
 */
signInFailuresPerAddress: number, signInFailureWindowMinutes: number, };

export type SecurityPolicyView = { policy: SecurityPolicy, 
/**
 * `database`: the shared policy, changed by admins; `settings`: a standalone
 * desktop's own settings, which this operation cannot change.
 */
source: string, updatedAt: string | null, updatedBy: IdentityId | null, };

export type SessionId = string;

export type SignedOrderRequest = { order: PlaceOrderRequest, 
/**
 * Chosen by the signer, so the signed order can be placed only once.
 */
orderId: string, 
/**
 * Hex ML-DSA-65 signature of the order's canonical text.
 */
signature: string, };

export type SignedTransferRequest = { transfer: TransferRequest, 
/**
 * Chosen by the signer; part of what is signed.
 */
transferId: string, 
/**
 * The fee the sender agreed to, in minor units; it must be the current fee.
 */
fee: number, 
/**
 * Hex ML-DSA-65 signature of the transfer's canonical text.
 */
signature: string, };

export type SsoTokenView = { token: string, tokenType: string, audience: string, scopes: Array<string>, expiresAt: string, kid: string, };

export type TradeView = { id: string, assetId: string, buyOrderId: string, sellOrderId: string, buyerWalletId: string, sellerWalletId: string, aggressorSide: string, price: number, quantity: number, executedAt: string, };

export type UpdateModuleRequest = { displayName: string | null, description: string | null, category: string | null, apiBaseUrl: string | null, requiredScopes: Array<string> | null, version: string | null, };

export type UpdateProfileRequest = { 
/**
 * Whose profile: a username, or the caller's own when left out. Admins only for others.
 */
username: string | null, fullName: string | null, email: string | null, phone: string | null, country: string | null, dateOfBirth: string | null, metadata: Record<string, unknown> | null, };

export type VerificationView = { transferId: string, valid: boolean, 
/**
 * Why it is not valid, for people.
 */
problem: string | null, signerWalletId: string, signerPublicKey: string | null, };
