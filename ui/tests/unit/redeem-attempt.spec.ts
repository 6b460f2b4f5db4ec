import { describe, expect, it } from 'vitest'
import { RedeemAttempts, groupCouponCode, newRequestId, normalizeCouponCode } from '@/utils/redeem-attempt'

function ids() {
  let n = 0
  return () => `req-${++n}`
}

const input = { couponCode: 'Q7M2K9XH4TPC8RWN', storeCode: 'S001', orderAmount: 3500, orderRef: 'POS-1' }

describe('normalizeCouponCode', () => {
  it('reads typed codes and scanned QR payloads as the server does', () => {
    expect(normalizeCouponCode('q7m2-k9xh 4tpc-8rwn')).toBe('Q7M2K9XH4TPC8RWN')
    expect(normalizeCouponCode(' quanyi:coupon:Q7M2K9XH4TPC8RWN\n')).toBe('Q7M2K9XH4TPC8RWN')
    expect(normalizeCouponCode('QUANYI:COUPON:q7m2k9xh4tpc8rwn')).toBe('Q7M2K9XH4TPC8RWN')
    expect(normalizeCouponCode('')).toBe('')
  })

  it('groups a full code in fours for reading', () => {
    expect(groupCouponCode('Q7M2K9XH4TPC8RWN')).toBe('Q7M2 K9XH 4TPC 8RWN')
    expect(groupCouponCode('ABC')).toBe('ABC')
  })
})

describe('RedeemAttempts', () => {
  it('keeps the request id while the same attempt is sent again (double click, network retry)', () => {
    const a = new RedeemAttempts(ids())
    expect(a.requestIdFor(input)).toBe('req-1')
    expect(a.requestIdFor({ ...input })).toBe('req-1')
    // The same coupon typed differently, or scanned, is the same attempt.
    expect(a.requestIdFor({ ...input, couponCode: 'quanyi:coupon:q7m2k9xh4tpc8rwn' })).toBe('req-1')
    expect(a.pendingId).toBe('req-1')
  })

  it('starts a new attempt when anything of the request changes', () => {
    const a = new RedeemAttempts(ids())
    expect(a.requestIdFor(input)).toBe('req-1')
    expect(a.requestIdFor({ ...input, orderAmount: 3600 })).toBe('req-2')
    expect(a.requestIdFor({ ...input, orderAmount: 3600, storeCode: 'S002' })).toBe('req-3')
    expect(a.requestIdFor({ ...input, orderAmount: 3600, storeCode: 'S002', orderRef: 'POS-2' })).toBe('req-4')
  })

  it('starts a new attempt after the server answered', () => {
    const a = new RedeemAttempts(ids())
    expect(a.requestIdFor(input)).toBe('req-1')
    a.answered()
    expect(a.pendingId).toBeNull()
    expect(a.requestIdFor(input)).toBe('req-2')
  })

  it('uses crypto.randomUUID by default', () => {
    const id = new RedeemAttempts().requestIdFor(input)
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('makes v4 UUIDs without crypto.randomUUID (a page served over plain http)', () => {
    const original = crypto.randomUUID
    Object.defineProperty(crypto, 'randomUUID', { value: undefined, configurable: true })
    try {
      const a = newRequestId()
      expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(newRequestId()).not.toBe(a)
    } finally {
      Object.defineProperty(crypto, 'randomUUID', { value: original, configurable: true })
    }
  })
})

describe('isAnswer', () => {
  it('treats a refusal as the answer, a network failure or server error as no answer', async () => {
    const { isAnswer, REDEEM_REFUSALS } = await import('@/utils/redeem-attempt')
    expect(isAnswer({ status: 409, fromServer: true })).toBe(true)
    expect(isAnswer({ status: 404, fromServer: true })).toBe(true)
    expect(isAnswer({ status: 0, fromServer: false })).toBe(false)
    expect(isAnswer({ status: 502, fromServer: false })).toBe(false)
    expect(isAnswer({ status: 500, fromServer: true })).toBe(false)
    expect(REDEEM_REFUSALS['QY-BEN-3002']?.key).toBe('used')
    expect(REDEEM_REFUSALS['QY-BEN-3005']?.field).toBe('amount')
  })
})
