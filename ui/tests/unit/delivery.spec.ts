import { describe, expect, it } from 'vitest'
import { placeFieldErrors } from '@/utils/field-errors'
import { ApiError } from '@/api/error'
import {
  CUSTOMER_NO,
  DELIVERY_FIELD_NAMES,
  contactPercent,
  contactRate,
  deliveryProblem,
  emptyDeliveryForm,
  isEntryUrl,
  isPreviewableImage,
  toDeliveryForm,
  toDeliveryInput,
  type DeliveryForm,
} from '@/utils/delivery'

function form(patch: Partial<DeliveryForm> = {}): DeliveryForm {
  return { ...emptyDeliveryForm(), ...patch }
}

describe('entry URL rule (as the server: empty, https:// or an internal path)', () => {
  it('takes empty, https addresses and internal paths', () => {
    for (const url of ['', 'https://bank.example/a.png', 'https://x', '/mobile/campaigns/5', '/']) expect(isEntryUrl(url), url).toBe(true)
  })

  it('refuses other schemes, protocol-relative paths, a bare scheme and whitespace or control characters', () => {
    for (const url of ['http://bank.example', 'https://', '//evil.example/x', 'javascript:alert(1)', 'bank.example/x', '/a b', 'https://a\tb', '/a\u0000', '/a\u3000b', ' /a'])
      expect(isEntryUrl(url), JSON.stringify(url)).toBe(false)
  })

  it('previews only https images', () => {
    expect(isPreviewableImage('https://cdn.example/a.png')).toBe(true)
    expect(isPreviewableImage('/static/demo/campaign-1.png')).toBe(false)
    expect(isPreviewableImage('')).toBe(false)
    expect(isPreviewableImage('https://a b')).toBe(false)
  })
})

describe('投放设置 field rules', () => {
  it('accepts the defaults: priority 50, no cap, nothing else', () => {
    for (const field of ['priority', 'entryTitle', 'entryImageUrl', 'entryLink', 'benefitSummary', 'frequencyCap'] as const) expect(deliveryProblem(field, form())).toBeNull()
  })

  it('keeps priority to a whole number of 0–999', () => {
    expect(deliveryProblem('priority', form({ priority: 0 }))).toBeNull()
    expect(deliveryProblem('priority', form({ priority: 999 }))).toBeNull()
    for (const priority of [-1, 1000, 1.5, null, undefined]) expect(deliveryProblem('priority', form({ priority }))?.key).toBe('campaign.delivery.priorityInvalid')
  })

  it('keeps the cap empty (不限) or 1–100', () => {
    expect(deliveryProblem('frequencyCap', form({ frequencyCap: null }))).toBeNull()
    expect(deliveryProblem('frequencyCap', form({ frequencyCap: 1 }))).toBeNull()
    expect(deliveryProblem('frequencyCap', form({ frequencyCap: 100 }))).toBeNull()
    for (const frequencyCap of [0, 101, 2.5]) expect(deliveryProblem('frequencyCap', form({ frequencyCap }))?.key).toBe('campaign.delivery.capInvalid')
  })

  it('counts characters as the server does (an astral character is one)', () => {
    expect(deliveryProblem('entryTitle', form({ entryTitle: '𠀀'.repeat(40) }))).toBeNull()
    expect(deliveryProblem('entryTitle', form({ entryTitle: '题'.repeat(41) }))).toEqual({ key: 'campaign.delivery.tooLong', named: { n: 40 } })
    expect(deliveryProblem('benefitSummary', form({ benefitSummary: 'a'.repeat(101) }))?.named).toEqual({ n: 100 })
    expect(deliveryProblem('entryLink', form({ entryLink: `/${'a'.repeat(500)}` }))?.named).toEqual({ n: 500 })
  })

  it('checks the link and the image by the URL rule, once trimmed', () => {
    expect(deliveryProblem('entryLink', form({ entryLink: ' /mobile/a ' }))).toBeNull()
    expect(deliveryProblem('entryLink', form({ entryLink: 'http://a' }))?.key).toBe('campaign.delivery.urlInvalid')
    expect(deliveryProblem('entryImageUrl', form({ entryImageUrl: '//cdn/a.png' }))?.key).toBe('campaign.delivery.urlInvalid')
  })
})

describe('投放设置 to and from the API', () => {
  it('loads a draft’s settings and sends them back trimmed, the empty cap as null', () => {
    const saved = { priority: 70, entry_title: '开门红', entry_image_url: '/static/a.png', entry_link: 'https://bank.example/x', benefit_summary: '满 100 减 20', frequency_cap: null }
    const f = toDeliveryForm(saved)
    expect(f).toEqual({ priority: 70, entryTitle: '开门红', entryImageUrl: '/static/a.png', entryLink: 'https://bank.example/x', benefitSummary: '满 100 减 20', frequencyCap: null })
    expect(toDeliveryInput({ ...f, entryTitle: ' 开门红 ', entryLink: ' /x ', frequencyCap: 3 })).toEqual({ ...saved, entry_link: '/x', frequency_cap: 3 })
  })

  it('reads a missing cap as 不限 and a cleared priority as the default', () => {
    expect(toDeliveryForm({ priority: 5, entry_title: '', entry_image_url: '', entry_link: '', benefit_summary: '' }).frequencyCap).toBeNull()
    expect(toDeliveryInput(form({ priority: null })).priority).toBe(50)
  })

  it('places the server’s delivery.* field errors under their form items', () => {
    const err = new ApiError({
      code: 'QY-CAMP-0006',
      message: '输入有误',
      requestId: 'r1',
      status: 422,
      fromServer: true,
      fields: [
        { field: 'delivery.entry_link', code: 'QY-CAMP-0006', message: '链接格式不正确' },
        { field: 'delivery.frequency_cap', code: 'QY-CAMP-0006', message: '频次须为 1–100' },
      ],
    })
    const placed = placeFieldErrors(err, DELIVERY_FIELD_NAMES)
    expect(placed.errors).toEqual({ entryLink: '链接格式不正确', frequencyCap: '频次须为 1–100' })
    expect(placed.unplaced).toEqual([])
  })
})

describe('触达率', () => {
  it('is contacts over customers as a percentage with one decimal', () => {
    expect(contactRate(75, 200)).toBe('37.5%')
    expect(contactRate(1, 3)).toBe('33.3%')
    expect(contactRate(0, 10)).toBe('0.0%')
    expect(contactRate(10, 10)).toBe('100.0%')
  })

  it('has no rate without customers', () => {
    expect(contactRate(0, 0)).toBe('—')
    expect(contactRate(5, 0)).toBe('—')
    expect(contactRate(Number.NaN, 10)).toBe('—')
    expect(contactPercent(0, 0)).toBeNull()
  })

  it('keeps the bar within 0–100 should contacts ever exceed the list', () => {
    expect(contactPercent(12, 10)).toBe(100)
    expect(contactPercent(-1, 10)).toBe(0)
    expect(contactPercent(1, 4)).toBe(25)
  })
})

describe('客户号', () => {
  it('is 6–32 letters or digits', () => {
    for (const ok of ['C00010', 'C000100004', 'a'.repeat(32)]) expect(CUSTOMER_NO.test(ok), ok).toBe(true)
    for (const bad of ['C0001', 'a'.repeat(33), 'C00010!', 'C 000100', '客户000100']) expect(CUSTOMER_NO.test(bad), bad).toBe(false)
  })
})
