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
pub fn trim(raw: &str) -> &str {
    let t = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{FEFF}' || c == '\u{200B}');
    t.strip_prefix("mailto:")
        .or_else(|| t.strip_prefix("MAILTO:"))
        .unwrap_or(t)
}

/// Checks an address and returns its normalised form.
pub fn check(raw: &str) -> Result<String, EmailProblem> {
    let address = trim(raw);
    if address.len() > 254 {
        return Err(problem(
            format!(
                "the address is {} characters long; addresses end at 254",
                address.chars().count()
            ),
            "check for two addresses or other text pasted into the cell",
        ));
    }
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
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        return Err(problem(
            "the part before `@` starts or ends with a dot, or has two dots in a row",
            "remove the stray dot",
        ));
    }
    if let Some(bad) = local
        .chars()
        .find(|&c| !(c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c)))
    {
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
    let ascii = idna::domain_to_ascii_strict(domain).map_err(|_| {
        problem(
            format!("the domain `{domain}` is not a valid domain name"),
            "check the part after `@` for typos and stray characters",
        )
    })?;
    if ascii.len() > 253 {
        return Err(problem(
            "the domain is longer than 253 characters",
            "check the part after `@`",
        ));
    }
    let labels: Vec<&str> = ascii.split('.').collect();
    if labels.len() < 2 {
        return Err(problem(
            format!("the domain `{domain}` has no dot"),
            "write the full domain, as in example.org",
        ));
    }
    for label in &labels {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !ok {
            return Err(problem(
                format!("the domain `{domain}` has an empty or malformed part"),
                "check the part after `@` for doubled dots and stray characters",
            ));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(problem(
            format!("the domain `{domain}` ends in a number"),
            "check the part after `@`",
        ));
    }
    let (unicode, _) = idna::domain_to_unicode(&ascii);
    Ok(format!("{local}@{unicode}"))
}

/// The key duplicates are compared on: the normalised address in lowercase.
pub fn duplicate_key(normalized: &str) -> String {
    normalized.to_lowercase()
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
}
