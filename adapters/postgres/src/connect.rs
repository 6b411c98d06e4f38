//! Connecting: the options, where connections come from (one of its own, or a pool), and
//! running a unit of work on one again when the server rolled it back or the connection was
//! lost.

use std::time::{Duration, Instant};

use conferral::error::{Error, ErrorKind, Result};
use postgres::IsolationLevel;

use crate::session::{
    self, Db, Fail, Session, TxFail, backoff, commit_error, connection_lost, rolled_back_by_server,
    storage_error, within,
};

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
    /// and how long [`PostgresPool`](crate::PostgresPool) waits for a free connection.
    pub reconnect_within: Duration,
    /// The most connections a [`PostgresPool`](crate::PostgresPool) opens.
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
pub(crate) enum Source {
    Direct(Box<postgres::Config>),
    Pool(r2d2::Pool<Manager>),
}

/// Makes connections for [`PostgresPool`](crate::PostgresPool).
#[derive(Debug)]
pub(crate) struct Manager {
    pub(crate) config: postgres::Config,
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
pub(crate) enum Held {
    Own(Session),
    Pooled(r2d2::PooledConnection<Manager>),
}

impl Held {
    pub(crate) fn session(&mut self) -> &mut Session {
        match self {
            Held::Own(s) => s,
            Held::Pooled(s) => s,
        }
    }
}

/// How to (re)connect, and what to call the database in messages.
#[derive(Debug, Clone)]
pub(crate) struct Connector {
    pub(crate) source: Source,
    /// `host:port/database`, never the password.
    pub(crate) target: String,
    pub(crate) reconnect_within: Duration,
}

impl Connector {
    pub(crate) fn open(&self) -> Result<Held> {
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
    pub(crate) fn run<T>(
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
pub(crate) enum Mode {
    /// Each statement on its own (reads).
    Plain,
    /// One read-only snapshot.
    Snapshot,
    /// One read-write transaction, committed.
    Write,
}

/// Reads `url` and adds the session settings the store relies on.
pub(crate) fn config(url: &str, options: &Options) -> Result<(postgres::Config, String)> {
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
        crate::schema::check_name(schema)?;
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
