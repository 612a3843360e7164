//! python-fido2, an independent client, against the software pass started as a process:
//! what python gets verifies in our code, and what our client gets verifies in python.
//! python fido2 comes from `scripts/install-system-deps.sh` (system python or a venv under
//! `target/`); without it these tests fail with a message saying so.
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use multipass_pass::cbor::Map;
use multipass_pass::ctap2::make_credential::MakeCredentialResponse;
use multipass_pass::verify::{verify_assertion, verify_registration};
use multipass_pass::{Attestation, Pass, PublicKey, SignCount};
use support::{RP, SoftPassProcess, enrol_request, quick, sign_in_request};

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/python/softpass_interop.py"
);

/// Where `scripts/install-system-deps.sh` puts python fido2 when the system python lacks it.
const VENV_PYTHON: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../target/python-interop/bin/python3"
);

/// `MULTIPASS_PYTHON`, else the install script's venv, else `python3` from PATH.
fn python() -> String {
    std::env::var("MULTIPASS_PYTHON").unwrap_or_else(|_| {
        if Path::new(VENV_PYTHON).exists() {
            VENV_PYTHON.into()
        } else {
            "python3".into()
        }
    })
}

fn require_python_fido2() {
    let status = Command::new(python()).args(["-c", "import fido2"]).status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "python fido2 is missing for {}: run scripts/install-system-deps.sh",
        python()
    );
    assert!(Path::new(SCRIPT).exists(), "{SCRIPT} is missing");
}

fn hex_field(json: &serde_json::Value, name: &str) -> Vec<u8> {
    hex::decode(json[name].as_str().unwrap()).unwrap()
}

fn python_enrols(pin: Option<(&str, &str)>) {
    require_python_fido2();
    let pass = SoftPassProcess::start(&pin.map(|(p, _)| vec!["--pin", p]).unwrap_or_default());
    let mut command = Command::new(python());
    command
        .arg(SCRIPT)
        .args(["enrol", &pass.addr.to_string(), RP]);
    if let Some((p, protocol)) = pin {
        command.args([p, protocol]);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let registration_hash: [u8; 32] = hex_field(&json, "registration_client_data_hash")
        .try_into()
        .unwrap();
    let response = MakeCredentialResponse {
        format: "packed".into(),
        auth_data: hex_field(&json, "registration_auth_data"),
        attestation_statement: Map::parse(&hex_field(&json, "registration_att_stmt"), "attStmt")
            .unwrap(),
    };
    let registration = verify_registration(RP, &registration_hash, &response).unwrap();
    assert_eq!(registration.attestation, Attestation::SelfAttested);
    assert_eq!(
        registration.credential_id,
        hex_field(&json, "credential_id")
    );
    let key = PublicKey::from_cose_bytes(&hex_field(&json, "public_key_cose")).unwrap();
    assert_eq!(key, registration.public_key);

    let hash: [u8; 32] = hex_field(&json, "client_data_hash").try_into().unwrap();
    let verified = verify_assertion(
        &key,
        RP,
        &hash,
        &hex_field(&json, "auth_data"),
        &hex_field(&json, "signature"),
        registration.sign_count,
    )
    .unwrap();
    assert!(matches!(verified.sign_count, SignCount::Advanced { .. }));
    assert_eq!(verified.user_verified, pin.is_some());
    let mut other = hash;
    other[0] ^= 1;
    assert!(
        verify_assertion(
            &key,
            RP,
            &other,
            &hex_field(&json, "auth_data"),
            &hex_field(&json, "signature"),
            0
        )
        .is_err()
    );
}

#[test]
fn python_enrols_without_pin_and_we_verify() {
    python_enrols(None);
}

#[test]
fn python_enrols_with_pin_protocol_two_and_we_verify() {
    python_enrols(Some(("2468", "2")));
}

#[test]
fn python_enrols_with_pin_protocol_one_and_we_verify() {
    python_enrols(Some(("2468", "1")));
}

fn python_verifies(json: &serde_json::Value) -> bool {
    let mut child = Command::new(python())
        .args([SCRIPT, "verify"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(json.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let verdict = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    assert!(
        verdict == "verified" || verdict == "rejected",
        "python said {verdict:?}"
    );
    output.status.success()
}

#[test]
fn we_enrol_and_python_verifies() {
    require_python_fido2();
    let pass = SoftPassProcess::start(&["--pin", "1357"]);
    let mut device = Pass::open_udp(pass.addr).unwrap();
    for algorithms in [vec![-7], vec![-8]] {
        let mut request = enrol_request(1);
        request.algorithms = algorithms;
        let registration = device
            .make_credential(&request, Some("1357"), &mut quick())
            .unwrap();
        let sign_in = sign_in_request(2, &registration.credential_id);
        let assertion = device
            .get_assertion(&sign_in, Some("1357"), &mut quick())
            .unwrap();
        let mut json = serde_json::json!({
            "rp_id": RP,
            "public_key_cose": hex::encode(registration.public_key.to_cose_bytes().unwrap()),
            "auth_data": hex::encode(&assertion.response.auth_data),
            "client_data_hash": hex::encode(sign_in.client_data_hash),
            "signature": hex::encode(&assertion.response.signature),
        });
        assert!(
            python_verifies(&json),
            "python rejected a good {request:?} assertion"
        );
        json["client_data_hash"] = hex::encode([0u8; 32]).into();
        assert!(
            !python_verifies(&json),
            "python accepted a signature over other data"
        );
    }
}
