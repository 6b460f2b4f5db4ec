-- The bank's customers (issue 17; SEC-6, AML-4, INT-4). `customers` holds what every part of
-- Quanyi may read: the customer number (coupons, campaign lists and points accounts already key
-- by it), the org that serves the customer, a tier placeholder, the status, the opening date and
-- the pseudonymous id analytics and exports use — no personal data. The personal data lives apart,
-- in the schema `pii`, each field sealed (AES-256-GCM) under the personal-data key, which is not
-- the data key of the secrets; only activities/src/customers reads it. Nothing in the database
-- can open it: the keys live in the application's configuration.

CREATE TABLE customers (
    customer_no  text PRIMARY KEY CHECK (customer_no ~ '^[0-9A-Za-z]{6,32}$'),
    org_id       uuid NOT NULL REFERENCES orgs (id),
    -- 用户等级: a placeholder until the tiers are built
    tier         text CHECK (tier ~ '^[a-z0-9_]{1,32}$'),
    status       text NOT NULL CHECK (status IN ('active', 'dormant', 'closed')),
    opened_on    date,
    -- HMAC-SHA256 of the customer number under the mapping key (held apart), first 16 bytes in hex
    pseudonym    text NOT NULL UNIQUE CHECK (pseudonym ~ '^[0-9a-f]{32}$'),
    -- how the row last arrived: the daily extract ('import') or a single change ('esb')
    source       text NOT NULL CHECK (source IN ('import', 'esb')),
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL
);
CREATE INDEX customers_org_idx ON customers (org_id, customer_no);

CREATE SCHEMA pii;

-- 客户个人信息: one row per customer, each field sealed on its own and bound to the customer
-- number (a sealed value copied to another row does not open there). `phone_index` is a blind
-- index (HMAC-SHA256 of the phone number under a key derived from the personal-data key) for a
-- lookup by phone; `digest` an HMAC of the whole record, so a rerun of the same extract finds
-- the row unchanged without opening anything.
CREATE TABLE pii.customer_personal_data (
    customer_no       text PRIMARY KEY REFERENCES public.customers (customer_no) ON DELETE CASCADE,
    name_sealed       bytea,
    phone_sealed      bytea,
    id_number_sealed  bytea,
    cards_sealed      bytea,
    phone_index       bytea,
    digest            bytea NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE INDEX customer_personal_data_phone_idx ON pii.customer_personal_data (phone_index)
    WHERE phone_index IS NOT NULL;

GRANT USAGE ON SCHEMA pii TO quanyi_app;
GRANT SELECT, INSERT, UPDATE ON customers, pii.customer_personal_data TO quanyi_app;

-- 客户导入: one row per run of the daily extract, beside its batch log row; the report of the
-- refused lines by number and reason (never their content: it holds personal data).
CREATE TABLE customer_imports (
    batch_run_id  bigint PRIMARY KEY REFERENCES batch_runs (id),
    file_name     text NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    file_sha256   text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    total_rows    bigint NOT NULL,
    inserted      bigint NOT NULL,
    updated       bigint NOT NULL,
    unchanged     bigint NOT NULL,
    rejected      bigint NOT NULL,
    -- the first 1,000 refused lines: [{line, field, code, reason}]
    rejects       jsonb NOT NULL
);
GRANT SELECT, INSERT ON customer_imports TO quanyi_app;

ALTER TABLE batch_runs DROP CONSTRAINT batch_runs_job_check;
ALTER TABLE batch_runs ADD CONSTRAINT batch_runs_job_check
    CHECK (job IN ('housekeeping', 'audit_verify', 'customer_import'));

-- 客户管理: the customer list and its buttons.
INSERT INTO menus (kind, key, title_zh, title_en, route, permission, sort) VALUES
    ('menu', 'customer', '客户管理', 'Customers', NULL, NULL, 45);

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', 'customer-list', '客户信息', 'Customers', '/customer/list',
       'customer:customer:view', 10
  FROM menus p WHERE p.key = 'customer';

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', b.key, b.zh, b.en, b.permission, b.sort
  FROM (VALUES
    ('customer-import', '导入客户', 'Import customers', 'customer:customer:import', 10),
    ('customer-unmask', '显示', 'Show personal data', 'pii:customer:unmask', 20)
  ) AS b (key, zh, en, permission, sort), menus p
 WHERE p.key = 'customer-list';

-- Who may see customers, import them and see their personal data: the demo planner all of it,
-- the monitor the masked list; `quanyi seed` grants the same to a fresh bank.
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('planner', 'customer:customer:view'), ('planner', 'customer:customer:import'),
               ('planner', 'customer:customer:update'), ('planner', 'pii:customer:unmask'),
               ('monitor', 'customer:customer:view')) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
