//! Data scope (SEC-4): how much of the bank a user sees — the widest scope among their roles — and
//! whether an org or a user lies within it. Lists of orgs, users, campaigns and processes are cut
//! by it.

use sqlx::PgPool;
use uuid::Uuid;

/// How much of the bank a user sees: the widest scope among their roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataScope {
    All,
    /// The org with this path and everything below it.
    OrgAndBelow(String),
    Org(Uuid),
    SelfOnly(Uuid),
}

#[tracing::instrument(skip(pool))]
pub async fn scope_of(pool: &PgPool, user_id: Uuid) -> Result<DataScope, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT u.org_id, o.path,
                  coalesce((SELECT min(CASE r.data_scope WHEN 'all' THEN 1 WHEN 'org_and_below' THEN 2
                                                         WHEN 'org' THEN 3 ELSE 4 END)
                              FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                             WHERE ur.user_id = u.id), 4) AS "widest!"
             FROM users u JOIN orgs o ON o.id = u.org_id WHERE u.id = $1"#,
        user_id
    )
    .fetch_one(pool)
    .await?;
    Ok(match row.widest {
        1 => DataScope::All,
        2 => DataScope::OrgAndBelow(row.path),
        3 => DataScope::Org(row.org_id),
        _ => DataScope::SelfOnly(user_id),
    })
}

/// The scope as SQL parameters: (all, path prefix, org id, user id) — exactly one is set.
pub(crate) fn scope_params(
    scope: &DataScope,
) -> (bool, Option<String>, Option<Uuid>, Option<Uuid>) {
    match scope {
        DataScope::All => (true, None, None, None),
        DataScope::OrgAndBelow(path) => (false, Some(path.clone()), None, None),
        DataScope::Org(org) => (false, None, Some(*org), None),
        DataScope::SelfOnly(user) => (false, None, None, Some(*user)),
    }
}

/// Whether `org_id` lies within the scope.
pub(crate) async fn in_scope_org(
    pool: &PgPool,
    scope: &DataScope,
    org_id: Uuid,
) -> Result<bool, sqlx::Error> {
    let (all, path, org, _) = scope_params(scope);
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM orgs WHERE id = $1 AND ($2 OR path LIKE $3 || '%' OR id = $4)) AS "ok!""#,
        org_id,
        all,
        path,
        org
    )
    .fetch_one(pool)
    .await
}

/// The username of `user_id` when it lies within the scope.
pub(crate) async fn in_scope_user(
    pool: &PgPool,
    scope: &DataScope,
    user_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    let (all, path, org, me) = scope_params(scope);
    sqlx::query_scalar!(
        "SELECT u.username FROM users u JOIN orgs o ON o.id = u.org_id
          WHERE u.id = $1 AND ($2 OR o.path LIKE $3 || '%' OR u.org_id = $4 OR u.id = $5)",
        user_id,
        all,
        path,
        org,
        me
    )
    .fetch_optional(pool)
    .await
}
