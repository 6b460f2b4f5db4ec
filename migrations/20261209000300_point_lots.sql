-- Point lots (BEN-7, issue 17, docs/ledger.md): every credit to a customer's points account makes
-- a lot (an earning: its points, when they were earned, when they expire, and the transfer that
-- made it); every debit takes from the customer's lots, earliest expiry first, and says so lot by
-- lot in `point_lot_uses` (a hold's takes are given back by its void or expiry, and what a partial
-- capture does not take). A lot's remainder is its points less its net uses, and a customer's
-- lots' remainders sum to the account's available balance: `quanyi audit points` proves both.
-- Written by the ledger in the transaction of each transfer (activities/src/points/lots.rs).

CREATE TABLE point_lots (
    -- the transfer that made it; an opening lot (a balance from before lots) has its own id
    id           uuid PRIMARY KEY,
    transfer_id  uuid UNIQUE REFERENCES ledger_transfers (id),
    account_id   uuid NOT NULL REFERENCES ledger_accounts (id),
    customer_no  text NOT NULL,
    points       bigint NOT NULL CHECK (points > 0),
    remaining    bigint NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    earned_at    timestamptz NOT NULL,
    -- the instant from which its remainder is gone (the nightly run posts it to points:expired)
    expires_at   timestamptz NOT NULL CHECK (expires_at > earned_at)
);
-- spending earliest expiry first, and the nightly run's walk over the accounts with due lots
CREATE INDEX point_lots_open_idx ON point_lots (account_id, expires_at, id) WHERE remaining > 0;
-- the nightly run's count and the reminders' window
CREATE INDEX point_lots_due_idx ON point_lots (expires_at) WHERE remaining > 0;

-- What each transfer took from (positive) or gave back to (negative) each lot.
CREATE TABLE point_lot_uses (
    transfer_id  uuid NOT NULL REFERENCES ledger_transfers (id),
    lot_id       uuid NOT NULL REFERENCES point_lots (id),
    points       bigint NOT NULL CHECK (points <> 0),
    PRIMARY KEY (transfer_id, lot_id)
);
CREATE INDEX point_lot_uses_lot_idx ON point_lot_uses (lot_id);

-- 到期提醒: one row per reminded lot (so once per customer and lot), with the SMS that said it
-- (none when the customer has no phone on file or SMS is not configured).
CREATE TABLE point_lot_reminders (
    lot_id            uuid PRIMARY KEY REFERENCES point_lots (id),
    customer_no       text NOT NULL,
    notification_key  text,
    reminded_on       date NOT NULL,
    at                timestamptz NOT NULL
);

GRANT SELECT, INSERT, UPDATE ON point_lots TO quanyi_app;
GRANT SELECT, INSERT ON point_lot_uses, point_lot_reminders TO quanyi_app;

-- A balance from before lots is one opening lot, expiring by the default rule (the end of the
-- year after next, Beijing time).
INSERT INTO point_lots (id, transfer_id, account_id, customer_no, points, remaining, earned_at,
                        expires_at)
SELECT a.id, NULL, a.id, a.customer_no, a.credits_posted - a.debits_posted - a.debits_pending,
       a.credits_posted - a.debits_posted - a.debits_pending, now(),
       make_timestamptz(extract(year FROM now() AT TIME ZONE 'Asia/Shanghai')::int + 3, 1, 1, 0, 0, 0,
                        'Asia/Shanghai')
  FROM ledger_accounts a
 WHERE a.unit = 'points' AND a.kind = 'customer'
   AND a.credits_posted - a.debits_posted - a.debits_pending > 0;

-- the nightly expiry run and the reminders, in the batch log
ALTER TABLE batch_runs DROP CONSTRAINT batch_runs_job_check;
ALTER TABLE batch_runs ADD CONSTRAINT batch_runs_job_check
    CHECK (job IN ('housekeeping', 'audit_verify', 'customer_import', 'points_expiry',
                   'points_reminder'));

INSERT INTO sms_templates (code, name, content, variables) VALUES
    ('QY_POINTS_EXPIRY', '积分到期提醒',
     '【权益平台】尊敬的客户，您有${points}积分将于${date}到期，请及时使用。', '{points,date}');
