//! The delivery side's HTTP endpoints besides ingest: `/metrics`.

/// `GET /metrics`: 404 unless the operator set a token; 401 without it.
pub async fn metrics(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    axum::extract::State(delivery): axum::extract::State<super::DeliveryCore>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::{http::StatusCode, response::IntoResponse};
    use sha2::{Digest, Sha256};
    let Some(token) = &state.config.metrics_token else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let presented = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared as digests: the time taken says nothing about the token.
    if Sha256::digest(presented.as_bytes()) != Sha256::digest(token.as_bytes()) {
        return (
            StatusCode::UNAUTHORIZED,
            [(
                axum::http::header::WWW_AUTHENTICATE,
                "Bearer realm=\"eventurl metrics\"",
            )],
            "Send `Authorization: Bearer <EVENTURL_METRICS_TOKEN>`.",
        )
            .into_response();
    }
    match delivery.metrics.render(&state.db).await {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "metrics unavailable");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}
