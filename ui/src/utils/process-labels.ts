// Names and colours of the process codes the server sends. Process kinds and their states are named
// from the server's own list (GET /api/v1/process-kinds, see stores/process-kind.ts) in the UI language;
// the UI keeps only the colour of each state (the same in tags and in the state diagram), campaign types
// and channels, task statuses and outcomes, and the action buttons a process page offers for the
// `allowed_actions` the server returns. An unknown code is shown as it is, so a newer server never breaks
// a page.
import type { ProcessKind } from '@/api/process/kind'
import type { MessageKey } from '@/locales'
import type { TagType } from './benefits-labels'

type Translate = (key: MessageKey, named?: Record<string, unknown>) => string

export const CAMPAIGN_TYPES = ['grant', 'lottery', 'seckill'] as const
export const CHANNELS = ['mobile_banking', 'wechat', 'h5', 'sms', 'branch'] as const
export const MAX_CHANNELS = 5
export const MAX_RULES = 20

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value)
}

export interface StateStyle {
  /** el-tag type and effect. */
  type: TagType
  effect: 'light' | 'dark' | 'plain'
  /** The diagram's node colour: the tag colour of `type` (Element Plus palette, the house primary). */
  color: string
}

/** Element Plus's colours by tag type (primary is the house blue of styles/index.css). */
export const TAG_COLORS: Readonly<Record<TagType, string>> = {
  primary: '#1d5ba8',
  success: '#67c23a',
  info: '#909399',
  warning: '#e6a23c',
  danger: '#f56c6c',
}

/**
 * Colours by state id, whatever the kind: a state id means the same thing in every machine (Rejected is
 * red in a campaign and in a stock change). Paused is the darker warning, Evaluated a plain success.
 */
export const STATE_STYLES: Readonly<Record<string, StateStyle>> = {
  // 营销活动 (campaign)
  Draft: { type: 'info', effect: 'light', color: TAG_COLORS.info },
  FirstReview: { type: 'warning', effect: 'light', color: TAG_COLORS.warning },
  SecondReview: { type: 'warning', effect: 'light', color: TAG_COLORS.warning },
  Scheduled: { type: 'primary', effect: 'light', color: TAG_COLORS.primary },
  Running: { type: 'success', effect: 'light', color: TAG_COLORS.success },
  Paused: { type: 'warning', effect: 'dark', color: '#b88230' },
  Ended: { type: 'info', effect: 'light', color: TAG_COLORS.info },
  Evaluated: { type: 'success', effect: 'plain', color: '#529b2e' },
  Rejected: { type: 'danger', effect: 'light', color: TAG_COLORS.danger },
  Cancelled: { type: 'info', effect: 'light', color: TAG_COLORS.info },
  // 库存变动审批 (stock-change)
  Requested: { type: 'info', effect: 'light', color: TAG_COLORS.info },
  UnderReview: { type: 'warning', effect: 'light', color: TAG_COLORS.warning },
  Applied: { type: 'success', effect: 'light', color: TAG_COLORS.success },
  Withdrawn: { type: 'info', effect: 'light', color: TAG_COLORS.info },
  // 结算账户变更 (settlement-account-change): the core's check, and its exception task
  Checking: { type: 'primary', effect: 'light', color: TAG_COLORS.primary },
  Exception: { type: 'danger', effect: 'plain', color: TAG_COLORS.danger },
}

/** A state the UI has no colour for (a newer kind's): grey, plain. */
export const UNKNOWN_STYLE: StateStyle = { type: 'info', effect: 'plain', color: TAG_COLORS.info }

export function stateStyle(state: string): StateStyle {
  return Object.hasOwn(STATE_STYLES, state) ? STATE_STYLES[state]! : UNKNOWN_STYLE
}

/** The server's name in the UI language: Chinese for zh-CN, English otherwise. */
function named(item: { label_zh: string; label_en: string }, locale: string): string {
  return locale.startsWith('zh') ? item.label_zh : item.label_en
}

/** The kind whose code is `code`, if the server named it. */
export function findKind(kinds: readonly ProcessKind[], code: string): ProcessKind | undefined {
  return kinds.find((k) => k.code === code)
}

/** A process type's name (营销活动, 库存变动审批 …), or its code when the server did not name it. */
export function processTypeLabel(code: string, kinds: readonly ProcessKind[], locale: string): string {
  const kind = findKind(kinds, code)
  return kind ? named(kind, locale) : code
}

/**
 * A state's name: from the diagram of `kindCode` when given, else from the first kind that has the state
 * (a state id is named alike in every kind), else the id as it is.
 */
export function stateName(state: string, kinds: readonly ProcessKind[], locale: string, kindCode?: string): string {
  const own = kindCode === undefined ? undefined : findKind(kinds, kindCode)
  const found = own?.diagram.states.find((s) => s.id === state) ?? kinds.flatMap((k) => k.diagram.states).find((s) => s.id === state)
  return found ? named(found, locale) : state
}

export interface StateLabel extends StateStyle {
  text: string
}

export function stateLabel(state: string, kinds: readonly ProcessKind[], locale: string, kindCode?: string): StateLabel {
  return { ...stateStyle(state), text: stateName(state, kinds, locale, kindCode) }
}

/** A select option: the code sent to the server and its name. */
export interface CodeOption {
  value: string
  label: string
}

/** The process types a filter offers: every kind the server runs, in its order. */
export function processTypeOptions(kinds: readonly ProcessKind[], locale: string): CodeOption[] {
  return kinds.map((k) => ({ value: k.code, label: named(k, locale) }))
}

/**
 * The states a filter offers: those of kind `kindCode` in its diagram's order, or, with no kind chosen
 * (or one the server did not name), those of every kind, each id once.
 */
export function stateOptions(kinds: readonly ProcessKind[], locale: string, kindCode?: string): CodeOption[] {
  const own = kindCode ? findKind(kinds, kindCode) : undefined
  const seen = new Set<string>()
  const options: CodeOption[] = []
  for (const kind of own ? [own] : kinds) {
    for (const s of kind.diagram.states) {
      if (seen.has(s.id)) continue
      seen.add(s.id)
      options.push({ value: s.id, label: named(s, locale) })
    }
  }
  return options
}

export function campaignTypeLabel(type: string, t: Translate): string {
  return isOneOf(CAMPAIGN_TYPES, type) ? t(`campaign.type.${type}`) : type
}

export function channelLabel(channel: string, t: Translate): string {
  return isOneOf(CHANNELS, channel) ? t(`campaign.channel.${channel}`) : channel
}

const TASK_STATUS_TAG: Readonly<Record<string, TagType>> = { open: 'warning', done: 'success', cancelled: 'info' }
const OUTCOMES = ['approve', 'reject', 'return', 'withdrawn', 'resubmitted', 'cancelled'] as const
const OUTCOME_TAG: Readonly<Record<(typeof OUTCOMES)[number], TagType>> = {
  approve: 'success',
  reject: 'danger',
  return: 'warning',
  withdrawn: 'info',
  resubmitted: 'primary',
  cancelled: 'info',
}

export function taskStatusLabel(status: string, t: Translate): { text: string; type: TagType } {
  return status === 'open' || status === 'done' || status === 'cancelled'
    ? { text: t(`task.statusLabel.${status}`), type: TASK_STATUS_TAG[status] ?? 'info' }
    : { text: status, type: 'info' }
}

/** A task's outcome: a decision, or how a returned submission's rework ended (重新提交, 撤回, 取消). */
export function outcomeLabel(outcome: string, t: Translate): { text: string; type: TagType } {
  return isOneOf(OUTCOMES, outcome) ? { text: t(`task.outcomeLabel.${outcome}`), type: OUTCOME_TAG[outcome] } : { text: outcome, type: 'info' }
}

/**
 * The page of the business object a task or process is about, by kind code: a campaign's (its id is the
 * business key), a template's stock (a stock change's business key is the template code), an application, an inspection task's (its id), or
 * a merchant's status or account change request (its id ends the workflow id: the page its approver may open,
 * where the merchant list is not theirs); null for a kind whose page the UI does not have (the process page
 * serves then).
 */
export function businessLink(processType: string, businessKey: string, workflowId?: string): string | null {
  if (processType === 'campaign') return `/campaign/${businessKey}`
  if (processType === 'stock-change') return `/benefit/stock?code=${encodeURIComponent(businessKey)}`
  if (processType === 'merchant-onboarding') return `/merchant/applications/${encodeURIComponent(businessKey)}`
  // a merchant's 停用/启用 and 结算账户变更: the request (its id ends the workflow id; the business key is the merchant's code)
  if (processType === 'merchant-status' || processType === 'settlement-account-change') {
    const prefix = `${processType}-`
    return workflowId?.startsWith(prefix) ? `/merchant/requests/${encodeURIComponent(workflowId.slice(prefix.length))}` : null
  }
  // 巡查任务: the task's page (the business key is the task's id)
  if (processType === 'inspection') return `/merchant/inspection-tasks/${encodeURIComponent(businessKey)}`
  return null
}

/** The actions of the contract, in the order their buttons stand. */
export const ACTIONS = [
  'submit',
  'approve',
  'reject',
  'return',
  'transfer',
  'edit',
  'upload_customers',
  'withdraw',
  'modify',
  'pause',
  'resume',
  'terminate',
  'cancel',
] as const
export type Action = (typeof ACTIONS)[number]

/** How the page carries an action out: a page, the upload, a task decision or transfer, or a dialog. */
export type ActionKind = 'route' | 'upload' | 'decision' | 'transfer' | 'submit' | 'operate' | 'modify'

export interface ActionButton {
  action: Action
  /** el-button type, and whether it is drawn plain (secondary). */
  type: TagType | 'default'
  plain: boolean
  kind: ActionKind
  /** For `operate`: the comment must not be empty. */
  commentRequired: boolean
}

const BUTTONS: Readonly<Record<Action, Omit<ActionButton, 'action'>>> = {
  submit: { type: 'primary', plain: false, kind: 'submit', commentRequired: false },
  approve: { type: 'success', plain: false, kind: 'decision', commentRequired: false },
  reject: { type: 'danger', plain: false, kind: 'decision', commentRequired: true },
  return: { type: 'warning', plain: false, kind: 'decision', commentRequired: true },
  transfer: { type: 'default', plain: false, kind: 'transfer', commentRequired: false },
  edit: { type: 'primary', plain: true, kind: 'route', commentRequired: false },
  upload_customers: { type: 'primary', plain: true, kind: 'upload', commentRequired: false },
  withdraw: { type: 'warning', plain: true, kind: 'operate', commentRequired: false },
  modify: { type: 'primary', plain: true, kind: 'modify', commentRequired: true },
  pause: { type: 'warning', plain: true, kind: 'operate', commentRequired: true },
  resume: { type: 'success', plain: true, kind: 'operate', commentRequired: false },
  terminate: { type: 'danger', plain: true, kind: 'operate', commentRequired: true },
  cancel: { type: 'danger', plain: true, kind: 'operate', commentRequired: true },
}

/** The buttons for `allowed` (what the server says the user may do now): known actions only, in order. */
export function actionButtons(allowed: readonly string[]): ActionButton[] {
  const set = new Set(allowed)
  return ACTIONS.filter((a) => set.has(a)).map((action) => ({ action, ...BUTTONS[action] }))
}

/** The decisions a task takes; 驳回 and 退回 need a comment (the server's rule too). */
export const DECISIONS = ['approve', 'reject', 'return'] as const
export type Decision = (typeof DECISIONS)[number]
export const MAX_COMMENT = 500

export function decisionNeedsComment(decision: Decision): boolean {
  return decision !== 'approve'
}

/** `2 天 4 小时`, `90 分钟` → minutes as the policy page shows them (largest units first, zeros left out). */
export function durationText(minutes: number, t: Translate): string {
  if (!Number.isFinite(minutes) || minutes <= 0) return t('policy.minutes', { n: 0 })
  const days = Math.floor(minutes / 1440)
  const hours = Math.floor((minutes % 1440) / 60)
  const mins = minutes % 60
  const parts: string[] = []
  if (days) parts.push(t('policy.days', { n: days }))
  if (hours) parts.push(t('policy.hours', { n: hours }))
  if (mins) parts.push(t('policy.minutes', { n: mins }))
  return parts.join(' ')
}
