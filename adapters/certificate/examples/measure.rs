//! Times drawing the default design as SVG, PDF and PNG, and prints their sizes; writes one of
//! each to `target/certificate-samples/` (or the folder given) to look at.
//!
//! `cargo run --release -p conferral-certificate --example measure [-- DIR [COUNT]]`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::disallowed_methods,
    reason = "an example that measures and writes files"
)]

use std::time::Instant;

use conferral::render::{MergeFields, certificate_svg};
use conferral_certificate::{Drawing, Format};

fn fields(name: &str, n: usize) -> MergeFields {
    MergeFields {
        recipient_name: name.to_owned(),
        recipient_email: "ana@example.org".to_owned(),
        credential_id: format!("Xy7k9QmZ2v{n:06}"),
        issued_on: Some("2026-03-02".to_owned()),
        expires_on: Some("2028-03-02".to_owned()),
        attributes: Default::default(),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = std::path::PathBuf::from(
        args.next()
            .unwrap_or_else(|| "target/certificate-samples".to_owned()),
    );
    let count: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(50);
    std::fs::create_dir_all(&dir).unwrap();
    let group = conferral::Group::from_json(
        r#"{"name": "Data Science Bootcamp 2026", "issuer": {"name": "Northwind Academy", "url": "https://academy.example.org"}}"#,
    )
    .unwrap();
    let base = "https://credentials.example.org/c";
    let names = [
        "Ana María López",
        "Zoë Ångström-Øster",
        "مريم عبد الرحمن العربية",
        "李小龍",
        "김민준",
        "Jean-Baptiste Emmanuel Zorg de la Montagne-Sainte-Geneviève et Fils",
    ];
    let first = Instant::now();
    let svg = certificate_svg(&group, &fields("Ana", 0), base).unwrap();
    Drawing::new(&svg).unwrap();
    println!(
        "first certificate (loads the fonts' index): {:.1} ms",
        first.elapsed().as_secs_f64() * 1000.0
    );
    for format in [Format::Svg, Format::Pdf, Format::Png] {
        let start = Instant::now();
        let mut bytes = 0usize;
        for n in 0..count {
            let name = names.iter().cycle().nth(n).copied().unwrap_or("Ana");
            let svg = certificate_svg(&group, &fields(name, n), base).unwrap();
            let out = Drawing::new(&svg).unwrap().render(format).unwrap();
            bytes += out.len();
            if n < names.len() {
                std::fs::write(dir.join(format!("sample-{n}.{}", format.as_str())), &out).unwrap();
            }
        }
        let each = start.elapsed().as_secs_f64() * 1000.0 / count as f64;
        println!(
            "{:<4} {each:>7.1} ms per certificate, {:>6.1} KB on average ({count} certificates)",
            format.as_str(),
            bytes as f64 / count as f64 / 1024.0
        );
    }
}
