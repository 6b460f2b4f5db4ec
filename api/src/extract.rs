//! Our extractors: the JSON body (with the field at fault named when a value has the wrong type or
//! is missing), validated JSON bodies (SEC-8: every broken rule, field by field, each with its own
//! code), path and query — all refusing in our error shape.

use crate::error::{ApiError, ErrorCode, FieldError};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// A JSON body. Malformed JSON is `QY-REQ-0001`; a missing field or a value of the wrong type is
/// `QY-REQ-0002` with the field named in `fields`.
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .is_some_and(|mime| mime == "application/json" || mime.ends_with("+json"))
}

/// The field a serde data error is about: the path where it happened, or the missing field's name.
fn field_of(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let message = error.inner().to_string();
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    let path = error.path().to_string();
    match (missing, path.as_str()) {
        (Some(name), ".") => name.to_owned(),
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, path) => path.to_owned(),
    }
}

/// `bytes` as JSON of type `T`: malformed is `QY-REQ-0001`, a missing or mistyped field
/// `QY-REQ-0002` naming the field.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => value,
        Err(error) if error.inner().is_data() => {
            let field = field_of(&error);
            tracing::info!(field, "JSON body refused: {}", error.inner());
            return Err(ApiError::fields(vec![FieldError {
                field,
                code: ErrorCode::InvalidBody,
            }]));
        }
        Err(error) => {
            tracing::info!("malformed JSON body: {}", error.inner());
            return Err(ErrorCode::MalformedJson.into());
        }
    };
    deserializer
        .end()
        .map_err(|_| ApiError::from(ErrorCode::MalformedJson))?;
    Ok(value)
}

/// [`parse`], then the `validator` rules.
pub fn parse_valid<T: DeserializeOwned + Validate>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: T = parse(bytes)?;
    value.validate().map_err(|e| refusal(&e))?;
    Ok(value)
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(request.headers()) {
            return Err(ErrorCode::UnsupportedMediaType.into());
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    ErrorCode::PayloadTooLarge
                } else {
                    ErrorCode::BadRequest
                }
            })?;
        parse(&bytes).map(Json)
    }
}

/// A JSON body that also passed its `validator` rules; each rule names its `QY-` code, and every
/// field at fault is listed with its own.
pub struct Valid<T>(pub T);

fn collect(errors: &ValidationErrors, prefix: &str, out: &mut Vec<FieldError>) {
    for (name, kind) in errors.errors() {
        let field = if prefix.is_empty() {
            name.to_string()
        } else {
            format!("{prefix}.{name}")
        };
        match kind {
            ValidationErrorsKind::Field(errors) => {
                let code = errors
                    .first()
                    .and_then(|e| ErrorCode::from_code(&e.code))
                    .unwrap_or(ErrorCode::InvalidBody);
                out.push(FieldError { field, code });
            }
            ValidationErrorsKind::Struct(inner) => collect(inner, &field, out),
            ValidationErrorsKind::List(items) => {
                for (index, inner) in items {
                    collect(inner, &format!("{field}[{index}]"), out);
                }
            }
        }
    }
}

/// The field errors of a failed validation, in field order by name.
pub fn refusal(errors: &ValidationErrors) -> ApiError {
    let mut fields = Vec::new();
    collect(errors, "", &mut fields);
    fields.sort_by(|a, b| a.field.cmp(&b.field));
    ApiError::fields(fields)
}

impl<T: DeserializeOwned + Validate, S: Send + Sync> FromRequest<S> for Valid<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        value.validate().map_err(|e| refusal(&e))?;
        Ok(Valid(value))
    }
}

/// A flat JSON object read as two structs (each ignores the other's fields), both with their
/// rules, every field at fault of either listed together. Unlike one struct with `serde(flatten)`
/// parts, a mistyped value is still named by its field.
pub struct ValidParts<A, B>(pub A, pub B);

impl<A, B, S> FromRequest<S> for ValidParts<A, B>
where
    A: DeserializeOwned + Validate,
    B: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let Json(body) = Json::<serde_json::Value>::from_request(request, state).await?;
        let bytes =
            serde_json::to_vec(&body).map_err(|_| ApiError::from(ErrorCode::MalformedJson))?;
        let (a, b) = (parse::<A>(&bytes)?, parse::<B>(&bytes)?);
        let mut errors = ValidationErrors::new();
        for part in [a.validate(), b.validate()] {
            if let Err(part) = part {
                errors.errors_mut().extend(part.into_errors());
            }
        }
        if errors.is_empty() {
            Ok(ValidParts(a, b))
        } else {
            Err(refusal(&errors))
        }
    }
}

/// (limit, offset) of a page; 20 rows a page unless asked, at most 100; `QY-REQ-0011` otherwise.
pub fn paging(page: Option<i64>, page_size: Option<i64>) -> Result<(i64, i64), ApiError> {
    let page = page.unwrap_or(1);
    let size = page_size.unwrap_or(20);
    if page < 1 || !(1..=100).contains(&size) {
        return Err(ErrorCode::InvalidPage.into());
    }
    Ok((size, (page - 1) * size))
}

/// Path parameters; a malformed one is `QY-REQ-0006`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(ApiError))]
pub struct Path<T>(pub T);

/// Query strings; a malformed one is `QY-REQ-0005`.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
