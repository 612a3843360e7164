//! Typed report parameters: the declarations a definition carries (`name:type`) and the
//! values a run supplies, checked against each other before anything reaches a database.

use super::ReportError;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::fmt;
use uuid::Uuid;

/// The parameter every run gets implicitly: the identity of whoever runs the report. It is
/// never declared and never supplied, so a user cannot point a report at someone else.
pub const CALLER_IDENTITY_ID: &str = "caller_identity_id";

/// At most this many declared parameters per definition.
pub const MAX_PARAMETERS: usize = 32;
/// A text parameter longer than this is refused (it is a filter value, not a document).
pub const MAX_TEXT_CHARS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamType {
    Date,
    Uuid,
    Text,
    Integer,
}

impl ParamType {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "date" => Some(Self::Date),
            "uuid" => Some(Self::Uuid),
            "text" => Some(Self::Text),
            "integer" => Some(Self::Integer),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Date => "date",
            Self::Uuid => "uuid",
            Self::Text => "text",
            Self::Integer => "integer",
        }
    }
}

/// A placeholder name: lower-case letters, digits and `_`, starting with a letter or `_`.
pub(crate) fn is_param_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && name.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// One `name:type` declaration.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParamDecl {
    pub name: String,
    pub ty: ParamType,
}

impl ParamDecl {
    pub fn parse(text: &str) -> Result<Self, ReportError> {
        let (name, ty) = text.trim().split_once(':').ok_or_else(|| {
            ReportError::parameter(
                text,
                format!("The parameter declaration {text:?} must look like name:type."),
            )
        })?;
        let (name, ty) = (name.trim(), ty.trim());
        if !is_param_name(name) {
            return Err(ReportError::parameter(
                name,
                format!(
                    "The parameter name {name:?} must be lower-case letters, digits and _, starting with a letter."
                ),
            ));
        }
        if name == CALLER_IDENTITY_ID {
            return Err(ReportError::parameter(
                name,
                format!("{CALLER_IDENTITY_ID} is supplied automatically; do not declare it."),
            ));
        }
        let ty = ParamType::parse(ty).ok_or_else(|| {
            ReportError::parameter(
                name,
                format!(
                    "The parameter {name} has the type {ty:?}; use date, uuid, text or integer."
                ),
            )
        })?;
        Ok(Self {
            name: name.to_owned(),
            ty,
        })
    }

    /// Parses a whole list, refusing duplicates and overlong lists.
    pub fn parse_all<S: AsRef<str>>(texts: &[S]) -> Result<Vec<Self>, ReportError> {
        if texts.len() > MAX_PARAMETERS {
            return Err(ReportError::parameter(
                "parameters",
                format!("A report can declare at most {MAX_PARAMETERS} parameters."),
            ));
        }
        let mut decls: Vec<Self> = Vec::with_capacity(texts.len());
        for text in texts {
            let decl = Self::parse(text.as_ref())?;
            if decls.iter().any(|d| d.name == decl.name) {
                return Err(ReportError::parameter(
                    &decl.name,
                    format!("The parameter {} is declared twice.", decl.name),
                ));
            }
            decls.push(decl);
        }
        Ok(decls)
    }
}

impl fmt::Display for ParamDecl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.name, self.ty.as_str())
    }
}

/// A checked value, ready to be bound (never spliced) by a backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamValue {
    Date(NaiveDate),
    Uuid(Uuid),
    Text(String),
    Integer(i64),
}

impl ParamValue {
    pub fn parse(name: &str, ty: ParamType, raw: &str) -> Result<Self, ReportError> {
        let wrong = |hint: &str| {
            ReportError::parameter(name, format!("The parameter {name} must be {hint}."))
        };
        match ty {
            ParamType::Date => NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
                .map(Self::Date)
                .map_err(|_| wrong("a date like 2026-01-31")),
            ParamType::Uuid => Uuid::try_parse(raw.trim())
                .map(Self::Uuid)
                .map_err(|_| wrong("a UUID like 123e4567-e89b-12d3-a456-426614174000")),
            ParamType::Integer => raw
                .trim()
                .parse::<i64>()
                .map(Self::Integer)
                .map_err(|_| wrong("a whole number")),
            ParamType::Text => {
                if raw.chars().count() > MAX_TEXT_CHARS {
                    Err(wrong(&format!("at most {MAX_TEXT_CHARS} characters")))
                } else if raw.contains('\0') {
                    Err(wrong("text without NUL characters"))
                } else {
                    Ok(Self::Text(raw.to_owned()))
                }
            }
        }
    }

    /// How the value is kept with the generated report (its `parameters` object).
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Self::Date(d) => d.format("%Y-%m-%d").to_string().into(),
            Self::Uuid(u) => u.hyphenated().to_string().into(),
            Self::Text(t) => t.clone().into(),
            Self::Integer(i) => (*i).into(),
        }
    }
}

/// Checks the supplied values against the declarations: every declared parameter must be
/// given, nothing undeclared may be, and each must parse as its type. Errors name the
/// parameter. Returns the values by name.
pub fn check_values(
    decls: &[ParamDecl],
    given: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, ParamValue>, ReportError> {
    if let Some(extra) = given
        .keys()
        .find(|name| !decls.iter().any(|d| &d.name == *name))
    {
        let message = if extra == CALLER_IDENTITY_ID {
            format!(
                "{CALLER_IDENTITY_ID} is always the identity running the report; it cannot be given."
            )
        } else {
            format!("This report has no parameter named {extra:?}.")
        };
        return Err(ReportError::parameter(extra, message));
    }
    decls
        .iter()
        .map(|decl| {
            let raw = given.get(&decl.name).ok_or_else(|| {
                ReportError::parameter(
                    &decl.name,
                    format!(
                        "The parameter {} ({}) is missing.",
                        decl.name,
                        decl.ty.as_str()
                    ),
                )
            })?;
            Ok((
                decl.name.clone(),
                ParamValue::parse(&decl.name, decl.ty, raw)?,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case("from:date", "from", ParamType::Date)]
    #[case(" wallet_id : uuid ", "wallet_id", ParamType::Uuid)]
    #[case("q:text", "q", ParamType::Text)]
    #[case("n2:integer", "n2", ParamType::Integer)]
    fn declarations_parse(#[case] text: &str, #[case] name: &str, #[case] ty: ParamType) {
        assert_eq!(
            ParamDecl::parse(text).unwrap(),
            ParamDecl {
                name: name.into(),
                ty
            }
        );
    }

    #[rstest]
    #[case("from", "from")]
    #[case("From:date", "From")]
    #[case("from:timestamp", "from")]
    #[case("caller_identity_id:uuid", "caller_identity_id")]
    #[case("a-b:text", "a-b")]
    fn bad_declarations_name_the_parameter(#[case] text: &str, #[case] field: &str) {
        assert_eq!(ParamDecl::parse(text).unwrap_err().parameter, field);
    }

    #[test]
    fn duplicate_declarations_are_refused() {
        let err = ParamDecl::parse_all(&["a:text", "a:date"]).unwrap_err();
        assert_eq!(err.parameter, "a");
    }

    fn given(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[rstest]
    #[case::missing(&[("from", "2026-01-01")], "to")]
    #[case::extra(&[("from", "2026-01-01"), ("to", "2026-01-02"), ("n", "1"), ("x", "1")], "x")]
    #[case::caller(&[("from", "2026-01-01"), ("to", "2026-01-02"), ("n", "1"), ("caller_identity_id", "x")], "caller_identity_id")]
    #[case::bad_date(&[("from", "2026-13-01"), ("to", "2026-01-02"), ("n", "1")], "from")]
    #[case::injection_in_integer(&[("from", "2026-01-01"), ("to", "2026-01-02"), ("n", "1 OR 1=1")], "n")]
    fn values_are_checked_by_name(#[case] pairs: &[(&str, &str)], #[case] field: &str) {
        let decls = ParamDecl::parse_all(&["from:date", "to:date", "n:integer"]).unwrap();
        assert_eq!(
            check_values(&decls, &given(pairs)).unwrap_err().parameter,
            field
        );
    }

    #[test]
    fn good_values_parse_to_their_types() {
        let decls = ParamDecl::parse_all(&["d:date", "u:uuid", "t:text", "n:integer"]).unwrap();
        let values = check_values(
            &decls,
            &given(&[
                ("d", "2026-02-28"),
                ("u", "123E4567-E89B-12D3-A456-426614174000"),
                ("t", "'; DROP TABLE wallet_accounts; --"),
                ("n", "-42"),
            ]),
        )
        .unwrap();
        assert_eq!(values["n"], ParamValue::Integer(-42));
        assert_eq!(
            values["t"],
            ParamValue::Text("'; DROP TABLE wallet_accounts; --".into())
        );
        assert_eq!(
            values["u"].to_json(),
            serde_json::json!("123e4567-e89b-12d3-a456-426614174000")
        );
    }
}
