//! 客户管理 for staff (issue 17; SEC-6, AML-4, INT-4): the customer list in the caller's data
//! scope, a customer's page (masked profile, points balance and history, coupons, the campaigns
//! whose lists hold them), the personal data in full for a holder of `pii:customer:unmask` (each
//! reading audited), and the import of the big-data platform's daily extract. The same
//! operations serve the ESB's `customer.upsert` and `customer.query`.

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Paging, Path, Query, Valid};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use crate::points::{PointsHistory, history_of};
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::HeaderMap;
use chrono::NaiveDate;
use futures::StreamExt;
use quanyi_activities::audit::Entry;
use quanyi_activities::customers::import::{self, ImportError, ImportReport, Importer};
use quanyi_activities::customers::keys::{CustomerKeys, Field};
use quanyi_activities::customers::{
    self as store, COUNT_CAP, Customer, CustomerCampaign, CustomerCoupon, CustomerInput, Outcome,
    PersonalData, Refusal, Status, checks,
};
use quanyi_activities::identity::User;
use quanyi_activities::identity::scope::scope_of;
use quanyi_activities::ledger::Balance;
use quanyi_workflows::domain::CustomerNo;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// The customers' keys, or `QY-CUST-0002` when the installation has none.
pub fn keys(state: &AppState) -> Result<&CustomerKeys, ApiError> {
    state
        .settings
        .customer_keys
        .as_ref()
        .ok_or_else(|| ErrorCode::CustomerKeysMissing.into())
}

/// The edge's code for a field that failed its check.
pub fn field_code(field: Field) -> ErrorCode {
    match field {
        Field::Name => ErrorCode::InvalidCustomerName,
        Field::Phone => ErrorCode::InvalidCustomerPhone,
        Field::IdNumber => ErrorCode::InvalidIdNumber,
        Field::Cards => ErrorCode::InvalidCardNumber,
    }
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::OrgOutOfScope => ErrorCode::UnknownCustomerOrg.into(),
        Refusal::Invalid(field) => ApiError::fields(vec![FieldError {
            field: field.as_str().into(),
            code: field_code(field),
        }]),
    }
}

/// A customer number in a path: one that does not parse is refused as the field would be.
fn customer_in_path(no: &str) -> Result<CustomerNo, ApiError> {
    CustomerNo::parse(no).map_err(|_| ErrorCode::InvalidCustomerNo.into())
}

/// Filters of 客户信息; every one optional.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct CustomerQuery {
    /// The customer number or its beginning: 1–32 letters or digits.
    pub customer_no: Option<String>,
    pub org_id: Option<Uuid>,
    /// `active`, `dormant` or `closed`.
    pub status: Option<String>,
}

impl CustomerQuery {
    fn filter(self) -> Result<store::Filter, ApiError> {
        let text = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let customer_no = text(self.customer_no);
        if customer_no
            .as_deref()
            .is_some_and(|n| n.len() > 32 || !n.bytes().all(|b| b.is_ascii_alphanumeric()))
        {
            return Err(field_error("customer_no", ErrorCode::InvalidCustomerNo));
        }
        let status = match text(self.status) {
            None => None,
            Some(s) => Some(
                Status::parse(&s)
                    .ok_or_else(|| field_error("status", ErrorCode::InvalidCustomerStatus))?,
            ),
        };
        Ok(store::Filter {
            customer_no,
            org_id: self.org_id,
            status,
            phone: None,
        })
    }
}

fn field_error(field: &str, code: ErrorCode) -> ApiError {
    ApiError::fields(vec![FieldError {
        field: field.into(),
        code,
    }])
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerPage {
    pub items: Vec<Customer>,
    /// The matches, counted up to 10,000 (`total_capped`: more than that; narrow the search).
    pub total: i64,
    pub total_capped: bool,
}

/// 客户信息: customers in the caller's data scope by customer number, personal data masked.
#[utoipa::path(get, path = "/api/v1/customers", tag = "customers", operation_id = "customer_list",
    params(CustomerQuery, Paging),
    responses(
        (status = 200, body = CustomerPage),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0010, QY-CUST-0009 (as fields)"),
        (status = 503, body = crate::error::ErrorBody, description = "QY-CUST-0002 no personal-data keys configured"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CustomerView>,
    paging: Paging,
    Query(query): Query<CustomerQuery>,
) -> Result<Json<CustomerPage>, ApiError> {
    let keys = keys(&state)?;
    let filter = query.filter()?;
    let scope = scope_of(&state.pool, user.id).await?;
    let (items, total) = store::list(
        &state.pool,
        keys,
        &scope,
        &filter,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok(Json(CustomerPage {
        items,
        total: total.min(COUNT_CAP),
        total_capped: total > COUNT_CAP,
    }))
}

/// A search by phone number: in the body, never in a URL that proxies and access logs keep.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct PhoneLookup {
    /// A whole mainland mobile number (11 digits).
    #[schema(example = "13812345678")]
    #[validate(custom(function = "check_phone", code = "QY-CUST-0006"))]
    pub phone: String,
}

/// 客户信息 by phone number: the customers in the caller's scope with this number, found through
/// its blind index (the number is never stored in clear), personal data masked.
#[utoipa::path(post, path = "/api/v1/customers/phone-lookup", tag = "customers", operation_id = "customer_phone_lookup",
    request_body = PhoneLookup,
    responses(
        (status = 200, body = CustomerPage),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CUST-0006 not a mobile number"),
        (status = 503, body = crate::error::ErrorBody, description = "QY-CUST-0002"),
    ))]
pub async fn by_phone(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CustomerView>,
    Valid(lookup): Valid<PhoneLookup>,
) -> Result<Json<CustomerPage>, ApiError> {
    let keys = keys(&state)?;
    let scope = scope_of(&state.pool, user.id).await?;
    let filter = store::Filter {
        phone: Some(lookup.phone),
        ..store::Filter::default()
    };
    let (items, total) = store::list(&state.pool, keys, &scope, &filter, 100, 0).await?;
    Ok(Json(CustomerPage {
        items,
        total: total.min(COUNT_CAP),
        total_capped: total > COUNT_CAP,
    }))
}

/// The customer in the user's data scope, masked; `QY-CUST-0001` otherwise.
pub async fn customer_in_scope(
    state: &AppState,
    user: &User,
    customer: &CustomerNo,
) -> Result<Customer, ApiError> {
    let scope = scope_of(&state.pool, user.id).await?;
    store::detail(&state.pool, keys(state)?, &scope, customer)
        .await?
        .ok_or_else(|| ErrorCode::UnknownCustomer.into())
}

/// A customer's page: the masked profile, the points and the campaigns.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerDetail {
    pub customer: Customer,
    /// The points account (zero before the first earning).
    pub points: Balance,
    /// The point lots with points left that expire within the next 90 days, earliest first (at
    /// most 100).
    pub expiring: Vec<quanyi_activities::points::lots::Lot>,
    /// The campaigns whose lists hold the customer (at most 100, latest start first).
    pub campaigns: Vec<CustomerCampaign>,
}

/// A customer's page: masked profile, points balance and the lots expiring within 90 days, the
/// campaigns they are in.
#[utoipa::path(get, path = "/api/v1/customers/{customer_no}", tag = "customers", operation_id = "customer_detail",
    params(("customer_no" = String, Path)),
    responses(
        (status = 200, body = CustomerDetail),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CUST-0001 no such customer in scope"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0010"),
        (status = 503, body = crate::error::ErrorBody, description = "QY-CUST-0002"),
    ))]
pub async fn detail(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CustomerView>,
    Path(no): Path<String>,
) -> Result<Json<CustomerDetail>, ApiError> {
    let no = customer_in_path(&no)?;
    let customer = customer_in_scope(&state, &user, &no).await?;
    let account = quanyi_activities::points::customer_account(&no).id();
    let soon = state.clock.now() + chrono::Duration::days(90);
    Ok(Json(CustomerDetail {
        customer,
        points: quanyi_activities::points::balance(&state.pool, &no).await?,
        expiring: quanyi_activities::points::lots::expiring(&state.pool, account, soon).await?,
        campaigns: store::campaigns(&state.pool, &no).await?,
    }))
}

/// A customer's points movements, newest first.
#[utoipa::path(get, path = "/api/v1/customers/{customer_no}/points", tag = "customers", operation_id = "customer_points",
    params(("customer_no" = String, Path), Paging),
    responses(
        (status = 200, body = PointsHistory),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CUST-0001"),
    ))]
pub async fn points(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CustomerView>,
    Path(no): Path<String>,
    paging: Paging,
) -> Result<Json<PointsHistory>, ApiError> {
    let no = customer_in_path(&no)?;
    customer_in_scope(&state, &user, &no).await?;
    Ok(Json(
        history_of(&state, &no, paging.limit(), paging.offset()).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CustomerCoupons {
    pub items: Vec<CustomerCoupon>,
    pub total: i64,
}

/// The coupons a customer claimed, newest first (their codes are not shown here).
#[utoipa::path(get, path = "/api/v1/customers/{customer_no}/coupons", tag = "customers", operation_id = "customer_coupons",
    params(("customer_no" = String, Path), Paging),
    responses(
        (status = 200, body = CustomerCoupons),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CUST-0001"),
    ))]
pub async fn coupons(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::CustomerView>,
    Path(no): Path<String>,
    paging: Paging,
) -> Result<Json<CustomerCoupons>, ApiError> {
    let no = customer_in_path(&no)?;
    customer_in_scope(&state, &user, &no).await?;
    let (items, total) = store::coupons(&state.pool, &no, paging.limit(), paging.offset()).await?;
    Ok(Json(CustomerCoupons { items, total }))
}

/// SEC-6: a customer's personal data in full (显示). Each call is audited
/// (`pii.customer.unmask`: whose data, which fields — never the values).
#[utoipa::path(get, path = "/api/v1/customers/{customer_no}/personal-data", tag = "customers", operation_id = "customer_personal_data",
    params(("customer_no" = String, Path)),
    responses(
        (status = 200, body = PersonalData),
        (status = 403, body = crate::error::ErrorBody, description = "QY-AUTH-0003 without pii:customer:unmask"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-CUST-0001 no such customer in scope"),
        (status = 503, body = crate::error::ErrorBody, description = "QY-CUST-0002"),
    ))]
pub async fn personal_data(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CustomerUnmask>,
    Path(no): Path<String>,
) -> Result<Json<PersonalData>, ApiError> {
    let no = customer_in_path(&no)?;
    let keys = keys(&state)?;
    let scope = scope_of(&state.pool, user.id).await?;
    let data = store::unmask(
        &state.pool,
        keys,
        &scope,
        actor(&user, peer),
        &no,
        state.clock.now(),
    )
    .await?
    .ok_or(ErrorCode::UnknownCustomer)?;
    Ok(Json(data))
}

/// The largest extract the upload takes: some three million customers. Larger files go through
/// `quanyi customers import FILE` on a server.
pub const MAX_IMPORT_FILE: usize = 512 * 1024 * 1024;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ImportQuery {
    /// The file's name, for the report and the batch log (default `upload.csv`).
    pub file_name: Option<String>,
}

/// 导入客户: the big-data platform's daily extract (docs/customers.md), a UTF-8 CSV file with a
/// header, streamed into PostgreSQL. The good lines are upserted — a line equal to what is
/// stored changes nothing, so the same file twice changes nothing — and the report names the
/// refused lines by number, field and reason. Rows may name only orgs in the caller's data scope.
/// Recorded in 批量日志 (`customer_import`) and audited.
#[utoipa::path(post, path = "/api/v1/customers/imports", tag = "customers", operation_id = "customer_import",
    params(ImportQuery),
    request_body(content = String, content_type = "text/csv",
        description = "The extract's bytes (UTF-8 CSV; text/csv, text/plain or application/octet-stream)"),
    responses(
        (status = 200, body = ImportReport),
        (status = 413, body = crate::error::ErrorBody, description = "QY-REQ-0004 larger than 512 MiB"),
        (status = 415, body = crate::error::ErrorBody, description = "QY-REQ-0003 not a CSV file"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CUST-0003 no header naming customer_no and org_code, no data line, or a line longer than 8192 bytes: nothing imported"),
        (status = 503, body = crate::error::ErrorBody, description = "QY-CUST-0002"),
    ))]
pub async fn import(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CustomerImport>,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<ImportReport>, ApiError> {
    let media = crate::extract::media_type(&headers);
    if !matches!(
        media.as_str(),
        "text/csv" | "text/plain" | "application/csv" | "application/octet-stream"
    ) {
        return Err(ErrorCode::UnsupportedMediaType.into());
    }
    let keys = keys(&state)?;
    let file_name = query
        .file_name
        .map(|n| n.trim().chars().take(255).collect::<String>())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "upload.csv".into());
    let importer = Importer {
        triggered_by: "staff",
        scope: scope_of(&state.pool, user.id).await?,
        by: actor(&user, peer),
    };
    let mut read = 0usize;
    let limited = body.into_data_stream().map(move |chunk| {
        let chunk = chunk?;
        read += chunk.len();
        if read > MAX_IMPORT_FILE {
            return Err(axum::Error::new("the extract is larger than 512 MiB"));
        }
        Ok(chunk)
    });
    let report = import::import(
        &state.pool,
        keys,
        importer,
        &file_name,
        Box::pin(limited),
        state.clock.as_ref(),
    )
    .await
    .map_err(|e| match e {
        ImportError::Header(reason) => {
            tracing::info!(reason, "customer extract refused");
            ApiError::from(ErrorCode::InvalidCustomerImport)
        }
        ImportError::LineTooLong(_) | ImportError::Empty => {
            ApiError::from(ErrorCode::InvalidCustomerImport)
        }
        ImportError::Body(reason) => {
            tracing::info!(reason, "customer extract body not read");
            ApiError::from(ErrorCode::PayloadTooLarge)
        }
        ImportError::Store(e) => e.into(),
    })?;
    Ok(Json(report))
}

fn check_status(status: &str) -> Result<(), ValidationError> {
    Status::parse(status)
        .map(drop)
        .ok_or_else(|| ValidationError::new("status"))
}

fn check_customer_no(no: &str) -> Result<(), ValidationError> {
    CustomerNo::parse(no)
        .map(drop)
        .map_err(|_| ValidationError::new("customer_no"))
}

fn check_org_code(code: &str) -> Result<(), ValidationError> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("org_code"))
    }
}

fn check_name(v: &str) -> Result<(), ValidationError> {
    checks::name(v)
        .then_some(())
        .ok_or_else(|| ValidationError::new("name"))
}

fn check_phone(v: &str) -> Result<(), ValidationError> {
    checks::phone(v)
        .then_some(())
        .ok_or_else(|| ValidationError::new("phone"))
}

fn check_id_number(v: &str) -> Result<(), ValidationError> {
    checks::id_number(v)
        .then_some(())
        .ok_or_else(|| ValidationError::new("id_number"))
}

fn check_cards(v: &[String]) -> Result<(), ValidationError> {
    (v.len() <= checks::MAX_CARDS && v.iter().all(|c| checks::card_number(c)))
        .then_some(())
        .ok_or_else(|| ValidationError::new("card_numbers"))
}

/// `customer.upsert`: one customer's whole record as the core holds it; an absent personal
/// field is cleared.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct CustomerUpsertBody {
    /// 6–32 letters or digits.
    #[schema(example = "C10000001")]
    #[validate(custom(function = "check_customer_no", code = "QY-CAMP-0010"))]
    pub customer_no: String,
    /// The code of the org that serves the customer; in the acting user's data scope.
    #[schema(example = "BR01")]
    #[validate(custom(function = "check_org_code", code = "QY-CUST-0004"))]
    pub org_code: String,
    /// `active` (default), `dormant` or `closed`.
    #[validate(custom(function = "check_status", code = "QY-CUST-0009"))]
    pub status: Option<String>,
    /// The date the customer became one (`YYYY-MM-DD`).
    pub opened_on: Option<NaiveDate>,
    /// The customer's name (1–50 characters); `customer_name`, so the message log masks it.
    #[validate(custom(function = "check_name", code = "QY-CUST-0005"))]
    pub customer_name: Option<String>,
    /// A mainland mobile number, 11 digits.
    #[validate(custom(function = "check_phone", code = "QY-CUST-0006"))]
    pub phone: Option<String>,
    /// An 18-character resident ID number with its check digit.
    #[validate(custom(function = "check_id_number", code = "QY-CUST-0007"))]
    pub id_number: Option<String>,
    /// Bank card numbers (Luhn), at most 20.
    #[serde(default)]
    #[validate(custom(function = "check_cards", code = "QY-CUST-0008"))]
    pub card_numbers: Vec<String>,
}

/// What `customer.upsert` did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerUpserted {
    /// Masked.
    pub customer_no: String,
    pub outcome: Outcome,
    /// The pseudonymous id analytics and exports use.
    pub pseudonym: String,
}

/// Creates or replaces one customer for `user` (the ESB's acting user), audited as `by`.
pub async fn upsert_for(
    state: &AppState,
    user: &User,
    by: Entry,
    body: &CustomerUpsertBody,
) -> Result<CustomerUpserted, ApiError> {
    let keys = keys(state)?;
    let customer: CustomerNo = crate::extract::parsed(
        "customer_no",
        body.customer_no.as_str(),
        ErrorCode::InvalidCustomerNo,
    )?;
    let input = CustomerInput {
        customer_no: customer.clone(),
        org_code: body.org_code.clone(),
        status: body
            .status
            .as_deref()
            .and_then(Status::parse)
            .unwrap_or(Status::Active),
        opened_on: body.opened_on,
        personal: PersonalData {
            name: body.customer_name.clone(),
            phone: body.phone.clone(),
            id_number: body.id_number.as_deref().map(str::to_uppercase),
            card_numbers: body.card_numbers.clone(),
        },
    };
    let scope = scope_of(&state.pool, user.id).await?;
    let outcome = store::upsert(&state.pool, keys, &scope, &input, state.clock.now(), by)
        .await?
        .map_err(refusal)?;
    Ok(CustomerUpserted {
        customer_no: quanyi_activities::pii::mask(
            quanyi_activities::pii::Kind::CustomerNo,
            customer.as_str(),
        ),
        outcome,
        pseudonym: keys.pseudonym(customer.as_str()),
    })
}

/// `customer.query`: a customer by number, masked, with the points balance.
#[derive(Debug, Deserialize, Validate, utoipa::ToSchema)]
pub struct CustomerQueryBody {
    #[validate(custom(function = "check_customer_no", code = "QY-CAMP-0010"))]
    pub customer_no: String,
}

/// What `customer.query` answers: the masked record and the points.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CustomerQueried {
    pub customer: Customer,
    pub points: Balance,
}

/// A customer in `user`'s data scope, masked, with the points balance.
pub async fn query_for(
    state: &AppState,
    user: &User,
    body: &CustomerQueryBody,
) -> Result<CustomerQueried, ApiError> {
    let customer: CustomerNo = crate::extract::parsed(
        "customer_no",
        body.customer_no.as_str(),
        ErrorCode::InvalidCustomerNo,
    )?;
    let found = customer_in_scope(state, user, &customer).await?;
    Ok(CustomerQueried {
        customer: found,
        points: quanyi_activities::points::balance(&state.pool, &customer).await?,
    })
}
