//! 角色管理 (SYS-1, SEC-4): roles created and edited with their data scope and permissions, under
//! the rules that keep administration and audit apart and stop anyone raising their own rights.

use crate::audit::{self, Entry};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

/// How much of the bank a role's holders see (the column `roles.data_scope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScopeKind {
    All,
    OrgAndBelow,
    Org,
    #[serde(rename = "self")]
    SelfOnly,
}

impl ScopeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ScopeKind::All => "all",
            ScopeKind::OrgAndBelow => "org_and_below",
            ScopeKind::Org => "org",
            ScopeKind::SelfOnly => "self",
        }
    }
}

/// The side of the separation of duties a role stands on (the column `roles.duty`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    Administration,
    Audit,
}

impl Duty {
    pub fn as_str(self) -> &'static str {
        match self {
            Duty::Administration => "administration",
            Duty::Audit => "audit",
        }
    }

    fn parse(s: Option<&str>) -> Option<Duty> {
        match s {
            Some("administration") => Some(Duty::Administration),
            Some("audit") => Some(Duty::Audit),
            _ => None,
        }
    }
}

/// Permissions that administer accounts, roles and the security rules.
pub fn administration_only(permission: &str) -> bool {
    permission.starts_with("system:user:")
        || permission.starts_with("system:role:")
        || permission == "system:parameter:update"
}

/// The permission that reads the audit trail of what administrators did.
pub const AUDIT_ONLY: &str = "system:audit:view";

/// Why a role change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownRole,
    CodeTaken,
    /// The request names a duty other than the role's: duties are fixed at creation.
    DutyFixed,
    /// Administration-only permissions and the audit permission in one role.
    DutiesCombined,
    /// Administration-only permissions outside an administration role, or the audit permission
    /// outside an audit role.
    OutsideDuty,
    /// The caller holds this role.
    OwnRole,
}

/// The separation-of-duties rule for one role's permissions: never both sides, and each side
/// only in a role of that duty — so the account-level rule (no account holds roles of both
/// duties, checked at every grant) covers the permissions themselves.
pub fn check_duties(duty: Option<Duty>, permissions: &[String]) -> Result<(), Refusal> {
    let administers = permissions.iter().any(|p| administration_only(p));
    let audits = permissions.iter().any(|p| p == AUDIT_ONLY);
    if administers && audits {
        return Err(Refusal::DutiesCombined);
    }
    if (administers && duty != Some(Duty::Administration)) || (audits && duty != Some(Duty::Audit))
    {
        return Err(Refusal::OutsideDuty);
    }
    Ok(())
}

pub struct NewRole {
    pub code: String,
    pub name: String,
    pub data_scope: ScopeKind,
    pub duty: Option<Duty>,
    /// Known permission names, deduplicated and sorted.
    pub permissions: Vec<String>,
}

/// Creates a role; its duty is fixed from now on.
#[tracing::instrument(skip(pool, by, new), fields(code = %new.code))]
pub async fn create(
    pool: &PgPool,
    by: Entry,
    new: NewRole,
    now: DateTime<Utc>,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    if let Err(refusal) = check_duties(new.duty, &new.permissions) {
        return Ok(Err(refusal));
    }
    let mut tx = pool.begin().await?;
    let Some(id) = sqlx::query_scalar!(
        "INSERT INTO roles (code, name, data_scope, duty) VALUES ($1, $2, $3, $4)
         ON CONFLICT (code) DO NOTHING RETURNING id",
        new.code,
        new.name,
        new.data_scope.as_str(),
        new.duty.map(Duty::as_str)
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::CodeTaken));
    };
    sqlx::query!(
        "INSERT INTO role_permissions (role_id, permission) SELECT $1, unnest($2::text[])",
        id,
        &new.permissions
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "system.role.create",
        target: Some(new.code.clone()),
        after: Some(serde_json::json!({
            "code": new.code, "name": new.name, "data_scope": new.data_scope,
            "duty": new.duty, "permissions": new.permissions,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

pub struct RoleChange {
    pub name: String,
    pub data_scope: ScopeKind,
    /// `Some(d)` when the request states a duty: it must be the role's own.
    pub duty: Option<Option<Duty>>,
    /// Known permission names, deduplicated and sorted.
    pub permissions: Vec<String>,
}

/// Changes a role's name, data scope and permissions — never one the caller holds. Its holders'
/// next request already runs with the new permissions (they are read per request).
#[tracing::instrument(skip(pool, by, change))]
pub async fn update(
    pool: &PgPool,
    by: Entry,
    id: Uuid,
    change: RoleChange,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(role) = sqlx::query!(
        r#"SELECT code, name, data_scope, duty,
                  ARRAY(SELECT permission FROM role_permissions p WHERE p.role_id = r.id ORDER BY permission) AS "permissions!",
                  EXISTS (SELECT 1 FROM user_roles ur WHERE ur.role_id = r.id AND ur.user_id = $2) AS "held!"
             FROM roles r WHERE id = $1 FOR UPDATE"#,
        id,
        by.user_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownRole));
    };
    if role.held {
        return Ok(Err(Refusal::OwnRole));
    }
    let duty = Duty::parse(role.duty.as_deref());
    if change.duty.is_some_and(|asked| asked != duty) {
        return Ok(Err(Refusal::DutyFixed));
    }
    if let Err(refusal) = check_duties(duty, &change.permissions) {
        return Ok(Err(refusal));
    }
    sqlx::query!(
        "UPDATE roles SET name = $2, data_scope = $3 WHERE id = $1",
        id,
        change.name,
        change.data_scope.as_str()
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!("DELETE FROM role_permissions WHERE role_id = $1", id)
        .execute(&mut *tx)
        .await?;
    sqlx::query!(
        "INSERT INTO role_permissions (role_id, permission) SELECT $1, unnest($2::text[])",
        id,
        &change.permissions
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "system.role.update",
        target: Some(role.code),
        before: Some(serde_json::json!({
            "name": role.name, "data_scope": role.data_scope, "permissions": role.permissions,
        })),
        after: Some(serde_json::json!({
            "name": change.name, "data_scope": change.data_scope, "permissions": change.permissions,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Role {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub data_scope: String,
    pub duty: Option<String>,
    pub permissions: Vec<String>,
}

/// Every role with its data scope and permissions.
#[tracing::instrument(skip(pool))]
pub async fn list(pool: &PgPool) -> Result<Vec<Role>, sqlx::Error> {
    sqlx::query_as!(
        Role,
        r#"SELECT id, code, name, data_scope, duty,
                  ARRAY(SELECT permission FROM role_permissions p WHERE p.role_id = r.id ORDER BY permission) AS "permissions!"
             FROM roles r ORDER BY code"#
    )
    .fetch_all(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn perms(list: &[&str]) -> Vec<String> {
        list.iter().map(|p| (*p).to_owned()).collect()
    }

    #[test]
    fn administration_and_audit_never_share_a_role() {
        let both = perms(&["system:user:view", AUDIT_ONLY]);
        for duty in [None, Some(Duty::Administration), Some(Duty::Audit)] {
            assert_eq!(check_duties(duty, &both), Err(Refusal::DutiesCombined));
        }
        let parameters = perms(&["system:parameter:update", AUDIT_ONLY]);
        assert_eq!(
            check_duties(Some(Duty::Audit), &parameters),
            Err(Refusal::DutiesCombined)
        );
    }

    #[test]
    fn each_side_only_in_a_role_of_its_duty() {
        let admin = perms(&["system:role:update", "system:org:view"]);
        assert_eq!(check_duties(Some(Duty::Administration), &admin), Ok(()));
        assert_eq!(check_duties(None, &admin), Err(Refusal::OutsideDuty));
        assert_eq!(
            check_duties(Some(Duty::Audit), &admin),
            Err(Refusal::OutsideDuty)
        );
        let audit = perms(&[AUDIT_ONLY, "system:log:export"]);
        assert_eq!(check_duties(Some(Duty::Audit), &audit), Ok(()));
        assert_eq!(check_duties(None, &audit), Err(Refusal::OutsideDuty));
        // Viewing parameters and exporting logs belong to neither side.
        let neutral = perms(&[
            "system:parameter:view",
            "system:log:export",
            "system:org:create",
        ]);
        for duty in [None, Some(Duty::Administration), Some(Duty::Audit)] {
            assert_eq!(check_duties(duty, &neutral), Ok(()));
        }
    }
}
