//! A section's signing secret on the tab: that requests are signed and how
//! to verify them, when the secret last changed and until when a rotated
//! one still signs; for administrators, Reveal (with Copy) and Rotate with
//! a grace period. Plain forms: they work without JavaScript, and each
//! reveal is a request the server records.

use leptos::prelude::*;

use super::model::{SigningEcho, SigningStatus};
use crate::{
    copy_button::CopyButton,
    domain::{EndpointKind, SigningGrace},
    paths::{EVENT_URL, EVENT_URL_SIGNING_REVEAL, EVENT_URL_SIGNING_ROTATE},
    time_text::utc_minutes,
};

#[component]
pub fn SigningPanel(
    kind: EndpointKind,
    status: SigningStatus,
    /// An administrator: Reveal and Rotate are offered.
    manage: bool,
    echo: Option<SigningEcho>,
) -> impl IntoView {
    let k = kind.as_str();
    let title_id = format!("signing-{k}-title");
    let secret_id = format!("signing-{k}-secret");
    let grace_id = format!("signing-{k}-grace");
    let echo = echo.unwrap_or_else(|| SigningEcho::of(kind));
    // After a rotation the page shows the new state before it is reloaded.
    let previous_until = if echo.rotated {
        echo.previous_until.clone()
    } else {
        status.previous_until.clone()
    };
    let changed = match (&status.rotated_at, echo.rotated) {
        (_, true) => "Rotated just now.".to_owned(),
        (Some(at), false) => format!("Last rotated {}.", utc_minutes(at)),
        (None, false) => "Made with the section; never rotated.".to_owned(),
    };
    let grace_note = previous_until.map(|until| {
        view! {
            <p class="notice" role="status">
                {format!(
                    "The previous secret also signs until {}: each request carries both signatures until then.",
                    utc_minutes(&until)
                )}
            </p>
        }
    });
    let shown = echo.secret.clone().map(|secret| {
        let heading = if echo.rotated { "New signing secret" } else { "Signing secret" };
        view! {
            <div class="secret-row">
                <label for=secret_id.clone()>{heading}</label>
                <input id=secret_id.clone() type="text" readonly value=secret spellcheck="false" autocomplete="off"/>
                <CopyButton target=secret_id.clone()/>
            </div>
            <p class="hint">"Put it in your receiver's configuration; it is not shown again until someone reveals it."</p>
        }
    });
    let message = echo
        .message
        .clone()
        .map(|m| view! { <p class="error" role="alert">{m}</p> });
    let question = echo.confirm_grace.filter(|_| manage).map(|grace| {
        let what = if grace.seconds() == 0 {
            "The old secret stops signing at once: receivers that still verify with it refuse every event until they have the new one.".to_owned()
        } else {
            format!(
                "For {} each request carries both signatures, so receivers can switch to the new secret without refusing events.",
                grace.describe()
            )
        };
        view! {
            <div class="confirm" role="alertdialog" aria-labelledby=format!("signing-{k}-confirm")>
                <p id=format!("signing-{k}-confirm")>
                    <strong>{format!("Rotate the signing secret of {}?", kind.title())}</strong>
                    " "{what}
                </p>
                <form method="post" action=EVENT_URL_SIGNING_ROTATE>
                    <input type="hidden" name="kind" value=k/>
                    <input type="hidden" name="grace" value=grace.seconds().to_string()/>
                    <input type="hidden" name="confirmed" value="yes"/>
                    <button type="submit" class="danger">"Rotate signing secret"</button>
                    " "
                    <a href=format!("{EVENT_URL}#{k}")>"Cancel"</a>
                </form>
            </div>
        }
    });
    let actions = manage.then(|| {
        view! {
            <div class="signing-actions">
                <form method="post" action=EVENT_URL_SIGNING_REVEAL>
                    <input type="hidden" name="kind" value=k/>
                    <button type="submit" class="secondary">"Reveal"</button>
                </form>
                <form method="post" action=EVENT_URL_SIGNING_ROTATE class="inline-form">
                    <input type="hidden" name="kind" value=k/>
                    <label for=grace_id.clone()>"Old secret keeps signing for"</label>
                    <select id=grace_id.clone() name="grace">
                        {SigningGrace::CHOICES
                            .map(|(grace, label)| {
                                view! {
                                    <option value=grace.seconds().to_string() selected=grace == SigningGrace::DEFAULT>
                                        {label}
                                    </option>
                                }
                            })}
                    </select>
                    <button type="submit" class="secondary">"Rotate signing secret"</button>
                </form>
            </div>
        }
    });
    view! {
        <section class="signing" aria-labelledby=title_id.clone()>
            // Not "· CDR Events": the section's own name stays unique (a
            // search by it finds the section, not this panel too).
            <h3 id=title_id.clone()>{format!("Signing secret · {}", short_name(kind))}</h3>
            <p class="hint">
                "Every request is signed as Standard Webhooks specify ("
                <code>"webhook-id"</code>", "<code>"webhook-timestamp"</code>", "<code>"webhook-signature"</code>
                "), so your receiver can check that an event came from here, unchanged, with the official libraries. "
                {changed}
            </p>
            {(echo.secret.is_none()).then(|| view! {
                <p><span class="visually-hidden">"The signing secret, hidden: "</span><code>"whsec_••••••••••••••••"</code></p>
            })}
            {grace_note}
            {message}
            {shown}
            {question}
            {actions}
        </section>
    }
}

/// `CDR` or `Extension`, for the panel's heading.
fn short_name(kind: EndpointKind) -> &'static str {
    match kind {
        EndpointKind::Cdr => "CDR",
        EndpointKind::Extension => "Extension",
    }
}
