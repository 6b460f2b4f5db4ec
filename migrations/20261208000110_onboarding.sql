-- 商户线上入驻 (WF-2): a prospective merchant applies online without a staff account. The applicant
-- proves a phone number with an SMS code (applicant_codes, throttled per phone and per address)
-- and gets a session bound to that phone (applicant_sessions, stored by hash); the application is
-- a draft until submitted, then the durable process merchant-onboarding-<id> carries it.
-- Provisioning's steps are recorded once each (onboarding_steps): the account check, the
-- merchant with its stores, the administrator and the SMS with the one-time password.

CREATE TABLE applicant_codes (
    id           bigserial PRIMARY KEY,
    phone        text NOT NULL CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    -- SHA-256 of the code: the code itself goes only into the SMS
    code_hash    text NOT NULL,
    ip           text NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    attempts     integer NOT NULL DEFAULT 0,
    used_at      timestamptz
);
CREATE INDEX applicant_codes_phone_idx ON applicant_codes (phone, created_at DESC);
CREATE INDEX applicant_codes_ip_idx ON applicant_codes (ip, created_at DESC);

CREATE TABLE applicant_sessions (
    token_hash   text PRIMARY KEY,
    phone        text NOT NULL CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX applicant_sessions_expiry_idx ON applicant_sessions (expires_at);

CREATE TABLE onboarding_applications (
    id                  uuid PRIMARY KEY,
    -- 申请编号 RZ…, issued when it is submitted
    code                text UNIQUE CHECK (code ~ '^RZ[0-9]{14,}$'),
    -- the applicant's verified phone: who may read and change the application
    phone               text NOT NULL CHECK (phone ~ '^1[3-9][0-9]{9}$'),
    status              text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'submitted')),
    -- the branch of the merchant's area
    org_id              uuid REFERENCES orgs (id),
    legal_name          text CHECK (length(legal_name) BETWEEN 1 AND 100),
    credit_code         text CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
    legal_rep           text CHECK (length(legal_rep) BETWEEN 1 AND 50),
    id_number           text CHECK (id_number ~ '^[0-9]{17}[0-9X]$'),
    contact_phone       text CHECK (contact_phone ~ '^1[3-9][0-9]{9}$'),
    business_category   text CHECK (length(business_category) BETWEEN 1 AND 50),
    address             text CHECK (length(address) BETWEEN 1 AND 200),
    -- [{"code": "S001", "name": "…", "address": "…"}]
    stores              jsonb NOT NULL DEFAULT '[]',
    bank_name           text CHECK (length(bank_name) BETWEEN 1 AND 100),
    account_name        text CHECK (length(account_name) BETWEEN 1 AND 100),
    account_no          text CHECK (account_no ~ '^[0-9]{8,32}$'),
    merchant_id         uuid REFERENCES merchants (id),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    submitted_at        timestamptz,
    CHECK (status = 'draft' OR (code IS NOT NULL AND submitted_at IS NOT NULL))
);
CREATE INDEX onboarding_applications_phone_idx ON onboarding_applications (phone);

ALTER TABLE files ADD CONSTRAINT files_owner_application_fk
    FOREIGN KEY (owner_application_id) REFERENCES onboarding_applications (id);

-- provisioning's steps, each recorded once: 'account_check', 'merchant', 'administrator'
CREATE TABLE onboarding_steps (
    application_id  uuid NOT NULL REFERENCES onboarding_applications (id),
    step            text NOT NULL CHECK (step IN ('account_check', 'merchant', 'administrator')),
    round           integer NOT NULL,
    result          jsonb NOT NULL,
    done_at         timestamptz NOT NULL,
    PRIMARY KEY (application_id, step, round)
);

CREATE SEQUENCE business_no_rz_seq;
INSERT INTO business_number_series (prefix, object, sequence, label_zh, label_en) VALUES
    ('RZ', 'merchant-onboarding', 'business_no_rz_seq', '商户入驻申请', 'Merchant application');

INSERT INTO approval_policies (process_type, variant, label, levels, updated_by) VALUES
    ('merchant-onboarding', '*', '商户入驻初审', '[
        {"name": "初审", "role": "first_reviewer", "org_rule": "branch", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": true}
    ]', 'migration'),
    ('merchant-onboarding-review', '*', '商户入驻复核', '[
        {"name": "复核", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false}
    ]', 'migration'),
    ('merchant-onboarding-exception', '*', '商户开户异常', '[
        {"name": "开户异常", "role": "second_reviewer", "org_rule": "head_office", "sla_seconds": 86400, "remind_before_seconds": 7200, "escalate": false}
    ]', 'migration');

INSERT INTO sms_templates (code, name, content, variables) VALUES
    ('QY_APPLICANT_CODE', '入驻验证码', '【权益平台】您的商户入驻验证码为${code}，5分钟内有效，请勿告诉他人。', '{code}'),
    ('QY_ONBOARDING', '入驻进度', '【权益平台】${text}', '{text}'),
    ('QY_MERCHANT_ADMIN', '商户管理员开通', '【权益平台】商户${merchant}已开通，管理员账号${username}，初始密码${password}，首次登录须修改密码。', '{merchant,username,password}');

-- who reads applications and their personal data: the reviewers; `quanyi seed` grants the same
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('first_reviewer', 'merchant:application:view'),
               ('second_reviewer', 'merchant:application:view'),
               ('second_reviewer', 'pii:merchant:unmask')) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
