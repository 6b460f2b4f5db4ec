//! 积分商城 I (issue 18 part A) over HTTP: 商品管理 for staff (every supplier's products, 强制下架,
//! categories, tags, 导航栏/轮播图, 评价审核), the suppliers' 我的商品 ([`supplier`]), the supplier
//! role on a merchant, and the catalogue the customers' mall reads — public, cached, and dropped
//! from the cache when a product is listed, revised, restocked or delisted.

pub mod orders;
pub mod supplier;

use crate::AppState;
use crate::error::{ApiError, ErrorCode, FieldError};
use crate::extract::{Json, Path, Query, Valid};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use quanyi_activities::identity::{User, scope};
use quanyi_activities::mall::catalogue::{
    self, BannerDraft, BannerRow, CategoryDraft, CategoryRow, Home, ProductCard, ProductPage,
    ReviewRow, TagRow,
};
use quanyi_activities::mall::products::{self, NewRequest, ProductDetail, ProductRow, Refusal};
use quanyi_activities::store::Cached;
use quanyi_workflows::kind::{LISTING_CHANGE_POLICY, ProcessKind};
use quanyi_workflows::listing::{self, RequestKind};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

/// A request waiting for its listing process.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ListingPending {
    pub request_id: Uuid,
    /// The request's business number (`SJ…`), what staff see and search by.
    pub code: String,
    /// `list`, `revise`, `restock` or `delist`.
    pub kind: String,
    pub workflow_id: String,
    pub state: String,
}

pub(crate) fn product_refusal(r: Refusal) -> ApiError {
    let field = |field: String, code| ApiError::fields(vec![FieldError { field, code }]);
    match r {
        Refusal::UnknownProduct => ErrorCode::NoSuchProduct.into(),
        Refusal::UnknownCategory => field("category_code".into(), ErrorCode::UnknownMallCategory),
        Refusal::NotAnImage(i) => field(format!("images[{i}]"), ErrorCode::NotAnImage),
        Refusal::WrongStatus => ErrorCode::ProductWrongStatus.into(),
        Refusal::Pending => ErrorCode::ListingRequestPending.into(),
        Refusal::UnknownSku => ErrorCode::NoSuchSku.into(),
        Refusal::Missing(what) => field(what.into(), ErrorCode::ListingIncomplete),
        Refusal::Unchanged => ErrorCode::RevisionUnchanged.into(),
    }
}

/// Starts the listing process of a recorded request with its category's policy of the day:
/// `listing` (审核, 复核) for a first listing, `listing-change` for the others.
pub async fn start_listing(
    state: &AppState,
    user: &User,
    request: NewRequest,
    reason: Option<String>,
) -> Result<ListingPending, ApiError> {
    let kind = ProcessKind::Listing;
    let policy_key = match request.kind {
        RequestKind::List => kind.policy_key(),
        RequestKind::Revise | RequestKind::Restock | RequestKind::Delist => LISTING_CHANGE_POLICY,
    };
    let (_, submitter) = crate::process::actor_of(state, user).await?;
    let policy = quanyi_activities::process::inbox::policy_for(
        &state.pool,
        policy_key,
        &request.category_code,
    )
    .await?
    .ok_or(ErrorCode::InvalidPolicy)?;
    let input = listing::ListingInput {
        request_id: request.id.to_string(),
        product_code: request.product_code.clone(),
        product_name: request.product_name.clone(),
        kind: request.kind,
        reason,
        org_id: request.org_id.to_string(),
        chain: quanyi_activities::campaign::org_chain(&state.pool, request.org_id).await?,
        submitted_by: submitter.clone(),
        policy,
    };
    let key = input.request_id.clone();
    let (workflow_id, view) = crate::process::start(
        state,
        kind,
        listing::ListingWorkflow::run,
        input,
        &key,
        &submitter,
    )
    .await?;
    Ok(ListingPending {
        request_id: request.id,
        code: request.code,
        kind: request.kind.as_str().into(),
        workflow_id,
        state: view.state,
    })
}

fn catalogue_refusal(r: catalogue::Refusal) -> ApiError {
    match r {
        catalogue::Refusal::UnknownCategory => ErrorCode::NoSuchMallCategory,
        catalogue::Refusal::Taken => ErrorCode::MallCategoryTaken,
        catalogue::Refusal::Cycle => ErrorCode::InvalidMallCategory,
        catalogue::Refusal::InUse => ErrorCode::MallCategoryInUse,
        catalogue::Refusal::NotFound => ErrorCode::NoSuchCatalogueItem,
        catalogue::Refusal::NotAnImage => ErrorCode::InvalidBanner,
    }
    .into()
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct StaffProductQuery {
    /// `draft`, `pending`, `listed` or `delisted`.
    pub status: Option<String>,
}

/// 商品管理: every supplier's products, newest change first.
#[utoipa::path(get, path = "/api/v1/mall/products", tag = "mall", params(StaffProductQuery),
    responses((status = 200, body = Vec<ProductRow>)))]
pub async fn products(
    State(state): State<AppState>,
    _: Authorized<perm::CatalogueView>,
    Query(query): Query<StaffProductQuery>,
) -> Result<Json<Vec<ProductRow>>, ApiError> {
    Ok(Json(
        products::list(&state.pool, None, query.status.as_deref()).await?,
    ))
}

/// A product: its live version, the request waiting (a revision shows what it proposes) and its
/// price history.
#[utoipa::path(get, path = "/api/v1/mall/products/{code}", tag = "mall",
    params(("code" = String, Path)),
    responses(
        (status = 200, body = ProductDetail),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0001 no such product"),
    ))]
pub async fn product(
    State(state): State<AppState>,
    _: Authorized<perm::CatalogueView>,
    Path(code): Path<String>,
) -> Result<Json<ProductDetail>, ApiError> {
    Ok(Json(
        products::detail(&state.pool, &code, None)
            .await?
            .ok_or(ErrorCode::NoSuchProduct)?,
    ))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ForcedDelistBody {
    #[schema(min_length = 1, max_length = 500)]
    #[validate(length(min = 1, max = 500, code = "QY-MALL-0012"))]
    pub reason: String,
}

/// 强制下架: staff take a listed product off sale at once, with a reason; no approval. Audited.
#[utoipa::path(post, path = "/api/v1/mall/products/{code}/forced-delist", tag = "mall",
    params(("code" = String, Path)), request_body = ForcedDelistBody,
    responses(
        (status = 204, description = "delisted"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0001 no such product"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0006 not on sale"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0012 the reason"),
    ))]
pub async fn force_delist(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ProductDelist>,
    Path(code): Path<String>,
    Valid(body): Valid<ForcedDelistBody>,
) -> Result<StatusCode, ApiError> {
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ApiError::fields(vec![FieldError {
            field: "reason".into(),
            code: ErrorCode::ReasonRequired,
        }]));
    }
    products::force_delist(
        &state.pool,
        &code,
        reason,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(product_refusal)?;
    // this replica's copy goes now; the others hear of it at the commit
    state.caches.invalidate(Cached::Catalogue);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct SupplierBody {
    /// Whether the merchant has the supplier role.
    pub supplier: bool,
}

/// 供应商: give a merchant the supplier role (its administrators then keep products in the
/// portal) or take it away. Within the caller's data scope; audited.
#[utoipa::path(put, path = "/api/v1/benefits/merchants/{code}/supplier", tag = "benefits",
    params(("code" = String, Path, description = "The merchant's code")), request_body = SupplierBody,
    responses(
        (status = 204, description = "set"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-BEN-1021 no such merchant (within your data scope)"),
    ))]
pub async fn set_supplier(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::MerchantManage>,
    Path(code): Path<String>,
    Valid(body): Valid<SupplierBody>,
) -> Result<StatusCode, ApiError> {
    let scope = scope::scope_of(&state.pool, user.id).await?;
    let set = products::set_supplier(
        &state.pool,
        &code,
        body.supplier,
        &scope,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?;
    if !set {
        return Err(ErrorCode::NoSuchMerchant.into());
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The categories, a tree by `parent_code`.
#[utoipa::path(get, path = "/api/v1/mall/categories", tag = "mall",
    responses((status = 200, body = Vec<CategoryRow>)))]
pub async fn categories(
    State(state): State<AppState>,
    _: Authorized<perm::CatalogueView>,
) -> Result<Json<Vec<CategoryRow>>, ApiError> {
    Ok(Json(catalogue::categories(&state.pool).await?))
}

fn category_code(code: &str) -> Result<(), ValidationError> {
    let ok = (1..=32).contains(&code.len())
        && code
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
    ok.then_some(())
        .ok_or_else(|| ValidationError::new("category"))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct CategoryBody {
    #[schema(example = "tea", pattern = "^[a-z0-9][a-z0-9_-]{0,31}$")]
    #[validate(custom(function = "category_code", code = "QY-MALL-0016"))]
    pub code: String,
    #[schema(example = "food")]
    #[validate(custom(function = "category_code", code = "QY-MALL-0016"))]
    pub parent_code: Option<String>,
    #[schema(example = "茶叶", min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, code = "QY-MALL-0016"))]
    pub name: String,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 9999)]
    #[validate(range(min = 0, max = 9999, code = "QY-MALL-0016"))]
    pub sort: i32,
    #[serde(default)]
    pub hidden: bool,
}

impl CategoryBody {
    fn draft(self, code: Option<String>) -> Result<CategoryDraft, ApiError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err(ApiError::fields(vec![FieldError {
                field: "name".into(),
                code: ErrorCode::InvalidMallCategory,
            }]));
        }
        Ok(CategoryDraft {
            code: code.unwrap_or(self.code),
            parent_code: self.parent_code,
            name,
            sort: self.sort,
            hidden: self.hidden,
        })
    }
}

/// A new category (under a parent, or at the top). Audited.
#[utoipa::path(post, path = "/api/v1/mall/categories", tag = "mall", request_body = CategoryBody,
    responses(
        (status = 204, description = "added"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0014 no such parent"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0013 the code is taken"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0016 the fields"),
    ))]
pub async fn create_category(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CatalogueManage>,
    Valid(body): Valid<CategoryBody>,
) -> Result<StatusCode, ApiError> {
    let draft = body.draft(None)?;
    catalogue::save_category(
        &state.pool,
        &draft,
        false,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(catalogue_refusal)?;
    state.caches.invalidate(Cached::Catalogue);
    Ok(StatusCode::NO_CONTENT)
}

/// Change a category (its code stays). Audited.
#[utoipa::path(put, path = "/api/v1/mall/categories/{code}", tag = "mall",
    params(("code" = String, Path)), request_body = CategoryBody,
    responses(
        (status = 204, description = "changed"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0014 no such category or parent"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0016 the fields, or a parent below it"),
    ))]
pub async fn update_category(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CatalogueManage>,
    Path(code): Path<String>,
    Valid(body): Valid<CategoryBody>,
) -> Result<StatusCode, ApiError> {
    let draft = body.draft(Some(code))?;
    catalogue::save_category(
        &state.pool,
        &draft,
        true,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(catalogue_refusal)?;
    state.caches.invalidate(Cached::Catalogue);
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a category with no products and no subcategories. Audited.
#[utoipa::path(delete, path = "/api/v1/mall/categories/{code}", tag = "mall",
    params(("code" = String, Path)),
    responses(
        (status = 204, description = "removed"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0014 no such category"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0015 still in use"),
    ))]
pub async fn delete_category(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CatalogueManage>,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    catalogue::delete_category(&state.pool, &code, state.clock.now(), actor(&user, peer))
        .await?
        .map_err(catalogue_refusal)?;
    state.caches.invalidate(Cached::Catalogue);
    Ok(StatusCode::NO_CONTENT)
}

/// The tags products may carry.
#[utoipa::path(get, path = "/api/v1/mall/tags", tag = "mall",
    responses((status = 200, body = Vec<TagRow>)))]
pub async fn tags(
    State(state): State<AppState>,
    _: Authorized<perm::CatalogueView>,
) -> Result<Json<Vec<TagRow>>, ApiError> {
    Ok(Json(catalogue::tags(&state.pool).await?))
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct TagBody {
    #[schema(example = "新品", min_length = 1, max_length = 20)]
    #[validate(length(min = 1, max = 20, code = "QY-MALL-0011"))]
    pub name: String,
}

/// A new tag. Audited.
#[utoipa::path(post, path = "/api/v1/mall/tags", tag = "mall", request_body = TagBody,
    responses(
        (status = 201, body = TagRow),
        (status = 409, body = crate::error::ErrorBody, description = "QY-MALL-0019 the tag exists"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0011 the name"),
    ))]
pub async fn create_tag(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CatalogueManage>,
    Valid(body): Valid<TagBody>,
) -> Result<(StatusCode, Json<TagRow>), ApiError> {
    let name = body.name.trim();
    if name.is_empty() {
        return Err(ApiError::fields(vec![FieldError {
            field: "name".into(),
            code: ErrorCode::InvalidProduct,
        }]));
    }
    let tag = catalogue::add_tag(&state.pool, name, state.clock.now(), actor(&user, peer))
        .await?
        .map_err(|_| ApiError::from(ErrorCode::MallTagTaken))?;
    Ok((StatusCode::CREATED, Json(tag)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct BannerQuery {
    /// `banner` 轮播图 or `nav` 导航栏.
    pub kind: Option<String>,
}

/// 导航栏 and 轮播图, with their schedules.
#[utoipa::path(get, path = "/api/v1/mall/banners", tag = "mall", params(BannerQuery),
    responses((status = 200, body = Vec<BannerRow>)))]
pub async fn banners(
    State(state): State<AppState>,
    _: Authorized<perm::CatalogueView>,
    Query(query): Query<BannerQuery>,
) -> Result<Json<Vec<BannerRow>>, ApiError> {
    Ok(Json(
        catalogue::banners(&state.pool, query.kind.as_deref()).await?,
    ))
}

/// Whether a banner's link is a path in the mall or an https address, without spaces.
fn banner_link(link: &str) -> Result<(), ValidationError> {
    let ok = link.len() <= 500
        && !link.chars().any(char::is_whitespace)
        && ((link.starts_with('/') && !link.starts_with("//"))
            || link
                .strip_prefix("https://")
                .is_some_and(|rest| !rest.is_empty()));
    ok.then_some(()).ok_or_else(|| ValidationError::new("link"))
}

/// `banner` or `nav`.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BannerKind {
    Banner,
    Nav,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct BannerBody {
    pub kind: BannerKind,
    #[schema(example = "年货节", min_length = 1, max_length = 50)]
    #[validate(length(min = 1, max = 50, code = "QY-MALL-0017"))]
    pub title: String,
    /// A file id of an image staff uploaded.
    pub image_id: Option<Uuid>,
    /// A path in the mall (`/h5/…`) or an https address.
    #[schema(example = "/h5/category/tea", max_length = 500)]
    #[validate(custom(function = "banner_link", code = "QY-MALL-0017"))]
    pub link: Option<String>,
    #[serde(default)]
    #[schema(minimum = 0, maximum = 9999)]
    #[validate(range(min = 0, max = 9999, code = "QY-MALL-0017"))]
    pub sort: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn enabled() -> bool {
    true
}

impl BannerBody {
    fn draft(self) -> Result<BannerDraft, ApiError> {
        let title = self.title.trim().to_owned();
        let mut fields = Vec::new();
        if title.is_empty() {
            fields.push("title");
        }
        if self.ends_at <= self.starts_at {
            fields.push("ends_at");
        }
        if !fields.is_empty() {
            return Err(ApiError::fields(
                fields
                    .into_iter()
                    .map(|f| FieldError {
                        field: f.into(),
                        code: ErrorCode::InvalidBanner,
                    })
                    .collect(),
            ));
        }
        Ok(BannerDraft {
            kind: match self.kind {
                BannerKind::Banner => "banner",
                BannerKind::Nav => "nav",
            }
            .into(),
            title,
            image_id: self.image_id,
            link: self.link,
            sort: self.sort,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            enabled: self.enabled,
        })
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SavedBanner {
    pub id: Uuid,
}

/// A new 导航栏 entry or 轮播图, on show from its start to its end. Audited.
#[utoipa::path(post, path = "/api/v1/mall/banners", tag = "mall", request_body = BannerBody,
    responses(
        (status = 201, body = SavedBanner),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0017 the fields or the image"),
    ))]
pub async fn create_banner(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CatalogueManage>,
    Valid(body): Valid<BannerBody>,
) -> Result<(StatusCode, Json<SavedBanner>), ApiError> {
    let draft = body.draft()?;
    let id = catalogue::save_banner(
        &state.pool,
        None,
        &draft,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(catalogue_refusal)?;
    state.caches.invalidate(Cached::Catalogue);
    Ok((StatusCode::CREATED, Json(SavedBanner { id })))
}

/// Change a 导航栏 entry or 轮播图. Audited.
#[utoipa::path(put, path = "/api/v1/mall/banners/{id}", tag = "mall",
    params(("id" = Uuid, Path)), request_body = BannerBody,
    responses(
        (status = 204, description = "changed"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0018 no such banner"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0017 the fields or the image"),
    ))]
pub async fn update_banner(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CatalogueManage>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<BannerBody>,
) -> Result<StatusCode, ApiError> {
    let draft = body.draft()?;
    catalogue::save_banner(
        &state.pool,
        Some(id),
        &draft,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(catalogue_refusal)?;
    state.caches.invalidate(Cached::Catalogue);
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a 导航栏 entry or 轮播图. Audited.
#[utoipa::path(delete, path = "/api/v1/mall/banners/{id}", tag = "mall",
    params(("id" = Uuid, Path)),
    responses(
        (status = 204, description = "removed"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0018 no such banner"),
    ))]
pub async fn delete_banner(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::CatalogueManage>,
    Path(id): Path<Uuid>,
) -> Result<StatusCode, ApiError> {
    catalogue::delete_banner(&state.pool, id, state.clock.now(), actor(&user, peer))
        .await?
        .map_err(catalogue_refusal)?;
    state.caches.invalidate(Cached::Catalogue);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ReviewQuery {
    /// `pending`, `approved` or `hidden`.
    pub status: Option<String>,
}

/// 评价审核: customers' reviews, newest first, customer numbers masked.
#[utoipa::path(get, path = "/api/v1/mall/reviews", tag = "mall", params(ReviewQuery),
    responses((status = 200, body = Vec<ReviewRow>)))]
pub async fn reviews(
    State(state): State<AppState>,
    _: Authorized<perm::ReviewModerate>,
    Query(query): Query<ReviewQuery>,
) -> Result<Json<Vec<ReviewRow>>, ApiError> {
    Ok(Json(
        catalogue::reviews(&state.pool, query.status.as_deref()).await?,
    ))
}

/// `approve` (shown on the product page) or `hide`.
#[derive(Debug, Clone, Copy, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Moderation {
    Approve,
    Hide,
}

#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct ModerationBody {
    pub action: Moderation,
}

/// Approve or hide a review. Audited.
#[utoipa::path(post, path = "/api/v1/mall/reviews/{id}/moderation", tag = "mall",
    params(("id" = Uuid, Path)), request_body = ModerationBody,
    responses(
        (status = 204, description = "done"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0018 no such review"),
    ))]
pub async fn moderate_review(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::ReviewModerate>,
    Path(id): Path<Uuid>,
    Valid(body): Valid<ModerationBody>,
) -> Result<StatusCode, ApiError> {
    let approve = matches!(body.action, Moderation::Approve);
    catalogue::moderate(
        &state.pool,
        id,
        approve,
        state.clock.now(),
        actor(&user, peer),
    )
    .await?
    .map_err(catalogue_refusal)?;
    state.caches.invalidate(Cached::Catalogue);
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Part of a product's name, 1–20 characters.
    q: String,
}

/// Listed products whose name holds the term (at most 50, latest listed first), with their
/// lowest live price. Public and cached.
#[utoipa::path(get, path = "/api/v1/catalogue/search", tag = "catalogue", params(SearchQuery),
    responses(
        (status = 200, body = Vec<ProductCard>),
        (status = 422, body = crate::error::ErrorBody, description = "QY-MALL-0038 the term is not 1–20 characters"),
    ))]
pub async fn search(
    State(state): State<AppState>,
    Query(query): Query<SearchQuery>,
) -> Result<Response, ApiError> {
    let term = query.q.trim();
    if !(1..=20).contains(&term.chars().count()) {
        return Err(ErrorCode::InvalidSearch.into());
    }
    let cards = state.caches.mall_search(&state.pool, term).await?;
    Ok(cached_json(&cards))
}

/// A cached catalogue answer, serialized when it was read.
fn cached_json(body: &axum::body::Bytes) -> Response {
    use axum::response::IntoResponse;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("application/json"),
        )],
        body.clone(),
    )
        .into_response()
}

/// The mall's home: the banners and navigation on show now, the categories, the 活动专区 and
/// 秒杀专区 (listed products tagged 活动 and 秒杀). Public and cached.
#[utoipa::path(get, path = "/api/v1/catalogue/home", tag = "catalogue",
    responses((status = 200, body = Home)))]
pub async fn home(State(state): State<AppState>) -> Result<Response, ApiError> {
    let home = state
        .caches
        .mall_home(&state.pool, state.clock.now())
        .await?;
    Ok(cached_json(&home))
}

/// A category's listed products (its subcategories' too), with their lowest live price. Public
/// and cached.
#[utoipa::path(get, path = "/api/v1/catalogue/categories/{code}/products", tag = "catalogue",
    params(("code" = String, Path)),
    responses(
        (status = 200, body = Vec<ProductCard>),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0014 no such category"),
    ))]
pub async fn category_products(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let cards = state
        .caches
        .mall_category(&state.pool, &code)
        .await?
        .ok_or(ErrorCode::NoSuchMallCategory)?;
    Ok(cached_json(&cards))
}

/// A listed product's page: the live version's text, images, prices and stock (a revision
/// waiting for approval is not shown), and approved reviews. Public and cached.
#[utoipa::path(get, path = "/api/v1/catalogue/products/{code}", tag = "catalogue",
    params(("code" = String, Path)),
    responses(
        (status = 200, body = ProductPage),
        (status = 404, body = crate::error::ErrorBody, description = "QY-MALL-0001 no such product on sale"),
    ))]
pub async fn product_page(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let page = state
        .caches
        .mall_product(&state.pool, &code)
        .await?
        .ok_or(ErrorCode::NoSuchProduct)?;
    Ok(cached_json(&page))
}

/// An image the catalogue shows (a listed product's or a banner's on show); no other file.
#[utoipa::path(get, path = "/api/v1/catalogue/images/{id}", tag = "catalogue",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The image", content(("image/jpeg"), ("image/png"))),
        (status = 404, body = crate::error::ErrorBody, description = "QY-FILE-0007 no such image in the catalogue"),
    ))]
pub async fn image(
    State(state): State<AppState>,
    Path(id): Path<Uuid>,
) -> Result<Response, ApiError> {
    if !catalogue::image_is_public(&state.pool, id, state.clock.now()).await? {
        return Err(ErrorCode::UnknownFile.into());
    }
    let record = quanyi_activities::files::find(&state.pool, id)
        .await?
        .ok_or(ErrorCode::UnknownFile)?;
    crate::files::attachment(&state, record).await
}
