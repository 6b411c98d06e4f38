//! A model-based test of delivery: random interleavings of claims by several workers, send
//! outcomes, crashes, recovery, explicit resends and the passing of time, on the memory store
//! and SQLite, checked after every step against a small reference model of the outbox.

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
use conferral::outbox::{DeliveryState, OutboxMessage, RetryPolicy, SendOutcome};
use conferral::storage::{MessageQuery, Storage};
use conferral_tests::{SequentialIds, t0};
use proptest::prelude::*;

const WORKERS: usize = 3;
const RECIPIENTS: usize = 4;

#[derive(Debug, Clone)]
enum Op {
    /// A worker claims the next due message.
    Claim(usize),
    /// A worker records the outcome of the message it holds.
    Settle(usize, u8),
    /// A worker dies holding its message.
    Crash(usize),
    /// Start-up recovery, run while no worker holds a message.
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

    fn claim(&mut self, id: &str) {
        let m = self.messages.get_mut(id).expect("a known message");
        m.state = DeliveryState::Sending;
        m.attempts += 1;
    }

    fn settle(&mut self, id: &str, outcome: &SendOutcome, now: DateTime<Utc>) {
        let policy = self.policy;
        let m = self.messages.get_mut(id).expect("a known message");
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
    }

    fn recover(&mut self) -> u64 {
        let mut stuck = 0;
        for m in self.messages.values_mut() {
            if m.state == DeliveryState::Sending {
                m.state = DeliveryState::Unknown;
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
                let claimed = issuer.store_mut().claim_next(now).unwrap();
                assert_eq!(
                    claimed.as_ref().map(|m| m.id.clone()),
                    expected,
                    "step {step}"
                );
                if let Some(m) = claimed {
                    // No two workers ever hold one message.
                    assert!(held.iter().flatten().all(|h| h.id != m.id), "step {step}");
                    model.claim(&m.id);
                    held[*w] = Some(m);
                }
            }
            Op::Settle(w, kind) => {
                let Some(m) = held[*w].take() else { continue };
                let outcome = outcome(*kind);
                let settled = m.settle(&outcome, now, &model.policy).unwrap();
                issuer
                    .store_mut()
                    .update_message(&settled, DeliveryState::Sending)
                    .unwrap();
                model.settle(&m.id, &outcome, now);
            }
            Op::Crash(w) => held[*w] = None,
            Op::Recover => {
                if held.iter().any(Option::is_some) {
                    continue;
                }
                let recovered = issuer.recover().unwrap();
                assert_eq!(recovered, model.recover(), "step {step}");
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
