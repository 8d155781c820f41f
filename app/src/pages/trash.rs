//! The trash: deleted contacts, restorable until they are erased (after the retention, or when
//! the trash is emptied).

use std::collections::BTreeSet;

use crate::PageTitle;
use leptos::either::Either;
use leptos::prelude::*;

use super::{error_view, loading, waiting};
use crate::api::{empty_trash, restore_from_trash, trash};
use crate::i18n::{lang, tr, Lang};

fn who(lang: Lang, origin: &str) -> String {
    match (lang, origin) {
        (Lang::Zh, "console") => "浏览器".into(),
        (Lang::Zh, "cli") => "命令行".into(),
        (Lang::En, "console") => "browser".into(),
        (Lang::En, "cli") => "command line".into(),
        (Lang::Zh, o) if o.starts_with("device:") => "同步设备".into(),
        (Lang::Zh, o) if o.starts_with("undo:") => "撤销更改".into(),
        (Lang::En, o) if o.starts_with("undo:") => "Undo changes".into(),
        (Lang::En, o) if o.starts_with("device:") => "a sync device".into(),
        (_, o) => o.to_string(),
    }
}

#[component]
pub fn TrashPage() -> impl IntoView {
    let lang = lang();
    let items = Resource::new(|| (), |_| trash());
    let picked = RwSignal::new(BTreeSet::<String>::new());
    let confirm_empty = RwSignal::new(false);
    let message = RwSignal::new(None::<String>);
    let restore = Action::new(move |ids: &Vec<String>| {
        let ids = ids.clone();
        async move { restore_from_trash(ids).await }
    });
    let empty = Action::new(move |_: &()| async move { empty_trash().await });
    Effect::watch(
        move || restore.version().get(),
        move |_, _, _| {
            if let Some(r) = restore.value().get_untracked() {
                message.set(Some(match (r, lang) {
                    (Ok(n), Lang::Zh) => format!("已恢复 {n} 位联系人。"),
                    (Ok(n), Lang::En) => {
                        format!("Restored {n} contact{}.", if n == 1 { "" } else { "s" })
                    }
                    (Err(e), _) => e.to_string(),
                }));
            }
            picked.set(Default::default());
            items.refetch();
        },
        false,
    );
    Effect::watch(
        move || empty.version().get(),
        move |_, _, _| {
            confirm_empty.set(false);
            items.refetch();
        },
        false,
    );
    view! {
        <PageTitle text=format!("{} · Rolo", tr(lang, "Trash"))/>
        <div class="toolbar">
            <h1>{tr(lang, "Trash")}</h1>
            <a href="/undo">{tr(lang, "Undo changes…")}</a>
        </div>
        {move || message.get().map(|m| view! { <p class="toast card" role="status">{m}</p> })}
        <Transition fallback=loading>
            {move || waiting(async move {
                let view = match items.await {
                    Ok(v) => v,
                    Err(e) => return Either::Right(error_view(e)),
                };
                let days = view.days;
                let intro = match lang {
                    Lang::Zh => format!("已删除的联系人在此保留 {days} 天，之后永久清除。"),
                    Lang::En => format!("Deleted contacts stay here for {days} days, then are erased for good."),
                };
                if view.items.is_empty() {
                    return Either::Left(Either::Left(view! {
                        <p>{intro}</p>
                        <p class="empty">{tr(lang, "The trash is empty.")}</p>
                    }));
                }
                let rows = view.items.into_iter().map(|t| {
                    let id = t.id.to_string();
                    let id2 = id.clone();
                    let label = match lang {
                        Lang::Zh => format!("选择 {}", t.display_name),
                        Lang::En => format!("Select {}", t.display_name),
                    };
                    let restore_label = match lang {
                        Lang::Zh => format!("恢复 {}", t.display_name),
                        Lang::En => format!("Restore {}", t.display_name),
                    };
                    view! {
                        <tr>
                            <td class="pick"><input type="checkbox" aria-label=label
                                prop:checked={let id = id.clone(); move || picked.with(|p| p.contains(&id))}
                                on:change={let id = id.clone(); move |ev| {
                                    let on = event_target_checked(&ev);
                                    picked.update(|p| { if on { p.insert(id.clone()); } else { p.remove(&id); } });
                                }}/></td>
                            <td>{t.display_name.clone()}</td>
                            <td class="phone">{t.phone.clone().unwrap_or_default()}</td>
                            <td>{t.deleted_at.format("%Y-%m-%d %H:%M UTC").to_string()}</td>
                            <td>{who(lang, &t.deleted_by)}</td>
                            <td>{t.purge_at.format("%Y-%m-%d").to_string()}</td>
                            <td><button type="button" class="link" aria-label=restore_label
                                on:click=move |_| { restore.dispatch(vec![id2.clone()]); }>{tr(lang, "Restore")}</button></td>
                        </tr>
                    }
                }).collect_view();
                Either::Left(Either::Right(view! {
                    <p>{intro}</p>
                    <div class="selection-bar card">
                        <button type="button" disabled=move || picked.with(|p| p.is_empty())
                            on:click=move |_| { restore.dispatch(picked.get_untracked().into_iter().collect()); }>
                            {tr(lang, "Restore selected")}
                        </button>
                        <span class="sep"></span>
                        <button type="button" class="danger" on:click=move |_| confirm_empty.set(true)>{tr(lang, "Empty trash…")}</button>
                    </div>
                    <table class="contacts trash">
                        <thead><tr>
                            <th scope="col" class="pick"></th>
                            <th scope="col">{tr(lang, "Name")}</th>
                            <th scope="col" class="phone">{tr(lang, "Phone")}</th>
                            <th scope="col">{tr(lang, "Deleted")}</th>
                            <th scope="col">{tr(lang, "By")}</th>
                            <th scope="col">{tr(lang, "Erased on")}</th>
                            <th scope="col"></th>
                        </tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                }))
            })}
        </Transition>
        <Show when=move || confirm_empty.get()>
            <div class="backdrop">
                <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="empty-title"
                    on:keydown=move |ev| if ev.key() == "Escape" { confirm_empty.set(false) }>
                    <h2 id="empty-title">{tr(lang, "Empty the trash?")}</h2>
                    <p>{tr(lang, "Everything in the trash is erased for good. This cannot be undone.")}</p>
                    <button type="button" class="danger" autofocus on:click=move |_| { empty.dispatch(()); }>{tr(lang, "Empty trash")}</button>
                    <button type="button" on:click=move |_| confirm_empty.set(false)>{tr(lang, "Cancel")}</button>
                </div>
            </div>
        </Show>
    }
}
