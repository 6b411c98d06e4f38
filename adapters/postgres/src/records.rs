//! The records as rows: a credential's and a message's columns, and the statements that
//! write many of them at once with the contract's conditions.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use conferral::error::{Error, ErrorKind, Result};
use conferral::events::Event;
use conferral::lifecycle::Credential;
use conferral::outbox::OutboxMessage;
use conferral::storage::CredentialQuery;
use conferral::values::email::duplicate_key;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};

use crate::session::{Db, Fail, failed};

/// Rows written by one statement of a large import or publish.
pub(crate) const ROWS_PER_STATEMENT: usize = 2_000;

pub(crate) const CREDENTIAL_BODY: &str = "SELECT body FROM credentials WHERE id = $1";
pub(crate) const MESSAGE_BODY: &str = "SELECT body FROM outbox WHERE id = $1";

/// Runs again: the write is idempotent, or wrote nothing worth looking up.
pub(crate) fn run_again<T>(_: &mut Db<'_>, _: &T) -> Result<bool, Fail> {
    Ok(false)
}

/// Whether the row `sql` finds by `id` holds exactly `body`: a write whose commit lost its
/// connection landed when the row holds what it wrote (a body is the whole record).
pub(crate) fn holds(
    db: &mut Db<'_>,
    sql: &'static str,
    id: &str,
    body: &str,
) -> Result<bool, Fail> {
    const WHAT: &str = "look a write up";
    match db.query_opt(sql, &[&id], WHAT)? {
        Some(row) => Ok(row.try_get::<_, &str>(0).map_err(failed(WHAT))? == body),
        None => Ok(false),
    }
}

pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| {
        Error::new(ErrorKind::Storage, "the database could not encode a record").with_source(e)
    })
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<T> {
    serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::Storage,
            "the database could not decode a stored record",
        )
        .with_source(e)
    })
}

/// The JSON record in a row's first column.
pub(crate) fn body<T: serde::de::DeserializeOwned>(
    row: &postgres::Row,
    what: &'static str,
) -> Result<T, Fail> {
    let text: &str = row.try_get(0).map_err(failed(what))?;
    Ok(from_json(text)?)
}

pub(crate) fn conflict(message: String) -> Fail {
    Fail::Refused(Error::new(ErrorKind::Conflict, message))
}

pub(crate) fn not_found(what: &str, id: &str) -> Fail {
    Fail::Refused(Error::new(
        ErrorKind::NotFound,
        format!("there is no {what} `{id}`"),
    ))
}

/// A count or version as the database stores it.
pub(crate) fn int(n: impl TryInto<i32>, what: &str) -> Result<i32> {
    n.try_into().map_err(|_| {
        Error::new(
            ErrorKind::Storage,
            format!("the database cannot store {what}: it is too large"),
        )
    })
}

pub(crate) fn count(row: Option<postgres::Row>, what: &'static str) -> Result<u64, Fail> {
    let n: i64 = match row {
        Some(row) => row.try_get(0).map_err(failed(what))?,
        None => 0,
    };
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A credential's columns.
pub(crate) struct CredentialRow<'c> {
    pub(crate) id: &'c str,
    pub(crate) group: &'c str,
    pub(crate) batch: &'c str,
    pub(crate) state: &'static str,
    pub(crate) email_key: String,
    /// History entries: every change adds one, so a new version was made from the stored
    /// one when the stored one has one entry fewer.
    pub(crate) versions: i32,
    pub(crate) body: String,
}

impl<'c> CredentialRow<'c> {
    pub(crate) fn of(c: &'c Credential) -> Result<CredentialRow<'c>> {
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

    pub(crate) fn all(credentials: &'c [Credential]) -> Result<Vec<CredentialRow<'c>>> {
        credentials.iter().map(CredentialRow::of).collect()
    }
}

/// The columns of rows, one array each, for `unnest`.
#[derive(Default)]
pub(crate) struct CredentialColumns<'r> {
    pub(crate) ids: Vec<&'r str>,
    pub(crate) groups: Vec<&'r str>,
    pub(crate) batches: Vec<&'r str>,
    pub(crate) states: Vec<&'r str>,
    pub(crate) email_keys: Vec<&'r str>,
    pub(crate) versions: Vec<i32>,
    pub(crate) bodies: Vec<&'r str>,
}

impl<'r> CredentialColumns<'r> {
    pub(crate) fn of(rows: &[&'r CredentialRow<'_>]) -> CredentialColumns<'r> {
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

    pub(crate) fn params(&self) -> [&(dyn ToSql + Sync); 7] {
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

/// `COPY` of new credentials, their columns in the order of [`CREDENTIAL_TYPES`].
const CREDENTIAL_COPY: &str = "COPY credentials (id, grp, batch, state, email_key, versions, body)
                               FROM STDIN (FORMAT binary)";

const CREDENTIAL_TYPES: [Type; 7] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT4,
    Type::TEXT,
];

/// Inserts new credentials in their order (a `COPY` numbers them as it goes); a conflict when
/// an id exists (or comes twice). See [`copy_naming_conflicts`].
pub(crate) fn insert_credentials(db: &mut Db<'_>, rows: &[CredentialRow<'_>]) -> Result<(), Fail> {
    copy_naming_conflicts(
        db,
        rows,
        |db| {
            db.copy_in(
                CREDENTIAL_COPY,
                &CREDENTIAL_TYPES,
                &mut |writer| {
                    for r in rows {
                        writer.write(&[
                            &r.id,
                            &r.group,
                            &r.batch,
                            &r.state,
                            &r.email_key,
                            &r.versions,
                            &r.body,
                        ])?;
                    }
                    Ok(())
                },
                "store a credential",
            )
        },
        insert_credentials_naming_conflicts,
    )
}

/// Inserts new rows by one binary `COPY` (`copy`), inside a savepoint. The server writes a
/// copy a page at a time, where an `INSERT … SELECT` writes and logs each row on its own:
/// 100,000 outbox rows took 1.3 s as inserts and 0.8 s as a copy. A copy has no
/// `ON CONFLICT`: a row whose key is there already (or comes twice) fails it as a whole with
/// a unique violation. The savepoint is then rolled back and `naming` inserts the rows again
/// with `ON CONFLICT DO NOTHING`, to name the first of them that conflicts, as before.
fn copy_naming_conflicts<R>(
    db: &mut Db<'_>,
    rows: &[R],
    copy: impl FnOnce(&mut Db<'_>) -> Result<u64, Fail>,
    naming: impl FnOnce(&mut Db<'_>, &[R]) -> Result<(), Fail>,
) -> Result<(), Fail> {
    const WHAT: &str = "write new rows";
    if rows.is_empty() {
        return Ok(());
    }
    db.batch("SAVEPOINT bulk_insert", WHAT)?;
    match copy(db) {
        Ok(_) => db.batch("RELEASE SAVEPOINT bulk_insert", WHAT),
        Err(Fail::Db { error, .. }) if error.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
            db.batch("ROLLBACK TO SAVEPOINT bulk_insert", WHAT)?;
            naming(db, rows)
        }
        Err(fail) => Err(fail),
    }
}

/// Inserts new credentials in their order with `INSERT … ON CONFLICT DO NOTHING`; a conflict
/// naming the first whose id exists or comes twice.
fn insert_credentials_naming_conflicts(
    db: &mut Db<'_>,
    rows: &[CredentialRow<'_>],
) -> Result<(), Fail> {
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
        if let Some(id) = not_inserted(&inserted, chunk.iter().map(|r| r.id), WHAT)? {
            return Err(conflict(format!("credential `{id}` exists already")));
        }
    }
    Ok(())
}

/// Writes new versions of stored credentials, each only over the version it was made from:
/// the rows are locked in id order, checked, then written.
pub(crate) fn update_credentials(db: &mut Db<'_>, rows: &[CredentialRow<'_>]) -> Result<(), Fail> {
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
pub(crate) struct MessageRow<'m> {
    pub(crate) id: &'m str,
    pub(crate) credential: &'m str,
    pub(crate) kind: &'static str,
    pub(crate) state: &'static str,
    pub(crate) attempts: i32,
    pub(crate) next_attempt_at: DateTime<Utc>,
    pub(crate) queued_at: DateTime<Utc>,
    pub(crate) lease_worker: Option<&'m str>,
    pub(crate) lease_until: Option<DateTime<Utc>>,
    pub(crate) body: String,
}

impl<'m> MessageRow<'m> {
    pub(crate) fn of(m: &'m OutboxMessage) -> Result<MessageRow<'m>> {
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

/// `COPY` of new messages, their columns in the order of [`MESSAGE_TYPES`].
const MESSAGE_COPY: &str = "COPY outbox (id, credential, kind, state, attempts, next_attempt_at,
                                         queued_at, lease_worker, lease_until, body)
                            FROM STDIN (FORMAT binary)";

const MESSAGE_TYPES: [Type; 10] = [
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT4,
    Type::TIMESTAMPTZ,
    Type::TIMESTAMPTZ,
    Type::TEXT,
    Type::TIMESTAMPTZ,
    Type::TEXT,
];

/// Queues new messages; a conflict when one is queued already (or given twice). See
/// [`copy_naming_conflicts`].
pub(crate) fn insert_messages(db: &mut Db<'_>, rows: &[MessageRow<'_>]) -> Result<(), Fail> {
    copy_naming_conflicts(
        db,
        rows,
        |db| {
            db.copy_in(
                MESSAGE_COPY,
                &MESSAGE_TYPES,
                &mut |writer| {
                    for m in rows {
                        writer.write(&[
                            &m.id,
                            &m.credential,
                            &m.kind,
                            &m.state,
                            &m.attempts,
                            &m.next_attempt_at,
                            &m.queued_at,
                            &m.lease_worker,
                            &m.lease_until,
                            &m.body,
                        ])?;
                    }
                    Ok(())
                },
                "queue a message",
            )
        },
        insert_messages_naming_conflicts,
    )
}

/// Queues new messages with `INSERT … ON CONFLICT DO NOTHING`; a conflict naming the first
/// one that was queued already or is given twice.
fn insert_messages_naming_conflicts(db: &mut Db<'_>, rows: &[MessageRow<'_>]) -> Result<(), Fail> {
    const WHAT: &str = "queue a message";
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let inserted = insert_new_messages(db, chunk, WHAT)?;
        if let Some(id) = not_inserted(&inserted, chunk.iter().map(|m| m.id), WHAT)? {
            return Err(conflict(format!("message `{id}` is queued already")));
        }
    }
    Ok(())
}

/// Queues the messages that are new (no message of their credential and kind yet), leaving
/// the others; the ids of those added.
pub(crate) fn queue_new_messages(
    db: &mut Db<'_>,
    rows: &[MessageRow<'_>],
) -> Result<Vec<String>, Fail> {
    const WHAT: &str = "queue a message";
    let mut added = Vec::new();
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        for row in insert_new_messages(db, chunk, WHAT)? {
            added.push(row.try_get::<_, String>(0).map_err(failed(WHAT))?);
        }
    }
    Ok(added)
}

/// One `INSERT … ON CONFLICT DO NOTHING RETURNING id` of at most [`ROWS_PER_STATEMENT`]
/// messages: the rows of those inserted.
fn insert_new_messages(
    db: &mut Db<'_>,
    chunk: &[MessageRow<'_>],
    what: &'static str,
) -> Result<Vec<postgres::Row>, Fail> {
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
    db.query(
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
        what,
    )
}

/// The first of `ids` an `INSERT … ON CONFLICT DO NOTHING RETURNING id` did not return: a
/// row that was there already, or an id given twice (each returned id answers for one).
fn not_inserted<'a>(
    inserted: &[postgres::Row],
    mut ids: impl ExactSizeIterator<Item = &'a str>,
    what: &'static str,
) -> Result<Option<&'a str>, Fail> {
    if inserted.len() == ids.len() {
        return Ok(None);
    }
    let mut stored = HashSet::with_capacity(inserted.len());
    for row in inserted {
        stored.insert(row.try_get::<_, String>(0).map_err(failed(what))?);
    }
    Ok(ids.find(|id| !stored.remove(*id)))
}

/// Writes a claimed message over the pending one it was claimed from.
pub(crate) fn write_claim(db: &mut Db<'_>, m: &MessageRow<'_>) -> Result<(), Fail> {
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
pub(crate) fn set_aside(db: &mut Db<'_>, id: &str, body: &str, reason: &str) -> Result<(), Fail> {
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
pub(crate) struct Built {
    pub(crate) sql: String,
    pub(crate) params: Vec<Box<dyn ToSql + Sync>>,
}

impl Built {
    pub(crate) fn new(sql: &str) -> Built {
        Built {
            sql: sql.to_owned(),
            params: Vec::new(),
        }
    }

    /// Appends `clause` with its `$` placeholder standing for `value`.
    pub(crate) fn and(&mut self, clause: &str, value: Box<dyn ToSql + Sync>) {
        self.params.push(value);
        self.sql
            .push_str(&clause.replace('$', &format!("${}", self.params.len())));
    }

    pub(crate) fn params(&self) -> Vec<&(dyn ToSql + Sync)> {
        self.params.iter().map(|p| p.as_ref()).collect()
    }
}

/// The filters of a [`CredentialQuery`], `after` and `limit`: the rows in `seq` order, or in
/// any order when `ordered` is false and there is no `limit` (a count: sorting every draft of
/// a large import before counting them took 90 ms of a publish's 4 s).
pub(crate) fn listed(select: &str, query: &CredentialQuery, ordered: bool) -> Built {
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
    if ordered || query.limit.is_some() {
        q.sql.push_str(" ORDER BY seq");
    }
    if let Some(n) = query.limit {
        q.and(" LIMIT $", Box::new(i64::try_from(n).unwrap_or(i64::MAX)));
    }
    q
}

/// `COPY` of events without a visitor, their columns in the order of [`EVENT_TYPES`].
const EVENT_COPY: &str = "COPY events (at, day, kind, credential, grp, batch, detail)
                          FROM STDIN (FORMAT binary)";

const EVENT_TYPES: [Type; 7] = [
    Type::TIMESTAMPTZ,
    Type::DATE,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
];

/// Appends events that have no visitor by one binary `COPY`: no unique index covers them
/// (the once-a-day index is partial, on visitors' events), so a copy cannot conflict.
pub(crate) fn copy_events(db: &mut Db<'_>, events: &[Event]) -> Result<u64, Fail> {
    db.copy_in(
        EVENT_COPY,
        &EVENT_TYPES,
        &mut |writer| {
            for e in events {
                writer.write(&[
                    &e.at,
                    &e.day(),
                    &e.kind.as_str(),
                    &e.credential,
                    &e.group,
                    &e.batch,
                    &e.detail,
                ])?;
            }
            Ok(())
        },
        "record events",
    )
}
