//! XLSX worksheet cells read with `memchr` over the shapes spreadsheet programs write
//! (`<row>`, `<c>`, `<v>`, `<f>`, `<is><t>`), instead of calamine's event-by-event XML reader.
//!
//! The reader gives exactly the cells calamine's `worksheet_cells_reader` gives: the same
//! positions, the same [`DataRef`] values, in the same order. It does so only for the XML it
//! knows for certain; at anything else (a namespace prefix, a comment, CDATA, a phonetic run,
//! an entity or escape it does not resolve, a value calamine would refuse) it steps aside with
//! [`Stop::Unsupported`], and the caller reads the sheet with calamine from the start. Shared
//! strings and number formats are read the same way from their parts, once per workbook.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use calamine::{CellErrorType, DataRef, ExcelDateTime, ExcelDateTimeType};
use memchr::{memchr, memmem};

use crate::error::Error;
use crate::sheet::prescan::{PIECE, PartCheck, SHARED_STRINGS};

/// Why reading stopped before the end of the sheet.
#[derive(Debug)]
pub(crate) enum Stop {
    /// The XML has a shape this reader does not handle: read the sheet with calamine.
    Unsupported,
    /// The cell sink refused a cell (a limit): the reading fails with this error.
    Sink(Error),
}

type Step<T> = std::result::Result<T, Stop>;

/// How a cell style shows numbers, as calamine classifies number formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumberKind {
    Other,
    DateTime,
    TimeDelta,
}

/// The shared strings of a workbook, end to end in one buffer: no allocation per string.
#[derive(Debug, Default)]
struct Strings {
    text: String,
    /// Where each string ends in `text`.
    ends: Vec<usize>,
}

impl Strings {
    fn get(&self, index: usize) -> Option<&str> {
        let end = *self.ends.get(index)?;
        let start = match index.checked_sub(1) {
            Some(before) => *self.ends.get(before)?,
            None => 0,
        };
        self.text.get(start..end)
    }

    fn close(&mut self) {
        self.ends.push(self.text.len());
    }
}

/// What every sheet of a workbook shares: its strings and its cell styles' number formats.
#[derive(Debug)]
pub(crate) struct Workbook {
    strings: Strings,
    formats: Vec<NumberKind>,
    is_1904: bool,
}

/// Zip entries by their name as calamine looks them up: `\` as `/`, ASCII case folded.
fn entry_names(archive: &zip::ZipArchive<Cursor<&[u8]>>) -> HashMap<String, usize> {
    let mut names = HashMap::new();
    for index in 0..archive.len() {
        if let Some(Ok(name)) = archive.name_for_index(index) {
            names
                .entry(name.replace('\\', "/").to_ascii_lowercase())
                .or_insert(index);
        }
    }
    names
}

fn read_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    names: &HashMap<String, usize>,
    path: &str,
) -> Step<Option<Vec<u8>>> {
    let Some(&index) = names.get(&path.replace('\\', "/").to_ascii_lowercase()) else {
        return Ok(None);
    };
    let mut part = archive.by_index(index).map_err(|_| Stop::Unsupported)?;
    let mut data = Vec::new();
    part.read_to_end(&mut data).map_err(|_| Stop::Unsupported)?;
    Ok(Some(data))
}

impl Workbook {
    /// Reads the shared strings and styles of a workbook whose main part is
    /// `xl/workbook.xml`, in the 1900 date system until [`Workbook::in_date_system`] says.
    /// `inflated` is the shared strings part already inflated, with its index in the zip
    /// directory: used if that is the part looked up.
    pub(crate) fn read(bytes: &[u8], inflated: Option<(usize, &[u8])>) -> Step<Workbook> {
        let mut archive =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| Stop::Unsupported)?;
        let names = entry_names(&archive);
        let found = names
            .get(&SHARED_STRINGS.to_ascii_lowercase())
            .and_then(|index| inflated.filter(|(at, _)| at == index));
        let strings = match found {
            Some((_, xml)) => shared_strings(xml)?,
            None => match read_part(&mut archive, &names, SHARED_STRINGS)? {
                Some(xml) => shared_strings(&xml)?,
                None => Strings::default(),
            },
        };
        let formats = match read_part(&mut archive, &names, "xl/styles.xml")? {
            Some(xml) => number_kinds(&xml)?,
            None => Vec::new(),
        };
        Ok(Workbook {
            strings,
            formats,
            is_1904: false,
        })
    }

    /// The same workbook with its date system as calamine reads it.
    pub(crate) fn in_date_system(self, is_1904: bool) -> Workbook {
        Workbook { is_1904, ..self }
    }

    /// Reads the cells of the worksheet stored at `path`, in the order of the XML, into
    /// `sink`. The part inflates on a second thread while this one reads its cells, when
    /// the platform can start one; otherwise both run here, one chunk after the other.
    pub(crate) fn cells<'w>(
        &'w self,
        bytes: &[u8],
        path: &str,
        sink: &mut dyn FnMut((u32, u32), DataRef<'w>) -> crate::error::Result<()>,
    ) -> Step<()> {
        self.read_sheet(bytes, path, None, sink, true)
    }

    /// [`Workbook::cells`], making the pre-scan's checks of the part as it inflates: to its
    /// end, even when the cells stop early, unless the part is refused. What the checks
    /// found is in `checking` afterwards; a refusal there comes before anything read.
    pub(crate) fn cells_checked<'w>(
        &'w self,
        bytes: &[u8],
        path: &str,
        checking: &mut Checking,
        sink: &mut dyn FnMut((u32, u32), DataRef<'w>) -> crate::error::Result<()>,
    ) -> Step<()> {
        self.read_sheet(bytes, path, Some(checking), sink, true)
    }

    /// [`Workbook::cells`], inflating on this thread unless `spawn`.
    #[cfg(test)]
    fn read_cells<'w>(
        &'w self,
        bytes: &[u8],
        path: &str,
        sink: &mut dyn FnMut((u32, u32), DataRef<'w>) -> crate::error::Result<()>,
        spawn: bool,
    ) -> Step<()> {
        self.read_sheet(bytes, path, None, sink, spawn)
    }

    /// [`Workbook::cells_checked`] when `checking`, inflating on this thread unless `spawn`.
    fn read_sheet<'w>(
        &'w self,
        bytes: &[u8],
        path: &str,
        checking: Option<&mut Checking>,
        sink: &mut dyn FnMut((u32, u32), DataRef<'w>) -> crate::error::Result<()>,
        spawn: bool,
    ) -> Step<()> {
        let mut feeder = Feeder::new(self);
        // Lent to the inflater, on whichever thread it runs.
        let checking = std::sync::Mutex::new(checking);
        let checking = &checking;
        std::thread::scope(|scope| {
            let (chunks, received) = std::sync::mpsc::sync_channel::<Step<Option<Vec<u8>>>>(8);
            let inflater = spawn.then(|| {
                std::thread::Builder::new().spawn_scoped(scope, move || {
                    let mut checking = checking.lock().unwrap_or_else(|e| e.into_inner());
                    let outcome = inflate(bytes, path, checking.as_deref_mut(), &mut |chunk| {
                        chunks.send(Ok(Some(chunk))).is_ok()
                    });
                    // The reader may have stopped already; then nobody listens.
                    let _ = chunks.send(outcome.map(|()| None));
                })
            });
            if inflater.is_none_or(|started| started.is_err()) {
                let mut checking = checking.lock().unwrap_or_else(|e| e.into_inner());
                return inflate(
                    bytes,
                    path,
                    checking.as_deref_mut(),
                    &mut |chunk| match feeder.push(&chunk, sink) {
                        Ok(more) => more,
                        Err(stop) => {
                            feeder.stopped = Some(stop);
                            false
                        }
                    },
                )
                .and_then(|()| feeder.finish(sink));
            }
            // Dropping `received` on the way out stops the inflater handing out chunks (it
            // still checks the rest of the part, when it checks it).
            for message in received {
                match message? {
                    Some(chunk) => {
                        if !feeder.push(&chunk, sink)? {
                            return Ok(());
                        }
                    }
                    None => return feeder.finish(sink),
                }
            }
            Err(Stop::Unsupported)
        })
    }
}

/// A part's pre-scan checks, made by the reader as it inflates the part.
pub(crate) struct Checking {
    /// The part's index in the zip directory: the checks are of that part or of none.
    pub(crate) index: usize,
    pub(crate) check: PartCheck,
    /// Set when the part is checked to its end (its merged ranges) or refused; `None` when
    /// the checks could not be made.
    pub(crate) outcome: Option<crate::error::Result<Vec<calamine::Dimensions>>>,
}

/// Inflates the zip part at `path`, handing each chunk to `each` until it returns false;
/// with `checking`, checks every piece before handing it out, and goes on to the end of the
/// part for the checks after `each` stops wanting more.
fn inflate(
    bytes: &[u8],
    path: &str,
    mut checking: Option<&mut Checking>,
    each: &mut dyn FnMut(Vec<u8>) -> bool,
) -> Step<()> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| Stop::Unsupported)?;
    let names = entry_names(&archive);
    let &index = names
        .get(&path.replace('\\', "/").to_ascii_lowercase())
        .ok_or(Stop::Unsupported)?;
    if checking.as_ref().is_some_and(|c| c.index != index) {
        return Err(Stop::Unsupported);
    }
    let mut part = archive.by_index(index).map_err(|_| Stop::Unsupported)?;
    let compressed = part.compressed_size();
    let mut wanted = true;
    let mut spare = Vec::new();
    loop {
        // Read in pieces of the pre-scan's size, so its checks see what they would there.
        let mut chunk = if wanted {
            vec![0u8; CHUNK]
        } else {
            std::mem::take(&mut spare)
        };
        chunk.resize(chunk.len().max(PIECE), 0);
        let (mut filled, mut end) = (0usize, false);
        while let Some(piece) = chunk.get_mut(filled..filled + PIECE) {
            let n = match part.read(piece) {
                Ok(n) => n,
                Err(e) => {
                    if let Some(c) = checking {
                        c.outcome = Some(Err(c.check.read_failed(e)));
                    }
                    return Err(Stop::Unsupported);
                }
            };
            if n == 0 {
                end = true;
                break;
            }
            if let Some(c) = checking.as_deref_mut()
                && let Err(refused) = c.check.chunk(piece.get(..n).unwrap_or_default())
            {
                c.outcome = Some(Err(refused));
                return Err(Stop::Unsupported);
            }
            filled += n;
        }
        if wanted && filled > 0 {
            chunk.truncate(filled);
            wanted = each(chunk);
        } else {
            spare = chunk;
        }
        if end {
            if let Some(c) = checking {
                c.outcome = Some(c.check.finish(compressed));
            }
            return Ok(());
        }
        if !wanted && checking.is_none() {
            return Ok(());
        }
    }
}

/// Hands a worksheet's XML to its reader in pieces it can read whole.
struct Feeder<'w> {
    sheet: Sheet<'w>,
    pending: Vec<u8>,
    /// Bytes the reader needs before it tries again, so a long cell is not rescanned at
    /// every chunk.
    wanted: usize,
    /// Why reading stopped, when it stopped inside a callback.
    stopped: Option<Stop>,
}

impl<'w> Feeder<'w> {
    fn new(book: &'w Workbook) -> Self {
        Feeder {
            sheet: Sheet::new(book),
            pending: Vec::with_capacity(CHUNK * 2),
            wanted: 0,
            stopped: None,
        }
    }

    /// Reads what it can of the XML so far; whether it wants more.
    fn push(
        &mut self,
        chunk: &[u8],
        sink: &mut dyn FnMut((u32, u32), DataRef<'w>) -> crate::error::Result<()>,
    ) -> Step<bool> {
        let mut rest = chunk;
        if !self.pending.is_empty() {
            // The bytes left over and the chunk up to its first row's end are read on their
            // own, so that the rest of the chunk is read where it lies, not copied.
            let bridge = memmem::find(chunk.get(..BRIDGE).unwrap_or(chunk), b"</row>")
                .map(|at| at + 6)
                .filter(|end| self.pending.len() + end >= self.wanted);
            let Some(end) = bridge else {
                self.pending.extend_from_slice(chunk);
                return self.read_pending(sink);
            };
            let (head, tail) = chunk.split_at_checked(end).unwrap_or((chunk, &[]));
            self.pending.extend_from_slice(head);
            let used = self.sheet.feed(&self.pending, false, sink)?;
            if self.sheet.done {
                return Ok(false);
            }
            if used < self.pending.len() {
                // Not at an element's end after all: read on from there, as one.
                self.pending.drain(..used);
                self.pending.extend_from_slice(tail);
                return self.read_pending(sink);
            }
            self.pending.clear();
            rest = tail;
        }
        let used = self.sheet.feed(rest, false, sink)?;
        if self.sheet.done {
            return Ok(false);
        }
        self.pending
            .extend_from_slice(rest.get(used..).unwrap_or_default());
        self.wanted = self.pending.len().saturating_mul(2);
        Ok(true)
    }

    /// Reads what it can of the bytes held, when there are enough of them to try.
    fn read_pending(
        &mut self,
        sink: &mut dyn FnMut((u32, u32), DataRef<'w>) -> crate::error::Result<()>,
    ) -> Step<bool> {
        if self.pending.len() < self.wanted {
            return Ok(true);
        }
        let used = self.sheet.feed(&self.pending, false, sink)?;
        if self.sheet.done {
            return Ok(false);
        }
        self.pending.drain(..used);
        self.wanted = self.pending.len().saturating_mul(2);
        Ok(true)
    }

    /// Reads the rest, at the end of the part.
    fn finish(
        &mut self,
        sink: &mut dyn FnMut((u32, u32), DataRef<'w>) -> crate::error::Result<()>,
    ) -> Step<()> {
        if let Some(stop) = self.stopped.take() {
            return Err(stop);
        }
        if !self.sheet.done {
            self.sheet.feed(&self.pending, true, sink)?;
        }
        if self.sheet.done {
            Ok(())
        } else {
            Err(Stop::Unsupported)
        }
    }
}

const CHUNK: usize = 128 * 1024;

/// How far into a chunk [`Feeder::push`] looks for the end of a row to join the bytes left
/// over from the chunk before.
const BRIDGE: usize = 16 * 1024;

/// Whether the text holds an OOXML `_xHHHH_` escape, which calamine decodes.
fn has_ooxml_escape(text: &[u8]) -> bool {
    memchr::memchr_iter(b'_', text).any(|at| {
        text.get(at + 1) == Some(&b'x')
            && text.get(at + 2..at + 7).is_some_and(|rest| {
                rest.iter().take(4).all(u8::is_ascii_hexdigit) && rest.get(4) == Some(&b'_')
            })
    })
}

/// Appends XML character data with its references resolved: the five predefined entities
/// and character references. Raw carriage returns (which XML normalises) and anything else
/// are refused.
fn push_text(out: &mut String, raw: &[u8]) -> Step<()> {
    if memchr::memchr2(b'\r', b'<', raw).is_some() {
        return Err(Stop::Unsupported);
    }
    let text = std::str::from_utf8(raw).map_err(|_| Stop::Unsupported)?;
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        let after = rest.get(amp + 1..).unwrap_or_default();
        let semi = after.find(';').ok_or(Stop::Unsupported)?;
        let name = after.get(..semi).unwrap_or_default();
        match name {
            "amp" => out.push('&'),
            "lt" => out.push('<'),
            "gt" => out.push('>'),
            "quot" => out.push('"'),
            "apos" => out.push('\''),
            _ => out.push(char_reference(name)?),
        }
        rest = after.get(semi + 1..).unwrap_or_default();
    }
    out.push_str(rest);
    Ok(())
}

/// `#65` or `#x41`, a character other than NUL.
fn char_reference(name: &str) -> Step<char> {
    let (digits, radix) = match name.strip_prefix("#x") {
        Some(hex) => (hex, 16),
        None => (name.strip_prefix('#').ok_or(Stop::Unsupported)?, 10),
    };
    if digits.is_empty() || digits.len() > 6 || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(Stop::Unsupported);
    }
    let code = u32::from_str_radix(digits, radix).map_err(|_| Stop::Unsupported)?;
    match char::from_u32(code) {
        Some(c) if code != 0 => Ok(c),
        _ => Err(Stop::Unsupported),
    }
}

/// Where `byte` first occurs in `hay`: a plain loop, faster than `memchr` over the few bytes
/// between the tags and quotes of a cell.
fn near(hay: &[u8], byte: u8) -> Option<usize> {
    hay.iter().position(|&b| b == byte)
}

/// One tag at the start of `data` (which begins with `<`).
struct Tag<'a> {
    /// The name, without `/` for an end tag.
    name: &'a [u8],
    /// `</name>`.
    end: bool,
    /// `<name/>`.
    empty: bool,
    /// The bytes between the name and `>` (or `/>`).
    attributes: &'a [u8],
    /// Bytes from `<` to past `>`.
    len: usize,
}

/// Reads the tag at the start of `data`; `None` if it is not complete within `data`. A
/// comment, CDATA, processing instruction or prefixed name is unsupported.
fn tag(data: &[u8]) -> Step<Option<Tag<'_>>> {
    let body = data.get(1..).unwrap_or_default();
    if matches!(body.first(), Some(b'!' | b'?')) {
        return Err(Stop::Unsupported);
    }
    let Some(close) = near(body, b'>') else {
        return Ok(None);
    };
    let inner = body.get(..close).unwrap_or_default();
    if near(inner, b'<').is_some() {
        return Err(Stop::Unsupported);
    }
    let (end, inner) = match inner.strip_prefix(b"/") {
        Some(rest) => (true, rest),
        None => (false, inner),
    };
    let (empty, inner) = match inner.strip_suffix(b"/") {
        Some(rest) if !end => (true, rest),
        _ => (false, inner),
    };
    let name_len = inner
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(inner.len());
    let name = inner.get(..name_len).unwrap_or_default();
    if name.is_empty() || near(name, b':').is_some() {
        return Err(Stop::Unsupported);
    }
    let after_name = inner.get(name_len..).unwrap_or_default();
    if end && !after_name.iter().all(u8::is_ascii_whitespace) {
        return Err(Stop::Unsupported);
    }
    Ok(Some(Tag {
        name,
        end,
        empty,
        attributes: inner.get(name_len..).unwrap_or_default(),
        len: close + 2,
    }))
}

/// Calls `f` with each attribute of a tag, as (name, raw value); unsupported when malformed.
fn each_attribute<'a>(
    mut raw: &'a [u8],
    mut f: impl FnMut(&'a [u8], &'a [u8]) -> Step<()>,
) -> Step<()> {
    let mut first = true;
    loop {
        let start = raw
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(raw.len());
        raw = raw.get(start..).unwrap_or_default();
        if raw.is_empty() {
            return Ok(());
        }
        if start == 0 && !first {
            return Err(Stop::Unsupported);
        }
        first = false;
        let eq = near(raw, b'=').ok_or(Stop::Unsupported)?;
        let name = raw.get(..eq).unwrap_or_default();
        if name.is_empty() || name.iter().any(u8::is_ascii_whitespace) {
            return Err(Stop::Unsupported);
        }
        let quote = *raw.get(eq + 1).ok_or(Stop::Unsupported)?;
        if quote != b'"' && quote != b'\'' {
            return Err(Stop::Unsupported);
        }
        let rest = raw.get(eq + 2..).unwrap_or_default();
        let len = near(rest, quote).ok_or(Stop::Unsupported)?;
        f(name, rest.get(..len).unwrap_or_default())?;
        raw = rest.get(len + 1..).unwrap_or_default();
    }
}

/// Sets `slot` to an attribute's value; a second value for it is unsupported.
fn once<'a>(slot: &mut Option<&'a [u8]>, value: &'a [u8]) -> Step<()> {
    match slot.replace(value) {
        Some(_) => Err(Stop::Unsupported),
        None => Ok(()),
    }
}

/// Where the end tag `close` (`</v>`) starts in `hay`, looking only at tag starts.
fn find_close(hay: &[u8], close: &[u8]) -> Option<usize> {
    let mut from = 0usize;
    loop {
        let at = from + near(hay.get(from..)?, b'<')?;
        if hay.get(at..)?.starts_with(close) {
            return Some(at);
        }
        from = at + 1;
    }
}

/// Text between tags that calamine ignores: anything but a reference.
fn ignorable(text: &[u8]) -> Step<()> {
    if !text.is_empty() && memchr(b'&', text).is_some() {
        return Err(Stop::Unsupported);
    }
    Ok(())
}

/// The text of a string item (`<si>`) or inline string (`<is>`): every `<t>` in it, each
/// trimmed unless `xml:space="preserve"`, joined; formatting runs (`<r>`, `<rPr>`) add nothing.
fn rich_text(content: &[u8]) -> Step<String> {
    let mut out = String::new();
    rich_text_into(&mut out, content)?;
    Ok(out)
}

/// [`rich_text`], appended to `out`.
fn rich_text_into(out: &mut String, content: &[u8]) -> Step<()> {
    let mut at = 0usize;
    loop {
        let rest = content.get(at..).unwrap_or_default();
        let Some(lt) = memchr(b'<', rest) else {
            return ignorable(rest);
        };
        ignorable(rest.get(..lt).unwrap_or_default())?;
        let here = rest.get(lt..).unwrap_or_default();
        let t = tag(here)?.ok_or(Stop::Unsupported)?;
        at += lt + t.len;
        if t.name == b"rPh" {
            return Err(Stop::Unsupported);
        }
        if t.name != b"t" || t.end {
            continue;
        }
        let mut space = None;
        each_attribute(t.attributes, |name, value| {
            if name == b"xml:space" {
                once(&mut space, value)?;
            }
            Ok(())
        })?;
        let preserve = space == Some(b"preserve");
        let raw: &[u8] = if t.empty {
            b""
        } else {
            let inner = content.get(at..).unwrap_or_default();
            let close = find_close(inner, b"</t>").ok_or(Stop::Unsupported)?;
            at += close + 4;
            inner.get(..close).unwrap_or_default()
        };
        // Decoded straight into the result; trimmed there (rarely needed).
        let start = out.len();
        push_text(out, raw)?;
        let piece = out.get(start..).unwrap_or_default();
        if !preserve {
            let trimmed = piece.trim_matches([' ', '\t', '\r', '\n']);
            if trimmed.len() != piece.len() {
                let trimmed = trimmed.to_owned();
                out.truncate(start);
                out.push_str(&trimmed);
            }
        }
        if has_ooxml_escape(out.get(start..).unwrap_or_default().as_bytes()) {
            return Err(Stop::Unsupported);
        }
    }
}

/// Skips a leading XML declaration and whitespace.
fn after_declaration(xml: &[u8]) -> Step<&[u8]> {
    let mut rest = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    if rest.starts_with(b"<?xml") {
        let end = memmem::find(rest, b"?>").ok_or(Stop::Unsupported)?;
        rest = rest.get(end + 2..).unwrap_or_default();
    }
    Ok(rest)
}

/// The strings of `sharedStrings.xml`, as calamine reads them.
fn shared_strings(xml: &[u8]) -> Step<Strings> {
    let xml = after_declaration(xml)?;
    // Valid as a whole, the part's text is sliced for each plain item instead of checked again.
    let whole = simdutf8::basic::from_utf8(xml).ok();
    let mut strings = Strings::default();
    let mut at = 0usize;
    let mut started = false;
    loop {
        let rest = xml.get(at..).unwrap_or_default();
        if started
            && rest.starts_with(b"<si><t>")
            && let Some((text, len)) = plain_item(xml, at + 4, whole)
        {
            strings.text.push_str(text);
            strings.close();
            at += 4 + len;
            continue;
        }
        let lt = memchr(b'<', rest).ok_or(Stop::Unsupported)?;
        ignorable(rest.get(..lt).unwrap_or_default())?;
        let here = rest.get(lt..).unwrap_or_default();
        let t = tag(here)?.ok_or(Stop::Unsupported)?;
        at += lt + t.len;
        match (t.name, t.end, started) {
            (b"sst", false, false) => {
                started = true;
                if t.empty {
                    return Ok(strings);
                }
            }
            (b"sst", true, true) => return Ok(strings),
            (b"si", false, true) if t.empty => strings.close(),
            (b"si", false, true) => {
                let inner = xml.get(at..).unwrap_or_default();
                if let Some((text, len)) = plain_item(xml, at, whole) {
                    strings.text.push_str(text);
                    strings.close();
                    at += len;
                    continue;
                }
                let close = find_close(inner, b"</si>").ok_or(Stop::Unsupported)?;
                rich_text_into(&mut strings.text, inner.get(..close).unwrap_or_default())?;
                strings.close();
                at += close + 5;
            }
            _ if started => {}
            // Before `<sst>`, only the root's siblings calamine skips: none expected.
            _ => return Err(Stop::Unsupported),
        }
    }
}

/// The text of a string item as most are written, `<t>text</t></si>` from `xml[at..]` (after
/// its `<si>`), and the bytes up to past `</si>`: text without markup, references, carriage
/// returns or `_xHHHH_` escapes, that trimming leaves as it is. `None` for any other item,
/// which [`rich_text_into`] reads (and gives the same text for these). `whole` is `xml` when
/// it is valid UTF-8.
fn plain_item<'a>(xml: &'a [u8], at: usize, whole: Option<&'a str>) -> Option<(&'a str, usize)> {
    let inner = xml.get(at..)?.strip_prefix(b"<t>")?;
    let end = memchr(b'<', inner)?;
    if inner.get(end..end + 9)? != b"</t></si>" {
        return None;
    }
    let raw = inner.get(..end)?;
    let blank = |b: Option<&u8>| matches!(b, Some(b' ' | b'\t' | b'\r' | b'\n'));
    if blank(raw.first())
        || blank(raw.last())
        || memchr::memchr2(b'&', b'\r', raw).is_some()
        || has_ooxml_escape(raw)
    {
        return None;
    }
    let text = match whole {
        // Cut next to `<t>` and `<`, which are ASCII: on character boundaries.
        Some(whole) => whole.get(at + 3..at + 3 + end)?,
        None => std::str::from_utf8(raw).ok()?,
    };
    Some((text, 3 + end + 9))
}

/// The number format kind of each cell style (`<cellXfs>`), as calamine decides it.
fn number_kinds(xml: &[u8]) -> Step<Vec<NumberKind>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let config = reader.config_mut();
    config.check_end_names = false;
    config.trim_text(false);
    config.check_comments = false;
    config.expand_empty_elements = true;
    let mut custom: HashMap<String, String> = HashMap::new();
    let mut kinds = Vec::new();
    let mut buf = Vec::new();
    // The element whose end is awaited, and what is collected until then.
    let mut within: Option<&str> = None;
    loop {
        buf.clear();
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|_| Stop::Unsupported)?;
        match event {
            Event::Start(e) => {
                let name = e.local_name();
                match (within, name.as_ref()) {
                    (None, "numFmts") => within = Some("numFmts"),
                    (None, "cellXfs") => within = Some("cellXfs"),
                    (None, "fonts") => within = Some("fonts"),
                    (None, "fills") => within = Some("fills"),
                    (None, "borders") => within = Some("borders"),
                    (Some("numFmts"), "numFmt") => {
                        let (mut id, mut code) = (None, None);
                        for a in e.attributes() {
                            let a = a.map_err(|_| Stop::Unsupported)?;
                            match a.key.as_ref() {
                                "numFmtId" => id = Some(a.value.into_owned()),
                                "formatCode" => {
                                    code = Some(
                                        a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                            .map_err(|_| Stop::Unsupported)?
                                            .into_owned(),
                                    );
                                }
                                _ => {}
                            }
                        }
                        if let (Some(id), Some(code)) = (id, code) {
                            custom.insert(id, code);
                        }
                    }
                    (Some("cellXfs"), "xf") => {
                        let mut id = None;
                        for a in e.attributes() {
                            let a = a.map_err(|_| Stop::Unsupported)?;
                            if a.key.as_ref() == "numFmtId" {
                                id = Some(a.value.into_owned());
                            }
                        }
                        kinds.push(id.map_or(NumberKind::Other, |id| match custom.get(&id) {
                            Some(code) => custom_kind(code),
                            None => builtin_kind(id.as_bytes()),
                        }));
                        skip_to_end(&mut reader, "xf")?;
                    }
                    _ => {}
                }
            }
            Event::End(e) => match (within, e.local_name().as_ref()) {
                (Some(w), name) if w == name => within = None,
                (None, "styleSheet") => return Ok(kinds),
                _ => {}
            },
            Event::Eof => return Err(Stop::Unsupported),
            _ => {}
        }
    }
}

fn skip_to_end(reader: &mut quick_xml::Reader<&[u8]>, local: &str) -> Step<()> {
    use quick_xml::events::Event;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader
            .read_event_into(&mut buf)
            .map_err(|_| Stop::Unsupported)?
        {
            Event::End(e) if e.local_name().as_ref() == local => return Ok(()),
            Event::Eof => return Err(Stop::Unsupported),
            _ => {}
        }
    }
}

/// The built-in number formats Excel shows as dates, times or durations.
fn builtin_kind(id: &[u8]) -> NumberKind {
    match id {
        b"46" => NumberKind::TimeDelta,
        b"14" | b"15" | b"16" | b"17" | b"18" | b"19" | b"20" | b"21" | b"22" | b"45" | b"47"
        | b"27" | b"28" | b"29" | b"30" | b"31" | b"32" | b"33" | b"34" | b"35" | b"36" | b"50"
        | b"51" | b"52" | b"53" | b"54" | b"55" | b"56" | b"57" | b"58" => NumberKind::DateTime,
        _ => NumberKind::Other,
    }
}

/// Classifies a custom number format code by its first section: a date or time token
/// (`d m h y s`, or `a`/`p` forms of AM/PM) outside quotes, brackets and escapes makes it a
/// date; a bracketed `[h]`, `[mm]` or `[ss]` makes it a duration.
fn custom_kind(code: &str) -> NumberKind {
    let mut skip_next = false;
    let mut quoted = false;
    let mut depth = 0u8;
    let mut previous = ' ';
    let mut elapsed = false;
    let mut after_a = false;
    for c in code.chars() {
        if skip_next {
            skip_next = false;
            previous = c;
            continue;
        }
        match c {
            '_' | '\\' | '*' => skip_next = true,
            '"' => quoted = !quoted,
            _ if quoted => {}
            ';' => return NumberKind::Other,
            '[' => depth = depth.saturating_add(1),
            ']' if depth == 1 && elapsed => return NumberKind::TimeDelta,
            ']' => depth = depth.saturating_sub(1),
            'a' | 'A' if !after_a && depth == 0 => after_a = true,
            'p' | 'm' | '/' | 'P' | 'M' if after_a && depth == 0 => return NumberKind::DateTime,
            'd' | 'm' | 'h' | 'y' | 's' | 'D' | 'M' | 'H' | 'Y' | 'S' if !after_a && depth == 0 => {
                return NumberKind::DateTime;
            }
            _ => {
                if !(elapsed && c.eq_ignore_ascii_case(&previous)) {
                    elapsed = previous == '[' && matches!(c, 'm' | 'h' | 's' | 'M' | 'H' | 'S');
                }
            }
        }
        previous = c;
    }
    NumberKind::Other
}

/// `A1` as a 0-based (row, column); `None` for anything but letters then a number from 1.
fn cell_position(text: &[u8]) -> Option<(u32, u32)> {
    let letters = text.iter().take_while(|b| b.is_ascii_uppercase()).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = text
        .get(..letters)?
        .iter()
        .fold(0u32, |acc, b| acc * 26 + u32::from(b - b'A') + 1);
    Some((row_number(text.get(letters..)?)?, col - 1))
}

/// `12` as the 0-based row 11; `None` unless digits from 1, at most 7 of them.
fn row_number(text: &[u8]) -> Option<u32> {
    if text.is_empty() || text.len() > 7 || text.first() == Some(&b'0') {
        return None;
    }
    if !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = text
        .iter()
        .fold(0u32, |acc, b| acc * 10 + u32::from(b - b'0'));
    n.checked_sub(1)
}

/// Digits only, as an index; `None` otherwise.
fn index(text: &[u8]) -> Option<usize> {
    if text.is_empty()
        || text.len() > 9
        || (text.len() > 1 && text.first() == Some(&b'0'))
        || !text.iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    Some(
        text.iter()
            .fold(0usize, |acc, b| acc * 10 + usize::from(b - b'0')),
    )
}

/// A number as `-1`, `2.5` or `1.5E-3` write it: what every float parser reads alike.
fn plain_number(text: &[u8]) -> Option<f64> {
    let mut i = usize::from(text.first() == Some(&b'-'));
    let digits = |from: usize| {
        text.get(from..)
            .map_or(0, |r| r.iter().take_while(|b| b.is_ascii_digit()).count())
    };
    let whole = digits(i);
    if whole == 0 {
        return None;
    }
    i += whole;
    if text.get(i) == Some(&b'.') {
        let fraction = digits(i + 1);
        if fraction == 0 {
            return None;
        }
        i += 1 + fraction;
    }
    if matches!(text.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(text.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exponent = digits(i);
        if exponent == 0 {
            return None;
        }
        i += exponent;
    }
    if i != text.len() {
        return None;
    }
    let negative = text.first() == Some(&b'-');
    if whole == i - usize::from(negative) && whole <= 15 {
        // An integer below 2^53 is exactly its float.
        let n = text
            .get(usize::from(negative)..)?
            .iter()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0')) as f64;
        return Some(if negative { -n } else { n });
    }
    std::str::from_utf8(text).ok()?.parse().ok()
}

/// The value of a cell's `t` attribute.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CellType {
    Number,
    Shared,
    Bool,
    Error,
    Str,
    Inline,
}

fn cell_type(t: Option<&[u8]>) -> Step<CellType> {
    Ok(match t {
        None | Some(b"n") => CellType::Number,
        Some(b"s") => CellType::Shared,
        Some(b"b") => CellType::Bool,
        Some(b"e") => CellType::Error,
        Some(b"str") => CellType::Str,
        Some(b"inlineStr" | b"is") => CellType::Inline,
        Some(_) => return Err(Stop::Unsupported),
    })
}

/// The attributes of a `<c>` the reader uses: its reference, style and type.
#[derive(Default)]
struct CellAttributes<'a> {
    r: Option<&'a [u8]>,
    s: Option<&'a [u8]>,
    t: Option<&'a [u8]>,
}

impl CellAttributes<'_> {
    /// What the attributes say, read.
    fn head(&self) -> Step<CellHead> {
        Ok(CellHead {
            position: match self.r {
                Some(r) => Some(cell_position(r).ok_or(Stop::Unsupported)?),
                None => None,
            },
            style: match self.s {
                Some(s) => Some(index(s).ok_or(Stop::Unsupported)?),
                None => None,
            },
            kind: cell_type(self.t)?,
        })
    }
}

/// A `<c>`'s attributes read: its position (when it says), style and type.
struct CellHead {
    position: Option<(u32, u32)>,
    style: Option<usize>,
    kind: CellType,
}

/// What a `<c>` holds.
enum CellContent<'a> {
    /// Nothing (`<c/>`).
    Empty,
    /// One `<v>` and nothing else: its raw text.
    V(&'a [u8]),
    /// The bytes between `<c>` and `</c>`.
    Children(&'a [u8]),
}

/// A cell as spreadsheet programs write nearly all of them, read in one pass.
struct PlainCell<'a> {
    head: CellHead,
    /// The raw text of its one `<v>`; `None` for `<c .../>`.
    v: Option<&'a [u8]>,
    /// Bytes from `<c` to past `</c>` (or `/>`).
    len: usize,
}

/// Reads `<c r="A1" s="1" t="s"><v>0</v></c>` or `<c r="A1"/>` at the start of `data`:
/// attributes among `r`, `s` and `t`, each once, after one space, in double quotes, with the
/// values those attributes can have (a reference, an index, a type's letters), and a `<v>`
/// without markup. `None` for any other shape, or when `data` ends first: then the general
/// reader ([`tag`], [`each_attribute`], [`Sheet::value`]) reads it, and gives the same cell
/// for these shapes.
fn plain_cell(data: &[u8]) -> Option<PlainCell<'_>> {
    if data.get(..2)? != b"<c" {
        return None;
    }
    let mut head = CellHead {
        position: None,
        style: None,
        kind: CellType::Number,
    };
    // Which of `r`, `s` and `t` were seen: each may come once.
    let mut seen = [false; 3];
    let mut at = 2usize;
    loop {
        match *data.get(at)? {
            b' ' => {
                let name = *data.get(at + 1)?;
                if data.get(at + 2..at + 4)? != b"=\"" {
                    return None;
                }
                let start = at + 4;
                let len = near(data.get(start..)?, b'"')?;
                let value = data.get(start..start + len)?;
                let which = match name {
                    b'r' => {
                        head.position = Some(cell_position(value)?);
                        0
                    }
                    b's' => {
                        head.style = Some(index(value)?);
                        1
                    }
                    b't' => {
                        head.kind = cell_type(Some(value)).ok()?;
                        2
                    }
                    _ => return None,
                };
                if std::mem::replace(seen.get_mut(which)?, true) {
                    return None;
                }
                at = start + len + 1;
            }
            b'/' if data.get(at + 1) == Some(&b'>') => {
                return Some(PlainCell {
                    head,
                    v: None,
                    len: at + 2,
                });
            }
            b'>' => break,
            _ => return None,
        }
    }
    let inner = data.get(at + 1..)?.strip_prefix(b"<v>")?;
    let end = near(inner, b'<')?;
    if inner.get(end..end + 8)? != b"</v></c>" {
        return None;
    }
    Some(PlainCell {
        head,
        v: Some(inner.get(..end)?),
        len: at + 1 + 3 + end + 8,
    })
}

/// A worksheet's XML read in pieces.
struct Sheet<'w> {
    book: &'w Workbook,
    /// Past `<sheetData>`.
    started: bool,
    /// Past `</sheetData>`.
    done: bool,
    row: u32,
    col: u32,
}

impl<'w> Sheet<'w> {
    fn new(book: &'w Workbook) -> Self {
        Sheet {
            book,
            started: false,
            done: false,
            row: 0,
            col: 0,
        }
    }

    /// Reads the complete pieces of `data`; returns how many bytes it used. With `eof`,
    /// `data` is all that is left.
    fn feed(
        &mut self,
        data: &[u8],
        eof: bool,
        sink: &mut dyn FnMut((u32, u32), DataRef<'w>) -> crate::error::Result<()>,
    ) -> Step<usize> {
        let mut at = 0usize;
        if !self.started {
            let Some(open) = sheet_data(data)? else {
                return Ok(0);
            };
            at = open.0;
            self.started = true;
            if open.1 {
                self.done = true;
                return Ok(at);
            }
        }
        loop {
            let rest = data.get(at..).unwrap_or_default();
            let Some(lt) = near(rest, b'<') else {
                ignorable(rest)?;
                return Ok(data.len());
            };
            ignorable(rest.get(..lt).unwrap_or_default())?;
            at += lt;
            let here = rest.get(lt..).unwrap_or_default();
            if here.starts_with(b"</row>") {
                self.end_row()?;
                at += 6;
                continue;
            }
            if let Some(plain) = plain_cell(here) {
                let value = match plain.v {
                    Some(raw) => CellContent::V(raw),
                    None => CellContent::Empty,
                };
                self.cell(plain.head, value, sink)?;
                at += plain.len;
                continue;
            }
            let Some(t) = tag(here)? else {
                return if eof { Err(Stop::Unsupported) } else { Ok(at) };
            };
            match (t.name, t.end) {
                (b"sheetData", true) => {
                    self.done = true;
                    return Ok(at + t.len);
                }
                (b"row", false) => {
                    let mut r = None;
                    each_attribute(t.attributes, |name, value| {
                        if name == b"r" {
                            once(&mut r, value)?;
                        }
                        Ok(())
                    })?;
                    if let Some(r) = r {
                        self.row = row_number(r).ok_or(Stop::Unsupported)?;
                    }
                    if t.empty {
                        self.end_row()?;
                    }
                    at += t.len;
                }
                (b"row", true) => {
                    self.end_row()?;
                    at += t.len;
                }
                (b"c", false) => {
                    let content_start = at + t.len;
                    let (content, next) = if t.empty {
                        (&b""[..], content_start)
                    } else {
                        let inner = data.get(content_start..).unwrap_or_default();
                        let Some(close) = find_close(inner, b"</c>") else {
                            return if eof { Err(Stop::Unsupported) } else { Ok(at) };
                        };
                        (
                            inner.get(..close).unwrap_or_default(),
                            content_start + close + 4,
                        )
                    };
                    let mut attributes = CellAttributes::default();
                    each_attribute(t.attributes, |name, value| match name {
                        b"r" => once(&mut attributes.r, value),
                        b"s" => once(&mut attributes.s, value),
                        b"t" => once(&mut attributes.t, value),
                        _ => Ok(()),
                    })?;
                    self.cell(attributes.head()?, CellContent::Children(content), sink)?;
                    at = next;
                }
                _ => return Err(Stop::Unsupported),
            }
        }
    }

    fn end_row(&mut self) -> Step<()> {
        self.row = self.row.checked_add(1).ok_or(Stop::Unsupported)?;
        self.col = 0;
        Ok(())
    }

    fn cell(
        &mut self,
        head: CellHead,
        content: CellContent<'_>,
        sink: &mut dyn FnMut((u32, u32), DataRef<'w>) -> crate::error::Result<()>,
    ) -> Step<()> {
        let position = match head.position {
            Some((row, col)) => {
                self.col = col;
                (row, col)
            }
            None => (self.row, self.col),
        };
        let (kind, style) = (head.kind, head.style);
        let value = match content {
            CellContent::Empty => DataRef::Empty,
            CellContent::V(raw) => self.v(kind, style, raw)?,
            CellContent::Children(content) => self.value(kind, style, content)?,
        };
        self.col = self.col.checked_add(1).ok_or(Stop::Unsupported)?;
        sink(position, value).map_err(Stop::Sink)
    }

    /// The value of a cell's content: the last of its `<v>`, `<f>` and `<is>` children.
    fn value(&self, kind: CellType, style: Option<usize>, content: &[u8]) -> Step<DataRef<'w>> {
        let mut value = DataRef::Empty;
        let mut at = 0usize;
        loop {
            let rest = content.get(at..).unwrap_or_default();
            let Some(lt) = near(rest, b'<') else {
                ignorable(rest)?;
                return Ok(value);
            };
            ignorable(rest.get(..lt).unwrap_or_default())?;
            let here = rest.get(lt..).unwrap_or_default();
            let t = tag(here)?.ok_or(Stop::Unsupported)?;
            if t.end {
                return Err(Stop::Unsupported);
            }
            at += lt + t.len;
            let close: &[u8] = match t.name {
                b"v" => b"</v>",
                b"f" => b"</f>",
                b"is" => b"</is>",
                _ => return Err(Stop::Unsupported),
            };
            let inner = if t.empty {
                &b""[..]
            } else {
                let after = content.get(at..).unwrap_or_default();
                let end = find_close(after, close).ok_or(Stop::Unsupported)?;
                at += end + close.len();
                after.get(..end).unwrap_or_default()
            };
            value = match t.name {
                b"v" => self.v(kind, style, inner)?,
                b"f" if memchr(b'<', inner).is_none() => DataRef::Empty,
                b"is" => DataRef::String(rich_text(inner)?),
                _ => return Err(Stop::Unsupported),
            };
        }
    }

    fn v(&self, kind: CellType, style: Option<usize>, raw: &[u8]) -> Step<DataRef<'w>> {
        if raw.iter().any(|&b| b == b'<' || b == b'&') {
            return Err(Stop::Unsupported);
        }
        let text = || std::str::from_utf8(raw).map_err(|_| Stop::Unsupported);
        Ok(match kind {
            CellType::Inline => DataRef::Empty,
            CellType::Str => {
                if memchr(b'\r', raw).is_some() || has_ooxml_escape(raw) {
                    return Err(Stop::Unsupported);
                }
                DataRef::String(text()?.to_owned())
            }
            _ if raw.is_empty() => DataRef::Empty,
            CellType::Number => {
                let n = plain_number(raw).ok_or(Stop::Unsupported)?;
                let kind = match style {
                    Some(id) => self.book.formats.get(id).copied(),
                    None => Some(NumberKind::Other),
                };
                match kind {
                    Some(NumberKind::DateTime) => DataRef::DateTime(ExcelDateTime::new(
                        n,
                        ExcelDateTimeType::DateTime,
                        self.book.is_1904,
                    )),
                    Some(NumberKind::TimeDelta) => DataRef::DateTime(ExcelDateTime::new(
                        n,
                        ExcelDateTimeType::TimeDelta,
                        self.book.is_1904,
                    )),
                    _ => DataRef::Float(n),
                }
            }
            CellType::Shared => {
                let i = index(raw).ok_or(Stop::Unsupported)?;
                DataRef::SharedString(self.book.strings.get(i).ok_or(Stop::Unsupported)?)
            }
            CellType::Bool => match text()?.trim() {
                "" => DataRef::Empty,
                "0" => DataRef::Bool(false),
                "1" => DataRef::Bool(true),
                t if t.eq_ignore_ascii_case("false") => DataRef::Bool(false),
                t if t.eq_ignore_ascii_case("true") => DataRef::Bool(true),
                _ => return Err(Stop::Unsupported),
            },
            CellType::Error => DataRef::Error(
                text()?
                    .parse::<CellErrorType>()
                    .map_err(|_| Stop::Unsupported)?,
            ),
        })
    }
}

/// Where the cells of a worksheet start: past its `<sheetData>` tag, and whether the tag
/// closes itself. `None` when `data` does not reach it yet. The head before it must hold
/// plain tags: no comment, CDATA, or `<` inside a tag, where a `<sheetData` would not be one.
fn sheet_data(data: &[u8]) -> Step<Option<(usize, bool)>> {
    let Some(at) = memmem::find(data, b"<sheetData") else {
        return Ok(None);
    };
    let head = data.get(..at).unwrap_or_default();
    if memmem::find(head, b"<!").is_some() {
        return Err(Stop::Unsupported);
    }
    let mut open = false;
    for &b in head {
        match b {
            b'<' if open => return Err(Stop::Unsupported),
            b'<' => open = true,
            b'>' => open = false,
            _ => {}
        }
    }
    if open {
        return Err(Stop::Unsupported);
    }
    let rest = data.get(at..).unwrap_or_default();
    let Some(t) = tag(rest)? else {
        return Ok(None);
    };
    if t.name != b"sheetData" || t.end {
        return Err(Stop::Unsupported);
    }
    Ok(Some((at + t.len, t.empty)))
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use calamine::{Data, Reader};

    use super::{NumberKind, Stop, Workbook, custom_kind};
    use crate::limits::Limits;
    use crate::sheet::prescan;

    type Cells = Vec<((u32, u32), Data)>;

    /// calamine's cells of every sheet, or its error.
    fn calamine_cells(bytes: &[u8]) -> Vec<(String, Result<Cells, String>)> {
        let mut xlsx = calamine::Xlsx::new(Cursor::new(bytes)).unwrap();
        let names = xlsx.sheet_names();
        names
            .into_iter()
            .map(|name| {
                let cells = xlsx
                    .worksheet_cells_reader(&name)
                    .map_err(|e| e.to_string())
                    .and_then(|mut reader| {
                        let mut out = Vec::new();
                        while let Some(cell) = reader.next_cell().map_err(|e| e.to_string())? {
                            out.push((cell.get_position(), Data::from(cell.get_value().clone())));
                        }
                        Ok(out)
                    });
                (name, cells)
            })
            .collect()
    }

    /// This reader's cells of every sheet calamine lists: `None` where it steps aside.
    fn fast_cells(bytes: &[u8]) -> Vec<(String, Option<Cells>)> {
        let info = prescan::check_zip(bytes, &Limits::default()).unwrap();
        let xlsx = calamine::Xlsx::new(Cursor::new(bytes)).unwrap();
        let book = Workbook::read(bytes, None)
            .ok()
            .map(|b| b.in_date_system(xlsx.has_1904_epoch()));
        // The shared strings the pre-scan kept read as those inflated here.
        let mut deferring = prescan::check_zip_deferring(bytes, &Limits::default(), None).unwrap();
        if let Some((at, xml)) = deferring.take_shared_strings() {
            let kept = Workbook::read(bytes, Some((at, &xml))).ok();
            assert_eq!(
                kept.as_ref().map(|b| (&b.strings.text, &b.strings.ends)),
                book.as_ref().map(|b| (&b.strings.text, &b.strings.ends))
            );
        }
        xlsx.sheet_names()
            .into_iter()
            .map(|name| {
                let cells = book
                    .as_ref()
                    .zip(info.part_of(&name))
                    .and_then(|(book, part)| {
                        let read = |spawn: bool| {
                            let mut out = Vec::new();
                            let outcome = book.read_cells(
                                bytes,
                                &part,
                                &mut |position, value| {
                                    out.push((position, Data::from(value)));
                                    Ok(())
                                },
                                spawn,
                            );
                            match outcome {
                                Ok(()) => Some(out),
                                Err(Stop::Unsupported) => None,
                                Err(Stop::Sink(e)) => panic!("{e}"),
                            }
                        };
                        // Inflating on a second thread or on this one reads the same cells.
                        let threaded = read(true);
                        assert_eq!(threaded, read(false), "sheet {name}");
                        threaded
                    });
                (name, cells)
            })
            .collect()
    }

    /// Checks that the reader gives calamine's cells wherever it reads a sheet; returns how
    /// many sheets it read.
    fn same_as_calamine(bytes: &[u8], what: &str) -> usize {
        let expected = calamine_cells(bytes);
        let got = fast_cells(bytes);
        assert_eq!(expected.len(), got.len(), "{what}");
        let mut read = 0;
        for ((name, expected), (_, got)) in expected.iter().zip(&got) {
            if let Some(got) = got {
                assert_eq!(Ok(got), expected.as_ref(), "{what}, sheet {name}");
                read += 1;
            }
        }
        read
    }

    /// Every workbook among the fixtures, compiled in (the core reads no files, even in its
    /// tests); a workbook added to `tests/fixtures` is added here too.
    macro_rules! fixtures {
        ($($path:literal,)*) => {
            vec![$(($path, &include_bytes!(concat!("../../../../tests/fixtures/", $path))[..]),)*]
        };
    }

    fn fixture_workbooks() -> Vec<(&'static str, &'static [u8])> {
        fixtures![
            "hostile/blanks_between_tags.xlsx",
            "hostile/cell_ref_overflow.xlsx",
            "hostile/duplicate_part.xlsx",
            "hostile/far_cell_xfd.xlsx",
            "hostile/not_a_zip.xlsx",
            "hostile/rows_past_the_limit.xlsx",
            "hostile/shared_strings_huge_count.xlsx",
            "hostile/truncated.xlsx",
            "hostile/zip_bomb_cell.xlsx",
            "rosters/csv_named_xlsx/roster.xlsx",
            "rosters/handmade_merged_cells_xlsx/roster.xlsx",
            "rosters/handmade_title_rows_xlsx/roster.xlsx",
            "rosters/text_marker_apostrophe_xlsx/roster.xlsx",
            "rosters/two_cohort_sheets_option/roster.xlsx",
            "rosters/two_row_header_xlsx/roster.xlsx",
            "rosters/xlsm_libreoffice/roster.xlsm",
            "rosters/xlsx_1904_dates/roster.xlsx",
            "rosters/xlsx_hidden_sheet_first/roster.xlsx",
        ]
    }

    #[test]
    fn every_fixture_workbook_reads_as_calamine_reads_it() {
        let mut read = 0;
        let mut rosters = 0;
        for (path, bytes) in fixture_workbooks() {
            // Files the pre-scan refuses never reach a cell reader.
            if prescan::check_zip(bytes, &Limits::default()).is_err()
                || calamine::Xlsx::new(Cursor::new(bytes)).is_err()
            {
                continue;
            }
            let n = same_as_calamine(bytes, path);
            if path.starts_with("rosters/") {
                assert!(n > 0, "{path}: no sheet read");
                rosters += 1;
            }
            read += n;
        }
        assert!(
            rosters >= 8 && read >= 8,
            "{rosters} rosters, {read} sheets"
        );
    }

    /// A workbook of one sheet with the given `<sheetData>` content, shared strings and
    /// styles.
    fn workbook(sheet_data: &str, strings: &str, styles: &str, date1904: bool) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let pr = if date1904 {
            r#"<workbookPr date1904="1"/>"#
        } else {
            ""
        };
        let parts = [
            (
                "[Content_Types].xml",
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_owned(),
            ),
            (
                "_rels/.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/_rels/workbook.xml.rels",
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/workbook.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">{pr}<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>"#
                ),
            ),
            (
                "xl/worksheets/sheet1.xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><dimension ref=\"A1\"/><sheetData>{sheet_data}</sheetData></worksheet>"
                ),
            ),
            (
                "xl/sharedStrings.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{strings}</sst>"#
                ),
            ),
            (
                "xl/styles.xml",
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{styles}</styleSheet>"#
                ),
            ),
        ];
        for (name, text) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    const STYLES: &str = r#"<numFmts count="6"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/><numFmt numFmtId="165" formatCode="[h]:mm:ss"/><numFmt numFmtId="166" formatCode="&quot;d&quot;0.00"/><numFmt numFmtId="167" formatCode="0.00_m"/><numFmt numFmtId="168" formatCode="am/pm"/><numFmt numFmtId="14" formatCode="0.0"/></numFmts><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border><left/><right/></border></borders><cellStyleXfs count="1"><xf numFmtId="22"/></cellStyleXfs><cellXfs count="9"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164"/><xf numFmtId="165"/><xf numFmtId="166"/><xf numFmtId="167"/><xf numFmtId="168"><alignment horizontal="left"/></xf><xf numFmtId="46"/><xf numFmtId="22"/></cellXfs>"#;

    const STRINGS: &str = r#"<si><t>plain</t></si><si><t xml:space="preserve"> kept  </t></si><si><t>  trimmed
</t></si><si><r><rPr><b/></rPr><t>ri</t></r><r><t xml:space="preserve">ch </t></r></si><si><t>a &amp; b &lt;c&gt; &#233;&#x41;</t></si><si/><si><t/></si><si><t>Ünïcödé ✓</t></si><si><t></t></si><si><t>tab	</t></si><si><t>x</t> </si><si><t>a_x00</t></si><si><t>y</t><t>z</t></si>"#;

    #[test]
    fn shapes_writers_use_read_as_calamine_reads_them() {
        let cases = [
            r#"<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c><c r="C1" t="s"><v>2</v></c><c r="D1" t="s"><v>3</v></c><c r="E1" t="s"><v>4</v></c><c r="F1" t="s"><v>5</v></c><c r="G1" t="s"><v>6</v></c><c r="H1" t="s"><v>7</v></c></row>"#,
            r#"<row r="2" spans="1:9"><c r="A2"><v>1</v></c><c r="B2" s="1"><v>45000</v></c><c r="C2" s="2"><v>45000.5</v></c><c r="D2" s="3"><v>1.25</v></c><c r="E2" s="4"><v>3</v></c><c r="F2" s="5"><v>3</v></c><c r="G2" s="6"><v>0.5</v></c><c r="H2" s="7"><v>2.5</v></c><c r="I2" s="8"><v>-1</v></c><c r="J2" s="99"><v>7</v></c></row>"#,
            r#"<row r="3"><c r="A3" t="n"><v>-0.000123</v></c><c r="B3"><v>1.5E-3</v></c><c r="C3"><v>1e308</v></c><c r="D3" s="1"><v>3000000</v></c><c r="E3" s="1"><v>-5</v></c><c r="F3"><v></v></c><c r="G3"><v/></c><c r="H3"/><c r="I3" s="1"/></row>"#,
            r#"<row r="4"><c r="A4" t="b"><v>1</v></c><c r="B4" t="b"><v>0</v></c><c r="C4" t="b"><v>TRUE</v></c><c r="D4" t="e"><v>#N/A</v></c><c r="E4" t="e"><v>#DIV/0!</v></c><c r="F4" t="str"><f>A1&amp;B1</f><v>text result</v></c><c r="G4"><f>1+1</f><v>2</v></c><c r="H4" t="str"><v></v></c><c r="I4"><v>1</v><f>x</f></c></row>"#,
            r#"<row r="5"><c r="A5" t="inlineStr"><is><t>inline</t></is></c><c r="B5" t="inlineStr"><is><r><t>in</t></r><r><rPr><i/></rPr><t xml:space="preserve">line </t></r></is></c><c r="C5" t="inlineStr"><is/></c><c r="D5" t="inlineStr"><is><t>x &amp; y</t></is><v>ignored</v></c></row>"#,
            // Rows and cells without references, an empty row, pretty-printed XML.
            "<row>\n  <c t=\"s\"><v>0</v></c>\n  <c><v>2</v></c>\n</row>\n<row/>\n<row r=\"9\"><c><v>3</v></c><c r=\"D9\"><v>4</v></c><c><v>5</v></c></row><row><c r=\"B12\"><v>6</v></c><c><v>7</v></c></row>",
            r#"<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#,
            // Near the one-pass shape: read by the general reader, to the same cells.
            r#"<row r="1"><c t="s" r="A1" s="1"><v>8</v></c><c r="B1" cm="1"><v>2</v></c><c r='C1'><v>3</v></c><c  r="D1"><v>4</v></c><c r="E1" s="1" /><c r="F1"><v>5</v> </c><c r="G1" t="str"><v>a b</v></c><c r="H1"><v>6</v><v>7</v></c><c r="I1" t="s"
><v>9</v></c><c r="J1"	t="s"><v>10</v></c><c r="K1" t="s"><v>11</v></c><c r="L1" t="s"><v>12</v></c><c/><c><v>8</v></c><c s="2"><v>45000</v></c><c r="Z1"></c></row>"#,
            "",
        ];
        for (i, data) in cases.iter().enumerate() {
            for date1904 in [false, true] {
                let bytes = workbook(data, STRINGS, STYLES, date1904);
                assert_eq!(
                    same_as_calamine(&bytes, &format!("case {i}")),
                    1,
                    "case {i} not read"
                );
            }
        }
    }

    #[test]
    fn the_cells_do_not_depend_on_where_the_chunks_end() {
        let bytes = workbook("", STRINGS, STYLES, false);
        let book = Workbook::read(&bytes, None).unwrap();
        let long = "x".repeat(40_000);
        let mut xml =
            String::from(r#"<?xml version="1.0"?><worksheet><dimension ref="A1"/><sheetData>"#);
        for r in 1..400 {
            xml.push_str(&format!(
                r#"<row r="{r}" spans="1:4"><c r="A{r}" t="s"><v>{}</v></c><c r="B{r}" s="1"><v>{}</v></c><c r="C{r}"/><c t="str"><f>1</f><v>t{r}</v></c></row>"#,
                r % 8,
                45_000 + r
            ));
            if r % 97 == 0 {
                xml.push_str(&format!(
                    r#"<row><c t="inlineStr"><is><t>{long}</t></is></c></row>"#
                ));
            }
        }
        xml.push_str("</sheetData></worksheet>");
        let read = |size: usize| {
            let mut feeder = super::Feeder::new(&book);
            let mut cells = Vec::new();
            let mut sink = |position, value| {
                cells.push((position, Data::from(value)));
                Ok(())
            };
            for chunk in xml.as_bytes().chunks(size) {
                if !feeder
                    .push(chunk, &mut sink)
                    .map_err(|_| "stopped")
                    .unwrap()
                {
                    break;
                }
            }
            feeder.finish(&mut sink).map_err(|_| "stopped").unwrap();
            drop(feeder);
            cells
        };
        let whole = read(xml.len());
        assert_eq!(whole.len(), 399 * 4 + 4);
        for size in [
            1, 2, 3, 7, 64, 100, 1000, 4096, 16_383, 16_384, 50_000, 131_072,
        ] {
            assert_eq!(read(size), whole, "chunks of {size}");
        }
    }

    #[test]
    fn only_a_shared_strings_part_of_a_roster_s_size_is_kept() {
        let kept = |items: usize| {
            let strings = "<si><t>a</t></si>".repeat(items);
            let bytes = workbook(r#"<row><c t="s"><v>0</v></c></row>"#, &strings, "", false);
            prescan::check_zip_deferring(&bytes, &Limits::default(), None)
                .unwrap()
                .take_shared_strings()
                .map(|(_, xml)| xml.len())
        };
        assert!(kept(1_000).is_some());
        // Past 32 MiB, its reader inflates it again instead.
        assert_eq!(kept(2_000_000), None);
    }

    #[test]
    fn string_items_read_alike_in_text_valid_or_not_as_a_whole() {
        let items = |xml: &[u8]| {
            let strings = super::shared_strings(xml).map_err(|_| "stopped").unwrap();
            (0..strings.ends.len())
                .map(|i| strings.get(i).unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let expected = ["ab", "é ✓", "", "x y", "rich"];
        let body = "<si><t>ab</t></si><si><t>é ✓</t></si><si><t></t></si><si><t> x y </t></si><si><r><t>rich</t></r></si></sst>";
        assert_eq!(items(format!("<sst>{body}").as_bytes()), expected);
        // A byte that is no UTF-8 where the reader ignores it: each item is checked alone.
        let mut xml = b"<sst x=\"\xff\">".to_vec();
        xml.extend_from_slice(body.as_bytes());
        assert_eq!(items(&xml), expected);
    }

    #[test]
    fn unknown_shapes_are_left_to_calamine() {
        let cases = [
            // Phonetic runs, entities not resolved here, CDATA, comments, prefixes.
            (
                r#"<row><c t="s"><v>0</v></c></row>"#,
                "<si><t>a</t><rPh><t>b</t></rPh></si>",
            ),
            (
                r#"<row><c t="s"><v>0</v></c></row>"#,
                "<si><t>a\r\nb</t></si>",
            ),
            (
                r#"<row><c t="s"><v>0</v></c></row>"#,
                "<si><t><![CDATA[x]]></t></si>",
            ),
            (
                r#"<row><c t="s"><v>0</v></c></row>"#,
                "<si><t>a_x000D_b</t></si>",
            ),
            (
                r#"<row><!-- note --><c><v>1</v></c></row>"#,
                "<si><t>a</t></si>",
            ),
            (r#"<row><x:c><v>1</v></x:c></row>"#, "<si><t>a</t></si>"),
            (
                r#"<row><c t="d"><v>2024-01-01</v></c></row>"#,
                "<si><t>a</t></si>",
            ),
            (r#"<row><c><v> 1</v></c></row>"#, "<si><t>a</t></si>"),
            (r#"<row><c><v>abc</v></c></row>"#, "<si><t>a</t></si>"),
            (r#"<row><c t="s"><v>7</v></c></row>"#, "<si><t>a</t></si>"),
            (r#"<row><c r="a1"><v>1</v></c></row>"#, "<si><t>a</t></si>"),
            (
                r#"<row><c t="e"><v>#BAD</v></c></row>"#,
                "<si><t>a</t></si>",
            ),
            (r#"<row><c t="b"><v>yes</v></c></row>"#, "<si><t>a</t></si>"),
            (
                r#"<row><c r="A1" r="B1"><v>1</v></c></row>"#,
                "<si><t>a</t></si>",
            ),
            (
                r#"<row><c r="A1" t="x"><v>1</v></c></row>"#,
                "<si><t>a</t></si>",
            ),
            (
                r#"<row><c r="A1" s="01"><v>1</v></c></row>"#,
                "<si><t>a</t></si>",
            ),
            (
                r#"<row><c r="A1"><v>1&amp;</v></c></row>"#,
                "<si><t>a</t></si>",
            ),
            (
                r#"<row><c r="A1" t="s"><v>0</v></c></row>"#,
                "<si><t>a_x0041_b</t></si>",
            ),
        ];
        for (i, (data, strings)) in cases.iter().enumerate() {
            let bytes = workbook(data, strings, STYLES, false);
            assert_eq!(
                same_as_calamine(&bytes, &format!("case {i}")),
                0,
                "case {i} read"
            );
        }
    }

    #[test]
    fn plain_numbers_read_as_the_float_parser_reads_them() {
        for text in [
            "0",
            "-0",
            "7",
            "-12",
            "45658",
            "999999999999999",
            "-999999999999999",
            "9007199254740993",
            "37.5",
            "-0.25",
            "1e5",
            "1.5E-3",
            "123456789012345678901",
        ] {
            let parsed: f64 = text.parse().unwrap();
            let read = super::plain_number(text.as_bytes()).unwrap();
            assert_eq!(read.to_bits(), parsed.to_bits(), "{text}");
        }
        for text in [
            "", "-", "1.", ".5", "1e", "+1", " 1", "1 ", "0x1", "inf", "NaN",
        ] {
            assert_eq!(super::plain_number(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn number_formats_are_classified_as_calamine_classifies_them() {
        for (code, kind) in [
            ("yyyy-mm-dd", NumberKind::DateTime),
            ("General", NumberKind::Other),
            ("0.00", NumberKind::Other),
            ("[h]:mm:ss", NumberKind::TimeDelta),
            ("[mm]:ss", NumberKind::TimeDelta),
            ("[Red]0.00", NumberKind::Other),
            ("[$-409]d-mmm", NumberKind::DateTime),
            ("\"days\" 0", NumberKind::Other),
            ("0_m", NumberKind::Other),
            ("0\\d", NumberKind::Other),
            ("0;[Red]-d", NumberKind::Other),
            ("am/pm", NumberKind::DateTime),
            ("a", NumberKind::Other),
        ] {
            assert_eq!(custom_kind(code), kind, "{code}");
        }
    }
}
