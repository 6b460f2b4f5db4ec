import { beforeEach, describe, expect, it, vi } from 'vitest'
import type * as ElementPlus from 'element-plus'
import type { VNode } from 'vue'
import type { LastLogin } from '@/api/types'
import { i18n, setLocale } from '@/locales'
import { lastLoginNotice, noticeSegments } from '@/utils/last-login'
import { LAST_LOGIN_NOTICE_MS, showLastLoginNotice } from '@/utils/notify'

vi.mock('element-plus', async (importOriginal) => ({
  ...(await importOriginal<typeof ElementPlus>()),
  ElNotification: vi.fn(),
}))
const { ElNotification } = await import('element-plus')

const t = i18n.global.t as Parameters<typeof lastLoginNotice>[1]
// 2026-03-02 01:04:05 UTC is 09:04:05 in Beijing.
const ok: LastLogin = { at: '2026-03-02T01:04:05Z', ip: '10.8.1.23', success: true, failures_since: 0 }

describe('last-login notice', () => {
  beforeEach(() => {
    setLocale('zh-CN')
    vi.mocked(ElNotification).mockReset()
  })

  it('reads the previous sign-in in Beijing time, in Chinese, as information when all went well', () => {
    const n = lastLoginNotice(ok, t)
    expect(n.message).toBe('上次登录：2026-03-02 09:04:05 来自 10.8.1.23（成功）；此后失败 0 次')
    expect(n.type).toBe('info')
    expect(n.title).toBe('登录提醒')
    expect(n.hint).toBeNull()
  })

  it('warns when there were failed attempts since', () => {
    const n = lastLoginNotice({ ...ok, failures_since: 3 }, t)
    expect(n.message).toBe('上次登录：2026-03-02 09:04:05 来自 10.8.1.23（成功）；此后失败 3 次')
    expect(n.type).toBe('warning')
    expect(n.hint).toContain('如非本人操作')
  })

  it('warns when the previous sign-in itself failed', () => {
    const n = lastLoginNotice({ ...ok, at: '2026-03-01T16:30:00+00:00', success: false }, t)
    expect(n.message).toBe('上次登录：2026-03-02 00:30:00 来自 10.8.1.23（失败）；此后失败 0 次')
    expect(n.type).toBe('warning')
  })

  it('reads in English, with the count in words that fit it', () => {
    setLocale('en')
    expect(lastLoginNotice(ok, t)).toMatchObject({
      title: 'Sign-in notice',
      message: 'Last sign-in: 2026-03-02 09:04:05 from 10.8.1.23 (successful); no failed attempts since',
      type: 'info',
      hint: null,
    })
    expect(lastLoginNotice({ ...ok, failures_since: 1 }, t).message).toBe(
      'Last sign-in: 2026-03-02 09:04:05 from 10.8.1.23 (successful); 1 failed attempt since',
    )
    const failed = lastLoginNotice({ ...ok, success: false, failures_since: 4 }, t)
    expect(failed.message).toBe('Last sign-in: 2026-03-02 09:04:05 from 10.8.1.23 (failed); 4 failed attempts since')
    expect(failed.type).toBe('warning')
    expect(failed.hint).toContain('If this was not you')
  })

  it('cuts the message into pieces that join back to it, in both languages', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      setLocale(locale)
      for (const last of [ok, { ...ok, success: false, failures_since: 7 }]) {
        const n = lastLoginNotice(last, t)
        const segments = noticeSegments(n)
        expect(segments.map((s) => s.text).join('')).toBe(n.message)
        expect(segments.filter((s) => s.mark).map((s) => s.mark)).toEqual(['time', 'ip', 'failures'])
      }
    }
  })

  it('shows an ElNotification that stays about 10 seconds, styled by the outcome, and none without a previous sign-in', () => {
    showLastLoginNotice(null)
    showLastLoginNotice(undefined)
    expect(ElNotification).not.toHaveBeenCalled()

    showLastLoginNotice({ ...ok, failures_since: 2 })
    expect(ElNotification).toHaveBeenCalledTimes(1)
    const options = vi.mocked(ElNotification).mock.calls[0]?.[0] as Record<string, unknown>
    expect(options).toMatchObject({ type: 'warning', title: '登录提醒', duration: LAST_LOGIN_NOTICE_MS, showClose: true })
    expect(LAST_LOGIN_NOTICE_MS).toBe(10_000)
    const body = options.message as VNode
    expect((body.props as Record<string, unknown>)['data-type']).toBe('warning')
    const [text, hint] = body.children as VNode[]
    const flat = (text?.children as (VNode | string)[]).map((c) => (typeof c === 'string' ? c : c.children)).join('')
    expect(flat).toBe('上次登录：2026-03-02 09:04:05 来自 10.8.1.23（成功）；此后失败 2 次')
    const marked = (text?.children as (VNode | string)[]).filter((c): c is VNode => typeof c !== 'string')
    expect(marked.map((c) => [c.props?.class, c.children])).toEqual([
      ['qy-last-login__time', '2026-03-02 09:04:05'],
      ['qy-last-login__ip', '10.8.1.23'],
      ['qy-last-login__failures', '此后失败 2 次'],
    ])
    expect(hint?.children).toContain('如非本人操作')

    showLastLoginNotice(ok)
    const second = vi.mocked(ElNotification).mock.calls[1]?.[0] as Record<string, unknown>
    expect(second.type).toBe('info')
    expect(((second.message as VNode).children as (VNode | null)[])[1]).toBeNull()
  })
})
