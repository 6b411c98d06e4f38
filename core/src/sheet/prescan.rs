//! Structural checks of workbook files made before calamine parses them.
//!
//! calamine trusts sizes and counts declared inside a file: a `uniqueCount` in
//! `sharedStrings.xml`, an XLS `DIMENSIONS` record, a zip entry's size, ODS repeat counts.
//! A tiny hostile file can declare billions and make the process allocate until it aborts,
//! which no `catch_unwind` can stop. These checks read the declarations first and refuse
//! the file with a clear error.

use std::io::{Cursor, Read};

use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;

const HEAD_BYTES: usize = 8 * 1024;

fn limit(message: String) -> Error {
    Error::new(ErrorKind::LimitExceeded, message)
}

fn malformed(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::MalformedFile, message)
}

/// Checks every part of a zipped workbook: declared and real decompressed sizes, compression
/// ratio, and the counts the parts declare.
pub(crate) fn check_zip(bytes: &[u8], limits: &Limits) -> Result<ZipInfo> {
    scan_zip(bytes, limits, None)
}

/// [`check_zip`], except that the part of the sheet to be read first (`sheet`, or else the
/// first visible worksheet) is not inflated: its reader checks it as it inflates it for its
/// cells (see [`ZipInfo::deferred`]), so the sheet inflates once. Only a part that inflates
/// at most [`DEFER_RATIO`]-fold is left so; it counts in the total at its declared size, an
/// upper bound of its real one. When a later part is refused, the deferred part is checked
/// here after all: a refusal of its own comes first, as in [`check_zip`].
pub(crate) fn check_zip_deferring(
    bytes: &[u8],
    limits: &Limits,
    sheet: Option<&str>,
) -> Result<ZipInfo> {
    scan_zip(bytes, limits, Some(sheet))
}

/// A part that inflates more than this many times over is checked before any of it is
/// parsed: rosters inflate some ten-fold, hostile parts a thousand-fold.
const DEFER_RATIO: u64 = 100;

/// The size of each read from an inflating part: the checks see the same pieces wherever
/// they run.
pub(crate) const PIECE: usize = 64 * 1024;

fn open_zip(bytes: &[u8]) -> Result<zip::ZipArchive<Cursor<&[u8]>>> {
    zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        malformed("the workbook's zip directory cannot be read; the file may be truncated")
            .with_source(e)
    })
}

fn scan_zip(bytes: &[u8], limits: &Limits, defer: Option<Option<&str>>) -> Result<ZipInfo> {
    let mut info = ZipInfo {
        // The cell reader that reads the deferred sheet reads the shared strings too.
        keeps_strings: defer.is_some(),
        ..ZipInfo::default()
    };
    let mut archive = open_zip(bytes)?;
    if archive.has_duplicate_names() {
        return Err(malformed(
            "the workbook names one part twice; readers disagree on which copy counts, so the file is refused: save it again from the spreadsheet program",
        ));
    }
    refuse_duplicate_parts(archive.file_names_raw())?;
    let candidate = defer.and_then(|sheet| first_part(&mut archive, sheet));
    let mut total: u64 = 0;
    let mut chunk = vec![0u8; PIECE];
    // The part left unread, and the total before it.
    let mut skipped: Option<(usize, u64)> = None;
    let mut index = 0;
    while index < archive.len() {
        let defer_this = skipped.is_none() && candidate == Some(index);
        let before = total;
        match check_part(
            &mut archive,
            index,
            limits,
            &mut info,
            &mut total,
            &mut chunk,
            defer_this,
        ) {
            Ok(true) => skipped = Some((index, before)),
            Ok(false) => {}
            Err(refusal) => {
                let Some((at, before)) = skipped.take() else {
                    return Err(refusal.error);
                };
                // The part left unread comes first: its own refusal, if any, is the file's.
                info.deferred = None;
                total = before;
                check_part(
                    &mut archive,
                    at,
                    limits,
                    &mut info,
                    &mut total,
                    &mut chunk,
                    false,
                )
                .map_err(|r| r.error)?;
                if !refusal.total {
                    return Err(refusal.error);
                }
                // Counted at its real size, the total may stay under the limit: count the
                // parts after it again.
                index = at + 1;
                continue;
            }
        }
        index += 1;
    }
    Ok(info)
}

/// Why a part was refused; `total` when for the running total of all parts.
struct Refusal {
    error: Error,
    total: bool,
}

impl From<Error> for Refusal {
    fn from(error: Error) -> Self {
        Refusal {
            error,
            total: false,
        }
    }
}

/// Checks part `index`, or with `defer` leaves a worksheet that inflates little unread (and
/// records it in `info`); whether it was left.
fn check_part(
    archive: &mut zip::ZipArchive<Cursor<&[u8]>>,
    index: usize,
    limits: &Limits,
    info: &mut ZipInfo,
    total: &mut u64,
    chunk: &mut [u8],
    defer: bool,
) -> std::result::Result<bool, Refusal> {
    let mut part = archive.by_index(index).map_err(|e| {
        malformed("a part of the workbook cannot be opened; the file may be damaged or encrypted")
            .with_source(e)
    })?;
    let name = String::from_utf8_lossy(part.name_raw()).into_owned();
    let declared = part.size();
    if declared > limits.max_part_bytes {
        return Err(limit(format!(
            "workbook part `{name}` declares {declared} bytes, over the limit of {} bytes",
            limits.max_part_bytes
        ))
        .into());
    }
    let compressed = part.compressed_size().max(1);
    if defer
        && is_worksheet(&name)
        && declared <= compressed.saturating_mul(DEFER_RATIO)
        && total.saturating_add(declared) <= limits.max_decompressed_bytes
    {
        *total += declared;
        info.deferred = Some(Deferred {
            index,
            name,
            declared,
        });
        return Ok(true);
    }
    let mut kept = (info.keeps_strings
        && name.replace('\\', "/").eq_ignore_ascii_case(SHARED_STRINGS))
    // Sized once from the declared size (checked below as it inflates), within reason.
    .then(|| Vec::with_capacity(usize::try_from(declared.min(KEPT_MOST)).unwrap_or(0)));
    let mut check = PartCheck::new(name, declared, limits);
    loop {
        let n = part.read(chunk).map_err(|e| check.read_failed(e))?;
        if n == 0 {
            break;
        }
        let piece = chunk.get(..n).unwrap_or_default();
        check.chunk(piece)?;
        // A part larger than a roster's strings is let go of (its reader inflates it again),
        // so that a hostile one, refused only once read, is never held here.
        if kept
            .as_ref()
            .is_some_and(|k| (k.len() + n) as u64 > KEPT_MOST)
        {
            kept = None;
        }
        if let Some(kept) = kept.as_mut() {
            kept.extend_from_slice(piece);
        }
    }
    check.ratio(compressed)?;
    let (name, seen) = (&check.name, check.seen);
    add_to_total(total, seen, limits)?;
    if name.ends_with("sharedStrings.xml") && seen > limits.max_sheet_bytes {
        // The reader holds every shared string before any cell is read.
        return Err(limit(format!(
            "the workbook's shared strings take {} MiB, over the limit of {} MiB for a sheet in memory; split the roster into smaller files, or raise the limit",
            seen >> 20,
            limits.max_sheet_bytes >> 20
        ))
        .into());
    }
    if name.ends_with("sharedStrings.xml")
        && let Some(count) = attribute_number(&check.head, b"uniqueCount=")
    {
        // An `<si/>` takes at least five bytes, so a truthful count is bounded by the size.
        if count > limits.max_shared_strings || count > seen / 5 + 1 {
            return Err(limit(format!(
                "the workbook declares {count} shared strings in {seen} bytes; at most {} are accepted and the part cannot hold that many",
                limits.max_shared_strings
            ))
            .into());
        }
    }
    check.extent()?;
    if let Some(kept) = kept {
        info.shared_strings = Some((index, kept));
    }
    let name = check.name.clone();
    if check.worksheet && !check.sheet_scan.merges.is_empty() {
        info.merges
            .push((name.clone(), std::mem::take(&mut check.sheet_scan.merges)));
    }
    if (name == "xl/workbook.xml" || name == "xl/_rels/workbook.xml.rels")
        && seen <= HEAD_BYTES as u64 * 128
    {
        // Small parts: read again whole to map sheet names to their parts.
        let mut whole = Vec::new();
        drop(part);
        if let Ok(mut again) = archive.by_index(index) {
            let _ = again.read_to_end(&mut whole);
        }
        if name == "xl/workbook.xml" {
            info.workbook = whole;
        } else {
            info.rels = whole;
        }
    }
    Ok(false)
}

fn add_to_total(total: &mut u64, seen: u64, limits: &Limits) -> std::result::Result<(), Refusal> {
    *total += seen;
    if *total > limits.max_decompressed_bytes {
        return Err(Refusal {
            error: limit(format!(
                "the workbook decompresses to more than {} bytes, over the limit",
                limits.max_decompressed_bytes
            )),
            total: true,
        });
    }
    Ok(())
}

fn is_worksheet(name: &str) -> bool {
    name.starts_with("xl/worksheets/") && name.ends_with(".xml")
}

/// The index of the part holding `sheet`, or else the first visible worksheet, as
/// `xl/workbook.xml` and its relationships name it; `None` when they do not say. A guess:
/// whoever reads another sheet first has the part checked before ([`ZipInfo::settle`]).
fn first_part(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, sheet: Option<&str>) -> Option<usize> {
    let book = ZipInfo {
        workbook: small_part(archive, "xl/workbook.xml")?,
        rels: small_part(archive, "xl/_rels/workbook.xml.rels")?,
        ..ZipInfo::default()
    };
    let sheets = xml_elements(&book.workbook, "sheet");
    let name_of = |attrs: &Vec<(String, String)>| {
        attrs
            .iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.clone())
    };
    let name = match sheet {
        Some(wanted) => {
            let names: Vec<String> = sheets.iter().filter_map(name_of).collect();
            let at = super::sheet_named(names.iter().map(String::as_str), wanted)?;
            names.get(at)?.clone()
        }
        None => sheets
            .iter()
            .filter(|attrs| attrs.iter().all(|(k, v)| k != "state" || v == "visible"))
            .filter_map(name_of)
            .next()?,
    };
    let part = book.part_of(&name)?;
    let found =
        (0..archive.len()).find(|&i| matches!(archive.name_for_index(i), Some(Ok(n)) if n == part));
    found.filter(|_| is_worksheet(&part) && !part.ends_with("sharedStrings.xml"))
}

/// A small part read whole (at most 1 MiB); `None` when absent, larger or unreadable.
fn small_part(archive: &mut zip::ZipArchive<Cursor<&[u8]>>, name: &str) -> Option<Vec<u8>> {
    let limit = HEAD_BYTES as u64 * 128;
    let part = archive.by_name(name).ok()?;
    if part.size() > limit {
        return None;
    }
    let mut whole = Vec::new();
    part.take(limit + 1).read_to_end(&mut whole).ok()?;
    (whole.len() as u64 <= limit).then_some(whole)
}

/// The checks of one part as it inflates, in the order the pre-scan makes them.
pub(crate) struct PartCheck {
    name: String,
    declared: u64,
    cap: u64,
    limits: Limits,
    seen: u64,
    head: Vec<u8>,
    worksheet: bool,
    xml: bool,
    runs: XmlRuns,
    sheet_scan: SheetScan,
}

impl PartCheck {
    pub(crate) fn new(name: String, declared: u64, limits: &Limits) -> Self {
        PartCheck {
            worksheet: is_worksheet(&name),
            xml: name.ends_with(".xml") || name.ends_with(".rels"),
            name,
            declared,
            cap: declared.min(limits.max_part_bytes),
            limits: *limits,
            seen: 0,
            head: Vec::new(),
            runs: XmlRuns::default(),
            sheet_scan: SheetScan::default(),
        }
    }

    /// The refusal of a part that cannot be inflated.
    pub(crate) fn read_failed(&self, e: std::io::Error) -> Error {
        malformed(format!(
            "workbook part `{}` cannot be decompressed; the file is damaged",
            self.name
        ))
        .with_source(e)
    }

    /// Checks the next piece read (at most [`PIECE`] bytes).
    pub(crate) fn chunk(&mut self, chunk: &[u8]) -> Result<()> {
        let (name, n) = (&self.name, chunk.len());
        self.seen += n as u64;
        if self.seen > self.cap {
            return Err(malformed(format!(
                "workbook part `{name}` holds more data than its zip entry declares ({} bytes); the file is damaged or crafted",
                self.declared
            )));
        }
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(n);
            self.head
                .extend_from_slice(chunk.get(..take).unwrap_or_default());
        }
        if self.xml && self.runs.too_long(chunk) {
            return Err(limit(format!(
                "workbook part `{name}` holds more than {} MiB between two XML tags; no cell holds that much, so the file is damaged or crafted",
                MAX_XML_RUN >> 20
            )));
        }
        if self.worksheet {
            self.sheet_scan.scan(chunk, name)?;
            let most = EXCEL_ROWS.min(self.limits.max_rows.saturating_add(1_000));
            if self.sheet_scan.rows > most {
                return Err(limit(format!(
                    "workbook part `{name}` holds more than {most} rows, over the limit; split the roster or delete the unused rows at the bottom"
                )));
            }
        }
        Ok(())
    }

    /// The compression ratio, once the part is read.
    fn ratio(&self, compressed: u64) -> Result<()> {
        let (seen, compressed) = (self.seen, compressed.max(1));
        if seen > 1024 * 1024 && seen / compressed > self.limits.max_compression_ratio {
            return Err(limit(format!(
                "workbook part `{}` expands {}-fold ({compressed} to {seen} bytes), over the limit of {}",
                self.name,
                seen / compressed,
                self.limits.max_compression_ratio
            )));
        }
        Ok(())
    }

    /// A worksheet's declared extent (`<dimension>`), once the part is read.
    fn extent(&self) -> Result<()> {
        if self.worksheet
            && let Some((rows, cols)) = dimension(&self.head)
        {
            check_extent(&self.name, rows, cols, &self.limits)?;
        }
        Ok(())
    }

    /// The checks at the end of a deferred worksheet (its size was counted in the total at
    /// its declared size, which a part that passes [`PartCheck::chunk`] does not exceed);
    /// its merged ranges.
    pub(crate) fn finish(&mut self, compressed: u64) -> Result<Vec<calamine::Dimensions>> {
        self.ratio(compressed)?;
        self.extent()?;
        Ok(std::mem::take(&mut self.sheet_scan.merges))
    }
}

/// Refuses a package that names one part twice: readers disagree on which copy counts (the
/// first, the last, the one the central directory or the local headers point at), so one
/// tool could validate a roster and another read a different one. Names are compared as
/// package part names are: without case, with `\\` as `/`, without a leading `/`.
fn refuse_duplicate_parts<'a>(names: impl Iterator<Item = &'a [u8]>) -> Result<()> {
    let mut seen = std::collections::HashSet::new();
    for raw in names {
        let name = String::from_utf8_lossy(raw);
        let key = name
            .trim_start_matches(['/', '\\'])
            .replace('\\', "/")
            .to_lowercase();
        if !seen.insert(key) {
            return Err(malformed(format!(
                "the workbook holds the part `{name}` twice; readers disagree on which copy counts, so the file is refused: save it again from the spreadsheet program"
            )));
        }
    }
    Ok(())
}

/// The most bytes an XML part may hold between two `<`: far above any cell (Excel stops at
/// 32,767 characters, at most 160 KiB escaped) or tag, and small enough to hold. The XML
/// reader buffers a whole text run or tag, so a part padded with megabytes of blanks between
/// two tags would otherwise be held whole in memory.
const MAX_XML_RUN: u64 = 16 << 20;

/// The bytes since the last `<` of an XML part read in chunks.
#[derive(Default)]
struct XmlRuns {
    open: u64,
}

impl XmlRuns {
    /// Reads the next chunk; whether a run between two `<` is now longer than the limit.
    fn too_long(&mut self, chunk: &[u8]) -> bool {
        if chunk.len() as u64 <= MAX_XML_RUN {
            // A run within the chunk is shorter than the chunk: only the run into its first
            // `<` and the one from its last can be too long (a sheet has millions of `<`).
            let Some(first) = memchr::memchr(b'<', chunk) else {
                self.open = self.open.saturating_add(chunk.len() as u64);
                return self.open > MAX_XML_RUN;
            };
            if self.open.saturating_add(first as u64) > MAX_XML_RUN {
                return true;
            }
            let last = memchr::memrchr(b'<', chunk).unwrap_or(first);
            self.open = (chunk.len() - last - 1) as u64;
            return self.open > MAX_XML_RUN;
        }
        let mut last: Option<usize> = None;
        for at in memchr::memchr_iter(b'<', chunk) {
            let run = match last {
                None => self.open.saturating_add(at as u64),
                Some(before) => (at - before - 1) as u64,
            };
            if run > MAX_XML_RUN {
                return true;
            }
            last = Some(at);
        }
        self.open = match last {
            None => self.open.saturating_add(chunk.len() as u64),
            Some(before) => (chunk.len() - before - 1) as u64,
        };
        self.open > MAX_XML_RUN
    }
}

/// What the pre-scan of a zipped workbook learned on the way.
#[derive(Debug, Default)]
pub(crate) struct ZipInfo {
    /// Merged ranges per worksheet part (`xl/worksheets/sheet1.xml`).
    merges: Vec<(String, Vec<calamine::Dimensions>)>,
    workbook: Vec<u8>,
    rels: Vec<u8>,
    /// The part [`check_zip_deferring`] left unread: checked by its reader as it inflates
    /// it ([`ZipInfo::settled`]), or by [`ZipInfo::settle`] before anything else reads the
    /// workbook.
    deferred: Option<Deferred>,
    /// Whether the shared strings part is kept as it inflates, for the cell reader.
    keeps_strings: bool,
    /// That part inflated: its index in the zip directory and its bytes.
    shared_strings: Option<(usize, Vec<u8>)>,
}

/// The largest shared strings part kept as the pre-scan inflates it.
const KEPT_MOST: u64 = 32 << 20;

/// Where the cell reader (as calamine) looks for the shared strings, case and `\\` aside.
pub(crate) const SHARED_STRINGS: &str = "xl/sharedStrings.xml";

/// A worksheet part not checked yet.
#[derive(Debug, Clone)]
pub(crate) struct Deferred {
    /// Its index in the zip directory.
    pub(crate) index: usize,
    /// Its name there.
    pub(crate) name: String,
    /// The size it declares there.
    pub(crate) declared: u64,
}

impl ZipInfo {
    /// The part left unread by [`check_zip_deferring`], until it is checked.
    pub(crate) fn deferred(&self) -> Option<&Deferred> {
        self.deferred.as_ref()
    }

    /// Checks the part left unread, if any, as [`check_zip`] would have: what must happen
    /// before anything else reads the workbook, so that a refusal of that part comes first.
    pub(crate) fn settle(&mut self, bytes: &[u8], limits: &Limits) -> Result<()> {
        let Some(deferred) = self.deferred.take() else {
            return Ok(());
        };
        let mut archive = open_zip(bytes)?;
        let mut part = archive.by_index(deferred.index).map_err(|e| {
            malformed(
                "a part of the workbook cannot be opened; the file may be damaged or encrypted",
            )
            .with_source(e)
        })?;
        let mut check = PartCheck::new(deferred.name, deferred.declared, limits);
        let mut chunk = vec![0u8; PIECE];
        loop {
            let n = part.read(&mut chunk).map_err(|e| check.read_failed(e))?;
            if n == 0 {
                break;
            }
            check.chunk(chunk.get(..n).unwrap_or_default())?;
        }
        let merges = check.finish(part.compressed_size())?;
        self.settled(check.name, merges);
        Ok(())
    }

    /// Records the part left unread as checked by its reader, with its merged ranges.
    pub(crate) fn settled(&mut self, name: String, merges: Vec<calamine::Dimensions>) {
        self.deferred = None;
        if !merges.is_empty() {
            self.merges.push((name, merges));
        }
    }

    /// The merged ranges of the named sheet (XLSX/XLSM), found without parsing it again.
    pub(crate) fn merges_of(&self, sheet: &str) -> Vec<calamine::Dimensions> {
        let Some(part) = self.part_of(sheet) else {
            return Vec::new();
        };
        self.merges
            .iter()
            .find(|(p, _)| *p == part)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    /// Whether `xl/workbook.xml` sets the 1904 date system, as calamine reads it.
    pub(crate) fn date1904(&self) -> bool {
        xml_elements(&self.workbook, "workbookPr")
            .iter()
            .flatten()
            .any(|(k, v)| k == "date1904" && (v == "1" || v == "true"))
    }

    /// The shared strings part as the pre-scan inflated it (its index in the zip directory
    /// and its bytes), when it kept it: once, for the cell reader.
    pub(crate) fn take_shared_strings(&mut self) -> Option<(usize, Vec<u8>)> {
        self.shared_strings.take()
    }

    /// Whether the workbook's main part is `xl/workbook.xml`.
    pub(crate) fn has_workbook(&self) -> bool {
        !self.workbook.is_empty()
    }

    /// The zip path of a sheet, from `xl/workbook.xml` and its relationships.
    pub(crate) fn part_of(&self, sheet: &str) -> Option<String> {
        let id = xml_elements(&self.workbook, "sheet")
            .into_iter()
            .find(|attrs| attrs.iter().any(|(k, v)| k == "name" && v == sheet))?
            .into_iter()
            .find(|(k, _)| k.ends_with(":id"))?
            .1;
        let target = xml_elements(&self.rels, "Relationship")
            .into_iter()
            .find(|attrs| attrs.iter().any(|(k, v)| k == "Id" && *v == id))?
            .into_iter()
            .find(|(k, _)| k == "Target")?
            .1;
        Some(match target.strip_prefix('/') {
            Some(absolute) => absolute.to_owned(),
            None => format!("xl/{}", target.trim_start_matches("./")),
        })
    }
}

/// Attributes (unescaped) of every element with the given local name.
fn xml_elements(xml: &[u8], local: &str) -> Vec<Vec<(String, String)>> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut out = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == local => {
                out.push(
                    e.attributes()
                        .flatten()
                        .map(|a| {
                            (
                                a.key.as_ref().to_owned(),
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .map(|v| v.into_owned())
                                    .unwrap_or_default(),
                            )
                        })
                        .collect(),
                );
            }
            Ok(Event::Eof) | Err(_) => break,
            _ => {}
        }
        buf.clear();
    }
    out
}

/// Excel's grid: 1,048,576 rows by 16,384 columns.
/// The most rows a spreadsheet program can write in one sheet.
pub(crate) const EXCEL_ROWS: u64 = 1_048_576;
const EXCEL_COLUMNS: u64 = 16_384;

/// Streams over a worksheet's XML across chunk boundaries: refuses `r="…"` references (cells
/// and rows) outside Excel's grid, which calamine would overflow on, and collects the merged
/// ranges (`<mergeCell ref="A1:F1"/>`), so the sheet need not be parsed a second time for them.
#[derive(Default)]
struct SheetScan {
    carry: Vec<u8>,
    merges: Vec<calamine::Dimensions>,
    /// `<row>` elements seen, so a sheet longer than a sheet can be (rows need no `r`
    /// attribute) is refused while it inflates, before its cells are parsed.
    rows: u64,
}

/// The longest attribute value kept across a chunk boundary; a longer one is not a reference.
const MAX_REFERENCE: usize = 1024;

impl SheetScan {
    fn scan(&mut self, chunk: &[u8], part: &str) -> Result<()> {
        let mut data = std::mem::take(&mut self.carry);
        let carried = data.len();
        data.extend_from_slice(chunk);
        // A `<row` whose five bytes lay within the carried bytes was counted last time.
        for at in memchr::memmem::find_iter(&data, b"<row") {
            if at + 5 > carried
                && data
                    .get(at + 4)
                    .is_some_and(|b| matches!(b, b' ' | b'>' | b'/' | b'\t' | b'\r' | b'\n'))
            {
                self.rows += 1;
            }
        }
        let mut keep_from = data.len().saturating_sub(16);
        for at in memchr::memmem::find_iter(&data, b" r=\"") {
            let start = at + 4;
            let Some(len) = data
                .get(start..)
                .and_then(|rest| memchr::memchr(b'"', rest))
            else {
                keep_from = keep_from.min(at);
                break;
            };
            let raw = data.get(start..start + len).unwrap_or_default();
            if plain_reference_inside(raw) {
                continue;
            }
            let text = String::from_utf8_lossy(raw);
            let outside = len > 32
                || if text.bytes().all(|b| b.is_ascii_digit()) {
                    text.parse::<u64>().map_or(true, |row| row > EXCEL_ROWS)
                } else {
                    cell_reference(&text)
                        .is_none_or(|(row, col)| row > EXCEL_ROWS || col > EXCEL_COLUMNS)
                };
            if outside {
                return Err(malformed(format!(
                    "workbook part `{part}` refers to cell `{}`, outside the 1,048,576 rows and 16,384 columns a sheet can have; the file is damaged or crafted",
                    text.chars().take(32).collect::<String>()
                )));
            }
        }
        for at in memchr::memmem::find_iter(&data, b"<mergeCell ") {
            let Some(element) = data
                .get(at..)
                .and_then(|rest| memchr::memchr(b'>', rest).and_then(|end| rest.get(..end)))
            else {
                keep_from = keep_from.min(at);
                break;
            };
            let reference = memchr::memmem::find(element, b"ref=\"").and_then(|r| {
                let value = element.get(r + 5..)?;
                value.get(..memchr::memchr(b'"', value)?)
            });
            if let Some(merge) = reference
                .and_then(|r| std::str::from_utf8(r).ok())
                .and_then(merge_range)
            {
                self.merges.push(merge);
            }
        }
        if data.len() - keep_from > MAX_REFERENCE {
            return Err(malformed(format!(
                "workbook part `{part}` holds an attribute too long to be a cell reference; the file is damaged or crafted"
            )));
        }
        self.carry = data.get(keep_from..).unwrap_or_default().to_vec();
        Ok(())
    }
}

/// Whether `raw` is a plain row number (`12`) or cell reference (`AB12`) inside Excel's grid:
/// the references every cell and row carries, checked without the general parser.
fn plain_reference_inside(raw: &[u8]) -> bool {
    let letters = raw.iter().take_while(|b| b.is_ascii_uppercase()).count();
    let Some(digits) = raw.get(letters..) else {
        return false;
    };
    if letters > 3
        || digits.is_empty()
        || digits.len() > 7
        || digits.first() == Some(&b'0')
        || !digits.iter().all(u8::is_ascii_digit)
    {
        return false;
    }
    let row = digits
        .iter()
        .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
    let col = raw
        .get(..letters)
        .unwrap_or_default()
        .iter()
        .fold(0u64, |acc, b| acc * 26 + u64::from(b - b'A') + 1);
    row <= EXCEL_ROWS && col <= EXCEL_COLUMNS
}

/// Parses `A1:F2` into calamine's 0-based dimensions.
fn merge_range(text: &str) -> Option<calamine::Dimensions> {
    let (a, b) = text.split_once(':')?;
    let (r1, c1) = cell_reference(a)?;
    let (r2, c2) = cell_reference(b)?;
    let zero = |v: u64| u32::try_from(v.checked_sub(1)?).ok();
    Some(calamine::Dimensions::new(
        (zero(r1)?, zero(c1)?),
        (zero(r2)?, zero(c2)?),
    ))
}

/// Refuses a workbook whose reader would allocate `cells` cells at once (every cell of a
/// rectangle) beyond the memory limit for a sheet.
fn check_dense(what: &str, cells: u64, limits: &Limits) -> Result<()> {
    let bytes = cells.saturating_mul(std::mem::size_of::<calamine::Data>() as u64);
    if bytes > limits.max_sheet_bytes {
        return Err(limit(format!(
            "the sheets {what} span {cells} cells from A1 to their last values, which take {} MiB to read, over the limit of {} MiB; delete the unused rows and columns, or split the roster",
            bytes >> 20,
            limits.max_sheet_bytes >> 20
        )));
    }
    Ok(())
}

fn check_extent(what: &str, rows: u64, cols: u64, limits: &Limits) -> Result<()> {
    if cols > u64::from(limits.max_columns) {
        return Err(limit(format!(
            "sheet `{what}` spans {cols} columns, over the limit of {}; delete the unused columns at the right",
            limits.max_columns
        )));
    }
    if rows > limits.max_rows.saturating_add(1_000) {
        return Err(limit(format!(
            "sheet `{what}` spans {rows} rows, over the limit of {}; split the roster or delete the unused rows at the bottom",
            limits.max_rows
        )));
    }
    Ok(())
}

/// Reads the number after `attr` (e.g. `uniqueCount=`) in an XML head, ignoring quotes.
fn attribute_number(head: &[u8], attr: &[u8]) -> Option<u64> {
    let at = memchr::memmem::find(head, attr)? + attr.len();
    let rest = head.get(at..)?;
    let quote = *rest.first()?;
    let digits: Vec<u8> = rest
        .get(1..)?
        .iter()
        .copied()
        .take_while(|&b| b != quote)
        .collect();
    let text = std::str::from_utf8(&digits).ok()?;
    // A number too large for u64 is as hostile as a huge one.
    Some(text.trim().parse::<u64>().unwrap_or(u64::MAX))
}

/// Rows and columns spanned by a worksheet's `<dimension ref="A1:F20"/>`.
fn dimension(head: &[u8]) -> Option<(u64, u64)> {
    let at = memchr::memmem::find(head, b"<dimension")?;
    let rest = head.get(at..)?;
    let r = memchr::memmem::find(rest, b"ref=\"")? + 5;
    let body = rest.get(r..)?;
    let end = memchr::memchr(b'"', body)?;
    let text = std::str::from_utf8(body.get(..end)?).ok()?;
    let (a, b) = text.split_once(':').unwrap_or((text, text));
    let (r1, c1) = cell_reference(a)?;
    let (r2, c2) = cell_reference(b)?;
    Some((r2.saturating_sub(r1) + 1, c2.saturating_sub(c1) + 1))
}

/// Parses `XFD1048576` into a 1-based (row, column), saturating instead of overflowing.
pub(crate) fn cell_reference(text: &str) -> Option<(u64, u64)> {
    let text = text.trim().trim_start_matches('$');
    let letters = text.bytes().take_while(u8::is_ascii_alphabetic).count();
    let (col, row) = text.split_at(letters);
    let row = row.trim_start_matches('$');
    if col.is_empty() || row.is_empty() || !row.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let col = col.bytes().fold(0u64, |acc, b| {
        acc.saturating_mul(26)
            .saturating_add(u64::from(b.to_ascii_uppercase() - b'A' + 1))
    });
    let row = row.parse::<u64>().unwrap_or(u64::MAX);
    Some((row, col))
}

/// Checks an XLS (BIFF8) workbook: encryption and each sheet's declared dimensions.
pub(crate) fn check_xls(bytes: &[u8], limits: &Limits) -> Result<()> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| {
        malformed("the XLS file's structure cannot be read; it may be truncated").with_source(e)
    })?;
    let stream_name = if file.is_stream("/Workbook") {
        "/Workbook"
    } else {
        "/Book"
    };
    let size = file.entry(stream_name).map(|e| e.len()).unwrap_or(0);
    if size > limits.max_part_bytes {
        return Err(limit(format!(
            "the XLS workbook stream has {size} bytes, over the limit of {}",
            limits.max_part_bytes
        )));
    }
    let mut stream = file
        .open_stream(stream_name)
        .map_err(|e| malformed("the XLS file has no readable workbook stream").with_source(e))?;
    let mut data = Vec::new();
    stream.read_to_end(&mut data).map_err(|e| {
        malformed("the XLS workbook stream cannot be read; the file is damaged").with_source(e)
    })?;
    let mut at = 0usize;
    while let Some(header) = data.get(at..at + 4) {
        let kind = u16::from_le_bytes([
            header.first().copied().unwrap_or(0),
            header.get(1).copied().unwrap_or(0),
        ]);
        let len = usize::from(u16::from_le_bytes([
            header.get(2).copied().unwrap_or(0),
            header.get(3).copied().unwrap_or(0),
        ]));
        let body = data.get(at + 4..at + 4 + len).unwrap_or_default();
        match kind {
            0x002F => {
                return Err(Error::new(
                    ErrorKind::Encrypted,
                    "the workbook is protected with a password; remove the password in Excel and upload it again",
                ));
            }
            0x0200 if body.len() >= 14 => {
                let u32_at = |i: usize| {
                    body.get(i..i + 4)
                        .and_then(|b| b.try_into().ok())
                        .map_or(0, u32::from_le_bytes)
                };
                let u16_at = |i: usize| {
                    body.get(i..i + 2)
                        .and_then(|b| b.try_into().ok())
                        .map_or(0, u16::from_le_bytes)
                };
                let rows = u64::from(u32_at(4).saturating_sub(u32_at(0)));
                let cols = u64::from(u16_at(10).saturating_sub(u16_at(8)));
                check_extent("of the XLS workbook", rows, cols, limits)?;
                // The XLS reader builds the declared rectangle densely.
                check_dense("of the XLS workbook", rows.saturating_mul(cols), limits)?;
            }
            _ => {}
        }
        at += 4 + len;
    }
    Ok(())
}

/// Checks an ODS `content.xml`: repeat counts of rows and cells that hold data.
pub(crate) fn check_ods(bytes: &[u8], limits: &Limits) -> Result<()> {
    use quick_xml::events::Event;
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| malformed("the ODS zip directory cannot be read").with_source(e))?;
    let content = archive
        .by_name("content.xml")
        .map_err(|e| malformed("the ODS file has no content.xml").with_source(e))?;
    let mut reader = quick_xml::Reader::from_reader(std::io::BufReader::new(content));
    let mut buf = Vec::new();
    let mut row: u64 = 0;
    let mut cells: u64 = 0;
    // The ODS reader builds every table at once, each densely from A1 to its last value.
    let mut column: u64 = 0;
    let (mut last_row, mut last_column, mut dense) = (0u64, 0u64, 0u64);
    let repeat = |e: &quick_xml::events::BytesStart<'_>, name: &str| -> u64 {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == name)
            .and_then(|a| a.value.trim().parse::<u64>().ok())
            .unwrap_or(1)
    };
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => match e.local_name().as_ref() {
                "table" => {
                    dense = dense.saturating_add(last_row.saturating_mul(last_column));
                    check_dense("of the ODS workbook", dense, limits)?;
                    (row, last_row, last_column) = (0, 0, 0);
                }
                "table-row" => {
                    row = row.saturating_add(repeat(&e, "table:number-rows-repeated"));
                    column = 0;
                }
                "table-cell" | "covered-table-cell" => {
                    let has_value = e
                        .attributes()
                        .flatten()
                        .any(|a| a.key.as_ref() == "office:value-type");
                    let n = repeat(&e, "table:number-columns-repeated");
                    column = column.saturating_add(n);
                    if has_value {
                        last_row = last_row.max(row);
                        last_column = last_column.max(column);
                        if n > u64::from(limits.max_columns)
                            || row > limits.max_rows.saturating_add(1_000)
                        {
                            return Err(limit(format!(
                                "the spreadsheet repeats a value {n} times across columns at row {row}, beyond the limits of {} columns and {} rows",
                                limits.max_columns, limits.max_rows
                            )));
                        }
                        cells = cells.saturating_add(n);
                    }
                }
                _ => {}
            },
            Ok(Event::Eof) => break,
            Err(e) => {
                return Err(malformed("the ODS content.xml is not well-formed XML").with_source(e));
            }
            _ => {}
        }
        buf.clear();
    }
    dense = dense.saturating_add(last_row.saturating_mul(last_column));
    check_dense("of the ODS workbook", dense, limits)?;
    let max_cells = limits
        .max_rows
        .saturating_mul(u64::from(limits.max_columns).min(64));
    if cells > max_cells {
        return Err(limit(format!(
            "the spreadsheet holds {cells} cells, over the limit of {max_cells}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_counted_once_across_chunks() {
        let xml = b"<sheetData><row><c><v>1</v></c></row><row r=\"2\"/><rowBreaks/><row\n></row></sheetData>";
        for size in 1..xml.len() {
            let mut scan = SheetScan::default();
            for chunk in xml.chunks(size) {
                scan.scan(chunk, "sheet").unwrap_or_else(|e| panic!("{e}"));
            }
            assert_eq!(scan.rows, 3, "chunks of {size}");
        }
    }

    #[test]
    fn runs_between_tags_are_measured_across_chunks() {
        let mut runs = XmlRuns::default();
        assert!(!runs.too_long(b"<row><c><v>1</v></c></row>"));
        let blanks = vec![b' '; 1 << 20];
        // The run counts from the last `<`: `/row>` and 16 MiB less 5 bytes of blanks make
        // 16 MiB exactly, the limit; one more byte is over it.
        for _ in 0..15 {
            assert!(!runs.too_long(&blanks));
        }
        assert!(!runs.too_long(&blanks[5..]));
        assert!(runs.too_long(b" "));
        // A tag closes a run: the count starts again after it.
        let mut runs = XmlRuns::default();
        for _ in 0..15 {
            assert!(!runs.too_long(&blanks));
        }
        assert!(!runs.too_long(b"<t/>"));
        for _ in 0..15 {
            assert!(!runs.too_long(&blanks));
        }
        // Within one chunk too.
        let mut runs = XmlRuns::default();
        let mut chunk = b"<a>".to_vec();
        chunk.resize(chunk.len() + (16 << 20) + 1, b'x');
        chunk.extend_from_slice(b"</a>");
        assert!(runs.too_long(&chunk));
    }

    #[test]
    fn a_run_into_the_first_tag_of_a_chunk_is_measured() {
        let blanks = vec![b' '; 1 << 20];
        // `a>` and 16 MiB less 2 bytes of blanks: 16 MiB since the `<`, the limit.
        let up_to_the_limit = |runs: &mut XmlRuns| {
            assert!(!runs.too_long(b"<a>"));
            for _ in 0..15 {
                assert!(!runs.too_long(&blanks));
            }
            assert!(!runs.too_long(&blanks[2..]));
            assert_eq!(runs.open, MAX_XML_RUN);
        };
        let mut runs = XmlRuns::default();
        up_to_the_limit(&mut runs);
        // One byte more before the next `<`.
        assert!(runs.too_long(b"x<b><c>"));
        let mut runs = XmlRuns::default();
        up_to_the_limit(&mut runs);
        // A `<` now closes the run; the next starts after the chunk's last `<`.
        assert!(!runs.too_long(b"<b>  <c"));
        assert_eq!(runs.open, 1);
        assert!(!runs.too_long(b">xy"));
        assert_eq!(runs.open, 4);
    }

    #[test]
    fn references_saturate() {
        assert_eq!(cell_reference("XFD1048576"), Some((1_048_576, 16_384)));
        assert_eq!(cell_reference("$B$7"), Some((7, 2)));
        assert_eq!(
            cell_reference("A99999999999999999999999"),
            Some((u64::MAX, 1))
        );
        assert_eq!(cell_reference("7"), None);
        assert_eq!(
            dimension(br#"<worksheet><dimension ref="A1:XFD1048576"/>"#),
            Some((1_048_576, 16_384))
        );
        assert_eq!(
            attribute_number(
                br#"<sst count="5" uniqueCount="2000000000">"#,
                b"uniqueCount="
            ),
            Some(2_000_000_000)
        );
    }
}
