//! The decisions that need every row: each date column's day/month order, the rows that
//! waited on it, values that must not repeat (recipients, credential ids), and the one
//! finding per column whose cells lost a `'` text marker.

use super::acc::{Acc, DateEvidence, Markers, Outcome};
use super::plan::{Plan, Rule};
use crate::finding::{Code, Finding, Severity};
use crate::fixes::{Changes, FixChange};
use crate::values::date::DateOrder;

impl Plan {
    /// Takes the decisions that need every row: date order per column, rows waiting on it,
    /// duplicate recipients. Returns all findings sorted and the records of valid rows.
    pub fn finish(&self, mut acc: Acc) -> Outcome {
        let mut findings = self.date_order_findings(&acc.evidence);
        findings.extend(self.text_marker_findings(&acc.markers));
        self.settle_pending(&mut acc);
        let repeated_rows = self.duplicates(&mut acc);
        let fixes = self.suggested_fixes(&mut acc, repeated_rows);
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
            // The records' rows ascend (but for rows settled late), as the invalid rows do:
            // one walk through both instead of a search per record.
            let invalid = &acc.invalid_rows;
            let mut next = 0;
            records.retain_rows(|row| {
                if next > 0 && invalid.get(next - 1).is_some_and(|&r| r >= row) {
                    next = invalid.partition_point(|&r| r < row);
                } else {
                    while invalid.get(next).is_some_and(|&r| r < row) {
                        next += 1;
                    }
                }
                invalid.get(next) != Some(&row)
            });
        } else {
            records.clear();
        }
        records.sort_by_row();
        let (kept, omitted) = acc.findings.into_parts();
        findings.extend(kept);
        Outcome {
            rows: acc.rows,
            invalid,
            findings,
            omitted,
            records,
            fixes,
        }
    }

    /// A column finding for each date column whose values mix day-first and month-first
    /// dates, or could be read either way with nothing in the column to decide.
    fn date_order_findings(&self, evidence: &[DateEvidence]) -> Vec<Finding> {
        let mut findings = Vec::new();
        for rule in &self.rules {
            // A declared format decides the order; its evidence is only a fix's business.
            let Some(ev) = rule
                .date_slot
                .filter(|_| rule.date_format.is_none())
                .and_then(|s| evidence.get(s))
            else {
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
            findings.push(
                Finding::error(Code::AmbiguousDateOrder, message)
                    .at_column(&rule.letter)
                    .attribute(rule.key.clone())
                    .help(format!(
                        "set `date_format` of `{}` to DD/MM/YYYY or MM/DD/YYYY in the group, or write the dates as YYYY-MM-DD",
                        rule.key
                    )),
            );
        }

        findings
    }

    /// A column finding for each column where the `'` text marker was removed from cells,
    /// naming how many and the first of them, so that no format changes a value silently.
    fn text_marker_findings(&self, markers: &Markers) -> Vec<Finding> {
        markers
            .by_rule()
            .filter_map(|(index, column)| {
                let rule = self.rules.get(index)?;
                let mut cells: Vec<String> = column
                    .rows
                    .iter()
                    .map(|row| format!("{}{row}", rule.letter))
                    .collect();
                let more = column.count.saturating_sub(cells.len() as u64);
                if more > 0 {
                    cells.push(format!("{more} more"));
                }
                let cells = match cells.split_last() {
                    Some((last, rest)) if !rest.is_empty() => {
                        format!("{} and {last}", rest.join(", "))
                    }
                    _ => cells.join(", "),
                };
                let example = column.example.as_deref().map_or_else(String::new, |held| {
                    let read = crate::sheet::formula::unescape_formula(held);
                    format!(
                        ", so `{}` reads `{}`",
                        short(held),
                        short(read)
                    )
                });
                let message = format!(
                    "{} cell(s) of {} ({cells}) start with `'` before a formula-like value; the `'` is the mark that keeps a spreadsheet from running such a value, and was removed{example}",
                    column.count, rule.label
                );
                Some(
                    Finding::warning(Code::TextMarkerRemoved, message)
                        .at_column(&rule.letter)
                        .attribute(rule.key.clone())
                        .help("nothing to do if the values read right; if a value really starts with `'`, write it twice (`''`)"),
                )
            })
            .collect()
    }

    /// Rows that waited on their columns' date order: each is now invalid (a date still
    /// ambiguous, or an expiry before the issue) or valid with its dates resolved.
    fn settle_pending(&self, acc: &mut Acc) {
        let orders: Vec<Option<DateOrder>> = acc.evidence.iter().map(DateEvidence::order).collect();
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
            if let Some(index) = pending.record {
                for (i, d) in resolved {
                    if let Some(rule) = self.rules.get(i) {
                        acc.records.set_date(index, rule.slot, d);
                    }
                }
            }
        }
    }

    /// Findings of repeated recipients and credential ids; returns the rows that repeat an
    /// earlier row cell for cell (among rows with the same recipient), for a fix.
    fn duplicates(&self, acc: &mut Acc) -> Changes {
        let emails = std::mem::take(&mut acc.emails);
        let mut repeats = Vec::new();
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
            for group in emails.repeated(self.threads) {
                repeats.extend(repeats_of(&group));
                let rows: Vec<u64> = group.iter().map(|(row, _)| *row).collect();
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
            for group in ids.repeated(self.threads) {
                let rows: Vec<u64> = group.iter().map(|(row, _)| *row).collect();
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
        repeats.sort_unstable();
        let mut changes = Changes::default();
        for (row, first) in repeats {
            changes.push(acc.fix_cap, || FixChange::drop_row(row, first));
        }
        changes
    }
}

/// The rows of one recipient's group that repeat an earlier row of it cell for cell, each
/// with the first row it repeats; `group` is in row order with each row's hash.
fn repeats_of(group: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut by_hash: Vec<(u64, u64)> = group.iter().map(|&(row, whole)| (whole, row)).collect();
    by_hash.sort_unstable();
    by_hash
        .chunk_by(|a, b| a.0 == b.0)
        .flat_map(|same| {
            let first = same.first().map_or(0, |&(_, row)| row);
            same.iter().skip(1).map(move |&(_, row)| (row, first))
        })
        .collect()
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
    // Each finding names a few of the other rows: listing all of them would make the report
    // grow with the square of a value repeated down a long sheet.
    const LISTED: usize = 5;
    for &row in rows {
        let mut others: Vec<String> = rows
            .iter()
            .filter(|&&r| r != row)
            .take(LISTED)
            .map(u64::to_string)
            .collect();
        let more = rows.len().saturating_sub(1 + LISTED);
        if more > 0 {
            others.push(format!("{more} more"));
        }
        let others = match others.split_last() {
            Some((last, rest)) if more > 0 => format!("{} and {last}", rest.join(", ")),
            _ => others.join(", "),
        };
        acc.findings.push(
            Finding::new(code, severity, message(row, &others))
                .at_cell(&rule.letter, row)
                .attribute(rule.key.clone())
                .help(help),
        );
        if severity == Severity::Error {
            acc.invalid_rows.push(row);
        }
    }
}

/// A value quoted in a column finding's message: at most 40 characters.
fn short(value: &str) -> String {
    const MOST: usize = 40;
    match value.char_indices().nth(MOST) {
        Some((cut, _)) => format!("{}…", value.get(..cut).unwrap_or(value)),
        None => value.to_owned(),
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
