//! The test-send history: each send is a row, written with its report once
//! it is done; each section keeps its newest `HISTORY_LEN`.

use anyhow::Context;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::report::TestReport;
use crate::{domain::EndpointKind, persistence::entities::test_send};

/// How many test sends each section keeps.
pub const HISTORY_LEN: u64 = 20;

/// Keeps the newest `HISTORY_LEN` sends of a section.
pub async fn prune(
    db: &impl ConnectionTrait,
    tenant_id: i32,
    kind: EndpointKind,
) -> anyhow::Result<()> {
    let cut: Option<i32> = test_send::Entity::find()
        .select_only()
        .column(test_send::Column::Id)
        .filter(test_send::Column::TenantId.eq(tenant_id))
        .filter(test_send::Column::EndpointKind.eq(kind.as_str()))
        .order_by_desc(test_send::Column::Id)
        .offset(HISTORY_LEN)
        .limit(1)
        .into_tuple()
        .one(db)
        .await
        .context("finding old test sends")?;
    if let Some(cut) = cut {
        test_send::Entity::delete_many()
            .filter(test_send::Column::TenantId.eq(tenant_id))
            .filter(test_send::Column::EndpointKind.eq(kind.as_str()))
            .filter(test_send::Column::Id.lte(cut))
            .exec(db)
            .await
            .context("deleting old test sends")?;
    }
    Ok(())
}

/// Both sections' recent sends, newest first, in one query: `prune` keeps
/// each section's last `HISTORY_LEN` (in the send's own transaction), so
/// the tenant's rows are both lists. No `LIMIT`: a bound one makes SQLite
/// prepare the statement again on every use (~10% of a page's CPU), and
/// the rows are few by construction; each list is cut here all the same.
pub async fn recent(
    db: &impl ConnectionTrait,
    tenant_id: i32,
) -> anyhow::Result<(Vec<TestReport>, Vec<TestReport>)> {
    let rows = test_send::Entity::find()
        .filter(test_send::Column::TenantId.eq(tenant_id))
        .order_by_desc(test_send::Column::Id)
        .all(db)
        .await
        .context("loading test sends")?;
    let (mut cdr, mut extension) = (Vec::new(), Vec::new());
    for row in rows {
        let list = match EndpointKind::parse(&row.endpoint_kind) {
            Some(EndpointKind::Cdr) => &mut cdr,
            Some(EndpointKind::Extension) => &mut extension,
            None => continue,
        };
        if list.len() as u64 >= HISTORY_LEN {
            continue;
        }
        match serde_json::from_str::<TestReport>(&row.report) {
            Ok(report) => list.push(TestReport {
                id: row.id,
                ..report
            }),
            Err(e) => tracing::warn!(id = row.id, error = %e, "unreadable test report skipped"),
        }
    }
    Ok((cdr, extension))
}
