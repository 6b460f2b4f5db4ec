-- 积分商城 I (issue 18 part A): the catalogue — categories (a tree), tags, products (SPU) with
-- their SKUs, navigation bars and banners on their own schedule, customer reviews and their
-- moderation — and the suppliers' listing requests, which the approval process
-- `listing-<request id>` settles. A product's columns and its SKUs are its live version (or its
-- draft, before it is first listed): a change to a listed product waits in its request as a
-- revision while the live version keeps selling, and replaces it only when approved.

-- 供应商: a merchant with the supplier role; its users keep their products in the portal.
-- Staff with benefit:merchant:manage set it (PUT /api/v1/benefits/merchants/{code}/supplier).
ALTER TABLE merchants ADD COLUMN is_supplier boolean NOT NULL DEFAULT false;

CREATE TABLE mall_categories (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9_-]{0,31}$'),
    parent_id   uuid REFERENCES mall_categories (id),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    sort        integer NOT NULL DEFAULT 0 CHECK (sort BETWEEN 0 AND 9999),
    status      text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'hidden')),
    created_at  timestamptz NOT NULL,
    CHECK (parent_id IS DISTINCT FROM id)
);
CREATE INDEX mall_categories_parent_idx ON mall_categories (parent_id, sort);

CREATE TABLE mall_tags (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 20),
    created_at  timestamptz NOT NULL
);

CREATE SEQUENCE business_no_sp_seq;
CREATE SEQUENCE business_no_sj_seq;
INSERT INTO business_number_series (prefix, object, sequence, label_zh, label_en) VALUES
    ('SP', 'product', 'business_no_sp_seq', '商品', 'Product'),
    ('SJ', 'listing', 'business_no_sj_seq', '商品上架/变更申请', 'Listing request');

CREATE TABLE products (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- 商品编号 SP…
    code         text NOT NULL UNIQUE CHECK (code ~ '^SP[0-9]{14,}$'),
    supplier_id  uuid NOT NULL REFERENCES merchants (id),
    category_id  uuid NOT NULL REFERENCES mall_categories (id),
    -- 草稿, 待审核, 已上架, 已下架
    status       text NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'pending', 'listed', 'delisted')),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    subtitle     text CHECK (length(subtitle) <= 200),
    -- sanitised on the server (ammonia) before it is stored
    description  text NOT NULL DEFAULT '' CHECK (length(description) <= 20000),
    -- file ids (images only), in the order shown
    images       uuid[] NOT NULL DEFAULT '{}' CHECK (cardinality(images) <= 9),
    tags         text[] NOT NULL DEFAULT '{}' CHECK (cardinality(tags) <= 10),
    -- the live version's number: each approved revision adds one
    version      integer NOT NULL DEFAULT 1,
    created_by   text NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    listed_at    timestamptz,
    delisted_at  timestamptz,
    -- a forced delist (by staff) says why
    delist_reason text CHECK (length(delist_reason) BETWEEN 1 AND 500)
);
CREATE INDEX products_supplier_idx ON products (supplier_id, created_at DESC);
CREATE INDEX products_listed_idx ON products (category_id, listed_at DESC) WHERE status = 'listed';

CREATE TABLE product_skus (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id        uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    code              text NOT NULL CHECK (code ~ '^[0-9A-Za-z_-]{1,32}$'),
    -- the specs, e.g. 颜色:红 尺寸:L
    spec              text NOT NULL CHECK (length(spec) BETWEEN 1 AND 100),
    -- the price: points, fen, or points + fen
    price_points      bigint NOT NULL CHECK (price_points BETWEEN 0 AND 100000000),
    price_fen         bigint NOT NULL CHECK (price_fen BETWEEN 0 AND 100000000),
    market_price_fen  bigint CHECK (market_price_fen BETWEEN 0 AND 100000000),
    stock             bigint NOT NULL DEFAULT 0 CHECK (stock BETWEEN 0 AND 1000000000),
    sort              integer NOT NULL DEFAULT 0,
    UNIQUE (product_id, code),
    CHECK (price_points > 0 OR price_fen > 0)
);

-- 上架/变更申请 (SJ…): one waits at a time per product
CREATE TABLE listing_requests (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code          text NOT NULL UNIQUE CHECK (code ~ '^SJ[0-9]{14,}$'),
    product_id    uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    -- list: first listing (审核, 复核); revise: a change to a listed product (text, images,
    -- specs, prices); restock: a stock increase above the threshold; delist: the supplier's own
    kind          text NOT NULL CHECK (kind IN ('list', 'revise', 'restock', 'delist')),
    -- revise: the version proposed, as the product and SKUs will read
    revision      jsonb,
    -- restock: which SKU and how much
    sku_id        uuid REFERENCES product_skus (id) ON DELETE CASCADE,
    quantity      bigint CHECK (quantity BETWEEN 1 AND 1000000000),
    reason        text CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by  text NOT NULL,
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'applied', 'rejected', 'withdrawn', 'failed')),
    decided_by    text,
    created_at    timestamptz NOT NULL,
    decided_at    timestamptz,
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((kind = 'revise') = (revision IS NOT NULL)),
    CHECK ((kind = 'restock') = (sku_id IS NOT NULL AND quantity IS NOT NULL))
);
CREATE UNIQUE INDEX listing_requests_pending_idx ON listing_requests (product_id)
    WHERE status = 'pending';
CREATE INDEX listing_requests_product_idx ON listing_requests (product_id, created_at DESC);

-- 价格修改历史: every approved price change, with who asked, who approved, when and why
CREATE TABLE product_price_history (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id    uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    sku_code      text NOT NULL,
    old_points    bigint,
    old_fen       bigint,
    new_points    bigint NOT NULL,
    new_fen       bigint NOT NULL,
    reason        text,
    requested_by  text NOT NULL,
    approved_by   text,
    request_id    uuid NOT NULL REFERENCES listing_requests (id) ON DELETE CASCADE,
    changed_at    timestamptz NOT NULL
);
CREATE INDEX product_price_history_product_idx ON product_price_history (product_id, changed_at DESC);

-- 导航栏 and 轮播图, each on its own schedule
CREATE TABLE mall_banners (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind        text NOT NULL CHECK (kind IN ('banner', 'nav')),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 50),
    image_id    uuid REFERENCES files (id),
    -- a path inside the mall (/h5/…) or an https address
    link        text CHECK (link ~ '^(/[^\s]*|https://[^\s]+)$' AND length(link) <= 500),
    sort        integer NOT NULL DEFAULT 0 CHECK (sort BETWEEN 0 AND 9999),
    starts_at   timestamptz NOT NULL,
    ends_at     timestamptz NOT NULL,
    enabled     boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX mall_banners_kind_idx ON mall_banners (kind, sort);

-- customers' reviews, shown once approved
CREATE TABLE product_reviews (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    product_id    uuid NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    customer_no   text NOT NULL,
    rating        smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    content       text NOT NULL CHECK (length(content) BETWEEN 1 AND 500),
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'hidden')),
    moderated_by  text,
    moderated_at  timestamptz,
    created_at    timestamptz NOT NULL
);
CREATE INDEX product_reviews_status_idx ON product_reviews (status, created_at DESC);
CREATE INDEX product_reviews_product_idx ON product_reviews (product_id, created_at DESC)
    WHERE status = 'approved';

GRANT SELECT, INSERT, UPDATE, DELETE ON mall_categories, mall_tags, products, product_skus,
    mall_banners TO quanyi_app;
GRANT SELECT, INSERT, UPDATE ON listing_requests, product_reviews TO quanyi_app;
GRANT SELECT, INSERT ON product_price_history TO quanyi_app;

-- first listing: 审核 then 复核; a change, a stock increase above the threshold or a delist: one
-- level. A category may have its own (审批策略, the variant is the category's code).
INSERT INTO approval_policies (process_type, variant, label, levels, updated_by) VALUES
    ('listing', '*', '商品上架审批', '[
        {"name": "审核", "role": "first_reviewer", "org_rule": "branch", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false},
        {"name": "复核", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false}
    ]', 'migration'),
    ('listing-change', '*', '商品变更审批', '[
        {"name": "变更审核", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false}
    ]', 'migration');

-- a supplier's administrator keeps its products; `quanyi seed` grants the same
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('merchant_admin', 'product:product:supply'),
               ('merchant_manager', 'product:product:view'),
               ('merchant_manager', 'product:catalogue:manage'),
               ('merchant_manager', 'listing:product:delist'),
               ('merchant_manager', 'product:review:moderate')) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
