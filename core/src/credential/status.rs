//! Revocation through a W3C Bitstring Status List (v1.0).
//!
//! Each published credential of an issuer key gets an index, once and for ever; its
//! `credentialStatus` names the index and the URL of the list. The list is a bitstring (bit
//! 0 is the first byte's highest bit), GZIP-compressed and written as multibase base64url
//! (`u…`) in a `BitstringStatusListCredential` signed by the same key. A set bit means
//! revoked. A list holds at least 131,072 entries (16 KiB), so that one credential's bit
//! does not single out its holder.

use std::io::{Read, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::contexts;
use super::encoding;
use crate::error::{Error, ErrorKind, Result};

/// The fewest entries a list holds (16 KiB of bits), as the specification requires.
pub const MIN_ENTRIES: u64 = 131_072;

/// The most entries a list read from a document may hold (16 MiB of bits): a bound on what
/// inflating someone else's `encodedList` may allocate.
pub const MAX_ENTRIES: u64 = 134_217_728;

/// The purpose of every list conferral makes.
pub const REVOCATION: &str = "revocation";

fn invalid(kind: ErrorKind, message: impl Into<String>) -> Error {
    Error::new(kind, message)
}

/// Where one credential's status lives: a list's URL and the credential's index in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct StatusEntry {
    /// The URL the status list credential is published at.
    pub list_url: String,
    /// The credential's index in the list, never given to another credential.
    pub index: u64,
}

impl StatusEntry {
    /// The `credentialStatus` of a credential: a `BitstringStatusListEntry` for revocation.
    ///
    /// ```
    /// use conferral::credential::StatusEntry;
    /// let entry = StatusEntry { list_url: "https://example.org/status/1".into(), index: 7 };
    /// let status = entry.to_json();
    /// assert_eq!(status["statusListIndex"], "7");
    /// assert_eq!(status["id"], "https://example.org/status/1#7");
    /// ```
    pub fn to_json(&self) -> Value {
        json!({
            "id": format!("{}#{}", self.list_url, self.index),
            "type": "BitstringStatusListEntry",
            "statusPurpose": REVOCATION,
            "statusListIndex": self.index.to_string(),
            "statusListCredential": self.list_url,
        })
    }
}

/// A bitstring of revocation flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: Vec<u8>,
}

impl StatusList {
    /// A list where nothing is revoked, of at least `entries` entries (and never fewer than
    /// [`MIN_ENTRIES`]; sizes are whole bytes).
    pub fn new(entries: u64) -> StatusList {
        let entries = entries.max(MIN_ENTRIES);
        let bytes = usize::try_from(entries.div_ceil(8)).unwrap_or(usize::MAX);
        StatusList {
            bits: vec![0; bytes],
        }
    }

    /// A list with the given indexes revoked, large enough for `entries` and for every index.
    ///
    /// ```
    /// use conferral::credential::StatusList;
    /// let list = StatusList::with_revoked(1_000, [3, 140_000])?;
    /// assert_eq!(list.is_revoked(3), Some(true));
    /// assert_eq!(list.is_revoked(4), Some(false));
    /// assert!(list.len() > 140_000);
    /// # Ok::<(), conferral::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for an index past [`MAX_ENTRIES`].
    pub fn with_revoked(
        entries: u64,
        revoked: impl IntoIterator<Item = u64>,
    ) -> Result<StatusList> {
        let revoked: Vec<u64> = revoked.into_iter().collect();
        let highest = revoked.iter().max().map_or(0, |i| i.saturating_add(1));
        if highest > MAX_ENTRIES {
            return Err(invalid(
                ErrorKind::InvalidValue,
                format!("a status list index is at most {}", MAX_ENTRIES - 1),
            ));
        }
        let mut list = StatusList::new(entries.max(highest));
        for index in revoked {
            list.set(index, true)?;
        }
        Ok(list)
    }

    /// The number of entries.
    pub fn len(&self) -> u64 {
        self.bits.len() as u64 * 8
    }

    /// Whether the list has no entries (never: a list has at least [`MIN_ENTRIES`]).
    pub fn is_empty(&self) -> bool {
        self.bits.is_empty()
    }

    /// Sets the flag of `index` (`true`: revoked).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for an index outside the list.
    pub fn set(&mut self, index: u64, revoked: bool) -> Result<()> {
        let len = self.len();
        let (byte, mask) = position(index);
        let slot = usize::try_from(byte)
            .ok()
            .and_then(|b| self.bits.get_mut(b))
            .ok_or_else(|| {
                invalid(
                    ErrorKind::InvalidValue,
                    format!("index {index} is outside the status list of {len} entries"),
                )
            })?;
        if revoked {
            *slot |= mask;
        } else {
            *slot &= !mask;
        }
        Ok(())
    }

    /// Whether `index` is revoked; `None` outside the list.
    pub fn is_revoked(&self, index: u64) -> Option<bool> {
        let (byte, mask) = position(index);
        let byte = usize::try_from(byte).ok()?;
        self.bits.get(byte).map(|b| b & mask != 0)
    }

    /// The list as an `encodedList`: GZIP, then multibase base64url (`u…`).
    ///
    /// # Errors
    /// [`ErrorKind::Output`] if compression fails (it does not, in memory).
    pub fn encode(&self) -> Result<String> {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let compressed = gzip
            .write_all(&self.bits)
            .and_then(|()| gzip.finish())
            .map_err(|e| {
                invalid(ErrorKind::Output, "the status list could not be compressed").with_source(e)
            })?;
        Ok(format!("u{}", encoding::base64url(&compressed)))
    }

    /// Reads an `encodedList`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidCredential`] for text that is not multibase base64url of GZIP
    /// data, or a list shorter than [`MIN_ENTRIES`] or longer than [`MAX_ENTRIES`].
    pub fn decode(encoded: &str) -> Result<StatusList> {
        let bad = |why: &str| {
            invalid(
                ErrorKind::InvalidCredential,
                format!("the status list {why}"),
            )
        };
        let compressed = encoded
            .strip_prefix('u')
            .and_then(encoding::from_base64url)
            .ok_or_else(|| bad("is not multibase base64url (`u…`)"))?;
        let mut bits = Vec::new();
        let limit = MAX_ENTRIES / 8;
        flate2::read::GzDecoder::new(compressed.as_slice())
            .take(limit + 1)
            .read_to_end(&mut bits)
            .map_err(|_| bad("is not GZIP data"))?;
        let entries = bits.len() as u64 * 8;
        if entries > MAX_ENTRIES {
            return Err(bad(&format!("holds more than {MAX_ENTRIES} entries")));
        }
        if entries < MIN_ENTRIES {
            return Err(bad(&format!(
                "holds {entries} entries, fewer than the {MIN_ENTRIES} required"
            )));
        }
        Ok(StatusList { bits })
    }

    /// The unsigned `BitstringStatusListCredential` publishing this list at `list_url`, issued
    /// by `issuer` (a DID) at `valid_from`. Sign it with [`sign`](super::sign).
    ///
    /// # Errors
    /// As [`StatusList::encode`].
    pub fn credential(
        &self,
        list_url: &str,
        issuer: &str,
        valid_from: DateTime<Utc>,
    ) -> Result<Value> {
        Ok(json!({
            "@context": [contexts::CREDENTIALS_V2],
            "id": list_url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer,
            "validFrom": valid_from.to_rfc3339_opts(SecondsFormat::Secs, true),
            "credentialSubject": {
                "id": format!("{list_url}#list"),
                "type": "BitstringStatusList",
                "statusPurpose": REVOCATION,
                "encodedList": self.encode()?,
            }
        }))
    }
}

/// The byte of `index` and the bit within it (index 0 is the first byte's highest bit).
fn position(index: u64) -> (u64, u8) {
    (index / 8, 0x80 >> (index % 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_count_from_the_left() {
        let mut list = StatusList::new(0);
        assert_eq!(list.len(), MIN_ENTRIES);
        list.set(0, true).unwrap();
        list.set(9, true).unwrap();
        assert_eq!(list.bits.first(), Some(&0x80));
        assert_eq!(list.bits.get(1), Some(&0x40));
        list.set(9, false).unwrap();
        assert_eq!(list.is_revoked(9), Some(false));
        assert!(list.set(MIN_ENTRIES, true).is_err());
        assert_eq!(list.is_revoked(MIN_ENTRIES), None);
    }

    #[test]
    fn the_encoded_list_round_trips_and_is_small_when_sparse() {
        let list = StatusList::with_revoked(100_000, [1, 99_999, 50_000]).unwrap();
        let encoded = list.encode().unwrap();
        assert!(encoded.starts_with('u'));
        assert!(encoded.len() < 400, "{}", encoded.len());
        let read = StatusList::decode(&encoded).unwrap();
        assert_eq!(read, list);
        assert_eq!(read.is_revoked(50_000), Some(true));
    }

    #[test]
    fn short_or_unreadable_lists_are_refused() {
        let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        gzip.write_all(&[0; 100]).unwrap();
        let short = format!("u{}", encoding::base64url(&gzip.finish().unwrap()));
        assert!(
            StatusList::decode(&short)
                .unwrap_err()
                .message()
                .contains("fewer than")
        );
        assert!(StatusList::decode("uAAAA").is_err());
        assert!(StatusList::decode("zAAAA").is_err());
        assert!(StatusList::with_revoked(0, [MAX_ENTRIES]).is_err());
    }
}
