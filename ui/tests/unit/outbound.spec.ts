import { describe, expect, it } from 'vitest'
import { i18n, setLocale, type MessageKey } from '@/locales'
import {
  CHANNELS,
  NOTIFICATION_STATUSES,
  OUTCOMES,
  TARGETS,
  channelLabel,
  emptyNotificationSearch,
  emptyOutboundSearch,
  excerptText,
  notificationFilters,
  notificationStatusTag,
  outboundFilters,
  outcomeTag,
  parseNotificationId,
  targetLabel,
} from '@/utils/outbound'

const t = (key: MessageKey) => i18n.global.t(key)

describe('通知记录 labels', () => {
  it('names the channels in the bank\'s words, and in English', () => {
    setLocale('zh-CN')
    expect(CHANNELS.map((c) => channelLabel(c, t))).toEqual(['邮件', '短信', '企业微信', 'ESB回调'])
    setLocale('en')
    expect(CHANNELS.map((c) => channelLabel(c, t))).toEqual(['E-mail', 'SMS', 'WeChat Work', 'ESB callback'])
    setLocale('zh-CN')
    expect(channelLabel('fax', t)).toBe('fax')
  })

  it('colours the states: 待发送 grey, 重试中 amber, 已发送 green, 失败 red; unknown as sent', () => {
    setLocale('zh-CN')
    expect(NOTIFICATION_STATUSES.map((s) => notificationStatusTag(s, t))).toEqual([
      { type: 'info', text: '待发送' },
      { type: 'warning', text: '重试中' },
      { type: 'success', text: '已发送' },
      { type: 'danger', text: '失败' },
    ])
    expect(notificationStatusTag('cancelled', t)).toEqual({ type: 'info', text: 'cancelled' })
    // Not fooled by the prototype.
    expect(notificationStatusTag('toString', t)).toEqual({ type: 'info', text: 'toString' })
    setLocale('en')
    expect(notificationStatusTag('retrying', t)).toEqual({ type: 'warning', text: 'Retrying' })
    setLocale('zh-CN')
  })
})

describe('外呼日志 labels', () => {
  it('names the targets', () => {
    setLocale('zh-CN')
    expect(TARGETS.map((x) => targetLabel(x, t))).toEqual(['短信平台', '企业微信', 'ESB'])
    expect(targetLabel('smtp', t)).toBe('smtp')
    setLocale('en')
    expect(targetLabel('sms', t)).toBe('SMS platform')
    setLocale('zh-CN')
  })

  it('names and colours the outcomes', () => {
    setLocale('zh-CN')
    expect(OUTCOMES.map((o) => outcomeTag(o, t))).toEqual([
      { type: 'success', text: '成功' },
      { type: 'danger', text: '被拒' },
      { type: 'danger', text: 'HTTP错误' },
      { type: 'warning', text: '超时' },
      { type: 'warning', text: '连接失败' },
      { type: 'info', text: '熔断中' },
    ])
    expect(outcomeTag('weird', t)).toEqual({ type: 'info', text: 'weird' })
    setLocale('en')
    expect(outcomeTag('circuit_open', t).text).toBe('Circuit open')
    setLocale('zh-CN')
  })
})

describe('通知记录 search → query', () => {
  it('leaves out what is not set', () => {
    expect(notificationFilters(emptyNotificationSearch())).toEqual({})
    expect(notificationFilters({ ...emptyNotificationSearch(), workflowId: '   ' })).toEqual({})
  })

  it('sends channel, status, the trimmed workflow id and the range in Beijing time, its end inclusive', () => {
    expect(
      notificationFilters({ channel: 'sms', status: 'retrying', workflowId: ' campaign-42 ', range: ['2026-11-26 00:00:00', '2026-11-26 23:59:59'] }),
    ).toEqual({
      channel: 'sms',
      status: 'retrying',
      workflow_id: 'campaign-42',
      from: '2026-11-26T00:00:00+08:00',
      to: '2026-11-27T00:00:00+08:00',
    })
  })
})

describe('外呼日志 search → query', () => {
  it('leaves out what is not set', () => {
    expect(outboundFilters(emptyOutboundSearch())).toEqual({})
  })

  it('sends target, outcome, the notice id as a number and the range', () => {
    expect(outboundFilters({ target: 'wechat', outcome: 'timeout', notificationId: ' 17 ', range: ['2026-11-01 08:00:00', '2026-11-01 08:59:59'] })).toEqual({
      target: 'wechat',
      outcome: 'timeout',
      notification_id: 17,
      from: '2026-11-01T08:00:00+08:00',
      to: '2026-11-01T09:00:00+08:00',
    })
  })

  it('takes only a positive whole number as the notice id', () => {
    expect(parseNotificationId('42')).toBe(42)
    expect(parseNotificationId(' 7 ')).toBe(7)
    for (const bad of ['', '0', '-1', '1.5', '1e3', 'abc', '12345678901234567', undefined, null, ['1'], 3]) {
      expect(parseNotificationId(bad), JSON.stringify(bad)).toBeNull()
    }
    expect(outboundFilters({ ...emptyOutboundSearch(), notificationId: 'x1' })).toEqual({})
  })
})

describe('外呼日志 excerpts', () => {
  it('indents whole JSON and leaves anything else as logged', () => {
    expect(excerptText('{"a":{"b":1}}')).toBe('{\n  "a": {\n    "b": 1\n  }\n}')
    expect(excerptText('{"mobile":"138****5678","text":"cut of')).toBe('{"mobile":"138****5678","text":"cut of')
    expect(excerptText('mobile=138****5678&x=1')).toBe('mobile=138****5678&x=1')
    expect(excerptText('42')).toBe('42')
  })
})
