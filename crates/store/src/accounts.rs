//! Accounts: creation, sign-in by password, administration.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use domain::{AccountId, AccountInfo, Username};
use uuid::Uuid;

use crate::backend::NewAccount;
use crate::password::{hash_password, verify_password};
use crate::store::{info, now_ms};
use crate::{Store, StoreError, StoreResult};
use crypto::DataKey;

/// An account with the figures the admin page shows (never its contacts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountOverview {
    pub account: AccountInfo,
    pub contacts: i64,
    pub last_activity: Option<DateTime<Utc>>,
    /// Two-step sign-in is on.
    pub second_factor: bool,
}

impl Store {
    pub async fn count_accounts(&self) -> StoreResult<i64> {
        self.backend.count_accounts().await
    }

    pub async fn create_account(
        &self,
        username: &Username,
        password: &str,
        is_admin: bool,
    ) -> StoreResult<AccountInfo> {
        domain::check_new_password(password).map_err(|m| {
            StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new(
                "password", m,
            )]))
        })?;
        let id = AccountId::from_uuid(Uuid::now_v7());
        let dk = DataKey::generate()?;
        let wrapped = self.keyring().wrap(id.as_bytes(), &dk)?;
        let account = NewAccount {
            id,
            username: username.clone(),
            password_hash: hash_password(password.to_string()).await?,
            is_admin,
            key_id: wrapped.key_id.to_string(),
            wrapped_key: wrapped.blob,
            created_at: now_ms(),
        };
        self.backend.create_account(&account).await?;
        Ok(AccountInfo {
            id,
            username: username.clone(),
            is_admin,
            disabled: false,
            created_at: account.created_at,
            lang: None,
        })
    }

    pub async fn account(&self, id: AccountId) -> StoreResult<AccountInfo> {
        Ok(info(&self.account_row(id).await?))
    }

    pub async fn account_by_username(&self, username: &Username) -> StoreResult<AccountInfo> {
        self.backend
            .account_by_username(username)
            .await?
            .map(|r| info(&r))
            .ok_or(StoreError::NotFound)
    }

    pub async fn list_accounts(&self) -> StoreResult<Vec<AccountInfo>> {
        Ok(self.backend.list_accounts().await?.iter().map(info).collect())
    }

    /// Disables (or enables) an account; disabling also ends its sessions.
    pub async fn set_disabled(&self, id: AccountId, disabled: bool) -> StoreResult<()> {
        if !self.backend.set_disabled(id, disabled).await? {
            return Err(StoreError::NotFound);
        }
        self.withdraw_access().await?;
        if disabled {
            self.backend.delete_account_sessions(id).await?;
        }
        Ok(())
    }

    /// Makes an account an administrator or not.
    pub async fn set_admin(&self, id: AccountId, is_admin: bool) -> StoreResult<()> {
        if self.backend.set_admin(id, is_admin).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Every account with its number of contacts and last change (for administrators).
    pub async fn account_overview(&self) -> StoreResult<Vec<AccountOverview>> {
        let stats: HashMap<AccountId, (i64, Option<DateTime<Utc>>)> = self
            .backend
            .account_stats()
            .await?
            .into_iter()
            .map(|(id, n, last)| (id, (n, last)))
            .collect();
        let mut out = Vec::new();
        for a in self.list_accounts().await? {
            let (contacts, last_activity) = stats.get(&a.id).copied().unwrap_or((0, None));
            let second_factor =
                self.backend.second_factor(a.id).await?.is_some_and(|f| f.confirmed);
            out.push(AccountOverview { account: a, contacts, last_activity, second_factor });
        }
        Ok(out)
    }

    /// Sets a new password and ends the account's sessions.
    pub async fn set_password(&self, id: AccountId, password: &str) -> StoreResult<()> {
        domain::check_new_password(password).map_err(|m| {
            StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new(
                "password", m,
            )]))
        })?;
        let hash = hash_password(password.to_string()).await?;
        if !self.backend.set_password_hash(id, &hash).await? {
            return Err(StoreError::NotFound);
        }
        self.withdraw_access().await?;
        self.backend.delete_account_sessions(id).await?;
        Ok(())
    }

    /// Checks a username and password. `Ok(None)` for a wrong password, an unknown user or a
    /// disabled account (callers must not tell these apart to the user).
    pub async fn verify_login(
        &self,
        username: &Username,
        password: &str,
    ) -> StoreResult<Option<AccountInfo>> {
        let row = self.backend.account_by_username(username).await?;
        let (hash, row) = match row {
            Some(r) => (r.password_hash.clone(), Some(r)),
            None => (self.dummy_hash.clone(), None),
        };
        let ok = verify_password(password.to_string(), hash).await;
        Ok(match row {
            Some(r) if ok && !r.disabled => Some(info(&r)),
            _ => None,
        })
    }

    /// Remembers the account's console language (`None` forgets it).
    pub async fn set_lang(&self, id: AccountId, lang: Option<&str>) -> StoreResult<()> {
        if self.backend.set_lang(id, lang).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }
}
