//! The behaviour every [`Storage`] implementation must show, as one suite.
//!
//! ```
//! # #[cfg(feature = "conformance")] {
//! conferral::storage::conformance::run(conferral::storage::MemoryStorage::new).unwrap();
//! # }
//! ```
//!
//! Each check starts from a fresh, empty store made by the caller's function and returns the
//! first broken expectation as an error naming the check.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{
    Batch, CredentialQuery, MessageQuery, Storage, StoredGroup, Suppression, SuppressionReason,
};
use crate::error::{ErrorKind, Result};
use crate::group::Group;
use crate::lifecycle::{
    Credential, CredentialState, EventKind, FieldChange, HistoryEntry, Recipient,
};
use crate::outbox::{DeliveryState, Lease, MessageKind, OutboxMessage, SendOutcome};
use crate::render::RenderedEmail;

/// A broken expectation: which check, and what was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check's name.
    pub check: &'static str,
    /// What was expected and what happened.
    pub detail: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check, self.detail)
    }
}

type Check<S> = (&'static str, fn(&mut S) -> std::result::Result<(), String>);

/// Runs every check, each on a new store from `make`.
///
/// # Errors
/// The first [`Failure`].
pub fn run<S: Storage>(mut make: impl FnMut() -> S) -> std::result::Result<(), Failure> {
    let checks: Vec<Check<S>> = vec![
        ("groups are saved, replaced and looked up", groups),
        (
            "each change to a group is a new version, and every version is kept",
            group_versions,
        ),
        (
            "learned mappings are kept per group, replaced and forgotten",
            mappings,
        ),
        ("imports are atomic and unique per file", imports),
        ("credentials are listed, filtered and updated", credentials),
        (
            "drafts are deleted, nothing else is, and emptied batches go",
            deleting_drafts,
        ),
        ("values come back exactly as stored", fidelity),
        (
            "publishing is atomic with one message per credential",
            publishing,
        ),
        ("due messages are claimed once, in order", claiming),
        ("message states change by compare and set", compare_and_set),
        (
            "a write made under an earlier claim is refused",
            fenced_by_attempts,
        ),
        (
            "several messages change together or not at all",
            several_messages,
        ),
        (
            "a follow-up message is queued once per credential and kind",
            follow_ups,
        ),
        ("status counts every state", status),
        (
            "status list indexes are reserved once, in order",
            status_indexes,
        ),
        (
            "events are kept, once a day per visitor, and counted",
            events,
        ),
        (
            "a day's visitor secret is kept once and forgotten the next day",
            visitor_secrets,
        ),
        (
            "the suppression list keeps one entry per address, without case",
            suppressions,
        ),
        (
            "a sent message bounces, with its result, and is counted",
            bounced_messages,
        ),
    ];
    for (check, f) in checks {
        let mut store = make();
        f(&mut store).map_err(|detail| Failure { check, detail })?;
    }
    Ok(())
}

fn t(minutes: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .unwrap_or_default()
        + Duration::minutes(minutes)
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> std::result::Result<(), String> {
    if ok { Ok(()) } else { Err(what()) }
}

fn same<T: PartialEq + std::fmt::Debug>(
    got: T,
    want: T,
    what: &str,
) -> std::result::Result<(), String> {
    ensure(got == want, || {
        format!("{what}: expected {want:?}, got {got:?}")
    })
}

fn ok<T>(r: Result<T>, what: &str) -> std::result::Result<T, String> {
    r.map_err(|e| format!("{what} failed: {} ({})", e, e.kind()))
}

fn fails_with<T: std::fmt::Debug>(
    r: Result<T>,
    kind: ErrorKind,
    what: &str,
) -> std::result::Result<(), String> {
    match r {
        Err(e) if e.kind() == kind => Ok(()),
        Err(e) => Err(format!(
            "{what}: expected a {kind} error, got {} ({})",
            e,
            e.kind()
        )),
        Ok(v) => Err(format!("{what}: expected a {kind} error, got Ok({v:?})")),
    }
}

fn group(name: &str) -> Group {
    Group {
        name: name.to_owned(),
        ..Group::default()
    }
}

fn batch(id: &str, group: &str, fingerprint: &str, at: i64) -> Batch {
    Batch {
        id: id.to_owned(),
        group: group.to_owned(),
        fingerprint: fingerprint.to_owned(),
        file_name: Some(format!("{id}.csv")),
        created_at: t(at),
        actor: "conformance".to_owned(),
        rows: 2,
        created: 2,
        replaced: 0,
        rejected: 0,
    }
}

fn credential(id: &str, group: &str, batch: &str, email: &str) -> Credential {
    Credential {
        id: id.to_owned(),
        group: group.to_owned(),
        batch: batch.to_owned(),
        recipient: Recipient {
            name: format!("Recipient {id}"),
            email: email.to_owned(),
        },
        issued_on: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
        expires_on: None,
        reference: None,
        attributes: BTreeMap::new(),
        state: CredentialState::Draft,
        status_index: None,
        group_version: None,
        history: vec![HistoryEntry {
            at: t(0),
            actor: "conformance".to_owned(),
            event: EventKind::Created,
            changes: Vec::new(),
            reason: None,
        }],
    }
}

/// The next version of a stored credential: one more history entry, as every change adds.
fn next(c: &Credential) -> Credential {
    let mut n = c.clone();
    n.history.push(HistoryEntry {
        at: t(n.history.len() as i64),
        actor: "conformance".to_owned(),
        event: EventKind::Amended,
        changes: Vec::new(),
        reason: None,
    });
    n
}

/// A lease of `worker` until minute `until`.
fn lease(worker: &str, until: i64) -> Lease {
    Lease {
        worker: worker.to_owned(),
        until: t(until),
    }
}

fn message(credential: &str, at: i64) -> OutboxMessage {
    OutboxMessage::queue(
        credential,
        MessageKind::Issued,
        RenderedEmail {
            to_name: format!("Recipient {credential}"),
            to_email: format!("{credential}@example.org"),
            subject: "Your credential".to_owned(),
            html: "<p>Hello</p>".to_owned(),
            text: "Hello".to_owned(),
        },
        "example.org",
        t(at),
    )
}

fn ids(credentials: &[Credential]) -> Vec<&str> {
    credentials.iter().map(|c| c.id.as_str()).collect()
}

fn groups<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    same(ok(s.group("nope"), "group")?, None, "a missing group")?;
    let mut g = group("Data Science 2026");
    ok(s.put_group(&g), "put_group")?;
    same(
        ok(s.group("data-science-2026"), "group")?,
        Some(g.clone()),
        "a saved group",
    )?;
    g.duplicates = crate::group::DuplicatePolicy::Allow;
    ok(s.put_group(&g), "put_group again")?;
    same(
        ok(s.group("data-science-2026"), "group")?,
        Some(g),
        "a replaced group",
    )
}

fn group_versions<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    same(ok(s.groups(), "groups")?, Vec::new(), "no group yet")?;
    same(
        ok(s.stored_group("nope", None), "stored_group")?,
        None,
        "a missing group",
    )?;
    let first = group("Bootcamp");
    same(
        ok(s.put_group(&first), "put_group")?,
        1,
        "the first version",
    )?;
    same(
        ok(s.put_group(&first), "put_group")?,
        1,
        "the same group saved again",
    )?;
    let mut second = first.clone();
    second.duplicates = crate::group::DuplicatePolicy::Allow;
    same(ok(s.put_group(&second), "put_group")?, 2, "a changed group")?;
    let mut third = second.clone();
    third.name = "Bootcamp (renamed)".into();
    third.key = Some("bootcamp".into());
    same(
        ok(s.put_group(&third), "put_group")?,
        3,
        "a renamed group, same key",
    )?;
    same(
        ok(s.put_group(&second), "put_group")?,
        4,
        "an earlier version saved again",
    )?;
    let stored = |version, group: &Group| StoredGroup {
        key: "bootcamp".into(),
        version,
        group: group.clone(),
    };
    same(
        ok(s.stored_group("bootcamp", None), "stored_group")?,
        Some(stored(4, &second)),
        "the latest",
    )?;
    for (version, group) in [(1, &first), (2, &second), (3, &third)] {
        same(
            ok(s.stored_group("bootcamp", Some(version)), "stored_group")?,
            Some(stored(version, group)),
            &format!("version {version}"),
        )?;
    }
    same(
        ok(s.stored_group("bootcamp", Some(5)), "stored_group")?,
        None,
        "a version to come",
    )?;
    same(
        ok(s.stored_group("bootcamp", Some(0)), "stored_group")?,
        None,
        "version 0",
    )?;
    same(
        ok(s.group("bootcamp"), "group")?,
        Some(second.clone()),
        "group is the latest",
    )?;
    let other = group("Alpha");
    ok(s.put_group(&other), "put_group")?;
    let listed: Vec<(String, u32)> = ok(s.groups(), "groups")?
        .into_iter()
        .map(|g| (g.key, g.version))
        .collect();
    same(
        listed,
        vec![("alpha".to_owned(), 1), ("bootcamp".to_owned(), 4)],
        "every group's latest, by key",
    )
}

fn visitor_secrets<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 3, d).unwrap_or_default();
    let (a, b, c) = ([1u8; 32], [2u8; 32], [3u8; 32]);
    same(
        ok(s.visitor_secret(day(2), &a), "visitor_secret")?,
        a,
        "the first of a day is kept",
    )?;
    same(
        ok(s.visitor_secret(day(2), &b), "visitor_secret")?,
        a,
        "a day's secret stays",
    )?;
    same(
        ok(s.visitor_secret(day(3), &c), "visitor_secret")?,
        c,
        "the next day's",
    )?;
    // The day before was forgotten: asking for it again keeps whatever is given now.
    same(
        ok(s.visitor_secret(day(2), &b), "visitor_secret")?,
        b,
        "a forgotten day",
    )?;
    same(
        ok(s.visitor_secret(day(3), &a), "visitor_secret")?,
        c,
        "the later day's stays",
    )
}

fn mappings<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    use crate::matching::SavedMappings;
    let none = SavedMappings::default();
    same(
        ok(s.mappings("g"), "mappings")?,
        none.clone(),
        "no mappings yet",
    )?;
    let mut learned = SavedMappings::default();
    learned
        .0
        .insert("e mail address".into(), Some("email".into()));
    learned.0.insert("notes".into(), None);
    ok(s.put_mappings("g", &learned), "put_mappings")?;
    same(
        ok(s.mappings("g"), "mappings")?,
        learned.clone(),
        "the learned mappings",
    )?;
    same(
        ok(s.mappings("h"), "mappings")?,
        none.clone(),
        "another group's",
    )?;
    let mut fewer = SavedMappings::default();
    fewer.0.insert("notes".into(), None);
    ok(s.put_mappings("g", &fewer), "put_mappings again")?;
    same(ok(s.mappings("g"), "mappings")?, fewer, "replaced mappings")?;
    ok(s.put_mappings("g", &none), "put_mappings empty")?;
    same(ok(s.mappings("g"), "mappings")?, none, "forgotten mappings")
}

fn imports<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let b1 = batch("b1", "g", "f1", 0);
    let c = [
        credential("c1", "g", "b1", "a@x.org"),
        credential("c2", "g", "b1", "b@x.org"),
    ];
    ok(s.commit_import(&b1, &c, &[]), "commit_import")?;
    same(
        ok(s.batch("b1"), "batch")?,
        Some(b1.clone()),
        "the stored batch",
    )?;
    same(ok(s.batch("b9"), "batch")?, None, "a missing batch")?;
    same(
        ok(s.batch_by_fingerprint("g", "f1"), "batch_by_fingerprint")?,
        Some(b1.clone()),
        "by fingerprint",
    )?;
    same(
        ok(s.batch_by_fingerprint("h", "f1"), "batch_by_fingerprint")?,
        None,
        "another group's fingerprint",
    )?;

    let before = ok(s.credentials(&CredentialQuery::default()), "credentials")?;
    let fresh = [credential("c3", "g", "b2", "c@x.org")];
    fails_with(
        s.commit_import(&batch("b1", "g", "f2", 1), &fresh, &[]),
        ErrorKind::Conflict,
        "a repeated batch id",
    )?;
    fails_with(
        s.commit_import(&batch("b2", "g", "f1", 1), &fresh, &[]),
        ErrorKind::Conflict,
        "a repeated fingerprint",
    )?;
    let clash = [
        credential("c3", "g", "b2", "c@x.org"),
        credential("c1", "g", "b2", "d@x.org"),
    ];
    fails_with(
        s.commit_import(&batch("b2", "g", "f2", 1), &clash, &[]),
        ErrorKind::Conflict,
        "an existing credential id",
    )?;
    let twice = [
        credential("c3", "g", "b2", "c@x.org"),
        credential("c3", "g", "b2", "d@x.org"),
    ];
    fails_with(
        s.commit_import(&batch("b2", "g", "f2", 1), &twice, &[]),
        ErrorKind::Conflict,
        "an id twice in one import",
    )?;
    let ghost = [credential("c9", "g", "b2", "z@x.org")];
    fails_with(
        s.commit_import(&batch("b2", "g", "f2", 1), &fresh, &ghost),
        ErrorKind::NotFound,
        "replacing a missing credential",
    )?;
    same(
        ok(s.credentials(&CredentialQuery::default()), "credentials")?,
        before,
        "credentials after refused imports",
    )?;
    same(
        ok(s.batches(None), "batches")?.len(),
        1,
        "batches after refused imports",
    )?;

    let mut replaced = next(&credential("c2", "g", "b2", "b@x.org"));
    replaced.recipient.name = "Bo Replaced".to_owned();
    ok(
        s.commit_import(
            &batch("b2", "h", "f1", 2),
            &fresh,
            std::slice::from_ref(&replaced),
        ),
        "an import that replaces",
    )?;
    same(
        ok(s.credential("c2"), "credential")?,
        Some(replaced),
        "the replaced draft",
    )?;
    let all = ok(s.batches(None), "batches")?;
    same(
        all.iter().map(|b| b.id.as_str()).collect::<Vec<_>>(),
        vec!["b1", "b2"],
        "batches, oldest first",
    )?;
    same(
        ok(s.batches(Some("h")), "batches")?.len(),
        1,
        "one group's batches",
    )
}

fn credentials<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let c = [
        credential("c1", "g", "b1", "Ana@X.org"),
        credential("c2", "g", "b1", "bo@x.org"),
        credential("c3", "h", "b1", "ana@x.org"),
    ];
    ok(
        s.commit_import(&batch("b1", "g", "f1", 0), &c, &[]),
        "commit_import",
    )?;
    let d = [credential("c0", "g", "b2", "cy@x.org")];
    ok(
        s.commit_import(&batch("b2", "g", "f2", 1), &d, &[]),
        "commit_import",
    )?;
    let all = ok(s.credentials(&CredentialQuery::default()), "credentials")?;
    same(ids(&all), vec!["c1", "c2", "c3", "c0"], "insertion order")?;
    let q = |group: Option<&str>, batch: Option<&str>, email: Option<&str>| CredentialQuery {
        group: group.map(str::to_owned),
        batch: batch.map(str::to_owned),
        state: None,
        email: email.map(str::to_owned),
        ..CredentialQuery::default()
    };
    same(
        ids(&ok(s.credentials(&q(Some("g"), None, None)), "by group")?),
        vec!["c1", "c2", "c0"],
        "by group",
    )?;
    same(
        ids(&ok(s.credentials(&q(None, Some("b2"), None)), "by batch")?),
        vec!["c0"],
        "by batch",
    )?;
    same(
        ids(&ok(
            s.credentials(&q(Some("g"), None, Some(" ANA@x.org"))),
            "by email",
        )?),
        vec!["c1"],
        "by email without case",
    )?;
    pages(s)?;
    let mut amended = next(&credential("c2", "g", "b1", "bo@x.org"));
    amended.state = CredentialState::Published;
    ok(s.update_credential(&amended), "update_credential")?;
    same(
        ok(s.credential("c2"), "credential")?,
        Some(amended.clone()),
        "an updated credential",
    )?;
    // A version made from the one before (a stale read) is refused, and nothing changes.
    let mut stale = next(&credential("c2", "g", "b1", "bo@x.org"));
    stale.recipient.name = "Stale".to_owned();
    same(
        s.update_credential(&stale).map_err(|e| e.kind()),
        Err(ErrorKind::Conflict),
        "a write made from a stale version",
    )?;
    same(
        ok(s.credential("c2"), "credential")?,
        Some(amended),
        "the credential after a stale write",
    )?;
    let published = CredentialQuery {
        state: Some(CredentialState::Published),
        ..CredentialQuery::default()
    };
    same(
        ids(&ok(s.credentials(&published), "by state")?),
        vec!["c2"],
        "by state",
    )?;
    fails_with(
        s.update_credential(&credential("c9", "g", "b1", "x@x.org")),
        ErrorKind::NotFound,
        "updating a missing credential",
    )?;
    same(
        ok(s.credential("c9"), "credential")?,
        None,
        "a missing credential",
    )
}

fn deleting_drafts<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let first = [
        credential("d1", "g", "b1", "ana@x.org"),
        credential("d2", "g", "b1", "bo@x.org"),
        credential("p1", "g", "b1", "cy@x.org"),
    ];
    ok(
        s.commit_import(&batch("b1", "g", "f1", 0), &first, &[]),
        "commit_import",
    )?;
    let second = [credential("d3", "g", "b2", "di@x.org")];
    ok(
        s.commit_import(&batch("b2", "g", "f2", 1), &second, &[]),
        "commit_import",
    )?;
    let mut published = next(&credential("p1", "g", "b1", "cy@x.org"));
    published.state = CredentialState::Published;
    ok(
        s.commit_publish(std::slice::from_ref(&published), &[message("p1", 2)]),
        "commit_publish",
    )?;
    let names = |ids: &[&str]| ids.iter().map(|i| (*i).to_owned()).collect::<Vec<_>>();
    // Published, unknown and repeated ids are left out, not errors; the order is the caller's.
    let deleted = ok(
        s.delete_drafts(&names(&["d2", "p1", "nope", "d1", "d2"])),
        "delete_drafts",
    )?;
    same(deleted, names(&["d2", "d1"]), "the drafts deleted")?;
    same(
        ids(&ok(
            s.credentials(&CredentialQuery::default()),
            "credentials",
        )?),
        vec!["p1", "d3"],
        "what is left",
    )?;
    same(
        ok(s.credential("d1"), "credential")?,
        None,
        "a deleted draft",
    )?;
    ensure(ok(s.message("p1:issued"), "message")?.is_some(), || {
        "the published credential's message is kept".to_owned()
    })?;
    ensure(ok(s.batch("b1"), "batch")?.is_some(), || {
        "a batch with a credential left is kept".to_owned()
    })?;
    same(
        ok(s.delete_drafts(&names(&["d3"])), "delete_drafts")?,
        names(&["d3"]),
        "the last draft of a batch",
    )?;
    same(ok(s.batch("b2"), "batch")?, None, "an emptied batch")?;
    same(
        ok(s.batch_by_fingerprint("g", "f2"), "batch_by_fingerprint")?,
        None,
        "an emptied batch's file",
    )?;
    // The emptied batch's file can be imported again, and a deleted id is free again.
    ok(
        s.commit_import(
            &batch("b2", "g", "f2", 3),
            &[credential("d3", "g", "b2", "di@x.org")],
            &[],
        ),
        "importing an emptied batch's file again",
    )?;
    same(
        ok(s.delete_drafts(&[]), "delete_drafts")?,
        Vec::<String>::new(),
        "deleting nothing",
    )
}

fn fidelity<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let mut c = credential("Zz_9-x", "g", "b1", "jürgen@bücher.de");
    c.recipient.name = "Jürgen Groß \u{1F393} 'quoted' \"double\"".to_owned();
    c.expires_on = chrono::NaiveDate::from_ymd_opt(2028, 2, 29);
    c.reference = Some("CERT-0001".to_owned());
    c.attributes = serde_json::from_str(
        r#"{"grade": "Merit", "hours": 12.5, "modules": 8, "publish": true, "note": null, "long": "x"}"#,
    )
    .map_err(|e| e.to_string())?;
    c.history.push(HistoryEntry {
        at: t(5) + Duration::milliseconds(123),
        actor: "ed".to_owned(),
        event: EventKind::Amended,
        changes: vec![FieldChange {
            field: "hours".to_owned(),
            from: serde_json::json!(10),
            to: serde_json::json!(12.5),
        }],
        reason: Some("typo".to_owned()),
    });
    ok(
        s.commit_import(&batch("b1", "g", "f1", 0), std::slice::from_ref(&c), &[]),
        "commit_import",
    )?;
    same(
        ok(s.credential(&c.id), "credential")?,
        Some(c.clone()),
        "a credential with every kind of value",
    )?;
    let mut published = next(&c);
    published.state = CredentialState::Published;
    published.status_index = Some(1 << 40);
    let mut m = message(&c.id, 1);
    m.email.html = "<p>Grüße, <b>Jürgen</b> \u{1F393}</p>\r\n".to_owned();
    ok(
        s.commit_publish(std::slice::from_ref(&published), std::slice::from_ref(&m)),
        "commit_publish",
    )?;
    same(
        ok(s.credential(&c.id), "credential")?,
        Some(published),
        "a published credential with its status list index",
    )?;
    same(
        ok(s.message(&m.id), "message")?,
        Some(m),
        "a message with every field",
    )
}

fn status_indexes<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    same(ok(s.status_indexes(), "status_indexes")?, 0, "a new store")?;
    same(
        ok(s.allocate_status_indexes(0), "allocate 0")?,
        0,
        "reserving none on a new store",
    )?;
    same(
        ok(s.allocate_status_indexes(3), "allocate 3")?,
        0,
        "the first reservation",
    )?;
    same(
        ok(s.allocate_status_indexes(5000), "allocate 5000")?,
        3,
        "the next reservation",
    )?;
    same(
        ok(s.allocate_status_indexes(0), "allocate 0")?,
        5003,
        "reserving none after two reservations",
    )?;
    same(
        ok(s.status_indexes(), "status_indexes")?,
        5003,
        "the count after two reservations",
    )?;
    same(
        ok(s.allocate_status_indexes(1), "allocate 1")?,
        5003,
        "a reservation after reserving none",
    )?;
    same(ok(s.status_indexes(), "status_indexes")?, 5004, "the count")
}

/// Reading the list in pages (`after`, `limit`) and counting it, over the credentials
/// `credentials` stored: c1 and c2 (group `g`) and c3 (group `h`) of batch `b1`, then c0
/// (group `g`, batch `b2`).
fn pages<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let page = |after: Option<&str>, limit: Option<u64>| CredentialQuery {
        after: after.map(str::to_owned),
        limit,
        ..CredentialQuery::default()
    };
    same(
        ids(&ok(s.credentials(&page(None, Some(2))), "a first page")?),
        vec!["c1", "c2"],
        "the first page of two",
    )?;
    same(
        ids(&ok(
            s.credentials(&page(Some("c2"), Some(2))),
            "a next page",
        )?),
        vec!["c3", "c0"],
        "the page after c2",
    )?;
    same(
        ids(&ok(s.credentials(&page(Some("c0"), None)), "past the end")?),
        Vec::<&str>::new(),
        "the page after the last",
    )?;
    same(
        ids(&ok(
            s.credentials(&page(Some("nope"), None)),
            "an unknown id",
        )?),
        Vec::<&str>::new(),
        "the page after an unknown id",
    )?;
    // `after` need not match the filters: the page starts after it all the same.
    let in_group = CredentialQuery {
        group: Some("g".to_owned()),
        ..page(Some("c3"), Some(5))
    };
    same(
        ids(&ok(s.credentials(&in_group), "a filtered page")?),
        vec!["c0"],
        "the group's page after c3",
    )?;
    same(
        ok(s.count_credentials(&CredentialQuery::default()), "count")?,
        4,
        "the count of every credential",
    )?;
    same(
        ok(
            s.count_credentials(&CredentialQuery {
                group: Some("g".to_owned()),
                ..CredentialQuery::default()
            }),
            "count",
        )?,
        3,
        "the count of a group",
    )?;
    same(
        ok(s.count_credentials(&page(Some("c1"), Some(2))), "count")?,
        2,
        "the count of a page",
    )
}

fn publishing<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let c = [
        credential("c1", "g", "b1", "a@x.org"),
        credential("c2", "g", "b1", "b@x.org"),
    ];
    ok(
        s.commit_import(&batch("b1", "g", "f1", 0), &c, &[]),
        "commit_import",
    )?;
    let mut p1 = next(&c[0]);
    p1.state = CredentialState::Published;
    ok(
        s.commit_publish(std::slice::from_ref(&p1), &[message("c1", 1)]),
        "commit_publish",
    )?;
    same(
        ok(s.credential("c1"), "credential")?.map(|c| c.state),
        Some(CredentialState::Published),
        "a published credential",
    )?;
    let mut p2 = next(&c[1]);
    p2.state = CredentialState::Published;
    fails_with(
        s.commit_publish(
            &[next(&p1), p2.clone()],
            &[message("c1", 2), message("c2", 2)],
        ),
        ErrorKind::Conflict,
        "queueing a second message for a credential",
    )?;
    same(
        ok(s.credential("c2"), "credential")?.map(|c| c.state),
        Some(CredentialState::Draft),
        "a credential of a refused publish",
    )?;
    same(
        ok(s.message("c2:issued"), "message")?,
        None,
        "the message of a refused publish",
    )?;
    let ghost = credential("c9", "g", "b1", "z@x.org");
    fails_with(
        s.commit_publish(&[p2.clone(), ghost], &[message("c2", 2)]),
        ErrorKind::NotFound,
        "publishing a missing credential",
    )?;
    same(
        ok(s.message("c2:issued"), "message")?,
        None,
        "the message of a publish with a missing credential",
    )?;
    ok(
        s.commit_publish(std::slice::from_ref(&p2), &[message("c2", 2)]),
        "commit_publish",
    )?;
    same(
        ok(s.messages(&MessageQuery::default()), "messages")?.len(),
        2,
        "one message per credential",
    )
}

fn claiming<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let c = [
        credential("c1", "g", "b1", "a@x.org"),
        credential("c2", "g", "b1", "b@x.org"),
        credential("c3", "g", "b1", "c@x.org"),
    ];
    ok(
        s.commit_import(&batch("b1", "g", "f1", 0), &c, &[]),
        "commit_import",
    )?;
    let mut later = message("c1", 0);
    later.next_attempt_at = t(30);
    ok(
        s.commit_publish(
            &c.iter().map(next).collect::<Vec<_>>(),
            &[later, message("c3", 0), message("c2", 0)],
        ),
        "commit_publish",
    )?;
    let first = ok(s.claim_next(t(1), &lease("w1", 11)), "claim_next")?.ok_or("nothing claimed")?;
    same(
        (first.id.as_str(), first.state, first.attempts),
        ("c2:issued", DeliveryState::Sending, 1),
        "the first claim",
    )?;
    same(
        first.lease.clone(),
        Some(lease("w1", 11)),
        "the claim's lease",
    )?;
    same(first.last_attempt_at, Some(t(1)), "the claim's time")?;
    same(
        ok(s.message("c2:issued"), "message")?,
        Some(first),
        "a claim is stored",
    )?;
    let second =
        ok(s.claim_next(t(1), &lease("w1", 11)), "claim_next")?.ok_or("nothing claimed")?;
    same(second.id.as_str(), "c3:issued", "the second claim")?;
    same(
        ok(s.claim_next(t(1), &lease("w1", 11)), "claim_next")?,
        None,
        "a claim when only a later message is left",
    )?;
    let third =
        ok(s.claim_next(t(30), &lease("w2", 40)), "claim_next")?.ok_or("nothing claimed")?;
    same(
        third.id.as_str(),
        "c1:issued",
        "a claim once the later message is due",
    )?;
    same(
        ok(s.claim_next(t(999), &lease("w2", 1009)), "claim_next")?,
        None,
        "a claim when everything is sending",
    )
}

/// Stores credential `c1` published, with its email queued at minute 0.
fn one_published<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let c = credential("c1", "g", "b1", "a@x.org");
    ok(
        s.commit_import(&batch("b1", "g", "f1", 0), std::slice::from_ref(&c), &[]),
        "commit_import",
    )?;
    ok(
        s.commit_publish(&[next(&c)], &[message("c1", 0)]),
        "commit_publish",
    )
}

fn compare_and_set<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    one_published(s)?;
    let sending =
        ok(s.claim_next(t(1), &lease("w1", 11)), "claim_next")?.ok_or("nothing claimed")?;
    let outcome = SendOutcome::Sent {
        reply: "250 2.0.0 queued as ABC".to_owned(),
    };
    let sent = ok(
        sending.settle(&outcome, t(2), &crate::outbox::RetryPolicy::default()),
        "settle",
    )?;
    fails_with(
        s.update_message(&sent, DeliveryState::Pending),
        ErrorKind::Conflict,
        "an update from a stale state",
    )?;
    same(
        ok(s.message("c1:issued"), "message")?.map(|m| m.state),
        Some(DeliveryState::Sending),
        "a message after a refused update",
    )?;
    ok(
        s.update_message(&sent, DeliveryState::Sending),
        "update_message",
    )?;
    same(
        ok(s.message("c1:issued"), "message")?,
        Some(sent.clone()),
        "a settled message",
    )?;
    fails_with(
        s.update_message(&sent, DeliveryState::Sending),
        ErrorKind::Conflict,
        "settling twice",
    )?;
    fails_with(
        s.update_message(&message("c9", 0), DeliveryState::Pending),
        ErrorKind::NotFound,
        "updating a missing message",
    )?;
    let sent_only = MessageQuery {
        credentials: Some(vec!["c1".to_owned(), "c7".to_owned()]),
        state: Some(DeliveryState::Sent),
    };
    same(
        ok(s.messages(&sent_only), "messages")?.len(),
        1,
        "messages by credential and state",
    )
}

fn fenced_by_attempts<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    one_published(s)?;
    // Worker 1 claims, its lease runs out, the message is recovered as unknown, resent and
    // claimed by worker 2: worker 1's late outcome must not land on worker 2's attempt.
    let first = ok(s.claim_next(t(1), &lease("w1", 2)), "claim_next")?.ok_or("nothing claimed")?;
    let recovered = ok(first.interrupted(), "interrupted")?;
    ok(
        s.update_message(&recovered, DeliveryState::Sending),
        "update_message",
    )?;
    ok(
        s.update_message(
            &ok(recovered.resend(t(3)), "resend")?,
            DeliveryState::Unknown,
        ),
        "update_message",
    )?;
    let second =
        ok(s.claim_next(t(3), &lease("w2", 13)), "claim_next")?.ok_or("nothing claimed")?;
    same(second.attempts, 2, "the second claim's attempt")?;
    let late = ok(
        first.settle(
            &SendOutcome::Sent {
                reply: "250 late".to_owned(),
            },
            t(4),
            &crate::outbox::RetryPolicy::default(),
        ),
        "settle",
    )?;
    fails_with(
        s.update_message(&late, DeliveryState::Sending),
        ErrorKind::Conflict,
        "an outcome settled under an earlier claim",
    )?;
    fails_with(
        s.update_messages(&[(late, DeliveryState::Sending)]),
        ErrorKind::Conflict,
        "an outcome settled under an earlier claim, in a set",
    )?;
    same(
        ok(s.message("c1:issued"), "message")?,
        Some(second.clone()),
        "the second claim after the late outcome",
    )?;
    let counts = ok(s.status(), "status")?;
    same(
        counts.leases,
        vec![super::LeaseHolder {
            worker: "w2".to_owned(),
            messages: 1,
            until: t(13),
        }],
        "who holds leases",
    )?;
    same(
        counts.oldest.get("sending").copied(),
        Some(t(0)),
        "the oldest sending message",
    )?;
    same(counts.set_aside, 0, "messages set aside")
}

fn several_messages<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let c = [
        credential("c1", "g", "b1", "a@x.org"),
        credential("c2", "g", "b1", "b@x.org"),
    ];
    ok(
        s.commit_import(&batch("b1", "g", "f1", 0), &c, &[]),
        "commit_import",
    )?;
    ok(
        s.commit_publish(
            &c.iter().map(next).collect::<Vec<_>>(),
            &[message("c1", 0), message("c2", 0)],
        ),
        "commit_publish",
    )?;
    let later = |m: OutboxMessage| OutboxMessage {
        next_attempt_at: t(60),
        ..m
    };
    let (m1, m2) = (later(message("c1", 0)), later(message("c2", 0)));
    // The second change is stale: the first must not be written either.
    fails_with(
        s.update_messages(&[
            (m1.clone(), DeliveryState::Pending),
            (m2.clone(), DeliveryState::Sent),
        ]),
        ErrorKind::Conflict,
        "a set of changes with a stale one",
    )?;
    same(
        ok(s.message("c1:issued"), "message")?,
        Some(message("c1", 0)),
        "a message whose change was refused with another's",
    )?;
    fails_with(
        s.update_messages(&[
            (m1.clone(), DeliveryState::Pending),
            (later(message("c9", 0)), DeliveryState::Pending),
        ]),
        ErrorKind::NotFound,
        "a set of changes with a missing message",
    )?;
    same(
        ok(s.message("c1:issued"), "message")?,
        Some(message("c1", 0)),
        "a message whose change was refused with a missing one's",
    )?;
    ok(
        s.update_messages(&[
            (m1.clone(), DeliveryState::Pending),
            (m2.clone(), DeliveryState::Pending),
        ]),
        "update_messages",
    )?;
    same(
        (
            ok(s.message("c1:issued"), "message")?,
            ok(s.message("c2:issued"), "message")?,
        ),
        (Some(m1), Some(m2)),
        "messages changed together",
    )
}

fn status<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let empty = ok(s.status(), "status")?;
    same(
        empty,
        super::StatusCounts::zeroed(),
        "the counts of an empty store",
    )?;
    let c = [
        credential("c1", "g", "b1", "a@x.org"),
        credential("c2", "g", "b1", "b@x.org"),
    ];
    ok(
        s.commit_import(&batch("b1", "g", "f1", 0), &c, &[]),
        "commit_import",
    )?;
    let mut p = next(&c[0]);
    p.state = CredentialState::Published;
    ok(
        s.commit_publish(&[p], &[message("c1", 0)]),
        "commit_publish",
    )?;
    let counts = ok(s.status(), "status")?;
    same(counts.credentials.get("draft").copied(), Some(1), "drafts")?;
    same(
        counts.credentials.get("published").copied(),
        Some(1),
        "published",
    )?;
    same(
        counts.credentials.get("revoked").copied(),
        Some(0),
        "revoked",
    )?;
    same(
        counts.deliveries.get("pending").copied(),
        Some(1),
        "pending",
    )?;
    same(
        counts.deliveries.get("unknown").copied(),
        Some(0),
        "unknown",
    )?;
    same(
        counts.oldest.keys().map(String::as_str).collect::<Vec<_>>(),
        vec!["pending"],
        "the states with an oldest message",
    )?;
    same(
        counts.oldest.get("pending").copied(),
        Some(t(0)),
        "the oldest pending message",
    )?;
    same(counts.leases.len(), 0, "leases when nothing is sending")
}

fn events<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    use crate::events::{Event, EventKind, EventQuery, count_events};
    let event =
        |kind: EventKind, credential: &str, batch: &str, minutes: i64, visitor: Option<&str>| {
            Event {
                at: t(minutes),
                kind,
                credential: credential.to_owned(),
                group: if batch == "b3" { "h" } else { "g" }.to_owned(),
                batch: batch.to_owned(),
                visitor: visitor.map(str::to_owned),
                detail: (kind == EventKind::Downloaded).then(|| "pdf".to_owned()),
            }
        };
    let day = 24 * 60;
    let first = vec![
        event(EventKind::Published, "a", "b1", 0, None),
        event(EventKind::Published, "b", "b1", 0, None),
        event(EventKind::Published, "c", "b3", 1, None),
        event(EventKind::Viewed, "a", "b1", day, Some("v1")),
        event(EventKind::Viewed, "a", "b1", day + 30, Some("v1")),
        event(EventKind::Viewed, "a", "b1", day + 60, Some("v2")),
        event(EventKind::Downloaded, "a", "b1", day + 61, None),
        event(EventKind::Downloaded, "a", "b1", day + 62, None),
    ];
    same(
        ok(s.record_events(&first), "record_events")?,
        7,
        "events kept of eight, one a repeat visit",
    )?;
    let second = vec![
        // The same visitor the same day, in a later call: left out.
        event(EventKind::Viewed, "a", "b1", day + 120, Some("v1")),
        // The next day: kept.
        event(EventKind::Viewed, "a", "b1", 2 * day, Some("v1")),
        // Another kind by the same visitor: kept.
        event(EventKind::Shared, "a", "b1", 2 * day, Some("v1")),
    ];
    same(
        ok(s.record_events(&second), "record_events")?,
        2,
        "events kept of a later call",
    )?;
    same(ok(s.record_events(&[]), "record_events")?, 0, "no events")?;
    let kept: Vec<Event> = first
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 4)
        .map(|(_, e)| e.clone())
        .chain(second.into_iter().skip(1))
        .collect();
    let since = t(0).date_naive().succ_opt();
    for query in [
        EventQuery::default(),
        EventQuery {
            group: Some("g".into()),
            ..EventQuery::default()
        },
        EventQuery {
            batch: Some("b3".into()),
            ..EventQuery::default()
        },
        EventQuery {
            since,
            ..EventQuery::default()
        },
        EventQuery {
            group: Some("nothing".into()),
            ..EventQuery::default()
        },
    ] {
        for daily in [false, true] {
            same(
                ok(s.event_counts(&query, daily), "event_counts")?,
                count_events(&kept, &query, daily),
                &format!("the counts of {query:?}, daily {daily}"),
            )?;
        }
    }
    let asked = ["a".to_owned(), "b".to_owned(), "z".to_owned()];
    same(
        ok(
            s.credentials_with_event(EventKind::Viewed, &asked),
            "credentials_with_event",
        )?,
        std::collections::BTreeSet::from(["a".to_owned()]),
        "the credentials of `a`, `b` and `z` that were viewed",
    )?;
    same(
        ok(
            s.credentials_with_event(EventKind::Published, &asked),
            "credentials_with_event",
        )?,
        std::collections::BTreeSet::from(["a".to_owned(), "b".to_owned()]),
        "the credentials of `a`, `b` and `z` that were published",
    )?;
    same(
        ok(
            s.credentials_with_event(EventKind::Revoked, &asked),
            "credentials_with_event",
        )?
        .len(),
        0,
        "credentials revoked",
    )
}

fn follow_ups<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    let c = [
        credential("c1", "g", "b1", "a@x.org"),
        credential("c2", "g", "b1", "b@x.org"),
    ];
    ok(
        s.commit_import(&batch("b1", "g", "f1", 0), &c, &[]),
        "commit_import",
    )?;
    let published: Vec<Credential> = c.iter().map(next).collect();
    ok(
        s.commit_publish(&published, &[message("c1", 0), message("c2", 0)]),
        "commit_publish",
    )?;
    let notice = |credential: &str, kind: MessageKind, at: i64| {
        let issued = message(credential, at);
        OutboxMessage::queue(credential, kind, issued.email, "example.org", t(at))
    };
    same(
        ok(
            s.queue_messages(&[
                notice("c1", MessageKind::Expiring, 5),
                notice("c2", MessageKind::Expiring, 5),
                // An `issued` message is there already: left out.
                notice("c1", MessageKind::Issued, 5),
            ]),
            "queue_messages",
        )?,
        vec!["c1:expiring".to_owned(), "c2:expiring".to_owned()],
        "the ids of the messages added",
    )?;
    // A claimed (sending) one is not replaced by a second run of the same scheduler.
    let claimed =
        ok(s.claim_next(t(10), &lease("w1", 20)), "claim_next")?.ok_or("nothing to claim")?;
    same(
        ok(
            s.queue_messages(&[
                notice("c1", MessageKind::Expiring, 11),
                notice("c2", MessageKind::Expiring, 11),
                notice("c1", MessageKind::Reminder1, 11),
            ]),
            "queue_messages",
        )?,
        vec!["c1:reminder_1".to_owned()],
        "the ids of the messages added again",
    )?;
    same(
        ok(s.message(&claimed.id), "message")?.map(|m| (m.state, m.attempts)),
        Some((DeliveryState::Sending, 1)),
        "the claimed message after a second run",
    )?;
    same(
        ok(s.message("c2:expiring"), "message")?.map(|m| (m.kind, m.queued_at)),
        Some((MessageKind::Expiring, t(5))),
        "a notice queued by the first run",
    )?;
    same(
        ok(s.queue_messages(&[]), "queue_messages")?.len(),
        0,
        "nothing queued",
    )?;
    same(
        ok(s.messages(&MessageQuery::default()), "messages")?.len(),
        5,
        "two issued, two expiring and one reminder",
    )
}

fn suppression(
    email: &str,
    reason: SuppressionReason,
    at: i64,
    detail: Option<&str>,
) -> Suppression {
    Suppression {
        email: email.to_owned(),
        reason,
        at: t(at),
        detail: detail.map(str::to_owned),
    }
}

fn suppressions<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    same(
        ok(s.suppressions(), "suppressions")?,
        vec![],
        "an empty list",
    )?;
    same(
        ok(s.suppression("ana@example.org"), "suppression")?,
        None,
        "an address not listed",
    )?;
    let ana = suppression(
        "Ana.Lopez@Example.org",
        SuppressionReason::HardBounce,
        1,
        Some("5.1.1 user unknown \u{e9}'\"\n"),
    );
    same(
        ok(s.suppress(&ana), "suppress")?,
        true,
        "a first suppression",
    )?;
    let again = suppression(
        "  ana.lopez@example.ORG ",
        SuppressionReason::Complaint,
        2,
        None,
    );
    same(
        ok(s.suppress(&again), "suppress")?,
        false,
        "the same address in other case",
    )?;
    same(
        ok(s.suppression("ANA.LOPEZ@EXAMPLE.ORG"), "suppression")?,
        Some(ana.clone()),
        "the first entry, kept unchanged",
    )?;
    let bo = suppression("bo@example.org", SuppressionReason::Manual, 3, None);
    let al = suppression(
        "al@example.org",
        SuppressionReason::Complaint,
        4,
        Some("abuse"),
    );
    ok(s.suppress(&bo), "suppress")?;
    ok(s.suppress(&al), "suppress")?;
    same(
        ok(s.suppressions(), "suppressions")?,
        vec![al.clone(), ana.clone(), bo.clone()],
        "the list by address",
    )?;
    same(
        ok(s.unsuppress("BO@example.org"), "unsuppress")?,
        true,
        "removing a listed address",
    )?;
    same(
        ok(s.unsuppress("bo@example.org"), "unsuppress")?,
        false,
        "removing it again",
    )?;
    same(
        ok(s.suppressions(), "suppressions")?,
        vec![al, ana],
        "the list after a removal",
    )?;
    same(
        ok(s.suppress(&bo), "suppress")?,
        true,
        "an address listed again after its removal",
    )
}

fn bounced_messages<S: Storage>(s: &mut S) -> std::result::Result<(), String> {
    one_published(s)?;
    let sending =
        ok(s.claim_next(t(1), &lease("w1", 11)), "claim_next")?.ok_or("nothing claimed")?;
    let sent = ok(
        sending.settle(
            &SendOutcome::Sent {
                reply: "250 ok".to_owned(),
            },
            t(2),
            &crate::outbox::RetryPolicy::default(),
        ),
        "settle",
    )?;
    ok(
        s.update_message(&sent, DeliveryState::Sending),
        "update_message",
    )?;
    let noted = ok(sent.noted("soft bounce: 4.2.2 mailbox full"), "noted")?;
    ok(
        s.update_message(&noted, DeliveryState::Sent),
        "update_message",
    )?;
    same(
        ok(s.message("c1:issued"), "message")?,
        Some(noted.clone()),
        "a message with a note and the same state",
    )?;
    let bounced = ok(noted.bounce("bounced: 5.1.1 user unknown"), "bounce")?;
    ok(
        s.update_message(&bounced, DeliveryState::Sent),
        "update_message",
    )?;
    same(
        ok(s.message("c1:issued"), "message")?,
        Some(bounced.clone()),
        "a bounced message",
    )?;
    fails_with(
        s.update_message(&bounced, DeliveryState::Sent),
        ErrorKind::Conflict,
        "bouncing twice from a stale read",
    )?;
    same(
        ok(
            s.messages(&MessageQuery {
                credentials: None,
                state: Some(DeliveryState::Bounced),
            }),
            "messages",
        )?
        .len(),
        1,
        "bounced messages listed by state",
    )?;
    let counts = ok(s.status(), "status")?;
    same(
        counts.deliveries.get("bounced").copied(),
        Some(1),
        "bounced in the counts",
    )?;
    same(
        counts.deliveries.get("sent").copied(),
        Some(0),
        "sent after the bounce",
    )
}
