//! Inputs that describe a person, parsed once at the boundary into types that are valid by
//! construction. The rules match the CHECK constraints in `migrations/`, so a value that
//! parses here is never refused by the database for its shape.

use serde::Serialize;
use std::fmt;

/// A rejected input, naming the field the user has to correct.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ValidationError {
    pub field: &'static str,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A person's name as they write it, trimmed of surrounding white space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FullName(String);

impl FullName {
    pub const MAX_CHARS: usize = 200;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(ValidationError::new("fullName", "Enter your full name."));
        }
        if name.chars().count() > Self::MAX_CHARS {
            return Err(ValidationError::new(
                "fullName",
                format!("A name can be at most {} characters.", Self::MAX_CHARS),
            ));
        }
        if name.chars().any(char::is_control) {
            return Err(ValidationError::new(
                "fullName",
                "A name cannot contain control characters.",
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address, lower-cased so that uniqueness is case-insensitive.
///
/// Deliberately a pragmatic check (one `@`, a dotted domain, no spaces) rather than full
/// RFC 5322: the address is confirmed by use, and over-strict parsers reject real addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim().to_lowercase();
        let invalid =
            || ValidationError::new("email", "Enter an email address like name@example.com.");
        if email.is_empty() || email.len() > Self::MAX_LEN {
            return Err(invalid());
        }
        let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
        let domain_ok = !domain.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..");
        let no_blanks = !email.chars().any(|c| c.is_whitespace() || c.is_control());
        if local.is_empty() || local.len() > 64 || !domain_ok || !no_blanks {
            return Err(invalid());
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A sign-in name: 3 to 32 characters of `a-z 0-9 . _ -`, starting with a letter or digit,
/// compared case-insensitively (stored lower-case).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let name = raw.trim().to_lowercase();
        let len = name.chars().count();
        if !(3..=32).contains(&len) {
            return Err(ValidationError::new(
                "username",
                "A username has 3 to 32 characters.",
            ));
        }
        let mut chars = name.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if !first_ok || !rest_ok {
            return Err(ValidationError::new(
                "username",
                "A username uses only letters, digits, '.', '_' and '-', and starts with a letter or digit.",
            ));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::plain("ada@example.com", Some("ada@example.com"))]
    #[case::upper_case_folds("Ada.Lovelace@Example.COM", Some("ada.lovelace@example.com"))]
    #[case::surrounding_space_trimmed("  ada@example.com ", Some("ada@example.com"))]
    #[case::plus_tag("ada+news@example.co.uk", Some("ada+news@example.co.uk"))]
    #[case::no_at("ada.example.com", None)]
    #[case::two_ats("ada@b@example.com", None)]
    #[case::no_domain_dot("ada@localhost", None)]
    #[case::empty_local("@example.com", None)]
    #[case::inner_space("ada lovelace@example.com", None)]
    #[case::double_dot_domain("ada@example..com", None)]
    #[case::empty("", None)]
    fn email_parsing(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(Email::parse(raw).ok().as_ref().map(Email::as_str), expected);
    }

    #[rstest]
    #[case::simple("ada", Some("ada"))]
    #[case::folds_case("Ada.Lovelace", Some("ada.lovelace"))]
    #[case::digits_first("7of9", Some("7of9"))]
    #[case::too_short("ad", None)]
    #[case::too_long("a234567890123456789012345678901234", None)]
    #[case::leading_dot(".ada", None)]
    #[case::space("ada lovelace", None)]
    #[case::non_ascii("adé", None)]
    fn username_parsing(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            Username::parse(raw).ok().as_ref().map(Username::as_str),
            expected
        );
    }

    #[rstest]
    #[case::trimmed("  Ada Lovelace ", Some("Ada Lovelace"))]
    #[case::unicode("Zoë Ångström", Some("Zoë Ångström"))]
    #[case::blank("   ", None)]
    #[case::control("Ada\u{0007}", None)]
    fn full_name_parsing(#[case] raw: &str, #[case] expected: Option<&str>) {
        assert_eq!(
            FullName::parse(raw).ok().as_ref().map(FullName::as_str),
            expected
        );
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(Email::parse("nope").unwrap_err().field, "email");
        assert_eq!(Username::parse("x").unwrap_err().field, "username");
        assert_eq!(FullName::parse("").unwrap_err().field, "fullName");
    }
}
