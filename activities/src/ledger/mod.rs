//! The double-entry ledger (issue 17, docs/ledger.md): accounts with a unit and a normal side,
//! balanced transfers grouped into idempotent requests, holds that are posted, voided or expire.
//!
//! Taken from TigerBeetle: an account keeps four running sums (debits/credits, posted/pending),
//! the flag that the balance on its normal side may not go below zero (`debits_must_not_exceed_
//! credits` for a credit-normal account), two-phase transfers (a pending transfer posted in full
//! or in part, voided, or timed out, each resolving it once), linked transfers that succeed or
//! fail together, and immutable transfers corrected by new ones. From Formance: the caller's
//! idempotency key, the same key with another body refused, and a revert that names the
//! transaction it reverts. From Blnk: a hold's `expires_at`, swept in batches.
//!
//! All of it in PostgreSQL, one transaction per request: the key is reserved first (a concurrent
//! twin waits for the first and gets its answer), each transfer moves its two accounts by a
//! conditional `UPDATE` that refuses in the same statement when a no-negative account would go
//! below zero, then the transfer, its postings and its hold are written in one statement.

pub mod audit;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The namespace of account ids: an account's id is the UUID v5 of its code.
const ACCOUNT_NAMESPACE: Uuid = Uuid::from_u128(0x2b1f_6a9e_4c57_4d0b_8e3a_91c4_5f7d_0a62);

/// The largest amount of one transfer (10^12 points, or fen).
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// The longest a hold may stay open.
pub const MAX_TIMEOUT: Duration = Duration::days(30);

/// The id of the account named `code`.
pub fn account_id(code: &str) -> Uuid {
    Uuid::new_v5(&ACCOUNT_NAMESPACE, code.as_bytes())
}

/// What an account counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Points,
    CnyFen,
}

impl Unit {
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Points => "points",
            Unit::CnyFen => "cny_fen",
        }
    }
}

/// The side an account's balance grows on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Debit,
    Credit,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Debit => "debit",
            Side::Credit => "credit",
        }
    }
}

/// An account to create unless it exists (accounts are created on first use).
#[derive(Debug, Clone)]
pub struct NewAccount {
    pub code: String,
    pub unit: Unit,
    pub normal_side: Side,
    pub no_negative: bool,
    pub kind: &'static str,
    pub customer_no: Option<String>,
    pub org_id: Option<Uuid>,
}

impl NewAccount {
    pub fn id(&self) -> Uuid {
        account_id(&self.code)
    }
}

/// One transfer of a request.
#[derive(Debug, Clone)]
pub enum Spec {
    /// Posted at once.
    Single {
        debit: Uuid,
        credit: Uuid,
        amount: i64,
        code: &'static str,
        memo: String,
    },
    /// A hold: reserves `amount` until it is posted or voided, or `timeout` passes.
    Pending {
        debit: Uuid,
        credit: Uuid,
        amount: i64,
        timeout: Duration,
        code: &'static str,
        memo: String,
    },
    /// Posts an open hold of `unit`, all of it or `amount` (the rest is released).
    Post {
        pending: Uuid,
        unit: Unit,
        amount: Option<i64>,
        code: &'static str,
        memo: String,
    },
    /// Releases an open hold of `unit`.
    Void {
        pending: Uuid,
        unit: Unit,
        code: &'static str,
        memo: String,
    },
    /// Corrects a posted transfer of `unit` by its mirror image, once: all of it, or `amount`
    /// of it (a points earning is taken back only as far as its lot still holds it).
    Reverse {
        transfer: Uuid,
        unit: Unit,
        amount: Option<i64>,
        code: &'static str,
        memo: String,
    },
}

/// What the caller asks for: one or more linked transfers under one idempotency key.
pub struct Request<'a> {
    /// The caller's idempotency key (`^[A-Za-z0-9_.:@-]{1,128}$`).
    pub key: &'a str,
    /// What identifies the request besides its key (the operation and its body): the same key
    /// with other bytes is refused with [`Refusal::KeyReused`].
    pub body: &'a [u8],
    /// Who asks, as the request row records it.
    pub actor: &'a str,
    /// Accounts created unless they exist, before the transfers.
    pub accounts: Vec<NewAccount>,
    pub transfers: Vec<Spec>,
}

/// A written transfer, as every answer shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: Uuid,
    /// `single`, `pending`, `post`, `void` or `expire`.
    pub kind: String,
    pub code: String,
    pub debit_account: String,
    pub credit_account: String,
    pub amount: i64,
    pub unit: String,
    pub pending_id: Option<Uuid>,
    pub corrects_id: Option<Uuid>,
    pub expires_at: Option<DateTime<Utc>>,
    pub memo: String,
    pub created_at: DateTime<Utc>,
}

/// Why a request wrote nothing; each has its own code at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The idempotency key was used before with another body.
    KeyReused,
    InvalidKey,
    InvalidAmount,
    InvalidTimeout,
    SameAccount,
    UnknownAccount,
    UnitMismatch,
    /// An account that may not go below zero would have.
    InsufficientBalance,
    /// No such hold (of this unit).
    UnknownPending,
    /// The hold was posted, voided or expired already.
    PendingResolved,
    /// The hold's time is up: it can only expire (or be voided).
    PendingExpired,
    /// More posted than the hold reserved.
    ExceedsPending,
    UnknownTransfer,
    /// Only a posted transfer (single or post) can be reversed.
    NotReversible,
    AlreadyReversed,
    /// A partial reversal of nothing: what it would take back is gone (spent or expired).
    NothingToReverse,
}

const REFUSALS: &[(Refusal, &str)] = &[
    (Refusal::KeyReused, "key_reused"),
    (Refusal::InvalidKey, "invalid_key"),
    (Refusal::InvalidAmount, "invalid_amount"),
    (Refusal::InvalidTimeout, "invalid_timeout"),
    (Refusal::SameAccount, "same_account"),
    (Refusal::UnknownAccount, "unknown_account"),
    (Refusal::UnitMismatch, "unit_mismatch"),
    (Refusal::InsufficientBalance, "insufficient_balance"),
    (Refusal::UnknownPending, "unknown_pending"),
    (Refusal::PendingResolved, "pending_resolved"),
    (Refusal::PendingExpired, "pending_expired"),
    (Refusal::ExceedsPending, "exceeds_pending"),
    (Refusal::UnknownTransfer, "unknown_transfer"),
    (Refusal::NotReversible, "not_reversible"),
    (Refusal::AlreadyReversed, "already_reversed"),
    (Refusal::NothingToReverse, "nothing_to_reverse"),
];

impl Refusal {
    pub fn as_str(self) -> &'static str {
        REFUSALS
            .iter()
            .find(|(r, _)| *r == self)
            .map_or("unknown", |(_, s)| s)
    }

    fn parse(text: &str) -> Option<Refusal> {
        REFUSALS.iter().find(|(_, s)| *s == text).map(|(r, _)| *r)
    }
}

/// A refusal and the transfer of the request it is about (0 for the request itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refused {
    pub reason: Refusal,
    pub position: usize,
}

impl Refused {
    fn at(reason: Refusal, position: usize) -> Self {
        Refused { reason, position }
    }

    fn stored(&self) -> String {
        format!("{}@{}", self.reason.as_str(), self.position)
    }

    fn from_stored(text: &str) -> Refused {
        let (reason, position) = text.split_once('@').unwrap_or((text, "0"));
        Refused {
            reason: Refusal::parse(reason).unwrap_or(Refusal::KeyReused),
            position: position.parse().unwrap_or(0),
        }
    }
}

pub type Outcome = Result<Vec<Transfer>, Refused>;

fn key_ok(key: &str) -> bool {
    (1..=128).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.:@-".contains(&b))
}

/// Carries out `request` once: the first time its transfers are written (or it is refused), and
/// every later call with the same key and body gets that first answer, even a concurrent one.
/// `audit` is appended in the same transaction, with the answer, when given.
///
/// A refusal rolls the whole transaction back, reservation and all, and is then recorded in a
/// transaction of its own; a twin that waited on the reservation meanwhile carries the request
/// out itself, and whichever answer is recorded first is the answer for both.
#[tracing::instrument(skip_all, fields(key = request.key))]
pub async fn execute(
    pool: &PgPool,
    request: &Request<'_>,
    now: DateTime<Utc>,
    audit: Option<crate::audit::Entry>,
) -> Result<Outcome, sqlx::Error> {
    if !key_ok(request.key) {
        return Ok(Err(Refused::at(Refusal::InvalidKey, 0)));
    }
    // PostgreSQL keeps microseconds: the first answer and its repeats must read alike
    let now = now.trunc_subsecs(6);
    let hash = Sha256::digest(request.body).to_vec();
    let mut tx = pool.begin().await?;
    let reserved = sqlx::query_scalar!(
        "INSERT INTO ledger_requests (key, body_hash, actor, at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING 1 AS one",
        request.key,
        hash,
        request.actor,
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if reserved.is_none() {
        tx.rollback().await?;
        return first_answer(pool, request.key, &hash).await;
    }
    let refused = match apply(&mut tx, request, now, audit.clone()).await {
        Ok(Ok(transfers)) => {
            tx.commit().await?;
            return Ok(Ok(transfers));
        }
        Ok(Err(refused)) => refused,
        Err(e) => match refusal_of(&e) {
            Some(reason) => Refused::at(reason, 0),
            None => return Err(e),
        },
    };
    tx.rollback().await?;
    let mut tx = pool.begin().await?;
    let recorded = sqlx::query_scalar!(
        "INSERT INTO ledger_requests (key, body_hash, actor, refusal, at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT DO NOTHING RETURNING 1 AS one",
        request.key,
        hash,
        request.actor,
        refused.stored(),
        now
    )
    .fetch_optional(&mut *tx)
    .await?;
    if recorded.is_none() {
        // a twin answered first
        tx.rollback().await?;
        return first_answer(pool, request.key, &hash).await;
    }
    if let Some(entry) = audit {
        crate::audit::append(&mut tx, now, audited(entry, request.key, &Err(refused))).await?;
    }
    tx.commit().await?;
    Ok(Err(refused))
}

/// Carries out `request` inside the caller's transaction, for a caller that keeps its own
/// idempotency (a core transaction id, reserved before this): the key is taken — one taken before
/// is refused with [`Refusal::KeyReused`] — and the transfers written. A refusal leaves writes
/// behind it in the transaction: the caller rolls back.
pub(crate) async fn execute_within(
    conn: &mut PgConnection,
    request: &Request<'_>,
    now: DateTime<Utc>,
) -> Result<Outcome, sqlx::Error> {
    if !key_ok(request.key) {
        return Ok(Err(Refused::at(Refusal::InvalidKey, 0)));
    }
    let now = now.trunc_subsecs(6);
    let hash = Sha256::digest(request.body).to_vec();
    let reserved = sqlx::query_scalar!(
        "INSERT INTO ledger_requests (key, body_hash, actor, at) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING RETURNING 1 AS one",
        request.key,
        hash,
        request.actor,
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    if reserved.is_none() {
        return Ok(Err(Refused::at(Refusal::KeyReused, 0)));
    }
    match apply(conn, request, now, None).await {
        Err(e) => match refusal_of(&e) {
            Some(reason) => Ok(Err(Refused::at(reason, 0))),
            None => Err(e),
        },
        done => done,
    }
}

/// The refusal a database error stands for: a second resolution of a hold or a second reversal
/// (the unique indexes), a transfer naming an account that does not exist.
fn refusal_of(e: &sqlx::Error) -> Option<Refusal> {
    let sqlx::Error::Database(d) = e else {
        return None;
    };
    match d.constraint() {
        Some("ledger_transfers_resolves_once") => Some(Refusal::PendingResolved),
        Some("ledger_transfers_corrected_once") => Some(Refusal::AlreadyReversed),
        _ => None,
    }
}

/// The audit row of a request: the answer, or the refusal, as it was given.
fn audited(mut entry: crate::audit::Entry, key: &str, outcome: &Outcome) -> crate::audit::Entry {
    entry.refused = outcome.is_err();
    entry.after = Some(match outcome {
        Ok(transfers) => serde_json::json!({
            "key": key,
            "transfers": transfers.iter().map(|t| serde_json::json!({
                "id": t.id, "kind": t.kind, "code": t.code, "amount": t.amount, "unit": t.unit,
                "pending_id": t.pending_id, "corrects_id": t.corrects_id,
            })).collect::<Vec<_>>(),
        }),
        Err(refused) => serde_json::json!({ "key": key, "refusal": refused.stored() }),
    });
    entry
}

/// The answer the first request with `key` got, or a refusal when `hash` differs from its body's.
async fn first_answer(pool: &PgPool, key: &str, hash: &[u8]) -> Result<Outcome, sqlx::Error> {
    let first = sqlx::query!(
        "SELECT body_hash, answer, refusal FROM ledger_requests WHERE key = $1",
        key
    )
    .fetch_one(pool)
    .await?;
    if first.body_hash != hash {
        return Ok(Err(Refused::at(Refusal::KeyReused, 0)));
    }
    if let Some(refusal) = first.refusal {
        return Ok(Err(Refused::from_stored(&refusal)));
    }
    let answer = first.answer.unwrap_or_default();
    Ok(Ok(serde_json::from_value(answer).map_err(|e| {
        sqlx::Error::Decode(format!("a stored ledger answer: {e}").into())
    })?))
}

/// A transfer ready to be written.
struct Planned {
    kind: &'static str,
    debit: Uuid,
    credit: Uuid,
    amount: i64,
    /// For a resolution: the hold and the amount it reserved.
    pending: Option<(Uuid, i64)>,
    corrects: Option<Uuid>,
    expires_at: Option<DateTime<Utc>>,
    code: &'static str,
    memo: String,
}

/// The request's transfers, in the request's transaction: each planned and written, then the
/// answer recorded (and the audit row), then the balances moved, transfer by transfer — last, so
/// that a hot account (an org's funding account) stays locked only from its update to the
/// commit. A refusal anywhere rolls all of it back.
async fn apply(
    conn: &mut PgConnection,
    request: &Request<'_>,
    now: DateTime<Utc>,
    audit: Option<crate::audit::Entry>,
) -> Result<Outcome, sqlx::Error> {
    ensure_accounts(conn, &request.accounts, now).await?;
    let mut written = Vec::with_capacity(request.transfers.len());
    let mut moves = Vec::with_capacity(request.transfers.len());
    for (position, spec) in request.transfers.iter().enumerate() {
        let planned = match plan(conn, spec, now).await? {
            Ok(planned) => planned,
            Err(reason) => return Ok(Err(Refused::at(reason, position))),
        };
        let (transfer, sides) = match write(conn, request.key, position, &planned, now).await {
            Ok(Ok(written)) => written,
            Ok(Err(reason)) => return Ok(Err(Refused::at(reason, position))),
            Err(e) => match refusal_of(&e) {
                Some(reason) => return Ok(Err(Refused::at(reason, position))),
                None => return Err(e),
            },
        };
        written.push(transfer);
        moves.push((planned, sides));
    }
    let ids: Vec<Uuid> = written.iter().map(|t| t.id).collect();
    let answer = serde_json::to_value(&written).expect("transfers serialize");
    sqlx::query!(
        "UPDATE ledger_requests SET transfer_ids = $2, answer = $3 WHERE key = $1",
        request.key,
        &ids,
        answer
    )
    .execute(&mut *conn)
    .await?;
    let written = Ok(written);
    if let Some(entry) = audit {
        crate::audit::append(conn, now, audited(entry, request.key, &written)).await?;
    }
    // in transfer order: each transfer's condition sees the ones before it
    for (position, (planned, sides)) in moves.iter().enumerate() {
        if let Err(reason) = move_balances(conn, planned, sides).await? {
            return Ok(Err(Refused::at(reason, position)));
        }
    }
    // the customers' point lots follow, their accounts locked by the moves above
    if let Ok(transfers) = &written {
        for (transfer, (planned, _)) in transfers.iter().zip(&moves) {
            crate::points::lots::follow(conn, transfer, planned.pending.map(|(_, h)| h), now)
                .await?;
        }
    }
    Ok(written)
}

/// Creates the accounts that do not exist yet, in one statement.
pub(crate) async fn ensure_accounts(
    conn: &mut PgConnection,
    accounts: &[NewAccount],
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    if accounts.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = accounts.iter().map(NewAccount::id).collect();
    let codes: Vec<String> = accounts.iter().map(|a| a.code.clone()).collect();
    let units: Vec<String> = accounts.iter().map(|a| a.unit.as_str().into()).collect();
    let sides: Vec<String> = accounts
        .iter()
        .map(|a| a.normal_side.as_str().into())
        .collect();
    let flags: Vec<bool> = accounts.iter().map(|a| a.no_negative).collect();
    let kinds: Vec<String> = accounts.iter().map(|a| a.kind.into()).collect();
    let customers: Vec<Option<String>> = accounts.iter().map(|a| a.customer_no.clone()).collect();
    let orgs: Vec<Option<Uuid>> = accounts.iter().map(|a| a.org_id).collect();
    // an account of an org that does not exist is not created: its transfer then names an
    // unknown account
    sqlx::query!(
        r#"INSERT INTO ledger_accounts (id, code, unit, normal_side, no_negative, kind, customer_no,
                                        org_id, created_at)
           SELECT a.id, a.code, a.unit, a.side, a.flag, a.kind, a.customer_no, a.org_id, $9
             FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bool[], $6::text[],
                         $7::text[], $8::uuid[])
                  AS a (id, code, unit, side, flag, kind, customer_no, org_id)
            WHERE a.org_id IS NULL OR EXISTS (SELECT 1 FROM orgs o WHERE o.id = a.org_id)
           ON CONFLICT DO NOTHING"#,
        &ids,
        &codes,
        &units,
        &sides,
        &flags,
        &kinds,
        &customers as &[Option<String>],
        &orgs as &[Option<Uuid>],
        now
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn amount_ok(amount: i64) -> bool {
    (1..=MAX_AMOUNT).contains(&amount)
}

/// Turns a spec into the transfer to write, claiming the hold it resolves.
async fn plan(
    conn: &mut PgConnection,
    spec: &Spec,
    now: DateTime<Utc>,
) -> Result<Result<Planned, Refusal>, sqlx::Error> {
    Ok(match spec {
        Spec::Single {
            debit,
            credit,
            amount,
            code,
            memo,
        } => {
            if !amount_ok(*amount) {
                Err(Refusal::InvalidAmount)
            } else if debit == credit {
                Err(Refusal::SameAccount)
            } else {
                Ok(Planned {
                    kind: "single",
                    debit: *debit,
                    credit: *credit,
                    amount: *amount,
                    pending: None,
                    corrects: None,
                    expires_at: None,
                    code,
                    memo: memo.clone(),
                })
            }
        }
        Spec::Pending {
            debit,
            credit,
            amount,
            timeout,
            code,
            memo,
        } => {
            if !amount_ok(*amount) {
                Err(Refusal::InvalidAmount)
            } else if *timeout <= Duration::zero() || *timeout > MAX_TIMEOUT {
                Err(Refusal::InvalidTimeout)
            } else if debit == credit {
                Err(Refusal::SameAccount)
            } else {
                Ok(Planned {
                    kind: "pending",
                    debit: *debit,
                    credit: *credit,
                    amount: *amount,
                    pending: None,
                    corrects: None,
                    expires_at: Some(now + *timeout),
                    code,
                    memo: memo.clone(),
                })
            }
        }
        Spec::Post {
            pending,
            unit,
            amount,
            code,
            memo,
        } => {
            if amount.is_some_and(|a| !amount_ok(a)) {
                return Ok(Err(Refusal::InvalidAmount));
            }
            match claim_hold(conn, *pending, *unit, Some(now)).await? {
                Err(refusal) => Err(refusal),
                Ok((debit, credit, reserved)) => {
                    let posted = amount.unwrap_or(reserved);
                    if posted > reserved {
                        Err(Refusal::ExceedsPending)
                    } else {
                        Ok(Planned {
                            kind: "post",
                            debit,
                            credit,
                            amount: posted,
                            pending: Some((*pending, reserved)),
                            corrects: None,
                            expires_at: None,
                            code,
                            memo: memo.clone(),
                        })
                    }
                }
            }
        }
        Spec::Void {
            pending,
            unit,
            code,
            memo,
        } => match claim_hold(conn, *pending, *unit, None).await? {
            Err(refusal) => Err(refusal),
            Ok((debit, credit, reserved)) => Ok(Planned {
                kind: "void",
                debit,
                credit,
                amount: reserved,
                pending: Some((*pending, reserved)),
                corrects: None,
                expires_at: None,
                code,
                memo: memo.clone(),
            }),
        },
        Spec::Reverse {
            transfer,
            unit,
            amount,
            code,
            memo,
        } => {
            let original = sqlx::query!(
                r#"SELECT kind, debit_account_id, credit_account_id, amount,
                          EXISTS (SELECT 1 FROM ledger_transfers c WHERE c.corrects_id = t.id) AS "reversed!"
                     FROM ledger_transfers t WHERE id = $1 AND unit = $2"#,
                transfer,
                unit.as_str()
            )
            .fetch_optional(&mut *conn)
            .await?;
            match original {
                None => Err(Refusal::UnknownTransfer),
                Some(o) if !matches!(o.kind.as_str(), "single" | "post") => {
                    Err(Refusal::NotReversible)
                }
                // the unique index on corrects_id refuses a concurrent second reversal
                Some(o) if o.reversed => Err(Refusal::AlreadyReversed),
                Some(_) if *amount == Some(0) => Err(Refusal::NothingToReverse),
                Some(o) if amount.is_some_and(|a| a < 0 || a > o.amount) => {
                    Err(Refusal::InvalidAmount)
                }
                Some(o) => Ok(Planned {
                    kind: "single",
                    debit: o.credit_account_id,
                    credit: o.debit_account_id,
                    amount: amount.unwrap_or(o.amount),
                    pending: None,
                    corrects: Some(*transfer),
                    expires_at: None,
                    code,
                    memo: memo.clone(),
                }),
            }
        }
    })
}

/// Takes the open hold `pending` of `unit` (removing it from the open holds is the claim: a
/// concurrent resolution waits, then finds it gone). With `unexpired_at`, a hold whose time is up
/// is left to the sweeper.
async fn claim_hold(
    conn: &mut PgConnection,
    pending: Uuid,
    unit: Unit,
    unexpired_at: Option<DateTime<Utc>>,
) -> Result<Result<(Uuid, Uuid, i64), Refusal>, sqlx::Error> {
    let claimed = sqlx::query!(
        "DELETE FROM ledger_holds h USING ledger_transfers t
          WHERE h.transfer_id = $1 AND t.id = h.transfer_id AND t.unit = $2
            AND ($3::timestamptz IS NULL OR h.expires_at > $3)
         RETURNING h.debit_account_id, h.credit_account_id, h.amount",
        pending,
        unit.as_str(),
        unexpired_at
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(hold) = claimed {
        return Ok(Ok((
            hold.debit_account_id,
            hold.credit_account_id,
            hold.amount,
        )));
    }
    // why not: read after the refusal, never before a write
    let why = sqlx::query!(
        r#"SELECT t.kind,
                  EXISTS (SELECT 1 FROM ledger_holds h WHERE h.transfer_id = t.id) AS "open!",
                  (SELECT r.kind FROM ledger_transfers r WHERE r.pending_id = t.id) AS resolved_by
             FROM ledger_transfers t WHERE t.id = $1 AND t.unit = $2"#,
        pending,
        unit.as_str()
    )
    .fetch_optional(&mut *conn)
    .await?;
    Ok(Err(match why {
        // open but due: the sweeper's; expired: the same answer for a capture
        Some(t) if t.kind == "pending" && t.open => Refusal::PendingExpired,
        Some(t) if t.kind == "pending" && t.resolved_by.as_deref() == Some("expire") => {
            Refusal::PendingExpired
        }
        Some(t) if t.kind == "pending" => Refusal::PendingResolved,
        _ => Refusal::UnknownPending,
    }))
}

/// The four sums one account moves by.
#[derive(Default, Clone, Copy)]
struct Deltas {
    debits_posted: i64,
    credits_posted: i64,
    debits_pending: i64,
    credits_pending: i64,
}

impl Planned {
    /// What the transfer does to its debit account and to its credit account.
    fn deltas(&self) -> (Deltas, Deltas) {
        let (posted, reserved, released) = match (self.kind, self.pending) {
            ("single", _) => (self.amount, 0, 0),
            ("pending", _) => (0, self.amount, 0),
            ("post", Some((_, held))) => (self.amount, 0, held),
            (_, Some((_, held))) => (0, 0, held),
            _ => (0, 0, 0),
        };
        (
            Deltas {
                debits_posted: posted,
                debits_pending: reserved - released,
                ..Deltas::default()
            },
            Deltas {
                credits_posted: posted,
                credits_pending: reserved - released,
                ..Deltas::default()
            },
        )
    }
}

/// What the write learnt of the two accounts.
struct Sides {
    debit_flagged: bool,
    credit_flagged: bool,
}

/// Moves both accounts of `planned` in one fixed order — accounts that may not go below zero
/// first, then by id — so two transfers never wait on each other crosswise, and the unbounded
/// (often hot) accounts are locked last, for the shortest time. An account that may not go below
/// zero refuses in its `UPDATE`'s own condition.
async fn move_balances(
    conn: &mut PgConnection,
    planned: &Planned,
    sides: &Sides,
) -> Result<Result<(), Refusal>, sqlx::Error> {
    let (debit, credit) = planned.deltas();
    let mut moves = [
        (sides.debit_flagged, planned.debit, debit),
        (sides.credit_flagged, planned.credit, credit),
    ];
    moves.sort_by_key(|(flagged, id, _)| (!*flagged, *id));
    for (_, id, d) in moves {
        let moved = sqlx::query_scalar!(
            "UPDATE ledger_accounts
                SET debits_posted = debits_posted + $2, credits_posted = credits_posted + $3,
                    debits_pending = debits_pending + $4, credits_pending = credits_pending + $5
              WHERE id = $1
                AND (NOT no_negative OR CASE normal_side
                      WHEN 'credit' THEN (credits_posted + $3) - (debits_posted + $2) - (debits_pending + $4)
                      ELSE (debits_posted + $2) - (credits_posted + $3) - (credits_pending + $5) END >= 0)
             RETURNING 1 AS one",
            id,
            d.debits_posted,
            d.credits_posted,
            d.debits_pending,
            d.credits_pending
        )
        .fetch_optional(&mut *conn)
        .await?;
        if moved.is_none() {
            return Ok(Err(Refusal::InsufficientBalance));
        }
    }
    Ok(Ok(()))
}

/// Writes the transfer, its postings (none for a void or an expiry) and its hold, in one
/// statement that also reads the two accounts (codes, units, flags); `None` when one of them
/// does not exist.
async fn write(
    conn: &mut PgConnection,
    key: &str,
    position: usize,
    p: &Planned,
    now: DateTime<Utc>,
) -> Result<Result<(Transfer, Sides), Refusal>, sqlx::Error> {
    let id = Uuid::new_v4();
    let row = sqlx::query!(
        r#"WITH a AS (
               SELECT d.code AS debit, d.unit AS debit_unit, d.no_negative AS debit_flagged,
                      c.code AS credit, c.unit AS credit_unit, c.no_negative AS credit_flagged
                 FROM ledger_accounts d, ledger_accounts c
                WHERE d.id = $5 AND c.id = $6),
           t AS (
               INSERT INTO ledger_transfers (id, request_key, position, kind, debit_account_id,
                   credit_account_id, amount, unit, pending_id, expires_at, corrects_id, code, memo,
                   created_at)
               SELECT $1, $2, $3, $4, $5, $6, $7, a.debit_unit, $8, $9, $10, $11, $12, $13
                 FROM a WHERE a.debit_unit = a.credit_unit
               RETURNING id, seq),
           p AS (
               INSERT INTO ledger_postings (transfer_id, account_id, side, amount, pending, seq)
               SELECT t.id, x.account, x.side, $7, $4 = 'pending', t.seq
                 FROM t, (VALUES ($5::uuid, 'debit'), ($6::uuid, 'credit')) AS x (account, side)
                WHERE $4 IN ('single', 'pending', 'post')),
           h AS (
               INSERT INTO ledger_holds (transfer_id, debit_account_id, credit_account_id, amount,
                                         expires_at)
               SELECT t.id, $5, $6, $7, $9 FROM t WHERE $4 = 'pending')
           SELECT a.debit AS "debit!", a.debit_unit AS "debit_unit!",
                  a.debit_flagged AS "debit_flagged!", a.credit AS "credit!",
                  a.credit_unit AS "credit_unit!", a.credit_flagged AS "credit_flagged!",
                  (SELECT count(*) FROM t) AS "written!"
             FROM a"#,
        id,
        key,
        position as i16,
        p.kind,
        p.debit,
        p.credit,
        p.amount,
        p.pending.map(|(id, _)| id),
        p.expires_at,
        p.corrects,
        p.code,
        p.memo,
        now
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else {
        return Ok(Err(Refusal::UnknownAccount));
    };
    if row.written == 0 {
        return Ok(Err(Refusal::UnitMismatch));
    }
    Ok(Ok((
        Transfer {
            id,
            kind: p.kind.into(),
            code: p.code.into(),
            debit_account: row.debit,
            credit_account: row.credit,
            amount: p.amount,
            unit: row.debit_unit,
            pending_id: p.pending.map(|(id, _)| id),
            corrects_id: p.corrects,
            expires_at: p.expires_at,
            memo: p.memo.clone(),
            created_at: now,
        },
        Sides {
            debit_flagged: row.debit_flagged,
            credit_flagged: row.credit_flagged,
        },
    )))
}

/// Expires up to `batch` holds whose time is up at `now`, in one transaction: each is taken from
/// the open holds (skipping any a resolution holds right now), its accounts released, and an
/// `expire` transfer written for it. Run by any number of sweepers at once, a hold expires once.
/// Answers how many expired.
#[tracing::instrument(skip(pool))]
pub async fn expire_due(pool: &PgPool, now: DateTime<Utc>, batch: i64) -> Result<u64, sqlx::Error> {
    let now = now.trunc_subsecs(6);
    let mut tx = pool.begin().await?;
    let due = sqlx::query!(
        "DELETE FROM ledger_holds WHERE transfer_id IN (
             SELECT transfer_id FROM ledger_holds WHERE expires_at <= $1
              ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING transfer_id, debit_account_id, credit_account_id, amount",
        now,
        batch
    )
    .fetch_all(&mut *tx)
    .await?;
    if due.is_empty() {
        tx.rollback().await?;
        return Ok(0);
    }
    // released per account, the accounts locked in the order every transfer locks them
    let mut deltas: std::collections::BTreeMap<Uuid, (i64, i64)> = Default::default();
    for hold in &due {
        deltas.entry(hold.debit_account_id).or_default().0 += hold.amount;
        deltas.entry(hold.credit_account_id).or_default().1 += hold.amount;
    }
    let accounts: Vec<Uuid> = deltas.keys().copied().collect();
    let debits: Vec<i64> = deltas.values().map(|d| d.0).collect();
    let credits: Vec<i64> = deltas.values().map(|d| d.1).collect();
    sqlx::query!(
        "SELECT id FROM ledger_accounts WHERE id = ANY($1) ORDER BY NOT no_negative, id FOR UPDATE",
        &accounts
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!(
        "UPDATE ledger_accounts a
            SET debits_pending = a.debits_pending - d.debits,
                credits_pending = a.credits_pending - d.credits
           FROM unnest($1::uuid[], $2::bigint[], $3::bigint[]) AS d (id, debits, credits)
          WHERE a.id = d.id",
        &accounts,
        &debits,
        &credits
    )
    .execute(&mut *tx)
    .await?;
    let key = format!("expire:{}", Uuid::new_v4());
    let ids: Vec<Uuid> = due.iter().map(|_| Uuid::new_v4()).collect();
    let pending: Vec<Uuid> = due.iter().map(|h| h.transfer_id).collect();
    sqlx::query!(
        "INSERT INTO ledger_requests (key, body_hash, actor, transfer_ids, at)
         VALUES ($1, '\\x'::bytea, 'ledger-sweeper', $2, $3)",
        key,
        &ids,
        now
    )
    .execute(&mut *tx)
    .await?;
    sqlx::query!(
        "INSERT INTO ledger_transfers (id, request_key, position, kind, debit_account_id,
             credit_account_id, amount, unit, pending_id, code, memo, created_at)
         SELECT x.id, $2, (x.n - 1)::smallint, 'expire', t.debit_account_id, t.credit_account_id,
                t.amount, t.unit, t.id, 'expire', '', $4
           FROM unnest($1::uuid[], $3::uuid[]) WITH ORDINALITY AS x (id, pending, n)
           JOIN ledger_transfers t ON t.id = x.pending",
        &ids,
        key,
        &pending,
        now
    )
    .execute(&mut *tx)
    .await?;
    // what the holds took from customers' point lots goes back to them
    let amounts: Vec<i64> = due.iter().map(|h| h.amount).collect();
    let from: Vec<Uuid> = due.iter().map(|h| h.debit_account_id).collect();
    crate::points::lots::give_back(&mut tx, &pending, &ids, &amounts, &from, now).await?;
    tx.commit().await?;
    Ok(due.len() as u64)
}

/// An account's balance on its normal side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct Balance {
    /// Posted: what the account holds.
    pub posted: i64,
    /// Reserved by open holds against it (not spendable).
    pub pending_out: i64,
    /// On its way in by open holds.
    pub pending_in: i64,
    /// Posted less reserved: what can be spent now.
    pub available: i64,
}

/// The balance of account `id`; zero for an account not created yet.
pub async fn balance(pool: &PgPool, id: Uuid) -> Result<Balance, sqlx::Error> {
    let row = sqlx::query!(
        "SELECT normal_side, debits_posted, credits_posted, debits_pending, credits_pending
           FROM ledger_accounts WHERE id = $1",
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map_or_else(Balance::default, |a| {
        let (posted, out, inn) = if a.normal_side == "credit" {
            (
                a.credits_posted - a.debits_posted,
                a.debits_pending,
                a.credits_pending,
            )
        } else {
            (
                a.debits_posted - a.credits_posted,
                a.credits_pending,
                a.debits_pending,
            )
        };
        Balance {
            posted,
            pending_out: out,
            pending_in: inn,
            available: posted - out,
        }
    }))
}

/// Transfers touching account `id`, newest first, with how many there are.
pub async fn history(
    pool: &PgPool,
    id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Transfer>, i64), sqlx::Error> {
    let rows = sqlx::query!(
        r#"SELECT t.id, t.kind, t.code, d.code AS debit, c.code AS credit, t.amount, t.unit,
                  t.pending_id, t.corrects_id, t.expires_at, t.memo, t.created_at
             FROM (SELECT id, seq FROM ledger_transfers WHERE debit_account_id = $1
                   UNION ALL
                   SELECT id, seq FROM ledger_transfers WHERE credit_account_id = $1
                   ORDER BY seq DESC LIMIT $2 OFFSET $3) AS mine
             JOIN ledger_transfers t ON t.id = mine.id
             JOIN ledger_accounts d ON d.id = t.debit_account_id
             JOIN ledger_accounts c ON c.id = t.credit_account_id
            ORDER BY t.seq DESC"#,
        id,
        limit,
        offset
    )
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar!(
        r#"SELECT (SELECT count(*) FROM ledger_transfers WHERE debit_account_id = $1)
                + (SELECT count(*) FROM ledger_transfers WHERE credit_account_id = $1) AS "n!""#,
        id
    )
    .fetch_one(pool)
    .await?;
    Ok((
        rows.into_iter()
            .map(|r| Transfer {
                id: r.id,
                kind: r.kind,
                code: r.code,
                debit_account: r.debit,
                credit_account: r.credit,
                amount: r.amount,
                unit: r.unit,
                pending_id: r.pending_id,
                corrects_id: r.corrects_id,
                expires_at: r.expires_at,
                memo: r.memo,
                created_at: r.created_at,
            })
            .collect(),
        total,
    ))
}

/// One transfer by id.
pub async fn transfer(pool: &PgPool, id: Uuid) -> Result<Option<Transfer>, sqlx::Error> {
    let row = sqlx::query!(
        r#"SELECT t.id, t.kind, t.code, d.code AS debit, c.code AS credit, t.amount, t.unit,
                  t.pending_id, t.corrects_id, t.expires_at, t.memo, t.created_at
             FROM ledger_transfers t
             JOIN ledger_accounts d ON d.id = t.debit_account_id
             JOIN ledger_accounts c ON c.id = t.credit_account_id
            WHERE t.id = $1"#,
        id
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|r| Transfer {
        id: r.id,
        kind: r.kind,
        code: r.code,
        debit_account: r.debit,
        credit_account: r.credit,
        amount: r.amount,
        unit: r.unit,
        pending_id: r.pending_id,
        corrects_id: r.corrects_id,
        expires_at: r.expires_at,
        memo: r.memo,
        created_at: r.created_at,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_refusals_read_back() {
        for (r, _) in REFUSALS {
            let refused = Refused::at(*r, 3);
            assert_eq!(Refused::from_stored(&refused.stored()), refused);
        }
    }

    #[test]
    fn keys_are_bounded_printable_ascii() {
        assert!(key_ok("esb:gmp:GMP-0001"));
        assert!(key_ok("staff:3f2a_9.x@y"));
        assert!(!key_ok(""));
        assert!(!key_ok(&"k".repeat(129)));
        assert!(!key_ok("a b"));
        assert!(!key_ok("键"));
    }

    #[test]
    fn a_post_releases_the_hold_and_posts_what_it_takes() {
        let p = Planned {
            kind: "post",
            debit: Uuid::nil(),
            credit: Uuid::max(),
            amount: 30,
            pending: Some((Uuid::nil(), 50)),
            corrects: None,
            expires_at: None,
            code: "capture",
            memo: String::new(),
        };
        let (d, c) = p.deltas();
        assert_eq!((d.debits_posted, d.debits_pending), (30, -50));
        assert_eq!((c.credits_posted, c.credits_pending), (30, -50));
        assert_eq!((d.credits_posted, c.debits_posted), (0, 0));
    }
}
