"""An independent FIDO2 client (python-fido2) against the Multipass software pass.

  softpass_interop.py enrol HOST:PORT RP_ID [PIN [PROTOCOL]]
      makeCredential then getAssertion with python-fido2, checks both with python-fido2 and
      prints what it got as JSON, for the Rust side to verify independently.
  softpass_interop.py verify < JSON
      verifies a registration and an assertion produced by the Rust client; exit 0 when they
      verify, 1 when they do not.
"""

import hashlib
import json
import os
import socket
import sys

try:
    from fido2 import cbor
    from fido2.attestation import PackedAttestation
    from fido2.cose import CoseKey
    from fido2.ctap2 import ClientPin, Ctap2
    from fido2.ctap2.pin import PinProtocolV1, PinProtocolV2
    from fido2.hid import CtapHidDevice
    from fido2.hid.base import CtapHidConnection, HidDescriptor
    from fido2.webauthn import AuthenticatorData
except ImportError as e:  # pragma: no cover - reported to the Rust test
    print(f"python fido2 is missing ({e}); run scripts/install-system-deps.sh", file=sys.stderr)
    sys.exit(3)

REPORT = 64


class UdpConnection(CtapHidConnection):
    """CTAPHID over UDP, one report per datagram, as software passes speak it."""

    def __init__(self, address):
        host, port = address.rsplit(":", 1)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.connect((host, int(port)))
        self.sock.settimeout(10)

    def write_packet(self, data):
        if len(data) != REPORT:
            raise ValueError(f"report of {len(data)} bytes")
        self.sock.send(data)

    def read_packet(self):
        data = self.sock.recv(REPORT + 1)
        if len(data) != REPORT:
            raise ValueError(f"the pass sent a {len(data)}-byte report")
        return data

    def close(self):
        self.sock.close()


def open_pass(address):
    descriptor = HidDescriptor(f"udp:{address}", 0, 0, REPORT, REPORT, "softpass", None)
    return Ctap2(CtapHidDevice(descriptor, UdpConnection(address)))


def enrol(address, rp_id, pin=None, protocol=None):
    ctap = open_pass(address)
    pin_protocol = None
    token = None
    if pin:
        pin_protocol = {"1": PinProtocolV1, "2": PinProtocolV2}[protocol or "2"]()
        client_pin = ClientPin(ctap, pin_protocol)
        token = client_pin.get_pin_token(pin)

    def pin_args(client_data_hash):
        if token is None:
            return {}
        return {
            "pin_uv_param": pin_protocol.authenticate(token, client_data_hash),
            "pin_uv_protocol": pin_protocol.VERSION,
        }

    reg_hash = os.urandom(32)
    attestation = ctap.make_credential(
        reg_hash,
        {"id": rp_id, "name": "Multipass"},
        {"id": b"python-user", "name": "py@multipass.example"},
        [{"type": "public-key", "alg": -8}, {"type": "public-key", "alg": -7}],
        **pin_args(reg_hash),
    )
    if attestation.fmt != "packed":
        raise SystemExit(f"unexpected attestation format {attestation.fmt}")
    PackedAttestation().verify(attestation.att_stmt, attestation.auth_data, reg_hash)
    credential = attestation.auth_data.credential_data

    sign_hash = os.urandom(32)
    assertion = ctap.get_assertion(
        rp_id,
        sign_hash,
        [{"type": "public-key", "id": credential.credential_id}],
        **pin_args(sign_hash),
    )
    assertion.verify(sign_hash, credential.public_key)
    if assertion.auth_data.rp_id_hash != hashlib.sha256(rp_id.encode()).digest():
        raise SystemExit("wrong rpId hash")

    json.dump(
        {
            "registration_client_data_hash": reg_hash.hex(),
            "registration_auth_data": bytes(attestation.auth_data).hex(),
            "registration_att_stmt": cbor.encode(attestation.att_stmt).hex(),
            "credential_id": credential.credential_id.hex(),
            "public_key_cose": cbor.encode(credential.public_key).hex(),
            "client_data_hash": sign_hash.hex(),
            "auth_data": bytes(assertion.auth_data).hex(),
            "signature": assertion.signature.hex(),
            "user_verified": assertion.auth_data.is_user_verified(),
        },
        sys.stdout,
    )


def verify(data):
    rp_hash = hashlib.sha256(data["rp_id"].encode()).digest()
    key = CoseKey.parse(cbor.decode(bytes.fromhex(data["public_key_cose"])))
    auth_data = AuthenticatorData(bytes.fromhex(data["auth_data"]))
    if auth_data.rp_id_hash != rp_hash or not auth_data.is_user_present():
        return False
    try:
        key.verify(
            bytes(auth_data) + bytes.fromhex(data["client_data_hash"]),
            bytes.fromhex(data["signature"]),
        )
    except Exception:  # cryptography raises InvalidSignature, or ValueError on bad DER
        return False
    return True


def main(argv):
    if len(argv) >= 4 and argv[1] == "enrol":
        enrol(argv[2], argv[3], *argv[4:6])
        return 0
    if len(argv) == 2 and argv[1] == "verify":
        ok = verify(json.load(sys.stdin))
        print("verified" if ok else "rejected")
        return 0 if ok else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
