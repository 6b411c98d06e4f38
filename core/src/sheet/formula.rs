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
