//! Deterministic rosters for benchmarks: the same 8 columns as the peer comparison in
//! `benches/peers/` (Name, Email, Issued On, Expires On, Grade, Course Hours, Cohort Start,
//! Employee ID), with about one row in a thousand broken.

use chrono::{Days, NaiveDate};
use conferral_tests::Cell;

/// The group the benchmark rosters are for.
pub const GROUP: &str = include_str!("../peers/group.json");

const FIRST: &[&str] = &[
    "Ana", "Bo", "Chiara", "Dmitri", "Elif", "Farah", "José", "Zoë", "Hannah", "Ishaan", "Jonas",
    "Kaito", "Léa", "Mateo",
];
const LAST: &[&str] = &[
    "López", "Chen", "Rossi", "Müller", "Sharma", "Berg", "Tanaka", "Dubois", "García", "Kowalski",
    "Adeyemi", "Nair",
];
const GRADES: &[&str] = &["Pass", "Merit", "Distinction", "merit"];

fn pick(i: usize, items: &[&'static str], salt: usize) -> &'static str {
    items
        .get((i.wrapping_mul(2_654_435_761) >> 7).wrapping_add(salt) % items.len())
        .copied()
        .unwrap_or_default()
}

fn email_of(i: usize) -> String {
    format!(
        "{}.{}{i}@example.org",
        pick(i, FIRST, 0).to_lowercase(),
        pick(i, LAST, 3).to_lowercase()
    )
}

/// One roster row; `i` picks the values and the planted problems (six rows in a thousand are
/// invalid: a broken address, an unknown grade, hours written as a word, an expiry before the
/// issue date, and an address repeated in capitals, which makes both of its rows duplicates).
pub fn row(i: usize) -> Vec<Cell> {
    let first = pick(i, FIRST, 0);
    let last = pick(i, LAST, 3);
    let base = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
    let issued = base
        .checked_add_days(Days::new((i % 700) as u64))
        .unwrap_or(base);
    let mut expires = issued.checked_add_days(Days::new(730)).unwrap_or(issued);
    let mut email = email_of(i);
    let mut grade = pick(i, GRADES, 5).to_owned();
    let mut hours = Cell::Number(match i % 3 {
        0 => 12.0,
        1 => 37.5,
        _ => 40.0,
    });
    match i % 1000 {
        7 => email = "john.smith@".to_owned(),
        123 => grade = "Excellent".to_owned(),
        345 => hours = Cell::Text("ten".to_owned()),
        567 => expires = issued.checked_sub_days(Days::new(1)).unwrap_or(issued),
        789 => email = email_of(i - 1).to_uppercase(),
        _ => {}
    }
    vec![
        Cell::Text(format!("{first} {last}")),
        Cell::Text(email),
        Cell::Date(issued),
        Cell::Date(expires),
        Cell::Text(grade),
        hours,
        Cell::Date(
            base.checked_add_days(Days::new((i % 90) as u64))
                .unwrap_or(base),
        ),
        Cell::Text(format!("{:06}", (i * 7919) % 1_000_000)),
    ]
}

/// Header plus `rows` rows.
pub fn sheet(rows: usize) -> Vec<Vec<Cell>> {
    let header = [
        "Name",
        "Email",
        "Issued On",
        "Expires On",
        "Grade",
        "Course Hours",
        "Cohort Start",
        "Employee ID",
    ];
    let mut out = vec![header.iter().map(|h| Cell::Text((*h).to_owned())).collect()];
    out.extend((0..rows).map(row));
    out
}

/// The roster as a UTF-8 CSV with ISO dates (cohort start as DD/MM/YYYY, as the group says).
pub fn csv(rows: usize) -> Vec<u8> {
    let style = conferral_tests::CsvStyle {
        encoding: conferral_tests::Encoding::Utf8,
        delimiter: b',',
        crlf: false,
    };
    conferral_tests::csv(&sheet(rows), style, &|column, d| {
        if column == 6 {
            d.format("%d/%m/%Y").to_string()
        } else {
            d.to_string()
        }
    })
    .unwrap_or_default()
}

/// The roster as an XLSX with date cells, numbers and text IDs.
pub fn xlsx(rows: usize) -> Vec<u8> {
    conferral_tests::xlsx_rust_xlsxwriter(&sheet(rows)).unwrap_or_default()
}

/// A sheet of `rows` rows by `columns` columns of two-word values and no recognisable
/// header: the worst case of header detection and matching.
pub fn wide_csv(rows: usize, columns: usize) -> Vec<u8> {
    const WORDS: &[&str] = &[
        "alpha", "beta", "gamma", "delta", "report", "value", "total", "score", "region", "status",
    ];
    let mut out = String::new();
    for r in 0..rows {
        let cells: Vec<String> = (0..columns)
            .map(|c| {
                format!(
                    "{} {}{}",
                    pick(r * columns + c, WORDS, 0),
                    pick(r + c, WORDS, 1),
                    (r * 31 + c * 7) % 100
                )
            })
            .collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out.into_bytes()
}

/// What the issuing benchmarks (`issue_bench`, `store_bench`) publish and deliver: a group
/// with a grade and hours, a roster of `rows` recipients whose addresses start `prefix-`
/// (the scripted SMTP server's behaviour), and an issuer's settings.
pub mod issuing {
    use conferral::Group;
    use conferral::issuer::IssuerConfig;
    use conferral::mail::Mailbox;

    /// The group.
    ///
    /// # Errors
    /// Never in practice: the group is fixed.
    pub fn group() -> conferral::Result<Group> {
        Group::from_json(
            r#"{"name": "Bench", "attributes": [
                {"key": "grade", "type": "enum", "values": ["Pass", "Merit"]},
                {"key": "hours", "label": "Course Hours", "type": "number"}]}"#,
        )
    }

    /// `rows` recipients, `prefix-0@example.org` and on.
    pub fn roster(rows: usize, prefix: &str) -> String {
        let mut roster = String::from("Name,Email,Course Hours,Grade\n");
        for i in 0..rows {
            roster.push_str(&format!(
                "Recipient {i},{prefix}-{i}@example.org,12,Merit\n"
            ));
        }
        roster
    }

    /// The issuer's settings.
    pub fn config() -> IssuerConfig {
        IssuerConfig::new(
            "https://credentials.example.org/c",
            Mailbox {
                name: "Academy".into(),
                email: "academy@example.org".into(),
            },
        )
    }
}
