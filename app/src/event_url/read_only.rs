//! A section as a viewer sees it: the saved settings (never a secret, only
//! whether one is set), delivery's state and what happened, no control.
//! Rendered on the server only: no island, nothing to hydrate.

use leptos::prelude::*;

use super::{
    model::{DeliverySummary, EndpointView},
    section::DeliveryStatus,
};
use crate::{domain::AuthMethod, time_text::utc_minutes};

#[component]
pub fn ReadOnlySection(
    saved: EndpointView,
    deliveries: DeliverySummary,
    /// The 24-hour chart.
    children: Children,
) -> impl IntoView {
    let kind = saved.kind;
    let k = kind.as_str();
    let title_id = format!("{k}-title");
    let labelled_by = title_id.clone();
    let state = if saved.enabled {
        "Delivery enabled"
    } else {
        "Delivery paused"
    };
    let url = if saved.url.is_empty() {
        "Not set".to_owned()
    } else {
        saved.url.clone()
    };
    let userpass = matches!(saved.auth_method, AuthMethod::Basic | AuthMethod::Digest);
    let secret = saved.secret.as_ref().map(|s| {
        let by = s
            .changed_by
            .as_ref()
            .map(|by| format!(" by {by}"))
            .unwrap_or_default();
        format!("Set {}{by}", utc_minutes(&s.changed_at))
    });
    let secret_label = match saved.auth_method {
        AuthMethod::Bearer => "Bearer Token",
        _ => "Password",
    };
    let headers = (!saved.headers.is_empty()).then(|| {
        saved
            .headers
            .iter()
            .map(|h| match (&h.value, h.secret) {
                (Some(value), false) => format!("{}: {value}", h.name),
                _ => format!("{}: (secret)", h.name),
            })
            .collect::<Vec<_>>()
            .join(", ")
    });
    let last_saved = format!(
        "{}{}",
        utc_minutes(&saved.updated_at),
        saved
            .updated_by
            .as_ref()
            .map(|by| format!(" by {by}"))
            .unwrap_or_default()
    );
    view! {
        <section class="endpoint" id=k aria-labelledby=labelled_by>
            <div class="endpoint-head">
                <h2 id=title_id>{kind.title()}</h2>
                <p class=if saved.enabled { "state on" } else { "state off" }>{state}</p>
            </div>
            <p class="hint">{kind.description()}</p>
            {children()}
            <DeliveryStatus kind deliveries manage=false/>
            <dl class="settings">
                <dt>"Authentication Method"</dt>
                <dd>{saved.auth_method.label()}</dd>
                <dt>{kind.url_label()}</dt>
                <dd>{url}</dd>
                {userpass.then(|| view! {
                    <dt>"Username"</dt>
                    <dd>{saved.username.clone()}</dd>
                })}
                {(saved.auth_method != AuthMethod::Disable).then(|| view! {
                    <dt>{secret_label}</dt>
                    <dd>{secret.clone().unwrap_or_else(|| "Not set".to_owned())}</dd>
                })}
                <dt>"Event types"</dt>
                <dd>{match &saved.event_types {
                    None => "All".to_owned(),
                    Some(types) => types.join(", "),
                }}</dd>
                <dt>"Limits on the receiver"</dt>
                <dd>{saved.limits.describe()}</dd>
                <dt>"Custom headers"</dt>
                <dd>{headers.unwrap_or_else(|| "None".to_owned())}</dd>
                <dt>"Last saved"</dt>
                <dd>{last_saved}</dd>
            </dl>
        </section>
    }
}
