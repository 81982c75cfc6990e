//! The signed-in page chrome: header, left-hand menu, Company tabs.

use leptos::prelude::*;

#[component]
pub fn CompanyLayout(tenant: String, username: String, children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <header class="topbar">
            <span class="brand">"eventurl"</span>
            <span class="tenant" title="Tenant">{tenant}</span>
            <span class="spacer"></span>
            <span class="user">"Signed in as " <strong>{username}</strong></span>
            <form method="post" action="/logout">
                <button type="submit" class="link-button">"Sign out"</button>
            </form>
        </header>
        <div class="frame">
            <nav class="sidebar" aria-label="Main menu">
                <ul>
                    <li><a href="/company/event-url" class="active" aria-current="true">"Company"</a></li>
                </ul>
            </nav>
            <main id="content" class="content">
                <h1>"Company"</h1>
                <nav class="tabs" aria-label="Company settings">
                    <a href="/company/event-url" aria-current="page">"Event URL"</a>
                </nav>
                {children()}
            </main>
        </div>
    }
}
