-- 渠道投放 (MKT-8): what a channel shows a customer. A campaign carries its entry assets (the
-- title, image, link and benefit summary a channel renders), a priority among the campaigns a
-- customer sees, and an optional cap on how often one customer is shown it a day. Delivery reads
-- the running campaigns from a short cache and the customer's lists through
-- campaign_customers_customer_idx; the impressions it counts go to campaign_exposures in batches.

ALTER TABLE campaigns
    -- higher first
    ADD COLUMN priority         smallint NOT NULL DEFAULT 50 CHECK (priority BETWEEN 0 AND 999),
    -- empty title: the channel shows the campaign's name
    ADD COLUMN entry_title      text NOT NULL DEFAULT '' CHECK (length(entry_title) <= 40),
    ADD COLUMN entry_image_url  text NOT NULL DEFAULT '' CHECK (length(entry_image_url) <= 500),
    ADD COLUMN entry_link       text NOT NULL DEFAULT '' CHECK (length(entry_link) <= 500),
    ADD COLUMN benefit_summary  text NOT NULL DEFAULT '' CHECK (length(benefit_summary) <= 100),
    -- showings a customer a day (Asia/Shanghai); NULL: no cap
    ADD COLUMN frequency_cap    smallint CHECK (frequency_cap BETWEEN 1 AND 100);

-- Impressions per campaign, customer and Beijing day: the frequency cap reads them and the
-- evaluation counts the customers reached.
CREATE TABLE campaign_exposures (
    customer_no  text NOT NULL,
    day          date NOT NULL,
    campaign_id  uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    shown        integer NOT NULL CHECK (shown > 0),
    PRIMARY KEY (customer_no, day, campaign_id)
);
CREATE INDEX campaign_exposures_campaign_idx ON campaign_exposures (campaign_id);
GRANT SELECT, INSERT, UPDATE ON campaign_exposures TO quanyi_app;

-- The evaluation snapshot gains the customers reached.
ALTER TABLE campaign_evaluations ADD COLUMN contacts integer NOT NULL DEFAULT 0;

-- 投放查询: staff look up what a channel shows a customer, without counting it as a showing.
INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', 'campaign-delivery', '投放查询', 'Channel delivery', '/campaign/delivery',
       'campaign:delivery:view', 30
  FROM menus p WHERE p.key = 'campaign';

INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('planner', 'campaign:delivery:view'), ('monitor', 'campaign:delivery:view'))
       AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
