//! Undo changes: put the address book (or one group) back as it was at a chosen time of the last
//! 30 days — a preview of what is restored, changed back and removed, then one undo that the
//! store writes as one step and devices receive at their next sync.

use super::waiting;
use crate::PageTitle;
use leptos::either::Either;
use leptos::prelude::*;
use views::{UndoContact, UndoPreview};

use crate::api::{list_groups, undo_apply, undo_preview};
use crate::error::AppError;
use crate::i18n::{tr, Lang};

/// Milliseconds since the epoch of a `datetime-local` value, read in the browser's time zone
/// (on the server, where nothing runs it, as UTC).
fn local_to_ms(value: &str) -> Option<i64> {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsValue;
        let t = leptos::web_sys::js_sys::Date::new(&JsValue::from_str(value)).get_time();
        (!value.is_empty() && !t.is_nan()).then_some(t as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M"))
            .ok()
            .map(|d| d.and_utc().timestamp_millis())
    }
}

/// An hour ago, as a `datetime-local` value in the browser's time zone.
#[cfg(feature = "hydrate")]
fn an_hour_ago() -> String {
    use leptos::wasm_bindgen::JsValue;
    use leptos::web_sys::js_sys::Date;
    let d = Date::new(&JsValue::from_f64(Date::now() - 3_600_000.0));
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        d.get_full_year(),
        d.get_month() + 1,
        d.get_date(),
        d.get_hours(),
        d.get_minutes(),
        d.get_seconds()
    )
}

fn heading(lang: Lang, what: &'static str, n: usize) -> String {
    format!("{} ({n})", tr(lang, what))
}

fn done_message(lang: Lang, d: views::UndoDone) -> String {
    match lang {
        Lang::Zh => format!(
            "已撤销：恢复 {} 位，改回 {} 位，移除 {} 位联系人。",
            d.restored, d.changed_back, d.removed
        ),
        Lang::En => format!(
            "Undone: {} restored, {} changed back, {} removed.",
            d.restored, d.changed_back, d.removed
        ),
    }
}

/// One of the preview's three lists.
fn undo_list(
    lang: Lang,
    key: &'static str,
    title: &'static str,
    items: Vec<UndoContact>,
) -> impl IntoView {
    let id = format!("undo-{key}");
    let labelled_by = id.clone();
    let n = items.len();
    let rows = items
        .into_iter()
        .map(|i| {
            let now = i.name_now.map(|now| {
                let text = match lang {
                    Lang::Zh => format!("（现在：{now}）"),
                    Lang::En => format!(" (now: {now})"),
                };
                view! { <span class="meta">{text}</span> }
            });
            view! { <li><a href=format!("/contacts/{}", i.id)>{i.name}</a>{now}</li> }
        })
        .collect_view();
    view! {
        <section class="undo-list" data-list=key aria-labelledby=labelled_by>
            <h3 id=id>{heading(lang, title, n)}</h3>
            {if n == 0 {
                Either::Left(view! { <p class="empty">{tr(lang, "None.")}</p> })
            } else {
                Either::Right(view! { <ul>{rows}</ul> })
            }}
        </section>
    }
}

#[component]
pub fn UndoPage() -> impl IntoView {
    let lang = crate::i18n::lang();
    let groups = Resource::new(|| (), |_| list_groups());
    let when = RwSignal::new(String::new());
    let group = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let message = RwSignal::new(None::<String>);
    let shown = RwSignal::new(None::<(String, UndoPreview)>);
    // The default, an hour ago, in the browser's own time zone (effects run only there).
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if when.get_untracked().is_empty() {
            when.set(an_hour_ago());
        }
    });
    let preview = Action::new(move |(at, group): &(i64, String)| {
        let (at, group) = (*at, group.clone());
        async move { undo_preview(at, group).await }
    });
    let apply = Action::new(move |(at, group, expected): &(i64, String, Vec<String>)| {
        let (at, group, expected) = (*at, group.clone(), expected.clone());
        async move { undo_apply(at, group, expected).await }
    });
    let fail = move |e: AppError| {
        error.set(Some(e.field("at").unwrap_or_else(|| e.to_string())));
    };
    Effect::watch(
        move || preview.version().get(),
        move |_, _, _| match preview.value().get_untracked() {
            Some(Ok(p)) => shown.set(Some((when.get_untracked().replace('T', " "), p))),
            Some(Err(e)) => fail(e),
            None => {}
        },
        false,
    );
    Effect::watch(
        move || apply.version().get(),
        move |_, _, _| match apply.value().get_untracked() {
            Some(Ok(d)) => {
                shown.set(None);
                message.set(Some(done_message(lang, d)));
            }
            Some(Err(e)) => fail(e),
            None => {}
        },
        false,
    );
    let run_preview = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        error.set(None);
        message.set(None);
        shown.set(None);
        match local_to_ms(&when.get_untracked()) {
            Some(at) => {
                preview.dispatch((at, group.get_untracked()));
            }
            None => error.set(Some(tr(lang, "Choose a date and time.").to_string())),
        }
    };
    let run_apply = move |_| {
        let Some((_, p)) = shown.get_untracked() else { return };
        error.set(None);
        let expected: Vec<String> = p
            .restored
            .iter()
            .chain(&p.changed_back)
            .chain(&p.removed)
            .map(|i| format!("{}:{}", i.id, i.revision))
            .collect();
        let group = p.group.map(|g| g.to_string()).unwrap_or_default();
        apply.dispatch((p.at.timestamp_millis(), group, expected));
    };
    let intro = match lang {
        Lang::Zh => "将通讯录（或一个分组）恢复到过去 30 天内某一时刻的样子：此后删除的联系人会恢复，修改会被改回，新增的联系人移入回收站。撤销在每位联系人的历史记录中是一步，设备会在下次同步时收到。",
        Lang::En => "Put the address book (or one group) back as it was at a time in the last 30 days: contacts deleted since come back, edits are changed back, and contacts added since go to the trash. The undo is one step in each contact's history, and your devices receive it at their next sync.",
    };
    view! {
        <PageTitle text=format!("{} · Rolo", tr(lang, "Undo changes"))/>
        <div class="toolbar">
            <h1>{tr(lang, "Undo changes")}</h1>
            <a href="/trash">{tr(lang, "Trash")}</a>
        </div>
        <p>{intro}</p>
        {move || message.get().map(|m| view! { <p class="toast card" role="status">{m}</p> })}
        <form class="card undo-form" aria-label=tr(lang, "Undo changes") on:submit=run_preview>
            <div class="row">
                <div class="field">
                    <label for="undo-at">{tr(lang, "Back to (your local time)")}</label>
                    <input id="undo-at" name="at" type="datetime-local" step="1" required
                        prop:value=move || when.get()
                        on:input=move |ev| { when.set(event_target_value(&ev)); shown.set(None); }/>
                </div>
                <div class="field">
                    <label for="undo-group">{tr(lang, "Contacts")}</label>
                    <Suspense fallback=move || view! { <select id="undo-group" disabled=true></select> }>
                        {move || waiting(async move {
                            let groups = groups.await.unwrap_or_default();
                            view! {
                                <select id="undo-group" name="group"
                                    on:change=move |ev| { group.set(event_target_value(&ev)); shown.set(None); }>
                                    <option value="">{tr(lang, "The whole address book")}</option>
                                    {groups.into_iter().map(|g| {
                                        let label = match lang {
                                            Lang::Zh => format!("分组：{}", g.name),
                                            Lang::En => format!("Group: {}", g.name),
                                        };
                                        view! { <option value=g.id.to_string()>{label}</option> }
                                    }).collect_view()}
                                </select>
                            }
                        })}
                    </Suspense>
                </div>
            </div>
            <p class="error" role="alert">{move || error.get()}</p>
            <div class="actions">
                <button type="submit" disabled=move || preview.pending().get()>{tr(lang, "Preview")}</button>
            </div>
        </form>
        {move || shown.get().map(|(when, p)| {
            let title = match lang {
                Lang::Zh => format!("预览：恢复到 {when}"),
                Lang::En => format!("Preview: back to {when}"),
            };
            let unknown = (p.unknown > 0).then(|| {
                let text = match lang {
                    Lang::Zh => format!("另有 {} 位联系人此后有更改，但其当时的内容已随回收站清除，将保持不变。", p.unknown),
                    Lang::En => format!("{} more changed since, but how they were then was erased with the trash: they stay as they are.", p.unknown),
                };
                view! { <p class="meta">{text}</p> }
            });
            let body = if p.is_empty() {
                Either::Left(view! { <p class="empty">{tr(lang, "Nothing changed since then.")}</p> })
            } else {
                Either::Right(view! {
                    {undo_list(lang, "restored", "Restored", p.restored.clone())}
                    {undo_list(lang, "changed", "Changed back", p.changed_back.clone())}
                    {undo_list(lang, "removed", "Removed", p.removed.clone())}
                    <div class="actions">
                        <button type="button" class="primary edit-control"
                            disabled=move || apply.pending().get()
                            on:click=run_apply>{tr(lang, "Restore")}</button>
                    </div>
                })
            };
            view! {
                <section class="card undo-preview" aria-labelledby="undo-preview-title">
                    <h2 id="undo-preview-title">{title}</h2>
                    {body}
                    {unknown}
                </section>
            }
        })}
    }
}
