//! The follow-up emails of a credential: the revocation notice, the warning before expiry,
//! the expiry notice and reminders to view it.
//!
//! A notice is rendered under the same rules as the email announcing a credential (strict,
//! escaped, bounded; see the parent module), from the same merge fields and a `notice`
//! object:
//!
//! | variable | value |
//! | --- | --- |
//! | `notice.reason` | why the credential was revoked (the revocation notice), else none |
//! | `notice.days_left` | days until the expiry date (the warning), else none |
//!
//! Each part a group's [`crate::group::Notices`] leaves out uses the library's wording below.

use serde::{Deserialize, Serialize};

use super::{EmailTemplates, Merge, Renderer, bounds};
use crate::error::{Error, ErrorKind, Result};
use crate::group::{Group, NoticeTemplates};

/// The most bytes of a revocation reason a notice shows.
pub const MAX_REASON_BYTES: usize = 1024;

/// Which follow-up email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The credential was revoked.
    Revoked,
    /// The credential expires soon.
    Expiring,
    /// The credential has expired.
    Expired,
    /// The recipient has not viewed the credential yet.
    Reminder,
}

impl NoticeKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Revoked => "revoked",
            NoticeKind::Expiring => "expiring",
            NoticeKind::Expired => "expired",
            NoticeKind::Reminder => "reminder",
        }
    }

    /// The library's wording of this notice.
    pub fn defaults(self) -> EmailTemplates {
        let (subject, html, text) = match self {
            NoticeKind::Revoked => (REVOKED_SUBJECT, REVOKED_HTML, REVOKED_TEXT),
            NoticeKind::Expiring => (EXPIRING_SUBJECT, EXPIRING_HTML, EXPIRING_TEXT),
            NoticeKind::Expired => (EXPIRED_SUBJECT, EXPIRED_HTML, EXPIRED_TEXT),
            NoticeKind::Reminder => (REMINDER_SUBJECT, REMINDER_HTML, REMINDER_TEXT),
        };
        EmailTemplates {
            subject: subject.to_owned(),
            html: html.to_owned(),
            text: text.to_owned(),
        }
    }

    /// A group's wording of this notice, if it gives any part.
    fn of(self, group: &Group) -> Option<NoticeTemplates> {
        let notices = &group.notices;
        match self {
            NoticeKind::Revoked => notices.revoked.clone(),
            NoticeKind::Expiring => notices.expiring.as_ref().map(|n| n.templates()),
            NoticeKind::Expired => notices.expired.clone(),
            NoticeKind::Reminder => notices.reminder.as_ref().map(|n| n.templates()),
        }
    }

    /// Whether `group` sends this notice: the revocation notice whenever a revocation asks
    /// for it, the others when the group's `notices` names them.
    pub fn sent_for(self, group: &Group) -> bool {
        self == NoticeKind::Revoked || self.of(group).is_some()
    }

    /// The templates of this notice for `group`: its own parts, the library's for the rest.
    pub fn templates(self, group: &Group) -> EmailTemplates {
        let defaults = self.defaults();
        let own = self.of(group).unwrap_or_default();
        EmailTemplates {
            subject: own.subject.unwrap_or(defaults.subject),
            html: own.html.unwrap_or(defaults.html),
            text: own.text.unwrap_or(defaults.text),
        }
    }
}

/// What a notice adds to the credential's merge fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeFields {
    /// Why the credential was revoked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Days until the expiry date (0 on the day itself).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days_left: Option<i64>,
}

impl NoticeFields {
    /// Every field filled in, for the trial render that checks a template.
    pub(crate) fn sample() -> NoticeFields {
        NoticeFields {
            reason: Some("sample".to_owned()),
            days_left: Some(30),
        }
    }

    /// `base` with `notice` added.
    pub(crate) fn context(&self, base: minijinja::Value) -> Result<minijinja::Value> {
        if let Some(reason) = &self.reason
            && reason.len() > MAX_REASON_BYTES
        {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "the reason is {}, longer than the {} a notice takes",
                    bounds::human_bytes(reason.len() as u64),
                    bounds::human_bytes(MAX_REASON_BYTES as u64)
                ),
            ));
        }
        Ok(minijinja::context! {
            notice => minijinja::context! {
                reason => &self.reason,
                days_left => self.days_left,
            },
            ..base
        })
    }
}

/// The variables a notice's templates may use besides the credential's.
pub(crate) const VARIABLES: [&str; 3] = ["notice", "notice.reason", "notice.days_left"];

/// `notice` as the template check sees it.
pub(crate) fn shape() -> (String, bounds::Shape) {
    use bounds::{Shape, Size};
    (
        "notice".to_owned(),
        Shape::Fields(
            [
                ("reason", MAX_REASON_BYTES as u64),
                // An i64 printed: at most 20 bytes.
                ("days_left", 20),
            ]
            .into_iter()
            .map(|(k, bytes)| (k.to_owned(), Shape::Value(Size::text(bytes))))
            .collect(),
        ),
    )
}

impl Renderer {
    /// The renderer of one of a group's notices (its own wording where it gives one).
    ///
    /// # Errors
    /// As [`Renderer::new`], and [`ErrorKind::InvalidGroup`] for an invalid group.
    pub fn for_notice(group: &Group, kind: NoticeKind, base_url: &str) -> Result<Renderer> {
        let schema = group.schema()?;
        let mut merge = Merge::new(&schema, base_url)?;
        merge.notice = true;
        Renderer::with_merge(&kind.templates(group), merge).map_err(|e| {
            Error::new(
                e.kind(),
                format!("the {} notice: {e}", kind.as_str().replace('_', " ")),
            )
        })
    }
}

/// Checks every notice a group words itself (the library's own are checked by its tests).
///
/// # Errors
/// [`ErrorKind::InvalidTemplate`] naming the notice and the part.
pub(crate) fn check_notices(group: &Group, base_url: &str) -> Result<()> {
    for kind in [
        NoticeKind::Revoked,
        NoticeKind::Expiring,
        NoticeKind::Expired,
        NoticeKind::Reminder,
    ] {
        if kind.of(group).is_some() {
            Renderer::for_notice(group, kind, base_url)?;
        }
    }
    Ok(())
}

/// The default subject of the revocation notice.
pub const REVOKED_SUBJECT: &str = "Your credential for {{ group.name }} has been revoked";

/// The default HTML body of the revocation notice.
pub const REVOKED_HTML: &str = r#"<!doctype html>
<html lang="en">
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2328;">
<p>Dear {{ recipient.name }},</p>
<p>Your credential for <strong>{{ group.name }}</strong> has been revoked{% if notice.reason %}: {{ notice.reason }}{% endif %}.</p>
<p>Its page now shows it as revoked, and verifiers see the same: <a href="{{ credential.url }}">{{ credential.url }}</a></p>
<p>If you think this is a mistake, reply to this email.</p>
<p style="color: #59636e; font-size: 0.9em;">Credential id: {{ credential.id }}</p>
</body>
</html>
"#;

/// The default plain-text body of the revocation notice.
pub const REVOKED_TEXT: &str = "Dear {{ recipient.name }},

Your credential for {{ group.name }} has been revoked{% if notice.reason %}: {{ notice.reason }}{% endif %}.

Its page now shows it as revoked, and verifiers see the same: {{ credential.url }}

If you think this is a mistake, reply to this email.

Credential id: {{ credential.id }}
";

/// The default subject of the warning before expiry.
pub const EXPIRING_SUBJECT: &str =
    "Your credential for {{ group.name }} expires on {{ credential.expires_on }}";

/// The default HTML body of the warning before expiry.
pub const EXPIRING_HTML: &str = r#"<!doctype html>
<html lang="en">
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2328;">
<p>Dear {{ recipient.name }},</p>
<p>Your credential for <strong>{{ group.name }}</strong> is valid until {{ credential.expires_on }}{% if notice.days_left is not none %} ({{ notice.days_left }} days from now){% endif %}.</p>
<p><a href="{{ credential.url }}" style="display: inline-block; padding: 0.6em 1.2em; background: #0b5cad; color: #ffffff; text-decoration: none; border-radius: 4px;">View your credential</a></p>
<p>Or open this address: {{ credential.url }}</p>
<p style="color: #59636e; font-size: 0.9em;">Credential id: {{ credential.id }}</p>
</body>
</html>
"#;

/// The default plain-text body of the warning before expiry.
pub const EXPIRING_TEXT: &str = "Dear {{ recipient.name }},

Your credential for {{ group.name }} is valid until {{ credential.expires_on }}{% if notice.days_left is not none %} ({{ notice.days_left }} days from now){% endif %}.

View it here: {{ credential.url }}

Credential id: {{ credential.id }}
";

/// The default subject of the expiry notice.
pub const EXPIRED_SUBJECT: &str = "Your credential for {{ group.name }} has expired";

/// The default HTML body of the expiry notice.
pub const EXPIRED_HTML: &str = r#"<!doctype html>
<html lang="en">
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2328;">
<p>Dear {{ recipient.name }},</p>
<p>Your credential for <strong>{{ group.name }}</strong> has expired{% if credential.expires_on %}: it was valid until {{ credential.expires_on }}{% endif %}.</p>
<p>Its page stays online and shows it as expired: <a href="{{ credential.url }}">{{ credential.url }}</a></p>
<p style="color: #59636e; font-size: 0.9em;">Credential id: {{ credential.id }}</p>
</body>
</html>
"#;

/// The default plain-text body of the expiry notice.
pub const EXPIRED_TEXT: &str = "Dear {{ recipient.name }},

Your credential for {{ group.name }} has expired{% if credential.expires_on %}: it was valid until {{ credential.expires_on }}{% endif %}.

Its page stays online and shows it as expired: {{ credential.url }}

Credential id: {{ credential.id }}
";

/// The default subject of a reminder.
pub const REMINDER_SUBJECT: &str = "Reminder: your credential for {{ group.name }} is waiting";

/// The default HTML body of a reminder.
pub const REMINDER_HTML: &str = r#"<!doctype html>
<html lang="en">
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2328;">
<p>Dear {{ recipient.name }},</p>
<p>Your credential for <strong>{{ group.name }}</strong> was issued{% if credential.issued_on %} on {{ credential.issued_on }}{% endif %} and is waiting for you.</p>
<p><a href="{{ credential.url }}" style="display: inline-block; padding: 0.6em 1.2em; background: #0b5cad; color: #ffffff; text-decoration: none; border-radius: 4px;">View your credential</a></p>
<p>Or open this address: {{ credential.url }}</p>
<p style="color: #59636e; font-size: 0.9em;">Credential id: {{ credential.id }}</p>
</body>
</html>
"#;

/// The default plain-text body of a reminder.
pub const REMINDER_TEXT: &str = "Dear {{ recipient.name }},

Your credential for {{ group.name }} was issued{% if credential.issued_on %} on {{ credential.issued_on }}{% endif %} and is waiting for you.

View it here: {{ credential.url }}

Credential id: {{ credential.id }}
";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::MergeFields;

    const BASE: &str = "https://credentials.example.org/c";

    fn group(notices: &str) -> Group {
        Group::from_json(&format!(
            r#"{{"name": "First Aid", "attributes": [{{"key": "grade", "type": "text"}}],
                "notices": {notices}}}"#
        ))
        .unwrap()
    }

    fn fields() -> MergeFields {
        MergeFields {
            recipient_name: "Ana <López>".to_owned(),
            recipient_email: "ana@example.org".to_owned(),
            credential_id: "Xy7_k-9".to_owned(),
            issued_on: Some("2026-03-02".to_owned()),
            expires_on: Some("2028-03-02".to_owned()),
            attributes: Default::default(),
        }
    }

    #[test]
    fn every_default_notice_renders_escaped_with_its_fields() {
        let g = group("{}");
        let notice = NoticeFields {
            reason: Some("issued <by mistake>".to_owned()),
            days_left: Some(14),
        };
        for kind in [
            NoticeKind::Revoked,
            NoticeKind::Expiring,
            NoticeKind::Expired,
            NoticeKind::Reminder,
        ] {
            let email = Renderer::for_notice(&g, kind, BASE)
                .unwrap()
                .render_with(&fields(), &notice)
                .unwrap();
            assert!(email.html.contains("Ana &lt;López&gt;"), "{kind:?}");
            assert!(
                email
                    .text
                    .contains("https://credentials.example.org/c/Xy7_k-9")
            );
            assert!(!email.subject.contains('\n'));
        }
        let revoked = Renderer::for_notice(&g, NoticeKind::Revoked, BASE)
            .unwrap()
            .render_with(&fields(), &notice)
            .unwrap();
        assert!(revoked.html.contains("revoked: issued &lt;by mistake&gt;."));
        assert!(revoked.text.contains("revoked: issued <by mistake>."));
        let expiring = Renderer::for_notice(&g, NoticeKind::Expiring, BASE)
            .unwrap()
            .render_with(&fields(), &notice)
            .unwrap();
        assert_eq!(
            expiring.subject,
            "Your credential for First Aid expires on 2028-03-02"
        );
        assert!(
            expiring
                .text
                .contains("valid until 2028-03-02 (14 days from now)")
        );
    }

    #[test]
    fn a_groups_own_wording_replaces_only_the_parts_it_gives() {
        let g = group(r#"{"revoked": {"subject": "Withdrawn: {{ group.name }}"}}"#);
        let email = Renderer::for_notice(&g, NoticeKind::Revoked, BASE)
            .unwrap()
            .render_with(&fields(), &NoticeFields::default())
            .unwrap();
        assert_eq!(email.subject, "Withdrawn: First Aid");
        assert!(email.text.contains("has been revoked.\n"));
    }

    #[test]
    fn a_notice_template_is_checked_like_any_other() {
        let g = group(r#"{"expired": {"text": "{{ notice.reson }}"}}"#);
        let e = g.check().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTemplate);
        assert!(e.to_string().contains("expired notice"), "{e}");
        assert!(
            e.to_string().contains("did you mean `notice.reason`"),
            "{e}"
        );
        let g = group(r#"{"reminder": {"after_days": 3, "html": "{{ notice.reason|safe }}"}}"#);
        assert_eq!(g.check().unwrap_err().kind(), ErrorKind::InvalidTemplate);
        // The announcing email cannot use `notice`.
        let g = Group::from_json(
            r#"{"name": "First Aid", "email": {"subject": "{{ notice.reason }}"}}"#,
        )
        .unwrap();
        assert_eq!(g.check().unwrap_err().kind(), ErrorKind::InvalidTemplate);
    }

    #[test]
    fn notice_settings_are_bounded() {
        for (notices, field) in [
            (r#"{"expiring": {"days_before": 0}}"#, "days_before"),
            (r#"{"reminder": {"after_days": 400}}"#, "after_days"),
            (r#"{"reminder": {"after_days": 7, "max": 4}}"#, "max"),
        ] {
            let e = group(notices).schema().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidGroup);
            assert!(e.to_string().contains(field), "{e}");
        }
        assert!(
            Group::from_json(r#"{"name": "A", "notices": {"expird": {}}}"#).is_err(),
            "a misspelt notice is refused"
        );
    }

    #[test]
    fn a_reason_past_its_bound_is_refused_not_cut() {
        let g = group("{}");
        let long = NoticeFields {
            reason: Some("x".repeat(MAX_REASON_BYTES + 1)),
            days_left: None,
        };
        let e = Renderer::for_notice(&g, NoticeKind::Revoked, BASE)
            .unwrap()
            .render_with(&fields(), &long)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
    }
}
