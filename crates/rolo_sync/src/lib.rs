//! `rolo-sync`: keeps a local folder of vCard files — one `<UUID>.vcf` per contact, the "vdir"
//! layout khard, vdirsyncer and Evolution use — in sync with a Rolo server.
//!
//! The folder is the account's first address book; every other book the account may read (books
//! shared with it, company directories) gets a folder of its own inside it, named after the book
//! (`Company-0190f5a4/`), made when the book appears and emptied and removed when it is no longer
//! readable. Changes in a read-only book's folder are not uploaded (the server's copy comes back
//! with the contact's next change).
//!
//! One sync: compare the folder with the state of the last sync (by UUID and content hash) to
//! find local adds, edits and deletes; upload them; then download the server's changes since the
//! saved cursor and write or delete files. State is written atomically after every step, so a
//! client killed mid-sync converges on the next run: a re-sent upload is answered `unchanged`.
#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};

use domain::ContactData;
use interchange::vcard::{parse_vcards, write_vcard, VcardVersion};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sync_proto as proto;
use uuid::Uuid;

/// Items per upload request.
pub const UPLOAD_BATCH: usize = 500;
/// Entries per download page.
pub const DOWNLOAD_PAGE: usize = 1000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("{0}")]
    Setup(String),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("cannot reach the server: {0}")]
    Network(String),
    #[error("the server refused the device token (revoked?): {0}")]
    Unauthorized(String),
    #[error("the server answered {status}: {message}")]
    Server { status: u16, message: String },
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> SyncError + '_ {
    move |source| SyncError::Io { path: path.display().to_string(), source }
}

/// `DIR/.rolo-sync/config.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    pub server: String,
}

/// What the last sync left: the cursor and, per contact, its file, revision and content hash —
/// the first book's in `items`, other books' in `books`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct State {
    pub cursor: Option<String>,
    pub items: BTreeMap<Uuid, Item>,
    #[serde(default)]
    pub books: BTreeMap<Uuid, BookState>,
}

/// Another address book's folder and contacts.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct BookState {
    pub name: String,
    /// Its folder, inside the synced folder.
    pub folder: String,
    pub read_only: bool,
    pub items: BTreeMap<Uuid, Item>,
}

/// A folder name for a book: its name made safe for a file system, and the start of its id.
fn folder_for(name: &str, id: Uuid) -> String {
    let safe: String = name
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '-' || c == '_' || c == ' ' { c } else { '_' })
        .take(60)
        .collect();
    let safe = safe.trim().trim_start_matches('.');
    let short = &id.simple().to_string()[..8];
    if safe.is_empty() {
        short.to_string()
    } else {
        format!("{safe}-{short}")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Item {
    pub file: String,
    pub revision: i64,
    pub hash: String,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub up_created: usize,
    pub up_updated: usize,
    pub up_deleted: usize,
    pub down_created: usize,
    pub down_updated: usize,
    pub down_deleted: usize,
    pub conflicts: usize,
    /// Files that could not be read or were refused, with the reason. Never deleted.
    pub skipped: Vec<String>,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "↑ {} created, {} updated, {} deleted · ↓ {} created, {} updated, {} deleted · {} conflicts",
            self.up_created, self.up_updated, self.up_deleted, self.down_created, self.down_updated, self.down_deleted, self.conflicts
        )?;
        for s in &self.skipped {
            write!(f, "\n  skipped {s}")?;
        }
        Ok(())
    }
}

fn meta_dir(dir: &Path) -> PathBuf {
    dir.join(".rolo-sync")
}

fn hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Writes a file atomically (temporary file, fsync, rename), optionally private (0600).
fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> Result<(), SyncError> {
    let tmp = path.with_file_name(format!(
        ".{}.tmp",
        path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default()
    ));
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp).map_err(io_err(&tmp))?;
        f.write_all(bytes).map_err(io_err(&tmp))?;
        f.sync_all().map_err(io_err(&tmp))?;
    }
    std::fs::rename(&tmp, path).map_err(io_err(path))
}

/// A folder set up for sync.
pub struct Vdir {
    pub dir: PathBuf,
    pub config: Config,
    token: String,
    http: reqwest::Client,
}

/// Sets up `dir` for `server` with `token`: checks the token against the server, then writes the
/// configuration (the token in a file only the user can read).
pub async fn setup(dir: &Path, server: &str, token: &str) -> Result<proto::SyncStatus, SyncError> {
    let server = server.trim_end_matches('/').to_string();
    if !(server.starts_with("http://") || server.starts_with("https://")) {
        return Err(SyncError::Setup(format!(
            "the server URL must start with http:// or https://, not {server:?}"
        )));
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let v = Vdir {
        dir: dir.to_path_buf(),
        config: Config { server },
        token: token.trim().to_string(),
        http: client()?,
    };
    let status = v.status().await?;
    let meta = meta_dir(dir);
    std::fs::create_dir_all(&meta).map_err(io_err(&meta))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&meta, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err(&meta))?;
    }
    let cfg = serde_json::to_vec_pretty(&v.config).map_err(|e| SyncError::Setup(e.to_string()))?;
    write_atomic(&meta.join("config.json"), &cfg, false)?;
    write_atomic(&meta.join("token"), v.token.as_bytes(), true)?;
    if !meta.join("state.json").exists() {
        v.save_state(&State::default())?;
    }
    Ok(status)
}

fn client() -> Result<reqwest::Client, SyncError> {
    reqwest::Client::builder()
        .user_agent(concat!("rolo-sync/", env!("CARGO_PKG_VERSION")))
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .map_err(|e| SyncError::Network(e.to_string()))
}

/// The contact UUID a card's UID names: `urn:uuid:…` or a bare UUID.
fn uuid_of(uid: &str) -> Option<Uuid> {
    let u = uid.trim();
    let u = u.strip_prefix("urn:uuid:").unwrap_or(u);
    Uuid::parse_str(u).ok()
}

/// One `.vcf` file of the folder.
struct LocalCard {
    file: String,
    hash: String,
    data: ContactData,
}

impl Vdir {
    /// Opens a folder set up with [`setup`].
    pub fn open(dir: &Path) -> Result<Self, SyncError> {
        let meta = meta_dir(dir);
        let cfg_path = meta.join("config.json");
        let cfg = std::fs::read(&cfg_path).map_err(|_| {
            SyncError::Setup(format!(
                "{} is not set up; run: rolo-sync setup --server URL --token TOKEN --dir {}",
                dir.display(),
                dir.display()
            ))
        })?;
        let config: Config = serde_json::from_slice(&cfg)
            .map_err(|e| SyncError::Setup(format!("{}: {e}", cfg_path.display())))?;
        let token_path = meta.join("token");
        let token =
            std::fs::read_to_string(&token_path).map_err(io_err(&token_path))?.trim().to_string();
        Ok(Vdir { dir: dir.to_path_buf(), config, token, http: client()? })
    }

    pub fn load_state(&self) -> Result<State, SyncError> {
        let path = meta_dir(&self.dir).join("state.json");
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| SyncError::Setup(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    fn save_state(&self, state: &State) -> Result<(), SyncError> {
        let bytes = serde_json::to_vec(state).map_err(|e| SyncError::Setup(e.to_string()))?;
        write_atomic(&meta_dir(&self.dir).join("state.json"), &bytes, true)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.server)
    }

    async fn check(resp: reqwest::Response) -> Result<reqwest::Response, SyncError> {
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let message = match resp.json::<proto::ApiError>().await {
            Ok(e) => e.message,
            Err(_) => status.canonical_reason().unwrap_or("error").to_string(),
        };
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(SyncError::Unauthorized(message));
        }
        Err(SyncError::Server { status: status.as_u16(), message })
    }

    pub async fn status(&self) -> Result<proto::SyncStatus, SyncError> {
        let r = self
            .http
            .get(self.url("/api/v1/sync/status"))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| SyncError::Network(e.to_string()))?;
        Self::check(r).await?.json().await.map_err(|e| SyncError::Network(e.to_string()))
    }

    /// The folder of a book (`None`: the first, the synced folder itself).
    fn folder(&self, state: &State, book: Option<Uuid>) -> PathBuf {
        match book.and_then(|b| state.books.get(&b)) {
            Some(b) => self.dir.join(&b.folder),
            None => self.dir.clone(),
        }
    }

    /// Reads every `.vcf` file of `folder`. Files without a UUID UID get one written into them
    /// (adopted).
    fn scan(
        &self,
        folder: &Path,
        summary: &mut Summary,
    ) -> Result<(HashMap<Uuid, LocalCard>, HashSet<Uuid>), SyncError> {
        let mut cards = HashMap::new();
        let mut unreadable = HashSet::new();
        if !folder.exists() {
            std::fs::create_dir_all(folder).map_err(io_err(folder))?;
        }
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .map_err(io_err(folder))?
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| !n.starts_with('.') && n.to_lowercase().ends_with(".vcf"))
            .collect();
        names.sort();
        for name in names {
            let path = folder.join(&name);
            let stem_uuid = uuid_of(name.trim_end_matches(".vcf").trim_end_matches(".VCF"));
            let bytes = std::fs::read(&path).map_err(io_err(&path))?;
            let Ok(text) = String::from_utf8(bytes.clone()) else {
                summary.skipped.push(format!("{name}: not UTF-8 text"));
                unreadable.extend(stem_uuid);
                continue;
            };
            let mut parsed = parse_vcards(&text);
            if parsed.len() != 1 {
                summary.skipped.push(format!(
                    "{name}: holds {} cards; a vdir has one contact per file",
                    parsed.len()
                ));
                unreadable.extend(stem_uuid);
                continue;
            }
            let card = match parsed.remove(0) {
                Ok(c) => c,
                Err(e) => {
                    summary.skipped.push(format!("{name}: {e}"));
                    unreadable.extend(stem_uuid);
                    continue;
                }
            };
            let (id, bytes) = match card.uid.as_deref().and_then(uuid_of).or(stem_uuid) {
                Some(id) => (id, bytes),
                None => {
                    // Adopt: give the card a UUID now, in the file, so a crash cannot adopt it twice.
                    let id = Uuid::new_v4();
                    let text = write_vcard(&id.to_string(), &card.data, VcardVersion::V3);
                    write_atomic(&path, text.as_bytes(), false)?;
                    (id, text.into_bytes())
                }
            };
            if cards.contains_key(&id) {
                summary.skipped.push(format!("{name}: another file has the same UID {id}"));
                continue;
            }
            cards.insert(id, LocalCard { file: name, hash: hash(&bytes), data: card.data });
        }
        Ok((cards, unreadable))
    }

    /// Writes a contact's file and returns its hash.
    fn write_card(
        &self,
        folder: &Path,
        file: &str,
        id: Uuid,
        data: &ContactData,
    ) -> Result<String, SyncError> {
        let text = write_vcard(&id.to_string(), data, VcardVersion::V3);
        std::fs::create_dir_all(folder).map_err(io_err(folder))?;
        write_atomic(&folder.join(file), text.as_bytes(), false)?;
        Ok(hash(text.as_bytes()))
    }

    fn remove_card(&self, folder: &Path, file: &str) -> Result<(), SyncError> {
        let path = folder.join(file);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io_err(&path)(e)),
        }
    }

    /// One full sync: upload local changes, then download the server's.
    pub async fn sync(&self) -> Result<Summary, SyncError> {
        let mut summary = Summary::default();
        let mut state = self.load_state()?;

        // Local changes against the last synced state, book by book (`None`: the first).
        let mut uploads: Vec<proto::UploadItem> = Vec::new();
        let mut locals: HashMap<Option<Uuid>, HashMap<Uuid, LocalCard>> = HashMap::new();
        let books: Vec<Option<Uuid>> =
            std::iter::once(None).chain(state.books.keys().copied().map(Some)).collect();
        for book in books {
            let folder = self.folder(&state, book);
            let (local, unreadable) = self.scan(&folder, &mut summary)?;
            let read_only = book.and_then(|b| state.books.get(&b)).is_some_and(|b| b.read_only);
            let items = items_of(&mut state, book);
            let mut changed = Vec::new();
            for (id, card) in &local {
                match items.get_mut(id) {
                    None => changed.push(upsert(book, *id, None, &card.data)),
                    Some(item) if item.hash != card.hash => {
                        changed.push(upsert(book, *id, Some(item.revision), &card.data))
                    }
                    Some(item) if item.file != card.file => item.file = card.file.clone(),
                    Some(_) => {}
                }
            }
            for (id, item) in items.iter() {
                if !local.contains_key(id) && !unreadable.contains(id) {
                    changed.push(proto::UploadItem {
                        kind: proto::EntityKind::Contact,
                        book,
                        id: *id,
                        op: proto::Op::Delete,
                        base_revision: Some(item.revision),
                        data: None,
                    });
                }
            }
            if read_only && !changed.is_empty() {
                summary.skipped.push(format!(
                    "{}: {} local change(s) not uploaded: the address book is read-only for you",
                    folder.display(),
                    changed.len()
                ));
                changed.clear();
            }
            uploads.extend(changed);
            locals.insert(book, local);
        }
        // Contacts whose upload the server refused keep their local file untouched this run.
        let mut held: HashSet<Uuid> = HashSet::new();
        for batch in uploads.chunks(UPLOAD_BATCH) {
            let r = self
                .http
                .post(self.url("/api/v1/sync/upload"))
                .bearer_auth(&self.token)
                .json(&proto::UploadRequest { changes: batch.to_vec() })
                .send()
                .await
                .map_err(|e| SyncError::Network(e.to_string()))?;
            let resp: proto::UploadResponse = Self::check(r)
                .await?
                .json()
                .await
                .map_err(|e| SyncError::Network(e.to_string()))?;
            for (item, result) in batch.iter().zip(resp.results) {
                if result.status == proto::ItemStatus::Rejected {
                    held.insert(result.id);
                }
                let empty = HashMap::new();
                let local = locals.get(&item.book).unwrap_or(&empty);
                self.apply_result(&mut state, item.book, local, result, &mut summary)?;
            }
            self.save_state(&state)?;
        }

        // The server's changes since our cursor, in every book.
        loop {
            let mut req = self
                .http
                .get(self.url("/api/v1/sync/changes"))
                .bearer_auth(&self.token)
                .query(&[("limit", DOWNLOAD_PAGE.to_string())]);
            if let Some(c) = &state.cursor {
                req = req.query(&[("cursor", c)]);
            }
            let r = req.send().await.map_err(|e| SyncError::Network(e.to_string()))?;
            let page: proto::ChangesResponse = match Self::check(r).await {
                Ok(r) => r.json().await.map_err(|e| SyncError::Network(e.to_string()))?,
                Err(SyncError::Server { status: 410, .. }) if state.cursor.is_some() => {
                    // The server no longer knows our cursor: download everything again.
                    state.cursor = None;
                    continue;
                }
                Err(e) => return Err(e),
            };
            self.follow_books(&mut state, &page.books)?;
            for change in page.changes {
                if !held.contains(&change.id()) {
                    self.apply_change(&mut state, change, &mut summary)?;
                }
            }
            state.cursor = Some(page.cursor);
            self.save_state(&state)?;
            if !page.more {
                break;
            }
        }
        Ok(summary)
    }

    /// Makes a folder for each book newly readable, and empties and removes the folder of each
    /// book no longer listed (only the files this client wrote; anything else stays).
    fn follow_books(&self, state: &mut State, listed: &[proto::BookRef]) -> Result<(), SyncError> {
        for b in listed.iter().filter(|b| !b.first) {
            let entry = state.books.entry(b.id).or_insert_with(|| BookState {
                name: b.name.clone(),
                folder: folder_for(&b.name, b.id),
                read_only: false,
                items: BTreeMap::new(),
            });
            entry.name = b.name.clone();
            entry.read_only = b.access == "read_only";
            let folder = self.dir.join(&entry.folder);
            std::fs::create_dir_all(&folder).map_err(io_err(&folder))?;
        }
        let gone: Vec<Uuid> = state
            .books
            .keys()
            .copied()
            .filter(|id| !listed.iter().any(|b| b.id == *id && !b.first))
            .collect();
        for id in gone {
            if let Some(book) = state.books.remove(&id) {
                let folder = self.dir.join(&book.folder);
                for item in book.items.values() {
                    self.remove_card(&folder, &item.file)?;
                }
                // Removed only when nothing else is in it.
                let _ = std::fs::remove_dir(&folder);
            }
        }
        Ok(())
    }

    fn apply_result(
        &self,
        state: &mut State,
        book: Option<Uuid>,
        local: &HashMap<Uuid, LocalCard>,
        r: proto::ItemResult,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        let id = r.id;
        let folder = self.folder(state, book);
        let items = items_of(state, book);
        let card = local.get(&id);
        let file = card
            .map(|c| c.file.clone())
            .or_else(|| items.get(&id).map(|i| i.file.clone()))
            .unwrap_or_else(|| format!("{id}.vcf"));
        match r.status {
            proto::ItemStatus::Created
            | proto::ItemStatus::Updated
            | proto::ItemStatus::Unchanged => {
                match (card, r.revision) {
                    (Some(card), Some(revision)) => {
                        items.insert(id, Item { file, revision, hash: card.hash.clone() });
                    }
                    // A deletion the server never saw: forget it.
                    _ => {
                        items.remove(&id);
                    }
                }
                match r.status {
                    proto::ItemStatus::Created => summary.up_created += 1,
                    proto::ItemStatus::Updated => summary.up_updated += 1,
                    _ => {}
                }
            }
            proto::ItemStatus::Deleted => {
                items.remove(&id);
                summary.up_deleted += 1;
            }
            proto::ItemStatus::Conflict => {
                summary.conflicts += 1;
                match r.current.as_ref().and_then(|c| c.contact().map(|d| (c.revision, d))) {
                    Some((revision, data)) => {
                        let hash = self.write_card(&folder, &file, id, &data)?;
                        items.insert(id, Item { file, revision, hash });
                    }
                    None => {
                        self.remove_card(&folder, &file)?;
                        items.remove(&id);
                    }
                }
            }
            proto::ItemStatus::Rejected => {
                summary.skipped.push(format!(
                    "{file}: refused by the server: {}",
                    r.reason.unwrap_or_default()
                ));
            }
        }
        Ok(())
    }

    fn apply_change(
        &self,
        state: &mut State,
        change: proto::Change,
        summary: &mut Summary,
    ) -> Result<(), SyncError> {
        // A vdir holds contacts only; group membership travels inside each card.
        if change.kind() != proto::EntityKind::Contact {
            return Ok(());
        }
        let book = change.book();
        if book.is_some_and(|b| !state.books.contains_key(&b)) {
            // A book the page did not list (it cannot be, but a folder is never guessed).
            return Ok(());
        }
        let folder = self.folder(state, book);
        let items = items_of(state, book);
        let contact = change.contact();
        match change {
            proto::Change::Upsert { id, revision, .. } => {
                let data = match contact {
                    Some(Ok(d)) => d,
                    _ => {
                        summary.skipped.push(format!(
                            "{id}: the server sent contact data this client cannot read"
                        ));
                        return Ok(());
                    }
                };
                let known = items.get(&id);
                if known.is_some_and(|i| i.revision == revision) {
                    return Ok(());
                }
                let file = known.map(|i| i.file.clone()).unwrap_or_else(|| format!("{id}.vcf"));
                if known.is_some() {
                    summary.down_updated += 1;
                } else {
                    summary.down_created += 1;
                }
                let hash = self.write_card(&folder, &file, id, &data)?;
                items.insert(id, Item { file, revision, hash });
            }
            proto::Change::Delete { id, .. } => {
                if let Some(item) = items.remove(&id) {
                    self.remove_card(&folder, &item.file)?;
                    summary.down_deleted += 1;
                }
            }
        }
        Ok(())
    }
}

/// The contacts known of a book (`None`: the first).
fn items_of(state: &mut State, book: Option<Uuid>) -> &mut BTreeMap<Uuid, Item> {
    match book {
        Some(b) => &mut state.books.entry(b).or_default().items,
        None => &mut state.items,
    }
}

fn upsert(
    book: Option<Uuid>,
    id: Uuid,
    base: Option<i64>,
    data: &ContactData,
) -> proto::UploadItem {
    proto::UploadItem {
        kind: proto::EntityKind::Contact,
        book,
        id,
        op: proto::Op::Upsert,
        base_revision: base,
        data: serde_json::to_value(data).ok(),
    }
}
