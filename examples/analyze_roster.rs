//! Analyse a roster file against a group and print what needs fixing.
//!
//! `cargo run -p conferral-examples --example analyze_roster -- ROSTER GROUP.json`
//! (defaults to the bundled sample roster).

use conferral::{AnalyzeOptions, Group, Severity};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let roster = args
        .next()
        .unwrap_or_else(|| format!("{dir}/sample_roster.xlsx"));
    let group = args.next().unwrap_or_else(|| format!("{dir}/group.json"));

    // The library takes bytes; reading the files is the caller's job.
    let group = Group::from_json(&std::fs::read_to_string(group)?)?;
    let bytes = std::fs::read(&roster)?;
    let options = AnalyzeOptions {
        file_name: Some(roster.clone()),
        records: true,
        ..AnalyzeOptions::default()
    };
    let report = conferral::analyze(&bytes, &group, &options)?;

    println!(
        "{roster}: header on row {}, {} rows",
        report.source.header_row, report.summary.rows
    );
    for column in &report.columns {
        println!(
            "  {} {:<28} -> {:?}",
            column.letter, column.header, column.attribute
        );
    }
    for finding in report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
    {
        println!(
            "  {} {}: {}",
            finding.location(),
            finding.code.as_str(),
            finding.message
        );
    }
    let records = report.records.unwrap_or_default();
    println!(
        "{} rows ready to issue, {} to fix",
        records.len(),
        report.summary.invalid
    );
    Ok(())
}
