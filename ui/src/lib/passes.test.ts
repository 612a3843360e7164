import { describe, expect, it } from "vitest";
import type { ConnectedPass, PassView } from "./bindings";
import {
  algorithmName,
  canEnd,
  connectedPassName,
  defaultDevice,
  deviceKey,
  expiryFromDate,
  findPass,
  needsPin,
  passDetails,
  progressMessage,
} from "./passes";

function connected(overrides: Partial<ConnectedPass> = {}): ConnectedPass {
  return {
    device: { kind: "hid", path: "/dev/hidraw3" },
    deviceType: "fido2_usb",
    testDevice: false,
    vendorId: "1050",
    productId: "0407",
    manufacturer: "Yubico",
    product: "YubiKey OTP+FIDO+CCID",
    info: {
      aaguid: "cb69481e-8ff7-4039-93ec-0a2729a154a8",
      versions: ["FIDO_2_0", "FIDO_2_1"],
      vendorName: null,
      firmwareVersion: 328707,
      pinSet: true,
      algorithms: [-7, -8],
    },
    problem: null,
    ...overrides,
  };
}

const software = connected({
  device: { kind: "software" },
  deviceType: "software_pass",
  testDevice: true,
  vendorId: null,
  productId: null,
  manufacturer: null,
  product: null,
  info: {
    aaguid: "00000000-0000-0000-0000-000000000000",
    versions: ["FIDO_2_0"],
    vendorName: "Multipass software pass",
    firmwareVersion: null,
    pinSet: null,
    algorithms: [-7],
  },
});

describe("deviceKey", () => {
  it("tells USB paths and the software pass apart", () => {
    expect(deviceKey({ kind: "hid", path: "/dev/hidraw3" })).toBe("hid:/dev/hidraw3");
    expect(deviceKey({ kind: "software" })).toBe("software");
    expect(deviceKey({ kind: "hid", path: "software" })).not.toBe("software");
  });
});

describe("connectedPassName", () => {
  it("prefers the product, then the vendor name from getInfo", () => {
    expect(connectedPassName(connected())).toBe("YubiKey OTP+FIDO+CCID");
    expect(connectedPassName(connected({ product: "  " }))).toBe("Yubico");
  });

  it("marks the software pass as a test device", () => {
    expect(connectedPassName(software)).toBe("Multipass software pass (test device)");
    expect(connectedPassName({ ...software, info: null })).toBe("Software pass (test device)");
  });
});

describe("defaultDevice", () => {
  it("picks the only usable pass", () => {
    expect(defaultDevice([connected({ problem: "cannot open" }), software])).toEqual({
      kind: "software",
    });
  });

  it("picks nothing when there is no choice to make for the person, or several", () => {
    expect(defaultDevice([])).toBeNull();
    expect(defaultDevice([connected(), software])).toBeNull();
    expect(defaultDevice([connected({ problem: "cannot open" })])).toBeNull();
  });
});

describe("findPass and needsPin", () => {
  it("finds by key and asks for the PIN only when one is set", () => {
    const list = [connected(), software];
    expect(needsPin(findPass(list, "hid:/dev/hidraw3"))).toBe(true);
    expect(needsPin(findPass(list, "software"))).toBe(false);
    expect(findPass(list, null)).toBeUndefined();
    expect(needsPin(findPass(list, "hid:/dev/other"))).toBe(false);
  });
});

describe("progressMessage", () => {
  it("asks for a touch while the pass waits", () => {
    expect(progressMessage("touch_needed")).toMatch(/^Touch your pass/);
    expect(progressMessage("processing")).toMatch(/working/);
  });
});

describe("algorithmName", () => {
  it.each([
    [-7, "ES256"],
    [-8, "EdDSA"],
    [-257, "COSE -257"],
  ])("names %i as %s", (alg, name) => {
    expect(algorithmName(alg)).toBe(name);
  });
});

describe("canEnd", () => {
  const pass = { status: "active" } as PassView;
  it("allows revoking or reporting only an active pass", () => {
    expect(canEnd(pass)).toBe(true);
    expect(canEnd({ ...pass, status: "revoked" })).toBe(false);
    expect(canEnd({ ...pass, status: "lost" })).toBe(false);
  });
});

describe("passDetails", () => {
  it("summarises what the pass said, or why it cannot be used", () => {
    expect(passDetails(connected())).toBe(
      "1050:0407 · FIDO_2_0, FIDO_2_1 · PIN set · AAGUID cb69481e-8ff7-4039-93ec-0a2729a154a8",
    );
    expect(passDetails(connected({ problem: "Permission denied" }))).toBe("Permission denied");
  });
});

describe("expiryFromDate", () => {
  it("ends the pass at the local midnight after the chosen day", () => {
    expect(expiryFromDate("2027-06-30")).toBe(new Date(2027, 5, 31).toISOString());
    expect(expiryFromDate("2027-12-31")).toBe(new Date(2028, 0, 1).toISOString());
    expect(expiryFromDate(" 2028-02-29 ")).toBe(new Date(2028, 2, 1).toISOString());
  });

  it("gives nothing for an empty or impossible date", () => {
    expect(expiryFromDate("")).toBeNull();
    expect(expiryFromDate("30/06/2027")).toBeNull();
    expect(expiryFromDate("2027-02-30")).toBeNull();
    expect(expiryFromDate("2027-13-01")).toBeNull();
  });
});
