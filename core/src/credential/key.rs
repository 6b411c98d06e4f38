//! The issuer's Ed25519 key and its `did:key`.
//!
//! A `did:key` for Ed25519 is `did:key:z` followed by base58btc of the multicodec prefix
//! `0xed 0x01` (ed25519-pub) and the 32-byte public key, so it always starts `did:key:z6Mk`.
//! Its one verification method is the DID, `#`, and the same multibase text.

use std::fmt;

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::encoding;
use crate::error::{Error, ErrorKind, Result};

/// The multicodec prefix of an Ed25519 public key (`ed25519-pub`, 0xed, as a varint).
const ED25519_PUB: [u8; 2] = [0xed, 0x01];

/// An issuer's signing key, from a 32-byte Ed25519 seed the caller keeps (the core makes no
/// keys: the CLI draws the seed from the operating system and stores it).
///
/// ```
/// use conferral::credential::IssuerKey;
/// let key = IssuerKey::from_seed([7; 32]);
/// assert!(key.did().starts_with("did:key:z6Mk"));
/// assert_eq!(key.verification_method(), format!("{}#{}", key.did(), &key.did()[8..]));
/// ```
#[derive(Clone)]
pub struct IssuerKey {
    signing: SigningKey,
    multibase: String,
}

impl IssuerKey {
    /// The key of a 32-byte Ed25519 seed (RFC 8032's private key).
    pub fn from_seed(seed: [u8; 32]) -> IssuerKey {
        let signing = SigningKey::from_bytes(&seed);
        let multibase = public_multibase(&signing.verifying_key().to_bytes());
        IssuerKey { signing, multibase }
    }

    /// The key of a seed given as a slice.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCredential`] unless the seed is 32 bytes.
    pub fn from_seed_slice(seed: &[u8]) -> Result<IssuerKey> {
        let seed: [u8; 32] = seed.try_into().map_err(|_| {
            Error::new(
                ErrorKind::InvalidCredential,
                format!("an Ed25519 seed is 32 bytes, not {}", seed.len()),
            )
        })?;
        Ok(IssuerKey::from_seed(seed))
    }

    /// The issuer's DID: `did:key:z6Mk…`.
    pub fn did(&self) -> String {
        format!("did:key:{}", self.multibase)
    }

    /// The verification method proofs name: `did:key:z6Mk…#z6Mk…`.
    pub fn verification_method(&self) -> String {
        format!("did:key:{0}#{0}", self.multibase)
    }

    /// The public key's multibase text (`z6Mk…`), as a Multikey's `publicKeyMultibase`.
    pub fn public_key_multibase(&self) -> &str {
        &self.multibase
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.signing.verifying_key().to_bytes()
    }

    /// The `did:web` of a credential link base's host (a port is written `%3A`, as the
    /// method requires): `https://credentials.example.org/c` gives
    /// `did:web:credentials.example.org`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for a base that is not an http(s) address.
    pub fn did_web(base_url: &str) -> Result<String> {
        let parsed = url::Url::parse(base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
        let Some(parsed) = parsed else {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!("`{base_url}` is not an http or https address, so it has no did:web"),
            ));
        };
        let host = parsed.host_str().unwrap_or_default();
        Ok(match parsed.port() {
            Some(port) => format!("did:web:{host}%3A{port}"),
            None => format!("did:web:{host}"),
        })
    }

    /// The DID document a host publishes at `/.well-known/did.json` for the `did:web` of its
    /// domain ([`IssuerKey::did_web`]): this key as its one Ed25519 `Multikey`, for
    /// assertions and authentication, with the key's `did:key` (the issuer the credentials
    /// name) in `alsoKnownAs`, so that the domain vouches for the key.
    ///
    /// ```
    /// use conferral::credential::IssuerKey;
    /// let key = IssuerKey::from_seed([1; 32]);
    /// let doc = key.did_web_document("https://credentials.example.org/c")?;
    /// assert_eq!(doc["id"], "did:web:credentials.example.org");
    /// assert_eq!(doc["verificationMethod"][0]["publicKeyMultibase"], key.public_key_multibase());
    /// assert_eq!(doc["alsoKnownAs"][0], key.did());
    /// # Ok::<(), conferral::Error>(())
    /// ```
    ///
    /// # Errors
    /// As [`IssuerKey::did_web`].
    pub fn did_web_document(&self, base_url: &str) -> Result<serde_json::Value> {
        let did = IssuerKey::did_web(base_url)?;
        let method = format!("{did}#key-1");
        Ok(serde_json::json!({
            "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
            "id": did,
            "alsoKnownAs": [self.did()],
            "verificationMethod": [{
                "id": method,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": self.multibase,
            }],
            "assertionMethod": [method],
            "authentication": [method],
        }))
    }

    /// The Ed25519 signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.signing.sign(message).to_bytes()
    }
}

/// The file an issuer keeps its key in (`conferral key new` writes it; every surface reads
/// it): the seed, and the DID and public key it gives, so that a file whose parts disagree
/// is refused rather than signing under another name.
///
/// ```json
/// {"type": "Ed25519", "did": "did:key:z6Mk…", "public_key_multibase": "z6Mk…",
///  "seed_base64url": "…"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    /// Always `Ed25519`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The issuer's `did:key`.
    pub did: String,
    /// The public key, multibase (`z6Mk…`).
    pub public_key_multibase: String,
    /// The 32-byte seed, base64url without padding: the secret.
    pub seed_base64url: String,
}

impl IssuerKey {
    /// The key as a [`KeyFile`].
    pub fn to_file(&self) -> KeyFile {
        KeyFile {
            kind: "Ed25519".to_owned(),
            did: self.did(),
            public_key_multibase: self.multibase.clone(),
            seed_base64url: encoding::base64url(self.signing.as_bytes()),
        }
    }

    /// The key a key file holds.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCredential`] for a file that is not a key file, a seed that is not
    /// 32 bytes of base64url, or a DID or public key that is not the seed's.
    pub fn from_file(bytes: &[u8]) -> Result<IssuerKey> {
        let bad = |why: String| Error::new(ErrorKind::InvalidCredential, why);
        let file: KeyFile = serde_json::from_slice(bytes)
            .map_err(|e| bad(format!("the key file is not a conferral key file: {e}")))?;
        if file.kind != "Ed25519" {
            return Err(bad(format!(
                "the key file holds a `{}` key; conferral signs with Ed25519",
                file.kind
            )));
        }
        let seed = encoding::from_base64url(&file.seed_base64url)
            .ok_or_else(|| bad("the key file's seed is not base64url".to_owned()))?;
        let key = IssuerKey::from_seed_slice(&seed)?;
        if key.did() != file.did || key.multibase != file.public_key_multibase {
            return Err(bad(format!(
                "the key file names `{}`, but its seed is the key of `{}`; the file was edited or mixed up",
                file.did,
                key.did()
            )));
        }
        Ok(key)
    }
}

impl fmt::Debug for IssuerKey {
    /// Shows the DID, never the seed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuerKey")
            .field("did", &self.did())
            .finish_non_exhaustive()
    }
}

fn public_multibase(public: &[u8; 32]) -> String {
    let mut bytes = Vec::with_capacity(34);
    bytes.extend_from_slice(&ED25519_PUB);
    bytes.extend_from_slice(public);
    encoding::multibase_base58btc(&bytes)
}

/// A `did:key` Ed25519 public key, read from a DID or one of its verification methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidKey {
    public: [u8; 32],
    multibase: String,
}

impl DidKey {
    /// Reads `did:key:z6Mk…` or `did:key:z6Mk…#z6Mk…` (the fragment, when there is one, must
    /// be the same key).
    ///
    /// ```
    /// use conferral::credential::{DidKey, IssuerKey};
    /// let key = IssuerKey::from_seed([7; 32]);
    /// let read = DidKey::parse(&key.verification_method())?;
    /// assert_eq!(read.public_key(), key.public_key());
    /// assert!(DidKey::parse("did:web:example.org").is_err());
    /// # Ok::<(), conferral::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCredential`] for anything else, or a key that is not an Ed25519
    /// point.
    pub fn parse(text: &str) -> Result<DidKey> {
        let bad = |why: &str| {
            Error::new(
                ErrorKind::InvalidCredential,
                format!("`{text}` is not an Ed25519 did:key: {why}"),
            )
        };
        let rest = text
            .strip_prefix("did:key:")
            .ok_or_else(|| bad("it does not start with `did:key:`"))?;
        let (multibase, fragment) = match rest.split_once('#') {
            Some((m, f)) => (m, Some(f)),
            None => (rest, None),
        };
        if fragment.is_some_and(|f| f != multibase) {
            return Err(bad("its fragment is not the key itself"));
        }
        let bytes = encoding::from_multibase_base58btc(multibase)
            .ok_or_else(|| bad("the key is not multibase base58btc (`z…`)"))?;
        let public: [u8; 32] = bytes
            .strip_prefix(&ED25519_PUB[..])
            .ok_or_else(|| bad("the key is not an Ed25519 public key (multicodec 0xed)"))?
            .try_into()
            .map_err(|_| bad("an Ed25519 public key is 32 bytes"))?;
        VerifyingKey::from_bytes(&public).map_err(|_| bad("the key is not a curve point"))?;
        Ok(DidKey {
            public,
            multibase: multibase.to_owned(),
        })
    }

    /// The DID: `did:key:z6Mk…`.
    pub fn did(&self) -> String {
        format!("did:key:{}", self.multibase)
    }

    /// The verification method: `did:key:z6Mk…#z6Mk…`.
    pub fn verification_method(&self) -> String {
        format!("did:key:{0}#{0}", self.multibase)
    }

    /// The 32-byte public key.
    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// Whether `signature` is this key's Ed25519 signature of `message` (strict: no
    /// malleable or small-order forms).
    pub(crate) fn verifies(&self, message: &[u8], signature: &[u8]) -> bool {
        let Ok(signature) = Signature::from_slice(signature) else {
            return false;
        };
        VerifyingKey::from_bytes(&self.public)
            .is_ok_and(|key| key.verify_strict(message, &signature).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_round_trips_and_refuses_parts_that_disagree() {
        let key = IssuerKey::from_seed([9; 32]);
        let text = serde_json::to_vec(&key.to_file()).unwrap();
        assert_eq!(IssuerKey::from_file(&text).unwrap().did(), key.did());
        let mut other = key.to_file();
        other.did = IssuerKey::from_seed([8; 32]).did();
        let e = IssuerKey::from_file(&serde_json::to_vec(&other).unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidCredential);
        assert!(e.to_string().contains("edited or mixed up"), "{e}");
        let mut short = key.to_file();
        short.seed_base64url = "AAAA".to_owned();
        assert!(IssuerKey::from_file(&serde_json::to_vec(&short).unwrap()).is_err());
        assert!(IssuerKey::from_file(b"{}").is_err());
    }

    #[test]
    fn the_did_of_a_known_seed() {
        // RFC 8032 §7.1 test 1: the seed 9d61…7f60 has the public key d75a…511a.
        let seed: [u8; 32] = [
            0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec,
            0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03,
            0x1c, 0xae, 0x7f, 0x60,
        ];
        let key = IssuerKey::from_seed(seed);
        assert_eq!(
            encoding::hex(&key.public_key()),
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
        );
        let did = key.did();
        assert!(did.starts_with("did:key:z6Mk"), "{did}");
        let read = DidKey::parse(&did).unwrap();
        assert_eq!(read.public_key(), key.public_key());
        assert_eq!(read.verification_method(), key.verification_method());
        let signature = key.sign(b"");
        // RFC 8032 §7.1 test 1: the signature of the empty message.
        assert_eq!(
            encoding::hex(&signature),
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        );
        assert!(read.verifies(b"", &signature));
        assert!(!read.verifies(b"x", &signature));
        assert!(!format!("{key:?}").contains("9d61"));
    }

    #[test]
    fn only_ed25519_did_keys_are_read() {
        let key = IssuerKey::from_seed([1; 32]);
        let did = key.did();
        assert!(DidKey::parse(&format!("{did}#z6MkOther")).is_err());
        assert!(
            DidKey::parse("did:key:zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme").is_err()
        );
        assert!(DidKey::parse("did:key:6Mk").is_err());
        assert!(DidKey::parse(&did[..did.len() - 1]).is_err());
        assert!(IssuerKey::from_seed_slice(&[0; 31]).is_err());
    }
}
