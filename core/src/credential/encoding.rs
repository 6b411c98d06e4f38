//! The text encodings credentials use: multibase base58btc (`z…`, keys and signatures),
//! multibase base64url without padding (`u…`, status lists) and lowercase hex (hashes).

const BASE58: &[u8; 58] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const BASE64URL: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Bytes in base58 (the Bitcoin alphabet): each leading zero byte is a `1`, the rest is the
/// number the bytes make, big-endian, in base 58.
pub fn base58(bytes: &[u8]) -> String {
    let zeros = bytes.iter().take_while(|&&b| b == 0).count();
    // Digits of the number, least significant first.
    let mut digits: Vec<u8> = Vec::with_capacity(bytes.len() * 138 / 100 + 1);
    for &byte in bytes.iter().skip(zeros) {
        let mut carry = u32::from(byte);
        for digit in &mut digits {
            carry += u32::from(*digit) << 8;
            *digit = (carry % 58) as u8;
            carry /= 58;
        }
        while carry > 0 {
            digits.push((carry % 58) as u8);
            carry /= 58;
        }
    }
    let mut out = String::with_capacity(zeros + digits.len());
    out.extend(std::iter::repeat_n('1', zeros));
    for &d in digits.iter().rev() {
        out.push(BASE58.get(usize::from(d)).map_or('1', |&c| char::from(c)));
    }
    out
}

/// Reads base58 text; `None` for a character outside the alphabet.
pub fn from_base58(text: &str) -> Option<Vec<u8>> {
    let zeros = text.bytes().take_while(|&b| b == b'1').count();
    // Bytes of the number, least significant first.
    let mut bytes: Vec<u8> = Vec::with_capacity(text.len());
    for c in text.bytes().skip(zeros) {
        let value = BASE58.iter().position(|&a| a == c)?;
        let mut carry = value as u32;
        for byte in &mut bytes {
            carry += u32::from(*byte) * 58;
            *byte = (carry & 0xFF) as u8;
            carry >>= 8;
        }
        while carry > 0 {
            bytes.push((carry & 0xFF) as u8);
            carry >>= 8;
        }
    }
    let mut out = vec![0u8; zeros];
    out.extend(bytes.iter().rev());
    Some(out)
}

/// Bytes as multibase base58btc: `z` and the base58 text.
pub fn multibase_base58btc(bytes: &[u8]) -> String {
    format!("z{}", base58(bytes))
}

/// Reads multibase base58btc text (`z…`).
pub fn from_multibase_base58btc(text: &str) -> Option<Vec<u8>> {
    from_base58(text.strip_prefix('z')?)
}

/// Bytes in base64url without padding (RFC 4648 §5).
pub fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    let symbol = |index: u32| {
        BASE64URL
            .get((index & 0x3F) as usize)
            .map_or('A', |&c| char::from(c))
    };
    for chunk in bytes.chunks(3) {
        let mut group = 0u32;
        for (i, &b) in chunk.iter().enumerate() {
            group |= u32::from(b) << (16 - 8 * i);
        }
        // 2, 3 or 4 symbols for 1, 2 or 3 bytes.
        for i in 0..=chunk.len() {
            out.push(symbol(group >> (18 - 6 * i)));
        }
    }
    out
}

/// Reads base64url without padding; `None` for a character outside the alphabet, a length
/// no encoding gives, or bits set past the last byte.
pub fn from_base64url(text: &str) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for chunk in text.as_bytes().chunks(4) {
        let mut group = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            let value = BASE64URL.iter().position(|&a| a == c)? as u32;
            group |= value << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1;
        let [_, b0, b1, b2] = group.to_be_bytes();
        let decoded = [b0, b1, b2];
        // Bits of the last symbol that fall past the last byte must be zero.
        if decoded.iter().skip(bytes).any(|&b| b != 0) {
            return None;
        }
        out.extend(decoded.iter().take(bytes));
    }
    Some(out)
}

/// Bytes as lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        for nibble in [b >> 4, b & 0x0F] {
            out.push(
                DIGITS
                    .get(usize::from(nibble))
                    .map_or('0', |&c| char::from(c)),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base58_matches_known_values() {
        // Values from the base58 draft (draft-msporny-base58) and Bitcoin's test vectors.
        assert_eq!(base58(b"Hello World!"), "2NEpo7TZRRrLZSi2U");
        assert_eq!(
            base58(b"The quick brown fox jumps over the lazy dog."),
            "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z"
        );
        assert_eq!(base58(&[0x00, 0x00, 0x28, 0x7f, 0xb4, 0xcd]), "11233QC4");
        assert_eq!(base58(&[]), "");
        assert_eq!(base58(&[0]), "1");
        for bytes in [
            &b"Hello World!"[..],
            &[0, 0, 1, 2, 255],
            &[255; 64],
            &[0; 3],
        ] {
            assert_eq!(from_base58(&base58(bytes)).as_deref(), Some(bytes));
        }
        assert_eq!(from_base58("0OIl"), None);
    }

    #[test]
    fn base64url_round_trips_without_padding() {
        assert_eq!(base64url(b""), "");
        assert_eq!(base64url(b"f"), "Zg");
        assert_eq!(base64url(b"fo"), "Zm8");
        assert_eq!(base64url(b"foo"), "Zm9v");
        assert_eq!(base64url(b"foob"), "Zm9vYg");
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
        for n in 0..40u8 {
            let bytes: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            assert_eq!(from_base64url(&base64url(&bytes)), Some(bytes));
        }
        assert_eq!(from_base64url("Zg=="), None);
        assert_eq!(from_base64url("Z"), None);
        assert_eq!(from_base64url("Zh"), None, "bits past the last byte");
    }

    #[test]
    fn hex_is_lowercase() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
    }
}
