//! Rendering the email each recipient receives, from a group's templates.
//!
//! Templates are minijinja (Jinja2) text with merge fields:
//!
//! | variable | value |
//! | --- | --- |
//! | `recipient.name`, `recipient.email` | the recipient |
//! | `credential.id`, `credential.url` | the public id and the link to the live credential |
//! | `credential.issued_on`, `credential.expires_on` | `YYYY-MM-DD`, or none |
//! | `attributes.KEY` | each custom attribute of the group (none when the row left it empty) |
//! | `group.name` | the group |
//!
//! The rules that keep a publish safe:
//! - Strict: a variable the group does not have is an error when the templates are checked
//!   ([`Renderer::new`], called when a group is saved), and an undefined value is an error at
//!   render time instead of an empty string.
//! - The HTML body is escaped whatever the template name; `|safe` is refused, and so are the
//!   tags that reach another template or switch escaping off (`include`, `import`, `from`,
//!   `extends`, `autoescape`): each part is compiled alone, so a value from a roster can never
//!   become markup.
//! - Links are built by the library from the configured base and the credential id; no value
//!   from a roster is ever a link target unless it passed URL validation (`http`/`https`).
//! - The subject and the recipient's display name lose line breaks and other control
//!   characters, so nothing can be injected into the message headers.
//! - Rendering is bounded in steps (a fuel limit) and in bytes: a part's source may hold at
//!   most [`MAX_TEMPLATE_BYTES`], no value while it renders more than
//!   [`bounds::MAX_VALUE_BYTES`] (proved from the template's syntax when the group is checked,
//!   see [`bounds`]), and what it writes at most [`MAX_PART_BYTES`] (checked as it is written).
//!   A template that could pass them is refused with a clear error, never an abort.

pub mod bounds;
pub mod certificate;
pub mod notice;

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
pub use crate::group::{
    CertificateDesign, DEFAULT_HTML, DEFAULT_SUBJECT, DEFAULT_TEXT, EmailTemplates,
};
use crate::group::{Group, GroupSummary, Schema};
pub use certificate::{CertificateRenderer, DEFAULT_DESIGN, certificate_svg};
pub use notice::{NoticeFields, NoticeKind};

/// The link base an issuer uses when none is given; links made with it lead nowhere real.
pub const DEFAULT_BASE_URL: &str = "https://credentials.example.org/c";

/// Work a template may do per message before it is stopped (minijinja fuel units).
const FUEL: u64 = 200_000;

/// The most bytes of source one template part (subject, HTML body, text body) may have.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;

/// The most bytes one rendered part may have. Mail clients clip far shorter bodies (Gmail
/// at about 100 KB); a part this long is a template repeating itself.
pub const MAX_PART_BYTES: usize = 1024 * 1024;

/// Bounds on the merge fields the templates are checked against; a value past its bound
/// is refused when a message is rendered, so the check holds.
const NAME_BYTES: u64 = 4 * 1024;
const EMAIL_BYTES: u64 = 320;
const DATE_BYTES: u64 = 32;
const ID_BYTES: u64 = 64;
/// The least bound of a custom attribute, whatever its type.
const ATTRIBUTE_FLOOR: u64 = 1024;

impl Group {
    /// Checks the group whole (attributes, and its email templates and certificate design
    /// against them) and gives
    /// what a form or a mapping control needs: the key and every attribute a column can fill.
    ///
    /// It lives beside the renderer because checking the templates is compiling them.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidGroup`] or [`ErrorKind::InvalidTemplate`] with what to fix.
    pub fn check(&self) -> Result<GroupSummary> {
        let summary = self.summary()?;
        // The link base is the issuer's; any valid one checks the templates' variables.
        Renderer::for_group(self, DEFAULT_BASE_URL)?;
        CertificateRenderer::for_group(self, DEFAULT_BASE_URL)?;
        notice::check_notices(self, DEFAULT_BASE_URL)?;
        Ok(summary)
    }
}

/// What one email is made from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MergeFields {
    /// The recipient's name.
    pub recipient_name: String,
    /// The recipient's address.
    pub recipient_email: String,
    /// The credential's public id.
    pub credential_id: String,
    /// Issue date, `YYYY-MM-DD`.
    pub issued_on: Option<String>,
    /// Expiry date, `YYYY-MM-DD`.
    pub expires_on: Option<String>,
    /// Custom attribute values by key.
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// A rendered message, ready for a mailer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedEmail {
    /// The recipient's display name, free of control characters.
    pub to_name: String,
    /// The recipient's address.
    pub to_email: String,
    /// Subject, on one line.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
}

/// An email rendered for a recipient who has no credential yet (a row of a roster being
/// checked, a form): the values' findings, and the email when none of them is an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmailPreview {
    /// The email, or `None` when a value is invalid.
    pub email: Option<RenderedEmail>,
    /// What the values' validation found, as on import (no row or cell).
    pub findings: Vec<crate::Finding>,
}

/// The credential id of a preview without one of its own.
pub const PREVIEW_ID: &str = "PREVIEW";

/// Renders the email one recipient would get, from values keyed by attribute as a report's
/// records give them (text, numbers, booleans, `YYYY-MM-DD` dates) or as typed in a roster
/// cell. They are validated with the import's rules first; the link uses the record's
/// `credential_id` when it has one, else [`PREVIEW_ID`].
///
/// # Errors
/// [`ErrorKind::InvalidGroup`], [`ErrorKind::InvalidTemplate`] or [`ErrorKind::InvalidConfig`]
/// for the group, its templates or the base URL. Invalid values are findings, not errors.
pub fn preview(
    group: &crate::Group,
    values: &BTreeMap<String, serde_json::Value>,
    base_url: &str,
) -> Result<EmailPreview> {
    let renderer = Renderer::for_group(group, base_url)?;
    preview_with(group, &renderer, values, &NoticeFields::default())
}

/// Renders one of a group's notices as [`preview`] renders its email, with the notice's
/// own fields (`notice.reason`, `notice.days_left`).
///
/// # Errors
/// As [`preview`].
pub fn preview_notice(
    group: &crate::Group,
    values: &BTreeMap<String, serde_json::Value>,
    base_url: &str,
    kind: NoticeKind,
    notice: &NoticeFields,
) -> Result<EmailPreview> {
    let renderer = Renderer::for_notice(group, kind, base_url)?;
    preview_with(group, &renderer, values, notice)
}

/// Validates the values and renders them with `renderer`.
fn preview_with(
    group: &crate::Group,
    renderer: &Renderer,
    values: &BTreeMap<String, serde_json::Value>,
    notice: &NoticeFields,
) -> Result<EmailPreview> {
    let schema = group.schema()?;
    let as_text: BTreeMap<String, String> = values
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), crate::values::value_as_cell(v)?.into_owned())))
        .collect();
    let (findings, normalised) = crate::validation::validate_values(&schema, &as_text);
    let Some(normalised) = normalised else {
        return Ok(EmailPreview {
            email: None,
            findings,
        });
    };
    let text = |key: &str| {
        normalised
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(str::to_owned)
    };
    let fields = MergeFields {
        recipient_name: text(crate::group::standard::NAME).unwrap_or_default(),
        recipient_email: text(crate::group::standard::EMAIL).unwrap_or_default(),
        credential_id: text(crate::group::standard::CREDENTIAL_ID)
            .unwrap_or_else(|| PREVIEW_ID.to_owned()),
        issued_on: text(crate::group::standard::ISSUED_ON),
        expires_on: text(crate::group::standard::EXPIRES_ON),
        attributes: normalised
            .iter()
            .filter(|(k, _)| renderer.merge.attribute_keys.iter().any(|a| a == *k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    };
    Ok(EmailPreview {
        email: Some(renderer.render_with(&fields, notice)?),
        findings,
    })
}

/// Builds a credential's public link: the base with one `/` and the id.
///
/// # Errors
/// [`ErrorKind::InvalidConfig`] when the base is not an `http` or `https` URL, or has a query
/// or fragment; [`ErrorKind::InvalidValue`] when the id is not URL-safe.
pub fn credential_url(base: &str, id: &str) -> Result<String> {
    let parsed = url::Url::parse(base).map_err(|e| {
        Error::new(
            ErrorKind::InvalidConfig,
            format!("the credential link base `{base}` is not a URL; write it as https://credentials.example.org/c"),
        )
        .with_source(e)
    })?;
    if !matches!(parsed.scheme(), "http" | "https")
        || parsed.query().is_some()
        || parsed.fragment().is_some()
        || parsed.host_str().is_none()
    {
        return Err(Error::new(
            ErrorKind::InvalidConfig,
            format!(
                "the credential link base `{base}` must be an http or https address without `?` or `#`"
            ),
        ));
    }
    if !crate::ids::is_valid_id(id) {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            format!("`{id}` is not a credential id (letters, digits, `-` and `_`)"),
        ));
    }
    Ok(format!("{}/{id}", parsed.as_str().trim_end_matches('/')))
}

/// The most characters a header value keeps: a header line may not exceed 998 octets
/// (RFC 5322), and a subject or name this long is no longer one.
const HEADER_CHARS: usize = 400;

/// Replaces line breaks, tabs and other control characters with single spaces, breaks any
/// RFC 2047 encoded-word a value holds (`=?utf-8?b?...?=` typed into a name would be decoded
/// by mail clients into text the issuer never wrote) with an invisible word joiner, and cuts
/// the value at 400 characters.
pub fn header_safe(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(HEADER_CHARS * 4));
    let mut space = false;
    let mut kept = 0;
    for c in value.chars() {
        if c.is_control() || c.is_whitespace() || matches!(c, '\u{2028}' | '\u{2029}') {
            space = !out.is_empty();
            continue;
        }
        if kept >= HEADER_CHARS {
            out.push('…');
            break;
        }
        if space {
            out.push(' ');
            space = false;
        }
        if c == '?' && out.ends_with('=') {
            out.push('\u{2060}');
        }
        out.push(c);
        kept += 1;
    }
    out
}

const SUBJECT: &str = "subject";
const HTML: &str = "body.html";
const TEXT: &str = "body.txt";

/// Compiled, checked templates of one group.
#[derive(Debug)]
pub struct Renderer {
    /// One environment per part, holding that part alone: no part can reach another.
    envs: Vec<(&'static str, Environment<'static>)>,
    merge: Merge,
}

/// What a group's templates are filled in from, apart from one recipient's values: the
/// group's name and custom attributes, and the link base.
#[derive(Debug, Clone)]
pub(crate) struct Merge {
    group_name: String,
    attribute_keys: Vec<String>,
    /// The most bytes each custom attribute's value may print as, by key.
    attribute_bytes: BTreeMap<String, u64>,
    base_url: String,
    /// Whether the templates are a notice's, which may also use `notice.*`.
    notice: bool,
}

fn template_error(label: &str, e: &minijinja::Error) -> Error {
    let line = e.line().map(|l| format!(" (line {l})")).unwrap_or_default();
    Error::new(
        ErrorKind::InvalidTemplate,
        format!(
            "the {label} template{line}: {}",
            e.detail().unwrap_or(&e.to_string())
        ),
    )
}

/// How one template part is compiled: its name in its environment, what messages call it,
/// the most bytes its source may have, and how what it writes is escaped.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part {
    pub(crate) name: &'static str,
    pub(crate) label: &'static str,
    pub(crate) max_source: usize,
    pub(crate) escape: Escape,
}

/// What a part's values are escaped as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Escape {
    /// Written as they are (subjects, text bodies).
    None,
    /// HTML-escaped (email bodies).
    Html,
    /// HTML-escaped, which is also valid XML, and stripped of the characters XML 1.0 does not
    /// allow (control characters, U+FFFE, U+FFFF), so that a value never breaks the document.
    Xml,
}

/// Compiles one part alone in its own environment, after checking its size and the bound on
/// its values ([`bounds::check`]).
pub(crate) fn compile_part(
    part: Part,
    source: &str,
    root: &[(String, bounds::Shape)],
) -> Result<Environment<'static>> {
    if source.len() > part.max_source {
        return Err(Error::new(
            ErrorKind::InvalidTemplate,
            format!(
                "the {} template is {}; a template part may be at most {}",
                part.label,
                bounds::human_bytes(source.len() as u64),
                bounds::human_bytes(part.max_source as u64)
            ),
        ));
    }
    let growth = match part.escape {
        Escape::None => 1,
        Escape::Html | Escape::Xml => bounds::HTML_ESCAPE,
    };
    bounds::check(source, root, growth).map_err(|refusal| {
        Error::new(
            ErrorKind::InvalidTemplate,
            format!(
                "the {} template (line {}) {}",
                part.label, refusal.line, refusal.message
            ),
        )
    })?;
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(FUEL));
    // Escaping never depends on what a template is called.
    let escape = if part.escape == Escape::None {
        AutoEscape::None
    } else {
        AutoEscape::Html
    };
    env.set_auto_escape_callback(move |_| escape);
    if part.escape == Escape::Xml {
        env.set_formatter(xml_formatter);
    }
    env.remove_filter("safe");
    env.add_template_owned(part.name, source.to_owned())
        .map_err(|e| template_error(part.label, &e))?;
    Ok(env)
}

/// Whether XML 1.0 allows a character in a document.
pub(crate) fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// Writes a value as the HTML formatter does, with the characters XML does not allow
/// replaced by spaces.
fn xml_formatter(
    out: &mut minijinja::Output<'_>,
    state: &minijinja::State<'_, '_>,
    value: &minijinja::Value,
) -> std::result::Result<(), minijinja::Error> {
    let Some(text) = value.as_str().filter(|t| !t.chars().all(xml_char)) else {
        return minijinja::escape_formatter(out, state, value);
    };
    let cleaned: String = text
        .chars()
        .map(|c| if xml_char(c) { c } else { ' ' })
        .collect();
    let cleaned = if value.is_safe() {
        minijinja::Value::from_safe_string(cleaned)
    } else {
        minijinja::Value::from(cleaned)
    };
    minijinja::escape_formatter(out, state, &cleaned)
}

/// The merge fields every template may use, and each custom attribute's.
pub(crate) fn known_variables(attribute_keys: &[String]) -> Vec<String> {
    let mut known: Vec<String> = [
        "recipient",
        "recipient.name",
        "recipient.email",
        "credential",
        "credential.id",
        "credential.url",
        "credential.issued_on",
        "credential.expires_on",
        "attributes",
        "group",
        "group.name",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    known.extend(attribute_keys.iter().map(|k| format!("attributes.{k}")));
    known
}

/// Refuses a variable a compiled part uses that is not in `known`, naming the closest one.
pub(crate) fn check_part_variables(
    env: &Environment<'static>,
    part: Part,
    known: &[String],
    attribute_keys: &[String],
) -> Result<()> {
    let template = env
        .get_template(part.name)
        .map_err(|e| template_error(part.label, &e))?;
    let mut used: Vec<String> = template.undeclared_variables(true).into_iter().collect();
    used.sort();
    for variable in used {
        if known.contains(&variable) {
            continue;
        }
        let closest = known
            .iter()
            .filter(|k| k.contains('.'))
            .map(|k| (strsim::jaro_winkler(k, &variable), k))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .filter(|(score, _)| *score > 0.8)
            .map(|(_, k)| format!("; did you mean `{k}`?"))
            .unwrap_or_default();
        let attributes = if attribute_keys.is_empty() {
            "the group has no custom attributes".to_owned()
        } else {
            format!("the group's attributes are {}", attribute_keys.join(", "))
        };
        return Err(Error::new(
            ErrorKind::InvalidTemplate,
            format!(
                "the {} template uses `{variable}`, which is not a merge field{closest} ({attributes})",
                part.label
            ),
        ));
    }
    Ok(())
}

/// Renders a compiled part into at most [`MAX_PART_BYTES`].
pub(crate) fn render_part<S: Serialize>(
    env: &Environment<'static>,
    part: Part,
    context: S,
) -> Result<String> {
    let mut out = Capped::default();
    let rendered = env
        .get_template(part.name)
        .and_then(|t| t.render_captured_to(context, &mut out));
    match rendered {
        Ok(_) => String::from_utf8(out.bytes).map_err(|_| {
            Error::new(
                ErrorKind::InvalidTemplate,
                format!("the {} is not valid UTF-8", part.label),
            )
        }),
        Err(_) if out.over => Err(Error::new(
            ErrorKind::InvalidTemplate,
            format!(
                "the {} would be longer than {}; shorten the template or what it repeats",
                part.label,
                bounds::human_bytes(MAX_PART_BYTES as u64)
            ),
        )),
        Err(e) => Err(template_error(part.label, &e)),
    }
}

/// The parts of an email, in order.
const EMAIL_PARTS: [Part; 3] = [
    Part {
        name: SUBJECT,
        label: "email subject",
        max_source: MAX_TEMPLATE_BYTES,
        escape: Escape::None,
    },
    Part {
        name: HTML,
        label: "email HTML body",
        max_source: MAX_TEMPLATE_BYTES,
        escape: Escape::Html,
    },
    Part {
        name: TEXT,
        label: "email text body",
        max_source: MAX_TEMPLATE_BYTES,
        escape: Escape::None,
    },
];

impl Renderer {
    /// Compiles a group's templates and checks every variable they use against the group.
    ///
    /// `base_url` is where credentials live: `https://credentials.example.org/c` gives links
    /// such as `https://credentials.example.org/c/AbC123`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidTemplate`] for a syntax error, a variable the group does not have
    /// (with the closest one it has), or `|safe`; [`ErrorKind::InvalidConfig`] for a bad base.
    pub fn new(templates: &EmailTemplates, schema: &Schema, base_url: &str) -> Result<Renderer> {
        Renderer::with_merge(templates, Merge::new(schema, base_url)?)
    }

    /// Compiles and checks templates filled in from `merge`.
    fn with_merge(templates: &EmailTemplates, merge: Merge) -> Result<Renderer> {
        let root = merge.shapes();
        let mut envs = Vec::new();
        for (part, source) in
            EMAIL_PARTS
                .into_iter()
                .zip([&templates.subject, &templates.html, &templates.text])
        {
            envs.push((part.name, compile_part(part, source, &root)?));
        }
        let renderer = Renderer { envs, merge };
        let known = renderer.merge.known_variables();
        for (part, (_, env)) in EMAIL_PARTS.into_iter().zip(&renderer.envs) {
            renderer.merge.check_variables(env, part, &known)?;
        }
        // A trial render with every field filled catches misuse of filters and tests.
        renderer.render_with(&renderer.merge.sample(), &NoticeFields::sample())?;
        Ok(renderer)
    }

    /// The renderer of a group's own templates, or of the defaults where it has none.
    ///
    /// # Errors
    /// As [`Renderer::new`], and [`ErrorKind::InvalidGroup`] for an invalid group.
    pub fn for_group(group: &crate::Group, base_url: &str) -> Result<Renderer> {
        let schema = group.schema()?;
        let defaults = EmailTemplates::default();
        Renderer::new(group.email.as_ref().unwrap_or(&defaults), &schema, base_url)
    }

    /// Renders one message.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidTemplate`] when rendering fails (an undefined value, a filter
    /// error, too much work, a part longer than [`MAX_PART_BYTES`]);
    /// [`ErrorKind::InvalidValue`] for an id that is not URL-safe or a value longer than the
    /// templates were checked for.
    pub fn render(&self, fields: &MergeFields) -> Result<RenderedEmail> {
        self.render_with(fields, &NoticeFields::default())
    }

    /// Renders one message; a notice's templates also see `notice` (other templates
    /// cannot name it, so it is left out of their context).
    ///
    /// # Errors
    /// As [`Renderer::render`], and [`ErrorKind::InvalidValue`] for a reason longer than a
    /// notice takes.
    pub fn render_with(
        &self,
        fields: &MergeFields,
        notice: &NoticeFields,
    ) -> Result<RenderedEmail> {
        let name = header_safe(&fields.recipient_name);
        let mut context = self.merge.context(fields, &name)?;
        if self.merge.notice {
            context = notice.context(context)?;
        }
        let render = |part: Part| -> Result<String> {
            let env = self
                .envs
                .iter()
                .find(|(n, _)| *n == part.name)
                .map(|(_, env)| env)
                .ok_or_else(|| {
                    Error::new(
                        ErrorKind::InvalidTemplate,
                        format!("the {} template is missing", part.label),
                    )
                })?;
            render_part(env, part, &context)
        };
        let [subject, html, text] = EMAIL_PARTS;
        Ok(RenderedEmail {
            to_name: name.clone(),
            to_email: fields.recipient_email.clone(),
            subject: header_safe(&render(subject)?),
            html: render(html)?,
            text: render(text)?,
        })
    }
}

impl Merge {
    /// The merge fields of a group's templates, with links under `base_url`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for a base that is not an http(s) address.
    pub(crate) fn new(schema: &Schema, base_url: &str) -> Result<Merge> {
        credential_url(base_url, "check")?;
        Ok(Merge {
            group_name: schema.name.clone(),
            attribute_keys: custom_keys(schema),
            attribute_bytes: attribute_bounds(schema),
            base_url: base_url.to_owned(),
            notice: false,
        })
    }

    /// The merge fields as the template check sees them: each with the most bytes it may hold.
    pub(crate) fn shapes(&self) -> Vec<(String, bounds::Shape)> {
        let mut shapes =
            merge_field_shapes(&self.group_name, &self.base_url, &self.attribute_bytes);
        if self.notice {
            shapes.push(notice::shape());
        }
        shapes
    }

    /// Every variable a template may use.
    pub(crate) fn known_variables(&self) -> Vec<String> {
        let mut known = known_variables(&self.attribute_keys);
        if self.notice {
            known.extend(notice::VARIABLES.iter().map(|v| (*v).to_owned()));
        }
        known
    }

    /// Refuses a variable a compiled part uses that is not in `known`.
    pub(crate) fn check_variables(
        &self,
        env: &Environment<'static>,
        part: Part,
        known: &[String],
    ) -> Result<()> {
        check_part_variables(env, part, known, &self.attribute_keys)
    }

    /// Every merge field filled in, for the trial render that checks a template.
    pub(crate) fn sample(&self) -> MergeFields {
        sample_fields(&self.attribute_keys)
    }

    /// The merge fields of one message as templates see them, after checking their sizes;
    /// `name` is the recipient's name as it is shown.
    pub(crate) fn context(&self, fields: &MergeFields, name: &str) -> Result<minijinja::Value> {
        let url = credential_url(&self.base_url, &fields.credential_id)?;
        self.check_field_sizes(fields, name)?;
        // Every custom attribute is defined, as none when the row left it empty.
        let mut attributes: BTreeMap<&str, &serde_json::Value> = BTreeMap::new();
        for key in &self.attribute_keys {
            attributes.insert(
                key,
                fields
                    .attributes
                    .get(key)
                    .unwrap_or(&serde_json::Value::Null),
            );
        }
        Ok(minijinja::context! {
            recipient => minijinja::context! { name => name, email => &fields.recipient_email },
            credential => minijinja::context! {
                id => &fields.credential_id,
                url => &url,
                issued_on => &fields.issued_on,
                expires_on => &fields.expires_on,
            },
            attributes => attributes,
            group => minijinja::context! { name => &self.group_name },
        })
    }
}

/// The custom attributes' keys, in the group's order.
fn custom_keys(schema: &Schema) -> Vec<String> {
    schema
        .attributes
        .iter()
        .filter(|a| !a.standard)
        .map(|a| a.key.clone())
        .collect()
}

/// The most bytes each custom attribute's value may print as, by key.
fn attribute_bounds(schema: &Schema) -> BTreeMap<String, u64> {
    schema
        .attributes
        .iter()
        .filter(|a| !a.standard)
        .map(|a| (a.key.clone(), attribute_bound(a)))
        .collect()
}

/// Every merge field filled in, for the trial render that checks a template.
fn sample_fields(attribute_keys: &[String]) -> MergeFields {
    MergeFields {
        recipient_name: "Ana López".to_owned(),
        recipient_email: "ana@example.org".to_owned(),
        credential_id: "check".to_owned(),
        issued_on: Some("2026-01-01".to_owned()),
        expires_on: Some("2027-01-01".to_owned()),
        attributes: attribute_keys
            .iter()
            .map(|k| (k.clone(), serde_json::Value::String("sample".to_owned())))
            .collect(),
    }
}

/// A rendered part's bytes, refused past [`MAX_PART_BYTES`] as they are written.
#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.bytes.len().saturating_add(buf.len()) > MAX_PART_BYTES {
            self.over = true;
            return Err(std::io::Error::other("the part is too long"));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The most bytes a custom attribute's value is taken to print as when templates are
/// checked: its longest accepted text, its longest enum value, and never less than
/// [`ATTRIBUTE_FLOOR`].
fn attribute_bound(attribute: &crate::group::AttributeSpec) -> u64 {
    use crate::group::AttributeType;
    let longest = match attribute.kind {
        AttributeType::Text | AttributeType::Url => u64::from(attribute.max_length) * 4,
        AttributeType::Enum => attribute
            .values
            .iter()
            .map(|v| v.len() as u64)
            .max()
            .unwrap_or(0),
        _ => 0,
    };
    longest.max(ATTRIBUTE_FLOOR)
}

/// The merge fields as the template check sees them: each with the most bytes it may hold.
fn merge_field_shapes(
    group_name: &str,
    base_url: &str,
    attribute_bytes: &BTreeMap<String, u64>,
) -> Vec<(String, bounds::Shape)> {
    use bounds::{Shape, Size};
    let text = |bytes: u64| Shape::Value(Size::text(bytes));
    let fields = |list: Vec<(&str, Shape)>| {
        Shape::Fields(list.into_iter().map(|(k, s)| (k.to_owned(), s)).collect())
    };
    vec![
        (
            "recipient".to_owned(),
            fields(vec![
                ("name", text(NAME_BYTES)),
                ("email", text(EMAIL_BYTES)),
            ]),
        ),
        (
            "credential".to_owned(),
            fields(vec![
                ("id", text(ID_BYTES)),
                ("url", text(base_url.len() as u64 + 1 + ID_BYTES)),
                ("issued_on", text(DATE_BYTES)),
                ("expires_on", text(DATE_BYTES)),
            ]),
        ),
        (
            "attributes".to_owned(),
            Shape::Fields(
                attribute_bytes
                    .iter()
                    .map(|(k, bytes)| (k.clone(), text(*bytes)))
                    .collect(),
            ),
        ),
        (
            "group".to_owned(),
            fields(vec![("name", text(group_name.len() as u64))]),
        ),
    ]
}

impl Merge {
    /// Refuses a message whose values are longer than the templates were checked for.
    fn check_field_sizes(&self, fields: &MergeFields, name: &str) -> Result<()> {
        let too_long = |field: &str, bytes: usize, most: u64| {
            Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "`{field}` is {}, longer than the {} an email takes",
                    bounds::human_bytes(bytes as u64),
                    bounds::human_bytes(most)
                ),
            ))
        };
        if name.len() as u64 > NAME_BYTES {
            return too_long("recipient.name", name.len(), NAME_BYTES);
        }
        if fields.recipient_email.len() as u64 > EMAIL_BYTES {
            return too_long("recipient.email", fields.recipient_email.len(), EMAIL_BYTES);
        }
        for date in [&fields.issued_on, &fields.expires_on]
            .into_iter()
            .flatten()
        {
            if date.len() as u64 > DATE_BYTES {
                return too_long("credential date", date.len(), DATE_BYTES);
            }
        }
        for (key, value) in &fields.attributes {
            let Some(&most) = self.attribute_bytes.get(key) else {
                continue;
            };
            let printed = match value {
                serde_json::Value::String(s) => s.len(),
                other => other.to_string().len(),
            };
            if printed as u64 > most {
                return too_long(&format!("attributes.{key}"), printed, most);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::group::Group;

    fn schema() -> Schema {
        Group::from_json(
            r#"{"name": "Data <Science> & Co", "attributes": [
                {"key": "grade", "type": "enum", "values": ["Pass", "Merit"]},
                {"key": "hours", "type": "number"}]}"#,
        )
        .unwrap()
        .schema()
        .unwrap()
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

    const BASE: &str = "https://credentials.example.org/c/";

    #[test]
    fn defaults_render_with_an_escaped_body_and_a_library_link() {
        let r = Renderer::new(&EmailTemplates::default(), &schema(), BASE).unwrap();
        let email = r.render(&fields("<script>alert(1)</script> Ana")).unwrap();
        assert_eq!(email.subject, "Your credential for Data <Science> & Co");
        assert!(
            email
                .html
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; Ana")
        );
        assert!(email.html.contains("Data &lt;Science&gt; &amp; Co"));
        assert!(!email.html.contains("<script>"));
        assert!(
            email.html.contains(
                r#"href="https:&#x2f;&#x2f;credentials.example.org&#x2f;c&#x2f;Xy7_k-9""#
            )
        );
        assert!(
            email
                .text
                .contains("View it here: https://credentials.example.org/c/Xy7_k-9\n")
        );
        assert!(!email.text.contains("valid until"));
    }

    #[test]
    fn headers_cannot_be_injected() {
        let templates = EmailTemplates {
            subject: "Hello {{ recipient.name }}".to_owned(),
            ..EmailTemplates::default()
        };
        let r = Renderer::new(&templates, &schema(), BASE).unwrap();
        let email = r
            .render(&fields("Eve\r\nBcc: all@example.org\u{0}"))
            .unwrap();
        assert_eq!(email.subject, "Hello Eve Bcc: all@example.org");
        assert_eq!(email.to_name, "Eve Bcc: all@example.org");
    }

    #[test]
    fn unknown_variables_are_refused_when_the_group_is_saved() {
        let templates = EmailTemplates {
            text: "Grade: {{ attributes.grde }}".to_owned(),
            ..EmailTemplates::default()
        };
        let e = Renderer::new(&templates, &schema(), BASE).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTemplate);
        assert!(e.to_string().contains("`attributes.grde`"), "{e}");
        assert!(
            e.to_string().contains("did you mean `attributes.grade`?"),
            "{e}"
        );
        let templates = EmailTemplates {
            subject: "{{ recipient.nmae }}".to_owned(),
            ..EmailTemplates::default()
        };
        assert!(Renderer::new(&templates, &schema(), BASE).is_err());
    }

    #[test]
    fn safe_is_refused_and_syntax_errors_name_the_part() {
        let templates = EmailTemplates {
            html: "{{ recipient.name|safe }}".to_owned(),
            ..EmailTemplates::default()
        };
        assert_eq!(
            Renderer::new(&templates, &schema(), BASE)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidTemplate
        );
        let templates = EmailTemplates {
            text: "{% if %}".to_owned(),
            ..EmailTemplates::default()
        };
        let e = Renderer::new(&templates, &schema(), BASE).unwrap_err();
        assert!(
            e.to_string().starts_with("the email text body template"),
            "{e}"
        );
    }

    #[test]
    fn no_part_reaches_another_or_turns_escaping_off() {
        let hostile = "<img src=x onerror=alert(1)>";
        for html in [
            "{% include \"body.txt\" %}",
            "{%- include 'subject' -%}",
            "{% autoescape false %}{{ recipient.name }}{% endautoescape %}",
            "{% import \"body.txt\" as t %}",
            "{% from \"body.txt\" import x %}",
            "{% extends \"body.txt\" %}",
        ] {
            let templates = EmailTemplates {
                html: html.to_owned(),
                text: "{{ recipient.name }}".to_owned(),
                ..EmailTemplates::default()
            };
            let e = Renderer::new(&templates, &schema(), BASE).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidTemplate, "{html}");
            assert!(e.to_string().contains("not allowed"), "{html}: {e}");
        }
        // A filter block or a set block keeps the escaping.
        let templates = EmailTemplates {
            html: "{% filter upper %}{{ recipient.name }}{% endfilter %}{% set n %}{{ recipient.name }}{% endset %}{{ n }}".to_owned(),
            ..EmailTemplates::default()
        };
        let r = Renderer::new(&templates, &schema(), BASE).unwrap();
        let html = r.render(&fields(hostile)).unwrap().html;
        assert!(!html.contains('<'), "{html}");
    }

    #[test]
    fn headers_keep_no_encoded_word_and_no_endless_line() {
        let typed = "Ana =?utf-8?b?RnJlZSBnaWZ0?= López";
        let safe = header_safe(typed);
        assert!(!safe.contains("=?"), "{safe}");
        assert_eq!(safe.replace('\u{2060}', ""), typed);
        let long = header_safe(&"x".repeat(5_000));
        assert_eq!(long.chars().count(), HEADER_CHARS + 1);
        assert!(long.ends_with('…'));
        assert_eq!(header_safe("a\r\nBcc: x@y.org"), "a Bcc: x@y.org");
    }

    #[test]
    fn optional_attributes_are_none_when_empty() {
        let templates = EmailTemplates {
            text: "{% if attributes.hours %}{{ attributes.hours }} hours{% else %}no hours{% endif %}, {{ attributes.grade }}".to_owned(),
            ..EmailTemplates::default()
        };
        let r = Renderer::new(&templates, &schema(), BASE).unwrap();
        assert_eq!(r.render(&fields("Ana")).unwrap().text, "no hours, Merit");
    }

    #[test]
    fn runaway_templates_stop() {
        let templates = EmailTemplates {
            text:
                "{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}"
                    .to_owned(),
            ..EmailTemplates::default()
        };
        assert_eq!(
            Renderer::new(&templates, &schema(), BASE)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidTemplate
        );
    }

    fn with_text(text: &str) -> Result<Renderer> {
        let templates = EmailTemplates {
            text: text.to_owned(),
            ..EmailTemplates::default()
        };
        Renderer::new(&templates, &schema(), BASE)
    }

    fn refused(text: &str) -> String {
        let e = with_text(text).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTemplate, "{text}: {e}");
        e.to_string()
    }

    #[test]
    fn values_that_could_grow_past_the_cap_are_refused_when_checked() {
        // The issue's 800-byte template: a string doubled forty times.
        let mut doubling = "{% set a = recipient.name %}".to_owned();
        for _ in 0..40 {
            doubling.push_str("{% set a = a ~ a %}");
        }
        doubling.push_str("{{ a }}");
        let e = refused(&doubling);
        assert!(
            e.starts_with("the email text body template (line 1) can make"),
            "{e}"
        );
        assert!(e.contains("more than the 1 MiB"), "{e}");
        // Each `replace` with an empty pattern multiplies the length.
        let nested = format!(
            "{{{{ recipient.name{} }}}}",
            "|replace('', recipient.name)".repeat(3)
        );
        assert!(refused(&nested).contains("can make a value of"), "{nested}");
        // String repetition is bounded by the number written.
        assert!(refused("{{ recipient.name * 100000000 }}").contains("more than the 1 MiB"));
        assert!(
            refused("{{ recipient.name * attributes.hours }}")
                .contains("multiplies two merge fields")
        );
        // A captured block is a value too.
        let captured = "{% set x %}{% for c in recipient.name %}{{ recipient.name }}{% endfor %}{% endset %}{{ x }}";
        assert!(
            refused(captured).contains("can make a value of"),
            "{captured}"
        );
        // Sound growth is accepted: a few repeats, filters that keep lengths near.
        let r = with_text(
            "{% set a = recipient.name ~ ' ' ~ recipient.name %}{{ a|upper }} {{ '-' * 3 }} {{ attributes.grade|default('none')|replace('e', 'E') }} {% for k, v in attributes|items %}{{ k }}={{ v }};{% endfor %}",
        )
        .unwrap();
        assert_eq!(
            r.render(&fields("Ana")).unwrap().text,
            "ANA ANA --- MErit grade=Merit;hours=None;"
        );
    }

    #[test]
    fn constructs_the_bound_cannot_follow_are_refused() {
        for (text, says) in [
            ("{% for i in range(10) %}x{% endfor %}", "calls a function"),
            ("{{ recipient.name.upper() }}", "calls a function"),
            (
                "{% for c in recipient.name %}{% set x = c %}{% endfor %}",
                "inside a `for` loop",
            ),
            (
                "{{ recipient.name|center(1000000000) }}",
                "the filter `center`",
            ),
            ("{{ recipient.name|safe }}", "`|safe`"),
            (
                "{% for c in recipient.name recursive %}{{ c }}{% endfor %}",
                "recursive",
            ),
        ] {
            let e = refused(text);
            assert!(e.contains(says), "{text}: {e}");
        }
        let e = refused(&"x".repeat(MAX_TEMPLATE_BYTES + 1));
        assert!(e.contains("may be at most 64 KiB"), "{e}");
    }

    #[test]
    fn a_part_past_its_cap_is_an_error_not_an_abort() {
        let schema = Group::from_json(
            r#"{"name": "G", "attributes": [{"key": "notes", "max_length": 5000}]}"#,
        )
        .unwrap()
        .schema()
        .unwrap();
        let templates = EmailTemplates {
            text: "{% for c in attributes.notes %}{{ attributes.notes }}{% endfor %}".to_owned(),
            ..EmailTemplates::default()
        };
        let r = Renderer::new(&templates, &schema, BASE).unwrap();
        let mut f = fields("Ana");
        f.attributes = [("notes".to_owned(), serde_json::json!("n".repeat(5000)))].into();
        let e = r.render(&f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidTemplate);
        assert_eq!(
            e.to_string(),
            "the email text body would be longer than 1 MiB; shorten the template or what it repeats"
        );
        // A value longer than the templates were checked for is refused, not rendered.
        f.attributes = [("notes".to_owned(), serde_json::json!("n".repeat(30_000)))].into();
        let e = r.render(&f).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert!(
            e.to_string().starts_with("`attributes.notes` is 29.2 KiB"),
            "{e}"
        );
    }

    #[test]
    fn links_need_an_http_base_and_a_url_safe_id() {
        assert_eq!(
            credential_url("https://x.example/c", "a1").unwrap(),
            "https://x.example/c/a1"
        );
        assert_eq!(
            credential_url("javascript:alert(1)", "a1")
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidConfig
        );
        assert_eq!(
            credential_url("https://x.example/c?x=1", "a1")
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidConfig
        );
        assert_eq!(
            credential_url("https://x.example/c", "../admin")
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidValue
        );
    }
}
