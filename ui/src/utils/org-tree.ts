// The org list of /api/v1/system/orgs is flat (each org names its parent); pages show it as a tree.
// A user whose data scope starts below 总行 gets their own branch as the root: an org whose parent is
// not in the list is a root.
import type { Org } from '@/api/types'
import type { MessageKey } from '@/locales'

export interface OrgNode extends Org {
  /** Absent on a leaf, so that trees and tree tables draw no expand arrow there. */
  children?: OrgNode[]
}

/**
 * Builds the forest from the flat list, keeping the list's order among siblings. Orgs whose parent is
 * missing (outside the caller's scope) become roots; a parent chain that loops is cut where it loops, so
 * every org appears exactly once whatever the input.
 */
export function buildOrgTree(orgs: readonly Org[]): OrgNode[] {
  const byId = new Map<string, Org>()
  for (const org of orgs) if (!byId.has(org.id)) byId.set(org.id, org)
  const nodes = new Map<string, OrgNode>()
  for (const org of byId.values()) nodes.set(org.id, { ...org })

  /** The parent to hang `org` under, or null for a root (no parent, unknown parent, or a loop). */
  function parentOf(org: Org): string | null {
    const parent = org.parent_id
    if (!parent || !byId.has(parent)) return null
    const seen = new Set<string>([org.id])
    let cursor: string | null | undefined = parent
    while (cursor && byId.has(cursor)) {
      if (seen.has(cursor)) return null
      seen.add(cursor)
      cursor = byId.get(cursor)?.parent_id
    }
    return parent
  }

  const roots: OrgNode[] = []
  for (const org of byId.values()) {
    const node = nodes.get(org.id)!
    const parentId = parentOf(org)
    const parent = parentId ? nodes.get(parentId) : undefined
    if (parent) (parent.children ??= []).push(node)
    else roots.push(node)
  }
  return roots
}

/** The tree cut to the orgs whose name or code contains `keyword` (case-insensitive), with their ancestors. */
export function filterOrgTree(tree: readonly OrgNode[], keyword: string): OrgNode[] {
  const needle = keyword.trim().toLowerCase()
  if (!needle) return [...tree]
  const out: OrgNode[] = []
  for (const node of tree) {
    // A matching org keeps its whole subtree: one looks a branch up to see its 支行.
    if (node.name.toLowerCase().includes(needle) || node.code.toLowerCase().includes(needle)) {
      out.push(node)
      continue
    }
    const children = node.children ? filterOrgTree(node.children, keyword) : []
    if (children.length > 0) out.push({ ...node, children })
  }
  return out
}

/** Every org of the tree, depth first. */
export function flattenOrgTree(tree: readonly OrgNode[]): OrgNode[] {
  return tree.flatMap((node) => [node, ...(node.children ? flattenOrgTree(node.children) : [])])
}

export type OrgLevel = 'head' | 'branch' | 'subBranch'

/** 1 总行, 2 分行, 3 支行 (the server's `level`). */
export const ORG_LEVELS: Record<number, OrgLevel> = { 1: 'head', 2: 'branch', 3: 'subBranch' }

export const ORG_LEVEL_LABELS: Record<OrgLevel, MessageKey> = {
  head: 'org.levels.head',
  branch: 'org.levels.branch',
  subBranch: 'org.levels.subBranch',
}

/** The i18n key of an org level, or null for a level the UI does not know. */
export function orgLevelLabel(level: number): MessageKey | null {
  const key = ORG_LEVELS[level]
  return key ? ORG_LEVEL_LABELS[key] : null
}

/** How many orgs of each known level the list holds. */
export function countByLevel(orgs: readonly Org[]): Record<OrgLevel, number> {
  const counts: Record<OrgLevel, number> = { head: 0, branch: 0, subBranch: 0 }
  for (const org of orgs) {
    const level = ORG_LEVELS[org.level]
    if (level) counts[level] += 1
  }
  return counts
}
