//! The forgot-password page and the reset link's page: plain HTML forms,
//! no island.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::{password_reset_offered, reset_link_state},
    model::{ForgotEcho, ResetEcho, ResetLink, RESET_CLOSED, RESET_MINUTES, RESET_SUSPENDED},
};
use crate::{
    form_echo::form_echo,
    paths::{LOGIN, LOGIN_FORGOT, LOGIN_RESET},
};

#[component]
pub fn ForgotPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let sent = move || query.with(|q| q.get("sent").is_some());
    let offered = Resource::new_blocking(|| (), |_| password_reset_offered());
    let echo = form_echo::<ForgotEcho>().unwrap_or_default();
    view! {
        <Title text="Forgot password · eventurl"/>
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand" aria-hidden="true">"eventurl"</p>
                <h1>"Forgot your password?"</h1>
                <Suspense fallback=|| ()>
                    {move || {
                        let echo = echo.clone();
                        Suspend::new(async move {
                            match offered.await {
                                Ok(true) if sent() => view! {
                                    <p class="notice" role="status">
                                        {format!("If an account has that username or email address, a reset link is on its way to its address. It works once, for {RESET_MINUTES} minutes.")}
                                    </p>
                                    <p class="lead">"No message after a few minutes? Check the spam folder. An account without an email address cannot get a link: an administrator of your company can remove it and invite you again."</p>
                                    <p><a href=LOGIN>"Back to sign in"</a></p>
                                }
                                .into_any(),
                                Ok(true) => {
                                    let failed = !echo.message.is_empty();
                                    view! {
                                        <p class="lead">"Enter your username or email address; we email you a link to choose a new password."</p>
                                        {failed.then(|| view! { <p class="form-error" role="alert" id="forgot-error">{echo.message.clone()}</p> })}
                                        <form method="post" action=LOGIN_FORGOT class="stack">
                                            <div class="field">
                                                <label for="forgot-identifier">"Username or email address"</label>
                                                <input id="forgot-identifier" name="identifier" type="text"
                                                    autocomplete="username" required maxlength="254" autofocus
                                                    value=echo.identifier.clone()
                                                    aria-describedby=failed.then_some("forgot-error")/>
                                            </div>
                                            <button type="submit" class="primary">"Email me a reset link"</button>
                                        </form>
                                        <p><a href=LOGIN>"Back to sign in"</a></p>
                                    }
                                    .into_any()
                                }
                                Ok(false) => view! {
                                    <p class="lead">"This server does not send email, so it cannot send a reset link. An administrator of your company can remove your account and invite you again."</p>
                                    <p><a href=LOGIN>"Back to sign in"</a></p>
                                }
                                .into_any(),
                                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                            }
                        })
                    }}
                </Suspense>
            </div>
        </main>
    }
}

#[component]
pub fn ResetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = move || query.with(|q| q.get("token").unwrap_or_default());
    let state = Resource::new_blocking(token, reset_link_state);
    let echo = form_echo::<ResetEcho>().unwrap_or_default();
    view! {
        <Title text="Choose a new password · eventurl"/>
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand" aria-hidden="true">"eventurl"</p>
                <h1>"Choose a new password"</h1>
                <Suspense fallback=|| ()>
                    {move || {
                        let echo = echo.clone();
                        Suspend::new(async move {
                            match state.await {
                                Ok(ResetLink::Open { username }) => {
                                    let action = format!("{LOGIN_RESET}?token={}", token());
                                    let failed = !echo.message.is_empty();
                                    view! {
                                        <p class="lead">{format!("For the account {username}. Every session of the account ends; sign in with the new password after.")}</p>
                                        {failed.then(|| view! { <p class="form-error" role="alert" id="reset-error">{echo.message.clone()}</p> })}
                                        <form method="post" action=action class="stack">
                                            <input type="text" name="username" value=username.clone() autocomplete="username" hidden/>
                                            <div class="field">
                                                <label for="reset-password">"New password"</label>
                                                <input id="reset-password" name="password" type="password"
                                                    autocomplete="new-password" required minlength="12" maxlength="128" autofocus
                                                    aria-invalid=failed.then_some("true")
                                                    aria-describedby=if failed { "reset-error reset-password-hint" } else { "reset-password-hint" }/>
                                                <p class="hint" id="reset-password-hint">"At least 12 characters, not a common or guessable one: a few unusual words together work well."</p>
                                            </div>
                                            <button type="submit" class="primary">"Set the new password"</button>
                                        </form>
                                    }
                                    .into_any()
                                }
                                Ok(ResetLink::Suspended) => view! {
                                    <p class="form-error" role="alert">{RESET_SUSPENDED}</p>
                                    <p><a href=LOGIN>"Back to sign in"</a></p>
                                }
                                .into_any(),
                                Ok(ResetLink::Closed) => view! {
                                    <p class="form-error" role="alert">{RESET_CLOSED}</p>
                                    <p><a href=LOGIN_FORGOT>"Ask for a new link"</a>" or "<a href=LOGIN>"sign in"</a>"."</p>
                                }
                                .into_any(),
                                Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                            }
                        })
                    }}
                </Suspense>
            </div>
        </main>
    }
}
