//! The browser entry point: hydrates the server-rendered console.
#![recursion_limit = "256"]
#![deny(clippy::unwrap_used)]

use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    // Panic messages reach the browser's console where the WASM is built with a message-keeping
    // panic strategy (a rustup wasm32 target); scripts/build.sh's own build stops at a panic
    // without formatting one, and this hook is then never called.
    console_error_panic_hook::set_once();
    // Lazy: a page in a part of the WASM loaded on demand (app::pages::lazy) is hydrated once
    // its part is in.
    leptos::mount::hydrate_lazy(app::App);
}
