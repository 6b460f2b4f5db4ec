-- 发货中心 (issue 19): a supplier's users see their supplier's orders in 我的商户, ship paid ones
-- (one, or many from a file) and read each order's log.
INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort, audience)
SELECT p.id, 'menu', 'mall-fulfilment', '发货中心', 'Fulfilment', '/mall/fulfilment',
       'product:product:supply', 90, 'merchant'
  FROM menus p WHERE p.key = 'merchant-portal';
