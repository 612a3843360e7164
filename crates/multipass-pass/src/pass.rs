//! The pass as the app sees it: open, getInfo, wink, enrol and sign in, PIN included.

use std::net::SocketAddr;

use crate::PassError;
use crate::cose::PublicKey;
use crate::ctap2::client_pin;
use crate::ctap2::get_assertion::{GetAssertionRequest, GetAssertionResponse, SilentProbe};
use crate::ctap2::info::Info;
use crate::ctap2::make_credential::{MakeCredentialRequest, MakeCredentialResponse};
use crate::ctap2::status::{self, Ctap2Status};
use crate::ctap2::{command, request, response_body};
use crate::ctaphid::{CtapHid, InitInfo, Interaction, cmd};
use crate::pin_protocol::PinProtocol;
use crate::rng;
use crate::transport::{HidTransport, Transport, UdpTransport};
use crate::verify::{Registration, VerifiedAssertion, verify_assertion, verify_registration};

/// An open pass: a CTAPHID channel plus what it said in getInfo.
#[derive(Debug)]
pub struct Pass {
    hid: CtapHid<Box<dyn Transport>>,
    info: Info,
}

/// A sign-in answer, with the credential it came from; check it with [`Assertion::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assertion {
    pub credential_id: Vec<u8>,
    pub response: GetAssertionResponse,
}

impl Assertion {
    /// Verifies against the credential's stored key and counter for this `request`.
    pub fn verify(
        &self,
        public_key: &PublicKey,
        request: &GetAssertionRequest,
        stored_sign_count: u32,
    ) -> Result<VerifiedAssertion, PassError> {
        Ok(verify_assertion(
            public_key,
            &request.rp_id,
            &request.client_data_hash,
            &self.response.auth_data,
            &self.response.signature,
            stored_sign_count,
        )?)
    }
}

impl Pass {
    /// Opens a USB pass by the path [`crate::enumerate`] gave.
    pub fn open_hid(path: &str) -> Result<Self, PassError> {
        Self::open(Box::new(HidTransport::open(path)?))
    }

    /// Opens a software pass listening on UDP.
    pub fn open_udp(addr: SocketAddr) -> Result<Self, PassError> {
        Self::open(Box::new(UdpTransport::connect(addr)?))
    }

    pub fn open(transport: Box<dyn Transport>) -> Result<Self, PassError> {
        let mut hid = CtapHid::init(transport, rng::bytes())?;
        if !hid.info().supports_cbor() {
            return Err(PassError::Unsupported {
                what: "FIDO2 (it is a U2F-only key)",
            });
        }
        let body = cbor_call(
            &mut hid,
            command::GET_INFO,
            None,
            &mut Interaction::default(),
        )?;
        let info = Info::parse(&body)?;
        Ok(Self { hid, info })
    }

    pub fn info(&self) -> &Info {
        &self.info
    }

    pub fn channel_info(&self) -> &InitInfo {
        self.hid.info()
    }

    /// Asks getInfo again (after a PIN change, say).
    pub fn refresh_info(&mut self) -> Result<&Info, PassError> {
        let body = cbor_call(
            &mut self.hid,
            command::GET_INFO,
            None,
            &mut Interaction::default(),
        )?;
        self.info = Info::parse(&body)?;
        Ok(&self.info)
    }

    /// Makes the pass blink so the person knows which one is meant.
    pub fn wink(&mut self) -> Result<(), PassError> {
        self.hid.wink()
    }

    pub fn ping(&mut self, data: &[u8]) -> Result<(), PassError> {
        self.hid.ping(data)
    }

    fn pin_protocol(&self) -> Result<PinProtocol, PassError> {
        self.info
            .preferred_pin_protocol()
            .ok_or(PassError::Unsupported {
                what: "a known PIN protocol",
            })
    }

    /// How many PIN attempts are left before the pass blocks its PIN.
    pub fn pin_retries(&mut self) -> Result<u64, PassError> {
        let protocol = self.pin_protocol()?;
        let body = self.client_pin_call(&client_pin::get_retries(protocol))?;
        client_pin::parse_retries(&body)
    }

    /// Enrols: makeCredential, then verification of the answer (rpId hash, UP, self
    /// attestation). `pin` is needed when the pass has one.
    pub fn make_credential(
        &mut self,
        request: &MakeCredentialRequest,
        pin: Option<&str>,
        interaction: &mut Interaction<'_>,
    ) -> Result<Registration, PassError> {
        request.validate()?;
        let mut request = request.clone();
        request
            .algorithms
            .retain(|alg| self.info.supports_algorithm(*alg));
        if request.algorithms.is_empty() {
            return Err(PassError::NoCommonAlgorithm);
        }
        let pin_auth = self.pin_auth(pin, &request.client_data_hash)?;
        let params = request.to_cbor(pin_auth.as_ref().map(|(p, proto)| (p.as_slice(), *proto)));
        let body = self.pin_aware_call(command::MAKE_CREDENTIAL, &params, interaction)?;
        let response = MakeCredentialResponse::parse(&body)?;
        Ok(verify_registration(
            &request.rp_id,
            &request.client_data_hash,
            &response,
        )?)
    }

    /// Signs in: getAssertion over the allow-list. The answer is parsed and its credential
    /// checked against the list; verify it with the stored key via [`Assertion::verify`].
    pub fn get_assertion(
        &mut self,
        request: &GetAssertionRequest,
        pin: Option<&str>,
        interaction: &mut Interaction<'_>,
    ) -> Result<Assertion, PassError> {
        request.validate()?;
        let pin_auth = self.pin_auth(pin, &request.client_data_hash)?;
        let params = request.to_cbor(pin_auth.as_ref().map(|(p, proto)| (p.as_slice(), *proto)));
        let body = self.pin_aware_call(command::GET_ASSERTION, &params, interaction)?;
        let response = GetAssertionResponse::parse(&body)?;
        let credential_id = response.used_credential(&request.allow_list)?.to_vec();
        Ok(Assertion {
            credential_id,
            response,
        })
    }

    /// The first of `candidates` this pass holds for `rp_id`, asked without a touch or a PIN
    /// (getAssertion with `up: false`) in lists no longer than the pass accepts. IDs longer
    /// than the pass's maximum cannot be its own and are skipped.
    pub fn recognised_credential(
        &mut self,
        rp_id: &str,
        candidates: &[Vec<u8>],
        interaction: &mut Interaction<'_>,
    ) -> Result<Option<Vec<u8>>, PassError> {
        let longest = self.info.max_credential_id_length.unwrap_or(u64::MAX);
        let candidates: Vec<Vec<u8>> = candidates
            .iter()
            .filter(|id| !id.is_empty() && id.len() as u64 <= longest)
            .cloned()
            .collect();
        let per_request = probe_batch(&self.info, &candidates);
        for batch in candidates.chunks(per_request) {
            let params = SilentProbe {
                rp_id,
                candidates: batch,
            }
            .to_cbor();
            match self.pin_aware_call(command::GET_ASSERTION, &params, interaction) {
                Ok(body) => {
                    let response = GetAssertionResponse::parse(&body)?;
                    return Ok(Some(response.used_credential(batch)?.to_vec()));
                }
                Err(PassError::Status(Ctap2Status(status::NO_CREDENTIALS))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(None)
    }

    fn pin_auth(
        &mut self,
        pin: Option<&str>,
        client_data_hash: &[u8; 32],
    ) -> Result<Option<(Vec<u8>, PinProtocol)>, PassError> {
        let Some(pin) = pin else {
            return Ok(None);
        };
        if self.info.client_pin() != Some(true) {
            return Err(PassError::PinNotSet);
        }
        let protocol = self.pin_protocol()?;
        let body = self.client_pin_call(&client_pin::get_key_agreement(protocol))?;
        let pass_key = client_pin::parse_key_agreement(&body)?;
        let (platform_key, secret) =
            client_pin::platform_key_agreement(protocol, &rng::p256_secret(), &pass_key)?;
        let token_request = client_pin::get_pin_token(&secret, platform_key, pin, rng::bytes())?;
        let body = self.pin_aware_call(
            command::CLIENT_PIN,
            &token_request,
            &mut Interaction::default(),
        )?;
        let token = zeroize::Zeroizing::new(client_pin::parse_pin_token(&secret, &body)?);
        Ok(Some((
            protocol.authenticate(&token, client_data_hash),
            protocol,
        )))
    }

    fn client_pin_call(&mut self, params: &ciborium::Value) -> Result<Vec<u8>, PassError> {
        cbor_call(
            &mut self.hid,
            command::CLIENT_PIN,
            Some(params),
            &mut Interaction::default(),
        )
    }

    /// A CBOR call whose PIN-related statuses become specific errors, with the retries left.
    fn pin_aware_call(
        &mut self,
        command: u8,
        params: &ciborium::Value,
        interaction: &mut Interaction<'_>,
    ) -> Result<Vec<u8>, PassError> {
        match cbor_call(&mut self.hid, command, Some(params), interaction) {
            Err(PassError::Status(Ctap2Status(code))) => Err(match code {
                status::PIN_INVALID => PassError::WrongPin {
                    retries_left: self.pin_retries().ok(),
                },
                status::PIN_BLOCKED => PassError::PinBlocked,
                status::PIN_AUTH_BLOCKED => PassError::PinAuthBlocked,
                status::PUAT_REQUIRED => PassError::PinRequired,
                status::PIN_NOT_SET => PassError::PinNotSet,
                status::KEEPALIVE_CANCEL => PassError::Cancelled,
                status::USER_ACTION_TIMEOUT => PassError::Timeout,
                code => PassError::Status(Ctap2Status(code)),
            }),
            other => other,
        }
    }
}

fn cbor_call(
    hid: &mut CtapHid<Box<dyn Transport>>,
    command: u8,
    params: Option<&ciborium::Value>,
    interaction: &mut Interaction<'_>,
) -> Result<Vec<u8>, PassError> {
    let payload = request(command, params)?;
    let raw = hid.call(cmd::CBOR, &payload, interaction)?;
    Ok(response_body(&raw)?.to_vec())
}

/// How many credential IDs go in one probe: what getInfo allows, and no more than fits the
/// pass's message size (1024 bytes when it does not say) with room for the rest of the request.
fn probe_batch(info: &Info, candidates: &[Vec<u8>]) -> usize {
    const DESCRIPTOR_OVERHEAD: usize = 24;
    const REQUEST_OVERHEAD: usize = 128;
    let message = info
        .max_msg_size
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(1024);
    let widest = candidates.iter().map(Vec::len).max().unwrap_or(0) + DESCRIPTOR_OVERHEAD;
    let by_size = message.saturating_sub(REQUEST_OVERHEAD) / widest;
    let by_count = info
        .max_credential_count_in_list
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(usize::MAX);
    by_size.min(by_count).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use std::collections::BTreeMap;

    fn info(max_msg_size: Option<u64>, max_count: Option<u64>) -> Info {
        Info {
            versions: vec!["FIDO_2_1".into()],
            extensions: Vec::new(),
            aaguid: [0; 16],
            options: BTreeMap::new(),
            max_msg_size,
            max_credential_count_in_list: max_count,
            max_credential_id_length: None,
            pin_protocols: Vec::new(),
            algorithms: Vec::new(),
            firmware_version: None,
            vendor_name: None,
        }
    }

    #[rstest]
    // 1024 - 128 = 896 bytes for descriptors of 64 + 24 bytes: 10 fit.
    #[case(None, None, 64, 10)]
    #[case(Some(1200), Some(8), 64, 8)]
    #[case(Some(7609), None, 64, 85)]
    // A list of one ID that alone would not fit is still sent, one at a time.
    #[case(Some(200), None, 500, 1)]
    fn probes_fit_the_pass(
        #[case] max_msg_size: Option<u64>,
        #[case] max_count: Option<u64>,
        #[case] id_len: usize,
        #[case] expected: usize,
    ) {
        let ids = vec![vec![7u8; id_len]; 200];
        assert_eq!(probe_batch(&info(max_msg_size, max_count), &ids), expected);
    }
}
