//! `conferral serve` under load on loopback: a SQLite store of published credentials, the
//! server in this process with the issuer's key, and client threads on keep-alive connections
//! asking for credential pages (with a signed document or the status list now and then).
//!
//! `cargo run --release -p conferral-benches --bin server_bench -- [REQUESTS] [CLIENTS]
//! [CREDENTIALS]` (10,000, 8 and 2,000 by default; `make bench-server`). The first pass asks
//! for every credential once (each page verifies its credential: signing and checking it);
//! the second pass is the load, over the same credentials. Prints the latency percentiles of
//! each, errors, and the process's resident memory before and after the load.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use chrono::Utc;
use conferral::credential::IssuerKey;
use conferral::issuer::{ImportRequest, Issuer, Selection};
use conferral::lifecycle::FromRandomBytes;
use conferral_benches::issuing;

type Failure = Box<dyn std::error::Error + Send + Sync>;

fn main() -> Result<(), Failure> {
    let mut args = std::env::args().skip(1);
    let requests: usize = args.next().map_or(Ok(10_000), |a| a.parse())?;
    let clients: usize = args.next().map_or(Ok(8), |a| a.parse())?;
    let credentials: usize = args.next().map_or(Ok(2_000), |a| a.parse())?;

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
    let path = |i: usize| -> String {
        let id = ids.get(i % ids.len().max(1)).map_or("none", String::as_str);
        match i % 20 {
            0 => format!("/c/{id}.json"),
            1 => "/c/status/0".to_owned(),
            _ => format!("/c/{id}"),
        }
    };

    let cold = load(addr, clients, ids.len(), &|i| {
        format!("/c/{}", ids.get(i).map_or("none", String::as_str))
    })?;
    report("first view of each page", &cold);
    let before = rss_kib();
    let warm = load(addr, clients, requests, &path)?;
    report("load", &warm);
    let after = rss_kib();
    println!(
        "resident memory: {} MiB after the first pass, {} MiB after the load",
        before / 1024,
        after / 1024
    );
    Ok(())
}

struct Run {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

/// `total` requests shared by `clients` threads, each on one keep-alive connection.
fn load(
    addr: SocketAddr,
    clients: usize,
    total: usize,
    path: &(dyn Fn(usize) -> String + Sync),
) -> Result<Run, Failure> {
    let start = Instant::now();
    let results: Vec<Result<(Vec<Duration>, usize), Failure>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..clients.max(1))
            .map(|c| {
                s.spawn(move || -> Result<(Vec<Duration>, usize), Failure> {
                    let stream = TcpStream::connect(addr)?;
                    stream.set_nodelay(true)?;
                    let mut writer = stream.try_clone()?;
                    let mut reader = BufReader::new(stream);
                    let mut latencies = Vec::new();
                    let mut errors = 0;
                    for i in (c..total).step_by(clients.max(1)) {
                        let asked = Instant::now();
                        write!(writer, "GET {} HTTP/1.1\r\nHost: bench\r\n\r\n", path(i))?;
                        let status = read_response(&mut reader)?;
                        latencies.push(asked.elapsed());
                        if status != 200 {
                            errors += 1;
                        }
                    }
                    Ok((latencies, errors))
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
        elapsed: start.elapsed(),
    };
    for result in results {
        let (latencies, errors) = result?;
        run.latencies.extend(latencies);
        run.errors += errors;
    }
    run.latencies.sort();
    Ok(run)
}

/// Reads one response (its body by Content-Length) and gives its status.
fn read_response(reader: &mut BufReader<TcpStream>) -> Result<u16, Failure> {
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
    Ok(status)
}

fn report(what: &str, run: &Run) {
    let at = |q: f64| -> f64 {
        let i = ((run.latencies.len() as f64 - 1.0) * q).round() as usize;
        run.latencies
            .get(i)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "{what}: {} requests, {} errors, {:.0} requests/s; latency ms p50 {:.2}, p90 {:.2}, p99 {:.2}, max {:.2}",
        run.latencies.len(),
        run.errors,
        run.latencies.len() as f64 / run.elapsed.as_secs_f64(),
        at(0.5),
        at(0.9),
        at(0.99),
        at(1.0)
    );
}

/// The process's resident memory in KiB (Linux), 0 where it cannot be read.
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
