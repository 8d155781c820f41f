//! Rolo's web console (Leptos): rendered on the server, hydrated in the browser.
#![recursion_limit = "256"]
#![deny(clippy::unwrap_used)]

pub mod api;
pub mod error;
pub mod transfer;
mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use pages::{
    AccountPage, AdminPage, ContactDetail, ContactList, DeletePage, DevicesPage, EditContact, ImportPage, LoginPage, NewContact, NotFound,
    Protected,
};

/// The HTML document around the app (server side).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="stylesheet" href="/pkg/rolo.css"/>
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
    // Marks the page once the WASM has taken over (effects run only in the browser).
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    // "/" jumps to the search box (unless the user is typing somewhere).
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let handle = window_event_listener(leptos::ev::keydown, |ev| {
            if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
                return;
            }
            let typing = ev
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .is_some_and(|el| matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
            if typing {
                return;
            }
            if let Some(search) = document().query_selector("input[type=search]").ok().flatten() {
                if let Ok(input) = search.dyn_into::<web_sys::HtmlElement>() {
                    ev.prevent_default();
                    let _ = input.focus();
                }
            }
        });
        on_cleanup(move || handle.remove());
    }
    view! {
        <Title text="Rolo"/>
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage/>
                // Async SSR: the whole page is rendered before it is sent, so it works without
                // JavaScript and a signed-out visitor gets a real redirect.
                <ParentRoute path=path!("") view=Protected ssr=SsrMode::Async>
                    <Route path=path!("") view=ContactList ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/new") view=NewContact ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/:id") view=ContactDetail ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/:id/edit") view=EditContact ssr=SsrMode::Async/>
                    <Route path=path!("/contacts/:id/delete") view=DeletePage ssr=SsrMode::Async/>
                    <Route path=path!("/devices") view=DevicesPage ssr=SsrMode::Async/>
                    <Route path=path!("/import") view=ImportPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
