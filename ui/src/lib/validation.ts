import type { SignInRequest, SignUpRequest } from "./bindings";

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 1024;
export const USERNAME_MIN_LENGTH = 3;
export const USERNAME_MAX_LENGTH = 32;

export const PASSWORD_HINT = "At least 12 characters. Long passphrases welcome.";

export type SignUpField = "fullName" | "email" | "username" | "password" | "password-confirm";
export type SignInField = "username" | "password";
export type FieldErrors<F extends string> = Partial<Record<F, string>>;

/** Form order, so the first problem a person meets is the one focused. */
export const SIGN_UP_FIELDS: readonly SignUpField[] = [
  "fullName",
  "email",
  "username",
  "password",
  "password-confirm",
];
export const SIGN_IN_FIELDS: readonly SignInField[] = ["username", "password"];

export type SignUpInput = {
  fullName: string;
  email: string;
  username: string;
  password: string;
  passwordConfirm: string;
};

/**
 * Counts Unicode code points rather than UTF-16 units so an emoji-laden
 * passphrase is measured the way a person (and the Rust side's `chars()`)
 * would count it.
 */
export function passwordLength(password: string): number {
  return Array.from(password).length;
}

export function validateFullName(fullName: string): string | null {
  return fullName.trim() === "" ? "Enter your full name." : null;
}

export function validateEmail(email: string): string | null {
  const value = email.trim();
  if (value === "") return "Enter your email address.";
  const parts = value.split("@");
  if (parts.length !== 2 || parts[0] === "" || parts[1] === "") {
    return "Enter an address like name@example.com.";
  }
  return null;
}

export function validateUsername(username: string): string | null {
  const value = username.trim();
  if (value === "") return "Choose a username.";
  if (value.length < USERNAME_MIN_LENGTH || value.length > USERNAME_MAX_LENGTH) {
    return `Use ${String(USERNAME_MIN_LENGTH)} to ${String(USERNAME_MAX_LENGTH)} characters.`;
  }
  if (!/^[a-z0-9._-]+$/i.test(value)) {
    return "Use only letters, digits, dots (.), hyphens (-) and underscores (_).";
  }
  if (!/^[a-z0-9]/i.test(value)) return "Start with a letter or a digit.";
  return null;
}

// Passwords are checked exactly as typed: leading or trailing spaces are
// part of the secret, and trimming them would lock people out later.
export function validateNewPassword(password: string): string | null {
  if (password === "") return "Choose a password.";
  const length = passwordLength(password);
  if (length < PASSWORD_MIN_LENGTH) {
    return `Use at least ${String(PASSWORD_MIN_LENGTH)} characters.`;
  }
  if (length > PASSWORD_MAX_LENGTH) {
    return `Use at most ${String(PASSWORD_MAX_LENGTH)} characters.`;
  }
  return null;
}

export function validatePasswordConfirmation(password: string, confirmation: string): string | null {
  if (confirmation === "") return "Enter your password again.";
  return confirmation === password ? null : "The passwords don't match.";
}

function collect<F extends string>(checks: [F, string | null][]): FieldErrors<F> {
  const errors: FieldErrors<F> = {};
  for (const [field, message] of checks) {
    if (message !== null) errors[field] = message;
  }
  return errors;
}

export function validateSignUp(input: SignUpInput): FieldErrors<SignUpField> {
  return collect<SignUpField>([
    ["fullName", validateFullName(input.fullName)],
    ["email", validateEmail(input.email)],
    ["username", validateUsername(input.username)],
    ["password", validateNewPassword(input.password)],
    ["password-confirm", validatePasswordConfirmation(input.password, input.passwordConfirm)],
  ]);
}

// Sign-in only checks presence: format rules belong to account creation, and
// repeating them here would hint at what a valid username looks like.
export function validateSignIn(input: SignInRequest): FieldErrors<SignInField> {
  return collect<SignInField>([
    ["username", input.username.trim() === "" ? "Enter your username." : null],
    ["password", input.password === "" ? "Enter your password." : null],
  ]);
}

export function toSignUpRequest(input: SignUpInput): SignUpRequest {
  return {
    fullName: input.fullName.trim(),
    email: input.email.trim(),
    username: input.username.trim(),
    password: input.password,
  };
}

export function toSignInRequest(input: SignInRequest): SignInRequest {
  return { username: input.username.trim(), password: input.password };
}

export function firstInvalidField<F extends string>(
  errors: FieldErrors<F>,
  order: readonly F[],
): F | null {
  return order.find((field) => errors[field] !== undefined) ?? null;
}

export function hasErrors<F extends string>(errors: FieldErrors<F>): boolean {
  return Object.values(errors).some((message) => message !== undefined);
}

/** The form-level alert text for client-side problems. */
export function errorSummary<F extends string>(errors: FieldErrors<F>): string | null {
  const count = Object.values(errors).filter((message) => message !== undefined).length;
  if (count === 0) return null;
  return count === 1
    ? "Please fix the highlighted field."
    : `Please fix the ${String(count)} highlighted fields.`;
}

export function isSignUpField(field: string | null): field is SignUpField {
  return field !== null && (SIGN_UP_FIELDS as readonly string[]).includes(field);
}

export function isSignInField(field: string | null): field is SignInField {
  return field !== null && (SIGN_IN_FIELDS as readonly string[]).includes(field);
}

/** A copy of `errors` without `field`, for clearing a message as the person edits. */
export function withoutField<F extends string>(errors: FieldErrors<F>, field: F): FieldErrors<F> {
  const copy: FieldErrors<F> = {};
  for (const key of Object.keys(errors) as F[]) {
    const message = errors[key];
    if (key !== field && message !== undefined) copy[key] = message;
  }
  return copy;
}
