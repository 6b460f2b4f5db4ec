// What the browser checks on the org form, mirroring the server (which decides: QY-SYS-1013 code,
// QY-SYS-1014 name, QY-SYS-1015 code taken, QY-SYS-1016 under a sub-branch), and where a server error
// belongs on the form.
import type { Org } from '@/api/types'

export const ORG_CODE_PATTERN = /^[0-9A-Za-z_-]{1,32}$/
export const ORG_NAME_MAX = 100
/** 支行 (level 3) is a leaf of the org tree: only 总行 and 分行 take orgs below them. */
export const LEAF_LEVEL = 3

export type OrgField = 'parentId' | 'code' | 'name'

export function validOrgName(value: string): boolean {
  const length = [...value.trim()].length
  return length >= 1 && length <= ORG_NAME_MAX
}

/** The orgs a new org may go under: those above the leaf level. */
export function parentCandidates(orgs: readonly Org[]): Org[] {
  return orgs.filter((org) => org.level < LEAF_LEVEL)
}

export const ORG_ERROR_FIELDS: Readonly<Record<string, OrgField>> = {
  'QY-SYS-1001': 'parentId',
  'QY-SYS-1016': 'parentId',
  'QY-SYS-1013': 'code',
  'QY-SYS-1015': 'code',
  'QY-SYS-1014': 'name',
}
