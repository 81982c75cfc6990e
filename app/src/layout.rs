//! The signed-in page chrome: header, left-hand menu, Company tabs.

use crate::{
    domain::{AlertKind, DeliveryAlert},
    paths,
};
use leptos::prelude::*;

/// What `read` takes of the signed-in member, as the sign-in guard read
/// them with the session for this request (pages render on the server).
#[cfg(feature = "ssr")]
fn signed_in<T>(read: impl FnOnce(&crate::auth::CurrentAdmin) -> T) -> Option<T> {
    use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .extensions
            .get::<crate::auth::CurrentAdmin>()
            .map(read)
    })
}

/// The signed-in tenant's sections in trouble.
fn alerts() -> Vec<DeliveryAlert> {
    #[cfg(feature = "ssr")]
    {
        signed_in(|admin| admin.alerts.clone()).unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    Vec::new()
}

/// Whether the signed-in member may change things (an administrator):
/// pages show a viewer no control the server would refuse.
pub fn may_manage() -> bool {
    #[cfg(feature = "ssr")]
    {
        signed_in(|admin| admin.role.may_manage()).unwrap_or(false)
    }
    #[cfg(not(feature = "ssr"))]
    false
}

/// What a signed-in page shows when its data could not be loaded: a way
/// back in when the session has ended (to `page` after signing in), else
/// the reason.
pub fn load_failed(error: crate::error::AppError, page: &str) -> AnyView {
    match error {
        crate::error::AppError::SignInRequired => view! {
            <main class="auth-page"><p role="alert">
                "Your session has ended. " <a href=crate::auth::login_path(page)>"Sign in again"</a>"."
            </p></main>
        }
        .into_any(),
        error => view! {
            <main class="auth-page"><p role="alert" class="form-error">{error.to_string()}</p></main>
        }
        .into_any(),
    }
}

/// The Company area's tabs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CompanyTab {
    EventUrl,
    Deliveries,
    Activity,
    ApiTokens,
    Members,
    /// My account: not a Company tab; the page has no tab bar.
    Account,
}

#[component]
pub fn CompanyLayout(
    tenant: String,
    username: String,
    tab: CompanyTab,
    children: Children,
) -> impl IntoView {
    let current = move |t: CompanyTab| (t == tab).then_some("page");
    let banners = alerts()
        .into_iter()
        .map(|alert| {
            let href = format!("{}?{}", paths::DELIVERIES, alert.deliveries_query());
            let class = match alert.kind {
                AlertKind::Failing => "banner banner-warn",
                AlertKind::AutoPaused => "banner banner-bad",
            };
            view! {
                <p class=class>
                    {alert.message()} " " <a href=href>"See these deliveries"</a>
                </p>
            }
        })
        .collect::<Vec<_>>();
    let banners = (!banners.is_empty()).then(|| {
        view! { <section class="banners" aria-label="Delivery problems">{banners}</section> }
    });
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <header class="topbar">
            <span class="brand">"eventurl"</span>
            <span class="tenant" title="Tenant">{tenant}</span>
            <span class="spacer"></span>
            <span class="user">
                "Signed in as "
                <a href=paths::ACCOUNT aria-current=current(CompanyTab::Account) title="My account">
                    <strong>{username}</strong>
                </a>
            </span>
            <form method="post" action=paths::LOGOUT>
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        </header>
        <div class="frame">
            <nav class="sidebar" aria-label="Main menu">
                <ul>
                    <li><a href=paths::EVENT_URL class="active" aria-current="true">"Company"</a></li>
                </ul>
            </nav>
            <main id="content" class="content">
                {banners}
                {if tab == CompanyTab::Account {
                    view! { <h1>"My account"</h1> }.into_any()
                } else {
                    view! { <h1>"Company"</h1> <CompanyTabs current/> }.into_any()
                }}
                {children()}
            </main>
        </div>
    }
}

#[component]
fn CompanyTabs(
    current: impl Fn(CompanyTab) -> Option<&'static str> + Copy + Send + 'static,
) -> impl IntoView {
    let tabs = [
        (paths::EVENT_URL, CompanyTab::EventUrl, "Event URL"),
        (paths::DELIVERIES, CompanyTab::Deliveries, "Deliveries"),
        (paths::ACTIVITY, CompanyTab::Activity, "Activity"),
        (paths::API_TOKENS, CompanyTab::ApiTokens, "API tokens"),
        (paths::MEMBERS, CompanyTab::Members, "Administrators"),
    ];
    view! {
        <nav class="tabs" aria-label="Company settings">
            {tabs.map(|(href, tab, text)| view! { <a href=href aria-current=current(tab)>{text}</a> })}
        </nav>
    }
}
