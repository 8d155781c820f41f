//! Sync devices and their tokens.

use domain::{AccountId, AccountInfo, DeviceId, DeviceInfo, DeviceKind};
use uuid::Uuid;

use crate::backend::{DeviceRow, SyncRecord};
use crate::store::{info, new_token, now_ms};
use crate::{Store, StoreError, StoreResult};

fn device_info(row: &DeviceRow) -> DeviceInfo {
    DeviceInfo {
        id: row.id,
        name: row.name.clone(),
        kind: DeviceKind::parse(&row.kind).unwrap_or(DeviceKind::Other),
        created_at: row.created_at,
        revoked_at: row.revoked_at,
        last_sync_at: row.last_sync_at,
        last_cursor: row.last_cursor,
        last_addr: row.last_addr.clone(),
        changes_sent: row.changes_sent,
        changes_received: row.changes_received,
    }
}

impl Store {
    /// Registers a device; returns it with its token (shown once, stored only hashed).
    pub async fn create_device(
        &self,
        account: AccountId,
        name: &str,
        kind: DeviceKind,
    ) -> StoreResult<(DeviceInfo, String)> {
        let name = domain::parse_device_name(name).map_err(|m| {
            StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("name", m)]))
        })?;
        self.account_row(account).await?;
        let token = format!("{}{}", domain::DEVICE_TOKEN_PREFIX, new_token()?);
        let row = DeviceRow {
            id: DeviceId::from_uuid(Uuid::now_v7()),
            account_id: account,
            name,
            kind: kind.as_str().to_string(),
            token_hash: crypto::sha256_hex(token.as_bytes()),
            created_at: now_ms(),
            revoked_at: None,
            last_sync_at: None,
            last_cursor: None,
            last_addr: None,
            changes_sent: 0,
            changes_received: 0,
        };
        self.backend.create_device(&row).await?;
        Ok((device_info(&row), token))
    }

    pub async fn devices(&self, account: AccountId) -> StoreResult<Vec<DeviceInfo>> {
        Ok(self.backend.devices(account).await?.iter().map(device_info).collect())
    }

    pub async fn device(&self, account: AccountId, id: DeviceId) -> StoreResult<DeviceInfo> {
        self.backend.device(account, id).await?.map(|d| device_info(&d)).ok_or(StoreError::NotFound)
    }

    /// The live device and enabled account a token belongs to (`None` for an unknown or
    /// revoked token, or a disabled account).
    pub async fn device_by_token(
        &self,
        token: &str,
    ) -> StoreResult<Option<(DeviceInfo, AccountInfo)>> {
        if token.is_empty() || token.len() > 128 {
            return Ok(None);
        }
        match self.backend.device_by_token(&crypto::sha256_hex(token.as_bytes())).await? {
            Some((d, a)) if d.revoked_at.is_none() && !a.disabled => {
                Ok(Some((device_info(&d), info(&a))))
            }
            _ => Ok(None),
        }
    }

    pub async fn rename_device(
        &self,
        account: AccountId,
        id: DeviceId,
        name: &str,
    ) -> StoreResult<()> {
        let name = domain::parse_device_name(name).map_err(|m| {
            StoreError::Invalid(domain::ValidationErrors(vec![domain::FieldError::new("name", m)]))
        })?;
        if self.backend.rename_device(account, id, &name).await? {
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Revokes a device: its token stops working at once.
    pub async fn revoke_device(&self, account: AccountId, id: DeviceId) -> StoreResult<()> {
        if self.backend.revoke_device(account, id, now_ms()).await? {
            self.withdraw_access().await?;
            Ok(())
        } else {
            Err(StoreError::NotFound)
        }
    }

    pub async fn record_sync(
        &self,
        id: DeviceId,
        cursor: Option<i64>,
        addr: Option<String>,
        sent: i64,
        received: i64,
    ) -> StoreResult<()> {
        self.backend
            .record_sync(id, &SyncRecord { at: now_ms(), cursor, addr, sent, received })
            .await
    }
}
