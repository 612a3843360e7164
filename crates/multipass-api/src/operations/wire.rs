//! How a use case's parameters travel between a client and the server: owned on the wire,
//! borrowed in the call, so that the operation list declares each parameter once and both
//! ends convert it the same way.

/// Turns a parameter as a caller passes it into its owned wire form.
pub trait ToWire<Owned> {
    fn to_wire(self) -> Owned;
}

impl<T> ToWire<T> for T {
    fn to_wire(self) -> T {
        self
    }
}

impl<T: Clone> ToWire<T> for &T {
    fn to_wire(self) -> T {
        self.clone()
    }
}

impl ToWire<String> for &str {
    fn to_wire(self) -> String {
        self.to_owned()
    }
}

impl ToWire<Option<String>> for Option<&str> {
    fn to_wire(self) -> Option<String> {
        self.map(str::to_owned)
    }
}

/// Lends a received wire value to the use case in the form its signature takes.
pub trait Lend<'a, Borrowed> {
    fn lend(&'a self) -> Borrowed;
}

impl<'a, T: Clone> Lend<'a, T> for T {
    fn lend(&'a self) -> T {
        self.clone()
    }
}

impl<'a, T> Lend<'a, &'a T> for T {
    fn lend(&'a self) -> &'a T {
        self
    }
}

impl<'a> Lend<'a, &'a str> for String {
    fn lend(&'a self) -> &'a str {
        self
    }
}

impl<'a> Lend<'a, Option<&'a str>> for Option<String> {
    fn lend(&'a self) -> Option<&'a str> {
        self.as_deref()
    }
}

/// Byte strings (a report's file) as standard base64 inside JSON.
pub mod base64_bytes {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
