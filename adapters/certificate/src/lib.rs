//! Certificates for conferral: a credential's SVG design (filled in by the core,
//! [`conferral::render::certificate`]) fitted to its boxes and drawn as PDF, PNG or SVG with
//! bundled fonts, one at a time or a whole batch into a zip.
//!
//! ```
//! use conferral::render::{MergeFields, certificate_svg};
//! use conferral_certificate::{Drawing, Format};
//!
//! let group = conferral::Group { name: "Data Science Bootcamp".into(), ..Default::default() };
//! let fields = MergeFields {
//!     recipient_name: "Ana López".into(),
//!     recipient_email: "ana@example.org".into(),
//!     credential_id: "Ab12".into(),
//!     issued_on: Some("2026-03-02".into()),
//!     expires_on: None,
//!     attributes: Default::default(),
//! };
//! let svg = certificate_svg(&group, &fields, "https://credentials.example.org/c")?;
//! let drawing = Drawing::new(&svg)?;
//! assert!(drawing.pdf()?.starts_with(b"%PDF"));
//! assert!(drawing.render(Format::Png)?.starts_with(b"\x89PNG"));
//! # Ok::<(), conferral::Error>(())
//! ```
//!
//! # How a certificate is drawn
//! 1. The filled-in SVG is parsed by [usvg] with the bundled fonts alone (`fonts/README.md`:
//!    Noto Sans and Noto Serif for Latin, Greek and Cyrillic, Noto Sans Arabic and Hebrew,
//!    Droid Sans Fallback for Chinese and Japanese, a Hangul cut of NanumSquare for Korean; 7.3 MB, OFL and
//!    Apache-2.0). Nothing outside the document is ever read: no system font, no file, no
//!    URL (an image is a `data:` URL or nothing).
//! 2. Every box (`<text data-fit-width="W">`) is measured with usvg's own text layout and
//!    shrunk or wrapped until it fits (the `fit` module's rules).
//! 3. The same parsed tree becomes a PDF through [svg2pdf] (text stays text: each font is
//!    subset and embedded with its Unicode map, so `pdftotext` reads the name back) or a PNG
//!    through [resvg] at [`PNG_DPI`]. The SVG output is the fitted document with its text
//!    turned into outlines, so it looks the same in any viewer without the fonts.
//!
//! # Why these crates
//! usvg/resvg are the SVG renderer most Rust software uses, with a complete text stack
//! (rustybuzz shaping, so Arabic joins and right-to-left text runs the right way; bidi;
//! per-character font fallback) and no system dependency. svg2pdf is built on the same usvg
//! tree (Typst's SVG-to-PDF converter), so the PDF and the PNG are drawn from one parse and
//! one layout: what was measured for the boxes is what both show. Its 0.13 release pins
//! usvg/resvg 0.45, which is why those are 0.45 rather than the newest; krilla-svg, the
//! successor, needs Rust 1.92 against this workspace's 1.88.
//!
//! Measured on this repository's 2-core machine, release build, the default design filled in
//! and drawn 100 times, names cycling through Latin, Arabic, Chinese, Korean and a long
//! wrapped one (`cargo run --release -p conferral-certificate --example measure`, which
//! also writes samples to `target/certificate-samples/`):
//!
//! | output | time per certificate (design compiled, filled in, fitted, drawn) | size |
//! | --- | ---: | ---: |
//! | SVG, text as outlines | 3.2 ms | 146 KB |
//! | PDF, fonts subset and embedded | 3.5 ms | 31 KB |
//! | PNG, 150 dpi (1754 × 1241) | 15.7 ms | 294 KB |
//!
//! The first certificate of a process also indexes the bundled fonts (2 ms). A batch of
//! 10,000 certificates as PDFs is about 35 s of one core and a 310 MB zip.

#![deny(missing_docs)]

mod fit;
mod fonts;

use std::io::{Seek, Write};

use conferral::issuer::{CertificatesOutcome, Issuer, Selection};
use conferral::storage::Storage;
use conferral::{Error, ErrorKind};

pub use fonts::{SANS, SERIF};

/// The resolution of PNG certificates: an A4 page is 1754 × 1240 pixels.
pub const PNG_DPI: f32 = 150.0;

/// SVG user units per inch (CSS pixels), which usvg measures in.
const SVG_DPI: f32 = 96.0;

/// What a certificate is drawn as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// SVG with the text as outlines.
    Svg,
    /// PDF with the text as text, its fonts subset and embedded.
    Pdf,
    /// PNG at [`PNG_DPI`].
    Png,
}

impl Format {
    /// Every format, in the order they are listed.
    pub const ALL: [Format; 3] = [Format::Pdf, Format::Png, Format::Svg];

    /// Its name: `svg`, `pdf` or `png` (also the file extension).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Pdf => "pdf",
            Format::Png => "png",
        }
    }

    /// The format of a name, ignoring case.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(name.trim()))
    }

    /// Its media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Svg => "image/svg+xml",
            Format::Pdf => "application/pdf",
            Format::Png => "image/png",
        }
    }
}

/// A certificate with its boxes fitted, parsed with the bundled fonts, ready to draw.
pub struct Drawing {
    fitted: String,
    tree: usvg::Tree,
}

impl std::fmt::Debug for Drawing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Drawing")
            .field("bytes", &self.fitted.len())
            .finish_non_exhaustive()
    }
}

/// How usvg reads a certificate: the bundled fonts, and nothing from outside the document.
fn options() -> usvg::Options<'static> {
    usvg::Options {
        resources_dir: None,
        font_family: SANS.to_owned(),
        font_size: 16.0,
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: usvg::ImageHrefResolver::default_data_resolver(),
            resolve_string: Box::new(|_, _| None),
        },
        font_resolver: fonts::resolver(),
        fontdb: fonts::database(),
        ..usvg::Options::default()
    }
}

fn output_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Output,
        format!("the certificate could not be drawn as {what}: {e}"),
    )
}

impl Drawing {
    /// Fits a filled-in design's boxes and parses it.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidTemplate`] when the SVG cannot be read.
    pub fn new(svg: &str) -> Result<Drawing, Error> {
        let (fitted, tree) = fit::fit(svg, &options())?;
        Ok(Drawing { fitted, tree })
    }

    /// The fitted document as SVG text, the text still text in the bundled fonts' names.
    pub fn fitted_svg(&self) -> &str {
        &self.fitted
    }

    /// The parsed document: its text nodes hold the glyphs and fonts usvg laid out.
    pub fn tree(&self) -> &usvg::Tree {
        &self.tree
    }

    /// The page size in points (1/72 inch).
    pub fn page_points(&self) -> (f32, f32) {
        let size = self.tree.size();
        let k = 72.0 / SVG_DPI;
        (size.width() * k, size.height() * k)
    }

    /// The certificate as SVG with its text turned into outlines.
    pub fn svg(&self) -> String {
        self.tree.to_string(&usvg::WriteOptions::default())
    }

    /// The certificate as a one-page PDF, its fonts subset and embedded.
    ///
    /// # Errors
    /// [`ErrorKind::Output`] when the PDF cannot be made.
    pub fn pdf(&self) -> Result<Vec<u8>, Error> {
        svg2pdf::to_pdf(
            &self.tree,
            svg2pdf::ConversionOptions::default(),
            svg2pdf::PageOptions { dpi: SVG_DPI },
        )
        .map_err(|e| output_error("PDF", e))
    }

    /// The certificate as a PNG at `dpi` dots per inch.
    ///
    /// # Errors
    /// [`ErrorKind::Output`] for a size that cannot be drawn (none, or over 20,000 pixels a
    /// side).
    pub fn png(&self, dpi: f32) -> Result<Vec<u8>, Error> {
        let scale = dpi / SVG_DPI;
        let size = self.tree.size();
        let side = |v: f32| {
            let pixels = (v * scale).ceil();
            (1.0..=20_000.0).contains(&pixels).then_some(pixels as u32)
        };
        let (Some(width), Some(height)) = (side(size.width()), side(size.height())) else {
            return Err(output_error("PNG", "its size is out of range"));
        };
        let mut pixmap = resvg::tiny_skia::Pixmap::new(width, height)
            .ok_or_else(|| output_error("PNG", "no memory for the image"))?;
        resvg::render(
            &self.tree,
            resvg::tiny_skia::Transform::from_scale(scale, scale),
            &mut pixmap.as_mut(),
        );
        pixmap.encode_png().map_err(|e| output_error("PNG", e))
    }

    /// The certificate in `format` (PNG at [`PNG_DPI`]).
    ///
    /// # Errors
    /// As [`Drawing::pdf`] and [`Drawing::png`].
    pub fn render(&self, format: Format) -> Result<Vec<u8>, Error> {
        match format {
            Format::Svg => Ok(self.svg().into_bytes()),
            Format::Pdf => self.pdf(),
            Format::Png => self.png(PNG_DPI),
        }
    }
}

/// Draws a filled-in design in `format`.
///
/// # Errors
/// As [`Drawing::new`] and [`Drawing::render`].
pub fn render(svg: &str, format: Format) -> Result<Vec<u8>, Error> {
    Drawing::new(svg)?.render(format)
}

/// The certificate of a published, revoked or expired credential in `format`.
///
/// # Errors
/// As [`Issuer::certificate_svg`] and [`render`].
pub fn certificate<S: Storage>(
    issuer: &Issuer<S>,
    id: &str,
    format: Format,
) -> Result<Vec<u8>, Error> {
    render(&issuer.certificate_svg(id)?, format)
}

/// Writes the certificate of every credential a selection names (drafts are skipped, or
/// refused when named by id) into a zip, `<id>.<format>` each, one at a time: memory holds
/// one certificate whatever the number. The entries are stored as they are (PDF and PNG are
/// compressed already) with a fixed date, so the same credentials give the same zip.
///
/// # Errors
/// [`ErrorKind::NotFound`] for an unknown id or batch; [`ErrorKind::Output`] when the zip
/// cannot be written; what drawing a certificate returns (the zip is then left unfinished).
pub fn write_zip<S: Storage, W: Write + Seek>(
    issuer: &Issuer<S>,
    selection: &Selection,
    format: Format,
    out: W,
) -> Result<CertificatesOutcome, Error> {
    let zip_error = |e: &dyn std::fmt::Display| {
        Error::new(
            ErrorKind::Output,
            format!("the certificates' zip could not be written: {e}"),
        )
    };
    let mut zip = zip::ZipWriter::new(out);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(false);
    let outcome = issuer.certificates(selection, &mut |credential, svg| {
        let bytes = render(svg, format)?;
        // Ids are letters, digits, `-` and `_`: safe as names.
        zip.start_file(format!("{}.{}", credential.id, format.as_str()), options)
            .map_err(|e| zip_error(&e))?;
        zip.write_all(&bytes).map_err(|e| zip_error(&e))
    })?;
    zip.finish().map_err(|e| zip_error(&e))?;
    Ok(outcome)
}
