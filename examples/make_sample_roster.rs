//! Writes the bundled sample roster, `examples/data/sample_roster.xlsx`: 300 recipients of a
//! bootcamp under a title row, with a handful of typical mistakes. The output is
//! deterministic; run it again after changing it and commit the file.
//!
//! `cargo run -p conferral-examples --example make_sample_roster [-- OUTPUT]`

use chrono::{Days, NaiveDate};
use conferral::output::xlsx_writer::{self, ColumnSpec, XlsxSheet, XlsxValue};

const FIRST: &[&str] = &[
    "Ana",
    "Bo",
    "Chiara",
    "Dmitri",
    "Elif",
    "Farah",
    "Gustavo",
    "Hannah",
    "Ishaan",
    "Jonas",
    "Kaito",
    "Léa",
    "Mateo",
    "Nadia",
    "Oluwaseun",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tomás",
    "Umar",
    "Valentina",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoë",
];
const LAST: &[&str] = &[
    "López",
    "Chen",
    "Rossi",
    "Ivanov",
    "Yılmaz",
    "Haddad",
    "Pereira",
    "Müller",
    "Sharma",
    "Berg",
    "Tanaka",
    "Dubois",
    "García",
    "Kowalski",
    "Adeyemi",
    "Nair",
    "Lefèvre",
    "Martins",
    "Johansson",
    "Fernández",
    "Khan",
    "Bianchi",
    "Li",
    "Ortiz",
    "Demir",
    "Van den Berg",
];
const GRADES: &[&str] = &["Pass", "Merit", "Distinction", "merit", "PASS"];
const DOMAINS: &[&str] = &[
    "example.org",
    "mail.example.com",
    "uni.example.edu",
    "corp.example.net",
];

struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n as u64) as usize
    }
}

fn pick<'a>(rng: &mut Lcg, items: &[&'a str]) -> &'a str {
    items
        .get(rng.next(items.len()))
        .copied()
        .unwrap_or_default()
}

fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'á' | 'à' => 'a',
            'é' | 'è' => 'e',
            'í' | 'ı' => 'i',
            'ó' | 'ö' => 'o',
            'ü' | 'ú' => 'u',
            'ë' => 'e',
            ' ' => '.',
            c => c,
        })
        .collect::<String>()
        .to_lowercase()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args().nth(1).unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/sample_roster.xlsx").to_owned()
    });
    let mut rng = Lcg(2026);
    let text = |s: &str| XlsxValue::Text(s.to_owned());
    let start = NaiveDate::from_ymd_opt(2026, 2, 2).ok_or("bad date")?;
    let mut rows = vec![
        vec![text(
            "Data Science Bootcamp 2026 – completions, spring cohort",
        )],
        vec![],
        [
            "First Name",
            "Last Name",
            "E-mail Address",
            "Completion Date",
            "Valid Until",
            "Result",
            "Course Hours",
            "Cohort Start",
            "Employee ID",
            "Manager Email",
            "Notes",
        ]
        .iter()
        .map(|h| text(h))
        .collect(),
    ];
    for i in 0..300usize {
        let first = pick(&mut rng, FIRST);
        let last = pick(&mut rng, LAST);
        let mut email = format!(
            "{}.{}{}@{}",
            ascii(first),
            ascii(last),
            i,
            pick(&mut rng, DOMAINS)
        );
        let issued = start
            .checked_add_days(Days::new(90 + rng.next(30) as u64))
            .ok_or("date")?;
        let mut expires = issued
            .checked_add_days(Days::new(365 * (1 + rng.next(3) as u64)))
            .ok_or("date")?;
        let mut grade = pick(&mut rng, GRADES).to_owned();
        let mut hours = XlsxValue::Number(
            [24.0, 37.5, 40.0, 60.0]
                .get(rng.next(4))
                .copied()
                .unwrap_or(24.0),
        );
        let mut first_cell = text(first);
        let mut last_cell = text(last);
        let mut note = String::new();
        // A few of the mistakes real rosters have.
        match i {
            17 => email = format!("{}.{}@", ascii(first), ascii(last)),
            42 => {
                first_cell = XlsxValue::Empty;
                last_cell = XlsxValue::Empty;
                note = "name missing in the LMS export".to_owned();
            }
            88 => email = "ana.lopez0@example.org".to_uppercase(),
            133 => grade = "Excellent".to_owned(),
            190 => expires = issued.checked_sub_days(Days::new(30)).ok_or("date")?,
            221 => hours = text("ten"),
            260 => email = format!("{} {}@example.org", ascii(first), ascii(last)),
            _ => {}
        }
        if i == 0 {
            email = "ana.lopez0@example.org".to_owned();
            first_cell = text("Ana");
            last_cell = text("López");
        }
        rows.push(vec![
            first_cell,
            last_cell,
            XlsxValue::Text(email),
            XlsxValue::Date(issued),
            XlsxValue::Date(expires),
            XlsxValue::Text(grade),
            hours,
            XlsxValue::Date(start),
            XlsxValue::Text(format!("{:06}", 1000 + i * 7)),
            XlsxValue::Text(format!("manager{}@example.org", i % 9)),
            XlsxValue::Text(note),
        ]);
    }
    let widths = [
        14.0, 16.0, 36.0, 16.0, 14.0, 12.0, 13.0, 13.0, 12.0, 26.0, 30.0,
    ];
    let sheet = XlsxSheet {
        name: "Completions".to_owned(),
        rows,
        columns: widths
            .iter()
            .map(|&w| ColumnSpec {
                width: w,
                ..ColumnSpec::default()
            })
            .collect(),
        input_rows: 0,
    };
    std::fs::write(&out, xlsx_writer::write(&[sheet])?)?;
    println!("wrote {out}");
    Ok(())
}
