//! Plain (no-JavaScript) form posts that fail are answered by rendering the
//! page again with what was typed and the messages. The POST handler puts a
//! `FormEcho<T>` into the render's context; the page, rendered only on the
//! server (its interactive parts are islands that get the echo as props),
//! reads it from there.

#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct FormEcho<T>(pub T);

/// What the refused post typed, if this render answers one.
pub fn form_echo<T>() -> Option<T>
where
    T: Clone + Send + Sync + 'static,
{
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<FormEcho<T>>().map(|echo| echo.0)
    }
    #[cfg(not(feature = "ssr"))]
    {
        None
    }
}

/// A plain form post whose fields nest (`headers[0][name]`, the Event URL
/// section's header rows), read as the server functions read theirs
/// (serde_qs, lenient about the brackets browsers percent-encode). Flat
/// forms read the same as with axum's `Form`.
#[cfg(feature = "ssr")]
pub struct NestedForm<T>(pub T);

#[cfg(feature = "ssr")]
impl<T> NestedForm<T> {
    /// `body` as `T`.
    pub fn parse(body: &[u8]) -> Result<T, serde_qs::Error>
    where
        T: serde::de::DeserializeOwned,
    {
        serde_qs::Config::new(5, false).deserialize_bytes(body)
    }
}

#[cfg(feature = "ssr")]
impl<T, S> axum::extract::FromRequest<S> for NestedForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = axum::response::Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        use axum::response::IntoResponse;
        use http::StatusCode;
        let is_form = req
            .headers()
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !is_form {
            return Err((
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "Expected a form (application/x-www-form-urlencoded).",
            )
                .into_response());
        }
        let body = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        Self::parse(&body).map(NestedForm).map_err(|e| {
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("The form could not be read: {e}"),
            )
                .into_response()
        })
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::NestedForm;
    use crate::domain::EndpointForm;

    /// What a browser posts for the section's form: brackets
    /// percent-encoded, spaces as `+`, an unticked box left out.
    #[test]
    fn a_browsers_post_of_the_section_form_reads_with_its_header_rows() {
        let body = "kind=cdr&auth_method=disable&url=https%3A%2F%2Fx.example%2Fa%3Fb%3D1&enabled=on\
            &headers%5B0%5D%5Bname%5D=X-Env&headers%5B0%5D%5Bvalue%5D=prod+eu\
            &headers%5B1%5D%5Bname%5D=X-Key&headers%5B1%5D%5Bvalue%5D=&headers%5B1%5D%5Bsecret%5D=on\
            &headers%5B2%5D%5Bname%5D=&headers%5B2%5D%5Bvalue%5D=&version=3&sample_event=call_cdr";
        let form: EndpointForm = NestedForm::<EndpointForm>::parse(body.as_bytes()).unwrap();
        assert_eq!(form.url, "https://x.example/a?b=1");
        assert_eq!(form.enabled.as_deref(), Some("on"));
        assert_eq!(form.version, "3");
        assert_eq!(form.headers.len(), 3);
        assert_eq!(form.headers[0].name, "X-Env");
        assert_eq!(form.headers[0].value, "prod eu");
        assert!(form.headers[0].secret.is_none());
        assert!(form.headers[1].secret.is_some());
        // A flat form (no rows) still reads.
        let flat: EndpointForm =
            NestedForm::<EndpointForm>::parse(b"kind=extension&auth_method=bearer&token=a%2Bb")
                .unwrap();
        assert_eq!(flat.token, "a+b");
        assert!(flat.headers.is_empty());
    }
}
