//! Email address rules.
//!
//! The rules, in order (the first broken one is reported):
//! 1. Surrounding whitespace (including non-breaking spaces) and a `mailto:` prefix are removed.
//! 2. One address per cell: no `,` `;` or spaces, exactly one `@`.
//! 3. Local part: 1 to 64 bytes of letters, digits and ``!#$%&'*+/=?^_`{|}~.-``, no leading,
//!    trailing or doubled dot. Non-ASCII letters are allowed (internationalised addresses);
//!    quoted local parts are not.
//! 4. Domain: converted to ASCII with IDNA (`bücher.de` is `xn--bcher-kva.de`), at least two
//!    labels of 1 to 63 letters, digits or hyphens not at either end, a top-level label that is
//!    not all digits, at most 253 bytes; no IP literals.
//! 5. The whole address is at most 254 bytes.
//!
//! The normalised form keeps the local part as written and lowercases the domain (in Unicode).
//! Duplicates are compared on the whole address in lowercase.

/// Why an address was rejected, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailProblem {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: &'static str,
}

fn problem(message: impl Into<String>, help: &'static str) -> EmailProblem {
    EmailProblem {
        message: message.into(),
        help,
    }
}

/// Strips what surrounds an address: whitespace and `mailto:`.
#[inline]
pub fn trim(raw: &str) -> &str {
    let plain = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_graphic());
    let t = if plain(raw.as_bytes().first()) && plain(raw.as_bytes().last()) {
        raw
    } else {
        raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '\u{200B}')
    };
    t.strip_prefix("mailto:")
        .or_else(|| t.strip_prefix("MAILTO:"))
        .unwrap_or(t)
}

/// A valid address, borrowed from the cell where possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address<'a> {
    local: &'a str,
    domain: std::borrow::Cow<'a, str>,
}

impl Address<'_> {
    /// The domain in lowercase (Unicode for an internationalised one).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The normalised address: local part as written, domain in lowercase Unicode.
    pub fn normalized(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    /// The parts of [the normalised address](Address::normalized), to be written one after
    /// the other.
    pub fn normalized_parts(&self) -> [&str; 3] {
        [self.local, "@", &self.domain]
    }

    /// The address in ASCII when its local part is ASCII: an internationalised domain in its
    /// `xn--` form, which every mail server accepts without SMTPUTF8. `None` when the local
    /// part itself is not ASCII.
    ///
    /// ```
    /// use conferral::values::email::parse;
    /// let a = parse("jurgen@bücher.de").unwrap();
    /// assert_eq!(a.ascii().as_deref(), Some("jurgen@xn--bcher-kva.de"));
    /// assert_eq!(parse("jürgen@bücher.de").unwrap().ascii(), None);
    /// ```
    pub fn ascii(&self) -> Option<String> {
        if !self.local.is_ascii() {
            return None;
        }
        if self.domain.is_ascii() {
            return Some(self.normalized());
        }
        let domain = idna::domain_to_ascii(&self.domain).ok()?;
        Some(format!("{}@{domain}", self.local))
    }

    /// A 128-bit hash of [`duplicate_key`] of the normalised address, the key duplicates
    /// within a roster are compared on.
    pub fn duplicate_hash(&self) -> u128 {
        let mut buffer = [0u8; 256];
        let total = self.local.len() + 1 + self.domain.len();
        if self.local.is_ascii() && self.domain.is_ascii() && total <= buffer.len() {
            let parts = [self.local.as_bytes(), b"@", self.domain.as_bytes()];
            let mut at = 0;
            for part in parts {
                for (slot, b) in buffer.iter_mut().skip(at).zip(part) {
                    *slot = b.to_ascii_lowercase();
                }
                at += part.len();
            }
            return xxhash_rust::xxh3::xxh3_128(buffer.get(..total).unwrap_or_default());
        }
        // Non-ASCII: lowercase character by character into the buffer; lowercase forms are
        // at most three characters, so a very long address may need a larger one.
        let mut at = 0;
        let mut overflow: Option<String> = None;
        for c in self
            .local
            .chars()
            .chain(std::iter::once('@'))
            .chain(self.domain.chars())
        {
            if c.is_ascii()
                && overflow.is_none()
                && let Some(slot) = buffer.get_mut(at)
            {
                *slot = c.to_ascii_lowercase() as u8;
                at += 1;
                continue;
            }
            let mut push = |lower: char| {
                if let Some(spill) = overflow.as_mut() {
                    spill.push(lower);
                    return;
                }
                let len = lower.len_utf8();
                match buffer.get_mut(at..at + len) {
                    Some(slot) => {
                        lower.encode_utf8(slot);
                        at += len;
                    }
                    None => {
                        let mut spill =
                            String::from_utf8_lossy(buffer.get(..at).unwrap_or_default())
                                .into_owned();
                        spill.push(lower);
                        overflow = Some(spill);
                    }
                }
            };
            match latin1_lower(c) {
                Some(lower) => push(lower),
                None => c.to_lowercase().for_each(push),
            }
        }
        match overflow {
            Some(spill) => xxhash_rust::xxh3::xxh3_128(spill.as_bytes()),
            None => xxhash_rust::xxh3::xxh3_128(buffer.get(..at).unwrap_or_default()),
        }
    }
}

/// Checks an address and returns its normalised form.
pub fn check(raw: &str) -> Result<String, EmailProblem> {
    parse(raw).map(|a| a.normalized())
}

/// Checks an address, borrowing from `raw` where possible.
pub fn parse(raw: &str) -> Result<Address<'_>, EmailProblem> {
    let address = trim(raw);
    match parse_plain(address) {
        Some(plain) => Ok(plain),
        None => parse_general(address),
    }
}

/// Every rule, one at a time, on a trimmed address.
fn parse_general(address: &str) -> Result<Address<'_>, EmailProblem> {
    // One pass over the bytes settles the common case; the character checks run only when
    // it finds something.
    let plain = address
        .bytes()
        .all(|b| b > b' ' && b != 0x7F && b != b',' && b != b';');
    if !plain {
        if address.chars().any(char::is_control) {
            return Err(problem(
                "the address contains a line break, tab or other control character",
                "retype the address; a line break inside a cell often comes from an unclosed quote in the file",
            ));
        }
        if address.contains([',', ';']) || address.chars().any(char::is_whitespace) {
            return Err(problem(
                "the cell holds more than one address or a space",
                "put one address per row, without spaces or a display name",
            ));
        }
    }
    if address.len() > 254 {
        return Err(problem(
            format!(
                "the address is {} characters long; addresses end at 254",
                address.chars().count()
            ),
            "check for two addresses or other text pasted into the cell",
        ));
    }
    let Some((local, domain)) = address.rsplit_once('@') else {
        return Err(problem(
            "the address has no `@`",
            "write it as name@example.org",
        ));
    };
    if local.contains('@') {
        return Err(problem(
            "the address has more than one `@`",
            "write it as name@example.org",
        ));
    }
    if local.is_empty() {
        return Err(problem(
            "the part before `@` is empty",
            "write it as name@example.org",
        ));
    }
    if local.len() > 64 {
        return Err(problem(
            "the part before `@` is longer than 64 characters",
            "check the address",
        ));
    }
    if local.starts_with('"') {
        return Err(problem(
            "quoted addresses are not supported",
            "use an address without quotes",
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || has_doubled_dot(local) {
        return Err(problem(
            "the part before `@` starts or ends with a dot, or has two dots in a row",
            "remove the stray dot",
        ));
    }
    if let Some(bad) = local.chars().find(|&c| !local_char(c)) {
        return Err(problem(
            format!("the part before `@` contains `{bad}`"),
            "remove the character or retype the address",
        ));
    }
    if domain.is_empty() {
        return Err(problem(
            "the part after `@` is empty",
            "add the domain, as in name@example.org",
        ));
    }
    if domain.starts_with('[') {
        return Err(problem(
            "addresses at an IP address are not accepted",
            "use the address with a domain name",
        ));
    }
    // Plain ASCII domains need no IDNA mapping: check the labels as they are.
    if domain.is_ascii()
        && !domain
            .as_bytes()
            .windows(4)
            .any(|w| w.eq_ignore_ascii_case(b"xn--"))
    {
        check_labels(domain, domain)?;
        let domain = if domain.bytes().any(|b| b.is_ascii_uppercase()) {
            std::borrow::Cow::Owned(domain.to_ascii_lowercase())
        } else {
            std::borrow::Cow::Borrowed(domain)
        };
        return Ok(Address { local, domain });
    }
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| {
        problem(
            format!("the domain `{domain}` is not a valid domain name"),
            "check the part after `@` for typos and stray characters",
        )
    })?;
    check_labels(&ascii, domain)?;
    let (unicode, _) = idna::domain_to_unicode(&ascii);
    Ok(Address {
        local,
        domain: std::borrow::Cow::Owned(unicode),
    })
}

/// The lowercase form of a letter of Latin-1 (`À` to `ÿ`), which is one character: the
/// common non-ASCII letters of addresses, without the Unicode tables. `None` for any other
/// character.
fn latin1_lower(c: char) -> Option<char> {
    match c {
        'À'..='Þ' if c != '×' => char::from_u32(u32::from(c) + 0x20),
        'ß'..='ÿ' if c != '÷' => Some(c),
        _ => None,
    }
}

/// Whether a non-ASCII character is a letter or digit (as `char::is_alphanumeric` says), with
/// the Latin letters from `À` to `ɏ` (Latin-1 and Latin Extended-A and -B, every one of them
/// a letter but `×` and `÷`) answered without the Unicode tables.
fn wide_alphanumeric(c: char) -> bool {
    match c {
        'À'..='ɏ' => c != '×' && c != '÷',
        _ => c.is_alphanumeric(),
    }
}

/// Whether an ASCII byte may stand in a local part unquoted (as [`local_char`] says).
const fn plain_local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'!' | b'#'
                | b'$'
                | b'%'
                | b'&'
                | b'\''
                | b'*'
                | b'+'
                | b'/'
                | b'='
                | b'?'
                | b'^'
                | b'_'
                | b'`'
                | b'{'
                | b'|'
                | b'}'
                | b'~'
                | b'.'
                | b'-'
        )
}

/// The common address, checked in one pass over its bytes: a local part of the ASCII
/// characters allowed unquoted and letters or digits of any script, and an ASCII domain of
/// letters, digits and hyphens that is not internationalised. `Some` only for an address
/// the full rules accept as the same [`Address`]; `None` leaves it to them (and to their
/// wording of whatever is wrong).
fn parse_plain(address: &str) -> Option<Address<'_>> {
    let bytes = address.as_bytes();
    if bytes.len() > 254 {
        return None;
    }
    let at = memchr::memchr(b'@', bytes)?;
    let (local, domain) = (bytes.get(..at)?, bytes.get(at + 1..)?);
    if local.is_empty() || local.len() > 64 || domain.is_empty() || domain.len() > 253 {
        return None;
    }
    // No leading, trailing or doubled dot; `@` is not a plain byte, so there is one. Bytes
    // of non-ASCII characters are let through here and their characters checked after.
    let (mut after_dot, mut wide) = (true, false);
    for &b in local {
        if b >= 0x80 {
            wide = true;
            after_dot = false;
            continue;
        }
        if !plain_local_byte(b) {
            return None;
        }
        let dot = b == b'.';
        if dot && after_dot {
            return None;
        }
        after_dot = dot;
    }
    if after_dot {
        return None;
    }
    if wide
        && !address
            .get(..at)?
            .chars()
            .all(|c| c.is_ascii() || wide_alphanumeric(c))
    {
        return None;
    }
    let (mut labels, mut label, mut upper, mut digits_only) = (1, 0usize, false, true);
    let mut previous = b'.';
    for &b in domain {
        match b {
            b'a'..=b'z' => digits_only = false,
            b'A'..=b'Z' => (upper, digits_only) = (true, false),
            b'0'..=b'9' => {}
            b'-' if label > 0 => digits_only = false,
            b'.' if label > 0 && previous != b'-' => {
                labels += 1;
                label = 0;
                digits_only = true;
                previous = b;
                continue;
            }
            _ => return None,
        }
        label += 1;
        if label > 63 {
            return None;
        }
        previous = b;
    }
    // An empty or hyphen-ended last label, one label only, a numeric top-level label, or
    // an `xn--` label (IDNA's business) is for the full rules.
    if label == 0 || previous == b'-' || labels < 2 || digits_only {
        return None;
    }
    if domain.windows(4).any(|w| w.eq_ignore_ascii_case(b"xn--")) {
        return None;
    }
    let (local, domain) = (address.get(..at)?, address.get(at + 1..)?);
    let domain = if upper {
        std::borrow::Cow::Owned(domain.to_ascii_lowercase())
    } else {
        std::borrow::Cow::Borrowed(domain)
    };
    Some(Address { local, domain })
}

/// Letters and digits of any script, and the ASCII punctuation RFC 5322 allows unquoted.
/// Whether two dots stand in a row; a plain loop, as a substring search costs a library call
/// per address on this hot path.
fn has_doubled_dot(text: &str) -> bool {
    let mut previous_dot = false;
    for &b in text.as_bytes() {
        let dot = b == b'.';
        if dot && previous_dot {
            return true;
        }
        previous_dot = dot;
    }
    false
}

fn local_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
            || matches!(
                c,
                '!' | '#'
                    | '$'
                    | '%'
                    | '&'
                    | '\''
                    | '*'
                    | '+'
                    | '/'
                    | '='
                    | '?'
                    | '^'
                    | '_'
                    | '`'
                    | '{'
                    | '|'
                    | '}'
                    | '~'
                    | '.'
                    | '-'
            )
    } else {
        c.is_alphanumeric()
    }
}

/// Checks the labels of an ASCII domain; `shown` is the domain as written, for messages.
fn check_labels(ascii: &str, shown: &str) -> Result<(), EmailProblem> {
    if ascii.len() > 253 {
        return Err(problem(
            "the domain is longer than 253 characters",
            "check the part after `@`",
        ));
    }
    let mut labels = 0;
    let mut last = "";
    for label in ascii.split('.') {
        labels += 1;
        last = label;
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(problem(
                format!("the domain `{shown}` has an empty or malformed part"),
                "check the part after `@` for doubled dots and stray characters",
            ));
        }
    }
    if labels < 2 {
        return Err(problem(
            format!("the domain `{shown}` has no dot"),
            "write the full domain, as in example.org",
        ));
    }
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(problem(
            format!("the domain `{shown}` ends in a number"),
            "check the part after `@`",
        ));
    }
    Ok(())
}

/// Misspellings of the domains of the largest mail providers, each with the domain meant.
///
/// A short, fixed list rather than a distance to known domains: every entry is a typo seen
/// often in sign-up forms, so a real domain that merely looks like a provider's (a company's
/// `gmx-mail.com`, say) is never "corrected". Kept sorted, so it can be searched.
pub const PROVIDER_TYPOS: [(&str, &str); 40] = [
    ("aol.co", "aol.com"),
    ("gamil.com", "gmail.com"),
    ("gmai.com", "gmail.com"),
    ("gmaik.com", "gmail.com"),
    ("gmail.cm", "gmail.com"),
    ("gmail.co", "gmail.com"),
    ("gmaill.com", "gmail.com"),
    ("gmal.com", "gmail.com"),
    ("gmali.com", "gmail.com"),
    ("gmaul.com", "gmail.com"),
    ("gmial.com", "gmail.com"),
    ("gmil.com", "gmail.com"),
    ("gnail.com", "gmail.com"),
    ("homail.com", "hotmail.com"),
    ("hotamil.com", "hotmail.com"),
    ("hotmai.com", "hotmail.com"),
    ("hotmail.co", "hotmail.com"),
    ("hotmaill.com", "hotmail.com"),
    ("hotmal.com", "hotmail.com"),
    ("hotmali.com", "hotmail.com"),
    ("hotmial.com", "hotmail.com"),
    ("hotmil.com", "hotmail.com"),
    ("hotnail.com", "hotmail.com"),
    ("iclod.com", "icloud.com"),
    ("icloud.co", "icloud.com"),
    ("icloude.com", "icloud.com"),
    ("icoud.com", "icloud.com"),
    ("oulook.com", "outlook.com"),
    ("outllok.com", "outlook.com"),
    ("outlok.com", "outlook.com"),
    ("outloo.com", "outlook.com"),
    ("outlook.co", "outlook.com"),
    ("outlool.com", "outlook.com"),
    ("yahho.com", "yahoo.com"),
    ("yaho.com", "yahoo.com"),
    ("yahoo.cm", "yahoo.com"),
    ("yahoo.co", "yahoo.com"),
    ("yahooo.com", "yahoo.com"),
    ("yaoo.com", "yahoo.com"),
    ("yhaoo.com", "yahoo.com"),
];

/// Misspelt top-level domains, each with the one meant. None of them is a top-level domain
/// of the root zone, so an address ending in one cannot be delivered as written (`.co`,
/// `.cm` and `.om` are real countries' and are not listed). Each is at most four letters.
pub const TLD_TYPOS: [(&str, &str); 14] = [
    ("cmo", "com"),
    ("cim", "com"),
    ("coom", "com"),
    ("comm", "com"),
    ("con", "com"),
    ("cpm", "com"),
    ("ocm", "com"),
    ("vom", "com"),
    ("xom", "com"),
    ("nte", "net"),
    ("nett", "net"),
    ("ogr", "org"),
    ("orgg", "org"),
    ("rog", "org"),
];

/// The domain meant by a misspelt one (lowercase ASCII, as [`Address::domain`] gives it):
/// a misspelt top-level domain is corrected first (`gmail.con`), then the whole domain is
/// looked up among the providers' misspellings (`gmial.com`, also `gmial.con`). `None` when
/// neither table knows it.
///
/// ```
/// use conferral::values::email::corrected_domain;
/// assert_eq!(corrected_domain("gmial.com").as_deref(), Some("gmail.com"));
/// assert_eq!(corrected_domain("example.con").as_deref(), Some("example.com"));
/// assert_eq!(corrected_domain("hotmial.con").as_deref(), Some("hotmail.com"));
/// assert_eq!(corrected_domain("gmail.com"), None);
/// assert_eq!(corrected_domain("example.co"), None);
/// ```
pub fn corrected_domain(domain: &str) -> Option<String> {
    let dot = memchr::memrchr(b'.', domain.as_bytes())?;
    let (head, tld) = (domain.get(..dot)?, domain.get(dot + 1..)?);
    // Top-level domains are compared as numbers: no library call per address.
    let tld_fixed = short_key(tld).and_then(|key| {
        TLD_TYPOS
            .iter()
            .find(|(typo, _)| short_key(typo) == Some(key))
            .map(|(_, meant)| format!("{head}.{meant}"))
    });
    let whole = tld_fixed.as_deref().unwrap_or(domain);
    // Asked of every address: most domains are passed over on their length and first letter.
    let first = whole.as_bytes().first().copied().unwrap_or_default();
    let listed = PROVIDER_GATE
        .get(whole.len())
        .is_some_and(|letters| letters & letter_bit(first) != 0);
    let provider = listed
        .then(|| {
            PROVIDER_TYPOS
                .binary_search_by(|(typo, _)| (*typo).cmp(whole))
                .ok()
        })
        .flatten()
        .and_then(|i| PROVIDER_TYPOS.get(i))
        .map(|(_, meant)| (*meant).to_owned());
    provider.or(tld_fixed)
}

/// Text of at most four bytes as one number (its length in the top bits), for comparing
/// top-level domains; `None` for longer text, which no listed misspelling is.
fn short_key(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    (bytes.len() <= 4).then(|| {
        bytes
            .iter()
            .fold(bytes.len() as u64, |key, &b| (key << 8) | u64::from(b))
    })
}

/// The bit of a lowercase ASCII letter in a set of letters (no bit for anything else).
const fn letter_bit(byte: u8) -> u32 {
    if byte.is_ascii_lowercase() {
        1 << (byte - b'a')
    } else {
        0
    }
}

/// For each length, the first letters of [`PROVIDER_TYPOS`] of that length.
#[expect(
    clippy::indexing_slicing,
    reason = "evaluated when the crate builds: an index out of bounds fails the build"
)]
const PROVIDER_GATE: [u32; 16] = {
    let mut gate = [0u32; 16];
    let mut i = 0;
    while i < PROVIDER_TYPOS.len() {
        let typo = PROVIDER_TYPOS[i].0.as_bytes();
        if typo.len() < gate.len() {
            gate[typo.len()] |= letter_bit(typo[0]);
        }
        i += 1;
    }
    gate
};

/// A valid address whose domain is a common misspelling, written with the domain meant:
/// the part before `@` as written, surrounding blanks and `mailto:` removed. `None` for an
/// address that is not valid in shape, or whose domain no table lists.
///
/// ```
/// use conferral::values::email::with_corrected_domain;
/// assert_eq!(with_corrected_domain(" Ana.Lopez@GMIAL.com").as_deref(), Some("Ana.Lopez@gmail.com"));
/// assert_eq!(with_corrected_domain("bo@gmial"), None); // not an address: no dot in the domain
/// assert_eq!(with_corrected_domain("bo@museum.example"), None);
/// ```
pub fn with_corrected_domain(raw: &str) -> Option<String> {
    parse(raw).ok().as_ref().and_then(corrected)
}

/// A valid address with its domain corrected as [`with_corrected_domain`] does; `None` when
/// its domain is not a listed misspelling.
pub fn corrected(address: &Address<'_>) -> Option<String> {
    // Only plain ASCII domains are listed; anything else is left alone at once.
    if !address.domain.is_ascii() {
        return None;
    }
    let meant = corrected_domain(&address.domain)?;
    Some(format!("{}@{meant}", address.local))
}

/// The key recipients are compared on, the one definition of "the same recipient": the
/// address without surrounding whitespace, in lowercase. [`Address::duplicate_hash`] hashes
/// the same key without allocating; stores index credentials by it.
///
/// ```
/// use conferral::values::email::duplicate_key;
/// assert_eq!(duplicate_key(" Ana.Lopez@Example.org"), duplicate_key("ana.lopez@example.ORG"));
/// ```
pub fn duplicate_key(address: &str) -> String {
    address.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises() {
        assert_eq!(
            check("  Ana.Lopez@Example.ORG\u{a0}"),
            Ok("Ana.Lopez@example.org".to_owned())
        );
        assert_eq!(
            check("mailto:x+tag@sub.example.co.uk"),
            Ok("x+tag@sub.example.co.uk".to_owned())
        );
        assert_eq!(check("jürgen@BÜCHER.de"), Ok("jürgen@bücher.de".to_owned()));
        assert_eq!(
            check("o'neil@xn--bcher-kva.de"),
            Ok("o'neil@bücher.de".to_owned())
        );
    }

    #[test]
    fn rejects_with_reasons() {
        for bad in [
            "john.smith@",
            "@x.org",
            "a@@x.org",
            "a@x",
            "a..b@x.org",
            ".a@x.org",
            "a b@x.org",
            "a@x.org; b@y.org",
            "a@[127.0.0.1]",
            "a@-x.org",
            "a@x.123",
            "\"a\"@x.org",
            "a@x..org",
            "a\r\nb@x.org",
            "a<b@x.org",
            "Ann <a@x.org>",
        ] {
            assert!(check(bad).is_err(), "{bad} should be rejected");
        }
        assert!(check("john.smith@").is_err_and(|p| p.message.contains("after `@`")));
    }

    #[test]
    fn typo_tables_are_sorted_lowercase_and_never_map_to_a_typo() {
        let typos: Vec<&str> = PROVIDER_TYPOS.iter().map(|(t, _)| *t).collect();
        let mut sorted = typos.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(typos, sorted, "PROVIDER_TYPOS must be sorted and unique");
        for (typo, meant) in PROVIDER_TYPOS.iter().chain(TLD_TYPOS.iter()) {
            assert_eq!(*typo, typo.to_ascii_lowercase());
            assert_ne!(typo, meant);
            assert!(
                corrected_domain(meant).is_none() || !meant.contains('.'),
                "{meant}"
            );
        }
        // The gate lets every listed misspelling through.
        for (typo, meant) in PROVIDER_TYPOS {
            assert_eq!(corrected_domain(typo).as_deref(), Some(meant), "{typo}");
        }
        assert!(TLD_TYPOS.iter().all(|(t, _)| short_key(t).is_some()));
        // Real top-level domains are never taken for typos.
        for real in ["co", "cm", "om", "ne", "or", "net", "org", "com", "io"] {
            assert!(TLD_TYPOS.iter().all(|(t, _)| *t != real), "{real}");
        }
    }

    #[test]
    fn only_valid_addresses_with_a_listed_domain_are_corrected() {
        let fixed = |s: &str| with_corrected_domain(s);
        assert_eq!(fixed("ana@hotmial.com").as_deref(), Some("ana@hotmail.com"));
        assert_eq!(
            fixed("mailto:ana@Yahoo.CON").as_deref(),
            Some("ana@yahoo.com")
        );
        assert_eq!(
            fixed("ana@school.edu.comm").as_deref(),
            Some("ana@school.edu.com")
        );
        // Valid unusual domains, subdomains and real country domains stay as they are.
        for kept in [
            "ana@gmail.com",
            "ana@mail.gmial.com.au",
            "ana@gmx.de",
            "ana@example.co",
            "ana@bücher.con",
            "ana@proton.me",
            "ana@gmail.company",
        ] {
            assert_eq!(fixed(kept), None, "{kept}");
        }
        // Not an address in shape: nothing is suggested.
        for broken in [
            "ana@@gmial.com",
            "ana gmial.com",
            "@gmial.com",
            "ana@gmial..com",
        ] {
            assert_eq!(fixed(broken), None, "{broken}");
        }
    }

    #[test]
    fn the_latin_shortcuts_agree_with_the_unicode_tables() {
        for c in ('\u{80}'..='\u{2FF}').chain(['Ÿ', 'ſ', 'ẞ', 'Ω', '٣', '€']) {
            assert_eq!(wide_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
            if let Some(lower) = latin1_lower(c) {
                assert_eq!(c.to_lowercase().collect::<Vec<_>>(), vec![lower], "{c:?}");
                assert!(c.is_alphabetic(), "{c:?}");
            }
        }
        assert_eq!(latin1_lower('Ü'), Some('ü'));
        assert_eq!(latin1_lower('ß'), Some('ß'));
        assert_eq!(latin1_lower('×'), None);
        assert_eq!(latin1_lower('Ā'), None);
        let letters = ('À'..='ÿ').filter(|c| latin1_lower(*c).is_some()).count();
        assert_eq!(letters, 62);
    }

    #[test]
    fn the_plain_path_accepts_only_what_the_full_rules_accept_alike() {
        // Strings from an alphabet of the characters the rules care about, by a fixed
        // generator: every address the one-pass check accepts must be accepted alike by the
        // full rules (which it otherwise skips).
        let alphabet = "aZ09.-@_+!\"[];, é\tXn--Ü€\u{301}\u{a0}\u{2028}ß";
        let mut accepted = 0;
        for text in crate::values::generated_strings(alphabet, 200_000, 3..=34) {
            for candidate in [
                text.clone(),
                format!("a{text}@b.org"),
                format!("x@{text}.com"),
            ] {
                let address = trim(&candidate);
                if let Some(plain) = parse_plain(address) {
                    accepted += 1;
                    let full = full_rules(address);
                    assert_eq!(full.as_ref().ok(), Some(&plain), "{candidate:?}");
                }
            }
        }
        assert!(accepted > 1_000, "the plain path took {accepted} addresses");
        // Each part within its own limit, the whole address over 254: the full rules say so.
        let long = format!(
            "{}@{}.org",
            "a".repeat(64),
            vec!["b".repeat(62); 3].join(".")
        );
        assert!(long.len() > 254);
        assert_eq!(parse_plain(&long), None);
        assert!(full_rules(&long).is_err());
        for plain in [
            "Ann.Lee+tag@Example.ORG",
            "o'brien@mail-1.example.co.uk",
            "x@a.b9",
            "jürgen@b.org",
            "Léa.Kowalski2@Example.org",
            "δοκιμή@example.gr",
        ] {
            assert_eq!(parse_plain(plain), full_rules(plain).ok(), "{plain}");
            assert!(parse_plain(plain).is_some(), "{plain}");
        }
        for other in [
            "a@b",
            "a@b.123",
            "a@-b.org",
            "a@b-.org",
            "a..b@c.org",
            ".a@c.org",
            "a@xn--bcher-kva.de",
            "a@b..org",
            "a@b.org.",
            "a@b@c.org",
            "jürgen@bücher.de",
            "e\u{301}@b.org",
            "a\u{a0}b@c.org",
            "a€@b.org",
        ] {
            assert_eq!(parse_plain(other), None, "{other}");
        }
    }

    /// [`parse`] without its one-pass check.
    fn full_rules(address: &str) -> Result<Address<'_>, EmailProblem> {
        parse_general(address)
    }

    #[test]
    fn duplicate_hashes_ignore_case_on_both_paths() {
        let h = |s: &str| parse(s).map(|a| a.duplicate_hash()).unwrap_or_default();
        assert_eq!(h("Ana.Lopez@Example.org"), h("ana.lopez@EXAMPLE.ORG"));
        assert_eq!(h("Jürgen@Bücher.de"), h("jürgen@BÜCHER.DE"));
        assert_ne!(h("ana@example.org"), h("ana2@example.org"));
    }

    #[test]
    fn the_duplicate_hash_is_the_hash_of_the_duplicate_key() {
        for raw in [
            "Ana.Lopez@Example.org",
            "jürgen@BÜCHER.de",
            "ÉLODIE@exemple.fr",
            "o'neil@xn--bcher-kva.de",
        ] {
            let address = parse(raw).unwrap();
            let key = duplicate_key(&address.normalized());
            assert_eq!(
                address.duplicate_hash(),
                xxhash_rust::xxh3::xxh3_128(key.as_bytes()),
                "{raw}"
            );
        }
    }
}
