//! Company → Activity: the tenant's log, newest first, 25 a page, filtered
//! by section and kind. Filters and pages are plain links and a GET form, so
//! they work without JavaScript and can be bookmarked.

use crate::paths::ACTIVITY;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::list_activity,
    entry::{ActivityEntry, ActivityKind},
};
use crate::{
    data_table::{DataTable, FilterSelect},
    domain::EndpointKind,
    layout::{CompanyLayout, CompanyTab},
};

#[component]
pub fn ActivityView() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        query.with(|q| {
            (
                q.get("page")
                    .and_then(|p| p.parse::<u64>().ok())
                    .unwrap_or(1),
                q.get("section").unwrap_or_default(),
                q.get("kind").unwrap_or_default(),
            )
        })
    };
    let data = Resource::new_blocking(filters, |(page, section, kind)| {
        list_activity(page, section, kind)
    });
    view! {
        <Title text="Activity · Company · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (_, section, kind) = filters();
                match data.await {
                    Ok(page) => {
                        let link = {
                            let (section, kind) = (section.clone(), kind.clone());
                            move |n: u64| format!("{ACTIVITY}?page={n}&section={section}&kind={kind}")
                        };
                        let newer = (page.page > 1).then(|| link(page.page - 1));
                        let older = (page.page < page.pages).then(|| link(page.page + 1));
                        view! {
                            <CompanyLayout tenant=page.tenant_name.clone() username=page.admin_username.clone() tab=CompanyTab::Activity>
                                <p class="tab-intro">"Every change to your event URLs, every test event, and sign-ins, newest first. Entries cannot be changed or deleted."</p>
                                <Filters section=section.clone() kind=kind.clone()/>
                                <p class="hint" role="status">
                                    {format!("{} entries · page {} of {}", page.total, page.page, page.pages)}
                                </p>
                                <EntryTable entries=page.entries.clone()/>
                                <nav class="pager" aria-label="Pages">
                                    {newer.map(|href| view! { <a href=href rel="prev">"← Newer"</a> })}
                                    {older.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
                                </nav>
                            </CompanyLayout>
                        }
                        .into_any()
                    }
                    Err(e) => crate::layout::load_failed(e, ACTIVITY),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Filters(section: String, kind: String) -> impl IntoView {
    view! {
        <form method="get" action=ACTIVITY class="filters">
            <FilterSelect id="activity-section" name="section" label="Section" any="All" chosen=section
                choices=EndpointKind::ALL.map(|k| (k.as_str(), k.title())).to_vec()/>
            <FilterSelect id="activity-kind" name="kind" label="What" any="Everything" chosen=kind
                choices=ActivityKind::ALL.map(|k| (k.as_str(), k.label())).to_vec()/>
            <button type="submit" class="secondary">"Filter"</button>
        </form>
    }
    .into_any()
}

#[component]
fn EntryTable(entries: Vec<ActivityEntry>) -> impl IntoView {
    if entries.is_empty() {
        return view! { <p class="empty">"Nothing recorded yet."</p> }.into_any();
    }
    view! {
        <DataTable label="Activity entries" class="activity" columns=vec!["Time", "Who", "What", "Section", "Details", "From"]>
                    {entries
                        .into_iter()
                        .map(|e| {
                            let changes = e
                                .changes
                                .iter()
                                .map(|c| {
                                    let shown = |v: &str| if v.is_empty() { "(none)".to_owned() } else { v.to_owned() };
                                    view! { <li>{format!("{}: {} → {}", c.field, shown(&c.old), shown(&c.new))}</li> }
                                })
                                .collect_view();
                            view! {
                                <tr>
                                    <td><LocalTime utc=e.occurred_at.clone()/></td>
                                    <td>{e.actor.clone()}</td>
                                    <td>{e.kind.label()}</td>
                                    <td>{e.section.map(|s| s.title()).unwrap_or("")}</td>
                                    <td>{e.summary.clone()} <ul class="changes">{changes}</ul></td>
                                    <td>{e.source_ip.clone().unwrap_or_default()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
    }
    .into_any()
}

/// A UTC time, shown in UTC by the server and in the browser's own zone
/// once the page has hydrated.
#[island]
pub fn LocalTime(utc: String) -> impl IntoView {
    let shown = RwSignal::new(crate::time_text::utc_seconds(&utc));
    #[cfg(feature = "hydrate")]
    {
        let utc = utc.clone();
        Effect::new(move |_| {
            let date = js_sys::Date::new(&leptos::wasm_bindgen::JsValue::from_str(&utc));
            if !date.get_time().is_nan() {
                shown.set(String::from(date.to_locale_string(
                    "default",
                    &leptos::wasm_bindgen::JsValue::UNDEFINED,
                )));
            }
        });
    }
    view! { <time datetime=utc.clone()>{move || shown.get()}</time> }
}
