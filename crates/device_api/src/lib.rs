//! The JSON device sync API, mounted at `/api/v1`. Devices authenticate with
//! `Authorization: Bearer <device token>`; every call is scoped to the token's account. The
//! console's browser (a device of kind `browser`, sending its queued offline edits) instead
//! names its device in `X-Rolo-Device` and is signed in by its console session, which the
//! server checks ([`ConsoleAuth`]).
#![deny(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use domain::{AccountInfo, ContactData, ContactId, DeviceInfo, GroupData, Origin};
use serde::Deserialize;
use store::{FeedItem, Store, StoreError};
use sync_engine::{PushItem, PushOp, PushResult, PushStatus, SyncError};
use sync_proto as proto;
use utoipa::OpenApi;

/// Largest upload body.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// The header a console browser names its device in (with its session cookie, no token).
pub const BROWSER_DEVICE_HEADER: &str = "x-rolo-device";

/// Who a console request's headers are signed in as (the session cookie, checked with every rule
/// of the console's sign-in, and the request shown to come from the console's own site), or
/// `None`. Given by the server, which owns the console's sessions.
pub type ConsoleAuth = Arc<
    dyn Fn(
            axum::http::HeaderMap,
        )
            -> std::pin::Pin<Box<dyn std::future::Future<Output = Option<AccountInfo>> + Send>>
        + Send
        + Sync,
>;

#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<Store>,
    /// How a console browser's requests are signed in (`None`: devices' tokens only).
    pub console: Option<ConsoleAuth>,
}

/// An error response: status, stable code, message for people.
pub struct ApiFailure(StatusCode, &'static str, String);

impl ApiFailure {
    fn bad_request(m: impl Into<String>) -> Self {
        ApiFailure(StatusCode::BAD_REQUEST, "bad_request", m.into())
    }
}

impl IntoResponse for ApiFailure {
    fn into_response(self) -> Response {
        (self.0, Json(proto::ApiError { error: self.1.into(), message: self.2 })).into_response()
    }
}

impl From<StoreError> for ApiFailure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => {
                ApiFailure(StatusCode::NOT_FOUND, "not_found", "no such contact".into())
            }
            other => {
                tracing::error!(error = %other, "device API: store failure");
                ApiFailure(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "server_error",
                    "the server failed; retry later".into(),
                )
            }
        }
    }
}

impl From<SyncError> for ApiFailure {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::CursorInvalid => {
                ApiFailure(StatusCode::GONE, "cursor_invalid", e.to_string())
            }
            SyncError::Store(s) => s.into(),
        }
    }
}

/// The authenticated device and its account.
pub struct AuthDevice {
    pub device: DeviceInfo,
    pub account: AccountInfo,
    pub addr: Option<String>,
}

impl FromRequestParts<ApiState> for AuthDevice {
    type Rejection = ApiFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &ApiState,
    ) -> Result<Self, Self::Rejection> {
        let unauthorized = |m: &str| ApiFailure(StatusCode::UNAUTHORIZED, "unauthorized", m.into());
        let (device, account) = match parts.headers.get(header::AUTHORIZATION) {
            None if parts.headers.contains_key(BROWSER_DEVICE_HEADER) => {
                browser_device(parts, state).await?
            }
            header => {
                let header = header.and_then(|v| v.to_str().ok()).ok_or_else(|| {
                    unauthorized("send the device token as Authorization: Bearer <token>")
                })?;
                let token = header.strip_prefix("Bearer ").ok_or_else(|| {
                    unauthorized("the Authorization header must be Bearer <token>")
                })?;
                state
                    .store
                    .device_by_token(token.trim())
                    .await?
                    .ok_or_else(|| unauthorized("unknown or revoked device token"))?
            }
        };
        let addr = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip().to_string());
        Ok(AuthDevice { device, account, addr })
    }
}

/// A console browser's device: the one `X-Rolo-Device` names, of the account its session is
/// signed in as, of kind `browser` and not revoked.
async fn browser_device(
    parts: &Parts,
    state: &ApiState,
) -> Result<(DeviceInfo, AccountInfo), ApiFailure> {
    let unauthorized = |m: &str| ApiFailure(StatusCode::UNAUTHORIZED, "unauthorized", m.into());
    let console = state
        .console
        .as_ref()
        .ok_or_else(|| unauthorized("send the device token as Authorization: Bearer <token>"))?;
    let account = console(parts.headers.clone())
        .await
        .ok_or_else(|| unauthorized("sign in to the console again"))?;
    let id = parts
        .headers
        .get(BROWSER_DEVICE_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| domain::DeviceId::parse(v.trim()).ok())
        .ok_or_else(|| unauthorized("X-Rolo-Device must name this browser's device"))?;
    match state.store.device(account.id, id).await {
        Ok(d) if d.revoked_at.is_none() && d.kind == domain::DeviceKind::Browser => {
            Ok((d, account))
        }
        Ok(_) | Err(StoreError::NotFound) => {
            Err(unauthorized("this browser's device is unknown or revoked"))
        }
        Err(e) => Err(e.into()),
    }
}

/// JSON body whose errors name the offending field.
pub struct ApiJson<T>(pub T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for ApiJson<T> {
    type Rejection = ApiFailure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::BytesRejection(e))
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Err(ApiFailure(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("the body exceeds {MAX_BODY} bytes"),
                ))
            }
            Err(e @ JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiFailure(e.status(), "bad_request", e.body_text()))
            }
            Err(e) => Err(ApiFailure::bad_request(e.body_text())),
        }
    }
}

fn json<T: serde::Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

/// A feed item as (kind, id, revision, time, data if live).
fn parts(
    item: &FeedItem,
) -> (proto::EntityKind, uuid::Uuid, i64, chrono::DateTime<chrono::Utc>, Option<serde_json::Value>)
{
    match item {
        FeedItem::Contact(c) => (
            proto::EntityKind::Contact,
            *c.id.as_uuid(),
            c.revision,
            c.updated_at,
            c.data.as_ref().map(json),
        ),
        FeedItem::Group(g) => (
            proto::EntityKind::Group,
            *g.id.as_uuid(),
            g.revision,
            g.updated_at,
            g.data.as_ref().map(json),
        ),
    }
}

/// A feed item as the device sees it: `book` is absent for the account's first book.
fn change_of(item: FeedItem, book: Option<uuid::Uuid>) -> proto::Change {
    let (kind, id, revision, at, data) = parts(&item);
    match data {
        Some(data) => proto::Change::Upsert { kind, id, revision, updated_at: at, data, book },
        None => proto::Change::Delete { kind, id, revision, deleted_at: at, book },
    }
}

fn book_ref(b: &domain::BookInfo) -> proto::BookRef {
    proto::BookRef {
        id: *b.id.as_uuid(),
        name: b.name.clone(),
        access: b.access.as_str().into(),
        first: b.is_first,
    }
}

/// The books the device's account may read.
#[utoipa::path(get, path = "/api/v1/books", security(("device_token" = [])),
    responses((status = 200, body = Vec<proto::BookRef>), (status = 401, body = proto::ApiError)))]
async fn books(
    State(state): State<ApiState>,
    auth: AuthDevice,
) -> Result<Json<Vec<proto::BookRef>>, ApiFailure> {
    let books = state.store.books(auth.account.id).await?;
    Ok(Json(books.iter().map(book_ref).collect()))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ChangesQuery {
    /// The cursor from the previous response; absent for a full download.
    cursor: Option<String>,
    /// Page size, 1–1000 (default 500).
    limit: Option<usize>,
}

/// Download sync: everything that changed after `cursor`, in change order.
#[utoipa::path(get, path = "/api/v1/sync/changes", params(ChangesQuery), security(("device_token" = [])),
    responses((status = 200, body = proto::ChangesResponse),
               (status = 401, body = proto::ApiError), (status = 410, description = "cursor_invalid: download without a cursor", body = proto::ApiError)))]
async fn changes(
    State(state): State<ApiState>,
    auth: AuthDevice,
    query: Result<Query<ChangesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<proto::ChangesResponse>, ApiFailure> {
    let Query(q) = query.map_err(|e| ApiFailure::bad_request(e.body_text()))?;
    let limit = q.limit.unwrap_or(proto::DEFAULT_PAGE);
    if limit == 0 || limit > proto::MAX_PAGE {
        return Err(ApiFailure::bad_request(format!(
            "limit must be from 1 to {}",
            proto::MAX_PAGE
        )));
    }
    let first = domain::BookId::first_of(auth.account.id);
    let cursor = match q.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => Some(
            proto::decode_books_cursor(c, *first.as_uuid())
                .ok_or(SyncError::CursorInvalid)?
                .into_iter()
                .map(|(b, seq)| (domain::BookId::from_uuid(b), seq))
                .collect::<Vec<_>>(),
        ),
    };
    let pull =
        sync_engine::pull_books(&state.store, auth.account.id, cursor.as_deref(), limit).await?;
    let sent = pull.items.len() as i64;
    let position: Vec<(uuid::Uuid, i64)> =
        pull.next.iter().map(|(b, seq)| (*b.as_uuid(), *seq)).collect();
    let response = proto::ChangesResponse {
        cursor: proto::encode_books_cursor(&position),
        more: pull.more,
        changes: pull
            .items
            .into_iter()
            .map(|(b, item)| change_of(item, (b != first).then_some(*b.as_uuid())))
            .collect(),
        books: pull.books.iter().map(book_ref).collect(),
    };
    let first_at = pull.next.iter().find(|(b, _)| *b == first).map(|(_, s)| *s);
    state.store.record_sync(auth.device.id, first_at, auth.addr, sent, 0).await?;
    metrics::counter!("rolo_syncs_total", "channel" => "api", "direction" => "download")
        .increment(1);
    metrics::counter!("rolo_sync_items_total", "channel" => "api", "direction" => "download")
        .increment(sent as u64);
    Ok(Json(response))
}

// The refusal is the item's answer, built once per refused item: no gain in boxing it.
#[allow(clippy::result_large_err)]
fn parse_item(item: proto::UploadItem) -> Result<PushItem, PushResult> {
    let id = item.id;
    let reject = |reason: String| PushResult::rejected(id, reason);
    if item.base_revision.is_some_and(|b| b < 1) {
        return Err(reject("base_revision must be 1 or more".into()));
    }
    let op = match item.op {
        proto::Op::Delete => {
            if item.base_revision.is_none() {
                return Err(reject("a delete needs the base_revision it was based on".into()));
            }
            match item.kind {
                proto::EntityKind::Contact => PushOp::DeleteContact,
                proto::EntityKind::Group => PushOp::DeleteGroup,
            }
        }
        proto::Op::Upsert => {
            let value = item.data.ok_or_else(|| reject("an upsert needs data".into()))?;
            let bad = |e: serde_path_to_error::Error<serde_json::Error>| {
                reject(format!("data.{}: {}", e.path(), e.inner()))
            };
            match item.kind {
                proto::EntityKind::Contact => PushOp::Contact(
                    serde_path_to_error::deserialize::<_, ContactData>(value).map_err(bad)?,
                ),
                proto::EntityKind::Group => PushOp::Group(
                    serde_path_to_error::deserialize::<_, GroupData>(value).map_err(bad)?,
                ),
            }
        }
    };
    Ok(PushItem { id, base_revision: item.base_revision, op })
}

fn result_of(r: PushResult) -> proto::ItemResult {
    proto::ItemResult {
        id: r.id,
        status: match r.status {
            PushStatus::Created => proto::ItemStatus::Created,
            PushStatus::Updated => proto::ItemStatus::Updated,
            PushStatus::Deleted => proto::ItemStatus::Deleted,
            PushStatus::Unchanged => proto::ItemStatus::Unchanged,
            PushStatus::Conflict => proto::ItemStatus::Conflict,
            PushStatus::Rejected => proto::ItemStatus::Rejected,
        },
        revision: r.revision,
        reason: r.reason,
        current: r.current.map(|item| {
            let (_, _, revision, _, data) = parts(&item);
            proto::Current { revision, deleted: data.is_none(), data }
        }),
        conflicts: r
            .conflicts
            .into_iter()
            .map(|c| proto::FieldConflict {
                field: c.field.to_string(),
                kept: c.kept,
                replaced: c.replaced,
            })
            .collect(),
    }
}

/// Upload sync: apply the device's changes; one result per item.
#[utoipa::path(post, path = "/api/v1/sync/upload", request_body = proto::UploadRequest, security(("device_token" = [])),
    responses((status = 200, body = proto::UploadResponse), (status = 400, body = proto::ApiError),
               (status = 401, body = proto::ApiError), (status = 413, body = proto::ApiError)))]
async fn upload(
    State(state): State<ApiState>,
    auth: AuthDevice,
    ApiJson(req): ApiJson<proto::UploadRequest>,
) -> Result<Json<proto::UploadResponse>, ApiFailure> {
    metrics::counter!("rolo_syncs_total", "channel" => "api", "direction" => "upload").increment(1);
    metrics::counter!("rolo_sync_items_total", "channel" => "api", "direction" => "upload")
        .increment(req.changes.len() as u64);
    if req.changes.len() > proto::MAX_UPLOAD_ITEMS {
        return Err(ApiFailure(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("at most {} items per upload; split the batch", proto::MAX_UPLOAD_ITEMS),
        ));
    }
    let origin = Origin::Device(auth.device.id);
    let mut results: Vec<Option<proto::ItemResult>> = Vec::with_capacity(req.changes.len());
    // Items by book, in order, each with its place among the results.
    type Placed = Vec<(usize, PushItem)>;
    let mut by_book: Vec<(Option<uuid::Uuid>, Placed)> = Vec::new();
    for (i, item) in req.changes.into_iter().enumerate() {
        let book = item.book;
        match parse_item(item) {
            Ok(p) => {
                results.push(None);
                match by_book.iter_mut().find(|(b, _)| *b == book) {
                    Some((_, list)) => list.push((i, p)),
                    None => by_book.push((book, vec![(i, p)])),
                }
            }
            Err(rejected) => results.push(Some(result_of(rejected))),
        }
    }
    for (book, list) in by_book {
        let scope = match book {
            None => Ok(store::Scope::from(auth.account.id)),
            Some(b) => {
                match state.store.open_book(auth.account.id, domain::BookId::from_uuid(b)).await {
                    Ok(scope) if scope.can_write() => Ok(scope),
                    Ok(_) => Err(format!("the address book {b} is read-only for this account")),
                    Err(StoreError::NotFound) => {
                        Err(format!("there is no address book {b} this account may use"))
                    }
                    Err(e) => return Err(e.into()),
                }
            }
        };
        let (places, items): (Vec<usize>, Vec<PushItem>) = list.into_iter().unzip();
        match scope {
            Ok(scope) => {
                let applied = sync_engine::push(&state.store, scope, origin, items).await?;
                for (place, r) in places.into_iter().zip(applied) {
                    results[place] = Some(result_of(r));
                }
            }
            Err(reason) => {
                for (place, item) in places.into_iter().zip(items) {
                    results[place] = Some(result_of(PushResult::rejected(item.id, reason.clone())));
                }
            }
        }
    }
    let results: Vec<proto::ItemResult> = results.into_iter().flatten().collect();
    let received = results
        .iter()
        .filter(|r| {
            matches!(
                r.status,
                proto::ItemStatus::Created
                    | proto::ItemStatus::Updated
                    | proto::ItemStatus::Deleted
                    | proto::ItemStatus::Conflict
            )
        })
        .count() as i64;
    let cursor = state.store.current_seq(auth.account.id).await?;
    state.store.record_sync(auth.device.id, None, auth.addr, 0, received).await?;
    Ok(Json(proto::UploadResponse { results, cursor: proto::encode_cursor(cursor) }))
}

/// The account's sync status as this device sees it.
#[utoipa::path(get, path = "/api/v1/sync/status", security(("device_token" = [])),
    responses((status = 200, body = proto::SyncStatus), (status = 401, body = proto::ApiError)))]
async fn status(
    State(state): State<ApiState>,
    auth: AuthDevice,
) -> Result<Json<proto::SyncStatus>, ApiFailure> {
    let cursor = state.store.current_seq(auth.account.id).await?;
    let contacts = state.store.count_contacts(auth.account.id).await?;
    Ok(Json(proto::SyncStatus {
        cursor: proto::encode_cursor(cursor),
        contacts,
        device: proto::DeviceSummary {
            id: *auth.device.id.as_uuid(),
            name: auth.device.name.clone(),
            kind: auth.device.kind.as_str().into(),
        },
        server_time: chrono::Utc::now(),
    }))
}

/// One contact of the account.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", params(("id" = String, Path, description = "the contact's UUID")),
    security(("device_token" = [])),
    responses((status = 200, body = proto::ContactResponse), (status = 400, body = proto::ApiError),
               (status = 401, body = proto::ApiError), (status = 404, body = proto::ApiError)))]
async fn contact(
    State(state): State<ApiState>,
    auth: AuthDevice,
    Path(id): Path<String>,
) -> Result<Json<proto::ContactResponse>, ApiFailure> {
    let id = ContactId::parse(&id).map_err(|e| ApiFailure::bad_request(format!("id: {e}")))?;
    let c = state.store.get_contact(auth.account.id, id).await?;
    Ok(Json(proto::ContactResponse {
        id: *c.id.as_uuid(),
        revision: c.revision,
        updated_at: c.updated_at,
        data: c.data,
    }))
}

/// The account's groups.
#[utoipa::path(get, path = "/api/v1/groups", security(("device_token" = [])),
    responses((status = 200, body = Vec<proto::GroupResponse>), (status = 401, body = proto::ApiError)))]
async fn groups(
    State(state): State<ApiState>,
    auth: AuthDevice,
) -> Result<Json<Vec<proto::GroupResponse>>, ApiFailure> {
    let groups = state.store.list_groups(auth.account.id).await?;
    Ok(Json(
        groups
            .into_iter()
            .map(|g| proto::GroupResponse {
                id: *g.id.as_uuid(),
                revision: g.revision,
                name: g.name,
            })
            .collect(),
    ))
}

struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "device_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("a device token from the console or `rolo device create`"))
                    .build(),
            ),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Rolo device sync API", version = "1", description = include_str!("../API.md")),
    paths(changes, upload, status, contact, groups, books),
    components(schemas(proto::ChangesResponse, proto::BookRef, proto::Change, proto::EntityKind, proto::UploadRequest, proto::UploadItem,
        proto::Op, proto::UploadResponse, proto::ItemResult, proto::ItemStatus, proto::Current, proto::FieldConflict,
        proto::SyncStatus, proto::DeviceSummary, proto::ContactResponse, proto::GroupResponse, proto::ApiError)),
    modifiers(&SecurityAddon)
)]
pub struct ApiDoc;

async fn openapi() -> impl IntoResponse {
    Json(ApiDoc::openapi())
}

/// A human-readable page: the rules above and every endpoint with its schemas' names.
async fn docs() -> impl IntoResponse {
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    let doc = ApiDoc::openapi();
    let mut endpoints = String::new();
    for (path, item) in doc.paths.paths.iter() {
        for (method, op) in [("GET", &item.get), ("POST", &item.post)] {
            if let Some(op) = op {
                let summary =
                    op.summary.clone().or_else(|| op.description.clone()).unwrap_or_default();
                endpoints.push_str(&format!(
                    "<li><code>{method} {}</code> — {}</li>",
                    esc(path),
                    esc(&summary)
                ));
            }
        }
    }
    // A static page: no script may run; its one inline style block is allowed.
    let csp = [(
        axum::http::header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    )];
    (csp, Html(format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Rolo device sync API</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;line-height:1.5}}\
         pre{{white-space:pre-wrap}}</style></head><body><h1>Rolo device sync API (v1)</h1>\
         <p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI 3).</p>\
         <h2>Endpoints</h2><ul>{endpoints}</ul><h2>How sync works</h2><pre>{}</pre></body></html>",
        esc(include_str!("../API.md"))
    )))
}

async fn not_found() -> ApiFailure {
    ApiFailure(StatusCode::NOT_FOUND, "not_found", "no such API endpoint; see /api/v1/docs".into())
}

/// The `/api/v1` router, for devices' tokens only.
pub fn router(store: Arc<Store>) -> Router {
    router_with(store, None)
}

/// The `/api/v1` router; `console` also lets a signed-in console browser in (see [`ConsoleAuth`]).
pub fn router_with(store: Arc<Store>, console: Option<ConsoleAuth>) -> Router {
    Router::new()
        .route("/api/v1/sync/changes", get(changes))
        .route("/api/v1/sync/upload", post(upload))
        .route("/api/v1/sync/status", get(status))
        .route("/api/v1/contacts/{id}", get(contact))
        .route("/api/v1/groups", get(groups))
        .route("/api/v1/books", get(books))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/docs", get(docs))
        .route("/api/v1/{*rest}", axum::routing::any(not_found))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY))
        .with_state(ApiState { store, console })
}
