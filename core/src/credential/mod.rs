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
//! - Not **`ssi`** (Spruce): it builds for wasm32, but even with only its `ed25519` and
//!   `w3c` features it brings 350 crates, among them `reqwest`, `tokio` and `hyper` (which
//!   `make deps-check` keeps out of the core), and a probe that only verifies is a 4.0 MB
//!   `.wasm` (1.09 MB gzipped), against 1.13 MB (331 KB gzipped) for a probe of the crates
//!   above that signs and verifies; natively 4.4 MB against 1.1 MB.
//! - Not **`json-ld` 0.21 + `rdf-canon`**: `json-ld` is async, its stack is 155 crates
//!   (against 44), and it and `rdf-canon`'s `oxrdf` 0.2 pull `getrandom` 0.2 through `im` and
//!   `rand` 0.8, which need one more JavaScript backend in the browser.
//! - Not **`affinidi-rdf-encoding`**: a small RDFC-1.0 and JSON-LD subset, but its contexts
//!   are a fixed list in the crate (the Open Badges context cannot be added), it expands with
//!   simplified rules (absolute IRIs guessed from a list of schemes, no `@propagate`), and it
//!   needs Rust 1.95 where the workspace supports 1.88.
//!
//! What it costs, measured on probes built in release with LTO and stripped: a wasm32
//! `.wasm` that runs [`analyze`](crate::analyze) grows from 2,294 KB to 3,173 KB (gzipped 886
//! KB to 1,180 KB, +295 KB) when it also builds, signs and verifies credentials; a native
//! shared library from 2,634 KB to 3,714 KB. Of a probe of these crates alone (65 KB of JSON
//! handling to 1,135 KB), the JSON-LD parser is 886 KB, RDFC-1.0 92 KB, Ed25519 and SHA-256
//! 69 KB. So credentials in the browser want their own WebAssembly entry point: the roster
//! page's package (1.27 MB gzipped, for a 1.5 MB budget) calls none of this, so linking drops
//! it, and it can leave the `credentials` feature out.
//!
//! Speed: signing or verifying takes about 5 ms on one core (200 credentials a second), nearly
//! all of it `oxjsonld` processing the VC and Open Badges contexts again for each document
//! (the document's canonical form takes 3.1 ms, the proof configuration's 1.4 ms, a document
//! without remote contexts 0.005 ms); a cache of processed contexts would remove most of it.

pub mod canonical;
pub mod contexts;
pub mod document;
pub mod encoding;
pub mod key;
pub mod proof;
pub mod status;
pub mod verify;

/// A signed document as the file every surface writes: JSON indented by two spaces, ending
/// in a newline. (The proof covers the document's meaning, not its bytes, so any layout
/// verifies; this one is for people reading it.)
///
/// ```
/// let text = conferral::credential::document_text(&serde_json::json!({"id": "x"}));
/// assert_eq!(text, "{\n  \"id\": \"x\"\n}\n");
/// ```
pub fn document_text(document: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
    text.push('\n');
    text
}

pub use document::{
    ATTRIBUTES_CONTEXT, DocumentOptions, attributes_context, identifies, identity_hash,
    open_badge_credential,
};
pub use key::{DidKey, IssuerKey, KeyFile};
pub use proof::{ASSERTION_METHOD, CRYPTOSUITE, PROOF_TYPE, sign};
pub use status::{MAX_ENTRIES, MIN_ENTRIES, REVOCATION, StatusEntry, StatusList};
pub use verify::{Check, CheckKind, Outcome, Verification, VerifyOptions, verify, verify_bytes};
