//! The `rolo` command line.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use crypto::{Keyring, MasterKey};
use domain::Username;
use store::StoreError;

use crate::config::Config;
use crate::setup::open_store;

#[derive(Parser, Debug)]
#[command(name = "rolo", version, about = "Rolo: a self-hosted contacts sharing and sync server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the server (the default).
    Serve,
    /// Manage accounts.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Manage the master keys.
    #[command(subcommand)]
    Key(KeyCmd),
    /// Manage sync devices.
    #[command(subcommand)]
    Device(DeviceCmd),
    /// Add generated contacts to an account (for trials and benchmarks).
    Generate {
        #[arg(long)]
        account: String,
        #[arg(long, default_value_t = 1000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Tools for development and benchmarks.
    #[command(subcommand)]
    Dev(DevCmd),
    /// Import contacts from a CSV, Excel or vCard file.
    Import(crate::cli_transfer::ImportArgs),
    /// Export an account's contacts as CSV, Excel or vCard.
    Export(crate::cli_transfer::ExportArgs),
    /// Show the audit log: imports into company directories and into other accounts' books.
    Audit(crate::cli_transfer::AuditArgs),
    /// Manage address books: list, create (company directories too), rename, delete, restore,
    /// share and unshare.
    #[command(subcommand)]
    Book(crate::cli_books::BookCmd),
    /// Write a consistent copy of the SQLite database, while Rolo runs.
    Backup(crate::cli_backup::BackupArgs),
    /// Put a backup in place of the SQLite database (stop Rolo first).
    Restore(crate::cli_backup::RestoreArgs),
    /// Manage teams (named sets of accounts that books are shared with).
    #[command(subcommand)]
    Team(crate::cli_books::TeamCmd),
}

#[derive(Subcommand, Debug)]
pub enum DevCmd {
    /// Fill an account with generated contacts (mixed Chinese and Latin names, realistic
    /// phones and emails; the same seed gives the same book), e.g. 50,000 for the benchmarks.
    Seed {
        #[arg(long)]
        account: String,
        #[arg(long, default_value_t = 50_000)]
        contacts: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// How many of them get a photo (a generated 384 px JPEG, as the console makes),
        /// spread evenly through the book.
        #[arg(long, default_value_t = 0)]
        photos: usize,
    },
}

#[derive(Subcommand, Debug)]
pub enum DeviceCmd {
    /// Register a device and print its token (shown once).
    Create {
        #[arg(long)]
        account: String,
        #[arg(long)]
        name: String,
        /// phone, tablet, pc or other.
        #[arg(long, default_value = "other")]
        kind: String,
    },
    /// List an account's devices.
    List {
        #[arg(long)]
        account: String,
    },
    /// Rename a device (by id or current name).
    Rename {
        #[arg(long)]
        account: String,
        device: String,
        new_name: String,
    },
    /// Revoke a device (by id or name): its token stops working at once.
    Revoke {
        #[arg(long)]
        account: String,
        device: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum AccountCmd {
    /// Create an account. The password is read from --password-file, or from standard input.
    Create {
        username: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// List accounts.
    List,
    /// Disable an account (it cannot sign in; its sessions end).
    Disable { username: String },
    /// Enable a disabled account.
    Enable { username: String },
    /// Set a new password (ends the account's sessions).
    SetPassword {
        username: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Turn an account's two-step sign-in off (a lost phone and lost recovery codes).
    #[command(name = "reset-2fa")]
    Reset2fa { username: String },
    /// Require two-step sign-in for every account (`on`), or leave it to each (`off`).
    #[command(name = "require-2fa")]
    Require2fa {
        #[arg(value_parser = ["on", "off"])]
        setting: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum KeyCmd {
    /// Show the loaded master keys and which ones the database uses.
    Status,
    /// Generate a new master key, make it active in the key file, and re-wrap every account
    /// key under it. The old key stays in the file as retired; running servers keep working.
    Rotate,
    /// Remove retired keys that no account uses any more from the key file.
    Prune,
}

fn read_password(file: &Option<PathBuf>) -> Result<String, String> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        return Ok(text.trim_end_matches(['\n', '\r']).to_string());
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Repeat password: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords do not match".into());
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line).map_err(|e| e.to_string())?;
    Ok(line.trim_end_matches(['\n', '\r']).to_string())
}

fn username(raw: &str) -> Result<Username, String> {
    Username::parse(raw).map_err(|e| format!("invalid username {raw:?}: {e}"))
}

fn explain(e: StoreError) -> String {
    match e {
        StoreError::Invalid(v) => v.0.into_iter().map(|f| f.message).collect::<Vec<_>>().join(" "),
        StoreError::NotFound => "no such account".into(),
        other => other.to_string(),
    }
}

pub async fn run_account(config: &Config, cmd: AccountCmd) -> Result<(), String> {
    let store = open_store(config).await?;
    match cmd {
        AccountCmd::Create { username: name, admin, password_file } => {
            let user = username(&name)?;
            let password = read_password(&password_file)?;
            domain::check_new_password(&password)?;
            let a = store.create_account(&user, &password, admin).await.map_err(explain)?;
            println!(
                "Created {}account {} ({})",
                if admin { "admin " } else { "" },
                a.username,
                a.id
            );
        }
        AccountCmd::List => {
            let accounts = store.list_accounts().await.map_err(explain)?;
            if accounts.is_empty() {
                println!("No accounts. Create one with: rolo account create <username> --admin");
            }
            for a in accounts {
                println!(
                    "{:<24} {:<6} {:<9} created {}",
                    a.username.as_str(),
                    if a.is_admin { "admin" } else { "user" },
                    if a.disabled { "disabled" } else { "active" },
                    a.created_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
        }
        AccountCmd::Disable { username: name } => {
            let a = store.account_by_username(&username(&name)?).await.map_err(explain)?;
            store.set_disabled(a.id, true).await.map_err(explain)?;
            println!("Disabled {} and ended its sessions.", a.username);
        }
        AccountCmd::Enable { username: name } => {
            let a = store.account_by_username(&username(&name)?).await.map_err(explain)?;
            store.set_disabled(a.id, false).await.map_err(explain)?;
            println!("Enabled {}.", a.username);
        }
        AccountCmd::SetPassword { username: name, password_file } => {
            let a = store.account_by_username(&username(&name)?).await.map_err(explain)?;
            let password = read_password(&password_file)?;
            store.set_password(a.id, &password).await.map_err(explain)?;
            println!("Password of {} changed; its sessions were ended.", a.username);
        }
        AccountCmd::Reset2fa { username: name } => {
            let a = store.account_by_username(&username(&name)?).await.map_err(explain)?;
            if store.remove_second_factor(a.id).await.map_err(explain)? {
                println!("Two-step sign-in of {} is off; it signs in with its password alone until it sets it up again.", a.username);
            } else {
                println!("{} had no two-step sign-in.", a.username);
            }
        }
        AccountCmd::Require2fa { setting } => {
            let on = setting == "on";
            store.set_second_factor_required(on).await.map_err(explain)?;
            println!(
                "{}",
                if on {
                    "Every account must now set up two-step sign-in."
                } else {
                    "Two-step sign-in is now each account's choice."
                }
            );
        }
    }
    Ok(())
}

fn ts(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_else(|| "never".into())
}

pub async fn run_device(config: &Config, cmd: DeviceCmd) -> Result<(), String> {
    let store = open_store(config).await?;
    let account_of = |name: &str| {
        let store = store.clone();
        let name = name.to_string();
        async move {
            let user = username(&name)?;
            store.account_by_username(&user).await.map_err(|e| match e {
                StoreError::NotFound => format!("no account named {user}"),
                other => explain(other),
            })
        }
    };
    let find = |devices: &[domain::DeviceInfo], key: &str| -> Result<domain::DeviceId, String> {
        let matches: Vec<_> =
            devices.iter().filter(|d| d.id.to_string() == key || d.name == key).collect();
        match matches.as_slice() {
            [one] => Ok(one.id),
            [] => Err(format!("no device {key:?} (give its id or name; see rolo device list)")),
            _ => Err(format!("several devices are named {key:?}; give the id")),
        }
    };
    match cmd {
        DeviceCmd::Create { account, name, kind } => {
            let a = account_of(&account).await?;
            let kind = domain::DeviceKind::parse(&kind)?;
            let (d, token) = store.create_device(a.id, &name, kind).await.map_err(explain)?;
            eprintln!(
                "Created device {} ({}, {}) for {}. Its token (shown only now):",
                d.name,
                d.kind.as_str(),
                d.id,
                a.username
            );
            println!("{token}");
        }
        DeviceCmd::List { account } => {
            let a = account_of(&account).await?;
            let devices = store.devices(a.id).await.map_err(explain)?;
            if devices.is_empty() {
                println!("No devices. Add one with: rolo device create --account {} --name <name> --kind pc", a.username);
            }
            for d in devices {
                println!(
                    "{}  {:<20} {:<7} {:<8} created {}  last sync {}  sent {} received {}{}",
                    d.id,
                    d.name,
                    d.kind.as_str(),
                    if d.revoked_at.is_some() { "revoked" } else { "active" },
                    ts(Some(d.created_at)),
                    ts(d.last_sync_at),
                    d.changes_sent,
                    d.changes_received,
                    d.last_addr.map(|a| format!("  from {a}")).unwrap_or_default()
                );
            }
        }
        DeviceCmd::Rename { account, device, new_name } => {
            let a = account_of(&account).await?;
            let id = find(&store.devices(a.id).await.map_err(explain)?, &device)?;
            store.rename_device(a.id, id, &new_name).await.map_err(explain)?;
            println!("Renamed.");
        }
        DeviceCmd::Revoke { account, device } => {
            let a = account_of(&account).await?;
            let id = find(&store.devices(a.id).await.map_err(explain)?, &device)?;
            store.revoke_device(a.id, id).await.map_err(|e| match e {
                StoreError::NotFound => "that device is already revoked".to_string(),
                other => explain(other),
            })?;
            println!("Revoked: the device's token no longer works.");
        }
    }
    Ok(())
}

pub async fn run_generate(
    config: &Config,
    account: &str,
    count: usize,
    seed: u64,
    photos: usize,
) -> Result<(), String> {
    if photos > count {
        return Err(format!("--photos ({photos}) cannot be more than --contacts ({count})"));
    }
    let store = open_store(config).await?;
    let user = username(account)?;
    let a = store.account_by_username(&user).await.map_err(|e| match e {
        StoreError::NotFound => format!("no account named {user}"),
        other => explain(other),
    })?;
    let mut gen = domain::generate::Gen::new(seed);
    let started = std::time::Instant::now();
    let portraits = if photos > 0 { sample_photos()? } else { Vec::new() };
    // Contact `i` has a photo when the running count of photos steps up at it.
    let has_photo = |i: usize| photos > 0 && (i + 1) * photos / count > i * photos / count;
    let mut done = 0;
    while done < count {
        let n = (count - done).min(5000);
        let items: Vec<_> = (done..done + n)
            .map(|i| {
                let mut c = gen.contact(i);
                if has_photo(i) {
                    c.photo = Some(portraits[i % portraits.len()].clone());
                }
                (None, c)
            })
            .collect();
        store.create_contacts(a.id, &items, domain::Origin::Cli).await.map_err(explain)?;
        done += n;
        eprint!("\r{done} / {count}");
    }
    eprintln!();
    println!(
        "Added {count} generated contacts ({photos} with a photo) to {} in {:.1} s.",
        a.username,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Sixteen 384 px JPEG portraits (a gradient in a different colour each, with a disc for a
/// face), the size and kind of photo the console's form makes.
fn sample_photos() -> Result<Vec<domain::Photo>, String> {
    use base64::Engine as _;
    (0..16u32)
        .map(|k| {
            let side = 384u32;
            let img = image::RgbImage::from_fn(side, side, |x, y| {
                let (cx, cy) = (x as i64 - 192, y as i64 - 150);
                if cx * cx + cy * cy < 90 * 90 || (y > 260 && cx.abs() < 150) {
                    image::Rgb([235, 200, 170])
                } else {
                    let t = (x + y) * 255 / (2 * side);
                    image::Rgb([(k * 16) as u8, t as u8, (255 - k * 12) as u8])
                }
            });
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
                .encode_image(&img)
                .map_err(|e| format!("could not make a sample photo: {e}"))?;
            let b64 = base64::engine::general_purpose::STANDARD.encode(&jpeg);
            domain::Photo::from_parts("image/jpeg", &b64)
        })
        .collect()
}

pub async fn run_key(config: &Config, cmd: KeyCmd) -> Result<(), String> {
    let store = open_store(config).await?;
    let in_use = store.key_ids_in_use().await.map_err(explain)?;
    let load = || -> Result<Keyring, String> {
        if config.master_key_env {
            Keyring::parse(&std::env::var("ROLO_MASTER_KEY").unwrap_or_default())
                .map_err(|e| e.to_string())
        } else {
            Keyring::load_file(&config.master_key_file).map_err(|e| e.to_string())
        }
    };
    match cmd {
        KeyCmd::Status => {
            let ring = load()?;
            for (i, id) in ring.ids().iter().enumerate() {
                let n = in_use.iter().find(|(k, _)| k == id.as_str()).map(|(_, n)| *n).unwrap_or(0);
                println!(
                    "{id}  {:<8} wraps {n} account key(s)",
                    if i == 0 { "active" } else { "retired" }
                );
            }
        }
        KeyCmd::Rotate => {
            if config.master_key_env {
                return Err("rotation rewrites the key file; with ROLO_MASTER_KEY, put the new key first in \
                            ROLO_MASTER_KEY=<new>,<old> and restart, or use a key file"
                    .into());
            }
            let ring = load()?;
            let rotated = ring.rotated(MasterKey::generate().map_err(|e| e.to_string())?);
            // The file gets the new key before any account is re-wrapped: a crash in between
            // leaves every account readable.
            rotated.write_file(&config.master_key_file).map_err(|e| e.to_string())?;
            let report = store.rotate_to(rotated).await.map_err(explain)?;
            println!(
                "New active key {}; re-wrapped {} account key(s). Retired keys stay in {} until `rolo key prune`.",
                report.new_key_id,
                report.rewrapped,
                config.master_key_file.display()
            );
            if !report.still_in_use.is_empty() {
                println!("Still in use (run rotate again): {}", report.still_in_use.join(", "));
            }
        }
        KeyCmd::Prune => {
            if config.master_key_env {
                return Err("prune rewrites the key file; with ROLO_MASTER_KEY, remove keys from the variable yourself".into());
            }
            let ring = load()?;
            let unused: Vec<_> = ring
                .ids()
                .into_iter()
                .skip(1)
                .filter(|id| !in_use.iter().any(|(k, _)| k == id.as_str()))
                .collect();
            ring.without(&unused).write_file(&config.master_key_file).map_err(|e| e.to_string())?;
            println!("Removed {} retired key(s) that no account uses.", unused.len());
        }
    }
    Ok(())
}
