//! The first-run page: tenant name, administrator, password.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::{error::AppError, form_echo::form_echo};

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SetupEcho {
    pub tenant: String,
    pub username: String,
    pub message: String,
}

/// Whether the link's token still opens setup.
#[leptos::server(prefix = "/rpc", endpoint = "setup_token_valid")]
pub async fn setup_token_valid(token: String) -> Result<bool, AppError> {
    Ok(expect_context::<super::gate::SetupGate>().is_valid(&token))
}

#[component]
pub fn SetupPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let valid = Resource::new_blocking(token, setup_token_valid);
    let echo = form_echo::<SetupEcho>().unwrap_or_default();
    view! {
        <Title text="Set up · eventurl"/>
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand" aria-hidden="true">"eventurl"</p>
                <h1>"Set up eventurl"</h1>
                <Suspense fallback=|| ()>
                    {move || Suspend::new({
                        let echo = echo.clone();
                        async move {
                        let valid = valid.await.unwrap_or(false);
                        if !valid {
                            return view! {
                                <p class="form-error" role="alert">
                                    "This setup link is not valid: setup has been completed, or the link is from an earlier start of the server. "
                                    <a href="/login">"Sign in"</a>
                                    " instead, or ask the operator to create an account with "
                                    <code>"eventurl admin create"</code>"."
                                </p>
                            }.into_any();
                        }
                        let failed = !echo.message.is_empty();
                        view! {
                            <p class="lead">"Create the first tenant and its administrator. This link works once."</p>
                            <Show when=move || failed>
                                <p class="form-error" role="alert">{echo.message.clone()}</p>
                            </Show>
                            <form method="post" action=move || format!("/setup?token={}", token()) class="stack">
                                <input type="hidden" name="token" value=token/>
                                <div class="field">
                                    <label for="setup-tenant">"Tenant name"</label>
                                    <input id="setup-tenant" name="tenant" type="text" required maxlength="100"
                                        value=echo.tenant.clone()/>
                                </div>
                                <div class="field">
                                    <label for="setup-username">"Administrator username"</label>
                                    <input id="setup-username" name="username" type="text" required
                                        autocomplete="username" minlength="3" maxlength="64"
                                        value=echo.username.clone()/>
                                </div>
                                <div class="field">
                                    <label for="setup-password">"Password"</label>
                                    <input id="setup-password" name="password" type="password" required
                                        autocomplete="new-password" minlength="12" maxlength="128"
                                        aria-describedby="setup-password-hint"/>
                                    <p class="hint" id="setup-password-hint">"At least 12 characters."</p>
                                </div>
                                <button type="submit" class="primary">"Create tenant and sign in"</button>
                            </form>
                        }.into_any()
                    }})}
                </Suspense>
            </div>
        </main>
    }
}
