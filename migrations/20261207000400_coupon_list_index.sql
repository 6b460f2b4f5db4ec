-- 发放明细查询 lists the newest coupons first (issue 22): at a bank's ten million coupons, without
-- this index every page sorted the whole table.
CREATE INDEX coupons_claimed_idx ON coupons (claimed_at DESC, code);
