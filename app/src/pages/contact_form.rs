//! The contact editor. A plain HTML form (works without JavaScript) whose field names map onto
//! `ContactDraft`; once hydrated, "Add …" buttons append rows and errors appear next to their
//! fields without losing what was typed.

use domain::{AddressDraft, Contact, ContactDraft, ExtraField, LabeledDraft};
use leptos::prelude::*;

use crate::api::{list_groups, SaveContact};
use crate::error::AppError;

type Save = ServerAction<SaveContact>;

fn error_for(
    save: Save,
    key: String,
) -> impl Fn() -> Option<String> + Send + Sync + Clone + 'static {
    move || {
        save.value().with(|v| v.as_ref().and_then(|r| r.as_ref().err()).and_then(|e| e.field(&key)))
    }
}

fn dom_id(key: &str) -> String {
    let mut s = String::from("f-");
    s.extend(key.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }));
    s
}

/// A labelled text input with its error message under it.
fn text_input(
    save: Save,
    label: &'static str,
    key: &str,
    name: String,
    value: String,
    kind: &'static str,
) -> impl IntoView {
    let id = dom_id(key);
    let err = error_for(save, key.to_string());
    let err2 = err.clone();
    let err_id = format!("{id}-error");
    view! {
        <div class="field">
            <label for=id.clone()>{crate::i18n::t(label)}</label>
            <input
                id=id
                name=name
                type=kind
                value=value
                aria-invalid=move || if err().is_some() { "true" } else { "false" }
                aria-describedby=err_id.clone()
            />
            <span class="field-error" id=err_id role="alert">{err2}</span>
        </div>
    }
}

fn with_blank<T: Default>(mut v: Vec<T>) -> Vec<T> {
    v.push(T::default());
    v
}

#[component]
fn LabeledRows(
    save: Save,
    /// `phones` or `emails`.
    kind: &'static str,
    title: &'static str,
    value_label: &'static str,
    input_type: &'static str,
    initial: Vec<LabeledDraft>,
) -> impl IntoView {
    let initial = StoredValue::new(with_blank(initial));
    let rows = RwSignal::new(initial.with_value(|v| v.len()));
    view! {
        <fieldset class="rows">
            <legend>{crate::i18n::t(title)}</legend>
            <For each=move || 0..rows.get() key=|i| *i let:i>
                {
                    let row = initial.with_value(|v| v.get(i).cloned().unwrap_or_default());
                    let label_id = dom_id(&format!("{kind}[{i}].label"));
                    view! {
                        <div class="row">
                            <div class="field label-field">
                                <label for=label_id.clone()>{match crate::i18n::lang() {
                                    crate::i18n::Lang::Zh => format!("{} {} 类型", crate::i18n::t(value_label), i + 1),
                                    crate::i18n::Lang::En => format!("{value_label} {} type", i + 1),
                                }}</label>
                                <input
                                    id=label_id
                                    name=format!("contact[{kind}][{i}][label]")
                                    list="label-choices"
                                    value=row.label
                                    placeholder="mobile"
                                />
                            </div>
                            {text_input(
                                save,
                                value_label,
                                &format!("{kind}[{i}].value"),
                                format!("contact[{kind}][{i}][value]"),
                                row.value,
                                input_type,
                            )}
                        </div>
                    }
                }
            </For>
            <button type="button" class="link" on:click=move |_| rows.update(|n| *n += 1)>
                {match crate::i18n::lang() {
                    crate::i18n::Lang::Zh => format!("添加{}", crate::i18n::t(value_label)),
                    crate::i18n::Lang::En => format!("Add {}", value_label.to_lowercase()),
                }}
            </button>
        </fieldset>
    }
}

#[component]
fn AddressRows(save: Save, initial: Vec<AddressDraft>) -> impl IntoView {
    let initial = StoredValue::new(with_blank(initial));
    let rows = RwSignal::new(initial.with_value(|v| v.len()));
    view! {
        <fieldset class="rows">
            <legend>{crate::i18n::t("Addresses")}</legend>
            <For each=move || 0..rows.get() key=|i| *i let:i>
                {
                    let a = initial.with_value(|v| v.get(i).cloned().unwrap_or_default());
                    let label_id = dom_id(&format!("addresses[{i}].label"));
                    let n = |f: &str| format!("contact[addresses][{i}][{f}]");
                    let k = |f: &str| format!("addresses[{i}].{f}");
                    view! {
                        <div class="address">
                            <div class="field label-field">
                                <label for=label_id.clone()>{match crate::i18n::lang() {
                                    crate::i18n::Lang::Zh => format!("地址 {} 类型", i + 1),
                                    crate::i18n::Lang::En => format!("Address {} type", i + 1),
                                }}</label>
                                <input id=label_id name=n("label") list="label-choices" value=a.label placeholder="home"/>
                            </div>
                            {text_input(save, "Street", &k("street"), n("street"), a.street, "text")}
                            {text_input(save, "Apartment, suite", &k("extended"), n("extended"), a.extended, "text")}
                            {text_input(save, "PO box", &k("po_box"), n("po_box"), a.po_box, "text")}
                            {text_input(save, "Postal code", &k("postal_code"), n("postal_code"), a.postal_code, "text")}
                            {text_input(save, "City", &k("locality"), n("locality"), a.locality, "text")}
                            {text_input(save, "Region", &k("region"), n("region"), a.region, "text")}
                            {text_input(save, "Country", &k("country"), n("country"), a.country, "text")}
                        </div>
                    }
                }
            </For>
            <button type="button" class="link" on:click=move |_| rows.update(|n| *n += 1)>{crate::i18n::t("Add address")}</button>
        </fieldset>
    }
}

#[component]
fn ExtraRows(save: Save, initial: Vec<ExtraField>) -> impl IntoView {
    let initial = StoredValue::new(initial);
    let rows = RwSignal::new(initial.with_value(|v| v.len()));
    view! {
        <fieldset class="rows">
            <legend>{crate::i18n::t("Other fields")}</legend>
            <For each=move || 0..rows.get() key=|i| *i let:i>
                {
                    let x = initial.with_value(|v| v.get(i).cloned().unwrap_or(ExtraField { name: String::new(), value: String::new() }));
                    view! {
                        <div class="row">
                            {text_input(save, "Field name", &format!("extra[{i}].name"), format!("contact[extra][{i}][name]"), x.name, "text")}
                            {text_input(save, "Value", &format!("extra[{i}].value"), format!("contact[extra][{i}][value]"), x.value, "text")}
                        </div>
                    }
                }
            </For>
            <button type="button" class="link" on:click=move |_| rows.update(|n| *n += 1)>{crate::i18n::t("Add field")}</button>
        </fieldset>
    }
}

/// One checkbox per group; checked ones are sent as `contact[groups][i]`.
#[component]
fn GroupChecks(selected: Vec<String>) -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_groups());
    let selected = StoredValue::new(selected);
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let groups = groups.await.unwrap_or_default();
                (!groups.is_empty()).then(|| view! {
                    <fieldset class="rows">
                        <legend>{crate::i18n::t("Groups")}</legend>
                        <div class="checks">
                            {groups.into_iter().enumerate().map(|(i, g)| {
                                let id = g.id.to_string();
                                let checked = selected.with_value(|s| s.contains(&id));
                                view! {
                                    <label>
                                        <input type="checkbox" name=format!("contact[groups][{i}]") value=id checked=checked/>
                                        {g.name.clone()}
                                    </label>
                                }
                            }).collect_view()}
                        </div>
                    </fieldset>
                })
            })}
        </Suspense>
    }
}

#[component]
pub fn ContactForm(#[prop(optional)] existing: Option<Contact>) -> impl IntoView {
    let save = ServerAction::<SaveContact>::new();
    let draft = existing.as_ref().map(|c| ContactDraft::from_data(&c.data)).unwrap_or_default();
    let general_error = move || {
        save.value().with(|v| match v {
            Some(Err(AppError::Invalid(_))) => Some(
                crate::i18n::t("Some fields need attention: see the messages below them.")
                    .to_string(),
            ),
            Some(Err(e)) => Some(e.to_string()),
            _ => None,
        })
    };
    let cancel_href =
        existing.as_ref().map(|c| format!("/contacts/{}", c.id)).unwrap_or_else(|| "/".into());
    let hidden = existing.as_ref().map(|c| {
        view! {
            <input type="hidden" name="id" value=c.id.to_string()/>
            <input type="hidden" name="revision" value=c.revision.to_string()/>
        }
    });
    let l = crate::i18n::lang();
    let t = move |label: &'static str, key: &'static str, value: String| {
        text_input(save, label, key, format!("contact[{key}]"), value, "text")
    };
    view! {
        <ActionForm action=save attr:class="contact-form card" attr:aria-label=crate::i18n::t("Contact") attr:aria-keyshortcuts="Control+S">
            {hidden}
            <datalist id="label-choices">
                <option value="mobile"></option>
                <option value="work"></option>
                <option value="home"></option>
                <option value="other"></option>
            </datalist>
            <p class="error" role="alert">{general_error}</p>
            <fieldset class="names">
                <legend>{crate::i18n::t("Name")}</legend>
                {t("Family name", "family_name", draft.family_name.clone())}
                {t("Given name", "given_name", draft.given_name.clone())}
                {t("Middle name", "additional_name", draft.additional_name.clone())}
                {t("Name prefix", "name_prefix", draft.name_prefix.clone())}
                {t("Name suffix", "name_suffix", draft.name_suffix.clone())}
                {t("Display name", "display_name", draft.display_name.clone())}
                {t("Nickname", "nickname", draft.nickname.clone())}
            </fieldset>
            <LabeledRows save kind="phones" title="Phones" value_label="Phone" input_type="tel" initial=draft.phones.clone()/>
            <LabeledRows save kind="emails" title="Emails" value_label="Email" input_type="text" initial=draft.emails.clone()/>
            <AddressRows save initial=draft.addresses.clone()/>
            <fieldset class="work">
                <legend>{crate::i18n::t("Work and more")}</legend>
                {t("Organization", "organization", draft.organization.clone())}
                {t("Department", "department", draft.department.clone())}
                {t("Title", "title", draft.title.clone())}
                {text_input(save, "Birthday (YYYY-MM-DD or --MM-DD)", "birthday", "contact[birthday]".into(), draft.birthday.clone(), "text")}
                <div class="field">
                    <label for="f-notes">{crate::i18n::t("Notes")}</label>
                    <textarea id="f-notes" name="contact[notes]" rows="4">{crate::textarea_text(draft.notes.clone())}</textarea>
                    <span class="field-error" role="alert">{error_for(save, "notes".into())}</span>
                </div>
            </fieldset>
            <GroupChecks selected=draft.groups.clone()/>
            <ExtraRows save initial=draft.extra.clone()/>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { crate::i18n::tr(l, "Saving…") } else { crate::i18n::tr(l, "Save") }}
                </button>
                <a href=cancel_href>{crate::i18n::t("Cancel")}</a>
            </div>
        </ActionForm>
    }
}
