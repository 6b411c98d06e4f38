//! Data Integrity proofs with the `eddsa-rdfc-2022` cryptosuite (W3C VC Data Integrity EdDSA
//! Cryptosuites v1.0, §3.3).
//!
//! The signed bytes are SHA-256 of the canonical proof configuration (the proof without its
//! `proofValue`, carrying the document's `@context`) followed by SHA-256 of the canonical
//! document without its `proof`, both canonicalized with RDFC-1.0. The signature is
//! Ed25519's, written as multibase base58btc in `proofValue`.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::canonical::canonical_nquads;
use super::encoding;
use super::key::{DidKey, IssuerKey};
use crate::error::{Error, ErrorKind, Result};

/// The proof type.
pub const PROOF_TYPE: &str = "DataIntegrityProof";
/// The cryptosuite.
pub const CRYPTOSUITE: &str = "eddsa-rdfc-2022";
/// The proof purpose of an issuer's signature.
pub const ASSERTION_METHOD: &str = "assertionMethod";

fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidCredential, message)
}

/// Signs a JSON-LD document: returns it with a `proof` by `key`, made at `created`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use conferral::credential::{IssuerKey, sign};
/// let key = IssuerKey::from_seed([7; 32]);
/// let document = serde_json::json!({
///     "@context": ["https://www.w3.org/ns/credentials/v2"],
///     "id": "urn:uuid:8f2d6c2e-4a0b-4c52-9a56-0c8f7a1f2b3c",
///     "type": ["VerifiableCredential"],
///     "issuer": key.did(),
///     "validFrom": "2026-03-02T00:00:00Z",
///     "credentialSubject": {"name": "Ana"}
/// });
/// let signed = sign(&document, &key, Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap())?;
/// assert_eq!(signed["proof"]["cryptosuite"], "eddsa-rdfc-2022");
/// assert!(signed["proof"]["proofValue"].as_str().is_some_and(|v| v.starts_with('z')));
/// # Ok::<(), conferral::Error>(())
/// ```
///
/// # Errors
/// [`ErrorKind::InvalidCredential`] when the document is not an object, already has a proof,
/// or cannot be canonicalized (see [`canonical_nquads`]).
pub fn sign(document: &Value, key: &IssuerKey, created: DateTime<Utc>) -> Result<Value> {
    let unsecured = document
        .as_object()
        .ok_or_else(|| invalid("a credential to sign must be a JSON object"))?;
    if unsecured.contains_key("proof") {
        return Err(invalid(
            "the document already has a `proof`; sign the document without it",
        ));
    }
    let mut proof = Map::new();
    proof.insert("type".to_owned(), PROOF_TYPE.into());
    proof.insert("cryptosuite".to_owned(), CRYPTOSUITE.into());
    proof.insert(
        "created".to_owned(),
        created.to_rfc3339_opts(SecondsFormat::Secs, true).into(),
    );
    proof.insert(
        "verificationMethod".to_owned(),
        key.verification_method().into(),
    );
    proof.insert("proofPurpose".to_owned(), ASSERTION_METHOD.into());
    let hash = hash_data(unsecured, &proof)?;
    let signature = key.sign(&hash);
    proof.insert(
        "proofValue".to_owned(),
        encoding::multibase_base58btc(&signature).into(),
    );
    let mut secured = unsecured.clone();
    secured.insert("proof".to_owned(), Value::Object(proof));
    Ok(Value::Object(secured))
}

/// SHA-256 of the canonical proof configuration, then SHA-256 of the canonical document.
fn hash_data(
    unsecured: &Map<String, Value>,
    proof_options: &Map<String, Value>,
) -> Result<Vec<u8>> {
    let mut config = proof_options.clone();
    config.remove("proofValue");
    let context = unsecured
        .get("@context")
        .cloned()
        .ok_or_else(|| invalid("the document has no `@context`"))?;
    config.insert("@context".to_owned(), context);
    let config_hash = Sha256::digest(canonical_nquads(&config)?.as_bytes());
    let document_hash = Sha256::digest(canonical_nquads(unsecured)?.as_bytes());
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&config_hash);
    out.extend_from_slice(&document_hash);
    Ok(out)
}

/// What checking a document's proof found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProofOutcome {
    /// The key that signed, when the proof names one that reads.
    pub signer: Option<DidKey>,
    /// `Ok` when the signature verifies, else why not.
    pub verified: std::result::Result<(), String>,
}

/// Checks the one `eddsa-rdfc-2022` proof of a secured document.
pub(crate) fn check(secured: &Map<String, Value>) -> ProofOutcome {
    let failed = |signer: Option<DidKey>, why: String| ProofOutcome {
        signer,
        verified: Err(why),
    };
    let proof = match secured.get("proof") {
        Some(Value::Object(proof)) => proof,
        Some(Value::Array(proofs)) if proofs.len() == 1 => match proofs.first() {
            Some(Value::Object(proof)) => proof,
            _ => return failed(None, "the proof is not an object".into()),
        },
        Some(Value::Array(_)) => {
            return failed(
                None,
                "the document has several proofs; one is expected".into(),
            );
        }
        Some(_) => return failed(None, "the proof is not an object".into()),
        None => return failed(None, "the document has no proof".into()),
    };
    let text = |key: &str| proof.get(key).and_then(Value::as_str);
    let signer = match text("verificationMethod").map(DidKey::parse) {
        Some(Ok(key)) => Some(key),
        Some(Err(e)) => return failed(None, e.message().to_owned()),
        None => return failed(None, "the proof names no `verificationMethod`".into()),
    };
    if text("type") != Some(PROOF_TYPE) || text("cryptosuite") != Some(CRYPTOSUITE) {
        return failed(
            signer,
            format!("the proof is not a `{PROOF_TYPE}` with the `{CRYPTOSUITE}` cryptosuite"),
        );
    }
    if text("proofPurpose") != Some(ASSERTION_METHOD) {
        return failed(
            signer,
            format!("the proof's purpose is not `{ASSERTION_METHOD}`"),
        );
    }
    if let Some(created) = proof.get("created")
        && created
            .as_str()
            .and_then(|c| DateTime::parse_from_rfc3339(c).ok())
            .is_none()
    {
        return failed(signer, "the proof's `created` is not a date-time".into());
    }
    let Some(signature) = text("proofValue").and_then(encoding::from_multibase_base58btc) else {
        return failed(
            signer,
            "the proof has no `proofValue` in multibase base58btc (`z…`)".into(),
        );
    };
    let mut unsecured = secured.clone();
    unsecured.remove("proof");
    // A proof that carries its own `@context` must have the document's contexts first.
    if let Some(proof_context) = proof.get("@context") {
        let list = |v: Option<&Value>| match v {
            Some(Value::Array(items)) => items.clone(),
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        };
        let (theirs, ours) = (list(Some(proof_context)), list(secured.get("@context")));
        if !ours.starts_with(&theirs) {
            return failed(
                signer,
                "the proof's `@context` does not begin the document's".into(),
            );
        }
        unsecured.insert("@context".to_owned(), proof_context.clone());
    }
    let hash = match hash_data(&unsecured, proof) {
        Ok(hash) => hash,
        Err(e) => return failed(signer, e.message().to_owned()),
    };
    let verified = match &signer {
        Some(key) if key.verifies(&hash, &signature) => Ok(()),
        _ => Err("the signature does not match the document: it was changed after signing, or signed by another key".into()),
    };
    ProofOutcome { signer, verified }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn document(key: &IssuerKey) -> Value {
        serde_json::json!({
            "@context": ["https://www.w3.org/ns/credentials/v2"],
            "id": "urn:uuid:8f2d6c2e-4a0b-4c52-9a56-0c8f7a1f2b3c",
            "type": ["VerifiableCredential"],
            "issuer": key.did(),
            "validFrom": "2026-03-02T00:00:00Z",
            "credentialSubject": {"name": "Ana"}
        })
    }

    fn created() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    #[test]
    fn a_signed_document_verifies_and_any_change_breaks_it() {
        let key = IssuerKey::from_seed([3; 32]);
        let signed = sign(&document(&key), &key, created()).unwrap();
        let outcome = check(signed.as_object().unwrap());
        assert_eq!(outcome.verified, Ok(()));
        assert_eq!(outcome.signer.map(|s| s.did()), Some(key.did()));
        let tampered = [
            ("/credentialSubject/name", serde_json::json!("Bo")),
            ("/validFrom", serde_json::json!("2026-03-03T00:00:00Z")),
            ("/proof/created", serde_json::json!("2026-03-02T09:00:01Z")),
        ];
        for (pointer, value) in tampered {
            let mut changed = signed.clone();
            *changed.pointer_mut(pointer).unwrap() = value;
            assert!(
                check(changed.as_object().unwrap()).verified.is_err(),
                "{pointer}"
            );
        }
        let other = IssuerKey::from_seed([4; 32]);
        let mut changed = signed.clone();
        changed["proof"]["verificationMethod"] = other.verification_method().into();
        assert!(check(changed.as_object().unwrap()).verified.is_err());
        let mut changed = signed.clone();
        changed["credentialSubject"]["name"] = serde_json::json!("Ana");
        changed["extra"] = serde_json::json!("x");
        let outcome = check(changed.as_object().unwrap());
        assert!(outcome.verified.unwrap_err().contains("the term `extra`"));
    }

    #[test]
    fn the_same_inputs_sign_the_same_bytes() {
        // Ed25519 is deterministic and RDFC-1.0 labels blank nodes canonically, so the
        // random blank node ids of the JSON-LD parser never show.
        let key = IssuerKey::from_seed([3; 32]);
        let a = sign(&document(&key), &key, created()).unwrap();
        let b = sign(&document(&key), &key, created()).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn a_document_with_a_proof_is_not_signed_again() {
        let key = IssuerKey::from_seed([3; 32]);
        let signed = sign(&document(&key), &key, created()).unwrap();
        assert_eq!(
            sign(&signed, &key, created()).unwrap_err().kind(),
            ErrorKind::InvalidCredential
        );
    }
}
