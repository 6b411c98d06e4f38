//! Verification: every check a verifier makes, each with its outcome and a reason.
//!
//! A credential is valid when no check fails: its shape (the fields the VC data model and
//! Open Badges require), its proof, the proof's key against the issuer, its dates against the
//! caller's `now`, and, when a status list credential is given, its status. A check that
//! cannot be made (a status without a list) is skipped, and says so.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::contexts;
use super::proof;
use super::status::StatusList;
use crate::error::{Error, ErrorKind, Result};

/// What a verification checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckKind {
    /// The required fields are there and of the right form.
    Shape,
    /// The `eddsa-rdfc-2022` proof verifies over the whole document.
    Proof,
    /// The key that signed belongs to the issuer the credential names.
    Issuer,
    /// `validFrom` is past and `validUntil` (if any) is not.
    Dates,
    /// The credential's bit in its status list is not set.
    Status,
}

impl CheckKind {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckKind::Shape => "shape",
            CheckKind::Proof => "proof",
            CheckKind::Issuer => "issuer",
            CheckKind::Dates => "dates",
            CheckKind::Status => "status",
        }
    }
}

/// How a check came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It holds.
    Passed,
    /// It does not: the credential is not valid.
    Failed,
    /// It could not be made (no status list was given, the credential has no status).
    Skipped,
}

/// One check and why it came out as it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// What was checked.
    pub check: CheckKind,
    /// How it came out.
    pub outcome: Outcome,
    /// Why, in a sentence.
    pub reason: String,
}

/// Everything a verification found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    /// Whether no check failed.
    pub valid: bool,
    /// Every check, in the order of [`CheckKind`].
    pub checks: Vec<Check>,
}

impl Verification {
    /// The check of a kind.
    pub fn check(&self, kind: CheckKind) -> Option<&Check> {
        self.checks.iter().find(|c| c.check == kind)
    }

    /// The reasons of the failed checks.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks.iter().filter(|c| c.outcome == Outcome::Failed)
    }
}

/// What a verification is given besides the document.
#[derive(Debug, Clone, Copy)]
pub struct VerifyOptions<'a> {
    /// The moment the dates are checked against (the core has no clock).
    pub now: DateTime<Utc>,
    /// The issuer's `BitstringStatusListCredential` the credential's status points at, when
    /// the caller has it.
    pub status_list: Option<&'a Value>,
}

fn check(check: CheckKind, outcome: Outcome, reason: impl Into<String>) -> Check {
    Check {
        check,
        outcome,
        reason: reason.into(),
    }
}

/// Reads credential bytes as JSON and verifies them.
///
/// # Errors
/// [`ErrorKind::MalformedFile`] when the bytes are not a JSON object: there is nothing to
/// verify. Everything else is a check in the report.
pub fn verify_bytes(bytes: &[u8], options: &VerifyOptions<'_>) -> Result<Verification> {
    let document: Value = serde_json::from_slice(bytes).map_err(|e| {
        Error::new(
            ErrorKind::MalformedFile,
            format!(
                "the credential is not JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        )
        .with_source(e)
    })?;
    if !document.is_object() {
        return Err(Error::new(
            ErrorKind::MalformedFile,
            "the credential is JSON but not an object",
        ));
    }
    Ok(verify(&document, options))
}

/// Verifies a signed credential (an `OpenBadgeCredential`, a `BitstringStatusListCredential`
/// or another VC 2.0 credential with an `eddsa-rdfc-2022` proof).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use conferral::credential::{CheckKind, IssuerKey, Outcome, VerifyOptions, sign, verify};
/// let key = IssuerKey::from_seed([7; 32]);
/// let document = serde_json::json!({
///     "@context": ["https://www.w3.org/ns/credentials/v2"],
///     "id": "urn:uuid:8f2d6c2e-4a0b-4c52-9a56-0c8f7a1f2b3c",
///     "type": ["VerifiableCredential"],
///     "issuer": key.did(),
///     "validFrom": "2026-03-02T00:00:00Z",
///     "credentialSubject": {"name": "Ana"}
/// });
/// let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
/// let mut signed = sign(&document, &key, now)?;
/// let options = VerifyOptions { now, status_list: None };
/// assert!(verify(&signed, &options).valid);
/// signed["credentialSubject"]["name"] = "Bo".into();
/// let report = verify(&signed, &options);
/// assert!(!report.valid);
/// assert_eq!(report.check(CheckKind::Proof).map(|c| c.outcome), Some(Outcome::Failed));
/// # Ok::<(), conferral::Error>(())
/// ```
pub fn verify(document: &Value, options: &VerifyOptions<'_>) -> Verification {
    let Some(map) = document.as_object() else {
        return Verification {
            valid: false,
            checks: vec![check(
                CheckKind::Shape,
                Outcome::Failed,
                "the credential is not a JSON object",
            )],
        };
    };
    let proof = proof::check(map);
    let issuer = issuer_id(map);
    let checks = vec![
        shape(map),
        match &proof.verified {
            Ok(()) => check(
                CheckKind::Proof,
                Outcome::Passed,
                "the eddsa-rdfc-2022 signature matches the whole document",
            ),
            Err(why) => check(CheckKind::Proof, Outcome::Failed, why.clone()),
        },
        match (&proof.signer, issuer) {
            (Some(signer), Some(issuer)) if signer.did() == issuer => check(
                CheckKind::Issuer,
                Outcome::Passed,
                format!("signed with the key of the issuer `{issuer}`"),
            ),
            (Some(signer), Some(issuer)) => check(
                CheckKind::Issuer,
                Outcome::Failed,
                format!(
                    "signed with the key of `{}`, not of the issuer `{issuer}`",
                    signer.did()
                ),
            ),
            (None, _) => check(
                CheckKind::Issuer,
                Outcome::Failed,
                "the proof names no Ed25519 did:key that signed it",
            ),
            (_, None) => check(
                CheckKind::Issuer,
                Outcome::Failed,
                "the credential names no issuer",
            ),
        },
        dates(map, options.now),
        status(map, options),
    ];
    Verification {
        valid: checks.iter().all(|c| c.outcome != Outcome::Failed),
        checks,
    }
}

fn issuer_id(map: &Map<String, Value>) -> Option<&str> {
    match map.get("issuer")? {
        Value::String(id) => Some(id),
        Value::Object(profile) => profile.get("id").and_then(Value::as_str),
        _ => None,
    }
}

fn types(value: Option<&Value>) -> Vec<&str> {
    match value {
        Some(Value::String(t)) => vec![t.as_str()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The fields the VC data model 2.0 requires, and those Open Badges 3.0 (`id`, `validFrom`,
/// the subject's achievement) or the Bitstring Status List add for their credentials.
fn shape(map: &Map<String, Value>) -> Check {
    let mut missing: Vec<String> = Vec::new();
    let mut need = |ok: bool, what: &str| {
        if !ok {
            missing.push(what.to_owned());
        }
    };
    let context: Vec<&str> = types(map.get("@context"));
    need(
        context.first() == Some(&contexts::CREDENTIALS_V2),
        "`@context` starting with the VC 2.0 context",
    );
    let kinds = types(map.get("type"));
    need(
        kinds.contains(&"VerifiableCredential"),
        "`type` with `VerifiableCredential`",
    );
    need(issuer_id(map).is_some(), "an `issuer` with an `id`");
    let subject = map.get("credentialSubject").and_then(Value::as_object);
    need(subject.is_some(), "a `credentialSubject` object");
    let text = |v: Option<&Value>, pointer: &str| {
        v.and_then(|v| v.pointer(pointer))
            .and_then(Value::as_str)
            .is_some_and(|t| !t.trim().is_empty())
    };
    let subject_value = map.get("credentialSubject");
    if kinds.contains(&"OpenBadgeCredential") || kinds.contains(&"AchievementCredential") {
        need(
            context.contains(&contexts::OPEN_BADGES_V3),
            "the Open Badges 3.0.3 context",
        );
        need(map.get("id").is_some_and(Value::is_string), "`id`");
        need(
            map.get("validFrom").is_some_and(Value::is_string),
            "`validFrom`",
        );
        need(
            subject.is_some_and(|s| types(s.get("type")).contains(&"AchievementSubject")),
            "`credentialSubject.type` with `AchievementSubject`",
        );
        need(
            subject.is_some_and(|s| {
                s.contains_key("id")
                    || s.get("identifier")
                        .and_then(Value::as_array)
                        .is_some_and(|i| !i.is_empty())
            }),
            "`credentialSubject.id` or an `identifier`",
        );
        for (pointer, what) in [
            ("/achievement/id", "`achievement.id`"),
            ("/achievement/name", "`achievement.name`"),
            ("/achievement/description", "`achievement.description`"),
        ] {
            need(text(subject_value, pointer), what);
        }
        need(
            subject_value
                .and_then(|s| s.pointer("/achievement/criteria"))
                .is_some_and(|c| c.get("id").is_some() || c.get("narrative").is_some()),
            "`achievement.criteria` with an `id` or a `narrative`",
        );
        need(
            subject
                .and_then(|s| s.get("achievement"))
                .is_some_and(|a| types(a.get("type")).contains(&"Achievement")),
            "`achievement.type` with `Achievement`",
        );
    } else if kinds.contains(&"BitstringStatusListCredential") {
        need(
            text(subject_value, "/encodedList"),
            "`credentialSubject.encodedList`",
        );
        need(
            text(subject_value, "/statusPurpose"),
            "`credentialSubject.statusPurpose`",
        );
        need(
            subject.is_some_and(|s| types(s.get("type")).contains(&"BitstringStatusList")),
            "`credentialSubject.type` `BitstringStatusList`",
        );
    }
    if missing.is_empty() {
        check(
            CheckKind::Shape,
            Outcome::Passed,
            "every required field is there",
        )
    } else {
        check(
            CheckKind::Shape,
            Outcome::Failed,
            format!("missing or malformed: {}", missing.join(", ")),
        )
    }
}

fn date(map: &Map<String, Value>, key: &str) -> std::result::Result<Option<DateTime<Utc>>, String> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .map(|d| Some(d.with_timezone(&Utc)))
            .map_err(|_| format!("`{key}` `{text}` is not a date-time with a time zone")),
        Some(_) => Err(format!("`{key}` is not a date-time")),
    }
}

fn dates(map: &Map<String, Value>, now: DateTime<Utc>) -> Check {
    let (from, until) = match (date(map, "validFrom"), date(map, "validUntil")) {
        (Ok(from), Ok(until)) => (from, until),
        (Err(why), _) | (_, Err(why)) => return check(CheckKind::Dates, Outcome::Failed, why),
    };
    let stamp = |d: DateTime<Utc>| super::document::timestamp(d);
    if let Some(from) = from
        && now < from
    {
        return check(
            CheckKind::Dates,
            Outcome::Failed,
            format!("not valid before {}", stamp(from)),
        );
    }
    if let Some(until) = until
        && now > until
    {
        return check(
            CheckKind::Dates,
            Outcome::Failed,
            format!("expired at {}", stamp(until)),
        );
    }
    let reason = match (from, until) {
        (Some(from), Some(until)) => format!("valid from {} until {}", stamp(from), stamp(until)),
        (Some(from), None) => format!("valid from {}, with no end", stamp(from)),
        (None, Some(until)) => format!("valid until {}", stamp(until)),
        (None, None) => "no validity dates".to_owned(),
    };
    check(CheckKind::Dates, Outcome::Passed, reason)
}

fn status(map: &Map<String, Value>, options: &VerifyOptions<'_>) -> Check {
    let Some(entry) = map.get("credentialStatus") else {
        return check(
            CheckKind::Status,
            Outcome::Skipped,
            "the credential has no status: it cannot be revoked",
        );
    };
    let Some(list) = options.status_list else {
        return check(
            CheckKind::Status,
            Outcome::Skipped,
            "no status list was given, so revocation was not checked",
        );
    };
    match revoked(map, entry, list, options.now) {
        Ok((index, false)) => check(
            CheckKind::Status,
            Outcome::Passed,
            format!("not revoked (index {index} of the status list)"),
        ),
        Ok((index, true)) => check(
            CheckKind::Status,
            Outcome::Failed,
            format!("revoked (index {index} of the status list)"),
        ),
        Err(why) => check(CheckKind::Status, Outcome::Failed, why),
    }
}

/// The credential's index and whether its bit is set, after checking that the list is the
/// one the entry names, signed by the credential's issuer, for the same purpose, and current.
fn revoked(
    credential: &Map<String, Value>,
    entry: &Value,
    list: &Value,
    now: DateTime<Utc>,
) -> std::result::Result<(u64, bool), String> {
    let field = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_owned);
    if field(entry, "type").as_deref() != Some("BitstringStatusListEntry") {
        return Err("the credential's status is not a `BitstringStatusListEntry`".into());
    }
    let index: u64 = field(entry, "statusListIndex")
        .and_then(|i| i.parse().ok())
        .ok_or("the status entry has no `statusListIndex` (a whole number as text)")?;
    let list_url = field(entry, "statusListCredential")
        .ok_or("the status entry has no `statusListCredential`")?;
    let purpose = field(entry, "statusPurpose").ok_or("the status entry has no `statusPurpose`")?;
    let list_map = list
        .as_object()
        .ok_or("the status list is not a JSON object")?;
    if field(list, "id").as_deref() != Some(list_url.as_str()) {
        return Err(format!(
            "the status list given is not `{list_url}`, the one the credential names"
        ));
    }
    let report = verify(
        list,
        &VerifyOptions {
            now,
            status_list: None,
        },
    );
    if let Some(failed) = report.failures().next() {
        return Err(format!(
            "the status list does not verify ({}: {})",
            failed.check.as_str(),
            failed.reason
        ));
    }
    if !types(list_map.get("type")).contains(&"BitstringStatusListCredential") {
        return Err("the status list is not a `BitstringStatusListCredential`".into());
    }
    if issuer_id(list_map) != issuer_id(credential) {
        return Err("the status list was issued by someone else than the credential".into());
    }
    let subject = list_map
        .get("credentialSubject")
        .ok_or("the status list has no `credentialSubject`")?;
    if field(subject, "statusPurpose").as_deref() != Some(purpose.as_str()) {
        return Err(format!("the status list is not for `{purpose}`"));
    }
    let encoded = field(subject, "encodedList").ok_or("the status list has no `encodedList`")?;
    let bits = StatusList::decode(&encoded).map_err(|e| e.message().to_owned())?;
    let revoked = bits
        .is_revoked(index)
        .ok_or_else(|| format!("index {index} is outside the status list"))?;
    Ok((index, revoked))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Group;
    use crate::credential::{DocumentOptions, IssuerKey, StatusEntry, open_badge_credential, sign};
    use crate::lifecycle::Credential;
    use chrono::TimeZone;

    const LIST: &str = "https://credentials.example.org/status/1";

    fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, 12, 0, 0).unwrap()
    }

    /// A signed credential at status index 5, issued 2026-03-02, expiring 2027-03-02.
    fn signed(key: &IssuerKey) -> Value {
        let record = serde_json::from_value(
            serde_json::json!({"name": "Ana", "email": "ana@example.org",
            "issued_on": "2026-03-02", "expires_on": "2027-03-02"}),
        )
        .unwrap();
        let group = Group {
            name: "Bootcamp".into(),
            ..Group::default()
        };
        let draft = Credential::draft(
            "Ab12".into(),
            "bootcamp",
            "b1",
            &record,
            "t",
            at(2026, 3, 2),
        )
        .unwrap();
        let credential = draft.publish("t", at(2026, 3, 2)).unwrap().credential;
        let entry = StatusEntry {
            list_url: LIST.into(),
            index: 5,
        };
        let document = open_badge_credential(
            &credential,
            &group,
            &DocumentOptions {
                base_url: "https://credentials.example.org/c",
                issuer: &key.did(),
                salt: "s",
                issuer_name: None,
                status: Some(&entry),
            },
        )
        .unwrap();
        sign(&document, key, at(2026, 3, 2)).unwrap()
    }

    fn list(key: &IssuerKey, url: &str, revoked: &[u64]) -> Value {
        let bits = StatusList::with_revoked(0, revoked.iter().copied()).unwrap();
        sign(
            &bits.credential(url, &key.did(), at(2026, 3, 2)).unwrap(),
            key,
            at(2026, 3, 2),
        )
        .unwrap()
    }

    fn outcome(report: &Verification, kind: CheckKind) -> Outcome {
        report.check(kind).map(|c| c.outcome).unwrap()
    }

    #[test]
    fn a_good_credential_passes_every_check() {
        let key = IssuerKey::from_seed([8; 32]);
        let list = list(&key, LIST, &[4, 6]);
        let report = verify(
            &signed(&key),
            &VerifyOptions {
                now: at(2026, 6, 1),
                status_list: Some(&list),
            },
        );
        assert!(report.valid, "{report:?}");
        assert!(
            report.checks.iter().all(|c| c.outcome == Outcome::Passed),
            "{report:?}"
        );
        assert_eq!(report.checks.len(), 5);
        // The report is the JSON contract the CLI and the bindings print.
        let json = serde_json::to_value(&report).unwrap();
        assert_eq!(json["checks"][4]["check"], "status");
        assert_eq!(json["checks"][4]["outcome"], "passed");
    }

    #[test]
    fn dates_are_checked_against_the_given_now() {
        let key = IssuerKey::from_seed([8; 32]);
        let credential = signed(&key);
        let early = verify(
            &credential,
            &VerifyOptions {
                now: at(2026, 3, 1),
                status_list: None,
            },
        );
        assert_eq!(outcome(&early, CheckKind::Dates), Outcome::Failed);
        assert!(
            early
                .check(CheckKind::Dates)
                .unwrap()
                .reason
                .starts_with("not valid before")
        );
        let late = verify(
            &credential,
            &VerifyOptions {
                now: at(2027, 3, 3),
                status_list: None,
            },
        );
        assert!(
            late.check(CheckKind::Dates)
                .unwrap()
                .reason
                .starts_with("expired at 2027-03-02T23:59:59Z")
        );
        let fine = verify(
            &credential,
            &VerifyOptions {
                now: at(2027, 3, 2),
                status_list: None,
            },
        );
        assert!(fine.valid);
        assert_eq!(outcome(&fine, CheckKind::Status), Outcome::Skipped);
    }

    #[test]
    fn the_status_list_must_be_the_named_one_from_the_same_issuer() {
        let key = IssuerKey::from_seed([8; 32]);
        let credential = signed(&key);
        let now = at(2026, 6, 1);
        let check = |list: &Value| {
            let report = verify(
                &credential,
                &VerifyOptions {
                    now,
                    status_list: Some(list),
                },
            );
            report.check(CheckKind::Status).cloned().unwrap()
        };
        let revoked = check(&list(&key, LIST, &[5]));
        assert_eq!(
            (revoked.outcome, revoked.reason.as_str()),
            (Outcome::Failed, "revoked (index 5 of the status list)")
        );
        let elsewhere = check(&list(&key, "https://credentials.example.org/status/2", &[]));
        assert!(
            elsewhere
                .reason
                .contains("not `https://credentials.example.org/status/1`"),
            "{elsewhere:?}"
        );
        let stranger = check(&list(&IssuerKey::from_seed([9; 32]), LIST, &[]));
        assert!(stranger.reason.contains("someone else"), "{stranger:?}");
        let mut forged = list(&key, LIST, &[5]);
        forged["credentialSubject"]["encodedList"] =
            list(&key, LIST, &[])["credentialSubject"]["encodedList"].clone();
        let forged = check(&forged);
        assert!(
            forged
                .reason
                .starts_with("the status list does not verify (proof"),
            "{forged:?}"
        );
    }

    #[test]
    fn missing_required_fields_fail_the_shape() {
        let key = IssuerKey::from_seed([8; 32]);
        let mut document = signed(&key);
        document["credentialSubject"]["achievement"]
            .as_object_mut()
            .unwrap()
            .remove("description");
        document.as_object_mut().unwrap().remove("proof");
        let resigned = sign(&document, &key, at(2026, 3, 2)).unwrap();
        let report = verify(
            &resigned,
            &VerifyOptions {
                now: at(2026, 6, 1),
                status_list: None,
            },
        );
        assert!(!report.valid);
        let shape = report.check(CheckKind::Shape).unwrap();
        assert_eq!(shape.outcome, Outcome::Failed);
        assert!(
            shape.reason.contains("`achievement.description`"),
            "{shape:?}"
        );
        assert_eq!(outcome(&report, CheckKind::Proof), Outcome::Passed);
    }

    #[test]
    fn unreadable_bytes_are_an_error_and_anything_else_a_report() {
        let options = VerifyOptions {
            now: at(2026, 6, 1),
            status_list: None,
        };
        assert_eq!(
            verify_bytes(b"{not json", &options).unwrap_err().kind(),
            ErrorKind::MalformedFile
        );
        assert_eq!(
            verify_bytes(b"[1]", &options).unwrap_err().kind(),
            ErrorKind::MalformedFile
        );
        let report = verify_bytes(b"{}", &options).unwrap();
        assert!(!report.valid);
        assert_eq!(outcome(&report, CheckKind::Proof), Outcome::Failed);
    }
}
