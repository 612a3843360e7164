import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import type {
  ApiError,
  ErrorCode,
  IdentityView,
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
