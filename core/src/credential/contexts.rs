//! The JSON-LD contexts credentials use, bundled: nothing is fetched to sign or to verify.
//!
//! A fetched context could be swapped under a signed document (its terms would then mean
//! something else), and the machines that sign and verify are often offline. A document
//! naming any other remote context is refused. Where each file comes from and its licence:
//! `contexts/README.md`.

/// The W3C Verifiable Credentials Data Model 2.0 context; it also defines Data Integrity
/// proofs and Bitstring Status Lists.
pub const CREDENTIALS_V2: &str = "https://www.w3.org/ns/credentials/v2";

/// The 1EdTech Open Badges 3.0 context, version 3.0.3.
pub const OPEN_BADGES_V3: &str = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json";

/// The W3C Data Integrity context: its terms are already in [`CREDENTIALS_V2`], but documents
/// signed elsewhere sometimes name it too.
pub const DATA_INTEGRITY_V2: &str = "https://w3id.org/security/data-integrity/v2";

const BUNDLED: [(&str, &[u8]); 3] = [
    (
        CREDENTIALS_V2,
        include_bytes!("contexts/credentials-v2.jsonld"),
    ),
    (
        OPEN_BADGES_V3,
        include_bytes!("contexts/ob-v3p0-context-3.0.3.json"),
    ),
    (
        DATA_INTEGRITY_V2,
        include_bytes!("contexts/data-integrity-v2.jsonld"),
    ),
];

/// The bundled context document at `url`, or `None` for a URL that is not bundled.
///
/// ```
/// use conferral::credential::contexts;
/// assert!(contexts::bundled(contexts::OPEN_BADGES_V3).is_some());
/// assert!(contexts::bundled("https://example.org/context.json").is_none());
/// ```
pub fn bundled(url: &str) -> Option<&'static [u8]> {
    BUNDLED
        .iter()
        .find(|(u, _)| *u == url)
        .map(|(_, bytes)| *bytes)
}

/// Every bundled context as (URL, document), for a host whose own JSON-LD processor must
/// use the same files (a verifier in the browser, the interoperability tests).
pub fn all() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    BUNDLED.iter().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_context_is_a_json_ld_context() {
        for (url, bytes) in all() {
            let value: serde_json::Value = serde_json::from_slice(bytes).unwrap();
            assert!(
                value.get("@context").is_some_and(|c| c.is_object()),
                "{url}"
            );
        }
    }
}
