//! Every parser of what a pass sends, on arbitrary bytes: errors, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multipass_pass::auth_data::AuthenticatorData;
use multipass_pass::ctap2::get_assertion::GetAssertionResponse;
use multipass_pass::ctap2::info::Info;
use multipass_pass::ctap2::make_credential::MakeCredentialResponse;
use multipass_pass::ctap2::{client_pin, response_body};
use multipass_pass::{PublicKey, verify};

fuzz_target!(|data: &[u8]| {
    let _ = response_body(data);
    let _ = Info::parse(data);
    let _ = GetAssertionResponse::parse(data);
    let _ = AuthenticatorData::parse(data);
    let _ = PublicKey::from_cose_bytes(data);
    let _ = client_pin::parse_retries(data);
    let _ = client_pin::parse_key_agreement(data);
    if let Ok(response) = MakeCredentialResponse::parse(data) {
        let _ = verify::verify_registration("example.com", &[0; 32], &response);
    }
    if data.len() > 37 {
        let key = PublicKey::EdDsa(ed25519_key());
        let _ =
            verify::verify_assertion(&key, "example.com", &[0; 32], &data[..37], &data[37..], 0);
    }
});

fn ed25519_key() -> multipass_pass::cose::Ed25519VerifyingKey {
    // The RFC 8032 test 1 public key.
    let bytes = [
        0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7, 0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07,
        0x3a, 0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25, 0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07,
        0x51, 0x1a,
    ];
    match multipass_pass::cose::Ed25519VerifyingKey::from_bytes(&bytes) {
        Ok(key) => key,
        Err(_) => unreachable!("a fixed valid key"),
    }
}
