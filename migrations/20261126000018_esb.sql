-- The inbound ESB gateway (INT-1, WF-9): consumers are signed-API clients of kind 'esb' with a
-- service allowlist, an optional source-address allowlist, a rate limit and the user they act
-- as; exchanges keep each (consumer, serial number)'s first answer byte for byte; every message
-- is logged with its bodies masked; and the 接口服务管理 menu.

ALTER TABLE api_clients DROP CONSTRAINT api_clients_kind_check;
ALTER TABLE api_clients ADD CONSTRAINT api_clients_kind_check
    CHECK (kind IN ('channel', 'merchant', 'esb'));

CREATE TABLE esb_consumers (
    client_id       uuid PRIMARY KEY REFERENCES api_clients (id),
    -- service codes this consumer may call
    services        text[] NOT NULL DEFAULT '{}',
    -- NULL: any source address; else the addresses or networks it may call from
    source_networks cidr[],
    -- requests a second, and the burst above it
    rate_per_second integer NOT NULL DEFAULT 50 CHECK (rate_per_second BETWEEN 1 AND 100000),
    burst           integer NOT NULL DEFAULT 100 CHECK (burst BETWEEN 1 AND 100000),
    -- the staff user whose rights and data scope the consumer's requests use
    acting_user_id  uuid NOT NULL REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- One row per (consumer, serial number): reserved 'pending' by the first request, then its
-- answer. A concurrent twin polls until the answer is there; a reservation left by a crashed
-- replica may be taken over after a minute.
CREATE TABLE esb_exchanges (
    client_id        uuid NOT NULL REFERENCES api_clients (id),
    consumer_seq_no  text NOT NULL CHECK (consumer_seq_no ~ '^[A-Za-z0-9_.:-]{1,64}$'),
    service_code     text NOT NULL,
    body_hash        bytea NOT NULL,
    provider_seq_no  text NOT NULL UNIQUE,
    state            text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'answered')),
    response         bytea,
    ret_code         text,
    reserved_at      timestamptz NOT NULL,
    answered_at      timestamptz,
    PRIMARY KEY (client_id, consumer_seq_no),
    CHECK ((state = 'answered') = (response IS NOT NULL))
);

-- Every message the gateway answered, bodies masked (SEC-6).
CREATE TABLE esb_messages (
    id               bigserial PRIMARY KEY,
    received_at      timestamptz NOT NULL,
    latency_ms       integer NOT NULL,
    service_code     text NOT NULL,
    consumer_code    text,
    consumer_seq_no  text,
    provider_seq_no  text NOT NULL,
    source_ip        text,
    ret_code         text NOT NULL,
    ret_msg          text NOT NULL,
    -- answered from the exchange of an earlier request with the same serial number
    replayed         boolean NOT NULL DEFAULT false,
    request_bytes    integer NOT NULL,
    request_masked   jsonb,
    response_masked  jsonb
);
CREATE INDEX esb_messages_received_idx ON esb_messages (received_at DESC);
CREATE INDEX esb_messages_consumer_idx ON esb_messages (consumer_code, received_at DESC);
CREATE INDEX esb_messages_seq_idx ON esb_messages (consumer_seq_no);

GRANT SELECT, INSERT, UPDATE, DELETE ON esb_consumers, esb_exchanges TO quanyi_app;
GRANT SELECT, INSERT ON esb_messages TO quanyi_app;
GRANT USAGE ON SEQUENCE esb_messages_id_seq TO quanyi_app;

INSERT INTO menus (kind, key, title_zh, title_en, route, permission, sort) VALUES
    ('menu', 'esb', '接口服务管理', 'ESB services', NULL, NULL, 40);

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', m.key, m.zh, m.en, m.route, m.permission, m.sort
  FROM (VALUES
    ('esb', 'esb-consumers', '接入系统', 'Consumers', '/esb/consumers', 'esb:consumer:manage', 10),
    ('esb', 'esb-services', '服务目录', 'Services', '/esb/services', 'esb:consumer:manage', 20),
    ('esb', 'esb-messages', '报文日志', 'Message log', '/esb/messages', 'esb:log:view', 30)
  ) AS m (parent, key, zh, en, route, permission, sort)
  JOIN menus p ON p.key = m.parent;

INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p.permission
  FROM (VALUES ('admin', 'esb:consumer:manage'), ('admin', 'esb:log:view')) AS p (role, permission)
  JOIN roles r ON r.code = p.role
ON CONFLICT DO NOTHING;
