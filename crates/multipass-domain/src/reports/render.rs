//! A report's result table and its three file formats.

use serde_json::Value;
use sha3::{Digest, Sha3_256};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportFormat {
    Json,
    Csv,
    Pdf,
}

impl ReportFormat {
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_lowercase().as_str() {
            "json" => Some(Self::Json),
            "csv" => Some(Self::Csv),
            "pdf" => Some(Self::Pdf),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Pdf => "pdf",
        }
    }

    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Csv => "text/csv",
            Self::Pdf => "application/pdf",
        }
    }
}

/// What a query returned: column names in order and one JSON value per cell (numbers for
/// integers, strings for text, dates, times and UUIDs, nested JSON for JSON columns).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReportTable {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Value>>,
}

/// A cell as text, for CSV and PDF: nothing for NULL, strings as they are, other values as
/// compact JSON.
pub fn cell_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("writing CSV failed: {0}")]
    Csv(#[from] csv::Error),
    #[error("writing JSON failed: {0}")]
    Json(#[from] serde_json::Error),
    #[error("a row has {found} cells but the table has {expected} columns")]
    Ragged { expected: usize, found: usize },
}

fn check_shape(table: &ReportTable) -> Result<(), RenderError> {
    match table.rows.iter().find(|r| r.len() != table.columns.len()) {
        Some(row) => Err(RenderError::Ragged {
            expected: table.columns.len(),
            found: row.len(),
        }),
        None => Ok(()),
    }
}

/// `{"columns": [...], "rows": [[...], ...]}`: arrays keep the column order.
pub fn to_json(table: &ReportTable) -> Result<Vec<u8>, RenderError> {
    check_shape(table)?;
    Ok(serde_json::to_vec_pretty(&serde_json::json!({
        "columns": table.columns,
        "rows": table.rows,
    }))?)
}

/// RFC 4180: a header row, CRLF line ends, fields with commas, quotes or line breaks quoted.
pub fn to_csv(table: &ReportTable) -> Result<Vec<u8>, RenderError> {
    check_shape(table)?;
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    writer.write_record(&table.columns)?;
    for row in &table.rows {
        writer.write_record(row.iter().map(cell_text))?;
    }
    writer
        .into_inner()
        .map_err(|e| RenderError::Csv(e.into_error().into()))
}

/// Renders `table` in `format`; `title` heads the PDF.
pub fn render(
    table: &ReportTable,
    format: ReportFormat,
    title: &str,
) -> Result<Vec<u8>, RenderError> {
    match format {
        ReportFormat::Json => to_json(table),
        ReportFormat::Csv => to_csv(table),
        ReportFormat::Pdf => {
            check_shape(table)?;
            Ok(super::pdf::to_pdf(table, title))
        }
    }
}

/// The SHA3-256 of a result, lower-case hex, as `generated_reports.result_hash` keeps it.
pub fn result_hash(bytes: &[u8]) -> String {
    hex::encode(Sha3_256::digest(bytes))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use serde_json::json;

    fn table() -> ReportTable {
        ReportTable {
            columns: vec!["name".into(), "note".into(), "n".into()],
            rows: vec![
                vec![json!("a, b"), json!("say \"hi\"\r\nbye"), json!(1)],
                vec![json!("plain"), Value::Null, json!({"k": [1, 2]})],
            ],
        }
    }

    #[test]
    fn csv_round_trips_through_a_reader() {
        let bytes = to_csv(&table()).unwrap();
        let mut reader = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(reader.headers().unwrap(), vec!["name", "note", "n"]);
        let rows: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(
            rows,
            vec![
                vec!["a, b", "say \"hi\"\r\nbye", "1"],
                vec!["plain", "", "{\"k\":[1,2]}"],
            ]
        );
        assert!(bytes.ends_with(b"\r\n"));
    }

    #[test]
    fn json_keeps_column_order() {
        let value: Value = serde_json::from_slice(&to_json(&table()).unwrap()).unwrap();
        assert_eq!(value["columns"], json!(["name", "note", "n"]));
        assert_eq!(value["rows"][1][2], json!({"k": [1, 2]}));
    }

    #[test]
    fn ragged_tables_are_refused() {
        let mut t = table();
        t.rows[0].pop();
        assert!(matches!(
            render(&t, ReportFormat::Csv, "x"),
            Err(RenderError::Ragged {
                expected: 3,
                found: 2
            })
        ));
    }

    #[test]
    fn hash_is_sha3_256_hex() {
        assert_eq!(
            result_hash(b""),
            "a7ffc6f8bf1ed76651c14756a061d662f580ff4de43b49fa82d80a4b80f8434a"
        );
    }
}
