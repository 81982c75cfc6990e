//! The sign-in page. The form is a plain POST to `/login`, with or without
//! JavaScript; a failed attempt re-renders it with the username kept.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::form_echo::form_echo;

/// What a failed sign-in hands back to the page.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct LoginEcho {
    pub username: String,
    pub message: String,
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_default());
    let signed_out = move || query.with(|q| q.get("signed_out").is_some());
    let reset = move || query.with(|q| q.get("reset").is_some());
    let reset_username = move || query.with(|q| q.get("username").unwrap_or_default());
    let echo = form_echo::<LoginEcho>().unwrap_or_default();
    let reset_offered =
        Resource::new_blocking(|| (), |_| crate::password_reset::password_reset_offered());
    view! {
        <Title text="Sign in · eventurl"/>
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand" aria-hidden="true">"eventurl"</p>
                <h1>"Sign in"</h1>
                <p class="lead">"Manage where your PBX posts its webhook events."</p>
                <Suspense fallback=|| ()>
                    {move || Suspend::new({
                        let echo = echo.clone();
                        async move {
                        let failed = !echo.message.is_empty();
                        let offered = reset_offered.await.unwrap_or(false);
                        let username = if failed || !reset() { echo.username.clone() } else { reset_username() };
                        view! {
                            <Show when=move || reset() && !failed>
                                <p class="notice" role="status">"Your password was changed and every session of the account ended. Sign in with the new password."</p>
                            </Show>
                            <Show when=move || signed_out() && !failed>
                                <p class="notice" role="status">"You have signed out."</p>
                            </Show>
                            <Show when=move || failed>
                                <p class="form-error" role="alert" id="login-error">{echo.message.clone()}</p>
                            </Show>
                            <form method="post" action=move || super::login_path(&next()) class="stack">
                                <input type="hidden" name="next" value=next/>
                                <div class="field">
                                    <label for="login-username">"Username"</label>
                                    <input id="login-username" name="username" type="text"
                                        autocomplete="username" required autofocus
                                        value=username
                                        aria-describedby=failed.then_some("login-error")/>
                                </div>
                                <div class="field">
                                    <label for="login-password">"Password"</label>
                                    <input id="login-password" name="password" type="password"
                                        autocomplete="current-password" required/>
                                </div>
                                <button type="submit" class="primary">"Sign in"</button>
                            </form>
                            {offered.then(|| view! {
                                <p class="auth-aside"><a href=crate::paths::LOGIN_FORGOT>"Forgot password?"</a></p>
                            })}
                        }
                    }})}
                </Suspense>
            </div>
        </main>
    }
}
