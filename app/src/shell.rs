//! The HTML document around the app, its routes and its Content-Security-Policy.

mod bundle;

pub use bundle::BundleNames;
use bundle::{BundleStylesheet, IslandScripts};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

use crate::{
    account::{AccountView, ConfirmEmailPage},
    activity::ActivityView,
    api_tokens::ApiTokensView,
    auth::LoginPage,
    deliveries::{DeliveriesView, DeliveryEventView, RedeliverView, ReplayProgressView},
    event_url::EventUrlPage,
    members::{InvitationPage, MembersView},
    password_reset::{ForgotPasswordPage, ResetPasswordPage},
    paths,
    provider::{OperatorAccountPage, OperatorActivityPage, TenantsPage},
    setup::SetupPage,
    two_factor::SignInCodePage,
};

/// The HTML document around the app, rendered on the server only.
pub fn shell(options: LeptosOptions, bundle: BundleNames) -> impl IntoView {
    #[cfg(feature = "ssr")]
    set_page_security_policy();
    // Only pages with islands load the wasm bundle (the login page has none).
    #[cfg(feature = "ssr")]
    let hydrate = use_context::<http::request::Parts>()
        .is_some_and(|request| paths::has_islands(request.uri.path()));
    #[cfg(not(feature = "ssr"))]
    let hydrate = true;
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="description" content="Manage where your PBX posts its webhook events."/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <AutoReload options=options.clone()/>
                <BundleStylesheet bundle=bundle.clone() pkg_path=options.site_pkg_dir.to_string()/>
                {hydrate.then(|| view! { <IslandScripts bundle pkg_path=options.site_pkg_dir.to_string()/> })}
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: scripts only from this origin or
/// inline with this render's nonce (Leptos puts it on its hydration and
/// resource scripts), wasm compilation allowed, nothing framed or framing.
#[cfg(feature = "ssr")]
pub fn page_security_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(feature = "ssr")]
fn set_page_security_policy() {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    if let Ok(value) = http::HeaderValue::from_str(&page_security_policy(&nonce)) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Router>
            <Routes fallback=|| view! { <NotFound/> }>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async/>
                <Route path=path!("/company/event-url") view=EventUrlPage ssr=SsrMode::Async/>
                <Route path=path!("/company/activity") view=ActivityView ssr=SsrMode::Async/>
                <Route path=path!("/company/deliveries") view=DeliveriesView ssr=SsrMode::Async/>
                <Route path=path!("/company/deliveries/replays/:id") view=ReplayProgressView ssr=SsrMode::Async/>
                <Route path=path!("/company/deliveries/:id") view=DeliveryEventView ssr=SsrMode::Async/>
                <Route path=path!("/company/redeliver") view=RedeliverView ssr=SsrMode::Async/>
                <Route path=path!("/company/api-tokens") view=ApiTokensView ssr=SsrMode::Async/>
                <Route path=path!("/company/administrators") view=MembersView ssr=SsrMode::Async/>
                <Route path=path!("/invitation") view=InvitationPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=AccountView ssr=SsrMode::Async/>
                <Route path=path!("/login/two-factor") view=SignInCodePage ssr=SsrMode::Async/>
                <Route path=path!("/login/forgot") view=ForgotPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/provider/tenants") view=TenantsPage ssr=SsrMode::Async/>
                <Route path=path!("/provider/activity") view=OperatorActivityPage ssr=SsrMode::Async/>
                <Route path=path!("/provider/account") view=OperatorAccountPage ssr=SsrMode::Async/>
                <Route path=path!("/login/reset") view=ResetPasswordPage ssr=SsrMode::Async/>
                <Route path=path!("/email/confirm") view=ConfirmEmailPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="auth-page">
            <div class="auth-card">
                <h1>"Page not found"</h1>
                <p><a href=paths::EVENT_URL>"Go to Company → Event URL"</a></p>
            </div>
        </main>
    }
}
