//! The issuing flow on the memory store: import, duplicates, amend, publish, deliver.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use chrono::{Duration, TimeZone, Utc};
use conferral::group::EmailTemplates;
use conferral::issuer::{ImportOutcome, ImportRequest, Issuer, Selection};
use conferral::lifecycle::{Amendment, CredentialState, EventKind};
use conferral::mail::MemoryMailer;
use conferral::outbox::{DeliveryState, SendOutcome};
use conferral::storage::{CredentialQuery, MessageQuery, Storage};
use conferral::{ErrorKind, Group};
use conferral_tests::{SequentialIds, t0};

conferral_tests::on_every_store!(
    valid_rows_become_drafts_and_nothing_is_lost_or_doubled,
    the_duplicate_policy_applies_to_stored_credentials,
    drafts_are_amended_and_previewed,
    a_template_error_publishes_nothing,
    a_publish_goes_in_chunks_resumes_and_leaves_only_what_cannot_render,
    publishing_twice_queues_one_email,
    every_outcome_lands_in_its_state_and_nobody_is_emailed_twice,
    an_interrupted_send_becomes_unknown_once_its_lease_runs_out,
    hostile_values_are_neutralised_in_the_email,
    published_credentials_expire_and_are_revoked,
    confirmed_mappings_are_learned_for_the_next_upload_and_can_be_forgotten,
    a_file_read_with_another_mapping_is_a_new_import,
);

/// Imports `roster` into `group` at `t0` (publishing the drafts at once when `publish`).
fn import<S: Storage>(
    issuer: &mut Issuer<S>,
    group: &Group,
    roster: &[u8],
    publish: bool,
    ids: &mut SequentialIds,
) -> ImportOutcome {
    let request = ImportRequest {
        publish,
        ..ImportRequest::new(group, roster, "ed")
    };
    issuer.import(&request, ids, t0(), &mut |_| {}).unwrap()
}

fn issuer<S: Storage>(store: S) -> Issuer<S> {
    Issuer::new(store, conferral_tests::issuer_config()).unwrap()
}

fn group(policy: &str) -> Group {
    Group::from_json(&format!(
        r#"{{"name": "Bootcamp 2026", "duplicates": "{policy}", "attributes": [
            {{"key": "grade", "type": "enum", "values": ["Pass", "Merit"]}}]}}"#
    ))
    .unwrap()
}

const ROSTER: &[u8] = b"Name,Email,Grade\n\
Ana Lopez,ana@example.org,Merit\n\
Bo Chen,bo@,Pass\n\
Chiara Rossi,chiara@example.org,pass\n\
Dmitri Ivanov,dmitri@example.org,Excellent\n";

fn valid_rows_become_drafts_and_nothing_is_lost_or_doubled<S: Storage>(store: fn() -> S) {
    let mut issuer = issuer(store());
    let g = group("deny");
    let mut ids = SequentialIds::new("id", 0);
    let out = import(&mut issuer, &g, ROSTER, false, &mut ids);
    assert!(!out.already_imported);
    assert_eq!(out.created, vec!["id0001", "id0002"]);
    let b = &out.batch;
    assert_eq!((b.rows, b.created, b.replaced, b.rejected), (4, 2, 0, 2));
    assert_eq!(b.rows, b.created + b.replaced + b.rejected);
    let cells: Vec<_> = out
        .report
        .findings
        .iter()
        .filter_map(|f| f.cell.clone())
        .collect();
    assert_eq!(cells, vec!["B3", "C5"]);
    let drafts = issuer
        .store()
        .credentials(&CredentialQuery::default())
        .unwrap();
    assert!(drafts.iter().all(|c| c.state == CredentialState::Draft));
    assert_eq!(drafts[1].attributes["grade"], "Pass");

    let again = import(&mut issuer, &g, ROSTER, false, &mut ids);
    assert!(again.already_imported);
    assert_eq!(again.batch, out.batch);
    assert!(again.created.is_empty());
    assert_eq!(
        issuer
            .store()
            .credentials(&CredentialQuery::default())
            .unwrap()
            .len(),
        2
    );
}

fn the_duplicate_policy_applies_to_stored_credentials<S: Storage>(store: fn() -> S) {
    let second =
        b"Name,Email,Grade\nAna L\xc3\xb3pez,ANA@example.org,Pass\nEve,eve@example.org,Pass\n";
    for (policy, created, rejected) in [("deny", 1, 1), ("allow", 2, 0), ("replace", 1, 0)] {
        let mut issuer = issuer(store());
        let g = group(policy);
        let mut ids = SequentialIds::new("id", 0);
        import(&mut issuer, &g, ROSTER, false, &mut ids);
        let out = import(&mut issuer, &g, second, false, &mut ids);
        assert_eq!(
            (out.batch.created, out.batch.rejected),
            (created, rejected),
            "{policy}"
        );
        match policy {
            "deny" => {
                assert_eq!(out.findings[0].cell.as_deref(), Some("B2"));
                assert!(out.findings[0].message.contains("id0001"));
            }
            "replace" => {
                assert_eq!(out.replaced, vec!["id0001"]);
                let ana = issuer.credential("id0001").unwrap();
                assert_eq!(ana.recipient.name, "Ana López");
                assert_eq!(ana.batch, out.batch.id);
                let last = ana.history.last().unwrap();
                assert_eq!(last.event, EventKind::Replaced);
                assert!(last.changes.iter().any(|c| c.field == "grade"));
            }
            _ => {}
        }
    }
    // A published credential is never replaced.
    let mut issuer = issuer(store());
    let g = group("replace");
    let mut ids = SequentialIds::new("id", 0);
    import(&mut issuer, &g, ROSTER, false, &mut ids);
    issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .unwrap();
    let out = import(&mut issuer, &g, second, false, &mut ids);
    assert_eq!(out.batch.rejected, 1);
    assert!(out.findings[0].message.contains("published"));
}

fn drafts_are_amended_and_previewed<S: Storage>(store: fn() -> S) {
    let mut issuer = issuer(store());
    let g = group("deny");
    let out = import(
        &mut issuer,
        &g,
        ROSTER,
        false,
        &mut SequentialIds::new("id", 0),
    );
    let id = &out.created[0];
    let amendment = Amendment {
        set: [("name".to_owned(), "Ana María López".to_owned())].into(),
    };
    let amended = issuer.amend(id, &amendment, "ed", t0()).unwrap();
    assert_eq!(amended.recipient.name, "Ana María López");
    let preview = issuer.preview(id).unwrap();
    assert!(preview.text.contains("Dear Ana María López"));
    assert!(
        preview
            .text
            .contains("https://credentials.example.org/c/id0001")
    );
    let bad = Amendment {
        set: [("email".to_owned(), "nope".to_owned())].into(),
    };
    assert_eq!(
        issuer.amend(id, &bad, "ed", t0()).unwrap_err().kind(),
        ErrorKind::InvalidValue
    );
    assert_eq!(
        issuer.preview("missing").unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // The other draft's address (in another case) meets the group's duplicate policy, as an
    // imported row would; the draft is left as it was.
    let other = &out.created[1];
    let taken = Amendment {
        set: [("email".to_owned(), "CHIARA@example.org".to_owned())].into(),
    };
    let refused = issuer.amend(id, &taken, "ed", t0()).unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidValue);
    assert!(refused.to_string().contains(other.as_str()), "{refused}");
    assert_eq!(
        issuer
            .store()
            .credential(id)
            .unwrap()
            .unwrap()
            .recipient
            .email,
        "ana@example.org"
    );
    // The issuer's own id is applied, not dropped.
    let reference = Amendment {
        set: [("credential_id".to_owned(), "CERT-7".to_owned())].into(),
    };
    let with_id = issuer.amend(id, &reference, "ed", t0()).unwrap();
    assert_eq!(with_id.reference.as_deref(), Some("CERT-7"));
    let last = with_id.history.last().unwrap();
    assert!(
        last.changes.iter().any(|c| c.field == "credential_id"),
        "{:?}",
        last.changes
    );
}

fn a_template_error_publishes_nothing<S: Storage>(store: fn() -> S) {
    let mut issuer = issuer(store());
    let g = group("deny");
    import(
        &mut issuer,
        &g,
        ROSTER,
        false,
        &mut SequentialIds::new("id", 0),
    );
    // The group is saved with an attribute the template uses, then the attribute is dropped
    // behind the issuer's back: rendering must fail before anything is published.
    let mut broken = g.clone();
    broken.email = Some(EmailTemplates {
        text: "{{ attributes.grade }}".into(),
        ..EmailTemplates::default()
    });
    issuer.save_group(&broken).unwrap();
    broken.attributes.clear();
    issuer.store_mut().put_group(&broken).unwrap();
    let e = issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidTemplate, "{e}");
    let status = issuer.status().unwrap();
    assert_eq!(status.credentials["draft"], 2);
    assert_eq!(status.deliveries["pending"], 0);
}

fn a_publish_goes_in_chunks_resumes_and_leaves_only_what_cannot_render<S: Storage>(
    store: fn() -> S,
) {
    use std::cell::Cell;
    use std::rc::Rc;
    // Each note is written once per character it has: a 5,000-character note makes a
    // 25 MB body, past the part cap, while "ok" makes a short one.
    let g = Group::from_json(
        r#"{"name": "Chunks", "attributes": [{"key": "notes", "max_length": 5000}],
            "email": {"subject": "Hi", "html": "<p>{{ recipient.name }}</p>",
                      "text": "{% for c in attributes.notes %}{{ attributes.notes }}{% endfor %}"}}"#,
    )
    .unwrap();
    let rows = 2 * conferral::issuer::PUBLISH_CHUNK + 201;
    let long = conferral::issuer::PUBLISH_CHUNK + 200;
    let mut roster = String::from("Name,Email,Notes\n");
    for i in 1..=rows {
        let notes = if i == long {
            "n".repeat(5000)
        } else {
            "ok".to_owned()
        };
        roster.push_str(&format!("Person {i},p{i}@example.org,{notes}\n"));
    }
    // The second chunk's commit fails once.
    let commits = Rc::new(Cell::new(0u32));
    let counted = Rc::clone(&commits);
    let hooked = conferral_tests::HookedStore::new(store(), move |call| {
        if call == "commit_publish" {
            counted.set(counted.get() + 1);
            if counted.get() == 2 {
                return Err(conferral::Error::new(
                    ErrorKind::Storage,
                    "the disk is full",
                ));
            }
        }
        Ok(())
    });
    let mut issuer = issuer(hooked);
    let out = import(
        &mut issuer,
        &g,
        roster.as_bytes(),
        false,
        &mut SequentialIds::new("id", 0),
    );
    assert_eq!(out.created.len(), rows);
    let e = issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Storage, "{e}");
    let status = issuer.status().unwrap();
    let chunk = conferral::issuer::PUBLISH_CHUNK as u64;
    assert_eq!(status.credentials["published"], chunk);
    assert_eq!(status.credentials["draft"], rows as u64 - chunk);
    assert_eq!(status.deliveries["pending"], chunk);

    // Run again: the rest is published in two more chunks, the long note's draft is left
    // with its reason, and nobody gets a second email.
    let again = issuer
        .publish(&Selection::All, "ed", t0(), &mut |_| {})
        .unwrap();
    assert_eq!(commits.get(), 4);
    assert_eq!(
        again.published.len(),
        rows - conferral::issuer::PUBLISH_CHUNK - 1
    );
    let refused_id = &out.created[long - 1];
    assert_eq!(again.refused.len(), 1);
    assert_eq!(&again.refused[0].id, refused_id);
    assert_eq!(again.refused[0].code, "invalid_template");
    assert!(
        again.refused[0]
            .message
            .contains("would be longer than 1 MiB"),
        "{}",
        again.refused[0].message
    );
    let messages = issuer.store().messages(&MessageQuery::default()).unwrap();
    assert_eq!(messages.len(), rows - 1);
    let mut emailed: Vec<&str> = messages.iter().map(|m| m.credential.as_str()).collect();
    emailed.sort_unstable();
    emailed.dedup();
    assert_eq!(emailed.len(), rows - 1, "one email per credential");
    let left = issuer.store().credential(refused_id).unwrap().unwrap();
    assert_eq!(left.state, CredentialState::Draft);
}

fn publishing_twice_queues_one_email<S: Storage>(store: fn() -> S) {
    let mut issuer = issuer(store());
    let g = group("deny");
    let out = import(
        &mut issuer,
        &g,
        ROSTER,
        false,
        &mut SequentialIds::new("id", 0),
    );
    let first = issuer
        .publish(
            &Selection::Ids(out.created.clone()),
            "ed",
            t0(),
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(first.published, out.created);
    let second = issuer
        .publish(
            &Selection::Ids(out.created.clone()),
            "ed",
            t0(),
            &mut |_| {},
        )
        .unwrap();
    assert!(second.published.is_empty());
    assert_eq!(second.already_published, out.created);
    assert_eq!(
        issuer
            .publish(
                &Selection::Batch(out.batch.id.clone()),
                "ed",
                t0(),
                &mut |_| {}
            )
            .unwrap()
            .published
            .len(),
        0
    );
    assert_eq!(issuer.status().unwrap().deliveries["pending"], 2);
    assert_eq!(
        issuer
            .publish(&Selection::Batch("nope".into()), "ed", t0(), &mut |_| {})
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

fn every_outcome_lands_in_its_state_and_nobody_is_emailed_twice<S: Storage>(store: fn() -> S) {
    let mut issuer = issuer(store());
    let g = Group {
        name: "Five".into(),
        ..Group::default()
    };
    let roster = b"Name,Email\nA,a@example.org\nB,b@example.org\nC,c@example.org\nD,d@example.org\nE,e@example.org\n";
    import(
        &mut issuer,
        &g,
        roster,
        true,
        &mut SequentialIds::new("id", 0),
    );
    let mut mailer = MemoryMailer::default();
    mailer.script.extend([
        SendOutcome::Sent {
            reply: "250 ok".into(),
        },
        SendOutcome::Rejected {
            code: Some(550),
            reply: "no such user".into(),
        },
        SendOutcome::Deferred {
            code: Some(451),
            reply: "greylisted".into(),
        },
        SendOutcome::Ambiguous {
            reason: "timed out after the data".into(),
        },
    ]);
    let now = t0();
    let report = issuer
        .deliver(&mut mailer, &mut || now, None, &mut |_| {})
        .unwrap();
    assert_eq!(
        (
            report.sent,
            report.failed_permanent,
            report.deferred,
            report.unknown
        ),
        (2, 1, 1, 1)
    );
    let state = |id: &str| {
        issuer
            .deliveries(&MessageQuery {
                credentials: Some(vec![id.into()]),
                ..MessageQuery::default()
            })
            .unwrap()[0]
            .state
    };
    assert_eq!(state("id0001"), DeliveryState::Sent);
    assert_eq!(state("id0002"), DeliveryState::FailedPermanent);
    assert_eq!(state("id0003"), DeliveryState::Pending);
    assert_eq!(state("id0004"), DeliveryState::Unknown);
    assert_eq!(state("id0005"), DeliveryState::Sent);

    // Nothing is due until the deferred one's time comes; then only it is sent.
    let again = issuer
        .deliver(&mut mailer, &mut || now, None, &mut |_| {})
        .unwrap();
    assert_eq!(again.attempted, 0);
    let later = now + Duration::hours(2);
    let again = issuer
        .deliver(&mut mailer, &mut || later, None, &mut |_| {})
        .unwrap();
    assert_eq!((again.attempted, again.sent), (1, 1));
    for address in ["a", "b", "c", "e"] {
        let to = format!("{address}@example.org");
        let attempts = mailer.sent.iter().filter(|(m, _)| m.to.email == to).count();
        let expected = if address == "c" { 2 } else { 1 };
        assert_eq!(attempts, expected, "{to}");
        assert!(mailer.delivered_to(&to) <= 1, "{to}");
    }

    // The unknown one is sent again only when asked, with the same Message-ID.
    let resent = issuer.resend(&["id0004".into()], later).unwrap();
    assert_eq!(resent[0].state, DeliveryState::Pending);
    let first_id = mailer.sent[3].0.message_id.clone();
    issuer
        .deliver(&mut mailer, &mut || later, None, &mut |_| {})
        .unwrap();
    assert_eq!(mailer.sent.last().unwrap().0.message_id, first_id);
    assert_eq!(
        issuer
            .resend(&["id0001".into(), "nope".into()], later)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    // The refused call changed nothing: the sent one is not queued again, so the next
    // delivery emails nobody.
    let first = issuer
        .deliveries(&MessageQuery {
            credentials: Some(vec!["id0001".into()]),
            ..MessageQuery::default()
        })
        .unwrap();
    assert_eq!(first[0].state, DeliveryState::Sent);
    let sent_before = mailer.sent.len();
    let after = issuer
        .deliver(&mut mailer, &mut || later, None, &mut |_| {})
        .unwrap();
    assert_eq!((after.attempted, mailer.sent.len()), (0, sent_before));
}

fn an_interrupted_send_becomes_unknown_once_its_lease_runs_out<S: Storage>(store: fn() -> S) {
    let mut issuer = issuer(store());
    let g = Group {
        name: "One".into(),
        ..Group::default()
    };
    import(
        &mut issuer,
        &g,
        b"Name,Email\nA,a@example.org\n",
        true,
        &mut SequentialIds::new("id", 0),
    );
    // A worker claims the message, then dies before recording the outcome. While its lease
    // runs, recovery leaves the message alone (the send may be in flight); after, it is
    // unknown.
    let worker = conferral::issuer::Worker {
        id: "w1".into(),
        lease_secs: 600,
    };
    let claimed = issuer.next_delivery(&worker, t0()).unwrap().unwrap();
    assert_eq!(claimed.message.state, DeliveryState::Sending);
    assert_eq!(claimed.lease_until(), Some(t0() + Duration::seconds(600)));
    assert_eq!(issuer.recover(t0() + Duration::seconds(599)).unwrap(), 0);
    assert_eq!(issuer.recover(t0() + Duration::seconds(600)).unwrap(), 1);
    // The worker was only slow: its late outcome resolves the `unknown` it left.
    let late = issuer
        .settle_delivery(
            &claimed,
            &SendOutcome::Rejected {
                code: Some(550),
                reply: "no such user".into(),
            },
            t0() + Duration::seconds(700),
        )
        .unwrap();
    assert_eq!(
        (late.state, late.lease_lost),
        (DeliveryState::FailedPermanent, true)
    );
    // Once a person has resent it and another worker claimed it, a late outcome of the old
    // claim changes nothing.
    issuer
        .resend(
            std::slice::from_ref(&claimed.message.credential),
            t0() + Duration::seconds(800),
        )
        .unwrap();
    let again = issuer
        .next_delivery(&worker, t0() + Duration::seconds(800))
        .unwrap()
        .unwrap();
    let stale = issuer
        .settle_delivery(
            &claimed,
            &SendOutcome::Sent {
                reply: "250".into(),
            },
            t0() + Duration::seconds(900),
        )
        .unwrap();
    assert_eq!(
        (stale.state, stale.lease_lost),
        (DeliveryState::Sending, true)
    );
    issuer
        .settle_delivery(
            &again,
            &SendOutcome::Sent {
                reply: "250".into(),
            },
            t0() + Duration::seconds(900),
        )
        .unwrap();
    let status = issuer.status().unwrap();
    assert_eq!(
        (status.deliveries["sent"], status.deliveries["unknown"]),
        (1, 0)
    );
}

fn hostile_values_are_neutralised_in_the_email<S: Storage>(store: fn() -> S) {
    let mut issuer = issuer(store());
    let g = Group {
        name: "Hostile".into(),
        email: Some(EmailTemplates {
            subject: "For {{ recipient.name }}".into(),
            ..EmailTemplates::default()
        }),
        ..Group::default()
    };
    let roster = "Name,Email\n\"<img src=x onerror=alert(1)> Eve\",eve@example.org\n".as_bytes();
    let out = import(
        &mut issuer,
        &g,
        roster,
        false,
        &mut SequentialIds::new("id", 0),
    );
    let email = issuer.preview(&out.created[0]).unwrap();
    assert!(!email.html.contains("<img"));
    assert!(
        email
            .html
            .contains("&lt;img src=x onerror=alert(1)&gt; Eve")
    );
    assert!(!email.subject.contains('\n'));
}

fn published_credentials_expire_and_are_revoked<S: Storage>(store: fn() -> S) {
    let mut issuer = issuer(store());
    let g = Group {
        name: "Dated".into(),
        ..Group::default()
    };
    let roster = b"Name,Email,Expiry Date\nA,a@example.org,2026-06-30\nB,b@example.org,2030-01-01\nC,c@example.org,\n";
    let out = import(
        &mut issuer,
        &g,
        roster,
        true,
        &mut SequentialIds::new("id", 0),
    );
    assert_eq!(out.batch.created, 3);
    let july = Utc.with_ymd_and_hms(2026, 7, 1, 0, 0, 0).unwrap();
    assert_eq!(issuer.expire_due("clock", july).unwrap(), vec!["id0001"]);
    assert!(issuer.expire_due("clock", july).unwrap().is_empty());
    let revoked = issuer
        .revoke("id0002", "issued in error", "ed", july)
        .unwrap();
    assert_eq!(revoked.state, CredentialState::Revoked);
    assert_eq!(
        issuer
            .revoke("id0002", "again", "ed", july)
            .unwrap_err()
            .kind(),
        ErrorKind::IllegalTransition
    );
    let status = issuer.status().unwrap();
    assert_eq!(
        (
            status.credentials["expired"],
            status.credentials["revoked"],
            status.credentials["published"]
        ),
        (1, 1, 1)
    );
    // A revoked recipient may be issued a new credential, even under `deny`.
    let again = issuer
        .import(
            &ImportRequest::new(&g, b"Name,Email\nB,b@example.org\n", "ed"),
            &mut SequentialIds::new("id", 10),
            july,
            &mut |_| {},
        )
        .unwrap();
    assert_eq!(again.batch.created, 1);
}

fn confirmed_mappings_are_learned_for_the_next_upload_and_can_be_forgotten<S: Storage>(
    store: fn() -> S,
) {
    use conferral::matching::{Mapping, Tier};
    let mut issuer = issuer(store());
    let g = group("deny");
    let key = g.key();
    let mut ids = SequentialIds::new("id", 0);
    // "Contact" is nothing the matcher would take for the email; "Notes" it would leave
    // unmapped with a warning. The user reassigns the one and skips the other.
    let first = b"Name,Contact,Notes,Grade\nAna Lopez,ana@example.org,vegan,Merit\n";
    let mapping = Mapping::of([("B", Some("email")), ("C", None)]);
    let mut request = ImportRequest::new(&g, first, "ed");
    request.options.mapping = Some(mapping);
    let out = issuer
        .import(&request, &mut ids, t0(), &mut |_| {})
        .unwrap();
    assert_eq!(out.created.len(), 1);
    let learned = issuer.mappings(&key).unwrap();
    assert_eq!(learned.0.get("contact"), Some(&Some("email".to_owned())));
    assert_eq!(learned.0.get("notes"), Some(&None));
    assert_eq!(
        learned.0.len(),
        2,
        "only what the user set is learned: {learned:?}"
    );

    // The next upload to the group, with no mapping given, uses them.
    let second = b"Name,Contact,Notes,Grade\nBo Chen,bo@example.org,none,Pass\n";
    let again = import(&mut issuer, &g, second, false, &mut ids);
    let columns: Vec<(Option<&str>, Tier)> = again
        .report
        .columns
        .iter()
        .map(|c| (c.attribute.as_deref(), c.tier))
        .collect();
    assert_eq!(
        columns,
        vec![
            (Some("name"), Tier::Exact),
            (Some("email"), Tier::Saved),
            (None, Tier::User),
            (Some("grade"), Tier::Exact),
        ]
    );
    assert_eq!(again.created.len(), 1);
    // Another group learns nothing from this one.
    assert!(issuer.mappings("another-group").unwrap().0.is_empty());

    // Forgotten one by one (by the header as written), then all.
    assert_eq!(
        issuer
            .forget_mappings(&key, Some(&["Contact".to_owned()]))
            .unwrap(),
        1
    );
    let left = issuer.mappings(&key).unwrap();
    assert_eq!(left.0.keys().collect::<Vec<_>>(), vec!["notes"]);
    assert_eq!(issuer.forget_mappings(&key, None).unwrap(), 1);
    assert!(issuer.mappings(&key).unwrap().0.is_empty());
    let third = b"Name,Contact,Notes,Grade\nCy Diaz,cy@example.org,x,Pass\n";
    let forgotten = import(&mut issuer, &g, third, false, &mut ids);
    assert_eq!(forgotten.report.columns[1].attribute, None);
}

fn a_file_read_with_another_mapping_is_a_new_import<S: Storage>(store: fn() -> S) {
    use conferral::matching::Mapping;
    let mut issuer = issuer(store());
    let g = group("replace");
    let mut ids = SequentialIds::new("id", 0);
    // Two address columns: the first import takes the wrong one.
    let roster =
        b"Name,Work email,Home email,Grade\nAna Lopez,ana@work.example,ana@home.example,Merit\n";
    let read_with = |column: &str| {
        let mut request = ImportRequest::new(&g, roster, "ed");
        request.options.mapping = Some(Mapping::of([(column, Some("email"))]));
        request
    };
    let wrong = issuer
        .import(&read_with("C"), &mut ids, t0(), &mut |_| {})
        .unwrap();
    assert_eq!(wrong.created.len(), 1);
    // The same mapping again is the same import.
    let again = issuer
        .import(&read_with("C"), &mut ids, t0(), &mut |_| {})
        .unwrap();
    assert!(again.already_imported);
    // The corrected mapping is a new import, not "imported before" with the wrong drafts.
    let fixed = issuer
        .import(&read_with("B"), &mut ids, t0(), &mut |_| {})
        .unwrap();
    assert!(!fixed.already_imported);
    assert_ne!(fixed.batch.id, wrong.batch.id);
    assert_eq!(fixed.created.len(), 1);
    let drafts = issuer
        .store()
        .credentials(&CredentialQuery {
            state: Some(CredentialState::Draft),
            ..CredentialQuery::default()
        })
        .unwrap();
    let emails: Vec<&str> = drafts.iter().map(|c| c.recipient.email.as_str()).collect();
    assert!(emails.contains(&"ana@work.example"), "{emails:?}");
}
