//! `rolo import` and `rolo export`: the `transfer` crate from the command line.

use std::io::{BufWriter, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Args, ValueEnum};
use domain::{AccountInfo, Origin};
use store::{Scope, Store, StoreError};
use transfer::{
    ColumnTarget, Duplicates, ExportFormat, ExportOptions, Field, Format, ImportOptions, Layout,
    Limits, Preview, Progress, Selection, TransferError, VcardVersion,
};

use crate::cli_books::{account, find_book};
use crate::config::Config;
use crate::setup::open_store;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The account that imports (into its first address book unless --book says otherwise).
    #[arg(long)]
    pub account: String,
    /// The address book to import into, by name or id, among those the account may write to
    /// (an administrator's include the company directories).
    #[arg(long)]
    pub book: Option<String>,
    /// An administrator importing into --account's book on its behalf: the history names the
    /// administrator and the audit log records the import (who, when, file, counts).
    #[arg(long, value_name = "ADMIN")]
    pub by: Option<String>,
    /// A CSV (or TSV), Excel (.xlsx, .xls) or vCard (.vcf) file.
    pub file: PathBuf,
    /// Read the file as this format instead of detecting it.
    #[arg(long, value_enum)]
    pub format: Option<FileFormat>,
    /// Text encoding instead of the detected one: utf-8, gbk, gb18030, big5, utf-16le, windows-1252, …
    #[arg(long)]
    pub encoding: Option<String>,
    /// What to do with a row matching a known contact (same UID, phone number or email address).
    #[arg(long, value_enum, default_value = "skip")]
    pub duplicates: DuplicatesArg,
    /// Also put every imported contact in this group (by name; created if missing). The groups
    /// the file names are applied in any case.
    #[arg(long)]
    pub group: Option<String>,
    /// Also write every row's outcome (line, outcome, contact, reason) to this CSV file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Only show what would be imported (detection, columns, first rows); write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Refuse files larger than this many megabytes.
    #[arg(long, default_value_t = 100)]
    pub max_mb: usize,
    /// Refuse files with more rows (or cards) than this.
    #[arg(long, default_value_t = 200_000)]
    pub max_rows: usize,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    #[value(alias = "tsv")]
    Csv,
    #[value(alias = "xls")]
    Xlsx,
    #[value(alias = "vcard")]
    Vcf,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuplicatesArg {
    /// Leave the known contact alone.
    Skip,
    /// Merge the row into the known contact (nothing is lost).
    Update,
    /// Create a new contact anyway.
    Create,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// The account that exports (its first address book unless --book says otherwise).
    #[arg(long)]
    pub account: String,
    /// The address book to export, by name or id, among those the account may read.
    #[arg(long)]
    pub book: Option<String>,
    #[arg(long, value_enum, default_value = "csv")]
    pub format: ExportFormatArg,
    /// Write to this file instead of standard output (required for xlsx).
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormatArg {
    /// CSV with every field (restorable by import), UTF-8 with BOM.
    Csv,
    /// CSV in Google Contacts' columns.
    GoogleCsv,
    /// CSV in Outlook's columns.
    OutlookCsv,
    /// Excel workbook.
    Xlsx,
    /// Excel workbook with one sheet per group.
    XlsxGroups,
    /// vCard 4.0.
    Vcf,
    /// vCard 3.0, for older clients.
    Vcf3,
}

impl ExportFormatArg {
    fn format(self) -> ExportFormat {
        match self {
            ExportFormatArg::Csv => ExportFormat::Csv(Layout::Rolo),
            ExportFormatArg::GoogleCsv => ExportFormat::Csv(Layout::Google),
            ExportFormatArg::OutlookCsv => ExportFormat::Csv(Layout::Outlook),
            ExportFormatArg::Xlsx => ExportFormat::Xlsx,
            ExportFormatArg::XlsxGroups => ExportFormat::XlsxPerGroup,
            ExportFormatArg::Vcf => ExportFormat::Vcard(VcardVersion::V4),
            ExportFormatArg::Vcf3 => ExportFormat::Vcard(VcardVersion::V3),
        }
    }
}

/// The book `name` (a name or an id) among those `account` may read; its first without one.
async fn book(store: &Store, account: &AccountInfo, name: Option<&str>) -> Result<Scope, String> {
    match name {
        None => Ok(Scope::from(account.id)),
        Some(name) => find_book(store, account, name).await.map(|(_, scope)| scope),
    }
}

fn import_options(args: &ImportArgs) -> Result<ImportOptions, String> {
    let format = args.format.map(|f| match f {
        FileFormat::Csv => Format::Csv,
        FileFormat::Xlsx => Format::Xlsx,
        FileFormat::Vcf => Format::Vcard,
    });
    let encoding = args
        .encoding
        .as_deref()
        .map(transfer::encoding_for_label)
        .transpose()
        .map_err(|e| e.to_string())?;
    let duplicates = match args.duplicates {
        DuplicatesArg::Skip => Duplicates::Skip,
        DuplicatesArg::Update => Duplicates::Update,
        DuplicatesArg::Create => Duplicates::CreateAnyway,
    };
    let limits =
        Limits { max_bytes: args.max_mb.saturating_mul(1024 * 1024), max_rows: args.max_rows };
    Ok(ImportOptions {
        format,
        encoding,
        duplicates,
        limits,
        origin: Origin::Cli,
        ..Default::default()
    })
}

fn read_file(path: &Path, limits: &Limits) -> Result<Vec<u8>, String> {
    let size =
        std::fs::metadata(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?.len();
    if size > limits.max_bytes as u64 {
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        return Err(TransferError::TooLarge { size, max: limits.max_bytes }.to_string());
    }
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

pub async fn run_import(config: &Config, args: ImportArgs) -> Result<(), String> {
    let options = import_options(&args)?;
    let bytes = read_file(&args.file, &options.limits)?;
    if args.dry_run {
        let preview = transfer::preview(&bytes, &options, 10).map_err(|e| e.to_string())?;
        print_preview(&preview);
        println!("Nothing was written (dry run).");
        return Ok(());
    }
    let store = open_store(config).await?;
    let a = account(&store, &args.account).await?;
    let mut into = book(&store, &a, args.book.as_deref()).await?;
    if let Some(by) = &args.by {
        let admin = account(&store, by).await?;
        into = store.admin_scope(admin.id, into.book()).await.map_err(|e| match e {
            StoreError::NotOwner => format!("{by} is not an administrator"),
            other => other.to_string(),
        })?;
    }
    if !into.can_write() {
        return Err(format!("{} may only read that address book", a.username));
    }
    let mut options = options;
    options.file_name = args.file.file_name().map(|n| n.to_string_lossy().into_owned());
    if let Some(name) = &args.group {
        options.group = Some(
            transfer::group_named(&store, into, name, Origin::Cli)
                .await
                .map_err(|e| e.to_string())?,
        );
    }
    let started = Instant::now();
    let tty = std::io::stderr().is_terminal();
    let mut progress = move |p: Progress| {
        if tty {
            eprint!("\r{} / {} rows", p.rows_done, p.rows_total);
        }
    };
    let report = transfer::import(&store, into, &bytes, &options, &mut progress)
        .await
        .map_err(|e| e.to_string())?;
    if tty {
        eprintln!();
    }
    let detected = [
        Some(report.format.as_str().to_string()),
        report.encoding.map(|e| e.name().to_string()),
        report.dialect.map(|d| format!("{d:?} columns")),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    println!(
        "Imported {} new contact(s) into {}, updated {}, skipped {} duplicate(s), {} row(s) failed ({detected}; {:.1} s).",
        report.imported,
        a.username,
        report.updated,
        report.skipped,
        report.failed.len(),
        started.elapsed().as_secs_f64()
    );
    const SHOWN: usize = 20;
    for f in report.failed.iter().take(SHOWN) {
        println!("  line {}: {}", f.line, f.reason);
    }
    if report.failed.len() > SHOWN {
        let hint =
            if args.report.is_some() { "see the report" } else { "--report FILE lists them all" };
        println!("  … and {} more ({hint}).", report.failed.len() - SHOWN);
    }
    if let Some(path) = &args.report {
        std::fs::write(path, transfer::report_csv(&report))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        println!("Report written to {}.", path.display());
    }
    Ok(())
}

fn describe(target: &ColumnTarget) -> String {
    let field = match target {
        ColumnTarget::Ignore => return "(ignored)".into(),
        ColumnTarget::Extra => return "extra field".into(),
        ColumnTarget::Field(f) => f,
    };
    let label = |l: &Option<domain::Label>| {
        l.as_ref().map(|l| format!(" ({})", l.as_str())).unwrap_or_default()
    };
    match field {
        Field::Uid => "UID".into(),
        Field::DisplayName => "display name".into(),
        Field::FamilyName => "family name".into(),
        Field::GivenName => "given name".into(),
        Field::AdditionalName => "middle name".into(),
        Field::NamePrefix => "name prefix".into(),
        Field::NameSuffix => "name suffix".into(),
        Field::Nickname => "nickname".into(),
        Field::Organization => "organization".into(),
        Field::Department => "department".into(),
        Field::Title => "title".into(),
        Field::Birthday => "birthday".into(),
        Field::Notes => "notes".into(),
        Field::Groups => "groups".into(),
        Field::Phone { label: l, .. } => format!("phone{}", label(l)),
        Field::PhoneLabel { .. } => "phone label".into(),
        Field::Email { label: l, .. } => format!("email{}", label(l)),
        Field::EmailLabel { .. } => "email label".into(),
        Field::Address { part, label: l, .. } => {
            format!("address {}{}", format!("{part:?}").to_lowercase(), label(l))
        }
        Field::AddressLabel { .. } => "address label".into(),
        Field::ExtraName { .. } => "extra field name".into(),
        Field::ExtraValue { .. } => "extra field value".into(),
        Field::Website { label: l, .. } => format!("website{}", label(l)),
        Field::WebsiteLabel { .. } => "website label".into(),
        Field::Im { label: l, .. } => format!("instant messaging{}", label(l)),
        Field::ImLabel { .. } => "instant messaging label".into(),
        Field::ImService { .. } => "instant messaging service".into(),
        Field::Related { label: l, .. } => format!("related person{}", label(l)),
        Field::RelatedLabel { .. } => "related person's relation".into(),
        Field::Anniversary => "anniversary".into(),
        Field::Event { .. } => "event (the anniversary when so labelled)".into(),
        Field::EventLabel { .. } => "event label".into(),
    }
}

fn print_preview(p: &Preview) {
    let mut what = vec![p.format.as_str().to_string()];
    if let Some(e) = p.encoding {
        what.push(format!("encoding {}", e.name()));
    }
    if let Some(d) = p.delimiter {
        what.push(format!(
            "delimiter {}",
            if d == b'\t' { "tab".to_string() } else { format!("“{}”", char::from(d)) }
        ));
    }
    if let Some(d) = p.dialect {
        what.push(format!("{d:?} columns"));
    }
    if p.sheets.len() > 1 {
        what.push(format!("sheets {}", p.sheets.join(", ")));
    }
    println!("{}; {} row(s).", what.join(", "), p.total_rows);
    if let Some(mapping) = &p.mapping {
        println!("Columns:");
        for (header, target) in p.headers.iter().zip(&mapping.columns) {
            println!("  {header} → {}", describe(target));
        }
    }
    println!("First rows:");
    for row in &p.rows {
        match row {
            Ok(r) => {
                let d = &r.data;
                let mut parts = vec![if d.display_name.is_empty() {
                    d.organization.clone()
                } else {
                    d.display_name.clone()
                }];
                parts.extend(d.phones.iter().map(|p| p.value.as_str().to_string()));
                parts.extend(d.emails.iter().map(|e| e.value.as_str().to_string()));
                if !r.groups.is_empty() {
                    parts.push(format!("groups: {}", r.groups.join(", ")));
                }
                println!("  line {}: {}", r.line, parts.join(" · "));
            }
            Err(f) => println!("  line {}: cannot be imported: {}", f.line, f.reason),
        }
    }
}

pub async fn run_export(config: &Config, args: ExportArgs) -> Result<(), String> {
    let format = args.format.format();
    if matches!(format, ExportFormat::Xlsx | ExportFormat::XlsxPerGroup) && args.output.is_none() {
        return Err(
            "an Excel workbook cannot go to standard output: give --output FILE.xlsx".into()
        );
    }
    let store = open_store(config).await?;
    let a = account(&store, &args.account).await?;
    let from = book(&store, &a, args.book.as_deref()).await?;
    let options = ExportOptions { format, selection: Selection::All };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            match transfer::export(&store, from, &options, BufWriter::new(file)).await {
                Ok(n) => {
                    eprintln!("Exported {n} contact(s) of {} to {}.", a.username, path.display())
                }
                Err(e) => {
                    let _ = std::fs::remove_file(path);
                    return Err(e.to_string());
                }
            }
        }
        None => {
            let mut out = BufWriter::new(std::io::stdout());
            transfer::export(&store, from, &options, &mut out).await.map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// How many entries, newest first.
    #[arg(long, default_value_t = 50)]
    pub limit: i64,
}

/// Prints the audit log: what administrators did to books that are not theirs.
pub async fn run_audit(config: &Config, args: AuditArgs) -> Result<(), String> {
    let store = open_store(config).await?;
    let entries = store.audit_log(args.limit).await.map_err(|e| e.to_string())?;
    if entries.is_empty() {
        println!("The audit log is empty.");
    }
    for e in entries {
        println!(
            "{}  {}  {}  {}",
            e.at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.actor.as_deref().unwrap_or("(a removed account)"),
            e.action,
            e.detail
        );
    }
    Ok(())
}
