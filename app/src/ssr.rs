//! Server-only pieces of the console: shared state, sessions and who is signed in.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::FromRef;
use domain::AccountInfo;
use http::header::{COOKIE, SET_COOKIE};
use http::HeaderValue;
use leptos::prelude::*;
use store::{Store, StoreError};

use crate::error::AppError;

pub const SESSION_COOKIE: &str = "rolo_session";

/// Everything request handlers share; provided to server functions as context.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub session_ttl: chrono::Duration,
    /// Adds `Secure` to the session cookie (set when Rolo is served over HTTPS).
    pub secure_cookies: bool,
    pub leptos_options: LeptosOptions,
    /// The signed-in accounts' contact indexes (search, paging, duplicates).
    pub directory: Arc<directory::Directory>,
    /// How long deleted contacts stay in the trash.
    pub trash_retention: chrono::Duration,
    /// The console's style sheet, as the page links it (`/pkg/rolo.<hash>.css` once built).
    pub stylesheet: Arc<str>,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

pub fn state() -> Result<AppState, AppError> {
    // Provided as context by the route handlers; also carried in the request's extensions for
    // code that runs under an owner without that context.
    use_context::<AppState>()
        .or_else(|| {
            use_context::<http::request::Parts>()
                .and_then(|p| p.extensions.get::<AppState>().cloned())
        })
        .ok_or_else(|| {
            tracing::error!("AppState missing from the server-function context");
            AppError::Server
        })
}

/// Maps a store error to what the user sees; logs the detail of server-side failures.
pub fn store_error(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound => AppError::NotFound,
        StoreError::Conflict(m) => AppError::Conflict(m),
        StoreError::Stale { .. } => AppError::Conflict(
            "This contact was changed elsewhere after you opened it. Your text is still in the form: \
             reload the contact to see the latest version, then apply your change again."
                .into(),
        ),
        StoreError::Invalid(v) => AppError::Invalid(v.0),
        StoreError::ReadOnly => AppError::Conflict(
            "This address book is shared with you read-only: you can read it, not change it."
                .into(),
        ),
        StoreError::NotOwner => AppError::Conflict(
            "Only the address book's owner can rename, share or delete it.".into(),
        ),
        other => {
            tracing::error!(error = %other, "store failure");
            AppError::Server
        }
    }
}

fn request_parts() -> Option<http::request::Parts> {
    use_context::<http::request::Parts>()
}

/// The session token from the request's cookies.
pub fn session_token() -> Option<String> {
    session_token_from(&request_parts()?.headers)
}

/// The session token from a request's `Cookie` headers.
pub fn session_token_from(headers: &http::HeaderMap) -> Option<String> {
    cookie_from(headers, SESSION_COOKIE)
}

/// The value of the cookie `name` in a request's `Cookie` headers (empty values count as none).
pub fn cookie_from(headers: &http::HeaderMap, name: &str) -> Option<String> {
    for value in headers.get_all(COOKIE) {
        let Ok(s) = value.to_str() else { continue };
        for pair in s.split(';') {
            if let Some((k, v)) = pair.trim().split_once('=') {
                if k == name && !v.is_empty() {
                    return Some(v.to_string());
                }
            }
        }
    }
    None
}

/// The value of a cookie of the request.
pub fn cookie(name: &str) -> Option<String> {
    cookie_from(&request_parts()?.headers, name)
}

/// The language to render: the `rolo_lang` cookie (set when the user chooses, or at sign-in
/// from the account's choice), else the browser's Accept-Language, else English.
pub fn request_lang() -> crate::i18n::Lang {
    use crate::i18n::Lang;
    if let Some(l) = cookie(crate::i18n::LANG_COOKIE).and_then(|c| Lang::parse(&c)) {
        return l;
    }
    let accept = request_parts()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        })
        .unwrap_or_default();
    Lang::from_accept_language(&accept)
}

/// Remembers the language in a cookie (a year), so pages render in it from the first byte.
pub fn set_lang_cookie(lang: crate::i18n::Lang) {
    let cookie = format!(
        "{}={}; Path=/; SameSite=Lax; Max-Age=31536000",
        crate::i18n::LANG_COOKIE,
        lang.code()
    );
    if let (Some(res), Ok(v)) =
        (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie))
    {
        res.append_header(SET_COOKIE, v);
    }
}

/// The Content-Security-Policy of a console page: scripts only from this site and the inline
/// hydration scripts that carry this response's nonce, WASM compiled from those, no plugins,
/// no framing, forms and requests to this site only.
pub fn page_csp(nonce: Option<&str>) -> String {
    let nonce = nonce.map(|n| format!(" 'nonce-{n}'")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'{nonce}; style-src 'self'; \
         img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Sets the page's CSP on the response being rendered (see [`page_csp`]).
pub fn set_page_csp() {
    let Some(res) = use_context::<leptos_axum::ResponseOptions>() else { return };
    let nonce = leptos::nonce::use_nonce().map(|n| n.to_string());
    if let Ok(v) = HeaderValue::from_str(&page_csp(nonce.as_deref())) {
        res.insert_header(http::header::CONTENT_SECURITY_POLICY, v);
    }
}

/// The client's address (the TCP peer; proxies' headers are not trusted).
pub fn client_ip() -> Option<IpAddr> {
    let parts = request_parts()?;
    parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// The account a console session belongs to: `NotSignedIn` without a live session, and
/// `SecondFactorRequired` when administrators require a second factor the account has not set
/// up (unless `enrolling`: what the account needs to set it up). Every console way in (server
/// functions, the file endpoints) asks here.
pub async fn session_account(
    store: &Store,
    token: Option<&str>,
    enrolling: bool,
) -> Result<AccountInfo, AppError> {
    let token = token.ok_or(AppError::NotSignedIn)?;
    let account =
        store.session_account(token).await.map_err(store_error)?.ok_or(AppError::NotSignedIn)?;
    if !enrolling
        && store.second_factor_required().await.map_err(store_error)?
        && !matches!(
            store.second_factor_state(account.id).await.map_err(store_error)?,
            store::SecondFactorState::On { .. }
        )
    {
        return Err(AppError::SecondFactorRequired);
    }
    Ok(account)
}

/// The signed-in account (see [`session_account`]).
pub async fn current_account() -> Result<AccountInfo, AppError> {
    session_account(&state()?.store, session_token().as_deref(), false).await
}

/// The cookie naming the address book the console shows (the account's first one without it).
pub const BOOK_COOKIE: &str = "rolo_book";

/// The signed-in account and the book the console works in: the one its `rolo_book` cookie
/// names, if the account may still read it (checked in the database now), else its first.
pub async fn current_book() -> Result<(AccountInfo, store::Scope), AppError> {
    let account = current_account().await?;
    let scope = chosen_book(&state()?.store, &account, cookie(BOOK_COOKIE)).await?;
    Ok((account, scope))
}

/// The book a `rolo_book` cookie value names, if `account` may still read it, else its first
/// (the file endpoints ask here too).
pub async fn chosen_book(
    store: &Store,
    account: &AccountInfo,
    cookie: Option<String>,
) -> Result<store::Scope, AppError> {
    match cookie.and_then(|v| domain::BookId::parse(&v).ok()) {
        Some(id) => match store.open_book(account.id, id).await {
            Ok(scope) => Ok(scope),
            Err(StoreError::NotFound) => Ok(store::Scope::from(account.id)),
            Err(e) => Err(store_error(e)),
        },
        None => Ok(store::Scope::from(account.id)),
    }
}

/// Makes `book` the one the console shows.
pub fn set_book_cookie(book: domain::BookId) {
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(v) = http::HeaderValue::from_str(&format!(
            "{BOOK_COOKIE}={book}; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly"
        )) {
            res.append_header(http::header::SET_COOKIE, v);
        }
    }
}

/// The signed-in account, even one that must still set up its second factor.
pub async fn enrolling_account() -> Result<AccountInfo, AppError> {
    session_account(&state()?.store, session_token().as_deref(), true).await
}

/// The client's address as a throttle key ("unknown" when there is none, as in tests).
pub fn client_key() -> String {
    client_ip().map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into())
}

/// Counts an attempt at `user`'s secret from this client before it is checked (see
/// `store::throttle`); `Throttled` when it comes too soon.
pub async fn begin_attempt(
    user: &domain::Username,
    secret: store::Secret,
) -> Result<store::Attempt, AppError> {
    let ip = client_key();
    match state()?.store.begin_attempt(user, &ip, secret).await.map_err(store_error)? {
        Ok(attempt) => Ok(attempt),
        Err(wait) => {
            tracing::warn!(user = %user, ip = %ip, ?secret, "attempt refused: too soon after failed ones");
            Err(AppError::Throttled(wait))
        }
    }
}

/// A QR code of `text` as an SVG image in a `data:` address (for an `<img>`: no markup of it
/// reaches the page).
pub fn qr_data_uri(text: &str) -> Result<String, AppError> {
    use base64::Engine;
    let code = qrcode::QrCode::new(text.as_bytes()).map_err(|e| {
        tracing::error!(error = %e, "QR code");
        AppError::Server
    })?;
    let svg = code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(220, 220).build();
    Ok(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// The cookie that carries a correct password to its second factor.
pub const PENDING_COOKIE: &str = "rolo_pending";

pub fn pending_token() -> Option<String> {
    cookie(PENDING_COOKIE)
}

pub fn set_pending_cookie(token: &str, max_age_secs: i64, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!("{PENDING_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}");
    if let (Some(res), Ok(v)) =
        (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie))
    {
        res.append_header(SET_COOKIE, v);
    }
}

pub fn set_session_cookie(token: &str, max_age_secs: i64, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
    );
    if let (Some(res), Ok(v)) =
        (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie))
    {
        res.append_header(SET_COOKIE, v);
    }
}

pub fn clear_session_cookie() {
    set_session_cookie("", 0, false);
}
