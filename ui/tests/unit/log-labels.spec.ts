import { describe, expect, it } from 'vitest'
import { i18n, setLocale, type MessageKey } from '@/locales'
import { AUDIT_ACTION_LABELS, auditActionLabel, auditResultTag, loginResultTag, prettyJson } from '@/utils/log-labels'
import { emptySearch, hasFilters, lastDays, logFilters, rangeShortcuts, wallClockDate } from '@/utils/log-query'

const t = (key: MessageKey) => i18n.global.t(key)

describe('audit action labels', () => {
  it('names every action the brief lists, in Chinese', () => {
    setLocale('zh-CN')
    const named = Object.fromEntries(Object.keys(AUDIT_ACTION_LABELS).map((a) => [a, auditActionLabel(a, t)]))
    expect(named).toEqual({
      'auth.session.login': '登录',
      'auth.session.logout': '退出',
      'auth.session.reauth': '重新验证',
      'auth.password.change': '修改密码',
      'system.user.create': '新增用户',
      'system.user.reset_password': '重置密码',
      'system.user.grant_role': '授予角色',
      'system.user.unlock': '解锁',
      'system.parameter.read': '查看安全参数',
      'system.parameter.update': '修改参数',
      'system.dictionary.put': '维护码值',
      'system.log.export': '导出日志',
    })
  })

  it('names them in English too, and gives null for actions it does not know', () => {
    setLocale('en')
    expect(auditActionLabel('system.user.grant_role', t)).toBe('Grant role')
    expect(auditActionLabel('campaign.approve', t)).toBeNull()
    expect(auditActionLabel('toString', t)).toBeNull()
    expect(auditActionLabel('', t)).toBeNull()
    setLocale('zh-CN')
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
