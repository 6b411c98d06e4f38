//! The live credential's web page, as HTML text: what a recipient opens from the email's
//! link and an employer checks. Pure: the host passes the credential, its signed document,
//! the verification it ran and the links; every value is escaped here.
//!
//! The page carries no inline script or style, so a host can serve it under
//! [`CONTENT_SECURITY_POLICY`] with [`STYLE`] at `/assets/credential.css` and [`SCRIPT`] at
//! `/assets/credential.js` (the copy-link button; the link is also shown as text, so the page
//! works without script).
//!
//! ```
//! # #[cfg(feature = "credentials")] {
//! use conferral::page::{Standing, standing};
//! use conferral::credential::{Check, CheckKind, Outcome, Verification};
//! let report = Verification { valid: true, checks: vec![] };
//! assert_eq!(standing(&report).0, Standing::Valid);
//! # }
//! ```

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::credential::{CheckKind, Outcome, Verification};
use crate::events::{BatchStats, EventKind, Stats};
use crate::group::Group;
use crate::lifecycle::{Credential, CredentialState, EventKind as HistoryKind};
use crate::storage::StatusCounts;

/// The Content-Security-Policy the page is meant to be served under: nothing inline,
/// nothing from elsewhere.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     base-uri 'none'; frame-ancestors 'none'";

/// Where the page expects its style sheet.
pub const STYLE_PATH: &str = "/assets/credential.css";

/// Where the page expects its script.
pub const SCRIPT_PATH: &str = "/assets/credential.js";

/// The page's style sheet: readable at any width from 320 px, AA contrast in light and dark
/// schemes, a visible focus ring on everything that takes focus.
pub const STYLE: &str = include_str!("credential.css");

/// The page's only script: the copy-link button.
pub const SCRIPT: &str = include_str!("credential.js");

/// What a verification says about a credential, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Every check passed.
    Valid,
    /// Its validity period ended.
    Expired,
    /// Not valid yet (its validity starts later).
    NotYetValid,
    /// Its issuer revoked it.
    Revoked,
    /// The document does not match its signature, or the signature is not the issuer's.
    Tampered,
}

impl Standing {
    /// The snake_case name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Standing::Valid => "valid",
            Standing::Expired => "expired",
            Standing::NotYetValid => "not_yet_valid",
            Standing::Revoked => "revoked",
            Standing::Tampered => "tampered",
        }
    }
}

/// A verification's standing and the sentence a person reads: a failed proof, shape or
/// issuer check makes it tampered whatever else failed; then revoked; then the dates.
pub fn standing(verification: &Verification) -> (Standing, String) {
    let failed = |kind: CheckKind| {
        verification
            .check(kind)
            .filter(|c| c.outcome == Outcome::Failed)
    };
    for kind in [CheckKind::Proof, CheckKind::Shape, CheckKind::Issuer] {
        if let Some(c) = failed(kind) {
            return (
                Standing::Tampered,
                format!("This credential cannot be trusted: {}.", c.reason),
            );
        }
    }
    if let Some(c) = failed(CheckKind::Status) {
        return if c.reason.starts_with("revoked") {
            (
                Standing::Revoked,
                "The issuer revoked this credential.".to_owned(),
            )
        } else {
            (
                Standing::Tampered,
                format!("This credential's status cannot be trusted: {}.", c.reason),
            )
        };
    }
    if let Some(c) = failed(CheckKind::Dates) {
        return if c.reason.starts_with("not valid before") {
            (
                Standing::NotYetValid,
                format!("This credential is {}.", c.reason),
            )
        } else {
            (Standing::Expired, format!("This credential {}.", c.reason))
        };
    }
    (
        Standing::Valid,
        "Verified: the issuer signed this credential, it has not been changed since, and it is current."
            .to_owned(),
    )
}

/// Everything the page shows, as the host has it.
#[derive(Debug, Clone, Copy)]
pub struct CredentialPage<'a> {
    /// The credential.
    pub credential: &'a Credential,
    /// Its group (the achievement and issuer it names).
    pub group: &'a Group,
    /// The issuer's name as the signed document gives it.
    pub issuer_name: &'a str,
    /// The verification the host ran on the signed document (with the status list); `None`
    /// when the host holds no signing key, and the page gives the issuer's record instead.
    pub verification: Option<&'a Verification>,
    /// The credential's public link (the email's link).
    pub url: &'a str,
    /// The certificate image's link, when the host renders one.
    pub image_url: Option<&'a str>,
    /// Downloads: (label, link, file type), e.g. ("Certificate (PDF)", "…/c/Ab12.pdf", "PDF").
    pub downloads: &'a [(&'a str, &'a str, &'a str)],
    /// The "Add to LinkedIn profile" link (a host counting shares passes its own redirect).
    pub linkedin_url: Option<&'a str>,
}

/// The LinkedIn "add a licence or certification" link for a credential, with the name,
/// organisation, issue and expiry month, credential id and URL filled in.
///
/// ```
/// let url = conferral::page::linkedin_url("Data Science", "Academy", None, None, "Ab12",
///     "https://x.org/c/Ab12");
/// assert!(url.starts_with("https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name=Data%20Science"));
/// assert!(url.ends_with("&certUrl=https%3A%2F%2Fx.org%2Fc%2FAb12&certId=Ab12"));
/// ```
pub fn linkedin_url(
    name: &str,
    organisation: &str,
    issued: Option<NaiveDate>,
    expires: Option<NaiveDate>,
    id: &str,
    url: &str,
) -> String {
    let mut out = format!(
        "https://www.linkedin.com/profile/add?startTask=CERTIFICATION_NAME&name={}&organizationName={}",
        query_escape(name),
        query_escape(organisation)
    );
    if let Some(d) = issued {
        let _ = write!(out, "&issueYear={}&issueMonth={}", d.year(), d.month());
    }
    if let Some(d) = expires {
        let _ = write!(
            out,
            "&expirationYear={}&expirationMonth={}",
            d.year(),
            d.month()
        );
    }
    let _ = write!(
        out,
        "&certUrl={}&certId={}",
        query_escape(url),
        query_escape(id)
    );
    out
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// Escapes text for HTML content and double-quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Controls would be noise or worse; bidi overrides are isolated by the markup.
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A date as people read it: `2 March 2026`.
fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// A standing's heading.
fn word(standing: Standing) -> &'static str {
    match standing {
        Standing::Valid => "Valid",
        Standing::Expired => "Expired",
        Standing::NotYetValid => "Not valid yet",
        Standing::Revoked => "Revoked",
        Standing::Tampered => "Tampered",
    }
}

/// The standing a page without a verification gives, from the issuer's record.
fn unsigned(credential: &Credential) -> (&'static str, &'static str, String) {
    let note = "This server does not hold the issuer's signing key, so it shows the issuer's record without a cryptographic check.";
    match credential.state {
        CredentialState::Revoked => (
            "revoked",
            "Revoked",
            format!("The issuer revoked this credential. {note}"),
        ),
        CredentialState::Expired => (
            "expired",
            "Expired",
            format!("This credential has expired. {note}"),
        ),
        _ => (
            "valid",
            "Issued",
            format!("The issuer's record shows this credential as issued. {note}"),
        ),
    }
}

/// The reason given for the credential's last revocation, if any.
fn revocation_reason(credential: &Credential) -> Option<&str> {
    credential
        .history
        .iter()
        .rev()
        .find(|h| h.event == HistoryKind::Revoked)
        .and_then(|h| h.reason.as_deref())
}

/// The head every page shares: language, viewport, style, title and Open Graph tags.
fn head(out: &mut String, title: &str, description: &str, url: Option<&str>, image: Option<&str>) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"color-scheme\" content=\"light dark\">\n\
         <meta name=\"referrer\" content=\"strict-origin-when-cross-origin\">\n\
         <link rel=\"icon\" href=\"data:,\">\n\
         <title>{title}</title>\n<meta name=\"description\" content=\"{description}\">\n\
         <meta property=\"og:type\" content=\"website\">\n\
         <meta property=\"og:title\" content=\"{title}\">\n\
         <meta property=\"og:description\" content=\"{description}\">\n",
        title = escape(title),
        description = escape(description),
    );
    if let Some(url) = url {
        let _ = writeln!(
            out,
            "<meta property=\"og:url\" content=\"{}\">",
            escape(url)
        );
    }
    if let Some(image) = image {
        let _ = writeln!(
            out,
            "<meta property=\"og:image\" content=\"{}\">\n<meta name=\"twitter:card\" content=\"summary_large_image\">",
            escape(image)
        );
    }
    let _ = write!(
        out,
        "<link rel=\"stylesheet\" href=\"{STYLE_PATH}\">\n<script src=\"{SCRIPT_PATH}\" defer></script>\n</head>\n"
    );
}

/// The credential's page.
pub fn credential_page(page: &CredentialPage<'_>) -> String {
    let c = page.credential;
    let achievement = page.group.achievement();
    let name = &c.recipient.name;
    let title = format!("{name}: {}", achievement.name);
    let description = format!(
        "{} awarded {name} the credential {}.",
        page.issuer_name, achievement.name
    );
    let mut out = String::with_capacity(8 * 1024);
    head(
        &mut out,
        &title,
        &description,
        Some(page.url),
        page.image_url,
    );
    out.push_str("<body>\n<main class=\"credential\">\n");

    // What it is, for whom, from whom.
    let _ = write!(
        out,
        "<header>\n<p class=\"kicker\">{kind}</p>\n<h1><bdi>{achievement}</bdi></h1>\n\
         <p class=\"recipient\">Awarded to <strong><bdi>{name}</bdi></strong></p>\n\
         <p class=\"issuer\">by <bdi>{issuer}</bdi></p>\n</header>\n",
        kind = escape(achievement.kind.as_deref().unwrap_or("Credential")),
        achievement = escape(&achievement.name),
        name = escape(name),
        issuer = escape(page.issuer_name),
    );

    // The verification, in words; a revoked credential gives its reason.
    let (class, word, sentence) = match page.verification {
        Some(verification) => {
            let (standing, sentence) = standing(verification);
            (standing.as_str(), word(standing), sentence)
        }
        None => unsigned(c),
    };
    let _ = write!(
        out,
        "<section class=\"standing {class}\" aria-labelledby=\"standing-title\">\n\
         <h2 id=\"standing-title\">{word}</h2>\n<p>{sentence}</p>\n",
        sentence = escape(&sentence),
    );
    if c.state == CredentialState::Revoked
        && let Some(reason) = revocation_reason(c)
    {
        let _ = writeln!(
            out,
            "<p class=\"reason\">Reason given by the issuer: <bdi>{}</bdi></p>",
            escape(reason)
        );
    }
    if let Some(verification) = page.verification {
        out.push_str("<details>\n<summary>Every check</summary>\n<ul class=\"checks\">\n");
        for check in &verification.checks {
            let _ = writeln!(
                out,
                "<li class=\"{outcome}\"><span class=\"check\">{kind}</span> <span class=\"outcome\">{outcome}</span>: {reason}</li>",
                kind = check.check.as_str(),
                outcome = match check.outcome {
                    Outcome::Passed => "passed",
                    Outcome::Failed => "failed",
                    Outcome::Skipped => "skipped",
                },
                reason = escape(&check.reason),
            );
        }
        out.push_str("</ul>\n</details>\n");
    }
    out.push_str("</section>\n");

    if let Some(image) = page.image_url {
        let _ = writeln!(
            out,
            "<figure class=\"certificate\"><img src=\"{src}\" alt=\"Certificate: {achievement}, awarded to {name}\" width=\"1123\" height=\"794\"></figure>",
            src = escape(image),
            achievement = escape(&achievement.name),
            name = escape(name),
        );
    }

    // The facts.
    out.push_str("<section aria-labelledby=\"details-title\">\n<h2 id=\"details-title\">Details</h2>\n<dl class=\"facts\">\n");
    let mut fact = |term: &str, value: &str| {
        let _ = writeln!(
            out,
            "<div><dt>{}</dt><dd><bdi>{}</bdi></dd></div>",
            escape(term),
            escape(value)
        );
    };
    if let Some(d) = c.issued_on {
        fact("Issued", &long_date(d));
    }
    if let Some(d) = c.expires_on {
        fact("Expires", &long_date(d));
    }
    fact("Credential id", &c.id);
    if let Some(reference) = &c.reference {
        fact("Issuer's reference", reference);
    }
    fact("Description", &achievement.description);
    fact("Criteria", &achievement.criteria);
    out.push_str("</dl>\n</section>\n");

    // Downloads, sharing, the link.
    out.push_str(
        "<section aria-labelledby=\"share-title\">\n<h2 id=\"share-title\">Download and share</h2>\n<ul class=\"actions\">\n",
    );
    for (label, href, kind) in page.downloads {
        let _ = writeln!(
            out,
            "<li><a class=\"button\" href=\"{}\" download>{} <span class=\"type\">{}</span></a></li>",
            escape(href),
            escape(label),
            escape(kind)
        );
    }
    if let Some(linkedin) = page.linkedin_url {
        let _ = writeln!(
            out,
            "<li><a class=\"button\" href=\"{}\" rel=\"noopener noreferrer\">Add to LinkedIn profile</a></li>",
            escape(linkedin)
        );
    }
    out.push_str("</ul>\n");
    let _ = write!(
        out,
        "<div class=\"link\">\n<label for=\"credential-link\">Link to this credential</label>\n\
         <div class=\"copy\"><input id=\"credential-link\" type=\"text\" readonly value=\"{url}\">\
         <button type=\"button\" data-copy=\"credential-link\" hidden>Copy link</button></div>\n\
         <p class=\"copied\" role=\"status\" aria-live=\"polite\"></p>\n</div>\n</section>\n",
        url = escape(page.url),
    );
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

/// The page for an id that names no credential (the same for every unknown id).
pub fn not_found_page() -> String {
    let mut out = String::with_capacity(1024);
    head(
        &mut out,
        "Credential not found",
        "No credential has this link.",
        None,
        None,
    );
    out.push_str(
        "<body>\n<main class=\"credential\">\n<h1>Credential not found</h1>\n\
         <p>No credential has this link. Check that it was copied whole, or ask the issuer.</p>\n\
         </main>\n</body>\n</html>\n",
    );
    out
}

/// The page for checking a credential file: a form that posts it to `action`, and the
/// result of the last check when there is one (`Err` holds why the file could not be read).
pub fn verify_page(action: &str, result: Option<Result<&Verification, &str>>) -> String {
    let mut out = String::with_capacity(4096);
    head(
        &mut out,
        "Check a credential",
        "Check a signed Open Badges credential file.",
        None,
        None,
    );
    out.push_str("<body>\n<main class=\"credential\">\n<h1>Check a credential</h1>\n");
    match result {
        Some(Ok(verification)) => {
            let (standing, sentence) = standing(verification);
            let _ = writeln!(
                out,
                "<section class=\"standing {}\" role=\"status\"><h2>{}</h2><p>{}</p></section>",
                standing.as_str(),
                word(standing),
                escape(&sentence)
            );
        }
        Some(Err(problem)) => {
            let _ = writeln!(
                out,
                "<section class=\"standing tampered\" role=\"alert\"><h2>Not a credential</h2><p>{}</p></section>",
                escape(problem)
            );
        }
        None => {}
    }
    let _ = write!(
        out,
        "<form method=\"post\" action=\"{}\" enctype=\"multipart/form-data\">\n\
         <label for=\"credential-file\">Credential file (.json)</label>\n\
         <input id=\"credential-file\" name=\"credential\" type=\"file\" accept=\".json,application/json\" required>\n\
         <button type=\"submit\">Check</button>\n</form>\n</main>\n</body>\n</html>\n",
        escape(action)
    );
    out
}

/// The issuer's figures: per group and batch (issued, delivered and the delivery rate,
/// viewed and the view rate, downloads, shares), a chart of the daily events, and the
/// credentials and emails by state. Charts are inline SVG and `<meter>`s: no script, no image
/// fetched.
pub fn analytics_page(counts: &StatusCounts, stats: &Stats) -> String {
    let mut out = String::with_capacity(8192);
    head(&mut out, "Analytics", "The issuer's figures.", None, None);
    out.push_str("<body>\n<main class=\"credential analytics\">\n<h1>Analytics</h1>\n");
    let sum = |f: fn(&BatchStats) -> u64| stats.batches.iter().map(f).sum::<u64>();
    let (issued, delivered, viewed) = (sum(|b| b.issued), sum(|b| b.delivered), sum(|b| b.viewed));
    let percent = |part: u64, whole: u64| match whole {
        0 => "none issued".to_owned(),
        whole => format!("{:.1}%", part as f64 * 100.0 / whole as f64),
    };
    let _ = write!(
        out,
        "<dl class=\"facts\">\n<div><dt>Issued</dt><dd>{issued}</dd></div>\n\
         <div><dt>Delivered</dt><dd>{delivered} ({})</dd></div>\n\
         <div><dt>Viewed</dt><dd>{viewed} ({})</dd></div>\n\
         <div><dt>Downloads</dt><dd>{}</dd></div>\n<div><dt>LinkedIn shares</dt><dd>{}</dd></div>\n</dl>\n",
        percent(delivered, issued),
        percent(viewed, issued),
        sum(|b| b.downloads),
        sum(|b| b.shares),
    );

    out.push_str("<section aria-labelledby=\"batches-title\">\n<h2 id=\"batches-title\">By group and batch</h2>\n<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Figures by group and batch\">\n<table class=\"figures\">\n<thead><tr>");
    for h in BatchStats::HEADINGS {
        let _ = write!(out, "<th scope=\"col\">{h}</th>");
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for b in &stats.batches {
        let [group, rest @ ..] = b.cells();
        let _ = write!(out, "<tr><th scope=\"row\">{}</th>", escape(&group));
        for cell in rest {
            let _ = write!(out, "<td>{}</td>", escape(&cell));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n</div>\n</section>\n");

    // The daily series: deliveries and views a day, as bars.
    if !stats.daily.is_empty() {
        let series = [
            (EventKind::Delivered, "delivered"),
            (EventKind::Viewed, "viewed"),
        ];
        let most = stats
            .daily
            .iter()
            .flat_map(|d| {
                series
                    .iter()
                    .map(|(k, _)| d.events.get(k).copied().unwrap_or(0))
            })
            .max()
            .unwrap_or(0)
            .max(1);
        let width = 24 * stats.daily.len() + 40;
        let _ = write!(
            out,
            "<section aria-labelledby=\"daily-title\">\n<h2 id=\"daily-title\">By day</h2>\n\
             <svg class=\"chart\" viewBox=\"0 0 {width} 140\" role=\"img\" aria-labelledby=\"daily-title daily-desc\">\n\
             <desc id=\"daily-desc\">Emails delivered (dark bars) and credential pages viewed (light bars) each day; the table below gives the numbers.</desc>\n"
        );
        for (i, day) in stats.daily.iter().enumerate() {
            for (j, (kind, class)) in series.iter().enumerate() {
                let n = day.events.get(kind).copied().unwrap_or(0);
                let h = n * 100 / most;
                let _ = writeln!(
                    out,
                    "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"10\" height=\"{h}\"><title>{}: {n} {class}</title></rect>",
                    20 + i * 24 + j * 11,
                    110 - h,
                    day.day
                );
            }
        }
        out.push_str("</svg>\n<div class=\"scroll\" tabindex=\"0\" role=\"region\" aria-label=\"Events by day\">\n<table class=\"figures\">\n<thead><tr><th scope=\"col\">Day</th>");
        for kind in EventKind::ALL {
            let _ = write!(out, "<th scope=\"col\">{}</th>", kind.as_str());
        }
        out.push_str("</tr></thead>\n<tbody>\n");
        for day in &stats.daily {
            let _ = write!(out, "<tr><th scope=\"row\">{}</th>", day.day);
            for kind in EventKind::ALL {
                let _ = write!(
                    out,
                    "<td>{}</td>",
                    day.events.get(&kind).copied().unwrap_or(0)
                );
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</tbody>\n</table>\n</div>\n</section>\n");
    }

    for (title, figures) in [
        ("Credentials by state", &counts.credentials),
        ("Emails by state", &counts.deliveries),
    ] {
        let most = figures.values().copied().max().unwrap_or(0).max(1);
        let _ = write!(
            out,
            "<section aria-label=\"{title}\">\n<h2>{title}</h2>\n<table class=\"figures\">\n\
             <thead><tr><th scope=\"col\">State</th><th scope=\"col\">Count</th><th scope=\"col\"><span class=\"visually-hidden\">Share</span></th></tr></thead>\n<tbody>\n"
        );
        for (state, n) in figures {
            let _ = writeln!(
                out,
                "<tr><th scope=\"row\">{state}</th><td>{n}</td><td><meter min=\"0\" max=\"{most}\" value=\"{n}\">{n}</meter></td></tr>",
                state = escape(&state.replace('_', " ")),
            );
        }
        out.push_str("</tbody>\n</table>\n</section>\n");
    }
    out.push_str("</main>\n</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests;
