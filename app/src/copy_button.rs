//! A button that copies a shown secret (a new token, an invitation link)
//! to the clipboard.

use leptos::prelude::*;

/// Copies the value of the input `target` to the clipboard.
#[island]
pub fn CopyButton(target: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use leptos::wasm_bindgen::JsCast;
            let value = document()
                .get_element_by_id(&target)
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
                .map(|input| input.value());
            if let Some(value) = value {
                let _ = window().navigator().clipboard().write_text(&value);
                copied.set(true);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &target;
    };
    view! {
        <button type="button" class="secondary" on:click=copy>"Copy"</button>
        <span class="hint" role="status">{move || if copied.get() { "Copied." } else { "" }}</span>
    }
}

/// A credential or one-time link shown once, when it is made: a heading,
/// what to do with it, the value read-only with a Copy button, and any
/// further help (`children`). Every "shown only now" panel is this one.
#[component]
pub fn ShownOnce(
    /// The input's id, and the prefix of the heading's.
    id: &'static str,
    title: String,
    /// The input's accessible name.
    label: &'static str,
    message: String,
    value: String,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let title_id = format!("{id}-title");
    let labelled_by = title_id.clone();
    view! {
        <section class="new-token" aria-labelledby=labelled_by>
            <h2 id=title_id>{title}</h2>
            <p role="status">{message}</p>
            <div class="secret-row">
                <label for=id class="visually-hidden">{label}</label>
                <input id=id type="text" readonly value=value spellcheck="false" autocomplete="off"/>
                <CopyButton target=id.to_owned()/>
            </div>
            {children.map(|help| help())}
        </section>
    }
}
