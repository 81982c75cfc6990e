//! A webhook receiver for the benchmark: answers every POST 200 (after
//! `DELAY_MS`, default 0) and counts them; `GET /count` says how many
//! were answered, `GET /arrived` how many arrived (answered or not yet).
//! A body carrying `"sent_at_us":N` (microseconds since the Unix epoch,
//! stamped by the load generator as it hands the event in) adds its age
//! on arrival to the latencies; `GET /latency` answers their count, p50
//! and p99 in milliseconds and starts over.
//! Usage: `bench_receiver PORT [DELAY_MS]`.

use axum::{body::Bytes, extract::State, routing::get, Router};
use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{SystemTime, UNIX_EPOCH},
};

#[derive(Default)]
struct Seen {
    count: AtomicU64,
    arrived: AtomicU64,
    latencies_us: Mutex<Vec<u64>>,
}

fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
}

/// The `"sent_at_us":N` stamp in a body, if any.
fn sent_at(body: &[u8]) -> Option<u64> {
    const MARK: &[u8] = b"\"sent_at_us\":";
    let at = body.windows(MARK.len()).position(|w| w == MARK)? + MARK.len();
    let digits: String = body[at..]
        .iter()
        .skip_while(|b| **b == b' ' || **b == b'"')
        .take_while(|b| b.is_ascii_digit())
        .map(|b| char::from(*b))
        .collect();
    digits.parse().ok()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let delay: u64 = args.next().and_then(|d| d.parse().ok()).unwrap_or(0);
    let seen = Arc::new(Seen::default());
    let app = Router::new()
        .route(
            "/count",
            get(|State(seen): State<Arc<Seen>>| async move {
                seen.count.load(Ordering::Relaxed).to_string()
            }),
        )
        .route(
            "/arrived",
            get(|State(seen): State<Arc<Seen>>| async move {
                seen.arrived.load(Ordering::Relaxed).to_string()
            }),
        )
        .route(
            "/latency",
            get(|State(seen): State<Arc<Seen>>| async move {
                let mut all = std::mem::take(
                    &mut *seen
                        .latencies_us
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner),
                );
                all.sort_unstable();
                let at = |q: f64| {
                    // Nearest rank.
                    let rank = ((q * all.len() as f64).ceil() as usize).clamp(1, all.len().max(1));
                    all.get(rank - 1).map_or(0.0, |us| *us as f64 / 1000.0)
                };
                format!(
                    "{{\"n\":{},\"p50_ms\":{:.2},\"p99_ms\":{:.2},\"max_ms\":{:.2}}}",
                    all.len(),
                    at(0.5),
                    at(0.99),
                    at(1.0)
                )
            }),
        )
        .fallback(
            move |State(seen): State<Arc<Seen>>, body: Bytes| async move {
                seen.arrived.fetch_add(1, Ordering::Relaxed);
                if delay > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
                }
                if let Some(sent) = sent_at(&body) {
                    let age = now_us().saturating_sub(sent);
                    seen.latencies_us
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(age);
                }
                seen.count.fetch_add(1, Ordering::Relaxed);
                "ok"
            },
        )
        .with_state(seen);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("{}", listener.local_addr()?.port());
    axum::serve(listener, app).await
}
