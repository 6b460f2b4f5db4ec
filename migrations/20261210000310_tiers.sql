-- 用户等级体系 (BEN-6, issue 17, docs/ledger.md): tiers with an entry rule (points earned in the
-- last 12 months; the core's extract has no assets column, so no assets rule yet), evaluated on
-- each earning (up only) and by the nightly run (`tier_evaluation`, up and down); 等级权益, the
-- coupon templates a tier grants on upgrade through the claim path, once per customer and tier;
-- 升级任务, a count of qualifying transactions in a month that reaches a tier for 12 months.

CREATE TABLE tiers (
    id            uuid PRIMARY KEY,
    code          text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_]{1,32}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    -- higher is better; the customer's tier is the highest whose rule they meet
    rank          integer NOT NULL UNIQUE CHECK (rank BETWEEN 1 AND 100),
    min_points_12m bigint NOT NULL CHECK (min_points_12m >= 0),
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- 等级权益: what a tier grants on upgrade.
CREATE TABLE tier_benefits (
    tier_id      uuid NOT NULL REFERENCES tiers (id) ON DELETE CASCADE,
    template_id  uuid NOT NULL REFERENCES coupon_templates (id),
    PRIMARY KEY (tier_id, template_id)
);

-- A customer's tier (keyed by customer number, as the points account is: a customer the extract
-- has not brought yet still earns and climbs). `customers.tier` mirrors the code.
CREATE TABLE customer_tiers (
    customer_no   text PRIMARY KEY CHECK (customer_no ~ '^[0-9A-Za-z]{6,32}$'),
    tier_id       uuid REFERENCES tiers (id),
    since         timestamptz NOT NULL,
    earned_12m    bigint NOT NULL,
    evaluated_at  timestamptz NOT NULL
);

-- 等级变动: the tier history; a downgrade names the notice it queued (none without a phone on
-- file or SMS configured).
CREATE TABLE tier_changes (
    id                bigserial PRIMARY KEY,
    customer_no       text NOT NULL,
    from_tier_id      uuid REFERENCES tiers (id),
    to_tier_id        uuid REFERENCES tiers (id),
    direction         text NOT NULL CHECK (direction IN ('up', 'down')),
    -- 'earning' (evaluated after a transaction), 'nightly', 'task'
    cause             text NOT NULL CHECK (cause IN ('earning', 'nightly', 'task')),
    earned_12m        bigint NOT NULL,
    notification_key  text,
    at                timestamptz NOT NULL
);
CREATE INDEX tier_changes_customer_idx ON tier_changes (customer_no, id DESC);

-- Each benefit granted: the coupon, or why not, once per (customer, tier, template) — the claim's
-- request id is derived from the three, so a repeat gets the first answer.
CREATE TABLE tier_benefit_grants (
    customer_no  text NOT NULL,
    tier_id      uuid NOT NULL REFERENCES tiers (id),
    template_id  uuid NOT NULL REFERENCES coupon_templates (id),
    coupon_code  text,
    refusal      text,
    at           timestamptz NOT NULL,
    PRIMARY KEY (customer_no, tier_id, template_id),
    CHECK ((coupon_code IS NULL) <> (refusal IS NULL))
);

-- 升级任务: e.g. three card spends in a month reach 金卡 for 12 months.
CREATE TABLE upgrade_tasks (
    id              uuid PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9_-]{2,32}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    txn_type        text NOT NULL CHECK (txn_type ~ '^[a-z][a-z0-9_]{1,31}$'),
    min_amount_fen  bigint NOT NULL CHECK (min_amount_fen >= 0),
    required_count  integer NOT NULL CHECK (required_count BETWEEN 1 AND 1000),
    tier_id         uuid NOT NULL REFERENCES tiers (id),
    status          text NOT NULL CHECK (status IN ('active', 'disabled')),
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- A customer's progress in a task for a month ('2026-12', Beijing time), counted in the
-- earning's transaction (a transaction id counts once).
CREATE TABLE upgrade_task_progress (
    task_id       uuid NOT NULL REFERENCES upgrade_tasks (id),
    customer_no   text NOT NULL,
    period        text NOT NULL CHECK (period ~ '^[0-9]{4}-[0-9]{2}$'),
    done          integer NOT NULL CHECK (done >= 0),
    completed_at  timestamptz,
    PRIMARY KEY (task_id, customer_no, period)
);
CREATE INDEX upgrade_task_progress_customer_idx ON upgrade_task_progress (customer_no, period);

GRANT SELECT, INSERT, UPDATE, DELETE ON tiers, tier_benefits TO quanyi_app;
GRANT SELECT, INSERT, UPDATE ON customer_tiers, upgrade_tasks, upgrade_task_progress,
    tier_benefit_grants TO quanyi_app;
GRANT SELECT, INSERT ON tier_changes TO quanyi_app;
GRANT USAGE ON SEQUENCE tier_changes_id_seq TO quanyi_app;

-- The internal client the tier benefits are claimed through: disabled, so it never signs a
-- request; its secret is a placeholder that opens nothing.
INSERT INTO api_clients (code, name, kind, secret, status)
VALUES ('quanyi-tiers', '等级权益（内部）', 'channel', '\x00'::bytea, 'disabled')
ON CONFLICT (code) DO NOTHING;

-- the nightly evaluation in the batch log
ALTER TABLE batch_runs DROP CONSTRAINT batch_runs_job_check;
ALTER TABLE batch_runs ADD CONSTRAINT batch_runs_job_check
    CHECK (job IN ('housekeeping', 'audit_verify', 'customer_import', 'points_expiry',
                   'points_reminder', 'tier_evaluation'));

INSERT INTO sms_templates (code, name, content, variables) VALUES
    ('QY_TIER_DOWNGRADE', '等级调整通知',
     '【权益平台】尊敬的客户，您的会员等级已由${from}调整为${to}，近 12 个月累计积分 ${points}。', '{from,to,points}');

INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('planner', 'tier:tier:view'), ('planner', 'tier:tier:manage'),
               ('monitor', 'tier:tier:view')) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
