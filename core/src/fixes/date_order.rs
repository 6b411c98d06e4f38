//! The rule of `swap_day_month`: which dates of a column are rewritten with day and month
//! swapped, decided on the same evidence that settles a column's order in validation.
//!
//! Numeric dates written with `/` or `-` fall in three kinds (see
//! [`DateParse`](crate::values::date::DateParse)): those that can only be read day-first
//! (`13/04/2026`), those that can only be read month-first (`04/13/2026`), and those that read
//! either way (`03/04/2026`). A column is *written* in one order when the dates that can only
//! be read that way are at least [`DECISIVE`] times as many as those that can only be read the
//! other way (and there is at least one); otherwise the evidence is ambiguous and nothing is
//! suggested. The order the dates are *wanted* in is the group's `date_format` when it gives
//! one, else the order the column is written in. Then:
//!
//! - written as wanted: the few dates that can only be read the other way are rewritten in
//!   the column's order. Each keeps its meaning (`04/13/2026` can only be 13 April, and
//!   becomes `13/04/2026`), and the column reads one way.
//! - written in the other order than the group's `date_format`: every date whose two
//!   readings differ is rewritten, those that could be read either way included, since the
//!   group's format reads those as the wrong day.

use crate::group::DateFormat;
use crate::values::date::DateOrder;

/// How many times more dates that can only be read one way than the other make that way the
/// column's order.
pub const DECISIVE: u64 = 3;

/// A date column's numeric dates by kind: how many can only be read day-first, only
/// month-first, and either way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Dates that can only be read day-first.
    pub day_first: u64,
    /// Dates that can only be read month-first.
    pub month_first: u64,
    /// Dates that read either way, as two different days.
    pub ambiguous: u64,
}

/// A column's swap: the order it is written in and the order its dates are rewritten in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Swap {
    /// The order the column's evidence says it is written in.
    pub written: DateOrder,
    /// The order the dates are rewritten in.
    pub wanted: DateOrder,
}

impl Swap {
    /// Whether the dates that can only be read in `order` are rewritten.
    pub fn swaps_only(self, order: DateOrder) -> bool {
        order != self.wanted
    }

    /// Whether the dates that read either way are rewritten.
    pub fn swaps_ambiguous(self) -> bool {
        self.written != self.wanted
    }

    /// How many of a column's dates this swap rewrites.
    pub fn swapped(self, counts: Counts) -> u64 {
        let only = |order, count| if self.swaps_only(order) { count } else { 0 };
        only(DateOrder::DayFirst, counts.day_first)
            + only(DateOrder::MonthFirst, counts.month_first)
            + if self.swaps_ambiguous() {
                counts.ambiguous
            } else {
                0
            }
    }
}

/// The order a column's evidence says it is written in; `None` when it is ambiguous.
///
/// ```
/// use conferral::fixes::date_order::{Counts, written};
/// use conferral::values::date::DateOrder;
/// let counts = |day_first, month_first| Counts { day_first, month_first, ambiguous: 9 };
/// assert_eq!(written(counts(40, 2)), Some(DateOrder::DayFirst));
/// assert_eq!(written(counts(1, 0)), Some(DateOrder::DayFirst));
/// assert_eq!(written(counts(0, 3)), Some(DateOrder::MonthFirst));
/// assert_eq!(written(counts(5, 4)), None);
/// assert_eq!(written(counts(0, 0)), None);
/// ```
pub fn written(counts: Counts) -> Option<DateOrder> {
    let (d, m) = (counts.day_first, counts.month_first);
    if d > m && d >= m.saturating_mul(DECISIVE) {
        Some(DateOrder::DayFirst)
    } else if m > d && m >= d.saturating_mul(DECISIVE) {
        Some(DateOrder::MonthFirst)
    } else {
        None
    }
}

/// The swap a column calls for, given the order the group declares (`date_format`), if any;
/// `None` when the evidence is ambiguous, the group's format is year-first, or no date
/// would change.
pub fn decide(declared: Option<DateOrder>, counts: Counts) -> Option<Swap> {
    let written = written(counts)?;
    let wanted = match declared {
        None => written,
        Some(DateOrder::YearFirst) => return None,
        Some(order) => order,
    };
    let swap = Swap { written, wanted };
    (swap.swapped(counts) > 0).then_some(swap)
}

fn order_name(order: DateOrder) -> &'static str {
    match order {
        DateOrder::DayFirst => "day-first",
        DateOrder::MonthFirst => "month-first",
        DateOrder::YearFirst => "year-first",
    }
}

/// What a column's evidence and its swap are, in words, for the fix's message.
pub(crate) struct Explained<'a> {
    pub label: &'a str,
    pub letter: &'a str,
    pub declared: Option<DateFormat>,
    pub counts: Counts,
    pub swap: Swap,
    /// The first date of each kind with its row: day-first only, month-first only, either way.
    pub examples: [Option<(u64, &'a str)>; 3],
    /// The first change, quoted (`` `04/13/2026` in C9 becomes `13/04/2026` ``).
    pub first_change: String,
}

impl Explained<'_> {
    fn kind(&self, order: DateOrder) -> String {
        let [day_first, month_first, _] = self.examples;
        let (count, example) = match order {
            DateOrder::DayFirst => (self.counts.day_first, day_first),
            _ => (self.counts.month_first, month_first),
        };
        let example = example
            .map(|(row, text)| format!(" (such as `{text}` in {}{row})", self.letter))
            .unwrap_or_default();
        format!("{count} can only be read {}{example}", order_name(order))
    }

    /// The message: what the column holds, what is rewritten, and why that keeps the dates.
    pub(crate) fn message(&self) -> String {
        let Swap { written, wanted } = self.swap;
        let opposite = |order| match order {
            DateOrder::DayFirst => DateOrder::MonthFirst,
            _ => DateOrder::DayFirst,
        };
        let other = opposite(wanted);
        let evidence = format!(
            "of its dates, {} and {}",
            self.kind(written),
            self.kind(opposite(written))
        );
        let count = self.swap.swapped(self.counts);
        match self.declared {
            Some(format) if written != wanted => format!(
                "{} (column {}) is written {} although the group's date_format is {}: {evidence}. Day and month are swapped in {count} date(s), the {} that could be read either way included, since {} reads those as the wrong day; {}",
                self.label,
                self.letter,
                order_name(written),
                format.pattern(),
                self.counts.ambiguous,
                format.pattern(),
                self.first_change
            ),
            Some(format) => format!(
                "{} (column {}) is {} (the group's date_format), as most of it is written: {evidence}. The {count} date(s) that can only be read {} are written {} with day and month swapped, which keeps each date; {}",
                self.label,
                self.letter,
                format.pattern(),
                order_name(other),
                order_name(wanted),
                self.first_change
            ),
            None => format!(
                "{} (column {}) is written {}: {evidence}. The {count} date(s) that can only be read {} are written {} with day and month swapped, which keeps each date, so the column reads one way; {}",
                self.label,
                self.letter,
                order_name(written),
                order_name(other),
                order_name(wanted),
                self.first_change
            ),
        }
    }
}
