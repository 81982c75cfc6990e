//! A section form's per-field messages and the ARIA wiring that ties each
//! to its control, shared by the section and its header rows.

use leptos::prelude::*;

use crate::domain::{Field, FieldErrors};

/// Per-field messages of one section, and the ARIA wiring that ties each
/// message to its control.
#[derive(Clone, Copy)]
pub(super) struct FieldMessages {
    pub(super) section: &'static str,
    pub(super) errors: RwSignal<FieldErrors>,
}

impl FieldMessages {
    pub(super) fn message(self, field: Field) -> Option<String> {
        self.errors.with(|e| e.get(field).map(str::to_owned))
    }

    pub(super) fn id(self, field: Field) -> String {
        format!("{}-{}-error", self.section, field.name())
    }

    pub(super) fn view(self, field: Field) -> impl IntoView {
        move || {
            self.message(field)
                .map(|message| view! { <p class="field-error" id=self.id(field)>{message}</p> })
        }
    }

    pub(super) fn invalid(
        self,
        field: Field,
    ) -> impl Fn() -> Option<&'static str> + Send + Sync + Copy {
        move || self.message(field).is_some().then_some("true")
    }

    /// The hint id first, then the error id, as far as each is shown.
    pub(super) fn described_by(
        self,
        field: Field,
        hint: Option<&'static str>,
    ) -> impl Fn() -> Option<String> + Send + Sync + Copy {
        move || match (hint, self.message(field).map(|_| self.id(field))) {
            (Some(hint), Some(error)) => Some(format!("{hint} {error}")),
            (Some(hint), None) => Some(hint.to_owned()),
            (None, error) => error,
        }
    }
}
