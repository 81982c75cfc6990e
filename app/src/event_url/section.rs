// Over 500 lines: one island (the section form) and the two components only it renders, sharing its signals and ids.
//! One section of the tab (CDR Events or Extension Events): its form, the
//! same validation as the server before sending, and what happened.
//!
//! Which credential fields show follows the selected method through CSS
//! (`:has(option:checked)`), so it works before hydration and without
//! JavaScript; the form falls back to a plain POST when scripts are off.

use crate::paths::{EVENT_URL, EVENT_URL_DISCARD_HELD};
use crate::{boxed_view::BoxedOnServer, time_text::utc_minutes};
use leptos::{either::EitherOf4, ev::SubmitEvent, prelude::*};

use super::{
    api::{GenerateSecret, SaveEndpoint},
    field_messages::FieldMessages,
    headers::{inputs_of, rows_of, HeaderRows},
    limits::LimitFields,
    model::{DeliverySummary, EndpointView, SaveEcho, ROTATE_AFTER_DAYS},
    switch::{EnableSwitch, SwitchEcho},
    type_filter::EventTypeChoice,
};
use crate::{
    domain::{
        AlertKind, AuthMethod, EndpointForm, EndpointKind, EndpointUrl, Field, FieldErrors,
        SecretKind,
    },
    error::AppError,
    test_event::{TestEcho, TestEventControls, TestEventResults, TestEventState, TestReport},
};

#[derive(Clone, Debug, PartialEq)]
enum Status {
    Idle,
    Saved,
    Failed(String),
    /// Someone else saved first: the message and a way to reload.
    Conflict(String),
}

#[island]
pub fn EndpointSection(
    initial: EndpointView,
    tests: Vec<TestReport>,
    echo: Option<SaveEcho>,
    test_echo: Option<TestEcho>,
    switch_echo: Option<SwitchEcho>,
    just_saved: bool,
    /// Rendered on the server only: the 24-hour chart and the counts
    /// (`DeliveryStatus`), which change only with a new page.
    children: Children,
) -> impl IntoView {
    let kind = initial.kind;
    let k = kind.as_str();
    let ids = SectionIds::of(kind);

    let start = echo
        .as_ref()
        .map(|e| e.form.clone())
        .or_else(|| test_echo.as_ref().map(|e| e.form.clone()))
        .unwrap_or_else(|| initial.to_form());
    let start_method = AuthMethod::parse(&start.auth_method).unwrap_or_default();
    let start_enabled = start.enabled.is_some();

    let saved = RwSignal::new(initial);
    let method = RwSignal::new(start_method);
    let url = RwSignal::new(start.url.clone());
    let username = RwSignal::new(start.username.clone());
    let password = RwSignal::new(String::new());
    let token = RwSignal::new(String::new());
    let enabled = RwSignal::new(start_enabled);
    let header_rows = RwSignal::new(rows_of(&start.headers));
    let event_filter = RwSignal::new(start.event_filter.clone());
    let event_types = RwSignal::new(start.event_types.clone());
    let max_concurrency = RwSignal::new(start.max_concurrency.clone());
    let max_per_second = RwSignal::new(start.max_per_second.clone());
    let errors = RwSignal::new(
        echo.as_ref()
            .map(|e| e.errors.clone())
            .or_else(|| test_echo.as_ref().map(|e| e.errors.clone()))
            .unwrap_or_default(),
    );
    let test = TestEventState::new(kind, tests, test_echo.as_ref(), errors);
    let status = RwSignal::new(match (&echo, just_saved) {
        (Some(e), _) if e.conflict => Status::Conflict(e.message.clone()),
        (Some(e), _) => Status::Failed(e.message.clone()),
        (None, true) => Status::Saved,
        (None, false) => Status::Idle,
    });

    let save = ServerAction::<SaveEndpoint>::new();
    let saving = save.pending();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(view)) => {
            let form = view.to_form();
            header_rows.set(rows_of(&form.headers));
            event_filter.set(form.event_filter);
            event_types.set(form.event_types);
            max_concurrency.set(form.max_concurrency);
            max_per_second.set(form.max_per_second);
            saved.set(view);
            password.set(String::new());
            token.set(String::new());
            errors.set(FieldErrors::default());
            status.set(Status::Saved);
        }
        Some(Err(AppError::Invalid(field_errors))) => {
            errors.set(field_errors.clone());
            status.set(Status::Failed(AppError::Invalid(field_errors).to_string()));
        }
        Some(Err(e @ AppError::Conflict(_))) => status.set(Status::Conflict(e.to_string())),
        Some(Err(e)) => status.set(Status::Failed(e.to_string())),
        None => {}
    });

    let current_form = move || EndpointForm {
        kind: k.to_owned(),
        auth_method: method.get_untracked().as_str().to_owned(),
        url: url.get_untracked(),
        username: username.get_untracked(),
        password: password.get_untracked(),
        token: token.get_untracked(),
        enabled: enabled.get_untracked().then(|| "on".to_owned()),
        headers: header_rows.with_untracked(|rows| inputs_of(rows)),
        event_filter: event_filter.get_untracked(),
        event_types: event_types.get_untracked(),
        max_concurrency: max_concurrency.get_untracked(),
        max_per_second: max_per_second.get_untracked(),
        version: saved.with_untracked(|s| s.version.to_string()),
    };
    let focus_first = move |field_errors: &FieldErrors| {
        if let Some(first) = field_errors.iter().map(|(field, _)| field).min() {
            focus(&format!("{k}-{}", first.name()));
        }
    };
    let on_submit = move |ev: SubmitEvent| {
        ev.prevent_default();
        if saving.get_untracked() {
            return;
        }
        let form = current_form();
        match saved.with_untracked(|s| form.parse(&s.saved())) {
            Ok(_) => {
                errors.set(FieldErrors::default());
                status.set(Status::Idle);
                save.dispatch(SaveEndpoint { form });
            }
            Err(field_errors) => {
                focus_first(&field_errors);
                errors.set(field_errors.clone());
                status.set(Status::Failed(AppError::Invalid(field_errors).to_string()));
            }
        }
    };

    let messages = FieldMessages { section: k, errors };
    let error_view = move |field: Field| messages.view(field);
    let invalid = move |field: Field| messages.invalid(field);
    let described_by =
        move |field: Field, hint: Option<&'static str>| messages.described_by(field, hint);
    let plain_http = move || {
        url.with(|u| {
            EndpointUrl::parse(u)
                .map(|u| !u.is_https())
                .unwrap_or(false)
        })
    };

    view! {
        <section class="endpoint" id=k aria-labelledby=ids.title>
            <div class="endpoint-head">
                <h2 id=ids.title>{kind.title()}</h2>
                <EnableSwitch saved form_enabled=enabled echo=switch_echo/>
            </div>
            <p class="hint">{kind.description()}</p>
            {move || {
                saved.with(|s| {
                    s.alert
                        .clone()
                        .filter(|alert| alert.kind == AlertKind::AutoPaused)
                        .map(|alert| {
                            let since = s
                                .alert_since
                                .as_deref()
                                .map(|at| format!(" on {}", utc_minutes(at)))
                                .unwrap_or_default();
                            view! {
                                <p class="paused-reason">
                                    {format!(
                                        "Paused automatically{since}: its last {} events were all given up. Fix the receiver, then enable delivery again.",
                                        alert.count
                                    )}
                                </p>
                            }
                        })
                })
            }}
            {children()}
            <form method="post" action=EVENT_URL novalidate on:submit=on_submit>
                <input type="hidden" name="kind" value=k/>
                <input type="hidden" name="version" value=start.version.clone()/>
                <div class="field">
                    <label for=ids.auth_method>"Authentication Method"</label>
                    <select
                        id=ids.auth_method
                        name="auth_method"
                        on:change=move |ev| {
                            method.set(AuthMethod::parse(&event_target_value(&ev)).unwrap_or_default())
                        }
                        aria-invalid=invalid(Field::AuthMethod)
                        aria-describedby=described_by(Field::AuthMethod, None)
                    >
                        {AuthMethod::ALL
                            .map(|m| {
                                view! {
                                    <option value=m.as_str() selected=m == start_method>
                                        {m.label()}
                                    </option>
                                }
                            })}
                    </select>
                    {error_view(Field::AuthMethod)}
                </div>
                <div class="auth-fields auth-userpass">
                    <div class="field">
                        <label for=ids.username>"Username"</label>
                        <input
                            id=ids.username
                            name="username"
                            type="text"
                            autocomplete="off"
                            spellcheck="false"
                            value=start.username.clone()
                            on:input=move |ev| username.set(event_target_value(&ev))
                            aria-invalid=invalid(Field::Username)
                            aria-describedby=described_by(Field::Username, None)
                        />
                        {error_view(Field::Username)}
                    </div>
                    <SecretField
                        messages
                        field=Field::Password
                        id=ids.password
                        hint_id=ids.password_hint
                        secret_kind=SecretKind::Password
                        label="Password"
                        texts=&PASSWORD_TEXTS
                        autocomplete="new-password"
                        value=password
                        saved
                    />
                </div>
                <div class="auth-fields auth-bearer">
                    <SecretField
                        messages
                        field=Field::Token
                        id=ids.token
                        hint_id=ids.token_hint
                        secret_kind=SecretKind::Token
                        label="Bearer Token"
                        texts=&TOKEN_TEXTS
                        autocomplete="off"
                        value=token
                        saved
                    />
                </div>
                <div class="field">
                    <label for=ids.url>{kind.url_label()}</label>
                    <input
                        id=ids.url
                        name="url"
                        type="url"
                        inputmode="url"
                        autocomplete="off"
                        spellcheck="false"
                        placeholder="https://example.com/pbx/events"
                        value=start.url.clone()
                        on:input=move |ev| url.set(event_target_value(&ev))
                        aria-invalid=invalid(Field::Url)
                        aria-describedby=described_by(Field::Url, None)
                    />
                    {error_view(Field::Url)}
                    <Show when=plain_http>
                        <p class="field-warning">
                            "HTTPS is strongly recommended: over http:// events and credentials travel unencrypted."
                        </p>
                    </Show>
                </div>
                <EventTypeChoice
                    kind
                    filter=event_filter
                    ticked=event_types
                    message=Callback::new(move |field| messages.message(field))
                />
                <HeaderRows
                    section=k
                    rows=header_rows
                    saved=Signal::derive(move || saved.with(|s| s.headers.clone()))
                    messages
                />
                <LimitFields
                    section=k
                    concurrency=max_concurrency
                    per_second=max_per_second
                    messages
                />
                <div class="field checkbox">
                    <input
                        id=ids.enabled
                        name="enabled"
                        type="checkbox"
                        value="on"
                        checked=start_enabled
                        prop:checked=move || enabled.get()
                        on:change=move |ev| enabled.set(event_target_checked(&ev))
                        aria-describedby=ids.enabled_hint
                    />
                    <label for=ids.enabled>"Enable"</label>
                    <p class="hint" id=ids.enabled_hint>
                        "When off, the PBX pauses delivery; these settings are kept."
                    </p>
                    {error_view(Field::Enabled)}
                </div>
                <div class="actions">
                    <button type="submit" class="primary" disabled=move || saving.get()>
                        {move || if saving.get() { "Saving…" } else { "Save" }}
                    </button>
                    <TestEventControls
                        state=test
                        current_form=Callback::new(move |()| current_form())
                        saved=Signal::derive(move || saved.with(EndpointView::saved))
                        errors
                        focus_first=Callback::new(move |e: FieldErrors| focus_first(&e))
                    />
                    <p class="status" role="status">
                        {move || match status.get() {
                            Status::Idle => EitherOf4::A(view! { <span></span> }),
                            Status::Saved => {
                                let at = saved.with(|s| utc_minutes(&s.updated_at));
                                EitherOf4::B(view! { <span class="ok">{format!("Saved at {at}.")}</span> })
                            }
                            Status::Failed(message) => EitherOf4::C(view! { <span class="bad">{message}</span> }),
                            Status::Conflict(message) => EitherOf4::D(view! {
                                <span class="bad">{message}</span>
                                " "
                                <a href=format!("{EVENT_URL}?reloaded=1#{k}") rel="external">"Reload"</a>
                            }),
                        }}
                    </p>
                </div>
            </form>
            <TestEventResults state=test/>
        </section>
    }
    .boxed_on_server()
}

/// A secret field's fixed wording, written once per kind of secret
/// rather than formatted on every render.
struct SecretTexts {
    noun: &'static str,
    generate: &'static str,
    rotate: &'static str,
    rotate_accept: &'static str,
    rotate_save: &'static str,
    rotate_retire: &'static str,
}

macro_rules! secret_texts {
    ($noun:literal) => {
        SecretTexts {
            noun: $noun,
            generate: concat!("Generate ", $noun),
            rotate: concat!("How to rotate the ", $noun, " without losing events"),
            rotate_accept: concat!(
                "Make your receiver accept both the old and the new ",
                $noun,
                " for a while."
            ),
            rotate_save: concat!("Generate or type the new ", $noun, " here and Save."),
            rotate_retire: concat!("Retire the old ", $noun, " at the receiver."),
        }
    };
}

static PASSWORD_TEXTS: SecretTexts = secret_texts!("password");
static TOKEN_TEXTS: SecretTexts = secret_texts!("token");

/// The element ids of a section's controls (`cdr-url`, …): written once
/// per kind, so that a page renders them without building a string each.
/// A control's id is the section's kind and the field's name
/// (`focus_first` builds it from those).
struct SectionIds {
    title: &'static str,
    auth_method: &'static str,
    username: &'static str,
    password: &'static str,
    password_hint: &'static str,
    token: &'static str,
    token_hint: &'static str,
    url: &'static str,
    enabled: &'static str,
    enabled_hint: &'static str,
}

macro_rules! section_ids {
    ($kind:literal) => {
        SectionIds {
            title: concat!($kind, "-title"),
            auth_method: concat!($kind, "-auth_method"),
            username: concat!($kind, "-username"),
            password: concat!($kind, "-password"),
            password_hint: concat!($kind, "-password-hint"),
            token: concat!($kind, "-token"),
            token_hint: concat!($kind, "-token-hint"),
            url: concat!($kind, "-url"),
            enabled: concat!($kind, "-enabled"),
            enabled_hint: concat!($kind, "-enabled-hint"),
        }
    };
}

static CDR_IDS: SectionIds = section_ids!("cdr");
static EXTENSION_IDS: SectionIds = section_ids!("extension");

impl SectionIds {
    fn of(kind: EndpointKind) -> &'static Self {
        match kind {
            EndpointKind::Cdr => &CDR_IDS,
            EndpointKind::Extension => &EXTENSION_IDS,
        }
    }
}

/// Moves keyboard focus to the control with this id, so that a refused
/// save leads straight to the first field to fix.
fn focus(id: &str) {
    use leptos::wasm_bindgen::JsCast;
    if let Some(element) = document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlElement>().ok())
    {
        let _ = element.focus();
    }
}

/// A write-only secret: always empty when shown, with a hint saying whether
/// one is saved, since when and by whom (flagged after 90 days); left empty,
/// the saved one is kept. **Generate** fills a strong random one and shows
/// it once, with a copy button, until the form is saved.
#[component]
fn SecretField(
    messages: FieldMessages,
    field: Field,
    /// The input's id and its hint's (`SectionIds`).
    id: &'static str,
    hint_id: &'static str,
    secret_kind: SecretKind,
    label: &'static str,
    texts: &'static SecretTexts,
    autocomplete: &'static str,
    value: RwSignal<String>,
    saved: RwSignal<EndpointView>,
) -> impl IntoView {
    let noun = texts.noun;
    let status = move || {
        saved.with(|s| {
            s.secret
                .as_ref()
                .filter(|secret| secret.kind == secret_kind)
                .cloned()
        })
    };
    let generate = ServerAction::<GenerateSecret>::new();
    let generating = generate.pending();
    let shown = RwSignal::new(None::<String>);
    let copied = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(secret)) = generate.value().get() {
            value.set(secret.clone());
            copied.set(false);
            shown.set(Some(secret));
        }
    });
    // Typing over it, or saving (which empties the field), ends the showing.
    let showing = move || shown.get().filter(|s| value.with(|v| v == s));
    let copy = move |_| {
        if let Some(secret) = shown.get_untracked() {
            #[cfg(feature = "hydrate")]
            {
                let _ = window().navigator().clipboard().write_text(&secret);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = secret;
            copied.set(true);
        }
    };
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <div class="secret-row">
                <input
                    id=id
                    name=field.name()
                    type="password"
                    autocomplete=autocomplete
                    spellcheck="false"
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                    placeholder=move || {
                        status().map(|_| format!("Saved {noun} kept unless you type a new one"))
                    }
                    aria-invalid=messages.invalid(field)
                    aria-describedby=messages.described_by(field, Some(hint_id))
                />
                <button
                    type="button"
                    class="secondary needs-js"
                    on:click=move |_| {
                        generate.dispatch(GenerateSecret { kind: secret_kind });
                    }
                    disabled=move || generating.get()
                >
                    {texts.generate}
                </button>
            </div>
            <p class="hint" id=hint_id>
                {move || match status() {
                    Some(secret) => {
                        let by = secret.changed_by.map(|b| format!(" by {b}")).unwrap_or_default();
                        let only = saved.with(EndpointView::secret_destination).map_or_else(
                            || " A URL needs it typed again.".to_owned(),
                            |url| format!(" It is only ever sent to {url}: any other URL needs it typed again."),
                        );
                        format!(
                            "A {noun} is set (changed {}{by}). Leave empty to keep it, or type or generate a new one to replace it.{only}",
                            utc_minutes(&secret.changed_at)
                        )
                    }
                    None => format!("No {noun} is saved yet."),
                }}
            </p>
            {move || {
                status()
                    .filter(|s| s.age_days > ROTATE_AFTER_DAYS)
                    .map(|s| {
                        view! {
                            <p class="field-warning">
                                {format!("This {noun} is {} days old: rotate it (see the guide below).", s.age_days)}
                            </p>
                        }
                    })
            }}
            {move || {
                showing()
                    .map(|secret| {
                        view! {
                            <div class="shown-once" aria-live="polite">
                                <p>
                                    <strong>{format!("New {noun}: ")}</strong>
                                    <code>{secret}</code>
                                    " "
                                    <button type="button" class="secondary" on:click=copy>
                                        {move || if copied.get() { "Copied" } else { "Copy" }}
                                    </button>
                                </p>
                                <p class="hint">
                                    {format!("Copy it now and give it to your receiver: once saved it is stored encrypted and never shown again. Save to replace the old {noun}.")}
                                </p>
                            </div>
                        }
                    })
            }}
            {messages.view(field)}
            <details class="rotation-guide">
                <summary>{texts.rotate}</summary>
                <ol>
                    <li>{texts.rotate_accept}</li>
                    <li>{texts.rotate_save}</li>
                    <li>"Send a test event and check that it is delivered."</li>
                    <li>{texts.rotate_retire}</li>
                </ol>
            </details>
        </div>
    }
    .boxed_on_server()
}

/// What happened to the section's events lately: the last attempt, the
/// last 24 hours' counts, and the held events with a way to discard them
/// (a disclosure that says what it does is the confirmation; it works
/// without JavaScript).
#[component]
pub(super) fn DeliveryStatus(
    kind: EndpointKind,
    deliveries: DeliverySummary,
    /// Offer to discard held events (an administrator).
    #[prop(default = true)]
    manage: bool,
) -> impl IntoView {
    let d = deliveries;
    let last = match (&d.last_attempt_at, d.last_status) {
        (None, _) => "No event delivered yet.".to_owned(),
        (Some(at), status) => {
            let answer = match status {
                Some(200) => "delivered (200)".to_owned(),
                Some(code) => format!("not delivered ({code})"),
                None => "not delivered (no answer)".to_owned(),
            };
            format!("Last attempt {}: {answer}.", utc_minutes(at))
        }
    };
    let mut counts = vec![
        format!("{} delivered", d.delivered_24h),
        format!("{} given up", d.given_up_24h),
    ];
    if d.skipped_24h > 0 {
        counts.push(format!("{} skipped", d.skipped_24h));
    }
    if d.filtered_24h > 0 {
        counts.push(format!("{} filtered", d.filtered_24h));
    }
    let retrying = if d.retrying > 0 {
        format!(" {} waiting to be retried.", d.retrying)
    } else {
        String::new()
    };
    let line = format!("{last} Last 24 hours: {}.{retrying}", counts.join(", "));
    let held = d.held;
    let noun = if held == 1 { "event" } else { "events" };
    view! {
        <div class="deliveries" role="group" aria-label=format!("{} deliveries", kind.title())>
            <p>{line}</p>
            {(held > 0).then(|| view! {
                <p class="held">
                    {format!("{held} CDR {noun} held while paused: they are delivered, oldest first, when delivery is enabled again.")}
                </p>
            })}
            {(held > 0 && manage).then(|| view! {
                <details class="discard">
                    <summary>"Discard held events…"</summary>
                    <form method="post" action=EVENT_URL_DISCARD_HELD>
                        <input type="hidden" name="kind" value=kind.as_str()/>
                        <p>{format!("Discard the {held} held {noun}? They will not be delivered, even when delivery is enabled again. This is recorded in Activity.")}</p>
                        <button type="submit" class="danger">{format!("Discard {held} held {noun}")}</button>
                    </form>
                </details>
            })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::{EndpointKind, Field, SectionIds};

    /// The written-out ids are the ones `focus_first` and the field
    /// messages build from the kind and the field's name.
    #[test]
    fn section_ids_are_kind_and_field() {
        for kind in EndpointKind::ALL {
            let ids = SectionIds::of(kind);
            let k = kind.as_str();
            for (id, field) in [
                (ids.auth_method, Field::AuthMethod),
                (ids.username, Field::Username),
                (ids.password, Field::Password),
                (ids.token, Field::Token),
                (ids.url, Field::Url),
                (ids.enabled, Field::Enabled),
            ] {
                assert_eq!(id, format!("{k}-{}", field.name()));
            }
            assert_eq!(ids.title, format!("{k}-title"));
            assert_eq!(ids.password_hint, format!("{k}-password-hint"));
            assert_eq!(ids.token_hint, format!("{k}-token-hint"));
            assert_eq!(ids.enabled_hint, format!("{k}-enabled-hint"));
        }
    }
}
