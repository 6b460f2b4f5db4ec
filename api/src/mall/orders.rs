//! 发货中心: a supplier's users (`product:product:supply`) see their supplier's orders, open one
//! with its delivery address whole (the read is audited) and its 订单日志, and ship paid orders
//! with a carrier and tracking number (订单回执) — one, or many at once from a file the portal
//! reads. Another supplier's order answers as no order (`QY-MALL-0029`).

use super::supplier::supplier_of;
use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Path, Query, Valid};
use crate::h5::orders::{OrderPage, OrdersQuery, order_refusal, status_filter};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use quanyi_activities::audit::{self, Entry};
use quanyi_activities::mall::addresses;
use quanyi_activities::mall::orders::{self, LogRow, OrderView, Shipment};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use validator::{Validate, ValidationError};

/// 发货中心: the supplier's orders, newest first (`status=paid`: waiting to be shipped).
#[utoipa::path(get, path = "/api/v1/mall/supplier-orders", tag = "mall", params(OrdersQuery, Paging),
    responses((status = 200, body = OrderPage),
        (status = 403, body = crate::error::ErrorBody, description = "QY-MALL-0010 not a supplier")))]
pub async fn supplier_orders(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Query(query): Query<OrdersQuery>,
    paging: Paging,
) -> Result<Json<OrderPage>, ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    let filter = orders::Filter {
        customer: None,
        supplier: Some(supplier),
        order_no: None,
        status: status_filter(query.status.as_deref())?,
        limit: paging.limit(),
        offset: paging.offset(),
    };
    let (items, total) = orders::list(&state.pool, &filter).await?;
    Ok(Json(OrderPage { items, total }))
}

/// Where an order goes, whole: the supplier ships to it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ShipTo {
    pub name: String,
    pub phone: String,
    pub region: String,
    pub detail: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SupplierOrder {
    pub order: OrderView,
    pub ship_to: ShipTo,
    /// 订单日志, oldest first.
    pub log: Vec<LogRow>,
}

/// An order of the supplier's with its delivery address and log; the address read is audited.
#[utoipa::path(get, path = "/api/v1/mall/supplier-orders/{order_no}", tag = "mall",
    params(("order_no" = String, Path)),
    responses((status = 200, body = SupplierOrder),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0029 no such order of your supplier")))]
pub async fn supplier_order(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Path(order_no): Path<String>,
) -> Result<Json<SupplierOrder>, ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    let (order, log, address_id) = orders::supplier_detail(&state.pool, supplier, &order_no)
        .await?
        .ok_or(ErrorCode::NoSuchOrder)?;
    let keys = state
        .settings
        .customer_keys
        .as_ref()
        .ok_or(ErrorCode::CustomerKeysMissing)?;
    let address = addresses::address(&state.pool, keys, address_id)
        .await?
        .ok_or(ErrorCode::NoSuchOrder)?;
    let mut tx = state.pool.begin().await?;
    audit::append(
        &mut tx,
        state.clock.now(),
        Entry {
            action: "mall.order.address.read",
            target: Some(order_no),
            ..actor(&user, peer)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Json(SupplierOrder {
        order,
        ship_to: ShipTo {
            name: address.name,
            phone: address.phone,
            region: address.region,
            detail: address.detail,
        },
        log,
    }))
}

fn tracking_no(text: &str) -> Result<(), ValidationError> {
    let ok = (4..=40).contains(&text.len())
        && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    ok.then_some(())
        .ok_or_else(|| ValidationError::new("tracking_no"))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ShipmentBody {
    #[schema(example = "顺丰速运", min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, code = "QY-MALL-0036"))]
    pub carrier: String,
    #[schema(example = "SF1234567890", pattern = "^[0-9A-Za-z-]{4,40}$")]
    #[validate(custom(function = "tracking_no", code = "QY-MALL-0036"))]
    pub tracking_no: String,
}

async fn ship_one(
    state: &AppState,
    user: &quanyi_activities::identity::User,
    peer: SocketAddr,
    supplier: uuid::Uuid,
    order_no: &str,
    carrier: &str,
    tracking_no: &str,
) -> Result<(), ApiError> {
    let carrier = carrier.trim();
    if carrier.is_empty() {
        return Err(ErrorCode::InvalidShipment.into());
    }
    let shipment = Shipment {
        carrier,
        tracking_no,
    };
    let now = state.clock.now();
    orders::ship(
        &state.pool,
        supplier,
        order_no,
        &shipment,
        &user.username,
        now,
    )
    .await?
    .map_err(order_refusal)?;
    let mut tx = state.pool.begin().await?;
    audit::append(
        &mut tx,
        now,
        Entry {
            action: "mall.order.ship",
            target: Some(order_no.to_owned()),
            after: Some(serde_json::json!({ "carrier": carrier, "tracking_no": tracking_no })),
            ..actor(user, peer)
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// 发货: a paid order of the supplier's, with its carrier and tracking number.
#[utoipa::path(post, path = "/api/v1/mall/supplier-orders/{order_no}/shipment", tag = "mall",
    params(("order_no" = String, Path)), request_body = ShipmentBody,
    responses((status = 200, body = OrderView),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0029 no such order of your supplier"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0030 not paid, or shipped already"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0036 carrier or tracking number")))]
pub async fn ship(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Path(order_no): Path<String>,
    Valid(body): Valid<ShipmentBody>,
) -> Result<Json<OrderView>, ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    ship_one(
        &state,
        &user,
        peer,
        supplier,
        &order_no,
        &body.carrier,
        &body.tracking_no,
    )
    .await?;
    let (order, _, _) = orders::supplier_detail(&state.pool, supplier, &order_no)
        .await?
        .ok_or(ErrorCode::NoSuchOrder)?;
    Ok(Json(order))
}

#[derive(Deserialize, Serialize, Validate, utoipa::ToSchema)]
pub struct BatchShipmentLine {
    #[schema(example = "DD202612110000000001", min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-MALL-0029"))]
    pub order_no: String,
    #[schema(example = "顺丰速运", min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, code = "QY-MALL-0036"))]
    pub carrier: String,
    #[schema(example = "SF1234567890", pattern = "^[0-9A-Za-z-]{4,40}$")]
    #[validate(custom(function = "tracking_no", code = "QY-MALL-0036"))]
    pub tracking_no: String,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct BatchShipmentBody {
    /// The file's rows (订单号, 物流公司, 运单号) as the portal read them.
    #[schema(min_items = 1, max_items = 500)]
    #[validate(length(min = 1, max = 500, code = "QY-MALL-0036"), nested)]
    pub shipments: Vec<BatchShipmentLine>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RefusedShipment {
    /// The row's place in `shipments`, from 0.
    pub index: usize,
    pub order_no: String,
    /// Why it was not shipped (`QY-MALL-0029`, `QY-MALL-0030`, …).
    pub code: &'static str,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct BatchShipmentReport {
    pub shipped: usize,
    /// The rows not shipped, each with its code.
    pub refused: Vec<RefusedShipment>,
}

/// 批量发货: each row shipped on its own; the report says which were not and why.
#[utoipa::path(post, path = "/api/v1/mall/supplier-orders/shipments", tag = "mall",
    request_body = BatchShipmentBody,
    responses((status = 200, body = BatchShipmentReport),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0036 a row's carrier or tracking number")))]
pub async fn ship_batch(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Valid(body): Valid<BatchShipmentBody>,
) -> Result<Json<BatchShipmentReport>, ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    let mut shipped = 0;
    let mut refused = Vec::new();
    for (i, line) in body.shipments.iter().enumerate() {
        let shipped_one = ship_one(
            &state,
            &user,
            peer,
            supplier,
            &line.order_no,
            &line.carrier,
            &line.tracking_no,
        )
        .await;
        match shipped_one {
            Ok(()) => shipped += 1,
            Err(e) => refused.push(RefusedShipment {
                index: i,
                order_no: line.order_no.clone(),
                code: e.code.code(),
            }),
        }
    }
    Ok(Json(BatchShipmentReport { shipped, refused }))
}
