//! HTTP Basic authentication: the Rolo username with a device token as the password ("app
//! password"), or — only when the server allows it — the account password.
//!
//! Wrong device tokens are limited here, in memory, per username and client address and per
//! address (a token cannot be guessed; the limit keeps floods off the database). An account
//! password is an attempt like any sign-in: counted by the store before it is checked, in the
//! same count as the console's (`store::throttle`). An account with two-step sign-in on is
//! refused its password here: a device token is its way in.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{header, HeaderMap};
use base64::Engine;
use domain::{AccountInfo, DeviceInfo, Origin, Username};
use store::Store;

use crate::error::{DavError, DavResult};

/// Failed attempts allowed per username and address, and per address, in [`WINDOW`].
pub const MAX_FAILURES_PER_USER: u32 = 10;
pub const MAX_FAILURES_PER_ADDR: u32 = 50;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a verified account password is remembered (argon2 costs ~25 ms per request).
const PASSWORD_CACHE: Duration = Duration::from_secs(60);
/// How long a verified device token is remembered (saves a database read per request: a first
/// sync is a hundred requests). A revocation, a disabled account or a new password made in this
/// process empties the cache at once; one made by another instance on the same database takes
/// effect here within this time.
pub const TOKEN_CACHE: Duration = Duration::from_secs(10);

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

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    fn keys(user: &str, addr: Option<IpAddr>) -> [String; 2] {
        let a = addr.map(|a| a.to_string()).unwrap_or_default();
        [format!("u\0{}\0{a}", user.to_lowercase()), format!("a\0{a}")]
    }

    /// Seconds to wait, if this user or address has failed too often.
    pub fn blocked(&self, user: &str, addr: Option<IpAddr>) -> Option<u64> {
        let map = self.failures.lock().ok()?;
        let now = Instant::now();
        let [k_user, k_addr] = Self::keys(user, addr);
        [(k_user, MAX_FAILURES_PER_USER), (k_addr, MAX_FAILURES_PER_ADDR)].into_iter().find_map(
            |(k, max)| {
                let (n, since) = map.get(&k)?;
                let left = WINDOW.checked_sub(now.duration_since(*since))?;
                (*n >= max).then(|| left.as_secs().max(1))
            },
        )
    }

    pub fn fail(&self, user: &str, addr: Option<IpAddr>) {
        let Ok(mut map) = self.failures.lock() else { return };
        let now = Instant::now();
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        }
        for k in Self::keys(user, addr) {
            let e = map.entry(k).or_insert((0, now));
            if now.duration_since(e.1) >= WINDOW {
                *e = (0, now);
            }
            e.0 += 1;
        }
    }

    pub fn succeed(&self, user: &str, addr: Option<IpAddr>) {
        if let Ok(mut map) = self.failures.lock() {
            let [k_user, _] = Self::keys(user, addr);
            map.remove(&k_user);
        }
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
    fn get(&self, store: &Store, key: &str) -> Option<Principal> {
        let mut v = self.0.lock().ok()?;
        let epoch = store.access_epoch();
        if v.epoch != epoch {
            v.entries.clear();
            v.epoch = epoch;
            return None;
        }
        v.entries.get(key).filter(|(_, at, ttl)| at.elapsed() < *ttl).map(|(p, _, _)| p.clone())
    }

    /// Remembers `who` for `ttl`, unless credentials were withdrawn since `epoch` (when the
    /// check that found them began).
    fn put(&self, store: &Store, epoch: u64, key: String, who: &Principal, ttl: Duration) {
        let Ok(mut v) = self.0.lock() else { return };
        if store.access_epoch() != epoch {
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
    if let Some(wait) = throttle.blocked(&user, addr) {
        return Err(DavError::Throttled(wait));
    }
    let username = match Username::parse(&user) {
        Ok(u) => u,
        Err(_) => {
            throttle.fail(&user, addr);
            return Err(DavError::Unauthorized);
        }
    };
    let key = crypto::sha256_hex(format!("{}\0{pass}", username.as_str()).as_bytes());
    if let Some(who) = cache.get(store, &key) {
        return Ok(who);
    }
    let epoch = store.access_epoch();
    if let Some((device, account)) = store.device_by_token(pass.trim()).await? {
        if account.username == username {
            throttle.succeed(&user, addr);
            let who = Principal { account, device: Some(device) };
            cache.put(store, epoch, key, &who, TOKEN_CACHE);
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
            cache.put(store, epoch, key, &who, PASSWORD_CACHE);
            return Ok(who);
        }
        tracing::info!(user = %username.as_str(), addr = ?addr, "CardDAV: wrong account password");
        return Err(DavError::Unauthorized);
    }
    throttle.fail(&user, addr);
    tracing::info!(user = %username.as_str(), addr = ?addr, "CardDAV: failed sign-in");
    Err(DavError::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttle_counts_per_user_and_address() {
        let t = Throttle::default();
        let ip: Option<IpAddr> = "192.0.2.1".parse().ok();
        let other: Option<IpAddr> = "192.0.2.2".parse().ok();
        for _ in 0..MAX_FAILURES_PER_USER {
            assert!(t.blocked("alice", ip).is_none());
            t.fail("alice", ip);
        }
        assert!(t.blocked("alice", ip).is_some());
        assert!(t.blocked("ALICE", ip).is_some());
        assert!(t.blocked("alice", other).is_none());
        assert!(t.blocked("bob", ip).is_none());
        for i in 0..MAX_FAILURES_PER_ADDR {
            t.fail(&format!("user{i}"), other);
        }
        assert!(t.blocked("carol", other).is_some());
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
