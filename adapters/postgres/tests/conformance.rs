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
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

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
fn a_schema_1_database_is_migrated_to_half_full_credential_pages_keeping_its_rows() {
    let options = fresh_options("v1");
    let schema = options.schema.clone().unwrap();
    let (store, ids) = common::import(
        PostgresStorage::connect_with(&url(), &options).unwrap(),
        3,
        true,
    );
    drop(store);
    let fillfactor = || -> Option<String> {
        admin()
            .query_one(
                "SELECT array_to_string(reloptions, ',') FROM pg_class
                 WHERE oid = to_regclass($1)",
                &[&format!("{schema}.credentials")],
            )
            .unwrap()
            .get(0)
    };
    // The tables as version 3 left them.
    admin()
        .batch_execute(&format!(
            "ALTER TABLE {schema}.credentials RESET (fillfactor);
             DROP TABLE {schema}.group_versions;
             DROP TABLE {schema}.visitor_secrets;
             DROP TABLE {schema}.suppressions;
             ALTER TABLE {schema}.groups DROP COLUMN version;
             UPDATE {schema}.conferral_schema SET version = 3"
        ))
        .unwrap();
    assert_eq!(fillfactor(), None);
    let store = PostgresStorage::connect_with(&url(), &options).unwrap();
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    assert_eq!(fillfactor().as_deref(), Some("fillfactor=50"));
    assert_eq!(store.suppressions().unwrap(), vec![]);
    // The group saved before versions is their version 1.
    let group = store
        .group(&store.credential(&ids[0]).unwrap().unwrap().group)
        .unwrap()
        .unwrap();
    let stored = store.stored_group(&group.key(), Some(1)).unwrap().unwrap();
    assert_eq!((stored.version, stored.group), (1, group.clone()));
    assert_eq!(store.groups().unwrap().len(), 1);
    assert_eq!(store.credential(&ids[2]).unwrap().unwrap().id, ids[2]);
    assert_eq!(store.messages(&MessageQuery::default()).unwrap().len(), 3);
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

/// A store whose next `kills` commits find its connection ended while the transaction is
/// open (its backends are found by a name of their own), and the URL it connects with.
fn killed_at_commits(options: &Options) -> (PostgresStorage, Arc<AtomicU32>, String) {
    let name = options.schema.clone().unwrap();
    let separator = if url().contains('?') { '&' } else { '?' };
    let url = format!("{}{separator}application_name={name}", url());
    let mut store = PostgresStorage::connect_with(&url, options).unwrap();
    let kills = Arc::new(AtomicU32::new(0));
    let left = Arc::clone(&kills);
    store.on_commit(move || {
        if left
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
        {
            let ended = admin()
                .query(
                    "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
                     WHERE application_name = $1",
                    &[&name],
                )
                .unwrap();
            assert_eq!(ended.len(), 1, "one backend serves the store");
        }
        false
    });
    (store, kills, url)
}

fn drafts() -> CredentialQuery {
    CredentialQuery {
        state: Some(conferral::lifecycle::CredentialState::Draft),
        ..CredentialQuery::default()
    }
}

#[test]
fn a_publish_whose_connection_dies_before_its_commit_is_run_again_on_a_new_one() {
    let options = fresh_options("killpub");
    let (store, kills, _) = killed_at_commits(&options);
    let (store, _) = common::import(store, 40, false);
    let before = store.backend_pid().unwrap();
    let mut issuer = Issuer::new(store, common::issuer_config()).unwrap();
    kills.store(1, Ordering::SeqCst);
    let out = issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .unwrap();
    assert_eq!(out.published.len(), 40);
    assert_eq!(
        kills.load(Ordering::SeqCst),
        0,
        "the commit was not reached"
    );
    assert_ne!(issuer.store().backend_pid().unwrap(), before);
    let other = PostgresStorage::connect_with(&url(), &options).unwrap();
    let messages = other.messages(&MessageQuery::default()).unwrap();
    assert_eq!(messages.len(), 40);
    assert!(messages.iter().all(|m| m.attempts == 0));
    assert_eq!(other.count_credentials(&drafts()).unwrap(), 0);
}

#[test]
fn a_publish_whose_connection_keeps_dying_writes_nothing_and_says_so() {
    let options = fresh_options("killpub2").reconnect_within(Duration::from_millis(600));
    let (store, kills, _) = killed_at_commits(&options);
    let (store, _) = common::import(store, 40, false);
    let mut issuer = Issuer::new(store, common::issuer_config()).unwrap();
    kills.store(u32::MAX, Ordering::SeqCst);
    let e = issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    assert!(e.to_string().contains("nothing of it was stored"), "{e}");
    let other = PostgresStorage::connect_with(&url(), &options).unwrap();
    assert_eq!(other.messages(&MessageQuery::default()).unwrap().len(), 0);
    assert_eq!(other.count_credentials(&drafts()).unwrap(), 40);

    // Once the connection holds, the publish run again publishes each once.
    kills.store(0, Ordering::SeqCst);
    let out = issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .unwrap();
    assert_eq!(out.published.len(), 40);
    assert_eq!(other.messages(&MessageQuery::default()).unwrap().len(), 40);
    assert_eq!(other.count_credentials(&drafts()).unwrap(), 0);
}

#[test]
fn a_claim_whose_connection_dies_before_its_commit_claims_once() {
    let options = fresh_options("killclaim").reconnect_within(Duration::from_millis(600));
    let (store, kills, _) = killed_at_commits(&options);
    let (mut store, ids) = common::import(store, 2, true);
    let lease = Lease {
        worker: "w1".into(),
        until: t0() + chrono::Duration::minutes(10),
    };
    let other = PostgresStorage::connect_with(&url(), &options).unwrap();
    let first = format!("{}:issued", ids[0]);

    // Killed at every try: nothing is claimed, and the caller is told.
    kills.store(u32::MAX, Ordering::SeqCst);
    let e = store.claim_next(t0(), &lease).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    let stored = other.message(&first).unwrap().unwrap();
    assert_eq!((stored.state, stored.attempts), (DeliveryState::Pending, 0));
    assert_eq!(other.status().unwrap().leases, vec![]);

    // Killed once: the claim runs again on a new connection and counts one attempt.
    kills.store(1, Ordering::SeqCst);
    let claimed = store.claim_next(t0(), &lease).unwrap().unwrap();
    assert_eq!((claimed.id.as_str(), claimed.attempts), (first.as_str(), 1));
    assert_eq!(other.message(&first).unwrap(), Some(claimed));
    assert_eq!(kills.load(Ordering::SeqCst), 0);
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
