// The coupon template form's values ↔ the API: a new form, a form prefilled from a template's row for 编辑,
// and the terms sent back (PUT /benefits/templates/{code}). Once a template has claims its money terms and
// validity are frozen on the server; the form then sends the row's own values for them, untouched by the
// pickers' rounding, so an edit of the name or a limit never trips QY-BEN-1013.
import type { TemplateRow, TemplateTerms } from '@/api/types'
import type { TemplateKind } from '@/utils/benefits-labels'
import { beijingToRfc3339, toBeijingWallClock } from '@/utils/date'
import { fenToInput, permilleToZhe, yuanToFen, zheToPermille } from '@/utils/money'

const DAY_MS = 86_400_000

export type Window = [string, string] | null

export interface TemplateFormValues {
  code: string
  name: string
  kind: TemplateKind
  faceValue: string
  threshold: string
  discount: string
  claimWindow: Window
  validityMode: 'days' | 'fixed'
  validWindow: Window
  validDays: number | undefined
  initialStock: number | undefined
  shards: number | undefined
  limitPerDay: number | undefined
  limitTotal: number | undefined
  limitPerCampaign: number | undefined
  limitPerMerchantDay: number | undefined
  merchants: string[]
  itemCode: string | null
  active: boolean
}

/** A new template's form: claimable from this minute to the end of the 30th day (Beijing time), valid 30 days. */
export function emptyTemplateForm(now: number = Date.now()): TemplateFormValues {
  return {
    code: '',
    name: '',
    kind: 'threshold',
    faceValue: '',
    threshold: '',
    discount: '',
    claimWindow: [toBeijingWallClock(now).slice(0, 17) + '00', `${toBeijingWallClock(now + 30 * DAY_MS).slice(0, 10)} 23:59:59`],
    validityMode: 'days',
    validWindow: null,
    validDays: 30,
    initialStock: 1000,
    shards: 1,
    limitPerDay: undefined,
    limitTotal: undefined,
    limitPerCampaign: undefined,
    limitPerMerchantDay: undefined,
    merchants: [],
    itemCode: null,
    active: true,
  }
}

/** Whether coupons of it exist: its money terms and validity can no longer change. */
export function termsFrozen(row: Pick<TemplateRow, 'claimed'> | null | undefined): boolean {
  return !!row && row.claimed > 0
}

/** The form prefilled with a template, for 编辑. Amounts in yuan, times as Beijing wall-clock. */
export function formFromTemplate(row: TemplateRow): TemplateFormValues {
  const fixed = row.valid_from != null && row.valid_to != null
  return {
    code: row.code,
    name: row.name,
    kind: row.kind as TemplateKind,
    faceValue: row.kind === 'physical' && row.face_value === 0 ? '' : fenToInput(row.face_value),
    threshold: row.threshold > 0 ? fenToInput(row.threshold) : '',
    discount: row.discount_permille != null ? permilleToZhe(row.discount_permille) : '',
    claimWindow: [toBeijingWallClock(row.claim_from), toBeijingWallClock(row.claim_to)],
    validityMode: fixed ? 'fixed' : 'days',
    validWindow: fixed ? [toBeijingWallClock(row.valid_from!), toBeijingWallClock(row.valid_to!)] : null,
    validDays: row.valid_days ?? undefined,
    initialStock: row.initial_stock,
    shards: row.shards,
    limitPerDay: row.limit_per_day ?? undefined,
    limitTotal: row.limit_total ?? undefined,
    limitPerCampaign: row.limit_per_campaign ?? undefined,
    limitPerMerchantDay: row.limit_per_merchant_day ?? undefined,
    merchants: [...row.merchant_codes],
    itemCode: row.item_code ?? null,
    active: row.status === 'active',
  }
}

/** Whether a kind has a threshold input at all (实物 has none). */
function hasThreshold(kind: TemplateKind): boolean {
  return kind !== 'physical'
}

/** The picked wall-clock time in RFC 3339, or the stored time itself when the picker still shows it. */
function pickedTime(picked: string, stored: string | null | undefined): string {
  return stored != null && toBeijingWallClock(stored) === picked ? stored : beijingToRfc3339(picked)
}

/**
 * The terms the form says, as the API takes them (fen, per mille, RFC 3339 in Beijing time). Editing
 * `original`, a time left as it was is sent as stored (the pickers drop sub-seconds), and once it has
 * claims its money terms and validity are the row's own.
 */
export function termsFromForm(form: TemplateFormValues, original?: TemplateRow | null): TemplateTerms {
  const [claimFrom, claimTo] = form.claimWindow ?? ['', '']
  const fixed = form.validityMode === 'fixed' && form.validWindow
  const frozen = termsFrozen(original) ? original! : null
  return {
    item_code: form.itemCode,
    name: form.name.trim(),
    face_value: frozen ? frozen.face_value : (yuanToFen(form.faceValue) ?? 0),
    threshold: frozen ? frozen.threshold : hasThreshold(form.kind) ? (yuanToFen(form.threshold) ?? 0) : 0,
    discount_permille: frozen ? frozen.discount_permille : form.kind === 'discount' ? zheToPermille(form.discount) : null,
    claim_from: pickedTime(claimFrom, original?.claim_from),
    claim_to: pickedTime(claimTo, original?.claim_to),
    valid_from: frozen ? frozen.valid_from : fixed ? pickedTime(fixed[0], original?.valid_from) : null,
    valid_to: frozen ? frozen.valid_to : fixed ? pickedTime(fixed[1], original?.valid_to) : null,
    valid_days: frozen ? frozen.valid_days : fixed ? null : (form.validDays ?? null),
    limit_per_day: form.limitPerDay ?? null,
    limit_total: form.limitTotal ?? null,
    limit_per_campaign: form.limitPerCampaign ?? null,
    limit_per_merchant_day: form.limitPerMerchantDay ?? null,
    merchant_codes: [...form.merchants],
  }
}
