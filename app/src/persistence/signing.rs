//! Each endpoint's Standard Webhooks signing secrets as stored: sealed
//! with the server's key, bound to the tenant and section (a ciphertext
//! moved to another row does not open). The current secret, and during a
//! rotation's grace the previous one until its end.

use anyhow::Context;
use sea_orm::{
    sea_query::Expr, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
};
use secrecy::ExposeSecret;
use time::OffsetDateTime;

use super::{crypto::SecretCipher, entities::endpoint};
use crate::{
    domain::EndpointKind,
    sender::signing::{Signing, SigningSecret},
};

/// The associated data a signing secret is sealed with.
fn context(tenant_id: i32, kind: EndpointKind) -> String {
    format!(
        "eventurl/v1/tenant/{tenant_id}/endpoint/{}/signing",
        kind.as_str()
    )
}

/// `secret` sealed for the tenant's section.
pub fn seal(
    cipher: &SecretCipher,
    tenant_id: i32,
    kind: EndpointKind,
    secret: &SigningSecret,
) -> anyhow::Result<Vec<u8>> {
    cipher.encrypt(secret.expose().as_bytes(), &context(tenant_id, kind))
}

fn open(
    cipher: &SecretCipher,
    tenant_id: i32,
    kind: EndpointKind,
    sealed: &[u8],
) -> anyhow::Result<SigningSecret> {
    let plain = cipher.decrypt(sealed, &context(tenant_id, kind))?;
    let text = String::from_utf8(plain.expose_secret().clone())
        .context("a stored signing secret is not text")?;
    SigningSecret::parse(text)
}

/// What signs the row's requests at `now`: its current secret, and the
/// previous one while its grace lasts. (Never inlined: `bench/profile
/// --delivery` finds the unsealing's cost by this name.)
#[inline(never)]
pub fn signing_of(
    cipher: &SecretCipher,
    row: &endpoint::Model,
    now: OffsetDateTime,
) -> anyhow::Result<Signing> {
    let kind = EndpointKind::parse(&row.kind).context("an endpoint of no known kind")?;
    let previous = match (&row.signing_previous, row.signing_previous_until) {
        (Some(sealed), Some(until)) if until > now => {
            Some(open(cipher, row.tenant_id, kind, sealed)?)
        }
        _ => None,
    };
    Ok(Signing {
        current: current_of(cipher, row)?,
        previous,
    })
}

/// The row's current secret alone (for an administrator to copy).
pub fn current_of(cipher: &SecretCipher, row: &endpoint::Model) -> anyhow::Result<SigningSecret> {
    let kind = EndpointKind::parse(&row.kind).context("an endpoint of no known kind")?;
    let sealed = row
        .signing_secret
        .as_deref()
        .context("the endpoint has no signing secret")?;
    open(cipher, row.tenant_id, kind, sealed)
}

/// Gives every endpoint that has no signing secret one (those made before
/// signing existed): run at start, after the migrations. Each row is
/// written only while it still has none, so instances starting together
/// agree on one secret.
pub async fn give_missing(db: &impl ConnectionTrait, cipher: &SecretCipher) -> anyhow::Result<u64> {
    let missing: Vec<(i32, i32, String)> = endpoint::Entity::find()
        .select_only()
        .columns([
            endpoint::Column::Id,
            endpoint::Column::TenantId,
            endpoint::Column::Kind,
        ])
        .filter(endpoint::Column::SigningSecret.is_null())
        .into_tuple()
        .all(db)
        .await
        .context("finding endpoints without a signing secret")?;
    let mut given = 0;
    for (id, tenant_id, kind) in missing {
        let kind = EndpointKind::parse(&kind).context("an endpoint of no known kind")?;
        let sealed = seal(cipher, tenant_id, kind, &SigningSecret::generate())?;
        let done = endpoint::Entity::update_many()
            .col_expr(endpoint::Column::SigningSecret, Expr::value(sealed))
            .filter(endpoint::Column::Id.eq(id))
            .filter(endpoint::Column::SigningSecret.is_null())
            .exec(db)
            .await
            .context("giving an endpoint its signing secret")?;
        given += done.rows_affected;
    }
    Ok(given)
}
