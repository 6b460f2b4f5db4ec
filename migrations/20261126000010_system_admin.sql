-- 系统管理 (SYS-1, SYS-3): menus and buttons as server data, so 菜单管理 changes what users see;
-- the batch log; and the new administration permissions for an already seeded admin role.

-- 菜单管理: the side menu (kind 'menu': groups without a route, pages with one) and the buttons the
-- pages gate by permission (kind 'button', listed under their page so administrators see which
-- permission each one needs). An entry with a permission shows only to holders of it.
CREATE TABLE menus (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    parent_id   uuid REFERENCES menus (id),
    kind        text NOT NULL CHECK (kind IN ('menu', 'button')),
    key         text NOT NULL UNIQUE CHECK (key ~ '^[a-z][a-z0-9-]{1,63}$'),
    title_zh    text NOT NULL CHECK (length(title_zh) BETWEEN 1 AND 50),
    title_en    text NOT NULL CHECK (length(title_en) BETWEEN 1 AND 100),
    route       text CHECK (route ~ '^/[a-z0-9/-]*$'),
    permission  text CHECK (permission ~ '^[a-z_-]+:[a-z_-]+:[a-z_-]+$'),
    sort        integer NOT NULL DEFAULT 0,
    visible     boolean NOT NULL DEFAULT true,
    -- buttons live under a page and have no route of their own
    CHECK (kind = 'menu' OR (parent_id IS NOT NULL AND route IS NULL))
);
CREATE INDEX menus_parent_idx ON menus (parent_id, sort);

INSERT INTO menus (kind, key, title_zh, title_en, route, permission, sort) VALUES
    ('menu', 'home', '首页', 'Home', '/home', NULL, 10),
    ('menu', 'system', '系统管理', 'System', NULL, NULL, 90);

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', m.key, m.zh, m.en, m.route, m.permission, m.sort
  FROM (VALUES
    ('system-users', '用户管理', 'Users', '/system/users', 'system:user:view', 10),
    ('system-orgs', '机构管理', 'Organisations', '/system/orgs', 'system:org:view', 20),
    ('system-roles', '角色管理', 'Roles', '/system/roles', 'system:role:view', 30),
    ('system-menus', '菜单管理', 'Menus', '/system/menus', 'system:menu:view', 40),
    ('system-parameters', '参数设置', 'Parameters', '/system/parameters', 'system:parameter:view', 50),
    ('system-dictionaries', '码值管理', 'Code lists', '/system/dictionaries', NULL, 60),
    ('system-login-log', '登录日志', 'Sign-in log', '/system/login-log', 'system:log:view', 70),
    ('system-audit-log', '操作日志', 'Operation log', '/system/audit-log', 'system:audit:view', 80),
    ('system-batch-log', '批量日志', 'Batch log', '/system/batch-log', 'system:log:view', 90),
    ('system-status', '系统状态', 'System status', '/system/status', 'system:status:view', 100)
  ) AS m (key, zh, en, route, permission, sort), menus p
 WHERE p.key = 'system';

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', b.key, b.zh, b.en, b.permission, b.sort
  FROM (VALUES
    ('system-users', 'user-create', '新建用户', 'Create user', 'system:user:create', 10),
    ('system-users', 'user-reset-password', '重置密码', 'Reset password', 'system:user:reset_password', 20),
    ('system-users', 'user-grant-role', '授予角色', 'Grant role', 'system:role:grant', 30),
    ('system-users', 'user-unlock', '解锁', 'Unlock', 'system:user:unlock', 40),
    ('system-orgs', 'org-create', '新增机构', 'Add org', 'system:org:create', 10),
    ('system-orgs', 'org-update', '修改机构', 'Edit org', 'system:org:update', 20),
    ('system-roles', 'role-create', '新建角色', 'Create role', 'system:role:create', 10),
    ('system-roles', 'role-update', '修改角色', 'Edit role', 'system:role:update', 20),
    ('system-menus', 'menu-update', '修改菜单', 'Edit menu', 'system:menu:update', 10),
    ('system-parameters', 'parameter-update', '修改参数', 'Edit parameter', 'system:parameter:update', 10),
    ('system-dictionaries', 'dictionary-update', '维护码值', 'Edit code list', 'system:dictionary:update', 10),
    ('system-login-log', 'login-log-export', '导出', 'Export', 'system:log:export', 10),
    ('system-audit-log', 'audit-log-export', '导出', 'Export', 'system:log:export', 10),
    ('system-batch-log', 'batch-log-export', '导出', 'Export', 'system:log:export', 10)
  ) AS b (page, key, zh, en, permission, sort)
  JOIN menus p ON p.key = b.page;

-- 批量日志: one row per run of a batch job, written when it starts and completed when it ends.
CREATE TABLE batch_runs (
    id             bigserial PRIMARY KEY,
    job            text NOT NULL CHECK (job IN ('housekeeping', 'audit_verify')),
    started_at     timestamptz NOT NULL,
    finished_at    timestamptz,
    status         text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
    rows_affected  bigint NOT NULL DEFAULT 0 CHECK (rows_affected >= 0),
    error          text,
    -- 'schedule' (the worker's timer), 'cli' (a command run by an operator) or 'test'
    triggered_by   text NOT NULL CHECK (length(triggered_by) BETWEEN 1 AND 64),
    CHECK ((status = 'running') = (finished_at IS NULL)),
    CHECK ((status = 'failed') = (error IS NOT NULL))
);
CREATE INDEX batch_runs_started_idx ON batch_runs (started_at DESC);

-- The default privileges of 20261126000006 cover these; said again so the grant is visible here.
GRANT SELECT, INSERT, UPDATE, DELETE ON menus, batch_runs TO quanyi_app;
GRANT USAGE, SELECT ON SEQUENCE batch_runs_id_seq TO quanyi_app;

-- A database seeded before this migration: its administrator role gets the new permissions
-- (a fresh database is seeded after migrating, with them in activities/src/seed.rs).
INSERT INTO role_permissions (role_id, permission)
SELECT r.id, p
  FROM roles r,
       unnest(ARRAY['system:org:create', 'system:org:update', 'system:role:create',
                    'system:role:update', 'system:menu:view', 'system:menu:update']) AS p
 WHERE r.code = 'admin'
ON CONFLICT DO NOTHING;
