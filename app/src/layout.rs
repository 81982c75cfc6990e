//! The signed-in page chrome: header, left-hand menu, Company tabs.

use crate::paths;
use leptos::prelude::*;

/// The Company area's tabs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum CompanyTab {
    EventUrl,
    Deliveries,
    Activity,
}

#[component]
pub fn CompanyLayout(
    tenant: String,
    username: String,
    tab: CompanyTab,
    children: Children,
) -> impl IntoView {
    let current = move |t: CompanyTab| (t == tab).then_some("page");
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <header class="topbar">
            <span class="brand">"eventurl"</span>
            <span class="tenant" title="Tenant">{tenant}</span>
            <span class="spacer"></span>
            <span class="user">"Signed in as " <strong>{username}</strong></span>
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
                <h1>"Company"</h1>
                <nav class="tabs" aria-label="Company settings">
                    <a href=paths::EVENT_URL aria-current=current(CompanyTab::EventUrl)>
                        "Event URL"
                    </a>
                    <a href=paths::DELIVERIES aria-current=current(CompanyTab::Deliveries)>
                        "Deliveries"
                    </a>
                    <a href=paths::ACTIVITY aria-current=current(CompanyTab::Activity)>
                        "Activity"
                    </a>
                </nav>
                {children()}
            </main>
        </div>
    }
}
