//! The bank's customers (issue 17; SEC-6, AML-4, INT-4), keyed by customer number. `customers`
//! holds no personal data; the personal data lives in `pii.customer_personal_data`, each field
//! sealed under the personal-data key ([`keys`]), and this module is the one that reads it:
//! masked by default ([`crate::pii::mask`]), whole only through [`unmask`], which audits each
//! reading (who saw whose data, which fields — never the values). Customers arrive by the daily
//! extract ([`import`]) or one at a time over the ESB ([`upsert`]).

pub mod checks;
pub mod import;
pub mod keys;
pub mod sessions;

use crate::audit::{self, Entry};
use crate::identity::scope::{DataScope, scope_params};
use crate::pii::{self, Kind};
use chrono::{DateTime, NaiveDate, Utc};
use keys::{CustomerKeys, Field};
use quanyi_workflows::domain::CustomerNo;
use quanyi_workflows::kind::ProcessKind;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use uuid::Uuid;

/// A customer's personal data in the clear: only [`unmask`] returns it to a caller.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CustomerPersonalData)]
pub struct PersonalData {
    pub name: Option<String>,
    /// A mainland mobile number.
    pub phone: Option<String>,
    /// An 18-digit resident ID number.
    pub id_number: Option<String>,
    /// Bank card numbers (at most 20).
    #[serde(default)]
    pub card_numbers: Vec<String>,
}

impl PersonalData {
    /// Every field as it may be shown to anyone.
    pub fn masked(&self) -> PersonalData {
        let mask = |kind, v: &Option<String>| v.as_deref().map(|v| pii::mask(kind, v));
        PersonalData {
            name: mask(Kind::Name, &self.name),
            phone: mask(Kind::Phone, &self.phone),
            id_number: mask(Kind::IdNumber, &self.id_number),
            card_numbers: self
                .card_numbers
                .iter()
                .map(|c| pii::mask(Kind::BankCard, c))
                .collect(),
        }
    }

    /// The first field that does not pass its check, if any.
    pub fn invalid_field(&self) -> Option<Field> {
        if self.name.as_deref().is_some_and(|n| !checks::name(n)) {
            return Some(Field::Name);
        }
        if self.phone.as_deref().is_some_and(|p| !checks::phone(p)) {
            return Some(Field::Phone);
        }
        if self
            .id_number
            .as_deref()
            .is_some_and(|i| !checks::id_number(i))
        {
            return Some(Field::IdNumber);
        }
        if self.card_numbers.len() > checks::MAX_CARDS
            || self.card_numbers.iter().any(|c| !checks::card_number(c))
        {
            return Some(Field::Cards);
        }
        None
    }

    /// The names of the fields present, for the audit of an unmasking.
    fn present(&self) -> Vec<&'static str> {
        [
            (Field::Name, self.name.is_some()),
            (Field::Phone, self.phone.is_some()),
            (Field::IdNumber, self.id_number.is_some()),
            (Field::Cards, !self.card_numbers.is_empty()),
        ]
        .into_iter()
        .filter_map(|(f, present)| present.then_some(f.as_str()))
        .collect()
    }
}

/// The sealed columns of one customer's row.
pub(crate) struct Sealed {
    pub name: Option<Vec<u8>>,
    pub phone: Option<Vec<u8>>,
    pub id_number: Option<Vec<u8>>,
    pub cards: Option<Vec<u8>>,
    pub phone_index: Option<Vec<u8>>,
    pub digest: Vec<u8>,
}

impl Sealed {
    pub fn of(keys: &CustomerKeys, customer: &str, data: &PersonalData) -> Sealed {
        let seal = |field, v: Option<&str>| v.map(|v| keys.seal(customer, field, v));
        let cards = (!data.card_numbers.is_empty()).then(|| data.card_numbers.join(";"));
        Sealed {
            name: seal(Field::Name, data.name.as_deref()),
            phone: seal(Field::Phone, data.phone.as_deref()),
            id_number: seal(Field::IdNumber, data.id_number.as_deref()),
            cards: seal(Field::Cards, cards.as_deref()),
            phone_index: data.phone.as_deref().map(|p| keys.phone_index(p)),
            digest: keys.digest(customer, data),
        }
    }
}

fn undecryptable(e: crate::crypto::DataKeyError) -> sqlx::Error {
    tracing::error!("a customer's personal data does not open under the configured key");
    sqlx::Error::Decode(Box::new(e))
}

/// Opens the sealed fields of `customer` (absent ones stay `None`).
fn open(
    keys: &CustomerKeys,
    customer: &CustomerNo,
    name: Option<&[u8]>,
    phone: Option<&[u8]>,
    id_number: Option<&[u8]>,
    cards: Option<&[u8]>,
) -> Result<PersonalData, sqlx::Error> {
    let open = |field, sealed: Option<&[u8]>| {
        sealed
            .map(|s| keys.open(customer, field, s).map_err(undecryptable))
            .transpose()
    };
    Ok(PersonalData {
        name: open(Field::Name, name)?,
        phone: open(Field::Phone, phone)?,
        id_number: open(Field::IdNumber, id_number)?,
        card_numbers: open(Field::Cards, cards)?
            .map(|c| checks::split_cards(&c))
            .unwrap_or_default(),
    })
}

/// 客户状态.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CustomerStatus)]
pub enum Status {
    Active,
    Dormant,
    Closed,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Dormant => "dormant",
            Status::Closed => "closed",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        match text {
            "active" => Some(Status::Active),
            "dormant" => Some(Status::Dormant),
            "closed" => Some(Status::Closed),
            _ => None,
        }
    }
}

/// A customer as staff see them: the personal data masked.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Customer {
    pub customer_no: String,
    pub org_id: Uuid,
    pub org_name: String,
    /// 用户等级: none until the tiers are built.
    pub tier: Option<String>,
    /// `active`, `dormant` or `closed`.
    pub status: String,
    pub opened_on: Option<NaiveDate>,
    /// The pseudonymous id analytics and exports use.
    pub pseudonym: String,
    /// How the record last arrived: `import` or `esb`.
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Masked.
    pub personal: PersonalData,
}

/// Filters of the customer list; every field optional.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    /// The customer number or its beginning (letters and digits).
    pub customer_no: Option<String>,
    pub org_id: Option<Uuid>,
    pub status: Option<Status>,
    /// A whole mobile number, looked up through its blind index.
    pub phone: Option<String>,
}

/// The most a list counts: past it the total says "10,000 or more".
pub const COUNT_CAP: i64 = 10_000;

/// Customers in the caller's data scope (a self-only scope sees none), by customer number, with
/// the total (capped at [`COUNT_CAP`]) and the name and phone masked.
#[tracing::instrument(skip(pool, keys, filter))]
pub async fn list(
    pool: &PgPool,
    keys: &CustomerKeys,
    scope: &DataScope,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Customer>, i64), sqlx::Error> {
    let (all, path, org, _) = scope_params(scope);
    let phone_index = filter.phone.as_deref().map(|p| keys.phone_index(p));
    let status = filter.status.map(Status::as_str);
    let rows = sqlx::query!(
        r#"SELECT c.customer_no, c.org_id, o.name AS org_name, c.tier, c.status, c.opened_on,
                  c.pseudonym, c.source, c.created_at, c.updated_at,
                  p.name_sealed AS "name_sealed?", p.phone_sealed AS "phone_sealed?",
                  p.id_number_sealed AS "id_number_sealed?", p.cards_sealed AS "cards_sealed?"
             FROM customers c
             JOIN orgs o ON o.id = c.org_id
             LEFT JOIN pii.customer_personal_data p ON p.customer_no = c.customer_no
            WHERE ($1 OR o.path LIKE $2 || '%' OR c.org_id = $3)
              AND ($4::text IS NULL OR c.customer_no LIKE $4 || '%')
              AND ($5::uuid IS NULL OR c.org_id = $5)
              AND ($6::text IS NULL OR c.status = $6)
              AND ($7::bytea IS NULL OR p.phone_index = $7)
            ORDER BY c.customer_no
            LIMIT $8 OFFSET $9"#,
        all,
        path,
        org,
        filter.customer_no,
        filter.org_id,
        status,
        phone_index,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM (
               SELECT 1 FROM customers c
                 JOIN orgs o ON o.id = c.org_id
                 LEFT JOIN pii.customer_personal_data p ON p.customer_no = c.customer_no
                WHERE ($1 OR o.path LIKE $2 || '%' OR c.org_id = $3)
                  AND ($4::text IS NULL OR c.customer_no LIKE $4 || '%')
                  AND ($5::uuid IS NULL OR c.org_id = $5)
                  AND ($6::text IS NULL OR c.status = $6)
                  AND ($7::bytea IS NULL OR p.phone_index = $7)
                LIMIT $8) t"#,
        all,
        path,
        org,
        filter.customer_no,
        filter.org_id,
        status,
        phone_index,
        COUNT_CAP + 1
    )
    .fetch_one(pool)
    .await?;
    let items = rows
        .into_iter()
        .map(|r| -> Result<Customer, sqlx::Error> {
            let no = CustomerNo::parse(&r.customer_no).map_err(|e| {
                sqlx::Error::Decode(Box::<dyn std::error::Error + Send + Sync>::from(
                    e.to_string(),
                ))
            })?;
            let personal = open(
                keys,
                &no,
                r.name_sealed.as_deref(),
                r.phone_sealed.as_deref(),
                r.id_number_sealed.as_deref(),
                r.cards_sealed.as_deref(),
            )?;
            Ok(Customer {
                customer_no: r.customer_no,
                org_id: r.org_id,
                org_name: r.org_name,
                tier: r.tier,
                status: r.status,
                opened_on: r.opened_on,
                pseudonym: r.pseudonym,
                source: r.source,
                created_at: r.created_at,
                updated_at: r.updated_at,
                personal: personal.masked(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, total))
}

/// One customer in the caller's data scope, masked; `None` when there is none in scope.
#[tracing::instrument(skip(pool, keys))]
pub async fn detail(
    pool: &PgPool,
    keys: &CustomerKeys,
    scope: &DataScope,
    customer: &CustomerNo,
) -> Result<Option<Customer>, sqlx::Error> {
    let filter = Filter {
        customer_no: Some(customer.as_str().to_owned()),
        ..Filter::default()
    };
    let (items, _) = list(pool, keys, scope, &filter, 1, 0).await?;
    Ok(items
        .into_iter()
        .find(|c| c.customer_no == customer.as_str()))
}

/// A customer's personal data in full, for a holder of `pii:customer:unmask`: audited in the
/// same transaction as the reading (`pii.customer.unmask`: whose data, which fields — never the
/// values). `None` when the customer is not in the caller's scope (nothing audited but the
/// refusal).
#[tracing::instrument(skip(pool, keys, by))]
pub async fn unmask(
    pool: &PgPool,
    keys: &CustomerKeys,
    scope: &DataScope,
    by: Entry,
    customer: &CustomerNo,
    now: DateTime<Utc>,
) -> Result<Option<PersonalData>, sqlx::Error> {
    let (all, path, org, _) = scope_params(scope);
    let mut tx = pool.begin().await?;
    let row = sqlx::query!(
        r#"SELECT p.name_sealed AS "name_sealed?", p.phone_sealed AS "phone_sealed?",
                  p.id_number_sealed AS "id_number_sealed?", p.cards_sealed AS "cards_sealed?"
             FROM customers c
             JOIN orgs o ON o.id = c.org_id
             LEFT JOIN pii.customer_personal_data p ON p.customer_no = c.customer_no
            WHERE c.customer_no = $1 AND ($2 OR o.path LIKE $3 || '%' OR c.org_id = $4)"#,
        customer.as_str(),
        all,
        path,
        org
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        let entry = Entry {
            action: "pii.customer.unmask",
            target: Some(customer.as_str().to_owned()),
            refused: true,
            ..by
        };
        audit::append(&mut tx, now, entry).await?;
        tx.commit().await?;
        return Ok(None);
    };
    let data = open(
        keys,
        customer,
        row.name_sealed.as_deref(),
        row.phone_sealed.as_deref(),
        row.id_number_sealed.as_deref(),
        row.cards_sealed.as_deref(),
    )?;
    let entry = Entry {
        action: "pii.customer.unmask",
        target: Some(customer.as_str().to_owned()),
        after: Some(serde_json::json!({ "fields": data.present() })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Some(data))
}

/// The mobile numbers of `customers`, in the clear, for a notice the bank sends them (the points
/// expiry reminder): no person reads them here, and the outbox shows them masked. A customer with
/// no number on file, or one that does not open, is left out (and the latter logged).
pub async fn phones_for_notice(
    conn: &mut sqlx::PgConnection,
    keys: &CustomerKeys,
    customers: &[String],
) -> Result<std::collections::HashMap<String, String>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT customer_no, phone_sealed AS "phone_sealed!"
             FROM pii.customer_personal_data
            WHERE customer_no = ANY($1) AND phone_sealed IS NOT NULL"#,
        customers
    )
    .fetch_all(conn)
    .await?;
    let mut phones = std::collections::HashMap::with_capacity(rows.len());
    for row in rows {
        let Ok(customer) = CustomerNo::parse(&row.customer_no) else {
            continue;
        };
        match keys.open(&customer, Field::Phone, &row.phone_sealed) {
            Ok(phone) => {
                phones.insert(row.customer_no, phone);
            }
            Err(e) => tracing::warn!(error = %e, "a customer's phone number does not open"),
        }
    }
    Ok(phones)
}

/// One customer as the core sends it over the ESB: the whole record (absent personal fields are
/// cleared).
#[derive(Debug, Clone)]
pub struct CustomerInput {
    pub customer_no: CustomerNo,
    /// The code of the org that serves the customer.
    pub org_code: String,
    pub status: Status,
    pub opened_on: Option<NaiveDate>,
    pub personal: PersonalData,
}

/// Why a single change was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No org of that code in the caller's scope, or the customer is served by an org outside it.
    OrgOutOfScope,
    /// A personal field failed its check.
    Invalid(Field),
}

/// What a single change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = CustomerUpsertOutcome)]
pub enum Outcome {
    Inserted,
    Updated,
    /// The record was already so: nothing written.
    Unchanged,
}

/// Creates or replaces one customer, personal data sealed; audited (`customer.customer.upsert`,
/// the fields that changed named, never their values). The same record twice changes nothing.
#[tracing::instrument(skip_all, fields(customer = %input.customer_no.as_str()))]
pub async fn upsert(
    pool: &PgPool,
    keys: &CustomerKeys,
    scope: &DataScope,
    input: &CustomerInput,
    now: DateTime<Utc>,
    by: Entry,
) -> Result<Result<Outcome, Refusal>, sqlx::Error> {
    if let Some(field) = input.personal.invalid_field() {
        return Ok(Err(Refusal::Invalid(field)));
    }
    let (all, path, org, _) = scope_params(scope);
    let no = input.customer_no.as_str();
    let mut tx = pool.begin().await?;
    let org_id = sqlx::query_scalar!(
        "SELECT id FROM orgs o WHERE code = $1 AND ($2 OR o.path LIKE $3 || '%' OR o.id = $4)",
        input.org_code,
        all,
        path,
        org
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(org_id) = org_id else {
        return Ok(Err(Refusal::OrgOutOfScope));
    };
    // a customer served by an org outside the scope is not the caller's to change
    let before = sqlx::query!(
        r#"SELECT c.org_id, c.status, c.opened_on,
                  ($2 OR o.path LIKE $3 || '%' OR c.org_id = $4) AS "in_scope!",
                  p.digest AS "digest?"
             FROM customers c
             JOIN orgs o ON o.id = c.org_id
             LEFT JOIN pii.customer_personal_data p ON p.customer_no = c.customer_no
            WHERE c.customer_no = $1
              FOR UPDATE OF c"#,
        no,
        all,
        path,
        org
    )
    .fetch_optional(&mut *tx)
    .await?;
    if before.as_ref().is_some_and(|b| !b.in_scope) {
        return Ok(Err(Refusal::OrgOutOfScope));
    }
    let sealed = Sealed::of(keys, no, &input.personal);
    let status = input.status.as_str();
    let mut changed: Vec<&str> = Vec::new();
    if let Some(b) = &before {
        if b.org_id != org_id {
            changed.push("org");
        }
        if b.status != status {
            changed.push("status");
        }
        if b.opened_on != input.opened_on {
            changed.push("opened_on");
        }
        if b.digest.as_deref() != Some(sealed.digest.as_slice()) {
            changed.push("personal_data");
        }
        if changed.is_empty() {
            tx.rollback().await?;
            return Ok(Ok(Outcome::Unchanged));
        }
    }
    sqlx::query!(
        "INSERT INTO customers (customer_no, org_id, status, opened_on, pseudonym, source,
                                created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'esb', $6, $6)
         ON CONFLICT (customer_no) DO UPDATE
            SET org_id = EXCLUDED.org_id, status = EXCLUDED.status,
                opened_on = EXCLUDED.opened_on, source = 'esb', updated_at = EXCLUDED.updated_at",
        no,
        org_id,
        status,
        input.opened_on,
        keys.pseudonym(no),
        now
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO pii.customer_personal_data
                (customer_no, name_sealed, phone_sealed, id_number_sealed, cards_sealed,
                 phone_index, digest, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (customer_no) DO UPDATE
            SET name_sealed = EXCLUDED.name_sealed, phone_sealed = EXCLUDED.phone_sealed,
                id_number_sealed = EXCLUDED.id_number_sealed, cards_sealed = EXCLUDED.cards_sealed,
                phone_index = EXCLUDED.phone_index, digest = EXCLUDED.digest,
                updated_at = EXCLUDED.updated_at
          WHERE customer_personal_data.digest IS DISTINCT FROM EXCLUDED.digest",
        no,
        sealed.name,
        sealed.phone,
        sealed.id_number,
        sealed.cards,
        sealed.phone_index,
        sealed.digest,
        now
    )
    .execute(&mut *tx)
    .await?;
    let outcome = if before.is_some() {
        Outcome::Updated
    } else {
        Outcome::Inserted
    };
    let entry = Entry {
        action: "customer.customer.upsert",
        target: Some(no.to_owned()),
        after: Some(serde_json::json!({ "outcome": outcome, "changed": changed })),
        ..by
    };
    audit::append(&mut tx, now, entry).await?;
    tx.commit().await?;
    Ok(Ok(outcome))
}

/// A coupon a customer holds, as the customer page lists it (the code is not shown).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerCoupon {
    pub coupon_id: Uuid,
    pub template_code: String,
    pub template_name: String,
    /// `unused`, `used` or `withdrawn`.
    pub status: String,
    pub campaign_id: Option<Uuid>,
    pub claimed_at: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
}

/// A customer's latest coupons, newest first, with how many there are.
pub async fn coupons(
    pool: &PgPool,
    customer: &CustomerNo,
    limit: i64,
    offset: i64,
) -> Result<(Vec<CustomerCoupon>, i64), sqlx::Error> {
    let items = sqlx::query_as!(
        CustomerCoupon,
        "SELECT c.id AS coupon_id, t.code AS template_code, t.name AS template_name, c.status,
                c.campaign_id, c.claimed_at, c.valid_to
           FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
          WHERE c.customer_no = $1
          ORDER BY c.claimed_at DESC, c.id
          LIMIT $2 OFFSET $3",
        customer.as_str(),
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM coupons WHERE customer_no = $1"#,
        customer.as_str()
    )
    .fetch_one(pool)
    .await?;
    Ok((items, total))
}

/// A campaign whose list holds the customer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CustomerCampaign {
    pub campaign_id: Uuid,
    /// The business number (`HD…`).
    pub code: String,
    pub name: String,
    /// The process's state (`Draft` before the first submission).
    pub state: String,
    pub start_at: DateTime<Utc>,
    pub end_at: DateTime<Utc>,
}

/// The campaigns whose lists hold the customer, latest start first (at most 100).
pub async fn campaigns(
    pool: &PgPool,
    customer: &CustomerNo,
) -> Result<Vec<CustomerCampaign>, sqlx::Error> {
    sqlx::query_as!(
        CustomerCampaign,
        r#"SELECT c.id AS campaign_id, c.code, c.name, coalesce(p.state, 'Draft') AS "state!",
                  c.start_at, c.end_at
             FROM campaign_customers cc
             JOIN campaigns c ON c.id = cc.campaign_id
             LEFT JOIN process_instances p
                    ON p.process_type = $2 AND p.business_key = c.id::text
            WHERE cc.customer_no = $1
            ORDER BY c.start_at DESC, c.id
            LIMIT 100"#,
        customer.as_str(),
        ProcessKind::Campaign.code()
    )
    .fetch_all(pool)
    .await
}

/// A coupon as its own customer sees it in the H5: the code and the QR payload to show at the
/// till while it is unused (the customer's own bearer secret; never shown for another).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OwnCoupon {
    pub coupon_id: Uuid,
    pub template_name: String,
    /// `threshold`, `discount` or `cash`.
    pub kind: String,
    pub face_value: i64,
    pub threshold: i64,
    /// `unused`, `used` or `withdrawn`.
    pub status: String,
    /// The code while unused; `None` once used or withdrawn.
    pub code: Option<String>,
    pub qr_payload: Option<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_to: DateTime<Utc>,
    pub claimed_at: DateTime<Utc>,
}

/// `customer`'s own coupons, unused first, then newest first (at most 100).
pub async fn own_coupons(
    pool: &PgPool,
    customer: &CustomerNo,
) -> Result<Vec<OwnCoupon>, sqlx::Error> {
    let rows = sqlx::query!(
        "SELECT c.id, c.code, t.name, t.kind, t.face_value, t.threshold, c.status, c.valid_from,
                c.valid_to, c.claimed_at
           FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
          WHERE c.customer_no = $1
          ORDER BY c.status = 'unused' DESC, c.claimed_at DESC, c.id
          LIMIT 100",
        customer.as_str()
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let unused = r.status == "unused";
            OwnCoupon {
                coupon_id: r.id,
                template_name: r.name,
                kind: r.kind,
                face_value: r.face_value,
                threshold: r.threshold,
                code: unused.then(|| r.code.clone()),
                qr_payload: unused.then(|| crate::benefits::qr_payload(&r.code)),
                status: r.status,
                valid_from: r.valid_from,
                valid_to: r.valid_to,
                claimed_at: r.claimed_at,
            }
        })
        .collect())
}
