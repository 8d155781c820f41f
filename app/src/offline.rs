//! The console without a connection (docs/offline.md).
//!
//! * A service worker (`/sw.js`) keeps the console's files, the pages the account opens and the
//!   answers that read them, so the list and the contacts already opened stay readable offline.
//! * A contact saved while the browser is offline is queued in this browser's local storage and
//!   sent through the device sync API (`/api/v1/sync/upload`, as this browser's device, with the
//!   API's conflict rules) when the connection returns; the top bar shows how many wait.
//! * What is kept is the signed-in account's own: it is deleted at sign-out, when another account
//!   signs in here, and when offline use is turned off for this browser (Account page).

use serde::{Deserialize, Serialize};
use sync_proto::UploadItem;

use leptos::prelude::*;

/// Local-storage key: `"off"` when offline use is turned off in this browser.
pub const SWITCH_KEY: &str = "rolo.offline";
/// Local-storage key: the account whose data this browser keeps.
pub const ACCOUNT_KEY: &str = "rolo.account";
/// Local-storage key prefix: an account's queued changes (`rolo.pending.<username>`).
pub const PENDING_KEY: &str = "rolo.pending.";
/// Local-storage key prefix: the id of this browser's device for an account.
pub const DEVICE_KEY: &str = "rolo.device.";

/// A change made offline, waiting to be sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pending {
    /// What is sent: the contact's whole data, based on the revision the change started from.
    pub item: UploadItem,
    /// The contact's name when it was changed (for the list of waiting changes).
    pub name: String,
    /// Made offline (not yet on the server).
    pub new: bool,
    /// Why the server refused it, when it did: it stays until it is discarded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
}

impl Pending {
    /// The contact's data as it will be sent. Read back from its JSON text: the console reads
    /// contacts from text everywhere else, so the WASM needs no second reader for them.
    pub fn data(&self) -> Option<domain::ContactData> {
        self.item.data.as_ref().and_then(|d| serde_json::from_str(&d.to_string()).ok())
    }

    /// A deletion (not an edit).
    pub fn deletes(&self) -> bool {
        self.item.op == sync_proto::Op::Delete
    }
}

/// What the console knows of offline use (provided by `App`; filled in only in the browser, after
/// hydration, so the server's page and the hydrated one are the same).
#[derive(Clone, Copy)]
pub struct Offline {
    /// The signed-in account's queued changes.
    pub pending: RwSignal<Vec<Pending>>,
    /// The browser says it is online.
    pub online: RwSignal<bool>,
    /// Offline use is on in this browser (and it can: a service worker needs a secure context).
    pub enabled: RwSignal<bool>,
    /// What the last sending did, for the user.
    pub notice: RwSignal<Option<String>>,
    /// The account signed in (its storage keys), once known.
    pub account: RwSignal<Option<String>>,
    /// The book the console shows: queued changes go to it.
    pub book: RwSignal<Option<uuid::Uuid>>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    sending: RwSignal<bool>,
}

impl Offline {
    pub fn new() -> Self {
        Offline {
            pending: RwSignal::new(Vec::new()),
            online: RwSignal::new(true),
            enabled: RwSignal::new(false),
            notice: RwSignal::new(None),
            account: RwSignal::new(None),
            book: RwSignal::new(None),
            sending: RwSignal::new(false),
        }
    }
}

impl Default for Offline {
    fn default() -> Self {
        Self::new()
    }
}

/// The console's offline state (see [`Offline`]).
pub fn offline() -> Offline {
    use_context::<Offline>().unwrap_or_default()
}

/// A queued change for `id` (to show it in place of the server's copy).
pub fn pending_for(id: domain::ContactId) -> Option<Pending> {
    offline().pending.with_untracked(|p| p.iter().find(|p| p.item.id == *id.as_uuid()).cloned())
}

/// The contact as this browser will have it: the server's copy, with the change queued for it
/// applied; offline, a contact made here exists only in the queue.
pub async fn contact_here(id: String) -> Result<domain::Contact, crate::error::AppError> {
    let fetched = crate::api::get_contact(id.clone()).await;
    let queued = domain::ContactId::parse(&id).ok().and_then(pending_for);
    if queued.as_ref().is_some_and(Pending::deletes) {
        return Err(crate::error::AppError::Conflict(
            crate::i18n::t("This contact was deleted on this browser: the deletion is sent when the connection returns.")
                .into(),
        ));
    }
    match (fetched, queued) {
        (Ok(mut c), Some(p)) => {
            if let Some(data) = p.data() {
                c.data = data;
            }
            Ok(c)
        }
        (Err(e), Some(p)) => match (p.data(), domain::ContactId::parse(&id)) {
            (Some(data), Ok(id)) => {
                #[cfg(feature = "hydrate")]
                let now =
                    chrono::DateTime::from_timestamp_millis(web_sys::js_sys::Date::now() as i64)
                        .unwrap_or_default();
                #[cfg(not(feature = "hydrate"))]
                let now = chrono::DateTime::<chrono::Utc>::default();
                Ok(domain::Contact {
                    id,
                    revision: p.item.base_revision.unwrap_or(0),
                    created_at: now,
                    updated_at: now,
                    data,
                })
            }
            _ => Err(e),
        },
        (fetched, None) => fetched,
    }
}

/// Whether the contact `id` was deleted offline in this browser (the deletion not yet sent).
pub fn deleted_here(id: uuid::Uuid) -> bool {
    offline().pending.with(|p| p.iter().any(|p| p.item.id == id && p.deletes()))
}

/// Adds a change to the queue: a second change of the same contact replaces the first but keeps
/// the revision the first started from (so the server sees every offline edit as one, against
/// the version it was made on). A contact made offline and deleted offline leaves nothing to send.
pub fn enqueue(mut change: Pending) {
    let o = offline();
    o.pending.update(|queue| {
        if let Some(at) = queue.iter().position(|p| p.item.id == change.item.id) {
            let old = &mut queue[at];
            if old.new && change.deletes() {
                queue.remove(at);
                return;
            }
            change.item.base_revision = old.item.base_revision;
            change.new = old.new;
            *old = change;
        } else {
            queue.push(change);
        }
    });
    #[cfg(feature = "hydrate")]
    client::store_queue(o);
}

/// Drops a change the server refused.
pub fn discard(id: uuid::Uuid) {
    let o = offline();
    o.pending.update(|q| q.retain(|p| p.item.id != id));
    #[cfg(feature = "hydrate")]
    client::store_queue(o);
}

/// The top bar's word on offline use: offline, changes waiting (listed, each linked), changes the
/// server refused (with Discard), what the last sending did.
#[component]
pub fn OfflineStatus() -> impl IntoView {
    let o = offline();
    let l = crate::i18n::lang();
    let tr = move |s| crate::i18n::tr(l, s);
    let waiting = move || o.pending.with(|p| p.len());
    let shown = move || !o.online.get() || waiting() > 0 || o.notice.with(Option::is_some);
    view! {
        <Show when=shown>
            <div class="offline-status card" role="status">
                <Show when=move || !o.online.get()>
                    <p class="offline-note"><strong>{tr("You are offline.")}</strong> " " {tr("Contacts you opened stay readable; changes you save are kept on this browser and sent when the connection returns.")}</p>
                </Show>
                <Show when=move || { waiting() > 0 }>
                    <details class="pending">
                        <summary class="pending-count">{move || crate::i18n::count(l, waiting(), "change waiting to be sent", "changes waiting to be sent")}</summary>
                        <ul>
                            {move || o.pending.get().into_iter().map(|p| {
                                let id = p.item.id;
                                let what = if p.deletes() {
                                    tr("deleted")
                                } else if p.new {
                                    tr("new")
                                } else {
                                    tr("changed")
                                };
                                view! {
                                    <li>
                                        <a href=format!("/contacts/{id}")>{p.name.clone()}</a>
                                        " (" {what} ")"
                                        {p.problem.clone().map(|why| view! {
                                            " " <span class="error">{tr("Not accepted:")} " " {why}</span> " "
                                            <button type="button" class="link" on:click=move |_| discard(id)>{tr("Discard")}</button>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    </details>
                </Show>
                {move || o.notice.get().map(|n| view! { <p class="offline-notice">{n}</p> })}
            </div>
        </Show>
    }
}

/// The Account page's switch for offline use in this browser.
#[component]
pub fn OfflineSwitch() -> impl IntoView {
    let o = offline();
    let l = crate::i18n::lang();
    let message = RwSignal::new(None::<&'static str>);
    let toggle = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        #[cfg(feature = "hydrate")]
        match client::set_enabled(o, on) {
            Ok(()) => message.set(None),
            Err(why) => {
                message.set(Some(why));
                if let Some(input) = ev.target().and_then(|t| {
                    wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(t).ok()
                }) {
                    input.set_checked(!on);
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (on, o);
    };
    view! {
        <section class="card offline-switch">
            <h2>{crate::i18n::tr(l, "Offline use")}</h2>
            <p class="meta">{crate::i18n::tr(l, "This browser keeps the pages you open (the list and contacts) so that they stay readable without a connection, and keeps contacts you save while offline until they can be sent. They are deleted when you sign out.")}</p>
            <label>
                <input type="checkbox" id="offline-use" prop:checked=move || o.enabled.get() on:change=toggle/>
                " " {crate::i18n::tr(l, "Keep contacts on this browser for offline use")}
            </label>
            {move || message.get().map(|m| view! { <p class="error" role="alert">{crate::i18n::tr(l, m)}</p> })}
        </section>
    }
}

#[cfg(feature = "hydrate")]
pub mod client {
    //! The browser's side: storage, the service worker, sending the queue.

    use gloo_storage::{LocalStorage, SessionStorage, Storage};
    use leptos::prelude::*;
    use wasm_bindgen::{JsCast, JsValue};
    use wasm_bindgen_futures::JsFuture;

    use super::{Offline, Pending, ACCOUNT_KEY, DEVICE_KEY, PENDING_KEY, SWITCH_KEY};

    /// The header naming this browser's device to the sync API (with the session cookie).
    const BROWSER_DEVICE_HEADER: &str = "X-Rolo-Device";
    /// Session-storage key: what the last sending did, shown again after the page reloads.
    const NOTICE_KEY: &str = "rolo.notice";

    /// Whether the browser says it is online.
    pub fn online() -> bool {
        window().navigator().on_line()
    }

    fn switched_on() -> bool {
        LocalStorage::raw().get_item(SWITCH_KEY).ok().flatten().as_deref() != Some("off")
    }

    fn can_work_offline() -> bool {
        let w = window();
        w.is_secure_context()
            && js_sys_has(&w.navigator(), "serviceWorker")
            && js_sys_has(&w, "caches")
    }

    fn js_sys_has(target: &JsValue, name: &str) -> bool {
        web_sys::js_sys::Reflect::has(target, &JsValue::from_str(name)).unwrap_or(false)
    }

    pub fn store_queue(o: Offline) {
        if let Some(account) = o.account.get_untracked() {
            let key = format!("{PENDING_KEY}{account}");
            let queue = o.pending.get_untracked();
            if queue.is_empty() {
                LocalStorage::delete(&key);
            } else {
                let _ = LocalStorage::set(&key, queue);
            }
        }
    }

    /// Deletes the pages the service worker kept (this account's data).
    pub fn forget_pages() {
        let Ok(caches) = window().caches() else { return };
        let promise = caches.delete("rolo-pages");
        leptos::task::spawn_local(async move {
            let _ = JsFuture::from(promise).await;
        });
    }

    /// Deletes everything kept for `account`: its pages, its queue, its device's id.
    pub fn forget_account(account: &str) {
        forget_pages();
        LocalStorage::delete(format!("{PENDING_KEY}{account}"));
        LocalStorage::delete(format!("{DEVICE_KEY}{account}"));
        LocalStorage::delete(ACCOUNT_KEY);
    }

    /// The console of `account` (signed in) has started in this browser.
    pub fn start(o: Offline, account: String, book: Option<uuid::Uuid>) {
        if o.account.get_untracked().as_deref() == Some(account.as_str()) {
            o.book.set(book);
            return;
        }
        // Another account's pages are not this one's to read.
        let kept: Option<String> = LocalStorage::get(ACCOUNT_KEY).ok();
        if kept.as_deref().is_some_and(|k| k != account) {
            forget_pages();
        }
        let _ = LocalStorage::set(ACCOUNT_KEY, &account);
        let queue: Vec<Pending> =
            LocalStorage::get(format!("{PENDING_KEY}{account}")).unwrap_or_default();
        o.pending.set(queue);
        o.account.set(Some(account));
        o.book.set(book);
        o.online.set(online());
        if let Ok(text) = SessionStorage::get::<String>(NOTICE_KEY) {
            SessionStorage::delete(NOTICE_KEY);
            o.notice.set(Some(text));
        }
        let enabled = switched_on() && can_work_offline();
        o.enabled.set(enabled);
        if enabled {
            register();
        }
        let on = window_event_listener(leptos::ev::online, move |_| {
            o.online.set(true);
            send_soon(o);
        });
        let off = window_event_listener(leptos::ev::offline, move |_| o.online.set(false));
        // The listeners live as long as the page.
        std::mem::forget((on, off));
        send_soon(o);
    }

    fn register() {
        let container = window().navigator().service_worker();
        let promise = container.register("/sw.js");
        leptos::task::spawn_local(async move {
            if let Err(e) = JsFuture::from(promise).await {
                leptos::logging::warn!("offline use: the service worker did not start: {e:?}");
            }
        });
    }

    fn unregister() {
        let container = window().navigator().service_worker();
        let promise = container.get_registrations();
        leptos::task::spawn_local(async move {
            if let Ok(list) = JsFuture::from(promise).await {
                for r in web_sys::js_sys::Array::from(&list).iter() {
                    if let Ok(r) = r.dyn_into::<web_sys::ServiceWorkerRegistration>() {
                        if let Ok(p) = r.unregister() {
                            let _ = JsFuture::from(p).await;
                        }
                    }
                }
            }
        });
    }

    /// Turns offline use on or off in this browser. Off is refused while changes wait (they would
    /// be lost).
    pub fn set_enabled(o: Offline, on: bool) -> Result<(), &'static str> {
        if on {
            if !can_work_offline() {
                return Err("This browser cannot keep pages for offline use here: it needs Rolo served over HTTPS.");
            }
            LocalStorage::delete(SWITCH_KEY);
            o.enabled.set(true);
            register();
        } else {
            if o.pending.with_untracked(|p| !p.is_empty()) {
                return Err("Changes made offline are still waiting to be sent: connect first, or discard them.");
            }
            let _ = LocalStorage::raw().set_item(SWITCH_KEY, "off");
            o.enabled.set(false);
            forget_pages();
            unregister();
        }
        Ok(())
    }

    /// While the page is being hydrated from the server's HTML (whose data needed no request),
    /// asks `read` again so that the service worker keeps its answer too: a later in-page
    /// visit without a connection reads it there.
    pub fn keep_answer<F>(read: F)
    where
        F: std::future::Future + 'static,
    {
        let hydrating =
            document().body().is_some_and(|b| b.get_attribute("data-hydrated").is_none());
        if hydrating && online() && switched_on() && can_work_offline() {
            leptos::task::spawn_local(async move {
                let _ = read.await;
            });
        }
    }

    thread_local! {
        /// The queue `send_queued` sends (a split function takes no console state as argument).
        static SENDING: std::cell::Cell<Option<Offline>> = const { std::cell::Cell::new(None) };
    }

    /// Sends the queue (soon, not inside the caller's reactive update). The code that sends is
    /// a part of the WASM loaded only when there is something to send.
    pub fn send_soon(o: Offline) {
        let nothing = o.pending.with_untracked(|q| q.iter().all(|p| p.problem.is_some()));
        if nothing || o.sending.get_untracked() || !online() {
            return;
        }
        SENDING.with(|s| s.set(Some(o)));
        leptos::task::spawn_local(send_queued());
    }

    #[leptos::lazy]
    async fn send_queued() {
        if let Some(o) = SENDING.with(|s| s.get()) {
            send(o).await;
        }
    }

    async fn send(o: Offline) {
        if o.sending.get_untracked() || !online() {
            return;
        }
        let items: Vec<Pending> =
            o.pending.get_untracked().into_iter().filter(|p| p.problem.is_none()).collect();
        if items.is_empty() {
            return;
        }
        o.sending.set(true);
        let outcome = upload(o, &items).await;
        o.sending.set(false);
        let l = crate::i18n::lang();
        match outcome {
            Ok(results) => {
                let mut sent = 0;
                let mut merged = 0;
                let mut kept = 0;
                let mut done = Vec::new();
                o.pending.update(|queue| {
                    for r in &results {
                        let Some(p) = queue.iter_mut().find(|p| p.item.id == r.id) else {
                            continue;
                        };
                        match r.status {
                            sync_proto::ItemStatus::Rejected => {
                                p.problem = Some(r.reason.clone().unwrap_or_default());
                            }
                            status => {
                                sent += 1;
                                if status == sync_proto::ItemStatus::Conflict {
                                    if p.deletes() {
                                        kept += 1;
                                    } else {
                                        merged += 1;
                                    }
                                }
                                done.push(r.id);
                            }
                        }
                    }
                    queue.retain(|p| !done.contains(&p.item.id));
                });
                store_queue(o);
                let mut text = crate::i18n::count(
                    l,
                    sent,
                    "change made offline was sent.",
                    "changes made offline were sent.",
                );
                if merged > 0 {
                    text.push(' ');
                    text.push_str(crate::i18n::tr(l, "Some had also been changed elsewhere: both changes are kept, and the contact's history shows what was replaced."));
                }
                if kept > 0 {
                    text.push(' ');
                    text.push_str(crate::i18n::tr(l, "A contact deleted offline had been changed elsewhere meanwhile: it was kept, with that change."));
                }
                // The page shows the server's data again, now with the changes (a form being
                // filled in is left alone); the word on what was sent outlives the reload.
                if sent > 0 && !on_a_form() {
                    let _ = SessionStorage::set(NOTICE_KEY, &text);
                    let _ = window().location().reload();
                }
                o.notice.set(Some(text));
            }
            Err(why) => {
                o.notice.set(Some(format!(
                    "{} {why}",
                    crate::i18n::tr(l, "The changes made offline could not be sent yet:")
                )));
            }
        }
    }

    fn on_a_form() -> bool {
        let path = window().location().pathname().unwrap_or_default();
        path.ends_with("/edit") || path.ends_with("/new") || path == "/import" || path == "/account"
    }

    /// This browser's device for the account: the one made before, or a new one.
    async fn device(o: Offline, fresh: bool) -> Result<String, String> {
        let account = o.account.get_untracked().ok_or("not signed in")?;
        let key = format!("{DEVICE_KEY}{account}");
        if !fresh {
            if let Ok(id) = LocalStorage::get::<String>(&key) {
                return Ok(id);
            }
        }
        let id = crate::api::browser_device().await.map_err(|e| e.to_string())?;
        let _ = LocalStorage::set(&key, &id);
        Ok(id)
    }

    async fn upload(o: Offline, items: &[Pending]) -> Result<Vec<sync_proto::ItemResult>, String> {
        let body =
            sync_proto::UploadRequest { changes: items.iter().map(|p| p.item.clone()).collect() };
        let body = serde_json::to_string(&body).map_err(|e| e.to_string())?;
        let mut device_id = device(o, false).await?;
        for attempt in 0..2 {
            let (status, text) = post(&device_id, &body).await?;
            match status {
                200 => {
                    let answer: sync_proto::UploadResponse =
                        serde_json::from_str(&text).map_err(|e| e.to_string())?;
                    return Ok(answer.results);
                }
                // The device was revoked (or the session ended): a new device once.
                401 if attempt == 0 => device_id = device(o, true).await?,
                _ => {
                    let why = serde_json::from_str::<sync_proto::ApiError>(&text)
                        .map(|e| e.message)
                        .unwrap_or(text);
                    return Err(why);
                }
            }
        }
        Err("sign in again".into())
    }

    async fn post(device: &str, body: &str) -> Result<(u16, String), String> {
        let fail = |e: JsValue| e.as_string().unwrap_or_else(|| "the server did not answer".into());
        let headers = web_sys::Headers::new().map_err(fail)?;
        headers.append("Content-Type", "application/json").map_err(fail)?;
        headers.append(BROWSER_DEVICE_HEADER, device).map_err(fail)?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&JsValue::from_str(body));
        init.set_credentials(web_sys::RequestCredentials::SameOrigin);
        let request =
            web_sys::Request::new_with_str_and_init("/api/v1/sync/upload", &init).map_err(fail)?;
        let response = JsFuture::from(window().fetch_with_request(&request)).await.map_err(fail)?;
        let response: web_sys::Response = response.dyn_into().map_err(fail)?;
        let text = JsFuture::from(response.text().map_err(fail)?).await.map_err(fail)?;
        Ok((response.status(), text.as_string().unwrap_or_default()))
    }

    /// Before signing out: changes still waiting are lost with it, so ask first. `false`: stay.
    pub fn sign_out_allowed(o: Offline) -> bool {
        let waiting = o.pending.with_untracked(|p| p.len());
        if waiting > 0 {
            let l = crate::i18n::lang();
            let question = format!(
                "{} {}",
                crate::i18n::count(
                    l,
                    waiting,
                    "change made offline has not been sent yet.",
                    "changes made offline have not been sent yet."
                ),
                crate::i18n::tr(l, "Sign out anyway and discard them?")
            );
            if !window().confirm_with_message(&question).unwrap_or(false) {
                return false;
            }
        }
        if let Some(account) = o.account.get_untracked() {
            forget_account(&account);
        }
        o.pending.set(Vec::new());
        true
    }

    /// While the browser is offline (and offline use is on), a submit of `form` is handed to
    /// `handle` instead of being sent; online, the form submits as usual.
    pub fn when_offline(
        form: NodeRef<leptos::html::Form>,
        handle: impl Fn(&web_sys::Event) + Clone + 'static,
    ) {
        Effect::new(move |_| {
            let Some(form) = form.get() else { return };
            let handle = handle.clone();
            let on_submit = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(
                move |ev: web_sys::Event| {
                    let o = super::offline();
                    if online() || !o.enabled.get_untracked() {
                        return;
                    }
                    ev.prevent_default();
                    ev.stop_immediate_propagation();
                    handle(&ev);
                },
            );
            let _ = form.add_event_listener_with_callback_and_bool(
                "submit",
                on_submit.as_ref().unchecked_ref(),
                true,
            );
            // Lives as long as the form's element.
            on_submit.forget();
        });
    }

    /// A new contact's id, made here.
    pub fn new_id() -> Option<domain::ContactId> {
        let uuid = window().crypto().ok()?.random_uuid();
        domain::ContactId::parse(&uuid).ok()
    }
}
