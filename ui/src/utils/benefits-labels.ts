// Names and tag colours of the benefit codes the server sends (template kind and status, coupon status,
// stock movement kind); an unknown code is shown as it is, so a newer server never breaks a page.
import type { MessageKey } from '@/locales'

type Translate = (key: MessageKey, named?: Record<string, unknown>) => string
export type TagType = 'primary' | 'success' | 'info' | 'warning' | 'danger'

export const TEMPLATE_KINDS = ['threshold', 'discount', 'cash', 'physical'] as const
export type TemplateKind = (typeof TEMPLATE_KINDS)[number]
export const TEMPLATE_STATUSES = ['draft', 'active', 'withdrawn'] as const
export const COUPON_STATUSES = ['unused', 'used', 'withdrawn'] as const
export const MOVEMENT_KINDS = ['initial', 'increase', 'claim', 'withdraw'] as const

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value)
}

const KIND_TAG: Record<TemplateKind, TagType> = { threshold: 'danger', discount: 'warning', cash: 'primary', physical: 'success' }
const STATUS_TAG: Record<(typeof TEMPLATE_STATUSES)[number], TagType> = { draft: 'info', active: 'success', withdrawn: 'danger' }
const COUPON_TAG: Record<(typeof COUPON_STATUSES)[number], TagType> = { unused: 'primary', used: 'success', withdrawn: 'info' }
const MOVEMENT_TAG: Record<(typeof MOVEMENT_KINDS)[number], TagType> = { initial: 'primary', increase: 'success', claim: 'warning', withdraw: 'danger' }

export interface Label {
  text: string
  type: TagType
}

export function kindLabel(kind: string, t: Translate): Label {
  return isOneOf(TEMPLATE_KINDS, kind) ? { text: t(`benefits.kind.${kind}`), type: KIND_TAG[kind] } : { text: kind, type: 'info' }
}

export function templateStatusLabel(status: string, t: Translate): Label {
  return isOneOf(TEMPLATE_STATUSES, status) ? { text: t(`benefits.status.${status}`), type: STATUS_TAG[status] } : { text: status, type: 'info' }
}

export function couponStatusLabel(status: string, t: Translate): Label {
  return isOneOf(COUPON_STATUSES, status) ? { text: t(`benefits.couponStatus.${status}`), type: COUPON_TAG[status] } : { text: status, type: 'info' }
}

export function movementKindLabel(kind: string, t: Translate): Label {
  return isOneOf(MOVEMENT_KINDS, kind) ? { text: t(`benefits.movementKind.${kind}`), type: MOVEMENT_TAG[kind] } : { text: kind, type: 'info' }
}

/** The stock a template has had in all: what is left plus what was claimed (initial + added − withdrawn). */
export function stockTotal(row: { remaining: number; claimed: number }): number {
  return row.remaining + row.claimed
}

/** The share of the stock left, 0–100, for the progress bar. */
export function stockPercent(row: { remaining: number; claimed: number }): number {
  const total = stockTotal(row)
  return total > 0 ? Math.round((row.remaining / total) * 1000) / 10 : 0
}
