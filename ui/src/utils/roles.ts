// Labels for what /api/v1/system/roles answers in codes: data scopes, separation-of-duties sides,
// permission strings and role codes. Anything the UI does not know yet is shown as the server sent it.
import type { Role } from '@/api/types'
import type { MessageKey } from '@/locales'

export type DataScope = 'all' | 'org_and_below' | 'org' | 'self'
export type Duty = 'administration' | 'audit'

export const DATA_SCOPE_LABELS: Record<DataScope, MessageKey> = {
  all: 'role.scope.all',
  org_and_below: 'role.scope.orgAndBelow',
  org: 'role.scope.org',
  self: 'role.scope.self',
}

export const DUTY_LABELS: Record<Duty, MessageKey> = {
  administration: 'role.duties.administration',
  audit: 'role.duties.audit',
}

/** Permission strings the UI can name; others show as their code. */
export const PERMISSION_LABELS: Record<string, MessageKey> = {
  'system:status:view': 'role.perm.statusView',
  'system:org:view': 'role.perm.orgView',
  'system:org:create': 'role.perm.orgCreate',
  'system:org:update': 'role.perm.orgUpdate',
  'system:user:view': 'role.perm.userView',
  'system:user:create': 'role.perm.userCreate',
  'system:user:reset_password': 'role.perm.userResetPassword',
  'system:user:unlock': 'role.perm.userUnlock',
  'system:user:disable': 'role.perm.userDisable',
  'system:user:reset_totp': 'role.perm.userResetTotp',
  'pii:user:unmask': 'role.perm.userUnmask',
  'system:role:view': 'role.perm.roleView',
  'system:role:grant': 'role.perm.roleGrant',
  'system:role:create': 'role.perm.roleCreate',
  'system:role:update': 'role.perm.roleUpdate',
  'system:menu:view': 'role.perm.menuView',
  'system:menu:update': 'role.perm.menuUpdate',
  'system:log:view': 'role.perm.logView',
  'system:audit:view': 'role.perm.auditView',
  'system:log:export': 'role.perm.logExport',
  'system:parameter:view': 'role.perm.parameterView',
  'system:parameter:update': 'role.perm.parameterUpdate',
  'system:dictionary:update': 'role.perm.dictionaryUpdate',
}

function has<K extends string>(table: Record<K, MessageKey>, key: string | null | undefined): key is K {
  return typeof key === 'string' && Object.prototype.hasOwnProperty.call(table, key)
}

type Translate = (key: MessageKey) => string

/** 全部 / 本机构及下级 / 本机构 / 仅本人, or the code itself. */
export function dataScopeLabel(scope: string, t: Translate): string {
  return has(DATA_SCOPE_LABELS, scope) ? t(DATA_SCOPE_LABELS[scope]) : scope
}

/** 管理 / 审计, `—` for a role on neither side, or the code itself. */
export function dutyLabel(duty: string | null | undefined, t: Translate): string {
  if (!duty) return '—'
  return has(DUTY_LABELS, duty) ? t(DUTY_LABELS[duty]) : duty
}

/** The permission's name, or its code. */
export function permissionLabel(permission: string, t: Translate): string {
  const key = PERMISSION_LABELS[permission]
  return key && Object.prototype.hasOwnProperty.call(PERMISSION_LABELS, permission) ? t(key) : permission
}

/** Permissions in the order of PERMISSION_LABELS (by area, viewing before changing), unknown ones last by code. */
export function sortPermissions(permissions: readonly string[]): string[] {
  const order = Object.keys(PERMISSION_LABELS)
  const rank = (p: string) => {
    const i = order.indexOf(p)
    return i < 0 ? order.length : i
  }
  return [...permissions].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

/** Role code → role, for showing a user's role codes by name. */
export function rolesByCode(roles: readonly Role[]): Map<string, Role> {
  return new Map(roles.map((r) => [r.code, r]))
}

/** The role's name, or its code when the role list is not at hand (no `system:role:view`) or lacks it. */
export function roleName(code: string, byCode: ReadonlyMap<string, Role>): string {
  return byCode.get(code)?.name ?? code
}

/**
 * The roles among `codes` that together break the separation of duties (SEC-4): an administration role
 * and an audit role held by one account. Empty when there is no conflict. The server decides
 * (QY-SYS-1005); this only saves a round trip.
 */
export function dutiesConflict(codes: readonly string[], byCode: ReadonlyMap<string, Role>): string[] {
  const duties = new Map<string, string[]>()
  for (const code of new Set(codes)) {
    const duty = byCode.get(code)?.duty
    if (duty) duties.set(duty, [...(duties.get(duty) ?? []), code])
  }
  const admin = duties.get('administration') ?? []
  const audit = duties.get('audit') ?? []
  return admin.length > 0 && audit.length > 0 ? [...admin, ...audit] : []
}
