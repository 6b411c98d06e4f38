//! Finding the header row under titles, notes and blank rows.

use crate::group::{Schema, standard};
use crate::matching::Matcher;
use crate::values::{date, email, number};

pub use crate::sheet::SCAN_ROWS;

/// How many non-empty cells of a row are scored against the schema.
const MATCH_CELLS: usize = 64;

/// What the titles of the first rows name: per row, per column, the attribute a cell names
/// surely enough to be assigned on its title alone. Values and long notes are never titles,
/// and only the first 64 filled cells of a row are scored (roster titles sit in
/// the first columns; scoring at most this many keeps a very wide sheet from costing
/// seconds). Title rows and repeated values make the same text come up often: each distinct
/// text is scored once. Header detection and the table split both read it.
pub struct Titles(Vec<Vec<Option<usize>>>);

impl Titles {
    /// Scores the first [`SCAN_ROWS`] rows.
    pub fn of(rows: &[Vec<String>], matcher: &Matcher<'_>) -> Titles {
        let mut known: std::collections::HashMap<&str, Option<usize>> =
            std::collections::HashMap::new();
        let named = rows
            .iter()
            .take(SCAN_ROWS)
            .map(|row| {
                let mut scored = 0;
                row.iter()
                    .map(|cell| {
                        let c = cell.trim();
                        if c.is_empty() || scored >= MATCH_CELLS {
                            return None;
                        }
                        scored += 1;
                        if !may_be_title(c) {
                            return None;
                        }
                        *known
                            .entry(c)
                            .or_insert_with(|| matcher.confident_attribute(c))
                    })
                    .collect()
            })
            .collect();
        Titles(named)
    }

    /// The attributes row `i` names, by column.
    fn row(&self, i: usize) -> &[Option<usize>] {
        self.0.get(i).map_or(&[], Vec::as_slice)
    }
}

/// Scores each of the first rows and returns the 0-based index of the likeliest header.
///
/// A header row has many non-empty, distinct, text-like cells, many of which match the
/// group's attributes, and is about as wide as the rows under it. Title rows (one cell, or a
/// merged title repeated across), notes and data rows score low.
pub fn detect(rows: &[Vec<String>], titles: &Titles) -> Option<usize> {
    let widths: Vec<usize> = rows
        .iter()
        .map(|r| r.iter().filter(|c| !c.trim().is_empty()).count())
        .collect();
    let max_width = widths.iter().copied().max().unwrap_or(0);
    let mut best: Option<(f64, usize)> = None;
    for (i, row) in rows.iter().enumerate().take(SCAN_ROWS) {
        let filled: Vec<&str> = row
            .iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect();
        if filled.is_empty() {
            continue;
        }
        let n = filled.len() as f64;
        let mut distinct = filled.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let data_like = filled.iter().filter(|c| is_data(c)).count() as f64;
        let matches = titles.row(i).iter().flatten().count() as f64;
        let long = filled.iter().filter(|c| c.chars().count() > 60).count() as f64;
        let below: Vec<usize> = widths
            .iter()
            .skip(i + 1)
            .take(5)
            .copied()
            .filter(|&w| w > 0)
            .collect();
        let below_width = if below.is_empty() {
            0.0
        } else {
            below.iter().sum::<usize>() as f64 / below.len() as f64
        };
        let mut score = 4.0 * matches + (n - data_like - long) - 2.0 * data_like - 2.0 * long;
        score += 0.5 * n.min(below_width);
        if distinct.len() * 2 < filled.len() {
            score -= n;
        }
        if filled.len() == 1 && max_width > 2 {
            score -= 3.0;
        }
        // A header heads something: a row with nothing under it is a closing note (or an
        // empty template's header, which its matches still carry).
        if below.is_empty() {
            score -= 3.0;
        }
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, i));
        }
    }
    best.map(|(_, i)| i)
}

/// One table of a sheet that holds several (a meeting report's summary block above its
/// participants, a webinar's hosts, panelists and attendees).
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Index of its header row.
    pub header: usize,
    /// Index of the row after its last data row; `None` when it runs to the end of the sheet.
    pub end: Option<usize>,
    /// Non-blank data rows seen under it.
    pub rows: usize,
    /// Distinct values in the column its header names as the recipient's email.
    pub addresses: usize,
    /// Whether its header names both the recipient's name (or name parts) and email.
    pub names_recipient: bool,
}

/// The tables of a sheet whose first rows hold more than one: every row that heads data
/// and names two or more attributes (or is `chosen`), each table ending where the next
/// one's header (and any title or blank rows just above it) begins. One table or none
/// gives an empty list: the sheet is read from its header to its end, as always.
pub fn tables(rows: &[Vec<String>], titles: &Titles, schema: &Schema, chosen: usize) -> Vec<Table> {
    let email = schema.index_of(standard::EMAIL);
    let name_keys = [standard::NAME, standard::FIRST_NAME, standard::LAST_NAME];
    let names = |i: usize| {
        schema
            .attributes
            .get(i)
            .is_some_and(|a| name_keys.contains(&a.key.as_str()))
    };
    // Per row: (index, the attribute each confident title names, by column).
    let heads: Vec<(usize, &[Option<usize>])> = (0..rows.len().min(SCAN_ROWS))
        .map(|i| (i, titles.row(i)))
        .filter(|(i, named)| *i == chosen || named.iter().flatten().count() >= 2)
        .collect();
    let filled = |row: &Vec<String>| row.iter().filter(|c| !c.trim().is_empty()).count();
    let mut found: Vec<Table> = Vec::new();
    for (k, (header, named)) in heads.iter().enumerate() {
        let next = heads.get(k + 1).map(|(i, _)| *i);
        let mut end = next.unwrap_or(rows.len());
        // A section title or blank rows just above the next header belong to neither table.
        while end > header + 1 && rows.get(end - 1).is_some_and(|r| filled(r) <= 1) {
            end -= 1;
        }
        let data: Vec<&Vec<String>> = rows
            .get(header + 1..end)
            .unwrap_or_default()
            .iter()
            .filter(|r| filled(r) > 0)
            .collect();
        if data.is_empty() {
            continue;
        }
        let email_column = named.iter().position(|a| a.is_some() && *a == email);
        let mut addresses: Vec<&str> = email_column
            .map(|c| {
                data.iter()
                    .filter_map(|r| r.get(c).map(|v| v.trim()))
                    .filter(|v| email::check(v).is_ok())
                    .collect()
            })
            .unwrap_or_default();
        addresses.sort_unstable();
        addresses.dedup();
        found.push(Table {
            header: *header,
            end: next.map(|_| end),
            rows: data.len(),
            addresses: addresses.len(),
            names_recipient: email_column.is_some() && named.iter().flatten().any(|&a| names(a)),
        });
    }
    if found.len() < 2 {
        return Vec::new();
    }
    found
}

/// The table that fits a roster best: one whose header names the recipient, then the most
/// distinct addresses, then the fewest repeated rows, then the most rows, then the first.
pub fn best_table(tables: &[Table]) -> Option<&Table> {
    tables.iter().max_by(|a, b| {
        let key = |t: &Table| {
            (
                t.names_recipient,
                t.addresses,
                std::cmp::Reverse(if t.addresses > 0 {
                    t.rows.saturating_sub(t.addresses)
                } else {
                    0
                }),
                t.rows,
            )
        };
        key(a).cmp(&key(b)).then(b.header.cmp(&a.header))
    })
}

fn is_data(cell: &str) -> bool {
    number::parse(cell).is_some() || email::check(cell).is_ok() || date::looks_like_date(cell)
}

/// Whether a trimmed cell could be a column title: values and long notes never are.
fn may_be_title(cell: &str) -> bool {
    !is_data(cell) && cell.chars().count() <= 60
}

/// Whether any of the first rows holds a title that surely names one of the group's
/// attributes: what tells a roster sheet from a cover or instructions sheet.
pub fn names_an_attribute(rows: &[Vec<String>], matcher: &Matcher<'_>) -> bool {
    rows.iter().take(SCAN_ROWS).any(|row| {
        row.iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .take(MATCH_CELLS)
            .any(|c| may_be_title(c) && matcher.is_confident(c))
    })
}

/// Whether a row right under the header is a sub-header rather than data (Canvas puts
/// "Points Possible" there; several tools mark read-only columns).
pub fn is_sub_header(row: &[String]) -> bool {
    row.iter().any(|c| {
        let n = crate::values::text::normalize(c);
        n == "points possible" || n == "read only" || n.ends_with(" read only")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::Group;

    fn rows(lines: &[&[&str]]) -> Vec<Vec<String>> {
        lines
            .iter()
            .map(|l| l.iter().map(|c| (*c).to_owned()).collect())
            .collect()
    }

    #[test]
    fn skips_titles_and_notes() {
        let schema = Group {
            name: "g".into(),
            attributes: vec![],
            ..Group::default()
        }
        .schema()
        .unwrap_or_else(|e| unreachable!("{e}"));
        let matcher = Matcher::new(&schema);
        let sheet = rows(&[
            &[
                "Certificate list – Spring 2026",
                "Certificate list – Spring 2026",
                "Certificate list – Spring 2026",
            ],
            &[],
            &["Fill in one line per participant"],
            &["Name", "Email", "Issue Date"],
            &["Ana Lopez", "ana@example.org", "2026-03-01"],
            &["Bo Chen", "bo@example.org", "2026-03-01"],
        ]);
        assert_eq!(detect(&sheet, &Titles::of(&sheet, &matcher)), Some(3));
        let plain = rows(&[&["email"], &["a@b.org"], &["c@d.org"]]);
        assert_eq!(detect(&plain, &Titles::of(&plain, &matcher)), Some(0));
    }
}
