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

/// Where `conferral serve` listens by default, so the emails' links open there.
const BASE_URL: &str = "http://127.0.0.1:8080/c";

/// Who the emails are from.
const SENDER: &str = "Data Science Academy <credentials@example.org>";

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
    // The links point at `conferral serve` on this machine, which the end of the demo names.
    let config = IssuerConfig::new(BASE_URL, Mailbox::parse(SENDER));
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
    // The issuer's signing key, from the operating system's generator.
    let seed = conferral_os::random_seed().ok_or("the operating system gave no random bytes")?;
    let key = out.join("key.json");
    let key_file = conferral::credential::IssuerKey::from_seed(seed).to_file();
    std::fs::write(&key, serde_json::to_vec_pretty(&key_file)?)?;
    println!("store:  {}", db.display());
    println!("emails: {}", outbox.display());
    println!("key:    {}", key.display());
    println!();
    println!("Serve what was issued (each email's link opens its credential's page):");
    println!(
        "  cargo run --release -p conferral-cli -- serve --db {} --key {} --base-url {BASE_URL} --from \"{SENDER}\"",
        db.display(),
        key.display()
    );
    Ok(())
}
