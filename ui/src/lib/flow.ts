import type { ApiResult } from "./api";
import type { ApiError, IdentityView, StatusView } from "./bindings";
import { errorMessage } from "./errors";
import {
  isSignInField,
  isSignUpField,
  type FieldErrors,
  type SignInField,
  type SignUpField,
} from "./validation";

export type StartupOutcome =
  | { kind: "failed"; error: ApiError }
  | { kind: "ready"; status: StatusView; identity: IdentityView | null };

export type StartupCommands = {
  appStatus: () => Promise<ApiResult<StatusView>>;
  currentIdentity: () => Promise<ApiResult<IdentityView | null>>;
};

export async function runStartup(commands: StartupCommands): Promise<StartupOutcome> {
  const status = await commands.appStatus();
  if (!status.ok) return { kind: "failed", error: status.error };

  const identity = await commands.currentIdentity();
  if (identity.ok) return { kind: "ready", status: status.value, identity: identity.value };
  // A lapsed session is an ordinary start, not a failure to start.
  if (identity.error.code === "unauthenticated") {
    return { kind: "ready", status: status.value, identity: null };
  }
  return { kind: "failed", error: identity.error };
}

/** What a form should do with a rejected submission. */
export type FailurePlan<F extends string> = {
  alert: string;
  fieldErrors: FieldErrors<F>;
  focus: F | null;
  clearPassword: boolean;
};

export function signInFailure(error: ApiError): FailurePlan<SignInField> {
  const alert = errorMessage(error);
  if (error.code === "invalid_credentials") {
    // Neither field is marked: saying which one was wrong would tell an
    // attacker whether the username exists.
    return { alert, fieldErrors: {}, focus: "password", clearPassword: true };
  }
  if (isSignInField(error.field)) {
    return { alert, fieldErrors: { [error.field]: alert }, focus: error.field, clearPassword: false };
  }
  return { alert, fieldErrors: {}, focus: null, clearPassword: false };
}

export function signUpFailure(error: ApiError): FailurePlan<SignUpField> {
  return fieldFailure(error, isSignUpField);
}

/**
 * The plan for a form whose fields the server may name: the field it named
 * gets the message and the focus; otherwise only the alert shows.
 */
export function fieldFailure<F extends string>(
  error: ApiError,
  isField: (field: string | null) => field is F,
): FailurePlan<F> {
  const alert = errorMessage(error);
  if (isField(error.field)) {
    const fieldErrors: FieldErrors<F> = {};
    fieldErrors[error.field] = alert;
    return { alert, fieldErrors, focus: error.field, clearPassword: false };
  }
  return { alert, fieldErrors: {}, focus: null, clearPassword: false };
}

/** Fields of a list of names, as a type guard for {@link fieldFailure}. */
export function fieldsOf<F extends string>(
  fields: readonly F[],
): (field: string | null) => field is F {
  return (field): field is F => field !== null && (fields as readonly string[]).includes(field);
}

/**
 * Whether the app should show the sign-in screen after a sign-out attempt.
 * A session the server no longer knows about is as good as signed out.
 */
export function isSignedOut(result: ApiResult<null>): boolean {
  return result.ok || result.error.code === "unauthenticated";
}
