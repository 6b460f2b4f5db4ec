// Every string the UI asks for exists in both languages, English pages carry no Han characters from the
// locale files, and Chinese labels are not left in English (issue 15). The sources are read as text: each
// t('a.b') must be a string in zh-CN and en; each t(`a.${x}`) must name a group that both languages have.
import { describe, expect, it } from 'vitest'
import en from '@/locales/en'
import zhCN from '@/locales/zh-CN'

const SOURCES = import.meta.glob('/src/**/*.{vue,ts}', { query: '?raw', import: 'default', eager: true }) as Record<string, string>

type Tree = Record<string, unknown>

function at(tree: Tree, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node !== null && typeof node === 'object' ? (node as Tree)[part] : undefined), tree)
}

function leaves(tree: Tree, prefix = ''): [string, string][] {
  return Object.entries(tree).flatMap(([k, v]) => (typeof v === 'object' && v !== null ? leaves(v as Tree, `${prefix}${k}.`) : [[`${prefix}${k}`, String(v)] as [string, string]]))
}

/** The keys the sources ask for: plain ones, and the fixed heads of the ones built from a template. */
function usedKeys(): { plain: Map<string, string>; heads: Map<string, string> } {
  const plain = new Map<string, string>()
  const heads = new Map<string, string>()
  const call = /(?<![\w$.])(?:\$?t|i18n\.global\.t)\(\s*(['"`])([\w.${}\s]+?)\1/g
  for (const [file, text] of Object.entries(SOURCES)) {
    if (file.includes('/locales/') || file.endsWith('.d.ts')) continue
    for (const m of text.matchAll(call)) {
      const key = m[2]!
      if (!key.includes('.')) continue
      if (m[1] === '`' && key.includes('${')) heads.set(key.slice(0, key.indexOf('${')).replace(/\.$/, ''), file)
      else plain.set(key, file)
    }
  }
  return { plain, heads }
}

const HAN = /[\u3400-\u9fff\uf900-\ufaff]/

/** Chinese labels that are rightly Latin: product names, standards and acronyms staff use as they are. */
const LATIN_IN_ZH = new Set([
  'Quanyi', 'API', 'ESB', 'CSV', 'Excel', 'TOTP', 'URL', 'ID', 'IP', 'SLA', 'QR', 'Temporal', 'OpenAPI', 'Swagger', 'UI', 'JSON', 'SQL', 'HTTP', 'HTTPS',
  'PostgreSQL', 'UUID', 'SMS', 'Email', 'App', 'POS', 'MB', 'KB', 'PDF', 'Google', 'Microsoft', 'Authenticator', 'ok', 'OK', 'WeChat', 'xlsx', 'csv', 'txt', 'Workflow', 'Cron',
])

/** Chinese strings that must show English: the language switch names English in English. */
const LATIN_KEYS_IN_ZH = new Set(['lang.en'])

/** English strings that must show Chinese: the language switch names Chinese in Chinese, and the
 * authenticator app staff find by its Chinese name. The brand 权益 Quanyi is the product's name. */
const HAN_IN_EN = new Set(['lang.zhCN', 'totp.appTencent'])
const BRAND = '权益 Quanyi'

describe('UI strings', () => {
  const { plain, heads } = usedKeys()

  it('finds the keys the sources use', () => {
    expect(plain.size).toBeGreaterThan(300)
    expect(plain.has('common.search')).toBe(true)
  })

  it('has every key the sources use, in both languages', () => {
    const missing: string[] = []
    for (const [key, file] of plain) {
      for (const [name, tree] of [['zh-CN', zhCN], ['en', en]] as const) {
        if (typeof at(tree as Tree, key) !== 'string') missing.push(`${name}: ${key} (${file})`)
      }
    }
    expect(missing).toEqual([])
  })

  it('has every group a built key reaches into, in both languages', () => {
    const missing: string[] = []
    for (const [head, file] of heads) {
      for (const [name, tree] of [['zh-CN', zhCN], ['en', en]] as const) {
        const node = at(tree as Tree, head)
        if (node === null || typeof node !== 'object') missing.push(`${name}: ${head}.* (${file})`)
      }
    }
    expect(missing).toEqual([])
  })

  it('shows no Han character on an English page (from the locale files)', () => {
    const han = leaves(en as unknown as Tree).filter(([key, value]) => HAN.test(value.replaceAll(BRAND, '')) && !HAN_IN_EN.has(key))
    expect(han).toEqual([])
  })

  it('leaves no Chinese label in English (acronyms and product names aside)', () => {
    const latin = leaves(zhCN as unknown as Tree).filter(([key, value]) => {
      if (HAN.test(value) || LATIN_KEYS_IN_ZH.has(key)) return false
      const words = value.replace(/\{\w+\}/g, '').match(/[A-Za-z]{2,}/g) ?? []
      return words.some((w) => !LATIN_IN_ZH.has(w))
    })
    expect(latin).toEqual([])
  })
})
