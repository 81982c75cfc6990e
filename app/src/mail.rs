//! Email, when the operator configures SMTP (`EVENTURL_SMTP_URL`):
//! invitation links, password reset links and notices to a tenant's
//! administrators (a section paused automatically, a credential changed).
//!
//! A letter is queued in the outbox table in the same transaction as the
//! change it tells of (so a rolled-back change sends nothing and a crash
//! after the commit loses nothing), its body sealed with the secrets'
//! cipher (it may carry a one-time link); each instance's mail worker
//! claims due letters with a conditional update, sends them with `lettre`
//! and deletes them once sent. Failed sends are retried with backoff, at
//! most `MAX_ATTEMPTS` times. Without SMTP nothing is queued and the
//! pages offer nothing that would need mail.

pub mod letters;
pub mod outbox;
pub mod transport;

pub use letters::Letter;
pub use outbox::Outbox;
