//! The customers' side of the mall (issue 19) under `/api/h5/v1/…`, every route behind the customer's H5
//! session ([`super::Customer`]): the address book (masked), placing an order, paying it
//! through Q支付, the active query of a payment whose callback never came, cancelling, confirming
//! receipt, and the customer's orders. A customer reaches only their own addresses and orders:
//! another's answer as none.

use super::Customer;
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Path, Query, Valid, ValidRaw};
use axum::extract::State;
use axum::http::StatusCode;
use quanyi_activities::customers::checks;
use quanyi_activities::mall::addresses::{self, AddressDraft, AddressView};
use quanyi_activities::mall::orders::{
    self, DEFAULT_PAY_MINUTES, LineRequest, OrderView, PAY_MINUTES_PARAMETER, PayStart,
    PlaceRequest, Refusal,
};
use quanyi_activities::qpay::TradeStatus;
use quanyi_workflows::domain::CustomerNo;
use serde::{Deserialize, Serialize};
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// The code of an order's refusal.
pub fn order_refusal(refusal: Refusal) -> ApiError {
    match refusal {
        Refusal::RequestIdReused => ErrorCode::OrderRequestIdReused,
        Refusal::NotOnSale => ErrorCode::NotOnSale,
        Refusal::SoldOut => ErrorCode::MallSoldOut,
        Refusal::InsufficientPoints => ErrorCode::OrderPointsShort,
        Refusal::MixedSuppliers => ErrorCode::MixedSuppliers,
        Refusal::UnknownAddress => ErrorCode::UnknownAddress,
        Refusal::CouponUnusable => ErrorCode::CouponUnusable,
        Refusal::CouponLocked => ErrorCode::CouponLocked,
        Refusal::NoSuchOrder => ErrorCode::NoSuchOrder,
        Refusal::WrongState => ErrorCode::OrderWrongState,
        Refusal::PayWindowOver => ErrorCode::PayWindowOver,
        Refusal::PaymentUnavailable => ErrorCode::PaymentUnavailable,
    }
    .into()
}

fn keys(state: &AppState) -> Result<&quanyi_activities::customers::keys::CustomerKeys, ApiError> {
    state
        .settings
        .customer_keys
        .as_ref()
        .ok_or_else(|| ErrorCode::CustomerKeysMissing.into())
}

fn phone(text: &str) -> Result<(), ValidationError> {
    checks::phone(text)
        .then_some(())
        .ok_or_else(|| ValidationError::new("phone"))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct AddressBody {
    #[schema(example = "张三", min_length = 1, max_length = 20)]
    #[validate(length(min = 1, max = 20, code = "QY-MALL-0034"))]
    pub name: String,
    #[schema(example = "13812345678", pattern = "^1[3-9][0-9]{9}$")]
    #[validate(custom(function = "phone", code = "QY-MALL-0034"))]
    pub phone: String,
    /// Province, city, district.
    #[schema(example = "浙江省 杭州市 西湖区", min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-MALL-0034"))]
    pub region: String,
    #[schema(example = "文三路 100 号 5 幢 301", min_length = 1, max_length = 200)]
    #[validate(length(min = 1, max = 200, code = "QY-MALL-0034"))]
    pub detail: String,
    #[serde(default)]
    pub is_default: bool,
}

/// 我的收货地址 (masked).
#[utoipa::path(get, path = "/api/h5/v1/addresses", tag = "h5",
    responses((status = 200, body = [AddressView]),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session")))]
pub async fn my_addresses(
    State(state): State<AppState>,
    Customer(me): Customer,
) -> Result<Json<Vec<AddressView>>, ApiError> {
    Ok(Json(
        addresses::list(&state.pool, keys(&state)?, &me).await?,
    ))
}

/// 新增收货地址.
#[utoipa::path(post, path = "/api/h5/v1/addresses", tag = "h5", request_body = AddressBody,
    responses((status = 201, body = AddressView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0035 20 addresses already"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0034 a field at fault")))]
pub async fn add_address(
    State(state): State<AppState>,
    Customer(me): Customer,
    Valid(body): Valid<AddressBody>,
) -> Result<(StatusCode, Json<AddressView>), ApiError> {
    let draft = AddressDraft {
        name: body.name.trim().to_owned(),
        phone: body.phone,
        region: body.region.trim().to_owned(),
        detail: body.detail.trim().to_owned(),
        is_default: body.is_default,
    };
    if draft.name.is_empty() || draft.region.is_empty() || draft.detail.is_empty() {
        return Err(ErrorCode::InvalidAddress.into());
    }
    let view = addresses::add(&state.pool, keys(&state)?, &me, &draft, state.clock.now())
        .await?
        .map_err(|_| ErrorCode::TooManyAddresses)?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// 删除收货地址 (orders shipping to it keep it).
#[utoipa::path(delete, path = "/api/h5/v1/addresses/{id}", tag = "h5",
    params(("id" = Uuid, Path)),
    responses((status = 204),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0026 no such address of yours")))]
pub async fn remove_address(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    addresses::remove(&state.pool, &me, id, state.clock.now())
        .await?
        .map_err(|_| ApiError::from(ErrorCode::UnknownAddress))?;
    Ok(StatusCode::NO_CONTENT)
}

fn request_id(id: &str) -> Result<(), ValidationError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b':' | b'-'));
    ok.then_some(())
        .ok_or_else(|| ValidationError::new("request_id"))
}

#[derive(Deserialize, Serialize, Validate, utoipa::ToSchema)]
pub struct OrderLineBody {
    #[schema(example = "SP20261210000001", min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-MALL-0022"))]
    pub product_code: String,
    #[schema(example = "RED-L", min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-MALL-0022"))]
    pub sku_code: String,
    #[schema(minimum = 1, maximum = 99)]
    #[validate(range(min = 1, max = 99, code = "QY-MALL-0033"))]
    pub quantity: i32,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct OrderBody {
    /// The client's id of this order: the same id again gets the same order.
    #[schema(example = "h5-7f3a9c", pattern = "^[0-9A-Za-z_.:-]{1,64}$")]
    #[validate(custom(function = "request_id", code = "QY-REQ-0002"))]
    pub request_id: String,
    #[schema(min_items = 1, max_items = 20)]
    #[validate(length(min = 1, max = 20, code = "QY-MALL-0033"), nested)]
    pub lines: Vec<OrderLineBody>,
    pub address_id: Uuid,
    /// A claimed coupon's code, taken off the cash part.
    #[schema(max_length = 64)]
    #[validate(length(min = 1, max = 64, code = "QY-MALL-0027"))]
    pub coupon_code: Option<String>,
}

/// 下单: stock taken, points held, coupon locked, in one transaction; the same request id
/// answers the same order.
#[utoipa::path(post, path = "/api/h5/v1/orders", tag = "h5", request_body = OrderBody,
    responses((status = 200, body = OrderView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0021 request id reused, 0023 sold out, 0024 points short, 0028 coupon held by another order"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0022 not on sale, 0025 mixed suppliers, 0026 unknown address, 0027 coupon unusable, 0033 lines")))]
pub async fn place_order(
    State(state): State<AppState>,
    Customer(me): Customer,
    ValidRaw(body, raw): ValidRaw<OrderBody>,
) -> Result<Json<OrderView>, ApiError> {
    let lines: Vec<LineRequest> = body
        .lines
        .iter()
        .map(|l| LineRequest {
            product_code: l.product_code.clone(),
            sku_code: l.sku_code.clone(),
            quantity: l.quantity,
        })
        .collect();
    let minutes =
        orders::parameter(&state.pool, PAY_MINUTES_PARAMETER, DEFAULT_PAY_MINUTES).await?;
    let request = PlaceRequest {
        customer: &me,
        request_id: &body.request_id,
        body: &raw,
        lines: &lines,
        address_id: body.address_id,
        coupon_code: body.coupon_code.as_deref(),
        pay_window: chrono::Duration::minutes(minutes),
    };
    let order = orders::place(&state.pool, &request, state.clock.now())
        .await?
        .map_err(order_refusal)?;
    Ok(Json(order))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OrdersQuery {
    /// `pending_payment`, `paid`, `shipped`, `completed`, `cancelled` or `closed`.
    pub status: Option<String>,
}

/// A status filter as the store takes it: a known state, else `QY-REQ-0005`.
pub fn status_filter(status: Option<&str>) -> Result<Option<&str>, ApiError> {
    match status {
        None | Some("") => Ok(None),
        Some(s) if quanyi_workflows::order::State::parse(s).is_some() => Ok(Some(s)),
        Some(_) => Err(ErrorCode::InvalidQuery.into()),
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct OrderPage {
    pub items: Vec<OrderView>,
    pub total: i64,
}

/// 我的订单.
#[utoipa::path(get, path = "/api/h5/v1/orders", tag = "h5", params(OrdersQuery, Paging),
    responses((status = 200, body = OrderPage),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session")))]
pub async fn my_orders(
    State(state): State<AppState>,
    Customer(me): Customer,
    Query(query): Query<OrdersQuery>,
    paging: Paging,
) -> Result<Json<OrderPage>, ApiError> {
    let filter = orders::Filter {
        customer: Some(me.as_str()),
        supplier: None,
        order_no: None,
        status: status_filter(query.status.as_deref())?,
        limit: paging.limit(),
        offset: paging.offset(),
    };
    let (items, total) = orders::list(&state.pool, &filter).await?;
    Ok(Json(OrderPage { items, total }))
}

async fn mine(state: &AppState, me: &CustomerNo, order_no: &str) -> Result<OrderView, ApiError> {
    orders::view_of_customer(&state.pool, me, order_no)
        .await?
        .ok_or_else(|| ErrorCode::NoSuchOrder.into())
}

/// 订单详情.
#[utoipa::path(get, path = "/api/h5/v1/orders/{order_no}", tag = "h5",
    params(("order_no" = String, Path)),
    responses((status = 200, body = OrderView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0029 no such order of yours")))]
pub async fn my_order(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(order_no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    Ok(Json(mine(&state, &me, &order_no).await?))
}

/// 去支付: a points-only order is paid at once; otherwise Q支付's payment page (the same page for
/// a repeat).
#[utoipa::path(post, path = "/api/h5/v1/orders/{order_no}/payment", tag = "h5",
    params(("order_no" = String, Path)),
    responses((status = 200, body = PayStart),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0029 no such order of yours"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0030 not waiting for payment, 0031 too late"),
        (status = 503, body = crate::error::ErrorBody, description = "QY-MALL-0032 Q支付 unavailable")))]
pub async fn pay(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(order_no): Path<String>,
) -> Result<Json<PayStart>, ApiError> {
    let mut started = orders::start_payment(
        &state.pool,
        state.settings.qpay.as_ref(),
        &me,
        &order_no,
        state.clock.now(),
    )
    .await?
    .map_err(order_refusal)?;
    if let (Some(url), Some(qpay)) = (&started.pay_url, &state.settings.qpay) {
        // Q支付's page is on Q支付: a path it answered is made absolute
        if url.starts_with('/') {
            started.pay_url = Some(format!(
                "{}{url}",
                qpay.config().base_url.trim_end_matches('/')
            ));
        }
    }
    Ok(Json(started))
}

/// 查询支付结果: asks Q支付 and settles a payment whose callback never came.
#[utoipa::path(post, path = "/api/h5/v1/orders/{order_no}/payment-query", tag = "h5",
    params(("order_no" = String, Path)),
    responses((status = 200, body = OrderView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0029 no such order of yours, or no payment started"),
        (status = 503, body = crate::error::ErrorBody, description = "QY-MALL-0032 Q支付 unavailable")))]
pub async fn query_payment(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(order_no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    mine(&state, &me, &order_no).await?;
    let qpay = state
        .settings
        .qpay
        .as_ref()
        .ok_or(ErrorCode::PaymentUnavailable)?;
    let _status: TradeStatus =
        orders::query_payment(&state.pool, qpay, &order_no, state.clock.now())
            .await?
            .map_err(order_refusal)?;
    Ok(Json(mine(&state, &me, &order_no).await?))
}

/// 取消订单 (before paying): stock, points and coupon go back.
#[utoipa::path(post, path = "/api/h5/v1/orders/{order_no}/cancel", tag = "h5",
    params(("order_no" = String, Path)),
    responses((status = 200, body = OrderView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0029 no such order of yours"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0030 not waiting for payment (or paid meanwhile)")))]
pub async fn cancel(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(order_no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    let view = orders::cancel(
        &state.pool,
        state.settings.qpay.as_ref(),
        &me,
        &order_no,
        state.clock.now(),
    )
    .await?
    .map_err(order_refusal)?;
    Ok(Json(view))
}

/// 确认收货.
#[utoipa::path(post, path = "/api/h5/v1/orders/{order_no}/receipt", tag = "h5",
    params(("order_no" = String, Path)),
    responses((status = 200, body = OrderView),
        (status = 401, body = crate::error::ErrorBody, description = "QY-SHOP-0005 no customer session"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0029 no such order of yours"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0030 not shipped")))]
pub async fn confirm(
    State(state): State<AppState>,
    Customer(me): Customer,
    Path(order_no): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    let view = orders::confirm(&state.pool, &me, &order_no, state.clock.now())
        .await?
        .map_err(order_refusal)?;
    Ok(Json(view))
}
