//! Large imports and publishes take the bulk path (their new rows written by one `COPY`),
//! and it refuses exactly what the row-by-row one did: a credential or message stored
//! already, or given twice, stops the whole write with a conflict naming it and writes
//! nothing, and the connection goes on working. A large import leaves the planner knowing
//! of its drafts, so that a publish reads them a page at a time in order.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

mod common;

use common::{admin, fresh_options, t0, url};
use conferral::ErrorKind;
use conferral::lifecycle::{Credential, CredentialState};
use conferral::outbox::{MessageKind, OutboxMessage};
use conferral::render::RenderedEmail;
use conferral::storage::{CredentialQuery, MessageQuery, Storage};
use conferral_postgres::PostgresStorage;

/// More than one statement's worth of rows (2,000), fewer than a publish chunk (5,000).
const DRAFTS: usize = 4_500;

/// The drafts of `store` published, with one message each.
fn published(store: &PostgresStorage) -> (Vec<Credential>, Vec<OutboxMessage>) {
    let drafts = store.credentials(&CredentialQuery::default()).unwrap();
    let credentials: Vec<Credential> = drafts
        .iter()
        .map(|c| c.publish("ed", t0()).unwrap().credential)
        .collect();
    let messages = credentials
        .iter()
        .map(|c| {
            OutboxMessage::queue(
                &c.id,
                MessageKind::Issued,
                RenderedEmail {
                    to_name: c.recipient.name.clone(),
                    to_email: c.recipient.email.clone(),
                    subject: "Yours".into(),
                    html: "<p>Hello</p>".into(),
                    text: "Hello".into(),
                },
                "example.org",
                t0(),
            )
        })
        .collect();
    (credentials, messages)
}

fn drafts(store: &PostgresStorage) -> u64 {
    store
        .count_credentials(&CredentialQuery {
            state: Some(CredentialState::Draft),
            ..CredentialQuery::default()
        })
        .unwrap()
}

fn queued(store: &PostgresStorage) -> usize {
    store.messages(&MessageQuery::default()).unwrap().len()
}

#[test]
fn a_message_queued_already_or_twice_stops_a_large_publish_and_is_named() {
    let options = fresh_options("bulkpub");
    let store = PostgresStorage::connect_with(&url(), &options).unwrap();
    let (mut store, _) = common::import(store, DRAFTS, false);
    let (credentials, messages) = published(&store);
    // One credential in the middle (past the first statement's rows) is published first.
    let early = 3_000;
    store
        .commit_publish(&credentials[early..=early], &messages[early..=early])
        .unwrap();
    let mut others = credentials.clone();
    others.remove(early);

    // Its message again, among all the others.
    let e = store.commit_publish(&others, &messages).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(
        e.to_string().contains(&format!(
            "message `{}` is queued already",
            messages[early].id
        )),
        "{e}"
    );
    assert_eq!((drafts(&store), queued(&store)), (DRAFTS as u64 - 1, 1));

    // Another id for a credential and kind that have a message already.
    let mut renamed = messages.clone();
    renamed.remove(early);
    let mut other_id = messages[early].clone();
    other_id.id = "another".into();
    renamed.push(other_id);
    let e = store.commit_publish(&others, &renamed).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(
        e.to_string()
            .contains("message `another` is queued already"),
        "{e}"
    );
    assert_eq!((drafts(&store), queued(&store)), (DRAFTS as u64 - 1, 1));

    // One message given twice in one publish.
    let mut twice = messages.clone();
    twice.remove(early);
    twice.push(twice[10].clone());
    let e = store.commit_publish(&others, &twice).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(
        e.to_string()
            .contains(&format!("message `{}` is queued already", twice[10].id)),
        "{e}"
    );
    assert_eq!((drafts(&store), queued(&store)), (DRAFTS as u64 - 1, 1));

    // The same connection then publishes the rest, each once.
    let pid = store.backend_pid().unwrap();
    let mut rest = messages.clone();
    rest.remove(early);
    store.commit_publish(&others, &rest).unwrap();
    assert_eq!(store.backend_pid().unwrap(), pid);
    assert_eq!((drafts(&store), queued(&store)), (0, DRAFTS));
    let stored = store.message(&rest[DRAFTS - 2].id).unwrap();
    assert_eq!(stored.as_ref(), Some(&rest[DRAFTS - 2]));
}

#[test]
fn a_credential_stored_already_or_twice_stops_a_large_import_and_is_named() {
    let options = fresh_options("bulkimport");
    let store = PostgresStorage::connect_with(&url(), &options).unwrap();
    let (mut store, ids) = common::import(store, DRAFTS, false);
    let stored = store.credentials(&CredentialQuery::default()).unwrap();
    let batch = conferral::storage::Batch {
        id: "again".into(),
        group: stored[0].group.clone(),
        fingerprint: "again".into(),
        file_name: None,
        created_at: t0(),
        actor: "ed".into(),
        rows: DRAFTS as u64,
        created: DRAFTS as u64,
        replaced: 0,
        rejected: 0,
    };
    let renamed: Vec<Credential> = stored
        .iter()
        .map(|c| Credential {
            id: format!("new-{}", c.id),
            batch: "again".into(),
            ..c.clone()
        })
        .collect();
    let count = |store: &PostgresStorage| {
        store
            .count_credentials(&CredentialQuery::default())
            .unwrap()
    };

    // One id, past the first statement's rows, is stored already.
    let mut clash = renamed.clone();
    clash[2_500].id = ids[7].clone();
    let e = store.commit_import(&batch, &clash, &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(
        e.to_string()
            .contains(&format!("credential `{}` exists already", ids[7])),
        "{e}"
    );
    assert_eq!(count(&store), DRAFTS as u64);
    assert_eq!(store.batch("again").unwrap(), None);

    // One id comes twice.
    let mut twice = renamed.clone();
    twice[4_000].id = twice[3_999].id.clone();
    let e = store.commit_import(&batch, &twice, &[]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(
        e.to_string()
            .contains(&format!("credential `{}` exists already", twice[3_999].id)),
        "{e}"
    );
    assert_eq!(count(&store), DRAFTS as u64);

    // Then the import goes in, in its order.
    store.commit_import(&batch, &renamed, &[]).unwrap();
    let listed = store
        .credentials(&CredentialQuery {
            batch: Some("again".into()),
            ..CredentialQuery::default()
        })
        .unwrap();
    assert_eq!(listed, renamed);
}

#[test]
fn a_large_import_leaves_the_planner_knowing_its_drafts() {
    let options = fresh_options("analyzed");
    let store = PostgresStorage::connect_with(&url(), &options).unwrap();
    let schema = options.schema.clone().unwrap();
    let state_stats = || {
        admin()
            .query_opt(
                "SELECT most_common_vals::text FROM pg_stats
                 WHERE schemaname = $1 AND tablename = 'credentials' AND attname = 'state'",
                &[&schema],
            )
            .unwrap()
            .and_then(|row| row.get::<_, Option<String>>(0))
    };
    let (store, _) = common::import(store, conferral::issuer::PUBLISH_CHUNK, false);
    assert_eq!(state_stats().as_deref(), Some("{draft}"));
    drop(store);
}
