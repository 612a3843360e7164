//! SQL templates with named placeholders (`:name`), checked and translated to the
//! positional parameters of each backend (`$n` on PostgreSQL, `?n` on SQLite).
//!
//! The scanner knows enough SQL to skip string literals, quoted identifiers, comments,
//! dollar-quoted bodies and `::` casts, so a `:word` inside any of them is left alone.
//! Values are never put into the text: each placeholder becomes a bind position.
//!
//! The check that a template is one read-only SELECT is a courtesy that gives a clear error
//! early; the real guard is the read-only transaction (and, on PostgreSQL, the reader role)
//! the store runs it in.

use super::ReportError;
use super::params::{CALLER_IDENTITY_ID, ParamDecl, ParamValue};
use std::collections::BTreeMap;

/// A template longer than this is refused.
pub const MAX_TEMPLATE_CHARS: usize = 20_000;

/// Words that never belong in a read-only report query. A template starts with SELECT or
/// WITH and is one statement, so statement-level commands could only hide in a CTE or after
/// a `;`, both refused; these are the ones that could sit inside one SELECT.
const WRITING_WORDS: &[&str] = &[
    "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "REPLACE", "INTO", "CREATE", "DROP", "ALTER",
    "TRUNCATE", "GRANT", "REVOKE", "COPY", "VACUUM", "ATTACH", "DETACH", "PRAGMA", "REINDEX",
];

/// Built-in functions known to change state or reach outside the database.
const SIDE_EFFECT_FUNCTIONS: &[&str] = &[
    "NEXTVAL",
    "SETVAL",
    "SET_CONFIG",
    "LO_IMPORT",
    "LO_EXPORT",
    "LO_CREATE",
    "LO_UNLINK",
    "LO_FROM_BYTEA",
    "LO_PUT",
    "PG_ADVISORY_LOCK",
    "PG_ADVISORY_XACT_LOCK",
    "PG_TRY_ADVISORY_LOCK",
    "PG_TRY_ADVISORY_XACT_LOCK",
    "PG_TERMINATE_BACKEND",
    "PG_CANCEL_BACKEND",
    "PG_RELOAD_CONF",
    "PG_ROTATE_LOGFILE",
    "PG_READ_FILE",
    "PG_READ_BINARY_FILE",
    "PG_LS_DIR",
    "PG_NOTIFY",
    "DBLINK",
    "DBLINK_EXEC",
    "PG_SWITCH_WAL",
    "PG_CREATE_RESTORE_POINT",
    "TXID_CURRENT",
    "LOAD_EXTENSION",
    "WRITEFILE",
    "READFILE",
    "EDIT",
];

/// Tables a report never reads. On PostgreSQL the reader role has no grant on them either;
/// on SQLite, which has no roles, this list is the guard.
const PROTECTED_TABLES: &[&str] = &[
    "MULTIPASS_CREDENTIALS",
    "MULTIPASS_SESSIONS",
    "SSO_SIGNING_KEYS",
    "PG_AUTHID",
    "PG_SHADOW",
    "PG_USER_MAPPINGS",
];

/// Which positional syntax the backend's driver binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Postgres,
    Sqlite,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Sql(String),
    Placeholder(String),
}

/// A checked template: one SELECT (or WITH ... SELECT) whose placeholders are all declared
/// (or the implicit [`CALLER_IDENTITY_ID`]) and whose declarations are all used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
    decls: Vec<ParamDecl>,
}

/// The template in one backend's syntax and the values in bind order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompiledQuery {
    pub sql: String,
    pub binds: Vec<ParamValue>,
}

impl CompiledQuery {
    /// A query taken as it is, without the template checks: for tests of the store's own
    /// guards, and for nothing else.
    pub fn unchecked(sql: impl Into<String>, binds: Vec<ParamValue>) -> Self {
        Self {
            sql: sql.into(),
            binds,
        }
    }
}

fn refused(message: impl Into<String>) -> ReportError {
    ReportError::template(message)
}

struct Scan {
    pieces: Vec<Piece>,
    /// Upper-cased bare words outside literals and comments, with whether `(` follows.
    words: Vec<(String, bool)>,
    /// Byte offsets of `;` outside literals and comments.
    semicolons: Vec<usize>,
    /// Whether anything but white space and comments follows the last `;`.
    text_after_last_semicolon: bool,
    /// Upper-cased quoted identifiers.
    quoted: Vec<String>,
}

fn scan(sql: &str) -> Result<Scan, ReportError> {
    let bytes = sql.as_bytes();
    let mut out = Scan {
        pieces: Vec::new(),
        words: Vec::new(),
        semicolons: Vec::new(),
        text_after_last_semicolon: false,
        quoted: Vec::new(),
    };
    let mut current = String::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        let start = i;
        match c {
            b'\'' | b'"' | b'`' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return Err(refused("The template has an unclosed quote.")),
                        Some(&q) if q == c => {
                            // A doubled quote is an escaped one.
                            if bytes.get(i + 1) == Some(&c) {
                                i += 2;
                            } else {
                                i += 1;
                                break;
                            }
                        }
                        Some(_) => i += 1,
                    }
                }
                out.text_after_last_semicolon = true;
                if c == b'"' || c == b'`' {
                    let quoted = sql[start + 1..i - 1].replace("\"\"", "\"");
                    out.quoted.push(quoted.to_ascii_uppercase());
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                // PostgreSQL nests block comments.
                let mut depth = 0usize;
                loop {
                    match (bytes.get(i), bytes.get(i + 1)) {
                        (None, _) => return Err(refused("The template has an unclosed comment.")),
                        (Some(b'/'), Some(b'*')) => {
                            depth += 1;
                            i += 2;
                        }
                        (Some(b'*'), Some(b'/')) => {
                            depth -= 1;
                            i += 2;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => i += 1,
                    }
                }
            }
            b'$' => {
                let tag_end = bytes[i + 1..]
                    .iter()
                    .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    .map(|p| i + 1 + p);
                match tag_end {
                    Some(end) if bytes[end] == b'$' && !bytes[i + 1].is_ascii_digit() => {
                        let tag = &sql[i..=end];
                        let body_start = end + 1;
                        let close = sql[body_start..].find(tag).ok_or_else(|| {
                            refused("The template has an unclosed dollar-quoted string.")
                        })?;
                        i = body_start + close + tag.len();
                        out.text_after_last_semicolon = true;
                    }
                    _ => {
                        return Err(refused(
                            "Use named placeholders like :from_date; $1-style parameters are not accepted.",
                        ));
                    }
                }
            }
            b'?' => {
                return Err(refused(
                    "Use named placeholders like :from_date; ?-style parameters are not accepted.",
                ));
            }
            b':' if bytes.get(i + 1) == Some(&b':') => i += 2,
            b':' => {
                let name_len = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                    .count();
                let name = &sql[i + 1..i + 1 + name_len];
                if !super::params::is_param_name(name) {
                    return Err(refused(format!(
                        "The placeholder :{name} is not valid: placeholder names are lower-case letters, digits and _."
                    )));
                }
                out.pieces.push(Piece::Sql(std::mem::take(&mut current)));
                out.pieces.push(Piece::Placeholder(name.to_owned()));
                i += 1 + name_len;
                continue;
            }
            b';' => {
                out.semicolons.push(i);
                out.text_after_last_semicolon = false;
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = sql[start..i].to_ascii_uppercase();
                let rest = sql[i..].trim_start();
                out.words.push((word, rest.starts_with('(')));
                out.text_after_last_semicolon = true;
            }
            _ => {
                if !c.is_ascii_whitespace() {
                    out.text_after_last_semicolon = true;
                }
                // Advance by one whole character so multi-byte text is copied intact.
                i += sql[i..].chars().next().map_or(1, char::len_utf8);
            }
        }
        current.push_str(&sql[start..i]);
    }
    out.pieces.push(Piece::Sql(current));
    Ok(out)
}

fn check_read_only(scan: &Scan) -> Result<(), ReportError> {
    match scan.words.first().map(|(w, _)| w.as_str()) {
        Some("SELECT" | "WITH") => {}
        _ => {
            return Err(refused(
                "A report template must be a single SELECT (or WITH ... SELECT) statement.",
            ));
        }
    }
    let trailing_only = scan.semicolons.len() == 1 && !scan.text_after_last_semicolon;
    if !(scan.semicolons.is_empty() || trailing_only) {
        return Err(refused(
            "A report template must be one statement: remove the extra ';'.",
        ));
    }
    if let Some(table) = scan
        .words
        .iter()
        .map(|(w, _)| w)
        .chain(&scan.quoted)
        .find(|w| PROTECTED_TABLES.contains(&w.as_str()))
    {
        return Err(refused(format!(
            "Reports cannot read {}: it holds credentials, sessions or keys.",
            table.to_lowercase()
        )));
    }
    for (index, (word, call)) in scan.words.iter().enumerate() {
        if WRITING_WORDS.contains(&word.as_str()) && !(word == "REPLACE" && *call) {
            return Err(refused(format!(
                "A report template only reads; {word} is not allowed in one."
            )));
        }
        if *call && SIDE_EFFECT_FUNCTIONS.contains(&word.as_str()) {
            return Err(refused(format!(
                "A report template only reads; the function {} changes state.",
                word.to_lowercase()
            )));
        }
        // SELECT ... FOR UPDATE / FOR SHARE / FOR NO KEY UPDATE / FOR KEY SHARE take locks.
        if word == "FOR"
            && let Some((next, _)) = scan.words.get(index + 1)
            && matches!(next.as_str(), "SHARE" | "NO" | "KEY")
        {
            return Err(refused(
                "A report template only reads; row locks (FOR SHARE ...) are not allowed.",
            ));
        }
    }
    Ok(())
}

impl Template {
    /// Checks `sql` against `decls`: one read-only statement, every placeholder declared
    /// (or the implicit caller id), every declaration used.
    pub fn parse(sql: &str, decls: &[ParamDecl]) -> Result<Self, ReportError> {
        if sql.trim().is_empty() {
            return Err(refused("Write the report's SQL template."));
        }
        if sql.chars().count() > MAX_TEMPLATE_CHARS {
            return Err(refused(format!(
                "A report template can be at most {MAX_TEMPLATE_CHARS} characters."
            )));
        }
        let mut scan = scan(sql)?;
        check_read_only(&scan)?;
        for piece in &scan.pieces {
            if let Piece::Placeholder(name) = piece
                && name != CALLER_IDENTITY_ID
                && !decls.iter().any(|d| &d.name == name)
            {
                return Err(ReportError::parameter(
                    name,
                    format!(
                        "The template uses :{name}, which is not declared; declare it as {name}:type."
                    ),
                ));
            }
        }
        if let Some(unused) = decls
            .iter()
            .find(|d| !scan.pieces.contains(&Piece::Placeholder(d.name.clone())))
        {
            return Err(ReportError::parameter(
                &unused.name,
                format!(
                    "The parameter {} is declared but the template never uses :{}.",
                    unused.name, unused.name
                ),
            ));
        }
        // The one allowed ';' ends the statement; it and anything after it (white space,
        // comments) are dropped so that the driver sees exactly one statement.
        if let (Some(&at), Some(Piece::Sql(last))) =
            (scan.semicolons.first(), scan.pieces.last_mut())
        {
            let last_starts = sql.len() - last.len();
            if at >= last_starts {
                last.truncate(at - last_starts);
            }
        }
        Ok(Self {
            pieces: scan.pieces,
            decls: decls.to_vec(),
        })
    }

    pub fn declarations(&self) -> &[ParamDecl] {
        &self.decls
    }

    /// Whether the template restricts itself to the caller's data.
    pub fn uses_caller_identity(&self) -> bool {
        self.pieces
            .contains(&Piece::Placeholder(CALLER_IDENTITY_ID.to_owned()))
    }

    /// The template in `dialect`'s positional syntax, with `values` (checked against the
    /// declarations) and the caller's identity in bind order. Each distinct name takes one
    /// position, however often it appears.
    pub fn compile(
        &self,
        dialect: Dialect,
        values: &BTreeMap<String, ParamValue>,
        caller: uuid::Uuid,
    ) -> Result<CompiledQuery, ReportError> {
        let mut order: Vec<&str> = Vec::new();
        let mut sql = String::new();
        let mut binds = Vec::new();
        for piece in &self.pieces {
            match piece {
                Piece::Sql(text) => sql.push_str(text),
                Piece::Placeholder(name) => {
                    let position = match order.iter().position(|n| n == name) {
                        Some(p) => p + 1,
                        None => {
                            let value = if name == CALLER_IDENTITY_ID {
                                ParamValue::Uuid(caller)
                            } else {
                                values.get(name).cloned().ok_or_else(|| {
                                    ReportError::parameter(
                                        name,
                                        format!("The parameter {name} is missing."),
                                    )
                                })?
                            };
                            order.push(name);
                            binds.push(value);
                            order.len()
                        }
                    };
                    let marker = match dialect {
                        Dialect::Postgres => '$',
                        Dialect::Sqlite => '?',
                    };
                    sql.push(marker);
                    sql.push_str(&position.to_string());
                }
            }
        }
        Ok(CompiledQuery { sql, binds })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use rstest::rstest;

    fn decls(list: &[&str]) -> Vec<ParamDecl> {
        ParamDecl::parse_all(list).unwrap()
    }

    #[rstest]
    #[case::postgres(
        Dialect::Postgres,
        "SELECT * FROM t WHERE a = $1 AND b::text = $2 OR a = $1"
    )]
    #[case::sqlite(
        Dialect::Sqlite,
        "SELECT * FROM t WHERE a = ?1 AND b::text = ?2 OR a = ?1"
    )]
    fn placeholders_become_positions(#[case] dialect: Dialect, #[case] expected: &str) {
        let template = Template::parse(
            "SELECT * FROM t WHERE a = :a AND b::text = :b OR a = :a;",
            &decls(&["a:integer", "b:text"]),
        )
        .unwrap();
        let values = BTreeMap::from([
            ("a".to_owned(), ParamValue::Integer(1)),
            ("b".to_owned(), ParamValue::Text("x".into())),
        ]);
        let compiled = template
            .compile(dialect, &values, uuid::Uuid::nil())
            .unwrap();
        assert_eq!(compiled.sql, expected);
        assert_eq!(
            compiled.binds,
            vec![ParamValue::Integer(1), ParamValue::Text("x".into())]
        );
    }

    #[test]
    fn colons_inside_literals_comments_and_casts_are_not_placeholders() {
        let template = Template::parse(
            "SELECT ':nope', \"a:b\", $$ :no $$, x::date -- :comment\n /* :c /* :d */ */ FROM t WHERE id = :caller_identity_id",
            &[],
        )
        .unwrap();
        assert!(template.uses_caller_identity());
        let compiled = template
            .compile(Dialect::Postgres, &BTreeMap::new(), uuid::Uuid::nil())
            .unwrap();
        assert!(compiled.sql.ends_with("WHERE id = $1"), "{}", compiled.sql);
        assert_eq!(compiled.binds, vec![ParamValue::Uuid(uuid::Uuid::nil())]);
    }

    #[rstest]
    #[case::insert("INSERT INTO t VALUES (1)")]
    #[case::update("UPDATE t SET a = 1")]
    #[case::delete("DELETE FROM t")]
    #[case::create("CREATE TABLE x (a int)")]
    #[case::drop_after_select("SELECT 1; DROP TABLE wallet_accounts")]
    #[case::two_selects("SELECT 1; SELECT 2")]
    #[case::after_a_comment("SELECT 1; -- fine\n DELETE FROM t")]
    #[case::cte_delete("WITH gone AS (DELETE FROM t RETURNING *) SELECT * FROM gone")]
    #[case::for_update("SELECT * FROM t FOR UPDATE")]
    #[case::for_share("SELECT * FROM t FOR SHARE")]
    #[case::for_no_key("SELECT * FROM t FOR NO KEY UPDATE")]
    #[case::select_into("SELECT * INTO copy FROM t")]
    #[case::nextval("SELECT nextval('s')")]
    #[case::set_config("SELECT set_config('a.b', '1', false)")]
    #[case::advisory("SELECT pg_advisory_lock(1)")]
    #[case::positional("SELECT * FROM t WHERE a = $1")]
    #[case::question("SELECT * FROM t WHERE a = ?")]
    #[case::unclosed("SELECT 'x")]
    #[case::empty("  ")]
    #[case::explain("EXPLAIN ANALYZE DELETE FROM t")]
    #[case::credentials("SELECT password_hash FROM multipass_credentials")]
    #[case::quoted_credentials("SELECT * FROM \"Multipass_Credentials\"")]
    #[case::sessions("SELECT token_hash FROM public.multipass_sessions")]
    fn writing_or_malformed_templates_are_refused(#[case] sql: &str) {
        let err = Template::parse(sql, &[]).unwrap_err();
        assert_eq!(err.parameter, "sqlTemplate", "{sql}: {err:?}");
    }

    #[rstest]
    #[case::string_mentions_delete("SELECT 'DELETE FROM t; --' AS note")]
    #[case::replace_function("SELECT replace(name, 'a', 'b') FROM t")]
    #[case::for_in_text("SELECT 'for update' FROM t")]
    #[case::cte("WITH x AS (SELECT 1 AS a) SELECT a FROM x")]
    #[case::pg_sleep("SELECT pg_sleep(60)")]
    #[case::column_named_like_a_command("SELECT 1 AS comment, 2 AS lock, 3 AS security")]
    fn reading_templates_pass(#[case] sql: &str) {
        Template::parse(sql, &[]).unwrap();
    }

    #[rstest]
    #[case("SELECT 1;", "SELECT 1")]
    #[case("SELECT :a ; -- the end\n", "SELECT $1 ")]
    #[case("SELECT ';' AS s;  ", "SELECT ';' AS s")]
    fn the_trailing_semicolon_and_what_follows_it_are_dropped(
        #[case] sql: &str,
        #[case] expected: &str,
    ) {
        let decls = if sql.contains(":a") {
            vec![ParamDecl::parse("a:integer").unwrap()]
        } else {
            vec![]
        };
        let values = BTreeMap::from([("a".to_owned(), ParamValue::Integer(1))]);
        let compiled = Template::parse(sql, &decls)
            .unwrap()
            .compile(Dialect::Postgres, &values, uuid::Uuid::nil())
            .unwrap();
        assert_eq!(compiled.sql, expected);
    }

    #[test]
    fn undeclared_and_unused_parameters_are_named() {
        let err = Template::parse("SELECT :a", &[]).unwrap_err();
        assert_eq!(err.parameter, "a");
        let err = Template::parse("SELECT 1", &decls(&["b:text"])).unwrap_err();
        assert_eq!(err.parameter, "b");
    }
}
