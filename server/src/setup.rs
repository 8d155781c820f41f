//! Opening the database and the master keys, with errors a person can act on.

use std::sync::Arc;

use store::{KeySource, Store, StoreError};

use crate::config::Config;

/// Opens the store on the backend the database URL's scheme names, with the master keys,
/// and checks that every key the database needs is loaded.
pub async fn open_store(config: &Config) -> Result<Arc<Store>, String> {
    let url = &config.database_url;
    let source = if config.master_key_env {
        KeySource::Env
    } else {
        if let Some(dir) = config.master_key_file.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir, false)?;
        }
        KeySource::NewFileIfEmpty(config.master_key_file.clone())
    };
    let what = match &source {
        KeySource::Env => "ROLO_MASTER_KEY".to_string(),
        _ => config.master_key_file.display().to_string(),
    };
    let key_existed = config.master_key_file.exists();
    let opened = if config.is_sqlite() {
        if !url.contains(":memory:") {
            if let Some(path) =
                url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))
            {
                let path = std::path::Path::new(path.split('?').next().unwrap_or(path));
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    create_private_dir(dir, true)?;
                }
                private_database_files(path)?;
            }
        }
        let b = store_sql::SqliteBackend::connect(url).await.map_err(|e| e.to_string())?;
        Store::new(Arc::new(b), source).await
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let b = store_sql::PostgresBackend::connect(url)
            .await
            .map_err(|e| format!("{e} (ROLO_DATABASE_URL={})", config.database_url_redacted()))?;
        Store::new(Arc::new(b), source).await
    } else {
        return Err(format!(
            "ROLO_DATABASE_URL must start with sqlite: or postgres://, not {:?}",
            config.database_url_redacted()
        ));
    };
    let store = match opened {
        Ok(store) => store.with_max_contact_bytes(config.dav.max_resource_size),
        Err(e @ StoreError::KeyFileMissing { .. }) => return Err(e.to_string()),
        Err(e) => return Err(format!("cannot load the master key from {what}: {e}")),
    };
    if !config.master_key_env && !key_existed && config.master_key_file.exists() {
        eprintln!(
            "rolo: generated a new master key (id {}) in {} (mode 0600). Back it up apart from the database.",
            store.active_key_id(),
            config.master_key_file.display()
        );
    }
    let missing = store.missing_key_ids().await.map_err(|e| e.to_string())?;
    if !missing.is_empty() {
        let list: Vec<String> =
            missing.iter().map(|(id, n)| format!("{id} ({n} account(s))")).collect();
        return Err(format!(
            "the master key(s) loaded from {what} do not include key id(s) {} that the database uses. \
             Is this the right key file for this database?",
            list.join(", ")
        ));
    }
    Ok(Arc::new(store))
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
                std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).map_err(
                    |e| {
                        format!(
                            "{} is readable by other users and cannot be made private: {e}",
                            file.display()
                        )
                    },
                )?;
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
            let mode = std::fs::metadata(dir)
                .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
                .permissions()
                .mode();
            let fix = format!("(mode {:o}): run chmod 700 {}", mode & 0o777, dir.display());
            if mode & 0o002 != 0 {
                return Err(format!("the data directory {} is open to other users, who could replace the database {fix}", dir.display()));
            }
            if mode & 0o005 != 0 {
                tracing::warn!(
                    "the data directory {} can be listed by other users {fix}",
                    dir.display()
                );
            }
        }
        return Ok(());
    }
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create the data directory {}: {e}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    Ok(())
}
