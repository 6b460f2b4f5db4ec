//! The catalogue staff keep — categories (a tree), tags, 导航栏 and 轮播图 on their own schedule,
//! the moderation of customers' reviews — and what the mall shows customers: the home page, a
//! category's listed products, a product page with its live version's prices and stock. Every
//! change is audited and drops the API replicas' copies of the catalogue at its commit.

use crate::audit::{self, Entry};
use crate::store::{self, Cached};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// Why a catalogue change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No category (parent) of that code.
    UnknownCategory,
    /// A category of that code exists already (or a tag of that name).
    Taken,
    /// The category would be its own ancestor.
    Cycle,
    /// The category still has products or subcategories.
    InUse,
    /// No banner, tag or review of that id.
    NotFound,
    /// The image is not an image uploaded by staff.
    NotAnImage,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryRow {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub sort: i32,
    /// `active` or `hidden`.
    pub status: String,
}

/// A category as staff write it.
#[derive(Debug, Clone)]
pub struct CategoryDraft {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub sort: i32,
    pub hidden: bool,
}

pub async fn categories(pool: &PgPool) -> Result<Vec<CategoryRow>, sqlx::Error> {
    sqlx::query_as!(
        CategoryRow,
        "SELECT c.code, p.code AS \"parent_code?\", c.name, c.sort, c.status
           FROM mall_categories c LEFT JOIN mall_categories p ON p.id = c.parent_id
          ORDER BY c.sort, c.code"
    )
    .fetch_all(pool)
    .await
}

/// Adds a category, or changes the one of that code (`update`); audited.
pub async fn save_category(
    pool: &PgPool,
    draft: &CategoryDraft,
    update: bool,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let parent = match &draft.parent_code {
        None => None,
        Some(code) => {
            let Some(parent) = sqlx::query!(
                "SELECT id, (SELECT array_agg(a.code) FROM mall_categories a
                              WHERE a.id IN (WITH RECURSIVE up AS (
                                     SELECT id, parent_id FROM mall_categories WHERE code = $1
                                     UNION ALL
                                     SELECT c.id, c.parent_id FROM mall_categories c
                                       JOIN up ON c.id = up.parent_id)
                                   SELECT id FROM up)) AS ancestors
                   FROM mall_categories WHERE code = $1",
                code
            )
            .fetch_optional(&mut *tx)
            .await?
            else {
                return Ok(Err(Refusal::UnknownCategory));
            };
            if parent.ancestors.unwrap_or_default().contains(&draft.code) {
                return Ok(Err(Refusal::Cycle));
            }
            Some(parent.id)
        }
    };
    let status = if draft.hidden { "hidden" } else { "active" };
    let before = sqlx::query!(
        "SELECT name, sort, status FROM mall_categories WHERE code = $1 FOR UPDATE",
        draft.code
    )
    .fetch_optional(&mut *tx)
    .await?;
    match (update, &before) {
        (false, Some(_)) => return Ok(Err(Refusal::Taken)),
        (true, None) => return Ok(Err(Refusal::UnknownCategory)),
        (false, None) => {
            sqlx::query!(
                "INSERT INTO mall_categories (code, parent_id, name, sort, status, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                draft.code,
                parent,
                draft.name,
                draft.sort,
                status,
                now
            )
            .execute(&mut *tx)
            .await?;
        }
        (true, Some(_)) => {
            sqlx::query!(
                "UPDATE mall_categories SET parent_id = $2, name = $3, sort = $4, status = $5
                  WHERE code = $1",
                draft.code,
                parent,
                draft.name,
                draft.sort,
                status
            )
            .execute(&mut *tx)
            .await?;
        }
    }
    store::announce_change(&mut tx, Cached::Catalogue).await?;
    let entry = Entry {
        action: if update {
            "mall.category.update"
        } else {
            "mall.category.create"
        },
        target: Some(draft.code.clone()),
        before: before.map(|b| json!({ "name": b.name, "sort": b.sort, "status": b.status })),
        after: Some(json!({
            "name": draft.name, "parent": draft.parent_code, "sort": draft.sort, "status": status,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Removes a category that has no products and no subcategories; audited.
pub async fn delete_category(
    pool: &PgPool,
    code: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(category) = sqlx::query!(
        r#"SELECT id, name,
                  EXISTS (SELECT 1 FROM products p WHERE p.category_id = c.id)
                  OR EXISTS (SELECT 1 FROM mall_categories s WHERE s.parent_id = c.id) AS "used!"
             FROM mall_categories c WHERE code = $1 FOR UPDATE"#,
        code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownCategory));
    };
    if category.used {
        return Ok(Err(Refusal::InUse));
    }
    sqlx::query!("DELETE FROM mall_categories WHERE id = $1", category.id)
        .execute(&mut *tx)
        .await?;
    store::announce_change(&mut tx, Cached::Catalogue).await?;
    let entry = Entry {
        action: "mall.category.delete",
        target: Some(code.to_owned()),
        before: Some(json!({ "name": category.name })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TagRow {
    pub id: Uuid,
    pub name: String,
}

pub async fn tags(pool: &PgPool) -> Result<Vec<TagRow>, sqlx::Error> {
    sqlx::query_as!(TagRow, "SELECT id, name FROM mall_tags ORDER BY name")
        .fetch_all(pool)
        .await
}

/// Adds a tag; audited.
pub async fn add_tag(
    pool: &PgPool,
    name: &str,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<TagRow, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(id) = sqlx::query_scalar!(
        "INSERT INTO mall_tags (name, created_at) VALUES ($1, $2)
         ON CONFLICT (name) DO NOTHING RETURNING id",
        name,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::Taken));
    };
    let entry = Entry {
        action: "mall.tag.create",
        target: Some(name.to_owned()),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(TagRow {
        id,
        name: name.to_owned(),
    }))
}

/// A 导航栏 entry or a 轮播图, with its schedule.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BannerRow {
    pub id: Uuid,
    /// `banner` 轮播图 or `nav` 导航栏.
    pub kind: String,
    pub title: String,
    pub image_id: Option<Uuid>,
    pub link: Option<String>,
    pub sort: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub enabled: bool,
}

/// A banner or navigation entry as staff write it.
#[derive(Debug, Clone)]
pub struct BannerDraft {
    pub kind: String,
    pub title: String,
    pub image_id: Option<Uuid>,
    pub link: Option<String>,
    pub sort: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub enabled: bool,
}

pub async fn banners(pool: &PgPool, kind: Option<&str>) -> Result<Vec<BannerRow>, sqlx::Error> {
    sqlx::query_as!(
        BannerRow,
        "SELECT id, kind, title, image_id, link, sort, starts_at, ends_at, enabled
           FROM mall_banners WHERE ($1::text IS NULL OR kind = $1)
          ORDER BY kind, sort, starts_at",
        kind
    )
    .fetch_all(pool)
    .await
}

/// Adds a banner (`id` none) or changes one; audited.
pub async fn save_banner(
    pool: &PgPool,
    id: Option<Uuid>,
    draft: &BannerDraft,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Uuid, Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    if let Some(image) = draft.image_id {
        let image_ok = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM files f JOIN users u ON u.id = f.owner_user_id
                               WHERE f.id = $1 AND u.kind = 'staff'
                                 AND f.content_type LIKE 'image/%') AS "ok!""#,
            image
        )
        .fetch_one(&mut *tx)
        .await?;
        if !image_ok {
            return Ok(Err(Refusal::NotAnImage));
        }
    }
    let saved = match id {
        None => Some(
            sqlx::query_scalar!(
                "INSERT INTO mall_banners (kind, title, image_id, link, sort, starts_at, ends_at,
                                           enabled, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                draft.kind,
                draft.title,
                draft.image_id,
                draft.link,
                draft.sort,
                draft.starts_at,
                draft.ends_at,
                draft.enabled,
                now
            )
            .fetch_one(&mut *tx)
            .await?,
        ),
        Some(id) => {
            sqlx::query_scalar!(
                "UPDATE mall_banners SET kind = $2, title = $3, image_id = $4, link = $5,
                                         sort = $6, starts_at = $7, ends_at = $8, enabled = $9
                  WHERE id = $1 RETURNING id",
                id,
                draft.kind,
                draft.title,
                draft.image_id,
                draft.link,
                draft.sort,
                draft.starts_at,
                draft.ends_at,
                draft.enabled
            )
            .fetch_optional(&mut *tx)
            .await?
        }
    };
    let Some(saved) = saved else {
        return Ok(Err(Refusal::NotFound));
    };
    store::announce_change(&mut tx, Cached::Catalogue).await?;
    let entry = Entry {
        action: if id.is_some() {
            "mall.banner.update"
        } else {
            "mall.banner.create"
        },
        target: Some(saved.to_string()),
        after: Some(json!({
            "kind": draft.kind, "title": draft.title, "link": draft.link, "sort": draft.sort,
            "starts_at": draft.starts_at, "ends_at": draft.ends_at, "enabled": draft.enabled,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(saved))
}

/// Removes a banner; audited.
pub async fn delete_banner(
    pool: &PgPool,
    id: Uuid,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(title) =
        sqlx::query_scalar!("DELETE FROM mall_banners WHERE id = $1 RETURNING title", id)
            .fetch_optional(&mut *tx)
            .await?
    else {
        return Ok(Err(Refusal::NotFound));
    };
    store::announce_change(&mut tx, Cached::Catalogue).await?;
    let entry = Entry {
        action: "mall.banner.delete",
        target: Some(id.to_string()),
        before: Some(json!({ "title": title })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// A customer's review as the moderator sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewRow {
    pub id: Uuid,
    pub product_code: String,
    pub product_name: String,
    /// The customer number, masked.
    pub customer: String,
    pub rating: i16,
    pub content: String,
    /// `pending`, `approved` or `hidden`.
    pub status: String,
    pub moderated_by: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn reviews(pool: &PgPool, status: Option<&str>) -> Result<Vec<ReviewRow>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT r.id, p.code, p.name, r.customer_no, r.rating, r.content, r.status,
                r.moderated_by, r.created_at
           FROM product_reviews r JOIN products p ON p.id = r.product_id
          WHERE ($1::text IS NULL OR r.status = $1)
          ORDER BY r.created_at DESC LIMIT 500",
        status
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ReviewRow {
            id: r.id,
            product_code: r.code,
            product_name: r.name,
            customer: mask_customer(&r.customer_no),
            rating: r.rating,
            content: r.content,
            status: r.status,
            moderated_by: r.moderated_by,
            created_at: r.created_at,
        })
        .collect())
}

/// A customer number with all but its first two and last two characters hidden.
fn mask_customer(no: &str) -> String {
    let chars: Vec<char> = no.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let mut masked: String = chars[..2].iter().collect();
    masked.push_str(&"*".repeat(chars.len() - 4));
    masked.extend(&chars[chars.len() - 2..]);
    masked
}

/// 评价审核: approve (shown on the product page) or hide a review; audited.
pub async fn moderate(
    pool: &PgPool,
    id: Uuid,
    approve: bool,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let status = if approve { "approved" } else { "hidden" };
    let mut tx = pool.begin().await?;
    let Some(before) = sqlx::query_scalar!(
        "UPDATE product_reviews r SET status = $2, moderated_by = $3, moderated_at = $4
           FROM product_reviews old
          WHERE r.id = $1 AND old.id = r.id
      RETURNING old.status",
        id,
        status,
        by.username,
        now
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::NotFound));
    };
    store::announce_change(&mut tx, Cached::Catalogue).await?;
    let entry = Entry {
        action: if approve {
            "mall.review.approve"
        } else {
            "mall.review.hide"
        },
        target: Some(id.to_string()),
        before: Some(json!({ "status": before })),
        after: Some(json!({ "status": status })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// A 导航栏 entry or 轮播图 as the mall shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BannerCard {
    pub title: String,
    pub image_id: Option<Uuid>,
    pub link: Option<String>,
}

/// The tag that puts a listed product in the home page's 秒杀专区.
pub const SECKILL_TAG: &str = "秒杀";
/// The tag that puts a listed product in the home page's 活动专区.
pub const ACTIVITY_TAG: &str = "活动";

/// The mall's home page: the banners and navigation entries on show, the visible categories,
/// and the two zones — listed products tagged [`ACTIVITY_TAG`] and [`SECKILL_TAG`].
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Home {
    pub banners: Vec<BannerCard>,
    pub navigation: Vec<BannerCard>,
    pub categories: Vec<CategoryRow>,
    /// 活动专区 (at most 20).
    pub activity_zone: Vec<ProductCard>,
    /// 秒杀专区 (at most 20).
    pub seckill_zone: Vec<ProductCard>,
}

pub async fn home(pool: &PgPool, now: DateTime<Utc>) -> Result<Home, sqlx::Error> {
    let shown = sqlx::query!(
        "SELECT kind, title, image_id, link FROM mall_banners
          WHERE enabled AND starts_at <= $1 AND ends_at > $1
          ORDER BY sort, starts_at",
        now
    )
    .fetch_all(pool)
    .await?;
    let (mut banners, mut navigation) = (Vec::new(), Vec::new());
    for b in shown {
        let card = BannerCard {
            title: b.title,
            image_id: b.image_id,
            link: b.link,
        };
        if b.kind == "nav" {
            navigation.push(card);
        } else {
            banners.push(card);
        }
    }
    let categories = categories(pool)
        .await?
        .into_iter()
        .filter(|c| c.status == "active")
        .collect();
    Ok(Home {
        banners,
        navigation,
        categories,
        activity_zone: tagged(pool, ACTIVITY_TAG).await?,
        seckill_zone: tagged(pool, SECKILL_TAG).await?,
    })
}

/// The listed products carrying `tag`, latest listed first (at most 20).
async fn tagged(pool: &PgPool, tag: &str) -> Result<Vec<ProductCard>, sqlx::Error> {
    sqlx::query_as!(
        ProductCard,
        r#"SELECT p.code, p.name, p.subtitle, p.images[1] AS image_id,
                  s.price_points AS "price_points!", s.price_fen AS "price_fen!",
                  s.market_price_fen,
                  (SELECT sum(a.stock)::bigint FROM product_skus a WHERE a.product_id = p.id)
                      AS "stock!"
             FROM products p
             JOIN LATERAL (SELECT price_points, price_fen, market_price_fen FROM product_skus
                            WHERE product_id = p.id ORDER BY price_points, price_fen LIMIT 1) s
                  ON true
            WHERE p.status = 'listed' AND $1 = ANY(p.tags)
            ORDER BY p.listed_at DESC, p.code
            LIMIT 20"#,
        tag
    )
    .fetch_all(pool)
    .await
}

/// The listed products whose name holds `term` (matched literally, case-insensitively), latest
/// listed first (at most 50).
pub async fn search(pool: &PgPool, term: &str) -> Result<Vec<ProductCard>, sqlx::Error> {
    let pattern = format!(
        "%{}%",
        term.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    sqlx::query_as!(
        ProductCard,
        r#"SELECT p.code, p.name, p.subtitle, p.images[1] AS image_id,
                  s.price_points AS "price_points!", s.price_fen AS "price_fen!",
                  s.market_price_fen,
                  (SELECT sum(a.stock)::bigint FROM product_skus a WHERE a.product_id = p.id)
                      AS "stock!"
             FROM products p
             JOIN LATERAL (SELECT price_points, price_fen, market_price_fen FROM product_skus
                            WHERE product_id = p.id ORDER BY price_points, price_fen LIMIT 1) s
                  ON true
            WHERE p.status = 'listed' AND p.name ILIKE $1
            ORDER BY p.listed_at DESC, p.code
            LIMIT 50"#,
        pattern
    )
    .fetch_all(pool)
    .await
}

/// A listed product in a list: its live name, first image and lowest price.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductCard {
    pub code: String,
    pub name: String,
    pub subtitle: Option<String>,
    pub image_id: Option<Uuid>,
    pub price_points: i64,
    pub price_fen: i64,
    pub market_price_fen: Option<i64>,
    /// Stock left over all its SKUs.
    pub stock: i64,
}

/// The listed products of a category and its subcategories; `None` when there is no such
/// visible category.
pub async fn category_products(
    pool: &PgPool,
    code: &str,
) -> Result<Option<Vec<ProductCard>>, sqlx::Error> {
    let known = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM mall_categories WHERE code = $1 AND status = 'active') AS "known!""#,
        code
    )
    .fetch_one(pool)
    .await?;
    if !known {
        return Ok(None);
    }
    let cards = sqlx::query_as!(
        ProductCard,
        r#"WITH RECURSIVE tree AS (
               SELECT id FROM mall_categories WHERE code = $1
               UNION ALL
               SELECT c.id FROM mall_categories c JOIN tree ON c.parent_id = tree.id
                WHERE c.status = 'active')
           SELECT p.code, p.name, p.subtitle, p.images[1] AS image_id,
                  s.price_points AS "price_points!", s.price_fen AS "price_fen!",
                  s.market_price_fen,
                  (SELECT sum(a.stock)::bigint FROM product_skus a WHERE a.product_id = p.id)
                      AS "stock!"
             FROM products p
             JOIN LATERAL (SELECT price_points, price_fen, market_price_fen FROM product_skus
                            WHERE product_id = p.id ORDER BY price_points, price_fen LIMIT 1) s
                  ON true
            WHERE p.status = 'listed' AND p.category_id IN (SELECT id FROM tree)
            ORDER BY p.listed_at DESC, p.code
            LIMIT 200"#,
        code
    )
    .fetch_all(pool)
    .await?;
    Ok(Some(cards))
}

/// One SKU on the product page: the live version's price and stock.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SkuCard {
    pub code: String,
    pub spec: String,
    pub price_points: i64,
    pub price_fen: i64,
    pub market_price_fen: Option<i64>,
    pub stock: i64,
}

/// An approved review on the product page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewCard {
    pub customer: String,
    pub rating: i16,
    pub content: String,
    pub created_at: DateTime<Utc>,
}

/// A listed product's page: its live version only (a revision waiting is not shown).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ProductPage {
    pub code: String,
    pub category_code: String,
    pub name: String,
    pub subtitle: Option<String>,
    /// Sanitised HTML.
    pub description: String,
    pub images: Vec<Uuid>,
    pub tags: Vec<String>,
    pub version: i32,
    pub skus: Vec<SkuCard>,
    pub reviews: Vec<ReviewCard>,
}

/// The page of the listed product `code`; `None` when it is not listed.
pub async fn product_page(pool: &PgPool, code: &str) -> Result<Option<ProductPage>, sqlx::Error> {
    let Some(p) = sqlx::query!(
        "SELECT p.id, p.code, c.code AS category_code, p.name, p.subtitle, p.description,
                p.images, p.tags, p.version
           FROM products p JOIN mall_categories c ON c.id = p.category_id
          WHERE p.code = $1 AND p.status = 'listed'",
        code
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let skus = sqlx::query_as!(
        SkuCard,
        "SELECT code, spec, price_points, price_fen, market_price_fen, stock
           FROM product_skus WHERE product_id = $1 ORDER BY sort, code",
        p.id
    )
    .fetch_all(pool)
    .await?;
    let reviews = sqlx::query!(
        "SELECT customer_no, rating, content, created_at FROM product_reviews
          WHERE product_id = $1 AND status = 'approved' ORDER BY created_at DESC LIMIT 20",
        p.id
    )
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|r| ReviewCard {
        customer: mask_customer(&r.customer_no),
        rating: r.rating,
        content: r.content,
        created_at: r.created_at,
    })
    .collect();
    Ok(Some(ProductPage {
        code: p.code,
        category_code: p.category_code,
        name: p.name,
        subtitle: p.subtitle,
        description: p.description,
        images: p.images,
        tags: p.tags,
        version: p.version,
        skus,
        reviews,
    }))
}

/// Whether `image` is shown by the catalogue (a listed product's, or a banner's on show): only
/// such files are served to the mall without a session.
pub async fn image_is_public(
    pool: &PgPool,
    image: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM products WHERE status = 'listed' AND $1 = ANY(images))
               OR EXISTS (SELECT 1 FROM mall_banners
                           WHERE image_id = $1 AND enabled AND starts_at <= $2 AND ends_at > $2)
               AS "public!""#,
        image,
        now
    )
    .fetch_one(pool)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_number_shows_its_ends_only() {
        assert_eq!(mask_customer("C20261201"), "C2*****01");
        assert_eq!(mask_customer("C201"), "****");
    }
}
