//! Rolo's web console (Leptos): rendered on the server, hydrated in the browser.
#![recursion_limit = "256"]
#![deny(clippy::unwrap_used)]

pub mod api;
pub mod books_api;
pub mod error;
pub mod i18n;
pub mod offline;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;
pub mod transfer;
pub mod wire;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::Lazy;
use leptos_router::{path, SsrMode};

use pages::{lazy, ContactList, NotFound, Protected};

/// The language choice in the browser: local storage (gloo-storage) and the cookie the server
/// renders by.
#[cfg(feature = "hydrate")]
pub mod i18n_client {
    use gloo_storage::{LocalStorage, Storage};
    use wasm_bindgen::JsCast;

    use crate::i18n::{Lang, LANG_COOKIE, LANG_STORAGE};

    fn set_cookie(lang: Lang) {
        if let Ok(doc) = leptos::prelude::document().dyn_into::<web_sys::HtmlDocument>() {
            let _ = doc.set_cookie(&format!(
                "{LANG_COOKIE}={}; path=/; max-age=31536000; samesite=lax",
                lang.code()
            ));
        }
    }

    fn has_cookie() -> bool {
        leptos::prelude::document()
            .dyn_into::<web_sys::HtmlDocument>()
            .ok()
            .and_then(|d| d.cookie().ok())
            .is_some_and(|c| c.split(';').any(|p| p.trim().starts_with(&format!("{LANG_COOKIE}="))))
    }

    /// At start: a choice remembered in this browser but lost from the cookie is put back
    /// (and the page reloaded in it); a page rendered from the cookie is remembered.
    pub fn sync_choice(rendered: Lang) {
        let stored = LocalStorage::get::<String>(LANG_STORAGE).ok().and_then(|s| Lang::parse(&s));
        match stored {
            Some(l) if l != rendered && !has_cookie() => {
                set_cookie(l);
                let _ = leptos::prelude::window().location().reload();
            }
            None if has_cookie() => {
                let _ = LocalStorage::set(LANG_STORAGE, rendered.code());
            }
            _ => {}
        }
    }

    /// The user chose a language: remember it here, then the caller stores it in the account
    /// and reloads.
    pub fn choose(lang: Lang) {
        let _ = LocalStorage::set(LANG_STORAGE, lang.code());
        set_cookie(lang);
    }
}

/// Text made safe to place in HTML, between tags or in a quoted attribute.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Text for the inside of a `<textarea>`: tachys writes a textarea's children into the server's
/// HTML without escaping them (as it does for `<script>` and `<style>`), so a value holding
/// `</textarea>` would end the element there. Escaped on the server (the browser reads the
/// entities back as the text), as is in the browser.
pub fn textarea_text(text: String) -> String {
    #[cfg(feature = "ssr")]
    let text = escape_html(&text);
    text
}

/// The page's `<title>`: the one place titles are set. leptos_meta writes a title into the
/// server's HTML as it is given, so a contact's name there could close the element and open a
/// script; the server's copy is escaped here (the browser sets `document.title` as text).
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let text = escape_html(&text);
    view! { <Title text/> }
}

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::ssr::set_page_csp();
    #[cfg(feature = "ssr")]
    let lang = crate::ssr::request_lang();
    #[cfg(not(feature = "ssr"))]
    let lang = i18n::Lang::En;
    #[cfg(feature = "ssr")]
    let stylesheet = use_context::<crate::ssr::AppState>()
        .map(|s| s.stylesheet.to_string())
        .unwrap_or_else(|| "/pkg/rolo.css".to_string());
    #[cfg(not(feature = "ssr"))]
    let stylesheet = "/pkg/rolo.css".to_string();
    view! {
        <!DOCTYPE html>
        <html lang=lang.html()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" href=stylesheet/>
                <link rel="icon" href="data:,"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // The page's language: on the server from the request, in the browser from the page the
    // server rendered (so hydration renders the same words).
    #[cfg(feature = "ssr")]
    let lang = crate::ssr::request_lang();
    #[cfg(not(feature = "ssr"))]
    let lang = document()
        .document_element()
        .and_then(|e| e.get_attribute("lang"))
        .and_then(|l| i18n::Lang::parse(&l))
        .unwrap_or_default();
    provide_context(lang);
    let offline = offline::Offline::new();
    provide_context(offline);
    #[cfg(feature = "hydrate")]
    i18n_client::sync_choice(lang);
    // Signing out deletes what this browser keeps of the account, after asking when changes
    // made offline still wait (a listener that runs before the sign-out form's own).
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let on_submit = wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(
            move |ev: web_sys::Event| {
                let sign_out = ev
                    .target()
                    .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                    .is_some_and(|f| f.class_list().contains("sign-out"));
                if sign_out && !offline::client::sign_out_allowed(offline) {
                    ev.prevent_default();
                    ev.stop_immediate_propagation();
                }
            },
        );
        let _ = window().add_event_listener_with_callback_and_bool(
            "submit",
            on_submit.as_ref().unchecked_ref(),
            true,
        );
        // Lives as long as the page.
        on_submit.forget();
    }
    // Marks the page once the WASM has taken over (effects run only in the browser).
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    // Keyboard shortcuts (unless the user is typing somewhere): "/" the search box, "n" a new
    // contact, "e" edit the contact shown, "j"/"k" the next/previous contact of the list
    // (Enter opens it); Ctrl+S (⌘S) saves the contact form, typing or not.
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::keydown, shortcut);
        on_cleanup(move || handle.remove());
    }
    view! {
        <PageTitle text="Rolo"/>
        <Router>
            // The contact list is in the WASM's main part; every other page is in a part loaded
            // when it is first shown (`pages::lazy`).
            <Routes fallback=NotFound>
                <Route path=path!("/login") view={Lazy::<lazy::LoginRoute>::new()}/>
                // Async SSR: the whole page is rendered before it is sent, so it works without
                // JavaScript and a signed-out visitor gets a real redirect.
                <ParentRoute path=path!("") view=Protected ssr=SsrMode::Async>
                    <Route path=path!("") view=ContactList ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/new") view={Lazy::<lazy::NewContactRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/:id") view={Lazy::<lazy::ContactDetailRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/:id/edit") view={Lazy::<lazy::EditContactRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/:id/delete") view={Lazy::<lazy::DeleteRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/devices") view={Lazy::<lazy::DevicesRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/import") view={Lazy::<lazy::ImportRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/account") view={Lazy::<lazy::AccountRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view={Lazy::<lazy::AdminRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/trash") view={Lazy::<lazy::TrashRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/undo") view={Lazy::<lazy::UndoRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/books") view={Lazy::<lazy::BooksRoute>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/duplicates") view={Lazy::<lazy::DuplicatesRoute>::new()} ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// One key of the console's keyboard shortcuts (see `App`).
#[cfg(feature = "hydrate")]
fn shortcut(ev: web_sys::KeyboardEvent) {
    use wasm_bindgen::JsCast;
    let doc = document();
    let element = |css: &str| -> Option<web_sys::HtmlElement> {
        doc.query_selector(css)
            .ok()
            .flatten()
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
    };
    // Shown: a control hidden by the page (a read-only book's edit controls) does not answer.
    let shown = |e: &web_sys::HtmlElement| e.offset_parent().is_some();
    let key = ev.key();
    if (ev.ctrl_key() || ev.meta_key()) && !ev.alt_key() && key.eq_ignore_ascii_case("s") {
        if let Some(form) = doc
            .query_selector("form.contact-form")
            .ok()
            .flatten()
            .and_then(|f| f.dyn_into::<web_sys::HtmlFormElement>().ok())
        {
            ev.prevent_default();
            let _ = form.request_submit();
        }
        return;
    }
    if ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
        return;
    }
    let typing = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
    if typing {
        return;
    }
    match key.as_str() {
        "/" => {
            if let Some(input) = element("input[type=search]") {
                ev.prevent_default();
                let _ = input.focus();
            }
        }
        "n" | "e" => {
            if let Some(link) = element(&format!("[data-key=\"{key}\"]")).filter(shown) {
                ev.prevent_default();
                link.click();
            }
        }
        "j" | "k" => {
            let Ok(links) = doc.query_selector_all("table.contacts td.name a") else { return };
            let links: Vec<web_sys::HtmlElement> = (0..links.length())
                .filter_map(|i| links.item(i))
                .filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok())
                .collect();
            if links.is_empty() {
                return;
            }
            let active = doc.active_element();
            let at =
                links.iter().position(|l| active.as_ref().is_some_and(|a| a.is_same_node(Some(l))));
            let next = match (at, key.as_str()) {
                (None, _) => 0,
                (Some(i), "j") => (i + 1).min(links.len() - 1),
                (Some(i), _) => i.saturating_sub(1),
            };
            ev.prevent_default();
            let _ = links[next].focus();
        }
        _ => {}
    }
}
