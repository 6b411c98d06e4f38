//! Groups (a course, an event) and their attributes.
//!
//! A group is defined in JSON, with the same shape as [`Group`]:
//!
//! ```
//! let group: conferral::Group = serde_json::from_str(r#"{
//!   "name": "Data Science Bootcamp 2026",
//!   "attributes": [
//!     {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit"], "aliases": ["result"]},
//!     {"key": "hours", "label": "Course Hours", "type": "number", "required": true}]}"#).unwrap();
//! let schema = group.schema().unwrap();
//! assert!(schema.attribute("email").is_some());
//! assert!(schema.attribute("hours").is_some_and(|a| a.required));
//! ```

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
pub use crate::values::date::{DateFormat, DateOrder};

/// A group of credentials issued together, with the attributes each recipient carries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// Display name of the group.
    pub name: String,
    /// Stable key of the group in a store (`a-z`, `0-9`, `-`, `_`); derived from the name
    /// when absent (see [`Group::key`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// Custom attributes, and optional overrides of standard ones (same `key`).
    #[serde(default)]
    pub attributes: Vec<Attribute>,
    /// What an upload does with a recipient who already has a credential in the group.
    #[serde(default, skip_serializing_if = "DuplicatePolicy::is_default")]
    pub duplicates: DuplicatePolicy,
    /// The email sent when a credential is published; the library's defaults when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailTemplates>,
    /// Who issues the credentials, as their verifiable credential names the issuer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<IssuerProfile>,
    /// What the credentials attest, as their verifiable credential describes it; defaults
    /// from the group's name when absent ([`Group::achievement`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub achievement: Option<AchievementProfile>,
    /// The certificate each credential is drawn as; the library's default design when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design: Option<CertificateDesign>,
    /// How long a credential is valid: when one is published without an expiry date, it
    /// expires this long after its issue date (the date it is published, when it has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub validity: Option<Validity>,
    /// The emails sent after the one announcing a credential: revocation and expiry
    /// notices, and reminders to view it. Each is off until the group names it (the
    /// revocation notice also goes out when a revocation asks for it), with the library's
    /// wording for any part left out.
    #[serde(default, skip_serializing_if = "Notices::is_empty")]
    pub notices: Notices,
}

/// The follow-up emails of a group (see [`Group::notices`]).
///
/// ```json
/// {"expiring": {"days_before": 30}, "expired": {}, "reminder": {"after_days": 7, "max": 2},
///  "revoked": {"subject": "Your {{ group.name }} credential was withdrawn"}}
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Notices {
    /// The wording of the revocation notice, sent when a revocation asks for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked: Option<NoticeTemplates>,
    /// A warning sent once, some days before a credential's expiry date.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiring: Option<ExpiringNotice>,
    /// A notice sent once, when a credential is marked expired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expired: Option<NoticeTemplates>,
    /// Reminders to recipients who have not viewed their credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminder: Option<ReminderNotice>,
}

impl Notices {
    fn is_empty(&self) -> bool {
        *self == Notices::default()
    }
}

/// A notice's templates; a part left out uses the library's wording for that notice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeTemplates {
    /// Subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// HTML body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Plain-text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// The warning before expiry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiringNotice {
    /// How many days before the expiry date the warning goes out (1 to 366).
    pub days_before: u32,
    /// Its subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Its HTML body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Its plain-text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// Reminders to view a credential.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReminderNotice {
    /// Days after the credential's email was delivered (and between reminders) with no
    /// view of its page before a reminder goes out (1 to 365).
    pub after_days: u32,
    /// The most reminders per credential (1 to 3; 1 when absent).
    #[serde(default = "one")]
    pub max: u32,
    /// Its subject line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Its HTML body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    /// Its plain-text body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

fn one() -> u32 {
    1
}

/// The most reminders a credential gets.
pub const MAX_REMINDERS: u32 = 3;

impl ExpiringNotice {
    /// Its wording.
    pub fn templates(&self) -> NoticeTemplates {
        NoticeTemplates {
            subject: self.subject.clone(),
            html: self.html.clone(),
            text: self.text.clone(),
        }
    }
}

impl ReminderNotice {
    /// Its wording.
    pub fn templates(&self) -> NoticeTemplates {
        NoticeTemplates {
            subject: self.subject.clone(),
            html: self.html.clone(),
            text: self.text.clone(),
        }
    }
}

/// A validity period, as years, months and days added in that order to an issue date
/// (`{"years": 2}`). A month added to the 31st ends on the month's last day; a year added
/// to 29 February ends on 28 February.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Validity {
    /// Whole years.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub years: u32,
    /// Whole months.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub months: u32,
    /// Days.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub days: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Validity {
    /// The expiry date of a credential issued on `issued`: `None` past the calendar's end.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use conferral::group::Validity;
    /// let two_years = Validity { years: 2, ..Validity::default() };
    /// let leap = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
    /// assert_eq!(two_years.expires(leap), NaiveDate::from_ymd_opt(2030, 2, 28));
    /// ```
    pub fn expires(&self, issued: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        let months = self.years.checked_mul(12)?.checked_add(self.months)?;
        issued
            .checked_add_months(chrono::Months::new(months))?
            .checked_add_days(chrono::Days::new(u64::from(self.days)))
    }
}

/// A group's certificate design: an SVG document with merge fields, filled in per credential
/// with the same strict, escaped template rules as the emails (`render::certificate`).
///
/// A `<text>` element with a `data-fit-width` attribute is a box: whoever draws the
/// certificate shrinks or wraps its text to that width (`data-fit-lines`, `data-fit-min-size`)
/// so that it never runs over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateDesign {
    /// The SVG template.
    pub svg: String,
}

/// The issuer a group's verifiable credentials name (an Open Badges `Profile`). Every field
/// is optional; the issuer's `id` is its key's DID, which is not part of the group.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerProfile {
    /// The organisation's name (when absent, the issuer passes its sender's name, if any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its web site (`http` or `https`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A contact address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A logo: an `https` URL or a `data:` URL of a PNG or SVG image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// A short description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// What a group's verifiable credentials attest (an Open Badges `Achievement`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AchievementProfile {
    /// Its name; the group's name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A short description; `Awarded for <name>.` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What earns it, as a narrative (Markdown may be used); when absent, a sentence saying
    /// the issuer awarded it for the name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criteria: Option<String>,
    /// An image: an `https` URL or a `data:` URL of a PNG or SVG image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// The kind of achievement, from the Open Badges vocabulary ([`ACHIEVEMENT_TYPES`]:
    /// `Certificate`, `Badge`, `Course`, ...) or an extension written `ext:Name`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// An achievement with every default filled in ([`Group::achievement`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Achievement {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Criteria narrative.
    pub criteria: String,
    /// Image URL.
    pub image: Option<String>,
    /// Achievement type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// The Open Badges 3.0 `AchievementType` vocabulary; other kinds are written `ext:Name`.
pub const ACHIEVEMENT_TYPES: [&str; 31] = [
    "Achievement",
    "ApprenticeshipCertificate",
    "Assessment",
    "Assignment",
    "AssociateDegree",
    "Award",
    "Badge",
    "BachelorDegree",
    "Certificate",
    "CertificateOfCompletion",
    "Certification",
    "CommunityService",
    "Competency",
    "Course",
    "CoCurricular",
    "Degree",
    "Diploma",
    "DoctoralDegree",
    "Fieldwork",
    "GeneralEducationDevelopment",
    "JourneymanCertificate",
    "LearningProgram",
    "License",
    "Membership",
    "ProfessionalDoctorate",
    "QualityAssuranceCredential",
    "MasterCertificate",
    "MasterDegree",
    "MicroCredential",
    "ResearchDoctorate",
    "SecondarySchoolDiploma",
];

/// Where an attribute's value goes in a verifiable credential, when Open Badges has a place
/// for it; an attribute without one is listed in the credential's extension
/// (`additionalProperty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpenBadgesField {
    /// A `Result` of the recipient, described by a `ResultDescription` of the achievement
    /// named by the attribute's label (grades, scores, levels).
    Result,
    /// `creditsEarned` (a `number` or `integer` attribute).
    CreditsEarned,
    /// `activityStartDate` (a `date` attribute).
    ActivityStartDate,
    /// `activityEndDate` (a `date` attribute).
    ActivityEndDate,
    /// `term`: the academic term.
    Term,
    /// `role`: the recipient's role or position.
    Role,
    /// `licenseNumber`.
    LicenseNumber,
}

impl OpenBadgesField {
    /// The snake_case name, as in group JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            OpenBadgesField::Result => "result",
            OpenBadgesField::CreditsEarned => "credits_earned",
            OpenBadgesField::ActivityStartDate => "activity_start_date",
            OpenBadgesField::ActivityEndDate => "activity_end_date",
            OpenBadgesField::Term => "term",
            OpenBadgesField::Role => "role",
            OpenBadgesField::LicenseNumber => "license_number",
        }
    }

    /// Whether an attribute of type `kind` may be placed here.
    fn accepts(self, kind: AttributeType) -> bool {
        match self {
            OpenBadgesField::CreditsEarned => {
                matches!(kind, AttributeType::Number | AttributeType::Integer)
            }
            OpenBadgesField::ActivityStartDate | OpenBadgesField::ActivityEndDate => {
                kind == AttributeType::Date
            }
            OpenBadgesField::Result
            | OpenBadgesField::Term
            | OpenBadgesField::Role
            | OpenBadgesField::LicenseNumber => true,
        }
    }
}

/// A checked group as a client shows it ([`Group::check`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    /// Display name.
    pub name: String,
    /// Key in a store.
    pub key: String,
    /// Every attribute a column can fill, standard ones first.
    pub attributes: Vec<AttributeSummary>,
    /// What the group's signed credentials will fill in with a default because the group
    /// does not say it ([`Group::credential_warnings`]).
    #[serde(default)]
    pub warnings: Vec<GroupWarning>,
}

/// A field of a group's signed credentials that Open Badges requires or verifiers show,
/// which the group leaves to a default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupWarning {
    /// Stable code: `issuer_name_missing`, `issuer_url_missing`,
    /// `achievement_description_missing` or `achievement_criteria_missing`.
    pub code: String,
    /// The group field to set (`issuer.name`, ...).
    pub field: String,
    /// What the credentials say instead, and how to fix it.
    pub message: String,
}

/// One attribute of a [`GroupSummary`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttributeSummary {
    /// Key.
    pub key: String,
    /// Label, as in templates.
    pub label: String,
    /// Field type.
    #[serde(rename = "type")]
    pub kind: AttributeType,
    /// Whether every row needs a value.
    pub required: bool,
    /// Whether it is one of the standard attributes (name, email, dates, credential id).
    pub standard: bool,
    /// Accepted values of an enum.
    pub values: Vec<String>,
}

/// What to do with a row whose recipient (by email, compared without case) already has a
/// credential in the group, or appears twice in one file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuplicatePolicy {
    /// Refuse the row with a `duplicate_recipient` error (the default).
    #[default]
    Deny,
    /// Create another credential; repeated rows in one file are only a warning.
    Allow,
    /// Update the recipient's existing draft in place (same id, the change recorded in its
    /// history). A recipient whose credential is already published is refused with a
    /// `duplicate_recipient` error: a published credential never changes, so revoke it first.
    /// Repeated rows in one file are still an error, since it is not clear which one is meant.
    Replace,
}

impl DuplicatePolicy {
    fn is_default(&self) -> bool {
        *self == DuplicatePolicy::Deny
    }
}

/// The type of an attribute's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AttributeType {
    /// Free text.
    #[default]
    Text,
    /// An email address.
    Email,
    /// A calendar date.
    Date,
    /// A decimal number.
    Number,
    /// A whole number.
    Integer,
    /// An `http` or `https` URL.
    Url,
    /// One of a fixed list of values.
    Enum,
    /// Yes or no.
    Boolean,
}

impl AttributeType {
    /// The snake_case name, as in group JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            AttributeType::Text => "text",
            AttributeType::Email => "email",
            AttributeType::Date => "date",
            AttributeType::Number => "number",
            AttributeType::Integer => "integer",
            AttributeType::Url => "url",
            AttributeType::Enum => "enum",
            AttributeType::Boolean => "boolean",
        }
    }
}

/// One attribute of a group, as written in group JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    /// Stable identifier, e.g. `grade`.
    pub key: String,
    /// Column title in templates; defaults to the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Value type.
    #[serde(rename = "type", default)]
    pub kind: AttributeType,
    /// Whether every row needs a value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Other header titles that mean this attribute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Allowed values of an `enum` attribute.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Order of day, month and year for text dates, e.g. `DD/MM/YYYY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_format: Option<String>,
    /// Longest accepted value, in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// Help shown to whoever fills the template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Where the value goes in a verifiable credential, when Open Badges has a place for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_badges: Option<OpenBadgesField>,
}

/// An attribute with every default filled in: what matching and validation work from.
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeSpec {
    /// Stable identifier.
    pub key: String,
    /// Column title.
    pub label: String,
    /// Value type.
    pub kind: AttributeType,
    /// Whether every row needs a value.
    pub required: bool,
    /// Header titles that mean this attribute, as given in the group.
    pub aliases: Vec<String>,
    /// Allowed values of an enum.
    pub values: Vec<String>,
    /// Fixed date order, if the group sets one.
    pub date_format: Option<DateFormat>,
    /// Longest accepted value, in characters.
    pub max_length: u32,
    /// Help for whoever fills the template.
    pub hint: Option<String>,
    /// Whether this is one of the standard attributes every group has.
    pub standard: bool,
    /// Where the value goes in a verifiable credential, when Open Badges has a place for it.
    pub open_badges: Option<OpenBadgesField>,
}

/// Keys of the standard attributes every group has.
pub mod standard {
    /// Recipient's full name (required; `first_name` + `last_name` may stand for it).
    pub const NAME: &str = "name";
    /// Recipient's email address (required).
    pub const EMAIL: &str = "email";
    /// Date the credential is issued.
    pub const ISSUED_ON: &str = "issued_on";
    /// Date the credential expires.
    pub const EXPIRES_ON: &str = "expires_on";
    /// An identifier the issuer already uses for the credential.
    pub const CREDENTIAL_ID: &str = "credential_id";
    /// Recipient's given name.
    pub const FIRST_NAME: &str = "first_name";
    /// Recipient's family name.
    pub const LAST_NAME: &str = "last_name";
}

const DEFAULT_TEXT_MAX: u32 = 1_000;

fn standard_attributes() -> Vec<AttributeSpec> {
    let spec =
        |key: &str, label: &str, kind: AttributeType, required: bool, max: u32, hint: &str| {
            AttributeSpec {
                key: key.to_owned(),
                label: label.to_owned(),
                kind,
                required,
                aliases: Vec::new(),
                values: Vec::new(),
                date_format: None,
                max_length: max,
                hint: Some(hint.to_owned()),
                standard: true,
                open_badges: None,
            }
        };
    vec![
        spec(
            standard::NAME,
            "Name",
            AttributeType::Text,
            true,
            200,
            "Full name as it should appear on the credential",
        ),
        spec(
            standard::EMAIL,
            "Email",
            AttributeType::Email,
            true,
            254,
            "One email address per row",
        ),
        spec(
            standard::ISSUED_ON,
            "Issued On",
            AttributeType::Date,
            false,
            32,
            "Date as YYYY-MM-DD; empty for the publish date",
        ),
        spec(
            standard::EXPIRES_ON,
            "Expires On",
            AttributeType::Date,
            false,
            32,
            "Date as YYYY-MM-DD; empty if it never expires",
        ),
        spec(
            standard::CREDENTIAL_ID,
            "Credential ID",
            AttributeType::Text,
            false,
            128,
            "Your own identifier; kept as text",
        ),
        spec(
            standard::FIRST_NAME,
            "First Name",
            AttributeType::Text,
            false,
            100,
            "Given name; use with Last Name instead of Name",
        ),
        spec(
            standard::LAST_NAME,
            "Last Name",
            AttributeType::Text,
            false,
            100,
            "Family name; use with First Name instead of Name",
        ),
    ]
}

/// A group's complete attribute list: standard attributes first, then custom ones.
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// The group's name.
    pub name: String,
    /// The group's duplicate policy, which decides how repeated recipients are reported.
    pub duplicates: DuplicatePolicy,
    /// Every attribute, standard ones first.
    pub attributes: Vec<AttributeSpec>,
}

impl Schema {
    /// Looks an attribute up by key.
    pub fn attribute(&self, key: &str) -> Option<&AttributeSpec> {
        self.attributes.iter().find(|a| a.key == key)
    }

    /// Position of an attribute by key.
    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.attributes.iter().position(|a| a.key == key)
    }

    /// Attributes a template shows: all but `first_name`/`last_name`, which only stand in for `name`.
    pub fn template_attributes(&self) -> impl Iterator<Item = &AttributeSpec> {
        self.attributes
            .iter()
            .filter(|a| a.key != standard::FIRST_NAME && a.key != standard::LAST_NAME)
    }
}

fn valid_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && key.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
}

impl Group {
    /// Parses a group from JSON text.
    pub fn from_json(text: &str) -> Result<Group> {
        serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::InvalidGroup,
                format!("the group definition is not valid JSON of the expected shape (line {}, column {})", e.line(), e.column()),
            )
            .with_source(e)
        })
    }

    /// Checks the definition and fills in defaults and the standard attributes.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidGroup`] for a malformed key, a duplicate key, an enum without
    /// values, values on a non-enum, an unreadable `date_format`, or a type change of a
    /// standard attribute.
    pub fn schema(&self) -> Result<Schema> {
        let invalid = |msg: String| Err(Error::new(ErrorKind::InvalidGroup, msg));
        if let Some(v) = &self.validity {
            let days = u64::from(v.years) * 366 + u64::from(v.months) * 31 + u64::from(v.days);
            if days == 0 || days > 100 * 366 {
                return invalid(format!(
                    "`validity` must be longer than nothing and at most 100 years, not {} years, {} months and {} days",
                    v.years, v.months, v.days
                ));
            }
        }
        if let Some(n) = &self.notices.expiring
            && !(1..=366).contains(&n.days_before)
        {
            return invalid(format!(
                "`notices.expiring.days_before` must be 1 to 366 days, not {}",
                n.days_before
            ));
        }
        if let Some(n) = &self.notices.reminder {
            if !(1..=365).contains(&n.after_days) {
                return invalid(format!(
                    "`notices.reminder.after_days` must be 1 to 365 days, not {}",
                    n.after_days
                ));
            }
            if !(1..=MAX_REMINDERS).contains(&n.max) {
                return invalid(format!(
                    "`notices.reminder.max` must be 1 to {}, not {}",
                    MAX_REMINDERS, n.max
                ));
            }
        }
        let mut attributes = standard_attributes();
        let mut seen: Vec<&str> = Vec::new();
        for attr in &self.attributes {
            if !valid_key(&attr.key) {
                return invalid(format!(
                    "attribute key `{}` must start with a lowercase letter and use only a-z, 0-9 and `_` (at most 64)",
                    attr.key
                ));
            }
            if seen.contains(&attr.key.as_str()) {
                return invalid(format!("attribute key `{}` is defined twice", attr.key));
            }
            seen.push(&attr.key);
            if attr.kind == AttributeType::Enum && attr.values.iter().all(|v| v.trim().is_empty()) {
                return invalid(format!(
                    "enum attribute `{}` needs a non-empty `values` list",
                    attr.key
                ));
            }
            if attr.kind != AttributeType::Enum && !attr.values.is_empty() {
                return invalid(format!(
                    "attribute `{}` has `values` but its type is `{}`, not `enum`",
                    attr.key,
                    attr.kind.as_str()
                ));
            }
            let date_format = match &attr.date_format {
                None => None,
                Some(_) if attr.kind != AttributeType::Date => {
                    return invalid(format!(
                        "attribute `{}` has a `date_format` but its type is `{}`, not `date`",
                        attr.key,
                        attr.kind.as_str()
                    ));
                }
                Some(text) => match DateFormat::parse(text) {
                    Some(f) => Some(f),
                    None => {
                        return invalid(format!(
                            "`date_format` `{text}` of attribute `{}` is not understood; use DD/MM/YYYY, MM/DD/YYYY or YYYY-MM-DD (any of / . - as separator)",
                            attr.key
                        ));
                    }
                },
            };
            if let Some(existing) = attributes.iter_mut().find(|a| a.key == attr.key) {
                if attr.kind != existing.kind {
                    return invalid(format!(
                        "standard attribute `{}` has type `{}`; it cannot be redefined as `{}`",
                        attr.key,
                        existing.kind.as_str(),
                        attr.kind.as_str()
                    ));
                }
                if let Some(label) = &attr.label {
                    existing.label.clone_from(label);
                }
                if let Some(required) = attr.required {
                    existing.required = required || existing.required;
                }
                existing.aliases.extend(attr.aliases.iter().cloned());
                if date_format.is_some() {
                    existing.date_format = date_format;
                }
                if let Some(max) = attr.max_length {
                    existing.max_length = max;
                }
                if attr.hint.is_some() {
                    existing.hint.clone_from(&attr.hint);
                }
                if attr.open_badges.is_some() {
                    return invalid(format!(
                        "standard attribute `{}` already has its place in a credential; `open_badges` is for custom attributes",
                        attr.key
                    ));
                }
                continue;
            }
            attributes.push(AttributeSpec {
                key: attr.key.clone(),
                label: attr.label.clone().unwrap_or_else(|| attr.key.clone()),
                kind: attr.kind,
                required: attr.required.unwrap_or(false),
                aliases: attr.aliases.clone(),
                values: attr
                    .values
                    .iter()
                    .map(|v| v.trim().to_owned())
                    .filter(|v| !v.is_empty())
                    .collect(),
                date_format,
                max_length: attr.max_length.unwrap_or(DEFAULT_TEXT_MAX),
                hint: attr.hint.clone(),
                standard: false,
                open_badges: attr.open_badges,
            });
        }
        check_open_badges_fields(&attributes)?;
        self.check_credential_profiles()?;
        if let Some(key) = &self.key
            && !valid_group_key(key)
        {
            return invalid(format!(
                "group key `{key}` must be 1 to 64 of a-z, 0-9, `-` and `_`, starting with a letter or digit"
            ));
        }
        Ok(Schema {
            name: self.name.clone(),
            duplicates: self.duplicates,
            attributes,
        })
    }

    /// The achievement the group's credentials attest, with the defaults filled in: the
    /// group's name, `Awarded for <name>.`, and criteria saying the issuer awarded it.
    ///
    /// ```
    /// let group = conferral::Group { name: "Bootcamp 2026".into(), ..Default::default() };
    /// let achievement = group.achievement();
    /// assert_eq!(achievement.name, "Bootcamp 2026");
    /// assert_eq!(achievement.description, "Awarded for Bootcamp 2026.");
    /// ```
    pub fn achievement(&self) -> Achievement {
        let given = self.achievement.clone().unwrap_or_default();
        let text = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
        let name = text(given.name).unwrap_or_else(|| self.name.trim().to_owned());
        Achievement {
            description: text(given.description).unwrap_or_else(|| format!("Awarded for {name}.")),
            criteria: text(given.criteria)
                .unwrap_or_else(|| format!("Awarded by the issuer to the recipients of {name}.")),
            image: text(given.image),
            kind: text(given.kind),
            name,
        }
    }

    fn check_credential_profiles(&self) -> Result<()> {
        let invalid = |msg: String| Err(Error::new(ErrorKind::InvalidGroup, msg));
        let web = |field: &str, value: &Option<String>, data_allowed: bool| -> Result<()> {
            let Some(value) = value else { return Ok(()) };
            let ok = url::Url::parse(value.trim()).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https") && u.host().is_some()
                    || data_allowed && u.scheme() == "data"
            });
            if ok {
                Ok(())
            } else {
                invalid(format!(
                    "`{field}` `{value}` is not an http or https address{}",
                    if data_allowed { " or a data: URL" } else { "" }
                ))
            }
        };
        if let Some(issuer) = &self.issuer {
            web("issuer.url", &issuer.url, false)?;
            web("issuer.image", &issuer.image, true)?;
            if let Some(email) = &issuer.email
                && let Err(problem) = crate::values::email::check(email)
            {
                return invalid(format!(
                    "`issuer.email` `{email}` is not an email address: {}",
                    problem.message
                ));
            }
        }
        if let Some(achievement) = &self.achievement {
            web("achievement.image", &achievement.image, true)?;
            if let Some(kind) = &achievement.kind
                && !valid_achievement_type(kind.trim())
            {
                return invalid(format!(
                    "achievement type `{kind}` is not one of Open Badges' ({}, ...) nor an extension written `ext:Name`",
                    ACHIEVEMENT_TYPES
                        .iter()
                        .take(8)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
        }
        Ok(())
    }

    /// What a form or a mapping control needs of a checked group: the key and every
    /// attribute a column can fill. [`Group::check`] also checks the email templates.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidGroup`] with what to fix.
    pub fn summary(&self) -> Result<GroupSummary> {
        let schema = self.schema()?;
        Ok(GroupSummary {
            name: schema.name.clone(),
            key: self.key(),
            attributes: schema
                .attributes
                .iter()
                .map(|a| AttributeSummary {
                    key: a.key.clone(),
                    label: a.label.clone(),
                    kind: a.kind,
                    required: a.required,
                    standard: a.standard,
                    values: a.values.clone(),
                })
                .collect(),
            warnings: self.credential_warnings(),
        })
    }

    /// The fields of the group's signed credentials that it leaves to defaults: the
    /// issuer's name (Open Badges requires one; the sender's name is used) and web site
    /// (verifiers and wallets show it), and the achievement's description and criteria
    /// (both required; a sentence made from the group's name is used).
    ///
    /// ```
    /// let group = conferral::Group { name: "Bootcamp 2026".into(), ..Default::default() };
    /// let codes: Vec<_> = group.credential_warnings().into_iter().map(|w| w.code).collect();
    /// assert_eq!(codes, ["issuer_name_missing", "issuer_url_missing",
    ///     "achievement_description_missing", "achievement_criteria_missing"]);
    /// ```
    pub fn credential_warnings(&self) -> Vec<GroupWarning> {
        let given = |v: Option<&String>| v.is_some_and(|t| !t.trim().is_empty());
        let issuer = self.issuer.as_ref();
        let achievement = self.achievement.as_ref();
        let defaults = self.achievement();
        let mut out = Vec::new();
        let mut warn = |ok: bool, code: &str, field: &str, message: String| {
            if !ok {
                out.push(GroupWarning {
                    code: code.to_owned(),
                    field: field.to_owned(),
                    message,
                });
            }
        };
        warn(
            given(issuer.and_then(|i| i.name.as_ref())),
            "issuer_name_missing",
            "issuer.name",
            "the credentials name their issuer by the email sender's name: set `issuer.name` to your organisation's name".to_owned(),
        );
        warn(
            given(issuer.and_then(|i| i.url.as_ref())),
            "issuer_url_missing",
            "issuer.url",
            "the credentials give no web site for their issuer, which wallets and verifiers show: set `issuer.url`".to_owned(),
        );
        warn(
            given(achievement.and_then(|a| a.description.as_ref())),
            "achievement_description_missing",
            "achievement.description",
            format!(
                "the credentials describe the achievement as \"{}\": set `achievement.description`",
                defaults.description
            ),
        );
        warn(
            given(achievement.and_then(|a| a.criteria.as_ref())),
            "achievement_criteria_missing",
            "achievement.criteria",
            format!(
                "the credentials give as criteria \"{}\": set `achievement.criteria` to what recipients did to earn it",
                defaults.criteria
            ),
        );
        out
    }

    /// The group's key in a store: `key` when set, else the name in lowercase ASCII with
    /// runs of other characters as `-` (`Data Science Bootcamp 2026` is
    /// `data-science-bootcamp-2026`; `Café` is `cafe`).
    pub fn key(&self) -> String {
        if let Some(key) = &self.key {
            return key.clone();
        }
        use unicode_normalization::UnicodeNormalization;
        let mut out = String::new();
        let mut dash = false;
        for c in self.name.nfkd() {
            if c.is_ascii_alphanumeric() {
                if dash && !out.is_empty() {
                    out.push('-');
                }
                dash = false;
                out.push(c.to_ascii_lowercase());
            } else if c.is_ascii() || !unicode_normalization::char::is_combining_mark(c) {
                dash = true;
            }
            if out.len() >= 64 {
                break;
            }
        }
        if out.is_empty() {
            // A name of symbols or scripts without ASCII letters: a stable hash of it.
            out = format!(
                "g-{:016x}",
                xxhash_rust::xxh3::xxh3_64(self.name.as_bytes())
            );
        }
        out
    }
}

/// Whether `kind` is an Open Badges achievement type or an `ext:` extension of them.
pub fn valid_achievement_type(kind: &str) -> bool {
    ACHIEVEMENT_TYPES.contains(&kind)
        || kind.strip_prefix("ext:").is_some_and(|name| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'|'))
        })
}

/// Each attribute placed in a credential field fits it, and a single-valued field takes one.
fn check_open_badges_fields(attributes: &[AttributeSpec]) -> Result<()> {
    let mut taken: Vec<(OpenBadgesField, &str)> = Vec::new();
    for attr in attributes {
        let Some(field) = attr.open_badges else {
            continue;
        };
        if !field.accepts(attr.kind) {
            return Err(Error::new(
                ErrorKind::InvalidGroup,
                format!(
                    "attribute `{}` of type `{}` cannot be the credential's `{}`",
                    attr.key,
                    attr.kind.as_str(),
                    field.as_str()
                ),
            ));
        }
        if field != OpenBadgesField::Result {
            if let Some((_, other)) = taken.iter().find(|(f, _)| *f == field) {
                return Err(Error::new(
                    ErrorKind::InvalidGroup,
                    format!(
                        "attributes `{other}` and `{}` are both the credential's `{}`; it takes one",
                        attr.key,
                        field.as_str()
                    ),
                ));
            }
            taken.push((field, &attr.key));
        }
    }
    Ok(())
}

fn valid_group_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && key
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A group's email templates; any part left out uses the library's default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailTemplates {
    /// Subject line.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
}

/// The default subject.
pub const DEFAULT_SUBJECT: &str = "Your credential for {{ group.name }}";

/// The default HTML body.
pub const DEFAULT_HTML: &str = r#"<!doctype html>
<html lang="en">
<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1f2328;">
<p>Dear {{ recipient.name }},</p>
<p>Congratulations: your credential for <strong>{{ group.name }}</strong> has been issued{% if credential.issued_on %} on {{ credential.issued_on }}{% endif %}.</p>
<p><a href="{{ credential.url }}" style="display: inline-block; padding: 0.6em 1.2em; background: #0b5cad; color: #ffffff; text-decoration: none; border-radius: 4px;">View your credential</a></p>
<p>Or open this address: {{ credential.url }}</p>
{% if credential.expires_on %}<p>It is valid until {{ credential.expires_on }}.</p>
{% endif %}<p style="color: #59636e; font-size: 0.9em;">Credential id: {{ credential.id }}</p>
</body>
</html>
"#;

/// The default plain-text body.
pub const DEFAULT_TEXT: &str = "Dear {{ recipient.name }},

Congratulations: your credential for {{ group.name }} has been issued{% if credential.issued_on %} on {{ credential.issued_on }}{% endif %}.

View it here: {{ credential.url }}
{% if credential.expires_on %}
It is valid until {{ credential.expires_on }}.
{% endif %}
Credential id: {{ credential.id }}
";

impl Default for EmailTemplates {
    fn default() -> Self {
        EmailTemplates {
            subject: DEFAULT_SUBJECT.to_owned(),
            html: DEFAULT_HTML.to_owned(),
            text: DEFAULT_TEXT.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_names_unless_given() {
        let g = |name: &str| Group {
            name: name.into(),
            ..Group::default()
        };
        assert_eq!(
            g("Data Science Bootcamp 2026").key(),
            "data-science-bootcamp-2026"
        );
        assert_eq!(g("  Café — Été 2026 ").key(), "cafe-ete-2026");
        assert!(g("数据").key().starts_with("g-"));
        let explicit = Group {
            key: Some("ds-2026".into()),
            ..g("x")
        };
        assert_eq!(explicit.key(), "ds-2026");
        let bad = Group {
            key: Some("DS 2026".into()),
            ..g("x")
        };
        assert!(bad.schema().is_err());
    }

    #[test]
    fn policy_and_templates_are_optional_in_json() {
        let g = Group::from_json(
            r#"{"name": "x", "duplicates": "replace", "email": {"subject": "Hi"}}"#,
        )
        .unwrap();
        assert_eq!(g.duplicates, DuplicatePolicy::Replace);
        let email = g.email.unwrap();
        assert_eq!(email.subject, "Hi");
        assert_eq!(email.text, DEFAULT_TEXT);
        let plain = Group::from_json(r#"{"name": "x"}"#).unwrap();
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"name":"x","attributes":[]}"#
        );
    }

    #[test]
    fn date_formats_parse() {
        let f = DateFormat::parse("DD/MM/YYYY").map(|f| (f.order, f.separator));
        assert_eq!(f, Some((DateOrder::DayFirst, '/')));
        let f = DateFormat::parse("m-d-yyyy").map(|f| (f.order, f.separator));
        assert_eq!(f, Some((DateOrder::MonthFirst, '-')));
        assert_eq!(
            DateFormat::parse("YYYY.MM.DD").map(|f| f.pattern()),
            Some("YYYY.MM.DD".to_owned())
        );
        assert!(DateFormat::parse("DD/MM/YY").is_none());
        assert!(DateFormat::parse("DD/MM").is_none());
        assert!(DateFormat::parse("YYYY-DD-MM").is_none());
    }

    #[test]
    fn bad_groups_are_rejected_with_the_key() {
        let g = |json: &str| {
            Group::from_json(json)
                .and_then(|g| g.schema())
                .map(|_| ())
                .map_err(|e| (e.kind(), e.to_string()))
        };
        let e = g(r#"{"name":"x","attributes":[{"key":"grade","type":"enum"}]}"#).unwrap_err();
        assert_eq!(e.0, ErrorKind::InvalidGroup);
        assert!(e.1.contains("`grade`"), "{}", e.1);
        assert!(g(r#"{"name":"x","attributes":[{"key":"Grade"}]}"#).is_err());
        assert!(g(r#"{"name":"x","attributes":[{"key":"a"},{"key":"a"}]}"#).is_err());
        assert!(g(r#"{"name":"x","attributes":[{"key":"email","type":"date"}]}"#).is_err());
        assert!(
            g(r#"{"name":"x","attributes":[{"key":"d","type":"date","date_format":"YY"}]}"#)
                .is_err()
        );
        assert!(g(r#"{"name":"x","attributes":[{"key":"issued_on","type":"date","date_format":"DD.MM.YYYY","aliases":["awarded"]}]}"#).is_ok());
    }

    #[test]
    fn credential_profiles_are_optional_and_checked() {
        // Groups written before credentials existed read, and write back, as they were.
        let old = Group::from_json(r#"{"name": "x", "attributes": [{"key": "grade"}]}"#).unwrap();
        assert_eq!((old.issuer.clone(), old.achievement.clone()), (None, None));
        assert!(!serde_json::to_string(&old).unwrap().contains("open_badges"));
        let full = Group::from_json(
            r#"{"name": "Bootcamp", "issuer": {"name": "Academy", "url": "https://academy.example.org",
                 "email": "info@academy.example.org", "image": "data:image/png;base64,iVBORw0KGgo="},
                "achievement": {"name": "Data Bootcamp", "type": "ext:Bootcamp", "criteria": "Pass."},
                "attributes": [{"key": "credits", "type": "integer", "open_badges": "credits_earned"}]}"#,
        )
        .unwrap();
        assert!(full.schema().is_ok());
        let achievement = full.achievement();
        assert_eq!(
            (
                achievement.name.as_str(),
                achievement.criteria.as_str(),
                achievement.kind.as_deref()
            ),
            ("Data Bootcamp", "Pass.", Some("ext:Bootcamp"))
        );
        assert_eq!(achievement.description, "Awarded for Data Bootcamp.");
        assert_eq!(
            Group::from_json(&serde_json::to_string(&full).unwrap()).unwrap(),
            full
        );
    }

    #[test]
    fn bad_credential_profiles_are_invalid_groups() {
        let e = |json: &str| {
            Group::from_json(json)
                .and_then(|g| g.schema())
                .map(|_| ())
                .map_err(|e| (e.kind(), e.to_string()))
                .unwrap_err()
        };
        let (kind, message) = e(r#"{"name": "x", "achievement": {"type": "Diplomat"}}"#);
        assert_eq!(kind, ErrorKind::InvalidGroup);
        assert!(message.contains("`Diplomat`"), "{message}");
        assert!(
            e(r#"{"name": "x", "issuer": {"url": "javascript:alert(1)"}}"#)
                .1
                .contains("`issuer.url`")
        );
        assert!(
            e(r#"{"name": "x", "issuer": {"url": "data:text/html,hi"}}"#)
                .1
                .contains("`issuer.url`")
        );
        assert!(
            e(r#"{"name": "x", "issuer": {"email": "nobody"}}"#)
                .1
                .contains("`issuer.email`")
        );
        assert!(e(r#"{"name": "x", "attributes": [{"key": "c", "type": "text", "open_badges": "credits_earned"}]}"#).1.contains("`c` of type `text`"));
        assert!(e(r#"{"name": "x", "attributes": [{"key": "a", "open_badges": "term"}, {"key": "b", "open_badges": "term"}]}"#).1.contains("it takes one"));
        assert!(e(r#"{"name": "x", "attributes": [{"key": "email", "type": "email", "open_badges": "role"}]}"#).1.contains("standard attribute `email`"));
        assert!(
            Group::from_json(
                r#"{"name": "x", "attributes": [{"key": "a", "open_badges": "grade"}]}"#
            )
            .is_err()
        );
        // Several attributes may each be a result.
        let results = r#"{"name": "x", "attributes": [{"key": "a", "open_badges": "result"}, {"key": "b", "open_badges": "result"}]}"#;
        assert!(Group::from_json(results).unwrap().schema().is_ok());
    }
}
