//! Pausing and enabling a section (the header's switch): the settings
//! checked complete before enabling, held CDR events released.

use super::*;

/// Turns a saved endpoint on or off, leaving everything else as saved.
/// Turning it on requires the saved settings to be complete.
pub async fn set_enabled(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &Administrator,
    kind: EndpointKind,
    enable: bool,
    loaded: &str,
) -> Result<EndpointView, ServiceError> {
    let loaded = loaded_version(loaded)?;
    let (row, by) = find_endpoint(db, admin.tenant_id, kind).await?;
    if loaded != row.version {
        return Err(conflict(db, admin.tenant_id, kind, loaded).await);
    }
    if row.enabled == enable {
        return Ok(view_of(row, by, OffsetDateTime::now_utc())?);
    }
    if enable {
        let saved = view_of(row.clone(), None, OffsetDateTime::now_utc())?;
        let form = EndpointForm {
            enabled: Some("on".to_owned()),
            ..saved.to_form()
        };
        if let Err(errors) = form.parse(&saved.saved()) {
            let missing: Vec<String> = errors
                .iter()
                .map(|(field, message)| match field {
                    Field::Password | Field::Token => format!("no {} is saved", field.name()),
                    _ => message.trim_end_matches('.').to_owned(),
                })
                .collect();
            return Err(AppError::Refused(format!(
                "{} cannot be enabled yet: {}. Complete the settings and save them first.",
                kind.title(),
                missing.join("; ")
            ))
            .into());
        }
    }
    let update = with_fresh_health(
        endpoint::Entity::update_many()
            .col_expr(endpoint::Column::Enabled, Expr::value(enable))
            .col_expr(
                endpoint::Column::EnabledChangedAt,
                Expr::value(Some(OffsetDateTime::now_utc())),
            ),
    );
    let url = row.url.clone().unwrap_or_default();
    let (switched, summary) = if enable {
        (
            ActivityKind::EndpointEnabled,
            format!("delivery to {url} enabled"),
        )
    } else {
        (
            ActivityKind::EndpointDisabled,
            format!("delivery to {url} paused"),
        )
    };
    let entry = NewEntry {
        changes: vec![Change {
            field: "Enable".to_owned(),
            old: if enable { "off" } else { "on" }.to_owned(),
            new: if enable { "on" } else { "off" }.to_owned(),
        }],
        ..NewEntry::by(admin, switched, Some(kind), summary)
    };
    let view = commit_change(db, writes, admin, kind, &row, update, vec![entry]).await?;
    tracing::info!(
        tenant_id = admin.tenant_id,
        user_id = admin.user_id,
        endpoint = kind.as_str(),
        enabled = enable,
        "endpoint switched"
    );
    Ok(view)
}

/// A change of the settings (saved, enabled or paused by the admin) starts
/// the endpoint's record afresh: no failure streak, no alert (a section
/// paused automatically is enabled again this way).
pub(super) fn with_fresh_health(
    update: sea_orm::UpdateMany<endpoint::Entity>,
) -> sea_orm::UpdateMany<endpoint::Entity> {
    update
        .col_expr(endpoint::Column::FailedStreak, Expr::value(0))
        .col_expr(endpoint::Column::GivenUpStreak, Expr::value(0))
        .col_expr(endpoint::Column::Alert, Expr::value(Option::<String>::None))
        .col_expr(
            endpoint::Column::AlertSince,
            Expr::value(Option::<OffsetDateTime>::None),
        )
        .col_expr(
            endpoint::Column::FailingSince,
            Expr::value(Option::<OffsetDateTime>::None),
        )
}
