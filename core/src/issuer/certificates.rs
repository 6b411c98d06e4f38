//! Certificates of stored credentials: each group's design filled in, as SVG text. Drawing
//! them as PDF or PNG takes fonts, which is the `conferral-certificate` crate's work.

use serde::{Deserialize, Serialize};

use crate::error::{ErrorKind, Result};
use crate::lifecycle::{Credential, CredentialState};
use crate::render::CertificateRenderer;
use crate::storage::Storage;

use super::{Issuer, Refused, Selection};

/// Credentials read per page while certificates are made.
const PAGE: u64 = 1_000;

/// What a run over a selection's certificates did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificatesOutcome {
    /// Credentials whose certificate was handed over, in order.
    pub written: Vec<String>,
    /// Credentials named by id that have no certificate (drafts), each with the reason.
    pub refused: Vec<Refused>,
}

impl<S: Storage> Issuer<S> {
    /// The certificate of a published, revoked or expired credential: its group's design (or
    /// the default) filled in, as SVG text. The issuer is the group's, else the sender's name.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id or a group that is not stored;
    /// [`ErrorKind::IllegalTransition`] for a draft; a design that does not render.
    pub fn certificate_svg(&self, id: &str) -> Result<String> {
        let credential = self.get(id)?;
        if credential.state == CredentialState::Draft {
            return Err(draft(&credential));
        }
        let group = self.group_of(&credential)?;
        self.certificate_renderer(&group)?
            .render(&credential.merge_fields())
    }

    /// The certificate of every credential a selection names that has one (published, revoked
    /// or expired), given to `sink` with its credential one at a time, so memory stays flat
    /// however many there are; each group's design is compiled once. [`Selection::Batch`],
    /// [`Selection::Group`] and [`Selection::All`] skip their drafts; a draft named by id is
    /// refused with the reason, and the rest are handed over.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id or batch, before `sink` is called; what
    /// `sink` returns (the run stops there); a store failure or a design that does not render.
    pub fn certificates(
        &self,
        selection: &Selection,
        sink: &mut dyn FnMut(&Credential, &str) -> Result<()>,
    ) -> Result<CertificatesOutcome> {
        let mut outcome = CertificatesOutcome::default();
        let mut renderer: Option<(String, CertificateRenderer)> = None;
        let mut one = |credential: &Credential, outcome: &mut CertificatesOutcome| -> Result<()> {
            if credential.state == CredentialState::Draft {
                let e = draft(credential);
                outcome.refused.push(Refused {
                    id: credential.id.clone(),
                    code: e.kind().as_str().to_owned(),
                    message: e.to_string(),
                });
                return Ok(());
            }
            let current = match renderer.take() {
                Some((key, r)) if key == credential.group => (key, r),
                _ => {
                    let group = self.group_of(credential)?;
                    (credential.group.clone(), self.certificate_renderer(&group)?)
                }
            };
            let svg = current.1.render(&credential.merge_fields())?;
            renderer = Some(current);
            sink(credential, &svg)?;
            outcome.written.push(credential.id.clone());
            Ok(())
        };
        self.each_selected(selection, PAGE, &mut |c| one(c, &mut outcome))?;
        Ok(outcome)
    }

    /// A group's design, naming the sender as the issuer when the group names none.
    fn certificate_renderer(&self, group: &crate::group::Group) -> Result<CertificateRenderer> {
        let renderer = CertificateRenderer::for_group(group, &self.config.base_url)?;
        let sender = self.config.sender.name.trim();
        Ok(if sender.is_empty() {
            renderer
        } else {
            renderer.with_issuer_name(sender)
        })
    }
}

fn draft(credential: &Credential) -> crate::Error {
    crate::Error::new(
        ErrorKind::IllegalTransition,
        format!(
            "credential `{}` is a draft: publish it first",
            credential.id
        ),
    )
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::group::Group;
    use crate::issuer::{ImportRequest, IssuerConfig};
    use crate::lifecycle::FromRandomBytes;
    use crate::mail::Mailbox;
    use crate::storage::MemoryStorage;

    #[test]
    fn published_credentials_have_certificates_and_drafts_do_not() {
        let config = IssuerConfig::new(
            "https://credentials.example.org/c",
            Mailbox::parse("Academy <academy@example.org>"),
        );
        let mut issuer = Issuer::new(MemoryStorage::new(), config).unwrap();
        let group = Group {
            name: "Bootcamp 2026".into(),
            ..Group::default()
        };
        let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let mut seed = 0u8;
        let mut ids = FromRandomBytes(|| {
            seed += 1;
            [seed; 16]
        });
        let roster = "Name,Email\nAna <b>López</b>,ana@example.org\nBo,bo@example.org\n";
        let imported = issuer
            .import(
                &ImportRequest::new(&group, roster.as_bytes(), "t"),
                &mut ids,
                now,
                &mut |_| {},
            )
            .unwrap();
        let batch = Selection::Batch(imported.batch.id.clone());
        let drafts: Vec<String> = issuer
            .store()
            .credentials(&crate::storage::CredentialQuery::default())
            .unwrap()
            .into_iter()
            .map(|c| (c.recipient.name.clone(), c.id))
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_values()
            .collect();
        let e = issuer.certificate_svg(&drafts[0]).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::IllegalTransition);
        issuer
            .publish(
                &Selection::Ids(vec![drafts[0].clone()]),
                "t",
                now,
                &mut |_| {},
            )
            .unwrap();
        let svg = issuer.certificate_svg(&drafts[0]).unwrap();
        assert!(svg.contains("Ana &lt;b&gt;López&lt;&#x2f;b&gt;"), "{svg}");
        assert!(svg.contains("ACADEMY"), "the sender names the issuer");
        let mut seen = Vec::new();
        let outcome = issuer
            .certificates(&batch, &mut |credential, svg| {
                seen.push((credential.id.clone(), svg.len()));
                Ok(())
            })
            .unwrap();
        assert_eq!(outcome.written, vec![drafts[0].clone()]);
        assert_eq!(seen.len(), 1);
        let named = issuer
            .certificates(&Selection::Ids(drafts.clone()), &mut |_, _| Ok(()))
            .unwrap();
        assert_eq!(named.refused.len(), 1);
        assert_eq!(named.refused[0].id, drafts[1]);
        // A design with a field the group does not have is refused when the group is saved.
        let mut bad = group.clone();
        bad.design = Some(crate::group::CertificateDesign {
            svg: r#"<svg xmlns="http://www.w3.org/2000/svg"><text>{{ attributes.grade }}</text></svg>"#
                .to_owned(),
        });
        let e = issuer.save_group(&bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTemplate);
        assert!(e.to_string().contains("`attributes.grade`"), "{e}");
    }
}
