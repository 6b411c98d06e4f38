//! Sending the queued emails: recover after a crash, deliver what is due, resend on request.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::mail::{Mailer, OutgoingMessage};
use crate::outbox::{DeliveryState, OutboxMessage, SendOutcome};
use crate::storage::{MessageQuery, Storage};

use super::{Issuer, Step, StepProgress};

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
    /// Why the run stopped before every due message was tried, when the mailer stopped it
    /// ([`Mailer::halted`]); absent when it ran to the end.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// What a delivery process did when it started: the messages an interrupted run left, then
/// the run itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryRun {
    /// Messages found `sending` and marked `unknown` ([`Issuer::recover`]).
    pub recovered: u64,
    /// The run ([`Issuer::deliver`]).
    pub delivery: DeliveryReport,
}

impl DeliveryReport {
    /// Counts one attempt by its outcome and the state the message settled in.
    fn count(&mut self, outcome: &SendOutcome, settled: DeliveryState) {
        self.attempted += 1;
        match (outcome, settled) {
            (SendOutcome::Sent { .. }, _) => self.sent += 1,
            (SendOutcome::Rejected { .. }, _) => self.failed_permanent += 1,
            (SendOutcome::Ambiguous { .. }, _) => self.unknown += 1,
            (SendOutcome::Deferred { .. }, DeliveryState::FailedExhausted) => {
                self.failed_exhausted += 1;
            }
            (SendOutcome::Deferred { .. }, _) => self.deferred += 1,
        }
    }
}

impl<S: Storage> Issuer<S> {
    /// Marks every message left in `sending` by an interrupted run as `unknown`: it may have
    /// reached the server, so it is never sent again without [`Issuer::resend`]. Call it when
    /// a delivery process starts, while no other one runs.
    ///
    /// # Errors
    /// A store failure.
    pub fn recover(&mut self) -> Result<u64> {
        let stuck = self.store.messages(&MessageQuery {
            state: Some(DeliveryState::Sending),
            ..MessageQuery::default()
        })?;
        for m in &stuck {
            self.store
                .update_message(&m.interrupted()?, DeliveryState::Sending)?;
        }
        Ok(stuck.len() as u64)
    }

    /// Sends every due message, one at a time: each is marked `sending` and committed before
    /// the mailer sees it, and its outcome is committed before the next one. Messages
    /// deferred to a later time stay pending for a later run.
    ///
    /// `clock` is read before each claim and after each send; `limit` caps the attempts.
    ///
    /// # Errors
    /// A store failure (the message being sent stays `sending` and becomes `unknown` at
    /// the next [`Issuer::recover`]).
    pub fn deliver(
        &mut self,
        mailer: &mut dyn Mailer,
        clock: &mut dyn FnMut() -> DateTime<Utc>,
        limit: Option<u64>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<DeliveryReport> {
        let due = self.due_count(clock(), limit)?;
        let mut report = DeliveryReport::default();
        while limit.is_none_or(|l| report.attempted < l) {
            let Some(claimed) = self.store.claim_next(clock())? else {
                break;
            };
            let outgoing = OutgoingMessage::of(&claimed, &self.config.sender);
            let outcome = mailer.send(&outgoing);
            let settled = claimed.settle(&outcome, clock(), &self.config.retry)?;
            self.store
                .update_message(&settled, DeliveryState::Sending)?;
            report.count(&outcome, settled.state);
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

    /// What a delivery process does when it starts: [`Issuer::recover`], then
    /// [`Issuer::deliver`].
    ///
    /// # Errors
    /// As those two.
    pub fn recover_and_deliver(
        &mut self,
        mailer: &mut dyn Mailer,
        clock: &mut dyn FnMut() -> DateTime<Utc>,
        limit: Option<u64>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<DeliveryRun> {
        let recovered = self.recover()?;
        let delivery = self.deliver(mailer, clock, limit, progress)?;
        Ok(DeliveryRun {
            recovered,
            delivery,
        })
    }

    /// How many pending messages are due at `start`, at most `limit`: the run's expected
    /// total for progress reports.
    fn due_count(&self, start: DateTime<Utc>, limit: Option<u64>) -> Result<u64> {
        let due = self
            .store
            .messages(&MessageQuery {
                state: Some(DeliveryState::Pending),
                ..MessageQuery::default()
            })?
            .iter()
            .filter(|m| m.is_due(start))
            .count() as u64;
        Ok(limit.map_or(due, |l| due.min(l)))
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
