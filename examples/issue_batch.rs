//! The main job: a roster becomes published credentials and one email per recipient, on
//! the embedded default (a SQLite file and a folder of `.eml` files).
//!
//! `cargo run -p conferral-examples --example issue_batch -- [ROSTER GROUP.json OUT_DIR]`
//! (defaults: the bundled sample roster and group, `target/demo`). Each run starts afresh
//! in OUT_DIR.

use chrono::Utc;
use conferral::Group;
use conferral::issuer::{ImportRequest, Issuer, IssuerConfig, Selection};
use conferral::mail::Mailbox;
use conferral_mail::FileMailer;
use conferral_sqlite::SqliteStorage;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data = concat!(env!("CARGO_MANIFEST_DIR"), "/data");
    let roster = args
        .next()
        .unwrap_or_else(|| format!("{data}/sample_roster.xlsx"));
    let group = args.next().unwrap_or_else(|| format!("{data}/group.json"));
    let out = std::path::PathBuf::from(args.next().unwrap_or_else(|| "target/demo".to_owned()));
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out)?;
    let db = out.join("conferral.db");
    let outbox = out.join("outbox");

    // The library does no I/O of its own: files, the clock and randomness come from here.
    let group = Group::from_json(&std::fs::read_to_string(&group)?)?;
    let bytes = std::fs::read(&roster)?;
    let config = IssuerConfig::new(
        "https://credentials.example.org/c",
        Mailbox {
            name: "Data Science Academy".into(),
            email: "credentials@example.org".into(),
        },
    );
    let mut issuer = Issuer::new(SqliteStorage::open(&db)?, config)?;
    // Ids are 128 random bits each, from the operating system.
    let mut ids = conferral_os::OsIds;

    let imported = issuer.import(
        &ImportRequest::new(&group, &bytes, "demo"),
        &mut ids,
        Utc::now(),
        &mut |_| {},
    )?;
    let batch = &imported.batch;
    let published = issuer.publish(
        &Selection::Batch(batch.id.clone()),
        "demo",
        Utc::now(),
        &mut |_| {},
    )?;
    let mut mailer = FileMailer::new(&outbox)?;
    let delivered = issuer.deliver(&mut mailer, &mut Utc::now, None, &mut |_| {})?;

    let findings: Vec<_> = imported
        .report
        .findings
        .iter()
        .chain(&imported.findings)
        .collect();
    println!("{roster}");
    println!("  rows            {}", batch.rows);
    println!("  drafts created  {}", batch.created);
    println!("  rows refused    {}", batch.rejected);
    println!("  published       {}", published.published.len());
    println!("  emails written  {}", delivered.sent);
    println!("  findings        {}", findings.len());
    for f in findings.iter().take(12) {
        let at = f.location();
        let level = match f.severity {
            conferral::Severity::Error => "error",
            conferral::Severity::Warning => "warning",
        };
        println!("    {level:<7} {at:<5} {}", f.message);
    }
    println!("store:  {}", db.display());
    println!("emails: {}", outbox.display());
    Ok(())
}
