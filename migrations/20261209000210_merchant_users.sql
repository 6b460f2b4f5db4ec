-- 商户用户 (issue 16): a merchant's administrator (role merchant_admin, given by onboarding's
-- provisioning) manages its cashiers (merchant_clerk): the menu 商户管理 › 商户用户, the SMS that
-- carry a cashier's one-time password (sealed in its outbox row, never in clear), and the
-- permission; `quanyi seed` creates the demo roles with the same grants.

INSERT INTO sms_templates (code, name, content, variables) VALUES
    ('QY_MERCHANT_CLERK', '商户收银员开通', '【权益平台】您已开通商户${merchant}的收银员账号${username}，初始密码${password}，首次登录须修改密码。', '{merchant,username,password}'),
    ('QY_MERCHANT_PASSWORD_RESET', '商户用户密码重置', '【权益平台】您的商户账号${username}密码已重置，临时密码${password}，登录后须修改密码。', '{username,password}');

INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('merchant_admin', 'merchant:user:manage'),
               ('merchant_admin', 'benefit:coupon:redeem'),
               ('merchant_admin', 'benefit:redemption:view')) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', 'merchant-users', '商户用户', 'Merchant users', '/merchant/users', 'merchant:user:manage', 30
  FROM menus p WHERE p.key = 'merchant';

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', b.key, b.zh, b.en, b.permission, b.sort
  FROM (VALUES
    ('merchant-users', 'merchant-user-create', '新增收银员', 'Add cashier', 'merchant:user:manage', 10),
    ('merchant-users', 'merchant-user-status', '停用/启用', 'Disable / enable', 'merchant:user:manage', 20),
    ('merchant-users', 'merchant-user-reset', '重置密码', 'Reset password', 'merchant:user:manage', 30)
  ) AS b (page, key, zh, en, permission, sort)
  JOIN menus p ON p.key = b.page;
