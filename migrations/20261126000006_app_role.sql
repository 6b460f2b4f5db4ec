-- The application's own database role (SEC-9): the API and the worker run every query as
-- `quanyi_app` (SET ROLE at connect), which may read and write the business tables but only
-- SELECT and INSERT the audit log. Migrations run as the owner. Roles are cluster-wide, so the
-- role is created once and re-used by every database of the cluster.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'quanyi_app') THEN
        CREATE ROLE quanyi_app NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO quanyi_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO quanyi_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO quanyi_app;
-- tables and sequences of later migrations
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO quanyi_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO quanyi_app;

-- The audit log: append and read, nothing else.
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM quanyi_app;
-- The migration history is the owner's.
DO $$
BEGIN
    IF to_regclass('_sqlx_migrations') IS NOT NULL THEN
        REVOKE ALL ON _sqlx_migrations FROM quanyi_app;
    END IF;
END
$$;
