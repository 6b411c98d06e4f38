//! Which store a `--db` value names: a PostgreSQL URL, or a SQLite file. The command line
//! and the Python package open stores through [`open_store`], so both read a value alike.

use std::path::Path;

use conferral::storage::Storage;

/// Opens the store `db` names: a `postgres://` or `postgresql://` URL connects to that
/// PostgreSQL database (its schema migrated); anything else is a SQLite file, created if
/// missing.
///
/// # Errors
/// A storage error when the store cannot be opened or reached.
pub fn open_store(db: &Path) -> conferral::Result<Box<dyn Storage + Send>> {
    match db.to_str().filter(|db| is_postgres_url(db)) {
        Some(url) => Ok(Box::new(conferral_postgres::PostgresStorage::connect(url)?)),
        None => Ok(Box::new(conferral_sqlite::SqliteStorage::open(db)?)),
    }
}

/// Whether `db` is a PostgreSQL connection URL (the scheme in any case).
pub fn is_postgres_url(db: &str) -> bool {
    ["postgres://", "postgresql://"].iter().any(|scheme| {
        db.get(..scheme.len())
            .is_some_and(|start| start.eq_ignore_ascii_case(scheme))
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use super::*;

    #[test]
    fn urls_name_postgres_and_everything_else_a_sqlite_file() {
        assert!(is_postgres_url("postgres://u@127.0.0.1:5432/db"));
        assert!(is_postgres_url(
            "PostgreSQL://u@host/db?options=-csearch_path%3Dx"
        ));
        assert!(!is_postgres_url("store.db"));
        assert!(!is_postgres_url("postgres.db"));
        assert!(!is_postgres_url("./postgres://odd-folder/store.db"));
        assert!(!is_postgres_url("é"));
    }

    #[test]
    fn a_sqlite_path_opens_a_sqlite_file() {
        let dir = std::env::temp_dir().join(format!("conferral-stores-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = open_store(&dir.join("store.db")).unwrap();
        assert_eq!(store.status().unwrap().credentials["draft"], 0);
        assert!(dir.join("store.db").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_postgres_url_is_read_as_one() {
        // An option PostgreSQL does not know: refused as a URL before any connection.
        let e = open_store(Path::new("postgres://u@127.0.0.1/db?frobnicate=1"))
            .err()
            .unwrap();
        assert_eq!(e.kind(), conferral::ErrorKind::Storage);
        assert!(e.to_string().contains("URL"), "{e}");
    }
}
