-- 商户门户 (issue 16): a merchant's users sign in to the same admin UI and see the menu of their
-- kind: 我的商户 with their application (where the administrator asks to change the settlement
-- account), their stores, the coupons they may redeem, the till, their redemptions and cashiers.
-- A menu entry names its audience; the bank's 营销权益, 商户管理 and 系统管理 are the staff's, whatever
-- permissions a merchant's user shares with staff (核销记录, 核销).
ALTER TABLE menus ADD COLUMN audience text NOT NULL DEFAULT 'all'
    CHECK (audience IN ('all', 'staff', 'merchant', 'inspector'));
UPDATE menus SET audience = 'staff' WHERE key IN ('benefit', 'merchant', 'system');

INSERT INTO menus (kind, key, title_zh, title_en, route, permission, sort, audience) VALUES
    ('menu', 'merchant-portal', '我的商户', 'My merchant', NULL, NULL, 15, 'merchant');

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort, audience)
SELECT p.id, 'menu', m.key, m.zh, m.en, m.route, m.permission, m.sort, 'merchant'
  FROM (VALUES
    ('merchant-portal-application', '我的入驻申请', 'My application', '/merchant/portal/application', 'merchant:portal:view', 10),
    ('merchant-portal-stores', '门店', 'Stores', '/merchant/portal/stores', 'merchant:portal:view', 20),
    ('merchant-portal-benefits', '商户权益', 'Coupons to redeem', '/merchant/portal/benefits', 'merchant:portal:view', 30),
    ('merchant-portal-redeem', '核销', 'Redeem', '/benefit/redeem', 'benefit:coupon:redeem', 40),
    ('merchant-portal-redemptions', '核销记录', 'Redemptions', '/benefit/redemptions', 'benefit:redemption:view', 50)
  ) AS m (key, zh, en, route, permission, sort)
  JOIN menus p ON p.key = 'merchant-portal';

-- 商户用户 joins the portal
UPDATE menus SET parent_id = (SELECT id FROM menus WHERE key = 'merchant-portal'), sort = 60,
                 audience = 'merchant'
 WHERE key = 'merchant-users';

-- the portal's pages for a merchant's administrator; `quanyi seed` grants the same
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, 'merchant:portal:view' FROM roles r WHERE r.code = 'merchant_admin'
ON CONFLICT DO NOTHING;

