//! The server over a real SQLite file and real sockets: pages, documents, the status list,
//! revocation seen at once, limits and headers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{TimeZone, Utc};
use conferral::Group;
use conferral::credential::{IssuerKey, VerifyOptions, verify};
use conferral::issuer::{ImportRequest, Issuer, IssuerConfig, Selection};
use conferral::lifecycle::FromRandomBytes;
use conferral::mail::Mailbox;
use conferral_server::{Options, Server};
use serde_json::Value;

const SEED: [u8; 32] = [0x11; 32];

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("server")
        .join(format!("{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn config(base: &str) -> IssuerConfig {
    IssuerConfig::new(base, Mailbox::parse("Academy <academy@example.org>"))
}

/// A SQLite file with two published credentials (Ana's and a hostile name's) and a draft.
fn issued(db: &Path, base: &str) -> Vec<String> {
    let store = conferral_sqlite::SqliteStorage::open(db).unwrap();
    let mut issuer = Issuer::new(store, config(base)).unwrap();
    let group = Group::from_json(
        r#"{"name": "Data Science Bootcamp", "issuer": {"name": "Example Academy"}}"#,
    )
    .unwrap();
    let mut n = 0u8;
    let mut ids = FromRandomBytes(|| {
        n += 1;
        [n; 16]
    });
    let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let roster = "Name,Email,Issue Date\nAna López,ana@example.org,2026-03-02\n\
                  \"<script>alert(1)</script>\",eve@example.org,2026-03-02\n";
    let imported = issuer
        .import(
            &ImportRequest::new(&group, roster.as_bytes(), "t"),
            &mut ids,
            at,
            &mut |_| {},
        )
        .unwrap();
    issuer
        .publish(&Selection::All, "t", at, &mut |_| {})
        .unwrap();
    issuer
        .import(
            &ImportRequest::new(&group, b"Name,Email\nDee,dee@example.org\n", "t"),
            &mut ids,
            at,
            &mut |_| {},
        )
        .unwrap();
    imported.created
}

/// Starts a server on a free loopback port in its own runtime thread.
fn start(db: &Path, base: &str, options: Options) -> SocketAddr {
    let server = Server::open(db, &config(base), options).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            tx.send(listener.local_addr().unwrap()).unwrap();
            server.run(listener, std::future::pending()).await.unwrap();
        });
    });
    rx.recv().unwrap()
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// One HTTP/1.1 request on its own connection.
fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(n, v)| n.eq_ignore_ascii_case("transfer-encoding") && v == "chunked")
    {
        body = unchunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn unchunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..end]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&raw[end + 2..end + 2 + size]);
        raw = &raw[end + 2 + size + 2..];
    }
}

fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, &[], b"")
}

fn keyed() -> Options {
    Options {
        key: Some(IssuerKey::from_seed(SEED)),
        analytics_token: Some("s3cret".into()),
        connections: 2,
        rate: 1000.0,
        burst: 1000.0,
        ..Options::default()
    }
}

#[test]
fn a_credential_has_its_page_document_status_and_share_link() {
    let dir = scratch("page");
    let db = dir.join("store.db");
    let base = "http://credentials.test/c";
    let ids = issued(&db, base);
    let addr = start(&db, base, keyed());

    let page = get(addr, &format!("/c/{}", ids[0]));
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains("Awarded to <strong><bdi>Ana López</bdi></strong>"),
        "{html}"
    );
    assert!(
        html.contains("<h2 id=\"standing-title\">Valid</h2>"),
        "{html}"
    );
    assert!(html.contains("by <bdi>Example Academy</bdi>"));
    assert_eq!(
        page.header("content-security-policy"),
        Some(conferral::page::CONTENT_SECURITY_POLICY)
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("x-frame-options"), Some("DENY"));

    // The hostile name is text.
    let hostile = get(addr, &format!("/c/{}", ids[1])).text();
    assert!(hostile.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!hostile.contains("<script>alert"));

    // The signed document verifies against the served status list.
    let document = get(addr, &format!("/c/{}.json", ids[0]));
    assert_eq!(document.status, 200);
    assert_eq!(document.header("content-type"), Some("application/ld+json"));
    let signed = document.json();
    assert_eq!(
        signed["credentialStatus"]["statusListCredential"],
        "http://credentials.test/c/status/0"
    );
    let list = get(addr, "/c/status/0");
    assert_eq!(list.status, 200);
    let now = Utc::now();
    let report = verify(
        &signed,
        &VerifyOptions {
            now,
            status_list: Some(&list.json()),
        },
    );
    assert!(report.valid, "{report:?}");

    // LinkedIn, through the redirect a host can count.
    let share = get(addr, &format!("/c/{}/linkedin", ids[0]));
    assert_eq!(share.status, 303);
    let location = share.header("location").unwrap();
    assert!(location.starts_with("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Data%20Science%20Bootcamp&organizationName=Example%20Academy&issueYear=2026&issueMonth=3"), "{location}");
    assert!(location.ends_with(&format!("&certId={}", ids[0])));

    // The certificate: the page shows its PNG, and offers the PDF and the PNG to save.
    assert!(
        html.contains(&format!(
            "<img src=\"http://credentials.test/c/{}.png\"",
            ids[0]
        )),
        "{html}"
    );
    assert!(html.contains(&format!(
        "href=\"http://credentials.test/c/{}.pdf\" download",
        ids[0]
    )));
    let pdf = get(addr, &format!("/c/{}.pdf", ids[0]));
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF-"));
    assert_eq!(
        pdf.header("content-disposition"),
        Some(format!("attachment; filename=\"certificate-{}.pdf\"", ids[0]).as_str())
    );
    let png = get(addr, &format!("/c/{}.png", ids[0]));
    assert_eq!(png.header("content-type"), Some("image/png"));
    assert!(png.body.starts_with(b"\x89PNG"));
    assert_eq!(png.header("content-disposition"), None);
    let saved = get(addr, &format!("/c/{}.png?download", ids[0]));
    assert!(
        saved
            .header("content-disposition")
            .unwrap()
            .starts_with("attachment")
    );
    let svg = get(addr, &format!("/c/{}.svg", ids[0]));
    assert!(
        svg.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(svg.header("content-type"), Some("image/svg+xml"));
    assert!(svg.text().contains("<svg"));
    // The hostile name's certificate draws, and holds no script.
    let hostile_pdf = get(addr, &format!("/c/{}.pdf", ids[1]));
    assert_eq!(hostile_pdf.status, 200);
    let raw = String::from_utf8_lossy(&hostile_pdf.body);
    assert!(!raw.contains("/JavaScript") && !raw.contains("/JS "));
    assert_eq!(get(addr, &format!("/c/{}.gif", ids[0])).status, 404);

    // The did:web document of the host names the key the credentials are signed with.
    let did = get(addr, "/.well-known/did.json");
    assert_eq!(did.header("content-type"), Some("application/did+json"));
    let did = did.json();
    assert_eq!(did["id"], "did:web:credentials.test");
    assert_eq!(did["alsoKnownAs"][0], signed["issuer"]["id"]);
    assert_eq!(did["assertionMethod"][0], "did:web:credentials.test#key-1");

    // Assets and health.
    assert_eq!(
        get(addr, "/assets/credential.css").header("content-type"),
        Some("text/css; charset=utf-8")
    );
    assert_eq!(get(addr, "/health").text(), "ok\n");
}

#[test]
fn unknown_drafts_and_odd_ids_are_not_found_alike() {
    let dir = scratch("missing");
    let db = dir.join("store.db");
    let base = "http://credentials.test/c";
    issued(&db, base);
    let draft: String = rusqlite_first_draft(&db);
    let addr = start(&db, base, keyed());
    let not_found = get(addr, "/c/AAAAAAAAAAAAAAAAAAAAAA").text();
    for path in [
        "/c/AAAAAAAAAAAAAAAAAAAAAA.json",
        &format!("/c/{draft}"),
        &format!("/c/{draft}.json"),
        "/c/a.b.c",
        "/c/..%2F..%2Fetc%2Fpasswd",
        "/c/status/nope",
        "/c/status/7",
        "/nothing/here",
        "/c/",
    ] {
        let reply = get(addr, path);
        assert_eq!(reply.status, 404, "{path}");
        assert_eq!(reply.text(), not_found, "{path}");
    }
}

fn rusqlite_first_draft(db: &Path) -> String {
    use conferral::storage::{CredentialQuery, Storage};
    let store = conferral_sqlite::SqliteStorage::open(db).unwrap();
    let drafts = store
        .credentials(&CredentialQuery {
            state: Some(conferral::lifecycle::CredentialState::Draft),
            ..CredentialQuery::default()
        })
        .unwrap();
    drafts[0].id.clone()
}

#[test]
fn a_revocation_shows_at_once_with_its_reason() {
    let dir = scratch("revoke");
    let db = dir.join("store.db");
    let base = "http://credentials.test/c";
    let ids = issued(&db, base);
    let addr = start(&db, base, keyed());
    assert!(
        get(addr, &format!("/c/{}", ids[0]))
            .text()
            .contains(">Valid</h2>")
    );
    let list_before = get(addr, "/c/status/0").json();

    // Another process revokes it.
    let store = conferral_sqlite::SqliteStorage::open(&db).unwrap();
    let mut issuer = Issuer::new(store, config(base)).unwrap();
    issuer
        .revoke(&ids[0], "issued in error", "registrar", Utc::now())
        .unwrap();

    let html = get(addr, &format!("/c/{}", ids[0])).text();
    assert!(html.contains(">Revoked</h2>"), "{html}");
    assert!(html.contains("Reason given by the issuer: <bdi>issued in error</bdi>"));
    let list_after = get(addr, "/c/status/0").json();
    assert_ne!(list_before, list_after);
    let signed = get(addr, &format!("/c/{}.json", ids[0])).json();
    let report = verify(
        &signed,
        &VerifyOptions {
            now: Utc::now(),
            status_list: Some(&list_after),
        },
    );
    assert!(!report.valid);
    // Ana's neighbour is untouched.
    assert!(
        get(addr, &format!("/c/{}", ids[1]))
            .text()
            .contains(">Valid</h2>")
    );
}

#[test]
fn without_a_key_pages_give_the_record_and_documents_are_not_served() {
    let dir = scratch("no-key");
    let db = dir.join("store.db");
    let base = "http://credentials.test/c";
    let ids = issued(&db, base);
    let addr = start(
        &db,
        base,
        Options {
            rate: 1000.0,
            burst: 1000.0,
            ..Options::default()
        },
    );
    let html = get(addr, &format!("/c/{}", ids[0])).text();
    assert!(html.contains("without a cryptographic check"), "{html}");
    assert_eq!(get(addr, &format!("/c/{}.json", ids[0])).status, 404);
    assert_eq!(get(addr, "/c/status/0").status, 404);
    assert_eq!(get(addr, "/analytics").status, 404);
}

#[test]
fn files_are_checked_on_the_verify_page() {
    let dir = scratch("verify");
    let db = dir.join("store.db");
    let base = "http://credentials.test/c";
    let ids = issued(&db, base);
    let addr = start(&db, base, keyed());
    let signed = get(addr, &format!("/c/{}.json", ids[0])).body;
    let json = [("Content-Type", "application/json")];
    let report = request(addr, "POST", "/verify", &json, &signed).json();
    assert_eq!(report["valid"], true, "{report}");
    // The server's own status list was used.
    let status = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "status")
        .unwrap()
        .clone();
    assert_eq!(status["outcome"], "passed", "{status}");

    let mut tampered: Value = serde_json::from_slice(&signed).unwrap();
    tampered["credentialSubject"]["identifier"][1]["identityHash"] = "Mallory".into();
    let tampered = serde_json::to_vec(&tampered).unwrap();
    let report = request(addr, "POST", "/verify", &json, &tampered).json();
    assert_eq!(report["valid"], false);

    // The form: a file in a multipart body gives the page in words.
    let boundary = "XyZ123";
    let mut form = format!("--{boundary}\r\nContent-Disposition: form-data; name=\"credential\"; filename=\"c.json\"\r\nContent-Type: application/json\r\n\r\n").into_bytes();
    form.extend_from_slice(&tampered);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={boundary}");
    let page = request(
        addr,
        "POST",
        "/verify",
        &[("Content-Type", &content_type)],
        &form,
    );
    assert_eq!(page.status, 200);
    assert!(page.text().contains(">Tampered</h2>"), "{}", page.text());

    let junk = request(addr, "POST", "/verify", &json, b"not json");
    assert_eq!(junk.status, 422);
    assert_eq!(junk.json()["error"]["kind"], "malformed_file");

    // Bodies are bounded.
    let huge = vec![b' '; 2 * 1024 * 1024];
    assert_eq!(request(addr, "POST", "/verify", &json, &huge).status, 413);
}

#[test]
fn clients_are_rate_limited_and_analytics_need_the_token() {
    let dir = scratch("limits");
    let db = dir.join("store.db");
    let base = "http://credentials.test/c";
    issued(&db, base);
    let addr = start(
        &db,
        base,
        Options {
            rate: 0.5,
            burst: 4.0,
            ..keyed()
        },
    );
    let statuses: Vec<u16> = (0..6).map(|_| get(addr, "/health").status).collect();
    assert_eq!(statuses, vec![200, 200, 200, 200, 429, 429]);

    let addr = start(&db, base, keyed());
    let refused = get(addr, "/analytics");
    assert_eq!(refused.status, 401);
    assert!(
        refused
            .header("www-authenticate")
            .unwrap()
            .starts_with("Basic")
    );
    assert_eq!(
        request(
            addr,
            "GET",
            "/analytics",
            &[("Authorization", "Bearer wrong")],
            b""
        )
        .status,
        401
    );
    let page = request(
        addr,
        "GET",
        "/analytics",
        &[("Authorization", "Bearer s3cret")],
        b"",
    );
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains("<div><dt>Issued</dt><dd>2</dd></div>"),
        "{html}"
    );
    assert!(
        html.contains("<th scope=\"row\">draft</th><td>1</td>"),
        "{html}"
    );
}

#[test]
fn a_server_needs_a_connection_and_a_valid_base() {
    let err = Server::with_issuers(
        Vec::<Mutex<_>>::new(),
        &config("http://x.test/c"),
        Options::default(),
    )
    .err()
    .unwrap();
    assert_eq!(err.kind(), conferral::ErrorKind::InvalidConfig);
    let dir = scratch("bad-base");
    let err = Server::open(
        &dir.join("s.db"),
        &config("ftp://x.test/c"),
        Options::default(),
    )
    .err()
    .unwrap();
    assert_eq!(err.kind(), conferral::ErrorKind::InvalidConfig);
}

/// A short round of `make bench-server`'s load: many clients at once, every answer whole and
/// right (latency is the benchmark's to report, not a test's). Certificates are among them,
/// so the first draws of each happen at once, from several clients, while pages are served.
#[test]
fn many_clients_at_once_all_get_their_pages() {
    let dir = scratch("load");
    let db = dir.join("store.db");
    let base = "http://credentials.test/c";
    let ids = issued(&db, base);
    let addr = start(&db, base, keyed());
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|c| {
                let ids = &ids;
                s.spawn(move || {
                    let mut failures = Vec::new();
                    for i in 0..100 {
                        let id = &ids[(c + i) % ids.len()];
                        let path = match i % 10 {
                            0 => format!("/c/{id}.json"),
                            3 => format!("/c/{id}.png"),
                            6 => format!("/c/{id}.pdf"),
                            _ => format!("/c/{id}"),
                        };
                        let reply = get(addr, &path);
                        let body = &reply.body;
                        let whole = match path.rsplit_once('.').map(|(_, ext)| ext) {
                            Some("json") => serde_json::from_slice::<Value>(body).is_ok(),
                            Some("png") => {
                                body.starts_with(b"\x89PNG\r\n\x1a\n")
                                    && body.ends_with(b"IEND\xaeB`\x82")
                            }
                            Some("pdf") => {
                                body.starts_with(b"%PDF-")
                                    && body.trim_ascii_end().ends_with(b"%%EOF")
                            }
                            _ => reply.text().ends_with("</html>\n"),
                        };
                        if reply.status != 200 || !whole {
                            failures.push(format!("{path}: {}", reply.status));
                        }
                    }
                    failures
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    assert_eq!(failures, Vec::<String>::new());
}

#[test]
fn views_downloads_shares_and_checks_are_counted() {
    let dir = scratch("events");
    let db = dir.join("store.db");
    let base = "http://credentials.test/c";
    let ids = issued(&db, base);
    let addr = start(&db, base, keyed());
    let page = format!("/c/{}", ids[0]);
    // One visitor three times, another once: two views.
    for agent in ["Firefox", "Firefox", "Firefox", "Chromium"] {
        assert_eq!(
            request(addr, "GET", &page, &[("User-Agent", agent)], b"").status,
            200
        );
    }
    // A second server on the store (or this one restarted) hashes a visitor the same way
    // that day: Firefox is not counted again.
    let again = start(&db, base, keyed());
    assert_eq!(
        request(again, "GET", &page, &[("User-Agent", "Firefox")], b"").status,
        200
    );
    let signed = get(addr, &format!("/c/{}.json", ids[0])).body;
    // The page's image is not a download; the PDF and a PNG asked for as one are.
    get(addr, &format!("/c/{}.png", ids[0]));
    get(addr, &format!("/c/{}.pdf", ids[0]));
    get(addr, &format!("/c/{}.png?download", ids[0]));
    assert_eq!(get(addr, &format!("/c/{}/linkedin", ids[0])).status, 303);
    let json = [("Content-Type", "application/json")];
    assert_eq!(request(addr, "POST", "/verify", &json, &signed).status, 200);
    // Unknown ids and drafts count nothing.
    get(addr, "/c/AAAAAAAAAAAAAAAAAAAAAA");

    let store = conferral_sqlite::SqliteStorage::open(&db).unwrap();
    let issuer = Issuer::new(store, config(base)).unwrap();
    let stats = issuer
        .stats(&conferral::events::EventQuery::default())
        .unwrap();
    // The published batch (the other holds the draft).
    let batch = stats.batches.iter().find(|b| b.issued > 0).unwrap();
    assert_eq!(stats.batches.len(), 2);
    assert_eq!((batch.issued, batch.views, batch.viewed), (2, 2, 1));
    // The signed document, the PDF and the PNG saved: three; the page's image is none.
    assert_eq!(
        (batch.downloads, batch.shares, batch.verifications),
        (3, 1, 1)
    );
    assert_eq!(batch.view_rate, Some(0.5));
    // The analytics page shows them.
    let html = request(
        addr,
        "GET",
        "/analytics",
        &[("Authorization", "Bearer s3cret")],
        b"",
    )
    .text();
    assert!(
        html.contains("<div><dt>Viewed</dt><dd>1 (50.0%)</dd></div>"),
        "{html}"
    );
    assert!(
        html.contains("<div><dt>LinkedIn shares</dt><dd>1</dd></div>"),
        "{html}"
    );
}
