//! Writers racing on separate connections: the conditions of the contract hold under
//! concurrency (exactly one of several conditional writes made from the same version wins),
//! overlapping writes in opposite orders never deadlock, and stores connecting to a new
//! schema at once migrate it once.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

mod common;

use std::sync::Barrier;

use common::{fresh_options, t0, url};
use conferral::ErrorKind;
use conferral::lifecycle::Credential;
use conferral::outbox::{DeliveryState, Lease, MessageKind, OutboxMessage, SendOutcome};
use conferral::render::RenderedEmail;
use conferral::storage::{CredentialQuery, MessageQuery, Storage};
use conferral_postgres::{Options, PostgresStorage, SCHEMA_VERSION};

/// Runs `f` on `n` threads, each with its own store, started together; their results.
fn race<T: Send>(
    options: &Options,
    n: usize,
    f: impl Fn(usize, &mut PostgresStorage) -> T + Sync,
) -> Vec<T> {
    let start = Barrier::new(n);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..n)
            .map(|i| {
                let (f, start) = (&f, &start);
                scope.spawn(move || {
                    let mut store = PostgresStorage::connect_with(&url(), options).unwrap();
                    start.wait();
                    f(i, &mut store)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// How many results are `Ok`, and that every other is a conflict.
fn one_winner<T>(results: &[conferral::Result<T>]) -> usize {
    for r in results {
        if let Err(e) = r {
            assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
        }
    }
    results.iter().filter(|r| r.is_ok()).count()
}

#[test]
fn of_edits_made_from_one_version_exactly_one_is_written() {
    let options = fresh_options("edits");
    let store = PostgresStorage::connect_with(&url(), &options).unwrap();
    let (store, ids) = common::import(store, 1, false);
    let read = store.credential(&ids[0]).unwrap().unwrap();
    let results = race(&options, 6, |i, store| {
        let mut next = read.publish("ed", t0()).unwrap().credential;
        next.recipient.name = format!("Writer {i}");
        store.update_credential(&next).map(|()| i)
    });
    assert_eq!(one_winner(&results), 1, "{results:?}");
    let winner = results.iter().find_map(|r| r.as_ref().ok()).unwrap();
    let stored = store.credential(&ids[0]).unwrap().unwrap();
    assert_eq!(stored.recipient.name, format!("Writer {winner}"));
    assert_eq!(stored.history.len(), read.history.len() + 1);
}

#[test]
fn of_outcomes_settled_under_one_claim_exactly_one_is_written() {
    let options = fresh_options("settles");
    let store = PostgresStorage::connect_with(&url(), &options).unwrap();
    let (mut store, _) = common::import(store, 1, true);
    let lease = Lease {
        worker: "w1".into(),
        until: t0() + chrono::Duration::minutes(10),
    };
    let claimed = store.claim_next(t0(), &lease).unwrap().unwrap();
    let results = race(&options, 6, |i, store| {
        let outcome = SendOutcome::Sent {
            reply: format!("250 from settle {i}"),
        };
        let settled = claimed
            .settle(&outcome, t0(), &conferral::outbox::RetryPolicy::default())
            .unwrap();
        store.update_message(&settled, DeliveryState::Sending)
    });
    assert_eq!(one_winner(&results), 1);
    let stored = store.message(&claimed.id).unwrap().unwrap();
    assert_eq!((stored.state, stored.attempts), (DeliveryState::Sent, 1));
}

#[test]
fn publishes_of_the_same_drafts_in_opposite_orders_never_deadlock() {
    for round in 0..3 {
        let options = fresh_options("orders");
        let store = PostgresStorage::connect_with(&url(), &options).unwrap();
        let (store, _) = common::import(store, 300, false);
        let drafts = store.credentials(&CredentialQuery::default()).unwrap();
        let published: Vec<Credential> = drafts
            .iter()
            .map(|c| c.publish("ed", t0()).unwrap().credential)
            .collect();
        let messages: Vec<OutboxMessage> = published
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
        let results = race(&options, 2, |i, store| {
            if i == 0 {
                store.commit_publish(&published, &messages)
            } else {
                let c: Vec<Credential> = published.iter().rev().cloned().collect();
                let m: Vec<OutboxMessage> = messages.iter().rev().cloned().collect();
                store.commit_publish(&c, &m)
            }
        });
        assert_eq!(one_winner(&results), 1, "round {round}: {results:?}");
        assert_eq!(store.messages(&MessageQuery::default()).unwrap().len(), 300);
    }
}

#[test]
fn stores_connecting_to_a_new_schema_at_once_migrate_it_once() {
    let options = fresh_options("migrate");
    let versions = race(&options, 6, |_, store| store.schema_version().unwrap());
    assert_eq!(versions, vec![SCHEMA_VERSION; 6]);
    let rows: i64 = common::admin()
        .query_one(
            &format!(
                "SELECT count(*) FROM {}.conferral_schema",
                options.schema.unwrap()
            ),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(rows, 1);
}
