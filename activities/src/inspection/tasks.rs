//! The inspection tasks and rectifications as staff, inspectors and merchants read them: lists
//! with filters (status, org, merchant, overdue), one task with its checklist, answers and
//! rectifications — each cut by the reader's data scope, a merchant's users to their merchant.

use super::ChecklistEntry;
use crate::identity::scope::{self, DataScope};
use chrono::{DateTime, Utc};
use quanyi_workflows::inspection::Answer;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

/// Who reads: staff within a data scope, or a merchant's user (their merchant alone).
#[derive(Debug, Clone)]
pub enum Reader {
    Staff(DataScope),
    Merchant(Uuid),
}

/// The statuses a merchant sees: the results, not the inspection under way.
const MERCHANT_VISIBLE: &[&str] = &[
    "confirmed",
    "rectifying",
    "rectification_review",
    "rectified",
];

/// What the task list is asked.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
pub struct TaskFilter {
    /// `pending`, `submitted`, `returned`, `confirmed`, `rectifying`, `rectification_review`,
    /// `rectified`, `cancelled`.
    pub status: Option<String>,
    /// The merchant's org, and below.
    pub org_id: Option<Uuid>,
    /// The merchant's code or part of its name.
    pub merchant: Option<String>,
    /// Only tasks past their due date and not yet submitted.
    pub overdue: Option<bool>,
    pub plan_id: Option<Uuid>,
    /// Only the tasks assigned to me.
    pub mine: Option<bool>,
}

/// A task in a list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InspectionTaskRow {
    pub id: Uuid,
    /// 巡查任务编号 `XC…`.
    pub code: String,
    pub workflow_id: String,
    pub plan_id: Option<Uuid>,
    pub plan_name: Option<String>,
    pub cycle: Option<String>,
    pub merchant_code: String,
    pub merchant_name: String,
    pub org_id: Uuid,
    pub org_name: String,
    pub inspector: Option<String>,
    pub inspector_name: Option<String>,
    pub status: String,
    pub serious: bool,
    pub due_at: DateTime<Utc>,
    pub overdue: bool,
    pub submitted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// A page of tasks.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct InspectionTaskPage {
    pub items: Vec<InspectionTaskRow>,
    pub total: i64,
}

/// A rectification asked of the merchant.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Rectification {
    pub task_id: Uuid,
    pub task_code: String,
    pub merchant_code: String,
    pub merchant_name: String,
    pub round: i32,
    pub requirement: String,
    pub deadline: DateTime<Utc>,
    /// `open`, `answered`, `accepted`, `returned`.
    pub status: String,
    pub answer: Option<String>,
    /// Evidence file ids.
    pub answer_files: Vec<Uuid>,
    pub answered_by: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_comment: Option<String>,
    pub escalated_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    pub created_at: DateTime<Utc>,
}

/// An inspector's answer to an item, as the task page shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AnswerView {
    pub key: String,
    /// `pass` or `fail` for a pass/fail item.
    pub result: Option<String>,
    pub text: Option<String>,
    /// Photo file ids.
    pub photos: Vec<Uuid>,
    pub serious: bool,
}

impl From<Answer> for AnswerView {
    fn from(a: Answer) -> Self {
        let result = serde_json::to_value(a.result)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned));
        AnswerView {
            key: a.key,
            result,
            text: a.text,
            photos: a
                .photos
                .iter()
                .filter_map(|p| Uuid::parse_str(p).ok())
                .collect(),
            serious: a.serious,
        }
    }
}

/// One task, whole.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TaskDetail {
    #[serde(flatten)]
    pub task: InspectionTaskRow,
    pub checklist: Vec<ChecklistEntry>,
    pub answers: Vec<AnswerView>,
    pub submitted_by: Option<String>,
    pub return_reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub issued_by: String,
    pub rectifications: Vec<Rectification>,
}

struct Cut {
    all: bool,
    path: Option<String>,
    org: Option<Uuid>,
    me: Option<Uuid>,
    merchant: Option<Uuid>,
}

fn cut(reader: &Reader) -> Cut {
    match reader {
        Reader::Staff(scope) => {
            let (all, path, org, me) = scope::scope_params(scope);
            Cut {
                all,
                path,
                org,
                me,
                merchant: None,
            }
        }
        Reader::Merchant(merchant) => Cut {
            all: false,
            path: None,
            org: None,
            me: None,
            merchant: Some(*merchant),
        },
    }
}

/// The tasks `reader` may see that match `filter`, newest first, `limit` from `offset`; `me` is
/// the reader (for `mine`).
pub async fn tasks(
    pool: &PgPool,
    reader: &Reader,
    me: Uuid,
    filter: &TaskFilter,
    (limit, offset): (i64, i64),
    now: DateTime<Utc>,
) -> Result<InspectionTaskPage, sqlx::Error> {
    let c = cut(reader);
    let merchant = crate::numbers::contains_pattern(filter.merchant.as_deref());
    let visible: Vec<String> = MERCHANT_VISIBLE.iter().map(|s| (*s).to_owned()).collect();
    let mine = filter.mine.unwrap_or(false).then_some(me);
    let rows = sqlx::query!(
        r#"SELECT t.id, t.code, t.plan_id, p.name AS "plan_name?", t.cycle, m.code AS merchant_code,
                  m.name AS merchant_name, t.org_id, o.name AS org_name,
                  u.username AS "inspector?", u.display_name AS "inspector_name?", t.status,
                  t.serious, t.due_at, t.submitted_at, t.created_at,
                  count(*) OVER () AS "total!"
             FROM inspection_tasks t
             JOIN merchants m ON m.id = t.merchant_id
             JOIN orgs o ON o.id = t.org_id
             LEFT JOIN inspection_plans p ON p.id = t.plan_id
             LEFT JOIN users u ON u.id = t.inspector_id
            WHERE ($1 OR o.path LIKE $2 || '%' OR t.org_id = $3 OR t.inspector_id = $4
                   OR (t.merchant_id = $5 AND t.status = ANY($6)))
              AND ($7::text IS NULL OR t.status = $7)
              AND ($8::uuid IS NULL OR o.path LIKE (SELECT path FROM orgs WHERE id = $8) || '%')
              AND ($9::text IS NULL OR m.code ILIKE $9 OR m.name ILIKE $9)
              AND (NOT $10 OR (t.due_at < $11 AND t.status IN ('pending', 'returned')))
              AND ($12::uuid IS NULL OR t.plan_id = $12)
              AND ($13::uuid IS NULL OR t.inspector_id = $13)
            ORDER BY t.created_at DESC, t.code DESC
            LIMIT $14 OFFSET $15"#,
        c.all,
        c.path,
        c.org,
        c.me,
        c.merchant,
        &visible[..],
        filter.status,
        filter.org_id,
        merchant,
        filter.overdue.unwrap_or(false),
        now,
        filter.plan_id,
        mine,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    let items = rows
        .into_iter()
        .map(|r| InspectionTaskRow {
            workflow_id: quanyi_workflows::kind::ProcessKind::Inspection
                .workflow_id(&r.id.to_string()),
            id: r.id,
            code: r.code,
            plan_id: r.plan_id,
            plan_name: r.plan_name,
            cycle: r.cycle,
            merchant_code: r.merchant_code,
            merchant_name: r.merchant_name,
            org_id: r.org_id,
            org_name: r.org_name,
            inspector: r.inspector,
            inspector_name: r.inspector_name,
            overdue: r.due_at < now && matches!(r.status.as_str(), "pending" | "returned"),
            status: r.status,
            serious: r.serious,
            due_at: r.due_at,
            submitted_at: r.submitted_at,
            created_at: r.created_at,
        })
        .collect();
    Ok(InspectionTaskPage { items, total })
}

/// The rectifications of the tasks `reader` may see (those of task `task` alone if given), the
/// open ones first.
pub async fn rectifications(
    pool: &PgPool,
    reader: &Reader,
    task: Option<Uuid>,
    status: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<Rectification>, sqlx::Error> {
    let c = cut(reader);
    let rows = sqlx::query!(
        r#"SELECT r.task_id, t.code AS task_code, m.code AS merchant_code, m.name AS merchant_name,
                  r.round, r.requirement, r.deadline, r.status, r.answer, r.answer_files,
                  r.answered_by, r.answered_at, r.decided_by, r.decided_at, r.decision_comment,
                  r.escalated_at, r.created_at
             FROM inspection_rectifications r
             JOIN inspection_tasks t ON t.id = r.task_id
             JOIN merchants m ON m.id = t.merchant_id
             JOIN orgs o ON o.id = t.org_id
            WHERE ($1 OR o.path LIKE $2 || '%' OR t.org_id = $3 OR t.inspector_id = $4
                   OR t.merchant_id = $5)
              AND ($6::uuid IS NULL OR r.task_id = $6)
              AND ($7::text IS NULL OR r.status = $7)
            ORDER BY (r.status = 'open') DESC, r.created_at DESC, r.round DESC
            LIMIT 500"#,
        c.all,
        c.path,
        c.org,
        c.me,
        c.merchant,
        task,
        status
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Rectification {
            task_id: r.task_id,
            task_code: r.task_code,
            merchant_code: r.merchant_code,
            merchant_name: r.merchant_name,
            round: r.round,
            requirement: r.requirement,
            overdue: r.status == "open" && r.deadline < now,
            deadline: r.deadline,
            status: r.status,
            answer: r.answer,
            answer_files: serde_json::from_value::<Vec<String>>(r.answer_files)
                .unwrap_or_default()
                .iter()
                .filter_map(|f| Uuid::parse_str(f).ok())
                .collect(),
            answered_by: r.answered_by,
            answered_at: r.answered_at,
            decided_by: r.decided_by,
            decided_at: r.decided_at,
            decision_comment: r.decision_comment,
            escalated_at: r.escalated_at,
            created_at: r.created_at,
        })
        .collect())
}

/// The task `id` if `reader` may see it.
pub async fn task(
    pool: &PgPool,
    reader: &Reader,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<TaskDetail>, sqlx::Error> {
    let c = cut(reader);
    let visible: Vec<String> = MERCHANT_VISIBLE.iter().map(|s| (*s).to_owned()).collect();
    let Some(r) = sqlx::query!(
        r#"SELECT t.id, t.code, t.plan_id, p.name AS "plan_name?", t.cycle, m.code AS merchant_code,
                  m.name AS merchant_name, t.org_id, o.name AS org_name,
                  u.username AS "inspector?", u.display_name AS "inspector_name?", t.status,
                  t.serious, t.due_at, t.submitted_at, t.created_at, t.checklist, t.answers,
                  t.submitted_by, t.return_reason, t.decided_by, t.decided_at, t.issued_by
             FROM inspection_tasks t
             JOIN merchants m ON m.id = t.merchant_id
             JOIN orgs o ON o.id = t.org_id
             LEFT JOIN inspection_plans p ON p.id = t.plan_id
             LEFT JOIN users u ON u.id = t.inspector_id
            WHERE t.id = $7
              AND ($1 OR o.path LIKE $2 || '%' OR t.org_id = $3 OR t.inspector_id = $4
                   OR (t.merchant_id = $5 AND t.status = ANY($6)))"#,
        c.all,
        c.path,
        c.org,
        c.me,
        c.merchant,
        &visible[..],
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let answers: Vec<Answer> = r
        .answers
        .and_then(|a| serde_json::from_value(a).ok())
        .unwrap_or_default();
    let rectifications = rectifications(pool, reader, Some(id), None, now).await?;
    Ok(Some(TaskDetail {
        task: InspectionTaskRow {
            workflow_id: quanyi_workflows::kind::ProcessKind::Inspection
                .workflow_id(&r.id.to_string()),
            id: r.id,
            code: r.code,
            plan_id: r.plan_id,
            plan_name: r.plan_name,
            cycle: r.cycle,
            merchant_code: r.merchant_code,
            merchant_name: r.merchant_name,
            org_id: r.org_id,
            org_name: r.org_name,
            inspector: r.inspector,
            inspector_name: r.inspector_name,
            overdue: r.due_at < now && matches!(r.status.as_str(), "pending" | "returned"),
            status: r.status,
            serious: r.serious,
            due_at: r.due_at,
            submitted_at: r.submitted_at,
            created_at: r.created_at,
        },
        checklist: super::checklist_of(r.checklist),
        answers: answers.into_iter().map(AnswerView::from).collect(),
        submitted_by: r.submitted_by,
        return_reason: r.return_reason,
        decided_by: r.decided_by,
        decided_at: r.decided_at,
        issued_by: r.issued_by,
        rectifications,
    }))
}

/// Whether file `file` is part of task `id` (a photo of its answers or evidence of its
/// rectifications): who may see the task may download it.
pub async fn has_file(pool: &PgPool, id: Uuid, file: Uuid) -> Result<bool, sqlx::Error> {
    let file = file.to_string();
    sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM inspection_tasks t,
                      jsonb_array_elements(coalesce(t.answers, '[]')) AS a (answer),
                      jsonb_array_elements_text(coalesce(a.answer -> 'photos', '[]')) AS p (photo)
                WHERE t.id = $1 AND p.photo = $2
               UNION ALL
               SELECT 1 FROM inspection_rectifications r,
                      jsonb_array_elements_text(r.answer_files) AS f (file)
                WHERE r.task_id = $1 AND f.file = $2) AS "found!""#,
        id,
        file
    )
    .fetch_one(pool)
    .await
}
