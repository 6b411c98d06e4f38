//! Published credentials as signed Open Badges documents, and the issuer's revocation status
//! lists.
//!
//! Every credential gets its status list index when it is published
//! ([`Storage::allocate_status_indexes`]). Index `i` lives in list `i / STATUS_LIST_CAPACITY`
//! at `{base_url}/status/{list}`, at position `i % STATUS_LIST_CAPACITY`. A list holds at least
//! [`MIN_ENTRIES`] entries and grows by that much as credentials are published, so one list
//! serves most issuers for ever.
//!
//! A credential's document is signed as of the moment it was published, so exporting the
//! same credential twice with the same key gives the same bytes. Its recipient's salt is
//! derived from its id ([`salt_of`]): unique per credential, which is what a salt is for (it
//! is published in the document, so it was never a secret).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::credential::{
    DocumentOptions, IssuerKey, MIN_ENTRIES, StatusEntry, StatusList, open_badge_credential, sign,
};
use crate::error::{Error, ErrorKind, Result};
use crate::lifecycle::{Credential, CredentialState, EventKind};
use crate::storage::{CredentialQuery, Storage};

use super::query::Pager;
use super::{Issuer, Refused, Selection};

/// What an export did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportOutcome {
    /// Credentials signed and handed over, in order.
    pub exported: Vec<String>,
    /// Credentials named by id that have no document (drafts), each with the reason.
    pub refused: Vec<Refused>,
}

/// The most entries one status list holds; later credentials go to the next list.
pub const STATUS_LIST_CAPACITY: u64 = 1 << 24;

/// Revoked credentials read per page while a status list is built.
const PAGE: u64 = 10_000;

/// The salt of a credential's hashed recipient email: 32 hex digits of SHA-256 over a
/// fixed label and the credential's id.
///
/// ```
/// use conferral::issuer::salt_of;
/// assert_eq!(salt_of("Ab12").len(), 32);
/// assert_ne!(salt_of("Ab12"), salt_of("Ab13"));
/// ```
pub fn salt_of(credential_id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"conferral recipient salt\0")
        .chain_update(credential_id.as_bytes())
        .finalize();
    digest.iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The URL of status list `list` under a credential link base.
///
/// # Errors
/// [`ErrorKind::InvalidConfig`] for a base that is not an http(s) address.
pub fn status_list_url(base_url: &str, list: u64) -> Result<String> {
    // The same checks as a credential's link; `status` is a valid id, so the list is one
    // path segment deeper than any credential.
    let credential = crate::render::credential_url(base_url, "status")?;
    Ok(format!("{credential}/{list}"))
}

/// When a credential's document is signed: the last time it was published or corrected
/// (its values changed then), else its last change.
fn signed_at(credential: &Credential) -> Option<DateTime<Utc>> {
    credential
        .history
        .iter()
        .rev()
        .find(|h| matches!(h.event, EventKind::Published | EventKind::Corrected))
        .or(credential.history.last())
        .map(|h| h.at)
}

impl<S: Storage> Issuer<S> {
    /// Where a status list index lives: its list's URL and its place in that list.
    ///
    /// # Errors
    /// As [`status_list_url`].
    pub fn status_entry(&self, index: u64) -> Result<StatusEntry> {
        Ok(StatusEntry {
            list_url: status_list_url(&self.config.base_url, index / STATUS_LIST_CAPACITY)?,
            index: index % STATUS_LIST_CAPACITY,
        })
    }

    /// The signed Open Badges 3.0 credential of a published, revoked or expired credential,
    /// signed with `key` as of its publish time (the same bytes each time). Its issuer's
    /// name is the group's, else the sender's name.
    ///
    /// A credential published before status lists existed has no index and so no
    /// `credentialStatus`: verifiers cannot learn of its revocation.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id or a group that is not stored;
    /// [`ErrorKind::IllegalTransition`] for a draft; the errors of
    /// [`open_badge_credential`] and [`sign`].
    pub fn signed_credential(&self, id: &str, key: &IssuerKey) -> Result<Value> {
        let credential = self.get(id)?;
        let group = self.group_of(&credential)?;
        let status = credential
            .status_index
            .map(|index| self.status_entry(index))
            .transpose()?;
        let salt = salt_of(&credential.id);
        let did = key.did();
        let sender = self.config.sender.name.trim();
        let options = DocumentOptions {
            base_url: &self.config.base_url,
            issuer: &did,
            salt: &salt,
            issuer_name: (!sender.is_empty()).then_some(sender),
            status: status.as_ref(),
        };
        let document = open_badge_credential(&credential, &group, &options)?;
        let at = signed_at(&credential).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidCredential,
                format!("credential `{id}` has no history to date its signature"),
            )
        })?;
        sign(&document, key, at)
    }

    /// Signs every credential a selection names that has a document (published, revoked
    /// or expired) and gives each to `sink` with its id, one at a time, so memory stays flat
    /// however many there are. [`Selection::Batch`], [`Selection::Group`] and
    /// [`Selection::All`] skip their drafts; a draft named by id is refused with the reason,
    /// and the rest are exported.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id or batch, before `sink` is called; what
    /// `sink` returns (the export stops there); a store, group or signing failure.
    pub fn export_credentials(
        &self,
        selection: &Selection,
        key: &IssuerKey,
        sink: &mut dyn FnMut(&str, &Value) -> Result<()>,
    ) -> Result<ExportOutcome> {
        let mut outcome = ExportOutcome::default();
        let mut one = |credential: &Credential, outcome: &mut ExportOutcome| -> Result<()> {
            if credential.state == CredentialState::Draft {
                outcome.refused.push(Refused {
                    id: credential.id.clone(),
                    code: ErrorKind::IllegalTransition.as_str().to_owned(),
                    message: format!(
                        "credential `{}` is a draft: publish it first",
                        credential.id
                    ),
                });
                return Ok(());
            }
            sink(
                &credential.id,
                &self.signed_credential(&credential.id, key)?,
            )?;
            outcome.exported.push(credential.id.clone());
            Ok(())
        };
        self.each_selected(selection, PAGE, &mut |c| one(c, &mut outcome))?;
        Ok(outcome)
    }

    /// How many status lists the issuer has: at least one, and one more for every
    /// [`STATUS_LIST_CAPACITY`] credentials published.
    ///
    /// # Errors
    /// A store failure.
    pub fn status_lists(&self) -> Result<u64> {
        Ok(self
            .store
            .status_indexes()?
            .div_ceil(STATUS_LIST_CAPACITY)
            .max(1))
    }

    /// Status list `list` as a `BitstringStatusListCredential` signed with `key` at `now`:
    /// the bit of every revoked credential in it is set. Sign it with the key the list's
    /// credentials were exported with: verifiers check that the list has their issuer.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for a list past [`Issuer::status_lists`]; a store failure;
    /// the errors of [`sign`].
    pub fn signed_status_list(
        &self,
        list: u64,
        key: &IssuerKey,
        now: DateTime<Utc>,
    ) -> Result<Value> {
        let lists = self.status_lists()?;
        if list >= lists {
            return Err(Error::new(
                ErrorKind::NotFound,
                format!("there is no status list {list}: the issuer has {lists} (numbered from 0)"),
            ));
        }
        let start = list * STATUS_LIST_CAPACITY;
        let reserved = self.store.status_indexes()?.saturating_sub(start);
        let entries = reserved
            .min(STATUS_LIST_CAPACITY)
            .div_ceil(MIN_ENTRIES)
            .max(1)
            * MIN_ENTRIES;
        let mut revoked = Vec::new();
        let mut pager = Pager::new(
            CredentialQuery {
                state: Some(CredentialState::Revoked),
                ..CredentialQuery::default()
            },
            PAGE,
        );
        loop {
            let page = pager.next(&self.store)?;
            if page.is_empty() {
                break;
            }
            revoked.extend(
                page.iter()
                    .filter_map(|c| c.status_index)
                    .filter(|i| (start..start + STATUS_LIST_CAPACITY).contains(i))
                    .map(|i| i - start),
            );
        }
        let bits = StatusList::with_revoked(entries, revoked)?;
        let url = status_list_url(&self.config.base_url, list)?;
        sign(&bits.credential(&url, &key.did(), now)?, key, now)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::Group;
    use crate::credential::{VerifyOptions, identifies, verify};
    use crate::issuer::{ImportRequest, IssuerConfig, Selection};
    use crate::lifecycle::FromRandomBytes;
    use crate::mail::Mailbox;
    use crate::storage::MemoryStorage;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap()
    }

    /// An issuer with three published credentials of one batch and one draft of another.
    fn issued() -> (Issuer<MemoryStorage>, Vec<String>, String) {
        let config = IssuerConfig::new(
            "https://credentials.example.org/c",
            Mailbox::parse("Academy <academy@example.org>"),
        );
        let mut issuer = Issuer::new(MemoryStorage::new(), config).unwrap();
        let group = Group {
            name: "Bootcamp 2026".into(),
            ..Group::default()
        };
        let mut seed = 0u8;
        let mut ids = FromRandomBytes(|| {
            seed += 1;
            [seed; 16]
        });
        let roster = b"Name,Email\nAna,ana@example.org\nBo,bo@example.org\nCy,cy@example.org\n";
        let first = issuer
            .import(
                &ImportRequest::new(&group, roster, "t"),
                &mut ids,
                at(2),
                &mut |_| {},
            )
            .unwrap();
        let batch = first.batch.id.clone();
        let published = issuer
            .publish(&Selection::Batch(batch.clone()), "t", at(3), &mut |_| {})
            .unwrap()
            .published;
        let roster = b"Name,Email\nDee,dee@example.org\n";
        issuer
            .import(
                &ImportRequest::new(&group, roster, "t"),
                &mut ids,
                at(4),
                &mut |_| {},
            )
            .unwrap();
        (issuer, published, batch)
    }

    /// The one draft [`issued`] leaves.
    fn the_draft(issuer: &Issuer<MemoryStorage>) -> Credential {
        let mut drafts = issuer
            .store()
            .credentials(&CredentialQuery {
                state: Some(CredentialState::Draft),
                ..CredentialQuery::default()
            })
            .unwrap();
        assert_eq!(drafts.len(), 1);
        drafts.remove(0)
    }

    #[test]
    fn publishing_gives_each_credential_its_own_status_index() {
        let (issuer, published, _) = issued();
        let indexes: Vec<_> = published
            .iter()
            .map(|id| issuer.get(id).unwrap().status_index)
            .collect();
        assert_eq!(indexes, vec![Some(0), Some(1), Some(2)]);
        assert_eq!(issuer.store().status_indexes().unwrap(), 3);
        assert_eq!(the_draft(&issuer).status_index, None);
    }

    #[test]
    fn an_exported_credential_verifies_and_names_its_recipient() {
        let (issuer, published, _) = issued();
        let key = IssuerKey::from_seed([9; 32]);
        let signed = issuer.signed_credential(&published[1], &key).unwrap();
        assert_eq!(
            signed["id"],
            format!("https://credentials.example.org/c/{}", published[1])
        );
        assert_eq!(
            signed["credentialStatus"]["statusListCredential"],
            "https://credentials.example.org/c/status/0"
        );
        assert_eq!(signed["credentialStatus"]["statusListIndex"], "1");
        assert_eq!(signed["issuer"]["name"], "Academy");
        assert_eq!(signed["proof"]["created"], "2026-03-03T09:00:00Z");
        assert!(identifies(&signed, "bo@example.org"));
        assert!(!identifies(&signed, "ana@example.org"));
        let report = verify(
            &signed,
            &VerifyOptions {
                now: at(5),
                status_list: None,
            },
        );
        assert!(report.valid, "{report:?}");
        // The same bytes each time.
        assert_eq!(
            issuer.signed_credential(&published[1], &key).unwrap(),
            signed
        );
    }

    #[test]
    fn exports_sign_what_has_a_document_and_refuse_named_drafts() {
        let (issuer, published, batch) = issued();
        let key = IssuerKey::from_seed([9; 32]);
        let mut seen = Vec::new();
        let mut sink = |id: &str, doc: &Value| {
            assert_eq!(doc["proof"]["type"], "DataIntegrityProof");
            seen.push(id.to_owned());
            Ok(())
        };
        let all = issuer
            .export_credentials(&Selection::All, &key, &mut sink)
            .unwrap();
        assert_eq!(all.exported, published);
        assert!(all.refused.is_empty());
        let by_batch = issuer
            .export_credentials(&Selection::Batch(batch), &key, &mut sink)
            .unwrap();
        assert_eq!(by_batch.exported, published);
        assert_eq!(seen.len(), 6);

        let draft = the_draft(&issuer);
        let named = issuer
            .export_credentials(
                &Selection::Ids(vec![draft.id.clone(), published[0].clone()]),
                &key,
                &mut |_, _| Ok(()),
            )
            .unwrap();
        assert_eq!(named.exported, vec![published[0].clone()]);
        assert_eq!(named.refused.len(), 1);
        assert_eq!(
            (named.refused[0].id.as_str(), named.refused[0].code.as_str()),
            (draft.id.as_str(), "illegal_transition")
        );
        // An unknown id stops the export before anything is handed over.
        let mut calls = 0;
        let unknown = issuer.export_credentials(
            &Selection::Ids(vec![published[0].clone(), "nope".into()]),
            &key,
            &mut |_, _| {
                calls += 1;
                Ok(())
            },
        );
        assert_eq!(unknown.unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(calls, 0);
    }

    #[test]
    fn drafts_and_unknown_ids_have_no_document() {
        let (issuer, _, _) = issued();
        let key = IssuerKey::from_seed([9; 32]);
        let draft = the_draft(&issuer);
        assert_eq!(
            issuer
                .signed_credential(&draft.id, &key)
                .unwrap_err()
                .kind(),
            ErrorKind::IllegalTransition
        );
        assert_eq!(
            issuer.signed_credential("nope", &key).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn a_revoked_credential_fails_against_the_signed_status_list() {
        let (mut issuer, published, batch) = issued();
        let key = IssuerKey::from_seed([9; 32]);
        let outcome = issuer
            .revoke_selection(
                &Selection::Ids(vec![published[2].clone(), published[2].clone()]),
                "issued in error",
                "t",
                at(5),
            )
            .unwrap();
        assert_eq!(outcome.revoked, vec![published[2].clone()]);
        let list = issuer.signed_status_list(0, &key, at(6)).unwrap();
        assert_eq!(list["id"], "https://credentials.example.org/c/status/0");
        let check = |id: &str| {
            let signed = issuer.signed_credential(id, &key).unwrap();
            verify(
                &signed,
                &VerifyOptions {
                    now: at(7),
                    status_list: Some(&list),
                },
            )
        };
        assert!(check(&published[0]).valid);
        let revoked = check(&published[2]);
        assert!(!revoked.valid);
        assert!(revoked.failures().any(|c| c.reason.starts_with("revoked")));

        // The rest of the batch: two revoked now, one before; the draft batch is untouched.
        let outcome = issuer
            .revoke_selection(&Selection::Batch(batch), "course withdrawn", "t", at(8))
            .unwrap();
        assert_eq!(outcome.revoked, published[..2].to_vec());
        assert_eq!(outcome.already_revoked, vec![published[2].clone()]);
        assert!(outcome.refused.is_empty());
        let list = issuer.signed_status_list(0, &key, at(9)).unwrap();
        let bits =
            StatusList::decode(list["credentialSubject"]["encodedList"].as_str().unwrap()).unwrap();
        assert_eq!(bits.len(), MIN_ENTRIES);
        let flags: Vec<_> = (0..4).map(|i| bits.is_revoked(i)).collect();
        assert_eq!(flags, vec![Some(true), Some(true), Some(true), Some(false)]);
    }

    #[test]
    fn revocations_need_a_reason_and_a_narrow_selection() {
        let (mut issuer, published, _) = issued();
        let kind = |issuer: &mut Issuer<MemoryStorage>, s: &Selection, reason: &str| {
            issuer
                .revoke_selection(s, reason, "t", at(5))
                .unwrap_err()
                .kind()
        };
        assert_eq!(
            kind(&mut issuer, &Selection::Ids(published.clone()), "  "),
            ErrorKind::InvalidValue
        );
        assert_eq!(
            kind(&mut issuer, &Selection::All, "oops"),
            ErrorKind::InvalidValue
        );
        // An unknown id stops the revocation before anything changes.
        let mut ids = published.clone();
        ids.push("nope".into());
        assert_eq!(
            kind(&mut issuer, &Selection::Ids(ids), "oops"),
            ErrorKind::NotFound
        );
        assert!(
            published
                .iter()
                .all(|id| issuer.get(id).unwrap().state == CredentialState::Published)
        );
    }

    #[test]
    fn lists_are_numbered_and_sized_by_what_was_reserved() {
        let (mut issuer, _, _) = issued();
        let key = IssuerKey::from_seed([9; 32]);
        assert_eq!(issuer.status_lists().unwrap(), 1);
        assert_eq!(
            issuer
                .signed_status_list(1, &key, at(5))
                .unwrap_err()
                .kind(),
            ErrorKind::NotFound
        );
        issuer
            .store_mut()
            .allocate_status_indexes(STATUS_LIST_CAPACITY + MIN_ENTRIES)
            .unwrap();
        assert_eq!(issuer.status_lists().unwrap(), 2);
        let entry = issuer.status_entry(STATUS_LIST_CAPACITY + 5).unwrap();
        assert_eq!(
            (entry.list_url.as_str(), entry.index),
            ("https://credentials.example.org/c/status/1", 5)
        );
        let second = issuer.signed_status_list(1, &key, at(5)).unwrap();
        let bits = StatusList::decode(second["credentialSubject"]["encodedList"].as_str().unwrap())
            .unwrap();
        assert_eq!(bits.len(), 2 * MIN_ENTRIES);
    }
}
