//! Delivery to a real SMTP server on loopback whose answers are scripted per recipient:
//! each outcome lands in its state, and nobody is emailed twice outside the recorded
//! `unknown` case.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration as StdDuration;

use chrono::Duration;
use conferral::Group;
use conferral::issuer::{ImportRequest, Issuer};
use conferral::outbox::{DeliveryState, RetryPolicy};
use conferral::storage::{MessageQuery, Storage};
use conferral_mail::{Security, SmtpConfig, SmtpMailer};
use conferral_sqlite::SqliteStorage;
use conferral_tests::{SequentialIds, SmtpServer, t0};

/// A folder of this test's own: concurrent runs of the suite (another checkout's, or
/// a second `cargo test`) never share it.
fn scratch(name: &str) -> PathBuf {
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mailer(port: u16, timeout: StdDuration) -> SmtpMailer {
    SmtpMailer::new(SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security: Security::Plain,
        credentials: None,
        timeout,
        hello_name: "conferral.test".into(),
    })
}

fn issuer(dir: &std::path::Path) -> Issuer<SqliteStorage> {
    Issuer::new(
        SqliteStorage::open(dir.join("store.db")).unwrap(),
        conferral_tests::issuer_config(),
    )
    .unwrap()
}

/// Imports a roster into a new group and publishes it at once; returns how many were published.
fn publish_roster(issuer: &mut Issuer<SqliteStorage>, group: &str, roster: &str) -> usize {
    let group = Group {
        name: group.into(),
        ..Group::default()
    };
    let imported = issuer
        .import(
            &ImportRequest {
                publish: true,
                ..ImportRequest::new(&group, roster.as_bytes(), "test")
            },
            &mut SequentialIds::new("id", 0),
            t0(),
            &mut |_| {},
        )
        .unwrap();
    imported.published.unwrap().published.len()
}

#[test]
fn every_server_answer_lands_in_its_state() {
    let dir = scratch("smtp-outcomes");
    let server = SmtpServer::start(dir.join("server.jsonl"), 6.0).unwrap();
    let mut issuer = issuer(&dir);
    let kinds = [
        ("ok", DeliveryState::Sent),
        ("perm", DeliveryState::FailedPermanent),
        ("temp", DeliveryState::Pending),
        ("dropbefore", DeliveryState::Pending),
        ("permdata", DeliveryState::FailedPermanent),
        ("tempdata", DeliveryState::Pending),
        ("dropafter", DeliveryState::Unknown),
        ("stall", DeliveryState::Unknown),
    ];
    let mut roster = String::from("Name,Email\n");
    for (kind, _) in &kinds {
        roster.push_str(&format!("Rcpt {kind},{kind}-1@example.org\n"));
    }
    assert_eq!(publish_roster(&mut issuer, "SMTP", &roster), kinds.len());

    let mut smtp = mailer(server.port, StdDuration::from_secs(2));
    let now = t0();
    let first = issuer
        .deliver(&mut smtp, &mut || now, None, &mut |_| {})
        .unwrap();
    assert_eq!(first.attempted, kinds.len() as u64);
    let states = |issuer: &Issuer<SqliteStorage>| -> BTreeMap<String, DeliveryState> {
        issuer
            .deliveries(&MessageQuery::default())
            .unwrap()
            .into_iter()
            .map(|m| (m.email.to_email, m.state))
            .collect()
    };
    let after_first = states(&issuer);
    for (kind, state) in &kinds {
        assert_eq!(
            after_first[&format!("{kind}-1@example.org")],
            *state,
            "{kind}: {after_first:?}"
        );
    }

    // The temporary failures are retried once their time has come, and then succeed.
    let later = t0() + Duration::hours(3);
    let second = issuer
        .deliver(&mut smtp, &mut || later, None, &mut |_| {})
        .unwrap();
    assert_eq!((second.attempted, second.sent), (3, 3));
    let after_second = states(&issuer);
    for kind in ["temp", "dropbefore", "tempdata"] {
        assert_eq!(
            after_second[&format!("{kind}-1@example.org")],
            DeliveryState::Sent
        );
    }
    // Nothing is left to send; the unknown ones are not retried on their own.
    let third = issuer
        .deliver(
            &mut smtp,
            &mut || later + Duration::days(30),
            None,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(third.attempted, 0);

    // What each recipient could have received: exactly one copy for every message whose
    // data the server kept, none twice.
    let mut copies: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (rcpt, message_id, outcome) in server.received() {
        if outcome != "refused" {
            copies.entry(rcpt).or_default().push(message_id);
        }
    }
    for kind in ["ok", "temp", "dropbefore", "tempdata", "dropafter", "stall"] {
        let got = &copies[&format!("{kind}-1@example.org")];
        assert_eq!(got.len(), 1, "{kind}: {got:?}");
    }
    assert!(!copies.contains_key("perm-1@example.org"));
    assert!(!copies.contains_key("permdata-1@example.org"));
    let stored = issuer.deliveries(&MessageQuery::default()).unwrap();
    let ok = stored
        .iter()
        .find(|m| m.email.to_email == "ok-1@example.org")
        .unwrap();
    assert_eq!(copies["ok-1@example.org"][0], ok.message_id);
    assert!(
        ok.last_result
            .as_deref()
            .unwrap_or_default()
            .starts_with("250")
    );
    let unknown = stored
        .iter()
        .find(|m| m.email.to_email == "stall-1@example.org")
        .unwrap();
    assert!(
        unknown
            .last_result
            .as_deref()
            .unwrap_or_default()
            .contains("no reply")
    );

    // A resend of an unknown one is explicit and reuses the Message-ID.
    issuer
        .resend(std::slice::from_ref(&unknown.credential), later)
        .unwrap();
    let mut patient = mailer(server.port, StdDuration::from_secs(20));
    let resent = issuer
        .deliver(&mut patient, &mut || later, None, &mut |_| {})
        .unwrap();
    assert_eq!(resent.sent, 1);
    let stall_copies: Vec<String> = server
        .received()
        .into_iter()
        .filter(|(r, _, o)| r == "stall-1@example.org" && o != "refused")
        .map(|(_, id, _)| id)
        .collect();
    assert_eq!(stall_copies, vec![unknown.message_id.clone(); 2]);
    issuer.store().check_integrity().unwrap();
}

#[test]
fn one_connection_carries_many_messages_and_survives_a_refusal() {
    let dir = scratch("smtp-reuse");
    let server = SmtpServer::start(dir.join("server.jsonl"), 1.0).unwrap();
    let mut issuer = issuer(&dir);
    let mut roster = String::from("Name,Email\n");
    for i in 0..40 {
        let kind = if i % 10 == 3 { "perm" } else { "ok" };
        roster.push_str(&format!("R {i},{kind}-{i}@example.org\n"));
    }
    assert_eq!(publish_roster(&mut issuer, "Reuse", &roster), 40);
    let mut smtp = mailer(server.port, StdDuration::from_secs(5));
    let report = issuer
        .deliver(&mut smtp, &mut t0, None, &mut |_| {})
        .unwrap();
    assert_eq!((report.sent, report.failed_permanent), (36, 4));
    assert_eq!(server.received().len(), 36);
    assert_eq!(issuer.store().status().unwrap().deliveries["sent"], 36);
}

#[test]
fn a_failure_that_never_clears_ends_exhausted_after_the_last_attempt() {
    let dir = scratch("smtp-exhausted");
    let server = SmtpServer::start(dir.join("server.jsonl"), 1.0).unwrap();
    let mut config = conferral_tests::issuer_config();
    config.retry = RetryPolicy {
        first_delay_secs: 60,
        max_delay_secs: 60,
        max_attempts: 3,
    };
    let store = SqliteStorage::open(dir.join("store.db")).unwrap();
    let mut issuer = Issuer::new(store, config).unwrap();
    let roster = "Name,Email\nBusy,busy-1@example.org\nFine,ok-1@example.org\n";
    assert_eq!(publish_roster(&mut issuer, "Exhausted", roster), 2);
    let mut smtp = mailer(server.port, StdDuration::from_secs(5));
    let state = |issuer: &Issuer<SqliteStorage>| {
        let stored = issuer.deliveries(&MessageQuery::default()).unwrap();
        let busy = stored
            .iter()
            .find(|m| m.email.to_email == "busy-1@example.org")
            .unwrap();
        (busy.state, busy.attempts)
    };
    let mut runs = Vec::new();
    // Each run comes after the retry delay (at most 75 s with its jitter).
    for minute in [0, 2, 4, 6] {
        let at = t0() + Duration::minutes(minute);
        let run = issuer
            .deliver(&mut smtp, &mut || at, None, &mut |_| {})
            .unwrap();
        runs.push((run.attempted, run.sent, run.failed_exhausted));
        if minute == 0 {
            assert_eq!(state(&issuer), (DeliveryState::Pending, 1));
        }
    }
    assert_eq!(runs, vec![(2, 1, 0), (1, 0, 0), (1, 0, 1), (0, 0, 0)]);
    assert_eq!(state(&issuer), (DeliveryState::FailedExhausted, 3));
    let status = issuer.store().status().unwrap();
    assert_eq!(
        (
            status.deliveries["sent"],
            status.deliveries["failed_exhausted"]
        ),
        (1, 1)
    );
    // The server never read the busy one's data, so it holds no copy of it.
    assert!(
        server
            .received()
            .iter()
            .all(|(rcpt, _, _)| rcpt != "busy-1@example.org")
    );
}
