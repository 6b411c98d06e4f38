//! What reaches a terminal: text from a roster is shown, never obeyed. Escape sequences,
//! other control characters and the bidirectional overrides that reorder what a reader
//! sees are written as visible `\u{...}` escapes.

use std::borrow::Cow;

/// Whether a character would act on the terminal (or on the reading order) instead of
/// showing. Line breaks and tabs count as acting inside a value; `keep_lines` lets a whole
/// block of output keep its own.
fn acts(c: char, keep_lines: bool) -> bool {
    match c {
        '\n' | '\t' => !keep_lines,
        '\u{061C}'
        | '\u{200E}'
        | '\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}' => true,
        c => c.is_control(),
    }
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| acts(c, keep_lines)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if acts(c, keep_lines) {
            out.push_str(&format!("\\u{{{:x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One value (a name, a header, a message) on one line: every acting character escaped,
/// line breaks included.
pub fn value(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// A block of output (a line the CLI composed, an email body): its own line breaks and
/// tabs stay; everything else that would act is escaped.
pub fn block(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

/// Asks `question` on the terminal before a change made in bulk (a publish that emails, a
/// revocation) and reads the answer: `y` or `yes` goes ahead, anything else does not. It
/// goes ahead without asking when `yes` was given (`--yes`) or when standard input is not a
/// terminal, so that scripts and schedulers keep working as before.
pub fn confirm(question: &str, yes: bool) -> std::io::Result<bool> {
    use std::io::{BufRead, IsTerminal, Write};
    if yes || !std::io::stdin().is_terminal() {
        return Ok(true);
    }
    let mut err = std::io::stderr();
    write!(err, "{} [y/N] ", block(question))?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_overrides_are_shown_not_obeyed() {
        assert_eq!(value("Ana López"), "Ana López");
        assert_eq!(value("A\u{1b}[2Jna"), "A\\u{1b}[2Jna");
        assert_eq!(value("x\u{202E}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(value("two\nlines"), "two\\u{a}lines");
        assert_eq!(block("two\nlines\u{7}"), "two\nlines\\u{7}");
    }
}
