//! Cells a person wrote anew, made on a roster after the fixes they chose.
//!
//! An edit names its cell by the row of the roster as read (its sheet row, as findings and
//! fixes name it) and the column letter, so that it keeps its place when fixes are applied or
//! undone beneath it. Edits are made after the fixes: where both change a cell, the person's
//! text is kept.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{FixChange, Roster, RosterRow};
use crate::error::{Error, ErrorKind, Result};
use crate::sheet::{column_index, column_letter};

/// A cell written anew by a person: its row and column in the roster as read, and its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CellEdit {
    /// 1-based row as a spreadsheet shows it, in the roster as read (a [`RosterRow::row`]).
    pub row: u64,
    /// Column letter, such as `C`.
    pub column: String,
    /// The text the cell holds now (empty to empty it).
    pub text: String,
}

/// A roster with edits made, and what they changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edited {
    /// The roster with every edit made.
    pub roster: Roster,
    /// Each cell whose text changed, its text before (as the roster given held it) and
    /// after, in row order and, in a row, in column order.
    pub changes: Vec<FixChange>,
    /// Rows edited that the roster given does not hold (a fix removed them), in order; their
    /// edits changed nothing.
    pub left_out: Vec<u64>,
}

/// The roster with `edits` made in order (a later edit of a cell wins). A row may grow to
/// take an edit up to the header's width; a cell written with the text it holds is not a
/// change.
///
/// # Errors
/// [`ErrorKind::InvalidValue`] when an edit's column is not a column letter, or lies past
/// both the header and its row.
///
/// ```
/// use conferral::fixes::{edit, CellEdit, Roster, RosterRow};
/// let roster = Roster {
///     header: vec!["Name".into(), "Email".into()],
///     rows: vec![RosterRow { row: 2, cells: vec!["Bo".into(), "bo@".into()] }],
/// };
/// let edits = [CellEdit { row: 2, column: "B".into(), text: "bo@example.org".into() }];
/// let edited = edit(&roster, &edits).unwrap();
/// assert_eq!(edited.roster.rows[0].cells, ["Bo", "bo@example.org"]);
/// assert_eq!(edited.changes[0].cell.as_deref(), Some("B2"));
/// assert_eq!(edited.changes[0].before.as_deref(), Some("bo@"));
/// ```
pub fn edit(roster: &Roster, edits: &[CellEdit]) -> Result<Edited> {
    let held: BTreeSet<u64> = roster.rows.iter().map(|r| r.row).collect();
    let mut texts: BTreeMap<(u64, usize), &str> = BTreeMap::new();
    let mut left_out: Vec<u64> = Vec::new();
    for e in edits {
        let column = column_index(&e.column).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidValue,
                format!("`{}` is not a column letter", e.column),
            )
        })?;
        if !held.contains(&e.row) {
            if !left_out.contains(&e.row) {
                left_out.push(e.row);
            }
            continue;
        }
        texts.insert((e.row, column), &e.text);
    }
    let mut changes = Vec::new();
    let mut rows = Vec::with_capacity(roster.rows.len());
    for original in &roster.rows {
        let mut cells = original.cells.clone();
        for (&(row, column), &text) in texts.range((original.row, 0)..=(original.row, usize::MAX)) {
            let width = roster.header.len().max(original.cells.len());
            if column >= width {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "cell {}{row} is past the roster's last column, {}",
                        column_letter(column),
                        column_letter(width.saturating_sub(1))
                    ),
                ));
            }
            let before = original.cells.get(column).map_or("", String::as_str);
            if before == text {
                continue;
            }
            if cells.len() <= column {
                cells.resize(column + 1, String::new());
            }
            if let Some(cell) = cells.get_mut(column) {
                text.clone_into(cell);
            }
            changes.push(FixChange::cell(&column_letter(column), row, before, text));
        }
        rows.push(RosterRow {
            row: original.row,
            cells,
        });
    }
    Ok(Edited {
        roster: Roster {
            header: roster.header.clone(),
            rows,
        },
        changes,
        left_out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> Roster {
        Roster {
            header: vec!["Name".into(), "Email".into(), "Grade".into()],
            rows: vec![
                RosterRow {
                    row: 4,
                    cells: vec!["Ana".into(), "ana@example.org".into(), "Pass".into()],
                },
                RosterRow {
                    row: 5,
                    cells: vec!["Bo".into(), "bo@".into()],
                },
            ],
        }
    }

    fn at(row: u64, column: &str, text: &str) -> CellEdit {
        CellEdit {
            row,
            column: column.into(),
            text: text.into(),
        }
    }

    #[test]
    fn edits_change_their_cells_only_and_say_what_each_held() {
        let edited = edit(&roster(), &[at(5, "B", "bo@example.org")]).unwrap();
        assert_eq!(edited.roster.header, roster().header);
        assert_eq!(edited.roster.rows[0], roster().rows[0]);
        assert_eq!(edited.roster.rows[1].row, 5);
        assert_eq!(edited.roster.rows[1].cells, ["Bo", "bo@example.org"]);
        assert_eq!(
            edited.changes,
            [FixChange::cell("B", 5, "bo@", "bo@example.org")]
        );
        assert!(edited.left_out.is_empty());
    }

    #[test]
    fn the_last_edit_of_a_cell_wins_and_the_change_is_from_the_roster_given() {
        let edits = [at(4, "a", "Anna"), at(4, "A", "Ana María")];
        let edited = edit(&roster(), &edits).unwrap();
        assert_eq!(edited.roster.rows[0].cells[0], "Ana María");
        assert_eq!(
            edited.changes,
            [FixChange::cell("A", 4, "Ana", "Ana María")]
        );
    }

    #[test]
    fn changes_come_in_row_then_column_order() {
        let edits = [at(5, "C", "Merit"), at(4, "C", "Merit"), at(4, "A", "Anna")];
        let cells: Vec<_> = edit(&roster(), &edits)
            .unwrap()
            .changes
            .into_iter()
            .map(|c| c.cell.unwrap())
            .collect();
        assert_eq!(cells, ["A4", "C4", "C5"]);
    }

    #[test]
    fn a_short_row_grows_to_take_an_edit_within_the_header() {
        let edited = edit(&roster(), &[at(5, "C", "Merit")]).unwrap();
        assert_eq!(edited.roster.rows[1].cells, ["Bo", "bo@", "Merit"]);
        assert_eq!(edited.changes, [FixChange::cell("C", 5, "", "Merit")]);
    }

    #[test]
    fn writing_what_a_cell_holds_changes_nothing() {
        let edited = edit(&roster(), &[at(4, "C", "Pass"), at(5, "C", "")]).unwrap();
        assert_eq!(edited.roster, roster());
        assert!(edited.changes.is_empty());
    }

    #[test]
    fn an_edit_of_a_row_the_roster_lacks_is_left_out_and_named() {
        let edits = [at(9, "A", "x"), at(5, "A", "Bob"), at(9, "B", "y")];
        let edited = edit(&roster(), &edits).unwrap();
        assert_eq!(edited.left_out, [9]);
        assert_eq!(edited.roster.rows[1].cells[0], "Bob");
        assert_eq!(edited.changes.len(), 1);
    }

    #[test]
    fn columns_that_are_not_letters_or_past_the_roster_are_refused() {
        let e = edit(&roster(), &[at(4, "B2", "x")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert!(e.to_string().contains("`B2` is not a column letter"), "{e}");
        let e = edit(&roster(), &[at(4, "XFD", "x")]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert!(
            e.to_string()
                .contains("cell XFD4 is past the roster's last column, C"),
            "{e}"
        );
    }

    #[test]
    fn edits_after_fixes_keep_the_persons_text() {
        use crate::fixes::{Fix, FixCode, apply};
        let fix = Fix {
            code: FixCode::EmailDomainTypo,
            attribute: Some("email".into()),
            column: Some("B".into()),
            message: String::new(),
            count: 1,
            changes: vec![FixChange::cell(
                "B",
                4,
                "ana@example.org",
                "ana@example.com",
            )],
        };
        let fixed = apply(&roster(), &[fix], &[FixCode::EmailDomainTypo]).unwrap();
        let edited = edit(&fixed, &[at(4, "B", "ana@example.net")]).unwrap();
        assert_eq!(edited.roster.rows[0].cells[1], "ana@example.net");
        assert_eq!(
            edited.changes,
            [FixChange::cell(
                "B",
                4,
                "ana@example.com",
                "ana@example.net"
            )]
        );
    }
}
