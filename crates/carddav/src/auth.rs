//! HTTP Basic authentication: the Rolo username with a device token as the password ("app
//! password"), or — only when the server allows it — the account password.
//!
//! Wrong device tokens are limited per username and client address and per address, counted in
//! the database (`store::FailureLimit`, the sign-in throttle's table), so that failures on one
//! instance block on every other (a token cannot be guessed; the limit keeps floods off the
//! database). An account password is an attempt like any sign-in: counted by the store before
//! it is checked, in the same count as the console's (`store::throttle`). An account with
//! two-step sign-in on is refused its password here: a device token is its way in.
//!
//! Credentials verified a moment ago are remembered ([`CredentialCache`]); the store's access
//! epoch empties that memory when a device is revoked, an account disabled or a password
//! changed — at once on the instance that did it, within [`store::ACCESS_EPOCH_CHECK`] on the
//! others.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};
use base64::Engine;
use domain::{AccountInfo, DeviceInfo, Origin, Username};
use store::{FailureLimit, Store};

use crate::error::{DavError, DavResult};

/// Failed attempts allowed per username and address, and per address, in [`WINDOW`].
pub const MAX_FAILURES_PER_USER: u32 = 10;
pub const MAX_FAILURES_PER_ADDR: u32 = 50;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a verified account password is remembered (argon2 costs ~25 ms per request).
const PASSWORD_CACHE: Duration = Duration::from_secs(60);
/// How long a verified device token is remembered (saves a database read per request: a first
/// sync is a hundred requests). A revocation, a disabled account or a new password empties the
/// cache: at once when made in this process, within [`store::ACCESS_EPOCH_CHECK`] when made by
/// another instance on the same database.
pub const TOKEN_CACHE: Duration = Duration::from_secs(10);

const PER_USER: FailureLimit =
    FailureLimit { name: "dav-user", max: MAX_FAILURES_PER_USER as i64, window: WINDOW };
const PER_ADDR: FailureLimit =
    FailureLimit { name: "dav-address", max: MAX_FAILURES_PER_ADDR as i64, window: WINDOW };

/// Who is asking.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: AccountInfo,
    /// The device whose token signed in (`None` with the account password).
    pub device: Option<DeviceInfo>,
}

impl Principal {
    /// The origin recorded in the history for this client's writes: the device, or the
    /// account owner when the account password was used.
    pub fn origin(&self) -> Origin {
        match &self.device {
            Some(d) => Origin::Device(d.id),
            None => Origin::Console,
        }
    }
}

/// Failed sign-ins with wrong device tokens, counted in the database (every instance shares
/// the counts).
#[derive(Debug, Clone, Copy, Default)]
pub struct Throttle;

impl Throttle {
    fn address(addr: Option<IpAddr>) -> String {
        addr.map(|a| a.to_string()).unwrap_or_default()
    }

    /// Seconds to wait, if this user or address has failed too often.
    pub async fn blocked(
        &self,
        store: &Store,
        user: &str,
        addr: Option<IpAddr>,
    ) -> store::StoreResult<Option<u64>> {
        let (user, a) = (user.to_lowercase(), Self::address(addr));
        if let Some(wait) = store.failures_wait(&PER_USER, &[&user, &a]).await? {
            return Ok(Some(wait));
        }
        store.failures_wait(&PER_ADDR, &[&a]).await
    }

    pub async fn fail(
        &self,
        store: &Store,
        user: &str,
        addr: Option<IpAddr>,
    ) -> store::StoreResult<()> {
        let (user, a) = (user.to_lowercase(), Self::address(addr));
        store.count_failure(&PER_USER, &[&user, &a]).await?;
        store.count_failure(&PER_ADDR, &[&a]).await
    }

    pub async fn succeed(
        &self,
        store: &Store,
        user: &str,
        addr: Option<IpAddr>,
    ) -> store::StoreResult<()> {
        store.clear_failures(&PER_USER, &[&user.to_lowercase(), &Self::address(addr)]).await
    }
}

/// Credentials verified recently: a keyed digest of username and secret → who they are.
#[derive(Default)]
pub struct CredentialCache(Mutex<Verified>);

#[derive(Default)]
struct Verified {
    /// The store's access epoch when these were verified.
    epoch: u64,
    entries: HashMap<String, (Principal, Instant, Duration)>,
}

impl CredentialCache {
    /// Who `key` is, if verified within its time and no credentials were withdrawn since
    /// (`epoch`: the store's access epoch now).
    fn get(&self, epoch: u64, key: &str) -> Option<Principal> {
        let mut v = self.0.lock().ok()?;
        if v.epoch != epoch {
            v.entries.clear();
            v.epoch = epoch;
            return None;
        }
        v.entries.get(key).filter(|(_, at, ttl)| at.elapsed() < *ttl).map(|(p, _, _)| p.clone())
    }

    /// Remembers `who` for `ttl`, unless credentials were withdrawn since `epoch` (when the
    /// check that found them began; `now` is the epoch after it).
    fn put(&self, epoch: u64, now: u64, key: String, who: &Principal, ttl: Duration) {
        let Ok(mut v) = self.0.lock() else { return };
        if now != epoch || v.epoch != epoch {
            return;
        }
        if v.entries.len() >= 10_000 {
            v.entries.retain(|_, (_, at, ttl)| at.elapsed() < *ttl);
        }
        v.entries.insert(key, (who.clone(), Instant::now(), ttl));
    }
}

/// `(username, password)` of a Basic `Authorization` header.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, b64) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD.decode(b64.trim()).ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

/// Checks the request's credentials.
pub async fn authenticate(
    store: &Store,
    throttle: &Throttle,
    cache: &CredentialCache,
    allow_password: bool,
    headers: &HeaderMap,
    addr: Option<IpAddr>,
) -> DavResult<Principal> {
    let (user, pass) = basic_credentials(headers).ok_or(DavError::Unauthorized)?;
    let username = Username::parse(&user).ok();
    // Credentials verified a moment ago answer without the database (the epoch is read from it
    // at most once a second); only their owner can send them.
    let key =
        username.as_ref().map(|u| crypto::sha256_hex(format!("{}\0{pass}", u.as_str()).as_bytes()));
    let epoch = store.access_epoch().await?;
    if let Some(who) = key.as_deref().and_then(|k| cache.get(epoch, k)) {
        return Ok(who);
    }
    if let Some(wait) = throttle.blocked(store, &user, addr).await? {
        return Err(DavError::Throttled(wait));
    }
    let (Some(username), Some(key)) = (username, key) else {
        throttle.fail(store, &user, addr).await?;
        return Err(DavError::Unauthorized);
    };
    if let Some((device, account)) = store.device_by_token(pass.trim()).await? {
        if account.username == username {
            throttle.succeed(store, &user, addr).await?;
            let who = Principal { account, device: Some(device) };
            cache.put(epoch, store.access_epoch().await?, key, &who, TOKEN_CACHE);
            return Ok(who);
        }
    }
    if allow_password && !pass.is_empty() && !pass.trim().starts_with(domain::DEVICE_TOKEN_PREFIX) {
        let address = addr.map(|a| a.to_string()).unwrap_or_else(|| "unknown".into());
        let attempt =
            match store.begin_attempt(&username, &address, store::Secret::Password).await? {
                Ok(attempt) => attempt,
                Err(wait) => return Err(DavError::Throttled(wait)),
            };
        if let Some(account) = store.verify_login(&username, &pass).await? {
            store.attempt_succeeded(attempt).await?;
            if matches!(
                store.second_factor_state(account.id).await?,
                store::SecondFactorState::On { .. }
            ) {
                tracing::info!(user = %username.as_str(), "CardDAV: account password refused (two-step sign-in is on; use a device token)");
                return Err(DavError::Unauthorized);
            }
            let who = Principal { account, device: None };
            cache.put(epoch, store.access_epoch().await?, key, &who, PASSWORD_CACHE);
            return Ok(who);
        }
        tracing::info!(user = %username.as_str(), addr = ?addr, "CardDAV: wrong account password");
        return Err(DavError::Unauthorized);
    }
    throttle.fail(store, &user, addr).await?;
    tracing::info!(user = %username.as_str(), addr = ?addr, "CardDAV: failed sign-in");
    Err(DavError::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (Store, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("rolo.db").display());
        let backend = store_sql::SqliteBackend::connect(&url).await.unwrap();
        (store::contract::store_on(std::sync::Arc::new(backend)).await, dir)
    }

    #[tokio::test]
    async fn throttle_counts_per_user_and_address() {
        let ((s, _dir), t) = (store().await, Throttle);
        let ip: Option<IpAddr> = "192.0.2.1".parse().ok();
        let other: Option<IpAddr> = "192.0.2.2".parse().ok();
        for _ in 0..MAX_FAILURES_PER_USER {
            assert!(t.blocked(&s, "alice", ip).await.unwrap().is_none());
            t.fail(&s, "alice", ip).await.unwrap();
        }
        let wait = t.blocked(&s, "alice", ip).await.unwrap().unwrap();
        assert!(wait > WINDOW.as_secs() - 60 && wait <= WINDOW.as_secs(), "{wait}");
        assert!(t.blocked(&s, "ALICE", ip).await.unwrap().is_some());
        assert!(t.blocked(&s, "alice", other).await.unwrap().is_none());
        assert!(t.blocked(&s, "bob", ip).await.unwrap().is_none());
        for i in 0..MAX_FAILURES_PER_ADDR {
            t.fail(&s, &format!("user{i}"), other).await.unwrap();
        }
        assert!(t.blocked(&s, "carol", other).await.unwrap().is_some());
        // A success clears the (username, address) count, not the address's.
        t.succeed(&s, "Alice", ip).await.unwrap();
        assert!(t.blocked(&s, "alice", ip).await.unwrap().is_none());
        t.succeed(&s, "carol", other).await.unwrap();
        assert!(t.blocked(&s, "carol", other).await.unwrap().is_some());
    }

    #[test]
    fn basic_header() {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            "Basic YWxpY2U6cm9sb19hOmI=".parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(basic_credentials(&h), Some(("alice".into(), "rolo_a:b".into())));
        h.insert(header::AUTHORIZATION, "Bearer x".parse().unwrap_or_else(|_| unreachable!()));
        assert_eq!(basic_credentials(&h), None);
    }
}
