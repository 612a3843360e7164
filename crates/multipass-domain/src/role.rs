//! Who may do what: the role stored on each identity.

use crate::identity::ValidationError;
use std::fmt;

/// Roles are ranked: desk staff can do what users can, admins what desk staff can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// An end user: their own identity, wallets, trading and reports.
    User,
    /// Desk staff: also enrol hardware passes for others.
    Desk,
    /// Administrators: also KYC review, assets, report definitions, modules and roles.
    Admin,
}

impl Role {
    pub fn parse(text: &str) -> Result<Self, ValidationError> {
        match text {
            "user" => Ok(Self::User),
            "desk" => Ok(Self::Desk),
            "admin" => Ok(Self::Admin),
            _ => Err(ValidationError::new(
                "role",
                "A role is one of user, desk or admin.",
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Desk => "desk",
            Self::Admin => "admin",
        }
    }

    /// Whether someone with this role may act where `needed` is required.
    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(Role::User, Role::User, true)]
    #[case(Role::User, Role::Desk, false)]
    #[case(Role::User, Role::Admin, false)]
    #[case(Role::Desk, Role::User, true)]
    #[case(Role::Desk, Role::Desk, true)]
    #[case(Role::Desk, Role::Admin, false)]
    #[case(Role::Admin, Role::Desk, true)]
    #[case(Role::Admin, Role::Admin, true)]
    fn ranks(#[case] held: Role, #[case] needed: Role, #[case] allowed: bool) {
        assert_eq!(held.allows(needed), allowed);
    }

    #[rstest]
    #[case("user")]
    #[case("desk")]
    #[case("admin")]
    fn round_trips(#[case] text: &str) {
        assert_eq!(Role::parse(text).unwrap().as_str(), text);
    }

    #[rstest]
    #[case("Admin")]
    #[case("root")]
    #[case("")]
    fn refuses_unknown_roles(#[case] text: &str) {
        assert_eq!(Role::parse(text).unwrap_err().field, "role");
    }
}
