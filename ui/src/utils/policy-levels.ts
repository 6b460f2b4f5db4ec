// 审批策略's level editor: the limits (1–5 levels, a time limit of 1–43,200 minutes, a reminder no
// earlier than the limit starts), each row's checks as message keys, moving a level up or down, and the
// names of roles and org rules from the server's options.
import type { PolicyLevel, PolicyOptions } from '@/api/types'
import type { MessageKey } from '@/locales'

export const MAX_LEVELS = 5
export const MAX_SLA_MINUTES = 43_200

export function emptyLevel(): PolicyLevel {
  return { name: '', role: '', org_rule: '', sla_minutes: 1440, remind_before_minutes: 120, escalate: false }
}

export type LevelCell = 'name' | 'role' | 'org_rule' | 'remind_before_minutes'

/** A level's problems by cell (message keys), empty when it is fine. */
export function levelErrors(level: PolicyLevel): Partial<Record<LevelCell, MessageKey>> {
  const errors: Partial<Record<LevelCell, MessageKey>> = {}
  if (!level.name.trim()) errors.name = 'policy.levelNameRequired'
  if (!level.role) errors.role = 'policy.roleRequired'
  if (!level.org_rule) errors.org_rule = 'policy.orgRuleRequired'
  if (level.remind_before_minutes > level.sla_minutes) errors.remind_before_minutes = 'policy.remindOverSla'
  return errors
}

/** `levels` with the level at `index` moved one place up (-1) or down (+1); unchanged at the ends. */
export function moveLevel<T>(levels: readonly T[], index: number, by: -1 | 1): T[] {
  const to = index + by
  const out = [...levels]
  if (index < 0 || index >= out.length || to < 0 || to >= out.length) return out
  const [item] = out.splice(index, 1)
  out.splice(to, 0, item as T)
  return out
}

export function roleName(code: string, options: PolicyOptions | null): string {
  return options?.roles.find((r) => r.code === code)?.name ?? code
}

export function orgRuleName(code: string, options: PolicyOptions | null, locale: string): string {
  const rule = options?.org_rules.find((r) => r.code === code)
  if (!rule) return code
  return locale.startsWith('zh') ? rule.label_zh : rule.label_en
}
