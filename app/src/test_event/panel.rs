//! The section's test controls (inside its form, so that without JavaScript
//! the button posts the form) and the results below it: the latest verdict
//! with the request and response, and the recent sends.

use crate::{boxed_view::BoxedOnServer, time_text::utc_seconds};
use leptos::{either::Either, ev::MouseEvent, prelude::*};

use super::{
    api::{SendTestEvent, SendTestEventAgain},
    report::{TestEcho, TestReport, Verdict},
};
use crate::{
    domain::{EndpointForm, EndpointKind, FieldErrors, SampleEvent, SavedSection},
    error::AppError,
};

const HISTORY_LEN: usize = 20;

/// What a section's test controls and results share.
#[derive(Clone, Copy)]
pub struct TestEventState {
    kind: EndpointKind,
    send: ServerAction<SendTestEvent>,
    again: ServerAction<SendTestEventAgain>,
    sample_event: RwSignal<String>,
    latest: RwSignal<Option<TestReport>>,
    history: RwSignal<Vec<TestReport>>,
    message: RwSignal<Option<String>>,
    /// Whether either send is under way: one memo, made once (each
    /// `pending()` call makes a new one).
    busy: Memo<bool>,
}

impl TestEventState {
    /// `errors` are the section's field messages: a refused send marks its
    /// fields like a refused save.
    pub fn new(
        kind: EndpointKind,
        history: Vec<TestReport>,
        echo: Option<&TestEcho>,
        errors: RwSignal<FieldErrors>,
    ) -> Self {
        let sample_event = echo
            .map(|e| e.sample_event.clone())
            .unwrap_or_else(|| SampleEvent::default_for(kind).as_str().to_owned());
        let send = ServerAction::new();
        let again = ServerAction::new();
        let (sending, sending_again) = (send.pending(), again.pending());
        let state = Self {
            kind,
            send,
            again,
            busy: Memo::new(move |_| sending.get() || sending_again.get()),
            sample_event: RwSignal::new(sample_event),
            latest: RwSignal::new(echo.and_then(|e| e.report.clone())),
            history: RwSignal::new(history),
            message: RwSignal::new(echo.and_then(|e| e.message.clone())),
        };
        let arrived = move |result: Result<TestReport, AppError>| match result {
            Ok(report) => {
                state.message.set(None);
                state.history.update(|h| {
                    h.retain(|r| r.id != report.id);
                    h.insert(0, report.clone());
                    h.truncate(HISTORY_LEN);
                });
                state.latest.set(Some(report));
            }
            Err(AppError::NotSent(field_errors)) => {
                let message = AppError::NotSent(field_errors.clone()).to_string();
                errors.set(field_errors);
                state.message.set(Some(message));
            }
            Err(e) => state.message.set(Some(e.to_string())),
        };
        Effect::new(move |_| {
            if let Some(result) = state.send.value().get() {
                arrived(result);
            }
        });
        Effect::new(move |_| {
            if let Some(result) = state.again.value().get() {
                arrived(result);
            }
        });
        state
    }

    fn pending(self) -> bool {
        self.busy.get()
    }
}

/// The sample-event choice and the **Send test event** button.
#[component]
pub fn TestEventControls(
    state: TestEventState,
    /// The form as it stands now.
    current_form: Callback<(), EndpointForm>,
    /// What is saved for this section (an empty secret field keeps it).
    saved: Signal<SavedSection>,
    errors: RwSignal<FieldErrors>,
    /// Moves focus to the first field to fix.
    focus_first: Callback<FieldErrors>,
) -> impl IntoView {
    let k = state.kind.as_str();
    let select_id = format!("{k}-sample_event");
    let on_click = move |ev: MouseEvent| {
        ev.prevent_default();
        if state.pending() {
            return;
        }
        let form = current_form.run(());
        let sample_event = state.sample_event.get_untracked();
        match saved.with_untracked(|saved| form.parse_for_sending(saved)) {
            Ok(_) => {
                errors.set(FieldErrors::default());
                state.message.set(None);
                state.send.dispatch(SendTestEvent { form, sample_event });
            }
            Err(field_errors) => {
                state
                    .message
                    .set(Some(AppError::NotSent(field_errors.clone()).to_string()));
                focus_first.run(field_errors.clone());
                errors.set(field_errors);
            }
        }
    };
    view! {
        <div class="test-controls">
            <label for=select_id.clone()>"Sample event"</label>
            <select
                id=select_id
                name="sample_event"
                on:change=move |ev| state.sample_event.set(event_target_value(&ev))
            >
                {SampleEvent::for_kind(state.kind)
                    .map(|e| {
                        let selected = state.sample_event.get_untracked() == e.as_str();
                        view! { <option value=e.as_str() selected=selected>{e.label()}</option> }
                    })
                    .collect_view()}
            </select>
            <button
                type="submit"
                class="secondary"
                formaction=crate::paths::EVENT_URL_TEST_EVENT
                on:click=on_click
                disabled=move || state.pending()
                aria-busy=move || state.pending().then_some("true")
            >
                <Show when=move || state.pending()>
                    <span class="spinner" aria-hidden="true"></span>
                </Show>
                {move || if state.pending() { "Sending…" } else { "Send test event" }}
            </button>
        </div>
    }
    .boxed_on_server()
}

/// The latest verdict and the recent sends of a section.
#[component]
pub fn TestEventResults(state: TestEventState) -> impl IntoView {
    let k = state.kind.as_str();
    let message = move || {
        state
            .message
            .get()
            .map(|m| view! { <p class="form-error test-message" role="alert">{m}</p> })
    };
    let latest = move || {
        state.latest.get().map(|report| {
            view! {
                <div class="latest">
                    <h3>"Test result"</h3>
                    <ReportView report=report/>
                </div>
            }
        })
    };
    view! {
        <div class="test-results" id=format!("{k}-test-results")>
            <div aria-live="polite">{message} {latest}</div>
            <Show when=move || state.history.with(|h| !h.is_empty())>
                <TestHistory state/>
            </Show>
        </div>
    }
    .boxed_on_server()
}

/// The recent sends, each openable and sendable again.
#[component]
fn TestHistory(state: TestEventState) -> impl IntoView {
    view! {
        <details class="history">
            <summary>
                {move || format!("Recent test events ({})", state.history.with(Vec::len))}
            </summary>
            <ol>
                <For
                    each=move || state.history.get()
                    key=|r| r.id
                    children=move |report| view! { <HistoryEntry state report/> }
                />
            </ol>
        </details>
    }
    .boxed_on_server()
}

#[component]
fn HistoryEntry(state: TestEventState, report: TestReport) -> impl IntoView {
    let id = report.id;
    let again = move |_| {
        if !state.pending() {
            state.message.set(None);
            state.again.dispatch(SendTestEventAgain { id });
        }
    };
    view! {
        <li>
            <details>
                <summary>
                    <VerdictBadge verdict=report.verdict/>
                    <span>{report.event.as_str()}</span>
                    <span>{report.status_text()}</span>
                    <span>{format!("{} ms", report.duration_ms)}</span>
                    <span>{utc_seconds(&report.sent_at)}</span>
                    <span>{report.sent_by.clone()}</span>
                </summary>
                <ReportView report=report.clone()/>
                <button
                    type="button"
                    class="secondary"
                    on:click=again
                    disabled=move || state.pending()
                >
                    "Send again"
                </button>
            </details>
        </li>
    }
    .boxed_on_server()
}

#[component]
fn VerdictBadge(verdict: Verdict) -> impl IntoView {
    let (text, class) = match verdict {
        Verdict::Delivered => ("Delivered", "badge badge-on"),
        Verdict::StopRetrying => ("Stops retries", "badge badge-bad"),
        Verdict::Retry => ("Would retry", "badge badge-bad"),
        Verdict::NotSent => ("Not sent", "badge badge-off"),
    };
    view! { <span class=class>{text}</span> }
}

/// One send: verdict, what to fix, timings, and the request and response.
#[component]
fn ReportView(report: TestReport) -> impl IntoView {
    let verdict_class = format!("report verdict-{}", report.verdict.as_str());
    let ms = |ms: u64| {
        if ms == 0 {
            "under 1 ms".to_owned()
        } else {
            format!("{ms} ms")
        }
    };
    let timing = match report.digest_ms {
        Some(digest) => format!(
            "{} in all; the Digest challenge round took {}",
            ms(report.duration_ms),
            ms(digest)
        ),
        None => ms(report.duration_ms),
    };
    let request_text = {
        let r = &report.request;
        let mut text = format!("{} {}\n", r.method, r.url);
        for (name, value) in &r.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        text.push('\n');
        text.push_str(&r.body);
        text
    };
    let response = report.response.clone().map(|r| {
        let mut text = format!("{} {}\n", r.status, r.reason);
        for (name, value) in &r.headers {
            text.push_str(&format!("{name}: {value}\n"));
        }
        text.push('\n');
        text.push_str(if r.body.is_empty() {
            "(empty body)"
        } else {
            &r.body
        });
        (text, r.body_truncated, r.remote_addr)
    });
    view! {
        <div class=verdict_class>
            <p class="verdict-title">
                <VerdictBadge verdict=report.verdict/>
                <strong>{report.verdict.title()}</strong>
            </p>
            <p class="verdict-summary">{report.summary.clone()}</p>
            {(!report.help.is_empty())
                .then(|| {
                    view! {
                        <ul class="verdict-help">
                            {report.help.iter().map(|h| view! { <li>{h.clone()}</li> }).collect_view()}
                        </ul>
                    }
                })}
            <dl class="facts">
                <dt>"Status"</dt>
                <dd>{report.status_text()}</dd>
                <dt>"Time"</dt>
                <dd>{timing}</dd>
                <dt>"Event"</dt>
                <dd>{report.event.as_str()}</dd>
                <dt>"Authentication"</dt>
                <dd>{report.auth_method.label()}</dd>
                <dt>"Sent"</dt>
                <dd>{format!("{} by {}", utc_seconds(&report.sent_at), report.sent_by)}</dd>
                {response
                    .as_ref()
                    .and_then(|(_, _, addr)| addr.clone())
                    .map(|addr| view! { <dt>"Connected to"</dt><dd>{addr}</dd> })}
            </dl>
            {report.digest_note.clone().map(|note| view! { <p class="hint">{note}</p> })}
            <details class="exchange">
                <summary>"Request sent"</summary>
                <pre tabindex="0">{request_text}</pre>
            </details>
            {match response {
                Some((text, truncated, _)) => Either::Left(view! {
                    <details class="exchange">
                        <summary>"Response received"</summary>
                        <pre tabindex="0">{text}</pre>
                        {truncated.then(|| view! { <p class="hint">"Only the first 4 KB of the body is shown."</p> })}
                    </details>
                }),
                None => Either::Right(view! { <p class="hint">"No response was received."</p> }),
            }}
        </div>
    }
    .boxed_on_server()
}
