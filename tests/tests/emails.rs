//! Snapshots of the default emails, for ordinary and hostile recipients.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use conferral::Group;
use conferral::render::{EmailTemplates, MergeFields, Renderer};

fn renderer(templates: &EmailTemplates) -> Renderer {
    renderer_of(
        templates,
        r#"{"key": "grade", "type": "enum", "values": ["Pass", "Merit", "Distinction"]}"#,
    )
}

/// A renderer for a group whose `grade` attribute is `grade` (JSON).
fn renderer_of(templates: &EmailTemplates, grade: &str) -> Renderer {
    let group = Group::from_json(&format!(
        r#"{{"name": "Data Science Bootcamp 2026", "attributes": [{grade},
            {{"key": "hours", "label": "Course Hours", "type": "number"}}]}}"#
    ))
    .unwrap();
    Renderer::new(
        templates,
        &group.schema().unwrap(),
        "https://credentials.example.org/c",
    )
    .unwrap()
}

fn shown(fields: &MergeFields, templates: &EmailTemplates) -> String {
    let email = renderer(templates).render(fields).unwrap();
    format!(
        "To: {} <{}>\nSubject: {}\n\n--- text ---\n{}\n--- html ---\n{}",
        email.to_name, email.to_email, email.subject, email.text, email.html
    )
}

/// A recipient's merge fields, the address given with the name so that a snapshot never
/// shows one person's name with another's address.
fn fields(name: &str, email: &str, expires: Option<&str>, grade: &str) -> MergeFields {
    MergeFields {
        recipient_name: name.to_owned(),
        recipient_email: email.to_owned(),
        credential_id: "Q2x4_Zk9-abcdefghijklm".to_owned(),
        issued_on: Some("2026-03-02".to_owned()),
        expires_on: expires.map(str::to_owned),
        attributes: [
            ("grade".to_owned(), serde_json::json!(grade)),
            ("hours".to_owned(), serde_json::json!(37.5)),
        ]
        .into(),
    }
}

#[test]
fn default_email() {
    insta::assert_snapshot!(shown(
        &fields(
            "Ana López",
            "ana.lopez@example.org",
            Some("2029-03-01"),
            "Merit"
        ),
        &EmailTemplates::default()
    ));
}

#[test]
fn default_email_without_expiry() {
    insta::assert_snapshot!(shown(
        &fields("Bo Chen", "bo.chen@example.org", None, "Pass"),
        &EmailTemplates::default()
    ));
}

#[test]
fn hostile_values_in_a_custom_template() {
    let templates = EmailTemplates {
        subject: "{{ recipient.name }}: {{ attributes.grade }}".to_owned(),
        html: "<p>{{ recipient.name }}</p><p title=\"{{ attributes.grade }}\">{{ attributes.hours }}</p><a href=\"{{ credential.url }}\">open</a>".to_owned(),
        text: "{{ recipient.name }} / {{ attributes.grade }}".to_owned(),
    };
    let name =
        "=HYPERLINK(\"http://evil.example\")<script>alert('x')</script>\r\nBcc: all@example.org";
    let grade = "\"><img src=x onerror=alert(1)>";
    insta::assert_snapshot!(shown(
        &fields(name, "recipient@example.org", None, grade),
        &templates
    ));
}

/// Text a roster could hold that tries every way out: markup, quotes, line breaks that would
/// start a new header, encoded-words a mail client would decode, reading-order overrides,
/// control characters, and runs long enough to test the header length.
fn hostile_text() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        Just("<script>alert(1)</script>".to_owned()),
        Just("\"><img src=x onerror=alert(1)>".to_owned()),
        Just("' onmouseover='x".to_owned()),
        Just("&amp;&#x2f;/".to_owned()),
        Just("\r\nBcc: all@example.org\r\n".to_owned()),
        Just("\n\nX-Injected: 1".to_owned()),
        Just("=?utf-8?b?RnJlZSBnaWZ0?=".to_owned()),
        Just("\u{202e}evil\u{2066}".to_owned()),
        Just("\u{0}\u{7}\u{1b}[31m".to_owned()),
        Just("{{ recipient.email }}{% if true %}".to_owned()),
        "[a-zA-Zéü漢字 ]{0,12}",
        "x{100,700}",
    ];
    proptest::collection::vec(piece, 1..6).prop_map(|parts| parts.concat())
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(96))]

    /// Whatever a name or a value holds, it never becomes markup in the HTML body, never
    /// leaves its header in the subject or the recipient's name, and the message on the wire
    /// keeps every header line whole and under 998 octets.
    #[test]
    fn hostile_values_stay_values_in_every_part_and_on_the_wire(
        name in hostile_text(),
        grade in hostile_text(),
    ) {
        let templates = EmailTemplates {
            subject: "{{ recipient.name }} / {{ attributes.grade }}".to_owned(),
            html: "<p title=\"{{ recipient.name }}\">{{ recipient.name }}</p>{% filter upper %}<b>{{ attributes.grade }}</b>{% endfilter %}{% set g %}<i>{{ attributes.grade }}</i>{% endset %}{{ g }}<a href=\"{{ credential.url }}\">open</a>".to_owned(),
            text: "{{ recipient.name }}: {{ attributes.grade }}".to_owned(),
        };
        // Free text this time: any value a roster cell could hold.
        let r = renderer_of(&templates, r#"{"key": "grade", "max_length": 5000}"#);
        let benign = r.render(&fields("x", "ana@example.org", None, "x")).unwrap();
        let email = r.render(&fields(&name, "ana@example.org", None, &grade)).unwrap();
        // The template's own markup, and nothing more.
        for c in ['<', '>', '"', '\''] {
            proptest::prop_assert_eq!(
                email.html.matches(c).count(),
                benign.html.matches(c).count(),
                "`{}` in {}", c, email.html
            );
        }
        for header in [&email.subject, &email.to_name] {
            proptest::prop_assert!(!header.chars().any(char::is_control), "{:?}", header);
            proptest::prop_assert!(!header.contains("=?"), "{:?}", header);
        }
        // The bytes a mailer writes to the `.eml` and sends over SMTP.
        let outgoing = conferral::mail::OutgoingMessage {
            outbox_id: "Q2x4:issued".to_owned(),
            message_id: "<Q2x4.issued@example.org>".to_owned(),
            from: conferral::mail::Mailbox {
                name: "Academy".to_owned(),
                email: "academy@example.org".to_owned(),
            },
            to: conferral::mail::Mailbox {
                name: email.to_name.clone(),
                email: email.to_email.clone(),
            },
            subject: email.subject.clone(),
            html: email.html.clone(),
            text: email.text.clone(),
        };
        let wire = conferral_mail::build_message(&outgoing, std::time::UNIX_EPOCH)
            .unwrap()
            .formatted();
        let wire = String::from_utf8_lossy(&wire);
        let head = wire.split("\r\n\r\n").next().unwrap_or_default();
        for line in head.split("\r\n") {
            proptest::prop_assert!(line.len() <= 998, "a header line of {} octets", line.len());
            proptest::prop_assert!(!line.contains('\r') && !line.contains('\n'), "{:?}", line);
            let continued = line.starts_with([' ', '\t']);
            let field = line.split(':').next().unwrap_or_default();
            proptest::prop_assert!(
                continued
                    || [
                        "Message-ID", "Date", "From", "To", "Subject", "MIME-Version",
                        "Content-Type", "Content-Transfer-Encoding",
                    ]
                    .contains(&field),
                "an unexpected header line {:?}", line
            );
        }
    }
}
