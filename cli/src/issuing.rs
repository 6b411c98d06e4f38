//! The issuing commands: `issue`, `drafts`, `show`, `edit`, `preview`, `publish`,
//! `deliver`, `status`, `resend`, over a SQLite store.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use chrono::Utc;
use clap::Args;
use conferral::Group;
use conferral::issuer::{
    CorrectOutcome, CorrectRequest, CreateRequest, DEFAULT_BASE_URL, DEFAULT_SENDER, ImportOutcome,
    ImportRequest, Issuer, IssuerConfig, Selection, Step, StepProgress,
};
use conferral::lifecycle::{Amendment, Credential, CredentialState};
use conferral::mail::Mailbox;
use conferral::storage::{CredentialQuery, Storage};
use conferral_mail::MailTarget;

use crate::CliError;

/// Where the store is and how emails are made.
#[derive(Args, Clone)]
pub struct StoreArgs {
    /// SQLite database file (created if missing), or a `postgres://` URL.
    #[arg(long)]
    pub db: PathBuf,
    /// Where credentials live: a credential's link is this address, `/` and its id.
    #[arg(long, default_value = DEFAULT_BASE_URL)]
    pub base_url: String,
    /// Sender of the emails, as `Name <address>` or `address`.
    #[arg(long, default_value = DEFAULT_SENDER)]
    pub from: String,
    /// Who is acting, recorded in each credential's history.
    #[arg(long, default_value = "cli")]
    pub actor: String,
}

impl StoreArgs {
    pub(crate) fn open(&self) -> Result<Issuer<Box<dyn Storage + Send>>, CliError> {
        let store = conferral_stores::open_store(&self.db)?;
        Ok(Issuer::new(store, self.config())?)
    }

    /// The issuer's settings these flags give.
    pub(crate) fn config(&self) -> IssuerConfig {
        IssuerConfig::new(&self.base_url, Mailbox::parse(&self.from))
    }
}

/// A progress line on the terminal, only when stdout is one and no JSON is printed.
struct Bar {
    live: bool,
    shown: bool,
}

impl Bar {
    fn new(json: bool) -> Bar {
        Bar {
            live: !json && std::io::stdout().is_terminal(),
            shown: false,
        }
    }

    fn update(&mut self, p: StepProgress) {
        if !self.live || (p.done == 0 && p.total == 0) {
            return;
        }
        let what = match p.step {
            Step::Analyzing => "analyzing",
            Step::Creating => "creating drafts",
            Step::Rendering => "rendering emails",
            Step::Storing => "storing",
            Step::Delivering => "delivering",
        };
        const WIDTH: u64 = 30;
        let line = match (p.done.min(p.total) * WIDTH).checked_div(p.total) {
            Some(filled) => {
                let filled = usize::try_from(filled).unwrap_or(0);
                format!(
                    "\r{what:<17} [{}{}] {}/{}",
                    "#".repeat(filled),
                    " ".repeat(30usize.saturating_sub(filled)),
                    p.done,
                    p.total
                )
            }
            None => format!("\r{what:<17} {} rows", p.done),
        };
        let mut out = std::io::stdout();
        let _ = write!(out, "{line}\x1b[K");
        let _ = out.flush();
        self.shown = true;
    }

    fn finish(&mut self) {
        if self.shown {
            let mut out = std::io::stdout();
            let _ = write!(out, "\r\x1b[K");
            let _ = out.flush();
            self.shown = false;
        }
    }
}

/// Prints a result as JSON through a JSON value, whose objects keep their keys sorted: the
/// issuing commands' output has always been in that order.
pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> Result<(), CliError> {
    let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
    crate::print_json(&value).map_err(|source| CliError::Write {
        path: "stdout".into(),
        source,
    })
}

/// What an import does once its drafts are made: publish them, and whether it only says
/// what it would do.
#[derive(Clone, Copy)]
pub struct Publish {
    /// Publish the drafts at once.
    pub publish: bool,
    /// Change nothing.
    pub dry_run: bool,
}

/// The group an issuing command names: a group definition (a JSON file), or else the key of
/// a group kept in the store.
pub(crate) fn resolve_group<S: Storage>(arg: &Path, issuer: &Issuer<S>) -> Result<Group, CliError> {
    if arg.is_file() {
        return crate::load_group(arg);
    }
    let key = arg.to_string_lossy();
    issuer.store().group(&key)?.ok_or_else(|| {
        CliError::Usage(format!(
            "`{key}` is neither a group file nor the key of a group kept in this store"
        ))
    })
}

/// `conferral issue`: analyse a roster and store its valid rows as drafts (or publish them).
/// Returns whether any row was refused.
pub fn issue(
    store: &StoreArgs,
    roster: &crate::RosterArgs,
    how: Publish,
    json: bool,
) -> Result<bool, CliError> {
    let (bytes, options) = roster.read()?;
    let mut issuer = store.open()?;
    let group = resolve_group(&roster.group, &issuer)?;
    let request = ImportRequest {
        options,
        publish: how.publish,
        dry_run: how.dry_run,
        ..ImportRequest::new(&group, &bytes, &store.actor)
    };
    let mut bar = Bar::new(json);
    let out = issuer.import(&request, &mut conferral_os::OsIds, Utc::now(), &mut |p| {
        bar.update(p)
    });
    bar.finish();
    let out = out?;
    let refused = refused_any(&out);
    if json {
        print_json(&out)?;
        return Ok(refused);
    }
    let b = &out.batch;
    if out.dry_run {
        say_dry_run(&out, &roster.file.display().to_string(), how.publish);
    } else if out.already_imported {
        say!(
            "{} was imported before as batch {} ({} drafts); nothing new was created",
            roster.file.display(),
            b.id,
            b.created
        );
    } else {
        say!(
            "batch {}: {} rows, {} drafts created, {} replaced, {} rows refused",
            b.id,
            b.rows,
            b.created,
            b.replaced,
            b.rejected
        );
    }
    say_errors(&out, false);
    if let Some(p) = &out.published {
        say!(
            "published {} (emails queued; run `conferral deliver`)",
            p.published.len()
        );
        say_refused(p);
    }
    Ok(refused)
}

/// Whether an import refused a row, or its publish a draft.
fn refused_any(out: &ImportOutcome) -> bool {
    out.report.has_errors()
        || !out.findings.is_empty()
        || out
            .published
            .as_ref()
            .is_some_and(|p| !p.refused.is_empty())
}

/// The first 20 errors of an import, at their cells (or, for one credential made from
/// values, at the attribute each names).
fn say_errors(out: &ImportOutcome, by_attribute: bool) {
    let findings = out.report.findings.iter().chain(&out.findings);
    for f in findings
        .filter(|f| f.severity == conferral::Severity::Error)
        .take(20)
    {
        let at = match (&f.attribute, by_attribute) {
            (Some(attribute), true) => attribute.clone(),
            _ => f.location(),
        };
        say!("  error {at:<8} {}: {}", f.code.as_str(), f.message);
    }
}

/// What a dry run found: nothing was changed.
fn say_dry_run(out: &ImportOutcome, file: &str, publish: bool) {
    let b = &out.batch;
    if out.already_imported {
        say!(
            "dry run: {file} was imported before as batch {} ({} drafts); importing it again would create nothing",
            b.id,
            b.created
        );
        return;
    }
    say!(
        "dry run: {} rows; {} drafts would be created, {} replaced, {} rows refused{}; nothing was changed",
        b.rows,
        b.created,
        b.replaced,
        b.rejected,
        if publish {
            format!(
                "; {} credentials would be published and emailed",
                b.created + b.replaced
            )
        } else {
            String::new()
        }
    );
    for id in out.replaced.iter().take(20) {
        say!("  would replace draft {id}");
    }
}

/// `conferral create`: one credential from `--set KEY=VALUE` values, validated as a
/// roster's row. Returns whether it was refused.
pub fn create(
    store: &StoreArgs,
    group: &Path,
    set: &[String],
    how: Publish,
    json: bool,
) -> Result<bool, CliError> {
    let mut values = Vec::with_capacity(set.len());
    for pair in set {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("`--set {pair}` must be KEY=VALUE")))?;
        values.push((key.trim().to_owned(), value.to_owned()));
    }
    let mut issuer = store.open()?;
    let group = resolve_group(group, &issuer)?;
    let request = CreateRequest {
        group: &group,
        values: &values,
        publish: how.publish,
        dry_run: how.dry_run,
        actor: &store.actor,
    };
    let out = issuer.create(&request, &mut conferral_os::OsIds, Utc::now())?;
    let refused = refused_any(&out);
    if json {
        print_json(&out)?;
        return Ok(refused);
    }
    say_one(&out);
    Ok(refused)
}

/// What making one credential did (`create`, `renew`), in words.
fn say_one(out: &ImportOutcome) {
    if out.already_imported {
        say!(
            "the same values were given before (batch {}); nothing new was created",
            out.batch.id
        );
    } else if out.dry_run {
        if refused_any(out) {
            say!("dry run: the values would be refused; nothing was changed");
        } else {
            say!("dry run: the values are valid; nothing was changed");
        }
    } else if let Some(id) = out.created.first().or(out.replaced.first()) {
        let published = out
            .published
            .as_ref()
            .is_some_and(|p| p.published.iter().any(|c| c == id));
        say!(
            "{} {id}{}",
            if out.created.is_empty() {
                "replaced"
            } else {
                "created"
            },
            if published {
                " and published (email queued; run `conferral deliver`)"
            } else {
                " as a draft"
            }
        );
    } else {
        say!("nothing was created");
    }
    say_errors(out, true);
    if let Some(p) = &out.published {
        say_refused(p);
    }
}

/// The drafts a publish left alone, each with its reason.
fn say_refused(out: &conferral::issuer::PublishOutcome) {
    if out.refused.is_empty() {
        return;
    }
    say!(
        "{} left as drafts, their email cannot be rendered:",
        out.refused.len()
    );
    for r in out.refused.iter().take(20) {
        say!("  {}: {}", r.id, r.message);
    }
    if out.refused.len() > 20 {
        say!("  and {} more (see --json)", out.refused.len() - 20);
    }
}

fn credential_line(c: &Credential) -> String {
    format!(
        "{:<24} {:<9} {:<28} {:<32} {}",
        c.id,
        c.state.as_str(),
        crate::truncate(&c.recipient.name, 28),
        crate::truncate(&c.recipient.email, 32),
        c.batch
    )
}

/// `conferral drafts`: list drafts.
pub fn drafts(store: &StoreArgs, batch: Option<String>, json: bool) -> Result<(), CliError> {
    let issuer = store.open()?;
    let drafts = issuer.store().credentials(&CredentialQuery {
        batch,
        state: Some(CredentialState::Draft),
        ..CredentialQuery::default()
    })?;
    if json {
        return print_json(&drafts);
    }
    say!("{} drafts", drafts.len());
    for c in &drafts {
        say!("  {}", credential_line(c));
    }
    Ok(())
}

/// `conferral show`: one credential with its history and delivery.
pub fn show(store: &StoreArgs, id: &str, json: bool) -> Result<(), CliError> {
    let detail = store.open()?.show(id)?;
    if json {
        return print_json(&detail);
    }
    let c = &detail.credential;
    use crate::terminal::value;
    say!("{}  ({})", c.id, c.state.as_str());
    say!(
        "  recipient  {} <{}>",
        value(&c.recipient.name),
        value(&c.recipient.email)
    );
    say!("  group      {}   batch {}", c.group, c.batch);
    if let Some(d) = c.issued_on {
        say!("  issued on  {d}");
    }
    if let Some(d) = c.expires_on {
        say!("  expires on {d}");
    }
    for (k, v) in &c.attributes {
        match v {
            serde_json::Value::String(text) => say!("  {k:<10} {}", value(text)),
            other => say!("  {k:<10} {other}"),
        }
    }
    say!("  history:");
    for h in &c.history {
        let fields: Vec<&str> = h.changes.iter().map(|c| c.field.as_str()).collect();
        say!(
            "    {} {:?} by {} {}",
            h.at.format("%Y-%m-%d %H:%M:%S"),
            h.event,
            value(&h.actor),
            fields.join(", ")
        );
    }
    for m in &detail.deliveries {
        say!(
            "  email {} ({} attempt(s)): {}",
            m.state.as_str(),
            m.attempts,
            value(m.last_result.as_deref().unwrap_or(""))
        );
    }
    Ok(())
}

/// `conferral edit`: amend a draft.
pub fn edit(store: &StoreArgs, id: &str, set: &[String], json: bool) -> Result<(), CliError> {
    let mut amendment = Amendment::default();
    for pair in set {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("`--set {pair}` must be KEY=VALUE")))?;
        amendment
            .set
            .insert(key.trim().to_owned(), value.to_owned());
    }
    let mut issuer = store.open()?;
    let amended = issuer.amend(id, &amendment, &store.actor, Utc::now())?;
    if json {
        return print_json(&amended);
    }
    say!("{}", credential_line(&amended));
    Ok(())
}

/// `conferral preview`: the email a draft's recipient would get.
pub fn preview(store: &StoreArgs, id: &str, html: bool, json: bool) -> Result<(), CliError> {
    let issuer = store.open()?;
    let email = issuer.preview(id)?;
    if json {
        return print_json(&email);
    }
    use crate::terminal::value;
    say!("To: {} <{}>", value(&email.to_name), value(&email.to_email));
    say!("Subject: {}\n", value(&email.subject));
    say!("{}", if html { &email.html } else { &email.text });
    Ok(())
}

/// `conferral publish`. Returns whether any selected draft was left unpublished.
pub fn publish(
    store: &StoreArgs,
    all: bool,
    batch: Option<String>,
    ids: Vec<String>,
    yes: bool,
    json: bool,
) -> Result<bool, CliError> {
    let ids = (!ids.is_empty()).then_some(ids);
    let selection = Selection::one_of(all, batch, ids).map_err(|_| {
        CliError::Usage("give exactly one of --all, --batch B or credential ids".into())
    })?;
    let mut issuer = store.open()?;
    if !yes && std::io::stdin().is_terminal() {
        let n = issuer.count_selected(&selection, CredentialState::Draft)?;
        let question = format!("Publish {n} credentials and email {n} recipients?");
        if n > 0 && !ask(&question)? {
            say!("nothing was published");
            return Ok(false);
        }
    }
    let mut bar = Bar::new(json);
    let out = issuer.publish(&selection, &store.actor, Utc::now(), &mut |p| bar.update(p));
    bar.finish();
    let out = out?;
    let refused = !out.refused.is_empty();
    if json {
        print_json(&out)?;
        return Ok(refused);
    }
    say!(
        "published {}, {} were published before; {} emails queued",
        out.published.len(),
        out.already_published.len(),
        out.published.len()
    );
    say_refused(&out);
    Ok(refused)
}

/// `conferral expire`: published credentials past their expiry date become expired.
pub fn expire(
    store: &StoreArgs,
    today: Option<chrono::NaiveDate>,
    json: bool,
) -> Result<(), CliError> {
    let now = Utc::now();
    let today = today.unwrap_or_else(|| now.date_naive());
    let mut issuer = store.open()?;
    let outcome = issuer.expire_and_notify(today, &store.actor, now)?;
    if json {
        return print_json(&outcome);
    }
    say!(
        "{} credentials expired before {today} are now marked expired",
        outcome.expired.len()
    );
    for id in outcome.expired.iter().take(20) {
        say!("  {id}");
    }
    let (notices, warnings) = (&outcome.expired_notices, &outcome.warnings);
    say!(
        "queued {} expiry notices and {} warnings before expiry ({} were queued before); `conferral deliver` sends them",
        notices.queued.len(),
        warnings.queued.len(),
        notices.already_queued.len() + warnings.already_queued.len()
    );
    for r in notices.refused.iter().chain(&warnings.refused) {
        say!("  no notice for {}: {}", r.id, r.message);
    }
    Ok(())
}

/// `conferral renew ID --today D [--publish] [--dry-run]`: a new credential from an expired
/// (or published) one's values, issued today.
pub fn renew(
    store: &StoreArgs,
    id: &str,
    today: Option<chrono::NaiveDate>,
    how: Publish,
    json: bool,
) -> Result<bool, CliError> {
    let now = Utc::now();
    let today = today.unwrap_or_else(|| now.date_naive());
    let mut issuer = store.open()?;
    let out = issuer.renew(
        id,
        today,
        how.publish,
        how.dry_run,
        &store.actor,
        &mut conferral_os::OsIds,
        now,
    )?;
    let refused = refused_any(&out);
    if json {
        print_json(&out)?;
        return Ok(refused);
    }
    say_one(&out);
    Ok(refused)
}

/// `conferral issue FILE --group-column COLUMN`: each group's rows imported into it.
/// Returns whether a row was refused (an unknown group, or an import's).
pub fn issue_groups(
    store: &StoreArgs,
    roster: &crate::RosterArgs,
    column: &str,
    how: Publish,
    json: bool,
) -> Result<bool, CliError> {
    let (bytes, options) = roster.read()?;
    let mut issuer = store.open()?;
    let request = conferral::issuer::GroupsImportRequest {
        bytes: &bytes,
        group_column: column,
        options,
        publish: how.publish,
        dry_run: how.dry_run,
        actor: &store.actor,
    };
    let out = issuer.import_groups(&request, &mut conferral_os::OsIds, Utc::now())?;
    let refused = !out.findings.is_empty() || out.imports.iter().any(|i| refused_any(&i.outcome));
    if json {
        print_json(&out)?;
        return Ok(refused);
    }
    say!(
        "{}{} rows for {} groups (column {})",
        if out.dry_run {
            "dry run, nothing changed: "
        } else {
            ""
        },
        out.rows,
        out.imports.len(),
        out.column
    );
    for i in &out.imports {
        let b = &i.outcome.batch;
        say!(
            "  {}: batch {}, {} drafts created, {} replaced, {} rows refused{}",
            i.group,
            b.id,
            b.created,
            b.replaced,
            b.rejected,
            if i.outcome.already_imported {
                " (imported before: nothing new)"
            } else {
                ""
            }
        );
        say_errors(&i.outcome, false);
    }
    for f in &out.findings {
        say_finding(f);
    }
    Ok(refused)
}

/// One finding of a row, on a line: its cell, code and message.
pub(crate) fn say_finding(f: &conferral::Finding) {
    say!(
        "  {} {}: {}",
        f.cell.as_deref().unwrap_or("-"),
        f.code.as_str(),
        f.message
    );
}

/// `conferral remind`: queue reminders to view credentials not viewed yet.
pub fn remind(store: &StoreArgs, json: bool) -> Result<(), CliError> {
    let mut issuer = store.open()?;
    let outcome = issuer.remind(Utc::now())?;
    if json {
        return print_json(&outcome);
    }
    say!(
        "queued {} reminders; `conferral deliver` sends them",
        outcome.queued.len()
    );
    for r in &outcome.refused {
        say!("  no reminder for {}: {}", r.id, r.message);
    }
    Ok(())
}

/// Asks a question on the terminal (see [`crate::terminal::confirm`]).
pub(crate) fn ask(question: &str) -> Result<bool, CliError> {
    crate::terminal::confirm(question, false).map_err(|source| CliError::Read {
        path: "the terminal".into(),
        source,
    })
}

/// `conferral deliver`: send every due email with `workers` workers at once (threads, each
/// with its own store connection and mailer). Returns whether any failed or is unknown.
pub fn deliver(
    store: &StoreArgs,
    outbox: Option<&Path>,
    smtp: Option<&str>,
    limit: Option<u64>,
    workers: usize,
    json: bool,
) -> Result<bool, CliError> {
    let target = match (outbox, smtp) {
        (Some(dir), None) => MailTarget::Folder(dir),
        (None, Some(url)) => MailTarget::Smtp(url),
        _ => {
            return Err(CliError::Usage(
                "give exactly one of --outbox DIR or --smtp URL".into(),
            ));
        }
    };
    if workers == 0 {
        return Err(CliError::Usage("--workers takes 1 or more".into()));
    }
    // Opened once first, so that a bad SMTP URL is reported before any work (a bad store or
    // setting is, by the issuer that recovers before the workers start).
    drop(conferral_mail::open(target)?);
    let config = store.config();
    let bar = std::sync::Mutex::new(Bar::new(json));
    let run = conferral::issuer::deliver_with_workers(
        &conferral::issuer::Workers {
            count: workers,
            config: &config,
            open_store: &|| conferral_stores::open_store(&store.db),
            open_mailer: &|| conferral_mail::open(target),
            worker_id: &conferral_os::worker_id,
            clock: &Utc::now,
        },
        limit,
        &|p| {
            if let Ok(mut bar) = bar.lock() {
                bar.update(p);
            }
        },
    );
    if let Ok(mut bar) = bar.lock() {
        bar.finish();
    }
    let run = run?;
    let (recovered, report) = (run.recovered, &run.delivery);
    // Messages a crashed run left mid-send became `unknown` in recovery: a script must hear of
    // them as of any other unknown outcome.
    // A run the mailer stopped (no SMTP session) left due messages untried.
    let troubled = report.failed_permanent
        + report.suppressed
        + report.failed_exhausted
        + report.unknown
        + report.lease_lost
        + recovered
        > 0
        || report.stopped.is_some();
    if json {
        print_json(&run)?;
        return Ok(troubled);
    }
    if recovered > 0 {
        say!(
            "{recovered} email(s) were being sent when an earlier run stopped; they are marked unknown (check, then `conferral resend`)"
        );
    }
    say!(
        "{} attempted: {} sent, {} deferred, {} failed, {} gave up, {} unknown",
        report.attempted,
        report.sent,
        report.deferred,
        report.failed_permanent,
        report.failed_exhausted,
        report.unknown
    );
    if report.suppressed > 0 {
        say!(
            "{} email(s) not sent: the address is on the suppression list (see `conferral suppress list`)",
            report.suppressed
        );
    }
    if report.lease_lost > 0 {
        say!(
            "{} outcome(s) came after their lease ran out (another run had marked the email unknown): recorded where nothing had happened to the email since, else left as it is (check with `conferral show`)",
            report.lease_lost
        );
    }
    if let Some(why) = &report.stopped {
        say!("delivery stopped early: {why}; the rest stay queued for the next run");
    }
    if let Some(dir) = outbox {
        say!("emails are in {}", dir.display());
    }
    Ok(troubled)
}

/// `conferral mappings`: the column mappings learned for a group, or forgetting them.
pub fn mappings(
    store: &StoreArgs,
    group: &conferral::Group,
    forget: bool,
    headers: &[String],
    json: bool,
) -> Result<(), CliError> {
    if !forget && !headers.is_empty() {
        return Err(CliError::Usage(
            "headers are given only with --forget, to forget their learned mappings".into(),
        ));
    }
    let mut issuer = store.open()?;
    let key = group.key();
    if forget {
        let chosen = (!headers.is_empty()).then_some(headers);
        let forgotten = issuer.forget_mappings(&key, chosen)?;
        if json {
            return print_json(&serde_json::json!({ "forgotten": forgotten }));
        }
        say!("forgot {forgotten} learned mapping(s) of group {key}");
        return Ok(());
    }
    let learned = issuer.mappings(&key)?;
    if json {
        // Sorted by header, so the output is the same on every run.
        let sorted: std::collections::BTreeMap<&String, &Option<String>> =
            learned.0.iter().collect();
        return print_json(&sorted);
    }
    if learned.0.is_empty() {
        say!(
            "group {key} has no learned mappings yet: they come from the mappings confirmed with `issue --mapping`"
        );
        return Ok(());
    }
    let mut rows: Vec<(&String, &Option<String>)> = learned.0.iter().collect();
    rows.sort();
    for (header, attribute) in rows {
        say!(
            "{header:<40} -> {}",
            attribute.as_deref().unwrap_or("(skipped)")
        );
    }
    Ok(())
}

/// `conferral status`.
pub fn status(store: &StoreArgs, json: bool) -> Result<(), CliError> {
    let issuer = store.open()?;
    let counts = issuer.status()?;
    if json {
        return print_json(&counts);
    }
    let line = |map: &std::collections::BTreeMap<String, u64>| {
        map.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    say!("credentials: {}", line(&counts.credentials));
    say!("emails:      {}", line(&counts.deliveries));
    let now = Utc::now();
    for (state, oldest) in &counts.oldest {
        if matches!(state.as_str(), "pending" | "sending" | "unknown") {
            say!("  oldest {state}: queued {} ago", age(now - *oldest));
        }
    }
    for holder in &counts.leases {
        say!(
            "  {} holds {} email(s) being sent, lease until {}",
            crate::terminal::value(&holder.worker),
            holder.messages,
            holder.until.format("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    if counts.set_aside > 0 {
        say!(
            "  {} damaged email(s) were set aside and will not be sent",
            counts.set_aside
        );
    }
    let suppressed = issuer.suppressions()?.len();
    if suppressed > 0 {
        say!("  {suppressed} address(es) on the suppression list (`conferral suppress list`)");
    }
    Ok(())
}

/// A duration in the largest whole unit: `3 days`, `2 hours`, `5 minutes`, `40 seconds`.
fn age(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (n, unit) = match secs {
        s if s >= 86_400 => (s / 86_400, "day"),
        s if s >= 3_600 => (s / 3_600, "hour"),
        s if s >= 60 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

/// `conferral resend`.
pub fn resend(store: &StoreArgs, ids: &[String], json: bool) -> Result<(), CliError> {
    let mut issuer = store.open()?;
    let again = issuer.resend(ids, Utc::now())?;
    if json {
        return print_json(&again);
    }
    say!(
        "{} email(s) queued again with their Message-ID; run `conferral deliver`",
        again.len()
    );
    Ok(())
}

/// `conferral stats`: the figures per group and batch, and by day.
pub fn stats(
    store: &StoreArgs,
    group: Option<String>,
    batch: Option<String>,
    since: Option<chrono::NaiveDate>,
    json: bool,
) -> Result<(), CliError> {
    let issuer = store.open()?;
    let stats = issuer.stats(&conferral::events::EventQuery {
        group,
        batch,
        since,
    })?;
    if json {
        return print_json(&stats);
    }
    if stats.batches.is_empty() {
        say!("no events yet");
        return Ok(());
    }
    let line = |cells: &[String]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            match i {
                0 => text.push_str(&format!("{cell:<24}")),
                1 => text.push_str(&format!(" {cell:<18}")),
                _ => text.push_str(&format!(" {cell:>13}")),
            }
        }
        text
    };
    let headings = conferral::events::BatchStats::HEADINGS.map(str::to_lowercase);
    say!("{}", line(&headings));
    for b in &stats.batches {
        say!("{}", line(&b.cells()));
    }
    say!("");
    say!("by day:");
    for d in &stats.daily {
        let events: Vec<String> = d
            .events
            .iter()
            .map(|(kind, n)| format!("{} {n}", kind.as_str()))
            .collect();
        say!("  {}  {}", d.day, events.join(", "));
    }
    Ok(())
}

/// How `conferral correct` runs.
#[derive(Clone, Copy)]
pub struct Correcting {
    /// Queue corrected published credentials' emails again.
    pub notify: bool,
    /// Change nothing.
    pub dry_run: bool,
    /// Do not ask first.
    pub yes: bool,
}

/// `conferral correct`: a re-uploaded roster's corrections. Returns whether a row was
/// refused.
pub fn correct(
    store: &StoreArgs,
    roster: &crate::RosterArgs,
    how: Correcting,
    json: bool,
) -> Result<bool, CliError> {
    let (bytes, options) = roster.read()?;
    let mut issuer = store.open()?;
    let group = resolve_group(&roster.group, &issuer)?;
    let request = CorrectRequest {
        options,
        notify: how.notify,
        dry_run: true,
        ..CorrectRequest::new(&group, &bytes, &store.actor)
    };
    let now = Utc::now();
    if !how.dry_run && !how.yes && std::io::stdin().is_terminal() {
        // The dry run gives the exact counts to confirm.
        let planned = issuer.correct(&request, now)?;
        let n = planned.corrected.len();
        let emailed = planned.corrected.iter().filter(|c| c.notified).count();
        let question = if emailed > 0 {
            format!("Correct {n} credentials and email {emailed} recipients again?")
        } else {
            format!("Correct {n} credentials?")
        };
        if n > 0 && !ask(&question)? {
            say!("nothing was corrected");
            return Ok(false);
        }
    }
    let request = CorrectRequest {
        dry_run: how.dry_run,
        ..request
    };
    let out = issuer.correct(&request, now)?;
    let refused = out.refused > 0;
    if json {
        print_json(&out)?;
        return Ok(refused);
    }
    say_corrections(&out);
    Ok(refused)
}

/// A corrected value as a person reads it.
fn shown(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => "(none)".to_owned(),
        serde_json::Value::String(s) => format!("`{}`", crate::terminal::value(s)),
        other => other.to_string(),
    }
}

/// What a correction did (or would do), each change as before -> after.
fn say_corrections(out: &CorrectOutcome) {
    let published = out
        .corrected
        .iter()
        .filter(|c| c.state == CredentialState::Published)
        .count();
    let emailed = out.corrected.iter().filter(|c| c.notified).count();
    let (lead, verb, tail) = if out.dry_run {
        ("dry run: ", "would be corrected", "; nothing was changed")
    } else {
        ("", "corrected", "")
    };
    say!(
        "{lead}group {}: {} rows; {} credentials {verb} ({published} published), {} unchanged, {} rows refused; {emailed} recipients emailed again{tail}",
        out.group,
        out.rows,
        out.corrected.len(),
        out.unchanged.len(),
        out.refused
    );
    for c in out.corrected.iter().take(50) {
        say!("  {} (row {}, {}):", c.id, c.row, c.state.as_str());
        for change in &c.changes {
            say!(
                "    {}: {} -> {}",
                change.field,
                shown(&change.from),
                shown(&change.to)
            );
        }
    }
    if out.corrected.len() > 50 {
        say!(
            "  ... and {} more (--json lists them all)",
            out.corrected.len() - 50
        );
    }
    for f in out.findings.iter().take(50) {
        let severity = match f.severity {
            conferral::Severity::Error => "error",
            _ => "warning",
        };
        say!(
            "  {severity} {:<8} {}: {}",
            f.location(),
            f.code.as_str(),
            f.message
        );
    }
    if emailed > 0 && !out.dry_run {
        say!("run `conferral deliver` to send the emails queued again");
    }
}

/// `conferral discard`: remove drafts. Returns whether a selected credential was refused.
pub fn discard(
    store: &StoreArgs,
    batch: Option<String>,
    ids: Vec<String>,
    (dry_run, yes): (bool, bool),
    json: bool,
) -> Result<bool, CliError> {
    let ids = (!ids.is_empty()).then_some(ids);
    let selection = Selection::one_of(false, batch, ids)
        .map_err(|_| CliError::Usage("give exactly one of --batch B or credential ids".into()))?;
    let mut issuer = store.open()?;
    if !dry_run && !yes && std::io::stdin().is_terminal() {
        let n = issuer.count_selected(&selection, CredentialState::Draft)?;
        let question = format!("Discard {n} drafts? They cannot be brought back");
        if n > 0 && !ask(&question)? {
            say!("nothing was discarded");
            return Ok(false);
        }
    }
    let out = issuer.discard(&selection, dry_run)?;
    let refused = !out.refused.is_empty();
    if json {
        print_json(&out)?;
        return Ok(refused);
    }
    if dry_run {
        say!(
            "dry run: {} drafts would be discarded, {} credentials refused; nothing was changed",
            out.discarded.len(),
            out.refused.len()
        );
    } else {
        say!(
            "discarded {} drafts, {} credentials refused",
            out.discarded.len(),
            out.refused.len()
        );
    }
    for r in out.refused.iter().take(20) {
        say!("  not discarded {}: {}", r.id, r.message);
    }
    Ok(refused)
}
