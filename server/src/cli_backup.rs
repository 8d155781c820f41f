//! `rolo backup FILE` and `rolo restore FILE`: a consistent copy of the SQLite database taken
//! while Rolo runs, and putting one back (with the server stopped). Every contact in a backup
//! stays sealed: a backup is read with the master key it names, kept apart from it.

use std::path::{Path, PathBuf};

use clap::Args;
use store::KeySource;

use crate::config::Config;
use crate::setup::open_store;

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The new file (it must not exist).
    pub file: PathBuf,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// A file `rolo backup` wrote.
    pub file: PathBuf,
    /// Replace a database that already holds accounts.
    #[arg(long)]
    pub force: bool,
}

/// The SQLite database file the configuration names.
fn sqlite_path(config: &Config, what: &str) -> Result<PathBuf, String> {
    if !config.is_sqlite() {
        return Err(format!(
            "{what} is for the SQLite database; back up PostgreSQL with pg_dump -Fc and restore it with pg_restore (see the README, Backups)"
        ));
    }
    let url = &config.database_url;
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let path = path.split('?').next().unwrap_or(path);
    if path.contains(":memory:") {
        return Err(format!("{what} needs a database file, not an in-memory database"));
    }
    Ok(PathBuf::from(path))
}

fn private(path: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("cannot make {} private: {e}", path.display()))?;
    }
    Ok(())
}

pub async fn run_backup(config: &Config, args: BackupArgs) -> Result<(), String> {
    sqlite_path(config, "rolo backup")?;
    if args.file.exists() {
        return Err(format!("{} exists; give a new file", args.file.display()));
    }
    let store = open_store(config).await?;
    let path = args.file.to_str().ok_or("the backup's path must be UTF-8")?;
    let key_ids = store.backup(path).await.map_err(|e| e.to_string())?;
    private(&args.file)?;
    let size = std::fs::metadata(&args.file).map(|m| m.len()).unwrap_or(0);
    println!(
        "Backed up to {} ({:.1} MB). It needs the master key id(s) {} to be read: keep the key file apart from it.",
        args.file.display(),
        size as f64 / 1e6,
        key_ids.join(", ")
    );
    Ok(())
}

pub async fn run_restore(config: &Config, args: RestoreArgs) -> Result<(), String> {
    let target = sqlite_path(config, "rolo restore")?;
    if !args.file.is_file() {
        return Err(format!("{} is not a file", args.file.display()));
    }
    if target.exists() && !args.force {
        let store = open_store(config).await?;
        let accounts = store.count_accounts().await.map_err(|e| e.to_string())?;
        if accounts > 0 {
            return Err(format!(
                "{} already holds {accounts} account(s); stop Rolo and add --force to replace it",
                target.display()
            ));
        }
    }
    // The copy is checked where it will live: it opens, its migrations run, and every key it
    // needs is loaded; only then does it replace the database.
    let dir = target.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let staged = dir.join(".rolo-restore.db");
    let _ = std::fs::remove_file(&staged);
    std::fs::copy(&args.file, &staged)
        .map_err(|e| format!("cannot copy {}: {e}", args.file.display()))?;
    private(&staged)?;
    let checked = check(config, &staged).await;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(dir.join(format!(".rolo-restore.db{suffix}")));
    }
    if let Err(e) = checked {
        let _ = std::fs::remove_file(&staged);
        return Err(e);
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = target.clone().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(&staged, &target)
        .map_err(|e| format!("cannot put the copy in place at {}: {e}", target.display()))?;
    println!("Restored {} into {}.", args.file.display(), target.display());
    Ok(())
}

/// Opens the staged copy with the configured keys: every key id it needs must be loaded.
async fn check(config: &Config, staged: &Path) -> Result<(), String> {
    let url = format!("sqlite://{}", staged.display());
    let backend = store_sql::SqliteBackend::connect(&url)
        .await
        .map_err(|e| format!("the backup cannot be opened: {e}"))?;
    let source = if config.master_key_env {
        KeySource::Env
    } else {
        KeySource::File(config.master_key_file.clone())
    };
    let store = store::Store::new(std::sync::Arc::new(backend), source)
        .await
        .map_err(|e| format!("cannot load the master key: {e}"))?;
    let missing = store.missing_key_ids().await.map_err(|e| e.to_string())?;
    if !missing.is_empty() {
        let ids: Vec<String> = missing.into_iter().map(|(id, _)| id).collect();
        return Err(format!(
            "the backup needs master key id(s) {} that are not loaded; nothing was restored",
            ids.join(", ")
        ));
    }
    drop(store);
    Ok(())
}
