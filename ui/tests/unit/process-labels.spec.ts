import { afterEach, describe, expect, it } from 'vitest'
import type { ProcessKind } from '@/api/process/kind'
import { i18n, setLocale, type MessageKey } from '@/locales'
import {
  actionButtons,
  businessLink,
  decisionNeedsComment,
  durationText,
  outcomeLabel,
  processTypeLabel,
  processTypeOptions,
  stateLabel,
  stateOptions,
  STATE_STYLES,
  stateStyle,
  TAG_COLORS,
} from '@/utils/process-labels'
import { CAMPAIGN_KIND, PROCESS_KINDS } from './fixtures/process-kinds'

const t = (key: MessageKey, named?: Record<string, unknown>) => i18n.global.t(key, named ?? {})

afterEach(() => setLocale('zh-CN'))

describe('state labels and colours', () => {
  it('names every campaign state from the server, in Chinese, with its tag colour', () => {
    const shown = Object.fromEntries(CAMPAIGN_KIND.diagram.states.map(({ id }) => [id, [stateLabel(id, PROCESS_KINDS, 'zh-CN').text, stateLabel(id, PROCESS_KINDS, 'zh-CN').type]]))
    expect(shown).toEqual({
      Draft: ['草稿', 'info'],
      FirstReview: ['待初审', 'warning'],
      SecondReview: ['待复核', 'warning'],
      Scheduled: ['待发布', 'primary'],
      Running: ['进行中', 'success'],
      Paused: ['已暂停', 'warning'],
      Ended: ['已结束', 'info'],
      Evaluated: ['已评估', 'success'],
      Rejected: ['已驳回', 'danger'],
      Cancelled: ['已取消', 'info'],
    })
  })

  it("takes the server's English names in English", () => {
    expect(stateLabel('FirstReview', PROCESS_KINDS, 'en').text).toBe('First review')
    expect(stateLabel('UnderReview', PROCESS_KINDS, 'en').text).toBe('Under review')
  })

  it("names a state from its own kind's diagram first", () => {
    const kinds: ProcessKind[] = [
      CAMPAIGN_KIND,
      { code: 'refund', label_zh: '退款', label_en: 'Refund', diagram: { states: [{ id: 'Rejected', label_zh: '退款被拒', label_en: 'Refused', terminal: true }], transitions: [] } },
    ]
    expect(stateLabel('Rejected', kinds, 'zh-CN', 'refund').text).toBe('退款被拒')
    expect(stateLabel('Rejected', kinds, 'zh-CN', 'campaign').text).toBe('已驳回')
    // No kind given, or one without the state: the first kind that has it.
    expect(stateLabel('Rejected', kinds, 'zh-CN').text).toBe('已驳回')
    expect(stateLabel('Draft', kinds, 'zh-CN', 'refund').text).toBe('草稿')
  })

  it('sets Paused apart (dark) and Evaluated (plain) from the states sharing their colour', () => {
    expect(stateStyle('Paused').effect).toBe('dark')
    expect(stateStyle('Evaluated').effect).toBe('plain')
    expect(stateStyle('Paused').color).not.toBe(stateStyle('FirstReview').color)
  })

  it('draws the diagram in the tag colours', () => {
    for (const [id, style] of Object.entries(STATE_STYLES)) {
      if (style.effect === 'light') expect(style.color, id).toBe(TAG_COLORS[style.type])
    }
  })

  it('names the stock-change states too, in their colours', () => {
    expect(stateLabel('UnderReview', PROCESS_KINDS, 'zh-CN', 'stock-change')).toMatchObject({ text: '审批中', type: 'warning' })
    expect(stateLabel('Applied', PROCESS_KINDS, 'zh-CN', 'stock-change')).toMatchObject({ text: '已入库', type: 'success' })
  })

  it('shows an unknown state as it is, in a neutral grey', () => {
    expect(stateLabel('Archived', PROCESS_KINDS, 'zh-CN')).toMatchObject({ text: 'Archived', type: 'info', effect: 'plain' })
    expect(stateLabel('toString', PROCESS_KINDS, 'zh-CN')).toMatchObject({ text: 'toString', type: 'info', effect: 'plain' })
  })

  it('shows states as their ids until the kinds have arrived', () => {
    expect(stateLabel('FirstReview', [], 'zh-CN')).toMatchObject({ text: 'FirstReview', type: 'warning' })
  })
})

describe('process types and their filters', () => {
  it("names the process types in the UI language and leaves unknown ones as they are", () => {
    expect(processTypeLabel('campaign', PROCESS_KINDS, 'zh-CN')).toBe('营销活动')
    expect(processTypeLabel('stock-change', PROCESS_KINDS, 'zh-CN')).toBe('库存变动审批')
    expect(processTypeLabel('stock-change', PROCESS_KINDS, 'en')).toBe('Stock change')
    expect(processTypeLabel('refund', PROCESS_KINDS, 'zh-CN')).toBe('refund')
  })

  it('offers every kind the server runs, in its order', () => {
    expect(processTypeOptions(PROCESS_KINDS, 'zh-CN')).toEqual([
      { value: 'campaign', label: '营销活动' },
      { value: 'stock-change', label: '库存变动审批' },
    ])
    const more = [...PROCESS_KINDS, { code: 'merchant-onboarding', label_zh: '商户入驻审核', label_en: 'Merchant onboarding', diagram: { states: [], transitions: [] } }]
    expect(processTypeOptions(more, 'en').map((o) => o.label)).toEqual(['Campaign', 'Stock change', 'Merchant onboarding'])
  })

  it("offers one kind's states in its diagram's order, or every kind's, each state once", () => {
    expect(stateOptions(PROCESS_KINDS, 'zh-CN', 'stock-change')).toEqual([
      { value: 'Requested', label: '已申请' },
      { value: 'UnderReview', label: '审批中' },
      { value: 'Applied', label: '已入库' },
      { value: 'Rejected', label: '已驳回' },
      { value: 'Withdrawn', label: '已撤回' },
    ])
    const all = stateOptions(PROCESS_KINDS, 'zh-CN').map((o) => o.value)
    expect(all).toEqual(['Draft', 'FirstReview', 'SecondReview', 'Scheduled', 'Running', 'Paused', 'Ended', 'Evaluated', 'Rejected', 'Cancelled', 'Requested', 'UnderReview', 'Applied', 'Withdrawn'])
    // A kind the server did not name: every state.
    expect(stateOptions(PROCESS_KINDS, 'zh-CN', 'refund')).toHaveLength(all.length)
    expect(stateOptions([], 'zh-CN')).toEqual([])
  })

  it('links a task to its business object: the campaign, the template stock, the merchant application, the merchant', () => {
    expect(businessLink('campaign', 'c-1')).toBe('/campaign/c-1')
    expect(businessLink('stock-change', 'DEMO MJ')).toBe('/benefit/stock?code=DEMO%20MJ')
    expect(businessLink('merchant-onboarding', 'a-1')).toBe('/merchant/applications/a-1')
    const id = '8d0c4f2e-0b1a-4c7e-9a53-1f2e3d4c5b6a'
    expect(businessLink('merchant-status', 'M001', `merchant-status-${id}`)).toBe(`/merchant/requests/${id}`)
    expect(businessLink('settlement-account-change', 'M001', `settlement-account-change-${id}`)).toBe(`/merchant/requests/${id}`)
    expect(businessLink('merchant-status', 'M001')).toBeNull()
    expect(businessLink('inspection', 'a1b2')).toBe('/merchant/inspection-tasks/a1b2')
    expect(businessLink('refund', 'r-1')).toBeNull()
  })
})

describe('task outcomes', () => {
  it('colours outcomes: approve green, reject red, return amber', () => {
    expect(outcomeLabel('approve', t)).toEqual({ text: '同意', type: 'success' })
    expect(outcomeLabel('reject', t)).toEqual({ text: '驳回', type: 'danger' })
    expect(outcomeLabel('return', t)).toEqual({ text: '退回修改', type: 'warning' })
  })
})

describe('actionButtons', () => {
  it('offers exactly the allowed actions, in the fixed order, ignoring unknown ones', () => {
    expect(actionButtons(['cancel', 'upload_customers', 'submit', 'edit', 'fly']).map((b) => b.action)).toEqual(['submit', 'edit', 'upload_customers', 'cancel'])
  })

  it('offers nothing when nothing is allowed', () => {
    expect(actionButtons([])).toEqual([])
  })

  it('knows how each action is carried out', () => {
    const kinds = Object.fromEntries(
      actionButtons(['edit', 'upload_customers', 'submit', 'approve', 'reject', 'return', 'transfer', 'withdraw', 'pause', 'resume', 'cancel', 'terminate', 'modify']).map((b) => [b.action, b.kind]),
    )
    expect(kinds).toEqual({
      submit: 'submit',
      approve: 'decision',
      reject: 'decision',
      return: 'decision',
      transfer: 'transfer',
      edit: 'route',
      upload_customers: 'upload',
      withdraw: 'operate',
      modify: 'modify',
      pause: 'operate',
      resume: 'operate',
      terminate: 'operate',
      cancel: 'operate',
    })
  })

  it('draws the decisions in their outcome colours and the irreversible ones in red', () => {
    const types = Object.fromEntries(actionButtons(['approve', 'reject', 'return', 'cancel', 'terminate']).map((b) => [b.action, b.type]))
    expect(types).toEqual({ approve: 'success', reject: 'danger', return: 'warning', cancel: 'danger', terminate: 'danger' })
  })

  it('asks a comment for 终止 and 取消 but not for 提交', () => {
    const required = Object.fromEntries(actionButtons(['submit', 'terminate', 'cancel', 'resume']).map((b) => [b.action, b.commentRequired]))
    expect(required).toEqual({ submit: false, terminate: true, cancel: true, resume: false })
  })
})

describe('decisions and durations', () => {
  it('needs a comment to reject or return, not to approve', () => {
    expect(decisionNeedsComment('approve')).toBe(false)
    expect(decisionNeedsComment('reject')).toBe(true)
    expect(decisionNeedsComment('return')).toBe(true)
  })

  it('writes minutes in days, hours and minutes, leaving out zeros', () => {
    expect(durationText(1440, t)).toBe('1 天')
    expect(durationText(120, t)).toBe('2 小时')
    expect(durationText(1530, t)).toBe('1 天 1 小时 30 分钟')
    expect(durationText(45, t)).toBe('45 分钟')
    setLocale('en')
    expect(durationText(1500, t)).toBe('1 d 1 h')
  })
})
