-- Outbound (INT-1, INT-2): the notification outbox grows from e-mail to SMS, the enterprise-WeChat
-- group robot and ESB callbacks, with retries on a capped exponential backoff; SMS templates with
-- their variables; the ESB consumer a campaign plan came from, so its decision can be called back;
-- the log of every outbound HTTP call; and the two menus that show them.

ALTER TABLE notifications DROP CONSTRAINT notifications_channel_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_channel_check
    CHECK (channel IN ('email', 'sms', 'wechat', 'esb'));

-- 'retrying': tried and failed at least once, due again at next_attempt_at.
ALTER TABLE notifications DROP CONSTRAINT notifications_status_check;
UPDATE notifications SET status = 'retrying' WHERE status = 'pending' AND attempts > 0;
ALTER TABLE notifications ADD CONSTRAINT notifications_status_check
    CHECK (status IN ('pending', 'retrying', 'sent', 'failed'));

ALTER TABLE notifications
    -- what the notice is about: remind, escalate, submitter, transfer, password_reset, result
    ADD COLUMN kind            text NOT NULL DEFAULT 'notice' CHECK (kind ~ '^[a-z_]{1,32}$'),
    -- the process the notice belongs to, for the staff's search; NULL for account notices
    ADD COLUMN workflow_id     text CHECK (length(workflow_id) <= 100),
    -- SMS only: the template registered with the SMS platform and its variables
    ADD COLUMN template_code   text CHECK (template_code ~ '^[A-Z][A-Z0-9_]{2,31}$'),
    ADD COLUMN params          jsonb CHECK (params IS NULL OR jsonb_typeof(params) = 'object'),
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN updated_at      timestamptz,
    ADD CONSTRAINT notifications_sms_has_template
        CHECK ((channel = 'sms') = (template_code IS NOT NULL));
UPDATE notifications SET next_attempt_at = created_at, updated_at = coalesce(sent_at, created_at);
ALTER TABLE notifications ALTER COLUMN next_attempt_at SET NOT NULL;
ALTER TABLE notifications ALTER COLUMN updated_at SET NOT NULL;

DROP INDEX notifications_pending_idx;
CREATE INDEX notifications_due_idx ON notifications (channel, next_attempt_at)
    WHERE status IN ('pending', 'retrying');
CREATE INDEX notifications_created_idx ON notifications (created_at DESC);
CREATE INDEX notifications_workflow_idx ON notifications (workflow_id);

-- SMS templates as registered with the bank's SMS platform: the platform renders the text from
-- the code and the variables; we keep the text to validate the variables and to show the notice.
CREATE TABLE sms_templates (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{2,31}$'),
    name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 50),
    -- with ${var} placeholders, each one named in variables
    content     text NOT NULL CHECK (length(content) BETWEEN 1 AND 500),
    variables   text[] NOT NULL CHECK (cardinality(variables) <= 10),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT ON sms_templates TO quanyi_app;

INSERT INTO sms_templates (code, name, content, variables) VALUES
    ('QY_TASK_REMIND', '待办即将超时', '【权益平台】您的待办《${title}》即将超时，请尽快处理。', '{title}'),
    ('QY_TASK_ESCALATE', '待办已超时', '【权益平台】待办《${title}》已超时，请尽快处理。', '{title}'),
    ('QY_PROCESS_NOTICE', '流程通知', '【权益平台】${subject}，详情请登录权益平台查看。', '{subject}');

-- The ESB consumer a campaign plan came from (campaign.plan.submit), so its decision can be
-- called back to it.
CREATE TABLE esb_campaign_origins (
    campaign_id      uuid PRIMARY KEY REFERENCES campaigns (id),
    client_id        uuid NOT NULL REFERENCES api_clients (id),
    consumer_seq_no  text NOT NULL,
    created_at       timestamptz NOT NULL
);
GRANT SELECT, INSERT ON esb_campaign_origins TO quanyi_app;

-- Every outbound HTTP attempt (SMS platform, WeChat robot, ESB), bodies masked (SEC-6).
CREATE TABLE outbound_requests (
    id               bigserial PRIMARY KEY,
    at               timestamptz NOT NULL,
    target           text NOT NULL CHECK (target IN ('sms', 'wechat', 'esb')),
    -- what was called: sms.send, wechat.robot, or the ESB service code
    service          text NOT NULL CHECK (length(service) BETWEEN 1 AND 64),
    -- without its query string, which may carry a key
    url              text NOT NULL CHECK (length(url) <= 500),
    notification_id  bigint REFERENCES notifications (id) ON DELETE SET NULL,
    attempt          integer NOT NULL CHECK (attempt >= 1),
    http_status      integer,
    latency_ms       integer NOT NULL CHECK (latency_ms >= 0),
    outcome          text NOT NULL
        CHECK (outcome IN ('ok', 'refused', 'http_error', 'timeout', 'connect_error', 'circuit_open')),
    error            text CHECK (length(error) <= 500),
    request_excerpt  text CHECK (length(request_excerpt) <= 2000),
    response_excerpt text CHECK (length(response_excerpt) <= 2000)
);
CREATE INDEX outbound_requests_at_idx ON outbound_requests (at DESC);
CREATE INDEX outbound_requests_notification_idx ON outbound_requests (notification_id);
GRANT SELECT, INSERT ON outbound_requests TO quanyi_app;
GRANT USAGE ON SEQUENCE outbound_requests_id_seq TO quanyi_app;

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', m.key, m.zh, m.en, m.route, m.permission, m.sort
  FROM (VALUES
    ('system', 'system-notifications', '通知记录', 'Notifications', '/system/notifications', 'system:notification:view', 110),
    ('esb', 'esb-outbound', '外呼日志', 'Outbound log', '/esb/outbound', 'esb:outbound:view', 40)
  ) AS m (parent, key, zh, en, route, permission, sort)
  JOIN menus p ON p.key = m.parent;

-- The demo roles of an existing installation get the new permissions the demo seed grants.
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES
    ('admin', 'system:notification:view'), ('admin', 'esb:outbound:view'),
    ('monitor', 'system:notification:view'), ('monitor', 'esb:outbound:view')
  ) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
