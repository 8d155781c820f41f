//! Address books as collections: which book a URL segment names, making one (MKCOL and
//! extended MKCOL, RFC 5689), deleting one, and what a collection's properties are made of.
//!
//! In an account's home the first book is `contacts/`; a book a client made with MKCOL keeps the
//! name the client gave (its id is derived from the account and that name, so the name needs no
//! lookup table); every other book — made in the console, a directory, shared by another
//! account — is at its id.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::{Access, AccountId, BookId, BookInfo};
use store::{Scope, Store, StoreError};
use uuid::Uuid;

use crate::card;
use crate::error::{DavError, DavResult};
use crate::paths::{self, Target};
use crate::props::CollectionInfo;
use crate::request::parse_mkcol;
use crate::xml::Name;
use crate::{read_xml, Ctx};

/// The id of the book a segment of `account`'s home names.
pub fn book_id_for(account: AccountId, segment: &str) -> BookId {
    if segment == paths::BOOK {
        return BookId::first_of(account);
    }
    match Uuid::try_parse(segment) {
        Ok(id) if id.hyphenated().to_string() == segment => BookId::from_uuid(id),
        _ => {
            BookId::from_uuid(card::id_for_uid(account.as_uuid(), &format!("\u{0}book/{segment}")))
        }
    }
}

/// The segment of a book in the home of the account that sees it.
pub fn segment_of(info: &BookInfo) -> String {
    if info.is_first {
        paths::BOOK.to_string()
    } else {
        info.dav_segment.clone().unwrap_or_else(|| info.id.to_string())
    }
}

/// The book a segment names, if the account may read it.
pub async fn open(store: &Store, account: AccountId, segment: &str) -> DavResult<Option<Scope>> {
    let id = book_id_for(account, segment);
    if id == BookId::first_of(account) {
        return Ok(Some(Scope::from(account)));
    }
    match store.open_book(account, id).await {
        Ok(scope) => Ok(Some(scope)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// What the properties of a book's collection are made of.
pub async fn info(ctx: &Ctx, scope: Scope) -> DavResult<CollectionInfo> {
    let store = ctx.store();
    let book = store.book(scope).await?;
    book_info(ctx, &book, scope).await
}

pub async fn book_info(ctx: &Ctx, book: &BookInfo, scope: Scope) -> DavResult<CollectionInfo> {
    let store = ctx.store();
    let mut name = book.name.clone();
    if book.is_first && name == store::FIRST_BOOK_NAME {
        // A name given over CardDAV before books had their own moves into the book.
        if let Some(legacy) = crate::book::legacy_book_name(store, ctx.account()).await? {
            if let Ok(b) = store.update_book(scope, &legacy, &book.description).await {
                name = b.name;
            }
        }
    }
    Ok(CollectionInfo {
        user: ctx.user().to_string(),
        book_name: name,
        description: book.description.clone(),
        owner: book.owner_name.clone(),
        access: scope.access(),
        seq: store.current_seq(scope).await?,
        max_resource_size: ctx.state.config.max_resource_size,
    })
}

/// What a home or the root shows (they are no book).
pub fn plain_info(ctx: &Ctx) -> CollectionInfo {
    CollectionInfo {
        user: ctx.user().to_string(),
        book_name: String::new(),
        description: String::new(),
        owner: Some(ctx.user().to_string()),
        access: Access::Owner,
        seq: 0,
        max_resource_size: ctx.state.config.max_resource_size,
    }
}

/// Every book of the account's home, with its href and properties.
pub async fn home_books(ctx: &Ctx) -> DavResult<Vec<(Target, CollectionInfo)>> {
    let mut out = Vec::new();
    for (book, scope) in ctx.store().book_scopes(ctx.account()).await? {
        let target = Target::Book(ctx.user().to_string(), segment_of(&book));
        out.push((target, book_info(ctx, &book, scope).await?));
    }
    Ok(out)
}

fn need_privileges(message: &str) -> DavError {
    DavError::Condition(StatusCode::FORBIDDEN, Name::dav("need-privileges"), message.into())
}

/// MKCOL where a collection already is, or inside a book.
pub fn mkcol_taken(ctx: &Ctx) -> DavError {
    match ctx.target {
        Target::Card(..) => DavError::status(
            StatusCode::FORBIDDEN,
            "An address book holds cards only; make new address books in your home.",
        ),
        _ => DavError::status(StatusCode::METHOD_NOT_ALLOWED, "This collection already exists."),
    }
}

/// MKCOL of a new book in the account's own home: plain (an address book is made) or extended
/// with its resource type, `displayname` and `addressbook-description`.
pub async fn mkcol(ctx: &Ctx, body: Body) -> DavResult<Response> {
    let Target::Book(_, segment) = &ctx.target else {
        return Err(mkcol_taken(ctx));
    };
    let typed = ctx.header(header::CONTENT_TYPE).map(str::to_ascii_lowercase);
    let text = read_xml(body).await?;
    let req = if text.trim().is_empty() {
        Default::default()
    } else {
        if typed.as_deref().is_some_and(|t| !t.contains("xml")) {
            return Err(DavError::status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "MKCOL takes no body, or an extended MKCOL (XML) body.",
            ));
        }
        parse_mkcol(&text).map_err(|e| DavError::bad_request(e.0))?
    };
    if req.types.iter().any(|t| !t.is(crate::xml::CARDDAV, "addressbook")) {
        return Err(DavError::Condition(
            StatusCode::FORBIDDEN,
            Name::dav("valid-resourcetype"),
            "Rolo keeps address books only.".into(),
        ));
    }
    if !req.other.is_empty() {
        let names: Vec<String> = req.other.iter().map(ToString::to_string).collect();
        return Err(DavError::status(
            StatusCode::FORBIDDEN,
            format!("These properties cannot be set: {}.", names.join(", ")),
        ));
    }
    let name = req.displayname.as_deref().map(str::trim).filter(|n| !n.is_empty());
    let name = name.unwrap_or(segment.as_str());
    let id = book_id_for(ctx.account(), segment);
    let made = ctx
        .store()
        .create_dav_book(ctx.account(), id, segment, name, req.description.as_deref().unwrap_or(""))
        .await;
    match made {
        Ok(_) => {}
        Err(StoreError::Invalid(v)) => {
            let m = v.0.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join(" ");
            return Err(DavError::status(StatusCode::FORBIDDEN, m));
        }
        Err(StoreError::Conflict(_)) => {
            return Err(DavError::status(StatusCode::FORBIDDEN, "This collection name is taken."))
        }
        Err(e) => return Err(e.into()),
    }
    let mut r = StatusCode::CREATED.into_response();
    if let Ok(v) = HeaderValue::from_str(&ctx.target.href()) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    Ok(r)
}

/// DELETE of a book: to the trash (its owner; not the first book).
pub async fn delete(ctx: &Ctx) -> DavResult<Response> {
    let scope = ctx.book();
    if !scope.access().is_owner() {
        return Err(need_privileges("Only the address book's owner may delete it."));
    }
    match ctx.store().delete_book(scope).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(StoreError::Conflict(m)) => Err(DavError::status(StatusCode::FORBIDDEN, m)),
        Err(e) => Err(e.into()),
    }
}
