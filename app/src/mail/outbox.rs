//! The mail outbox: letters queued with the change they tell of, sent by
//! each instance's worker (`run`). A letter is claimed by pushing its
//! `next_at` on with a conditional update (two instances never both
//! claim it), deleted once sent, tried again after a failure with
//! backoff, and dropped (logged) after `MAX_ATTEMPTS`.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use secrecy::ExposeSecret;
use std::{sync::Arc, time::Duration};
use time::OffsetDateTime;

use super::{letters::Letter, transport::MailTransport};
use crate::{
    domain::Role,
    persistence::{
        crypto::SecretCipher,
        entities::{mail_outbox, user},
    },
};

/// The cipher context of a letter's body.
const SEALED_AS: &str = "mail";
/// Sends tried per letter before it is dropped.
pub const MAX_ATTEMPTS: i32 = 8;
/// How often the worker looks for due letters.
const LOOK_EVERY: Duration = Duration::from_secs(1);

/// Whether mail is on (SMTP configured), and what letters need: the
/// cipher that seals their bodies and the address links point at.
#[derive(Clone, Default)]
pub struct Outbox(Option<Arc<On>>);

struct On {
    cipher: SecretCipher,
    /// `https://host[:port]`, no trailing slash: EVENTURL_PUBLIC_ORIGIN.
    origin: String,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Some(on) => write!(f, "Outbox(on, links to {})", on.origin),
            None => f.write_str("Outbox(off)"),
        }
    }
}

impl Outbox {
    /// Mail off: nothing is queued.
    pub fn off() -> Self {
        Self(None)
    }

    /// Mail on; links start with `origin`.
    pub fn on(cipher: SecretCipher, origin: &str) -> Self {
        Self(Some(Arc::new(On {
            cipher,
            origin: origin.trim_end_matches('/').to_owned(),
        })))
    }

    pub fn is_on(&self) -> bool {
        self.0.is_some()
    }

    /// An absolute link to `path` (with its query) on the configured
    /// public address, never on a request's Host (which its sender picks).
    pub fn link(&self, path: &str) -> Option<String> {
        self.0.as_ref().map(|on| format!("{}{path}", on.origin))
    }

    /// Queues `letters` in `db` (the change's transaction). A no-op with
    /// mail off.
    pub async fn queue(
        &self,
        db: &impl ConnectionTrait,
        letters: impl IntoIterator<Item = Letter>,
    ) -> anyhow::Result<()> {
        let Some(on) = &self.0 else {
            return Ok(());
        };
        let now = OffsetDateTime::now_utc();
        let rows = letters
            .into_iter()
            .map(|letter| {
                Ok(mail_outbox::ActiveModel {
                    recipient: Set(letter.to),
                    subject: Set(letter.subject.chars().take(200).collect()),
                    body: Set(on.cipher.encrypt(letter.body.as_bytes(), SEALED_AS)?),
                    created_at: Set(now),
                    next_at: Set(now),
                    attempts: Set(0),
                    ..Default::default()
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        if rows.is_empty() {
            return Ok(());
        }
        mail_outbox::Entity::insert_many(rows)
            .exec_without_returning(db)
            .await
            .context("queueing mail")?;
        Ok(())
    }

    /// Queues one letter to each administrator of the tenant who has an
    /// address, made by `letter(address)`. A no-op with mail off.
    pub async fn to_administrators(
        &self,
        db: &impl ConnectionTrait,
        tenant_id: i32,
        letter: impl Fn(&str) -> Letter,
    ) -> anyhow::Result<()> {
        self.to_administrators_where(db, tenant_id, false, letter)
            .await
            .map(|_| ())
    }

    /// As `to_administrators`, to those who did not switch delivery alert
    /// emails off (My account). Whether any letter was queued.
    pub async fn alert_administrators(
        &self,
        db: &impl ConnectionTrait,
        tenant_id: i32,
        letter: impl Fn(&str) -> Letter,
    ) -> anyhow::Result<bool> {
        self.to_administrators_where(db, tenant_id, true, letter)
            .await
    }

    async fn to_administrators_where(
        &self,
        db: &impl ConnectionTrait,
        tenant_id: i32,
        alerts_only: bool,
        letter: impl Fn(&str) -> Letter,
    ) -> anyhow::Result<bool> {
        if !self.is_on() {
            return Ok(false);
        }
        let mut find = user::Entity::find()
            .select_only()
            .column(user::Column::Email)
            .filter(user::Column::TenantId.eq(tenant_id))
            .filter(user::Column::Role.eq(Role::Administrator.as_str()))
            .filter(user::Column::Email.is_not_null());
        if alerts_only {
            find = find.filter(user::Column::DeliveryAlerts.eq(true));
        }
        let addresses: Vec<Option<String>> = find
            .into_tuple()
            .all(db)
            .await
            .context("finding the administrators' addresses")?;
        let letters: Vec<Letter> = addresses.iter().flatten().map(|a| letter(a)).collect();
        let any = !letters.is_empty();
        self.queue(db, letters).await?;
        Ok(any)
    }
}

/// How long after its `attempts`-th failed send a letter is tried again
/// (also its claim's lease: a send cut short by a crash is made again
/// after it).
fn backoff(attempts: i32) -> time::Duration {
    let shift = u32::try_from(attempts.clamp(0, 7)).unwrap_or(0);
    time::Duration::seconds(30 * (1i64 << shift)).min(time::Duration::hours(1))
}

/// The mail worker: sends due letters until the process ends.
pub async fn run(db: DatabaseConnection, cipher: SecretCipher, transport: MailTransport) {
    loop {
        match send_due(&db, &cipher, &transport).await {
            // A full batch: there may be more at once.
            Ok(sent) if sent >= BATCH => continue,
            Ok(_) => {}
            Err(e) => tracing::error!(error = format!("{e:#}"), "mail worker"),
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

const BATCH: usize = 20;

/// Claims and sends the letters due now; returns how many were claimed.
pub async fn send_due(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    transport: &MailTransport,
) -> anyhow::Result<usize> {
    let now = OffsetDateTime::now_utc();
    let due = mail_outbox::Entity::find()
        .filter(mail_outbox::Column::NextAt.lte(now))
        .order_by_asc(mail_outbox::Column::NextAt)
        .limit(BATCH as u64)
        .all(db)
        .await
        .context("reading the mail outbox")?;
    let claimed = due.len();
    for letter in due {
        // Each claim's lease from its own start: a slow batch does not
        // leave its later letters open to another instance's claim.
        let now = OffsetDateTime::now_utc();
        let attempt = letter.attempts + 1;
        let claim = mail_outbox::Entity::update_many()
            .col_expr(mail_outbox::Column::Attempts, Expr::value(attempt))
            .col_expr(
                mail_outbox::Column::NextAt,
                Expr::value(now + backoff(letter.attempts)),
            )
            .filter(mail_outbox::Column::Id.eq(letter.id))
            .filter(mail_outbox::Column::Attempts.eq(letter.attempts))
            .exec(db)
            .await
            .context("claiming a letter")?;
        if claim.rows_affected == 0 {
            continue; // Another instance has it.
        }
        let sent = match cipher.decrypt(&letter.body, SEALED_AS) {
            Ok(body) => {
                let body = String::from_utf8_lossy(body.expose_secret()).into_owned();
                transport
                    .send(&Letter {
                        to: letter.recipient.clone(),
                        subject: letter.subject.clone(),
                        body,
                    })
                    .await
            }
            // Sealed with another key: it never will be sent.
            Err(e) => Err(e.context("opening the letter")),
        };
        match sent {
            Ok(()) => {
                tracing::info!(letter = letter.id, subject = %letter.subject, "mail sent");
            }
            Err(e) if attempt < MAX_ATTEMPTS => {
                tracing::warn!(
                    letter = letter.id,
                    attempt,
                    error = format!("{e:#}"),
                    "mail not sent; will try again"
                );
                continue;
            }
            Err(e) => {
                tracing::error!(letter = letter.id, attempt, subject = %letter.subject, error = format!("{e:#}"), "mail not sent; given up");
            }
        }
        mail_outbox::Entity::delete_by_id(letter.id)
            .exec(db)
            .await
            .context("deleting a sent letter")?;
    }
    Ok(claimed)
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(0), time::Duration::seconds(30));
        assert_eq!(backoff(1), time::Duration::minutes(1));
        assert_eq!(backoff(6), time::Duration::seconds(1920));
        assert_eq!(backoff(7), time::Duration::hours(1));
        assert_eq!(backoff(100), time::Duration::hours(1));
    }
}
