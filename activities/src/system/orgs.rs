//! 机构管理 (SYS-1): the org tree, cut to the caller's data scope ([`crate::identity::scope`]),
//! orgs added and renamed, every change audited.

use crate::audit::{self, Entry};
use crate::identity::scope::{DataScope, in_scope_org, scope_params};
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Org {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub code: String,
    pub name: String,
    pub level: i16,
}

/// The orgs the scope reaches, parents before children.
#[tracing::instrument(skip(pool))]
pub async fn orgs(
    pool: &PgPool,
    scope: &DataScope,
    self_org: Uuid,
) -> Result<Vec<Org>, sqlx::Error> {
    let (all, path, org, _) = scope_params(scope);
    let org = org.or(matches!(scope, DataScope::SelfOnly(_)).then_some(self_org));
    sqlx::query_as!(
        Org,
        "SELECT id, parent_id, code, name, level FROM orgs
          WHERE $1 OR path LIKE $2 || '%' OR id = $3
          ORDER BY path",
        all,
        path,
        org
    )
    .fetch_all(pool)
    .await
}

pub struct NewOrg {
    pub parent_id: Uuid,
    /// Checked against `^[0-9A-Za-z_-]{1,32}$` at the edge.
    pub code: String,
    pub name: String,
}

/// Adds an org under `parent_id` (within the scope), one level below it, with its path.
#[tracing::instrument(skip(pool, scope, by, new), fields(code = %new.code))]
pub async fn create_org(
    pool: &PgPool,
    scope: &DataScope,
    by: Entry,
    new: NewOrg,
    now: DateTime<Utc>,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    if !in_scope_org(pool, scope, new.parent_id).await? {
        return Ok(Err(Refusal::OutOfScope));
    }
    let mut tx = pool.begin().await?;
    let parent = sqlx::query!(
        "SELECT level, path FROM orgs WHERE id = $1 FOR SHARE",
        new.parent_id
    )
    .fetch_one(&mut *tx)
    .await?;
    if parent.level >= 3 {
        return Ok(Err(Refusal::SubBranchHasNoChildren));
    }
    let level = parent.level + 1;
    let path = format!("{}{}/", parent.path, new.code);
    let Some(id) = sqlx::query_scalar!(
        "INSERT INTO orgs (parent_id, code, name, level, path) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING id",
        new.parent_id,
        new.code,
        new.name,
        level,
        path
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::OrgCodeTaken));
    };
    let entry = Entry {
        action: "system.org.create",
        target: Some(new.code.clone()),
        after: Some(serde_json::json!({
            "code": new.code, "name": new.name, "parent_id": new.parent_id,
            "level": level, "path": path,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Renames an org within the scope. Moving an org (a new parent, so new paths for its subtree)
/// is not offered.
#[tracing::instrument(skip(pool, scope, by))]
pub async fn rename_org(
    pool: &PgPool,
    scope: &DataScope,
    by: Entry,
    org_id: Uuid,
    name: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    if !in_scope_org(pool, scope, org_id).await? {
        return Ok(Err(Refusal::OutOfScope));
    }
    let mut tx = pool.begin().await?;
    let before = sqlx::query!(
        "SELECT code, name FROM orgs WHERE id = $1 FOR UPDATE",
        org_id
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!("UPDATE orgs SET name = $2 WHERE id = $1", org_id, name)
        .execute(&mut *tx)
        .await?;
    let entry = Entry {
        action: "system.org.update",
        target: Some(before.code),
        before: Some(serde_json::json!({ "name": before.name })),
        after: Some(serde_json::json!({ "name": name })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Why an org administration request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The org is outside the caller's data scope (or does not exist).
    OutOfScope,
    OrgCodeTaken,
    /// A sub-branch (level 3) is a leaf of the org tree.
    SubBranchHasNoChildren,
}
