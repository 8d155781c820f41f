//! Server functions: thin — parse, call the store for the signed-in account, map the error.
//! Every function that touches contacts resolves the account from the session cookie; no
//! function takes an account id from the client.

use domain::{Contact, ContactDraft};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use views::ContactSummary;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::ssr::*;

/// The signed-in user, as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub is_admin: bool,
    /// The books it may open, and the one the console shows (none while it must enrol).
    pub books: Vec<domain::BookInfo>,
    pub book: Option<domain::BookInfo>,
    /// The book shown is read-only for it: no edit controls.
    pub read_only: bool,
    /// Administrators require a second factor this account has not set up: only the Account
    /// page works until it has.
    pub must_enrol: bool,
}

#[cfg(feature = "ssr")]
fn parse_id(raw: &str) -> Result<domain::ContactId, AppError> {
    domain::ContactId::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// Who is signed in (`None` when nobody is).
#[server(prefix = "/rpc", endpoint = "whoami", output = crate::wire::TextJson)]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    match enrolling_account().await {
        Ok(a) => {
            let must_enrol = matches!(current_account().await, Err(AppError::SecondFactorRequired));
            let (books, book) = if must_enrol {
                (Vec::new(), None)
            } else {
                let b = crate::books_api::my_books().await?;
                (b.books, Some(b.current))
            };
            let read_only = book.as_ref().is_some_and(|b| !b.access.can_write());
            Ok(Some(Me {
                username: a.username.to_string(),
                is_admin: a.is_admin,
                books,
                book,
                read_only,
                must_enrol,
            }))
        }
        Err(AppError::NotSignedIn) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What a sign-in needs next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoginStep {
    /// Signed in.
    Done,
    /// The password was right; the account's second factor is asked next.
    SecondFactor,
}

/// Signs in: counts the attempt (before the password is checked), checks the password
/// (argon2id), then starts a session, or asks for the second factor.
#[server(prefix = "/rpc", endpoint = "login", output = crate::wire::TextJson)]
pub async fn login(username: String, password: String) -> Result<LoginStep, AppError> {
    let state = state()?;
    let user = domain::Username::parse(&username).map_err(|_| AppError::BadLogin)?;
    if password.len() > domain::PASSWORD_MAX * 4 {
        return Err(AppError::BadLogin);
    }
    let attempt = begin_attempt(&user, store::Secret::Password).await?;
    let Some(account) = state.store.verify_login(&user, &password).await.map_err(store_error)?
    else {
        tracing::info!(user = %user, ip = %client_key(), "sign-in failed");
        metrics::counter!("rolo_sign_ins_total", "result" => "failed").increment(1);
        return Err(AppError::BadLogin);
    };
    state.store.attempt_succeeded(attempt).await.map_err(store_error)?;
    if matches!(
        state.store.second_factor_state(account.id).await.map_err(store_error)?,
        store::SecondFactorState::On { .. }
    ) {
        let pending = state.store.create_pending_signin(account.id).await.map_err(store_error)?;
        set_pending_cookie(&pending.token, store::PENDING_MINUTES * 60, state.secure_cookies);
        tracing::info!(user = %user, "password accepted; second factor asked");
        leptos_axum::redirect("/login?step=code");
        return Ok(LoginStep::SecondFactor);
    }
    start_session(&state, &account).await?;
    leptos_axum::redirect("/");
    Ok(LoginStep::Done)
}

/// The second step of a sign-in: a code from the authenticator app, or a recovery code.
#[server(prefix = "/rpc", endpoint = "login_code", output = crate::wire::TextJson)]
pub async fn login_code(code: String) -> Result<(), AppError> {
    let state = state()?;
    let token = pending_token().ok_or(AppError::NotSignedIn)?;
    let account = state
        .store
        .pending_signin_account(&token)
        .await
        .map_err(store_error)?
        .ok_or(AppError::NotSignedIn)?;
    if code.len() > 64 {
        return Err(AppError::BadCode);
    }
    let attempt = begin_attempt(&account.username, store::Secret::SecondFactor).await?;
    if !state.store.check_second_factor(account.id, &code).await.map_err(store_error)? {
        tracing::info!(user = %account.username, ip = %client_key(), "second factor failed");
        metrics::counter!("rolo_sign_ins_total", "result" => "failed").increment(1);
        return Err(AppError::BadCode);
    }
    state.store.attempt_succeeded(attempt).await.map_err(store_error)?;
    state.store.end_pending_signin(&token).await.map_err(store_error)?;
    set_pending_cookie("", 0, false);
    start_session(&state, &account).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(feature = "ssr")]
async fn start_session(state: &AppState, account: &domain::AccountInfo) -> Result<(), AppError> {
    let session =
        state.store.create_session(account.id, state.session_ttl).await.map_err(store_error)?;
    metrics::counter!("rolo_sign_ins_total", "result" => "ok").increment(1);
    set_session_cookie(&session.token, state.session_ttl.num_seconds(), state.secure_cookies);
    if let Some(lang) = account.lang.as_deref().and_then(crate::i18n::Lang::parse) {
        set_lang_cookie(lang);
    }
    // Load the account's contact index while the browser follows the redirect.
    let directory = state.directory.clone();
    let id = account.id;
    tokio::spawn(async move {
        if let Err(e) = directory.warm(id).await {
            tracing::warn!(error = %e, "could not load the contact index");
        }
    });
    tracing::info!(user = %account.username, "signed in");
    Ok(())
}

/// Signs out: ends the session on the server and clears the cookie.
#[server(prefix = "/rpc", endpoint = "logout", output = crate::wire::TextJson)]
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
#[server(prefix = "/rpc", endpoint = "list_contacts", output = crate::wire::TextJson)]
pub async fn list_contacts() -> Result<Vec<ContactSummary>, AppError> {
    let (_, book) = current_book().await?;
    let contacts = state()?.store.list_contacts(book).await.map_err(store_error)?;
    Ok(contacts.iter().map(ContactSummary::from).collect())
}

/// One contact of the signed-in account.
#[server(prefix = "/rpc", endpoint = "get_contact", output = crate::wire::TextJson)]
pub async fn get_contact(id: String) -> Result<Contact, AppError> {
    let (_, book) = current_book().await?;
    state()?.store.get_contact(book, parse_id(&id)?).await.map_err(store_error)
}

/// Creates (no `id`) or updates (`id` and the `revision` the form was opened at) a contact,
/// then sends the browser to it.
#[server(prefix = "/rpc", endpoint = "save_contact", output = crate::wire::TextJson)]
pub async fn save_contact(
    id: Option<String>,
    revision: Option<i64>,
    contact: ContactDraft,
) -> Result<String, AppError> {
    let (_, book) = current_book().await?;
    let mut data = contact.parse().map_err(|e| AppError::Invalid(e.0))?;
    let store = state()?.store;
    let existing = id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let (Some(raw), true) = (existing, contact.photo.trim() == domain::PHOTO_KEEP) {
        // The form keeps the photo the contact has without carrying it.
        data.photo = store.get_contact(book, parse_id(raw)?).await.map_err(store_error)?.data.photo;
    }
    let id = match id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => {
            store
                .create_contact(book, None, &data, domain::Origin::Console)
                .await
                .map_err(store_error)?
                .id
        }
        Some(raw) => {
            let revision = revision
                .ok_or_else(|| AppError::BadRequest("The form is missing the revision.".into()))?;
            let id = parse_id(raw)?;
            store
                .update_contact(book, id, revision, &data, domain::Origin::Console)
                .await
                .map_err(store_error)?;
            id
        }
    }
    .to_string();
    leptos_axum::redirect(&format!("/contacts/{id}"));
    Ok(id)
}

/// Deletes a contact (a tombstone stays for device sync), then returns to the list.
#[server(prefix = "/rpc", endpoint = "delete_contact", output = crate::wire::TextJson)]
pub async fn delete_contact(id: String, revision: i64) -> Result<(), AppError> {
    let (_, book) = current_book().await?;
    state()?
        .store
        .delete_contact(book, parse_id(&id)?, revision, domain::Origin::Console)
        .await
        .map_err(store_error)?;
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
#[server(prefix = "/rpc", endpoint = "list_devices", output = crate::wire::TextJson)]
pub async fn list_devices() -> Result<Vec<domain::DeviceInfo>, AppError> {
    let account = current_account().await?;
    state()?.store.devices(account.id).await.map_err(store_error)
}

/// Registers a device and returns its token (shown once; stored only hashed).
#[server(prefix = "/rpc", endpoint = "create_device", output = crate::wire::TextJson)]
pub async fn create_device(name: String, kind: String) -> Result<NewDevice, AppError> {
    let account = current_account().await?;
    let kind = domain::DeviceKind::parse(&kind)
        .map_err(|m| AppError::Invalid(vec![domain::FieldError::new("kind", m)]))?;
    let (device, token) =
        state()?.store.create_device(account.id, &name, kind).await.map_err(store_error)?;
    Ok(NewDevice { device, token })
}

#[server(prefix = "/rpc", endpoint = "rename_device", output = crate::wire::TextJson)]
pub async fn rename_device(id: String, name: String) -> Result<(), AppError> {
    let account = current_account().await?;
    state()?
        .store
        .rename_device(account.id, parse_device_id(&id)?, &name)
        .await
        .map_err(store_error)
}

/// Revokes a device: its token stops working at once.
#[server(prefix = "/rpc", endpoint = "revoke_device", output = crate::wire::TextJson)]
pub async fn revoke_device(id: String) -> Result<(), AppError> {
    let account = current_account().await?;
    state()?.store.revoke_device(account.id, parse_device_id(&id)?).await.map_err(store_error)
}

/// Registers this browser as a device of the signed-in account (kind `browser`), to send the
/// changes made in it offline through the sync API; returns its id. It signs in with the
/// console's session, never a token: the token made with it is not kept anywhere.
#[server(prefix = "/rpc", endpoint = "browser_device", output = crate::wire::TextJson)]
pub async fn browser_device() -> Result<String, AppError> {
    let account = current_account().await?;
    let (device, _token) = state()?
        .store
        .create_device(account.id, "Web browser (offline changes)", domain::DeviceKind::Browser)
        .await
        .map_err(store_error)?;
    Ok(device.id.to_string())
}

/// One entry of a contact's history, as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub revision: i64,
    pub changed_at: chrono::DateTime<chrono::Utc>,
    /// "Console", "Command line", or the device's name; in a shared book led by the username
    /// of the account that made the change, when it is not the one looking.
    pub by: String,
    pub deleted: bool,
    /// Top-level fields that differ from the previous revision.
    pub changed: Vec<String>,
}

/// A contact's history, newest first, naming the device (or the console) behind each change.
#[server(prefix = "/rpc", endpoint = "contact_history", output = crate::wire::TextJson)]
pub async fn contact_history(id: String) -> Result<Vec<HistoryItem>, AppError> {
    let (account, book) = current_book().await?;
    let store = state()?.store;
    let history = store.history(book, parse_id(&id)?).await.map_err(store_error)?;
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
        let other = e.actor.filter(|a| *a != account.id);
        let what = match e.origin {
            domain::Origin::Console => "Console".to_string(),
            domain::Origin::Cli => "Command line".to_string(),
            domain::Origin::Undo(at) => {
                format!("Undo changes (back to {})", at.format("%Y-%m-%d %H:%M:%S UTC"))
            }
            domain::Origin::Device(_) if other.is_some() => "a device".to_string(),
            domain::Origin::Device(d) => devices
                .iter()
                .find(|x| x.id == d)
                .map(|x| format!("{} ({})", x.name, x.kind.as_str()))
                .unwrap_or_else(|| "a removed device".into()),
        };
        // In a shared book, who made the change.
        let by = match (other, &e.actor_name) {
            (Some(_), Some(name)) => format!("{name} · {what}"),
            (Some(_), None) => format!("a removed account · {what}"),
            _ => what,
        };
        let now = fields(&e.data);
        let changed = match history.get(i + 1) {
            Some(prev) if e.data.is_some() && prev.data.is_some() => {
                let before = fields(&prev.data);
                let mut keys: Vec<String> = now
                    .keys()
                    .chain(before.keys())
                    // The card is how the fields are written, not a field of its own.
                    .filter(|k| *k != "card" && now.get(*k) != before.get(*k))
                    .cloned()
                    .collect();
                keys.sort();
                keys.dedup();
                keys
            }
            _ => Vec::new(),
        };
        items.push(HistoryItem {
            revision: e.revision,
            changed_at: e.changed_at,
            by,
            deleted: e.data.is_none(),
            changed,
        });
    }
    Ok(items)
}

#[cfg(feature = "ssr")]
fn parse_group_id(raw: &str) -> Result<domain::GroupId, AppError> {
    domain::GroupId::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// The signed-in account's groups, by name.
#[server(prefix = "/rpc", endpoint = "list_groups", output = crate::wire::TextJson)]
pub async fn list_groups() -> Result<Vec<domain::Group>, AppError> {
    let (_, book) = current_book().await?;
    state()?.store.list_groups(book).await.map_err(store_error)
}

#[server(prefix = "/rpc", endpoint = "create_group", output = crate::wire::TextJson)]
pub async fn create_group(name: String) -> Result<domain::Group, AppError> {
    let (_, book) = current_book().await?;
    state()?.store.create_group(book, &name, domain::Origin::Console).await.map_err(store_error)
}

#[server(prefix = "/rpc", endpoint = "rename_group", output = crate::wire::TextJson)]
pub async fn rename_group(
    id: String,
    revision: i64,
    name: String,
) -> Result<domain::Group, AppError> {
    let (_, book) = current_book().await?;
    state()?
        .store
        .rename_group(book, parse_group_id(&id)?, revision, &name, domain::Origin::Console)
        .await
        .map_err(store_error)
}

/// Deletes a group; its contacts stay (they leave the group). Returns to all contacts.
#[server(prefix = "/rpc", endpoint = "delete_group", output = crate::wire::TextJson)]
pub async fn delete_group(id: String, revision: i64) -> Result<usize, AppError> {
    let (_, book) = current_book().await?;
    let n = state()?
        .store
        .delete_group(book, parse_group_id(&id)?, revision, domain::Origin::Console)
        .await
        .map_err(store_error)?;
    leptos_axum::redirect("/");
    Ok(n)
}

/// Adds the selected contacts to a group (`member = true`) or removes them from it.
#[server(prefix = "/rpc", endpoint = "set_membership", output = crate::wire::TextJson)]
pub async fn set_membership(
    group: String,
    selection: Selection,
    member: bool,
) -> Result<usize, AppError> {
    let (_, book) = current_book().await?;
    let ids = resolve(book, &selection).await?;
    state()?
        .store
        .set_membership(book, parse_group_id(&group)?, &ids, member, domain::Origin::Console)
        .await
        .map_err(store_error)
}

/// What the list's bulk actions apply to: the ticked contacts, or every contact matching the
/// search (and group) — all pages of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Selection {
    pub ids: Vec<String>,
    pub all: bool,
    pub q: String,
    pub group: Option<String>,
}

#[cfg(feature = "ssr")]
pub(crate) async fn resolve(
    account: store::Scope,
    sel: &Selection,
) -> Result<Vec<domain::ContactId>, AppError> {
    if sel.all {
        let group =
            sel.group.as_deref().filter(|g| !g.is_empty()).map(parse_group_id).transpose()?;
        state()?.directory.matching(account, &sel.q, group).await.map_err(store_error)
    } else {
        if sel.ids.len() > 100_000 {
            return Err(AppError::BadRequest("Too many contacts in one request.".into()));
        }
        sel.ids.iter().map(|c| parse_id(c)).collect()
    }
}

/// One page of the signed-in account's contacts: searched (name with pinyin, phone in any
/// format, email, organization, notes), filtered by group and sorted on the server.
#[server(prefix = "/rpc", endpoint = "contact_page", output = crate::wire::TextJson)]
pub async fn contact_page(
    q: String,
    group: Option<String>,
    sort: String,
    offset: usize,
) -> Result<views::ContactPage, AppError> {
    let (_, book) = current_book().await?;
    if q.len() > 200 {
        return Err(AppError::BadRequest("The search is too long.".into()));
    }
    let group = group.as_deref().filter(|g| !g.is_empty()).map(parse_group_id).transpose()?;
    let query = directory::ListQuery {
        q,
        group,
        sort: views::ListSort::parse(&sort),
        offset,
        limit: PAGE_SIZE,
    };
    let mut page = state()?.directory.page(book, &query).await.map_err(store_error)?;
    page.book = Some(book.book());
    Ok(page)
}

/// Contacts per list page.
pub const PAGE_SIZE: usize = 100;

/// The trash and how long it keeps things.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrashView {
    pub days: i64,
    pub items: Vec<views::TrashedContact>,
}

#[server(prefix = "/rpc", endpoint = "trash", output = crate::wire::TextJson)]
pub async fn trash() -> Result<TrashView, AppError> {
    let (_, book) = current_book().await?;
    let state = state()?;
    let retention = state.trash_retention;
    let items = state
        .store
        .trash(book)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|t| views::TrashedContact {
            id: t.id,
            display_name: t.data.display_name.clone(),
            phone: t.data.phones.first().map(|p| p.value.as_str().to_string()),
            email: t.data.emails.first().map(|e| e.value.as_str().to_string()),
            deleted_at: t.deleted_at,
            deleted_by: t.deleted_by.to_db(),
            purge_at: t.deleted_at + retention,
        })
        .collect();
    Ok(TrashView { days: state.trash_retention.num_days(), items })
}

/// Brings contacts back from the trash; returns how many.
#[server(prefix = "/rpc", endpoint = "restore_from_trash", output = crate::wire::TextJson)]
pub async fn restore_from_trash(ids: Vec<String>) -> Result<usize, AppError> {
    let (_, book) = current_book().await?;
    let ids = ids.iter().map(|c| parse_id(c)).collect::<Result<Vec<_>, _>>()?;
    state()?
        .store
        .restore_from_trash(book, &ids, domain::Origin::Console)
        .await
        .map_err(store_error)
}

/// Erases everything in the trash for good.
#[server(prefix = "/rpc", endpoint = "empty_trash", output = crate::wire::TextJson)]
pub async fn empty_trash() -> Result<u64, AppError> {
    let (_, book) = current_book().await?;
    state()?.store.empty_trash(book).await.map_err(store_error)
}

/// The time an undo goes back to, from the browser's milliseconds since the epoch.
#[cfg(feature = "ssr")]
fn undo_time(at_ms: i64) -> Result<chrono::DateTime<chrono::Utc>, AppError> {
    chrono::DateTime::from_timestamp_millis(at_ms).ok_or_else(|| {
        AppError::Invalid(vec![domain::FieldError::new("at", "Choose a date and time.")])
    })
}

#[cfg(feature = "ssr")]
fn undo_group(group: &str) -> Result<Option<domain::GroupId>, AppError> {
    match group.trim() {
        "" => Ok(None),
        g => domain::GroupId::parse(g).map(Some).map_err(|e| AppError::BadRequest(e.to_string())),
    }
}

/// "Undo changes": what undoing the book's (or a group's, by id; empty for the whole book)
/// changes since `at_ms` would restore, change back and remove.
#[server(prefix = "/rpc", endpoint = "undo_preview", output = crate::wire::TextJson)]
pub async fn undo_preview(at_ms: i64, group: String) -> Result<views::UndoPreview, AppError> {
    let (_, book) = current_book().await?;
    let plan = state()?
        .store
        .restore_plan(book, undo_time(at_ms)?, undo_group(&group)?)
        .await
        .map_err(store_error)?;
    let list = |items: Vec<store::UndoItem>| -> Vec<views::UndoContact> {
        items
            .into_iter()
            .map(|i| views::UndoContact {
                id: i.id,
                name: i.name,
                name_now: i.name_now,
                revision: i.revision,
            })
            .collect()
    };
    Ok(views::UndoPreview {
        at: plan.at,
        group: plan.group,
        restored: list(plan.restored),
        changed_back: list(plan.changed_back),
        removed: list(plan.removed),
        unknown: plan.unknown,
    })
}

/// Applies a previewed undo: `expected` is every contact of the preview as `id:revision`; if
/// any moved since, nothing is written and the error says to preview again.
#[server(prefix = "/rpc", endpoint = "undo_apply", output = crate::wire::TextJson)]
pub async fn undo_apply(
    at_ms: i64,
    group: String,
    expected: Vec<String>,
) -> Result<views::UndoDone, AppError> {
    let (_, book) = current_book().await?;
    let expected = expected
        .iter()
        .map(|e| {
            let (id, rev) = e.split_once(':').ok_or_else(|| {
                AppError::BadRequest("The preview sent back is not understood.".into())
            })?;
            let rev = rev.parse::<i64>().map_err(|_| {
                AppError::BadRequest("The preview sent back is not understood.".into())
            })?;
            Ok((parse_id(id)?, rev))
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    let done = state()?
        .store
        .restore_to(book, undo_time(at_ms)?, undo_group(&group)?, &expected)
        .await
        .map_err(store_error)?;
    Ok(views::UndoDone {
        restored: done.restored,
        changed_back: done.changed_back,
        removed: done.removed,
    })
}

/// Sets of contacts that may be the same person.
#[server(prefix = "/rpc", endpoint = "duplicates", output = crate::wire::TextJson)]
pub async fn duplicates() -> Result<Vec<views::DuplicateSet>, AppError> {
    let (_, book) = current_book().await?;
    state()?.directory.duplicates(book).await.map_err(store_error)
}

/// The full contacts of a possible-duplicate set, for the merge dialog.
#[server(prefix = "/rpc", endpoint = "contacts_by_ids", output = crate::wire::TextJson)]
pub async fn contacts_by_ids(ids: Vec<String>) -> Result<Vec<Contact>, AppError> {
    let (_, book) = current_book().await?;
    if ids.len() > 50 {
        return Err(AppError::BadRequest("Merge at most 50 contacts at once.".into()));
    }
    let store = state()?.store;
    let mut out = Vec::new();
    for raw in ids {
        out.push(store.get_contact(book, parse_id(&raw)?).await.map_err(store_error)?);
    }
    Ok(out)
}

/// Merges contacts into the first: the picked value of each field, every phone, email,
/// address, other field and group of all of them. The others go to the trash. Each contact
/// must still be at the revision the dialog showed.
#[server(prefix = "/rpc", endpoint = "merge_contacts", input = leptos::server_fn::codec::Json, output = crate::wire::TextJson)]
pub async fn merge_contacts(
    ids: Vec<String>,
    revisions: Vec<i64>,
    picks: domain::merge::MergePicks,
) -> Result<String, AppError> {
    let (_, book) = current_book().await?;
    if ids.len() < 2 || ids.len() != revisions.len() || ids.len() > 50 {
        return Err(AppError::BadRequest("Pick at least two contacts to merge.".into()));
    }
    let store = state()?.store;
    let mut contacts = Vec::new();
    for (raw, rev) in ids.iter().zip(&revisions) {
        let c = store.get_contact(book, parse_id(raw)?).await.map_err(store_error)?;
        if c.revision != *rev {
            return Err(store_error(store::StoreError::Stale { current: c.revision }));
        }
        contacts.push(c);
    }
    let data: Vec<domain::ContactData> = contacts.iter().map(|c| c.data.clone()).collect();
    let merged = domain::merge::merge(&data, &picks);
    let keep = &contacts[0];
    store
        .update_contact(book, keep.id, keep.revision, &merged, domain::Origin::Console)
        .await
        .map_err(store_error)?;
    for c in &contacts[1..] {
        store
            .delete_contact(book, c.id, c.revision, domain::Origin::Console)
            .await
            .map_err(store_error)?;
    }
    Ok(keep.id.to_string())
}

/// Remembers the console language in the account and in the browser's cookie.
#[server(prefix = "/rpc", endpoint = "set_language", output = crate::wire::TextJson)]
pub async fn set_language(lang: String) -> Result<(), AppError> {
    let lang = crate::i18n::Lang::parse(&lang)
        .ok_or_else(|| AppError::BadRequest("Unknown language.".into()))?;
    set_lang_cookie(lang);
    if let Ok(account) = current_account().await {
        state()?.store.set_lang(account.id, Some(lang.code())).await.map_err(store_error)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Own account and administration
// ---------------------------------------------------------------------------------------------

/// The signed-in account, if it is an administrator.
#[cfg(feature = "ssr")]
pub(crate) async fn admin() -> Result<domain::AccountInfo, AppError> {
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
#[server(prefix = "/rpc", endpoint = "change_password", output = crate::wire::TextJson)]
pub async fn change_password(current: String, new: String, repeat: String) -> Result<(), AppError> {
    let account = current_account().await?;
    let state = state()?;
    // Guesses count as sign-in attempts do: a stolen session cannot try passwords freely.
    let attempt = begin_attempt(&account.username, store::Secret::Password).await?;
    if state.store.verify_login(&account.username, &current).await.map_err(store_error)?.is_none() {
        return Err(field_error("current", "That is not your current password."));
    }
    state.store.attempt_succeeded(attempt).await.map_err(store_error)?;
    if new != repeat {
        return Err(field_error("repeat", "The two new passwords differ."));
    }
    domain::check_new_password(&new).map_err(|m| field_error("new", m))?;
    state.store.set_password(account.id, &new).await.map_err(store_error)?;
    let session =
        state.store.create_session(account.id, state.session_ttl).await.map_err(store_error)?;
    set_session_cookie(&session.token, state.session_ttl.num_seconds(), state.secure_cookies);
    Ok(())
}

/// The signed-in account's sessions.
#[server(prefix = "/rpc", endpoint = "my_sessions", output = crate::wire::TextJson)]
pub async fn my_sessions() -> Result<Vec<views::SessionInfo>, AppError> {
    let account = current_account().await?;
    let sessions = state()?
        .store
        .sessions(account.id, session_token().as_deref())
        .await
        .map_err(store_error)?;
    Ok(sessions
        .into_iter()
        .map(|s| views::SessionInfo {
            id: s.id,
            created_at: s.created_at,
            expires_at: s.expires_at,
            current: s.current,
        })
        .collect())
}

/// Signs out one of the signed-in account's sessions.
#[server(prefix = "/rpc", endpoint = "end_session", output = crate::wire::TextJson)]
pub async fn end_session(id: String) -> Result<(), AppError> {
    let account = current_account().await?;
    state()?.store.end_session(account.id, &id).await.map_err(store_error)
}

/// The Account page's view of two-step sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondFactorView {
    /// "off", "enrolling" or "on".
    pub state: String,
    pub recovery_codes_left: usize,
    /// Administrators require it for every account.
    pub required: bool,
}

/// What the Account page shows to set up two-step sign-in: a QR code (an SVG image as a
/// `data:` address) of the `otpauth://` address, and the secret to type in instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentView {
    pub secret: String,
    pub qr: String,
}

#[server(prefix = "/rpc", endpoint = "second_factor", output = crate::wire::TextJson)]
pub async fn second_factor() -> Result<SecondFactorView, AppError> {
    let account = enrolling_account().await?;
    let store = state()?.store;
    let (state_name, left) =
        match store.second_factor_state(account.id).await.map_err(store_error)? {
            store::SecondFactorState::Off => ("off", 0),
            store::SecondFactorState::Enrolling => ("enrolling", 0),
            store::SecondFactorState::On { recovery_codes_left } => ("on", recovery_codes_left),
        };
    Ok(SecondFactorView {
        state: state_name.into(),
        recovery_codes_left: left,
        required: store.second_factor_required().await.map_err(store_error)?,
    })
}

/// Starts setting up two-step sign-in: a new secret, shown as a QR code.
#[server(prefix = "/rpc", endpoint = "begin_second_factor", output = crate::wire::TextJson)]
pub async fn begin_second_factor() -> Result<EnrolmentView, AppError> {
    let account = enrolling_account().await?;
    let e = state()?.store.begin_second_factor(account.id).await.map_err(store_error)?;
    Ok(EnrolmentView { qr: crate::ssr::qr_data_uri(&e.otpauth_url)?, secret: e.secret })
}

/// Confirms the set-up with a code from the app; returns the recovery codes (shown once).
#[server(prefix = "/rpc", endpoint = "confirm_second_factor", output = crate::wire::TextJson)]
pub async fn confirm_second_factor(code: String) -> Result<Vec<String>, AppError> {
    let account = enrolling_account().await?;
    let _attempt = begin_attempt(&account.username, store::Secret::SecondFactor).await?;
    state()?.store.confirm_second_factor(account.id, &code).await.map_err(store_error)
}

/// Turns two-step sign-in off; the password is asked again. Refused while administrators
/// require it.
#[server(prefix = "/rpc", endpoint = "disable_second_factor", output = crate::wire::TextJson)]
pub async fn disable_second_factor(password: String) -> Result<(), AppError> {
    let account = current_account().await?;
    let state = state()?;
    if state.store.second_factor_required().await.map_err(store_error)? {
        return Err(AppError::Conflict(
            "Your administrator requires two-step sign-in: it cannot be turned off.".into(),
        ));
    }
    let attempt = begin_attempt(&account.username, store::Secret::Password).await?;
    if state.store.verify_login(&account.username, &password).await.map_err(store_error)?.is_none()
    {
        return Err(field_error("password", "That is not your password."));
    }
    state.store.attempt_succeeded(attempt).await.map_err(store_error)?;
    state.store.remove_second_factor(account.id).await.map_err(store_error)?;
    tracing::info!(user = %account.username, "two-step sign-in turned off");
    Ok(())
}

/// Turns an account's two-step sign-in off (it lost its phone and its recovery codes).
#[server(prefix = "/rpc", endpoint = "admin_reset_second_factor", output = crate::wire::TextJson)]
pub async fn admin_reset_second_factor(id: String) -> Result<(), AppError> {
    let me = admin().await?;
    let id = parse_account_id(&id)?;
    state()?.store.remove_second_factor(id).await.map_err(store_error)?;
    tracing::info!(admin = %me.username, account = %id, "two-step sign-in reset by an administrator");
    Ok(())
}

/// Requires (or stops requiring) two-step sign-in for every account.
#[server(prefix = "/rpc", endpoint = "admin_require_second_factor", output = crate::wire::TextJson)]
pub async fn admin_require_second_factor(required: bool) -> Result<(), AppError> {
    let me = admin().await?;
    let store = state()?.store;
    // The administrator would be the first one sent to set it up: set it up first.
    if required
        && !matches!(
            store.second_factor_state(me.id).await.map_err(store_error)?,
            store::SecondFactorState::On { .. }
        )
    {
        return Err(AppError::Conflict(
            "Set up two-step sign-in for your own account first (on your Account page).".into(),
        ));
    }
    store.set_second_factor_required(required).await.map_err(store_error)?;
    tracing::info!(admin = %me.username, required, "two-step sign-in requirement changed");
    Ok(())
}

/// Every account with its figures (administrators only; never the contacts).
#[server(prefix = "/rpc", endpoint = "admin_accounts", output = crate::wire::TextJson)]
pub async fn admin_accounts() -> Result<Vec<views::AccountOverview>, AppError> {
    admin().await?;
    let list = state()?.store.account_overview().await.map_err(store_error)?;
    Ok(list
        .into_iter()
        .map(|o| views::AccountOverview {
            account: o.account,
            contacts: o.contacts,
            last_activity: o.last_activity,
            second_factor: o.second_factor,
        })
        .collect())
}

#[server(prefix = "/rpc", endpoint = "admin_create_account", output = crate::wire::TextJson)]
pub async fn admin_create_account(
    username: String,
    password: String,
    is_admin: Option<String>,
) -> Result<(), AppError> {
    admin().await?;
    let user = domain::Username::parse(&username).map_err(|m| field_error("username", m))?;
    state()?
        .store
        .create_account(&user, &password, is_admin.is_some())
        .await
        .map_err(store_error)?;
    Ok(())
}

#[cfg(feature = "ssr")]
fn parse_account_id(raw: &str) -> Result<domain::AccountId, AppError> {
    domain::AccountId::parse(raw).map_err(|e| AppError::BadRequest(e.to_string()))
}

/// Disables or enables an account (not one's own).
#[server(prefix = "/rpc", endpoint = "admin_set_disabled", output = crate::wire::TextJson)]
pub async fn admin_set_disabled(id: String, disabled: bool) -> Result<(), AppError> {
    let me = admin().await?;
    let id = parse_account_id(&id)?;
    if id == me.id {
        return Err(AppError::Conflict("You cannot disable your own account.".into()));
    }
    state()?.store.set_disabled(id, disabled).await.map_err(store_error)
}

/// Sets a new password for an account (its sessions end).
#[server(prefix = "/rpc", endpoint = "admin_reset_password", output = crate::wire::TextJson)]
pub async fn admin_reset_password(id: String, password: String) -> Result<(), AppError> {
    admin().await?;
    state()?.store.set_password(parse_account_id(&id)?, &password).await.map_err(store_error)
}

/// Makes an account an administrator or not (not one's own).
#[server(prefix = "/rpc", endpoint = "admin_set_admin", output = crate::wire::TextJson)]
pub async fn admin_set_admin(id: String, is_admin: bool) -> Result<(), AppError> {
    let me = admin().await?;
    let id = parse_account_id(&id)?;
    if id == me.id {
        return Err(AppError::Conflict("You cannot change your own administrator rights.".into()));
    }
    state()?.store.set_admin(id, is_admin).await.map_err(store_error)
}

/// Moves the selected contacts to the trash (each leaves a tombstone for sync); returns the
/// ids deleted (for Undo).
#[server(prefix = "/rpc", endpoint = "delete_contacts", output = crate::wire::TextJson)]
pub async fn delete_contacts(selection: Selection) -> Result<Vec<String>, AppError> {
    let (_, book) = current_book().await?;
    let ids = resolve(book, &selection).await?;
    let deleted = state()?
        .store
        .delete_contacts(book, &ids, domain::Origin::Console)
        .await
        .map_err(store_error)?;
    Ok(deleted.iter().map(|i| i.to_string()).collect())
}

/// Restores an old revision of a contact as a new revision (nothing of the history is lost).
#[server(prefix = "/rpc", endpoint = "restore_revision", output = crate::wire::TextJson)]
pub async fn restore_revision(id: String, revision: i64) -> Result<(), AppError> {
    let (_, book) = current_book().await?;
    let store = state()?.store;
    let id = parse_id(&id)?;
    let Some(Some(old)) = store.revision_data(book, id, revision).await.map_err(store_error)?
    else {
        return Err(AppError::NotFound);
    };
    // Groups deleted since then are left out.
    let mut data = old;
    store.drop_deleted_groups(book, &mut data).await.map_err(store_error)?;
    match store.contact_state(book, id).await.map_err(store_error)? {
        Some(current) => {
            store
                .put_contact(book, id, Some(current.revision), &data, domain::Origin::Console)
                .await
                .map_err(store_error)?;
        }
        None => return Err(AppError::NotFound),
    }
    leptos_axum::redirect(&format!("/contacts/{id}"));
    Ok(())
}
