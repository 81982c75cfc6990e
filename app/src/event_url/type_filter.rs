//! The section form's event types: all of the section's (the default), or
//! only the ones ticked, listed with PortSIP's own names. Radio buttons and
//! checkboxes post as they are (`event_filter`, `event_types[call_cdr]`), so
//! it works without JavaScript; the list shows only while "Only these" is
//! chosen (CSS `:has`).

use leptos::prelude::*;
use std::collections::BTreeMap;

use crate::domain::{EndpointKind, Field};

#[component]
pub fn EventTypeChoice(
    kind: EndpointKind,
    /// `all` or `some`.
    filter: RwSignal<String>,
    /// A key per ticked type.
    ticked: RwSignal<BTreeMap<String, String>>,
    message: Callback<Field, Option<String>>,
) -> impl IntoView {
    let k = kind.as_str();
    let all_id = format!("{k}-event_filter_all");
    let some_id = format!("{k}-{}", Field::EventTypes.name());
    let hint_id = format!("{k}-event_types-hint");
    let error_id = format!("{k}-{}-error", Field::EventTypes.name());
    let described = {
        let (hint_id, error_id) = (hint_id.clone(), error_id.clone());
        move || match message.run(Field::EventTypes) {
            Some(_) => format!("{hint_id} {error_id}"),
            None => hint_id.clone(),
        }
    };
    let start_some = filter.get_untracked() == "some";
    let fieldset_hint = hint_id.clone();
    let boxes = kind
        .event_types()
        .iter()
        .map(|(name, what)| {
            let id = format!("{k}-type-{name}");
            let key = (*name).to_owned();
            let checked_key = key.clone();
            let start = ticked.with_untracked(|t| t.contains_key(*name));
            view! {
                <li class="field checkbox">
                    <input
                        id=id.clone()
                        name=format!("event_types[{name}]")
                        type="checkbox"
                        value="on"
                        checked=start
                        prop:checked=move || ticked.with(|t| t.contains_key(&checked_key))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            ticked.update(|t| {
                                if on {
                                    t.insert(key.clone(), "on".to_owned());
                                } else {
                                    t.remove(&key);
                                }
                            })
                        }
                    />
                    <label for=id>
                        <code>{*name}</code>
                        {format!(": {what}")}
                    </label>
                </li>
            }
        })
        .collect_view();
    view! {
        <fieldset class="event-types" aria-describedby=fieldset_hint>
            <legend>"Event types"</legend>
            <div class="field checkbox">
                <input
                    id=all_id.clone()
                    name="event_filter"
                    type="radio"
                    value="all"
                    checked=!start_some
                    prop:checked=move || filter.get() != "some"
                    on:change=move |_| filter.set("all".to_owned())
                />
                <label for=all_id>"All of this section's event types"</label>
            </div>
            <div class="field checkbox">
                <input
                    id=some_id.clone()
                    name="event_filter"
                    type="radio"
                    value="some"
                    checked=start_some
                    prop:checked=move || filter.get() == "some"
                    on:change=move |_| filter.set("some".to_owned())
                    aria-invalid=move || message.run(Field::EventTypes).map(|_| "true")
                    aria-describedby=described
                />
                <label for=some_id>"Only these:"</label>
            </div>
            <ul class="type-list">{boxes}</ul>
            {move || {
                message
                    .run(Field::EventTypes)
                    .map(|text| view! { <p class="field-error" id=error_id.clone()>{text}</p> })
            }}
            <p class="hint" id=hint_id>
                "An event of a type left out is not sent: Deliveries shows it as Filtered. A change applies to events that arrive after it."
            </p>
        </fieldset>
    }
}
