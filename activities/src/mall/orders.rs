//! 订单 (issue 19, MALL-6): placing an order is one PostgreSQL transaction — the order row
//! reserves the client's request id first (a concurrent twin waits on it and gets the same
//! order), each SKU's stock is taken by a conditional decrement, the points held in the ledger (a
//! pending transfer), the coupon locked — all or nothing. Every later change (paid, shipped,
//! completed, cancelled, closed) locks the order row, asks the machine (`workflows::order`) what
//! the event does in the stored state, and carries out its commands in the same transaction, so
//! a duplicate or late event finds nothing to do and stock, points and coupon are released once.

use crate::ledger::{self, NewAccount, Request, Side, Spec, Unit};
use crate::points;
use crate::qpay::{CallError, Qpay, TradeStatus};
use chrono::{DateTime, Duration, FixedOffset, SubsecRound, Utc};
use quanyi_workflows::domain::{CustomerNo, Fen};
use quanyi_workflows::order::{self, Command, Event, State};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use std::collections::BTreeMap;
use uuid::Uuid;

/// How long an unpaid order waits before the sweeper closes it, unless the parameter says.
pub const PAY_MINUTES_PARAMETER: &str = "mall.order_pay_minutes";
pub const DEFAULT_PAY_MINUTES: i64 = 15;
/// Days after shipping that an order completes by itself, unless the parameter says.
pub const AUTO_COMPLETE_DAYS_PARAMETER: &str = "mall.order_auto_complete_days";
pub const DEFAULT_AUTO_COMPLETE_DAYS: i64 = 7;
/// The ledger hold outlives the payment window by this much: the order's sweeper, not the
/// ledger's, releases it, and a payment that lands late still finds its points held.
const HOLD_MARGIN: Duration = Duration::hours(24);
/// Lines an order may have.
pub const MAX_LINES: usize = 20;

/// Where the cash of paid orders is owed by Q支付 (debit-normal) and whom it is for (the mall's
/// sales, credit-normal): one transfer per paid order.
pub fn qpay_receivable() -> NewAccount {
    NewAccount {
        code: "mall:qpay-receivable".into(),
        unit: Unit::CnyFen,
        normal_side: Side::Debit,
        no_negative: false,
        kind: "qpay_receivable",
        customer_no: None,
        org_id: None,
    }
}

pub fn mall_sales() -> NewAccount {
    NewAccount {
        code: "mall:sales".into(),
        unit: Unit::CnyFen,
        normal_side: Side::Credit,
        no_negative: false,
        kind: "mall_sales",
        customer_no: None,
        org_id: None,
    }
}

/// A parameter's value in force (its row, else `default`).
pub async fn parameter(pool: &PgPool, key: &str, default: i64) -> Result<i64, sqlx::Error> {
    Ok(
        sqlx::query_scalar!("SELECT value FROM parameters WHERE key = $1", key)
            .fetch_optional(pool)
            .await?
            .unwrap_or(default),
    )
}

/// One line as the customer asks for it.
#[derive(Debug, Clone)]
pub struct LineRequest {
    pub product_code: String,
    pub sku_code: String,
    pub quantity: i32,
}

pub struct PlaceRequest<'a> {
    pub customer: &'a CustomerNo,
    pub request_id: &'a str,
    /// The request body as sent: the same request id with another body is refused.
    pub body: &'a [u8],
    pub lines: &'a [LineRequest],
    pub address_id: Uuid,
    pub coupon_code: Option<&'a str>,
    pub pay_window: Duration,
}

/// Why an order was not placed (nothing of it is kept); each has its own code at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    RequestIdReused,
    /// A SKU that is not on sale (no such product or SKU, or not listed).
    NotOnSale,
    SoldOut,
    InsufficientPoints,
    /// The lines come from more than one supplier: one order per supplier.
    MixedSuppliers,
    UnknownAddress,
    /// Not the customer's, used, withdrawn, outside its validity, below its threshold, or no
    /// cash to take it off.
    CouponUnusable,
    /// Another order holds it.
    CouponLocked,
    NoSuchOrder,
    /// The order's state does not allow it (paid already, closed, …).
    WrongState,
    /// The payment window is over.
    PayWindowOver,
    /// Q支付 did not answer; nothing changed, try again.
    PaymentUnavailable,
}

/// One line of an order as shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub product_code: String,
    pub product_name: String,
    pub sku_code: String,
    pub spec: String,
    pub quantity: i32,
    pub price_points: i64,
    pub price_fen: i64,
}

/// An order as its customer and its supplier see it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct OrderView {
    pub order_no: String,
    /// `pending_payment`, `paid`, `shipped`, `completed`, `cancelled` or `closed`.
    pub status: String,
    /// 待支付, 已支付, …
    pub status_label: String,
    pub points: i64,
    pub goods_fen: i64,
    pub discount_fen: i64,
    /// What Q支付 collects.
    pub cash_fen: i64,
    pub coupon_code: Option<String>,
    pub pay_by: DateTime<Utc>,
    pub carrier: Option<String>,
    pub tracking_no: Option<String>,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub completed_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub lines: Vec<LineView>,
}

/// The order number: `DD`, the Beijing date, ten digits of a sequence.
fn order_no(now: DateTime<Utc>, seq: i64) -> String {
    let day = now
        .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .format("%Y%m%d");
    format!("DD{day}{seq:010}")
}

/// A SKU on sale as an order reads it.
struct Sku {
    id: Uuid,
    product_id: Uuid,
    product_code: String,
    product_name: String,
    supplier_id: Uuid,
    sku_code: String,
    spec: String,
    price_points: i64,
    price_fen: i64,
}

/// Places an order, or answers why not; the same `(customer, request id)` always gets its order.
#[tracing::instrument(skip_all, fields(customer = %request.customer))]
pub async fn place(
    pool: &PgPool,
    request: &PlaceRequest<'_>,
    now: DateTime<Utc>,
) -> Result<Result<OrderView, Refusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let hash = Sha256::digest(request.body).to_vec();
    let customer = request.customer.as_str();
    // the same SKU twice is one line
    let mut wanted: BTreeMap<(String, String), i32> = BTreeMap::new();
    for line in request.lines {
        *wanted
            .entry((line.product_code.clone(), line.sku_code.clone()))
            .or_default() += line.quantity;
    }
    let (products, skus): (Vec<String>, Vec<String>) = wanted.keys().cloned().unzip();
    let mut tx = pool.begin().await?;
    let found = sqlx::query_as!(
        Sku,
        r#"SELECT s.id, p.id AS product_id, p.code AS product_code, p.name AS product_name,
                  p.supplier_id, s.code AS sku_code, s.spec, s.price_points, s.price_fen
             FROM unnest($1::text[], $2::text[]) AS w (product, sku)
             JOIN products p ON p.code = w.product AND p.status = 'listed'
             JOIN product_skus s ON s.product_id = p.id AND s.code = w.sku
            ORDER BY s.id"#,
        &products,
        &skus
    )
    .fetch_all(&mut *tx)
    .await?;
    if found.len() != wanted.len() || found.is_empty() {
        return Ok(Err(Refusal::NotOnSale));
    }
    let supplier = found[0].supplier_id;
    if found.iter().any(|s| s.supplier_id != supplier) {
        return Ok(Err(Refusal::MixedSuppliers));
    }
    let quantity_of = |s: &Sku| wanted[&(s.product_code.clone(), s.sku_code.clone())];
    let points: i64 = found
        .iter()
        .map(|s| s.price_points * i64::from(quantity_of(s)))
        .sum();
    let goods_fen: i64 = found
        .iter()
        .map(|s| s.price_fen * i64::from(quantity_of(s)))
        .sum();
    let address_ok = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM mall_addresses
                           WHERE id = $1 AND customer_no = $2 AND deleted_at IS NULL) AS "ok!""#,
        request.address_id,
        customer
    )
    .fetch_one(&mut *tx)
    .await?;
    if !address_ok {
        return Ok(Err(Refusal::UnknownAddress));
    }
    // the coupon, locked against a till redeeming it meanwhile
    let mut coupon: Option<(Uuid, i64)> = None;
    if let Some(code) = request.coupon_code {
        let code = crate::benefits::code_from_input(code);
        let row = sqlx::query!(
            r#"SELECT c.id, c.customer_no, c.status, c.valid_from, c.valid_to, t.kind,
                      t.face_value, t.threshold, t.discount_permille
                 FROM coupons c JOIN coupon_templates t ON t.id = c.template_id
                WHERE c.code = $1 FOR UPDATE OF c"#,
            code
        )
        .fetch_optional(&mut *tx)
        .await?;
        let Some(c) = row else {
            return Ok(Err(Refusal::CouponUnusable));
        };
        let usable = c.customer_no == customer
            && c.status == "unused"
            && now >= c.valid_from
            && now < c.valid_to
            && goods_fen >= c.threshold
            && goods_fen > 0;
        if !usable {
            return Ok(Err(Refusal::CouponUnusable));
        }
        let off = crate::benefits::discount(
            &c.kind,
            Fen::new(c.face_value).unwrap_or(Fen::ZERO),
            c.discount_permille,
            Fen::new(goods_fen).unwrap_or(Fen::ZERO),
        )
        .get();
        if off == 0 {
            return Ok(Err(Refusal::CouponUnusable));
        }
        coupon = Some((c.id, off));
    }
    let discount_fen = coupon.map_or(0, |(_, off)| off);
    let id = Uuid::new_v4();
    let seq = sqlx::query_scalar!(r#"SELECT nextval('mall_order_no_seq') AS "n!""#)
        .fetch_one(&mut *tx)
        .await?;
    let no = order_no(now, seq);
    let hold_id = (points > 0).then(Uuid::new_v4);
    // Reserve the request id with the order row: a concurrent twin blocks on the unique key
    // until this transaction ends, then reads this order (or places its own if this one failed).
    let reserved = sqlx::query_scalar!(
        "INSERT INTO mall_orders (id, order_no, customer_no, request_id, body_hash, supplier_id,
                                  status, points, goods_fen, discount_fen, cash_fen, coupon_id,
                                  address_id, pay_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, 'pending_payment', $7, $8, $9, $8::bigint - $9::bigint, $10, $11, $12, $13)
         ON CONFLICT (customer_no, request_id) DO NOTHING RETURNING 1 AS one",
        id,
        no,
        customer,
        request.request_id,
        hash,
        supplier,
        points,
        goods_fen,
        discount_fen,
        coupon.map(|(c, _)| c),
        request.address_id,
        now + request.pay_window,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if reserved.is_none() {
        tx.rollback().await?;
        return first_answer(pool, customer, request.request_id, &hash).await;
    }
    // stock: one conditional decrement per SKU, in SKU order (two orders never wait crosswise)
    for (n, s) in found.iter().enumerate() {
        let q = i64::from(quantity_of(s));
        let took = sqlx::query_scalar!(
            r#"WITH taken AS (
                   UPDATE product_skus SET stock = stock - $2 WHERE id = $1 AND stock >= $2
                   RETURNING id),
               moved AS (
                   INSERT INTO mall_stock_movements (sku_id, order_id, kind, quantity, at)
                   SELECT id, $3, 'order', -$2, $4 FROM taken)
               SELECT count(*) AS "n!" FROM taken"#,
            s.id,
            q,
            id,
            now
        )
        .fetch_one(&mut *tx)
        .await?;
        if took == 0 {
            return Ok(Err(Refusal::SoldOut));
        }
        sqlx::query!(
            "INSERT INTO mall_order_lines (order_id, line_no, product_id, sku_id, sku_code,
                                           product_name, spec, quantity, price_points, price_fen)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            id,
            (n + 1) as i16,
            s.product_id,
            s.id,
            s.sku_code,
            s.product_name,
            s.spec,
            quantity_of(s),
            s.price_points,
            s.price_fen
        )
        .execute(&mut *tx)
        .await?;
    }
    if let Some((coupon_id, _)) = coupon {
        let locked = sqlx::query!(
            "INSERT INTO mall_coupon_locks (coupon_id, order_id, locked_at) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            coupon_id,
            id,
            now
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if locked == 0 {
            return Ok(Err(Refusal::CouponLocked));
        }
    }
    if let Some(hold) = hold_id {
        let (from, to) = (
            points::customer_account(request.customer),
            points::clearing_account(points::shard_of(request.customer)),
        );
        let key = format!("mall:order:{id}:hold");
        let ledger_request = Request {
            key: &key,
            body: key.as_bytes(),
            actor: customer,
            transfers: vec![Spec::Pending {
                debit: from.id(),
                credit: to.id(),
                amount: points,
                timeout: request.pay_window + HOLD_MARGIN,
                code: "hold",
                memo: format!("积分商城订单 {no}"),
            }],
            accounts: vec![from, to],
        };
        match ledger::execute_within(&mut tx, &ledger_request, now).await? {
            Ok(transfers) => {
                let pending = transfers.first().map(|t| t.id).unwrap_or(hold);
                sqlx::query!(
                    "UPDATE mall_orders SET points_hold_id = $2 WHERE id = $1",
                    id,
                    pending
                )
                .execute(&mut *tx)
                .await?;
            }
            Err(_) => return Ok(Err(Refusal::InsufficientPoints)),
        }
    }
    log(
        &mut tx,
        id,
        None,
        State::PendingPayment {},
        "place",
        customer,
        None,
        now,
    )
    .await?;
    tx.commit().await?;
    let view = view_by_id(pool, id)
        .await?
        .ok_or(sqlx::Error::RowNotFound)?;
    Ok(Ok(view))
}

/// The order an earlier request with the same id placed (refused if its body differs).
async fn first_answer(
    pool: &PgPool,
    customer: &str,
    request_id: &str,
    hash: &[u8],
) -> Result<Result<OrderView, Refusal>, sqlx::Error> {
    let first = sqlx::query!(
        "SELECT id, body_hash FROM mall_orders WHERE customer_no = $1 AND request_id = $2",
        customer,
        request_id
    )
    .fetch_one(pool)
    .await?;
    if first.body_hash != hash {
        return Ok(Err(Refusal::RequestIdReused));
    }
    Ok(view_by_id(pool, first.id)
        .await?
        .ok_or(Refusal::NoSuchOrder))
}

#[allow(clippy::too_many_arguments)]
async fn log(
    conn: &mut PgConnection,
    order: Uuid,
    from: Option<State>,
    to: State,
    event: &str,
    actor: &str,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO mall_order_logs (order_id, from_status, to_status, event, actor, reason, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        order,
        from.map(State::name),
        to.name(),
        event,
        actor,
        reason,
        now
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// An order row, locked.
struct Locked {
    id: Uuid,
    order_no: String,
    state: State,
    cash_fen: i64,
    points_hold_id: Option<Uuid>,
}

async fn lock(conn: &mut PgConnection, order_no: &str) -> Result<Option<Locked>, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT id, order_no, status, cash_fen, points_hold_id
           FROM mall_orders WHERE order_no = $1 FOR UPDATE",
        order_no
    )
    .fetch_optional(conn)
    .await?;
    Ok(row.map(|r| Locked {
        id: r.id,
        order_no: r.order_no,
        state: State::parse(&r.status).unwrap_or(State::Closed {}),
        cash_fen: r.cash_fen,
        points_hold_id: r.points_hold_id,
    }))
}

/// A carrier and tracking number, for [`Event::Ship`].
pub struct Shipment<'a> {
    pub carrier: &'a str,
    pub tracking_no: &'a str,
}

/// Applies `event` to the locked order: the machine's answer in its stored state, its commands
/// carried out, the new state and the log row written. `None` when the event does nothing there.
#[allow(clippy::too_many_arguments)]
async fn apply(
    conn: &mut PgConnection,
    order: &Locked,
    event: Event,
    actor: &str,
    reason: Option<&str>,
    shipment: Option<&Shipment<'_>>,
    now: DateTime<Utc>,
) -> Result<Option<State>, sqlx::Error> {
    let Some((to, commands)) = order::apply(order.state, event) else {
        return Ok(None);
    };
    for command in commands {
        run(conn, order, command, shipment, now).await?;
    }
    sqlx::query!(
        "UPDATE mall_orders SET status = $2,
                paid_at = CASE WHEN $2 = 'paid' THEN $3 ELSE paid_at END,
                shipped_at = CASE WHEN $2 = 'shipped' THEN $3 ELSE shipped_at END,
                completed_at = CASE WHEN $2 = 'completed' THEN $3 ELSE completed_at END,
                ended_at = CASE WHEN $2 IN ('cancelled', 'closed') THEN $3 ELSE ended_at END
          WHERE id = $1",
        order.id,
        to.name(),
        now
    )
    .execute(&mut *conn)
    .await?;
    log(
        conn,
        order.id,
        Some(order.state),
        to,
        event.name(),
        actor,
        reason,
        now,
    )
    .await?;
    Ok(Some(to))
}

fn ledger_failed(what: &str, refused: ledger::Refused) -> sqlx::Error {
    sqlx::Error::Protocol(format!(
        "{what}: the ledger refused ({})",
        refused.reason.as_str()
    ))
}

async fn run(
    conn: &mut PgConnection,
    order: &Locked,
    command: Command,
    shipment: Option<&Shipment<'_>>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    match command {
        Command::CapturePoints => {
            if let Some(hold) = order.points_hold_id {
                let key = format!("mall:order:{}:capture", order.id);
                let request = Request {
                    key: &key,
                    body: key.as_bytes(),
                    actor: "mall",
                    accounts: Vec::new(),
                    transfers: vec![Spec::Post {
                        pending: hold,
                        unit: Unit::Points,
                        amount: None,
                        code: "capture",
                        memo: format!("积分商城订单 {}", order.order_no),
                    }],
                };
                ledger::execute_within(conn, &request, now)
                    .await?
                    .map_err(|r| ledger_failed("capture", r))?;
            }
            if order.cash_fen > 0 {
                let (from, to) = (qpay_receivable(), mall_sales());
                let key = format!("mall:order:{}:cash", order.id);
                let request = Request {
                    key: &key,
                    body: key.as_bytes(),
                    actor: "qpay",
                    transfers: vec![Spec::Single {
                        debit: from.id(),
                        credit: to.id(),
                        amount: order.cash_fen,
                        code: "mall_pay",
                        memo: format!("积分商城订单 {}", order.order_no),
                    }],
                    accounts: vec![from, to],
                };
                ledger::execute_within(conn, &request, now)
                    .await?
                    .map_err(|r| ledger_failed("cash", r))?;
            }
        }
        Command::ReleasePoints => {
            if let Some(hold) = order.points_hold_id {
                let key = format!("mall:order:{}:void", order.id);
                let request = Request {
                    key: &key,
                    body: key.as_bytes(),
                    actor: "mall",
                    accounts: Vec::new(),
                    transfers: vec![Spec::Void {
                        pending: hold,
                        unit: Unit::Points,
                        code: "void",
                        memo: format!("积分商城订单 {} 未支付", order.order_no),
                    }],
                };
                // The ledger's own sweeper may have expired the hold already (it outlives the
                // payment window by a day): the points are back either way, and what the refused
                // void wrote is undone to its savepoint.
                sqlx::query("SAVEPOINT release_points")
                    .execute(&mut *conn)
                    .await?;
                if let Err(refused) = ledger::execute_within(conn, &request, now).await? {
                    if refused.reason != ledger::Refusal::PendingResolved
                        && refused.reason != ledger::Refusal::PendingExpired
                    {
                        return Err(ledger_failed("void", refused));
                    }
                    sqlx::query("ROLLBACK TO SAVEPOINT release_points")
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        Command::ReleaseStock => {
            sqlx::query!(
                "WITH back AS (
                     INSERT INTO mall_stock_movements (sku_id, order_id, kind, quantity, at)
                     SELECT sku_id, order_id, 'release', -quantity, $2
                       FROM mall_stock_movements WHERE order_id = $1 AND kind = 'order'
                     ON CONFLICT DO NOTHING
                     RETURNING sku_id, quantity)
                 UPDATE product_skus s SET stock = s.stock + back.quantity
                   FROM back WHERE s.id = back.sku_id",
                order.id,
                now
            )
            .execute(&mut *conn)
            .await?;
        }
        Command::ReleaseCoupon => {
            sqlx::query!(
                "UPDATE mall_coupon_locks SET released_at = $2
                  WHERE order_id = $1 AND released_at IS NULL",
                order.id,
                now
            )
            .execute(&mut *conn)
            .await?;
        }
        Command::RecordShipment => {
            if let Some(s) = shipment {
                sqlx::query!(
                    "UPDATE mall_orders SET carrier = $2, tracking_no = $3 WHERE id = $1",
                    order.id,
                    s.carrier,
                    s.tracking_no
                )
                .execute(&mut *conn)
                .await?;
            }
        }
    }
    Ok(())
}

/// What paying an order needs the customer to do next.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PayStart {
    pub order_no: String,
    /// `paid` (points only: nothing to pay in cash) or `pending_payment`.
    pub status: String,
    /// Q支付's page to send the customer to (none when nothing is paid in cash).
    pub pay_url: Option<String>,
}

/// Pays an order: one of points only is paid at once; otherwise Q支付's payment order is created
/// (once: a repeat gets the same page) and its page answered.
pub async fn start_payment(
    pool: &PgPool,
    qpay: Option<&Qpay>,
    customer: &CustomerNo,
    order_no: &str,
    now: DateTime<Utc>,
) -> Result<Result<PayStart, Refusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    let Some(order) = lock(&mut tx, order_no).await? else {
        return Ok(Err(Refusal::NoSuchOrder));
    };
    let row = sqlx::query!(
        "SELECT customer_no, pay_by FROM mall_orders WHERE id = $1",
        order.id
    )
    .fetch_one(&mut *tx)
    .await?;
    if row.customer_no != customer.as_str() {
        return Ok(Err(Refusal::NoSuchOrder));
    }
    if order.state != (State::PendingPayment {}) {
        return Ok(Err(Refusal::WrongState));
    }
    if now >= row.pay_by {
        return Ok(Err(Refusal::PayWindowOver));
    }
    if order.cash_fen == 0 {
        apply(
            &mut tx,
            &order,
            Event::Pay,
            customer.as_str(),
            None,
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        return Ok(Ok(PayStart {
            order_no: order.order_no,
            status: "paid".into(),
            pay_url: None,
        }));
    }
    let Some(qpay) = qpay else {
        return Ok(Err(Refusal::PaymentUnavailable));
    };
    let existing = sqlx::query!(
        "INSERT INTO qpay_payments (pay_no, order_id, amount_fen, created_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (pay_no) DO UPDATE SET pay_no = EXCLUDED.pay_no
         RETURNING pay_url",
        order.order_no,
        order.id,
        order.cash_fen,
        now
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    let pay_url = match existing.pay_url {
        Some(url) => url,
        None => {
            let subject = format!("积分商城订单 {}", order.order_no);
            match qpay
                .create(
                    pool,
                    &order.order_no,
                    order.cash_fen,
                    &subject,
                    row.pay_by,
                    now,
                )
                .await
            {
                Ok(url) => {
                    sqlx::query!(
                        "UPDATE qpay_payments SET pay_url = $2 WHERE pay_no = $1",
                        order.order_no,
                        url
                    )
                    .execute(pool)
                    .await?;
                    url
                }
                Err(CallError::Store(e)) => return Err(e),
                Err(_) => return Ok(Err(Refusal::PaymentUnavailable)),
            }
        }
    };
    Ok(Ok(PayStart {
        order_no: order.order_no,
        status: "pending_payment".into(),
        pay_url: Some(pay_url),
    }))
}

/// What a paid notice (a callback, or a query's answer) came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    Paid,
    /// Paid before: a duplicate, nothing changed.
    AlreadyPaid,
    UnknownPayment,
    /// The amount is not the payment's: nothing changed.
    AmountMismatch,
    /// The payment was closed (the order closed or cancelled): nothing changed.
    Closed,
}

/// Settles payment `pay_no` as paid by Q支付 trade `trade_no`: once, whichever of the callback,
/// its duplicates and the active query comes first.
pub async fn settle(
    pool: &PgPool,
    pay_no: &str,
    trade_no: &str,
    amount_fen: i64,
    via: &str,
    now: DateTime<Utc>,
) -> Result<Settled, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    // the order first, as every change of it locks it first
    let Some(order) = lock(&mut tx, pay_no).await? else {
        return Ok(Settled::UnknownPayment);
    };
    let Some(payment) = sqlx::query!(
        "SELECT status, amount_fen FROM qpay_payments WHERE pay_no = $1 FOR UPDATE",
        pay_no
    )
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Ok(Settled::UnknownPayment);
    };
    match payment.status.as_str() {
        "paid" => return Ok(Settled::AlreadyPaid),
        "closed" => return Ok(Settled::Closed),
        _ => {}
    }
    if payment.amount_fen != amount_fen {
        return Ok(Settled::AmountMismatch);
    }
    sqlx::query!(
        "UPDATE qpay_payments SET status = 'paid', qpay_trade_no = $2, settled_at = $3
          WHERE pay_no = $1",
        pay_no,
        trade_no,
        now
    )
    .execute(&mut *tx)
    .await?;
    if apply(&mut tx, &order, Event::Pay, via, None, None, now)
        .await?
        .is_none()
    {
        // an open payment of an order that is no longer waiting for it: never kept
        return Ok(Settled::Closed);
    }
    tx.commit().await?;
    Ok(Settled::Paid)
}

/// Asks Q支付 about an unpaid order's payment and settles it when paid (the callback never came).
/// Answers the order's state afterwards.
pub async fn query_payment(
    pool: &PgPool,
    qpay: &Qpay,
    order_no: &str,
    now: DateTime<Utc>,
) -> Result<Result<TradeStatus, Refusal>, sqlx::Error> {
    let open = sqlx::query_scalar!(
        "SELECT amount_fen FROM qpay_payments WHERE pay_no = $1",
        order_no
    )
    .fetch_optional(pool)
    .await?;
    if open.is_none() {
        return Ok(Err(Refusal::NoSuchOrder));
    }
    let trade = match qpay.query(pool, order_no, now).await {
        Ok(trade) => trade,
        Err(CallError::Store(e)) => return Err(e),
        Err(_) => return Ok(Err(Refusal::PaymentUnavailable)),
    };
    if trade.status == TradeStatus::Paid
        && let (Some(trade_no), Some(amount)) = (&trade.trade_no, trade.amount_fen)
    {
        settle(pool, order_no, trade_no, amount, "qpay-query", now).await?;
    }
    Ok(Ok(trade.status))
}

/// Ends an unpaid order — cancelled by its customer, or closed by the sweeper — making sure
/// first that Q支付 will not take its money later: an open payment is queried (paid: settled
/// instead) and closed there. `Ok(None)` when it was paid after all or Q支付 could not be reached.
async fn end_unpaid(
    pool: &PgPool,
    qpay: Option<&Qpay>,
    order_no: &str,
    event: Event,
    actor: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Option<State>, sqlx::Error> {
    let payment = sqlx::query_scalar!(
        "SELECT status FROM qpay_payments WHERE pay_no = $1",
        order_no
    )
    .fetch_optional(pool)
    .await?;
    if payment.as_deref() == Some("created") {
        let Some(qpay) = qpay else { return Ok(None) };
        match qpay.query(pool, order_no, now).await {
            Ok(trade) if trade.status == TradeStatus::Paid => {
                if let (Some(trade_no), Some(amount)) = (&trade.trade_no, trade.amount_fen) {
                    settle(pool, order_no, trade_no, amount, "qpay-query", now).await?;
                }
                return Ok(None);
            }
            Ok(trade) if trade.status == TradeStatus::Waiting => {
                match qpay.close(pool, order_no, now).await {
                    Ok(()) => {}
                    Err(CallError::Store(e)) => return Err(e),
                    // paid meanwhile, or unreachable: the next round finds out
                    Err(_) => return Ok(None),
                }
            }
            Ok(_) => {}
            Err(CallError::Store(e)) => return Err(e),
            Err(_) => return Ok(None),
        }
    }
    let mut tx = pool.begin().await?;
    let Some(order) = lock(&mut tx, order_no).await? else {
        return Ok(None);
    };
    sqlx::query!(
        "UPDATE qpay_payments SET status = 'closed', settled_at = $2
          WHERE pay_no = $1 AND status = 'created'",
        order_no,
        now
    )
    .execute(&mut *tx)
    .await?;
    let to = apply(&mut tx, &order, event, actor, Some(reason), None, now).await?;
    tx.commit().await?;
    Ok(to)
}

/// The customer cancels an unpaid order: stock, points and coupon go back.
pub async fn cancel(
    pool: &PgPool,
    qpay: Option<&Qpay>,
    customer: &CustomerNo,
    order_no: &str,
    now: DateTime<Utc>,
) -> Result<Result<OrderView, Refusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let Some(view) = view_of_customer(pool, customer, order_no).await? else {
        return Ok(Err(Refusal::NoSuchOrder));
    };
    if view.status != "pending_payment" {
        return Ok(Err(Refusal::WrongState));
    }
    let ended = end_unpaid(
        pool,
        qpay,
        order_no,
        Event::Cancel,
        customer.as_str(),
        "顾客取消",
        now,
    )
    .await?;
    if ended.is_none() {
        return Ok(Err(Refusal::WrongState));
    }
    Ok(view_of_customer(pool, customer, order_no)
        .await?
        .ok_or(Refusal::NoSuchOrder))
}

/// Closes up to `batch` orders whose payment window is over, each once (any number of sweepers
/// may run); answers how many closed.
#[tracing::instrument(skip(pool, qpay))]
pub async fn close_due(
    pool: &PgPool,
    qpay: Option<&Qpay>,
    now: DateTime<Utc>,
    batch: i64,
) -> Result<u64, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let due = sqlx::query_scalar!(
        "SELECT order_no FROM mall_orders WHERE status = 'pending_payment' AND pay_by <= $1
          ORDER BY pay_by LIMIT $2",
        now,
        batch
    )
    .fetch_all(pool)
    .await?;
    let mut closed = 0;
    for order_no in due {
        let to = end_unpaid(
            pool,
            qpay,
            &order_no,
            Event::Close,
            "mall-sweeper",
            "超时未支付",
            now,
        )
        .await?;
        if to.is_some() {
            closed += 1;
        }
    }
    Ok(closed)
}

/// The supplier ships a paid order.
pub async fn ship(
    pool: &PgPool,
    supplier: Uuid,
    order_no: &str,
    shipment: &Shipment<'_>,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    let Some(order) = lock(&mut tx, order_no).await? else {
        return Ok(Err(Refusal::NoSuchOrder));
    };
    let owner = sqlx::query_scalar!(
        "SELECT supplier_id FROM mall_orders WHERE id = $1",
        order.id
    )
    .fetch_one(&mut *tx)
    .await?;
    if owner != supplier {
        return Ok(Err(Refusal::NoSuchOrder));
    }
    let reason = format!("{} {}", shipment.carrier, shipment.tracking_no);
    if apply(
        &mut tx,
        &order,
        Event::Ship,
        actor,
        Some(&reason),
        Some(shipment),
        now,
    )
    .await?
    .is_none()
    {
        return Ok(Err(Refusal::WrongState));
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// The customer confirms receipt of a shipped order.
pub async fn confirm(
    pool: &PgPool,
    customer: &CustomerNo,
    order_no: &str,
    now: DateTime<Utc>,
) -> Result<Result<OrderView, Refusal>, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    let Some(order) = lock(&mut tx, order_no).await? else {
        return Ok(Err(Refusal::NoSuchOrder));
    };
    let owner = sqlx::query_scalar!(
        "SELECT customer_no FROM mall_orders WHERE id = $1",
        order.id
    )
    .fetch_one(&mut *tx)
    .await?;
    if owner != customer.as_str() {
        return Ok(Err(Refusal::NoSuchOrder));
    }
    if apply(
        &mut tx,
        &order,
        Event::Confirm,
        customer.as_str(),
        Some("顾客确认收货"),
        None,
        now,
    )
    .await?
    .is_none()
    {
        return Ok(Err(Refusal::WrongState));
    }
    tx.commit().await?;
    Ok(view_of_customer(pool, customer, order_no)
        .await?
        .ok_or(Refusal::NoSuchOrder))
}

/// Completes up to `batch` orders shipped more than `days` ago; answers how many.
pub async fn complete_due(
    pool: &PgPool,
    now: DateTime<Utc>,
    days: i64,
    batch: i64,
) -> Result<u64, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let due = sqlx::query_scalar!(
        "SELECT order_no FROM mall_orders WHERE status = 'shipped' AND shipped_at <= $1
          ORDER BY shipped_at LIMIT $2",
        now - Duration::days(days),
        batch
    )
    .fetch_all(pool)
    .await?;
    let mut done = 0;
    for order_no in due {
        let mut tx = pool.begin().await?;
        let Some(order) = lock(&mut tx, &order_no).await? else {
            continue;
        };
        let reason = format!("发货后 {days} 天自动确认收货");
        if apply(
            &mut tx,
            &order,
            Event::Confirm,
            "mall-sweeper",
            Some(&reason),
            None,
            now,
        )
        .await?
        .is_some()
        {
            done += 1;
        }
        tx.commit().await?;
    }
    Ok(done)
}

async fn lines(pool: &PgPool, order: Uuid) -> Result<Vec<LineView>, sqlx::Error> {
    sqlx::query_as!(
        LineView,
        "SELECT p.code AS product_code, l.product_name, l.sku_code, l.spec, l.quantity,
                l.price_points, l.price_fen
           FROM mall_order_lines l JOIN products p ON p.id = l.product_id
          WHERE l.order_id = $1 ORDER BY l.line_no",
        order
    )
    .fetch_all(pool)
    .await
}

struct Head {
    id: Uuid,
    order_no: String,
    status: String,
    points: i64,
    goods_fen: i64,
    discount_fen: i64,
    cash_fen: i64,
    coupon_code: Option<String>,
    pay_by: DateTime<Utc>,
    carrier: Option<String>,
    tracking_no: Option<String>,
    created_at: DateTime<Utc>,
    paid_at: Option<DateTime<Utc>>,
    shipped_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    ended_at: Option<DateTime<Utc>>,
}

impl Head {
    fn view(self, lines: Vec<LineView>) -> OrderView {
        let status_label = State::parse(&self.status)
            .map_or("", |s| s.label_zh())
            .to_owned();
        OrderView {
            order_no: self.order_no,
            status: self.status,
            status_label,
            points: self.points,
            goods_fen: self.goods_fen,
            discount_fen: self.discount_fen,
            cash_fen: self.cash_fen,
            coupon_code: self.coupon_code,
            pay_by: self.pay_by,
            carrier: self.carrier,
            tracking_no: self.tracking_no,
            created_at: self.created_at,
            paid_at: self.paid_at,
            shipped_at: self.shipped_at,
            completed_at: self.completed_at,
            ended_at: self.ended_at,
            lines,
        }
    }
}

/// Orders by `filter`: a customer's, or a supplier's (optionally in one state), newest first,
/// with how many there are.
pub struct Filter<'a> {
    pub customer: Option<&'a str>,
    pub supplier: Option<Uuid>,
    pub order_no: Option<&'a str>,
    pub status: Option<&'a str>,
    pub limit: i64,
    pub offset: i64,
}

pub async fn list(
    pool: &PgPool,
    filter: &Filter<'_>,
) -> Result<(Vec<OrderView>, i64), sqlx::Error> {
    let heads = sqlx::query_as!(
        Head,
        r#"SELECT o.id, o.order_no, o.status, o.points, o.goods_fen, o.discount_fen, o.cash_fen,
                  c.code AS "coupon_code?", o.pay_by, o.carrier, o.tracking_no, o.created_at,
                  o.paid_at, o.shipped_at, o.completed_at, o.ended_at
             FROM mall_orders o LEFT JOIN coupons c ON c.id = o.coupon_id
            WHERE ($1::text IS NULL OR o.customer_no = $1)
              AND ($2::uuid IS NULL OR o.supplier_id = $2)
              AND ($3::text IS NULL OR o.status = $3)
              AND ($4::text IS NULL OR o.order_no = $4)
            ORDER BY o.created_at DESC, o.order_no DESC LIMIT $5 OFFSET $6"#,
        filter.customer,
        filter.supplier,
        filter.status,
        filter.order_no,
        filter.limit,
        filter.offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "n!" FROM mall_orders o
            WHERE ($1::text IS NULL OR o.customer_no = $1)
              AND ($2::uuid IS NULL OR o.supplier_id = $2)
              AND ($3::text IS NULL OR o.status = $3)
              AND ($4::text IS NULL OR o.order_no = $4)"#,
        filter.customer,
        filter.supplier,
        filter.status,
        filter.order_no
    )
    .fetch_one(pool)
    .await?;
    let mut out = Vec::with_capacity(heads.len());
    for head in heads {
        let lines = lines(pool, head.id).await?;
        out.push(head.view(lines));
    }
    Ok((out, total))
}

async fn view_by_id(pool: &PgPool, id: Uuid) -> Result<Option<OrderView>, sqlx::Error> {
    let no = sqlx::query_scalar!("SELECT order_no FROM mall_orders WHERE id = $1", id)
        .fetch_optional(pool)
        .await?;
    let Some(no) = no else { return Ok(None) };
    let filter = Filter {
        customer: None,
        supplier: None,
        order_no: Some(&no),
        status: None,
        limit: 1,
        offset: 0,
    };
    Ok(list(pool, &filter).await?.0.into_iter().next())
}

/// A customer's own order.
pub async fn view_of_customer(
    pool: &PgPool,
    customer: &CustomerNo,
    order_no: &str,
) -> Result<Option<OrderView>, sqlx::Error> {
    let filter = Filter {
        customer: Some(customer.as_str()),
        supplier: None,
        order_no: Some(order_no),
        status: None,
        limit: 1,
        offset: 0,
    };
    Ok(list(pool, &filter).await?.0.into_iter().next())
}

/// One row of 订单日志.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LogRow {
    pub from_status: Option<String>,
    pub to_status: String,
    pub event: String,
    pub actor: String,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// An order's log, oldest first, and its address id (for the supplier's shipping view); `None`
/// when the order is not the supplier's.
pub async fn supplier_detail(
    pool: &PgPool,
    supplier: Uuid,
    order_no: &str,
) -> Result<Option<(OrderView, Vec<LogRow>, Uuid)>, sqlx::Error> {
    let Some(row) = sqlx::query!(
        "SELECT id, address_id FROM mall_orders WHERE order_no = $1 AND supplier_id = $2",
        order_no,
        supplier
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let Some(view) = view_by_id(pool, row.id).await? else {
        return Ok(None);
    };
    let log = sqlx::query_as!(
        LogRow,
        "SELECT from_status, to_status, event, actor, reason, at FROM mall_order_logs
          WHERE order_id = $1 ORDER BY id",
        row.id
    )
    .fetch_all(pool)
    .await?;
    Ok(Some((view, log, row.address_id)))
}

/// The conservation check of orders (`quanyi audit orders`): each order's points, money, stock
/// and coupon agree with its state. Answers how many orders were checked and what is wrong.
pub async fn audit(pool: &PgPool) -> Result<(i64, Vec<String>), sqlx::Error> {
    let checked = sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM mall_orders"#)
        .fetch_one(pool)
        .await?;
    let rows = sqlx::query!(
        r#"WITH o AS (
               SELECT o.id, o.order_no, o.status, o.points, o.cash_fen, o.points_hold_id,
                      o.coupon_id,
                      (SELECT coalesce(sum(l.quantity), 0) FROM mall_order_lines l
                        WHERE l.order_id = o.id)::bigint AS units,
                      (SELECT coalesce(sum(-m.quantity), 0) FROM mall_stock_movements m
                        WHERE m.order_id = o.id AND m.kind = 'order')::bigint AS taken,
                      (SELECT coalesce(sum(m.quantity), 0) FROM mall_stock_movements m
                        WHERE m.order_id = o.id AND m.kind = 'release')::bigint AS released,
                      (SELECT t.amount FROM ledger_transfers t
                        WHERE t.id = o.points_hold_id AND t.kind = 'pending') AS held,
                      (SELECT t.amount FROM ledger_transfers t
                        WHERE t.pending_id = o.points_hold_id AND t.kind = 'post') AS captured,
                      (SELECT count(*) FROM ledger_transfers t
                        WHERE t.pending_id = o.points_hold_id AND t.kind IN ('void', 'expire')) AS voided,
                      (SELECT t.amount FROM ledger_transfers t
                        WHERE t.request_key = 'mall:order:' || o.id || ':cash') AS cash_posted,
                      (SELECT p.amount_fen FROM qpay_payments p
                        WHERE p.order_id = o.id AND p.status = 'paid') AS cash_paid,
                      (SELECT count(*) FROM mall_coupon_locks k
                        WHERE k.order_id = o.id AND k.released_at IS NULL) AS coupon_locked
                 FROM mall_orders o)
           SELECT order_no AS "order_no!", status AS "status!", points AS "points!",
                  cash_fen AS "cash_fen!", points_hold_id, coupon_id,
                  units AS "units!", taken AS "taken!", released AS "released!", held, captured,
                  voided AS "voided!", cash_posted, cash_paid, coupon_locked AS "coupon_locked!"
             FROM o"#
    )
    .fetch_all(pool)
    .await?;
    let mut problems = Vec::new();
    for r in rows {
        let live = matches!(
            r.status.as_str(),
            "pending_payment" | "paid" | "shipped" | "completed"
        );
        let settled = matches!(r.status.as_str(), "paid" | "shipped" | "completed");
        let mut wrong = Vec::new();
        if r.taken != r.units {
            wrong.push(format!("took {} units for {} ordered", r.taken, r.units));
        }
        if live && r.released != 0 {
            wrong.push(format!("released {} units of a live order", r.released));
        }
        if !live && r.released != r.taken {
            wrong.push(format!("released {} of {} units", r.released, r.taken));
        }
        if r.points > 0 {
            if r.held != Some(r.points) {
                wrong.push(format!("held {:?} points for {}", r.held, r.points));
            }
            if settled && r.captured != Some(r.points) {
                wrong.push(format!("captured {:?} of {} points", r.captured, r.points));
            }
            if !settled && r.captured.is_some() {
                wrong.push("points captured for an unpaid order".into());
            }
            if !live && r.voided != 1 {
                wrong.push("points of an ended order not given back".into());
            }
        }
        if settled && r.cash_fen > 0 {
            if r.cash_paid != Some(r.cash_fen) {
                wrong.push(format!(
                    "Q-pay paid {:?} of {} fen",
                    r.cash_paid, r.cash_fen
                ));
            }
            if r.cash_posted != Some(r.cash_fen) {
                wrong.push(format!(
                    "ledger has {:?} of {} fen",
                    r.cash_posted, r.cash_fen
                ));
            }
        }
        if !settled && (r.cash_posted.is_some() || r.cash_paid.is_some()) {
            wrong.push("money taken for an unpaid order".into());
        }
        let coupon_should_lock = r.coupon_id.is_some() && live;
        if coupon_should_lock != (r.coupon_locked == 1) {
            wrong.push(format!(
                "coupon lock {} for a {} order",
                r.coupon_locked, r.status
            ));
        }
        if !wrong.is_empty() {
            problems.push(format!("order {}: {}", r.order_no, wrong.join("; ")));
        }
    }
    Ok((checked, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers_carry_the_beijing_date() {
        let late = DateTime::parse_from_rfc3339("2026-12-10T16:30:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(order_no(late, 42), "DD202612110000000042");
    }
}
