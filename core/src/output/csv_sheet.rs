//! The one CSV writer of every output: UTF-8 with a byte order mark (so Excel shows accents),
//! CRLF line ends, fields quoted where they must be. Callers escape formula-like text first
//! ([`crate::sheet::formula::escape_formula`]), each by its own rule.

use crate::error::{Error, ErrorKind, Result};

/// `rows` as CSV bytes; `what` names the output in the error, as in "the records".
///
/// # Errors
/// [`ErrorKind::Output`] if the CSV writer fails.
pub(crate) fn write<R, F>(rows: impl IntoIterator<Item = R>, what: &str) -> Result<Vec<u8>>
where
    R: IntoIterator<Item = F>,
    F: AsRef<str>,
{
    let failed = |e: csv::Error| {
        Error::new(ErrorKind::Output, format!("{what} could not be written")).with_source(e)
    };
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .flexible(true)
            .from_writer(&mut out);
        for row in rows {
            writer
                .write_record(row.into_iter().map(Field))
                .map_err(failed)?;
        }
        writer.flush().map_err(|e| failed(e.into()))?;
    }
    Ok(out)
}

/// A text field as the CSV writer takes it.
struct Field<F>(F);

impl<F: AsRef<str>> AsRef<[u8]> for Field<F> {
    fn as_ref(&self) -> &[u8] {
        self.0.as_ref().as_bytes()
    }
}
