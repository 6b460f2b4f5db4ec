//! 商户入驻申请: the submitted applications as reviewers list them — within their data scope (by
//! the branch of the application, as its process is scoped), filtered by state, branch and
//! submission time, newest submission first, the applicant's phone masked.

use crate::identity::scope::{DataScope, scope_params};
use crate::pii::{self, Kind};
use chrono::{DateTime, Utc};
use quanyi_workflows::kind::ProcessKind;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// One submitted application.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApplicationRow {
    pub id: Uuid,
    /// 申请编号 (`RZ…`).
    pub application_no: String,
    pub legal_name: Option<String>,
    pub org_code: String,
    pub org_name: String,
    /// The process's state (`FirstReview`, `Supplement`, `Opened` …).
    pub state: String,
    /// Masked (`138****5678`).
    pub applicant_phone: String,
    pub submitted_at: DateTime<Utc>,
    /// When the process last moved.
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct ApplicationFilter {
    /// A state name of the process.
    pub state: Option<String>,
    /// The branch's org code.
    pub org_code: Option<String>,
    /// Submitted at or after.
    pub from: Option<DateTime<Utc>>,
    /// Submitted before.
    pub to: Option<DateTime<Utc>>,
    /// Part of the application number or of the legal name.
    pub search: Option<String>,
}

/// The page of submitted applications `scope` sees, and how many the filter matches.
pub async fn applications(
    pool: &PgPool,
    scope: &DataScope,
    f: &ApplicationFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ApplicationRow>, i64), sqlx::Error> {
    let (all, path, org, _) = scope_params(scope);
    let kind = ProcessKind::MerchantOnboarding.code();
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!"
             FROM onboarding_applications a
             JOIN orgs o ON o.id = a.org_id
             LEFT JOIN process_instances p
                    ON p.process_type = $9 AND p.business_key = a.id::text
            WHERE a.status <> 'draft'
              AND ($1 OR o.path LIKE $2 || '%' OR o.id = $3)
              AND ($4::text IS NULL OR p.state = $4)
              AND ($5::text IS NULL OR o.code = $5)
              AND ($6::timestamptz IS NULL OR a.submitted_at >= $6)
              AND ($7::timestamptz IS NULL OR a.submitted_at < $7)
              AND ($8::text IS NULL OR strpos(a.code, $8) > 0
                   OR strpos(coalesce(a.legal_name, ''), $8) > 0)"#,
        all,
        path,
        org,
        f.state,
        f.org_code,
        f.from,
        f.to,
        f.search,
        kind
    )
    .fetch_one(pool)
    .await?;
    let rows = sqlx::query!(
        r#"SELECT a.id, a.code AS "code!", a.legal_name, o.code AS org_code, o.name AS org_name,
                  coalesce(p.state, 'FirstReview') AS "state!", a.phone,
                  a.submitted_at AS "submitted_at!",
                  coalesce(p.updated_at, a.updated_at) AS "updated_at!"
             FROM onboarding_applications a
             JOIN orgs o ON o.id = a.org_id
             LEFT JOIN process_instances p
                    ON p.process_type = $11 AND p.business_key = a.id::text
            WHERE a.status <> 'draft'
              AND ($1 OR o.path LIKE $2 || '%' OR o.id = $3)
              AND ($4::text IS NULL OR p.state = $4)
              AND ($5::text IS NULL OR o.code = $5)
              AND ($6::timestamptz IS NULL OR a.submitted_at >= $6)
              AND ($7::timestamptz IS NULL OR a.submitted_at < $7)
              AND ($8::text IS NULL OR strpos(a.code, $8) > 0
                   OR strpos(coalesce(a.legal_name, ''), $8) > 0)
            ORDER BY a.submitted_at DESC, a.id
            LIMIT $9 OFFSET $10"#,
        all,
        path,
        org,
        f.state,
        f.org_code,
        f.from,
        f.to,
        f.search,
        limit,
        offset,
        kind
    )
    .fetch_all(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| ApplicationRow {
            id: r.id,
            application_no: r.code,
            legal_name: r.legal_name,
            org_code: r.org_code,
            org_name: r.org_name,
            state: r.state,
            applicant_phone: pii::mask(Kind::Phone, &r.phone),
            submitted_at: r.submitted_at,
            updated_at: r.updated_at,
        })
        .collect();
    Ok((items, total))
}
