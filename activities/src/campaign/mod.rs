//! 营销活动 in the store (MKT-3): drafts, their benefit rules and customer lists (streamed in with
//! COPY, validated, deduplicated), the list and detail the staff see, and the two things the
//! campaign process writes — an approved change and the evaluation snapshot.
//!
//! What a channel shows a customer (渠道投放) is [`delivery`].

pub(crate) mod customer_file;
pub mod delivery;

pub use customer_file::MAX_LINE;

use crate::audit::{self, Entry};
use crate::identity::scope::DataScope;
use crate::numbers::{self, Series};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use quanyi_workflows::approval::{OrgChain, OrgRef};
use quanyi_workflows::campaign::{
    ApplyChange, CampaignChange, Evaluate, Evaluation, EvaluationRequest,
};
use quanyi_workflows::domain::CustomerNo;
use quanyi_workflows::kind::ProcessKind;

/// The kind whose processes the campaigns' states are read from.
const CAMPAIGN: ProcessKind = ProcessKind::Campaign;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgCopyIn;
use sqlx::{PgConnection, PgPool};
use std::sync::Arc;
use temporalio_macros::activities;
use temporalio_sdk::activities::{ActivityContext, ActivityError};
use uuid::Uuid;

/// Why a campaign change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownCampaign,
    UnknownOrg,
    UnknownTemplate,
    /// Only a draft is edited freely; after submission it changes through the process.
    NotDraft,
}

/// A benefit rule: a share of the budget and the coupon template it hands out, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Rule {
    pub name: String,
    pub budget_fen: i64,
    pub template_code: Option<String>,
}

/// A campaign's editable fields, validated by the API.
#[derive(Debug, Clone, Serialize)]
pub struct NewCampaign {
    pub name: String,
    pub kind: String,
    pub org_id: Uuid,
    pub channels: Vec<String>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub success_criteria: String,
    pub description: String,
    pub rules: Vec<Rule>,
    pub delivery: DeliverySettings,
}

/// How channels show a campaign (MKT-8): its entry assets, priority and frequency cap.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DeliverySettings {
    /// 0–999, higher first.
    pub priority: i16,
    /// The entry's title; empty: the campaign's name.
    pub entry_title: String,
    pub entry_image_url: String,
    /// Where the entry leads: an `https://` address or an internal path (`/…`).
    pub entry_link: String,
    pub benefit_summary: String,
    /// Showings to one customer a day; none: no cap.
    pub frequency_cap: Option<i16>,
}

impl NewCampaign {
    /// The campaign's budget: what its rules share.
    pub fn budget_fen(&self) -> i64 {
        self.rules.iter().map(|r| r.budget_fen).sum()
    }
}

fn is_missing_template(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.constraint())
        .is_some_and(|c| c == "campaign_rules_template_code_fkey")
}

async fn write_rules(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
    rules: &[Rule],
) -> Result<Result<(), Refusal>, sqlx::Error> {
    sqlx::query!("DELETE FROM campaign_rules WHERE campaign_id = $1", id)
        .execute(&mut *tx)
        .await?;
    let seq: Vec<i16> = (1..=rules.len() as i16).collect();
    let names: Vec<String> = rules.iter().map(|r| r.name.clone()).collect();
    let budgets: Vec<i64> = rules.iter().map(|r| r.budget_fen).collect();
    let templates: Vec<Option<String>> = rules.iter().map(|r| r.template_code.clone()).collect();
    let written = sqlx::query!(
        "INSERT INTO campaign_rules (campaign_id, seq, name, budget_fen, template_code)
         SELECT $1, * FROM unnest($2::smallint[], $3::text[], $4::bigint[], $5::text[])",
        id,
        &seq,
        &names,
        &budgets,
        &templates as &[Option<String>]
    )
    .execute(&mut *tx)
    .await;
    match written {
        Ok(_) => Ok(Ok(())),
        Err(e) if is_missing_template(&e) => Ok(Err(Refusal::UnknownTemplate)),
        Err(e) => Err(e),
    }
}

/// Creates a draft; its code is `HD` + the Beijing date + a sequence number.
pub async fn create(
    pool: &PgPool,
    new: &NewCampaign,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    insert(pool, None, new, &[], now, by).await
}

/// Creates the draft `id` with its customer list unless it exists: a caller whose retry must not
/// make a second draft (an ESB plan, keyed by the consumer's serial number) names it. The
/// repeats count once.
pub async fn create_once(
    pool: &PgPool,
    id: Uuid,
    new: &NewCampaign,
    customers: &[CustomerNo],
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    insert(pool, Some(id), new, customers, now, by).await
}

#[tracing::instrument(skip_all, fields(name = %new.name))]
async fn insert(
    pool: &PgPool,
    id: Option<Uuid>,
    new: &NewCampaign,
    customers: &[CustomerNo],
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if sqlx::query_scalar!("SELECT id FROM orgs WHERE id = $1", new.org_id)
        .fetch_optional(&mut *tx)
        .await?
        .is_none()
    {
        return Ok(Err(Refusal::UnknownOrg));
    }
    let inserted = sqlx::query!(
        r#"INSERT INTO campaigns (id, code, name, type, org_id, channels, start_at, end_at,
                                  budget_fen, success_criteria, description, created_by,
                                  created_at, updated_at, priority, entry_title, entry_image_url,
                                  entry_link, benefit_summary, frequency_cap)
           VALUES (coalesce($18, gen_random_uuid()), issue_business_no($19, $11),
                   $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, $17)
           ON CONFLICT (id) DO NOTHING
           RETURNING id, code"#,
        new.name,
        new.kind,
        new.org_id,
        &new.channels,
        new.start_at,
        new.end_at,
        new.budget_fen(),
        new.success_criteria,
        new.description,
        by.username.as_deref().unwrap_or("system"),
        now,
        new.delivery.priority,
        new.delivery.entry_title,
        new.delivery.entry_image_url,
        new.delivery.entry_link,
        new.delivery.benefit_summary,
        new.delivery.frequency_cap,
        id,
        Series::Campaign.prefix(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(inserted) = inserted else {
        // created before under this id: the same request again
        return Ok(Ok(id.expect("only a named id conflicts")));
    };
    let id = inserted.id;
    numbers::register(
        &mut tx,
        Series::Campaign,
        &id.to_string(),
        &inserted.code,
        now,
    )
    .await?;
    if let Err(r) = write_rules(&mut tx, id, &new.rules).await? {
        return Ok(Err(r));
    }
    let mut after = serde_json::to_value(new).unwrap_or_default();
    if !customers.is_empty() {
        let numbers: Vec<&str> = customers.iter().map(CustomerNo::as_str).collect();
        let accepted = sqlx::query!(
            "INSERT INTO campaign_customers (campaign_id, customer_no)
             SELECT DISTINCT $1::uuid, n FROM unnest($2::text[]) AS n",
            id,
            &numbers as &[&str]
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query!(
            "UPDATE campaigns SET customers_total = $2, customers_uploaded_at = $3,
                                  customers_uploaded_by = $4
              WHERE id = $1",
            id,
            accepted as i32,
            now,
            by.username
        )
        .execute(&mut *tx)
        .await?;
        after["customers"] = accepted.into();
    }
    let entry = Entry {
        action: "campaign.campaign.create",
        target: Some(id.to_string()),
        after: Some(after),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// Locks the campaign row and tells whether it is still a draft (never submitted, or back in
/// Draft after a return or a withdrawal).
async fn lock_draft(
    tx: &mut sqlx::PgConnection,
    id: Uuid,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT coalesce((SELECT state FROM process_instances
                             WHERE process_type = $2 AND business_key = c.id::text), 'Draft')
                  AS "state!"
             FROM campaigns c WHERE c.id = $1 FOR UPDATE"#,
        id,
        CAMPAIGN.code()
    )
    .fetch_optional(&mut *tx)
    .await?;
    Ok(match row {
        None => Err(Refusal::UnknownCampaign),
        Some(r) if r.state != "Draft" => Err(Refusal::NotDraft),
        Some(_) => Ok(()),
    })
}

/// Edits a draft, audited with the values before and after.
#[tracing::instrument(skip_all, fields(%id))]
pub async fn update(
    pool: &PgPool,
    id: Uuid,
    new: &NewCampaign,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if let Err(r) = lock_draft(&mut tx, id).await? {
        return Ok(Err(r));
    }
    let before = detail_in(&mut tx, id).await?;
    let updated = sqlx::query!(
        "UPDATE campaigns SET name = $2, type = $3, org_id = $4, channels = $5, start_at = $6,
                              end_at = $7, budget_fen = $8, success_criteria = $9,
                              description = $10, updated_at = $11, priority = $12,
                              entry_title = $13, entry_image_url = $14, entry_link = $15,
                              benefit_summary = $16, frequency_cap = $17
          WHERE id = $1",
        id,
        new.name,
        new.kind,
        new.org_id,
        &new.channels,
        new.start_at,
        new.end_at,
        new.budget_fen(),
        new.success_criteria,
        new.description,
        now,
        new.delivery.priority,
        new.delivery.entry_title,
        new.delivery.entry_image_url,
        new.delivery.entry_link,
        new.delivery.benefit_summary,
        new.delivery.frequency_cap,
    )
    .execute(&mut *tx)
    .await;
    match updated {
        Ok(_) => {}
        Err(e)
            if e.as_database_error()
                .and_then(|d| d.constraint())
                .is_some_and(|c| c == "campaigns_org_id_fkey") =>
        {
            return Ok(Err(Refusal::UnknownOrg));
        }
        Err(e) => return Err(e),
    }
    if let Err(r) = write_rules(&mut tx, id, &new.rules).await? {
        return Ok(Err(r));
    }
    let entry = Entry {
        action: "campaign.campaign.update",
        target: Some(id.to_string()),
        before: before.map(|b| serde_json::to_value(b).unwrap_or_default()),
        after: Some(serde_json::to_value(new).unwrap_or_default()),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// A campaign as lists show it; `state` comes from the process read model (Draft before the
/// first submission).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignSummary {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub org_id: Uuid,
    pub org_name: String,
    pub channels: Vec<String>,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
    pub budget_fen: i64,
    pub customers: i32,
    pub state: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// List filters; all optional.
#[derive(Debug, Default)]
pub struct Filter {
    pub state: Option<String>,
    pub org_id: Option<Uuid>,
    pub kind: Option<String>,
    pub name: Option<String>,
    pub start_from: Option<DateTime<Utc>>,
    pub start_to: Option<DateTime<Utc>>,
}

/// The scope as SQL parameters: (all, path prefix, org id, username).
fn scope_params(scope: &DataScope, username: &str) -> (bool, Option<String>, Option<Uuid>, String) {
    match scope {
        DataScope::All => (true, None, None, username.to_owned()),
        DataScope::OrgAndBelow(path) => (false, Some(path.clone()), None, username.to_owned()),
        DataScope::Org(org) => (false, None, Some(*org), username.to_owned()),
        DataScope::SelfOnly(_) => (false, None, None, username.to_owned()),
    }
}

/// Campaigns in the caller's data scope (a self-only scope sees what the user created).
#[tracing::instrument(skip(pool))]
pub async fn list(
    pool: &PgPool,
    scope: &DataScope,
    username: &str,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CampaignSummary>, i64), sqlx::Error> {
    let (all, path, org, user) = scope_params(scope, username);
    let rows = sqlx::query!(
        r#"SELECT c.id, c.code, c.name, c.type AS kind, c.org_id, o.name AS org_name, c.channels,
                  c.start_at, c.end_at, c.budget_fen, c.customers_total,
                  coalesce(p.state, 'Draft') AS "state!", c.created_by, c.created_at, c.updated_at,
                  count(*) OVER () AS "total!"
             FROM campaigns c
             JOIN orgs o ON o.id = c.org_id
             LEFT JOIN process_instances p
                    ON p.process_type = $13 AND p.business_key = c.id::text
            WHERE ($1 OR o.path LIKE $2 || '%' OR o.id = $3
                   OR ($2 IS NULL AND $3 IS NULL AND c.created_by = $4))
              AND ($5::text IS NULL OR coalesce(p.state, 'Draft') = $5)
              AND ($6::uuid IS NULL OR c.org_id = $6)
              AND ($7::text IS NULL OR c.type = $7)
              AND ($8::text IS NULL OR c.name ILIKE $8 OR c.code ILIKE $8)
              AND ($9::timestamptz IS NULL OR c.start_at >= $9)
              AND ($10::timestamptz IS NULL OR c.start_at < $10)
            ORDER BY c.created_at DESC, c.id
            LIMIT $11 OFFSET $12"#,
        all,
        path,
        org,
        user,
        filter.state,
        filter.org_id,
        filter.kind,
        crate::numbers::contains_pattern(filter.name.as_deref()),
        filter.start_from,
        filter.start_to,
        limit,
        offset,
        CAMPAIGN.code(),
    )
    .fetch_all(pool)
    .await?;
    let total = rows.first().map_or(0, |r| r.total);
    let items = rows
        .into_iter()
        .map(|r| CampaignSummary {
            id: r.id,
            code: r.code,
            name: r.name,
            kind: r.kind,
            org_id: r.org_id,
            org_name: r.org_name,
            channels: r.channels,
            start_at: r.start_at,
            end_at: r.end_at,
            budget_fen: r.budget_fen,
            customers: r.customers_total,
            state: r.state,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
        .collect();
    Ok((items, total))
}

/// A campaign's own fields with its rules, customer list and evaluation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CampaignRecord {
    #[serde(flatten)]
    pub summary: CampaignSummary,
    pub org_path: String,
    pub success_criteria: String,
    pub description: String,
    pub rules: Vec<Rule>,
    pub delivery: DeliverySettings,
    pub customers_uploaded_at: Option<DateTime<Utc>>,
    pub customers_uploaded_by: Option<String>,
    pub evaluation: Option<EvaluationRow>,
}

/// The evaluation snapshot as the detail shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EvaluationRow {
    pub customers: i32,
    /// Customers a channel showed the campaign to.
    pub contacts: i32,
    pub claims: i64,
    pub redemptions: i64,
    pub budget_fen: i64,
    pub recorded_at: DateTime<Utc>,
}

pub async fn detail(pool: &PgPool, id: Uuid) -> Result<Option<CampaignRecord>, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    detail_in(&mut conn, id).await
}

async fn detail_in(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
) -> Result<Option<CampaignRecord>, sqlx::Error> {
    let Some(r) = sqlx::query!(
        r#"SELECT c.id, c.code, c.name, c.type AS kind, c.org_id, o.name AS org_name, o.path,
                  c.channels, c.start_at, c.end_at, c.budget_fen, c.customers_total,
                  coalesce(p.state, 'Draft') AS "state!", c.created_by, c.created_at, c.updated_at,
                  c.success_criteria, c.description, c.customers_uploaded_at,
                  c.customers_uploaded_by, c.priority, c.entry_title, c.entry_image_url,
                  c.entry_link, c.benefit_summary, c.frequency_cap
             FROM campaigns c
             JOIN orgs o ON o.id = c.org_id
             LEFT JOIN process_instances p
                    ON p.process_type = $2 AND p.business_key = c.id::text
            WHERE c.id = $1"#,
        id,
        CAMPAIGN.code()
    )
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let rules = sqlx::query_as!(
        Rule,
        "SELECT name, budget_fen, template_code FROM campaign_rules WHERE campaign_id = $1 ORDER BY seq",
        id
    )
    .fetch_all(&mut *conn)
    .await?;
    let evaluation = sqlx::query_as!(
        EvaluationRow,
        "SELECT customers, contacts, claims, redemptions, budget_fen, recorded_at
           FROM campaign_evaluations WHERE campaign_id = $1",
        id
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(Some(CampaignRecord {
        summary: CampaignSummary {
            id: r.id,
            code: r.code,
            name: r.name,
            kind: r.kind,
            org_id: r.org_id,
            org_name: r.org_name,
            channels: r.channels,
            start_at: r.start_at,
            end_at: r.end_at,
            budget_fen: r.budget_fen,
            customers: r.customers_total,
            state: r.state,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        },
        org_path: r.path,
        success_criteria: r.success_criteria,
        description: r.description,
        rules,
        delivery: DeliverySettings {
            priority: r.priority,
            entry_title: r.entry_title,
            entry_image_url: r.entry_image_url,
            entry_link: r.entry_link,
            benefit_summary: r.benefit_summary,
            frequency_cap: r.frequency_cap,
        },
        customers_uploaded_at: r.customers_uploaded_at,
        customers_uploaded_by: r.customers_uploaded_by,
        evaluation,
    }))
}

/// The org and its ancestors, nearest first: what the approval step places levels by.
pub async fn org_chain(pool: &PgPool, org_id: Uuid) -> Result<OrgChain, sqlx::Error> {
    let rows = sqlx::query!(
        r#"WITH RECURSIVE up AS (
               SELECT id, parent_id, path, level, 0 AS depth FROM orgs WHERE id = $1
               UNION ALL
               SELECT o.id, o.parent_id, o.path, o.level, up.depth + 1
                 FROM orgs o JOIN up ON o.id = up.parent_id)
           SELECT id AS "id!", path AS "path!", level AS "level!" FROM up ORDER BY depth"#,
        org_id
    )
    .fetch_all(pool)
    .await?;
    Ok(OrgChain(
        rows.into_iter()
            .map(|r| OrgRef {
                id: r.id.to_string(),
                path: r.path,
                level: r.level,
            })
            .collect(),
    ))
}

/// What a customer-list upload did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UploadReport {
    /// Data lines read (a header line naming the customer-number column and blank lines are not
    /// counted).
    pub total_rows: i64,
    /// Distinct customers now in the list.
    pub accepted: i64,
    pub duplicates: i64,
    pub invalid: i64,
    /// The first problems, by line.
    pub errors: Vec<LineError>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LineError {
    /// The line in the file (the row, in a workbook), counted from 1.
    pub line: i64,
    /// What the customer-number column held (its first 40 characters).
    pub value: String,
    /// The whole line as read (a workbook's row: its cells joined with commas).
    pub content: String,
    pub code: String,
    pub message: String,
}

/// How many problems a report lists.
pub const REPORT_ERRORS: usize = 100;

/// Why an upload stopped.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("{0:?}")]
    Refused(Refusal),
    #[error("the body could not be read: {0}")]
    Body(String),
    #[error("line {0} is longer than {MAX_LINE} bytes")]
    LineTooLong(i64),
    /// A byte sequence the file's encoding does not have, on that line.
    #[error("the file is not text in the encoding it starts in (line {0})")]
    NotText(i64),
    /// A ZIP file that is no readable workbook.
    #[error("the file is not a readable .xlsx workbook: {0}")]
    NotWorkbook(String),
    /// No line held a valid customer number: the old list stays. The report says why.
    #[error("no customer number in the file is valid")]
    NothingImported(UploadReport),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

/// Replaces a draft's customer list with the file streamed in `body` — a CSV or text file in any
/// encoding Excel or the bank's systems write (UTF-8 with or without BOM, GBK/GB18030, told by
/// its first bytes), or an `.xlsx` workbook (its first sheet): one customer number per row,
/// validated row by row, loaded with COPY into a staging table and deduplicated into the list —
/// a text file never held in memory whole, a workbook within the body's limit. The number is the
/// first column, or the column a header row names (`customer_no`, `客户号`, …: an Excel export
/// `序号,客户号,客户姓名` reads its second column); a header of other titles is skipped. All or
/// nothing: the list is swapped for the staged one only when the whole body was
/// read and at least one number is valid; a body that fails midway, or a file with no valid
/// number, leaves the old list as it was (the refusal is audited).
#[tracing::instrument(skip_all, fields(%id))]
pub async fn replace_customers<S, E>(
    pool: &PgPool,
    id: Uuid,
    mut body: S,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<UploadReport, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut tx = pool.begin().await?;
    lock_draft(&mut tx, id)
        .await?
        .map_err(UploadError::Refused)?;
    sqlx::query!(
        "CREATE TEMP TABLE customer_upload (line bigint NOT NULL, customer_no text NOT NULL,
                                             content text NOT NULL)
             ON COMMIT DROP"
    )
    .execute(&mut *tx)
    .await?;
    let mut copy = tx
        .copy_in_raw("COPY customer_upload (line, customer_no, content) FROM STDIN")
        .await?;
    let report = match stage(&mut copy, &mut body).await {
        Ok(report) => report,
        Err(e) => {
            if !matches!(e, UploadError::Store(_)) {
                copy.abort(e.to_string()).await.ok();
            }
            return Err(e);
        }
    };
    copy.finish().await?;
    if report.invalid == report.total_rows {
        // nothing to swap in: the staged rows go with the transaction, the old list stays
        tx.rollback().await?;
        let entry = Entry {
            action: "campaign.customers.upload",
            target: Some(id.to_string()),
            refused: true,
            after: Some(serde_json::json!({
                "total_rows": report.total_rows, "invalid": report.invalid,
            })),
            ..by
        };
        let mut tx = pool.begin().await?;
        audit::append(&mut tx, now, entry).await?;
        tx.commit().await?;
        return Err(UploadError::NothingImported(report));
    }
    let report = swap_in(&mut tx, id, report, now, by).await?;
    tx.commit().await?;
    Ok(report)
}

/// Streams `body` into the staging table through `copy`; what it read. A text file is decoded
/// and read line by line as it arrives; a workbook (a ZIP file: `.xlsx`) is taken whole, within
/// the body's limit, and its first sheet read row by row on a blocking thread.
async fn stage<S, E>(
    copy: &mut PgCopyIn<&mut PgConnection>,
    body: &mut S,
) -> Result<UploadReport, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    let mut head = Vec::new();
    let mut ended = false;
    while head.len() < 4 {
        match body.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => return Err(UploadError::Body(e.to_string())),
            None => {
                ended = true;
                break;
            }
        }
    }
    if customer_file::is_zip(&head) {
        return stage_workbook(copy, body, head).await;
    }
    let mut lines = customer_file::Lines::default();
    lines.feed(Some(head.as_slice()))?;
    loop {
        let chunk = if ended {
            None
        } else {
            match body.next().await {
                Some(Ok(chunk)) => Some(chunk),
                Some(Err(e)) => return Err(UploadError::Body(e.to_string())),
                None => None,
            }
        };
        let finished = chunk.is_none();
        lines.feed(chunk.as_deref())?;
        if lines.rows.rows.len() >= 48 * 1024 || finished {
            copy.send(lines.rows.rows.as_slice()).await?;
            lines.rows.rows.clear();
        }
        if finished {
            if let Some(encoding) = lines.encoding {
                tracing::info!(encoding = encoding.name(), "customer list read");
            }
            return Ok(lines.rows.report);
        }
    }
}

/// A workbook upload: the body gathered (the caller bounds it), then its rows read on a
/// blocking thread and sent to COPY in batches as they are made.
async fn stage_workbook<S, E>(
    copy: &mut PgCopyIn<&mut PgConnection>,
    body: &mut S,
    mut file: Vec<u8>,
) -> Result<UploadReport, UploadError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    while let Some(chunk) = body.next().await {
        file.extend_from_slice(&chunk.map_err(|e| UploadError::Body(e.to_string()))?);
    }
    let (batches, mut received) = tokio::sync::mpsc::channel::<Vec<u8>>(2);
    let reading = tokio::task::spawn_blocking(move || {
        customer_file::read_xlsx(file, |batch| batches.blocking_send(batch).is_ok())
    });
    while let Some(batch) = received.recv().await {
        copy.send(batch.as_slice()).await?;
    }
    let report = reading
        .await
        .map_err(|e| UploadError::Body(e.to_string()))??;
    tracing::info!("customer list read from a workbook");
    Ok(report)
}

/// Swaps the draft's list for the staged numbers, deduplicated, in the upload's transaction;
/// the report completed with what was accepted and the duplicates. Audited.
async fn swap_in(
    tx: &mut PgConnection,
    id: Uuid,
    mut report: UploadReport,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<UploadReport, sqlx::Error> {
    sqlx::query!("DELETE FROM campaign_customers WHERE campaign_id = $1", id)
        .execute(&mut *tx)
        .await?;
    // the staging table exists only in this transaction: these queries are checked by the tests
    let accepted = sqlx::query(
        "INSERT INTO campaign_customers (campaign_id, customer_no)
         SELECT DISTINCT $1::uuid, customer_no FROM customer_upload",
    )
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected() as i64;
    report.accepted = accepted;
    report.duplicates = report.total_rows - report.invalid - accepted;
    if report.duplicates > 0 {
        // the first hundred problems by line: the first hundred of each kind cover them
        let duplicates: Vec<(i64, String, String)> = sqlx::query_as(
            "SELECT line, customer_no, content FROM (
                 SELECT line, customer_no, content,
                        row_number() OVER (PARTITION BY customer_no ORDER BY line) AS n
                   FROM customer_upload) d
              WHERE n > 1 ORDER BY line LIMIT $1",
        )
        .bind(REPORT_ERRORS as i64)
        .fetch_all(&mut *tx)
        .await?;
        report.errors.extend(
            duplicates
                .into_iter()
                .map(|(line, value, content)| LineError {
                    line,
                    value,
                    content,
                    code: "QY-CAMP-0102".into(),
                    message: "客户号重复，已去重".into(),
                }),
        );
        report.errors.sort_by_key(|e| e.line);
        report.errors.truncate(REPORT_ERRORS);
    }
    sqlx::query!(
        "UPDATE campaigns SET customers_total = $2, customers_uploaded_at = $3,
                              customers_uploaded_by = $4, updated_at = $3
          WHERE id = $1",
        id,
        accepted as i32,
        now,
        by.username
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "campaign.customers.upload",
        target: Some(id.to_string()),
        after: Some(serde_json::json!({
            "total_rows": report.total_rows, "accepted": report.accepted,
            "duplicates": report.duplicates, "invalid": report.invalid,
        })),
        ..by
    };
    audit::append(tx, now, entry).await?;
    Ok(report)
}

/// Writes an approved change into the campaign, audited; a retry writes the same values again.
pub async fn apply_change(pool: &PgPool, change: &CampaignChange) -> Result<(), sqlx::Error> {
    let id = Uuid::parse_str(&change.campaign_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut tx = pool.begin().await?;
    let before = sqlx::query!(
        "SELECT end_at, budget_fen FROM campaigns WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE campaigns SET end_at = coalesce($2, end_at), budget_fen = coalesce($3, budget_fen),
                              updated_at = $4
          WHERE id = $1",
        id,
        change.end_at,
        change.budget_fen,
        change.at
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        user_id: None,
        username: Some(change.by.clone()),
        org_id: None,
        ip: None,
        action: "campaign.campaign.change",
        target: Some(id.to_string()),
        refused: false,
        before: Some(serde_json::json!({"end_at": before.end_at, "budget_fen": before.budget_fen})),
        after: Some(serde_json::json!({"end_at": change.end_at, "budget_fen": change.budget_fen})),
    };
    audit::append(&mut tx, change.at, entry).await?;
    // a new end changes what channel delivery shows
    crate::store::announce_change(&mut tx, crate::store::Cached::Campaigns).await?;
    tx.commit().await
}

/// Records the evaluation snapshot once: customers in the list, coupons claimed through the
/// campaign and redeemed. A retry returns the first snapshot.
pub async fn evaluate(
    pool: &PgPool,
    request: &EvaluationRequest,
) -> Result<Evaluation, sqlx::Error> {
    let id = Uuid::parse_str(&request.campaign_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    sqlx::query!(
        "INSERT INTO campaign_evaluations (campaign_id, customers, contacts, claims, redemptions,
                                           budget_fen, recorded_at)
         SELECT c.id, c.customers_total,
                (SELECT count(DISTINCT customer_no) FROM campaign_exposures WHERE campaign_id = c.id),
                (SELECT count(*) FROM coupons WHERE campaign_id = c.id),
                (SELECT count(*) FROM coupons WHERE campaign_id = c.id AND status = 'redeemed'),
                c.budget_fen, $2
           FROM campaigns c WHERE c.id = $1
         ON CONFLICT (campaign_id) DO NOTHING",
        id,
        request.at
    )
    .execute(pool)
    .await?;
    sqlx::query_as!(
        Evaluation,
        "SELECT customers, contacts, claims, redemptions, budget_fen, recorded_at
           FROM campaign_evaluations WHERE campaign_id = $1",
        id
    )
    .fetch_one(pool)
    .await
}

/// The campaign activities, sharing the pool.
pub struct CampaignActivities {
    pool: PgPool,
}

impl CampaignActivities {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[activities]
impl CampaignActivities {
    #[activity(definition = ApplyChange)]
    pub async fn apply_change(
        self: Arc<Self>,
        _ctx: ActivityContext,
        change: CampaignChange,
    ) -> Result<(), ActivityError> {
        apply_change(&self.pool, &change).await.map_err(Into::into)
    }

    #[activity(definition = Evaluate)]
    pub async fn evaluate(
        self: Arc<Self>,
        _ctx: ActivityContext,
        request: EvaluationRequest,
    ) -> Result<Evaluation, ActivityError> {
        evaluate(&self.pool, &request).await.map_err(Into::into)
    }
}
