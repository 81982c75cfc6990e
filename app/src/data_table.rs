//! The table every list page shows (tokens, members, invitations, sessions,
//! activity, deliveries, tenants): a scrollable region a keyboard can
//! reach, named for screen readers, with its column headings.

use leptos::prelude::*;

/// A table of records: the region's accessible name, the table's class
/// (its column widths), the column headings and the rows (`<tr>`s).
#[component]
pub fn DataTable(
    label: &'static str,
    class: &'static str,
    columns: Vec<&'static str>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=label>
            <table class=class>
                <thead>
                    <tr>
                        {columns
                            .into_iter()
                            .map(|column| view! { <th scope="col">{column}</th> })
                            .collect_view()}
                    </tr>
                </thead>
                <tbody>{children()}</tbody>
            </table>
        </div>
    }
}

/// One filter of a list page: a labelled `<select>` whose first choice
/// (`any`, the empty value) filters nothing, then `choices` as (value,
/// label), the one equal to `chosen` selected.
#[component]
pub fn FilterSelect(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    any: &'static str,
    chosen: String,
    choices: Vec<(&'static str, &'static str)>,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <select id=id name=name>
                <option value="" selected=chosen.is_empty()>{any}</option>
                {choices
                    .into_iter()
                    .map(|(value, text)| view! { <option value=value selected=chosen == value>{text}</option> })
                    .collect_view()}
            </select>
        </div>
    }
}
