//! `conferral serve` under load on loopback: a SQLite store of published credentials, the
//! server in this process with the issuer's key, and client threads on keep-alive connections
//! asking for credential pages, signed documents, the status list and certificates.
//!
//! `cargo run --release -p conferral-benches --bin server_bench -- [REQUESTS] [CLIENTS]
//! [CREDENTIALS] [CERTIFICATES]` (10,000, 8, 2,000 and 100 by default; `make bench-server`).
//!
//! One pass per kind of request, each measured on its own (requests/s, latency percentiles,
//! errors, mean response size, and the process's resident memory before and after it and its
//! peak so far):
//!
//! - the first view of every credential's page (each page signs its credential and verifies
//!   it), then REQUESTS page views over the same credentials;
//! - REQUESTS signed documents (`.json`) and REQUESTS status list requests;
//! - the PNG and then the PDF certificates of the first CERTIFICATES credentials, each drawn
//!   once, then REQUESTS / 5 requests for those certificates, which the server has kept (it
//!   keeps 256 drawn certificates, so CERTIFICATES is at most 128); the kept PNGs also as
//!   downloads (`?download`), which the server records in the store's event log as it does
//!   every PDF and signed document, while the page's own image is not recorded;
//! - a mixed load of REQUESTS: in every twenty, a signed document, the status list, a PNG and
//!   a PDF (of the drawn ones), and sixteen pages.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use chrono::Utc;
use conferral::credential::IssuerKey;
use conferral::issuer::{ImportRequest, Issuer, Selection};
use conferral::lifecycle::FromRandomBytes;
use conferral_benches::issuing;

type Failure = Box<dyn std::error::Error + Send + Sync>;

/// The path of a pass's `i`-th request.
type Paths<'a> = &'a (dyn Fn(usize) -> String + Sync);

/// The drawn certificates the server keeps (`DRAWN_KEPT` in `conferral-server`), two formats
/// each: more would be drawn again in the "drawn" passes.
const CERTIFICATES_KEPT: usize = 256 / 2;

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let clients: usize = args.next().map_or(Ok(8), |a| a.parse())?;
    let credentials: usize = args.next().map_or(Ok(2_000), |a| a.parse())?;
    let certificates: usize = args.next().map_or(Ok(100), |a| a.parse())?;
    if certificates > CERTIFICATES_KEPT.min(credentials) || certificates == 0 {
        return Err(format!(
            "CERTIFICATES must be 1 to {} (the server keeps {CERTIFICATES_KEPT} of each format, \
             and there are {credentials} credentials)",
            CERTIFICATES_KEPT.min(credentials)
        )
        .into());
    }

    let dir = std::path::PathBuf::from("target/bench-data/server");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("store.db");
    let config = issuing::config();
    let ids = {
        let mut issuer = Issuer::new(conferral_sqlite::SqliteStorage::open(&db)?, config.clone())?;
        let mut n = 0u128;
        let mut source = FromRandomBytes(|| {
            n += 1;
            n.to_le_bytes()
        });
        let roster = issuing::roster(credentials, "serve");
        let imported = issuer.import(
            &ImportRequest::new(&issuing::group()?, roster.as_bytes(), "bench"),
            &mut source,
            Utc::now(),
            &mut |_| {},
        )?;
        issuer.publish(&Selection::All, "bench", Utc::now(), &mut |_| {})?;
        imported.created
    };
    if ids.len() < certificates {
        return Err(format!("only {} credentials were published", ids.len()).into());
    }

    let options = conferral_server::Options {
        key: Some(IssuerKey::from_seed([5; 32])),
        rate: 1e9,
        burst: 1e9,
        ..conferral_server::Options::default()
    };
    let server = conferral_server::Server::open(&db, &config, options)?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let listen: SocketAddr = ([127, 0, 0, 1], 0).into();
        let served = server.serve_until_stopped(listen, |bound| {
            let _ = tx.send(bound);
        });
        if let Err(e) = served {
            eprintln!("the server stopped: {e}");
        }
    });
    let addr = rx.recv_timeout(Duration::from_secs(30))?;
    let id = |i: usize| ids.get(i % ids.len().max(1)).map_or("none", String::as_str);
    let drawn = |i: usize| id(i % certificates);

    let page = |i: usize| format!("/c/{}", id(i));
    let document = |i: usize| format!("/c/{}.json", id(i));
    let list = |_: usize| "/c/status/0".to_owned();
    let png = |i: usize| format!("/c/{}.png", drawn(i));
    let png_saved = |i: usize| format!("/c/{}.png?download", drawn(i));
    let pdf = |i: usize| format!("/c/{}.pdf", drawn(i));
    let mixed = |i: usize| match i % 20 {
        0 => document(i),
        1 => list(i),
        2 => png(i),
        3 => pdf(i),
        _ => page(i),
    };
    let passes: [(&str, usize, Paths<'_>); 11] = [
        ("page, first view", ids.len(), &page),
        ("page", requests, &page),
        ("signed document (.json)", requests, &document),
        ("status list", requests, &list),
        ("certificate .png, first draw", certificates, &png),
        ("certificate .png, drawn", requests / 5, &png),
        ("certificate .png?download, drawn", requests / 5, &png_saved),
        ("certificate .pdf, first draw", certificates, &pdf),
        ("certificate .pdf, drawn", requests / 5, &pdf),
        ("mixed: 1/20 each .json, list, .png, .pdf", requests, &mixed),
        ("page, after the rest", requests, &page),
    ];

    println!(
        "{} credentials, {clients} clients, certificates of {certificates}; memory in MiB",
        ids.len()
    );
    println!(
        "| kind | requests | errors | requests/s | p50 ms | p90 ms | p99 ms | max ms | KiB each | RSS before | RSS after | peak |"
    );
    println!(
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    );
    for (what, total, path) in passes {
        let before = memory();
        let run = load(addr, clients, total, path)?;
        let after = memory();
        report(what, &run, before, after);
    }
    Ok(())
}

struct Run {
    latencies: Vec<Duration>,
    errors: usize,
    bytes: usize,
    elapsed: Duration,
}

/// What one client thread gathered.
type ClientRun = (Vec<Duration>, usize, usize);

/// `total` requests shared by `clients` threads, each on one keep-alive connection.
fn load(addr: SocketAddr, clients: usize, total: usize, path: Paths<'_>) -> Result<Run, Failure> {
    let start = Instant::now();
    let results: Vec<Result<ClientRun, Failure>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients.max(1))
            .map(|c| {
                s.spawn(move || -> Result<ClientRun, Failure> {
                    let stream = TcpStream::connect(addr)?;
                    stream.set_nodelay(true)?;
                    let mut writer = stream.try_clone()?;
                    let mut reader = BufReader::new(stream);
                    let mut latencies = Vec::new();
                    let (mut errors, mut bytes) = (0, 0);
                    for i in (c..total).step_by(clients.max(1)) {
                        let asked = Instant::now();
                        write!(writer, "GET {} HTTP/1.1\r\nHost: bench\r\n\r\n", path(i))?;
                        let (status, length) = read_response(&mut reader)?;
                        latencies.push(asked.elapsed());
                        bytes += length;
                        if status != 200 || length == 0 {
                            errors += 1;
                        }
                    }
                    Ok((latencies, errors, bytes))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("a client thread failed".into()))
            })
            .collect()
    });
    let mut run = Run {
        latencies: Vec::with_capacity(total),
        errors: 0,
        bytes: 0,
        elapsed: start.elapsed(),
    };
    for result in results {
        let (latencies, errors, bytes) = result?;
        run.latencies.extend(latencies);
        run.errors += errors;
        run.bytes += bytes;
    }
    run.latencies.sort();
    Ok(run)
}

/// Reads one response (its body by Content-Length) and gives its status and body length.
fn read_response(reader: &mut BufReader<TcpStream>) -> Result<(u16, usize), Failure> {
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let status: u16 = line.split(' ').nth(1).ok_or("no status line")?.parse()?;
    let mut length = 0usize;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        let header = line.trim_end();
        if header.is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse()?;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok((status, length))
}

fn report(what: &str, run: &Run, before: Memory, after: Memory) {
    let at = |q: f64| -> f64 {
        let i = ((run.latencies.len() as f64 - 1.0) * q).round() as usize;
        run.latencies
            .get(i)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    let n = run.latencies.len();
    println!(
        "| {what} | {n} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {} | {} | {} |",
        run.errors,
        n as f64 / run.elapsed.as_secs_f64(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0),
        run.bytes as f64 / n.max(1) as f64 / 1024.0,
        before.resident / 1024,
        after.resident / 1024,
        after.peak / 1024,
    );
}

/// The process's resident memory now and at its peak so far, in KiB (Linux; 0 where it
/// cannot be read).
#[derive(Clone, Copy)]
struct Memory {
    resident: u64,
    peak: u64,
}

fn memory() -> Memory {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    };
    Memory {
        resident: field("VmRSS:"),
        peak: field("VmHWM:"),
    }
}
