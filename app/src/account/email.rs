//! My email address, confirmed before it is used: a new address waits
//! (`users.pending_email`) until the one-time link emailed there (24
//! hours, only its SHA-256 kept) is used, by the same account signed in
//! (whoever reads the link must also hold the account: a typo's stranger
//! cannot confirm it); until then reset links and notices go to the
//! confirmed address (`users.email`), or nowhere, and that address is
//! told of the request. The page confirms with a button, not on opening
//! (mail scanners open links). A password reset or change drops a pending
//! address. Removing the address needs no link; every change needs the
//! current password (the address can reset it), and is in Activity.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    TransactionTrait,
};
use secrecy::SecretString;
use time::OffsetDateTime;

use super::model::{EmailEcho, EmailLink, PendingEmail};
use super::reauth::reauthenticate;
use crate::{
    accounts::{self, AccountError},
    activity::{
        log::{record, NewEntry},
        ActivityKind,
    },
    auth::{password::HashingPool, CurrentAdmin},
    domain::{AccountId, OurCredential},
    error::{AppError, ServiceError},
    mail::{letters, Outbox},
    paths::EMAIL_CONFIRM,
    persistence::{
        crypto::{credential_digest, new_bearer_credential},
        entities::user,
        rate_limit::{self, Rule, Verdict},
        write_gate::WriteGate,
    },
    time_text::rfc3339,
};

/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 24;
/// Confirmation links emailed per account in an hour: a typo or two,
/// too few to use eventurl for flooding someone else's mailbox.
const LINKS_PER_HOUR: u64 = 5;

/// Said the same for every reason a link does not work.
pub use super::model::EMAIL_LINK_CLOSED as LINK_CLOSED;
use super::model::EMAIL_LINK_OTHER_ACCOUNT;

/// What a saved email form did.
#[derive(Debug, PartialEq, Eq)]
pub enum EmailChange {
    /// A confirmation link was emailed to this new address.
    LinkSent(String),
    /// The address typed is the confirmed one (a pending change, if any,
    /// is dropped).
    Kept,
    /// The account has no address now.
    Removed,
}

/// Why an email change was not made, for the form.
pub enum EmailRefusal {
    Fields(EmailEcho),
    Failed(ServiceError),
}

impl From<anyhow::Error> for EmailRefusal {
    fn from(error: anyhow::Error) -> Self {
        EmailRefusal::Failed(error.into())
    }
}

fn field(email_error: Option<String>, current_error: Option<String>) -> EmailRefusal {
    EmailRefusal::Fields(EmailEcho {
        email_error,
        current_error,
        ..EmailEcho::default()
    })
}

async fn member(db: &impl ConnectionTrait, id: i32) -> anyhow::Result<user::Model> {
    user::Entity::find_by_id(id)
        .one(db)
        .await
        .context("reading the account")?
        .context("the account is gone")
}

/// The change waiting for its link, if one is.
pub fn pending(member: &user::Model) -> Option<PendingEmail> {
    let address = member.pending_email.clone()?;
    let expires_at = member.pending_email_expires_at?;
    Some(PendingEmail {
        address,
        expires_at: rfc3339(expires_at),
        expired: expires_at <= OffsetDateTime::now_utc(),
    })
}

/// Saves what the email form asked for: a new address is emailed a
/// confirmation link (it takes effect when the link is used); the
/// confirmed address again drops a pending change; nothing removes the
/// address at once (the old address is told, reset links sent to it
/// close). Needs the current password, and mail on for a new address.
pub async fn change(
    db: &DatabaseConnection,
    writes: &WriteGate,
    hashing: &HashingPool,
    outbox: &Outbox,
    admin: &CurrentAdmin,
    current: SecretString,
    typed: &str,
) -> Result<EmailChange, EmailRefusal> {
    let wanted = match typed.trim() {
        "" => None,
        typed => match accounts::parse_email(typed) {
            Ok(address) => Some(address),
            Err(AccountError::Unexpected(e)) => return Err(e.into()),
            Err(refusal) => return Err(field(Some(refusal.to_string()), None)),
        },
    };
    if wanted.is_some() && !outbox.is_on() {
        return Err(field(
            Some("This server does not send email, so a new address cannot be confirmed. Ask your provider to set up email.".to_owned()),
            None,
        ));
    }
    let account = AccountId::Member(admin.user_id);
    if let Err(wrong) = reauthenticate(db, hashing, account, current).await? {
        return Err(field(None, Some(wrong)));
    }
    let before = member(db, admin.user_id).await?;
    match wanted {
        None => remove(db, writes, outbox, admin).await,
        Some(address) if before.email.as_ref() == Some(&address) => {
            cancel_pending(db, writes, admin, &before, true).await?;
            Ok(EmailChange::Kept)
        }
        Some(address) => {
            let per_account = Rule {
                key: format!("email-confirm:user:{}", admin.user_id),
                max: LINKS_PER_HOUR,
                window: time::Duration::hours(1),
            };
            if let Verdict::Refused { retry_after_secs } =
                rate_limit::take(db, &[per_account]).await?
            {
                return Err(field(
                    Some(format!(
                        "Too many confirmation links were sent in the last hour. Try again in {} minutes.",
                        retry_after_secs.div_ceil(60)
                    )),
                    None,
                ));
            }
            send_link(db, writes, outbox, admin, address).await
        }
    }
}

/// Stores `address` as pending with a new link (a link sent before works
/// no more) and emails the link there, with the Activity entry.
async fn send_link(
    db: &DatabaseConnection,
    writes: &WriteGate,
    outbox: &Outbox,
    admin: &CurrentAdmin,
    address: String,
) -> Result<EmailChange, EmailRefusal> {
    let token = new_bearer_credential(OurCredential::EmailConfirmation.prefix());
    let link = outbox
        .link(&format!("{EMAIL_CONFIRM}?token={token}"))
        .unwrap_or_default();
    let expires_at = OffsetDateTime::now_utc() + time::Duration::hours(CONFIRM_HOURS);
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    user::Entity::update_many()
        .col_expr(user::Column::PendingEmail, Expr::value(address.clone()))
        .col_expr(
            user::Column::PendingEmailTokenHash,
            Expr::value(credential_digest(&token)),
        )
        .col_expr(user::Column::PendingEmailExpiresAt, Expr::value(expires_at))
        .filter(user::Column::Id.eq(admin.user_id))
        .exec(&txn)
        .await
        .context("storing the address to confirm")?;
    let mut mail = vec![letters::confirm_email(&address, &link, CONFIRM_HOURS)];
    let confirmed = member(&txn, admin.user_id).await?.email;
    if let Some(old) = confirmed.filter(|old| *old != address) {
        mail.push(letters::address_change_requested(
            &old,
            &admin.username,
            &address,
        ));
    }
    outbox.queue(&txn, mail).await?;
    let summary = format!(
        "asked to change their email address to {address}; a confirmation link was emailed there"
    );
    record(
        &txn,
        NewEntry::by(admin, ActivityKind::EmailChanged, None, summary),
    )
    .await?;
    txn.commit().await.context("committing the address")?;
    Ok(EmailChange::LinkSent(address))
}

/// Clears the address (and any pending one) at once.
async fn remove(
    db: &DatabaseConnection,
    writes: &WriteGate,
    outbox: &Outbox,
    admin: &CurrentAdmin,
) -> Result<EmailChange, EmailRefusal> {
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let before = member(&txn, admin.user_id).await?;
    accounts::pending_email_cleared(admin.user_id)
        .col_expr(user::Column::Email, Expr::value(Option::<String>::None))
        .exec(&txn)
        .await
        .context("removing the address")?;
    crate::password_reset::service::close_links_of(&txn, admin.user_id).await?;
    if let Some(old) = &before.email {
        let letter = letters::address_changed(old, &admin.username, None);
        outbox.queue(&txn, [letter]).await?;
    }
    if before.email.is_some() || before.pending_email.is_some() {
        let summary = "removed their email address".to_owned();
        record(
            &txn,
            NewEntry::by(admin, ActivityKind::EmailChanged, None, summary),
        )
        .await?;
    }
    txn.commit().await.context("committing the address")?;
    Ok(EmailChange::Removed)
}

/// Drops a pending change (its link works no more), with an Activity
/// entry: the confirmed address was typed again (`kept`), or cancelled.
async fn cancel_pending(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &CurrentAdmin,
    before: &user::Model,
    kept: bool,
) -> anyhow::Result<()> {
    let Some(pending) = &before.pending_email else {
        return Ok(());
    };
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    accounts::pending_email_cleared(admin.user_id)
        .filter(user::Column::PendingEmail.eq(pending.clone()))
        .exec(&txn)
        .await
        .context("dropping the address to confirm")?;
    let summary = if kept {
        format!("kept their email address; the change to {pending} waiting for confirmation was dropped")
    } else {
        format!("cancelled the change of their email address to {pending}")
    };
    record(
        &txn,
        NewEntry::by(admin, ActivityKind::EmailChanged, None, summary),
    )
    .await?;
    txn.commit().await.context("committing the cancellation")
}

/// **Cancel change** in My account: the link sent works no more.
pub async fn cancel(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &CurrentAdmin,
) -> Result<(), ServiceError> {
    let before = member(db, admin.user_id).await?;
    cancel_pending(db, writes, admin, &before, false).await?;
    Ok(())
}

/// The account a token's link would confirm an address of, while it works.
async fn open_link(db: &impl ConnectionTrait, token: &str) -> anyhow::Result<Option<user::Model>> {
    let prefix = OurCredential::EmailConfirmation.prefix();
    if !token.starts_with(prefix) || token.len() > 200 {
        return Ok(None);
    }
    user::Entity::find()
        .filter(user::Column::PendingEmailTokenHash.eq(credential_digest(token)))
        .filter(user::Column::PendingEmail.is_not_null())
        .filter(user::Column::PendingEmailExpiresAt.gt(OffsetDateTime::now_utc()))
        .one(db)
        .await
        .context("reading the confirmation link")
}

/// What the confirmation page shows `admin` for `token`.
pub async fn link_state(
    db: &DatabaseConnection,
    token: &str,
    admin: &CurrentAdmin,
) -> Result<EmailLink, ServiceError> {
    Ok(match open_link(db, token).await? {
        Some(member) if member.id == admin.user_id => EmailLink::Open {
            address: member.pending_email.unwrap_or_default(),
        },
        Some(_) => EmailLink::OtherAccount,
        None => EmailLink::Closed,
    })
}

/// Uses a confirmation link, once, signed in as its account: the pending
/// address becomes the account's, reset links sent to the old one close
/// and the old one is told, in one transaction with the Activity entry.
/// Returns the address.
pub async fn confirm(
    db: &DatabaseConnection,
    writes: &WriteGate,
    outbox: &Outbox,
    token: &str,
    admin: &CurrentAdmin,
) -> Result<String, ServiceError> {
    let closed = || ServiceError::from(AppError::Refused(LINK_CLOSED.to_owned()));
    match open_link(db, token).await? {
        None => return Err(closed()),
        Some(member) if member.id != admin.user_id => {
            return Err(AppError::Refused(EMAIL_LINK_OTHER_ACCOUNT.to_owned()).into())
        }
        Some(_) => {}
    }
    // Read before the transaction: its first statement is then the claim,
    // a write (on SQLite a transaction that read first and then writes is
    // refused at once if another connection, the mail worker, wrote
    // meanwhile). The claim checks the token's hash, so an address changed
    // since this read is not confirmed.
    let before = member(db, admin.user_id).await?;
    let Some(address) = before.pending_email.clone() else {
        return Err(closed());
    };
    let _turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    // Claimed by its hash: of two uses at once, or a use and a new
    // request, one finds it gone.
    let claimed = accounts::pending_email_cleared(admin.user_id)
        .col_expr(user::Column::Email, Expr::value(address.clone()))
        .filter(user::Column::PendingEmailTokenHash.eq(credential_digest(token)))
        .filter(user::Column::PendingEmailExpiresAt.gt(OffsetDateTime::now_utc()))
        .exec(&txn)
        .await
        .context("confirming the address")?;
    if claimed.rows_affected == 0 {
        return Err(closed());
    }
    crate::password_reset::service::close_links_of(&txn, admin.user_id).await?;
    if let Some(old) = before.email.as_ref().filter(|old| **old != address) {
        let letter = letters::address_changed(old, &admin.username, Some(&address));
        outbox.queue(&txn, [letter]).await?;
    }
    let summary = format!(
        "confirmed their email address {address} with the emailed link; reset links and notices go there now"
    );
    record(
        &txn,
        NewEntry::by(admin, ActivityKind::EmailChanged, None, summary),
    )
    .await?;
    txn.commit().await.context("committing the address")?;
    Ok(address)
}
