//! Renewal: a new credential for the recipient of an expired (or expiring) one, with its
//! values, issued on the renewal date.

use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, ErrorKind, Result};
use crate::group::standard;
use crate::lifecycle::{Amendment, CredentialState, IdSource};
use crate::storage::Storage;

use super::{CreateRequest, ImportOutcome, Issuer};

impl<S: Storage> Issuer<S> {
    /// Re-issues credential `id` as a new one for the same recipient in the same group (as
    /// it is now), with the same values, issued on `today`. Its expiry date is the group's
    /// validity period from `today` when the group has one, else as long after `today` as
    /// the old one ran, else none. The values are validated as a roster's row and the group's
    /// duplicate policy applies ([`Issuer::create`]), so renewing a credential still valid
    /// under a policy of one per recipient is refused with the policy's finding. The same
    /// renewal again on the same day is recognised (`already_imported`).
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`]; [`ErrorKind::IllegalTransition`] for a draft (publish it
    /// instead) or a revoked credential; anything [`Issuer::create`] returns.
    #[allow(
        clippy::too_many_arguments,
        reason = "the inputs of a create, and the renewed id"
    )]
    pub fn renew(
        &mut self,
        id: &str,
        today: NaiveDate,
        publish: bool,
        dry_run: bool,
        actor: &str,
        ids: &mut dyn IdSource,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome> {
        let old = self.get(id)?;
        if !matches!(
            old.state,
            CredentialState::Expired | CredentialState::Published
        ) {
            return Err(Error::new(
                ErrorKind::IllegalTransition,
                format!(
                    "credential `{id}` is {}: only an expired or published credential is renewed{}",
                    old.state.as_str(),
                    if old.state == CredentialState::Draft {
                        " (publish the draft instead)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        let group = self.group(&old.group, None)?.group;
        let mut values = Amendment::from_values(old.values()).set;
        values.insert(
            standard::ISSUED_ON.to_owned(),
            crate::values::date::format_date(today),
        );
        values.remove(standard::EXPIRES_ON);
        if group.validity.is_none()
            && let (Some(issued), Some(expires)) = (old.issued_on, old.expires_on)
            && let Some(renewed) = today.checked_add_signed(expires - issued)
        {
            values.insert(
                standard::EXPIRES_ON.to_owned(),
                crate::values::date::format_date(renewed),
            );
        }
        // Values the group no longer has (an attribute removed since) are left behind.
        let schema = group.schema()?;
        let values: Vec<(String, String)> = values
            .into_iter()
            .filter(|(key, value)| !value.is_empty() && schema.attribute(key).is_some())
            .collect();
        self.create(
            &CreateRequest {
                group: &group,
                values: &values,
                publish,
                dry_run,
                actor,
            },
            ids,
            now,
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::issuer::{ImportRequest, IssuerConfig, Selection};
    use crate::lifecycle::FromRandomBytes;
    use crate::mail::Mailbox;
    use crate::storage::MemoryStorage;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn issuer_with(group: &str, roster: &[u8]) -> (Issuer<MemoryStorage>, Vec<String>) {
        let config = IssuerConfig::new(
            "https://credentials.example.org/c",
            Mailbox::parse("Academy <academy@example.org>"),
        );
        let mut issuer = Issuer::new(MemoryStorage::new(), config).unwrap();
        let group: crate::Group = serde_json::from_str(group).unwrap();
        let mut ids = ids(0);
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
        (issuer, published.published)
    }

    fn ids(from: u8) -> FromRandomBytes<impl FnMut() -> [u8; 16]> {
        let mut n = from;
        FromRandomBytes(move || {
            n += 1;
            [n; 16]
        })
    }

    #[test]
    fn an_expired_credential_is_renewed_with_its_values_from_today() {
        let group = r#"{"name": "First Aid", "attributes": [{"key": "hours", "type": "number"}]}"#;
        let roster = b"Name,Email,Hours,Issued On,Expires On\nAna,ana@example.org,12,2024-03-02,2026-03-02\n";
        let (mut issuer, published) = issuer_with(group, roster);
        let old = published[0].clone();
        issuer.expire_before(day(2026, 3, 3), "t", now()).unwrap();
        let later = now() + chrono::Duration::days(1);
        let renewed = issuer
            .renew(
                &old,
                day(2026, 3, 3),
                true,
                false,
                "t",
                &mut ids(100),
                later,
            )
            .unwrap();
        assert_eq!(renewed.created.len(), 1);
        let new = issuer.credential(&renewed.created[0]).unwrap();
        assert_ne!(new.id, old);
        assert_eq!(new.state, CredentialState::Published);
        assert_eq!(new.recipient.email, "ana@example.org");
        assert_eq!(new.attributes["hours"], serde_json::json!(12));
        assert_eq!(new.issued_on, Some(day(2026, 3, 3)));
        // Two years, as the old one ran.
        assert_eq!(new.expires_on, Some(day(2028, 3, 2)));
        // The same renewal the same day is the same import.
        let again = issuer
            .renew(
                &old,
                day(2026, 3, 3),
                true,
                false,
                "t",
                &mut ids(200),
                later,
            )
            .unwrap();
        assert!(again.already_imported && again.created.is_empty());
    }

    #[test]
    fn a_groups_validity_sets_the_new_expiry_and_policy_is_kept() {
        let group = r#"{"name": "First Aid", "validity": {"years": 1}}"#;
        let (mut issuer, published) = issuer_with(group, b"Name,Email\nAna,ana@example.org\n");
        let old = published[0].clone();
        // Still valid: the group's policy (one per recipient) refuses a second one.
        let refused = issuer
            .renew(
                &old,
                day(2026, 6, 1),
                false,
                false,
                "t",
                &mut ids(100),
                now(),
            )
            .unwrap();
        assert!(refused.created.is_empty());
        assert!(
            refused
                .findings
                .iter()
                .any(|f| f.code.as_str().contains("duplicate")),
            "{:?}",
            refused.findings
        );
        issuer.expire_before(day(2027, 3, 3), "t", now()).unwrap();
        let renewed = issuer
            .renew(
                &old,
                day(2027, 3, 3),
                true,
                false,
                "t",
                &mut ids(100),
                now(),
            )
            .unwrap();
        let new = issuer.credential(&renewed.created[0]).unwrap();
        assert_eq!(new.expires_on, Some(day(2028, 3, 3)));
        issuer.revoke(&new.id, "withdrawn", "t", now()).unwrap();
        let e = issuer
            .renew(
                &new.id,
                day(2027, 3, 4),
                true,
                false,
                "t",
                &mut ids(150),
                now(),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IllegalTransition);
    }
}
