import { describe, expect, it } from "vitest";
import { MAX_MINOR, formatAmount, formatMinor, parseAmount } from "./money";

describe("parseAmount", () => {
  it.each([
    ["12", 1200],
    ["12.5", 1250],
    ["12.50", 1250],
    ["0.05", 5],
    [".5", 50],
    ["7.", 700],
    ["  3.10 ", 310],
    ["1 000.25", 100025],
    ["0.01", 1],
    ["90071992547409.91", 9007199254740991],
  ])("reads %j as %d minor units", (raw, minor) => {
    expect(parseAmount(raw)).toEqual({ ok: true, minor });
  });

  it.each([
    ["", "Enter an amount."],
    ["   ", "Enter an amount."],
    ["0", "Enter an amount greater than 0."],
    ["0.00", "Enter an amount greater than 0."],
    ["-5", "Enter an amount greater than 0."],
    ["1.234", "MPC has at most 2 decimal places."],
    ["1,50", "Use a dot for decimals and no thousands separators, e.g. 1250.50."],
    ["1,000.00", "Use a dot for decimals and no thousands separators, e.g. 1250.50."],
    ["abc", "Enter an amount like 12.50."],
    [".", "Enter an amount like 12.50."],
    ["1e3", "Enter an amount like 12.50."],
    ["1.2.3", "Enter an amount like 12.50."],
    ["+5", "Enter an amount like 12.50."],
    ["0x10", "Enter an amount like 12.50."],
    ["90071992547409.92", "That amount is too large."],
    ["99999999999999999999", "That amount is too large."],
  ])("refuses %j", (raw, message) => {
    expect(parseAmount(raw)).toEqual({ ok: false, message });
  });

  it("never loses a cent to floating point", () => {
    // 0.1 + 0.2 style inputs: 0.29 * 100 is 28.999999999999996 as a float.
    expect(parseAmount("0.29")).toEqual({ ok: true, minor: 29 });
    expect(parseAmount("1.15")).toEqual({ ok: true, minor: 115 });
    expect(parseAmount("4.35")).toEqual({ ok: true, minor: 435 });
  });
});

describe("formatting", () => {
  it.each([
    [0, "0.00"],
    [5, "0.05"],
    [100, "1.00"],
    [123456, "1,234.56"],
    [-250, "-2.50"],
    [MAX_MINOR, "90,071,992,547,409.91"],
  ])("shows %d minor units as %s", (minor, text) => {
    expect(formatMinor(minor)).toBe(text);
  });

  it("names the asset", () => {
    expect(formatAmount(0)).toBe("0.00 MPC");
    expect(formatAmount(1050, "MPC")).toBe("10.50 MPC");
    expect(formatAmount(1050, "GOLD")).toBe("1,050 GOLD");
  });

  it("does not pretend to show an amount it cannot hold exactly", () => {
    expect(formatMinor(1.5)).toBe("—");
    expect(formatMinor(Number.MAX_SAFE_INTEGER + 2)).toBe("—");
  });

  it.each(["0.01", "12.34", "1000", "999999.99"])("round-trips %s", (raw) => {
    const parsed = parseAmount(raw);
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parseAmount(formatMinor(parsed.minor).replaceAll(",", ""))).toEqual(parsed);
  });
});
