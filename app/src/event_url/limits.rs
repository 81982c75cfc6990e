//! The section form's limits on its receiver: most requests at once (1–64,
//! 8 unless changed) and, optionally, most requests a second. Plain number
//! fields that post as they are (`max_concurrency`, `max_per_second`), so
//! they work without JavaScript; the rules are `domain::EndpointLimits`.

use leptos::prelude::*;

use super::field_messages::FieldMessages;
use crate::domain::Field;

#[component]
pub fn LimitFields(
    section: &'static str,
    concurrency: RwSignal<String>,
    per_second: RwSignal<String>,
    messages: FieldMessages,
) -> impl IntoView {
    let (hint, concurrency_id, per_second_id) = match section {
        "cdr" => (
            "cdr-limits-hint",
            "cdr-max_concurrency",
            "cdr-max_per_second",
        ),
        _ => (
            "extension-limits-hint",
            "extension-max_concurrency",
            "extension-max_per_second",
        ),
    };
    view! {
        <fieldset class="limits" aria-describedby=hint>
            <legend>"Limits on the receiver"</legend>
            <div class="limit-fields">
                <div class="field">
                    <label for=concurrency_id>"Max concurrent requests"</label>
                    <input
                        id=concurrency_id
                        name="max_concurrency"
                        type="number"
                        inputmode="numeric"
                        min="1"
                        max="64"
                        step="1"
                        placeholder="8"
                        value=concurrency.get_untracked()
                        prop:value=move || concurrency.get()
                        on:input=move |ev| concurrency.set(event_target_value(&ev))
                        aria-invalid=messages.invalid(Field::MaxConcurrency)
                        aria-describedby=messages.described_by(Field::MaxConcurrency, Some(hint))
                    />
                    {messages.view(Field::MaxConcurrency)}
                </div>
                <div class="field">
                    <label for=per_second_id>"Max requests per second"</label>
                    <input
                        id=per_second_id
                        name="max_per_second"
                        type="number"
                        inputmode="numeric"
                        min="1"
                        max="10000"
                        step="1"
                        placeholder="No limit"
                        value=per_second.get_untracked()
                        prop:value=move || per_second.get()
                        on:input=move |ev| per_second.set(event_target_value(&ev))
                        aria-invalid=messages.invalid(Field::MaxPerSecond)
                        aria-describedby=messages.described_by(Field::MaxPerSecond, Some(hint))
                    />
                    {messages.view(Field::MaxPerSecond)}
                </div>
            </div>
            <p class="hint" id=hint>
                "eventurl never sends this receiver more requests at once, or in any one second, than these (1 to 64 at once, 8 unless changed; 1 to 10,000 a second, or empty for no rate limit). Events wait their turn; test events are not counted."
            </p>
        </fieldset>
    }
}
