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
use conferral_tests::{SequentialIds, ServerSecurity, SmtpServer, t0};

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
        extra_roots_pem: None,
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
    let records = server.records();
    assert_eq!(records.len(), 36);
    // The refusals left the session usable (RSET), so every message came on one connection.
    let connections: std::collections::BTreeSet<u64> =
        records.iter().map(|r| r.connection).collect();
    assert_eq!(connections.len(), 1, "{connections:?}");
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

/// A certificate authority and a certificate for 127.0.0.1 it signed, written to `dir`:
/// `(authority, server certificate, server key)`, all PEM.
fn certificates(dir: &std::path::Path) -> (PathBuf, PathBuf, PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose, SanType,
    };
    let authority_key = KeyPair::generate().unwrap();
    let mut authority = CertificateParams::new(Vec::<String>::new()).unwrap();
    authority.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    authority
        .distinguished_name
        .push(DnType::CommonName, "conferral test authority");
    authority.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let authority = authority.self_signed(&authority_key).unwrap();
    let server_key = KeyPair::generate().unwrap();
    let mut server = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    server
        .subject_alt_names
        .push(SanType::IpAddress(std::net::Ipv4Addr::LOCALHOST.into()));
    let server = server
        .signed_by(&server_key, &authority, &authority_key)
        .unwrap();
    let paths = (
        dir.join("ca.pem"),
        dir.join("server.pem"),
        dir.join("server.key"),
    );
    std::fs::write(&paths.0, authority.pem()).unwrap();
    std::fs::write(&paths.1, server.pem()).unwrap();
    std::fs::write(&paths.2, server_key.serialize_pem()).unwrap();
    paths
}

/// A file path as a URL query value.
fn query_value(path: &std::path::Path) -> String {
    let mut out = String::new();
    for c in path.display().to_string().chars() {
        match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '/' | '.' | '-' | '_' => out.push(c),
            c => {
                let mut buf = [0; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("%{b:02X}"));
                }
            }
        }
    }
    out
}

/// A server that requires TLS (from the first byte, or by STARTTLS) and `AUTH` as ana.
fn secure_server(dir: &std::path::Path, implicit: bool) -> (SmtpServer, PathBuf) {
    let (authority, cert, key) = certificates(dir);
    let server = SmtpServer::start_with(
        dir.join("server.jsonl"),
        1.0,
        &ServerSecurity {
            tls: Some((implicit, cert, key)),
            login: Some(("ana".into(), "s3cret pass".into())),
            ..ServerSecurity::default()
        },
    )
    .unwrap();
    (server, authority)
}

#[test]
fn tls_from_the_first_byte_and_starttls_carry_authenticated_mail() {
    for (name, implicit) in [("smtp-tls-implicit", true), ("smtp-tls-starttls", false)] {
        let dir = scratch(name);
        let (server, authority) = secure_server(&dir, implicit);
        let mut issuer = issuer(&dir);
        let roster =
            "Name,Email\nAna,ok-1@example.org\nBo,ok-2@example.org\nCy,perm-3@example.org\n";
        assert_eq!(publish_roster(&mut issuer, "Secure", roster), 3);
        let url = if implicit {
            format!(
                "smtps://ana:s3cret%20pass@127.0.0.1:{}?timeout=5&ca={}",
                server.port,
                query_value(&authority)
            )
        } else {
            format!(
                "smtp://ana:s3cret%20pass@127.0.0.1:{}?tls=starttls&timeout=5&ca={}",
                server.port,
                query_value(&authority)
            )
        };
        let mut smtp = SmtpMailer::new(SmtpConfig::from_url(&url).unwrap());
        let report = issuer
            .deliver(&mut smtp, &mut t0, None, &mut |_| {})
            .unwrap();
        assert_eq!(
            (
                report.sent,
                report.failed_permanent,
                report.stopped.as_deref()
            ),
            (2, 1, None),
            "{name}"
        );
        let records = server.records();
        assert_eq!(
            records
                .iter()
                .map(|r| (r.rcpt.as_str(), r.tls, r.user.as_deref()))
                .collect::<Vec<_>>(),
            vec![
                ("ok-1@example.org", true, Some("ana")),
                ("ok-2@example.org", true, Some("ana")),
            ],
            "{name}"
        );
        assert_eq!(records[0].connection, records[1].connection, "{name}");
    }
}

#[test]
fn a_session_that_cannot_open_stops_the_run_and_costs_one_attempt() {
    let dir = scratch("smtp-no-session");
    let (server, authority) = secure_server(&dir, false);
    let ca = query_value(&authority);
    let port = server.port;
    // Nothing listens on port 1 of loopback.
    let cases = [
        (
            "an untrusted certificate",
            format!("smtp://ana:s3cret%20pass@127.0.0.1:{port}?tls=starttls&timeout=5"),
            "certificate",
        ),
        (
            "a wrong password",
            format!("smtp://ana:wrong@127.0.0.1:{port}?tls=starttls&timeout=5&ca={ca}"),
            "535",
        ),
        (
            "credentials offered without TLS",
            format!("smtp://ana:s3cret%20pass@127.0.0.1:{port}?timeout=5"),
            "no SMTP session",
        ),
        (
            "no server",
            "smtp://127.0.0.1:1?timeout=5".to_owned(),
            "no SMTP session with 127.0.0.1:1",
        ),
    ];
    for (i, (case, url, says)) in cases.iter().enumerate() {
        let store_dir = dir.join(format!("case-{i}"));
        std::fs::create_dir_all(&store_dir).unwrap();
        let mut issuer = issuer(&store_dir);
        let roster = "Name,Email\nAna,ok-1@example.org\nBo,ok-2@example.org\nCy,ok-3@example.org\n";
        assert_eq!(publish_roster(&mut issuer, "Refused", roster), 3);
        let mut smtp = SmtpMailer::new(SmtpConfig::from_url(url).unwrap());
        let report = issuer
            .deliver(&mut smtp, &mut t0, None, &mut |_| {})
            .unwrap();
        assert_eq!(
            (report.attempted, report.deferred, report.sent),
            (1, 1, 0),
            "{case}"
        );
        let why = report.stopped.unwrap_or_default();
        assert!(why.contains(says), "{case}: {why}");
        // One message carries the attempt; the others were never tried; all stay queued.
        let mut attempts: Vec<(DeliveryState, u32)> = issuer
            .deliveries(&MessageQuery::default())
            .unwrap()
            .iter()
            .map(|m| (m.state, m.attempts))
            .collect();
        attempts.sort_by_key(|(_, n)| *n);
        assert_eq!(
            attempts,
            vec![
                (DeliveryState::Pending, 0),
                (DeliveryState::Pending, 0),
                (DeliveryState::Pending, 1)
            ],
            "{case}"
        );
    }
    assert_eq!(server.records(), vec![]);
}

#[test]
fn a_certificate_file_that_holds_no_certificate_is_refused_when_read() {
    let dir = scratch("smtp-bad-ca");
    let not_pem = dir.join("notes.txt");
    std::fs::write(&not_pem, "not a certificate").unwrap();
    for path in [not_pem, dir.join("missing.pem")] {
        let url = format!("smtps://127.0.0.1?ca={}", query_value(&path));
        let error = SmtpConfig::from_url(&url).unwrap_err();
        assert_eq!(error.kind(), conferral::error::ErrorKind::Mail, "{error}");
        assert!(
            error.to_string().contains("notes.txt") || error.to_string().contains("missing.pem"),
            "{error}"
        );
    }
}
