//! Where a large view is boxed. On the server, resolving the Event URL
//! island's concrete view type overflows the compiler's depth limit, so each
//! component's view is boxed (`AnyView`) there. In the browser it stays
//! concrete: an `AnyView` carries every rendering path of its view,
//! async hydration included, which islands never use (about a fifth of the
//! wasm's code before; see README, Benchmarks).

use leptos::prelude::*;

pub trait BoxedOnServer {
    type View: IntoView;
    fn boxed_on_server(self) -> Self::View;
}

#[cfg(feature = "ssr")]
impl<V: IntoAny> BoxedOnServer for V {
    type View = AnyView;
    fn boxed_on_server(self) -> AnyView {
        self.into_any()
    }
}

#[cfg(not(feature = "ssr"))]
impl<V: IntoView> BoxedOnServer for V {
    type View = V;
    fn boxed_on_server(self) -> V {
        self
    }
}
