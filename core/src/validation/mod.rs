//! Validating every row against the attributes its columns are matched to.
//!
//! Validation runs row by row with no state shared between rows except what an accumulator
//! collects, so chunks of rows can be validated on several threads and merged in order.
//! Decisions that need the whole column (day-first or month-first) and the whole file
//! (duplicate recipients) are taken when all rows are in.

pub use crate::sheet::Row;
pub use crate::sheet::formula::{escape_formula, formula_like, unescape_formula};
pub use crate::values::value_as_cell;
pub use crate::values::{date, email, number};

use std::collections::BTreeMap;

use chrono::NaiveDate;
use unicode_normalization::UnicodeNormalization;

use crate::finding::{Code, Finding, Severity};
use crate::group::{AttributeType, Schema, standard};
use crate::limits::Limits;
use crate::matching::ColumnMatch;
use crate::report::Record;
use crate::sheet::{CellRef, Value, column_letter};
use crate::values::date::DateOrder;
use crate::values::date::format_date;
use crate::values::number::format as format_number;
use crate::values::text::fold_value;
use crate::values::trim;
use date::DateParse;

#[derive(Debug, Clone)]
struct Rule {
    column: usize,
    letter: String,
    key: String,
    label: String,
    kind: AttributeType,
    required: bool,
    max_length: u32,
    enum_values: Vec<(String, String)>,
    date_format: Option<crate::group::DateFormat>,
    date_slot: Option<usize>,
    name_part: bool,
    identifier: bool,
}

/// Where the recipient's name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NameSource {
    Column(usize),
    Parts(Option<usize>, Option<usize>),
    Missing,
}

/// Evidence about a text date column's order.
#[derive(Debug, Clone, Default)]
pub(crate) struct DateEvidence {
    day_first: u64,
    day_first_example: Option<(u64, String)>,
    month_first: u64,
    month_first_example: Option<(u64, String)>,
    ambiguous: u64,
    ambiguous_example: Option<(u64, String)>,
}

impl DateEvidence {
    fn merge(&mut self, other: DateEvidence) {
        self.day_first += other.day_first;
        self.month_first += other.month_first;
        self.ambiguous += other.ambiguous;
        if self.day_first_example.is_none() {
            self.day_first_example = other.day_first_example;
        }
        if self.month_first_example.is_none() {
            self.month_first_example = other.month_first_example;
        }
        if self.ambiguous_example.is_none() {
            self.ambiguous_example = other.ambiguous_example;
        }
    }

    fn order(&self) -> Option<DateOrder> {
        match (self.day_first > 0, self.month_first > 0) {
            (true, false) => Some(DateOrder::DayFirst),
            (false, true) => Some(DateOrder::MonthFirst),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Pending {
    row: u64,
    dates: Vec<(usize, DateParse)>,
    record: Option<BTreeMap<String, serde_json::Value>>,
}

/// What validating a run of rows collected.
#[derive(Debug, Clone, Default)]
pub(crate) struct Acc {
    pub rows: u64,
    invalid_rows: Vec<u64>,
    pub findings: Vec<Finding>,
    /// Recipients' addresses, to find duplicate recipients.
    emails: Keys,
    /// Credential ids given in the roster, which must be unique.
    ids: Keys,
    evidence: Vec<DateEvidence>,
    pending: Vec<Pending>,
    records: Vec<Record>,
    /// Reused per row for the row's dates, so validation does not allocate.
    scratch: Vec<(usize, DateParse)>,
}

/// Hashed values with the rows they came from, for finding rows that share a value.
#[derive(Debug, Clone, Default)]
struct Keys {
    entries: Vec<(u128, u64)>,
    /// Whether `entries` is sorted, so the final check only merges.
    sorted: bool,
}

impl Keys {
    fn push(&mut self, key: u128, row: u64) {
        self.entries.push((key, row));
        self.sorted = false;
    }

    fn sort(&mut self) {
        self.entries.sort_unstable();
        self.sorted = true;
    }

    /// Appends a later run; two sorted runs stay sorted by a linear merge.
    fn merge(&mut self, other: Keys) {
        // An empty run is sorted.
        let mine = self.sorted || self.entries.is_empty();
        let theirs = other.sorted || other.entries.is_empty();
        self.sorted = mine && theirs;
        if self.entries.is_empty() {
            self.entries = other.entries;
            return;
        }
        if !self.sorted {
            self.entries.extend(other.entries);
            return;
        }
        let a = std::mem::take(&mut self.entries);
        let mut out = Vec::with_capacity(a.len() + other.entries.len());
        let (mut left, mut right) = (
            a.into_iter().peekable(),
            other.entries.into_iter().peekable(),
        );
        loop {
            let take_left = match (left.peek(), right.peek()) {
                (Some(l), Some(r)) => l <= r,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            out.extend(if take_left { left.next() } else { right.next() });
        }
        self.entries = out;
    }

    /// The rows of each value found in more than one row, in row order.
    fn repeated(mut self) -> Vec<Vec<u64>> {
        if !self.sorted {
            self.entries.sort_unstable();
        }
        self.entries
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|group| group.len() > 1)
            .map(|group| group.iter().map(|e| e.1).collect())
            .collect()
    }
}

impl Acc {
    /// Sorts the collected email keys; done by each thread on its own share of the rows, so
    /// the final duplicate check only merges.
    pub fn sort_emails(&mut self) {
        self.emails.sort();
        self.ids.sort();
    }

    /// Appends a later run of rows.
    pub fn merge(&mut self, other: Acc) {
        self.rows += other.rows;
        self.invalid_rows.extend(other.invalid_rows);
        self.findings.extend(other.findings);
        self.emails.merge(other.emails);
        self.ids.merge(other.ids);
        if self.evidence.len() < other.evidence.len() {
            self.evidence
                .resize_with(other.evidence.len(), DateEvidence::default);
        }
        for (mine, theirs) in self.evidence.iter_mut().zip(other.evidence) {
            mine.merge(theirs);
        }
        self.pending.extend(other.pending);
        self.records.extend(other.records);
    }
}

/// The outcome of [`Plan::finish`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub rows: u64,
    pub invalid: u64,
    pub findings: Vec<Finding>,
    pub records: Vec<Record>,
}

/// How each matched column is validated.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    rules: Vec<Rule>,
    width: usize,
    name: NameSource,
    email: Option<usize>,
    /// Whether repeated recipients in the file are allowed (a warning) or refused (an error).
    duplicates_allowed: bool,
    credential_id: Option<usize>,
    issued: Option<usize>,
    expires: Option<usize>,
    date_slots: usize,
    missing_required: bool,
    records: bool,
    max_cell_bytes: u64,
    short_rows_ragged: bool,
}

const VALUE_PREVIEW: usize = 200;

fn preview(value: &str) -> String {
    if value.len() <= VALUE_PREVIEW {
        return value.to_owned();
    }
    let mut out: String = value.chars().take(VALUE_PREVIEW).collect();
    out.push('…');
    out
}

fn is_identifier(key: &str, label: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        crate::values::text::normalize(s)
            .split(' ')
            .map(str::to_owned)
            .collect()
    };
    key == standard::CREDENTIAL_ID
        || words(&key.replace('_', " "))
            .iter()
            .chain(words(label).iter())
            .any(|w| {
                matches!(
                    w.as_str(),
                    "id" | "number"
                        | "no"
                        | "code"
                        | "nummer"
                        | "numero"
                        | "codigo"
                        | "zip"
                        | "postcode"
                        | "phone"
                )
            })
}

impl Plan {
    /// Builds the plan from matched columns.
    ///
    /// `short_rows_ragged` is set for CSV, where every row should have the header's field
    /// count; workbooks simply leave trailing cells out.
    pub fn new(
        schema: &Schema,
        columns: &[ColumnMatch],
        width: usize,
        limits: &Limits,
        records: bool,
        short_rows_ragged: bool,
    ) -> Plan {
        let mut rules = Vec::new();
        let mut date_slots = 0;
        for c in columns {
            let Some(attr) = c.attribute.as_deref().and_then(|k| schema.attribute(k)) else {
                continue;
            };
            let date_slot = (attr.kind == AttributeType::Date).then(|| {
                date_slots += 1;
                date_slots - 1
            });
            rules.push(Rule {
                column: c.index,
                letter: c.letter.clone(),
                key: attr.key.clone(),
                label: attr.label.clone(),
                kind: attr.kind,
                required: attr.required,
                max_length: attr.max_length,
                enum_values: attr
                    .values
                    .iter()
                    .map(|v| (fold_value(v), v.clone()))
                    .collect(),
                date_format: attr.date_format,
                date_slot,
                name_part: matches!(
                    attr.key.as_str(),
                    standard::NAME | standard::FIRST_NAME | standard::LAST_NAME
                ),
                identifier: attr.kind == AttributeType::Text
                    && is_identifier(&attr.key, &attr.label),
            });
        }
        let find = |key: &str| rules.iter().position(|r| r.key == key);
        let name = match (
            find(standard::NAME),
            find(standard::FIRST_NAME),
            find(standard::LAST_NAME),
        ) {
            (Some(n), _, _) => NameSource::Column(n),
            (None, None, None) => NameSource::Missing,
            (None, f, l) => NameSource::Parts(f, l),
        };
        let missing_required = schema.attributes.iter().any(|a| {
            a.required
                && find(&a.key).is_none()
                && !(a.key == standard::NAME && name != NameSource::Missing)
        });
        Plan {
            email: find(standard::EMAIL),
            duplicates_allowed: schema.duplicates == crate::group::DuplicatePolicy::Allow,
            credential_id: find(standard::CREDENTIAL_ID),
            issued: find(standard::ISSUED_ON),
            expires: find(standard::EXPIRES_ON),
            rules,
            width,
            name,
            date_slots,
            missing_required,
            records,
            max_cell_bytes: limits.max_cell_bytes,
            short_rows_ragged,
        }
    }

    /// A fresh accumulator for this plan.
    pub fn acc(&self) -> Acc {
        Acc {
            evidence: vec![DateEvidence::default(); self.date_slots],
            ..Acc::default()
        }
    }

    /// Validates one non-blank row.
    pub fn validate<R: Row + ?Sized>(&self, row_no: u64, row: &R, acc: &mut Acc) {
        acc.rows += 1;
        let findings_before = acc.findings.len();
        let mut values: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        let mut dates = std::mem::take(&mut acc.scratch);
        let mut name_parts: [Option<String>; 2] = [None, None];
        let mut email_key: Option<u128> = None;
        let mut id_key: Option<u128> = None;

        for (index, rule) in self.rules.iter().enumerate() {
            let cell = row.cell(rule.column);
            let finding = |code: Code,
                           severity: Severity,
                           value: Option<&str>,
                           message: String,
                           help: String| Finding {
                code,
                severity,
                row: Some(row_no),
                column: Some(rule.letter.clone()),
                cell: Some(format!("{}{row_no}", rule.letter)),
                attribute: Some(rule.key.clone()),
                value: value.map(preview),
                message,
                help,
            };
            if cell.is_blank() {
                let required = rule.required || (rule.key == standard::NAME);
                if required {
                    acc.findings.push(finding(
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
                    ));
                }
                continue;
            }
            if let CellRef::Error(e) = cell {
                acc.findings.push(finding(
                    Code::SpreadsheetError,
                    Severity::Error,
                    Some(e),
                    format!(
                        "cell {}{row_no} holds the spreadsheet error `{e}` instead of a value",
                        rule.letter
                    ),
                    "fix the formula in the spreadsheet, or replace it with its value".to_owned(),
                ));
                continue;
            }
            if let CellRef::Text(t) = cell
                && t.len() as u64 > self.max_cell_bytes
            {
                acc.findings.push(finding(
                        Code::ValueTooLong,
                        Severity::Error,
                        Some(t),
                        format!("cell {}{row_no} holds {} bytes, over the limit of {}", rule.letter, t.len(), self.max_cell_bytes),
                        "a huge cell usually means a quote (\") that is never closed, which swallows the rows after it; check the file around this row".to_owned(),
                    ));
                continue;
            }
            match rule.kind {
                AttributeType::Text => {
                    let text = cell_text(cell);
                    let trimmed = trim(&text);
                    if let Some(c) = find_control(trimmed) {
                        let severity = if rule.name_part {
                            Severity::Error
                        } else {
                            Severity::Warning
                        };
                        acc.findings.push(finding(
                            Code::ControlCharacters,
                            severity,
                            Some(&text),
                            format!(
                                "{} contains the control character U+{:04X}",
                                rule.label,
                                u32::from(c)
                            ),
                            "remove line breaks, tabs and invisible characters from the cell"
                                .to_owned(),
                        ));
                        if rule.name_part {
                            continue;
                        }
                    }
                    let count = if trimmed.len() > rule.max_length as usize {
                        trimmed.chars().count()
                    } else {
                        0
                    };
                    if count > rule.max_length as usize {
                        acc.findings.push(finding(
                            Code::ValueTooLong,
                            Severity::Error,
                            Some(&text),
                            format!(
                                "{} has {count} characters; at most {} are accepted",
                                rule.label, rule.max_length
                            ),
                            "shorten the value".to_owned(),
                        ));
                        continue;
                    }
                    if rule.identifier && looks_scientific(trimmed) {
                        acc.findings.push(finding(
                            Code::ScientificNotationId,
                            Severity::Warning,
                            Some(&text),
                            format!("`{trimmed}` looks like an identifier shortened by Excel's scientific notation"),
                            "format the column as Text in the spreadsheet and enter the full identifier again".to_owned(),
                        ));
                    }
                    if self.credential_id == Some(index) {
                        id_key = Some(xxhash_rust::xxh3::xxh3_128(trimmed.as_bytes()));
                    }
                    let slot = match rule.key.as_str() {
                        standard::FIRST_NAME => Some(0),
                        standard::LAST_NAME => Some(1),
                        _ => None,
                    };
                    if !self.records && slot.is_none() {
                        continue;
                    }
                    let normalized = normalize_text(trimmed);
                    if let Some(slot) = slot.and_then(|s| name_parts.get_mut(s)) {
                        *slot = Some(normalized.clone());
                    }
                    if self.records {
                        values.insert(rule.key.clone(), serde_json::Value::String(normalized));
                    }
                }
                AttributeType::Email => {
                    let text = cell_text(cell);
                    match email::parse(&text) {
                        Ok(address) => {
                            // Only the recipient's address identifies a recipient: many rows
                            // share a manager's or a buyer's address.
                            if self.email == Some(index) {
                                email_key = Some(address.duplicate_hash());
                            }
                            if self.records {
                                values.insert(
                                    rule.key.clone(),
                                    serde_json::Value::String(address.normalized()),
                                );
                            }
                        }
                        Err(p) => acc.findings.push(finding(
                            Code::InvalidEmail,
                            Severity::Error,
                            Some(&text),
                            format!(
                                "`{}` is not a valid email address: {}",
                                preview(email::trim(&text)),
                                p.message
                            ),
                            p.help.to_owned(),
                        )),
                    }
                }
                AttributeType::Date => {
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
                    if let DateParse::Invalid(reason) = parsed {
                        let text = cell.display();
                        let expected = rule
                            .date_format
                            .map_or_else(|| "YYYY-MM-DD".to_owned(), |f| f.pattern());
                        acc.findings.push(finding(
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
                        continue;
                    }
                    if let (Some(slot), Some(ev)) = (
                        rule.date_slot,
                        rule.date_slot.and_then(|s| acc.evidence.get_mut(s)),
                    ) {
                        let _ = slot;
                        let example = || Some((row_no, cell.display()));
                        match parsed {
                            DateParse::DayFirstOnly(_) => {
                                ev.day_first += 1;
                                if ev.day_first_example.is_none() {
                                    ev.day_first_example = example();
                                }
                            }
                            DateParse::MonthFirstOnly(_) => {
                                ev.month_first += 1;
                                if ev.month_first_example.is_none() {
                                    ev.month_first_example = example();
                                }
                            }
                            DateParse::Ambiguous { .. } => {
                                ev.ambiguous += 1;
                                if ev.ambiguous_example.is_none() {
                                    ev.ambiguous_example = example();
                                }
                            }
                            _ => {}
                        }
                    }
                    dates.push((index, parsed));
                }
                AttributeType::Number | AttributeType::Integer => {
                    let parsed = match cell {
                        CellRef::Number(n) => Some(n),
                        CellRef::Text(t) => number::parse(t),
                        _ => None,
                    };
                    let whole = rule.kind == AttributeType::Integer;
                    match parsed {
                        Some(n) if !whole || n.fract() == 0.0 => {
                            if self.records {
                                values.insert(rule.key.clone(), number_json(n, whole));
                            }
                        }
                        _ => {
                            let text = cell.display();
                            let what = if whole { "a whole number" } else { "a number" };
                            acc.findings.push(finding(
                                Code::InvalidNumber,
                                Severity::Error,
                                Some(&text),
                                format!(
                                    "`{}` in {} is not {what}",
                                    preview(text.trim()),
                                    rule.label
                                ),
                                format!(
                                    "write {what} with digits, such as {}",
                                    if whole { "12" } else { "37.5" }
                                ),
                            ));
                        }
                    }
                }
                AttributeType::Enum => {
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
                        Some((_, canonical)) => {
                            if self.records {
                                values.insert(
                                    rule.key.clone(),
                                    serde_json::Value::String(canonical.clone()),
                                );
                            }
                        }
                        None => {
                            let allowed: Vec<&str> =
                                rule.enum_values.iter().map(|(_, v)| v.as_str()).collect();
                            acc.findings.push(finding(
                                Code::InvalidEnum,
                                Severity::Error,
                                Some(&text),
                                format!(
                                    "`{}` is not an accepted {}",
                                    preview(text.trim()),
                                    rule.label
                                ),
                                format!("use one of: {}", allowed.join(", ")),
                            ));
                        }
                    }
                }
                AttributeType::Boolean => {
                    let parsed = match cell {
                        CellRef::Bool(b) => Some(b),
                        CellRef::Number(n) if n == 1.0 || n == 0.0 => Some(n == 1.0),
                        _ => parse_bool(&cell.display()),
                    };
                    match parsed {
                        Some(b) => {
                            if self.records {
                                values.insert(rule.key.clone(), serde_json::Value::Bool(b));
                            }
                        }
                        None => {
                            let text = cell.display();
                            acc.findings.push(finding(
                                Code::InvalidBoolean,
                                Severity::Error,
                                Some(&text),
                                format!(
                                    "`{}` in {} is not yes or no",
                                    preview(text.trim()),
                                    rule.label
                                ),
                                "write yes or no (or true/false, 1/0)".to_owned(),
                            ));
                        }
                    }
                }
                AttributeType::Url => {
                    let text = cell.display();
                    match check_url(text.trim()) {
                        Ok(url) => {
                            if self.records {
                                values.insert(rule.key.clone(), serde_json::Value::String(url));
                            }
                        }
                        Err(reason) => acc.findings.push(finding(
                            Code::InvalidUrl,
                            Severity::Error,
                            Some(&text),
                            format!(
                                "`{}` in {} is not a web address: {reason}",
                                preview(text.trim()),
                                rule.label
                            ),
                            "write the full address starting with https://".to_owned(),
                        )),
                    }
                }
            }
        }

        self.compose_name(row_no, &name_parts, &mut values, acc);
        self.check_ragged(row_no, row, acc);

        let has_error = acc
            .findings
            .get(findings_before..)
            .is_some_and(|f| f.iter().any(|f| f.severity == Severity::Error));
        if let Some(key) = email_key {
            acc.emails.push(key, row_no);
        }
        if let Some(key) = id_key {
            acc.ids.push(key, row_no);
        }
        self.settle_row(row_no, &dates, values, has_error, acc);
        dates.clear();
        acc.scratch = dates;
    }

    /// Decides a validated row: invalid, waiting on a column's date order, or valid.
    fn settle_row(
        &self,
        row_no: u64,
        dates: &[(usize, DateParse)],
        mut values: BTreeMap<String, serde_json::Value>,
        has_error: bool,
        acc: &mut Acc,
    ) {
        let certain = |rule: usize| {
            dates
                .iter()
                .find(|(i, _)| *i == rule)
                .and_then(|(_, p)| p.resolve(None))
        };
        if has_error || self.missing_required {
            // Still report a clear date conflict, so one upload shows every problem of the row.
            if let Some(f) = self.expiry_finding(row_no, certain) {
                acc.findings.push(f);
            }
            acc.invalid_rows.push(row_no);
            return;
        }
        let pending = dates.iter().any(|(_, p)| {
            matches!(
                p,
                DateParse::Ambiguous { .. }
                    | DateParse::DayFirstOnly(_)
                    | DateParse::MonthFirstOnly(_)
            )
        });
        if pending {
            acc.pending.push(Pending {
                row: row_no,
                dates: dates.to_vec(),
                record: self.records.then_some(values),
            });
            return;
        }
        if let Some(f) = self.expiry_finding(row_no, certain) {
            acc.findings.push(f);
            acc.invalid_rows.push(row_no);
            return;
        }
        if self.records {
            for (i, p) in dates {
                if let (Some(rule), Some(d)) = (self.rules.get(*i), p.resolve(None)) {
                    values.insert(rule.key.clone(), serde_json::Value::String(format_date(d)));
                }
            }
            acc.records.push(Record {
                row: row_no,
                values,
            });
        }
    }

    fn compose_name(
        &self,
        row_no: u64,
        parts: &[Option<String>; 2],
        values: &mut BTreeMap<String, serde_json::Value>,
        acc: &mut Acc,
    ) {
        let NameSource::Parts(first, last) = self.name else {
            return;
        };
        let joined: Vec<&str> = parts
            .iter()
            .flatten()
            .map(String::as_str)
            .filter(|s| !s.is_empty())
            .collect();
        if joined.is_empty() {
            let rule = first.or(last).and_then(|i| self.rules.get(i));
            let letter = rule.map_or_else(String::new, |r| r.letter.clone());
            acc.findings.push(Finding {
                code: Code::MissingRequiredValue,
                severity: Severity::Error,
                row: Some(row_no),
                column: rule.map(|r| r.letter.clone()),
                cell: rule.map(|_| format!("{letter}{row_no}")),
                attribute: Some(standard::NAME.to_owned()),
                value: None,
                message: "Name is required but the first and last name cells are empty".to_owned(),
                help: "fill in the recipient's name or remove the row".to_owned(),
            });
            return;
        }
        // Both name columns are mapped but this row fills only one: the certificate would show
        // a bare "Yılmaz", which is worth a look but may be right (mononyms exist).
        if let (Some(f), Some(l)) = (first, last) {
            let empty = match parts {
                [Some(_), Some(_)] => None,
                [None, _] => Some(f),
                [_, None] => Some(l),
            };
            if let Some(rule) = empty.and_then(|i| self.rules.get(i)) {
                acc.findings.push(Finding {
                    code: Code::NameFromSinglePart,
                    severity: Severity::Warning,
                    row: Some(row_no),
                    column: Some(rule.letter.clone()),
                    cell: Some(format!("{}{row_no}", rule.letter)),
                    attribute: Some(standard::NAME.to_owned()),
                    value: None,
                    message: format!(
                        "the recipient's name is `{}` alone: cell {}{row_no} ({}) is empty",
                        joined.join(" "),
                        rule.letter,
                        rule.label
                    ),
                    help: format!(
                        "fill in the {} if the recipient has one",
                        rule.label.to_lowercase()
                    ),
                });
            }
        }
        if self.records {
            values.insert(
                standard::NAME.to_owned(),
                serde_json::Value::String(joined.join(" ")),
            );
        }
    }

    fn check_ragged<R: Row + ?Sized>(&self, row_no: u64, row: &R, acc: &mut Acc) {
        let len = row.len();
        if len > self.width {
            let extra: Vec<(usize, String)> = (self.width..len)
                .filter_map(|i| {
                    let c = row.cell(i);
                    (!c.is_blank()).then(|| (i, c.display()))
                })
                .collect();
            if let Some((first, value)) = extra.first() {
                let letter = column_letter(*first);
                acc.findings.push(Finding {
                    code: Code::RaggedRow,
                    severity: Severity::Warning,
                    row: Some(row_no),
                    column: Some(letter.clone()),
                    cell: Some(format!("{letter}{row_no}")),
                    attribute: None,
                    value: Some(preview(value)),
                    message: format!(
                        "row {row_no} has {} value(s) to the right of the last header column ({}); they are ignored",
                        extra.len(),
                        column_letter(self.width.saturating_sub(1))
                    ),
                    help: "give the extra column a header, or check for a delimiter inside an unquoted value".to_owned(),
                });
            }
        } else if self.short_rows_ragged && len < self.width {
            acc.findings.push(Finding {
                code: Code::RaggedRow,
                severity: Severity::Warning,
                row: Some(row_no),
                column: None,
                cell: None,
                attribute: None,
                value: None,
                message: format!("row {row_no} has {len} fields but the header has {}; the missing ones are read as empty", self.width),
                help: "check for a missing delimiter or a line break inside a value".to_owned(),
            });
        }
    }

    fn expiry_finding(
        &self,
        row_no: u64,
        date_of: impl Fn(usize) -> Option<NaiveDate>,
    ) -> Option<Finding> {
        let (issued_rule, expires_rule) = (self.issued?, self.expires?);
        let issued = date_of(issued_rule)?;
        let expires = date_of(expires_rule)?;
        if expires >= issued {
            return None;
        }
        let rule = self.rules.get(expires_rule)?;
        Some(Finding {
            code: Code::ExpiryBeforeIssue,
            severity: Severity::Error,
            row: Some(row_no),
            column: Some(rule.letter.clone()),
            cell: Some(format!("{}{row_no}", rule.letter)),
            attribute: Some(rule.key.clone()),
            value: Some(format_date(expires)),
            message: format!(
                "the credential would expire on {} before it is issued on {}",
                format_date(expires),
                format_date(issued)
            ),
            help: "check the two dates; they may be swapped or read in the wrong day/month order"
                .to_owned(),
        })
    }

    /// Takes the decisions that need every row: date order per column, rows waiting on it,
    /// duplicate recipients. Returns all findings sorted and the records of valid rows.
    pub fn finish(&self, mut acc: Acc) -> Outcome {
        let orders: Vec<Option<DateOrder>> = acc.evidence.iter().map(DateEvidence::order).collect();
        let mut column_findings = Vec::new();
        for rule in &self.rules {
            let Some(ev) = rule.date_slot.and_then(|s| acc.evidence.get(s)) else {
                continue;
            };
            let mixed = ev.day_first > 0 && ev.month_first > 0;
            if ev.ambiguous == 0 && !mixed {
                continue;
            }
            if !mixed && ev.order().is_some() {
                continue;
            }
            let example = |e: &Option<(u64, String)>| {
                e.as_ref()
                    .map(|(r, v)| format!("`{v}` in {}{r}", rule.letter))
                    .unwrap_or_default()
            };
            let message = if mixed {
                format!(
                    "{} mixes day-first dates ({}) and month-first dates ({}); {} value(s) could be read either way",
                    rule.label,
                    example(&ev.day_first_example),
                    example(&ev.month_first_example),
                    ev.ambiguous
                )
            } else {
                format!(
                    "{} value(s) in {} could be day-first or month-first ({}), and no value in the column decides which",
                    ev.ambiguous,
                    rule.label,
                    example(&ev.ambiguous_example)
                )
            };
            column_findings.push(Finding {
                code: Code::AmbiguousDateOrder,
                severity: Severity::Error,
                row: None,
                column: Some(rule.letter.clone()),
                cell: None,
                attribute: Some(rule.key.clone()),
                value: None,
                message,
                help: format!(
                    "set `date_format` of `{}` to DD/MM/YYYY or MM/DD/YYYY in the group, or write the dates as YYYY-MM-DD",
                    rule.key
                ),
            });
        }

        for pending in std::mem::take(&mut acc.pending) {
            let mut resolved = Vec::with_capacity(pending.dates.len());
            let mut unresolved = false;
            for (i, parsed) in &pending.dates {
                let order = self
                    .rules
                    .get(*i)
                    .and_then(|r| r.date_slot)
                    .and_then(|s| orders.get(s).copied().flatten());
                match parsed.resolve(order) {
                    Some(d) => resolved.push((*i, d)),
                    None => unresolved = true,
                }
            }
            if unresolved {
                acc.invalid_rows.push(pending.row);
                continue;
            }
            if let Some(f) = self.expiry_finding(pending.row, |rule| {
                resolved.iter().find(|(i, _)| *i == rule).map(|(_, d)| *d)
            }) {
                acc.findings.push(f);
                acc.invalid_rows.push(pending.row);
                continue;
            }
            if let Some(mut values) = pending.record {
                for (i, d) in resolved {
                    if let Some(rule) = self.rules.get(i) {
                        values.insert(rule.key.clone(), serde_json::Value::String(format_date(d)));
                    }
                }
                acc.records.push(Record {
                    row: pending.row,
                    values,
                });
            }
        }

        self.duplicates(&mut acc);
        // Rows settled late (date order, duplicates) go back among the others, by row then column.
        acc.findings.sort_by(|a, b| {
            a.row
                .cmp(&b.row)
                .then_with(|| column_order(a).cmp(&column_order(b)))
        });

        acc.invalid_rows.sort_unstable();
        acc.invalid_rows.dedup();
        let invalid = if self.missing_required {
            acc.rows
        } else {
            acc.invalid_rows.len() as u64
        };
        let mut records = std::mem::take(&mut acc.records);
        if !self.missing_required {
            records.retain(|r| acc.invalid_rows.binary_search(&r.row).is_err());
        } else {
            records.clear();
        }
        records.sort_by_key(|r| r.row);
        let mut findings = column_findings;
        findings.append(&mut acc.findings);
        Outcome {
            rows: acc.rows,
            invalid,
            findings,
            records,
        }
    }

    fn duplicates(&self, acc: &mut Acc) {
        let emails = std::mem::take(&mut acc.emails);
        if let Some(rule) = self.email.and_then(|i| self.rules.get(i)) {
            let (severity, help) = if self.duplicates_allowed {
                (
                    Severity::Warning,
                    "the group allows several credentials per recipient; check that the repetition is meant",
                )
            } else {
                (
                    Severity::Error,
                    "keep one row per recipient; remove or correct the others",
                )
            };
            for rows in emails.repeated() {
                repeated_value_findings(
                    acc,
                    rule,
                    &rows,
                    (Code::DuplicateRecipient, severity),
                    |row, others| {
                        format!(
                            "the email address in row {row} also appears in row(s) {others} (compared without case)"
                        )
                    },
                    help,
                );
            }
        }
        let ids = std::mem::take(&mut acc.ids);
        if let Some(rule) = self.credential_id.and_then(|i| self.rules.get(i)) {
            for rows in ids.repeated() {
                repeated_value_findings(
                    acc,
                    rule,
                    &rows,
                    (Code::DuplicateCredentialId, Severity::Error),
                    |row, others| {
                        format!(
                            "the {} in row {row} also appears in row(s) {others}",
                            rule.label
                        )
                    },
                    "give each credential its own id, or leave the cell empty to have one assigned",
                );
            }
        }
    }
}

/// Validates one recipient's values, written as in roster cells and keyed by attribute, with
/// the rules of an import (an amendment of a draft, a form).
///
/// Returns every finding, without row, column or cell, and the normalised values when no
/// finding is an error. A key the group does not have is an [`Code::UnknownAttribute`] error;
/// a required attribute missing from `values` is a [`Code::MissingRequiredValue`] error.
pub fn validate_values(
    schema: &Schema,
    values: &BTreeMap<String, String>,
) -> (Vec<Finding>, Option<BTreeMap<String, serde_json::Value>>) {
    let mut findings = Vec::new();
    let mut columns = Vec::new();
    let mut row = Vec::new();
    for (key, value) in values {
        if schema.attribute(key).is_none() {
            findings.push(Finding {
                code: Code::UnknownAttribute,
                severity: Severity::Error,
                row: None,
                column: None,
                cell: None,
                attribute: Some(key.clone()),
                value: Some(preview(value)),
                message: format!("the group has no attribute `{key}`"),
                help: format!(
                    "use one of the group's attribute keys: {}",
                    schema
                        .template_attributes()
                        .map(|a| a.key.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            });
            continue;
        }
        columns.push(ColumnMatch {
            index: row.len(),
            letter: column_letter(row.len()),
            header: key.clone(),
            attribute: Some(key.clone()),
            tier: crate::matching::Tier::User,
            score: 1.0,
            alternatives: Vec::new(),
            uncertain: None,
        });
        row.push(if value.trim().is_empty() {
            Value::Empty
        } else {
            Value::Text(value.clone())
        });
    }
    let name_given = [standard::NAME, standard::FIRST_NAME, standard::LAST_NAME]
        .iter()
        .any(|k| values.contains_key(*k));
    for attr in schema.template_attributes() {
        let given = values.contains_key(&attr.key) || (attr.key == standard::NAME && name_given);
        if attr.required && !given {
            findings.push(Finding {
                code: Code::MissingRequiredValue,
                severity: Severity::Error,
                row: None,
                column: None,
                cell: None,
                attribute: Some(attr.key.clone()),
                value: None,
                message: format!("{} is required but no value is given", attr.label),
                help: format!("give a value for `{}`", attr.key),
            });
        }
    }
    let plan = Plan::new(schema, &columns, row.len(), &Limits::default(), true, false);
    let mut acc = plan.acc();
    plan.validate(1, row.as_slice(), &mut acc);
    let outcome = plan.finish(acc);
    findings.extend(outcome.findings.into_iter().map(|f| Finding {
        row: None,
        column: None,
        cell: None,
        ..f
    }));
    let ok = !findings.iter().any(|f| f.severity == Severity::Error);
    let record = outcome
        .records
        .into_iter()
        .next()
        .filter(|_| ok)
        .map(|r| r.values);
    (findings, record)
}

/// One finding for each of the rows that share a value which must be unique.
fn repeated_value_findings(
    acc: &mut Acc,
    rule: &Rule,
    rows: &[u64],
    (code, severity): (Code, Severity),
    message: impl Fn(u64, &str) -> String,
    help: &str,
) {
    for &row in rows {
        let others: Vec<String> = rows
            .iter()
            .filter(|&&r| r != row)
            .map(u64::to_string)
            .collect();
        acc.findings.push(Finding {
            code,
            severity,
            row: Some(row),
            column: Some(rule.letter.clone()),
            cell: Some(format!("{}{row}", rule.letter)),
            attribute: Some(rule.key.clone()),
            value: None,
            message: message(row, &others.join(", ")),
            help: help.to_owned(),
        });
        if severity == Severity::Error {
            acc.invalid_rows.push(row);
        }
    }
}

fn column_order(f: &Finding) -> (usize, usize) {
    let col = f
        .column
        .as_deref()
        .and_then(crate::sheet::column_index)
        .unwrap_or(usize::MAX);
    let rank = if matches!(
        f.code,
        Code::DuplicateRecipient | Code::DuplicateCredentialId
    ) {
        1
    } else {
        0
    };
    (col, rank)
}

fn min_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default()
}

/// A cell's text without copying text cells.
fn cell_text(cell: CellRef<'_>) -> std::borrow::Cow<'_, str> {
    match cell {
        CellRef::Text(t) => std::borrow::Cow::Borrowed(t),
        other => std::borrow::Cow::Owned(other.display()),
    }
}

/// The first control or bidirectional-override character, scanning bytes for ASCII text.
fn find_control(text: &str) -> Option<char> {
    if text.is_ascii() {
        return text
            .bytes()
            .find(|&b| b < 0x20 || b == 0x7F)
            .map(char::from);
    }
    text.chars().find(|&c| is_forbidden_control(c))
}

/// Collapses runs of whitespace and composes to NFC, copying only when something changes.
fn normalize_text(trimmed: &str) -> String {
    let collapsed = collapse_spaces(trimmed);
    if trimmed.is_ascii()
        || unicode_normalization::is_nfc_quick(collapsed.chars())
            == unicode_normalization::IsNormalized::Yes
    {
        collapsed.into_owned()
    } else {
        collapsed.nfc().collect()
    }
}

fn is_forbidden_control(c: char) -> bool {
    (c.is_control() && c != ' ')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

fn collapse_spaces(text: &str) -> std::borrow::Cow<'_, str> {
    let mut previous_space = false;
    let clean = text.chars().all(|c| {
        let bad = c.is_whitespace() && (c != ' ' || previous_space);
        previous_space = c == ' ';
        !bad
    });
    if clean {
        return std::borrow::Cow::Borrowed(text);
    }
    std::borrow::Cow::Owned(text.split_whitespace().collect::<Vec<_>>().join(" "))
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

fn number_json(n: f64, whole: bool) -> serde_json::Value {
    if (whole || n.fract() == 0.0) && n.abs() < 9.0e15 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(
            serde_json::Value::String(format_number(n)),
            serde_json::Value::Number,
        )
    }
}

fn parse_bool(text: &str) -> Option<bool> {
    match fold_value(text).as_str() {
        "true" | "yes" | "y" | "1" | "x" | "✓" | "✔" | "ja" | "oui" | "si" | "sim" | "wahr"
        | "vrai" | "verdadero" | "verdadeiro" | "waar" => Some(true),
        "false" | "no" | "n" | "0" | "nein" | "non" | "nao" | "nee" | "falsch" | "faux"
        | "falso" | "onwaar" => Some(false),
        _ => None,
    }
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

    #[test]
    fn scientific_ids_and_booleans() {
        assert!(looks_scientific("1.23E+12"));
        assert!(!looks_scientific("004213"));
        assert_eq!(parse_bool("Sí"), Some(true));
        assert_eq!(parse_bool("maybe"), None);
        assert!(check_url("javascript:alert(1)").is_err());
        assert!(check_url("https://example.org/x").is_ok());
    }
}

#[cfg(test)]
mod policy_tests {
    use crate::group::{DuplicatePolicy, Group};
    use crate::{AnalyzeOptions, Severity, analyze};

    fn run(policy: DuplicatePolicy) -> crate::Report {
        let group = Group {
            name: "g".into(),
            duplicates: policy,
            ..Group::default()
        };
        let csv = b"Name,Email,Credential ID\nAna,ana@example.org,C1\nAna L,ANA@example.org,C2\nBo,bo@example.org,C2\n";
        analyze(csv, &group, &AnalyzeOptions::default()).unwrap()
    }

    #[test]
    fn repeated_recipients_follow_the_group_policy_but_ids_never_repeat() {
        let deny = run(DuplicatePolicy::Deny);
        assert_eq!((deny.summary.valid, deny.summary.invalid), (0, 3));
        let allow = run(DuplicatePolicy::Allow);
        assert_eq!((allow.summary.valid, allow.summary.invalid), (1, 2));
        let dup: Vec<_> = allow
            .findings
            .iter()
            .filter(|f| f.code.as_str() == "duplicate_recipient")
            .collect();
        assert_eq!(dup.len(), 2);
        assert!(dup.iter().all(|f| f.severity == Severity::Warning));
        let ids: Vec<_> = allow
            .findings
            .iter()
            .filter(|f| f.code.as_str() == "duplicate_credential_id")
            .map(|f| f.cell.as_deref())
            .collect();
        assert_eq!(ids, vec![Some("C3"), Some("C4")]);
        let replace = run(DuplicatePolicy::Replace);
        assert_eq!(replace.summary.invalid, 3);
    }
}
