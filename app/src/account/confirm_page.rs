//! The emailed confirmation link's page (`/email/confirm?token=…`, signed
//! in: an anonymous visitor signs in first and comes back): the address it
//! confirms and a button (opening the link confirms nothing: mail scanners
//! open links), or that it is another account's or no longer works; after
//! the button, that the address is confirmed. A plain form, no island.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::email_link_state,
    model::{EmailLink, EMAIL_LINK_CLOSED as LINK_CLOSED, EMAIL_LINK_OTHER_ACCOUNT},
};
use crate::paths::{ACCOUNT, EMAIL_CONFIRM};

#[component]
pub fn ConfirmEmailPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let confirmed = move || query.with(|q| q.get("confirmed").is_some());
    let state = Resource::new_blocking(token, email_link_state);
    view! {
        <Title text="Confirm your email address · eventurl"/>
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand" aria-hidden="true">"eventurl"</p>
                <h1>"Confirm your email address"</h1>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        if confirmed() {
                            return view! {
                                <p class="notice" role="status">"Email address confirmed: password reset links and notices go to it now."</p>
                                <p><a href=ACCOUNT>"My account"</a></p>
                            }
                            .into_any();
                        }
                        match state.await {
                            Ok(EmailLink::Open { address }) => {
                                let action = format!("{EMAIL_CONFIRM}?token={}", token());
                                view! {
                                    <p class="lead">{format!("Use {address} for your account: password reset links and notices go there once you confirm, and no longer to the address before it.")}</p>
                                    <form method="post" action=action class="stack">
                                        <button type="submit" class="primary">"Confirm this address"</button>
                                    </form>
                                }
                                .into_any()
                            }
                            Ok(EmailLink::OtherAccount) => view! {
                                <p class="form-error" role="alert">{EMAIL_LINK_OTHER_ACCOUNT}</p>
                                <p><a href=ACCOUNT>"My account"</a></p>
                            }
                            .into_any(),
                            Ok(EmailLink::Closed) => view! {
                                <p class="form-error" role="alert">{LINK_CLOSED}</p>
                                <p><a href=ACCOUNT>"My account"</a></p>
                            }
                            .into_any(),
                            Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                        }
                    })}
                </Suspense>
            </div>
        </main>
    }
}
