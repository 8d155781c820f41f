//! CardDAV (RFC 6352 on WebDAV, RFC 4918; sync-collection, RFC 6578) for Rolo, mounted at
//! `/dav/` with `/.well-known/carddav` redirecting there (RFC 6764).
//!
//! * XML request bodies are read into types by [`request`] and responses written by
//!   [`response`]; both are pure, apart from storage, and snapshot-tested.
//! * One module per method under [`methods`]; [`book`] is the thin layer over the store.
//! * Each account's home (`/dav/addressbooks/<user>/`) holds the address books it may read: its
//!   own (the first at `contacts/`; more made with MKCOL or in the console), company
//!   directories and books shared with it ([`collection`]). Each book's contacts and groups are
//!   its cards; sync tokens and the CTag are the book's change sequence, the one device sync
//!   uses; writes go through the store like every other client's, with history, and what the
//!   account may do is the store's answer (`current-user-privilege-set`; a write it may not make
//!   is 403 `DAV:need-privileges`).
//! * Sign-in: HTTP Basic with the username and a device token ("app password"); the account
//!   password only when the server allows it.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use store::{Scope, Store};

pub mod auth;
pub mod book;
pub mod cache;
pub mod card;
pub mod collection;
pub mod error;
pub mod filter;
pub mod methods;
pub mod paths;
pub mod props;
pub mod request;
pub mod response;
pub mod xml;

use auth::{CredentialCache, Principal, Throttle};
use error::{DavError, DavResult};
use paths::Target;

/// Largest vCard accepted by PUT and served (bytes) unless configured otherwise.
pub const DEFAULT_MAX_RESOURCE_SIZE: usize = 1024 * 1024;
/// Memory for served cards unless configured otherwise: 64 MiB, some 130,000 cards.
pub const DEFAULT_CARD_CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Largest XML request body (a multiget of many hrefs).
pub const MAX_XML_BODY: usize = 4 * 1024 * 1024;

#[derive(Debug, Clone)]
pub struct DavConfig {
    /// Accept the account password as well as device tokens (`ROLO_DAV_ACCOUNT_PASSWORD`).
    pub allow_account_password: bool,
    /// Largest vCard accepted and served, in bytes.
    pub max_resource_size: usize,
    /// Memory for cards served recently, ready to serve again ([`cache`]), in bytes
    /// (`ROLO_DAV_CACHE_MB`); 0 keeps none.
    pub card_cache_bytes: usize,
}

impl Default for DavConfig {
    fn default() -> Self {
        DavConfig {
            allow_account_password: false,
            max_resource_size: DEFAULT_MAX_RESOURCE_SIZE,
            card_cache_bytes: DEFAULT_CARD_CACHE_BYTES,
        }
    }
}

#[derive(Clone)]
pub struct DavState {
    pub store: Arc<Store>,
    pub config: Arc<DavConfig>,
    throttle: Throttle,
    verified: Arc<CredentialCache>,
    pub members: Arc<book::MembersCache>,
    pub cards: Arc<cache::CardCache>,
}

impl DavState {
    pub fn new(store: Arc<Store>, config: DavConfig) -> Self {
        let cards = Arc::new(cache::CardCache::new(config.card_cache_bytes));
        DavState {
            store,
            config: Arc::new(config),
            throttle: Throttle,
            verified: Arc::default(),
            members: Arc::default(),
            cards,
        }
    }
}

/// The CardDAV routes: `/.well-known/carddav` and everything under `/dav`.
pub fn router(state: DavState) -> Router {
    Router::new()
        .route("/.well-known/carddav", any(well_known))
        .route("/dav", any(dispatch))
        .route("/dav/", any(dispatch))
        .route("/dav/{*rest}", any(dispatch))
        .with_state(state)
}

async fn well_known() -> Response {
    let mut r = StatusCode::MOVED_PERMANENTLY.into_response();
    r.headers_mut().insert(header::LOCATION, HeaderValue::from_static(paths::ROOT));
    r
}

/// What every method handler gets.
pub struct Ctx {
    pub state: DavState,
    pub who: Principal,
    pub target: Target,
    /// The book the target is in (the account's first book when the target is none).
    pub scope: Scope,
    pub headers: HeaderMap,
    pub addr: Option<IpAddr>,
}

impl Ctx {
    pub fn store(&self) -> &Store {
        &self.state.store
    }
    pub fn user(&self) -> &str {
        self.who.account.username.as_str()
    }
    pub fn account(&self) -> domain::AccountId {
        self.who.account.id
    }
    /// The book the request is about, with what the account may do there.
    pub fn book(&self) -> Scope {
        self.scope
    }
    /// The href of a card of the target's book.
    pub fn card_href(&self, name: &str) -> String {
        paths::card_href(self.user(), self.target.book().unwrap_or(paths::BOOK), name)
    }
    pub fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Whether the client asked for minimal answers (`Prefer: return=minimal`, RFC 8144, or
    /// `Brief: t` from older Apple clients): properties not found are then left out.
    pub fn minimal(&self) -> bool {
        self.header(header::HeaderName::from_static("prefer"))
            .is_some_and(|p| p.contains("return=minimal"))
            || self
                .header(header::HeaderName::from_static("brief"))
                .is_some_and(|b| b.trim().eq_ignore_ascii_case("t"))
    }

    /// Drops the 404 propstats of a minimal answer.
    pub fn trim(&self, mut propstats: Vec<response::Propstat>) -> Vec<response::Propstat> {
        if self.minimal() {
            propstats.retain(|p| p.status != 404);
        }
        propstats
    }

    /// The `Depth` header: 0 or 1 (`infinity`, the default, is served as 1: there is nothing
    /// deeper).
    pub fn depth(&self, default: u8) -> u8 {
        match self.header(header::HeaderName::from_static("depth")).map(str::trim) {
            Some("0") => 0,
            Some("1") | Some("infinity") => 1,
            _ => default,
        }
    }
}

/// Reads a request body up to `limit` bytes (`too_large` past it).
pub async fn read_body(
    body: Body,
    limit: usize,
    too_large: impl FnOnce() -> DavError,
) -> DavResult<Vec<u8>> {
    match axum::body::to_bytes(body, limit).await {
        Ok(b) => Ok(b.to_vec()),
        Err(e) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(s) = source {
                if s.is::<http_body_util::LengthLimitError>() {
                    return Err(too_large());
                }
                source = s.source();
            }
            Err(DavError::bad_request("The request body could not be read."))
        }
    }
}

/// Reads an XML body as text.
pub async fn read_xml(body: Body) -> DavResult<String> {
    let bytes = read_body(body, MAX_XML_BODY, || {
        DavError::status(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("The XML body exceeds {MAX_XML_BODY} bytes."),
        )
    })
    .await?;
    String::from_utf8(bytes).map_err(|_| DavError::bad_request("The XML body is not UTF-8."))
}

pub const ALLOW: &str = "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCOL";

#[tracing::instrument(skip_all, fields(method = %req.method(), path = %req.uri().path()))]
async fn dispatch(State(state): State<DavState>, req: Request) -> Response {
    let addr = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    if method == Method::OPTIONS {
        return methods::options::handle();
    }
    let (parts, body) = req.into_parts();
    let who = match auth::authenticate(
        &state.store,
        &state.throttle,
        &state.verified,
        state.config.allow_account_password,
        &parts.headers,
        addr,
    )
    .await
    {
        Ok(w) => w,
        Err(e) => return e.into_response(),
    };
    let Some(target) = paths::parse(&path) else {
        // Deeper than a card: a collection or resource whose parent cannot exist.
        if matches!(method.as_str(), "MKCOL" | "PUT") && path.starts_with("/dav/addressbooks/") {
            return DavError::status(
                StatusCode::CONFLICT,
                "The parent of this resource does not exist: address books hold cards only.",
            )
            .into_response();
        }
        return DavError::status(
            StatusCode::NOT_FOUND,
            "Nothing here: the address book is under /dav/.",
        )
        .into_response();
    };
    if let Some(user) = target.user() {
        if user != who.account.username.as_str() {
            return DavError::status(
                StatusCode::FORBIDDEN,
                "This address book belongs to another account.",
            )
            .into_response();
        }
    }
    let account = who.account.id;
    let scope = match target.book() {
        None => Scope::from(account),
        Some(segment) => match collection::resolve(&state.store, account, segment).await {
            Ok((Some(scope), _)) => scope,
            Ok((None, Some(id)))
                if method.as_str() == "MKCOL" && matches!(target, Target::Book(..)) =>
            {
                let ctx = Ctx {
                    state,
                    who,
                    target,
                    scope: Scope::from(account),
                    headers: parts.headers,
                    addr,
                };
                let r = collection::mkcol(&ctx, body, id).await;
                return finish(r.unwrap_or_else(IntoResponse::into_response));
            }
            Ok(_) => {
                return DavError::status(StatusCode::NOT_FOUND, "There is no such address book.")
                    .into_response()
            }
            Err(e) => return e.into_response(),
        },
    };
    let ctx = Ctx { state, who, target, scope, headers: parts.headers, addr };
    let result = match method.as_str() {
        "PROPFIND" => methods::propfind::handle(&ctx, body).await,
        "PROPPATCH" => methods::proppatch::handle(&ctx, body).await,
        "REPORT" => methods::report::handle(&ctx, body).await,
        "GET" => methods::get::handle(&ctx, false).await,
        "HEAD" => methods::get::handle(&ctx, true).await,
        "PUT" => methods::put::handle(&ctx, body).await,
        "DELETE" => methods::delete::handle(&ctx).await,
        "MKCOL" => Err(collection::mkcol_taken(&ctx, body).await),
        "MKCALENDAR" | "COPY" | "MOVE" | "LOCK" | "UNLOCK" | "POST" => {
            methods::unsupported::handle(&ctx, method.as_str())
        }
        _ => Err(DavError::status(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not supported here."),
        )),
    };
    finish(result.unwrap_or_else(IntoResponse::into_response))
}

/// The headers every answer carries.
fn finish(mut response: Response) -> Response {
    response.headers_mut().insert(
        HeaderName::from_static("dav"),
        HeaderValue::from_static(methods::options::DAV_CLASSES),
    );
    if response.status() == StatusCode::METHOD_NOT_ALLOWED {
        response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    }
    response
}

use axum::http::HeaderName;

/// A 207 Multi-Status response with an XML body.
pub fn multistatus(body: String) -> Response {
    let mut r = (StatusCode::MULTI_STATUS, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8"));
    r
}
