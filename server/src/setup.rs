//! Opening the database and the master keys, with errors a person can act on.

use std::sync::Arc;

use crypto::{Keyring, MasterKey};
use store::{Backend, KeySource, Store};

use crate::config::Config;

/// Opens the backend named by the database URL's scheme.
pub async fn open_backend(config: &Config) -> Result<Arc<dyn Backend>, String> {
    let url = &config.database_url;
    if config.is_sqlite() {
        if !url.contains(":memory:") {
            if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
                let path = std::path::Path::new(path.split('?').next().unwrap_or(path));
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    create_private_dir(dir, true)?;
                }
                private_database_files(path)?;
            }
        }
        let b = store_sqlite::SqliteBackend::connect(url).await.map_err(|e| e.to_string())?;
        Ok(Arc::new(b))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let b = store_postgres::PostgresBackend::connect(url)
            .await
            .map_err(|e| format!("{e} (ROLO_DATABASE_URL={})", config.database_url_redacted()))?;
        Ok(Arc::new(b))
    } else {
        Err(format!(
            "ROLO_DATABASE_URL must start with sqlite: or postgres://, not {:?}",
            config.database_url_redacted()
        ))
    }
}

/// The SQLite database and its `-wal` and `-shm` files are readable by their owner only: a
/// missing database is created with mode 0600 before SQLite opens it (SQLite gives the files it
/// adds the database's mode), and files left readable by an earlier version are made private.
fn private_database_files(db: &std::path::Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        if !db.exists() {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(db)
                .map_err(|e| format!("cannot create the database {}: {e}", db.display()))?;
        }
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = db.as_os_str().to_owned();
            name.push(suffix);
            let file = std::path::PathBuf::from(name);
            let Ok(meta) = std::fs::metadata(&file) else { continue };
            if meta.permissions().mode() & 0o077 != 0 {
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600))
                    .map_err(|e| format!("{} is readable by other users and cannot be made private: {e}", file.display()))?;
                tracing::warn!(file = %file.display(), "made the database file private (mode 0600)");
            }
        }
    }
    #[cfg(not(unix))]
    let _ = db;
    Ok(())
}

/// Creates a directory with mode 0700. With `check`, an existing one (the database's) that other
/// users can write to is refused, and one they can enter is warned about (the files in it are
/// private; their names and sizes are not).
fn create_private_dir(dir: &std::path::Path, check: bool) -> Result<(), String> {
    if dir.exists() {
        #[cfg(unix)]
        if check {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir).map_err(|e| format!("cannot read {}: {e}", dir.display()))?.permissions().mode();
            let fix = format!("(mode {:o}): run chmod 700 {}", mode & 0o777, dir.display());
            if mode & 0o002 != 0 {
                return Err(format!("the data directory {} is open to other users, who could replace the database {fix}", dir.display()));
            }
            if mode & 0o005 != 0 {
                tracing::warn!("the data directory {} can be listed by other users {fix}", dir.display());
            }
        }
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create the data directory {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}

/// Where the keys come from. With a key file that does not exist yet, a new master key is
/// generated — but only while the database holds no account (otherwise the data would become
/// unreadable, which is refused with an explanation).
pub async fn key_source(config: &Config, backend: &Arc<dyn Backend>) -> Result<KeySource, String> {
    if config.master_key_env {
        return Ok(KeySource::Env);
    }
    let path = &config.master_key_file;
    if path.exists() {
        return Ok(KeySource::File(path.clone()));
    }
    let accounts = backend.count_accounts().await.map_err(|e| e.to_string())?;
    if accounts > 0 {
        let in_use: Vec<String> = backend
            .key_ids_in_use()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        return Err(format!(
            "the master key file {} is missing, but the database holds {accounts} account(s) encrypted under key id(s) {}. \
             Restore the key file (or set ROLO_MASTER_KEY_FILE / ROLO_MASTER_KEY); without it the data cannot be read. \
             No new key was generated.",
            path.display(),
            in_use.join(", ")
        ));
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        create_private_dir(dir, false)?;
    }
    let ring = Keyring::new(vec![MasterKey::generate().map_err(|e| e.to_string())?]).map_err(|e| e.to_string())?;
    ring.write_file(path).map_err(|e| e.to_string())?;
    eprintln!(
        "rolo: generated a new master key (id {}) in {} (mode 0600). Back it up apart from the database.",
        ring.active().id(),
        path.display()
    );
    Ok(KeySource::File(path.clone()))
}

/// Opens the store and checks that every key the database needs is loaded.
pub async fn open_store(config: &Config) -> Result<Arc<Store>, String> {
    let backend = open_backend(config).await?;
    let source = key_source(config, &backend).await?;
    let what = match &source {
        KeySource::Env => "ROLO_MASTER_KEY".to_string(),
        KeySource::File(p) => p.display().to_string(),
        KeySource::Fixed(_) => "fixed keys".to_string(),
    };
    let store = Store::new(backend, source)
        .await
        .map_err(|e| format!("cannot load the master key from {what}: {e}"))?
        .with_max_contact_bytes(config.dav.max_resource_size);
    let missing = store.missing_key_ids().await.map_err(|e| e.to_string())?;
    if !missing.is_empty() {
        let list: Vec<String> = missing.iter().map(|(id, n)| format!("{id} ({n} account(s))")).collect();
        return Err(format!(
            "the master key(s) loaded from {what} do not include key id(s) {} that the database uses. \
             Is this the right key file for this database?",
            list.join(", ")
        ));
    }
    Ok(Arc::new(store))
}
