//! Address books: open one, make one, rename and describe it, share it with an account, a team
//! or everyone (read-only or read and write) and withdraw a share, delete it to the trash and
//! bring it back; administrators also make company directories and manage teams.

use super::waiting;
use domain::{Access, BookInfo, BookKind, Grantee, ShareInfo, TeamInfo};
use leptos::either::Either;
use leptos::prelude::*;

use crate::books_api::{
    admin_teams, my_book_shares, my_books, share_teams, trashed_books, AdminCreateTeam,
    AdminDeleteTeam, AdminTeamMember, CopyToBook, CreateBook, CreateDirectory, DeleteBook,
    RestoreBook, ShareBook, UnshareBook, UpdateBook,
};
use crate::i18n::t;
use crate::PageTitle;

/// What the account may do with a book, in words.
pub fn access_label(b: &BookInfo) -> String {
    match (b.access, b.kind, &b.owner_name) {
        (Access::Owner, BookKind::Directory, _) => "company directory (you keep it)".into(),
        (Access::Owner, _, _) => "yours".into(),
        (Access::ReadWrite, _, Some(o)) => format!("shared by {o}, read and write"),
        (Access::ReadOnly, BookKind::Directory, _) => "company directory, read-only".into(),
        (Access::ReadOnly, _, Some(o)) => format!("shared by {o}, read-only"),
        (Access::ReadWrite, _, None) => "company directory, read and write".into(),
        (Access::ReadOnly, _, None) => "read-only".into(),
    }
}

/// Opens a book in the console: the server remembers the choice, then the list is shown.
pub fn open_book(id: String) {
    leptos::task::spawn_local(async move {
        if crate::books_api::switch_book(id).await.is_ok() {
            let _ = window().location().set_href("/");
        }
    });
}

fn error_of<T>(a: ServerAction<T>) -> impl Fn() -> Option<String> + Copy + Send + Sync + 'static
where
    T: Clone + Send + Sync + 'static,
    T: leptos::server_fn::ServerFn<Error = crate::error::AppError>,
    T::Output: Clone + Send + Sync + 'static,
{
    move || {
        a.value().get().and_then(|r| r.err()).map(|e| {
            e.field("name").or_else(|| e.field("description")).unwrap_or_else(|| e.to_string())
        })
    }
}

#[component]
pub fn BooksPage() -> impl IntoView {
    let create = ServerAction::<CreateBook>::new();
    let directory = ServerAction::<CreateDirectory>::new();
    let update = ServerAction::<UpdateBook>::new();
    let delete = ServerAction::<DeleteBook>::new();
    let restore = ServerAction::<RestoreBook>::new();
    let share = ServerAction::<ShareBook>::new();
    let unshare = ServerAction::<UnshareBook>::new();
    let team_create = ServerAction::<AdminCreateTeam>::new();
    let team_delete = ServerAction::<AdminDeleteTeam>::new();
    let team_member = ServerAction::<AdminTeamMember>::new();
    // Every resource of the page is made here, before its Suspenses (see `ContactDetail`).
    let books = Resource::new(|| (), |_| my_books());
    let trashed = Resource::new(|| (), |_| trashed_books());
    let me = Resource::new(|| (), |_| crate::api::whoami());
    let shares = Resource::new(|| (), |_| my_book_shares());
    let teams = Resource::new(|| (), |_| share_teams());
    // Refused (and not shown) for an account that is not an administrator.
    let admin_team_list = Resource::new(|| (), |_| admin_teams());
    Effect::watch(
        move || (share.version().get(), unshare.version().get()),
        move |_, _, _| shares.refetch(),
        false,
    );
    Effect::watch(
        move || {
            (team_create.version().get(), team_delete.version().get(), team_member.version().get())
        },
        move |_, _, _| admin_team_list.refetch(),
        false,
    );
    let team_actions = (team_create, team_delete, team_member);
    Effect::watch(
        move || {
            (
                create.version().get(),
                directory.version().get(),
                update.version().get(),
                delete.version().get(),
                restore.version().get(),
            )
        },
        move |_, _, _| {
            books.refetch();
            trashed.refetch();
            shares.refetch();
        },
        false,
    );
    let create_error = error_of(create);
    let directory_error = error_of(directory);
    view! {
        <PageTitle text="Address books · Rolo"/>
        <div class="toolbar"><h1>{t("Address books")}</h1></div>
        <p class="meta">
            "Keep contacts apart in several address books, and share a book with other people: "
            "read-only, or to read and change. A share withdrawn ends at once, on every device."
        </p>
        <ActionForm action=create attr:class="card new-book" attr:aria-label=t("New address book")>
            <div class="row">
                <div class="field">
                    <label for="book-name">{t("Name")}</label>
                    <input id="book-name" name="name" required maxlength="100"/>
                </div>
                <div class="field">
                    <label for="book-description">{t("Description")}</label>
                    <input id="book-description" name="description" maxlength="1000"/>
                </div>
            </div>
            <p class="error" role="alert">{create_error}</p>
            <button type="submit" class="primary">{t("Create address book")}</button>
        </ActionForm>
        <Transition fallback=|| view! { <p class="loading">{t("Loading…")}</p> }>
            {move || waiting(async move {
                let found = books.await;
                let shares = shares.await.unwrap_or_default();
                let teams = teams.await.unwrap_or_default();
                match found {
                    Ok(b) => {
                        let current = b.current.id;
                        Either::Left(view! {
                            <ul class="books">
                                {b.books.into_iter().map(|book| {
                                    let id = book.id.to_string();
                                    let with = shares.iter().find(|(b, _)| *b == id).map(|(_, s)| s.clone()).unwrap_or_default();
                                    book_card(book, current, with, teams.clone(), update, delete, share, unshare)
                                }).collect_view()}
                            </ul>
                        })
                    }
                    Err(e) => Either::Right(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Transition>
        <Suspense fallback=|| ()>
            {move || waiting(async move {
                let list = trashed.await.unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class="card" aria-labelledby="trashed-books">
                        <h2 id="trashed-books">{t("Deleted address books")}</h2>
                        <ul>
                            {list.into_iter().map(|b| view! {
                                <li>
                                    {b.name.clone()}
                                    <ActionForm action=restore attr:class="inline">
                                        <input type="hidden" name="id" value=b.id.to_string()/>
                                        <button type="submit" class="link" aria-label=format!("Restore {}", b.name)>{t("Restore")}</button>
                                    </ActionForm>
                                </li>
                            }).collect_view()}
                        </ul>
                    </section>
                })
            })}
        </Suspense>
        <Transition fallback=|| ()>
            {move || waiting(async move {
                let admin = matches!(me.await, Ok(Some(m)) if m.is_admin);
                let team_list = admin_team_list.await.unwrap_or_default();
                admin.then(|| view! {
                    <ActionForm action=directory attr:class="card new-directory" attr:aria-label=t("New company directory")>
                        <h2>{t("New company directory")}</h2>
                        <p class="meta">"A book every administrator keeps; share it with everyone or a team to let them read it."</p>
                        <div class="row">
                            <div class="field">
                                <label for="dir-name">{t("Name")}</label>
                                <input id="dir-name" name="name" required maxlength="100"/>
                            </div>
                            <div class="field">
                                <label for="dir-description">{t("Description")}</label>
                                <input id="dir-description" name="description" maxlength="1000"/>
                            </div>
                        </div>
                        <p class="error" role="alert">{directory_error}</p>
                        <button type="submit">{t("Create directory")}</button>
                    </ActionForm>
                    {teams_card(team_list, team_actions)}
                })
            })}
        </Transition>
    }
}

#[allow(clippy::too_many_arguments)]
fn book_card(
    b: BookInfo,
    current: domain::BookId,
    shares: Vec<ShareInfo>,
    teams: Vec<(String, String)>,
    update: ServerAction<UpdateBook>,
    delete: ServerAction<DeleteBook>,
    share: ServerAction<ShareBook>,
    unshare: ServerAction<UnshareBook>,
) -> impl IntoView {
    let id = b.id.to_string();
    let open_id = id.clone();
    let owner = b.access == Access::Owner;
    let label = access_label(&b);
    let heading = format!("book-{id}");
    let name = b.name.clone();
    let description = b.description.clone();
    let shown = (current == b.id).then_some(" · shown now");
    let open_label = format!("Open {name}");
    let (m_id, m_name, m_description, m_book) =
        (id.clone(), name.clone(), description.clone(), b.clone());
    let manage = owner.then(move || {
        let (id, name, description, b) = (m_id, m_name, m_description, m_book);
        let delete_form = (!b.is_first).then(|| {
            let (id, label) = (id.clone(), format!("Delete {name}"));
            view! {
                <ActionForm action=delete attr:class="inline">
                    <input type="hidden" name="id" value=id/>
                    <button type="submit" class="danger" aria-label=label>{t("Delete…")}</button>
                </ActionForm>
            }
        });
        let (name_label, description_label) =
            (format!("Name of {name}"), format!("Description of {name}"));
        view! {
            <details>
                <summary>{t("Rename or describe")}</summary>
                <ActionForm action=update attr:class="inline rename">
                    <input type="hidden" name="id" value=id.clone()/>
                    <input name="name" value=name.clone() aria-label=name_label maxlength="100" required/>
                    <input name="description" value=description.clone() aria-label=description_label maxlength="1000"/>
                    <button type="submit">{t("Save")}</button>
                </ActionForm>
            </details>
            {shares_section(b.clone(), shares, teams, share, unshare)}
            {delete_form}
        }
    });
    let labelled_by = heading.clone();
    let shown_description = (!description.is_empty()).then(|| {
        let d = description.clone();
        view! { <p class="description">{d}</p> }
    });
    view! {
        <li class="card book" aria-labelledby=labelled_by>
            <h2 id=heading>{name}</h2>
            <p class="meta">{label}{shown}</p>
            {shown_description}
            <button type="button" aria-label=open_label on:click=move |_| open_book(open_id.clone())>{t("Open")}</button>
            {manage}
        </li>
    }
}

/// Who book `book` is shared with (`list`), and the form to share it (`teams`: the teams it can
/// be shared with).
fn shares_section(
    book: BookInfo,
    list: Vec<ShareInfo>,
    teams: Vec<(String, String)>,
    share: ServerAction<ShareBook>,
    unshare: ServerAction<UnshareBook>,
) -> impl IntoView {
    let id = book.id.to_string();
    let teams = StoredValue::new(teams);
    let error = error_of(share);
    let with = RwSignal::new("account".to_string());
    let name = book.name.clone();
    let shared = if list.is_empty() {
        Either::Left(view! { <p class="empty">{t("Nobody yet.")}</p> })
    } else {
        Either::Right(view! {
            <ul>
                {list.into_iter().map(|s| {
                    let (kind, gid) = match &s.grantee {
                        Grantee::Account(a) => ("account", a.to_string()),
                        Grantee::Team(t) => ("team", t.to_string()),
                        Grantee::Everyone => ("everyone", String::new()),
                    };
                    let what = if s.can_write { "read and write" } else { "read-only" };
                    let id = id.clone();
                    let stop = format!("Stop sharing with {}", s.grantee_name);
                    view! {
                        <li>
                            <span class="grantee">{s.grantee_name.clone()}</span> " · " {what}
                            <ActionForm action=unshare attr:class="inline">
                                <input type="hidden" name="id" value=id/>
                                <input type="hidden" name="with" value=kind/>
                                <input type="hidden" name="grantee" value=gid/>
                                <button type="submit" class="link" aria-label=stop>{t("Stop sharing")}</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        })
    };
    view! {
        <section class="shares" aria-label=format!("Sharing of {name}")>
            <h3>{t("Shared with")}</h3>
            {shared}
            <ActionForm action=share attr:class="inline share-form" attr:aria-label=format!("Share {}", book.name)>
                <input type="hidden" name="id" value=book.id.to_string()/>
                <select name="with" aria-label=t("Share with") on:change=move |ev| with.set(event_target_value(&ev))>
                    <option value="account">{t("an account")}</option>
                    <option value="team">{t("a team")}</option>
                    <option value="everyone">{t("everyone")}</option>
                </select>
                {move || match with.get().as_str() {
                    "team" => Either::Left(view! {
                        <select name="name" aria-label=t("Team")>
                            {teams.get_value().into_iter().map(|(id, n)| view! { <option value=id>{n}</option> }).collect_view()}
                        </select>
                    }),
                    "everyone" => Either::Right(Either::Left(view! { <input type="hidden" name="name" value=""/> })),
                    _ => Either::Right(Either::Right(view! {
                        <input name="name" aria-label=t("Username") placeholder=t("username") maxlength="64" required/>
                    })),
                }}
                <select name="access" aria-label=t("Permission")>
                    <option value="read">{t("read-only")}</option>
                    <option value="write">{t("read and write")}</option>
                </select>
                <button type="submit">{t("Share")}</button>
                <p class="error" role="alert">{error}</p>
            </ActionForm>
        </section>
    }
}

/// The teams (administrators): `list`, and the actions that change them.
fn teams_card(
    list: Vec<TeamInfo>,
    (create, delete, member): (
        ServerAction<AdminCreateTeam>,
        ServerAction<AdminDeleteTeam>,
        ServerAction<AdminTeamMember>,
    ),
) -> impl IntoView {
    let error = move || {
        create
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| member.value().get().and_then(|r| r.err()))
            .map(|e| e.field("name").unwrap_or_else(|| e.to_string()))
    };
    view! {
        <section class="card teams" aria-labelledby="teams-title">
            <h2 id="teams-title">{t("Teams")}</h2>
            <ActionForm action=create attr:class="inline" attr:aria-label=t("New team")>
                <input name="name" aria-label=t("Team name") maxlength="100" required/>
                <button type="submit">{t("Create team")}</button>
            </ActionForm>
            <p class="error" role="alert">{error}</p>
            <ul>
                {list.into_iter().map(|team| {
                    let tid = team.id.to_string();
                    let (tid2, tid3) = (tid.clone(), tid.clone());
                    let (add_label, remove_label, delete_label) = (
                        format!("Add to {}", team.name),
                        format!("Remove from {}", team.name),
                        format!("Delete team {}", team.name),
                    );
                    let members = team.members.iter().map(|m| m.1.clone()).collect::<Vec<_>>().join(", ");
                    view! {
                        <li>
                            <strong>{team.name.clone()}</strong> ": " {if members.is_empty() { "no members".to_string() } else { members }}
                            <ActionForm action=member attr:class="inline">
                                <input type="hidden" name="team" value=tid/>
                                <input type="hidden" name="member" value="on"/>
                                <input name="username" aria-label=add_label placeholder=t("username") required/>
                                <button type="submit">{t("Add")}</button>
                            </ActionForm>
                            <ActionForm action=member attr:class="inline">
                                <input type="hidden" name="team" value=tid2/>
                                <input name="username" aria-label=remove_label placeholder=t("username") required/>
                                <button type="submit">{t("Remove")}</button>
                            </ActionForm>
                            <ActionForm action=delete attr:class="inline">
                                <input type="hidden" name="id" value=tid3/>
                                <button type="submit" class="danger" aria-label=delete_label>{t("Delete")}</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// Copy or move the selected contacts to another book the account may change.
pub fn copy_to_book_control(chosen: crate::api::Selection) -> impl IntoView {
    let books = Resource::new(|| (), |_| my_books());
    let copy = ServerAction::<CopyToBook>::new();
    let target = RwSignal::new(String::new());
    let moving = RwSignal::new(false);
    let chosen = StoredValue::new(chosen);
    // A move changes the list shown: load it afresh.
    Effect::watch(
        move || copy.version().get(),
        move |_, _, _| {
            if matches!(copy.value().get_untracked(), Some(Ok(_))) && moving.get_untracked() {
                let _ = window().location().reload();
            }
        },
        false,
    );
    let run = move |remove: bool| {
        let to = target.get_untracked();
        if !to.is_empty() {
            moving.set(remove);
            copy.dispatch(CopyToBook { selection: chosen.get_value(), to, remove });
        }
    };
    let message = move || match copy.value().get() {
        Some(Ok(n)) => Some(format!("{n} copied")),
        Some(Err(e)) => Some(e.to_string()),
        None => None,
    };
    view! {
        <Suspense fallback=|| ()>
            {move || waiting(async move {
                let Ok(b) = books.await else { return None };
                let current = b.current.id;
                let targets: Vec<BookInfo> =
                    b.books.into_iter().filter(|x| x.id != current && x.access.can_write()).collect();
                if targets.is_empty() {
                    return None;
                }
                if target.get_untracked().is_empty() {
                    target.set(targets[0].id.to_string());
                }
                Some(view! {
                    <span class="copy-to-book">
                        <select aria-label=t("Address book for the selection") on:change=move |ev| target.set(event_target_value(&ev))>
                            {targets.into_iter().map(|x| view! { <option value=x.id.to_string()>{x.name.clone()}</option> }).collect_view()}
                        </select>
                        <button type="button" on:click=move |_| run(false)>{t("Copy to book")}</button>
                        <button type="button" class="edit-control" on:click=move |_| run(true)>{t("Move to book")}</button>
                        <span role="status">{message}</span>
                    </span>
                })
            })}
        </Suspense>
    }
}
