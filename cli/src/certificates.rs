//! The certificate commands: `certificate` (one credential's, as PDF, PNG or SVG) and
//! `certificates` (a batch's, or any selection's, as a zip).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use conferral::issuer::Selection;
use conferral_certificate::Format;

use crate::CliError;
use crate::issuing::{StoreArgs, print_json};

/// `conferral certificate ID --out FILE [--format pdf|png|svg]`.
#[derive(Args)]
pub struct CertificateArgs {
    /// Credential id (published, revoked or expired).
    id: String,
    /// File to write.
    #[arg(long)]
    out: PathBuf,
    /// `pdf` (text as text, fonts embedded), `png` (150 dpi) or `svg` (text as outlines); by
    /// default the extension of --out, else pdf.
    #[arg(long, value_parser = format_name())]
    format: Option<Format>,
    #[command(flatten)]
    store: StoreArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `conferral certificates (--batch B | --all | ID...) --out FILE.zip [--format pdf]`.
#[derive(Args)]
pub struct CertificatesArgs {
    /// The credentials of this batch (its drafts are skipped).
    #[arg(long)]
    batch: Option<String>,
    /// Every credential (drafts are skipped).
    #[arg(long)]
    all: bool,
    /// These credentials.
    ids: Vec<String>,
    /// The zip to write: `<id>.<format>` per credential.
    #[arg(long)]
    out: PathBuf,
    /// The format of each certificate.
    #[arg(long, value_parser = format_name(), default_value = "pdf")]
    format: Format,
    #[command(flatten)]
    store: StoreArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

fn format_name() -> impl clap::builder::TypedValueParser<Value = Format> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::as_str)).try_map(
        |name: String| Format::from_name(&name).ok_or_else(|| format!("`{name}` is no format")),
    )
}

/// The partial file beside `path` that becomes it once whole.
fn partial(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> CliError + '_ {
    move |source| CliError::Write {
        path: path.display().to_string(),
        source,
    }
}

/// `conferral certificate`: one credential's certificate, written whole or not at all.
pub fn one(args: &CertificateArgs) -> Result<(), CliError> {
    let format = args
        .format
        .or_else(|| {
            args.out
                .extension()
                .and_then(|e| Format::from_name(&e.to_string_lossy()))
        })
        .unwrap_or(Format::Pdf);
    let issuer = args.store.open()?;
    let bytes = conferral_certificate::certificate(&issuer, &args.id, format)?;
    let part = partial(&args.out);
    std::fs::write(&part, &bytes).map_err(write_error(&args.out))?;
    std::fs::rename(&part, &args.out).map_err(write_error(&args.out))?;
    if args.json {
        return print_json(&serde_json::json!({
            "id": args.id,
            "file": args.out.display().to_string(),
            "format": format.as_str(),
            "bytes": bytes.len(),
        }));
    }
    say!(
        "wrote the certificate of {} to {} ({}, {} bytes)",
        args.id,
        args.out.display(),
        format.as_str().to_uppercase(),
        bytes.len()
    );
    Ok(())
}

/// `conferral certificates`: a zip of certificates, one drawn at a time. Returns whether a
/// named credential was refused (a draft).
pub fn zip(args: &CertificatesArgs) -> Result<bool, CliError> {
    let ids = (!args.ids.is_empty()).then(|| args.ids.clone());
    let selection = Selection::one_of(args.all, args.batch.clone(), ids).map_err(|_| {
        CliError::Usage("give exactly one of --batch B, --all or credential ids".into())
    })?;
    let issuer = args.store.open()?;
    let part = partial(&args.out);
    let file = std::fs::File::create(&part).map_err(write_error(&args.out))?;
    let mut out = std::io::BufWriter::new(file);
    let outcome = conferral_certificate::write_zip(&issuer, &selection, args.format, &mut out);
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) => {
            drop(out);
            let _ = std::fs::remove_file(&part);
            return Err(e.into());
        }
    };
    out.flush()
        .and_then(|()| out.get_ref().sync_all())
        .map_err(write_error(&args.out))?;
    drop(out);
    std::fs::rename(&part, &args.out).map_err(write_error(&args.out))?;
    let refused = !outcome.refused.is_empty();
    if args.json {
        print_json(&serde_json::json!({
            "file": args.out.display().to_string(),
            "format": args.format.as_str(),
            "written": outcome.written,
            "refused": outcome.refused,
        }))?;
        return Ok(refused);
    }
    say!(
        "wrote {} certificate(s) to {}",
        outcome.written.len(),
        args.out.display()
    );
    for r in &outcome.refused {
        say!("  no certificate for {}: {}", r.id, r.message);
    }
    Ok(refused)
}
