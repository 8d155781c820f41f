//! Server functions for address books: which one the console shows, making, renaming,
//! describing, deleting and restoring them, sharing them, and (admins) teams and company
//! directories. What an account may do is always the store's answer for the signed-in account.

use domain::{BookInfo, ShareInfo, TeamInfo};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::*;

/// The books the signed-in account may read, and the one the console shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Books {
    pub books: Vec<BookInfo>,
    pub current: BookInfo,
}

#[cfg(feature = "ssr")]
fn parse_book(raw: &str) -> Result<domain::BookId, AppError> {
    domain::BookId::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// The book `id` as the signed-in account may use it.
#[cfg(feature = "ssr")]
async fn open(id: &str) -> Result<(domain::AccountInfo, store::Scope), AppError> {
    let account = current_account().await?;
    let scope = state()?.store.open_book(account.id, parse_book(id)?).await.map_err(store_error)?;
    Ok((account, scope))
}

#[server(prefix = "/rpc", endpoint = "my_books", output = crate::wire::TextJson)]
pub async fn my_books() -> Result<Books, AppError> {
    let (account, scope) = current_book().await?;
    let store = state()?.store;
    let books = store.books(account.id).await.map_err(store_error)?;
    let current = match books.iter().find(|b| b.id == scope.book()) {
        Some(b) => b.clone(),
        None => store.book(scope).await.map_err(store_error)?,
    };
    Ok(Books { books, current })
}

/// Shows book `id` in the console from now on.
#[server(prefix = "/rpc", endpoint = "switch_book", output = crate::wire::TextJson)]
pub async fn switch_book(id: String) -> Result<(), AppError> {
    let (_, scope) = open(&id).await?;
    set_book_cookie(scope.book());
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "create_book", output = crate::wire::TextJson)]
pub async fn create_book(name: String, description: String) -> Result<BookInfo, AppError> {
    let account = current_account().await?;
    state()?.store.create_book(account.id, &name, &description).await.map_err(store_error)
}

/// A company directory (admins).
#[server(prefix = "/rpc", endpoint = "create_directory", output = crate::wire::TextJson)]
pub async fn create_directory(name: String, description: String) -> Result<BookInfo, AppError> {
    let admin = crate::api::admin().await?;
    state()?.store.create_directory(admin.id, &name, &description).await.map_err(store_error)
}

#[server(prefix = "/rpc", endpoint = "update_book", output = crate::wire::TextJson)]
pub async fn update_book(
    id: String,
    name: String,
    description: String,
) -> Result<BookInfo, AppError> {
    let (_, scope) = open(&id).await?;
    state()?.store.update_book(scope, &name, &description).await.map_err(store_error)
}

/// Puts a book in the trash (its owner).
#[server(prefix = "/rpc", endpoint = "delete_book", output = crate::wire::TextJson)]
pub async fn delete_book(id: String) -> Result<(), AppError> {
    let (_, scope) = open(&id).await?;
    state()?.store.delete_book(scope).await.map_err(store_error)
}

#[server(prefix = "/rpc", endpoint = "trashed_books", output = crate::wire::TextJson)]
pub async fn trashed_books() -> Result<Vec<BookInfo>, AppError> {
    let account = current_account().await?;
    state()?.store.trashed_books(account.id).await.map_err(store_error)
}

#[server(prefix = "/rpc", endpoint = "restore_book", output = crate::wire::TextJson)]
pub async fn restore_book(id: String) -> Result<(), AppError> {
    let account = current_account().await?;
    state()?.store.restore_book(account.id, parse_book(&id)?).await.map_err(store_error)
}

/// Who a book is shared with (its owner).
#[server(prefix = "/rpc", endpoint = "book_shares", output = crate::wire::TextJson)]
pub async fn book_shares(id: String) -> Result<Vec<ShareInfo>, AppError> {
    let (_, scope) = open(&id).await?;
    state()?.store.shares(scope).await.map_err(store_error)
}

/// Who each of the account's own books is shared with (book id, shares): the Address books
/// page reads them all at once.
#[server(prefix = "/rpc", endpoint = "my_book_shares", output = crate::wire::TextJson)]
pub async fn my_book_shares() -> Result<Vec<(String, Vec<ShareInfo>)>, AppError> {
    let account = current_account().await?;
    let store = state()?.store;
    let mut out = Vec::new();
    for book in store.books(account.id).await.map_err(store_error)? {
        if book.access == domain::Access::Owner {
            let scope = store.open_book(account.id, book.id).await.map_err(store_error)?;
            out.push((book.id.to_string(), store.shares(scope).await.map_err(store_error)?));
        }
    }
    Ok(out)
}

/// The teams a book can be shared with: their ids and names.
#[server(prefix = "/rpc", endpoint = "share_teams", output = crate::wire::TextJson)]
pub async fn share_teams() -> Result<Vec<(String, String)>, AppError> {
    current_account().await?;
    let teams = state()?.store.teams().await.map_err(store_error)?;
    Ok(teams.into_iter().map(|t| (t.id.to_string(), t.name)).collect())
}

/// Shares a book (or changes a share): `with` is `account`, `team` or `everyone`; `name` the
/// username or the team's id; `access` `read` or `write`.
#[server(prefix = "/rpc", endpoint = "share_book", output = crate::wire::TextJson)]
pub async fn share_book(
    id: String,
    with: String,
    name: String,
    access: String,
) -> Result<(), AppError> {
    let (_, scope) = open(&id).await?;
    let store = state()?.store;
    let grantee = grantee(&store, &with, &name).await?;
    let can_write = match access.as_str() {
        "read" => false,
        "write" => true,
        _ => return Err(AppError::BadRequest("Choose read-only or read and write.".into())),
    };
    store.share_book(scope, &grantee, can_write).await.map_err(|e| match e {
        store::StoreError::NotFound => no_such(&with, &name),
        e => store_error(e),
    })
}

#[cfg(feature = "ssr")]
fn no_such(with: &str, name: &str) -> AppError {
    let what = if with == "team" { "team" } else { "account" };
    AppError::Invalid(vec![domain::FieldError::new(
        "name",
        format!("There is no {what} “{name}”."),
    )])
}

#[cfg(feature = "ssr")]
async fn grantee(
    store: &store::Store,
    with: &str,
    name: &str,
) -> Result<domain::Grantee, AppError> {
    Ok(match with {
        "account" => {
            let user = domain::Username::parse(name)
                .map_err(|m| AppError::Invalid(vec![domain::FieldError::new("name", m)]))?;
            match store.account_by_username(&user).await {
                Ok(a) => domain::Grantee::Account(a.id),
                Err(store::StoreError::NotFound) => return Err(no_such(with, name)),
                Err(e) => return Err(store_error(e)),
            }
        }
        "team" => domain::Grantee::Team(
            domain::TeamId::parse(name).map_err(|e| AppError::BadRequest(e.to_string()))?,
        ),
        "everyone" => domain::Grantee::Everyone,
        _ => return Err(AppError::BadRequest("Share with an account, a team or everyone.".into())),
    })
}

/// Withdraws a share: `with` as for `share_book`, `grantee` the account's or team's id.
#[server(prefix = "/rpc", endpoint = "unshare_book", output = crate::wire::TextJson)]
pub async fn unshare_book(id: String, with: String, grantee: String) -> Result<(), AppError> {
    let (_, scope) = open(&id).await?;
    let g = match with.as_str() {
        "account" => domain::Grantee::Account(
            domain::AccountId::parse(&grantee).map_err(|e| AppError::BadRequest(e.to_string()))?,
        ),
        "team" => domain::Grantee::Team(
            domain::TeamId::parse(&grantee).map_err(|e| AppError::BadRequest(e.to_string()))?,
        ),
        "everyone" => domain::Grantee::Everyone,
        _ => return Err(AppError::BadRequest("Unknown kind of share.".into())),
    };
    state()?.store.unshare_book(scope, &g).await.map_err(store_error)?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_teams", output = crate::wire::TextJson)]
pub async fn admin_teams() -> Result<Vec<TeamInfo>, AppError> {
    crate::api::admin().await?;
    state()?.store.teams().await.map_err(store_error)
}

#[server(prefix = "/rpc", endpoint = "admin_create_team", output = crate::wire::TextJson)]
pub async fn admin_create_team(name: String) -> Result<(), AppError> {
    crate::api::admin().await?;
    state()?.store.create_team(&name).await.map_err(store_error)?;
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "admin_delete_team", output = crate::wire::TextJson)]
pub async fn admin_delete_team(id: String) -> Result<(), AppError> {
    crate::api::admin().await?;
    let id = domain::TeamId::parse(&id).map_err(|e| AppError::BadRequest(e.to_string()))?;
    state()?.store.delete_team(id).await.map_err(store_error)
}

/// Adds (`member` set) or removes an account by username.
#[server(prefix = "/rpc", endpoint = "admin_team_member", output = crate::wire::TextJson)]
pub async fn admin_team_member(
    team: String,
    username: String,
    member: Option<String>,
) -> Result<(), AppError> {
    crate::api::admin().await?;
    let store = state()?.store;
    let team = domain::TeamId::parse(&team).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let account = match grantee(&store, "account", &username).await? {
        domain::Grantee::Account(a) => a,
        _ => return Err(AppError::Server),
    };
    store.set_team_member(team, account, member.is_some()).await.map_err(store_error)
}

/// Copies (or, with `remove`, moves) the selected contacts of the book shown into book `to`;
/// returns how many.
#[server(prefix = "/rpc", endpoint = "copy_to_book", output = crate::wire::TextJson)]
pub async fn copy_to_book(
    selection: crate::api::Selection,
    to: String,
    remove: bool,
) -> Result<usize, AppError> {
    let (_, from) = current_book().await?;
    let (_, to) = open(&to).await?;
    let ids = crate::api::resolve(from, &selection).await?;
    state()?
        .store
        .copy_contacts(from, to, &ids, remove, domain::Origin::Console)
        .await
        .map_err(store_error)
}
