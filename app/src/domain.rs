//! The product's vocabulary, shared by the server and the browser. A value of
//! these types can only hold what the rules allow; raw form input becomes one
//! in exactly one place (`EndpointForm::parse`). Nothing here knows about HTTP
//! servers, SQL or Leptos.

mod account_id;
mod credentials;
mod custom_headers;
mod delivery_alert;
mod endpoint;
mod endpoint_limits;
mod endpoint_url;
mod event_state;
mod event_types;
mod field_errors;
mod our_credential;
mod role;
mod sample_event;
mod signing_grace;
mod verdict;

pub use account_id::AccountId;
pub use credentials::{BearerToken, CredentialError, Password, SecretInput, Username};
pub use custom_headers::{
    parse_headers, HeaderContext, HeaderDraft, HeaderInput, HeaderValueDraft, SavedHeader,
    MAX_HEADERS,
};
pub use delivery_alert::{AlertKind, DeliveryAlert};
pub use endpoint::{
    AuthDraft, AuthMethod, EndpointDraft, EndpointForm, EndpointKind, SavedSection, SecretKind,
    StoredSecret,
};
pub use endpoint_limits::{EndpointLimits, LimitsInput};
pub use endpoint_url::{Destination, EndpointUrl, UrlError, MAX_URL_LEN};
pub use event_state::EventState;
pub use event_types::{
    delivers, describe as describe_event_types, event_types_fields, parse_event_types, EventTypes,
    EventTypesInput, CDR_EVENT_TYPES, EXTENSION_EVENT_TYPES,
};
pub use field_errors::{Field, FieldErrors, HeaderPart};
pub use our_credential::OurCredential;
pub use role::Role;
pub use sample_event::SampleEvent;
pub use signing_grace::SigningGrace;
pub use verdict::Verdict;
