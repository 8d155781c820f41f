//! The signed-in account's own page (password, sessions) and the administrators' page.

use super::waiting;
use crate::i18n::t;
use crate::offline::OfflineSwitch;
use crate::PageTitle;
use leptos::either::Either;
use leptos::prelude::*;

use crate::api::{
    admin_accounts, my_sessions, second_factor, AdminCreateAccount, AdminRequireSecondFactor,
    AdminResetPassword, AdminResetSecondFactor, AdminSetAdmin, AdminSetDisabled, BeginSecondFactor,
    ChangePassword, ConfirmSecondFactor, DisableSecondFactor, EndSession,
};

fn when(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn password_field(
    label: &'static str,
    name: &'static str,
    error: impl Fn() -> Option<String> + Send + Sync + 'static,
) -> impl IntoView {
    let id = format!("pw-{name}");
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type="password" name=name required autocomplete=if name == "current" { "current-password" } else { "new-password" }/>
            <span class="field-error" role="alert">{error}</span>
        </div>
    }
}

/// Two-step sign-in on the Account page: set up (QR code, then a code to confirm, then the
/// recovery codes, shown once), or turn off with the password.
#[component]
fn SecondFactorSection() -> impl IntoView {
    let begin = ServerAction::<BeginSecondFactor>::new();
    let confirm = ServerAction::<ConfirmSecondFactor>::new();
    let disable = ServerAction::<DisableSecondFactor>::new();
    let status = Resource::new(|| (), |_| second_factor());
    Effect::watch(
        move || (confirm.version().get(), disable.version().get()),
        move |_, _, _| status.refetch(),
        false,
    );
    let error = move || {
        [
            begin.value().get().and_then(|r| r.err()),
            confirm.value().get().and_then(|r| r.err()),
            disable.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
        .map(|e| e.field("code").or_else(|| e.field("password")).unwrap_or_else(|| e.to_string()))
    };
    let codes = move || confirm.value().get().and_then(|r| r.ok());
    view! {
        <section class="card narrow" id="two-step" aria-labelledby="two-step-title">
            <h2 id="two-step-title">{t("Two-step sign-in")}</h2>
            <Suspense fallback=|| view! { <p class="loading">{t("Loading…")}</p> }>
                {move || waiting(async move {
                    let s = match status.await {
                        Ok(s) => s,
                        Err(e) => return Either::Right(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                    };
                    let on = s.state == "on";
                    Either::Left(view! {
                        {(s.required && !on).then(|| view! {
                            <p class="error" role="alert">{t("Your administrator requires two-step sign-in. Set it up to use Rolo.")}</p>
                        })}
                        {if on {
                            Either::Left(view! {
                                <p>{format!("Two-step sign-in is on. Recovery codes left: {}.", s.recovery_codes_left)}</p>
                                {(!s.required).then(|| view! {
                                    <ActionForm action=disable attr:aria-label=t("Turn off two-step sign-in")>
                                        <div class="field">
                                            <label for="tf-password">{t("Your password")}</label>
                                            <input id="tf-password" type="password" name="password" required autocomplete="current-password"/>
                                        </div>
                                        <button type="submit" class="danger">{t("Turn off two-step sign-in")}</button>
                                    </ActionForm>
                                })}
                            })
                        } else {
                            Either::Right(view! {
                                <p>{t("Sign in with your password and a code from an authenticator app on your phone.")}</p>
                                <ActionForm action=begin attr:class="inline">
                                    <button type="submit" class="primary">{t("Set up two-step sign-in")}</button>
                                </ActionForm>
                            })
                        }}
                    })
                })}
            </Suspense>
            {move || begin.value().get().and_then(|r| r.ok()).filter(|_| codes().is_none()).map(|e| view! {
                <div class="enrol">
                    <p>{t("Scan this code with your authenticator app, or type the key below into it.")}</p>
                    <img class="qr" src=e.qr alt=t("QR code of your two-step sign-in key") width="220" height="220"/>
                    <p><code class="secret">{e.secret}</code></p>
                    <ActionForm action=confirm attr:aria-label=t("Confirm two-step sign-in")>
                        <div class="field">
                            <label for="tf-code">{t("Code from the app")}</label>
                            <input id="tf-code" name="code" inputmode="numeric" autocomplete="one-time-code" required/>
                        </div>
                        <button type="submit" class="primary">{t("Turn on")}</button>
                    </ActionForm>
                </div>
            })}
            {move || codes().map(|codes| view! {
                <div class="recovery" role="status">
                    <p><strong>{t("Two-step sign-in is on.")}</strong>{t(" Keep these recovery codes somewhere safe: each works once if you lose your phone. They are shown only now.")}</p>
                    <ul class="recovery-codes">{codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}</ul>
                </div>
            })}
            <p class="error" role="alert">{error}</p>
        </section>
    }
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let end = ServerAction::<EndSession>::new();
    let sessions = Resource::new(|| (), |_| my_sessions());
    Effect::watch(
        move || (change.version().get(), end.version().get()),
        move |_, _, _| sessions.refetch(),
        false,
    );
    let err = move |f: &'static str| {
        move || change.value().get().and_then(|r| r.err()).and_then(|e| e.field(f))
    };
    let general = move || match change.value().get() {
        Some(Ok(())) => {
            Some("Your password was changed; your other sessions were signed out.".to_string())
        }
        Some(Err(e)) if !matches!(e, crate::error::AppError::Invalid(_)) => Some(e.to_string()),
        _ => None,
    };
    view! {
        <PageTitle text="Account · Rolo"/>
        <div class="toolbar"><h1>{t("Your account")}</h1></div>
        <SecondFactorSection/>
        <ActionForm action=change attr:class="card narrow" attr:aria-label=t("Change password")>
            <h2>{t("Change your password")}</h2>
            {password_field("Current password", "current", err("current"))}
            {password_field("New password", "new", err("new"))}
            {password_field("New password again", "repeat", err("repeat"))}
            <p role="status" class="meta">{general}</p>
            <button type="submit" class="primary">{t("Change password")}</button>
        </ActionForm>
        <OfflineSwitch/>
        <section class="card" aria-labelledby="sessions-title">
            <h2 id="sessions-title">{t("Where you are signed in")}</h2>
            <Suspense fallback=|| view! { <p class="loading">{t("Loading…")}</p> }>
                {move || waiting(async move {
                    match sessions.await {
                        Ok(list) => Either::Left(view! {
                            <table class="contacts">
                                <thead><tr><th scope="col">{t("Signed in")}</th><th scope="col">{t("Expires")}</th><th scope="col"><span class="visually-hidden">{t("Actions")}</span></th></tr></thead>
                                <tbody>
                                    {list.into_iter().map(|s| view! {
                                        <tr>
                                            <td>{when(s.created_at)}</td>
                                            <td>{when(s.expires_at)}</td>
                                            <td>{if s.current {
                                                Either::Left(view! { <span class="meta">{t("this session")}</span> })
                                            } else {
                                                Either::Right(view! {
                                                    <ActionForm action=end attr:class="inline">
                                                        <input type="hidden" name="id" value=s.id.clone()/>
                                                        <button type="submit" class="link" aria-label=format!("Sign out the session of {}", when(s.created_at))>{t("Sign out")}</button>
                                                    </ActionForm>
                                                })
                                            }}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }),
                        Err(e) => Either::Right(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let create = ServerAction::<AdminCreateAccount>::new();
    let disable = ServerAction::<AdminSetDisabled>::new();
    let reset = ServerAction::<AdminResetPassword>::new();
    let set_admin = ServerAction::<AdminSetAdmin>::new();
    let reset_second = ServerAction::<AdminResetSecondFactor>::new();
    let require = ServerAction::<AdminRequireSecondFactor>::new();
    let accounts = Resource::new(|| (), |_| admin_accounts());
    let policy = Resource::new(|| (), |_| second_factor());
    Effect::watch(
        move || {
            (
                create.version().get(),
                disable.version().get(),
                reset.version().get(),
                set_admin.version().get(),
                reset_second.version().get(),
            )
        },
        move |_, _, _| accounts.refetch(),
        false,
    );
    Effect::watch(move || require.version().get(), move |_, _, _| policy.refetch(), false);
    let create_error = move || {
        create.value().get().and_then(|r| r.err()).map(|e| {
            e.field("username").or_else(|| e.field("password")).unwrap_or_else(|| e.to_string())
        })
    };
    let action_error = move || {
        [
            disable.value().get(),
            reset.value().get(),
            set_admin.value().get(),
            reset_second.value().get(),
            require.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
        .map(|e| e.field("password").unwrap_or_else(|| e.to_string()))
    };
    let reset_done = move || {
        reset
            .value()
            .get()
            .and_then(|r| r.ok())
            .map(|_| "Password reset; that account's sessions were signed out.")
    };
    view! {
        <PageTitle text="Administration · Rolo"/>
        <div class="toolbar"><h1>{t("Accounts")}</h1></div>
        <p class="meta">{t("Administrators manage accounts; nobody can read another account's contacts.")}</p>
        <ActionForm action=create attr:class="card add-device" attr:aria-label=t("Create an account")>
            <div class="row">
                <div class="field"><label for="new-username">{t("Username")}</label><input id="new-username" name="username" required/></div>
                <div class="field"><label for="new-password">{t("Password")}</label><input id="new-password" name="password" type="password" required autocomplete="new-password"/></div>
                <div class="field label-field"><label><input type="checkbox" name="is_admin" value="on"/>{t(" Administrator")}</label></div>
            </div>
            <p class="error" role="alert">{create_error}</p>
            <button type="submit" class="primary">{t("Create account")}</button>
        </ActionForm>
        <Suspense fallback=|| ()>
            {move || waiting(async move {
                policy.await.ok().map(|p| {
                    let next = (!p.required).to_string();
                    view! {
                        <ActionForm action=require attr:class="card narrow" attr:aria-label=t("Two-step sign-in for everyone")>
                            <p>{if p.required {
                                t("Every account must use two-step sign-in.")
                            } else {
                                t("Two-step sign-in is each account's choice.")
                            }}</p>
                            <input type="hidden" name="required" value=next/>
                            <button type="submit" class="link">{if p.required {
                                t("Stop requiring two-step sign-in")
                            } else {
                                t("Require two-step sign-in for every account")
                            }}</button>
                        </ActionForm>
                    }
                })
            })}
        </Suspense>
        <p class="error" role="alert">{action_error}</p>
        <p role="status" class="meta">{reset_done}</p>
        <Suspense fallback=|| view! { <p class="loading">{t("Loading…")}</p> }>
            {move || waiting(async move {
                match accounts.await {
                    Ok(list) => Either::Left(view! {
                        <table class="contacts accounts">
                            <thead><tr>
                                <th scope="col">{t("Account")}</th><th scope="col">{t("Role")}</th><th scope="col">{t("Status")}</th>
                                <th scope="col">{t("Two-step")}</th>
                                <th scope="col">{t("Contacts")}</th><th scope="col">{t("Last change")}</th><th scope="col">{t("Actions")}</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|o| {
                                    let a = o.account;
                                    let id = a.id.to_string();
                                    let name = a.username.to_string();
                                    let (id1, id2, id3, id4) = (id.clone(), id.clone(), id.clone(), id);
                                    let second_factor = o.second_factor;
                                    let reset_second_label = format!("Turn off two-step sign-in of {name}");
                                    let verb = if a.disabled { "Enable" } else { "Disable" };
                                    let summary_label = format!("{verb} {name}…");
                                    let summary_text = format!("{verb}…");
                                    let confirm = format!("Confirm: {} {name}", verb.to_lowercase());
                                    let admin_text = if a.is_admin { format!("Remove admin rights of {name}") } else { format!("Make {name} admin") };
                                    let reset_label = format!("New password for {name}");
                                    let disabled_next = (!a.disabled).to_string();
                                    let admin_next = (!a.is_admin).to_string();
                                    view! {
                                        <tr>
                                            <td>{name}</td>
                                            <td>{if a.is_admin { "admin" } else { "user" }}</td>
                                            <td>{if a.disabled { "disabled" } else { "active" }}</td>
                                            <td>{if second_factor { "on" } else { "off" }}</td>
                                            <td>{o.contacts}</td>
                                            <td>{o.last_activity.map(when).unwrap_or_else(|| "never".into())}</td>
                                            <td class="account-actions">
                                                <details>
                                                    <summary aria-label=summary_label>{summary_text}</summary>
                                                    <ActionForm action=disable attr:class="inline">
                                                        <input type="hidden" name="id" value=id1/>
                                                        <input type="hidden" name="disabled" value=disabled_next/>
                                                        <button type="submit" class="danger">{confirm}</button>
                                                    </ActionForm>
                                                </details>
                                                <ActionForm action=set_admin attr:class="inline">
                                                    <input type="hidden" name="id" value=id2/>
                                                    <input type="hidden" name="is_admin" value=admin_next/>
                                                    <button type="submit" class="link">{admin_text}</button>
                                                </ActionForm>
                                                <ActionForm action=reset attr:class="inline rename">
                                                    <input type="hidden" name="id" value=id3/>
                                                    <input type="password" name="password" aria-label=reset_label autocomplete="new-password" required/>
                                                    <button type="submit" class="link">{t("Reset password")}</button>
                                                </ActionForm>
                                                {second_factor.then(|| view! {
                                                    <ActionForm action=reset_second attr:class="inline">
                                                        <input type="hidden" name="id" value=id4.clone()/>
                                                        <button type="submit" class="link" aria-label=reset_second_label.clone()>{t("Reset two-step sign-in")}</button>
                                                    </ActionForm>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }),
                    Err(e) => Either::Right(view! { <p class="error" role="alert">{e.to_string()}</p> }),
                }
            })}
        </Suspense>
    }
}
