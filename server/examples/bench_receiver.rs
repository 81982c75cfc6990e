//! A webhook receiver for the benchmark: answers every POST 200 (after
//! `--delay-ms`, default 0) and counts them; `GET /count` says how many.
//! Usage: `bench_receiver PORT [DELAY_MS]`.

use axum::{extract::State, routing::get, Router};
use std::sync::{
    atomic::{AtomicU64, Ordering},
    Arc,
};

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(0);
    let delay: u64 = args.next().and_then(|d| d.parse().ok()).unwrap_or(0);
    let count = Arc::new(AtomicU64::new(0));
    let app = Router::new()
        .route(
            "/count",
            get(|State(count): State<Arc<AtomicU64>>| async move {
                count.load(Ordering::Relaxed).to_string()
            }),
        )
        .fallback(move |State(count): State<Arc<AtomicU64>>| async move {
            if delay > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
            }
            count.fetch_add(1, Ordering::Relaxed);
            "ok"
        })
        .with_state(count);
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("{}", listener.local_addr()?.port());
    axum::serve(listener, app).await
}
