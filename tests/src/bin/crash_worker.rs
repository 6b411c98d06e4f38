//! A publish or delivery process for the crash tests (`tests/tests/crash.rs`).
//!
//! `crash_worker import|publish|deliver DB OUTBOX [POINT N]`
//!
//! With POINT and N, the process stops the N-th time it reaches POINT, prints
//! `reached POINT N` and waits to be killed:
//! - `claimed`: a message was marked `sending` and committed, the mailer not yet called;
//! - `written`: the mailer wrote the message file, its outcome not yet committed;
//! - `settled`: the outcome was committed;
//! - `rendered`: a publish rendered every email, nothing committed yet;
//! - `committing`: inside SQLite's commit of a write (its commit hook), the transaction's
//!   rows written, the commit not yet durable;
//! - `published`: a publish's commit returned.

use std::io::Write;

use chrono::{TimeZone, Utc};
use conferral::Result;
use conferral::group::Group;
use conferral::issuer::{ImportRequest, Issuer, Selection, Step};
use conferral::lifecycle::Credential;
use conferral::mail::{Mailer, OutgoingMessage};
use conferral::outbox::{DeliveryState, OutboxMessage, SendOutcome};
use conferral::storage::{Batch, CredentialQuery, MessageQuery, StatusCounts, Storage};
use conferral_sqlite::SqliteStorage;
use conferral_tests::SequentialIds;

/// Where to stop, and how many times the point has been reached.
struct Stop {
    point: String,
    at: u64,
    seen: u64,
}

impl Stop {
    fn reach(&mut self, point: &str) {
        if self.point != point {
            return;
        }
        self.seen += 1;
        if self.seen == self.at {
            let mut out = std::io::stdout();
            let _ = writeln!(out, "reached {point} {}", self.seen);
            let _ = out.flush();
            loop {
                std::thread::sleep(std::time::Duration::from_secs(60));
            }
        }
    }
}

static STOP: std::sync::Mutex<Option<Stop>> = std::sync::Mutex::new(None);

fn reach(point: &str) {
    if let Ok(mut stop) = STOP.lock()
        && let Some(stop) = stop.as_mut()
    {
        stop.reach(point);
    }
}

struct Watched(SqliteStorage);

impl Storage for Watched {
    fn put_group(&mut self, group: &Group) -> Result<u32> {
        self.0.put_group(group)
    }
    fn stored_group(
        &self,
        key: &str,
        version: Option<u32>,
    ) -> Result<Option<conferral::storage::StoredGroup>> {
        self.0.stored_group(key, version)
    }
    fn groups(&self) -> Result<Vec<conferral::storage::StoredGroup>> {
        self.0.groups()
    }
    fn visitor_secret(&mut self, day: chrono::NaiveDate, fresh: &[u8; 32]) -> Result<[u8; 32]> {
        self.0.visitor_secret(day, fresh)
    }
    fn group(&self, key: &str) -> Result<Option<Group>> {
        self.0.group(key)
    }
    fn mappings(&self, group: &str) -> Result<conferral::matching::SavedMappings> {
        self.0.mappings(group)
    }
    fn put_mappings(
        &mut self,
        group: &str,
        mappings: &conferral::matching::SavedMappings,
    ) -> Result<()> {
        self.0.put_mappings(group, mappings)
    }
    fn commit_import(&mut self, b: &Batch, c: &[Credential], r: &[Credential]) -> Result<()> {
        self.0.commit_import(b, c, r)
    }
    fn batch_by_fingerprint(&self, g: &str, f: &str) -> Result<Option<Batch>> {
        self.0.batch_by_fingerprint(g, f)
    }
    fn batch(&self, id: &str) -> Result<Option<Batch>> {
        self.0.batch(id)
    }
    fn batches(&self, group: Option<&str>) -> Result<Vec<Batch>> {
        self.0.batches(group)
    }
    fn credential(&self, id: &str) -> Result<Option<Credential>> {
        self.0.credential(id)
    }
    fn credentials(&self, q: &CredentialQuery) -> Result<Vec<Credential>> {
        self.0.credentials(q)
    }
    fn count_credentials(&self, q: &CredentialQuery) -> Result<u64> {
        self.0.count_credentials(q)
    }
    fn update_credential(&mut self, c: &Credential) -> Result<()> {
        self.0.update_credential(c)
    }
    fn delete_drafts(&mut self, ids: &[String]) -> Result<Vec<String>> {
        self.0.delete_drafts(ids)
    }
    fn commit_publish(&mut self, c: &[Credential], m: &[OutboxMessage]) -> Result<()> {
        self.0.commit_publish(c, m)?;
        reach("published");
        Ok(())
    }
    fn claim_next(
        &mut self,
        now: chrono::DateTime<Utc>,
        lease: &conferral::outbox::Lease,
    ) -> Result<Option<OutboxMessage>> {
        let claimed = self.0.claim_next(now, lease)?;
        if claimed.is_some() {
            reach("claimed");
        }
        Ok(claimed)
    }
    fn update_message(&mut self, m: &OutboxMessage, expected: DeliveryState) -> Result<()> {
        self.0.update_message(m, expected)?;
        reach("settled");
        Ok(())
    }
    fn update_messages(&mut self, changes: &[(OutboxMessage, DeliveryState)]) -> Result<()> {
        self.0.update_messages(changes)
    }
    fn message(&self, id: &str) -> Result<Option<OutboxMessage>> {
        self.0.message(id)
    }
    fn queue_messages(&mut self, messages: &[OutboxMessage]) -> Result<Vec<String>> {
        self.0.queue_messages(messages)
    }
    fn credentials_with_event(
        &self,
        kind: conferral::events::EventKind,
        credentials: &[String],
    ) -> Result<std::collections::BTreeSet<String>> {
        self.0.credentials_with_event(kind, credentials)
    }
    fn messages(&self, q: &MessageQuery) -> Result<Vec<OutboxMessage>> {
        self.0.messages(q)
    }
    fn allocate_status_indexes(&mut self, count: u64) -> Result<u64> {
        self.0.allocate_status_indexes(count)
    }
    fn status_indexes(&self) -> Result<u64> {
        self.0.status_indexes()
    }
    fn record_events(&mut self, events: &[conferral::events::Event]) -> Result<u64> {
        self.0.record_events(events)
    }
    fn event_counts(
        &self,
        query: &conferral::events::EventQuery,
        daily: bool,
    ) -> Result<Vec<conferral::events::EventCount>> {
        self.0.event_counts(query, daily)
    }
    fn status(&self) -> Result<StatusCounts> {
        self.0.status()
    }
    fn suppress(&mut self, entry: &conferral::storage::Suppression) -> Result<bool> {
        self.0.suppress(entry)
    }
    fn unsuppress(&mut self, email: &str) -> Result<bool> {
        self.0.unsuppress(email)
    }
    fn suppression(&self, email: &str) -> Result<Option<conferral::storage::Suppression>> {
        self.0.suppression(email)
    }
    fn suppressions(&self) -> Result<Vec<conferral::storage::Suppression>> {
        self.0.suppressions()
    }
}

struct WatchedMailer(conferral_mail::FileMailer);

impl Mailer for WatchedMailer {
    fn send(&mut self, message: &OutgoingMessage) -> SendOutcome {
        let outcome = self.0.send(message);
        reach("written");
        outcome
    }
}

fn main() -> std::result::Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, db, outbox, rest @ ..] = args.as_slice() else {
        return Err("usage: crash_worker import|publish|deliver DB OUTBOX [POINT N]".into());
    };
    if let [point, n] = rest
        && let Ok(mut stop) = STOP.lock()
    {
        *stop = Some(Stop {
            point: point.clone(),
            at: n.parse()?,
            seen: 0,
        });
    }
    let now = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .ok_or("bad time")?;
    let config = conferral_tests::issuer_config();
    let mut store = SqliteStorage::open(db)?;
    store.on_commit(|| {
        reach("committing");
        false
    });
    let mut issuer = Issuer::new(Watched(store), config)?;
    match mode.as_str() {
        "import" => {
            let group = Group {
                name: "Crash".into(),
                ..Group::default()
            };
            let mut roster = String::from("Name,Email\n");
            for i in 0..200 {
                roster.push_str(&format!("Recipient {i},r{i}@example.org\n"));
            }
            issuer.import(
                &ImportRequest::new(&group, roster.as_bytes(), "crash"),
                &mut SequentialIds::new("c", 0),
                now,
                &mut |_| {},
            )?;
        }
        "publish" => {
            issuer.publish(&Selection::All, "crash", now, &mut |p| {
                if p.step == Step::Storing {
                    reach("rendered");
                }
            })?;
        }
        "deliver" => {
            // A restart comes after the killed run's leases ran out: recovery looks a day on.
            issuer.recover(now + chrono::Duration::days(1))?;
            let mut mailer = WatchedMailer(conferral_mail::FileMailer::new(outbox)?);
            issuer.deliver(&mut mailer, &mut || now, None, &mut |_| {})?;
        }
        other => return Err(format!("unknown mode `{other}`").into()),
    }
    println!("done");
    Ok(())
}
