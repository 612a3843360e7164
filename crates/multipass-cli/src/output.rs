//! What a command prints: one JSON document with `--json`, readable text otherwise.

use serde::Serialize;

#[derive(Debug)]
pub struct Output {
    pub json: serde_json::Value,
    pub text: String,
}

impl Output {
    pub fn new(json: serde_json::Value, text: String) -> Self {
        Self { json, text }
    }

    /// JSON from any serialisable view, with a text rendering of it.
    pub fn from_view(view: &impl Serialize, text: String) -> Self {
        Self::new(
            serde_json::to_value(view).unwrap_or(serde_json::Value::Null),
            text,
        )
    }

    pub fn print(&self, json: bool) {
        if json {
            println!(
                "{}",
                serde_json::to_string_pretty(&self.json).unwrap_or_default()
            );
        } else if !self.text.is_empty() {
            println!("{}", self.text);
        }
    }
}
