//! Configuration from `ROLO_*` environment variables (flags override some of them).

use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: String,
    pub data_dir: PathBuf,
    pub database_url: String,
    /// Set when the key comes from `ROLO_MASTER_KEY` instead of a file.
    pub master_key_env: bool,
    pub master_key_file: PathBuf,
    /// Where the built console lives (`pkg/hash.txt` names its files; `scripts/assets.sh`).
    pub site_root: PathBuf,
    pub session_hours: i64,
    pub secure_cookies: bool,
    /// Import limits of the console (`ROLO_IMPORT_MAX_MB`, `ROLO_IMPORT_MAX_ROWS`).
    pub import_max_mb: usize,
    pub import_max_rows: usize,
    /// CardDAV: account passwords accepted (`ROLO_DAV_ACCOUNT_PASSWORD`, off by default) and the
    /// largest vCard (the largest contact, `ROLO_MAX_CONTACT_KB`, 1024 by default).
    pub dav: carddav::DavConfig,
    /// Days deleted contacts stay in the trash before their content is erased (`ROLO_TRASH_DAYS`).
    pub trash_days: i64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`ROLO_TRUSTED_PROXIES`,
    /// addresses separated by commas; none by default).
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

/// `ROLO_TRUSTED_PROXIES`: IP addresses separated by commas.
fn trusted_proxies(raw: Option<&str>) -> Result<Vec<std::net::IpAddr>, String> {
    raw.unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse().map_err(|_| {
                format!("ROLO_TRUSTED_PROXIES: {s:?} is not an IP address (give addresses separated by commas)")
            })
        })
        .collect()
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl Config {
    pub fn from_env() -> Result<Self, String> {
        let data_dir = PathBuf::from(env("ROLO_DATA_DIR").unwrap_or_else(|| "./rolo-data".into()));
        let database_url = env("ROLO_DATABASE_URL")
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("rolo.db").display()));
        let master_key_file = env("ROLO_MASTER_KEY_FILE")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("master.key"));
        let session_hours = match env("ROLO_SESSION_HOURS") {
            None => 24 * 7,
            Some(v) => {
                v.parse::<i64>().ok().filter(|h| (1..=24 * 365).contains(h)).ok_or_else(|| {
                    format!(
                        "ROLO_SESSION_HOURS must be a number of hours from 1 to 8760, not {v:?}"
                    )
                })?
            }
        };
        let secure_cookies = match env("ROLO_SECURE_COOKIES").as_deref() {
            None | Some("0") | Some("false") | Some("no") => false,
            Some("1") | Some("true") | Some("yes") => true,
            Some(v) => return Err(format!("ROLO_SECURE_COOKIES must be true or false, not {v:?}")),
        };
        let number = |name: &str, default: usize, max: usize| -> Result<usize, String> {
            match env(name) {
                None => Ok(default),
                Some(v) => {
                    v.parse::<usize>().ok().filter(|n| (1..=max).contains(n)).ok_or_else(|| {
                        format!("{name} must be a number from 1 to {max}, not {v:?}")
                    })
                }
            }
        };
        let import_max_mb = number("ROLO_IMPORT_MAX_MB", 50, 1024)?;
        let import_max_rows = number("ROLO_IMPORT_MAX_ROWS", 200_000, 10_000_000)?;
        let allow_account_password = match env("ROLO_DAV_ACCOUNT_PASSWORD").as_deref() {
            None | Some("0") | Some("false") | Some("no") => false,
            Some("1") | Some("true") | Some("yes") => true,
            Some(v) => {
                return Err(format!("ROLO_DAV_ACCOUNT_PASSWORD must be true or false, not {v:?}"))
            }
        };
        // One size limit for a contact on every channel (ROLO_DAV_MAX_VCARD_KB is its old name).
        let max_contact_bytes = match env("ROLO_MAX_CONTACT_KB") {
            Some(_) => number("ROLO_MAX_CONTACT_KB", 1024, 64 * 1024)?,
            None => number("ROLO_DAV_MAX_VCARD_KB", 1024, 64 * 1024)?,
        } * 1024;
        let dav = carddav::DavConfig {
            allow_account_password,
            max_resource_size: max_contact_bytes,
            card_cache_bytes: card_cache_bytes(env("ROLO_DAV_CACHE_MB").as_deref())?,
        };
        let trash_days = number("ROLO_TRASH_DAYS", 30, 3650)? as i64;
        Ok(Config {
            dav,
            trash_days,
            import_max_mb,
            import_max_rows,
            listen: env("ROLO_LISTEN").unwrap_or_else(|| "127.0.0.1:3000".into()),
            data_dir,
            database_url,
            master_key_env: env("ROLO_MASTER_KEY").is_some(),
            master_key_file,
            site_root: PathBuf::from(env("ROLO_SITE_ROOT").unwrap_or_else(|| "site".into())),
            session_hours,
            secure_cookies,
            trusted_proxies: trusted_proxies(env("ROLO_TRUSTED_PROXIES").as_deref())?,
        })
    }

    pub fn import_limits(&self) -> transfer::Limits {
        transfer::Limits {
            max_bytes: self.import_max_mb * 1024 * 1024,
            max_rows: self.import_max_rows,
        }
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.starts_with("sqlite:")
    }

    /// The database URL with any password hidden, for messages.
    pub fn database_url_redacted(&self) -> String {
        match (self.database_url.find("://"), self.database_url.rfind('@')) {
            (Some(s), Some(at)) if at > s => {
                let creds = &self.database_url[s + 3..at];
                match creds.split_once(':') {
                    Some((user, _)) => format!(
                        "{}{user}:***{}",
                        &self.database_url[..s + 3],
                        &self.database_url[at..]
                    ),
                    None => self.database_url.clone(),
                }
            }
            _ => self.database_url.clone(),
        }
    }
}

/// `ROLO_DAV_CACHE_MB` in bytes: 64 MiB when unset, 0 for none.
fn card_cache_bytes(v: Option<&str>) -> Result<usize, String> {
    match v {
        None => Ok(carddav::DEFAULT_CARD_CACHE_BYTES),
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n <= 64 * 1024)
            .map(|n| n * 1024 * 1024)
            .ok_or_else(|| {
                format!(
                    "ROLO_DAV_CACHE_MB must be a number from 0 (keep no card) to 65536, not {v:?}"
                )
            }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_cache_size() {
        assert_eq!(card_cache_bytes(None), Ok(64 << 20));
        assert_eq!(card_cache_bytes(Some("0")), Ok(0));
        assert_eq!(card_cache_bytes(Some("256")), Ok(256 << 20));
        for bad in ["-1", "lots", "65537", ""] {
            assert!(
                card_cache_bytes(Some(bad)).unwrap_err().contains("ROLO_DAV_CACHE_MB"),
                "{bad}"
            );
        }
    }

    #[test]
    fn trusted_proxies_are_addresses() {
        assert_eq!(
            trusted_proxies(Some("127.0.0.1, ::1")).unwrap(),
            vec!["127.0.0.1".parse::<std::net::IpAddr>().unwrap(), "::1".parse().unwrap()]
        );
        assert!(trusted_proxies(None).unwrap().is_empty());
        assert!(trusted_proxies(Some("proxy.local")).unwrap_err().contains("not an IP address"));
    }

    #[test]
    fn redacts_passwords() {
        let c = Config {
            database_url: "postgres://rolo:s3cret@db:5432/rolo".into(),
            ..Config::from_env().unwrap()
        };
        assert_eq!(c.database_url_redacted(), "postgres://rolo:***@db:5432/rolo");
    }
}
