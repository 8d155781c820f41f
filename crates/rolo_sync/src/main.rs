//! `rolo-sync`: keep a folder of vCard files in sync with a Rolo server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use rolo_sync::{setup, Vdir};

#[derive(Parser, Debug)]
#[command(
    name = "rolo-sync",
    version,
    about = "Keep a folder of vCard files (one <UUID>.vcf per contact) in sync with a Rolo server"
)]
struct Cli {
    /// The synced folder (default: ROLO_SYNC_DIR, else the current directory).
    #[arg(long, global = true, env = "ROLO_SYNC_DIR")]
    dir: Option<PathBuf>,
    /// Keep syncing every --interval seconds.
    #[arg(long)]
    watch: bool,
    /// Seconds between syncs with --watch.
    #[arg(long, default_value_t = 60)]
    interval: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Set a folder up: check the token with the server and store it (readable only by you).
    Setup {
        #[arg(long)]
        server: String,
        #[arg(long)]
        token: String,
    },
    /// Sync once (the default).
    Sync,
    /// Show the server's view and this folder's state.
    Status,
}

async fn run(cli: Cli) -> Result<(), String> {
    let dir = match cli.dir {
        Some(d) => d,
        None => std::env::current_dir().map_err(|e| e.to_string())?,
    };
    match cli.command.unwrap_or(Command::Sync) {
        Command::Setup { server, token } => {
            let status = setup(&dir, &server, &token).await.map_err(|e| e.to_string())?;
            println!(
                "Set up {} for device “{}”; the account has {} contacts. Run rolo-sync --dir {} to sync.",
                dir.display(),
                status.device.name,
                status.contacts,
                dir.display()
            );
        }
        Command::Status => {
            let v = Vdir::open(&dir).map_err(|e| e.to_string())?;
            let state = v.load_state().map_err(|e| e.to_string())?;
            let status = v.status().await.map_err(|e| e.to_string())?;
            println!("server:   {} (device “{}”)", v.config.server, status.device.name);
            println!("account:  {} contacts, cursor {}", status.contacts, status.cursor);
            println!(
                "folder:   {} contacts synced, cursor {}",
                state.items.len(),
                state.cursor.as_deref().unwrap_or("none yet")
            );
        }
        Command::Sync => {
            let v = Vdir::open(&dir).map_err(|e| e.to_string())?;
            loop {
                match v.sync().await {
                    Ok(summary) => println!("{summary}"),
                    Err(e) if cli.watch => {
                        eprintln!("rolo-sync: {e} (retrying in {}s)", cli.interval)
                    }
                    Err(e) => return Err(e.to_string()),
                }
                if !cli.watch {
                    break;
                }
                tokio::time::sleep(Duration::from_secs(cli.interval.max(1))).await;
            }
        }
    }
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolo-sync: {e}");
            ExitCode::FAILURE
        }
    }
}
