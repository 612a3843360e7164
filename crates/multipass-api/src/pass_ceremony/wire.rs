//! A pass's requests and answers on the way between the authority and the computer the pass
//! is plugged into: byte strings as unpadded URL-safe base64 (as WebAuthn writes them).
//! The protocol crate keeps its types free of any serialisation; this is the one place that
//! gives them one.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use multipass_pass::ctap2::get_assertion::GetAssertionResponse;
use multipass_pass::{Assertion, GetAssertionRequest};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

fn text(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn bytes<E: serde::de::Error>(text: &str) -> Result<Vec<u8>, E> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| E::custom("a byte string is not unpadded URL-safe base64"))
}

/// A pass's answer to a sign-in's challenges, as the authority receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PassAssertion(pub Assertion);

impl From<Assertion> for PassAssertion {
    fn from(assertion: Assertion) -> Self {
        Self(assertion)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AssertionWire {
    credential_id: String,
    /// The credential the pass named in its answer (it may leave it out).
    named_credential_id: Option<String>,
    auth_data: String,
    signature: String,
    user_id: Option<String>,
}

impl Serialize for PassAssertion {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let response = &self.0.response;
        AssertionWire {
            credential_id: text(&self.0.credential_id),
            named_credential_id: response.credential_id.as_deref().map(text),
            auth_data: text(&response.auth_data),
            signature: text(&response.signature),
            user_id: response.user_id.as_deref().map(text),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PassAssertion {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = AssertionWire::deserialize(d)?;
        Ok(Self(Assertion {
            credential_id: bytes(&wire.credential_id)?,
            response: GetAssertionResponse {
                credential_id: wire.named_credential_id.as_deref().map(bytes).transpose()?,
                auth_data: bytes(&wire.auth_data)?,
                signature: bytes(&wire.signature)?,
                user_id: wire.user_id.as_deref().map(bytes).transpose()?,
            },
        }))
    }
}

/// `GetAssertionRequest` inside a serialised struct (`#[serde(with = ...)]`).
pub(crate) mod assertion_request {
    use super::*;

    #[derive(Serialize, Deserialize)]
    #[serde(rename_all = "camelCase", deny_unknown_fields)]
    struct RequestWire {
        rp_id: String,
        client_data_hash: String,
        allow_list: Vec<String>,
    }

    pub fn serialize<S: Serializer>(
        request: &GetAssertionRequest,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        RequestWire {
            rp_id: request.rp_id.clone(),
            client_data_hash: text(&request.client_data_hash),
            allow_list: request.allow_list.iter().map(|id| text(id)).collect(),
        }
        .serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<GetAssertionRequest, D::Error> {
        let wire = RequestWire::deserialize(d)?;
        let hash = bytes::<D::Error>(&wire.client_data_hash)?;
        Ok(GetAssertionRequest {
            rp_id: wire.rp_id,
            client_data_hash: hash
                .try_into()
                .map_err(|_| serde::de::Error::custom("the client data hash is not 32 bytes"))?,
            allow_list: wire
                .allow_list
                .iter()
                .map(|id| bytes(id))
                .collect::<Result<_, _>>()?,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn an_assertion_and_a_request_travel_unchanged() {
        let assertion = PassAssertion(Assertion {
            credential_id: vec![1, 2, 3],
            response: GetAssertionResponse {
                credential_id: None,
                auth_data: vec![0xff; 37],
                signature: vec![9; 70],
                user_id: Some(vec![7]),
            },
        });
        let json = serde_json::to_string(&assertion).unwrap();
        assert_eq!(
            serde_json::from_str::<PassAssertion>(&json).unwrap(),
            assertion
        );

        #[derive(Serialize, Deserialize, PartialEq, Debug)]
        struct Holder(#[serde(with = "assertion_request")] GetAssertionRequest);
        let request = Holder(GetAssertionRequest {
            rp_id: "multipass.local".into(),
            client_data_hash: [4; 32],
            allow_list: vec![vec![1], vec![2, 3]],
        });
        let json = serde_json::to_string(&request).unwrap();
        assert_eq!(serde_json::from_str::<Holder>(&json).unwrap(), request);
    }

    #[test]
    fn garbage_is_refused_with_a_reason() {
        let bad = r#"{"credentialId":"***","namedCredentialId":null,"authData":"","signature":"","userId":null}"#;
        let err = serde_json::from_str::<PassAssertion>(bad).unwrap_err();
        assert!(err.to_string().contains("base64"), "{err}");
        let short = r#"{"rpId":"x","clientDataHash":"AAAA","allowList":[]}"#;
        #[derive(Deserialize, Debug)]
        struct Holder(
            #[serde(with = "assertion_request")]
            #[allow(dead_code)]
            GetAssertionRequest,
        );
        let err = serde_json::from_str::<Holder>(short).unwrap_err();
        assert!(err.to_string().contains("32 bytes"), "{err}");
    }
}
