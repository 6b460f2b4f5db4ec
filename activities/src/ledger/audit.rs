//! `quanyi audit ledger`: the ledger proves itself from its postings. For every transfer: it
//! balances (its debit and credit postings equal its amount, on its own accounts, in its unit);
//! for every account: the kept sums equal the postings (posted ones, and pending ones whose hold
//! is open); the open holds equal the pending transfers not yet resolved, and each hold resolves
//! at most once within its amount; no account that may not go below zero is below zero; every
//! transfer a request answered with exists; in total debits equal credits per unit; and each
//! point lot's remainder is its points less its uses, the lots of a customer summing to the
//! available balance of the customer's points account.

use sqlx::PgPool;

/// One broken rule, for a person to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The account code, transfer id or request key at fault (`total` for the whole ledger).
    pub subject: String,
    pub rule: &'static str,
    pub detail: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {} ({})", self.subject, self.rule, self.detail)
    }
}

/// What was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checked {
    pub accounts: i64,
    pub transfers: i64,
}

/// Checks the whole ledger; every violation found.
pub async fn check(pool: &PgPool) -> Result<(Checked, Vec<Violation>), sqlx::Error> {
    let mut tx = pool.begin().await?;
    // one consistent picture of every table
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let mut violations = Vec::new();
    let checked = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM ledger_accounts) AS "accounts!",
                  (SELECT count(*) FROM ledger_transfers) AS "transfers!""#
    )
    .fetch_one(&mut *tx)
    .await?;

    // each transfer balances, on its own accounts and in its unit: a transfer has at most one
    // posting a side (the key), so plain joins say it — no grouping, hash joins at any size
    for t in sqlx::query!(
        r#"SELECT t.id::text AS "id!", t.kind, t.amount,
                  coalesce(pd.amount, 0) AS "debits!", coalesce(pc.amount, 0) AS "credits!",
                  ((pd.transfer_id IS NOT NULL)::int + (pc.transfer_id IS NOT NULL)::int) AS "postings!",
                  (coalesce(pd.account_id = t.debit_account_id AND pd.pending = (t.kind = 'pending'), true)
                   AND coalesce(pc.account_id = t.credit_account_id AND pc.pending = (t.kind = 'pending'), true)) AS "own!",
                  (da.unit = t.unit AND ca.unit = t.unit) AS units
             FROM ledger_transfers t
             LEFT JOIN ledger_accounts da ON da.id = t.debit_account_id
             LEFT JOIN ledger_accounts ca ON ca.id = t.credit_account_id
             LEFT JOIN ledger_postings pd ON pd.transfer_id = t.id AND pd.side = 'debit'
             LEFT JOIN ledger_postings pc ON pc.transfer_id = t.id AND pc.side = 'credit'
            WHERE NOT (CASE WHEN t.kind IN ('single', 'pending', 'post')
                            THEN coalesce(pd.amount = t.amount AND pc.amount = t.amount, false)
                            ELSE pd.transfer_id IS NULL AND pc.transfer_id IS NULL END)
               OR NOT coalesce(pd.account_id = t.debit_account_id AND pd.pending = (t.kind = 'pending'), true)
               OR NOT coalesce(pc.account_id = t.credit_account_id AND pc.pending = (t.kind = 'pending'), true)
               OR NOT coalesce(da.unit = t.unit AND ca.unit = t.unit, false)"#
    )
    .fetch_all(&mut *tx)
    .await?
    {
        violations.push(Violation {
            subject: format!("transfer {}", t.id),
            rule: "a transfer does not balance",
            detail: format!(
                "{} of {}: {} posting(s), debits {} credits {}{}{}",
                t.kind,
                t.amount,
                t.postings,
                t.debits,
                t.credits,
                if t.own { "" } else { ", a posting on another account" },
                if t.units == Some(true) {
                    ""
                } else {
                    ", units differ"
                }
            ),
        });
    }
    for p in sqlx::query!(
        r#"SELECT p.transfer_id::text AS "id!", p.side FROM ledger_postings p
            WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = p.transfer_id)"#
    )
    .fetch_all(&mut *tx)
    .await?
    {
        violations.push(Violation {
            subject: format!("transfer {}", p.id),
            rule: "a posting without its transfer",
            detail: format!("{} posting", p.side),
        });
    }

    // the kept sums equal the postings
    for a in sqlx::query!(
        r#"WITH sums AS (
               SELECT p.account_id,
                      sum(p.amount) FILTER (WHERE p.side = 'debit' AND NOT p.pending) AS dp,
                      sum(p.amount) FILTER (WHERE p.side = 'credit' AND NOT p.pending) AS cp,
                      sum(p.amount) FILTER (WHERE p.side = 'debit' AND p.pending AND h.transfer_id IS NOT NULL) AS dpe,
                      sum(p.amount) FILTER (WHERE p.side = 'credit' AND p.pending AND h.transfer_id IS NOT NULL) AS cpe
                 FROM ledger_postings p LEFT JOIN ledger_holds h ON h.transfer_id = p.transfer_id
                GROUP BY p.account_id)
           SELECT a.code, a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending,
                  coalesce(s.dp, 0)::bigint AS "dp!", coalesce(s.cp, 0)::bigint AS "cp!",
                  coalesce(s.dpe, 0)::bigint AS "dpe!", coalesce(s.cpe, 0)::bigint AS "cpe!"
             FROM ledger_accounts a LEFT JOIN sums s ON s.account_id = a.id
            WHERE (a.debits_posted, a.credits_posted, a.debits_pending, a.credits_pending)
                  IS DISTINCT FROM (coalesce(s.dp, 0), coalesce(s.cp, 0), coalesce(s.dpe, 0), coalesce(s.cpe, 0))
            ORDER BY a.code"#
    )
    .fetch_all(&mut *tx)
    .await?
    {
        violations.push(Violation {
            subject: a.code,
            rule: "the kept balance differs from the sum of its postings",
            detail: format!(
                "kept debits {}/{} credits {}/{} (posted/pending), postings say {}/{} and {}/{}",
                a.debits_posted,
                a.debits_pending,
                a.credits_posted,
                a.credits_pending,
                a.dp,
                a.dpe,
                a.cp,
                a.cpe
            ),
        });
    }

    // nothing below zero where it may not be
    for a in sqlx::query!(
        r#"SELECT code, normal_side,
                  CASE normal_side WHEN 'credit' THEN credits_posted - debits_posted - debits_pending
                       ELSE debits_posted - credits_posted - credits_pending END AS "available!"
             FROM ledger_accounts
            WHERE no_negative AND CASE normal_side
                  WHEN 'credit' THEN credits_posted - debits_posted - debits_pending
                  ELSE debits_posted - credits_posted - credits_pending END < 0"#
    )
    .fetch_all(&mut *tx)
    .await?
    {
        violations.push(Violation {
            subject: a.code,
            rule: "an account that may not go below zero is below zero",
            detail: format!("available {} on its {} side", a.available, a.normal_side),
        });
    }

    // holds = pending transfers not yet resolved; each resolves once, within its amount
    for t in sqlx::query!(
        r#"SELECT t.id::text AS "id!",
                  EXISTS (SELECT 1 FROM ledger_holds h WHERE h.transfer_id = t.id) AS "open!",
                  (SELECT count(*) FROM ledger_transfers r WHERE r.pending_id = t.id) AS "resolutions!"
             FROM ledger_transfers t
            WHERE t.kind = 'pending'
              AND (EXISTS (SELECT 1 FROM ledger_holds h WHERE h.transfer_id = t.id))::int
                  + (SELECT count(*) FROM ledger_transfers r WHERE r.pending_id = t.id) <> 1"#
    )
    .fetch_all(&mut *tx)
    .await?
    {
        violations.push(Violation {
            subject: format!("transfer {}", t.id),
            rule: "a pending transfer is not exactly one of open or resolved",
            detail: format!(
                "{} open hold, {} resolution(s)",
                if t.open { "an" } else { "no" },
                t.resolutions
            ),
        });
    }
    for h in sqlx::query!(
        r#"SELECT h.transfer_id::text AS "id!" FROM ledger_holds h
             LEFT JOIN ledger_transfers t ON t.id = h.transfer_id
            WHERE t.id IS NULL OR t.kind <> 'pending' OR t.amount <> h.amount
               OR t.debit_account_id <> h.debit_account_id OR t.credit_account_id <> h.credit_account_id
               OR t.expires_at IS DISTINCT FROM h.expires_at"#
    )
    .fetch_all(&mut *tx)
    .await?
    {
        violations.push(Violation {
            subject: format!("hold {}", h.id),
            rule: "an open hold differs from its pending transfer",
            detail: "amount, accounts or expiry".into(),
        });
    }
    for r in sqlx::query!(
        r#"SELECT r.id::text AS "id!", r.kind, r.amount, p.amount AS "reserved?", p.kind AS "pending_kind?"
             FROM ledger_transfers r LEFT JOIN ledger_transfers p ON p.id = r.pending_id
            WHERE r.pending_id IS NOT NULL
              AND (p.id IS NULL OR p.kind <> 'pending'
                   OR r.debit_account_id <> p.debit_account_id OR r.credit_account_id <> p.credit_account_id
                   OR (r.kind = 'post' AND r.amount > p.amount)
                   OR (r.kind IN ('void', 'expire') AND r.amount <> p.amount)
                   OR (r.kind = 'expire' AND r.created_at < p.expires_at))"#
    )
    .fetch_all(&mut *tx)
    .await?
    {
        violations.push(Violation {
            subject: format!("transfer {}", r.id),
            rule: "a resolution does not match its hold",
            detail: format!(
                "{} of {} for a {} of {}",
                r.kind,
                r.amount,
                r.pending_kind.as_deref().unwrap_or("missing transfer"),
                r.reserved.unwrap_or(0)
            ),
        });
    }

    // every transfer a request answered with is there, and no other
    for r in sqlx::query!(
        r#"SELECT r.key, cardinality(r.transfer_ids) AS "named!",
                  (SELECT count(*) FROM ledger_transfers t WHERE t.request_key = r.key) AS "present!",
                  (SELECT count(*) FROM unnest(r.transfer_ids) AS x (id)
                    WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = x.id)) AS "missing!"
             FROM ledger_requests r
            WHERE cardinality(r.transfer_ids) <> (SELECT count(*) FROM ledger_transfers t WHERE t.request_key = r.key)
               OR EXISTS (SELECT 1 FROM unnest(r.transfer_ids) AS x (id)
                           WHERE NOT EXISTS (SELECT 1 FROM ledger_transfers t WHERE t.id = x.id))"#
    )
    .fetch_all(&mut *tx)
    .await?
    {
        violations.push(Violation {
            subject: format!("request {}", r.key),
            rule: "a transfer of a request is missing (deleted?) or unnamed",
            detail: format!(
                "the answer names {}, {} present, {} missing",
                r.named, r.present, r.missing
            ),
        });
    }

    // in total, per unit: debits equal credits, posted and pending
    for u in sqlx::query!(
        r#"SELECT unit, sum(debits_posted)::bigint AS "dp!", sum(credits_posted)::bigint AS "cp!",
                  sum(debits_pending)::bigint AS "dpe!", sum(credits_pending)::bigint AS "cpe!"
             FROM ledger_accounts GROUP BY unit
           HAVING sum(debits_posted) <> sum(credits_posted) OR sum(debits_pending) <> sum(credits_pending)"#
    )
    .fetch_all(&mut *tx)
    .await?
    {
        violations.push(Violation {
            subject: format!("total {}", u.unit),
            rule: "debits and credits of all accounts differ",
            detail: format!(
                "posted {} ≠ {} or pending {} ≠ {}",
                u.dp, u.cp, u.dpe, u.cpe
            ),
        });
    }
    // the customers' point lots: each lot's remainder, and their sum per account
    violations.extend(crate::points::lots::check(&mut tx).await?);
    tx.commit().await?;
    Ok((
        Checked {
            accounts: checked.accounts,
            transfers: checked.transfers,
        },
        violations,
    ))
}
