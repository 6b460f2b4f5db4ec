// 通知记录 and 外呼日志 (INT-1, INT-2): the codes the two pages show as names and coloured tags (channels,
// notice states, call targets and outcomes; an unknown code is shown as the server sent it, in grey), and
// each page's search form → the API's query. Time ranges are picked as Beijing wall-clock times; the
// end is inclusive to the second on screen and exclusive for the server, hence one second more.
import type { NotificationQuery, OutboundQuery } from '@/api/types'
import type { MessageKey } from '@/locales'
import { addSecondsBeijing, beijingToRfc3339 } from './date'
import type { ResultTag, TagType } from './log-labels'

type Translate = (key: MessageKey) => string

export const CHANNELS = ['email', 'sms', 'wechat', 'esb'] as const
export type Channel = (typeof CHANNELS)[number]
export const NOTIFICATION_STATUSES = ['pending', 'retrying', 'sent', 'failed'] as const
export type NotificationStatus = (typeof NOTIFICATION_STATUSES)[number]
export const TARGETS = ['sms', 'wechat', 'esb'] as const
export type Target = (typeof TARGETS)[number]
export const OUTCOMES = ['ok', 'refused', 'http_error', 'timeout', 'connect_error', 'circuit_open'] as const
export type Outcome = (typeof OUTCOMES)[number]

const CHANNEL_LABELS: Readonly<Record<Channel, MessageKey>> = {
  email: 'notification.channels.email',
  sms: 'notification.channels.sms',
  wechat: 'notification.channels.wechat',
  esb: 'notification.channels.esb',
}

const STATUS_TAGS: Readonly<Record<NotificationStatus, { type: TagType; key: MessageKey }>> = {
  pending: { type: 'info', key: 'notification.statuses.pending' },
  retrying: { type: 'warning', key: 'notification.statuses.retrying' },
  sent: { type: 'success', key: 'notification.statuses.sent' },
  failed: { type: 'danger', key: 'notification.statuses.failed' },
}

const TARGET_LABELS: Readonly<Record<Target, MessageKey>> = {
  sms: 'esb.outbound.targets.sms',
  wechat: 'esb.outbound.targets.wechat',
  esb: 'esb.outbound.targets.esb',
}

const OUTCOME_TAGS: Readonly<Record<Outcome, { type: TagType; key: MessageKey }>> = {
  ok: { type: 'success', key: 'esb.outbound.outcomes.ok' },
  // The other side answered and said no: retrying will not help.
  refused: { type: 'danger', key: 'esb.outbound.outcomes.refused' },
  http_error: { type: 'danger', key: 'esb.outbound.outcomes.http_error' },
  // Transient: the notice is retried on its backoff.
  timeout: { type: 'warning', key: 'esb.outbound.outcomes.timeout' },
  connect_error: { type: 'warning', key: 'esb.outbound.outcomes.connect_error' },
  // Not called at all: the circuit breaker is open after repeated failures.
  circuit_open: { type: 'info', key: 'esb.outbound.outcomes.circuit_open' },
}

function own<K extends string, V>(table: Readonly<Record<K, V>>, key: string): V | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key as K] : undefined
}

/** A channel's name: 邮件, 短信, 企业微信, ESB回调; an unknown code as sent. */
export function channelLabel(channel: string, t: Translate): string {
  const key = own(CHANNEL_LABELS, channel)
  return key ? t(key) : channel
}

/** A notice's state: 待发送 (grey), 重试中 (amber), 已发送 (green), 失败 (red); an unknown code as sent (grey). */
export function notificationStatusTag(status: string, t: Translate): ResultTag {
  const tag = own(STATUS_TAGS, status)
  return tag ? { type: tag.type, text: t(tag.key) } : { type: 'info', text: status }
}

/** A call's target: 短信平台, 企业微信, ESB; an unknown code as sent. */
export function targetLabel(target: string, t: Translate): string {
  const key = own(TARGET_LABELS, target)
  return key ? t(key) : target
}

/** A call's outcome: 成功 (green), 被拒 / HTTP错误 (red), 超时 / 连接失败 (amber), 熔断中 (grey). */
export function outcomeTag(outcome: string, t: Translate): ResultTag {
  const tag = own(OUTCOME_TAGS, outcome)
  return tag ? { type: tag.type, text: t(tag.key) } : { type: 'info', text: outcome }
}

/** `[from, to]` as `YYYY-MM-DD HH:mm:ss`, Beijing time, or null. */
export type WallClockRange = [string, string] | null

function rangeFilters(range: WallClockRange): { from?: string; to?: string } {
  if (!range) return {}
  return { from: beijingToRfc3339(range[0]), to: beijingToRfc3339(addSecondsBeijing(range[1], 1)) }
}

export interface NotificationSearch {
  channel: Channel | ''
  status: NotificationStatus | ''
  /** The process instance's workflow id, exactly. */
  workflowId: string
  range: WallClockRange
}

export function emptyNotificationSearch(): NotificationSearch {
  return { channel: '', status: '', workflowId: '', range: null }
}

/** The API's query for `search` (no paging), leaving out what is not set. */
export function notificationFilters(search: NotificationSearch): NotificationQuery {
  const query: NotificationQuery = {}
  if (search.channel) query.channel = search.channel
  if (search.status) query.status = search.status
  const workflowId = search.workflowId.trim()
  if (workflowId) query.workflow_id = workflowId
  return { ...query, ...rangeFilters(search.range) }
}

export interface OutboundSearch {
  target: Target | ''
  outcome: Outcome | ''
  /** 通知记录's id, as typed (digits). */
  notificationId: string
  range: WallClockRange
}

export function emptyOutboundSearch(): OutboundSearch {
  return { target: '', outcome: '', notificationId: '', range: null }
}

const ID = /^[1-9]\d{0,15}$/

/** A notice id as typed or as the route's `?notification_id=` gives it, or null when it is not one. */
export function parseNotificationId(value: unknown): number | null {
  if (typeof value !== 'string' || !ID.test(value.trim())) return null
  const n = Number(value.trim())
  return Number.isSafeInteger(n) ? n : null
}

/** The API's query for `search` (no paging), leaving out what is not set (and a notice id that is not one). */
export function outboundFilters(search: OutboundSearch): OutboundQuery {
  const query: OutboundQuery = {}
  if (search.target) query.target = search.target
  if (search.outcome) query.outcome = search.outcome
  const id = parseNotificationId(search.notificationId)
  if (id !== null) query.notification_id = id
  return { ...query, ...rangeFilters(search.range) }
}

/** An excerpt as the drawer shows it: indented when it is whole JSON, otherwise as logged (it may be cut). */
export function excerptText(excerpt: string): string {
  try {
    const value: unknown = JSON.parse(excerpt)
    return typeof value === 'object' && value !== null ? JSON.stringify(value, null, 2) : excerpt
  } catch {
    return excerpt
  }
}
