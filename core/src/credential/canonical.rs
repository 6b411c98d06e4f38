//! A JSON-LD document as canonical N-Quads: JSON-LD 1.1 to RDF over the bundled contexts
//! (`oxjsonld`), RDF Dataset Canonicalization 1.0 with SHA-256 (`oxrdf`), and the canonical
//! N-Quads text the hashes are taken over.
//!
//! JSON-LD drops, silently, every property its contexts do not define and every relative
//! reference it cannot resolve: such data would ride along unsigned. Like jsonld.js's "safe
//! mode", which Digital Bazaar's verifiers use, this refuses them. The document is read with an
//! extra first context whose `@vocab` and a base IRI that exist only here, so a term that
//! would be dropped comes out under that vocabulary (or base) instead, and is reported; a
//! document that uses neither gives exactly the dataset it would give without them.

use oxjsonld::{JsonLdParser, JsonLdRemoteDocument};
use oxrdf::dataset::{CanonicalizationAlgorithm, CanonicalizationHashAlgorithm};
use oxrdf::{Dataset, GraphNameRef, NamedOrBlankNodeRef, QuadRef, TermRef};
use serde_json::{Map, Value};

use super::contexts;
use crate::error::{Error, ErrorKind, Result};

/// Where the terms no context defines land (never in a signed document).
const UNDEFINED_VOCAB: &str = "urn:conferral:undefined-term:";
/// What relative references resolve against (never in a signed document).
const RELATIVE_BASE: &str = "https://relative-reference.conferral.invalid/";
const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidCredential, message)
}

/// The canonical N-Quads of a JSON-LD document (an object with an `@context`), one sorted
/// line per quad, each ending in `\n`.
///
/// # Errors
/// [`ErrorKind::InvalidCredential`] when the document has no `@context`, names a remote
/// context that is not bundled, uses a term its contexts do not define or a relative
/// reference, has an `@context` below its top level, or is not valid JSON-LD.
pub fn canonical_nquads(document: &Map<String, Value>) -> Result<String> {
    let contexts = top_level_contexts(document)?;
    refuse_nested_contexts(document)?;
    let mut probe = document.clone();
    let mut with_probe = vec![serde_json::json!({ "@vocab": UNDEFINED_VOCAB })];
    with_probe.extend(contexts);
    probe.insert("@context".to_owned(), Value::Array(with_probe));
    let bytes = serde_json::to_vec(&probe)
        .map_err(|e| invalid("the document cannot be written as JSON".to_owned()).with_source(e))?;
    let parser = JsonLdParser::new()
        .with_base_iri(RELATIVE_BASE)
        .map_err(|e| invalid("the base IRI is not an IRI".to_owned()).with_source(e))?;
    let quads = parser
        .for_slice(&bytes)
        .with_load_document_callback(|url, _options| match contexts::bundled(url) {
            Some(bytes) => Ok(JsonLdRemoteDocument {
                document: bytes.to_vec(),
                document_url: url.to_owned(),
            }),
            None => Err(format!("the context `{url}` is not bundled").into()),
        });
    let mut dataset = Dataset::new();
    let mut undefined: Vec<String> = Vec::new();
    for quad in quads {
        let quad = quad.map_err(|e| {
            invalid(format!(
                "the document is not JSON-LD its contexts can read: {e}"
            ))
        })?;
        collect_undefined(quad.as_ref(), &mut undefined);
        dataset.insert(&quad);
    }
    if !undefined.is_empty() {
        undefined.sort();
        undefined.dedup();
        return Err(invalid(format!(
            "the document uses what its contexts do not define, which would not be signed: {}",
            undefined.join(", ")
        )));
    }
    dataset.canonicalize(CanonicalizationAlgorithm::Rdfc10 {
        hash_algorithm: CanonicalizationHashAlgorithm::Sha256,
    });
    let mut lines: Vec<String> = dataset.iter().map(nquad).collect();
    lines.sort_unstable();
    Ok(lines.concat())
}

/// The items of the document's `@context`, each a bundled URL or an inline context.
fn top_level_contexts(document: &Map<String, Value>) -> Result<Vec<Value>> {
    let items = match document.get("@context") {
        Some(Value::Array(items)) => items.clone(),
        Some(item @ (Value::String(_) | Value::Object(_))) => vec![item.clone()],
        Some(_) => {
            return Err(invalid(
                "`@context` must be a URL, an object or a list of them".to_owned(),
            ));
        }
        None => return Err(invalid("the document has no `@context`".to_owned())),
    };
    for item in &items {
        match item {
            Value::String(url) if contexts::bundled(url).is_none() => {
                return Err(invalid(format!(
                    "the context `{url}` is not one of the bundled contexts ({}, {}, {}); nothing is fetched",
                    contexts::CREDENTIALS_V2,
                    contexts::OPEN_BADGES_V3,
                    contexts::DATA_INTEGRITY_V2
                )));
            }
            Value::String(_) => {}
            Value::Object(inline) => refuse_resets(inline)?,
            _ => {
                return Err(invalid(
                    "each `@context` item must be a URL or an object (a `null` would reset the contexts before it)".to_owned(),
                ));
            }
        }
    }
    Ok(items)
}

/// An inline context may not reset `@vocab` or the active context anywhere inside it: that
/// would hide undefined terms from the check.
fn refuse_resets(context: &Map<String, Value>) -> Result<()> {
    for (key, value) in context {
        if (key == "@vocab" || key == "@context") && value.is_null() {
            return Err(invalid(format!(
                "an inline context sets `{key}` to null, which is not supported"
            )));
        }
        if key == "@import" {
            return Err(invalid(
                "an inline context uses `@import`, which is not supported".to_owned(),
            ));
        }
        if let Value::Object(inner) = value {
            refuse_resets(inner)?;
        }
    }
    Ok(())
}

/// Contexts are read at the top of a document only (where every credential has them).
fn refuse_nested_contexts(document: &Map<String, Value>) -> Result<()> {
    fn walk(value: &Value) -> Result<()> {
        match value {
            Value::Object(map) if map.contains_key("@context") => Err(invalid(
                "an `@context` below the top of the document is not supported".to_owned(),
            )),
            Value::Object(map) => map.values().try_for_each(walk),
            Value::Array(items) => items.iter().try_for_each(walk),
            _ => Ok(()),
        }
    }
    document
        .iter()
        .filter(|(key, _)| key.as_str() != "@context")
        .try_for_each(|(_, value)| walk(value))
}

fn collect_undefined(quad: QuadRef<'_>, found: &mut Vec<String>) {
    let mut check = |iri: &str| {
        if let Some(term) = iri.strip_prefix(UNDEFINED_VOCAB) {
            found.push(format!("the term `{term}`"));
        } else if let Some(reference) = iri.strip_prefix(RELATIVE_BASE) {
            found.push(format!("the relative reference `{reference}`"));
        }
    };
    if let NamedOrBlankNodeRef::NamedNode(n) = quad.subject {
        check(n.as_str());
    }
    check(quad.predicate.as_str());
    match quad.object {
        TermRef::NamedNode(n) => check(n.as_str()),
        TermRef::Literal(l) => check(l.datatype().as_str()),
        _ => {}
    }
    if let GraphNameRef::NamedNode(n) = quad.graph_name {
        check(n.as_str());
    }
}

/// One quad as a line of canonical N-Quads, escaped as rdf-canonize (Digital Bazaar's
/// RDFC-1.0, under jsonld.js) escapes it: the signature is over these bytes.
fn nquad(quad: QuadRef<'_>) -> String {
    let mut line = String::new();
    match quad.subject {
        NamedOrBlankNodeRef::NamedNode(n) => push_iri(&mut line, n.as_str()),
        NamedOrBlankNodeRef::BlankNode(b) => push_blank(&mut line, b.as_str()),
        #[allow(
            unreachable_patterns,
            reason = "RDF 1.2 triple terms, when another crate enables them"
        )]
        _ => line.push_str("_:unsupported"),
    }
    line.push(' ');
    push_iri(&mut line, quad.predicate.as_str());
    line.push(' ');
    match quad.object {
        TermRef::NamedNode(n) => push_iri(&mut line, n.as_str()),
        TermRef::BlankNode(b) => push_blank(&mut line, b.as_str()),
        TermRef::Literal(l) => {
            line.push('"');
            push_escaped_literal(&mut line, l.value());
            line.push('"');
            if let Some(language) = l.language() {
                line.push('@');
                line.push_str(language);
            } else if l.datatype().as_str() != XSD_STRING {
                line.push_str("^^");
                push_iri(&mut line, l.datatype().as_str());
            }
        }
        #[allow(
            unreachable_patterns,
            reason = "RDF 1.2 triple terms, when another crate enables them"
        )]
        _ => line.push_str("_:unsupported"),
    }
    match quad.graph_name {
        GraphNameRef::NamedNode(n) => {
            line.push(' ');
            push_iri(&mut line, n.as_str());
        }
        GraphNameRef::BlankNode(b) => {
            line.push(' ');
            push_blank(&mut line, b.as_str());
        }
        GraphNameRef::DefaultGraph => {}
    }
    line.push_str(" .\n");
    line
}

fn push_blank(out: &mut String, id: &str) {
    out.push_str("_:");
    out.push_str(id);
}

fn push_iri(out: &mut String, iri: &str) {
    out.push('<');
    for c in iri.chars() {
        if matches!(
            c,
            '\u{0}'..='\u{20}' | '<' | '>' | '"' | '{' | '}' | '|' | '^' | '`' | '\\'
        ) {
            push_uchar(out, c);
        } else {
            out.push(c);
        }
    }
    out.push('>');
}

fn push_escaped_literal(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{0}'..='\u{1f}' | '\u{7f}' => push_uchar(out, c),
            _ => out.push(c),
        }
    }
}

fn push_uchar(out: &mut String, c: char) {
    out.push_str(&format!("\\u{:04X}", u32::from(c)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canon(json: &str) -> Result<String> {
        let value: Value = serde_json::from_str(json).unwrap();
        canonical_nquads(value.as_object().unwrap())
    }

    #[test]
    fn a_credential_canonicalizes_as_rdf_canonize_does() {
        // The expected text is what jsonld.js 9 with rdf-canonize 5 gives for the same
        // document over the same context files.
        let nquads = canon(
            r#"{"@context": ["https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                "id": "https://credentials.example.org/c/Ab12",
                "type": ["VerifiableCredential", "OpenBadgeCredential"],
                "name": "Tab\there",
                "issuer": {"id": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "type": ["Profile"]},
                "validFrom": "2026-03-02T00:00:00Z",
                "credentialSubject": {"type": ["AchievementSubject"], "creditsEarned": 12.5,
                  "achievement": {"id": "urn:uuid:1", "type": ["Achievement"], "name": "A", "description": "D", "criteria": {"narrative": "N"}}}}"#,
        )
        .unwrap();
        let expected = [
            "<did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Profile> .",
            "<https://credentials.example.org/c/Ab12> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential> .",
            "<https://credentials.example.org/c/Ab12> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://www.w3.org/2018/credentials#VerifiableCredential> .",
            "<https://credentials.example.org/c/Ab12> <https://schema.org/name> \"Tab\\there\" .",
            "<https://credentials.example.org/c/Ab12> <https://www.w3.org/2018/credentials#credentialSubject> _:c14n0 .",
            "<https://credentials.example.org/c/Ab12> <https://www.w3.org/2018/credentials#issuer> <did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK> .",
            "<https://credentials.example.org/c/Ab12> <https://www.w3.org/2018/credentials#validFrom> \"2026-03-02T00:00:00Z\"^^<http://www.w3.org/2001/XMLSchema#dateTime> .",
            "<urn:uuid:1> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Achievement> .",
            "<urn:uuid:1> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#Criteria> _:c14n1 .",
            "<urn:uuid:1> <https://schema.org/description> \"D\" .",
            "<urn:uuid:1> <https://schema.org/name> \"A\" .",
            "_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://purl.imsglobal.org/spec/vc/ob/vocab.html#AchievementSubject> .",
            "_:c14n0 <https://purl.imsglobal.org/spec/vc/ob/vocab.html#achievement> <urn:uuid:1> .",
            "_:c14n0 <https://purl.imsglobal.org/spec/vc/ob/vocab.html#creditsEarned> \"1.25E1\"^^<https://www.w3.org/2001/XMLSchema#float> .",
            "_:c14n1 <https://purl.imsglobal.org/spec/vc/ob/vocab.html#narrative> \"N\" .",
        ];
        assert_eq!(nquads, expected.map(|l| format!("{l}\n")).concat());
    }

    #[test]
    fn undefined_terms_and_relative_references_are_refused() {
        let base = r#""@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential"]"#;
        let e = canon(&format!(r#"{{{base}, "id": "urn:x", "color": "red"}}"#)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidCredential);
        assert!(e.message().contains("the term `color`"), "{e}");
        let e = canon(&format!(r#"{{{base}, "id": "cred/1"}}"#)).unwrap_err();
        assert!(e.message().contains("relative reference `cred/1`"), "{e}");
        let e = canon(&format!(
            r#"{{{base}, "id": "urn:x", "type": ["VerifiableCredential", "Unknown"]}}"#
        ))
        .unwrap_err();
        assert!(e.message().contains("the term `Unknown`"), "{e}");
        assert!(canon(&format!(r#"{{{base}, "id": "urn:x"}}"#)).is_ok());
    }

    #[test]
    fn only_bundled_contexts_are_read() {
        let e = canon(r#"{"@context": ["https://www.w3.org/ns/credentials/v2", "https://example.org/ctx.json"], "id": "urn:x"}"#).unwrap_err();
        assert!(
            e.message().contains("`https://example.org/ctx.json`"),
            "{e}"
        );
        let e = canon(r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"@vocab": null}], "id": "urn:x"}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidCredential);
        let e = canon(r#"{"@context": "https://www.w3.org/ns/credentials/v2", "id": "urn:x", "credentialSubject": {"@context": null, "x": 1}}"#).unwrap_err();
        assert!(e.message().contains("below the top"), "{e}");
        assert!(canon(r#"{"id": "urn:x"}"#).is_err());
        // An inline context may define terms of its own.
        assert!(canon(r#"{"@context": ["https://www.w3.org/ns/credentials/v2", {"color": "https://example.org/color"}], "id": "urn:x", "color": "red"}"#).is_ok());
    }

    #[test]
    fn literals_are_escaped_as_rdf_canonize_escapes_them() {
        let mut out = String::new();
        push_escaped_literal(&mut out, "a\"b\\c\nd\re\tf\u{1}\u{7f}\u{8}\u{c}é\u{fffe}");
        assert_eq!(out, "a\\\"b\\\\c\\nd\\re\\tf\\u0001\\u007F\\b\\fé\u{fffe}");
    }
}
