//! The host side of FIDO2 hardware passes: CTAPHID framing and channels over USB HID or UDP,
//! CTAP2 commands in canonical CBOR, COSE keys, PIN/UV auth protocols one and two, and the
//! verification of what passes return. No database or UI code lives here.
//!
//! The app calls [`enumerate`], [`Pass::open_hid`] (or [`Pass::open_udp`] for the software
//! pass), [`Pass::info`], [`Pass::wink`], [`Pass::make_credential`] and
//! [`Pass::get_assertion`], then [`Assertion::verify`] with the stored key and counter.

pub mod auth_data;
pub mod cbor;
pub mod cose;
pub mod ctap2;
pub mod ctaphid;
mod error;
pub mod pass;
pub mod pin_protocol;
pub mod rng;
pub mod transport;
pub mod verify;

pub use cose::PublicKey;
pub use ctap2::get_assertion::GetAssertionRequest;
pub use ctap2::info::Info;
pub use ctap2::make_credential::MakeCredentialRequest;
pub use ctaphid::{Interaction, PassEvent};
pub use error::PassError;
pub use pass::{Assertion, Pass};
pub use transport::{PassDescriptor, enumerate};
pub use verify::{Attestation, Registration, SignCount, VerifiedAssertion, check_sign_count};
