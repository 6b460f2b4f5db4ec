import { describe, expect, it } from 'vitest'
import { filterMenu, menu, menuLeaves, menuTrail, PERMISSIONS, type MenuItem } from '@/router/menu'
import { routes } from '@/router/routes'

const has = (granted: string[]) => (p: string) => granted.includes(p)

describe('filterMenu', () => {
  it('shows a user without permissions home and, under 系统管理, only 码值管理 (readable by everyone)', () => {
    const visible = filterMenu(menu, has([]))
    expect(visible.map((i) => i.key)).toEqual(['home', 'system'])
    expect(visible[1]?.children?.map((i) => i.route)).toEqual(['/system/dictionaries'])
  })

  it('hides a group whose children all need permissions the user lacks', () => {
    const items: MenuItem[] = [{ key: 'g', title: 'menu.system', permission: null, children: [{ key: 'a', title: 'menu.home', route: '/a', permission: 'x:a' }] }]
    expect(filterMenu(items, has([]))).toEqual([])
  })

  it('shows system status under its group to a user holding the permission', () => {
    const visible = filterMenu(menu, has([PERMISSIONS.systemStatus]))
    expect(visible.map((i) => i.key)).toEqual(['home', 'system'])
    expect(visible[1]?.children?.map((i) => i.route)).toEqual(['/system/dictionaries', '/system/status'])
  })

  it('ignores permissions that guard nothing in the menu', () => {
    expect(filterMenu(menu, has(['campaign:approve']))).toEqual(filterMenu(menu, has([])))
  })

  it('keeps only permitted children and does not change its input', () => {
    const items: MenuItem[] = [
      {
        key: 'g',
        title: 'menu.system',
        permission: null,
        children: [
          { key: 'a', title: 'menu.home', route: '/a', permission: 'x:a' },
          { key: 'b', title: 'menu.home', route: '/b', permission: 'x:b' },
          { key: 'c', title: 'menu.home', route: '/c', permission: null },
        ],
      },
      { key: 'locked', title: 'menu.system', permission: 'x:group', children: [{ key: 'd', title: 'menu.home', route: '/d', permission: null }] },
    ]
    const snapshot = JSON.stringify(items)
    const visible = filterMenu(items, has(['x:b']))
    expect(menuLeaves(visible).map((i) => i.key)).toEqual(['b', 'c'])
    expect(JSON.stringify(items)).toBe(snapshot)
  })

  it('lists only pages that exist: home, then users, orgs, roles, parameters, code lists, the two logs before system status', () => {
    expect(menuLeaves(menu).map((i) => i.route)).toEqual([
      '/home',
      '/system/users',
      '/system/orgs',
      '/system/roles',
      '/system/parameters',
      '/system/dictionaries',
      '/system/login-log',
      '/system/audit-log',
      '/system/status',
    ])
  })

  it('shows each 系统管理 page only to holders of its view permission', () => {
    const system = (granted: string[]) => filterMenu(menu, has(granted)).find((i) => i.key === 'system')?.children?.map((i) => i.key)
    // 营销策划 and most demo roles hold only system:org:view.
    expect(system([PERMISSIONS.systemOrgView])).toEqual(['system-orgs', 'system-dictionaries'])
    expect(system([PERMISSIONS.systemUserView, PERMISSIONS.systemRoleView])).toEqual(['system-users', 'system-roles', 'system-dictionaries'])
    // Acting does not show a list without viewing it: exporting logs, changing parameters.
    expect(system([PERMISSIONS.systemUserCreate, PERMISSIONS.systemRoleGrant, PERMISSIONS.systemLogExport, PERMISSIONS.systemParameterUpdate])).toEqual([
      'system-dictionaries',
    ])
    // 审计员: the two logs and the parameters.
    expect(system([PERMISSIONS.systemLogView, PERMISSIONS.systemAuditView, PERMISSIONS.systemLogExport, PERMISSIONS.systemParameterView])).toEqual([
      'system-parameters',
      'system-dictionaries',
      'system-login-log',
      'system-audit-log',
    ])
    expect(system(Object.values(PERMISSIONS))).toEqual([
      'system-users',
      'system-orgs',
      'system-roles',
      'system-parameters',
      'system-dictionaries',
      'system-login-log',
      'system-audit-log',
      'system-status',
    ])
  })

  it('gives every page entry a home-page description', () => {
    for (const leaf of menuLeaves(menu).filter((i) => i.route !== '/home')) expect(leaf.description, leaf.key).toBeTruthy()
  })
})

describe('menuTrail', () => {
  it('gives the group then the page for the breadcrumb', () => {
    expect(menuTrail(menu, '/system/status').map((i) => i.title)).toEqual(['menu.system', 'menu.systemStatus'])
    expect(menuTrail(menu, '/nowhere')).toEqual([])
  })
})

describe('routes and menu', () => {
  it('guard each menu page with the permission its menu entry shows it for', () => {
    const children = routes.find((r) => r.path === '/')?.children ?? []
    for (const leaf of menuLeaves(menu)) {
      const route = children.find((r) => `/${r.path}` === leaf.route)
      expect(route, leaf.route).toBeDefined()
      expect(route?.meta?.permission ?? null, leaf.route).toBe(leaf.permission)
      expect(route?.meta?.title, leaf.route).toBe(leaf.title)
    }
  })
})
