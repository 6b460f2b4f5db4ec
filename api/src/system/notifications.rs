//! 通知记录: the outbox of notices (e-mail, SMS, the WeChat group, ESB callbacks) as staff read
//! it — what was queued, whether it went out, and the last error of what did not; recipients
//! masked (SEC-6).

use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Json, Paging, Query};
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::State;
use chrono::{DateTime, Utc};
use quanyi_activities::notify::{self as store, NotificationFilter, NotificationRow};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChannelParam {
    Email,
    Sms,
    Wechat,
    Esb,
}

#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusParam {
    Pending,
    Retrying,
    Sent,
    Failed,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct NotificationQuery {
    #[param(inline)]
    pub channel: Option<ChannelParam>,
    #[param(inline)]
    pub status: Option<StatusParam>,
    /// The key or its beginning, e.g. a workflow id.
    pub key: Option<String>,
    pub workflow_id: Option<String>,
    /// Queued at or after.
    pub from: Option<DateTime<Utc>>,
    /// Queued before.
    pub to: Option<DateTime<Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct NotificationPage {
    pub items: Vec<NotificationRow>,
    pub total: i64,
}

fn filled(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty() && s.chars().count() <= 200)
}

/// 通知记录: every notice, newest first.
#[utoipa::path(get, path = "/api/v1/system/notifications", tag = "system",
    params(NotificationQuery, Paging), responses((status = 200, body = NotificationPage)))]
pub async fn notifications(
    State(state): State<AppState>,
    _: Authorized<perm::NotificationView>,
    paging: Paging,
    Query(query): Query<NotificationQuery>,
) -> Result<Json<NotificationPage>, ApiError> {
    let (limit, offset) = (paging.limit(), paging.offset());
    let filter = NotificationFilter {
        channel: query.channel.map(|c| {
            match c {
                ChannelParam::Email => "email",
                ChannelParam::Sms => "sms",
                ChannelParam::Wechat => "wechat",
                ChannelParam::Esb => "esb",
            }
            .to_owned()
        }),
        status: query.status.map(|s| {
            match s {
                StatusParam::Pending => "pending",
                StatusParam::Retrying => "retrying",
                StatusParam::Sent => "sent",
                StatusParam::Failed => "failed",
            }
            .to_owned()
        }),
        key: filled(query.key),
        workflow_id: filled(query.workflow_id),
        from: query.from,
        to: query.to,
    };
    let (items, total) = store::notifications(&state.pool, &filter, limit, offset).await?;
    Ok(Json(NotificationPage { items, total }))
}
