//! SQLite storage for conferral: the embedded default.
//!
//! One file holds groups, batches, credentials and the outbox. The connection runs in WAL
//! mode with `synchronous=FULL`, so a committed state change (a `sending` mark, a `sent`
//! mark) survives a crash or a power loss; every write is one `BEGIN IMMEDIATE`
//! transaction, so concurrent writers wait for the lock (up to the busy timeout) instead of
//! failing half-way. The schema carries a version (`PRAGMA user_version`) and is migrated
//! when opened; a database from a newer release is refused rather than misread.
//!
//! ```
//! use conferral::storage::Storage;
//! let store = conferral_sqlite::SqliteStorage::open_in_memory()?;
//! assert_eq!(store.status()?.credentials["draft"], 0);
//! # Ok::<(), conferral::Error>(())
//! ```

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use conferral::error::{Error, ErrorKind, Result};
use conferral::events::{Event, EventCount, EventKind, EventQuery};
use conferral::group::Group;
use conferral::lifecycle::Credential;
use conferral::matching::SavedMappings;
use conferral::outbox::{DeliveryState, Lease, OutboxMessage};
use conferral::storage::{
    Batch, CredentialQuery, MessageQuery, StatusCounts, Storage, StoredGroup, Suppression,
};
use conferral::values::email::duplicate_key;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

/// The schema version this release writes.
pub const SCHEMA_VERSION: i64 = 7;

const SCHEMA_V1: &str = "
CREATE TABLE groups (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
CREATE TABLE batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    grp TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (grp, fingerprint)
);
CREATE TABLE credentials (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    grp TEXT NOT NULL,
    batch TEXT NOT NULL,
    state TEXT NOT NULL,
    email_key TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX credentials_by_group ON credentials (grp, state);
CREATE INDEX credentials_by_batch ON credentials (batch, state);
CREATE INDEX credentials_by_email ON credentials (grp, email_key);
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    credential TEXT NOT NULL,
    kind TEXT NOT NULL,
    state TEXT NOT NULL,
    next_attempt_at TEXT NOT NULL,
    queued_at TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (credential, kind)
);
CREATE INDEX outbox_due ON outbox (state, next_attempt_at, id);
CREATE INDEX outbox_by_credential ON outbox (credential);
";

/// Version 2: the column mappings learned per group.
const SCHEMA_V2: &str = "
CREATE TABLE mappings (
    group_key TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
";

/// The filters of a [`CredentialQuery`], with [`SqliteStorage::listed_params`]: group,
/// batch, state, address, the `seq` to list after (a plain range on the table's key, so a
/// page starts where the last one ended) and the limit (`-1` for none).
const LISTED: &str = "WHERE seq > ?5 AND (?1 IS NULL OR grp = ?1) AND (?2 IS NULL OR batch = ?2)
   AND (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR email_key = ?4)";

/// Version 3: leases. Each message's attempt count (the fence every settle is checked
/// against) and lease get columns, and damaged messages a claim meets are moved to a table
/// of their own.
const SCHEMA_V3: &str = "
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN lease_worker TEXT;
ALTER TABLE outbox ADD COLUMN lease_until TEXT;
UPDATE outbox SET attempts = coalesce(json_extract(body, '$.attempts'), 0) WHERE json_valid(body);
CREATE TABLE outbox_set_aside (
    id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    reason TEXT NOT NULL
);
";

/// Version 4: revocation status lists. The next status list index to give out.
const SCHEMA_V4: &str = "
CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO counters (name, value) VALUES ('status_index', 0);
";

/// Version 5: the event log. An event with a visitor is kept once per kind, credential,
/// visitor and day (the partial unique index).
const SCHEMA_V5: &str = "
CREATE TABLE events (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    credential TEXT NOT NULL,
    grp TEXT NOT NULL,
    batch TEXT NOT NULL,
    visitor TEXT,
    detail TEXT
);
CREATE UNIQUE INDEX events_once_a_day ON events (kind, credential, visitor, day)
    WHERE visitor IS NOT NULL;
CREATE INDEX events_by_batch ON events (grp, batch, day);
";

/// Version 6: groups are versioned. `groups` keeps each key's latest version and its number;
/// `group_versions` every version, the ones saved before as version 1. `visitor_secrets`
/// keeps the day's secret for visitors' hashes.
const SCHEMA_V6: &str = "
ALTER TABLE groups ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
CREATE TABLE group_versions (
    key TEXT NOT NULL,
    version INTEGER NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (key, version)
);
INSERT INTO group_versions (key, version, body) SELECT key, 1, body FROM groups;
CREATE TABLE visitor_secrets (
    day TEXT PRIMARY KEY,
    secret BLOB NOT NULL
);
";

/// Version 7: the suppression list, one row per address by its key
/// (`conferral::storage::email_key`), the entry as JSON.
const SCHEMA_V7: &str = "
CREATE TABLE suppressions (
    email_key TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
";

/// A conferral store in one SQLite file.
#[derive(Debug)]
pub struct SqliteStorage {
    conn: Connection,
}

fn storage_error(what: &str, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(ErrorKind::Storage, format!("the database could not {what}")).with_source(e)
}

fn sql(what: &'static str) -> impl FnOnce(rusqlite::Error) -> Error {
    move |e| storage_error(what, e)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| storage_error("encode a record", e))
}

/// Adds a message to the outbox; its parameters are [`insert_message`]'s.
const INSERT_MESSAGE: &str =
    "INSERT INTO outbox (id, credential, kind, state, next_attempt_at, queued_at, body, attempts)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// Runs an [`INSERT_MESSAGE`] statement for `m`: the rows it added, or SQLite's refusal
/// (a conflict, for the caller to name); an error when `m` cannot be encoded.
fn insert_message(
    insert: &mut rusqlite::CachedStatement<'_>,
    m: &OutboxMessage,
) -> Result<rusqlite::Result<usize>> {
    Ok(insert.execute(params![
        m.id,
        m.credential,
        m.kind.as_str(),
        m.state.as_str(),
        time(m.next_attempt_at),
        time(m.queued_at),
        to_json(m)?,
        m.attempts
    ]))
}

/// A group version read back.
fn stored_group(key: String, version: u32, body: &str) -> Result<StoredGroup> {
    Ok(StoredGroup {
        key,
        version,
        group: from_json(body)?,
    })
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| storage_error("decode a stored record", e))
}

/// Times as fixed-width UTC text, so that text order is time order.
fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A time stored by [`time`].
fn parse_time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| storage_error("read a stored time", e))
}

fn conflict(message: String) -> Error {
    Error::new(ErrorKind::Conflict, message)
}

fn not_found(what: &str, id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("there is no {what} `{id}`"))
}

impl SqliteStorage {
    /// The parameters of [`LISTED`] for `query`; `None` when it lists nothing (it asks for
    /// the credentials after an id no credential has).
    #[allow(clippy::type_complexity)]
    fn listed_params<'q>(
        &self,
        query: &'q CredentialQuery,
    ) -> Result<
        Option<(
            Option<&'q str>,
            Option<&'q str>,
            Option<&'static str>,
            Option<String>,
            i64,
            i64,
        )>,
    > {
        let after = match &query.after {
            None => 0,
            Some(id) => {
                let seq: Option<i64> = self
                    .conn
                    .prepare_cached("SELECT seq FROM credentials WHERE id = ?1")
                    .and_then(|mut s| s.query_row(params![id], |r| r.get(0)).optional())
                    .map_err(sql("find a credential"))?;
                match seq {
                    Some(seq) => seq,
                    None => return Ok(None),
                }
            }
        };
        let limit = query
            .limit
            .map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        Ok(Some((
            query.group.as_deref(),
            query.batch.as_deref(),
            query.state.map(|s| s.as_str()),
            query.email.as_deref().map(duplicate_key),
            after,
            limit,
        )))
    }
    /// Opens (creating if needed) the database at `path` and migrates its schema.
    ///
    /// # Errors
    /// [`ErrorKind::Storage`] when the file cannot be opened, is not a database, or was
    /// written by a newer release.
    pub fn open(path: impl AsRef<Path>) -> Result<SqliteStorage> {
        let path = path.as_ref();
        let conn = Connection::open(path).map_err(|e| {
            Error::new(
                ErrorKind::Storage,
                format!("the database `{}` could not be opened", path.display()),
            )
            .with_source(e)
        })?;
        SqliteStorage::setup(conn)
    }

    /// A private database in memory (for tests and previews).
    ///
    /// # Errors
    /// [`ErrorKind::Storage`] when SQLite cannot start.
    pub fn open_in_memory() -> Result<SqliteStorage> {
        let conn = Connection::open_in_memory().map_err(sql("start"))?;
        SqliteStorage::setup(conn)
    }

    fn setup(conn: Connection) -> Result<SqliteStorage> {
        // A writer waits for the one before it up to a minute: with several delivery workers
        // on one file, a disk busy writing back a large publish can hold each commit's sync
        // for seconds, and a worker that gave up after 10 s ended its whole run.
        conn.busy_timeout(Duration::from_secs(60))
            .map_err(sql("set a busy timeout"))?;
        // WAL lets readers work beside the one writer; FULL syncs the WAL at each commit, so
        // the outbox's marks survive power loss (NORMAL may roll the last commits back).
        // (An in-memory database answers `memory` and stays so.)
        conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
            .map_err(sql("switch to WAL mode"))?;
        // A page cache of 64 MiB (the default is 2 MiB): a large publish inserts into indexes
        // keyed by random ids, and with a small cache each insert reads its page from disk.
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536;",
        )
        .map_err(sql("set its pragmas"))?;
        let mut store = SqliteStorage { conn };
        store.migrate()?;
        Ok(store)
    }

    /// Calls `hook` inside every commit on this connection: after the transaction's writes,
    /// before SQLite makes them durable (SQLite's commit hook). A process that dies there must
    /// leave the whole transaction out, which the crash tests check by stopping in the hook.
    /// The hook returning `true` turns the commit into a rollback.
    pub fn on_commit(&mut self, hook: impl FnMut() -> bool + Send + 'static) {
        self.conn.commit_hook(Some(hook));
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    /// [`ErrorKind::Storage`] when it cannot be read.
    pub fn schema_version(&self) -> Result<i64> {
        self.conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql("read its schema version"))
    }

    /// The rows of a grouped count: a name, how many, and a time (the group's oldest or
    /// latest, as `query` picks it).
    fn counted(
        &self,
        query: &str,
        what: &'static str,
    ) -> Result<Vec<(String, u64, DateTime<Utc>)>> {
        let mut stmt = self.conn.prepare_cached(query).map_err(sql(what))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(sql(what))?;
        rows.map(|row| {
            let (name, n, time) = row.map_err(sql(what))?;
            Ok((name, n, parse_time(&time)?))
        })
        .collect()
    }

    fn migrate(&mut self) -> Result<()> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("start a migration"))?;
        let version: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(sql("read its schema version"))?;
        if version > SCHEMA_VERSION {
            return Err(Error::new(
                ErrorKind::Storage,
                format!(
                    "the database has schema version {version}, newer than this release's {SCHEMA_VERSION}; upgrade conferral"
                ),
            ));
        }
        if version < 1 {
            tx.execute_batch(SCHEMA_V1)
                .map_err(sql("create its tables"))?;
        }
        if version < 2 {
            tx.execute_batch(SCHEMA_V2)
                .map_err(sql("add the learned mappings"))?;
        }
        if version < 3 {
            tx.execute_batch(SCHEMA_V3)
                .map_err(sql("add delivery leases"))?;
        }
        if version < 4 {
            tx.execute_batch(SCHEMA_V4)
                .map_err(sql("add status list indexes"))?;
        }
        if version < 5 {
            tx.execute_batch(SCHEMA_V5)
                .map_err(sql("add the event log"))?;
        }
        if version < 6 {
            tx.execute_batch(SCHEMA_V6)
                .map_err(sql("version the groups"))?;
        }
        if version < 7 {
            tx.execute_batch(SCHEMA_V7)
                .map_err(sql("add the suppression list"))?;
        }
        tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))
            .map_err(sql("record its schema version"))?;
        tx.commit().map_err(sql("commit a migration"))
    }

    /// The record in the `body` column of the one row `query` finds, if any.
    fn one<T: serde::de::DeserializeOwned>(
        &self,
        query: &str,
        params: &[&dyn rusqlite::ToSql],
        what: &'static str,
    ) -> Result<Option<T>> {
        let body: Option<String> = self
            .conn
            .query_row(query, params, |r| r.get(0))
            .optional()
            .map_err(sql(what))?;
        body.map(|b| from_json(&b)).transpose()
    }

    fn immediate(&mut self) -> Result<rusqlite::Transaction<'_>> {
        self.conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql("start a transaction"))
    }

    /// Runs SQLite's integrity check; `Ok(())` when the file is sound.
    ///
    /// # Errors
    /// [`ErrorKind::Storage`] with SQLite's report when it is not.
    pub fn check_integrity(&self) -> Result<()> {
        let report: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(sql("check its integrity"))?;
        if report == "ok" {
            Ok(())
        } else {
            Err(Error::new(
                ErrorKind::Storage,
                format!("the database is damaged: {report}"),
            ))
        }
    }
}

fn put_credential(tx: &rusqlite::Transaction<'_>, c: &Credential, insert: bool) -> Result<()> {
    let body = to_json(c)?;
    let email = duplicate_key(&c.recipient.email);
    if insert {
        tx.prepare_cached(
            "INSERT INTO credentials (id, grp, batch, state, email_key, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .and_then(|mut s| s.execute(params![c.id, c.group, c.batch, c.state.as_str(), email, body]))
        .map_err(sql("store a credential"))?;
        return Ok(());
    }
    // Only over the version the new one was made from: its history one entry shorter.
    let made_from = c.history.len().saturating_sub(1) as i64;
    let changed = tx
        .prepare_cached(
            "UPDATE credentials SET grp = ?2, batch = ?3, state = ?4, email_key = ?5, body = ?6
             WHERE id = ?1 AND json_array_length(body, '$.history') = ?7",
        )
        .and_then(|mut s| {
            s.execute(params![
                c.id,
                c.group,
                c.batch,
                c.state.as_str(),
                email,
                body,
                made_from
            ])
        })
        .map_err(sql("update a credential"))?;
    if changed == 0 {
        let stored: Option<i64> = tx
            .prepare_cached(
                "SELECT json_array_length(body, '$.history') FROM credentials WHERE id = ?1",
            )
            .and_then(|mut s| s.query_row(params![c.id], |r| r.get(0)).optional())
            .map_err(sql("read a credential"))?;
        return Err(match stored {
            None => not_found("credential", &c.id),
            Some(entries) => conflict(format!(
                "credential `{}` changed since it was read (it has {entries} history entries; the new version was made from one with {made_from}); read it again and redo the change",
                c.id
            )),
        });
    }
    Ok(())
}

fn exists(tx: &rusqlite::Transaction<'_>, query: &str, value: &str) -> Result<bool> {
    tx.prepare_cached(query)
        .and_then(|mut s| s.exists(params![value]))
        .map_err(sql("look a record up"))
}

impl Storage for SqliteStorage {
    fn put_group(&mut self, group: &Group) -> Result<u32> {
        const WHAT: &str = "store a group";
        let (key, body) = (group.key(), to_json(group)?);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(WHAT))?;
        let latest: Option<(u32, String)> = tx
            .query_row(
                "SELECT version, body FROM groups WHERE key = ?1",
                params![key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(sql(WHAT))?;
        let version = match latest {
            Some((version, latest)) if latest == body => return Ok(version),
            Some((version, _)) => version + 1,
            None => 1,
        };
        tx.execute(
            "INSERT INTO groups (key, body, version) VALUES (?1, ?2, ?3)
             ON CONFLICT (key) DO UPDATE SET body = excluded.body, version = excluded.version",
            params![key, body, version],
        )
        .map_err(sql(WHAT))?;
        tx.execute(
            "INSERT INTO group_versions (key, version, body) VALUES (?1, ?2, ?3)",
            params![key, version, body],
        )
        .map_err(sql(WHAT))?;
        tx.commit().map_err(sql(WHAT))?;
        Ok(version)
    }

    fn stored_group(&self, key: &str, version: Option<u32>) -> Result<Option<StoredGroup>> {
        const WHAT: &str = "read a group";
        let found: Option<(u32, String)> = match version {
            None => self.conn.query_row(
                "SELECT version, body FROM groups WHERE key = ?1",
                params![key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            ),
            Some(version) => self.conn.query_row(
                "SELECT version, body FROM group_versions WHERE key = ?1 AND version = ?2",
                params![key, version],
                |r| Ok((r.get(0)?, r.get(1)?)),
            ),
        }
        .optional()
        .map_err(sql(WHAT))?;
        found
            .map(|(version, body)| stored_group(key.to_owned(), version, &body))
            .transpose()
    }

    fn visitor_secret(&mut self, day: chrono::NaiveDate, fresh: &[u8; 32]) -> Result<[u8; 32]> {
        const WHAT: &str = "keep the visitors' secret";
        let day = day.to_string();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(WHAT))?;
        tx.execute("DELETE FROM visitor_secrets WHERE day < ?1", params![day])
            .map_err(sql(WHAT))?;
        tx.execute(
            "INSERT INTO visitor_secrets (day, secret) VALUES (?1, ?2) ON CONFLICT (day) DO NOTHING",
            params![day, fresh.as_slice()],
        )
        .map_err(sql(WHAT))?;
        let kept: Vec<u8> = tx
            .query_row(
                "SELECT secret FROM visitor_secrets WHERE day = ?1",
                params![day],
                |r| r.get(0),
            )
            .map_err(sql(WHAT))?;
        tx.commit().map_err(sql(WHAT))?;
        <[u8; 32]>::try_from(kept.as_slice()).map_err(|e| storage_error(WHAT, e))
    }

    fn groups(&self) -> Result<Vec<StoredGroup>> {
        const WHAT: &str = "list groups";
        let mut statement = self
            .conn
            .prepare("SELECT key, version, body FROM groups ORDER BY key")
            .map_err(sql(WHAT))?;
        let rows = statement
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, u32>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(sql(WHAT))?;
        rows.map(|row| {
            let (key, version, body) = row.map_err(sql(WHAT))?;
            stored_group(key, version, &body)
        })
        .collect()
    }

    fn mappings(&self, group: &str) -> Result<SavedMappings> {
        Ok(self
            .one(
                "SELECT body FROM mappings WHERE group_key = ?1",
                params![group],
                "read learned mappings",
            )?
            .unwrap_or_default())
    }

    fn put_mappings(&mut self, group: &str, mappings: &SavedMappings) -> Result<()> {
        if mappings.0.is_empty() {
            self.conn
                .execute("DELETE FROM mappings WHERE group_key = ?1", params![group])
                .map_err(sql("forget learned mappings"))?;
            return Ok(());
        }
        let body = to_json(mappings)?;
        self.conn
            .execute(
                "INSERT INTO mappings (group_key, body) VALUES (?1, ?2) ON CONFLICT (group_key) DO UPDATE SET body = excluded.body",
                params![group, body],
            )
            .map_err(sql("store learned mappings"))?;
        Ok(())
    }

    fn commit_import(
        &mut self,
        batch: &Batch,
        created: &[Credential],
        replaced: &[Credential],
    ) -> Result<()> {
        let tx = self.immediate()?;
        if exists(&tx, "SELECT 1 FROM batches WHERE id = ?1", &batch.id)? {
            return Err(conflict(format!("batch `{}` exists already", batch.id)));
        }
        let same_file: bool = tx
            .prepare_cached("SELECT 1 FROM batches WHERE grp = ?1 AND fingerprint = ?2")
            .and_then(|mut s| s.exists(params![batch.group, batch.fingerprint]))
            .map_err(sql("look a batch up"))?;
        if same_file {
            return Err(conflict(format!(
                "this file was imported into group `{}` already",
                batch.group
            )));
        }
        tx.execute(
            "INSERT INTO batches (id, grp, fingerprint, body) VALUES (?1, ?2, ?3, ?4)",
            params![batch.id, batch.group, batch.fingerprint, to_json(batch)?],
        )
        .map_err(sql("store a batch"))?;
        for c in created {
            if exists(&tx, "SELECT 1 FROM credentials WHERE id = ?1", &c.id)? {
                return Err(conflict(format!("credential `{}` exists already", c.id)));
            }
            put_credential(&tx, c, true)?;
        }
        for c in replaced {
            put_credential(&tx, c, false)?;
        }
        // Dropping the transaction on an early return rolls everything back.
        tx.commit().map_err(sql("commit an import"))
    }

    fn batch_by_fingerprint(&self, group: &str, fingerprint: &str) -> Result<Option<Batch>> {
        self.one(
            "SELECT body FROM batches WHERE grp = ?1 AND fingerprint = ?2",
            params![group, fingerprint],
            "read a batch",
        )
    }

    fn batch(&self, id: &str) -> Result<Option<Batch>> {
        self.one(
            "SELECT body FROM batches WHERE id = ?1",
            params![id],
            "read a batch",
        )
    }

    fn batches(&self, group: Option<&str>) -> Result<Vec<Batch>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM batches WHERE ?1 IS NULL OR grp = ?1 ORDER BY seq")
            .map_err(sql("list batches"))?;
        let rows = stmt
            .query_map(params![group], |r| r.get::<_, String>(0))
            .map_err(sql("list batches"))?;
        rows.map(|b| b.map_err(sql("list batches")).and_then(|b| from_json(&b)))
            .collect()
    }

    fn credential(&self, id: &str) -> Result<Option<Credential>> {
        self.one(
            "SELECT body FROM credentials WHERE id = ?1",
            params![id],
            "read a credential",
        )
    }

    fn credentials(&self, query: &CredentialQuery) -> Result<Vec<Credential>> {
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT body FROM credentials {LISTED} ORDER BY seq LIMIT ?6"
            ))
            .map_err(sql("list credentials"))?;
        let Some(params) = self.listed_params(query)? else {
            return Ok(Vec::new());
        };
        let rows = stmt
            .query_map(params, |r| r.get::<_, String>(0))
            .map_err(sql("list credentials"))?;
        rows.map(|b| {
            b.map_err(sql("list credentials"))
                .and_then(|b| from_json(&b))
        })
        .collect()
    }

    fn count_credentials(&self, query: &CredentialQuery) -> Result<u64> {
        let Some(params) = self.listed_params(query)? else {
            return Ok(0);
        };
        let count: i64 = self
            .conn
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT 1 FROM credentials {LISTED} LIMIT ?6)"
            ))
            .and_then(|mut s| s.query_row(params, |r| r.get(0)))
            .map_err(sql("count credentials"))?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn update_credential(&mut self, credential: &Credential) -> Result<()> {
        let tx = self.immediate()?;
        put_credential(&tx, credential, false)?;
        tx.commit().map_err(sql("commit a credential"))
    }

    fn delete_drafts(&mut self, ids: &[String]) -> Result<Vec<String>> {
        let tx = self.immediate()?;
        let mut deleted = Vec::new();
        {
            // The condition is in the statement: a draft published since it was listed has
            // a message and another state by now, and stays.
            let mut delete = tx
                .prepare_cached(
                    "DELETE FROM credentials WHERE id = ?1 AND state = 'draft'
                        AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.credential = ?1)
                     RETURNING batch",
                )
                .map_err(sql("delete a draft"))?;
            let mut batches = Vec::new();
            for id in ids {
                let batch: Option<String> = delete
                    .query_row(params![id], |r| r.get(0))
                    .optional()
                    .map_err(sql("delete a draft"))?;
                if let Some(batch) = batch {
                    deleted.push(id.clone());
                    if !batches.contains(&batch) {
                        batches.push(batch);
                    }
                }
            }
            let mut forget = tx
                .prepare_cached(
                    "DELETE FROM batches WHERE id = ?1
                        AND NOT EXISTS (SELECT 1 FROM credentials WHERE credentials.batch = ?1)",
                )
                .map_err(sql("delete an emptied batch"))?;
            for batch in &batches {
                forget
                    .execute(params![batch])
                    .map_err(sql("delete an emptied batch"))?;
            }
        }
        tx.commit().map_err(sql("commit a deletion"))?;
        Ok(deleted)
    }

    fn commit_publish(
        &mut self,
        credentials: &[Credential],
        messages: &[OutboxMessage],
    ) -> Result<()> {
        let tx = self.immediate()?;
        for c in credentials {
            put_credential(&tx, c, false)?;
        }
        {
            let mut insert = tx
                .prepare_cached(INSERT_MESSAGE)
                .map_err(sql("queue a message"))?;
            for m in messages {
                match insert_message(&mut insert, m)? {
                    Ok(_) => {}
                    Err(rusqlite::Error::SqliteFailure(e, _))
                        if e.code == rusqlite::ErrorCode::ConstraintViolation =>
                    {
                        return Err(conflict(format!("message `{}` is queued already", m.id)));
                    }
                    Err(e) => return Err(storage_error("queue a message", e)),
                }
            }
        }
        tx.commit().map_err(sql("commit a publish"))
    }

    fn claim_next(&mut self, now: DateTime<Utc>, lease: &Lease) -> Result<Option<OutboxMessage>> {
        let tx = self.immediate()?;
        loop {
            let row: Option<(String, String)> = tx
                .prepare_cached(
                    "SELECT id, body FROM outbox WHERE state = 'pending' AND next_attempt_at <= ?1
                     ORDER BY next_attempt_at, id LIMIT 1",
                )
                .and_then(|mut s| {
                    s.query_row(params![time(now)], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(sql("find a due message"))?;
            let Some((id, body)) = row else {
                return Ok(None);
            };
            let claimed = match from_json::<OutboxMessage>(&body).and_then(|m| m.claim(now, lease))
            {
                Ok(claimed) => claimed,
                Err(e) => {
                    // One damaged row must not stop every delivery: it is kept apart, counted
                    // by status, and the next message is claimed.
                    set_aside(&tx, &id, &body, &e.to_string())?;
                    continue;
                }
            };
            write_message(&tx, &claimed)?;
            tx.commit().map_err(sql("commit a claim"))?;
            return Ok(Some(claimed));
        }
    }

    fn update_message(&mut self, message: &OutboxMessage, expected: DeliveryState) -> Result<()> {
        self.update_messages(&[(message.clone(), expected)])
    }

    fn update_messages(&mut self, changes: &[(OutboxMessage, DeliveryState)]) -> Result<()> {
        // One transaction: a refused change rolls back the ones before it (dropping `tx`).
        let tx = self.immediate()?;
        for (message, expected) in changes {
            let stored: Option<(String, u32)> = tx
                .prepare_cached("SELECT state, attempts FROM outbox WHERE id = ?1")
                .and_then(|mut s| {
                    s.query_row(params![message.id], |r| Ok((r.get(0)?, r.get(1)?)))
                        .optional()
                })
                .map_err(sql("read a message"))?;
            match stored {
                None => return Err(not_found("message", &message.id)),
                Some((s, _)) if s != expected.as_str() => {
                    return Err(conflict(format!(
                        "message `{}` is {s}, not {}",
                        message.id,
                        expected.as_str()
                    )));
                }
                Some((_, attempts)) if attempts != message.attempts => {
                    return Err(conflict(format!(
                        "message `{}` was claimed again since (attempt {attempts}, not {})",
                        message.id, message.attempts
                    )));
                }
                Some(_) => {}
            }
            write_message(&tx, message)?;
        }
        tx.commit().map_err(sql("commit a message"))
    }

    fn message(&self, id: &str) -> Result<Option<OutboxMessage>> {
        self.one(
            "SELECT body FROM outbox WHERE id = ?1",
            params![id],
            "read a message",
        )
    }

    fn messages(&self, query: &MessageQuery) -> Result<Vec<OutboxMessage>> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT credential, body FROM outbox WHERE (?1 IS NULL OR state = ?1)
                 ORDER BY queued_at, id",
            )
            .map_err(sql("list messages"))?;
        let rows = stmt
            .query_map(params![query.state.map(|s| s.as_str())], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
            })
            .map_err(sql("list messages"))?;
        let mut out = Vec::new();
        for row in rows {
            let (credential, body) = row.map_err(sql("list messages"))?;
            if query
                .credentials
                .as_ref()
                .is_none_or(|ids| ids.contains(&credential))
            {
                out.push(from_json(&body)?);
            }
        }
        Ok(out)
    }

    fn queue_messages(&mut self, messages: &[OutboxMessage]) -> Result<Vec<String>> {
        const WHAT: &str = "queue a message";
        let tx = self.immediate()?;
        let mut added = Vec::new();
        {
            let mut insert = tx
                .prepare_cached(&format!("{INSERT_MESSAGE} ON CONFLICT DO NOTHING"))
                .map_err(sql(WHAT))?;
            for m in messages {
                if insert_message(&mut insert, m)?.map_err(sql(WHAT))? == 1 {
                    added.push(m.id.clone());
                }
            }
        }
        tx.commit().map_err(sql("commit queued messages"))?;
        Ok(added)
    }

    fn allocate_status_indexes(&mut self, count: u64) -> Result<u64> {
        const WHAT: &str = "reserve status list indexes";
        let count = i64::try_from(count).map_err(|e| {
            Error::new(
                ErrorKind::InvalidValue,
                format!("{count} status list indexes are more than a store can hold"),
            )
            .with_source(e)
        })?;
        let tx = self.immediate()?;
        let first: i64 = tx
            .query_row(
                "UPDATE counters SET value = value + ?1 WHERE name = 'status_index'
                 RETURNING value - ?1",
                [count],
                |r| r.get(0),
            )
            .map_err(sql(WHAT))?;
        tx.commit().map_err(sql(WHAT))?;
        u64::try_from(first).map_err(|e| storage_error(WHAT, e))
    }

    fn status_indexes(&self) -> Result<u64> {
        const WHAT: &str = "count status list indexes";
        let next: i64 = self
            .conn
            .query_row(
                "SELECT value FROM counters WHERE name = 'status_index'",
                [],
                |r| r.get(0),
            )
            .map_err(sql(WHAT))?;
        u64::try_from(next).map_err(|e| storage_error(WHAT, e))
    }

    fn record_events(&mut self, events: &[Event]) -> Result<u64> {
        const WHAT: &str = "record events";
        let tx = self.immediate()?;
        let mut kept = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO events (at, day, kind, credential, grp, batch, visitor, detail)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )
                .map_err(sql(WHAT))?;
            for e in events {
                kept += insert
                    .execute(params![
                        time(e.at),
                        e.day().to_string(),
                        e.kind.as_str(),
                        e.credential,
                        e.group,
                        e.batch,
                        e.visitor,
                        e.detail
                    ])
                    .map_err(sql(WHAT))? as u64;
            }
        }
        tx.commit().map_err(sql(WHAT))?;
        Ok(kept)
    }

    fn credentials_with_event(
        &self,
        kind: EventKind,
        credentials: &[String],
    ) -> Result<std::collections::BTreeSet<String>> {
        const WHAT: &str = "find credentials' events";
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT credential FROM events
                 WHERE kind = ?1 AND credential IN (SELECT value FROM json_each(?2))",
            )
            .map_err(sql(WHAT))?;
        let mut found = std::collections::BTreeSet::new();
        // A few thousand ids a statement keep each JSON text small.
        for chunk in credentials.chunks(5_000) {
            let ids = to_json(&chunk)?;
            let rows = stmt
                .query_map(params![kind.as_str(), ids], |r| r.get::<_, String>(0))
                .map_err(sql(WHAT))?;
            for row in rows {
                found.insert(row.map_err(sql(WHAT))?);
            }
        }
        Ok(found)
    }

    fn event_counts(&self, query: &EventQuery, daily: bool) -> Result<Vec<EventCount>> {
        const WHAT: &str = "count events";
        let sql_text = format!(
            "SELECT grp, batch, kind, {day}, COUNT(*), COUNT(DISTINCT credential) FROM events
             WHERE (?1 IS NULL OR grp = ?1) AND (?2 IS NULL OR batch = ?2) AND (?3 IS NULL OR day >= ?3)
             GROUP BY grp, batch, kind{by_day}",
            day = if daily { "day" } else { "NULL" },
            by_day = if daily { ", day" } else { "" },
        );
        let mut stmt = self.conn.prepare_cached(&sql_text).map_err(sql(WHAT))?;
        let since = query.since.map(|d| d.to_string());
        let rows = stmt
            .query_map(params![query.group, query.batch, since], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .map_err(sql(WHAT))?;
        let mut counts = Vec::new();
        for row in rows {
            let (group, batch, kind, day, events, credentials) = row.map_err(sql(WHAT))?;
            let kind = EventKind::parse(&kind).ok_or_else(|| {
                Error::new(
                    ErrorKind::Storage,
                    format!("the event log holds an unknown kind `{kind}`"),
                )
            })?;
            let day = day
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                        .map_err(|e| storage_error("read an event's day", e))
                })
                .transpose()?;
            counts.push(EventCount {
                group,
                batch,
                kind,
                day,
                events: u64::try_from(events).unwrap_or(0),
                credentials: u64::try_from(credentials).unwrap_or(0),
            });
        }
        counts.sort_by(|a, b| {
            (&a.group, &a.batch, a.day, a.kind).cmp(&(&b.group, &b.batch, b.day, b.kind))
        });
        Ok(counts)
    }

    fn suppress(&mut self, entry: &Suppression) -> Result<bool> {
        const WHAT: &str = "add to the suppression list";
        let body = to_json(entry)?;
        let tx = self.immediate()?;
        let added = tx
            .execute(
                "INSERT INTO suppressions (email_key, body) VALUES (?1, ?2)
                 ON CONFLICT (email_key) DO NOTHING",
                params![duplicate_key(&entry.email), body],
            )
            .map_err(sql(WHAT))?;
        tx.commit().map_err(sql(WHAT))?;
        Ok(added == 1)
    }

    fn unsuppress(&mut self, email: &str) -> Result<bool> {
        const WHAT: &str = "remove from the suppression list";
        let tx = self.immediate()?;
        let removed = tx
            .execute(
                "DELETE FROM suppressions WHERE email_key = ?1",
                params![duplicate_key(email)],
            )
            .map_err(sql(WHAT))?;
        tx.commit().map_err(sql(WHAT))?;
        Ok(removed == 1)
    }

    fn suppression(&self, email: &str) -> Result<Option<Suppression>> {
        self.one(
            "SELECT body FROM suppressions WHERE email_key = ?1",
            &[&duplicate_key(email)],
            "read the suppression list",
        )
    }

    fn suppressions(&self) -> Result<Vec<Suppression>> {
        const WHAT: &str = "list the suppression list";
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM suppressions ORDER BY email_key")
            .map_err(sql(WHAT))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(sql(WHAT))?;
        rows.map(|row| from_json(&row.map_err(sql(WHAT))?))
            .collect()
    }

    fn status(&self) -> Result<StatusCounts> {
        let mut counts = StatusCounts::zeroed();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT state, COUNT(*) FROM credentials GROUP BY state")
            .map_err(sql("count states"))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))
            .map_err(sql("count states"))?;
        for row in rows {
            let (state, n) = row.map_err(sql("count states"))?;
            counts.credentials.insert(state, n);
        }
        let states = self.counted(
            "SELECT state, COUNT(*), min(queued_at) FROM outbox GROUP BY state",
            "count states",
        )?;
        for (state, n, oldest) in states {
            counts.oldest.insert(state.clone(), oldest);
            counts.deliveries.insert(state, n);
        }
        let holders = self.counted(
            "SELECT lease_worker, COUNT(*), max(lease_until) FROM outbox
             WHERE state = 'sending' AND lease_worker IS NOT NULL
             GROUP BY lease_worker ORDER BY lease_worker",
            "list leases",
        )?;
        for (worker, n, until) in holders {
            counts.hold(&worker, n, until);
        }
        counts.set_aside = self
            .conn
            .query_row("SELECT COUNT(*) FROM outbox_set_aside", [], |r| r.get(0))
            .map_err(sql("count messages set aside"))?;
        Ok(counts)
    }
}

/// Moves a damaged outbox row to `outbox_set_aside`, with why it could not be read.
fn set_aside(tx: &rusqlite::Transaction<'_>, id: &str, body: &str, reason: &str) -> Result<()> {
    tx.execute(
        "INSERT OR REPLACE INTO outbox_set_aside (id, body, reason) VALUES (?1, ?2, ?3)",
        params![id, body, reason],
    )
    .and_then(|_| tx.execute("DELETE FROM outbox WHERE id = ?1", params![id]))
    .map_err(sql("set a damaged message aside"))?;
    Ok(())
}

fn write_message(tx: &rusqlite::Transaction<'_>, m: &OutboxMessage) -> Result<()> {
    let body = to_json(m)?;
    tx.prepare_cached(
        "UPDATE outbox SET state = ?2, next_attempt_at = ?3, body = ?4, attempts = ?5,
                lease_worker = ?6, lease_until = ?7
         WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            m.id,
            m.state.as_str(),
            time(m.next_attempt_at),
            body,
            m.attempts,
            m.lease.as_ref().map(|l| l.worker.as_str()),
            m.lease.as_ref().map(|l| time(l.until))
        ])
    })
    .map_err(sql("update a message"))?;
    Ok(())
}
