// Generated from the operation list (crates/multipass-api/src/operations/list.rs) by `make bindings`.
// Do not edit by hand: the test `operations_file_is_current` fails when it is stale.

import type {
  AccountProof,
  AppChangeView,
  AppEventPage,
  AssetView,
  AttestRequest,
  AttestationCheck,
  AttestationView,
  BackupCodesView,
  BalanceView,
  ChallengeView,
  ChangePasswordRequest,
  CreateAssetRequest,
  CsvExportView,
  DepositRequest,
  EnrollPassRequest,
  ExportRequest,
  FeeScheduleView,
  GeneratedReportView,
  HistoryPage,
  HistoryRequest,
  IdentityId,
  IdentityView,
  IssueRequest,
  KeyRotatedView,
  KycListRequest,
  KycReviewRequest,
  KycSubmitRequest,
  KycSubmitted,
  KycView,
  ModuleView,
  MyModuleView,
  NewReportDefinitionRequest,
  NotificationCount,
  NotificationListRequest,
  NotificationPage,
  OpenedReport,
  OrderBookView,
  OrderView,
  PassView,
  PositionView,
  ProfileView,
  RegisterModuleRequest,
  ReportDefinitionChanges,
  ReportDefinitionView,
  RoleGrantView,
  RunReportRequest,
  SecondFactorStatus,
  SecurityEventView,
  SecurityPolicy,
  SecurityPolicyView,
  SessionId,
  SessionView,
  SsoTokenView,
  TotpEnrolment,
  TradeView,
  TransactionView,
  UpdateModuleRequest,
  UpdateProfileRequest,
  VerificationView,
  WalletView,
} from "./bindings";
import { callOperation, type ApiResult } from "./api";

export function signOut(): Promise<ApiResult<null>> {
  return callOperation<null>("sign_out", {});
}

export function identityFor(): Promise<ApiResult<IdentityView>> {
  return callOperation<IdentityView>("identity_for", {});
}

export function bootstrapAdmin(): Promise<ApiResult<RoleGrantView>> {
  return callOperation<RoleGrantView>("bootstrap_admin", {});
}

export function grantRole(args: { username: string; role: string }): Promise<ApiResult<RoleGrantView>> {
  return callOperation<RoleGrantView>("grant_role", args);
}

export function profile(args: { username: string | null }): Promise<ApiResult<ProfileView>> {
  return callOperation<ProfileView>("profile", args);
}

export function updateProfile(args: { request: UpdateProfileRequest }): Promise<ApiResult<ProfileView>> {
  return callOperation<ProfileView>("update_profile", args);
}

export function setSuspended(args: { username: string; suspended: boolean }): Promise<ApiResult<ProfileView>> {
  return callOperation<ProfileView>("set_suspended", args);
}

export function setActive(args: { username: string; active: boolean }): Promise<ApiResult<ProfileView>> {
  return callOperation<ProfileView>("set_active", args);
}

export function submitKyc(args: { request: KycSubmitRequest }): Promise<ApiResult<KycSubmitted>> {
  return callOperation<KycSubmitted>("submit_kyc", args);
}

export function kycVerifications(args: { request: KycListRequest }): Promise<ApiResult<Array<KycView>>> {
  return callOperation<Array<KycView>>("kyc_verifications", args);
}

export function reviewKyc(args: { request: KycReviewRequest }): Promise<ApiResult<KycSubmitted>> {
  return callOperation<KycSubmitted>("review_kyc", args);
}

export function expireDueKyc(): Promise<ApiResult<Array<KycView>>> {
  return callOperation<Array<KycView>>("expire_due_kyc", {});
}

export function attest(args: { request: AttestRequest }): Promise<ApiResult<AttestationView>> {
  return callOperation<AttestationView>("attest", args);
}

export function attestations(args: { username: string | null }): Promise<ApiResult<Array<AttestationView>>> {
  return callOperation<Array<AttestationView>>("attestations", args);
}

export function verifyAttestation(args: { attestationId: string }): Promise<ApiResult<AttestationCheck>> {
  return callOperation<AttestationCheck>("verify_attestation", args);
}

export function revokeAttestation(args: { attestationId: string; reason: string }): Promise<ApiResult<AttestationView>> {
  return callOperation<AttestationView>("revoke_attestation", args);
}

export function securityEvents(args: { identity: IdentityId | null; limit: number }): Promise<ApiResult<Array<SecurityEventView>>> {
  return callOperation<Array<SecurityEventView>>("security_events", args);
}

export function identityIdOf(args: { username: string }): Promise<ApiResult<IdentityId>> {
  return callOperation<IdentityId>("identity_id_of", args);
}

export function sessions(args: { identity: IdentityId | null }): Promise<ApiResult<Array<SessionView>>> {
  return callOperation<Array<SessionView>>("sessions", args);
}

export function revokeSession(args: { identity: IdentityId | null; session: SessionId }): Promise<ApiResult<null>> {
  return callOperation<null>("revoke_session", args);
}

export function secondFactorStatus(): Promise<ApiResult<SecondFactorStatus>> {
  return callOperation<SecondFactorStatus>("second_factor_status", {});
}

export function totpEnrol(): Promise<ApiResult<TotpEnrolment>> {
  return callOperation<TotpEnrolment>("totp_enrol", {});
}

export function totpConfirm(args: { code: string }): Promise<ApiResult<SecondFactorStatus>> {
  return callOperation<SecondFactorStatus>("totp_confirm", args);
}

export function totpDisable(args: { proof: AccountProof }): Promise<ApiResult<SecondFactorStatus>> {
  return callOperation<SecondFactorStatus>("totp_disable", args);
}

export function regenerateBackupCodes(args: { proof: AccountProof }): Promise<ApiResult<BackupCodesView>> {
  return callOperation<BackupCodesView>("regenerate_backup_codes", args);
}

export function setRequire2fa(args: { identity: IdentityId | null; required: boolean }): Promise<ApiResult<SecondFactorStatus>> {
  return callOperation<SecondFactorStatus>("set_require_2fa", args);
}

export function changePassword(args: { request: ChangePasswordRequest }): Promise<ApiResult<number>> {
  return callOperation<number>("change_password", args);
}

export function unlock(args: { identity: IdentityId }): Promise<ApiResult<null>> {
  return callOperation<null>("unlock", args);
}

/** The security policy in force: the shared database's, or a standalone desktop's settings. */
export function securityPolicy(): Promise<ApiResult<SecurityPolicyView>> {
  return callOperation<SecurityPolicyView>("security_policy", {});
}

/** Replaces the shared database's security policy. */
export function updateSecurityPolicy(args: { policy: SecurityPolicy }): Promise<ApiResult<SecurityPolicyView>> {
  return callOperation<SecurityPolicyView>("update_security_policy", args);
}

export function listWallets(args: { owner: string | null }): Promise<ApiResult<Array<WalletView>>> {
  return callOperation<Array<WalletView>>("list_wallets", args);
}

export function wallet(args: { walletId: string }): Promise<ApiResult<WalletView>> {
  return callOperation<WalletView>("wallet", args);
}

export function balances(args: { walletId: string }): Promise<ApiResult<Array<BalanceView>>> {
  return callOperation<Array<BalanceView>>("balances", args);
}

export function setWalletStatus(args: { walletId: string; status: string }): Promise<ApiResult<WalletView>> {
  return callOperation<WalletView>("set_wallet_status", args);
}

export function setDefaultWallet(args: { walletId: string }): Promise<ApiResult<WalletView>> {
  return callOperation<WalletView>("set_default_wallet", args);
}

export function deposit(args: { request: DepositRequest }): Promise<ApiResult<TransactionView>> {
  return callOperation<TransactionView>("deposit", args);
}

export function feeSchedule(): Promise<ApiResult<FeeScheduleView>> {
  return callOperation<FeeScheduleView>("fee_schedule", {});
}

export function verifyTransfer(args: { transferId: string }): Promise<ApiResult<VerificationView>> {
  return callOperation<VerificationView>("verify_transfer", args);
}

/** One of the caller's wallets' history as CSV, whole, for the desktop to write to its file (`limit_exceeded` past `MAX_SENT_CSV_BYTES`). */
export function walletTransactionsCsv(args: { request: ExportRequest }): Promise<ApiResult<CsvExportView>> {
  return callOperation<CsvExportView>("wallet_transactions_csv", args);
}

export function history(args: { request: HistoryRequest }): Promise<ApiResult<HistoryPage>> {
  return callOperation<HistoryPage>("history", args);
}

export function createAsset(args: { request: CreateAssetRequest }): Promise<ApiResult<AssetView>> {
  return callOperation<AssetView>("create_asset", args);
}

export function assets(): Promise<ApiResult<Array<AssetView>>> {
  return callOperation<Array<AssetView>>("assets", {});
}

export function setAssetStatus(args: { symbol: string; status: string }): Promise<ApiResult<AssetView>> {
  return callOperation<AssetView>("set_asset_status", args);
}

export function issueAsset(args: { request: IssueRequest }): Promise<ApiResult<AssetView>> {
  return callOperation<AssetView>("issue_asset", args);
}

export function cancelOrder(args: { orderId: string }): Promise<ApiResult<OrderView>> {
  return callOperation<OrderView>("cancel_order", args);
}

export function myOrders(args: { symbol: string | null; restingOnly: boolean; limit: number }): Promise<ApiResult<Array<OrderView>>> {
  return callOperation<Array<OrderView>>("my_orders", args);
}

export function orderBook(args: { symbol: string; levels: number }): Promise<ApiResult<OrderBookView>> {
  return callOperation<OrderBookView>("order_book", args);
}

export function trades(args: { symbol: string; limit: number }): Promise<ApiResult<Array<TradeView>>> {
  return callOperation<Array<TradeView>>("trades", args);
}

export function positions(): Promise<ApiResult<Array<PositionView>>> {
  return callOperation<Array<PositionView>>("positions", {});
}

export function registerModule(args: { request: RegisterModuleRequest }): Promise<ApiResult<ModuleView>> {
  return callOperation<ModuleView>("register_module", args);
}

export function updateModule(args: { name: string; request: UpdateModuleRequest }): Promise<ApiResult<ModuleView>> {
  return callOperation<ModuleView>("update_module", args);
}

export function setModuleEnabled(args: { name: string; enabled: boolean }): Promise<ApiResult<ModuleView>> {
  return callOperation<ModuleView>("set_module_enabled", args);
}

export function listModules(args: { includeDisabled: boolean }): Promise<ApiResult<Array<MyModuleView>>> {
  return callOperation<Array<MyModuleView>>("list_modules", args);
}

export function installModule(args: { module: string }): Promise<ApiResult<AppChangeView>> {
  return callOperation<AppChangeView>("install_module", args);
}

export function authorizeModule(args: { module: string; scopes: Array<string> | null }): Promise<ApiResult<AppChangeView>> {
  return callOperation<AppChangeView>("authorize_module", args);
}

export function revokeModule(args: { module: string }): Promise<ApiResult<AppChangeView>> {
  return callOperation<AppChangeView>("revoke_module", args);
}

export function uninstallModule(args: { module: string }): Promise<ApiResult<AppChangeView>> {
  return callOperation<AppChangeView>("uninstall_module", args);
}

export function recordAppAction(args: { module: string; action: string; detail: string | null }): Promise<ApiResult<AppChangeView>> {
  return callOperation<AppChangeView>("record_app_action", args);
}

export function appEvents(args: { module: string | null; cursor: string | null; limit: number | null }): Promise<ApiResult<AppEventPage>> {
  return callOperation<AppEventPage>("app_events", args);
}

export function issueSsoToken(args: { module: string; scopes: Array<string> | null }): Promise<ApiResult<SsoTokenView>> {
  return callOperation<SsoTokenView>("issue_sso_token", args);
}

export function rotateSsoKey(): Promise<ApiResult<KeyRotatedView>> {
  return callOperation<KeyRotatedView>("rotate_sso_key", {});
}

export function notifications(args: { request: NotificationListRequest }): Promise<ApiResult<NotificationPage>> {
  return callOperation<NotificationPage>("notifications", args);
}

export function markNotificationRead(args: { id: string }): Promise<ApiResult<null>> {
  return callOperation<null>("mark_notification_read", args);
}

export function markAllNotificationsRead(): Promise<ApiResult<NotificationCount>> {
  return callOperation<NotificationCount>("mark_all_notifications_read", {});
}

export function unreadNotificationCount(): Promise<ApiResult<NotificationCount>> {
  return callOperation<NotificationCount>("unread_notification_count", {});
}

export function reportDefinitions(args: { includeInactive: boolean }): Promise<ApiResult<Array<ReportDefinitionView>>> {
  return callOperation<Array<ReportDefinitionView>>("report_definitions", args);
}

export function createReportDefinition(args: { request: NewReportDefinitionRequest }): Promise<ApiResult<ReportDefinitionView>> {
  return callOperation<ReportDefinitionView>("create_report_definition", args);
}

export function updateReportDefinition(args: { definition: string; changes: ReportDefinitionChanges }): Promise<ApiResult<ReportDefinitionView>> {
  return callOperation<ReportDefinitionView>("update_report_definition", args);
}

export function setReportDefinitionActive(args: { definition: string; active: boolean }): Promise<ApiResult<ReportDefinitionView>> {
  return callOperation<ReportDefinitionView>("set_report_definition_active", args);
}

export function runReport(args: { request: RunReportRequest }): Promise<ApiResult<GeneratedReportView>> {
  return callOperation<GeneratedReportView>("run_report", args);
}

export function myReports(args: { limit: number | null }): Promise<ApiResult<Array<GeneratedReportView>>> {
  return callOperation<Array<GeneratedReportView>>("my_reports", args);
}

export function openReport(args: { id: string }): Promise<ApiResult<OpenedReport>> {
  return callOperation<OpenedReport>("open_report", args);
}

export function enrollPass(args: { request: EnrollPassRequest }): Promise<ApiResult<PassView>> {
  return callOperation<PassView>("enroll_pass", args);
}

export function passes(args: { username: string | null }): Promise<ApiResult<Array<PassView>>> {
  return callOperation<Array<PassView>>("passes", args);
}

export function revokePass(args: { pass: string; reason: string | null }): Promise<ApiResult<PassView>> {
  return callOperation<PassView>("revoke_pass", args);
}

export function reportPassLost(args: { pass: string; reason: string | null }): Promise<ApiResult<PassView>> {
  return callOperation<PassView>("report_pass_lost", args);
}

export function expireDuePasses(): Promise<ApiResult<Array<PassView>>> {
  return callOperation<Array<PassView>>("expire_due_passes", {});
}

export function issueChallenge(args: { pass: string; purpose: string }): Promise<ApiResult<ChallengeView>> {
  return callOperation<ChallengeView>("issue_challenge", args);
}
