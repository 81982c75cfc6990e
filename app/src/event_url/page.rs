//! The Event URL tab: both sections of the signed-in tenant.

use crate::paths::EVENT_URL;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::{
    api::load_event_url,
    chart::DeliveryChart,
    read_only::ReadOnlySection,
    section::{DeliveryStatus, EndpointSection},
    signing::SigningPanel,
    SaveEcho, SigningEcho, SwitchEcho,
};
use crate::{
    domain::EndpointKind,
    form_echo::form_echo,
    layout::{CompanyLayout, CompanyTab},
    test_event::TestEcho,
};

#[component]
pub fn EventUrlPage() -> impl IntoView {
    // A blocking resource, which the async render waits for: the server
    // function awaited bare in `Suspend` made every render take ~100 ms
    // more on PostgreSQL (measured). The echoes are plain reads: the page
    // renders on the server only, its islands get them as props.
    // Boxed: Leptos moves a resource's future and a `Suspend`'s through
    // several wrappers before polling them, and these two hold three
    // queries' futures and the whole view (~9 KB each): moved as boxes,
    // callgrind counts ~5% fewer instructions per page.
    let data = Resource::new_blocking(|| (), |_| Box::pin(load_event_url()));
    let echo = form_echo::<SaveEcho>();
    let test_echo = form_echo::<TestEcho>();
    let switch_echo = form_echo::<SwitchEcho>();
    let signing_echo = form_echo::<SigningEcho>();
    let query = use_query_map();
    let saved_kind = move || {
        query
            .with(|q| q.get("saved"))
            .and_then(|k| EndpointKind::parse(&k))
    };
    view! {
        <Title text="Event URL · Company · eventurl"/>
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let (echo, test_echo, switch_echo) = (echo.clone(), test_echo.clone(), switch_echo.clone());
                let signing_echo = signing_echo.clone();
                Suspend::new(Box::pin(async move {
                match data.await {
                    Ok(data) => {
                        let saved = saved_kind();
                        let manage = crate::layout::may_manage();
                        let sections = EndpointKind::ALL.map(|kind| {
                            let signing = view! {
                                <SigningPanel
                                    kind
                                    status=data.endpoint(kind).signing.clone()
                                    manage
                                    echo=signing_echo.clone().filter(|e| e.kind == kind)
                                />
                            };
                            if !manage {
                                let hours = data.hours(kind).to_vec();
                                return view! {
                                    <ReadOnlySection saved=data.endpoint(kind).clone() deliveries=data.deliveries(kind).clone()>
                                        <DeliveryChart kind hours=hours.clone()/>
                                    </ReadOnlySection>
                                    {signing}
                                }
                                .into_any();
                            }
                            let echo = echo.clone().filter(|e| e.kind == kind);
                            let test_echo = test_echo.clone().filter(|e| e.kind == kind);
                            let switch_echo = switch_echo.clone().filter(|e| e.kind == kind);
                            let hours = data.hours(kind).to_vec();
                            let deliveries = data.deliveries(kind).clone();
                            view! {
                                <EndpointSection
                                    initial=data.endpoint(kind).clone()
                                    tests=data.tests(kind).to_vec()
                                    echo=echo
                                    test_echo=test_echo
                                    switch_echo=switch_echo
                                    just_saved=saved == Some(kind)
                                >
                                    <DeliveryChart kind hours=hours.clone()/>
                                    <DeliveryStatus kind deliveries=deliveries.clone()/>
                                </EndpointSection>
                                {signing}
                            }
                            .into_any()
                        });
                        view! {
                            <CompanyLayout tenant=data.tenant_name.clone() username=data.admin_username.clone() tab=CompanyTab::EventUrl>
                                <p class="tab-intro">
                                    "The PBX posts events as JSON to these URLs. They must be reachable from the PBX; use HTTPS so events and credentials travel encrypted."
                                </p>
                                {(!manage).then(|| view! {
                                    <p class="notice" role="status">"Your role is Viewer: you see these settings and their deliveries; an administrator can change them."</p>
                                })}
                                {sections}
                            </CompanyLayout>
                        }.into_any()
                    }
                    Err(e) => crate::layout::load_failed(e, EVENT_URL),
                }
            }))}}
        </Suspense>
    }
}
