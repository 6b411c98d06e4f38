//! Many `conferral deliver --workers N` processes on one SQLite file, sending to a slow
//! SMTP server on loopback that sometimes fails (4xx and 5xx before and after the data,
//! connections dropped before and after it), killed with SIGKILL at random moments and
//! started again. Afterwards every message is `sent`, `failed_permanent`,
//! `failed_exhausted` or `unknown`, and no recipient got two copies.
//!
//! The test command runs a short round (`CONFERRAL_SOAK_MESSAGES`, 600 by default);
//! `make soak-deliver` runs 20,000 messages with 4 processes of 4 workers.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use conferral::Group;
use conferral::issuer::{ImportRequest, Issuer, Worker};
use conferral::outbox::DeliveryState;
use conferral::storage::MessageQuery;
use conferral_tests::{SequentialIds, ServerSecurity, SmtpServer};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A small deterministic generator, so that a failing round can be replayed by its seed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// The server's behaviour for recipient `i`: most accept, one in four fails in some way.
fn recipient(i: u64) -> String {
    let kind = match i % 28 {
        0 => "perm",
        1 => "temp",
        2 => "dropbefore",
        3 => "permdata",
        4 => "tempdata",
        5 => "dropafter",
        6 => "busy",
        _ => "ok",
    };
    format!("{kind}-{i}@example.org")
}

/// Starts `conferral deliver`, its JSON report going to `out`.
fn deliver_process(db: &str, url: &str, workers: u64, out: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_conferral"))
        .args([
            "deliver",
            "--smtp",
            url,
            "--workers",
            &workers.to_string(),
            "--json",
            "--db",
        ])
        .arg(db)
        .stdout(std::fs::File::create(out).expect("a report file"))
        .stderr(Stdio::null())
        .spawn()
        .expect("the CLI starts")
}

#[test]
fn killed_and_restarted_delivery_processes_email_nobody_twice_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("conferral-soak-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("store.db");
    soak(&dir, db.to_str().unwrap());
    conferral_sqlite::SqliteStorage::open(&db)
        .unwrap()
        .check_integrity()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn killed_and_restarted_delivery_processes_email_nobody_twice_on_postgres() {
    let db = conferral_tests::postgres_url_in_new_schema("soak").unwrap();
    let dir = std::env::temp_dir().join(format!("conferral-soak-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    soak(&dir, &db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The round on the store `db` names (a SQLite file or a PostgreSQL URL), with its
/// scratch files in `dir`.
fn soak(dir: &std::path::Path, db: &str) {
    let messages = setting("CONFERRAL_SOAK_MESSAGES", 600);
    let processes = setting("CONFERRAL_SOAK_PROCESSES", 4);
    let workers = setting("CONFERRAL_SOAK_WORKERS", 4);
    let seed = setting("CONFERRAL_SOAK_SEED", 0x5eed_c0ffee);
    let server = SmtpServer::start_with(
        dir.join("server.jsonl"),
        1.0,
        &ServerSecurity {
            reply_delay_secs: 0.01,
            ..ServerSecurity::default()
        },
    )
    .unwrap();
    let url = format!("smtp://127.0.0.1:{}?timeout=5", server.port);

    let mut roster = String::from("Name,Email\n");
    for i in 0..messages {
        roster.push_str(&format!("Person {i},{}\n", recipient(i)));
    }
    let group = Group {
        name: "Soak".into(),
        ..Group::default()
    };
    let mut issuer = Issuer::new(
        conferral_stores::open_store(std::path::Path::new(db)).unwrap(),
        conferral_tests::issuer_config(),
    )
    .unwrap();
    let published = issuer
        .import(
            &ImportRequest {
                publish: true,
                ..ImportRequest::new(&group, roster.as_bytes(), "soak")
            },
            &mut SequentialIds::new("id", 0),
            chrono::Utc::now() - chrono::Duration::minutes(1),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(published.created.len() as u64, messages);

    // Chaos: the processes run; now and then one is killed at a random moment and another
    // started in its place, until the kills are spent; then the last ones run to the end.
    let mut rng = Rng(seed);
    let mut started = 0;
    let mut start = || {
        started += 1;
        deliver_process(db, &url, workers, &dir.join(format!("run-{started}.json")))
    };
    let mut running: Vec<Child> = (0..processes).map(|_| start()).collect();
    let kills = setting("CONFERRAL_SOAK_KILLS", 12);
    for _ in 0..kills {
        std::thread::sleep(Duration::from_millis(30 + rng.below(300)));
        let victim = rng.below(running.len() as u64) as usize;
        let mut child = running.swap_remove(victim);
        let _ = child.kill();
        let _ = child.wait();
        running.push(start());
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    for mut child in running {
        while child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "a delivery process never ended");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    // Every lease (the mailer's timeout of 5 s gives 160 s) outlived the chaos, so no run
    // may have taken another's send in flight for a crashed one, nor lost a lease.
    let mut finished = 0;
    for n in 1..=started {
        let text = std::fs::read_to_string(dir.join(format!("run-{n}.json"))).unwrap_or_default();
        let Ok(run) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue; // killed before it reported
        };
        finished += 1;
        assert_eq!(
            run["recovered"], 0,
            "run {n} recovered a send in flight: {run}"
        );
        assert_eq!(run["delivery"]["lease_lost"], 0, "run {n}: {run}");
    }
    assert!(finished >= processes, "{finished} runs reported");

    // Time passes (on a clock, not the wall): the killed runs' leases run out and every
    // retry falls due. Runs continue until nothing is pending or being sent.
    let mut mailer =
        conferral_mail::SmtpMailer::new(conferral_mail::SmtpConfig::from_url(&url).unwrap());
    let worker = Worker {
        id: "tail".into(),
        lease_secs: 600,
    };
    let mut later = chrono::Utc::now();
    for _ in 0..20 {
        later += chrono::Duration::days(1);
        issuer
            .recover_and_deliver(&worker, &mut mailer, &mut || later, None, &mut |_| {})
            .unwrap();
        let status = issuer.status().unwrap();
        if status.deliveries["pending"] + status.deliveries["sending"] == 0 {
            break;
        }
    }

    let stored = issuer.deliveries(&MessageQuery::default()).unwrap();
    assert_eq!(stored.len() as u64, messages, "no message is lost");
    // What the server read, per Message-ID: accepted, stalled or dropped after the data
    // all may have reached the recipient; a refusal did not.
    let mut reached: BTreeMap<String, u32> = BTreeMap::new();
    for r in server.records() {
        if r.outcome != "refused" {
            *reached.entry(r.message_id).or_default() += 1;
        }
    }
    let mut states: BTreeMap<&str, u64> = BTreeMap::new();
    for m in &stored {
        *states.entry(m.state.as_str()).or_default() += 1;
        let copies = reached.get(&m.message_id).copied().unwrap_or(0);
        assert!(copies <= 1, "{} reached its recipient {copies} times", m.id);
        match m.state {
            DeliveryState::Sent => assert_eq!(copies, 1, "{} is sent", m.id),
            DeliveryState::FailedPermanent | DeliveryState::FailedExhausted => {
                assert_eq!(copies, 0, "{} failed", m.id);
            }
            DeliveryState::Unknown => {}
            other => panic!("{} is left {}", m.id, other.as_str()),
        }
    }
    let status = issuer.status().unwrap();
    assert!(status.leases.is_empty(), "{:?}", status.leases);
    eprintln!("seed {seed:#x}: {messages} messages, {kills} kills: {states:?}");
}
