import { describe, expect, it } from "vitest";
import type { ApiError, ErrorCode } from "./bindings";
import { INTERNAL_MESSAGE, errorMessage, startupErrorTitle } from "./errors";

const error = (code: ErrorCode, message: string, field: string | null = null): ApiError => ({
  code,
  message,
  field,
});

describe("startupErrorTitle", () => {
  it.each<[ErrorCode, string]>([
    ["schema_too_new", "This database was upgraded by a newer Multipass"],
    ["unavailable", "Can't reach the database or server"],
    ["config", "Configuration problem"],
    ["internal", "Multipass couldn't start"],
    ["not_found", "Multipass couldn't start"],
    ["invalid_input", "Multipass couldn't start"],
  ])("titles %s as %j", (code, title) => {
    expect(startupErrorTitle(code)).toBe(title);
  });
});

describe("errorMessage", () => {
  it("shows invalid_credentials exactly as the server words it", () => {
    expect(errorMessage(error("invalid_credentials", "Wrong username or password."))).toBe(
      "Wrong username or password.",
    );
  });

  it("passes through messages written for people", () => {
    expect(errorMessage(error("conflict", "That username is taken.", "username"))).toBe(
      "That username is taken.",
    );
    expect(errorMessage(error("schema_too_new", "Schema 9 is newer than 3."))).toBe(
      "Schema 9 is newer than 3.",
    );
  });

  it("never shows the text of an internal error", () => {
    expect(errorMessage(error("internal", "sqlx: pool timed out at db.rs:42"))).toBe(
      INTERNAL_MESSAGE,
    );
  });

  it("falls back to a sentence per code when the server sends none", () => {
    const codes: ErrorCode[] = [
      "invalid_input",
      "invalid_credentials",
      "conflict",
      "not_found",
      "unauthenticated",
      "unavailable",
      "schema_too_new",
      "config",
      "forbidden",
      "insufficient_funds",
      "idempotency_mismatch",
      "invalid_state",
      "expired",
      "already_used",
      "second_factor_required",
      "timeout",
      "limit_exceeded",
      "keyring_unavailable",
      "cancelled",
      "internal",
    ];
    for (const code of codes) {
      const message = errorMessage(error(code, "  "));
      expect(message.length, code).toBeGreaterThan(10);
      expect(message.endsWith("."), code).toBe(true);
    }
    expect(errorMessage(error("unavailable", ""))).toMatch(/can't reach its database/);
  });
});
