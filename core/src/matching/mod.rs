//! Matching a roster's columns to a group's attributes.
//!
//! Every column is scored against every attribute by tier: the header equals the attribute's
//! key or label (exact), a saved mapping from an earlier upload (saved), an alias from the group
//! or from the multilingual lexicon (alias), similarity of the whole header (fuzzy), or the
//! column's values (content). Typed attributes must also be borne out by the values: a column
//! titled "Email" holding `Yes`/`No` is not assigned. Confident candidates are then assigned
//! one-to-one, best first; the rest are reported as ranked alternatives for the user to confirm.

mod assign;
mod findings;
mod lexicon;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use crate::values::text::{fold_value, normalize};
pub use assign::match_columns;
pub use findings::column_findings;

use crate::error::{Error, ErrorKind, Result};
use crate::group::{AttributeSpec, AttributeType, Schema, standard};
use crate::values::{date, email, number};

/// How a column came to be matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// The header is the attribute's key or label.
    Exact,
    /// A saved mapping from an earlier upload names this header.
    Saved,
    /// The header is one of the attribute's aliases, or a known title in a supported language.
    Alias,
    /// The header is similar enough to a title of the attribute.
    Fuzzy,
    /// The column's values identify the attribute.
    Content,
    /// The caller's mapping set this column.
    User,
    /// No match.
    None,
}

impl Tier {
    fn rank(self) -> u8 {
        match self {
            Tier::User => 0,
            Tier::Exact => 1,
            Tier::Saved => 2,
            Tier::Alias => 3,
            Tier::Fuzzy => 4,
            Tier::Content => 5,
            Tier::None => 6,
        }
    }
}

/// A candidate attribute for a column that was not chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alternative {
    /// Attribute key.
    pub attribute: String,
    /// Confidence between 0 and 1.
    pub score: f64,
    /// How the candidate was found.
    pub tier: Tier,
}

/// The outcome of matching one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ColumnMatch {
    /// 0-based column index.
    pub index: usize,
    /// Column letter as a spreadsheet shows it.
    pub letter: String,
    /// Header text as found.
    pub header: String,
    /// Attribute assigned, or `None` when the column is skipped or needs confirmation.
    pub attribute: Option<String>,
    /// How the assignment (or best candidate) was found.
    pub tier: Tier,
    /// Confidence of the assignment or best candidate, between 0 and 1.
    pub score: f64,
    /// Other candidates, best first.
    pub alternatives: Vec<Alternative>,
    /// Why a likely candidate was not assigned, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uncertain: Option<String>,
    /// For a column assigned because its header names the attribute although most sampled
    /// values do not look like the attribute's type: what the sample showed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values_unlike: Option<String>,
}

/// Mappings confirmed on earlier uploads: normalised header to attribute key (or `None` to skip).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedMappings(pub HashMap<String, Option<String>>);

impl SavedMappings {
    /// Remembers the columns of a confirmed mapping, keyed by normalised header.
    pub fn learn(&mut self, columns: &[ColumnMatch]) {
        for c in columns {
            let key = normalize(&c.header);
            if !key.is_empty() {
                self.0.insert(key, c.attribute.clone());
            }
        }
    }
}

/// A column mapping, as the user confirms it and as reports give it back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// One entry per column the mapping sets.
    pub columns: Vec<MappingEntry>,
}

/// One column of a [`Mapping`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingEntry {
    /// Column letter, e.g. `C`.
    pub column: String,
    /// Attribute key, or `None` (JSON `null`) to skip the column.
    pub attribute: Option<String>,
}

impl Mapping {
    /// A mapping of column letters to attribute keys (`None` skips the column).
    ///
    /// ```
    /// use conferral::matching::Mapping;
    /// let m = Mapping::of([("B", Some("email")), ("C", None)]);
    /// assert_eq!(m.columns[1].attribute, None);
    /// ```
    pub fn of<'a>(columns: impl IntoIterator<Item = (&'a str, Option<&'a str>)>) -> Mapping {
        Mapping {
            columns: columns
                .into_iter()
                .map(|(column, attribute)| MappingEntry {
                    column: column.to_owned(),
                    attribute: attribute.map(str::to_owned),
                })
                .collect(),
        }
    }

    /// Parses `{"columns": [{"column": "A", "attribute": "name"}, ...]}`.
    pub fn from_json(text: &str) -> Result<Mapping> {
        serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidMapping,
                format!("the mapping is not valid JSON of the form {{\"columns\": [{{\"column\": \"A\", \"attribute\": \"name\"}}]}} (line {}, column {})", e.line(), e.column()),
            )
            .with_source(e)
        })
    }

    /// The mapping in force for matched columns.
    pub fn from_columns(columns: &[ColumnMatch]) -> Mapping {
        Mapping {
            columns: columns
                .iter()
                .map(|c| MappingEntry {
                    column: c.letter.clone(),
                    attribute: c.attribute.clone(),
                })
                .collect(),
        }
    }
}

/// What a column's sampled values look like.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ContentProfile {
    /// Non-empty values sampled.
    pub values: usize,
    /// Share that are valid email addresses.
    pub email: f64,
    /// Share that read as dates.
    pub date: f64,
    /// Share that read as numbers.
    pub number: f64,
    /// Share that could be a person's name or part of one: text with a letter that is not
    /// a number, date, address or yes/no word.
    pub name: f64,
}

impl ContentProfile {
    /// Profiles sampled display values of a column.
    pub fn of<'a>(values: impl IntoIterator<Item = &'a str>) -> ContentProfile {
        let (mut n, mut e, mut d, mut num, mut names) = (0usize, 0usize, 0usize, 0usize, 0usize);
        for v in values.into_iter().map(str::trim).filter(|v| !v.is_empty()) {
            n += 1;
            let is_email = email::check(v).is_ok();
            let is_date = date::looks_like_date(v);
            let is_number = number::parse(v).is_some();
            e += usize::from(is_email);
            d += usize::from(is_date);
            num += usize::from(is_number);
            names += usize::from(
                !(is_email || is_date || is_number)
                    && v.chars().any(char::is_alphabetic)
                    && crate::values::text::parse_bool(v).is_none(),
            );
        }
        let share = |k: usize| if n == 0 { 0.0 } else { k as f64 / n as f64 };
        ContentProfile {
            values: n,
            email: share(e),
            date: share(d),
            number: share(num),
            name: share(names),
        }
    }
}

const AUTO_SCORE: f64 = 0.82;
/// The score of a header equal to one of an attribute's titles (key, label, alias).
const NAMED_SCORE: f64 = 0.95;
const MARGIN: f64 = 0.1;
const SUGGEST_SCORE: f64 = 0.5;
const MIN_EVIDENCE: usize = 3;

struct Title {
    text: String,
    tier: Tier,
    /// Where the title comes from: the score of a header equal to it.
    exact: f64,
    /// Whether a plural or role-qualified header may match it ("Emails", "Apprentice
    /// name"); concept titles match only as written ("Notes" is no grade).
    variants: bool,
}

/// The score of a header equal to a concept's title: above the standard lexicon's aliases,
/// so a custom attribute that means completion wins a completion date over the issue date.
const CONCEPT_SCORE: f64 = 0.96;
/// The score of a header that is a title once its role words or abbreviations are read.
const VARIANT_SCORE: f64 = 0.9;
/// The score of a one-letter slip (a swapped, missing or doubled letter) in a word of five
/// letters or more.
const SLIP_SCORE: f64 = 0.86;

/// Scores headers against a schema's attributes.
pub struct Matcher<'s> {
    schema: &'s Schema,
    titles: Vec<Vec<Title>>,
}

/// One scored (attribute, tier, score) for a header.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    /// Index of the attribute in the schema.
    pub attribute: usize,
    /// Tier of the match.
    pub tier: Tier,
    /// Confidence between 0 and 1.
    pub score: f64,
}

/// The distinct words of a normalised title.
fn distinct_words(s: &str) -> Vec<&str> {
    let mut words: Vec<&str> = s.split(' ').collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Similarity of two normalised titles: the better of the shared-word (Dice) score and the
/// edit similarity of the whole strings (optimal string alignment, so a swapped pair of
/// letters counts once). The edit distance is skipped when the lengths alone rule it out.
fn similarity(a: &str, b: &str, floor: f64) -> f64 {
    // Distinct words: "nombre nombre original" shares one word with "nombre", not two.
    let (words_a, words_b) = (distinct_words(a), distinct_words(b));
    let common = words_a.iter().filter(|t| words_b.contains(t)).count();
    let dice = 2.0 * common as f64 / (words_a.len() + words_b.len()) as f64;
    let (la, lb) = (a.chars().count(), b.chars().count());
    let longest = la.max(lb).max(1) as f64;
    let bound = 1.0 - la.abs_diff(lb) as f64 / longest;
    // Below `floor` the caller does not care how similar the strings are.
    if bound < dice.max(floor) {
        return dice;
    }
    let edit = 1.0 - strsim::osa_distance(a, b) as f64 / longest;
    edit.max(dice)
}

impl<'s> Matcher<'s> {
    /// Builds the titles of every attribute of `schema`.
    pub fn new(schema: &'s Schema) -> Matcher<'s> {
        let titles = schema
            .attributes
            .iter()
            .map(|attr| {
                let own = |text: String, tier: Tier, exact: f64| Title {
                    text,
                    tier,
                    exact,
                    variants: true,
                };
                let mut titles = vec![
                    own(normalize(&attr.key), Tier::Exact, 1.0),
                    own(normalize(&attr.label), Tier::Exact, 1.0),
                ];
                titles.extend(
                    attr.aliases
                        .iter()
                        .map(|a| own(normalize(a), Tier::Alias, NAMED_SCORE)),
                );
                if attr.standard
                    && let Some((_, aliases)) =
                        lexicon::ALIASES.iter().find(|(k, _)| *k == attr.key)
                {
                    titles.extend(
                        aliases
                            .iter()
                            .map(|a| own((*a).to_owned(), Tier::Alias, NAMED_SCORE)),
                    );
                }
                if !attr.standard {
                    // The concepts the attribute's own names stand for lend it their titles.
                    let names: Vec<String> = titles.iter().map(|t| t.text.clone()).collect();
                    for concept in lexicon::CONCEPTS
                        .iter()
                        .filter(|c| names.iter().any(|n| c.names.contains(&n.as_str())))
                    {
                        titles.extend(concept.titles.iter().map(|t| Title {
                            text: (*t).to_owned(),
                            tier: Tier::Alias,
                            exact: CONCEPT_SCORE,
                            variants: false,
                        }));
                    }
                }
                titles.retain(|t| !t.text.is_empty());
                titles
            })
            .collect();
        Matcher { schema, titles }
    }

    /// Every attribute's score for a header, best first, above the suggestion threshold.
    pub fn score(&self, header: &str) -> Vec<Score> {
        self.score_above(header, SUGGEST_SCORE)
    }

    /// Scores of at least `floor` (similarities below it may be left out).
    fn score_above(&self, header: &str, floor: f64) -> Vec<Score> {
        let h = normalize(header);
        if h.is_empty() {
            return Vec::new();
        }
        let veto = lexicon::has_veto(&h);
        // The header read without its role words, and with its abbreviations spelt out.
        let variants: Vec<String> = if veto {
            Vec::new()
        } else {
            let unframed = strip_frame(&h).unwrap_or_else(|| h.clone());
            let expanded = expand_abbreviations(&unframed);
            let mut v: Vec<String> = [strip_role(&unframed), strip_role(&expanded)]
                .into_iter()
                .flatten()
                .collect();
            for form in [unframed, expanded] {
                if form != h && !v.contains(&form) {
                    v.push(form);
                }
            }
            v
        };
        // A real word one letter from a title ("Attended") is no slip for it.
        let slips_allowed = !lexicon::NOT_SLIPS.contains(&h.as_str());
        let mut scores: Vec<Score> = Vec::new();
        for (attribute, titles) in self.titles.iter().enumerate() {
            let mut best: Option<Score> = None;
            let mut consider = |tier: Tier, score: f64| {
                let candidate = Score {
                    attribute,
                    tier,
                    score,
                };
                if best.is_none_or(|b| (tier.rank(), -score) < (b.tier.rank(), -b.score)) {
                    best = Some(candidate);
                }
            };
            for title in titles {
                if title.text == h {
                    consider(title.tier, title.exact);
                } else if variants.contains(&title.text)
                    || (title.variants && h.strip_suffix('s') == Some(title.text.as_str()))
                {
                    // Role words or abbreviations read ("Apprentice name", "CPD pts"), or a
                    // plural of the attribute's own title; a concept's title again ranks
                    // above the standard lexicon's.
                    let score = if title.variants {
                        VARIANT_SCORE
                    } else {
                        VARIANT_SCORE + 0.01
                    };
                    consider(Tier::Alias, score);
                } else if slips_allowed && title.variants {
                    // Concept titles match as written only: "Notes" is near "note" (a grade)
                    // without meaning it.
                    let mut s = similarity(&h, &title.text, floor);
                    if is_slip(&h, &title.text) {
                        s = s.max(SLIP_SCORE);
                    }
                    if s >= SUGGEST_SCORE {
                        // A qualifying word ("Manager email") rules out a similarity match.
                        consider(Tier::Fuzzy, if veto { s.min(SUGGEST_SCORE) } else { s });
                    }
                }
            }
            if let Some(b) = best {
                scores.push(b);
            }
        }
        scores.sort_by(|a, b| b.score.total_cmp(&a.score));
        scores
    }

    /// Whether a header would be assigned on its title alone (used to find the header row).
    pub fn is_confident(&self, header: &str) -> bool {
        self.confident_attribute(header).is_some()
    }

    /// The attribute (by schema position) a header names surely enough to be assigned on its
    /// title alone, if any.
    pub fn confident_attribute(&self, header: &str) -> Option<usize> {
        // A runner-up only matters within the margin of an automatic match.
        let scores = self.score_above(header, AUTO_SCORE - MARGIN);
        let (best, rest) = scores.split_first()?;
        (best.tier.rank() <= Tier::Alias.rank()
            || (best.score >= AUTO_SCORE
                && rest.first().is_none_or(|s| best.score - s.score >= MARGIN)))
        .then_some(best.attribute)
    }

    /// The schema the matcher scores against.
    pub fn schema(&self) -> &Schema {
        self.schema
    }
}

/// The header without the role it names: "apprentice name", "member name", "learner s
/// surname" and "name of attendee" are the name.
fn strip_role(h: &str) -> Option<String> {
    let words: Vec<&str> = h.split(' ').collect();
    let is_role = |w: &str| lexicon::ROLES.contains(&w);
    // "of" and its forms in the other languages, with their articles.
    let is_of = |w: &str| {
        matches!(
            w,
            "of" | "the"
                | "de"
                | "del"
                | "do"
                | "da"
                | "du"
                | "des"
                | "der"
                | "la"
                | "le"
                | "van"
                | "het"
        )
    };
    match words.as_slice() {
        [role, "s", rest @ ..] if is_role(role) && !rest.is_empty() => Some(rest.join(" ")),
        [role, rest @ ..] if is_role(role) && !rest.is_empty() => Some(rest.join(" ")),
        [title @ .., role] if is_role(role) && !title.is_empty() => {
            let mut title = title;
            while let [rest @ .., last] = title
                && is_of(last)
            {
                title = rest;
            }
            (!title.is_empty()).then(|| title.join(" "))
        }
        _ => None,
    }
}

/// The header without the words that only frame a title: "what s your first name",
/// "attributes course hours", "issued to last name".
fn strip_frame(h: &str) -> Option<String> {
    lexicon::FRAMES.iter().find_map(|frame| {
        h.strip_prefix(frame)
            .and_then(|rest| rest.strip_prefix(' '))
            .filter(|rest| !rest.is_empty())
            .map(str::to_owned)
    })
}

/// The header with each shortened word spelt out ("partic nm" is "participant name").
fn expand_abbreviations(h: &str) -> String {
    h.split(' ')
        .map(|w| {
            lexicon::ABBREVIATIONS
                .iter()
                .find(|(short, _)| *short == w)
                .map_or(w, |(_, long)| *long)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether one word is a slip of another of five letters or more with the same first letter:
/// two neighbouring letters swapped, or one letter missing or doubled.
fn is_slip(a: &str, b: &str) -> bool {
    // In titles of several words, exactly one word slipped and the others are the same.
    if a.contains(' ') || b.contains(' ') {
        let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
        if wa.len() != wb.len() {
            return false;
        }
        let differing: Vec<(&&str, &&str)> = wa.iter().zip(&wb).filter(|(x, y)| x != y).collect();
        return matches!(differing.as_slice(), [(x, y)] if is_slip(x, y));
    }
    let (la, lb) = (a.chars().count(), b.chars().count());
    // Short words and a different first letter ("name", "fname") are other words.
    if la.min(lb) < 5 || a.chars().next() != b.chars().next() {
        return false;
    }
    if strsim::osa_distance(a, b) != 1 {
        return false;
    }
    // A transposition is one OSA edit and two Levenshtein edits; a missing or extra letter
    // changes the length. A changed letter ("attended", "attendee") is no slip here.
    la != lb || strsim::levenshtein(a, b) == 2
}

fn type_supported(attribute: &AttributeSpec, profile: &ContentProfile) -> Result<(), String> {
    if profile.values < MIN_EVIDENCE {
        return Ok(());
    }
    let names = [standard::NAME, standard::FIRST_NAME, standard::LAST_NAME];
    let (share, what) = match attribute.kind {
        AttributeType::Text if attribute.standard && names.contains(&attribute.key.as_str()) => {
            (profile.name, "names")
        }
        AttributeType::Email => (profile.email, "email addresses"),
        // Values in another vocabulary ("Admis", "Geslaagd" for Pass) still mean the
        // attribute; numbers for an enum of words ("7,5" for a letter grade) do not.
        AttributeType::Enum
            if !attribute.values.is_empty()
                && attribute.values.iter().all(|v| number::parse(v).is_none()) =>
        {
            (1.0 - profile.number, "words rather than numbers")
        }
        AttributeType::Date => (profile.date.max(profile.number), "dates"),
        AttributeType::Number | AttributeType::Integer => (profile.number, "numbers"),
        _ => return Ok(()),
    };
    if share >= 0.5 {
        Ok(())
    } else if share == 0.0 {
        Err(format!("none of the sampled values looks like {what}"))
    } else {
        Err(format!(
            "only {:.0}% of the sampled values look like {what}",
            share * 100.0
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::Group;

    fn schema() -> Schema {
        let g = Group::from_json(
            r#"{"name":"t","attributes":[
            {"key":"grade","label":"Grade","type":"enum","values":["Pass","Merit"],"aliases":["result"]},
            {"key":"hours","label":"Course Hours","type":"number"}]}"#,
        );
        g.and_then(|g| g.schema())
            .unwrap_or_else(|e| unreachable!("{e}"))
    }

    fn attrs(headers: &[&str]) -> Vec<Option<String>> {
        let schema = schema();
        let matcher = Matcher::new(&schema);
        let headers: Vec<String> = headers.iter().map(|h| (*h).to_owned()).collect();
        let profiles = vec![ContentProfile::default(); headers.len()];
        match_columns(
            &matcher,
            &headers,
            &profiles,
            &SavedMappings::default(),
            None,
        )
        .map(|cols| cols.into_iter().map(|c| c.attribute).collect())
        .unwrap_or_default()
    }

    fn assignments(cols: &[ColumnMatch]) -> Vec<(Option<&str>, Tier)> {
        cols.iter()
            .map(|c| (c.attribute.as_deref(), c.tier))
            .collect()
    }

    fn keys(v: &[Option<&str>]) -> Vec<Option<String>> {
        v.iter().map(|k| k.map(str::to_owned)).collect()
    }

    #[test]
    fn multilingual_titles_match() {
        assert_eq!(
            attrs(&[
                "Vorname",
                "Nachname",
                "Courriel",
                "Fecha de emisión",
                "Gültig bis",
                "E-mail Address"
            ]),
            keys(&[
                Some("first_name"),
                Some("last_name"),
                Some("email"),
                Some("issued_on"),
                Some("expires_on"),
                None
            ])
        );
        assert_eq!(
            attrs(&[
                "Voornaam",
                "Achternaam",
                "E-mailadres",
                "Data de emissão",
                "Validade",
                "Result",
                "Course hours"
            ]),
            keys(&[
                Some("first_name"),
                Some("last_name"),
                Some("email"),
                Some("issued_on"),
                Some("expires_on"),
                Some("grade"),
                Some("hours")
            ])
        );
    }

    #[test]
    fn lookalikes_stay_unmapped() {
        assert_eq!(
            attrs(&[
                "Full Name",
                "Email",
                "Email consent",
                "Manager email",
                "Buyer Email",
                "Employee ID",
                "Registration date"
            ]),
            keys(&[Some("name"), Some("email"), None, None, None, None, None])
        );
    }

    #[test]
    fn first_and_last_are_not_swapped_and_typos_match() {
        assert_eq!(
            attrs(&["Last Name", "First Name", "Emial Adress"]),
            keys(&[Some("last_name"), Some("first_name"), Some("email")])
        );
    }

    #[test]
    fn content_vetoes_a_guessed_header_but_never_a_named_one() {
        let schema = schema();
        let matcher = Matcher::new(&schema);
        let emails = ["a@x.org", "b@y.org", "c@z.org"];
        let yes = ["Yes", "No", "Yes"];
        let profiles = vec![
            ContentProfile::default(),
            ContentProfile::of(emails),
            ContentProfile::of(yes),
        ];
        let run = |third: &str| {
            let headers: Vec<String> = ["Name", "SIS Login ID", third]
                .iter()
                .map(|s| (*s).to_owned())
                .collect();
            match_columns(
                &matcher,
                &headers,
                &profiles,
                &SavedMappings::default(),
                None,
            )
            .unwrap_or_default()
        };
        // A misspelt header is a guess: its yes/no values veto it, and the column of
        // addresses is the email.
        let guessed = run("Emial Adress");
        assert_eq!(
            assignments(&guessed),
            vec![
                (Some("name"), Tier::Exact),
                (Some("email"), Tier::Content),
                (None, Tier::None)
            ]
        );
        assert!(
            guessed[2]
                .uncertain
                .as_deref()
                .is_some_and(|u| u.contains("email addresses")),
            "{:?}",
            guessed[2]
        );
        // A header that names the attribute keeps it, and says what its values look like;
        // the column of addresses is then only a suggestion.
        let named = run("Email");
        assert_eq!(
            assignments(&named),
            vec![
                (Some("name"), Tier::Exact),
                (None, Tier::None),
                (Some("email"), Tier::Exact)
            ]
        );
        assert_eq!(
            named[2].values_unlike.as_deref(),
            Some("none of the sampled values looks like email addresses")
        );
        assert!(
            named[1]
                .uncertain
                .as_deref()
                .is_some_and(|u| u.contains("another column")),
            "{:?}",
            named[1]
        );
    }

    #[test]
    fn saved_and_forced_mappings_win() {
        let schema = schema();
        let matcher = Matcher::new(&schema);
        let headers: Vec<String> = ["Teilnehmende Person", "Adresse", "Note"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let profiles = vec![ContentProfile::default(); 3];
        let mut saved = SavedMappings::default();
        saved
            .0
            .insert("teilnehmende person".into(), Some("name".into()));
        let forced = Mapping::of([("B", Some("email")), ("C", None)]);
        let cols =
            match_columns(&matcher, &headers, &profiles, &saved, Some(&forced)).unwrap_or_default();
        let got = assignments(&cols);
        assert_eq!(
            got,
            vec![
                (Some("name"), Tier::Saved),
                (Some("email"), Tier::User),
                (None, Tier::User)
            ]
        );
        let bad = Mapping::of([("Z", Some("email"))]);
        assert_eq!(
            match_columns(&matcher, &headers, &profiles, &saved, Some(&bad))
                .map_err(|e| e.kind())
                .err(),
            Some(ErrorKind::InvalidMapping)
        );
    }
}
