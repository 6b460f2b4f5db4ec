-- 积分规则 (BEN-5, issue 17, docs/ledger.md): the earning rules a transaction from the core is
-- evaluated against. A rule is a code, a status and its current version; every edit writes a new
-- version (never changes an old one), so an earning names the version that paid. A version says
-- which transactions it rewards (type, least amount, a merchant's only), how many points (fixed
-- points, points per unit of the amount, a multiplier in percent), the caps per customer (a day,
-- a month, Beijing time), its validity window, the campaign that pays, and who bears the points
-- (分摊): head office, a branch and a merchant by percentage, summing to 100.

CREATE TABLE point_rules (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{2,32}$'),
    version     integer NOT NULL CHECK (version >= 1),
    status      text NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);

CREATE TABLE point_rule_versions (
    rule_id         uuid NOT NULL REFERENCES point_rules (id),
    version         integer NOT NULL CHECK (version >= 1),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- card_spend, deposit, campaign_bonus, check_in, or any other type the core sends
    txn_type        text NOT NULL CHECK (txn_type ~ '^[a-z][a-z0-9_]{1,31}$'),
    min_amount_fen  bigint NOT NULL CHECK (min_amount_fen >= 0),
    fixed_points    bigint NOT NULL CHECK (fixed_points BETWEEN 0 AND 1000000000),
    points_per_unit bigint NOT NULL CHECK (points_per_unit BETWEEN 0 AND 1000000),
    unit_fen        bigint NOT NULL CHECK (unit_fen BETWEEN 1 AND 100000000),
    multiplier_pct  integer NOT NULL CHECK (multiplier_pct BETWEEN 1 AND 100000),
    daily_cap       bigint CHECK (daily_cap >= 1),
    monthly_cap     bigint CHECK (monthly_cap >= 1),
    valid_from      timestamptz NOT NULL,
    valid_to        timestamptz NOT NULL CHECK (valid_to > valid_from),
    campaign_id     uuid REFERENCES campaigns (id),
    hq_org_id       uuid REFERENCES orgs (id),
    hq_pct          integer NOT NULL CHECK (hq_pct BETWEEN 0 AND 100),
    branch_org_id   uuid REFERENCES orgs (id),
    branch_pct      integer NOT NULL CHECK (branch_pct BETWEEN 0 AND 100),
    -- a rule a merchant co-funds rewards that merchant's transactions only
    merchant_id     uuid REFERENCES merchants (id),
    merchant_pct    integer NOT NULL CHECK (merchant_pct BETWEEN 0 AND 100),
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    PRIMARY KEY (rule_id, version),
    CHECK (hq_pct + branch_pct + merchant_pct = 100),
    CHECK ((hq_pct = 0) = (hq_org_id IS NULL)),
    CHECK ((branch_pct = 0) = (branch_org_id IS NULL)),
    CHECK ((merchant_pct = 0) = (merchant_id IS NULL)),
    CHECK (fixed_points > 0 OR points_per_unit > 0)
);

-- One row per core transaction id: the first answer, so the same transaction twice earns once
-- (the same id with another body is refused).
CREATE TABLE point_transactions (
    txn_id        text PRIMARY KEY CHECK (txn_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    body_hash     bytea NOT NULL,
    customer_no   text NOT NULL,
    txn_type      text NOT NULL,
    amount_fen    bigint NOT NULL,
    occurred_at   timestamptz NOT NULL,
    points        bigint NOT NULL,
    answer        jsonb NOT NULL,
    actor         text NOT NULL,
    at            timestamptz NOT NULL
);
CREATE INDEX point_transactions_customer_idx ON point_transactions (customer_no, occurred_at);

-- What each rule paid for a transaction: the version, the campaign, the points, the ledger
-- transfers (one per funding party).
CREATE TABLE point_earnings (
    txn_id        text NOT NULL REFERENCES point_transactions (txn_id),
    rule_id       uuid NOT NULL,
    rule_version  integer NOT NULL,
    campaign_id   uuid,
    customer_no   text NOT NULL,
    -- what the rule would give, and what the caps let through
    computed      bigint NOT NULL,
    points        bigint NOT NULL CHECK (points >= 0),
    transfer_ids  uuid[] NOT NULL,
    at            timestamptz NOT NULL,
    PRIMARY KEY (txn_id, rule_id),
    FOREIGN KEY (rule_id, rule_version) REFERENCES point_rule_versions (rule_id, version)
);
CREATE INDEX point_earnings_rule_idx ON point_earnings (rule_id, at);

-- The caps' counters: points a rule gave a customer in a period ('D2026-12-07', 'M2026-12',
-- Beijing time), moved under the row's lock in the earning's transaction.
CREATE TABLE point_rule_counters (
    rule_id      uuid NOT NULL REFERENCES point_rules (id),
    customer_no  text NOT NULL,
    period       text NOT NULL CHECK (period ~ '^(D[0-9]{4}-[0-9]{2}-[0-9]{2}|M[0-9]{4}-[0-9]{2})$'),
    earned       bigint NOT NULL CHECK (earned >= 0),
    PRIMARY KEY (rule_id, customer_no, period)
);

GRANT SELECT, INSERT, UPDATE ON point_rules, point_rule_counters TO quanyi_app;
GRANT SELECT, INSERT ON point_rule_versions, point_transactions, point_earnings TO quanyi_app;

-- Who may read and keep the rules: the demo planner; the monitor reads them.
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('planner', 'points:rule:view'), ('planner', 'points:rule:manage'),
               ('planner', 'points:account:export'), ('monitor', 'points:rule:view'))
       AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
