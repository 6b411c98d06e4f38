//! The validation plan: which rule checks each matched column, and the walk over one row.

use chrono::NaiveDate;

use super::acc::{Acc, DateEvidence, Findings, Pending};
use super::cells::{self, CellAt, preview};
use super::date::DateParse;
use crate::finding::{Code, Finding};
use crate::group::{AttributeType, Schema, standard};
use crate::limits::Limits;
use crate::matching::ColumnMatch;
use crate::report::{Records, RowMark};
use crate::sheet::formula::strip_text_marker;
use crate::sheet::{CellRef, Row, column_letter};
use crate::values::date::format_date;
use crate::values::text::{fold_value, needs_collapse};

#[derive(Debug, Clone)]
pub(super) struct Rule {
    pub(super) column: usize,
    pub(super) letter: String,
    pub(super) key: String,
    pub(super) label: String,
    pub(super) kind: AttributeType,
    pub(super) required: bool,
    pub(super) max_length: u32,
    pub(super) enum_values: Vec<(String, String)>,
    pub(super) date_format: Option<crate::group::DateFormat>,
    pub(super) date_slot: Option<usize>,
    pub(super) name_part: bool,
    pub(super) identifier: bool,
    /// The slot of the attribute's key in records.
    pub(super) slot: usize,
}

impl Rule {
    /// Whether blanks in the column's cells are worth a `collapse_blanks` fix: text, email
    /// and enum values are shown as written (names, addresses, grades), while dates,
    /// numbers, URLs and yes/no values are written anew from what they mean.
    pub(super) fn shows_blanks(&self) -> bool {
        matches!(
            self.kind,
            AttributeType::Text | AttributeType::Email | AttributeType::Enum
        )
    }
}

/// Where the recipient's name comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NameSource {
    Column(usize),
    Parts(Option<usize>, Option<usize>),
    Missing,
}

/// How each matched column is validated.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub(super) rules: Vec<Rule>,
    pub(super) width: usize,
    pub(super) name: NameSource,
    pub(super) email: Option<usize>,
    /// Whether repeated recipients in the file are allowed (a warning) or refused (an error).
    pub(super) duplicates_allowed: bool,
    pub(super) credential_id: Option<usize>,
    pub(super) issued: Option<usize>,
    pub(super) expires: Option<usize>,
    pub(super) date_slots: usize,
    pub(super) missing_required: bool,
    pub(super) records: bool,
    /// The keys of records' values: each rule's, and `name` when it is composed.
    pub(super) record_keys: Vec<String>,
    /// The slot of `name` in records, when the name is composed from its parts.
    pub(super) name_slot: Option<usize>,
    pub(super) max_cell_bytes: u64,
    /// Most row findings kept (see [`Limits::max_findings`]).
    pub(super) max_findings: usize,
    pub(super) short_rows_ragged: bool,
    /// The first- and last-name rules, whether or not the name comes from them (a name
    /// column may be empty where they are filled).
    pub(super) name_parts: (Option<usize>, Option<usize>),
    /// How many changes each suggested fix lists.
    pub(super) fix_cap: usize,
    /// Threads the cross-row checks may use.
    pub(super) threads: usize,
}

/// What the cells of one row have given so far.
pub(super) struct RowState {
    /// The row's record among the accumulator's, when records are kept: its index, and
    /// where it starts, to drop it if the row turns out invalid.
    pub(super) record: Option<(usize, RowMark)>,
    /// The row's dates by rule, reused from row to row.
    pub(super) dates: Vec<(usize, DateParse)>,
    /// First and last name, when the name is built from them.
    pub(super) name_parts: [Option<String>; 2],
    /// The recipient's address, hashed for the duplicate check.
    pub(super) email_key: Option<u128>,
    /// The credential id, hashed for the duplicate check.
    pub(super) id_key: Option<u128>,
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
                slot: 0,
            });
        }
        let position = |rules: &[Rule], key: &str| rules.iter().position(|r| r.key == key);
        let name_parts = (
            position(&rules, standard::FIRST_NAME),
            position(&rules, standard::LAST_NAME),
        );
        let name = match (position(&rules, standard::NAME), name_parts) {
            (Some(n), _) => NameSource::Column(n),
            (None, (None, None)) => NameSource::Missing,
            (None, (f, l)) => NameSource::Parts(f, l),
        };
        let mut record_keys: Vec<String> = rules.iter().map(|r| r.key.clone()).collect();
        if matches!(name, NameSource::Parts(..)) {
            record_keys.push(standard::NAME.to_owned());
        }
        record_keys.sort();
        record_keys.dedup();
        let slot_of = |key: &str| record_keys.binary_search_by(|k| k.as_str().cmp(key)).ok();
        for rule in &mut rules {
            rule.slot = slot_of(&rule.key).unwrap_or(usize::MAX);
        }
        let name_slot = match name {
            NameSource::Parts(..) => slot_of(standard::NAME),
            _ => None,
        };
        let find = |key: &str| position(&rules, key);
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
            record_keys,
            name_slot,
            max_cell_bytes: limits.max_cell_bytes,
            max_findings: usize::try_from(limits.max_findings).unwrap_or(usize::MAX),
            short_rows_ragged,
            name_parts,
            fix_cap: crate::fixes::LISTED_CHANGES,
            threads: 1,
        }
    }

    /// The plan with each suggested fix listing up to `cap` changes (all of them for
    /// `usize::MAX`, when fixes are to be applied).
    pub fn with_fix_cap(mut self, cap: usize) -> Plan {
        self.fix_cap = cap;
        self
    }

    /// The plan with the cross-row checks on up to `threads` threads.
    pub fn with_threads(mut self, threads: usize) -> Plan {
        self.threads = threads;
        self
    }

    /// A fresh accumulator for this plan.
    pub fn acc(&self) -> Acc {
        Acc {
            evidence: vec![DateEvidence::default(); self.date_slots],
            findings: Findings::capped(self.max_findings),
            fix_cap: self.fix_cap,
            records: Records::with_keys(self.record_keys.clone()),
            ..Acc::default()
        }
    }

    /// Validates one non-blank row.
    pub fn validate<R: Row + ?Sized>(&self, row_no: u64, row: &R, acc: &mut Acc) {
        acc.rows += 1;
        let errors_before = acc.findings.errors();
        // Every row of a roster missing a required column is invalid: no record is begun.
        let record = (self.records && !self.missing_required).then(|| acc.records.push_row(row_no));
        let mut state = RowState {
            record,
            dates: std::mem::take(&mut acc.scratch),
            name_parts: [None, None],
            email_key: None,
            id_key: None,
        };
        for (index, rule) in self.rules.iter().enumerate() {
            let at = CellAt { rule, row_no };
            let held = row.cell(rule.column);
            let (cell, marked) = strip_text_marker(held);
            if marked {
                acc.markers.record(index, row_no, held);
            }
            let errors_before_cell = acc.findings.errors();
            // Each type's rule says whether the cell has blanks to collapse, from the scan it
            // makes anyway.
            let blanks = if self.usable(cell) {
                match rule.kind {
                    AttributeType::Text => self.text(index, at, cell, &mut state, acc),
                    AttributeType::Email => self.email(index, at, cell, &mut state, acc),
                    AttributeType::Date => {
                        self.date(index, at, cell, &mut state, acc);
                        false
                    }
                    AttributeType::Number | AttributeType::Integer => {
                        self.keep(at, cells::number(rule, cell), &mut state, acc);
                        false
                    }
                    AttributeType::Enum => self.enumerated(index, at, cell, &mut state, acc),
                    AttributeType::Boolean => {
                        self.keep(at, cells::boolean(rule, cell), &mut state, acc);
                        false
                    }
                    AttributeType::Url => {
                        self.keep(at, cells::url(rule, cell), &mut state, acc);
                        false
                    }
                }
            } else {
                acc.findings.extend(self.unusable(at, cell));
                rule.shows_blanks() && matches!(cell, CellRef::Text(t) if needs_collapse(t))
            };
            if blanks && let CellRef::Text(text) = cell {
                let refused = acc.findings.errors() > errors_before_cell;
                self.blanks(index, at, text, refused, acc);
            }
        }

        self.compose_name(row_no, &state.name_parts, state.record, acc);
        self.name_fixes(row_no, row, acc);
        self.check_ragged(row_no, row, acc);

        let has_error = acc.findings.errors() > errors_before;
        let RowState {
            record,
            mut dates,
            email_key,
            id_key,
            ..
        } = state;
        if let Some(key) = email_key {
            let whole = row.content_hash(&mut acc.row_bytes);
            acc.emails.push(key, row_no, whole);
        }
        if let Some(key) = id_key {
            acc.ids.push(key, row_no, 0);
        }
        self.settle_row(row_no, &dates, record, has_error, acc);
        dates.clear();
        acc.scratch = dates;
    }

    /// Decides a validated row: invalid, waiting on a column's date order, or valid.
    fn settle_row(
        &self,
        row_no: u64,
        dates: &[(usize, DateParse)],
        record: Option<(usize, RowMark)>,
        has_error: bool,
        acc: &mut Acc,
    ) {
        let drop_record = |acc: &mut Acc| {
            if let Some((_, mark)) = record {
                acc.records.drop_last(mark);
            }
        };
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
            drop_record(acc);
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
                record: record.map(|(index, _)| index),
            });
            return;
        }
        if let Some(f) = self.expiry_finding(row_no, certain) {
            acc.findings.push(f);
            acc.invalid_rows.push(row_no);
            drop_record(acc);
            return;
        }
        if let Some((index, _)) = record {
            for (i, p) in dates {
                if let (Some(rule), Some(d)) = (self.rules.get(*i), p.resolve(None)) {
                    acc.records.set_date(index, rule.slot, d);
                }
            }
        }
    }

    fn compose_name(
        &self,
        row_no: u64,
        parts: &[Option<String>; 2],
        record: Option<(usize, RowMark)>,
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
            acc.findings.push(
                Finding::error(
                    Code::MissingRequiredValue,
                    "Name is required but the first and last name cells are empty",
                )
                .at(rule.map(|r| r.letter.as_str()), Some(row_no))
                .attribute(standard::NAME)
                .help("fill in the recipient's name or remove the row"),
            );
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
                let message = format!(
                    "the recipient's name is `{}` alone: cell {}{row_no} ({}) is empty",
                    joined.join(" "),
                    rule.letter,
                    rule.label
                );
                acc.findings.push(
                    Finding::warning(Code::NameFromSinglePart, message)
                        .at_cell(&rule.letter, row_no)
                        .attribute(standard::NAME)
                        .help(format!(
                            "fill in the {} if the recipient has one",
                            rule.label.to_lowercase()
                        )),
                );
            }
        }
        if let (Some((index, _)), Some(slot)) = (record, self.name_slot) {
            acc.records.set_text(index, slot, &joined.join(" "));
        }
    }

    fn check_ragged<R: Row + ?Sized>(&self, row_no: u64, row: &R, acc: &mut Acc) {
        let len = row.len();
        if len > self.width {
            let extra: Vec<(usize, String)> = (self.width..len)
                .filter_map(|i| {
                    let c = row.value(i);
                    (!c.is_blank()).then(|| (i, c.display()))
                })
                .collect();
            if let Some((first, value)) = extra.first() {
                let message = format!(
                    "row {row_no} has {} value(s) to the right of the last header column ({}); they are ignored",
                    extra.len(),
                    column_letter(self.width.saturating_sub(1))
                );
                acc.findings.push(
                    Finding::warning(Code::RaggedRow, message)
                        .at_cell(&column_letter(*first), row_no)
                        .value(preview(value))
                        .help("give the extra column a header, or check for a delimiter inside an unquoted value"),
                );
            }
        } else if self.short_rows_ragged && len < self.width {
            let message = format!(
                "row {row_no} has {len} fields but the header has {}; the missing ones are read as empty",
                self.width
            );
            acc.findings.push(
                Finding::warning(Code::RaggedRow, message)
                    .at_row(row_no)
                    .help("check for a missing delimiter or a line break inside a value"),
            );
        }
    }

    pub(super) fn expiry_finding(
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
        let message = format!(
            "the credential would expire on {} before it is issued on {}",
            format_date(expires),
            format_date(issued)
        );
        Some(
            Finding::error(Code::ExpiryBeforeIssue, message)
                .at_cell(&rule.letter, row_no)
                .attribute(rule.key.clone())
                .value(format_date(expires))
                .help(
                    "check the two dates; they may be swapped or read in the wrong day/month order",
                ),
        )
    }
}
