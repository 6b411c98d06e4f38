//! Throughput of issuing on the embedded default: import and publish of 100k drafts in a
//! SQLite file, and delivery to a real SMTP server on loopback over one reused connection.
//!
//! `cargo run --release -p conferral-benches --bin issue_bench -- [ROWS] [MESSAGES]`
//! (defaults 100000 and 5000). Needs `CONFERRAL_TOOLS_PYTHON` pointing at a Python with
//! aiosmtpd (`make bench-issue` sets it up). Prints one line per measurement.

use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use conferral::issuer::{ImportRequest, Issuer, Selection};
use conferral::lifecycle::FromRandomBytes;
use conferral_mail::{Security, SmtpConfig, SmtpMailer};
use conferral_sqlite::SqliteStorage;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let messages: u64 = args.next().map_or(Ok(5_000), |a| a.parse())?;
    let dir = std::path::PathBuf::from("target/bench-data/issue");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let now = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .ok_or("bad time")?;

    // Every address goes to the scripted server's `ok` behaviour.
    let roster = conferral_benches::issuing::roster(rows, "ok");
    let group = conferral_benches::issuing::group()?;
    let config = conferral_benches::issuing::config();
    let mut issuer = Issuer::new(SqliteStorage::open(dir.join("store.db"))?, config)?;
    let mut n: u128 = 0;
    let mut ids = FromRandomBytes(|| {
        n += 1;
        n.to_be_bytes()
    });

    let start = Instant::now();
    let imported = issuer.import(
        &ImportRequest::new(&group, roster.as_bytes(), "bench"),
        &mut ids,
        now,
        &mut |_| {},
    )?;
    let import = start.elapsed();
    println!(
        "import: {} drafts in {:.3} s = {:.0} drafts/s (analysis, drafts, one SQLite transaction)",
        imported.batch.created,
        import.as_secs_f64(),
        imported.batch.created as f64 / import.as_secs_f64()
    );

    let start = Instant::now();
    let published = issuer.publish(&Selection::All, "bench", now, &mut |_| {})?;
    let publish = start.elapsed();
    println!(
        "publish: {} credentials in {:.3} s = {:.0} credentials/s (load, render every email, one transaction with {} outbox rows)",
        published.published.len(),
        publish.as_secs_f64(),
        published.published.len() as f64 / publish.as_secs_f64(),
        published.published.len()
    );

    let server = conferral_tests::SmtpServer::start(dir.join("server.jsonl"), 1.0)?;
    let mut mailer = SmtpMailer::new(SmtpConfig {
        host: "127.0.0.1".into(),
        port: server.port,
        security: Security::Plain,
        credentials: None,
        timeout: Duration::from_secs(30),
        hello_name: "bench".into(),
        extra_roots_pem: None,
    });
    let start = Instant::now();
    let report = issuer.deliver(&mut mailer, &mut || now, Some(messages), &mut |_| {})?;
    let deliver = start.elapsed();
    println!(
        "deliver: {} messages sent in {:.3} s = {:.0} messages/s (one SMTP connection reused, claim and outcome committed per message)",
        report.sent,
        deliver.as_secs_f64(),
        report.sent as f64 / deliver.as_secs_f64()
    );
    Ok(())
}
