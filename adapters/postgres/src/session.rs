//! One connection and what runs on it: prepared statements kept per connection, transactions
//! retried when the server rolled them back for a reason of its own (a deadlock, a
//! serialization failure, a lost connection before the commit), and errors worded for people.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use conferral::error::{Error, ErrorKind, Result};
use postgres::binary_copy::BinaryCopyInWriter;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::{Client, GenericClient, IsolationLevel, NoTls, Row, Statement};

/// A connection and the statements prepared on it.
pub(crate) struct Session {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("closed", &self.client.is_closed())
            .field("statements", &self.statements.len())
            .finish()
    }
}

/// Params of a statement.
pub(crate) type Params<'p> = [&'p (dyn ToSql + Sync)];

/// Why a unit of work did not finish.
#[derive(Debug)]
pub(crate) enum Fail {
    /// The database failed while doing `what`.
    Db {
        what: &'static str,
        error: postgres::Error,
    },
    /// The contract refuses the change (a conflict, a missing record); nothing is written.
    Refused(Error),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Refused(e)
    }
}

/// `map_err` for a database call doing `what`.
pub(crate) fn failed(what: &'static str) -> impl FnOnce(postgres::Error) -> Fail {
    move |error| Fail::Db { what, error }
}

impl Session {
    /// Connects with `config` (no TLS: see the crate docs).
    pub(crate) fn connect(
        config: &postgres::Config,
    ) -> std::result::Result<Session, postgres::Error> {
        Ok(Session {
            client: config.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    /// Whether the connection is known to be gone.
    pub(crate) fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Checks the connection with an empty query.
    pub(crate) fn ping(&mut self) -> std::result::Result<(), postgres::Error> {
        self.client.simple_query("").map(|_| ())
    }

    /// Runs `f` outside any explicit transaction (each statement commits on its own).
    pub(crate) fn plain<T>(
        &mut self,
        f: &mut dyn FnMut(&mut Db<'_>) -> Result<T, Fail>,
    ) -> Result<T, Fail> {
        let mut db = Db {
            client: &mut self.client,
            statements: &mut self.statements,
        };
        f(&mut db)
    }

    /// Runs `f` in one transaction at `isolation` and commits it, after asking `before_commit`
    /// (which may turn the commit into a rollback by answering `true`).
    pub(crate) fn transaction<T>(
        &mut self,
        isolation: IsolationLevel,
        read_only: bool,
        f: &mut dyn FnMut(&mut Db<'_>) -> Result<T, Fail>,
        before_commit: &mut dyn FnMut() -> bool,
    ) -> Result<T, TxFail<T>> {
        let mut tx = self
            .client
            .build_transaction()
            .isolation_level(isolation)
            .read_only(read_only)
            .start()
            .map_err(|error| {
                TxFail::Before(Fail::Db {
                    what: "start a transaction",
                    error,
                })
            })?;
        let value = {
            let mut db = Db {
                client: &mut tx,
                statements: &mut self.statements,
            };
            f(&mut db).map_err(TxFail::Before)?
        };
        if before_commit() {
            tx.rollback().map_err(|error| {
                TxFail::Before(Fail::Db {
                    what: "roll a transaction back",
                    error,
                })
            })?;
            return Err(TxFail::Before(Fail::Refused(Error::new(
                ErrorKind::Storage,
                "the commit was turned into a rollback",
            ))));
        }
        match tx.commit() {
            Ok(()) => Ok(value),
            Err(error) => Err(TxFail::Commit { error, value }),
        }
    }
}

/// Why a transaction did not commit.
#[derive(Debug)]
pub(crate) enum TxFail<T> {
    /// Before the commit was sent: nothing of it is stored.
    Before(Fail),
    /// While committing: when the connection was lost, the outcome is unknown until it is
    /// looked up. `value` is what the transaction would have returned.
    Commit { error: postgres::Error, value: T },
}

/// A connection or a transaction on it, with the statement cache of its session.
pub(crate) struct Db<'a> {
    client: &'a mut dyn GenericClientObject,
    statements: &'a mut HashMap<&'static str, Statement>,
}

/// [`GenericClient`] is not object safe because of its generic methods; this is the part used.
pub(crate) trait GenericClientObject {
    fn prepare_statement(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error>;
    fn execute_statement(
        &mut self,
        statement: &Statement,
        params: &Params<'_>,
    ) -> std::result::Result<u64, postgres::Error>;
    fn query_statement(
        &mut self,
        statement: &Statement,
        params: &Params<'_>,
    ) -> std::result::Result<Vec<Row>, postgres::Error>;
    fn batch_execute_text(&mut self, sql: &str) -> std::result::Result<(), postgres::Error>;
    fn copy_in_binary(
        &mut self,
        sql: &str,
        types: &[Type],
        rows: &mut dyn FnMut(
            &mut BinaryCopyInWriter<'_>,
        ) -> std::result::Result<(), postgres::Error>,
    ) -> std::result::Result<u64, postgres::Error>;
}

impl<C: GenericClient> GenericClientObject for C {
    fn prepare_statement(&mut self, sql: &str) -> std::result::Result<Statement, postgres::Error> {
        self.prepare(sql)
    }
    fn execute_statement(
        &mut self,
        statement: &Statement,
        params: &Params<'_>,
    ) -> std::result::Result<u64, postgres::Error> {
        self.execute(statement, params)
    }
    fn query_statement(
        &mut self,
        statement: &Statement,
        params: &Params<'_>,
    ) -> std::result::Result<Vec<Row>, postgres::Error> {
        self.query(statement, params)
    }
    fn batch_execute_text(&mut self, sql: &str) -> std::result::Result<(), postgres::Error> {
        self.batch_execute(sql)
    }
    fn copy_in_binary(
        &mut self,
        sql: &str,
        types: &[Type],
        rows: &mut dyn FnMut(
            &mut BinaryCopyInWriter<'_>,
        ) -> std::result::Result<(), postgres::Error>,
    ) -> std::result::Result<u64, postgres::Error> {
        let mut writer = BinaryCopyInWriter::new(self.copy_in(sql)?, types);
        // A writer dropped before `finish` (an error above) ends the copy with a failure.
        rows(&mut writer)?;
        writer.finish()
    }
}

impl Db<'_> {
    /// The statement for `sql`, prepared once per connection.
    fn statement(&mut self, sql: &'static str) -> std::result::Result<Statement, postgres::Error> {
        if let Some(s) = self.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare_statement(sql)?;
        self.statements.insert(sql, s.clone());
        Ok(s)
    }

    /// Runs a statement; the number of rows it changed.
    pub(crate) fn execute(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
        what: &'static str,
    ) -> Result<u64, Fail> {
        let s = self.statement(sql).map_err(failed(what))?;
        self.client
            .execute_statement(&s, params)
            .map_err(failed(what))
    }

    /// The rows of a query.
    pub(crate) fn query(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
        what: &'static str,
    ) -> Result<Vec<Row>, Fail> {
        let s = self.statement(sql).map_err(failed(what))?;
        self.client
            .query_statement(&s, params)
            .map_err(failed(what))
    }

    /// The first row of a query, if any.
    pub(crate) fn query_opt(
        &mut self,
        sql: &'static str,
        params: &Params<'_>,
        what: &'static str,
    ) -> Result<Option<Row>, Fail> {
        Ok(self.query(sql, params, what)?.into_iter().next())
    }

    /// Runs several statements without parameters (a migration).
    pub(crate) fn batch(&mut self, sql: &str, what: &'static str) -> Result<(), Fail> {
        self.client.batch_execute_text(sql).map_err(failed(what))
    }

    /// Runs `COPY … FROM STDIN (FORMAT binary)` (`sql`), `rows` writing the rows as values of
    /// `types`; the number of rows copied.
    pub(crate) fn copy_in(
        &mut self,
        sql: &str,
        types: &[Type],
        rows: &mut dyn FnMut(
            &mut BinaryCopyInWriter<'_>,
        ) -> std::result::Result<(), postgres::Error>,
        what: &'static str,
    ) -> Result<u64, Fail> {
        self.client
            .copy_in_binary(sql, types, rows)
            .map_err(failed(what))
    }

    /// The rows of a query built at run time (not kept prepared: each filter combination
    /// gets a plan for its own values).
    pub(crate) fn query_built(
        &mut self,
        sql: &str,
        params: &Params<'_>,
        what: &'static str,
    ) -> Result<Vec<Row>, Fail> {
        let s = self.client.prepare_statement(sql).map_err(failed(what))?;
        self.client
            .query_statement(&s, params)
            .map_err(failed(what))
    }
}

/// Whether the connection is gone (the server stopped or restarted, the backend was
/// terminated, the network dropped): the statement did not run on a live session.
pub(crate) fn connection_lost(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        let code = code.code();
        // Class 08: connection exceptions; 57P01-57P03: the server shut down, crashed, or is
        // starting and not yet accepting connections.
        return code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03");
    }
    // No server answer at all: an I/O error on the socket.
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// Whether the server rolled the transaction back to resolve a race, so that running it again
/// from the start is the right answer.
pub(crate) fn rolled_back_by_server(e: &postgres::Error) -> bool {
    matches!(
        e.code(),
        Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    )
}

/// The database's own words for an error: its message and SQLSTATE, or the client's error
/// with its causes (a refused connection, a reset socket).
pub(crate) fn describe(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
        if let Some(detail) = db.detail() {
            text.push_str(": ");
            text.push_str(detail);
        }
        return text;
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A postgres error shown in the database's words (see [`describe`]), keeping it as the
/// source.
#[derive(Debug)]
pub(crate) struct Cause(pub(crate) postgres::Error);

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&describe(&self.0))
    }
}

impl std::error::Error for Cause {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}

/// A [`ErrorKind::Storage`] error: the database could not do `what`.
pub(crate) fn storage_error(what: &str, e: postgres::Error) -> Error {
    Error::new(ErrorKind::Storage, format!("the database could not {what}")).with_source(Cause(e))
}

/// The error of a commit that failed: when the connection was lost during it and what it
/// wrote could not be looked up, nobody knows whether the server committed, and the message
/// says so.
pub(crate) fn commit_error(what: &str, e: postgres::Error) -> Error {
    if connection_lost(&e) {
        return Error::new(
            ErrorKind::Storage,
            format!(
                "the connection to the database was lost while it committed ({what}); the change may or may not have been stored: read it again before repeating it"
            ),
        )
        .with_source(Cause(e));
    }
    storage_error(&format!("commit ({what})"), e)
}

/// The error of a transaction whose connection was lost during its commit, and which was
/// looked up afterwards and found not stored.
pub(crate) fn lost_error(what: &str, e: postgres::Error) -> Error {
    Error::new(
        ErrorKind::Storage,
        format!(
            "the connection to the database was lost while it committed ({what}), and nothing of it was stored"
        ),
    )
    .with_source(Cause(e))
}

/// Waits between tries: 50 ms, doubling up to 1 s.
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(50u64.saturating_mul(1 << attempt.min(5)).min(1_000))
}

/// A deadline for tries that began at `started` and may go on for `within`.
pub(crate) fn within(started: Instant, within: Duration, attempt: u32) -> bool {
    started.elapsed() + backoff(attempt) < within
}
