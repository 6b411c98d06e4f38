//! The append-only event log and the figures made from it: what happened to each credential
//! (imported, published, delivered, failed, revoked, expired) and what its recipient and
//! others did with it (viewed its page, downloaded it, verified it, shared it).
//!
//! The issuer records the first kind after each change it makes; a host serving pages
//! records the second. An event that names a `visitor` (a salted hash: no address or other
//! personal data) is kept once per kind, credential, visitor and day, so a page opened ten
//! times in a day by one person is one view.
//!
//! Events are written after the change they describe, in their own step: a store failure in
//! between loses those events (the figures undercount) and never the change.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::lifecycle::Credential;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Created as a draft from a roster.
    Imported,
    /// Published.
    Published,
    /// Its email was accepted by the mail server.
    Delivered,
    /// Its email failed for good.
    Failed,
    /// Its email bounced after it was accepted.
    Bounced,
    /// Revoked.
    Revoked,
    /// Expired.
    Expired,
    /// Its page was opened (once per visitor a day).
    Viewed,
    /// Its certificate or signed document was downloaded (`detail`: `pdf`, `png`, `json`).
    Downloaded,
    /// Someone checked its signed document.
    Verified,
    /// Its recipient shared it (`detail`: where, e.g. `linkedin`).
    Shared,
}

impl EventKind {
    /// Every kind, in order.
    pub const ALL: [EventKind; 11] = [
        EventKind::Imported,
        EventKind::Published,
        EventKind::Delivered,
        EventKind::Failed,
        EventKind::Bounced,
        EventKind::Revoked,
        EventKind::Expired,
        EventKind::Viewed,
        EventKind::Downloaded,
        EventKind::Verified,
        EventKind::Shared,
    ];

    /// The snake_case name, as in JSON and in stores.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Imported => "imported",
            EventKind::Published => "published",
            EventKind::Delivered => "delivered",
            EventKind::Failed => "failed",
            EventKind::Bounced => "bounced",
            EventKind::Revoked => "revoked",
            EventKind::Expired => "expired",
            EventKind::Viewed => "viewed",
            EventKind::Downloaded => "downloaded",
            EventKind::Verified => "verified",
            EventKind::Shared => "shared",
        }
    }

    /// The kind a name gives, as [`EventKind::as_str`] writes it.
    pub fn parse(name: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// One event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// When, as the caller passed it.
    pub at: DateTime<Utc>,
    /// What.
    pub kind: EventKind,
    /// The credential's id.
    pub credential: String,
    /// Its group's key.
    pub group: String,
    /// Its batch.
    pub batch: String,
    /// Who, as a salted hash, for events counted once per visitor a day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visitor: Option<String>,
    /// More about it (what was downloaded, where it was shared).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Event {
    /// An event of `credential` at `at`.
    pub fn of(credential: &Credential, kind: EventKind, at: DateTime<Utc>) -> Event {
        Event {
            at,
            kind,
            credential: credential.id.clone(),
            group: credential.group.clone(),
            batch: credential.batch.clone(),
            visitor: None,
            detail: None,
        }
    }

    /// The day it happened (UTC), the unit of the daily figures and of unique visitors.
    pub fn day(&self) -> NaiveDate {
        self.at.date_naive()
    }
}

/// Which events to count.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EventQuery {
    /// Only this group.
    pub group: Option<String>,
    /// Only this batch.
    pub batch: Option<String>,
    /// Only events on or after this day.
    pub since: Option<NaiveDate>,
}

impl EventQuery {
    /// Whether an event is one the query counts.
    pub fn matches(&self, e: &Event) -> bool {
        self.group.as_ref().is_none_or(|g| *g == e.group)
            && self.batch.as_ref().is_none_or(|b| *b == e.batch)
            && self.since.is_none_or(|d| e.day() >= d)
    }
}

/// How many events of a kind a group's batch had (on a day, for daily counts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventCount {
    /// The group's key.
    pub group: String,
    /// The batch.
    pub batch: String,
    /// What.
    pub kind: EventKind,
    /// The day, for daily counts; `None` for the whole period.
    pub day: Option<NaiveDate>,
    /// Events.
    pub events: u64,
    /// Distinct credentials among them.
    pub credentials: u64,
}

/// Counts events in memory as every store must: by group, batch, kind and (when `daily`)
/// day, with the distinct credentials of each, ordered by group, batch, day and kind.
pub fn count_events<'a>(
    events: impl IntoIterator<Item = &'a Event>,
    query: &EventQuery,
    daily: bool,
) -> Vec<EventCount> {
    type Key = (String, String, Option<NaiveDate>, EventKind);
    let mut counts: BTreeMap<Key, (u64, std::collections::BTreeSet<&'a str>)> = BTreeMap::new();
    for e in events.into_iter().filter(|e| query.matches(e)) {
        let key = (
            e.group.clone(),
            e.batch.clone(),
            daily.then(|| e.day()),
            e.kind,
        );
        let entry = counts.entry(key).or_default();
        entry.0 += 1;
        entry.1.insert(e.credential.as_str());
    }
    counts
        .into_iter()
        .map(|((group, batch, day, kind), (events, ids))| EventCount {
            group,
            batch,
            kind,
            day,
            events,
            credentials: ids.len() as u64,
        })
        .collect()
}

/// The figures of one group's batch.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BatchStats {
    /// The group's key.
    pub group: String,
    /// The batch.
    pub batch: String,
    /// Credentials published.
    pub issued: u64,
    /// Emails accepted by the mail server.
    pub delivered: u64,
    /// Emails failed for good, or bounced.
    pub failed: u64,
    /// Delivered over issued (`None` before anything is issued).
    pub delivery_rate: Option<f64>,
    /// Page views, once per visitor a day.
    pub views: u64,
    /// Credentials whose page was opened at least once.
    pub viewed: u64,
    /// Viewed over issued.
    pub view_rate: Option<f64>,
    /// Downloads of certificates and signed documents.
    pub downloads: u64,
    /// Shares (to LinkedIn).
    pub shares: u64,
    /// Checks of signed documents.
    pub verifications: u64,
    /// Revocations.
    pub revoked: u64,
}

impl BatchStats {
    /// The headings of [`BatchStats::cells`], as every surface shows them.
    pub const HEADINGS: [&'static str; 9] = [
        "Group",
        "Batch",
        "Issued",
        "Delivered",
        "Delivery rate",
        "Viewed",
        "View rate",
        "Downloads",
        "Shares",
    ];

    /// The figures as people read them, in the order of [`BatchStats::HEADINGS`]: rates as
    /// percentages with one decimal, `-` before anything is issued.
    pub fn cells(&self) -> [String; 9] {
        let rate = |r: Option<f64>| r.map_or("-".to_owned(), |r| format!("{:.1}%", r * 100.0));
        [
            self.group.clone(),
            self.batch.clone(),
            self.issued.to_string(),
            self.delivered.to_string(),
            rate(self.delivery_rate),
            self.viewed.to_string(),
            rate(self.view_rate),
            self.downloads.to_string(),
            self.shares.to_string(),
        ]
    }
}

/// One day's events of every kind, over the groups and batches counted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayStats {
    /// The day.
    pub day: NaiveDate,
    /// Events by kind (kinds with none left out).
    pub events: BTreeMap<EventKind, u64>,
}

/// What `stats` gives: per group and batch, and a daily series.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    /// Per group and batch, in order.
    pub batches: Vec<BatchStats>,
    /// Per day, oldest first.
    pub daily: Vec<DayStats>,
}

fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// The figures from a store's counts: `totals` for the whole period, `daily` by day.
pub fn stats(totals: &[EventCount], daily: &[EventCount]) -> Stats {
    let mut batches: BTreeMap<(String, String), BatchStats> = BTreeMap::new();
    for c in totals {
        let b = batches
            .entry((c.group.clone(), c.batch.clone()))
            .or_insert_with(|| BatchStats {
                group: c.group.clone(),
                batch: c.batch.clone(),
                ..BatchStats::default()
            });
        match c.kind {
            EventKind::Published => b.issued += c.credentials,
            EventKind::Delivered => b.delivered += c.credentials,
            EventKind::Failed | EventKind::Bounced => b.failed += c.credentials,
            EventKind::Viewed => {
                b.views += c.events;
                b.viewed += c.credentials;
            }
            EventKind::Downloaded => b.downloads += c.events,
            EventKind::Shared => b.shares += c.events,
            EventKind::Verified => b.verifications += c.events,
            EventKind::Revoked => b.revoked += c.credentials,
            EventKind::Imported | EventKind::Expired => {}
        }
    }
    let batches = batches
        .into_values()
        .map(|mut b| {
            b.delivery_rate = rate(b.delivered, b.issued);
            b.view_rate = rate(b.viewed, b.issued);
            b
        })
        .collect();
    let mut days: BTreeMap<NaiveDate, BTreeMap<EventKind, u64>> = BTreeMap::new();
    for c in daily {
        if let Some(day) = c.day {
            *days.entry(day).or_default().entry(c.kind).or_default() += c.events;
        }
    }
    Stats {
        batches,
        daily: days
            .into_iter()
            .map(|(day, events)| DayStats { day, events })
            .collect(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn event(kind: EventKind, credential: &str, batch: &str, day: u32) -> Event {
        Event {
            at: Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap(),
            kind,
            credential: credential.into(),
            group: "g".into(),
            batch: batch.into(),
            visitor: None,
            detail: None,
        }
    }

    #[test]
    fn figures_count_credentials_and_events_by_batch_and_day() {
        use EventKind::*;
        let events = vec![
            event(Published, "a", "b1", 2),
            event(Published, "b", "b1", 2),
            event(Published, "c", "b2", 2),
            event(Delivered, "a", "b1", 2),
            event(Delivered, "b", "b1", 3),
            event(Failed, "c", "b2", 3),
            event(Viewed, "a", "b1", 3),
            event(Viewed, "a", "b1", 4),
            event(Downloaded, "a", "b1", 4),
            event(Shared, "a", "b1", 4),
        ];
        let q = EventQuery::default();
        let s = stats(
            &count_events(&events, &q, false),
            &count_events(&events, &q, true),
        );
        let b1 = &s.batches[0];
        assert_eq!((b1.batch.as_str(), b1.issued, b1.delivered), ("b1", 2, 2));
        assert_eq!((b1.views, b1.viewed, b1.view_rate), (2, 1, Some(0.5)));
        assert_eq!((b1.downloads, b1.shares), (1, 1));
        assert_eq!(b1.delivery_rate, Some(1.0));
        let b2 = &s.batches[1];
        assert_eq!(
            (b2.issued, b2.delivered, b2.failed, b2.delivery_rate),
            (1, 0, 1, Some(0.0))
        );
        assert_eq!(s.daily.len(), 3);
        assert_eq!(s.daily[0].events[&Published], 3);
        assert_eq!(s.daily[1].events[&Viewed], 1);
        // A later start leaves the earlier days out.
        let since = EventQuery {
            since: NaiveDate::from_ymd_opt(2026, 3, 4),
            ..EventQuery::default()
        };
        let later = stats(&count_events(&events, &since, false), &[]);
        assert_eq!(later.batches[0].issued, 0);
        assert_eq!(later.batches[0].views, 1);
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
        }
    }
}
