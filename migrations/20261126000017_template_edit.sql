-- Editing a coupon template (BEN-1). Each edit bumps the template's revision: a claim that read
-- the template before an edit committed sees the revision moved once it holds its stock shard,
-- and starts over with the edited terms instead of handing out a coupon on the old ones.

ALTER TABLE coupon_templates
    ADD COLUMN revision integer NOT NULL DEFAULT 0,
    ADD COLUMN updated_at timestamptz;

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', 'template-update', '编辑优惠券', 'Edit template', 'benefit:template:update', 15
  FROM menus p WHERE p.key = 'benefit-templates';
