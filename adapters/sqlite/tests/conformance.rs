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
