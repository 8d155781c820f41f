//! Password hashing with argon2id (default parameters: 19 MiB, t=2, p=1), off the async threads.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

use crate::{StoreError, StoreResult};

/// Hashes a password to a PHC string (`$argon2id$v=19$…`) with a random salt.
pub async fn hash_password(password: String) -> StoreResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| StoreError::Backend(format!("password hashing failed: {e}")))
    })
    .await
    .map_err(|e| StoreError::Backend(e.to_string()))?
}

/// Checks a password against a PHC string. A malformed stored hash never matches.
pub async fn verify_password(password: String, phc: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    })
    .await
    .unwrap_or(false)
}
