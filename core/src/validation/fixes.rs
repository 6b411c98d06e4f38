//! The cells and rows a suggested fix would change, noticed as the walk reads them, and the
//! fixes made of them once every row is in (see [`crate::fixes`] for what each fix does).

use super::acc::{Acc, DateEvidence, FixCandidates};
use super::cells::{self, CellAt, Kept};
use super::email::Address;
use super::plan::{NameSource, Plan, RowState};
use crate::fixes::date_order::{self, Explained};
use crate::fixes::{Changes, Fix, FixChange, FixCode, example};
use crate::group::AttributeType;
use crate::sheet::{CellRef, Row};
use crate::values::date::{DateOrder, swap_day_month};
use crate::values::text::{collapse_blanks, needs_collapse, split_full_name};
use crate::values::{email, trim};

impl Plan {
    /// A cell with blanks to collapse (`collapse_blanks`), unless the cell is `refused` (has
    /// an error finding) for a reason the blanks do not cause: a text whose only fault is a
    /// tab or line break gets the fix; an address with a space in the middle, or a whole file
    /// swallowed by an unclosed quote, is wrong with its blanks collapsed too.
    #[cold]
    pub(super) fn blanks(
        &self,
        index: usize,
        at: CellAt<'_>,
        text: &str,
        refused: bool,
        acc: &mut Acc,
    ) {
        let after = collapse_blanks(text);
        if refused {
            let rule = at.rule;
            let cured = rule.kind == AttributeType::Text
                && !after.is_empty()
                && after.chars().count() <= rule.max_length as usize
                && cells::find_control(&after).is_none();
            if !cured {
                return;
            }
        }
        let letter = &at.rule.letter;
        FixCandidates::push(&mut acc.fixes.blanks, index, acc.fix_cap, || {
            FixChange::cell(letter, at.row_no, text, after)
        });
    }

    /// An enum cell: validated, and noted when an accepted value is not written as the group
    /// spells it (`enum_case`). Returns whether the cell has blanks to collapse.
    #[inline(always)]
    pub(super) fn enumerated(
        &self,
        index: usize,
        at: CellAt<'_>,
        cell: CellRef<'_>,
        state: &mut RowState,
        acc: &mut Acc,
    ) -> bool {
        let verdict = cells::enumerated(at.rule, cell);
        let mut blanks = false;
        if let CellRef::Text(text) = cell {
            blanks = needs_collapse(text);
            if let Ok(Kept::Canonical(canonical)) = &verdict
                && trim(text) != *canonical
            {
                let letter = &at.rule.letter;
                FixCandidates::push(&mut acc.fixes.values, index, acc.fix_cap, || {
                    FixChange::cell(letter, at.row_no, text, *canonical)
                });
            }
        }
        self.keep(at, verdict, state, acc);
        blanks
    }

    /// A valid address whose domain is a listed misspelling (`email_domain_typo`).
    #[inline(always)]
    pub(super) fn domain_typo(
        &self,
        index: usize,
        at: CellAt<'_>,
        written: &str,
        address: &Address<'_>,
        acc: &mut Acc,
    ) {
        if let Some(meant) = email::corrected(address) {
            let letter = &at.rule.letter;
            FixCandidates::push(&mut acc.fixes.values, index, acc.fix_cap, || {
                FixChange::cell(letter, at.row_no, written, meant)
            });
        }
    }

    /// A row whose name sits in one name cell and belongs in two (`split_name`), or whose
    /// name cell is empty beside filled first- and last-name cells (`join_name`).
    #[inline(always)]
    pub(super) fn name_fixes<R: Row + ?Sized>(&self, row_no: u64, row: &R, acc: &mut Acc) {
        let (Some(first), Some(last)) = self.name_parts else {
            return;
        };
        let (Some(first), Some(last)) = (self.rules.get(first), self.rules.get(last)) else {
            return;
        };
        let text_of = |column: usize| match row.value(column) {
            CellRef::Text(t) => Some(t),
            _ => None,
        };
        let blank = |column: usize| row.value(column).is_blank();
        let cap = acc.fix_cap;
        match self.name {
            NameSource::Parts(..) => {
                let full = match (blank(first.column), blank(last.column)) {
                    (false, true) => first,
                    (true, false) => last,
                    _ => return,
                };
                let Some((given, family)) = text_of(full.column).and_then(split_full_name) else {
                    return;
                };
                let held = |column| text_of(column).unwrap_or_default();
                let mut parts = [(first, given), (last, family)];
                parts.sort_by_key(|(rule, _)| rule.column);
                for (rule, part) in parts {
                    acc.fixes.split.push(cap, || {
                        FixChange::cell(&rule.letter, row_no, held(rule.column), part)
                    });
                }
            }
            NameSource::Column(name) => {
                let Some(name) = self.rules.get(name) else {
                    return;
                };
                if !blank(name.column) || blank(first.column) || blank(last.column) {
                    return;
                }
                let (Some(given), Some(family)) = (text_of(first.column), text_of(last.column))
                else {
                    return;
                };
                let held = text_of(name.column).unwrap_or_default();
                acc.fixes.join.push(cap, || {
                    let joined = format!("{} {}", collapse_blanks(given), collapse_blanks(family));
                    FixChange::cell(&name.letter, row_no, held, joined)
                });
            }
            NameSource::Missing => {}
        }
    }

    /// The fixes the rows call for, in the order a report lists them: by code, then column.
    pub(super) fn suggested_fixes(&self, acc: &mut Acc, repeated_rows: Changes) -> Vec<Fix> {
        let mut fixes: Vec<Fix> = Vec::new();
        let cap = acc.fix_cap;
        for rule in &self.rules {
            let Some(evidence) = rule.date_slot.and_then(|s| acc.evidence.get(s)) else {
                continue;
            };
            fixes.extend(self.date_swap(rule, evidence, cap));
        }
        let fixes_of = std::mem::take(&mut acc.fixes);
        fixes.extend(self.name_fix(FixCode::SplitName, fixes_of.split));
        fixes.extend(self.name_fix(FixCode::JoinName, fixes_of.join));
        let by_rule = |all: Vec<Changes>| {
            all.into_iter()
                .enumerate()
                .filter_map(|(i, changes)| Some((self.rules.get(i)?, changes)))
                .collect::<Vec<_>>()
        };
        for (rule, changes) in by_rule(fixes_of.blanks) {
            let target = (Some(rule.key.as_str()), Some(rule.letter.as_str()));
            fixes.extend(changes.into_fix(FixCode::CollapseBlanks, target, |listed, count| {
                format!(
                    "{count} cell(s) of {} (column {}) have blanks around the value, or repeated blanks, tabs or line breaks inside it: the blanks around are removed and each run inside becomes one space; {}",
                    rule.label,
                    rule.letter,
                    example(listed)
                )
            }));
        }
        let mut value_fixes: Vec<Fix> = Vec::new();
        for (rule, changes) in by_rule(fixes_of.values) {
            let target = (Some(rule.key.as_str()), Some(rule.letter.as_str()));
            let fix = match rule.kind {
                AttributeType::Email => changes.into_fix(FixCode::EmailDomainTypo, target, |listed, count| {
                    format!(
                        "{count} address(es) in {} (column {}) are valid in shape but their domain is a common misspelling of a large mail provider's or of a top-level domain, from a fixed list; the domain is corrected and the rest of the address kept: {}",
                        rule.label,
                        rule.letter,
                        example(listed)
                    )
                }),
                _ => changes.into_fix(FixCode::EnumCase, target, |listed, count| {
                    format!(
                        "{count} value(s) of {} (column {}) are accepted values written in another case or without their accents; they are written as the group spells them: {}",
                        rule.label,
                        rule.letter,
                        example(listed)
                    )
                }),
            };
            value_fixes.extend(fix);
        }
        // Email typos come before enum cases, as the codes are ordered.
        value_fixes.sort_by_key(|f| f.code);
        fixes.extend(value_fixes);
        fixes.extend(repeated_rows.into_fix(
            FixCode::DropDuplicateRows,
            (None, None),
            |listed, count| {
                let first = listed
                    .first()
                    .map(|c| {
                        format!(
                            " (row {} is row {} again)",
                            c.row,
                            c.duplicate_of.unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "{count} row(s) repeat an earlier row cell for cell{first}; each repeat is removed and the first row kept"
                )
            },
        ));
        fixes
    }

    /// A `swap_day_month` fix of one date column, when its evidence calls for one.
    fn date_swap(
        &self,
        rule: &super::plan::Rule,
        evidence: &DateEvidence,
        cap: usize,
    ) -> Option<Fix> {
        let declared = rule.date_format.map(|f| f.order);
        let counts = evidence.counts();
        let swap = date_order::decide(declared, counts)?;
        let [day_first, month_first, ambiguous] = &evidence.listed;
        let mut kinds: Vec<&Vec<(u64, String)>> = Vec::new();
        if swap.swaps_only(DateOrder::DayFirst) {
            kinds.push(day_first);
        }
        if swap.swaps_only(DateOrder::MonthFirst) {
            kinds.push(month_first);
        }
        if swap.swaps_ambiguous() {
            kinds.push(ambiguous);
        }
        // Each kind lists its first dates in row order; together, the first of all.
        let mut cells: Vec<&(u64, String)> = kinds.into_iter().flatten().collect();
        cells.sort_by_key(|(row, _)| *row);
        cells.truncate(cap);
        let listed: Vec<FixChange> = cells
            .iter()
            .filter_map(|(row, text)| {
                let after = swap_day_month(text)?;
                Some(FixChange::cell(&rule.letter, *row, text.as_str(), after))
            })
            .collect();
        // Every date the reader takes as day/month is one `swap_day_month` rewrites; were one
        // not, it is not counted either, so a complete list always matches its count.
        let unswappable = (cells.len() - listed.len()) as u64;
        let changes = Changes {
            count: swap.swapped(counts).saturating_sub(unswappable),
            listed,
            closed: false,
        };
        let first_change = example(&changes.listed);
        fn example_of(e: &Option<(u64, String)>) -> Option<(u64, &str)> {
            e.as_ref().map(|(r, t)| (*r, t.as_str()))
        }
        let explained = Explained {
            label: &rule.label,
            letter: &rule.letter,
            declared: rule.date_format,
            counts,
            swap,
            examples: [
                example_of(&evidence.day_first_example),
                example_of(&evidence.month_first_example),
                example_of(&evidence.ambiguous_example),
            ],
            first_change,
        };
        let message = explained.message();
        changes.into_fix(
            FixCode::SwapDayMonth,
            (Some(rule.key.as_str()), Some(rule.letter.as_str())),
            |_, _| message,
        )
    }

    /// A name fix over the first- and last-name columns (`split_name`) or the name column
    /// (`join_name`).
    fn name_fix(&self, code: FixCode, changes: Changes) -> Option<Fix> {
        let (first, last) = self.name_parts;
        let label = |i: Option<usize>| {
            i.and_then(|i| self.rules.get(i))
                .map(|r| format!("{} (column {})", r.label, r.letter))
                .unwrap_or_default()
        };
        let (first, last) = (label(first), label(last));
        let name_rule = match self.name {
            NameSource::Column(n) => self.rules.get(n),
            _ => None,
        };
        let column = match code {
            FixCode::JoinName => name_rule.map(|r| r.letter.as_str()),
            _ => None,
        };
        let name = name_rule
            .map(|r| format!("{} (column {})", r.label, r.letter))
            .unwrap_or_default();
        changes.into_fix(
            code,
            (Some(crate::group::standard::NAME), column),
            |listed, count| match code {
                FixCode::SplitName => format!(
                    "{} row(s) hold a full name in {first} or {last} with the other empty; it is split in two by one rule (`Family, Given` as written, otherwise the last word, with a particle such as `van` or `de` before it, is the family name): check names with two family names before applying; {}",
                    count / 2,
                    both(listed)
                ),
                _ => format!(
                    "{count} row(s) have no {name} but a {first} and a {last}; the name is filled in as first and last name joined by a space: {}",
                    example(listed)
                ),
            },
        )
    }
}

/// The first two changes (a split's two cells), quoted for a message.
fn both(changes: &[FixChange]) -> String {
    let quoted: Vec<String> = changes
        .iter()
        .take(2)
        .map(|c| example(std::slice::from_ref(c)))
        .collect();
    quoted.join(" and ")
}
