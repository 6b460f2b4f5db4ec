// The permission catalogue (GET /api/v1/system/permissions: area → entity → action) as the role dialog's
// checkbox tree, and back: the checked leaves are the role's permission list. Also the server's
// separation-of-duties rule for one role, so the dialog can say what is wrong before saving (the server
// decides: QY-SYS-1019, QY-SYS-1020).
import type { PermissionNode } from '@/api/types'
import type { AppLocale } from '@/locales'
import type { Duty } from './roles'

export interface PermissionTreeNode {
  key: string
  label: string
  /** Absent on a permission (a leaf). */
  children?: PermissionTreeNode[]
}

/** The catalogue labelled in `locale`, for `el-tree` (`node-key="key"`). */
export function toPermissionTree(nodes: readonly PermissionNode[], locale: AppLocale): PermissionTreeNode[] {
  return nodes.map((node) => {
    const out: PermissionTreeNode = { key: node.key, label: locale === 'en' ? node.label_en : node.label_zh }
    if (node.children.length > 0) out.children = toPermissionTree(node.children, locale)
    return out
  })
}

/** Every permission (leaf) of the catalogue, in its order. */
export function permissionKeys(nodes: readonly PermissionNode[]): string[] {
  return nodes.flatMap((node) => (node.children.length > 0 ? permissionKeys(node.children) : [node.key]))
}

/**
 * The role's permission list from the tree's checked keys: permissions only (an area or entity key the
 * tree reports as checked is not one), each once, in the catalogue's order.
 */
export function checkedPermissions(checked: readonly string[], catalogue: readonly PermissionNode[]): string[] {
  const wanted = new Set(checked)
  return permissionKeys(catalogue).filter((key) => wanted.has(key))
}

/** Permissions that administer accounts, roles and the security rules (the server's list). */
export function administrationOnly(permission: string): boolean {
  return permission.startsWith('system:user:') || permission.startsWith('system:role:') || permission === 'system:parameter:update'
}

export const AUDIT_ONLY = 'system:audit:view'

export type DutyProblem = { kind: 'combined' } | { kind: 'outside'; permissions: string[] }

/** What breaks the separation of duties in one role, or null: the server's rule, checked early. */
export function dutyProblem(duty: Duty | null, permissions: readonly string[]): DutyProblem | null {
  const administers = permissions.filter(administrationOnly)
  const audits = permissions.filter((p) => p === AUDIT_ONLY)
  if (administers.length > 0 && audits.length > 0) return { kind: 'combined' }
  const outside = [...(duty === 'administration' ? [] : administers), ...(duty === 'audit' ? [] : audits)]
  return outside.length > 0 ? { kind: 'outside', permissions: outside } : null
}
