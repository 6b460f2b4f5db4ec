//! The read side of every process (WF-7, WF-8): the inbox 待办任务 (what I may act on, what I
//! decided, what I started), the monitor 流程监控 (every process in my data scope, with filters),
//! and the approval policies the processes copy when they start.

use crate::audit::{self, Entry};
use crate::identity::scope::DataScope;
use chrono::{DateTime, Utc};
use quanyi_workflows::approval::{Level, Policy};
use serde::Serialize;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

/// Who is asking: the inbox's rules need the user's name, org and roles.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user_id: Uuid,
    pub username: String,
    pub org_id: Uuid,
    pub org_path: String,
    pub roles: Vec<String>,
}

/// The user's org path and role codes, for [`Viewer`] and for the workflow's `Actor`.
pub async fn viewer(pool: &PgPool, user_id: Uuid) -> Result<Option<Viewer>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT u.username, u.org_id, o.path,
                  coalesce(array_agg(r.code ORDER BY r.code) FILTER (WHERE r.code IS NOT NULL),
                           '{}') AS "roles!"
             FROM users u JOIN orgs o ON o.id = u.org_id
             LEFT JOIN user_roles ur ON ur.user_id = u.id
             LEFT JOIN roles r ON r.id = ur.role_id
            WHERE u.id = $1 AND u.status = 'active'
            GROUP BY u.id, o.path"#,
        user_id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Viewer {
        user_id,
        username: r.username,
        org_id: r.org_id,
        org_path: r.path,
        roles: r.roles,
    }))
}

/// Which inbox tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// Open tasks the viewer may act on.
    Todo,
    /// Tasks the viewer decided.
    Done,
    /// Tasks of submissions the viewer made.
    Mine,
}

impl Tab {
    fn code(self) -> &'static str {
        match self {
            Tab::Todo => "todo",
            Tab::Done => "done",
            Tab::Mine => "mine",
        }
    }
}

/// A task as the inbox shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskRow {
    pub id: Uuid,
    pub workflow_id: String,
    pub process_type: String,
    /// The internal key the workflow id names (e.g. a campaign's UUID): for links, not for people.
    pub business_key: String,
    /// The business number staff know the object by (`HD20261207000012`), when it has one.
    pub business_no: Option<String>,
    /// `approval` (decide a level) or `rework` (a returned submission, back with its submitter).
    pub kind: String,
    pub title: Option<String>,
    pub step: String,
    pub level: i16,
    pub level_name: Option<String>,
    /// The process's state now.
    pub state: String,
    pub submitted_by: Option<String>,
    pub assignee: Option<String>,
    pub created_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub status: String,
    pub outcome: Option<String>,
    pub decided_by: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
    pub comment: Option<String>,
}

/// Lists and badges count their matches up to this many; past it they say "more than".
pub const COUNT_CAP: i64 = 10_000;

/// One inbox tab, optionally of one process type, optionally of the processes whose business
/// number or title contains `search`: 待办 and 我发起的 newest first, 已办 by 办结时间 (when the task
/// was closed), newest first. A rework task is its assignee's alone, and never among the
/// reviewer's submissions. The count stops at [`COUNT_CAP`] (`capped`).
///
/// Each tab is its own branch of one statement, gated by the tab parameter, with its own order
/// and limit, so that each walks its own index (`tasks_open_order_idx`, `tasks_done_order_idx`,
/// `tasks_mine_order_idx`) and stops at the page: a reviewer with 75,000 decided tasks reads 20
/// of them, not all of them sorted (issue 22's seeded bank: 472 → 11 ms).
#[tracing::instrument(skip(pool, viewer), fields(username = %viewer.username))]
#[allow(clippy::too_many_arguments)]
pub async fn tasks(
    pool: &PgPool,
    viewer: &Viewer,
    tab: Tab,
    process_type: Option<&str>,
    search: Option<&str>,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<TaskPage, sqlx::Error> {
    let search = crate::numbers::contains_pattern(search);
    let mut tx = custom_plans(pool).await?;
    let rows = sqlx::query!(
        r#"WITH page AS (
             (SELECT * FROM (
               (SELECT t.id, t.closed_at, t.created_at
                  FROM tasks t
                  JOIN process_instances p ON p.workflow_id = t.workflow_id
                 WHERE $1 = 'todo' AND t.status = 'open' AND t.assignee = $3
                   AND (t.kind = 'rework' OR t.submitted_by IS DISTINCT FROM $2)
                   AND ($6::text IS NULL OR p.process_type = $6)
                   AND ($10::text IS NULL OR p.business_no ILIKE $10 OR p.title ILIKE $10)
                 ORDER BY t.created_at DESC, t.id
                 LIMIT $8::bigint + $9::bigint)
               UNION ALL
               (SELECT t.id, t.closed_at, t.created_at
                  FROM tasks t
                  JOIN process_instances p ON p.workflow_id = t.workflow_id
                  JOIN orgs so ON so.id = t.org_scope
                 WHERE $1 = 'todo' AND t.status = 'open' AND t.assignee IS NULL
                   AND t.kind <> 'rework' AND t.submitted_by IS DISTINCT FROM $2
                   AND t.candidate_roles && $5
                   AND EXISTS (SELECT 1 FROM tasks g
                                WHERE g.status = 'open' AND g.assignee IS NULL
                                  AND g.candidate_roles && $5)
                   AND ($4 = so.path
                        OR (t.include_descendants AND $4 LIKE so.path || '%')
                        OR t.escalated_org = (SELECT org_id FROM users WHERE id = $3))
                   AND ($6::text IS NULL OR p.process_type = $6)
                   AND ($10::text IS NULL OR p.business_no ILIKE $10 OR p.title ILIKE $10)
                 ORDER BY t.created_at DESC, t.id
                 LIMIT $8::bigint + $9::bigint)) todo
              ORDER BY created_at DESC, id
              LIMIT $8 OFFSET $9)
             UNION ALL
             (SELECT t.id, t.closed_at, t.created_at
                FROM tasks t
                JOIN process_instances p ON p.workflow_id = t.workflow_id
                JOIN orgs so ON so.id = t.org_scope
               WHERE $1 = 'done' AND t.decided_by = $2
                 AND ($6::text IS NULL OR p.process_type = $6)
                 AND ($10::text IS NULL OR p.business_no ILIKE $10 OR p.title ILIKE $10)
               ORDER BY t.closed_at DESC NULLS LAST, t.created_at DESC, t.id
               LIMIT $8 OFFSET $9)
             UNION ALL
             (SELECT t.id, t.closed_at, t.created_at
                FROM tasks t
                JOIN process_instances p ON p.workflow_id = t.workflow_id
                JOIN orgs so ON so.id = t.org_scope
               WHERE $1 = 'mine' AND t.submitted_by = $2 AND t.kind = 'approval'
                 AND ($6::text IS NULL OR p.process_type = $6)
                 AND ($10::text IS NULL OR p.business_no ILIKE $10 OR p.title ILIKE $10)
               ORDER BY t.created_at DESC, t.id
               LIMIT $8 OFFSET $9))
           SELECT t.id, t.workflow_id, p.process_type, p.business_key, p.business_no, t.kind,
                  coalesce(t.title, p.title) AS title,
                  t.step, t.level, t.level_name, p.state, t.submitted_by, a.username AS "assignee?",
                  t.created_at, t.due_at, t.status, t.outcome, t.decided_by, t.closed_at, t.comment,
                  coalesce(t.status = 'open' AND t.due_at < $7, false) AS "overdue!"
             FROM page
             JOIN tasks t ON t.id = page.id
             JOIN process_instances p ON p.workflow_id = t.workflow_id
             LEFT JOIN users a ON a.id = t.assignee
            ORDER BY CASE WHEN $1 = 'done' THEN page.closed_at END DESC NULLS LAST,
                     page.created_at DESC, page.id"#,
        tab.code(),
        viewer.username,
        viewer.user_id,
        viewer.org_path,
        &viewer.roles,
        process_type,
        now,
        limit,
        offset,
        search,
    )
    .fetch_all(&mut *tx)
    .await?;
    let (total, _) = count(&mut tx, viewer, tab, process_type, search.as_deref(), now).await?;
    tx.commit().await?;
    Ok(TaskPage {
        items: rows
            .into_iter()
            .map(|r| TaskRow {
                id: r.id,
                workflow_id: r.workflow_id,
                process_type: r.process_type,
                business_key: r.business_key,
                business_no: r.business_no,
                kind: r.kind,
                title: r.title,
                step: r.step,
                level: r.level,
                level_name: r.level_name,
                state: r.state,
                submitted_by: r.submitted_by,
                assignee: r.assignee,
                created_at: r.created_at,
                due_at: r.due_at,
                overdue: r.overdue,
                status: r.status,
                outcome: r.outcome,
                decided_by: r.decided_by,
                closed_at: r.closed_at,
                comment: r.comment,
            })
            .collect(),
        total: total.min(COUNT_CAP),
        total_capped: total > COUNT_CAP,
    })
}

/// A read-only transaction whose statements are planned for their parameters each time.
///
/// The inbox's statements branch on their parameters (the tab, the roles); a generic plan,
/// which PostgreSQL switches to after five executions of a prepared statement, cannot see which
/// branch runs or how few tasks a role has: on the seeded bank it scanned every open task for
/// the gate that a custom plan answers from `tasks_open_roles_idx` (planner's 待办: 31 ms → 0.5
/// ms), and started a parallel worker for a tab that was not asked.
async fn custom_plans(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    Ok(tx)
}

/// One page of a tab and the count of its matches, up to 10,000.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskPage {
    pub items: Vec<TaskRow>,
    /// The matches, counted up to 10,000 (`total_capped`: more than that; narrow the search).
    pub total: i64,
    pub total_capped: bool,
}

/// How many tasks a tab holds (up to [`COUNT_CAP`] + 1, so that more can be told from exactly
/// the cap), and how many of them are open past their due time (the earliest due are counted
/// first, so the overdue are all counted unless they alone pass the cap). The same branches as [`tasks`]
/// (`search` is already a pattern).
async fn count(
    conn: &mut PgConnection,
    viewer: &Viewer,
    tab: Tab,
    process_type: Option<&str>,
    search: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(i64, i64), sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT count(*) AS "n!", count(*) FILTER (WHERE overdue) AS "overdue!" FROM (
             (SELECT t.due_at < $7 AS overdue
                FROM tasks t
                JOIN process_instances p ON p.workflow_id = t.workflow_id
               WHERE $1 = 'todo' AND t.status = 'open' AND t.assignee = $3
                 AND (t.kind = 'rework' OR t.submitted_by IS DISTINCT FROM $2)
                 AND ($6::text IS NULL OR p.process_type = $6)
                 AND ($9::text IS NULL OR p.business_no ILIKE $9 OR p.title ILIKE $9)
               ORDER BY t.due_at NULLS LAST
               LIMIT $8)
             UNION ALL
             (SELECT t.due_at < $7 AS overdue
                FROM tasks t
                JOIN process_instances p ON p.workflow_id = t.workflow_id
                JOIN orgs so ON so.id = t.org_scope
               WHERE $1 = 'todo' AND t.status = 'open' AND t.assignee IS NULL
                 AND t.kind <> 'rework' AND t.submitted_by IS DISTINCT FROM $2
                 AND t.candidate_roles && $5
                 AND EXISTS (SELECT 1 FROM tasks g
                              WHERE g.status = 'open' AND g.assignee IS NULL
                                AND g.candidate_roles && $5)
                 AND ($4 = so.path
                      OR (t.include_descendants AND $4 LIKE so.path || '%')
                      OR t.escalated_org = (SELECT org_id FROM users WHERE id = $3))
                 AND ($6::text IS NULL OR p.process_type = $6)
                 AND ($9::text IS NULL OR p.business_no ILIKE $9 OR p.title ILIKE $9)
               ORDER BY t.due_at NULLS LAST
               LIMIT $8)
             UNION ALL
             (SELECT false
                FROM tasks t
                JOIN process_instances p ON p.workflow_id = t.workflow_id
                JOIN orgs so ON so.id = t.org_scope
               WHERE $1 = 'done' AND t.decided_by = $2
                 AND ($6::text IS NULL OR p.process_type = $6)
                 AND ($9::text IS NULL OR p.business_no ILIKE $9 OR p.title ILIKE $9)
               LIMIT $8)
             UNION ALL
             (SELECT false
                FROM tasks t
                JOIN process_instances p ON p.workflow_id = t.workflow_id
                JOIN orgs so ON so.id = t.org_scope
               WHERE $1 = 'mine' AND t.submitted_by = $2 AND t.kind = 'approval'
                 AND ($6::text IS NULL OR p.process_type = $6)
                 AND ($9::text IS NULL OR p.business_no ILIKE $9 OR p.title ILIKE $9)
               LIMIT $8)) matched"#,
        tab.code(),
        viewer.username,
        viewer.user_id,
        viewer.org_path,
        &viewer.roles,
        process_type,
        now,
        COUNT_CAP + 1,
        search,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok((row.n, row.overdue))
}

/// The badge numbers, each counted up to 10,000 (`capped`: one of them is more than that).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskCounts {
    pub todo: i64,
    /// Open tasks past their due time, among the to-do counted.
    pub overdue: i64,
    pub done: i64,
    pub mine: i64,
    pub capped: bool,
}

pub async fn counts(
    pool: &PgPool,
    viewer: &Viewer,
    now: DateTime<Utc>,
) -> Result<TaskCounts, sqlx::Error> {
    let mut tx = custom_plans(pool).await?;
    let (todo, overdue) = count(&mut tx, viewer, Tab::Todo, None, None, now).await?;
    let (done, _) = count(&mut tx, viewer, Tab::Done, None, None, now).await?;
    let (mine, _) = count(&mut tx, viewer, Tab::Mine, None, None, now).await?;
    tx.commit().await?;
    Ok(TaskCounts {
        todo: todo.min(COUNT_CAP),
        overdue: overdue.min(COUNT_CAP),
        done: done.min(COUNT_CAP),
        mine: mine.min(COUNT_CAP),
        capped: [todo, done, mine].iter().any(|n| *n > COUNT_CAP),
    })
}

/// A task by id, for acting on it.
#[derive(Debug, Clone)]
pub struct TaskKey {
    pub workflow_id: String,
    pub kind: String,
    pub process_type: String,
    pub business_key: String,
    pub step: String,
    pub level: i16,
    pub status: String,
}

pub async fn task(pool: &PgPool, id: Uuid) -> Result<Option<TaskKey>, sqlx::Error> {
    sqlx::query_as!(
        TaskKey,
        "SELECT t.workflow_id, t.kind, p.process_type, p.business_key, t.step, t.level, t.status
           FROM tasks t JOIN process_instances p ON p.workflow_id = t.workflow_id
          WHERE t.id = $1",
        id
    )
    .fetch_optional(pool)
    .await
}

/// The tasks of one process, oldest first.
pub async fn tasks_of(
    pool: &PgPool,
    workflow_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<TaskRow>, sqlx::Error> {
    sqlx::query_as!(
        TaskRow,
        r#"SELECT t.id, t.workflow_id, p.process_type, p.business_key, p.business_no, t.kind,
                  coalesce(t.title, p.title) AS title,
                  t.step, t.level, t.level_name, p.state, t.submitted_by, a.username AS "assignee?",
                  t.created_at, t.due_at, t.status, t.outcome, t.decided_by, t.closed_at, t.comment,
                  coalesce(t.status = 'open' AND t.due_at < $2, false) AS "overdue!"
             FROM tasks t
             JOIN process_instances p ON p.workflow_id = t.workflow_id
             LEFT JOIN users a ON a.id = t.assignee
            WHERE t.workflow_id = $1
            ORDER BY t.created_at, t.level"#,
        workflow_id,
        now
    )
    .fetch_all(pool)
    .await
}

/// One step of a process's timeline.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub seq: i32,
    pub from_state: Option<String>,
    pub to_state: String,
    pub event: String,
    pub actor: Option<String>,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
}

pub async fn timeline(pool: &PgPool, workflow_id: &str) -> Result<Vec<TimelineEntry>, sqlx::Error> {
    sqlx::query_as!(
        TimelineEntry,
        "SELECT seq, from_state, to_state, event, actor, comment, at
           FROM process_transitions WHERE workflow_id = $1 ORDER BY seq",
        workflow_id
    )
    .fetch_all(pool)
    .await
}

/// A process as the monitor lists it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProcessRow {
    pub workflow_id: String,
    pub process_type: String,
    /// The internal key the workflow id names: for links, not for people.
    pub business_key: String,
    /// The business number staff know the object by, when it has one.
    pub business_no: Option<String>,
    pub title: Option<String>,
    pub state: String,
    pub org_name: Option<String>,
    pub started_by: Option<String>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    /// An open task is past its due time.
    pub overdue: bool,
}

#[derive(Debug, Default)]
pub struct ProcessFilter {
    pub process_type: Option<String>,
    pub state: Option<String>,
    pub overdue: bool,
    /// Still running and no transition for this many hours.
    pub stale_hours: Option<i32>,
    /// The business number, part of it, or part of the title; or the whole internal key.
    pub search: Option<String>,
    pub workflow_id: Option<String>,
}

/// Processes in the data scope (by the org that owns them), most recently moved first. The page
/// walks `process_instances_updated_idx` and stops at the page; [`count_processes`] counts.
#[tracing::instrument(skip(pool))]
pub async fn processes(
    pool: &PgPool,
    scope: &DataScope,
    filter: &ProcessFilter,
    now: DateTime<Utc>,
    limit: i64,
    offset: i64,
) -> Result<Vec<ProcessRow>, sqlx::Error> {
    let f = ScopeFilter::new(scope, filter);
    let rows = sqlx::query!(
        r#"SELECT p.workflow_id, p.process_type, p.business_key, p.business_no, p.title, p.state,
                  o.name AS "org_name?", p.started_by, p.started_at, p.updated_at, p.ended_at,
                  EXISTS (SELECT 1 FROM tasks t WHERE t.workflow_id = p.workflow_id
                                                  AND t.status = 'open' AND t.due_at < $11)
                      AS "overdue!"
             FROM process_instances p
             LEFT JOIN orgs o ON o.id = p.org_id
            WHERE ($1 OR o.path LIKE $2 || '%' OR o.id = $3
                   OR p.started_by = (SELECT username FROM users WHERE id = $4))
              AND ($5::text IS NULL OR p.process_type = $5)
              AND ($6::text IS NULL OR p.state = $6)
              AND (NOT $7 OR EXISTS (SELECT 1 FROM tasks t WHERE t.workflow_id = p.workflow_id
                                                           AND t.status = 'open' AND t.due_at < $11))
              AND ($8::int IS NULL OR (p.ended_at IS NULL
                                       AND p.updated_at < $11 - make_interval(hours => $8)))
              AND ($9::text IS NULL OR p.business_key = $9 OR p.business_no ILIKE $14
                   OR p.title ILIKE $14)
              AND ($10::text IS NULL OR p.workflow_id = $10)
            ORDER BY p.updated_at DESC, p.workflow_id
            LIMIT $12 OFFSET $13"#,
        f.all,
        f.path,
        f.org,
        f.user,
        filter.process_type,
        filter.state,
        filter.overdue,
        filter.stale_hours,
        f.search,
        filter.workflow_id,
        now,
        limit,
        offset,
        f.pattern,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ProcessRow {
            workflow_id: r.workflow_id,
            process_type: r.process_type,
            business_key: r.business_key,
            business_no: r.business_no,
            title: r.title,
            state: r.state,
            org_name: r.org_name,
            started_by: r.started_by,
            started_at: r.started_at,
            updated_at: r.updated_at,
            ended_at: r.ended_at,
            overdue: r.overdue,
        })
        .collect())
}

/// How many processes [`processes`] would list, up to [`COUNT_CAP`] + 1 (so that more can be
/// told from exactly the cap).
#[tracing::instrument(skip(pool))]
pub async fn count_processes(
    pool: &PgPool,
    scope: &DataScope,
    filter: &ProcessFilter,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let f = ScopeFilter::new(scope, filter);
    sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
             SELECT 1
               FROM process_instances p
               LEFT JOIN orgs o ON o.id = p.org_id
              WHERE ($1 OR o.path LIKE $2 || '%' OR o.id = $3
                     OR p.started_by = (SELECT username FROM users WHERE id = $4))
                AND ($5::text IS NULL OR p.process_type = $5)
                AND ($6::text IS NULL OR p.state = $6)
                AND (NOT $7 OR EXISTS (SELECT 1 FROM tasks t WHERE t.workflow_id = p.workflow_id
                                                             AND t.status = 'open' AND t.due_at < $11))
                AND ($8::int IS NULL OR (p.ended_at IS NULL
                                         AND p.updated_at < $11 - make_interval(hours => $8)))
                AND ($9::text IS NULL OR p.business_key = $9 OR p.business_no ILIKE $13
                     OR p.title ILIKE $13)
                AND ($10::text IS NULL OR p.workflow_id = $10)
              LIMIT $12) matched"#,
        f.all,
        f.path,
        f.org,
        f.user,
        filter.process_type,
        filter.state,
        filter.overdue,
        filter.stale_hours,
        f.search,
        filter.workflow_id,
        now,
        COUNT_CAP + 1,
        f.pattern,
    )
    .fetch_one(pool)
    .await
}

/// The data scope and the search as the monitor's statements take them.
struct ScopeFilter<'a> {
    all: bool,
    path: Option<String>,
    org: Option<Uuid>,
    user: Option<Uuid>,
    search: Option<&'a str>,
    pattern: Option<String>,
}

impl<'a> ScopeFilter<'a> {
    fn new(scope: &DataScope, filter: &'a ProcessFilter) -> Self {
        let (all, path, org, user) = match scope {
            DataScope::All => (true, None, None, None),
            DataScope::OrgAndBelow(path) => (false, Some(path.clone()), None, None),
            DataScope::Org(org) => (false, None, Some(*org), None),
            DataScope::SelfOnly(user) => (false, None, None, Some(*user)),
        };
        let search = filter
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        Self {
            all,
            path,
            org,
            user,
            search,
            pattern: crate::numbers::contains_pattern(search),
        }
    }
}

/// An approval policy as stored.
#[derive(Debug, Clone)]
pub struct PolicyRow {
    pub process_type: String,
    pub variant: String,
    pub label: String,
    pub levels: Vec<Level>,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn policies(pool: &PgPool) -> Result<Vec<PolicyRow>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT process_type, variant, label, levels, updated_by, updated_at
           FROM approval_policies ORDER BY process_type, variant"
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(PolicyRow {
                levels: serde_json::from_value(r.levels).ok()?,
                process_type: r.process_type,
                variant: r.variant,
                label: r.label,
                updated_by: r.updated_by,
                updated_at: r.updated_at,
            })
        })
        .collect())
}

/// The policy a process of this type and variant starts with: the variant's own, else `*`.
pub async fn policy_for(
    pool: &PgPool,
    process_type: &str,
    variant: &str,
) -> Result<Option<Policy>, sqlx::Error> {
    let levels = sqlx::query_scalar!(
        "SELECT levels FROM approval_policies
          WHERE process_type = $1 AND variant IN ($2, '*')
          ORDER BY variant = '*' LIMIT 1",
        process_type,
        variant
    )
    .fetch_optional(pool)
    .await?;
    Ok(levels.and_then(|l| {
        serde_json::from_value(l)
            .ok()
            .map(|levels| Policy { levels })
    }))
}

/// Sets a policy's levels (creating a variant's own policy from the `*` one's label), audited
/// with before and after. `None` when the process type has no policy at all.
pub async fn set_policy(
    pool: &PgPool,
    process_type: &str,
    variant: &str,
    levels: &[Level],
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Option<PolicyRow>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let before = sqlx::query_scalar!(
        "SELECT levels FROM approval_policies WHERE process_type = $1 AND variant = $2 FOR UPDATE",
        process_type,
        variant
    )
    .fetch_optional(&mut *tx)
    .await?;
    let levels_json = serde_json::to_value(levels).unwrap_or_default();
    let username = by.username.clone().unwrap_or_default();
    let Some(row) = sqlx::query!(
        "INSERT INTO approval_policies (process_type, variant, label, levels, updated_by, updated_at)
         SELECT $1, $2, label, $3, $4, $5 FROM approval_policies
          WHERE process_type = $1 AND variant IN ($2, '*')
          ORDER BY variant = '*' LIMIT 1
         ON CONFLICT (process_type, variant) DO UPDATE
             SET levels = EXCLUDED.levels, updated_by = EXCLUDED.updated_by,
                 updated_at = EXCLUDED.updated_at
         RETURNING label, updated_by, updated_at",
        process_type,
        variant,
        levels_json,
        username,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(None);
    };
    let entry = Entry {
        action: "process.policy.update",
        target: Some(format!("{process_type}/{variant}")),
        before,
        after: Some(levels_json),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Some(PolicyRow {
        process_type: process_type.to_owned(),
        variant: variant.to_owned(),
        label: row.label,
        levels: levels.to_vec(),
        updated_by: row.updated_by,
        updated_at: row.updated_at,
    }))
}
