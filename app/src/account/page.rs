//! My account: change password, my sessions, sign out everywhere else.
//! Plain forms: it all works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::load_account,
    model::{EmailEcho, PasswordEcho, PendingEmail, SessionView},
};
use crate::{
    activity::LocalTime,
    data_table::DataTable,
    form_echo::form_echo,
    layout::{CompanyLayout, CompanyTab},
    paths::{
        ACCOUNT, ACCOUNT_ALERTS, ACCOUNT_EMAIL, ACCOUNT_EMAIL_CANCEL, ACCOUNT_PASSWORD,
        ACCOUNT_SIGN_OUT_OTHERS,
    },
    two_factor::{TwoFactorEcho, TwoFactorSection},
};

#[component]
pub fn AccountView() -> impl IntoView {
    let query = use_query_map();
    let notice = move || {
        query.with(|q| {
            let ended = q.get("ended").and_then(|n| n.parse::<u64>().ok());
            let others = match ended {
                Some(1) => "1 other session was signed out.".to_owned(),
                Some(n) => format!("{n} other sessions were signed out."),
                None => String::new(),
            };
            if q.get("password").is_some() {
                let tokens = match q.get("tokens").and_then(|n| n.parse::<u64>().ok()) {
                    Some(0) | None => String::new(),
                    Some(1) => " 1 API token was revoked.".to_owned(),
                    Some(n) => format!(" {n} API tokens were revoked."),
                };
                Some(format!("Password changed. {others}{tokens}"))
            } else if let Some(email) = q.get("email") {
                Some(match email.as_str() {
                    "sent" => "A confirmation link is on its way to the new address: the address is used once the link is opened and confirmed.",
                    "kept" => "Email address unchanged.",
                    "cancelled" => "The email change was cancelled: its link works no more.",
                    _ => "Email address removed.",
                }.to_owned())
            } else if let Some(alerts) = q.get("alerts") {
                Some(if alerts == "on" {
                    "Alert emails on: you are emailed when a section fails or recovers.".to_owned()
                } else {
                    "Alert emails off: you are no longer emailed when a section fails or recovers.".to_owned()
                })
            } else if q.get("two_factor").is_some() {
                Some("Two-factor sign-in turned off.".to_owned())
            } else {
                ended.map(|_| others)
            }
        })
    };
    let data = Resource::new_blocking(|| (), |_| load_account());
    let echo = form_echo::<PasswordEcho>().unwrap_or_default();
    let two_factor_echo = form_echo::<TwoFactorEcho>().unwrap_or_default();
    let email_echo = form_echo::<EmailEcho>();
    view! {
        <Title text="My account · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let (echo, two_factor_echo) = (echo.clone(), two_factor_echo.clone());
                let email_echo = email_echo.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(account) => view! {
                            <CompanyLayout tenant=account.tenant_name.clone() username=account.username.clone() tab=CompanyTab::Account>
                                <p class="tab-intro">
                                    {format!("You are {} in {}, with the role {}.", account.username, account.tenant_name, account.role.label())}
                                </p>
                                {notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                                <TwoFactorSection view=account.two_factor.clone() echo=two_factor_echo enrol_required=account.must_enrol/>
                                <EmailForm saved=account.email.clone() pending=account.pending_email.clone() mail_on=account.mail_on echo=email_echo/>
                                {(account.role == crate::domain::Role::Administrator).then(|| view! {
                                    <AlertsForm on=account.delivery_alerts mail_on=account.mail_on has_email=account.email.is_some()/>
                                })}
                                <PasswordForm echo offer_token_revocation=true/>
                                <Sessions sessions=account.sessions.clone()/>
                            </CompanyLayout>
                        }
                        .into_any(),
                        Err(e) => crate::layout::load_failed(e, ACCOUNT),
                    }
                })
            }}
        </Suspense>
    }
}

/// An administrator's choice of delivery alert emails (a section failing
/// for 15 minutes, paused automatically, recovered).
#[component]
fn AlertsForm(on: bool, mail_on: bool, has_email: bool) -> impl IntoView {
    let reach = match (mail_on, has_email) {
        (false, _) => " This server does not send email yet.",
        (true, false) => " Confirm an email address above to receive them.",
        (true, true) => "",
    };
    view! {
        <section class="create-token" aria-labelledby="alerts-title">
            <h2 id="alerts-title">"Alert emails"</h2>
            <form method="post" action=ACCOUNT_ALERTS>
                <div class="field checkbox">
                    <input id="delivery_alerts" name="delivery_alerts" type="checkbox" value="on" checked=on aria-describedby="alerts-hint"/>
                    <label for="delivery_alerts">"Email me when a section fails or recovers"</label>
                </div>
                <p class="hint" id="alerts-hint">
                    {format!("When nothing has been delivered to a section for 15 minutes, or it is paused automatically, each administrator is emailed once (at most once an hour a section), with the last error and a link to its deliveries, and again when it delivers again.{reach}")}
                </p>
                <button type="submit">"Save"</button>
            </form>
        </section>
    }
}

#[component]
fn EmailForm(
    saved: Option<String>,
    pending: Option<PendingEmail>,
    mail_on: bool,
    echo: Option<EmailEcho>,
) -> impl IntoView {
    let failed = echo.is_some();
    let echo = echo.unwrap_or_default();
    let value = if failed {
        echo.email.clone()
    } else {
        saved.clone().unwrap_or_default()
    };
    let email_invalid = echo.email_error.is_some();
    let current_invalid = echo.current_error.is_some();
    let why = if mail_on {
        "Password reset links go there, and, for administrators, notices (a section paused automatically, a credential changed). A new address is used once you confirm it with the link emailed to it."
    } else {
        "This server does not send email, so a new address cannot be confirmed; once it does, password reset links (and administrators' notices) go to your confirmed address."
    };
    let now = match &saved {
        Some(address) => format!("Confirmed address: {address}."),
        None => "No confirmed address: password reset links cannot reach you.".to_owned(),
    };
    let pending = pending.map(|p| {
        let state = if p.expired {
            format!(
                "The link sent to {} no longer works: save the address again for a new one.",
                p.address
            )
        } else {
            format!(
                "Waiting for confirmation: {}. Open the link emailed there (it works until ",
                p.address
            )
        };
        view! {
            <div class="pending-email" role="status">
                <p>
                    {state}
                    {(!p.expired).then(|| view! { <LocalTime utc=p.expires_at.clone()/>")." })}
                </p>
                <form method="post" action=ACCOUNT_EMAIL_CANCEL>
                    <button type="submit">"Cancel change"</button>
                </form>
            </div>
        }
        .into_any()
    });
    view! {
        <section class="create-token" aria-labelledby="email-title">
            <h2 id="email-title">"Email address"</h2>
            <p class="hint">{why}</p>
            <p>{now}</p>
            {pending}
            {failed.then(|| view! { <p class="form-error" role="alert">"Email address not saved: correct the field marked below."</p> })}
            <form method="post" action=ACCOUNT_EMAIL class="stack">
                <div class="field">
                    <label for="account-email">"Email address"</label>
                    <input id="account-email" name="email" type="email" autocomplete="email" maxlength="254"
                        value=value
                        aria-invalid=email_invalid.then_some("true")
                        aria-describedby=email_invalid.then_some("account-email-error")/>
                    {echo.email_error.clone().map(|e| view! { <p class="field-error" id="account-email-error">{e}</p> })}
                </div>
                <div class="field">
                    <label for="email-current-password">"Password to confirm the change"</label>
                    <input id="email-current-password" name="current_password" type="password"
                        autocomplete="current-password" required
                        aria-invalid=current_invalid.then_some("true")
                        aria-describedby=current_invalid.then_some("email-current-password-error")/>
                    {echo.current_error.clone().map(|e| view! { <p class="field-error" id="email-current-password-error">{e}</p> })}
                </div>
                <button type="submit">"Save email address"</button>
            </form>
        </section>
    }
    // Its own type ends here: the page's view type stays within the
    // compiler's depth limit in the release build.
    .into_any()
}

/// The password change form, posting to `action` (a member's My account,
/// or an operator's).
#[component]
pub fn PasswordForm(
    echo: PasswordEcho,
    #[prop(default = ACCOUNT_PASSWORD)] action: &'static str,
    /// Offer to revoke my API tokens too (members have them; operators not).
    #[prop(default = false)]
    offer_token_revocation: bool,
) -> impl IntoView {
    let field_error = |id: &'static str, error: Option<String>| {
        error.map(|e| view! { <p class="field-error" id=id>{e}</p> })
    };
    let current_invalid = echo.current_error.is_some();
    let new_invalid = echo.new_error.is_some();
    view! {
        <section class="create-token" aria-labelledby="password-title">
            <h2 id="password-title">"Change password"</h2>
            {echo.message.clone().map(|m| view! { <p class="form-error" role="alert">{m}</p> })}
            <form method="post" action=action class="stack">
                <div class="field">
                    <label for="current-password">"Current password"</label>
                    <input id="current-password" name="current_password" type="password"
                        autocomplete="current-password" required
                        aria-invalid=current_invalid.then_some("true")
                        aria-describedby=current_invalid.then_some("current-password-error")/>
                    {field_error("current-password-error", echo.current_error.clone())}
                </div>
                <div class="field">
                    <label for="new-password">"New password"</label>
                    <input id="new-password" name="new_password" type="password"
                        autocomplete="new-password" required minlength="12" maxlength="128"
                        aria-invalid=new_invalid.then_some("true")
                        aria-describedby=if new_invalid { "new-password-error" } else { "new-password-hint" }/>
                    <p class="hint" id="new-password-hint">"At least 12 characters, not a common or guessable one: a few unusual words together work well. Your other sessions are signed out."</p>
                    {field_error("new-password-error", echo.new_error.clone())}
                </div>
                {offer_token_revocation.then(|| view! {
                    <div class="field checkbox">
                        <input id="revoke-tokens" name="revoke_tokens" type="checkbox"/>
                        <label for="revoke-tokens">"Also revoke my API tokens (if the old password may be known, scripts it let in may be too)"</label>
                    </div>
                })}
                <button type="submit" class="primary">"Change password"</button>
            </form>
        </section>
    }
}

#[component]
fn Sessions(sessions: Vec<SessionView>) -> impl IntoView {
    let others = sessions.iter().filter(|s| !s.current).count();
    let rows = sessions
        .into_iter()
        .map(|s| {
            let device = if s.current {
                format!("{} (this session)", s.device)
            } else {
                s.device.clone()
            };
            let time = |t: Option<String>| match t {
                Some(at) => view! { <LocalTime utc=at/> }.into_any(),
                None => view! { "—" }.into_any(),
            };
            view! {
                <tr>
                    <th scope="row">{device}</th>
                    <td>{s.address.clone().unwrap_or_else(|| "—".to_owned())}</td>
                    <td>{time(s.signed_in_at.clone())}</td>
                    <td>{time(s.last_seen_at.clone())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section aria-labelledby="sessions-title">
            <h2 id="sessions-title">"Where you are signed in"</h2>
            <DataTable label="Sessions" class="tokens" columns=vec!["Device", "Address", "Signed in", "Last seen"]>{rows}</DataTable>
            {(others > 0).then(|| view! {
                <form method="post" action=ACCOUNT_SIGN_OUT_OTHERS>
                    <button type="submit" class="danger">{format!("Sign out everywhere else ({others})")}</button>
                </form>
            })}
        </section>
    }
}
