//! Address books as collections: which book a URL segment names, making one (MKCOL and
//! extended MKCOL, RFC 5689), deleting one, and what a collection's properties are made of.
//!
//! In an account's home the first book is `contacts/`; a book a client made with MKCOL keeps the
//! name the client gave (its id is derived from the account, that name and a generation — a
//! name deleted and made again gets the next one while the old book waits in the trash — so the
//! name needs no lookup table); every other book — made in the console, a directory, shared by
//! another account — is at its id.

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
use crate::Ctx;

/// The book ids a segment of `account`'s home may name, in the order they are tried: the first
/// book for `contacts`, the id itself for an id, else the generations of a name made by MKCOL.
fn candidates(account: AccountId, segment: &str) -> (bool, Vec<BookId>) {
    if segment == paths::BOOK {
        return (false, vec![BookId::first_of(account)]);
    }
    match Uuid::try_parse(segment) {
        Ok(id) if id.hyphenated().to_string() == segment => (false, vec![BookId::from_uuid(id)]),
        _ => {
            let ids = (0..GENERATIONS)
                .map(|n| {
                    let key = format!("\u{0}book/{n}/{segment}");
                    BookId::from_uuid(card::id_for_uid(account.as_uuid(), &key))
                })
                .collect();
            (true, ids)
        }
    }
}

/// How often one collection name can be deleted and made again while the deleted books are in
/// the trash.
const GENERATIONS: usize = 32;

/// What a segment of the account's home names: the book it may read there, if any, and the id a
/// book made there (MKCOL) would take, if one can be.
pub async fn resolve(
    store: &Store,
    account: AccountId,
    segment: &str,
) -> DavResult<(Option<Scope>, Option<BookId>)> {
    let (named, ids) = candidates(account, segment);
    for id in ids {
        if id == BookId::first_of(account) {
            return Ok((Some(Scope::from(account)), None));
        }
        match store.open_book(account, id).await {
            Ok(scope) => {
                // A book made by MKCOL answers to its name only while it has it (one restored
                // from the trash after its name was given again is at its id).
                if named && store.book(scope).await?.dav_segment.as_deref() != Some(segment) {
                    continue;
                }
                return Ok((Some(scope), None));
            }
            Err(StoreError::NotFound) if store.book_exists(id).await? => continue,
            Err(StoreError::NotFound) => return Ok((None, Some(id))),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((None, None))
}

/// The segment of a book in the home of the account that sees it.
pub fn segment_of(info: &BookInfo) -> String {
    if info.is_first {
        paths::BOOK.to_string()
    } else {
        info.dav_segment.clone().unwrap_or_else(|| info.id.to_string())
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

/// MKCOL anywhere but at a free name of the account's home: where a collection already is
/// (405), inside a book (403 `addressbook-collection-location-ok`: a book holds cards only).
pub async fn mkcol_taken(ctx: &Ctx, body: Body) -> DavError {
    if let Err(e) = mkcol_body(ctx, body).await {
        return e;
    }
    match ctx.target {
        Target::Card(..) => DavError::Condition(
            StatusCode::FORBIDDEN,
            Name::card("addressbook-collection-location-ok"),
            "An address book holds cards only; make new address books in your home.".into(),
        ),
        _ => DavError::status(StatusCode::METHOD_NOT_ALLOWED, "This collection already exists."),
    }
}

/// A MKCOL body: none, or an extended MKCOL; anything else is 415.
async fn mkcol_body(ctx: &Ctx, body: Body) -> DavResult<crate::request::Mkcol> {
    let typed = ctx.header(header::CONTENT_TYPE).map(str::to_ascii_lowercase);
    let bytes = crate::read_body(body, crate::MAX_XML_BODY, || {
        DavError::status(StatusCode::PAYLOAD_TOO_LARGE, "The MKCOL body is too large.")
    })
    .await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Default::default());
    }
    let text = match String::from_utf8(bytes) {
        Ok(t) if typed.as_deref().is_none_or(|t| t.contains("xml")) => t,
        _ => {
            return Err(DavError::status(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "MKCOL takes no body, or an extended MKCOL (XML) body.",
            ))
        }
    };
    parse_mkcol(&text).map_err(|e| DavError::bad_request(e.0))
}

/// MKCOL of a new book at `id` in the account's own home: plain (an address book is made) or
/// extended with its resource type, `displayname` and `addressbook-description`.
pub async fn mkcol(ctx: &Ctx, body: Body, id: BookId) -> DavResult<Response> {
    let Target::Book(_, segment) = &ctx.target else {
        return Err(mkcol_taken(ctx, body).await);
    };
    let req = mkcol_body(ctx, body).await?;
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

/// DELETE of a book: to the trash (its owner — the store refuses anyone else, answered 403
/// `need-privileges`; not the first book).
pub async fn delete(ctx: &Ctx) -> DavResult<Response> {
    match ctx.store().delete_book(ctx.book()).await {
        Ok(()) => Ok(StatusCode::NO_CONTENT.into_response()),
        Err(StoreError::Conflict(m)) => Err(DavError::status(StatusCode::FORBIDDEN, m)),
        Err(e) => Err(e.into()),
    }
}
