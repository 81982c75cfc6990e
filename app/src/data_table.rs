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
