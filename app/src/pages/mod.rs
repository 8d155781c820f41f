//! The console's pages.

mod account;
pub(crate) mod books;
mod contact_form;
mod devices;
mod duplicates;
mod import;
mod list;
mod post_form;
mod trash;
mod undo;

use crate::PageTitle;
use domain::{Contact, Group};
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_params_map;

use crate::api::{
    contact_history, list_groups, whoami, DeleteContact, DeleteGroup, HistoryItem, Login,
    LoginCode, LoginStep, Logout, RenameGroup, RestoreRevision,
};
use crate::error::AppError;
use crate::i18n::{lang, t, tr, Lang};
use crate::offline::OfflineStatus;
pub use account::{AccountPage, AdminPage};
pub use books::BooksPage;
pub use contact_form::ContactForm;
pub use devices::DevicesPage;
pub use duplicates::DuplicatesPage;
pub use import::ImportPage;
pub use list::ContactList;
pub use post_form::{Fields, PostForm};
pub use trash::TrashPage;
pub use undo::UndoPage;

fn loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">{t("Loading…")}</p> }
}

/// Waits for `fut` and shows its view (in place of `Suspend::new`). Every waiting view of the
/// console is then one `Suspend<AnyView>`: the suspense machinery (subscribing, hydrating,
/// rebuilding) is in the WASM once instead of once per view type.
pub(crate) fn waiting<V>(
    fut: impl std::future::Future<Output = V> + Send + 'static,
) -> Suspend<AnyView>
where
    V: IntoView + 'static,
{
    Suspend::new(async move { fut.await.into_any() })
}

/// The language menu: the choice is stored in this browser and in the account, then the page
/// reloads in it.
#[component]
pub fn LanguagePicker() -> impl IntoView {
    let current = lang();
    let choose = move |ev: leptos::ev::Event| {
        let Some(chosen) = Lang::parse(&event_target_value(&ev)) else {
            return;
        };
        // The choice is applied in the browser (the server never sees this event).
        #[cfg(feature = "hydrate")]
        if chosen != current {
            crate::i18n_client::choose(chosen);
            leptos::task::spawn_local(async move {
                let _ = crate::api::set_language(chosen.code().to_string()).await;
                let _ = window().location().reload();
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (chosen, current);
    };
    view! {
        <select class="lang" aria-label=tr(current, "Language") on:change=choose>
            <option value="en" selected=current == Lang::En>"English"</option>
            <option value="zh" selected=current == Lang::Zh>"简体中文"</option>
        </select>
    }
}

fn error_view(e: AppError) -> impl IntoView {
    let signed_out = e == AppError::NotSignedIn;
    view! {
        <div class="error" role="alert">
            <p>{e.to_string()}</p>
            {signed_out.then(|| view! { <a href="/login">"Sign in"</a> })}
        </div>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <PageTitle text="Not found · Rolo"/>
        <main class="content">
            <h1>{t("Page not found")}</h1>
            <p><a href="/">{t("Back to your contacts")}</a></p>
        </main>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let code = ServerAction::<LoginCode>::new();
    let l = lang();
    // Signed out: the pages this browser kept for offline reading go (changes made offline stay
    // until the account signs in again and they are sent, or it signs out).
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| crate::offline::client::forget_pages());
    // The second step: after a password the server sent the browser here with `?step=code`
    // (without JavaScript), or the answer says so.
    let query = leptos_router::hooks::use_query_map();
    let second_step = move || {
        query.read().get("step").as_deref() == Some("code")
            || matches!(login.value().get(), Some(Ok(LoginStep::SecondFactor)))
    };
    // After signing in, load the console afresh: the account may have chosen another language
    // than this page was rendered in.
    Effect::watch(
        move || (login.value().get(), code.value().get()),
        move |(l, c), _, _| {
            if matches!(l, Some(Ok(LoginStep::Done))) || matches!(c, Some(Ok(()))) {
                let _ = window().location().set_href("/");
            }
        },
        false,
    );
    let error = move || login.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    let code_error = move || code.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <PageTitle text=format!("{} · Rolo", t("Sign in"))/>
        <main class="login-page">
            <h1 class="brand">"Rolo"</h1>
            <p class="tagline">{t("Your address book, on every device.")}</p>
            <Show
                when=second_step
                fallback=move || view! {
                    <ActionForm action=login attr:class="card login-form" attr:aria-label=t("Sign in")>
                        <label for="username">{t("Username")}</label>
                        <input id="username" name="username" autocomplete="username" required autofocus/>
                        <label for="password">{t("Password")}</label>
                        <input id="password" name="password" type="password" autocomplete="current-password" required/>
                        {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                        <button type="submit" class="primary" disabled=move || login.pending().get()>
                            {move || if login.pending().get() { tr(l, "Signing in…") } else { tr(l, "Sign in") }}
                        </button>
                    </ActionForm>
                }
            >
                <ActionForm action=code attr:class="card login-form" attr:aria-label=t("Two-step sign-in")>
                    <label for="code">{t("Code from your authenticator app")}</label>
                    <input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required autofocus/>
                    <p class="meta">{t("Lost your phone? Type one of your recovery codes instead.")}</p>
                    {move || code_error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                    <button type="submit" class="primary" disabled=move || code.pending().get()>{t("Sign in")}</button>
                </ActionForm>
            </Show>
            <LanguagePicker/>
        </main>
    }
}

/// Everything behind sign-in: the top bar and the page. Redirects to /login when signed out.
///
/// The page (`Outlet`) is not inside the top bar's Suspense: if it were, it would be rendered
/// twice on the server (before and after `whoami` resolves) and hydration would not match.
#[component]
pub fn Protected() -> impl IntoView {
    let me = Resource::new(|| (), |_| whoami());
    let logout = ServerAction::<Logout>::new();
    let location = leptos_router::hooks::use_location();
    let l = lang();
    // On a phone-sized screen the navigation folds behind a Menu button; it folds again on
    // every navigation. (Wider screens show it in the top bar; the button is hidden there.)
    let menu_open = RwSignal::new(false);
    Effect::new(move |_| {
        location.pathname.track();
        menu_open.set(false);
    });
    // Offline use starts once the account is known (in the browser only).
    #[cfg(feature = "hydrate")]
    {
        let offline = crate::offline::offline();
        Effect::new(move |_| {
            if let Some(Ok(Some(me))) = me.get() {
                let book = me.book.as_ref().map(|b| *b.id.as_uuid());
                crate::offline::client::start(offline, me.username.clone(), book);
            }
        });
    }
    view! {
        <Suspense fallback=|| view! { <header class="topbar"><span class="brand">"Rolo"</span></header> }>
            {move || waiting(async move {
                match me.await {
                    // Until it sets up the second factor administrators require, an account
                    // has the Account page only.
                    Ok(Some(me)) if me.must_enrol && location.pathname.get_untracked() != "/account" => {
                        EitherOf3::B(Either::Right(view! { <Redirect path="/account"/> }))
                    }
                    Ok(Some(me)) => EitherOf3::A(view! {
                        <header class="topbar" class:read-only=me.read_only>
                            <A href="/" attr:class="brand">"Rolo"</A>
                            {book_switcher(&me, l)}
                            <button
                                type="button"
                                class="menu-button"
                                aria-controls="main-menu"
                                aria-expanded=move || menu_open.get().to_string()
                                on:click=move |_| menu_open.update(|o| *o = !*o)
                            >
                                {tr(l, "Menu")}
                            </button>
                            <div
                                id="main-menu"
                                class="topbar-menu"
                                class:open=move || menu_open.get()
                                on:click=move |ev| {
                                    // A link followed from the menu folds it.
                                    use leptos::wasm_bindgen::JsCast;
                                    let link = ev
                                        .target()
                                        .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
                                        .and_then(|el| el.closest("a").ok().flatten());
                                    if link.is_some() {
                                        menu_open.set(false);
                                    }
                                }
                            >
                            <nav aria-label=tr(l, "Main")>
                                <A href="/">{tr(l, "Contacts")}</A>
                                <A href="/books">{tr(l, "Address books")}</A>
                                <A href="/import">{tr(l, "Import")}</A>
                                <A href="/devices">{tr(l, "Devices")}</A>
                                <A href="/trash">{tr(l, "Trash")}</A>
                                <A href="/account">{tr(l, "Account")}</A>
                                {me.is_admin.then(|| view! { <A href="/admin">{tr(l, "Admin")}</A> })}
                            </nav>
                            <LanguagePicker/>
                            <span class="who" title=tr(l, "Signed in as")>{me.username.clone()}</span>
                            <PostForm action=logout args=|_| Logout {} attr:class="inline sign-out">
                                <button type="submit" class="link">{tr(l, "Sign out")}</button>
                            </PostForm>
                            </div>
                        </header>
                    }),
                    Ok(None) => EitherOf3::B(Either::Left(view! { <Redirect path="/login"/> })),
                    Err(e) => EitherOf3::C(error_view(e)),
                }
            })}
        </Suspense>
        <main class="content">
            <OfflineStatus/>
            <Outlet/>
        </main>
    }
}

/// The address book the console shows, and the others the account may open.
fn book_switcher(me: &crate::api::Me, l: Lang) -> impl IntoView {
    let books = me.books.clone();
    let current = me.book.clone();
    (books.len() > 1).then(|| {
        view! {
            <select
                class="book-switcher"
                aria-label=tr(l, "Address book")
                on:change=move |ev| books::open_book(event_target_value(&ev))
            >
                {books
                    .into_iter()
                    .map(|b| {
                        let selected = Some(b.id) == current.as_ref().map(|c| c.id);
                        let label = match b.access {
                            domain::Access::Owner => b.name.clone(),
                            _ => format!("{} ({})", b.name, books::access_label(&b)),
                        };
                        view! { <option value=b.id.to_string() selected=selected>{label}</option> }
                    })
                    .collect_view()}
            </select>
        }
    })
}

fn group_header(
    g: Group,
    rename: ServerAction<RenameGroup>,
    confirming: RwSignal<Option<Group>>,
) -> impl IntoView {
    let error = move || {
        rename
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.field("name").unwrap_or_else(|| e.to_string()))
    };
    let for_delete = g.clone();
    view! {
        <div class="group-header card">
            <h2>{t("Group: ")} {g.name.clone()}</h2>
            <PostForm action=rename args=rename_args attr:class="inline rename" attr:aria-label=t("Rename group")>
                <input type="hidden" name="id" value=g.id.to_string()/>
                <input type="hidden" name="revision" value=g.revision.to_string()/>
                <input name="name" value=g.name.clone() aria-label=t("Group name") maxlength="100" required/>
                <button type="submit">{t("Rename")}</button>
            </PostForm>
            <button type="button" class="danger" on:click=move |_| confirming.set(Some(for_delete.clone()))>{t("Delete group…")}</button>
            <p class="error" role="alert">{error}</p>
        </div>
    }
}

#[component]
fn DeleteGroupForm(group: Group, delete: ServerAction<DeleteGroup>) -> impl IntoView {
    let error = move || delete.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <PostForm action=delete args=delete_args attr:class="inline">
            <input type="hidden" name="id" value=group.id.to_string()/>
            <input type="hidden" name="revision" value=group.revision.to_string()/>
            <p class="error" role="alert">{error}</p>
            <button type="submit" class="danger" autofocus>{t("Delete group")}</button>
        </PostForm>
    }
}

fn rename_args(f: &Fields) -> RenameGroup {
    RenameGroup {
        id: f.get("id"),
        revision: f.get("revision").parse().unwrap_or(-1),
        name: f.get("name"),
    }
}

fn delete_args(f: &Fields) -> DeleteGroup {
    DeleteGroup { id: f.get("id"), revision: f.get("revision").parse().unwrap_or(-1) }
}

/// The contact the page's address names, as this browser has it (with a change made offline).
fn use_contact() -> Resource<Result<Contact, AppError>> {
    let params = use_params_map();
    #[cfg(feature = "hydrate")]
    crate::offline::client::keep_answer(crate::api::get_contact(
        params.read_untracked().get("id").unwrap_or_default(),
    ));
    Resource::new(move || params.read().get("id").unwrap_or_default(), crate::offline::contact_here)
}

fn labeled_list<T: Clone + Send + Sync + 'static>(
    title: &'static str,
    items: Vec<(String, T)>,
    show: impl Fn(T) -> AnyView + Send + Sync + Copy + 'static,
) -> impl IntoView {
    (!items.is_empty()).then(|| {
        view! {
            <section class="field-group">
                <h2>{title}</h2>
                <dl>
                    {items
                        .into_iter()
                        .map(|(label, value)| view! { <dt>{label}</dt><dd>{show(value)}</dd> })
                        .collect_view()}
                </dl>
            </section>
        }
    })
}

#[component]
pub fn ContactDetail() -> impl IntoView {
    let contact = use_contact();
    let confirming = RwSignal::new(false);
    let restore = ServerAction::<RestoreRevision>::new();
    // Every resource of the page is made here, before the Suspense: one made inside it (in the
    // view its Suspend builds) would be made again each time the server walks the view, a
    // different number of times on each request, and the browser, which takes the server's data
    // in the order resources are made, would read another one's answer and fail to hydrate.
    let params = use_params_map();
    let history =
        Resource::new(move || params.read().get("id").unwrap_or_default(), contact_history);
    let groups = Resource::new(|| (), |_| list_groups());
    Effect::watch(
        move || restore.version().get(),
        move |_, _, _| {
            contact.refetch();
            history.refetch();
        },
        false,
    );
    view! {
        <Suspense fallback=loading>
            {move || waiting(async move {
                let c = contact.await;
                let h = history.await;
                let g = groups.await.unwrap_or_default();
                match c {
                    Ok(c) => Either::Left(contact_card(c, h, &g, confirming, restore)),
                    Err(e) => Either::Right(error_view(e)),
                }
            })}
        </Suspense>
    }
}

/// A contact's photo on its page, or its initials on its colour.
pub(crate) fn portrait(c: &Contact) -> impl IntoView {
    match &c.data.photo {
        Some(_) => Either::Left(view! {
            <img
                class="portrait"
                src=format!("/console/photos/current/{}/{}/full", c.id, c.revision)
                alt=match lang() {
                    Lang::Zh => format!("{} 的照片", c.data.display_name),
                    Lang::En => format!("Photo of {}", c.data.display_name),
                }
                width="96"
                height="96"
            />
        }),
        None => {
            let class = format!("portrait initials c{}", views::avatar_colour(&c.id));
            Either::Right(
                view! { <span class=class aria-hidden="true" data-initials=views::initials(&c.data.display_name)></span> },
            )
        }
    }
}

/// A contact's fields as its page shows them (and the pane beside the list): about, phones,
/// emails, addresses, notes, other fields and groups.
/// A website as a link: `href` is always http(s) ([`domain::Website::href`]), and the link
/// passes on no referrer, no opener and no endorsement.
fn website_link((href, text): (String, String)) -> AnyView {
    let safe = href.get(..7).is_some_and(|h| h.eq_ignore_ascii_case("http://"))
        || href.get(..8).is_some_and(|h| h.eq_ignore_ascii_case("https://"));
    if safe {
        view! { <a href=href rel="noopener noreferrer nofollow" target="_blank">{text}</a> }
            .into_any()
    } else {
        text.into_any()
    }
}

/// `groups` are the book's (for the names of the contact's).
pub(crate) fn contact_fields(d: &domain::ContactData, groups: &[Group]) -> impl IntoView {
    let d = d.clone();
    let l = lang();
    let phones: Vec<(String, String)> = d
        .phones
        .iter()
        .map(|p| (crate::i18n::label_text(l, &p.label, p.pref), p.value.as_str().to_string()))
        .collect();
    let emails: Vec<(String, String)> = d
        .emails
        .iter()
        .map(|e| (crate::i18n::label_text(l, &e.label, e.pref), e.value.as_str().to_string()))
        .collect();
    let addresses: Vec<(String, String)> = d
        .addresses
        .iter()
        .map(|a| (crate::i18n::label_text(l, &a.label, a.pref), a.value.one_line()))
        .collect();
    let websites: Vec<(String, (String, String))> = d
        .websites
        .iter()
        .map(|w| {
            (
                crate::i18n::label_text(l, &w.label, w.pref),
                (w.value.href(), w.value.as_str().into()),
            )
        })
        .collect();
    let ims: Vec<(String, String)> = d
        .ims
        .iter()
        .map(|m| {
            let label = crate::i18n::label_text(l, &m.label, m.pref);
            (format!("{} · {label}", m.value.service()), m.value.handle().to_string())
        })
        .collect();
    let related: Vec<(String, String)> = d
        .related
        .iter()
        .map(|r| (crate::i18n::label_text(l, &r.label, r.pref), r.value.clone()))
        .collect();
    let extra: Vec<(String, String)> =
        d.extra.iter().map(|x| (x.name.clone(), x.value.clone())).collect();
    let mut about: Vec<(String, String)> = Vec::new();
    for (k, v) in [
        (t("Family name"), d.name.family.clone()),
        (t("Given name"), d.name.given.clone()),
        (t("Middle name"), d.name.additional.clone()),
        (t("Name prefix"), d.name.prefix.clone()),
        (t("Name suffix"), d.name.suffix.clone()),
        (t("Nickname"), d.nickname.clone()),
        (t("Organization"), d.organization.clone()),
        (t("Department"), d.org_units.join("; ")),
        (t("Title"), d.title.clone()),
        (t("Birthday"), d.birthday.map(|b| crate::i18n::birthday_text(l, b)).unwrap_or_default()),
        (
            t("Anniversary"),
            d.anniversary.map(|b| crate::i18n::birthday_text(l, b)).unwrap_or_default(),
        ),
    ] {
        if !v.is_empty() {
            about.push((k.to_string(), v));
        }
    }
    view! {
        {labeled_list(t("About"), about, |v: String| v.into_any())}
        {labeled_list(t("Phones"), phones, |v: String| view! { <a href=format!("tel:{v}")>{v.clone()}</a> }.into_any())}
        {labeled_list(t("Emails"), emails, |v: String| view! { <a href=format!("mailto:{v}")>{v.clone()}</a> }.into_any())}
        {labeled_list(t("Addresses"), addresses, |v: String| v.into_any())}
        {labeled_list(t("Websites"), websites, website_link)}
        {labeled_list(t("Instant messaging"), ims, |v: String| v.into_any())}
        {labeled_list(t("Related people"), related, |v: String| v.into_any())}
        {(!d.notes.is_empty()).then(|| view! { <section class="field-group"><h2>{t("Notes")}</h2><p class="notes">{d.notes.clone()}</p></section> })}
        {labeled_list(t("Other fields"), extra, |v: String| v.into_any())}
        {(!d.groups.is_empty()).then(|| group_chips(&d.groups, groups))}
    }
}

fn contact_card(
    c: Contact,
    history: Result<Vec<HistoryItem>, AppError>,
    groups: &[Group],
    confirming: RwSignal<bool>,
    restore: ServerAction<RestoreRevision>,
) -> impl IntoView {
    let d = c.data.clone();
    let id = c.id.to_string();
    let title = format!("{} · Rolo", d.display_name);
    let delete_href = format!("/contacts/{id}/delete");
    let revision = c.revision;
    let id_for_dialog = id.clone();
    let name_for_dialog = d.display_name.clone();
    view! {
        <PageTitle text=title/>
        <article class="contact-card" aria-labelledby="contact-name">
            <div class="toolbar">
                {portrait(&c)}
                <h1 id="contact-name">{d.display_name.clone()}</h1>
                <a class="button edit-control" href=format!("/contacts/{id}/edit") data-key="e" aria-keyshortcuts="E">{t("Edit")}</a>
                <a
                    class="button danger edit-control"
                    href=delete_href
                    on:click=move |ev| {
                        ev.prevent_default();
                        confirming.set(true);
                    }
                >
                    {t("Delete…")}
                </a>
            </div>
            {contact_fields(&d, groups)}
            {if revision > 0 {
                Either::Left(view! {
                    <p class="meta">"Revision " {revision}</p>
                    {history_view(id.clone(), revision, history, restore)}
                })
            } else {
                // Made offline: the server has no revision or history of it yet.
                Either::Right(view! { <p class="meta pending-note">{t("Not sent yet: it was saved on this browser while offline.")}</p> })
            }}
        </article>
        <Show when=move || confirming.get()>
            <div class="backdrop">
                <div
                    class="dialog card"
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby="confirm-title"
                    on:keydown=move |ev| {
                        if ev.key() == "Escape" {
                            confirming.set(false);
                        }
                    }
                >
                    <h2 id="confirm-title">{t("Delete this contact?")}</h2>
                    <p>{t("It goes to the trash, and disappears from your devices at their next sync.")}</p>
                    <DeleteForm id=id_for_dialog.clone() revision=revision name=name_for_dialog.clone()/>
                    <button type="button" on:click=move |_| confirming.set(false)>{t("Cancel")}</button>
                </div>
            </div>
        </Show>
    }
}

fn field_title(key: &str) -> &str {
    match key {
        "name" => "name",
        "display_name" => "display name",
        "phones" => "phones",
        "emails" => "emails",
        "addresses" => "addresses",
        "organization" => "organization",
        "org_units" => "department",
        "title" => "title",
        "birthday" => "birthday",
        "notes" => "notes",
        "extra" => "other fields",
        "nickname" => "nickname",
        "websites" => "websites",
        "ims" => "instant messaging",
        "related" => "related people",
        "anniversary" => "anniversary",
        other => other,
    }
}

/// The names of the groups a contact is in (`groups`: the book's).
fn group_chips(ids: &[domain::GroupId], groups: &[Group]) -> impl IntoView {
    let chips: Vec<(String, String)> = groups
        .iter()
        .filter(|g| ids.contains(&g.id))
        .map(|g| (format!("/?group={}", g.id), g.name.clone()))
        .collect();
    view! {
        <section class="field-group" aria-labelledby="groups-title">
            <h2 id="groups-title">{t("Groups")}</h2>
            <ul class="chips">
                {chips.into_iter().map(|(href, name)| view! { <li><a href=href>{name}</a></li> }).collect_view()}
            </ul>
        </section>
    }
}

/// Who changed the contact, when, and what (`history`: read by the page, with the contact).
fn history_view(
    id: String,
    revision: i64,
    history: Result<Vec<HistoryItem>, AppError>,
    restore: ServerAction<RestoreRevision>,
) -> impl IntoView {
    let list = match history {
        Ok(items) => Either::Left(view! {
            <ol class="history-list">
                {items.into_iter().map(|h| {
                    let what = if h.deleted {
                        "deleted".to_string()
                    } else if h.changed.is_empty() {
                        if h.revision == 1 { "created".into() } else { "saved".into() }
                    } else {
                        format!("changed {}", h.changed.iter().map(|k| field_title(k)).collect::<Vec<_>>().join(", "))
                    };
                    let restorable = h.revision != revision && !h.deleted;
                    let rev = h.revision;
                    let id = id.clone();
                    view! {
                        <li>
                            <span class="rev">{format!("Revision {}", h.revision)}</span>
                            " · " {h.changed_at.format("%Y-%m-%d %H:%M UTC").to_string()}
                            " · " <span class="by">{h.by}</span>
                            " · " {what}
                            {restorable.then(|| view! {
                                <ActionForm action=restore attr:class="inline edit-control">
                                    <input type="hidden" name="id" value=id/>
                                    <input type="hidden" name="revision" value=rev.to_string()/>
                                    <button type="submit" class="link" aria-label=format!("Restore revision {rev}")>"Restore"</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
        }),
        Err(e) => Either::Right(error_view(e)),
    };
    view! {
        <section class="field-group history" aria-labelledby="history-title">
            <h2 id="history-title">{t("History")}</h2>
            {list}
        </section>
    }
}

#[component]
fn DeleteForm(id: String, revision: i64, name: String) -> impl IntoView {
    let delete = ServerAction::<DeleteContact>::new();
    let error = move || delete.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    // Offline (and offline use on), the deletion is queued in this browser instead of sent.
    let form_ref = NodeRef::<leptos::html::Form>::new();
    #[cfg(feature = "hydrate")]
    {
        let navigate = leptos_router::hooks::use_navigate();
        if let Ok(target) = domain::ContactId::parse(&id) {
            crate::offline::client::when_offline(form_ref, move |_| {
                let o = crate::offline::offline();
                crate::offline::enqueue(crate::offline::Pending {
                    item: sync_proto::UploadItem {
                        kind: sync_proto::EntityKind::Contact,
                        id: *target.as_uuid(),
                        op: sync_proto::Op::Delete,
                        book: o.book.get_untracked(),
                        base_revision: Some(revision).filter(|r| *r > 0),
                        data: None,
                    },
                    name: name.clone(),
                    new: false,
                    problem: None,
                });
                navigate("/", Default::default());
            });
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = name;
    view! {
        <ActionForm action=delete node_ref=form_ref attr:class="inline">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="revision" value=revision.to_string()/>
            {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <button type="submit" class="danger" autofocus>{t("Delete contact")}</button>
        </ActionForm>
    }
}

/// The confirmation page used without JavaScript.
#[component]
pub fn DeletePage() -> impl IntoView {
    let contact = use_contact();
    view! {
        <Suspense fallback=loading>
            {move || waiting(async move {
                match contact.await {
                    Ok(c) => Either::Left(view! {
                        <PageTitle text="Delete contact · Rolo"/>
                        <h1>"Delete " {c.data.display_name.clone()} "?"</h1>
                        <p>"It disappears from all your devices at their next sync."</p>
                        <DeleteForm id=c.id.to_string() revision=c.revision name=c.data.display_name.clone()/>
                        <a href=format!("/contacts/{}", c.id)>"Cancel"</a>
                    }),
                    Err(e) => Either::Right(error_view(e)),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn NewContact() -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_groups());
    view! {
        <PageTitle text="New contact · Rolo"/>
        <h1>"New contact"</h1>
        <Suspense fallback=loading>
            {move || waiting(async move {
                let groups = groups.await.unwrap_or_default();
                view! { <ContactForm groups/> }
            })}
        </Suspense>
    }
}

#[component]
pub fn EditContact() -> impl IntoView {
    let contact = use_contact();
    let groups = Resource::new(|| (), |_| list_groups());
    view! {
        <Suspense fallback=loading>
            {move || waiting(async move {
                let found = contact.await;
                let groups = groups.await.unwrap_or_default();
                match found {
                    Ok(c) => Either::Left(view! {
                        <PageTitle text=format!("Edit {} · Rolo", c.data.display_name)/>
                        <h1>"Edit " {c.data.display_name.clone()}</h1>
                        <ContactForm existing=c groups/>
                    }),
                    Err(e) => Either::Right(error_view(e)),
                }
            })}
        </Suspense>
    }
}

/// The console's pages other than the contact list, in four parts of the WASM that the browser
/// loads when one of their pages is first shown (scripts/assets.sh cuts them out): what most
/// sessions never use stays out of what every page load needs.
pub mod lazy {
    use leptos::lazy;
    use leptos::prelude::*;
    use leptos_router::LazyRoute;

    /// The pages of one part, as the part's entry point is told which to show.
    #[derive(Clone, Copy)]
    #[repr(u8)]
    pub enum Page {
        Login,
        ContactDetail,
        NewContact,
        EditContact,
        Delete,
        Account,
        Admin,
        Books,
        Devices,
        Import,
        Duplicates,
        Trash,
        Undo,
    }

    /// Signing in: a visitor who is not signed in needs nothing else.
    #[lazy]
    fn sign_in_part(_page: Page) -> AnyView {
        super::LoginPage().into_any()
    }

    /// A contact: its page, the form that adds or edits one, the confirmation of a deletion.
    #[lazy]
    fn contact_part(page: Page) -> AnyView {
        match page {
            Page::NewContact => super::NewContact().into_any(),
            Page::EditContact => super::EditContact().into_any(),
            Page::Delete => super::DeletePage().into_any(),
            _ => super::ContactDetail().into_any(),
        }
    }

    /// The account, the administration of accounts, address books and sharing, devices.
    #[lazy]
    fn settings_part(page: Page) -> AnyView {
        match page {
            Page::Admin => super::AdminPage().into_any(),
            Page::Books => super::BooksPage().into_any(),
            Page::Devices => super::DevicesPage().into_any(),
            _ => super::AccountPage().into_any(),
        }
    }

    /// Work on the whole address book: import, duplicates, the trash, undo.
    #[lazy]
    fn book_tools_part(page: Page) -> AnyView {
        match page {
            Page::Duplicates => super::DuplicatesPage().into_any(),
            Page::Trash => super::TrashPage().into_any(),
            Page::Undo => super::UndoPage().into_any(),
            _ => super::ImportPage().into_any(),
        }
    }

    /// The routes whose pages are in one part of the WASM loaded on demand. The router awaits a
    /// route's `preload` before it hydrates or shows the page (`#[lazy]` makes the part's
    /// `__preload_<part>` in the browser), so the page's view is then made at once, as on the
    /// server.
    macro_rules! lazy_routes {
        ($($part:ident, $preload:ident: { $($route:ident => $page:ident,)* })*) => {$($(
            pub struct $route;
            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }
                async fn view(_this: Self) -> AnyView {
                    $part(Page::$page).await
                }
                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )*)*};
    }

    lazy_routes! {
        sign_in_part, __preload_sign_in_part: {
            LoginRoute => Login,
        }
        contact_part, __preload_contact_part: {
            ContactDetailRoute => ContactDetail,
            NewContactRoute => NewContact,
            EditContactRoute => EditContact,
            DeleteRoute => Delete,
        }
        settings_part, __preload_settings_part: {
            AccountRoute => Account,
            AdminRoute => Admin,
            BooksRoute => Books,
            DevicesRoute => Devices,
        }
        book_tools_part, __preload_book_tools_part: {
            ImportRoute => Import,
            DuplicatesRoute => Duplicates,
            TrashRoute => Trash,
            UndoRoute => Undo,
        }
    }
}
