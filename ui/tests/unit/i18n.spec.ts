import { describe, expect, it } from 'vitest'
import en from '@/locales/en'
import zhCN from '@/locales/zh-CN'

function keys(obj: object, prefix = ''): string[] {
  return Object.entries(obj).flatMap(([k, v]) =>
    typeof v === 'object' && v !== null ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`],
  )
}

function values(obj: object): unknown[] {
  return Object.values(obj).flatMap((v) => (typeof v === 'object' && v !== null ? values(v) : [v]))
}

/** The named placeholders a message uses (each once: a plural form may use one in each of its forms). */
function placeholders(text: string): string[] {
  return [...new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''))].sort()
}

describe('locales', () => {
  it('zh-CN and en have exactly the same keys', () => {
    expect(keys(en).sort()).toEqual(keys(zhCN).sort())
  })

  it('have no empty strings', () => {
    for (const v of [...values(zhCN), ...values(en)]) {
      expect(typeof v).toBe('string')
      expect((v as string).trim()).not.toBe('')
    }
  })

  it('use the same named placeholders in both languages', () => {
    const flat = (obj: object) => Object.fromEntries(keys(obj).map((k) => [k, k.split('.').reduce<unknown>((o, p) => (o as Record<string, unknown>)[p], obj)]))
    const zh = flat(zhCN)
    const e = flat(en)
    for (const k of Object.keys(zh)) expect(placeholders(e[k] as string), k).toEqual(placeholders(zh[k] as string))
  })

  it('carry the product title', () => {
    expect(zhCN.app.title).toBe('权益 Quanyi · 智能金融服务平台')
  })
})
