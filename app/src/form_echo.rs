//! Plain (no-JavaScript) form posts that fail are answered by rendering the
//! page again with what was typed and the messages. The POST handler puts a
//! `FormEcho<T>` into the render's context; the page reads it through a
//! resource, so that the hydrated page sees the same values as the HTML.

use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

#[cfg(feature = "ssr")]
#[derive(Clone, Debug)]
pub struct FormEcho<T>(pub T);

pub fn use_form_echo<T>() -> Resource<Option<T>>
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
{
    Resource::new_blocking(
        || (),
        |_| async move {
            #[cfg(feature = "ssr")]
            {
                use_context::<FormEcho<T>>().map(|echo| echo.0)
            }
            #[cfg(not(feature = "ssr"))]
            {
                None
            }
        },
    )
}
