import type { ApiError, ErrorCode } from "./bindings";

export const INTERNAL_MESSAGE =
  "Something unexpected went wrong. Please try again, and restart Multipass if it keeps happening.";

// Used when the server sends a known code with no usable message.
const FALLBACK_MESSAGES: Record<ErrorCode, string> = {
  invalid_input: "Some of the details you entered aren't valid.",
  invalid_credentials: "That username and password don't match.",
  conflict: "That account already exists.",
  not_found: "We couldn't find what you were looking for.",
  unauthenticated: "Your session has ended. Please sign in again.",
  unavailable: "Multipass can't reach its database right now. Please try again in a moment.",
  schema_too_new:
    "This database was last opened by a newer version of Multipass. Update Multipass to keep using it.",
  config: "Multipass isn't configured correctly.",
  forbidden: "Your account isn't allowed to do that.",
  insufficient_funds: "The balance isn't enough for this.",
  idempotency_mismatch: "This request was already sent with different details.",
  invalid_state: "That can't be done in its current state.",
  expired: "That has expired. Start again to get a new one.",
  already_used: "That code has already been used.",
  second_factor_required: "Enter the code from your authenticator app or a backup code.",
  timeout: "That took too long and was stopped.",
  limit_exceeded: "That is more than the allowed limit.",
  keyring_unavailable:
    "The system keyring isn't available. Make sure it is running and unlocked, then try again.",
  cancelled: "The operation was cancelled.",
  certificate_untrusted:
    "This computer doesn't trust the Multipass server's certificate. Ask your administrator for the server's CA file.",
  rate_limited: "Too many attempts right now. Wait a few seconds and try again.",
  internal: INTERNAL_MESSAGE,
};

export function startupErrorTitle(code: ErrorCode): string {
  switch (code) {
    case "schema_too_new":
      return "This database was upgraded by a newer Multipass";
    case "unavailable":
      return "Can't reach the database or server";
    case "certificate_untrusted":
      return "The server's certificate isn't trusted";
    case "config":
      return "Configuration problem";
    default:
      return "Multipass couldn't start";
  }
}

/**
 * The text to show a person for an error. Messages from the Rust side are
 * written for people, except for internal errors, whose text may carry
 * implementation detail, so those always get the generic sentence.
 */
export function errorMessage(error: ApiError): string {
  if (error.code === "internal") return INTERNAL_MESSAGE;
  // Shown as given (not trimmed or rewritten): the server words these itself.
  return error.message.trim() === "" ? FALLBACK_MESSAGES[error.code] : error.message;
}
