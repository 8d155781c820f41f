//! Password hashing with argon2id (default parameters: 19 MiB, t=2, p=1), off the async threads,
//! at most one per core at a time: each takes 19 MiB and ~25 ms of a core, so sixty parallel
//! sign-ins queue instead of taking a gigabyte.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

use crate::{StoreError, StoreResult};

use std::sync::atomic::{AtomicUsize, Ordering};

/// Hashes computed at once in this process: one per core.
pub fn hashing_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

fn hashing() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(hashing_slots()))
}

static RUNNING: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The most hashes this process has computed at once (never more than [`hashing_slots`]).
pub fn hashing_peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Runs one hash, counted in [`hashing_peak`].
fn counted<T>(work: impl FnOnce() -> T) -> T {
    let now = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    PEAK.fetch_max(now, Ordering::SeqCst);
    let out = work();
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    out
}

/// Hashes a password to a PHC string (`$argon2id$v=19$…`) with a random salt.
pub async fn hash_password(password: String) -> StoreResult<String> {
    // The slot goes with the work: a request given up on does not free it while hashing goes on.
    let slot = hashing().acquire().await.map_err(|e| StoreError::Backend(e.to_string()))?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        counted(|| {
            Argon2::default()
                .hash_password(password.as_bytes())
                .map(|h| h.to_string())
                .map_err(|e| StoreError::Backend(format!("password hashing failed: {e}")))
        })
    })
    .await
    .map_err(|e| StoreError::Backend(e.to_string()))?
}

/// Checks a password against a PHC string. A malformed stored hash never matches.
pub async fn verify_password(password: String, phc: String) -> bool {
    let Ok(slot) = hashing().acquire().await else { return false };
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        counted(|| match PasswordHash::new(&phc) {
            Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
            Err(_) => false,
        })
    })
    .await
    .unwrap_or(false)
}
