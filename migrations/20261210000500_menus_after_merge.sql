-- The menus of four branches built side by side, put together (issues 16, 17, 18): a merchant's
-- own pages — 巡查结果/整改 and a supplier's 我的商品 — join 我的商户, where a merchant's users look
-- (the 商户管理 group they were filed under is the staff's); the bank's 积分管理, 用户等级管理 and
-- 商品管理 groups are the staff's, as 营销权益 and 商户管理 are.
UPDATE menus SET parent_id = (SELECT id FROM menus WHERE key = 'merchant-portal'), sort = 70,
                 audience = 'merchant'
 WHERE key = 'merchant-inspections';
UPDATE menus SET parent_id = (SELECT id FROM menus WHERE key = 'merchant-portal'), sort = 80,
                 audience = 'merchant'
 WHERE key = 'mall-my-products';
UPDATE menus SET audience = 'staff' WHERE key IN ('mall', 'points', 'tier');
