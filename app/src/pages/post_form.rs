//! `PostForm`: a form that calls a server function, as Leptos's `ActionForm` does, with the
//! call's arguments made from its fields by the page instead of decoded generically.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// The fields of a submitted form, by name.
pub struct Fields(leptos::web_sys::FormData);

impl Fields {
    /// The value of the field `name` ("" when the form has none).
    pub fn get(&self, name: &str) -> String {
        self.0.get(name).as_string().unwrap_or_default()
    }
}

/// A form calling the server function of `action`. Without JavaScript it posts to the
/// function's address, as `ActionForm` does; in the browser the submit is handled here and
/// `args` makes the call's arguments from the form's fields. `ActionForm` decodes the fields
/// with a generic query-string reader that the pages every session loads do without (the four
/// forms of the list and the top bar as `PostForm`s took 20 KB gzip off the WASM's main part).
/// Attributes (`attr:class`, …) go on the `<form>`.
#[component]
pub fn PostForm<S>(
    action: ServerAction<S>,
    args: fn(&Fields) -> S,
    children: Children,
) -> impl IntoView
where
    S: ServerFn + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        use leptos::wasm_bindgen::JsCast;
        if ev.default_prevented() {
            return;
        }
        let form = ev.target().and_then(|t| t.dyn_into::<leptos::web_sys::HtmlFormElement>().ok());
        let Some(data) = form.and_then(|f| leptos::web_sys::FormData::new_with_form(&f).ok())
        else {
            return;
        };
        ev.prevent_default();
        action.dispatch(args(&Fields(data)));
    };
    view! {
        <form action=S::url() method="post" on:submit=on_submit>
            {children()}
        </form>
    }
}
