-- The benefits core (BEN-1..4): merchants and their stores (the onboarding issue extends them),
-- registered channel and merchant-system clients, benefit items and coupon templates, stock kept
-- in shards, coupons, the stock ledger, redemptions. Money is integer fen everywhere.

CREATE TABLE merchants (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_-]{1,32}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    org_id      uuid NOT NULL REFERENCES orgs (id),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stores (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    merchant_id  uuid NOT NULL REFERENCES merchants (id),
    code         text NOT NULL CHECK (code ~ '^[0-9A-Za-z_-]{1,32}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    UNIQUE (merchant_id, code)
);

-- Merchant staff sign in as users of kind 'merchant', bound to their merchant.
ALTER TABLE users ADD COLUMN merchant_id uuid REFERENCES merchants (id);

-- Channels and merchant systems calling the signed API (docs/channel-api.md).
CREATE TABLE api_clients (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code         text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_-]{2,31}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind         text NOT NULL CHECK (kind IN ('channel', 'merchant')),
    merchant_id  uuid REFERENCES merchants (id),
    -- AES-256-GCM of the 32-byte signing secret under the data key
    secret       bytea NOT NULL,
    status       text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'merchant') = (merchant_id IS NOT NULL))
);

-- Nonces seen in the last minutes: a signed request is accepted once.
CREATE TABLE api_nonces (
    client_id  uuid NOT NULL REFERENCES api_clients (id),
    nonce      text NOT NULL,
    seen_at    timestamptz NOT NULL,
    PRIMARY KEY (client_id, nonce)
);
CREATE INDEX api_nonces_seen_idx ON api_nonces (seen_at);

CREATE TABLE benefit_items (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_-]{1,32}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE coupon_templates (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code             text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Za-z_-]{1,40}$'),
    item_id          uuid REFERENCES benefit_items (id),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- threshold 满减, discount 折扣, cash 代金券, physical 实物
    kind             text NOT NULL CHECK (kind IN ('threshold', 'discount', 'cash', 'physical')),
    face_value       bigint NOT NULL CHECK (face_value BETWEEN 0 AND 1000000000000),
    threshold        bigint NOT NULL DEFAULT 0 CHECK (threshold BETWEEN 0 AND 1000000000000),
    -- discount: the share paid, in per mille (850 = 8.5 折); others: null
    discount_permille integer CHECK (discount_permille BETWEEN 1 AND 999),
    -- the claim window
    claim_from       timestamptz NOT NULL,
    claim_to         timestamptz NOT NULL CHECK (claim_to > claim_from),
    -- validity: a fixed window, or N days from the claim
    valid_from       timestamptz,
    valid_to         timestamptz,
    valid_days       integer CHECK (valid_days BETWEEN 1 AND 3660),
    initial_stock    bigint NOT NULL CHECK (initial_stock BETWEEN 0 AND 1000000000),
    shards           integer NOT NULL DEFAULT 1 CHECK (shards BETWEEN 1 AND 64),
    limit_per_day    integer CHECK (limit_per_day BETWEEN 1 AND 1000),
    limit_total      integer CHECK (limit_total BETWEEN 1 AND 10000),
    status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'withdrawn')),
    org_id           uuid NOT NULL REFERENCES orgs (id),
    created_by       uuid REFERENCES users (id),
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK ((valid_days IS NULL) = (valid_from IS NOT NULL AND valid_to IS NOT NULL)),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    CHECK ((kind = 'discount') = (discount_permille IS NOT NULL))
);

-- Merchants (and optionally single stores) where a template may be redeemed; none = any merchant.
CREATE TABLE template_merchants (
    template_id  uuid NOT NULL REFERENCES coupon_templates (id) ON DELETE CASCADE,
    merchant_id  uuid NOT NULL REFERENCES merchants (id),
    PRIMARY KEY (template_id, merchant_id)
);

-- Stock in shards: a hot template's claims spread over several rows instead of queueing on one.
CREATE TABLE stock_shards (
    template_id  uuid NOT NULL REFERENCES coupon_templates (id),
    shard        integer NOT NULL CHECK (shard >= 0),
    remaining    bigint NOT NULL CHECK (remaining >= 0),
    PRIMARY KEY (template_id, shard)
);

CREATE TABLE coupons (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code         text NOT NULL UNIQUE CHECK (code ~ '^[0-9A-Z]{16}$'),
    template_id  uuid NOT NULL REFERENCES coupon_templates (id),
    customer_no  text NOT NULL CHECK (customer_no ~ '^[0-9A-Za-z]{6,32}$'),
    client_id    uuid NOT NULL REFERENCES api_clients (id),
    campaign_id  uuid,
    status       text NOT NULL DEFAULT 'unused' CHECK (status IN ('unused', 'used', 'withdrawn')),
    claimed_at   timestamptz NOT NULL,
    valid_from   timestamptz NOT NULL,
    valid_to     timestamptz NOT NULL
);
CREATE INDEX coupons_template_idx ON coupons (template_id, claimed_at);
CREATE INDEX coupons_customer_idx ON coupons (customer_no, claimed_at);
CREATE INDEX coupons_campaign_idx ON coupons (campaign_id) WHERE campaign_id IS NOT NULL;

-- Per-customer claim counters ('total', or a Beijing-time day 'YYYY-MM-DD'): a conditional
-- increment keeps the limit under concurrency.
CREATE TABLE customer_claims (
    template_id  uuid NOT NULL REFERENCES coupon_templates (id),
    customer_no  text NOT NULL,
    period       text NOT NULL,
    claimed      integer NOT NULL CHECK (claimed >= 0),
    PRIMARY KEY (template_id, customer_no, period)
);

-- Each claim request's first answer, by (client, request id): a repeat gets it back unchanged.
CREATE TABLE claim_requests (
    client_id    uuid NOT NULL REFERENCES api_clients (id),
    request_id   text NOT NULL CHECK (request_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    body_hash    bytea NOT NULL,
    -- reserved before the coupon is written, in the same transaction
    coupon_id    uuid REFERENCES coupons (id) DEFERRABLE INITIALLY DEFERRED,
    refusal      text,
    at           timestamptz NOT NULL,
    PRIMARY KEY (client_id, request_id),
    CHECK ((coupon_id IS NULL) <> (refusal IS NULL))
);

-- The stock ledger: every change of stock, signed. initial + increases − claims − withdrawals
-- equals what the shards hold (`quanyi audit stock`).
CREATE TABLE stock_movements (
    id           bigserial PRIMARY KEY,
    template_id  uuid NOT NULL REFERENCES coupon_templates (id),
    kind         text NOT NULL CHECK (kind IN ('initial', 'increase', 'claim', 'withdraw')),
    quantity     bigint NOT NULL,
    coupon_id    uuid REFERENCES coupons (id),
    by_user      uuid REFERENCES users (id),
    at           timestamptz NOT NULL,
    CHECK ((kind = 'claim') = (coupon_id IS NOT NULL)),
    CHECK (CASE kind WHEN 'claim' THEN quantity = -1 WHEN 'withdraw' THEN quantity < 0 ELSE quantity >= 0 END)
);
CREATE INDEX stock_movements_template_idx ON stock_movements (template_id, at);

CREATE TABLE redemptions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    coupon_id        uuid NOT NULL REFERENCES coupons (id),
    merchant_id      uuid NOT NULL REFERENCES merchants (id),
    store_id         uuid NOT NULL REFERENCES stores (id),
    client_id        uuid REFERENCES api_clients (id),
    by_user          uuid REFERENCES users (id),
    request_id       text NOT NULL CHECK (request_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    order_amount     bigint NOT NULL CHECK (order_amount BETWEEN 1 AND 1000000000000),
    discount         bigint NOT NULL CHECK (discount >= 0),
    order_ref        text NOT NULL CHECK (length(order_ref) BETWEEN 1 AND 64),
    redeemed_at      timestamptz NOT NULL,
    reversed_at      timestamptz,
    UNIQUE (merchant_id, request_id)
);
-- A coupon is redeemed at most once at a time (a reversal frees it).
CREATE UNIQUE INDEX redemptions_live_idx ON redemptions (coupon_id) WHERE reversed_at IS NULL;

GRANT SELECT, INSERT, UPDATE ON merchants, stores, api_clients, benefit_items, coupon_templates,
    stock_shards, coupons, customer_claims, claim_requests, redemptions TO quanyi_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON api_nonces, template_merchants TO quanyi_app;
GRANT SELECT, INSERT ON stock_movements TO quanyi_app;
GRANT USAGE ON SEQUENCE stock_movements_id_seq TO quanyi_app;
