//! Public credential ids: unguessable, URL-safe, made from randomness the caller passes in.

/// Gives new credential ids. The core has no randomness of its own: an application passes a
/// source backed by the operating system's generator (see [`FromRandomBytes`]); tests pass a
/// deterministic one.
pub trait IdSource {
    /// A new id, never returned before. It must satisfy [`is_valid_id`].
    fn next_id(&mut self) -> String;
}

/// Ids from 16 random bytes each (128 bits), written as 22 characters of URL-safe base64.
///
/// ```
/// use conferral::lifecycle::{FromRandomBytes, IdSource, is_valid_id};
/// let mut counter = 0u8;
/// let mut ids = FromRandomBytes(|| { counter += 1; [counter; 16] });
/// let id = ids.next_id();
/// assert_eq!(id.len(), 22);
/// assert!(is_valid_id(&id));
/// ```
pub struct FromRandomBytes<F: FnMut() -> [u8; 16]>(pub F);

impl<F: FnMut() -> [u8; 16]> IdSource for FromRandomBytes<F> {
    fn next_id(&mut self) -> String {
        encode((self.0)())
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Writes 16 bytes as URL-safe base64 without padding.
pub fn encode(bytes: [u8; 16]) -> String {
    let value = u128::from_be_bytes(bytes);
    // 22 digits of 6 bits hold 132 bits; the first digit carries the top 2 bits only.
    (0..22)
        .rev()
        .map(|i| {
            let digit = (value >> (i * 6)) & 0x3F;
            ALPHABET
                .get(usize::try_from(digit).unwrap_or(0))
                .map_or('A', |&b| char::from(b))
        })
        .collect()
}

/// Whether `id` can be a credential id: 1 to 64 letters, digits, `-` or `_`.
pub fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_fixed_width_and_distinct() {
        assert_eq!(encode([0; 16]), "AAAAAAAAAAAAAAAAAAAAAA");
        assert_eq!(encode([0xFF; 16]), "D_____________________");
        let mut one = [0u8; 16];
        one[15] = 1;
        assert_eq!(encode(one), "AAAAAAAAAAAAAAAAAAAAAB");
        assert_ne!(encode([1; 16]), encode([2; 16]));
    }

    #[test]
    fn ids_are_url_safe() {
        assert!(is_valid_id("Ab12_x-9"));
        for bad in ["", "a/b", "a b", "é", "../x", &"a".repeat(65)] {
            assert!(!is_valid_id(bad), "{bad}");
        }
    }
}
