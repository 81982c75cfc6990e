//! A section's Standard Webhooks signing secret: revealed to an
//! administrator on purpose (each reveal an Activity entry), and rotated
//! with a grace during which the old secret signs beside the new one. The
//! change and its entry commit together.

use super::*;
use crate::{
    domain::SigningGrace,
    persistence::signing::{current_of, seal},
    sender::signing::SigningSecret,
};

/// A secret shown to an administrator (revealed, or made by a rotation),
/// and until when the previous one also signs.
#[derive(Debug)]
pub struct ShownSecret {
    pub secret: SigningSecret,
    pub previous_until: Option<OffsetDateTime>,
}

/// The section's current signing secret, for an administrator to copy
/// into their receiver (with the grace of a rotation under way); recorded
/// in Activity.
pub async fn reveal_signing_secret(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    admin: &Administrator,
    kind: EndpointKind,
) -> Result<ShownSecret, ServiceError> {
    let _turn = writes.enter().await;
    let txn = db.begin().await.map_err(anyhow::Error::new)?;
    let (row, _) = find_endpoint(&txn, admin.tenant_id, kind).await?;
    let secret = current_of(cipher, &row)?;
    let now = OffsetDateTime::now_utc();
    let previous_until = row.signing_previous_until.filter(|until| *until > now);
    activity::log::record(
        &txn,
        NewEntry::by(
            admin,
            ActivityKind::SigningSecretRevealed,
            Some(kind),
            "signing secret revealed".to_owned(),
        ),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    tracing::info!(
        tenant_id = admin.tenant_id,
        user_id = admin.user_id,
        endpoint = kind.as_str(),
        "signing secret revealed"
    );
    Ok(ShownSecret {
        secret,
        previous_until,
    })
}

/// Makes a new signing secret for the section. With a grace, the current
/// one keeps signing beside it until `now + grace` (a previous rotation's
/// old secret stops at once); without, it stops now.
pub async fn rotate_signing_secret(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    admin: &Administrator,
    kind: EndpointKind,
    grace: SigningGrace,
) -> Result<ShownSecret, ServiceError> {
    // Whole seconds: what PostgreSQL keeps (microseconds) and what the
    // answer says are then the same instant.
    let now = OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let secret = SigningSecret::generate();
    let sealed = seal(cipher, admin.tenant_id, kind, &secret)?;
    let _turn = writes.enter().await;
    let txn = db.begin().await.map_err(anyhow::Error::new)?;
    let (row, _) = find_endpoint(&txn, admin.tenant_id, kind).await?;
    let previous_until =
        (grace.seconds() > 0).then(|| now + time::Duration::seconds(i64::from(grace.seconds())));
    let previous = previous_until.and(row.signing_secret.clone());
    endpoint::Entity::update_many()
        .col_expr(endpoint::Column::SigningSecret, Expr::value(Some(sealed)))
        .col_expr(endpoint::Column::SigningPrevious, Expr::value(previous))
        .col_expr(
            endpoint::Column::SigningPreviousUntil,
            Expr::value(previous_until),
        )
        .col_expr(endpoint::Column::SigningRotatedAt, Expr::value(Some(now)))
        .filter(endpoint::Column::Id.eq(row.id))
        .exec(&txn)
        .await
        .map_err(anyhow::Error::new)?;
    let summary = match previous_until {
        Some(until) => format!(
            "signing secret rotated; the previous one also signs until {} ({})",
            crate::time_text::utc_minutes(&rfc3339(until)),
            grace.describe()
        ),
        None => "signing secret rotated; the previous one stopped signing at once".to_owned(),
    };
    activity::log::record(
        &txn,
        NewEntry::by(
            admin,
            ActivityKind::SigningSecretRotated,
            Some(kind),
            summary,
        ),
    )
    .await?;
    txn.commit().await.map_err(anyhow::Error::new)?;
    tracing::info!(
        tenant_id = admin.tenant_id,
        user_id = admin.user_id,
        endpoint = kind.as_str(),
        grace_seconds = grace.seconds(),
        "signing secret rotated"
    );
    Ok(ShownSecret {
        secret,
        previous_until,
    })
}
