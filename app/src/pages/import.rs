//! Import: choose a file, see how it will be read (encoding, dialect, columns, first rows), map
//! columns, choose a group and what to do with duplicates, then import as a server-side job whose
//! progress the page polls (the job survives a reload: its id is in the URL).

use super::waiting;
use crate::i18n::t;
use crate::PageTitle;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::api::list_groups;
use crate::transfer::{JobDto, PreviewDto, MAPPING_CHOICES};

#[cfg(feature = "hydrate")]
mod net {
    use wasm_bindgen::JsCast;
    use wasm_bindgen_futures::JsFuture;

    use crate::transfer::ErrorDto;

    async fn text_of(resp: web_sys::Response) -> Result<String, String> {
        let text =
            JsFuture::from(resp.text().map_err(|_| "The server's answer could not be read.")?)
                .await
                .map_err(|_| "The server's answer could not be read.")?
                .as_string()
                .unwrap_or_default();
        if resp.ok() {
            Ok(text)
        } else {
            Err(serde_json::from_str::<ErrorDto>(&text)
                .map(|e| e.message)
                .unwrap_or_else(|_| format!("The server answered {}.", resp.status())))
        }
    }

    async fn send(url: &str, init: &web_sys::RequestInit) -> Result<String, String> {
        let window = web_sys::window().ok_or("no window")?;
        let resp = JsFuture::from(window.fetch_with_str_and_init(url, init))
            .await
            .map_err(|_| "The server could not be reached.")?;
        text_of(resp.dyn_into().map_err(|_| "The server's answer could not be read.")?).await
    }

    /// POSTs a form (files included) and returns the body, or the error message.
    pub async fn post_form(form: &web_sys::HtmlFormElement, url: &str) -> Result<String, String> {
        let data =
            web_sys::FormData::new_with_form(form).map_err(|_| "The form could not be read.")?;
        let init = web_sys::RequestInit::new();
        init.set_method("POST");
        init.set_body(&data.into());
        send(url, &init).await
    }

    pub async fn get(url: &str) -> Result<String, String> {
        let init = web_sys::RequestInit::new();
        init.set_method("GET");
        send(url, &init).await
    }
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let query = use_query_map();
    let job_id = move || query.read().get("job").filter(|j| !j.is_empty());
    view! {
        <PageTitle text="Import · Rolo"/>
        <div class="toolbar"><h1>{t("Import contacts")}</h1></div>
        {move || match job_id() {
            Some(id) => Either::Left(view! { <JobView id=id/> }),
            None => Either::Right(view! { <ImportForm/> }),
        }}
    }
}

#[component]
fn ImportForm() -> impl IntoView {
    let groups = Resource::new(|| (), |_| list_groups());
    let preview = RwSignal::new(None::<PreviewDto>);
    let error = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let new_group = RwSignal::new(false);
    let form = NodeRef::<leptos::html::Form>::new();
    let navigate = use_navigate();

    let run_preview = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(f) = form.get() {
            busy.set(true);
            error.set(None);
            leptos::task::spawn_local(async move {
                match net::post_form(&f, "/console/import/preview")
                    .await
                    .and_then(|t| serde_json::from_str::<PreviewDto>(&t).map_err(|e| e.to_string()))
                {
                    Ok(p) => preview.set(Some(p)),
                    Err(m) => {
                        preview.set(None);
                        error.set(Some(m));
                    }
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (form, busy);
    };
    let run_import = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(f) = form.get() {
            busy.set(true);
            error.set(None);
            let navigate = navigate.clone();
            leptos::task::spawn_local(async move {
                match net::post_form(&f, "/console/import").await.and_then(|t| {
                    serde_json::from_str::<serde_json::Value>(&t).map_err(|e| e.to_string())
                }) {
                    Ok(v) => navigate(
                        &format!("/import?job={}", v["job"].as_str().unwrap_or_default()),
                        Default::default(),
                    ),
                    Err(m) => error.set(Some(m)),
                }
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &navigate;
    };

    view! {
        <form node_ref=form class="card import-form" aria-label=t("Import a file") on:submit=|ev| ev.prevent_default()>
            <div class="field">
                <label for="import-file">{t("File (CSV, Excel or vCard)")}</label>
                <input id="import-file" type="file" name="file" accept=".csv,.tsv,.txt,.xlsx,.xls,.vcf" required
                    on:change=move |_| preview.set(None)/>
            </div>
            <div class="row">
                <div class="field">
                    <label for="import-encoding">{t("Encoding")}</label>
                    <select id="import-encoding" name="encoding">
                        <option value="auto">{t("Detect automatically")}</option>
                        <option value="utf-8">{t("UTF-8")}</option>
                        <option value="gb18030">{t("GB18030 / GBK (简体中文)")}</option>
                        <option value="big5">{t("Big5 (繁體中文)")}</option>
                        <option value="utf-16le">{t("UTF-16 LE")}</option>
                        <option value="utf-16be">{t("UTF-16 BE")}</option>
                        <option value="windows-1252">{t("Windows-1252 (Western)")}</option>
                    </select>
                </div>
                <div class="field">
                    <label for="import-group">{t("Put the contacts in")}</label>
                    <Suspense fallback=|| view! { <select id="import-group" name="group" disabled=true></select> }>
                        {move || waiting(async move {
                            let groups = groups.await.unwrap_or_default();
                            view! {
                                <select id="import-group" name="group" on:change=move |ev| new_group.set(event_target_value(&ev) == "new")>
                                    <option value="">{t("no group")}</option>
                                    {groups.into_iter().map(|g| view! { <option value=g.id.to_string()>{g.name}</option> }).collect_view()}
                                    <option value="new">{t("a new group…")}</option>
                                </select>
                            }
                        })}
                    </Suspense>
                </div>
                <Show when=move || new_group.get()>
                    <div class="field">
                        <label for="import-new-group">{t("New group name")}</label>
                        <input id="import-new-group" name="new_group" maxlength="100"/>
                    </div>
                </Show>
            </div>
            <fieldset class="rows">
                <legend>{t("Contacts already in the address book (same UID, phone or email)")}</legend>
                <div class="checks">
                    <label><input type="radio" name="duplicates" value="skip" checked/>{t("Skip them")}</label>
                    <label><input type="radio" name="duplicates" value="update"/>{t("Update them (nothing is lost)")}</label>
                    <label><input type="radio" name="duplicates" value="create"/>{t("Create anyway")}</label>
                </div>
            </fieldset>
            {move || preview.get().map(|p| view! { <PreviewView p=p/> })}
            <p class="error" role="alert">{move || error.get()}</p>
            <div class="actions">
                <button type="button" on:click=run_preview disabled=move || busy.get()>{t("Preview")}</button>
                <button type="button" class="primary" on:click=run_import disabled=move || busy.get() || preview.get().is_none()>{t("Import")}</button>
            </div>
        </form>
    }
}

#[component]
fn PreviewView(p: PreviewDto) -> impl IntoView {
    let detected = format!(
        "{}{}{} — {} {}",
        p.format.to_uppercase(),
        p.encoding.as_ref().map(|e| format!(", {e}")).unwrap_or_default(),
        p.dialect.as_ref().map(|d| format!(", {d} columns")).unwrap_or_default(),
        p.total_rows,
        if p.total_rows == 1 { "row" } else { "rows" }
    );
    let columns = p.columns.clone();
    view! {
        <section class="preview" aria-label=t("Preview")>
            <h2>{t("Preview")}</h2>
            <p class="detected">"Detected: " {detected}</p>
            {(!columns.is_empty()).then(|| view! {
                <table class="contacts mapping">
                    <thead><tr><th scope="col">{t("Column")}</th><th scope="col">{t("Read as")}</th></tr></thead>
                    <tbody>
                        {columns.into_iter().enumerate().map(|(i, c)| view! {
                            <tr>
                                <td>{c.header.clone()}</td>
                                <td>
                                    <select name=format!("map_{i}") aria-label=format!("Column {}", c.header)>
                                        {MAPPING_CHOICES.iter().map(|(v, l)| {
                                            let label = if *v == "keep" { format!("{l}: {}", c.target) } else { l.to_string() };
                                            view! { <option value=*v>{label}</option> }
                                        }).collect_view()}
                                    </select>
                                </td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            })}
            <table class="contacts preview-rows">
                <thead><tr><th scope="col">{t("Line")}</th><th scope="col">{t("Name")}</th><th scope="col">{t("Phone")}</th><th scope="col">{t("Email")}</th><th scope="col">{t("Groups")}</th></tr></thead>
                <tbody>
                    {p.rows.into_iter().map(|r| match r.error {
                        Some(e) => Either::Left(view! { <tr class="row-error"><td>{r.line}</td><td colspan="4">{e}</td></tr> }),
                        None => Either::Right(view! { <tr><td>{r.line}</td><td>{r.name}</td><td>{r.phone}</td><td>{r.email}</td><td>{r.groups}</td></tr> }),
                    }).collect_view()}
                </tbody>
            </table>
            <p class="meta">{t("Change how a column is read above, then Preview again to check.")}</p>
        </section>
    }
}

#[component]
fn JobView(id: String) -> impl IntoView {
    let status = RwSignal::new(None::<JobDto>);
    let error = RwSignal::new(None::<String>);
    let report = format!("/console/import/{id}/report.csv");
    #[cfg(feature = "hydrate")]
    {
        let url = format!("/console/import/{id}");
        let handle = StoredValue::new(None::<leptos::prelude::IntervalHandle>);
        let poll = move || {
            let url = url.clone();
            leptos::task::spawn_local(async move {
                match net::get(&url)
                    .await
                    .and_then(|t| serde_json::from_str::<JobDto>(&t).map_err(|e| e.to_string()))
                {
                    Ok(s) => {
                        if s.state != "running" {
                            if let Some(h) = handle.get_value() {
                                h.clear();
                            }
                        }
                        status.set(Some(s));
                    }
                    Err(m) => {
                        if let Some(h) = handle.get_value() {
                            h.clear();
                        }
                        error.set(Some(m));
                    }
                }
            });
        };
        Effect::new(move |_| {
            poll();
            if let Ok(h) =
                set_interval_with_handle(poll.clone(), std::time::Duration::from_millis(400))
            {
                handle.set_value(Some(h));
            }
        });
        on_cleanup(move || {
            if let Some(h) = handle.get_value() {
                h.clear();
            }
        });
    }
    view! {
        <section class="card job" aria-label=t("Import progress")>
            <p class="error" role="alert">{move || error.get()}</p>
            {move || match status.get() {
                None => Either::Left(view! { <p class="loading">{t("Starting…")}</p> }),
                Some(s) => Either::Right({
                    let done = s.state != "running";
                    let report = report.clone();
                    view! {
                        <h2>{match s.state.as_str() { "running" => "Importing…", "done" => "Import finished", _ => "Import failed" }}</h2>
                        <progress aria-label=t("Rows read") max=s.rows_total.max(1) value=s.rows_done></progress>
                        <p class="counts" role="status">
                            {format!("Imported {} · Updated {} · Skipped {} · Failed {}", s.imported, s.updated, s.skipped, s.failed)}
                        </p>
                        {s.group.clone().map(|g| view! { <p>"Put in the group " <strong>{g}</strong> "."</p> })}
                        {s.message.clone().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                        {(!s.failures.is_empty()).then(|| view! {
                            <h3>{t("Rows not imported")}</h3>
                            <ul class="failures">
                                {s.failures.iter().map(|f| view! { <li>{format!("Line {}: {}", f.line, f.reason)}</li> }).collect_view()}
                            </ul>
                        })}
                        {(done && s.state == "done").then(|| view! {
                            <p class="actions">
                                <a class="button" href=report.clone() download="import-report.csv">{t("Download the report (CSV)")}</a>
                                <a href="/">{t("Go to the contacts")}</a>
                                <a href="/import">{t("Import another file")}</a>
                            </p>
                        })}
                    }
                }),
            }}
        </section>
    }
}
