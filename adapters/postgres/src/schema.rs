//! The tables, their version, and the migration run on connect.

use conferral::error::{Error, ErrorKind};
use postgres::IsolationLevel;

use crate::session::{Db, Fail, Session, TxFail};

/// The schema version this release writes.
pub const SCHEMA_VERSION: i32 = 6;

/// Every migration takes this transaction-scoped advisory lock first, so that two processes
/// connecting to a new database at once do not both create the tables.
const MIGRATION_LOCK: i64 = 0x636f_6e66_6572_7261; // "conferra"

/// Version 1. Text columns that are compared or sorted use the "C" collation: byte order, as
/// the other stores sort ids, whatever the database's locale. Bodies are JSON text, not jsonb:
/// they come back byte for byte (jsonb reorders keys, rewrites numbers and refuses `\u0000`),
/// and every field a query needs has a column of its own.
const SCHEMA_V1: &str = r#"
CREATE TABLE conferral_schema (
    version integer NOT NULL
);
INSERT INTO conferral_schema (version) VALUES (0);
CREATE TABLE groups (
    key text COLLATE "C" PRIMARY KEY,
    body text NOT NULL
);
CREATE TABLE mappings (
    group_key text COLLATE "C" PRIMARY KEY,
    body text NOT NULL
);
CREATE TABLE batches (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text COLLATE "C" NOT NULL CONSTRAINT batches_id_unique UNIQUE,
    grp text COLLATE "C" NOT NULL,
    fingerprint text COLLATE "C" NOT NULL,
    body text NOT NULL,
    CONSTRAINT batches_file_unique UNIQUE (grp, fingerprint)
);
CREATE TABLE credentials (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id text COLLATE "C" NOT NULL CONSTRAINT credentials_id_unique UNIQUE,
    grp text COLLATE "C" NOT NULL,
    batch text COLLATE "C" NOT NULL,
    state text COLLATE "C" NOT NULL,
    email_key text COLLATE "C" NOT NULL,
    versions integer NOT NULL,
    body text NOT NULL
);
CREATE INDEX credentials_by_group ON credentials (grp, seq);
CREATE INDEX credentials_by_batch ON credentials (batch, seq);
CREATE INDEX credentials_by_email ON credentials (email_key);
CREATE TABLE outbox (
    id text COLLATE "C" PRIMARY KEY,
    credential text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL,
    state text COLLATE "C" NOT NULL,
    attempts integer NOT NULL,
    next_attempt_at timestamptz NOT NULL,
    queued_at timestamptz NOT NULL,
    lease_worker text COLLATE "C",
    lease_until timestamptz,
    body text NOT NULL,
    CONSTRAINT outbox_one_per_kind UNIQUE (credential, kind)
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'pending';
CREATE INDEX outbox_by_state ON outbox (state, queued_at, id);
CREATE TABLE outbox_set_aside (
    id text COLLATE "C" PRIMARY KEY,
    body text NOT NULL,
    reason text NOT NULL,
    set_aside_at timestamptz NOT NULL DEFAULT now()
);
"#;

/// Version 2: revocation status lists. The next status list index to give out.
const SCHEMA_V2: &str = r#"
CREATE TABLE counters (
    name text COLLATE "C" PRIMARY KEY,
    value bigint NOT NULL
);
INSERT INTO counters (name, value) VALUES ('status_index', 0);
"#;

/// Version 3: the event log. An event with a visitor is kept once per kind, credential,
/// visitor and day (the partial unique index).
const SCHEMA_V3: &str = r#"
CREATE TABLE events (
    seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL,
    day date NOT NULL,
    kind text COLLATE "C" NOT NULL,
    credential text COLLATE "C" NOT NULL,
    grp text COLLATE "C" NOT NULL,
    batch text COLLATE "C" NOT NULL,
    visitor text COLLATE "C",
    detail text
);
CREATE UNIQUE INDEX events_once_a_day ON events (kind, credential, visitor, day)
    WHERE visitor IS NOT NULL;
CREATE INDEX events_by_batch ON events (grp, batch, day);
"#;

/// Version 4: a credential's row is rewritten when it is published (its state and history
/// change, none of its indexed columns do), and PostgreSQL writes the new version without
/// touching the table's five indexes (a heap-only tuple) only when it fits on the same page.
/// With pages filled to half on insert, a publish rewrites every credential in place: 100,000
/// of them took 1.6 s with full pages and 0.7 s with half-full ones. Only new rows follow
/// the setting (nothing is rewritten); the table takes about twice the pages.
const SCHEMA_V4: &str = "ALTER TABLE credentials SET (fillfactor = 50);";

/// Version 5: groups are versioned. `groups` keeps each key's latest version and its
/// number; `group_versions` every version, the ones saved before as version 1.
/// `visitor_secrets` keeps the day's secret for visitors' hashes.
const SCHEMA_V5: &str = r#"
ALTER TABLE groups ADD COLUMN version integer NOT NULL DEFAULT 1;
CREATE TABLE group_versions (
    key text COLLATE "C" NOT NULL,
    version integer NOT NULL,
    body text NOT NULL,
    PRIMARY KEY (key, version)
);
INSERT INTO group_versions (key, version, body) SELECT key, 1, body FROM groups;
CREATE TABLE visitor_secrets (
    day date PRIMARY KEY,
    secret bytea NOT NULL
);
"#;

/// Version 6: the suppression list, one row per address by its key
/// (`conferral::storage::email_key`), the entry as JSON text.
const SCHEMA_V6: &str = r#"
CREATE TABLE suppressions (
    email_key text COLLATE "C" PRIMARY KEY,
    body text NOT NULL
);
"#;

/// Brings the schema that `search_path` names first up to [`SCHEMA_VERSION`], in one
/// transaction; refuses one written by a newer release.
pub(crate) fn migrate(
    session: &mut Session,
    target: &str,
    create: Option<&str>,
) -> conferral::Result<i32> {
    let mut work = |db: &mut Db<'_>| -> Result<i32, Fail> {
        db.execute(
            "SELECT pg_advisory_xact_lock($1)",
            &[&MIGRATION_LOCK],
            "lock the schema for a migration",
        )?;
        if let Some(name) = create {
            // Looked up first: `CREATE SCHEMA IF NOT EXISTS` needs the right to create
            // schemas even when the schema exists.
            let missing = db
                .query_opt(
                    "SELECT 1 FROM pg_namespace WHERE nspname = $1",
                    &[&name],
                    "look for its schema",
                )?
                .is_none();
            if missing {
                // `name` passed `check_name`: a plain identifier, safe to quote.
                db.batch(&format!("CREATE SCHEMA \"{name}\""), "create its schema")?;
            }
        }
        let schema: Option<String> = db
            .query_opt("SELECT current_schema()", &[], "read its search path")?
            .and_then(|r| r.get(0));
        let Some(schema) = schema else {
            return Err(Fail::Refused(Error::new(
                ErrorKind::Storage,
                format!(
                    "the database {target} has no schema to keep conferral's tables in: create one, or name one with `options=-csearch_path=NAME` in the URL"
                ),
            )));
        };
        let exists: bool = db
            .query_opt(
                "SELECT to_regclass(quote_ident($1) || '.conferral_schema') IS NOT NULL",
                &[&schema],
                "look for its tables",
            )?
            .is_some_and(|r| r.get(0));
        let version: i32 = if exists {
            db.query_opt(
                "SELECT max(version) FROM conferral_schema",
                &[],
                "read its schema version",
            )?
            .and_then(|r| r.get::<_, Option<i32>>(0))
            .unwrap_or(0)
        } else {
            0
        };
        if version > SCHEMA_VERSION {
            return Err(Fail::Refused(Error::new(
                ErrorKind::Storage,
                format!(
                    "the database {target} has conferral schema version {version} in `{schema}`, newer than this release's {SCHEMA_VERSION}; upgrade conferral"
                ),
            )));
        }
        if version < 1 {
            db.batch(SCHEMA_V1, "create its tables")?;
        }
        if version < 2 {
            db.batch(SCHEMA_V2, "add status list indexes")?;
        }
        if version < 3 {
            db.batch(SCHEMA_V3, "add the event log")?;
        }
        if version < 4 {
            db.batch(SCHEMA_V4, "half-fill the credentials table's new pages")?;
        }
        if version < 5 {
            db.batch(SCHEMA_V5, "version the groups")?;
        }
        if version < 6 {
            db.batch(SCHEMA_V6, "add the suppression list")?;
        }
        if version < SCHEMA_VERSION {
            db.execute(
                "UPDATE conferral_schema SET version = $1",
                &[&SCHEMA_VERSION],
                "record its schema version",
            )?;
        }
        Ok(SCHEMA_VERSION)
    };
    session
        .transaction(IsolationLevel::ReadCommitted, false, &mut work, &mut || {
            false
        })
        .map_err(|f| match f {
            TxFail::Before(Fail::Refused(e)) => e,
            TxFail::Before(Fail::Db { what, error }) => crate::session::storage_error(what, error),
            TxFail::Commit { error, .. } => crate::session::commit_error("a migration", error),
        })
}

/// Refuses a schema name that is not a plain lower-case identifier (it goes into the
/// connection's options and into SQL).
pub(crate) fn check_name(name: &str) -> conferral::Result<()> {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63;
    if plain {
        Ok(())
    } else {
        Err(Error::new(
            ErrorKind::Storage,
            format!(
                "the schema name `{name}` is not a plain lower-case name (letters a-z, digits and `_`, at most 63)"
            ),
        ))
    }
}

/// The schema version recorded in the database (0 before the first migration).
pub(crate) fn version(db: &mut Db<'_>) -> Result<i32, Fail> {
    Ok(db
        .query_opt(
            "SELECT max(version) FROM conferral_schema",
            &[],
            "read its schema version",
        )?
        .and_then(|r| r.get::<_, Option<i32>>(0))
        .unwrap_or(0))
}
