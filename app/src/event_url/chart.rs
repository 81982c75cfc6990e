//! A section's last 24 hours as a small bar chart, drawn on the server as
//! inline SVG (no chart code in the wasm: it is an island's child, sent
//! as HTML), with the same figures as text for screen readers and anyone
//! who wants the numbers.

use leptos::prelude::*;

use super::model::HourCount;
use crate::domain::EndpointKind;

const BAR: u64 = 8;
const HEIGHT: u64 = 36;

#[component]
pub fn DeliveryChart(kind: EndpointKind, hours: Vec<HourCount>) -> impl IntoView {
    let delivered: u64 = hours.iter().map(|h| h.delivered).sum();
    let failed: u64 = hours.iter().map(|h| h.failed).sum();
    let most = hours
        .iter()
        .map(|h| h.delivered + h.failed)
        .max()
        .unwrap_or(0)
        .max(1);
    let label = format!(
        "{} attempts, last 24 hours: {delivered} delivered, {failed} failed.",
        kind.title()
    );
    let scale = |n: u64| (n * HEIGHT).div_ceil(most);
    let bars = hours
        .iter()
        .zip(0u64..)
        .map(|(hour, slot)| {
            let x = slot * BAR;
            let ok = scale(hour.delivered);
            let bad = scale(hour.failed);
            view! {
                <rect class="ok" x=x y=HEIGHT - ok width=BAR - 2 height=ok></rect>
                <rect class="bad" x=x y=HEIGHT - ok - bad width=BAR - 2 height=bad></rect>
            }
        })
        .collect_view();
    let busy: Vec<HourCount> = hours
        .iter()
        .filter(|h| h.delivered + h.failed > 0)
        .cloned()
        .collect();
    view! {
        <figure class="chart">
            <svg
                viewBox=format!("0 0 {} {}", BAR * 24, HEIGHT)
                width=BAR * 24
                height=HEIGHT
                role="img"
                aria-label=label.clone()
            >
                {bars}
            </svg>
            <figcaption>
                <span class="legend ok">"delivered"</span>
                " "
                <span class="legend bad">"failed"</span>
                " per hour, last 24 hours"
                {(!busy.is_empty()).then(|| view! {
                    <details>
                        <summary>"Figures"</summary>
                        <table class="headers">
                            <caption>{label.clone()}</caption>
                            <thead><tr><th scope="col">"Hour (UTC)"</th><th scope="col">"Delivered"</th><th scope="col">"Failed"</th></tr></thead>
                            <tbody>
                                {busy.into_iter().map(|h| view! {
                                    <tr>
                                        <td>{crate::time_text::utc_minutes(&h.hour)}</td>
                                        <td>{h.delivered}</td>
                                        <td>{h.failed}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </details>
                })}
            </figcaption>
        </figure>
    }
}
