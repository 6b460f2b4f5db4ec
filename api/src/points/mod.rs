//! 积分 for staff (BEN-5, BEN-7), on the ledger: give a customer points from an org's funding
//! account, hold points for a spend then capture or void the hold, reverse an earning or a
//! capture, read a balance and a history. Every change is idempotent by the caller's
//! `request_id`; the same operations serve the ESB (`points.*`, docs/esb.md) under the consumer's
//! serial number.

use crate::AppState;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{Json, Paging, Path, ValidParts, parsed};
use crate::identity::auth::actor;
use crate::identity::permission::{self as perm, Authorized};
use axum::extract::{ConnectInfo, State};
use chrono::{DateTime, Duration, Utc};
use quanyi_activities::audit::Entry;
use quanyi_activities::identity::User;
use quanyi_activities::ledger::{self, Balance, Refusal, Transfer};
use quanyi_activities::pii::{self, Kind};
use quanyi_activities::points::{self, Call};
use quanyi_workflows::domain::CustomerNo;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use uuid::Uuid;
use validator::{Validate, ValidationError};

pub mod exchange;
pub mod reports;
pub mod rules;
pub mod tiers;

/// The edge's code for each ledger refusal.
pub fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::KeyReused => ErrorCode::LedgerKeyReused,
        Refusal::InvalidKey => ErrorCode::InvalidRequestId,
        Refusal::InvalidAmount => ErrorCode::InvalidPoints,
        Refusal::InvalidTimeout => ErrorCode::InvalidHoldTimeout,
        Refusal::SameAccount => ErrorCode::SameLedgerAccount,
        Refusal::UnknownAccount => ErrorCode::UnknownLedgerAccount,
        Refusal::UnitMismatch => ErrorCode::LedgerUnitMismatch,
        Refusal::InsufficientBalance => ErrorCode::InsufficientPoints,
        Refusal::UnknownPending => ErrorCode::UnknownHold,
        Refusal::PendingResolved => ErrorCode::HoldResolved,
        Refusal::PendingExpired => ErrorCode::HoldExpired,
        Refusal::ExceedsPending => ErrorCode::ExceedsHold,
        Refusal::UnknownTransfer => ErrorCode::UnknownLedgerTransfer,
        Refusal::NotReversible => ErrorCode::NotReversible,
        Refusal::AlreadyReversed => ErrorCode::AlreadyReversed,
        Refusal::NothingToReverse => ErrorCode::NothingToReverse,
    }
    .into()
}

fn request_id(id: &str) -> Result<(), ValidationError> {
    let ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ValidationError::new("request_id"))
    }
}

fn customer_no(no: &str) -> Result<(), ValidationError> {
    CustomerNo::parse(no)
        .map(drop)
        .map_err(|_| ValidationError::new("customer_no"))
}

/// The caller's idempotency key of a staff change: a repeat with the same id and body gets the
/// first answer; the same id with another body is refused with `QY-LED-0001`.
#[derive(Deserialize, Validate, utoipa::ToSchema)]
pub struct RequestId {
    /// 1–64 letters, digits or `_.:-`, unique per operation (a UUID does).
    #[schema(example = "b9c1f1de-3c1e-4d59-9d0e-3a0b5c9d2f10")]
    #[validate(custom(function = "request_id", code = "QY-LED-0014"))]
    pub request_id: String,
}

/// The documented shapes of the staff requests: the `request_id` beside the operation's fields
/// (the handlers read the two parts apart, so each field at fault is named once).
macro_rules! keyed {
    ($($name:ident = $body:ty;)*) => {$(
        #[derive(Deserialize, utoipa::ToSchema)]
        #[allow(dead_code)]
        pub struct $name {
            #[serde(flatten)]
            pub id: RequestId,
            #[serde(flatten)]
            pub body: $body,
        }
    )*};
}

keyed! {
    EarnRequest = EarnBody;
    HoldRequest = HoldBody;
    CaptureRequest = CaptureBody;
    MemoRequest = MemoBody;
}

/// An earning: `points` to a customer, borne by an org's funding account.
#[derive(Debug, Serialize, Deserialize, Validate, utoipa::ToSchema)]
pub struct EarnBody {
    /// 6–32 letters or digits.
    #[schema(example = "C10000001")]
    #[validate(custom(function = "customer_no", code = "QY-CAMP-0010"))]
    pub customer_no: String,
    /// The org whose funding account gives the points; in the caller's data scope.
    pub org_id: Uuid,
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-LED-0009"))]
    pub points: i64,
    /// At most 200 characters, e.g. the card transaction it rewards.
    #[serde(default)]
    #[schema(max_length = 200)]
    #[validate(length(max = 200, code = "QY-LED-0017"))]
    pub memo: String,
}

/// A hold on a customer's points for a spend (the mall's order).
#[derive(Debug, Serialize, Deserialize, Validate, utoipa::ToSchema)]
pub struct HoldBody {
    #[schema(example = "C10000001")]
    #[validate(custom(function = "customer_no", code = "QY-CAMP-0010"))]
    pub customer_no: String,
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-LED-0009"))]
    pub points: i64,
    /// How long the hold lasts unless captured or voided: 1 s – 30 days; then it is voided by
    /// itself (an `expire` transfer).
    #[schema(minimum = 1, maximum = 2_592_000)]
    #[validate(range(min = 1, max = 2_592_000, code = "QY-LED-0015"))]
    pub timeout_seconds: i64,
    #[serde(default)]
    #[schema(max_length = 200)]
    #[validate(length(max = 200, code = "QY-LED-0017"))]
    pub memo: String,
}

/// Captures a hold: all of it, or `points` of it (the rest goes back).
#[derive(Debug, Serialize, Deserialize, Validate, utoipa::ToSchema)]
pub struct CaptureBody {
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    #[validate(range(min = 1, max = 1_000_000_000_000_i64, code = "QY-LED-0009"))]
    pub points: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 200)]
    #[validate(length(max = 200, code = "QY-LED-0017"))]
    pub memo: String,
}

/// A void of a hold, or a reversal of a transaction: a memo says why.
#[derive(Debug, Serialize, Deserialize, Validate, utoipa::ToSchema)]
pub struct MemoBody {
    #[serde(default)]
    #[schema(max_length = 200)]
    #[validate(length(max = 200, code = "QY-LED-0017"))]
    pub memo: String,
}

/// A points transaction as staff and the ESB see it (the customer number masked).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct PointsTransfer {
    pub transfer_id: Uuid,
    /// `single` (posted at once), `pending` (a hold), `post` (a capture), `void`, `expire`.
    pub kind: String,
    /// `earn`, `hold`, `capture`, `void`, `expire` or `reverse`.
    pub code: String,
    /// The customer's, masked (`C1***0001`).
    pub customer_no: Option<String>,
    /// The funding org, for an earning and its reversal.
    pub org_id: Option<Uuid>,
    pub points: i64,
    /// `in` to the customer, `out` of the customer; a hold's is `out` (reserved), its void's or
    /// expiry's `in` (released).
    pub direction: String,
    /// The hold a capture, void or expiry resolves.
    pub hold_id: Option<Uuid>,
    /// The transaction a reversal corrects.
    pub reverses: Option<Uuid>,
    /// A reversal of an earning: the earning's points it could not take back, spent or expired
    /// already (a reversal takes back what the earning's lot still holds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_reversed: Option<i64>,
    /// A hold's end unless captured or voided.
    pub expires_at: Option<DateTime<Utc>>,
    pub memo: String,
    pub created_at: DateTime<Utc>,
}

impl PointsTransfer {
    pub fn of(t: &Transfer) -> Self {
        let from_customer = points::customer_of(&t.debit_account);
        let to_customer = points::customer_of(&t.credit_account);
        // a void or an expiry gives back what its hold took from the customer
        let releases = matches!(t.kind.as_str(), "void" | "expire");
        let customer = from_customer.or(to_customer);
        let inward = to_customer.is_some() != releases;
        PointsTransfer {
            transfer_id: t.id,
            kind: t.kind.clone(),
            code: t.code.clone(),
            customer_no: customer.map(|c| pii::mask(Kind::CustomerNo, c)),
            org_id: points::org_of(&t.debit_account).or(points::org_of(&t.credit_account)),
            points: t.amount,
            direction: if inward { "in" } else { "out" }.into(),
            hold_id: t.pending_id,
            reverses: t.corrects_id,
            not_reversed: None,
            expires_at: t.expires_at,
            memo: t.memo.clone(),
            created_at: t.created_at,
        }
    }
}

/// Who calls: the staff user (with the audit row of the change) or the ESB consumer acting as
/// one (the ESB message log and the ledger request are the record).
pub struct Caller {
    /// The ledger's idempotency key.
    pub key: String,
    /// `planner`, or `planner@esb:gmp`.
    pub actor: String,
    pub audit: Option<Entry>,
}

fn call<'a>(
    state: &AppState,
    caller: &'a Caller,
    body: &'a [u8],
    action: &'static str,
) -> Call<'a> {
    Call {
        key: &caller.key,
        body,
        actor: &caller.actor,
        now: state.clock.now(),
        audit: caller.audit.clone().map(|e| Entry {
            action,
            target: Some(caller.key.clone()),
            ..e
        }),
    }
}

/// The canonical bytes of an operation: its name and body (and the transfer it names).
fn canonical(op: &str, subject: Option<Uuid>, body: &impl Serialize) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "op": op, "subject": subject, "body": body }))
        .expect("a body serializes")
}

fn one(outcome: ledger::Outcome) -> Result<PointsTransfer, ApiError> {
    match outcome {
        Ok(transfers) => transfers
            .first()
            .map(PointsTransfer::of)
            .ok_or_else(|| ErrorCode::Internal.into()),
        Err(refused) => Err(refusal(refused.reason)),
    }
}

pub async fn earn_for(
    state: &AppState,
    user: &User,
    caller: &Caller,
    body: &EarnBody,
) -> Result<PointsTransfer, ApiError> {
    let customer: CustomerNo = parsed(
        "customer_no",
        body.customer_no.as_str(),
        ErrorCode::InvalidCustomerNo,
    )?;
    if !crate::campaign::org_in_scope(state, user, body.org_id).await? {
        return Err(ErrorCode::UnknownFundingOrg.into());
    }
    let bytes = canonical("earn", None, body);
    let outcome = points::earn(
        &state.pool,
        call(state, caller, &bytes, "points.transfer.earn"),
        &customer,
        body.org_id,
        body.points,
        body.memo.trim().to_owned(),
    )
    .await?;
    let earned = one(outcome)?;
    // the tier after the earning (up only); the nightly evaluation repairs a failure here
    if let Err(e) = points::tiers::after_earning(&state.pool, &customer, state.clock.now()).await {
        tracing::warn!(error = %e, "cannot evaluate the tier after an earning");
    }
    Ok(earned)
}

pub async fn hold_for(
    state: &AppState,
    caller: &Caller,
    body: &HoldBody,
) -> Result<PointsTransfer, ApiError> {
    let customer: CustomerNo = parsed(
        "customer_no",
        body.customer_no.as_str(),
        ErrorCode::InvalidCustomerNo,
    )?;
    let bytes = canonical("hold", None, body);
    let outcome = points::hold(
        &state.pool,
        call(state, caller, &bytes, "points.transfer.hold"),
        &customer,
        body.points,
        Duration::seconds(body.timeout_seconds),
        body.memo.trim().to_owned(),
    )
    .await?;
    one(outcome)
}

pub async fn capture_for(
    state: &AppState,
    caller: &Caller,
    hold: Uuid,
    body: &CaptureBody,
) -> Result<PointsTransfer, ApiError> {
    let bytes = canonical("capture", Some(hold), body);
    let outcome = points::capture(
        &state.pool,
        call(state, caller, &bytes, "points.transfer.capture"),
        hold,
        body.points,
        body.memo.trim().to_owned(),
    )
    .await?;
    one(outcome)
}

pub async fn void_for(
    state: &AppState,
    caller: &Caller,
    hold: Uuid,
    body: &MemoBody,
) -> Result<PointsTransfer, ApiError> {
    let bytes = canonical("void", Some(hold), body);
    let outcome = points::void(
        &state.pool,
        call(state, caller, &bytes, "points.transfer.void"),
        hold,
        body.memo.trim().to_owned(),
    )
    .await?;
    one(outcome)
}

pub async fn reverse_for(
    state: &AppState,
    caller: &Caller,
    transfer: Uuid,
    body: &MemoBody,
) -> Result<PointsTransfer, ApiError> {
    let bytes = canonical("reverse", Some(transfer), body);
    let outcome = points::reverse(
        &state.pool,
        call(state, caller, &bytes, "points.transfer.reverse"),
        transfer,
        body.memo.trim().to_owned(),
    )
    .await?;
    let mut reversal = one(outcome)?;
    if let Some(original) = ledger::transfer(&state.pool, transfer).await?
        && original.amount > reversal.points
    {
        reversal.not_reversed = Some(original.amount - reversal.points);
    }
    Ok(reversal)
}

/// A customer's balance.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PointsBalance {
    /// Masked.
    pub customer_no: String,
    #[serde(flatten)]
    pub balance: Balance,
}

pub async fn balance_of(
    state: &AppState,
    customer: &CustomerNo,
) -> Result<PointsBalance, ApiError> {
    Ok(PointsBalance {
        customer_no: pii::mask(Kind::CustomerNo, customer.as_str()),
        balance: points::balance(&state.pool, customer).await?,
    })
}

/// A page of a customer's points movements, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PointsHistory {
    pub items: Vec<PointsTransfer>,
    pub total: i64,
}

pub async fn history_of(
    state: &AppState,
    customer: &CustomerNo,
    limit: i64,
    offset: i64,
) -> Result<PointsHistory, ApiError> {
    let (items, total) = points::history(&state.pool, customer, limit, offset).await?;
    Ok(PointsHistory {
        items: items.iter().map(PointsTransfer::of).collect(),
        total,
    })
}

fn staff(user: &User, peer: SocketAddr, request_id: &str) -> Caller {
    Caller {
        key: format!("staff:{request_id}"),
        actor: user.username.clone(),
        audit: Some(actor(user, peer)),
    }
}

/// A customer number in a path: one that does not parse is refused as the field would be.
fn customer_in_path(no: &str) -> Result<CustomerNo, ApiError> {
    CustomerNo::parse(no).map_err(|_| ErrorCode::InvalidCustomerNo.into())
}

/// Gives a customer points from an org's funding account (the account is created on first use).
#[utoipa::path(post, path = "/api/v1/points/earnings", tag = "points",
    request_body = EarnRequest,
    responses(
        (status = 200, body = PointsTransfer, description = "the earning; a repeat of the request id gets the first answer"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-LED-0001 the request id was used with another body"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-LED-0009, 0014, 0016, 0017, QY-CAMP-0010"),
    ))]
pub async fn earn(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsEarn>,
    ValidParts(id, body): ValidParts<RequestId, EarnBody>,
) -> Result<Json<PointsTransfer>, ApiError> {
    let caller = staff(&user, peer, &id.request_id);
    Ok(Json(earn_for(&state, &user, &caller, &body).await?))
}

/// Holds a customer's points for a spend; captured or voided later, or voided by itself after
/// `timeout_seconds`.
#[utoipa::path(post, path = "/api/v1/points/holds", tag = "points",
    request_body = HoldRequest,
    responses(
        (status = 200, body = PointsTransfer, description = "the hold (kind `pending`)"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-LED-0002 not enough available points; QY-LED-0001"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-LED-0009, 0014, 0015, 0017, QY-CAMP-0010"),
    ))]
pub async fn hold(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsSpend>,
    ValidParts(id, body): ValidParts<RequestId, HoldBody>,
) -> Result<Json<PointsTransfer>, ApiError> {
    let caller = staff(&user, peer, &id.request_id);
    Ok(Json(hold_for(&state, &caller, &body).await?))
}

/// Captures a hold (spends the points), all of it or part.
#[utoipa::path(post, path = "/api/v1/points/holds/{id}/capture", tag = "points",
    params(("id" = Uuid, Path, description = "the hold's transfer id")),
    request_body = CaptureRequest,
    responses(
        (status = 200, body = PointsTransfer, description = "the capture (kind `post`)"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-LED-0005 no such hold"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-LED-0006 resolved already, 0007 timed out, 0001"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-LED-0008 more than held, 0009, 0014, 0017"),
    ))]
pub async fn capture(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsSpend>,
    Path(hold): Path<Uuid>,
    ValidParts(id, body): ValidParts<RequestId, CaptureBody>,
) -> Result<Json<PointsTransfer>, ApiError> {
    let caller = staff(&user, peer, &id.request_id);
    Ok(Json(capture_for(&state, &caller, hold, &body).await?))
}

/// Voids a hold: the points go back to the customer.
#[utoipa::path(post, path = "/api/v1/points/holds/{id}/void", tag = "points",
    params(("id" = Uuid, Path, description = "the hold's transfer id")),
    request_body = MemoRequest,
    responses(
        (status = 200, body = PointsTransfer, description = "the void"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-LED-0005 no such hold"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-LED-0006 resolved already, 0001"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-LED-0014, 0017"),
    ))]
pub async fn void(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsSpend>,
    Path(hold): Path<Uuid>,
    ValidParts(id, body): ValidParts<RequestId, MemoBody>,
) -> Result<Json<PointsTransfer>, ApiError> {
    let caller = staff(&user, peer, &id.request_id);
    Ok(Json(void_for(&state, &caller, hold, &body).await?))
}

/// Reverses an earning or a capture, once: a new transaction naming it (nothing is edited).
#[utoipa::path(post, path = "/api/v1/points/transfers/{id}/reversal", tag = "points",
    operation_id = "reverse_points_transfer",
    params(("id" = Uuid, Path, description = "the earning's or capture's transfer id")),
    request_body = MemoRequest,
    responses(
        (status = 200, body = PointsTransfer, description = "the reversal (code `reverse`)"),
        (status = 404, body = crate::error::ErrorBody, description = "QY-LED-0011 no such transaction"),
        (status = 409, body = crate::error::ErrorBody, description = "QY-LED-0002 the customer spent the points already (a capture), 0018 nothing left of an earning, 0012 not reversible, 0013 reversed already, 0001"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-LED-0014, 0017"),
    ))]
pub async fn reverse(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Authorized(user, _): Authorized<perm::PointsReverse>,
    Path(transfer): Path<Uuid>,
    ValidParts(id, body): ValidParts<RequestId, MemoBody>,
) -> Result<Json<PointsTransfer>, ApiError> {
    let caller = staff(&user, peer, &id.request_id);
    Ok(Json(reverse_for(&state, &caller, transfer, &body).await?))
}

/// A customer's points: posted, held and available.
#[utoipa::path(get, path = "/api/v1/points/accounts/{customer_no}", tag = "points",
    params(("customer_no" = String, Path)),
    responses(
        (status = 200, body = PointsBalance, description = "zero before the first earning"),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0010"),
    ))]
pub async fn balance(
    State(state): State<AppState>,
    _: Authorized<perm::PointsView>,
    Path(no): Path<String>,
) -> Result<Json<PointsBalance>, ApiError> {
    let customer = customer_in_path(&no)?;
    Ok(Json(balance_of(&state, &customer).await?))
}

/// A customer's points movements, newest first.
#[utoipa::path(get, path = "/api/v1/points/accounts/{customer_no}/history", tag = "points",
    params(("customer_no" = String, Path), Paging),
    responses(
        (status = 200, body = PointsHistory),
        (status = 422, body = crate::error::ErrorBody, description = "QY-CAMP-0010"),
    ))]
pub async fn history(
    State(state): State<AppState>,
    _: Authorized<perm::PointsView>,
    Path(no): Path<String>,
    paging: Paging,
) -> Result<Json<PointsHistory>, ApiError> {
    let customer = customer_in_path(&no)?;
    Ok(Json(
        history_of(&state, &customer, paging.limit(), paging.offset()).await?,
    ))
}

/// Voids the holds whose time is up, every second, in batches of 500 until none is due. Any
/// number of API instances may run it: a hold expires once.
pub async fn sweep_holds(state: AppState) {
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        loop {
            match ledger::expire_due(&state.pool, state.clock.now(), 500).await {
                Ok(500) => continue,
                Ok(0) => break,
                Ok(expired) => {
                    tracing::info!(expired, "holds expired");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot expire holds");
                    break;
                }
            }
        }
    }
}
