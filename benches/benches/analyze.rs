//! Analyse + validate throughput: 1M-row CSV and 100k-row XLSX, as in the peer comparison.
#![allow(
    missing_docs,
    reason = "criterion's macros generate undocumented functions"
)]
#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use conferral::{AnalyzeOptions, Group, analyze};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

fn bench(c: &mut Criterion) {
    let group = Group::from_json(conferral_benches::GROUP).unwrap_or_else(|e| panic!("{e}"));
    let csv = conferral_benches::csv(1_000_000);
    let xlsx = conferral_benches::xlsx(100_000);
    let mut g = c.benchmark_group("analyze");
    g.sample_size(10);
    for threads in [1, 0] {
        let options = AnalyzeOptions {
            threads,
            ..AnalyzeOptions::default()
        };
        let label = if threads == 1 {
            "1 thread"
        } else {
            "all cores"
        };
        g.throughput(Throughput::Bytes(csv.len() as u64));
        g.bench_function(format!("csv 1M rows, {label}"), |b| {
            b.iter(|| analyze(&csv, &group, &options))
        });
        g.throughput(Throughput::Bytes(xlsx.len() as u64));
        g.bench_function(format!("xlsx 100k rows, {label}"), |b| {
            b.iter(|| analyze(&xlsx, &group, &options))
        });
    }
    let wide = conferral_benches::wide_csv(40, 999);
    let options = AnalyzeOptions::default();
    g.throughput(Throughput::Bytes(wide.len() as u64));
    g.bench_function("csv 40 rows x 999 columns, no known header", |b| {
        b.iter(|| analyze(&wide, &group, &options))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
