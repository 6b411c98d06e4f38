//! Bounces and complaints: reports read by [`crate::bounce`] matched to the messages we sent,
//! and the suppression list every send consults.
//!
//! A hard bounce (action `failed`, status 5.x.x) or a complaint about a message we sent puts
//! its recipient on the suppression list, then marks the message `bounced` when it is `sent`
//! or `unknown`. The address is suppressed first: a run stopped between the two writes is
//! finished by processing the same report again, which changes nothing already done. A soft
//! bounce is written as the message's result and suppresses nothing; a delay, a delivery
//! and a report about a message we never sent change nothing and are reported.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::bounce::{self, Notice, RecipientReport, ReportKind, Verdict};
use crate::error::{Error, ErrorKind, Result};
use crate::events::EventKind;
use crate::outbox::{DeliveryState, MessageKind, OutboxMessage, message_key};
use crate::storage::{Storage, Suppression, SuppressionReason, email_key};

use super::Issuer;

/// What processing one report did (or, in a dry run, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceEffect {
    /// The message is now `bounced` and its recipient suppressed.
    Bounced,
    /// The message was `bounced` already (the report was processed before); its recipient
    /// is suppressed.
    AlreadyBounced,
    /// A hard bounce or complaint about a message that is not `sent` or `unknown` (it was
    /// queued again, or failed): its state stays, its recipient is suppressed.
    Suppressed,
    /// A soft bounce, recorded as the message's result; nothing suppressed.
    SoftBounce,
    /// Not delivered yet and still tried by the reporting server: nothing changes.
    Delayed,
    /// Delivered, relayed, expanded, or no action given: nothing changes.
    NoChange,
    /// About no message we sent: nothing changes.
    Unmatched,
    /// Not a report that can be read: nothing changes.
    Unreadable,
}

impl BounceEffect {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            BounceEffect::Bounced => "bounced",
            BounceEffect::AlreadyBounced => "already_bounced",
            BounceEffect::Suppressed => "suppressed",
            BounceEffect::SoftBounce => "soft_bounce",
            BounceEffect::Delayed => "delayed",
            BounceEffect::NoChange => "no_change",
            BounceEffect::Unmatched => "unmatched",
            BounceEffect::Unreadable => "unreadable",
        }
    }
}

/// One report and what it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BounceOutcome {
    /// Where the report came from, as the caller named it (an mbox's messages are
    /// `name#1`, `name#2`, ...).
    pub source: String,
    /// What it did.
    pub effect: BounceEffect,
    /// A delivery status notification or a complaint; none when unreadable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ReportKind>,
    /// What the report means for the recipient it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
    /// The Message-ID it was matched by, or the first it names when unmatched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// The credential whose message it is about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
    /// The address the report is about: the matched message's recipient, else the reported
    /// address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// The reported status (`5.1.1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The remote server's words, or a complaint's feedback type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostic: Option<String>,
    /// Whether the recipient was put on the suppression list by this report (false when it
    /// was there already).
    pub newly_suppressed: bool,
    /// The message's state after the report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<DeliveryState>,
    /// Why the report could not be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// What processing a set of reports did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BounceRun {
    /// Nothing was written.
    pub dry_run: bool,
    /// Reports by effect (every effect present).
    pub counts: BTreeMap<String, u64>,
    /// Each report, in the order given.
    pub reports: Vec<BounceOutcome>,
}

/// A report's source and bytes, as given to [`Issuer::process_bounces`].
#[derive(Debug, Clone, Copy)]
pub struct ReportBytes<'a> {
    /// Its name in the outcome (a file name).
    pub source: &'a str,
    /// One message (an `.eml` file) or an mbox of several.
    pub bytes: &'a [u8],
}

const ALL_EFFECTS: [BounceEffect; 8] = [
    BounceEffect::Bounced,
    BounceEffect::AlreadyBounced,
    BounceEffect::Suppressed,
    BounceEffect::SoftBounce,
    BounceEffect::Delayed,
    BounceEffect::NoChange,
    BounceEffect::Unmatched,
    BounceEffect::Unreadable,
];

/// The outbox id a Message-ID of ours (`<credential.kind@domain>`) names, if it is one.
fn message_of(message_id: &str) -> Option<String> {
    let inner = message_id.strip_prefix('<')?.strip_suffix('>')?;
    let (local, _) = inner.split_once('@')?;
    let (credential, kind) = local.rsplit_once('.')?;
    let kind = MessageKind::parse(kind)?;
    (!credential.is_empty()).then(|| message_key(credential, kind))
}

/// Whether two Message-IDs are the same: the part before `@` exactly, the domain without case.
fn same_message_id(a: &str, b: &str) -> bool {
    match (a.split_once('@'), b.split_once('@')) {
        (Some((la, da)), Some((lb, db))) => la == lb && da.eq_ignore_ascii_case(db),
        _ => a == b,
    }
}

/// Ranks verdicts: the one that changes most first.
fn weight(v: Verdict) -> u8 {
    match v {
        Verdict::HardBounce => 0,
        Verdict::Complaint => 1,
        Verdict::SoftBounce => 2,
        Verdict::Delayed => 3,
        Verdict::Delivered => 4,
        Verdict::Unclear => 5,
    }
}

/// The part of a notice about `address` (our recipient), else the one that changes most.
fn pick<'n>(notice: &'n Notice, address: Option<&str>) -> Option<&'n RecipientReport> {
    let key = address.map(email_key);
    let mine = notice.recipients.iter().find(|r| {
        key.as_ref().is_some_and(|k| {
            [
                r.final_recipient.as_deref(),
                r.original_recipient.as_deref(),
            ]
            .into_iter()
            .flatten()
            .any(|a| email_key(a) == *k)
        })
    });
    mine.or_else(|| {
        notice
            .recipients
            .iter()
            .min_by_key(|r| weight(r.verdict(notice.kind)))
    })
}

impl<S: Storage> Issuer<S> {
    /// Reads bounce and complaint reports and applies them at `now`: each source is one
    /// message, or an mbox ([`bounce::is_mbox`]) whose messages are read one by one. With
    /// `dry_run` nothing is written and each outcome says what would have happened.
    ///
    /// Processing the same report again changes nothing more: a bounced message stays as it
    /// is, an address is suppressed once (its first entry kept), a soft bounce's result is
    /// written only when it differs.
    ///
    /// # Errors
    /// A store failure; a report that cannot be read is an outcome
    /// ([`BounceEffect::Unreadable`]), not an error.
    pub fn process_bounces(
        &mut self,
        sources: &[ReportBytes<'_>],
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<BounceRun> {
        let mut run = BounceRun {
            dry_run,
            counts: ALL_EFFECTS
                .iter()
                .map(|e| (e.as_str().to_owned(), 0))
                .collect(),
            reports: Vec::new(),
        };
        for source in sources {
            if bounce::is_mbox(source.bytes) {
                for (i, message) in bounce::split_mbox(source.bytes).into_iter().enumerate() {
                    let name = format!("{}#{}", source.source, i + 1);
                    run.reports
                        .push(self.process_bounce(&name, message, now, dry_run)?);
                }
            } else {
                run.reports
                    .push(self.process_bounce(source.source, source.bytes, now, dry_run)?);
            }
        }
        for r in &run.reports {
            *run.counts.entry(r.effect.as_str().to_owned()).or_default() += 1;
        }
        Ok(run)
    }

    /// Reads one report and applies it (see [`Issuer::process_bounces`]).
    ///
    /// # Errors
    /// A store failure.
    pub fn process_bounce(
        &mut self,
        source: &str,
        bytes: &[u8],
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<BounceOutcome> {
        let mut outcome = BounceOutcome {
            source: source.to_owned(),
            effect: BounceEffect::Unreadable,
            kind: None,
            verdict: None,
            message_id: None,
            credential: None,
            recipient: None,
            status: None,
            diagnostic: None,
            newly_suppressed: false,
            state: None,
            error: None,
        };
        let notice = match bounce::parse(bytes) {
            Ok(notice) => notice,
            Err(e) => {
                outcome.error = Some(e.message().to_owned());
                return Ok(outcome);
            }
        };
        outcome.kind = Some(notice.kind);
        outcome.message_id = notice.message_ids.first().cloned();
        let message = self.matched(&notice)?;
        let report = pick(&notice, message.as_ref().map(|m| m.email.to_email.as_str()));
        let verdict = report.map_or(
            if notice.kind == ReportKind::Complaint {
                Verdict::Complaint
            } else {
                Verdict::Unclear
            },
            |r| r.verdict(notice.kind),
        );
        outcome.verdict = Some(verdict);
        outcome.status = report.and_then(|r| r.status.clone());
        outcome.diagnostic = match notice.kind {
            ReportKind::Complaint => notice.feedback_type.clone(),
            ReportKind::DeliveryStatus => report.and_then(|r| r.diagnostic.clone()),
        };
        outcome.recipient = report.and_then(|r| r.address().map(str::to_owned));
        let Some(message) = message else {
            outcome.effect = BounceEffect::Unmatched;
            return Ok(outcome);
        };
        outcome.message_id = Some(message.message_id.clone());
        outcome.credential = Some(message.credential.clone());
        outcome.recipient = Some(message.email.to_email.clone());
        outcome.state = Some(message.state);
        match verdict {
            Verdict::HardBounce | Verdict::Complaint => {
                let why = match (verdict, report) {
                    (Verdict::Complaint, _) => format!(
                        "complaint: {}",
                        notice.feedback_type.as_deref().unwrap_or("abuse")
                    ),
                    (_, Some(r)) => format!("bounced: {}", r.summary()),
                    (_, None) => "bounced".to_owned(),
                };
                self.hard(&mut outcome, message, verdict, &why, now, dry_run)?;
            }
            Verdict::SoftBounce => {
                let why = format!(
                    "soft bounce: {}",
                    report.map_or_else(|| "no status given".to_owned(), RecipientReport::summary)
                );
                outcome.effect = BounceEffect::SoftBounce;
                let unchanged = message.last_result.as_deref() == Some(why.as_str());
                if !dry_run
                    && !unchanged
                    && let Ok(noted) = message.noted(&why)
                {
                    // A message changed meanwhile keeps its newer result.
                    match self.store.update_message(&noted, message.state) {
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::Conflict => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Verdict::Delayed => outcome.effect = BounceEffect::Delayed,
            Verdict::Delivered | Verdict::Unclear => outcome.effect = BounceEffect::NoChange,
        }
        Ok(outcome)
    }

    /// A hard bounce or complaint about `message`: its recipient suppressed, then the
    /// message bounced if it may be.
    fn hard(
        &mut self,
        outcome: &mut BounceOutcome,
        message: OutboxMessage,
        verdict: Verdict,
        why: &str,
        now: DateTime<Utc>,
        dry_run: bool,
    ) -> Result<()> {
        let entry = Suppression {
            email: message.email.to_email.clone(),
            reason: if verdict == Verdict::Complaint {
                SuppressionReason::Complaint
            } else {
                SuppressionReason::HardBounce
            },
            at: now,
            detail: Some(format!("{why} ({})", message.message_id)),
        };
        outcome.newly_suppressed = if dry_run {
            self.store.suppression(&entry.email)?.is_none()
        } else {
            self.store.suppress(&entry)?
        };
        let mut current = message;
        // A message changed by a worker between the read and the write is read again.
        for _ in 0..3 {
            if current.state == DeliveryState::Bounced {
                outcome.effect = BounceEffect::AlreadyBounced;
                outcome.state = Some(current.state);
                return Ok(());
            }
            let Ok(bounced) = current.bounce(why) else {
                outcome.effect = BounceEffect::Suppressed;
                outcome.state = Some(current.state);
                return Ok(());
            };
            if dry_run {
                outcome.effect = BounceEffect::Bounced;
                outcome.state = Some(DeliveryState::Bounced);
                return Ok(());
            }
            match self.store.update_message(&bounced, current.state) {
                Ok(()) => {
                    outcome.effect = BounceEffect::Bounced;
                    outcome.state = Some(DeliveryState::Bounced);
                    if let Some(credential) = self.store.credential(&bounced.credential)? {
                        self.record(std::slice::from_ref(&credential), EventKind::Bounced, now);
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Conflict => {}
                Err(e) => return Err(e),
            }
            let Some(fresh) = self.store.message(&current.id)? else {
                break;
            };
            current = fresh;
        }
        Err(Error::new(
            ErrorKind::Conflict,
            format!(
                "message `{}` kept changing while its bounce was recorded; process the report again",
                current.id
            ),
        ))
    }

    /// The message of ours a notice is about: the first of its Message-IDs that names a
    /// stored message with exactly that Message-ID.
    fn matched(&self, notice: &Notice) -> Result<Option<OutboxMessage>> {
        for id in &notice.message_ids {
            let Some(key) = message_of(id) else {
                continue;
            };
            if let Some(m) = self.store.message(&key)?
                && same_message_id(&m.message_id, id)
            {
                return Ok(Some(m));
            }
        }
        Ok(None)
    }

    /// Puts an address on the suppression list by hand (reason `manual` unless given) at
    /// `now`. Returns whether it was added (false: it was listed already, and its entry is
    /// kept).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for something that is not an email address; a store
    /// failure.
    pub fn suppress(
        &mut self,
        email: &str,
        reason: SuppressionReason,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let email = crate::values::email::check(email).map_err(|p| {
            Error::new(
                ErrorKind::InvalidValue,
                format!("`{email}` is not an email address: {}", p.message),
            )
        })?;
        self.store.suppress(&Suppression {
            email,
            reason,
            at: now,
            detail: detail.map(str::to_owned),
        })
    }

    /// Takes an address off the suppression list; returns whether it was listed. Messages
    /// not sent because of it stay `failed_permanent` until resent.
    ///
    /// # Errors
    /// A store failure.
    pub fn unsuppress(&mut self, email: &str) -> Result<bool> {
        self.store.unsuppress(email)
    }

    /// The suppression list, by address.
    ///
    /// # Errors
    /// A store failure.
    pub fn suppressions(&self) -> Result<Vec<Suppression>> {
        self.store.suppressions()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_message_ids_name_their_outbox_message() {
        assert_eq!(
            message_of("<C1.issued@example.org>").as_deref(),
            Some("C1:issued")
        );
        assert_eq!(
            message_of("<a.b.issued@example.org>").as_deref(),
            Some("a.b:issued")
        );
        assert_eq!(message_of("<C1.other@example.org>"), None);
        assert_eq!(
            message_of("<C1.reminder_2@example.org>").as_deref(),
            Some("C1:reminder_2")
        );
        assert_eq!(message_of("<C1.nothing@example.org>"), None);
        assert_eq!(message_of("<.issued@example.org>"), None);
        assert_eq!(message_of("C1.issued@example.org"), None);
        assert!(same_message_id(
            "<C1.issued@Example.ORG>",
            "<C1.issued@example.org>"
        ));
        assert!(!same_message_id(
            "<c1.issued@example.org>",
            "<C1.issued@example.org>"
        ));
    }
}
