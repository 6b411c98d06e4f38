use chrono::{TimeZone, Utc};

use super::*;
use crate::credential::{Check, VerifyOptions, verify};
use crate::issuer::{ImportRequest, Issuer, IssuerConfig, Selection};
use crate::lifecycle::FromRandomBytes;
use crate::mail::Mailbox;
use crate::storage::MemoryStorage;

fn at(day: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap()
}

fn check(kind: CheckKind, outcome: Outcome, reason: &str) -> Check {
    Check {
        check: kind,
        outcome,
        reason: reason.to_owned(),
    }
}

fn report(checks: Vec<Check>) -> Verification {
    Verification {
        valid: checks.iter().all(|c| c.outcome != Outcome::Failed),
        checks,
    }
}

/// One published credential for `name`, its group, its signed document and its verification
/// against the issuer's status list (after revoking it when `revoke` gives a reason).
fn issued(name: &str, revoke: Option<&str>) -> (Credential, Group, Verification) {
    let config = IssuerConfig::new(
        "https://credentials.example.org/c",
        Mailbox::parse("Academy <academy@example.org>"),
    );
    let mut issuer = Issuer::new(MemoryStorage::new(), config).unwrap();
    let group = Group {
        name: "Data Science Bootcamp".into(),
        ..Group::default()
    };
    let mut ids = FromRandomBytes(|| [7; 16]);
    let quoted = name.replace('"', "\"\"");
    let roster = format!("Name,Email,Issue Date\n\"{quoted}\",ana@example.org,2026-03-02\n");
    let imported = issuer
        .import(
            &ImportRequest::new(&group, roster.as_bytes(), "t"),
            &mut ids,
            at(2),
            &mut |_| {},
        )
        .unwrap();
    let id = imported
        .created
        .first()
        .cloned()
        .unwrap_or_else(|| panic!("not imported: {:?}", imported.report.findings));
    issuer
        .publish(&Selection::All, "t", at(3), &mut |_| {})
        .unwrap();
    if let Some(reason) = revoke {
        issuer.revoke(&id, reason, "t", at(4)).unwrap();
    }
    let key = crate::credential::IssuerKey::from_seed([3; 32]);
    let signed = issuer.signed_credential(&id, &key).unwrap();
    let list = issuer.signed_status_list(0, &key, at(5)).unwrap();
    let verification = verify(
        &signed,
        &VerifyOptions {
            now: at(6),
            status_list: Some(&list),
        },
    );
    (issuer.credential(&id).unwrap(), group, verification)
}

fn render(credential: &Credential, group: &Group, verification: &Verification) -> String {
    let url = format!("https://credentials.example.org/c/{}", credential.id);
    let pdf = format!("{url}.pdf");
    let linkedin = linkedin_url(
        "Data Science Bootcamp",
        "Academy",
        credential.issued_on,
        credential.expires_on,
        &credential.id,
        &url,
    );
    credential_page(&CredentialPage {
        credential,
        group,
        issuer_name: "Academy",
        verification: Some(verification),
        url: &url,
        image_url: Some(&format!("{url}.png")),
        downloads: &[("Certificate", &pdf, "PDF")],
        linkedin_url: Some(&linkedin),
    })
}

/// The accessible names of a page's named `<section>`s and `role="region"`s (what a screen
/// reader lists as landmarks): an `aria-label`, or the text of what `aria-labelledby` names.
fn landmark_names(html: &str) -> Vec<String> {
    let attribute = |tag: &str, name: &str| {
        tag.split_once(&format!(" {name}=\""))
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(value, _)| value.to_owned())
    };
    let text_of = |id: &str| {
        html.split_once(&format!(" id=\"{id}\">"))
            .and_then(|(_, rest)| rest.split_once('<'))
            .map_or_else(String::new, |(text, _)| text.to_owned())
    };
    html.split('<')
        .filter_map(|tag| tag.split_once('>').map(|(tag, _)| tag))
        .filter(|tag| tag.starts_with("section") || tag.contains(" role=\"region\""))
        .filter_map(|tag| {
            attribute(tag, "aria-label").or_else(|| {
                attribute(tag, "aria-labelledby")
                    .map(|ids| ids.split(' ').map(text_of).collect::<Vec<_>>().join(" "))
            })
        })
        .collect()
}

/// Fails when two landmarks share a name (axe-core's `landmark-unique`).
fn assert_landmarks_unique(html: &str) {
    let names = landmark_names(html);
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        names.len(),
        unique.len(),
        "landmarks named alike: {names:?}"
    );
}

#[test]
fn a_valid_credential_says_so_with_its_facts_and_links() {
    let (credential, group, verification) = issued("Ana López", None);
    assert!(verification.valid, "{verification:?}");
    let html = render(&credential, &group, &verification);
    assert!(html.contains("<html lang=\"en\">"));
    assert!(html.contains("<h2 id=\"standing-title\">Valid</h2>"));
    assert!(html.contains("Awarded to <strong><bdi>Ana López</bdi></strong>"));
    assert!(html.contains("<dd><bdi>2 March 2026</bdi></dd>"));
    assert!(
        html.contains("<meta property=\"og:title\" content=\"Ana López: Data Science Bootcamp\">")
    );
    assert!(html.contains(&format!(
        "<meta property=\"og:image\" content=\"https://credentials.example.org/c/{}.png\">",
        credential.id
    )));
    assert!(html.contains("issueYear=2026&amp;issueMonth=3"));
    assert_eq!(
        landmark_names(&html),
        ["Valid", "Details", "Download and share"]
    );
    assert!(html.contains(&format!(
        "value=\"https://credentials.example.org/c/{}\"",
        credential.id
    )));
}

#[test]
fn a_revoked_credential_gives_the_issuers_reason() {
    let (credential, group, verification) = issued("Ana López", Some("issued in error"));
    assert!(!verification.valid);
    let html = render(&credential, &group, &verification);
    assert!(html.contains("<h2 id=\"standing-title\">Revoked</h2>"));
    assert!(html.contains("Reason given by the issuer: <bdi>issued in error</bdi>"));
}

#[test]
fn hostile_values_stay_text() {
    let hostile = "<script>alert(1)</script>\"><img src=x onerror=alert(2)> محمد";
    let (credential, group, verification) = issued(hostile, Some("<b>bold</b>"));
    let html = render(&credential, &group, &verification);
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<b>bold"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x"));
    // Every script is the page's own file; no inline script, handler or style.
    assert_eq!(html.matches("<script").count(), 1);
    assert!(html.contains("<script src=\"/assets/credential.js\" defer></script>"));
    // Escaped text holds no `<` and no `"`, so each `<` opens real markup, and outside its
    // quoted values none of it has a handler, an inline style or a script URL.
    for tag in html.split('<').skip(1) {
        let tag = tag.split('>').next().unwrap_or_default().to_lowercase();
        let tag: String = tag.split('"').step_by(2).collect();
        for inline in [" on", " style=", "javascript:"] {
            assert!(!tag.contains(inline), "<{tag}>");
        }
    }
    // Right-to-left text sits inside an isolate.
    assert!(html.contains("<bdi>&lt;script&gt;"));
    assert!(html.contains("محمد</bdi>"));
}

#[test]
fn standings_follow_the_checks_that_failed() {
    let passed = |k| check(k, Outcome::Passed, "fine");
    let base = || {
        vec![
            passed(CheckKind::Shape),
            passed(CheckKind::Proof),
            passed(CheckKind::Issuer),
            passed(CheckKind::Dates),
            passed(CheckKind::Status),
        ]
    };
    let with = |kind: CheckKind, reason: &str| {
        let mut checks = base();
        for c in &mut checks {
            if c.check == kind {
                *c = check(kind, Outcome::Failed, reason);
            }
        }
        standing(&report(checks)).0
    };
    assert_eq!(standing(&report(base())).0, Standing::Valid);
    assert_eq!(
        with(CheckKind::Proof, "the proof does not verify"),
        Standing::Tampered
    );
    assert_eq!(
        with(CheckKind::Issuer, "signed by another key"),
        Standing::Tampered
    );
    assert_eq!(
        with(CheckKind::Status, "revoked (index 3 of the status list)"),
        Standing::Revoked
    );
    assert_eq!(
        with(CheckKind::Status, "the list is not `x`"),
        Standing::Tampered
    );
    assert_eq!(
        with(CheckKind::Dates, "expired at 2027-03-02T23:59:59Z"),
        Standing::Expired
    );
    assert_eq!(
        with(CheckKind::Dates, "not valid before 2030-01-01T00:00:00Z"),
        Standing::NotYetValid
    );
    // Tampering outranks the rest.
    let mut checks = base();
    checks[1] = check(CheckKind::Proof, Outcome::Failed, "changed");
    checks[4] = check(
        CheckKind::Status,
        Outcome::Failed,
        "revoked (index 1 of the status list)",
    );
    assert_eq!(standing(&report(checks)).0, Standing::Tampered);
}

#[test]
fn without_a_key_the_page_gives_the_issuers_record() {
    let (credential, group, _) = issued("Ana López", Some("issued in error"));
    let html = credential_page(&CredentialPage {
        credential: &credential,
        group: &group,
        issuer_name: "Academy",
        verification: None,
        url: "https://credentials.example.org/c/x",
        image_url: None,
        downloads: &[],
        linkedin_url: None,
    });
    assert!(html.contains("<h2 id=\"standing-title\">Revoked</h2>"));
    assert!(html.contains("without a cryptographic check"));
    assert!(html.contains("Reason given by the issuer: <bdi>issued in error</bdi>"));
    assert!(!html.contains("Every check"));
}

#[test]
fn linkedin_links_carry_every_field() {
    let issued = NaiveDate::from_ymd_opt(2026, 3, 2);
    let expires = NaiveDate::from_ymd_opt(2028, 11, 30);
    let url = linkedin_url(
        "Data & AI",
        "Académie",
        issued,
        expires,
        "Ab_1",
        "https://x.org/c/Ab_1",
    );
    assert_eq!(
        url,
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Data%20%26%20AI\
         &organizationName=Acad%C3%A9mie&issueYear=2026&issueMonth=3&expirationYear=2028\
         &expirationMonth=11&certUrl=https%3A%2F%2Fx.org%2Fc%2FAb_1&certId=Ab_1"
    );
}

#[test]
fn the_other_pages_escape_and_say_what_happened() {
    let missing = not_found_page();
    assert!(missing.contains("<h1>Credential not found</h1>"));
    let form = verify_page("/verify", None);
    assert!(form.contains("<form method=\"post\" action=\"/verify\""));
    let bad = verify_page("/verify", Some(Err("not JSON <at> line 1")));
    assert!(bad.contains("not JSON &lt;at&gt; line 1"));
}

#[test]
fn the_analytics_page_gives_the_figures_and_a_daily_chart() {
    use crate::events::{BatchStats, DayStats, EventKind, Stats};
    let mut counts = StatusCounts::zeroed();
    counts.credentials.insert("published".into(), 8);
    counts.deliveries.insert("failed_permanent".into(), 1);
    let stats = Stats {
        batches: vec![BatchStats {
            group: "<g>".into(),
            batch: "b1".into(),
            issued: 10,
            delivered: 9,
            delivery_rate: Some(0.9),
            viewed: 4,
            view_rate: Some(0.4),
            downloads: 2,
            shares: 1,
            ..BatchStats::default()
        }],
        daily: vec![DayStats {
            day: NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
            events: [(EventKind::Delivered, 9), (EventKind::Viewed, 4)].into(),
        }],
    };
    let html = analytics_page(&counts, &stats);
    assert!(
        html.contains("<div><dt>Delivered</dt><dd>9 (90.0%)</dd></div>"),
        "{html}"
    );
    assert!(html.contains("<tr><th scope=\"row\">&lt;g&gt;</th><td>b1</td><td>10</td><td>9</td><td>90.0%</td><td>4</td><td>40.0%</td><td>2</td><td>1</td></tr>"), "{html}");
    assert!(
        html.contains("<rect class=\"delivered\" x=\"20\" y=\"10\" width=\"10\" height=\"100\">")
    );
    assert!(html.contains("<th scope=\"row\">failed permanent</th><td>1</td>"));
    // A scrolling table's region is named apart from the section around it (the names were
    // once the same, which axe-core's `landmark-unique` reported).
    assert_landmarks_unique(&html);
    assert!(
        landmark_names(&html).len() >= 6,
        "{:?}",
        landmark_names(&html)
    );
    let empty = analytics_page(&StatusCounts::zeroed(), &Stats::default());
    assert!(empty.contains("<dd>0 (none issued)</dd>"));
    assert!(!empty.contains("<svg"));
}
