//! Serving: accepting connections (without Nagle's delay) and graceful
//! shutdown on SIGINT/SIGTERM (the hourly clean-up is `cleanup.rs`).

use anyhow::Context;
use std::{future::IntoFuture, net::SocketAddr, time::Duration};
use tokio::net::TcpListener;

use crate::startup::Prepared;

impl Prepared {
    /// Serves until SIGINT/SIGTERM, then stops accepting, lets requests in
    /// flight finish for up to `grace`, and closes the database pool.
    pub async fn serve(self, grace: Duration) -> anyhow::Result<()> {
        // Listen for the signals before saying we are listening: a SIGTERM
        // sent as soon as the line appears must find its handler installed
        // (else the default action kills the process uncleanly).
        let stop = shutdown_signal()?;
        tracing::info!(addr = %self.addr, "eventurl is listening");
        let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
        let delivering = self.delivery.clone().map(|config| {
            tokio::spawn(
                app::delivery::Deliverer::new(self.state.clone(), self.core.clone(), config)
                    .run(stopping.clone(), grace),
            )
        });
        let server = axum::serve(
            without_nagle(self.listener),
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            stop.await;
            let _ = stopping_tx.send(true);
        })
        .into_future();
        let deadline = async move {
            let _ = stopping.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            served = server => served.context("serving HTTP")?,
            () = deadline => tracing::warn!(
                grace_secs = grace.as_secs(),
                "requests still running after the grace period; stopping anyway"
            ),
        }
        if let Some(delivering) = delivering {
            // Stops claiming at once; attempts under way get the grace,
            // then what is left is released.
            let _ = tokio::time::timeout(grace + Duration::from_secs(2), delivering).await;
        }
        self.db.close().await.context("closing the database")?;
        tracing::info!("eventurl stopped");
        Ok(())
    }

    /// Only delivers (no web app), until SIGINT/SIGTERM.
    pub async fn deliver_only(self, grace: Duration) -> anyhow::Result<()> {
        let stop = shutdown_signal()?;
        let config = self.delivery.clone().unwrap_or_default();
        let (stopping_tx, stopping) = tokio::sync::watch::channel(false);
        tracing::info!(schedule = %config.schedule, "eventurl is delivering");
        let delivering = tokio::spawn(
            app::delivery::Deliverer::new(self.state.clone(), self.core.clone(), config)
                .run(stopping, grace),
        );
        stop.await;
        let _ = stopping_tx.send(true);
        let _ = tokio::time::timeout(grace + Duration::from_secs(2), delivering).await;
        self.db.close().await.context("closing the database")?;
        tracing::info!("eventurl stopped");
        Ok(())
    }

    /// Serves in the background (for tests); returns the address.
    pub fn spawn(self) -> SocketAddr {
        let addr = self.addr;
        if let Some(config) = self.delivery.clone() {
            let (_never, stop) = tokio::sync::watch::channel(false);
            let deliverer =
                app::delivery::Deliverer::new(self.state.clone(), self.core.clone(), config);
            tokio::spawn(async move {
                let _keep = _never;
                deliverer.run(stop, Duration::ZERO).await;
            });
        }
        tokio::spawn(async move {
            let _ = axum::serve(
                without_nagle(self.listener),
                self.router
                    .into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        addr
    }
}

/// Accepted connections send each write at once: with Nagle's algorithm
/// a response written in more than one piece (a file, a streamed body)
/// waited for the client's delayed ACK, 40 ms a response.
fn without_nagle(
    listener: TcpListener,
) -> axum::serve::TapIo<TcpListener, fn(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    fn no_delay(tcp: &mut tokio::net::TcpStream) {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    }
    listener.tap_io(no_delay as fn(&mut tokio::net::TcpStream))
}

/// SIGINT or SIGTERM, their handlers installed now; the future ends at
/// the first of them.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut interrupt = signal(SignalKind::interrupt()).context("listening for SIGINT")?;
        let mut terminate = signal(SignalKind::terminate()).context("listening for SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutting down: finishing requests in flight");
        })
    }
}
