import { afterEach, describe, expect, it } from 'vitest'
import { i18n, setLocale, type MessageKey } from '@/locales'
import {
  actionButtons,
  businessLink,
  CAMPAIGN_STATES,
  decisionNeedsComment,
  durationText,
  outcomeLabel,
  processTypeLabel,
  stateLabel,
  STATE_STYLES,
  stateStyle,
  TAG_COLORS,
} from '@/utils/process-labels'

const t = (key: MessageKey, named?: Record<string, unknown>) => i18n.global.t(key, named ?? {})

afterEach(() => setLocale('zh-CN'))

describe('campaign state labels and colours', () => {
  it('names every state of the contract in Chinese, with its tag colour', () => {
    setLocale('zh-CN')
    const shown = Object.fromEntries(CAMPAIGN_STATES.map((s) => [s, [stateLabel(s, t).text, stateLabel(s, t).type]]))
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

  it('names them in English too', () => {
    setLocale('en')
    expect(stateLabel('FirstReview', t).text).toBe('Awaiting first review')
    expect(stateLabel('Scheduled', t).text).toBe('Scheduled')
  })

  it('sets Paused apart (dark) and Evaluated (plain) from the states sharing their colour', () => {
    expect(stateStyle('Paused').effect).toBe('dark')
    expect(stateStyle('Evaluated').effect).toBe('plain')
    expect(stateStyle('Paused').color).not.toBe(stateStyle('FirstReview').color)
  })

  it('draws the diagram in the tag colours', () => {
    for (const s of CAMPAIGN_STATES) {
      const style = STATE_STYLES[s]
      if (style.effect === 'light') expect(style.color, s).toBe(TAG_COLORS[style.type])
    }
  })

  it('names the stock-change states too', () => {
    expect(stateLabel('UnderReview', t)).toMatchObject({ text: '审批中', type: 'warning' })
    expect(stateLabel('Applied', t)).toMatchObject({ text: '已入库', type: 'success' })
  })

  it('shows an unknown state as it is, in grey', () => {
    expect(stateLabel('Archived', t)).toMatchObject({ text: 'Archived', type: 'info' })
  })
})

describe('process types and task outcomes', () => {
  it('names the process types and leaves unknown ones as they are', () => {
    expect(processTypeLabel('campaign', t)).toBe('营销活动审批')
    expect(processTypeLabel('stock-change', t)).toBe('库存变动审批')
    expect(processTypeLabel('refund', t)).toBe('refund')
  })

  it('links a task to its business object: the campaign, or the template stock', () => {
    expect(businessLink('campaign', 'c-1')).toBe('/campaign/c-1')
    expect(businessLink('stock-change', 'DEMO MJ')).toBe('/benefit/stock?code=DEMO%20MJ')
    expect(businessLink('refund', 'r-1')).toBeNull()
  })

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
