//! The rule of each attribute type for one cell: what makes a value valid, the normalised
//! value a record keeps, and the finding when it is not.

use std::borrow::Cow;

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use super::acc::Acc;
use super::date::{self, DateParse};
use super::plan::{Plan, RowState, Rule};
use super::{email, number};
use crate::finding::{Code, Finding, Severity};
use crate::group::{AttributeType, DateOrder, standard};
use crate::report::Records;
use crate::sheet::CellRef;
use crate::values::text::{collapse_blanks, fold_value};
use crate::values::trim;

/// At most this many characters of a value are quoted in a finding.
const VALUE_PREVIEW: usize = 200;

/// A value as a finding quotes it: cut at [`VALUE_PREVIEW`] characters.
pub(super) fn preview(value: &str) -> String {
    if value.len() <= VALUE_PREVIEW {
        return value.to_owned();
    }
    let mut out: String = value.chars().take(VALUE_PREVIEW).collect();
    out.push('…');
    out
}

/// The cell being checked: its rule and its row.
#[derive(Clone, Copy)]
pub(super) struct CellAt<'a> {
    pub(super) rule: &'a Rule,
    pub(super) row_no: u64,
}

impl CellAt<'_> {
    /// A finding at this cell, about this attribute, quoting `value` when given.
    fn finding(
        self,
        code: Code,
        severity: Severity,
        value: Option<&str>,
        message: String,
        help: impl Into<String>,
    ) -> Finding {
        let finding = Finding::new(code, severity, message)
            .at_cell(&self.rule.letter, self.row_no)
            .attribute(self.rule.key.clone())
            .help(help);
        match value {
            Some(value) => finding.value(preview(value)),
            None => finding,
        }
    }
}

impl Plan {
    /// Whether a type rule can read the cell: not blank, not a spreadsheet error, not text
    /// over the cell-size limit. Asked of every cell, so it only looks.
    #[inline(always)]
    pub(super) fn usable(&self, cell: CellRef<'_>) -> bool {
        match cell {
            CellRef::Error(_) | CellRef::Empty => false,
            CellRef::Text(t) => t.len() as u64 <= self.max_cell_bytes && !cell.is_blank(),
            _ => true,
        }
    }

    /// Why a cell is not [usable](Plan::usable): the finding, if its case has one (a blank
    /// cell has one only when the attribute is required).
    #[cold]
    pub(super) fn unusable(&self, at: CellAt<'_>, cell: CellRef<'_>) -> Option<Finding> {
        let (rule, row_no) = (at.rule, at.row_no);
        if cell.is_blank() {
            let required = rule.required || (rule.key == standard::NAME);
            return required.then(|| {
                at.finding(
                    Code::MissingRequiredValue,
                    Severity::Error,
                    None,
                    format!(
                        "{} is required but cell {}{row_no} is empty",
                        rule.label, rule.letter
                    ),
                    format!(
                        "fill in the {} or remove the row",
                        rule.label.to_lowercase()
                    ),
                )
            });
        }
        if let CellRef::Error(e) = cell {
            return Some(at.finding(
                Code::SpreadsheetError,
                Severity::Error,
                Some(e),
                format!(
                    "cell {}{row_no} holds the spreadsheet error `{e}` instead of a value",
                    rule.letter
                ),
                "fix the formula in the spreadsheet, or replace it with its value",
            ));
        }
        if let CellRef::Text(t) = cell
            && t.len() as u64 > self.max_cell_bytes
        {
            return Some(at.finding(
                Code::ValueTooLong,
                Severity::Error,
                Some(t),
                format!(
                    "cell {}{row_no} holds {} bytes, over the limit of {}",
                    rule.letter,
                    t.len(),
                    self.max_cell_bytes
                ),
                "a huge cell usually means a quote (\") that is never closed, which swallows the rows after it; check the file around this row",
            ));
        }
        None
    }

    /// Text: no control characters (an error in a name), at most the attribute's length, an
    /// identifier not mangled by scientific notation; kept with spaces collapsed and in NFC.
    /// Returns whether the cell has blanks to collapse.
    #[inline(always)]
    pub(super) fn text(
        &self,
        index: usize,
        at: CellAt<'_>,
        cell: CellRef<'_>,
        state: &mut RowState,
        acc: &mut Acc,
    ) -> bool {
        let rule = at.rule;
        let text = cell_text(cell);
        let trimmed = trim(&text);
        let (control, inner_blanks) = scan_text(trimmed);
        let blanks = inner_blanks || trimmed.len() != text.len();
        if let Some(c) = control {
            let severity = if rule.name_part {
                Severity::Error
            } else {
                Severity::Warning
            };
            acc.findings.push(at.finding(
                Code::ControlCharacters,
                severity,
                Some(&text),
                format!(
                    "{} contains the control character U+{:04X}",
                    rule.label,
                    u32::from(c)
                ),
                "remove line breaks, tabs and invisible characters from the cell",
            ));
            if rule.name_part {
                return blanks;
            }
        }
        let count = if trimmed.len() > rule.max_length as usize {
            trimmed.chars().count()
        } else {
            0
        };
        if count > rule.max_length as usize {
            acc.findings.push(at.finding(
                Code::ValueTooLong,
                Severity::Error,
                Some(&text),
                format!(
                    "{} has {count} characters; at most {} are accepted",
                    rule.label, rule.max_length
                ),
                "shorten the value",
            ));
            return blanks;
        }
        if rule.identifier && looks_scientific(trimmed) {
            acc.findings.push(at.finding(
                Code::ScientificNotationId,
                Severity::Warning,
                Some(&text),
                format!(
                    "`{trimmed}` looks like an identifier shortened by Excel's scientific notation"
                ),
                "format the column as Text in the spreadsheet and enter the full identifier again",
            ));
        }
        if self.credential_id == Some(index) {
            state.id_key = Some(xxhash_rust::xxh3::xxh3_128(trimmed.as_bytes()));
        }
        let slot = match rule.key.as_str() {
            standard::FIRST_NAME => Some(0),
            standard::LAST_NAME => Some(1),
            _ => None,
        };
        if state.record.is_none() && slot.is_none() {
            return blanks;
        }
        let normalized = normalize_text(trimmed);
        if let Some(slot) = slot.and_then(|s| state.name_parts.get_mut(s)) {
            *slot = Some(normalized.clone().into_owned());
        }
        if let Some((record, _)) = state.record {
            acc.records.set_text(record, rule.slot, &normalized);
        }
        blanks
    }

    /// An email address by the address rules; the recipient's own address is also keyed for
    /// the duplicate check. Returns whether a valid address has blanks around it (one with
    /// blanks inside is no address).
    #[inline(always)]
    pub(super) fn email(
        &self,
        index: usize,
        at: CellAt<'_>,
        cell: CellRef<'_>,
        state: &mut RowState,
        acc: &mut Acc,
    ) -> bool {
        let text = cell_text(cell);
        match email::parse(&text) {
            Ok(address) => {
                // Only the recipient's address identifies a recipient: many rows share a
                // manager's or a buyer's address.
                if self.email == Some(index) {
                    state.email_key = Some(address.duplicate_hash());
                }
                let mut blanks = false;
                if let CellRef::Text(written) = cell {
                    self.domain_typo(index, at, written, &address, acc);
                    blanks = trim(written).len() != written.len();
                }
                if let Some((record, _)) = state.record {
                    acc.records
                        .set_text_of(record, at.rule.slot, &address.normalized_parts());
                }
                blanks
            }
            Err(p) => {
                acc.findings.push(at.finding(
                    Code::InvalidEmail,
                    Severity::Error,
                    Some(&text),
                    format!(
                        "`{}` is not a valid email address: {}",
                        preview(email::trim(&text)),
                        p.message
                    ),
                    p.help,
                ));
                false
            }
        }
    }

    /// A date cell, a spreadsheet serial or a text date from 1900 on; the order of a text
    /// date that could be read either way waits for its column's evidence.
    #[inline(always)]
    pub(super) fn date(
        &self,
        index: usize,
        at: CellAt<'_>,
        cell: CellRef<'_>,
        state: &mut RowState,
        acc: &mut Acc,
    ) {
        let rule = at.rule;
        let parsed = match cell {
            CellRef::DateTime(d) => DateParse::Date(d.date()),
            CellRef::Number(n) => date::from_serial(n).map_or(
                DateParse::Invalid("the number is not a spreadsheet date serial"),
                DateParse::Date,
            ),
            CellRef::Text(t) => date::parse_text(t, rule.date_format),
            _ => DateParse::Invalid("the value is not a date"),
        };
        let parsed = match parsed {
            DateParse::Date(d) if d < min_date() => {
                DateParse::Invalid("the value is a time of day or a date before 1900")
            }
            other => other,
        };
        let declared = rule.date_format.map(|f| f.order);
        if let Some(evidence) = rule.date_slot.and_then(|s| acc.evidence.get_mut(s)) {
            // Under a declared day/month order a date reads one way only; how it would read
            // without the order is what a `swap_day_month` fix is decided on (a date that
            // fits only the other order is invalid here, and is evidence all the same).
            let free = match (cell, declared) {
                (_, None) => Some(parsed),
                (CellRef::Text(t), Some(order @ (DateOrder::DayFirst | DateOrder::MonthFirst))) => {
                    Some(date::unordered(t, parsed, order))
                }
                _ => None,
            };
            if let Some(free) = free {
                evidence.record(&free, at.row_no, (declared, acc.fix_cap), || cell.display());
            }
        }
        if let DateParse::Invalid(reason) = parsed {
            let text = cell.display();
            let expected = rule
                .date_format
                .map_or_else(|| "YYYY-MM-DD".to_owned(), |f| f.pattern());
            acc.findings.push(at.finding(
                Code::InvalidDate,
                Severity::Error,
                Some(&text),
                format!(
                    "`{}` in {} is not a valid date: {reason}",
                    preview(&text),
                    rule.label
                ),
                format!("write the date as {expected}, or format the cell as a date"),
            ));
            return;
        }
        state.dates.push((index, parsed));
    }

    /// Keeps what a value rule said of a cell: the value in the record (when records are
    /// kept), or the error finding.
    #[inline(always)]
    pub(super) fn keep(
        &self,
        at: CellAt<'_>,
        verdict: Result<Kept<'_>, Invalid>,
        state: &mut RowState,
        acc: &mut Acc,
    ) {
        match verdict {
            Ok(value) => {
                if let Some((record, _)) = state.record {
                    value.put(&mut acc.records, record, at.rule.slot);
                }
            }
            Err(invalid) => acc.findings.push(at.finding(
                invalid.code,
                Severity::Error,
                Some(&invalid.text),
                invalid.message,
                invalid.help,
            )),
        }
    }
}

/// A valid cell's value as a value rule read it, made JSON only when records are kept.
pub(super) enum Kept<'r> {
    /// A number, and whether the attribute wants it whole.
    Number(f64, bool),
    /// A boolean.
    Bool(bool),
    /// A URL as the URL parser writes it.
    Url(String),
    /// An enum value as the group spells it.
    Canonical(&'r str),
}

impl Kept<'_> {
    /// Puts the value in slot `slot` of record `index`.
    fn put(self, records: &mut Records, index: usize, slot: usize) {
        match self {
            Kept::Number(n, whole) => records.set_number(index, slot, n, whole),
            Kept::Bool(b) => records.set_bool(index, slot, b),
            Kept::Url(url) => records.set_text(index, slot, &url),
            Kept::Canonical(value) => records.set_text(index, slot, value),
        }
    }
}

/// A cell a value rule refuses: the code, the value as displayed, what is wrong and how to
/// fix it.
pub(super) struct Invalid {
    code: Code,
    text: String,
    message: String,
    help: String,
}

impl Invalid {
    /// "`value` in Label is not `what`", the message of most value rules.
    fn not(code: Code, text: String, rule: &Rule, what: &str, help: impl Into<String>) -> Invalid {
        Invalid {
            code,
            message: format!("`{}` in {} is not {what}", preview(text.trim()), rule.label),
            text,
            help: help.into(),
        }
    }
}

/// A number in any common notation (whole for an integer attribute).
#[inline(always)]
pub(super) fn number(rule: &Rule, cell: CellRef<'_>) -> Result<Kept<'static>, Invalid> {
    let parsed = match cell {
        CellRef::Number(n) => Some(n),
        CellRef::Text(t) => number::parse(t),
        _ => None,
    };
    let whole = rule.kind == AttributeType::Integer;
    match parsed {
        Some(n) if !whole || n.fract() == 0.0 => Ok(Kept::Number(n, whole)),
        _ => {
            let what = if whole { "a whole number" } else { "a number" };
            let example = if whole { "12" } else { "37.5" };
            Err(Invalid::not(
                Code::InvalidNumber,
                cell.display(),
                rule,
                what,
                format!("write {what} with digits, such as {example}"),
            ))
        }
    }
}

/// One of the attribute's values, compared without case and accents; kept as the group
/// spells it.
#[inline(always)]
pub(super) fn enumerated<'r>(rule: &'r Rule, cell: CellRef<'_>) -> Result<Kept<'r>, Invalid> {
    let text = cell_text(cell);
    let trimmed = trim(&text);
    let found = rule
        .enum_values
        .iter()
        .find(|(_, canonical)| canonical.eq_ignore_ascii_case(trimmed))
        .or_else(|| {
            let folded = fold_value(trimmed);
            rule.enum_values.iter().find(|(f, _)| *f == folded)
        });
    match found {
        Some((_, canonical)) => Ok(Kept::Canonical(canonical)),
        None => {
            // A few of the values, never the whole list: a group of thousands of values would
            // otherwise repeat them in every finding of the column.
            const LISTED: usize = 8;
            let allowed: Vec<String> = rule
                .enum_values
                .iter()
                .take(LISTED)
                .map(|(_, v)| preview(v))
                .collect();
            let more = rule.enum_values.len().saturating_sub(LISTED);
            let help = if more > 0 {
                format!(
                    "use one of the {} values of {}, such as {} (and {more} more)",
                    rule.enum_values.len(),
                    rule.label,
                    allowed.join(", ")
                )
            } else {
                format!("use one of: {}", allowed.join(", "))
            };
            Err(Invalid {
                code: Code::InvalidEnum,
                message: format!(
                    "`{}` is not an accepted {}",
                    preview(text.trim()),
                    rule.label
                ),
                text: text.into_owned(),
                help,
            })
        }
    }
}

/// Yes or no, in the languages of the lexicon, or a boolean or 0/1 cell.
#[inline(always)]
pub(super) fn boolean(rule: &Rule, cell: CellRef<'_>) -> Result<Kept<'static>, Invalid> {
    let parsed = match cell {
        CellRef::Bool(b) => Some(b),
        CellRef::Number(n) if n == 1.0 || n == 0.0 => Some(n == 1.0),
        _ => crate::values::text::parse_bool(&cell.display()),
    };
    parsed.map(Kept::Bool).ok_or_else(|| {
        Invalid::not(
            Code::InvalidBoolean,
            cell.display(),
            rule,
            "yes or no",
            "write yes or no (or true/false, 1/0)",
        )
    })
}

/// An http or https address with a host name.
#[inline(always)]
pub(super) fn url(rule: &Rule, cell: CellRef<'_>) -> Result<Kept<'static>, Invalid> {
    let text = cell.display();
    match check_url(text.trim()) {
        Ok(url) => Ok(Kept::Url(url)),
        Err(reason) => Err(Invalid::not(
            Code::InvalidUrl,
            text,
            rule,
            &format!("a web address: {reason}"),
            "write the full address starting with https://",
        )),
    }
}

/// The first date a credential can carry: earlier ones are times of day read as dates.
fn min_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

/// A cell's text without copying text cells.
fn cell_text(cell: CellRef<'_>) -> Cow<'_, str> {
    match cell {
        CellRef::Text(t) => Cow::Borrowed(t),
        other => Cow::Owned(other.display()),
    }
}

/// The first control or bidirectional-override character, scanning bytes for ASCII text.
pub(super) fn find_control(text: &str) -> Option<char> {
    if text.is_ascii() {
        return text
            .bytes()
            .find(|&b| b < 0x20 || b == 0x7F)
            .map(char::from);
    }
    text.chars().find(|&c| is_forbidden_control(c))
}

/// The first control (or bidirectional-override) character, and whether there are blanks to
/// collapse inside (two spaces in a row, or a blank other than the space), of text with no
/// blanks around it: one pass over its bytes. Every non-ASCII control, bidirectional mark and
/// blank is encoded in UTF-8 starting with the byte `C2`, `E1`, `E2` or `E3`; text without
/// them (ASCII, and most names in other alphabets: `ü` is `C3 BC`) needs no character
/// tables, and text with one is checked character by character.
fn scan_text(trimmed: &str) -> (Option<char>, bool) {
    let mut control = None;
    let mut blanks = false;
    let mut previous_space = false;
    for b in trimmed.bytes() {
        if matches!(b, 0xC2 | 0xE1..=0xE3) {
            return (
                find_control(trimmed),
                crate::values::text::needs_collapse(trimmed),
            );
        }
        let space = b == b' ';
        if b < 0x20 || b == 0x7F {
            control = control.or(Some(char::from(b)));
            blanks |= (b'\t'..=b'\r').contains(&b);
        }
        blanks |= space && previous_space;
        previous_space = space;
    }
    (control, blanks)
}

/// Collapses runs of whitespace and composes to NFC, copying only when something changes.
fn normalize_text(trimmed: &str) -> Cow<'_, str> {
    let collapsed = collapse_blanks(trimmed);
    if trimmed.is_ascii()
        || unicode_normalization::is_nfc_quick(collapsed.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        collapsed
    } else {
        Cow::Owned(collapsed.nfc().collect())
    }
}

fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && c != ' ')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn looks_scientific(text: &str) -> bool {
    if !text.bytes().any(|b| b == b'e' || b == b'E') {
        return false;
    }
    let upper = text.to_ascii_uppercase();
    let Some((mantissa, exponent)) = upper.split_once('E') else {
        return false;
    };
    let exponent = exponent.trim_start_matches('+');
    mantissa.contains('.')
        && mantissa
            .replace('.', "")
            .bytes()
            .all(|b| b.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.bytes().all(|b| b.is_ascii_digit())
}

fn check_url(text: &str) -> Result<String, &'static str> {
    let url = url::Url::parse(text).map_err(|_| "it cannot be parsed as a URL")?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("only http and https addresses are accepted");
    }
    if url
        .host_str()
        .is_none_or(|h| !h.contains('.') && h != "localhost")
    {
        return Err("it has no host name");
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scientific_ids_and_booleans() {
        assert!(looks_scientific("1.23E+12"));
        assert!(!looks_scientific("004213"));
        assert_eq!(crate::values::text::parse_bool("Sí"), Some(true));
        assert_eq!(crate::values::text::parse_bool("maybe"), None);
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("https://example.org/x").is_ok());
    }

    #[test]
    fn the_byte_scan_agrees_with_the_character_rules() {
        // Trimmed strings from an alphabet of what the rules care about.
        let alphabet = "aZ é ü\tŁ\u{a0}\u{85}\u{80}\u{9f}\u{202e}\u{2066}\u{200e}\u{2028}\u{3000}\u{1680}\u{205f}€中\u{7f}\n\u{1}";
        for raw in crate::values::generated_strings(alphabet, 100_000, 1..=7) {
            let trimmed = crate::values::trim(&raw);
            assert_eq!(
                scan_text(trimmed),
                (
                    find_control(trimmed),
                    crate::values::text::needs_collapse(trimmed)
                ),
                "{raw:?}"
            );
        }
    }
}
