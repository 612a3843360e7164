import { describe, expect, it } from "vitest";
import { checkTransfer, nextAttempt } from "./transfer";

const FROM = "11111111-1111-4111-8111-111111111111";
const TO = "22222222-2222-4222-8222-222222222222";

function keys(): () => string {
  let n = 0;
  return () => `key-${String(++n)}`;
}

describe("checkTransfer", () => {
  it("builds the request in minor units", () => {
    expect(checkTransfer({ fromWalletId: FROM, toWalletId: ` ${TO.toUpperCase()} `, amount: "2.5" })).toEqual({
      ok: true,
      request: { fromWalletId: FROM, toWalletId: TO, asset: null, amount: 250 },
    });
  });

  it.each([
    ["", "10", { toWalletId: "Enter the id of the receiving wallet." }],
    ["not-an-id", "10", { toWalletId: "A wallet id looks like 3f2c5a9e-1b7d-4c8e-9a6f-2d4b8e1c7a30." }],
    [FROM, "10", { toWalletId: "A wallet cannot send to itself. Choose another receiving wallet." }],
    [TO, "", { amount: "Enter an amount." }],
    ["", "1.001", { toWalletId: "Enter the id of the receiving wallet.", amount: "MPC has at most 2 decimal places." }],
  ])("refuses to %j of %j", (to, amount, errors) => {
    expect(checkTransfer({ fromWalletId: FROM, toWalletId: to, amount })).toEqual({ ok: false, errors });
  });
});

describe("nextAttempt", () => {
  const request = { fromWalletId: FROM, toWalletId: TO, asset: null, amount: 250 };

  it("gives a first submission a fresh key", () => {
    const attempt = nextAttempt(null, request, keys());
    expect(attempt).toEqual({ key: "key-1", request: { ...request, idempotencyKey: "key-1" } });
  });

  it("reuses the key when the same transfer is retried, so it is never paid twice", () => {
    const newKey = keys();
    const first = nextAttempt(null, request, newKey);
    const retry = nextAttempt(first, { ...request }, newKey);
    expect(retry.key).toBe("key-1");
    expect(retry.request.idempotencyKey).toBe("key-1");
  });

  it.each([
    ["amount", { amount: 251 }],
    ["receiver", { toWalletId: "33333333-3333-4333-8333-333333333333" }],
    ["sender", { fromWalletId: "44444444-4444-4444-8444-444444444444" }],
    ["asset", { asset: "GOLD" }],
  ])("makes a new key when the %s changes", (_what, change) => {
    const newKey = keys();
    const first = nextAttempt(null, request, newKey);
    const changed = nextAttempt(first, { ...request, ...change }, newKey);
    expect(changed.key).toBe("key-2");
    expect(changed.request).toEqual({ ...request, ...change, idempotencyKey: "key-2" });
  });

  it("treats the same transfer after a success (attempt dropped) as a new one", () => {
    const newKey = keys();
    nextAttempt(null, request, newKey);
    expect(nextAttempt(null, request, newKey).key).toBe("key-2");
  });
});
