import { beforeEach, describe, expect, it } from 'vitest'
import { i18n, setLocale } from '@/locales'
import { dataScopeLabel, dutiesConflict, dutyLabel, permissionLabel, roleName, rolesByCode, sortPermissions } from '@/utils/roles'
import { roleList } from './fixtures'

const t = (key: Parameters<typeof i18n.global.t>[0]) => i18n.global.t(key)

describe('role labels', () => {
  beforeEach(() => setLocale('zh-CN'))

  it('names the four data scopes and shows an unknown one as sent', () => {
    expect(['all', 'org_and_below', 'org', 'self'].map((s) => dataScopeLabel(s, t))).toEqual(['全部', '本机构及下级', '本机构', '仅本人'])
    expect(dataScopeLabel('region', t)).toBe('region')
    expect(dataScopeLabel('toString', t)).toBe('toString')
  })

  it('names the separation-of-duties sides, — for none', () => {
    expect(dutyLabel('administration', t)).toBe('管理')
    expect(dutyLabel('audit', t)).toBe('审计')
    expect(dutyLabel(null, t)).toBe('—')
    expect(dutyLabel(undefined, t)).toBe('—')
    expect(dutyLabel('compliance', t)).toBe('compliance')
  })

  it('follows the language', () => {
    setLocale('en')
    expect(dataScopeLabel('org_and_below', t)).toBe('Own org and below')
    expect(dutyLabel('audit', t)).toBe('Audit')
    expect(permissionLabel('system:user:create', t)).toBe('Create users')
  })

  it('names known permissions, shows others as their code, and orders them by area', () => {
    expect(permissionLabel('system:user:reset_password', t)).toBe('重置用户密码')
    expect(permissionLabel('campaign:approve', t)).toBe('campaign:approve')
    expect(permissionLabel('constructor', t)).toBe('constructor')
    expect(sortPermissions(['system:user:create', 'b:x', 'system:org:view', 'a:x', 'system:status:view'])).toEqual([
      'system:status:view',
      'system:org:view',
      'system:user:create',
      'a:x',
      'b:x',
    ])
  })

  it('shows a role code by its name, or the code when the role is unknown', () => {
    const byCode = rolesByCode(roleList)
    expect(roleName('planner', byCode)).toBe('营销策划')
    expect(roleName('ghost', byCode)).toBe('ghost')
    expect(roleName('planner', new Map())).toBe('planner')
  })

  it('finds the roles that together break the separation of duties', () => {
    const byCode = rolesByCode(roleList)
    expect(dutiesConflict(['admin', 'planner'], byCode)).toEqual([])
    expect(dutiesConflict(['auditor', 'planner', 'teller'], byCode)).toEqual([])
    expect(dutiesConflict(['planner', 'auditor', 'admin'], byCode)).toEqual(['admin', 'auditor'])
    expect(dutiesConflict(['admin', 'admin'], byCode)).toEqual([])
    expect(dutiesConflict(['admin', 'auditor'], new Map())).toEqual([])
  })
})
