//! PostgreSQL storage for conferral: one store that any number of delivery workers, on any
//! number of machines, share.
//!
//! [`PostgresStorage`] implements [`Storage`] with the contract of every method:
//!
//! - every write is one transaction at `READ COMMITTED`, and every change the contract makes
//!   conditional is a condition of the SQL itself (`UPDATE … WHERE id = $1 AND versions = $2`,
//!   `… AND state = $3 AND attempts = $4`, `INSERT … ON CONFLICT DO NOTHING`). Under
//!   `READ COMMITTED` an `UPDATE` or `SELECT … FOR UPDATE` that waited for another
//!   transaction's lock evaluates its condition again on the row that transaction committed,
//!   so a compare-and-set is exact without the serialization failures of stricter levels;
//! - a claim is `SELECT … FOR UPDATE SKIP LOCKED LIMIT 1` and its update in one short
//!   transaction, committed before [`Storage::claim_next`] returns: claimers skip each
//!   other's rows instead of waiting for them, and never take the same message;
//! - rows are locked in id order (credentials of a publish, messages of a resend), so two
//!   writers over the same rows queue behind each other instead of deadlocking; a deadlock or
//!   serialization failure the server reports anyway rolls the whole transaction back, and it
//!   is run again from the start;
//! - a lost connection (a server restart, a terminated backend) before the commit is sent
//!   rolls the transaction back on the server; the store connects again and runs it again,
//!   for up to [`Options::reconnect_within`]. A connection lost *during* the commit is
//!   reported as an [`ErrorKind::Storage`] error saying that the change may or may not have
//!   been stored, never retried blindly;
//! - `lock_timeout` (10 s by default) bounds how long any statement waits for a lock, and
//!   `idle_in_transaction_session_timeout` (60 s) ends a session that stopped half-way
//!   through a transaction, so a frozen process cannot hold rows for ever.
//!
//! The schema carries a version (the `conferral_schema` table) and is migrated on connect,
//! under an advisory lock; a database written by a newer release is refused. The tables live
//! in the first schema of the connection's `search_path`, or in the schema named by
//! [`Options::schema`] (created when missing), so one database can hold several stores.
//!
//! # Client and TLS
//!
//! The client is the synchronous [`postgres`] crate: [`Storage`] is a synchronous trait with
//! `&mut self` writes, and the blocking client maps onto it one call to one round of
//! statements, with no async runtime for the host to provide (the crate drives its own small
//! one inside each connection). [`PostgresPool`] keeps connections for hosts that open a store
//! per request or per worker, on [`r2d2`]. Connections are made **without TLS**: the store is
//! meant for a server on loopback or a private network. A URL with `sslmode=require` is
//! refused with a clear error rather than connecting in the clear; `sslmode=prefer` (the
//! default) connects without TLS.
//!
//! ```no_run
//! use conferral::storage::Storage;
//! let store = conferral_postgres::PostgresStorage::connect(
//!     "postgres://conferral@127.0.0.1:5432/conferral",
//! )?;
//! assert_eq!(store.status()?.credentials["draft"], 0);
//! # Ok::<(), conferral::Error>(())
//! ```

mod connect;
mod records;
mod schema;
mod session;

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use conferral::error::{Error, ErrorKind, Result};
use conferral::events::{Event, EventCount, EventKind, EventQuery};
use conferral::group::Group;
use conferral::lifecycle::Credential;
use conferral::matching::SavedMappings;
use conferral::outbox::{DeliveryState, Lease, OutboxMessage};
use conferral::storage::{
    Batch, CredentialQuery, MessageQuery, StatusCounts, Storage, StoredGroup, Suppression,
    email_key,
};
use postgres::IsolationLevel;

pub use connect::Options;
use connect::{Connector, Held, Manager, Mode, Source, config};
use records::{
    Built, CREDENTIAL_BODY, CredentialRow, MESSAGE_BODY, MessageRow, body, conflict, count,
    from_json, holds, insert_credentials, insert_messages, listed, not_found, queue_new_messages,
    run_again, set_aside, to_json, update_credentials, write_claim,
};
pub use schema::SCHEMA_VERSION;
use session::{Db, Fail, Params, TxFail, failed};

/// An import that creates at least this many credentials refreshes the planner's statistics
/// of the table (see `refresh_statistics`); fewer fit in one page of a publish, read by one
/// query whatever its plan.
const ANALYZE_AFTER: usize = conferral::issuer::PUBLISH_CHUNK;

/// A conferral store in a PostgreSQL database.
pub struct PostgresStorage {
    connector: Connector,
    /// The connection: taken on first use, dropped when found broken, opened again on the
    /// next call. A lock because the reads of [`Storage`] take `&self`.
    session: Mutex<Option<Held>>,
    before_commit: Option<Box<dyn FnMut() -> bool + Send>>,
}

impl std::fmt::Debug for PostgresStorage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStorage")
            .field("target", &self.connector.target)
            .finish_non_exhaustive()
    }
}

/// Connections to one database, shared by the stores [`PostgresPool::store`] makes: for a
/// host that opens a store per request or per worker.
#[derive(Debug, Clone)]
pub struct PostgresPool {
    connector: Connector,
}

impl PostgresPool {
    /// A pool of at most [`Options::pool_size`] connections to the database at `url`, whose
    /// schema is migrated first.
    ///
    /// # Errors
    /// As [`PostgresStorage::connect_with`].
    pub fn new(url: &str, options: &Options) -> Result<PostgresPool> {
        let (config, target) = config(url, options)?;
        let pool = r2d2::Pool::builder()
            .max_size(options.pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(options.reconnect_within.max(Duration::from_millis(100)))
            .build_unchecked(Manager { config });
        let connector = Connector {
            source: Source::Pool(pool),
            target,
            reconnect_within: options.reconnect_within,
        };
        let mut held = connector.open()?;
        schema::migrate(held.session(), &connector.target, options.schema.as_deref())?;
        Ok(PostgresPool { connector })
    }

    /// A store that takes a connection of the pool on its first call and gives it back when
    /// dropped.
    pub fn store(&self) -> PostgresStorage {
        PostgresStorage {
            connector: self.connector.clone(),
            session: Mutex::new(None),
            before_commit: None,
        }
    }
}

impl PostgresStorage {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, or
    /// the `key=value` form) and migrates its schema.
    ///
    /// # Errors
    /// [`ErrorKind::Storage`] when the URL cannot be read or asks for TLS, the server cannot
    /// be reached within [`Options::reconnect_within`], or the schema is newer than this
    /// release's.
    pub fn connect(url: &str) -> Result<PostgresStorage> {
        PostgresStorage::connect_with(url, &Options::default())
    }

    /// [`PostgresStorage::connect`] with `options`.
    ///
    /// # Errors
    /// As [`PostgresStorage::connect`]; also when [`Options::schema`] is not a plain
    /// lower-case name.
    pub fn connect_with(url: &str, options: &Options) -> Result<PostgresStorage> {
        let (config, target) = config(url, options)?;
        let connector = Connector {
            source: Source::Direct(Box::new(config)),
            target,
            reconnect_within: options.reconnect_within,
        };
        let mut held = connector.open()?;
        schema::migrate(held.session(), &connector.target, options.schema.as_deref())?;
        Ok(PostgresStorage {
            connector,
            session: Mutex::new(Some(held)),
            before_commit: None,
        })
    }

    /// Calls `hook` inside every write transaction of this store, after its statements and
    /// before its commit; `true` turns the commit into a rollback. Tests use it to do
    /// something (end the connection, say) while a transaction is open.
    pub fn on_commit(&mut self, hook: impl FnMut() -> bool + Send + 'static) {
        self.before_commit = Some(Box::new(hook));
    }

    /// The schema version of the database.
    ///
    /// # Errors
    /// [`ErrorKind::Storage`] when it cannot be read.
    pub fn schema_version(&self) -> Result<i32> {
        self.read("read its schema version", &mut |db| schema::version(db))
    }

    /// The process id of the server backend serving this store's connection (as
    /// `pg_stat_activity` shows it); it changes when the store connects again.
    ///
    /// # Errors
    /// [`ErrorKind::Storage`] when it cannot be read.
    pub fn backend_pid(&self) -> Result<i32> {
        self.read("read its backend", &mut |db| {
            let row = db.query_opt("SELECT pg_backend_pid()", &[], "read its backend")?;
            row.map(|r| r.try_get(0).map_err(failed("read its backend")))
                .transpose()?
                .ok_or_else(|| Fail::Refused(Error::new(ErrorKind::Storage, "no backend")))
        })
    }

    fn read<T>(
        &self,
        what: &'static str,
        f: &mut dyn FnMut(&mut Db<'_>) -> Result<T, Fail>,
    ) -> Result<T> {
        let mut slot = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        self.connector.run(
            &mut slot,
            Mode::Plain,
            what,
            f,
            &mut || false,
            &mut |_, _| Ok(false),
        )
    }

    fn snapshot<T>(
        &self,
        what: &'static str,
        f: &mut dyn FnMut(&mut Db<'_>) -> Result<T, Fail>,
    ) -> Result<T> {
        let mut slot = self.session.lock().unwrap_or_else(PoisonError::into_inner);
        self.connector.run(
            &mut slot,
            Mode::Snapshot,
            what,
            f,
            &mut || false,
            &mut |_, _| Ok(false),
        )
    }

    /// Runs `f` in one transaction and commits it. `landed` tells, from what `f` returned,
    /// whether its writes are stored: asked when the connection is lost during the commit
    /// (see `Connector::run`); `false` for a write that may simply run again.
    /// One idempotent statement as one write (run again when its commit's fate is unknown).
    fn execute_once(
        &mut self,
        sql: &'static str,
        params: &session::Params<'_>,
        what: &'static str,
    ) -> Result<()> {
        self.write(
            what,
            &mut |db| db.execute(sql, params, what).map(|_| ()),
            &mut run_again,
        )
    }

    fn write<T>(
        &mut self,
        what: &'static str,
        f: &mut dyn FnMut(&mut Db<'_>) -> Result<T, Fail>,
        landed: &mut dyn FnMut(&mut Db<'_>, &T) -> Result<bool, Fail>,
    ) -> Result<T> {
        let PostgresStorage {
            connector,
            session,
            before_commit,
        } = self;
        let slot = session.get_mut().unwrap_or_else(PoisonError::into_inner);
        let mut hook = || before_commit.as_mut().is_some_and(|h| h());
        connector.run(slot, Mode::Write, what, f, &mut hook, landed)
    }

    /// Tells the planner what the credentials table holds now, after an import added many
    /// drafts: until autovacuum gets to it (a minute or more later), the planner does not
    /// know of them, takes `state = 'draft'` for rare, and reads each page of a publish by
    /// scanning and sorting every draft after it instead of walking `seq` in order
    /// (100,000 drafts: 1.0 s of reads against 0.1 s). A sample of 3,000 rows (statistics
    /// target 10) tells the share of drafts as well as the default 30,000 and takes 15 ms
    /// instead of 100 on 100,000 rows; autovacuum analyzes with the server's target later.
    /// Best effort: a table that is busy (`SKIP_LOCKED`) or not the store role's to analyze
    /// is left to autovacuum, and a failure here does not undo the import that committed.
    fn refresh_statistics(&mut self) {
        let slot = self
            .session
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(held) = slot.as_mut() else {
            return;
        };
        let refreshed = held.session().transaction(
            IsolationLevel::ReadCommitted,
            false,
            &mut |db| {
                db.batch(
                    "SET LOCAL default_statistics_target = 10;
                     ANALYZE (SKIP_LOCKED) credentials (seq, grp, batch, state, email_key)",
                    "refresh its statistics",
                )
            },
            &mut || false,
        );
        let lost = match &refreshed {
            Ok(()) => false,
            Err(TxFail::Before(Fail::Db { error, .. }) | TxFail::Commit { error, .. }) => {
                session::connection_lost(error)
            }
            Err(TxFail::Before(Fail::Refused(_))) => false,
        };
        if lost {
            *slot = None;
        }
    }

    /// The record in the `body` column of the one row `sql` finds, if any.
    fn one<T: serde::de::DeserializeOwned>(
        &self,
        sql: &'static str,
        params: &Params<'_>,
        what: &'static str,
    ) -> Result<Option<T>> {
        self.read(what, &mut |db| {
            db.query_opt(sql, params, what)?
                .map(|row| body(&row, what))
                .transpose()
        })
    }
}

impl Storage for PostgresStorage {
    fn put_group(&mut self, group: &Group) -> Result<u32> {
        const WHAT: &str = "store a group";
        let (key, body) = (group.key(), to_json(group)?);
        let version = self.write(
            WHAT,
            &mut |db| {
                // A new key is version 1; a changed group the next version; the same group
                // as the latest changes nothing (the update's condition fails: no row).
                let changed = db.query_opt(
                    "INSERT INTO groups AS g (key, body, version) VALUES ($1, $2, 1)
                     ON CONFLICT (key) DO UPDATE
                         SET body = excluded.body, version = g.version + 1
                         WHERE g.body <> excluded.body
                     RETURNING version",
                    &[&key, &body],
                    WHAT,
                )?;
                match changed {
                    Some(row) => {
                        let version: i32 = row.try_get(0).map_err(failed(WHAT))?;
                        db.execute(
                            "INSERT INTO group_versions (key, version, body) VALUES ($1, $2, $3)",
                            &[&key, &version, &body],
                            WHAT,
                        )?;
                        Ok(version)
                    }
                    None => {
                        let row = db.query_opt(
                            "SELECT version FROM groups WHERE key = $1",
                            &[&key],
                            WHAT,
                        )?;
                        match row {
                            Some(row) => row.try_get(0).map_err(failed(WHAT)),
                            None => Ok(0),
                        }
                    }
                }
            },
            // Lost during the commit: saving the same group again finds it saved, or saves it.
            &mut run_again,
        )?;
        u32::try_from(version).map_err(|e| {
            Error::new(ErrorKind::Storage, "a group's version is negative").with_source(e)
        })
    }

    fn stored_group(&self, key: &str, version: Option<u32>) -> Result<Option<StoredGroup>> {
        const WHAT: &str = "read a group";
        // No version is past what the column holds.
        let Ok(version) = version.map(i32::try_from).transpose() else {
            return Ok(None);
        };
        self.read(WHAT, &mut |db| {
            let row = match version {
                None => db.query_opt(
                    "SELECT version, body FROM groups WHERE key = $1",
                    &[&key],
                    WHAT,
                )?,
                Some(v) => db.query_opt(
                    "SELECT version, body FROM group_versions WHERE key = $1 AND version = $2",
                    &[&key, &v],
                    WHAT,
                )?,
            };
            row.map(|row| stored_group(&row, key.to_owned(), WHAT))
                .transpose()
        })
    }

    fn visitor_secret(&mut self, day: chrono::NaiveDate, fresh: &[u8; 32]) -> Result<[u8; 32]> {
        const WHAT: &str = "keep the visitors' secret";
        let fresh = fresh.as_slice();
        let kept: Vec<u8> = self.write(
            WHAT,
            &mut |db| {
                db.execute("DELETE FROM visitor_secrets WHERE day < $1", &[&day], WHAT)?;
                db.execute(
                    "INSERT INTO visitor_secrets (day, secret) VALUES ($1, $2)
                     ON CONFLICT (day) DO NOTHING",
                    &[&day, &fresh],
                    WHAT,
                )?;
                let row = db.query_opt(
                    "SELECT secret FROM visitor_secrets WHERE day = $1",
                    &[&day],
                    WHAT,
                )?;
                match row {
                    Some(row) => row.try_get(0).map_err(failed(WHAT)),
                    None => Ok(Vec::new()),
                }
            },
            // Lost during the commit: asking again finds the day's secret, whoever kept it.
            &mut run_again,
        )?;
        <[u8; 32]>::try_from(kept.as_slice()).map_err(|e| {
            Error::new(
                ErrorKind::Storage,
                "the visitors' secret kept is not 32 bytes",
            )
            .with_source(e)
        })
    }

    fn groups(&self) -> Result<Vec<StoredGroup>> {
        const WHAT: &str = "list groups";
        self.read(WHAT, &mut |db| {
            let rows = db.query(
                "SELECT version, body, key FROM groups ORDER BY key",
                &[],
                WHAT,
            )?;
            rows.iter()
                .map(|row| {
                    let key: String = row.try_get(2).map_err(failed(WHAT))?;
                    stored_group(row, key, WHAT)
                })
                .collect()
        })
    }

    fn mappings(&self, group: &str) -> Result<SavedMappings> {
        Ok(self
            .one(
                "SELECT body FROM mappings WHERE group_key = $1",
                &[&group],
                "read learned mappings",
            )?
            .unwrap_or_default())
    }

    fn put_mappings(&mut self, group: &str, mappings: &SavedMappings) -> Result<()> {
        if mappings.0.is_empty() {
            return self.execute_once(
                "DELETE FROM mappings WHERE group_key = $1",
                &[&group],
                "forget learned mappings",
            );
        }
        let body = to_json(mappings)?;
        self.execute_once(
            "INSERT INTO mappings (group_key, body) VALUES ($1, $2)
             ON CONFLICT (group_key) DO UPDATE SET body = excluded.body",
            &[&group, &body],
            "store learned mappings",
        )
    }

    fn commit_import(
        &mut self,
        batch: &Batch,
        created: &[Credential],
        replaced: &[Credential],
    ) -> Result<()> {
        let batch_body = to_json(batch)?;
        let created = CredentialRow::all(created)?;
        let replaced = CredentialRow::all(replaced)?;
        self.write(
            "an import",
            &mut |db| {
                let stored = db.query(
                    "INSERT INTO batches (id, grp, fingerprint, body) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING RETURNING seq",
                    &[&batch.id, &batch.group, &batch.fingerprint, &batch_body],
                    "store a batch",
                )?;
                if stored.is_empty() {
                    let same_id = db
                        .query_opt(
                            "SELECT 1 FROM batches WHERE id = $1",
                            &[&batch.id],
                            "look a batch up",
                        )?
                        .is_some();
                    return Err(if same_id {
                        conflict(format!("batch `{}` exists already", batch.id))
                    } else {
                        conflict(format!(
                            "this file was imported into group `{}` already",
                            batch.group
                        ))
                    });
                }
                insert_credentials(db, &created)?;
                update_credentials(db, &replaced)
            },
            &mut |db, _| {
                holds(
                    db,
                    "SELECT body FROM batches WHERE id = $1",
                    &batch.id,
                    &batch_body,
                )
            },
        )?;
        if created.len() >= ANALYZE_AFTER {
            self.refresh_statistics();
        }
        Ok(())
    }

    fn batch_by_fingerprint(&self, group: &str, fingerprint: &str) -> Result<Option<Batch>> {
        self.one(
            "SELECT body FROM batches WHERE grp = $1 AND fingerprint = $2",
            &[&group, &fingerprint],
            "read a batch",
        )
    }

    fn batch(&self, id: &str) -> Result<Option<Batch>> {
        self.one(
            "SELECT body FROM batches WHERE id = $1",
            &[&id],
            "read a batch",
        )
    }

    fn batches(&self, group: Option<&str>) -> Result<Vec<Batch>> {
        const WHAT: &str = "list batches";
        self.read(WHAT, &mut |db| {
            let rows = match group {
                Some(g) => db.query(
                    "SELECT body FROM batches WHERE grp = $1 ORDER BY seq",
                    &[&g],
                    WHAT,
                )?,
                None => db.query("SELECT body FROM batches ORDER BY seq", &[], WHAT)?,
            };
            rows.iter().map(|r| body(r, WHAT)).collect()
        })
    }

    fn credential(&self, id: &str) -> Result<Option<Credential>> {
        self.one(
            "SELECT body FROM credentials WHERE id = $1",
            &[&id],
            "read a credential",
        )
    }

    fn credentials(&self, query: &CredentialQuery) -> Result<Vec<Credential>> {
        const WHAT: &str = "list credentials";
        let q = listed("SELECT body", query, true);
        self.read(WHAT, &mut |db| {
            let rows = db.query_built(&q.sql, &q.params(), WHAT)?;
            rows.iter().map(|r| body(r, WHAT)).collect()
        })
    }

    fn count_credentials(&self, query: &CredentialQuery) -> Result<u64> {
        const WHAT: &str = "count credentials";
        let inner = listed("SELECT 1", query, false);
        let q = Built {
            sql: format!("SELECT count(*) FROM ({}) AS listed", inner.sql),
            params: inner.params,
        };
        self.read(WHAT, &mut |db| {
            let rows = db.query_built(&q.sql, &q.params(), WHAT)?;
            count(rows.into_iter().next(), WHAT)
        })
    }

    fn update_credential(&mut self, credential: &Credential) -> Result<()> {
        let row = CredentialRow::of(credential)?;
        self.write(
            "a credential",
            &mut |db| update_credentials(db, std::slice::from_ref(&row)),
            &mut |db, _| holds(db, CREDENTIAL_BODY, row.id, &row.body),
        )
    }

    fn delete_drafts(&mut self, ids: &[String]) -> Result<Vec<String>> {
        const WHAT: &str = "delete drafts";
        let mut sorted: Vec<&str> = ids.iter().map(String::as_str).collect();
        sorted.sort_unstable();
        sorted.dedup();
        let gone = self.write(
            "a deletion of drafts",
            &mut |db| {
                // Locked in id order, as every writer of credentials does; the conditions are
                // in the statement, so a draft published meanwhile stays.
                db.query(
                    "SELECT id FROM credentials WHERE id = ANY($1) ORDER BY id FOR UPDATE",
                    &[&sorted],
                    WHAT,
                )?;
                let mut gone: Vec<(String, String)> = Vec::new();
                for row in db.query(
                    "DELETE FROM credentials AS c WHERE c.id = ANY($1) AND c.state = 'draft'
                        AND NOT EXISTS (SELECT 1 FROM outbox AS o WHERE o.credential = c.id)
                     RETURNING c.id, c.batch",
                    &[&sorted],
                    WHAT,
                )? {
                    gone.push((
                        row.try_get(0).map_err(failed(WHAT))?,
                        row.try_get(1).map_err(failed(WHAT))?,
                    ));
                }
                let batches: Vec<&str> = gone.iter().map(|(_, b)| b.as_str()).collect();
                db.execute(
                    "DELETE FROM batches AS b WHERE b.id = ANY($1)
                        AND NOT EXISTS (SELECT 1 FROM credentials AS c WHERE c.batch = b.id)",
                    &[&batches],
                    WHAT,
                )?;
                Ok(gone)
            },
            // Landed when none of the drafts it deleted is left.
            &mut |db, gone| {
                let ids: Vec<&str> = gone.iter().map(|(id, _)| id.as_str()).collect();
                let left = db.query(
                    "SELECT id FROM credentials WHERE id = ANY($1)",
                    &[&ids],
                    "look a deletion up",
                )?;
                Ok(left.is_empty())
            },
        )?;
        let mut gone: std::collections::HashSet<String> =
            gone.into_iter().map(|(id, _)| id).collect();
        // In the order given, each once.
        Ok(ids.iter().filter(|id| gone.remove(*id)).cloned().collect())
    }

    fn commit_publish(
        &mut self,
        credentials: &[Credential],
        messages: &[OutboxMessage],
    ) -> Result<()> {
        // The messages are encoded on a thread of their own while this one encodes the
        // credentials and the server writes them: encoding a chunk of 5,000 takes the client
        // as long as the server takes to write the credentials, and the two overlap.
        std::thread::scope(|scope| {
            let encoding = scope.spawn(|| {
                messages
                    .iter()
                    .map(MessageRow::of)
                    .collect::<Result<Vec<_>>>()
            });
            let credentials = CredentialRow::all(credentials)?;
            let first_message = messages.first().map(MessageRow::of).transpose()?;
            let mut encoding = Some(encoding);
            let mut encoded: Option<Vec<MessageRow<'_>>> = None;
            self.write(
                "a publish",
                &mut |db| {
                    update_credentials(db, &credentials)?;
                    let rows: &[MessageRow<'_>] = match &mut encoded {
                        Some(rows) => rows.as_slice(),
                        slot => {
                            let handle = encoding.take().ok_or_else(|| {
                                Error::new(ErrorKind::Storage, "the messages were not encoded")
                            })?;
                            let rows = handle
                                .join()
                                .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
                            slot.insert(rows).as_slice()
                        }
                    };
                    insert_messages(db, rows)
                },
                &mut |db, _| {
                    // All or nothing: the first record written tells.
                    match (&first_message, credentials.first()) {
                        (Some(m), _) => holds(db, MESSAGE_BODY, m.id, &m.body),
                        (None, Some(c)) => holds(db, CREDENTIAL_BODY, c.id, &c.body),
                        (None, None) => Ok(false),
                    }
                },
            )
        })
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
        let first = self.write(
            "a status list reservation",
            &mut |db| {
                let row = db.query_opt(
                    "UPDATE counters SET value = value + $1 WHERE name = 'status_index'
                     RETURNING value - $1",
                    &[&count],
                    WHAT,
                )?;
                counter(row, WHAT)
            },
            // Lost during the commit: reserving again only skips the indexes that may have
            // been reserved, which no credential holds.
            &mut |_, _| Ok(false),
        )?;
        u64::try_from(first).map_err(|e| {
            Error::new(ErrorKind::Storage, "a status list index is negative").with_source(e)
        })
    }

    fn status_indexes(&self) -> Result<u64> {
        const WHAT: &str = "count status list indexes";
        let next = self.read(WHAT, &mut |db| {
            let row = db.query_opt(
                "SELECT value FROM counters WHERE name = 'status_index'",
                &[],
                WHAT,
            )?;
            counter(row, WHAT)
        })?;
        u64::try_from(next).map_err(|e| {
            Error::new(ErrorKind::Storage, "a status list index is negative").with_source(e)
        })
    }

    fn record_events(&mut self, events: &[Event]) -> Result<u64> {
        const WHAT: &str = "record events";
        if events.is_empty() {
            return Ok(0);
        }
        // Events without a visitor (an import's, a publish's, a delivery's) cannot meet the
        // once-a-day index, so they go in by one binary `COPY` (5,000 at a time for a
        // publish); a visitor's are inserted with `ON CONFLICT DO NOTHING`, which a copy
        // does not have.
        if events.iter().all(|e| e.visitor.is_none()) {
            return self.write(
                "events",
                &mut |db| records::copy_events(db, events),
                &mut |db, _| landed(db, events),
            );
        }
        let at: Vec<DateTime<Utc>> = events.iter().map(|e| e.at).collect();
        let day: Vec<chrono::NaiveDate> = events.iter().map(Event::day).collect();
        let kind: Vec<&str> = events.iter().map(|e| e.kind.as_str()).collect();
        let credential: Vec<&str> = events.iter().map(|e| e.credential.as_str()).collect();
        let group: Vec<&str> = events.iter().map(|e| e.group.as_str()).collect();
        let batch: Vec<&str> = events.iter().map(|e| e.batch.as_str()).collect();
        let visitor: Vec<Option<&str>> = events.iter().map(|e| e.visitor.as_deref()).collect();
        let detail: Vec<Option<&str>> = events.iter().map(|e| e.detail.as_deref()).collect();
        self.write(
            "events",
            &mut |db| {
                db.execute(
                    "INSERT INTO events (at, day, kind, credential, grp, batch, visitor, detail)
                     SELECT * FROM unnest($1::timestamptz[], $2::date[], $3::text[], $4::text[],
                                          $5::text[], $6::text[], $7::text[], $8::text[])
                     ON CONFLICT DO NOTHING",
                    &[
                        &at,
                        &day,
                        &kind,
                        &credential,
                        &group,
                        &batch,
                        &visitor,
                        &detail,
                    ],
                    WHAT,
                )
            },
            &mut |db, _| landed(db, events),
        )
    }

    fn credentials_with_event(
        &self,
        kind: EventKind,
        credentials: &[String],
    ) -> Result<std::collections::BTreeSet<String>> {
        const WHAT: &str = "find credentials' events";
        let mut found = std::collections::BTreeSet::new();
        for chunk in credentials.chunks(5_000) {
            let ids: Vec<&str> = chunk.iter().map(String::as_str).collect();
            let rows = self.read(WHAT, &mut |db| {
                db.query(
                    "SELECT DISTINCT credential FROM events WHERE kind = $1 AND credential = ANY($2)",
                    &[&kind.as_str(), &ids],
                    WHAT,
                )
            })?;
            for row in rows {
                found.insert(row.try_get::<_, String>(0).map_err(|e| {
                    Error::new(ErrorKind::Storage, format!("the database could not {WHAT}"))
                        .with_source(e)
                })?);
            }
        }
        Ok(found)
    }

    fn event_counts(&self, query: &EventQuery, daily: bool) -> Result<Vec<EventCount>> {
        const WHAT: &str = "count events";
        let sql = if daily {
            "SELECT grp, batch, kind, day, count(*), count(DISTINCT credential) FROM events
             WHERE ($1::text IS NULL OR grp = $1) AND ($2::text IS NULL OR batch = $2)
               AND ($3::date IS NULL OR day >= $3)
             GROUP BY grp, batch, kind, day"
        } else {
            "SELECT grp, batch, kind, NULL::date, count(*), count(DISTINCT credential) FROM events
             WHERE ($1::text IS NULL OR grp = $1) AND ($2::text IS NULL OR batch = $2)
               AND ($3::date IS NULL OR day >= $3)
             GROUP BY grp, batch, kind"
        };
        let rows = self.read(WHAT, &mut |db| {
            db.query(sql, &[&query.group, &query.batch, &query.since], WHAT)
        })?;
        let mut counts = Vec::with_capacity(rows.len());
        for row in rows {
            let get = |e: postgres::Error| {
                Error::new(ErrorKind::Storage, format!("the database could not {WHAT}"))
                    .with_source(e)
            };
            let kind: String = row.try_get(2).map_err(get)?;
            let kind = EventKind::parse(&kind).ok_or_else(|| {
                Error::new(
                    ErrorKind::Storage,
                    format!("the event log holds an unknown kind `{kind}`"),
                )
            })?;
            let events: i64 = row.try_get(4).map_err(get)?;
            let credentials: i64 = row.try_get(5).map_err(get)?;
            counts.push(EventCount {
                group: row.try_get(0).map_err(get)?,
                batch: row.try_get(1).map_err(get)?,
                kind,
                day: row.try_get(3).map_err(get)?,
                events: u64::try_from(events).unwrap_or(0),
                credentials: u64::try_from(credentials).unwrap_or(0),
            });
        }
        counts.sort_by(|a, b| {
            (&a.group, &a.batch, a.day, a.kind).cmp(&(&b.group, &b.batch, b.day, b.kind))
        });
        Ok(counts)
    }

    fn claim_next(&mut self, now: DateTime<Utc>, lease: &Lease) -> Result<Option<OutboxMessage>> {
        const WHAT: &str = "find a due message";
        self.write(
            "a claim",
            &mut |db| {
                loop {
                    let Some(row) = db.query_opt(
                        "SELECT id, body FROM outbox
                     WHERE state = 'pending' AND next_attempt_at <= $1
                     ORDER BY next_attempt_at, id
                     LIMIT 1
                     FOR UPDATE SKIP LOCKED",
                        &[&now],
                        WHAT,
                    )?
                    else {
                        return Ok(None);
                    };
                    let id: &str = row.try_get(0).map_err(failed(WHAT))?;
                    let text: &str = row.try_get(1).map_err(failed(WHAT))?;
                    match from_json::<OutboxMessage>(text).and_then(|m| m.claim(now, lease)) {
                        Ok(claimed) => {
                            write_claim(db, &MessageRow::of(&claimed)?)?;
                            return Ok(Some(claimed));
                        }
                        // One damaged row must not stop every delivery: it is kept apart,
                        // counted by status, and the next message is claimed.
                        Err(e) => set_aside(db, id, text, &e.to_string())?,
                    }
                }
            },
            &mut |db, claimed| match claimed {
                Some(m) => holds(db, MESSAGE_BODY, &m.id, &to_json(m)?),
                // Claimed nothing: claiming again is as good.
                None => Ok(false),
            },
        )
    }

    fn update_message(&mut self, message: &OutboxMessage, expected: DeliveryState) -> Result<()> {
        self.update_messages(&[(message.clone(), expected)])
    }

    fn update_messages(&mut self, changes: &[(OutboxMessage, DeliveryState)]) -> Result<()> {
        const WHAT: &str = "update a message";
        let mut rows = changes
            .iter()
            .map(|(m, expected)| Ok((MessageRow::of(m)?, expected.as_str())))
            .collect::<Result<Vec<_>>>()?;
        // Locked in id order, so that two writers over the same messages never deadlock.
        rows.sort_by(|a, b| a.0.id.cmp(b.0.id));
        self.write(
            "a message change",
            &mut |db| {
                for (m, expected) in &rows {
                    let written = db.execute(
                        "UPDATE outbox SET state = $2, attempts = $3, next_attempt_at = $4,
                                       lease_worker = $5, lease_until = $6, body = $7
                     WHERE id = $1 AND state = $8 AND attempts = $3",
                        &[
                            &m.id,
                            &m.state,
                            &m.attempts,
                            &m.next_attempt_at,
                            &m.lease_worker,
                            &m.lease_until,
                            &m.body,
                            expected,
                        ],
                        WHAT,
                    )?;
                    if written == 1 {
                        continue;
                    }
                    let stored = db.query_opt(
                        "SELECT state, attempts FROM outbox WHERE id = $1",
                        &[&m.id],
                        "read a message",
                    )?;
                    let Some(stored) = stored else {
                        return Err(not_found("message", m.id));
                    };
                    let state: &str = stored.try_get(0).map_err(failed("read a message"))?;
                    let attempts: i32 = stored.try_get(1).map_err(failed("read a message"))?;
                    return Err(if state != *expected {
                        conflict(format!("message `{}` is {state}, not {expected}", m.id))
                    } else {
                        conflict(format!(
                            "message `{}` was claimed again since (attempt {attempts}, not {})",
                            m.id, m.attempts
                        ))
                    });
                }
                Ok(())
            },
            &mut |db, _| match rows.first() {
                Some((m, _)) => holds(db, MESSAGE_BODY, m.id, &m.body),
                None => Ok(false),
            },
        )
    }

    fn message(&self, id: &str) -> Result<Option<OutboxMessage>> {
        self.one(
            "SELECT body FROM outbox WHERE id = $1",
            &[&id],
            "read a message",
        )
    }

    fn messages(&self, query: &MessageQuery) -> Result<Vec<OutboxMessage>> {
        const WHAT: &str = "list messages";
        let mut q = Built::new("SELECT body FROM outbox WHERE true");
        if let Some(s) = query.state {
            q.and(" AND state = $", Box::new(s.as_str()));
        }
        if let Some(ids) = &query.credentials {
            q.and(" AND credential = ANY($)", Box::new(ids.clone()));
        }
        q.sql.push_str(" ORDER BY queued_at, id");
        self.read(WHAT, &mut |db| {
            let rows = db.query_built(&q.sql, &q.params(), WHAT)?;
            rows.iter().map(|r| body(r, WHAT)).collect()
        })
    }

    fn queue_messages(&mut self, messages: &[OutboxMessage]) -> Result<Vec<String>> {
        let rows = messages
            .iter()
            .map(MessageRow::of)
            .collect::<Result<Vec<_>>>()?;
        // Idempotent: run again after a lost connection, a message added by the lost
        // attempt is found there already.
        self.write(
            "queued messages",
            &mut |db| queue_new_messages(db, &rows),
            &mut run_again,
        )
    }

    fn suppress(&mut self, entry: &Suppression) -> Result<bool> {
        const WHAT: &str = "add to the suppression list";
        let key = email_key(&entry.email);
        let body = to_json(entry)?;
        let added = self.write(
            WHAT,
            &mut |db| {
                db.execute(
                    "INSERT INTO suppressions (email_key, body) VALUES ($1, $2)
                     ON CONFLICT (email_key) DO NOTHING",
                    &[&key, &body],
                    WHAT,
                )
            },
            // Lost during the commit: it landed when the address holds this very entry.
            &mut |db, _| {
                holds(
                    db,
                    "SELECT body FROM suppressions WHERE email_key = $1",
                    &key,
                    &body,
                )
            },
        )?;
        Ok(added == 1)
    }

    fn unsuppress(&mut self, email: &str) -> Result<bool> {
        const WHAT: &str = "remove from the suppression list";
        let key = email_key(email);
        let removed = self.write(
            WHAT,
            &mut |db| {
                db.execute(
                    "DELETE FROM suppressions WHERE email_key = $1",
                    &[&key],
                    WHAT,
                )
            },
            // Lost during the commit: deleting again is harmless (and says it was not listed).
            &mut run_again,
        )?;
        Ok(removed == 1)
    }

    fn suppression(&self, email: &str) -> Result<Option<Suppression>> {
        self.one(
            "SELECT body FROM suppressions WHERE email_key = $1",
            &[&email_key(email)],
            "read the suppression list",
        )
    }

    fn suppressions(&self) -> Result<Vec<Suppression>> {
        const WHAT: &str = "list the suppression list";
        self.read(WHAT, &mut |db| {
            db.query(
                "SELECT body FROM suppressions ORDER BY email_key",
                &[],
                WHAT,
            )?
            .iter()
            .map(|row| body(row, WHAT))
            .collect()
        })
    }

    fn status(&self) -> Result<StatusCounts> {
        const WHAT: &str = "count states";
        // One snapshot: the counts agree with each other.
        self.snapshot(WHAT, &mut |db| {
            let mut counts = StatusCounts::zeroed();
            for row in db.query(
                "SELECT state, count(*) FROM credentials GROUP BY state",
                &[],
                WHAT,
            )? {
                let state: String = row.try_get(0).map_err(failed(WHAT))?;
                let n: i64 = row.try_get(1).map_err(failed(WHAT))?;
                counts
                    .credentials
                    .insert(state, u64::try_from(n).unwrap_or(0));
            }
            for row in db.query(
                "SELECT state, count(*), min(queued_at) FROM outbox GROUP BY state",
                &[],
                WHAT,
            )? {
                let state: String = row.try_get(0).map_err(failed(WHAT))?;
                let n: i64 = row.try_get(1).map_err(failed(WHAT))?;
                let oldest: DateTime<Utc> = row.try_get(2).map_err(failed(WHAT))?;
                counts.oldest.insert(state.clone(), oldest);
                counts
                    .deliveries
                    .insert(state, u64::try_from(n).unwrap_or(0));
            }
            for row in db.query(
                "SELECT lease_worker, count(*), max(lease_until) FROM outbox
                 WHERE state = 'sending' AND lease_worker IS NOT NULL
                 GROUP BY lease_worker",
                &[],
                "list leases",
            )? {
                let worker: &str = row.try_get(0).map_err(failed("list leases"))?;
                let n: i64 = row.try_get(1).map_err(failed("list leases"))?;
                let until: Option<DateTime<Utc>> = row.try_get(2).map_err(failed("list leases"))?;
                if let Some(until) = until {
                    counts.hold(worker, u64::try_from(n).unwrap_or(0), until);
                }
            }
            counts.set_aside = count(
                db.query_opt(
                    "SELECT count(*) FROM outbox_set_aside",
                    &[],
                    "count messages set aside",
                )?,
                "count messages set aside",
            )?;
            Ok(counts)
        })
    }
}

/// Whether events whose commit was lost landed: the first tells for all of them, as they are
/// written in one statement.
fn landed(db: &mut Db<'_>, events: &[Event]) -> Result<bool, Fail> {
    match events.first() {
        Some(e) => Ok(db
            .query_opt(
                "SELECT 1 FROM events WHERE at = $1 AND kind = $2 AND credential = $3",
                &[&e.at, &e.kind.as_str(), &e.credential],
                "record events",
            )?
            .is_some()),
        None => Ok(true),
    }
}

/// A group version from a row of its `version` and `body`.
fn stored_group(row: &postgres::Row, key: String, what: &'static str) -> Result<StoredGroup, Fail> {
    let version: i32 = row.try_get(0).map_err(failed(what))?;
    let body: &str = row.try_get(1).map_err(failed(what))?;
    let version = u32::try_from(version).map_err(|e| {
        Fail::Refused(
            Error::new(ErrorKind::Storage, "a group's version is negative").with_source(e),
        )
    })?;
    Ok(StoredGroup {
        key,
        version,
        group: records::from_json(body)?,
    })
}

/// The value of the one `counters` row a query returned.
fn counter(row: Option<postgres::Row>, what: &'static str) -> Result<i64, Fail> {
    match row {
        Some(row) => row.try_get(0).map_err(failed(what)),
        None => Err(Fail::Refused(Error::new(
            ErrorKind::Storage,
            format!(
                "the database could not {what}: its `counters` table has no `status_index` row"
            ),
        ))),
    }
}
