//! The fields of an application module, each parsed into a type that can only hold a valid
//! value.

use crate::identity::ValidationError;
use std::fmt;
use std::net::IpAddr;
use url::{Host, Url};

/// The module's unique name: `^[a-z][a-z0-9-]{1,62}$`. It is the JWT audience.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ModuleName(String);

impl ModuleName {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let mut chars = raw.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && (2..=63).contains(&raw.len())
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if valid {
            Ok(Self(raw.to_owned()))
        } else {
            Err(ValidationError::new(
                "name",
                "A module name is 2 to 63 characters: lower-case letters, digits and hyphens, \
                 starting with a letter (e.g. payroll-export).",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ModuleName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name people see, trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub const MAX_CHARS: usize = 100;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "displayName",
                format!("A display name is 1 to {} characters.", Self::MAX_CHARS),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "displayName",
                "A display name cannot contain control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Free text about the module, trimmed, at most 2000 characters; may be empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl Description {
    pub const MAX_CHARS: usize = 2000;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let text = raw.trim();
        if text.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "description",
                format!("A description is at most {} characters.", Self::MAX_CHARS),
            ));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The fixed set of module categories (the schema's CHECK list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModuleCategory {
    Finance,
    Trading,
    Identity,
    Compliance,
    Reporting,
    Productivity,
    Communication,
    Other,
}

impl ModuleCategory {
    pub const ALL: [Self; 8] = [
        Self::Finance,
        Self::Trading,
        Self::Identity,
        Self::Compliance,
        Self::Reporting,
        Self::Productivity,
        Self::Communication,
        Self::Other,
    ];

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::ALL
            .into_iter()
            .find(|category| category.as_str() == raw)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|c| c.as_str()).collect();
                ValidationError::new(
                    "category",
                    format!("A category is one of {}.", names.join(", ")),
                )
            })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Finance => "finance",
            Self::Trading => "trading",
            Self::Identity => "identity",
            Self::Compliance => "compliance",
            Self::Reporting => "reporting",
            Self::Productivity => "productivity",
            Self::Communication => "communication",
            Self::Other => "other",
        }
    }
}

/// Where the module's API lives: `https`, or `http` on a loopback host only (127.0.0.0/8,
/// `::1`, `localhost`) for modules running on the same machine. No user name or password,
/// no query and no fragment: it is a base that paths are appended to, and credentials in
/// it would end up in logs. Kept in the `url` crate's normalised form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiBaseUrl(String);

impl ApiBaseUrl {
    pub const MAX_LEN: usize = 2048;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let refuse = |why: &str| Err(ValidationError::new("apiBaseUrl", why.to_owned()));
        let raw = raw.trim();
        if raw.len() > Self::MAX_LEN {
            return refuse("The API address is longer than 2048 characters.");
        }
        let Ok(url) = Url::parse(raw) else {
            return refuse(
                "The API address is not a valid URL (e.g. https://payroll.example.com/api).",
            );
        };
        let loopback = match url.host() {
            Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        };
        match url.scheme() {
            "https" => {}
            "http" if loopback => {}
            "http" => {
                return refuse(
                    "The API address must use https; plain http is allowed only on this machine \
                     (localhost, 127.0.0.1 or ::1).",
                );
            }
            _ => {
                return refuse(
                    "The API address must start with https:// (or http:// on localhost).",
                );
            }
        }
        if url.host().is_none() {
            return refuse("The API address has no host name.");
        }
        if !url.username().is_empty() || url.password().is_some() {
            return refuse("The API address cannot contain a user name or password.");
        }
        if url.query().is_some() {
            return refuse("The API address cannot contain a query (?...).");
        }
        if url.fragment().is_some() {
            return refuse("The API address cannot contain a fragment (#...).");
        }
        Ok(Self(url.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The module's version, a semantic version (`1.4.0`, `2.0.0-rc.1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleVersion(semver::Version);

impl ModuleVersion {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        if raw.len() > 64 {
            return Err(ValidationError::new(
                "version",
                "A version is at most 64 characters.",
            ));
        }
        semver::Version::parse(raw.trim()).map(Self).map_err(|_| {
            ValidationError::new(
                "version",
                "A version is a semantic version such as 1.0.0 or 2.1.0-beta.1.",
            )
        })
    }

    pub fn to_text(&self) -> String {
        self.0.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::https(
        "https://payroll.example.com/api",
        Some("https://payroll.example.com/api")
    )]
    #[case::https_port("https://example.com:8443", Some("https://example.com:8443/"))]
    #[case::localhost("http://localhost", Some("http://localhost/"))]
    #[case::localhost_upper("http://LOCALHOST:3000/x", Some("http://localhost:3000/x"))]
    #[case::loopback_port("http://127.0.0.1:8080", Some("http://127.0.0.1:8080/"))]
    #[case::loopback_range("http://127.5.6.7/", Some("http://127.5.6.7/"))]
    #[case::ipv6_loopback("http://[::1]:9000/api", Some("http://[::1]:9000/api"))]
    #[case::plain_http("http://example.com", None)]
    #[case::http_private_ip("http://10.0.0.5", None)]
    #[case::http_localhost_lookalike("http://localhost.example.com", None)]
    #[case::javascript("javascript:alert(1)", None)]
    #[case::data("data:text/html,hi", None)]
    #[case::ftp("ftp://example.com", None)]
    #[case::file("file:///etc/passwd", None)]
    #[case::userinfo("https://user:pw@example.com", None)]
    #[case::user_only("https://user@example.com", None)]
    #[case::fragment("https://example.com/#top", None)]
    #[case::query("https://example.com/?a=1", None)]
    #[case::relative("/api", None)]
    #[case::empty("", None)]
    #[case::no_host("https://", None)]
    fn api_base_urls(#[case] raw: &str, #[case] expected: Option<&str>) {
        let parsed = ApiBaseUrl::parse(raw);
        match expected {
            Some(text) => assert_eq!(parsed.unwrap().as_str(), text),
            None => assert_eq!(parsed.unwrap_err().field, "apiBaseUrl", "{raw}"),
        }
    }

    #[rstest]
    #[case("payroll", true)]
    #[case("payroll-export-2", true)]
    #[case("ab", true)]
    #[case("a", false)]
    #[case("Payroll", false)]
    #[case("2fa", false)]
    #[case("pay_roll", false)]
    #[case("pay roll", false)]
    #[case("-payroll", false)]
    #[case(&"a".repeat(63), true)]
    #[case(&"a".repeat(64), false)]
    fn module_names(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(ModuleName::parse(raw).is_ok(), ok, "{raw}");
    }

    #[rstest]
    #[case("1.0.0", true)]
    #[case("2.1.0-beta.1+build.5", true)]
    #[case("1.0", false)]
    #[case("v1.0.0", false)]
    #[case("", false)]
    fn versions(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(ModuleVersion::parse(raw).is_ok(), ok, "{raw}");
    }

    #[rstest]
    #[case("finance", true)]
    #[case("communication", true)]
    #[case("Finance", false)]
    #[case("games", false)]
    fn categories(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(ModuleCategory::parse(raw).is_ok(), ok);
    }

    #[rstest]
    #[case("  Payroll  ", Some("Payroll"))]
    #[case("   ", None)]
    #[case("a\u{0007}b", None)]
    fn display_names(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            DisplayName::parse(raw)
                .ok()
                .as_ref()
                .map(DisplayName::as_str),
            expected
        );
    }

    #[test]
    fn descriptions_are_bounded() {
        assert!(Description::parse(&"x".repeat(2000)).is_ok());
        assert_eq!(
            Description::parse(&"x".repeat(2001)).unwrap_err().field,
            "description"
        );
    }
}
