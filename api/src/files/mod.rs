//! SEC-7 files over HTTP: `POST /api/v1/files` takes one file (multipart, the field `file`),
//! streamed through the checks of [`quanyi_activities::files`]; `GET /api/v1/files/{id}` gives it
//! back only to whom it belongs, as an attachment that no browser renders or sniffs. The answer
//! names the file by an opaque id, never by where it is kept.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Path};
use crate::identity::auth::{CurrentUser, actor};
use axum::body::Body;
use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{ConnectInfo, Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use quanyi_activities::audit::Entry;
use quanyi_activities::files::content::{FileKind, Refusal};
use quanyi_activities::files::{self, FileRecord, Intake, IntakeError, Owner};
use serde::Serialize;
use std::net::SocketAddr;
use uuid::Uuid;

/// A kept file, as its owner sees it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FileView {
    /// The file's opaque id: what a form refers to, and the way to download it.
    pub id: Uuid,
    /// The name it was uploaded under.
    pub name: String,
    /// `image/jpeg`, `image/png` or `application/pdf`, as its content showed.
    pub content_type: String,
    /// The size kept (an image without its metadata).
    pub size_bytes: i64,
    pub uploaded_at: DateTime<Utc>,
}

impl From<FileRecord> for FileView {
    fn from(record: FileRecord) -> Self {
        FileView {
            id: record.id,
            name: record.name,
            content_type: record.content_type,
            size_bytes: record.size_bytes,
            uploaded_at: record.uploaded_at,
        }
    }
}

fn refusal_code(refusal: Refusal) -> ErrorCode {
    match refusal {
        Refusal::Empty => ErrorCode::FileEmpty,
        Refusal::TooLarge => ErrorCode::FileTooLarge,
        Refusal::KindNotAllowed => ErrorCode::FileKindNotAllowed,
        Refusal::Polyglot => ErrorCode::FilePolyglot,
        Refusal::BadName => ErrorCode::FileBadName,
        Refusal::Damaged => ErrorCode::FileDamaged,
    }
}

impl From<IntakeError> for ApiError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Refused(refusal) => refusal_code(refusal).into(),
            IntakeError::Database(e) => e.into(),
            e => {
                tracing::error!(error = %e, "cannot keep an upload");
                ErrorCode::Internal.into()
            }
        }
    }
}

fn multipart_error(e: MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ErrorCode::FileTooLarge.into()
    } else {
        tracing::info!(error = %e.body_text(), "multipart body refused");
        ErrorCode::FileMissing.into()
    }
}

/// The largest request body an upload route reads: the file's cap and room for the form around it.
pub fn body_limit(state: &AppState) -> usize {
    usize::try_from(state.settings.files.max_bytes())
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024)
}

/// Reads the form's field `file` into the store for `owner`, audited as `by` (a refusal too, with
/// its code; nothing of a refused file is kept).
pub(crate) async fn receive(
    state: &AppState,
    multipart: Result<Multipart, MultipartRejection>,
    owner: Owner,
    by: Entry,
) -> Result<FileView, ApiError> {
    let mut multipart = multipart.map_err(|_| ApiError::from(ErrorCode::FileMissing))?;
    let mut field = loop {
        match multipart.next_field().await.map_err(multipart_error)? {
            Some(field) if field.name() == Some("file") => break field,
            Some(_) => continue,
            None => return Err(ErrorCode::FileMissing.into()),
        }
    };
    let raw_name = field.file_name().map(str::to_owned);
    let now = state.clock.now();
    let kept: Result<FileRecord, ApiError> = async {
        let mut intake = Intake::start(&state.settings.files, raw_name.as_deref())?;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            intake.push(&chunk).await?;
        }
        Ok(files::keep(
            &state.pool,
            &state.settings.files,
            intake,
            owner,
            now,
            by.clone(),
        )
        .await?)
    }
    .await;
    match kept {
        Ok(record) => Ok(record.into()),
        Err(e) => {
            if matches!(
                e.code,
                ErrorCode::FileEmpty
                    | ErrorCode::FileTooLarge
                    | ErrorCode::FileKindNotAllowed
                    | ErrorCode::FilePolyglot
                    | ErrorCode::FileBadName
                    | ErrorCode::FileDamaged
            ) {
                files::audit_refusal(&state.pool, now, e.code.code(), raw_name.as_deref(), by)
                    .await?;
            }
            Err(e)
        }
    }
}

/// Uploads one file for the signed-in user: a JPEG, PNG or PDF by its content, at most the
/// configured size (10 MiB by default), its name without a path. JPEG and PNG metadata (EXIF
/// with the GPS position, XMP, text chunks, comments) is removed before the file is kept.
#[utoipa::path(post, path = "/api/v1/files", tag = "files",
    request_body(content = String, content_type = "multipart/form-data",
        description = "A form with the file in the field `file` (its file name is kept, percent-decoded)"),
    responses(
        (status = 201, body = FileView),
        (status = 400, body = crate::error::ErrorBody, description = "QY-FILE-0008 not a multipart form with the field `file`"),
        (status = 413, body = crate::error::ErrorBody, description = "QY-FILE-0002 larger than the cap"),
        (status = 415, body = crate::error::ErrorBody, description = "QY-FILE-0003 not a JPEG, PNG or PDF by its content (an HTML page, an SVG …)"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-FILE-0001 empty; QY-FILE-0004 markup, script or data after the image's end (a polyglot); QY-FILE-0005 a name with a path or a control character; QY-FILE-0006 a damaged image"),
    ))]
pub async fn upload(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    CurrentUser(user): CurrentUser,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(StatusCode, Json<FileView>), ApiError> {
    let by = actor(&user, peer);
    let view = receive(&state, multipart, Owner::User(user.id), by).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// `record`'s bytes as a download: an attachment of its own type that browsers do not sniff,
/// render or cache.
pub(crate) async fn attachment(state: &AppState, record: FileRecord) -> Result<Response, ApiError> {
    let stream = state
        .settings
        .files
        .open(&record.object_key)
        .await
        .map_err(|e| {
            tracing::error!(error = %e, file = %record.id, "a recorded file is missing from the store");
            ApiError::from(ErrorCode::Internal)
        })?;
    let extension = FileKind::from_mime(&record.content_type).map_or("bin", FileKind::extension);
    let ascii: String = record
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let fallback = if ascii.ends_with(&format!(".{extension}")) {
        ascii
    } else {
        format!("file.{extension}")
    };
    let disposition = format!(
        "attachment; filename=\"{fallback}\"; filename*=UTF-8''{}",
        utf8_percent_encode(&record.name, NON_ALPHANUMERIC)
    );
    let mut response = Body::from_stream(stream.map_err(std::io::Error::other)).into_response();
    let headers = response.headers_mut();
    let value = |v: &str| HeaderValue::from_str(v).map_err(|_| ApiError::from(ErrorCode::Internal));
    headers.insert(header::CONTENT_TYPE, value(&record.content_type)?);
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(record.size_bytes));
    headers.insert(header::CONTENT_DISPOSITION, value(&disposition)?);
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(response)
}

/// Downloads a file the signed-in user uploaded. Anyone else's, or an id that does not exist,
/// is the same 404.
#[utoipa::path(get, path = "/api/v1/files/{id}", tag = "files",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The file, as an attachment (`Content-Disposition: attachment`, `X-Content-Type-Options: nosniff`)",
            content(("image/jpeg"), ("image/png"), ("application/pdf"))),
        (status = 404, body = crate::error::ErrorBody, description = "QY-FILE-0007 no such file of yours"),
    ))]
pub async fn download(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    let record = files::find(&state.pool, id)
        .await?
        .filter(|r| r.owner() == Some(Owner::User(user.id)))
        .ok_or(ErrorCode::UnknownFile)?;
    attachment(&state, record).await
}
