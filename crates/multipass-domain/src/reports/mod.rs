//! Reports: typed parameters, SQL templates with named placeholders, and rendering a
//! result table as JSON, CSV (RFC 4180) or PDF. Pure: the stores run the queries.

pub mod builtin;
pub mod params;
pub mod pdf;
pub mod render;
pub mod template;

pub use params::{CALLER_IDENTITY_ID, ParamDecl, ParamType, ParamValue, check_values};
pub use render::{ReportFormat, ReportTable, render};
pub use template::{CompiledQuery, Dialect, Template};

use crate::identity::ValidationError;

/// A refused report definition or run. `parameter` names what to correct: a parameter's
/// name, or `sqlTemplate`, `name`, `parameters`, `rowLimit` for the definition's fields.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ReportError {
    pub parameter: String,
    pub message: String,
}

impl ReportError {
    pub(crate) fn parameter(name: &str, message: impl Into<String>) -> Self {
        Self {
            parameter: name.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn template(message: impl Into<String>) -> Self {
        Self::parameter("sqlTemplate", message)
    }
}

impl From<ValidationError> for ReportError {
    fn from(err: ValidationError) -> Self {
        Self::parameter(err.field, err.message)
    }
}

/// A report definition's name, as the schema's CHECK allows: a letter, then up to 63
/// letters, digits or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportName(String);

impl ReportName {
    pub fn parse(raw: &str) -> Result<Self, ReportError> {
        let name = raw.trim();
        let mut chars = name.chars();
        let ok = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
            && name.len() <= 64
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if ok {
            Ok(Self(name.to_owned()))
        } else {
            Err(ReportError::parameter(
                "name",
                "A report name starts with a letter and has at most 64 letters, digits or _.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Bounds of `report_definitions.row_limit`.
pub const MAX_ROW_LIMIT: u32 = 1_000_000;

pub fn parse_row_limit(limit: i64) -> Result<u32, ReportError> {
    u32::try_from(limit)
        .ok()
        .filter(|l| (1..=MAX_ROW_LIMIT).contains(l))
        .ok_or_else(|| {
            ReportError::parameter(
                "rowLimit",
                format!("The row limit must be between 1 and {MAX_ROW_LIMIT}."),
            )
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("TransactionSummary", true)]
    #[case("a", true)]
    #[case("a_1", true)]
    #[case("1a", false)]
    #[case("_a", false)]
    #[case("a-b", false)]
    #[case("", false)]
    fn names(#[case] raw: &str, #[case] ok: bool) {
        assert_eq!(ReportName::parse(raw).is_ok(), ok);
    }

    #[rstest]
    #[case(0, false)]
    #[case(1, true)]
    #[case(1_000_000, true)]
    #[case(1_000_001, false)]
    #[case(-5, false)]
    fn row_limits(#[case] limit: i64, #[case] ok: bool) {
        assert_eq!(parse_row_limit(limit).is_ok(), ok);
    }
}
