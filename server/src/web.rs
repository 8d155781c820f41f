//! The HTTP application: the console (SSR + hydration), its server functions, static files,
//! the device sync API (`/api/v1`), CardDAV (`/dav/`, `/.well-known/carddav`), and `/healthz`. Built apart from running, so tests can serve it on port 0.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use app::ssr::AppState;
use app::{shell, App};
use axum::extract::State;
use axum::http::{header, HeaderValue, Method, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use store::Store;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::config::Config;

/// Largest request body accepted (forms and server-function calls).
pub const MAX_BODY: usize = 1024 * 1024;

/// How many accounts' contact indexes a server keeps in memory (least recently used dropped).
pub const INDEXED_ACCOUNTS: usize = 64;

/// The console's built files, as `scripts/assets.sh` names them in `site/pkg/hash.txt`: each
/// name carries a hash (`rolo.<hash>.js`, `.wasm`, `.css`, and the WASM's parts loaded on
/// demand), so a browser may keep it for good. Without that file (a server test with no console
/// built) the plain names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assets {
    /// The absolute path of `hash.txt`, when the console is built.
    pub hash_file: Option<std::path::PathBuf>,
    pub stylesheet: String,
}

impl Assets {
    pub fn find(site_root: &std::path::Path) -> Assets {
        let path = site_root.join("pkg").join("hash.txt");
        let Ok(text) = std::fs::read_to_string(&path) else {
            return Assets { hash_file: None, stylesheet: "/pkg/rolo.css".into() };
        };
        let css = text
            .lines()
            .filter_map(|l| l.split_once(':'))
            .find(|(k, _)| k.trim() == "css")
            .map(|(_, h)| format!("/pkg/rolo.{}.css", h.trim()))
            .unwrap_or_else(|| "/pkg/rolo.css".into());
        let abs = std::path::absolute(&path).unwrap_or(path);
        Assets { hash_file: Some(abs), stylesheet: css }
    }
}

/// True for a file name `scripts/assets.sh` gives: `<name>.<16 hex digits>.<ext>` (and its
/// compressed forms: `rolo.<hash>.wasm`, `split_<part>.<hash>.wasm`, `__wasm_split.<hash>.js`, …);
/// such a file never changes.
fn hashed_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or("");
    let name = name.strip_suffix(".br").or_else(|| name.strip_suffix(".gz")).unwrap_or(name);
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() == 3
        && !parts[0].is_empty()
        && !parts[2].is_empty()
        && parts[1].len() == 16
        && parts[1].bytes().all(|b| b.is_ascii_hexdigit())
}

pub fn state(config: &Config, store: Arc<Store>) -> AppState {
    let assets = Assets::find(&config.site_root);
    let mut leptos_options = LeptosOptions::builder()
        .output_name("rolo")
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .build();
    if let Some(hash_file) = &assets.hash_file {
        // Leptos reads the names of the script and the WASM from this file (a path relative
        // to the executable's folder, which an absolute one replaces).
        leptos_options.hash_files = true;
        leptos_options.hash_file = hash_file.display().to_string().into();
    }
    AppState {
        stylesheet: assets.stylesheet.into(),
        store: store.clone(),
        session_ttl: chrono::Duration::hours(config.session_hours),
        secure_cookies: config.secure_cookies,
        leptos_options,
        directory: Arc::new(directory::Directory::new(store.clone(), INDEXED_ACCOUNTS)),
        trash_retention: chrono::Duration::days(config.trash_days),
    }
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

/// Behind trusted reverse proxies: a request from one of them is taken to come from the address
/// its `X-Forwarded-For` names (the last one that is not itself a trusted proxy), so the sign-in
/// throttle, CardDAV's and the device API's records see the client, not the proxy. From any
/// other peer the header is ignored (anyone can write it).
pub fn behind_proxies(router: Router, proxies: Vec<std::net::IpAddr>) -> Router {
    if proxies.is_empty() {
        return router;
    }
    let proxies = Arc::new(proxies);
    router.layer(middleware::from_fn(move |mut req: Request<axum::body::Body>, next: Next| {
        let proxies = proxies.clone();
        async move {
            let peer =
                req.extensions().get::<axum::extract::ConnectInfo<SocketAddr>>().map(|c| c.0);
            if let Some(peer) = peer.filter(|p| proxies.contains(&p.ip())) {
                let forwarded: Vec<std::net::IpAddr> = req
                    .headers()
                    .get_all("x-forwarded-for")
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .flat_map(|v| v.split(','))
                    .filter_map(|a| a.trim().parse().ok())
                    .collect();
                if let Some(client) = forwarded.iter().rev().find(|a| !proxies.contains(a)) {
                    req.extensions_mut()
                        .insert(axum::extract::ConnectInfo(SocketAddr::new(*client, peer.port())));
                }
            }
            next.run(req).await
        }
    }))
}

/// The process's metrics, in Prometheus text at `/metrics`: requests by route, method and
/// status, and their latency. Installed once per process (tests run many servers in one).
fn metrics_handle() -> Option<&'static metrics_exporter_prometheus::PrometheusHandle> {
    static HANDLE: std::sync::OnceLock<Option<metrics_exporter_prometheus::PrometheusHandle>> =
        std::sync::OnceLock::new();
    HANDLE
        .get_or_init(|| {
            metrics_exporter_prometheus::PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .ok()?
                .install_recorder()
                .map_err(|e| tracing::warn!(error = %e, "metrics are off"))
                .ok()
        })
        .as_ref()
}

/// A request's route for metrics: a fixed set of names, never a path's own ids or names.
fn route_label(path: &str) -> String {
    let mut parts = path.trim_start_matches('/').split('/');
    let first = parts.next().unwrap_or_default();
    let second = parts.next().unwrap_or_default();
    let word = |s: &str| {
        if !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            s.to_string()
        } else {
            "…".to_string()
        }
    };
    match first {
        "rpc" => format!("/rpc/{}", word(second)),
        "api" => match (second, parts.next().unwrap_or_default()) {
            ("v1", third) => format!("/api/v1/{}", word(third)),
            _ => "/api".into(),
        },
        "dav" | ".well-known" => "/dav".into(),
        "console" => format!("/console/{}", word(second)),
        "pkg" => "/pkg".into(),
        "healthz" | "readyz" | "metrics" => format!("/{first}"),
        _ => "page".into(),
    }
}

async fn track(req: Request<axum::body::Body>, next: Next) -> Response {
    let route = route_label(req.uri().path());
    let method = req.method().as_str().to_string();
    let start = std::time::Instant::now();
    let response = next.run(req).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("rolo_http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("rolo_http_request_duration_seconds", "route" => route)
        .record(start.elapsed().as_secs_f64());
    response
}

async fn metrics_page(State(state): State<AppState>) -> Response {
    // The live sessions are counted when asked (every instance sees the same number).
    if let Ok(n) = state.store.count_live_sessions().await {
        metrics::gauge!("rolo_sessions_live").set(n as f64);
    }
    match metrics_handle() {
        Some(h) => {
            let mut r = h.render().into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            );
            r
        }
        None => (StatusCode::SERVICE_UNAVAILABLE, "metrics are off\n").into_response(),
    }
}

/// Every request runs in a span holding a request id — the client's `X-Request-Id` when it sent
/// a short, plain one, else a new UUID — so each log line names its request; the answer carries
/// the id back.
async fn request_id(req: Request<axum::body::Body>, next: Next) -> Response {
    use tracing::Instrument;
    let given = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(str::to_string);
    let id = given.unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span =
        tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path());
    let mut response = next.run(req).instrument(span).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// Ready to serve: the database answers and has every migration this build needs (for a load
/// balancer or an orchestrator; `/healthz` says only that the database answers).
async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(why) => {
            tracing::warn!(reason = %why, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, format!("not ready: {why}\n")).into_response()
        }
    }
}

/// Refuses state-changing requests from other sites (a second line behind SameSite cookies).
/// A browser says where a request comes from in `Sec-Fetch-Site` (trusted where sent: only
/// `same-origin` and `none`, a user's own navigation, pass) and in `Origin`, which must name
/// this host; `Origin: null` (sandboxed frames, cross-origin redirects) is refused. Requests
/// with neither header come from programs, not browsers (the CLI, CardDAV clients).
async fn same_origin(req: Request<axum::body::Body>, next: Next) -> Response {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Err(why) = check_same_origin(req.headers()) {
            tracing::info!(method = %req.method(), path = %req.uri().path(), why, "cross-site request refused");
            return (StatusCode::FORBIDDEN, "cross-site request refused\n").into_response();
        }
    }
    next.run(req).await
}

/// Whether a state-changing request's headers show it comes from this site (see [`same_origin`]).
pub fn check_same_origin(headers: &header::HeaderMap) -> Result<(), &'static str> {
    if let Some(site) = headers.get("sec-fetch-site") {
        if !matches!(site.to_str().unwrap_or(""), "same-origin" | "none") {
            return Err("Sec-Fetch-Site is not same-origin");
        }
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok()).unwrap_or("");
        let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
        if origin == "null" || host.is_empty() || !origin_host.eq_ignore_ascii_case(host) {
            return Err("Origin names another site");
        }
    }
    Ok(())
}

/// The Content-Security-Policy of every response that does not set its own: nothing may load
/// or run. Console pages set theirs (scripts from this site and the page's nonce) when rendered.
const CSP_NONE: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// Headers every answer carries: a CSP, and `Cache-Control: no-store` (pages, `/rpc` answers,
/// exports and sync answers hold an account's contacts) except for the console's static files;
/// HSTS when Rolo is served over HTTPS.
async fn security_headers(
    State(https): State<bool>,
    req: Request<axum::body::Body>,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let static_file = path.starts_with("/pkg/");
    let mut res = next.run(req).await;
    let found = res.status().is_success();
    let h = res.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP_NONE));
    }
    if static_file {
        // The same name is sent in brotli, gzip or plain: caches must key on the encoding.
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    }
    if static_file && found && hashed_asset(&path) {
        h.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    } else if static_file {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    } else if path.starts_with("/console/photos/") && h.contains_key(header::CACHE_CONTROL) {
        // A photo's address names the contact's revision: kept by this browser only.
    } else {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if https {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000"));
    }
    res
}

/// The console's files (`site/pkg`), each sent precompressed when the browser accepts brotli or
/// gzip (`scripts/assets.sh` makes the `.br` and `.gz` beside each file).
fn console_files(options: &LeptosOptions) -> tower_http::services::ServeDir {
    tower_http::services::ServeDir::new(pkg_dir(options)).precompressed_br().precompressed_gzip()
}

/// Where the console's files are (`site/pkg`).
fn pkg_dir(options: &LeptosOptions) -> std::path::PathBuf {
    std::path::Path::new(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref())
}

/// How the device API signs in a console browser sending its offline changes: its session, by
/// the console's own rules, on a request its headers show comes from this site.
fn console_auth(state: &AppState) -> device_api::ConsoleAuth {
    let store = state.store.clone();
    Arc::new(move |headers: header::HeaderMap| {
        let store = store.clone();
        Box::pin(async move {
            // A browser says where a request comes from; a request that does not is no console's.
            let said =
                headers.contains_key("sec-fetch-site") || headers.contains_key(header::ORIGIN);
            if !said || check_same_origin(&headers).is_err() {
                return None;
            }
            let token = app::ssr::session_token_from(&headers)?;
            app::ssr::session_account(&store, Some(&token), false).await.ok()
        })
    })
}

/// The service worker that keeps the console readable offline (`server/src/sw.js`), naming the
/// console's current files. Its own CSP lets it fetch from this site only.
fn service_worker(state: &AppState) -> Arc<str> {
    let assets = if state.leptos_options.hash_files {
        console_file_names(&state.leptos_options)
    } else {
        // Not built with hashed names: the files are kept as they are fetched.
        Vec::new()
    };
    let version = crypto::sha256_hex(assets.join(" ").as_bytes());
    let script = include_str!("sw.js")
        .replace("__VERSION__", &version[..16])
        .replace("__ASSETS__", &serde_json::to_string(&assets).unwrap_or_else(|_| "[]".into()));
    script.into()
}

/// Every file of the console (`/pkg/…` addresses, in name order): the glue, the WASM's main part
/// and the parts loaded on demand with their loader, the style sheet; not their compressed forms
/// (a browser asks for a name and gets its encoding) nor the lists of names.
fn console_file_names(options: &LeptosOptions) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(pkg_dir(options))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|n| [".js", ".wasm", ".css"].iter().any(|ext| n.ends_with(ext)))
                .filter(|n| hashed_asset(n))
                .map(|n| format!("/pkg/{n}"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn service_worker_response(script: &Arc<str>) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("text/javascript; charset=utf-8")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'self'")),
        ],
        script.to_string(),
    )
        .into_response()
}

/// The app with the default import limits.
pub fn router(state: AppState) -> Router {
    router_with(state, None, carddav::DavConfig::default())
}

/// The app, with the import limits and CardDAV settings from the configuration.
pub fn router_with(
    state: AppState,
    state_limits: Option<transfer::Limits>,
    dav: carddav::DavConfig,
) -> Router {
    metrics_handle();
    let routes = generate_route_list(App);
    let ctx_state = state.clone();
    let context = move || provide_context(ctx_state.clone());
    let opts = state.leptos_options.clone();
    let devices = device_api::router_with(state.store.clone(), Some(console_auth(&state)))
        .layer(RequestBodyLimitLayer::new(device_api::MAX_BODY));
    let worker = service_worker(&state);
    // CardDAV reads bodies with its own limits (vCards, XML), answering 413 past them.
    let dav = carddav::router(carddav::DavState::new(state.store.clone(), dav))
        .layer(middleware::from_fn(same_origin));
    let limits = state_limits.unwrap_or_default();
    let https = state.secure_cookies;
    let files =
        crate::transfer_routes::router(state.store.clone(), state.directory.clone(), limits)
            .layer(middleware::from_fn(same_origin))
            .layer(RequestBodyLimitLayer::new(limits.max_bytes + 64 * 1024));
    let photos = crate::photo_routes::router(state.store.clone());
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics_page))
        .route("/sw.js", get(move || std::future::ready(service_worker_response(&worker))))
        .leptos_routes_with_context(&state, routes, context.clone(), move || shell(opts.clone()))
        .nest_service("/pkg", console_files(&state.leptos_options))
        .fallback(leptos_axum::file_and_error_handler_with_context::<AppState, _>(context, shell))
        .layer(middleware::from_fn(same_origin))
        .layer(RequestBodyLimitLayer::new(MAX_BODY))
        .layer(axum::Extension(state.clone()))
        .with_state(state)
        .merge(devices)
        .merge(files)
        .merge(photos)
        .merge(dav)
        .layer(middleware::from_fn_with_state(https, security_headers))
        .layer(middleware::from_fn(track))
        .layer(middleware::from_fn(request_id))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
}

/// Serves `router` on an already-bound listener until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}

/// Every hour: erases old trash, expired sessions and sign-ins waiting for a second factor,
/// sign-in attempts forgotten, and import jobs that ended an hour ago (or lost their instance).
pub fn spawn_housekeeping(store: Arc<Store>, trash_retention: chrono::Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            match store.purge_trash(trash_retention).await {
                Ok(n) if n > 0 => tracing::info!(
                    contacts = n,
                    days = trash_retention.num_days(),
                    "erased old contacts from the trash"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "trash purge failed"),
            }
            match store.purge_expired_sessions().await {
                Ok(n) if n > 0 => tracing::info!(sessions = n, "purged expired sessions"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "session purge failed"),
            }
            if let Err(e) = store.purge_attempts().await {
                tracing::warn!(error = %e, "purge of old sign-in attempts failed");
            }
            match store.purge_import_jobs().await {
                Ok(n) if n > 0 => {
                    tracing::info!(jobs = n, "forgot import jobs that ended an hour ago")
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "purge of old import jobs failed"),
            }
        }
    });
}
