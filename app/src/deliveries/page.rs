// Over 500 lines: the Deliveries tab's four pages (list, event, redelivery confirmation, replay progress), one view each, sharing their filters' markup.
//! The Deliveries pages: the list (filters as a GET form, pages as links
//! with cursors), one event, and a redelivery's confirmation. Rendered on
//! the server; the only island is the local-time text.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{
    api::{delivery_event, list_deliveries, load_replay, redelivery_preview},
    model::{
        encode, AttemptView, DeliveriesData, DeliveryFilters, DeliveryRow, EventDetail,
        RedeliveryPlan, RedeliveryTarget, ReplayPage, ReplayView,
    },
};
use crate::{
    activity::LocalTime,
    auth::login_path,
    data_table::{DataTable, FilterSelect},
    domain::{EndpointKind, EventState},
    error::AppError,
    layout::{CompanyLayout, CompanyTab},
    paths::{DELIVERIES, REDELIVER},
};

/// Event types PortSIP sends, offered in the filter (any may be typed).
const EVENT_TYPES: [&str; 12] = [
    "call_cdr",
    "call_start",
    "call_update_info",
    "cdr_target_noanswer",
    "cdr_target_fail",
    "cdr_target_end",
    "extension_call",
    "extension_presence",
    "extension_status",
    "extension_agent_status",
    "queue_status",
    "queue_caller_status",
];

/// The page for an error: sign in again, or the message.
fn failed(error: AppError, back: &str) -> AnyView {
    match error {
        AppError::SignInRequired => view! {
            <main class="auth-page"><p role="alert">
                "Your session has ended. " <a href=login_path(back)>"Sign in again"</a>"."
            </p></main>
        }
        .into_any(),
        error => view! {
            <main class="auth-page"><div class="auth-card">
                <p role="alert" class="form-error">{error.to_string()}</p>
                <p><a href=DELIVERIES>"Back to Deliveries"</a></p>
            </div></main>
        }
        .into_any(),
    }
}

#[component]
pub fn DeliveriesView() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| {
            let get = |name: &str| q.get(name).unwrap_or_default();
            (
                DeliveryFilters {
                    section: get("section"),
                    state: get("state"),
                    event_type: get("type"),
                    from: get("from"),
                    to: get("to"),
                    q: get("q"),
                },
                get("before"),
                get("after"),
                get("redelivered"),
            )
        })
    };
    let data = Resource::new_blocking(args, |(filters, before, after, redelivered)| {
        list_deliveries(filters, before, after, redelivered)
    });
    view! {
        <Title text="Deliveries · Company · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(data) => deliveries(data),
                    Err(e) => failed(e, DELIVERIES),
                }
            })}
        </Suspense>
    }
}

fn deliveries(data: DeliveriesData) -> AnyView {
    let filters = data.filters.clone();
    let query = filters.query();
    let link = move |cursor: &str, name: &str| {
        if query.is_empty() {
            format!("{DELIVERIES}?{name}={cursor}")
        } else {
            format!("{DELIVERIES}?{query}&{name}={cursor}")
        }
    };
    let newer = data.newer.as_deref().map(|c| link(c, "after"));
    let older = data.older.as_deref().map(|c| link(c, "before"));
    let first = data.newer.is_some().then(|| {
        let query = filters.query();
        if query.is_empty() {
            DELIVERIES.to_owned()
        } else {
            format!("{DELIVERIES}?{query}")
        }
    });
    let bulk = data.bulk_redeliver.then(|| {
        let label = EventState::parse(&filters.state).map_or("given-up", |state| match state {
            EventState::Filtered => "filtered",
            EventState::Skipped => "skipped",
            _ => "given-up",
        });
        (
            format!(
                "{REDELIVER}?section={}&state={}&from={}&to={}",
                encode(&filters.section),
                encode(&filters.state),
                encode(&filters.from),
                encode(&filters.to)
            ),
            format!("Replay the {label} events of this section and time range…"),
        )
    });
    let shown = data.rows.len();
    view! {
        <CompanyLayout tenant=data.tenant_name.clone() username=data.admin_username.clone() tab=CompanyTab::Deliveries>
            <p class="tab-intro">
                "Every event the PBX handed in for your company, newest first, and what became of it. Open one to see its body and every attempt, and to send it again."
            </p>
            {data.redelivered.map(|n| view! {
                <p class="notice" role="status">
                    {if n == 1 { "1 event will be sent again in a moment.".to_owned() } else { format!("{n} events will be sent again in a moment.") }}
                </p>
            })}
            <Filters filters=filters.clone()/>
            {(!data.filter_errors.is_empty()).then(|| view! {
                <div class="form-error" role="alert">
                    <p>"The filters could not be applied:"</p>
                    <ul>{data.filter_errors.iter().map(|e| view! { <li>{e.clone()}</li> }).collect_view()}</ul>
                </div>
            })}
            {bulk.map(|(href, label)| view! {
                <p class="bulk"><a href=href>{label}</a></p>
            })}
            <p class="hint" role="status">
                {match shown {
                    0 => "No events match.".to_owned(),
                    1 => "Showing 1 event.".to_owned(),
                    n => format!("Showing {n} events."),
                }}
            </p>
            <EventTable rows=data.rows.clone()/>
            <nav class="pager" aria-label="Pages">
                {first.map(|href| view! { <a href=href>"⇤ Newest"</a> })}
                {newer.map(|href| view! { <a href=href rel="prev">"← Newer"</a> })}
                {older.map(|href| view! { <a href=href rel="next">"Older →"</a> })}
            </nav>
        </CompanyLayout>
    }
    .into_any()
}

#[component]
fn Filters(filters: DeliveryFilters) -> impl IntoView {
    let DeliveryFilters {
        section,
        state,
        event_type,
        from,
        to,
        q,
    } = filters;
    view! {
        <form method="get" action=DELIVERIES class="filters" role="search" aria-label="Filter deliveries">
            <FilterSelect id="deliveries-section" name="section" label="Section" any="All" chosen=section
                choices=EndpointKind::ALL.map(|k| (k.as_str(), k.title())).to_vec()/>
            <FilterSelect id="deliveries-state" name="state" label="State" any="Any" chosen=state
                choices=EventState::ALL.map(|s| (s.as_str(), s.label())).to_vec()/>
            <div class="field">
                <label for="deliveries-type">"Event type"</label>
                <input id="deliveries-type" name="type" list="deliveries-types" value=event_type autocomplete="off"/>
                <datalist id="deliveries-types">
                    {EVENT_TYPES.map(|t| view! { <option value=t></option> })}
                </datalist>
            </div>
            <div class="field">
                <label for="deliveries-from">"From (UTC)"</label>
                <input id="deliveries-from" name="from" type="datetime-local" value=from/>
            </div>
            <div class="field">
                <label for="deliveries-to">"To (UTC)"</label>
                <input id="deliveries-to" name="to" type="datetime-local" value=to/>
            </div>
            <div class="field">
                <label for="deliveries-q">"Event id, call id or extension"</label>
                <input id="deliveries-q" name="q" type="search" value=q/>
            </div>
            <button type="submit" class="secondary">"Filter"</button>
            <a class="button-link" href=DELIVERIES>"Clear"</a>
        </form>
    }
}

fn state_badge(row: &DeliveryRow) -> AnyView {
    let class = match row.state {
        EventState::Delivered => "badge badge-on",
        EventState::GivenUp => "badge badge-bad",
        EventState::Pending | EventState::Held => "badge badge-off",
        EventState::Skipped | EventState::Filtered | EventState::Discarded => "badge badge-none",
    };
    let label = match (row.state, row.attempts) {
        (EventState::Pending, 0) => "Queued",
        (EventState::Pending, _) => "Retrying",
        (state, _) => state.label(),
    };
    view! {
        <span class=class>{label}</span>
        {row.next_attempt_at.clone().map(|at| view! {
            <span class="next">" next " <LocalTime utc=at/></span>
        })}
    }
    .into_any()
}

#[component]
fn EventTable(rows: Vec<DeliveryRow>) -> impl IntoView {
    if rows.is_empty() {
        return ().into_any();
    }
    view! {
        <DataTable label="Events" class="activity deliveries-list" columns=vec!["Handed in", "Section", "Event type", "State", "Attempts", "Last status", "Event id"]>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let href = format!("{DELIVERIES}/{}", row.id);
                            view! {
                                <tr>
                                    <td><LocalTime utc=row.created_at.clone()/></td>
                                    <td>{row.section.title()}</td>
                                    <td><code>{row.event_type.clone()}</code></td>
                                    <td>{state_badge(&row)}</td>
                                    <td>{row.attempts}</td>
                                    <td>{row.last_status.map(|s| s.to_string()).unwrap_or_else(|| "—".to_owned())}</td>
                                    <td><a href=href class="event-link">{row.uid.clone()}</a></td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </DataTable>
    }
    .into_any()
}

#[component]
pub fn DeliveryEventView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let args = move || {
        (
            params.with(|p| p.get("id").unwrap_or_default()),
            query.with(|q| q.get("redelivered").is_some()),
        )
    };
    let data = Resource::new_blocking(args, |(id, redelivered)| delivery_event(id, redelivered));
    view! {
        <Title text="Event · Deliveries · Company · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(detail) => event_page(detail),
                    Err(e) => failed(e, DELIVERIES),
                }
            })}
        </Suspense>
    }
}

fn headers_table(caption: &'static str, headers: Vec<(String, String)>) -> AnyView {
    if headers.is_empty() {
        return ().into_any();
    }
    view! {
        <table class="headers">
            <caption>{caption}</caption>
            <tbody>
                {headers.into_iter().map(|(name, value)| view! {
                    <tr><th scope="row">{name}</th><td>{value}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

fn attempt_view(number: usize, attempt: AttemptView) -> AnyView {
    let class = if attempt.outcome == "delivered" {
        "attempt ok"
    } else {
        "attempt bad"
    };
    let status = attempt
        .status
        .map_or_else(|| "no response".to_owned(), |s| s.to_string());
    view! {
        <li class=class>
            <h3>
                {format!("Attempt {number}")}
                {attempt.manual.then(|| view! { <span class="badge badge-none">"manual redelivery"</span> })}
            </h3>
            <p class="verdict"><strong>{attempt.verdict.clone()}</strong></p>
            {attempt.error.clone().map(|e| view! { <p>{e}</p> })}
            {(!attempt.help.is_empty()).then(|| view! {
                <ul class="help">{attempt.help.iter().map(|h| view! { <li>{h.clone()}</li> }).collect_view()}</ul>
            })}
            <dl class="facts">
                <dt>"When"</dt><dd><LocalTime utc=attempt.attempted_at.clone()/></dd>
                <dt>"To"</dt><dd><code>{if attempt.url.is_empty() { "(not sent)".to_owned() } else { attempt.url.clone() }}</code></dd>
                <dt>"Authentication"</dt><dd>{attempt.auth_method.clone()}</dd>
                <dt>"Status"</dt><dd>{status}</dd>
                <dt>"Took"</dt><dd>{format!("{} ms", attempt.duration_ms)}</dd>
            </dl>
            <details>
                <summary>"Request and response"</summary>
                {headers_table("Request headers as sent (Authorization redacted)", attempt.request_headers.clone())}
                {headers_table("Response headers", attempt.response_headers.clone())}
                {attempt.response_body.clone().map(|body| view! {
                    <p class="hint">{if attempt.response_truncated { "Response body (first 4 KB)" } else { "Response body" }}</p>
                    <pre class="body" tabindex="0">{if body.is_empty() { "(empty)".to_owned() } else { body }}</pre>
                })}
            </details>
        </li>
    }
    .into_any()
}

fn event_page(detail: EventDetail) -> AnyView {
    let row = detail.row.clone();
    let redeliver = match detail.redeliver_refused.clone() {
        None => view! {
            <p><a class="button" href=format!("{REDELIVER}?id={}", row.id)>"Redeliver…"</a></p>
        }
        .into_any(),
        Some(why) => view! { <p class="hint">{format!("Redeliver: {why}")}</p> }.into_any(),
    };
    let attempts = detail.attempts.clone();
    view! {
        <CompanyLayout tenant=detail.tenant_name.clone() username=detail.admin_username.clone() tab=CompanyTab::Deliveries>
            <p><a href=DELIVERIES>"← All deliveries"</a></p>
            <h2 class="event-title">"Event " <code>{row.uid.clone()}</code></h2>
            {detail.redelivered.then(|| view! {
                <p class="notice" role="status">"Redelivery asked for: it is sent in a moment with the section's current settings. Reload to see the attempt."</p>
            })}
            <dl class="facts">
                <dt>"Handed in"</dt><dd><LocalTime utc=row.created_at.clone()/></dd>
                <dt>"Section"</dt><dd>{row.section.title()}</dd>
                <dt>"Event type"</dt><dd><code>{row.event_type.clone()}</code></dd>
                <dt>"State"</dt><dd>{state_badge(&row)} " " {row.state.explanation()}</dd>
                <dt>"Attempts"</dt><dd>{row.attempts}</dd>
            </dl>
            {redeliver}
            <h3>"Body"</h3>
            <pre class="body" tabindex="0" aria-label="Event body">{detail.body.clone()}</pre>
            <h3>"Attempts"</h3>
            {if attempts.is_empty() {
                view! { <p class="empty">"No attempt has been made."</p> }.into_any()
            } else {
                view! {
                    <ol class="attempts">
                        {attempts.into_iter().enumerate().map(|(i, a)| attempt_view(i + 1, a)).collect_view()}
                    </ol>
                }.into_any()
            }}
        </CompanyLayout>
    }
    .into_any()
}

#[component]
pub fn RedeliverView() -> impl IntoView {
    let query = use_query_map();
    let args = move || {
        query.with(|q| {
            let get = |name: &str| q.get(name).unwrap_or_default();
            (
                get("id"),
                get("section"),
                get("state"),
                get("from"),
                get("to"),
            )
        })
    };
    let data = Resource::new_blocking(args, |(id, section, state, from, to)| {
        redelivery_preview(id, section, state, from, to)
    });
    view! {
        <Title text="Redeliver · Deliveries · Company · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(preview) => confirmation(preview),
                    Err(e) => failed(e, REDELIVER),
                }
            })}
        </Suspense>
    }
}

fn confirmation(preview: RedeliveryPlan) -> AnyView {
    let (what, back, fields) = match &preview.target {
        RedeliveryTarget::Event { id, uid } => (
            format!("Send event {uid} again"),
            format!("{DELIVERIES}/{id}"),
            vec![("id", id.to_string())],
        ),
        RedeliveryTarget::Replay {
            section,
            state,
            from,
            to,
        } => {
            let filters = DeliveryFilters {
                section: section.as_str().to_owned(),
                state: state.as_str().to_owned(),
                from: from.clone(),
                to: to.clone(),
                ..Default::default()
            };
            let range = match (from.is_empty(), to.is_empty()) {
                (true, true) => String::new(),
                _ => format!(
                    " handed in from {} to {} (UTC)",
                    if from.is_empty() { "the first" } else { from },
                    if to.is_empty() { "now" } else { to }
                ),
            };
            (
                format!(
                    "Replay the {} {} {} of {}{range}, oldest first",
                    preview.count,
                    state.adjective(),
                    if preview.count == 1 {
                        "event"
                    } else {
                        "events"
                    },
                    section.title()
                ),
                format!("{DELIVERIES}?{}", filters.query()),
                vec![
                    ("section", section.as_str().to_owned()),
                    ("state", state.as_str().to_owned()),
                    ("from", from.clone()),
                    ("to", to.clone()),
                ],
            )
        }
    };
    let verb = match preview.target {
        RedeliveryTarget::Event { .. } => "Redeliver",
        RedeliveryTarget::Replay { .. } => "Replay",
    };
    let button = if preview.count == 1 {
        format!("{verb} 1 event")
    } else {
        format!("{verb} {} events", preview.count)
    };
    view! {
        <CompanyLayout tenant=preview.tenant_name.clone() username=preview.admin_username.clone() tab=CompanyTab::Deliveries>
            <h2>"Redeliver"</h2>
            {match preview.refused.clone() {
                Some(why) => view! {
                    <p class="form-error" role="alert">{format!("Not possible now: {why}")}</p>
                    <p><a href=back.clone()>"Back"</a></p>
                }.into_any(),
                None => view! {
                    <form method="post" action=REDELIVER class="confirm">
                        <p>{format!("{what}?")}</p>
                        <p>
                            "Each is a new attempt, marked as a manual redelivery, sent to "
                            <code>{preview.url.clone().unwrap_or_default()}</code>
                            " with the section's current authentication settings. This is recorded in Activity."
                        </p>
                        {fields.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                        <button type="submit" class="danger">{button}</button>
                        <a class="button-link" href=back.clone()>"Cancel"</a>
                    </form>
                }.into_any(),
            }}
        </CompanyLayout>
    }
    .into_any()
}

/// A replay's progress: sent, delivered and failed of its events, read
/// again every second in the browser until none is waiting.
#[component]
pub fn ReplayProgressView() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<i32>().ok())
                .unwrap_or(0)
        })
    };
    let data = Resource::new_blocking(id, load_replay);
    view! {
        <Title text="Replay · Deliveries · Company · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => replay_progress(page),
                    Err(e) => failed(e, crate::paths::REPLAYS),
                }
            })}
        </Suspense>
    }
}

fn replay_progress(page: ReplayPage) -> AnyView {
    let replay = page.replay;
    let state = EventState::parse(&replay.state).map_or("", EventState::adjective);
    let filters = DeliveryFilters {
        section: replay.section.as_str().to_owned(),
        ..Default::default()
    };
    view! {
        <CompanyLayout tenant=page.tenant_name.clone() username=page.admin_username.clone() tab=CompanyTab::Deliveries>
            <h2>{format!("Replay {}", replay.id)}</h2>
            <p>
                {format!(
                    "{} {} events of {}, asked for by {} at ",
                    replay.total,
                    state,
                    replay.section.title(),
                    replay.created_by
                )}
                <LocalTime utc=replay.created_at.clone()/>
                ", sent again oldest first at the section's limits; each is one new attempt, marked manual."
            </p>
            <ReplayCounts initial=replay/>
            <p><a href=format!("{DELIVERIES}?{}", filters.query())>"Back to the section's deliveries"</a></p>
        </CompanyLayout>
    }
    .into_any()
}

/// A replay's counts, as loaded; in the browser (an island) read again
/// every second, one read at a time, until none is waiting. Without
/// JavaScript a reload link says how to see more.
#[island]
pub fn ReplayCounts(initial: ReplayView) -> impl IntoView {
    let id = initial.id;
    let live = RwSignal::new(initial);
    #[cfg(feature = "hydrate")]
    {
        let reading = StoredValue::new(false);
        Effect::new(move |_| {
            if let Ok(handle) = set_interval_with_handle(
                move || {
                    if live.with_untracked(|r| r.done) || reading.get_value() {
                        return;
                    }
                    reading.set_value(true);
                    leptos::task::spawn_local(async move {
                        if let Ok(page) = load_replay(id).await {
                            live.set(page.replay);
                        }
                        reading.set_value(false);
                    });
                },
                std::time::Duration::from_secs(1),
            ) {
                on_cleanup(move || handle.clear());
            }
        });
    }
    let status = move || {
        live.with(|r| {
            if r.done {
                format!(
                    "Done: {} delivered, {} failed of {}.",
                    r.delivered, r.failed, r.total
                )
            } else {
                format!(
                    "Sent {} of {}: {} delivered, {} failed, {} waiting.",
                    r.sent, r.total, r.delivered, r.failed, r.waiting
                )
            }
        })
    };
    let count = move |of: fn(&ReplayView) -> u64| move || live.with(of);
    view! {
        <p role="status" class="replay-status">{status}</p>
        <progress
            max=move || live.with(|r| r.total.to_string())
            value=move || live.with(|r| r.sent.to_string())
            aria-label="Sent"
        ></progress>
        <dl class="replay-counts">
            <dt>"Events"</dt><dd>{count(|r| r.total)}</dd>
            <dt>"Sent"</dt><dd>{count(|r| r.sent)}</dd>
            <dt>"Delivered"</dt><dd>{count(|r| r.delivered)}</dd>
            <dt>"Failed"</dt><dd>{count(|r| r.failed)}</dd>
            <dt>"Waiting"</dt><dd>{count(|r| r.waiting)}</dd>
        </dl>
        {move || (!live.with(|r| r.done)).then(|| view! {
            <p class="hint">
                "Still running: this page updates itself every second (or "
                <a href=format!("{}/{}", crate::paths::REPLAYS, id)>"reload it"</a>
                ")."
            </p>
        })}
    }
}
