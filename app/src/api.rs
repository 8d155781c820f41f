//! Server functions: thin — parse, call the store for the signed-in account, map the error.
//! Every function that touches contacts resolves the account from the session cookie; no
//! function takes an account id from the client.

use domain::{Contact, ContactDraft, ContactSummary};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::*;

/// The signed-in user, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub is_admin: bool,
}

#[cfg(feature = "ssr")]
fn parse_id(raw: &str) -> Result<domain::ContactId, AppError> {
    domain::ContactId::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// Who is signed in (`None` when nobody is).
#[server(prefix = "/rpc", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    match current_account().await {
        Ok(a) => Ok(Some(Me { username: a.username.to_string(), is_admin: a.is_admin })),
        Err(AppError::NotSignedIn) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Signs in: checks the throttle, the password (argon2id), then starts a session.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(username: String, password: String) -> Result<(), AppError> {
    let state = state()?;
    let user = domain::Username::parse(&username).map_err(|_| AppError::BadLogin)?;
    let ip_key = client_ip().map(|ip| ip.to_string()).unwrap_or_else(|| "unknown".into());
    let user_key = user.to_string();
    if let Err(wait) = state.throttle.per_account.check(&user_key).and(state.throttle.per_ip.check(&ip_key)) {
        tracing::warn!(user = %user_key, ip = %ip_key, "sign-in refused: throttled");
        return Err(AppError::Throttled(wait));
    }
    if password.len() > domain::PASSWORD_MAX * 4 {
        return Err(AppError::BadLogin);
    }
    let Some(account) = state.store.verify_login(&user, &password).await.map_err(store_error)? else {
        state.throttle.per_account.fail(&user_key);
        state.throttle.per_ip.fail(&ip_key);
        tracing::info!(user = %user_key, ip = %ip_key, "sign-in failed");
        return Err(AppError::BadLogin);
    };
    state.throttle.per_account.clear(&user_key);
    let session = state.store.create_session(account.id, state.session_ttl).await.map_err(store_error)?;
    set_session_cookie(&session.token, state.session_ttl.num_seconds(), state.secure_cookies);
    tracing::info!(user = %user_key, "signed in");
    leptos_axum::redirect("/");
    Ok(())
}

/// Signs out: ends the session on the server and clears the cookie.
#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let state = state()?;
    if let Some(token) = session_token() {
        state.store.delete_session(&token).await.map_err(store_error)?;
    }
    clear_session_cookie();
    leptos_axum::redirect("/login");
    Ok(())
}

/// The signed-in account's contacts, sorted by name.
#[server(prefix = "/rpc", endpoint = "list_contacts")]
pub async fn list_contacts() -> Result<Vec<ContactSummary>, AppError> {
    let account = current_account().await?;
    let contacts = state()?.store.list_contacts(account.id).await.map_err(store_error)?;
    Ok(contacts.iter().map(ContactSummary::from).collect())
}

/// One contact of the signed-in account.
#[server(prefix = "/rpc", endpoint = "get_contact")]
pub async fn get_contact(id: String) -> Result<Contact, AppError> {
    let account = current_account().await?;
    state()?.store.get_contact(account.id, parse_id(&id)?).await.map_err(store_error)
}

/// Creates (no `id`) or updates (`id` and the `revision` the form was opened at) a contact,
/// then sends the browser to it.
#[server(prefix = "/rpc", endpoint = "save_contact")]
pub async fn save_contact(id: Option<String>, revision: Option<i64>, contact: ContactDraft) -> Result<String, AppError> {
    let account = current_account().await?;
    let data = contact.parse().map_err(|e| AppError::Invalid(e.0))?;
    let store = state()?.store;
    let saved = match id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => store.create_contact(account.id, None, &data, domain::Origin::Console).await,
        Some(raw) => {
            let revision = revision.ok_or_else(|| AppError::BadRequest("The form is missing the revision.".into()))?;
            store.update_contact(account.id, parse_id(raw)?, revision, &data, domain::Origin::Console).await
        }
    }
    .map_err(store_error)?;
    let id = saved.id.to_string();
    leptos_axum::redirect(&format!("/contacts/{id}"));
    Ok(id)
}

/// Deletes a contact (a tombstone stays for device sync), then returns to the list.
#[server(prefix = "/rpc", endpoint = "delete_contact")]
pub async fn delete_contact(id: String, revision: i64) -> Result<(), AppError> {
    let account = current_account().await?;
    state()?.store.delete_contact(account.id, parse_id(&id)?, revision, domain::Origin::Console).await.map_err(store_error)?;
    leptos_axum::redirect("/");
    Ok(())
}

/// A device just created: its token is shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewDevice {
    pub device: domain::DeviceInfo,
    pub token: String,
}

#[cfg(feature = "ssr")]
fn parse_device_id(raw: &str) -> Result<domain::DeviceId, AppError> {
    domain::DeviceId::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// The signed-in account's devices.
#[server(prefix = "/rpc", endpoint = "list_devices")]
pub async fn list_devices() -> Result<Vec<domain::DeviceInfo>, AppError> {
    let account = current_account().await?;
    state()?.store.devices(account.id).await.map_err(store_error)
}

/// Registers a device and returns its token (shown once; stored only hashed).
#[server(prefix = "/rpc", endpoint = "create_device")]
pub async fn create_device(name: String, kind: String) -> Result<NewDevice, AppError> {
    let account = current_account().await?;
    let kind = domain::DeviceKind::parse(&kind).map_err(|m| AppError::Invalid(vec![domain::FieldError::new("kind", m)]))?;
    let (device, token) = state()?.store.create_device(account.id, &name, kind).await.map_err(store_error)?;
    Ok(NewDevice { device, token })
}

#[server(prefix = "/rpc", endpoint = "rename_device")]
pub async fn rename_device(id: String, name: String) -> Result<(), AppError> {
    let account = current_account().await?;
    state()?.store.rename_device(account.id, parse_device_id(&id)?, &name).await.map_err(store_error)
}

/// Revokes a device: its token stops working at once.
#[server(prefix = "/rpc", endpoint = "revoke_device")]
pub async fn revoke_device(id: String) -> Result<(), AppError> {
    let account = current_account().await?;
    state()?.store.revoke_device(account.id, parse_device_id(&id)?).await.map_err(store_error)
}

/// One entry of a contact's history, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub revision: i64,
    pub changed_at: chrono::DateTime<chrono::Utc>,
    /// "Console", "Command line", or the device's name.
    pub by: String,
    pub deleted: bool,
    /// Top-level fields that differ from the previous revision.
    pub changed: Vec<String>,
}

/// A contact's history, newest first, naming the device (or the console) behind each change.
#[server(prefix = "/rpc", endpoint = "contact_history")]
pub async fn contact_history(id: String) -> Result<Vec<HistoryItem>, AppError> {
    let account = current_account().await?;
    let store = state()?.store;
    let history = store.history(account.id, parse_id(&id)?).await.map_err(store_error)?;
    if history.is_empty() {
        return Err(AppError::NotFound);
    }
    let devices = store.devices(account.id).await.map_err(store_error)?;
    let fields = |d: &Option<domain::ContactData>| -> serde_json::Map<String, serde_json::Value> {
        match d.as_ref().map(serde_json::to_value) {
            Some(Ok(serde_json::Value::Object(m))) => m,
            _ => serde_json::Map::new(),
        }
    };
    let mut items = Vec::with_capacity(history.len());
    for (i, e) in history.iter().enumerate() {
        let by = match e.origin {
            domain::Origin::Console => "Console".to_string(),
            domain::Origin::Cli => "Command line".to_string(),
            domain::Origin::Device(d) => devices
                .iter()
                .find(|x| x.id == d)
                .map(|x| format!("{} ({})", x.name, x.kind.as_str()))
                .unwrap_or_else(|| "a removed device".into()),
        };
        let now = fields(&e.data);
        let changed = match history.get(i + 1) {
            Some(prev) if e.data.is_some() && prev.data.is_some() => {
                let before = fields(&prev.data);
                let mut keys: Vec<String> = now.keys().chain(before.keys()).filter(|k| now.get(*k) != before.get(*k)).cloned().collect();
                keys.sort();
                keys.dedup();
                keys
            }
            _ => Vec::new(),
        };
        items.push(HistoryItem { revision: e.revision, changed_at: e.changed_at, by, deleted: e.data.is_none(), changed });
    }
    Ok(items)
}

#[cfg(feature = "ssr")]
fn parse_group_id(raw: &str) -> Result<domain::GroupId, AppError> {
    domain::GroupId::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// The signed-in account's groups, by name.
#[server(prefix = "/rpc", endpoint = "list_groups")]
pub async fn list_groups() -> Result<Vec<domain::Group>, AppError> {
    let account = current_account().await?;
    state()?.store.list_groups(account.id).await.map_err(store_error)
}

#[server(prefix = "/rpc", endpoint = "create_group")]
pub async fn create_group(name: String) -> Result<domain::Group, AppError> {
    let account = current_account().await?;
    state()?.store.create_group(account.id, &name, domain::Origin::Console).await.map_err(store_error)
}

#[server(prefix = "/rpc", endpoint = "rename_group")]
pub async fn rename_group(id: String, revision: i64, name: String) -> Result<domain::Group, AppError> {
    let account = current_account().await?;
    state()?.store.rename_group(account.id, parse_group_id(&id)?, revision, &name, domain::Origin::Console).await.map_err(store_error)
}

/// Deletes a group; its contacts stay (they leave the group). Returns to all contacts.
#[server(prefix = "/rpc", endpoint = "delete_group")]
pub async fn delete_group(id: String, revision: i64) -> Result<usize, AppError> {
    let account = current_account().await?;
    let n = state()?.store.delete_group(account.id, parse_group_id(&id)?, revision, domain::Origin::Console).await.map_err(store_error)?;
    leptos_axum::redirect("/");
    Ok(n)
}

/// Adds contacts to a group (`member = true`) or removes them from it.
#[server(prefix = "/rpc", endpoint = "set_membership")]
pub async fn set_membership(group: String, contacts: Vec<String>, member: bool) -> Result<usize, AppError> {
    let account = current_account().await?;
    let ids = contacts.iter().map(|c| parse_id(c)).collect::<Result<Vec<_>, _>>()?;
    state()?.store.set_membership(account.id, parse_group_id(&group)?, &ids, member, domain::Origin::Console).await.map_err(store_error)
}

// ---------------------------------------------------------------------------------------------
// Own account and administration
// ---------------------------------------------------------------------------------------------

/// The signed-in account, if it is an administrator.
#[cfg(feature = "ssr")]
async fn admin() -> Result<domain::AccountInfo, AppError> {
    let account = current_account().await?;
    if account.is_admin {
        Ok(account)
    } else {
        Err(AppError::Forbidden)
    }
}

#[cfg(feature = "ssr")]
fn field_error(field: &str, message: impl Into<String>) -> AppError {
    AppError::Invalid(vec![domain::FieldError::new(field, message)])
}

/// Changes the signed-in account's password (the current one is checked); other sessions end,
/// this one is renewed.
#[server(prefix = "/rpc", endpoint = "change_password")]
pub async fn change_password(current: String, new: String, repeat: String) -> Result<(), AppError> {
    let account = current_account().await?;
    let state = state()?;
    if state.store.verify_login(&account.username, &current).await.map_err(store_error)?.is_none() {
        return Err(field_error("current", "That is not your current password."));
    }
    if new != repeat {
        return Err(field_error("repeat", "The two new passwords differ."));
    }
    domain::check_new_password(&new).map_err(|m| field_error("new", m))?;
    state.store.set_password(account.id, &new).await.map_err(store_error)?;
    let session = state.store.create_session(account.id, state.session_ttl).await.map_err(store_error)?;
    set_session_cookie(&session.token, state.session_ttl.num_seconds(), state.secure_cookies);
    Ok(())
}

/// The signed-in account's sessions.
#[server(prefix = "/rpc", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<domain::SessionInfo>, AppError> {
    let account = current_account().await?;
    state()?.store.sessions(account.id, session_token().as_deref()).await.map_err(store_error)
}

/// Signs out one of the signed-in account's sessions.
#[server(prefix = "/rpc", endpoint = "end_session")]
pub async fn end_session(id: String) -> Result<(), AppError> {
    let account = current_account().await?;
    state()?.store.end_session(account.id, &id).await.map_err(store_error)
}

/// Every account with its figures (administrators only; never the contacts).
#[server(prefix = "/rpc", endpoint = "admin_accounts")]
pub async fn admin_accounts() -> Result<Vec<domain::AccountOverview>, AppError> {
    admin().await?;
    state()?.store.account_overview().await.map_err(store_error)
}

#[server(prefix = "/rpc", endpoint = "admin_create_account")]
pub async fn admin_create_account(username: String, password: String, is_admin: Option<String>) -> Result<(), AppError> {
    admin().await?;
    let user = domain::Username::parse(&username).map_err(|m| field_error("username", m))?;
    state()?.store.create_account(&user, &password, is_admin.is_some()).await.map_err(store_error)?;
    Ok(())
}

#[cfg(feature = "ssr")]
fn parse_account_id(raw: &str) -> Result<domain::AccountId, AppError> {
    domain::AccountId::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// Disables or enables an account (not one's own).
#[server(prefix = "/rpc", endpoint = "admin_set_disabled")]
pub async fn admin_set_disabled(id: String, disabled: bool) -> Result<(), AppError> {
    let me = admin().await?;
    let id = parse_account_id(&id)?;
    if id == me.id {
        return Err(AppError::Conflict("You cannot disable your own account.".into()));
    }
    state()?.store.set_disabled(id, disabled).await.map_err(store_error)
}

/// Sets a new password for an account (its sessions end).
#[server(prefix = "/rpc", endpoint = "admin_reset_password")]
pub async fn admin_reset_password(id: String, password: String) -> Result<(), AppError> {
    admin().await?;
    state()?.store.set_password(parse_account_id(&id)?, &password).await.map_err(store_error)
}

/// Makes an account an administrator or not (not one's own).
#[server(prefix = "/rpc", endpoint = "admin_set_admin")]
pub async fn admin_set_admin(id: String, is_admin: bool) -> Result<(), AppError> {
    let me = admin().await?;
    let id = parse_account_id(&id)?;
    if id == me.id {
        return Err(AppError::Conflict("You cannot change your own administrator rights.".into()));
    }
    state()?.store.set_admin(id, is_admin).await.map_err(store_error)
}

/// Deletes the given contacts (each leaves a tombstone for sync); returns how many were deleted.
#[server(prefix = "/rpc", endpoint = "delete_contacts")]
pub async fn delete_contacts(ids: Vec<String>) -> Result<usize, AppError> {
    let account = current_account().await?;
    let store = state()?.store;
    let mut deleted = 0;
    for raw in ids {
        let id = parse_id(&raw)?;
        match store.get_contact(account.id, id).await {
            Ok(c) => {
                store.delete_contact(account.id, id, c.revision, domain::Origin::Console).await.map_err(store_error)?;
                deleted += 1;
            }
            Err(store::StoreError::NotFound) => {}
            Err(e) => return Err(store_error(e)),
        }
    }
    Ok(deleted)
}

/// Restores an old revision of a contact as a new revision (nothing of the history is lost).
#[server(prefix = "/rpc", endpoint = "restore_revision")]
pub async fn restore_revision(id: String, revision: i64) -> Result<(), AppError> {
    let account = current_account().await?;
    let store = state()?.store;
    let id = parse_id(&id)?;
    let Some(Some(old)) = store.revision_data(account.id, id, revision).await.map_err(store_error)? else {
        return Err(AppError::NotFound);
    };
    // Groups deleted since then are left out.
    let live: Vec<domain::GroupId> = store.list_groups(account.id).await.map_err(store_error)?.into_iter().map(|g| g.id).collect();
    let mut data = old;
    data.groups.retain(|g| live.contains(g));
    match store.contact_state(account.id, id).await.map_err(store_error)? {
        Some(current) => {
            store.put_contact(account.id, id, Some(current.revision), &data, domain::Origin::Console).await.map_err(store_error)?;
        }
        None => return Err(AppError::NotFound),
    }
    leptos_axum::redirect(&format!("/contacts/{id}"));
    Ok(())
}
