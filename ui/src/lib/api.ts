import { Channel, invoke, type InvokeArgs } from "@tauri-apps/api/core";
import type {
  AccountProof,
  ApiError,
  BackupCodesView,
  BalanceView,
  ChangePasswordRequest,
  ConnectedPass,
  CreateWalletRequest,
  DeskEnrolment,
  DeskEnrolmentRequest,
  DeviceRef,
  ErrorCode,
  HistoryPage,
  HistoryRequest,
  IdentityView,
  NotificationCount,
  NotificationListRequest,
  NotificationPage,
  PassDiagnostics,
  PassSignInRequest,
  PassView,
  Progress,
  SecondFactorStatus,
  SessionView,
  TotpEnrolment,
  TransferRequest,
  TransferView,
  WalletView,
  SecondFactor,
  SignInRequest,
  SignUpRequest,
  SignedIn,
  StatusView,
} from "./bindings";
import { INTERNAL_MESSAGE } from "./errors";

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

const ERROR_CODES: ReadonlySet<string> = new Set<ErrorCode>([
  "invalid_input",
  "invalid_credentials",
  "conflict",
  "not_found",
  "unauthenticated",
  "unavailable",
  "schema_too_new",
  "config",
  "forbidden",
  "insufficient_funds",
  "idempotency_mismatch",
  "invalid_state",
  "expired",
  "already_used",
  "second_factor_required",
  "timeout",
  "limit_exceeded",
  "keyring_unavailable",
  "cancelled",
  "certificate_untrusted",
  "rate_limited",
  "internal",
]);

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && ERROR_CODES.has(value);
}

/**
 * Commands reject with an ApiError, but Tauri itself can reject with a bare
 * string (unknown command, arguments that fail to deserialise) and a missing
 * IPC bridge throws a TypeError. Only a well-formed ApiError is trusted; the
 * rest becomes an internal error so that no unvetted text reaches the screen.
 */
export function toApiError(raw: unknown): ApiError {
  if (typeof raw === "object" && raw !== null && "code" in raw) {
    const { code, message, field } = raw as Record<string, unknown>;
    if (isErrorCode(code) && typeof message === "string") {
      return { code, message, field: typeof field === "string" && field !== "" ? field : null };
    }
  }
  return { code: "internal", message: INTERNAL_MESSAGE, field: null };
}

async function call<T>(command: string, args?: InvokeArgs): Promise<ApiResult<T>> {
  try {
    return { ok: true, value: await invoke<T>(command, args) };
  } catch (raw: unknown) {
    return { ok: false, error: toApiError(raw) };
  }
}

/**
 * One session operation of the Rust operation list, as the window's signed-in user. The
 * typed functions of `operations.ts` are generated from that list and call this.
 */
export function callOperation<T>(name: string, args: object): Promise<ApiResult<T>> {
  return call<T>("operation", { name, args });
}

export function appStatus(): Promise<ApiResult<StatusView>> {
  return call<StatusView>("app_status");
}

export function signUp(request: SignUpRequest): Promise<ApiResult<SignedIn>> {
  return call<SignedIn>("sign_up", { request });
}

/** `secondFactor` is sent only after the server answered `second_factor_required`. */
export function signIn(
  request: SignInRequest,
  secondFactor: SecondFactor | null = null,
): Promise<ApiResult<SignedIn>> {
  return call<SignedIn>("sign_in", { request, secondFactor });
}

export function signOut(): Promise<ApiResult<null>> {
  return call<null>("sign_out");
}

export function currentIdentity(): Promise<ApiResult<IdentityView | null>> {
  return call<IdentityView | null>("current_identity");
}

export function listWallets(): Promise<ApiResult<WalletView[]>> {
  return call<WalletView[]>("list_wallets");
}

export function walletBalances(walletId: string): Promise<ApiResult<BalanceView[]>> {
  return call<BalanceView[]>("wallet_balances", { walletId });
}

export function setDefaultWallet(walletId: string): Promise<ApiResult<WalletView>> {
  return call<WalletView>("set_default_wallet", { walletId });
}

export function createWallet(request: CreateWalletRequest): Promise<ApiResult<WalletView>> {
  return call<WalletView>("create_wallet", { request });
}

export function walletHistory(request: HistoryRequest): Promise<ApiResult<HistoryPage>> {
  return call<HistoryPage>("wallet_history", { request });
}

export function transfer(request: TransferRequest): Promise<ApiResult<TransferView>> {
  return call<TransferView>("transfer", { request });
}

export function listNotifications(
  request: NotificationListRequest,
): Promise<ApiResult<NotificationPage>> {
  return call<NotificationPage>("list_notifications", { request });
}

export function unreadNotificationCount(): Promise<ApiResult<NotificationCount>> {
  return call<NotificationCount>("unread_notification_count");
}

export function markNotificationRead(id: string): Promise<ApiResult<null>> {
  return call<null>("mark_notification_read", { id });
}

export function markAllNotificationsRead(): Promise<ApiResult<NotificationCount>> {
  return call<NotificationCount>("mark_all_notifications_read");
}

export function listSessions(): Promise<ApiResult<SessionView[]>> {
  return call<SessionView[]>("list_sessions");
}

export function revokeSession(sessionId: string): Promise<ApiResult<null>> {
  return call<null>("revoke_session", { sessionId });
}

export function secondFactorStatus(): Promise<ApiResult<SecondFactorStatus>> {
  return call<SecondFactorStatus>("second_factor_status");
}

export function totpEnrol(): Promise<ApiResult<TotpEnrolment>> {
  return call<TotpEnrolment>("totp_enrol");
}

export function totpConfirm(code: string): Promise<ApiResult<SecondFactorStatus>> {
  return call<SecondFactorStatus>("totp_confirm", { code });
}

export function totpDisable(proof: AccountProof): Promise<ApiResult<SecondFactorStatus>> {
  return call<SecondFactorStatus>("totp_disable", { proof });
}

export function regenerateBackupCodes(proof: AccountProof): Promise<ApiResult<BackupCodesView>> {
  return call<BackupCodesView>("regenerate_backup_codes", { proof });
}

/** Answers how many other sessions were signed out. */
export function changePassword(request: ChangePasswordRequest): Promise<ApiResult<number>> {
  return call<number>("change_password", { request });
}

export function connectedPasses(): Promise<ApiResult<ConnectedPass[]>> {
  return call<ConnectedPass[]>("connected_passes");
}

export function winkPass(device: DeviceRef): Promise<ApiResult<null>> {
  return call<null>("wink_pass", { device });
}

export function passDiagnostics(): Promise<ApiResult<PassDiagnostics>> {
  return call<PassDiagnostics>("pass_diagnostics");
}

/** The signed-in person's passes, or `username`'s for desk staff and admins. */
export function listPasses(username: string | null = null): Promise<ApiResult<PassView[]>> {
  return call<PassView[]>("list_passes", { username });
}

export function revokePass(passId: string, reason: string | null): Promise<ApiResult<PassView>> {
  return call<PassView>("revoke_pass", { passId, reason });
}

export function reportPassLost(
  passId: string,
  reason: string | null,
): Promise<ApiResult<PassView>> {
  return call<PassView>("report_pass_lost", { passId, reason });
}

function progressChannel(onProgress: (progress: Progress) => void): Channel<Progress> {
  const channel = new Channel<Progress>();
  channel.onmessage = onProgress;
  return channel;
}

/** Runs until the pass answers, fails, or `cancelPassCeremony` stops it. */
export function enrolPassAtDesk(
  request: DeskEnrolmentRequest,
  onProgress: (progress: Progress) => void,
): Promise<ApiResult<DeskEnrolment>> {
  return call<DeskEnrolment>("enrol_pass_at_desk", {
    request,
    onProgress: progressChannel(onProgress),
  });
}

export function signInWithPass(
  request: PassSignInRequest,
  onProgress: (progress: Progress) => void,
): Promise<ApiResult<SignedIn>> {
  return call<SignedIn>("sign_in_with_pass", {
    request,
    onProgress: progressChannel(onProgress),
  });
}

/** Answers whether a ceremony was running. */
export function cancelPassCeremony(): Promise<ApiResult<boolean>> {
  return call<boolean>("cancel_pass_ceremony");
}

let uiReadySent = false;

/**
 * Marks the moment the sign-in screen is usable, for the cold-start
 * benchmark. The benchmark wants the first time only, so later visits to the
 * sign-in screen do nothing, and a failure is of no interest to the person
 * using the app.
 */
export function notifyUiReady(): void {
  if (uiReadySent) return;
  uiReadySent = true;
  // `call` already turns every failure into a value, so nothing can escape.
  void call<null>("ui_ready");
}
