//! Our extractors: the JSON body (with the field at fault named when a value has the wrong type or
//! is missing), validated JSON bodies (SEC-8: every broken rule, field by field, each with its own
//! code), path, query and paging — all refusing in our error shape. Every door (staff API, channel
//! API, ESB) reads JSON through [`check`]: duplicate keys, control characters and numbers out of
//! range are refused where the text enters, so nothing PostgreSQL cannot store reaches a store
//! function or an activity.

use crate::error::{ApiError, ErrorCode, FieldError};
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::HashSet;
use std::fmt;
use validator::{Validate, ValidationErrors, ValidationErrorsKind};

/// A JSON body. Malformed JSON is `QY-REQ-0001`; a missing field or a value of the wrong type is
/// `QY-REQ-0002` with the field named in `fields`.
pub struct Json<T>(pub T);

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// The media type a request or response names, lower case and without its parameters
/// (`Text/CSV; charset=GBK` is `text/csv`); empty when it names none.
pub fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether a request or response says its body is JSON (`application/json` or a `+json` type).
pub fn is_json(headers: &HeaderMap) -> bool {
    let mime = media_type(headers);
    mime == "application/json" || mime.ends_with("+json")
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

pub use quanyi_activities::text::{clean as clean_text, escape as escape_text};

/// What a strict reading of a JSON text found wrong first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flaw {
    /// Not JSON: a syntax error, trailing bytes, nesting deeper than 128, an unpaired surrogate.
    Malformed,
    /// A field at fault: a control character, a key named twice, a number out of range.
    Field(FieldError),
}

impl From<Flaw> for ApiError {
    fn from(flaw: Flaw) -> Self {
        match flaw {
            Flaw::Malformed => ErrorCode::MalformedJson.into(),
            Flaw::Field(field) => ApiError::fields(vec![field]),
        }
    }
}

// How the walker tells its own refusals from serde_json's (a custom error carries only text).
const CONTROL_IN_VALUE: &str = "qy-strict: control character in value";
const CONTROL_IN_KEY: &str = "qy-strict: control character in key ";
const DUPLICATE_KEY: &str = "qy-strict: duplicate key ";

/// Walks any JSON value, refusing control characters in keys and strings and keys named twice.
struct Walk;

impl<'de> serde::Deserialize<'de> for Walk {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Walk, D::Error> {
        deserializer.deserialize_any(Walk)
    }
}

impl<'de> Visitor<'de> for Walk {
    type Value = Walk;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<Walk, E> {
        Ok(Walk)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Walk, E> {
        Ok(Walk)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Walk, E> {
        Ok(Walk)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Walk, E> {
        Ok(Walk)
    }
    fn visit_unit<E>(self) -> Result<Walk, E> {
        Ok(Walk)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Walk, E> {
        if clean_text(v) {
            Ok(Walk)
        } else {
            Err(E::custom(CONTROL_IN_VALUE))
        }
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Walk, A::Error> {
        while seq.next_element::<Walk>()?.is_some() {}
        Ok(Walk)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Walk, A::Error> {
        let mut seen = HashSet::new();
        while let Some(key) = map.next_key::<String>()? {
            if !clean_text(&key) {
                return Err(de::Error::custom(format!(
                    "{CONTROL_IN_KEY}{}",
                    escape_text(&key)
                )));
            }
            if seen.contains(&key) {
                return Err(de::Error::custom(format!("{DUPLICATE_KEY}{key}")));
            }
            map.next_value::<Walk>()?;
            seen.insert(key);
        }
        Ok(Walk)
    }
}

/// Reads `bytes` strictly as one JSON value: the first [`Flaw`], if any.
pub fn check(bytes: &[u8]) -> Result<(), Flaw> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    match serde_path_to_error::deserialize::<_, Walk>(&mut deserializer) {
        Ok(Walk) => deserializer.end().map_err(|_| Flaw::Malformed),
        Err(error) => {
            let message = error.inner().to_string();
            let path = error.path().to_string();
            let under = |key: &str| {
                if path == "." {
                    key.to_owned()
                } else {
                    format!("{path}.{key}")
                }
            };
            let at = |field: String, code| Flaw::Field(FieldError { field, code });
            let flaw = if message.starts_with(CONTROL_IN_VALUE) {
                at(path.clone(), ErrorCode::ControlCharacter)
            } else if let Some(rest) = message.strip_prefix(CONTROL_IN_KEY) {
                at(under(strip_position(rest)), ErrorCode::ControlCharacter)
            } else if let Some(rest) = message.strip_prefix(DUPLICATE_KEY) {
                at(under(strip_position(rest)), ErrorCode::DuplicateKey)
            } else if message.starts_with("number out of range") {
                at(path.clone(), ErrorCode::InvalidBody)
            } else {
                Flaw::Malformed
            };
            tracing::info!(?flaw, "JSON refused: {message}");
            Err(flaw)
        }
    }
}

/// A custom serde_json message without the " at line L column C" it appends.
fn strip_position(message: &str) -> &str {
    message
        .rfind(" at line ")
        .map_or(message, |i| &message[..i])
}

/// `bytes` as JSON of type `T`, read strictly ([`check`]): malformed is `QY-REQ-0001`, a missing
/// or mistyped field `QY-REQ-0002`, a control character `QY-REQ-0012`, a key named twice
/// `QY-REQ-0013`, each naming the field. A body is an object: anything else at the top (serde
/// would read a struct from a positional array) is `QY-REQ-0002`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    check(bytes)?;
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::fields(vec![FieldError {
            field: ".".into(),
            code: ErrorCode::InvalidBody,
        }]));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = match serde_path_to_error::deserialize(&mut deserializer) {
        Ok(value) => value,
        // `check` read the text as JSON, so what fails here is its shape, even where serde_json
        // calls it a syntax error (a number where an enum's name belongs)
        Err(error) => {
            let field = field_of(&error);
            tracing::info!(field, "JSON body refused: {}", error.inner());
            return Err(ApiError::fields(vec![FieldError {
                field,
                code: ErrorCode::InvalidBody,
            }]));
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

/// One flat JSON object read as two structs (each ignores the other's fields), both with their
/// rules, every field at fault of either listed together. Unlike one struct with `serde(flatten)`
/// parts, a mistyped value is still named by its field.
pub fn parse_parts<A, B>(bytes: &[u8]) -> Result<(A, B), ApiError>
where
    A: DeserializeOwned + Validate,
    B: DeserializeOwned + Validate,
{
    let (a, b) = (parse::<A>(bytes)?, parse::<B>(bytes)?);
    let mut errors = ValidationErrors::new();
    for part in [a.validate(), b.validate()] {
        if let Err(part) = part {
            errors.errors_mut().extend(part.into_errors());
        }
    }
    if errors.is_empty() {
        Ok((a, b))
    } else {
        Err(refusal(&errors))
    }
}

/// A checked body field as the domain type it stands for (STYLE §6), for the handler to hand on.
/// The field's `validator` rule is that type's own parse, so every field at fault is listed
/// together; should the two ever part, the field is refused here with the rule's `code` all the
/// same.
pub fn parsed<S, T: TryFrom<S>>(field: &str, value: S, code: ErrorCode) -> Result<T, ApiError> {
    T::try_from(value).map_err(|_| {
        ApiError::fields(vec![FieldError {
            field: field.into(),
            code,
        }])
    })
}

/// A JSON request's body, within the body limit.
async fn json_bytes<S: Send + Sync>(request: Request, state: &S) -> Result<Bytes, ApiError> {
    if !is_json(request.headers()) {
        return Err(ErrorCode::UnsupportedMediaType.into());
    }
    Bytes::from_request(request, state)
        .await
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ErrorCode::PayloadTooLarge.into()
            } else {
                ErrorCode::BadRequest.into()
            }
        })
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        parse(&json_bytes(request, state).await?).map(Json)
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

/// A validated JSON body with its bytes as sent (for a request id's body check).
pub struct ValidRaw<T>(pub T, pub Bytes);

impl<T: DeserializeOwned + Validate, S: Send + Sync> FromRequest<S> for ValidRaw<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let raw = json_bytes(request, state).await?;
        Ok(ValidRaw(parse_valid(&raw)?, raw))
    }
}

/// A JSON body read by [`parse_parts`].
pub struct ValidParts<A, B>(pub A, pub B);

impl<A, B, S> FromRequest<S> for ValidParts<A, B>
where
    A: DeserializeOwned + Validate,
    B: DeserializeOwned + Validate,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let (a, b) = parse_parts(&json_bytes(request, state).await?)?;
        Ok(ValidParts(a, b))
    }
}

/// The largest page number a list serves: deeper than 10,000 pages is a job for filters or the
/// export, and the bound keeps `(page - 1) * page_size` far from overflow.
pub const MAX_PAGE: i64 = 10_000;

/// A list's page, read from the query string beside its filters: `page` 1–10,000 (default 1) and
/// `page_size` 1–100 (default 20); anything else, a number or not, is `QY-REQ-0011`. Every list
/// takes its page through this one extractor.
#[derive(Debug, Clone, Copy, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Page number, from 1.
    #[param(minimum = 1, maximum = 10000, default = 1)]
    page: Option<i64>,
    /// Rows a page.
    #[param(minimum = 1, maximum = 100, default = 20)]
    page_size: Option<i64>,
}

impl Paging {
    pub fn page(self) -> i64 {
        self.page.unwrap_or(1)
    }
    pub fn page_size(self) -> i64 {
        self.page_size.unwrap_or(20)
    }
    /// Rows to return (SQL `LIMIT`).
    pub fn limit(self) -> i64 {
        self.page_size()
    }
    /// Rows to skip (SQL `OFFSET`).
    pub fn offset(self) -> i64 {
        (self.page() - 1) * self.page_size()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Paging {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, ApiError> {
        let mut paging = Paging::default();
        let query = parts.uri.query().unwrap_or("");
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            let slot = match key.as_ref() {
                "page" => &mut paging.page,
                "page_size" => &mut paging.page_size,
                _ => continue,
            };
            *slot = Some(
                value
                    .parse::<i64>()
                    .map_err(|_| ApiError::from(ErrorCode::InvalidPage))?,
            );
        }
        if !(1..=MAX_PAGE).contains(&paging.page()) || !(1..=100).contains(&paging.page_size()) {
            return Err(ErrorCode::InvalidPage.into());
        }
        Ok(paging)
    }
}

/// A control character in a query parameter or path segment, as a field error naming it.
fn control_in(name: &str) -> ApiError {
    ApiError::fields(vec![FieldError {
        field: escape_text(name),
        code: ErrorCode::ControlCharacter,
    }])
}

/// Path parameters; a malformed one is `QY-REQ-0006`, one with a control character (`%00`)
/// `QY-REQ-0012`.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let raw = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::from(ErrorCode::InvalidPath))?;
        if let Some((name, _)) = raw.iter().find(|(_, value)| !clean_text(value)) {
            return Err(control_in(name));
        }
        let axum::extract::Path(value) =
            axum::extract::Path::<T>::from_request_parts(parts, state).await?;
        Ok(Path(value))
    }
}

/// Query strings; a malformed one is `QY-REQ-0005`, a parameter with a control character
/// `QY-REQ-0012`.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        if let Some((key, _)) = form_urlencoded::parse(query.as_bytes())
            .find(|(key, value)| !clean_text(key) || !clean_text(value))
        {
            return Err(control_in(&key));
        }
        let axum::extract::Query(value) =
            axum::extract::Query::<T>::from_request_parts(parts, state).await?;
        Ok(Query(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flaw(json: &str) -> Option<Flaw> {
        check(json.as_bytes()).err()
    }

    fn field(name: &str, code: ErrorCode) -> Option<Flaw> {
        Some(Flaw::Field(FieldError {
            field: name.into(),
            code,
        }))
    }

    #[test]
    fn control_characters_are_named_by_their_field_wherever_they_are() {
        use ErrorCode::ControlCharacter as C;
        assert_eq!(flaw(r#"{"name":"a\u0000b"}"#), field("name", C));
        assert_eq!(flaw(r#"{"a":{"b":["ok","\u001b"]}}"#), field("a.b[1]", C));
        assert_eq!(flaw(r#"{"a\u0000":1}"#), field("a\\u0000", C));
        assert_eq!(flaw(r#"["\u0085"]"#), field("[0]", C));
        assert_eq!(flaw(r#"{"x":"\uffff"}"#), field("x", C));
        // layout is text
        assert_eq!(flaw(r#"{"comment":"第一行\n第二行\t完\r"}"#), None);
    }

    #[test]
    fn a_key_named_twice_is_refused_at_any_depth() {
        use ErrorCode::DuplicateKey as D;
        assert_eq!(flaw(r#"{"a":1,"a":2}"#), field("a", D));
        assert_eq!(
            flaw(r#"{"sysHead":{},"body":{},"sysHead":{}}"#),
            field("sysHead", D)
        );
        assert_eq!(flaw(r#"{"o":[{"k":1},{"k":1,"k":1}]}"#), field("o[1].k", D));
        assert_eq!(flaw(r#"{"a":1,"b":{"a":1}}"#), None);
    }

    #[test]
    fn what_is_not_json_is_malformed() {
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        for bad in [deep.as_str(), r#"{"a":"\ud800"}"#, r#"{"a":1} x"#, "", "{"] {
            assert_eq!(flaw(bad), Some(Flaw::Malformed), "{bad:.40}");
        }
        assert_eq!(
            flaw(r#"{"n":1e400}"#),
            field("n", ErrorCode::InvalidBody),
            "out of range, named"
        );
        assert_eq!(flaw(r#"{"n":9223372036854775808,"m":-1.5e300}"#), None);
    }

    #[derive(Debug, serde::Deserialize, Validate)]
    struct Body {
        n: i64,
        name: String,
    }

    #[test]
    fn a_typed_body_is_read_strictly_then_by_type() {
        let code = |json: &str| parse::<Body>(json.as_bytes()).map_err(|e| (e.code, e.fields));
        assert!(code(r#"{"n":1,"name":"x"}"#).is_ok());
        assert_eq!(
            code(r#"{"n":9223372036854775808,"name":"x"}"#)
                .unwrap_err()
                .1[0]
                .field,
            "n"
        );
        assert_eq!(
            code(r#"{"n":1,"name":"x","name":"y"}"#).unwrap_err().0,
            ErrorCode::DuplicateKey
        );
        assert_eq!(
            code(r#"{"n":1,"name":"x","extra":"\u0000"}"#)
                .unwrap_err()
                .0,
            ErrorCode::ControlCharacter,
            "an unknown field is checked too"
        );
        // serde would read a struct from a positional array: a body is an object
        let positional = code(r#" [1, "x"]"#).unwrap_err();
        assert_eq!(positional.0, ErrorCode::InvalidBody);
        assert_eq!(positional.1[0].field, ".");
    }

    #[derive(Debug, serde::Deserialize, Validate)]
    struct Part {
        #[validate(range(min = 1, code = "QY-REQ-0002"))]
        rate: i64,
    }

    #[test]
    fn a_body_read_in_two_parts_names_the_field_at_fault_in_either() {
        let mistyped = parse_parts::<Body, Part>(br#"{"n":1,"name":"x","rate":"fast"}"#)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(mistyped.fields[0].field, "rate");
        let broken = parse_parts::<Body, Part>(br#"{"n":1,"name":"x","rate":0}"#)
            .map(|_| ())
            .unwrap_err();
        assert_eq!(broken.fields[0].field, "rate");
        let (body, part) = parse_parts::<Body, Part>(br#"{"n":2,"name":"y","rate":5}"#).unwrap();
        assert_eq!((body.n, body.name.as_str(), part.rate), (2, "y", 5));
    }
}
