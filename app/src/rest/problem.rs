//! RFC 9457 problem documents: every error of the API says what went wrong
//! in `title` and `detail`, with each field's message (the form's words)
//! under `errors`.

use axum::{
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    domain::{Field, FieldErrors},
    error::{AppError, ServiceError},
};

/// One field's (or parameter's) message, in the form's words.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"field": "url", "message": "Enter a URL starting with http:// or https://."}))]
pub struct FieldError {
    /// The field's name in the request (`cdr_event.url`, a query
    /// parameter's name).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document (`application/problem+json`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "about:blank",
    "title": "Invalid settings",
    "status": 422,
    "detail": "Not saved: correct the fields listed in `errors`.",
    "errors": [{"field": "url", "message": "Enter a URL starting with http:// or https://."}]
}))]
pub struct ProblemDoc {
    /// Always `about:blank`: `title` names the problem.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    /// Each field's message, when the request's fields were the problem.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub title: &'static str,
    pub detail: String,
    pub errors: Vec<FieldError>,
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
        Self::invalid_fields(
            errors
                .iter()
                .map(|(field, message)| {
                    FieldError::new(format!("{prefix}{}", field_name(field)), message)
                })
                .collect(),
        )
    }

    /// 422: settings not saved, with each field's message.
    pub fn invalid_fields(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid settings",
                "Not saved: correct the fields listed in `errors`.",
            )
        }
    }

    /// 422: query parameters that are not what they may be, each named.
    pub fn invalid_filters(errors: Vec<FieldError>) -> Self {
        Self {
            errors,
            ..Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "Invalid filters",
                "Correct the parameters listed in `errors`.",
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
            error @ AppError::Forbidden(_) => {
                Self::new(StatusCode::FORBIDDEN, "Forbidden", error.to_string())
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
    field.api_name()
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = ProblemDoc {
            kind: "about:blank",
            title: self.title,
            status: self.status.as_u16(),
            detail: self.detail,
            errors: self.errors,
        };
        let text = serde_json::to_string(&body).unwrap_or_default();
        let mut response = (self.status, text).into_response();
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
