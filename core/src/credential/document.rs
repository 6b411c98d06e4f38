//! A published credential as an Open Badges 3.0 `OpenBadgeCredential` (a W3C Verifiable
//! Credential, data model 2.0), before it is signed.
//!
//! | credential | document |
//! | --- | --- |
//! | its id | `id`: the credential's link, as emails give it (`render::credential_url`) |
//! | the group's issuer, the key | `issuer`: a `Profile` whose `id` is the key's `did:key` |
//! | issue date (else the publish time) | `validFrom` (a date is its first second, UTC) |
//! | expiry date | `validUntil` (the last second of that day, UTC) |
//! | the group's achievement | `name`, and `credentialSubject.achievement` |
//! | the recipient's email | `credentialSubject.identifier`: an `IdentityObject` with `hashed: true`, `identityHash` = `sha256$` + hex(SHA-256(address + salt)), the address trimmed and in lowercase (the form recipients are compared in), and the `salt` |
//! | the recipient's name | `credentialSubject.identifier`: an `IdentityObject` with `hashed: false` and `identityType` `ext:name`, as 1EdTech's recommended practices show |
//! | attributes placed by the group (`open_badges`) | `creditsEarned`, `activityStartDate`, `activityEndDate`, `term`, `role`, `licenseNumber`, or a `result` with its `resultDescription` in the achievement |
//! | other attributes, the issuer's own id | the extension below |
//! | the status list entry | `credentialStatus`: a `BitstringStatusListEntry` for `revocation` |
//!
//! # The attributes extension
//!
//! Open Badges has no place for most of a roster's columns (a location, an instructor, hours
//! that are not credits). They are listed at the top of the credential, where Open Badges
//! allows extensions, as schema.org `PropertyValue`s, and the credential's `@context` gains
//! one inline context ([`ATTRIBUTES_CONTEXT`]) that defines the two terms, so they are signed
//! and any JSON-LD processor reads them offline:
//!
//! ```json
//! "additionalProperty": [
//!   {"type": "PropertyValue", "propertyID": "hours", "name": "Course Hours", "value": 12.5}
//! ]
//! ```
//!
//! `propertyID` is the attribute's key, `name` its label, `value` the value as the credential
//! holds it (text, a number, `true`/`false`, a date as `YYYY-MM-DD`). The issuer's own
//! credential id (the roster's credential id column) is the entry `credential_id`.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::contexts;
use super::encoding;
use super::status::StatusEntry;
use crate::error::{Error, ErrorKind, Result};
use crate::group::{Group, OpenBadgesField, standard};
use crate::lifecycle::{Credential, CredentialState, EventKind};

/// The inline context of the attributes extension: schema.org's `additionalProperty` and
/// `PropertyValue` (with its `propertyID` and `value`).
pub const ATTRIBUTES_CONTEXT: &str = r#"{"additionalProperty":{"@id":"https://schema.org/additionalProperty","@container":"@set"},"PropertyValue":{"@id":"https://schema.org/PropertyValue","@context":{"propertyID":"https://schema.org/propertyID","value":"https://schema.org/value"}}}"#;

/// What a credential's document is built from, besides the credential and its group.
#[derive(Debug, Clone, Copy)]
pub struct DocumentOptions<'a> {
    /// Where credentials live: the document's `id` is this base, `/` and the credential's id.
    pub base_url: &'a str,
    /// The issuer's DID ([`IssuerKey::did`](super::IssuerKey::did)).
    pub issuer: &'a str,
    /// The salt of the recipient's hashed email: random text (16 random bytes or more, say)
    /// that the caller chooses (the core has no randomness) and gives again each time the same
    /// credential is exported. Without it the hash of an address anyone can guess is no secret.
    pub salt: &'a str,
    /// The issuer's name when the group gives none (the email sender's name, say).
    pub issuer_name: Option<&'a str>,
    /// The credential's place in its issuer's status list; without one, the credential
    /// cannot be revoked by anyone who verifies it.
    pub status: Option<&'a StatusEntry>,
}

fn invalid_group(message: String) -> Error {
    Error::new(ErrorKind::InvalidGroup, message)
}

/// The `OpenBadgeCredential` of a published (or since revoked or expired) credential,
/// unsigned: sign it with [`sign`](super::sign).
///
/// # Errors
/// [`ErrorKind::IllegalTransition`] for a draft; [`ErrorKind::InvalidValue`] for an empty
/// salt; [`ErrorKind::InvalidGroup`] when the group
/// is not valid or leaves the achievement without a name (Open Badges requires one);
/// [`ErrorKind::InvalidConfig`] for a base URL that is not an http(s) address;
/// [`ErrorKind::InvalidCredential`] for an issuer that is not a DID.
pub fn open_badge_credential(
    credential: &Credential,
    group: &Group,
    options: &DocumentOptions<'_>,
) -> Result<Value> {
    if credential.state == CredentialState::Draft {
        return Err(Error::new(
            ErrorKind::IllegalTransition,
            format!(
                "credential `{}` is a draft; it has a verifiable credential once published",
                credential.id
            ),
        ));
    }
    if options.salt.is_empty() {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            "the salt of the hashed email is empty; pass random text (16 random bytes or more)",
        ));
    }
    if !options.issuer.starts_with("did:") {
        return Err(Error::new(
            ErrorKind::InvalidCredential,
            format!("the issuer `{}` is not a DID", options.issuer),
        ));
    }
    let schema = group.schema()?;
    let achievement = group.achievement();
    if achievement.name.is_empty() {
        return Err(invalid_group(
            "the credential's achievement has no name: give the group a name, or set `achievement.name`"
                .to_owned(),
        ));
    }
    let url = crate::render::credential_url(options.base_url, &credential.id)?;
    let achievement_id = urn_uuid(&[options.base_url, &group.key()]);

    let mut subject = Map::new();
    subject.insert("type".into(), json!(["AchievementSubject"]));
    subject.insert(
        "identifier".into(),
        json!([
            {
                "type": "IdentityObject",
                "identityHash": identity_hash(&credential.recipient.email, options.salt),
                "identityType": "emailAddress",
                "hashed": true,
                "salt": options.salt,
            },
            {
                "type": "IdentityObject",
                "identityHash": credential.recipient.name,
                "identityType": "ext:name",
                "hashed": false,
            }
        ]),
    );
    let mut results = Vec::new();
    let mut result_descriptions = Vec::new();
    let mut extension = Vec::new();
    for attr in schema.attributes.iter().filter(|a| !a.standard) {
        let value = credential
            .attributes
            .get(&attr.key)
            .filter(|v| !v.is_null());
        let text = || {
            value
                .and_then(crate::values::value_as_cell)
                .map(|c| c.into_owned())
        };
        match attr.open_badges {
            Some(OpenBadgesField::Result) => {
                let id = urn_uuid(&[&achievement_id, &attr.key]);
                result_descriptions.push(json!({
                    "id": id,
                    "type": ["ResultDescription"],
                    "name": attr.label,
                    "resultType": "Result",
                }));
                if let Some(text) = text() {
                    results
                        .push(json!({"type": ["Result"], "resultDescription": id, "value": text}));
                }
            }
            Some(OpenBadgesField::CreditsEarned) => {
                if let Some(number) = value.and_then(Value::as_f64) {
                    subject.insert("creditsEarned".into(), json!(number));
                }
            }
            Some(field) => {
                if let Some(text) = text() {
                    subject.insert(subject_term(field).into(), text.into());
                }
            }
            None => {
                if let Some(value) = value {
                    extension.push(property(&attr.key, &attr.label, value.clone()));
                }
            }
        }
    }
    if let Some(reference) = &credential.reference {
        let label = schema
            .attribute(standard::CREDENTIAL_ID)
            .map_or("Credential ID", |a| a.label.as_str());
        extension.push(property(
            standard::CREDENTIAL_ID,
            label,
            reference.clone().into(),
        ));
    }
    if !results.is_empty() {
        subject.insert("result".into(), Value::Array(results));
    }

    let mut achievement_json = Map::new();
    achievement_json.insert("id".into(), achievement_id.into());
    achievement_json.insert("type".into(), json!(["Achievement"]));
    achievement_json.insert("name".into(), achievement.name.clone().into());
    achievement_json.insert("description".into(), achievement.description.into());
    achievement_json.insert(
        "criteria".into(),
        json!({ "narrative": achievement.criteria }),
    );
    if let Some(kind) = achievement.kind {
        achievement_json.insert("achievementType".into(), kind.into());
    }
    if let Some(image) = achievement.image {
        achievement_json.insert("image".into(), image_object(&image));
    }
    if !result_descriptions.is_empty() {
        achievement_json.insert(
            "resultDescription".into(),
            Value::Array(result_descriptions),
        );
    }
    subject.insert("achievement".into(), Value::Object(achievement_json));

    let mut context = vec![
        json!(contexts::CREDENTIALS_V2),
        json!(contexts::OPEN_BADGES_V3),
    ];
    if !extension.is_empty() {
        context.push(attributes_context());
    }
    let mut document = Map::new();
    document.insert("@context".into(), Value::Array(context));
    document.insert("id".into(), url.into());
    document.insert(
        "type".into(),
        json!(["VerifiableCredential", "OpenBadgeCredential"]),
    );
    document.insert("name".into(), achievement.name.into());
    document.insert("issuer".into(), issuer_profile(group, options));
    document.insert("validFrom".into(), valid_from(credential)?.into());
    if let Some(expires) = credential.expires_on {
        document.insert("validUntil".into(), end_of_day(expires).into());
    }
    document.insert("credentialSubject".into(), Value::Object(subject));
    if !extension.is_empty() {
        document.insert("additionalProperty".into(), Value::Array(extension));
    }
    if let Some(status) = options.status {
        document.insert("credentialStatus".into(), status.to_json());
    }
    Ok(Value::Object(document))
}

/// The inline context of the attributes extension, as JSON.
pub fn attributes_context() -> Value {
    serde_json::from_str(ATTRIBUTES_CONTEXT).unwrap_or(Value::Null)
}

fn property(key: &str, label: &str, value: Value) -> Value {
    json!({"type": "PropertyValue", "propertyID": key, "name": label, "value": value})
}

fn subject_term(field: OpenBadgesField) -> &'static str {
    match field {
        OpenBadgesField::Result => "result",
        OpenBadgesField::CreditsEarned => "creditsEarned",
        OpenBadgesField::ActivityStartDate => "activityStartDate",
        OpenBadgesField::ActivityEndDate => "activityEndDate",
        OpenBadgesField::Term => "term",
        OpenBadgesField::Role => "role",
        OpenBadgesField::LicenseNumber => "licenseNumber",
    }
}

fn issuer_profile(group: &Group, options: &DocumentOptions<'_>) -> Value {
    let given = group.issuer.clone().unwrap_or_default();
    let text = |v: Option<String>| v.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty());
    let mut profile = Map::new();
    profile.insert("id".into(), options.issuer.into());
    profile.insert("type".into(), json!(["Profile"]));
    let name = text(given.name).or_else(|| text(options.issuer_name.map(str::to_owned)));
    if let Some(name) = name {
        profile.insert("name".into(), name.into());
    }
    for (key, value) in [
        ("url", text(given.url).map(|u| as_iri(&u))),
        ("email", text(given.email)),
        ("description", text(given.description)),
    ] {
        if let Some(value) = value {
            profile.insert(key.into(), value.into());
        }
    }
    if let Some(image) = text(given.image) {
        profile.insert("image".into(), image_object(&image));
    }
    Value::Object(profile)
}

fn image_object(url: &str) -> Value {
    json!({"id": as_iri(url), "type": "Image"})
}

/// A URL as an IRI a JSON-LD processor takes: parsed and written back (the group's check has
/// parsed it), with the characters an IRI may not hold percent-encoded, which a URL parser
/// leaves in the opaque part of a `data:` URL (the spaces and `<` `>` of an SVG).
fn as_iri(url: &str) -> String {
    let url = url::Url::parse(url).map_or_else(|_| url.to_owned(), |u| u.to_string());
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        if c.is_control()
            || matches!(
                c,
                ' ' | '<' | '>' | '"' | '{' | '}' | '|' | '\\' | '^' | '`'
            )
        {
            let mut buf = [0u8; 4];
            for byte in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{byte:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The issue date's first second, or the moment the credential was published.
fn valid_from(credential: &Credential) -> Result<String> {
    if let Some(issued) = credential.issued_on {
        return Ok(format!(
            "{}T00:00:00Z",
            crate::values::date::format_date(issued)
        ));
    }
    credential
        .history
        .iter()
        .rev()
        .find(|h| h.event == EventKind::Published)
        .map(|h| timestamp(h.at))
        .ok_or_else(|| {
            Error::new(
                ErrorKind::IllegalTransition,
                format!(
                    "credential `{}` has no issue date and no record of being published",
                    credential.id
                ),
            )
        })
}

fn end_of_day(date: NaiveDate) -> String {
    format!("{}T23:59:59Z", crate::values::date::format_date(date))
}

/// A date-time as credentials write it: UTC, whole seconds, `Z`.
pub(crate) fn timestamp(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The `identityHash` of an email address with a salt: `sha256$` and the hex SHA-256 of the
/// address (trimmed, in lowercase: the form recipients are compared in) followed by the salt.
///
/// ```
/// use conferral::credential::identity_hash;
/// // The example of the Open Badges specification.
/// assert_eq!(
///     identity_hash("a@example.com", "Kosher"),
///     "sha256$b5809d8a92f8858436d7e6b87c12ebc0ae1eac4baecc2c0b913aee2c922ef399"
/// );
/// assert_eq!(identity_hash(" A@Example.com", "Kosher"), identity_hash("a@example.com", "Kosher"));
/// ```
pub fn identity_hash(email: &str, salt: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(crate::values::email::duplicate_key(email).as_bytes());
    hasher.update(salt.as_bytes());
    format!("sha256${}", encoding::hex(&hasher.finalize()))
}

/// Whether a credential's subject is identified by `email`: one of its hashed
/// `emailAddress` identities is the address with its salt (a plain one, the address itself).
pub fn identifies(document: &Value, email: &str) -> bool {
    let Some(identities) = document
        .pointer("/credentialSubject/identifier")
        .and_then(Value::as_array)
    else {
        return false;
    };
    identities.iter().any(|identity| {
        let text = |key: &str| identity.get(key).and_then(Value::as_str);
        if text("identityType") != Some("emailAddress") {
            return false;
        }
        let Some(stated) = text("identityHash") else {
            return false;
        };
        if identity.get("hashed").and_then(Value::as_bool) == Some(true) {
            let salt = text("salt").unwrap_or("");
            identity_hash(email, salt).eq_ignore_ascii_case(stated)
        } else {
            crate::values::email::duplicate_key(stated)
                == crate::values::email::duplicate_key(email)
        }
    })
}

/// A name-based UUID (RFC 9562 version 8, from SHA-256) as a URN: the same parts always give
/// the same id, and different parts different ones.
fn urn_uuid(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let mut bytes: [u8; 16] = digest
        .get(..16)
        .and_then(|b| b.try_into().ok())
        .unwrap_or([0; 16]);
    // Version 8 in the high nibble of byte 6, the RFC variant (binary 10) atop byte 8.
    if let Some(b) = bytes.get_mut(6) {
        *b = (*b & 0x0F) | 0x80;
    }
    if let Some(b) = bytes.get_mut(8) {
        *b = (*b & 0x3F) | 0x80;
    }
    let hex = encoding::hex(&bytes);
    let part = |range: std::ops::Range<usize>| hex.get(range).unwrap_or_default();
    format!(
        "urn:uuid:{}-{}-{}-{}-{}",
        part(0..8),
        part(8..12),
        part(12..16),
        part(16..20),
        part(20..32)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credential::{IssuerKey, sign};
    use chrono::TimeZone;

    const BASE: &str = "https://credentials.example.org/c";

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap()
    }

    fn group() -> Group {
        Group::from_json(
            r#"{"name": "Bootcamp", "attributes": [
                {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit"], "open_badges": "result"},
                {"key": "credits", "type": "number", "open_badges": "credits_earned"},
                {"key": "term", "type": "text", "open_badges": "term"},
                {"key": "hours", "label": "Course Hours", "type": "number"}]}"#,
        )
        .unwrap()
    }

    fn published(record: Value) -> Credential {
        let record = serde_json::from_value(record).unwrap();
        let draft =
            Credential::draft("Ab12".into(), "bootcamp", "b1", &record, "t", at(2)).unwrap();
        draft.publish("t", at(3)).unwrap().credential
    }

    fn build(credential: &Credential, group: &Group, salt: &str) -> Result<Value> {
        let key = IssuerKey::from_seed([5; 32]);
        open_badge_credential(
            credential,
            group,
            &DocumentOptions {
                base_url: BASE,
                issuer: &key.did(),
                salt,
                issuer_name: Some("Academy"),
                status: None,
            },
        )
    }

    #[test]
    fn the_hashed_identity_is_the_email_with_the_salt() {
        let credential =
            published(serde_json::json!({"name": "Ana", "email": "Ana.Lopez@Example.org"}));
        let document = build(&credential, &group(), "s4lt").unwrap();
        let identity = document.pointer("/credentialSubject/identifier/0").unwrap();
        assert_eq!(identity["hashed"], true);
        assert_eq!(identity["salt"], "s4lt");
        // Computed here without the module's helper: SHA-256 of the lowercased address and the salt.
        let expected = Sha256::digest(b"ana.lopez@example.orgs4lt");
        assert_eq!(
            identity["identityHash"],
            format!("sha256${}", encoding::hex(&expected))
        );
        assert!(identifies(&document, "ana.lopez@example.org"));
        assert!(identifies(&document, " ANA.LOPEZ@example.org"));
        assert!(!identifies(&document, "bo@example.org"));
        let other_salt = build(&credential, &group(), "other").unwrap();
        assert_ne!(
            other_salt.pointer("/credentialSubject/identifier/0/identityHash"),
            identity.get("identityHash")
        );
    }

    #[test]
    fn attributes_go_where_open_badges_has_a_place_and_the_rest_to_the_extension() {
        let credential = published(serde_json::json!({
            "name": "Ana", "email": "ana@example.org", "issued_on": "2026-03-02", "expires_on": "2028-03-02",
            "grade": "Merit", "credits": 7.5, "term": "Spring", "hours": 120, "credential_id": "C-1"}));
        let document = build(&credential, &group(), "s").unwrap();
        assert_eq!(document["id"], format!("{BASE}/Ab12"));
        assert_eq!(document["validFrom"], "2026-03-02T00:00:00Z");
        assert_eq!(document["validUntil"], "2028-03-02T23:59:59Z");
        assert_eq!(document["issuer"]["name"], "Academy");
        let subject = &document["credentialSubject"];
        assert_eq!(subject["creditsEarned"], 7.5);
        assert_eq!(subject["term"], "Spring");
        assert_eq!(subject["result"][0]["value"], "Merit");
        assert_eq!(
            subject["result"][0]["resultDescription"],
            subject["achievement"]["resultDescription"][0]["id"]
        );
        assert_eq!(
            subject["achievement"]["resultDescription"][0]["name"],
            "Grade"
        );
        assert_eq!(
            subject["achievement"]["description"],
            "Awarded for Bootcamp."
        );
        assert_eq!(subject["identifier"][1]["identityHash"], "Ana");
        let extension = document["additionalProperty"].as_array().unwrap();
        let keys: Vec<&str> = extension
            .iter()
            .map(|p| p["propertyID"].as_str().unwrap())
            .collect();
        assert_eq!(keys, ["hours", "credential_id"]);
        assert_eq!(extension[0]["name"], "Course Hours");
        assert_eq!(extension[0]["value"], 120);
        assert_eq!(document["@context"][2], attributes_context());
        // Every term is defined, so the whole document is signed.
        sign(&document, &IssuerKey::from_seed([5; 32]), at(3)).unwrap();
    }

    #[test]
    fn without_an_issue_date_it_is_valid_from_the_publish_time() {
        let credential = published(serde_json::json!({"name": "Ana", "email": "ana@example.org"}));
        let plain = Group {
            name: "Plain".into(),
            ..Group::default()
        };
        let document = build(&credential, &plain, "s").unwrap();
        assert_eq!(document["validFrom"], "2026-03-03T09:00:00Z");
        assert!(document.get("validUntil").is_none());
        assert!(document.get("additionalProperty").is_none());
        assert_eq!(document["@context"].as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn drafts_and_nameless_achievements_are_refused() {
        let record =
            serde_json::from_value(serde_json::json!({"name": "Ana", "email": "ana@example.org"}))
                .unwrap();
        let draft = Credential::draft("Ab12".into(), "g", "b1", &record, "t", at(2)).unwrap();
        assert_eq!(
            build(&draft, &group(), "s").unwrap_err().kind(),
            ErrorKind::IllegalTransition
        );
        let credential = published(serde_json::json!({"name": "Ana", "email": "ana@example.org"}));
        assert_eq!(
            build(&credential, &group(), "").unwrap_err().kind(),
            ErrorKind::InvalidValue
        );
        let nameless = Group {
            name: "  ".into(),
            ..Group::default()
        };
        let e = build(&credential, &nameless, "s").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidGroup);
        assert!(e.message().contains("`achievement.name`"), "{e}");
    }

    #[test]
    fn images_in_data_urls_are_signed_as_iris() {
        let credential = published(serde_json::json!({"name": "Ana", "email": "ana@example.org"}));
        let group = Group::from_json(
            r#"{"name": "Svg", "issuer": {"image": "data:image/svg+xml;utf8,<svg xmlns='http://www.w3.org/2000/svg'/>"},
                "achievement": {"image": "https://example.org/a b.png"}}"#,
        )
        .unwrap();
        let document = build(&credential, &group, "s").unwrap();
        let image = document["issuer"]["image"]["id"].as_str().unwrap();
        assert!(
            image.starts_with("data:image/svg+xml;utf8,%3Csvg%20"),
            "{image}"
        );
        assert_eq!(
            document["credentialSubject"]["achievement"]["image"]["id"],
            "https://example.org/a%20b.png"
        );
        sign(&document, &IssuerKey::from_seed([5; 32]), at(3)).unwrap();
    }

    #[test]
    fn ids_from_names_are_version_8_uuids() {
        let id = urn_uuid(&["https://x.example", "g"]);
        assert_eq!(id.len(), "urn:uuid:".len() + 36);
        assert_eq!(id.as_bytes()["urn:uuid:".len() + 14], b'8');
        assert!(matches!(
            id.as_bytes()["urn:uuid:".len() + 19],
            b'8' | b'9' | b'a' | b'b'
        ));
        assert_eq!(id, urn_uuid(&["https://x.example", "g"]));
        assert_ne!(id, urn_uuid(&["https://x.example/", "g"]));
        assert_ne!(urn_uuid(&["ab", "c"]), urn_uuid(&["a", "bc"]));
    }
}
