//! The router's state: the app state (infrastructure) and, beside it, each
//! part that belongs to one layer above it: the delivery core's running
//! parts, the API's rate limiter, the first-run gate and the page renderer.
//! A handler names the part it needs (`State<AppState>`,
//! `State<DeliveryCore>`, `State<Pages>`, …); server functions and pages
//! find the same parts in their context. Built once at start.

use axum::extract::FromRef;
use leptos::{config::LeptosOptions, prelude::*};

use crate::{
    delivery::DeliveryCore, render::Pages, rest::ApiLimiter, setup::gate::SetupGate,
    shell::BundleNames, state::AppState,
};

#[derive(Clone)]
pub struct RouterState {
    pub app: AppState,
    pub delivery: DeliveryCore,
    /// This instance's count of each API token's requests (its rate limit).
    pub api_limiter: ApiLimiter,
    /// This process's one-time first-run link, while no tenant exists.
    pub setup: SetupGate,
    pub pages: Pages,
    pub leptos_options: LeptosOptions,
}

impl RouterState {
    pub fn new(
        app: AppState,
        delivery: DeliveryCore,
        api_limiter: ApiLimiter,
        setup: SetupGate,
        leptos_options: LeptosOptions,
        bundle: BundleNames,
    ) -> Self {
        let context = Parts {
            app: app.clone(),
            delivery: delivery.clone(),
            setup: setup.clone(),
        };
        let pages = Pages::new(
            {
                let options = leptos_options.clone();
                move || crate::shell(options.clone(), bundle.clone()).into_any()
            },
            move || context.provide(),
        );
        Self {
            app,
            delivery,
            api_limiter,
            setup,
            pages,
            leptos_options,
        }
    }

    /// Puts what pages and server functions read into the request's
    /// context (what `expect_context` finds).
    pub fn context(&self) -> impl Fn() + Clone + Send + Sync + 'static {
        let parts = Parts {
            app: self.app.clone(),
            delivery: self.delivery.clone(),
            setup: self.setup.clone(),
        };
        move || parts.provide()
    }
}

/// What a request's context holds.
#[derive(Clone)]
struct Parts {
    app: AppState,
    delivery: DeliveryCore,
    setup: SetupGate,
}

impl Parts {
    fn provide(&self) {
        provide_context(self.app.clone());
        provide_context(self.delivery.clone());
        provide_context(self.setup.clone());
    }
}

macro_rules! part {
    ($field:ident: $type:ty) => {
        impl FromRef<RouterState> for $type {
            fn from_ref(state: &RouterState) -> Self {
                state.$field.clone()
            }
        }
    };
}

part!(app: AppState);
part!(delivery: DeliveryCore);
part!(api_limiter: ApiLimiter);
part!(setup: SetupGate);
part!(pages: Pages);
part!(leptos_options: LeptosOptions);
