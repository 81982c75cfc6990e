//! The provider's console: Tenants (each tenant's state, create, suspend,
//! reactivate) and the operators' Activity. Plain forms: it all works
//! without JavaScript (the copy button is an island on top).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::{list_operator_activity, list_tenants, load_operator_account},
    model::{ProviderEcho, TenantRow},
};
use crate::{
    account::{PasswordEcho, PasswordForm},
    activity::LocalTime,
    copy_button::ShownOnce,
    data_table::DataTable,
    form_echo::form_echo,
    members::INVITATION_HOURS,
    paths::{
        LOGOUT, PROVIDER_ACCOUNT, PROVIDER_ACCOUNT_PASSWORD, PROVIDER_ACTIVITY,
        PROVIDER_REACTIVATE, PROVIDER_SUSPEND, PROVIDER_TENANTS,
    },
    two_factor::{TwoFactorEcho, TwoFactorSection},
};

#[derive(Clone, Copy, PartialEq, Eq)]
enum ProviderTab {
    Tenants,
    Activity,
    Account,
}

#[component]
fn ProviderLayout(operator: String, tab: ProviderTab, children: Children) -> impl IntoView {
    let current = move |t: ProviderTab| (t == tab).then_some("page");
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <header class="topbar">
            <span class="brand">"eventurl"</span>
            <span class="tenant" title="Provider console">"Provider"</span>
            <span class="spacer"></span>
            <span class="user">"Signed in as " <strong>{operator}</strong></span>
            <form method="post" action=LOGOUT>
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        </header>
        <div class="frame">
            <nav class="sidebar" aria-label="Main menu">
                <ul>
                    <li><a href=PROVIDER_TENANTS class="active" aria-current="true">"Provider"</a></li>
                </ul>
            </nav>
            <main id="content" class="content">
                <h1>"Provider"</h1>
                <nav class="tabs" aria-label="Provider console">
                    <a href=PROVIDER_TENANTS aria-current=current(ProviderTab::Tenants)>"Tenants"</a>
                    <a href=PROVIDER_ACTIVITY aria-current=current(ProviderTab::Activity)>"Activity"</a>
                    <a href=PROVIDER_ACCOUNT aria-current=current(ProviderTab::Account)>"My account"</a>
                </nav>
                {children()}
            </main>
        </div>
    }
}

#[component]
pub fn TenantsPage() -> impl IntoView {
    let query = use_query_map();
    let notice = move || {
        query.with(|q| {
            if let Some(name) = q.get("suspended") {
                Some(format!("{name} is suspended: its people were signed out and cannot sign in, its API tokens are refused and its CDR events are held."))
            } else {
                q.get("reactivated").map(|name| {
                    format!("{name} is active again: its people can sign in and its held CDR events are being delivered.")
                })
            }
        })
    };
    let data = Resource::new_blocking(|| (), |_| list_tenants());
    let echo = form_echo::<ProviderEcho>().unwrap_or_default();
    view! {
        <Title text="Tenants · Provider · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let echo = echo.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! {
                            <ProviderLayout operator=page.operator.clone() tab=ProviderTab::Tenants>
                                <p class="tab-intro">"Every company on this server, with its two sections' state and its people. You never see a company's secrets, and you manage its people only through its first invitation."</p>
                                {notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                                {echo.created.clone().map(|(name, link)| view! { <NewTenant name link/> })}
                                <TenantTable tenants=page.tenants.clone()/>
                                <CreateTenant name=echo.name.clone() error=echo.message.clone()/>
                            </ProviderLayout>
                        }
                        .into_any(),
                        Err(e) => crate::layout::load_failed(e, PROVIDER_TENANTS),
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn NewTenant(name: String, link: String) -> impl IntoView {
    view! {
        <ShownOnce
            id="tenant-invitation-link"
            title=format!("{name} created")
            label="First administrator's invitation link"
            message=format!("Send this link to the company's first administrator; it works once, for {INVITATION_HOURS} hours, and is shown only now. Whoever opens it chooses a username and password and joins as Administrator.")
            value=link
        />
    }
}

#[component]
fn CreateTenant(name: String, error: Option<String>) -> impl IntoView {
    let invalid = error.is_some();
    view! {
        <section class="create-token" aria-labelledby="create-tenant-title">
            <h2 id="create-tenant-title">"Create a tenant"</h2>
            <form method="post" action=PROVIDER_TENANTS class="stack">
                <div class="field">
                    <label for="tenant-name">"Company name"</label>
                    <input id="tenant-name" name="name" type="text" required maxlength="100"
                        value=name aria-invalid=invalid.then_some("true")
                        aria-describedby=if invalid { "tenant-name-error tenant-name-hint" } else { "tenant-name-hint" }/>
                    {error.map(|e| view! { <p class="field-error" id="tenant-name-error" role="alert">{e}</p> })}
                    <p class="hint" id="tenant-name-hint">"Its two sections start empty and off; you get a one-time link for its first administrator."</p>
                </div>
                <button type="submit">"Create tenant"</button>
            </form>
        </section>
    }
}

#[component]
fn TenantTable(tenants: Vec<TenantRow>) -> impl IntoView {
    if tenants.is_empty() {
        return view! { <p class="empty">"No tenants yet."</p> }.into_any();
    }
    view! {
        <DataTable label="Tenants" class="tokens" columns=vec!["Company", "CDR Events", "Extension Events", "Administrators", "Last activity", "Access"]>
                    {tenants.into_iter().map(|t| view! { <TenantLine tenant=t/> }).collect_view()}
                </DataTable>
    }
    .into_any()
}

#[component]
fn TenantLine(tenant: TenantRow) -> impl IntoView {
    let t = tenant;
    let suspended = t.suspended_at.is_some();
    let section = |i: usize| {
        let state = t.sections.get(i).map_or("Not set up", |s| s.label());
        match (suspended, i) {
            (true, 0) if state != "Not set up" => "Held (suspended)".to_owned(),
            (true, _) if state != "Not set up" => "Skipped (suspended)".to_owned(),
            _ => state.to_owned(),
        }
    };
    let people = match (t.administrators.is_empty(), t.viewers) {
        (true, 0) => "None yet (invitation open or expired)".to_owned(),
        (_, 0) => t.administrators.join(", "),
        (_, n) => format!(
            "{} (+{n} viewer{})",
            t.administrators.join(", "),
            if n == 1 { "" } else { "s" }
        ),
    };
    let last = match &t.last_activity_at {
        Some(at) => view! { <LocalTime utc=at.clone()/> }.into_any(),
        None => view! { "None" }.into_any(),
    };
    let id = t.id.to_string();
    let access = match &t.suspended_at {
        Some(at) => view! {
            <span class="status"><span class="bad">"Suspended "</span></span><LocalTime utc=at.clone()/>
            <details class="revoke">
                <summary>"Reactivate…"</summary>
                <form method="post" action=PROVIDER_REACTIVATE>
                    <input type="hidden" name="id" value=id/>
                    <p>{format!("Reactivate {}? Its people can sign in again and its held CDR events are delivered.", t.name)}</p>
                    <button type="submit">{format!("Reactivate {}", t.name)}</button>
                </form>
            </details>
        }
        .into_any(),
        None => view! {
            <span class="status"><span class="ok">"Active"</span></span>
            <details class="revoke">
                <summary>"Suspend…"</summary>
                <form method="post" action=PROVIDER_SUSPEND>
                    <input type="hidden" name="id" value=id/>
                    <p>{format!("Suspend {}? Its people are signed out at once and cannot sign in, its API tokens are refused and its CDR events are held until you reactivate it.", t.name)}</p>
                    <button type="submit" class="danger">{format!("Suspend {}", t.name)}</button>
                </form>
            </details>
        }
        .into_any(),
    };
    view! {
        <tr>
            <th scope="row">{t.name.clone()}</th>
            <td>{section(0)}</td>
            <td>{section(1)}</td>
            <td>{people}</td>
            <td>{last}</td>
            <td>{access}</td>
        </tr>
    }
}

#[component]
pub fn OperatorActivityPage() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| list_operator_activity());
    view! {
        <Title text="Activity · Provider · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((operator, entries)) => view! {
                        <ProviderLayout operator tab=ProviderTab::Activity>
                            <p class="tab-intro">"What the provider's operators did, newest first (the last 200 entries)."</p>
                            {if entries.is_empty() {
                                view! { <p class="empty">"Nothing yet."</p> }.into_any()
                            } else {
                                view! {
                                    <DataTable label="Operator activity" class="tokens" columns=vec!["When", "Operator", "Action", "Tenant", "Details", "Address"]>
                                                {entries.into_iter().map(|e| view! {
                                                    <tr>
                                                        <td><LocalTime utc=e.occurred_at.clone()/></td>
                                                        <td>{e.operator}</td>
                                                        <th scope="row">{e.action}</th>
                                                        <td>{e.tenant.unwrap_or_default()}</td>
                                                        <td>{e.summary}</td>
                                                        <td>{e.ip.unwrap_or_default()}</td>
                                                    </tr>
                                                }).collect_view()}
                                            </DataTable>
                                }
                                .into_any()
                            }}
                        </ProviderLayout>
                    }
                    .into_any(),
                    Err(e) => crate::layout::load_failed(e, PROVIDER_ACTIVITY),
                }
            })}
        </Suspense>
    }
}

/// `/provider/account`: the operator's own password and two-factor
/// sign-in (the same forms as a member's My account).
#[component]
pub fn OperatorAccountPage() -> impl IntoView {
    let query = use_query_map();
    let notice = move || {
        query.with(|q| {
            if q.get("password").is_some() {
                let ended = q
                    .get("ended")
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap_or(0);
                Some(match ended {
                    0 => "Password changed.".to_owned(),
                    1 => "Password changed. 1 other session was signed out.".to_owned(),
                    n => format!("Password changed. {n} other sessions were signed out."),
                })
            } else {
                q.get("two_factor")
                    .map(|_| "Two-factor sign-in turned off.".to_owned())
            }
        })
    };
    let data = Resource::new_blocking(|| (), |_| load_operator_account());
    let password_echo = form_echo::<PasswordEcho>().unwrap_or_default();
    let two_factor_echo = form_echo::<TwoFactorEcho>().unwrap_or_default();
    view! {
        <Title text="My account · Provider · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let (password_echo, two_factor_echo) = (password_echo.clone(), two_factor_echo.clone());
                Suspend::new(async move {
                    match data.await {
                        Ok(account) => view! {
                            <ProviderLayout operator=account.username.clone() tab=ProviderTab::Account>
                                <p class="tab-intro">{format!("You are {}, an operator of this provider.", account.username)}</p>
                                {notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                                <TwoFactorSection view=account.two_factor.clone() echo=two_factor_echo enrol_required=account.must_enrol/>
                                <PasswordForm echo=password_echo action=PROVIDER_ACCOUNT_PASSWORD/>
                            </ProviderLayout>
                        }
                        .into_any(),
                        Err(e) => crate::layout::load_failed(e, PROVIDER_ACCOUNT),
                    }
                })
            }}
        </Suspense>
    }
}
