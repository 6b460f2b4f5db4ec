//! 巡查结果/整改 in the merchant portal: a merchant's administrator sees the results of their
//! merchant's inspections (nothing under way, nothing of another merchant) and answers a
//! rectification with text and evidence files.

use super::{TaskView, act, file_of, own_files, task_view};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::{Json, Paging, Path, Query, Valid};
use crate::identity::permission::{self as perm, Authorized};
use crate::merchants::users::merchant_of;
use axum::extract::{ConnectInfo, State};
use axum::response::Response;
use quanyi_activities::inspection::tasks::{self, InspectionTaskPage, Reader, TaskFilter};
use quanyi_workflows::inspection::InspectionAction;
use quanyi_workflows::process::Action;
use serde::Deserialize;
use std::net::SocketAddr;
use uuid::Uuid;
use validator::Validate;

/// Your merchant's inspection results (confirmed, under rectification, rectified).
#[utoipa::path(get, path = "/api/v1/merchant/inspections", tag = "merchant",
    params(TaskFilter, Paging),
    responses(
        (status = 200, body = InspectionTaskPage),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user"),
    ))]
pub async fn my_inspections(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::InspectionAnswer>,
    Query(filter): Query<TaskFilter>,
    paging: Paging,
) -> Result<Json<InspectionTaskPage>, ApiError> {
    let reader = Reader::Merchant(merchant_of(&user)?);
    let page = tasks::tasks(
        &state.pool,
        &reader,
        user.id,
        &filter,
        (paging.limit(), paging.offset()),
        state.clock.now(),
    )
    .await?;
    Ok(Json(page))
}

/// One of your merchant's inspection results, with its rectifications.
#[utoipa::path(get, path = "/api/v1/merchant/inspections/{id}", tag = "merchant",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, body = TaskView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0002 no such result of your merchant"),
    ))]
pub async fn my_inspection(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::InspectionAnswer>,
    Path(id): Path<Uuid>,
) -> Result<Json<TaskView>, ApiError> {
    let reader = Reader::Merchant(merchant_of(&user)?);
    Ok(Json(task_view(&state, &user, &reader, id).await?))
}

/// The merchant's answer to a rectification.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct AnswerRectificationBody {
    #[schema(example = "已更换灭火器，见照片", min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, code = "QY-REQ-0002"))]
    pub answer: String,
    /// Evidence file ids (uploaded through `/api/v1/files`), at most 9.
    #[validate(length(max = 9, code = "QY-REQ-0002"))]
    #[serde(default)]
    pub files: Vec<Uuid>,
}

/// 提交整改: answers the open rectification; staff then accept it or send it back.
#[utoipa::path(post, path = "/api/v1/merchant/inspections/{id}/rectification", tag = "merchant",
    params(("id" = Uuid, Path)),
    request_body = AnswerRectificationBody,
    responses(
        (status = 200, body = TaskView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-INS-0002 no such result of your merchant"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-PROC-0002 no rectification is open"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-INS-0006 a file not yours"),
    ))]
pub async fn answer_rectification(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::InspectionAnswer>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<AnswerRectificationBody>,
) -> Result<Json<TaskView>, ApiError> {
    let reader = Reader::Merchant(merchant_of(&user)?);
    own_files(&state, &user, id, &body.files, "files").await?;
    let action = Action::Own(InspectionAction::AnswerRectification {
        answer: body.answer,
        files: body.files.iter().map(Uuid::to_string).collect(),
    });
    Ok(Json(
        act(&state, &user, peer, &reader, id, action, None).await?,
    ))
}

/// A photo or evidence file of one of your merchant's results.
#[utoipa::path(get, path = "/api/v1/merchant/inspections/{id}/files/{file}", tag = "merchant",
    params(("id" = Uuid, Path), ("file" = Uuid, Path)),
    responses(
        (status = 200, description = "The file, as an attachment", content(("image/jpeg"), ("image/png"), ("application/pdf"))),
        (status = 404, body = crate::error::ErrorBody, description = "QY-FILE-0007 no such file of your merchant's results"),
    ))]
pub async fn my_inspection_file(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::InspectionAnswer>,
    Path((id, file)): Path<(Uuid, Uuid)>,
) -> Result<Response, ApiError> {
    let reader = Reader::Merchant(merchant_of(&user)?);
    file_of(&state, &reader, id, file).await
}
