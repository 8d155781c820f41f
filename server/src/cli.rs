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
        let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
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
            println!("Created {}account {} ({})", if admin { "admin " } else { "" }, a.username, a.id);
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
    }
    Ok(())
}

pub async fn run_key(config: &Config, cmd: KeyCmd) -> Result<(), String> {
    let store = open_store(config).await?;
    let in_use = store.backend().key_ids_in_use().await.map_err(explain)?;
    let load = || -> Result<Keyring, String> {
        if config.master_key_env {
            Keyring::parse(&std::env::var("ROLO_MASTER_KEY").unwrap_or_default()).map_err(|e| e.to_string())
        } else {
            Keyring::load_file(&config.master_key_file).map_err(|e| e.to_string())
        }
    };
    match cmd {
        KeyCmd::Status => {
            let ring = load()?;
            for (i, id) in ring.ids().iter().enumerate() {
                let n = in_use.iter().find(|(k, _)| k == id.as_str()).map(|(_, n)| *n).unwrap_or(0);
                println!("{id}  {:<8} wraps {n} account key(s)", if i == 0 { "active" } else { "retired" });
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
