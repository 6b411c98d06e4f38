//! Finding the delimiter of a CSV by how consistently each candidate splits the rows.

use serde::{Deserialize, Serialize};

/// Delimiters tried, in order of preference when scores tie.
pub const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];

/// Line ending found in a CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LineEnding {
    /// `\r\n`.
    Crlf,
    /// `\n`.
    Lf,
    /// `\r` alone (classic Mac).
    Cr,
    /// A single line without a terminator.
    None,
}

/// The dialect of a CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dialect {
    /// Field delimiter.
    pub delimiter: u8,
    /// Line ending of the first line.
    pub line_ending: LineEnding,
    /// Whether the file starts with Excel's `sep=X` line (which is then skipped).
    pub sep_line: bool,
}

/// The start of a text that sniffing reads.
pub(crate) const SAMPLE_BYTES: usize = 256 * 1024;
const SAMPLE_RECORDS: usize = 200;

/// Sniffs the dialect from the start of the text.
pub fn sniff(text: &str) -> Dialect {
    let line_ending = line_ending(text);
    if let Some(delimiter) = sep_line(text) {
        return Dialect {
            delimiter,
            line_ending,
            sep_line: true,
        };
    }
    let mut cut = text.len().min(SAMPLE_BYTES);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let sample = text.get(..cut).unwrap_or(text);
    let truncated = cut < text.len();
    let mut best = (b',', 0usize, 0usize);
    let mut tab = (0usize, 0usize);
    for delimiter in CANDIDATES {
        let (matching, width) = consistency(sample, delimiter, truncated);
        if delimiter == b'\t' {
            tab = (matching, width);
        }
        if width >= 2 && (matching, width) > (best.1, best.2) {
            best = (delimiter, matching, width);
        }
    }
    // Values hold commas far more often than tabs ("3/1/26, 9:00 AM", "Lopez, Ana"): in a
    // tab-separated export they make fewer, narrower comma "rows" agree. A tab that splits as
    // many cells in all as the winner does is the delimiter.
    if best.0 != b'\t' && tab.1 >= 2 && tab.0 >= 2 && tab.0 * tab.1 >= best.1 * best.2 {
        best = (b'\t', tab.0, tab.1);
    }
    Dialect {
        delimiter: best.0,
        line_ending,
        sep_line: false,
    }
}

/// How many sampled records share the most common field count (of at least two), and that count.
fn consistency(sample: &str, delimiter: u8, truncated: bool) -> (usize, usize) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(sample.as_bytes());
    let mut counts: Vec<usize> = Vec::new();
    let mut record = csv::ByteRecord::new();
    while counts.len() < SAMPLE_RECORDS {
        match reader.read_byte_record(&mut record) {
            Ok(true) => counts.push(record.len()),
            Ok(false) | Err(_) => break,
        }
    }
    if truncated {
        // The last record of a cut sample may be incomplete.
        counts.pop();
    }
    let mut tally: Vec<(usize, usize)> = Vec::new();
    for &count in counts.iter().filter(|&&c| c >= 2) {
        match tally.iter_mut().find(|(c, _)| *c == count) {
            Some((_, n)) => *n += 1,
            None => tally.push((count, 1)),
        }
    }
    tally
        .into_iter()
        .map(|(count, n)| (n, count))
        .max()
        .unwrap_or((0, 0))
}

fn line_ending(text: &str) -> LineEnding {
    match text.find(['\r', '\n']) {
        None => LineEnding::None,
        Some(i) => match text.as_bytes().get(i..i + 2) {
            Some(b"\r\n") => LineEnding::Crlf,
            _ if text.as_bytes().get(i) == Some(&b'\r') => LineEnding::Cr,
            _ => LineEnding::Lf,
        },
    }
}

fn sep_line(text: &str) -> Option<u8> {
    let first = text.lines().next()?.trim_end_matches('\r');
    let rest = first
        .strip_prefix("sep=")
        .or_else(|| first.strip_prefix("SEP="))?;
    match rest.as_bytes() {
        [d] if !d.is_ascii_alphanumeric() => Some(*d),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tab_export_with_commas_in_its_values_is_read_by_tabs() {
        let teams = "1. Summary\nMeeting title\tClinic\nStart time\t3/1/26, 9:00:00 AM\n\n2. Participants\nName\tFirst Join\tEmail\tRole\nAna\t3/1/26, 9:00:10 AM\ta@x.org\tOrganizer\nBo\t3/1/26, 9:01:00 AM\tb@x.org\tAttendee\nCy\t3/1/26, 9:05:00 AM\tc@x.org\tAttendee\n";
        assert_eq!(sniff(teams).delimiter, b'\t');
        // Tabs inside a few values of a comma file do not win.
        let commas = "Name,Email,Note\nAna,a@x.org,x\ty\nBo,b@x.org,z\nCy,c@x.org,w\n";
        assert_eq!(sniff(commas).delimiter, b',');
    }

    #[test]
    fn picks_the_consistent_delimiter() {
        assert_eq!(sniff("a;b;c\n1;2,5;3\n4;5,5;6\n").delimiter, b';');
        assert_eq!(sniff("a,b\n\"x;y\",2\n").delimiter, b',');
        assert_eq!(
            sniff("a\tb\tc\r\n1\t2\t3\r\n").line_ending,
            LineEnding::Crlf
        );
        assert_eq!(sniff("a|b\n1|\"x|y\"\n").delimiter, b'|');
        // A title row and a single-column file.
        assert_eq!(
            sniff("Roster, spring\nname;email;x\na;b;c\nd;e;f\n").delimiter,
            b';'
        );
        assert_eq!(sniff("email\na@b.org\n").delimiter, b',');
        let d = sniff("sep=;\r\na;b\r\n");
        assert_eq!((d.delimiter, d.sep_line), (b';', true));
    }
}
