//! 我的商品: a supplier's users (`product:product:supply`, a merchant user of a merchant with the
//! supplier role) keep their own products — new, edit, delete by state, submit for listing, add
//! stock, ask to delist. Nobody reaches another supplier's products: the supplier is always the
//! caller's own merchant, and another's product answers as no product (`QY-MALL-0001`).

use super::{ListingPending, product_refusal, start_listing};
use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Path, Query, Valid};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use crate::merchants::users::merchant_of;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use quanyi_activities::identity::User;
use quanyi_activities::mall::catalogue::{self, CategoryRow};
use quanyi_activities::mall::products::{
    self, Edited, ProductDetail, ProductDraft, ProductRow, SkuDraft, StockAdded,
};
use quanyi_activities::mall::sanitise_description;
use quanyi_activities::store::Cached;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// The caller's merchant, if it is an active supplier: `QY-BEN-3010` for anyone who is not a
/// merchant user, `QY-MALL-0010` for a merchant that is not a supplier.
pub(crate) async fn supplier_of(state: &AppState, user: &User) -> Result<Uuid, ApiError> {
    let merchant = merchant_of(user)?;
    products::supplier_org(&state.pool, merchant)
        .await?
        .ok_or(ErrorCode::NotASupplier)?;
    Ok(merchant)
}

fn sku_code(code: &str) -> Result<(), ValidationError> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    ok.then_some(()).ok_or_else(|| ValidationError::new("sku"))
}

fn tags(tags: &[String]) -> Result<(), ValidationError> {
    let ok = tags.len() <= 10
        && tags
            .iter()
            .all(|t| (1..=20).contains(&t.trim().chars().count()));
    ok.then_some(()).ok_or_else(|| ValidationError::new("tags"))
}

/// One SKU: its specs, its price (points, fen, or both), its market price and, for a new SKU,
/// its stock.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct SkuBody {
    #[schema(example = "RED-L", pattern = "^[0-9A-Za-z_-]{1,32}$")]
    #[validate(custom(function = "sku_code", code = "QY-MALL-0011"))]
    pub code: String,
    /// The specs, e.g. `颜色:红 尺寸:L`.
    #[schema(example = "500g 礼盒装", min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-MALL-0011"))]
    pub spec: String,
    #[schema(minimum = 0, maximum = 100_000_000)]
    #[validate(range(min = 0, max = 100_000_000, code = "QY-MALL-0003"))]
    pub price_points: i64,
    #[schema(minimum = 0, maximum = 100_000_000)]
    #[validate(range(min = 0, max = 100_000_000, code = "QY-MALL-0003"))]
    pub price_fen: i64,
    #[schema(minimum = 0, maximum = 100_000_000)]
    #[validate(range(min = 0, max = 100_000_000, code = "QY-MALL-0003"))]
    pub market_price_fen: Option<i64>,
    /// A new SKU's stock; an existing SKU's changes only by adding stock.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 1_000_000_000)]
    #[validate(range(min = 0, max = 1_000_000_000, code = "QY-MALL-0020"))]
    pub stock: i64,
}

/// A product as its supplier writes it.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ProductBody {
    #[schema(example = "tea", min_length = 1, max_length = 32)]
    #[validate(length(min = 1, max = 32, code = "QY-MALL-0002"))]
    pub category_code: String,
    #[schema(example = "明前龙井", min_length = 1, max_length = 100)]
    #[validate(length(min = 1, max = 100, code = "QY-MALL-0011"))]
    pub name: String,
    #[schema(max_length = 200)]
    #[validate(length(max = 200, code = "QY-MALL-0011"))]
    pub subtitle: Option<String>,
    /// Rich text (HTML): kept sanitised — no scripts, styles or event handlers.
    #[serde(default)]
    #[schema(max_length = 20000)]
    #[validate(length(max = 20000, code = "QY-MALL-0011"))]
    pub description: String,
    /// File ids of images (`POST /api/v1/files`), in the order shown.
    #[serde(default)]
    #[schema(max_items = 9)]
    #[validate(length(max = 9, code = "QY-MALL-0004"))]
    pub images: Vec<Uuid>,
    #[serde(default)]
    #[schema(max_items = 10)]
    #[validate(custom(function = "tags", code = "QY-MALL-0011"))]
    pub tags: Vec<String>,
    #[serde(default)]
    #[schema(max_items = 50)]
    #[validate(nested)]
    pub skus: Vec<SkuBody>,
    /// Why (a listed product's revision: shown to the approver and kept in the price history).
    #[schema(max_length = 500)]
    #[validate(length(min = 1, max = 500, code = "QY-MALL-0012"))]
    pub reason: Option<String>,
}

fn trimmed(text: Option<String>) -> Option<String> {
    text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty())
}

impl ProductBody {
    /// The draft as the store keeps it, or the fields at fault: a SKU priced at nothing, a SKU
    /// code twice.
    fn draft(self) -> Result<(ProductDraft, Option<String>), ApiError> {
        let mut fields = Vec::new();
        if self.skus.len() > 50 {
            fields.push(FieldError {
                field: "skus".into(),
                code: ErrorCode::InvalidProduct,
            });
        }
        {
            let mut seen = HashSet::new();
            for (i, sku) in self.skus.iter().enumerate() {
                if sku.price_points == 0 && sku.price_fen == 0 {
                    fields.push(FieldError {
                        field: format!("skus[{i}].price_points"),
                        code: ErrorCode::InvalidPrice,
                    });
                }
                if !seen.insert(sku.code.as_str()) {
                    fields.push(FieldError {
                        field: format!("skus[{i}].code"),
                        code: ErrorCode::InvalidProduct,
                    });
                }
            }
        }
        if self.name.trim().is_empty() {
            fields.push(FieldError {
                field: "name".into(),
                code: ErrorCode::InvalidProduct,
            });
        }
        if !fields.is_empty() {
            return Err(ApiError::fields(fields));
        }
        let draft = ProductDraft {
            category_code: self.category_code,
            name: self.name.trim().to_owned(),
            subtitle: trimmed(self.subtitle),
            description: sanitise_description(&self.description),
            images: self.images,
            tags: self.tags.into_iter().map(|t| t.trim().to_owned()).collect(),
            skus: self
                .skus
                .into_iter()
                .map(|s| SkuDraft {
                    code: s.code,
                    spec: s.spec.trim().to_owned(),
                    price_points: s.price_points,
                    price_fen: s.price_fen,
                    market_price_fen: s.market_price_fen,
                    stock: s.stock,
                })
                .collect(),
        };
        Ok((draft, trimmed(self.reason)))
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ProductQuery {
    /// `draft`, `pending`, `listed` or `delisted`.
    pub status: Option<String>,
}

/// The categories a supplier files its products under, a tree by `parent_code` (the same tree
/// 商品管理 keeps; a supplier holds no catalogue permission of staff).
#[utoipa::path(get, path = "/api/v1/supplier/categories", tag = "supplier", operation_id = "supplier_categories",
    responses(
        (status = 200, body = Vec<CategoryRow>),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user, QY-MALL-0010 not a supplier"),
    ))]
pub async fn categories(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
) -> Result<Json<Vec<CategoryRow>>, ApiError> {
    supplier_of(&state, &user).await?;
    Ok(Json(catalogue::categories(&state.pool).await?))
}

/// The caller's supplier's products, newest change first.
#[utoipa::path(get, path = "/api/v1/supplier/products", tag = "supplier", params(ProductQuery),
    responses(
        (status = 200, body = Vec<ProductRow>),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user, QY-MALL-0010 not a supplier"),
    ))]
pub async fn my_products(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Query(query): Query<ProductQuery>,
) -> Result<Json<Vec<ProductRow>>, ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    Ok(Json(
        products::list(&state.pool, Some(supplier), query.status.as_deref()).await?,
    ))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct CreatedProduct {
    /// The product's number (`SP…`).
    pub code: String,
}

/// A new product of the caller's supplier, a draft (草稿). Audited.
#[utoipa::path(post, path = "/api/v1/supplier/products", tag = "supplier", request_body = ProductBody,
    responses(
        (status = 201, body = CreatedProduct),
        (status = 403, body = crate::error::ErrorBody, description = "QY-BEN-3010 not a merchant user, QY-MALL-0010 not a supplier"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0002 category, 0003 price, 0004 image, 0011 the fields"),
    ))]
pub async fn create_product(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Valid(body): Valid<ProductBody>,
) -> Result<(StatusCode, Json<CreatedProduct>), ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    let (draft, _) = body.draft()?;
    let code = products::create(
        &state.pool,
        supplier,
        &draft,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(product_refusal)?;
    Ok((StatusCode::CREATED, Json(CreatedProduct { code })))
}

/// One of the caller's supplier's products: its live (or draft) version, the request waiting and
/// the price history.
#[utoipa::path(get, path = "/api/v1/supplier/products/{code}", tag = "supplier",
    params(("code" = String, Path)),
    responses(
        (status = 200, body = ProductDetail),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0001 no such product of yours"),
    ))]
pub async fn my_product(
    State(state): State<AppState>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Path(code): Path<String>,
) -> Result<Json<ProductDetail>, ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    Ok(Json(
        products::detail(&state.pool, &code, Some(supplier))
            .await?
            .ok_or(ErrorCode::NoSuchProduct)?,
    ))
}

/// Edit: a draft or a delisted product changes at once (200); a listed one's change is a
/// revision waiting for its approval (202) while the live version keeps selling — a price change
/// among it goes into 价格修改历史 when approved. Audited.
#[utoipa::path(put, path = "/api/v1/supplier/products/{code}", tag = "supplier",
    params(("code" = String, Path)), request_body = ProductBody,
    responses(
        (status = 204, description = "saved"),
        (status = 202, body = ListingPending, description = "a revision waiting for approval"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0001 no such product of yours"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0006 waiting for review, 0007 a request waits, 0009 nothing changed"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0002 category, 0003 price, 0004 image, 0011 the fields"),
    ))]
pub async fn edit_product(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Path(code): Path<String>,
    Valid(body): Valid<ProductBody>,
) -> Result<Response, ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    let (draft, reason) = body.draft()?;
    let edited = products::edit(
        &state.pool,
        supplier,
        &code,
        &draft,
        reason.as_deref(),
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(product_refusal)?;
    match edited {
        Edited::Saved => Ok(StatusCode::NO_CONTENT.into_response()),
        Edited::Revision(request) => {
            let pending = start_listing(&state, &user, request, reason).await?;
            Ok((StatusCode::ACCEPTED, Json(pending)).into_response())
        }
    }
}

/// Delete a draft or a delisted product (never one waiting or on sale). Audited.
#[utoipa::path(delete, path = "/api/v1/supplier/products/{code}", tag = "supplier",
    params(("code" = String, Path)),
    responses(
        (status = 204, description = "deleted"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0001 no such product of yours"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0006 waiting or on sale"),
    ))]
pub async fn delete_product(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    products::delete(
        &state.pool,
        supplier,
        &code,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(product_refusal)?;
    Ok(StatusCode::NO_CONTENT)
}

/// 提交上架: a draft (or a delisted product) with images, SKUs and a description goes 待审核,
/// and its listing process `listing-<id>` starts: 审核, then 复核. Audited.
#[utoipa::path(post, path = "/api/v1/supplier/products/{code}/submission", tag = "supplier",
    params(("code" = String, Path)),
    responses(
        (status = 202, body = ListingPending, description = "waiting for approval"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0001 no such product of yours"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0006 not a draft"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0005 images, SKUs or description missing"),
    ))]
pub async fn submit_product(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Path(code): Path<String>,
) -> Result<(StatusCode, Json<ListingPending>), ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    let request = products::submit(
        &state.pool,
        supplier,
        &code,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(product_refusal)?;
    let pending = start_listing(&state, &user, request, None).await?;
    Ok((StatusCode::ACCEPTED, Json(pending)))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct StockBody {
    #[schema(example = "RED-L")]
    #[validate(custom(function = "sku_code", code = "QY-MALL-0008"))]
    pub sku_code: String,
    #[schema(minimum = 1, maximum = 1_000_000_000)]
    #[validate(range(min = 1, max = 1_000_000_000, code = "QY-MALL-0020"))]
    pub quantity: i64,
    /// Why: shown to the approver of a large increase.
    #[schema(max_length = 500)]
    #[validate(length(min = 1, max = 500, code = "QY-MALL-0012"))]
    pub reason: Option<String>,
}

/// 补库存: add stock to a SKU — at once up to the stock-approval threshold (the one coupons
/// use), through the listing process above it (202). Audited.
#[utoipa::path(post, path = "/api/v1/supplier/products/{code}/stock", tag = "supplier",
    params(("code" = String, Path)), request_body = StockBody,
    responses(
        (status = 204, description = "added"),
        (status = 202, body = ListingPending, description = "above the threshold: waiting for approval"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0001 no such product of yours, 0008 no such SKU"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0007 a request waits"),
    ))]
pub async fn add_stock(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Path(code): Path<String>,
    Valid(body): Valid<StockBody>,
) -> Result<Response, ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    let reason = trimmed(body.reason);
    let added = products::add_stock(
        &state.pool,
        supplier,
        &code,
        &body.sku_code,
        body.quantity,
        state.settings.stock_approval_threshold,
        reason.as_deref(),
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(product_refusal)?;
    match added {
        StockAdded::Added => {
            state.caches.invalidate(Cached::Catalogue);
            Ok(StatusCode::NO_CONTENT.into_response())
        }
        StockAdded::Requested(request) => {
            let pending = start_listing(&state, &user, request, reason).await?;
            Ok((StatusCode::ACCEPTED, Json(pending)).into_response())
        }
    }
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ReasonBody {
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, code = "QY-MALL-0012"))]
    pub reason: String,
}

/// 申请下架: the supplier asks to take its listed product off sale; it sells until approved.
#[utoipa::path(post, path = "/api/v1/supplier/products/{code}/delist-request", tag = "supplier",
    params(("code" = String, Path)), request_body = ReasonBody,
    responses(
        (status = 202, body = ListingPending, description = "waiting for approval"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0001 no such product of yours"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0006 not on sale, 0007 a request waits"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0012 the reason"),
    ))]
pub async fn request_delist(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductSupply>,
    Path(code): Path<String>,
    Valid(body): Valid<ReasonBody>,
) -> Result<(StatusCode, Json<ListingPending>), ApiError> {
    let supplier = supplier_of(&state, &user).await?;
    let reason = trimmed(Some(body.reason)).ok_or_else(|| {
        ApiError::fields(vec![FieldError {
            field: "reason".into(),
            code: ErrorCode::ReasonRequired,
        }])
    })?;
    let request = products::request_delist(
        &state.pool,
        supplier,
        &code,
        &reason,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(product_refusal)?;
    let pending = start_listing(&state, &user, request, Some(reason)).await?;
    Ok((StatusCode::ACCEPTED, Json(pending)))
}
