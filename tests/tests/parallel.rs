//! Validation on several threads gives exactly the report of one thread, whichever way the
//! CSV is split (slices for unquoted files, a parsing pipeline otherwise), and for workbooks.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use conferral::{AnalyzeOptions, Group, analyze, analyze_reader};

fn roster(rows: usize, quoted: bool, blank_every: usize) -> String {
    let mut out = String::from("Name,Email,Issued On,Expires On,Course Hours\n");
    for i in 0..rows {
        if blank_every > 0 && i % blank_every == 0 {
            out.push('\n');
        }
        let email = match i % 997 {
            5 => "broken@".to_owned(),
            6 => format!("person{}@example.org", i - 1).to_uppercase(),
            _ => format!("person{i}@example.org"),
        };
        let issued = if i % 13 == 0 {
            format!("{:02}/03/2026", i % 12 + 1)
        } else {
            "2026-03-01".to_owned()
        };
        let name = if quoted {
            format!("\"Doe, Person {i}\"")
        } else {
            format!("Person {i}")
        };
        out.push_str(&format!("{name},{email},{issued},2027-03-01,{}\n", i % 40));
    }
    out
}

fn group() -> Group {
    Group::from_json(r#"{"name": "g", "attributes": [{"key": "hours", "label": "Course Hours", "type": "number"}]}"#)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn report(bytes: &[u8], threads: usize) -> serde_json::Value {
    let options = AnalyzeOptions {
        threads,
        records: true,
        ..AnalyzeOptions::default()
    };
    let report = analyze(bytes, &group(), &options).unwrap_or_else(|e| panic!("{e}"));
    serde_json::to_value(report).unwrap_or_default()
}

#[test]
fn threads_do_not_change_csv_reports() {
    for (quoted, blank_every) in [(false, 0), (false, 5_001), (true, 0), (true, 7_919)] {
        let text = roster(22_000, quoted, blank_every);
        assert!(text.len() > 1 << 20);
        let one = report(text.as_bytes(), 1);
        assert!(
            one["summary"]["invalid"].as_u64().unwrap_or(0) > 100,
            "the roster has problems to find"
        );
        for threads in [2, 3, 4] {
            assert_eq!(
                report(text.as_bytes(), threads),
                one,
                "quoted={quoted} blank_every={blank_every} threads={threads}"
            );
        }
        let crlf = text.replace('\n', "\r\n");
        let one = report(crlf.as_bytes(), 1);
        assert_eq!(report(crlf.as_bytes(), 3), one, "CRLF quoted={quoted}");
    }
}

/// A CSV read from a reader (a chunk at a time when it can be) gives the report of its bytes,
/// on any number of threads.
#[test]
fn a_reader_gives_the_report_of_the_bytes() {
    for (quoted, blank_every) in [(false, 0), (false, 5_001), (true, 0)] {
        let text = roster(22_000, quoted, blank_every);
        for text in [text.clone(), text.replace('\n', "\r\n")] {
            for threads in [1, 3] {
                let options = AnalyzeOptions {
                    threads,
                    records: true,
                    ..AnalyzeOptions::default()
                };
                let read = analyze_reader(
                    std::io::Cursor::new(text.as_bytes()),
                    &group(),
                    &options,
                    &mut |_| true,
                )
                .unwrap_or_else(|e| panic!("{e}"))
                .unwrap_or_else(|e| panic!("{e}"));
                assert_eq!(
                    serde_json::to_value(read).unwrap_or_default(),
                    report(text.as_bytes(), threads),
                    "quoted={quoted} blank_every={blank_every} threads={threads}"
                );
            }
        }
    }
}

#[test]
fn threads_do_not_change_workbook_reports() {
    let text = roster(21_000, false, 0);
    let rows: Vec<Vec<conferral_tests::Cell>> = text
        .lines()
        .map(|l| {
            l.split(',')
                .map(|c| conferral_tests::Cell::Text(c.to_owned()))
                .collect()
        })
        .collect();
    let bytes = conferral_tests::xlsx_conferral(&rows).expect("the writer works");
    let one = report(&bytes, 1);
    assert_eq!(report(&bytes, 2), one);
    assert_eq!(report(&bytes, 5), one);
}

#[test]
fn the_unquoted_fast_path_reads_like_the_csv_parser() {
    // Quoting the first header cell changes no value but sends the file through the csv
    // crate's parser instead of the split-at-delimiter path used for files without quotes.
    let base = roster(3_000, false, 211);
    let variants = [
        base.clone(),
        base.replace('\n', "\r\n"),
        base.replace('\n', "\r"),
        base.replace("Person 17,", "Person\r17,"),
        format!(
            "{}Last Person,last@example.org,2026-03-01,2027-03-01,4",
            base
        ),
        base.replace("Person 5,", "   ,"),
        format!("\n\n{base}"),
    ];
    for (i, text) in variants.iter().enumerate() {
        let quoted = text.replacen("Name", "\"Name\"", 1);
        for threads in [1, 2] {
            assert_eq!(
                report(text.as_bytes(), threads),
                report(quoted.as_bytes(), threads),
                "variant {i}, {threads} thread(s)"
            );
        }
    }
}

#[test]
fn progress_is_reported_in_order_for_large_files() {
    let text = roster(150_000, false, 0);
    for threads in [1, 2] {
        let mut seen: Vec<(conferral::Stage, u64)> = Vec::new();
        let options = AnalyzeOptions {
            threads,
            ..AnalyzeOptions::default()
        };
        let report =
            conferral::analyze_with_progress(text.as_bytes(), &group(), &options, &mut |p| {
                seen.push((p.stage, p.rows))
            })
            .unwrap();
        let stages: Vec<conferral::Stage> = seen.iter().map(|(s, _)| *s).collect();
        assert_eq!(stages.first(), Some(&conferral::Stage::Reading));
        assert_eq!(stages.last(), Some(&conferral::Stage::Finishing));
        let validating: Vec<u64> = seen
            .iter()
            .filter(|(s, _)| *s == conferral::Stage::Validating)
            .map(|(_, r)| *r)
            .collect();
        assert!(validating.len() >= 2, "{threads} thread(s): {validating:?}");
        assert!(
            validating.windows(2).all(|w| w[0] <= w[1]),
            "{validating:?}"
        );
        assert_eq!(validating.last(), Some(&report.summary.rows));
        assert_eq!(seen.last().map(|(_, r)| *r), Some(report.summary.rows));
    }
}

#[test]
fn a_cancelled_analysis_stops_on_every_path() {
    use conferral::{ErrorKind, Stage, analyze_cancellable};
    let mut unquoted = String::from("Name,Email,Course Hours\n");
    let mut quoted = String::from("Name,Email,Course Hours\n");
    for i in 0..200_000 {
        unquoted.push_str(&format!("R {i},r{i}@example.org,1\n"));
        quoted.push_str(&format!("\"R, {i}\",r{i}@example.org,1\n"));
    }
    let group = group();
    for (what, text) in [("unquoted", &unquoted), ("quoted", &quoted)] {
        for threads in [1, 2] {
            let options = AnalyzeOptions {
                threads,
                ..AnalyzeOptions::default()
            };
            let mut calls = 0;
            let mut last_rows = 0;
            let out = analyze_cancellable(text.as_bytes(), &group, &options, &mut |p| {
                calls += 1;
                last_rows = p.rows;
                p.stage != Stage::Validating
            });
            let e = out.err().map(|e| e.kind());
            assert_eq!(e, Some(ErrorKind::Cancelled), "{what}, {threads} threads");
            assert!(
                last_rows < 200_000,
                "{what}, {threads} threads: {last_rows}"
            );
        }
    }
    let keep_going = analyze_cancellable(
        unquoted.as_bytes(),
        &group,
        &AnalyzeOptions::default(),
        &mut |_| true,
    );
    assert_eq!(keep_going.map(|r| r.summary.rows).ok(), Some(200_000));
    // A workbook stops after it is read, before validation.
    let xlsx = conferral::output::template::xlsx(&group).unwrap();
    let stopped = analyze_cancellable(&xlsx, &group, &AnalyzeOptions::default(), &mut |p| {
        p.stage == Stage::Reading
    });
    assert_eq!(stopped.err().map(|e| e.kind()), Some(ErrorKind::Cancelled));
}
