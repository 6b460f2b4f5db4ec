// 积分规则's transaction types: the ones the core sends today, each with its label; a rule may name
// another type (the select takes a typed one), shown as it is.
import type { MessageKey } from '@/locales'

export const TXN_TYPES = ['card_spend', 'deposit', 'campaign_bonus', 'check_in'] as const

const LABELS: Readonly<Record<string, MessageKey>> = {
  card_spend: 'points.txnTypes.card_spend',
  deposit: 'points.txnTypes.deposit',
  campaign_bonus: 'points.txnTypes.campaign_bonus',
  check_in: 'points.txnTypes.check_in',
}

/** The label of a transaction type, or the type itself when it is not one of the known ones. */
export function txnTypeLabel(type: string, t: (key: MessageKey) => string): string {
  const key = Object.prototype.hasOwnProperty.call(LABELS, type) ? LABELS[type] : undefined
  return key ? t(key) : type
}
