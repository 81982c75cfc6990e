//! The section form's custom headers: a row per header (name, value,
//! Secret), one blank row to fill, and with JavaScript **Add header** and
//! **Remove**. Rows post as `headers[i][name]` etc., so the form works
//! without JavaScript too (one new header per save).

use leptos::prelude::*;

use super::field_messages::FieldMessages;
use crate::domain::{Field, HeaderInput, HeaderPart, SavedHeader, MAX_HEADERS};

/// One row's controls' values.
#[derive(Clone, Copy)]
pub struct HeaderRow {
    name: RwSignal<String>,
    value: RwSignal<String>,
    secret: RwSignal<bool>,
}

impl HeaderRow {
    fn of(input: &HeaderInput) -> Self {
        Self {
            name: RwSignal::new(input.name.clone()),
            value: RwSignal::new(input.value.clone()),
            secret: RwSignal::new(input.secret.is_some()),
        }
    }

    fn blank() -> Self {
        Self::of(&HeaderInput::default())
    }

    fn input(&self) -> HeaderInput {
        HeaderInput {
            name: self.name.get_untracked(),
            value: self.value.get_untracked(),
            secret: self.secret.get_untracked().then(|| "on".to_owned()),
        }
    }
}

/// The rows for `inputs`, and a blank one to fill while there is room.
pub fn rows_of(inputs: &[HeaderInput]) -> Vec<HeaderRow> {
    // A refused post's trailing blank rows give way to the one offered at
    // the end (rows before keep their places: messages name them by index).
    let filled = inputs
        .iter()
        .rposition(|i| !i.name.trim().is_empty() || !i.value.is_empty())
        .map_or(0, |last| last + 1);
    let mut rows: Vec<HeaderRow> = inputs[..filled].iter().map(HeaderRow::of).collect();
    if rows.len() < MAX_HEADERS {
        rows.push(HeaderRow::blank());
    }
    rows
}

/// The rows as the form sends them.
pub fn inputs_of(rows: &[HeaderRow]) -> Vec<HeaderInput> {
    rows.iter().map(HeaderRow::input).collect()
}

/// The headers' fieldset, with the section's per-field messages.
#[component]
pub fn HeaderRows(
    section: &'static str,
    rows: RwSignal<Vec<HeaderRow>>,
    saved: Signal<Vec<SavedHeader>>,
    messages: FieldMessages,
) -> impl IntoView {
    let hint_id = format!("{section}-headers-hint");
    let described_by = hint_id.clone();
    let add = move |_| {
        rows.update(|r| {
            if r.len() < MAX_HEADERS {
                r.push(HeaderRow::blank());
            }
        })
    };
    let list = move || {
        let count = rows.with(Vec::len);
        rows.get()
            .into_iter()
            .enumerate()
            .map(|(i, row)| {
                let index = u8::try_from(i).unwrap_or(u8::MAX);
                let name_field = Field::Header(index, HeaderPart::Name);
                let value_field = Field::Header(index, HeaderPart::Value);
                let name_id = format!("{section}-{}", name_field.name());
                let value_id = format!("{section}-{}", value_field.name());
                let secret_id = format!("{section}-header_{i}_secret");
                let saved_secret = move || {
                    let name = row.name.get();
                    saved.with(|s| {
                        s.iter()
                            .any(|h| h.secret && h.name.eq_ignore_ascii_case(name.trim()))
                    })
                };
                let remove = move |_| {
                    rows.update(|r| {
                        if i < r.len() {
                            r.remove(i);
                        }
                        if r.is_empty() {
                            r.push(HeaderRow::blank());
                        }
                    })
                };
                let label = move || {
                    let name = row.name.get();
                    if name.trim().is_empty() {
                        format!("Remove header {}", i + 1)
                    } else {
                        format!("Remove header {}", name.trim())
                    }
                };
                view! {
                    <div class="header-row" role="group" aria-label=format!("Header {}", i + 1)>
                        <div class="field">
                            <label for=name_id.clone()>"Name"</label>
                            <input
                                id=name_id
                                name=format!("headers[{i}][name]")
                                type="text"
                                autocomplete="off"
                                spellcheck="false"
                                placeholder="X-Environment"
                                value=row.name.get_untracked()
                                prop:value=move || row.name.get()
                                on:input=move |ev| row.name.set(event_target_value(&ev))
                                aria-invalid=messages.invalid(name_field)
                                aria-describedby=messages.described_by(name_field, None)
                            />
                            {messages.view(name_field)}
                        </div>
                        <div class="field">
                            <label for=value_id.clone()>"Value"</label>
                            <input
                                id=value_id
                                name=format!("headers[{i}][value]")
                                type=move || if row.secret.get() { "password" } else { "text" }
                                autocomplete="off"
                                spellcheck="false"
                                value=row.value.get_untracked()
                                prop:value=move || row.value.get()
                                on:input=move |ev| row.value.set(event_target_value(&ev))
                                placeholder=move || {
                                    (row.secret.get() && saved_secret())
                                        .then_some("Saved value kept unless you type a new one")
                                }
                                aria-invalid=messages.invalid(value_field)
                                aria-describedby=messages.described_by(value_field, None)
                            />
                            {messages.view(value_field)}
                        </div>
                        <div class="field checkbox">
                            <input
                                id=secret_id.clone()
                                name=format!("headers[{i}][secret]")
                                type="checkbox"
                                value="on"
                                checked=row.secret.get_untracked()
                                prop:checked=move || row.secret.get()
                                on:change=move |ev| row.secret.set(event_target_checked(&ev))
                            />
                            <label for=secret_id>"Secret"</label>
                        </div>
                        <button
                            type="button"
                            class="secondary needs-js"
                            on:click=remove
                            aria-label=label
                            disabled=count == 1 && row.name.get_untracked().is_empty()
                        >
                            "Remove"
                        </button>
                    </div>
                }
            })
            .collect_view()
    };
    view! {
        <fieldset class="custom-headers" aria-describedby=described_by>
            <legend>"Custom headers"</legend>
            <p class="hint" id=hint_id>
                {format!("Sent with every event and test event, up to {MAX_HEADERS}. A secret value is stored encrypted and never shown again: left empty, the saved one is kept, and it is only ever sent to the URL it was saved with.")}
            </p>
            {messages.view(Field::Headers)}
            {list}
            <button
                type="button"
                class="secondary needs-js"
                on:click=add
                disabled=move || rows.with(|r| r.len() >= MAX_HEADERS)
            >
                "Add header"
            </button>
        </fieldset>
    }
}
