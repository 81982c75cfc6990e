//! Two-factor sign-in in My account (set up by QR code or key, confirm,
//! recovery codes shown once, turn off) and the sign-in code page. Plain
//! forms: it all works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::model::{CodeEcho, TwoFactorEcho, TwoFactorState, TwoFactorView};
use crate::{
    auth::path_with_next,
    form_echo::form_echo,
    paths::{LOGIN, LOGIN_TWO_FACTOR},
};

#[component]
pub fn TwoFactorSection(
    view: TwoFactorView,
    echo: TwoFactorEcho,
    enrol_required: bool,
) -> impl IntoView {
    let paths = view.paths;
    let error = echo.error.clone();
    let error_line = error
        .clone()
        .map(|e| view! { <p class="form-error" role="alert" id="two-factor-error">{e}</p> });
    let body = match (view.state, echo.recovery_codes) {
        (_, Some(codes)) => view! {
            <p class="notice" role="status">"Two-factor sign-in is on. From now on, signing in asks for a code from your app after your password."</p>
            <h3>"Your recovery codes"</h3>
            <p>"Each works once in place of a code, if you lose your phone. Store them somewhere safe now: they are shown only this once."</p>
            <ul class="recovery-codes" aria-label="Recovery codes">
                {codes.into_iter().map(|c| view! { <li><code>{c}</code></li> }).collect_view()}
            </ul>
        }
        .into_any(),
        (TwoFactorState::Off, None) => view! {
            {enrol_required.then(|| view! {
                <p class="banner banner-warn" role="alert">{paths.required_by()}": set it up to continue."</p>
            })}
            <p>"Off. With it on, signing in also asks for a 6-digit code from an authenticator app on your phone (any TOTP app), so a stolen password is not enough."</p>
            {error_line.clone()}
            <form method="post" action=paths.start() class="stack">
                <div class="field">
                    <label for="two-factor-start-password">"Your password"</label>
                    <input id="two-factor-start-password" name="password" type="password"
                        autocomplete="current-password" required
                        aria-invalid=error.is_some().then_some("true")
                        aria-describedby=error.is_some().then_some("two-factor-error")/>
                </div>
                <button type="submit" class="primary">"Set up two-factor sign-in"</button>
            </form>
        }
        .into_any(),
        (TwoFactorState::Enrolling { key, qr_svg }, None) => {
            let invalid = error.is_some();
            view! {
                {enrol_required.then(|| view! {
                    <p class="banner banner-warn" role="alert">{paths.required_by()}": finish setting it up to continue."</p>
                })}
                <ol class="steps">
                    <li>"Scan this code with your authenticator app, or type the key below into it."</li>
                    <li>"Type the 6-digit code the app shows, to check that it works."</li>
                </ol>
                <div class="qr" role="img" aria-label="QR code for your authenticator app" inner_html=qr_svg></div>
                <p>"Key: " <code class="key">{key}</code></p>
                {error_line.clone()}
                <form method="post" action=paths.confirm() class="stack">
                    <div class="field">
                        <label for="two-factor-code">"Code from the app"</label>
                        <input id="two-factor-code" name="code" type="text" inputmode="numeric"
                            autocomplete="one-time-code" pattern="[0-9 ]*" maxlength="7" required
                            aria-invalid=invalid.then_some("true")
                            aria-describedby=invalid.then_some("two-factor-error")/>
                    </div>
                    <button type="submit" class="primary">"Turn on"</button>
                </form>
                <details class="revoke">
                    <summary>"Start again with a new key…"</summary>
                    <form method="post" action=paths.start() class="stack">
                        <div class="field">
                            <label for="two-factor-restart-password">"Your password"</label>
                            <input id="two-factor-restart-password" name="password" type="password"
                                autocomplete="current-password" required/>
                        </div>
                        <button type="submit" class="secondary">"Start again with a new key"</button>
                    </form>
                </details>
            }
            .into_any()
        }
        (TwoFactorState::On { recovery_codes_left }, None) => {
            let invalid = error.is_some();
            let left = match recovery_codes_left {
                1 => "1 recovery code left".to_owned(),
                n => format!("{n} recovery codes left"),
            };
            view! {
                <p>{format!("On. Signing in asks for a code from your app after your password ({left}).")}</p>
                {
                    let note = view.required.then(|| view! {
                        <p class="hint">"It is required: turned off (say, after losing your phone), you are asked to set it up again before anything else."</p>
                    });
                    view! {
                        {note}
                        {error_line.clone()}
                        <details class="revoke">
                            <summary>"Turn off…"</summary>
                            <form method="post" action=paths.off() class="stack">
                                <div class="field">
                                    <label for="two-factor-off-password">"Your password"</label>
                                    <input id="two-factor-off-password" name="password" type="password"
                                        autocomplete="current-password" required
                                        aria-invalid=invalid.then_some("true")
                                        aria-describedby=invalid.then_some("two-factor-error")/>
                                </div>
                                <button type="submit" class="danger">"Turn off two-factor sign-in"</button>
                            </form>
                        </details>
                    }
                }
            }
            .into_any()
        }
    };
    view! {
        <section class="create-token" id="two-factor" aria-labelledby="two-factor-title">
            <h2 id="two-factor-title">"Two-factor sign-in"</h2>
            {body}
        </section>
    }
}

/// `/login/two-factor`: the code after the password.
#[component]
pub fn SignInCodePage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.with(|q| q.get("next").unwrap_or_default());
    let echo = form_echo::<CodeEcho>().unwrap_or_default();
    let failed = !echo.message.is_empty();
    view! {
        <Title text="Two-factor sign-in · eventurl"/>
        <main class="auth-page">
            <div class="auth-card">
                <p class="brand" aria-hidden="true">"eventurl"</p>
                <h1>"Two-factor sign-in"</h1>
                <p class="lead">"Type the 6-digit code your authenticator app shows, or one of your recovery codes."</p>
                {failed.then(|| view! { <p class="form-error" role="alert" id="code-error">{echo.message.clone()}</p> })}
                <form method="post" action=move || path_with_next(LOGIN_TWO_FACTOR, &next()) class="stack">
                    <div class="field">
                        <label for="sign-in-code">"Code"</label>
                        <input id="sign-in-code" name="code" type="text" autocomplete="one-time-code"
                            required autofocus maxlength="64" spellcheck="false"
                            aria-invalid=failed.then_some("true")
                            aria-describedby=failed.then_some("code-error")/>
                    </div>
                    <button type="submit" class="primary">"Sign in"</button>
                </form>
                <p><a href=LOGIN>"Start again"</a></p>
            </div>
        </main>
    }
}
