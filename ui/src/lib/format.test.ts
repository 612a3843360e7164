import { describe, expect, it } from "vitest";
import { formatDate, humanizeStatus, initials, kycLabel, storeLabel } from "./format";

describe("storeLabel", () => {
  it("names each backend", () => {
    expect(storeLabel("sqlite")).toBe("Local store (SQLite)");
    expect(storeLabel("postgres")).toBe("PostgreSQL");
  });
});

describe("kycLabel", () => {
  it("prefixes the level", () => {
    expect(kycLabel(0)).toBe("Level 0");
    expect(kycLabel(3)).toBe("Level 3");
  });
});

describe("humanizeStatus", () => {
  it.each([
    ["unverified", "Unverified"],
    ["pending_review", "Pending review"],
    ["VERIFIED", "Verified"],
    ["needs-more__info", "Needs more info"],
    ["", "Unknown"],
    ["  ", "Unknown"],
  ])("turns %j into %j", (status, expected) => {
    expect(humanizeStatus(status)).toBe(expected);
  });
});

describe("formatDate", () => {
  it("formats an RFC 3339 timestamp", () => {
    expect(formatDate("2025-03-04T10:00:00Z", "en-GB", "UTC")).toBe("4 March 2025");
    expect(formatDate("2025-03-04T23:30:00-02:00", "en-US", "UTC")).toBe("March 5, 2025");
  });

  it("gives null for unreadable input", () => {
    expect(formatDate("", "en-GB", "UTC")).toBeNull();
    expect(formatDate("yesterday", "en-GB", "UTC")).toBeNull();
  });
});

describe("initials", () => {
  it.each([
    ["Ada Lovelace", "ada", "AL"],
    ["Ada King Lovelace", "ada", "AL"],
    ["ada", "x", "A"],
    ["  ", "zed", "Z"],
    ["", "7of9", "7"],
    ["Émile Zola", "ez", "ÉZ"],
    ["(Ada) Lovelace", "ada", "AL"],
  ])("of %j / %j is %j", (fullName, username, expected) => {
    expect(initials(fullName, username)).toBe(expected);
  });
});
