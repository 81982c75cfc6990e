//! A section's last 24 hours as a small bar chart, drawn on the server as
//! inline SVG (no chart code in the wasm: it is an island's child, sent
//! as HTML), with the same figures as text for screen readers and anyone
//! who wants the numbers.

use leptos::prelude::*;

use super::model::HourCount;
use crate::domain::EndpointKind;

const BAR: u64 = 8;
const HEIGHT: u64 = 36;

/// Each series' bars as one SVG path (`M x y h w v h h -w z` a bar; an
/// empty hour draws nothing): two elements to render and send, not 48.
/// Delivered bars stand on the baseline, failed ones on top of them.
fn bar_paths(hours: &[HourCount], most: u64) -> (String, String) {
    use std::fmt::Write;
    let scale = |n: u64| (n * HEIGHT).div_ceil(most.max(1));
    let width = BAR - 2;
    let (mut ok, mut bad) = (String::new(), String::new());
    for (hour, slot) in hours.iter().zip(0u64..) {
        let x = slot * BAR;
        let (up, over) = (scale(hour.delivered), scale(hour.failed));
        if up > 0 {
            let _ = write!(ok, "M{x} {}h{width}v{up}h-{width}z", HEIGHT - up);
        }
        if over > 0 {
            let _ = write!(bad, "M{x} {}h{width}v{over}h-{width}z", HEIGHT - up - over);
        }
    }
    (ok, bad)
}

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
    let (ok, bad) = bar_paths(&hours, most);
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
                {(!ok.is_empty()).then(|| view! { <path class="ok" d=ok></path> })}
                {(!bad.is_empty()).then(|| view! { <path class="bad" d=bad></path> })}
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

#[cfg(test)]
mod tests {
    use super::*;

    fn hour(delivered: u64, failed: u64) -> HourCount {
        HourCount {
            hour: String::new(),
            delivered,
            failed,
        }
    }

    #[test]
    fn bars_are_drawn_to_scale_failed_on_top_and_empty_hours_not_at_all() {
        let hours = [hour(0, 0), hour(2, 0), hour(1, 1)];
        let (ok, bad) = bar_paths(&hours, 2);
        // Hour 1: all 36 units delivered; hour 2: 18 delivered, 18 failed above.
        assert_eq!(ok, "M8 0h6v36h-6zM16 18h6v18h-6z");
        assert_eq!(bad, "M16 0h6v18h-6z");
        assert_eq!(bar_paths(&[hour(0, 0)], 1), (String::new(), String::new()));
    }
}
