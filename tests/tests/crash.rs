//! Crash tests: a publish or delivery process is killed (SIGKILL, from here) at each step;
//! the SQLite store stays consistent, and running again completes without sending any
//! email twice.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use conferral::outbox::DeliveryState;
use conferral::storage::{MessageQuery, Storage};
use conferral_sqlite::SqliteStorage;

const RECIPIENTS: u64 = 200;

/// A folder of this test's own: concurrent runs of the suite (another checkout's, or
/// a second `cargo test`) never share it.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("crash")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn worker(dir: &Path, mode: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_crash_worker"));
    c.arg(mode)
        .arg(dir.join("store.db"))
        .arg(dir.join("outbox"));
    c
}

/// Runs a worker to its end.
fn run(dir: &Path, mode: &str) {
    let out = worker(dir, mode).output().unwrap();
    assert!(
        out.status.success() && String::from_utf8_lossy(&out.stdout).contains("done"),
        "{mode}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs a worker until it reaches `point` for the `n`-th time, then kills it.
fn kill_at(dir: &Path, mode: &str, point: &str, n: u64) {
    let mut child = worker(dir, mode)
        .args([point, &n.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert_eq!(
        line.trim(),
        format!("reached {point} {n}"),
        "{mode} {point} {n}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
}

fn counts(dir: &Path) -> (u64, u64, BTreeMap<String, u64>) {
    let store = SqliteStorage::open(dir.join("store.db")).unwrap();
    store.check_integrity().unwrap();
    let status = store.status().unwrap();
    (
        status.credentials["draft"],
        status.credentials["published"],
        status.deliveries,
    )
}

/// Files written per credential id.
fn files(dir: &Path) -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir.join("outbox")).into_iter().flatten() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".eml") && !name.starts_with('.') {
            let id = name.split('.').next().unwrap().to_owned();
            *out.entry(id).or_default() += 1;
        }
    }
    out
}

fn published(dir: &Path) {
    run(dir, "import");
    run(dir, "publish");
    let (drafts, published, deliveries) = counts(dir);
    assert_eq!((drafts, published), (0, RECIPIENTS));
    assert_eq!(deliveries["pending"], RECIPIENTS);
}

#[test]
fn a_publish_killed_before_its_commit_publishes_nothing() {
    let dir = scratch("publish-rendered");
    run(&dir, "import");
    kill_at(&dir, "publish", "rendered", 1);
    let (drafts, published, deliveries) = counts(&dir);
    assert_eq!(
        (drafts, published, deliveries["pending"]),
        (RECIPIENTS, 0, 0)
    );
    run(&dir, "publish");
    let (drafts, published, deliveries) = counts(&dir);
    assert_eq!(
        (drafts, published, deliveries["pending"]),
        (0, RECIPIENTS, RECIPIENTS)
    );
}

#[test]
fn a_publish_killed_inside_its_commit_publishes_nothing_and_after_it_everything() {
    // The publish's commit is the first commit of its process (claims come later).
    for (point, published_after) in [("committing", 0), ("published", RECIPIENTS)] {
        let dir = scratch(&format!("publish-{point}"));
        run(&dir, "import");
        kill_at(&dir, "publish", point, 1);
        let (drafts, published, deliveries) = counts(&dir);
        assert_eq!(
            (drafts, published, deliveries["pending"]),
            (
                RECIPIENTS - published_after,
                published_after,
                published_after
            ),
            "killed at {point}"
        );
        run(&dir, "publish");
        let (drafts, published, deliveries) = counts(&dir);
        assert_eq!(
            (drafts, published, deliveries["pending"]),
            (0, RECIPIENTS, RECIPIENTS),
            "{point}, then again"
        );
    }
}

#[test]
fn a_publish_killed_at_any_moment_is_all_or_nothing() {
    for delay_ms in [0u64, 1, 3, 6, 10, 20, 40] {
        let dir = scratch(&format!("publish-timed-{delay_ms}"));
        run(&dir, "import");
        let mut child = worker(&dir, "publish")
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        child.wait().unwrap();
        let (drafts, published, deliveries) = counts(&dir);
        assert!(
            (drafts, published, deliveries["pending"]) == (RECIPIENTS, 0, 0)
                || (drafts, published, deliveries["pending"]) == (0, RECIPIENTS, RECIPIENTS),
            "after {delay_ms} ms: {drafts} drafts, {published} published, {deliveries:?}"
        );
        run(&dir, "publish");
        let (_, published, deliveries) = counts(&dir);
        assert_eq!((published, deliveries["pending"]), (RECIPIENTS, RECIPIENTS));
    }
}

#[test]
fn a_delivery_killed_at_each_step_never_sends_twice() {
    for (point, n) in [
        ("claimed", 1),
        ("claimed", 57),
        ("written", 1),
        ("written", 120),
        ("written", RECIPIENTS),
        ("settled", 1),
        ("settled", 99),
        ("settled", RECIPIENTS),
    ] {
        let dir = scratch(&format!("deliver-{point}-{n}"));
        published(&dir);
        kill_at(&dir, "deliver", point, n);
        // The restarted run marks the interrupted message unknown and sends the rest.
        run(&dir, "deliver");
        let (_, _, deliveries) = counts(&dir);
        let written = files(&dir);
        let unknown = u64::from(point != "settled");
        assert_eq!(
            deliveries["unknown"], unknown,
            "{point} {n}: {deliveries:?}"
        );
        assert_eq!(deliveries["sent"], RECIPIENTS - unknown, "{point} {n}");
        assert_eq!(
            deliveries["pending"] + deliveries["sending"],
            0,
            "{point} {n}"
        );
        assert!(
            written.values().all(|&c| c == 1),
            "{point} {n}: a file twice"
        );
        // Only a message killed after its file was written and before its outcome was
        // recorded has a file without being marked sent: the recorded ambiguous window.
        let expected_files = RECIPIENTS - u64::from(point == "claimed");
        assert_eq!(written.len() as u64, expected_files, "{point} {n}");
        let store = SqliteStorage::open(dir.join("store.db")).unwrap();
        let unknown_ids: Vec<String> = store
            .messages(&MessageQuery {
                state: Some(DeliveryState::Unknown),
                ..MessageQuery::default()
            })
            .unwrap()
            .into_iter()
            .map(|m| m.credential)
            .collect();
        for id in &unknown_ids {
            let expected = u64::from(point == "written");
            assert_eq!(
                written.get(id).copied().unwrap_or(0),
                expected,
                "{point} {n} {id}"
            );
        }
    }
}
