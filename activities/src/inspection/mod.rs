//! 巡查 (issue 16, WF-4) in the store: inspection plans (each with its Temporal Schedule, see
//! [`schedule`]), the tasks their rounds create once per plan, cycle and merchant (or staff issue
//! by hand), what each task's process records ([`record`]), and the lists staff, inspectors and
//! merchants read, each cut by the reader's data scope.

pub mod schedule;
pub mod tasks;

use crate::audit::{self, Entry};
use crate::identity::scope::{self, DataScope};
use crate::notify::Routing;
use crate::numbers::{self, Series};
use chrono::{DateTime, Datelike, Duration, FixedOffset, Utc};
use quanyi_workflows::approval::{Actor, Policy};
use quanyi_workflows::inspection::{
    ChecklistItem, InspectionChange, InspectionInput, InspectionRecord, Inspector, ItemKind,
    RoundRequest,
};
use quanyi_workflows::kind::{INSPECTION_ACCEPTANCE_POLICY, INSPECTION_REVIEW_POLICY, ProcessKind};
use quanyi_workflows::process::{Notice, NoticeKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// How often a plan's tasks are created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cycle {
    /// 每月 (the 1st, 08:00 Beijing time).
    Monthly,
    /// 每季 (the 1st of January, April, July and October).
    Quarterly,
}

impl Cycle {
    pub fn as_str(self) -> &'static str {
        match self {
            Cycle::Monthly => "monthly",
            Cycle::Quarterly => "quarterly",
        }
    }

    pub fn parse(s: &str) -> Option<Cycle> {
        match s {
            "monthly" => Some(Cycle::Monthly),
            "quarterly" => Some(Cycle::Quarterly),
            _ => None,
        }
    }

    /// The cycle `at` falls in, in Beijing time: `2026-12` or `2026-Q4`.
    pub fn key(self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&beijing());
        match self {
            Cycle::Monthly => format!("{}-{:02}", local.year(), local.month()),
            Cycle::Quarterly => format!("{}-Q{}", local.year(), local.month0() / 3 + 1),
        }
    }
}

fn beijing() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("a valid offset")
}

/// What an item of a checklist asks for (as the API shows it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKindView {
    /// 合格/不合格.
    PassFail,
    /// 文字记录.
    Text,
}

/// One item of a checklist template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChecklistEntry {
    /// Stable within the checklist: `1`, `2`, ….
    pub key: String,
    pub text: String,
    pub kind: ItemKindView,
    pub photo_required: bool,
}

impl From<ChecklistEntry> for ChecklistItem {
    fn from(i: ChecklistEntry) -> Self {
        ChecklistItem {
            key: i.key,
            text: i.text,
            kind: match i.kind {
                ItemKindView::PassFail => ItemKind::PassFail,
                ItemKindView::Text => ItemKind::Text,
            },
            photo_required: i.photo_required,
        }
    }
}

/// A plan as staff write it.
#[derive(Debug, Clone)]
pub struct PlanInput {
    pub name: String,
    pub category: Option<String>,
    pub scope_org_id: Option<Uuid>,
    pub cycle: Cycle,
    pub interval_seconds: Option<i32>,
    pub checklist: Vec<ChecklistEntry>,
    pub due_days: i32,
}

/// A plan as the list shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    pub id: Uuid,
    pub name: String,
    pub category: Option<String>,
    pub scope_org_id: Option<Uuid>,
    pub scope_org_name: Option<String>,
    pub cycle: Cycle,
    pub interval_seconds: Option<i32>,
    pub checklist: Vec<ChecklistEntry>,
    pub due_days: i32,
    /// `active` or `paused`.
    pub status: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Tasks it created so far.
    pub tasks: i64,
}

/// Why a plan change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanRefusal {
    /// No such plan within the caller's data scope.
    Unknown,
    /// Another plan has the name.
    NameTaken,
    /// The scope org is outside the caller's data scope (or does not exist).
    OrgOutOfScope,
}

fn checklist_of(value: serde_json::Value) -> Vec<ChecklistEntry> {
    serde_json::from_value(value).unwrap_or_default()
}

struct PlanRow {
    id: Uuid,
    name: String,
    category: Option<String>,
    scope_org_id: Option<Uuid>,
    scope_org_name: Option<String>,
    cycle: String,
    interval_seconds: Option<i32>,
    checklist: serde_json::Value,
    due_days: i32,
    status: String,
    created_by: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    tasks: i64,
}

impl From<PlanRow> for Plan {
    fn from(r: PlanRow) -> Self {
        Plan {
            id: r.id,
            name: r.name,
            category: r.category,
            scope_org_id: r.scope_org_id,
            scope_org_name: r.scope_org_name,
            cycle: Cycle::parse(&r.cycle).unwrap_or(Cycle::Monthly),
            interval_seconds: r.interval_seconds,
            checklist: checklist_of(r.checklist),
            due_days: r.due_days,
            status: r.status,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
            tasks: r.tasks,
        }
    }
}

/// The plans within `scope`, newest first.
pub async fn plans(pool: &PgPool, scope: &DataScope) -> Result<Vec<Plan>, sqlx::Error> {
    let (all, path, org, _) = scope::scope_params(scope);
    let rows = sqlx::query_as!(
        PlanRow,
        r#"SELECT p.id, p.name, p.category, p.scope_org_id, so.name AS "scope_org_name?",
                  p.cycle, p.interval_seconds, p.checklist, p.due_days, p.status, p.created_by,
                  p.created_at, p.updated_at,
                  (SELECT count(*) FROM inspection_tasks t WHERE t.plan_id = p.id) AS "tasks!"
             FROM inspection_plans p
             JOIN orgs o ON o.id = p.owner_org_id
             LEFT JOIN orgs so ON so.id = p.scope_org_id
            WHERE $1 OR o.path LIKE $2 || '%' OR o.id = $3
            ORDER BY p.created_at DESC, p.id"#,
        all,
        path,
        org
    )
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Plan::from).collect())
}

/// The plan `id` within `scope`.
pub async fn plan(pool: &PgPool, id: Uuid, scope: &DataScope) -> Result<Option<Plan>, sqlx::Error> {
    Ok(plans(pool, scope).await?.into_iter().find(|p| p.id == id))
}

/// Every plan (for the schedules' reconciliation): id, status, cycle and interval.
pub async fn all_plans(
    pool: &PgPool,
) -> Result<Vec<(Uuid, bool, Cycle, Option<i32>)>, sqlx::Error> {
    let rows = sqlx::query!("SELECT id, status, cycle, interval_seconds FROM inspection_plans")
        .fetch_all(pool)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                r.status == "active",
                Cycle::parse(&r.cycle).unwrap_or(Cycle::Monthly),
                r.interval_seconds,
            )
        })
        .collect())
}

fn plan_json(input: &PlanInput) -> serde_json::Value {
    json!({
        "name": input.name,
        "category": input.category,
        "scope_org_id": input.scope_org_id,
        "cycle": input.cycle.as_str(),
        "interval_seconds": input.interval_seconds,
        "checklist": input.checklist,
        "due_days": input.due_days,
    })
}

/// Creates a plan, owned by `owner_org_id` (the creator's org), audited. The caller then creates
/// its schedule.
pub async fn create_plan(
    pool: &PgPool,
    input: &PlanInput,
    owner_org_id: Uuid,
    scope: &DataScope,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, PlanRefusal>, sqlx::Error> {
    if let Some(org) = input.scope_org_id
        && !scope::in_scope_org(pool, scope, org).await?
    {
        return Ok(Err(PlanRefusal::OrgOutOfScope));
    }
    let mut tx = pool.begin().await?;
    let checklist = serde_json::to_value(&input.checklist).unwrap_or_default();
    let Some(id) = sqlx::query_scalar!(
        "INSERT INTO inspection_plans (name, category, scope_org_id, owner_org_id, cycle,
                                       interval_seconds, checklist, due_days, created_by,
                                       created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         ON CONFLICT (name) DO NOTHING RETURNING id",
        input.name,
        input.category,
        input.scope_org_id,
        owner_org_id,
        input.cycle.as_str(),
        input.interval_seconds,
        checklist,
        input.due_days,
        by.username.clone().unwrap_or_default(),
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(PlanRefusal::NameTaken));
    };
    let entry = Entry {
        action: "merchant.inspection_plan.create",
        target: Some(id.to_string()),
        after: Some(plan_json(input)),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Changes a plan within `scope`, audited with before and after.
pub async fn update_plan(
    pool: &PgPool,
    id: Uuid,
    input: &PlanInput,
    scope: &DataScope,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), PlanRefusal>, sqlx::Error> {
    let Some(before) = plan(pool, id, scope).await? else {
        return Ok(Err(PlanRefusal::Unknown));
    };
    if let Some(org) = input.scope_org_id
        && !scope::in_scope_org(pool, scope, org).await?
    {
        return Ok(Err(PlanRefusal::OrgOutOfScope));
    }
    let mut tx = pool.begin().await?;
    let taken = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM inspection_plans WHERE name = $1 AND id <> $2) AS "taken!""#,
        input.name,
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        return Ok(Err(PlanRefusal::NameTaken));
    }
    let checklist = serde_json::to_value(&input.checklist).unwrap_or_default();
    sqlx::query!(
        "UPDATE inspection_plans
            SET name = $2, category = $3, scope_org_id = $4, cycle = $5, interval_seconds = $6,
                checklist = $7, due_days = $8, updated_at = $9
          WHERE id = $1",
        id,
        input.name,
        input.category,
        input.scope_org_id,
        input.cycle.as_str(),
        input.interval_seconds,
        checklist,
        input.due_days,
        now
    )
    .execute(&mut *tx)
    .await?;
    let before = PlanInput {
        name: before.name,
        category: before.category,
        scope_org_id: before.scope_org_id,
        cycle: before.cycle,
        interval_seconds: before.interval_seconds,
        checklist: before.checklist,
        due_days: before.due_days,
    };
    let entry = Entry {
        action: "merchant.inspection_plan.update",
        target: Some(id.to_string()),
        before: Some(plan_json(&before)),
        after: Some(plan_json(input)),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Pauses (`active = false`) or resumes a plan within `scope`, audited.
pub async fn set_plan_active(
    pool: &PgPool,
    id: Uuid,
    active: bool,
    scope: &DataScope,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), PlanRefusal>, sqlx::Error> {
    let Some(before) = plan(pool, id, scope).await? else {
        return Ok(Err(PlanRefusal::Unknown));
    };
    let status = if active { "active" } else { "paused" };
    let mut tx = pool.begin().await?;
    sqlx::query!(
        "UPDATE inspection_plans SET status = $2, updated_at = $3 WHERE id = $1",
        id,
        status,
        now
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: if active {
            "merchant.inspection_plan.resume"
        } else {
            "merchant.inspection_plan.pause"
        },
        target: Some(id.to_string()),
        before: Some(json!({ "status": before.status })),
        after: Some(json!({ "status": status })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Deletes a plan within `scope` (its tasks stay, issued by a plan no longer there), audited.
pub async fn delete_plan(
    pool: &PgPool,
    id: Uuid,
    scope: &DataScope,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), PlanRefusal>, sqlx::Error> {
    let Some(before) = plan(pool, id, scope).await? else {
        return Ok(Err(PlanRefusal::Unknown));
    };
    let mut tx = pool.begin().await?;
    sqlx::query!("DELETE FROM inspection_plans WHERE id = $1", id)
        .execute(&mut *tx)
        .await?;
    let entry = Entry {
        action: "merchant.inspection_plan.delete",
        target: Some(id.to_string()),
        before: Some(json!({ "name": before.name, "status": before.status })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

// ---- tasks -------------------------------------------------------------------------------------

/// The actor a plan's round issues tasks as.
fn round_actor(org_path: &str) -> Actor {
    Actor {
        user_id: Uuid::nil().to_string(),
        username: "system".into(),
        display_name: "巡查计划".into(),
        org_path: org_path.to_owned(),
        roles: Vec::new(),
    }
}

/// The inspector a task of a merchant in `org_id` goes to: a holder of the inspector role in the
/// merchant's branch, the merchant's own org first, then the one with the fewest open tasks.
async fn pick_inspector(
    conn: &mut PgConnection,
    org_id: Uuid,
    branch_path: &str,
) -> Result<Option<Inspector>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT u.id, u.username, u.display_name
             FROM users u
             JOIN orgs o ON o.id = u.org_id
            WHERE u.status = 'active' AND u.merchant_id IS NULL AND o.path LIKE $1 || '%'
              AND EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                           WHERE ur.user_id = u.id AND r.code = $3)
            ORDER BY (u.org_id = $2) DESC,
                     (SELECT count(*) FROM inspection_tasks t
                       WHERE t.inspector_id = u.id AND t.status IN ('pending', 'returned')),
                     u.username
            LIMIT 1"#,
        branch_path,
        org_id,
        quanyi_workflows::inspection::INSPECTOR_ROLE
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Inspector {
        user_id: r.id.to_string(),
        username: r.username,
        display_name: r.display_name,
    }))
}

/// The policies a task runs under, the inspector's SLA the time from `issued_at` to `due_at`
/// (the reminder at most a third of it before).
async fn policies(
    pool: &PgPool,
    issued_at: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> Result<(Policy, Policy, Policy), sqlx::Error> {
    let policy = |key: &'static str| async move {
        crate::process::inbox::policy_for(pool, key, "*")
            .await?
            .ok_or_else(|| sqlx::Error::Protocol(format!("no approval policy {key}")))
    };
    let mut inspect = policy(ProcessKind::Inspection.policy_key()).await?;
    let sla = u32::try_from((due_at - issued_at).num_seconds().max(1)).unwrap_or(u32::MAX);
    for level in &mut inspect.levels {
        level.sla_seconds = sla;
        level.remind_before_seconds = level.remind_before_seconds.min(sla / 3);
    }
    Ok((
        inspect,
        policy(INSPECTION_REVIEW_POLICY).await?,
        policy(INSPECTION_ACCEPTANCE_POLICY).await?,
    ))
}

/// The process's input for the task `id`.
pub async fn input_of(pool: &PgPool, id: Uuid) -> Result<Option<InspectionInput>, sqlx::Error> {
    let Some(task) = sqlx::query!(
        r#"SELECT t.id, t.code, t.org_id, t.checklist, t.due_at, t.created_at, t.issued_by,
                  m.code AS merchant_code, m.name AS merchant_name,
                  u.id AS "inspector_id?", u.username AS "inspector_username?",
                  u.display_name AS "inspector_name?",
                  iu.id AS "issuer_id?", iu.display_name AS "issuer_name?", io.path AS "issuer_org?"
             FROM inspection_tasks t
             JOIN merchants m ON m.id = t.merchant_id
             LEFT JOIN users u ON u.id = t.inspector_id
             LEFT JOIN users iu ON iu.username = t.issued_by
             LEFT JOIN orgs io ON io.id = iu.org_id
            WHERE t.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let chain = crate::campaign::org_chain(pool, task.org_id).await?;
    let branch_path = chain
        .0
        .iter()
        .find(|o| o.level == 2)
        .or(chain.0.first())
        .map(|o| o.path.clone())
        .unwrap_or_default();
    let issued_by = match (task.issuer_id, task.issuer_name) {
        (Some(user_id), Some(display_name)) => {
            let roles = sqlx::query_scalar!(
                "SELECT r.code FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = $1",
                user_id
            )
            .fetch_all(pool)
            .await?;
            Actor {
                user_id: user_id.to_string(),
                username: task.issued_by.clone(),
                display_name,
                org_path: task.issuer_org.unwrap_or_default(),
                roles,
            }
        }
        _ => round_actor(&branch_path),
    };
    let inspector = match (
        task.inspector_id,
        task.inspector_username,
        task.inspector_name,
    ) {
        (Some(id), Some(username), Some(display_name)) => Some(Inspector {
            user_id: id.to_string(),
            username,
            display_name,
        }),
        _ => None,
    };
    let (inspect_policy, review_policy, acceptance_policy) =
        policies(pool, task.created_at, task.due_at).await?;
    Ok(Some(InspectionInput {
        task_id: task.id.to_string(),
        task_code: task.code,
        merchant_code: task.merchant_code,
        merchant_name: task.merchant_name,
        org_id: task.org_id.to_string(),
        chain,
        issued_by,
        inspector,
        checklist: checklist_of(task.checklist)
            .into_iter()
            .map(ChecklistItem::from)
            .collect(),
        due_at: task.due_at,
        inspect_policy,
        review_policy,
        acceptance_policy,
    }))
}

/// Inserts one task (its number registered) unless the plan's cycle has one for the merchant.
#[allow(clippy::too_many_arguments)]
async fn insert_task(
    conn: &mut PgConnection,
    plan_id: Option<Uuid>,
    cycle: Option<&str>,
    merchant_id: Uuid,
    org_id: Uuid,
    checklist: &serde_json::Value,
    due_at: DateTime<Utc>,
    issued_by: &str,
    now: DateTime<Utc>,
) -> Result<Option<(Uuid, String)>, sqlx::Error> {
    let branch_path = sqlx::query_scalar!(
        r#"SELECT coalesce(b.path, o.path) AS "path!" FROM orgs o
             LEFT JOIN orgs b ON b.level = 2 AND o.path LIKE b.path || '%'
            WHERE o.id = $1"#,
        org_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let inspector = pick_inspector(&mut *conn, org_id, &branch_path).await?;
    let inspector_id = inspector
        .as_ref()
        .and_then(|i| Uuid::parse_str(&i.user_id).ok());
    let inserted = sqlx::query!(
        "INSERT INTO inspection_tasks (code, plan_id, cycle, merchant_id, org_id, inspector_id,
                                       checklist, due_at, issued_by, created_at, updated_at)
         VALUES (issue_business_no('XC', $9), $1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         ON CONFLICT (plan_id, cycle, merchant_id) WHERE plan_id IS NOT NULL DO NOTHING
         RETURNING id, code",
        plan_id,
        cycle,
        merchant_id,
        org_id,
        inspector_id,
        checklist,
        due_at,
        issued_by,
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(task) = inserted else {
        return Ok(None);
    };
    numbers::register(
        conn,
        Series::Inspection,
        &task.id.to_string(),
        &task.code,
        now,
    )
    .await?;
    Ok(Some((task.id, task.code)))
}

/// A plan's round: the tasks of its merchants for the cycle `at` falls in, created once per
/// merchant (a paused or deleted plan creates none); answers the inputs of every task of the
/// cycle whose process has not started yet.
pub async fn issue_round(
    pool: &PgPool,
    request: &RoundRequest,
) -> Result<Vec<InspectionInput>, sqlx::Error> {
    let Ok(plan_id) = Uuid::parse_str(&request.plan_id) else {
        return Ok(Vec::new());
    };
    let at = request.at;
    let mut tx = pool.begin().await?;
    let Some(plan) = sqlx::query!(
        "SELECT p.id, p.name, p.cycle, p.status, p.checklist, p.due_days, p.category,
                so.path AS \"scope_path?\"
           FROM inspection_plans p LEFT JOIN orgs so ON so.id = p.scope_org_id
          WHERE p.id = $1 FOR UPDATE OF p",
        plan_id
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Vec::new());
    };
    let cycle = Cycle::parse(&plan.cycle).unwrap_or(Cycle::Monthly).key(at);
    if plan.status == "active" {
        let merchants = sqlx::query!(
            "SELECT m.id, m.org_id FROM merchants m JOIN orgs o ON o.id = m.org_id
              WHERE m.status = 'active'
                AND ($1::text IS NULL OR m.business_category = $1)
                AND ($2::text IS NULL OR o.path LIKE $2 || '%')
              ORDER BY m.code",
            plan.category,
            plan.scope_path
        )
        .fetch_all(&mut *tx)
        .await?;
        let due_at = at + Duration::days(i64::from(plan.due_days));
        let mut created = 0;
        for merchant in merchants {
            if insert_task(
                &mut tx,
                Some(plan.id),
                Some(&cycle),
                merchant.id,
                merchant.org_id,
                &plan.checklist,
                due_at,
                "system",
                at,
            )
            .await?
            .is_some()
            {
                created += 1;
            }
        }
        tracing::info!(plan = %plan.name, cycle = %cycle, created, "inspection round");
    }
    let waiting = sqlx::query_scalar!(
        "SELECT id FROM inspection_tasks
          WHERE plan_id = $1 AND cycle = $2 AND NOT started ORDER BY code",
        plan.id,
        cycle
    )
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let mut inputs = Vec::new();
    for id in waiting {
        inputs.extend(input_of(pool, id).await?);
    }
    Ok(inputs)
}

/// Marks the tasks whose processes were started.
pub async fn mark_started(pool: &PgPool, ids: &[String]) -> Result<(), sqlx::Error> {
    let ids: Vec<Uuid> = ids.iter().filter_map(|i| Uuid::parse_str(i).ok()).collect();
    sqlx::query!(
        "UPDATE inspection_tasks SET started = true WHERE id = ANY($1)",
        &ids[..]
    )
    .execute(pool)
    .await?;
    Ok(())
}

/// Why a task could not be issued by hand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssueRefusal {
    /// No such merchant within the caller's data scope.
    UnknownMerchant,
    /// The named inspector is not an inspector of the merchant's branch.
    NotAnInspector,
}

/// Issues a task for one merchant by hand, audited; the caller starts its process (and marks it
/// started).
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    pool: &PgPool,
    merchant_code: &str,
    checklist: &[ChecklistEntry],
    due_at: DateTime<Utc>,
    inspector: Option<&str>,
    scope: &DataScope,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(Uuid, String), IssueRefusal>, sqlx::Error> {
    let Some(merchant) = sqlx::query!(
        "SELECT id, org_id FROM merchants WHERE code = $1",
        merchant_code
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(Err(IssueRefusal::UnknownMerchant));
    };
    if !scope::in_scope_org(pool, scope, merchant.org_id).await? {
        return Ok(Err(IssueRefusal::UnknownMerchant));
    }
    let mut tx = pool.begin().await?;
    let checklist_json = serde_json::to_value(checklist).unwrap_or_default();
    let issuer = by.username.clone().unwrap_or_default();
    let (id, code) = insert_task(
        &mut tx,
        None,
        None,
        merchant.id,
        merchant.org_id,
        &checklist_json,
        due_at,
        &issuer,
        now,
    )
    .await?
    .ok_or_else(|| sqlx::Error::Protocol("a task by hand is always inserted".into()))?;
    if let Some(username) = inspector {
        let chosen = sqlx::query_scalar!(
            r#"SELECT u.id FROM users u JOIN orgs o ON o.id = u.org_id
                 JOIN orgs mo ON mo.id = $2
                 LEFT JOIN orgs b ON b.level = 2 AND mo.path LIKE b.path || '%'
                WHERE u.username = $1 AND u.status = 'active' AND u.merchant_id IS NULL
                  AND o.path LIKE coalesce(b.path, mo.path) || '%'
                  AND EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                               WHERE ur.user_id = u.id AND r.code = $3)"#,
            username,
            merchant.org_id,
            quanyi_workflows::inspection::INSPECTOR_ROLE
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(chosen) = chosen else {
            return Ok(Err(IssueRefusal::NotAnInspector));
        };
        sqlx::query!(
            "UPDATE inspection_tasks SET inspector_id = $2 WHERE id = $1",
            id,
            chosen
        )
        .execute(&mut *tx)
        .await?;
    }
    let entry = Entry {
        action: "merchant.inspection.issue",
        target: Some(code.clone()),
        after: Some(json!({
            "merchant_code": merchant_code, "due_at": due_at, "inspector": inspector,
            "checklist": checklist,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok((id, code)))
}

// ---- what the process records --------------------------------------------------------------

/// Notices to the merchant's administrators (its users holding the merchant role).
async fn tell_merchant(
    conn: &mut PgConnection,
    routing: &Routing,
    record: &InspectionRecord,
    subject: &str,
    body: &str,
) -> Result<(), sqlx::Error> {
    let users = sqlx::query_scalar!(
        "SELECT u.username FROM inspection_tasks t JOIN users u ON u.merchant_id = t.merchant_id
          WHERE t.id = $1::text::uuid AND u.status = 'active'
            AND EXISTS (SELECT 1 FROM user_roles ur JOIN roles r ON r.id = ur.role_id
                         WHERE ur.user_id = u.id AND r.code = $2)
          ORDER BY u.username",
        record.task_id,
        quanyi_workflows::inspection::MERCHANT_ROLE
    )
    .fetch_all(&mut *conn)
    .await?;
    for username in users {
        let notice = Notice {
            key: format!("{}/{}/merchant/{username}", record.workflow_id, record.seq),
            kind: NoticeKind::Other,
            workflow_id: record.workflow_id.clone(),
            callback: None,
            username,
            subject: subject.to_owned(),
            body: body.to_owned(),
            at: record.at,
        };
        crate::process::notify(&mut *conn, routing, &notice).await?;
    }
    Ok(())
}

/// Tells the holders of the review role in `org` that a rectification is overdue.
async fn tell_superior(
    conn: &mut PgConnection,
    routing: &Routing,
    record: &InspectionRecord,
    org: Uuid,
    subject: &str,
) -> Result<(), sqlx::Error> {
    let users = sqlx::query_scalar!(
        "SELECT DISTINCT u.username FROM users u
           JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id
          WHERE u.org_id = $1 AND u.status = 'active' AND u.merchant_id IS NULL
            AND r.code IN ('first_reviewer', 'merchant_manager')
          ORDER BY u.username",
        org
    )
    .fetch_all(&mut *conn)
    .await?;
    for username in users {
        let notice = Notice {
            key: format!("{}/{}/escalate/{username}", record.workflow_id, record.seq),
            kind: NoticeKind::Other,
            workflow_id: record.workflow_id.clone(),
            callback: None,
            username,
            subject: subject.to_owned(),
            body: format!("{subject}，请督办。"),
            at: record.at,
        };
        crate::process::notify(&mut *conn, routing, &notice).await?;
    }
    Ok(())
}

/// Keeps what a task's process did, once: the task's status and the change's own data; the
/// merchant hears of a rectification asked, accepted or sent back, the superior org of one
/// overdue. A retried record finds its change there and writes nothing twice.
pub async fn record(
    pool: &PgPool,
    routing: &Routing,
    record: &InspectionRecord,
) -> Result<(), sqlx::Error> {
    let id = Uuid::parse_str(&record.task_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut tx = pool.begin().await?;
    let task = sqlx::query!(
        "SELECT t.code, m.name AS merchant_name FROM inspection_tasks t
           JOIN merchants m ON m.id = t.merchant_id WHERE t.id = $1 FOR UPDATE OF t",
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    let at = record.at;
    let by = record.by.clone();
    sqlx::query!(
        "UPDATE inspection_tasks SET status = $2, updated_at = $3 WHERE id = $1",
        id,
        record.status,
        at
    )
    .execute(&mut *tx)
    .await?;
    let local = |t: DateTime<Utc>| {
        t.with_timezone(&beijing())
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    match &record.change {
        InspectionChange::Submitted { answers } => {
            let serious = answers.iter().any(|a| a.serious);
            let answers = serde_json::to_value(answers).unwrap_or_default();
            sqlx::query!(
                "UPDATE inspection_tasks
                    SET answers = $2, serious = $3, submitted_by = $4, submitted_at = $5,
                        return_reason = NULL
                  WHERE id = $1",
                id,
                answers,
                serious,
                by,
                at
            )
            .execute(&mut *tx)
            .await?;
        }
        InspectionChange::Confirmed { .. } | InspectionChange::Cancelled => {
            sqlx::query!(
                "UPDATE inspection_tasks SET decided_by = $2, decided_at = $3 WHERE id = $1",
                id,
                by,
                at
            )
            .execute(&mut *tx)
            .await?;
        }
        InspectionChange::Returned { reason } => {
            sqlx::query!(
                "UPDATE inspection_tasks SET return_reason = $2 WHERE id = $1",
                id,
                reason.as_deref()
            )
            .execute(&mut *tx)
            .await?;
        }
        InspectionChange::RectificationRequested {
            round,
            requirement,
            deadline,
        } => {
            let round = i32::try_from(*round).unwrap_or(i32::MAX);
            sqlx::query!(
                "UPDATE inspection_tasks SET decided_by = $2, decided_at = $3 WHERE id = $1",
                id,
                by,
                at
            )
            .execute(&mut *tx)
            .await?;
            sqlx::query!(
                "INSERT INTO inspection_rectifications (task_id, round, requirement, deadline,
                                                        requested_by, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                id,
                round,
                requirement,
                deadline,
                by,
                at
            )
            .execute(&mut *tx)
            .await?;
            let subject = format!("巡查整改通知：{}", task.code);
            let body = format!(
                "贵商户{}的巡查任务{}需整改：{requirement}。请于{}前登录商户后台「巡查结果/整改」提交整改情况。",
                task.merchant_name,
                task.code,
                local(*deadline)
            );
            tell_merchant(&mut tx, routing, record, &subject, &body).await?;
        }
        InspectionChange::RectificationAnswered {
            round,
            answer,
            files,
        } => {
            let round = i32::try_from(*round).unwrap_or(i32::MAX);
            let files = serde_json::to_value(files).unwrap_or_default();
            sqlx::query!(
                "UPDATE inspection_rectifications
                    SET status = 'answered', answer = $3, answer_files = $4, answered_by = $5,
                        answered_at = $6
                  WHERE task_id = $1 AND round = $2",
                id,
                round,
                answer,
                files,
                by,
                at
            )
            .execute(&mut *tx)
            .await?;
        }
        InspectionChange::RectificationAccepted { round, comment }
        | InspectionChange::RectificationReturned {
            round,
            reason: comment,
        } => {
            let accepted = matches!(
                record.change,
                InspectionChange::RectificationAccepted { .. }
            );
            let round = i32::try_from(*round).unwrap_or(i32::MAX);
            sqlx::query!(
                "UPDATE inspection_rectifications
                    SET status = $3, decided_by = $4, decided_at = $5, decision_comment = $6
                  WHERE task_id = $1 AND round = $2",
                id,
                round,
                if accepted { "accepted" } else { "returned" },
                by,
                at,
                comment.as_deref()
            )
            .execute(&mut *tx)
            .await?;
            if !accepted {
                // sent back: the merchant answers the same requirement again
                sqlx::query!(
                    "INSERT INTO inspection_rectifications (task_id, round, requirement, deadline,
                                                            requested_by, created_at, escalated_at,
                                                            escalated_org)
                     SELECT task_id, round + 1, requirement, deadline, $3, $4, escalated_at,
                            escalated_org
                       FROM inspection_rectifications WHERE task_id = $1 AND round = $2
                     ON CONFLICT DO NOTHING",
                    id,
                    round,
                    by,
                    at
                )
                .execute(&mut *tx)
                .await?;
            }
            let (subject, body) = if accepted {
                (
                    format!("整改已验收：{}", task.code),
                    format!(
                        "贵商户{}的巡查任务{}整改已验收通过。",
                        task.merchant_name, task.code
                    ),
                )
            } else {
                (
                    format!("整改被退回：{}", task.code),
                    format!(
                        "贵商户{}的巡查任务{}整改未通过，请重新提交。{}",
                        task.merchant_name,
                        task.code,
                        comment
                            .as_deref()
                            .map(|c| format!("意见：{c}"))
                            .unwrap_or_default()
                    ),
                )
            };
            tell_merchant(&mut tx, routing, record, &subject, &body).await?;
        }
        InspectionChange::RectificationEscalated {
            round,
            superior_org,
        } => {
            let round = i32::try_from(*round).unwrap_or(i32::MAX);
            let org = superior_org
                .as_deref()
                .and_then(|o| Uuid::parse_str(o).ok());
            let first = sqlx::query!(
                "UPDATE inspection_rectifications SET escalated_at = $3, escalated_org = $4
                  WHERE task_id = $1 AND round = $2 AND escalated_at IS NULL",
                id,
                round,
                at,
                org
            )
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if first && let Some(org) = org {
                let subject = format!("整改超期：{}（{}）", task.code, task.merchant_name);
                tell_superior(&mut tx, routing, record, org, &subject).await?;
            }
        }
    }
    tx.commit().await
}

/// The inspection activities: a round's tasks, their start, and what each process records.
pub struct InspectionActivities {
    pool: PgPool,
    routing: Routing,
}

impl InspectionActivities {
    pub fn new(pool: PgPool, routing: Routing) -> Self {
        Self { pool, routing }
    }
}

#[temporalio_macros::activities]
impl InspectionActivities {
    #[activity(definition = quanyi_workflows::inspection::IssueRound)]
    pub async fn issue_round(
        self: std::sync::Arc<Self>,
        _ctx: temporalio_sdk::activities::ActivityContext,
        request: RoundRequest,
    ) -> Result<Vec<InspectionInput>, temporalio_sdk::activities::ActivityError> {
        issue_round(&self.pool, &request).await.map_err(Into::into)
    }

    #[activity(definition = quanyi_workflows::inspection::MarkStarted)]
    pub async fn mark_started(
        self: std::sync::Arc<Self>,
        _ctx: temporalio_sdk::activities::ActivityContext,
        ids: Vec<String>,
    ) -> Result<(), temporalio_sdk::activities::ActivityError> {
        mark_started(&self.pool, &ids).await.map_err(Into::into)
    }

    #[activity(definition = quanyi_workflows::inspection::RecordInspection)]
    pub async fn record(
        self: std::sync::Arc<Self>,
        _ctx: temporalio_sdk::activities::ActivityContext,
        input: InspectionRecord,
    ) -> Result<(), temporalio_sdk::activities::ActivityError> {
        record(&self.pool, &self.routing, &input)
            .await
            .map_err(Into::into)
    }
}
