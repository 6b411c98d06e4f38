//! Verifiable credentials: a published credential as a signed Open Badges 3.0
//! `OpenBadgeCredential` (a W3C Verifiable Credential, data model 2.0), revocation through a
//! Bitstring Status List, and verification that reports every check.
//!
//! Everything here is pure: the key's seed, the salt, the times and the status list indexes
//! are passed in, and every JSON-LD context is bundled (nothing is fetched).
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use conferral::credential::{
//!     DocumentOptions, IssuerKey, StatusEntry, StatusList, VerifyOptions, identifies,
//!     open_badge_credential, sign, verify,
//! };
//! use conferral::lifecycle::Credential;
//!
//! let at = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let group = conferral::Group { name: "Bootcamp 2026".into(), ..Default::default() };
//! let record = serde_json::from_value(serde_json::json!(
//!     {"name": "Ana López", "email": "ana@example.org", "issued_on": "2026-03-02"}))?;
//! let draft = Credential::draft("Ab12".into(), &group.key(), "b1", &record, "cli", at)?;
//! let published = draft.publish("cli", at)?.credential;
//!
//! let key = IssuerKey::from_seed([7; 32]); // the CLI draws the seed from the OS
//! let entry = StatusEntry { list_url: "https://credentials.example.org/status/1".into(), index: 0 };
//! let options = DocumentOptions {
//!     base_url: "https://credentials.example.org/c",
//!     issuer: &key.did(),
//!     salt: "9f1c2e",
//!     issuer_name: Some("Academy"),
//!     status: Some(&entry),
//! };
//! let document = open_badge_credential(&published, &group, &options)?;
//! let signed = sign(&document, &key, at)?;
//! assert!(identifies(&signed, "ana@example.org"));
//!
//! // Revoking index 0 and publishing the list makes the credential fail its status check.
//! let list = StatusList::with_revoked(0, [0])?;
//! let list = sign(&list.credential(&entry.list_url, &key.did(), at)?, &key, at)?;
//! let report = verify(&signed, &VerifyOptions { now: at, status_list: Some(&list) });
//! assert!(!report.valid);
//! assert!(report.failures().any(|c| c.reason.starts_with("revoked")));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The crates, and why
//!
//! Correctness first: the signature covers RDF Dataset Canonicalization (RDFC-1.0) of the
//! document after JSON-LD expansion, so our JSON-LD processor must give exactly the triples
//! other verifiers' processors give, on the Open Badges context with its type-scoped,
//! protected terms. Size second: the same code runs in the browser.
//!
//! - **`oxjsonld` 0.2 + `oxrdf` 0.3 (feature `rdfc-10`)**, Oxigraph's JSON-LD 1.1 parser and
//!   RDF model with RDFC-1.0: both are tested against the W3C JSON-LD and RDF
//!   canonicalization test suites in Oxigraph's CI, load remote contexts only through a
//!   callback (ours serves the bundled files and refuses the rest), and give the same
//!   canonical N-Quads as jsonld.js 9 + rdf-canonize 5 on our documents (the interop tests
//!   check it). They have no "safe mode", so [`canonical`] adds one (undefined terms
//!   and relative references are refused, as jsonld.js's safe mode refuses them). Their one
//!   impurity: the parser labels blank nodes with random ids (through `rand`/`getrandom`,
//!   which needs `.cargo/config.toml`'s `wasm_js` backend in the browser); RDFC-1.0 relabels
//!   them, so no output depends on them.
//! - **`ed25519-dalek` 3** (no default features: no precomputed tables, which would add to the
//!   WebAssembly) for Ed25519, with strict verification; **`sha2` 0.11**, which it and `oxrdf`
//!   use anyway; **`flate2`** with the pure-Rust `zlib-rs` backend for the status list's GZIP,
//!   already in the core for XLSX (no new crate).
//! - Not **`ssi`** (Spruce): it builds for wasm32, but even with only `ed25519` and `w3c`
//!   its tree is 481 crates including `reqwest`, `tokio` and `hyper` (which `make deps-check`
//!   keeps out of the core), and a verify-only probe is a 4.0 MB `.wasm` (1.09 MB gzipped)
//!   against 1.13 MB (331 KB gzipped) for this whole stack.
//! - Not **`json-ld` 0.21 + `rdf-canon`**: `json-ld` is async, pulls `getrandom` 0.2 (through
//!   `im`) and `rand` 0.8 (through `oxrdf` 0.2), which need a JavaScript backend in the
//!   browser, and about 290 crates.
//! - Not **`affinidi-rdf-encoding`**: a small RDFC-1.0 and JSON-LD subset, but its contexts
//!   are a fixed list in the crate (the Open Badges context cannot be added), it expands with
//!   simplified rules (absolute IRIs guessed from a list of schemes, no `@propagate`), and it
//!   needs Rust 1.95 where the workspace supports 1.88.
//!
//! Measured with probes built in release with LTO (`opt-level = 3`, stripped) that sign and
//! verify one credential: the stack adds 1,069 KB to a wasm32 `.wasm` that only parses JSON
//! (65 KB to 1,135 KB; gzipped 32 KB to 331 KB), of which the JSON-LD parser is 886 KB, RDFC-1.0
//! 92 KB, Ed25519 and SHA-256 69 KB, and deflate 43 KB; natively it adds 740 KB to a shared
//! library (373 KB to 1,113 KB). The analysis-only WebAssembly package does not grow: it calls
//! none of this, so linking drops it, and it can leave the `credentials` feature out.

pub mod canonical;
pub mod contexts;
mod document;
pub mod encoding;
mod key;
mod proof;
mod status;
mod verify;

pub use document::{
    ATTRIBUTES_CONTEXT, DocumentOptions, attributes_context, identifies, identity_hash,
    open_badge_credential,
};
pub use key::{DidKey, IssuerKey};
pub use proof::{ASSERTION_METHOD, CRYPTOSUITE, PROOF_TYPE, sign};
pub use status::{MAX_ENTRIES, MIN_ENTRIES, REVOCATION, StatusEntry, StatusList};
pub use verify::{Check, CheckKind, Outcome, Verification, VerifyOptions, verify, verify_bytes};
