-- The double-entry ledger (issue 17, docs/ledger.md). Accounts in one unit with a normal side and
-- the flag "may not go below zero"; transfers between two accounts, balanced by their two
-- postings, grouped by the caller's idempotency key (a request: one or several linked transfers
-- that succeed or fail together). A transfer is never edited nor deleted: the application role
-- may only insert them. Balances are kept in the account row, written in the transaction that
-- writes the transfer; `quanyi audit ledger` recomputes them from the postings.

CREATE TABLE ledger_accounts (
    -- UUID v5 of `code`: a caller names an account without looking it up
    id               uuid PRIMARY KEY,
    -- e.g. points:customer:C10000001, points:funding:<org id>, points:exchange-clearing
    code             text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9:_.-]{3,120}$'),
    unit             text NOT NULL CHECK (unit IN ('points', 'cny_fen')),
    normal_side      text NOT NULL CHECK (normal_side IN ('debit', 'credit')),
    -- the balance on the normal side, less what holds reserve, may not go below zero
    no_negative      boolean NOT NULL,
    kind             text NOT NULL,
    customer_no      text,
    org_id           uuid REFERENCES orgs (id),
    debits_posted    bigint NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted   bigint NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending   bigint NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    credits_pending  bigint NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    created_at       timestamptz NOT NULL,
    -- the backstop of the conditional updates that refuse first (never read-then-write)
    CONSTRAINT ledger_accounts_not_negative CHECK (
        NOT no_negative
        OR (normal_side = 'credit' AND credits_posted - debits_posted - debits_pending >= 0)
        OR (normal_side = 'debit' AND debits_posted - credits_posted - credits_pending >= 0))
);
CREATE UNIQUE INDEX ledger_accounts_customer_idx ON ledger_accounts (unit, kind, customer_no)
    WHERE customer_no IS NOT NULL;

-- One row per idempotency key: the body's hash and the first answer (transfers or refusal).
CREATE TABLE ledger_requests (
    key          text PRIMARY KEY CHECK (key ~ '^[A-Za-z0-9_.:@-]{1,128}$'),
    body_hash    bytea NOT NULL,
    actor        text NOT NULL,
    -- the transfers it wrote, in order; empty when refused
    transfer_ids uuid[] NOT NULL DEFAULT '{}',
    answer       jsonb,
    refusal      text,
    at           timestamptz NOT NULL
);

CREATE TABLE ledger_transfers (
    id                uuid PRIMARY KEY,
    -- the order transfers were written in (gaps are harmless)
    seq               bigserial NOT NULL UNIQUE,
    request_key       text NOT NULL REFERENCES ledger_requests (key),
    -- its place in a linked request
    position          smallint NOT NULL,
    -- single: posted at once; pending: a hold; post, void, expire: resolve a hold
    kind              text NOT NULL CHECK (kind IN ('single', 'pending', 'post', 'void', 'expire')),
    debit_account_id  uuid NOT NULL REFERENCES ledger_accounts (id),
    credit_account_id uuid NOT NULL REFERENCES ledger_accounts (id),
    amount            bigint NOT NULL CHECK (amount > 0),
    unit              text NOT NULL,
    pending_id        uuid REFERENCES ledger_transfers (id),
    expires_at        timestamptz,
    -- a correction names the transfer it corrects
    corrects_id       uuid REFERENCES ledger_transfers (id),
    -- what it is for the business: earn, hold, capture, void, expire, reverse, …
    code              text NOT NULL CHECK (code ~ '^[a-z_]{1,32}$'),
    memo              text NOT NULL DEFAULT '' CHECK (char_length(memo) <= 200),
    created_at        timestamptz NOT NULL,
    CHECK (debit_account_id <> credit_account_id),
    CHECK ((kind IN ('post', 'void', 'expire')) = (pending_id IS NOT NULL)),
    CHECK ((kind = 'pending') = (expires_at IS NOT NULL))
);
-- a hold resolves at most once: posted, voided or expired
CREATE UNIQUE INDEX ledger_transfers_resolves_once ON ledger_transfers (pending_id)
    WHERE pending_id IS NOT NULL;
-- a transfer is corrected (reversed) at most once
CREATE UNIQUE INDEX ledger_transfers_corrected_once ON ledger_transfers (corrects_id)
    WHERE corrects_id IS NOT NULL;
CREATE INDEX ledger_transfers_request_idx ON ledger_transfers (request_key);
-- an account's history, newest first
CREATE INDEX ledger_transfers_debit_idx ON ledger_transfers (debit_account_id, seq DESC);
CREATE INDEX ledger_transfers_credit_idx ON ledger_transfers (credit_account_id, seq DESC);

-- The entries: each transfer's debit and credit. A pending transfer's postings count in the
-- pending balances while its hold is open; a void or an expiry has none (it only releases).
CREATE TABLE ledger_postings (
    transfer_id  uuid NOT NULL REFERENCES ledger_transfers (id),
    account_id   uuid NOT NULL REFERENCES ledger_accounts (id),
    side         text NOT NULL CHECK (side IN ('debit', 'credit')),
    amount       bigint NOT NULL CHECK (amount > 0),
    pending      boolean NOT NULL,
    seq          bigint NOT NULL,
    PRIMARY KEY (transfer_id, side)
);

-- The open holds: a pending transfer stays here until it is posted, voided or expires. The
-- sweeper finds the due ones by `expires_at`.
CREATE TABLE ledger_holds (
    transfer_id       uuid PRIMARY KEY REFERENCES ledger_transfers (id),
    debit_account_id  uuid NOT NULL,
    credit_account_id uuid NOT NULL,
    amount            bigint NOT NULL CHECK (amount > 0),
    expires_at        timestamptz NOT NULL
);
CREATE INDEX ledger_holds_due_idx ON ledger_holds (expires_at);

GRANT SELECT, INSERT, UPDATE ON ledger_accounts, ledger_requests TO quanyi_app;
GRANT SELECT, INSERT ON ledger_transfers, ledger_postings TO quanyi_app;
GRANT SELECT, INSERT, DELETE ON ledger_holds TO quanyi_app;
GRANT USAGE ON SEQUENCE ledger_transfers_seq_seq TO quanyi_app;

-- Points (BEN-5): who may see balances and move points. The demo planner holds them all, the
-- monitor sees balances; `quanyi seed` grants the same to a fresh bank.
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('planner', 'points:account:view'), ('planner', 'points:transfer:earn'),
               ('planner', 'points:transfer:spend'), ('planner', 'points:transfer:reverse'),
               ('monitor', 'points:account:view')) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
