import { beforeEach, describe, expect, it, vi } from "vitest";
import type { IdentityView, SignedIn, StatusView } from "./bindings";
import { INTERNAL_MESSAGE } from "./errors";

const invoke = vi.hoisted(() => vi.fn<(command: string, args?: unknown) => Promise<unknown>>());
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

// Fresh module per test: notifyUiReady remembers whether it already ran.
async function loadApi(): Promise<typeof import("./api")> {
  vi.resetModules();
  return import("./api");
}

const identity: IdentityView = {
  id: "0190a8f2-0000-7000-8000-000000000000",
  fullName: "Ada Lovelace",
  email: "ada@example.com",
  username: "ada",
  kycLevel: 0,
  verificationStatus: "unverified",
  role: "user",
  createdAt: "2025-03-04T10:00:00Z",
};

beforeEach(() => {
  invoke.mockReset();
});

describe("toApiError", () => {
  it("keeps a well-formed ApiError", async () => {
    const { toApiError } = await loadApi();
    expect(toApiError({ code: "conflict", message: "Taken.", field: "username" })).toEqual({
      code: "conflict",
      message: "Taken.",
      field: "username",
    });
  });

  it("normalises a missing or empty field to null", async () => {
    const { toApiError } = await loadApi();
    expect(toApiError({ code: "unavailable", message: "Down." })).toEqual({
      code: "unavailable",
      message: "Down.",
      field: null,
    });
    expect(toApiError({ code: "invalid_input", message: "Bad.", field: "" }).field).toBeNull();
    expect(toApiError({ code: "invalid_input", message: "Bad.", field: 3 }).field).toBeNull();
  });

  it.each([
    ["a bare string", "command sign_in not found"],
    ["an Error", new TypeError("window.__TAURI_INTERNALS__ is undefined")],
    ["an unknown code", { code: "teapot", message: "I am a teapot" }],
    ["a non-string message", { code: "conflict", message: { detail: "x" } }],
    ["null", null],
    ["undefined", undefined],
  ])("turns %s into a generic internal error", async (_label, raw) => {
    const { toApiError } = await loadApi();
    expect(toApiError(raw)).toEqual({ code: "internal", message: INTERNAL_MESSAGE, field: null });
  });
});

describe("isErrorCode", () => {
  it("accepts only the contract's codes", async () => {
    const { isErrorCode } = await loadApi();
    expect(isErrorCode("schema_too_new")).toBe(true);
    expect(isErrorCode("second_factor_required")).toBe(true);
    expect(isErrorCode("insufficient_funds")).toBe(true);
    expect(isErrorCode("Schema_Too_New")).toBe(false);
    expect(isErrorCode(7)).toBe(false);
  });
});

describe("command wrappers", () => {
  it("calls app_status with no arguments", async () => {
    const api = await loadApi();
    const status: StatusView = {
      backend: "sqlite",
      schemaVersion: 1,
      healthy: true,
      location: "/tmp/m.db",
    };
    invoke.mockResolvedValueOnce(status);
    await expect(api.appStatus()).resolves.toEqual({ ok: true, value: status });
    expect(invoke).toHaveBeenCalledWith("app_status", undefined);
  });

  it("wraps sign-up and sign-in requests under `request`", async () => {
    const api = await loadApi();
    const session: SignedIn = { identity, expiresAt: "2025-03-05T10:00:00Z" };
    invoke.mockResolvedValue(session);

    const signUp = {
      fullName: "Ada Lovelace",
      email: "ada@example.com",
      username: "ada",
      password: "correct horse battery",
    };
    await expect(api.signUp(signUp)).resolves.toEqual({ ok: true, value: session });
    expect(invoke).toHaveBeenLastCalledWith("sign_up", { request: signUp });

    const signIn = { username: "ada", password: "correct horse battery" };
    await expect(api.signIn(signIn)).resolves.toEqual({ ok: true, value: session });
    expect(invoke).toHaveBeenLastCalledWith("sign_in", { request: signIn, secondFactor: null });
    await api.signIn(signIn, { kind: "totp", code: "123456" });
    expect(invoke).toHaveBeenLastCalledWith("sign_in", {
      request: signIn,
      secondFactor: { kind: "totp", code: "123456" },
    });
  });

  it("calls sign_out and current_identity", async () => {
    const api = await loadApi();
    invoke.mockResolvedValueOnce(null).mockResolvedValueOnce(identity);
    await expect(api.signOut()).resolves.toEqual({ ok: true, value: null });
    expect(invoke).toHaveBeenLastCalledWith("sign_out", undefined);
    await expect(api.currentIdentity()).resolves.toEqual({ ok: true, value: identity });
    expect(invoke).toHaveBeenLastCalledWith("current_identity", undefined);
  });

  it("turns a rejection into an error result instead of throwing", async () => {
    const api = await loadApi();
    invoke.mockRejectedValueOnce({
      code: "invalid_credentials",
      message: "Wrong username or password.",
      field: null,
    });
    await expect(api.signIn({ username: "ada", password: "nope" })).resolves.toEqual({
      ok: false,
      error: { code: "invalid_credentials", message: "Wrong username or password.", field: null },
    });

    invoke.mockRejectedValueOnce("unexpected panic text");
    await expect(api.currentIdentity()).resolves.toEqual({
      ok: false,
      error: { code: "internal", message: INTERNAL_MESSAGE, field: null },
    });
  });
});

describe("notifyUiReady", () => {
  it("calls ui_ready exactly once", async () => {
    const api = await loadApi();
    invoke.mockResolvedValue(null);
    api.notifyUiReady();
    api.notifyUiReady();
    api.notifyUiReady();
    expect(invoke).toHaveBeenCalledTimes(1);
    expect(invoke).toHaveBeenCalledWith("ui_ready", undefined);
  });

  it("swallows a failure", async () => {
    const api = await loadApi();
    invoke.mockRejectedValue({ code: "internal", message: "boom", field: null });
    expect(() => {
      api.notifyUiReady();
    }).not.toThrow();
    // Let the rejection settle: an unhandled one would fail the run.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(invoke).toHaveBeenCalledTimes(1);
  });
});

describe("service commands", () => {
  it("sends a transfer as one request with its idempotency key", async () => {
    const { transfer } = await loadApi();
    const view = { transferId: "t", replayed: false, amount: 250, fee: 1, legs: [] };
    invoke.mockResolvedValueOnce(view);
    const request = {
      fromWalletId: "a",
      toWalletId: "b",
      asset: null,
      amount: 250,
      idempotencyKey: "k-1",
    };
    await expect(transfer(request)).resolves.toEqual({ ok: true, value: view });
    expect(invoke).toHaveBeenCalledWith("transfer", { request });
  });

  it("names ids the way the commands take them", async () => {
    const api = await loadApi();
    invoke.mockResolvedValue(null);
    await api.walletBalances("w-1");
    await api.revokeSession("s-1");
    await api.markNotificationRead("n-1");
    await api.totpConfirm("123456");
    expect(invoke.mock.calls).toEqual([
      ["wallet_balances", { walletId: "w-1" }],
      ["revoke_session", { sessionId: "s-1" }],
      ["mark_notification_read", { id: "n-1" }],
      ["totp_confirm", { code: "123456" }],
    ]);
  });

  it("passes an insufficient-funds refusal through with its field", async () => {
    const { transfer } = await loadApi();
    invoke.mockRejectedValueOnce({ code: "insufficient_funds", message: "Not enough.", field: "amount" });
    await expect(
      transfer({ fromWalletId: "a", toWalletId: "b", asset: null, amount: 1, idempotencyKey: "k" }),
    ).resolves.toEqual({ ok: false, error: { code: "insufficient_funds", message: "Not enough.", field: "amount" } });
  });
});
