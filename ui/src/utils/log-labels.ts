// Labels for what the log endpoints answer in codes: audit actions (`system.user.create` → 新增用户) and the
// fields of their before/after data, from the server's one catalogue (GET /api/v1/system/audit-actions);
// audit results (`ok` / `refused`) and sign-in results. Unknown codes are shown as the server sent them.
import type { MessageKey } from '@/locales'
import { formatDateTime } from './date'
import { formatFen } from './money'

/** An audit action or a before/after field, named in both languages by the server. */
export interface Named {
  label_zh: string
  label_en: string
}
export interface ActionLabel extends Named {
  code: string
}
export interface FieldLabel extends Named {
  name: string
}
/** The server's catalogue: every action the code writes, every field its data carry. */
export interface AuditCatalogue {
  actions: readonly ActionLabel[]
  fields: readonly FieldLabel[]
}

type Translate = (key: MessageKey) => string

function named(item: Named, locale: string): string {
  return locale.startsWith('zh') ? item.label_zh : item.label_en
}

/** The action's name (登录, 新增用户, …), or null when the catalogue does not have it (then only the code shows). */
export function auditActionLabel(action: string, catalogue: AuditCatalogue | null, locale: string): string | null {
  const found = catalogue?.actions.find((a) => a.code === action)
  return found ? named(found, locale) : null
}

/** The 操作 filter's options: every action of the catalogue, in its order. */
export function auditActionOptions(catalogue: AuditCatalogue | null, locale: string): { code: string; label: string }[] {
  return (catalogue?.actions ?? []).map((a) => ({ code: a.code, label: named(a, locale) }))
}

/** A field's name (名称, 开始时间 …); `_fen` amounts are shown in yuan; an unknown field by its key. */
export function auditFieldLabel(field: string, catalogue: AuditCatalogue | null, locale: string): string {
  const found = catalogue?.fields.find((f) => f.name === field)
  return found ? named(found, locale) : field
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/

/** One value of before/after data as a person reads it: times in Beijing time, fen as yuan, lists joined. */
export function auditValue(value: unknown, field: string, catalogue: AuditCatalogue | null, locale: string): string {
  if (value === null || value === undefined || value === '') return '—'
  if (typeof value === 'boolean') return value ? (locale.startsWith('zh') ? '是' : 'Yes') : locale.startsWith('zh') ? '否' : 'No'
  if (typeof value === 'number') return field.endsWith('_fen') ? formatFen(value) : value.toLocaleString('en-US')
  if (typeof value === 'string') return ISO_TIME.test(value) ? formatDateTime(value) : value
  if (Array.isArray(value)) {
    if (value.length === 0) return '—'
    return value.map((v) => auditValue(v, field, catalogue, locale)).join(locale.startsWith('zh') ? '；' : '; ')
  }
  if (typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${auditFieldLabel(k, catalogue, locale)} ${auditValue(v, k, catalogue, locale)}`)
      .join(locale.startsWith('zh') ? '，' : ', ')
  }
  return String(value)
}

/** A row of a record's before/after table. */
export interface DiffRow {
  field: string
  label: string
  before: string | null
  after: string | null
  changed: boolean
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/**
 * A record's before/after data as a table of fields: each field (nested objects one level down, named
 * "投放设置 · 优先级") with its value before and after, in people's words; data that is not an object is one
 * row named `valueLabel`. A side with no data shows null.
 */
export function auditDiff(
  before: unknown,
  after: unknown,
  catalogue: AuditCatalogue | null,
  locale: string,
  valueLabel: string,
  /** Names for coded values of a field (a process action's `action`: `return` → 退回修改). */
  codes: Readonly<Record<string, Readonly<Record<string, string>>>> = {},
): DiffRow[] {
  const has = (v: unknown) => v !== null && v !== undefined
  if (!has(before) && !has(after)) return []
  const flat = (v: unknown): Map<string, unknown> => {
    const out = new Map<string, unknown>()
    if (!isRecord(v)) return out
    for (const [k, inner] of Object.entries(v)) {
      if (isRecord(inner) && Object.keys(inner).length > 0) {
        for (const [k2, v2] of Object.entries(inner)) out.set(`${k}.${k2}`, v2)
      } else {
        out.set(k, inner)
      }
    }
    return out
  }
  if ((has(before) && !isRecord(before)) || (has(after) && !isRecord(after))) {
    const b = has(before) ? auditValue(before, '', catalogue, locale) : null
    const a = has(after) ? auditValue(after, '', catalogue, locale) : null
    return [{ field: '', label: valueLabel, before: b, after: a, changed: b !== a }]
  }
  const b = flat(before)
  const a = flat(after)
  // in the catalogue's order (the stored data's order is the database's), unknown fields last
  const rank = (key: string) => {
    const i = catalogue?.fields.findIndex((f) => f.name === key.split('.')[0]) ?? -1
    return i < 0 ? Number.MAX_SAFE_INTEGER : i
  }
  const keys = [...b.keys(), ...[...a.keys()].filter((k) => !b.has(k))]
  keys.sort((x, y) => rank(x) - rank(y))
  const sep = ' · '
  return keys.map((key) => {
    const parts = key.split('.')
    const leaf = parts[parts.length - 1]!
    const label = parts.map((p) => auditFieldLabel(p, catalogue, locale)).join(sep)
    const shown = (v: unknown) => (typeof v === 'string' && codes[key]?.[v]) || auditValue(v, leaf, catalogue, locale)
    const bv = has(before) ? shown(b.get(key)) : null
    const av = has(after) ? shown(a.get(key)) : null
    return { field: key, label, before: bv, after: av, changed: bv !== av }
  })
}

export type TagType = 'success' | 'danger' | 'warning' | 'info'

export interface ResultTag {
  type: TagType
  text: string
}

/** An audit record's result: `ok` 成功 (green), `refused` 已拒绝 (red), anything else as sent (grey). */
export function auditResultTag(result: string, t: Translate): ResultTag {
  if (result === 'ok') return { type: 'success', text: t('log.success') }
  if (result === 'refused') return { type: 'danger', text: t('log.refused') }
  return { type: 'info', text: result }
}

/** A sign-in attempt's result: 成功 (green) or 失败 (red). */
export function loginResultTag(success: boolean, t: Translate): ResultTag {
  return success ? { type: 'success', text: t('log.success') } : { type: 'danger', text: t('log.failure') }
}

/** Before/after JSON of an audit record, indented for reading; null/absent → null. */
export function prettyJson(value: unknown): string | null {
  if (value === null || value === undefined) return null
  try {
    return JSON.stringify(value, null, 2)
  } catch {
    return String(value)
  }
}
