// The side menu as data. A feature adds its page by appending an entry here and a route in routes.ts;
// an entry shows only when the user holds its permission (null = any logged-in user), and a group
// shows only when at least one child does. UI.md: a menu item appears only once its feature works.
import { Collection, House, Memo, Monitor, OfficeBuilding, Setting, SetUp, Stamp, Tickets, User } from '@element-plus/icons-vue'
import type { Component } from 'vue'
import type { MessageKey } from '@/locales'

/** Permission strings the UI checks; the server grants them in `User.permissions`. */
export const PERMISSIONS = {
  systemStatus: 'system:status:view',
  systemOrgView: 'system:org:view',
  systemUserView: 'system:user:view',
  systemUserCreate: 'system:user:create',
  systemUserResetPassword: 'system:user:reset_password',
  systemUserUnlock: 'system:user:unlock',
  systemUserResetTotp: 'system:user:reset_totp',
  piiUserUnmask: 'pii:user:unmask',
  systemRoleView: 'system:role:view',
  systemRoleGrant: 'system:role:grant',
  systemLogView: 'system:log:view',
  systemAuditView: 'system:audit:view',
  systemLogExport: 'system:log:export',
  systemParameterView: 'system:parameter:view',
  systemParameterUpdate: 'system:parameter:update',
  systemDictionaryUpdate: 'system:dictionary:update',
} as const

export interface MenuItem {
  /** Stable id, also used for `data-testid="menu-<key>"`. */
  key: string
  /** i18n key of the label. */
  title: MessageKey
  icon?: Component
  /** Route path of a page entry; groups have children instead. */
  route?: string
  /** Required permission, or null when every logged-in user may open it. */
  permission: string | null
  /** Short description shown on the home page's feature cards. */
  description?: MessageKey
  children?: MenuItem[]
}

export const menu: MenuItem[] = [
  { key: 'home', title: 'menu.home', icon: House, route: '/home', permission: null },
  {
    key: 'system',
    title: 'menu.system',
    icon: Setting,
    permission: null,
    children: [
      {
        key: 'system-users',
        title: 'menu.systemUsers',
        icon: User,
        route: '/system/users',
        permission: PERMISSIONS.systemUserView,
        description: 'home.entry.systemUsers',
      },
      {
        key: 'system-orgs',
        title: 'menu.systemOrgs',
        icon: OfficeBuilding,
        route: '/system/orgs',
        permission: PERMISSIONS.systemOrgView,
        description: 'home.entry.systemOrgs',
      },
      {
        key: 'system-roles',
        title: 'menu.systemRoles',
        icon: Stamp,
        route: '/system/roles',
        permission: PERMISSIONS.systemRoleView,
        description: 'home.entry.systemRoles',
      },
      {
        key: 'system-parameters',
        title: 'menu.systemParameters',
        icon: SetUp,
        route: '/system/parameters',
        permission: PERMISSIONS.systemParameterView,
        description: 'home.entry.systemParameters',
      },
      {
        // Every signed-in user may read the code lists; editing needs system:dictionary:update.
        key: 'system-dictionaries',
        title: 'menu.systemDictionaries',
        icon: Collection,
        route: '/system/dictionaries',
        permission: null,
        description: 'home.entry.systemDictionaries',
      },
      {
        key: 'system-login-log',
        title: 'menu.systemLoginLog',
        icon: Tickets,
        route: '/system/login-log',
        permission: PERMISSIONS.systemLogView,
        description: 'home.entry.systemLoginLog',
      },
      {
        key: 'system-audit-log',
        title: 'menu.systemAuditLog',
        icon: Memo,
        route: '/system/audit-log',
        permission: PERMISSIONS.systemAuditView,
        description: 'home.entry.systemAuditLog',
      },
      {
        key: 'system-status',
        title: 'menu.systemStatus',
        icon: Monitor,
        route: '/system/status',
        permission: PERMISSIONS.systemStatus,
        description: 'home.entry.systemStatus',
      },
    ],
  },
]

/** The entries the user may see. Returns new objects; the input is not changed. */
export function filterMenu(items: readonly MenuItem[], has: (permission: string) => boolean): MenuItem[] {
  const out: MenuItem[] = []
  for (const item of items) {
    if (item.permission && !has(item.permission)) continue
    if (item.children) {
      const children = filterMenu(item.children, has)
      if (children.length === 0) continue
      out.push({ ...item, children })
    } else if (item.route) {
      out.push({ ...item })
    }
  }
  return out
}

/** Page entries (leaves) of a menu tree, depth first. */
export function menuLeaves(items: readonly MenuItem[]): MenuItem[] {
  return items.flatMap((item) => (item.children ? menuLeaves(item.children) : [item]))
}

/** The chain of entries from the top down to the entry for `path`, or [] when it is not in the menu. */
export function menuTrail(items: readonly MenuItem[], path: string): MenuItem[] {
  for (const item of items) {
    if (item.route === path) return [item]
    if (item.children) {
      const sub = menuTrail(item.children, path)
      if (sub.length > 0) return [item, ...sub]
    }
  }
  return []
}
