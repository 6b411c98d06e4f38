//! Leaf values: how people write text, dates, email addresses and numbers in cells, and how
//! the library writes them back. Everything above reads and formats values through here.

pub mod date;
pub mod email;
pub mod number;
pub mod text;

/// Trims surrounding whitespace, answering at once for text that starts and ends with a
/// visible ASCII character (nearly every cell).
pub fn trim(text: &str) -> &str {
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(a), Some(b)) if a.is_ascii_graphic() && b.is_ascii_graphic() => text,
        _ => text.trim(),
    }
}

/// A normalised value (as a record holds it) written back as a roster cell would hold it:
/// text as is, numbers in plain notation, booleans `yes`/`no`; `None` for null.
pub fn value_as_cell(value: &serde_json::Value) -> Option<std::borrow::Cow<'_, str>> {
    use std::borrow::Cow;
    match value {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(Cow::Borrowed(s)),
        serde_json::Value::Bool(true) => Some(Cow::Borrowed("yes")),
        serde_json::Value::Bool(false) => Some(Cow::Borrowed("no")),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// A small fixed generator (a linear congruential one), so that tests draw the same values
/// on every run.
#[cfg(test)]
pub(crate) struct Draw(pub(crate) u64);

#[cfg(test)]
impl Draw {
    /// The generator's next state.
    pub(crate) fn step(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0
    }

    /// A number below `below`.
    pub(crate) fn next(&mut self, below: u64) -> u64 {
        (self.step() >> 33) % below.max(1)
    }
}

/// `count` strings of characters drawn from `alphabet` by a fixed generator, each of a length
/// in `lengths`: for tests that hold a fast path to the rules it stands in for.
#[cfg(test)]
pub(crate) fn generated_strings(
    alphabet: &str,
    count: usize,
    lengths: std::ops::RangeInclusive<usize>,
) -> impl Iterator<Item = String> {
    let alphabet: Vec<char> = alphabet.chars().collect();
    let (shortest, span) = (*lengths.start(), lengths.count().max(1));
    let mut draw = Draw(0x9E37_79B9_7F4A_7C15);
    (0..count).map(move |_| {
        let seed = draw.step();
        let len = shortest + (seed >> 59) as usize % span;
        (0..len)
            .map(|i| {
                let pick = (seed >> (i * 5 % 59)) as usize % alphabet.len().max(1);
                alphabet.get(pick).copied().unwrap_or('a')
            })
            .collect()
    })
}
