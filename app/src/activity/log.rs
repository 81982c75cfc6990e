//! Writing and reading the log. A change writes its entry in the change's
//! own transaction (the conflict message is built from the log, so it may
//! not be best-effort); events that are not changes (a sign-in) log a
//! failure to record them and go on.

use anyhow::Context;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use std::net::IpAddr;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

use super::entry::{ActivityEntry, ActivityKind, ActivityPage, Change, PAGE_SIZE};
use crate::{domain::EndpointKind, persistence::entities::activity};

/// An entry to add.
pub struct NewEntry {
    pub tenant_id: Option<i32>,
    pub actor_id: Option<i32>,
    pub actor: String,
    pub ip: Option<IpAddr>,
    pub kind: ActivityKind,
    pub section: Option<EndpointKind>,
    pub summary: String,
    pub changes: Vec<Change>,
    /// The endpoint's version after the change.
    pub version: Option<i64>,
}

impl NewEntry {
    /// An entry of the signed-in administrator's tenant, by them.
    pub fn by(
        admin: &crate::auth::CurrentAdmin,
        kind: ActivityKind,
        section: Option<EndpointKind>,
        summary: String,
    ) -> Self {
        NewEntry {
            tenant_id: Some(admin.tenant_id),
            actor_id: Some(admin.user_id),
            actor: admin.username.clone(),
            ip: admin.ip,
            kind,
            section,
            summary: match &admin.via_token {
                Some(token) => format!("{summary} (with API token {token:?})"),
                None => summary,
            },
            changes: Vec::new(),
            version: None,
        }
    }
}

pub async fn record(db: &impl ConnectionTrait, entry: NewEntry) -> anyhow::Result<()> {
    let changes = serde_json::to_string(&entry.changes).context("encoding the changes")?;
    let row = activity::ActiveModel {
        tenant_id: Set(entry.tenant_id),
        occurred_at: Set(OffsetDateTime::now_utc()),
        actor_id: Set(entry.actor_id),
        actor: Set(entry.actor.chars().take(64).collect()),
        source_ip: Set(entry.ip.map(|ip| ip.to_canonical().to_string())),
        kind: Set(entry.kind.as_str().to_owned()),
        section: Set(entry.section.map(|s| s.as_str().to_owned())),
        summary: Set(entry.summary),
        changes: Set(changes),
        version: Set(entry.version),
        ..Default::default()
    };
    row.insert(db)
        .await
        .with_context(|| format!("writing the activity log ({})", entry.kind.as_str()))?;
    Ok(())
}

fn to_entry(row: activity::Model) -> Option<ActivityEntry> {
    Some(ActivityEntry {
        id: row.id,
        occurred_at: row.occurred_at.format(&Rfc3339).unwrap_or_default(),
        actor: row.actor,
        source_ip: row.source_ip,
        kind: ActivityKind::parse(&row.kind)?,
        section: row.section.as_deref().and_then(EndpointKind::parse),
        summary: row.summary,
        changes: serde_json::from_str(&row.changes).unwrap_or_default(),
    })
}

/// One page of a tenant's entries, newest first, optionally of one section
/// and one kind.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    page: u64,
    section: Option<EndpointKind>,
    kind: Option<ActivityKind>,
) -> anyhow::Result<(Vec<ActivityEntry>, u64, u64)> {
    let mut query = activity::Entity::find().filter(activity::Column::TenantId.eq(tenant_id));
    if let Some(section) = section {
        query = query.filter(activity::Column::Section.eq(section.as_str()));
    }
    if let Some(kind) = kind {
        query = query.filter(activity::Column::Kind.eq(kind.as_str()));
    }
    let total = query.clone().count(db).await.context("counting activity")?;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let rows = query
        .order_by_desc(activity::Column::Id)
        .offset((page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
        .all(db)
        .await
        .context("loading activity")?;
    Ok((rows.into_iter().filter_map(to_entry).collect(), page, total))
}

/// What changed an endpoint after `version`, oldest first.
pub async fn endpoint_changes_since(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    section: EndpointKind,
    version: i64,
    newest: u64,
) -> anyhow::Result<(Vec<ActivityEntry>, bool)> {
    // The newest few, oldest first, and whether there were more: a version
    // far behind (or none the section had) costs no more than a recent one.
    let mut rows = activity::Entity::find()
        .filter(activity::Column::TenantId.eq(tenant_id))
        .filter(activity::Column::Section.eq(section.as_str()))
        .filter(activity::Column::Version.gt(version))
        .order_by_desc(activity::Column::Id)
        .limit(newest + 1)
        .all(db)
        .await
        .context("loading changes since a version")?;
    let more = rows.len() as u64 > newest;
    rows.truncate(usize::try_from(newest).unwrap_or(usize::MAX));
    rows.reverse();
    Ok((rows.into_iter().filter_map(to_entry).collect(), more))
}

/// Builds a page for the view.
pub async fn page(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    tenant_name: &str,
    admin_username: &str,
    page: u64,
    section: Option<EndpointKind>,
    kind: Option<ActivityKind>,
) -> anyhow::Result<ActivityPage> {
    let (entries, page, total) = list(db, tenant_id, page, section, kind).await?;
    Ok(ActivityPage {
        tenant_name: tenant_name.to_owned(),
        admin_username: admin_username.to_owned(),
        entries,
        page,
        pages: total.div_ceil(PAGE_SIZE).max(1),
        total,
    })
}
