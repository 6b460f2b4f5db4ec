-- A refused redemption is a first answer too (docs/benefits.md): its request id answers the same
-- refusal when sent again, and its nonce is spent with it, so a refusal can never be replayed
-- into a redemption once the coupon's state changes.
CREATE TABLE redemption_refusals (
    merchant_id  uuid NOT NULL REFERENCES merchants (id),
    request_id   text NOT NULL CHECK (request_id ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    refusal      text NOT NULL,
    at           timestamptz NOT NULL,
    PRIMARY KEY (merchant_id, request_id)
);
GRANT SELECT, INSERT ON redemption_refusals TO quanyi_app;
