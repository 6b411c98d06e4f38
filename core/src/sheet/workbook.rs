//! Workbooks (XLSX, XLSM, XLSB, XLS, ODS) read through calamine, after the pre-scan.

mod xlsx_cells;

use std::io::Cursor;

use calamine::{Data, DataRef, ExcelDateTimeType, Reader, SheetType, SheetVisible};
use chrono::{NaiveDate, NaiveDateTime};

use super::{Grid, SheetInfo, SourceFormat, Value, column_letter, prescan};
use crate::error::{Error, ErrorKind, Result};
use crate::limits::Limits;

/// A workbook sheet read into a grid.
#[derive(Debug, Clone)]
pub(crate) struct WorkbookSheet {
    /// Every sheet of the workbook.
    pub sheets: Vec<SheetInfo>,
    /// The sheet read.
    pub name: String,
    /// Its cells.
    pub grid: Grid,
}

fn malformed(format: SourceFormat, e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(
        ErrorKind::MalformedFile,
        format!(
            "the {} workbook cannot be read; it may be damaged",
            format.as_str().to_uppercase()
        ),
    )
    .with_source(e)
}

/// Reads the named sheet, or else the first visible worksheet with data, preferring one where
/// `fits_schema` finds the group's header, then one with a row of two or more values.
///
/// A fault inside the workbook parser on a malformed file becomes a
/// [`ErrorKind::MalformedFile`] error instead of unwinding into the caller.
pub(crate) fn read(
    bytes: &[u8],
    format: SourceFormat,
    sheet: Option<&str>,
    limits: &Limits,
    fits_schema: &dyn Fn(&Grid) -> bool,
) -> Result<WorkbookSheet> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        read_checked(bytes, format, sheet, limits, fits_schema)
    }))
    .unwrap_or_else(|_| {
        Err(Error::new(
            ErrorKind::MalformedFile,
            format!(
                "the {} workbook is malformed and cannot be read",
                format.as_str().to_uppercase()
            ),
        ))
    })
}

fn read_checked(
    bytes: &[u8],
    format: SourceFormat,
    sheet: Option<&str>,
    limits: &Limits,
    fits_schema: &dyn Fn(&Grid) -> bool,
) -> Result<WorkbookSheet> {
    let mut zip_info = prescan::ZipInfo::default();
    match format {
        // The sheet to be read first inflates once, checked as its cells are read.
        SourceFormat::Xlsx | SourceFormat::Xlsm => {
            zip_info = prescan::check_zip_deferring(bytes, limits, sheet)?;
        }
        SourceFormat::Xlsb | SourceFormat::Ods => {
            zip_info = prescan::check_zip(bytes, limits)?;
        }
        SourceFormat::Xls => prescan::check_xls(bytes, limits)?,
        SourceFormat::Csv => {}
    }
    if format == SourceFormat::Ods {
        prescan::check_ods(bytes, limits)?;
    }
    // The workbook's strings and number formats for the XLSX cell reader, when its main part
    // is where that reader looks for them: read on a second thread while calamine opens the
    // workbook (both only read `bytes`).
    let wants_book =
        matches!(format, SourceFormat::Xlsx | SourceFormat::Xlsm) && zip_info.has_workbook();
    // The sheet likely read first (the part the pre-scan left unread) is read too on that
    // thread, in the date system `xl/workbook.xml` names: its cells need nothing calamine
    // learns. They are kept for when that sheet is read, if calamine agrees on the date system.
    let early_part = wants_book.then(|| zip_info.deferred().cloned()).flatten();
    let guess_1904 = zip_info.date1904();
    // The shared strings the pre-scan inflated, so that reader does not inflate them again;
    // let go of once read.
    let strings = std::sync::Mutex::new(zip_info.take_shared_strings());
    let read_book = || {
        let kept = strings.lock().ok().and_then(|mut s| s.take());
        let inflated = kept.as_ref().map(|(at, xml)| (*at, xml.as_slice()));
        let book = xlsx_cells::Workbook::read(bytes, inflated)
            .ok()
            .map(|b| b.in_date_system(guess_1904));
        drop(kept);
        let early = book
            .as_ref()
            .zip(early_part.as_ref())
            .map(|(book, part)| read_early(book, bytes, part, limits));
        (book, early)
    };
    let (opened, (book, early)) = std::thread::scope(|scope| {
        let reading =
            wants_book.then(|| std::thread::Builder::new().spawn_scoped(scope, read_book));
        let opened = calamine::open_workbook_auto_from_rs(Cursor::new(bytes));
        let book = match reading {
            // A fault in that reader leaves the workbook to calamine.
            Some(Ok(handle)) => handle.join().unwrap_or((None, None)),
            Some(Err(_)) => read_book(),
            None => (None, None),
        };
        (opened, book)
    });
    let mut early_cells = None;
    if let (Some(part), Some(early)) = (early_part, early) {
        match early.checked {
            // The pre-scan's refusal of that part comes before anything else.
            Some(Err(refused)) => return Err(refused),
            Some(Ok(merges)) => {
                zip_info.settled(part.name.clone(), merges);
                early_cells = Some((part.name, early.cells));
            }
            None => {}
        }
    }
    let mut workbook = match opened {
        Ok(workbook) => workbook,
        Err(e) => {
            // A refusal of the part the pre-scan left unread comes first.
            zip_info.settle(bytes, limits)?;
            return Err(match e {
                calamine::Error::Xls(calamine::XlsError::Password)
                | calamine::Error::Xlsx(calamine::XlsxError::Password) => Error::new(
                    ErrorKind::Encrypted,
                    "the workbook is protected with a password; remove it and upload again",
                ),
                other => malformed(format, other),
            });
        }
    };
    let (book, early_cells) = match &workbook {
        calamine::Sheets::Xlsx(xlsx) => {
            let is_1904 = xlsx.has_1904_epoch();
            (
                book.map(|b| b.in_date_system(is_1904)),
                early_cells.filter(|_| is_1904 == guess_1904),
            )
        }
        _ => (None, None),
    };
    let mut source = Source {
        bytes,
        format,
        limits,
        zip_info: &mut zip_info,
        book: book.as_ref(),
        early: early_cells,
    };
    let sheets: Vec<SheetInfo> = workbook
        .sheets_metadata()
        .iter()
        .map(|s| SheetInfo {
            name: s.name.clone(),
            visible: s.visible == SheetVisible::Visible,
            worksheet: s.typ == SheetType::WorkSheet,
        })
        .collect();
    if let Some(wanted) = sheet {
        let found = super::sheet_named(sheets.iter().map(|s| s.name.as_str()), wanted)
            .and_then(|at| sheets.get(at))
            .ok_or_else(|| {
                let names: Vec<String> = sheets.iter().map(|s| format!("`{}`", s.name)).collect();
                if let Err(refused) = source.zip_info.settle(bytes, limits) {
                    return refused;
                }
                Error::new(
                    ErrorKind::SheetNotFound,
                    format!(
                        "the workbook has no sheet `{wanted}`; its sheets are {}",
                        names.join(", ")
                    ),
                )
            })?;
        let name = found.name.clone();
        let grid = read_grid(&mut workbook, &mut source, &name)?;
        return Ok(WorkbookSheet { sheets, name, grid });
    }
    // Visible worksheets first, in workbook order; hidden ones only if no visible one has data.
    // Among them, the first that looks most like a roster: workbooks often open with an
    // instructions or cover sheet holding a note or two.
    let visible: Vec<&SheetInfo> = sheets.iter().filter(|s| s.worksheet && s.visible).collect();
    let hidden: Vec<&SheetInfo> = sheets
        .iter()
        .filter(|s| s.worksheet && !s.visible)
        .collect();
    let mut best: Option<(SheetFit, &SheetInfo, Grid)> = None;
    for group in [visible, hidden] {
        for info in group {
            let grid = match read_grid(&mut workbook, &mut source, &info.name) {
                Ok(grid) => grid,
                // A damaged sheet after a usable one does not spoil the workbook.
                Err(_) if best.is_some() => break,
                Err(e) => return Err(e),
            };
            let fit = if !grid.has_data() {
                continue;
            } else if fits_schema(&grid) {
                SheetFit::Roster
            } else if grid.has_table() {
                SheetFit::Table
            } else {
                SheetFit::Data
            };
            if best.as_ref().is_none_or(|(b, _, _)| fit > *b) {
                best = Some((fit, info, grid));
            }
            if fit == SheetFit::Roster {
                break;
            }
        }
        if best.is_some() {
            break;
        }
    }
    // Every sheet read was checked; one never read may not have been.
    source.zip_info.settle(bytes, limits)?;
    match best {
        Some((_, info, grid)) => Ok(WorkbookSheet {
            name: info.name.clone(),
            sheets: sheets.clone(),
            grid,
        }),
        None => Err(Error::new(
            ErrorKind::EmptyFile,
            "no sheet of the workbook holds any data",
        )),
    }
}

/// How much a sheet with data looks like a roster, least first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum SheetFit {
    /// Values, but no row with two of them (a note, a title).
    Data,
    /// Some row has two or more values.
    Table,
    /// Some row near the top holds a header of the group's attributes.
    Roster,
}

/// The workbook being read, and what is known about it before its sheets are.
struct Source<'a> {
    bytes: &'a [u8],
    format: SourceFormat,
    limits: &'a Limits,
    /// Mutable: the part it left unread is checked when first read.
    zip_info: &'a mut prescan::ZipInfo,
    book: Option<&'a xlsx_cells::Workbook>,
    /// A part's cells read with [`read_early`] (the sheet read first, usually), until read.
    early: Option<(String, Result<Option<Grid>>)>,
}

/// What [`read_early`] gives.
struct Early {
    /// The pre-scan's checks of the part, as [`xlsx_cells::Checking::outcome`].
    checked: Option<Result<Vec<calamine::Dimensions>>>,
    /// Its cells, as [`read_xlsx_fast`] gives them.
    cells: Result<Option<Grid>>,
}

/// Reads the cells of the part the pre-scan left unread, checking it on the way.
fn read_early(
    book: &xlsx_cells::Workbook,
    bytes: &[u8],
    part: &prescan::Deferred,
    limits: &Limits,
) -> Early {
    let mut checking = xlsx_cells::Checking {
        index: part.index,
        check: prescan::PartCheck::new(part.name.clone(), part.declared, limits),
        outcome: None,
    };
    let cells = read_cells(book, bytes, &part.name, Some(&mut checking), limits);
    Early {
        checked: checking.outcome,
        cells,
    }
}

/// A sheet's cells through the purpose-built reader: `Ok(None)` when it steps aside, `Err`
/// when a cell is refused.
fn read_cells(
    book: &xlsx_cells::Workbook,
    bytes: &[u8],
    part: &str,
    checking: Option<&mut xlsx_cells::Checking>,
    limits: &Limits,
) -> Result<Option<Grid>> {
    let mut grid = Grid::default();
    let mut held = Held::default();
    let mut sink = |position, value: DataRef<'_>| {
        place(
            &mut grid,
            position,
            from_data_ref(&value),
            limits,
            &mut held,
        )
    };
    let outcome = match checking {
        Some(checking) => book.cells_checked(bytes, part, checking, &mut sink),
        None => book.cells(bytes, part, &mut sink),
    };
    match outcome {
        Ok(()) => Ok(Some(grid)),
        Err(xlsx_cells::Stop::Sink(e)) => Err(e),
        Err(xlsx_cells::Stop::Unsupported) => Ok(None),
    }
}

fn read_grid(
    workbook: &mut calamine::Sheets<Cursor<&[u8]>>,
    source: &mut Source<'_>,
    name: &str,
) -> Result<Grid> {
    let (format, limits) = (source.format, source.limits);
    let mut grid = Grid::default();
    let mut held = Held::default();
    let mut merges: Vec<calamine::Dimensions> = Vec::new();
    if !matches!(workbook, calamine::Sheets::Xlsx(_)) {
        source.zip_info.settle(source.bytes, limits)?;
    }
    match workbook {
        calamine::Sheets::Xlsx(xlsx) => {
            // Every part is checked once this returns (a refusal is its error); what the
            // cells gave is kept until calamine has looked at the sheet's head.
            let fast = read_xlsx_fast(source, name)?;
            // calamine reads the sheet's head up to `<sheetData>` and refuses a broken one.
            let mut cells = xlsx
                .worksheet_cells_reader(name)
                .map_err(|e| malformed(format, e))?;
            // The pre-scan collected the merged ranges; asking calamine would parse the sheet twice.
            merges = source.zip_info.merges_of(name);
            if let Some(mut fast) = fast? {
                spread_merges(&mut fast, &merges);
                return Ok(fast);
            }
            while let Some(cell) = cells.next_cell().map_err(|e| malformed(format, e))? {
                let (row, col) = cell.get_position();
                place(
                    &mut grid,
                    (row, col),
                    from_data_ref(cell.get_value()),
                    limits,
                    &mut held,
                )?;
            }
        }
        calamine::Sheets::Xlsb(xlsb) => {
            let mut cells = xlsb
                .worksheet_cells_reader(name)
                .map_err(|e| malformed(format, e))?;
            while let Some(cell) = cells.next_cell().map_err(|e| malformed(format, e))? {
                let (row, col) = cell.get_position();
                place(
                    &mut grid,
                    (row, col),
                    from_data_ref(cell.get_value()),
                    limits,
                    &mut held,
                )?;
            }
        }
        calamine::Sheets::Xls(xls) => {
            merges = xls.merge_cells_by_sheet_name(name).unwrap_or_default();
            let range = xls
                .worksheet_range(name)
                .map_err(|e| malformed(format, e))?;
            place_range(&mut grid, &range, limits, &mut held)?;
        }
        calamine::Sheets::Ods(ods) => {
            let range = ods
                .worksheet_range(name)
                .map_err(|e| malformed(format, e))?;
            place_range(&mut grid, &range, limits, &mut held)?;
        }
    }
    spread_merges(&mut grid, &merges);
    Ok(grid)
}

/// Reads an XLSX sheet with the purpose-built cell reader: `Ok(None)` when it steps aside
/// and calamine must read the sheet, `Err` when a cell is refused. The part the pre-scan left
/// unread is checked first, or on the way when it is this sheet's: the outer error is its
/// refusal, which comes before anything the cells gave.
fn read_xlsx_fast(source: &mut Source<'_>, name: &str) -> Result<Result<Option<Grid>>> {
    let (bytes, limits) = (source.bytes, source.limits);
    let (Some(book), Some(part)) = (source.book, source.zip_info.part_of(name)) else {
        source.zip_info.settle(bytes, limits)?;
        return Ok(Ok(None));
    };
    if let Some((_, cells)) = source.early.take_if(|(early, _)| *early == part) {
        return Ok(cells);
    }
    let mut checking = source
        .zip_info
        .deferred()
        .filter(|d| d.name == part)
        .map(|d| xlsx_cells::Checking {
            index: d.index,
            check: prescan::PartCheck::new(d.name.clone(), d.declared, limits),
            outcome: None,
        });
    if checking.is_none() {
        source.zip_info.settle(bytes, limits)?;
    }
    let cells = read_cells(book, bytes, &part, checking.as_mut(), limits);
    if let Some(checking) = checking {
        match checking.outcome {
            Some(Ok(merges)) => source.zip_info.settled(part.clone(), merges),
            Some(Err(refused)) => return Err(refused),
            None => source.zip_info.settle(bytes, limits)?,
        }
    }
    Ok(cells)
}

fn place_range(
    grid: &mut Grid,
    range: &calamine::Range<Data>,
    limits: &Limits,
    held: &mut Held,
) -> Result<()> {
    let Some((top, left)) = range.start() else {
        return Ok(());
    };
    for (r, c, value) in range.used_cells() {
        let row = top.saturating_add(u32::try_from(r).unwrap_or(u32::MAX));
        let col = left.saturating_add(u32::try_from(c).unwrap_or(u32::MAX));
        place(grid, (row, col), from_data(value), limits, held)?;
    }
    Ok(())
}

/// The bytes a grid holds, counted as cells are placed (slots reserved and text).
#[derive(Default)]
struct Held {
    bytes: u64,
    /// The width of the row placed last, in cells: a new row reserves that many slots at
    /// once rather than growing cell by cell (rosters are rectangles). Only the row before
    /// counts, so one stray wide row does not widen every row after it.
    row_width: usize,
}

impl Held {
    fn add(&mut self, bytes: usize, at: (usize, usize), limits: &Limits) -> Result<()> {
        self.bytes = self.bytes.saturating_add(bytes as u64);
        if self.bytes <= limits.max_sheet_bytes {
            return Ok(());
        }
        Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "the sheet's cells take more than {} MiB of memory by cell {}{}; split the roster into smaller files, or raise the limit",
                limits.max_sheet_bytes >> 20,
                column_letter(at.1),
                at.0 + 1
            ),
        ))
    }
}

fn place(
    grid: &mut Grid,
    (row, col): (u32, u32),
    value: Value,
    limits: &Limits,
    held: &mut Held,
) -> Result<()> {
    if value == Value::Empty {
        return Ok(());
    }
    let (row, col) = (row as usize, col as usize);
    if col >= limits.max_columns as usize {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "cell {}{} is beyond the limit of {} columns; delete the unused columns at the right",
                column_letter(col),
                row + 1,
                limits.max_columns
            ),
        ));
    }
    if row as u64 > limits.max_rows.saturating_add(1_000) || row as u64 >= prescan::EXCEL_ROWS {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "cell {}{} is beyond the limit of {} rows; split the roster or delete the unused rows",
                column_letter(col),
                row + 1,
                limits.max_rows.min(prescan::EXCEL_ROWS)
            ),
        ));
    }
    if let Value::Text(text) | Value::Error(text) = &value {
        held.add(text.capacity(), (row, col), limits)?;
    }
    if grid.rows.len() <= row {
        let before = grid.rows.capacity();
        grid.rows.resize_with(row + 1, Vec::new);
        let grown = grid.rows.capacity().saturating_sub(before);
        held.add(
            grown * std::mem::size_of::<Vec<Value>>(),
            (row, col),
            limits,
        )?;
    }
    if let Some(cells) = grid.rows.get_mut(row) {
        if cells.len() <= col {
            let before = cells.capacity();
            if before == 0 {
                cells.reserve_exact(held.row_width.max(col + 1));
            }
            // The next cell of the row (most are) is pushed: the capacity grows as by `resize`.
            if cells.len() == col {
                cells.push(value);
                held.row_width = cells.len();
                let grown = cells.capacity().saturating_sub(before);
                return held.add(grown * std::mem::size_of::<Value>(), (row, col), limits);
            }
            cells.resize(col + 1, Value::Empty);
            held.row_width = cells.len();
            let grown = cells.capacity().saturating_sub(before);
            held.add(grown * std::mem::size_of::<Value>(), (row, col), limits)?;
        }
        if let Some(slot) = cells.get_mut(col) {
            *slot = value;
        }
    }
    Ok(())
}

/// Copies each merged region's top-left value into the region's empty cells within the grid.
fn spread_merges(grid: &mut Grid, merges: &[calamine::Dimensions]) {
    for m in merges {
        let (top, left) = (m.start.0 as usize, m.start.1 as usize);
        let Some(value) = grid.rows.get(top).and_then(|r| r.get(left)).cloned() else {
            continue;
        };
        let bottom = (m.end.0 as usize).min(grid.rows.len().saturating_sub(1));
        let width = grid.width();
        let right = (m.end.1 as usize).min(width.saturating_sub(1));
        for row in grid.rows.iter_mut().take(bottom + 1).skip(top) {
            if row.len() <= right {
                row.resize(right + 1, Value::Empty);
            }
            for cell in row.iter_mut().take(right + 1).skip(left) {
                if *cell == Value::Empty {
                    *cell = value.clone();
                }
            }
        }
    }
}

fn excel_datetime(dt: &calamine::ExcelDateTime) -> Value {
    if dt.is_duration() {
        return Value::Number(dt.as_f64());
    }
    // calamine clamps a serial past 9999-12-31 to that day and one below zero to its epoch;
    // such a cell is no date, so it is kept as the text of its number, which a date column
    // reports as an invalid date at its cell. A serial in [0, 1) is a time of day.
    let serial = dt.as_f64();
    let in_1904 = *dt == calamine::ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, true);
    // The serial of 9999-12-31 in the workbook's date system.
    let last_day = if in_1904 { 2_957_003.0 } else { 2_958_465.0 };
    if !(serial.is_finite() && serial >= 0.0 && serial < last_day + 1.0) {
        return Value::Text(serial_text(serial));
    }
    if let Some(day) = whole_day(serial, in_1904) {
        return Value::DateTime(day);
    }
    let (y, m, d, h, min, s, ms) = dt.to_ymd_hms_milli();
    NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
        .and_then(|date| {
            date.and_hms_milli_opt(u32::from(h), u32::from(min), u32::from(s), u32::from(ms))
        })
        .map_or_else(|| Value::Text(serial_text(serial)), Value::DateTime)
}

/// A serial of a whole day after 1900 (or from 1904), within the calendar: its midnight,
/// counted from the date system's day zero, as calamine's conversion gives it (most dates in a
/// roster are whole days, and counting is faster than that conversion). `None` for any other
/// serial; 1900's days are left to calamine, which keeps Excel's 29 February 1900.
fn whole_day(serial: f64, in_1904: bool) -> Option<NaiveDateTime> {
    // Day zero's number of days from the common era's (0001-01-01 is day 1).
    let (day_zero, first) = if in_1904 {
        (695_056, 0.0)
    } else {
        (693_594, 367.0)
    };
    if serial.fract() != 0.0 || serial < first {
        return None;
    }
    let days = i32::try_from(serial as i64).ok()?.checked_add(day_zero)?;
    Some(NaiveDate::from_num_days_from_ce_opt(days)?.and_time(chrono::NaiveTime::MIN))
}

/// A serial that is no date, written as a spreadsheet shows such a number.
fn serial_text(serial: f64) -> String {
    if serial.is_nan() {
        "NaN".to_owned()
    } else if serial.is_infinite() {
        if serial > 0.0 {
            "Infinity"
        } else {
            "-Infinity"
        }
        .to_owned()
    } else if serial.abs() >= 1e15 {
        format!("{serial:E}")
    } else {
        crate::values::number::format(serial)
    }
}

fn iso_datetime(text: &str) -> Value {
    let parsed = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .map(|d| d.and_time(chrono::NaiveTime::MIN))
        });
    parsed.map_or_else(|| Value::Text(text.to_owned()), Value::DateTime)
}

/// An ODS `time` value (an ISO 8601 duration such as `PT10H10M10S`) as the number of days it
/// spans, as XLS and XLSX give durations: text it is not, or it would pass for a header.
fn iso_duration(text: &str) -> Value {
    iso_duration_days(text).map_or_else(|| Value::Text(text.to_owned()), Value::Number)
}

fn iso_duration_days(text: &str) -> Option<f64> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let rest = rest.strip_prefix('P')?;
    let (days_part, time_part) = match rest.split_once('T') {
        Some((d, t)) => (d, t),
        None => (rest, ""),
    };
    let mut seconds = 0.0;
    let mut read = |part: &str, units: &[(char, f64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let scale = units.iter().find(|(u, _)| *u == c)?.1;
            seconds += number.parse::<f64>().ok()? * scale;
            number.clear();
        }
        number.is_empty().then_some(())
    };
    read(days_part, &[('D', 86_400.0)])?;
    read(time_part, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)])?;
    if days_part.is_empty() && time_part.is_empty() {
        return None;
    }
    let days = seconds / 86_400.0;
    Some(if negative { -days } else { days })
}

fn from_data_ref(value: &DataRef<'_>) -> Value {
    match value {
        DataRef::Empty => Value::Empty,
        DataRef::Int(i) => Value::Number(*i as f64),
        DataRef::Float(f) => Value::Number(*f),
        DataRef::String(s) => Value::Text(s.clone()),
        DataRef::SharedString(s) => Value::Text((*s).to_owned()),
        DataRef::Bool(b) => Value::Bool(*b),
        DataRef::DateTime(dt) => excel_datetime(dt),
        DataRef::DateTimeIso(s) => iso_datetime(s),
        DataRef::DurationIso(s) => iso_duration(s),
        DataRef::Error(e) => Value::Error(e.to_string()),
    }
}

fn from_data(value: &Data) -> Value {
    match value {
        Data::Empty => Value::Empty,
        Data::Int(i) => Value::Number(*i as f64),
        Data::Float(f) => Value::Number(*f),
        Data::String(s) => Value::Text(s.clone()),
        Data::Bool(b) => Value::Bool(*b),
        Data::DateTime(dt) => excel_datetime(dt),
        Data::DateTimeIso(s) => iso_datetime(s),
        Data::DurationIso(s) => iso_duration(s),
        Data::Error(e) => Value::Error(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use calamine::{ExcelDateTime, ExcelDateTimeType};

    use chrono::NaiveDate;

    use super::{Grid, Held, SourceFormat, Value, excel_datetime, iso_duration, place, read};
    use crate::limits::Limits;
    use crate::sheet::prescan;

    /// A workbook of the given sheets (name, state, `<worksheet>` body after the root tag),
    /// with `extra` parts after them; stored, so every part inflates one-fold.
    fn book(sheets: &[(&str, &str, String)], extra: &[(&str, String)]) -> Vec<u8> {
        book_with("", sheets, extra)
    }

    /// [`book`], with `pr` (a `<workbookPr>`) in the workbook part.
    fn book_with(pr: &str, sheets: &[(&str, &str, String)], extra: &[(&str, String)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        let mut listed = String::new();
        let mut rels = String::new();
        for (i, (name, state, _)) in sheets.iter().enumerate() {
            let n = i + 1;
            listed.push_str(&format!(
                r#"<sheet name="{name}" sheetId="{n}"{state} r:id="rId{n}"/>"#
            ));
            rels.push_str(&format!(
                r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
            ));
        }
        let mut parts = vec![
            (
                "_rels/.rels".to_owned(),
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
            ),
            (
                "xl/workbook.xml".to_owned(),
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">{pr}<sheets>{listed}</sheets></workbook>"#
                ),
            ),
            (
                "xl/_rels/workbook.xml.rels".to_owned(),
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>"#
                ),
            ),
        ];
        for (i, (_, _, body)) in sheets.iter().enumerate() {
            parts.push((
                format!("xl/worksheets/sheet{}.xml", i + 1),
                format!(
                    r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{body}</worksheet>"#
                ),
            ));
        }
        for (name, text) in extra {
            parts.push(((*name).to_owned(), text.clone()));
        }
        for (name, text) in parts {
            zip.start_file(name, options).unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// `n` rows of two numbers from row `from` (1-based).
    fn rows(from: usize, n: usize) -> String {
        (from..from + n)
            .map(|r| {
                format!(r#"<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="B{r}"><v>1</v></c></row>"#)
            })
            .collect()
    }

    fn sheet(head: &str, data: &str, tail: &str) -> String {
        format!("{head}<sheetData>{data}</sheetData>{tail}")
    }

    /// A sheet of `rows` and then row 3001 with one cell at `cell` holding `value`.
    fn sheet_ending_at(rows: &str, cell: &str, value: u32) -> String {
        sheet(
            "",
            &format!(r#"{rows}<row r="3001"><c r="{cell}"><v>{value}</v></c></row>"#),
            "",
        )
    }

    /// What reading the workbook gives: its first sheet's rows, or the error's kind and text.
    fn outcome(
        bytes: &[u8],
        wanted: Option<&str>,
        limits: &Limits,
    ) -> Result<(String, usize), String> {
        read(bytes, SourceFormat::Xlsx, wanted, limits, &|_| false)
            .map(|s| (s.name, s.grid.rows.len()))
            .map_err(|e| format!("{:?}: {e}", e.kind()))
    }

    #[test]
    fn a_sheet_checked_as_it_is_read_is_refused_as_the_pre_scan_refuses_it() {
        let small = Limits {
            max_rows: 100,
            max_columns: 5,
            ..Limits::default()
        };
        let many = rows(1, 3_000);
        // A shared strings part the pre-scan refuses (a count past any limit).
        let refused_strings = [(
            "xl/sharedStrings.xml",
            r#"<sst uniqueCount="99999999999"></sst>"#.to_owned(),
        )];
        let cases: Vec<(&str, Vec<u8>, Limits)> = vec![
            (
                "a cell outside the grid after many rows",
                book(&[("S", "", sheet_ending_at(&many, "A9999999", 1))], &[]),
                Limits::default(),
            ),
            (
                "a declared extent too wide, at the head",
                book(
                    &[(
                        "S",
                        "",
                        sheet(r#"<dimension ref="A1:ZZZ3000"/>"#, &many, ""),
                    )],
                    &[],
                ),
                Limits::default(),
            ),
            (
                "more rows than the limit",
                book(&[("S", "", sheet("", &many, ""))], &[]),
                small,
            ),
            (
                "a cell past the column limit before a cell outside the grid",
                book(
                    &[(
                        "S",
                        "",
                        sheet(
                            "",
                            &(r#"<row r="1"><c r="Z1"><v>1</v></c></row>"#.to_owned()
                                + &rows(2, 50)
                                + r#"<row r="60"><c r="A2000000"><v>1</v></c></row>"#),
                            "",
                        ),
                    )],
                    &[],
                ),
                small,
            ),
            (
                "a refused sheet before a refused part",
                book(
                    &[("S", "", sheet_ending_at(&many, "XFE1", 1))],
                    &refused_strings,
                ),
                Limits::default(),
            ),
            (
                "a sound sheet before a refused part",
                book(&[("S", "", sheet("", &many, ""))], &refused_strings),
                Limits::default(),
            ),
            (
                "a sound sheet before parts over the total",
                book(
                    &[("S", "", sheet("", &many, ""))],
                    &[("xl/pad.xml", " ".repeat(200_000))],
                ),
                Limits {
                    max_decompressed_bytes: 250_000,
                    ..Limits::default()
                },
            ),
            (
                "a refused second sheet read after an empty first one",
                book(
                    &[
                        ("Empty", "", sheet("", "", "")),
                        ("S", "", sheet_ending_at(&many, "A9999999", 1)),
                    ],
                    &[],
                ),
                Limits::default(),
            ),
            (
                "a refused hidden sheet after the visible one",
                book(
                    &[
                        (
                            "Hidden",
                            r#" state="hidden""#,
                            sheet_ending_at(&many, "A9999999", 1),
                        ),
                        ("S", "", sheet("", &many, "")),
                    ],
                    &[],
                ),
                Limits::default(),
            ),
        ];
        for (what, bytes, limits) in cases {
            let refused = prescan::check_zip(&bytes, &limits)
                .err()
                .map(|e| format!("{:?}: {e}", e.kind()))
                .unwrap_or_else(|| panic!("{what}: not refused by the pre-scan"));
            assert!(
                prescan::check_zip_deferring(&bytes, &limits, None)
                    .map(|info| info.deferred().is_some())
                    .unwrap_or(true),
                "{what}: nothing deferred"
            );
            assert_eq!(
                outcome(&bytes, None, &limits),
                Err(refused.clone()),
                "{what}"
            );
            assert_eq!(
                outcome(&bytes, Some("S"), &limits),
                Err(refused),
                "{what}, named"
            );
        }
    }

    #[test]
    fn a_sheet_checked_as_it_is_read_gives_what_it_gave_before() {
        let many = rows(1, 3_000);
        let merged = sheet(
            "",
            &(many.clone() + r#"<row r="3001"><c r="A3001"><v>7</v></c></row>"#),
            r#"<mergeCells count="1"><mergeCell ref="A3001:B3001"/></mergeCells>"#,
        );
        let bytes = book(
            &[
                ("Hidden", r#" state="hidden""#, sheet("", &rows(1, 5), "")),
                ("Empty", "", sheet("", "", "")),
                ("S", "", merged),
            ],
            &[],
        );
        let info = prescan::check_zip_deferring(&bytes, &Limits::default(), None).unwrap();
        assert_eq!(
            info.deferred().map(|d| d.name.as_str()),
            Some("xl/worksheets/sheet2.xml")
        );
        let read_it = |wanted| {
            read(
                &bytes,
                SourceFormat::Xlsx,
                wanted,
                &Limits::default(),
                &|_| false,
            )
            .unwrap()
        };
        let first = read_it(None);
        assert_eq!(first.name, "S");
        assert_eq!(first.grid.rows.len(), 3_001);
        // The merged range, found as the sheet inflated, is spread: B3001 takes A3001's value.
        assert_eq!(
            first.grid.rows.get(3_000).and_then(|r| r.get(1)),
            Some(&Value::Number(7.0))
        );
        assert_eq!(
            first
                .sheets
                .iter()
                .map(|s| (s.name.as_str(), s.visible))
                .collect::<Vec<_>>(),
            [("Hidden", false), ("Empty", true), ("S", true)]
        );
        assert_eq!(read_it(Some("hidden")).grid.rows.len(), 5);
        assert_eq!(read_it(Some("S")).grid.rows, first.grid.rows);
        // Refused in a sheet never read, it is refused all the same.
        let bytes = book(
            &[
                ("S", "", sheet("", &many, "")),
                ("Other", "", sheet_ending_at(&many, "A9999999", 1)),
            ],
            &[],
        );
        let refused = prescan::check_zip(&bytes, &Limits::default()).unwrap_err();
        assert_eq!(
            outcome(&bytes, Some("S"), &Limits::default()),
            Err(format!("{:?}: {refused}", refused.kind()))
        );
    }

    #[test]
    fn a_sheet_read_early_takes_the_date_system_calamine_reads() {
        let styles = r#"<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14"/></cellXfs></styleSheet>"#;
        let data = r#"<row r="1"><c r="A1" s="1"><v>45000</v></c><c r="B1"><v>1</v></c></row>"#;
        // calamine reads `date1904` unescaped: `&#49;` is no `1` to it.
        for (pr, expected) in [
            ("", "2023-03-15"),
            (r#"<workbookPr date1904="1"/>"#, "2027-03-16"),
            (r#"<workbookPr date1904="true"/>"#, "2027-03-16"),
            (r#"<workbookPr date1904="&#49;"/>"#, "2023-03-15"),
        ] {
            let bytes = book_with(
                pr,
                &[("S", "", sheet("", data, ""))],
                &[("xl/styles.xml", styles.to_owned())],
            );
            let read = read(
                &bytes,
                SourceFormat::Xlsx,
                None,
                &Limits::default(),
                &|_| false,
            )
            .unwrap();
            let first = read.grid.rows.first().and_then(|r| r.first());
            match first {
                Some(Value::DateTime(d)) => {
                    assert_eq!(d.format("%Y-%m-%d").to_string(), expected, "{pr}");
                }
                other => panic!("{pr}: {other:?}"),
            }
        }
    }

    #[test]
    fn one_wide_row_does_not_widen_the_rows_after_it() {
        let (mut grid, mut held, limits) = (Grid::default(), Held::default(), Limits::default());
        let mut put = |row: u32, col: u32| {
            place(
                &mut grid,
                (row, col),
                Value::Number(1.0),
                &limits,
                &mut held,
            )
            .unwrap();
        };
        put(0, 900);
        for row in 1..1_000 {
            for col in 0..4 {
                put(row, col);
            }
        }
        let slot = std::mem::size_of::<Value>();
        let widest = grid.rows.iter().map(Vec::capacity).max().unwrap();
        let second = grid.rows.iter().skip(2).map(Vec::capacity).max().unwrap();
        assert_eq!((widest, second), (901, 4));
        let rows = grid.rows.capacity() * std::mem::size_of::<Vec<Value>>();
        assert_eq!(held.bytes as usize, rows + (901 + 901 + 998 * 4) * slot);
    }

    #[test]
    fn ods_times_are_durations_in_days_not_text() {
        let days = |text: &str| match iso_duration(text) {
            Value::Number(n) => n,
            other => panic!("{text}: {other:?}"),
        };
        assert!((days("PT10H10M10S") - (10.0 * 3600.0 + 610.0) / 86_400.0).abs() < 1e-12);
        assert!((days("PT10H10M10.123456S") - 36_610.123_456 / 86_400.0).abs() < 1e-12);
        assert!((days("P1DT12H") - 1.5).abs() < 1e-12);
        assert!((days("-PT6H") + 0.25).abs() < 1e-12);
        for broken in ["PT", "P", "10:10:10", "PT10X", "PT1.2.3S"] {
            assert_eq!(
                iso_duration(broken),
                Value::Text(broken.to_owned()),
                "{broken}"
            );
        }
    }

    #[test]
    fn whole_days_are_counted_as_calamine_converts_them() {
        let by_calamine = |serial: f64, in_1904: bool| {
            let dt = ExcelDateTime::new(serial, ExcelDateTimeType::DateTime, in_1904);
            let (y, m, d, h, min, s, ms) = dt.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)).and_then(|date| {
                date.and_hms_milli_opt(u32::from(h), u32::from(min), u32::from(s), u32::from(ms))
            })
        };
        for (in_1904, last) in [(false, 2_958_465u32), (true, 2_957_003)] {
            // Every day of the first and last years and of today's, and every 13th between.
            let serials = (0..800)
                .chain((40_000..50_000).step_by(1))
                .chain((0..last).step_by(13))
                .chain(last - 800..=last);
            for serial in serials {
                let serial = f64::from(serial);
                match super::whole_day(serial, in_1904) {
                    Some(day) => {
                        assert_eq!(
                            Some(day),
                            by_calamine(serial, in_1904),
                            "{serial} {in_1904}"
                        );
                    }
                    None => assert!(!in_1904 && serial < 367.0, "{serial} {in_1904}"),
                }
            }
        }
        assert_eq!(
            super::whole_day(0.0, true),
            NaiveDate::from_ymd_opt(1904, 1, 1).map(|d| d.and_time(chrono::NaiveTime::MIN))
        );
        assert_eq!(
            super::whole_day(367.0, false),
            NaiveDate::from_ymd_opt(1901, 1, 1).map(|d| d.and_time(chrono::NaiveTime::MIN))
        );
        for serial in [45_000.5, 45_000.000_01, 366.0, 60.0, 0.0] {
            assert_eq!(super::whole_day(serial, false), None, "{serial}");
        }
    }

    #[test]
    fn serials_outside_the_spreadsheet_calendar_are_not_dates() {
        let read = |serial: f64, in_1904: bool| {
            excel_datetime(&ExcelDateTime::new(
                serial,
                ExcelDateTimeType::DateTime,
                in_1904,
            ))
        };
        let day = |serial: f64, in_1904: bool| match read(serial, in_1904) {
            Value::DateTime(d) => d.format("%Y-%m-%d %H:%M").to_string(),
            other => panic!("{serial}: {other:?}"),
        };
        assert_eq!(day(2_958_465.5, false), "9999-12-31 12:00");
        assert_eq!(day(2_957_003.0, true), "9999-12-31 00:00");
        assert_eq!(day(1.0, false), "1900-01-01 00:00");
        assert_eq!(day(0.0, true), "1904-01-01 00:00");
        // A time of day stays one (a date column says it is no date).
        assert_eq!(day(0.5, false), "1899-12-31 12:00");
        for (serial, in_1904, text) in [
            (2_958_466.0, false, "2958466"),
            (2_957_004.0, true, "2957004"),
            (1e308, false, "1E308"),
            (f64::INFINITY, false, "Infinity"),
            (f64::NEG_INFINITY, true, "-Infinity"),
            (f64::NAN, false, "NaN"),
            (-1.0, false, "-1"),
            (-0.25, true, "-0.25"),
        ] {
            assert_eq!(
                read(serial, in_1904),
                Value::Text(text.to_owned()),
                "{serial} (1904: {in_1904})"
            );
        }
    }
}
