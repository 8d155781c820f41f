//! The console's pages.

mod account;
mod contact_form;
mod devices;
mod import;

use domain::{Contact, ContactSummary, Group};
use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{
    contact_history, get_contact, list_contacts, list_groups, whoami, CreateGroup, DeleteContact, DeleteContacts, DeleteGroup, Login, Logout,
    RenameGroup, RestoreRevision, SetMembership,
};
use crate::error::AppError;
pub use account::{AccountPage, AdminPage};
pub use contact_form::ContactForm;
pub use devices::DevicesPage;
pub use import::ImportPage;

fn loading() -> impl IntoView {
    view! { <p class="loading" aria-live="polite">"Loading…"</p> }
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
        <Title text="Not found · Rolo"/>
        <main class="content">
            <h1>"Page not found"</h1>
            <p><a href="/">"Back to your contacts"</a></p>
        </main>
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = move || login.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <Title text="Sign in · Rolo"/>
        <main class="login-page">
            <h1 class="brand">"Rolo"</h1>
            <p class="tagline">"Your address book, on every device."</p>
            <ActionForm action=login attr:class="card login-form" attr:aria-label="Sign in">
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required autofocus/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <button type="submit" class="primary" disabled=move || login.pending().get()>
                    {move || if login.pending().get() { "Signing in…" } else { "Sign in" }}
                </button>
            </ActionForm>
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
    view! {
        <Suspense fallback=|| view! { <header class="topbar"><span class="brand">"Rolo"</span></header> }>
            {move || Suspend::new(async move {
                match me.await {
                    Ok(Some(me)) => EitherOf3::A(view! {
                        <header class="topbar">
                            <A href="/" attr:class="brand">"Rolo"</A>
                            <nav aria-label="Main">
                                <A href="/">"Contacts"</A>
                                <A href="/import">"Import"</A>
                                <A href="/devices">"Devices"</A>
                                <A href="/account">"Account"</A>
                                {me.is_admin.then(|| view! { <A href="/admin">"Admin"</A> })}
                            </nav>
                            <span class="who" title="Signed in as">{me.username.clone()}</span>
                            <ActionForm action=logout attr:class="inline">
                                <button type="submit" class="link">"Sign out"</button>
                            </ActionForm>
                        </header>
                    }),
                    Ok(None) => EitherOf3::B(view! { <Redirect path="/login"/> }),
                    Err(e) => EitherOf3::C(error_view(e)),
                }
            })}
        </Suspense>
        <main class="content">
            <Outlet/>
        </main>
    }
}

fn matches_filter(c: &ContactSummary, needle: &str) -> bool {
    if needle.is_empty() {
        return true;
    }
    let hay = |s: &str| s.to_lowercase().contains(needle);
    hay(&c.display_name)
        || hay(&c.organization)
        || c.email.as_deref().is_some_and(hay)
        || c.phone.as_deref().is_some_and(|p| {
            let digits: String = p.chars().filter(|c| c.is_ascii_digit()).collect();
            let nd: String = needle.chars().filter(|c| c.is_ascii_digit()).collect();
            hay(p) || (!nd.is_empty() && digits.contains(&nd))
        })
}

#[component]
pub fn ContactList() -> impl IntoView {
    let query = use_query_map();
    let selected = move || query.read().get("group").filter(|g| !g.is_empty());
    let create = ServerAction::<CreateGroup>::new();
    let rename = ServerAction::<RenameGroup>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    let membership = ServerAction::<SetMembership>::new();
    let bulk_delete = ServerAction::<DeleteContacts>::new();
    let contacts = Resource::new(|| (), |_| list_contacts());
    let groups = Resource::new(|| (), |_| list_groups());
    // Refetch after group changes. (Keying the resources on the actions' versions refetches them
    // on the server too, outside the request, which breaks hydration.)
    Effect::watch(
        move || (create.version().get(), rename.version().get(), delete.version().get(), membership.version().get(), bulk_delete.version().get()),
        move |_, _, _| {
            groups.refetch();
            contacts.refetch();
        },
        false,
    );
    let filter = RwSignal::new(String::new());
    let picked = RwSignal::new(std::collections::BTreeSet::<domain::ContactId>::new());
    let confirm_bulk_delete = RwSignal::new(false);
    // A finished bulk deletion empties the selection.
    Effect::watch(
        move || bulk_delete.version().get(),
        move |_, _, _| {
            picked.set(Default::default());
            confirm_bulk_delete.set(false);
        },
        false,
    );
    let confirming = RwSignal::new(None::<Group>);
    Effect::new(move |_| {
        if delete.value().get().is_some_and(|r| r.is_ok()) {
            confirming.set(None);
        }
    });
    let create_error = move || create.value().get().and_then(|r| r.err()).map(|e| e.field("name").unwrap_or_else(|| e.to_string()));
    let export_links = move || {
        [
            ("csv", "CSV"),
            ("google-csv", "CSV for Google"),
            ("outlook-csv", "CSV for Outlook"),
            ("xlsx", "Excel"),
            ("xlsx-groups", "Excel, a sheet per group"),
            ("vcf", "vCard 4"),
            ("vcf3", "vCard 3"),
        ]
            .into_iter()
            .map(|(f, label)| {
                let href = match selected() {
                    Some(g) => format!("/console/export?format={f}&group={g}"),
                    None => format!("/console/export?format={f}"),
                };
                view! { <li><a href=href download rel="external">{label}</a></li> }
            })
            .collect_view()
    };
    view! {
        <Title text="Contacts · Rolo"/>
        // One Suspense for the sidebar and the list: both are drawn from the same two resources.
        <Suspense fallback=loading>
            {move || {
                // Read here so everything re-renders when the selected group changes.
                let sel = selected();
                Suspend::new(async move {
                    let (cs, gs) = (contacts.await, groups.await);
                    let (cs, gs) = match (cs, gs) {
                        (Ok(cs), Ok(gs)) => (cs, gs),
                        (Err(e), _) | (_, Err(e)) => return Either::Right(error_view(e)),
                    };
                    let current = |on: bool| if on { "page" } else { "false" };
                    let sel_id = sel.as_deref().and_then(|g| domain::GroupId::parse(g).ok());
                    let total_all = cs.len().to_string();
                    let all = current(sel_id.is_none());
                    let items = gs
                        .iter()
                        .map(|g| {
                            let n = cs.iter().filter(|c| c.groups.contains(&g.id)).count().to_string();
                            let here = current(sel_id == Some(g.id));
                            view! {
                                <li><a href=format!("/?group={}", g.id) aria-current=here>
                                    <span class="group-name">{g.name.clone()}</span>
                                    <span class="badge">{n}</span>
                                </a></li>
                            }
                        })
                        .collect_view();
                    let header = sel_id.and_then(|id| gs.iter().find(|g| g.id == id).cloned()).map(|g| group_header(g, rename, confirming));
                    let in_group: Vec<ContactSummary> = cs.into_iter().filter(|c| sel_id.is_none_or(|g| c.groups.contains(&g))).collect();
                    let total = in_group.len();
                    let list = StoredValue::new(in_group);
                    let shown = move || {
                        let needle = filter.get().trim().to_lowercase();
                        list.with_value(|l| l.iter().filter(|c| matches_filter(c, &needle)).cloned().collect::<Vec<_>>())
                    };
                    let body = if total == 0 && sel_id.is_none() {
                        Either::Left(view! {
                            <p class="empty">"No contacts yet. " <a href="/contacts/new">"Add the first one"</a> "."</p>
                        })
                    } else {
                        let group_options: Vec<_> = gs.iter().map(|g| (g.id.to_string(), g.name.clone())).collect();
                        let group_options = group_options
                            .into_iter()
                            .map(|(id, name)| view! { <option value=id>{name}</option> })
                            .collect_view();
                        let group_pick = NodeRef::<leptos::html::Select>::new();
                        let bulk_membership = move |member: bool| {
                            let Some(sel) = group_pick.get_untracked() else { return };
                            let group = sel.value();
                            if group.is_empty() {
                                return;
                            }
                            let contacts = picked.get_untracked().iter().map(|i| i.to_string()).collect();
                            membership.dispatch(SetMembership { group, contacts, member });
                        };
                        let selection_bar = move || {
                            let ids = picked.get();
                            (!ids.is_empty()).then(|| {
                                let csv = ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
                                let n = ids.len();
                                view! {
                                    <form method="post" action="/console/export" class="selection-bar card" aria-label="Selection">
                                        <span>{format!("{n} selected")}</span>
                                        <input type="hidden" name="ids" value=csv/>
                                        <select name="format" aria-label="Format">
                                            <option value="csv">"CSV"</option>
                                            <option value="google-csv">"CSV for Google"</option>
                                            <option value="outlook-csv">"CSV for Outlook"</option>
                                            <option value="xlsx">"Excel"</option>
                                            <option value="xlsx-groups">"Excel, a sheet per group"</option>
                                            <option value="vcf">"vCard 4"</option>
                                            <option value="vcf3">"vCard 3"</option>
                                        </select>
                                        <button type="submit">"Export selected"</button>
                                        <span class="sep"></span>
                                        <select aria-label="Group for the selection" node_ref=group_pick>
                                            {group_options.clone()}
                                        </select>
                                        <button type="button" on:click=move |_| bulk_membership(true)>"Add to group"</button>
                                        <button type="button" on:click=move |_| bulk_membership(false)>"Remove from group"</button>
                                        <span class="sep"></span>
                                        {move || if confirm_bulk_delete.get() {
                                            Either::Left(view! {
                                                <button type="button" class="danger" on:click=move |_| {
                                                    let ids = picked.get_untracked().iter().map(|i| i.to_string()).collect();
                                                    bulk_delete.dispatch(DeleteContacts { ids });
                                                }>{format!("Confirm: delete {n}")}</button>
                                                <button type="button" class="link" on:click=move |_| confirm_bulk_delete.set(false)>"Keep them"</button>
                                            })
                                        } else {
                                            Either::Right(view! {
                                                <button type="button" class="danger" on:click=move |_| confirm_bulk_delete.set(true)>"Delete selected…"</button>
                                            })
                                        }}
                                        <button type="button" class="link" on:click=move |_| picked.set(Default::default())>"Clear selection"</button>
                                    </form>
                                }
                            })
                        };
                        let all_shown = move || {
                            let shown: Vec<domain::ContactId> = shown().iter().map(|c| c.id).collect();
                            !shown.is_empty() && picked.with(|p| shown.iter().all(|id| p.contains(id)))
                        };
                        Either::Right(view! {
                            <div class="selection-slot">{selection_bar}</div>
                            <p class="count" aria-live="polite">
                                {move || {
                                    let n = shown().len();
                                    let noun = if total == 1 { "contact" } else { "contacts" };
                                    if n == total { format!("{total} {noun}") } else { format!("{n} of {total} {noun}") }
                                }}
                            </p>
                            <table class="contacts">
                                <thead>
                                    <tr>
                                        <th scope="col" class="pick">
                                            <input type="checkbox" aria-label="Select all shown" prop:checked=all_shown
                                                on:change=move |ev| {
                                                    let on = event_target_checked(&ev);
                                                    let ids: Vec<domain::ContactId> = shown().iter().map(|c| c.id).collect();
                                                    picked.update(|p| for id in ids { if on { p.insert(id); } else { p.remove(&id); } });
                                                }/>
                                        </th>
                                        <th scope="col">"Name"</th><th scope="col">"Phone"</th><th scope="col">"Email"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {move || shown().into_iter().map(|c| {
                                        let id = c.id;
                                        view! {
                                        <tr>
                                            <td class="pick">
                                                <input type="checkbox" aria-label=format!("Select {}", c.display_name)
                                                    prop:checked=move || picked.with(|p| p.contains(&id))
                                                    on:change=move |ev| {
                                                        let on = event_target_checked(&ev);
                                                        picked.update(|p| { if on { p.insert(id); } else { p.remove(&id); } });
                                                    }/>
                                            </td>
                                            <td><a href=format!("/contacts/{}", c.id)>{c.display_name.clone()}</a></td>
                                            <td>{c.phone.clone().unwrap_or_default()}</td>
                                            <td>{c.email.clone().unwrap_or_default()}</td>
                                        </tr>
                                    }}).collect_view()}
                                </tbody>
                            </table>
                        })
                    };
                    Either::Left(view! {
                        <div class="with-sidebar">
                            <aside class="sidebar" aria-label="Groups">
                                <h2>"Groups"</h2>
                                <ul class="groups">
                                    <li><a href="/" aria-current=all>
                                        <span class="group-name">"All contacts"</span><span class="badge">{total_all}</span>
                                    </a></li>
                                    {items}
                                </ul>
                                <ActionForm action=create attr:class="new-group" attr:aria-label="Create a group">
                                    <label for="new-group-name">"New group"</label>
                                    <div class="row">
                                        <input id="new-group-name" name="name" required maxlength="100" placeholder="Family"/>
                                        <button type="submit">"Create"</button>
                                    </div>
                                    <p class="error" role="alert">{create_error}</p>
                                </ActionForm>
                            </aside>
                            <section class="main">
                                <div class="toolbar">
                                    <h1>"Contacts"</h1>
                                    <input
                                        type="search"
                                        class="filter"
                                        aria-label="Filter contacts"
                                        placeholder="Filter by name, phone, email…"
                                        prop:value=move || filter.get()
                                        on:input=move |ev| filter.set(event_target_value(&ev))
                                    />
                                    <details class="export">
                                        <summary class="button">"Export"</summary>
                                        <ul class="menu" aria-label="Export formats">{export_links()}</ul>
                                    </details>
                                    <a class="button primary" href="/contacts/new">"New contact"</a>
                                </div>
                                {header}
                                {body}
                            </section>
                        </div>
                    })
                })
            }}
        </Suspense>
        <Show when=move || confirming.get().is_some()>
            {move || confirming.get().map(|g| view! {
                <div class="backdrop">
                    <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="delete-group-title"
                        on:keydown=move |ev| if ev.key() == "Escape" { confirming.set(None) }>
                        <h2 id="delete-group-title">"Delete the group " {g.name.clone()} "?"</h2>
                        <p>"Its contacts are kept; they just leave the group."</p>
                        <DeleteGroupForm group=g.clone() delete=delete/>
                        <button type="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
                    </div>
                </div>
            })}
        </Show>
    }
}

fn group_header(g: Group, rename: ServerAction<RenameGroup>, confirming: RwSignal<Option<Group>>) -> impl IntoView {
    let error = move || rename.value().get().and_then(|r| r.err()).map(|e| e.field("name").unwrap_or_else(|| e.to_string()));
    let for_delete = g.clone();
    view! {
        <div class="group-header card">
            <h2>"Group: " {g.name.clone()}</h2>
            <ActionForm action=rename attr:class="inline rename" attr:aria-label="Rename group">
                <input type="hidden" name="id" value=g.id.to_string()/>
                <input type="hidden" name="revision" value=g.revision.to_string()/>
                <input name="name" value=g.name.clone() aria-label="Group name" maxlength="100" required/>
                <button type="submit">"Rename"</button>
            </ActionForm>
            <button type="button" class="danger" on:click=move |_| confirming.set(Some(for_delete.clone()))>"Delete group…"</button>
            <p class="error" role="alert">{error}</p>
        </div>
    }
}

#[component]
fn DeleteGroupForm(group: Group, delete: ServerAction<DeleteGroup>) -> impl IntoView {
    let error = move || delete.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <ActionForm action=delete attr:class="inline">
            <input type="hidden" name="id" value=group.id.to_string()/>
            <input type="hidden" name="revision" value=group.revision.to_string()/>
            <p class="error" role="alert">{error}</p>
            <button type="submit" class="danger" autofocus>"Delete group"</button>
        </ActionForm>
    }
}

fn use_contact() -> Resource<Result<Contact, AppError>> {
    let params = use_params_map();
    Resource::new(move || params.read().get("id").unwrap_or_default(), get_contact)
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
    Effect::watch(move || restore.version().get(), move |_, _, _| contact.refetch(), false);
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match contact.await {
                    Ok(c) => Either::Left(contact_card(c, confirming, restore)),
                    Err(e) => Either::Right(error_view(e)),
                }
            })}
        </Suspense>
    }
}

fn contact_card(c: Contact, confirming: RwSignal<bool>, restore: ServerAction<RestoreRevision>) -> impl IntoView {
    let d = c.data.clone();
    let id = c.id.to_string();
    let phones: Vec<(String, String)> = d.phones.iter().map(|p| (p.label.as_str().to_string(), p.value.as_str().to_string())).collect();
    let emails: Vec<(String, String)> = d.emails.iter().map(|e| (e.label.as_str().to_string(), e.value.as_str().to_string())).collect();
    let addresses: Vec<(String, String)> = d.addresses.iter().map(|a| (a.label.as_str().to_string(), a.value.one_line())).collect();
    let extra: Vec<(String, String)> = d.extra.iter().map(|x| (x.name.clone(), x.value.clone())).collect();
    let mut about: Vec<(String, String)> = Vec::new();
    for (k, v) in [
        ("Family name", d.name.family.clone()),
        ("Given name", d.name.given.clone()),
        ("Nickname", d.nickname.clone()),
        ("Organization", d.organization.clone()),
        ("Title", d.title.clone()),
        ("Birthday", d.birthday.map(|b| b.to_string()).unwrap_or_default()),
    ] {
        if !v.is_empty() {
            about.push((k.to_string(), v));
        }
    }
    let title = format!("{} · Rolo", d.display_name);
    let delete_href = format!("/contacts/{id}/delete");
    let revision = c.revision;
    let id_for_dialog = id.clone();
    view! {
        <Title text=title/>
        <article class="contact-card" aria-labelledby="contact-name">
            <div class="toolbar">
                <h1 id="contact-name">{d.display_name.clone()}</h1>
                <a class="button" href=format!("/contacts/{id}/edit")>"Edit"</a>
                <a
                    class="button danger"
                    href=delete_href
                    on:click=move |ev| {
                        ev.prevent_default();
                        confirming.set(true);
                    }
                >
                    "Delete…"
                </a>
            </div>
            {labeled_list("About", about, |v: String| v.into_any())}
            {labeled_list("Phones", phones, |v: String| view! { <a href=format!("tel:{v}")>{v.clone()}</a> }.into_any())}
            {labeled_list("Emails", emails, |v: String| view! { <a href=format!("mailto:{v}")>{v.clone()}</a> }.into_any())}
            {labeled_list("Addresses", addresses, |v: String| v.into_any())}
            {(!d.notes.is_empty()).then(|| view! { <section class="field-group"><h2>"Notes"</h2><p class="notes">{d.notes.clone()}</p></section> })}
            {labeled_list("Other fields", extra, |v: String| v.into_any())}
            {(!d.groups.is_empty()).then(|| view! { <GroupChips ids=d.groups.clone()/> })}
            <p class="meta">"Revision " {revision}</p>
            <History id=id.clone() revision=revision restore=restore/>
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
                    <h2 id="confirm-title">"Delete this contact?"</h2>
                    <p>"It disappears from all your devices at their next sync."</p>
                    <DeleteForm id=id_for_dialog.clone() revision=revision/>
                    <button type="button" on:click=move |_| confirming.set(false)>"Cancel"</button>
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
        "title" => "title",
        "birthday" => "birthday",
        "notes" => "notes",
        "extra" => "other fields",
        "nickname" => "nickname",
        other => other,
    }
}

/// The names of the groups a contact is in.
#[component]
fn GroupChips(ids: Vec<domain::GroupId>) -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_groups());
    let ids = StoredValue::new(ids);
    view! {
        <section class="field-group" aria-labelledby="groups-title">
            <h2 id="groups-title">"Groups"</h2>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    let groups = groups.await.unwrap_or_default();
                    view! {
                        <ul class="chips">
                            {groups.into_iter().filter(|g| ids.with_value(|i| i.contains(&g.id))).map(|g| view! {
                                <li><a href=format!("/?group={}", g.id)>{g.name}</a></li>
                            }).collect_view()}
                        </ul>
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Who changed the contact, when, and what.
#[component]
fn History(id: String, revision: i64, restore: ServerAction<RestoreRevision>) -> impl IntoView {
    let id_for_restore = StoredValue::new(id.clone());
    let history = Resource::new(move || (id.clone(), revision), |(id, _)| contact_history(id));
    view! {
        <section class="field-group history" aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            <Suspense fallback=loading>
                {move || Suspend::new(async move {
                    match history.await {
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
                                    let id = id_for_restore.get_value();
                                    view! {
                                        <li>
                                            <span class="rev">{format!("Revision {}", h.revision)}</span>
                                            " · " {h.changed_at.format("%Y-%m-%d %H:%M UTC").to_string()}
                                            " · " <span class="by">{h.by}</span>
                                            " · " {what}
                                            {restorable.then(|| view! {
                                                <ActionForm action=restore attr:class="inline">
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
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn DeleteForm(id: String, revision: i64) -> impl IntoView {
    let delete = ServerAction::<DeleteContact>::new();
    let error = move || delete.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <ActionForm action=delete attr:class="inline">
            <input type="hidden" name="id" value=id/>
            <input type="hidden" name="revision" value=revision.to_string()/>
            {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
            <button type="submit" class="danger" autofocus>"Delete contact"</button>
        </ActionForm>
    }
}

/// The confirmation page used without JavaScript.
#[component]
pub fn DeletePage() -> impl IntoView {
    let contact = use_contact();
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match contact.await {
                    Ok(c) => Either::Left(view! {
                        <Title text="Delete contact · Rolo"/>
                        <h1>"Delete " {c.data.display_name.clone()} "?"</h1>
                        <p>"It disappears from all your devices at their next sync."</p>
                        <DeleteForm id=c.id.to_string() revision=c.revision/>
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
    view! {
        <Title text="New contact · Rolo"/>
        <h1>"New contact"</h1>
        <ContactForm/>
    }
}

#[component]
pub fn EditContact() -> impl IntoView {
    let contact = use_contact();
    view! {
        <Suspense fallback=loading>
            {move || Suspend::new(async move {
                match contact.await {
                    Ok(c) => Either::Left(view! {
                        <Title text=format!("Edit {} · Rolo", c.data.display_name)/>
                        <h1>"Edit " {c.data.display_name.clone()}</h1>
                        <ContactForm existing=c/>
                    }),
                    Err(e) => Either::Right(error_view(e)),
                }
            })}
        </Suspense>
    }
}
