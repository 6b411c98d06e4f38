//! Credentials and their states: draft, published, revoked, expired.
//!
//! Everything here is pure. Time, the acting user and new ids are passed in; a transition
//! returns the credential as it becomes, and the caller stores it (with the email a publish
//! queues), so the same rules hold whichever store and mailer are used.
//!
//! ```text
//! Draft ──publish──► Published ──revoke──► Revoked
//!   │ amend, correct      │ correct (stays published, recorded)
//!   └─────◄───────────────┘  └──expire──► Expired ──revoke──► Revoked
//! ```
//!
//! A published credential is never amended freely: only [`Credential::correct`] changes its
//! values, with an [`EventKind::Corrected`] history entry.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Finding, Severity};
use crate::group::{DuplicatePolicy, Schema, standard};
use crate::validation;

pub use crate::ids;
pub use crate::ids::{FromRandomBytes, IdSource, is_valid_id};

/// Where a credential is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialState {
    /// Created from a roster or by hand; can be reviewed, previewed and amended.
    Draft,
    /// Live: the recipient has been (or is being) told, and the link works.
    Published,
    /// Withdrawn by the issuer.
    Revoked,
    /// Past its expiry date.
    Expired,
}

impl CredentialState {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialState::Draft => "draft",
            CredentialState::Published => "published",
            CredentialState::Revoked => "revoked",
            CredentialState::Expired => "expired",
        }
    }
}

/// The person a credential is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    /// Full name as it appears on the credential.
    pub name: String,
    /// Address, normalised as import normalises it.
    pub email: String,
}

/// One change of one field, as recorded in a credential's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldChange {
    /// Attribute key (`name`, `email`, `issued_on`, `expires_on`, or a custom key).
    pub field: String,
    /// Value before, `null` when there was none.
    pub from: serde_json::Value,
    /// Value after, `null` when it was cleared.
    pub to: serde_json::Value,
}

/// What happened to a credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Created as a draft.
    Created,
    /// Fields of a draft were changed.
    Amended,
    /// Replaced by a later upload of the same recipient (duplicate policy `replace`).
    Replaced,
    /// Published.
    Published,
    /// Revoked.
    Revoked,
    /// Expired.
    Expired,
    /// Fields of a draft or a published credential were corrected from a re-uploaded roster
    /// ([`Credential::correct`]); a published one stays published.
    Corrected,
}

/// An entry of a credential's history: who did what, when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// When, as passed in by the caller.
    pub at: DateTime<Utc>,
    /// Who: a user name, `import`, `cli`, ...
    pub actor: String,
    /// What.
    pub event: EventKind,
    /// Fields changed, for creations, amendments and replacements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FieldChange>,
    /// Why, when one was given (a revocation reason).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A credential.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    /// Public id: unguessable and URL-safe, from the caller's [`IdSource`].
    pub id: String,
    /// The group's key.
    pub group: String,
    /// The batch (upload) it came from.
    pub batch: String,
    /// Who it is for.
    pub recipient: Recipient,
    /// Issue date.
    pub issued_on: Option<NaiveDate>,
    /// Expiry date.
    pub expires_on: Option<NaiveDate>,
    /// An identifier the issuer gave in the roster's credential id column, kept as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Custom attribute values by key (dates as `YYYY-MM-DD`).
    pub attributes: BTreeMap<String, serde_json::Value>,
    /// Current state.
    pub state: CredentialState,
    /// Its place in its issuer's revocation status list, given when it is published and
    /// never given to another credential of the store
    /// ([`Storage::allocate_status_indexes`](crate::storage::Storage::allocate_status_indexes)).
    /// `None` for drafts, and for credentials published before status lists existed until
    /// one is first exported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_index: Option<u64>,
    /// The version of its group it was published under (its email, page, certificate and
    /// signed document follow that version). `None` for drafts, which follow the latest,
    /// and for credentials published before groups had versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_version: Option<u32>,
    /// Every change, oldest first.
    pub history: Vec<HistoryEntry>,
}

/// Changes to a draft: each field given is set; `None` leaves it as it is.
///
/// Values are written as in a roster cell (`2026-03-02`, `12.5`, `yes`) and go through the
/// same validation as an import. An empty string clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Amendment {
    /// Values by attribute key: `name`, `email`, `issued_on`, `expires_on` or a custom key.
    pub set: BTreeMap<String, String>,
}

impl Amendment {
    /// An amendment from values of any JSON type, each written as a roster cell would hold
    /// it ([`value_as_cell`](crate::values::value_as_cell): booleans as `yes`/`no`, numbers in
    /// plain notation); `null` clears the field, as an empty string does.
    ///
    /// ```
    /// use conferral::lifecycle::Amendment;
    /// let values = serde_json::json!({"hours": 12.5, "verified": true, "expires_on": null});
    /// let amendment = Amendment::from_values(values.as_object().unwrap().clone().into_iter().collect());
    /// assert_eq!(amendment.set["hours"], "12.5");
    /// assert_eq!(amendment.set["verified"], "yes");
    /// assert_eq!(amendment.set["expires_on"], "");
    /// ```
    pub fn from_values(values: BTreeMap<String, serde_json::Value>) -> Amendment {
        let set = values
            .iter()
            .map(|(key, value)| {
                let cell = crate::values::value_as_cell(value).unwrap_or_default();
                (key.clone(), cell.into_owned())
            })
            .collect();
        Amendment { set }
    }
}

/// A credential after a transition.
#[derive(Debug, Clone, PartialEq)]
pub struct Transition {
    /// The credential as it now is.
    pub credential: Credential,
}

/// What an import does with a valid row whose recipient may already hold a credential in
/// the group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DuplicateDecision {
    /// Nothing stands in the way: create a new draft.
    Create,
    /// Replace the recipient's draft with the row's values ([`Credential::replace`]).
    Replace,
    /// Refuse the row.
    Reject {
        /// Why, naming the credential in the way.
        message: String,
        /// How to fix it.
        help: &'static str,
    },
}

/// Decides a row of an import by the group's duplicate policy, given the credential the
/// group already holds for the row's recipient (`recipient` is the address as compared,
/// [`crate::values::email::duplicate_key`]). A revoked credential stands in no one's way.
///
/// ```
/// use conferral::group::DuplicatePolicy;
/// use conferral::lifecycle::{DuplicateDecision, decide_duplicate};
/// assert_eq!(decide_duplicate(DuplicatePolicy::Deny, "ana@example.org", None), DuplicateDecision::Create);
/// ```
pub fn decide_duplicate(
    policy: DuplicatePolicy,
    recipient: &str,
    held: Option<&Credential>,
) -> DuplicateDecision {
    let Some(prior) = held.filter(|c| c.state != CredentialState::Revoked) else {
        return DuplicateDecision::Create;
    };
    match policy {
        DuplicatePolicy::Allow => DuplicateDecision::Create,
        DuplicatePolicy::Deny => DuplicateDecision::Reject {
            message: format!(
                "{recipient} already has credential `{}` ({}) in this group",
                prior.id,
                prior.state.as_str()
            ),
            help: "remove the row, or set the group's duplicate policy to `allow` or `replace`",
        },
        DuplicatePolicy::Replace if prior.state == CredentialState::Draft => {
            DuplicateDecision::Replace
        }
        DuplicatePolicy::Replace => DuplicateDecision::Reject {
            message: format!(
                "{recipient} already has credential `{}`, which is {} and cannot be replaced",
                prior.id,
                prior.state.as_str()
            ),
            help: "revoke that credential first, or remove the row",
        },
    }
}

fn illegal(credential: &Credential, what: &str) -> Error {
    Error::new(
        ErrorKind::IllegalTransition,
        format!(
            "credential `{}` is {} and cannot be {what}",
            credential.id,
            credential.state.as_str()
        ),
    )
}

fn date_json(d: Option<NaiveDate>) -> serde_json::Value {
    d.map_or(serde_json::Value::Null, |d| {
        serde_json::Value::String(crate::values::date::format_date(d))
    })
}

impl Credential {
    /// The credential's values by attribute key, as a record of an import shows them.
    pub fn values(&self) -> BTreeMap<String, serde_json::Value> {
        let mut values = self.attributes.clone();
        values.insert(
            standard::NAME.to_owned(),
            self.recipient.name.clone().into(),
        );
        values.insert(
            standard::EMAIL.to_owned(),
            self.recipient.email.clone().into(),
        );
        for (key, date) in [
            (standard::ISSUED_ON, self.issued_on),
            (standard::EXPIRES_ON, self.expires_on),
        ] {
            if date.is_some() {
                values.insert(key.to_owned(), date_json(date));
            }
        }
        values
    }

    /// Builds a draft from a validated record (as [`crate::Record::values`] holds it).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] when the record lacks a name or an email, or has a date
    /// that is not `YYYY-MM-DD`: records of an analysis always have them.
    pub fn draft(
        id: String,
        group: &str,
        batch: &str,
        record: &BTreeMap<String, serde_json::Value>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Credential> {
        let text = |key: &str| record.get(key).and_then(serde_json::Value::as_str);
        let required = |key: &str| {
            text(key).map(str::to_owned).ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidValue,
                    format!("the record has no `{key}`; a credential needs a name and an email"),
                )
            })
        };
        let date = |key: &str| -> Result<Option<NaiveDate>> {
            text(key)
                .map(|t| {
                    NaiveDate::parse_from_str(t, "%Y-%m-%d").map_err(|_| {
                        Error::new(
                            ErrorKind::InvalidValue,
                            format!("`{t}` in `{key}` is not a date as YYYY-MM-DD"),
                        )
                    })
                })
                .transpose()
        };
        let attributes: BTreeMap<String, serde_json::Value> = record
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    standard::NAME
                        | standard::EMAIL
                        | standard::ISSUED_ON
                        | standard::EXPIRES_ON
                        | standard::CREDENTIAL_ID
                        | standard::FIRST_NAME
                        | standard::LAST_NAME
                )
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let credential = Credential {
            id,
            group: group.to_owned(),
            batch: batch.to_owned(),
            recipient: Recipient {
                name: required(standard::NAME)?,
                email: required(standard::EMAIL)?,
            },
            issued_on: date(standard::ISSUED_ON)?,
            expires_on: date(standard::EXPIRES_ON)?,
            reference: text(standard::CREDENTIAL_ID).map(str::to_owned),
            attributes,
            state: CredentialState::Draft,
            status_index: None,
            group_version: None,
            history: Vec::new(),
        };
        let changes = credential
            .values()
            .into_iter()
            .map(|(field, to)| FieldChange {
                field,
                from: serde_json::Value::Null,
                to,
            })
            .collect();
        let mut credential = credential;
        credential.history.push(HistoryEntry {
            at: now,
            actor: actor.to_owned(),
            event: EventKind::Created,
            changes,
            reason: None,
        });
        Ok(credential)
    }

    /// The fields whose values differ in `next`, by key.
    pub fn changes_to(&self, next: &Credential) -> Vec<FieldChange> {
        let before = self.values();
        let after = next.values();
        let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
        keys.sort();
        keys.dedup();
        keys.into_iter()
            .filter(|k| before.get(*k) != after.get(*k))
            .map(|k| FieldChange {
                field: k.clone(),
                from: before.get(k).cloned().unwrap_or(serde_json::Value::Null),
                to: after.get(k).cloned().unwrap_or(serde_json::Value::Null),
            })
            .collect()
    }

    /// Checks an amendment of a draft without applying it: the findings it would raise, with
    /// the same rules and codes as an import (rows and cells are `None`).
    pub fn check_amendment(&self, schema: &Schema, amendment: &Amendment) -> Vec<Finding> {
        self.amended_values(schema, amendment).0
    }

    fn amended_values(
        &self,
        schema: &Schema,
        amendment: &Amendment,
    ) -> (Vec<Finding>, Option<BTreeMap<String, serde_json::Value>>) {
        let mut text: BTreeMap<String, String> = self
            .values()
            .into_iter()
            .map(|(k, v)| {
                let t = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Bool(b) => if b { "yes" } else { "no" }.to_owned(),
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                };
                (k, t)
            })
            .collect();
        for (key, value) in &amendment.set {
            text.insert(key.clone(), value.clone());
        }
        validation::validate_values(schema, &text)
    }

    /// Applies an amendment to a draft, recording each changed field.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless the credential is a draft;
    /// [`ErrorKind::InvalidValue`] when a value breaks its attribute's rules (the message
    /// lists every problem; [`Credential::check_amendment`] gives them as findings) or names
    /// an attribute the group does not have.
    pub fn amend(
        &self,
        schema: &Schema,
        amendment: &Amendment,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition> {
        if self.state != CredentialState::Draft {
            return Err(illegal(self, "amended"));
        }
        self.changed(schema, amendment, (actor, now), EventKind::Amended, None)
    }

    /// Corrects a draft or a published credential with values validated exactly as an
    /// amendment's (and so as an imported row's): it keeps its id, batch, state, status list
    /// index, group version and history, and records the changed fields in a
    /// [`EventKind::Corrected`] entry with `reason` (where the correction came from). A
    /// correction that changes nothing adds no entry.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] for a revoked or expired credential (issue a new
    /// one); [`ErrorKind::InvalidValue`] as [`Credential::amend`].
    pub fn correct(
        &self,
        schema: &Schema,
        amendment: &Amendment,
        actor: &str,
        now: DateTime<Utc>,
        reason: Option<String>,
    ) -> Result<Transition> {
        if !matches!(
            self.state,
            CredentialState::Draft | CredentialState::Published
        ) {
            return Err(illegal(self, "corrected"));
        }
        self.changed(
            schema,
            amendment,
            (actor, now),
            EventKind::Corrected,
            reason,
        )
    }

    /// The credential with an amendment's values, the changed fields recorded as `event`.
    fn changed(
        &self,
        schema: &Schema,
        amendment: &Amendment,
        (actor, now): (&str, DateTime<Utc>),
        event: EventKind,
        reason: Option<String>,
    ) -> Result<Transition> {
        let (findings, values) = self.amended_values(schema, amendment);
        let errors: Vec<String> = findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| f.message.clone())
            .collect();
        let values = match values {
            Some(values) if errors.is_empty() => values,
            _ => {
                return Err(Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "the amendment of credential `{}` was not applied: {}",
                        self.id,
                        errors.join("; ")
                    ),
                ));
            }
        };
        let mut next = Credential::draft(
            self.id.clone(),
            &self.group,
            &self.batch,
            &values,
            actor,
            now,
        )?;
        next.state = self.state;
        next.status_index = self.status_index;
        next.group_version = self.group_version;
        // The issuer's own id is kept unless the amendment sets it (empty clears it).
        if !amendment.set.contains_key(standard::CREDENTIAL_ID) {
            next.reference.clone_from(&self.reference);
        }
        let mut changes = self.changes_to(&next);
        if next.reference != self.reference {
            changes.push(FieldChange {
                field: standard::CREDENTIAL_ID.to_owned(),
                from: self
                    .reference
                    .clone()
                    .map_or(serde_json::Value::Null, Into::into),
                to: next
                    .reference
                    .clone()
                    .map_or(serde_json::Value::Null, Into::into),
            });
        }
        next.history.clone_from(&self.history);
        if !changes.is_empty() {
            next.history.push(HistoryEntry {
                at: now,
                actor: actor.to_owned(),
                event,
                changes,
                reason,
            });
        }
        Ok(Transition { credential: next })
    }

    /// Replaces a draft with the values of row `row` of a later batch for the same recipient
    /// (duplicate policy `replace`): it keeps its id and history, takes the new batch and
    /// values, and records which fields changed.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless the credential is a draft;
    /// [`ErrorKind::InvalidValue`] for a record [`Credential::draft`] refuses.
    pub fn replace(
        &self,
        batch: &str,
        row: u64,
        record: &BTreeMap<String, serde_json::Value>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition> {
        if self.state != CredentialState::Draft {
            return Err(illegal(self, "replaced"));
        }
        let fresh = Credential::draft(self.id.clone(), &self.group, batch, record, actor, now)?;
        let mut history = self.history.clone();
        history.push(HistoryEntry {
            at: now,
            actor: actor.to_owned(),
            event: EventKind::Replaced,
            changes: self.changes_to(&fresh),
            reason: Some(format!("row {row} of batch {batch}")),
        });
        Ok(Transition {
            credential: Credential { history, ..fresh },
        })
    }

    /// Publishes a draft; the caller must queue the announcing email in the same atomic step.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless the credential is a draft.
    pub fn publish(&self, actor: &str, now: DateTime<Utc>) -> Result<Transition> {
        if self.state != CredentialState::Draft {
            return Err(illegal(self, "published"));
        }
        Ok(self.moved(
            CredentialState::Published,
            EventKind::Published,
            actor,
            now,
            None,
        ))
    }

    /// Revokes a published or expired credential.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] for a draft (delete it instead) or a revoked one.
    pub fn revoke(&self, reason: &str, actor: &str, now: DateTime<Utc>) -> Result<Transition> {
        if !matches!(
            self.state,
            CredentialState::Published | CredentialState::Expired
        ) {
            return Err(illegal(self, "revoked"));
        }
        Ok(self.moved(
            CredentialState::Revoked,
            EventKind::Revoked,
            actor,
            now,
            Some(reason.to_owned()),
        ))
    }

    /// Marks a published credential expired once its expiry date is behind `now`'s date
    /// (UTC); see [`Credential::expire_on`].
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless it is published and its expiry date has passed.
    pub fn expire(&self, actor: &str, now: DateTime<Utc>) -> Result<Transition> {
        self.expire_on(now.date_naive(), actor, now)
    }

    /// Marks a published credential expired once its expiry date is before `today`, the
    /// date where the issuer is (a scheduler east of UTC reaches the 3rd while UTC is still
    /// on the 2nd); `now` is when, for its history.
    ///
    /// # Errors
    /// [`ErrorKind::IllegalTransition`] unless it is published and its expiry date is
    /// before `today`.
    pub fn expire_on(
        &self,
        today: chrono::NaiveDate,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Transition> {
        let due = self.expires_on.is_some_and(|d| d < today);
        if self.state != CredentialState::Published || !due {
            return Err(illegal(
                self,
                "expired (it must be published and past its expiry date)",
            ));
        }
        Ok(self.moved(
            CredentialState::Expired,
            EventKind::Expired,
            actor,
            now,
            None,
        ))
    }

    fn moved(
        &self,
        state: CredentialState,
        event: EventKind,
        actor: &str,
        now: DateTime<Utc>,
        reason: Option<String>,
    ) -> Transition {
        let mut credential = self.clone();
        credential.state = state;
        credential.history.push(HistoryEntry {
            at: now,
            actor: actor.to_owned(),
            event,
            changes: Vec::new(),
            reason,
        });
        Transition { credential }
    }

    /// The merge fields of this credential's email.
    pub fn merge_fields(&self) -> crate::render::MergeFields {
        crate::render::MergeFields {
            recipient_name: self.recipient.name.clone(),
            recipient_email: self.recipient.email.clone(),
            credential_id: self.id.clone(),
            issued_on: self.issued_on.map(crate::values::date::format_date),
            expires_on: self.expires_on.map(crate::values::date::format_date),
            attributes: self.attributes.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::Group;
    use chrono::TimeZone;

    fn schema() -> Schema {
        Group::from_json(
            r#"{"name": "Bootcamp", "attributes": [
                {"key": "grade", "type": "enum", "values": ["Pass", "Merit"]},
                {"key": "hours", "type": "number", "required": true}]}"#,
        )
        .unwrap()
        .schema()
        .unwrap()
    }

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap()
    }

    fn draft() -> Credential {
        let record: BTreeMap<String, serde_json::Value> = serde_json::from_str(
            r#"{"name": "Ana López", "email": "ana@example.org", "issued_on": "2026-03-02",
                "expires_on": "2028-03-02", "grade": "Merit", "hours": 12.5, "credential_id": "CERT-1"}"#,
        )
        .unwrap();
        Credential::draft("Ab12_x".into(), "bootcamp", "b1", &record, "import", at(2)).unwrap()
    }

    fn held(state: CredentialState) -> Credential {
        Credential { state, ..draft() }
    }

    #[test]
    fn the_duplicate_policy_decides_each_row() {
        use DuplicateDecision::{Create, Replace};
        let ana = "ana@example.org";
        for policy in [
            DuplicatePolicy::Deny,
            DuplicatePolicy::Allow,
            DuplicatePolicy::Replace,
        ] {
            assert_eq!(decide_duplicate(policy, ana, None), Create, "{policy:?}");
            let revoked = held(CredentialState::Revoked);
            assert_eq!(
                decide_duplicate(policy, ana, Some(&revoked)),
                Create,
                "{policy:?}"
            );
        }
        for state in [
            CredentialState::Draft,
            CredentialState::Published,
            CredentialState::Expired,
        ] {
            let prior = held(state);
            assert_eq!(
                decide_duplicate(DuplicatePolicy::Allow, ana, Some(&prior)),
                Create
            );
            let denied = decide_duplicate(DuplicatePolicy::Deny, ana, Some(&prior));
            assert!(
                matches!(&denied, DuplicateDecision::Reject { message, .. }
                    if *message == format!("ana@example.org already has credential `Ab12_x` ({}) in this group", state.as_str())),
                "{denied:?}"
            );
        }
        let draft = held(CredentialState::Draft);
        assert_eq!(
            decide_duplicate(DuplicatePolicy::Replace, ana, Some(&draft)),
            Replace
        );
        let live = held(CredentialState::Published);
        let refused = decide_duplicate(DuplicatePolicy::Replace, ana, Some(&live));
        assert_eq!(
            refused,
            DuplicateDecision::Reject {
                message: "ana@example.org already has credential `Ab12_x`, which is published and cannot be replaced".to_owned(),
                help: "revoke that credential first, or remove the row",
            }
        );
    }

    #[test]
    fn a_replaced_draft_keeps_its_id_and_history_and_records_the_changes() {
        let c = draft();
        let record: BTreeMap<String, serde_json::Value> = serde_json::from_str(
            r#"{"name": "Ana López", "email": "ana@example.org", "grade": "Pass", "hours": 12.5}"#,
        )
        .unwrap();
        let next = c
            .replace("b2", 7, &record, "import", at(4))
            .unwrap()
            .credential;
        assert_eq!((next.id.as_str(), next.batch.as_str()), ("Ab12_x", "b2"));
        assert_eq!(next.history.len(), 2);
        let entry = &next.history[1];
        assert_eq!(entry.event, EventKind::Replaced);
        assert_eq!(entry.reason.as_deref(), Some("row 7 of batch b2"));
        let fields: Vec<&str> = entry.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["expires_on", "grade", "issued_on"]);
        assert_eq!(next.reference, None);
        let published = c.publish("ed", at(3)).unwrap().credential;
        assert_eq!(
            published
                .replace("b2", 7, &record, "import", at(4))
                .unwrap_err()
                .kind(),
            ErrorKind::IllegalTransition
        );
    }

    #[test]
    fn drafts_keep_standard_fields_apart_and_record_their_creation() {
        let c = draft();
        assert_eq!(c.recipient.name, "Ana López");
        assert_eq!(c.issued_on, NaiveDate::from_ymd_opt(2026, 3, 2));
        assert_eq!(c.reference.as_deref(), Some("CERT-1"));
        assert_eq!(
            c.attributes.keys().collect::<Vec<_>>(),
            vec!["grade", "hours"]
        );
        assert_eq!(c.history.len(), 1);
        assert_eq!(c.history[0].event, EventKind::Created);
    }

    #[test]
    fn amendments_are_validated_like_an_import_and_recorded() {
        let c = draft();
        let bad = Amendment {
            set: [
                ("email".to_owned(), "ana@".to_owned()),
                ("grade".to_owned(), "Excellent".to_owned()),
            ]
            .into(),
        };
        let findings = c.check_amendment(&schema(), &bad);
        let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
        assert_eq!(codes, vec!["invalid_email", "invalid_enum"]);
        assert!(findings.iter().all(|f| f.cell.is_none() && f.row.is_none()));
        let e = c.amend(&schema(), &bad, "ed", at(3)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);

        let swapped = Amendment {
            set: [("expires_on".to_owned(), "2026-01-01".to_owned())].into(),
        };
        assert_eq!(
            c.check_amendment(&schema(), &swapped)[0].code.as_str(),
            "expiry_before_issue"
        );

        let good = Amendment {
            set: [
                ("name".to_owned(), "  Ana  Lopez ".to_owned()),
                ("hours".to_owned(), "14".to_owned()),
                ("grade".to_owned(), "pass".to_owned()),
            ]
            .into(),
        };
        let amended = c.amend(&schema(), &good, "ed", at(3)).unwrap().credential;
        assert_eq!(amended.recipient.name, "Ana Lopez");
        assert_eq!(amended.attributes["grade"], "Pass");
        assert_eq!(amended.attributes["hours"], 14);
        assert_eq!(amended.reference.as_deref(), Some("CERT-1"));
        let last = amended.history.last().unwrap();
        assert_eq!(
            (last.event, last.actor.as_str()),
            (EventKind::Amended, "ed")
        );
        let fields: Vec<&str> = last.changes.iter().map(|c| c.field.as_str()).collect();
        assert_eq!(fields, vec!["grade", "hours", "name"]);

        let unknown = Amendment {
            set: [("colour".to_owned(), "red".to_owned())].into(),
        };
        assert_eq!(
            c.amend(&schema(), &unknown, "ed", at(3))
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidValue
        );
    }

    #[test]
    fn required_values_cannot_be_cleared() {
        let clear = Amendment {
            set: [("hours".to_owned(), String::new())].into(),
        };
        let findings = draft().check_amendment(&schema(), &clear);
        assert_eq!(findings[0].code.as_str(), "missing_required_value");
        let clear = Amendment {
            set: [("expires_on".to_owned(), String::new())].into(),
        };
        let t = draft().amend(&schema(), &clear, "ed", at(3)).unwrap();
        assert_eq!(t.credential.expires_on, None);
    }

    #[test]
    fn states_move_only_along_the_lifecycle() {
        let c = draft();
        let p = c.publish("ed", at(4)).unwrap().credential;
        assert_eq!(p.state, CredentialState::Published);
        for e in [
            p.publish("ed", at(5)).unwrap_err(),
            p.amend(&schema(), &Amendment::default(), "ed", at(5))
                .unwrap_err(),
            c.revoke("mistake", "ed", at(5)).unwrap_err(),
            p.expire("clock", at(5)).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::IllegalTransition, "{e}");
        }
        let later = Utc.with_ymd_and_hms(2028, 3, 3, 0, 0, 0).unwrap();
        let expired = p.expire("clock", later).unwrap().credential;
        assert_eq!(expired.state, CredentialState::Expired);
        let revoked = expired.revoke("fraud", "ed", later).unwrap().credential;
        assert_eq!(revoked.state, CredentialState::Revoked);
        assert_eq!(
            revoked.history.last().unwrap().reason.as_deref(),
            Some("fraud")
        );
        assert_eq!(
            revoked.revoke("again", "ed", later).unwrap_err().kind(),
            ErrorKind::IllegalTransition
        );
        let events: Vec<EventKind> = revoked.history.iter().map(|h| h.event).collect();
        assert_eq!(
            events,
            vec![
                EventKind::Created,
                EventKind::Published,
                EventKind::Expired,
                EventKind::Revoked
            ]
        );
    }
}
