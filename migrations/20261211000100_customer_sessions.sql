-- The customers' H5 mall (issue 18 part B, MALL-7): a customer arrives from mobile banking with a
-- short-lived assertion signed by the bank's channel client (docs/channel-api.md, 客户登录凭证)
-- and gets a session of their own — not a staff session: another table, another cookie, no
-- roles. Tokens are kept only as SHA-256 hashes. The assertion's nonce is spent in api_nonces
-- like any signed request's.
CREATE TABLE customer_sessions (
    token_hash   bytea PRIMARY KEY,
    customer_no  text NOT NULL REFERENCES customers (customer_no),
    -- the channel client whose assertion opened it
    client_id    uuid NOT NULL REFERENCES api_clients (id),
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX customer_sessions_expiry_idx ON customer_sessions (expires_at);
CREATE INDEX customer_sessions_customer_idx ON customer_sessions (customer_no);

