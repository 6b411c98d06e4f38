//! A roster as text, and applying chosen fixes to it.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Fix, FixChange, FixCode};
use crate::error::{Error, ErrorKind, Result};
use crate::sheet::column_index;

/// A roster's header and data rows as they read (each cell's display text), without the
/// titles above the header, sub-header rows, blank rows or other tables of the sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    /// The header row's titles.
    pub header: Vec<String>,
    /// The data rows, in sheet order.
    pub rows: Vec<RosterRow>,
}

/// A data row of a [`Roster`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterRow {
    /// 1-based row as a spreadsheet shows it (findings' and changes' `row`).
    pub row: u64,
    /// Each cell's text, from the first column; a row may be shorter or longer than the header.
    pub cells: Vec<String>,
}

/// The roster with the fixes whose code is in `codes` applied, every change of each: cells
/// take their `after` text, rows a fix removes are left out. Where `collapse_blanks` and
/// another fix change the same cell, the other fix's text is kept (it has no stray blanks
/// either). A fix suggested for another roster, or listing only some of its changes, is
/// refused rather than applied in part.
///
/// # Errors
/// [`ErrorKind::InvalidValue`] when a chosen fix lists fewer changes than it counts (a
/// report's fixes list at most [`super::LISTED_CHANGES`]: [`crate::analysis::fix`] applies
/// them all), or when a change's `before` is not the roster's cell.
///
/// ```
/// use conferral::fixes::{apply, Fix, FixChange, FixCode, Roster, RosterRow};
/// let roster = Roster {
///     header: vec!["Name".into(), "Grade".into()],
///     rows: vec![RosterRow { row: 2, cells: vec!["Ana".into(), "merit".into()] }],
/// };
/// let fix = Fix {
///     code: FixCode::EnumCase,
///     attribute: Some("grade".into()),
///     column: Some("B".into()),
///     message: "...".into(),
///     count: 1,
///     changes: vec![FixChange::cell("B", 2, "merit", "Merit")],
/// };
/// let fixed = apply(&roster, &[fix], &[FixCode::EnumCase]).unwrap();
/// assert_eq!(fixed.rows[0].cells, ["Ana", "Merit"]);
/// ```
pub fn apply(roster: &Roster, fixes: &[Fix], codes: &[FixCode]) -> Result<Roster> {
    let mut chosen: Vec<&Fix> = fixes.iter().filter(|f| codes.contains(&f.code)).collect();
    // Blanks first, so that a value fix on the same cell has the last word.
    chosen.sort_by_key(|f| f.code != FixCode::CollapseBlanks);
    let originals: BTreeMap<u64, &RosterRow> = roster.rows.iter().map(|r| (r.row, r)).collect();
    let mut edits: BTreeMap<(u64, usize), &str> = BTreeMap::new();
    let mut dropped: BTreeSet<u64> = BTreeSet::new();
    for fix in chosen {
        if fix.changes.len() as u64 != fix.count {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "the `{}` fix lists {} of its {} changes; apply it with the whole roster, which finds them all",
                    fix.code.as_str(),
                    fix.changes.len(),
                    fix.count
                ),
            ));
        }
        for change in &fix.changes {
            match edit_of(change, &originals)? {
                Some((column, after)) => {
                    edits.insert((change.row, column), after);
                }
                None => {
                    dropped.insert(change.row);
                }
            }
        }
    }
    let rows = roster
        .rows
        .iter()
        .filter(|r| !dropped.contains(&r.row))
        .map(|r| {
            let mut cells = r.cells.clone();
            for (&(_, column), after) in edits.range((r.row, 0)..=(r.row, usize::MAX)) {
                if cells.len() <= column {
                    cells.resize(column + 1, String::new());
                }
                if let Some(cell) = cells.get_mut(column) {
                    (*after).clone_into(cell);
                }
            }
            RosterRow { row: r.row, cells }
        })
        .collect();
    Ok(Roster {
        header: roster.header.clone(),
        rows,
    })
}

/// The column and text a change writes, `None` for a row it removes, once its `before` is
/// checked against the roster.
fn edit_of<'f>(
    change: &'f FixChange,
    originals: &BTreeMap<u64, &RosterRow>,
) -> Result<Option<(usize, &'f str)>> {
    let not_this_roster = |what: String| {
        Error::new(
            ErrorKind::InvalidValue,
            format!("{what}: the fixes were not suggested for this roster"),
        )
    };
    let Some(original) = originals.get(&change.row) else {
        return Err(not_this_roster(format!(
            "row {} is not a data row of the roster",
            change.row
        )));
    };
    let (Some(letter), Some(after)) = (change.column.as_deref(), change.after.as_deref()) else {
        return Ok(None);
    };
    let column = column_index(letter)
        .ok_or_else(|| not_this_roster(format!("`{letter}` is not a column")))?;
    let held = original.cells.get(column).map_or("", String::as_str);
    if change
        .before
        .as_deref()
        .is_some_and(|before| before != held)
    {
        return Err(not_this_roster(format!(
            "cell {letter}{} holds `{held}`, not `{}`",
            change.row,
            change.before.as_deref().unwrap_or_default()
        )));
    }
    Ok(Some((column, after)))
}
