import type { ConnectedPass, DeviceRef, PassView, Progress } from "./bindings";

/** A key that tells two devices apart in lists and form state. */
export function deviceKey(device: DeviceRef): string {
  return device.kind === "software" ? "software" : `hid:${device.path}`;
}

/** What a person calls a connected pass: its product name, else its vendor's. */
export function connectedPassName(pass: ConnectedPass): string {
  // Devices report empty or blank strings as often as none at all.
  const named =
    [pass.product, pass.info?.vendorName, pass.manufacturer]
      .map((name) => name?.trim() ?? "")
      .find((name) => name !== "") ?? (pass.testDevice ? "Software pass" : "Security key");
  return pass.testDevice ? `${named} (test device)` : named;
}

/** The device the form should start with: the only usable pass, else none. */
export function defaultDevice(passes: readonly ConnectedPass[]): DeviceRef | null {
  const usable = passes.filter((pass) => pass.problem === null);
  return usable.length === 1 ? (usable[0]?.device ?? null) : null;
}

export function findPass(
  passes: readonly ConnectedPass[],
  key: string | null,
): ConnectedPass | undefined {
  return key === null ? undefined : passes.find((pass) => deviceKey(pass.device) === key);
}

/** Whether the form must ask for the pass's PIN before the ceremony. */
export function needsPin(pass: ConnectedPass | undefined): boolean {
  return pass?.info?.pinSet === true;
}

const PROGRESS_MESSAGES: Record<Progress, string> = {
  touch_needed: "Touch your pass now. It blinks while it waits.",
  processing: "Your pass is working…",
};

export function progressMessage(progress: Progress): string {
  return PROGRESS_MESSAGES[progress];
}

const ALGORITHMS: Record<number, string> = { [-7]: "ES256", [-8]: "EdDSA" };

export function algorithmName(algorithm: number): string {
  return ALGORITHMS[algorithm] ?? `COSE ${String(algorithm)}`;
}

/** Only an active pass can still be revoked or reported lost; both are final. */
export function canEnd(pass: PassView): boolean {
  return pass.status === "active";
}

/** One line about what a connected pass said of itself, for the device list. */
export function passDetails(pass: ConnectedPass): string {
  if (pass.problem !== null) return pass.problem;
  const parts: string[] = [];
  if (pass.vendorId !== null && pass.productId !== null) {
    parts.push(`${pass.vendorId}:${pass.productId}`);
  }
  if (pass.info !== null) {
    parts.push(pass.info.versions.join(", "));
    parts.push(
      pass.info.pinSet === true ? "PIN set" : pass.info.pinSet === false ? "no PIN" : "no PIN support",
    );
    parts.push(`AAGUID ${pass.info.aaguid}`);
  }
  return parts.filter((part) => part !== "").join(" · ");
}

/**
 * The expiry instant for a date picked in the form: the pass works through the whole of
 * that day where the desk is, so it ends at the next local midnight. Null for no date or
 * one that cannot be read.
 */
export function expiryFromDate(date: string): string | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date.trim());
  if (match === null) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const chosen = new Date(year, month - 1, day);
  // Date rolls 2027-02-30 over into March; such a day was not a real one.
  if (chosen.getFullYear() !== year || chosen.getMonth() !== month - 1 || chosen.getDate() !== day) {
    return null;
  }
  const end = new Date(year, month - 1, day + 1);
  return end.toISOString();
}
