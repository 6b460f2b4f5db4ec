import { describe, expect, it } from 'vitest'
import { i18n, setLocale, type MessageKey } from '@/locales'
import { auditActionLabel, auditActionOptions, auditDiff, auditResultTag, loginResultTag, prettyJson, type AuditCatalogue } from '@/utils/log-labels'
import { emptySearch, hasFilters, lastDays, logFilters, rangeShortcuts, wallClockDate } from '@/utils/log-query'

const t = (key: MessageKey) => i18n.global.t(key)

const CATALOGUE: AuditCatalogue = {
  actions: [
    { code: 'auth.session.login', label_zh: '登录', label_en: 'Sign in' },
    { code: 'process.action.take', label_zh: '流程办理', label_en: 'Process action' },
  ],
  fields: [
    { name: 'action', label_zh: '操作', label_en: 'Action' },
    { name: 'comment', label_zh: '意见', label_en: 'Comment' },
    { name: 'budget_fen', label_zh: '预算', label_en: 'Budget' },
    { name: 'delivery', label_zh: '投放设置', label_en: 'Delivery' },
    { name: 'priority', label_zh: '优先级', label_en: 'Priority' },
    { name: 'end_at', label_zh: '结束时间', label_en: 'End' },
  ],
}

describe('audit action labels', () => {
  it("names actions from the server's catalogue in the UI language, and offers every one to the filter", () => {
    expect(auditActionLabel('process.action.take', CATALOGUE, 'zh-CN')).toBe('流程办理')
    expect(auditActionLabel('process.action.take', CATALOGUE, 'en')).toBe('Process action')
    expect(auditActionLabel('campaign.approve', CATALOGUE, 'zh-CN')).toBeNull()
    expect(auditActionLabel('toString', CATALOGUE, 'zh-CN')).toBeNull()
    expect(auditActionLabel('auth.session.login', null, 'zh-CN')).toBeNull()
    expect(auditActionOptions(CATALOGUE, 'zh-CN')).toEqual([
      { code: 'auth.session.login', label: '登录' },
      { code: 'process.action.take', label: '流程办理' },
    ])
  })
})

describe('audit before/after', () => {
  it("lists the fields by name, in the catalogue's order, with values in words: fen as yuan, times in Beijing time, nested fields named by both", () => {
    const rows = auditDiff(
      { budget_fen: 100000, end_at: '2026-12-07T16:00:00Z', delivery: { priority: 1 } },
      { budget_fen: 150050, end_at: '2026-12-07T16:00:00Z', delivery: { priority: 5 }, note: 'x' },
      CATALOGUE,
      'zh-CN',
      '内容',
    )
    expect(rows.map((r) => [r.label, r.before, r.after, r.changed])).toEqual([
      ['预算', '¥1,000.00', '¥1,500.50', true],
      ['投放设置 · 优先级', '1', '5', true],
      ['结束时间', '2026-12-08 00:00:00', '2026-12-08 00:00:00', false],
      ['note', '—', 'x', true],
    ])
  })

  it('shows one side when the other is absent, a coded action by its name, and nothing for no data', () => {
    const rows = auditDiff(null, { action: 'return', comment: '预算不清' }, CATALOGUE, 'zh-CN', '内容', { action: { return: '退回修改' } })
    expect(rows.map((r) => [r.label, r.before, r.after])).toEqual([
      ['操作', null, '退回修改'],
      ['意见', null, '预算不清'],
    ])
    expect(auditDiff(null, null, CATALOGUE, 'zh-CN', '内容')).toEqual([])
    expect(auditDiff(['a', 'b'], ['a'], CATALOGUE, 'en', 'Value')).toEqual([{ field: '', label: 'Value', before: 'a; b', after: 'a', changed: true }])
  })
})

describe('result tags', () => {
  it('shows audit results ok as green 成功, refused as red 已拒绝, anything else as sent', () => {
    setLocale('zh-CN')
    expect(auditResultTag('ok', t)).toEqual({ type: 'success', text: '成功' })
    expect(auditResultTag('refused', t)).toEqual({ type: 'danger', text: '已拒绝' })
    expect(auditResultTag('partial', t)).toEqual({ type: 'info', text: 'partial' })
  })

  it('shows sign-in results as 成功 / 失败', () => {
    setLocale('zh-CN')
    expect(loginResultTag(true, t)).toEqual({ type: 'success', text: '成功' })
    expect(loginResultTag(false, t)).toEqual({ type: 'danger', text: '失败' })
    setLocale('en')
    expect(loginResultTag(false, t).text).toBe('Failure')
    setLocale('zh-CN')
  })

  it('indents before/after JSON and gives null for none', () => {
    expect(prettyJson({ value: 5 })).toBe('{\n  "value": 5\n}')
    expect(prettyJson(null)).toBeNull()
    expect(prettyJson(undefined)).toBeNull()
    expect(prettyJson(0)).toBe('0')
  })
})

describe('log search → query', () => {
  it('sends nothing for an empty search', () => {
    expect(logFilters(emptySearch())).toEqual({})
    expect(hasFilters(emptySearch())).toBe(false)
  })

  it('trims the username, maps the result to success and keeps the action', () => {
    expect(logFilters({ username: ' admin ', result: 'failure', range: null, action: 'system.user.create' })).toEqual({
      username: 'admin',
      success: false,
      action: 'system.user.create',
    })
    expect(logFilters({ username: '', result: 'success', range: null })).toEqual({ success: true })
  })

  it('reads the range as Beijing time in RFC 3339, the end inclusive to the second (exclusive + 1 s for the server)', () => {
    expect(logFilters({ ...emptySearch(), range: ['2026-11-01 00:00:00', '2026-11-30 23:59:59'] })).toEqual({
      from: '2026-11-01T00:00:00+08:00',
      to: '2026-12-01T00:00:00+08:00',
    })
    expect(logFilters({ ...emptySearch(), range: ['2026-12-31 10:00:00', '2026-12-31 23:59:59'] }).to).toBe('2027-01-01T00:00:00+08:00')
  })

  it('builds the shortcuts in Beijing days whatever the instant', () => {
    // 2026-11-26 01:30 in Beijing is still 2026-11-25 in UTC.
    const now = new Date('2026-11-25T17:30:00Z')
    expect(lastDays(1, now)).toEqual(['2026-11-26 00:00:00', '2026-11-26 23:59:59'])
    expect(lastDays(7, now)).toEqual(['2026-11-20 00:00:00', '2026-11-26 23:59:59'])
  })

  it('gives the pickers local Dates that show the Beijing digits', () => {
    const d = wallClockDate('2026-11-20 00:00:00')
    expect([d.getFullYear(), d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()]).toEqual([2026, 10, 20, 0, 0, 0])
    setLocale('zh-CN')
    const shortcuts = rangeShortcuts(t, () => ['2026-11-20 00:00:00', '2026-11-26 23:59:59'])
    expect(shortcuts.map((s) => s.text)).toEqual(['今天', '最近 7 天', '最近 30 天'])
    expect(shortcuts[1]!.value().map((x) => x.getDate())).toEqual([20, 26])
  })
})
