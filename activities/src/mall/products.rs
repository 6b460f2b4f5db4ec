//! 我的商品 in the store: a supplier's products (SPU) and their SKUs, and the listing requests
//! (`SJ…`, one waiting at a time per product) that the process `listing-<request id>` settles. A
//! supplier reaches only its own products: every function takes the supplier's merchant id and
//! finds nothing of another's. Every change is audited; a refused one writes nothing.

use crate::audit::{self, Entry};
use crate::numbers::{self, Series};
use crate::store::{self, Cached};
use chrono::{DateTime, Utc};
use quanyi_workflows::listing::{ListingOutcome, RequestKind};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// Why a product change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No product of that code of the caller's supplier.
    UnknownProduct,
    /// No category of that code.
    UnknownCategory,
    /// The image at this index is no image the supplier's users uploaded.
    NotAnImage(usize),
    /// The product's state does not allow it (e.g. editing one waiting for review).
    WrongStatus,
    /// Another request of the product waits for its approval.
    Pending,
    /// No SKU of that code in the product.
    UnknownSku,
    /// A listing lacks a required field (`images`, `skus`, `description`).
    Missing(&'static str),
    /// The revision changes nothing.
    Unchanged,
}

/// One SKU as a supplier writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkuDraft {
    pub code: String,
    pub spec: String,
    pub price_points: i64,
    pub price_fen: i64,
    pub market_price_fen: Option<i64>,
    /// The stock of a new SKU; an existing SKU's stock changes only by adding stock.
    pub stock: i64,
}

/// A product as a supplier writes it: a draft, or the revision proposed for a listed product.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductDraft {
    pub category_code: String,
    pub name: String,
    pub subtitle: Option<String>,
    /// Already sanitised ([`super::sanitise_description`]).
    pub description: String,
    pub images: Vec<Uuid>,
    pub tags: Vec<String>,
    pub skus: Vec<SkuDraft>,
}

/// One SKU as kept.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SkuRow {
    pub code: String,
    pub spec: String,
    pub price_points: i64,
    pub price_fen: i64,
    pub market_price_fen: Option<i64>,
    pub stock: i64,
}

/// A product as its supplier and staff see it: the live (or draft) version, and the request
/// waiting, if any.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductDetail {
    pub code: String,
    pub supplier_code: String,
    pub supplier_name: String,
    pub category_code: String,
    pub category_name: String,
    /// `draft` 草稿, `pending` 待审核, `listed` 已上架, `delisted` 已下架.
    pub status: String,
    pub name: String,
    pub subtitle: Option<String>,
    pub description: String,
    pub images: Vec<Uuid>,
    pub tags: Vec<String>,
    pub version: i32,
    pub delist_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub listed_at: Option<DateTime<Utc>>,
    pub skus: Vec<SkuRow>,
    pub pending: Option<WaitingRequest>,
    pub price_history: Vec<PriceChange>,
}

/// The request of a product waiting for its approval.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WaitingRequest {
    pub id: Uuid,
    /// `SJ…`.
    pub code: String,
    /// `list`, `revise`, `restock` or `delist`.
    pub kind: String,
    pub workflow_id: String,
    /// A revision: the version proposed.
    #[schema(value_type = Option<Object>)]
    pub revision: Option<serde_json::Value>,
    pub sku_code: Option<String>,
    pub quantity: Option<i64>,
    pub reason: Option<String>,
    pub requested_by: String,
    pub created_at: DateTime<Utc>,
}

/// One row of 价格修改历史.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PriceChange {
    pub sku_code: String,
    pub old_points: Option<i64>,
    pub old_fen: Option<i64>,
    pub new_points: i64,
    pub new_fen: i64,
    pub reason: Option<String>,
    pub requested_by: String,
    pub approved_by: Option<String>,
    pub changed_at: DateTime<Utc>,
}

/// One line of a product list.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductRow {
    pub code: String,
    pub name: String,
    pub supplier_code: String,
    pub supplier_name: String,
    pub category_name: String,
    pub status: String,
    /// The kind of the request waiting, if any.
    pub pending_kind: Option<String>,
    pub min_price_points: Option<i64>,
    pub stock: Option<i64>,
    pub updated_at: DateTime<Utc>,
}

/// A request as recorded, with what its process needs.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub id: Uuid,
    pub code: String,
    pub kind: RequestKind,
    pub product_code: String,
    pub product_name: String,
    /// The category's code: the policy's variant.
    pub category_code: String,
    pub org_id: Uuid,
}

/// What adding stock did.
#[derive(Debug, Clone)]
pub enum StockAdded {
    /// At or under the threshold: added at once.
    Added,
    /// Above it: waiting for its approval.
    Requested(NewRequest),
}

/// The supplier `merchant_id` if it is an active supplier, with its org.
pub async fn supplier_org(pool: &PgPool, merchant_id: Uuid) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!(
        "SELECT org_id FROM merchants WHERE id = $1 AND is_supplier AND status = 'active'",
        merchant_id
    )
    .fetch_optional(pool)
    .await
}

/// Whether every image is an image (by its content, as the file store kept it) uploaded by a
/// user of the supplier; the index of the first that is not.
async fn check_images(
    conn: &mut PgConnection,
    supplier_id: Uuid,
    images: &[Uuid],
) -> Result<Option<usize>, sqlx::Error> {
    let good: Vec<Uuid> = sqlx::query_scalar!(
        "SELECT f.id FROM files f JOIN users u ON u.id = f.owner_user_id
          WHERE f.id = ANY($1) AND u.merchant_id = $2 AND f.content_type LIKE 'image/%'",
        images,
        supplier_id
    )
    .fetch_all(conn)
    .await?;
    Ok(images.iter().position(|i| !good.contains(i)))
}

async fn category_id(conn: &mut PgConnection, code: &str) -> Result<Option<Uuid>, sqlx::Error> {
    sqlx::query_scalar!("SELECT id FROM mall_categories WHERE code = $1", code)
        .fetch_optional(conn)
        .await
}

/// Checks a draft against the store: its category and its images.
async fn check_draft(
    conn: &mut PgConnection,
    supplier_id: Uuid,
    draft: &ProductDraft,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    let Some(category) = category_id(conn, &draft.category_code).await? else {
        return Ok(Err(Refusal::UnknownCategory));
    };
    if let Some(i) = check_images(conn, supplier_id, &draft.images).await? {
        return Ok(Err(Refusal::NotAnImage(i)));
    }
    Ok(Ok(category))
}

async fn write_skus(
    conn: &mut PgConnection,
    product_id: Uuid,
    skus: &[SkuDraft],
) -> Result<(), sqlx::Error> {
    let codes: Vec<String> = skus.iter().map(|s| s.code.clone()).collect();
    sqlx::query!(
        "DELETE FROM product_skus WHERE product_id = $1 AND code <> ALL($2)",
        product_id,
        &codes
    )
    .execute(&mut *conn)
    .await?;
    for (sort, sku) in skus.iter().enumerate() {
        // an existing SKU keeps its stock: stock changes only by adding stock
        sqlx::query!(
            "INSERT INTO product_skus (product_id, code, spec, price_points, price_fen,
                                       market_price_fen, stock, sort)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (product_id, code) DO UPDATE
                SET spec = EXCLUDED.spec, price_points = EXCLUDED.price_points,
                    price_fen = EXCLUDED.price_fen, market_price_fen = EXCLUDED.market_price_fen,
                    sort = EXCLUDED.sort",
            product_id,
            sku.code,
            sku.spec,
            sku.price_points,
            sku.price_fen,
            sku.market_price_fen,
            sku.stock,
            i32::try_from(sort).unwrap_or(i32::MAX)
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// A new draft of the supplier's; audited. Its code (`SP…`).
pub async fn create(
    pool: &PgPool,
    supplier_id: Uuid,
    draft: &ProductDraft,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<String, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let category = match check_draft(&mut tx, supplier_id, draft).await? {
        Ok(category) => category,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let product = sqlx::query!(
        "INSERT INTO products (code, supplier_id, category_id, name, subtitle, description,
                               images, tags, created_by, created_at, updated_at)
         VALUES (issue_business_no('SP', $9), $1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
         RETURNING id, code",
        supplier_id,
        category,
        draft.name,
        draft.subtitle,
        draft.description,
        &draft.images,
        &draft.tags,
        by.username.as_deref().unwrap_or("system"),
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    numbers::register(
        &mut tx,
        Series::Product,
        &product.id.to_string(),
        &product.code,
        now,
    )
    .await?;
    write_skus(&mut tx, product.id, &draft.skus).await?;
    let entry = Entry {
        action: "mall.product.create",
        target: Some(product.code.clone()),
        after: Some(
            json!({ "name": draft.name, "category": draft.category_code, "skus": draft.skus }),
        ),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(product.code))
}

/// The supplier's product `code`, locked: id, status, name, category code.
struct Locked {
    id: Uuid,
    status: String,
    name: String,
    category_code: String,
    org_id: Uuid,
}

async fn lock(
    conn: &mut PgConnection,
    supplier_id: Uuid,
    code: &str,
) -> Result<Option<Locked>, sqlx::Error> {
    sqlx::query_as!(
        Locked,
        "SELECT p.id, p.status, p.name, c.code AS category_code, m.org_id
           FROM products p JOIN mall_categories c ON c.id = p.category_id
           JOIN merchants m ON m.id = p.supplier_id
          WHERE p.code = $1 AND p.supplier_id = $2
            FOR UPDATE OF p",
        code,
        supplier_id
    )
    .fetch_optional(conn)
    .await
}

async fn pending_exists(conn: &mut PgConnection, product_id: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM listing_requests
                           WHERE product_id = $1 AND status = 'pending') AS "exists!""#,
        product_id
    )
    .fetch_one(conn)
    .await
}

/// The version a listed product sells now, as a draft: what a revision is compared with.
async fn live_version(
    conn: &mut PgConnection,
    product_id: Uuid,
) -> Result<ProductDraft, sqlx::Error> {
    let p = sqlx::query!(
        "SELECT c.code AS category_code, p.name, p.subtitle, p.description, p.images, p.tags
           FROM products p JOIN mall_categories c ON c.id = p.category_id WHERE p.id = $1",
        product_id
    )
    .fetch_one(&mut *conn)
    .await?;
    let skus = sqlx::query_as!(
        SkuDraft,
        "SELECT code, spec, price_points, price_fen, market_price_fen, stock
           FROM product_skus WHERE product_id = $1 ORDER BY sort, code",
        product_id
    )
    .fetch_all(conn)
    .await?;
    Ok(ProductDraft {
        category_code: p.category_code,
        name: p.name,
        subtitle: p.subtitle,
        description: p.description,
        images: p.images,
        tags: p.tags,
        skus,
    })
}

/// What an edit did.
#[derive(Debug, Clone)]
pub enum Edited {
    /// A draft (or a delisted product) changed in place.
    Saved,
    /// A listed product: the revision waits for its approval; the live version keeps selling.
    Revision(NewRequest),
}

/// Edits the supplier's product: a draft or a delisted product in place; a listed one through a
/// revision request (`reason` goes with it, and into the price history). Audited.
pub async fn edit(
    pool: &PgPool,
    supplier_id: Uuid,
    code: &str,
    draft: &ProductDraft,
    reason: Option<&str>,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Edited, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(product) = lock(&mut tx, supplier_id, code).await? else {
        return Ok(Err(Refusal::UnknownProduct));
    };
    let category = match check_draft(&mut tx, supplier_id, draft).await? {
        Ok(category) => category,
        Err(refusal) => return Ok(Err(refusal)),
    };
    match product.status.as_str() {
        "draft" | "delisted" => {
            sqlx::query!(
                "UPDATE products SET category_id = $2, name = $3, subtitle = $4, description = $5,
                                     images = $6, tags = $7, updated_at = $8
                  WHERE id = $1",
                product.id,
                category,
                draft.name,
                draft.subtitle,
                draft.description,
                &draft.images,
                &draft.tags,
                now
            )
            .execute(&mut *tx)
            .await?;
            write_skus(&mut tx, product.id, &draft.skus).await?;
            let entry = Entry {
                action: "mall.product.update",
                target: Some(code.to_owned()),
                after: Some(
                    json!({ "name": draft.name, "category": draft.category_code, "skus": draft.skus }),
                ),
                ..by
            };
            audit::append(&mut tx, now, entry).await?;
            tx.commit().await?;
            Ok(Ok(Edited::Saved))
        }
        "listed" => {
            if pending_exists(&mut tx, product.id).await? {
                return Ok(Err(Refusal::Pending));
            }
            let live = live_version(&mut tx, product.id).await?;
            let mut proposed = draft.clone();
            // stock is not revised: an existing SKU keeps its own
            for sku in &mut proposed.skus {
                if let Some(old) = live.skus.iter().find(|s| s.code == sku.code) {
                    sku.stock = old.stock;
                }
            }
            if proposed == live {
                return Ok(Err(Refusal::Unchanged));
            }
            let revision = serde_json::to_value(&proposed).unwrap_or_default();
            let request = insert_request(
                &mut tx,
                &product,
                code,
                RequestKind::Revise,
                Some(&revision),
                None,
                reason,
                now,
                by,
            )
            .await?;
            tx.commit().await?;
            Ok(Ok(Edited::Revision(request)))
        }
        _ => Ok(Err(Refusal::WrongStatus)),
    }
}

/// Records a request of `kind` for the locked product, audited; the caller commits and starts
/// its process.
#[allow(clippy::too_many_arguments)]
async fn insert_request(
    conn: &mut PgConnection,
    product: &Locked,
    code: &str,
    kind: RequestKind,
    revision: Option<&serde_json::Value>,
    restock: Option<(Uuid, i64)>,
    reason: Option<&str>,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<NewRequest, sqlx::Error> {
    let request = sqlx::query!(
        "INSERT INTO listing_requests (code, product_id, kind, revision, sku_id, quantity, reason,
                                       requested_by, created_at)
         VALUES (issue_business_no('SJ', $8), $1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id, code",
        product.id,
        kind.as_str(),
        revision,
        restock.map(|(sku, _)| sku),
        restock.map(|(_, quantity)| quantity),
        reason,
        by.username.as_deref().unwrap_or("system"),
        now
    )
    .fetch_one(&mut *conn)
    .await?;
    numbers::register(
        conn,
        Series::Listing,
        &request.id.to_string(),
        &request.code,
        now,
    )
    .await?;
    let entry = Entry {
        action: "mall.listing.request",
        target: Some(code.to_owned()),
        after: Some(json!({
            "request": request.code, "kind": kind.as_str(), "reason": reason,
            "quantity": restock.map(|(_, q)| q), "revision": revision,
        })),
        ..by
    };
    audit::append(conn, now, entry).await?;
    Ok(NewRequest {
        id: request.id,
        code: request.code,
        kind,
        product_code: code.to_owned(),
        product_name: product.name.clone(),
        category_code: product.category_code.clone(),
        org_id: product.org_id,
    })
}

/// Submits a draft (or a delisted product) for listing: it must have images, SKUs and a
/// description; it waits 待审核 for its request's approval. Audited.
pub async fn submit(
    pool: &PgPool,
    supplier_id: Uuid,
    code: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<NewRequest, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(product) = lock(&mut tx, supplier_id, code).await? else {
        return Ok(Err(Refusal::UnknownProduct));
    };
    if !matches!(product.status.as_str(), "draft" | "delisted") {
        return Ok(Err(Refusal::WrongStatus));
    }
    let live = live_version(&mut tx, product.id).await?;
    if live.images.is_empty() {
        return Ok(Err(Refusal::Missing("images")));
    }
    if live.skus.is_empty() {
        return Ok(Err(Refusal::Missing("skus")));
    }
    if live.description.trim().is_empty() {
        return Ok(Err(Refusal::Missing("description")));
    }
    sqlx::query!(
        "UPDATE products SET status = 'pending', updated_at = $2 WHERE id = $1",
        product.id,
        now
    )
    .execute(&mut *tx)
    .await?;
    let request = insert_request(
        &mut tx,
        &product,
        code,
        RequestKind::List,
        None,
        None,
        None,
        now,
        by,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(request))
}

/// Adds `quantity` to a SKU's stock: at once up to `threshold` (the coupons' stock-approval
/// threshold: one rule), through a request above it. Audited.
#[allow(clippy::too_many_arguments)]
pub async fn add_stock(
    pool: &PgPool,
    supplier_id: Uuid,
    code: &str,
    sku_code: &str,
    quantity: i64,
    threshold: i64,
    reason: Option<&str>,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<StockAdded, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(product) = lock(&mut tx, supplier_id, code).await? else {
        return Ok(Err(Refusal::UnknownProduct));
    };
    let Some(sku) = sqlx::query!(
        "SELECT id, stock FROM product_skus WHERE product_id = $1 AND code = $2 FOR UPDATE",
        product.id,
        sku_code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownSku));
    };
    if quantity > threshold {
        if pending_exists(&mut tx, product.id).await? {
            return Ok(Err(Refusal::Pending));
        }
        let request = insert_request(
            &mut tx,
            &product,
            code,
            RequestKind::Restock,
            None,
            Some((sku.id, quantity)),
            reason,
            now,
            by,
        )
        .await?;
        tx.commit().await?;
        return Ok(Ok(StockAdded::Requested(request)));
    }
    let after = sqlx::query_scalar!(
        "UPDATE product_skus SET stock = stock + $2 WHERE id = $1 RETURNING stock",
        sku.id,
        quantity
    )
    .fetch_one(&mut *tx)
    .await?;
    store::announce_change(&mut tx, Cached::Catalogue).await?;
    let entry = Entry {
        action: "mall.product.stock",
        target: Some(code.to_owned()),
        before: Some(json!({ "sku": sku_code, "stock": sku.stock })),
        after: Some(
            json!({ "sku": sku_code, "stock": after, "quantity": quantity, "reason": reason }),
        ),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(StockAdded::Added))
}

/// The supplier asks to delist its listed product; it keeps selling until approved. Audited.
pub async fn request_delist(
    pool: &PgPool,
    supplier_id: Uuid,
    code: &str,
    reason: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<NewRequest, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(product) = lock(&mut tx, supplier_id, code).await? else {
        return Ok(Err(Refusal::UnknownProduct));
    };
    if product.status != "listed" {
        return Ok(Err(Refusal::WrongStatus));
    }
    if pending_exists(&mut tx, product.id).await? {
        return Ok(Err(Refusal::Pending));
    }
    let request = insert_request(
        &mut tx,
        &product,
        code,
        RequestKind::Delist,
        None,
        None,
        Some(reason),
        now,
        by,
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(request))
}

/// Deletes the supplier's product while it is a draft or delisted (never while it waits or
/// sells). Audited.
pub async fn delete(
    pool: &PgPool,
    supplier_id: Uuid,
    code: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(product) = lock(&mut tx, supplier_id, code).await? else {
        return Ok(Err(Refusal::UnknownProduct));
    };
    if !matches!(product.status.as_str(), "draft" | "delisted") {
        return Ok(Err(Refusal::WrongStatus));
    }
    sqlx::query!("DELETE FROM products WHERE id = $1", product.id)
        .execute(&mut *tx)
        .await?;
    let entry = Entry {
        action: "mall.product.delete",
        target: Some(code.to_owned()),
        before: Some(json!({ "name": product.name, "status": product.status })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// 强制下架: staff delist a listed product at once, with a reason; audited. Any supplier.
pub async fn force_delist(
    pool: &PgPool,
    code: &str,
    reason: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(product) = sqlx::query!(
        "SELECT id, status FROM products WHERE code = $1 FOR UPDATE",
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownProduct));
    };
    if product.status != "listed" {
        return Ok(Err(Refusal::WrongStatus));
    }
    sqlx::query!(
        "UPDATE products SET status = 'delisted', delisted_at = $2, updated_at = $2,
                             delist_reason = $3
          WHERE id = $1",
        product.id,
        now,
        reason
    )
    .execute(&mut *tx)
    .await?;
    store::announce_change(&mut tx, Cached::Catalogue).await?;
    let entry = Entry {
        action: "mall.product.force_delist",
        target: Some(code.to_owned()),
        before: Some(json!({ "status": "listed" })),
        after: Some(json!({ "status": "delisted", "reason": reason })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Settles a request once: `applied` carries it out on the product (by the approver, audited,
/// and the catalogue's copies dropped at the commit); `rejected` or `withdrawn` closes it (a
/// first listing's product goes back to its draft). A second call finds it settled and does
/// nothing.
pub async fn settle(pool: &PgPool, outcome: &ListingOutcome) -> Result<(), sqlx::Error> {
    let id = Uuid::parse_str(&outcome.request_id).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let mut tx = pool.begin().await?;
    let Some(request) = sqlx::query!(
        "UPDATE listing_requests SET status = $2, decided_by = $3, decided_at = $4
          WHERE id = $1 AND status = 'pending'
      RETURNING product_id, kind, revision, sku_id, quantity, reason, requested_by, code",
        id,
        outcome.status,
        outcome.decided_by,
        outcome.at
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(());
    };
    let product = sqlx::query!(
        "SELECT code, status FROM products WHERE id = $1 FOR UPDATE",
        request.product_id
    )
    .fetch_one(&mut *tx)
    .await?;
    let at = outcome.at;
    if outcome.status != "applied" {
        if request.kind == "list" && product.status == "pending" {
            sqlx::query!(
                "UPDATE products SET status = 'draft', updated_at = $2 WHERE id = $1",
                request.product_id,
                at
            )
            .execute(&mut *tx)
            .await?;
        }
        return tx.commit().await;
    }
    let approver = sqlx::query!(
        "SELECT id, org_id FROM users WHERE username = $1",
        outcome.decided_by
    )
    .fetch_optional(&mut *tx)
    .await?;
    let by = Entry {
        user_id: approver.as_ref().map(|a| a.id),
        org_id: approver.as_ref().map(|a| a.org_id),
        username: outcome.decided_by.clone(),
        target: Some(product.code.clone()),
        ..Entry::default()
    };
    let entry = match request.kind.as_str() {
        "list" => {
            sqlx::query!(
                "UPDATE products SET status = 'listed', listed_at = $2, updated_at = $2,
                                     delist_reason = NULL
                  WHERE id = $1",
                request.product_id,
                at
            )
            .execute(&mut *tx)
            .await?;
            Entry {
                action: "mall.product.list",
                before: Some(json!({ "status": product.status })),
                after: Some(json!({ "status": "listed", "request": request.code })),
                ..by
            }
        }
        "delist" => {
            sqlx::query!(
                "UPDATE products SET status = 'delisted', delisted_at = $2, updated_at = $2
                  WHERE id = $1 AND status = 'listed'",
                request.product_id,
                at
            )
            .execute(&mut *tx)
            .await?;
            Entry {
                action: "mall.product.delist",
                before: Some(json!({ "status": product.status })),
                after: Some(
                    json!({ "status": "delisted", "request": request.code, "reason": request.reason }),
                ),
                ..by
            }
        }
        "restock" => {
            let stock = sqlx::query!(
                "UPDATE product_skus SET stock = stock + $2 WHERE id = $1 RETURNING code, stock",
                request.sku_id,
                request.quantity
            )
            .fetch_optional(&mut *tx)
            .await?;
            Entry {
                action: "mall.product.stock",
                after: Some(json!({
                    "sku": stock.as_ref().map(|s| &s.code), "stock": stock.as_ref().map(|s| s.stock),
                    "quantity": request.quantity, "request": request.code,
                })),
                ..by
            }
        }
        _ => {
            let revision: ProductDraft =
                serde_json::from_value(request.revision.unwrap_or_default())
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
            let live = live_version(&mut tx, request.product_id).await?;
            let category = category_id(&mut tx, &revision.category_code).await?;
            sqlx::query!(
                "UPDATE products SET category_id = coalesce($2, category_id), name = $3,
                                     subtitle = $4, description = $5, images = $6, tags = $7,
                                     version = version + 1, updated_at = $8
                  WHERE id = $1",
                request.product_id,
                category,
                revision.name,
                revision.subtitle,
                revision.description,
                &revision.images,
                &revision.tags,
                at
            )
            .execute(&mut *tx)
            .await?;
            write_skus(&mut tx, request.product_id, &revision.skus).await?;
            for sku in &revision.skus {
                let old = live.skus.iter().find(|s| s.code == sku.code);
                if old.is_some_and(|o| {
                    (o.price_points, o.price_fen) == (sku.price_points, sku.price_fen)
                }) {
                    continue;
                }
                sqlx::query!(
                    "INSERT INTO product_price_history (product_id, sku_code, old_points, old_fen,
                         new_points, new_fen, reason, requested_by, approved_by, request_id,
                         changed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    request.product_id,
                    sku.code,
                    old.map(|o| o.price_points),
                    old.map(|o| o.price_fen),
                    sku.price_points,
                    sku.price_fen,
                    request.reason,
                    request.requested_by,
                    outcome.decided_by,
                    id,
                    at
                )
                .execute(&mut *tx)
                .await?;
            }
            Entry {
                action: "mall.product.revise",
                before: Some(serde_json::to_value(&live).unwrap_or_default()),
                after: Some(json!({ "request": request.code, "revision": revision })),
                ..by
            }
        }
    };
    store::announce_change(&mut tx, Cached::Catalogue).await?;
    audit::append(&mut tx, at, entry).await?;
    tx.commit().await
}

/// A product, by code; `supplier` narrows it to one supplier's (the portal).
pub async fn detail(
    pool: &PgPool,
    code: &str,
    supplier: Option<Uuid>,
) -> Result<Option<ProductDetail>, sqlx::Error> {
    let Some(p) = sqlx::query!(
        "SELECT p.id, p.code, m.code AS supplier_code, m.name AS supplier_name,
                c.code AS category_code, c.name AS category_name, p.status, p.name, p.subtitle,
                p.description, p.images, p.tags, p.version, p.delist_reason, p.created_at,
                p.updated_at, p.listed_at
           FROM products p JOIN merchants m ON m.id = p.supplier_id
           JOIN mall_categories c ON c.id = p.category_id
          WHERE p.code = $1 AND ($2::uuid IS NULL OR p.supplier_id = $2)",
        code,
        supplier
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let skus = sqlx::query_as!(
        SkuRow,
        "SELECT code, spec, price_points, price_fen, market_price_fen, stock
           FROM product_skus WHERE product_id = $1 ORDER BY sort, code",
        p.id
    )
    .fetch_all(pool)
    .await?;
    let pending = sqlx::query!(
        "SELECT r.id, r.code, r.kind, r.revision, s.code AS \"sku_code?\", r.quantity, r.reason,
                r.requested_by, r.created_at
           FROM listing_requests r LEFT JOIN product_skus s ON s.id = r.sku_id
          WHERE r.product_id = $1 AND r.status = 'pending'",
        p.id
    )
    .fetch_optional(pool)
    .await?
    .map(|r| WaitingRequest {
        workflow_id: quanyi_workflows::kind::ProcessKind::Listing.workflow_id(&r.id.to_string()),
        id: r.id,
        code: r.code,
        kind: r.kind,
        revision: r.revision,
        sku_code: r.sku_code,
        quantity: r.quantity,
        reason: r.reason,
        requested_by: r.requested_by,
        created_at: r.created_at,
    });
    let price_history = sqlx::query_as!(
        PriceChange,
        "SELECT sku_code, old_points, old_fen, new_points, new_fen, reason, requested_by,
                approved_by, changed_at
           FROM product_price_history WHERE product_id = $1 ORDER BY changed_at DESC, id DESC",
        p.id
    )
    .fetch_all(pool)
    .await?;
    Ok(Some(ProductDetail {
        code: p.code,
        supplier_code: p.supplier_code,
        supplier_name: p.supplier_name,
        category_code: p.category_code,
        category_name: p.category_name,
        status: p.status,
        name: p.name,
        subtitle: p.subtitle,
        description: p.description,
        images: p.images,
        tags: p.tags,
        version: p.version,
        delist_reason: p.delist_reason,
        created_at: p.created_at,
        updated_at: p.updated_at,
        listed_at: p.listed_at,
        skus,
        pending,
        price_history,
    }))
}

/// Products, newest change first: one supplier's (the portal) or all (商品管理), by status.
pub async fn list(
    pool: &PgPool,
    supplier: Option<Uuid>,
    status: Option<&str>,
) -> Result<Vec<ProductRow>, sqlx::Error> {
    sqlx::query_as!(
        ProductRow,
        r#"SELECT p.code, p.name, m.code AS supplier_code, m.name AS supplier_name,
                  c.name AS category_name, p.status,
                  (SELECT r.kind FROM listing_requests r
                    WHERE r.product_id = p.id AND r.status = 'pending') AS pending_kind,
                  (SELECT min(s.price_points) FROM product_skus s WHERE s.product_id = p.id)
                      AS min_price_points,
                  (SELECT sum(s.stock)::bigint FROM product_skus s WHERE s.product_id = p.id)
                      AS stock,
                  p.updated_at
             FROM products p JOIN merchants m ON m.id = p.supplier_id
             JOIN mall_categories c ON c.id = p.category_id
            WHERE ($1::uuid IS NULL OR p.supplier_id = $1) AND ($2::text IS NULL OR p.status = $2)
            ORDER BY p.updated_at DESC, p.code
            LIMIT 500"#,
        supplier,
        status
    )
    .fetch_all(pool)
    .await
}

/// The activities the listing process calls.
pub struct ListingActivities {
    pool: PgPool,
}

impl ListingActivities {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }
}

#[temporalio_macros::activities]
impl ListingActivities {
    #[activity(definition = quanyi_workflows::listing::SettleListingRequest)]
    pub async fn settle(
        self: std::sync::Arc<Self>,
        _ctx: temporalio_sdk::activities::ActivityContext,
        outcome: ListingOutcome,
    ) -> Result<(), temporalio_sdk::activities::ActivityError> {
        settle(&self.pool, &outcome).await.map_err(Into::into)
    }
}

/// Gives the merchant `code` the supplier role or takes it away, within the caller's data scope;
/// audited. `false` when there is no such merchant in scope.
pub async fn set_supplier(
    pool: &PgPool,
    code: &str,
    supplier: bool,
    scope: &crate::identity::scope::DataScope,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<bool, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(merchant) = sqlx::query!(
        "SELECT id, org_id, is_supplier FROM merchants WHERE code = $1 FOR UPDATE",
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(false);
    };
    if !crate::identity::scope::in_scope_org(pool, scope, merchant.org_id).await? {
        return Ok(false);
    }
    sqlx::query!(
        "UPDATE merchants SET is_supplier = $2 WHERE id = $1",
        merchant.id,
        supplier
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "benefit.merchant.supplier",
        target: Some(code.to_owned()),
        before: Some(json!({ "supplier": merchant.is_supplier })),
        after: Some(json!({ "supplier": supplier })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(true)
}
