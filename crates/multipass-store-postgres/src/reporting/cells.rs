//! Turning the cells of an arbitrary report query into JSON values, by column type.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use multipass_store::{QueryRefusal, StoreError};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::{Column, Row, TypeInfo, ValueRef};

fn unsupported(column: &str, ty: &str) -> StoreError {
    StoreError::ReportQueryRefused {
        reason: QueryRefusal::Invalid,
        detail: format!(
            "column {column:?} has the type {ty}, which reports cannot show; cast it to text"
        ),
    }
}

/// PostgreSQL's binary NUMERIC: digit count, weight, sign, display scale, then base-10000
/// digits. Rendered as a decimal string so that no precision is lost to a float.
pub(crate) fn numeric_text(bytes: &[u8]) -> Option<String> {
    let word = |i: usize| -> Option<i16> {
        Some(i16::from_be_bytes([
            *bytes.get(2 * i)?,
            *bytes.get(2 * i + 1)?,
        ]))
    };
    let ndigits = usize::try_from(word(0)?).ok()?;
    let weight = i32::from(word(1)?);
    let sign = word(2)? as u16;
    let scale = usize::try_from(word(3)?).ok()?;
    match sign {
        0x0000 | 0x4000 => {}
        0xC000 => return Some("NaN".into()),
        0xD000 => return Some("Infinity".into()),
        0xF000 => return Some("-Infinity".into()),
        _ => return None,
    }
    let digits: Vec<i16> = (0..ndigits).map(|i| word(4 + i)).collect::<Option<_>>()?;
    let digit_at = |position: i32| -> i16 {
        usize::try_from(position)
            .ok()
            .and_then(|p| digits.get(p).copied())
            .unwrap_or(0)
    };
    let mut integer = String::new();
    for position in 0..=weight.max(0) {
        let d = if weight < 0 { 0 } else { digit_at(position) };
        if integer.is_empty() {
            integer = d.to_string();
        } else {
            integer.push_str(&format!("{d:04}"));
        }
    }
    let mut fraction = String::new();
    let mut position = weight + 1;
    while fraction.len() < scale {
        fraction.push_str(&format!("{:04}", digit_at(position)));
        position += 1;
    }
    fraction.truncate(scale);
    let negative = sign == 0x4000 && (integer != "0" || fraction.chars().any(|c| c != '0'));
    let mut text = if negative {
        "-".to_owned()
    } else {
        String::new()
    };
    text.push_str(&integer);
    if scale > 0 {
        text.push('.');
        text.push_str(&fraction);
    }
    Some(text)
}

fn float(value: f64) -> Value {
    serde_json::Number::from_f64(value)
        .map_or_else(|| Value::String(value.to_string()), Value::Number)
}

pub(crate) fn cell(row: &PgRow, index: usize) -> Result<Value, StoreError> {
    let column = row.column(index);
    let raw = row.try_get_raw(index).map_err(crate::errors::map_err)?;
    if raw.is_null() {
        return Ok(Value::Null);
    }
    let ty = column.type_info().name().to_owned();
    let get_err = crate::errors::map_err;
    let value = match ty.as_str() {
        "VOID" => Value::Null,
        "BOOL" => Value::Bool(row.try_get(index).map_err(get_err)?),
        "INT2" => row.try_get::<i16, _>(index).map_err(get_err)?.into(),
        "INT4" => row.try_get::<i32, _>(index).map_err(get_err)?.into(),
        "INT8" => row.try_get::<i64, _>(index).map_err(get_err)?.into(),
        "FLOAT4" => float(f64::from(row.try_get::<f32, _>(index).map_err(get_err)?)),
        "FLOAT8" => float(row.try_get::<f64, _>(index).map_err(get_err)?),
        "NUMERIC" => {
            let bytes = raw
                .as_bytes()
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            Value::String(
                numeric_text(bytes)
                    .ok_or_else(|| StoreError::Corrupt("a NUMERIC value did not decode".into()))?,
            )
        }
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" | "CHAR" => {
            Value::String(row.try_get(index).map_err(get_err)?)
        }
        "UUID" => Value::String(
            row.try_get::<uuid::Uuid, _>(index)
                .map_err(get_err)?
                .hyphenated()
                .to_string(),
        ),
        "DATE" => Value::String(
            row.try_get::<NaiveDate, _>(index)
                .map_err(get_err)?
                .to_string(),
        ),
        "TIMESTAMPTZ" => Value::String(
            row.try_get::<DateTime<Utc>, _>(index)
                .map_err(get_err)?
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ),
        "TIMESTAMP" => Value::String(
            row.try_get::<NaiveDateTime, _>(index)
                .map_err(get_err)?
                .to_string(),
        ),
        "JSON" | "JSONB" => row.try_get(index).map_err(get_err)?,
        "BYTEA" => Value::String(hex_string(
            &row.try_get::<Vec<u8>, _>(index).map_err(get_err)?,
        )),
        "TEXT[]" | "VARCHAR[]" => {
            Value::from(row.try_get::<Vec<String>, _>(index).map_err(get_err)?)
        }
        "INT8[]" => Value::from(row.try_get::<Vec<i64>, _>(index).map_err(get_err)?),
        "INT4[]" => Value::from(row.try_get::<Vec<i32>, _>(index).map_err(get_err)?),
        other => return Err(unsupported(column.name(), other)),
    };
    Ok(value)
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::numeric_text;

    fn numeric(ndigits: i16, weight: i16, sign: u16, scale: i16, digits: &[i16]) -> Vec<u8> {
        let mut out = Vec::new();
        for w in [ndigits, weight, sign as i16, scale] {
            out.extend_from_slice(&w.to_be_bytes());
        }
        for d in digits {
            out.extend_from_slice(&d.to_be_bytes());
        }
        out
    }

    #[test]
    fn numerics_render_exactly() {
        let cases: [(Vec<u8>, &str); 6] = [
            (numeric(0, 0, 0, 0, &[]), "0"),
            (numeric(1, 0, 0, 0, &[42]), "42"),
            (numeric(2, 1, 0, 0, &[12, 3456]), "123456"),
            (numeric(2, 0, 0x4000, 2, &[7, 5000]), "-7.50"),
            (numeric(1, -1, 0, 4, &[5]), "0.0005"),
            (numeric(3, 2, 0, 0, &[1, 0, 0]), "100000000"),
        ];
        for (bytes, text) in cases {
            assert_eq!(numeric_text(&bytes).as_deref(), Some(text));
        }
    }
}
