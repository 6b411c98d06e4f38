//! Certificates drawn with the bundled fonts: hostile values stay text and inside their boxes,
//! every script finds a font, the PDF's text reads back, and a batch zips.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::path::{Path, PathBuf};
use std::process::Command;

use conferral::render::{CertificateRenderer, MergeFields};
use conferral_certificate::{Drawing, Format};

const BASE: &str = "https://credentials.example.org/c";

fn group(achievement: &str) -> conferral::Group {
    let mut group = conferral::Group::from_json(
        r#"{"name": "Data Science Bootcamp 2026", "issuer": {"name": "Northwind Academy"}}"#,
    )
    .unwrap();
    group.achievement = Some(conferral::group::AchievementProfile {
        name: Some(achievement.to_owned()),
        ..Default::default()
    });
    group
}

fn fields(name: &str) -> MergeFields {
    MergeFields {
        recipient_name: name.to_owned(),
        recipient_email: "ana@example.org".to_owned(),
        credential_id: "Xy7k9QmZ2v".to_owned(),
        issued_on: Some("2026-03-02".to_owned()),
        expires_on: Some("2028-03-02".to_owned()),
        attributes: Default::default(),
    }
}

fn draw(name: &str, achievement: &str) -> Drawing {
    let svg = CertificateRenderer::for_group(&group(achievement), BASE)
        .unwrap()
        .render(&fields(name))
        .unwrap();
    Drawing::new(&svg).unwrap()
}

/// Every text node of a drawing: its text, its box on the page, and the family and glyph of
/// each glyph it was laid out with.
struct Shown {
    text: String,
    left: f32,
    right: f32,
    top: f32,
    bottom: f32,
    glyphs: Vec<(String, u16)>,
    /// Each glyph's text and its x on the page, in the order laid out.
    clusters: Vec<(String, f32)>,
}

fn shown(drawing: &Drawing) -> Vec<Shown> {
    fn walk(group: &usvg::Group, db: &usvg::fontdb::Database, out: &mut Vec<Shown>) {
        for node in group.children() {
            match node {
                usvg::Node::Group(g) => walk(g, db, out),
                usvg::Node::Text(t) => {
                    let rect = t.abs_bounding_box();
                    let glyphs = t
                        .layouted()
                        .iter()
                        .flat_map(|span| span.positioned_glyphs.iter())
                        .map(|g| {
                            let family = db
                                .face(g.font)
                                .map(|f| f.families[0].0.clone())
                                .unwrap_or_default();
                            (family, g.id.0)
                        })
                        .collect();
                    let clusters = t
                        .layouted()
                        .iter()
                        .flat_map(|span| span.positioned_glyphs.iter())
                        .map(|g| (g.text.clone(), g.transform().tx))
                        .collect();
                    out.push(Shown {
                        clusters,
                        text: t.chunks().iter().map(|c| c.text()).collect(),
                        left: rect.left(),
                        right: rect.right(),
                        top: rect.top(),
                        bottom: rect.bottom(),
                        glyphs,
                    });
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(drawing.tree().root(), drawing.tree().fontdb(), &mut out);
    out
}

/// The text node showing (the start of) `text`.
fn find<'a>(all: &'a [Shown], text: &str) -> &'a Shown {
    let start: String = text.chars().take(12).collect();
    all.iter()
        .find(|s| s.text.starts_with(&start))
        .unwrap_or_else(|| {
            panic!(
                "no text starting {start:?} among {:?}",
                all.iter().map(|s| &s.text).collect::<Vec<_>>()
            )
        })
}

/// The default design's name box: 880 wide, centred on 561.5, between the line above it
/// ("This certifies that", baseline 330) and the rule below it (y 452); the box measured is
/// the line box (the fonts' ascent to descent), taller than the ink.
fn assert_in_name_box(s: &Shown) {
    assert!(
        s.left >= 561.5 - 440.0 - 0.5 && s.right <= 561.5 + 440.0 + 0.5,
        "{} .. {}",
        s.left,
        s.right
    );
    assert!(
        s.top >= 330.0 && s.bottom <= 452.0,
        "{} .. {}",
        s.top,
        s.bottom
    );
}

#[test]
fn long_names_shrink_and_wrap_inside_their_box() {
    let long: String = "Maximiliana Wolfeschlegelsteinhausenbergerdorff ".repeat(7);
    let long: String = long.chars().take(300).collect();
    for name in [
        long.as_str(),
        &"W".repeat(300),
        &"龍".repeat(120),
        &"مريم عبد الرحمن ".repeat(16),
        "Ana López",
    ] {
        let drawing = draw(name, "Data Science Bootcamp 2026");
        let all = shown(&drawing);
        let s = find(&all, name.trim());
        assert_in_name_box(s);
        assert!(!s.glyphs.is_empty());
    }
    // A short name keeps the design's size; a long one is cut, never dropped.
    let short = draw("Ana López", "x");
    assert!(short.fitted_svg().contains(">Ana López</text>"));
    let cut = draw(&long, "x");
    assert!(cut.fitted_svg().contains('…'), "{}", cut.fitted_svg());
}

#[test]
fn long_achievements_wrap_inside_their_box() {
    let achievement = "Advanced Certificate in Applied Statistics, Machine Learning and Responsible Data Engineering for Public Health";
    let drawing = draw("Ana", achievement);
    let all = shown(&drawing);
    let s = find(&all, achievement);
    assert!(
        s.left >= 121.0 && s.right <= 1002.0,
        "{} .. {}",
        s.left,
        s.right
    );
    assert!(
        s.top >= 505.0 && s.bottom <= 606.0,
        "{} .. {}",
        s.top,
        s.bottom
    );
    assert!(drawing.fitted_svg().matches("<tspan").count() >= 2);
}

#[test]
fn every_script_finds_a_bundled_font() {
    for (name, family) in [
        ("Zoë Ångström-Øster Þórsdóttir", "Noto Serif"),
        ("Αλέξανδρος Παπαδόπουλος", "Noto Serif"),
        ("Юлия Владимировна", "Noto Serif"),
        ("Nguyễn Thị Minh Khai", "Noto Serif"),
        ("مريم عبد الرحمن", "Noto Sans Arabic"),
        ("שרה כהן", "Noto Sans Hebrew"),
        ("李小龍", "Droid Sans Fallback"),
        ("山田 さくら", "Droid Sans Fallback"),
        ("김민준", "Conferral Hangul"),
        ("山田 さくら 李小龍 김민준", "Droid Sans Fallback"),
        ("山田 さくら 李小龍 김민준", "Conferral Hangul"),
    ] {
        let drawing = draw(name, "x");
        let all = shown(&drawing);
        let s = find(&all, name);
        assert!(
            s.glyphs.iter().all(|(_, glyph)| *glyph != 0),
            "{name}: a glyph is .notdef: {:?}",
            s.glyphs
        );
        let letters: Vec<_> = s.glyphs.iter().filter(|(f, _)| f == family).collect();
        assert!(!letters.is_empty(), "{name}: drawn with {:?}", s.glyphs);
    }
}

#[test]
fn right_to_left_names_are_shaped_and_run_right_to_left() {
    let word = "سمير";
    let drawing = draw(word, "x");
    let all = shown(&drawing);
    let s = find(&all, word);
    assert_eq!(s.glyphs.len(), 4, "{:?}", s.glyphs);
    // Laid out right to left: the first letter is the rightmost glyph, the last the leftmost.
    let x_of = |letter: &str| {
        s.clusters
            .iter()
            .find(|(text, _)| text == letter)
            .map(|(_, x)| *x)
            .unwrap_or_else(|| panic!("no glyph for {letter} in {:?}", s.clusters))
    };
    assert!(x_of("س") > x_of("م") && x_of("م") > x_of("ي") && x_of("ي") > x_of("ر"));
    // Shaped: the first letter joins the next, so it is not drawn in its form alone.
    let alone = find(&shown(&draw("س", "x")), "س").glyphs[0].1;
    let first = s
        .clusters
        .iter()
        .position(|(text, _)| text == "س")
        .map(|i| s.glyphs[i].1)
        .unwrap();
    assert_ne!(first, alone, "س keeps its isolated form");
}

/// `pdftotext` from Debian's poppler-utils (`make setup` installs it).
fn pdftotext(pdf: &Path) -> String {
    let out = Command::new("pdftotext")
        .arg("-enc")
        .arg("UTF-8")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext from poppler-utils (make setup installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("certificate-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn the_pdf_is_a4_with_the_name_as_text() {
    for (name, expected) in [
        ("Ana María López", "Ana María López"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("\"/><svg onload=alert(1)>", "\"/><svg onload=alert(1)>"),
        // Right-to-left text reads back in its logical order; CJK through the fallback font.
        ("مريم عبد الرحمن", "مريم عبد الرحمن"),
        ("李小龍 김민준", "李小龍 김민준"),
    ] {
        let drawing = draw(name, "Data Science Bootcamp 2026");
        let (w, h) = drawing.page_points();
        assert!(
            (w - 841.89).abs() < 0.5 && (h - 595.28).abs() < 0.5,
            "{w} × {h}"
        );
        let pdf = drawing.pdf().unwrap();
        let path = scratch("name.pdf");
        std::fs::write(&path, &pdf).unwrap();
        let text = pdftotext(&path);
        assert!(text.contains(expected), "{expected:?} not in {text:?}");
        assert!(
            text.contains("NORTHWIND ACADEMY") && text.contains("Data Science Bootcamp 2026"),
            "{text}"
        );
        // The PDF holds no script or action: the name is only text.
        let raw = String::from_utf8_lossy(&pdf);
        assert!(
            !raw.contains("/JavaScript") && !raw.contains("/JS") && !raw.contains("/OpenAction")
        );
    }
}

/// How far a drawing may be from its snapshot: pixels whose channels differ by more than
/// 24, as a share of the image. Fonts and renderer are fixed, so the images match but for
/// rounding.
const TOLERANCE: f64 = 0.002;

fn assert_snapshot(name: &str, drawing: &Drawing) {
    let png = drawing.png(60.0).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(format!("{name}.png"));
    if std::env::var_os("CONFERRAL_UPDATE_SNAPSHOTS").is_some() || !path.exists() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &png).unwrap();
        if std::env::var_os("CONFERRAL_UPDATE_SNAPSHOTS").is_none() {
            panic!(
                "wrote the new snapshot {}: look at it and commit it",
                path.display()
            );
        }
        return;
    }
    let expected = resvg::tiny_skia::Pixmap::load_png(&path).unwrap();
    let actual = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    assert_eq!(
        (actual.width(), actual.height()),
        (expected.width(), expected.height()),
        "{name}"
    );
    let differing = expected
        .data()
        .chunks(4)
        .zip(actual.data().chunks(4))
        .filter(|(a, b)| a.iter().zip(b.iter()).any(|(x, y)| x.abs_diff(*y) > 24))
        .count();
    let share = differing as f64 / f64::from(expected.width() * expected.height());
    if share > TOLERANCE {
        let seen = scratch(&format!("{name}.png"));
        std::fs::write(&seen, &png).unwrap();
        panic!(
            "{name}: {:.2}% of the pixels differ from {} (this drawing: {})",
            share * 100.0,
            path.display(),
            seen.display()
        );
    }
}

#[test]
fn hostile_values_stay_inert_and_inside_their_boxes() {
    let cases = [
        (
            "markup",
            "<script>alert(1)</script> \"/><svg onload=alert(1)>",
            "Data \"Science\" </text><script>x</script>",
        ),
        (
            "long",
            &"Wolfeschlegelsteinhausenbergerdorff-Maximiliana ".repeat(7)[..300],
            "Data Science Bootcamp 2026",
        ),
        (
            "right-to-left",
            "مريم عبد الرحمن (שרה כהן) Smith",
            "دورة علم البيانات 2026",
        ),
        ("cjk", "山田 さくら 李小龍 김민준", "데이터 과학 부트캠프"),
    ];
    for (name, recipient, achievement) in cases {
        let drawing = draw(recipient, achievement);
        let all = shown(&drawing);
        assert_in_name_box(find(&all, recipient.trim()));
        // The values are text nodes, never elements of the document.
        let fitted = drawing.fitted_svg();
        assert!(!fitted.contains("<script"), "{name}");
        assert!(!fitted.contains("<svg onload"), "{name}");
        assert_snapshot(name, &drawing);
    }
}

#[test]
fn svg_output_is_outlines_and_png_is_a4_at_150_dpi() {
    let drawing = draw("Ana", "x");
    let svg = String::from_utf8(drawing.render(Format::Svg).unwrap()).unwrap();
    assert!(
        svg.starts_with("<svg") && !svg.contains("<text"),
        "{}",
        &svg[..200]
    );
    let png = drawing.render(Format::Png).unwrap();
    let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
    assert_eq!((pixmap.width(), pixmap.height()), (1754, 1241));
}

#[test]
fn a_batch_becomes_a_zip_of_pdfs() {
    use chrono::TimeZone;
    use conferral::issuer::{ImportRequest, Issuer, IssuerConfig, Selection};
    let config = IssuerConfig::new(
        BASE,
        conferral::mail::Mailbox::parse("Academy <a@example.org>"),
    );
    let mut issuer = Issuer::new(conferral::storage::MemoryStorage::new(), config).unwrap();
    let now = chrono::Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    let mut seed = 0u8;
    let mut ids = conferral::lifecycle::FromRandomBytes(|| {
        seed += 1;
        [seed; 16]
    });
    let roster =
        "Name,Email\nAna López,ana@example.org\nمريم,m@example.org\n李小龍,l@example.org\n";
    let imported = issuer
        .import(
            &ImportRequest::new(&group("Bootcamp"), roster.as_bytes(), "t"),
            &mut ids,
            now,
            &mut |_| {},
        )
        .unwrap();
    let batch = Selection::Batch(imported.batch.id.clone());
    issuer.publish(&batch, "t", now, &mut |_| {}).unwrap();
    let mut out = std::io::Cursor::new(Vec::new());
    let outcome = conferral_certificate::write_zip(&issuer, &batch, Format::Pdf, &mut out).unwrap();
    assert_eq!(outcome.written.len(), 3);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(out.into_inner())).unwrap();
    assert_eq!(zip.len(), 3);
    for id in &outcome.written {
        let mut entry = zip.by_name(&format!("{id}.pdf")).unwrap();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        assert!(bytes.starts_with(b"%PDF"));
    }
    let one =
        conferral_certificate::certificate(&issuer, &outcome.written[0], Format::Png).unwrap();
    assert!(one.starts_with(b"\x89PNG"));
}

#[test]
fn only_the_bundled_fonts_are_known() {
    let drawing = draw("Ana", "x");
    let mut families: Vec<String> = drawing
        .tree()
        .fontdb()
        .faces()
        .map(|f| f.families[0].0.clone())
        .collect();
    families.dedup();
    assert_eq!(
        families,
        [
            "Noto Sans",
            "Noto Serif",
            "Noto Sans Arabic",
            "Noto Sans Hebrew",
            "Droid Sans Fallback",
            "Conferral Hangul"
        ]
    );
    // A family the design names that is not bundled falls back to the bundled sans-serif;
    // an image outside the document is not read.
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="400" height="100">
        <image href="/etc/hostname" width="10" height="10"/>
        <text x="10" y="50" font-family="Arial, Helvetica" font-size="20">Ana</text></svg>"#;
    let drawing = Drawing::new(svg).unwrap();
    let all = shown(&drawing);
    assert!(
        all[0]
            .glyphs
            .iter()
            .all(|(family, _)| family == "Noto Sans"),
        "{:?}",
        all[0].glyphs
    );
    assert!(!drawing.svg().contains("<image"));
}

#[test]
fn a_box_takes_its_font_from_styles_and_sheets() {
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="600" height="300" viewBox="0 0 600 300">
        <style>.name { font-family: "Noto Serif"; font-weight: 700 }</style>
        <g font-size="10">
          <text class="name" x="300" y="150" text-anchor="middle" style="font-size: 48px; fill: #123"
                data-fit-width="400" data-fit-lines="3" data-fit-height="150" data-fit-min-size="8"
                >Dr. Anna-Karenina Wolfeschlegelsteinhausen of the Very Long Family Name</text>
          <text x="20" y="280" data-fit-width="100">short</text>
        </g></svg>"#;
    let drawing = Drawing::new(svg).unwrap();
    let all = shown(&drawing);
    let name = find(&all, "Dr. Anna-Karenina");
    assert!(
        name.left >= 100.0 - 0.5 && name.right <= 500.0 + 0.5,
        "{} .. {}",
        name.left,
        name.right
    );
    assert!(
        name.top >= 75.0 - 1.0 && name.bottom <= 225.0 + 1.0,
        "{} .. {}",
        name.top,
        name.bottom
    );
    assert!(name.glyphs.iter().all(|(family, _)| family == "Noto Serif"));
    let lines = drawing.fitted_svg().matches("<tspan").count();
    assert!((2..=3).contains(&lines), "{}", drawing.fitted_svg());
    // The other box fits as it is and is left alone.
    assert!(drawing.fitted_svg().contains(">short</text>"));
    let short = find(&all, "short");
    assert!(short.right - short.left < 100.0);
}
