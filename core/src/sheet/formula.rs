//! Formula injection: which values a spreadsheet would run, and the `'` escape that stops it.

/// Whether a value would be read as a formula by a spreadsheet (OWASP's list plus NUL, and
/// the same after leading whitespace).
pub fn formula_like(value: &str) -> bool {
    let first = value
        .trim_start_matches([' ', '\u{a0}', '\u{3000}'])
        .chars()
        .next();
    matches!(
        first,
        Some('=' | '+' | '-' | '@' | '\t' | '\r' | '\n' | '\0')
    ) || value.starts_with(['\t', '\r', '\n', '\0'])
}

/// Makes a value safe to open in a spreadsheet by prefixing `'` where it could run as a
/// formula (or already starts with the escape). [`unescape_formula`] undoes it.
pub fn escape_formula(value: &str) -> std::borrow::Cow<'_, str> {
    if formula_like(value)
        || value
            .strip_prefix('\'')
            .is_some_and(|rest| formula_like(rest) || rest.starts_with('\''))
    {
        std::borrow::Cow::Owned(format!("'{value}"))
    } else {
        std::borrow::Cow::Borrowed(value)
    }
}

/// Undoes [`escape_formula`]: a leading `'` before a formula-like value (or another `'`) is dropped.
pub fn unescape_formula(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest)
            if formula_like(rest)
                || (rest.starts_with('\'')
                    && rest
                        .strip_prefix('\'')
                        .is_some_and(|r| formula_like(r) || r.starts_with('\''))) =>
        {
            rest
        }
        _ => value,
    }
}

/// A cell as its value reads: text that starts with the `'` marker [`escape_formula`] puts
/// before a formula-like value (or before another `'`) loses the marker, whatever the file's
/// format, so a roster reads the same as CSV, XLSX or ODS. The flag says whether a marker
/// was removed, so that it is never removed silently.
///
/// ```
/// use conferral::sheet::CellRef;
/// use conferral::sheet::formula::strip_text_marker;
/// assert_eq!(strip_text_marker(CellRef::Text("'=1+1")), (CellRef::Text("=1+1"), true));
/// assert_eq!(strip_text_marker(CellRef::Text("'plain")), (CellRef::Text("'plain"), false));
/// ```
pub fn strip_text_marker(cell: super::CellRef<'_>) -> (super::CellRef<'_>, bool) {
    match cell {
        super::CellRef::Text(text) => {
            let value = unescape_formula(text);
            (super::CellRef::Text(value), value.len() != text.len())
        }
        other => (other, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_escape_round_trips() {
        for v in [
            "=1+1", "+1", "-5", "@SUM(A1)", "\tx", " =x", "'=x", "''=x", "'plain", "plain", "",
            "'", "''",
        ] {
            let escaped = escape_formula(v);
            assert!(!formula_like(&escaped), "{v:?} escaped to {escaped:?}");
            assert_eq!(unescape_formula(&escaped), v, "{v:?}");
        }
    }
}
