//! The native side of the WebAssembly benchmark (`benches/wasm/run.mjs`): times
//! `conferral::analyze` in-process on one roster, the way the browser build runs it.
//!
//! `analyze_timing FILE GROUP [RUNS] [THREADS]` (defaults 5 and 1; THREADS 0 is every core)
//! reads the file once, runs one untimed warm-up, then RUNS timed runs, and prints one line of
//! JSON: the milliseconds of every run and the report's summary counts.
//!
//! Each timed run does what the WebAssembly `analyze` does between being called and
//! returning: parse the group from JSON, analyse with `records: true`, and write the report
//! as JSON with serde_json (the browser build hands the report to JavaScript as that text,
//! through `JSON.parse`). Only reading the file is outside, as `fetch` is on the page.

use std::time::Instant;

use conferral::{AnalyzeOptions, Group, Summary};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: analyze_timing FILE GROUP [RUNS] [THREADS]";
    let file = std::path::PathBuf::from(args.next().ok_or(usage)?);
    let group_text = std::fs::read_to_string(args.next().ok_or(usage)?)?;
    let runs: usize = args.next().map_or(Ok(5), |a| a.parse())?;
    let threads: usize = args.next().map_or(Ok(1), |a| a.parse())?;
    let bytes = std::fs::read(&file)?;
    let options = AnalyzeOptions {
        // The page passes the file's name too; it only feeds the extension check.
        file_name: file.file_name().map(|n| n.to_string_lossy().into_owned()),
        records: true,
        threads,
        ..AnalyzeOptions::default()
    };

    // One run: its summary, the JSON's length, and the milliseconds spent writing the JSON
    // (reported apart, to show how much of the time it is).
    let once = || -> Result<(Summary, usize, f64), Box<dyn std::error::Error>> {
        let group = Group::from_json(&group_text)?;
        let report = conferral::analyze(&bytes, &group, &options)?;
        let start = Instant::now();
        let json = serde_json::to_string(&report)?;
        let json_ms = start.elapsed().as_secs_f64() * 1e3;
        Ok((report.summary, std::hint::black_box(json).len(), json_ms))
    };
    // The first run pays for page faults of fresh allocations; the browser side warms up too.
    let (mut summary, mut json_bytes, _) = once()?;
    let (mut ms, mut json_ms) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for _ in 0..runs {
        let start = Instant::now();
        let json_part;
        (summary, json_bytes, json_part) = once()?;
        // The report and its JSON are dropped inside `once`, so freeing them is timed too,
        // as it is inside the WebAssembly call.
        ms.push(start.elapsed().as_secs_f64() * 1e3);
        json_ms.push(json_part);
    }
    println!(
        "{}",
        serde_json::json!({
            "threads": threads,
            "ms": ms,
            "json_ms": json_ms,
            "rows": summary.rows,
            "valid": summary.valid,
            "invalid": summary.invalid,
            "errors": summary.errors,
            "json_bytes": json_bytes,
        })
    );
    Ok(())
}
