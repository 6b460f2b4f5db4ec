-- 参数设置 (SYS-2): values an administrator changes at run time. A row exists only for a
-- parameter that was changed; the rest keep their defaults from configuration.

CREATE TABLE parameters (
    key         text PRIMARY KEY CHECK (key ~ '^[a-z_]+(\.[a-z_]+)+$'),
    value       bigint NOT NULL,
    updated_at  timestamptz NOT NULL,
    updated_by  uuid REFERENCES users (id)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON parameters TO quanyi_app;
