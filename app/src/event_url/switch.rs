//! The section header's delivery state (Enabled / Paused / Not configured,
//! and since when) and its one-click switch: pausing asks first, enabling
//! checks the saved settings. It acts on the saved endpoint only; what is
//! typed in the form is left alone. Without JavaScript the same forms post
//! to `paths::EVENT_URL_SWITCH`.

use crate::paths::{EVENT_URL, EVENT_URL_SWITCH};
use crate::{boxed_view::BoxedOnServer, time_text::utc_minutes};
use leptos::{either::EitherOf4, ev::SubmitEvent, prelude::*};
use serde::{Deserialize, Serialize};

use super::{api::SetEnabled, model::EndpointView};
use crate::domain::EndpointKind;

/// A delivery switch posted without JavaScript: ask for confirmation, or
/// say why it was refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SwitchEcho {
    pub kind: EndpointKind,
    pub confirm: bool,
    pub message: Option<String>,
}

#[component]
pub fn EnableSwitch(
    saved: RwSignal<EndpointView>,
    /// The form's Enable box, kept in step with the saved state.
    form_enabled: RwSignal<bool>,
    echo: Option<SwitchEcho>,
) -> impl IntoView {
    let kind = saved.with_untracked(|s| s.kind);
    let k = kind.as_str();
    let action = ServerAction::<SetEnabled>::new();
    let busy = action.pending();
    let confirming = RwSignal::new(echo.as_ref().is_some_and(|e| e.confirm));
    let message = RwSignal::new(echo.and_then(|e| e.message));
    Effect::new(move |_| match action.value().get() {
        Some(Ok(view)) => {
            form_enabled.set(view.enabled);
            saved.set(view);
            confirming.set(false);
            message.set(None);
        }
        Some(Err(e)) => {
            confirming.set(false);
            message.set(Some(e.to_string()));
        }
        None => {}
    });
    let switch = move |enable: bool| {
        move |ev: SubmitEvent| {
            ev.prevent_default();
            if !busy.get_untracked() {
                action.dispatch(SetEnabled {
                    kind,
                    enabled: enable,
                    version: saved.with_untracked(|s| s.version.to_string()),
                });
            }
        }
    };
    let hidden = move |enable: bool, confirmed: bool| {
        view! {
            <input type="hidden" name="kind" value=k/>
            <input type="hidden" name="enabled" value=if enable { "true" } else { "false" }/>
            <input type="hidden" name="version" value=move || saved.with(|s| s.version.to_string())/>
            {confirmed.then(|| view! { <input type="hidden" name="confirmed" value="yes"/> })}
        }
    };
    let badge = move || {
        saved.with(|s| {
            let (text, class) = if s.enabled {
                ("Enabled", "badge badge-on")
            } else if s.url.is_empty() {
                ("Not configured", "badge badge-none")
            } else {
                ("Paused", "badge badge-off")
            };
            let when = if s.url.is_empty() && !s.enabled {
                String::new()
            } else {
                s.enabled_since
                    .as_deref()
                    .map(|at| format!(" since {}", utc_minutes(at)))
                    .unwrap_or_default()
            };
            view! { <span class=class>{text}</span> <span class="since">{when}</span> }
        })
    };
    let control = move || {
        let (enabled, url, title) = saved.with(|s| (s.enabled, s.url.clone(), s.kind.title()));
        if url.is_empty() && !enabled {
            return EitherOf4::A(());
        }
        if !enabled {
            return EitherOf4::B(view! {
                <form method="post" action=EVENT_URL_SWITCH on:submit=switch(true)>
                    {hidden(true, false)}
                    <button type="submit" class="secondary" disabled=move || busy.get()>"Enable delivery"</button>
                </form>
            });
        }
        if confirming.get() {
            let what = match kind {
                EndpointKind::Cdr => "CDR events",
                EndpointKind::Extension => "extension events",
            };
            return EitherOf4::C(view! {
                <form
                    method="post"
                    action=EVENT_URL_SWITCH
                    class="confirm"
                    role="alertdialog"
                    aria-labelledby=format!("{k}-pause-question")
                    on:submit=switch(false)
                >
                    {hidden(false, true)}
                    <p id=format!("{k}-pause-question")>
                        {format!("Pause {title}? The PBX will stop posting {what} to {url}; events that happen while paused are not delivered. The settings are kept.")}
                    </p>
                    <button type="submit" class="danger" disabled=move || busy.get()>"Pause delivery"</button>
                    <a
                        href=format!("{EVENT_URL}#{k}")
                        class="button-link"
                        on:click=move |ev| {
                            ev.prevent_default();
                            confirming.set(false);
                        }
                    >
                        "Keep enabled"
                    </a>
                </form>
            });
        }
        EitherOf4::D(view! {
            <form
                method="post"
                action=EVENT_URL_SWITCH
                on:submit=move |ev: SubmitEvent| {
                    ev.prevent_default();
                    message.set(None);
                    confirming.set(true);
                }
            >
                {hidden(false, false)}
                <button type="submit" class="secondary" disabled=move || busy.get()>"Pause delivery…"</button>
            </form>
        })
    };
    view! {
        <div class="delivery">
            <p class="state">{badge}</p>
            {control}
            {move || message.get().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
        </div>
    }
    .boxed_on_server()
}
