//! Property tests of the leaf value rules: dates, email addresses, numbers and CSV dialects.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use chrono::{Datelike, NaiveDate};
use conferral::group::{DateFormat, DateOrder};
use conferral::sheet::dialect::sniff;
use conferral::values::date::{DateParse, format_date, parse_text, swap_day_month, unordered};
use conferral::values::text::{collapse_blanks, needs_collapse};
use conferral::values::{email, number};
use proptest::prelude::*;

fn date() -> impl Strategy<Value = NaiveDate> {
    (1900i32..=9999, 1u32..=366).prop_map(|(y, ordinal)| {
        NaiveDate::from_yo_opt(y, ordinal)
            .or_else(|| NaiveDate::from_yo_opt(y, 365))
            .expect("every year has 365 days")
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn a_date_read_under_an_order_tells_its_kind_as_a_reader_without_one_would(
        d in date(),
        order in prop::sample::select(vec![DateOrder::DayFirst, DateOrder::MonthFirst]),
        sep in prop::sample::select(vec!['/', '-']),
        padded in any::<bool>(),
        time in prop::sample::select(vec!["", " 14:05", ", 2:05 PM"]),
    ) {
        let (first, second) = match order {
            DateOrder::MonthFirst => (d.month(), d.day()),
            _ => (d.day(), d.month()),
        };
        let text = if padded {
            format!("{first:02}{sep}{second:02}{sep}{}{time}", d.year())
        } else {
            format!("{first}{sep}{second}{sep}{}{time}", d.year())
        };
        let format = DateFormat { order, separator: sep };
        let read = parse_text(&text, Some(format));
        prop_assert_eq!(read, DateParse::Date(d));
        prop_assert_eq!(unordered(&text, read, order), parse_text(&text, None), "{}", text);
        // Written the other way round, the date swaps back to the same day.
        let swapped = swap_day_month(&text).expect("a plain numeric date");
        let other = DateFormat { order: match order { DateOrder::DayFirst => DateOrder::MonthFirst, _ => DateOrder::DayFirst }, separator: sep };
        prop_assert_eq!(parse_text(&swapped, Some(other)), DateParse::Date(d));
        prop_assert_eq!(swap_day_month(&swapped), Some(text.clone()));
    }

    #[test]
    fn blanks_need_collapsing_exactly_when_collapsing_changes_the_text(
        text in "[ a\\t\\n\u{a0}\u{3000}é]{0,12}",
    ) {
        prop_assert_eq!(needs_collapse(&text), collapse_blanks(&text) != text, "{:?}", text);
        let collapsed = collapse_blanks(&text);
        prop_assert!(!needs_collapse(&collapsed), "{:?}", collapsed);
    }

    #[test]
    fn iso_dates_read_back_as_written(d in date(), sep in prop::sample::select(vec!['-', '/', '.'])) {
        let text = format!("{:04}{sep}{:02}{sep}{:02}", d.year(), d.month(), d.day());
        prop_assert_eq!(parse_text(&text, None), DateParse::Date(d));
        prop_assert_eq!(format_date(d), d.format("%Y-%m-%d").to_string());
    }

    #[test]
    fn numeric_dates_follow_the_group_format_or_say_they_are_ambiguous(d in date()) {
        let (day, month, year) = (d.day(), d.month(), d.year());
        let day_first = format!("{day:02}/{month:02}/{year}");
        let format = DateFormat { order: DateOrder::DayFirst, separator: '/' };
        prop_assert_eq!(parse_text(&day_first, Some(format)).resolve(None), Some(d));
        let unformatted = parse_text(&day_first, None);
        match (day > 12, day == month) {
            // Only one reading exists: a day over 12, or the same number twice.
            (true, _) => prop_assert_eq!(unformatted, DateParse::DayFirstOnly(d)),
            (false, true) => prop_assert_eq!(unformatted.resolve(None), Some(d)),
            (false, false) => {
                let swapped = NaiveDate::from_ymd_opt(year, day, month).expect("both are at most 12");
                prop_assert_eq!(
                    unformatted,
                    DateParse::Ambiguous { day_first: d, month_first: swapped }
                );
            }
        }
        // Dots mean day-first.
        let dotted = format!("{day}.{month}.{year}");
        prop_assert_eq!(parse_text(&dotted, None).resolve(None), Some(d));
    }

    #[test]
    fn two_digit_years_and_impossible_days_are_never_dates(
        d in 1u32..=31, m in 1u32..=12, yy in 0u32..100, bad_day in 32u32..100,
    ) {
        let short = format!("{d:02}/{m:02}/{yy:02}");
        prop_assert!(matches!(parse_text(&short, None), DateParse::Invalid(_)), "{}", short);
        let impossible = format!("2026-{m:02}-{bad_day}");
        prop_assert!(matches!(parse_text(&impossible, None), DateParse::Invalid(_)), "{}", impossible);
    }

    #[test]
    fn valid_addresses_are_kept_with_the_domain_in_lowercase(
        local in "[A-Za-z0-9][A-Za-z0-9_+-]{0,10}(\\.[A-Za-z0-9_+-]{1,8}){0,2}",
        labels in prop::collection::vec("[A-Za-z0-9]([A-Za-z0-9-]{0,8}[A-Za-z0-9])?", 1..3),
        tld in "[A-Za-z]{2,6}",
        padding in prop::sample::select(vec!["", " ", "\u{a0}", "mailto:"]),
    ) {
        let domain = format!("{}.{tld}", labels.join("."));
        let written = format!("{padding}{local}@{domain}");
        let address = email::parse(&written).map_err(|p| TestCaseError::fail(format!("{written}: {}", p.message)))?;
        prop_assert_eq!(address.normalized(), format!("{local}@{}", domain.to_lowercase()));
        // The same person however the address is capitalised.
        let (upper, lower) = (written.to_uppercase(), written.to_lowercase());
        let hash = |text: &str| email::parse(text).map(|a| a.duplicate_hash()).map_err(|p| TestCaseError::fail(p.message));
        prop_assert_eq!(hash(&upper)?, hash(&lower)?);
    }

    #[test]
    fn broken_addresses_are_refused(
        local in "[a-z]{1,8}",
        domain in "[a-z]{1,8}\\.[a-z]{2,4}",
        breakage in 0usize..7,
    ) {
        let written = match breakage {
            0 => format!("{local}@@{domain}"),
            1 => format!("{local} x@{domain}"),
            2 => format!("{local}@{domain}, other@{domain}"),
            3 => format!(".{local}@{domain}"),
            4 => format!("{local}..x@{domain}"),
            5 => format!("{local}@{}", domain.replace('.', "")),
            _ => format!("{local}@-{domain}"),
        };
        prop_assert!(email::parse(&written).is_err(), "{} was accepted", written);
    }

    #[test]
    fn numbers_read_back_in_every_common_notation(whole in 0u64..10_000_000, cents in 0u32..100) {
        let n = whole as f64 + f64::from(cents) / 100.0;
        let plain = format!("{whole}.{cents:02}");
        prop_assert_eq!(number::parse(&plain), Some(n));
        prop_assert_eq!(number::parse(&format!("{whole},{cents:02}")), Some(n));
        // Thousands grouped with a dot and a decimal comma, as in German.
        let grouped: String = {
            let digits = whole.to_string();
            let mut out = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    out.push('.');
                }
                out.push(c);
            }
            out
        };
        prop_assert_eq!(number::parse(&format!("{grouped},{cents:02}")), Some(n));
    }

    #[test]
    fn the_delimiter_is_found_whatever_the_cells_hold(
        delimiter in prop::sample::select(vec![b',', b';', b'\t', b'|']),
        columns in 2usize..8,
        rows in prop::collection::vec(prop::collection::vec("[A-Za-z0-9 @.'-]{0,12}", 8), 2..30),
    ) {
        let d = char::from(delimiter);
        let text: String = rows
            .iter()
            .map(|r| r.iter().take(columns).cloned().collect::<Vec<_>>().join(&d.to_string()) + "\n")
            .collect();
        prop_assert_eq!(sniff(&text).delimiter, delimiter, "{:?}", text);
    }
}
