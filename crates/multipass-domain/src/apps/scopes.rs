//! Scopes: what a module may do on a user's behalf.
//!
//! # Grammar
//!
//! ```text
//! scope     = resource ":" action [ ":" qualifier ]
//! resource  = segment
//! qualifier = segment
//! segment   = lower-alpha *31( lower-alpha / digit / "-" / "_" )
//! action    = "read" / "write" / "delete" / "execute" / "admin"
//! ```
//!
//! So `wallet:read`, `market:write:orders` and `reports:execute` are scopes, while
//! `Wallet:read`, `wallet:steal`, `wallet:` and `wallet read` are not. A scope is at most
//! [`Scope::MAX_LEN`] characters. A [`ScopeSet`] holds at most [`ScopeSet::MAX_SCOPES`]
//! scopes, none twice (a duplicate is refused, not silently dropped, since it usually means a
//! typo in the other one), kept in the order given. Scopes never contain white space, so a
//! set is written as one space-separated string in `application_events.scope` and in the
//! JWT's `scope` claim, as in OAuth 2.0 (RFC 6749 §3.3).

use crate::identity::ValidationError;
use serde::{Serialize, Serializer};
use std::fmt;

/// The actions a scope may grant.
pub const ACTIONS: [&str; 5] = ["read", "write", "delete", "execute", "admin"];

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    pub const MAX_LEN: usize = 96;
    const MAX_SEGMENT: usize = 32;

    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        Self::parse_for("scopes", raw)
    }

    fn parse_for(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let refuse = |why: String| {
            Err(ValidationError::new(
                field,
                format!(
                    "{why} A scope is written resource:action or resource:action:qualifier, \
                     in lower case, with action one of {}.",
                    ACTIONS.join(", ")
                ),
            ))
        };
        if raw.is_empty() {
            return refuse("A scope is empty.".to_owned());
        }
        let shown: String = raw.chars().take(Self::MAX_LEN).collect();
        if raw.len() > Self::MAX_LEN {
            return refuse(format!(
                "The scope {shown:?}… is longer than {} characters.",
                Self::MAX_LEN
            ));
        }
        let parts: Vec<&str> = raw.split(':').collect();
        let (resource, action, qualifier) = match parts.as_slice() {
            [resource, action] => (*resource, *action, None),
            [resource, action, qualifier] => (*resource, *action, Some(*qualifier)),
            _ => return refuse(format!("{shown:?} has not two or three parts.")),
        };
        if !Self::is_segment(resource) {
            return refuse(format!("{shown:?} has an invalid resource {resource:?}."));
        }
        if !ACTIONS.contains(&action) {
            return refuse(format!("{shown:?} has an unknown action {action:?}."));
        }
        if let Some(qualifier) = qualifier
            && !Self::is_segment(qualifier)
        {
            return refuse(format!("{shown:?} has an invalid qualifier {qualifier:?}."));
        }
        Ok(Self(raw.to_owned()))
    }

    fn is_segment(segment: &str) -> bool {
        let mut chars = segment.chars();
        chars.next().is_some_and(|c| c.is_ascii_lowercase())
            && segment.len() <= Self::MAX_SEGMENT
            && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Distinct scopes in the order given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSet(Vec<Scope>);

impl ScopeSet {
    pub const MAX_SCOPES: usize = 32;

    /// Parses a list of scopes under the form field `field`.
    pub fn parse<S: AsRef<str>>(field: &'static str, raw: &[S]) -> Result<Self, ValidationError> {
        if raw.len() > Self::MAX_SCOPES {
            return Err(ValidationError::new(
                field,
                format!("At most {} scopes can be given.", Self::MAX_SCOPES),
            ));
        }
        let mut scopes: Vec<Scope> = Vec::with_capacity(raw.len());
        for item in raw {
            let scope = Scope::parse_for(field, item.as_ref())?;
            if scopes.contains(&scope) {
                return Err(ValidationError::new(
                    field,
                    format!("The scope {scope} is given twice."),
                ));
            }
            scopes.push(scope);
        }
        Ok(Self(scopes))
    }

    /// Parses the space-separated form (`application_events.scope`, the JWT `scope` claim).
    pub fn parse_spaced(field: &'static str, raw: &str) -> Result<Self, ValidationError> {
        let items: Vec<&str> = raw.split(' ').filter(|s| !s.is_empty()).collect();
        Self::parse(field, &items)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Scope> {
        self.0.iter()
    }

    pub fn contains(&self, scope: &Scope) -> bool {
        self.0.contains(scope)
    }

    /// Whether every scope of `self` is in `other`.
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        self.0.iter().all(|scope| other.contains(scope))
    }

    /// The scopes of `self` that `other` lacks.
    pub fn missing_from<'a>(&'a self, other: &ScopeSet) -> Vec<&'a Scope> {
        self.0
            .iter()
            .filter(|scope| !other.contains(scope))
            .collect()
    }

    /// The OAuth form: scopes separated by single spaces.
    pub fn to_spaced(&self) -> String {
        self.to_strings().join(" ")
    }

    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(|s| s.0.clone()).collect()
    }
}

impl Serialize for ScopeSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(Scope::as_str))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::two_parts("wallet:read", true)]
    #[case::qualified("market:write:orders", true)]
    #[case::digits_dash_underscore("kyc-2:admin:level_3", true)]
    #[case::every_action("reports:execute", true)]
    #[case::delete("notes:delete", true)]
    #[case::empty("", false)]
    #[case::one_part("wallet", false)]
    #[case::four_parts("a:read:b:c", false)]
    #[case::upper_case("Wallet:read", false)]
    #[case::upper_action("wallet:READ", false)]
    #[case::unknown_action("wallet:steal", false)]
    #[case::empty_resource(":read", false)]
    #[case::empty_qualifier("wallet:read:", false)]
    #[case::leading_digit("1wallet:read", false)]
    #[case::space("wallet read", false)]
    #[case::inner_space("wallet: read", false)]
    #[case::dot("wallet.x:read", false)]
    #[case::unicode("wället:read", false)]
    #[case::long_segment(&format!("{}:read", "a".repeat(33)), false)]
    #[case::longest_segment(&format!("{}:read", "a".repeat(32)), true)]
    fn scope_grammar(#[case] raw: &str, #[case] ok: bool) {
        let parsed = Scope::parse(raw);
        assert_eq!(parsed.is_ok(), ok, "{raw:?}: {parsed:?}");
        if let Err(err) = parsed {
            assert_eq!(err.field, "scopes");
        }
    }

    #[test]
    fn a_scope_has_a_maximum_length() {
        let long = format!("{}:read:{}", "a".repeat(32), "b".repeat(32));
        assert!(Scope::parse(&long).is_ok());
        let too_long = format!("{long}x");
        assert!(too_long.len() > 64 && Scope::parse(&too_long).is_err());
        assert!(Scope::MAX_LEN >= long.len());
    }

    #[rstest]
    #[case::empty(&[], Ok(0))]
    #[case::two(&["wallet:read", "market:write"], Ok(2))]
    #[case::duplicate(&["wallet:read", "wallet:read"], Err("twice"))]
    #[case::bad_member(&["wallet:read", "nope"], Err("resource:action"))]
    fn scope_sets(#[case] raw: &[&str], #[case] expected: Result<usize, &str>) {
        match (ScopeSet::parse("requiredScopes", raw), expected) {
            (Ok(set), Ok(len)) => assert_eq!(set.len(), len),
            (Err(err), Err(words)) => {
                assert_eq!(err.field, "requiredScopes");
                assert!(err.message.contains(words), "{}", err.message);
            }
            (got, want) => panic!("{raw:?}: got {got:?}, want {want:?}"),
        }
    }

    #[test]
    fn too_many_scopes_are_refused() {
        let many: Vec<String> = (0..=ScopeSet::MAX_SCOPES)
            .map(|i| format!("r{i}:read"))
            .collect();
        assert!(ScopeSet::parse("scopes", &many).is_err());
        assert!(ScopeSet::parse("scopes", &many[1..]).is_ok());
    }

    #[test]
    fn spaced_form_round_trips_and_subsets() {
        let all = ScopeSet::parse_spaced("scope", "wallet:read  market:write").unwrap();
        assert_eq!(all.to_spaced(), "wallet:read market:write");
        let some = ScopeSet::parse("scope", &["market:write"]).unwrap();
        assert!(some.is_subset_of(&all));
        assert!(!all.is_subset_of(&some));
        assert_eq!(
            all.missing_from(&some),
            vec![&Scope::parse("wallet:read").unwrap()]
        );
    }
}
