//! Sending the queued emails: recover after a crash, deliver what is due, resend on request.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::events::EventKind;
use crate::mail::{Mailer, OutgoingMessage};
use crate::outbox::{DeliveryState, Lease, OutboxMessage, SendOutcome};
use crate::storage::{MessageQuery, Storage};

use super::{Issuer, IssuerConfig, Step, StepProgress};

/// What a delivery run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReport {
    /// Attempts made.
    pub attempted: u64,
    /// Accepted by the server.
    pub sent: u64,
    /// Refused for good.
    pub failed_permanent: u64,
    /// Given up after temporary failures.
    pub failed_exhausted: u64,
    /// Deferred, to be retried later.
    pub deferred: u64,
    /// Outcome unknown: not retried without a resend.
    pub unknown: u64,
    /// Attempts whose lease ran out before the outcome was recorded (another run recovered
    /// the message as `unknown`): the outcome replaced that `unknown` when nothing happened
    /// to the message since, and was dropped when it had been resent or claimed again.
    #[serde(default)]
    pub lease_lost: u64,
    /// Claimed and given back unsent: the lease was too short to send in.
    #[serde(default)]
    pub released: u64,
    /// Claimed and not sent because the recipient is on the suppression list: settled
    /// `failed_permanent` with the list's reason. Not counted in `attempted`.
    #[serde(default)]
    pub suppressed: u64,
    /// Why the run stopped before every due message was tried, when the mailer stopped it
    /// ([`Mailer::halted`]); absent when it ran to the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// What a delivery process did when it started: the messages an interrupted run left, then
/// the run itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRun {
    /// Messages whose lease ran out in `sending`, marked `unknown` ([`Issuer::recover`]).
    pub recovered: u64,
    /// The run ([`Issuer::deliver`]).
    pub delivery: DeliveryReport,
}

impl DeliveryReport {
    /// Counts one attempt by its outcome and the state the message settled in.
    fn count(&mut self, outcome: &SendOutcome, settled: &Settlement) {
        self.attempted += 1;
        if settled.lease_lost {
            self.lease_lost += 1;
            return;
        }
        match (outcome, settled.state) {
            (SendOutcome::Sent { .. }, _) => self.sent += 1,
            (SendOutcome::Rejected { .. }, _) => self.failed_permanent += 1,
            (SendOutcome::Ambiguous { .. }, _) => self.unknown += 1,
            (SendOutcome::Deferred { .. }, DeliveryState::FailedExhausted) => {
                self.failed_exhausted += 1;
            }
            (SendOutcome::Deferred { .. }, _) => self.deferred += 1,
        }
    }

    /// Adds another worker's counts to these (several workers make one run).
    pub fn add(&mut self, other: &DeliveryReport) {
        self.attempted += other.attempted;
        self.sent += other.sent;
        self.failed_permanent += other.failed_permanent;
        self.failed_exhausted += other.failed_exhausted;
        self.deferred += other.deferred;
        self.unknown += other.unknown;
        self.lease_lost += other.lease_lost;
        self.released += other.released;
        self.suppressed += other.suppressed;
        if self.stopped.is_none() {
            self.stopped.clone_from(&other.stopped);
        }
    }
}

/// Who delivers, and how long it may hold a message it claimed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Worker {
    /// The worker's id, as the host names it (`host:pid:thread`); shown by status.
    pub id: String,
    /// How long a claim is held, in seconds: longer than the mailer's whole transaction can
    /// take, so that a send in flight is never recovered as a crashed one.
    pub lease_secs: i64,
}

impl Worker {
    /// A worker whose lease fits `mailer`: twice its longest send and a minute.
    pub fn for_mailer(id: &str, mailer: &dyn Mailer) -> Worker {
        let send = i64::try_from(mailer.max_send_time().as_secs()).unwrap_or(i64::MAX / 4);
        Worker {
            id: id.to_owned(),
            lease_secs: send.saturating_mul(2).saturating_add(60),
        }
    }
}

/// A message claimed for sending, held under a lease: what the host sends, then gives back
/// to [`Issuer::settle_delivery`] with the outcome. It is data (JSON through the bindings),
/// so a host can send it however it likes: a thread, an async task, a browser's fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claimed {
    /// The message as claimed (its `attempts` and `lease` are the claim's token).
    pub message: OutboxMessage,
    /// What to send.
    pub outgoing: OutgoingMessage,
}

impl Claimed {
    /// When the lease runs out.
    pub fn lease_until(&self) -> Option<DateTime<Utc>> {
        self.message.lease.as_ref().map(|l| l.until)
    }

    /// Whether a send that may take `send_time` can start at `now` and finish within the
    /// lease. A worker never starts one that cannot: it gives the message back with
    /// [`Issuer::release_delivery`].
    pub fn may_send(&self, now: DateTime<Utc>, send_time: std::time::Duration) -> bool {
        let send = Duration::from_std(send_time).unwrap_or(Duration::MAX);
        self.lease_until()
            .is_some_and(|until| now.checked_add_signed(send).is_some_and(|end| end < until))
    }
}

/// Where a settled message landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// The message's state now.
    pub state: DeliveryState,
    /// The lease ran out before the outcome was recorded and the message was recovered as
    /// `unknown`. When nothing happened to it since, the outcome replaced the `unknown` (and
    /// `state` is the outcome's); when it was resent or claimed again, the outcome was not
    /// written and `state` is what the message holds now.
    pub lease_lost: bool,
}

impl<S: Storage> Issuer<S> {
    /// Marks every message whose lease ran out in `sending` as `unknown`: its worker
    /// stopped (a crash, a kill) and it may have reached the server, so it is never sent
    /// again without [`Issuer::resend`]. Messages whose lease still runs are a delivery in
    /// flight and are left alone, so any number of workers may recover at any time.
    ///
    /// # Errors
    /// A store failure.
    pub fn recover(&mut self, now: DateTime<Utc>) -> Result<u64> {
        let stuck = self.store.messages(&MessageQuery {
            state: Some(DeliveryState::Sending),
            ..MessageQuery::default()
        })?;
        let mut recovered = 0;
        for m in stuck.iter().filter(|m| m.lease_expired(now)) {
            match self
                .store
                .update_message(&m.interrupted()?, DeliveryState::Sending)
            {
                Ok(()) => recovered += 1,
                // Settled or recovered by another worker meanwhile.
                Err(e) if e.kind() == ErrorKind::Conflict => {}
                Err(e) => return Err(e),
            }
        }
        Ok(recovered)
    }

    /// Claims the next due message for `worker` at `now` and commits the claim: step one of
    /// a delivery a host drives itself. `Ok(None)` when nothing is due.
    ///
    /// A claimed message whose recipient is on the suppression list is not handed out: it
    /// is settled `failed_permanent` at once, its result naming the list's reason, and the
    /// next due message is claimed instead.
    ///
    /// # Errors
    /// A store failure.
    pub fn next_delivery(
        &mut self,
        worker: &Worker,
        now: DateTime<Utc>,
    ) -> Result<Option<Claimed>> {
        let mut suppressed = 0;
        self.next_sendable(worker, now, &mut suppressed)
    }

    /// [`Issuer::next_delivery`], counting the suppressed messages it settled on the way.
    fn next_sendable(
        &mut self,
        worker: &Worker,
        now: DateTime<Utc>,
        suppressed: &mut u64,
    ) -> Result<Option<Claimed>> {
        let lease = Lease {
            worker: worker.id.clone(),
            until: now + Duration::seconds(worker.lease_secs.max(1)),
        };
        loop {
            let Some(message) = self.store.claim_next(now, &lease)? else {
                return Ok(None);
            };
            // Checked after the claim, so an address suppressed while the message waited
            // is seen; a store failure here leaves the claim to its lease, as in a settle.
            let Some(entry) = self.store.suppression(&message.email.to_email)? else {
                return Ok(Some(Claimed {
                    outgoing: OutgoingMessage::of(&message, &self.config.sender),
                    message,
                }));
            };
            let settled = message.suppressed(&entry.why())?;
            let credential = self.store.credential(&settled.credential)?;
            let settlement = self.write_back(&settled)?;
            if let Some(credential) = credential
                && settlement.state == settled.state
            {
                self.record(std::slice::from_ref(&credential), EventKind::Failed, now);
            }
            *suppressed += 1;
        }
    }

    /// Records what sending a claimed message gave, at `now`: step two. When the lease ran
    /// out meanwhile, [`Settlement::lease_lost`] says so, and the outcome is written only over
    /// the `unknown` recovery left (never over a resend or another claim).
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] for a message that was not claimed; a store failure
    /// (the message stays `sending` and becomes `unknown` once its lease runs out).
    pub fn settle_delivery(
        &mut self,
        claimed: &Claimed,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
    ) -> Result<Settlement> {
        let settled = claimed.message.settle(outcome, now, &self.config.retry)?;
        // Read before the write, so that a store failing here leaves the claim to its lease
        // as any other store failure of a settle does; its event is written after.
        let credential = self.store.credential(&settled.credential)?;
        let settlement = self.write_back(&settled)?;
        let kind = match settled.state {
            DeliveryState::Sent => Some(EventKind::Delivered),
            DeliveryState::FailedPermanent | DeliveryState::FailedExhausted => {
                Some(EventKind::Failed)
            }
            _ => None,
        };
        // Written when this outcome is what the store now holds.
        if let (Some(kind), Some(credential)) = (kind, credential)
            && settlement.state == settled.state
        {
            self.record(std::slice::from_ref(&credential), kind, now);
        }
        Ok(settlement)
    }

    /// Gives a claimed message back unsent (its lease is too short to send in): it is due
    /// again at once.
    ///
    /// # Errors
    /// As [`Issuer::settle_delivery`].
    pub fn release_delivery(
        &mut self,
        claimed: &Claimed,
        now: DateTime<Utc>,
    ) -> Result<Settlement> {
        let released = claimed.message.release(now)?;
        self.write_back(&released)
    }

    /// Writes a claimed message's next version over the claim, if the claim still holds.
    ///
    /// When the lease ran out and recovery marked the message `unknown`, and nothing happened
    /// to it since (same attempt), the outcome is what resolves that ambiguity: it is written
    /// over the `unknown`, fenced the same way, so the message is recorded as what it is. When
    /// it was resent or claimed again, nothing is written and the caller hears of it.
    fn write_back(&mut self, next: &OutboxMessage) -> Result<Settlement> {
        let lost = |state| Settlement {
            state,
            lease_lost: true,
        };
        match self.store.update_message(next, DeliveryState::Sending) {
            Ok(()) => {
                return Ok(Settlement {
                    state: next.state,
                    lease_lost: false,
                });
            }
            Err(e) if e.kind() != ErrorKind::Conflict => return Err(e),
            Err(_) => {}
        }
        let Some(stored) = self.store.message(&next.id)? else {
            return Ok(lost(next.state));
        };
        if stored.state != DeliveryState::Unknown || stored.attempts != next.attempts {
            return Ok(lost(stored.state));
        }
        match self.store.update_message(next, DeliveryState::Unknown) {
            Ok(()) => Ok(lost(next.state)),
            Err(e) if e.kind() == ErrorKind::Conflict => Ok(lost(stored.state)),
            Err(e) => Err(e),
        }
    }

    /// Sends every due message, one at a time, as the worker `worker`: each is claimed
    /// (committed `sending` under a lease) before the mailer sees it, and its outcome is
    /// committed before the next one. Built on [`Issuer::next_delivery`] and
    /// [`Issuer::settle_delivery`]; any number of workers may run it at once on one store.
    /// Messages deferred to a later time stay pending for a later run.
    ///
    /// `clock` is read before each claim and after each send; `limit` caps the attempts.
    ///
    /// # Errors
    /// A store failure (the message being sent stays `sending` and becomes `unknown` once
    /// its lease runs out).
    pub fn deliver_as(
        &mut self,
        worker: &Worker,
        mailer: &mut dyn Mailer,
        clock: &mut dyn FnMut() -> DateTime<Utc>,
        limit: Option<u64>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<DeliveryReport> {
        let due = self.due_count(limit)?;
        let mut report = DeliveryReport::default();
        while limit.is_none_or(|l| report.attempted < l) {
            let Some(claimed) = self.next_sendable(worker, clock(), &mut report.suppressed)? else {
                break;
            };
            if !claimed.may_send(clock(), mailer.max_send_time()) {
                self.release_delivery(&claimed, clock())?;
                report.released += 1;
                // A claim that cannot be used at once means the store or the host is too
                // slow for this lease: stop rather than claim and release for ever.
                break;
            }
            let outcome = mailer.send(&claimed.outgoing);
            let settled = self.settle_delivery(&claimed, &outcome, clock())?;
            report.count(&outcome, &settled);
            progress(StepProgress {
                step: Step::Delivering,
                done: report.attempted,
                total: due.max(report.attempted),
            });
            if let Some(why) = mailer.halted() {
                report.stopped = Some(why);
                break;
            }
        }
        Ok(report)
    }

    /// [`Issuer::deliver_as`] a worker named `conferral` whose lease fits `mailer`.
    ///
    /// # Errors
    /// As [`Issuer::deliver_as`].
    pub fn deliver(
        &mut self,
        mailer: &mut dyn Mailer,
        clock: &mut dyn FnMut() -> DateTime<Utc>,
        limit: Option<u64>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<DeliveryReport> {
        let worker = Worker::for_mailer("conferral", mailer);
        self.deliver_as(&worker, mailer, clock, limit, progress)
    }

    /// What a delivery process does when it starts: [`Issuer::recover`], then
    /// [`Issuer::deliver_as`].
    ///
    /// # Errors
    /// As those two.
    pub fn recover_and_deliver(
        &mut self,
        worker: &Worker,
        mailer: &mut dyn Mailer,
        clock: &mut dyn FnMut() -> DateTime<Utc>,
        limit: Option<u64>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<DeliveryRun> {
        let recovered = self.recover(clock())?;
        let delivery = self.deliver_as(worker, mailer, clock, limit, progress)?;
        Ok(DeliveryRun {
            recovered,
            delivery,
        })
    }

    /// How many messages are pending (due now or later), at most `limit`: the run's
    /// expected total for progress reports, counted without reading each message.
    fn due_count(&self, limit: Option<u64>) -> Result<u64> {
        let pending = self
            .store
            .status()?
            .deliveries
            .get(DeliveryState::Pending.as_str())
            .copied()
            .unwrap_or(0);
        Ok(limit.map_or(pending, |l| pending.min(l)))
    }

    /// Queues the messages of these credentials again, explicitly (after a failure, or an
    /// `unknown` outcome a person has checked). The Message-ID stays the same.
    ///
    /// Every credential is checked before any message changes, and the changes are written as
    /// one unit: when one is refused, none is queued again (a message queued before the
    /// refusal would be emailed again by the next delivery, though the caller was told the
    /// resend failed).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for a credential without a message;
    /// [`ErrorKind::IllegalTransition`] for one still pending or being sent.
    pub fn resend(
        &mut self,
        credentials: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>> {
        let mut planned = Vec::new();
        for id in credentials {
            let messages = self.store.messages(&MessageQuery {
                credentials: Some(vec![id.clone()]),
                ..MessageQuery::default()
            })?;
            if messages.is_empty() {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("credential `{id}` has no email queued; publish it first"),
                ));
            }
            for m in messages {
                planned.push((m.resend(now)?, m.state));
            }
        }
        // One unit: a store failure half-way cannot leave some of them queued again.
        self.store.update_messages(&planned)?;
        Ok(planned.into_iter().map(|(again, _)| again).collect())
    }
}

/// How to open what each of several delivery workers needs: its own store connection and its
/// own mailer (an SMTP connection each), and its id.
pub struct Workers<'a, S, M> {
    /// How many workers deliver at once.
    pub count: usize,
    /// The issuer's settings, shared.
    pub config: &'a IssuerConfig,
    /// Opens a store on the shared data (a new connection per worker).
    pub open_store: &'a (dyn Fn() -> Result<S> + Sync),
    /// Opens a mailer (a new connection per worker).
    pub open_mailer: &'a (dyn Fn() -> Result<M> + Sync),
    /// The id of worker `i`, as the host names it (`host:pid:i`).
    pub worker_id: &'a (dyn Fn(usize) -> String + Sync),
    /// The clock.
    pub clock: &'a (dyn Fn() -> DateTime<Utc> + Sync),
}

/// Recovers once, then delivers with `workers.count` workers at once, each a thread with its
/// own store connection and mailer; their reports are added up. `limit` caps the attempts
/// of all of them together; `progress` hears every attempt of any worker.
///
/// Needs threads: on a target without them (the browser) it runs one worker per call of
/// [`Issuer::deliver_as`] instead, which a host can drive with
/// [`Issuer::next_delivery`] and [`Issuer::settle_delivery`].
///
/// # Errors
/// The first error of any worker, or of opening its store or mailer.
pub fn deliver_with_workers<S, M>(
    workers: &Workers<'_, S, M>,
    limit: Option<u64>,
    progress: &(dyn Fn(StepProgress) + Sync),
) -> Result<DeliveryRun>
where
    S: Storage + Send,
    M: Mailer + Send,
{
    let count = workers.count.max(1);
    let mut first = Issuer::new((workers.open_store)()?, workers.config.clone())?;
    let recovered = first.recover((workers.clock)())?;
    let due = first.due_count(limit)?;
    drop(first);
    let done = std::sync::atomic::AtomicU64::new(0);
    let share = |i: usize| {
        limit.map(|l| {
            let (n, i) = (count as u64, i as u64);
            l / n + u64::from(i < l % n)
        })
    };
    let run_one = |i: usize| -> Result<DeliveryReport> {
        let mut issuer = Issuer::new((workers.open_store)()?, workers.config.clone())?;
        let mut mailer = (workers.open_mailer)()?;
        let worker = Worker::for_mailer(&(workers.worker_id)(i), &mailer);
        let mut clock = || (workers.clock)();
        let mut heard = |_: StepProgress| {
            let d = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(StepProgress {
                step: Step::Delivering,
                done: d,
                total: due.max(d),
            });
        };
        issuer.deliver_as(&worker, &mut mailer, &mut clock, share(i), &mut heard)
    };
    let reports: Vec<Result<DeliveryReport>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..count)
            .map(|i| {
                std::thread::Builder::new()
                    .name(format!("deliver-{i}"))
                    .spawn_scoped(scope, move || run_one(i))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| match h {
                Ok(handle) => handle.join().unwrap_or_else(|_| {
                    Err(Error::new(
                        ErrorKind::Mail,
                        "a delivery worker stopped unexpectedly",
                    ))
                }),
                Err(e) => Err(Error::new(
                    ErrorKind::Mail,
                    format!("a delivery worker could not start: {e}"),
                )),
            })
            .collect()
    });
    let mut delivery = DeliveryReport::default();
    for report in reports {
        delivery.add(&report?);
    }
    Ok(DeliveryRun {
        recovered,
        delivery,
    })
}
