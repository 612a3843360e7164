/**
 * MPC amounts travel as integers in minor units (1 MPC = 100). Everything
 * here stays in integer arithmetic: a float never touches a balance.
 */

export const NATIVE_ASSET = "MPC";
export const MINOR_UNITS = 100;
const DECIMALS = 2;

/** The largest amount the API takes (i64) that JSON numbers also carry exactly. */
export const MAX_MINOR = Number.MAX_SAFE_INTEGER;

export type AmountParse = { ok: true; minor: number } | { ok: false; message: string };

/**
 * Reads what a person typed ("12", "12.5", "0.05", "1 000.00") into minor
 * units. Only a dot separates decimals; a comma is refused with a message
 * rather than guessed, since "1,250" means different things in different
 * places.
 */
export function parseAmount(raw: string): AmountParse {
  const text = raw.trim().replace(/[\s\u00a0\u202f]/g, "");
  if (text === "") return { ok: false, message: "Enter an amount." };
  if (text.includes(",")) {
    return { ok: false, message: "Use a dot for decimals and no thousands separators, e.g. 1250.50." };
  }
  if (text.startsWith("-")) return { ok: false, message: "Enter an amount greater than 0." };
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (match === null || (match[1] === "" && (match[2] ?? "") === "")) {
    return { ok: false, message: "Enter an amount like 12.50." };
  }
  const whole = match[1] ?? "";
  const fraction = match[2] ?? "";
  if (fraction.length > DECIMALS) {
    return { ok: false, message: `MPC has at most ${String(DECIMALS)} decimal places.` };
  }
  const minor =
    BigInt(whole === "" ? "0" : whole) * BigInt(MINOR_UNITS) +
    BigInt(fraction.padEnd(DECIMALS, "0"));
  if (minor === 0n) return { ok: false, message: "Enter an amount greater than 0." };
  if (minor > BigInt(MAX_MINOR)) return { ok: false, message: "That amount is too large." };
  return { ok: true, minor: Number(minor) };
}

function group(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** `123456` → `"1,234.56"`; negative amounts keep their sign. */
export function formatMinor(minor: number): string {
  if (!Number.isSafeInteger(minor)) return "—";
  const value = BigInt(minor);
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / BigInt(MINOR_UNITS);
  const fraction = (abs % BigInt(MINOR_UNITS)).toString().padStart(DECIMALS, "0");
  return `${negative ? "-" : ""}${group(whole.toString())}.${fraction}`;
}

/** `0` → `"0.00 MPC"`. Other assets have no minor units and show as whole numbers. */
export function formatAmount(minor: number, asset: string = NATIVE_ASSET): string {
  if (asset !== NATIVE_ASSET) {
    return Number.isSafeInteger(minor) ? `${group(String(minor))} ${asset}` : `— ${asset}`;
  }
  return `${formatMinor(minor)} ${NATIVE_ASSET}`;
}
