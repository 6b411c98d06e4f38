//! Bounce and complaint reports as mail servers write them (`tests/fixtures/dsn/`), read by
//! `bounce::parse`, and applied by the issuer: bounced messages, the suppression list, and
//! the check before every send.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use conferral::bounce::{self, Action, ReportKind, Verdict};
use conferral::issuer::{
    BounceEffect, ImportRequest, Issuer, IssuerConfig, ReportBytes, Selection,
};
use conferral::lifecycle::FromRandomBytes;
use conferral::mail::{Mailbox, MemoryMailer};
use conferral::outbox::DeliveryState;
use conferral::storage::{MemoryStorage, Storage, SuppressionReason};
use conferral::{ErrorKind, Group};

const POSTFIX: &[u8] = include_bytes!("../../tests/fixtures/dsn/postfix-hard-bounce.eml");
const EXCHANGE: &[u8] = include_bytes!("../../tests/fixtures/dsn/exchange-hard-bounce.eml");
const GMAIL: &[u8] = include_bytes!("../../tests/fixtures/dsn/gmail-hard-bounce.eml");
const ARF: &[u8] = include_bytes!("../../tests/fixtures/dsn/arf-complaint.eml");
const DELAYED: &[u8] = include_bytes!("../../tests/fixtures/dsn/delayed.eml");
const SOFT: &[u8] = include_bytes!("../../tests/fixtures/dsn/soft-bounce.eml");
const NOT_A_REPORT: &[u8] = include_bytes!("../../tests/fixtures/dsn/not-a-report.eml");
const NO_STATUS: &[u8] = include_bytes!("../../tests/fixtures/dsn/malformed-no-status-part.eml");
const UNCLOSED: &[u8] =
    include_bytes!("../../tests/fixtures/dsn/malformed-unclosed-and-never-sent.eml");

#[test]
fn postfix_hard_bounce() {
    let n = bounce::parse(POSTFIX).unwrap();
    assert_eq!(n.kind, ReportKind::DeliveryStatus);
    assert_eq!(n.message_ids, ["<C1.issued@example.org>"]);
    assert_eq!(n.reporter.as_deref(), Some("mx1.example.org"));
    assert_eq!(n.recipients.len(), 1);
    let r = &n.recipients[0];
    assert_eq!(r.final_recipient.as_deref(), Some("ana.lopez@example.net"));
    assert_eq!(
        r.original_recipient.as_deref(),
        Some("Ana.Lopez@example.net")
    );
    assert_eq!(r.action, Some(Action::Failed));
    assert_eq!(r.status.as_deref(), Some("5.1.1"));
    // The folded diagnostic is one line.
    assert_eq!(
        r.diagnostic.as_deref(),
        Some(
            "550 5.1.1 <ana.lopez@example.net>: Recipient address rejected: User unknown in virtual mailbox table"
        )
    );
    assert_eq!(r.verdict(n.kind), Verdict::HardBounce);
}

#[test]
fn exchange_hard_bounce_with_crlf_and_nested_parts() {
    let n = bounce::parse(EXCHANGE).unwrap();
    assert_eq!(n.message_ids, ["<C2.issued@example.org>"]);
    let r = &n.recipients[0];
    assert_eq!(r.final_recipient.as_deref(), Some("BO@Contoso.example"));
    assert_eq!(r.status.as_deref(), Some("5.1.10"));
    assert!(
        r.diagnostic
            .as_deref()
            .unwrap()
            .starts_with("550 5.1.10 RESOLVER.ADR.RecipientNotFound")
    );
    assert_eq!(r.verdict(n.kind), Verdict::HardBounce);
}

#[test]
fn gmail_hard_bounce_in_base64() {
    let n = bounce::parse(GMAIL).unwrap();
    assert_eq!(n.message_ids, ["<C3.issued@example.org>"]);
    let r = &n.recipients[0];
    assert_eq!(r.final_recipient.as_deref(), Some("cy.nobody@gmail.com"));
    assert_eq!(r.action, Some(Action::Failed));
    assert_eq!(r.status.as_deref(), Some("5.1.1"));
    let diagnostic = r.diagnostic.as_deref().unwrap();
    assert!(
        diagnostic
            .starts_with("550-5.1.1 The email account that you tried to reach does not exist.")
    );
    assert!(diagnostic.ends_with("- gsmtp"), "{diagnostic}");
    assert_eq!(n.reporter.as_deref(), Some("googlemail.com"));
}

#[test]
fn arf_complaint() {
    let n = bounce::parse(ARF).unwrap();
    assert_eq!(n.kind, ReportKind::Complaint);
    assert_eq!(n.feedback_type.as_deref(), Some("abuse"));
    assert_eq!(n.reporter.as_deref(), Some("SomeGenerator/1.0"));
    assert_eq!(n.message_ids, ["<C4.issued@example.org>"]);
    assert_eq!(n.recipients.len(), 1);
    assert_eq!(
        n.recipients[0].final_recipient.as_deref(),
        Some("dee@example.com")
    );
    assert_eq!(n.recipients[0].verdict(n.kind), Verdict::Complaint);
}

#[test]
fn delayed_and_soft_bounces_are_read_as_such() {
    let n = bounce::parse(DELAYED).unwrap();
    assert_eq!(n.recipients[0].action, Some(Action::Delayed));
    assert_eq!(n.recipients[0].status.as_deref(), Some("4.4.1"));
    assert_eq!(n.recipients[0].verdict(n.kind), Verdict::Delayed);
    let n = bounce::parse(SOFT).unwrap();
    assert_eq!(n.recipients[0].status.as_deref(), Some("4.2.2"));
    assert_eq!(n.recipients[0].verdict(n.kind), Verdict::SoftBounce);
}

#[test]
fn malformed_reports_are_refused_with_their_kind() {
    assert_eq!(
        bounce::parse(NOT_A_REPORT).unwrap_err().kind(),
        ErrorKind::UnsupportedFormat
    );
    assert_eq!(
        bounce::parse(NO_STATUS).unwrap_err().kind(),
        ErrorKind::MalformedFile
    );
    assert_eq!(
        bounce::parse(b"").unwrap_err().kind(),
        ErrorKind::UnsupportedFormat
    );
    let huge = vec![b'a'; bounce::MAX_REPORT_BYTES + 1];
    assert_eq!(
        bounce::parse(&huge).unwrap_err().kind(),
        ErrorKind::LimitExceeded
    );
    // An unclosed last part is read; quoted-printable soft breaks are joined; the report's
    // In-Reply-To stands in for the missing returned headers.
    let n = bounce::parse(UNCLOSED).unwrap();
    assert_eq!(n.message_ids, ["<NEVER1.issued@example.org>"]);
    assert_eq!(
        n.recipients[0].diagnostic.as_deref(),
        Some("550 5.1.1 no such user \u{2014} the address is unknown")
    );
}

#[test]
fn hostile_reports_never_panic_and_stay_bounded() {
    // Deep nesting, many parts, a recipient flood, endless folding, binary noise.
    let mut deep = String::new();
    for i in 0..50 {
        deep.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\n"
        ));
    }
    assert!(bounce::parse(deep.as_bytes()).is_err());
    let mut many =
        String::from("Content-Type: multipart/report; report-type=delivery-status; boundary=x\n\n");
    for _ in 0..500 {
        many.push_str("--x\nContent-Type: text/plain\n\nhi\n");
    }
    many.push_str("--x\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; a\n\n");
    for i in 0..1_500 {
        many.push_str(&format!(
            "Final-Recipient: rfc822; r{i}@x.org\nAction: failed\nStatus: 5.1.1\n\n"
        ));
    }
    // Past the part budget the status part is never reached.
    assert_eq!(
        bounce::parse(many.as_bytes()).unwrap_err().kind(),
        ErrorKind::MalformedFile
    );
    let flood = many.replacen("--x\nContent-Type: text/plain\n\nhi\n", "", 500);
    let n = bounce::parse(flood.as_bytes()).unwrap();
    assert_eq!(n.recipients.len(), bounce::MAX_REPORT_RECIPIENTS);
    assert_eq!(n.recipients_omitted, 500);
    let long = format!(
        "Content-Type: multipart/report; report-type=delivery-status; boundary=y\n\n--y\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; a@b.c\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; {}\n{}\n--y--\n",
        "x".repeat(100_000),
        " folded\n".repeat(10_000)
    );
    let n = bounce::parse(long.as_bytes()).unwrap();
    assert!(
        n.recipients[0].diagnostic.as_ref().unwrap().chars().count()
            <= bounce::MAX_REPORT_VALUE_CHARS
    );
    let mut noise = Vec::new();
    let mut x: u32 = 7;
    for _ in 0..200_000 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        noise.push((x >> 16) as u8);
    }
    let _ = bounce::parse(&noise);
    let mut prefixed =
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=\"\"\n\n".to_vec();
    prefixed.extend_from_slice(&noise);
    let _ = bounce::parse(&prefixed);
    for cut in (0..GMAIL.len()).step_by(7) {
        let _ = bounce::parse(&GMAIL[..cut]);
    }
}

#[test]
fn an_mbox_is_read_message_by_message() {
    let mut mbox = b"From MAILER-DAEMON Mon Mar  2 09:01:12 2026\n".to_vec();
    mbox.extend_from_slice(POSTFIX);
    mbox.extend_from_slice(b"\nFrom MAILER-DAEMON Mon Mar  2 09:02:00 2026\n");
    mbox.extend_from_slice(DELAYED);
    let messages = bounce::split_mbox(&mbox);
    assert_eq!(messages.len(), 2);
    assert_eq!(
        bounce::parse(messages[0]).unwrap().recipients[0].action,
        Some(Action::Failed)
    );
    assert_eq!(
        bounce::parse(messages[1]).unwrap().recipients[0].action,
        Some(Action::Delayed)
    );
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
}

/// An issuer with two credentials delivered: Ana's and Bo's.
fn delivered() -> (Issuer<MemoryStorage>, MemoryMailer) {
    let config = IssuerConfig::new(
        "https://credentials.example.org/c",
        Mailbox {
            name: "Academy".into(),
            email: "credentials@example.org".into(),
        },
    );
    let mut issuer = Issuer::new(MemoryStorage::new(), config).unwrap();
    let group = Group {
        name: "Bootcamp".into(),
        ..Group::default()
    };
    let mut seed = 0u8;
    let mut ids = FromRandomBytes(|| {
        seed += 1;
        [seed; 16]
    });
    let roster = b"Name,Email\nAna Lopez,ana.lopez@example.net\nBo,bo@contoso.example\n";
    let imported = issuer
        .import(
            &ImportRequest::new(&group, roster, "t"),
            &mut ids,
            t0(),
            &mut |_| {},
        )
        .unwrap();
    issuer
        .publish(&Selection::Batch(imported.batch.id), "t", t0(), &mut |_| {})
        .unwrap();
    let mut mailer = MemoryMailer::default();
    let report = issuer
        .deliver(&mut mailer, &mut t0, None, &mut |_| {})
        .unwrap();
    assert_eq!(report.sent, 2);
    (issuer, mailer)
}

/// The fixture with its Message-ID replaced by the stored message's of `email`.
fn about(
    issuer: &Issuer<MemoryStorage>,
    fixture: &[u8],
    placeholder: &str,
    email: &str,
) -> (String, Vec<u8>) {
    let m = issuer
        .store()
        .messages(&conferral::storage::MessageQuery::default())
        .unwrap()
        .into_iter()
        .find(|m| m.email.to_email == email)
        .unwrap();
    let text = String::from_utf8(fixture.to_vec())
        .unwrap()
        .replace(placeholder, &m.message_id);
    (m.credential, text.into_bytes())
}

#[test]
fn a_hard_bounce_suppresses_and_the_next_send_is_skipped() {
    let (mut issuer, _) = delivered();
    let (ana, dsn) = about(
        &issuer,
        POSTFIX,
        "<C1.issued@example.org>",
        "ana.lopez@example.net",
    );
    let reports = [ReportBytes {
        source: "postfix.eml",
        bytes: &dsn,
    }];
    // A dry run says what would happen and writes nothing.
    let dry = issuer.process_bounces(&reports, t0(), true).unwrap();
    assert_eq!(dry.reports[0].effect, BounceEffect::Bounced);
    assert!(dry.reports[0].newly_suppressed);
    assert!(issuer.suppressions().unwrap().is_empty());

    let run = issuer.process_bounces(&reports, t0(), false).unwrap();
    let r = &run.reports[0];
    assert_eq!(r.effect, BounceEffect::Bounced);
    assert_eq!(r.verdict, Some(Verdict::HardBounce));
    assert_eq!(r.credential.as_deref(), Some(ana.as_str()));
    assert_eq!(r.status.as_deref(), Some("5.1.1"));
    assert_eq!(r.state, Some(DeliveryState::Bounced));
    assert!(r.newly_suppressed);
    assert_eq!(run.counts["bounced"], 1);
    let m = issuer
        .store()
        .message(&format!("{ana}:issued"))
        .unwrap()
        .unwrap();
    assert_eq!(m.state, DeliveryState::Bounced);
    assert!(
        m.last_result
            .unwrap()
            .starts_with("bounced: 5.1.1 550 5.1.1")
    );
    let list = issuer.suppressions().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].email, "ana.lopez@example.net");
    assert_eq!(list[0].reason, SuppressionReason::HardBounce);
    assert_eq!(list[0].at, t0());

    // The same report again changes nothing more.
    let again = issuer
        .process_bounces(&reports, t0() + Duration::hours(1), false)
        .unwrap();
    assert_eq!(again.reports[0].effect, BounceEffect::AlreadyBounced);
    assert!(!again.reports[0].newly_suppressed);
    assert_eq!(issuer.suppressions().unwrap(), list);

    // A resend to the suppressed address is claimed but not sent.
    issuer.resend(std::slice::from_ref(&ana), t0()).unwrap();
    let mut mailer = MemoryMailer::default();
    let report = issuer
        .deliver(&mut mailer, &mut t0, None, &mut |_| {})
        .unwrap();
    assert_eq!(
        (report.attempted, report.sent, report.suppressed),
        (0, 0, 1)
    );
    assert_eq!(mailer.delivered_to("ana.lopez@example.net"), 0);
    let m = issuer
        .store()
        .message(&format!("{ana}:issued"))
        .unwrap()
        .unwrap();
    assert_eq!(m.state, DeliveryState::FailedPermanent);
    assert!(
        m.last_result
            .as_deref()
            .unwrap()
            .starts_with("not sent: ana.lopez@example.net is on the suppression list (hard_bounce since 2026-03-02T09:00:00Z)"),
        "{:?}",
        m.last_result
    );
    // Taken off the list, a resend is sent.
    assert!(issuer.unsuppress("ANA.LOPEZ@example.net").unwrap());
    issuer.resend(&[ana], t0()).unwrap();
    let report = issuer
        .deliver(&mut mailer, &mut t0, None, &mut |_| {})
        .unwrap();
    assert_eq!((report.sent, report.suppressed), (1, 0));
}

#[test]
fn complaints_soft_bounces_delays_and_strangers() {
    let (mut issuer, _) = delivered();
    let (bo, complaint) = about(
        &issuer,
        ARF,
        "<C4.issued@example.org>",
        "bo@contoso.example",
    );
    let (ana, soft) = about(
        &issuer,
        SOFT,
        "<C1.issued@example.org>",
        "ana.lopez@example.net",
    );
    let (_, delayed) = about(
        &issuer,
        DELAYED,
        "<C1.issued@example.org>",
        "ana.lopez@example.net",
    );
    let reports = [
        ReportBytes {
            source: "arf",
            bytes: &complaint,
        },
        ReportBytes {
            source: "soft",
            bytes: &soft,
        },
        ReportBytes {
            source: "delayed",
            bytes: &delayed,
        },
        ReportBytes {
            source: "stranger",
            bytes: UNCLOSED,
        },
        ReportBytes {
            source: "reply",
            bytes: NOT_A_REPORT,
        },
    ];
    let run = issuer.process_bounces(&reports, t0(), false).unwrap();
    let effects: Vec<BounceEffect> = run.reports.iter().map(|r| r.effect).collect();
    assert_eq!(
        effects,
        [
            BounceEffect::Bounced,
            BounceEffect::SoftBounce,
            BounceEffect::Delayed,
            BounceEffect::Unmatched,
            BounceEffect::Unreadable
        ]
    );
    assert_eq!(run.reports[0].verdict, Some(Verdict::Complaint));
    assert_eq!(run.reports[0].diagnostic.as_deref(), Some("abuse"));
    assert_eq!(
        run.reports[3].message_id.as_deref(),
        Some("<NEVER1.issued@example.org>")
    );
    assert_eq!(
        run.reports[3].recipient.as_deref(),
        Some("nobody@example.net")
    );
    assert!(run.reports[4].error.is_some());
    let list = issuer.suppressions().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].email.as_str(), list[0].reason),
        ("bo@contoso.example", SuppressionReason::Complaint)
    );
    let bo_m = issuer
        .store()
        .message(&format!("{bo}:issued"))
        .unwrap()
        .unwrap();
    assert_eq!(bo_m.state, DeliveryState::Bounced);
    assert_eq!(bo_m.last_result.as_deref(), Some("complaint: abuse"));
    let ana_m = issuer
        .store()
        .message(&format!("{ana}:issued"))
        .unwrap()
        .unwrap();
    assert_eq!(ana_m.state, DeliveryState::Sent);
    assert_eq!(
        ana_m.last_result.as_deref(),
        Some("soft bounce: 4.2.2 452 4.2.2 Mailbox full")
    );
    assert_eq!(issuer.store().status().unwrap().deliveries["bounced"], 1);
}

#[test]
fn manual_suppression_is_checked_and_idempotent() {
    let (mut issuer, _) = delivered();
    assert!(
        issuer
            .suppress(
                "Cy@Example.org",
                SuppressionReason::Manual,
                Some("asked"),
                t0()
            )
            .unwrap()
    );
    assert!(
        !issuer
            .suppress("cy@example.org", SuppressionReason::Manual, None, t0())
            .unwrap()
    );
    assert_eq!(
        issuer
            .suppress("not an address", SuppressionReason::Manual, None, t0())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidValue
    );
    assert!(!issuer.unsuppress("nobody@example.org").unwrap());
    assert_eq!(
        issuer.suppressions().unwrap()[0].detail.as_deref(),
        Some("asked")
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Any bytes: a notice or an error, never a panic, values bounded.
        #[test]
        fn any_bytes_are_read_or_refused(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            if let Ok(n) = bounce::parse(&bytes) {
                prop_assert!(n.recipients.len() <= bounce::MAX_REPORT_RECIPIENTS);
            }
            let _ = bounce::split_mbox(&bytes);
        }

        /// A real report with bytes changed, cut or spliced in anywhere.
        #[test]
        fn damaged_reports_never_panic(
            which in 0usize..4,
            at in any::<prop::sample::Index>(),
            cut in any::<prop::sample::Index>(),
            noise in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let fixture = [POSTFIX, EXCHANGE, GMAIL, ARF][which];
            let at = at.index(fixture.len());
            let mut damaged = fixture[..at].to_vec();
            damaged.extend_from_slice(&noise);
            damaged.extend_from_slice(&fixture[at..]);
            let cut = cut.index(damaged.len() + 1);
            damaged.truncate(cut);
            if let Ok(n) = bounce::parse(&damaged) {
                for r in &n.recipients {
                    for value in [&r.final_recipient, &r.diagnostic, &r.status].into_iter().flatten() {
                        prop_assert!(value.chars().count() <= bounce::MAX_REPORT_VALUE_CHARS);
                    }
                }
            }
        }
    }
}
