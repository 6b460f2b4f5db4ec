//! `Json`: axum's JSON extractor and response, with rejections in our error shape.

use crate::error::ApiError;
use axum::extract::FromRequest;
use axum::response::{IntoResponse, Response};

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
