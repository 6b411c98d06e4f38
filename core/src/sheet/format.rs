//! Which format a file is in, decided from its bytes, never from its name.

use std::io::Cursor;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// A spreadsheet format conferral reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    /// Delimited text: CSV, TSV, TXT.
    Csv,
    /// Office Open XML workbook.
    Xlsx,
    /// Office Open XML workbook with macros.
    Xlsm,
    /// Excel 97-2003 binary workbook (BIFF8).
    Xls,
    /// Excel binary workbook.
    Xlsb,
    /// OpenDocument spreadsheet.
    Ods,
}

impl SourceFormat {
    /// Lowercase name as used in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Csv => "csv",
            SourceFormat::Xlsx => "xlsx",
            SourceFormat::Xlsm => "xlsm",
            SourceFormat::Xls => "xls",
            SourceFormat::Xlsb => "xlsb",
            SourceFormat::Ods => "ods",
        }
    }

    /// The format a file name's extension claims, if it names one.
    pub fn from_file_name(name: &str) -> Option<SourceFormat> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        Some(match ext.as_str() {
            "csv" | "tsv" | "txt" | "tab" => SourceFormat::Csv,
            "xlsx" => SourceFormat::Xlsx,
            "xlsm" => SourceFormat::Xlsm,
            "xls" => SourceFormat::Xls,
            "xlsb" => SourceFormat::Xlsb,
            "ods" => SourceFormat::Ods,
            _ => return None,
        })
    }

    /// Whether the format is a workbook (has sheets).
    pub fn is_workbook(self) -> bool {
        self != SourceFormat::Csv
    }
}

const CFB_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_MAGIC: &[u8] = b"PK\x03\x04";
const ZIP_EMPTY: &[u8] = b"PK\x05\x06";

/// Files people pick by mistake instead of a roster, by their leading bytes, with the name
/// a refusal gives them. Without this a PDF or an image could pass for text and be read as
/// a CSV of nonsense.
const NOT_SPREADSHEETS: &[(&[u8], &str)] = &[
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xFF\xD8\xFF", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"\x1F\x8B", "a gzip archive"),
    (b"7z\xBC\xAF\x27\x1C", "a 7-Zip archive"),
    (b"Rar!\x1A\x07", "a RAR archive"),
    (b"{\\rtf", "an RTF document"),
];

/// Decides the format from the content.
///
/// # Errors
/// [`ErrorKind::EmptyFile`] for no bytes, [`ErrorKind::UnsupportedFormat`] for a PDF, an
/// image, an RTF document or a compressed archive (by their leading bytes), a zip that is
/// not a workbook, a web page or XML spreadsheet saved under a spreadsheet name, or binary
/// data; [`ErrorKind::Encrypted`] for a password-protected Office file.
pub fn detect(bytes: &[u8]) -> Result<SourceFormat> {
    if bytes.is_empty() {
        return Err(Error::new(
            ErrorKind::EmptyFile,
            "the file is empty (0 bytes)",
        ));
    }
    if let Some((_, what)) = NOT_SPREADSHEETS
        .iter()
        .find(|(magic, _)| bytes.starts_with(magic))
    {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            format!(
                "the file is {what}, not a roster; choose a CSV, XLSX, XLSM, XLS, XLSB or ODS file"
            ),
        ));
    }
    if bytes.starts_with(ZIP_MAGIC) || bytes.starts_with(ZIP_EMPTY) {
        return detect_zip(bytes);
    }
    if bytes.starts_with(CFB_MAGIC) {
        return detect_cfb(bytes);
    }
    if looks_like_markup(bytes) {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            "the file is a web page or XML document saved with a spreadsheet name, not a real spreadsheet; open it in Excel or LibreOffice and save it as XLSX or CSV",
        ));
    }
    Ok(SourceFormat::Csv)
}

/// Whether [`detect`] reads as CSV every file that starts with `start`: the start is not
/// empty, and neither its magic bytes nor markup at its beginning say otherwise.
pub(crate) fn csv_start(start: &[u8]) -> bool {
    // Markup is looked for in the first bytes after leading blanks, which must all be here.
    markup_start(start).len() >= MARKUP_BYTES && matches!(detect(start), Ok(SourceFormat::Csv))
}

/// The bytes after leading blanks whose first [`MARKUP_BYTES`] are looked at for markup.
const MARKUP_BYTES: usize = 512;

/// Where markup would start: after a byte order mark and leading blanks.
fn markup_start(bytes: &[u8]) -> &[u8] {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let blanks = text.iter().take_while(|b| b.is_ascii_whitespace()).count();
    text.get(blanks..).unwrap_or_default()
}

fn looks_like_markup(bytes: &[u8]) -> bool {
    let trimmed: Vec<u8> = markup_start(bytes)
        .iter()
        .take(MARKUP_BYTES)
        .map(u8::to_ascii_lowercase)
        .collect();
    if !trimmed.starts_with(b"<") {
        return false;
    }
    [
        &b"<html"[..],
        b"<!doctype html",
        b"<table",
        b"<?xml",
        b"<meta",
        b"<head",
        b"<body",
    ]
    .iter()
    .any(|tag| memchr::memmem::find(&trimmed, tag).is_some())
}

fn detect_zip(bytes: &[u8]) -> Result<SourceFormat> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| {
        Error::new(
            ErrorKind::MalformedFile,
            "the file starts like a zip archive (XLSX or ODS) but its directory cannot be read; it may be truncated",
        )
        .with_source(e)
    })?;
    let names: Vec<String> = archive
        .file_names()
        .flatten()
        .map(|n| n.into_owned())
        .collect();
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("xl/workbook.bin") {
        return Ok(SourceFormat::Xlsb);
    }
    if has("xl/workbook.xml") {
        let macro_enabled = archive
            .by_name("[Content_Types].xml")
            .ok()
            .and_then(|mut f| {
                let mut head = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(&mut f, 64 * 1024), &mut head)
                    .ok()?;
                Some(memchr::memmem::find(&head, b"macroEnabled").is_some())
            })
            .unwrap_or(false);
        return Ok(if macro_enabled {
            SourceFormat::Xlsm
        } else {
            SourceFormat::Xlsx
        });
    }
    if has("content.xml") {
        let encrypted = archive
            .by_name("META-INF/manifest.xml")
            .ok()
            .and_then(|mut f| {
                let mut head = Vec::new();
                std::io::Read::read_to_end(&mut std::io::Read::take(&mut f, 256 * 1024), &mut head)
                    .ok()?;
                Some(memchr::memmem::find(&head, b"encryption-data").is_some())
            });
        if encrypted == Some(true) {
            return Err(Error::new(
                ErrorKind::Encrypted,
                "the spreadsheet is protected with a password; save it again without a password and upload it again",
            ));
        }
        let mimetype = archive.by_name("mimetype").ok().and_then(|mut f| {
            let mut head = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(&mut f, 256), &mut head).ok()?;
            Some(head)
        });
        return match mimetype.as_deref() {
            Some(b"application/vnd.oasis.opendocument.spreadsheet") | None => Ok(SourceFormat::Ods),
            Some(_) => Err(Error::new(
                ErrorKind::UnsupportedFormat,
                "the file is an OpenDocument file but not a spreadsheet (ODS); export the table as ODS, XLSX or CSV",
            )),
        };
    }
    Err(Error::new(
        ErrorKind::UnsupportedFormat,
        "the file is a zip archive but not a workbook (XLSX, XLSM, XLSB or ODS)",
    ))
}

fn detect_cfb(bytes: &[u8]) -> Result<SourceFormat> {
    let file = cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|e| {
        Error::new(
            ErrorKind::MalformedFile,
            "the file starts like an Excel 97-2003 workbook (XLS) but its structure cannot be read; it may be truncated",
        )
        .with_source(e)
    })?;
    let mut has_workbook = false;
    for entry in file.walk() {
        match entry.name() {
            "EncryptedPackage" | "EncryptionInfo" => {
                return Err(Error::new(
                    ErrorKind::Encrypted,
                    "the workbook is protected with a password; remove the password in Excel (File > Info > Protect Workbook) and upload it again",
                ));
            }
            "Workbook" | "Book" => has_workbook = true,
            _ => {}
        }
    }
    if has_workbook {
        Ok(SourceFormat::Xls)
    } else {
        Err(Error::new(
            ErrorKind::UnsupportedFormat,
            "the file is an Office 97-2003 document but not an Excel workbook (it may be a Word or PowerPoint file)",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_csv_and_markup_is_refused() {
        assert_eq!(detect(b"name,email\n").ok(), Some(SourceFormat::Csv));
        let html =
            detect(b"  <html><table><tr><td>x</td></tr></table></html>").map_err(|e| e.kind());
        assert_eq!(html, Err(ErrorKind::UnsupportedFormat));
        assert_eq!(detect(b"").map_err(|e| e.kind()), Err(ErrorKind::EmptyFile));
        assert_eq!(
            detect(b"PK\x03\x04garbage").map_err(|e| e.kind()),
            Err(ErrorKind::MalformedFile)
        );
        assert_eq!(
            detect(CFB_MAGIC).map_err(|e| e.kind()),
            Err(ErrorKind::MalformedFile)
        );
    }

    #[test]
    fn documents_and_images_are_refused_by_their_leading_bytes() {
        let pdf = detect(b"%PDF-1.7\n%text only\n1 0 obj\n").err();
        assert_eq!(
            pdf.as_ref().map(Error::kind),
            Some(ErrorKind::UnsupportedFormat)
        );
        assert!(pdf.is_some_and(|e| e.to_string().contains("a PDF document, not a roster")));
        assert_eq!(
            detect(b"\x89PNG\r\n\x1a\n\0\0").map_err(|e| e.kind()),
            Err(ErrorKind::UnsupportedFormat)
        );
        // Text that merely starts like one is text.
        assert_eq!(detect(b"%PD,name\n").ok(), Some(SourceFormat::Csv));
    }

    #[test]
    fn names_map_to_formats() {
        assert_eq!(
            SourceFormat::from_file_name("a.TSV"),
            Some(SourceFormat::Csv)
        );
        assert_eq!(
            SourceFormat::from_file_name("roster.xlsx"),
            Some(SourceFormat::Xlsx)
        );
        assert_eq!(SourceFormat::from_file_name("roster"), None);
    }
}
