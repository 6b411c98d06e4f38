//! Corrections by spreadsheet: a re-uploaded roster changes the drafts and published
//! credentials of its group, each row validated exactly as an imported row.
//!
//! A row names its credential by the credential id column (the id conferral gave, or the
//! issuer's own id kept as the credential's reference), or, when that cell is empty or the
//! roster has no such column, by the recipient's address within the group. Its other cells
//! are the corrections: an empty cell leaves the value as it is, a cell holding exactly
//! [`CLEAR_MARKER`] clears it (a required attribute cannot be cleared: that row is refused).
//! Each row is decided on its own: a refused row has findings at its cells and the rest
//! are applied.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::AnalyzeOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Code, Finding, Severity};
use crate::fixes::RosterRow;
use crate::group::{DuplicatePolicy, Group, standard};
use crate::lifecycle::{Amendment, Credential, CredentialState, FieldChange};
use crate::matching::ColumnMatch;
use crate::outbox::{DeliveryState, MessageKind, OutboxMessage};
use crate::render::{RenderedEmail, Renderer};
use crate::storage::{CredentialQuery, MessageQuery, Storage};
use crate::values::email::duplicate_key;

use super::Issuer;

/// The cell text that clears a value in a correction roster (an empty cell leaves it as it
/// is).
pub const CLEAR_MARKER: &str = "[clear]";

/// A correction roster for a group's credentials.
#[derive(Debug, Clone)]
pub struct CorrectRequest<'a> {
    /// The group whose credentials are corrected; its columns are matched as an import's.
    pub group: &'a Group,
    /// The roster's bytes.
    pub bytes: &'a [u8],
    /// Sheet, header row, confirmed mapping, limits.
    pub options: AnalyzeOptions,
    /// Tell the recipients of corrected published credentials again: their email is
    /// rendered anew with the new values and queued again (same Message-ID).
    pub notify: bool,
    /// Work out every change and write nothing.
    pub dry_run: bool,
    /// Who corrects, recorded in each credential's history.
    pub actor: &'a str,
}

impl<'a> CorrectRequest<'a> {
    /// A correction of `group`'s credentials from `bytes`, with default options, no
    /// notification.
    pub fn new(group: &'a Group, bytes: &'a [u8], actor: &'a str) -> CorrectRequest<'a> {
        CorrectRequest {
            group,
            bytes,
            options: AnalyzeOptions::default(),
            notify: false,
            dry_run: false,
            actor,
        }
    }
}

/// One credential corrected (or, in a dry run, that would be).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Correction {
    /// The credential.
    pub id: String,
    /// The roster row it was named on.
    pub row: u64,
    /// Its state, which a correction keeps (`draft` or `published`).
    pub state: CredentialState,
    /// Every changed field, before and after.
    pub changes: Vec<FieldChange>,
    /// Whether its recipient is told again (its email queued again with the new values).
    pub notified: bool,
}

/// What a correction did, or in a dry run would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorrectOutcome {
    /// The group's key.
    pub group: String,
    /// Data rows of the roster.
    pub rows: u64,
    /// How rows named their credential: `credential_id` or `email`.
    pub matched_by: String,
    /// Credentials corrected, in row order.
    pub corrected: Vec<Correction>,
    /// Credentials named whose values are already those of their row.
    pub unchanged: Vec<String>,
    /// Rows refused, each with at least one error finding; the other rows are applied.
    pub refused: u64,
    /// Findings by row: errors of refused rows, warnings of applied ones.
    pub findings: Vec<Finding>,
    /// Whether this was a dry run: nothing was written.
    pub dry_run: bool,
}

/// The roster's columns a correction reads.
pub(super) struct Columns {
    id: Option<ColumnMatch>,
    email: Option<ColumnMatch>,
    /// Every column mapped to an attribute, but the credential id.
    values: Vec<ColumnMatch>,
}

impl Columns {
    pub(super) fn of(columns: &[ColumnMatch]) -> Columns {
        let find = |key: &str| {
            columns
                .iter()
                .find(|c| c.attribute.as_deref() == Some(key))
                .cloned()
        };
        Columns {
            id: find(standard::CREDENTIAL_ID),
            email: find(standard::EMAIL),
            values: columns
                .iter()
                .filter(|c| {
                    c.attribute
                        .as_deref()
                        .is_some_and(|a| a != standard::CREDENTIAL_ID)
                })
                .cloned()
                .collect(),
        }
    }

    /// How the roster's rows name their credential: by the credential id column when it
    /// has one, else by the email column.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] when it has neither.
    pub(super) fn matched_by(&self) -> Result<&'static str> {
        match (&self.id, &self.email) {
            (Some(_), _) => Ok(standard::CREDENTIAL_ID),
            (None, Some(_)) => Ok(standard::EMAIL),
            (None, None) => Err(Error::new(
                ErrorKind::InvalidValue,
                "the roster names no credential: give a credential id column, or an email column to find each recipient's credential in the group",
            )),
        }
    }

    fn letter_of(&self, attribute: &str) -> Option<&str> {
        let name_part = [standard::FIRST_NAME, standard::LAST_NAME];
        self.values
            .iter()
            .find(|c| c.attribute.as_deref() == Some(attribute))
            .or_else(|| {
                // A name given in first- and last-name columns is checked as `name`.
                (attribute == standard::NAME)
                    .then(|| {
                        self.values
                            .iter()
                            .find(|c| name_part.contains(&c.attribute.as_deref().unwrap_or("")))
                    })
                    .flatten()
            })
            .map(|c| c.letter.as_str())
    }
}

fn cell<'r>(row: &'r RosterRow, column: &ColumnMatch) -> &'r str {
    row.cells.get(column.index).map_or("", |c| c.trim())
}

/// The group's credentials, looked up the ways a row may name one.
pub(super) struct Held {
    pub(super) all: Vec<Credential>,
    /// The credentials a row may name when an address or a reference names several.
    wanted: fn(&Credential) -> bool,
    by_id: HashMap<String, usize>,
    by_reference: HashMap<String, Vec<usize>>,
    by_email: HashMap<String, Vec<usize>>,
}

impl Held {
    /// The group's credentials `all`; an address or a reference naming several is taken to
    /// mean those of them that are `wanted` (a correction wants drafts and published ones).
    pub(super) fn new(all: Vec<Credential>, wanted: fn(&Credential) -> bool) -> Held {
        let mut held = Held {
            wanted,
            by_id: HashMap::new(),
            by_reference: HashMap::new(),
            by_email: HashMap::new(),
            all: Vec::new(),
        };
        for (i, c) in all.iter().enumerate() {
            held.by_id.insert(c.id.clone(), i);
            if let Some(reference) = &c.reference {
                held.by_reference
                    .entry(reference.clone())
                    .or_default()
                    .push(i);
            }
            held.by_email
                .entry(duplicate_key(&c.recipient.email))
                .or_default()
                .push(i);
        }
        held.all = all;
        held
    }

    /// The credentials of `indexes` that are wanted, else all of them.
    fn correctable(&self, indexes: &[usize]) -> Vec<usize> {
        let wanted = self.wanted;
        let live: Vec<usize> = indexes
            .iter()
            .copied()
            .filter(|i| self.all.get(*i).is_some_and(wanted))
            .collect();
        if live.is_empty() {
            indexes.to_vec()
        } else {
            live
        }
    }

    /// Another live credential of the group for `address` than `id`, under the policy.
    fn clash(&self, address: &str, id: &str) -> Option<&Credential> {
        self.by_email
            .get(address)?
            .iter()
            .filter_map(|i| self.all.get(*i))
            .find(|c| c.id != id && c.state != CredentialState::Revoked)
    }

    /// Records that credential `id` is now for `address` (an applied email change).
    fn moved(&mut self, id: &str, from: &str, to: String) {
        let Some(&i) = self.by_id.get(id) else {
            return;
        };
        if let Some(list) = self.by_email.get_mut(from) {
            list.retain(|j| *j != i);
        }
        self.by_email.entry(to).or_default().push(i);
    }
}

fn correctable(c: &Credential) -> bool {
    matches!(c.state, CredentialState::Draft | CredentialState::Published)
}

/// A roster read to name a group's credentials ([`Issuer::naming_roster`]).
pub(super) struct NamingRoster {
    /// The group's key.
    pub(super) key: String,
    /// The roster as read.
    pub(super) read: crate::analysis::Fixed,
    /// Its columns that name credentials and hold values.
    pub(super) columns: Columns,
    /// How its rows name credentials: `credential_id` or `email`.
    pub(super) matched_by: &'static str,
    /// The group's credentials.
    pub(super) held: Held,
}

/// A row's credential, or why it names none.
pub(super) enum Named {
    One(usize),
    Refused(Finding),
}

impl<S: Storage> Issuer<S> {
    /// Corrects the drafts and published credentials of a group from a re-uploaded roster
    /// (see the module's documentation for how rows name credentials and what their cells
    /// do). Each row's values are validated exactly as an imported row's, against the group
    /// version its credential was issued under; a published credential stays published,
    /// keeps its status list index and records an `corrected` history entry with every
    /// change, and its signed document and page show the new values from then on. A
    /// published credential whose email is still queued gets it rendered anew; with
    /// `notify`, one whose email went out (or failed) has it queued again with the new
    /// values and the same Message-ID, never while it is being sent.
    ///
    /// Refused rows, each with findings at its cells: an unknown id or address, a
    /// credential of another group, a credential named on several rows (all of them are
    /// refused), an address several credentials are for, a revoked or expired credential, a
    /// value its attribute refuses (a required one cleared included), a new address another
    /// credential of the group is for under its duplicate policy, an email that cannot be
    /// rendered.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for a group that is not stored; the errors of
    /// [`crate::analyze`]; [`ErrorKind::InvalidValue`] for a roster with
    /// neither a credential id nor an email column; a store failure (rows applied before it
    /// stay applied).
    pub fn correct(
        &mut self,
        request: &CorrectRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<CorrectOutcome> {
        let NamingRoster {
            key,
            read: fixed,
            columns,
            matched_by,
            mut held,
        } = self.naming_roster(request.group, request.bytes, &request.options, correctable)?;
        let mut outcome = CorrectOutcome {
            group: key,
            rows: fixed.roster.rows.len() as u64,
            matched_by: matched_by.to_owned(),
            corrected: Vec::new(),
            unchanged: Vec::new(),
            refused: 0,
            findings: Vec::new(),
            dry_run: request.dry_run,
        };
        let mut named = Vec::with_capacity(fixed.roster.rows.len());
        let mut rows_of: HashMap<usize, Vec<u64>> = HashMap::new();
        for row in &fixed.roster.rows {
            let found = self.name(&held, &columns, row)?;
            if let Named::One(i) = found {
                rows_of.entry(i).or_default().push(row.row);
            }
            named.push((row, found));
        }
        let mut renderers: BTreeMap<(String, Option<u32>), Renderer> = BTreeMap::new();
        for (row, found) in named {
            let i = match found {
                Named::One(i) => i,
                Named::Refused(finding) => {
                    outcome.refused += 1;
                    outcome.findings.push(finding);
                    continue;
                }
            };
            let Some(credential) = held.all.get(i).cloned() else {
                continue;
            };
            let rows = rows_of.get(&i).map_or(&[][..], Vec::as_slice);
            if rows.len() > 1 {
                outcome.refused += 1;
                outcome
                    .findings
                    .push(named_twice(&columns, row.row, &credential, rows));
                continue;
            }
            let step = Step {
                request,
                columns: &columns,
                row,
                now,
            };
            let refusals =
                self.correct_row(&step, &credential, &mut held, &mut renderers, &mut outcome)?;
            if !refusals.is_empty() {
                outcome.refused += 1;
                outcome.findings.extend(refusals);
            }
        }
        Ok(outcome)
    }

    /// Reads a roster whose rows name credentials of `group` (stored: a group never stored
    /// has none to name, and says so rather than refusing every row), with the group's
    /// credentials to name them from; `wanted` picks among several an address names.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for a group that is not stored; the errors of reading the
    /// roster; [`ErrorKind::InvalidValue`] for a roster with neither a credential id nor an
    /// email column; a store failure.
    pub(super) fn naming_roster(
        &self,
        group: &Group,
        bytes: &[u8],
        options: &AnalyzeOptions,
        wanted: fn(&Credential) -> bool,
    ) -> Result<NamingRoster> {
        let key = group.key();
        self.group(&key, None)?;
        let read = crate::analysis::fix(bytes, group, options, &[])?;
        let columns = Columns::of(&read.report.columns);
        let matched_by = columns.matched_by()?;
        let all = self.store.credentials(&CredentialQuery {
            group: Some(key.clone()),
            ..CredentialQuery::default()
        })?;
        Ok(NamingRoster {
            key,
            read,
            columns,
            matched_by,
            held: Held::new(all, wanted),
        })
    }

    /// The credential a row names, or the finding that says why it names none.
    pub(super) fn name(&self, held: &Held, columns: &Columns, row: &RosterRow) -> Result<Named> {
        let id = columns.id.as_ref().map(|c| (c, cell(row, c)));
        if let Some((column, id)) = id.filter(|(_, id)| !id.is_empty()) {
            return self.name_by_id(held, column, row.row, id);
        }
        let email = columns.email.as_ref().map(|c| (c, cell(row, c)));
        let Some((column, email)) = email.filter(|(_, e)| !e.is_empty()) else {
            let at = columns.id.as_ref().or(columns.email.as_ref());
            return Ok(Named::Refused(
                Finding::error(Code::UnknownCredential, "the row names no credential")
                    .at(at.map(|c| c.letter.as_str()), Some(row.row))
                    .help("give the credential's id, or its recipient's email address"),
            ));
        };
        let address = duplicate_key(email);
        let found = held.by_email.get(&address).map_or(&[][..], Vec::as_slice);
        let refuse = |code, message: String, help: &str| {
            Ok(Named::Refused(
                Finding::error(code, message)
                    .at_cell(&column.letter, row.row)
                    .attribute(standard::EMAIL)
                    .value(email)
                    .help(help),
            ))
        };
        match held.correctable(found).as_slice() {
            [] => refuse(
                Code::UnknownCredential,
                format!("no credential of the group is for `{email}`"),
                "check the address, or name the credential by its id in a credential id column",
            ),
            [one] => Ok(Named::One(*one)),
            several => {
                let ids: Vec<String> = several
                    .iter()
                    .filter_map(|i| held.all.get(*i))
                    .map(|c| format!("`{}`", c.id))
                    .collect();
                refuse(
                    Code::AmbiguousRecipient,
                    format!(
                        "{} credentials of the group are for `{email}`: {}",
                        ids.len(),
                        ids.join(", ")
                    ),
                    "name the credential by its id in a credential id column",
                )
            }
        }
    }

    fn name_by_id(&self, held: &Held, column: &ColumnMatch, row: u64, id: &str) -> Result<Named> {
        if let Some(i) = held.by_id.get(id) {
            return Ok(Named::One(*i));
        }
        let refuse = |code, message: String, help: &str| {
            Ok(Named::Refused(
                Finding::error(code, message)
                    .at_cell(&column.letter, row)
                    .attribute(standard::CREDENTIAL_ID)
                    .value(id)
                    .help(help),
            ))
        };
        match held.by_reference.get(id).map(|r| held.correctable(r)) {
            Some(found) if found.len() == 1 => {
                if let Some(one) = found.first() {
                    return Ok(Named::One(*one));
                }
            }
            Some(found) if found.len() > 1 => {
                return refuse(
                    Code::DuplicateCredentialId,
                    format!(
                        "{} credentials of the group have the issuer's id `{id}`",
                        found.len()
                    ),
                    "name the credential by the id conferral gave it",
                );
            }
            _ => {}
        }
        match self.store.credential(id)? {
            Some(other) => refuse(
                Code::CredentialInOtherGroup,
                format!(
                    "credential `{id}` is of the group `{}`, not this one",
                    other.group
                ),
                "name it in a roster for its own group, or remove the row",
            ),
            None => refuse(
                Code::UnknownCredential,
                format!("there is no credential `{id}`"),
                "check the id, or remove the row",
            ),
        }
    }

    /// Corrects one row's credential; returns the row's refusals (nothing applied then).
    fn correct_row(
        &mut self,
        step: &Step<'_>,
        credential: &Credential,
        held: &mut Held,
        renderers: &mut BTreeMap<(String, Option<u32>), Renderer>,
        outcome: &mut CorrectOutcome,
    ) -> Result<Vec<Finding>> {
        let row = step.row.row;
        let at_row =
            |code, message: String| Finding::error(code, message).at(step.key_letter(), Some(row));
        if !correctable(credential) {
            return Ok(vec![
                at_row(
                    Code::CredentialNotCorrectable,
                    format!(
                        "credential `{}` is {} and cannot be corrected",
                        credential.id,
                        credential.state.as_str()
                    ),
                )
                .help("issue a new credential for the recipient instead"),
            ]);
        }
        let issued = self.stored_group_of(credential)?;
        let schema = issued.group.schema()?;
        let amendment = step.amendment();
        let errors: Vec<Finding> = credential
            .check_amendment(&schema, &amendment)
            .into_iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| {
                let letter = f
                    .attribute
                    .as_deref()
                    .and_then(|a| step.columns.letter_of(a));
                let mut f = f.at(letter, Some(row));
                if let Some(cell) = &f.cell {
                    f.message = placed(&f.message, cell);
                }
                f
            })
            .collect();
        if !errors.is_empty() {
            return Ok(errors);
        }
        let reason = Some(match &step.request.options.file_name {
            Some(file) => format!("row {row} of {file}"),
            None => format!("row {row} of a correction"),
        });
        let next = credential
            .correct(&schema, &amendment, step.request.actor, step.now, reason)?
            .credential;
        if next.history.len() == credential.history.len() {
            outcome.unchanged.push(credential.id.clone());
            return Ok(Vec::new());
        }
        let before = duplicate_key(&credential.recipient.email);
        let after = duplicate_key(&next.recipient.email);
        if before != after
            && step.request.group.duplicates != DuplicatePolicy::Allow
            && let Some(other) = held.clash(&after, &credential.id)
        {
            return Ok(vec![
                Finding::error(
                    Code::DuplicateRecipient,
                    format!(
                        "{} already has credential `{}` ({}) in this group, and the group's duplicate policy allows one per recipient",
                        next.recipient.email,
                        other.id,
                        other.state.as_str()
                    ),
                )
                .at(step.columns.letter_of(standard::EMAIL), Some(row))
                .attribute(standard::EMAIL)
                .help("give another address, or revoke the other credential first"),
            ]);
        }
        // A published credential's queued email must not go out with the old values, and a
        // notification needs the new one: both are rendered before anything is written.
        let message = if next.state == CredentialState::Published {
            let renderer = match renderers.entry((issued.key.clone(), credential.group_version)) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(self.renderer(&issued.group)?)
                }
            };
            match renderer.render(&next.merge_fields()) {
                Ok(email) => self.requeue(&next.id, email, step.request.notify, step.now)?,
                Err(e) => {
                    return Ok(vec![at_row(
                        Code::EmailNotRendered,
                        format!(
                            "the email of credential `{}` cannot be rendered with the new values: {e}",
                            next.id
                        ),
                    )
                    .help("shorten or change the values the email shows")]);
                }
            }
        } else {
            Requeue::None
        };
        let mut notified = matches!(message, Requeue::Again(..));
        if !step.request.dry_run {
            match self.store.update_credential(&next) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::Conflict => {
                    return Ok(vec![
                        at_row(
                            Code::CredentialNotCorrectable,
                            format!(
                                "credential `{}` changed while it was being corrected: {e}",
                                next.id
                            ),
                        )
                        .help("run the correction again"),
                    ]);
                }
                Err(e) => return Err(e),
            }
            if let Some(warning) = self.store_message(message, &next.id, step)? {
                notified = false;
                outcome.findings.push(warning);
            }
        } else if let Requeue::Busy(state) = message {
            outcome.findings.push(busy(&next.id, state, row, step));
        }
        if before != after {
            held.moved(&next.id, &before, after);
        }
        outcome.corrected.push(Correction {
            id: next.id.clone(),
            row,
            state: next.state,
            changes: next
                .history
                .last()
                .map(|h| h.changes.clone())
                .unwrap_or_default(),
            notified,
        });
        if let Some(i) = held.by_id.get(&next.id).copied()
            && let Some(slot) = held.all.get_mut(i)
        {
            *slot = next;
        }
        Ok(Vec::new())
    }

    /// What becomes of a corrected published credential's `issued` email.
    fn requeue(
        &self,
        id: &str,
        email: RenderedEmail,
        notify: bool,
        now: DateTime<Utc>,
    ) -> Result<Requeue> {
        let messages = self.store.messages(&MessageQuery {
            credentials: Some(vec![id.to_owned()]),
            ..MessageQuery::default()
        })?;
        let Some(message) = messages.into_iter().find(|m| m.kind == MessageKind::Issued) else {
            return Ok(Requeue::None);
        };
        let state = message.state;
        Ok(match state {
            // Not sent yet: it goes out with the new values, whether asked or not.
            DeliveryState::Pending => Requeue::Rendered(OutboxMessage { email, ..message }, state),
            DeliveryState::Sending if notify => Requeue::Busy(state),
            DeliveryState::Sending => Requeue::None,
            _ if notify => {
                let again = message.resend(now)?;
                Requeue::Again(OutboxMessage { email, ..again }, state)
            }
            _ => Requeue::None,
        })
    }

    /// Writes a requeued message; a warning when it could not be (claimed meanwhile).
    fn store_message(
        &mut self,
        message: Requeue,
        id: &str,
        step: &Step<'_>,
    ) -> Result<Option<Finding>> {
        let row = step.row.row;
        let (message, expected) = match message {
            Requeue::None => return Ok(None),
            Requeue::Busy(state) => return Ok(Some(busy(id, state, row, step))),
            Requeue::Rendered(m, s) | Requeue::Again(m, s) => (m, s),
        };
        match self.store.update_messages(&[(message.clone(), expected)]) {
            Ok(()) => Ok(None),
            Err(e) if e.kind() == ErrorKind::Conflict => {
                Ok(Some(busy(id, DeliveryState::Sending, row, step)))
            }
            Err(e) => Err(e),
        }
    }
}

/// A corrected credential's email, as it is to be stored.
enum Requeue {
    /// Nothing to change: a draft, no email, or not asked to notify.
    None,
    /// The queued email, rendered anew; it was in this state.
    Rendered(OutboxMessage, DeliveryState),
    /// The email queued again with the new values; it was in this state.
    Again(OutboxMessage, DeliveryState),
    /// A notification was asked for, but the email is being sent.
    Busy(DeliveryState),
}

/// One row being corrected.
struct Step<'a> {
    request: &'a CorrectRequest<'a>,
    columns: &'a Columns,
    row: &'a RosterRow,
    now: DateTime<Utc>,
}

impl Step<'_> {
    /// The column that named the row's credential.
    fn key_letter(&self) -> Option<&str> {
        let id = self
            .columns
            .id
            .as_ref()
            .filter(|c| !cell(self.row, c).is_empty());
        id.or(self.columns.email.as_ref())
            .map(|c| c.letter.as_str())
    }

    /// Whether the email column named the credential (so it is not a correction).
    fn keyed_by_email(&self) -> bool {
        self.columns
            .id
            .as_ref()
            .is_none_or(|c| cell(self.row, c).is_empty())
    }

    /// The row's corrections: every non-empty cell of a mapped column, [`CLEAR_MARKER`]
    /// as an empty value (a clear). First- and last-name cells become the name.
    fn amendment(&self) -> Amendment {
        let mut set = BTreeMap::new();
        let mut parts: Vec<(&str, &str)> = Vec::new();
        for column in &self.columns.values {
            let Some(attribute) = column.attribute.as_deref() else {
                continue;
            };
            if attribute == standard::EMAIL && self.keyed_by_email() {
                continue;
            }
            let text = cell(self.row, column);
            if text.is_empty() {
                continue;
            }
            let value = if text == CLEAR_MARKER { "" } else { text };
            if matches!(attribute, standard::FIRST_NAME | standard::LAST_NAME) {
                parts.push((attribute, value));
            } else {
                set.insert(attribute.to_owned(), value.to_owned());
            }
        }
        if !parts.is_empty() && !set.contains_key(standard::NAME) {
            parts.sort_by_key(|(a, _)| *a != standard::FIRST_NAME);
            let name: Vec<&str> = parts
                .iter()
                .map(|(_, v)| *v)
                .filter(|v| !v.is_empty())
                .collect();
            set.insert(standard::NAME.to_owned(), name.join(" "));
        }
        Amendment { set }
    }
}

/// A validation message with the cell it names (one recipient's values are validated as
/// row 1 of a sheet of their own) replaced by the roster's `cell`.
fn placed(message: &str, cell: &str) -> String {
    let Some(at) = message.find("cell ") else {
        return message.to_owned();
    };
    let (head, rest) = message.split_at(at + "cell ".len());
    let end = rest
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(rest.len());
    let (named, tail) = rest.split_at(end);
    let is_cell = named.starts_with(|c: char| c.is_ascii_uppercase())
        && named.ends_with(|c: char| c.is_ascii_digit());
    if is_cell {
        format!("{head}{cell}{tail}")
    } else {
        message.to_owned()
    }
}

/// The warning of a credential corrected whose recipient was not told again.
fn busy(id: &str, state: DeliveryState, row: u64, step: &Step<'_>) -> Finding {
    Finding::warning(
        Code::NotNotified,
        format!(
            "credential `{id}` was corrected, but its email is {} and was not queued again",
            state.as_str()
        ),
    )
    .at(step.key_letter(), Some(row))
    .help("resend it once its delivery has settled (`conferral resend`)")
}

/// The refusal of a row naming a credential other rows name too.
fn named_twice(columns: &Columns, row: u64, credential: &Credential, rows: &[u64]) -> Finding {
    let others: Vec<String> = rows
        .iter()
        .filter(|r| **r != row)
        .map(u64::to_string)
        .collect();
    let letter = columns.id.as_ref().or(columns.email.as_ref());
    Finding::error(
        Code::DuplicateCredentialId,
        format!(
            "credential `{}` is named on rows {} too: which correction is meant is not known",
            credential.id,
            others.join(", ")
        ),
    )
    .at(letter.map(|c| c.letter.as_str()), Some(row))
    .help("keep one row per credential")
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::issuer::{ImportRequest, IssuerConfig, Selection};
    use crate::lifecycle::{EventKind, FromRandomBytes};
    use crate::mail::Mailbox;
    use crate::outbox::Lease;
    use crate::storage::MemoryStorage;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn group() -> Group {
        serde_json::from_str(
            r#"{"name": "Bootcamp", "attributes": [
                {"key": "grade", "type": "enum", "values": ["Pass", "Merit"]},
                {"key": "hours", "type": "number", "required": true}]}"#,
        )
        .unwrap()
    }

    /// An issuer holding Ana, Bo and Cy's drafts, Ana's and Bo's published.
    fn issued() -> (Issuer<MemoryStorage>, Vec<String>) {
        let config = IssuerConfig::new(
            "https://credentials.example.org/c",
            Mailbox::parse("Academy <academy@example.org>"),
        );
        let mut issuer = Issuer::new(MemoryStorage::new(), config).unwrap();
        let mut n = 0u8;
        let mut ids = FromRandomBytes(move || {
            n += 1;
            [n; 16]
        });
        let roster = b"Name,Email,Grade,Hours\nAna,ana@example.org,Pass,1\nBo,bo@example.org,Pass,2\nCy,cy@example.org,Pass,3\n";
        let out = issuer
            .import(
                &ImportRequest::new(&group(), roster, "t"),
                &mut ids,
                now(),
                &mut |_| {},
            )
            .unwrap();
        let selection = Selection::Ids(out.created[..2].to_vec());
        issuer.publish(&selection, "t", now(), &mut |_| {}).unwrap();
        (issuer, out.created)
    }

    fn correct(
        issuer: &mut Issuer<MemoryStorage>,
        roster: &str,
        notify: bool,
        dry_run: bool,
    ) -> CorrectOutcome {
        let group = group();
        let request = CorrectRequest {
            notify,
            dry_run,
            ..CorrectRequest::new(&group, roster.as_bytes(), "ed")
        };
        issuer.correct(&request, now()).unwrap()
    }

    #[test]
    fn a_queued_email_is_rendered_anew_and_one_being_sent_is_left_alone() {
        let (mut issuer, ids) = issued();
        let lease = Lease {
            worker: "w".into(),
            until: now() + chrono::Duration::minutes(10),
        };
        // Bo's email is being sent; Ana's is still queued.
        let claimed = issuer
            .store_mut()
            .claim_next(now(), &lease)
            .unwrap()
            .unwrap();
        let (ana, bo) = if claimed.credential == ids[0] {
            (&ids[1], &ids[0])
        } else {
            (&ids[0], &ids[1])
        };
        let roster =
            format!("Credential ID,First Name,Last Name\n{ana},Quinn,Correct\n{bo},Sam,Correct\n");
        let before = issuer.credential(ana).unwrap().recipient.name;
        let dry = correct(&mut issuer, &roster, true, true);
        assert_eq!(dry.corrected.len(), 2);
        assert_eq!(issuer.credential(ana).unwrap().recipient.name, before);
        let out = correct(&mut issuer, &roster, true, false);
        assert_eq!(out.corrected, dry.corrected);
        assert!(out.corrected.iter().all(|c| !c.notified));
        let warnings: Vec<(&str, Severity, Option<&str>)> = out
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.severity, f.cell.as_deref()))
            .collect();
        assert_eq!(warnings, [("not_notified", Severity::Warning, Some("A3"))]);
        assert_eq!(out.refused, 0);
        let queued = issuer
            .store()
            .message(&format!("{ana}:issued"))
            .unwrap()
            .unwrap();
        assert_eq!(queued.state, DeliveryState::Pending);
        assert!(
            queued.email.text.contains("Quinn Correct"),
            "{}",
            queued.email.text
        );
        assert_eq!(queued.email.to_name, "Quinn Correct");
        let sending = issuer
            .store()
            .message(&format!("{bo}:issued"))
            .unwrap()
            .unwrap();
        assert_eq!(sending, claimed, "a message being sent is not touched");
        let c = issuer.credential(bo).unwrap();
        assert_eq!(c.recipient.name, "Sam Correct");
        assert_eq!(c.state, CredentialState::Published);
        let last = c.history.last().unwrap();
        assert_eq!(
            (last.event, last.actor.as_str()),
            (EventKind::Corrected, "ed")
        );
    }

    #[test]
    fn messages_name_the_rosters_cell() {
        assert_eq!(
            placed("hours is required but cell B1 is empty", "C7"),
            "hours is required but cell C7 is empty"
        );
        assert_eq!(
            placed("cell AB1 holds 9 bytes", "D2"),
            "cell D2 holds 9 bytes"
        );
        assert_eq!(placed("not a number", "D2"), "not a number");
        assert_eq!(placed("the cell value", "D2"), "the cell value");
    }

    #[test]
    fn expired_and_revoked_credentials_are_refused_with_the_reason() {
        let (mut issuer, ids) = issued();
        let amended = Amendment {
            set: [("expires_on".to_owned(), "2026-03-01".to_owned())].into(),
        };
        issuer.amend(&ids[2], &amended, "t", now()).unwrap();
        issuer
            .publish(
                &Selection::Ids(vec![ids[2].clone()]),
                "t",
                now(),
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(issuer.expire_due("t", now()).unwrap(), [ids[2].clone()]);
        issuer.revoke(&ids[0], "mistake", "t", now()).unwrap();
        let roster = format!("Credential ID,Hours\n{},9\n{},9\n", ids[2], ids[0]);
        let out = correct(&mut issuer, &roster, false, false);
        let refused: Vec<(&str, Option<&str>, &str)> = out
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.cell.as_deref(), f.message.as_str()))
            .collect();
        let expired = format!("credential `{}` is expired and cannot be corrected", ids[2]);
        let revoked = format!("credential `{}` is revoked and cannot be corrected", ids[0]);
        assert_eq!(
            refused,
            [
                ("credential_not_correctable", Some("A2"), expired.as_str()),
                ("credential_not_correctable", Some("A3"), revoked.as_str()),
            ]
        );
        assert_eq!((out.refused, out.corrected.len()), (2, 0));
    }

    #[test]
    fn unchanged_rows_write_nothing_and_drafts_are_corrected_by_address() {
        let (mut issuer, ids) = issued();
        let before = issuer.credential(&ids[2]).unwrap();
        let out = correct(
            &mut issuer,
            "Email,Hours,Grade\ncy@example.org,3,\n",
            false,
            false,
        );
        assert_eq!(
            (out.unchanged.as_slice(), out.corrected.len()),
            (&ids[2..], 0)
        );
        assert_eq!(issuer.credential(&ids[2]).unwrap(), before);
        let out = correct(
            &mut issuer,
            "Email,Hours,Grade\ncy@example.org,,[clear]\n",
            false,
            false,
        );
        assert_eq!(out.corrected[0].state, CredentialState::Draft);
        assert_eq!(
            out.corrected[0].changes,
            [FieldChange {
                field: "grade".into(),
                from: "Pass".into(),
                to: serde_json::Value::Null
            }]
        );
        let bad = correct(
            &mut issuer,
            "Email,Hours\ncy@example.org,[clear]\nbo@example.org,ten\n",
            false,
            false,
        );
        let codes: Vec<(&str, Option<&str>)> = bad
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.cell.as_deref()))
            .collect();
        assert_eq!(
            codes,
            [
                ("missing_required_value", Some("B2")),
                ("invalid_number", Some("B3"))
            ]
        );
        assert_eq!(bad.refused, 2);
    }
}
