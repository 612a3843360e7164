//! CTAP2 canonical CBOR on top of ciborium: maps sorted by encoded key (shorter first, then
//! bytewise), and strict, typed reading of what a pass sends.

use ciborium::Value;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CborError {
    #[error("the pass sent data that is not valid CBOR: {reason}")]
    Malformed { reason: String },
    #[error("the pass sent {extra} bytes after the CBOR data")]
    TrailingBytes { extra: usize },
    #[error("the pass's answer lacks {field}")]
    Missing { field: &'static str },
    #[error("{field} in the pass's answer should be {expected}")]
    WrongType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("{field} in the pass's answer is out of range")]
    OutOfRange { field: &'static str },
    #[error("the pass's answer repeats a map key")]
    DuplicateKey,
    #[error("could not encode the request: {reason}")]
    Encode { reason: String },
}

/// Encodes `value` canonically (CTAP2 section 8 "CTAP2 canonical CBOR encoding form").
pub fn to_canonical_vec(value: &Value) -> Result<Vec<u8>, CborError> {
    let mut out = Vec::new();
    ciborium::into_writer(&canonicalize(value.clone())?, &mut out).map_err(|e| {
        CborError::Encode {
            reason: e.to_string(),
        }
    })?;
    Ok(out)
}

fn encode_plain(value: &Value) -> Result<Vec<u8>, CborError> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| CborError::Encode {
        reason: e.to_string(),
    })?;
    Ok(out)
}

fn canonicalize(value: Value) -> Result<Value, CborError> {
    Ok(match value {
        Value::Map(entries) => {
            let mut keyed = entries
                .into_iter()
                .map(|(k, v)| {
                    let k = canonicalize(k)?;
                    Ok((encode_plain(&k)?, k, canonicalize(v)?))
                })
                .collect::<Result<Vec<_>, CborError>>()?;
            keyed.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(&b.0)));
            if keyed.windows(2).any(|w| w[0].0 == w[1].0) {
                return Err(CborError::DuplicateKey);
            }
            Value::Map(keyed.into_iter().map(|(_, k, v)| (k, v)).collect())
        }
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(canonicalize)
                .collect::<Result<_, _>>()?,
        ),
        Value::Tag(tag, inner) => Value::Tag(tag, Box::new(canonicalize(*inner)?)),
        other => other,
    })
}

/// Reads one CBOR item from the front of `bytes`, returning it and what follows.
pub fn read_prefix(bytes: &[u8]) -> Result<(Value, &[u8]), CborError> {
    let mut rest = bytes;
    // ciborium bounds nesting depth itself, and the input is at most one CTAPHID message.
    let value: Value = ciborium::from_reader(&mut rest).map_err(|e| CborError::Malformed {
        reason: e.to_string(),
    })?;
    Ok((value, rest))
}

/// Reads exactly one CBOR item.
pub fn from_slice(bytes: &[u8]) -> Result<Value, CborError> {
    let (value, rest) = read_prefix(bytes)?;
    if !rest.is_empty() {
        return Err(CborError::TrailingBytes { extra: rest.len() });
    }
    Ok(value)
}

/// A CBOR map from a pass, read field by field with errors that name the field.
#[derive(Debug, Clone, PartialEq)]
pub struct Map(Vec<(Value, Value)>);

impl Map {
    pub fn empty() -> Self {
        Self(Vec::new())
    }

    pub fn from_value(value: Value, field: &'static str) -> Result<Self, CborError> {
        match value {
            Value::Map(entries) => {
                let mut keys: Vec<&Value> = entries.iter().map(|(k, _)| k).collect();
                keys.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
                if keys.windows(2).any(|w| w[0] == w[1]) {
                    return Err(CborError::DuplicateKey);
                }
                Ok(Self(entries))
            }
            _ => Err(CborError::WrongType {
                field,
                expected: "a map",
            }),
        }
    }

    pub fn parse(bytes: &[u8], field: &'static str) -> Result<Self, CborError> {
        Self::from_value(from_slice(bytes)?, field)
    }

    fn find(&self, key: &Value) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get(&self, key: i64) -> Option<&Value> {
        self.find(&Value::from(key))
    }

    pub fn get_text_key(&self, key: &str) -> Option<&Value> {
        self.find(&Value::Text(key.to_owned()))
    }

    pub fn require(&self, key: i64, field: &'static str) -> Result<&Value, CborError> {
        self.get(key).ok_or(CborError::Missing { field })
    }

    pub fn bytes(&self, key: i64, field: &'static str) -> Result<&[u8], CborError> {
        as_bytes(self.require(key, field)?, field)
    }

    pub fn opt_bytes(&self, key: i64, field: &'static str) -> Result<Option<&[u8]>, CborError> {
        self.get(key).map(|v| as_bytes(v, field)).transpose()
    }

    pub fn text(&self, key: i64, field: &'static str) -> Result<&str, CborError> {
        as_text(self.require(key, field)?, field)
    }

    pub fn opt_uint(&self, key: i64, field: &'static str) -> Result<Option<u64>, CborError> {
        self.get(key).map(|v| as_uint(v, field)).transpose()
    }

    pub fn opt_map(&self, key: i64, field: &'static str) -> Result<Option<Map>, CborError> {
        self.get(key)
            .map(|v| Map::from_value(v.clone(), field))
            .transpose()
    }

    pub fn opt_array(&self, key: i64, field: &'static str) -> Result<Option<&[Value]>, CborError> {
        self.get(key).map(|v| as_array(v, field)).transpose()
    }

    /// Text-keyed boolean entries (the `options` maps).
    pub fn bool_by_text(&self, key: &str, field: &'static str) -> Result<Option<bool>, CborError> {
        self.get_text_key(key)
            .map(|v| {
                v.as_bool().ok_or(CborError::WrongType {
                    field,
                    expected: "a boolean",
                })
            })
            .transpose()
    }

    pub fn text_by_text(&self, key: &str, field: &'static str) -> Result<Option<&str>, CborError> {
        self.get_text_key(key)
            .map(|v| as_text(v, field))
            .transpose()
    }

    pub fn bytes_by_text(
        &self,
        key: &str,
        field: &'static str,
    ) -> Result<Option<&[u8]>, CborError> {
        self.get_text_key(key)
            .map(|v| as_bytes(v, field))
            .transpose()
    }

    pub fn int_by_text(&self, key: &str, field: &'static str) -> Result<Option<i64>, CborError> {
        self.get_text_key(key).map(|v| as_int(v, field)).transpose()
    }

    pub fn entries(&self) -> &[(Value, Value)] {
        &self.0
    }
}

pub fn as_bytes<'v>(value: &'v Value, field: &'static str) -> Result<&'v [u8], CborError> {
    value
        .as_bytes()
        .map(Vec::as_slice)
        .ok_or(CborError::WrongType {
            field,
            expected: "a byte string",
        })
}

pub fn as_text<'v>(value: &'v Value, field: &'static str) -> Result<&'v str, CborError> {
    value.as_text().ok_or(CborError::WrongType {
        field,
        expected: "a text string",
    })
}

pub fn as_array<'v>(value: &'v Value, field: &'static str) -> Result<&'v [Value], CborError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or(CborError::WrongType {
            field,
            expected: "an array",
        })
}

pub fn as_int(value: &Value, field: &'static str) -> Result<i64, CborError> {
    let int = value.as_integer().ok_or(CborError::WrongType {
        field,
        expected: "an integer",
    })?;
    i64::try_from(int).map_err(|_| CborError::OutOfRange { field })
}

pub fn as_uint(value: &Value, field: &'static str) -> Result<u64, CborError> {
    let int = value.as_integer().ok_or(CborError::WrongType {
        field,
        expected: "an integer",
    })?;
    u64::try_from(int).map_err(|_| CborError::OutOfRange { field })
}

/// Builds an integer-keyed map, leaving out absent entries.
pub fn int_map(entries: impl IntoIterator<Item = (i64, Option<Value>)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (Value::from(k), v)))
            .collect(),
    )
}

/// Builds a text-keyed map.
pub fn text_map<'k>(entries: impl IntoIterator<Item = (&'k str, Value)>) -> Value {
    Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (Value::Text(k.to_owned()), v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[test]
    fn canonical_order_is_length_first() {
        // Keys as in CTAP2's example: 10, 100, -1, "z", "aa", [100], [-1], false.
        let value = Value::Map(vec![
            (Value::Bool(false), Value::Null),
            (Value::Text("aa".into()), Value::Null),
            (Value::from(100), Value::Null),
            (Value::Text("z".into()), Value::Null),
            (Value::from(-1), Value::Null),
            (Value::from(10), Value::Null),
        ]);
        let bytes = to_canonical_vec(&value).unwrap();
        assert_eq!(hex::encode(bytes), "a60af620f6f4f61864f6617af6626161f6");
    }

    #[test]
    fn duplicate_keys_are_refused() {
        let value = Value::Map(vec![
            (Value::from(1), Value::Null),
            (Value::from(1), Value::Null),
        ]);
        assert_eq!(to_canonical_vec(&value), Err(CborError::DuplicateKey));
        assert!(matches!(
            Map::from_value(value, "x"),
            Err(CborError::DuplicateKey)
        ));
    }

    #[rstest]
    #[case::truncated(&[0xA1, 0x01], "malformed")]
    #[case::trailing(&[0x01, 0x02], "trailing")]
    #[case::not_a_map(&[0x01], "type")]
    #[case::reserved_info(&[0x1C], "malformed")]
    #[case::huge_declared_bytes(&[0x5B, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF], "malformed")]
    fn bad_input_is_specific(#[case] bytes: &[u8], #[case] kind: &str) {
        let err = Map::parse(bytes, "the answer").unwrap_err();
        let matched = match kind {
            "malformed" => matches!(err, CborError::Malformed { .. }),
            "trailing" => matches!(err, CborError::TrailingBytes { extra: 1 }),
            _ => matches!(err, CborError::WrongType { .. }),
        };
        assert!(matched, "{err:?}");
    }

    #[test]
    fn typed_reads_name_the_field() {
        let map = Map::from_value(int_map([(1, Some(Value::from(5)))]), "m").unwrap();
        assert_eq!(map.opt_uint(1, "count").unwrap(), Some(5));
        assert_eq!(
            map.bytes(1, "count").unwrap_err(),
            CborError::WrongType {
                field: "count",
                expected: "a byte string"
            }
        );
        assert_eq!(
            map.bytes(2, "id").unwrap_err(),
            CborError::Missing { field: "id" }
        );
    }
}
