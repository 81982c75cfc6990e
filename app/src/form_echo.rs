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
