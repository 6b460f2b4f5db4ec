//! 积分账户 for staff: the ledger's points accounts with their balances, and the points issued,
//! spent and expired by org and day for the chart.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Query};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use quanyi_activities::points::reports::{self as store, AccountRow, DayRow};
use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AccountQuery {
    /// `customer`, `funding`, `merchant_funding`, `expired` or `exchange_clearing`.
    pub kind: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LedgerAccountPage {
    pub items: Vec<AccountRow>,
    pub total: i64,
}

/// The ledger's points accounts with their kept balances (customers masked), the bank's own first.
#[utoipa::path(get, path = "/api/v1/points/ledger-accounts", tag = "points", operation_id = "points_ledger_accounts",
    params(AccountQuery, Paging),
    responses((status = 200, body = LedgerAccountPage)))]
pub async fn accounts(
    State(state): State<AppState>,
    _: Authorized<perm::PointsView>,
    paging: Paging,
    Query(query): Query<AccountQuery>,
) -> Result<Json<LedgerAccountPage>, ApiError> {
    let kind = query
        .kind
        .map(|k| k.trim().to_owned())
        .filter(|k| !k.is_empty() && k.len() <= 32);
    let (items, total) =
        store::accounts(&state.pool, kind.as_deref(), paging.limit(), paging.offset()).await?;
    Ok(Json(LedgerAccountPage { items, total }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct DailyQuery {
    /// From (default: 30 days before `to`).
    pub from: Option<DateTime<Utc>>,
    /// Up to (default: now); at most 366 days after `from`.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PointsDays {
    pub items: Vec<DayRow>,
}

/// Points issued, spent and expired by org and Beijing day.
#[utoipa::path(get, path = "/api/v1/points/daily", tag = "points", operation_id = "points_daily",
    params(DailyQuery),
    responses(
        (status = 200, body = PointsDays),
        (status = 400, body = crate::error::ErrorBody, description = "QY-REQ-0005 a window that ends before it starts or spans more than 366 days"),
    ))]
pub async fn daily(
    State(state): State<AppState>,
    _: Authorized<perm::PointsView>,
    Query(query): Query<DailyQuery>,
) -> Result<Json<PointsDays>, ApiError> {
    let to = query.to.unwrap_or_else(|| state.clock.now());
    let from = query.from.unwrap_or(to - Duration::days(30));
    if to <= from || to - from > Duration::days(366) {
        return Err(ErrorCode::InvalidQuery.into());
    }
    Ok(Json(PointsDays {
        items: store::daily(&state.pool, from, to).await?,
    }))
}
