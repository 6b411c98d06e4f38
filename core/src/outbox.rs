//! The outbox: one queued email per published credential, and the states its delivery
//! moves through.
//!
//! ```text
//! pending ──claim──► sending ──2xx──────────────► sent
//!    ▲                  ├──5xx──────────────────► failed_permanent
//!    │                  ├──4xx / no connection ─► pending (later) … ► failed_exhausted
//!    │                  ├──timeout or drop after the data, or a crash ► unknown
//!    │                  └──recipient on the suppression list ──► failed_permanent (not sent)
//!    │            sent, unknown ──hard bounce or complaint reported later──► bounced
//!    └──────────── resend (explicit, same Message-ID) ◄── sent, failed_*, unknown, bounced
//! ```
//!
//! `bounced` is reached only from `sent` and `unknown`: a delivery status notification or a
//! complaint proves that the message reached a mail server, which settles an `unknown` too.
//! A report about a message in any other state (queued again by a resend, or refused while
//! it was being sent) leaves the state alone; the address is still suppressed, so a resend
//! is not sent either. A message on its way (`pending`, `sending`) is never changed by a
//! report, so a report can never race a claim.
//!
//! SMTP has no idempotency key, so no design delivers exactly once. This one loses nothing
//! and emails nobody twice, except in one recorded window: the message data was sent and
//! the server's reply never arrived (a timeout, a dropped connection, a crash). Such a
//! message becomes `unknown` and is never sent again on its own; a person decides, and a
//! resend reuses the Message-ID so that receiving systems can drop the copy.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::render::RenderedEmail;

/// Where a queued email is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting to be sent (again, after a temporary failure) from `next_attempt_at`.
    Pending,
    /// Handed to the mail server; the outcome is not yet recorded.
    Sending,
    /// The server accepted it.
    Sent,
    /// The server refused it for good (5xx).
    FailedPermanent,
    /// Temporary failures until the retry policy gave up.
    FailedExhausted,
    /// It may or may not have been delivered: the reply to the message data never came.
    Unknown,
    /// Accepted, then reported undeliverable for good (a hard bounce) or reported as
    /// unwanted by its recipient (a complaint).
    Bounced,
}

impl DeliveryState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Sending => "sending",
            DeliveryState::Sent => "sent",
            DeliveryState::FailedPermanent => "failed_permanent",
            DeliveryState::FailedExhausted => "failed_exhausted",
            DeliveryState::Unknown => "unknown",
            DeliveryState::Bounced => "bounced",
        }
    }

    /// Every state, in the order of the diagram.
    pub const ALL: [DeliveryState; 7] = [
        DeliveryState::Pending,
        DeliveryState::Sending,
        DeliveryState::Sent,
        DeliveryState::FailedPermanent,
        DeliveryState::FailedExhausted,
        DeliveryState::Unknown,
        DeliveryState::Bounced,
    ];

    /// Whether a bounce or complaint report may mark a message in this state `bounced`:
    /// only one the server took, or may have taken.
    pub fn may_bounce(self) -> bool {
        matches!(self, DeliveryState::Sent | DeliveryState::Unknown)
    }
}

/// Why an email is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// The credential was published.
    Issued,
    /// The credential was revoked (a notice the issuer asked for).
    Revoked,
    /// The credential expires soon (sent once, the group's `notices.expiring.days_before`
    /// days before its expiry date).
    Expiring,
    /// The credential has expired.
    Expired,
    /// The first reminder to view a credential not yet viewed.
    #[serde(rename = "reminder_1")]
    Reminder1,
    /// The second reminder.
    #[serde(rename = "reminder_2")]
    Reminder2,
    /// The third and last reminder.
    #[serde(rename = "reminder_3")]
    Reminder3,
}

impl MessageKind {
    /// Every kind.
    pub const ALL: [MessageKind; 7] = [
        MessageKind::Issued,
        MessageKind::Revoked,
        MessageKind::Expiring,
        MessageKind::Expired,
        MessageKind::Reminder1,
        MessageKind::Reminder2,
        MessageKind::Reminder3,
    ];

    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Issued => "issued",
            MessageKind::Revoked => "revoked",
            MessageKind::Expiring => "expiring",
            MessageKind::Expired => "expired",
            MessageKind::Reminder1 => "reminder_1",
            MessageKind::Reminder2 => "reminder_2",
            MessageKind::Reminder3 => "reminder_3",
        }
    }

    /// The kind a name gives, if any.
    pub fn parse(name: &str) -> Option<MessageKind> {
        MessageKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The `n`th reminder (1 to [`MAX_REMINDERS`]).
    pub fn reminder(n: u32) -> Option<MessageKind> {
        match n {
            1 => Some(MessageKind::Reminder1),
            2 => Some(MessageKind::Reminder2),
            3 => Some(MessageKind::Reminder3),
            _ => None,
        }
    }
}

pub use crate::group::MAX_REMINDERS;

/// What a mailer reports for one message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SendOutcome {
    /// Accepted (2xx), with the server's reply (often a queue id).
    Sent {
        /// The reply text.
        reply: String,
    },
    /// Refused for good: a 5xx reply, or a message the mailer cannot send at all (an address
    /// its mail library refuses).
    Rejected {
        /// The reply code, if the server answered.
        code: Option<u16>,
        /// The reply text.
        reply: String,
    },
    /// Not accepted this time, and surely not delivered: a 4xx reply, or a failure before
    /// the message data was sent (no connection, TLS, a refused sender).
    Deferred {
        /// The reply code, if the server answered.
        code: Option<u16>,
        /// The reply or the error.
        reply: String,
    },
    /// Perhaps delivered: the data was (or may have been) sent and no reply came.
    Ambiguous {
        /// What happened.
        reason: String,
    },
}

/// How long temporary failures are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RetryPolicy {
    /// Wait after the first temporary failure, in seconds; doubled after each further one.
    pub first_delay_secs: i64,
    /// Longest wait between attempts, in seconds.
    pub max_delay_secs: i64,
    /// Attempts in all before giving up.
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_delay_secs: 60,
            max_delay_secs: 3_600,
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempts + 1`, with up to 25% jitter taken from the
    /// message's id, so retries of many messages spread out without any randomness here.
    pub fn delay(&self, attempts: u32, message: &str) -> Duration {
        let doublings = attempts.saturating_sub(1).min(30);
        let base = self
            .first_delay_secs
            .max(0)
            .saturating_mul(1i64 << doublings)
            .min(self.max_delay_secs.max(0));
        let spread = xxhash_rust::xxh3::xxh3_64(format!("{message}:{attempts}").as_bytes()) % 1000;
        let jitter = base / 4 * i64::try_from(spread).unwrap_or(0) / 1000;
        Duration::seconds(base + jitter)
    }
}

/// Who holds a claimed message, and until when. A worker that claims a message holds it for
/// longer than its mailer can take to send it; recovery marks a `sending` message `unknown`
/// only once its lease has run out, so a delivery still in flight is never taken for a
/// crashed one. The fence is the message's `attempts`: each claim adds one, and a store
/// writes a change only over the attempt it was made from (see
/// [`Storage::update_message`](crate::storage::Storage::update_message)).
///
/// Leases are set and judged by the workers' clocks, as every time in the core is passed
/// in: machines sharing a store must keep their clocks within a small part of a lease
/// (NTP keeps them within a second; a lease is minutes long).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The worker's id, as the host names it (`host:pid:thread`): shown by status.
    pub worker: String,
    /// When the lease runs out.
    pub until: DateTime<Utc>,
}

/// One queued email.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// `<credential>:<kind>`: one message per credential and kind, the idempotency key.
    pub id: String,
    /// The credential announced.
    pub credential: String,
    /// Why it is sent.
    pub kind: MessageKind,
    /// The RFC 5322 Message-ID, stable across resends: `<id@sender-domain>`.
    pub message_id: String,
    /// The rendered message.
    pub email: RenderedEmail,
    /// Current state.
    pub state: DeliveryState,
    /// Attempts started.
    pub attempts: u32,
    /// When it was queued.
    pub queued_at: DateTime<Utc>,
    /// Earliest time of the next attempt (pending messages).
    pub next_attempt_at: DateTime<Utc>,
    /// When the last attempt started.
    pub last_attempt_at: Option<DateTime<Utc>>,
    /// When the server accepted it.
    pub sent_at: Option<DateTime<Utc>>,
    /// The last reply or error.
    pub last_result: Option<String>,
    /// Who holds it while it is `sending`; none in every other state, and on messages a
    /// release before leases left `sending`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease: Option<Lease>,
}

/// The outbox id of a credential's message of `kind`.
pub fn message_key(credential: &str, kind: MessageKind) -> String {
    format!("{credential}:{}", kind.as_str())
}

fn with_code(code: Option<u16>, reply: &str) -> String {
    match code {
        Some(code) => format!("{code} {reply}"),
        None => reply.to_owned(),
    }
}

fn illegal(message: &OutboxMessage, what: &str) -> Error {
    Error::new(
        ErrorKind::IllegalTransition,
        format!(
            "message `{}` is {} and cannot be {what}",
            message.id,
            message.state.as_str()
        ),
    )
}

impl OutboxMessage {
    /// A new pending message, due at once.
    pub fn queue(
        credential: &str,
        kind: MessageKind,
        email: RenderedEmail,
        sender_domain: &str,
        now: DateTime<Utc>,
    ) -> OutboxMessage {
        let id = message_key(credential, kind);
        OutboxMessage {
            message_id: format!("<{}.{}@{sender_domain}>", credential, kind.as_str()),
            id,
            credential: credential.to_owned(),
            kind,
            email,
            state: DeliveryState::Pending,
            attempts: 0,
            queued_at: now,
            next_attempt_at: now,
            last_attempt_at: None,
            sent_at: None,
            last_result: None,
            lease: None,
        }
    }

    /// Whether a pending message may be attempted at `now`.
    pub fn is_due(&self, now: DateTime<Utc>) -> bool {
        self.state == DeliveryState::Pending && self.next_attempt_at <= now
    }

    /// Starts an attempt: the state to commit *before* talking to the server.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless the message is pending.
    pub fn claim(&self, now: DateTime<Utc>, lease: &Lease) -> Result<OutboxMessage> {
        if self.state != DeliveryState::Pending {
            return Err(illegal(self, "sent"));
        }
        Ok(OutboxMessage {
            state: DeliveryState::Sending,
            attempts: self.attempts + 1,
            last_attempt_at: Some(now),
            lease: Some(lease.clone()),
            ..self.clone()
        })
    }

    /// Whether the lease of this `sending` message has run out at `now` (a message without
    /// one was left by a release before leases, and has).
    pub fn lease_expired(&self, now: DateTime<Utc>) -> bool {
        self.state == DeliveryState::Sending && self.lease.as_ref().is_none_or(|l| l.until <= now)
    }

    /// Gives a claimed message back unsent: its lease would run out before a send could
    /// finish. It is due again at once; the attempt stays counted.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless the message is sending.
    pub fn release(&self, now: DateTime<Utc>) -> Result<OutboxMessage> {
        if self.state != DeliveryState::Sending {
            return Err(illegal(self, "released"));
        }
        Ok(OutboxMessage {
            state: DeliveryState::Pending,
            next_attempt_at: now,
            last_result: Some("not sent: the lease was too short to finish a send".to_owned()),
            lease: None,
            ..self.clone()
        })
    }

    /// Records the outcome of the attempt in progress.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless the message is sending.
    pub fn settle(
        &self,
        outcome: &SendOutcome,
        now: DateTime<Utc>,
        policy: &RetryPolicy,
    ) -> Result<OutboxMessage> {
        if self.state != DeliveryState::Sending {
            return Err(illegal(self, "settled"));
        }
        let mut next = OutboxMessage {
            lease: None,
            ..self.clone()
        };
        match outcome {
            SendOutcome::Sent { reply } => {
                next.state = DeliveryState::Sent;
                next.sent_at = Some(now);
                next.last_result = Some(reply.clone());
            }
            SendOutcome::Rejected { code, reply } => {
                next.state = DeliveryState::FailedPermanent;
                next.last_result = Some(with_code(*code, reply));
            }
            SendOutcome::Deferred { code, reply } => {
                next.last_result = Some(with_code(*code, reply));
                if self.attempts >= policy.max_attempts {
                    next.state = DeliveryState::FailedExhausted;
                } else {
                    next.state = DeliveryState::Pending;
                    next.next_attempt_at = now + policy.delay(self.attempts, &self.id);
                }
            }
            SendOutcome::Ambiguous { reason } => {
                next.state = DeliveryState::Unknown;
                next.last_result = Some(reason.clone());
            }
        }
        Ok(next)
    }

    /// A message found in `sending` after a restart: its attempt may have reached the
    /// server, so it becomes `unknown`, never `pending`.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless the message is sending.
    pub fn interrupted(&self) -> Result<OutboxMessage> {
        if self.state != DeliveryState::Sending {
            return Err(illegal(self, "marked interrupted"));
        }
        Ok(OutboxMessage {
            state: DeliveryState::Unknown,
            lease: None,
            last_result: Some(
                "the attempt was interrupted before its outcome was recorded; the message may have been delivered"
                    .to_owned(),
            ),
            ..self.clone()
        })
    }

    /// A claimed message whose recipient is on the suppression list: it is not sent, and is
    /// settled `failed_permanent` with `why` (the list's reason) as its result.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless the message is sending.
    pub fn suppressed(&self, why: &str) -> Result<OutboxMessage> {
        if self.state != DeliveryState::Sending {
            return Err(illegal(self, "suppressed"));
        }
        Ok(OutboxMessage {
            state: DeliveryState::FailedPermanent,
            lease: None,
            last_result: Some(format!("not sent: {why}")),
            ..self.clone()
        })
    }

    /// A hard bounce or a complaint reported after the message was accepted: it becomes
    /// `bounced` with `reason` as its result.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless the message is sent or unknown
    /// ([`DeliveryState::may_bounce`]).
    pub fn bounce(&self, reason: &str) -> Result<OutboxMessage> {
        if !self.state.may_bounce() {
            return Err(illegal(self, "marked bounced"));
        }
        Ok(OutboxMessage {
            state: DeliveryState::Bounced,
            last_result: Some(reason.to_owned()),
            ..self.clone()
        })
    }

    /// A report that changes no state (a soft bounce) recorded as the message's result. The
    /// state stays as it is; a message on its way (`pending`, `sending`) is not touched,
    /// since its result belongs to the attempt in progress.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] for a message pending or being sent.
    pub fn noted(&self, result: &str) -> Result<OutboxMessage> {
        if matches!(self.state, DeliveryState::Pending | DeliveryState::Sending) {
            return Err(illegal(self, "annotated"));
        }
        Ok(OutboxMessage {
            last_result: Some(result.to_owned()),
            ..self.clone()
        })
    }

    /// An explicit resend: the message is due again, with the same Message-ID.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] for a message pending or being sent.
    pub fn resend(&self, now: DateTime<Utc>) -> Result<OutboxMessage> {
        if matches!(self.state, DeliveryState::Pending | DeliveryState::Sending) {
            return Err(illegal(self, "resent"));
        }
        Ok(OutboxMessage {
            state: DeliveryState::Pending,
            next_attempt_at: now,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn message() -> OutboxMessage {
        let email = RenderedEmail {
            to_name: "Ana".into(),
            to_email: "ana@example.org".into(),
            subject: "s".into(),
            html: "h".into(),
            text: "t".into(),
        };
        OutboxMessage::queue("C1", MessageKind::Issued, email, "example.org", t0())
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn lease() -> Lease {
        Lease {
            worker: "w1".into(),
            until: t0() + Duration::minutes(10),
        }
    }

    #[test]
    fn each_reply_lands_in_its_state() {
        let policy = RetryPolicy::default();
        let m = message();
        assert_eq!(m.id, "C1:issued");
        assert_eq!(m.message_id, "<C1.issued@example.org>");
        let sending = m.claim(t0(), &lease()).unwrap();
        assert_eq!(
            (sending.state, sending.attempts),
            (DeliveryState::Sending, 1)
        );
        assert!(
            m.settle(&SendOutcome::Sent { reply: "ok".into() }, t0(), &policy)
                .is_err()
        );
        let cases = [
            (
                SendOutcome::Sent {
                    reply: "250 queued".into(),
                },
                DeliveryState::Sent,
            ),
            (
                SendOutcome::Rejected {
                    code: Some(550),
                    reply: "no such user".into(),
                },
                DeliveryState::FailedPermanent,
            ),
            (
                SendOutcome::Deferred {
                    code: Some(451),
                    reply: "try later".into(),
                },
                DeliveryState::Pending,
            ),
            (
                SendOutcome::Deferred {
                    code: None,
                    reply: "connection refused".into(),
                },
                DeliveryState::Pending,
            ),
            (
                SendOutcome::Ambiguous {
                    reason: "timeout after data".into(),
                },
                DeliveryState::Unknown,
            ),
        ];
        for (outcome, state) in cases {
            let next = sending.settle(&outcome, t0(), &policy).unwrap();
            assert_eq!(next.state, state, "{outcome:?}");
            assert_eq!(next.message_id, m.message_id);
        }
    }

    #[test]
    fn temporary_failures_back_off_then_give_up() {
        let policy = RetryPolicy {
            first_delay_secs: 60,
            max_delay_secs: 600,
            max_attempts: 4,
        };
        let deferred = SendOutcome::Deferred {
            code: Some(421),
            reply: "busy".into(),
        };
        let mut m = message();
        let mut now = t0();
        let mut waits = Vec::new();
        loop {
            assert!(m.is_due(now));
            let next = m
                .claim(now, &lease())
                .unwrap()
                .settle(&deferred, now, &policy)
                .unwrap();
            if next.state == DeliveryState::FailedExhausted {
                assert_eq!(next.attempts, 4);
                break;
            }
            let wait = next.next_attempt_at - now;
            assert!(!next.is_due(now + wait - Duration::seconds(1)));
            waits.push(wait.num_seconds());
            now += wait;
            m = next;
        }
        assert_eq!(waits.len(), 3);
        for (wait, base) in waits.iter().zip([60, 120, 240]) {
            assert!((base..=base + base / 4).contains(wait), "{waits:?}");
        }
        assert!(policy.delay(20, "x").num_seconds() <= 750);
    }

    #[test]
    fn only_sent_or_unknown_messages_bounce_and_a_suppressed_claim_is_not_sent() {
        let policy = RetryPolicy::default();
        let m = message();
        assert!(m.bounce("5.1.1").is_err());
        let claimed = m.claim(t0(), &lease()).unwrap();
        assert!(claimed.bounce("5.1.1").is_err());
        assert!(claimed.noted("4.2.2").is_err());
        let sent = claimed
            .settle(
                &SendOutcome::Sent {
                    reply: "250".into(),
                },
                t0(),
                &policy,
            )
            .unwrap();
        let bounced = sent.bounce("bounced: 5.1.1 no such user").unwrap();
        assert_eq!(bounced.state, DeliveryState::Bounced);
        assert_eq!(
            bounced.last_result.as_deref(),
            Some("bounced: 5.1.1 no such user")
        );
        assert!(bounced.bounce("again").is_err());
        let unknown = claimed.interrupted().unwrap();
        assert_eq!(unknown.bounce("x").unwrap().state, DeliveryState::Bounced);
        let noted = sent.noted("soft bounce 4.2.2").unwrap();
        assert_eq!(
            (noted.state, noted.last_result.as_deref()),
            (DeliveryState::Sent, Some("soft bounce 4.2.2"))
        );
        // A bounced message may be resent explicitly; the suppression check stops the send.
        assert!(bounced.resend(t0()).unwrap().is_due(t0()));
        let skipped = claimed
            .suppressed("ana@example.org is suppressed (hard_bounce)")
            .unwrap();
        assert_eq!(skipped.state, DeliveryState::FailedPermanent);
        assert_eq!(skipped.lease, None);
        assert_eq!(
            skipped.last_result.as_deref(),
            Some("not sent: ana@example.org is suppressed (hard_bounce)")
        );
        assert!(m.suppressed("x").is_err());
    }

    #[test]
    fn interrupted_attempts_are_unknown_and_only_a_resend_retries() {
        let m = message();
        assert!(m.interrupted().is_err());
        let unknown = m.claim(t0(), &lease()).unwrap().interrupted().unwrap();
        assert_eq!(unknown.state, DeliveryState::Unknown);
        assert!(!unknown.is_due(t0() + Duration::days(365)));
        assert!(m.resend(t0()).is_err());
        let again = unknown.resend(t0()).unwrap();
        assert!(again.is_due(t0()));
        assert_eq!(again.message_id, m.message_id);
    }

    #[test]
    fn a_lease_is_held_until_it_runs_out_and_a_release_gives_the_message_back() {
        let policy = RetryPolicy::default();
        let claimed = message().claim(t0(), &lease()).unwrap();
        assert_eq!(claimed.lease, Some(lease()));
        assert!(!claimed.lease_expired(t0() + Duration::minutes(9)));
        assert!(claimed.lease_expired(t0() + Duration::minutes(10)));
        // A message left `sending` by a release before leases has none, and is expired.
        let legacy = OutboxMessage {
            lease: None,
            ..claimed.clone()
        };
        assert!(legacy.lease_expired(t0()));
        let sent = claimed
            .settle(
                &SendOutcome::Sent {
                    reply: "250".into(),
                },
                t0(),
                &policy,
            )
            .unwrap();
        assert_eq!((sent.lease_expired(t0()), sent.lease), (false, None));
        let back = claimed.release(t0()).unwrap();
        assert_eq!(
            (back.state, back.attempts, back.is_due(t0())),
            (DeliveryState::Pending, 1, true)
        );
        assert_eq!(back.lease, None);
        assert!(back.release(t0()).is_err());
    }
}
