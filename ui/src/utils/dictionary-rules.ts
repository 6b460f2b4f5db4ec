// 码值管理: the item form's rules, mirroring the server's (QY-SYS-1012): a code of 1–32 lower-case letters,
// digits or underscores not starting with one, labels of 1–50 (zh) and 1–100 (en) characters once trimmed,
// an int32 order. Plus one the server cannot know is meant: a new item must not reuse an existing code
// (the PUT would silently replace that item).
import type { DictionaryItem } from '@/api/types'
import type { MessageKey } from '@/locales'

export const DICTIONARY_CODE = /^[a-z0-9][a-z0-9_]{0,31}$/
export const LABEL_ZH_MAX = 50
export const LABEL_EN_MAX = 100
export const SORT_MIN = -2147483648
export const SORT_MAX = 2147483647

export interface ItemForm {
  code: string
  labelZh: string
  labelEn: string
  sort: number | null | undefined
  enabled: boolean
}

export type ItemField = 'code' | 'labelZh' | 'labelEn' | 'sort'

export interface FieldProblem {
  key: MessageKey
  named?: Record<string, unknown>
}

/** Characters as the server counts them (Unicode scalar values, not UTF-16 units). */
function length(value: string): number {
  return [...value].length
}

/** What is wrong with `field` of the form, or null. `existing` are the list's codes, for a new item. */
export function itemFieldProblem(field: ItemField, form: ItemForm, existing: readonly string[] = [], isNew = true): FieldProblem | null {
  switch (field) {
    case 'code': {
      if (!isNew) return null
      const code = form.code.trim()
      if (!code) return { key: 'dictionary.codeRequired' }
      if (!DICTIONARY_CODE.test(code)) return { key: 'dictionary.codeInvalid' }
      if (existing.includes(code)) return { key: 'dictionary.codeTaken', named: { code } }
      return null
    }
    case 'labelZh': {
      const n = length(form.labelZh.trim())
      if (n === 0) return { key: 'dictionary.labelZhRequired' }
      return n > LABEL_ZH_MAX ? { key: 'dictionary.labelZhTooLong', named: { n: LABEL_ZH_MAX } } : null
    }
    case 'labelEn': {
      const n = length(form.labelEn.trim())
      if (n === 0) return { key: 'dictionary.labelEnRequired' }
      return n > LABEL_EN_MAX ? { key: 'dictionary.labelEnTooLong', named: { n: LABEL_EN_MAX } } : null
    }
    case 'sort': {
      const s = form.sort
      const ok = typeof s === 'number' && Number.isInteger(s) && s >= SORT_MIN && s <= SORT_MAX
      return ok ? null : { key: 'dictionary.sortInvalid', named: { min: SORT_MIN, max: SORT_MAX } }
    }
  }
}

/** Every problem of the form, by field (empty when it may be sent). */
export function itemProblems(form: ItemForm, existing: readonly string[] = [], isNew = true): Partial<Record<ItemField, FieldProblem>> {
  const out: Partial<Record<ItemField, FieldProblem>> = {}
  for (const field of ['code', 'labelZh', 'labelEn', 'sort'] as const) {
    const p = itemFieldProblem(field, form, existing, isNew)
    if (p) out[field] = p
  }
  return out
}

/** The form for a new item (ordered after the last one) or for editing `item`. */
export function itemForm(item: DictionaryItem | null, items: readonly DictionaryItem[] = []): ItemForm {
  if (item) return { code: item.code, labelZh: item.label_zh, labelEn: item.label_en, sort: item.sort, enabled: item.enabled }
  const last = items.reduce((max, i) => Math.max(max, i.sort), 0)
  return { code: '', labelZh: '', labelEn: '', sort: Math.min(last + 1, SORT_MAX), enabled: true }
}

/** The request body of the form, labels trimmed. */
export function itemBody(form: ItemForm): { label_zh: string; label_en: string; sort: number; enabled: boolean } {
  return { label_zh: form.labelZh.trim(), label_en: form.labelEn.trim(), sort: form.sort ?? 0, enabled: form.enabled }
}

/** An item's label in the UI language. */
export function itemLabel(item: Pick<DictionaryItem, 'label_zh' | 'label_en'>, locale: string): string {
  return locale === 'en' ? item.label_en || item.label_zh : item.label_zh || item.label_en
}

/** The label of `code` in list `type`, or the code itself when the list or the item is unknown. */
export function dictionaryLabel(
  lists: readonly { code: string; items: readonly DictionaryItem[] }[],
  type: string,
  code: string,
  locale: string,
): string {
  const item = lists.find((l) => l.code === type)?.items.find((i) => i.code === code)
  return item ? itemLabel(item, locale) : code
}
