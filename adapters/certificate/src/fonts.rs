//! The bundled fonts (`fonts/README.md` lists them, with what each covers and its licence),
//! and how a character missing from a design's font finds another.

use std::sync::{Arc, OnceLock};

use usvg::fontdb;

/// Every bundled file, in the order a missing character looks through them.
const FILES: [&[u8]; 10] = [
    include_bytes!("../fonts/NotoSans-Regular.ttf"),
    include_bytes!("../fonts/NotoSans-Bold.ttf"),
    include_bytes!("../fonts/NotoSerif-Regular.ttf"),
    include_bytes!("../fonts/NotoSerif-Bold.ttf"),
    include_bytes!("../fonts/NotoSansArabic-Regular.ttf"),
    include_bytes!("../fonts/NotoSansArabic-Bold.ttf"),
    include_bytes!("../fonts/NotoSansHebrew-Regular.ttf"),
    include_bytes!("../fonts/NotoSansHebrew-Bold.ttf"),
    include_bytes!("../fonts/DroidSansFallbackFull.ttf"),
    include_bytes!("../fonts/ConferralHangul-Regular.ttf"),
];

/// The family of text whose design names none, and of the generic `sans-serif`.
pub const SANS: &str = "Noto Sans";
/// The family of the generic `serif`.
pub const SERIF: &str = "Noto Serif";

/// The bundled fonts, loaded once per process; nothing else is ever in it.
pub fn database() -> Arc<fontdb::Database> {
    static DATABASE: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DATABASE
        .get_or_init(|| {
            let mut db = fontdb::Database::new();
            for bytes in FILES {
                db.load_font_source(fontdb::Source::Binary(Arc::new(bytes)));
            }
            db.set_sans_serif_family(SANS);
            db.set_serif_family(SERIF);
            // Any other generic family is the sans-serif too.
            db.set_monospace_family(SANS);
            db.set_cursive_family(SANS);
            db.set_fantasy_family(SANS);
            Arc::new(db)
        })
        .clone()
}

/// The font resolver usvg uses: the design's family from the bundled fonts (the sans-serif
/// when it names none of them), and for a
/// character that font lacks, the bundled font that has it in the nearest style and weight
/// (the first of [`FILES`] among equals), so the choice never depends on anything but the
/// text.
pub fn resolver() -> usvg::FontResolver<'static> {
    usvg::FontResolver {
        select_font: Box::new(select_font),
        select_fallback: Box::new(|c, used, db| {
            let base = used.first().and_then(|id| db.face(*id));
            let (style, weight) =
                base.map_or((fontdb::Style::Normal, 400), |f| (f.style, f.weight.0));
            db.faces()
                .enumerate()
                .filter(|(_, face)| !used.contains(&face.id) && has_char(db, face.id, c))
                .min_by_key(|(order, face)| {
                    (face.style != style, face.weight.0.abs_diff(weight), *order)
                })
                .map(|(_, face)| face.id)
        }),
    }
}

/// Whether a font of the database maps a character to a glyph.
fn has_char(db: &fontdb::Database, id: fontdb::ID, c: char) -> bool {
    db.with_face_data(id, |data, index| {
        ttf_parser::Face::parse(data, index)
            .ok()
            .and_then(|face| face.glyph_index(c))
            .is_some()
    })
    .unwrap_or(false)
}

/// The bundled face for a text's font: the first of its families that is bundled, else the
/// sans-serif (a browser would take its own default; a design names its fonts).
fn select_font(font: &usvg::Font, db: &mut Arc<fontdb::Database>) -> Option<fontdb::ID> {
    use usvg::{FontFamily, FontStretch, FontStyle};
    let mut families: Vec<fontdb::Family<'_>> = font
        .families()
        .iter()
        .map(|family| match family {
            FontFamily::Serif => fontdb::Family::Serif,
            FontFamily::SansSerif => fontdb::Family::SansSerif,
            FontFamily::Cursive => fontdb::Family::Cursive,
            FontFamily::Fantasy => fontdb::Family::Fantasy,
            FontFamily::Monospace => fontdb::Family::Monospace,
            FontFamily::Named(name) => fontdb::Family::Name(name),
        })
        .collect();
    families.push(fontdb::Family::SansSerif);
    let stretch = match font.stretch() {
        FontStretch::UltraCondensed => fontdb::Stretch::UltraCondensed,
        FontStretch::ExtraCondensed => fontdb::Stretch::ExtraCondensed,
        FontStretch::Condensed => fontdb::Stretch::Condensed,
        FontStretch::SemiCondensed => fontdb::Stretch::SemiCondensed,
        FontStretch::Normal => fontdb::Stretch::Normal,
        FontStretch::SemiExpanded => fontdb::Stretch::SemiExpanded,
        FontStretch::Expanded => fontdb::Stretch::Expanded,
        FontStretch::ExtraExpanded => fontdb::Stretch::ExtraExpanded,
        FontStretch::UltraExpanded => fontdb::Stretch::UltraExpanded,
    };
    let style = match font.style() {
        FontStyle::Normal => fontdb::Style::Normal,
        FontStyle::Italic => fontdb::Style::Italic,
        FontStyle::Oblique => fontdb::Style::Oblique,
    };
    db.query(&fontdb::Query {
        families: &families,
        weight: fontdb::Weight(font.weight()),
        stretch,
        style,
    })
}
