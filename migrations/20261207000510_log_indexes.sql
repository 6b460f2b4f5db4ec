-- Issue 22: 操作日志 and 登录日志 at a bank's size (a year of audit rows is millions). Filtered by
-- user, the pages walked the whole table backwards (2,000,000 audit rows, a user with none: 523 ms);
-- 登录日志's page sorted the whole table by time. (On a large existing table, build these with
-- CREATE INDEX CONCURRENTLY by hand before upgrading; the migration then finds them.)
CREATE INDEX IF NOT EXISTS audit_log_username_idx ON audit_log (username, id DESC);
CREATE INDEX IF NOT EXISTS login_log_at_idx ON login_log (at DESC, id DESC);
CREATE INDEX IF NOT EXISTS login_log_username_idx ON login_log (username, at DESC, id DESC);
