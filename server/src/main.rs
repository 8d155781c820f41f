//! `rolo`: the Rolo server and its administration commands.

use std::process::ExitCode;

use clap::Parser;
use server::cli::{run_account, run_device, run_generate, run_key, Cli, Command};
use server::config::Config;
use server::setup::open_store;
use server::web;
use tracing_subscriber::EnvFilter;

// Imports, exports and the index allocate a small string or two per field: mimalloc does that
// in a fraction of glibc's time (measured by `cargo bench -p server --bench cli`).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

async fn serve(config: Config) -> Result<(), String> {
    let store = open_store(&config).await?;
    if web::Assets::find(&config.site_root).hash_file.is_none() {
        tracing::warn!(
            "the console's WASM is not built in {}/pkg: pages will render but not hydrate (run `make run`)",
            config.site_root.display()
        );
    }
    if store.count_accounts().await.map_err(|e| e.to_string())? == 0 {
        eprintln!(
            "\nrolo: no account exists yet. Create the first administrator (you will be asked for a password):\n\n    \
             bin/rolo account create <username> --admin\n\n(with the same ROLO_* settings as this server).\n"
        );
    }
    web::spawn_housekeeping(store.clone(), chrono::Duration::days(config.trash_days));
    let limits = config.import_limits();
    let state = web::state(&config, store);
    let listener = tokio::net::TcpListener::bind(&config.listen)
        .await
        .map_err(|e| format!("cannot listen on {} (ROLO_LISTEN): {e}", config.listen))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    eprintln!("rolo: serving on http://{addr} (database: {})", config.database_url_redacted());
    let router = web::router_with(state, Some(limits), config.dav.clone());
    let router = web::behind_proxies(router, config.trusted_proxies.clone());
    web::serve(listener, router, async {
        shutdown_signal().await;
        eprintln!("rolo: shutting down");
    })
    .await
    .map_err(|e| e.to_string())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

#[tokio::main]
async fn main() -> ExitCode {
    // Every file Rolo creates (database, WAL, keys, exports, reports) is its owner's alone.
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    #[allow(unsafe_code)]
    unsafe {
        libc::umask(0o077);
    }
    let filter =
        || EnvFilter::try_from_env("ROLO_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    // ROLO_LOG_FORMAT=json: one JSON object a line (with the request's span), for log shippers.
    if std::env::var("ROLO_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_env_filter(filter())
            .with_writer(std::io::stderr)
            .init();
    } else {
        tracing_subscriber::fmt().with_env_filter(filter()).with_writer(std::io::stderr).init();
    }
    let cli = Cli::parse();
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rolo: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config).await,
        Command::Account(cmd) => run_account(&config, cmd).await,
        Command::Key(cmd) => run_key(&config, cmd).await,
        Command::Device(cmd) => run_device(&config, cmd).await,
        Command::Generate { account, count, seed } => {
            run_generate(&config, &account, count, seed, 0).await
        }
        Command::Dev(server::cli::DevCmd::Seed { account, contacts, seed, photos }) => {
            run_generate(&config, &account, contacts, seed, photos).await
        }
        Command::Import(args) => server::cli_transfer::run_import(&config, args).await,
        Command::Export(args) => server::cli_transfer::run_export(&config, args).await,
        Command::Audit(args) => server::cli_transfer::run_audit(&config, args).await,
        Command::Book(cmd) => server::cli_books::run_book(&config, cmd).await,
        Command::Backup(args) => server::cli_backup::run_backup(&config, args).await,
        Command::Restore(args) => server::cli_backup::run_restore(&config, args).await,
        Command::Team(cmd) => server::cli_books::run_team(&config, cmd).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolo: error: {e}");
            ExitCode::FAILURE
        }
    }
}
