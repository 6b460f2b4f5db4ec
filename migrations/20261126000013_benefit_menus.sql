-- The 营销权益 menu (UI.md) and 商户管理 → 商户信息, with the buttons their pages gate.

INSERT INTO menus (kind, key, title_zh, title_en, route, permission, sort) VALUES
    ('menu', 'benefit', '营销权益', 'Benefits', NULL, NULL, 40),
    ('menu', 'merchant', '商户管理', 'Merchants', NULL, NULL, 50);

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', m.key, m.zh, m.en, m.route, m.permission, m.sort
  FROM (VALUES
    ('benefit', 'benefit-templates', '权益信息查询', 'Coupon templates', '/benefit/templates', 'benefit:template:view', 10),
    ('benefit', 'benefit-stock', '权益库存变动查询', 'Stock movements', '/benefit/stock', 'benefit:stock:view', 20),
    ('benefit', 'benefit-coupons', '权益发放明细查询', 'Coupons handed out', '/benefit/coupons', 'benefit:coupon:view', 30),
    ('benefit', 'benefit-redemptions', '核销记录', 'Redemptions', '/benefit/redemptions', 'benefit:redemption:view', 40),
    ('benefit', 'benefit-redeem', '核销', 'Redeem', '/benefit/redeem', 'benefit:coupon:redeem', 50),
    ('merchant', 'merchant-list', '商户信息', 'Merchants', '/merchant/list', 'benefit:merchant:manage', 10)
  ) AS m (parent, key, zh, en, route, permission, sort)
  JOIN menus p ON p.key = m.parent;

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', b.key, b.zh, b.en, b.permission, b.sort
  FROM (VALUES
    ('benefit-templates', 'template-create', '新建优惠券', 'Create template', 'benefit:template:create', 10),
    ('benefit-templates', 'template-status', '上架/下架', 'Activate / withdraw', 'benefit:template:update', 20),
    ('benefit-templates', 'stock-update', '增加/收回库存', 'Add / withdraw stock', 'benefit:stock:update', 30),
    ('benefit-templates', 'coupon-withdraw', '收回未使用的券', 'Withdraw unused coupons', 'benefit:coupon:withdraw', 40),
    ('benefit-coupons', 'coupon-export', '导出', 'Export', 'benefit:coupon:export', 10),
    ('merchant-list', 'merchant-create', '新增商户', 'Add merchant', 'benefit:merchant:manage', 10)
  ) AS b (page, key, zh, en, permission, sort)
  JOIN menus p ON p.key = b.page;
