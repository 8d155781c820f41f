//! Possible duplicates (same phone, email or name) and the merge dialog, where the user picks
//! each field's value; every phone number and email address of all the contacts is kept.

use crate::PageTitle;
use domain::merge::{field_values, MergePicks, MERGE_FIELDS};
use domain::Contact;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;
use views::DuplicateSet;

use super::{error_view, loading, waiting};
use crate::api::{contacts_by_ids, duplicates, merge_contacts};
use crate::i18n::{lang, tr, Lang};

fn field_label(lang: Lang, f: &str) -> &'static str {
    tr(
        lang,
        match f {
            "display_name" => "Display name",
            "family_name" => "Family name",
            "given_name" => "Given name",
            "nickname" => "Nickname",
            "organization" => "Organization",
            "title" => "Title",
            "birthday" => "Birthday",
            "anniversary" => "Anniversary",
            "notes" => "Notes",
            _ => "Other fields",
        },
    )
}

#[component]
pub fn DuplicatesPage() -> impl IntoView {
    let lang = lang();
    let sets = Resource::new(|| (), |_| duplicates());
    let merging = RwSignal::new(None::<Vec<String>>);
    view! {
        <PageTitle text=format!("{} · Rolo", tr(lang, "Possible duplicates"))/>
        <div class="toolbar"><h1>{tr(lang, "Possible duplicates")}</h1></div>
        <Transition fallback=loading>
            {move || waiting(async move {
                match sets.await {
                    Ok(sets) if sets.is_empty() => Either::Left(Either::Left(view! { <p class="empty">{tr(lang, "No possible duplicates.")}</p> })),
                    Ok(sets) => Either::Left(Either::Right(view! {
                        <p class="count">{match lang { Lang::Zh => format!("{} 组", sets.len()), Lang::En => format!("{} sets", sets.len()) }}</p>
                        <ul class="dup-sets">{sets.into_iter().take(500).map(|s| dup_set(lang, s, merging)).collect_view()}</ul>
                    })),
                    Err(e) => Either::Right(error_view(e)),
                }
            })}
        </Transition>
        {move || merging.get().map(|ids| view! { <MergeDialog ids=ids merging=merging/> })}
    }
}

fn dup_set(lang: Lang, s: DuplicateSet, merging: RwSignal<Option<Vec<String>>>) -> impl IntoView {
    let reason = tr(
        lang,
        match s.reason.as_str() {
            "phone" => "Same phone",
            "email" => "Same email",
            _ => "Same name",
        },
    );
    let ids: Vec<String> = s.contacts.iter().map(|c| c.id.to_string()).collect();
    let names = s.contacts.iter().map(|c| c.display_name.clone()).collect::<Vec<_>>().join(", ");
    let merge_label = match lang {
        Lang::Zh => format!("合并 {names}"),
        Lang::En => format!("Merge {names}"),
    };
    view! {
        <li class="card dup-set">
            <p class="reason">{reason} ": " <strong>{s.value.clone()}</strong></p>
            <ul>
                {s.contacts.into_iter().map(|c| view! {
                    <li>
                        <a href=format!("/contacts/{}", c.id)>{c.display_name.clone()}</a>
                        " " <span class="muted">{c.phone.clone().unwrap_or_default()} " " {c.email.clone().unwrap_or_default()}</span>
                    </li>
                }).collect_view()}
            </ul>
            <button type="button" aria-label=merge_label on:click=move |_| merging.set(Some(ids.clone()))>{tr(lang, "Merge…")}</button>
        </li>
    }
}

#[component]
fn MergeDialog(ids: Vec<String>, merging: RwSignal<Option<Vec<String>>>) -> impl IntoView {
    let lang = lang();
    let contacts = Resource::new(move || ids.clone(), contacts_by_ids);
    let picks = RwSignal::new(Vec::<(String, usize)>::new());
    let merge = Action::new(move |(cs, picks): &(Vec<Contact>, Vec<(String, usize)>)| {
        let ids = cs.iter().map(|c| c.id.to_string()).collect();
        let revisions = cs.iter().map(|c| c.revision).collect();
        let picks = MergePicks(picks.clone());
        async move { merge_contacts(ids, revisions, picks).await }
    });
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(id)) = merge.value().get() {
            merging.set(None);
            navigate(&format!("/contacts/{id}"), Default::default());
        }
    });
    let error = move || merge.value().get().and_then(|r| r.err()).map(|e| e.to_string());
    view! {
        <div class="backdrop">
            <div class="dialog card merge" role="dialog" aria-modal="true" aria-labelledby="merge-title"
                on:keydown=move |ev| if ev.key() == "Escape" { merging.set(None) }>
                <h2 id="merge-title">{tr(lang, "Merge contacts")}</h2>
                <p>{tr(lang, "Pick the value to keep for each field. Every phone number and email address of all of them is kept.")}</p>
                <Suspense fallback=loading>
                    {move || waiting(async move {
                        let cs = match contacts.await {
                            Ok(cs) => cs,
                            Err(e) => return Either::Right(error_view(e)),
                        };
                        let data: Vec<domain::ContactData> = cs.iter().map(|c| c.data.clone()).collect();
                        let fields = MERGE_FIELDS.iter().filter_map(|f| {
                            let values = field_values(&data, f);
                            let distinct: std::collections::BTreeSet<&String> = values.iter().filter(|v| !v.is_empty()).collect();
                            if distinct.len() < 2 {
                                return None;
                            }
                            let default = values.iter().position(|v| !v.is_empty()).unwrap_or(0);
                            let f = f.to_string();
                            let options = values.into_iter().enumerate().map(|(i, v)| {
                                let f2 = f.clone();
                                let f3 = f.clone();
                                let shown = if v.is_empty() { tr(lang, "(empty)").to_string() } else { v.clone() };
                                view! {
                                    <label class="choice">
                                        <input type="radio" name=format!("pick-{f}") value=i.to_string()
                                            prop:checked=move || picks.with(|p| p.iter().find(|(x, _)| *x == f2).map(|(_, j)| *j).unwrap_or(default) == i)
                                            on:change=move |_| picks.update(|p| { p.retain(|(x, _)| *x != f3); p.push((f3.clone(), i)); })/>
                                        {shown}
                                    </label>
                                }
                            }).collect_view();
                            Some(view! {
                                <fieldset>
                                    <legend>{field_label(lang, &f)}</legend>
                                    {options}
                                </fieldset>
                            })
                        }).collect_view();
                        let kept = domain::merge::merge(&data, &MergePicks::default());
                        let phones: Vec<String> = kept.phones.iter().map(|p| p.value.as_str().to_string()).collect();
                        let emails: Vec<String> = kept.emails.iter().map(|e| e.value.as_str().to_string()).collect();
                        let cs2 = cs.clone();
                        Either::Left(view! {
                            {fields}
                            <p class="kept"><strong>{tr(lang, "Phones")}</strong>": " {phones.join(", ")}</p>
                            <p class="kept"><strong>{tr(lang, "Emails")}</strong>": " {emails.join(", ")}</p>
                            <button type="button" class="primary" on:click=move |_| { merge.dispatch((cs2.clone(), picks.get_untracked())); }>{tr(lang, "Merge")}</button>
                        })
                    })}
                </Suspense>
                {move || error().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                <button type="button" on:click=move |_| merging.set(None)>{tr(lang, "Cancel")}</button>
            </div>
        </div>
    }
}
