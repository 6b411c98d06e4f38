//! `conferral certificate` and `conferral certificates`: a credential's certificate as PDF,
//! PNG or SVG, and a batch's as a zip of PDFs.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli-certificates")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str], db: &Path) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_conferral"))
        .args(args)
        .args(["--db", db.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        out.status.code().unwrap_or(-1),
        serde_json::from_str(&stdout).unwrap_or(Value::Null),
        format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)),
    )
}

const GROUP: &str =
    r#"{"name": "Data Science Bootcamp 2026", "issuer": {"name": "Northwind Academy"}}"#;

#[test]
fn certificates_are_written_one_at_a_time_and_as_a_zip() {
    let dir = scratch("certificates");
    let db = dir.join("store.db");
    let group = dir.join("group.json");
    std::fs::write(&group, GROUP).unwrap();
    let roster = dir.join("roster.csv");
    std::fs::write(
        &roster,
        "Name,Email\n\"<script>alert(1)</script> Ana\",ana@example.org\nمريم,m@example.org\nBo,bo@example.org\n",
    )
    .unwrap();
    let (code, issued, out) = run(
        &[
            "issue",
            roster.to_str().unwrap(),
            "--group",
            group.to_str().unwrap(),
            "--json",
        ],
        &db,
    );
    assert_eq!(code, 0, "{out}");
    let batch = issued["batch"]["id"].as_str().unwrap().to_owned();
    let (code, drafts, out) = run(&["drafts", "--json"], &db);
    assert_eq!(code, 0, "{out}");
    let ids: Vec<String> = drafts
        .as_array()
        .or_else(|| drafts["drafts"].as_array())
        .unwrap()
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    // A draft has no certificate yet.
    let pdf = dir.join("one.pdf");
    let (code, _, out) = run(
        &["certificate", &ids[0], "--out", pdf.to_str().unwrap()],
        &db,
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("is a draft: publish it first"), "{out}");
    assert!(!pdf.exists());
    let (code, _, out) = run(&["publish", "--batch", &batch], &db);
    assert_eq!(code, 0, "{out}");
    // One certificate, its format from the file's extension or --format.
    for (file, format, magic) in [
        ("one.pdf", None, &b"%PDF"[..]),
        ("one.png", None, &b"\x89PNG"[..]),
        ("one.image", Some("svg"), &b"<svg"[..]),
    ] {
        let path = dir.join(file);
        let mut args = vec![
            "certificate",
            ids[0].as_str(),
            "--out",
            path.to_str().unwrap(),
            "--json",
        ];
        if let Some(format) = format {
            args.extend(["--format", format]);
        }
        let (code, written, out) = run(&args, &db);
        assert_eq!(code, 0, "{out}");
        assert_eq!(written["file"], path.to_str().unwrap());
        assert!(std::fs::read(&path).unwrap().starts_with(magic), "{file}");
    }
    // The batch as a zip of PDFs.
    let zip_path = dir.join("batch.zip");
    let (code, written, out) = run(
        &[
            "certificates",
            "--batch",
            &batch,
            "--out",
            zip_path.to_str().unwrap(),
            "--json",
        ],
        &db,
    );
    assert_eq!(code, 0, "{out}");
    assert_eq!(written["written"].as_array().unwrap().len(), 3);
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&zip_path).unwrap()).unwrap();
    let mut names: Vec<String> = (0..zip.len())
        .map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = ids.iter().map(|id| format!("{id}.pdf")).collect();
    expected.sort();
    assert_eq!(names, expected);
    let mut first = Vec::new();
    std::io::Read::read_to_end(&mut zip.by_index(0).unwrap(), &mut first).unwrap();
    assert!(first.starts_with(b"%PDF"));
    assert!(!dir.join("batch.zip.partial").exists());
    // Human output, and usage errors.
    let (code, _, out) = run(
        &[
            "certificates",
            "--batch",
            &batch,
            "--out",
            zip_path.to_str().unwrap(),
        ],
        &db,
    );
    assert_eq!(code, 0);
    assert!(out.contains("wrote 3 certificate(s)"), "{out}");
    let (code, _, out) = run(&["certificates", "--out", zip_path.to_str().unwrap()], &db);
    assert_eq!(code, 2, "{out}");
    let (code, _, out) = run(
        &[
            "certificates",
            "--batch",
            "nope",
            "--out",
            zip_path.to_str().unwrap(),
        ],
        &db,
    );
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("no batch `nope`"), "{out}");
}
