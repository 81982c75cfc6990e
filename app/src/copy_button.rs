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
