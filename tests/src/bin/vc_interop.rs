//! The Rust half of the verifiable credential interoperability tests
//! (`tests/vc-interop/`, `make vc-interop`), whose Node.js half is Digital Bazaar's libraries.
//!
//! - `vc_interop write DIR` signs, with a fixed test key, the documents Node must accept:
//!   `credential.json` (every kind of attribute placement, a status entry), `plain.json` (no
//!   attributes, no status), `revoked.json` (its status bit set), `status-list.json`, and
//!   `facts.json` (the issuer's DID, the recipients' emails and salts, the times).
//! - `vc_interop issue DIR` takes a roster through the issuer as a host would (import,
//!   publish, revoke one, export, status list) on a memory store, and writes `<id>.json` per
//!   credential, `status-list.json` and `facts.json` (`{"issuer", "listUrl", "now",
//!   "revoked", "recipients": {"<id>.json": {"email"}}}`).
//! - `vc_interop verify --now TIME [--status-list FILE] FILE...` prints one JSON report per
//!   file: `{"file", "valid", "checks"}`, or `{"file", "error"}` for an unreadable one.

use std::path::{Path, PathBuf};

use chrono::{DateTime, TimeZone, Utc};
use conferral::Group;
use conferral::credential::{
    DocumentOptions, IssuerKey, StatusEntry, StatusList, VerifyOptions, open_badge_credential,
    sign, verify_bytes,
};
use conferral::lifecycle::Credential;
use serde_json::{Value, json};

type Failure = Box<dyn std::error::Error>;

/// The test issuer's seed: a key for tests only, never for real credentials.
const SEED: [u8; 32] = [0x42; 32];
const BASE_URL: &str = "https://credentials.example.org/c";
const LIST_URL: &str = "https://credentials.example.org/status/1";

const GROUP: &str = r#"{
  "name": "Data Science Bootcamp 2026",
  "issuer": {"name": "Example Academy", "url": "https://academy.example.org",
             "email": "registrar@academy.example.org", "description": "Evening courses in data.",
             "image": "https://academy.example.org/logo.png"},
  "achievement": {"description": "Twelve weeks of statistics, Python and machine learning.",
                  "criteria": "Attend **every** module and pass the final project.",
                  "type": "Certificate", "image": "https://academy.example.org/badge.png"},
  "attributes": [
    {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit"], "open_badges": "result"},
    {"key": "credits", "label": "Credits", "type": "number", "open_badges": "credits_earned"},
    {"key": "cohort_start", "label": "Cohort Start", "type": "date", "open_badges": "activity_start_date"},
    {"key": "hours", "label": "Course Hours", "type": "number"},
    {"key": "campus", "label": "Campus", "type": "text"},
    {"key": "honours", "label": "With Honours", "type": "boolean"}
  ]
}"#;

fn at(day: u32, hour: u32) -> Result<DateTime<Utc>, Failure> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0)
        .single()
        .ok_or_else(|| "not a time".into())
}

fn published(group: &Group, id: &str, record: Value) -> Result<Credential, Failure> {
    let record = serde_json::from_value(record)?;
    let draft = Credential::draft(id.into(), &group.key(), "b1", &record, "interop", at(2, 9)?)?;
    Ok(draft.publish("interop", at(2, 10)?)?.credential)
}

fn write_json(path: &Path, value: &Value) -> Result<(), Failure> {
    std::fs::write(path, serde_json::to_vec_pretty(value)?)?;
    Ok(())
}

fn write(dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)?;
    let key = IssuerKey::from_seed(SEED);
    let did = key.did();
    let group = Group::from_json(GROUP)?;
    let plain_group = Group {
        name: "Open Data Summit 2026".into(),
        ..Group::default()
    };
    let signed_at = at(2, 11)?;
    let ana = published(
        &group,
        "Ab12_x",
        json!({"name": "Ana López", "email": "Ana.Lopez@example.org", "issued_on": "2026-03-02",
               "expires_on": "2028-03-02", "grade": "Merit", "credits": 7.5, "cohort_start": "2026-01-12",
               "hours": 120, "campus": "Lyon «Part-Dieu»\tEast", "honours": true, "credential_id": "DSB-2026-001"}),
    )?;
    let bo = published(
        &group,
        "Bo99_y",
        json!({"name": "Bo Chen", "email": "bo@example.org", "grade": "Pass", "hours": 96.25}),
    )?;
    let cy = published(
        &plain_group,
        "Cy77_z",
        json!({"name": "Cy Dupont", "email": "cy@example.org"}),
    )?;
    let entries = [
        StatusEntry {
            list_url: LIST_URL.into(),
            index: 3,
        },
        StatusEntry {
            list_url: LIST_URL.into(),
            index: 7,
        },
    ];
    let document =
        |credential: &Credential, group: &Group, salt: &str, status: Option<&StatusEntry>| {
            open_badge_credential(
                credential,
                group,
                &DocumentOptions {
                    base_url: BASE_URL,
                    issuer: &did,
                    salt,
                    issuer_name: None,
                    status,
                },
            )
        };
    let [ana_entry, bo_entry] = &entries;
    let files = [
        (
            "credential.json",
            document(&ana, &group, "c0ffee", Some(ana_entry))?,
        ),
        (
            "revoked.json",
            document(&bo, &group, "5a17", Some(bo_entry))?,
        ),
        ("plain.json", document(&cy, &plain_group, "0b1d", None)?),
    ];
    for (name, unsigned) in files {
        write_json(&dir.join(name), &sign(&unsigned, &key, signed_at)?)?;
    }
    let list = StatusList::with_revoked(0, [bo_entry.index])?;
    let list = sign(
        &list.credential(LIST_URL, &did, signed_at)?,
        &key,
        signed_at,
    )?;
    write_json(&dir.join("status-list.json"), &list)?;
    write_json(
        &dir.join("facts.json"),
        &json!({
            "issuer": did,
            "listUrl": LIST_URL,
            "signedAt": signed_at.to_rfc3339(),
            "now": at(20, 12)?.to_rfc3339(),
            "recipients": {
                "credential.json": {"email": "ana.lopez@EXAMPLE.org", "salt": "c0ffee"},
                "revoked.json": {"email": "bo@example.org", "salt": "5a17"},
                "plain.json": {"email": "cy@example.org", "salt": "0b1d"}
            }
        }),
    )?;
    Ok(())
}

fn issue(dir: &Path) -> Result<(), Failure> {
    use conferral::issuer::{ImportRequest, Issuer, IssuerConfig, Selection};
    use conferral::lifecycle::FromRandomBytes;
    use conferral::mail::Mailbox;
    use conferral::storage::MemoryStorage;

    std::fs::create_dir_all(dir)?;
    let key = IssuerKey::from_seed(SEED);
    let config = IssuerConfig::new(BASE_URL, Mailbox::parse("Academy <academy@example.org>"));
    let mut issuer = Issuer::new(MemoryStorage::new(), config)?;
    let group = Group::from_json(GROUP)?;
    let mut seed = 0u8;
    let mut ids = FromRandomBytes(|| {
        seed = seed.wrapping_add(1);
        [seed; 16]
    });
    let roster = "Name,Email,Grade,Course Hours,Cohort Start\n\
                  Ana López,Ana.Lopez@example.org,Merit,120,2026-01-12\n\
                  Bo Chen,bo@example.org,Pass,96.25,\n\
                  Cy Dupont,cy@example.org,Pass,40,2026-02-01\n";
    let imported = issuer.import(
        &ImportRequest::new(&group, roster.as_bytes(), "interop"),
        &mut ids,
        at(2, 9)?,
        &mut |_| {},
    )?;
    let published = issuer.publish(
        &Selection::Batch(imported.batch.id.clone()),
        "interop",
        at(2, 10)?,
        &mut |_| {},
    )?;
    let revoked = published
        .published
        .get(1)
        .ok_or("Bo was not published")?
        .clone();
    issuer.revoke_selection(
        &Selection::Ids(vec![revoked.clone()]),
        "issued in error",
        "interop",
        at(3, 9)?,
    )?;
    let mut recipients = serde_json::Map::new();
    issuer.export_credentials(&Selection::All, &key, &mut |id, document| {
        let file = format!("{id}.json");
        let salt = document
            .pointer("/credentialSubject/identifier/0/salt")
            .cloned()
            .unwrap_or_default();
        write_json(&dir.join(&file), document)
            .map_err(|e| conferral::Error::new(conferral::ErrorKind::Storage, e.to_string()))?;
        recipients.insert(file, json!({"salt": salt}));
        Ok(())
    })?;
    for (credential, email) in published.published.iter().zip([
        "Ana.Lopez@example.org",
        "bo@example.org",
        "cy@example.org",
    ]) {
        if let Some(facts) = recipients
            .get_mut(&format!("{credential}.json"))
            .and_then(Value::as_object_mut)
        {
            facts.insert("email".into(), email.into());
        }
    }
    let list = issuer.signed_status_list(0, &key, at(3, 10)?)?;
    write_json(&dir.join("status-list.json"), &list)?;
    write_json(
        &dir.join("facts.json"),
        &json!({
            "issuer": key.did(),
            "listUrl": list.get("id"),
            "now": at(20, 12)?.to_rfc3339(),
            "revoked": format!("{revoked}.json"),
            "recipients": recipients,
        }),
    )?;
    Ok(())
}

fn verify(args: &[String]) -> Result<(), Failure> {
    let mut now: Option<DateTime<Utc>> = None;
    let mut list: Option<Value> = None;
    let mut files: Vec<PathBuf> = Vec::new();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--now" => {
                let text = args.next().ok_or("--now needs a time")?;
                now = Some(DateTime::parse_from_rfc3339(text)?.with_timezone(&Utc));
            }
            "--status-list" => {
                let path = args.next().ok_or("--status-list needs a file")?;
                list = Some(serde_json::from_slice(&std::fs::read(path)?)?);
            }
            file => files.push(file.into()),
        }
    }
    let options = VerifyOptions {
        now: now.ok_or("--now is required")?,
        status_list: list.as_ref(),
    };
    let mut reports = Vec::new();
    for file in files {
        let name = file.display().to_string();
        let report = match verify_bytes(&std::fs::read(&file)?, &options) {
            Ok(report) => json!({"file": name, "valid": report.valid, "checks": report.checks}),
            Err(e) => json!({"file": name, "error": e.to_string()}),
        };
        reports.push(report);
    }
    println!("{}", serde_json::to_string_pretty(&reports)?);
    Ok(())
}

fn main() -> Result<(), Failure> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.split_first() {
        Some((mode, [dir])) if mode == "write" => write(Path::new(dir)),
        Some((mode, [dir])) if mode == "issue" => issue(Path::new(dir)),
        Some((mode, rest)) if mode == "verify" => verify(rest),
        _ => Err("usage: vc_interop write DIR | vc_interop issue DIR | vc_interop verify --now TIME [--status-list FILE] FILE...".into()),
    }
}
