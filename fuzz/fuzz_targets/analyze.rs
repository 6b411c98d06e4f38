//! Any bytes, under any of the names a roster arrives with, analysed on one thread and on
//! two: a report or an error, never a panic or an abort. libFuzzer's own limits bound the
//! time (`-timeout`) and memory (`-rss_limit_mb`) of each input; `make fuzz` sets them.
//!
//! `analyze` catches a panic inside the workbook reader and reports the file as malformed,
//! so the panic hook that libfuzzer-sys installs (abort on any panic, even a caught one) is
//! replaced by a quiet one: a panic that escapes `analyze` still ends the run as a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 7] = [
    "roster.csv",
    "roster.xlsx",
    "roster.xls",
    "roster.xlsb",
    "roster.ods",
    "roster.txt",
    "roster",
];

fuzz_target!(
    init: {
        std::panic::set_hook(Box::new(|_| {}));
    },
    |data: &[u8]| {
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let group = conferral::Group {
        name: "Fuzz".into(),
        ..conferral::Group::default()
    };
    let name = NAMES[usize::from(pick) % NAMES.len()];
    for threads in [1, 2] {
        let options = conferral::AnalyzeOptions {
            file_name: Some(name.to_owned()),
            records: true,
            threads,
            ..conferral::AnalyzeOptions::default()
        };
        if let Ok(report) = conferral::analyze(bytes, &group, &options) {
            assert_eq!(
                report.summary.valid + report.summary.invalid,
                report.summary.rows
            );
        }
    }
    }
);
