//! The CTAP2 side of the software pass: getInfo, makeCredential, getAssertion, clientPIN.

use ciborium::Value;
use coset::AsCborValue as _;
use multipass_pass::auth_data::{FLAG_AT, FLAG_UP, FLAG_UV, encode, rp_id_hash};
use multipass_pass::cbor::{self, CborError, Map, int_map, text_map};
use multipass_pass::cose::{ALG_ECDH_ES_HKDF_256, ALG_EDDSA, ALG_ES256, p256_cose};
use multipass_pass::ctap2::client_pin::sub;
use multipass_pass::ctap2::command;
use multipass_pass::ctap2::info::VENDOR_NAME_KEY;
use multipass_pass::ctap2::make_credential::{credential_param, descriptor};
use multipass_pass::ctap2::status::*;
use multipass_pass::pin_protocol::{PinProtocol, pin_hash};
use multipass_pass::rng;

use crate::config::{Config, Faults};
use crate::credential;
use crate::state::{PIN_RETRIES, State};

/// The AAGUID of the software pass: "multipass-softp\x01" in ASCII, so it is obvious in logs.
pub const AAGUID: [u8; 16] = *b"multipass-softp\x01";
pub const VENDOR_NAME: &str = "Multipass software pass (test device, not a hardware key)";
/// After this many wrong PINs in a row the pass wants a power cycle (a restart here).
const MAX_CONSECUTIVE_PIN_FAILURES: u8 = 3;
const SUPPORTED_ALGORITHMS: [i64; 2] = [ALG_ES256, ALG_EDDSA];

/// The outcome of waiting for a touch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Presence {
    Confirmed,
    Cancelled,
    TimedOut,
}

/// A CTAP2 status code answering a request that cannot be served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Refusal(u8);

impl From<CborError> for Refusal {
    fn from(e: CborError) -> Self {
        Self(match e {
            CborError::Missing { .. } => MISSING_PARAMETER,
            CborError::WrongType { .. } | CborError::OutOfRange { .. } => CBOR_UNEXPECTED_TYPE,
            CborError::Malformed { .. }
            | CborError::TrailingBytes { .. }
            | CborError::DuplicateKey => INVALID_CBOR,
            CborError::Encode { .. } => OTHER,
        })
    }
}

type Reply = Result<Value, Refusal>;

#[derive(Debug)]
pub struct Authenticator {
    state: State,
    faults: Faults,
    pin_protocols: Vec<u64>,
    key_agreement: p256::SecretKey,
    pin_token: [u8; 32],
    consecutive_pin_failures: u8,
}

fn required<T>(value: Option<T>) -> Result<T, Refusal> {
    value.ok_or(Refusal(MISSING_PARAMETER))
}

fn hash_param(params: &Map, key: i64) -> Result<[u8; 32], Refusal> {
    let bytes = params.bytes(key, "clientDataHash")?;
    bytes.try_into().map_err(|_| Refusal(INVALID_LENGTH))
}

fn credential_ids(params: &Map, key: i64) -> Result<Vec<Vec<u8>>, Refusal> {
    let list = params
        .opt_array(key, "credential list")?
        .unwrap_or_default();
    list.iter()
        .map(|entry| {
            let entry = Map::from_value(entry.clone(), "descriptor")?;
            Ok(required(entry.bytes_by_text("id", "id")?)?.to_vec())
        })
        .collect()
}

/// The `up` and `uv` options; this pass has no built-in user verification.
fn presence_option(params: &Map, key: i64) -> Result<bool, Refusal> {
    let Some(options) = params.opt_map(key, "options")? else {
        return Ok(true);
    };
    if options.bool_by_text("uv", "uv")? == Some(true) {
        return Err(Refusal(INVALID_OPTION));
    }
    if options.bool_by_text("rk", "rk")? == Some(true) {
        return Err(Refusal(UNSUPPORTED_OPTION));
    }
    Ok(options.bool_by_text("up", "up")? != Some(false))
}

fn confirm(presence: &mut dyn FnMut() -> Presence) -> Result<(), Refusal> {
    match presence() {
        Presence::Confirmed => Ok(()),
        Presence::Cancelled => Err(Refusal(KEEPALIVE_CANCEL)),
        Presence::TimedOut => Err(Refusal(USER_ACTION_TIMEOUT)),
    }
}

impl Authenticator {
    pub fn new(config: &Config) -> Result<Self, crate::state::StateError> {
        let mut state = State::load_or_create(&config.state_path, rng::bytes())?;
        if let Some(pin) = &config.pin {
            state.pin_hash = Some(pin_hash(pin));
            state.pin_retries = PIN_RETRIES;
            state.save()?;
        }
        // Counting down needs room below the count the host stores at enrolment.
        if config.faults.sign_count_backwards && state.sign_count < 1000 {
            state.sign_count = 1000;
            state.save()?;
        }
        Ok(Self {
            state,
            faults: config.faults.clone(),
            pin_protocols: config.pin_protocols.clone(),
            key_agreement: rng::p256_secret(),
            pin_token: rng::bytes(),
            consecutive_pin_failures: 0,
        })
    }

    /// Answers one CTAPHID_CBOR request (command byte and parameters) with status and body.
    /// `presence` waits for the touch when a command needs one.
    pub fn handle(&mut self, request: &[u8], presence: &mut dyn FnMut() -> Presence) -> Vec<u8> {
        let Some((&command, params)) = request.split_first() else {
            return vec![INVALID_LENGTH];
        };
        let params = if params.is_empty() {
            Ok(Map::empty())
        } else {
            Map::parse(params, "parameters").map_err(Refusal::from)
        };
        let reply = params.and_then(|params| match command {
            command::GET_INFO => Ok(self.info()),
            command::MAKE_CREDENTIAL => self.make_credential(&params, presence),
            command::GET_ASSERTION => self.get_assertion(&params, presence),
            command::CLIENT_PIN => self.client_pin(&params),
            _ => Err(Refusal(INVALID_COMMAND)),
        });
        match reply.and_then(|v| Ok(cbor::to_canonical_vec(&v)?)) {
            Ok(body) => [vec![OK], body].concat(),
            Err(Refusal(code)) => vec![code],
        }
    }

    fn save(&self) -> Result<(), Refusal> {
        self.state.save().map_err(|e| {
            tracing::error!("{e}");
            Refusal(OTHER)
        })
    }

    fn info(&self) -> Value {
        let options = text_map([
            ("rk", Value::Bool(false)),
            ("up", Value::Bool(true)),
            ("plat", Value::Bool(false)),
            ("clientPin", Value::Bool(self.state.pin_hash.is_some())),
        ]);
        let protocols = self.pin_protocols.iter().map(|p| Value::from(*p)).collect();
        let algorithms = SUPPORTED_ALGORITHMS
            .iter()
            .map(|alg| credential_param(*alg))
            .collect();
        int_map([
            (
                0x01,
                Some(Value::Array(vec![Value::Text("FIDO_2_0".into())])),
            ),
            (0x03, Some(Value::Bytes(AAGUID.to_vec()))),
            (0x04, Some(options)),
            (0x05, Some(Value::from(1200))),
            (0x06, Some(Value::Array(protocols))),
            (0x0A, Some(Value::Array(algorithms))),
            (0x0E, Some(Value::from(1))),
            (VENDOR_NAME_KEY, Some(Value::Text(VENDOR_NAME.into()))),
        ])
    }

    /// Checks pinUvAuthParam at `param_key` and its protocol at `param_key + 1`; returns
    /// whether the user was verified by PIN.
    fn check_pin_auth(
        &self,
        params: &Map,
        param_key: i64,
        client_data_hash: &[u8; 32],
    ) -> Result<bool, Refusal> {
        let Some(param) = params.opt_bytes(param_key, "pinUvAuthParam")? else {
            return if self.state.pin_hash.is_some() {
                Err(Refusal(PUAT_REQUIRED))
            } else {
                Ok(false)
            };
        };
        if self.state.pin_hash.is_none() {
            return Err(Refusal(PIN_NOT_SET));
        }
        let protocol = self.protocol(required(
            params.opt_uint(param_key + 1, "pinUvAuthProtocol")?,
        )?)?;
        if !protocol.verify(&self.pin_token, client_data_hash, param) {
            return Err(Refusal(PIN_AUTH_INVALID));
        }
        Ok(true)
    }

    fn protocol(&self, number: u64) -> Result<PinProtocol, Refusal> {
        if !self.pin_protocols.contains(&number) {
            return Err(Refusal(INVALID_PARAMETER));
        }
        PinProtocol::from_number(number).map_err(|_| Refusal(INVALID_PARAMETER))
    }

    fn choose_algorithm(params: &Map) -> Result<i64, Refusal> {
        for entry in required(params.opt_array(0x04, "pubKeyCredParams")?)? {
            let entry = Map::from_value(entry.clone(), "pubKeyCredParam")?;
            let alg = required(entry.int_by_text("alg", "alg")?)?;
            let public_key = entry.text_by_text("type", "type")? == Some("public-key");
            if public_key && SUPPORTED_ALGORITHMS.contains(&alg) {
                return Ok(alg);
            }
        }
        Err(Refusal(UNSUPPORTED_ALGORITHM))
    }

    fn make_credential(&mut self, params: &Map, presence: &mut dyn FnMut() -> Presence) -> Reply {
        let client_data_hash = hash_param(params, 0x01)?;
        let rp = required(params.opt_map(0x02, "rp")?)?;
        let rp_id = required(rp.text_by_text("id", "rp id")?)?;
        let user = required(params.opt_map(0x03, "user")?)?;
        required(user.bytes_by_text("id", "user id")?)?;
        let alg = Self::choose_algorithm(params)?;
        presence_option(params, 0x07)?;
        let verified = self.check_pin_auth(params, 0x08, &client_data_hash)?;
        let rp_hash = rp_id_hash(rp_id);
        let excluded = credential_ids(params, 0x05)?
            .iter()
            .any(|id| credential::open(&self.state.master_secret, id, &rp_hash).is_some());
        confirm(presence)?;
        if excluded {
            return Err(Refusal(CREDENTIAL_EXCLUDED));
        }
        let (id, key) = credential::create(&self.state.master_secret, alg, rng::bytes(), &rp_hash)
            .ok_or(Refusal(OTHER))?;
        let count = self.next_sign_count()?;
        let cose_key = key.public().to_cose_bytes()?;
        let flags = FLAG_UP | FLAG_AT | if verified { FLAG_UV } else { 0 };
        let auth_data = encode(&rp_hash, flags, count, Some((&AAGUID, &id, &cose_key)));
        let signature = key.sign(&[auth_data.as_slice(), &client_data_hash].concat());
        let statement = text_map([
            ("alg", Value::from(key.algorithm())),
            ("sig", Value::Bytes(signature)),
        ]);
        Ok(int_map([
            (0x01, Some(Value::Text("packed".into()))),
            (0x02, Some(Value::Bytes(auth_data))),
            (0x03, Some(statement)),
        ]))
    }

    fn get_assertion(&mut self, params: &Map, presence: &mut dyn FnMut() -> Presence) -> Reply {
        let rp_id = params.text(0x01, "rpId")?.to_owned();
        let client_data_hash = hash_param(params, 0x02)?;
        let allowed = credential_ids(params, 0x03)?;
        let want_presence = presence_option(params, 0x05)?;
        // A silent request (`up: false`) only asks whether a credential is here, as CTAP 2.1
        // allows without a PIN; the answer carries neither UP nor UV, so it signs no one in.
        let verified = if !want_presence && params.opt_bytes(0x06, "pinUvAuthParam")?.is_none() {
            false
        } else {
            self.check_pin_auth(params, 0x06, &client_data_hash)?
        };
        let rp_hash = rp_id_hash(&rp_id);
        let (id, key) = allowed
            .iter()
            .find_map(|id| {
                credential::open(&self.state.master_secret, id, &rp_hash).map(|k| (id.clone(), k))
            })
            .ok_or(Refusal(NO_CREDENTIALS))?;
        if want_presence {
            confirm(presence)?;
        }
        let count = self.next_sign_count()?;
        let flags = if want_presence { FLAG_UP } else { 0 } | if verified { FLAG_UV } else { 0 };
        let auth_data = encode(&rp_hash, flags, count, None);
        let mut signed_hash = client_data_hash;
        if self.faults.bad_signature {
            signed_hash[0] ^= 0x01;
        }
        let signature = key.sign(&[auth_data.as_slice(), &signed_hash].concat());
        Ok(int_map([
            (0x01, Some(descriptor(&id))),
            (0x02, Some(Value::Bytes(auth_data))),
            (0x03, Some(Value::Bytes(signature))),
        ]))
    }

    fn next_sign_count(&mut self) -> Result<u32, Refusal> {
        self.state.sign_count = if self.faults.sign_count_backwards {
            self.state.sign_count.saturating_sub(1)
        } else {
            self.state.sign_count.saturating_add(1)
        };
        self.save()?;
        Ok(self.state.sign_count)
    }

    fn client_pin(&mut self, params: &Map) -> Reply {
        let protocol = self.protocol(required(params.opt_uint(0x01, "pinUvAuthProtocol")?)?)?;
        match required(params.opt_uint(0x02, "subCommand")?)? {
            sub::GET_RETRIES => Ok(int_map([(0x03, Some(Value::from(self.state.pin_retries)))])),
            sub::GET_KEY_AGREEMENT => {
                let key = p256_cose(&self.key_agreement.public_key(), ALG_ECDH_ES_HKDF_256)
                    .to_cbor_value()
                    .map_err(|_| Refusal(OTHER))?;
                Ok(int_map([(0x01, Some(key))]))
            }
            // 0x09 (with permissions) is answered like 0x05: every token may do everything.
            sub::GET_PIN_TOKEN | 0x09 => self.get_pin_token(protocol, params),
            _ => Err(Refusal(INVALID_SUBCOMMAND)),
        }
    }

    fn get_pin_token(&mut self, protocol: PinProtocol, params: &Map) -> Reply {
        let stored = self.state.pin_hash.ok_or(Refusal(PIN_NOT_SET))?;
        if self.state.pin_retries == 0 {
            return Err(Refusal(PIN_BLOCKED));
        }
        if self.consecutive_pin_failures >= MAX_CONSECUTIVE_PIN_FAILURES {
            return Err(Refusal(PIN_AUTH_BLOCKED));
        }
        let platform =
            coset::CoseKey::from_cbor_value(params.require(0x03, "keyAgreement")?.clone())
                .map_err(|_| Refusal(INVALID_PARAMETER))?;
        let platform =
            multipass_pass::cose::p256_point(&platform).map_err(|_| Refusal(INVALID_PARAMETER))?;
        let secret = protocol.shared_secret(&self.key_agreement, &platform);
        let given = secret
            .decrypt(params.bytes(0x06, "pinHashEnc")?)
            .map_err(|_| Refusal(PIN_AUTH_INVALID))?;
        self.state.pin_retries -= 1;
        self.save()?;
        if given.as_slice() != stored.as_slice() {
            self.key_agreement = rng::p256_secret();
            self.consecutive_pin_failures += 1;
            return Err(Refusal(if self.state.pin_retries == 0 {
                PIN_BLOCKED
            } else if self.consecutive_pin_failures >= MAX_CONSECUTIVE_PIN_FAILURES {
                PIN_AUTH_BLOCKED
            } else {
                PIN_INVALID
            }));
        }
        self.state.pin_retries = PIN_RETRIES;
        self.consecutive_pin_failures = 0;
        self.save()?;
        self.pin_token = rng::bytes();
        let token = secret
            .encrypt(&self.pin_token, rng::bytes())
            .map_err(|_| Refusal(OTHER))?;
        Ok(int_map([(0x02, Some(Value::Bytes(token)))]))
    }
}
