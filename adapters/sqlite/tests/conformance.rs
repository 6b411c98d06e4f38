//! The storage contract on SQLite, in memory and in a file, and what a file must survive.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test fails by panicking"
)]

use conferral::storage::Storage;
use conferral_sqlite::SqliteStorage;

#[test]
fn sqlite_in_memory_conforms() {
    if let Err(f) =
        conferral::storage::conformance::run(|| SqliteStorage::open_in_memory().unwrap())
    {
        panic!("{f}");
    }
}

#[test]
fn sqlite_files_conform() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlite-conformance");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut n = 0;
    if let Err(f) = conferral::storage::conformance::run(|| {
        n += 1;
        SqliteStorage::open(dir.join(format!("store{n}.db"))).unwrap()
    }) {
        panic!("{f}");
    }
}

#[test]
fn a_reopened_file_keeps_everything_and_its_schema_version() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlite-reopen");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("store.db");
    {
        let mut s = SqliteStorage::open(&path).unwrap();
        s.put_group(&conferral::Group {
            name: "Kept".into(),
            ..conferral::Group::default()
        })
        .unwrap();
    }
    let s = SqliteStorage::open(&path).unwrap();
    assert_eq!(
        s.schema_version().unwrap(),
        conferral_sqlite::SCHEMA_VERSION
    );
    assert!(s.group("kept").unwrap().is_some());
    s.check_integrity().unwrap();
    let mode: String = rusqlite_journal_mode(&path);
    assert_eq!(mode, "wal");
}

#[test]
fn a_newer_schema_or_a_non_database_is_refused() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlite-refuse");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let newer = dir.join("newer.db");
    drop(SqliteStorage::open(&newer).unwrap());
    set_user_version(&newer, 99);
    let e = SqliteStorage::open(&newer).unwrap_err();
    assert_eq!(e.kind(), conferral::ErrorKind::Storage);
    assert!(e.to_string().contains("newer"), "{e}");
    let text = dir.join("notes.db");
    std::fs::write(
        &text,
        b"these are not the pages of a database, just some text ".repeat(100),
    )
    .unwrap();
    assert_eq!(
        SqliteStorage::open(&text).unwrap_err().kind(),
        conferral::ErrorKind::Storage
    );
}

fn rusqlite_journal_mode(path: &std::path::Path) -> String {
    let c = rusqlite::Connection::open(path).unwrap();
    c.query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap()
}

fn set_user_version(path: &std::path::Path, v: i64) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(&format!("PRAGMA user_version = {v}"))
        .unwrap();
}

fn noon() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 3, 2, 12, 0, 0).unwrap()
}

/// A store in `dir` with three published credentials, each with a pending email.
fn three_queued(
    dir: &std::path::Path,
) -> (std::path::PathBuf, conferral::issuer::Issuer<SqliteStorage>) {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).unwrap();
    let path = dir.join("store.db");
    let config = conferral::issuer::IssuerConfig::new(
        "https://credentials.example.org/c",
        conferral::mail::Mailbox::parse("Academy <academy@example.org>"),
    );
    let mut issuer =
        conferral::issuer::Issuer::new(SqliteStorage::open(&path).unwrap(), config).unwrap();
    let group = conferral::Group {
        name: "Three".into(),
        ..conferral::Group::default()
    };
    let mut n = 0u8;
    let mut ids = conferral::lifecycle::FromRandomBytes(|| {
        n += 1;
        [n; 16]
    });
    let roster = b"Name,Email\nAna,ana@example.org\nBo,bo@example.org\nCy,cy@example.org\n";
    let now = noon() - chrono::Duration::hours(3);
    issuer
        .import(
            &conferral::issuer::ImportRequest {
                publish: true,
                ..conferral::issuer::ImportRequest::new(&group, roster, "test")
            },
            &mut ids,
            now,
            &mut |_| {},
        )
        .unwrap();
    (path, issuer)
}

#[test]
fn a_damaged_email_is_set_aside_and_the_others_are_sent() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlite-set-aside");
    let (path, mut issuer) = three_queued(&dir);
    let damaged: String = {
        let c = rusqlite::Connection::open(&path).unwrap();
        let id: String = c
            .query_row("SELECT id FROM outbox ORDER BY id LIMIT 1", [], |r| {
                r.get(0)
            })
            .unwrap();
        c.execute(
            "UPDATE outbox SET body = '{\"id\": \"half a rec' WHERE id = ?1",
            [&id],
        )
        .unwrap();
        id
    };
    let mut mailer = conferral::mail::MemoryMailer::default();
    let later = noon() + chrono::Duration::hours(1);
    let report = issuer
        .deliver(&mut mailer, &mut || later, None, &mut |_| {})
        .unwrap();
    assert_eq!((report.attempted, report.sent), (2, 2));
    let status = issuer.status().unwrap();
    assert_eq!((status.set_aside, status.deliveries["sent"]), (1, 2));
    // Kept apart with its body and the reason, for whoever repairs it.
    let c = rusqlite::Connection::open(&path).unwrap();
    let (body, reason): (String, String) = c
        .query_row(
            "SELECT body, reason FROM outbox_set_aside WHERE id = ?1",
            [&damaged],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert!(body.starts_with("{\"id\": \"half"), "{body}");
    assert!(reason.contains("decode a stored record"), "{reason}");
    // Every list reads again.
    assert_eq!(
        issuer
            .deliveries(&conferral::storage::MessageQuery::default())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_schema_2_file_gains_leases_and_keeps_its_attempts() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlite-migrate-3");
    let (path, mut issuer) = three_queued(&dir);
    let worker = conferral::issuer::Worker {
        id: "old".into(),
        lease_secs: 60,
    };
    let claimed = issuer.next_delivery(&worker, noon()).unwrap().unwrap();
    drop(issuer);
    // The file as release 2 left it: no lease columns, no table of damaged emails.
    {
        let c = rusqlite::Connection::open(&path).unwrap();
        c.execute_batch(
            "ALTER TABLE outbox DROP COLUMN attempts;
             ALTER TABLE outbox DROP COLUMN lease_worker;
             ALTER TABLE outbox DROP COLUMN lease_until;
             DROP TABLE outbox_set_aside;
             DROP TABLE counters;
             DROP TABLE events;
             DROP TABLE group_versions;
             DROP TABLE visitor_secrets;
             DROP TABLE suppressions;
             ALTER TABLE groups DROP COLUMN version;
             PRAGMA user_version = 2;",
        )
        .unwrap();
    }
    let mut store = SqliteStorage::open(&path).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        conferral_sqlite::SCHEMA_VERSION
    );
    // Later versions' additions are there too; the group saved before versions is their
    // version 1.
    assert_eq!(store.allocate_status_indexes(2).unwrap(), 0);
    assert_eq!(store.suppressions().unwrap(), vec![]);
    let groups = store.groups().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].version, 1);
    assert_eq!(
        store
            .stored_group(&groups[0].key, Some(1))
            .unwrap()
            .as_ref(),
        Some(&groups[0])
    );
    // The attempt was carried over from the body, so the claim's settle still fences.
    let settled = claimed
        .message
        .settle(
            &conferral::outbox::SendOutcome::Sent {
                reply: "250".into(),
            },
            noon(),
            &conferral::outbox::RetryPolicy::default(),
        )
        .unwrap();
    let stale = conferral::outbox::OutboxMessage {
        attempts: 0,
        ..settled.clone()
    };
    assert_eq!(
        store
            .update_message(&stale, conferral::outbox::DeliveryState::Sending)
            .unwrap_err()
            .kind(),
        conferral::ErrorKind::Conflict
    );
    store
        .update_message(&settled, conferral::outbox::DeliveryState::Sending)
        .unwrap();
    let status = store.status().unwrap();
    assert_eq!((status.deliveries["sent"], status.set_aside), (1, 0));
    store.check_integrity().unwrap();
}
