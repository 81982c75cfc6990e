//! The hourly clean-up every `serve` instance runs beside its work.

use app::persistence::session_store::DbSessionStore;
use std::time::Duration;
use tower_sessions::ExpiredDeletion;

/// Hourly clean-up: expired sessions, attempt records past every rate
/// limit's window, sign-in networks no longer known. A failure is logged
/// and retried at the next tick instead of ending the task.
pub(crate) async fn hourly_cleanup(store: DbSessionStore, db: sea_orm::DatabaseConnection) {
    let mut interval = tokio::time::interval(Duration::from_secs(3600));
    loop {
        interval.tick().await;
        if let Err(e) = store.delete_expired().await {
            tracing::warn!(error = %e, "could not delete expired sessions");
        }
        if let Err(e) = app::persistence::rate_limit::purge(&db, time::Duration::HOUR).await {
            tracing::warn!(
                error = format!("{e:#}"),
                "could not delete old attempt records"
            );
        }
        if let Err(e) = app::password_reset::service::purge(&db).await {
            tracing::warn!(error = format!("{e:#}"), "could not delete old reset links");
        }
        if let Err(e) = app::auth::throttle::forget_old_networks(&db).await {
            tracing::warn!(
                error = format!("{e:#}"),
                "could not forget old sign-in networks"
            );
        }
    }
}
