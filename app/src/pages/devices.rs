//! Devices: register a phone, tablet or PC for sync (its token is shown once), see when each
//! synced last, rename, revoke.

use super::waiting;
use crate::i18n::t;
use crate::PageTitle;
use chrono::{DateTime, Utc};
use domain::{DeviceInfo, DeviceKind};
use leptos::either::Either;
use leptos::prelude::*;

use crate::api::{list_devices, CreateDevice, RenameDevice, RevokeDevice};

fn when(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string()).unwrap_or_else(|| "never".into())
}

fn kind_name(k: DeviceKind) -> &'static str {
    match k {
        DeviceKind::Phone => "Phone",
        DeviceKind::Tablet => "Tablet",
        DeviceKind::Pc => "PC",
        DeviceKind::Other => "Other",
        DeviceKind::Browser => "Web browser",
    }
}

#[component]
pub fn DevicesPage() -> impl IntoView {
    let create = ServerAction::<CreateDevice>::new();
    let rename = ServerAction::<RenameDevice>::new();
    let revoke = ServerAction::<RevokeDevice>::new();
    let devices = Resource::new(|| (), |_| list_devices());
    Effect::watch(
        move || (create.version().get(), rename.version().get(), revoke.version().get()),
        move |_, _, _| devices.refetch(),
        false,
    );
    let confirming = RwSignal::new(None::<DeviceInfo>);
    let create_error =
        move || {
            create.value().get().and_then(|r| r.err()).map(|e| {
                e.field("name").or_else(|| e.field("kind")).unwrap_or_else(|| e.to_string())
            })
        };
    let new_token = move || {
        create.value().get().and_then(|r| r.ok()).map(|nd| {
            let origin = window().location().origin().unwrap_or_default();
            let setup = format!("rolo-sync setup --server {origin} --token {} --dir ~/Contacts", nd.token);
            view! {
                <section class="card token-box" role="status" aria-label=t("New device token")>
                    <h2>"Token for " {nd.device.name.clone()}</h2>
                    <p>{t("Copy it now: it is shown only once. The device sends it as its password.")}</p>
                    <code class="token" data-testid="device-token">{nd.token.clone()}</code>
                    <p>{t("On a PC with rolo-sync:")}</p>
                    <code class="token">{setup}</code>
                </section>
            }
        })
    };
    view! {
        <PageTitle text="Devices · Rolo"/>
        <div class="toolbar"><h1>{t("Devices")}</h1></div>
        <p class="meta">
            "Every phone, tablet or computer that syncs this address book has its own token. "
            "Revoke a lost device here: its token stops working at once."
        </p>
        <ActionForm action=create attr:class="card add-device" attr:aria-label=t("Add a device")>
            <div class="row">
                <div class="field">
                    <label for="device-name">{t("Device name")}</label>
                    <input id="device-name" name="name" required maxlength="64" placeholder=t("My phone")/>
                </div>
                <div class="field label-field">
                    <label for="device-kind">{t("Kind")}</label>
                    <select id="device-kind" name="kind">
                        {DeviceKind::ALL.iter().map(|k| view! { <option value=k.as_str()>{kind_name(*k)}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <p class="error" role="alert">{create_error}</p>
            <button type="submit" class="primary">{t("Add device")}</button>
        </ActionForm>
        {new_token}
        <Suspense fallback=|| view! { <p class="loading">{t("Loading…")}</p> }>
            {move || waiting(async move {
                match devices.await {
                    Ok(list) if list.is_empty() => Either::Left(view! { <p class="empty">{t("No devices yet.")}</p> }.into_any()),
                    Ok(list) => Either::Left(view! {
                        <table class="contacts devices">
                            <thead>
                                <tr>
                                    <th scope="col">{t("Name")}</th><th scope="col">{t("Kind")}</th><th scope="col">{t("Status")}</th>
                                    <th scope="col">{t("Last sync")}</th><th scope="col">{t("Changes sent / received")}</th><th scope="col">{t("Actions")}</th>
                                </tr>
                            </thead>
                            <tbody>
                                {list.into_iter().map(|d| device_row(d, rename, confirming)).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()),
                    Err(e) => Either::Right(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
        <Show when=move || confirming.get().is_some()>
            {move || confirming.get().map(|d| view! {
                <div class="backdrop">
                    <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="revoke-title"
                        on:keydown=move |ev| if ev.key() == "Escape" { confirming.set(None) }>
                        <h2 id="revoke-title">"Revoke " {d.name.clone()} "?"</h2>
                        <p>{t("Its token stops working at once. The contacts already on it stay there.")}</p>
                        <ActionForm action=revoke attr:class="inline" on:submit=move |_| confirming.set(None)>
                            <input type="hidden" name="id" value=d.id.to_string()/>
                            <button type="submit" class="danger" autofocus>{t("Revoke device")}</button>
                        </ActionForm>
                        <button type="button" on:click=move |_| confirming.set(None)>{t("Cancel")}</button>
                    </div>
                </div>
            })}
        </Show>
    }
}

fn device_row(
    d: DeviceInfo,
    rename: ServerAction<RenameDevice>,
    confirming: RwSignal<Option<DeviceInfo>>,
) -> impl IntoView {
    let revoked = d.revoked_at.is_some();
    let status = if revoked { format!("revoked {}", when(d.revoked_at)) } else { "active".into() };
    let last = match (&d.last_sync_at, &d.last_addr) {
        (Some(t), Some(a)) => format!("{} from {a}", when(Some(*t))),
        (t, _) => when(*t),
    };
    let cursor = d.last_cursor.map(|c| format!(" (cursor {c})")).unwrap_or_default();
    let label = format!("Name of {}", d.name);
    let dev = d.clone();
    view! {
        <tr>
            <td>
                <ActionForm action=rename attr:class="inline rename">
                    <input type="hidden" name="id" value=d.id.to_string()/>
                    <input name="name" value=d.name.clone() aria-label=label maxlength="64" required/>
                    <button type="submit" class="link">{t("Rename")}</button>
                </ActionForm>
            </td>
            <td>{kind_name(d.kind)}</td>
            <td>{status}</td>
            <td>{last}{cursor}</td>
            <td>{format!("{} / {}", d.changes_sent, d.changes_received)}</td>
            <td>
                {(!revoked).then(|| {
                    let dev = dev.clone();
                    let name = format!("Revoke {}", dev.name);
                    view! { <button type="button" class="danger" aria-label=name on:click=move |_| confirming.set(Some(dev.clone()))>{t("Revoke…")}</button> }
                })}
            </td>
        </tr>
    }
}
