-- 商户管理 → 商户入驻申请 (the reviewers' list of applications, with its 显示 button) and the
-- ESB's channels applying for applicants (`merchant.apply`, `merchant.application.query`).

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', 'merchant-applications', '商户入驻申请', 'Merchant applications',
       '/merchant/applications', 'merchant:application:view', 20
  FROM menus p WHERE p.key = 'merchant';

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', 'merchant-application-unmask', '显示', 'Show personal data',
       'pii:merchant:unmask', 10
  FROM menus p WHERE p.key = 'merchant-applications';

-- The demo's ESB consumers act as the planner: it may apply for a verified applicant and follow
-- the application; `quanyi seed` grants the same to a fresh bank.
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('planner', 'merchant:application:apply')) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;

-- the reviewers' list: by state and branch, newest submission first
CREATE INDEX onboarding_applications_submitted_idx
    ON onboarding_applications (submitted_at DESC, id) WHERE status <> 'draft';
