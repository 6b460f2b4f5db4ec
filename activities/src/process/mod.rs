//! The process read model: `process_instances` and `process_transitions`, written by the
//! `process.record_transition` activity idempotently by (workflow id, seq); the approval step's
//! `tasks` (the inbox), opened, decided, transferred, reminded and escalated once each; and the
//! notices a process sends, fanned out to each user's channels (e-mail, SMS, the WeChat group,
//! the ESB consumer a plan came from) and keyed by workflow id, step, channel and recipient so a
//! retry queues nothing twice. Its read side — the inbox, the monitor, the policies — is [`inbox`].

pub mod inbox;

use crate::notify::{self, Channel, Outgoing, Routing};
use crate::text;
use chrono::{DateTime, Utc};
use quanyi_workflows::kind::ProcessKind;
use quanyi_workflows::process::{
    Callback, Entry, Notice, NoticeKind, Notify, OpenTask, RecordOutcome, RecordTransition, Step,
    StepInput, TaskChange, TaskOpening, TaskUpdate, TransitionRecord, UpdateTask,
};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use std::collections::BTreeMap;
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::ApplicationFailure;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use uuid::Uuid;

/// Writes one transition and moves the instance to its new state, in the caller's transaction.
/// The instance takes the business number registered for its workflow id, if there is one.
/// A second call with the same (workflow id, seq) changes nothing and says so; the instance never
/// moves back to an older state when retries arrive out of order.
#[tracing::instrument(skip(tx, record), fields(workflow_id = %record.workflow_id, seq = record.seq))]
pub async fn record_transition(
    tx: &mut Transaction<'_, Postgres>,
    record: &TransitionRecord,
) -> Result<RecordOutcome, sqlx::Error> {
    let org_id = record
        .org_id
        .as_deref()
        .map(Uuid::parse_str)
        .transpose()
        .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let ended_at: Option<DateTime<Utc>> = record.ended.then_some(record.at);
    sqlx::query!(
        r#"INSERT INTO process_instances
               (workflow_id, process_type, business_key, state, org_id, started_by, last_seq,
                started_at, updated_at, ended_at, title, business_no)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10,
                   (SELECT number FROM business_numbers WHERE workflow_id = $1))
           ON CONFLICT (workflow_id) DO UPDATE
               SET state = EXCLUDED.state, last_seq = EXCLUDED.last_seq,
                   updated_at = EXCLUDED.updated_at, ended_at = EXCLUDED.ended_at,
                   title = coalesce(EXCLUDED.title, process_instances.title),
                   business_no = coalesce(process_instances.business_no, EXCLUDED.business_no)
               WHERE process_instances.last_seq < EXCLUDED.last_seq"#,
        record.workflow_id,
        record.process_type.code(),
        record.business_key,
        record.to_state,
        org_id,
        record.started_by,
        record.seq,
        record.at,
        ended_at,
        record.title,
    )
    .execute(&mut **tx)
    .await?;
    let inserted = sqlx::query!(
        r#"INSERT INTO process_transitions
               (workflow_id, seq, from_state, to_state, event, actor, comment, at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (workflow_id, seq) DO NOTHING"#,
        record.workflow_id,
        record.seq,
        record.from_state,
        record.to_state,
        record.event,
        record.actor,
        record.comment,
        record.at,
    )
    .execute(&mut **tx)
    .await?
    .rows_affected();
    // channel delivery shows running campaigns: its copy goes when one changes state
    if inserted == 1 && record.process_type == ProcessKind::Campaign {
        crate::store::announce_change(tx, crate::store::Cached::Campaigns).await?;
    }
    Ok(if inserted == 1 {
        RecordOutcome::Written
    } else {
        RecordOutcome::AlreadyRecorded
    })
}

/// Opens a task; opening the same (workflow id, step, level) again changes nothing.
#[tracing::instrument(skip(conn, task), fields(workflow_id = %task.workflow_id, step = %task.step))]
pub async fn open_task(conn: &mut PgConnection, task: &TaskOpening) -> Result<(), sqlx::Error> {
    let uuid = |text: &str| Uuid::parse_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)));
    let org = uuid(&task.org_scope)?;
    let assignee = task.assignee.as_deref().map(uuid).transpose()?;
    sqlx::query!(
        "INSERT INTO tasks (workflow_id, step, level, level_name, title, candidate_roles, org_scope,
                            include_descendants, submitted_by, due_at, created_at, kind, assignee,
                            comment)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (workflow_id, step, level) DO NOTHING",
        task.workflow_id,
        task.step,
        task.level,
        task.level_name,
        task.title,
        &task.candidate_roles,
        org,
        task.include_descendants,
        task.submitted_by,
        task.due_at,
        task.at,
        task.kind.as_str(),
        assignee,
        task.comment.as_deref().map(text::escape),
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// Applies a change to an open task, with the notices it causes, in the caller's transaction. A
/// change that finds the task already changed that way (a retry) does nothing, notices included.
#[tracing::instrument(skip(conn, routing, update), fields(workflow_id = %update.workflow_id, step = %update.step))]
pub async fn update_task(
    conn: &mut PgConnection,
    routing: &Routing,
    update: &TaskUpdate,
) -> Result<(), sqlx::Error> {
    if let Some(overdue) = change_task(conn, update).await? {
        tell_candidates(conn, routing, update, overdue).await?;
    }
    Ok(())
}

/// What a reminder or an escalation tells: its kind, the words for it, the task's title.
struct Overdue {
    kind: &'static str,
    what: &'static str,
    title: Option<String>,
}

/// Writes the change into the task; the reminder or escalation to send, the first time only.
async fn change_task(
    conn: &mut PgConnection,
    update: &TaskUpdate,
) -> Result<Option<Overdue>, sqlx::Error> {
    let (wf, step, level, at) = (&update.workflow_id, &update.step, update.level, update.at);
    let overdue = |kind, what| move |title| Overdue { kind, what, title };
    Ok(match &update.change {
        TaskChange::Decided {
            outcome,
            by,
            comment,
        } => {
            sqlx::query!(
                "UPDATE tasks SET status = 'done', outcome = $4, decided_by = $5, comment = $6,
                                  closed_at = $7
                  WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'",
                wf,
                step,
                level,
                outcome.as_str(),
                by,
                comment.as_deref(),
                at
            )
            .execute(&mut *conn)
            .await?;
            None
        }
        TaskChange::Cancelled { reason } => {
            sqlx::query!(
                "UPDATE tasks SET status = 'cancelled', outcome = $4, closed_at = $5
                  WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'",
                wf,
                step,
                level,
                reason,
                at
            )
            .execute(&mut *conn)
            .await?;
            None
        }
        TaskChange::Reworked { by, outcome } => {
            // the reviewer's reason stays the task's comment
            sqlx::query!(
                "UPDATE tasks SET status = 'done', outcome = $4, decided_by = $5, closed_at = $6
                  WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'",
                wf,
                step,
                level,
                outcome,
                by,
                at
            )
            .execute(&mut *conn)
            .await?;
            None
        }
        TaskChange::Transferred { to_user_id, .. } => {
            let to = Uuid::parse_str(to_user_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            sqlx::query!(
                "UPDATE tasks SET assignee = $4
                  WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'",
                wf,
                step,
                level,
                to
            )
            .execute(&mut *conn)
            .await?;
            None
        }
        TaskChange::Reminded => sqlx::query_scalar!(
            "UPDATE tasks SET reminded_at = $4
              WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'
                AND reminded_at IS NULL
          RETURNING title",
            wf,
            step,
            level,
            at
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(overdue("remind", "即将超时")),
        TaskChange::Escalated { superior_org } => {
            let superior = superior_org
                .as_deref()
                .map(Uuid::parse_str)
                .transpose()
                .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            sqlx::query_scalar!(
                "UPDATE tasks SET escalated_at = $4, escalated_org = $5
                  WHERE workflow_id = $1 AND step = $2 AND level = $3 AND status = 'open'
                    AND escalated_at IS NULL
              RETURNING title",
                wf,
                step,
                level,
                at,
                superior
            )
            .fetch_optional(&mut *conn)
            .await?
            .map(overdue("escalate", "已超时"))
        }
    })
}

/// Tells the task's candidates that it is overdue or about to be, on their channels, and the
/// WeChat group of an escalation once.
async fn tell_candidates(
    conn: &mut PgConnection,
    routing: &Routing,
    update: &TaskUpdate,
    overdue: Overdue,
) -> Result<(), sqlx::Error> {
    let (wf, step, level, at) = (&update.workflow_id, &update.step, update.level, update.at);
    let Overdue { kind, what, title } = overdue;
    let title = title.unwrap_or_default();
    {
        let candidates = candidates(&mut *conn, wf, step, level).await?;
        let template = match kind {
            "remind" => "QY_TASK_REMIND",
            _ => "QY_TASK_ESCALATE",
        };
        for candidate in &candidates {
            let notice = Fanout {
                key: format!("{wf}/{step}/{level}/{kind}/{}", candidate.username),
                kind,
                workflow_id: wf,
                subject: format!("待办{what}：{title}"),
                body: format!("您的待办任务《{title}》{what}，请尽快处理。"),
                sms: (template, BTreeMap::from([("title".into(), short(&title))])),
            };
            let user = Recipient {
                id: candidate.id,
                username: &candidate.username,
                email: candidate.email.as_deref(),
                phone: candidate.phone.as_deref(),
            };
            fan_out(&mut *conn, routing, &notice, &user, at).await?;
        }
        // The group hears of an escalation once, naming those who may act now.
        if routing.wechat(kind) && !candidates.is_empty() {
            let names: Vec<&str> = candidates.iter().map(|c| c.display_name.as_str()).collect();
            let mobiles: Vec<&str> = candidates
                .iter()
                .filter_map(|c| c.phone.as_deref())
                .collect();
            let group = Outgoing {
                key: format!("{wf}/{step}/{level}/{kind}/wechat"),
                kind: kind.into(),
                workflow_id: Some(wf.clone()),
                user_id: None,
                channel: Channel::Wechat,
                recipient: "group".into(),
                subject: format!("待办{what}：{title}"),
                body: format!(
                    "【权益平台】待办《{title}》{what}，请 {} 尽快处理。",
                    names.join("、")
                ),
                template_code: None,
                params: Some(serde_json::json!({ "mentioned_mobile_list": mobiles })),
                sealed_params: None,
            };
            notify::queue(&mut *conn, &group, at).await?;
        }
    }
    Ok(())
}

/// A user who may act on a task.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Candidate {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub org_name: String,
    #[serde(skip)]
    pub email: Option<String>,
    /// Personal data: never serialized, never logged unmasked.
    #[serde(skip)]
    pub phone: Option<String>,
}

/// The active users who may act on the open task (workflow id, step, level): the role in the
/// org scope (or the escalated org), never its submitter; only the assignee once transferred.
pub async fn candidates(
    conn: &mut sqlx::PgConnection,
    workflow_id: &str,
    step: &str,
    level: i16,
) -> Result<Vec<Candidate>, sqlx::Error> {
    sqlx::query_as!(
        Candidate,
        r#"SELECT DISTINCT u.id, u.username, u.display_name, o.name AS org_name, u.email, u.phone
             FROM tasks t
             JOIN orgs so ON so.id = t.org_scope
             JOIN user_roles ur ON true
             JOIN roles r ON r.id = ur.role_id AND r.code = ANY (t.candidate_roles)
             JOIN users u ON u.id = ur.user_id AND u.status = 'active'
             JOIN orgs o ON o.id = u.org_id
            WHERE t.workflow_id = $1 AND t.step = $2 AND t.level = $3 AND t.status = 'open'
              AND u.username IS DISTINCT FROM t.submitted_by
              AND (t.assignee IS NULL OR t.assignee = u.id)
              AND (o.path = so.path
                   OR (t.include_descendants AND o.path LIKE so.path || '%')
                   OR o.id = t.escalated_org)
            ORDER BY u.username"#,
        workflow_id,
        step,
        level
    )
    .fetch_all(conn)
    .await
}

/// A notice to one user, before it is fanned out to the user's channels.
struct Fanout<'a> {
    /// The notice's key; its e-mail keeps it as is (as before SMS existed), the other channels
    /// append `/sms`, `/wechat`, `/esb`.
    key: String,
    kind: &'a str,
    workflow_id: &'a str,
    subject: String,
    body: String,
    /// The SMS template and its variables.
    sms: (&'static str, BTreeMap<String, String>),
}

struct Recipient<'a> {
    id: Uuid,
    username: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
}

/// A template variable's value within the SMS platform's limit.
fn short(value: &str) -> String {
    let value = value.trim();
    if value.chars().count() <= 60 {
        value.to_owned()
    } else {
        value.chars().take(59).chain(['…']).collect()
    }
}

/// Queues `notice` for `user` on each of the user's channels: e-mail when the user has an
/// address, SMS when the user has a phone and SMS carries this kind. A template that does not
/// fit its variables is a configuration error: the SMS is skipped and the error logged, since
/// retrying the activity cannot mend it and the process must not wait on it.
async fn fan_out(
    conn: &mut sqlx::PgConnection,
    routing: &Routing,
    notice: &Fanout<'_>,
    user: &Recipient<'_>,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if let Some(email) = user.email {
        let row = Outgoing {
            key: notice.key.clone(),
            kind: notice.kind.into(),
            workflow_id: Some(notice.workflow_id.into()),
            user_id: Some(user.id),
            channel: Channel::Email,
            recipient: email.into(),
            subject: notice.subject.clone(),
            body: notice.body.clone(),
            template_code: None,
            params: None,
            sealed_params: None,
        };
        notify::queue(conn, &row, at).await?;
    }
    if !routing.sms(notice.kind) {
        return Ok(());
    }
    let Some(phone) = user.phone else {
        tracing::info!(username = %user.username, "no phone number: no SMS");
        return Ok(());
    };
    let (code, params) = &notice.sms;
    let text = match notify::sms_template(conn, code).await? {
        Ok(template) => template.render(params),
        Err(e) => Err(e),
    };
    let text = match text {
        Ok(text) => text,
        Err(e) => {
            tracing::error!(key = %notice.key, error = %e, "SMS not queued");
            return Ok(());
        }
    };
    let row = Outgoing {
        key: format!("{}/sms", notice.key),
        kind: notice.kind.into(),
        workflow_id: Some(notice.workflow_id.into()),
        user_id: Some(user.id),
        channel: Channel::Sms,
        recipient: phone.into(),
        subject: notice.subject.clone(),
        body: text,
        template_code: Some((*code).into()),
        params: Some(serde_json::json!(params)),
        sealed_params: None,
    };
    notify::queue(conn, &row, at).await?;
    Ok(())
}

/// Queues a notice to a user on the user's channels, once per key and channel; and, when the
/// notice names a callback (a campaign's submitter hears of a decision and the plan came over the
/// ESB from a consumer that takes callbacks), the `campaign.plan.result` call to that consumer.
/// In the caller's transaction: a retried activity finds every row there and adds none.
#[tracing::instrument(skip(conn, routing, notice), fields(key = %notice.key))]
pub async fn notify(
    conn: &mut PgConnection,
    routing: &Routing,
    notice: &Notice,
) -> Result<(), sqlx::Error> {
    let user = sqlx::query!(
        "SELECT id, email, phone FROM users WHERE username = $1",
        notice.username
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(user) = user {
        if user.email.is_none() {
            tracing::info!(username = %notice.username, "no e-mail address: no e-mail");
        }
        let fanout = Fanout {
            key: notice.key.clone(),
            kind: notice.kind.as_str(),
            workflow_id: &notice.workflow_id,
            subject: notice.subject.clone(),
            body: notice.body.clone(),
            sms: (
                "QY_PROCESS_NOTICE",
                BTreeMap::from([("subject".into(), short(&notice.subject))]),
            ),
        };
        let recipient = Recipient {
            id: user.id,
            username: &notice.username,
            email: user.email.as_deref(),
            phone: user.phone.as_deref(),
        };
        fan_out(&mut *conn, routing, &fanout, &recipient, notice.at).await?;
    }
    match &notice.callback {
        Some(Callback::CampaignPlanResult { campaign_id })
            if notice.kind == NoticeKind::Submitter =>
        {
            esb_callback(conn, routing, notice, campaign_id).await
        }
        _ => Ok(()),
    }
}

/// The ESB service our decision callbacks call.
pub const PLAN_RESULT_SERVICE: &str = "campaign.plan.result";

/// Queues the `campaign.plan.result` callback to the consumer a campaign plan came from, when
/// that consumer takes callbacks (`esb.callback_consumers`).
async fn esb_callback(
    conn: &mut PgConnection,
    routing: &Routing,
    notice: &Notice,
    campaign_id: &str,
) -> Result<(), sqlx::Error> {
    let Ok(campaign_id) = Uuid::parse_str(campaign_id) else {
        return Ok(());
    };
    let workflow_id = &notice.workflow_id;
    let origin = sqlx::query!(
        r#"SELECT a.code AS consumer, o.consumer_seq_no, c.code AS campaign_code,
                  p.state AS "state?"
             FROM esb_campaign_origins o
             JOIN api_clients a ON a.id = o.client_id
             JOIN campaigns c ON c.id = o.campaign_id
             LEFT JOIN process_instances p ON p.workflow_id = $2
            WHERE o.campaign_id = $1"#,
        campaign_id,
        workflow_id
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(origin) = origin else {
        return Ok(());
    };
    if !routing.esb_callbacks.contains(&origin.consumer) {
        tracing::info!(consumer = %origin.consumer, "the consumer takes no callbacks");
        return Ok(());
    }
    let body = serde_json::json!({
        "campaign_id": campaign_id,
        "campaign_code": origin.campaign_code,
        "workflow_id": workflow_id,
        "state": origin.state,
        "result": notice.subject,
        "submit_seq_no": origin.consumer_seq_no,
        "decided_at": notice.at,
    });
    let row = Outgoing {
        key: format!("{}/esb", notice.key),
        kind: "result".into(),
        workflow_id: Some(workflow_id.into()),
        user_id: None,
        channel: Channel::Esb,
        recipient: origin.consumer,
        subject: PLAN_RESULT_SERVICE.into(),
        body: body.to_string(),
        template_code: None,
        params: None,
        sealed_params: None,
    };
    notify::queue(conn, &row, notice.at).await?;
    Ok(())
}

/// Writes a step's bookkeeping — transitions, task changes, task openings, notices — in the
/// order given, in one transaction. Each entry is idempotent as its own activity is, so a retried
/// step writes nothing twice.
#[tracing::instrument(skip(pool, routing, step), fields(workflow_id = %step.workflow_id, entries = step.entries.len()))]
pub async fn step(pool: &PgPool, routing: &Routing, step: &StepInput) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    for entry in &step.entries {
        match entry {
            Entry::Record(record) => {
                record_transition(&mut tx, &escaped(record)).await?;
            }
            Entry::Open(task) => open_task(&mut tx, task).await?,
            Entry::Update(update) => update_task(&mut tx, routing, update).await?,
            Entry::Notify(notice) => notify(&mut tx, routing, notice).await?,
        }
    }
    tx.commit().await
}

/// The edges refuse control characters; should one slip through, it is kept visibly.
fn escaped(record: &TransitionRecord) -> TransitionRecord {
    TransitionRecord {
        actor: record.actor.as_deref().map(text::escape),
        comment: record.comment.as_deref().map(text::escape),
        title: record.title.as_deref().map(text::escape),
        ..record.clone()
    }
}

/// The process activities, sharing the pool and the notices' routing.
pub struct ProcessActivities {
    pool: PgPool,
    routing: Routing,
}

impl ProcessActivities {
    pub fn new(pool: PgPool, routing: Routing) -> Self {
        Self { pool, routing }
    }
}

#[activities]
impl ProcessActivities {
    #[activity(definition = RecordTransition)]
    pub async fn record_transition(
        self: Arc<Self>,
        _ctx: ActivityContext,
        record: TransitionRecord,
    ) -> Result<RecordOutcome, ActivityError> {
        let mut tx = self.pool.begin().await.map_err(retryable)?;
        let outcome = record_transition(&mut tx, &escaped(&record))
            .await
            .map_err(retryable)?;
        tx.commit().await.map_err(retryable)?;
        Ok(outcome)
    }

    #[activity(definition = OpenTask)]
    pub async fn open_task(
        self: Arc<Self>,
        _ctx: ActivityContext,
        task: TaskOpening,
    ) -> Result<(), ActivityError> {
        let mut tx = self.pool.begin().await.map_err(retryable)?;
        open_task(&mut tx, &task).await.map_err(retryable)?;
        tx.commit().await.map_err(retryable)
    }

    #[activity(definition = UpdateTask)]
    pub async fn update_task(
        self: Arc<Self>,
        _ctx: ActivityContext,
        update: TaskUpdate,
    ) -> Result<(), ActivityError> {
        let mut tx = self.pool.begin().await.map_err(retryable)?;
        update_task(&mut tx, &self.routing, &update)
            .await
            .map_err(retryable)?;
        tx.commit().await.map_err(retryable)
    }

    #[activity(definition = Notify)]
    pub async fn notify(
        self: Arc<Self>,
        _ctx: ActivityContext,
        notice: Notice,
    ) -> Result<(), ActivityError> {
        let mut tx = self.pool.begin().await.map_err(retryable)?;
        notify(&mut tx, &self.routing, &notice)
            .await
            .map_err(retryable)?;
        tx.commit().await.map_err(retryable)
    }

    #[activity(definition = Step)]
    pub async fn step(
        self: Arc<Self>,
        _ctx: ActivityContext,
        input: StepInput,
    ) -> Result<(), ActivityError> {
        step(&self.pool, &self.routing, &input)
            .await
            .map_err(retryable)
    }
}

/// A store error as an activity failure. The database away or a lock lost is retried by
/// Temporal's policy (the writes are idempotent); data the database refuses (SQLSTATE class 22,
/// data exception, or 23, integrity) cannot be mended by a retry and fails at once,
/// non-retryable, so the workflow hears of it instead of retrying forever.
fn retryable(e: sqlx::Error) -> ActivityError {
    if bad_data(&e) {
        tracing::error!(error = %e, "process activity refused by the database; not retried");
        return ApplicationFailure::builder(anyhow::anyhow!("the database refused the data: {e}"))
            .type_name("BadData".to_owned())
            .non_retryable(true)
            .build()
            .into();
    }
    tracing::warn!(error = %e, "process activity failed; Temporal retries it");
    e.into()
}

fn bad_data(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d)
        if d.code().is_some_and(|c| c.starts_with("22") || c.starts_with("23")))
}
