-- 商品管理 (issue 18 part A): the staff's pages — 商品信息 (every supplier's products, 强制下架),
-- 商品分类, 商品评价, 导航栏/轮播图 — and the supplier's 我的商品, each by its permission.
INSERT INTO menus (kind, key, title_zh, title_en, route, permission, sort) VALUES
    ('menu', 'mall', '商品管理', 'Products', NULL, NULL, 60);

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', m.key, m.zh, m.en, m.route, m.permission, m.sort
  FROM (VALUES
    ('mall-products', '商品信息', 'Products', '/mall/product/list', 'product:product:view', 10),
    ('mall-categories', '商品分类', 'Categories', '/mall/product/categories', 'product:product:view', 20),
    ('mall-reviews', '商品评价', 'Reviews', '/mall/product/reviews', 'product:review:moderate', 30),
    ('mall-banners', '导航栏/轮播图', 'Navigation & banners', '/mall/banner', 'product:product:view', 40),
    ('mall-my-products', '我的商品', 'My products', '/mall/my-products', 'product:product:supply', 50)
  ) AS m (key, zh, en, route, permission, sort), menus p
 WHERE p.key = 'mall';

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', b.key, b.zh, b.en, b.permission, b.sort
  FROM (VALUES
    ('mall-products', 'product-force-delist', '强制下架', 'Force off sale', 'listing:product:delist', 10),
    ('mall-categories', 'category-manage', '维护分类', 'Maintain categories', 'product:catalogue:manage', 10),
    ('mall-banners', 'banner-manage', '维护导航栏/轮播图', 'Maintain navigation and banners', 'product:catalogue:manage', 10)
  ) AS b (page, key, zh, en, permission, sort)
  JOIN menus p ON p.key = b.page;
