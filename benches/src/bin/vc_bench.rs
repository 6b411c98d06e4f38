//! Signing and verifying throughput of credentials on one core, and the size of a status
//! list. `cargo run --release -p conferral-benches --bin vc_bench -- [CREDENTIALS]` (10,000 by
//! default; `make bench-vc`). Prints one line per measurement.

use std::time::Instant;

use chrono::{TimeZone, Utc};
use conferral::Group;
use conferral::credential::{
    DocumentOptions, IssuerKey, StatusEntry, StatusList, VerifyOptions, open_badge_credential,
    sign, verify,
};
use conferral::lifecycle::Credential;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u64 = std::env::args().nth(1).map_or(Ok(10_000), |a| a.parse())?;
    let at = Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .ok_or("bad time")?;
    let group = Group::from_json(
        r#"{"name": "Data Science Bootcamp 2026", "attributes": [
            {"key": "grade", "type": "enum", "values": ["Pass", "Merit"]},
            {"key": "hours", "label": "Course Hours", "type": "number"}]}"#,
    )?;
    let key = IssuerKey::from_seed([11; 32]);
    let did = key.did();
    let list_url = "https://credentials.example.org/status/1";

    // The documents, built before the clock starts: what is measured is signing.
    let mut documents = Vec::new();
    for i in 0..n {
        let record = serde_json::from_value(serde_json::json!({
            "name": format!("Recipient {i}"),
            "email": format!("r{i}@example.org"),
            "issued_on": "2026-03-02",
            "grade": "Merit",
            "hours": 12 + i % 30,
        }))?;
        let draft =
            Credential::draft(format!("C{i:08}"), &group.key(), "b1", &record, "bench", at)?;
        let published = draft.publish("bench", at)?.credential;
        let entry = StatusEntry {
            list_url: list_url.to_owned(),
            index: i,
        };
        let options = DocumentOptions {
            base_url: "https://credentials.example.org/c",
            issuer: &did,
            salt: "5a17c0ffee",
            issuer_name: Some("Academy"),
            status: Some(&entry),
        };
        documents.push(open_badge_credential(&published, &group, &options)?);
    }

    let start = Instant::now();
    let mut signed = Vec::with_capacity(documents.len());
    for d in &documents {
        signed.push(sign(d, &key, at)?);
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "sign: {n} credentials in {seconds:.2} s = {:.0} credentials/s (one core)",
        n as f64 / seconds
    );

    let options = VerifyOptions {
        now: at,
        status_list: None,
    };
    let start = Instant::now();
    let mut valid = 0u64;
    for s in &signed {
        valid += u64::from(verify(s, &options).valid);
    }
    let seconds = start.elapsed().as_secs_f64();
    println!(
        "verify: {n} credentials in {seconds:.2} s = {:.0} credentials/s (one core), {valid} valid",
        n as f64 / seconds
    );
    if valid != n {
        return Err(format!("{} of {n} did not verify", n - valid).into());
    }

    for (entries, revoked) in [(100_000u64, 0u64), (100_000, 1_000), (1_000_000, 10_000)] {
        // Revocations at scattered places (a fixed pseudo-random sequence): a list compresses
        // worst when its set bits follow no pattern.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let scattered = (0..revoked).map(move |_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % entries
        });
        let list = StatusList::with_revoked(entries, scattered)?;
        let credential = sign(&list.credential(list_url, &did, at)?, &key, at)?;
        println!(
            "status list: {entries} entries, {revoked} revoked: encodedList {} bytes, signed credential {} bytes",
            list.encode()?.len(),
            serde_json::to_vec(&credential)?.len()
        );
    }
    Ok(())
}
