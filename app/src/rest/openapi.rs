//! The API's OpenAPI 3.1 document, derived from the handlers' and types'
//! own annotations (`utoipa`), served at `/api/v1/openapi.json`. What every
//! operation shares (the token, 401 and 429, 400 for an unreadable body)
//! and the links between operations are added here, once.

use std::sync::LazyLock;

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use utoipa::{
    openapi::{
        path::Operation,
        security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme},
        ContentBuilder, OpenApi as Document, Ref, ResponseBuilder,
    },
    Modify, OpenApi,
};

use serde_json::{json, Value};

use super::{activity, deliveries, event_url, portsip, problem, signing};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "eventurl API",
        description = "A tenant's event URL settings, test events, deliveries and activity, with an API token (Company → API tokens). Errors are RFC 9457 problem documents.",
        version = "1"
    ),
    paths(
        event_url::both,
        event_url::one,
        event_url::replace,
        event_url::pause,
        event_url::enable,
        event_url::test_event,
        signing::read,
        signing::rotate,
        activity::list,
        deliveries::list,
        deliveries::one,
        deliveries::redeliver,
        deliveries::replay,
        deliveries::replay_progress,
        portsip::read,
        portsip::update,
    ),
    components(schemas(problem::ProblemDoc, problem::FieldError)),
    modifiers(&Shared),
    tags(
        (name = "event-url", description = "The Event URL tab's two sections."),
        (name = "deliveries", description = "The Deliveries tab: events, attempts, redelivery."),
        (name = "activity", description = "The Activity tab."),
        (name = "portsip", description = "PortSIP's own `/api/tenant` fields, for scripts written for PortSIP."),
    )
)]
pub struct ApiDoc;

/// What every operation shares.
struct Shared;

fn problem(description: &str) -> utoipa::openapi::Response {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ProblemDoc")))
                .build(),
        )
        .build()
}

impl Modify for Shared {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("eut_…")
                    .description(Some(
                        "An API token (Company → API tokens, or `eventurl api-token create`).",
                    ))
                    .build(),
            ),
        );
        doc.security = Some(vec![SecurityRequirement::new(
            "token",
            Vec::<String>::new(),
        )]);
        for (path, item) in doc.paths.paths.iter_mut() {
            let operations: [(&mut Option<Operation>, bool); 3] = [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
            ];
            for (operation, write) in operations {
                let Some(operation) = operation else { continue };
                let responses = &mut operation.responses.responses;
                // A body, or a header (If-Match), can be unreadable: 400.
                let readable = operation.request_body.is_some()
                    || operation.parameters.iter().flatten().any(|p| {
                        matches!(p.parameter_in, utoipa::openapi::path::ParameterIn::Header)
                    });
                responses.insert(
                    "401".into(),
                    problem("No token, or one that is unknown, revoked or expired.").into(),
                );
                // Every call can meet a 403; a write's first reason is a
                // read-only token.
                responses.entry("403".into()).or_insert_with(|| {
                    problem(if write {
                        "A read-only token, or its member may not do this (a viewer; two-factor sign-in not set up where the company requires it)."
                    } else {
                        "The token's member must set up two-factor sign-in first (their company requires it), or may not do this."
                    })
                    .into()
                });
                if path.contains("{section}") {
                    responses
                        .entry("404".into())
                        .or_insert_with(|| problem("Not a section.").into());
                }
                responses.insert(
                    "429".into(),
                    problem(
                        "Over the token's rate limit (or the test-event limit); see Retry-After.",
                    )
                    .into(),
                );
                if operation.request_body.is_some() {
                    responses.insert("413".into(), problem("A body over 64 KB.").into());
                }
                if readable {
                    responses.insert(
                        "400".into(),
                        problem("The body is not JSON, or an If-Match that is not a version.")
                            .into(),
                    );
                }
            }
        }
    }
}

/// The document with its links (added to the JSON: utoipa 5 writes a
/// link's `operationId` as `operation_id`), for clients and for stateful
/// tests: a section's read gives the version its replacement needs; a page
/// of events gives the ids of its events.
fn with_links(mut doc: Value) -> Value {
    let first_id = json!({"id": "$response.body#/events/0/id"});
    let links = [
        (
            "/api/v1/event-url/{section}",
            "replace",
            "replaceEventUrlSection",
            json!({"section": "$request.path.section", "header.If-Match": "$response.header.ETag"}),
        ),
        (
            "/api/v1/deliveries",
            "event",
            "getDelivery",
            first_id.clone(),
        ),
        (
            "/api/v1/deliveries",
            "redeliver",
            "redeliverEvent",
            first_id,
        ),
    ];
    for (from, name, operation_id, parameters) in links {
        if let Some(response) = doc
            .pointer_mut(&format!(
                "/paths/{}/get/responses/200",
                from.replace('/', "~1")
            ))
            .and_then(Value::as_object_mut)
        {
            let links = response.entry("links").or_insert_with(|| json!({}));
            links[name] = json!({"operationId": operation_id, "parameters": parameters});
        }
    }
    doc
}

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    serde_json::to_value(ApiDoc::openapi())
        .map(with_links)
        .and_then(|doc| serde_json::to_string(&doc))
        .unwrap_or_default()
});

/// `GET /api/v1/openapi.json` (no token needed: it holds no tenant's data;
/// made once, from the code).
pub async fn document() -> Response {
    let mut response = DOCUMENT.as_str().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}
