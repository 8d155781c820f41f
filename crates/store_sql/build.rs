//! Embeds the migrations of each database (`migrations/sqlite`, `migrations/postgres`) into the
//! build: one `(version, description, sql)` entry per file, in version order, as sqlx's own
//! `migrate!` macro would read them (`<VERSION>_<DESCRIPTION>.sql`, underscores in the description
//! read as spaces). Doing it here instead of with the macro keeps sqlx's compile-time query
//! machinery (its drivers and a second bundled SQLite, compiled for the build host) out of the
//! build. src/migrations.rs makes them into sqlx's `Migrator`; a file that is not a migration
//! stops the build with its name.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() -> Result<(), String> {
    let var = |name: &str| env::var(name).map_err(|e| format!("{name}: {e}"));
    let root = PathBuf::from(var("CARGO_MANIFEST_DIR")?).join("../../migrations");
    let mut out = String::new();
    for (name, dir) in [("SQLITE", "sqlite"), ("POSTGRES", "postgres")] {
        let dir = root.join(dir);
        println!("cargo::rerun-if-changed={}", dir.display());
        let _ = writeln!(out, "pub(crate) const {name}: &[(i64, &str, &str)] = &[");
        for (version, description, path) in migrations(&dir)? {
            let _ = writeln!(
                out,
                "    ({version}, {description:?}, include_str!({:?})),",
                path.display()
            );
        }
        let _ = writeln!(out, "];");
    }
    let dest = PathBuf::from(var("OUT_DIR")?).join("migrations.rs");
    fs::write(&dest, out).map_err(|e| format!("cannot write {}: {e}", dest.display()))
}

/// The folder's migrations in version order.
fn migrations(dir: &Path) -> Result<Vec<(i64, String, PathBuf)>, String> {
    let unreadable =
        |e: std::io::Error| format!("cannot read the migrations folder {}: {e}", dir.display());
    let mut found = Vec::new();
    for entry in fs::read_dir(dir).map_err(unreadable)? {
        let path = entry.map_err(unreadable)?.path();
        let file = path.file_name().and_then(|f| f.to_str()).unwrap_or_default().to_owned();
        if !path.is_file() || !file.ends_with(".sql") {
            continue;
        }
        let bad = |why: &str| format!("migration {}: {why}", path.display());
        let (version, rest) = file
            .split_once('_')
            .ok_or_else(|| bad("its name must be <VERSION>_<DESCRIPTION>.sql"))?;
        let version: i64 = version.parse().map_err(|_| bad("its name must start with a number"))?;
        if rest.ends_with(".up.sql") || rest.ends_with(".down.sql") {
            return Err(bad("Rolo's migrations run forward only (no .up.sql/.down.sql pairs)"));
        }
        let description = rest.trim_end_matches(".sql").replace('_', " ");
        let path = path.canonicalize().map_err(|e| bad(&e.to_string()))?;
        found.push((version, description, path));
    }
    found.sort_by_key(|m| m.0);
    if let Some(pair) = found.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(format!("two migrations in {} share version {}", dir.display(), pair[0].0));
    }
    Ok(found)
}
