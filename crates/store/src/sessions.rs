//! Console sessions.

use chrono::{DateTime, Duration, Utc};
use domain::{AccountId, AccountInfo};

use crate::backend::SessionRow;
use crate::store::{info, new_token, now_ms};
use crate::{Store, StoreError, StoreResult};

/// A new session: the token for the cookie (shown once) and when it expires.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// One of an account's sessions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionEntry {
    /// An opaque id (not the token).
    pub id: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// The session of the request that asked.
    pub current: bool,
}

impl Store {
    pub async fn create_session(
        &self,
        account: AccountId,
        ttl: Duration,
    ) -> StoreResult<NewSession> {
        let token = new_token()?;
        let now = now_ms();
        let row = SessionRow {
            token_hash: crypto::sha256_hex(token.as_bytes()),
            account_id: account,
            created_at: now,
            expires_at: now + ttl,
        };
        self.backend.create_session(&row).await?;
        Ok(NewSession { token, expires_at: row.expires_at })
    }

    /// The account a session token belongs to, if the session is live and the account enabled.
    pub async fn session_account(&self, token: &str) -> StoreResult<Option<AccountInfo>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        let hash = crypto::sha256_hex(token.as_bytes());
        match self.backend.session(&hash).await? {
            Some((s, a)) if s.expires_at > Utc::now() && !a.disabled => Ok(Some(info(&a))),
            Some(_) => {
                self.backend.delete_session(&hash).await?;
                Ok(None)
            }
            None => Ok(None),
        }
    }

    pub async fn delete_session(&self, token: &str) -> StoreResult<()> {
        self.backend.delete_session(&crypto::sha256_hex(token.as_bytes())).await
    }

    /// How many console sessions are live (all accounts; for `/metrics`).
    pub async fn count_live_sessions(&self) -> StoreResult<u64> {
        self.backend.count_live_sessions(Utc::now()).await
    }

    /// Deletes expired sessions, and expired sign-ins waiting for their second factor.
    pub async fn purge_expired_sessions(&self) -> StoreResult<u64> {
        let n = self.backend.purge_expired_sessions(Utc::now()).await?;
        Ok(n + self.backend.purge_pending_signins(Utc::now()).await?)
    }

    /// The account's live sessions; `current_token` marks the asking one.
    pub async fn sessions(
        &self,
        account: AccountId,
        current_token: Option<&str>,
    ) -> StoreResult<Vec<SessionEntry>> {
        let current = current_token.map(|t| crypto::sha256_hex(t.as_bytes()));
        let now = Utc::now();
        Ok(self
            .backend
            .account_sessions(account)
            .await?
            .into_iter()
            .filter(|s| s.expires_at > now)
            .map(|s| SessionEntry {
                current: current.as_deref() == Some(s.token_hash.as_str()),
                // The id is a hash of the stored hash: it names the session without revealing
                // anything that opens it.
                id: crypto::sha256_hex(s.token_hash.as_bytes())[..24].to_string(),
                created_at: s.created_at,
                expires_at: s.expires_at,
            })
            .collect())
    }

    /// Ends one of the account's sessions by the id `sessions` gave.
    pub async fn end_session(&self, account: AccountId, id: &str) -> StoreResult<()> {
        for s in self.backend.account_sessions(account).await? {
            if crypto::sha256_hex(s.token_hash.as_bytes())[..24] == *id {
                return self.backend.delete_session(&s.token_hash).await;
            }
        }
        Err(StoreError::NotFound)
    }
}
