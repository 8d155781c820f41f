//! A real Rolo server on a loopback port with a fresh SQLite database, for integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use server::config::Config;
use server::{setup, web};
use store::Store;
use tokio::sync::oneshot;

pub struct TestServer {
    pub url: String,
    pub store: Arc<Store>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    dir: std::path::PathBuf,
    database_url: String,
    /// The temporary directory, held by the first instance on it.
    _temp: Option<tempfile::TempDir>,
}

impl TestServer {
    pub async fn start() -> Self {
        Self::start_with(carddav::DavConfig::default()).await
    }

    /// A server with these CardDAV settings.
    pub async fn start_with(dav: carddav::DavConfig) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let mut s = Self::start_in(temp.path(), dav).await;
        s._temp = Some(temp);
        s
    }

    /// Another Rolo instance on the same database (SQLite or PostgreSQL) and key (a deployment
    /// of several instances); it must stop before this one.
    pub async fn beside(&self) -> Self {
        self.beside_with(carddav::DavConfig::default()).await
    }

    /// Like [`TestServer::beside`], with these CardDAV settings.
    pub async fn beside_with(&self, dav: carddav::DavConfig) -> Self {
        let url = self.database_url.clone();
        Self::start_in_with(&self.dir, dav, |c| c.database_url = url).await
    }

    /// A server with its configuration changed by `change` (CardDAV settings included).
    pub async fn start_configured(change: impl FnOnce(&mut Config)) -> Self {
        let temp = tempfile::tempdir().unwrap();
        let mut s = Self::start_in_with(temp.path(), carddav::DavConfig::default(), change).await;
        s._temp = Some(temp);
        s
    }

    /// A server on PostgreSQL (`ROLO_TEST_POSTGRES_URL`), in a schema of its own made with
    /// `psql`.
    pub async fn start_postgres() -> Self {
        let base = std::env::var("ROLO_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let schema = format!("rolo_it_{}", uuid::Uuid::new_v4().simple());
        let out = std::process::Command::new("psql")
            .args(["-q", "-X", "-d", &base, "-c", &format!("CREATE SCHEMA {schema}")])
            .output()
            .expect("psql (PostgreSQL's client, which make test installs) runs the PostgreSQL server tests");
        assert!(
            out.status.success(),
            "cannot make a schema in {base}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Self::start_configured(|c| c.database_url = url).await
    }

    async fn start_in(dir: &std::path::Path, dav: carddav::DavConfig) -> Self {
        Self::start_in_with(dir, dav, |_| {}).await
    }

    async fn start_in_with(
        dir: &std::path::Path,
        dav: carddav::DavConfig,
        change: impl FnOnce(&mut Config),
    ) -> Self {
        let mut config = test_config(dir, dav);
        change(&mut config);
        let store = setup::open_store(&config).await.unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let router = web::router_with(
            web::state(&config, store.clone()),
            Some(config.import_limits()),
            config.dav.clone(),
        );
        let router = web::behind_proxies(router, config.trusted_proxies.clone());
        let task = tokio::spawn(web::serve(listener, router, async {
            let _ = rx.await;
        }));
        TestServer {
            url,
            store,
            stop: Some(tx),
            task: Some(task),
            dir: dir.to_path_buf(),
            database_url: config.database_url.clone(),
            _temp: None,
        }
    }

    /// The database URL the server runs on.
    pub fn database_url(&self) -> &str {
        &self.database_url
    }

    /// The data directory (SQLite database and its WAL, key file).
    pub fn data_dir(&self) -> &std::path::Path {
        &self.dir
    }

    pub async fn account(&self, name: &str, password: &str) -> domain::AccountInfo {
        self.store
            .create_account(&domain::Username::parse(name).unwrap(), password, false)
            .await
            .unwrap()
    }

    pub async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap().unwrap();
    }
}

/// A browser-like client: keeps cookies, does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The same, connecting from another loopback address (`127.0.0.2`, …): another client address
/// for the server.
pub fn client_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .local_address(Some(ip.parse().unwrap()))
        .build()
        .unwrap()
}

/// Calls a console server function (as the browser's JavaScript does) and returns its answer.
pub async fn rpc(
    c: &reqwest::Client,
    base: &str,
    name: &str,
    form: &[(&str, &str)],
) -> (reqwest::StatusCode, String) {
    let r = c
        .post(format!("{base}/rpc/{name}"))
        .header("accept", "application/json")
        .form(form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.text().await.unwrap())
}

pub async fn signed_in(s: &TestServer, name: &str, password: &str) -> reqwest::Client {
    let c = client();
    let (status, body) =
        rpc(&c, &s.url, "login", &[("username", name), ("password", password)]).await;
    assert!(status.is_success(), "login {status}: {body}");
    c
}

/// Opens the store of a data directory as `rolo` does (to see what it checks and fixes).
pub async fn open_store_in(dir: &std::path::Path) -> Result<Arc<Store>, String> {
    let config = Config {
        database_url: format!("sqlite://{}", dir.join("rolo.db").display()),
        master_key_file: dir.join("master.key"),
        data_dir: dir.to_path_buf(),
        ..Config::from_env()?
    };
    setup::open_store(&config).await
}

/// A test server's configuration in `dir`.
pub fn test_config(dir: &std::path::Path, dav: carddav::DavConfig) -> Config {
    Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.to_path_buf(),
        database_url: format!("sqlite://{}", dir.join("rolo.db").display()),
        master_key_env: false,
        master_key_file: dir.join("master.key"),
        site_root: dir.join("site"),
        session_hours: 1,
        secure_cookies: false,
        import_max_mb: 50,
        import_max_rows: 200_000,
        dav,
        trash_days: 30,
        trusted_proxies: Vec::new(),
    }
}

/// The whole app in process, for `tower::ServiceExt::oneshot` (no TCP, no client address),
/// with its store and the temporary directory that holds them.
pub async fn app() -> (axum::Router, Arc<Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = test_config(dir.path(), carddav::DavConfig::default());
    let store = setup::open_store(&config).await.unwrap();
    let router = web::router_with(
        web::state(&config, store.clone()),
        Some(config.import_limits()),
        config.dav.clone(),
    );
    (router, store, dir)
}

/// Sends `request` as written over a new TCP connection and returns the start of the answer.
pub async fn raw_request(base: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream =
        tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut buf))
        .await
        .expect("no answer within 10 s")
        .unwrap();
    String::from_utf8_lossy(&buf[..n]).to_string()
}
