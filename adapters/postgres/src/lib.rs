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

mod schema;
mod session;

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use conferral::error::{Error, ErrorKind, Result};
use conferral::group::Group;
use conferral::lifecycle::Credential;
use conferral::matching::SavedMappings;
use conferral::outbox::{DeliveryState, Lease, OutboxMessage};
use conferral::storage::{Batch, CredentialQuery, MessageQuery, StatusCounts, Storage};
use conferral::values::email::duplicate_key;
use postgres::IsolationLevel;
use postgres::types::ToSql;

pub use schema::SCHEMA_VERSION;
use session::{
    Db, Fail, Params, Session, TxFail, backoff, commit_error, connection_lost, failed,
    rolled_back_by_server, storage_error, within,
};

/// Rows written by one statement of a large import or publish.
const ROWS_PER_STATEMENT: usize = 2_000;

/// How a store connects, beyond the URL.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The schema that holds the tables, created when missing (a plain lower-case name);
    /// `None` for the first schema of the connection's `search_path`.
    pub schema: Option<String>,
    /// How long a statement waits for a row another transaction holds before it fails.
    pub lock_timeout: Duration,
    /// How long a call keeps trying to reach the server again after losing it (a restart),
    /// and how long [`PostgresPool`] waits for a free connection.
    pub reconnect_within: Duration,
    /// The most connections a [`PostgresPool`] opens.
    pub pool_size: u32,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            schema: None,
            lock_timeout: Duration::from_secs(10),
            reconnect_within: Duration::from_secs(10),
            pool_size: 8,
        }
    }
}

impl Options {
    /// Keeps the tables in `schema`.
    pub fn schema(mut self, schema: &str) -> Options {
        self.schema = Some(schema.to_owned());
        self
    }

    /// Sets [`Options::lock_timeout`].
    pub fn lock_timeout(mut self, timeout: Duration) -> Options {
        self.lock_timeout = timeout;
        self
    }

    /// Sets [`Options::reconnect_within`].
    pub fn reconnect_within(mut self, within: Duration) -> Options {
        self.reconnect_within = within;
        self
    }

    /// Sets [`Options::pool_size`].
    pub fn pool_size(mut self, size: u32) -> Options {
        self.pool_size = size.max(1);
        self
    }
}

/// Where connections come from.
#[derive(Debug, Clone)]
enum Source {
    Direct(Box<postgres::Config>),
    Pool(r2d2::Pool<Manager>),
}

/// Makes connections for [`PostgresPool`].
#[derive(Debug)]
struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Session;
    type Error = postgres::Error;

    fn connect(&self) -> std::result::Result<Session, postgres::Error> {
        Session::connect(&self.config)
    }

    fn is_valid(&self, conn: &mut Session) -> std::result::Result<(), postgres::Error> {
        conn.ping()
    }

    fn has_broken(&self, conn: &mut Session) -> bool {
        conn.is_closed()
    }
}

/// The connection a store holds.
enum Held {
    Own(Session),
    Pooled(r2d2::PooledConnection<Manager>),
}

impl Held {
    fn session(&mut self) -> &mut Session {
        match self {
            Held::Own(s) => s,
            Held::Pooled(s) => s,
        }
    }
}

/// How to (re)connect, and what to call the database in messages.
#[derive(Debug, Clone)]
struct Connector {
    source: Source,
    /// `host:port/database`, never the password.
    target: String,
    reconnect_within: Duration,
}

impl Connector {
    fn open(&self) -> Result<Held> {
        match &self.source {
            Source::Direct(config) => {
                let started = Instant::now();
                let mut attempt = 0;
                loop {
                    match Session::connect(config) {
                        Ok(s) => return Ok(Held::Own(s)),
                        // Refused or starting up: a restart in progress.
                        Err(e)
                            if connection_lost(&e)
                                && within(started, self.reconnect_within, attempt) =>
                        {
                            std::thread::sleep(backoff(attempt));
                            attempt += 1;
                        }
                        Err(e) => {
                            let how = if connection_lost(&e) {
                                "reached"
                            } else {
                                "opened"
                            };
                            return Err(Error::new(
                                ErrorKind::Storage,
                                format!("the database {} could not be {how}", self.target),
                            )
                            .with_source(session::Cause(e)));
                        }
                    }
                }
            }
            Source::Pool(pool) => pool.get().map(Held::Pooled).map_err(|e| {
                Error::new(
                    ErrorKind::Storage,
                    format!(
                        "no connection to the database {} could be had within {} s",
                        self.target,
                        self.reconnect_within.as_secs()
                    ),
                )
                .with_source(e)
            }),
        }
    }

    /// Runs `f` on the connection in `slot` (connecting first when there is none), as `mode`
    /// says, and runs it again from the start when the server rolled it back or the
    /// connection was lost before the commit was sent. When the connection is lost during
    /// the commit, `landed` looks on a new connection whether what the transaction wrote is
    /// there (given what it returned): then its value is returned, otherwise it is run again;
    /// only when that cannot be looked up is the outcome reported as unknown.
    fn run<T>(
        &self,
        slot: &mut Option<Held>,
        mode: Mode,
        what: &'static str,
        f: &mut dyn FnMut(&mut Db<'_>) -> Result<T, Fail>,
        before_commit: &mut dyn FnMut() -> bool,
        landed: &mut dyn FnMut(&mut Db<'_>, &T) -> Result<bool, Fail>,
    ) -> Result<T> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let held = match slot {
                Some(held) => held,
                None => slot.insert(self.open()?),
            };
            let session = held.session();
            let outcome = match mode {
                Mode::Plain => session.plain(f).map_err(TxFail::Before),
                Mode::Snapshot => {
                    session.transaction(IsolationLevel::RepeatableRead, true, f, &mut || false)
                }
                Mode::Write => {
                    session.transaction(IsolationLevel::ReadCommitted, false, f, before_commit)
                }
            };
            let error = match outcome {
                Ok(value) => return Ok(value),
                Err(TxFail::Before(Fail::Refused(e))) => return Err(e),
                Err(TxFail::Before(Fail::Db { what: step, error })) => {
                    let lost = connection_lost(&error);
                    if lost {
                        *slot = None;
                    }
                    if !(lost || rolled_back_by_server(&error)) {
                        return Err(storage_error(step, error));
                    }
                    storage_error(step, error)
                }
                Err(TxFail::Commit { error, value }) if connection_lost(&error) => {
                    *slot = None;
                    match self.look_up(slot, &value, landed) {
                        Some(true) => return Ok(value),
                        Some(false) => session::lost_error(what, error),
                        None => return Err(commit_error(what, error)),
                    }
                }
                Err(TxFail::Commit { error, .. }) => {
                    if !rolled_back_by_server(&error) {
                        return Err(commit_error(what, error));
                    }
                    commit_error(what, error)
                }
            };
            if !within(started, self.reconnect_within, attempt) {
                return Err(error);
            }
            std::thread::sleep(backoff(attempt));
            attempt += 1;
        }
    }

    /// Whether a transaction whose commit lost its connection landed, looked up on a new
    /// connection; `None` when it cannot be told.
    fn look_up<T>(
        &self,
        slot: &mut Option<Held>,
        value: &T,
        landed: &mut dyn FnMut(&mut Db<'_>, &T) -> Result<bool, Fail>,
    ) -> Option<bool> {
        let started = Instant::now();
        let mut attempt = 0;
        loop {
            let held = match slot {
                Some(held) => held,
                None => slot.insert(self.open().ok()?),
            };
            match held.session().plain(&mut |db| landed(db, value)) {
                Ok(answer) => return Some(answer),
                Err(Fail::Db { error, .. })
                    if connection_lost(&error)
                        && within(started, self.reconnect_within, attempt) =>
                {
                    *slot = None;
                    std::thread::sleep(backoff(attempt));
                    attempt += 1;
                }
                Err(_) => return None,
            }
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Mode {
    /// Each statement on its own (reads).
    Plain,
    /// One read-only snapshot.
    Snapshot,
    /// One read-write transaction, committed.
    Write,
}

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

/// Reads `url` and adds the session settings the store relies on.
fn config(url: &str, options: &Options) -> Result<(postgres::Config, String)> {
    let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| {
        Error::new(
            ErrorKind::Storage,
            "the PostgreSQL connection URL could not be read",
        )
        .with_source(session::Cause(e))
    })?;
    if config.get_ssl_mode() == postgres::config::SslMode::Require {
        return Err(Error::new(
            ErrorKind::Storage,
            "the PostgreSQL store connects without TLS and `sslmode=require` asks for it; connect over loopback or a private network (or through a TLS tunnel) without `sslmode=require`",
        ));
    }
    // Ours first, so that settings given in the URL's own `options` win; the schema last.
    let mut settings = format!(
        "-c lock_timeout={} -c idle_in_transaction_session_timeout=60000",
        options.lock_timeout.as_millis().max(1)
    );
    if let Some(own) = config.get_options() {
        settings.push(' ');
        settings.push_str(own);
    }
    if let Some(schema) = &options.schema {
        schema::check_name(schema)?;
        settings.push_str(&format!(" -c search_path={schema}"));
    }
    config.options(&settings);
    if config.get_application_name().is_none() {
        config.application_name("conferral");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(Duration::from_secs(10));
    }
    let target = describe_target(&config);
    Ok((config, target))
}

/// `host:port/database` for messages.
fn describe_target(config: &postgres::Config) -> String {
    let host = match config.get_hosts().first() {
        Some(postgres::config::Host::Tcp(h)) => h.clone(),
        #[cfg(unix)]
        Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
        None => "localhost".to_owned(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let db = config
        .get_dbname()
        .or(config.get_user())
        .unwrap_or("postgres");
    format!("`{host}:{port}/{db}`")
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
    /// (see [`Connector::run`]); `false` for a write that may simply run again.
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

const CREDENTIAL_BODY: &str = "SELECT body FROM credentials WHERE id = $1";
const MESSAGE_BODY: &str = "SELECT body FROM outbox WHERE id = $1";

/// Runs again: the write is idempotent, or wrote nothing worth looking up.
fn run_again<T>(_: &mut Db<'_>, _: &T) -> Result<bool, Fail> {
    Ok(false)
}

/// Whether the row `sql` finds by `id` holds exactly `body`: a write whose commit lost its
/// connection landed when the row holds what it wrote (a body is the whole record).
fn holds(db: &mut Db<'_>, sql: &'static str, id: &str, body: &str) -> Result<bool, Fail> {
    const WHAT: &str = "look a write up";
    match db.query_opt(sql, &[&id], WHAT)? {
        Some(row) => Ok(row.try_get::<_, &str>(0).map_err(failed(WHAT))? == body),
        None => Ok(false),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| {
        Error::new(ErrorKind::Storage, "the database could not encode a record").with_source(e)
    })
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::Storage,
            "the database could not decode a stored record",
        )
        .with_source(e)
    })
}

/// The JSON record in a row's first column.
fn body<T: serde::de::DeserializeOwned>(
    row: &postgres::Row,
    what: &'static str,
) -> Result<T, Fail> {
    let text: &str = row.try_get(0).map_err(failed(what))?;
    Ok(from_json(text)?)
}

fn conflict(message: String) -> Fail {
    Fail::Refused(Error::new(ErrorKind::Conflict, message))
}

fn not_found(what: &str, id: &str) -> Fail {
    Fail::Refused(Error::new(
        ErrorKind::NotFound,
        format!("there is no {what} `{id}`"),
    ))
}

/// A count or version as the database stores it.
fn int(n: impl TryInto<i32>, what: &str) -> Result<i32> {
    n.try_into().map_err(|_| {
        Error::new(
            ErrorKind::Storage,
            format!("the database cannot store {what}: it is too large"),
        )
    })
}

fn count(row: Option<postgres::Row>, what: &'static str) -> Result<u64, Fail> {
    let n: i64 = match row {
        Some(row) => row.try_get(0).map_err(failed(what))?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A credential's columns.
struct CredentialRow<'c> {
    id: &'c str,
    group: &'c str,
    batch: &'c str,
    state: &'static str,
    email_key: String,
    /// History entries: every change adds one, so a new version was made from the stored
    /// one when the stored one has one entry fewer.
    versions: i32,
    body: String,
}

impl<'c> CredentialRow<'c> {
    fn of(c: &'c Credential) -> Result<CredentialRow<'c>> {
        Ok(CredentialRow {
            id: &c.id,
            group: &c.group,
            batch: &c.batch,
            state: c.state.as_str(),
            email_key: duplicate_key(&c.recipient.email),
            versions: int(c.history.len(), "a credential with so long a history")?,
            body: to_json(c)?,
        })
    }

    fn all(credentials: &'c [Credential]) -> Result<Vec<CredentialRow<'c>>> {
        credentials.iter().map(CredentialRow::of).collect()
    }
}

/// The columns of rows, one array each, for `unnest`.
#[derive(Default)]
struct CredentialColumns<'r> {
    ids: Vec<&'r str>,
    groups: Vec<&'r str>,
    batches: Vec<&'r str>,
    states: Vec<&'r str>,
    email_keys: Vec<&'r str>,
    versions: Vec<i32>,
    bodies: Vec<&'r str>,
}

impl<'r> CredentialColumns<'r> {
    fn of(rows: &[&'r CredentialRow<'_>]) -> CredentialColumns<'r> {
        let mut c = CredentialColumns::default();
        for r in rows {
            c.ids.push(r.id);
            c.groups.push(r.group);
            c.batches.push(r.batch);
            c.states.push(r.state);
            c.email_keys.push(&r.email_key);
            c.versions.push(r.versions);
            c.bodies.push(&r.body);
        }
        c
    }

    fn params(&self) -> [&(dyn ToSql + Sync); 7] {
        [
            &self.ids,
            &self.groups,
            &self.batches,
            &self.states,
            &self.email_keys,
            &self.versions,
            &self.bodies,
        ]
    }
}

/// Inserts new credentials in their order; a conflict when an id exists (or comes twice).
fn insert_credentials(db: &mut Db<'_>, rows: &[CredentialRow<'_>]) -> Result<(), Fail> {
    const WHAT: &str = "store a credential";
    let refs: Vec<&CredentialRow<'_>> = rows.iter().collect();
    for chunk in refs.chunks(ROWS_PER_STATEMENT) {
        let columns = CredentialColumns::of(chunk);
        let inserted = db.query(
            "INSERT INTO credentials (id, grp, batch, state, email_key, versions, body)
             SELECT id, grp, batch, state, email_key, versions, body
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int4[],
                         $7::text[])
                  WITH ORDINALITY AS n(id, grp, batch, state, email_key, versions, body, ord)
             ORDER BY ord
             ON CONFLICT DO NOTHING
             RETURNING id",
            &columns.params(),
            WHAT,
        )?;
        if inserted.len() == chunk.len() {
            continue;
        }
        let mut stored = HashSet::with_capacity(inserted.len());
        for row in &inserted {
            stored.insert(row.try_get::<_, String>(0).map_err(failed(WHAT))?);
        }
        for r in chunk {
            if !stored.remove(r.id) {
                return Err(conflict(format!("credential `{}` exists already", r.id)));
            }
        }
    }
    Ok(())
}

/// Writes new versions of stored credentials, each only over the version it was made from:
/// the rows are locked in id order, checked, then written.
fn update_credentials(db: &mut Db<'_>, rows: &[CredentialRow<'_>]) -> Result<(), Fail> {
    const WHAT: &str = "update a credential";
    let mut refs: Vec<&CredentialRow<'_>> = rows.iter().collect();
    refs.sort_by(|a, b| a.id.cmp(b.id));
    let twice = refs.windows(2).find_map(|w| match w {
        [a, b] if a.id == b.id => Some(a.id),
        _ => None,
    });
    if let Some(id) = twice {
        return Err(conflict(format!(
            "credential `{id}` is written twice in one step"
        )));
    }
    let mut stored: HashMap<String, i32> = HashMap::with_capacity(rows.len());
    for chunk in refs.chunks(ROWS_PER_STATEMENT) {
        let ids: Vec<&str> = chunk.iter().map(|r| r.id).collect();
        for row in db.query(
            "SELECT id, versions FROM credentials WHERE id = ANY($1) ORDER BY id FOR UPDATE",
            &[&ids],
            WHAT,
        )? {
            stored.insert(
                row.try_get(0).map_err(failed(WHAT))?,
                row.try_get(1).map_err(failed(WHAT))?,
            );
        }
    }
    // Checked in the caller's order: the error names the first refused credential it gave.
    for r in rows {
        match stored.get(r.id) {
            None => return Err(not_found("credential", r.id)),
            Some(&v) if v + 1 != r.versions => {
                return Err(conflict(format!(
                    "credential `{}` changed since it was read (it has {v} history entries; the new version was made from one with {}); read it again and redo the change",
                    r.id,
                    r.versions - 1
                )));
            }
            Some(_) => {}
        }
    }
    for chunk in refs.chunks(ROWS_PER_STATEMENT) {
        let columns = CredentialColumns::of(chunk);
        let written = db.execute(
            "UPDATE credentials AS c
             SET grp = n.grp, batch = n.batch, state = n.state, email_key = n.email_key,
                 versions = n.versions, body = n.body
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int4[],
                         $7::text[]) AS n(id, grp, batch, state, email_key, versions, body)
             WHERE c.id = n.id AND c.versions = n.versions - 1",
            &columns.params(),
            WHAT,
        )?;
        // The rows are locked and were checked: this holds unless the table is changed by
        // hand meanwhile.
        if written != chunk.len() as u64 {
            return Err(conflict(
                "credentials changed while they were written; read them again".to_owned(),
            ));
        }
    }
    Ok(())
}

/// A message's columns.
struct MessageRow<'m> {
    id: &'m str,
    credential: &'m str,
    kind: &'static str,
    state: &'static str,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    queued_at: DateTime<Utc>,
    lease_worker: Option<&'m str>,
    lease_until: Option<DateTime<Utc>>,
    body: String,
}

impl<'m> MessageRow<'m> {
    fn of(m: &'m OutboxMessage) -> Result<MessageRow<'m>> {
        Ok(MessageRow {
            id: &m.id,
            credential: &m.credential,
            kind: m.kind.as_str(),
            state: m.state.as_str(),
            attempts: int(m.attempts, "a message with so many attempts")?,
            next_attempt_at: m.next_attempt_at,
            queued_at: m.queued_at,
            lease_worker: m.lease.as_ref().map(|l| l.worker.as_str()),
            lease_until: m.lease.as_ref().map(|l| l.until),
            body: to_json(m)?,
        })
    }
}

/// Queues new messages; a conflict when one is queued already.
fn insert_messages(db: &mut Db<'_>, rows: &[MessageRow<'_>]) -> Result<(), Fail> {
    const WHAT: &str = "queue a message";
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let ids: Vec<&str> = chunk.iter().map(|m| m.id).collect();
        let credentials: Vec<&str> = chunk.iter().map(|m| m.credential).collect();
        let kinds: Vec<&str> = chunk.iter().map(|m| m.kind).collect();
        let states: Vec<&str> = chunk.iter().map(|m| m.state).collect();
        let attempts: Vec<i32> = chunk.iter().map(|m| m.attempts).collect();
        let next: Vec<DateTime<Utc>> = chunk.iter().map(|m| m.next_attempt_at).collect();
        let queued: Vec<DateTime<Utc>> = chunk.iter().map(|m| m.queued_at).collect();
        let workers: Vec<Option<&str>> = chunk.iter().map(|m| m.lease_worker).collect();
        let until: Vec<Option<DateTime<Utc>>> = chunk.iter().map(|m| m.lease_until).collect();
        let bodies: Vec<&str> = chunk.iter().map(|m| m.body.as_str()).collect();
        let inserted = db.query(
            "INSERT INTO outbox (id, credential, kind, state, attempts, next_attempt_at,
                                 queued_at, lease_worker, lease_until, body)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[],
                                  $6::timestamptz[], $7::timestamptz[], $8::text[],
                                  $9::timestamptz[], $10::text[])
             ON CONFLICT DO NOTHING
             RETURNING id",
            &[
                &ids,
                &credentials,
                &kinds,
                &states,
                &attempts,
                &next,
                &queued,
                &workers,
                &until,
                &bodies,
            ],
            WHAT,
        )?;
        if inserted.len() == chunk.len() {
            continue;
        }
        let mut stored = HashSet::with_capacity(inserted.len());
        for row in &inserted {
            stored.insert(row.try_get::<_, String>(0).map_err(failed(WHAT))?);
        }
        for m in chunk {
            if !stored.remove(m.id) {
                return Err(conflict(format!("message `{}` is queued already", m.id)));
            }
        }
    }
    Ok(())
}

/// Writes a claimed message over the pending one it was claimed from.
fn write_claim(db: &mut Db<'_>, m: &MessageRow<'_>) -> Result<(), Fail> {
    let written = db.execute(
        "UPDATE outbox SET state = $2, attempts = $3, next_attempt_at = $4, lease_worker = $5,
                           lease_until = $6, body = $7
         WHERE id = $1 AND state = 'pending' AND attempts = $3 - 1",
        &[
            &m.id,
            &m.state,
            &m.attempts,
            &m.next_attempt_at,
            &m.lease_worker,
            &m.lease_until,
            &m.body,
        ],
        "claim a message",
    )?;
    if written == 1 {
        Ok(())
    } else {
        Err(conflict(format!(
            "message `{}` changed while it was claimed",
            m.id
        )))
    }
}

/// Moves a damaged outbox row to `outbox_set_aside`, with why it could not be read.
fn set_aside(db: &mut Db<'_>, id: &str, body: &str, reason: &str) -> Result<(), Fail> {
    const WHAT: &str = "set a damaged message aside";
    db.execute(
        "INSERT INTO outbox_set_aside (id, body, reason) VALUES ($1, $2, $3)
         ON CONFLICT (id) DO UPDATE SET body = excluded.body, reason = excluded.reason,
                                        set_aside_at = now()",
        &[&id, &body, &reason],
        WHAT,
    )?;
    db.execute("DELETE FROM outbox WHERE id = $1", &[&id], WHAT)?;
    Ok(())
}

/// A query built from the filters present, with its parameters.
struct Built {
    sql: String,
    params: Vec<Box<dyn ToSql + Sync>>,
}

impl Built {
    fn new(sql: &str) -> Built {
        Built {
            sql: sql.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends `clause` with its `$` placeholder standing for `value`.
    fn and(&mut self, clause: &str, value: Box<dyn ToSql + Sync>) {
        self.params.push(value);
        self.sql
            .push_str(&clause.replace('$', &format!("${}", self.params.len())));
    }

    fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p.as_ref()).collect()
    }
}

/// The filters of a [`CredentialQuery`], `after` and `limit`: the rows in `seq` order.
fn listed(select: &str, query: &CredentialQuery) -> Built {
    let mut q = Built::new(select);
    q.sql.push_str(" FROM credentials WHERE true");
    if let Some(id) = &query.after {
        // An unknown id gives NULL, and `seq > NULL` lists nothing, as the contract says.
        q.and(
            " AND seq > (SELECT seq FROM credentials WHERE id = $)",
            Box::new(id.clone()),
        );
    }
    if let Some(g) = &query.group {
        q.and(" AND grp = $", Box::new(g.clone()));
    }
    if let Some(b) = &query.batch {
        q.and(" AND batch = $", Box::new(b.clone()));
    }
    if let Some(s) = query.state {
        q.and(" AND state = $", Box::new(s.as_str()));
    }
    if let Some(e) = &query.email {
        q.and(" AND email_key = $", Box::new(duplicate_key(e)));
    }
    q.sql.push_str(" ORDER BY seq");
    if let Some(n) = query.limit {
        q.and(" LIMIT $", Box::new(i64::try_from(n).unwrap_or(i64::MAX)));
    }
    q
}

impl Storage for PostgresStorage {
    fn put_group(&mut self, group: &Group) -> Result<()> {
        let (key, body) = (group.key(), to_json(group)?);
        self.write(
            "store a group",
            &mut |db| {
                db.execute(
                    "INSERT INTO groups (key, body) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET body = excluded.body",
                    &[&key, &body],
                    "store a group",
                )
                .map(|_| ())
            },
            &mut run_again,
        )
    }

    fn group(&self, key: &str) -> Result<Option<Group>> {
        self.one(
            "SELECT body FROM groups WHERE key = $1",
            &[&key],
            "read a group",
        )
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
            return self.write(
                "forget learned mappings",
                &mut |db| {
                    db.execute(
                        "DELETE FROM mappings WHERE group_key = $1",
                        &[&group],
                        "forget learned mappings",
                    )
                    .map(|_| ())
                },
                &mut run_again,
            );
        }
        let body = to_json(mappings)?;
        self.write(
            "store learned mappings",
            &mut |db| {
                db.execute(
                    "INSERT INTO mappings (group_key, body) VALUES ($1, $2)
                 ON CONFLICT (group_key) DO UPDATE SET body = excluded.body",
                    &[&group, &body],
                    "store learned mappings",
                )
                .map(|_| ())
            },
            &mut run_again,
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
        )
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
        let q = listed("SELECT body", query);
        self.read(WHAT, &mut |db| {
            let rows = db.query_built(&q.sql, &q.params(), WHAT)?;
            rows.iter().map(|r| body(r, WHAT)).collect()
        })
    }

    fn count_credentials(&self, query: &CredentialQuery) -> Result<u64> {
        const WHAT: &str = "count credentials";
        let inner = listed("SELECT 1", query);
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

    fn commit_publish(
        &mut self,
        credentials: &[Credential],
        messages: &[OutboxMessage],
    ) -> Result<()> {
        let credentials = CredentialRow::all(credentials)?;
        let messages = messages
            .iter()
            .map(MessageRow::of)
            .collect::<Result<Vec<_>>>()?;
        self.write(
            "a publish",
            &mut |db| {
                update_credentials(db, &credentials)?;
                insert_messages(db, &messages)
            },
            &mut |db, _| {
                // All or nothing: the first record written tells.
                match (messages.first(), credentials.first()) {
                    (Some(m), _) => holds(db, MESSAGE_BODY, m.id, &m.body),
                    (None, Some(c)) => holds(db, CREDENTIAL_BODY, c.id, &c.body),
                    (None, None) => Ok(false),
                }
            },
        )
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
