-- 巡查任务 (issue 16, WF-4): inspection plans, each with a Temporal Schedule (id
-- `plan-schedule-<plan id>`) whose rounds create the tasks of the plan's merchants once per
-- cycle; the tasks, each the durable process inspection-<task id>; the rectifications a finding
-- asks of a merchant.

-- the business category a plan may select merchants by (the onboarding application's)
ALTER TABLE merchants ADD COLUMN IF NOT EXISTS business_category text
    CHECK (length(business_category) BETWEEN 1 AND 50);

CREATE TABLE inspection_plans (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name              text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    -- its merchants: of this business category and/or within this org (and below); neither: all
    category          text CHECK (length(category) BETWEEN 1 AND 50),
    scope_org_id      uuid REFERENCES orgs (id),
    -- whose plan it is, for data scope: the creator's org
    owner_org_id      uuid NOT NULL REFERENCES orgs (id),
    cycle             text NOT NULL CHECK (cycle IN ('monthly', 'quarterly')),
    -- fire every so many seconds instead of the cycle's calendar (tests and demos); tasks are
    -- still created once per calendar cycle
    interval_seconds  integer CHECK (interval_seconds BETWEEN 5 AND 8000000),
    checklist         jsonb NOT NULL CHECK (jsonb_typeof(checklist) = 'array'),
    due_days          integer NOT NULL CHECK (due_days BETWEEN 1 AND 90),
    status            text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'paused')),
    created_by        text NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);

CREATE TABLE inspection_tasks (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- 巡查任务编号 XC…
    code            text NOT NULL UNIQUE CHECK (code ~ '^XC[0-9]{14,}$'),
    -- NULL: issued by hand
    plan_id         uuid REFERENCES inspection_plans (id) ON DELETE SET NULL,
    -- the plan's cycle: 2026-12 (monthly) or 2026-Q4 (quarterly)
    cycle           text CHECK (cycle ~ '^[0-9]{4}-(0[1-9]|1[0-2]|Q[1-4])$'),
    merchant_id     uuid NOT NULL REFERENCES merchants (id),
    -- the merchant's org when issued: the task's data scope
    org_id          uuid NOT NULL REFERENCES orgs (id),
    inspector_id    uuid REFERENCES users (id),
    checklist       jsonb NOT NULL CHECK (jsonb_typeof(checklist) = 'array'),
    due_at          timestamptz NOT NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'submitted', 'returned', 'confirmed', 'rectifying',
                                      'rectification_review', 'rectified', 'cancelled')),
    answers         jsonb,
    -- a finding marked serious: 停用商户 is offered
    serious         boolean NOT NULL DEFAULT false,
    submitted_by    text,
    submitted_at    timestamptz,
    return_reason   text,
    decided_by      text,
    decided_at      timestamptz,
    -- the process was started (a round starts its tasks' processes after creating them)
    started         boolean NOT NULL DEFAULT false,
    issued_by       text NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);
-- a schedule firing twice in a cycle creates nothing twice
CREATE UNIQUE INDEX inspection_tasks_cycle_idx ON inspection_tasks (plan_id, cycle, merchant_id)
    WHERE plan_id IS NOT NULL;
CREATE INDEX inspection_tasks_list_idx ON inspection_tasks (created_at DESC, id);
CREATE INDEX inspection_tasks_merchant_idx ON inspection_tasks (merchant_id, created_at DESC);
CREATE INDEX inspection_tasks_open_idx ON inspection_tasks (due_at)
    WHERE status IN ('pending', 'returned');

CREATE TABLE inspection_rectifications (
    task_id          uuid NOT NULL REFERENCES inspection_tasks (id),
    round            integer NOT NULL CHECK (round >= 1),
    requirement      text NOT NULL CHECK (length(requirement) BETWEEN 1 AND 500),
    deadline         timestamptz NOT NULL,
    status           text NOT NULL DEFAULT 'open'
                     CHECK (status IN ('open', 'answered', 'accepted', 'returned')),
    answer           text CHECK (length(answer) BETWEEN 1 AND 500),
    answer_files     jsonb NOT NULL DEFAULT '[]',
    answered_by      text,
    answered_at      timestamptz,
    decided_by       text,
    decided_at       timestamptz,
    decision_comment text,
    escalated_at     timestamptz,
    escalated_org    uuid REFERENCES orgs (id),
    requested_by     text,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (task_id, round)
);
CREATE INDEX inspection_rectifications_open_idx ON inspection_rectifications (deadline)
    WHERE status = 'open';

CREATE SEQUENCE business_no_xc_seq;
INSERT INTO business_number_series (prefix, object, sequence, label_zh, label_en) VALUES
    ('XC', 'inspection', 'business_no_xc_seq', '巡查任务', 'Inspection task');

-- the inspector's step: its SLA is replaced by each task's time to its due date; the reminder
-- goes out at most this long before it, and the superior org's inspectors may act once it passed
INSERT INTO approval_policies (process_type, variant, label, levels, updated_by) VALUES
    ('inspection', '*', '巡查执行', '[
        {"name": "巡查", "role": "inspector", "org_rule": "branch", "sla_seconds": 604800, "remind_before_seconds": 86400, "escalate": true}
    ]', 'migration'),
    ('inspection-review', '*', '巡查确认', '[
        {"name": "巡查确认", "role": "first_reviewer", "org_rule": "branch", "sla_seconds": 172800, "remind_before_seconds": 28800, "escalate": true}
    ]', 'migration'),
    ('inspection-rectification', '*', '整改验收', '[
        {"name": "整改验收", "role": "first_reviewer", "org_rule": "branch", "sla_seconds": 172800, "remind_before_seconds": 28800, "escalate": true}
    ]', 'migration');

INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('merchant_manager', 'merchant:inspection:view'),
               ('merchant_manager', 'merchant:inspection:manage'),
               ('merchant_manager', 'merchant:inspection:export'),
               ('first_reviewer', 'merchant:inspection:view'),
               ('second_reviewer', 'merchant:inspection:view'),
               ('monitor', 'merchant:inspection:view'),
               ('inspector', 'merchant:inspection:view'),
               ('inspector', 'merchant:inspection:execute'),
               ('merchant_admin', 'merchant:inspection:answer')) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', m.key, m.zh, m.en, m.route, m.permission, m.sort
  FROM (VALUES
    ('inspection-plans', '巡查计划', 'Inspection plans', '/merchant/inspection-plans', 'merchant:inspection:manage', 40),
    ('inspection-tasks', '巡查任务', 'Inspection tasks', '/merchant/inspection-tasks', 'merchant:inspection:view', 41),
    ('inspection-rectifications', '整改管理', 'Rectifications', '/merchant/rectifications', 'merchant:inspection:view', 42),
    ('merchant-inspections', '巡查结果/整改', 'Inspections & rectification', '/merchant/my-inspections', 'merchant:inspection:answer', 43)
  ) AS m (key, zh, en, route, permission, sort)
  JOIN menus p ON p.key = 'merchant';

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', b.key, b.zh, b.en, b.permission, b.sort
  FROM (VALUES
    ('inspection-plans', 'inspection-plan-edit', '新增/编辑/暂停计划', 'Add / edit / pause plans', 'merchant:inspection:manage', 10),
    ('inspection-tasks', 'inspection-task-issue', '下发巡查任务', 'Issue a task', 'merchant:inspection:manage', 10),
    ('inspection-tasks', 'inspection-task-export', '导出', 'Export', 'merchant:inspection:export', 20)
  ) AS b (page, key, zh, en, permission, sort)
  JOIN menus p ON p.key = b.page;
