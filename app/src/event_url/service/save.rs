// Over 500 lines: the save and what it records (activity changes of fields, headers and event types, the credential letter) are one transaction's parts, kept together.
//! Saving a section's settings: the form parsed into a draft, the version
//! checked, the change, its activity entries and letters in one
//! transaction; a stale form refused with who changed what since.

use super::*;

/// The version a form was loaded with; a change without one is refused
/// rather than applied blindly.
pub(super) fn loaded_version(text: &str) -> Result<i64, ServiceError> {
    text.trim().parse::<i64>().map_err(|_| {
        AppError::BadRequest(
            "This request does not say which version of the settings it was based on, so nothing was changed. Reload the page and try again."
                .to_owned(),
        )
        .into()
    })
}

/// A section's change, checked against the version it was based on and
/// ready to commit.
pub(super) struct SectionChange {
    kind: EndpointKind,
    row: endpoint::Model,
    update: UpdateMany<endpoint::Entity>,
    entries: Vec<NewEntry>,
    /// A credential set, replaced or removed (said so): every
    /// administrator is told by email, with mail on.
    credential: Option<String>,
}

/// Applies `update` to `row` if it is still at the version it was read
/// with, bumps the version and writes `entries`, in one transaction; then
/// reads the endpoint back. Refused with who changed what since if another
/// change came first.
pub(super) async fn commit_change(
    db: &DatabaseConnection,
    writes: &WriteGate,
    admin: &CurrentAdmin,
    kind: EndpointKind,
    row: &endpoint::Model,
    update: UpdateMany<endpoint::Entity>,
    entries: Vec<NewEntry>,
) -> Result<EndpointView, ServiceError> {
    let change = SectionChange {
        kind,
        row: row.clone(),
        update,
        entries,
        credential: None,
    };
    let mut views = commit_changes(db, writes, &Outbox::off(), admin, vec![change]).await?;
    views
        .pop()
        .ok_or_else(|| anyhow::anyhow!("a committed change without its section").into())
}

/// Commits each section's change, each with its new version and activity
/// entries, in one transaction: all of them, or (when one section was
/// changed by someone else meanwhile) none.
pub(super) async fn commit_changes(
    db: &DatabaseConnection,
    writes: &WriteGate,
    outbox: &Outbox,
    admin: &CurrentAdmin,
    changes: Vec<SectionChange>,
) -> Result<Vec<EndpointView>, ServiceError> {
    use anyhow::Context;
    let now = OffsetDateTime::now_utc();
    let turn = writes.enter().await;
    let txn = db.begin().await.context("starting a transaction")?;
    let mut saved_rows = Vec::with_capacity(changes.len());
    for SectionChange {
        kind,
        row,
        update,
        entries,
        credential,
    } in changes
    {
        let version = row.version + 1;
        let result = update
            .col_expr(endpoint::Column::Version, Expr::value(version))
            .col_expr(endpoint::Column::UpdatedAt, Expr::value(now))
            .col_expr(endpoint::Column::UpdatedBy, Expr::value(admin.user_id))
            .filter(endpoint::Column::Id.eq(row.id))
            .filter(endpoint::Column::TenantId.eq(admin.tenant_id))
            .filter(endpoint::Column::Version.eq(row.version))
            .exec(&txn)
            .await
            .context("changing the endpoint")?;
        if result.rows_affected != 1 {
            // Another change of the same version won the race; the write
            // turn is given back before the conflict is described.
            txn.rollback().await.context("rolling back")?;
            drop(turn);
            return Err(conflict(db, admin.tenant_id, kind, row.version).await);
        }
        for entry in entries {
            activity::log::record(
                &txn,
                NewEntry {
                    version: Some(version),
                    ..entry
                },
            )
            .await?;
        }
        if let Some(what) = credential {
            outbox
                .to_administrators(&txn, admin.tenant_id, |to| {
                    letters::credential_changed(
                        to,
                        &admin.tenant_name,
                        kind,
                        &what,
                        &admin.username,
                    )
                })
                .await?;
        }
        let (saved, by) = find_endpoint(&txn, admin.tenant_id, kind).await?;
        // Enabled with a URL: CDR events held while paused become due,
        // oldest first, in the same transaction.
        if saved.enabled && saved.url.is_some() {
            settle_held(&txn, admin.tenant_id, kind, HeldFate::Released, now).await?;
        }
        saved_rows.push((saved, by));
    }
    txn.commit().await.context("committing the change")?;
    drop(turn);
    saved_rows
        .into_iter()
        .map(|(saved, by)| Ok(view_of(saved, by, now)?))
        .collect()
}

/// Validates the form against the stored endpoint and saves it: every
/// field, the version and the activity entries, or nothing.
pub async fn save(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    outbox: &Outbox,
    admin: &Administrator,
    form: &EndpointForm,
) -> Result<EndpointView, ServiceError> {
    let mut views = save_sections(
        db,
        writes,
        cipher,
        outbox,
        admin,
        std::slice::from_ref(form),
    )
    .await?;
    views
        .pop()
        .ok_or_else(|| anyhow::anyhow!("a saved form without its section").into())
}

/// Validates each form (one a section) against its stored endpoint and
/// saves them all in one transaction, or none: a mistake in one, or a
/// change someone made meanwhile, saves nothing.
pub async fn save_sections(
    db: &DatabaseConnection,
    writes: &WriteGate,
    cipher: &SecretCipher,
    outbox: &Outbox,
    admin: &Administrator,
    forms: &[EndpointForm],
) -> Result<Vec<EndpointView>, ServiceError> {
    let mut changes = Vec::with_capacity(forms.len());
    let mut logged = Vec::with_capacity(forms.len());
    for form in forms {
        let (change, method, enabled) = prepare_save(db, cipher, admin, form).await?;
        logged.push((change.kind, method, enabled));
        changes.push(change);
    }
    let views = commit_changes(db, writes, outbox, admin, changes).await?;
    for (kind, method, enabled) in logged {
        tracing::info!(
            tenant_id = admin.tenant_id,
            user_id = admin.user_id,
            endpoint = kind.as_str(),
            auth_method = method.as_str(),
            enabled,
            "endpoint saved"
        );
    }
    Ok(views)
}

/// A form's change, checked: its section, and what it saves (for the log).
pub(super) async fn prepare_save(
    db: &DatabaseConnection,
    cipher: &SecretCipher,
    admin: &CurrentAdmin,
    form: &EndpointForm,
) -> Result<(SectionChange, AuthMethod, bool), ServiceError> {
    let Some(kind) = EndpointKind::parse(&form.kind) else {
        return Err(AppError::BadRequest(
            "This form does not say which section it saves; reload the page.".to_owned(),
        )
        .into());
    };
    let loaded = loaded_version(&form.version)?;
    let (row, _) = find_endpoint(db, admin.tenant_id, kind).await?;
    // A form loaded before someone else's change is refused, saying what changed.
    if loaded != row.version {
        return Err(conflict(db, admin.tenant_id, kind, loaded).await);
    }
    let saved = custom_headers::saved_section_of(&row);
    let draft = form.parse(&saved).map_err(AppError::Invalid)?;
    let stored = saved.secret.as_ref().map(|s| s.kind);

    let now = OffsetDateTime::now_utc();
    let method = draft.auth.method();
    let new_secret: Option<(SecretKind, &str)> = match &draft.auth {
        AuthDraft::Disable => None,
        AuthDraft::Basic { password, .. } | AuthDraft::Digest { password, .. } => match password {
            SecretInput::Replace(p) => Some((SecretKind::Password, p.expose_secret())),
            SecretInput::Keep => None,
        },
        AuthDraft::Bearer { token } => match token {
            SecretInput::Replace(t) => Some((SecretKind::Token, t.expose_secret())),
            SecretInput::Keep => None,
        },
    };
    let update = endpoint::Entity::update_many()
        .col_expr(endpoint::Column::AuthMethod, Expr::value(method.as_str()))
        .col_expr(
            endpoint::Column::Url,
            Expr::value(draft.url.as_ref().map(|u| u.as_str().to_owned())),
        )
        .col_expr(
            endpoint::Column::Username,
            Expr::value(draft.auth.username().map(|u| u.as_str().to_owned())),
        )
        .col_expr(endpoint::Column::Enabled, Expr::value(draft.enabled))
        .col_expr(
            endpoint::Column::EnabledChangedAt,
            Expr::value(if draft.enabled == row.enabled {
                row.enabled_changed_at
            } else {
                Some(now)
            }),
        );
    // A section paused automatically and saved still paused keeps its
    // reason; any other save starts its record afresh.
    let still_auto_paused =
        !draft.enabled && row.alert.as_deref() == Some(crate::delivery::health::AUTO_PAUSED);
    let mut update = if still_auto_paused {
        update
    } else {
        with_fresh_health(update)
    };
    let (headers, header_secrets) =
        custom_headers::to_store(cipher, &row, admin.tenant_id, kind, &draft.headers)?;
    update = update
        .col_expr(
            endpoint::Column::EventTypes,
            Expr::value(crate::persistence::endpoints::event_types_json(
                &draft.event_types,
            )),
        )
        .col_expr(
            endpoint::Column::MaxConcurrency,
            Expr::value(i32::try_from(draft.limits.max_concurrency()).unwrap_or(8)),
        )
        .col_expr(
            endpoint::Column::MaxPerSecond,
            Expr::value(
                draft
                    .limits
                    .max_per_second()
                    .and_then(|n| i32::try_from(n).ok()),
            ),
        )
        .col_expr(endpoint::Column::CustomHeaders, Expr::value(headers))
        .col_expr(endpoint::Column::HeaderSecrets, Expr::value(header_secrets));
    let new_secret_kind = new_secret.as_ref().map(|(k, _)| *k);
    match new_secret {
        Some((secret_kind, plaintext)) => {
            let sealed = cipher.encrypt(
                plaintext.as_bytes(),
                &secret_context(admin.tenant_id, kind, secret_kind),
            )?;
            update = update
                .col_expr(
                    endpoint::Column::SecretKind,
                    Expr::value(secret_kind.as_str()),
                )
                .col_expr(endpoint::Column::SecretCiphertext, Expr::value(sealed))
                .col_expr(endpoint::Column::SecretChangedAt, Expr::value(now))
                .col_expr(
                    endpoint::Column::SecretChangedBy,
                    Expr::value(admin.username.clone()),
                );
        }
        // An empty field keeps the stored secret while the method still
        // needs that kind of secret; otherwise the secret goes with the method.
        None if stored.is_some() && stored == method.secret_kind() => {}
        None => {
            update = update
                .col_expr(
                    endpoint::Column::SecretKind,
                    Expr::value(Option::<String>::None),
                )
                .col_expr(
                    endpoint::Column::SecretCiphertext,
                    Expr::value(Option::<Vec<u8>>::None),
                )
                .col_expr(
                    endpoint::Column::SecretChangedAt,
                    Expr::value(Option::<OffsetDateTime>::None),
                )
                .col_expr(
                    endpoint::Column::SecretChangedBy,
                    Expr::value(Option::<String>::None),
                );
        }
    }
    let mut changes = changes(&row, &draft, new_secret_kind);
    changes.extend(header_changes(&saved.headers, &draft.headers));
    let summary = if changes.is_empty() {
        "saved without changes".to_owned()
    } else {
        let fields: Vec<&str> = changes.iter().map(|c| c.field.as_str()).collect();
        format!("changed {}", fields.join(", "))
    };
    let mut entries = vec![NewEntry {
        changes,
        ..NewEntry::by(admin, ActivityKind::EndpointSaved, Some(kind), summary)
    }];
    if let Some(secret) = new_secret_kind.filter(|k| Some(*k) == stored) {
        entries.push(NewEntry::by(
            admin,
            ActivityKind::CredentialRotated,
            Some(kind),
            format!("{} replaced", noun(secret)),
        ));
    }
    let credential = match (new_secret_kind, stored) {
        (Some(new), Some(old)) if new == old => Some(format!("{} replaced", noun(new))),
        (Some(new), _) => Some(format!("{} set", noun(new))),
        (None, Some(old)) if method.secret_kind() != Some(old) => {
            Some(format!("{} removed", noun(old)))
        }
        _ => None,
    };
    // A secret header is a credential too: every administrator is told
    // when one is set, replaced or removed.
    let secret_headers = secret_header_changes(&saved.headers, &draft.headers);
    let credential = match (credential, secret_headers.is_empty()) {
        (credential, true) => credential,
        (None, false) => Some(secret_headers.join("; ")),
        (Some(what), false) => Some(format!("{what}; {}", secret_headers.join("; "))),
    };
    let change = SectionChange {
        kind,
        row,
        update,
        entries,
        credential,
    };
    Ok((change, method, draft.enabled))
}

/// The refusal of a change based on `loaded`, naming who changed what
/// since (from the activity log, written with each change).
pub(super) async fn conflict(
    db: &DatabaseConnection,
    tenant_id: i32,
    kind: EndpointKind,
    loaded: i64,
) -> ServiceError {
    let (since, more) =
        match activity::log::endpoint_changes_since(db, tenant_id, kind, loaded, 5).await {
            Ok(found) => found,
            Err(e) => return e.into(),
        };
    let described: Vec<String> = since
        .iter()
        .map(|e| {
            let at = e.occurred_at.get(11..16).unwrap_or_default();
            let what: Vec<&str> = e.changes.iter().map(|c| c.field.as_str()).collect();
            if what.is_empty() {
                format!("{} {} at {at} UTC", e.actor, e.summary)
            } else {
                format!("{} changed {} at {at} UTC", e.actor, what.join(", "))
            }
        })
        .collect();
    let detail = if described.is_empty() {
        "someone else saved this section since you opened the page.".to_owned()
    } else if more {
        format!(
            "since you opened the page, earlier changes, then {}.",
            described.join("; ")
        )
    } else {
        format!("since you opened the page, {}.", described.join("; "))
    };
    AppError::Conflict(detail).into()
}

/// The fields a save changed, old → new; a secret only as "changed".
pub(super) fn changes(
    row: &endpoint::Model,
    draft: &crate::domain::EndpointDraft,
    new_secret: Option<SecretKind>,
) -> Vec<Change> {
    let label = |m: &str| AuthMethod::parse(m).map_or(m.to_owned(), |m| m.label().to_owned());
    let on_off = |b: bool| if b { "on" } else { "off" }.to_owned();
    let mut changes = Vec::new();
    let mut push = |field: &str, old: String, new: String| {
        if old != new {
            changes.push(Change {
                field: field.to_owned(),
                old,
                new,
            });
        }
    };
    push(
        "Authentication Method",
        label(&row.auth_method),
        draft.auth.method().label().to_owned(),
    );
    push(
        "URL",
        row.url.clone().unwrap_or_default(),
        draft
            .url
            .as_ref()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default(),
    );
    push(
        "Username",
        row.username.clone().unwrap_or_default(),
        draft
            .auth
            .username()
            .map(|u| u.as_str().to_owned())
            .unwrap_or_default(),
    );
    push("Enable", on_off(row.enabled), on_off(draft.enabled));
    push(
        "Event types",
        crate::domain::describe_event_types(&crate::persistence::endpoints::event_types_of(row)),
        crate::domain::describe_event_types(&draft.event_types),
    );
    push(
        "Limits",
        crate::persistence::endpoints::limits_of(row).describe(),
        draft.limits.describe(),
    );
    let stored = secret_kind_of(row);
    match (stored, new_secret) {
        (_, Some(secret)) => changes.push(Change {
            field: noun(secret).to_owned(),
            old: if stored == Some(secret) {
                "set"
            } else {
                "none"
            }
            .to_owned(),
            new: "changed".to_owned(),
        }),
        (Some(secret), None) if draft.auth.method().secret_kind() != Some(secret) => {
            changes.push(Change {
                field: noun(secret).to_owned(),
                old: "set".to_owned(),
                new: "removed".to_owned(),
            })
        }
        _ => {}
    }
    changes
}

/// What a save did to secret headers, for the credential letter:
/// "secret header X-Api-Key set" (replaced, removed).
fn secret_header_changes(
    before: &[SavedHeader],
    after: &[crate::domain::HeaderDraft],
) -> Vec<String> {
    use crate::domain::{HeaderValueDraft, SecretInput};
    let mut said = Vec::new();
    for new in after {
        let old = before
            .iter()
            .find(|b| b.secret && b.name.eq_ignore_ascii_case(&new.name));
        if let HeaderValueDraft::Secret(SecretInput::Replace(_)) = new.value {
            let what = if old.is_some() { "replaced" } else { "set" };
            said.push(format!("secret header {} {what}", new.name));
        }
    }
    for old in before.iter().filter(|b| b.secret) {
        let kept = after
            .iter()
            .any(|a| a.is_secret() && a.name.eq_ignore_ascii_case(&old.name));
        if !kept {
            said.push(format!("secret header {} removed", old.name));
        }
    }
    said
}

/// The custom headers a save changed, one entry per name: added, removed
/// or given another value; a secret value only as "secret" or "changed".
pub(super) fn header_changes(
    before: &[SavedHeader],
    after: &[crate::domain::HeaderDraft],
) -> Vec<Change> {
    use crate::domain::{HeaderValueDraft, SecretInput};
    let shown = |h: &SavedHeader| match (&h.value, h.secret) {
        (Some(value), false) => value.clone(),
        _ => "secret".to_owned(),
    };
    let mut changes = Vec::new();
    for new in after {
        let old = before
            .iter()
            .find(|b| b.name.eq_ignore_ascii_case(&new.name));
        let (old_text, new_text) = match (old, &new.value) {
            (None, _) => ("none".to_owned(), shown(&new.saved())),
            (Some(old), HeaderValueDraft::Secret(SecretInput::Replace(_))) if old.secret => {
                ("secret".to_owned(), "changed".to_owned())
            }
            (Some(old), _) => (shown(old), shown(&new.saved())),
        };
        if old_text != new_text || old.is_some_and(|o| o.name != new.name) {
            changes.push(Change {
                field: format!("Header {}", new.name),
                old: old_text,
                new: new_text,
            });
        }
    }
    for old in before {
        if !after.iter().any(|a| a.name.eq_ignore_ascii_case(&old.name)) {
            changes.push(Change {
                field: format!("Header {}", old.name),
                old: shown(old),
                new: "removed".to_owned(),
            });
        }
    }
    changes
}

pub(super) fn noun(secret: SecretKind) -> &'static str {
    match secret {
        SecretKind::Password => "Password",
        SecretKind::Token => "Bearer Token",
    }
}
