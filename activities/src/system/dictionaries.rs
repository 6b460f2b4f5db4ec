//! 码值 (SYS-2): the code lists, read whole (they are small) and maintained item by item in the
//! dynamic lists, each change audited with its before and after.

use crate::audit::{self, Entry};
use crate::store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Item {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub sort: i32,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dictionary {
    pub code: String,
    pub name: String,
    pub builtin: bool,
    pub items: Vec<Item>,
}

#[tracing::instrument(skip(pool))]
pub async fn all(pool: &PgPool) -> Result<Vec<Dictionary>, sqlx::Error> {
    let types = sqlx::query!("SELECT code, name, builtin FROM dictionary_types ORDER BY code")
        .fetch_all(pool)
        .await?;
    let items = sqlx::query!(
        "SELECT type_code, code, label_zh, label_en, sort, enabled FROM dictionary_items ORDER BY type_code, sort, code"
    )
    .fetch_all(pool)
    .await?;
    Ok(types
        .into_iter()
        .map(|t| Dictionary {
            items: items
                .iter()
                .filter(|i| i.type_code == t.code)
                .map(|i| Item {
                    code: i.code.clone(),
                    label_zh: i.label_zh.clone(),
                    label_en: i.label_en.clone(),
                    sort: i.sort,
                    enabled: i.enabled,
                })
                .collect(),
            code: t.code,
            name: t.name,
            builtin: t.builtin,
        })
        .collect())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    UnknownType,
    Builtin,
}

/// Adds or changes one item of a dynamic list.
#[tracing::instrument(skip(pool, item, by))]
pub async fn put(
    pool: &PgPool,
    type_code: &str,
    item: Item,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let Some(builtin) = sqlx::query_scalar!(
        "SELECT builtin FROM dictionary_types WHERE code = $1 FOR UPDATE",
        type_code
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Err(Refusal::UnknownType));
    };
    if builtin {
        return Ok(Err(Refusal::Builtin));
    }
    let before = sqlx::query!(
        "SELECT label_zh, label_en, sort, enabled FROM dictionary_items WHERE type_code = $1 AND code = $2",
        type_code,
        item.code
    )
    .fetch_optional(&mut *tx)
    .await?
    .map(|b| serde_json::json!({ "label_zh": b.label_zh, "label_en": b.label_en, "sort": b.sort, "enabled": b.enabled }));
    sqlx::query!(
        "INSERT INTO dictionary_items (type_code, code, label_zh, label_en, sort, enabled)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (type_code, code) DO UPDATE
            SET label_zh = EXCLUDED.label_zh, label_en = EXCLUDED.label_en,
                sort = EXCLUDED.sort, enabled = EXCLUDED.enabled",
        type_code,
        item.code,
        item.label_zh,
        item.label_en,
        item.sort,
        item.enabled
    )
    .execute(&mut *tx)
    .await?;
    let entry = Entry {
        action: "system.dictionary.put",
        target: Some(format!("{type_code}.{}", item.code)),
        before,
        after: Some(serde_json::json!({
            "label_zh": item.label_zh, "label_en": item.label_en, "sort": item.sort, "enabled": item.enabled,
        })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    store::announce_change(&mut tx, store::Cached::Dictionaries).await?;
    tx.commit().await?;
    Ok(Ok(()))
}
