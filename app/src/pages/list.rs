//! The contact list: searched, sorted and paged on the server (the browser never holds the whole
//! book), with the group sidebar, a letter index and bulk actions on a selection.

use std::collections::BTreeSet;

use crate::PageTitle;
use domain::{ContactId, Group};
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::NavigateOptions;
use views::ContactPage;

use super::{error_view, group_header, loading, waiting, DeleteGroupForm, PostForm};
use crate::api::{
    contact_page, list_groups, restore_from_trash, CreateGroup, DeleteContacts, DeleteGroup,
    RenameGroup, Selection, SetMembership, PAGE_SIZE,
};
use crate::i18n::{count, lang, tr, Lang};

/// The list's state, all in the URL (so it survives reloads and works without JavaScript).
#[derive(Debug, Clone, Default, PartialEq)]
struct ListState {
    q: String,
    group: Option<String>,
    sort: String,
    at: usize,
}

impl ListState {
    fn href(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.q.is_empty() {
            parts.push(format!("q={}", encode(&self.q)));
        }
        if let Some(g) = &self.group {
            parts.push(format!("group={g}"));
        }
        if self.sort == "recent" {
            parts.push("sort=recent".into());
        }
        if self.at > 0 {
            parts.push(format!("at={}", self.at));
        }
        if parts.is_empty() {
            "/".into()
        } else {
            format!("/?{}", parts.join("&"))
        }
    }
}

fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

const EXPORT_FORMATS: [(&str, &str); 7] = [
    ("csv", "CSV"),
    ("google-csv", "CSV for Google"),
    ("outlook-csv", "CSV for Outlook"),
    ("xlsx", "Excel"),
    ("xlsx-groups", "Excel, a sheet per group"),
    ("vcf", "vCard 4"),
    ("vcf3", "vCard 3"),
];

#[component]
pub fn ContactList() -> impl IntoView {
    let lang = lang();
    let query = use_query_map();
    // The list as the URL gives it (links: groups, sort, pages, letters).
    let from_url = Memo::new(move |_| {
        let q = query.read();
        ListState {
            q: q.get("q").unwrap_or_default(),
            group: q.get("group").filter(|g| !g.is_empty()),
            sort: q.get("sort").filter(|s| s == "recent").unwrap_or_else(|| "name".into()),
            at: q.get("at").and_then(|a| a.parse().ok()).unwrap_or(0),
        }
    });
    // What is typed in the search box: searched as it is typed, without a navigation per
    // keystroke; a link followed (a group, a page) takes the search from its URL again.
    // The contact open beside the list (wide screens): `?open=<id>`, apart from the list's own
    // state so that opening one does not fetch the list again.
    let open = Memo::new(move |_| query.read().get("open").filter(|o| !o.is_empty()));
    let typed = RwSignal::new(from_url.get_untracked().q);
    Effect::watch(move || from_url.get(), move |url, _, _| typed.set(url.q.clone()), false);
    let state = Memo::new(move |_| {
        let url = from_url.get();
        let q = typed.get();
        let at = if q == url.q { url.at } else { 0 };
        ListState { q, at, ..url }
    });
    let create = ServerAction::<CreateGroup>::new();
    let rename = ServerAction::<RenameGroup>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    let membership = ServerAction::<SetMembership>::new();
    let bulk_delete = ServerAction::<DeleteContacts>::new();
    let page = Resource::new(move || state.get(), |s| contact_page(s.q, s.group, s.sort, s.at));
    let groups = Resource::new(|| (), |_| list_groups());
    #[cfg(feature = "hydrate")]
    {
        let s = state.get_untracked();
        crate::offline::client::keep_answer(contact_page(s.q, s.group, s.sort, s.at));
        crate::offline::client::keep_answer(list_groups());
    }
    // Refetch after changes. (Keying the resources on the actions' versions refetches them on
    // the server too, outside the request, which breaks hydration.)
    Effect::watch(
        move || {
            (
                create.version().get(),
                rename.version().get(),
                delete.version().get(),
                membership.version().get(),
                bulk_delete.version().get(),
            )
        },
        move |_, _, _| {
            groups.refetch();
            page.refetch();
        },
        false,
    );
    let picked = RwSignal::new(BTreeSet::<ContactId>::new());
    // The ids on the page shown, and the group picked for bulk membership changes.
    let shown = RwSignal::new(Vec::<ContactId>::new());
    let group_choice = RwSignal::new(String::new());
    // "All matching": the selection is every contact the search (and group) matches.
    let all_matching = RwSignal::new(false);
    let confirm_bulk_delete = RwSignal::new(false);
    // The last bulk deletion, for Undo.
    let undo = RwSignal::new(None::<Vec<String>>);
    let restoring = Action::new(move |ids: &Vec<String>| {
        let ids = ids.clone();
        async move { restore_from_trash(ids).await }
    });
    Effect::watch(
        move || restoring.version().get(),
        move |_, _, _| {
            undo.set(None);
            page.refetch();
            groups.refetch();
        },
        false,
    );
    Effect::watch(
        move || bulk_delete.version().get(),
        move |_, _, _| {
            if let Some(Ok(ids)) = bulk_delete.value().get_untracked() {
                undo.set(Some(ids));
            }
            picked.set(Default::default());
            all_matching.set(false);
            confirm_bulk_delete.set(false);
        },
        false,
    );
    // A new search or group starts a new selection.
    Effect::watch(
        move || {
            let s = state.get();
            (s.q, s.group)
        },
        move |_, _, _| {
            picked.set(Default::default());
            all_matching.set(false);
        },
        false,
    );
    let confirming = RwSignal::new(None::<Group>);
    Effect::new(move |_| {
        if delete.value().get().is_some_and(|r| r.is_ok()) {
            confirming.set(None);
        }
    });
    let create_error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .map(|e| e.field("name").unwrap_or_else(|| e.to_string()))
    };
    let navigate = use_navigate();
    let go = move |s: ListState| {
        navigate(&s.href(), NavigateOptions { replace: true, scroll: false, ..Default::default() });
    };
    let on_search = move |ev: leptos::ev::Event| typed.set(event_target_value(&ev));
    let on_sort = move |ev: leptos::ev::Event| {
        let mut s = state.get_untracked();
        s.sort = event_target_value(&ev);
        s.at = 0;
        go(s);
    };
    // Enter in the search box opens the first match.
    let on_search_key = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Enter" {
            if let Some(Ok(p)) = page.get_untracked() {
                if let Some(first) = p.items.first() {
                    ev.prevent_default();
                    use_navigate()(&format!("/contacts/{}", first.id), Default::default());
                }
            }
        }
    };
    let selection = move || {
        let s = state.get_untracked();
        Selection {
            ids: picked.get_untracked().iter().map(|i| i.to_string()).collect(),
            all: all_matching.get_untracked(),
            q: s.q,
            group: s.group,
        }
    };
    let export_links = move || {
        let s = state.get();
        EXPORT_FORMATS
            .into_iter()
            .map(|(f, label)| {
                let mut href = format!("/console/export?format={f}");
                if let Some(g) = &s.group {
                    href.push_str(&format!("&group={g}"));
                }
                if !s.q.is_empty() {
                    href.push_str(&format!("&q={}", encode(&s.q)));
                }
                view! { <li><a href=href download rel="external">{tr(lang, label)}</a></li> }
            })
            .collect_view()
    };

    let sidebar = move || {
        waiting(async move {
            let (gs, p) = (groups.await, page.await);
            let (gs, p) = match (gs, p) {
                (Ok(gs), Ok(p)) => (gs, p),
                (Err(e), _) | (_, Err(e)) => return Either::Right(error_view(e)),
            };
            let s = state.get_untracked();
            let current = |on: bool| if on { "page" } else { "false" };
            let items = gs
                .iter()
                .map(|g| {
                    let n = p
                        .group_counts
                        .iter()
                        .find(|(id, _)| *id == g.id)
                        .map(|(_, n)| *n)
                        .unwrap_or(0)
                        .to_string();
                    let here = current(s.group.as_deref() == Some(g.id.to_string().as_str()));
                    view! {
                        <li><a href=format!("/?group={}", g.id) aria-current=here>
                            <span class="group-name">{g.name.clone()}</span>
                            <span class="badge">{n}</span>
                        </a></li>
                    }
                })
                .collect_view();
            Either::Left(view! {
                <ul class="groups">
                    <li><a href="/" aria-current=current(s.group.is_none())>
                        <span class="group-name">{tr(lang, "All contacts")}</span><span class="badge">{p.all.to_string()}</span>
                    </a></li>
                    {items}
                </ul>
            })
        })
    };

    let group_bar = move || {
        let s = state.get();
        waiting(async move {
            let gs = groups.await.unwrap_or_default();
            let sel = s.group.as_deref().and_then(|g| domain::GroupId::parse(g).ok());
            sel.and_then(|id| gs.iter().find(|g| g.id == id).cloned())
                .map(|g| group_header(g, rename, confirming))
        })
    };

    let list = move || {
        waiting(async move {
            let gs = groups.await.unwrap_or_default();
            let p = match page.await {
                Ok(p) => p,
                Err(e) => return Either::Right(error_view(e)),
            };
            Either::Left(list_body(
                lang,
                p,
                gs,
                state,
                picked,
                all_matching,
                confirm_bulk_delete,
                membership,
                bulk_delete,
                selection,
                shown,
                group_choice,
            ))
        })
    };

    view! {
        <PageTitle text=format!("{} · Rolo", tr(lang, "Contacts"))/>
        <div class="with-sidebar" class:has-pane=move || open.get().is_some()>
            <aside class="sidebar" aria-label=tr(lang, "Groups")>
                <h2>{tr(lang, "Groups")}</h2>
                <Transition fallback=loading>{sidebar}</Transition>
                <PostForm action=create args=|f| CreateGroup { name: f.get("name") } attr:class="new-group edit-control" attr:aria-label=tr(lang, "Create a group")>
                    <label for="new-group-name">{tr(lang, "New group")}</label>
                    <div class="row">
                        <input id="new-group-name" name="name" required maxlength="100" placeholder=tr(lang, "Family")/>
                        <button type="submit">{tr(lang, "Create")}</button>
                    </div>
                    <p class="error" role="alert">{create_error}</p>
                </PostForm>
                <p class="side-links">
                    <a href="/duplicates">{tr(lang, "Possible duplicates")}</a>
                    <a href="/trash">{tr(lang, "Trash")}</a>
                </p>
            </aside>
            <section class="main">
                <div class="toolbar">
                    <h1>{tr(lang, "Contacts")}</h1>
                    <form method="get" action="/" class="search" role="search">
                        {move || state.get().group.map(|g| view! { <input type="hidden" name="group" value=g/> })}
                        <input
                            type="search"
                            name="q"
                            class="filter"
                            aria-label=tr(lang, "Search contacts")
                            placeholder=tr(lang, "Search by name, pinyin, phone, email…")
                            autocomplete="off"
                            prop:value=move || typed.get()
                            on:input=on_search
                            on:keydown=on_search_key
                        />
                    </form>
                    <select aria-label=tr(lang, "Sort") on:change=on_sort prop:value=move || state.get().sort>
                        <option value="name">{tr(lang, "By name")}</option>
                        <option value="recent">{tr(lang, "Recently changed")}</option>
                    </select>
                    <details class="export">
                        <summary class="button">{tr(lang, "Export")}</summary>
                        <ul class="menu" aria-label=tr(lang, "Export formats")>{export_links}</ul>
                    </details>
                    <a class="button primary edit-control" href="/contacts/new" data-key="n" aria-keyshortcuts="N">{tr(lang, "New contact")}</a>
                </div>
                <Transition fallback=|| ()>{group_bar}</Transition>
                {move || undo.get().map(|ids| {
                    let n = ids.len();
                    let again = ids.clone();
                    view! {
                        <div class="toast card" role="status">
                            <span>{format!("{}: {}", tr(lang, "Moved to the trash"), count(lang, n, "contact", "contacts"))}</span>
                            <button type="button" on:click=move |_| { restoring.dispatch(again.clone()); }>{tr(lang, "Undo")}</button>
                            <a href="/trash">{tr(lang, "Trash")}</a>
                        </div>
                    }
                })}
                <Transition fallback=loading>{list}</Transition>
            </section>
            <ContactPane open groups close=Signal::derive(move || state.get().href())/>
        </div>
        <Show when=move || confirming.get().is_some()>
            {move || confirming.get().map(|g| view! {
                <div class="backdrop">
                    <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="delete-group-title"
                        on:keydown=move |ev| if ev.key() == "Escape" { confirming.set(None) }>
                        <h2 id="delete-group-title">{tr(lang, "Delete group")} " " {g.name.clone()} "?"</h2>
                        <p>{tr(lang, "Its contacts are kept; they just leave the group.")}</p>
                        <DeleteGroupForm group=g.clone() delete=delete/>
                        <button type="button" on:click=move |_| confirming.set(None)>{tr(lang, "Cancel")}</button>
                    </div>
                </div>
            })}
        </Show>
    }
}

#[allow(clippy::too_many_arguments)]
fn list_body(
    lang: Lang,
    p: ContactPage,
    gs: Vec<Group>,
    state: Memo<ListState>,
    picked: RwSignal<BTreeSet<ContactId>>,
    all_matching: RwSignal<bool>,
    confirm_bulk_delete: RwSignal<bool>,
    membership: ServerAction<SetMembership>,
    bulk_delete: ServerAction<DeleteContacts>,
    selection: impl Fn() -> Selection + Copy + Send + Sync + 'static,
    shown: RwSignal<Vec<ContactId>>,
    group_choice: RwSignal<String>,
) -> impl IntoView {
    let s = state.get_untracked();
    if p.all == 0 {
        return Either::Left(view! {
            <p class="empty">{tr(lang, "No contacts yet.")} " " <a class="edit-control" href="/contacts/new">{tr(lang, "Add the first one")}</a></p>
        });
    }
    let total = p.total;
    let shown_ids: Vec<ContactId> = p.items.iter().map(|c| c.id).collect();
    // Kept in signals owned by the list (not created here: this runs inside a Suspend, whose
    // reactive values are disposed when the next page arrives while old handlers may still run).
    shown.update_untracked(|v| *v = shown_ids);
    let shown_ids = shown;
    // The group menu shows the first group until another is picked.
    if !gs.iter().any(|g| g.id.to_string() == group_choice.get_untracked()) {
        let first = gs.first().map(|g| g.id.to_string()).unwrap_or_default();
        group_choice.update_untracked(|v| *v = first);
    }
    let group_options: Vec<(String, String)> =
        gs.iter().map(|g| (g.id.to_string(), g.name.clone())).collect();
    let bulk_membership = move |member: bool| {
        let group = group_choice.get_untracked();
        if group.is_empty() {
            return;
        }
        membership.dispatch(SetMembership { group, selection: selection(), member });
    };
    let n_selected = move || {
        if all_matching.get() {
            total
        } else {
            picked.with(|p| p.len())
        }
    };
    let selection_bar = move || {
        let n = n_selected();
        (n > 0).then(|| {
            let sel = selection();
            let csv = if sel.all { String::new() } else { sel.ids.join(",") };
            view! {
                <form method="post" action="/console/export" class="selection-bar card" aria-label=tr(lang, "Selection")>
                    <span>{match lang { Lang::Zh => format!("已选 {n} 位"), Lang::En => format!("{n} selected") }}</span>
                    <input type="hidden" name="ids" value=csv/>
                    {sel.all.then(|| view! {
                        <input type="hidden" name="q" value=sel.q.clone()/>
                        {sel.group.clone().map(|g| view! { <input type="hidden" name="group" value=g/> })}
                    })}
                    <select name="format" aria-label=tr(lang, "Format")>
                        {EXPORT_FORMATS.into_iter().map(|(f, label)| view! { <option value=f>{tr(lang, label)}</option> }).collect_view()}
                    </select>
                    <button type="submit">{tr(lang, "Export selected")}</button>
                    <span class="sep"></span>
                    {super::books::copy_to_book_control(sel.clone())}
                    <span class="sep edit-control"></span>
                    <span class="edit-control">
                    <select aria-label=tr(lang, "Group for the selection") on:change=move |ev| group_choice.set(event_target_value(&ev))>{group_options.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}</select>
                    <button type="button" on:click=move |_| bulk_membership(true)>{tr(lang, "Add to group")}</button>
                    <button type="button" on:click=move |_| bulk_membership(false)>{tr(lang, "Remove from group")}</button>
                    </span>
                    <span class="sep edit-control"></span>
                    <span class="edit-control">
                    {move || if confirm_bulk_delete.get() {
                        Either::Left(view! {
                            <button type="button" class="danger" on:click=move |_| { bulk_delete.dispatch(DeleteContacts { selection: selection() }); }>
                                {match lang { Lang::Zh => format!("确认删除 {n} 位"), Lang::En => format!("Confirm: delete {n}") }}
                            </button>
                            <button type="button" class="link" on:click=move |_| confirm_bulk_delete.set(false)>{tr(lang, "Keep them")}</button>
                        })
                    } else {
                        Either::Right(view! {
                            <button type="button" class="danger" on:click=move |_| confirm_bulk_delete.set(true)>{tr(lang, "Delete selected…")}</button>
                        })
                    }}
                    </span>
                    <button type="button" class="link" on:click=move |_| { picked.set(Default::default()); all_matching.set(false); }>{tr(lang, "Clear selection")}</button>
                    {move || (bulk_delete.pending().get() || membership.pending().get()).then(|| view! { <span class="loading" role="status">{tr(lang, "Working…")}</span> })}
                </form>
            }
        })
    };
    let all_shown = move || {
        all_matching.get()
            || (shown_ids.with_untracked(|s| {
                !s.is_empty() && picked.with(|p| s.iter().all(|id| p.contains(id)))
            }))
    };
    let offer_all = move || {
        (all_shown() && !all_matching.get() && total > shown_ids.with_untracked(|s| s.len())).then(|| {
            let label = match lang {
                Lang::Zh => format!("选择全部 {total} 位匹配的联系人"),
                Lang::En => format!("Select all {total} matching"),
            };
            view! { <button type="button" class="link" on:click=move |_| all_matching.set(true)>{label}</button> }
        })
    };
    // Letter index.
    let letters: Vec<char> = ('A'..='Z').chain(std::iter::once('#')).collect();
    let index = (s.sort != "recent").then(|| {
        let links = letters
            .into_iter()
            .map(|l| match p.letters.iter().find(|(x, _)| x.starts_with(l)) {
                Some((_, offset)) => {
                    let target = ListState { at: offset / PAGE_SIZE * PAGE_SIZE, ..s.clone() };
                    let label = match lang {
                        Lang::Zh => format!("跳到 {l}"),
                        Lang::En => format!("Jump to {l}"),
                    };
                    Either::Left(view! { <a href=format!("{}#letter-{l}", target.href()) aria-label=label>{l.to_string()}</a> })
                }
                None => Either::Right(view! { <span class="off" aria-hidden="true">{l.to_string()}</span> }),
            })
            .collect_view();
        view! { <nav class="letters" aria-label=tr(lang, "Letter index")>{links}</nav> }
    });
    let first_of_letter: Vec<(usize, char)> =
        p.letters.iter().filter_map(|(l, o)| l.chars().next().map(|c| (*o, c))).collect();
    let from = p.offset;
    let to = p.offset + p.items.len();
    let prev =
        (from > 0).then(|| ListState { at: from.saturating_sub(PAGE_SIZE), ..s.clone() }.href());
    let next = (to < total).then(|| ListState { at: to, ..s.clone() }.href());
    // "12 contacts", or "3 of 12 contacts" while searching (within the group, if one is open).
    let base = match s.group.as_deref().and_then(|g| domain::GroupId::parse(g).ok()) {
        Some(g) => p.group_counts.iter().find(|(id, _)| *id == g).map(|(_, n)| *n).unwrap_or(0),
        None => p.all,
    };
    let counted = if s.q.trim().is_empty() {
        count(lang, base, "contact", "contacts")
    } else {
        match lang {
            Lang::Zh => format!("{total} / {base} 位联系人"),
            Lang::En => format!("{total} of {}", count(lang, base, "contact", "contacts")),
        }
    };
    let range = (total > PAGE_SIZE).then(|| match lang {
        Lang::Zh => format!("第 {}–{} 位", from + 1, to),
        Lang::En => format!("{}–{}", from + 1, to),
    });
    let pager = view! {
        <nav class="pager" aria-label=tr(lang, "Pages")>
            {prev.map(|h| view! { <a href=h rel="prev">{tr(lang, "Previous page")}</a> })}
            <span class="count" aria-live="polite" data-for=s.q.clone()>{counted}</span>
            {range.map(|r| view! { <span class="range">{r}</span> })}
            {next.map(|h| view! { <a href=h rel="next">{tr(lang, "Next page")}</a> })}
        </nav>
        {(total == 0).then(|| view! { <p class="empty">{tr(lang, "No contact matches.")}</p> })}
    };
    let book = p.book;
    let rows = p
        .items
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let id = c.id;
            let anchor = first_of_letter.iter().find(|(o, _)| *o == from + i).map(|(_, l)| format!("letter-{l}"));
            let select_label = match lang {
                Lang::Zh => format!("选择 {}", c.display_name),
                Lang::En => format!("Select {}", c.display_name),
            };
            view! {
                <tr id=anchor hidden=move || crate::offline::deleted_here(*id.as_uuid())>
                    <td class="pick">
                        <input type="checkbox" aria-label=select_label
                            prop:checked=move || all_matching.get() || picked.with(|p| p.contains(&id))
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                if all_matching.get_untracked() && !on {
                                    // Leaving "all matching": keep this page's others ticked.
                                    all_matching.set(false);
                                    picked.set(shown_ids.get_untracked().into_iter().filter(|x| *x != id).collect());
                                    return;
                                }
                                picked.update(|p| { if on { p.insert(id); } else { p.remove(&id); } });
                            }/>
                    </td>
                    <td class="name"><a href=format!("/contacts/{}", c.id) on:click=move |ev| open_beside(ev, state, id)>{avatar(&c, book)}<span>{c.display_name.clone()}</span></a></td>
                    <td class="phone">{c.phone.clone().unwrap_or_default()}</td>
                    <td class="email">{c.email.clone().unwrap_or_default()}</td>
                    <td class="org">{c.organization.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    Either::Right(view! {
        <div class="selection-slot">{selection_bar}</div>
        {index}
        {pager}
        <p class="select-all">{offer_all}</p>
        <table class="contacts">
            <thead>
                <tr>
                    <th scope="col" class="pick">
                        <input type="checkbox" aria-label=tr(lang, "Select all shown") prop:checked=all_shown
                            on:change=move |ev| {
                                let on = event_target_checked(&ev);
                                if !on {
                                    all_matching.set(false);
                                }
                                let ids = shown_ids.get_untracked();
                                picked.update(|p| for id in ids { if on { p.insert(id); } else { p.remove(&id); } });
                            }/>
                    </th>
                    <th scope="col">{tr(lang, "Name")}</th>
                    <th scope="col" class="phone">{tr(lang, "Phone")}</th>
                    <th scope="col" class="email">{tr(lang, "Email")}</th>
                    <th scope="col" class="org">{tr(lang, "Organization")}</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    })
}

/// A contact's picture in the list: its thumbnail (loaded when scrolled to, kept by the browser),
/// or its initials on a colour of its own. Beside the name, so empty to screen readers.
pub fn avatar(c: &views::ContactSummary, book: Option<domain::BookId>) -> impl IntoView {
    match book.and_then(|b| c.thumbnail(b)) {
        Some(src) => Either::Left(view! {
            <img class="avatar" src=src alt="" width="32" height="32" loading="lazy" decoding="async"/>
        }),
        None => {
            let class = format!("avatar initials c{}", views::avatar_colour(&c.id));
            // Drawn by the style sheet from the attribute: the name's text stays the name.
            Either::Right(
                view! { <span class=class aria-hidden="true" data-initials=views::initials(&c.display_name)></span> },
            )
        }
    }
}

/// Where the contact opens beside the list instead of on a page of its own.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const WIDE: &str = "(min-width: 1000px)";

/// A click on a name: on a wide screen the contact opens beside the list (`?open=<id>`, a step
/// in the history); elsewhere, or with a modifier key (a new tab), the link is followed.
fn open_beside(ev: leptos::ev::MouseEvent, state: Memo<ListState>, id: ContactId) {
    if ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() || ev.button() != 0 {
        return;
    }
    #[cfg(feature = "hydrate")]
    {
        let wide = window().match_media(WIDE).ok().flatten().is_some_and(|m| m.matches());
        if wide {
            ev.prevent_default();
            let href = state.get_untracked().href();
            let sep = if href.contains('?') { '&' } else { '?' };
            use_navigate()(
                &format!("{href}{sep}open={id}"),
                NavigateOptions { scroll: false, ..Default::default() },
            );
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (state, id);
}

/// The contact open beside the list: its picture, name, fields and links to open, edit or
/// close it.
#[component]
fn ContactPane(
    open: Memo<Option<String>>,
    groups: Resource<Result<Vec<Group>, crate::error::AppError>>,
    close: Signal<String>,
) -> impl IntoView {
    let contact = Resource::new(
        move || open.get(),
        |id| async move {
            match id {
                Some(id) => crate::offline::contact_here(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let lang = lang();
    view! {
        <Transition fallback=|| ()>
            {move || waiting(async move {
                let found = contact.await;
                let groups = groups.await.unwrap_or_default();
                match found {
                    Ok(Some(c)) => {
                        let id = c.id;
                        Some(Either::Left(view! {
                            <aside class="contact-pane card" aria-labelledby="pane-name">
                                <div class="pane-head">
                                    {super::portrait(&c)}
                                    <h2 id="pane-name">{c.data.display_name.clone()}</h2>
                                </div>
                                <p class="pane-links">
                                    <a class="button" href=format!("/contacts/{id}")>{tr(lang, "Open")}</a>
                                    <a class="button edit-control" href=format!("/contacts/{id}/edit") data-key="e" aria-keyshortcuts="E">{tr(lang, "Edit")}</a>
                                    <a class="button" href=move || close.get()>{tr(lang, "Close")}</a>
                                </p>
                                {super::contact_fields(&c.data, &groups)}
                            </aside>
                        }))
                    }
                    Ok(None) => None,
                    Err(e) => Some(Either::Right(view! { <aside class="contact-pane card">{error_view(e)}</aside> })),
                }
            })}
        </Transition>
    }
}
