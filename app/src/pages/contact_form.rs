//! The contact editor. A plain HTML form (works without JavaScript) whose field names map onto
//! `ContactDraft`; once hydrated, "Add …" buttons append rows and errors appear next to their
//! fields without losing what was typed.

use domain::{AddressDraft, Contact, ContactDraft, ExtraField, Group, LabeledDraft};
use leptos::prelude::*;

use crate::api::SaveContact;
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

/// The value of the label choice that stands for a label of one's own.
const CUSTOM: &str = "_custom";

/// A label chosen from those that fit the field (`choices`), or one of the user's own typed
/// into a box that appears for "Custom…". Whichever is in use carries the field's `name`.
/// The rows of a list field, each with a key that stays with it when it moves (the `For` moves
/// its elements, what was typed in them included); a row's position is its index, and its
/// fields are named by it, so the form sends the rows in the order shown.
type Rows<T> = RwSignal<Vec<(usize, T)>>;

fn keyed<T>(v: Vec<T>) -> Vec<(usize, T)> {
    v.into_iter().enumerate().collect()
}

fn push_row<T: Default + Send + Sync + 'static>(rows: Rows<T>) -> usize {
    let mut at = 0;
    rows.update(|r| {
        let key = r.iter().map(|(k, _)| k + 1).max().unwrap_or(0);
        r.push((key, T::default()));
        at = r.len() - 1;
    });
    at
}

fn position<T: Send + Sync + 'static>(rows: Rows<T>, key: usize) -> Memo<usize> {
    Memo::new(move |_| rows.with(|r| r.iter().position(|(k, _)| *k == key).unwrap_or(0)))
}

/// Focuses the element with `id` once the page has been redrawn (after a row moved or was
/// added).
fn focus_later(id: String) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id(&id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// "Phone 2", "电话 2".
fn which(value_label: &'static str, pos: usize) -> String {
    match crate::i18n::lang() {
        crate::i18n::Lang::Zh => format!("{} {}", crate::i18n::t(value_label), pos + 1),
        crate::i18n::Lang::En => format!("{value_label} {}", pos + 1),
    }
}

/// The buttons that move a row up and down its list. At either end the button stays focusable
/// and says it cannot move (`aria-disabled`); after a move the same button keeps the focus.
fn move_buttons<T: Send + Sync + 'static>(
    rows: Rows<T>,
    key: usize,
    pos: Memo<usize>,
    kind: &'static str,
    value_label: &'static str,
) -> impl IntoView {
    let shift = move |up: bool| {
        let i = pos.get_untracked();
        let n = rows.with_untracked(Vec::len);
        let j = if up { i.checked_sub(1) } else { Some(i + 1).filter(|j| *j < n) };
        if let Some(j) = j {
            rows.update(|r| r.swap(i, j));
            focus_later(format!("move-{kind}-{key}-{}", if up { "up" } else { "down" }));
        }
    };
    let name = move |up: bool| {
        let w = which(value_label, pos.get());
        match (crate::i18n::lang(), up) {
            (crate::i18n::Lang::Zh, true) => format!("{}{w}", crate::i18n::t("Move up")),
            (crate::i18n::Lang::Zh, false) => format!("{}{w}", crate::i18n::t("Move down")),
            (crate::i18n::Lang::En, true) => format!("Move {w} up"),
            (crate::i18n::Lang::En, false) => format!("Move {w} down"),
        }
    };
    let first = move || pos.get() == 0;
    let last = move || pos.get() + 1 >= rows.with(Vec::len);
    view! {
        <div class="move-row" role="group" aria-label=move || which(value_label, pos.get())>
            <button type="button" class="move" id=format!("move-{kind}-{key}-up")
                aria-label=move || name(true)
                aria-disabled=move || first().to_string()
                on:click=move |_| shift(true)>"↑"</button>
            <button type="button" class="move" id=format!("move-{kind}-{key}-down")
                aria-label=move || name(false)
                aria-disabled=move || last().to_string()
                on:click=move |_| shift(false)>"↓"</button>
        </div>
    }
}

/// A text input of a row, named and identified by the row's position, with its error message
/// (`at`: the list, the row's field, the row's position).
fn row_input(
    save: Save,
    caption: &'static str,
    (kind, field, pos): (&'static str, &'static str, Memo<usize>),
    value: String,
    input_type: &'static str,
    placeholder: Option<&'static str>,
) -> impl IntoView {
    let key = move || format!("{kind}[{}].{field}", pos.get());
    let id = move || dom_id(&key());
    let err_id = move || format!("{}-error", id());
    let err = move || {
        let k = key();
        save.value().with(|v| v.as_ref().and_then(|r| r.as_ref().err()).and_then(|e| e.field(&k)))
    };
    view! {
        <div class="field">
            <label for=id>{crate::i18n::t(caption)}</label>
            <input
                id=id
                name=move || format!("contact[{kind}][{}][{field}]", pos.get())
                type=input_type
                value=value
                placeholder=placeholder
                aria-invalid=move || if err().is_some() { "true" } else { "false" }
                aria-describedby=err_id
            />
            <span class="field-error" id=err_id role="alert">{err}</span>
        </div>
    }
}

/// A label chosen from those that fit the field (`choices`), or one of the user's own typed
/// into a box that appears for "Custom…". Whichever is in use carries the field's `name`.
#[component]
fn LabelPicker(
    #[prop(into)] id: Signal<String>,
    #[prop(into)] name: Signal<String>,
    #[prop(into)] caption: Signal<String>,
    choices: &'static [&'static str],
    current: String,
) -> impl IntoView {
    let lower = current.trim().to_lowercase();
    let lower = match lower.as_str() {
        "" => "other".to_string(),
        "cell" | "cellular" => "mobile".to_string(),
        _ => lower,
    };
    let standard = choices.iter().find(|c| **c == lower).copied();
    let custom = RwSignal::new(standard.is_none());
    let custom_text = if standard.is_none() { current.clone() } else { String::new() };
    view! {
        <div class="field label-field">
            <label for=id>{caption}</label>
            <select
                id=id
                name=move || (!custom.get()).then(|| name.get())
                on:change=move |ev| custom.set(event_target_value(&ev) == CUSTOM)
            >
                {choices.iter().map(|c| view! {
                    <option value=*c selected=standard == Some(*c)>{crate::i18n::t(crate::i18n::label_caption(c).unwrap_or("Other"))}</option>
                }).collect_view()}
                <option value=CUSTOM selected=standard.is_none()>{crate::i18n::t("Custom…")}</option>
            </select>
            <input
                id=move || format!("{}-custom", id.get())
                type="text"
                class="custom-label"
                name=move || custom.get().then(|| name.get())
                value=custom_text
                hidden=move || !custom.get()
                aria-label=crate::i18n::t("Label of your own")
                placeholder=crate::i18n::t("Label of your own")
                maxlength="64"
            />
        </div>
    }
}

/// The "preferred" mark of a row: one of its kind (a radio group by `name`).
fn preferred_mark(
    name: &'static str,
    pos: Memo<usize>,
    checked: bool,
    what: impl Fn() -> String + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <label class="pref">
            <input type="radio" name=name value=move || pos.get().to_string() checked=checked/>
            {crate::i18n::t("Preferred")}
            <span class="visually-hidden">{what}</span>
        </label>
    }
}

/// A list of labelled values (phones, emails, websites, instant messaging, related people):
/// each row a label picker, a value, a preferred mark (`preferred`: the radio group's name and
/// the position marked) and buttons that move it. A list that starts empty and is not
/// `always` shows once a row is added (from the "Add field" control).
#[component]
fn LabeledRows(
    save: Save,
    kind: &'static str,
    title: &'static str,
    value_label: &'static str,
    #[prop(default = "")] type_label: &'static str,
    input_type: &'static str,
    rows: Rows<LabeledDraft>,
    choices: &'static [&'static str],
    #[prop(optional)] preferred: Option<(&'static str, String)>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] always: bool,
) -> impl IntoView {
    let preferred = StoredValue::new(preferred);
    let add_text = match crate::i18n::lang() {
        crate::i18n::Lang::Zh => format!("添加{}", crate::i18n::t(value_label)),
        crate::i18n::Lang::En => format!("Add {}", value_label.to_lowercase()),
    };
    view! {
        <Show when=move || always || rows.with(|r| !r.is_empty())>
            <fieldset class="rows">
                <legend>{crate::i18n::t(title)}</legend>
                <For each=move || rows.get() key=|(k, _)| *k let:((key, row))>
                    {
                        let pos = position(rows, key);
                        let caption = move || {
                            let w = which(value_label, pos.get());
                            match (crate::i18n::lang(), type_label) {
                                (crate::i18n::Lang::Zh, "") => format!("{w} 类型"),
                                (crate::i18n::Lang::Zh, t) => format!("{w} {}", crate::i18n::t(t)),
                                (crate::i18n::Lang::En, "") => format!("{w} type"),
                                (crate::i18n::Lang::En, t) => format!("{w} {}", t.to_lowercase()),
                            }
                        };
                        let mark = preferred.get_value().map(|(name, at)| {
                            preferred_mark(name, pos, at == key.to_string(), move || which(value_label, pos.get()))
                        });
                        view! {
                            <div class="row">
                                <LabelPicker
                                    id=Signal::derive(move || dom_id(&format!("{kind}[{}].label", pos.get())))
                                    name=Signal::derive(move || format!("contact[{kind}][{}][label]", pos.get()))
                                    caption=Signal::derive(caption)
                                    choices
                                    current=row.label
                                />
                                {row_input(save, value_label, (kind, "value", pos), row.value, input_type, placeholder)}
                                {mark}
                                {move_buttons(rows, key, pos, kind, value_label)}
                            </div>
                        }
                    }
                </For>
                <button type="button" class="link" on:click=move |_| {
                    let at = push_row(rows);
                    focus_later(dom_id(&format!("{kind}[{at}].value")));
                }>{add_text.clone()}</button>
            </fieldset>
        </Show>
    }
}

#[component]
fn AddressRows(save: Save, rows: Rows<AddressDraft>, preferred: String) -> impl IntoView {
    view! {
        <fieldset class="rows">
            <legend>{crate::i18n::t("Addresses")}</legend>
            <For each=move || rows.get() key=|(k, _)| *k let:((key, a))>
                {
                    let pos = position(rows, key);
                    let caption = move || match crate::i18n::lang() {
                        crate::i18n::Lang::Zh => format!("地址 {} 类型", pos.get() + 1),
                        crate::i18n::Lang::En => format!("Address {} type", pos.get() + 1),
                    };
                    let checked = preferred == key.to_string();
                    let f = |caption, field, value| row_input(save, caption, ("addresses", field, pos), value, "text", None);
                    view! {
                        <div class="address">
                            <LabelPicker
                                id=Signal::derive(move || dom_id(&format!("addresses[{}].label", pos.get())))
                                name=Signal::derive(move || format!("contact[addresses][{}][label]", pos.get()))
                                caption=Signal::derive(caption)
                                choices=&domain::ADDRESS_LABELS
                                current=a.label
                            />
                            {preferred_mark("contact[preferred_address]", pos, checked, move || which("Address", pos.get()))}
                            {move_buttons(rows, key, pos, "addresses", "Address")}
                            {f("Street", "street", a.street)}
                            {f("Apartment, suite", "extended", a.extended)}
                            {f("PO box", "po_box", a.po_box)}
                            {f("Postal code", "postal_code", a.postal_code)}
                            {f("City", "locality", a.locality)}
                            {f("Region", "region", a.region)}
                            {f("Country", "country", a.country)}
                        </div>
                    }
                }
            </For>
            <button type="button" class="link" on:click=move |_| {
                let at = push_row(rows);
                focus_later(dom_id(&format!("addresses[{at}].street")));
            }>{crate::i18n::t("Add address")}</button>
        </fieldset>
    }
}

#[component]
fn ExtraRows(save: Save, initial: Vec<ExtraField>, rows: RwSignal<usize>) -> impl IntoView {
    let initial = StoredValue::new(initial);
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
            <button type="button" class="link" on:click=move |_| rows.update(|n| *n += 1)>{crate::i18n::t("Add other field")}</button>
        </fieldset>
    }
}

/// A date as a day, a month and a year that may stay empty (`key`: `birthday` or
/// `anniversary`, the draft's `{key}_day`… fields).
#[component]
fn DateField(
    save: Save,
    key: &'static str,
    legend: &'static str,
    day: String,
    month: String,
    year: String,
) -> impl IntoView {
    let err = error_for(save, key.into());
    let err2 = err.clone();
    let id = |part: &str| format!("f-{key}-{part}");
    let name = |part: &str| format!("contact[{key}_{part}]");
    view! {
        <fieldset class="date-field" aria-describedby=id("error")>
            <legend>{crate::i18n::t(legend)}</legend>
            <div class="date-parts">
                <div class="field">
                    <label for=id("day")>{crate::i18n::t("Day")}</label>
                    <select id=id("day") name=name("day") aria-invalid=move || if err().is_some() { "true" } else { "false" }>
                        <option value="" selected=day.is_empty()>"—"</option>
                        {(1..=31).map(|d| { let v = d.to_string(); view! { <option value=v.clone() selected=day == v>{v.clone()}</option> } }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for=id("month")>{crate::i18n::t("Month")}</label>
                    <select id=id("month") name=name("month")>
                        <option value="" selected=month.is_empty()>"—"</option>
                        {crate::i18n::MONTHS.iter().enumerate().map(|(i, m)| { let v = (i + 1).to_string(); view! { <option value=v.clone() selected=month == v>{crate::i18n::t(m)}</option> } }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for=id("year")>{crate::i18n::t("Year (if known)")}</label>
                    <input id=id("year") name=name("year") type="number" inputmode="numeric" min="1000" max="9999" value=year class="year"/>
                </div>
            </div>
            <span class="field-error" id=id("error") role="alert">{err2}</span>
        </fieldset>
    }
}

/// What the "Add field" control offers, with the caption of each.
const CATALOGUE: [(&str, &str); 8] = [
    ("phone", "Phone"),
    ("email", "Email"),
    ("address", "Address"),
    ("website", "Website"),
    ("im", "Instant messaging"),
    ("related", "Related person"),
    ("anniversary", "Anniversary"),
    ("other", "Other field"),
];

/// The side of a photo made in the browser, in pixels (a JPEG of a few tens of KB).
pub const PHOTO_SIDE: u32 = 384;
/// The largest image file the form opens (it is made small before it is sent).
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub const PHOTO_FILE_MAX: f64 = 25.0 * 1024.0 * 1024.0;

/// The photo: the one the contact has (kept unless changed), or one chosen from a file, cropped
/// to a square (zoom and position) and made [`PHOTO_SIDE`] pixels wide in the browser, sent as
/// a JPEG `data:` URL in `contact[photo]` (`keep` keeps the contact's, empty removes it).
#[component]
fn PhotoField(save: Save, initial: String, current: Option<String>) -> impl IntoView {
    let value = RwSignal::new(initial);
    let chosen = RwSignal::new(false);
    let zoom = RwSignal::new(1.0_f64);
    let across = RwSignal::new(50.0_f64);
    let down = RwSignal::new(50.0_f64);
    let problem = RwSignal::new(None::<String>);
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    let err = error_for(save, "photo".into());
    let message = move || problem.get().or_else(err.clone());
    #[cfg(feature = "hydrate")]
    let image = StoredValue::new_local(None::<web_sys::HtmlImageElement>);
    #[cfg(feature = "hydrate")]
    let draw = move || {
        use wasm_bindgen::JsCast;
        let (Some(img), Some(canvas)) = (image.get_value(), canvas.get_untracked()) else {
            return;
        };
        let Some(ctx) = canvas
            .get_context("2d")
            .ok()
            .flatten()
            .and_then(|c| c.dyn_into::<web_sys::CanvasRenderingContext2d>().ok())
        else {
            return;
        };
        let (w, h) = (f64::from(img.natural_width()), f64::from(img.natural_height()));
        let side = w.min(h) / zoom.get_untracked().max(1.0);
        let sx = (w - side) * across.get_untracked() / 100.0;
        let sy = (h - side) * down.get_untracked() / 100.0;
        let out = f64::from(PHOTO_SIDE);
        ctx.set_fill_style_str("#fff");
        ctx.fill_rect(0.0, 0.0, out, out);
        let _ = ctx.draw_image_with_html_image_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
            &img, sx, sy, side, side, 0.0, 0.0, out, out,
        );
        if let Ok(url) = canvas.to_data_url_with_type_and_encoder_options(
            "image/jpeg",
            &wasm_bindgen::JsValue::from_f64(0.85),
        ) {
            value.set(url);
        }
    };
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        zoom.track();
        across.track();
        down.track();
        if chosen.get() {
            draw();
        }
    });
    let on_file = move |_ev: leptos::ev::Event| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::closure::Closure;
            use wasm_bindgen::JsCast;
            problem.set(None);
            let Some(file) = _ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .and_then(|i| i.files())
                .and_then(|f| f.get(0))
            else {
                return;
            };
            if file.size() > PHOTO_FILE_MAX {
                problem
                    .set(Some(crate::i18n::t("That image is too large (25 MB at most).").into()));
                return;
            }
            let Ok(url) = web_sys::Url::create_object_url_with_blob(&file) else { return };
            let Ok(img) = web_sys::HtmlImageElement::new() else { return };
            let loaded = img.clone();
            let src = url.clone();
            let on_load = Closure::once_into_js(move || {
                let _ = web_sys::Url::revoke_object_url(&url);
                image.set_value(Some(loaded));
                zoom.set(1.0);
                across.set(50.0);
                down.set(50.0);
                chosen.set(true);
                draw();
            });
            let on_error = Closure::once_into_js(move || {
                problem.set(Some(
                    crate::i18n::t("That file is not an image this browser can open.").into(),
                ));
            });
            img.set_onload(Some(on_load.unchecked_ref()));
            img.set_onerror(Some(on_error.unchecked_ref()));
            img.set_src(&src);
        }
    };
    let remove = move |_| {
        value.set(String::new());
        chosen.set(false);
        problem.set(None);
    };
    let slider = move |id: &'static str,
                       label: &'static str,
                       min: f64,
                       max: f64,
                       step: f64,
                       sig: RwSignal<f64>| {
        view! {
            <div class="field slider">
                <label for=id>{crate::i18n::t(label)}</label>
                <input id=id type="range" min=min max=max step=step
                    prop:value=move || sig.get().to_string()
                    on:input=move |ev| if let Ok(v) = event_target_value(&ev).parse() { sig.set(v) }/>
            </div>
        }
    };
    let has_current = current.is_some();
    view! {
        <fieldset class="rows photo-field">
            <legend>{crate::i18n::t("Photo")}</legend>
            <div class="photo-row">
                <canvas
                    node_ref=canvas
                    class="portrait"
                    width=PHOTO_SIDE
                    height=PHOTO_SIDE
                    hidden=move || !chosen.get()
                    role="img"
                    aria-label=crate::i18n::t("The new photo")
                ></canvas>
                {current.map(|src| view! {
                    <img class="portrait" src=src alt=crate::i18n::t("The current photo") width="96" height="96"
                        hidden=move || chosen.get() || value.with(|v| v != domain::PHOTO_KEEP)/>
                })}
                <div class="photo-controls">
                    <div class="field">
                        <label for="f-photo-file">{move || if has_current || chosen.get() { crate::i18n::t("Replace the photo") } else { crate::i18n::t("Add a photo") }}</label>
                        <input id="f-photo-file" type="file" accept="image/jpeg,image/png,image/gif,image/webp" on:change=on_file/>
                    </div>
                    <Show when=move || chosen.get()>
                        {slider("f-photo-zoom", "Zoom", 1.0, 4.0, 0.05, zoom)}
                        {slider("f-photo-x", "Left to right", 0.0, 100.0, 1.0, across)}
                        {slider("f-photo-y", "Top to bottom", 0.0, 100.0, 1.0, down)}
                    </Show>
                    <Show when=move || value.with(|v| !v.is_empty())>
                        <button type="button" class="link" on:click=remove>{crate::i18n::t("Remove the photo")}</button>
                    </Show>
                    <span class="field-error" id="f-photo-error" role="alert">{message}</span>
                </div>
            </div>
            <input type="hidden" name="contact[photo]" prop:value=move || value.get() value=value.get_untracked()/>
        </fieldset>
    }
}

/// One checkbox per group of the book (`groups`); checked ones are sent as
/// `contact[groups][i]`.
fn group_checks(groups: Vec<Group>, selected: &[String]) -> impl IntoView {
    (!groups.is_empty()).then(|| {
        view! {
            <fieldset class="rows">
                <legend>{crate::i18n::t("Groups")}</legend>
                <div class="checks">
                    {groups.into_iter().enumerate().map(|(i, g)| {
                        let id = g.id.to_string();
                        let checked = selected.contains(&id);
                        view! {
                            <label>
                                <input type="checkbox" name=format!("contact[groups][{i}]") value=id checked=checked/>
                                {g.name.clone()}
                            </label>
                        }
                    }).collect_view()}
                </div>
            </fieldset>
        }
    })
}

/// Saves the form's contact in this browser's queue of offline changes (checked by the same rules
/// as on the server; errors show beside their fields as they would from it). Returns its id.
#[cfg(feature = "hydrate")]
fn save_offline(ev: &web_sys::Event, existing: Option<&Contact>, save: Save) -> Option<String> {
    use leptos::form::FromFormData;
    let args = match SaveContact::from_event(ev) {
        Ok(args) => args,
        Err(e) => {
            save.value().set(Some(Err(AppError::BadRequest(e.to_string()))));
            return None;
        }
    };
    let mut data = match args.contact.parse() {
        Ok(data) => data,
        Err(e) => {
            save.value().set(Some(Err(AppError::Invalid(e.0))));
            return None;
        }
    };
    if args.contact.photo.trim() == domain::PHOTO_KEEP {
        data.photo = existing.and_then(|c| c.data.photo.clone());
    }
    let id = match existing {
        Some(c) => c.id,
        None => crate::offline::client::new_id()?,
    };
    let base = existing.map(|c| c.revision).filter(|r| *r > 0);
    crate::offline::enqueue(crate::offline::Pending {
        item: sync_proto::UploadItem {
            kind: sync_proto::EntityKind::Contact,
            id: *id.as_uuid(),
            op: sync_proto::Op::Upsert,
            book: crate::offline::offline().book.get_untracked(),
            base_revision: base,
            data: serde_json::to_value(&data).ok(),
        },
        name: data.display_name.clone(),
        new: existing.is_none(),
        problem: None,
    });
    save.value().set(None);
    Some(id.to_string())
}

#[component]
/// The form for a new contact or (`existing`) an edit; `groups` are the book's. It makes no
/// resource of its own: its page reads everything first (see `ContactDetail`).
pub fn ContactForm(
    #[prop(optional)] existing: Option<Contact>,
    groups: Vec<Group>,
) -> impl IntoView {
    let save = ServerAction::<SaveContact>::new();
    let mut draft = existing.as_ref().map(|c| ContactDraft::from_data(&c.data)).unwrap_or_default();
    if !draft.photo.is_empty() {
        // The page does not carry the photo back and forth: the server keeps the one it has.
        draft.photo = domain::PHOTO_KEEP.into();
    }
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
    let photo_src = existing
        .as_ref()
        .filter(|c| c.data.photo.is_some())
        .map(|c| format!("/console/photos/current/{}/{}/full", c.id, c.revision));
    let cancel_href =
        existing.as_ref().map(|c| format!("/contacts/{}", c.id)).unwrap_or_else(|| "/".into());
    let hidden = existing.as_ref().map(|c| {
        view! {
            <input type="hidden" name="id" value=c.id.to_string()/>
            <input type="hidden" name="revision" value=c.revision.to_string()/>
        }
    });
    let l = crate::i18n::lang();
    let phones = RwSignal::new(keyed(with_blank(draft.phones.clone())));
    let emails = RwSignal::new(keyed(with_blank(draft.emails.clone())));
    let addresses = RwSignal::new(keyed(with_blank(draft.addresses.clone())));
    let websites = RwSignal::new(keyed(draft.websites.clone()));
    let ims = RwSignal::new(keyed(draft.ims.clone()));
    let related = RwSignal::new(keyed(draft.related.clone()));
    let has_anniversary = RwSignal::new(!draft.anniversary_day.is_empty());
    let extra_rows = RwSignal::new(draft.extra.len());
    let adding = RwSignal::new(String::from("website"));
    let add = move |_| {
        let (kind, at) = match adding.get_untracked().as_str() {
            "phone" => ("phones", push_row(phones)),
            "email" => ("emails", push_row(emails)),
            "address" => {
                let at = push_row(addresses);
                focus_later(dom_id(&format!("addresses[{at}].street")));
                return;
            }
            "im" => ("ims", push_row(ims)),
            "related" => ("related", push_row(related)),
            "anniversary" => {
                has_anniversary.set(true);
                focus_later("f-anniversary-day".into());
                return;
            }
            "other" => {
                let i = extra_rows.get_untracked();
                extra_rows.set(i + 1);
                focus_later(dom_id(&format!("extra[{i}].name")));
                return;
            }
            _ => ("websites", push_row(websites)),
        };
        focus_later(dom_id(&format!("{kind}[{at}].value")));
    };
    let anniversary = StoredValue::new((
        draft.anniversary_day.clone(),
        draft.anniversary_month.clone(),
        draft.anniversary_year.clone(),
    ));
    // Offline (and offline use on), a save is queued in this browser instead of sent.
    let form_ref = NodeRef::<leptos::html::Form>::new();
    #[cfg(feature = "hydrate")]
    {
        let existing = existing.clone();
        let navigate = leptos_router::hooks::use_navigate();
        crate::offline::client::when_offline(form_ref, move |ev| {
            if let Some(id) = save_offline(ev, existing.as_ref(), save) {
                navigate(&format!("/contacts/{id}"), Default::default());
            }
        });
    }
    let t = move |label: &'static str, key: &'static str, value: String| {
        text_input(save, label, key, format!("contact[{key}]"), value, "text")
    };
    view! {
        <ActionForm action=save node_ref=form_ref attr:class="contact-form card" attr:aria-label=crate::i18n::t("Contact") attr:aria-keyshortcuts="Control+S">
            {hidden}
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
            <LabeledRows save kind="phones" title="Phones" value_label="Phone" input_type="tel" rows=phones choices=&domain::PHONE_LABELS preferred=("contact[preferred_phone]", draft.preferred_phone.clone()) always=true/>
            <LabeledRows save kind="emails" title="Emails" value_label="Email" input_type="text" rows=emails choices=&domain::EMAIL_LABELS preferred=("contact[preferred_email]", draft.preferred_email.clone()) always=true/>
            <AddressRows save rows=addresses preferred=draft.preferred_address.clone()/>
            <LabeledRows save kind="websites" title="Websites" value_label="Website" input_type="text" rows=websites choices=&domain::WEBSITE_LABELS preferred=("contact[preferred_website]", draft.preferred_website.clone()) placeholder="https://example.com"/>
            <LabeledRows save kind="ims" title="Instant messaging" value_label="Instant messaging address" input_type="text" rows=ims choices=&domain::IM_LABELS preferred=("contact[preferred_im]", draft.preferred_im.clone()) placeholder="xmpp:name@example.com"/>
            <LabeledRows save kind="related" title="Related people" value_label="Related person" type_label="Relation" input_type="text" rows=related choices=&domain::RELATED_LABELS/>
            <fieldset class="work">
                <legend>{crate::i18n::t("Work and more")}</legend>
                {t("Organization", "organization", draft.organization.clone())}
                {t("Department", "department", draft.department.clone())}
                {t("Title", "title", draft.title.clone())}
                <DateField save key="birthday" legend="Birthday" day=draft.birthday_day.clone() month=draft.birthday_month.clone() year=draft.birthday_year.clone()/>
                <Show when=move || has_anniversary.get()>
                    {
                        let (day, month, year) = anniversary.get_value();
                        view! {
                            <DateField save key="anniversary" legend="Anniversary" day month year/>
                            <button type="button" class="link" on:click=move |_| has_anniversary.set(false)>{crate::i18n::t("Remove the anniversary")}</button>
                        }
                    }
                </Show>
                <div class="field">
                    <label for="f-notes">{crate::i18n::t("Notes")}</label>
                    <textarea id="f-notes" name="contact[notes]" rows="4">{crate::textarea_text(draft.notes.clone())}</textarea>
                    <span class="field-error" role="alert">{error_for(save, "notes".into())}</span>
                </div>
            </fieldset>
            <PhotoField save initial=draft.photo.clone() current=photo_src/>
            {group_checks(groups, &draft.groups)}
            <ExtraRows save initial=draft.extra.clone() rows=extra_rows/>
            <div class="add-field" role="group" aria-labelledby="f-add-field-label">
                <label id="f-add-field-label" for="f-add-field">{crate::i18n::t("Field to add")}</label>
                <select id="f-add-field" on:change=move |ev| adding.set(event_target_value(&ev))>
                    {CATALOGUE.iter().map(|(v, caption)| view! {
                        <option value=*v selected=*v == "website">{crate::i18n::t(caption)}</option>
                    }).collect_view()}
                </select>
                <button type="button" on:click=add>{crate::i18n::t("Add field")}</button>
            </div>
            <div class="actions">
                <button type="submit" class="primary" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { crate::i18n::tr(l, "Saving…") } else { crate::i18n::tr(l, "Save") }}
                </button>
                <a href=cancel_href>{crate::i18n::t("Cancel")}</a>
            </div>
        </ActionForm>
    }
}
