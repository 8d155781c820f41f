//! Sign-in attempts: counted in the database **before** a secret is checked, so that parallel
//! guesses are counted too and every channel (console sign-in, change of password, second
//! factor, CardDAV with the account password) and every instance share one count.
//!
//! Two counts are kept for an attempt: one per (username, client address) and one per address.
//! Each allows a few free attempts, then makes the next one wait, twice as long each time, up to
//! [`MAX_DELAY_MS`]. A success clears the (username, address) count only. So an attacker slows
//! themselves: the account's owner, from another address, signs in at once; nothing locks an
//! account. Counts are forgotten after [`FORGET_AFTER_MS`] without an attempt.

use chrono::Utc;
use domain::Username;

use crate::{Store, StoreResult, ThrottleRow};

/// The longest wait between two attempts: 15 minutes.
pub const MAX_DELAY_MS: i64 = 15 * 60 * 1000;
/// A count is forgotten a day after its last attempt.
pub const FORGET_AFTER_MS: i64 = 24 * 60 * 60 * 1000;

/// Attempts per (username, address) before they are spaced out.
pub const FREE_PER_ACCOUNT: i64 = 5;
/// Attempts per address (any username) before they are spaced out.
pub const FREE_PER_ADDRESS: i64 = 30;

/// What is being tried: the secret's kind keeps a password's and a second factor's counts apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Secret {
    Password,
    SecondFactor,
}

/// The wait after `failures` counted attempts, when `free` are allowed without one.
pub fn delay_ms(failures: i64, free: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(20) as u32;
    (1000i64 << doublings).min(MAX_DELAY_MS)
}

/// An attempt that was counted; tell the store how it went ([`Store::attempt_succeeded`]).
#[derive(Debug, Clone)]
pub struct Attempt {
    account_key: String,
}

fn key(parts: &[&str]) -> String {
    crypto::sha256_hex(parts.join("\0").as_bytes())
}

impl Store {
    /// Counts an attempt at `username`'s secret from `address` before it is checked. `Err(wait
    /// in seconds)` when it comes too soon after the last ones: the secret must not be checked.
    pub async fn begin_attempt(
        &self,
        username: &Username,
        address: &str,
        secret: Secret,
    ) -> StoreResult<Result<Attempt, u64>> {
        let kind = match secret {
            Secret::Password => "password",
            Secret::SecondFactor => "second-factor",
        };
        let account_key = key(&[kind, username.as_str(), address]);
        let address_key = key(&["address", address]);
        for (k, free) in [(&account_key, FREE_PER_ACCOUNT), (&address_key, FREE_PER_ADDRESS)] {
            if let Err(wait) = self.count(k, free).await? {
                return Ok(Err(wait));
            }
        }
        Ok(Ok(Attempt { account_key }))
    }

    /// The secret was right: the (username, address) count starts again.
    pub async fn attempt_succeeded(&self, attempt: Attempt) -> StoreResult<()> {
        self.backend.throttle_clear(&attempt.account_key).await
    }

    /// Forgets counts not touched for [`FORGET_AFTER_MS`].
    pub async fn purge_attempts(&self) -> StoreResult<u64> {
        self.backend.throttle_purge(Utc::now().timestamp_millis() - FORGET_AFTER_MS).await
    }

    /// Adds one to `key`'s count unless it must wait; a compare-and-swap, retried when another
    /// attempt counted first.
    async fn count(&self, key: &str, free: i64) -> StoreResult<Result<(), u64>> {
        loop {
            let old = self.backend.throttle_row(key).await?;
            let now = Utc::now().timestamp_millis();
            let failures = match old {
                // Only a wait that was set counts (another attempt's clock may be a little ahead).
                Some(r) if r.next_at > r.updated_at && r.next_at > now => {
                    return Ok(Err(((r.next_at - now) as u64).div_ceil(1000).max(1)))
                }
                Some(r) if r.updated_at >= now - FORGET_AFTER_MS => r.failures + 1,
                _ => 1,
            };
            let new =
                ThrottleRow { failures, next_at: now + delay_ms(failures, free), updated_at: now };
            if self.backend.throttle_swap(key, old.as_ref(), &new).await? {
                return Ok(Ok(()));
            }
        }
    }
}

/// A limit on failures counted in a fixed window, kept in the same table as sign-in attempts so
/// that every instance on the database shares it: after `max` failures under a key, the key is
/// blocked until `window` after its first failure. CardDAV counts wrong device tokens this way
/// (a token cannot be guessed: the limit keeps floods off the database and off argon2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FailureLimit {
    /// Separates one use's keys from another's.
    pub name: &'static str,
    pub max: i64,
    pub window: std::time::Duration,
}

impl FailureLimit {
    fn key(&self, parts: &[&str]) -> String {
        let mut all = vec!["window", self.name];
        all.extend_from_slice(parts);
        key(&all)
    }
}

impl Store {
    /// Seconds to wait when `parts` failed `limit.max` times in the current window.
    pub async fn failures_wait(
        &self,
        limit: &FailureLimit,
        parts: &[&str],
    ) -> StoreResult<Option<u64>> {
        let now = Utc::now().timestamp_millis();
        Ok(self.backend.throttle_row(&limit.key(parts)).await?.and_then(|r| {
            (r.failures >= limit.max && r.next_at > now)
                .then(|| ((r.next_at - now) as u64).div_ceil(1000).max(1))
        }))
    }

    /// Counts a failure under `parts`: the first of a window starts it (a compare-and-swap,
    /// retried when another failure counted first).
    pub async fn count_failure(&self, limit: &FailureLimit, parts: &[&str]) -> StoreResult<()> {
        let key = limit.key(parts);
        let window = limit.window.as_millis() as i64;
        loop {
            let old = self.backend.throttle_row(&key).await?;
            let now = Utc::now().timestamp_millis();
            // `next_at` is the end of the window.
            let new = match old {
                Some(r) if r.next_at > now => ThrottleRow { failures: r.failures + 1, ..r },
                _ => ThrottleRow { failures: 1, next_at: now + window, updated_at: now },
            };
            let new = ThrottleRow { updated_at: now, ..new };
            if self.backend.throttle_swap(&key, old.as_ref(), &new).await? {
                return Ok(());
            }
        }
    }

    /// Forgets the failures counted under `parts`.
    pub async fn clear_failures(&self, limit: &FailureLimit, parts: &[&str]) -> StoreResult<()> {
        self.backend.throttle_clear(&limit.key(parts)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_after_the_free_attempts() {
        assert_eq!(delay_ms(4, 5), 0);
        assert_eq!(delay_ms(5, 5), 1000);
        assert_eq!(delay_ms(6, 5), 2000);
        assert_eq!(delay_ms(10, 5), 32_000);
        assert_eq!(delay_ms(20, 5), MAX_DELAY_MS);
        assert_eq!(delay_ms(i64::MAX, 5), MAX_DELAY_MS);
    }
}
