-- BEN-3 rule library, the limits the first cut left out: per customer per campaign (a claim that
-- comes through a campaign), and per merchant per Beijing-time day (redemptions of one template
-- at one merchant), each kept by a conditional counter.

ALTER TABLE coupon_templates
    ADD COLUMN limit_per_campaign integer CHECK (limit_per_campaign BETWEEN 1 AND 1000),
    ADD COLUMN limit_per_merchant_day integer CHECK (limit_per_merchant_day BETWEEN 1 AND 1000000);

CREATE TABLE merchant_redemptions (
    template_id  uuid NOT NULL REFERENCES coupon_templates (id),
    merchant_id  uuid NOT NULL REFERENCES merchants (id),
    day          text NOT NULL,
    redeemed     integer NOT NULL CHECK (redeemed >= 0),
    PRIMARY KEY (template_id, merchant_id, day)
);
GRANT SELECT, INSERT, UPDATE ON merchant_redemptions TO quanyi_app;
