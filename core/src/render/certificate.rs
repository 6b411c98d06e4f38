//! Certificates: a group's SVG design filled in for one credential.
//!
//! A design ([`CertificateDesign`]) is an SVG document written as a minijinja template, with
//! the emails' merge fields and four more:
//!
//! | variable | value |
//! | --- | --- |
//! | `recipient.name`, `recipient.email` | the recipient (the name on one line) |
//! | `credential.id`, `credential.url` | the public id and the link to the live credential |
//! | `credential.issued_on`, `credential.expires_on` | `YYYY-MM-DD`, or none |
//! | `attributes.KEY` | each custom attribute of the group (none when the row left it empty) |
//! | `group.name` | the group |
//! | `achievement.name`, `achievement.description` | what the credential attests ([`Group::achievement`]) |
//! | `issuer.name`, `issuer.url` | the group's issuer, or none (an issuer passes its sender's name) |
//!
//! The emails' rules hold, checked when the group is: a variable the group does not have is
//! refused, `|safe` and the tags that reach another template are refused, and values are
//! bounded. Every value is escaped for XML (and loses the characters XML does not allow), so
//! a name is always text, never markup. The filled-in document is checked too, each time: it
//! must be well-formed XML with one `<svg>` root, no DOCTYPE, no scripts, event handlers,
//! animations or foreign objects, and no reference outside itself (links are `#id` or
//! `data:image/...` URLs). A certificate is a picture that draws the same everywhere.
//!
//! # Boxes
//! A `<text>` element with `data-fit-width="W"` is a box `W` user units wide. Whoever draws
//! the certificate with real fonts (the `conferral-certificate` crate) measures its text
//! and, when it is wider, shrinks it down to `data-fit-min-size` (default: half its size) and
//! wraps it onto at most `data-fit-lines` lines (default 1), centred on its baseline; what
//! still does not fit ends with `…`. A box holds plain text: its font comes from the element
//! and its parents, and any `<tspan>` inside it is read as text.
//!
//! ```
//! use conferral::render::{MergeFields, certificate_svg};
//! let group = conferral::Group { name: "Bootcamp 2026".into(), ..Default::default() };
//! let fields = MergeFields {
//!     recipient_name: "Ana <b>López</b>".into(),
//!     recipient_email: "ana@example.org".into(),
//!     credential_id: "Ab12".into(),
//!     issued_on: Some("2026-03-02".into()),
//!     expires_on: None,
//!     attributes: Default::default(),
//! };
//! let svg = certificate_svg(&group, &fields, "https://credentials.example.org/c")?;
//! assert!(svg.contains("Ana &lt;b&gt;López&lt;&#x2f;b&gt;"));
//! assert!(svg.contains("https:&#x2f;&#x2f;credentials.example.org&#x2f;c&#x2f;Ab12"));
//! # Ok::<(), conferral::Error>(())
//! ```

use minijinja::Environment;
use quick_xml::events::{BytesStart, Event};

use super::{
    Escape, MAX_PART_BYTES, Merge, MergeFields, Part, bounds, compile_part, header_safe,
    render_part, xml_char,
};
use crate::error::{Error, ErrorKind, Result};
use crate::group::{CertificateDesign, Group};

/// The design a group without one of its own gets: A4 landscape, with the recipient's name,
/// the achievement, the issuer, the dates, and the credential's id and link.
pub const DEFAULT_DESIGN: &str = include_str!("default_certificate.svg");

/// The most bytes a design's source may have (room for a logo as a `data:` URL).
pub const MAX_DESIGN_BYTES: usize = 512 * 1024;

/// The longest issuer or achievement text the design is checked for.
const PROFILE_BYTES: u64 = 4 * 1024;

const DESIGN: Part = Part {
    name: "certificate.svg",
    label: "certificate design",
    max_source: MAX_DESIGN_BYTES,
    escape: Escape::Xml,
};

/// Elements a certificate may not hold: they run code, load other documents, or change the
/// picture after it is drawn.
const REFUSED_ELEMENTS: [&str; 15] = [
    "script",
    "foreignobject",
    "iframe",
    "object",
    "embed",
    "audio",
    "video",
    "canvas",
    "animate",
    "animatemotion",
    "animatetransform",
    "animatecolor",
    "set",
    "discard",
    "handler",
];

/// The images a design may embed, as `data:` URLs.
const IMAGE_TYPES: [&str; 6] = [
    "data:image/png",
    "data:image/jpeg",
    "data:image/jpg",
    "data:image/gif",
    "data:image/webp",
    "data:image/svg+xml",
];

/// A group's design, compiled and checked.
#[derive(Debug)]
pub struct CertificateRenderer {
    env: Environment<'static>,
    merge: Merge,
    achievement_name: String,
    achievement_description: String,
    issuer_name: Option<String>,
    issuer_url: Option<String>,
}

/// Renders one credential's certificate as SVG text from the group's design (or the default),
/// with links under `base_url`.
///
/// # Errors
/// As [`CertificateRenderer::for_group`] and [`CertificateRenderer::render`].
pub fn certificate_svg(group: &Group, fields: &MergeFields, base_url: &str) -> Result<String> {
    CertificateRenderer::for_group(group, base_url)?.render(fields)
}

impl CertificateRenderer {
    /// Compiles a design for a group and checks it: its variables against the group, and a
    /// trial document filled in with sample values.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidTemplate`] for a syntax error, a variable the group does not have,
    /// `|safe`, or a document that is not a safe SVG; [`ErrorKind::InvalidGroup`] for an
    /// invalid group; [`ErrorKind::InvalidConfig`] for a bad base.
    pub fn new(
        design: &CertificateDesign,
        group: &Group,
        base_url: &str,
    ) -> Result<CertificateRenderer> {
        let schema = group.schema()?;
        let merge = Merge::new(&schema, base_url)?;
        let achievement = group.achievement();
        let issuer = group.issuer.clone().unwrap_or_default();
        let text = |v: Option<String>| v.map(|t| header_safe(&t)).filter(|t| !t.is_empty());
        let mut root = merge.shapes();
        let profile = |fields: [&str; 2], bytes: [u64; 2]| {
            bounds::Shape::Fields(
                fields
                    .iter()
                    .zip(bytes)
                    .map(|(k, b)| ((*k).to_owned(), bounds::Shape::Value(bounds::Size::text(b))))
                    .collect(),
            )
        };
        root.push((
            "achievement".to_owned(),
            profile(
                ["name", "description"],
                [PROFILE_BYTES, achievement.description.len() as u64],
            ),
        ));
        root.push((
            "issuer".to_owned(),
            profile(["name", "url"], [PROFILE_BYTES, PROFILE_BYTES]),
        ));
        let env = compile_part(DESIGN, &design.svg, &root)?;
        let mut known = merge.known_variables();
        known.extend(
            [
                "achievement",
                "achievement.name",
                "achievement.description",
                "issuer",
                "issuer.name",
                "issuer.url",
            ]
            .map(str::to_owned),
        );
        merge.check_variables(&env, DESIGN, &known)?;
        let renderer = CertificateRenderer {
            env,
            achievement_name: header_safe(&achievement.name),
            achievement_description: achievement.description,
            issuer_name: text(issuer.name),
            issuer_url: text(issuer.url),
            merge,
        };
        // A trial with every field filled in, and one without the optional ones.
        let mut sample = renderer.merge.sample();
        renderer.render(&sample)?;
        sample.issued_on = None;
        sample.expires_on = None;
        sample.attributes.clear();
        renderer.render(&sample)?;
        Ok(renderer)
    }

    /// The renderer of a group's own design, or of [`DEFAULT_DESIGN`] when it has none.
    ///
    /// # Errors
    /// As [`CertificateRenderer::new`].
    pub fn for_group(group: &Group, base_url: &str) -> Result<CertificateRenderer> {
        match &group.design {
            Some(design) => CertificateRenderer::new(design, group, base_url),
            None => CertificateRenderer::new(
                &CertificateDesign {
                    svg: DEFAULT_DESIGN.to_owned(),
                },
                group,
                base_url,
            ),
        }
    }

    /// Names the issuer `name` when the group does not name one (an issuer passes its
    /// sender's name, as its signed credentials do).
    #[must_use]
    pub fn with_issuer_name(mut self, name: &str) -> CertificateRenderer {
        if self.issuer_name.is_none() {
            self.issuer_name = Some(header_safe(name)).filter(|n| !n.is_empty());
        }
        self
    }

    /// Fills the design in for one credential.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidTemplate`] when rendering fails or the document it makes is not a
    /// safe SVG (a link made from a value, say); [`ErrorKind::InvalidValue`] for an id that
    /// is not URL-safe or a value longer than the design was checked for.
    pub fn render(&self, fields: &MergeFields) -> Result<String> {
        let name = header_safe(&fields.recipient_name);
        let context = minijinja::context! {
            achievement => minijinja::context! {
                name => &self.achievement_name,
                description => &self.achievement_description,
            },
            issuer => minijinja::context! {
                name => &self.issuer_name,
                url => &self.issuer_url,
            },
            ..self.merge.context(fields, &name)?
        };
        let svg = render_part(&self.env, DESIGN, context)?;
        check_document(&svg).map_err(|problem| {
            Error::new(
                ErrorKind::InvalidTemplate,
                format!("the certificate design {problem}"),
            )
        })?;
        Ok(svg)
    }
}

/// Checks that a filled-in design is an SVG document that only draws: well-formed, one `<svg>`
/// root, nothing that runs, loads or animates. Gives what is wrong, worded to follow "the
/// certificate design".
fn check_document(svg: &str) -> std::result::Result<(), String> {
    if svg.len() > MAX_PART_BYTES {
        return Err("is too long".to_owned());
    }
    if let Some(c) = svg.chars().find(|c| !xml_char(*c)) {
        return Err(format!(
            "holds the character U+{:04X}, which XML does not allow",
            u32::from(c)
        ));
    }
    // The buffered reader over bytes, as the workbook pre-scan reads XML: one instance of the
    // parser in the WebAssembly module, not two.
    let mut reader = quick_xml::Reader::from_reader(svg.as_bytes());
    let mut buf = Vec::new();
    let mut depth = 0usize;
    let mut roots = 0usize;
    let mut in_style = false;
    let mut svg_namespace = false;
    loop {
        buf.clear();
        let at = |reader: &quick_xml::Reader<&[u8]>| line_of(svg, reader.buffer_position());
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("is not well-formed XML (line {}): {e}", at(&reader)))?;
        match event {
            Event::Eof => break,
            Event::DocType(_) => {
                return Err(format!(
                    "declares a DOCTYPE (line {}), which is not allowed",
                    at(&reader)
                ));
            }
            Event::PI(_) => {
                return Err(format!(
                    "holds a processing instruction (line {}), which is not allowed",
                    at(&reader)
                ));
            }
            Event::Start(_) | Event::Empty(_) if depth == 0 && roots > 0 => {
                return Err("has more than one root element".to_owned());
            }
            Event::Start(e) => {
                if depth == 0 {
                    svg_namespace = has_svg_namespace(&e);
                }
                roots += usize::from(depth == 0);
                check_element(&e, depth == 0).map_err(|p| format!("{p} (line {})", at(&reader)))?;
                in_style = e.local_name().into_inner().eq_ignore_ascii_case("style");
                depth += 1;
            }
            Event::Empty(e) => {
                if depth == 0 {
                    svg_namespace = has_svg_namespace(&e);
                }
                roots += usize::from(depth == 0);
                check_element(&e, depth == 0).map_err(|p| format!("{p} (line {})", at(&reader)))?;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                in_style = false;
            }
            Event::Text(t) => {
                let text: &str = &t;
                if depth == 0 && !text.trim().is_empty() {
                    return Err("has text outside its <svg> element".to_owned());
                }
                if in_style {
                    check_style(text).map_err(|p| format!("{p} (line {})", at(&reader)))?;
                }
            }
            Event::CData(t) => {
                if in_style {
                    check_style(&t).map_err(|p| format!("{p} (line {})", at(&reader)))?;
                }
            }
            Event::GeneralRef(r) => {
                let predefined = matches!(&*r, "amp" | "lt" | "gt" | "quot" | "apos");
                if !predefined && !r.is_char_ref() {
                    return Err(format!(
                        "refers to the entity `&{};` (line {}); only XML's own are allowed",
                        &*r,
                        at(&reader)
                    ));
                }
            }
            Event::Decl(_) | Event::Comment(_) => {}
        }
    }
    if roots == 0 {
        return Err("has no <svg> element".to_owned());
    }
    if !svg_namespace {
        return Err(format!(
            "needs `xmlns=\"{SVG_NAMESPACE}\"` on its <svg> element, or nothing in it is drawn"
        ));
    }
    Ok(())
}

const SVG_NAMESPACE: &str = "http://www.w3.org/2000/svg";

/// Whether the root element is in SVG's namespace (`xmlns`, or the prefix its name has).
fn has_svg_namespace(e: &BytesStart<'_>) -> bool {
    let name = e.name();
    let prefix = name.prefix().map(|p| p.into_inner().to_owned());
    e.attributes().flatten().any(|a| {
        let key = a.key.into_inner();
        let declares = match &prefix {
            None => key == "xmlns",
            Some(p) => key.strip_prefix("xmlns:") == Some(p.as_str()),
        };
        declares
            && a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .is_ok_and(|v| v.trim() == SVG_NAMESPACE)
    })
}

/// The line of a byte offset, from 1.
fn line_of(text: &str, offset: u64) -> usize {
    let end = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count())
        + 1
}

/// One element and its attributes.
fn check_element(e: &BytesStart<'_>, root: bool) -> std::result::Result<(), String> {
    let name = e.local_name().into_inner().to_ascii_lowercase();
    if root && name != "svg" {
        return Err(format!("must be an <svg> element, not <{name}>"));
    }
    if REFUSED_ELEMENTS.contains(&name.as_str()) {
        return Err(format!(
            "uses <{name}>, which is not allowed: a certificate only draws"
        ));
    }
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|e| format!("has a malformed attribute: {e}"))?;
        let key = attribute.key.local_name().into_inner().to_ascii_lowercase();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|e| format!("has a malformed attribute `{key}`: {e}"))?;
        if key.starts_with("on") {
            return Err(format!(
                "has the event handler `{key}`, which is not allowed"
            ));
        }
        if key == "href" && !local_or_image(&value) {
            return Err(format!(
                "links to `{}`; a link must be `#id` or a `data:image/...` URL",
                value.chars().take(80).collect::<String>()
            ));
        }
        if key == "style" {
            check_style(&value)?;
        } else if value.to_ascii_lowercase().contains("url(") {
            check_urls(&value)?;
        }
    }
    Ok(())
}

/// A reference inside the document or an embedded image.
fn local_or_image(href: &str) -> bool {
    let href = href.trim();
    href.starts_with('#')
        || IMAGE_TYPES.iter().any(|t| {
            href.get(..t.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(t))
                && href
                    .get(t.len()..)
                    .is_some_and(|rest| rest.starts_with([';', ',']))
        })
}

/// CSS, in a `<style>` element or a `style` attribute: no `@import`, and `url()` only of
/// something in the document.
fn check_style(css: &str) -> std::result::Result<(), String> {
    if css.to_ascii_lowercase().contains("@import") {
        return Err("imports a style sheet, which is not allowed".to_owned());
    }
    check_urls(css)
}

/// Every `url(...)` refers to an element of the document (`url(#id)`).
fn check_urls(text: &str) -> std::result::Result<(), String> {
    let lower = text.to_ascii_lowercase();
    for (at, _) in lower.match_indices("url(") {
        let rest = lower.get(at + 4..).unwrap_or_default();
        let target = rest.trim_start().trim_start_matches(['"', '\'']);
        if !target.starts_with('#') {
            return Err(format!(
                "refers to `{}`; a `url()` must be `url(#id)`",
                text.get(at..)
                    .unwrap_or_default()
                    .chars()
                    .take(80)
                    .collect::<String>()
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(design: Option<&str>) -> Group {
        let mut group = Group::from_json(
            r#"{"name": "Data <Science> & Co", "attributes": [
                {"key": "grade", "type": "enum", "values": ["Pass", "Merit"]},
                {"key": "site", "type": "url"}],
                "achievement": {"name": "Data Science \"Bootcamp\""}}"#,
        )
        .unwrap();
        group.design = design.map(|svg| CertificateDesign {
            svg: svg.to_owned(),
        });
        group
    }

    fn fields(name: &str) -> MergeFields {
        MergeFields {
            recipient_name: name.to_owned(),
            recipient_email: "ana@example.org".to_owned(),
            credential_id: "Xy7_k-9".to_owned(),
            issued_on: Some("2026-03-02".to_owned()),
            expires_on: None,
            attributes: [("grade".to_owned(), serde_json::json!("Merit"))].into(),
        }
    }

    const BASE: &str = "https://credentials.example.org/c";

    /// The text of every element, as an XML parser reads it back.
    fn texts(svg: &str) -> Vec<String> {
        let mut reader = quick_xml::Reader::from_str(svg);
        let mut out = Vec::new();
        let mut current = String::new();
        loop {
            match reader.read_event().unwrap() {
                Event::Eof => break,
                Event::Text(t) => {
                    current.push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0))
                }
                Event::GeneralRef(r) => {
                    let c = r.resolve_char_ref().unwrap();
                    match c {
                        Some(c) => current.push(c),
                        None => current.push(match &*r {
                            "lt" => '<',
                            "gt" => '>',
                            "amp" => '&',
                            "quot" => '"',
                            _ => '\'',
                        }),
                    }
                }
                Event::End(_) | Event::Start(_) | Event::Empty(_) => {
                    if !current.trim().is_empty() {
                        out.push(current.trim().to_owned());
                    }
                    current.clear();
                }
                _ => {}
            }
        }
        out
    }

    #[test]
    fn the_default_design_fills_in_every_field() {
        let svg = certificate_svg(&group(None), &fields("Ana López"), BASE).unwrap();
        let texts = texts(&svg);
        for expected in [
            "Ana López",
            "Data Science \"Bootcamp\"",
            "DATA <SCIENCE> & CO",
            "2026-03-02",
            "Credential Xy7_k-9",
            "Verify at https://credentials.example.org/c/Xy7_k-9",
        ] {
            assert!(texts.iter().any(|t| t == expected), "{expected}: {texts:?}");
        }
        assert!(!svg.contains("VALID UNTIL"));
        let named = CertificateRenderer::for_group(&group(None), BASE)
            .unwrap()
            .with_issuer_name("Academy")
            .render(&fields("Ana"))
            .unwrap();
        assert!(texts_of(&named).contains(&"ACADEMY".to_owned()));
    }

    fn texts_of(svg: &str) -> Vec<String> {
        texts(svg)
    }

    #[test]
    fn hostile_names_stay_text() {
        let r = CertificateRenderer::for_group(&group(None), BASE).unwrap();
        for hostile in [
            "<script>alert(1)</script>",
            "\"/><svg onload=alert(1)>",
            "Eve</text><script>x</script><text>",
            "]]><!-- &amp; &lt; &#x3c;",
            "Bell\u{7}\u{0}\u{FFFE}end",
            "مريم العربية",
        ] {
            let svg = r.render(&fields(hostile)).unwrap();
            assert!(!svg.contains("<script"), "{hostile}: {svg}");
            assert!(!svg.contains("<svg onload"), "{hostile}");
            assert!(check_document(&svg).is_ok());
            let shown = header_safe(hostile).replace(['\u{7}', '\u{0}', '\u{FFFE}'], " ");
            let texts = texts(&svg);
            assert!(
                texts.iter().any(|t| *t == shown.trim()),
                "{hostile}: {texts:?}"
            );
        }
    }

    #[test]
    fn unknown_merge_fields_are_refused_when_the_group_is_checked() {
        let g = group(Some(
            r#"<svg xmlns="http://www.w3.org/2000/svg"><text>{{ attributes.grde }}</text></svg>"#,
        ));
        let e = g.check().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTemplate);
        assert!(
            e.to_string()
                .starts_with("the certificate design template uses `attributes.grde`"),
            "{e}"
        );
        assert!(
            e.to_string().contains("did you mean `attributes.grade`?"),
            "{e}"
        );
        let ok = group(Some(
            r#"<svg xmlns="http://www.w3.org/2000/svg"><text>{{ issuer.name or group.name }} {{ achievement.description }} {{ attributes.grade }}</text></svg>"#,
        ));
        assert!(ok.check().is_ok());
    }

    #[test]
    fn designs_that_do_more_than_draw_are_refused() {
        for (svg, says) in [
            ("<svg><script>alert(1)</script></svg>", "<script>"),
            (
                "<svg><foreignObject><p>x</p></foreignObject></svg>",
                "<foreignobject>",
            ),
            (r#"<svg onload="alert(1)"/>"#, "`onload`"),
            (
                r#"<svg><a href="javascript:alert(1)"><text>x</text></a></svg>"#,
                "links to",
            ),
            (
                r#"<svg><image href="file:///etc/passwd"/></svg>"#,
                "links to",
            ),
            (
                r#"<svg><image xlink:href="https://t.example/x.png" xmlns:xlink="http://www.w3.org/1999/xlink"/></svg>"#,
                "links to",
            ),
            (
                r#"<svg><rect fill="url(https://t.example/p)"/></svg>"#,
                "url()",
            ),
            (
                "<svg><style>@import 'https://t.example/x.css';</style></svg>",
                "imports",
            ),
            (
                r#"<svg><rect style="fill: url('https://t.example/p')"/></svg>"#,
                "url()",
            ),
            ("<svg><set attributeName=\"href\" to=\"x\"/></svg>", "<set>"),
            (
                "<!DOCTYPE svg [<!ENTITY x \"y\">]><svg>&x;</svg>",
                "DOCTYPE",
            ),
            ("<svg><text>&x;</text></svg>", "entity"),
            ("<html/>", "must be an <svg>"),
            ("<svg/><svg/>", "more than one root"),
            ("<svg><text>x</svg>", "well-formed"),
            ("plain text", "text outside"),
            ("<!-- nothing -->", "no <svg>"),
            ("<svg>\u{1}</svg>", "U+0001"),
            ("<svg><text>x</text></svg>", "needs `xmlns="),
        ] {
            let e = group(Some(svg)).check().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidTemplate, "{svg}");
            assert!(e.to_string().contains(says), "{svg}: {e}");
        }
        let fine = r##"<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"/></defs>
            <style>.t { fill: url(#g) }</style><rect fill="url(#g)"/><use href="#g"/>
            <image href="data:image/png;base64,iVBORw0KGgo="/></svg>"##;
        assert!(group(Some(fine)).check().is_ok());
    }

    #[test]
    fn a_link_made_from_a_value_is_refused() {
        // The trial render with sample values finds it when the group is checked...
        let g = group(Some(
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="{{ attributes.site }}"><text>x</text></a></svg>"#,
        ));
        let e = g.check().unwrap_err();
        assert!(e.to_string().contains("links to `sample`"), "{e}");
        // ...and a value that reaches a link only sometimes is refused when it does.
        let g = group(Some(
            r#"<svg xmlns="http://www.w3.org/2000/svg"><a href="{% if attributes.grade == 'Pass' %}{{ attributes.site }}{% else %}#top{% endif %}"><text>x</text></a></svg>"#,
        ));
        let r = CertificateRenderer::for_group(&g, BASE).unwrap();
        let mut f = fields("Ana");
        assert!(r.render(&f).is_ok());
        f.attributes = [
            ("grade".to_owned(), serde_json::json!("Pass")),
            ("site".to_owned(), serde_json::json!("javascript:alert(1)")),
        ]
        .into();
        let e = r.render(&f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTemplate);
        assert!(e.to_string().contains("links to `javascript:"), "{e}");
    }

    #[test]
    fn designs_are_bounded() {
        let mut doubling =
            r#"<svg xmlns="http://www.w3.org/2000/svg"><text>{% set a = recipient.name %}"#
                .to_owned();
        for _ in 0..40 {
            doubling.push_str("{% set a = a ~ a %}");
        }
        doubling.push_str("{{ a }}</text></svg>");
        let e = group(Some(&doubling)).check().unwrap_err();
        assert!(e.to_string().contains("more than the 1 MiB"), "{e}");
        let huge = format!(
            "<svg>{}</svg>",
            "<!-- logo -->".repeat(MAX_DESIGN_BYTES / 10)
        );
        let e = group(Some(&huge)).check().unwrap_err();
        assert!(e.to_string().contains("may be at most 512 KiB"), "{e}");
        let e = group(Some("<svg>{{ recipient.name|safe }}</svg>"))
            .check()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTemplate);
        // A name longer than a design was checked for is refused, not drawn.
        let r = CertificateRenderer::for_group(&group(None), BASE).unwrap();
        let e = r.render(&fields(&"n".repeat(5_000))).map(|_| ());
        assert!(
            e.is_ok(),
            "a name is cut to one line of 400 characters: {e:?}"
        );
    }

    #[test]
    fn groups_without_a_design_read_and_write_back_as_they_were() {
        let json = r#"{"name":"x","attributes":[]}"#;
        let g = Group::from_json(json).unwrap();
        assert_eq!(g.design, None);
        assert_eq!(serde_json::to_string(&g).unwrap(), json);
        let with = Group::from_json(
            r#"{"name":"x","design":{"svg":"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"}}"#,
        )
        .unwrap();
        assert_eq!(
            Group::from_json(&serde_json::to_string(&with).unwrap()).unwrap(),
            with
        );
    }
}
