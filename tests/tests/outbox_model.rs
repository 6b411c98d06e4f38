//! A model-based test of delivery: random interleavings of claims by several workers under
//! leases, send outcomes (some after the lease ran out), crashes, recovery at any moment,
//! explicit resends and the passing of time, on the memory store and SQLite, checked after
//! every step against a small reference model of the outbox.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use conferral::ErrorKind;
use conferral::group::Group;
use conferral::issuer::{ImportRequest, Issuer};
use conferral::outbox::{DeliveryState, Lease, OutboxMessage, RetryPolicy, SendOutcome};
use conferral::storage::{MessageQuery, Storage};
use conferral_tests::{SequentialIds, t0};
use proptest::prelude::*;

const WORKERS: usize = 3;
const RECIPIENTS: usize = 4;
/// How long a claim is held, in minutes (waits go up to four hours, so leases run out).
const LEASE_MINUTES: i64 = 45;

#[derive(Debug, Clone)]
enum Op {
    /// A worker claims the next due message.
    Claim(usize),
    /// A worker records the outcome of the message it holds.
    Settle(usize, u8),
    /// A worker dies holding its message.
    Crash(usize),
    /// Recovery, run at any moment (by another process starting): only messages whose lease
    /// ran out are touched.
    Recover,
    /// A person asks for recipient `i`'s email again.
    Resend(usize),
    /// Minutes pass.
    Wait(i64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..WORKERS).prop_map(Op::Claim),
        4 => (0..WORKERS, 0u8..4).prop_map(|(w, o)| Op::Settle(w, o)),
        1 => (0..WORKERS).prop_map(Op::Crash),
        1 => Just(Op::Recover),
        1 => (0..RECIPIENTS).prop_map(Op::Resend),
        2 => (0i64..240).prop_map(Op::Wait),
    ]
}

fn outcome(kind: u8) -> SendOutcome {
    match kind {
        0 => SendOutcome::Sent {
            reply: "250 ok".into(),
        },
        1 => SendOutcome::Rejected {
            code: Some(550),
            reply: "no such user".into(),
        },
        2 => SendOutcome::Deferred {
            code: Some(451),
            reply: "try later".into(),
        },
        _ => SendOutcome::Ambiguous {
            reason: "no reply".into(),
        },
    }
}

/// What the model knows of one message.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    state: DeliveryState,
    attempts: u32,
    next_attempt_at: DateTime<Utc>,
    /// When the lease of a `sending` message runs out.
    lease_until: Option<DateTime<Utc>>,
}

/// The reference: the outbox's rules written down plainly, apart from the code under test
/// (only the retry delay, a formula, is shared).
struct Model {
    messages: BTreeMap<String, Expected>,
    policy: RetryPolicy,
}

impl Model {
    /// The message a claim must take: the earliest due pending one, then the lowest id.
    fn next_due(&self, now: DateTime<Utc>) -> Option<String> {
        self.messages
            .iter()
            .filter(|(_, m)| m.state == DeliveryState::Pending && m.next_attempt_at <= now)
            .min_by_key(|(id, m)| (m.next_attempt_at, (*id).clone()))
            .map(|(id, _)| id.clone())
    }

    fn claim(&mut self, id: &str, until: DateTime<Utc>) {
        let m = self.messages.get_mut(id).expect("a known message");
        m.state = DeliveryState::Sending;
        m.attempts += 1;
        m.lease_until = Some(until);
    }

    /// Records an outcome of the claim made on attempt `attempts`; whether it was written
    /// (the claim still held: the message is still `sending` on that attempt).
    fn settle(
        &mut self,
        id: &str,
        attempts: u32,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> bool {
        let policy = self.policy;
        let m = self.messages.get_mut(id).expect("a known message");
        if m.state != DeliveryState::Sending || m.attempts != attempts {
            return false;
        }
        m.lease_until = None;
        m.state = match outcome {
            SendOutcome::Sent { .. } => DeliveryState::Sent,
            SendOutcome::Rejected { .. } => DeliveryState::FailedPermanent,
            SendOutcome::Ambiguous { .. } => DeliveryState::Unknown,
            SendOutcome::Deferred { .. } if m.attempts >= policy.max_attempts => {
                DeliveryState::FailedExhausted
            }
            SendOutcome::Deferred { .. } => {
                m.next_attempt_at = now + policy.delay(m.attempts, id);
                DeliveryState::Pending
            }
        };
        true
    }

    fn recover(&mut self, now: DateTime<Utc>) -> u64 {
        let mut stuck = 0;
        for m in self.messages.values_mut() {
            if m.state == DeliveryState::Sending && m.lease_until.is_some_and(|u| u <= now) {
                m.state = DeliveryState::Unknown;
                m.lease_until = None;
                stuck += 1;
            }
        }
        stuck
    }

    /// Whether a resend is allowed, and if so the change it makes.
    fn resend(&mut self, id: &str, now: DateTime<Utc>) -> bool {
        let m = self.messages.get_mut(id).expect("a known message");
        if matches!(m.state, DeliveryState::Pending | DeliveryState::Sending) {
            return false;
        }
        m.state = DeliveryState::Pending;
        m.next_attempt_at = now;
        true
    }
}

/// What the store holds, in the model's terms.
fn stored<S: Storage>(issuer: &Issuer<S>) -> BTreeMap<String, Expected> {
    issuer
        .deliveries(&MessageQuery::default())
        .unwrap()
        .into_iter()
        .map(|m| {
            let expected = Expected {
                state: m.state,
                attempts: m.attempts,
                next_attempt_at: m.next_attempt_at,
                lease_until: m.lease.map(|l| l.until),
            };
            (m.id, expected)
        })
        .collect()
}

fn check_against<S: Storage>(issuer: &Issuer<S>, model: &Model, step: usize, op: &Op) {
    assert_eq!(stored(issuer), model.messages, "after step {step} ({op:?})");
}

fn run<S: Storage>(store: S, ops: &[Op]) {
    let mut issuer = Issuer::new(store, conferral_tests::issuer_config()).unwrap();
    let group = Group {
        name: "Model".into(),
        ..Group::default()
    };
    let roster: String = std::iter::once("Name,Email\n".to_owned())
        .chain((0..RECIPIENTS).map(|i| format!("Person {i},p{i}@example.org\n")))
        .collect();
    let mut ids = SequentialIds::new("id", 0);
    let request = ImportRequest {
        publish: true,
        ..ImportRequest::new(&group, roster.as_bytes(), "model")
    };
    issuer
        .import(&request, &mut ids, t0(), &mut |_| {})
        .unwrap();
    let credentials: Vec<String> = (1..=RECIPIENTS).map(|i| format!("id{i:04}")).collect();
    let mut model = Model {
        messages: stored(&issuer),
        policy: conferral_tests::issuer_config().retry,
    };
    assert_eq!(model.messages.len(), RECIPIENTS);
    assert!(
        model
            .messages
            .values()
            .all(|m| m.state == DeliveryState::Pending)
    );

    let mut now = t0();
    let mut held: [Option<OutboxMessage>; WORKERS] = Default::default();
    for (step, op) in ops.iter().enumerate() {
        match op {
            Op::Claim(w) => {
                if held[*w].is_some() {
                    continue;
                }
                let expected = model.next_due(now);
                let lease = Lease {
                    worker: format!("w{w}"),
                    until: now + Duration::minutes(LEASE_MINUTES),
                };
                let claimed = issuer.store_mut().claim_next(now, &lease).unwrap();
                assert_eq!(
                    claimed.as_ref().map(|m| m.id.clone()),
                    expected,
                    "step {step}"
                );
                if let Some(m) = claimed {
                    // No two workers ever hold a live claim on one message: another worker's
                    // handle on it is from an earlier attempt, whose lease ran out.
                    assert!(
                        held.iter()
                            .flatten()
                            .all(|h| h.id != m.id || h.attempts < m.attempts),
                        "step {step}"
                    );
                    model.claim(&m.id, lease.until);
                    held[*w] = Some(m);
                }
            }
            Op::Settle(w, kind) => {
                let Some(m) = held[*w].take() else { continue };
                let outcome = outcome(*kind);
                let settled = m.settle(&outcome, now, &model.policy).unwrap();
                let written = issuer
                    .store_mut()
                    .update_message(&settled, DeliveryState::Sending);
                // A claim whose lease ran out and was recovered (and perhaps resent and
                // claimed again) is refused, never written over.
                if model.settle(&m.id, m.attempts, &outcome, now) {
                    written.unwrap();
                } else {
                    assert_eq!(
                        written.map_err(|e| e.kind()),
                        Err(ErrorKind::Conflict),
                        "step {step}: a settle under a lost lease"
                    );
                }
            }
            Op::Crash(w) => held[*w] = None,
            Op::Recover => {
                let recovered = issuer.recover(now).unwrap();
                assert_eq!(recovered, model.recover(now), "step {step}");
            }
            Op::Resend(i) => {
                let credential = &credentials[*i];
                let id = format!("{credential}:issued");
                let allowed = model.resend(&id, now);
                match issuer.resend(std::slice::from_ref(credential), now) {
                    Ok(again) => {
                        assert!(allowed, "step {step}: a resend of a busy message was taken");
                        assert_eq!(again.len(), 1);
                    }
                    Err(e) => {
                        assert!(!allowed, "step {step}: {e}");
                        assert_eq!(e.kind(), ErrorKind::IllegalTransition, "step {step}");
                    }
                }
            }
            Op::Wait(minutes) => now += Duration::minutes(*minutes),
        }
        check_against(&issuer, &model, step, op);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_memory_outbox_follows_the_model(ops in prop::collection::vec(op(), 1..80)) {
        run(conferral::storage::MemoryStorage::new(), &ops);
    }

    #[test]
    fn the_sqlite_outbox_follows_the_model(ops in prop::collection::vec(op(), 1..80)) {
        run(conferral_sqlite::SqliteStorage::open_in_memory().unwrap(), &ops);
    }
}
