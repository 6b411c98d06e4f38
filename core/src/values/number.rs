//! Reading numbers written by people in several locales.
//!
//! Accepted: an optional sign, digits, and one decimal separator (`.` or `,`), with
//! thousands grouped by `,` `.` space, thin space or `'` in groups of three. A value with
//! both separators takes the last one as the decimal separator (`1.234,5` and `1,234.5`).
//! A single `,` or `.` followed by exactly three digits (`1,234`) is read as grouping when
//! it is a comma and as a decimal point when it is a dot, as spreadsheets in English do.
//! Exponents, currency signs and percentages are rejected.

/// Formats a number without a trailing `.0` and without exponent for ordinary magnitudes.
pub fn format(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        let s = format!("{n}");
        if s.contains('e') { format!("{n:.}") } else { s }
    }
}

/// Parses a number, or `None`.
pub fn parse(raw: &str) -> Option<f64> {
    let text = super::trim(raw);
    // Plain digits with at most one dot parse directly.
    let bytes = text.as_bytes();
    if !bytes.is_empty()
        && bytes.first().is_some_and(u8::is_ascii_digit)
        && bytes.last().is_some_and(u8::is_ascii_digit)
        && bytes.iter().all(|b| b.is_ascii_digit() || *b == b'.')
        && bytes.iter().filter(|&&b| b == b'.').count() <= 1
    {
        return text.parse().ok();
    }
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, text.get(1..)?),
        b'+' => (false, text.get(1..)?),
        _ => (false, text),
    };
    if body.is_empty()
        || !body
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let cleaned: String = body
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
        .collect();
    if cleaned.len() != body.len()
        && !grouped(body, |c| matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\''))
    {
        return None;
    }
    if !cleaned
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let last_dot = cleaned.rfind('.');
    let last_comma = cleaned.rfind(',');
    let decimal = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) => {
            if cleaned.matches('.').count() > 1 {
                None
            } else {
                Some('.')
            }
        }
        (None, Some(_)) => {
            let single = cleaned.matches(',').count() == 1;
            let tail = cleaned.rsplit(',').next().map_or(0, str::len);
            if single && tail != 3 { Some(',') } else { None }
        }
        (None, None) => None,
    };
    let group = match decimal {
        Some('.') => ',',
        Some(_) => '.',
        None => {
            if last_dot.is_some() {
                '.'
            } else {
                ','
            }
        }
    };
    let (int_part, frac_part) = match decimal.and_then(|d| cleaned.rsplit_once(d)) {
        Some((i, f)) => (i, Some(f)),
        None => (cleaned.as_str(), None),
    };
    if int_part.contains(group) && !grouped(int_part, |c| c == group) {
        return None;
    }
    if frac_part.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let digits: String = int_part.chars().filter(char::is_ascii_digit).collect();
    let mut normalized = if digits.is_empty() {
        "0".to_owned()
    } else {
        digits
    };
    if let Some(f) = frac_part {
        normalized.push('.');
        normalized.push_str(f);
    }
    let value: f64 = normalized.parse().ok()?;
    Some(if negative { -value } else { value })
}

/// Whether `text` is digit groups of three after the first, split by `is_sep`.
fn grouped(text: &str, is_sep: impl Fn(char) -> bool) -> bool {
    let int = text.split(['.', ',']).next().unwrap_or(text);
    let int = if is_sep('.') || is_sep(',') {
        text
    } else {
        int
    };
    let groups: Vec<&str> = int.split(|c: char| is_sep(c)).collect();
    let Some((first, rest)) = groups.split_first() else {
        return false;
    };
    (1..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_digit())
        && rest.iter().enumerate().all(|(i, g)| {
            let g = if i + 1 == rest.len() {
                g.split(['.', ',']).next().unwrap_or(g)
            } else {
                g
            };
            g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit())
        })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn locales() {
        for (text, value) in [
            ("12", 12.0),
            ("37.5", 37.5),
            ("37,5", 37.5),
            ("-0.25", -0.25),
            ("+3", 3.0),
            ("1,234", 1234.0),
            ("1,234.5", 1234.5),
            ("1.234,5", 1234.5),
            ("1 234,5", 1234.5),
            ("1'234.5", 1234.5),
            ("1,234,567", 1_234_567.0),
            ("1.234.567", 1_234_567.0),
            (".5", 0.5),
            (" 7 ", 7.0),
        ] {
            assert_eq!(parse(text), Some(value), "{text}");
        }
        for text in [
            "ten",
            "",
            "1e5",
            "12%",
            "$5",
            "1,23,4",
            "1..2",
            "5.",
            "--1",
            "12 34",
            "1.2.3,4,5",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
