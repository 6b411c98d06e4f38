//! Snapshots of the default emails, for ordinary and hostile recipients.

#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "a test fails by panicking"
)]

use conferral::Group;
use conferral::render::{EmailTemplates, MergeFields, Renderer};

fn renderer(templates: &EmailTemplates) -> Renderer {
    let group = Group::from_json(
        r#"{"name": "Data Science Bootcamp 2026", "attributes": [
            {"key": "grade", "type": "enum", "values": ["Pass", "Merit", "Distinction"]},
            {"key": "hours", "label": "Course Hours", "type": "number"}]}"#,
    )
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
