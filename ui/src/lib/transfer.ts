import type { TransferRequest } from "./bindings";
import { parseAmount } from "./money";

export type TransferField = "toWalletId" | "amount";
export const TRANSFER_FIELDS: readonly TransferField[] = ["toWalletId", "amount"];

export type TransferInput = { fromWalletId: string; toWalletId: string; amount: string };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type TransferCheck =
  | { ok: true; request: Omit<TransferRequest, "idempotencyKey"> }
  | { ok: false; errors: Partial<Record<TransferField, string>> };

/** Client-side checks before anything is sent; the server checks again. */
export function checkTransfer(input: TransferInput): TransferCheck {
  const errors: Partial<Record<TransferField, string>> = {};
  const to = input.toWalletId.trim().toLowerCase();
  if (to === "") errors.toWalletId = "Enter the id of the receiving wallet.";
  else if (!UUID.test(to)) {
    errors.toWalletId = "A wallet id looks like 3f2c5a9e-1b7d-4c8e-9a6f-2d4b8e1c7a30.";
  } else if (to === input.fromWalletId.toLowerCase()) {
    errors.toWalletId = "A wallet cannot send to itself. Choose another receiving wallet.";
  }
  const amount = parseAmount(input.amount);
  if (!amount.ok) errors.amount = amount.message;
  if (!amount.ok || errors.toWalletId !== undefined) return { ok: false, errors };
  return {
    ok: true,
    request: { fromWalletId: input.fromWalletId, toWalletId: to, asset: null, amount: amount.minor },
  };
}

/** One intended transfer: the request and the idempotency key that names it. */
export type Attempt = { key: string; request: TransferRequest };

function sameTransfer(a: Omit<TransferRequest, "idempotencyKey">, b: TransferRequest): boolean {
  return (
    a.fromWalletId === b.fromWalletId &&
    a.toWalletId === b.toWalletId &&
    a.asset === b.asset &&
    a.amount === b.amount
  );
}

/**
 * The attempt to send. Retrying the same transfer after a failure keeps the
 * key, so if the first try did reach the server (an answer lost, a timeout)
 * the server replays its result instead of paying twice. Anything changed
 * makes it a new transfer with a new key. After a success the caller drops
 * the attempt, so the next submission is a new transfer.
 */
export function nextAttempt(
  previous: Attempt | null,
  request: Omit<TransferRequest, "idempotencyKey">,
  newKey: () => string,
): Attempt {
  if (previous !== null && sameTransfer(request, previous.request)) return previous;
  const key = newKey();
  return { key, request: { ...request, idempotencyKey: key } };
}
