//! Revocation by spreadsheet: a roster whose rows name credentials of a group (by the
//! credential id column, or by the recipient's email within the group) revokes them, with
//! one reason, as [`Issuer::revoke_selection`] revokes ids. Rows that name no credential are
//! findings at their cells; the rest are revoked.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::AnalyzeOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::finding::Finding;
use crate::group::Group;
use crate::lifecycle::{Credential, CredentialState};
use crate::storage::Storage;

use super::correct::{Named, NamingRoster};
use super::{Issuer, NoticeOutcome, Refused, RevokeOutcome, Selection};

/// A roster of credentials to revoke.
#[derive(Debug, Clone)]
pub struct RevokeRosterRequest<'a> {
    /// The group whose credentials the roster names.
    pub group: &'a Group,
    /// The roster's bytes (any format an import reads).
    pub bytes: &'a [u8],
    /// Sheet, header row, confirmed mapping, limits.
    pub options: AnalyzeOptions,
    /// Why, kept in each credential's history and told to recipients and verifiers.
    pub reason: &'a str,
    /// Queue each recipient a revocation notice.
    pub notify: bool,
    /// Say what would be revoked and change nothing.
    pub dry_run: bool,
    /// Who revokes.
    pub actor: &'a str,
}

/// What a revocation by roster did, or in a dry run would do.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RevokeRosterOutcome {
    /// The group's key.
    pub group: String,
    /// Data rows of the roster.
    pub rows: u64,
    /// How rows named their credential: `credential_id` or `email`.
    pub matched_by: String,
    /// Credentials revoked now (in a dry run: that would be).
    pub revoked: Vec<String>,
    /// Credentials revoked before (nothing done again).
    pub already_revoked: Vec<String>,
    /// Credentials named but left as they were, each with the reason (drafts).
    pub refused: Vec<Refused>,
    /// The revocation notices queued, when asked for (none in a dry run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notices: Option<NoticeOutcome>,
    /// Rows that name no credential of the group, at their cells.
    pub findings: Vec<Finding>,
    /// Whether this was a dry run: nothing was written.
    pub dry_run: bool,
}

/// A credential a revocation roster may mean when an address names several.
fn revocable(c: &Credential) -> bool {
    matches!(
        c.state,
        CredentialState::Published | CredentialState::Expired | CredentialState::Revoked
    )
}

impl<S: Storage> Issuer<S> {
    /// Revokes the credentials a roster names (see the module's documentation), each in
    /// its own step as [`Issuer::revoke_selection`] does, and with `notify` queues their
    /// revocation notices. A credential named on several rows is revoked once.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for an empty reason or a roster with neither a credential
    /// id nor an email column; [`ErrorKind::NotFound`] for a group that is not stored; the
    /// errors of reading the roster; a store failure (what was revoked stays revoked).
    pub fn revoke_roster(
        &mut self,
        request: &RevokeRosterRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<RevokeRosterOutcome> {
        let reason = request.reason.trim();
        if reason.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "give the reason for the revocation: recipients and verifiers are told it",
            ));
        }
        let NamingRoster {
            key,
            read,
            columns,
            matched_by,
            held,
        } = self.naming_roster(request.group, request.bytes, &request.options, revocable)?;
        let mut outcome = RevokeRosterOutcome {
            group: key,
            rows: read.roster.rows.len() as u64,
            matched_by: matched_by.to_owned(),
            dry_run: request.dry_run,
            ..RevokeRosterOutcome::default()
        };
        let mut seen = BTreeSet::new();
        let mut ids = Vec::new();
        for row in &read.roster.rows {
            match self.name(&held, &columns, row)? {
                Named::One(i) => {
                    if let Some(c) = held.all.get(i)
                        && seen.insert(c.id.clone())
                    {
                        ids.push(c.id.clone());
                    }
                }
                Named::Refused(finding) => outcome.findings.push(finding),
            }
        }
        if request.dry_run {
            // The same transition a revocation makes, not stored.
            for id in ids {
                let c = self.get(&id)?;
                if c.state == CredentialState::Revoked {
                    outcome.already_revoked.push(id);
                    continue;
                }
                match c.revoke(reason, request.actor, now) {
                    Ok(_) => outcome.revoked.push(id),
                    Err(e) => outcome.refused.push(Refused {
                        id,
                        code: e.kind().as_str().to_owned(),
                        message: e.to_string(),
                    }),
                }
            }
            return Ok(outcome);
        }
        if ids.is_empty() {
            return Ok(outcome);
        }
        let mut revocation: RevokeOutcome =
            self.revoke_selection(&Selection::Ids(ids), reason, request.actor, now)?;
        if request.notify {
            self.notify_revocations(&mut revocation, now)?;
        }
        outcome.revoked = revocation.revoked;
        outcome.already_revoked = revocation.already_revoked;
        outcome.refused = revocation.refused;
        outcome.notices = revocation.notices;
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::finding::Code;
    use crate::issuer::{ImportRequest, IssuerConfig};
    use crate::lifecycle::FromRandomBytes;
    use crate::mail::Mailbox;
    use crate::storage::MemoryStorage;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn group() -> Group {
        serde_json::from_str(r#"{"name": "First Aid", "duplicates": "allow"}"#).unwrap()
    }

    /// Ana, Bo and Cy published; Di a draft.
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
        let roster = b"Name,Email\nAna,ana@example.org\nBo,bo@example.org\nCy,cy@example.org\n";
        let group = group();
        let mut request = ImportRequest::new(&group, roster, "t");
        request.publish = true;
        let mut all = issuer
            .import(&request, &mut ids, now(), &mut |_| {})
            .unwrap()
            .created;
        let draft = b"Name,Email\nDi,di@example.org\n";
        all.extend(
            issuer
                .import(
                    &ImportRequest::new(&group, draft, "t"),
                    &mut ids,
                    now(),
                    &mut |_| {},
                )
                .unwrap()
                .created,
        );
        (issuer, all)
    }

    fn request<'a>(bytes: &'a [u8], group: &'a Group) -> RevokeRosterRequest<'a> {
        RevokeRosterRequest {
            group,
            bytes,
            options: AnalyzeOptions::default(),
            reason: "issued by mistake",
            notify: true,
            dry_run: false,
            actor: "t",
        }
    }

    #[test]
    fn a_roster_of_ids_revokes_them_once_and_refuses_what_it_cannot() {
        let (mut issuer, ids) = issued();
        let (ana, bo, di) = (&ids[0], &ids[1], &ids[3]);
        let group = group();
        let roster = format!("Credential ID\n{ana}\n{ana}\n{di}\nnope\n\n");
        let dry = issuer
            .revoke_roster(
                &RevokeRosterRequest {
                    dry_run: true,
                    ..request(roster.as_bytes(), &group)
                },
                now(),
            )
            .unwrap();
        assert_eq!(dry.revoked, vec![ana.clone()]);
        assert_eq!(
            issuer.credential(ana).unwrap().state,
            CredentialState::Published
        );
        let out = issuer
            .revoke_roster(&request(roster.as_bytes(), &group), now())
            .unwrap();
        assert_eq!(out.matched_by, "credential_id");
        assert_eq!(out.revoked, vec![ana.clone()]);
        assert_eq!(out.refused.len(), 1);
        assert_eq!(out.refused[0].id, *di);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].code, Code::UnknownCredential);
        assert_eq!(out.findings[0].cell.as_deref(), Some("A5"));
        assert_eq!(
            out.notices.as_ref().map(|n| n.queued.clone()),
            Some(vec![format!("{ana}:revoked")])
        );
        assert_eq!(
            issuer.credential(ana).unwrap().state,
            CredentialState::Revoked
        );
        assert_eq!(
            issuer.credential(bo).unwrap().state,
            CredentialState::Published
        );
        let again = issuer
            .revoke_roster(&request(roster.as_bytes(), &group), now())
            .unwrap();
        assert_eq!(again.already_revoked, vec![ana.clone()]);
        assert_eq!(
            again.notices.map(|n| n.already_queued),
            Some(vec![ana.clone()])
        );
    }

    #[test]
    fn a_roster_of_emails_names_credentials_within_the_group() {
        let (mut issuer, ids) = issued();
        let group = group();
        let roster = b"Email\nBO@example.org\nzed@example.org\n";
        let out = issuer
            .revoke_roster(&request(roster, &group), now())
            .unwrap();
        assert_eq!(out.matched_by, "email");
        assert_eq!(out.revoked, vec![ids[1].clone()]);
        assert_eq!(out.findings.len(), 1);
        assert_eq!(out.findings[0].cell.as_deref(), Some("A3"));
        let e = issuer
            .revoke_roster(&request(b"Grade\nPass\n", &group), now())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        let other: Group = serde_json::from_str(r#"{"name": "Other"}"#).unwrap();
        let e = issuer
            .revoke_roster(&request(roster, &other), now())
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = issuer
            .revoke_roster(
                &RevokeRosterRequest {
                    reason: " ",
                    ..request(roster, &group)
                },
                now(),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
    }
}
