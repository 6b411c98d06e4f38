//! What the PostgreSQL tests share: the test server (`make postgres-up` starts it and
//! `make test` passes its URL) and a new, empty store on it per call.

#![allow(dead_code, reason = "each test binary uses some of these")]

use std::sync::atomic::{AtomicU32, Ordering};

use conferral_postgres::{Options, PostgresStorage};

/// The test server's URL, from `CONFERRAL_TEST_POSTGRES_URL`. A test that needs it fails
/// without it: a PostgreSQL test that passes because no server was there checks nothing.
pub fn url() -> String {
    match std::env::var("CONFERRAL_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => panic!(
            "CONFERRAL_TEST_POSTGRES_URL is not set: run the tests through `make test`, or `make postgres-test` (or start a server with `make postgres-up` and set it to the URL in target/postgres/url)"
        ),
    }
}

/// The server's pg_ctl wrapper (`ctl stop|start|restart`), from `CONFERRAL_TEST_POSTGRES_CTL`.
pub fn ctl() -> String {
    match std::env::var("CONFERRAL_TEST_POSTGRES_CTL") {
        Ok(ctl) if !ctl.is_empty() => ctl,
        _ => panic!(
            "CONFERRAL_TEST_POSTGRES_CTL is not set: run the tests through `make test` or `make postgres-test`"
        ),
    }
}

/// Runs the server's pg_ctl wrapper with `args`.
pub fn pg_ctl(args: &[&str]) {
    let status = std::process::Command::new(ctl())
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("the pg_ctl wrapper runs");
    assert!(status.success(), "pg_ctl {args:?} failed: {status}");
}

/// A schema name no other store of this run has.
pub fn fresh_schema(tag: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "t_{tag}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// Options for a new, empty store in a schema of its own.
pub fn fresh_options(tag: &str) -> Options {
    Options::default().schema(&fresh_schema(tag))
}

/// A new, empty store.
pub fn fresh_store(tag: &str) -> PostgresStorage {
    PostgresStorage::connect_with(&url(), &fresh_options(tag)).expect("the test server answers")
}

/// A plain client on the test server, to do what a store would not (kill a backend, damage a
/// row).
pub fn admin() -> postgres::Client {
    postgres::Client::connect(&url(), postgres::NoTls).expect("the test server answers")
}

/// 2026-03-02 09:00 UTC, when the tests' issuing happens.
pub fn t0() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .expect("a valid time")
}

/// Settings of the tests' issuer.
pub fn issuer_config() -> conferral::issuer::IssuerConfig {
    conferral::issuer::IssuerConfig::new(
        "https://credentials.example.org/c",
        conferral::mail::Mailbox {
            name: "Academy".into(),
            email: "academy@example.org".into(),
        },
    )
}

/// Ids `<prefix>0001`, `<prefix>0002`, ...
pub struct SequentialIds {
    pub prefix: &'static str,
    pub next: u32,
}

impl conferral::lifecycle::IdSource for SequentialIds {
    fn next_id(&mut self) -> String {
        self.next += 1;
        format!("{}{:05}", self.prefix, self.next)
    }
}

/// A roster of `n` people, `person<i>@example.org`.
pub fn roster(n: usize) -> String {
    let mut roster = String::from("Name,Email\n");
    for i in 0..n {
        roster.push_str(&format!("Person {i},person{i}@example.org\n"));
    }
    roster
}

/// Imports a roster of `n` people into `store` and publishes it (one message each) at
/// [`t0`], or only imports it when `publish` is false; the created ids.
pub fn import<S: conferral::storage::Storage>(
    store: S,
    n: usize,
    publish: bool,
) -> (S, Vec<String>) {
    let group = conferral::Group {
        name: "Bootcamp 2026".into(),
        ..conferral::Group::default()
    };
    let roster = roster(n);
    let mut issuer = conferral::issuer::Issuer::new(store, issuer_config()).expect("an issuer");
    let out = issuer
        .import(
            &conferral::issuer::ImportRequest {
                publish,
                ..conferral::issuer::ImportRequest::new(&group, roster.as_bytes(), "ed")
            },
            &mut SequentialIds {
                prefix: "id",
                next: 0,
            },
            t0(),
            &mut |_| {},
        )
        .expect("the roster is imported");
    assert_eq!(out.created.len(), n);
    (issuer.into_store(), out.created)
}

/// Each address the mailers were given, once, and how many sends there were in all: equal
/// when nobody was emailed twice.
pub fn once_each(mailers: &[conferral::mail::MemoryMailer]) -> (usize, usize) {
    let mut recipients: Vec<&str> = mailers
        .iter()
        .flat_map(|m| m.sent.iter().map(|(message, _)| message.to.email.as_str()))
        .collect();
    let total = recipients.len();
    recipients.sort_unstable();
    recipients.dedup();
    (total, recipients.len())
}
