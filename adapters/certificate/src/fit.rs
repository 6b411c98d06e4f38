//! Boxes: the text of a `<text data-fit-width="W">` element shrunk and wrapped to its width
//! before anything is drawn, measured with the bundled fonts by usvg's own layout (rustybuzz
//! shaping, bidi, fallback fonts), so what is measured is what is drawn.
//!
//! A box reads these attributes:
//!
//! | attribute | meaning | default |
//! | --- | --- | --- |
//! | `data-fit-width` | the box's width, in the element's user units | (marks the box) |
//! | `data-fit-lines` | the most lines the text may wrap onto | 1 |
//! | `data-fit-height` | the height the lines may take, each line 1.2 × the size | one line at the design's size |
//! | `data-fit-min-size` | the smallest font size the text may shrink to | half the design's size |
//!
//! The largest size at which the text fits (within the lines and the height) is chosen,
//! never larger than the design's; lines break between words, and inside a word only when it
//! is wider than the box on its own (or has no spaces, as Chinese and Japanese do). Lines are
//! centred vertically on the element's baseline, each at the element's `x`. What does not
//! fit even at the smallest size is cut, and its last line ends with `…`. The widths of the
//! result are then measured again as a whole (shaping across words can differ a little from
//! the sum of the words) and the size lowered until every line is inside the box.

use std::ops::Range;

use conferral::{Error, ErrorKind};

/// Line pitch, as a multiple of the font size.
const LINE: f32 = 1.2;
/// What a measured width is scaled by when a size is picked, so rounding never overflows.
const MARGIN: f32 = 0.995;
/// Times the result is measured again and the size lowered.
const ROUNDS: usize = 6;

/// A `<text>` element that is a box, as found in the design.
struct TextBox {
    /// The whole element in the source.
    range: Range<usize>,
    /// Its start tag up to its last attribute, without `id`, `style` and `font-size`.
    head: String,
    /// Its qualified name (`text`, or `svg:text` with a prefix).
    qname: String,
    /// Its `style` attribute, if any.
    style: Option<String>,
    /// Its `font-size` attribute, if any.
    font_size: Option<String>,
    id: String,
    /// Its text, with white space collapsed as SVG does.
    text: String,
    x: Option<f32>,
    y: f32,
    width: f32,
    lines: usize,
    height: Option<f32>,
    min_size: Option<f32>,
}

/// A box once laid out: its size and lines.
#[derive(Debug, Clone)]
struct Layout {
    size: f32,
    lines: Vec<String>,
}

/// One word's width, and each of its characters', at the design's size.
struct Word {
    text: String,
    width: f32,
    chars: Vec<(char, f32)>,
}

/// What a box's text is made of, measured at the design's size.
struct Measures {
    size: f32,
    natural: f32,
    words: Vec<Word>,
    space: f32,
    ellipsis: f32,
}

fn design_error(message: String) -> Error {
    Error::new(ErrorKind::InvalidTemplate, message)
}

/// Parses an SVG with the bundled fonts and nothing from outside.
pub(crate) fn parse(svg: &str, options: &usvg::Options<'_>) -> Result<usvg::Tree, Error> {
    usvg::Tree::from_str(svg, options).map_err(|e| {
        design_error(format!(
            "the certificate is not an SVG that can be drawn: {e}"
        ))
    })
}

/// Fits every box of a filled-in design; gives the fitted SVG and its parsed tree.
///
/// # Errors
/// [`ErrorKind::InvalidTemplate`] when the SVG cannot be parsed.
pub(crate) fn fit(svg: &str, options: &usvg::Options<'_>) -> Result<(String, usvg::Tree), Error> {
    let document = roxmltree::Document::parse_with_options(
        svg,
        roxmltree::ParsingOptions {
            allow_dtd: false,
            nodes_limit: 1_000_000,
        },
    )
    .map_err(|e| design_error(format!("the certificate is not well-formed XML: {e}")))?;
    let boxes = find_boxes(svg, &document)?;
    drop(document);
    if boxes.is_empty() {
        let tree = parse(svg, options)?;
        return Ok((svg.to_owned(), tree));
    }
    // The design as it is, each box with an id to find it by.
    let natural = replace(svg, &boxes, |_, b| {
        vec![element(b, &b.id, None, std::slice::from_ref(&b.text))]
    });
    let tree = parse(&natural, options)?;
    // The boxes that run over: their index, font size and width.
    let over: Vec<(usize, f32, f32)> = boxes
        .iter()
        .enumerate()
        .filter_map(|(index, b)| {
            let (width, size) = text_width(&tree, &b.id)?;
            (size > 0.0 && width > b.width).then_some((index, size, width))
        })
        .collect();
    if over.is_empty() {
        return Ok((natural, tree));
    }
    drop(tree);
    // The words, characters, space and ellipsis of every box that runs over, measured in one
    // document, each piece a copy of its box's element.
    let piece_id = |b: &TextBox, k: usize| format!("{}-piece-{k}", b.id);
    let measuring = replace(svg, &boxes, |index, b| {
        if !over.iter().any(|(i, _, _)| *i == index) {
            return vec![element(b, &b.id, None, std::slice::from_ref(&b.text))];
        }
        pieces(b)
            .iter()
            .enumerate()
            .map(|(k, piece)| element(b, &piece_id(b, k), None, std::slice::from_ref(piece)))
            .collect()
    });
    let tree = parse(&measuring, options)?;
    let mut plans: Vec<Option<Layout>> = vec![None; boxes.len()];
    for &(index, size, natural) in &over {
        let Some(b) = boxes.get(index) else { continue };
        let count = pieces(b).len();
        let width_of = |k: usize| text_width(&tree, &piece_id(b, k)).map_or(0.0, |(w, _)| w);
        let mut words = Vec::new();
        let mut k = 0;
        for word in b.text.split(' ') {
            let width = width_of(k);
            k += 1;
            let mut chars = Vec::new();
            for c in word.chars() {
                chars.push((c, width_of(k)));
                k += 1;
            }
            words.push(Word {
                text: word.to_owned(),
                width,
                chars,
            });
        }
        let spaced = width_of(count.saturating_sub(3));
        let joined = width_of(count.saturating_sub(2));
        let measures = Measures {
            size,
            natural,
            words,
            space: (spaced - joined).max(0.0),
            ellipsis: width_of(count.saturating_sub(1)),
        };
        if let Some(plan) = plans.get_mut(index) {
            *plan = Some(lay_out(b, &measures));
        }
    }
    drop(tree);
    // Draw, measure each box again as a whole, and shrink what still runs over.
    let mut rounds = 0;
    loop {
        let fitted = replace(svg, &boxes, |index, b| match plans.get(index) {
            Some(Some(layout)) => vec![element(b, &b.id, Some(layout.size), &layout.lines)],
            _ => vec![element(b, &b.id, None, std::slice::from_ref(&b.text))],
        });
        let tree = parse(&fitted, options)?;
        rounds += 1;
        let mut still_over = false;
        for (b, plan) in boxes.iter().zip(plans.iter_mut()) {
            let (Some(layout), Some((width, _))) = (plan.as_mut(), text_width(&tree, &b.id)) else {
                continue;
            };
            if width > b.width {
                layout.size *= b.width / width * MARGIN;
                still_over = true;
            }
        }
        if !still_over || rounds >= ROUNDS {
            return Ok((fitted, tree));
        }
    }
}

/// What a box's text is measured as: each word then each of its characters, then `x x`,
/// `xx` (their difference is a space) and `…`.
fn pieces(b: &TextBox) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for word in b.text.split(' ') {
        pieces.push(word.to_owned());
        pieces.extend(word.chars().map(String::from));
    }
    pieces.extend(["x x".to_owned(), "xx".to_owned(), "…".to_owned()]);
    pieces
}

/// The width of the text element `id` and its font size, as laid out.
fn text_width(tree: &usvg::Tree, id: &str) -> Option<(f32, f32)> {
    let usvg::Node::Text(text) = tree.node_by_id(id)? else {
        return None;
    };
    let size = text
        .chunks()
        .iter()
        .flat_map(|c| c.spans())
        .map(|s| s.font_size().get())
        .fold(0.0, f32::max);
    Some((text.bounding_box().width(), size))
}

/// The largest size at which a box's text fits its lines, height and width, or its text cut
/// at the smallest size.
fn lay_out(b: &TextBox, m: &Measures) -> Layout {
    let max = m.size;
    let min = b.min_size.unwrap_or(max / 2.0).clamp(1.0, max);
    let height = b.height.unwrap_or(max * LINE);
    let fits = |size: f32| -> Option<Vec<String>> {
        let lines = wrap(m, size / m.size, b.width)?;
        (lines.len() <= b.lines && lines.len() as f32 * LINE * size <= height * 1.0001)
            .then_some(lines)
    };
    // One line shrunk is exact; try it first when wrapping is not allowed.
    let one_line = (m.natural > 0.0).then(|| max * b.width / m.natural * MARGIN);
    if b.lines <= 1 {
        if let Some(size) = one_line.filter(|s| *s >= min) {
            return Layout {
                size,
                lines: vec![b.text.clone()],
            };
        }
    } else if let Some(lines) = fits(min) {
        let (mut low, mut high, mut best) = (min, max, lines);
        for _ in 0..24 {
            let middle = (low + high) / 2.0;
            match fits(middle) {
                Some(lines) => {
                    low = middle;
                    best = lines;
                }
                None => high = middle,
            }
        }
        return Layout {
            size: low,
            lines: best,
        };
    }
    cut(b, m, min, height)
}

/// The text at the smallest size on as many lines as fit, the last one ending with `…`.
fn cut(b: &TextBox, m: &Measures, min: f32, height: f32) -> Layout {
    let scale = min / m.size;
    let room = ((height / (LINE * min)).floor() as usize).clamp(1, b.lines.max(1));
    let mut lines = wrap(m, scale, b.width).unwrap_or_default();
    lines.truncate(room);
    if let Some(last) = lines.last_mut() {
        let widths: Vec<(char, f32)> = m
            .words
            .iter()
            .flat_map(|w| w.chars.iter().copied())
            .collect();
        let width_of = |c: char| {
            if c == ' ' {
                m.space
            } else {
                widths
                    .iter()
                    .find(|(x, _)| *x == c)
                    .map_or(m.size, |(_, w)| *w)
            }
        };
        let mut kept = String::new();
        let mut used = m.ellipsis * scale;
        for c in last.chars() {
            let w = width_of(c) * scale;
            if used + w > b.width * MARGIN {
                break;
            }
            used += w;
            kept.push(c);
        }
        *last = format!("{}…", kept.trim_end());
    }
    Layout { size: min, lines }
}

/// Greedy line breaking at `scale` times the measured size: between words, and inside a word
/// only when it does not fit a line of its own. `None` when there is nothing to lay out.
fn wrap(m: &Measures, scale: f32, width: f32) -> Option<Vec<String>> {
    let room = width * MARGIN;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    let mut used = 0.0f32;
    for word in &m.words {
        let w = word.width * scale;
        let gap = if line.is_empty() {
            0.0
        } else {
            m.space * scale
        };
        if used + gap + w <= room {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word.text);
            used += gap + w;
            continue;
        }
        if !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            used = 0.0;
        }
        if w <= room {
            line.push_str(&word.text);
            used = w;
            continue;
        }
        for &(c, cw) in &word.chars {
            let cw = cw * scale;
            if used + cw > room && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                used = 0.0;
            }
            line.push(c);
            used += cw;
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    (!lines.is_empty()).then_some(lines)
}

/// A box's element written again: its own attributes, the id, the font size when it changed,
/// and one `<tspan>` per line when there are several.
fn element(b: &TextBox, id: &str, size: Option<f32>, lines: &[String]) -> String {
    let mut out = b.head.clone();
    out.push_str(&format!(" id=\"{}\"", escape(id)));
    let mut style = b.style.clone().unwrap_or_default();
    match size {
        Some(size) => {
            if !style.trim().is_empty() {
                style.push(';');
            }
            style.push_str(&format!("font-size:{size:.3}px"));
        }
        None => {
            if let Some(font_size) = &b.font_size {
                out.push_str(&format!(" font-size=\"{}\"", escape(font_size)));
            }
        }
    }
    if !style.is_empty() {
        out.push_str(&format!(" style=\"{}\"", escape(&style)));
    }
    out.push('>');
    match (lines, size) {
        (lines, Some(size)) if lines.len() > 1 => {
            let count = lines.len() as f32;
            for (i, line) in lines.iter().enumerate() {
                let y = b.y + (i as f32 - (count - 1.0) / 2.0) * LINE * size;
                let x = b.x.map(|x| format!(" x=\"{x}\"")).unwrap_or_default();
                out.push_str(&format!("<tspan{x} y=\"{y:.3}\">{}</tspan>", escape(line)));
            }
        }
        (lines, _) => out.push_str(&escape(&lines.join(" "))),
    }
    out.push_str(&format!("</{}>", b.qname));
    out
}

/// The source with each box's element replaced by what `write` makes of it.
fn replace(
    svg: &str,
    boxes: &[TextBox],
    mut write: impl FnMut(usize, &TextBox) -> Vec<String>,
) -> String {
    let mut out = String::with_capacity(svg.len() + 1024);
    let mut at = 0;
    for (index, b) in boxes.iter().enumerate() {
        out.push_str(svg.get(at..b.range.start).unwrap_or_default());
        for part in write(index, b) {
            out.push_str(&part);
        }
        at = b.range.end;
    }
    out.push_str(svg.get(at..).unwrap_or_default());
    out
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A number at the start of an attribute (`12`, `12.5px`); `None` when there is none.
fn number(value: &str) -> Option<f32> {
    let value = value.trim();
    let end = value
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && matches!(c, '-' | '+'))))
        .map_or(value.len(), |(i, _)| i);
    value.get(..end)?.parse().ok()
}

/// Every `<text data-fit-width>` element with text, in document order, outermost only.
fn find_boxes(svg: &str, document: &roxmltree::Document<'_>) -> Result<Vec<TextBox>, Error> {
    let mut boxes: Vec<TextBox> = Vec::new();
    let taken: Vec<&str> = document
        .descendants()
        .filter_map(|n| n.attribute("id"))
        .collect();
    for node in document.descendants() {
        if !node.is_element()
            || node.tag_name().name() != "text"
            || node.tag_name().namespace() != Some("http://www.w3.org/2000/svg")
        {
            continue;
        }
        let Some(width) = node.attribute("data-fit-width") else {
            continue;
        };
        let range = node.range();
        if boxes.last().is_some_and(|b| b.range.end > range.start) {
            continue;
        }
        let width = number(width).filter(|w| *w > 0.0).ok_or_else(|| {
            design_error(format!(
                "the certificate's `data-fit-width` `{width}` is not a positive number"
            ))
        })?;
        let text = node
            .descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if text.is_empty() {
            continue;
        }
        let attributes: Vec<_> = node.attributes().collect();
        let Some(last) = attributes.iter().map(|a| a.range().end).max() else {
            continue;
        };
        let mut head = String::new();
        let mut at = range.start;
        let mut removed: Vec<Range<usize>> = attributes
            .iter()
            .filter(|a| a.namespace().is_none() && matches!(a.name(), "id" | "style" | "font-size"))
            .map(|a| a.range())
            .collect();
        removed.sort_by_key(|r| r.start);
        for r in &removed {
            head.push_str(svg.get(at..r.start).unwrap_or_default());
            at = r.end;
        }
        head.push_str(svg.get(at..last).unwrap_or_default());
        let qname = svg
            .get(range.start + 1..)
            .and_then(|rest| {
                rest.split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                    .next()
            })
            .unwrap_or("text")
            .to_owned();
        let id = match node.attribute("id") {
            Some(id) => id.to_owned(),
            None => {
                let mut n = boxes.len();
                loop {
                    let candidate = format!("conferral-fit-{n}");
                    if !taken.contains(&candidate.as_str()) {
                        break candidate;
                    }
                    n += 1;
                }
            }
        };
        let read = |name: &str| node.attribute(name).and_then(number);
        boxes.push(TextBox {
            range,
            head,
            qname,
            style: node.attribute("style").map(str::to_owned),
            font_size: node.attribute("font-size").map(str::to_owned),
            id,
            text,
            x: read("x"),
            y: read("y").unwrap_or(0.0),
            width,
            lines: read("data-fit-lines").map_or(1, |n| n.max(1.0) as usize),
            height: read("data-fit-height").filter(|h| *h > 0.0),
            min_size: read("data-fit-min-size").filter(|s| *s > 0.0),
        });
    }
    Ok(boxes)
}
