// 核销's request ids. The server answers a repeated request id as it answered the first, so the page keeps
// one id per attempt: a double click, or sending again after the network failed or the server did not
// answer, reuses it and cannot redeem twice. A new attempt — another coupon, store, amount or order, or
// anything after the server gave its answer (redeemed, or refused) — gets a new id.

export interface RedeemInput {
  couponCode: string
  storeCode: string
  orderAmount: number
  orderRef: string
}

/** The coupon code as the server reads it: a scanned `quanyi:coupon:` prefix dropped, letters and digits only, upper case. */
export function normalizeCouponCode(input: string): string {
  const raw = input.trim()
  const code = raw.toLowerCase().startsWith('quanyi:coupon:') ? raw.slice('quanyi:coupon:'.length) : raw
  return code.replace(/[^0-9A-Za-z]/g, '').toUpperCase()
}

/** `ABCD EFGH IJKL MNOP`: a 16-symbol code in groups of four for reading aloud; anything else as it is. */
export function groupCouponCode(code: string): string {
  return /^[0-9A-Z]{16}$/.test(code) ? code.replace(/(.{4})(?=.)/g, '$1 ') : code
}

function fingerprint(input: RedeemInput): string {
  return JSON.stringify([normalizeCouponCode(input.couponCode), input.storeCode, input.orderAmount, input.orderRef.trim()])
}

/** A random v4 UUID: crypto.randomUUID where the page is a secure context, else from getRandomValues. */
export function newRequestId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID()
  const b = crypto.getRandomValues(new Uint8Array(16))
  b[6] = (b[6]! & 0x0f) | 0x40
  b[8] = (b[8]! & 0x3f) | 0x80
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`
}

export class RedeemAttempts {
  private current: { id: string; fingerprint: string } | null = null

  constructor(private readonly newId: () => string = newRequestId) {}

  /** The request id for sending `input`: the open attempt's when it is the same request, else a new one. */
  requestIdFor(input: RedeemInput): string {
    const fp = fingerprint(input)
    if (!this.current || this.current.fingerprint !== fp) this.current = { id: this.newId(), fingerprint: fp }
    return this.current.id
  }

  /** The server answered (redeemed, or refused with a code): the next send is a new attempt. */
  answered(): void {
    this.current = null
  }

  /** The open attempt's request id, if any (kept after a network failure). */
  get pendingId(): string | null {
    return this.current?.id ?? null
  }
}

/** The till's refusals by code: the page's own wording (a message key) and the input to go back to. */
export const REDEEM_REFUSALS: Readonly<Record<string, { key: string; field: 'code' | 'store' | 'amount' | null }>> = {
  'QY-BEN-3001': { key: 'unknown', field: 'code' },
  'QY-BEN-3002': { key: 'used', field: 'code' },
  'QY-BEN-3003': { key: 'notValid', field: 'code' },
  'QY-BEN-3004': { key: 'otherMerchant', field: 'code' },
  'QY-BEN-3005': { key: 'belowThreshold', field: 'amount' },
  'QY-BEN-3006': { key: 'withdrawn', field: 'code' },
  'QY-BEN-3009': { key: 'store', field: 'store' },
  'QY-BEN-3010': { key: 'notMerchant', field: null },
}

/**
 * Whether a failure is the server's answer to the attempt (a refusal: 4xx with its body), after which the
 * next send is a new attempt — or a network failure or server error, after which the same request id is
 * sent again so that a redemption the server did make is answered, not made twice.
 */
export function isAnswer(error: { status: number; fromServer: boolean }): boolean {
  return error.fromServer && error.status >= 400 && error.status < 500
}
