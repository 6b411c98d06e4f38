//! Leaf values: how people write text, dates, email addresses and numbers in cells, and how
//! the library writes them back. Everything above reads and formats values through here.

pub mod date;
pub mod email;
pub mod number;
pub mod text;

/// Trims surrounding whitespace, answering at once for text that starts and ends with a
/// visible ASCII character (nearly every cell).
pub fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// A normalised value (as a record holds it) written back as a roster cell would hold it:
/// text as is, numbers in plain notation, booleans `yes`/`no`; `None` for null.
pub fn value_as_cell(value: &serde_json::Value) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(Cow::Borrowed(s)),
        serde_json::Value::Bool(true) => Some(Cow::Borrowed("yes")),
        serde_json::Value::Bool(false) => Some(Cow::Borrowed("no")),
        other => Some(Cow::Owned(other.to_string())),
    }
}
