//! The server restarting under a running delivery: the store connects again, and the run
//! goes on with nothing lost and nobody emailed twice. A test binary of its own, since a
//! restart ends every connection to the server (cargo runs test binaries one at a time).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use common::{fresh_options, pg_ctl, t0, url};
use conferral::ErrorKind;
use conferral::issuer::Issuer;
use conferral::mail::{Mailer, MemoryMailer, OutgoingMessage};
use conferral::outbox::{DeliveryState, SendOutcome};
use conferral::storage::{MessageQuery, Storage};
use conferral_postgres::PostgresStorage;

/// The tests here stop the one server: one at a time.
static SERVER: Mutex<()> = Mutex::new(());

/// A mailer that restarts the server in the middle of its `at`-th send (counted across every
/// mailer sharing `sends`), while the worker holds a claim.
struct Restarting<'a> {
    sends: &'a AtomicU64,
    at: u64,
    inner: MemoryMailer,
}

impl Mailer for Restarting<'_> {
    fn send(&mut self, message: &OutgoingMessage) -> SendOutcome {
        if self.sends.fetch_add(1, Ordering::SeqCst) + 1 == self.at {
            pg_ctl(&["restart", "-m", "fast"]);
        }
        self.inner.send(message)
    }
}

#[test]
fn a_restart_in_the_middle_of_a_delivery_loses_nothing_and_sends_nothing_twice() {
    let _one = SERVER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let options = fresh_options("restart");
    let open = || PostgresStorage::connect_with(&url(), &options).unwrap();
    let (setup, _) = common::import(open(), 400, true);
    drop(setup);

    // Four workers; the server restarts during the 60th send, while the others claim and
    // settle. Should a call fail all the same (a storage error), its worker runs again, as a
    // delivery process would be restarted.
    let sends = AtomicU64::new(0);
    let failures = AtomicU64::new(0);
    let mailers: Vec<MemoryMailer> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut worker = Issuer::new(open(), common::issuer_config()).unwrap();
                    let mut mailer = Restarting {
                        sends: &sends,
                        at: 60,
                        inner: MemoryMailer::default(),
                    };
                    for _ in 0..5 {
                        match worker.deliver(&mut mailer, &mut t0, None, &mut |_| {}) {
                            Ok(_) => break,
                            Err(e) => {
                                assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
                                failures.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                    }
                    mailer.inner
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    assert!(sends.load(Ordering::SeqCst) >= 60, "the restart never came");

    let (total, distinct) = common::once_each(&mailers);
    assert_eq!(total, distinct, "someone was emailed twice");

    // Anything a failed call left `sending` would become `unknown` once its lease ran out:
    // recorded, never sent again on its own, never lost.
    let mut after = Issuer::new(open(), common::issuer_config()).unwrap();
    after.recover(t0() + chrono::Duration::days(1)).unwrap();
    let messages = after.store().messages(&MessageQuery::default()).unwrap();
    assert_eq!(messages.len(), 400, "a message was lost");
    let sent = messages
        .iter()
        .filter(|m| m.state == DeliveryState::Sent)
        .count();
    let unknown = messages
        .iter()
        .filter(|m| m.state == DeliveryState::Unknown)
        .count();
    eprintln!(
        "{total} handed to mailers, {sent} sent, {unknown} unknown, {} failed calls",
        failures.load(Ordering::SeqCst)
    );
    // A commit that lost its connection is looked up on a new one: the run neither stops nor
    // leaves anything unknown.
    assert_eq!(
        (sent, unknown, total),
        (400, 0, 400),
        "every message is sent once"
    );
}

#[test]
fn a_call_while_the_server_is_down_is_a_clear_storage_error_and_the_next_one_works() {
    let _one = SERVER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let options = fresh_options("down").reconnect_within(Duration::from_millis(500));
    let mut store = PostgresStorage::connect_with(&url(), &options).unwrap();
    pg_ctl(&["stop", "-m", "fast"]);
    let e = store.status();
    pg_ctl(&["start"]);
    let e = e.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(e.to_string().contains("could not be reached"), "{e}");
    store
        .put_group(&conferral::Group {
            name: "Back".into(),
            ..conferral::Group::default()
        })
        .unwrap();
    assert!(store.group("back").unwrap().is_some());
}

#[test]
fn a_commit_whose_server_is_gone_until_it_can_be_looked_up_is_reported_as_unknown() {
    let _one = SERVER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let options = fresh_options("unknown").reconnect_within(Duration::from_millis(500));
    let mut store = PostgresStorage::connect_with(&url(), &options).unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let once = std::sync::Arc::clone(&stop);
    store.on_commit(move || {
        if once.swap(false, Ordering::SeqCst) {
            pg_ctl(&["stop", "-m", "fast"]);
        }
        false
    });
    let e = store.put_group(&conferral::Group {
        name: "Maybe".into(),
        ..conferral::Group::default()
    });
    pg_ctl(&["start"]);
    let e = e.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage);
    assert!(e.to_string().contains("may or may not"), "{e}");
    // It was not (the server stopped before the commit reached it), and the store goes on.
    assert!(store.group("maybe").unwrap().is_none());
    assert!(!stop.load(Ordering::SeqCst));
}
