import { describe, expect, it } from 'vitest'
import type { MenuNode } from '@/api/types'
import { MENU_DESCRIPTIONS, MENU_ICONS, menuLeaves, menuTrail, toMenuItems } from '@/router/menu'
import { routes } from '@/router/routes'

let next = 0
function node(key: string, zh: string, en: string, extra: Partial<MenuNode> = {}): MenuNode {
  next += 1
  return { id: `id-${next}`, kind: 'menu', key, title_zh: zh, title_en: en, sort: next, visible: true, audience: 'all', children: [], ...extra }
}

/** The menu as /api/v1/auth/menus answers it for an administrator (a page with one button under it). */
const served: MenuNode[] = [
  node('home', '首页', 'Home', { route: '/home' }),
  node('system', '系统管理', 'System', {
    children: [
      node('system-users', '用户管理', 'Users', {
        route: '/system/users',
        permission: 'system:user:view',
        children: [node('user-create', '新建用户', 'Create user', { kind: 'button', permission: 'system:user:create' })],
      }),
      node('system-batch-log', '批量日志', 'Batch log', { route: '/system/batch-log', permission: 'system:log:view' }),
      node('something-new', '新功能', 'New feature', { route: '/system/new' }),
    ],
  }),
]

describe('toMenuItems', () => {
  it('takes titles in the current language, keeps the server order, and adds icons and descriptions by key', () => {
    const zh = toMenuItems(served, 'zh-CN')
    expect(zh.map((i) => i.title)).toEqual(['首页', '系统管理'])
    expect(zh[1]?.children?.map((i) => i.title)).toEqual(['用户管理', '批量日志', '新功能'])
    expect(zh[1]?.icon).toBe(MENU_ICONS.system)
    expect(zh[1]?.children?.[1]?.description).toBe('home.entry.systemBatchLog')
    expect(toMenuItems(served, 'en')[1]?.children?.[0]?.title).toBe('Users')
  })

  it('leaves buttons out: a page is a leaf of the side menu', () => {
    const users = toMenuItems(served, 'zh-CN')[1]?.children?.[0]
    expect(users?.route).toBe('/system/users')
    expect(users?.children).toBeUndefined()
    expect(menuLeaves(toMenuItems(served, 'zh-CN')).map((i) => i.key)).toEqual(['home', 'system-users', 'system-batch-log', 'something-new'])
  })

  it('draws an entry the UI has no icon or description for without them', () => {
    const fresh = toMenuItems(served, 'zh-CN')[1]?.children?.[2]
    expect(fresh?.icon).toBeUndefined()
    expect(fresh?.description).toBeUndefined()
  })
})

describe('menuTrail', () => {
  it('gives the group then the page for the breadcrumb', () => {
    const items = toMenuItems(served, 'zh-CN')
    expect(menuTrail(items, '/system/batch-log').map((i) => i.title)).toEqual(['系统管理', '批量日志'])
    expect(menuTrail(items, '/nowhere')).toEqual([])
  })
})

describe('routes and the UI side of the menu', () => {
  it('has a page for every entry the UI decorates, and a description for each page but home', () => {
    const children = routes.find((r) => r.path === '/')?.children ?? []
    const names = children.map((r) => r.name)
    // Groups have icons but no page of their own.
    const groups = new Set(['system', 'benefit', 'merchant', 'merchant-portal', 'process', 'campaign', 'esb', 'customer', 'mall', 'points', 'tier'])
    // the merchant portal's entries that open the staff's pages (核销, 核销记录) under keys of their own
    const aliases: Record<string, string> = { 'merchant-portal-redeem': 'benefit-redeem', 'merchant-portal-redemptions': 'benefit-redemptions' }
    for (const key of Object.keys(MENU_ICONS).filter((k) => !groups.has(k))) expect(names, key).toContain(aliases[key] ?? key)
    for (const key of Object.keys(MENU_ICONS).filter((k) => !groups.has(k) && k !== 'home')) expect(MENU_DESCRIPTIONS[key], key).toBeTruthy()
  })
})
