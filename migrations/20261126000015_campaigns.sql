-- 营销活动 (MKT-3) as the first durable process: the campaign, its benefit rules and customer list,
-- its evaluation snapshot; the approval policies every process's approval step reads (WF-7); the
-- inbox columns the approval step keeps on its tasks; and the menus of 营销中心 and 流程中心.

CREATE SEQUENCE campaign_code_seq;

CREATE TABLE campaigns (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- HD + Beijing date + a sequence number, e.g. HD20261126000001
    code                   text NOT NULL UNIQUE CHECK (code ~ '^HD[0-9]{14}$'),
    name                   text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    type                   text NOT NULL CHECK (type IN ('grant', 'lottery', 'seckill')),
    org_id                 uuid NOT NULL REFERENCES orgs (id),
    channels               text[] NOT NULL CHECK (cardinality(channels) BETWEEN 1 AND 5),
    start_at               timestamptz NOT NULL,
    end_at                 timestamptz NOT NULL,
    -- the whole budget in fen; the rules share it
    budget_fen             bigint NOT NULL CHECK (budget_fen > 0),
    success_criteria       text NOT NULL DEFAULT '' CHECK (length(success_criteria) <= 500),
    description            text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    customers_total        integer NOT NULL DEFAULT 0 CHECK (customers_total >= 0),
    customers_uploaded_at  timestamptz,
    customers_uploaded_by  text,
    created_by             text NOT NULL,
    created_at             timestamptz NOT NULL,
    updated_at             timestamptz NOT NULL,
    CHECK (end_at > start_at)
);
CREATE INDEX campaigns_org_idx ON campaigns (org_id);
CREATE INDEX campaigns_start_idx ON campaigns (start_at);

-- 权益规则: a share of the budget, and the coupon template it hands out when there is one.
CREATE TABLE campaign_rules (
    campaign_id    uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    seq            smallint NOT NULL CHECK (seq BETWEEN 1 AND 20),
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    budget_fen     bigint NOT NULL CHECK (budget_fen > 0),
    template_code  text REFERENCES coupon_templates (code),
    PRIMARY KEY (campaign_id, seq)
);

-- 活动名单: up to millions of rows, loaded with COPY; a customer is in a list once.
CREATE TABLE campaign_customers (
    campaign_id  uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    customer_no  text NOT NULL CHECK (customer_no ~ '^[0-9A-Za-z]{6,32}$'),
    PRIMARY KEY (campaign_id, customer_no)
);
-- channel delivery looks a customer's campaigns up
CREATE INDEX campaign_customers_customer_idx ON campaign_customers (customer_no);

-- The metrics snapshot the evaluation step records once, when the campaign has ended.
CREATE TABLE campaign_evaluations (
    campaign_id  uuid PRIMARY KEY REFERENCES campaigns (id),
    customers    integer NOT NULL,
    claims       bigint NOT NULL,
    redemptions  bigint NOT NULL,
    budget_fen   bigint NOT NULL,
    recorded_at  timestamptz NOT NULL
);

-- The approval step's policy per process type and variant ('*' or a campaign type): the ordered
-- levels, each {name, role, org_rule, sla_seconds, remind_before_seconds, escalate}. A process
-- copies the policy into its input when it starts and keeps it to the end.
CREATE TABLE approval_policies (
    process_type  text NOT NULL,
    variant       text NOT NULL CHECK (variant IN ('*', 'grant', 'lottery', 'seckill')),
    label         text NOT NULL,
    levels        jsonb NOT NULL CHECK (jsonb_typeof(levels) = 'array' AND jsonb_array_length(levels) BETWEEN 1 AND 5),
    updated_by    text NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (process_type, variant)
);

INSERT INTO approval_policies (process_type, variant, label, levels, updated_by) VALUES
    ('campaign', '*', '营销活动审批', '[
        {"name": "初审", "role": "first_reviewer", "org_rule": "branch", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": true},
        {"name": "复核", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false}
    ]', 'migration'),
    ('campaign-change', '*', '活动变更审批', '[
        {"name": "变更审批", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 28800, "remind_before_seconds": 3600, "escalate": false}
    ]', 'migration');

ALTER TABLE process_instances
    ADD COLUMN title text CHECK (length(title) <= 200);

ALTER TABLE tasks
    ADD COLUMN title        text CHECK (length(title) <= 200),
    ADD COLUMN level_name   text CHECK (length(level_name) <= 50),
    -- set once each by the SLA timers
    ADD COLUMN reminded_at  timestamptz,
    ADD COLUMN escalated_at timestamptz,
    -- escalation may let the superior org's holders of the role act too
    ADD COLUMN escalated_org uuid REFERENCES orgs (id);
CREATE INDEX tasks_decided_by_idx ON tasks (decided_by) WHERE decided_by IS NOT NULL;
CREATE INDEX tasks_workflow_idx ON tasks (workflow_id);
CREATE INDEX process_instances_started_by_idx ON process_instances (started_by);

GRANT SELECT, INSERT, UPDATE, DELETE ON campaigns, campaign_rules, campaign_customers TO quanyi_app;
GRANT SELECT, INSERT ON campaign_evaluations TO quanyi_app;
GRANT SELECT, INSERT, UPDATE ON approval_policies TO quanyi_app;
GRANT USAGE ON SEQUENCE campaign_code_seq TO quanyi_app;

INSERT INTO menus (kind, key, title_zh, title_en, route, permission, sort) VALUES
    ('menu', 'process', '流程中心', 'Processes', NULL, NULL, 20),
    ('menu', 'campaign', '营销中心', 'Campaigns', NULL, NULL, 30);

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', m.key, m.zh, m.en, m.route, m.permission, m.sort
  FROM (VALUES
    ('process', 'process-tasks', '代办任务', 'My tasks', '/tasks', 'task:task:view', 10),
    ('process', 'process-monitor', '流程监控', 'Process monitor', '/processes', 'process:instance:view', 20),
    ('process', 'process-policies', '审批策略', 'Approval policies', '/processes/policies', 'process:policy:view', 30),
    ('campaign', 'campaign-list', '营销活动查询', 'Campaigns', '/campaign/list', 'campaign:campaign:view', 10),
    ('campaign', 'campaign-review', '营销活动审核', 'Campaign review', '/campaign/review', 'task:task:view', 20)
  ) AS m (parent, key, zh, en, route, permission, sort)
  JOIN menus p ON p.key = m.parent;

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', b.key, b.zh, b.en, b.permission, b.sort
  FROM (VALUES
    ('campaign-list', 'campaign-create', '新建活动', 'Create campaign', 'campaign:campaign:create', 10),
    ('process-policies', 'policy-update', '修改策略', 'Edit policy', 'process:policy:update', 10)
  ) AS b (page, key, zh, en, permission, sort)
  JOIN menus p ON p.key = b.page;

-- The demo roles of an existing installation get the new permissions the demo seed grants.
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES
    ('planner', 'campaign:campaign:view'), ('planner', 'campaign:campaign:create'),
    ('planner', 'campaign:campaign:update'), ('planner', 'campaign:campaign:submit'),
    ('planner', 'campaign:campaign:operate'), ('planner', 'task:task:view'),
    ('first_reviewer', 'campaign:campaign:view'), ('first_reviewer', 'task:task:view'),
    ('first_reviewer', 'task:task:approve'),
    ('second_reviewer', 'campaign:campaign:view'), ('second_reviewer', 'task:task:view'),
    ('second_reviewer', 'task:task:approve'),
    ('monitor', 'campaign:campaign:view'), ('monitor', 'process:instance:view'),
    ('monitor', 'process:policy:view'),
    ('admin', 'process:policy:view'), ('admin', 'process:policy:update')
  ) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
