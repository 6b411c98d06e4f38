//! The storage contract on PostgreSQL, and what a connection must survive: a terminated
//! backend while idle (the next call connects again) and in the middle of a transaction
//! (nothing of it is written, and the caller is told).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{admin, fresh_options, fresh_store, t0, url};
use conferral::ErrorKind;
use conferral::issuer::{Issuer, Selection};
use conferral::outbox::{DeliveryState, Lease};
use conferral::storage::{CredentialQuery, MessageQuery, Storage};
use conferral_postgres::{Options, PostgresPool, PostgresStorage, SCHEMA_VERSION};

#[test]
fn postgres_conforms() {
    if let Err(f) = conferral::storage::conformance::run(|| fresh_store("conf")) {
        panic!("{f}");
    }
}

#[test]
fn stores_from_a_pool_conform() {
    if let Err(f) = conferral::storage::conformance::run(|| {
        PostgresPool::new(&url(), &fresh_options("pool").pool_size(2))
            .unwrap()
            .store()
    }) {
        panic!("{f}");
    }
}

#[test]
fn a_store_connected_again_keeps_everything_and_its_schema_version() {
    let options = fresh_options("reopen");
    {
        let mut s = PostgresStorage::connect_with(&url(), &options).unwrap();
        s.put_group(&conferral::Group {
            name: "Kept".into(),
            ..conferral::Group::default()
        })
        .unwrap();
    }
    let s = PostgresStorage::connect_with(&url(), &options).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
    assert!(s.group("kept").unwrap().is_some());
}

#[test]
fn a_newer_schema_is_refused() {
    let options = fresh_options("newer");
    drop(PostgresStorage::connect_with(&url(), &options).unwrap());
    let schema = options.schema.clone().unwrap();
    admin()
        .batch_execute(&format!(
            "UPDATE {schema}.conferral_schema SET version = 99"
        ))
        .unwrap();
    let e = PostgresStorage::connect_with(&url(), &options).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(e.to_string().contains("newer"), "{e}");
    assert!(e.to_string().contains("99"), "{e}");
}

#[test]
fn bad_urls_tls_and_unreachable_servers_are_clear_storage_errors() {
    let refused = |url: &str, options: &Options, words: &str| {
        let e = PostgresStorage::connect_with(url, options).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
        assert!(e.to_string().contains(words), "{url}: {e}");
    };
    let quick = Options::default().reconnect_within(std::time::Duration::from_millis(300));
    refused(
        "postgres://x@127.0.0.1:1/none",
        &quick,
        "could not be reached",
    );
    refused("postgres://127.0.0.1/db?frobnicate=1", &quick, "URL");
    refused(
        "postgres://x@127.0.0.1/db?sslmode=require",
        &quick,
        "without TLS",
    );
    refused(
        &url(),
        &quick.clone().schema("Bad Name"),
        "plain lower-case",
    );
    // A password never shows in a message.
    let e =
        PostgresStorage::connect_with("postgres://x:hunter2@127.0.0.1:1/none", &quick).unwrap_err();
    assert!(!format!("{e} {e:?}").contains("hunter2"), "{e}");
}

#[test]
fn a_damaged_message_is_set_aside_and_the_next_one_claimed() {
    let options = fresh_options("damaged");
    let store = PostgresStorage::connect_with(&url(), &options).unwrap();
    let (mut store, ids) = common::import(store, 3, true);
    let schema = options.schema.unwrap();
    admin()
        .execute(
            &format!("UPDATE {schema}.outbox SET body = 'not json' WHERE credential = $1"),
            &[&ids[0]],
        )
        .unwrap();
    let lease = Lease {
        worker: "w1".into(),
        until: t0() + chrono::Duration::minutes(10),
    };
    let claimed = store.claim_next(t0(), &lease).unwrap().unwrap();
    assert_eq!(claimed.credential, ids[1]);
    let status = store.status().unwrap();
    assert_eq!(status.set_aside, 1);
    assert_eq!(status.deliveries["pending"], 1);
    assert_eq!(store.messages(&MessageQuery::default()).unwrap().len(), 2);
}

/// Ends the backend serving `pid` and waits until it is gone.
fn terminate(pid: i32) {
    let ended: bool = admin()
        .query_one("SELECT pg_terminate_backend($1, 10000)", &[&pid])
        .unwrap()
        .get(0);
    assert!(ended, "backend {pid} was not ended");
}

#[test]
fn a_connection_lost_between_calls_is_made_again_by_the_next_call() {
    let mut store = fresh_store("idle");
    let first = store.backend_pid().unwrap();
    terminate(first);
    // A read, then a write: each finds the connection gone and runs on a new one.
    assert_eq!(store.status().unwrap().credentials["draft"], 0);
    let second = store.backend_pid().unwrap();
    assert_ne!(first, second);
    terminate(second);
    store
        .put_group(&conferral::Group {
            name: "After".into(),
            ..conferral::Group::default()
        })
        .unwrap();
    assert!(store.group("after").unwrap().is_some());
}

/// A store whose next commit finds its connection ended while the transaction is open.
fn killed_at_next_commit(options: &Options) -> (PostgresStorage, Arc<AtomicBool>) {
    let mut store = PostgresStorage::connect_with(&url(), options).unwrap();
    let armed = Arc::new(AtomicBool::new(false));
    let pid = store.backend_pid().unwrap();
    let trigger = Arc::clone(&armed);
    store.on_commit(move || {
        if trigger.swap(false, Ordering::SeqCst) {
            terminate(pid);
        }
        false
    });
    (store, armed)
}

#[test]
fn a_publish_whose_connection_dies_before_its_commit_writes_nothing_and_can_be_run_again() {
    let options = fresh_options("killpub");
    let (store, armed) = killed_at_next_commit(&options);
    let (store, ids) = common::import(store, 40, false);
    let mut issuer = Issuer::new(store, common::issuer_config()).unwrap();
    armed.store(true, Ordering::SeqCst);
    let e = issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    assert!(e.to_string().contains("may or may not"), "{e}");

    let other = PostgresStorage::connect_with(&url(), &options).unwrap();
    assert_eq!(other.messages(&MessageQuery::default()).unwrap().len(), 0);
    let drafts = CredentialQuery {
        state: Some(conferral::lifecycle::CredentialState::Draft),
        ..CredentialQuery::default()
    };
    assert_eq!(other.count_credentials(&drafts).unwrap(), 40);

    // The same store connects again, and the publish run again publishes each once.
    let out = issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .unwrap();
    assert_eq!(out.published.len(), 40);
    assert_eq!(other.messages(&MessageQuery::default()).unwrap().len(), 40);
    assert_eq!(other.count_credentials(&drafts).unwrap(), 0);
    assert_eq!(ids.len(), 40);
}

#[test]
fn a_claim_whose_connection_dies_before_its_commit_claims_nothing() {
    let options = fresh_options("killclaim");
    let (store, armed) = killed_at_next_commit(&options);
    let (mut store, ids) = common::import(store, 2, true);
    let lease = Lease {
        worker: "w1".into(),
        until: t0() + chrono::Duration::minutes(10),
    };
    armed.store(true, Ordering::SeqCst);
    let e = store.claim_next(t0(), &lease).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");

    let other = PostgresStorage::connect_with(&url(), &options).unwrap();
    let first = other
        .message(&format!("{}:issued", ids[0]))
        .unwrap()
        .unwrap();
    assert_eq!((first.state, first.attempts), (DeliveryState::Pending, 0));
    assert_eq!(other.status().unwrap().leases, vec![]);

    let claimed = store.claim_next(t0(), &lease).unwrap().unwrap();
    assert_eq!(
        (claimed.id.as_str(), claimed.attempts),
        (first.id.as_str(), 1)
    );
}

#[test]
fn a_commit_turned_into_a_rollback_by_the_hook_writes_nothing() {
    let mut store = fresh_store("hook");
    store.on_commit(|| true);
    let e = store
        .put_group(&conferral::Group {
            name: "Never".into(),
            ..conferral::Group::default()
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(store.group("never").unwrap().is_none());
}
