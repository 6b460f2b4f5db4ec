//! 积分账户 and 积分流水 for staff: the ledger's accounts with their balances, the points
//! issued, spent and expired by org and day for the chart, and every points transfer (customers
//! masked), exported with step-up and audited.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Query};
use crate::identity::auth::{SteppedUp, actor};
use crate::identity::permission::{self as perm, Authorized};
use crate::system::logs;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use chrono::{DateTime, Duration, Utc};
use quanyi_activities::identity::scope::scope_of;
use quanyi_activities::points::reports::{
    self as store, AccountFilter, AccountRow, DayRow, TransferFilter,
};
use quanyi_workflows::domain::CustomerNo;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AccountQuery {
    /// `customer`, `funding`, `merchant_funding`, `expired` or `exchange_clearing` (or a money
    /// account's kind).
    pub kind: Option<String>,
    /// `points` or `cny_fen`.
    pub unit: Option<String>,
    /// The org the accounts belong to (their own, their customer's or their merchant's); in your
    /// data scope.
    pub org_id: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LedgerAccountPage {
    pub items: Vec<AccountRow>,
    pub total: i64,
}

/// The ledger's accounts with their kept balances (customers masked), the bank's own first; the
/// accounts of the orgs in your data scope (those of no org only in a whole-bank scope).
#[utoipa::path(get, path = "/api/v1/points/ledger-accounts", tag = "points", operation_id = "points_ledger_accounts",
    params(AccountQuery, Paging),
    responses(
        (status = 200, body = LedgerAccountPage),
        (status = 400, body = crate::error::ErrorBody, description = "QY-REQ-0005 a kind or unit that is none"),
    ))]
pub async fn accounts(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::PointsView>,
    paging: Paging,
    Query(query): Query<AccountQuery>,
) -> Result<Json<LedgerAccountPage>, ApiError> {
    let word = |s: Option<String>, ok: fn(&str) -> bool| -> Result<Option<String>, ApiError> {
        match s.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(w) if ok(w) => Ok(Some(w.to_owned())),
            Some(_) => Err(ErrorCode::InvalidQuery.into()),
        }
    };
    let filter = AccountFilter {
        kind: word(query.kind, |k| {
            (1..=32).contains(&k.len()) && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        })?,
        unit: word(query.unit, |u| matches!(u, "points" | "cny_fen"))?,
        org: query.org_id,
    };
    let scope = scope_of(&state.pool, user.id).await?;
    let (items, total) = store::accounts(
        &state.pool,
        &scope,
        &filter,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(Json(LedgerAccountPage { items, total }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DailyQuery {
    /// From (default: 30 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Up to (default: now); at most 366 days after `from`.
    pub to: Option<DateTime<Utc>>,
    /// One org only; in your data scope.
    pub org_id: Option<Uuid>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PointsDays {
    pub items: Vec<DayRow>,
}

/// Points issued, spent and expired by org and Beijing day, for the orgs in your data scope (the
/// movements of no org only in a whole-bank scope).
#[utoipa::path(get, path = "/api/v1/points/daily", tag = "points", operation_id = "points_daily",
    params(DailyQuery),
    responses(
        (status = 200, body = PointsDays),
        (status = 400, body = crate::error::ErrorBody, description = "QY-REQ-0005 a window that ends before it starts or spans more than 366 days"),
    ))]
pub async fn daily(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::PointsView>,
    Query(query): Query<DailyQuery>,
) -> Result<Json<PointsDays>, ApiError> {
    let to = query.to.unwrap_or_else(|| state.clock.now());
    let from = query.from.unwrap_or(to - Duration::days(30));
    if to <= from || to - from > Duration::days(366) {
        return Err(ErrorCode::InvalidQuery.into());
    }
    let scope = scope_of(&state.pool, user.id).await?;
    Ok(Json(PointsDays {
        items: store::daily(&state.pool, &scope, query.org_id, from, to).await?,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct TransferQuery {
    /// A whole customer number (no prefix search: it is personal data).
    pub customer_no: Option<String>,
    /// `earn`, `hold`, `capture`, `void`, `expire`, `reverse` or `expiry`.
    pub code: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

const CODES: &[&str] = &[
    "earn", "hold", "capture", "void", "expire", "reverse", "expiry",
];

impl TransferQuery {
    fn filter(&self) -> Result<TransferFilter, ApiError> {
        let customer = match self.customer_no.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(no) => Some(
                quanyi_activities::points::customer_account(
                    &CustomerNo::parse(no).map_err(|_| ApiError::from(ErrorCode::InvalidQuery))?,
                )
                .id(),
            ),
        };
        let code = match self.code.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) if CODES.contains(&c) => Some(c.to_owned()),
            Some(_) => return Err(ErrorCode::InvalidQuery.into()),
        };
        Ok(TransferFilter {
            customer,
            code,
            from: self.from,
            to: self.to,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PointsTransferPage {
    pub items: Vec<super::PointsTransfer>,
    /// At most 100,000.
    pub total: i64,
}

/// 积分流水: the points transfers of the orgs in your data scope (a transfer belongs to its
/// customer's org, else its funding org, else the head office), newest first, customers masked.
#[utoipa::path(get, path = "/api/v1/points/transfers", tag = "points", operation_id = "points_transfers",
    params(TransferQuery, Paging),
    responses(
        (status = 200, body = PointsTransferPage),
        (status = 400, body = crate::error::ErrorBody, description = "QY-REQ-0005 a customer number or code that is none"),
    ))]
pub async fn transfers(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::PointsView>,
    paging: Paging,
    Query(query): Query<TransferQuery>,
) -> Result<Json<PointsTransferPage>, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    let (items, total) = store::transfers(
        &state.pool,
        &scope,
        &query.filter()?,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(Json(PointsTransferPage {
        items: items.iter().map(super::PointsTransfer::of).collect(),
        total,
    }))
}

#[derive(Serialize)]
struct TransferCsvRow {
    transfer_id: Uuid,
    code: String,
    kind: String,
    customer: String,
    org_id: String,
    points: i64,
    direction: String,
    memo: String,
    created_at: String,
}

/// Export 积分流水 as CSV (customers masked, whoever exports; at most 100,000 rows; step-up;
/// audited as `points.transfer.export`).
#[utoipa::path(get, path = "/api/v1/points/transfers/export", tag = "points", operation_id = "points_transfers_export",
    params(TransferQuery),
    responses((status = 200, content_type = "text/csv", description = "UTF-8 CSV with a BOM")))]
pub async fn export_transfers(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsExport>,
    _: SteppedUp,
    Query(query): Query<TransferQuery>,
) -> Result<Response, ApiError> {
    const MAX_ROWS: i64 = 100_000;
    let scope = scope_of(&state.pool, user.id).await?;
    let (items, _) = store::transfers(&state.pool, &scope, &query.filter()?, MAX_ROWS, 0).await?;
    let rows = items.len();
    let csv =
        logs::csv_bytes(
            items
                .iter()
                .map(super::PointsTransfer::of)
                .map(|t| TransferCsvRow {
                    transfer_id: t.transfer_id,
                    code: t.code,
                    kind: t.kind,
                    customer: t.customer_no.unwrap_or_default(),
                    org_id: t.org_id.map(|o| o.to_string()).unwrap_or_default(),
                    points: t.points,
                    direction: t.direction,
                    memo: t.memo,
                    created_at: t.created_at.with_timezone(&logs::beijing()).to_rfc3339(),
                }),
        )?;
    // the customer filter is personal data: the audit row says only that there was one
    let filter = serde_json::json!({
        "code": query.code, "from": query.from, "to": query.to,
        "customer_filter": query.customer_no.is_some(),
    });
    logs::export(
        &state,
        actor(&user, peer),
        "points.transfer.export",
        "points-transfers",
        &filter,
        csv,
        rows,
    )
    .await
}
