//! What validating a run of rows collects, so runs validated apart (on several threads) merge
//! into the same result as one run.

use super::date::DateParse;
use crate::finding::{Finding, Severity};
use crate::fixes::{Changes, Fix, FixChange};
use crate::limits::parallel;
use crate::report::Records;
use crate::values::date::DateOrder;

/// Evidence about a text date column's order, and the dates of each kind that a
/// `swap_day_month` fix may list: day-first only, month-first only, either way.
#[derive(Debug, Clone, Default)]
pub(crate) struct DateEvidence {
    pub(super) listed: [Vec<(u64, String)>; 3],
    pub(super) day_first: u64,
    pub(super) day_first_example: Option<(u64, String)>,
    pub(super) month_first: u64,
    pub(super) month_first_example: Option<(u64, String)>,
    pub(super) ambiguous: u64,
    pub(super) ambiguous_example: Option<(u64, String)>,
}

impl DateEvidence {
    pub(super) fn merge(&mut self, other: DateEvidence, cap: usize) {
        for (mine, theirs) in self.listed.iter_mut().zip(other.listed) {
            let room = cap.saturating_sub(mine.len());
            mine.extend(theirs.into_iter().take(room));
        }
        self.day_first += other.day_first;
        self.month_first += other.month_first;
        self.ambiguous += other.ambiguous;
        if self.day_first_example.is_none() {
            self.day_first_example = other.day_first_example;
        }
        if self.month_first_example.is_none() {
            self.month_first_example = other.month_first_example;
        }
        if self.ambiguous_example.is_none() {
            self.ambiguous_example = other.ambiguous_example;
        }
    }

    /// Counts what one parsed date says about its column's order, keeping the first
    /// example of each kind for the message, and the first `cap` dates of the kinds a swap
    /// may rewrite (see [`crate::fixes::date_order`]): never those that can only be read in
    /// the order the group declares, nor, without a declared order, those read either way.
    pub(super) fn record(
        &mut self,
        parsed: &DateParse,
        row_no: u64,
        (declared, cap): (Option<DateOrder>, usize),
        display: impl Fn() -> String,
    ) {
        let (kind, count, example) = match parsed {
            DateParse::DayFirstOnly(_) => (0, &mut self.day_first, &mut self.day_first_example),
            DateParse::MonthFirstOnly(_) => {
                (1, &mut self.month_first, &mut self.month_first_example)
            }
            DateParse::Ambiguous { .. } => (2, &mut self.ambiguous, &mut self.ambiguous_example),
            _ => return,
        };
        *count += 1;
        let swappable = match kind {
            0 => declared != Some(DateOrder::DayFirst),
            1 => declared != Some(DateOrder::MonthFirst),
            _ => declared.is_some(),
        };
        let listed = self
            .listed
            .get_mut(kind)
            .filter(|l| swappable && l.len() < cap);
        if example.is_none() || listed.is_some() {
            let text = display();
            if let Some(listed) = listed {
                listed.push((row_no, text.clone()));
            }
            if example.is_none() {
                *example = Some((row_no, text));
            }
        }
    }

    /// The counts a `swap_day_month` fix is decided on.
    pub(super) fn counts(&self) -> crate::fixes::date_order::Counts {
        crate::fixes::date_order::Counts {
            day_first: self.day_first,
            month_first: self.month_first,
            ambiguous: self.ambiguous,
        }
    }

    pub(super) fn order(&self) -> Option<DateOrder> {
        match (self.day_first > 0, self.month_first > 0) {
            (true, false) => Some(DateOrder::DayFirst),
            (false, true) => Some(DateOrder::MonthFirst),
            _ => None,
        }
    }
}

/// The cells of each matched column whose `'` text marker was removed, by rule.
#[derive(Debug, Clone, Default)]
pub(crate) struct Markers {
    columns: Vec<ColumnMarkers>,
}

/// One column's cells whose `'` text marker was removed: how many, the first rows, and the
/// first value as the file holds it.
#[derive(Debug, Clone, Default)]
pub(super) struct ColumnMarkers {
    pub(super) count: u64,
    pub(super) rows: Vec<u64>,
    pub(super) example: Option<String>,
}

impl Markers {
    /// Rows listed in a column's finding; the others are counted.
    pub(super) const LISTED: usize = 3;

    /// Counts a cell of rule `rule` whose marker was removed.
    #[cold]
    pub(super) fn record(&mut self, rule: usize, row_no: u64, cell: crate::sheet::CellRef<'_>) {
        if self.columns.len() <= rule {
            self.columns.resize_with(rule + 1, ColumnMarkers::default);
        }
        if let Some(column) = self.columns.get_mut(rule) {
            column.count += 1;
            if column.rows.len() < Self::LISTED {
                column.rows.push(row_no);
            }
            if column.example.is_none() {
                column.example = Some(cell.display());
            }
        }
    }

    /// Appends a later run of rows.
    fn merge(&mut self, other: Markers) {
        if self.columns.len() < other.columns.len() {
            self.columns
                .resize_with(other.columns.len(), ColumnMarkers::default);
        }
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            mine.count += theirs.count;
            let room = Self::LISTED.saturating_sub(mine.rows.len());
            mine.rows.extend(theirs.rows.into_iter().take(room));
            if mine.example.is_none() {
                mine.example = theirs.example;
            }
        }
    }

    /// Each rule's markers, by rule index.
    pub(super) fn by_rule(&self) -> impl Iterator<Item = (usize, &ColumnMarkers)> {
        self.columns.iter().enumerate().filter(|(_, c)| c.count > 0)
    }
}

#[derive(Debug, Clone)]
pub(super) struct Pending {
    pub(super) row: u64,
    pub(super) dates: Vec<(usize, DateParse)>,
    /// The row's record among the accumulator's, when records are kept.
    pub(super) record: Option<usize>,
}

/// The findings of the rows, kept up to a cap: a value repeated down a long sheet, or a
/// column that is wrong in every row, would otherwise give a finding per row and hold
/// memory in proportion. What is not kept is still counted, by severity.
#[derive(Debug, Clone, Default)]
pub(crate) struct Findings {
    kept: Vec<Finding>,
    cap: usize,
    /// Warnings and errors found beyond the cap.
    pub(crate) omitted: (u64, u64),
    /// Errors pushed, kept or not: a row has an error when this grew while it was checked.
    errors: u64,
}

impl Findings {
    /// Keeps at most `cap` findings.
    pub(crate) fn capped(cap: usize) -> Findings {
        Findings {
            cap,
            ..Findings::default()
        }
    }

    /// Counts the finding, and keeps it while under the cap.
    pub(crate) fn push(&mut self, finding: Finding) {
        if finding.severity == Severity::Error {
            self.errors += 1;
        }
        self.keep(finding);
    }

    /// Keeps the finding while under the cap; counts it as omitted otherwise.
    fn keep(&mut self, finding: Finding) {
        if self.kept.len() < self.cap {
            self.kept.push(finding);
        } else if finding.severity == Severity::Warning {
            self.omitted.0 += 1;
        } else {
            self.omitted.1 += 1;
        }
    }

    /// How many errors were pushed so far, kept or not.
    pub(crate) fn errors(&self) -> u64 {
        self.errors
    }

    pub(crate) fn extend(&mut self, findings: impl IntoIterator<Item = Finding>) {
        for f in findings {
            self.push(f);
        }
    }

    /// Appends the findings of a later run of rows, under this cap.
    pub(crate) fn merge(&mut self, other: Findings) {
        self.omitted.0 += other.omitted.0;
        self.omitted.1 += other.omitted.1;
        // The other run counted its errors already.
        self.errors += other.errors;
        for f in other.kept {
            self.keep(f);
        }
    }

    pub(crate) fn sort_by(&mut self, order: impl FnMut(&Finding, &Finding) -> std::cmp::Ordering) {
        self.kept.sort_by(order);
    }

    /// The findings kept, and those beyond the cap as (warnings, errors).
    pub(crate) fn into_parts(self) -> (Vec<Finding>, (u64, u64)) {
        (self.kept, self.omitted)
    }
}

/// What validating a run of rows collected.
#[derive(Debug, Clone, Default)]
pub(crate) struct Acc {
    pub rows: u64,
    pub(super) invalid_rows: Vec<u64>,
    pub findings: Findings,
    /// Recipients' addresses, to find duplicate recipients.
    pub(super) emails: Keys,
    /// Credential ids given in the roster, which must be unique.
    pub(super) ids: Keys,
    pub(super) evidence: Vec<DateEvidence>,
    /// Cells whose `'` text marker was removed, by column.
    pub(super) markers: Markers,
    pub(super) pending: Vec<Pending>,
    pub(super) records: Records,
    /// Reused per row for the row's dates, so validation does not allocate.
    pub(super) scratch: Vec<(usize, DateParse)>,
    /// The cells fixes would change, by kind.
    pub(super) fixes: FixCandidates,
    /// How many changes each fix lists.
    pub(super) fix_cap: usize,
    /// Reused per row for the bytes its hash is taken over.
    pub(super) row_bytes: Vec<u8>,
}

/// What suggested fixes the rows call for, as the walk finds them (date swaps are in the
/// date evidence, repeated rows in the recipients' keys).
#[derive(Debug, Clone, Default)]
pub(super) struct FixCandidates {
    /// `collapse_blanks`, by rule.
    pub(super) blanks: Vec<Changes>,
    /// The rule's own value fix (`email_domain_typo` or `enum_case`, by its type), by rule.
    pub(super) values: Vec<Changes>,
    /// `split_name`.
    pub(super) split: Changes,
    /// `join_name`.
    pub(super) join: Changes,
}

impl FixCandidates {
    /// Counts a change of `rule` in `by_rule`, listing it while under `cap`.
    #[cold]
    pub(super) fn push(
        by_rule: &mut Vec<Changes>,
        rule: usize,
        cap: usize,
        change: impl FnOnce() -> FixChange,
    ) {
        if by_rule.len() <= rule {
            by_rule.resize_with(rule + 1, Changes::default);
        }
        if let Some(changes) = by_rule.get_mut(rule) {
            changes.push(cap, change);
        }
    }

    fn merge(&mut self, other: FixCandidates, cap: usize) {
        for (mine, theirs) in [
            (&mut self.blanks, other.blanks),
            (&mut self.values, other.values),
        ] {
            if mine.len() < theirs.len() {
                mine.resize_with(theirs.len(), Changes::default);
            }
            for (m, t) in mine.iter_mut().zip(theirs) {
                m.merge(t, cap);
            }
        }
        self.split.merge(other.split, cap);
        self.join.merge(other.join, cap);
    }
}

/// Which suggested fixes list as many changes as they may: the rows after need only count
/// theirs (see [`Acc::count_only`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FullLists {
    blanks: Vec<bool>,
    values: Vec<bool>,
    split: bool,
    join: bool,
}

/// A hashed value, the row it came from, and a second hash (the whole row's, for recipients).
type KeyEntry = (u128, u64, u64);

/// Below this many entries the repeated values are found by sorting them all.
const FILTER_FROM: usize = 4_096;

/// Buckets of the filter per entry: a power of two, so that a unique value shares its
/// bucket with another value about once in this many times.
const BUCKETS_PER_ENTRY: usize = 8;

/// Hashed values with the rows they came from and a second hash each (the whole row's, for
/// recipients), for finding rows that share a value.
///
/// The keys are held in runs of at most [`RUN`] entries, allocated whole: a run never grows
/// by copying, and runs are kept apart rather than put together in a new list, which would
/// hold every key twice at the peak (32 MB more for a million recipients). Most values are
/// unique, so [`Keys::repeated`] does not sort them all: a filter of two bits per bucket
/// finds the values whose bucket is hit twice, and only those are sorted.
#[derive(Debug, Clone, Default)]
pub(super) struct Keys {
    runs: Vec<Vec<KeyEntry>>,
}

/// Entries per run of keys (125 KiB: allocators serve blocks from 128 KiB on with a mapping
/// of their own, made and unmade by the kernel).
const RUN: usize = 4_000;

impl Keys {
    pub(super) fn push(&mut self, key: u128, row: u64, payload: u64) {
        match self.runs.last_mut() {
            Some(run) if run.len() < RUN => run.push((key, row, payload)),
            _ => {
                let mut run = Vec::with_capacity(RUN);
                run.push((key, row, payload));
                self.runs.push(run);
            }
        }
    }

    /// Appends a later run of rows.
    pub(super) fn merge(&mut self, other: Keys) {
        // A part's last run is rarely full: what it does not use is given back.
        self.runs.extend(
            other
                .runs
                .into_iter()
                .filter(|r| !r.is_empty())
                .map(|mut r| {
                    r.shrink_to_fit();
                    r
                }),
        );
    }

    /// The rows of each value found in more than one row, in row order, each with its
    /// second hash; the groups in the order of their values' hashes.
    ///
    /// With two threads or more and many keys, the values are split in two by the top bit of
    /// their hash, and each half is filtered and sorted on a thread of its own: every value
    /// of the first half sorts before every value of the second, so the groups come out in
    /// the same order.
    pub(super) fn repeated(self, threads: usize) -> Vec<Vec<(u64, u64)>> {
        let total: usize = self.runs.iter().map(Vec::len).sum();
        let halves = if total < FILTER_FROM {
            let mut all: Vec<KeyEntry> = self.runs.into_iter().flatten().collect();
            all.sort_unstable();
            [all, Vec::new()]
        } else if threads < 2 || total < SPLIT_FROM {
            [candidates(&self.runs, total, None), Vec::new()]
        } else {
            let runs = &self.runs;
            let half = |upper: bool| candidates(runs, total / 2, Some(upper));
            let ((lower, upper), theirs) = parallel::fork_join(
                1,
                |_| half(true),
                |unstarted| (half(false), (!unstarted.is_empty()).then(|| half(true))),
            );
            let upper = upper
                .or_else(|| theirs.into_iter().next().map(|(_, half)| half))
                .unwrap_or_default();
            [lower, upper]
        };
        halves
            .iter()
            .flat_map(|sorted| sorted.chunk_by(|a, b| a.0 == b.0))
            .filter(|group| group.len() > 1)
            .map(|group| group.iter().map(|e| (e.1, e.2)).collect())
            .collect()
    }
}

/// Keys from which [`Keys::repeated`] splits its work in two.
const SPLIT_FROM: usize = 1 << 16;

/// The keys whose bucket in a filter sized for `count` keys is hit twice (the values that
/// may repeat), sorted; of one half of the values by their hash's top bit, when given.
fn candidates(runs: &[Vec<KeyEntry>], count: usize, half: Option<bool>) -> Vec<KeyEntry> {
    let in_half = |key: u128| half.is_none_or(|upper| (key >> 127 == 1) == upper);
    let mut filter = BucketFilter::new(count.saturating_mul(BUCKETS_PER_ENTRY).next_power_of_two());
    for &(key, _, _) in runs.iter().flatten() {
        if in_half(key) {
            filter.add(key);
        }
    }
    let mut kept: Vec<KeyEntry> = runs
        .iter()
        .flatten()
        .filter(|e| in_half(e.0) && filter.hit_twice(e.0))
        .copied()
        .collect();
    drop(filter);
    kept.sort_unstable();
    kept
}

/// Two bits per bucket, a bucket per value by the low bits of its hash: whether a value
/// fell into it, and whether a second one did.
struct BucketFilter {
    once: Vec<u64>,
    twice: Vec<u64>,
    mask: usize,
}

impl BucketFilter {
    /// `buckets` is a power of two.
    fn new(buckets: usize) -> BucketFilter {
        let words = buckets.div_ceil(64).max(1);
        BucketFilter {
            once: vec![0; words],
            twice: vec![0; words],
            mask: words * 64 - 1,
        }
    }

    fn slot(&self, key: u128) -> (usize, u64) {
        let bucket = (key as usize) & self.mask;
        (bucket / 64, 1 << (bucket % 64))
    }

    fn add(&mut self, key: u128) {
        let (word, bit) = self.slot(key);
        if let (Some(once), Some(twice)) = (self.once.get_mut(word), self.twice.get_mut(word)) {
            if *once & bit != 0 {
                *twice |= bit;
            } else {
                *once |= bit;
            }
        }
    }

    fn hit_twice(&self, key: u128) -> bool {
        let (word, bit) = self.slot(key);
        self.twice.get(word).is_some_and(|w| w & bit != 0)
    }
}

impl Acc {
    /// The fixes whose lists are full in what this accumulator holds.
    pub(crate) fn full_lists(&self) -> FullLists {
        let full = |changes: &Changes| changes.listed.len() >= self.fix_cap;
        FullLists {
            blanks: self.fixes.blanks.iter().map(full).collect(),
            values: self.fixes.values.iter().map(full).collect(),
            split: full(&self.fixes.split),
            join: full(&self.fixes.join),
        }
    }

    /// Makes this accumulator, for rows that follow those `full` was taken from, count the
    /// changes of the fixes listed in full there without building them: merged after those
    /// rows, they would not be listed.
    pub(crate) fn count_only(&mut self, full: &FullLists) {
        for (mine, full) in [
            (&mut self.fixes.blanks, &full.blanks),
            (&mut self.fixes.values, &full.values),
        ] {
            if mine.len() < full.len() {
                mine.resize_with(full.len(), Changes::default);
            }
            for (changes, &full) in mine.iter_mut().zip(full) {
                changes.closed = full;
            }
        }
        self.fixes.split.closed = full.split;
        self.fixes.join.closed = full.join;
    }

    /// Appends a later run of rows.
    pub fn merge(&mut self, other: Acc) {
        self.rows += other.rows;
        self.invalid_rows.extend(other.invalid_rows);
        self.findings.merge(other.findings);
        self.emails.merge(other.emails);
        self.ids.merge(other.ids);
        if self.evidence.len() < other.evidence.len() {
            self.evidence
                .resize_with(other.evidence.len(), DateEvidence::default);
        }
        for (mine, theirs) in self.evidence.iter_mut().zip(other.evidence) {
            mine.merge(theirs, self.fix_cap);
        }
        self.fixes.merge(other.fixes, self.fix_cap);
        self.markers.merge(other.markers);
        // The later run's records follow these: so do the indexes of its waiting rows.
        let shift = self.records.len();
        self.pending
            .extend(other.pending.into_iter().map(|mut pending| {
                if let Some(index) = &mut pending.record {
                    *index += shift;
                }
                pending
            }));
        self.records.append(other.records);
    }
}

/// The outcome of [`Plan::finish`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Outcome {
    pub rows: u64,
    pub invalid: u64,
    pub findings: Vec<Finding>,
    /// Findings beyond the cap, counted but not kept: (warnings, errors).
    pub omitted: (u64, u64),
    pub records: Records,
    /// The fixes the rows call for.
    pub fixes: Vec<Fix>,
}

#[cfg(test)]
mod tests {
    use super::{KeyEntry, Keys};

    /// Entries of `n` rows whose keys repeat every so often.
    fn entries(n: u64) -> Vec<KeyEntry> {
        (0..n)
            .map(|row| {
                let value = if row % 7 == 0 { row % 13 } else { row * 31 };
                (
                    xxhash_rust::xxh3::xxh3_128(&value.to_le_bytes()),
                    row,
                    row % 3,
                )
            })
            .collect()
    }

    /// The groups of one sorted list, as the check would find them with a single thread.
    fn expected(all: &[KeyEntry]) -> Vec<Vec<(u64, u64)>> {
        let mut sorted = all.to_vec();
        sorted.sort_unstable();
        sorted
            .chunk_by(|a, b| a.0 == b.0)
            .filter(|g| g.len() > 1)
            .map(|g| g.iter().map(|e| (e.1, e.2)).collect())
            .collect()
    }

    #[test]
    fn runs_give_the_groups_of_one_sorted_list() {
        let all = entries(5_000);
        assert!(!expected(&all).is_empty());
        for parts in [1, 2, 3, 8, 9, 40] {
            let mut keys = Keys::default();
            for chunk in all.chunks(all.len().div_ceil(parts)) {
                let mut run = Keys::default();
                for &(key, row, payload) in chunk {
                    run.push(key, row, payload);
                }
                keys.merge(run);
            }
            keys.merge(Keys::default());
            assert_eq!(keys.repeated(1), expected(&all), "{parts} runs");
        }
        assert!(Keys::default().repeated(1).is_empty());
    }

    #[test]
    fn halves_on_two_threads_give_the_groups_in_the_same_order() {
        let all = entries(3 * super::SPLIT_FROM as u64);
        let groups = expected(&all);
        // Values of both halves repeat.
        let mut sorted = all.clone();
        sorted.sort_unstable();
        let halves = |upper: bool| {
            sorted
                .chunk_by(|a, b| a.0 == b.0)
                .filter(|g| g.len() > 1 && (g[0].0 >> 127 == 1) == upper)
                .count()
        };
        assert!(
            halves(false) >= 2 && halves(true) >= 2,
            "{} {}",
            halves(false),
            halves(true)
        );
        for threads in [2, 3] {
            let mut keys = Keys::default();
            for chunk in all.chunks(50_000) {
                let mut run = Keys::default();
                for &(key, row, payload) in chunk {
                    run.push(key, row, payload);
                }
                keys.merge(run);
            }
            assert_eq!(keys.repeated(threads), groups, "{threads} threads");
        }
    }

    #[test]
    fn small_sets_and_shared_buckets_give_the_groups_of_one_sorted_list() {
        // Under the filter's threshold: everything sorted.
        let few = entries(1_000);
        let mut keys = Keys::default();
        for &(key, row, payload) in &few {
            keys.push(key, row, payload);
        }
        assert_eq!(keys.repeated(1), expected(&few));
        // Values that share their low bits (so their bucket) but differ above them are
        // candidates of the filter and still not reported together.
        let mut crowded: Vec<KeyEntry> = (0..10_000u64)
            .map(|row| (u128::from(row % 5) << 100 | 7, row, 0))
            .collect();
        crowded.extend((0..10_000u64).map(|row| (u128::from(row) << 64 | 9, 20_000 + row, 1)));
        let mut keys = Keys::default();
        for &(key, row, payload) in &crowded {
            keys.push(key, row, payload);
        }
        let groups = keys.repeated(1);
        assert_eq!(groups.len(), 5);
        assert_eq!(groups, expected(&crowded));
        assert!(groups.iter().all(|g| g.len() == 2_000));
    }
}
