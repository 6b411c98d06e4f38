//! Header normalisation (the form every comparison of header text works on), value folding,
//! blanks, and full names.

use std::borrow::Cow;

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

/// Whether a blank (Unicode white space: spaces, tabs, line breaks, non-breaking spaces)
/// other than one space between two words: one around the value, two in a row, or another
/// kind than the space. Asked of many cells, so ASCII text is scanned as bytes.
pub fn needs_collapse(text: &str) -> bool {
    let bytes = text.as_bytes();
    // Nearly every cell starts and ends with a visible ASCII character and holds single
    // spaces at most: one pass over its bytes, stopping only at a space, a control or a
    // non-ASCII byte, settles it.
    let plain = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    if !plain(bytes.first()) || !plain(bytes.last()) {
        return !bytes.is_empty() && blanks_in(text);
    }
    let mut previous_space = false;
    for &b in bytes {
        if b.is_ascii_graphic() {
            previous_space = false;
        } else if b == b' ' {
            if previous_space {
                return true;
            }
            previous_space = true;
        } else {
            return blanks_in(text);
        }
    }
    false
}

/// [`needs_collapse`] for any text, character by character.
fn blanks_in(text: &str) -> bool {
    if text.trim().len() != text.len() {
        return true;
    }
    let mut previous_space = false;
    text.chars().any(|c| {
        let space = c == ' ';
        let bad = c.is_whitespace() && (!space || previous_space);
        previous_space = space;
        bad
    })
}

/// The text without blanks around it, each run of blanks inside it made one space; borrowed
/// when [`needs_collapse`] finds nothing to do.
///
/// ```
/// use conferral::values::text::collapse_blanks;
/// assert_eq!(collapse_blanks("  Ana \u{a0} María\tLópez\n"), "Ana María López");
/// assert!(matches!(collapse_blanks("Ana López"), std::borrow::Cow::Borrowed(_)));
/// ```
pub fn collapse_blanks(text: &str) -> Cow<'_, str> {
    if !needs_collapse(text) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    Cow::Owned(out)
}

/// Words that begin a family name (`van Gogh`, `de la Cruz`, `bin Salman`) when written in
/// lowercase inside a full name.
const NAME_PARTICLES: [&str; 22] = [
    "al", "bin", "da", "das", "de", "degli", "dei", "del", "della", "den", "der", "di", "do",
    "dos", "du", "el", "ibn", "la", "le", "ten", "ter", "van",
];

/// A full name split into given name(s) and family name, by one fixed rule: `Family, Given`
/// is read as written; otherwise the last word is the family name, with the lowercase
/// particles just before it (`van`, `de la`, ...), and the words before are the given names.
/// `None` for a single word, which may be the whole name (mononyms exist), and for a family
/// name alone (`van Dijk`). The rule cannot know double family names (`María García
/// López`), so a split is only ever suggested.
///
/// ```
/// use conferral::values::text::split_full_name;
/// let split = |s| split_full_name(s).map(|(g, f)| format!("{g} | {f}"));
/// assert_eq!(split("Ana María  López").as_deref(), Some("Ana María | López"));
/// assert_eq!(split("Ludwig van Beethoven").as_deref(), Some("Ludwig | van Beethoven"));
/// assert_eq!(split("López, Ana").as_deref(), Some("Ana | López"));
/// assert_eq!(split("Madonna"), None);
/// ```
pub fn split_full_name(name: &str) -> Option<(String, String)> {
    let name = collapse_blanks(name);
    if let Some((family, given)) = name.split_once(',') {
        let (family, given) = (family.trim(), given.trim());
        return (!family.is_empty() && !given.is_empty() && !given.contains(','))
            .then(|| (given.to_owned(), family.to_owned()));
    }
    let words: Vec<&str> = name.split(' ').collect();
    let mut start = words.len().checked_sub(1)?;
    while start > 0
        && words
            .get(start - 1)
            .is_some_and(|w| NAME_PARTICLES.contains(w))
    {
        start -= 1;
    }
    // Nothing before the family name (`van Dijk`): a family name alone, not a full name.
    if start == 0 {
        return None;
    }
    let given = words.get(..start)?.join(" ");
    let family = words.get(start..)?.join(" ");
    Some((given, family))
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
    fn blanks_are_found_and_collapsed() {
        for clean in ["", "Ana", "Ana López", "a b c", "Zoë Ødegård"] {
            assert!(!needs_collapse(clean), "{clean:?}");
        }
        for (messy, collapsed) in [
            (" Ana", "Ana"),
            ("Ana ", "Ana"),
            ("Ana  López", "Ana López"),
            ("Ana\tLópez", "Ana López"),
            ("Ana\r\nLópez", "Ana López"),
            ("Ana\u{a0}López", "Ana López"),
            ("Zoë\u{3000}Ødegård", "Zoë Ødegård"),
            ("   ", ""),
        ] {
            assert!(needs_collapse(messy), "{messy:?}");
            assert_eq!(collapse_blanks(messy), collapsed, "{messy:?}");
        }
        // Invisible characters that are not blanks are another finding's business.
        assert!(!needs_collapse("Ana\u{200b}López"));
    }

    #[test]
    fn full_names_split_by_the_one_rule() {
        let split = |s: &str| split_full_name(s);
        let pair = |g: &str, f: &str| Some((g.to_owned(), f.to_owned()));
        assert_eq!(split("Ana López"), pair("Ana", "López"));
        assert_eq!(split(" Ana  de la Cruz "), pair("Ana", "de la Cruz"));
        assert_eq!(split("Jan van der Berg"), pair("Jan", "van der Berg"));
        // A capitalised particle is not told from a given name.
        assert_eq!(split("De Vries"), pair("De", "Vries"));
        assert_eq!(split("Vincent Van Gogh"), pair("Vincent Van", "Gogh"));
        assert_eq!(split("Cruz, Ana María"), pair("Ana María", "Cruz"));
        for none in [
            "Ana",
            "",
            "  ",
            ", Ana",
            "Cruz,",
            "a, b, c",
            "van Gogh",
            "de la Cruz",
        ] {
            assert_eq!(split(none), None, "{none:?}");
        }
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
