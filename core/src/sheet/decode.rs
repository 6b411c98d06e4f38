//! Turning the bytes of a text file into text without losing or inventing characters.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// A text encoding conferral recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TextEncoding {
    /// UTF-8.
    #[serde(rename = "UTF-8")]
    Utf8,
    /// UTF-16, little endian.
    #[serde(rename = "UTF-16LE")]
    Utf16Le,
    /// UTF-16, big endian.
    #[serde(rename = "UTF-16BE")]
    Utf16Be,
    /// Windows-1252 (a superset of ISO-8859-1), the usual encoding of CSVs saved by Excel on Windows.
    #[serde(rename = "windows-1252")]
    Windows1252,
}

impl TextEncoding {
    /// The name used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }
}

/// Text decoded from a file, and how.
#[derive(Debug, Clone)]
pub struct Decoded<'a> {
    /// The text, without a byte order mark.
    pub text: Cow<'a, str>,
    /// The encoding used.
    pub encoding: TextEncoding,
    /// Whether the file started with a byte order mark.
    pub bom: bool,
    /// The 1-based lines holding bytes that are not UTF-8, which were read as Windows-1252
    /// (the first [`MAX_LISTED_LINES`]). With [`TextEncoding::Windows1252`] the whole file
    /// was read so; with [`TextEncoding::Utf8`] only those bytes were, in a UTF-8 file that a
    /// Windows tool added lines to.
    pub fallback_lines: Vec<usize>,
    /// How many lines hold bytes that are not UTF-8.
    pub fallback_line_count: usize,
    /// Number of malformed UTF-16 units replaced by U+FFFD (reported as a finding).
    pub replaced: usize,
}

/// Decodes text, choosing the encoding from a byte order mark, from the pattern of zero bytes
/// (UTF-16 without a mark), by strict UTF-8, and otherwise falling back to Windows-1252.
///
/// # Errors
/// [`ErrorKind::UnsupportedFormat`] when the bytes are binary (zero bytes outside UTF-16).
pub fn decode(bytes: &[u8]) -> Result<Decoded<'_>> {
    match reading(bytes) {
        Reading::Utf8(text, bom) => Ok(utf8_or_fallback(text, bom)),
        Reading::Utf16(text, encoding, bom) => Ok(utf16(text, encoding, bom)),
        Reading::Binary => Err(Error::new(
            ErrorKind::UnsupportedFormat,
            "the file is neither a workbook nor text (it contains binary data); upload a CSV, XLSX, XLS, XLSB or ODS file",
        )),
    }
}

/// How [`decode`] reads a text, which its first [`START_BYTES`] bytes decide: each way with
/// the text after its byte order mark, and whether it had one.
enum Reading<'b> {
    /// As UTF-8, or as Windows-1252 where it is not (which depends on every byte).
    Utf8(&'b [u8], bool),
    Utf16(&'b [u8], TextEncoding, bool),
    /// Not at all: it is binary.
    Binary,
}

fn reading(bytes: &[u8]) -> Reading<'_> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return Reading::Utf8(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return Reading::Utf16(rest, TextEncoding::Utf16Le, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return Reading::Utf16(rest, TextEncoding::Utf16Be, true);
    }
    if let Some(encoding) = sniff_utf16(bytes) {
        return Reading::Utf16(bytes, encoding, false);
    }
    if looks_binary(bytes) {
        return Reading::Binary;
    }
    Reading::Utf8(bytes, false)
}

/// The bytes at the start of a text that decide how [`decode`] reads it.
pub(crate) const START_BYTES: usize = 8192;

/// Whether [`decode`] reads a text starting with `start` (its first [`START_BYTES`] bytes
/// at least, or all of it) as UTF-8 rather than UTF-16, and does not refuse it as binary:
/// then the text without its byte order mark, and whether it had one. Whether it is then
/// read as UTF-8 or falls back to Windows-1252 depends on every byte.
pub(crate) fn utf8_start(start: &[u8]) -> Option<(&[u8], bool)> {
    match reading(start) {
        Reading::Utf8(text, bom) => Some((text, bom)),
        Reading::Utf16(..) | Reading::Binary => None,
    }
}

/// Lines with bytes that are not UTF-8 listed in [`Decoded::fallback_lines`].
pub const MAX_LISTED_LINES: usize = 10;

fn utf8_or_fallback(bytes: &[u8], bom: bool) -> Decoded<'_> {
    // The SIMD check answers valid files fast.
    if let Ok(text) = simdutf8::basic::from_utf8(bytes) {
        return Decoded {
            text: Cow::Borrowed(text),
            encoding: TextEncoding::Utf8,
            bom,
            fallback_lines: Vec::new(),
            fallback_line_count: 0,
            replaced: 0,
        };
    }
    let mixed = Mixed::scan(bytes);
    // A Windows-1252 file rarely holds byte pairs that happen to be valid UTF-8 (a capital
    // letter before a symbol, `Ã©`); a UTF-8 file with lines from a Windows tool holds many.
    let utf8 = mixed.utf8_sequences > 0 && mixed.utf8_sequences * 4 >= mixed.bad_bytes;
    let (text, encoding) = if utf8 {
        (mixed.text, TextEncoding::Utf8)
    } else {
        // WHATWG windows-1252 maps every byte to a character, so this never replaces.
        let (text, _, _) = encoding_rs::WINDOWS_1252.decode(bytes);
        (text.into_owned(), TextEncoding::Windows1252)
    };
    Decoded {
        text: Cow::Owned(text),
        encoding,
        bom,
        fallback_lines: mixed.lines,
        fallback_line_count: mixed.line_count,
        replaced: 0,
    }
}

/// Text that is UTF-8 where the bytes are, and Windows-1252 byte by byte where they are not.
struct Mixed {
    text: String,
    /// Valid multi-byte UTF-8 sequences.
    utf8_sequences: usize,
    /// Bytes that are not UTF-8.
    bad_bytes: usize,
    lines: Vec<usize>,
    line_count: usize,
}

impl Mixed {
    fn scan(bytes: &[u8]) -> Mixed {
        let mut out = Mixed {
            text: String::with_capacity(bytes.len() + bytes.len() / 8),
            utf8_sequences: 0,
            bad_bytes: 0,
            lines: Vec::new(),
            line_count: 0,
        };
        let (mut rest, mut line, mut last_line) = (bytes, 1usize, 0usize);
        while !rest.is_empty() {
            let (good, bad) = match std::str::from_utf8(rest) {
                Ok(text) => (text, 0),
                Err(e) => {
                    let good = rest.get(..e.valid_up_to()).unwrap_or_default();
                    // A sequence cut short by the end of the file is as foreign as a bad byte.
                    let bad = e.error_len().unwrap_or(rest.len() - e.valid_up_to());
                    (std::str::from_utf8(good).unwrap_or_default(), bad)
                }
            };
            out.text.push_str(good);
            out.utf8_sequences += good.bytes().filter(|&b| b >= 0xC0).count();
            line += memchr::memchr_iter(b'\n', good.as_bytes()).count();
            let foreign = rest.get(good.len()..good.len() + bad).unwrap_or_default();
            if !foreign.is_empty() {
                let (decoded, _, _) = encoding_rs::WINDOWS_1252.decode(foreign);
                out.text.push_str(&decoded);
                out.bad_bytes += foreign.len();
                if last_line != line {
                    last_line = line;
                    out.line_count += 1;
                    if out.lines.len() < MAX_LISTED_LINES {
                        out.lines.push(line);
                    }
                }
            }
            rest = rest.get(good.len() + bad..).unwrap_or_default();
        }
        out
    }
}

fn utf16(bytes: &[u8], encoding: TextEncoding, bom: bool) -> Decoded<'_> {
    let codec = match encoding {
        TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
        _ => encoding_rs::UTF_16LE,
    };
    let (text, had_errors) = codec.decode_without_bom_handling(bytes);
    let replaced = if had_errors {
        text.chars().filter(|&c| c == '\u{FFFD}').count()
    } else {
        0
    };
    Decoded {
        text: Cow::Owned(text.into_owned()),
        encoding,
        bom,
        fallback_lines: Vec::new(),
        fallback_line_count: 0,
        replaced,
    }
}

/// Binary data is full of control bytes; text has at most a stray one.
fn looks_binary(bytes: &[u8]) -> bool {
    let sample = bytes.get(..bytes.len().min(START_BYTES)).unwrap_or(bytes);
    let controls = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C))
        .count();
    controls * 20 > sample.len()
}

/// UTF-16 without a byte order mark shows as a zero in every other byte for Latin text.
fn sniff_utf16(bytes: &[u8]) -> Option<TextEncoding> {
    let sample = bytes.get(..bytes.len().min(4096) & !1)?;
    if sample.len() < 4 {
        return None;
    }
    let pairs = sample.len() / 2;
    let (mut even_zero, mut odd_zero) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        if let [a, b] = pair {
            even_zero += usize::from(*a == 0);
            odd_zero += usize::from(*b == 0);
        }
    }
    if odd_zero * 10 >= pairs * 7 && even_zero * 10 <= pairs {
        Some(TextEncoding::Utf16Le)
    } else if even_zero * 10 >= pairs * 7 && odd_zero * 10 <= pairs {
        Some(TextEncoding::Utf16Be)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(text: &str, le: bool) -> Vec<u8> {
        text.encode_utf16()
            .flat_map(|u| if le { u.to_le_bytes() } else { u.to_be_bytes() })
            .collect()
    }

    #[test]
    fn boms_and_sniffing() -> Result<()> {
        let d = decode(b"\xEF\xBB\xBFname\n")?;
        assert_eq!(
            (d.text.as_ref(), d.encoding, d.bom),
            ("name\n", TextEncoding::Utf8, true)
        );
        let mut le = vec![0xFF, 0xFE];
        le.extend(enc("Zoë;mail\r\n", true));
        let d = decode(&le)?;
        assert_eq!(
            (d.text.as_ref(), d.encoding),
            ("Zoë;mail\r\n", TextEncoding::Utf16Le)
        );
        let be = enc("name,email\nZoë,z@x.org\n", false);
        let d = decode(&be)?;
        assert_eq!(
            (d.text.as_ref(), d.encoding, d.bom),
            ("name,email\nZoë,z@x.org\n", TextEncoding::Utf16Be, false)
        );
        Ok(())
    }

    #[test]
    fn windows_1252_fallback_names_the_line() -> Result<()> {
        let d = decode(b"name\nZo\xEB M\xFCller\n")?;
        assert_eq!(d.text.as_ref(), "name\nZoë Müller\n");
        assert_eq!(
            (d.encoding, d.fallback_lines, d.fallback_line_count),
            (TextEncoding::Windows1252, vec![2], 1)
        );
        assert!(!d.text.contains('\u{FFFD}'));
        Ok(())
    }

    #[test]
    fn utf8_with_windows_1252_lines_keeps_both() -> Result<()> {
        let d = decode("name\nZoë Müller\nJürgen\n".as_bytes())?;
        assert_eq!(d.encoding, TextEncoding::Utf8);
        let mut bytes = "name\nZoë Müller\nJürgen Groß\n".as_bytes().to_vec();
        bytes.extend(b"Fran\xE7ois\nJos\xE9 \xC0\n\xFF");
        let d = decode(&bytes)?;
        assert_eq!(
            d.text.as_ref(),
            "name\nZoë Müller\nJürgen Groß\nFrançois\nJosé À\nÿ"
        );
        assert_eq!(
            (d.encoding, d.fallback_lines, d.fallback_line_count),
            (TextEncoding::Utf8, vec![4, 5, 6], 3)
        );
        Ok(())
    }

    #[test]
    fn a_windows_1252_file_with_a_pair_that_looks_like_utf8_stays_windows_1252() -> Result<()> {
        // `Ã©` is C3 A9, which is also UTF-8 for é; the other accents are not UTF-8.
        let d = decode(b"name\nM\xFCller\nG\xF6\xDFe\nRen\xE9e\nCaf\xE9\nL\xE9a\nA\xC3\xA9\n")?;
        assert_eq!(d.encoding, TextEncoding::Windows1252);
        assert!(d.text.ends_with("AÃ©\n"));
        Ok(())
    }

    #[test]
    fn a_stray_nul_is_text_but_binary_is_refused() {
        assert!(decode(b"name,email\nA\x00,a@b.org\n").is_ok());
        assert_eq!(
            decode(b"\x01\x02\x00\x05\xff\x00\x00\x13")
                .map(|_| ())
                .map_err(|e| e.kind()),
            Err(ErrorKind::UnsupportedFormat)
        );
    }
}
