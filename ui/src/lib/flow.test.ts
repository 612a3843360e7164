import { describe, expect, it, vi } from "vitest";
import type { ApiResult } from "./api";
import type { ApiError, IdentityView, StatusView } from "./bindings";
import { INTERNAL_MESSAGE } from "./errors";
import { fieldFailure, fieldsOf, isSignedOut, runStartup, signInFailure, signUpFailure } from "./flow";

const status: StatusView = {
  backend: "postgres",
  schemaVersion: 4,
  healthy: true,
  location: "db.internal:5432/multipass",
};

const identity: IdentityView = {
  id: "id-1",
  fullName: "Ada Lovelace",
  email: "ada@example.com",
  username: "ada",
  kycLevel: 1,
  verificationStatus: "verified",
  role: "user",
  createdAt: "2025-03-04T10:00:00Z",
};

const apiError = (code: ApiError["code"], message = "msg", field: string | null = null) => ({
  code,
  message,
  field,
});

const ok = <T>(value: T): Promise<ApiResult<T>> => Promise.resolve({ ok: true, value });
const fail = <T>(error: ApiError): Promise<ApiResult<T>> => Promise.resolve({ ok: false, error });

describe("runStartup", () => {
  it("stops at a failed app_status without asking for the identity", async () => {
    const currentIdentity = vi.fn(() => ok(identity));
    const error = apiError("schema_too_new", "Database schema 7 is newer than this app (4).");
    const outcome = await runStartup({ appStatus: () => fail(error), currentIdentity });
    expect(outcome).toEqual({ kind: "failed", error });
    expect(currentIdentity).not.toHaveBeenCalled();
  });

  it("goes home when someone is signed in", async () => {
    const outcome = await runStartup({ appStatus: () => ok(status), currentIdentity: () => ok(identity) });
    expect(outcome).toEqual({ kind: "ready", status, identity });
  });

  it("goes to sign-in when nobody is", async () => {
    const outcome = await runStartup({ appStatus: () => ok(status), currentIdentity: () => ok(null) });
    expect(outcome).toEqual({ kind: "ready", status, identity: null });
  });

  it("treats an unauthenticated answer as nobody signed in", async () => {
    const outcome = await runStartup({
      appStatus: () => ok(status),
      currentIdentity: () => fail(apiError("unauthenticated")),
    });
    expect(outcome).toEqual({ kind: "ready", status, identity: null });
  });

  it("reports any other current_identity failure", async () => {
    const error = apiError("unavailable", "Lost the connection.");
    const outcome = await runStartup({
      appStatus: () => ok(status),
      currentIdentity: () => fail(error),
    });
    expect(outcome).toEqual({ kind: "failed", error });
  });
});

describe("signInFailure", () => {
  it("clears and refocuses the password on invalid_credentials, marking no field", () => {
    expect(signInFailure(apiError("invalid_credentials", "Wrong username or password."))).toEqual({
      alert: "Wrong username or password.",
      fieldErrors: {},
      focus: "password",
      clearPassword: true,
    });
  });

  it("puts a field error beside its field and in the alert", () => {
    expect(signInFailure(apiError("invalid_input", "Username is too long.", "username"))).toEqual({
      alert: "Username is too long.",
      fieldErrors: { username: "Username is too long." },
      focus: "username",
      clearPassword: false,
    });
  });

  it("keeps everything for other failures", () => {
    expect(signInFailure(apiError("unavailable", "The database is not reachable."))).toEqual({
      alert: "The database is not reachable.",
      fieldErrors: {},
      focus: null,
      clearPassword: false,
    });
  });

  it("ignores a field the sign-in form does not have", () => {
    expect(signInFailure(apiError("invalid_input", "Bad email.", "email")).fieldErrors).toEqual({});
  });

  it("hides internal details", () => {
    expect(signInFailure(apiError("internal", "panicked at src/lib.rs")).alert).toBe(INTERNAL_MESSAGE);
  });
});

describe("signUpFailure", () => {
  it.each(["fullName", "email", "username", "password"])(
    "marks the %s field named by the server",
    (field) => {
      const plan = signUpFailure(apiError("invalid_input", "Not acceptable.", field));
      expect(plan.fieldErrors).toEqual({ [field]: "Not acceptable." });
      expect(plan.focus).toBe(field);
      expect(plan.alert).toBe("Not acceptable.");
      expect(plan.clearPassword).toBe(false);
    },
  );

  it("marks a conflict on the named field", () => {
    const plan = signUpFailure(apiError("conflict", "That username is taken.", "username"));
    expect(plan.fieldErrors).toEqual({ username: "That username is taken." });
    expect(plan.focus).toBe("username");
  });

  it("shows a conflict without a field in the alert only", () => {
    const plan = signUpFailure(apiError("conflict", "That account already exists."));
    expect(plan).toEqual({
      alert: "That account already exists.",
      fieldErrors: {},
      focus: null,
      clearPassword: false,
    });
  });
});

describe("isSignedOut", () => {
  it("accepts success and an already-ended session", () => {
    expect(isSignedOut({ ok: true, value: null })).toBe(true);
    expect(isSignedOut({ ok: false, error: apiError("unauthenticated") })).toBe(true);
    expect(isSignedOut({ ok: false, error: apiError("unavailable") })).toBe(false);
  });
});

describe("fieldFailure", () => {
  const isField = fieldsOf(["toWalletId", "amount"] as const);

  it("marks and focuses the field the server named", () => {
    const plan = fieldFailure(
      { code: "not_found", message: "There is no wallet with this id.", field: "toWalletId" },
      isField,
    );
    expect(plan).toEqual({
      alert: "There is no wallet with this id.",
      fieldErrors: { toWalletId: "There is no wallet with this id." },
      focus: "toWalletId",
      clearPassword: false,
    });
  });

  it.each([null, "fromWalletId", "idempotencyKey"])("only alerts for field %j", (field) => {
    const plan = fieldFailure(
      { code: "insufficient_funds", message: "The balance is not enough.", field },
      isField,
    );
    expect(plan).toEqual({ alert: "The balance is not enough.", fieldErrors: {}, focus: null, clearPassword: false });
  });
});
