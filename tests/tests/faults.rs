//! Fault injection at every storage call, on the memory store and SQLite alike.
//!
//! For every k, the k-th storage call of an operation fails. An import, a publish and a resend
//! must then leave the store exactly as it was or exactly as a clean run leaves it, never in
//! between. A delivery sends message by message, so it may stop half-way; it must lose no
//! message, and once recovered and run again it must email nobody twice.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::cell::Cell;
use std::rc::Rc;

use chrono::Duration;
use conferral::group::Group;
use conferral::issuer::{ImportRequest, Issuer, Selection};
use conferral::mail::MemoryMailer;
use conferral::outbox::DeliveryState;
use conferral::storage::{CredentialQuery, MessageQuery, Storage};
use conferral::{Error, ErrorKind, Result};
use conferral_tests::{HookedStore, SequentialIds, t0};

/// Which storage call fails: the k-th (reads and writes alike, counting from 1) after the
/// plan is armed, with a storage error.
#[derive(Default)]
struct FaultPlan {
    calls: Cell<u64>,
    fail_at: Cell<Option<u64>>,
    failed: Cell<bool>,
    /// The storage method that was made to fail.
    failed_call: Cell<&'static str>,
}

/// The one storage call whose failure an operation does not report: events are appended
/// after the change they describe, and a failure to append them loses the events, never
/// the change (`conferral::events`).
const BEST_EFFORT: &str = "record_events";

impl FaultPlan {
    /// Starts counting calls again, failing the `k`-th (none when `None`).
    fn arm(&self, k: Option<u64>) {
        self.calls.set(0);
        self.fail_at.set(k);
        self.failed.set(false);
        self.failed_call.set("");
    }

    /// Whether the call made to fail was an event write.
    fn failed_best_effort(&self) -> bool {
        self.failed.get() && self.failed_call.get() == BEST_EFFORT
    }

    fn tick(&self, call: &'static str) -> Result<()> {
        let n = self.calls.get() + 1;
        self.calls.set(n);
        if self.fail_at.get() == Some(n) {
            self.failed.set(true);
            self.failed_call.set(call);
            return Err(Error::new(
                ErrorKind::Storage,
                format!("injected failure at storage call {n}"),
            ));
        }
        Ok(())
    }
}

conferral_tests::on_every_store!(
    an_import_is_whole_or_absent_whichever_call_fails,
    a_publish_is_whole_or_absent_whichever_call_fails,
    a_resend_is_whole_or_absent_whichever_call_fails,
    a_delivery_that_fails_anywhere_loses_nothing_and_sends_nobody_twice,
);

const ROSTER: &[u8] =
    b"Name,Email\nAna Lopez,ana@example.org\nBo Chen,bo@\nCy Diaz,cy@example.org\n";

fn group() -> Group {
    Group {
        name: "Bootcamp 2026".into(),
        ..Group::default()
    }
}

type Faulted<S> = Issuer<HookedStore<S>>;

/// An issuer over a new store whose calls `plan` counts and may fail.
fn issuer<S: Storage>(make: fn() -> S, plan: &Rc<FaultPlan>) -> Faulted<S> {
    let plan = Rc::clone(plan);
    let store = HookedStore::new(make(), move |call| plan.tick(call));
    Issuer::new(store, conferral_tests::issuer_config()).unwrap()
}

/// Everything the store holds, as JSON text, read past the fault counter.
fn contents<S: Storage>(issuer: &Faulted<S>) -> String {
    let store = &issuer.store().inner;
    serde_json::json!({
        "batches": store.batches(None).unwrap(),
        "credentials": store.credentials(&CredentialQuery::default()).unwrap(),
        "messages": store.messages(&MessageQuery::default()).unwrap(),
    })
    .to_string()
}

fn import<S: Storage>(issuer: &mut Faulted<S>) -> Result<()> {
    let group = group();
    let mut ids = SequentialIds::new("id", 0);
    let request = ImportRequest::new(&group, ROSTER, "ed");
    issuer
        .import(&request, &mut ids, t0(), &mut |_| {})
        .map(drop)
}

fn publish<S: Storage>(issuer: &mut Faulted<S>) -> Result<()> {
    issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .map(drop)
}

fn deliver<S: Storage>(issuer: &mut Faulted<S>, mailer: &mut MemoryMailer) -> Result<()> {
    issuer.deliver(mailer, &mut t0, None, &mut |_| {}).map(drop)
}

fn resend<S: Storage>(issuer: &mut Faulted<S>) -> Result<()> {
    let ids = ["id0001".to_owned(), "id0002".to_owned()];
    issuer.resend(&ids, t0() + Duration::hours(1)).map(drop)
}

/// Runs `op` after `setup` once cleanly, then once for each of its storage calls with that
/// call failing, and checks that each failed run left the store as before or as after.
fn whole_or_absent<S: Storage>(
    make: fn() -> S,
    setup: impl Fn(&mut Faulted<S>),
    op: impl Fn(&mut Faulted<S>) -> Result<()>,
) {
    let plan = Rc::new(FaultPlan::default());
    let mut clean = issuer(make, &plan);
    setup(&mut clean);
    let before = contents(&clean);
    plan.arm(None);
    op(&mut clean).unwrap();
    let calls = plan.calls.get();
    let after = contents(&clean);
    assert_ne!(before, after, "the operation changes the store");
    assert!(calls > 1, "the operation makes {calls} storage call(s)");
    for k in 1..=calls {
        let mut faulted = issuer(make, &plan);
        plan.arm(None);
        setup(&mut faulted);
        plan.arm(Some(k));
        let outcome = op(&mut faulted);
        assert!(plan.failed.get(), "call {k} of {calls} was reached");
        if plan.failed_best_effort() {
            outcome.unwrap_or_else(|e| {
                panic!("call {k}: a failed event write failed the operation: {e}")
            });
            assert_eq!(contents(&faulted), after, "call {k}: the change is whole");
            continue;
        }
        let error = outcome.expect_err("a failed storage call fails the operation");
        assert_eq!(error.kind(), ErrorKind::Storage, "call {k}: {error}");
        let now = contents(&faulted);
        assert!(
            now == before || now == after,
            "call {k} of {calls} failed and left the store half-changed:\n{now}"
        );
    }
}

fn an_import_is_whole_or_absent_whichever_call_fails<S: Storage>(make: fn() -> S) {
    whole_or_absent(make, |_| {}, import);
}

fn a_publish_is_whole_or_absent_whichever_call_fails<S: Storage>(make: fn() -> S) {
    whole_or_absent(make, |i| import(i).unwrap(), publish);
}

fn a_resend_is_whole_or_absent_whichever_call_fails<S: Storage>(make: fn() -> S) {
    let setup = |i: &mut Faulted<S>| {
        import(i).unwrap();
        publish(i).unwrap();
        deliver(i, &mut MemoryMailer::default()).unwrap();
    };
    whole_or_absent(make, setup, resend);
}

fn a_delivery_that_fails_anywhere_loses_nothing_and_sends_nobody_twice<S: Storage>(
    make: fn() -> S,
) {
    let setup = |i: &mut Faulted<S>| {
        import(i).unwrap();
        publish(i).unwrap();
    };
    let plan = Rc::new(FaultPlan::default());
    let mut clean = issuer(make, &plan);
    setup(&mut clean);
    plan.arm(None);
    deliver(&mut clean, &mut MemoryMailer::default()).unwrap();
    let calls = plan.calls.get();
    for k in 1..=calls {
        let mut faulted = issuer(make, &plan);
        plan.arm(None);
        setup(&mut faulted);
        let mut mailer = MemoryMailer::default();
        plan.arm(Some(k));
        let delivered = deliver(&mut faulted, &mut mailer);
        if plan.failed_best_effort() {
            delivered.unwrap_or_else(|e| {
                panic!("call {k}: a failed event write failed the delivery: {e}")
            });
        } else {
            let error = delivered.expect_err("the failure is reported");
            assert_eq!(error.kind(), ErrorKind::Storage, "call {k}: {error}");
        }
        // The next run, as after a crash: recovery first, then the rest.
        plan.arm(None);
        faulted.recover(t0() + Duration::days(1)).unwrap();
        deliver(&mut faulted, &mut mailer).unwrap();
        let messages = faulted.deliveries(&MessageQuery::default()).unwrap();
        assert_eq!(messages.len(), 2, "call {k}: no message is lost");
        for m in &messages {
            let to = &m.email.to_email;
            let delivered = mailer.delivered_to(to);
            match m.state {
                DeliveryState::Sent => assert_eq!(delivered, 1, "call {k}: {to}"),
                // Claimed, then the store failed before the outcome was kept: the one case
                // where the email may or may not have gone, and it is not sent again.
                DeliveryState::Unknown => assert!(delivered <= 1, "call {k}: {to}"),
                other => panic!("call {k}: {to} is left {other:?}"),
            }
        }
    }
}

#[test]
fn two_publishers_racing_for_the_same_drafts_queue_each_email_once() {
    let dir = std::env::temp_dir().join(format!("conferral-race-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("store.db");
    let open = || conferral_sqlite::SqliteStorage::open(&db).unwrap();
    let config = conferral_tests::issuer_config;
    let mut setup = Issuer::new(open(), config()).unwrap();
    let group = group();
    let mut ids = SequentialIds::new("id", 0);
    setup
        .import(
            &ImportRequest::new(&group, ROSTER, "ed"),
            &mut ids,
            t0(),
            &mut |_| {},
        )
        .unwrap();
    drop(setup);

    // Just before the late publisher's commit, a rival on another connection publishes the
    // same drafts.
    let rival_db = db.clone();
    let raced_once = Cell::new(false);
    let raced = HookedStore::new(open(), move |call| {
        if call == "commit_publish" && !raced_once.replace(true) {
            let store = conferral_sqlite::SqliteStorage::open(&rival_db)?;
            let mut other = Issuer::new(store, conferral_tests::issuer_config())?;
            let won = other.publish(&Selection::All, "rival", t0(), &mut |_| {})?;
            assert_eq!(won.published.len(), 2);
        }
        Ok(())
    });
    let mut late = Issuer::new(raced, config()).unwrap();
    // The late publisher reads its chunk again and finds it published: nothing to do.
    let lost = late
        .publish(&Selection::All, "late", t0(), &mut |_| {})
        .expect("the drafts it read were published meanwhile");
    assert!(lost.published.is_empty(), "{lost:?}");
    assert_eq!(lost.already_published.len(), 2);

    // One email per credential, queued by the rival alone.
    let store = open();
    let messages = store.messages(&MessageQuery::default()).unwrap();
    assert_eq!(messages.len(), 2);
    let published = store
        .credentials(&CredentialQuery::default())
        .unwrap()
        .into_iter()
        .filter(|c| c.history.last().is_some_and(|h| h.actor == "rival"))
        .count();
    assert_eq!(published, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn four_workers_delivering_from_one_sqlite_file_at_once_send_each_email_once() {
    let dir = std::env::temp_dir().join(format!("conferral-claimers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("store.db");
    let open = || conferral_sqlite::SqliteStorage::open(&db).unwrap();
    let mut setup = Issuer::new(open(), conferral_tests::issuer_config()).unwrap();
    let mut roster = String::from("Name,Email\n");
    for i in 0..120 {
        roster.push_str(&format!("Person {i},person{i}@example.org\n"));
    }
    setup
        .import(
            &ImportRequest {
                publish: true,
                ..ImportRequest::new(&group(), roster.as_bytes(), "ed")
            },
            &mut SequentialIds::new("id", 0),
            t0(),
            &mut |_| {},
        )
        .unwrap();
    drop(setup);

    // Each worker has its own connection and starts at the same moment; every claim is a
    // transaction the others wait for.
    let start = std::sync::Barrier::new(4);
    let mailers: Vec<MemoryMailer> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                scope.spawn(|| {
                    let mut worker = Issuer::new(open(), conferral_tests::issuer_config()).unwrap();
                    let mut mailer = MemoryMailer::default();
                    start.wait();
                    worker
                        .deliver(&mut mailer, &mut t0, None, &mut |_| {})
                        .unwrap();
                    mailer
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut recipients: Vec<&str> = mailers
        .iter()
        .flat_map(|m| m.sent.iter().map(|(message, _)| message.to.email.as_str()))
        .collect();
    let total = recipients.len();
    recipients.sort_unstable();
    recipients.dedup();
    assert_eq!(
        (total, recipients.len()),
        (120, 120),
        "someone was emailed twice or never"
    );
    let store = open();
    assert_eq!(store.status().unwrap().deliveries["sent"], 120);
    store.check_integrity().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_edit_racing_a_publish_is_never_lost_nor_overwritten() {
    use conferral::lifecycle::{Amendment, CredentialState};
    let dir = std::env::temp_dir().join(format!("conferral-lost-update-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("store.db");
    let open = || conferral_sqlite::SqliteStorage::open(&db).unwrap();
    let mut setup = Issuer::new(open(), conferral_tests::issuer_config()).unwrap();
    let out = setup
        .import(
            &ImportRequest::new(&group(), ROSTER, "ed"),
            &mut SequentialIds::new("id", 0),
            t0(),
            &mut |_| {},
        )
        .unwrap();
    let out_ids = out.created.clone();
    let id = out_ids[0].clone();
    drop(setup);
    let rename = |to: &str| Amendment {
        set: [("name".to_owned(), to.to_owned())].into(),
    };

    // An edit commits while the publish is rendering: the publish reads the draft again and
    // renders the edited one; the edit is never overwritten.
    let rival_db = db.clone();
    let edited = Cell::new(false);
    let rival_id = id.clone();
    let raced = HookedStore::new(open(), move |call| {
        if call == "commit_publish" && !edited.replace(true) {
            let store = conferral_sqlite::SqliteStorage::open(&rival_db)?;
            let mut other = Issuer::new(store, conferral_tests::issuer_config())?;
            other.amend(&rival_id, &rename("Edited Meanwhile"), "rival", t0())?;
        }
        Ok(())
    });
    let mut publisher = Issuer::new(raced, conferral_tests::issuer_config()).unwrap();
    let out = publisher
        .publish(&Selection::Ids(vec![id.clone()]), "late", t0(), &mut |_| {})
        .expect("the changed draft is rendered again");
    assert_eq!(out.published, vec![id.clone()]);
    let store = open();
    let stored = store.credential(&id).unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.recipient.name.as_str()),
        (CredentialState::Published, "Edited Meanwhile")
    );
    let messages = store.messages(&MessageQuery::default()).unwrap();
    assert_eq!(messages.len(), 1);
    assert!(
        messages[0].email.text.contains("Edited Meanwhile"),
        "{:?}",
        messages[0].email.text
    );
    drop(store);

    // A publish commits between an edit's read and its write: the edit is refused, and the
    // credential stays published with the email that was queued (the other draft, this time).
    let id = out_ids[1].clone();
    let rival_db = db.clone();
    let published = Cell::new(false);
    let raced = HookedStore::new(open(), move |call| {
        if call == "update_credential" && !published.replace(true) {
            let store = conferral_sqlite::SqliteStorage::open(&rival_db)?;
            let mut other = Issuer::new(store, conferral_tests::issuer_config())?;
            other.publish(&Selection::All, "rival", t0(), &mut |_| {})?;
        }
        Ok(())
    });
    let mut editor = Issuer::new(raced, conferral_tests::issuer_config()).unwrap();
    let refused = editor
        .amend(&id, &rename("Too Late"), "ed", t0())
        .expect_err("the draft was published meanwhile");
    assert_eq!(refused.kind(), ErrorKind::Conflict, "{refused}");
    let stored = open().credential(&id).unwrap().unwrap();
    assert_eq!(
        (stored.state, stored.recipient.name.as_str()),
        (CredentialState::Published, "Cy Diaz")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_overlapping_run_leaves_a_send_in_flight_alone_on_sqlite() {
    let dir = std::env::temp_dir().join(format!("conferral-overlap-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("store.db");
    overlap(&|| Box::new(conferral_sqlite::SqliteStorage::open(&db).unwrap()));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_overlapping_run_leaves_a_send_in_flight_alone_on_postgres() {
    let url = std::env::var("CONFERRAL_TEST_POSTGRES_URL")
        .expect("CONFERRAL_TEST_POSTGRES_URL is not set; run the tests through `make test`");
    let options =
        conferral_postgres::Options::default().schema(&format!("overlap_{}", std::process::id()));
    overlap(&|| {
        Box::new(conferral_postgres::PostgresStorage::connect_with(&url, &options).unwrap())
    });
}

/// The overlap: an hourly run starts while the previous one is still sending to a
/// slow server. The second run's recovery must leave the message in flight alone, and the
/// first run's late reply must land: both recipients get exactly one email and end `sent`.
/// `open` opens a new connection to one empty store.
fn overlap(open: &dyn Fn() -> Box<dyn Storage>) {
    use conferral::issuer::Worker;
    use conferral::outbox::SendOutcome;
    let mut first = Issuer::new(open(), conferral_tests::issuer_config()).unwrap();
    first
        .import(
            &ImportRequest {
                publish: true,
                ..ImportRequest::new(&group(), ROSTER, "ed")
            },
            &mut SequentialIds::new("id", 0),
            t0(),
            &mut |_| {},
        )
        .unwrap();

    // The first run claims a message and is still waiting for the server's reply.
    let slow = Worker {
        id: "host:1:0".into(),
        lease_secs: 1_200,
    };
    let in_flight = first.next_delivery(&slow, t0()).unwrap().unwrap();

    // Five minutes later the next run starts: recovery, then delivery of what is due.
    let mut second = Issuer::new(open(), conferral_tests::issuer_config()).unwrap();
    let mut mailer = MemoryMailer::default();
    let later = t0() + Duration::minutes(5);
    let worker = Worker {
        id: "host:2:0".into(),
        lease_secs: 1_200,
    };
    let run = second
        .recover_and_deliver(&worker, &mut mailer, &mut || later, None, &mut |_| {})
        .unwrap();
    assert_eq!(run.recovered, 0, "a send in flight is not a crashed one");
    assert_eq!(run.delivery.sent, 1);
    let status = second.status().unwrap();
    assert_eq!(status.leases.len(), 1);
    assert_eq!(status.leases[0].worker, "host:1:0");

    // The slow server answers at last.
    let settled = first
        .settle_delivery(
            &in_flight,
            &SendOutcome::Sent {
                reply: "250 at last".into(),
            },
            later + Duration::minutes(1),
        )
        .unwrap();
    assert!(!settled.lease_lost);
    let mut emailed: Vec<String> = mailer
        .sent
        .iter()
        .map(|(m, _)| m.to.email.clone())
        .chain(std::iter::once(in_flight.outgoing.to.email.clone()))
        .collect();
    emailed.sort();
    assert_eq!(emailed, ["ana@example.org", "cy@example.org"]);
    let status = open().status().unwrap();
    assert_eq!(
        (
            status.deliveries["sent"],
            status.deliveries["unknown"],
            status.deliveries["sending"]
        ),
        (2, 0, 0)
    );
    assert!(status.leases.is_empty());
    // A run hung past its lease is the conformance suite's and the outbox model's case.
}
