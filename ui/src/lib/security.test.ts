import { describe, expect, it } from "vitest";
import {
  backupCodesText,
  passwordChangedNotice,
  toChangePasswordRequest,
  validatePasswordChange,
  validateTotpCode,
} from "./security";

const OLD = "an old and long passphrase";
const NEW = "a new and longer passphrase";

describe("validateTotpCode", () => {
  it.each([
    ["123456", null],
    ["123 456", null],
    ["", "Enter the 6-digit code from your app."],
    ["12345", "The code is 6 digits."],
    ["12345a", "The code is 6 digits."],
    ["1234567", "The code is 6 digits."],
  ])("%j gives %j", (code, problem) => {
    expect(validateTotpCode(code)).toBe(problem);
  });
});

describe("validatePasswordChange", () => {
  it("accepts a good change", () => {
    expect(validatePasswordChange({ currentPassword: OLD, newPassword: NEW, newPasswordConfirm: NEW })).toEqual({});
  });

  it.each([
    [{ currentPassword: "", newPassword: NEW, newPasswordConfirm: NEW }, { currentPassword: "Enter your current password." }],
    [{ currentPassword: OLD, newPassword: "short", newPasswordConfirm: "short" }, { newPassword: "Use at least 12 characters." }],
    [{ currentPassword: OLD, newPassword: OLD, newPasswordConfirm: OLD }, { newPassword: "Choose a password different from the current one." }],
    [{ currentPassword: OLD, newPassword: NEW, newPasswordConfirm: "" }, { newPasswordConfirm: "Enter your password again." }],
    [{ currentPassword: OLD, newPassword: NEW, newPasswordConfirm: `${NEW} ` }, { newPasswordConfirm: "The passwords don't match." }],
  ])("refuses %j", (input, errors) => {
    expect(validatePasswordChange(input)).toEqual(errors);
  });

  it("sends the passwords exactly as typed", () => {
    expect(toChangePasswordRequest({ currentPassword: ` ${OLD}`, newPassword: `${NEW} `, newPasswordConfirm: `${NEW} ` })).toEqual({
      currentPassword: ` ${OLD}`,
      newPassword: `${NEW} `,
    });
  });
});

describe("messages", () => {
  it.each([
    [0, "Your password was changed."],
    [1, "Your password was changed, and 1 other session was signed out."],
    [3, "Your password was changed, and 3 other sessions were signed out."],
  ])("after %d revoked sessions", (n, text) => {
    expect(passwordChangedNotice(n)).toBe(text);
  });

  it("copies backup codes one a line", () => {
    expect(backupCodesText(["AAAAA-11111", "BBBBB-22222"])).toBe(
      "Multipass backup codes (each works once)\n 1. AAAAA-11111\n 2. BBBBB-22222\n",
    );
  });
});
