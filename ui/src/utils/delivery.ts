// 渠道投放 (MKT-8): the campaign form's 投放设置 with rules that mirror the server's (QY-CAMP-0006), the
// detail's 触达率, and the 投放查询 page's customer-number rule (QY-CAMP-0010).
import type { DeliveryInput, DeliverySettings } from '@/api/types'
import type { MessageKey } from '@/locales'

export const PRIORITY_MIN = 0
export const PRIORITY_MAX = 999
export const PRIORITY_DEFAULT = 50
export const TITLE_MAX = 40
export const URL_MAX = 500
export const SUMMARY_MAX = 100
export const CAP_MIN = 1
export const CAP_MAX = 100

/** 客户号: 6–32 ASCII letters or digits, as the server takes it. */
export const CUSTOMER_NO = /^[A-Za-z0-9]{6,32}$/

/** The 投放设置 as the form edits them; an empty cap (null) means 不限. */
export interface DeliveryForm {
  priority: number | null | undefined
  entryTitle: string
  entryImageUrl: string
  entryLink: string
  benefitSummary: string
  frequencyCap: number | null | undefined
}

export type DeliveryField = 'priority' | 'entryTitle' | 'entryImageUrl' | 'entryLink' | 'benefitSummary' | 'frequencyCap'

/** The request body's names (`delivery.entry_link`, as the server lists them in `fields`) → the form's. */
export const DELIVERY_FIELD_NAMES: Readonly<Record<string, DeliveryField>> = {
  'delivery.priority': 'priority',
  'delivery.entry_title': 'entryTitle',
  'delivery.entry_image_url': 'entryImageUrl',
  'delivery.entry_link': 'entryLink',
  'delivery.benefit_summary': 'benefitSummary',
  'delivery.frequency_cap': 'frequencyCap',
}

export interface DeliveryProblem {
  key: MessageKey
  named?: Record<string, unknown>
}

/** Characters as the server counts them (Unicode scalar values, not UTF-16 units). */
function length(value: string): number {
  return [...value].length
}

/**
 * An entry link or image as the server takes it: empty, an `https://` address with something after the
 * scheme, or an internal path (`/…` but not `//…`); no whitespace or control characters anywhere.
 */
export function isEntryUrl(url: string): boolean {
  if (url === '') return true
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f-\u009f]/u.test(url)) return false
  return (url.startsWith('https://') && url.length > 'https://'.length) || (url.startsWith('/') && !url.startsWith('//'))
}

/** An address a browser may load as a preview: an https one (an internal path is the channel's, not ours). */
export function isPreviewableImage(url: string): boolean {
  return url.startsWith('https://') && isEntryUrl(url)
}

function integerIn(value: number | null | undefined, min: number, max: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
}

/** What is wrong with `field` of the form, or null. */
export function deliveryProblem(field: DeliveryField, form: DeliveryForm): DeliveryProblem | null {
  switch (field) {
    case 'priority':
      return integerIn(form.priority, PRIORITY_MIN, PRIORITY_MAX) ? null : { key: 'campaign.delivery.priorityInvalid', named: { min: PRIORITY_MIN, max: PRIORITY_MAX } }
    case 'entryTitle':
      return length(form.entryTitle.trim()) > TITLE_MAX ? { key: 'campaign.delivery.tooLong', named: { n: TITLE_MAX } } : null
    case 'benefitSummary':
      return length(form.benefitSummary.trim()) > SUMMARY_MAX ? { key: 'campaign.delivery.tooLong', named: { n: SUMMARY_MAX } } : null
    case 'entryImageUrl':
    case 'entryLink': {
      const url = (field === 'entryLink' ? form.entryLink : form.entryImageUrl).trim()
      if (length(url) > URL_MAX) return { key: 'campaign.delivery.tooLong', named: { n: URL_MAX } }
      return isEntryUrl(url) ? null : { key: 'campaign.delivery.urlInvalid' }
    }
    case 'frequencyCap':
      if (form.frequencyCap === null || form.frequencyCap === undefined) return null
      return integerIn(form.frequencyCap, CAP_MIN, CAP_MAX) ? null : { key: 'campaign.delivery.capInvalid', named: { min: CAP_MIN, max: CAP_MAX } }
  }
}

export function emptyDeliveryForm(): DeliveryForm {
  return { priority: PRIORITY_DEFAULT, entryTitle: '', entryImageUrl: '', entryLink: '', benefitSummary: '', frequencyCap: null }
}

/** The form of a campaign's saved settings (the detail's `delivery`). */
export function toDeliveryForm(d: DeliverySettings): DeliveryForm {
  return {
    priority: d.priority,
    entryTitle: d.entry_title,
    entryImageUrl: d.entry_image_url,
    entryLink: d.entry_link,
    benefitSummary: d.benefit_summary,
    frequencyCap: d.frequency_cap ?? null,
  }
}

/** The request's `delivery`, texts trimmed; a missing priority falls back to the default. */
export function toDeliveryInput(f: DeliveryForm): DeliveryInput {
  return {
    priority: f.priority ?? PRIORITY_DEFAULT,
    entry_title: f.entryTitle.trim(),
    entry_image_url: f.entryImageUrl.trim(),
    entry_link: f.entryLink.trim(),
    benefit_summary: f.benefitSummary.trim(),
    frequency_cap: f.frequencyCap ?? null,
  }
}

/** 触达率 as a percentage (0–100, for a bar), or null without customers. */
export function contactPercent(contacts: number, customers: number): number | null {
  if (!Number.isFinite(contacts) || !Number.isFinite(customers) || customers <= 0) return null
  return Math.min(Math.max(contacts, 0) / customers, 1) * 100
}

/** 触达率 = contacts / customers as a percentage with one decimal (`37.5%`); `—` without customers. */
export function contactRate(contacts: number, customers: number): string {
  const percent = contactPercent(contacts, customers)
  return percent === null ? '—' : `${percent.toFixed(1)}%`
}
