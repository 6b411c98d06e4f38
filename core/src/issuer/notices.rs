//! The follow-up emails of published credentials: revocation and expiry notices, warnings
//! before expiry and reminders to view a credential. Each is queued in the outbox at most
//! once per credential and kind ([`Storage::queue_messages`]), so a scheduler may run these
//! as often as it likes, several at once, or again after being killed midway: nobody gets a
//! notice twice. Delivery is the outbox's, as for the email announcing a credential.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::events::EventKind;
use crate::group::Group;
use crate::lifecycle::{Credential, CredentialState, EventKind as HistoryEvent};
use crate::outbox::{DeliveryState, MessageKind, OutboxMessage};
use crate::render::{NoticeFields, NoticeKind, Renderer};
use crate::storage::{CredentialQuery, MessageQuery, Storage};

use super::{Issuer, Refused};

/// What a run of notices did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeOutcome {
    /// Outbox ids of the messages queued now (`<credential>:<kind>`).
    pub queued: Vec<String>,
    /// Credentials that had this notice queued before: nothing is done again.
    pub already_queued: Vec<String>,
    /// Credentials left without their notice, each with the reason (not in the state the
    /// notice is about, or an email that cannot be rendered).
    pub refused: Vec<Refused>,
}

/// A group's latest version and the renderer of one of its notices, compiled once per run;
/// none when the group does not send that notice.
struct Notifier {
    group: Group,
    renderer: Option<Renderer>,
}

/// What a scheduled expiry run did ([`Issuer::expire_and_notify`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpireOutcome {
    /// The date the run took as today.
    pub today: Option<NaiveDate>,
    /// Credentials marked expired now.
    pub expired: Vec<String>,
    /// Their expiry notices (groups with `notices.expired`).
    pub expired_notices: NoticeOutcome,
    /// Warnings before expiry (groups with `notices.expiring`).
    pub warnings: NoticeOutcome,
}

impl<S: Storage> Issuer<S> {
    /// What a scheduler runs once a day: marks the credentials past their expiry date
    /// expired ([`Issuer::expire_before`]), queues their expiry notices
    /// ([`Issuer::notify_expired`]) and the warnings before expiry
    /// ([`Issuer::warn_expiring`]). Run again the same day, it does nothing twice.
    ///
    /// # Errors
    /// A group or store error; what was done before it stays done.
    pub fn expire_and_notify(
        &mut self,
        today: NaiveDate,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ExpireOutcome> {
        let expired = self.expire_before(today, actor, now)?;
        let expired_notices = self.notify_expired(&expired, now)?;
        let warnings = self.warn_expiring(today, now)?;
        Ok(ExpireOutcome {
            today: Some(today),
            expired,
            expired_notices,
            warnings,
        })
    }

    /// Queues the revocation notices of a revocation's credentials, those revoked now and
    /// those revoked before (each is told once, whenever it was revoked), into
    /// `outcome.notices`.
    ///
    /// # Errors
    /// As [`Issuer::notify_revoked`].
    pub fn notify_revocations(
        &mut self,
        outcome: &mut super::RevokeOutcome,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut ids = outcome.revoked.clone();
        ids.extend(outcome.already_revoked.iter().cloned());
        outcome.notices = Some(self.notify_revoked(&ids, now)?);
        Ok(())
    }

    /// Queues the revocation notice of each revoked credential `ids` names, with the
    /// reason given when it was revoked, in the wording of its group's `notices.revoked`
    /// (the library's where the group gives none).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id, before anything is queued; a group or
    /// store error. A credential that is not revoked is refused, the rest are queued.
    pub fn notify_revoked(&mut self, ids: &[String], now: DateTime<Utc>) -> Result<NoticeOutcome> {
        self.notify_named(ids, NoticeKind::Revoked, now)
    }

    /// Queues the expiry notice of each expired credential `ids` names whose group has
    /// `notices.expired`; those of other groups are left out. [`Issuer::expire_before`]
    /// gives the ids a scheduler passes here.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id, before anything is queued; a group or
    /// store error.
    pub fn notify_expired(&mut self, ids: &[String], now: DateTime<Utc>) -> Result<NoticeOutcome> {
        self.notify_named(ids, NoticeKind::Expired, now)
    }

    /// Queues `notice` (revoked or expired) for each credential `ids` names that is in the
    /// state it tells of; the others are refused.
    fn notify_named(
        &mut self,
        ids: &[String],
        notice: NoticeKind,
        now: DateTime<Utc>,
    ) -> Result<NoticeOutcome> {
        let (state, kind) = match notice {
            NoticeKind::Revoked => (CredentialState::Revoked, MessageKind::Revoked),
            NoticeKind::Expired => (CredentialState::Expired, MessageKind::Expired),
            NoticeKind::Expiring | NoticeKind::Reminder => {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "the {} notice is not sent for named credentials",
                        notice.as_str()
                    ),
                ));
            }
        };
        let mut credentials = Vec::with_capacity(ids.len());
        for id in ids {
            credentials.push(self.get(id)?);
        }
        let mut outcome = NoticeOutcome::default();
        let mut notifiers = BTreeMap::new();
        let mut pending = Vec::new();
        for credential in credentials {
            if credential.state != state {
                outcome.refused.push(not_about(&credential, state.as_str()));
                continue;
            }
            let fields = NoticeFields {
                reason: revocation_reason(&credential),
                days_left: None,
            };
            self.render_notice(
                &mut notifiers,
                &credential,
                notice,
                kind,
                &fields,
                now,
                &mut pending,
                &mut outcome,
            )?;
        }
        self.queue_pending(pending, &mut outcome)?;
        Ok(outcome)
    }

    /// Queues the warning before expiry of every published credential of a group with
    /// `notices.expiring` whose expiry date is from `today` to `days_before` days after it.
    /// Dates are dates: a scheduler passes its own `today`, so a credential expiring on
    /// 2 April with a 30-day warning is warned from 3 March in the issuer's time zone.
    ///
    /// # Errors
    /// A group or store error.
    pub fn warn_expiring(&mut self, today: NaiveDate, now: DateTime<Utc>) -> Result<NoticeOutcome> {
        let mut outcome = NoticeOutcome::default();
        for stored in self.groups()? {
            let Some(expiring) = stored.group.notices.expiring.clone() else {
                continue;
            };
            let Some(last) =
                today.checked_add_days(chrono::Days::new(u64::from(expiring.days_before)))
            else {
                continue;
            };
            let mut notifiers = BTreeMap::new();
            let mut pager = super::query::Pager::new(
                CredentialQuery {
                    group: Some(stored.key.clone()),
                    state: Some(CredentialState::Published),
                    ..CredentialQuery::default()
                },
                1_000,
            );
            loop {
                let page = pager.next(&self.store)?;
                if page.is_empty() {
                    break;
                }
                let mut pending = Vec::new();
                for credential in page {
                    let Some(expires) = credential.expires_on else {
                        continue;
                    };
                    if expires < today || expires > last {
                        continue;
                    }
                    let fields = NoticeFields {
                        reason: None,
                        days_left: Some((expires - today).num_days()),
                    };
                    self.render_notice(
                        &mut notifiers,
                        &credential,
                        NoticeKind::Expiring,
                        MessageKind::Expiring,
                        &fields,
                        now,
                        &mut pending,
                        &mut outcome,
                    )?;
                }
                self.queue_pending(pending, &mut outcome)?;
            }
        }
        Ok(outcome)
    }

    /// Queues reminders to the recipients of published credentials of groups with
    /// `notices.reminder` whose page no one has viewed: the first `after_days` days after
    /// the credential's email was accepted by the mail server, each next one `after_days`
    /// after the one before was, at most `max` per credential. A reminder still waiting to
    /// be sent holds the next one back.
    ///
    /// # Errors
    /// A group or store error.
    pub fn remind(&mut self, now: DateTime<Utc>) -> Result<NoticeOutcome> {
        let mut outcome = NoticeOutcome::default();
        let groups: BTreeMap<String, crate::group::ReminderNotice> = self
            .groups()?
            .into_iter()
            .filter_map(|g| g.group.notices.reminder.map(|r| (g.key, r)))
            .collect();
        if groups.is_empty() {
            return Ok(outcome);
        }
        // Every credential's messages: which were sent, and when.
        let mut sent: BTreeMap<String, Vec<OutboxMessage>> = BTreeMap::new();
        for m in self.store.messages(&MessageQuery::default())? {
            sent.entry(m.credential.clone()).or_default().push(m);
        }
        let due: Vec<(String, NextReminder)> = sent
            .iter()
            .filter_map(|(credential, messages)| {
                next_reminder(messages).map(|next| (credential.clone(), next))
            })
            .collect();
        let viewed = self.store.credentials_with_event(
            EventKind::Viewed,
            &due.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
        )?;
        let mut notifiers = BTreeMap::new();
        let mut pending = Vec::new();
        for (id, next) in due {
            if viewed.contains(&id) {
                continue;
            }
            let Some(credential) = self.store.credential(&id)? else {
                continue;
            };
            let Some(policy) = groups.get(&credential.group) else {
                continue;
            };
            if credential.state != CredentialState::Published {
                continue;
            }
            let wait = chrono::Duration::days(i64::from(policy.after_days));
            if next.number > policy.max || now - next.after < wait {
                continue;
            }
            self.render_notice(
                &mut notifiers,
                &credential,
                NoticeKind::Reminder,
                next.kind,
                &NoticeFields::default(),
                now,
                &mut pending,
                &mut outcome,
            )?;
            if pending.len() >= super::PUBLISH_CHUNK {
                self.queue_pending(std::mem::take(&mut pending), &mut outcome)?;
            }
        }
        self.queue_pending(pending, &mut outcome)?;
        Ok(outcome)
    }

    /// Renders one notice into `pending`, or its refusal into `outcome`; nothing when the
    /// credential's group does not send it. Notices are worded as the group is now (its
    /// latest version), each group's renderer compiled once into `notifiers`.
    #[allow(
        clippy::too_many_arguments,
        reason = "one step of several loops, kept in one place"
    )]
    fn render_notice(
        &self,
        notifiers: &mut BTreeMap<String, Notifier>,
        credential: &Credential,
        notice: NoticeKind,
        kind: MessageKind,
        fields: &NoticeFields,
        now: DateTime<Utc>,
        pending: &mut Vec<OutboxMessage>,
        outcome: &mut NoticeOutcome,
    ) -> Result<()> {
        if !notifiers.contains_key(&credential.group) {
            let group = self.group(&credential.group, None)?.group;
            let renderer = notice
                .sent_for(&group)
                .then(|| Renderer::for_notice(&group, notice, &self.config.base_url))
                .transpose()?;
            notifiers.insert(credential.group.clone(), Notifier { group, renderer });
        }
        let Some(Notifier {
            renderer: Some(renderer),
            group,
        }) = notifiers.get(&credential.group)
        else {
            return Ok(());
        };
        match renderer.render_with(&credential.merge_fields(), fields) {
            Ok(email) => pending.push(OutboxMessage::queue(
                &credential.id,
                kind,
                email,
                &self.sender_domain,
                now,
            )),
            Err(e) => outcome.refused.push(Refused {
                id: credential.id.clone(),
                code: e.kind().as_str().to_owned(),
                message: format!(
                    "the {} notice of credential `{}` ({}) cannot be rendered: {e}",
                    notice.as_str(),
                    credential.id,
                    group.name
                ),
            }),
        }
        Ok(())
    }

    /// Queues what was rendered; each one there already goes to `already_queued`.
    fn queue_pending(
        &mut self,
        messages: Vec<OutboxMessage>,
        outcome: &mut NoticeOutcome,
    ) -> Result<()> {
        if messages.is_empty() {
            return Ok(());
        }
        let added: BTreeSet<String> = self.store.queue_messages(&messages)?.into_iter().collect();
        for m in messages {
            if added.contains(&m.id) {
                outcome.queued.push(m.id);
            } else {
                outcome.already_queued.push(m.credential);
            }
        }
        Ok(())
    }
}

/// The refusal of a notice about a state the credential is not in.
fn not_about(credential: &Credential, state: &str) -> Refused {
    Refused {
        id: credential.id.clone(),
        code: ErrorKind::IllegalTransition.as_str().to_owned(),
        message: format!(
            "credential `{}` is {}, not {state}: no {state} notice is sent",
            credential.id,
            credential.state.as_str()
        ),
    }
}

/// The reason given when the credential was revoked.
fn revocation_reason(credential: &Credential) -> Option<String> {
    credential
        .history
        .iter()
        .rev()
        .find(|h| h.event == HistoryEvent::Revoked)
        .and_then(|h| h.reason.clone())
}

/// The reminder a credential would get next.
struct NextReminder {
    /// Which (1 to [`crate::outbox::MAX_REMINDERS`]).
    number: u32,
    /// Its outbox kind.
    kind: MessageKind,
    /// When the message before it (the credential's email, or the reminder before) was sent.
    after: DateTime<Utc>,
}

/// The reminder a credential would get next, from its messages: none when its email was
/// not sent, or a reminder is still waiting to go, or it had every reminder there is.
fn next_reminder(messages: &[OutboxMessage]) -> Option<NextReminder> {
    let sent_at = |kind: MessageKind| {
        messages
            .iter()
            .find(|m| m.kind == kind)
            .map(|m| m.sent_at.filter(|_| m.state == DeliveryState::Sent))
    };
    let mut after = sent_at(MessageKind::Issued)??;
    for number in 1..=crate::outbox::MAX_REMINDERS {
        let kind = MessageKind::reminder(number)?;
        match sent_at(kind) {
            None => {
                return Some(NextReminder {
                    number,
                    kind,
                    after,
                });
            }
            Some(Some(at)) => after = at,
            Some(None) => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};

    use super::*;
    use crate::events::Event;
    use crate::issuer::{ImportRequest, IssuerConfig, Selection};
    use crate::lifecycle::FromRandomBytes;
    use crate::mail::{Mailbox, MemoryMailer};
    use crate::storage::MemoryStorage;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
    }

    /// An issuer with Ana and Bo published and their emails sent at `now()`.
    fn issued(notices: &str) -> (Issuer<MemoryStorage>, Vec<String>) {
        let config = IssuerConfig::new(
            "https://credentials.example.org/c",
            Mailbox::parse("Academy <academy@example.org>"),
        );
        let mut issuer = Issuer::new(MemoryStorage::new(), config).unwrap();
        let group: Group = serde_json::from_str(&format!(
            r#"{{"name": "First Aid", "validity": {{"days": 10}}, "notices": {notices}}}"#
        ))
        .unwrap();
        let mut n = 0u8;
        let mut ids = FromRandomBytes(move || {
            n += 1;
            [n; 16]
        });
        let roster = b"Name,Email\nAna,ana@example.org\nBo,bo@example.org\n";
        let imported = issuer
            .import(
                &ImportRequest::new(&group, roster, "t"),
                &mut ids,
                now(),
                &mut |_| {},
            )
            .unwrap();
        let published = issuer
            .publish(
                &Selection::Batch(imported.batch.id),
                "t",
                now(),
                &mut |_| {},
            )
            .unwrap();
        deliver(&mut issuer, now());
        let mut ids = published.published;
        ids.sort_by_key(|id| issuer.credential(id).unwrap().recipient.name);
        (issuer, ids)
    }

    fn deliver(issuer: &mut Issuer<MemoryStorage>, at: DateTime<Utc>) -> MemoryMailer {
        let mut mailer = MemoryMailer::default();
        issuer
            .deliver(&mut mailer, &mut || at, None, &mut |_| {})
            .unwrap();
        mailer
    }

    fn subjects(mailer: &MemoryMailer) -> Vec<(String, String)> {
        let mut sent: Vec<(String, String)> = mailer
            .sent
            .iter()
            .map(|(m, _)| (m.to.email.clone(), m.subject.clone()))
            .collect();
        sent.sort();
        sent
    }

    #[test]
    fn a_revocation_notice_goes_once_with_its_reason_and_only_for_revoked_ones() {
        let (mut issuer, ids) = issued("{}");
        let (ana, bo) = (ids[0].clone(), ids[1].clone());
        issuer
            .revoke(&ana, "issued <by mistake>", "t", now())
            .unwrap();
        let outcome = issuer.notify_revoked(&ids, now()).unwrap();
        assert_eq!(outcome.queued, vec![format!("{ana}:revoked")]);
        assert_eq!(outcome.refused.len(), 1);
        assert_eq!(outcome.refused[0].id, bo);
        assert_eq!(outcome.refused[0].code, "illegal_transition");
        let again = issuer
            .notify_revoked(std::slice::from_ref(&ana), now())
            .unwrap();
        assert_eq!(
            (again.queued.len(), again.already_queued),
            (0, vec![ana.clone()])
        );
        let unknown = issuer
            .notify_revoked(&["nope".to_owned()], now())
            .unwrap_err();
        assert_eq!(unknown.kind(), ErrorKind::NotFound);
        let mailer = deliver(&mut issuer, now());
        assert_eq!(
            subjects(&mailer),
            vec![(
                "ana@example.org".to_owned(),
                "Your credential for First Aid has been revoked".to_owned()
            )]
        );
        assert!(
            mailer.sent[0]
                .0
                .text
                .contains("revoked: issued <by mistake>.")
        );
        assert!(mailer.sent[0].0.html.contains("issued &lt;by mistake&gt;"));
        assert!(deliver(&mut issuer, now()).sent.is_empty());
    }

    #[test]
    fn expiry_is_warned_once_within_the_window_and_notified_when_expired() {
        // Published on 2 March with ten days' validity: valid to 12 March inclusive.
        let (mut issuer, ids) = issued(r#"{"expiring": {"days_before": 7}, "expired": {}}"#);
        assert_eq!(
            issuer.credential(&ids[0]).unwrap().expires_on,
            Some(day(12))
        );
        assert!(
            issuer
                .warn_expiring(day(4), now())
                .unwrap()
                .queued
                .is_empty()
        );
        let warned = issuer.warn_expiring(day(5), now()).unwrap();
        assert_eq!(warned.queued.len(), 2);
        let again = issuer.warn_expiring(day(6), now()).unwrap();
        assert_eq!((again.queued.len(), again.already_queued.len()), (0, 2));
        let mailer = deliver(&mut issuer, now());
        assert_eq!(mailer.sent.len(), 2);
        assert!(
            mailer.sent[0]
                .0
                .text
                .contains("valid until 2026-03-12 (7 days from now)")
        );
        // The last valid day is not past: nothing expires on it.
        assert!(
            issuer
                .expire_before(day(12), "t", now())
                .unwrap()
                .is_empty()
        );
        let expired = issuer.expire_before(day(13), "t", now()).unwrap();
        assert_eq!(expired.len(), 2);
        let notified = issuer.notify_expired(&expired, now()).unwrap();
        assert_eq!(notified.queued.len(), 2);
        let mailer = deliver(&mut issuer, now());
        assert_eq!(
            subjects(&mailer)[0].1,
            "Your credential for First Aid has expired"
        );
        // Past the window a published credential is not warned (it is expired by then).
        assert!(
            issuer
                .warn_expiring(day(20), now())
                .unwrap()
                .queued
                .is_empty()
        );
    }

    #[test]
    fn expiry_follows_the_schedulers_date_not_utcs() {
        // Valid to 12 March inclusive. At 15:00 UTC on the 12th it is already the 13th in
        // Sydney (UTC+10) and still the 12th in Honolulu (UTC-10).
        let (mut issuer, _) = issued(r#"{"expired": {}}"#);
        let instant = Utc.with_ymd_and_hms(2026, 3, 12, 15, 0, 0).unwrap();
        let honolulu = issuer.expire_and_notify(day(12), "t", instant).unwrap();
        assert!(honolulu.expired.is_empty());
        let sydney = issuer.expire_and_notify(day(13), "t", instant).unwrap();
        assert_eq!(sydney.expired.len(), 2);
        assert_eq!(sydney.expired_notices.queued.len(), 2);
        // A scheduler behind UTC runs later the same instant's day: nothing twice.
        let later = issuer.expire_and_notify(day(13), "t", instant).unwrap();
        assert!(later.expired.is_empty() && later.expired_notices.queued.is_empty());
    }

    #[test]
    fn groups_without_the_notice_send_none() {
        let (mut issuer, ids) = issued("{}");
        assert!(
            issuer
                .warn_expiring(day(10), now())
                .unwrap()
                .queued
                .is_empty()
        );
        let expired = issuer.expire_before(day(13), "t", now()).unwrap();
        let outcome = issuer.notify_expired(&expired, now()).unwrap();
        assert_eq!(outcome, NoticeOutcome::default());
        assert!(
            issuer
                .remind(now() + Duration::days(30))
                .unwrap()
                .queued
                .is_empty()
        );
        assert_eq!(ids.len(), 2);
    }

    #[test]
    fn reminders_go_to_those_who_did_not_view_at_most_max_and_never_twice() {
        let (mut issuer, ids) = issued(r#"{"reminder": {"after_days": 3, "max": 2}}"#);
        let (ana, bo) = (ids[0].clone(), ids[1].clone());
        // Bo viewed his credential.
        let credential = issuer.credential(&bo).unwrap();
        issuer
            .store_mut()
            .record_events(&[Event {
                at: now() + Duration::hours(1),
                kind: EventKind::Viewed,
                credential: bo.clone(),
                group: credential.group.clone(),
                batch: credential.batch.clone(),
                visitor: Some("v".to_owned()),
                detail: None,
            }])
            .unwrap();
        let t = |days: i64| now() + Duration::days(days);
        assert!(issuer.remind(t(2)).unwrap().queued.is_empty());
        assert_eq!(
            issuer.remind(t(3)).unwrap().queued,
            vec![format!("{ana}:reminder_1")]
        );
        // Run again before it is sent (a second scheduler, or a rerun after a kill):
        // the reminder waiting holds the next one back.
        assert!(issuer.remind(t(10)).unwrap().queued.is_empty());
        let mailer = deliver(&mut issuer, t(3));
        assert_eq!(
            subjects(&mailer),
            vec![(
                "ana@example.org".to_owned(),
                "Reminder: your credential for First Aid is waiting".to_owned()
            )]
        );
        assert!(issuer.remind(t(5)).unwrap().queued.is_empty());
        assert_eq!(
            issuer.remind(t(6)).unwrap().queued,
            vec![format!("{ana}:reminder_2")]
        );
        deliver(&mut issuer, t(6));
        // Two is the group's most.
        assert!(issuer.remind(t(30)).unwrap().queued.is_empty());
    }

    #[test]
    fn a_revoked_credential_is_not_reminded() {
        let (mut issuer, ids) = issued(r#"{"reminder": {"after_days": 1}}"#);
        issuer.revoke(&ids[0], "withdrawn", "t", now()).unwrap();
        let outcome = issuer.remind(now() + Duration::days(2)).unwrap();
        assert_eq!(outcome.queued, vec![format!("{}:reminder_1", ids[1])]);
    }
}
