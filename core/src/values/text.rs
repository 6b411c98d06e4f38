//! Header normalisation: the form every comparison of header text works on.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Normalises a header or alias for comparison.
///
/// NFKC-equivalent folding with accents removed, lowercase, invisible characters dropped,
/// punctuation turned into spaces, `(required)` and trailing `*` dropped, `e mail` joined to
/// `email`, `#` read as `number`, spaces collapsed.
///
/// ```
/// use conferral::matching::normalize;
/// assert_eq!(normalize("  E-Mail Address* "), "email address");
/// assert_eq!(normalize("Gültig\u{00A0}bis"), "gultig bis");
/// assert_eq!(normalize("Order #"), "order number");
/// assert_eq!(normalize("Date d'expiration (required)"), "date d expiration");
/// assert_eq!(normalize("Cohort Start [DD/MM/YYYY]"), "cohort start");
/// ```
pub fn normalize(header: &str) -> String {
    let header = strip_trailing_group(header);
    let mut folded = String::with_capacity(header.len());
    for c in header.nfkd() {
        if is_combining_mark(c)
            || matches!(
                c,
                '\u{FEFF}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{00AD}'
            )
        {
            continue;
        }
        match c {
            '#' => folded.push_str(" number "),
            'ß' => folded.push_str("ss"),
            c if c.is_alphanumeric() => folded.extend(c.to_lowercase()),
            _ => folded.push(' '),
        }
    }
    let mut words: Vec<&str> = folded.split_whitespace().collect();
    // "(required)", "- optional" and their translations say nothing about the meaning; a
    // word written plainly after the title does ("Hours required" is no number of hours).
    let marked = header.contains(['(', '[', '*', '-', ':', '|', '/']);
    while let Some(last) = words.last()
        && marked
    {
        if matches!(
            *last,
            "required"
                | "optional"
                | "obligatoire"
                | "pflicht"
                | "pflichtfeld"
                | "obligatorio"
                | "obrigatorio"
                | "verplicht"
        ) && words.len() > 1
        {
            words.pop();
        } else {
            break;
        }
    }
    let mut out = String::with_capacity(folded.len());
    let mut joined = false;
    for (i, word) in words.iter().enumerate() {
        if !out.is_empty() && !joined {
            out.push(' ');
        }
        out.push_str(word);
        // "e mail", "e mailadres", "e mail adresse": a hyphen split one word in two.
        joined = *word == "e"
            && words
                .get(i + 1)
                .is_some_and(|next| next.starts_with("mail"));
    }
    out
}

/// Drops a trailing `(...)` or `[...]` group, such as `[YYYY-MM-DD]` or `(Original Name)`,
/// when text remains before it.
fn strip_trailing_group(header: &str) -> &str {
    // Blackboard ends each column title with `|` and the column's number.
    let header = match header.rsplit_once('|') {
        Some((title, id))
            if !id.trim().is_empty() && id.trim().bytes().all(|b| b.is_ascii_digit()) =>
        {
            title
        }
        _ => header,
    };
    let trimmed = header.trim_end().trim_end_matches('*').trim_end();
    let open = match trimmed.chars().last() {
        Some(')') => '(',
        Some(']') => '[',
        _ => return header,
    };
    match trimmed.rfind(open) {
        Some(at)
            if trimmed
                .get(..at)
                .is_some_and(|rest| rest.chars().any(char::is_alphanumeric)) =>
        {
            // Zoom's "(Original Name)" says which name the column holds: in Spanish
            // "Nombre" alone would be the first name, "Nombre (nombre original)" is the name.
            let group = trimmed.get(at..).unwrap_or_default().to_lowercase();
            if ["original", "ursprüngl", "origine", "oorspronkelijk"]
                .iter()
                .any(|w| group.contains(w))
            {
                return header;
            }
            trimmed.get(..at).unwrap_or(header)
        }
        _ => header,
    }
}

/// Folds a value for case- and accent-insensitive comparison (enum values, booleans).
pub fn fold_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut space = false;
    for c in value.trim().nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            space = !out.is_empty();
            continue;
        }
        if space {
            out.push(' ');
            space = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// A yes/no value as people write one, in the six languages the matcher knows; `None` for
/// anything else.
pub fn parse_bool(text: &str) -> Option<bool> {
    match fold_value(text).as_str() {
        "true" | "yes" | "y" | "1" | "x" | "✓" | "✔" | "ja" | "oui" | "si" | "sim" | "wahr"
        | "vrai" | "verdadero" | "verdadeiro" | "waar" => Some(true),
        "false" | "no" | "n" | "0" | "nein" | "non" | "nao" | "nee" | "falsch" | "faux"
        | "falso" | "onwaar" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_normalise() {
        assert_eq!(normalize("\u{FEFF}First_Name"), "first name");
        assert_eq!(normalize("E-mailadres"), "emailadres");
        assert_eq!(normalize("Fecha de emisión"), "fecha de emision");
        assert_eq!(normalize("Straße"), "strasse");
        assert_eq!(normalize("Email *"), "email");
        assert_eq!(normalize("Name (Required)"), "name");
        assert_eq!(normalize("Ｅｍａｉｌ"), "email");
        // Zoom's marker says which name the column holds, so it stays.
        assert_eq!(
            normalize("User Name (Original Name)"),
            "user name original name"
        );
        assert_eq!(normalize("Hours required"), "hours required");
        assert_eq!(normalize("Email - required"), "email");
        assert_eq!(normalize("Issued On [YYYY-MM-DD]"), "issued on");
        assert_eq!(normalize("Course Hours * [number]"), "course hours");
        assert_eq!(normalize("(required)"), "required");
    }

    #[test]
    fn values_fold() {
        assert_eq!(
            fold_value("  Distinción  con   honores "),
            "distincion con honores"
        );
        assert_eq!(fold_value("MERIT"), "merit");
    }
}
