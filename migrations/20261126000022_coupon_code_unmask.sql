-- An unused coupon's code is a bearer secret: whoever reads it can spend it at a till. Lists and
-- exports mask it; reading one whole is `benefit:coupon:unmask` (each read audited as
-- benefit.coupon.unmask), a button of 权益发放明细查询. No demo role holds it: planners, monitors
-- and merchant staff never need a whole unused code (the clerk types the one the customer shows);
-- an administrator grants it to a role that does, such as customer service.
INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', 'coupon-unmask', '查看券码', 'View coupon code', 'benefit:coupon:unmask', 20
  FROM menus p
 WHERE p.key = 'benefit-coupons';
