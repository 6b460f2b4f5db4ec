import { describe, expect, it } from 'vitest'
import type { PermissionNode } from '@/api/types'
import { checkedPermissions, dutyProblem, permissionKeys, toPermissionTree } from '@/utils/permission-tree'

const leaf = (key: string, zh: string, en: string): PermissionNode => ({ key, label_zh: zh, label_en: en, children: [] })

const catalogue: PermissionNode[] = [
  {
    key: 'system',
    label_zh: '系统管理',
    label_en: 'System',
    children: [
      { key: 'system:org', label_zh: '机构', label_en: 'Orgs', children: [leaf('system:org:view', '查看机构', 'View orgs'), leaf('system:org:create', '新增机构', 'Add orgs')] },
      { key: 'system:user', label_zh: '用户', label_en: 'Users', children: [leaf('system:user:view', '查看用户', 'View users')] },
      { key: 'system:audit', label_zh: '操作日志', label_en: 'Operation log', children: [leaf('system:audit:view', '查看操作日志', 'View the operation log')] },
    ],
  },
]

describe('toPermissionTree', () => {
  it('labels each level in the language asked for, and leaves have no children', () => {
    const zh = toPermissionTree(catalogue, 'zh-CN')
    expect(zh[0]?.label).toBe('系统管理')
    expect(zh[0]?.children?.[0]?.children?.map((n) => n.label)).toEqual(['查看机构', '新增机构'])
    expect('children' in (zh[0]?.children?.[0]?.children?.[0] ?? {})).toBe(false)
    expect(toPermissionTree(catalogue, 'en')[0]?.children?.[1]?.label).toBe('Users')
  })
})

describe('permissionKeys and checkedPermissions', () => {
  it('lists the permissions (leaves) in the catalogue order', () => {
    expect(permissionKeys(catalogue)).toEqual(['system:org:view', 'system:org:create', 'system:user:view', 'system:audit:view'])
  })

  it('turns checked tree keys into the permission list: leaves only, once, in catalogue order', () => {
    const checked = ['system:user:view', 'system:org', 'system', 'system:org:create', 'system:org:view', 'system:user:view']
    expect(checkedPermissions(checked, catalogue)).toEqual(['system:org:view', 'system:org:create', 'system:user:view'])
  })

  it('drops what the catalogue does not know (a permission retired since the role was saved)', () => {
    expect(checkedPermissions(['system:world:rule', 'system:org:view'], catalogue)).toEqual(['system:org:view'])
  })

  it('round-trips a role: its permissions checked in the tree come back as they were', () => {
    const role = ['system:org:view', 'system:audit:view']
    expect(checkedPermissions(role, catalogue)).toEqual(role)
  })
})

describe('dutyProblem', () => {
  it('refuses administration and the operation log in one role, whatever the duty', () => {
    for (const duty of [null, 'administration', 'audit'] as const) {
      expect(dutyProblem(duty, ['system:user:view', 'system:audit:view'])).toEqual({ kind: 'combined' })
    }
  })

  it('names the permissions that do not fit the duty', () => {
    expect(dutyProblem(null, ['system:role:update', 'system:org:view'])).toEqual({ kind: 'outside', permissions: ['system:role:update'] })
    expect(dutyProblem('administration', ['system:audit:view'])).toEqual({ kind: 'outside', permissions: ['system:audit:view'] })
    expect(dutyProblem('audit', ['system:parameter:update'])).toEqual({ kind: 'outside', permissions: ['system:parameter:update'] })
  })

  it('accepts each side in a role of its duty, and neutral permissions anywhere', () => {
    expect(dutyProblem('administration', ['system:user:create', 'system:parameter:update', 'system:org:view'])).toBeNull()
    expect(dutyProblem('audit', ['system:audit:view', 'system:log:export'])).toBeNull()
    expect(dutyProblem(null, ['system:parameter:view', 'system:log:export', 'system:org:create'])).toBeNull()
  })
})
