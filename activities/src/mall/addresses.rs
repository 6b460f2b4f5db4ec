//! 收货地址: a customer's address book. The recipient's name, phone and street are personal data,
//! sealed under the customers' personal-data key (bound to the customer, the address and the
//! field) like the customers' own data; every answer shows them masked. Only the supplier's
//! shipping view opens them whole, and that read is audited by its caller.

use crate::customers::keys::CustomerKeys;
use crate::pii::{self, Kind};
use chrono::{DateTime, Utc};
use quanyi_workflows::domain::CustomerNo;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

/// The most addresses a customer keeps.
pub const MAX_ADDRESSES: i64 = 20;

/// An address as it is written.
pub struct AddressDraft {
    pub name: String,
    pub phone: String,
    /// Province, city, district (not personal).
    pub region: String,
    pub detail: String,
    pub is_default: bool,
}

/// An address as the customer sees it in the list: masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AddressView {
    pub id: Uuid,
    /// 张*
    pub name: String,
    /// 138****5678
    pub phone: String,
    pub region: String,
    /// The street, its middle hidden.
    pub detail: String,
    pub is_default: bool,
}

/// An address in the clear (the supplier ships to it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub name: String,
    pub phone: String,
    pub region: String,
    pub detail: String,
}

impl Address {
    pub fn masked(&self, id: Uuid, is_default: bool) -> AddressView {
        AddressView {
            id,
            name: pii::mask(Kind::Name, &self.name),
            phone: pii::mask(Kind::Phone, &self.phone),
            region: self.region.clone(),
            detail: mask_detail(&self.detail),
            is_default,
        }
    }
}

/// A street keeps its first four characters.
fn mask_detail(detail: &str) -> String {
    let chars: Vec<char> = detail.chars().collect();
    if chars.len() <= 4 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    format!("{head}{}", "*".repeat((chars.len() - 4).min(8)))
}

/// Why an address was not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    TooMany,
    Unknown,
}

/// Adds an address; the customer's first, or one marked default, becomes the default.
pub async fn add(
    pool: &PgPool,
    keys: &CustomerKeys,
    customer: &CustomerNo,
    draft: &AddressDraft,
    now: DateTime<Utc>,
) -> Result<Result<AddressView, Refusal>, sqlx::Error> {
    let id = Uuid::new_v4();
    let c = customer.as_str();
    let idt = id.to_string();
    let mut tx = pool.begin().await?;
    // one writer per customer's book at a time: the count and the default stay true
    sqlx::query!(
        "SELECT pg_advisory_xact_lock(hashtext('mall_addresses:' || $1))",
        c
    )
    .execute(&mut *tx)
    .await?;
    let count = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM mall_addresses WHERE customer_no = $1 AND deleted_at IS NULL"#,
        c
    )
    .fetch_one(&mut *tx)
    .await?;
    if count >= MAX_ADDRESSES {
        return Ok(Err(Refusal::TooMany));
    }
    let is_default = draft.is_default || count == 0;
    if is_default {
        sqlx::query!(
            "UPDATE mall_addresses SET is_default = false WHERE customer_no = $1 AND is_default",
            c
        )
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query!(
        "INSERT INTO mall_addresses (id, customer_no, name_sealed, phone_sealed, region,
                                     detail_sealed, is_default, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        id,
        c,
        keys.seal_address(c, &idt, "name", &draft.name),
        keys.seal_address(c, &idt, "phone", &draft.phone),
        draft.region,
        keys.seal_address(c, &idt, "detail", &draft.detail),
        is_default,
        now
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    let address = Address {
        name: draft.name.clone(),
        phone: draft.phone.clone(),
        region: draft.region.clone(),
        detail: draft.detail.clone(),
    };
    Ok(Ok(address.masked(id, is_default)))
}

/// The customer's addresses, default first, masked.
pub async fn list(
    pool: &PgPool,
    keys: &CustomerKeys,
    customer: &CustomerNo,
) -> Result<Vec<AddressView>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT id, name_sealed, phone_sealed, region, detail_sealed, is_default
           FROM mall_addresses WHERE customer_no = $1 AND deleted_at IS NULL
          ORDER BY is_default DESC, created_at",
        customer.as_str()
    )
    .fetch_all(pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let address = open(
            keys,
            customer.as_str(),
            r.id,
            (&r.name_sealed, &r.phone_sealed, &r.detail_sealed),
            r.region,
        )?;
        out.push(address.masked(r.id, r.is_default));
    }
    Ok(out)
}

/// Removes an address from the book (orders that ship to it keep it).
pub async fn remove(
    pool: &PgPool,
    customer: &CustomerNo,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let done = sqlx::query!(
        "UPDATE mall_addresses SET deleted_at = $3, is_default = false
          WHERE id = $1 AND customer_no = $2 AND deleted_at IS NULL",
        id,
        customer.as_str(),
        now
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(if done == 1 {
        Ok(())
    } else {
        Err(Refusal::Unknown)
    })
}

fn open(
    keys: &CustomerKeys,
    customer: &str,
    id: Uuid,
    (name, phone, detail): (&[u8], &[u8], &[u8]),
    region: String,
) -> Result<Address, sqlx::Error> {
    let idt = id.to_string();
    let field = |f: &str, sealed: &[u8]| {
        keys.open_address(customer, &idt, f, sealed)
            .map_err(|e| sqlx::Error::Decode(format!("address {id} {f}: {e}").into()))
    };
    Ok(Address {
        name: field("name", name)?,
        phone: field("phone", phone)?,
        region,
        detail: field("detail", detail)?,
    })
}

/// An address in the clear, by id (the customer's own, or any for the supplier's shipping view).
pub async fn address(
    pool: &PgPool,
    keys: &CustomerKeys,
    id: Uuid,
) -> Result<Option<Address>, sqlx::Error> {
    let Some(r) = sqlx::query!(
        "SELECT customer_no, name_sealed, phone_sealed, region, detail_sealed
           FROM mall_addresses WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    open(
        keys,
        &r.customer_no,
        id,
        (&r.name_sealed, &r.phone_sealed, &r.detail_sealed),
        r.region,
    )
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_street_keeps_only_its_head() {
        assert_eq!(mask_detail("西湖区文三路 100 号 5 幢"), "西湖区文********");
        assert_eq!(mask_detail("一二三"), "***");
    }
}
