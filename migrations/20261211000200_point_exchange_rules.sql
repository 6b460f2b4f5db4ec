-- 积分兑换规则 (BEN-5, issue 17, docs/ledger.md): the rate at which customers' points pay for what
-- they exchange them for (mall products or coupons), how much of a price points may pay, the caps,
-- and who bears the money value of the points spent (分摊 between head office, branch and
-- merchant, summing to 100, as the earning rules' shares). Kept beside the earning rules under
-- 积分规则 and their permissions; an edit is checked against the version the editor read and
-- audited with the terms before and after.

CREATE TABLE point_exchange_rules (
    id              uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{2,32}$'),
    version         integer NOT NULL CHECK (version >= 1),
    status          text NOT NULL CHECK (status IN ('active', 'disabled')),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- what the points pay for
    target          text NOT NULL CHECK (target IN ('mall_product', 'coupon')),
    -- how many points make one yuan of the price
    points_per_yuan bigint NOT NULL CHECK (points_per_yuan BETWEEN 1 AND 1000000),
    -- the most of a price (percent) points may pay; the rest is paid in cash
    max_pct         integer NOT NULL CHECK (max_pct BETWEEN 1 AND 100),
    -- the most points one exchange, and one customer in a Beijing day and month, may spend
    order_cap       bigint CHECK (order_cap >= 1),
    daily_cap       bigint CHECK (daily_cap >= 1),
    monthly_cap     bigint CHECK (monthly_cap >= 1),
    valid_from      timestamptz NOT NULL,
    valid_to        timestamptz NOT NULL CHECK (valid_to > valid_from),
    hq_org_id       uuid REFERENCES orgs (id),
    hq_pct          integer NOT NULL CHECK (hq_pct BETWEEN 0 AND 100),
    branch_org_id   uuid REFERENCES orgs (id),
    branch_pct      integer NOT NULL CHECK (branch_pct BETWEEN 0 AND 100),
    merchant_id     uuid REFERENCES merchants (id),
    merchant_pct    integer NOT NULL CHECK (merchant_pct BETWEEN 0 AND 100),
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_by      text NOT NULL,
    updated_at      timestamptz NOT NULL,
    CHECK (hq_pct + branch_pct + merchant_pct = 100),
    CHECK ((hq_pct > 0) = (hq_org_id IS NOT NULL)
       AND (branch_pct > 0) = (branch_org_id IS NOT NULL)
       AND (merchant_pct > 0) = (merchant_id IS NOT NULL))
);

GRANT SELECT, INSERT, UPDATE ON point_exchange_rules TO quanyi_app;
