import type { StoreBackend } from "./bindings";

export function storeLabel(backend: StoreBackend): string {
  switch (backend) {
    case "sqlite":
      return "Local store (SQLite)";
    case "postgres":
      return "PostgreSQL";
    case "server":
      return "Multipass server";
  }
}

export function kycLabel(level: number): string {
  return `Level ${String(level)}`;
}

/** Turns a machine status such as "pending_review" into "Pending review". */
export function humanizeStatus(status: string): string {
  const words = status.trim().replace(/[_-]+/g, " ").replace(/\s+/g, " ").toLowerCase();
  if (words === "") return "Unknown";
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/**
 * A long, locale-aware date for an RFC 3339 timestamp, or null when the
 * value cannot be read, so the caller can leave the line out rather than
 * print "Invalid Date".
 */
export function formatDate(
  iso: string,
  locale?: string,
  timeZone?: string,
): string | null {
  const date = new Date(iso);
  if (iso.trim() === "" || Number.isNaN(date.getTime())) return null;
  const options: Intl.DateTimeFormatOptions = { dateStyle: "long" };
  if (timeZone !== undefined) options.timeZone = timeZone;
  return new Intl.DateTimeFormat(locale, options).format(date);
}

/**
 * Up to two initials for the avatar: first and last name when the full name
 * has them, else the first character of the username.
 */
export function initials(fullName: string, username: string): string {
  const firstSymbol = (word: string): string => /[\p{L}\p{N}]/u.exec(word)?.[0] ?? "";
  const letters = fullName
    .trim()
    .split(/\s+/u)
    .map(firstSymbol)
    .filter((letter) => letter !== "");
  const picked = letters.length > 1 ? [letters[0], letters[letters.length - 1]] : letters;
  const result = picked.join("");
  return (result === "" ? firstSymbol(username) : result).toLocaleUpperCase();
}

/** Date and time for a list row, or null when the value cannot be read. */
export function formatDateTime(iso: string, locale?: string, timeZone?: string): string | null {
  const date = new Date(iso);
  if (iso.trim() === "" || Number.isNaN(date.getTime())) return null;
  const options: Intl.DateTimeFormatOptions = { dateStyle: "medium", timeStyle: "short" };
  if (timeZone !== undefined) options.timeZone = timeZone;
  return new Intl.DateTimeFormat(locale, options).format(date);
}
