//! Reading dates from text and from spreadsheet serial numbers.
//!
//! ISO dates (`2026-03-31`, also with `/` or `.`, or compact `20260331`), day and month
//! names in English, German, French, Spanish, Portuguese and Dutch (`3 March 2026`,
//! `März 3, 2026`), and numeric dates with `/`, `-` or `.` between day, month and a
//! four-digit year. Dots mean day-first. For `/` and `-` a value whose first part is over 12
//! can only be day-first, one whose second part is over 12 only month-first, and one with both
//! parts at most 12 is ambiguous: the caller decides per column from the other values.
//! Two-digit years are rejected rather than guessed. A trailing time is ignored.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// Order of the parts of a text date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateOrder {
    /// Day, month, year (`31/12/2026`).
    DayFirst,
    /// Month, day, year (`12/31/2026`).
    MonthFirst,
    /// Year, month, day (`2026-12-31`).
    YearFirst,
}

/// A parsed `date_format` such as `DD/MM/YYYY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateFormat {
    /// Order of the parts.
    pub order: DateOrder,
    /// Separator between the parts.
    pub separator: char,
}

impl DateFormat {
    /// Parses a format made of `DD` (or `D`), `MM` (or `M`) and `YYYY` joined by one separator.
    pub fn parse(text: &str) -> Option<DateFormat> {
        let upper = text.trim().to_ascii_uppercase();
        let separator = upper.chars().find(|c| !c.is_ascii_alphabetic())?;
        if !matches!(separator, '/' | '.' | '-' | ' ') {
            return None;
        }
        let parts: Vec<&str> = upper.split(separator).collect();
        let [a, b, c] = parts.as_slice() else {
            return None;
        };
        let kind = |p: &str| match p {
            "D" | "DD" => Some('d'),
            "M" | "MM" => Some('m'),
            "YYYY" => Some('y'),
            _ => None,
        };
        let order = match (kind(a)?, kind(b)?, kind(c)?) {
            ('d', 'm', 'y') => DateOrder::DayFirst,
            ('m', 'd', 'y') => DateOrder::MonthFirst,
            ('y', 'm', 'd') => DateOrder::YearFirst,
            _ => return None,
        };
        Some(DateFormat { order, separator })
    }

    /// The canonical spelling, e.g. `DD/MM/YYYY`.
    pub fn pattern(&self) -> String {
        let s = self.separator;
        match self.order {
            DateOrder::DayFirst => format!("DD{s}MM{s}YYYY"),
            DateOrder::MonthFirst => format!("MM{s}DD{s}YYYY"),
            DateOrder::YearFirst => format!("YYYY{s}MM{s}DD"),
        }
    }
}

/// Formats a date-time as `YYYY-MM-DD`, with the time only when there is one.
pub fn format_datetime(d: NaiveDateTime) -> String {
    if d.time() == chrono::NaiveTime::MIN {
        format_date(d.date())
    } else {
        d.format("%Y-%m-%d %H:%M:%S").to_string()
    }
}

/// Formats a date as `YYYY-MM-DD`.
pub fn format_date(d: NaiveDate) -> String {
    // Called for every date of every record: digits written by hand, not through `format!`.
    let (Ok(year @ 0..=9999), month, day) = (u32::try_from(d.year()), d.month(), d.day()) else {
        return format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day());
    };
    let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
    let mut out = String::with_capacity(10);
    out.extend([
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        '-',
        digit(month / 10),
        digit(month),
        '-',
        digit(day / 10),
        digit(day),
    ]);
    out
}

/// The outcome of reading one date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateParse {
    /// Exactly one reading.
    Date(NaiveDate),
    /// Only valid day-first (e.g. `13/04/2026`): evidence that the column is day-first.
    DayFirstOnly(NaiveDate),
    /// Only valid month-first (e.g. `04/13/2026`): evidence that the column is month-first.
    MonthFirstOnly(NaiveDate),
    /// Valid both ways (e.g. `03/04/2026`).
    Ambiguous {
        /// The day-first reading.
        day_first: NaiveDate,
        /// The month-first reading.
        month_first: NaiveDate,
    },
    /// Not a date; the reason.
    Invalid(&'static str),
}

impl DateParse {
    /// The reading for a column whose order is `order` (`None` while undecided).
    pub fn resolve(self, order: Option<DateOrder>) -> Option<NaiveDate> {
        match (self, order) {
            (DateParse::Date(d), _) => Some(d),
            (DateParse::DayFirstOnly(d), o) if o != Some(DateOrder::MonthFirst) => Some(d),
            (DateParse::MonthFirstOnly(d), o) if o != Some(DateOrder::DayFirst) => Some(d),
            (DateParse::Ambiguous { day_first, .. }, Some(DateOrder::DayFirst)) => Some(day_first),
            (DateParse::Ambiguous { month_first, .. }, Some(DateOrder::MonthFirst)) => {
                Some(month_first)
            }
            _ => None,
        }
    }
}

const MONTHS: &[(&str, u32)] = &[
    ("january", 1),
    ("jan", 1),
    ("januar", 1),
    ("janvier", 1),
    ("janv", 1),
    ("enero", 1),
    ("ene", 1),
    ("janeiro", 1),
    ("januari", 1),
    ("february", 2),
    ("feb", 2),
    ("februar", 2),
    ("fevrier", 2),
    ("fevr", 2),
    ("fev", 2),
    ("febrero", 2),
    ("fevereiro", 2),
    ("februari", 2),
    ("march", 3),
    ("mar", 3),
    ("marz", 3),
    ("mars", 3),
    ("marzo", 3),
    ("marco", 3),
    ("maart", 3),
    ("mrt", 3),
    ("april", 4),
    ("apr", 4),
    ("avril", 4),
    ("avr", 4),
    ("abril", 4),
    ("abr", 4),
    ("may", 5),
    ("mai", 5),
    ("mayo", 5),
    ("maio", 5),
    ("mei", 5),
    ("june", 6),
    ("jun", 6),
    ("juni", 6),
    ("juin", 6),
    ("junio", 6),
    ("junho", 6),
    ("july", 7),
    ("jul", 7),
    ("juli", 7),
    ("juillet", 7),
    ("juil", 7),
    ("julio", 7),
    ("julho", 7),
    ("august", 8),
    ("aug", 8),
    ("aout", 8),
    ("agosto", 8),
    ("ago", 8),
    ("augustus", 8),
    ("september", 9),
    ("sep", 9),
    ("sept", 9),
    ("septembre", 9),
    ("septiembre", 9),
    ("setembro", 9),
    ("set", 9),
    ("october", 10),
    ("oct", 10),
    ("oktober", 10),
    ("okt", 10),
    ("octobre", 10),
    ("octubre", 10),
    ("outubro", 10),
    ("out", 10),
    ("november", 11),
    ("nov", 11),
    ("novembre", 11),
    ("noviembre", 11),
    ("novembro", 11),
    ("december", 12),
    ("dec", 12),
    ("dezember", 12),
    ("dez", 12),
    ("decembre", 12),
    ("diciembre", 12),
    ("dic", 12),
    ("dezembro", 12),
];

/// The date of an Excel serial number in the 1900 date system (serial 1 is 1900-01-01).
///
/// Serial 60 is Excel's phantom 29 February 1900 and has no date.
pub fn from_serial(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as i64;
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    match days {
        60 => None,
        1..=59 => base.checked_add_days(chrono::Days::new(days as u64 + 1)),
        _ => base.checked_add_days(chrono::Days::new(days as u64)),
    }
}

fn ymd(y: i64, m: i64, d: i64) -> Option<NaiveDate> {
    let date = NaiveDate::from_ymd_opt(
        i32::try_from(y).ok()?,
        u32::try_from(m).ok()?,
        u32::try_from(d).ok()?,
    )?;
    (1900..=9999).contains(&date.year()).then_some(date)
}

/// Removes a trailing time (`14:05`, `2:05 PM`, `T10:00:00Z`).
fn strip_time(text: &str) -> &str {
    if let Some(t) = text.get(10..11)
        && (t == "T" || t == " ")
        && text
            .get(..4)
            .is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()))
    {
        return text.get(..10).unwrap_or(text);
    }
    if let Some((date, time)) = text.rsplit_once(' ') {
        let time = time.trim();
        let (date, time) = match time.to_ascii_lowercase().as_str() {
            "am" | "pm" => match date.rsplit_once(' ') {
                Some((d, t)) => (d, t),
                None => return text,
            },
            _ => (date, time),
        };
        if time.contains(':')
            && time
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b':' || b == b'.')
        {
            return date.trim_end_matches([',', ' ']);
        }
    }
    text
}

fn number(part: &str) -> Option<i64> {
    (!part.is_empty() && part.len() <= 4 && part.bytes().all(|b| b.is_ascii_digit()))
        .then(|| part.parse().ok())
        .flatten()
}

/// Two or four ASCII digits as a number.
fn digits(bytes: &[u8]) -> Option<i64> {
    bytes.iter().try_fold(0i64, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + i64::from(b - b'0'))
    })
}

/// The common shapes `YYYY-MM-DD` and `DD/MM/YYYY`, read without allocating.
fn fast_path(text: &[u8], format: Option<DateFormat>) -> Option<DateParse> {
    if text.len() != 10 {
        return None;
    }
    let (a, b, c) = (text.get(..2)?, text.get(3..5)?, text.get(6..)?);
    if text.get(4) == Some(&b'-') && text.get(7) == Some(&b'-') {
        let (y, m, d) = (
            digits(text.get(..4)?)?,
            digits(text.get(5..7)?)?,
            digits(text.get(8..)?)?,
        );
        return Some(ymd(y, m, d).map_or(
            DateParse::Invalid(
                "the day or month is out of range (for example 31 February or month 13)",
            ),
            DateParse::Date,
        ));
    }
    let sep = *text.get(2)?;
    if !matches!(sep, b'/' | b'.' | b'-') || text.get(5) != Some(&sep) {
        return None;
    }
    let (x, y, z) = (digits(a)?, digits(b)?, digits(c)?);
    Some(numeric(x, y, z, 2, 4, char::from(sep), format))
}

/// Reads a date from text. `format` fixes the order of numeric dates.
pub fn parse_text(raw: &str, format: Option<DateFormat>) -> DateParse {
    if let Some(parsed) = fast_path(super::trim(raw).as_bytes(), format) {
        return parsed;
    }
    let text = strip_time(raw.trim());
    if text.is_empty() {
        return DateParse::Invalid("the cell is empty");
    }
    let bytes = text.as_bytes();
    // Compact YYYYMMDD.
    if bytes.len() == 8
        && bytes.iter().all(u8::is_ascii_digit)
        && let (Some(y), Some(m), Some(d)) =
            (number(&text[..4]), number(&text[4..6]), number(&text[6..]))
        && let Some(date) = ymd(y, m, d)
    {
        return DateParse::Date(date);
    }
    let separator = text.chars().find(|c| matches!(c, '/' | '-' | '.'));
    if let Some(sep) = separator {
        let parts: Vec<&str> = text.split(sep).map(str::trim).collect();
        if let [a, b, c] = parts.as_slice()
            && let (Some(x), Some(y), Some(z)) = (number(a), number(b), number(c))
        {
            return numeric(x, y, z, a.len(), c.len(), sep, format);
        }
    }
    if let Some(parsed) = named_month(text) {
        return parsed;
    }
    if let Some(serial) = serial_text(text) {
        return serial;
    }
    DateParse::Invalid("the value is not a date")
}

fn numeric(
    x: i64,
    y: i64,
    z: i64,
    first_len: usize,
    last_len: usize,
    sep: char,
    format: Option<DateFormat>,
) -> DateParse {
    let invalid_day = "the day or month is out of range (for example 31 February or month 13)";
    if first_len == 4 {
        return ymd(x, y, z).map_or(DateParse::Invalid(invalid_day), DateParse::Date);
    }
    if last_len != 4 {
        return DateParse::Invalid(
            "the year has two digits; write all four (2026, not 26) so the century is certain",
        );
    }
    // Each reading is made only when it is asked for: a declared order or a `.` needs one.
    if let Some(f) = format {
        let date = match f.order {
            DateOrder::DayFirst => ymd(z, y, x),
            DateOrder::MonthFirst => ymd(z, x, y),
            DateOrder::YearFirst => None,
        };
        return date.map_or(
            DateParse::Invalid("the value does not fit the attribute's date format"),
            DateParse::Date,
        );
    }
    let day_first = ymd(z, y, x);
    if sep == '.' {
        return day_first.map_or(DateParse::Invalid(invalid_day), DateParse::Date);
    }
    let month_first = if x == y { day_first } else { ymd(z, x, y) };
    match (day_first, month_first) {
        (Some(d), Some(m)) if d == m => DateParse::Date(d),
        (Some(d), Some(m)) => DateParse::Ambiguous {
            day_first: d,
            month_first: m,
        },
        (Some(d), None) => DateParse::DayFirstOnly(d),
        (None, Some(m)) => DateParse::MonthFirstOnly(m),
        (None, None) => DateParse::Invalid(invalid_day),
    }
}

fn named_month(text: &str) -> Option<DateParse> {
    let folded = super::text::fold_value(text);
    let tokens: Vec<&str> = folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| {
            !t.is_empty()
                && !matches!(
                    *t,
                    "de" | "del" | "of" | "the" | "st" | "nd" | "rd" | "th" | "er"
                )
        })
        .collect();
    if tokens.len() != 3 {
        return None;
    }
    let month_at = tokens
        .iter()
        .position(|t| MONTHS.iter().any(|(name, _)| name == t))?;
    let month = MONTHS
        .iter()
        .find(|(name, _)| Some(name) == tokens.get(month_at))?
        .1;
    let numbers: Vec<&str> = tokens
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != month_at)
        .map(|(_, t)| t.trim_end_matches(|c: char| c.is_alphabetic()))
        .collect();
    let (year, day) = match numbers.as_slice() {
        [a, b] if a.len() == 4 => (number(a)?, number(b)?),
        [a, b] if b.len() == 4 => (number(b)?, number(a)?),
        [_, _] => {
            return Some(DateParse::Invalid(
                "the year has two digits; write all four (2026, not 26) so the century is certain",
            ));
        }
        _ => return None,
    };
    Some(ymd(year, i64::from(month), day).map_or(
        DateParse::Invalid("the day is out of range for the month"),
        DateParse::Date,
    ))
}

fn serial_text(text: &str) -> Option<DateParse> {
    let value: f64 = text.parse().ok()?;
    if value.fract() == 0.0 && (1900.0..=2200.0).contains(&value) {
        return Some(DateParse::Invalid("a year alone is not a date"));
    }
    Some(from_serial(value).map_or(
        DateParse::Invalid("the number is not a spreadsheet date serial"),
        DateParse::Date,
    ))
}

/// How a date read under a declared day/month order (`read`, from [`parse_text`] with that
/// order) reads without one, as far as a column's evidence goes: the kind [`parse_text`] with
/// no format gives (only a `.` date under a month-first order keeps the order's reading). A
/// date that fits the order is told apart by its digits instead of read again, since this
/// is asked of every date of such a column.
///
/// ```
/// use conferral::values::date::{DateFormat, DateOrder, parse_text, unordered};
/// let dmy = DateFormat::parse("DD/MM/YYYY");
/// for text in ["13/04/2026", "03/04/2026", "05/05/2026", "04/13/2026", "31/02/2026", "2026-04-03", "3.4.2026"] {
///     let read = parse_text(text, dmy);
///     assert_eq!(unordered(text, read, DateOrder::DayFirst), parse_text(text, None), "{text}");
/// }
/// ```
pub fn unordered(text: &str, read: DateParse, declared: DateOrder) -> DateParse {
    let DateParse::Date(date) = read else {
        return parse_text(text, None);
    };
    let trimmed = super::trim(text).as_bytes();
    if !plain_day_month(trimmed) {
        // An ISO or compact date reads the same either way; anything else (blanks around
        // the parts, say) is read again to be sure.
        return if trimmed
            .get(..4)
            .is_some_and(|y| y.iter().all(u8::is_ascii_digit))
        {
            read
        } else {
            parse_text(text, None)
        };
    }
    let (day, month) = (date.day(), date.month());
    // The first part as written: the day under a day-first order, the month otherwise.
    let (first_part, other_part) = match declared {
        DateOrder::MonthFirst => (month, day),
        _ => (day, month),
    };
    if first_part == other_part {
        return read;
    }
    // The other reading: the first part as the month when it was the day, and the reverse
    // (a first part over 12 is no month; otherwise both parts are at most 12, which every
    // month has as days).
    let other = (first_part <= 12)
        .then(|| NaiveDate::from_ymd_opt(date.year(), day, month))
        .flatten();
    match (declared, other) {
        (DateOrder::MonthFirst, None) => DateParse::MonthFirstOnly(date),
        (_, None) => DateParse::DayFirstOnly(date),
        (DateOrder::MonthFirst, Some(other)) => DateParse::Ambiguous {
            day_first: other,
            month_first: date,
        },
        (_, Some(other)) => DateParse::Ambiguous {
            day_first: date,
            month_first: other,
        },
    }
}

/// Whether text is `d/m/yyyy` to `ddd-mmm-yyyy` (one separator, `/` or `-`), a time after
/// the year or not: the form a reader may take either way.
fn plain_day_month(text: &[u8]) -> bool {
    let digits = |part: &[u8]| part.iter().all(u8::is_ascii_digit);
    let year = |rest: &[u8]| {
        rest.get(..4).is_some_and(digits) && rest.get(4).is_none_or(|b| !b.is_ascii_digit())
    };
    // `dd/mm/yyyy`, by far the most common, without splitting.
    if let [a, b, s1, c, d, s2, rest @ ..] = text
        && s1 == s2
        && matches!(s1, b'/' | b'-')
        && digits(&[*a, *b, *c, *d])
    {
        return year(rest);
    }
    let short = |part: &[u8]| (1..=3).contains(&part.len()) && digits(part);
    let mut parts = text.splitn(3, |&b| b == b'/' || b == b'-');
    let (Some(first), Some(second), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let same_separator = text.get(first.len()) == text.get(first.len() + second.len() + 1);
    short(first) && short(second) && same_separator && year(rest)
}

/// A numeric date written with `/` or `-` with its first two parts (day and month, in
/// either order) swapped; the separator, the digits as written and anything after the year
/// (a time) are kept: `04/13/2026` gives `13/04/2026`. `None` for any other form.
///
/// ```
/// use conferral::values::date::swap_day_month;
/// assert_eq!(swap_day_month(" 4/13/2026 ").as_deref(), Some("13/4/2026"));
/// assert_eq!(swap_day_month("03-04-2026 14:05").as_deref(), Some("04-03-2026 14:05"));
/// assert_eq!(swap_day_month("2026-04-03"), None);
/// assert_eq!(swap_day_month("3 April 2026"), None);
/// ```
pub fn swap_day_month(text: &str) -> Option<String> {
    let text = super::trim(text);
    let sep = text.chars().find(|c| matches!(c, '/' | '-' | '.'))?;
    if sep == '.' {
        return None;
    }
    let (first, rest) = text.split_once(sep)?;
    let (second, tail) = rest.split_once(sep)?;
    // Parts as the date reader takes them: blanks around each allowed.
    let (first, second, tail) = (first.trim(), second.trim(), tail.trim_start());
    let day_or_month =
        |part: &str| (1..=3).contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
    let year = tail
        .get(..4)
        .is_some_and(|y| y.bytes().all(|b| b.is_ascii_digit()))
        && tail
            .get(4..5)
            .is_none_or(|next| !next.bytes().all(|b| b.is_ascii_digit()));
    (day_or_month(first) && day_or_month(second) && year)
        .then(|| format!("{second}{sep}{first}{sep}{tail}"))
}

/// Whether text reads as a date (numbers alone do not count), for profiling a column.
pub fn looks_like_date(text: &str) -> bool {
    if text.trim().parse::<f64>().is_ok() && text.trim().len() != 8 {
        return false;
    }
    !matches!(parse_text(text, None), DateParse::Invalid(_))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_written_as_iso_for_every_year() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(format_date(d(2026, 3, 9)), "2026-03-09");
        assert_eq!(format_date(d(1, 12, 31)), "0001-12-31");
        assert_eq!(format_date(d(9999, 1, 1)), "9999-01-01");
        // Every date gives what the general formatting gives, beyond four-digit years too.
        let general = |x: NaiveDate| format!("{:04}-{:02}-{:02}", x.year(), x.month(), x.day());
        for (y, m, day) in [(10_000, 2, 29), (-44, 3, 15), (262_000, 6, 1), (0, 1, 1)] {
            assert_eq!(format_date(d(y, m, day)), general(d(y, m, day)));
        }
        let mut day = d(1999, 12, 1);
        for _ in 0..800 {
            assert_eq!(format_date(day), general(day));
            day = day.succ_opt().unwrap_or_default();
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn unambiguous_forms() {
        assert_eq!(
            parse_text("2026-03-31", None),
            DateParse::Date(d(2026, 3, 31))
        );
        assert_eq!(
            parse_text("2026-03-31T10:00:00Z", None),
            DateParse::Date(d(2026, 3, 31))
        );
        assert_eq!(
            parse_text("20260331", None),
            DateParse::Date(d(2026, 3, 31))
        );
        assert_eq!(
            parse_text("31.03.2026", None),
            DateParse::Date(d(2026, 3, 31))
        );
        assert_eq!(
            parse_text("3 March 2026", None),
            DateParse::Date(d(2026, 3, 3))
        );
        assert_eq!(
            parse_text("March 3rd, 2026", None),
            DateParse::Date(d(2026, 3, 3))
        );
        assert_eq!(
            parse_text("03-Mär-2026", None),
            DateParse::Date(d(2026, 3, 3))
        );
        assert_eq!(
            parse_text("3 de marzo de 2026", None),
            DateParse::Date(d(2026, 3, 3))
        );
        assert_eq!(parse_text("46112", None), DateParse::Date(d(2026, 3, 31)));
        assert_eq!(
            parse_text("11/03/2026 14:05", None),
            DateParse::Ambiguous {
                day_first: d(2026, 3, 11),
                month_first: d(2026, 11, 3)
            }
        );
        assert_eq!(parse_text("5/5/2026", None), DateParse::Date(d(2026, 5, 5)));
    }

    #[test]
    fn evidence_and_rejections() {
        assert_eq!(
            parse_text("13/04/2026", None),
            DateParse::DayFirstOnly(d(2026, 4, 13))
        );
        assert_eq!(
            parse_text("04/13/2026", None),
            DateParse::MonthFirstOnly(d(2026, 4, 13))
        );
        assert!(matches!(
            parse_text("31/02/2026", None),
            DateParse::Invalid(_)
        ));
        assert!(
            matches!(parse_text("03/04/26", None), DateParse::Invalid(m) if m.contains("two digits"))
        );
        assert!(
            matches!(parse_text("2026", None), DateParse::Invalid(m) if m.contains("year alone"))
        );
        assert!(matches!(parse_text("soon", None), DateParse::Invalid(_)));
        let dmy = DateFormat::parse("DD/MM/YYYY");
        assert_eq!(
            parse_text("03/04/2026", dmy),
            DateParse::Date(d(2026, 4, 3))
        );
        assert!(matches!(
            parse_text("04/13/2026", dmy),
            DateParse::Invalid(_)
        ));
    }

    #[test]
    fn serials_follow_excel() {
        assert_eq!(from_serial(1.0), Some(d(1900, 1, 1)));
        assert_eq!(from_serial(59.0), Some(d(1900, 2, 28)));
        assert_eq!(from_serial(60.0), None);
        assert_eq!(from_serial(61.0), Some(d(1900, 3, 1)));
        assert_eq!(from_serial(45943.541), Some(d(2025, 10, 13)));
        assert_eq!(from_serial(0.5), None);
    }
}
