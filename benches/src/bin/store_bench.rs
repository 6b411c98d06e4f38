//! The stores side by side: import and publish ROWS drafts, then claim and settle messages
//! with one worker and with four, into a mailer that accepts everything at once (so the
//! store is what is measured).
//!
//! `cargo run --release -p conferral-benches --bin store_bench -- STORE [ROWS] [MESSAGES]`,
//! where STORE is a SQLite file (made anew) or a `postgres://` URL (the tables go into a new
//! schema `bench_<pid>`); ROWS defaults to 100000 and MESSAGES (per delivery) to 5000.
//! `make bench-postgres` runs it on both against a durable PostgreSQL server on loopback.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use conferral::issuer::{ImportRequest, Issuer, Selection, Workers};
use conferral::lifecycle::FromRandomBytes;
use conferral::mail::{Mailer, OutgoingMessage};
use conferral::outbox::SendOutcome;
use conferral::storage::Storage;

/// Accepts every message at once.
struct Accepting;

impl Mailer for Accepting {
    fn send(&mut self, _: &OutgoingMessage) -> SendOutcome {
        SendOutcome::Sent {
            reply: "250 accepted".into(),
        }
    }
}

type Store = Box<dyn Storage + Send>;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let target = args
        .next()
        .ok_or("usage: store_bench STORE [ROWS] [MESSAGES]")?;
    let rows: usize = args.next().map_or(Ok(100_000), |a| a.parse())?;
    let messages: u64 = args.next().map_or(Ok(5_000), |a| a.parse())?;
    let postgres = target.starts_with("postgres://") || target.starts_with("postgresql://");
    let options = conferral_postgres::Options::default()
        .schema(&format!("bench_{}", std::process::id()))
        .pool_size(8);
    if !postgres {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{target}{suffix}"));
        }
    }
    let open = || -> conferral::Result<Store> {
        if postgres {
            Ok(Box::new(conferral_postgres::PostgresStorage::connect_with(
                &target, &options,
            )?))
        } else {
            Ok(Box::new(conferral_sqlite::SqliteStorage::open(&target)?))
        }
    };
    let store_name = if postgres { "PostgreSQL" } else { "SQLite" };
    let now = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .ok_or("bad time")?;

    let roster = conferral_benches::issuing::roster(rows, "r");
    let group = conferral_benches::issuing::group()?;
    let config = conferral_benches::issuing::config();
    let mut issuer = Issuer::new(open()?, config.clone())?;
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
    let import = start.elapsed().as_secs_f64();
    let created = imported.batch.created as f64;
    println!(
        "{store_name} import: {created} drafts in {import:.3} s = {:.0} drafts/s",
        created / import
    );

    let start = Instant::now();
    let published = issuer.publish(&Selection::All, "bench", now, &mut |_| {})?;
    let publish = start.elapsed().as_secs_f64();
    let count = published.published.len() as f64;
    println!(
        "{store_name} publish: {count} credentials in {publish:.3} s = {:.0} credentials/s",
        count / publish
    );

    let start = Instant::now();
    let one = issuer.deliver(&mut Accepting, &mut || now, Some(messages), &mut |_| {})?;
    let deliver = start.elapsed().as_secs_f64();
    println!(
        "{store_name} deliver, 1 worker: {} messages in {deliver:.3} s = {:.0} messages/s",
        one.sent,
        one.sent as f64 / deliver
    );
    drop(issuer);

    let start = Instant::now();
    let four = conferral::issuer::deliver_with_workers(
        &Workers {
            count: 4,
            config: &config,
            open_store: &open,
            open_mailer: &|| Ok(Accepting),
            worker_id: &|i| format!("bench:{i}"),
            clock: &|| now,
        },
        Some(messages),
        &|_| {},
    )?;
    let deliver = start.elapsed().as_secs_f64();
    println!(
        "{store_name} deliver, 4 workers: {} messages in {deliver:.3} s = {:.0} messages/s",
        four.delivery.sent,
        four.delivery.sent as f64 / deliver
    );
    Ok(())
}
