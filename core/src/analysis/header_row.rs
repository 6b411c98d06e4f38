//! Finding the header row under titles, notes and blank rows.

use crate::matching::Matcher;
use crate::values::{date, email, number};

pub use crate::sheet::SCAN_ROWS;

/// How many non-empty cells of a row are scored against the schema.
const MATCH_CELLS: usize = 64;

/// Scores each of the first rows and returns the 0-based index of the likeliest header.
///
/// A header row has many non-empty, distinct, text-like cells, many of which match the
/// group's attributes, and is about as wide as the rows under it. Title rows (one cell, or a
/// merged title repeated across), notes and data rows score low.
pub fn detect(rows: &[Vec<String>], matcher: &Matcher<'_>) -> Option<usize> {
    let widths: Vec<usize> = rows
        .iter()
        .map(|r| r.iter().filter(|c| !c.trim().is_empty()).count())
        .collect();
    let max_width = widths.iter().copied().max().unwrap_or(0);
    let mut best: Option<(f64, usize)> = None;
    // Title rows and repeated values make the same text come up often; score each once.
    let mut confident: std::collections::HashMap<&str, bool> = std::collections::HashMap::new();
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
        // Values and long notes are never titles: only the rest is scored against the schema.
        // Roster titles sit in the first columns; scoring at most this many keeps a very wide
        // sheet from costing seconds.
        let matches = filled
            .iter()
            .take(MATCH_CELLS)
            .filter(|c| {
                may_be_title(c)
                    && *confident
                        .entry(c)
                        .or_insert_with(|| matcher.is_confident(c))
            })
            .count() as f64;
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
        assert_eq!(detect(&sheet, &matcher), Some(3));
        let plain = rows(&[&["email"], &["a@b.org"], &["c@d.org"]]);
        assert_eq!(detect(&plain, &matcher), Some(0));
    }
}
