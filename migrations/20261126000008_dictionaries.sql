-- 码值 (SYS-2): code lists the UI and reports label with. Static (builtin) lists mirror codes the
-- software itself relies on and cannot be edited; dynamic lists are the bank's to maintain.

CREATE TABLE dictionary_types (
    code     text PRIMARY KEY CHECK (code ~ '^[a-z][a-z0-9_]{1,31}$'),
    name     text NOT NULL,
    builtin  boolean NOT NULL
);

CREATE TABLE dictionary_items (
    type_code  text NOT NULL REFERENCES dictionary_types (code),
    code       text NOT NULL CHECK (code ~ '^[a-z0-9][a-z0-9_]{0,31}$'),
    label_zh   text NOT NULL CHECK (length(label_zh) BETWEEN 1 AND 50),
    label_en   text NOT NULL CHECK (length(label_en) BETWEEN 1 AND 100),
    sort       integer NOT NULL DEFAULT 0,
    enabled    boolean NOT NULL DEFAULT true,
    PRIMARY KEY (type_code, code)
);

INSERT INTO dictionary_types (code, name, builtin) VALUES
    ('org_level', '机构层级', true),
    ('user_kind', '用户类型', true),
    ('data_scope', '数据权限范围', true),
    ('login_result', '登录结果', true),
    ('channel', '营销渠道', false);

INSERT INTO dictionary_items (type_code, code, label_zh, label_en, sort) VALUES
    ('org_level', '1', '总行', 'Head office', 1),
    ('org_level', '2', '分行', 'Branch', 2),
    ('org_level', '3', '支行', 'Sub-branch', 3),
    ('user_kind', 'staff', '行内员工', 'Staff', 1),
    ('user_kind', 'merchant', '商户', 'Merchant', 2),
    ('user_kind', 'inspector', '巡查员', 'Inspector', 3),
    ('data_scope', 'all', '全部', 'All', 1),
    ('data_scope', 'org_and_below', '本机构及下级', 'Own org and below', 2),
    ('data_scope', 'org', '本机构', 'Own org', 3),
    ('data_scope', 'self', '仅本人', 'Self only', 4),
    ('login_result', 'ok', '成功', 'Success', 1),
    ('login_result', 'bad_credentials', '用户名或密码错误', 'Wrong username or password', 2),
    ('login_result', 'locked', '账号已锁定', 'Account locked', 3),
    ('login_result', 'captcha', '验证码错误', 'Wrong captcha', 4),
    ('login_result', 'throttled', '登录过于频繁', 'Throttled', 5),
    ('channel', 'mobile_banking', '手机银行', 'Mobile banking', 1),
    ('channel', 'wechat', '微信银行', 'WeChat banking', 2),
    ('channel', 'h5', 'H5 活动页', 'H5 pages', 3);

GRANT SELECT, INSERT, UPDATE, DELETE ON dictionary_types, dictionary_items TO quanyi_app;
