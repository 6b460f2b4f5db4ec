-- 积分管理 (积分规则, 积分账户 with the ledger's accounts and the daily chart) and 用户等级管理 (等级体系 with 等级权益, 升级任务) in the side menu, with their
-- buttons; the permissions are granted in the two migrations before this one.
INSERT INTO menus (kind, key, title_zh, title_en, route, permission, sort) VALUES
    ('menu', 'points', '积分管理', 'Points', NULL, NULL, 46),
    ('menu', 'tier', '用户等级管理', 'Tiers', NULL, NULL, 47);

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, route, permission, sort)
SELECT p.id, 'menu', m.key, m.zh, m.en, m.route, m.permission, m.sort
  FROM (VALUES
    ('points', 'points-rules', '积分规则', 'Points rules', '/points/rules', 'points:rule:view', 10),
    ('points', 'points-accounts', '积分账户', 'Points accounts', '/points/accounts', 'points:account:view', 20),
    ('tier', 'tier-levels', '等级体系', 'Tiers and benefits', '/tier/levels', 'tier:tier:view', 10),
    ('tier', 'tier-tasks', '升级任务', 'Upgrade tasks', '/tier/tasks', 'tier:tier:view', 20)
  ) AS m (parent, key, zh, en, route, permission, sort)
  JOIN menus p ON p.key = m.parent;

INSERT INTO menus (parent_id, kind, key, title_zh, title_en, permission, sort)
SELECT p.id, 'button', b.key, b.zh, b.en, b.permission, b.sort
  FROM (VALUES
    ('points-rules', 'points-rule-manage', '新增、修改、启停规则', 'Create, edit, enable and disable rules', 'points:rule:manage', 10),
    ('tier-levels', 'tier-manage', '维护等级和等级权益', 'Maintain tiers and their benefits', 'tier:tier:manage', 10),
    ('tier-tasks', 'tier-task-manage', '新增、启停升级任务', 'Create, enable and disable upgrade tasks', 'tier:tier:manage', 10)
  ) AS b (page, key, zh, en, permission, sort)
  JOIN menus p ON p.key = b.page;
