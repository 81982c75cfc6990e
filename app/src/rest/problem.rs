//! RFC 9457 problem documents: every error of the API says what went wrong
//! in `title` and `detail`, with each field's message (the form's words)
//! under `errors`.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde_json::{json, Value};

use crate::{
    domain::{Field, FieldErrors},
    error::{AppError, ServiceError},
};

#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    /// Per field: `{"field": …, "message": …}`.
    pub errors: Vec<Value>,
    /// Sent as `Retry-After` (seconds).
    pub retry_after: Option<u64>,
}

impl Problem {
    pub fn new(status: StatusCode, title: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            title,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 422 with each field's message; `prefix` names the object the
    /// fields are in (`cdr_event.`), if any.
    pub fn invalid(errors: &FieldErrors, prefix: &str) -> Self {
        let errors = errors
            .iter()
            .map(|(field, message)| json!({ "field": format!("{prefix}{}", field_name(field)), "message": message }))
            .collect();
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid settings",
                "Not saved: correct the fields listed in `errors`.",
            )
        }
    }

    /// What a service's refusal or failure is for an API client.
    pub fn of(error: ServiceError, prefix: &str) -> Self {
        match error.into_app_error() {
            AppError::Invalid(errors) | AppError::NotSent(errors) => Self::invalid(&errors, prefix),
            AppError::Conflict(detail) => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "Changed since your version",
                format!(
                    "Not saved: {detail} Read it again (its ETag is the new version) and retry."
                ),
            ),
            AppError::RateLimited {
                retry_after_secs, ..
            } => Self {
                retry_after: Some(retry_after_secs),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many requests",
                    format!("Try again in {retry_after_secs} seconds."),
                )
            },
            error @ (AppError::BadRequest(_) | AppError::Transport(_)) => {
                Self::new(StatusCode::BAD_REQUEST, "Bad request", error.to_string())
            }
            error @ AppError::Refused(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Refused",
                error.to_string(),
            ),
            error @ AppError::NotFound(_) => {
                Self::new(StatusCode::NOT_FOUND, "Not found", error.to_string())
            }
            error @ AppError::SignInRequired => Self::new(
                StatusCode::UNAUTHORIZED,
                "Token required",
                error.to_string(),
            ),
            error @ AppError::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Unavailable",
                error.to_string(),
            ),
            error @ AppError::Internal => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal error",
                error.to_string(),
            ),
        }
    }
}

/// A field's name in the API's objects (PortSIP's: `auth`, not the form's
/// `auth_method`).
fn field_name(field: Field) -> &'static str {
    match field {
        Field::AuthMethod => "auth",
        other => other.name(),
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = json!({
            "type": "about:blank",
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if !self.errors.is_empty() {
            body["errors"] = Value::Array(self.errors);
        }
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"eventurl api\""),
            );
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Any other path under `/api/`.
pub async fn not_found() -> Problem {
    Problem::new(
        StatusCode::NOT_FOUND,
        "Not found",
        "No such API resource; the resources are under /api/v1/ and /api/tenant.",
    )
}

/// Any other error the API's routing or extractors answer (a method the
/// resource does not take, a body over the limit, an unreadable path) as a
/// problem document too, with its status and headers (`Allow`).
pub async fn every_error_a_problem(response: Response) -> Response {
    let status = response.status();
    let is_problem = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v == "application/problem+json");
    if is_problem || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let detail = match status {
        StatusCode::METHOD_NOT_ALLOWED => {
            "This resource does not take that method; the Allow header lists those it takes."
                .to_owned()
        }
        StatusCode::PAYLOAD_TOO_LARGE => format!(
            "A request body may be at most {} bytes.",
            super::MAX_BODY_BYTES
        ),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Send the body as application/json.".to_owned(),
        _ => "The request could not be read as this resource expects.".to_owned(),
    };
    let allow = response.headers().get(header::ALLOW).cloned();
    let mut problem =
        Problem::new(status, status.canonical_reason().unwrap_or("Error"), detail).into_response();
    if let Some(allow) = allow {
        problem.headers_mut().insert(header::ALLOW, allow);
    }
    problem
}
