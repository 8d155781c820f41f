//! Server-only pieces of the console: shared state, sessions, login throttling.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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
    pub throttle: Arc<LoginThrottle>,
    pub session_ttl: chrono::Duration,
    /// Adds `Secure` to the session cookie (set when Rolo is served over HTTPS).
    pub secure_cookies: bool,
    pub leptos_options: LeptosOptions,
    /// The signed-in accounts' contact indexes (search, paging, duplicates).
    pub directory: Arc<directory::Directory>,
    /// How long deleted contacts stay in the trash.
    pub trash_retention: chrono::Duration,
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
        .or_else(|| use_context::<http::request::Parts>().and_then(|p| p.extensions.get::<AppState>().cloned()))
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
fn cookie_from(headers: &http::HeaderMap, name: &str) -> Option<String> {
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
        .and_then(|p| p.headers.get(http::header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).map(str::to_string))
        .unwrap_or_default();
    Lang::from_accept_language(&accept)
}

/// Remembers the language in a cookie (a year), so pages render in it from the first byte.
pub fn set_lang_cookie(lang: crate::i18n::Lang) {
    let cookie = format!("{}={}; Path=/; SameSite=Lax; Max-Age=31536000", crate::i18n::LANG_COOKIE, lang.code());
    if let (Some(res), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        res.append_header(SET_COOKIE, v);
    }
}

/// The client's address (the TCP peer; proxies' headers are not trusted).
pub fn client_ip() -> Option<IpAddr> {
    let parts = request_parts()?;
    parts.extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0.ip())
}

/// The signed-in account, or `NotSignedIn`.
pub async fn current_account() -> Result<AccountInfo, AppError> {
    let state = state()?;
    let token = session_token().ok_or(AppError::NotSignedIn)?;
    state.store.session_account(&token).await.map_err(store_error)?.ok_or(AppError::NotSignedIn)
}

pub fn set_session_cookie(token: &str, max_age_secs: i64, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}");
    if let (Some(res), Ok(v)) = (use_context::<leptos_axum::ResponseOptions>(), HeaderValue::from_str(&cookie)) {
        res.append_header(SET_COOKIE, v);
    }
}

pub fn clear_session_cookie() {
    set_session_cookie("", 0, false);
}

/// Counts failed sign-ins per key in a fixed window; at `max` failures the key is refused
/// until the window ends. In memory, per instance.
pub struct Limiter {
    max: u32,
    window: Duration,
    entries: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Limiter {
    pub fn new(max: u32, window: Duration) -> Self {
        Limiter { max, window, entries: Mutex::new(HashMap::new()) }
    }

    /// `Err(seconds to wait)` while the key is locked out.
    pub fn check(&self, key: &str) -> Result<(), u64> {
        let Ok(map) = self.entries.lock() else { return Ok(()) };
        match map.get(key) {
            Some((n, start)) if *n >= self.max && start.elapsed() < self.window => {
                Err((self.window - start.elapsed()).as_secs().max(1))
            }
            _ => Ok(()),
        }
    }

    pub fn fail(&self, key: &str) {
        let Ok(mut map) = self.entries.lock() else { return };
        if map.len() > 100_000 {
            let window = self.window;
            map.retain(|_, (_, start)| start.elapsed() < window);
        }
        let e = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= self.window {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    pub fn clear(&self, key: &str) {
        if let Ok(mut map) = self.entries.lock() {
            map.remove(key);
        }
    }
}

/// Failed sign-ins are limited per account and per client address.
pub struct LoginThrottle {
    pub per_account: Limiter,
    pub per_ip: Limiter,
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            per_account: Limiter::new(5, Duration::from_secs(15 * 60)),
            per_ip: Limiter::new(30, Duration::from_secs(15 * 60)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_locks_after_max_failures_and_clears() {
        let l = Limiter::new(3, Duration::from_secs(60));
        for _ in 0..2 {
            l.fail("alice");
        }
        assert!(l.check("alice").is_ok());
        l.fail("alice");
        let wait = l.check("alice").unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(l.check("bob").is_ok());
        l.clear("alice");
        assert!(l.check("alice").is_ok());
    }

    #[test]
    fn limiter_window_expires() {
        let l = Limiter::new(1, Duration::from_millis(30));
        l.fail("k");
        assert!(l.check("k").is_err());
        std::thread::sleep(Duration::from_millis(40));
        assert!(l.check("k").is_ok());
    }
}
