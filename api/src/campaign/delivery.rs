//! 渠道投放 (MKT-8) at the edge: what a channel shows a customer, for channel systems (signed,
//! `GET /api/channel/v1/channels/{code}/campaigns`), for the ESB (`channel.campaigns.query`) and
//! for staff (投放查询, `GET /api/v1/channels/{code}/campaigns`, which counts no showing).
//!
//! A request costs one indexed query (the customer's lists and today's showings); the running
//! campaigns come from the cache, and showings are added up in memory and written in one
//! statement every [`FLUSH_EVERY`]. The frequency cap therefore holds to within the showings of
//! that interval, and a crash loses at most that interval's counts — impressions, not anything a
//! caller was promised.

use crate::AppState;
use crate::channel::SignedRead;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path, Query};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use quanyi_activities::audit::{self, Entry};
use quanyi_activities::benefits::clients::ClientKind;
use quanyi_activities::campaign::delivery::{self, Delivery, Showing};
use quanyi_workflows::domain::CustomerNo;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::Duration;

/// How often counted showings are written.
pub const FLUSH_EVERY: Duration = Duration::from_millis(250);

/// At most this many entries in one answer.
pub const MAX_ENTRIES: usize = 20;

/// Showings counted since the last write.
#[derive(Default)]
pub struct Showings(Mutex<HashMap<Showing, i32>>);

impl Showings {
    fn count(&self, showings: impl IntoIterator<Item = Showing>) {
        let mut pending = self.0.lock().expect("showings lock");
        for s in showings {
            *pending.entry(s).or_default() += 1;
        }
    }

    /// Writes what was counted; on failure the counts are kept for the next attempt.
    pub async fn flush(&self, pool: &sqlx::PgPool) {
        let batch: Vec<(Showing, i32)> = {
            let mut pending = self.0.lock().expect("showings lock");
            pending.drain().collect()
        };
        if let Err(e) = delivery::record_showings(pool, &batch).await {
            tracing::warn!(error = %e, count = batch.len(), "cannot record showings; kept");
            self.count_back(batch);
        }
    }

    fn count_back(&self, batch: Vec<(Showing, i32)>) {
        let mut pending = self.0.lock().expect("showings lock");
        for (s, n) in batch {
            *pending.entry(s).or_default() += n;
        }
    }

    /// Writes counted showings every [`FLUSH_EVERY`] until the task is dropped.
    pub async fn run(state: AppState) {
        let mut tick = tokio::time::interval(FLUSH_EVERY);
        loop {
            tick.tick().await;
            state.showings.flush(&state.pool).await;
        }
    }
}

/// The customer a channel asks about.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeliveryQuery {
    /// 客户号, 6–32 letters or digits.
    pub customer: String,
}

/// What a channel shows the customer, highest priority first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct DeliveryAnswer {
    pub channel_code: String,
    pub items: Vec<Delivery>,
}

impl DeliveryQuery {
    fn customer(&self) -> Result<CustomerNo, ApiError> {
        CustomerNo::parse(&self.customer).map_err(|_| ErrorCode::InvalidCustomerNo.into())
    }
}

/// `channel` must be an enabled code of the 渠道 code list.
async fn known_channel(state: &AppState, channel: &str) -> Result<(), ApiError> {
    let lists = state.caches.dictionaries(&state.pool).await?;
    let known = lists
        .iter()
        .filter(|d| d.code == "channel")
        .flat_map(|d| &d.items)
        .any(|i| i.code == channel && i.enabled);
    if known {
        Ok(())
    } else {
        Err(ErrorCode::UnknownChannel.into())
    }
}

/// The entries `channel` shows `customer` now; `count` adds them to today's showings.
pub async fn deliver(
    state: &AppState,
    channel: &str,
    customer: &CustomerNo,
    count: bool,
) -> Result<DeliveryAnswer, ApiError> {
    known_channel(state, channel).await?;
    let now = state.clock.now();
    let live = state.caches.live_campaigns(&state.pool).await?;
    let candidates = delivery::candidates(&live, channel, now);
    let items = if candidates.is_empty() {
        Vec::new()
    } else {
        let day = delivery::beijing_day(now);
        let member = delivery::memberships(&state.pool, customer, &candidates, day).await?;
        let items = delivery::select(&live, &member, MAX_ENTRIES);
        if count {
            state.showings.count(items.iter().map(|d| Showing {
                campaign_id: d.campaign_id,
                customer_no: customer.clone(),
                day,
            }));
        }
        items
    };
    Ok(DeliveryAnswer {
        channel_code: channel.to_owned(),
        items,
    })
}

/// 渠道投放 for channel systems: each entry returned counts as shown.
#[utoipa::path(get, path = "/api/channel/v1/channels/{code}/campaigns", tag = "channel",
    params(("code" = String, Path, description = "渠道码 of the 渠道 code list"), DeliveryQuery),
    responses(
        (status = 200, body = DeliveryAnswer),
        (status = 403, body = crate::error::ErrorBody, description = "QY-CLI-0006 not a channel client"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CAMP-0009 no such channel"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0010 customer number"),
    ))]
pub async fn for_channel(
    State(state): State<AppState>,
    signed: SignedRead,
    Path(code): Path<String>,
    Query(query): Query<DeliveryQuery>,
) -> Result<Json<DeliveryAnswer>, ApiError> {
    if signed.client.kind != ClientKind::Channel {
        return Err(ErrorCode::WrongClientKind.into());
    }
    let customer = query.customer()?;
    Ok(Json(deliver(&state, &code, &customer, true).await?))
}

/// 投放查询: what a channel shows a customer now, as staff check it; nothing counts as shown.
/// Each lookup is in the operation log.
#[utoipa::path(get, path = "/api/v1/channels/{code}/campaigns", tag = "campaigns",
    params(("code" = String, Path, description = "渠道码 of the 渠道 code list"), DeliveryQuery),
    responses(
        (status = 200, body = DeliveryAnswer),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CAMP-0009 no such channel"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0010 customer number"),
    ))]
pub async fn preview(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::DeliveryView>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(code): Path<String>,
    Query(query): Query<DeliveryQuery>,
) -> Result<Json<DeliveryAnswer>, ApiError> {
    let customer = query.customer()?;
    let answer = deliver(&state, &code, &customer, false).await?;
    let mut conn = state.pool.acquire().await?;
    let entry = Entry {
        action: "campaign.delivery.query",
        target: Some(format!(
            "{code}:{}",
            quanyi_activities::pii::mask(
                quanyi_activities::pii::Kind::CustomerNo,
                customer.as_str()
            )
        )),
        ..actor(&user, peer)
    };
    audit::append(&mut conn, state.clock.now(), entry).await?;
    Ok(Json(answer))
}
