import { describe, expect, it } from 'vitest'
import type { TemplateRow } from '@/api/types'
import { emptyTemplateForm, formFromTemplate, termsFromForm, termsFrozen } from '@/utils/template-form'

function row(overrides: Partial<TemplateRow> = {}): TemplateRow {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    code: 'MJ20',
    name: '满100减20',
    kind: 'threshold',
    face_value: 2000,
    threshold: 10000,
    discount_permille: null,
    status: 'active',
    claim_from: '2026-11-01T00:00:00.123456Z',
    claim_to: '2026-12-01T15:59:59Z',
    valid_from: null,
    valid_to: null,
    valid_days: 15,
    shards: 2,
    limit_per_day: 1,
    limit_total: null,
    limit_per_campaign: 2,
    limit_per_merchant_day: null,
    initial_stock: 500,
    increased: 0,
    withdrawn: 0,
    remaining: 500,
    claimed: 0,
    redeemed: 0,
    merchant_codes: ['M001'],
    org_name: '总行',
    item_code: 'STORE-COUPON',
    ...overrides,
  }
}

describe('formFromTemplate', () => {
  it('prefills yuan, Beijing wall-clock times, limits and merchants', () => {
    const form = formFromTemplate(row())
    expect(form).toMatchObject({
      code: 'MJ20',
      name: '满100减20',
      kind: 'threshold',
      faceValue: '20.00',
      threshold: '100.00',
      discount: '',
      claimWindow: ['2026-11-01 08:00:00', '2026-12-01 23:59:59'],
      validityMode: 'days',
      validDays: 15,
      limitPerDay: 1,
      limitTotal: undefined,
      limitPerCampaign: 2,
      merchants: ['M001'],
      itemCode: 'STORE-COUPON',
    })
  })

  it('reads a fixed validity window and a discount', () => {
    const form = formFromTemplate(row({ kind: 'discount', discount_permille: 850, face_value: 0, threshold: 0, valid_days: null, valid_from: '2026-11-01T00:00:00Z', valid_to: '2026-11-30T16:00:00Z' }))
    expect(form.discount).toBe('8.5')
    expect(form.threshold).toBe('')
    expect(form.validityMode).toBe('fixed')
    expect(form.validWindow).toEqual(['2026-11-01 08:00:00', '2026-12-01 00:00:00'])
  })
})

describe('termsFromForm', () => {
  it('sends an untouched form back as the row says, times to the microsecond', () => {
    const original = row()
    const terms = termsFromForm(formFromTemplate(original), original)
    expect(terms).toEqual({
      item_code: 'STORE-COUPON',
      name: '满100减20',
      face_value: 2000,
      threshold: 10000,
      discount_permille: null,
      claim_from: '2026-11-01T00:00:00.123456Z',
      claim_to: '2026-12-01T15:59:59Z',
      valid_from: null,
      valid_to: null,
      valid_days: 15,
      limit_per_day: 1,
      limit_total: null,
      limit_per_campaign: 2,
      limit_per_merchant_day: null,
      merchant_codes: ['M001'],
    })
  })

  it('sends what was changed', () => {
    const original = row()
    const form = formFromTemplate(original)
    form.name = '  满100减25 '
    form.faceValue = '25'
    form.limitTotal = 3
    form.claimWindow = ['2026-11-01 08:00:00', '2026-12-31 23:59:59']
    const terms = termsFromForm(form, original)
    expect(terms.name).toBe('满100减25')
    expect(terms.face_value).toBe(2500)
    expect(terms.limit_total).toBe(3)
    expect(terms.claim_to).toBe('2026-12-31T23:59:59+08:00')
  })

  it('keeps the stored money terms and validity once coupons were claimed', () => {
    const original = row({ claimed: 3 })
    expect(termsFrozen(original)).toBe(true)
    const form = formFromTemplate(original)
    form.faceValue = '50'
    form.validDays = 99
    form.limitPerDay = 2
    const terms = termsFromForm(form, original)
    expect([terms.face_value, terms.threshold, terms.valid_days, terms.limit_per_day]).toEqual([2000, 10000, 15, 2])
  })

  it('builds a new template from an empty form', () => {
    const form = emptyTemplateForm(Date.parse('2026-11-26T02:00:30Z'))
    expect(form.claimWindow).toEqual(['2026-11-26 10:00:00', '2026-12-26 23:59:59'])
    form.name = '新券'
    form.faceValue = '5'
    form.threshold = '20'
    const terms = termsFromForm(form)
    expect(terms).toMatchObject({ face_value: 500, threshold: 2000, valid_days: 30, claim_from: '2026-11-26T10:00:00+08:00', item_code: null })
    expect(termsFrozen(null)).toBe(false)
  })
})
