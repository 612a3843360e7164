import type { ChangePasswordRequest } from "./bindings";
import { validateNewPassword, validatePasswordConfirmation, type FieldErrors } from "./validation";

/** A 6-digit authenticator code; spaces people type for readability are allowed. */
export function validateTotpCode(raw: string): string | null {
  const code = raw.replace(/\s/g, "");
  if (code === "") return "Enter the 6-digit code from your app.";
  if (!/^\d{6}$/.test(code)) return "The code is 6 digits.";
  return null;
}

/** The backup codes as copied: one a line, numbered, with a heading. */
export function backupCodesText(codes: readonly string[]): string {
  const lines = codes.map((code, i) => `${String(i + 1).padStart(2, " ")}. ${code}`);
  return ["Multipass backup codes (each works once)", ...lines, ""].join("\n");
}

export type PasswordChangeField = "currentPassword" | "newPassword" | "newPasswordConfirm";
export const PASSWORD_CHANGE_FIELDS: readonly PasswordChangeField[] = [
  "currentPassword",
  "newPassword",
  "newPasswordConfirm",
];

export type PasswordChangeInput = {
  currentPassword: string;
  newPassword: string;
  newPasswordConfirm: string;
};

export function validatePasswordChange(input: PasswordChangeInput): FieldErrors<PasswordChangeField> {
  const errors: FieldErrors<PasswordChangeField> = {};
  if (input.currentPassword === "") errors.currentPassword = "Enter your current password.";
  const fresh = validateNewPassword(input.newPassword);
  if (fresh !== null) errors.newPassword = fresh;
  else if (input.newPassword === input.currentPassword && input.currentPassword !== "") {
    errors.newPassword = "Choose a password different from the current one.";
  }
  const again = validatePasswordConfirmation(input.newPassword, input.newPasswordConfirm);
  if (again !== null) errors.newPasswordConfirm = again;
  return errors;
}

export function toChangePasswordRequest(input: PasswordChangeInput): ChangePasswordRequest {
  return { currentPassword: input.currentPassword, newPassword: input.newPassword };
}

/** What to say after a change, given how many other sessions it signed out. */
export function passwordChangedNotice(revoked: number): string {
  if (revoked === 0) return "Your password was changed.";
  const sessions = revoked === 1 ? "1 other session was" : `${String(revoked)} other sessions were`;
  return `Your password was changed, and ${sessions} signed out.`;
}
