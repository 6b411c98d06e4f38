//! Suggested fixes: corrections an analysis offers for what it found, as data, and the one
//! function that applies the ones a person chose.
//!
//! A fix is never applied by the analysis. The report lists each fix it suggests ([`Fix`]):
//! a stable [`FixCode`], the column and attribute, a plain-language explanation, how many
//! cells (or rows) it changes and the changes themselves, each a cell with its text before
//! and after. [`apply`] takes a roster and the fixes a caller chose and returns the corrected
//! roster; nothing else changes, and the same roster and choice always give the same result.
//!
//! | code | what it changes |
//! | --- | --- |
//! | `swap_day_month` | a date column's dates whose day and month are in the other order than the column's evidence (or the group's `date_format`) says; [`date_order`] holds the rule |
//! | `split_name` | a full name in the first- or last-name cell, the other cell empty: split by [`split_full_name`](crate::values::text::split_full_name) |
//! | `join_name` | an empty name cell in a row whose first- and last-name cells are filled |
//! | `collapse_blanks` | blanks around a value, and runs of blanks, tabs or line breaks inside it, in text, email and enum columns (dates, numbers, URLs and yes/no values are written anew from what they mean), where the blanks are the cell's only fault |
//! | `email_domain_typo` | a valid address whose domain is a listed misspelling ([`crate::values::email::PROVIDER_TYPOS`], [`crate::values::email::TLD_TYPOS`]) |
//! | `enum_case` | an accepted value written in another case or without its accents |
//! | `drop_duplicate_rows` | a row that repeats an earlier one cell for cell |
//!
//! Where the changes are found: the validation walk notices each candidate as it reads a
//! cell (`crate::validation`), and the decisions that need a whole column (date order) or
//! file (repeated rows) are taken when every row is in, as for findings.
//!
//! Cells a person writes anew ([`CellEdit`]) are made by [`edit`] on the roster the fixes
//! give, so a page that lets people correct a cell by hand writes the same corrected roster
//! as the fixes do, and knows which cells changed.

mod apply;
pub mod date_order;
mod edit;

use serde::{Deserialize, Serialize};

pub use apply::{Roster, RosterRow, apply};
pub use edit::{CellEdit, Edited, edit};

use crate::error::{Error, ErrorKind, Result};

/// The most changes a fix lists in a report; the rest are counted in [`Fix::count`]. A
/// roster of a few hundred rows lists every change.
pub const LISTED_CHANGES: usize = 1_000;

/// Stable codes of suggested fixes. New codes may be added; existing ones keep their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FixCode {
    /// Swap day and month in the dates of a column whose evidence says they are in the other
    /// order.
    SwapDayMonth,
    /// Split a full name written in the first- or last-name cell into both.
    SplitName,
    /// Fill an empty name cell with the first and last name of its row.
    JoinName,
    /// Trim blanks around values and make each run of blanks inside one space.
    CollapseBlanks,
    /// Correct a common misspelling of an address's domain (`gmial.com`, `.con`).
    EmailDomainTypo,
    /// Write an accepted value as the group spells it (`merit` as `Merit`).
    EnumCase,
    /// Remove rows that repeat an earlier row cell for cell.
    DropDuplicateRows,
}

impl FixCode {
    /// Every code, in the order a report lists fixes.
    pub const ALL: [FixCode; 7] = [
        FixCode::SwapDayMonth,
        FixCode::SplitName,
        FixCode::JoinName,
        FixCode::CollapseBlanks,
        FixCode::EmailDomainTypo,
        FixCode::EnumCase,
        FixCode::DropDuplicateRows,
    ];

    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            FixCode::SwapDayMonth => "swap_day_month",
            FixCode::SplitName => "split_name",
            FixCode::JoinName => "join_name",
            FixCode::CollapseBlanks => "collapse_blanks",
            FixCode::EmailDomainTypo => "email_domain_typo",
            FixCode::EnumCase => "enum_case",
            FixCode::DropDuplicateRows => "drop_duplicate_rows",
        }
    }

    /// The code named `name` exactly.
    ///
    /// ```
    /// use conferral::fixes::FixCode;
    /// assert_eq!(FixCode::from_name("enum_case"), Some(FixCode::EnumCase));
    /// assert_eq!(FixCode::from_name("Enum_Case"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<FixCode> {
        FixCode::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// Codes written as people list them: names separated by commas (blanks around each
    /// ignored), or `all` for every code. Each code once, in the order given.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for an unknown name (an empty one too), naming the codes.
    ///
    /// ```
    /// use conferral::fixes::FixCode;
    /// let codes = FixCode::parse_list("enum_case, collapse_blanks,enum_case").unwrap();
    /// assert_eq!(codes, [FixCode::EnumCase, FixCode::CollapseBlanks]);
    /// assert_eq!(FixCode::parse_list("all").unwrap(), FixCode::ALL);
    /// assert!(FixCode::parse_list("fix_everything").is_err());
    /// ```
    pub fn parse_list(text: &str) -> Result<Vec<FixCode>> {
        FixCode::parse_names(text.split(','))
    }

    /// Codes given one name each (blanks around ignored; `all` for every code), as the
    /// bindings take them: each code once, in the order given; no name, no code.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for an unknown name, naming the codes.
    pub fn parse_names<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Result<Vec<FixCode>> {
        let mut codes = Vec::new();
        for name in names {
            let name = name.as_ref().trim();
            let found: Vec<FixCode> = match name {
                "all" => FixCode::ALL.to_vec(),
                _ => vec![FixCode::from_name(name).ok_or_else(|| unknown_code(name))?],
            };
            for code in found {
                if !codes.contains(&code) {
                    codes.push(code);
                }
            }
        }
        Ok(codes)
    }
}

fn unknown_code(name: &str) -> Error {
    let known: Vec<&str> = FixCode::ALL.iter().map(|c| c.as_str()).collect();
    Error::new(
        ErrorKind::InvalidValue,
        format!(
            "`{name}` is not a fix; the fixes are {} (or `all`)",
            known.join(", ")
        ),
    )
}

/// A suggested fix: what it changes, why, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    /// Stable code.
    pub code: FixCode,
    /// The attribute whose cells change (`name` for the name fixes); `None` when whole rows
    /// are removed.
    pub attribute: Option<String>,
    /// The column letter whose cells change; `None` when the fix spans columns (a name split
    /// writes the first- and last-name columns) or removes rows.
    pub column: Option<String>,
    /// What the fix does and why it is suggested, in plain words.
    pub message: String,
    /// Cells changed, or rows removed for `drop_duplicate_rows`.
    pub count: u64,
    /// The changes in row order (for a row, in column order); the first
    /// [`LISTED_CHANGES`] when there are more.
    pub changes: Vec<FixChange>,
}

/// One change of a fix: a cell's text before and after, or a row removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixChange {
    /// 1-based row as a spreadsheet shows it (findings' `row`).
    pub row: u64,
    /// Column letter of the cell; `None` when the row is removed.
    pub column: Option<String>,
    /// The cell, such as `C7`; `None` when the row is removed.
    pub cell: Option<String>,
    /// The cell's text before (empty for an empty cell); `None` when the row is removed.
    pub before: Option<String>,
    /// The cell's text after; `None` when the row is removed.
    pub after: Option<String>,
    /// For a removed row, the earlier row it repeats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<u64>,
}

impl FixChange {
    /// A cell's change; the cell is the column and row, as findings keep it.
    pub fn cell(
        column: &str,
        row: u64,
        before: impl Into<String>,
        after: impl Into<String>,
    ) -> Self {
        FixChange {
            row,
            column: Some(column.to_owned()),
            cell: Some(format!("{column}{row}")),
            before: Some(before.into()),
            after: Some(after.into()),
            duplicate_of: None,
        }
    }

    /// A row removed because it repeats `duplicate_of`.
    pub fn drop_row(row: u64, duplicate_of: u64) -> Self {
        FixChange {
            row,
            column: None,
            cell: None,
            before: None,
            after: None,
            duplicate_of: Some(duplicate_of),
        }
    }
}

/// A fix's changes as rows are walked: each one counted, the first `cap` kept. Runs of rows
/// merged in row order keep the first changes of the whole walk.
#[derive(Debug, Clone, Default)]
pub(crate) struct Changes {
    pub(crate) count: u64,
    pub(crate) listed: Vec<FixChange>,
    /// Set when the rows before these listed `cap` changes already: these are only counted.
    pub(crate) closed: bool,
}

impl Changes {
    /// Counts a change, building it only when it is listed.
    pub(crate) fn push(&mut self, cap: usize, change: impl FnOnce() -> FixChange) {
        self.count += 1;
        if !self.closed && self.listed.len() < cap {
            self.listed.push(change());
        }
    }

    /// Appends a later run's changes.
    pub(crate) fn merge(&mut self, other: Changes, cap: usize) {
        self.count += other.count;
        let room = cap.saturating_sub(self.listed.len());
        self.listed.extend(other.listed.into_iter().take(room));
    }

    /// The fix these changes make, when there is any.
    pub(crate) fn into_fix(
        self,
        code: FixCode,
        (attribute, column): (Option<&str>, Option<&str>),
        message: impl FnOnce(&[FixChange], u64) -> String,
    ) -> Option<Fix> {
        (self.count > 0).then(|| Fix {
            code,
            attribute: attribute.map(str::to_owned),
            column: column.map(str::to_owned),
            message: message(&self.listed, self.count),
            count: self.count,
            changes: self.listed,
        })
    }
}

/// `before` → `after` of the first listed change, quoted for a message: `` `a` becomes `b` ``.
pub(crate) fn example(changes: &[FixChange]) -> String {
    changes
        .first()
        .map(|c| {
            format!(
                "`{}` in {} becomes `{}`",
                short(c.before.as_deref().unwrap_or_default()),
                c.cell.as_deref().unwrap_or_default(),
                short(c.after.as_deref().unwrap_or_default())
            )
        })
        .unwrap_or_default()
}

/// A value quoted in a message: at most 40 characters, blanks shown as they would be lost.
fn short(value: &str) -> String {
    const MOST: usize = 40;
    let shown: String = value
        .chars()
        .take(MOST)
        .map(|c| match c {
            '\t' => '⇥',
            '\n' | '\r' => '⏎',
            c => c,
        })
        .collect();
    if value.chars().count() > MOST {
        format!("{shown}…")
    } else {
        shown
    }
}
