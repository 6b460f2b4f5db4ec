-- 结算账户变更 (issue 16): a merchant's administrator (or staff) asks to change the merchant's
-- settlement account; one approval, then the core banking system's check as onboarding's (once a
-- round, recorded); the new account replaces the old only when checked. A merchant's account is
-- the one its onboarding checked until a change puts another in merchant_settlement_accounts.

CREATE TABLE settlement_account_changes (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- 申请编号 ZH…
    code          text NOT NULL UNIQUE CHECK (code ~ '^ZH[0-9]{14,}$'),
    merchant_id   uuid NOT NULL REFERENCES merchants (id),
    bank_name     text NOT NULL CHECK (length(bank_name) BETWEEN 1 AND 100),
    account_name  text NOT NULL CHECK (length(account_name) BETWEEN 1 AND 100),
    account_no    text NOT NULL CHECK (account_no ~ '^[0-9]{8,32}$'),
    reason        text CHECK (length(reason) BETWEEN 1 AND 500),
    requested_by  text NOT NULL,
    -- applied: checked by the core and in place
    status        text NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'applied', 'rejected', 'withdrawn')),
    decided_by    text,
    created_at    timestamptz NOT NULL,
    decided_at    timestamptz,
    CHECK ((status = 'pending') = (decided_at IS NULL))
);
CREATE UNIQUE INDEX settlement_account_changes_pending_idx ON settlement_account_changes (merchant_id)
    WHERE status = 'pending';

-- the core's answer, once per round of a change (a handled exception checks again)
CREATE TABLE settlement_account_checks (
    change_id   uuid NOT NULL REFERENCES settlement_account_changes (id),
    round       integer NOT NULL,
    result      jsonb NOT NULL,
    checked_at  timestamptz NOT NULL,
    PRIMARY KEY (change_id, round)
);

CREATE TABLE merchant_settlement_accounts (
    merchant_id   uuid PRIMARY KEY REFERENCES merchants (id),
    bank_name     text NOT NULL,
    account_name  text NOT NULL,
    account_no    text NOT NULL CHECK (account_no ~ '^[0-9]{8,32}$'),
    -- the change that put it in place
    change_id     uuid NOT NULL REFERENCES settlement_account_changes (id),
    updated_at    timestamptz NOT NULL
);

CREATE SEQUENCE business_no_zh_seq;
INSERT INTO business_number_series (prefix, object, sequence, label_zh, label_en) VALUES
    ('ZH', 'settlement-account-change', 'business_no_zh_seq', '结算账户变更申请', 'Settlement account change');

INSERT INTO approval_policies (process_type, variant, label, levels, updated_by) VALUES
    ('settlement-account-change', '*', '结算账户变更审批', '[
        {"name": "账户变更审批", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false}
    ]', 'migration'),
    ('settlement-account-change-exception', '*', '结算账户核验异常', '[
        {"name": "账户核验异常", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false}
    ]', 'migration');

-- a merchant's administrator asks for the change; `quanyi seed` grants the same
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, 'merchant:settlement:request' FROM roles r WHERE r.code = 'merchant_admin'
ON CONFLICT DO NOTHING;

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', 'merchant-account-change', '变更结算账户', 'Change settlement account', 'benefit:merchant:manage', 30
  FROM menus p WHERE p.key = 'merchant-list';
