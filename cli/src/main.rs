//! `conferral`: the command line of the conferral library.
//!
//! The commands, flags, JSON report and exit statuses are a contract other tools rely on:
//! `analyze` exits 0 without error findings, 1 with error findings (the report is still
//! printed), and 2 when the file could not be analysed (with `--json`, stdout then holds
//! `{"error": {"kind": "...", "message": "..."}}`).

/// Prints a line on stdout; a closed pipe (`conferral drafts | head`) ends the output quietly.
/// A line of human output; whatever it holds that would act on the terminal is escaped.
macro_rules! say {
    ($($arg:tt)*) => {{
        let line = format!($($arg)*);
        let _ = writeln!(std::io::stdout(), "{}", crate::terminal::block(&line));
    }};
}

mod bounces;
mod certificates;
mod credentials;
mod groups;
mod issuing;
mod terminal;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::{Parser, Subcommand};
use conferral::output::OutputFormat;
use conferral::{
    AnalyzeOptions, FixCode, Group, Mapping, Progress, Report, SavedMappings, Severity,
};

#[derive(Parser)]
#[command(
    name = "conferral",
    version,
    about = "Issue digital credentials in batches from a spreadsheet"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The `--format` of a template: a name the core knows, listed in the help.
fn output_format() -> impl TypedValueParser<Value = OutputFormat> {
    PossibleValuesParser::new(OutputFormat::ALL.map(OutputFormat::as_str)).try_map(
        |name: String| {
            OutputFormat::from_name(&name).ok_or_else(|| format!("`{name}` is no output format"))
        },
    )
}

#[derive(Subcommand)]
enum KeyAction {
    /// Make a new Ed25519 issuer key from the operating system's generator, write it to a new
    /// file (readable by its owner alone) and print the issuer's DID (`did:key:z6Mk…`).
    New {
        /// The key file to write; an existing file is never replaced.
        #[arg(long)]
        out: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum Command {
    /// Write a roster template (CSV or XLSX) whose columns are the group's attributes.
    Template {
        /// Group definition (JSON).
        #[arg(long)]
        group: PathBuf,
        /// Template format.
        #[arg(long, value_parser = output_format())]
        format: OutputFormat,
        /// File to write.
        #[arg(long)]
        output: PathBuf,
    },
    /// Analyse a roster: find the header, match columns, validate every row.
    Analyze {
        #[command(flatten)]
        roster: RosterArgs,
        /// Saved mappings from earlier uploads (JSON object: normalised header to attribute or null).
        #[arg(long)]
        saved: Option<PathBuf>,
        /// Include the normalised values of valid rows.
        #[arg(long)]
        records: bool,
        /// Include the first N data rows as they read (at most 200), for a preview grid.
        #[arg(long, value_name = "N", default_value_t = 0)]
        preview: usize,
        /// Print the report as JSON on stdout.
        #[arg(long)]
        json: bool,
        /// Also write the findings as an error report (.csv or .xlsx, by extension).
        #[arg(long)]
        error_report: Option<PathBuf>,
        /// Threads for validation (0: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// Apply these suggested fixes (codes separated by commas, or `all`) and write the
        /// corrected roster to --output; the report is still the analysis of FILE as given.
        #[arg(long, value_name = "CODE,...", requires = "output")]
        fix: Option<String>,
        /// Where --fix writes the corrected roster (.csv or .xlsx, by extension).
        #[arg(long, value_name = "FILE", requires = "fix")]
        output: Option<PathBuf>,
    },
    /// Analyse a roster and store its valid rows as drafts (or publish them at once).
    Issue {
        /// Roster file: CSV/TSV/TXT, XLSX, XLSM, XLSB, XLS or ODS.
        file: PathBuf,
        /// Group definition (JSON), saved in the store, or the key of a group kept there.
        #[arg(long, required_unless_present = "group_column")]
        group: Option<PathBuf>,
        /// Instead of `--group`: the header of a column naming each row's group (a stored
        /// group's key or name); each group's rows are imported into it as its own batch.
        #[arg(long, conflicts_with = "group")]
        group_column: Option<String>,
        /// Sheet to read (workbooks); by default the first visible sheet with data.
        #[arg(long)]
        sheet: Option<String>,
        /// 1-based header row; detected when omitted.
        #[arg(long)]
        header_row: Option<u64>,
        /// Column mapping (JSON): {"columns": [{"column": "A", "attribute": "name"}]}.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Publish the drafts at once and queue their emails.
        #[arg(long)]
        publish: bool,
        /// Say what the import would do (drafts created, replaced, rows refused with their
        /// findings, a file imported before) and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Issue one credential without a spreadsheet: its values are validated exactly as a
    /// roster's row, with the same findings. Exits 1 when a value is refused (nothing is
    /// created)
    Create {
        /// The group: the key of a group kept in the store, or a group definition (JSON)
        /// to save.
        #[arg(long)]
        group: PathBuf,
        /// A value, as KEY=VALUE with an attribute's key (`name`, `email`, `issued_on`, a
        /// custom attribute's key); repeat for each.
        #[arg(long = "set", value_name = "KEY=VALUE", required = true)]
        set: Vec<String>,
        /// Publish it at once and queue its email.
        #[arg(long)]
        publish: bool,
        /// Check the values and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Correct a group's drafts and published credentials from a re-uploaded roster: each
    /// row names its credential by a credential id column (or, without one, by the
    /// recipient's email in the group); an empty cell leaves a value as it is and a cell
    /// holding exactly `[clear]` clears it. Values are validated as an import's; published
    /// credentials stay published and record the change. Exits 1 when a row is refused (the
    /// others are applied). On a terminal it asks first.
    Correct {
        /// The correction roster: CSV/TSV/TXT, XLSX, XLSM, XLSB, XLS or ODS.
        file: PathBuf,
        /// The group: a group definition (JSON) or the key of a group kept in the store.
        #[arg(long)]
        group: PathBuf,
        /// Sheet to read (workbooks); by default the first visible sheet with data.
        #[arg(long)]
        sheet: Option<String>,
        /// 1-based header row; detected when omitted.
        #[arg(long)]
        header_row: Option<u64>,
        /// Column mapping (JSON): {"columns": [{"column": "A", "attribute": "name"}]}.
        #[arg(long)]
        mapping: Option<PathBuf>,
        /// Tell the recipients of corrected published credentials again: their email is
        /// rendered with the new values and queued again (run `conferral deliver`).
        #[arg(long)]
        notify: bool,
        /// Show every change as before -> after, and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (asked only when standard input is a terminal).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Remove drafts from the store: a batch imported by mistake (a batch left empty is
    /// removed too, so its file can be imported again). Published credentials are refused
    /// (revoke them instead): exits 1 when one is selected. On a terminal it asks first.
    Discard {
        /// The drafts of this batch.
        #[arg(long)]
        batch: Option<String>,
        /// These drafts.
        ids: Vec<String>,
        /// Say what would be removed, and remove nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation (asked only when standard input is a terminal).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List drafts.
    Drafts {
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Show one credential, its history and its email's delivery.
    Show {
        /// Credential id.
        id: String,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Amend a draft: name, email, dates or custom attributes, validated as on import.
    Edit {
        /// Credential id.
        id: String,
        /// A new value, as KEY=VALUE (repeat for several; an empty value clears).
        #[arg(long = "set", required = true)]
        set: Vec<String>,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Render the email of a credential without sending it.
    Preview {
        /// Credential id.
        id: String,
        /// Print the HTML body instead of the text body.
        #[arg(long)]
        html: bool,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Publish drafts and queue one email each, 5,000 per atomic step (run again to finish a
    /// publish that stopped). Exits 1 when a draft's email cannot be rendered (it stays a draft).
    /// On a terminal it asks first, showing how many credentials and emails.
    Publish {
        /// Every draft.
        #[arg(long)]
        all: bool,
        /// The drafts of this batch.
        #[arg(long)]
        batch: Option<String>,
        /// These credentials.
        ids: Vec<String>,
        /// Do not ask for confirmation (asked only when standard input is a terminal).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Send the queued emails that are due.
    Deliver {
        /// Write each email as an .eml file into this folder.
        #[arg(long)]
        outbox: Option<PathBuf>,
        /// Send through this SMTP server: smtp://host:port, smtps://user:pass@host, ?tls=starttls.
        #[arg(long)]
        smtp: Option<String>,
        /// Send at most this many.
        #[arg(long)]
        limit: Option<u64>,
        /// Workers sending at once, each with its own connection; any number of `deliver`
        /// runs may share a store at the same time.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Apply bounce and complaint reports (RFC 3464 delivery status notifications, ARF
    /// feedback reports): a hard bounce or a complaint about an email sent from this store
    /// marks it bounced and suppresses its address; a soft bounce is recorded; a delay or a
    /// report about an email never sent changes nothing. Processing a report again changes
    /// nothing more. Exits 1 when a report could not be read.
    Bounces {
        /// A folder of `.eml` files, an mbox file, or one `.eml` file.
        path: PathBuf,
        /// Say what each report would do and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The suppression list: addresses no email is sent to (`list`, `add EMAIL`,
    /// `remove EMAIL`).
    Suppress {
        #[command(subcommand)]
        action: bounces::SuppressAction,
    },
    /// Issuer keys: `key new --out KEY.json` makes one and prints its DID.
    Key {
        #[command(subcommand)]
        action: KeyAction,
    },
    /// Check a signed credential (Open Badges 3.0 / VC 2.0, `eddsa-rdfc-2022`): its shape,
    /// proof, issuer, dates and, given its status list, whether it was revoked. Exits 0 when
    /// valid, 1 when not (with the reasons), 2 when the file cannot be read as a credential.
    Verify {
        /// The credential (JSON).
        file: PathBuf,
        /// The issuer's status list credential, to check revocation.
        #[arg(long)]
        status_list: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write each published (or revoked or expired) credential as a signed Open Badges 3.0
    /// credential, `<id>.json` in DIR. Exits 1 when a named credential is a draft.
    Export {
        /// Every credential.
        #[arg(long)]
        all: bool,
        /// The credentials of this batch.
        #[arg(long)]
        batch: Option<String>,
        /// These credentials.
        ids: Vec<String>,
        /// The issuer's key file (`conferral key new`).
        #[arg(long)]
        key: PathBuf,
        /// Folder to write into (created if missing).
        #[arg(long)]
        out: PathBuf,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Revoke credentials: they fail verification once the status list is published again
    /// (`conferral status-list`). Exits 1 when one cannot be revoked (a draft).
    Revoke {
        /// The published credentials of this batch.
        #[arg(long)]
        batch: Option<String>,
        /// These credentials.
        ids: Vec<String>,
        /// A roster (any format `issue` reads) whose rows name the credentials: by a
        /// credential id column, or by the recipients' emails within `--group`.
        #[arg(long, requires = "group")]
        roster: Option<PathBuf>,
        /// The group the roster's credentials belong to: a group file or a stored key.
        #[arg(long, requires = "roster")]
        group: Option<PathBuf>,
        /// With `--roster`: say what would be revoked, and change nothing.
        #[arg(long, requires = "roster")]
        dry_run: bool,
        /// Why, kept in each credential's history.
        #[arg(long)]
        reason: String,
        /// Also email each recipient a revocation notice (its group's `notices.revoked`
        /// wording, or the library's), sent by the next `conferral deliver`.
        #[arg(long)]
        notify: bool,
        /// Do not ask for confirmation (asked only when standard input is a terminal).
        #[arg(long)]
        yes: bool,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Re-issue an expired (or published) credential: a new one for the same recipient and
    /// values in its group, issued today, expiring after the group's validity (or as long
    /// after as the old one ran). The group's duplicate policy applies. Exits 1 when refused.
    Renew {
        /// The credential to renew.
        id: String,
        /// Today's date where the issuer is, as YYYY-MM-DD (by default the date in UTC).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        /// Publish it at once and queue its email.
        #[arg(long)]
        publish: bool,
        /// Check the values and change nothing.
        #[arg(long)]
        dry_run: bool,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print the outcome as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Queue reminders to recipients who have not viewed their credential, for groups with
    /// `notices.reminder` (run it from a scheduler; `conferral deliver` sends them). Nobody
    /// is reminded twice, however often or however many run.
    Remind {
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the issuer's signed revocation status list (a `BitstringStatusListCredential`),
    /// to publish at the URL the credentials name.
    StatusList {
        /// The issuer's key file: the one the credentials were exported with.
        #[arg(long)]
        key: PathBuf,
        /// File to write.
        #[arg(long)]
        out: PathBuf,
        /// Which list (numbered from 0; each holds 16,777,216 credentials).
        #[arg(long, default_value_t = 0)]
        list: u64,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Serve each credential's page (the email's link), its signed document, the status
    /// list and a health check over HTTP, until interrupted. The analytics page needs a token:
    /// give it in the environment variable CONFERRAL_ANALYTICS_TOKEN.
    Serve {
        /// Address to listen on (port 0 picks a free port, printed at start).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// The issuer's key file: pages verify their credential, and signed documents and the
        /// status list are served.
        #[arg(long)]
        key: Option<PathBuf>,
        /// Store connections, that many requests served at once.
        #[arg(long, default_value_t = 4)]
        connections: usize,
        /// Requests a second allowed per client address, after a burst of --burst.
        #[arg(long, default_value_t = 20.0)]
        rate: f64,
        /// Requests a client address may make at once.
        #[arg(long, default_value_t = 100.0)]
        burst: f64,
        #[command(flatten)]
        store: issuing::StoreArgs,
    },
    /// Figures per group and batch from the event log: issued, delivered and the delivery
    /// rate, viewed and the view rate, downloads, LinkedIn shares, and a daily series.
    Stats {
        /// Only this group (its key).
        #[arg(long)]
        group: Option<String>,
        /// Only this batch.
        #[arg(long)]
        batch: Option<String>,
        /// Only events on or after this day (YYYY-MM-DD).
        #[arg(long)]
        since: Option<chrono::NaiveDate>,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Counts per credential state and per email delivery state, the oldest email of each
    /// state, and the workers holding emails being sent.
    Status {
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the column mappings learned for a group from confirmed imports, or forget them.
    Mappings {
        /// The group (its JSON file).
        #[arg(long)]
        group: PathBuf,
        /// Forget the learned mappings of these headers (all of them when none is given).
        #[arg(long)]
        forget: bool,
        /// Headers to forget, as written in a roster.
        headers: Vec<String>,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Mark published credentials whose expiry date has passed as expired (run it daily from
    /// a scheduler). A credential expiring on 2 March is valid all that day: it expires
    /// when `--today` (by default the date in UTC) is the 3rd or later.
    Expire {
        /// Today's date where the issuer is, as YYYY-MM-DD (by default the date in UTC).
        #[arg(long)]
        today: Option<chrono::NaiveDate>,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Groups kept in the store: `group add|update FILE.json`, `group list`, `group show
    /// KEY`. Each change is a new version; a credential keeps the version it was published
    /// under. Issuing commands take a stored group's key as `--group`.
    Group {
        #[command(subcommand)]
        action: groups::GroupAction,
    },
    /// Write a credential's certificate (its group's design, or the default) as PDF, PNG or
    /// SVG, drawn with bundled fonts.
    Certificate(certificates::CertificateArgs),
    /// Write the certificates of a batch (or of credential ids, or all) into a zip, one
    /// `<id>.pdf` each. Exits 1 when a named credential is a draft.
    Certificates(certificates::CertificatesArgs),
    /// Queue the emails of these credentials again (same Message-ID).
    Resend {
        /// Credential ids.
        #[arg(required = true)]
        ids: Vec<String>,
        #[command(flatten)]
        store: issuing::StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, thiserror::Error)]
enum CliError {
    #[error("{0}")]
    Core(#[from] conferral::Error),
    #[error("cannot read `{path}`: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write `{path}`: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("`{0}` must end in .csv or .xlsx")]
    ReportExtension(String),
    #[error("the analysis stopped on an internal fault: {0}")]
    Internal(String),
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    fn kind(&self) -> &'static str {
        match self {
            CliError::Core(e) => e.kind().as_str(),
            CliError::Read { .. } => "io",
            CliError::Write { .. } => "io",
            CliError::ReportExtension(_) | CliError::Usage(_) => "usage",
            CliError::Internal(_) => "internal",
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    read_file(path).map_err(|source| CliError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Files from this size on are read in two halves at once.
const READ_IN_HALVES: u64 = 16 << 20;

/// Reads a whole file. A large one is read in two halves on two threads: copying from the
/// page cache into fresh memory (whose every page the kernel clears on first touch) is most
/// of the time it takes, and splits well. A file that changes size meanwhile is read again,
/// whole, the plain way.
fn read_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    #[cfg(unix)]
    if meta.is_file()
        && meta.len() >= READ_IN_HALVES
        && let Ok(len) = usize::try_from(meta.len())
    {
        use std::os::unix::fs::FileExt;
        // Reads into `buf` from `offset` until it is full or the file ends; how much it read.
        let fill = |buf: &mut [u8], offset: u64| -> std::io::Result<usize> {
            let mut done = 0;
            while let Some(rest) = buf.get_mut(done..) {
                if rest.is_empty() {
                    break;
                }
                match file.read_at(rest, offset + done as u64) {
                    Ok(0) => break,
                    Ok(n) => done += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            Ok(done)
        };
        let mut out = vec![0u8; len];
        let (first, second) = out.split_at_mut(len / 2);
        let half = first.len();
        let (a, b) = std::thread::scope(|scope| {
            let other =
                std::thread::Builder::new().spawn_scoped(scope, || fill(second, half as u64));
            let a = fill(first, 0);
            let b = match other {
                Ok(handle) => handle
                    .join()
                    .unwrap_or_else(|_| Err(std::io::Error::other("the reading thread failed"))),
                // No second thread: the check below reads the file again, whole.
                Err(_) => Ok(usize::MAX),
            };
            (a, b)
        });
        let (a, b) = (a?, b?);
        if a == half && b == len - half {
            // Anything written past the size the file had is read too, as a plain read would.
            std::io::Seek::seek(&mut file, std::io::SeekFrom::Start(len as u64))?;
            file.read_to_end(&mut out)?;
            return Ok(out);
        }
        // The file shrank while it was read (or no second thread started): read it again,
        // whole.
        return std::fs::read(path);
    }
    let mut out = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.read_to_end(&mut out)?;
    Ok(out)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    std::fs::write(path, bytes).map_err(|source| CliError::Write {
        path: path.display().to_string(),
        source,
    })
}

fn load_group(path: &Path) -> Result<Group, CliError> {
    let bytes = read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let group = Group::from_json(&text)?;
    group.schema()?;
    Ok(group)
}

/// Exit status of an issuing command: 0 done, 1 done with refused rows or failed emails,
/// 2 could not run (with `--json`, the error object on stdout).
fn finish(result: Result<bool, CliError>, json: bool) -> ExitCode {
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(e) => {
            if json {
                let body =
                    serde_json::json!({"error": {"kind": e.kind(), "message": e.to_string()}});
                // Stdout may be the closed pipe that caused the error: say it if it can be said.
                let _ = writeln!(std::io::stdout(), "{body}");
            } else {
                let _ = writeln!(std::io::stderr(), "error: {e}");
            }
            ExitCode::from(2)
        }
    }
}

/// The column mapping file given with `--mapping`, if any.
fn load_mapping(path: Option<&Path>) -> Result<Option<Mapping>, CliError> {
    match path {
        Some(path) => Ok(Some(Mapping::from_json(&String::from_utf8_lossy(&read(
            path,
        )?))?)),
        None => Ok(None),
    }
}

/// The roster and how to read it: what `analyze` and `issue` share.
#[derive(clap::Args, Debug)]
struct RosterArgs {
    /// Roster file: CSV/TSV/TXT, XLSX, XLSM, XLSB, XLS or ODS.
    file: PathBuf,
    /// Group definition (JSON); `issue` saves it in the store. `issue` also takes the key
    /// of a group kept in the store.
    #[arg(long)]
    group: PathBuf,
    /// Sheet to read (workbooks); by default the first visible sheet with data.
    #[arg(long)]
    sheet: Option<String>,
    /// 1-based header row; detected when omitted.
    #[arg(long)]
    header_row: Option<u64>,
    /// Column mapping (JSON): {"columns": [{"column": "A", "attribute": "name"}]}.
    #[arg(long)]
    mapping: Option<PathBuf>,
}

impl RosterArgs {
    /// The file's bytes and the options that say how to read it.
    fn read(&self) -> Result<(Vec<u8>, AnalyzeOptions), CliError> {
        let options = self.options()?;
        let bytes = read(&self.file)?;
        Ok((bytes, options))
    }

    /// The options that say how to read the file.
    fn options(&self) -> Result<AnalyzeOptions, CliError> {
        let mapping = load_mapping(self.mapping.as_deref())?;
        Ok(AnalyzeOptions {
            file_name: self
                .file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned()),
            sheet: self.sheet.clone(),
            header_row: self.header_row,
            mapping,
            ..AnalyzeOptions::default()
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Issue {
            file,
            group,
            group_column,
            sheet,
            header_row,
            mapping,
            publish,
            dry_run,
            store,
            json,
        } => {
            let how = issuing::Publish { publish, dry_run };
            let roster = RosterArgs {
                file,
                group: group.unwrap_or_default(),
                sheet,
                header_row,
                mapping,
            };
            match group_column {
                Some(column) => finish(
                    issuing::issue_groups(&store, &roster, &column, how, json),
                    json,
                ),
                None => finish(issuing::issue(&store, &roster, how, json), json),
            }
        }
        Command::Create {
            group,
            set,
            publish,
            dry_run,
            store,
            json,
        } => finish(
            issuing::create(
                &store,
                &group,
                &set,
                issuing::Publish { publish, dry_run },
                json,
            ),
            json,
        ),
        Command::Correct {
            file,
            group,
            sheet,
            header_row,
            mapping,
            notify,
            dry_run,
            yes,
            store,
            json,
        } => {
            let roster = RosterArgs {
                file,
                group,
                sheet,
                header_row,
                mapping,
            };
            let how = issuing::Correcting {
                notify,
                dry_run,
                yes,
            };
            finish(issuing::correct(&store, &roster, how, json), json)
        }
        Command::Discard {
            batch,
            ids,
            dry_run,
            yes,
            store,
            json,
        } => finish(
            issuing::discard(&store, batch, ids, (dry_run, yes), json),
            json,
        ),
        Command::Drafts { batch, store, json } => {
            finish(issuing::drafts(&store, batch, json).map(|()| false), json)
        }
        Command::Show { id, store, json } => {
            finish(issuing::show(&store, &id, json).map(|()| false), json)
        }
        Command::Edit {
            id,
            set,
            store,
            json,
        } => finish(issuing::edit(&store, &id, &set, json).map(|()| false), json),
        Command::Preview {
            id,
            html,
            store,
            json,
        } => finish(
            issuing::preview(&store, &id, html, json).map(|()| false),
            json,
        ),
        Command::Publish {
            all,
            batch,
            ids,
            yes,
            store,
            json,
        } => finish(issuing::publish(&store, all, batch, ids, yes, json), json),
        Command::Deliver {
            outbox,
            smtp,
            limit,
            workers,
            store,
            json,
        } => finish(
            issuing::deliver(
                &store,
                outbox.as_deref(),
                smtp.as_deref(),
                limit,
                workers,
                json,
            ),
            json,
        ),
        Command::Bounces {
            path,
            dry_run,
            store,
            json,
        } => finish(bounces::bounces(&store, &path, dry_run, json), json),
        Command::Suppress { action } => {
            let json = action.json();
            finish(bounces::suppress(action), json)
        }
        Command::Status { store, json } => {
            finish(issuing::status(&store, json).map(|()| false), json)
        }
        Command::Key {
            action: KeyAction::New { out, json },
        } => finish(credentials::key_new(&out, json).map(|()| false), json),
        Command::Verify {
            file,
            status_list,
            json,
        } => finish(
            credentials::verify(&file, status_list.as_deref(), json),
            json,
        ),
        Command::Export {
            all,
            batch,
            ids,
            key,
            out,
            store,
            json,
        } => finish(
            credentials::export(&store, all, batch, ids, &key, &out, json),
            json,
        ),
        Command::Revoke {
            batch,
            ids,
            roster: Some(file),
            group: Some(group),
            dry_run,
            reason,
            notify,
            yes,
            store,
            json,
        } if batch.is_none() && ids.is_empty() => {
            let roster = RosterArgs {
                file,
                group,
                sheet: None,
                header_row: None,
                mapping: None,
            };
            let how = credentials::Revoking {
                reason: &reason,
                notify,
                dry_run,
                yes,
            };
            finish(
                credentials::revoke_roster(&store, &roster, &how, json),
                json,
            )
        }
        Command::Revoke {
            batch,
            ids,
            roster,
            reason,
            notify,
            yes,
            store,
            json,
            ..
        } => {
            if roster.is_some() {
                let e = CliError::Usage(
                    "give one of --roster FILE --group G, --batch B or credential ids".into(),
                );
                return finish(Err(e), json);
            }
            finish(
                credentials::revoke(&store, batch, ids, &reason, notify, yes, json),
                json,
            )
        }
        Command::Renew {
            id,
            today,
            publish,
            dry_run,
            store,
            json,
        } => finish(
            issuing::renew(
                &store,
                &id,
                today,
                issuing::Publish { publish, dry_run },
                json,
            ),
            json,
        ),
        Command::Remind { store, json } => {
            finish(issuing::remind(&store, json).map(|()| false), json)
        }
        Command::StatusList {
            key,
            out,
            list,
            store,
            json,
        } => finish(
            credentials::status_list(&store, &key, &out, list, json).map(|()| false),
            json,
        ),
        Command::Serve {
            listen,
            key,
            connections,
            rate,
            burst,
            store,
        } => finish(
            credentials::serve(&store, listen, key.as_deref(), connections, rate, burst)
                .map(|()| false),
            false,
        ),
        Command::Stats {
            group,
            batch,
            since,
            store,
            json,
        } => finish(
            issuing::stats(&store, group, batch, since, json).map(|()| false),
            json,
        ),
        Command::Expire { today, store, json } => {
            finish(issuing::expire(&store, today, json).map(|()| false), json)
        }
        Command::Group { action } => {
            let json = action.json();
            finish(groups::run(action), json)
        }
        Command::Mappings {
            group,
            forget,
            headers,
            store,
            json,
        } => finish(
            load_group(&group)
                .and_then(|g| issuing::mappings(&store, &g, forget, &headers, json))
                .map(|()| false),
            json,
        ),
        Command::Certificate(args) => finish(certificates::one(&args).map(|()| false), args.json),
        Command::Certificates(args) => finish(certificates::zip(&args), args.json),
        Command::Resend { ids, store, json } => {
            finish(issuing::resend(&store, &ids, json).map(|()| false), json)
        }
        Command::Template {
            group,
            format,
            output,
        } => match template(&group, format, &output) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(2)
            }
        },
        Command::Analyze {
            roster,
            saved,
            records,
            preview,
            json,
            error_report,
            threads,
            fix,
            output,
        } => {
            let fixing = fix.as_deref().zip(output.as_deref());
            let result = std::panic::catch_unwind(|| {
                analyze(
                    &roster,
                    saved.as_deref(),
                    (records, preview),
                    threads,
                    (error_report.as_deref(), fixing),
                )
            })
            .unwrap_or_else(|panic| {
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                Err(CliError::Internal(what))
            });
            match result {
                Ok(report) => {
                    let shown = if json {
                        print_report_json(&report, threads)
                    } else {
                        print_human(&report, &roster.file)
                    };
                    if let Err(e) = shown {
                        eprintln!("error: cannot write the report: {e}");
                        return ExitCode::from(2);
                    }
                    let code = if report.has_errors() {
                        ExitCode::from(1)
                    } else {
                        ExitCode::SUCCESS
                    };
                    // The process ends now, and its memory goes back whole: quicker than
                    // freeing a large report (a million records) piece by piece.
                    std::mem::forget(report);
                    code
                }
                Err(e) => {
                    if json {
                        let body = serde_json::json!({"error": {"kind": e.kind(), "message": e.to_string()}});
                        println!("{body}");
                    } else {
                        eprintln!("error: {e}");
                    }
                    ExitCode::from(2)
                }
            }
        }
    }
}

fn template(group: &Path, format: OutputFormat, output: &Path) -> Result<(), CliError> {
    let group = load_group(group)?;
    let bytes = format.template(&group)?;
    write(output, &bytes)?;
    eprintln!("wrote {}", output.display());
    Ok(())
}

fn analyze(
    roster: &RosterArgs,
    saved: Option<&Path>,
    (records, preview): (bool, usize),
    threads: usize,
    (error_report, fixing): (Option<&Path>, Option<(&str, &Path)>),
) -> Result<Report, CliError> {
    let group = load_group(&roster.group)?;
    let read_options = roster.options()?;
    // Opened now, read as it is analysed (so a missing file is still the first error).
    let file = std::fs::File::open(&roster.file).map_err(|source| CliError::Read {
        path: roster.file.display().to_string(),
        source,
    })?;
    let saved = match saved {
        Some(path) => serde_json::from_slice::<SavedMappings>(&read(path)?).map_err(|e| {
            conferral::Error::new(
                conferral::ErrorKind::InvalidMapping,
                "the saved mappings are not a JSON object of header to attribute",
            )
            .with_source(e)
        })?,
        None => SavedMappings::default(),
    };
    let options = AnalyzeOptions {
        saved,
        records,
        preview,
        threads,
        ..read_options
    };
    // Both outputs' formats are checked before the analysis, which may take a while.
    let format_of = |path: &Path| {
        OutputFormat::from_path(&path.to_string_lossy())
            .ok_or_else(|| CliError::ReportExtension(path.display().to_string()))
    };
    let error_report = error_report
        .map(|p| format_of(p).map(|f| (p, f)))
        .transpose()?;
    let named = fixing.is_some_and(|(codes, _)| !codes.split(',').any(|c| c.trim() == "all"));
    let fixing = match fixing {
        Some((codes, path)) => Some((FixCode::parse_list(codes)?, path, format_of(path)?)),
        None => None,
    };
    let interactive = std::io::stderr().is_terminal();
    let mut progress = |p: Progress| {
        if interactive && p.rows > 0 {
            eprint!("\ranalyzing: {} rows", p.rows);
        }
        true
    };
    let (report, fixed) = match fixing {
        Some((codes, path, format)) => {
            let bytes = read(&roster.file)?;
            let fixed =
                conferral::fix_cancellable(&bytes, &group, &options, &codes, &mut progress)?;
            (fixed.report, Some((fixed.roster, codes, path, format)))
        }
        None => {
            let report = analyze_file(&file, &roster.file, (&group, &options), &mut progress)?;
            (report, None)
        }
    };
    if interactive && report.summary.rows >= 65_536 {
        eprintln!();
    }
    if let Some((path, format)) = error_report {
        let bytes = format.error_report(&report)?;
        write(path, &bytes)?;
    }
    if let Some((roster, codes, path, format)) = fixed {
        write(path, &format.roster(&roster)?)?;
        say_applied(&report, (&codes, named), roster.rows.len(), path);
    }
    Ok(report)
}

/// Analyses an opened roster file. A regular file is read as it is analysed (a large CSV is
/// then never held whole); anything else (a pipe, a device) is read whole first.
fn analyze_file(
    file: &std::fs::File,
    path: &Path,
    (group, options): (&Group, &AnalyzeOptions),
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Report, CliError> {
    use std::io::Read;
    let failed = |source| CliError::Read {
        path: path.display().to_string(),
        source,
    };
    if file.metadata().map_err(failed)?.is_file() {
        return Ok(conferral::analyze_reader(file, group, options, progress).map_err(failed)??);
    }
    let mut bytes = Vec::new();
    let mut file = file;
    file.read_to_end(&mut bytes).map_err(failed)?;
    Ok(conferral::analyze_cancellable(
        &bytes, group, options, progress,
    )?)
}

/// Says on stderr what `--fix` changed and where the corrected roster went (stdout holds the
/// report).
fn say_applied(report: &Report, (codes, named): (&[FixCode], bool), rows: usize, path: &Path) {
    let mut applied = Vec::new();
    for fix in report.fixes.iter().filter(|f| codes.contains(&f.code)) {
        let unit = if fix.code == FixCode::DropDuplicateRows {
            "row(s) removed"
        } else {
            "cell(s)"
        };
        let place = fix
            .column
            .as_deref()
            .map(|c| format!(" in column {c}"))
            .unwrap_or_default();
        applied.push(format!(
            "{} ({} {unit}{place})",
            fix.code.as_str(),
            fix.count
        ));
    }
    // Codes named one by one that found nothing are worth a word; `all` names them all.
    let unused: Vec<&str> = codes
        .iter()
        .filter(|c| named && !report.fixes.iter().any(|f| f.code == **c))
        .map(|c| c.as_str())
        .collect();
    let mut err = std::io::stderr().lock();
    if applied.is_empty() {
        let _ = writeln!(err, "no fix applied");
    } else {
        let _ = writeln!(err, "applied: {}", applied.join(", "));
    }
    if !unused.is_empty() {
        let _ = writeln!(err, "not suggested for this roster: {}", unused.join(", "));
    }
    let _ = writeln!(err, "wrote {} ({rows} data rows)", path.display());
}

/// Prints pretty JSON and a newline on stdout.
fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)?;
    out.flush()
}

/// Prints a report as [`print_json`] would, its records rendered on `threads` threads.
fn print_report_json(report: &Report, threads: usize) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    // Records come in pieces of hundreds of kilobytes, written straight through: the buffer
    // gathers the small writes of the rest.
    let mut out = std::io::BufWriter::with_capacity(64 << 10, stdout.lock());
    report.write_json_pretty(&mut out, threads)?;
    writeln!(out)?;
    out.flush()
}

fn print_human(report: &Report, file: &Path) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let s = &report.source;
    let mut how = vec![s.format.as_str().to_uppercase()];
    if let Some(e) = s.encoding {
        how.push(e.as_str().to_owned());
    }
    if let Some(d) = &s.delimiter {
        how.push(format!(
            "delimiter {}",
            if d == "\t" {
                "tab".to_owned()
            } else {
                format!("`{d}`")
            }
        ));
    }
    if let Some(sheet) = &s.sheet {
        how.push(format!("sheet `{}`", terminal::value(sheet)));
    }
    how.push(format!("header on row {}", s.header_row));
    writeln!(out, "{}: {}", file.display(), how.join(", "))?;
    writeln!(out, "\ncolumns:")?;
    for c in &report.columns {
        let target = match (&c.attribute, c.alternatives.first()) {
            (Some(a), _) => format!("-> {a} ({:?}, {:.2})", c.tier, c.score).to_lowercase(),
            (None, Some(alt)) => {
                format!("   not mapped (maybe {}, {:.2})", alt.attribute, alt.score)
            }
            (None, None) => "   not mapped".to_owned(),
        };
        writeln!(
            out,
            "  {:>3}  {:<34} {target}",
            c.letter,
            truncate(&terminal::value(&c.header), 34)
        )?;
    }
    let sum = &report.summary;
    writeln!(
        out,
        "\n{} rows: {} valid, {} invalid; {} errors, {} warnings",
        sum.rows, sum.valid, sum.invalid, sum.errors, sum.warnings
    )?;
    const SHOWN: usize = 25;
    if !report.findings.is_empty() {
        writeln!(out, "\nfindings:")?;
    }
    for f in report.findings.iter().take(SHOWN) {
        let at = f.location();
        let level = if f.severity == Severity::Error {
            "error"
        } else {
            "warn "
        };
        writeln!(
            out,
            "  {level} {at:<8} {}: {}",
            f.code.as_str(),
            terminal::value(&f.message)
        )?;
        writeln!(out, "  {:<14} help: {}", "", terminal::value(&f.help))?;
    }
    if report.findings.len() > SHOWN {
        writeln!(
            out,
            "  … and {} more (use --json or --error-report for all)",
            report.findings.len() - SHOWN
        )?;
    }
    print_fixes(&mut out, report)?;
    out.flush()
}

/// The suggested fixes, each with its first changes, and how to apply them.
fn print_fixes(out: &mut impl Write, report: &Report) -> std::io::Result<()> {
    const CHANGES_SHOWN: usize = 3;
    if report.fixes.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nsuggested fixes (apply with --fix CODE,... --output FILE):"
    )?;
    for fix in &report.fixes {
        let at = fix
            .column
            .as_deref()
            .map_or_else(|| "rows".to_owned(), |c| format!("col {c}"));
        writeln!(
            out,
            "  {:<20} {at:<8} {}",
            fix.code.as_str(),
            terminal::value(&fix.message)
        )?;
        for change in fix.changes.iter().take(CHANGES_SHOWN) {
            let shown = match (&change.cell, &change.before, &change.after) {
                (Some(cell), Some(before), Some(after)) => format!(
                    "{cell}: `{}` -> `{}`",
                    terminal::value(before),
                    terminal::value(after)
                ),
                _ => format!(
                    "row {}: removed (same as row {})",
                    change.row,
                    change.duplicate_of.unwrap_or_default()
                ),
            };
            writeln!(out, "  {:<29} {shown}", "")?;
        }
        let more = fix.count.saturating_sub(CHANGES_SHOWN as u64);
        if more > 0 {
            writeln!(out, "  {:<29} … and {more} more", "")?;
        }
    }
    Ok(())
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut t: String = text.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}
