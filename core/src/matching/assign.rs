//! Assigning columns to attributes one-to-one: the caller's mapping first, then candidates
//! from saved mappings, headers and content, best first; what is left over is explained.

use super::{
    AUTO_SCORE, Alternative, ColumnMatch, ContentProfile, MARGIN, MIN_EVIDENCE, Mapping, Matcher,
    NAMED_SCORE, SavedMappings, Score, Tier, lexicon, normalize, type_supported,
};
use crate::error::{Error, ErrorKind, Result};
use crate::group::{Schema, standard};
use crate::sheet::{column_index, column_letter};

/// Whether a score says the header is the attribute's key, label or an alias, exactly (a
/// concept's title, a variant or a similarity only suggests it).
fn names_attribute(s: &Score) -> bool {
    s.tier == Tier::Exact || (s.tier == Tier::Alias && (s.score - NAMED_SCORE).abs() < 1e-9)
}

/// A proposal to assign a column to an attribute.
struct Candidate {
    column: usize,
    attribute: usize,
    tier: Tier,
    score: f64,
}

/// What is known of one column while columns are assigned.
#[derive(Default)]
struct ColumnState {
    /// Settled by the caller's mapping or a saved "skip": never assigned automatically.
    fixed: bool,
    /// The attribute (by schema position), tier and score it is assigned to.
    assigned: Option<(usize, Tier, f64)>,
    /// The attributes it could be, best first once its header has been weighed.
    scores: Vec<Score>,
    /// Why it is left unassigned although something fits, for the finding.
    uncertain: Option<String>,
    /// Attributes its header names exactly although most sampled values do not look like
    /// their type, with what the values look like instead.
    unlike: Vec<(usize, String)>,
}

impl ColumnState {
    /// Keeps the first reason only: it is the one the user meets first.
    fn doubt(&mut self, reason: impl FnOnce() -> String) {
        if self.uncertain.is_none() {
            self.uncertain = Some(reason());
        }
    }
}

/// The assignment under way.
struct Assignment<'a> {
    schema: &'a Schema,
    columns: Vec<ColumnState>,
    /// Per attribute: already assigned to a column.
    taken: Vec<bool>,
    candidates: Vec<Candidate>,
}

/// Matches columns to attributes.
///
/// `headers` and `profiles` have one entry per column. `forced` columns are taken as given.
///
/// # Errors
/// [`ErrorKind::InvalidMapping`] when `forced` names a column outside the sheet, an unknown
/// attribute, or the same attribute for two columns.
pub fn match_columns(
    matcher: &Matcher<'_>,
    headers: &[String],
    profiles: &[ContentProfile],
    saved: &SavedMappings,
    forced: Option<&Mapping>,
) -> Result<Vec<ColumnMatch>> {
    let schema = matcher.schema();
    let mut assignment = Assignment {
        schema,
        columns: headers
            .iter()
            .map(|h| ColumnState {
                scores: matcher.score(h),
                ..ColumnState::default()
            })
            .collect(),
        taken: vec![false; schema.attributes.len()],
        candidates: Vec::new(),
    };
    if let Some(mapping) = forced {
        assignment.force(mapping)?;
    }
    for (col, header) in headers.iter().enumerate() {
        let profile = profiles.get(col).copied().unwrap_or_default();
        assignment.weigh_header(col, header, profile, saved);
    }
    assignment.weigh_content(headers, profiles);
    assignment.assign_one_to_one();
    Ok(assignment.into_matches(headers))
}

impl Assignment<'_> {
    /// Takes the caller's mapping as given, refusing one that cannot be applied.
    fn force(&mut self, mapping: &Mapping) -> Result<()> {
        let width = self.columns.len();
        for entry in &mapping.columns {
            let column = column_index(&entry.column).and_then(|c| self.columns.get_mut(c));
            let Some(column) = column else {
                return Err(Error::new(
                    ErrorKind::InvalidMapping,
                    format!(
                        "the mapping names column `{}`, but the sheet's columns run from A to {}",
                        entry.column,
                        column_letter(width.saturating_sub(1))
                    ),
                ));
            };
            column.fixed = true;
            let Some(key) = &entry.attribute else {
                continue;
            };
            let Some(attr) = self.schema.index_of(key) else {
                let keys: Vec<&str> = self
                    .schema
                    .attributes
                    .iter()
                    .map(|a| a.key.as_str())
                    .collect();
                return Err(Error::new(
                    ErrorKind::InvalidMapping,
                    format!(
                        "the mapping assigns column {} to `{key}`, which is not an attribute of the group; use one of {}",
                        entry.column,
                        keys.join(", ")
                    ),
                ));
            };
            match self.taken.get_mut(attr) {
                Some(taken) if !*taken => *taken = true,
                _ => {
                    return Err(Error::new(
                        ErrorKind::InvalidMapping,
                        format!(
                            "the mapping assigns `{key}` to more than one column; map each attribute to one column"
                        ),
                    ));
                }
            }
            column.assigned = Some((attr, Tier::User, 1.0));
        }
        Ok(())
    }

    /// Proposes a column from a saved mapping or from its header, where its values bear the
    /// header out; a header that fits two attributes almost equally proposes neither.
    fn weigh_header(
        &mut self,
        col: usize,
        header: &str,
        profile: ContentProfile,
        saved: &SavedMappings,
    ) {
        let schema = self.schema;
        let Some(column) = self.columns.get_mut(col) else {
            return;
        };
        if column.fixed {
            return;
        }
        if let Some(choice) = saved.0.get(&normalize(header)) {
            let Some(key) = choice else {
                // Saved as skipped.
                column.fixed = true;
                return;
            };
            if let Some(attr) = schema.index_of(key) {
                self.candidates.push(Candidate {
                    column: col,
                    attribute: attr,
                    tier: Tier::Saved,
                    score: 1.0,
                });
            }
        }
        let mut kept: Vec<Score> = Vec::new();
        for s in std::mem::take(&mut column.scores) {
            let attribute = schema.attributes.get(s.attribute);
            let supported = attribute.map_or(Ok(()), |a| type_supported(a, &profile));
            match supported {
                Ok(()) => kept.push(s),
                // Content may veto a guess, never a header that names the attribute (its key,
                // label or an alias, exactly): the column stays assigned and every bad cell
                // is reported, with a column-level warning.
                Err(reason) if names_attribute(&s) => {
                    column.unlike.push((s.attribute, reason));
                    kept.push(s);
                }
                Err(reason) => {
                    if s.score >= AUTO_SCORE {
                        let key = attribute.map_or("", |a| a.key.as_str());
                        column.doubt(|| format!("the header suggests `{key}`, but {reason}"));
                    }
                    kept.push(Score {
                        score: s.score * 0.5,
                        ..s
                    });
                }
            }
        }
        kept.sort_by(|a, b| b.score.total_cmp(&a.score));
        let confident = |s: &Score| s.tier.rank() <= Tier::Alias.rank() && s.score >= AUTO_SCORE;
        if let Some(best) = kept.first() {
            let second = kept.get(1).map_or(0.0, |s| s.score);
            if confident(best) || (best.score >= AUTO_SCORE && best.score - second >= MARGIN) {
                self.candidates.push(Candidate {
                    column: col,
                    attribute: best.attribute,
                    tier: best.tier,
                    score: best.score,
                });
            } else if best.score >= AUTO_SCORE {
                let key = |s: Option<&Score>| {
                    s.and_then(|s| schema.attributes.get(s.attribute))
                        .map_or("", |a| a.key.as_str())
                };
                let (first, other) = (key(kept.first()), key(kept.get(1)));
                column.doubt(|| format!("the header fits `{first}` and `{other}` almost equally"));
            }
        }
        column.scores = kept;
    }

    /// A column of addresses is the email, when its header says nothing else and it is the
    /// only such column; otherwise the content is only a suggestion.
    fn weigh_content(&mut self, headers: &[String], profiles: &[ContentProfile]) {
        let Some(email_attr) = self.schema.index_of(standard::EMAIL) else {
            return;
        };
        let header_email = self.candidates.iter().any(|c| c.attribute == email_attr)
            || self.taken.get(email_attr).copied().unwrap_or(false);
        let content: Vec<usize> = (0..self.columns.len())
            .filter(|&c| self.columns.get(c).is_some_and(|s| !s.fixed))
            .filter(|&c| !self.candidates.iter().any(|x| x.column == c))
            .filter(|&c| {
                !headers
                    .get(c)
                    .is_some_and(|h| lexicon::has_veto(&normalize(h)))
            })
            .filter(|&c| {
                profiles
                    .get(c)
                    .is_some_and(|p| p.values >= MIN_EVIDENCE && p.email >= 0.9)
            })
            .collect();
        for &col in &content {
            let share = profiles.get(col).map_or(0.0, |p| p.email);
            let score = 0.9 * share;
            if !header_email && content.len() == 1 {
                self.candidates.push(Candidate {
                    column: col,
                    attribute: email_attr,
                    tier: Tier::Content,
                    score,
                });
            } else if let Some(column) = self.columns.get_mut(col) {
                column.scores.push(Score {
                    attribute: email_attr,
                    tier: Tier::Content,
                    score: score.min(0.8),
                });
                column.doubt(|| "its values are email addresses, but another column is (or could be) the recipient's email".to_owned());
            }
        }
    }

    /// Assigns candidates best tier first, then best score, then leftmost column; a candidate
    /// that loses stays among its column's alternatives.
    fn assign_one_to_one(&mut self) {
        let mut candidates = std::mem::take(&mut self.candidates);
        candidates.sort_by(|a, b| {
            a.tier
                .rank()
                .cmp(&b.tier.rank())
                .then(b.score.total_cmp(&a.score))
                .then(a.column.cmp(&b.column))
        });
        let schema = self.schema;
        for c in &candidates {
            let Some(column) = self.columns.get_mut(c.column) else {
                continue;
            };
            if column.assigned.is_some() {
                continue;
            }
            match self.taken.get_mut(c.attribute) {
                Some(taken) if !*taken => {
                    *taken = true;
                    column.assigned = Some((c.attribute, c.tier, c.score));
                }
                _ => {
                    if !column.scores.iter().any(|x| x.attribute == c.attribute) {
                        column.scores.push(Score {
                            attribute: c.attribute,
                            tier: c.tier,
                            score: c.score,
                        });
                    }
                    column.doubt(|| {
                        let key = schema
                            .attributes
                            .get(c.attribute)
                            .map_or("", |a| a.key.as_str());
                        format!("`{key}` is already matched to another column")
                    });
                }
            }
        }
    }

    /// Each column's match, with up to three alternatives and the reason it is uncertain.
    fn into_matches(self, headers: &[String]) -> Vec<ColumnMatch> {
        let schema = self.schema;
        self.columns
            .into_iter()
            .zip(headers)
            .enumerate()
            .map(|(col, (state, header))| column_match(schema, col, header, state))
            .collect()
    }
}

fn column_match(schema: &Schema, col: usize, header: &str, state: ColumnState) -> ColumnMatch {
    let assigned = state.assigned;
    let mut alternatives: Vec<Alternative> = state
        .scores
        .iter()
        .filter(|s| assigned.is_none_or(|(a, _, _)| a != s.attribute))
        .filter(|s| s.score >= 0.4)
        .filter_map(|s| {
            Some(Alternative {
                attribute: schema.attributes.get(s.attribute)?.key.clone(),
                score: round3(s.score),
                tier: s.tier,
            })
        })
        .collect();
    alternatives.sort_by(|a, b| b.score.total_cmp(&a.score));
    alternatives.dedup_by(|a, b| a.attribute == b.attribute);
    alternatives.truncate(3);
    let (attribute, tier, score) = match assigned {
        Some((attr, tier, score)) => (
            schema.attributes.get(attr).map(|a| a.key.clone()),
            tier,
            score,
        ),
        None if state.fixed => (None, Tier::User, 1.0),
        None => (
            None,
            Tier::None,
            alternatives.first().map_or(0.0, |a| a.score),
        ),
    };
    let uncertain = if attribute.is_none() && !state.fixed {
        state.uncertain.or_else(|| {
            alternatives.first().filter(|a| a.score >= 0.7).map(|a| {
                format!(
                    "the header is close to `{}` but not close enough to be sure",
                    a.attribute
                )
            })
        })
    } else {
        None
    };
    let values_unlike = assigned.and_then(|(attr, _, _)| {
        state
            .unlike
            .into_iter()
            .find_map(|(a, reason)| (a == attr).then_some(reason))
    });
    ColumnMatch {
        index: col,
        letter: column_letter(col),
        header: header.to_owned(),
        attribute,
        tier,
        score: round3(score),
        alternatives,
        uncertain,
        values_unlike,
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
