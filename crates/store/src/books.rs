//! Address books: who may do what with which book ([`Scope`], [`Store::open_book`]), the books
//! an account sees, their names, shares, teams, the trash of books, and the audit log.
//!
//! Every read and write of records takes a [`Scope`]: a book and the account acting in it, with
//! what that account may do there. A scope is made only here: from an account id for the
//! account's own first book (which it always has, and which cannot be deleted), or by
//! [`Store::open_book`], which reads the book and its shares from the database on every call —
//! a share withdrawn is gone for the next request, on every instance.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use crypto::{DataKey, KeyId, RecordKind, WrappedKey};
use domain::{Access, AccountId, BookId, BookInfo, BookKind, Grantee, ShareInfo, TeamId, TeamInfo};
use uuid::Uuid;

use crate::backend::{AuditRow, BookRow, GranteeRow, ShareRow, TeamRow};
use crate::store::now_ms;
use crate::{Store, StoreError, StoreResult};

/// A book and the account acting in it, with what it may do there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scope {
    book: BookId,
    actor: AccountId,
    access: Access,
}

impl From<AccountId> for Scope {
    /// The account's own first book, as its owner.
    fn from(account: AccountId) -> Self {
        Scope { book: BookId::first_of(account), actor: account, access: Access::Owner }
    }
}

impl Scope {
    pub fn book(&self) -> BookId {
        self.book
    }
    pub fn actor(&self) -> AccountId {
        self.actor
    }
    pub fn access(&self) -> Access {
        self.access
    }
    pub fn can_write(&self) -> bool {
        self.access.can_write()
    }
    pub(crate) fn check_write(&self) -> StoreResult<()> {
        if self.can_write() {
            Ok(())
        } else {
            Err(StoreError::ReadOnly)
        }
    }
    pub(crate) fn check_owner(&self) -> StoreResult<()> {
        if self.access.is_owner() {
            Ok(())
        } else {
            Err(StoreError::NotOwner)
        }
    }
}

/// What a book's name and description are sealed as.
#[derive(serde::Serialize, serde::Deserialize)]
struct Meta {
    name: String,
    #[serde(default)]
    description: String,
    /// The collection name a CardDAV client chose (MKCOL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    segment: Option<String>,
}

/// How a new book is made: at a chosen id, with a CardDAV collection name.
#[derive(Default)]
struct NewBook {
    id: Option<BookId>,
    segment: Option<String>,
}

/// The name of an account's first book until it is renamed.
pub const FIRST_BOOK_NAME: &str = "Contacts";

/// One entry of the audit log, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    /// The acting account's username (`None` once the account is gone).
    pub actor: Option<String>,
    pub book: Option<BookId>,
    pub action: String,
    /// What the action was about (file name, counts); empty once its book is gone.
    pub detail: String,
}

impl Store {
    /// The book's data key, from the cache without reading the book when it is there.
    pub(crate) async fn key_of(&self, book: BookId) -> StoreResult<DataKey> {
        if let Some(k) = self.cached_key(book)? {
            return Ok(k);
        }
        let row = self.backend.book(book).await?.ok_or(StoreError::NotFound)?;
        self.data_key(&row)
    }

    fn cached_key(&self, book: BookId) -> StoreResult<Option<DataKey>> {
        Ok(self
            .data_keys
            .lock()
            .map_err(|_| StoreError::Backend("key cache poisoned".into()))?
            .get(&book)
            .cloned())
    }

    pub(crate) fn data_key(&self, book: &BookRow) -> StoreResult<DataKey> {
        if let Some(k) = self.cached_key(book.id)? {
            return Ok(k);
        }
        let wrapped =
            WrappedKey { key_id: KeyId::new(&book.key_id), blob: book.wrapped_key.clone() };
        let key = self.unwrap_key(book.id.as_bytes(), &wrapped)?;
        if let Ok(mut cache) = self.data_keys.lock() {
            cache.insert(book.id, key.clone());
        }
        Ok(key)
    }

    /// What `account` may do with `book`, read from the database now; `NotFound` when nothing
    /// (a stranger learns nothing of the book), when it is in the trash, or when the account is
    /// disabled.
    pub async fn open_book(&self, account: AccountId, book: BookId) -> StoreResult<Scope> {
        // One query: this runs for every request that names a book.
        let found = self.backend.book_access(account, book).await?.ok_or(StoreError::NotFound)?;
        if found.disabled || found.book.deleted_at.is_some() {
            return Err(StoreError::NotFound);
        }
        let row = &found.book;
        let access = if row.owner_id == Some(account)
            || (row.kind == BookKind::Directory && found.is_admin)
        {
            Access::Owner
        } else {
            match found.share {
                Some(true) => Access::ReadWrite,
                Some(false) => Access::ReadOnly,
                None => return Err(StoreError::NotFound),
            }
        };
        Ok(Scope { book, actor: account, access })
    }

    /// Whether a book with this id exists (in the trash or not, whoever's): a name that can
    /// not be given to a new book.
    pub async fn book_exists(&self, book: BookId) -> StoreResult<bool> {
        Ok(self.backend.book(book).await?.is_some())
    }

    /// An administrator acting in another account's book (to import into it): allowed to admins
    /// only, never a read of the book by itself — the caller records what it does in the audit
    /// log, and the history names the administrator.
    pub async fn admin_scope(&self, admin: AccountId, book: BookId) -> StoreResult<Scope> {
        let acc = self.account_row(admin).await?;
        if !acc.is_admin || acc.disabled {
            return Err(StoreError::NotOwner);
        }
        let row = self.backend.book(book).await?.ok_or(StoreError::NotFound)?;
        if row.deleted_at.is_some() {
            return Err(StoreError::NotFound);
        }
        Ok(Scope { book, actor: admin, access: Access::ReadWrite })
    }

    /// A book in the trash, for its owner to look at or restore.
    async fn trashed_book(&self, account: AccountId, book: BookId) -> StoreResult<BookRow> {
        let acc = self.account_row(account).await?;
        let row = self.backend.book(book).await?.ok_or(StoreError::NotFound)?;
        let owner = match row.kind {
            BookKind::Personal => row.owner_id == Some(account),
            BookKind::Directory => acc.is_admin,
        };
        if !owner || row.deleted_at.is_none() {
            return Err(StoreError::NotFound);
        }
        Ok(row)
    }

    /// Every book the account may read (not those in the trash): its own first, then the
    /// directories, then books shared with it; each with what it may do there.
    pub async fn books(&self, account: AccountId) -> StoreResult<Vec<BookInfo>> {
        Ok(self.book_scopes(account).await?.into_iter().map(|(b, _)| b).collect())
    }

    /// [`Store::books`], each with its scope (what a listing of every book reads through).
    pub async fn book_scopes(&self, account: AccountId) -> StoreResult<Vec<(BookInfo, Scope)>> {
        let acc = self.account_row(account).await?;
        if acc.disabled {
            return Ok(Vec::new());
        }
        let mut found: BTreeMap<BookId, (BookRow, Access)> = BTreeMap::new();
        let mut add = |row: BookRow, access: Access| {
            if row.deleted_at.is_some() {
                return;
            }
            match found.get_mut(&row.id) {
                Some((_, a)) if *a >= access => {}
                Some((_, a)) => *a = access,
                None => {
                    found.insert(row.id, (row, access));
                }
            }
        };
        for row in self.backend.owned_books(account).await? {
            add(row, Access::Owner);
        }
        if acc.is_admin {
            for row in self.backend.directory_books().await? {
                add(row, Access::Owner);
            }
        }
        for (row, w) in self.backend.shared_with(account).await? {
            add(row, if w { Access::ReadWrite } else { Access::ReadOnly });
        }
        let mut out = Vec::with_capacity(found.len());
        let mut names: HashMap<AccountId, String> = HashMap::new();
        for (row, access) in found.into_values() {
            out.push(self.book_info_of(&row, account, access, &mut names).await?);
        }
        out.sort_by(|a, b| {
            let rank = |i: &BookInfo| match (i.is_first, i.access, i.kind) {
                (true, _, _) => 0,
                (_, Access::Owner, BookKind::Personal) => 1,
                (_, _, BookKind::Directory) => 2,
                _ => 3,
            };
            rank(a).cmp(&rank(b)).then(a.name.to_lowercase().cmp(&b.name.to_lowercase()))
        });
        Ok(out
            .into_iter()
            .map(|b| {
                let scope = Scope { book: b.id, actor: account, access: b.access };
                (b, scope)
            })
            .collect())
    }

    /// The book of a scope, as its account sees it.
    pub async fn book(&self, scope: Scope) -> StoreResult<BookInfo> {
        let row = self.backend.book(scope.book).await?.ok_or(StoreError::NotFound)?;
        self.book_info_of(&row, scope.actor, scope.access, &mut HashMap::new()).await
    }

    async fn book_info_of(
        &self,
        row: &BookRow,
        account: AccountId,
        access: Access,
        names: &mut HashMap<AccountId, String>,
    ) -> StoreResult<BookInfo> {
        let meta = self.book_meta(row)?;
        let owner_name = match row.owner_id {
            Some(o) => match names.get(&o) {
                Some(n) => Some(n.clone()),
                None => {
                    let n = self.account_row(o).await?.username.to_string();
                    names.insert(o, n.clone());
                    Some(n)
                }
            },
            None => None,
        };
        Ok(BookInfo {
            id: row.id,
            name: meta.name,
            description: meta.description,
            kind: row.kind,
            owner: row.owner_id,
            owner_name,
            access,
            is_first: is_first_book(row) && row.owner_id == Some(account),
            dav_segment: meta.segment.filter(|_| row.owner_id == Some(account)),
            created_at: row.created_at,
            deleted_at: row.deleted_at,
        })
    }

    fn book_meta(&self, row: &BookRow) -> StoreResult<Meta> {
        match &row.sealed_meta {
            None => {
                Ok(Meta { name: FIRST_BOOK_NAME.into(), description: String::new(), segment: None })
            }
            Some(sealed) => {
                let key = self.data_key(row)?;
                let plain = key.open_record(
                    RecordKind::BookMeta,
                    row.id.as_bytes(),
                    row.id.as_bytes(),
                    row.meta_rev,
                    sealed,
                )?;
                serde_json::from_slice(&plain).map_err(|e| {
                    StoreError::Backend(format!("book {} does not decode: {e}", row.id))
                })
            }
        }
    }

    fn seal_meta(
        &self,
        key: &DataKey,
        book: BookId,
        rev: i64,
        name: &str,
        description: &str,
        segment: Option<String>,
    ) -> StoreResult<Vec<u8>> {
        let name = domain::check_book_name(name).map_err(|m| invalid("name", m))?;
        let description =
            domain::check_book_description(description).map_err(|m| invalid("description", m))?;
        let plain = serde_json::to_vec(&Meta { name, description, segment })
            .map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(key.seal_record(RecordKind::BookMeta, book.as_bytes(), book.as_bytes(), rev, &plain)?)
    }

    /// A new personal book of `owner` (with its own data key).
    pub async fn create_book(
        &self,
        owner: AccountId,
        name: &str,
        description: &str,
    ) -> StoreResult<BookInfo> {
        self.new_book(owner, BookKind::Personal, Some(owner), name, description, NewBook::default())
            .await
    }

    /// A new book made by a CardDAV client (MKCOL), at the id its collection name stands for;
    /// the name is kept (`BookInfo::dav_segment`). `Conflict` if that id is taken.
    pub async fn create_dav_book(
        &self,
        owner: AccountId,
        id: BookId,
        segment: &str,
        name: &str,
        description: &str,
    ) -> StoreResult<BookInfo> {
        let new = NewBook { id: Some(id), segment: Some(segment.to_string()) };
        self.new_book(owner, BookKind::Personal, Some(owner), name, description, new).await
    }

    /// A new company directory; `admin` must be an admin.
    pub async fn create_directory(
        &self,
        admin: AccountId,
        name: &str,
        description: &str,
    ) -> StoreResult<BookInfo> {
        if !self.account_row(admin).await?.is_admin {
            return Err(StoreError::NotOwner);
        }
        self.new_book(admin, BookKind::Directory, None, name, description, NewBook::default()).await
    }

    async fn new_book(
        &self,
        actor: AccountId,
        kind: BookKind,
        owner: Option<AccountId>,
        name: &str,
        description: &str,
        new: NewBook,
    ) -> StoreResult<BookInfo> {
        let id = new.id.unwrap_or_else(|| BookId::from_uuid(Uuid::now_v7()));
        let key = DataKey::generate()?;
        let wrapped = self.keyring().wrap(id.as_bytes(), &key)?;
        let sealed = self.seal_meta(&key, id, 0, name, description, new.segment)?;
        let row = BookRow {
            id,
            owner_id: owner,
            kind,
            sealed_meta: Some(sealed),
            meta_rev: 0,
            key_id: wrapped.key_id.to_string(),
            wrapped_key: wrapped.blob,
            created_at: now_ms(),
            deleted_at: None,
        };
        self.backend.create_book(&row).await?;
        if let Ok(mut cache) = self.data_keys.lock() {
            cache.insert(id, key);
        }
        self.book_info_of(&row, actor, Access::Owner, &mut HashMap::new()).await
    }

    /// Renames and describes a book (its owner only).
    pub async fn update_book(
        &self,
        scope: Scope,
        name: &str,
        description: &str,
    ) -> StoreResult<BookInfo> {
        scope.check_owner()?;
        for _ in 0..3 {
            let row = self.backend.book(scope.book).await?.ok_or(StoreError::NotFound)?;
            let key = self.data_key(&row)?;
            let segment = self.book_meta(&row)?.segment;
            let sealed =
                self.seal_meta(&key, row.id, row.meta_rev + 1, name, description, segment)?;
            if self.backend.set_book_meta(row.id, row.meta_rev, &sealed).await? {
                return self.book(scope).await;
            }
        }
        Err(StoreError::Stale { current: 0 })
    }

    /// Puts a book in the trash (its owner only; not an account's first book). Its contacts
    /// stay until the trash is emptied; shares stop giving access at once.
    pub async fn delete_book(&self, scope: Scope) -> StoreResult<()> {
        scope.check_owner()?;
        let row = self.backend.book(scope.book).await?.ok_or(StoreError::NotFound)?;
        if is_first_book(&row) {
            return Err(StoreError::Conflict(
                "An account's first address book cannot be deleted; rename it instead.".into(),
            ));
        }
        self.backend.set_book_deleted(scope.book, Some(now_ms())).await?;
        Ok(())
    }

    /// The books in the account's trash (its own; an admin's include directories).
    pub async fn trashed_books(&self, account: AccountId) -> StoreResult<Vec<BookInfo>> {
        let acc = self.account_row(account).await?;
        let mut rows = self.backend.owned_books(account).await?;
        if acc.is_admin {
            rows.extend(self.backend.directory_books().await?);
        }
        let mut out = Vec::new();
        let mut names = HashMap::new();
        for row in rows.iter().filter(|r| r.deleted_at.is_some()) {
            out.push(self.book_info_of(row, account, Access::Owner, &mut names).await?);
        }
        Ok(out)
    }

    /// Takes a book out of the trash, with its contacts and shares.
    /// A book a CardDAV client made comes back at its id when its collection name was given to
    /// another book meanwhile.
    pub async fn restore_book(&self, account: AccountId, book: BookId) -> StoreResult<()> {
        let row = self.trashed_book(account, book).await?;
        let meta = self.book_meta(&row)?;
        if let Some(segment) = &meta.segment {
            let mut taken = false;
            for other in self.backend.owned_books(account).await? {
                if other.id != row.id
                    && other.deleted_at.is_none()
                    && self.book_meta(&other)?.segment.as_ref() == Some(segment)
                {
                    taken = true;
                }
            }
            if taken {
                let key = self.data_key(&row)?;
                let sealed = self.seal_meta(
                    &key,
                    row.id,
                    row.meta_rev + 1,
                    &meta.name,
                    &meta.description,
                    None,
                )?;
                self.backend.set_book_meta(row.id, row.meta_rev, &sealed).await?;
            }
        }
        self.backend.set_book_deleted(row.id, None).await?;
        Ok(())
    }

    /// Who a book is shared with (its owner only).
    pub async fn shares(&self, scope: Scope) -> StoreResult<Vec<ShareInfo>> {
        scope.check_owner()?;
        let rows = self.backend.shares(scope.book).await?;
        let teams: HashMap<TeamId, String> =
            self.backend.teams().await?.into_iter().map(|t| (t.id, t.name)).collect();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (grantee, grantee_name) = match r.grantee {
                GranteeRow::Account(a) => {
                    let name = match self.backend.account(a).await? {
                        Some(acc) => acc.username.to_string(),
                        None => continue,
                    };
                    (Grantee::Account(a), name)
                }
                GranteeRow::Team(t) => match teams.get(&t) {
                    Some(n) => (Grantee::Team(t), n.clone()),
                    None => continue,
                },
                GranteeRow::Everyone => (Grantee::Everyone, "everyone".into()),
            };
            out.push(ShareInfo {
                grantee,
                grantee_name,
                can_write: r.can_write,
                created_at: r.created_at,
            });
        }
        Ok(out)
    }

    /// Shares a book (or changes a share's permission): its owner only; never with the owner.
    pub async fn share_book(
        &self,
        scope: Scope,
        grantee: &Grantee,
        can_write: bool,
    ) -> StoreResult<()> {
        scope.check_owner()?;
        let row = self.backend.book(scope.book).await?.ok_or(StoreError::NotFound)?;
        let grantee = match grantee {
            Grantee::Account(a) => {
                if row.owner_id == Some(*a) {
                    return Err(StoreError::Conflict(
                        "The owner already has the book; share it with someone else.".into(),
                    ));
                }
                self.account_row(*a).await?;
                GranteeRow::Account(*a)
            }
            Grantee::Team(t) => {
                if !self.backend.teams().await?.iter().any(|x| x.id == *t) {
                    return Err(StoreError::NotFound);
                }
                GranteeRow::Team(*t)
            }
            Grantee::Everyone => GranteeRow::Everyone,
        };
        self.backend
            .put_share(&ShareRow { book_id: scope.book, grantee, can_write, created_at: now_ms() })
            .await
    }

    /// Withdraws a share: the grantee loses access with its next request.
    pub async fn unshare_book(&self, scope: Scope, grantee: &Grantee) -> StoreResult<bool> {
        scope.check_owner()?;
        let g = match grantee {
            Grantee::Account(a) => GranteeRow::Account(*a),
            Grantee::Team(t) => GranteeRow::Team(*t),
            Grantee::Everyone => GranteeRow::Everyone,
        };
        self.backend.delete_share(scope.book, g).await
    }

    /// Every team with its members (admins manage them; the caller checks).
    pub async fn teams(&self) -> StoreResult<Vec<TeamInfo>> {
        let teams = self.backend.teams().await?;
        let members = self.backend.team_members().await?;
        let names = self.usernames().await?;
        Ok(teams
            .into_iter()
            .map(|t| {
                let mut m: Vec<(AccountId, String)> = members
                    .iter()
                    .filter(|(team, _)| *team == t.id)
                    .filter_map(|(_, a)| names.get(a).map(|n| (*a, n.clone())))
                    .collect();
                m.sort_by(|a, b| a.1.cmp(&b.1));
                TeamInfo { id: t.id, name: t.name, members: m, created_at: t.created_at }
            })
            .collect())
    }

    pub async fn create_team(&self, name: &str) -> StoreResult<TeamInfo> {
        let name = domain::check_team_name(name).map_err(|m| invalid("name", m))?;
        let row = TeamRow { id: TeamId::from_uuid(Uuid::now_v7()), name, created_at: now_ms() };
        self.backend.create_team(&row).await?;
        Ok(TeamInfo { id: row.id, name: row.name, members: Vec::new(), created_at: row.created_at })
    }

    pub async fn rename_team(&self, id: TeamId, name: &str) -> StoreResult<()> {
        let name = domain::check_team_name(name).map_err(|m| invalid("name", m))?;
        found(self.backend.rename_team(id, &name).await?)
    }

    /// Deletes a team and every share made to it.
    pub async fn delete_team(&self, id: TeamId) -> StoreResult<()> {
        found(self.backend.delete_team(id).await?)
    }

    pub async fn set_team_member(
        &self,
        team: TeamId,
        account: AccountId,
        member: bool,
    ) -> StoreResult<()> {
        self.account_row(account).await?;
        if !self.backend.teams().await?.iter().any(|t| t.id == team) {
            return Err(StoreError::NotFound);
        }
        self.backend.set_team_member(team, account, member).await?;
        Ok(())
    }

    /// Records what an admin did in a book (imports into a directory or another account's
    /// book): the detail is sealed with the book's key.
    pub async fn record_audit(&self, scope: Scope, action: &str, detail: &str) -> StoreResult<()> {
        let key = self.key_of(scope.book).await?;
        let id = Uuid::now_v7();
        let sealed = key.seal_record(
            RecordKind::Audit,
            scope.book.as_bytes(),
            id.as_bytes(),
            0,
            detail.as_bytes(),
        )?;
        self.backend
            .add_audit(&AuditRow {
                id,
                at: now_ms(),
                actor_id: Some(scope.actor),
                book_id: Some(scope.book),
                action: action.to_string(),
                sealed: Some(sealed),
            })
            .await
    }

    /// The newest entries of the audit log first (admins read it; the caller checks).
    pub async fn audit_log(&self, limit: i64) -> StoreResult<Vec<AuditEntry>> {
        let names = self.usernames().await?;
        let mut out = Vec::new();
        for row in self.backend.audit_log(limit).await? {
            let detail = match (row.book_id, &row.sealed) {
                (Some(book), Some(sealed)) => match self.key_of(book).await {
                    Ok(key) => key
                        .open_record(
                            RecordKind::Audit,
                            book.as_bytes(),
                            row.id.as_bytes(),
                            0,
                            sealed,
                        )
                        .map(|p| String::from_utf8_lossy(&p).into_owned())
                        .unwrap_or_default(),
                    Err(_) => String::new(),
                },
                _ => String::new(),
            };
            out.push(AuditEntry {
                at: row.at,
                actor: row.actor_id.and_then(|a| names.get(&a).cloned()),
                book: row.book_id,
                action: row.action,
                detail,
            });
        }
        Ok(out)
    }

    /// Every account's username, by id.
    async fn usernames(&self) -> StoreResult<HashMap<AccountId, String>> {
        Ok(self
            .backend
            .list_accounts()
            .await?
            .into_iter()
            .map(|a| (a.id, a.username.to_string()))
            .collect())
    }

    /// Erases books in the trash since before `before`, with all they hold.
    pub(crate) async fn purge_books(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        self.backend.purge_books(before).await
    }
}

/// An account's first book (the one its id stands for), which cannot be deleted.
fn is_first_book(row: &BookRow) -> bool {
    row.owner_id.is_some_and(|o| BookId::first_of(o) == row.id)
}

fn invalid(field: &str, message: String) -> StoreError {
    StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new(field, message)]))
}

fn found(yes: bool) -> StoreResult<()> {
    if yes {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}
