-- 商户停用/启用 (issue 16): staff ask to disable (with a reason) or enable a merchant; the request
-- waits for the one-level approval process merchant-status-<id>; approved, the merchant's status
-- changes in one transaction with its audit row. One request at a time per merchant.

CREATE TABLE merchant_status_requests (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- 申请编号 TY…
    code          text NOT NULL UNIQUE CHECK (code ~ '^TY[0-9]{14,}$'),
    merchant_id   uuid NOT NULL REFERENCES merchants (id),
    action        text NOT NULL CHECK (action IN ('disable', 'enable')),
    reason        text CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by  text NOT NULL,
    -- applied: the merchant's status changed
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'applied', 'rejected', 'withdrawn')),
    decided_by    text,
    created_at    timestamptz NOT NULL,
    decided_at    timestamptz,
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    -- a merchant is disabled for a stated reason
    CHECK (action = 'enable' OR reason IS NOT NULL)
);
CREATE UNIQUE INDEX merchant_status_requests_pending_idx ON merchant_status_requests (merchant_id)
    WHERE status = 'pending';
CREATE INDEX merchant_status_requests_merchant_idx ON merchant_status_requests (merchant_id, created_at DESC);

CREATE SEQUENCE business_no_ty_seq;
INSERT INTO business_number_series (prefix, object, sequence, label_zh, label_en) VALUES
    ('TY', 'merchant-status', 'business_no_ty_seq', '商户停用/启用申请', 'Merchant status request');

INSERT INTO approval_policies (process_type, variant, label, levels, updated_by) VALUES
    ('merchant-status', '*', '商户停用/启用审批', '[
        {"name": "停用/启用审批", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false}
    ]', 'migration');

-- the merchant page's button that starts it
INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', 'merchant-status', '停用/启用商户', 'Disable / enable merchant', 'benefit:merchant:manage', 20
  FROM menus p WHERE p.key = 'merchant-list';

-- a disabled merchant's user with the right password is refused a session, and the attempt logged
ALTER TABLE login_log DROP CONSTRAINT login_log_reason_check,
    ADD CONSTRAINT login_log_reason_check
        CHECK (reason IN ('ok', 'bad_credentials', 'locked', 'captcha', 'throttled', 'merchant_disabled'));
INSERT INTO dictionary_items (type_code, code, label_zh, label_en, sort) VALUES
    ('login_result', 'merchant_disabled', '商户已停用', 'Merchant disabled', 6);
