//! Posting an event to a receiver the way the PBX would: one JSON `POST`
//! with the endpoint's authentication (Basic, Digest or Bearer), redirects
//! not followed, an overall time-out, and only to addresses the operator
//! allows; signed as Standard Webhooks (`signing`). Knows HTTP, not the product's screens or its database.

mod digest;
mod post;
pub mod signing;
mod target_policy;

pub use digest::{choose_challenge, DigestChallenge, DigestError};
pub use post::{
    redact_echoed_credential, Credentials, CustomHeader, DigestRound, Exchange, Failure, Outgoing,
    Received, SentRequest, TlsProblem, WebhookSender, RESPONSE_BODY_LIMIT,
};
pub use target_policy::{BlockReason, PolicyError, TargetPolicy};
